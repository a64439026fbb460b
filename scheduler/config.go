package scheduler

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/plugins/names"
)

// Profile is one scheduling profile as kube-scheduler builds it from a KubeSchedulerConfiguration:
// the plugins that run at each extension point ksim models, in order, the score weights, and
// each plugin's arguments. ParseConfig fills it after upstream's defaulting, validation and
// multiPoint expansion; DefaultProfile returns upstream's default one.
//
// The lists name upstream's plugins. When the scheduler is built (New), a plugin ksim does not
// implement yet is left out of every list: it neither filters nor scores (the package
// documentation lists them), exactly as the default profile has always done.
type Profile struct {
	// SchedulerName selects the profile: a pod uses the profile named by its
	// spec.schedulerName ("" means default-scheduler, as the API server defaults it).
	SchedulerName string
	// PercentageOfNodesToScore overrides Config.PercentageOfNodesToScore when not nil.
	PercentageOfNodesToScore *int32

	// The plugins of each extension point, in run order.
	PreFilter []string
	Filter    []string
	PreScore  []string
	Score     []WeightedPlugin
	// PostFilter lists the plugins run when no node fits (DefaultPreemption), used by
	// ScheduleWithPreemption.
	PostFilter []string

	// Args holds each configured plugin's arguments in the form its factory takes (see
	// plugins.Factory): noderesources.FitArgs, noderesources.BalancedAllocationArgs and
	// nodeaffinity.Args for the plugins ksim converts, otherwise the plugin's
	// k8s.io/kube-scheduler/config/v1 args type (*configv1.InterPodAffinityArgs, ...) after
	// upstream's defaulting and validation. A plugin whose arguments equal upstream's defaults
	// has no entry, and gets nil, which every factory takes as its defaults.
	Args map[string]any
}

// WeightedPlugin is a score plugin and its weight (upstream's: a weight of 0 or none given
// means 1; negative weights are allowed).
type WeightedPlugin struct {
	Name   string
	Weight int64
}

// ConfigError is one problem in a KubeSchedulerConfiguration: "FILE:LINE: FIELD: MSG", without
// ":LINE" when the line is unknown and without "FIELD: " when the problem is the whole file's.
type ConfigError struct {
	File  string
	Line  int
	Field string // e.g. profiles[0].pluginConfig[1].args.scoringStrategy.type
	Msg   string // what is wrong, and what is allowed
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem ParseConfig found, by line. It is never empty when returned.
type ConfigErrors []*ConfigError

// Error returns one problem per line.
func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *ConfigError.
func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ParseConfig reads a kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration (YAML or JSON,
// one document) as kube-scheduler v1.37 reads its --config file, and returns the Config it
// describes: the global percentageOfNodesToScore and every profile.
//
//   - Decoding is strict, as kube-scheduler's codec: unknown fields, repeated fields and values of
//     the wrong type are errors, and so are unknown fields in a plugin's args.
//   - Upstream's defaulting applies (pkg/scheduler/apis/config/v1 defaults.go and
//     default_plugins.go): one default-scheduler profile when there is none; upstream's default
//     plugins merged with the profile's enabled and disabled plugins ("*" disables every
//     default); every plugin's args defaulted.
//   - Upstream's validation applies (pkg/scheduler/apis/config/validation), and so do the checks
//     kube-scheduler makes when it builds each profile's framework (plugins that do not exist or
//     do not implement an extension point, plugins enabled twice, one queue sort plugin, a bind
//     plugin, NodeResourcesFit's args).
//   - Scheduler extenders are rejected: ksim cannot call HTTP webhooks.
//
// Fields that tune the kube-scheduler process (parallelism, leader election, client connection,
// backoff, profiling) are validated as upstream does and otherwise ignored.
//
// name is used in messages. On failure the error is a ConfigErrors, each entry with the line of
// the field at fault. Cost: linear in the size of data (at most 4 MiB).
func ParseConfig(name string, data []byte) (*Config, error) {
	if len(data) > maxConfigBytes {
		return nil, ConfigErrors{{File: name, Msg: fmt.Sprintf("the file is larger than %d bytes; a KubeSchedulerConfiguration is a few kilobytes", maxConfigBytes)}}
	}
	p := &configParser{doc: &configDoc{name: name, data: data}}
	cfg := p.parse()
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *ConfigError) int { return cmp.Compare(a.Line, b.Line) })
		return nil, p.errs
	}
	return cfg, nil
}

// DefaultProfile returns kube-scheduler v1.37's default profile (default-scheduler), as
// ParseConfig returns it for a configuration without profiles.
func DefaultProfile() Profile {
	p := &configParser{doc: &configDoc{name: "(defaults)"}}
	cfg := p.fromV1(&configv1.KubeSchedulerConfiguration{})
	if len(p.errs) > 0 || cfg == nil || len(cfg.Profiles) != 1 {
		panic("scheduler: upstream's default configuration does not build: " + p.errs.Error())
	}
	return cfg.Profiles[0]
}

// configParser holds the state of one ParseConfig.
type configParser struct {
	doc  *configDoc
	errs ConfigErrors
}

func (p *configParser) fail(path, format string, args ...any) {
	if len(p.errs) >= maxProblems {
		return
	}
	p.errs = append(p.errs, &ConfigError{File: p.doc.name, Line: p.doc.lineOf(path), Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *configParser) failAll(probs []fieldErr) {
	for _, pr := range probs {
		p.fail(pr.path, "%s", pr.msg)
	}
}

const (
	configAPIVersion = "kubescheduler.config.k8s.io/v1"
	configKind       = "KubeSchedulerConfiguration"
)

func (p *configParser) parse() *Config {
	j, yerr := p.doc.toJSON()
	if yerr != nil {
		p.errs = append(p.errs, yerr)
		return nil
	}
	var generic any
	if err := json.Unmarshal(j, &generic); err != nil || generic == nil {
		p.errs = append(p.errs, &ConfigError{File: p.doc.name, Msg: "the file is empty; want a " + configKind + " (apiVersion: " + configAPIVersion + ")"})
		return nil
	}
	top, ok := generic.(map[string]any)
	if !ok {
		p.fail("", "want a %s (a map with apiVersion and kind), got %s", configKind, describeJSON(generic))
		return nil
	}
	av, _ := top["apiVersion"].(string)
	kind, _ := top["kind"].(string)
	switch {
	case top["apiVersion"] == nil || top["kind"] == nil:
		p.fail("", "apiVersion and kind are required: apiVersion: %s, kind: %s", configAPIVersion, configKind)
		return nil
	case kind != configKind:
		p.fail("kind", "%s is not a scheduler configuration; want kind: %s", describeJSON(top["kind"]), configKind)
		return nil
	case strings.HasPrefix(av, "kubescheduler.config.k8s.io/") && av != configAPIVersion:
		p.fail("apiVersion", "%s is no longer read by kube-scheduler v1.37 (v1beta2 and v1beta3 were removed); convert it to %s", av, configAPIVersion)
		return nil
	case av != configAPIVersion:
		p.fail("apiVersion", "%s is not supported; want %s", describeJSON(top["apiVersion"]), configAPIVersion)
		return nil
	}
	var v1cfg configv1.KubeSchedulerConfiguration
	probs, complete := decodeStrict(j, &v1cfg, "")
	p.failAll(probs)
	if !complete {
		return nil
	}
	return p.fromV1(&v1cfg)
}

// fromV1 decodes the plugin args, defaults, validates and builds the profiles.
func (p *configParser) fromV1(in *configv1.KubeSchedulerConfiguration) *Config {
	before := len(p.errs)
	c := p.convert(in)
	if len(p.errs) > before {
		return nil // args that do not decode: defaulting and validation would only repeat it
	}
	setDefaults(c)
	p.validate(c)
	if len(c.extenders) > 0 {
		p.fail("extenders", "scheduler extenders are not supported: ksim cannot call HTTP webhooks; remove them to simulate the in-tree plugins alone")
	}
	if len(p.errs) > before {
		return nil
	}
	cfg := &Config{PercentageOfNodesToScore: *c.percentageOfNodesToScore}
	for i := range c.profiles {
		prof, ok := p.buildProfile(&c.profiles[i])
		if !ok {
			return nil
		}
		cfg.Profiles = append(cfg.Profiles, prof)
	}
	return cfg
}

// schedConfig is a KubeSchedulerConfiguration in the shape ksim defaults and validates: the v1
// fields it checks, and each plugin list entry with the path it was written at.
type schedConfig struct {
	v1                       *configv1.KubeSchedulerConfiguration
	percentageOfNodesToScore *int32
	profiles                 []profileCfg
	extenders                []configv1.Extender
}

type profileCfg struct {
	path                     string // profiles[i]; "profiles" for a defaulted one
	schedulerName            *string
	percentageOfNodesToScore *int32
	multi                    pluginSet
	points                   [numPoints]pluginSet
	args                     []argsCfg
}

// argsCfg is one pluginConfig entry.
type argsCfg struct {
	name string
	path string // profiles[i].pluginConfig[j]; "" for one added by defaulting
	// args is the decoded *configv1.<name>Args, or nil for a plugin upstream has no args type
	// for: its args are then kept raw and not read, as upstream keeps them as runtime.Unknown.
	args any
	raw  []byte
}

// newArgs returns a new value of the args type upstream registers for the plugin
// (k8s.io/kube-scheduler/config/v1 register.go), or nil.
func newArgs(plugin string) any {
	switch plugin {
	case names.DefaultPreemption:
		return &configv1.DefaultPreemptionArgs{}
	case names.InterPodAffinity:
		return &configv1.InterPodAffinityArgs{}
	case names.NodeResourcesBalancedAllocation:
		return &configv1.NodeResourcesBalancedAllocationArgs{}
	case names.NodeResourcesFit:
		return &configv1.NodeResourcesFitArgs{}
	case names.PodTopologySpread:
		return &configv1.PodTopologySpreadArgs{}
	case names.VolumeBinding:
		return &configv1.VolumeBindingArgs{}
	case names.NodeAffinity:
		return &configv1.NodeAffinityArgs{}
	case names.DynamicResources:
		return &configv1.DynamicResourcesArgs{}
	}
	return nil
}

// convert turns the decoded v1 configuration into schedConfig, decoding each plugin's args
// strictly into its type.
func (p *configParser) convert(in *configv1.KubeSchedulerConfiguration) *schedConfig {
	c := &schedConfig{v1: in, percentageOfNodesToScore: in.PercentageOfNodesToScore, extenders: in.Extenders}
	for i := range in.Profiles {
		vp := &in.Profiles[i]
		pc := profileCfg{
			path:                     fmt.Sprintf("profiles[%d]", i),
			schedulerName:            vp.SchedulerName,
			percentageOfNodesToScore: vp.PercentageOfNodesToScore,
		}
		if vp.Plugins != nil {
			pc.multi = convertSet(vp.Plugins.MultiPoint, pc.path+".plugins.multiPoint")
			for pt := range numPoints {
				pc.points[pt] = convertSet(*v1Set(vp.Plugins, pt), pc.path+".plugins."+pt.String())
			}
		}
		for j, cfg := range vp.PluginConfig {
			a := argsCfg{name: cfg.Name, path: fmt.Sprintf("%s.pluginConfig[%d]", pc.path, j), raw: cfg.Args.Raw}
			if typed := newArgs(cfg.Name); typed != nil {
				if p.decodeArgs(cfg.Args.Raw, typed, cfg.Name, a.path+".args") {
					a.args = typed
				}
			}
			pc.args = append(pc.args, a)
		}
		c.profiles = append(c.profiles, pc)
	}
	return c
}

// decodeArgs decodes one plugin's args as upstream's PluginConfig.decodeNestedObjects does: no
// args at all means the defaults; apiVersion and kind, when given, must name the plugin's args
// type.
func (p *configParser) decodeArgs(raw []byte, into any, plugin, path string) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var tm struct {
		APIVersion any `json:"apiVersion"`
		Kind       any `json:"kind"`
	}
	_ = json.Unmarshal(raw, &tm)
	if k, ok := tm.Kind.(string); ok && k != plugin+"Args" {
		p.fail(path+".kind", "args for plugin %s must be of kind %sArgs, got %q", plugin, plugin, k)
		return false
	}
	if av, ok := tm.APIVersion.(string); ok && av != configAPIVersion {
		p.fail(path+".apiVersion", "%q is not supported for %sArgs; want %s (or leave apiVersion out)", av, plugin, configAPIVersion)
		return false
	}
	probs, complete := decodeStrict(raw, into, path)
	p.failAll(probs)
	return complete && len(probs) == 0
}

// v1Set returns the v1 plugin set of an extension point.
func v1Set(pl *configv1.Plugins, pt extensionPoint) *configv1.PluginSet {
	switch pt {
	case pointPreFilter:
		return &pl.PreFilter
	case pointFilter:
		return &pl.Filter
	case pointPostFilter:
		return &pl.PostFilter
	case pointReserve:
		return &pl.Reserve
	case pointPreScore:
		return &pl.PreScore
	case pointScore:
		return &pl.Score
	case pointPreBind:
		return &pl.PreBind
	case pointBind:
		return &pl.Bind
	case pointPostBind:
		return &pl.PostBind
	case pointPermit:
		return &pl.Permit
	case pointPreEnqueue:
		return &pl.PreEnqueue
	case pointQueueSort:
		return &pl.QueueSort
	case pointPlacementGenerate:
		return &pl.PlacementGenerate
	case pointPlacementScore:
		return &pl.PlacementScore
	case pointPodGroupPostFilter:
		return &pl.PodGroupPostFilter
	}
	panic("scheduler: unknown extension point " + strconv.Itoa(int(pt)))
}

func convertSet(s configv1.PluginSet, path string) pluginSet {
	var out pluginSet
	for i, e := range s.Enabled {
		out.enabled = append(out.enabled, pluginRef{name: e.Name, weight: e.Weight, path: fmt.Sprintf("%s.enabled[%d]", path, i)})
	}
	for i, e := range s.Disabled {
		out.disabled = append(out.disabled, pluginRef{name: e.Name, path: fmt.Sprintf("%s.disabled[%d]", path, i)})
	}
	return out
}

// buildProfile builds one validated, defaulted profile's plugin lists and converts its args.
func (p *configParser) buildProfile(pc *profileCfg) (Profile, bool) {
	// Upstream's NewFramework first instantiates every plugin the profile names; of the
	// factories, only NodeResourcesFit's validates args that the configuration's validation
	// did not (validation.go keys it as "NodeResourcesFitArgs", so it never matches).
	needed := map[string]bool{}
	for _, r := range pc.multi.enabled {
		needed[r.name] = true
	}
	for pt := range numPoints {
		for _, r := range pc.points[pt].enabled {
			needed[r.name] = true
		}
	}
	for _, a := range pc.args {
		if fit, ok := a.args.(*configv1.NodeResourcesFitArgs); ok && needed[names.NodeResourcesFit] {
			before := len(p.errs)
			p.validateFitArgs(argsPath(a, pc), fit)
			if len(p.errs) > before {
				return Profile{}, false
			}
		}
	}
	b, ferr := buildPlugins(pc.multi, &pc.points, pc.path)
	if ferr != nil {
		p.fail(ferr.path, "%s", ferr.msg)
		return Profile{}, false
	}
	prof := Profile{
		SchedulerName:            *pc.schedulerName,
		PercentageOfNodesToScore: pc.percentageOfNodesToScore,
		PreFilter:                b.points[pointPreFilter],
		Filter:                   b.points[pointFilter],
		PreScore:                 b.points[pointPreScore],
		PostFilter:               b.points[pointPostFilter],
	}
	for _, n := range b.points[pointScore] {
		prof.Score = append(prof.Score, WeightedPlugin{Name: n, Weight: b.weights[n]})
	}
	for _, a := range pc.args {
		if a.args == nil || !needed[a.name] || isDefaultArgs(a.name, a.args) {
			continue
		}
		v, err := convertArgs(a.args)
		if err != nil {
			p.fail(argsPath(a, pc), "%v", err)
			return Profile{}, false
		}
		if prof.Args == nil {
			prof.Args = map[string]any{}
		}
		prof.Args[a.name] = v
	}
	return prof, true
}

func argsPath(a argsCfg, pc *profileCfg) string {
	if a.path == "" {
		return pc.path
	}
	return a.path + ".args"
}

// isDefaultArgs reports whether defaulted args equal the defaults of an empty args object.
func isDefaultArgs(plugin string, args any) bool {
	def := newArgs(plugin)
	defaultArgs(def)
	a := reflect.ValueOf(args).Elem()
	cp := reflect.New(a.Type())
	cp.Elem().Set(a)
	cp.Elem().FieldByName("TypeMeta").SetZero()
	return reflect.DeepEqual(cp.Interface(), def)
}
