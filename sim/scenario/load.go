package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults for the optional parts of a scenario. The documentation (docs/scenario.md) lists
// them too; keep both in step.
const (
	DefaultMaxEvents              = 50_000_000
	DefaultMaxPods                = 1_000_000
	DefaultHPASyncPeriod          = 30 * time.Second
	DefaultHPATolerance           = 0.1
	DefaultHPADownscaleWindow     = 5 * time.Minute
	DefaultHPACPUInitPeriod       = 5 * time.Minute
	DefaultHPAInitialReadiness    = 30 * time.Second
	DefaultMetricResolution       = 15 * time.Second
	DefaultNodeMonitorGracePeriod = 50 * time.Second
	DefaultSampleInterval         = 60 * time.Second
	DefaultStartupLatency         = 2 * time.Second
	DefaultTaskDuration           = time.Minute
	DefaultTimeColumn             = "timestamp"
)

// Load reads the scenario file at path from the operating system's filesystem, and every file it
// names: relative names are relative to the scenario file's directory, and may climb out of it
// with "..". Messages name files as the user would (the scenario's directory as given, joined with
// the name in the scenario).
//
// On failure the error is an Errors holding every problem found (at most MaxErrors), each an
// *Error; the Scenario is nil.
//
// Cost: time and memory linear in the size of the files (each is read whole, at most
// MaxFileBytes), plus O(events × nodes) to check what events name, plus reading each trace
// (workloads.ReadFile). Nothing is cached between calls, and nothing is shared: concurrent calls are safe.
func Load(p string) (*Scenario, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, Errors{{File: p, Msg: err.Error()}}
	}
	root := filepath.VolumeName(abs) + string(filepath.Separator)
	rel := filepath.ToSlash(strings.TrimPrefix(abs, root))
	l := newLoader(os.DirFS(root), path.Dir(rel), true)
	userDir := filepath.Dir(p)
	l.display = func(fsPath, ref string) string {
		if filepath.IsAbs(ref) {
			return ref
		}
		return filepath.Join(userDir, filepath.FromSlash(ref))
	}
	return l.run(rel, p)
}

// LoadFS reads the scenario file at path (a slash-separated fs.FS path) from fsys, and every file
// it names from fsys, relative to the scenario file's directory; names may not leave fsys (no
// absolute paths, no ".." above its root). Messages name files by their fs.FS path.
//
// Errors are as for Load.
func LoadFS(fsys fs.FS, p string) (*Scenario, error) {
	if !fs.ValidPath(p) || p == "." {
		return nil, Errors{{File: p, Msg: "not a valid fs.FS path (want slash-separated, relative, without . or .. elements)"}}
	}
	l := newLoader(fsys, path.Dir(p), false)
	l.display = func(fsPath, _ string) string { return fsPath }
	return l.run(p, p)
}

// loader holds the state of one Load.
type loader struct {
	fsys    fs.FS
	dir     string // scenario's directory within fsys
	osRoot  bool   // fsys is the OS root: absolute names are allowed
	display func(fsPath, ref string) string

	probs problems
	sc    *Scenario

	files   map[string]bool // manifest files already named, by fs path
	objects map[objKey]*object
	order   []*object // every object decoded, in file order (including broken ones)

	nodeNames map[string]*object // cluster nodes by name
	inEvent   bool               // decoding the file of an "add" event: nodes are not the cluster's
	defaultPC *object            // the PriorityClass with globalDefault: true
	podOwners []podOwner         // pod specs, for priority resolution once all files are read
	loads     map[Ref]string     // load targets already used, and where

	// partial is set when a manifest file could not be read or parsed to its end: objects may
	// be missing, so references to missing objects are not reported (they would only repeat
	// the first error).
	partial bool
}

func newLoader(fsys fs.FS, dir string, osRoot bool) *loader {
	return &loader{
		fsys:      fsys,
		dir:       dir,
		osRoot:    osRoot,
		files:     make(map[string]bool),
		objects:   make(map[objKey]*object),
		nodeNames: make(map[string]*object),
	}
}

func (l *loader) add(e *Error) { l.probs.add(e) }

// errAt reports a problem at field (relative to the object or document src) of src.
func (l *loader) errAt(src objSrc, field, format string, args ...any) {
	full := joinPath(src.prefix, field)
	line := 0
	if src.d != nil {
		line = src.d.lineOf(full)
	}
	l.add(&Error{File: src.fileName(), Line: line, Field: full, Msg: fmt.Sprintf(format, args...)})
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

// objSrc locates an object: a document, and the path of the object within it ("" for a whole
// document, "items[3]" for an item of a list, "spec.events[2].add.node" for an inline node).
type objSrc struct {
	d      *doc
	prefix string
}

func (s objSrc) fileName() string {
	if s.d == nil {
		return ""
	}
	return s.d.file.name
}

// where returns "FILE:LINE" of field in src.
func (s objSrc) where(field string) string {
	if s.d == nil {
		return ""
	}
	return s.d.file.name + ":" + strconv.Itoa(s.d.lineOf(joinPath(s.prefix, field)))
}

// run loads the scenario at fsPath (shown as name).
func (l *loader) run(fsPath, name string) (*Scenario, error) {
	l.probs.seeFile(name)
	f, err := l.readFile(fsPath, name)
	if err != nil {
		l.add(&Error{File: name, Msg: err.Error()})
		return nil, l.probs.sorted()
	}
	docs, perr := splitDocuments(f)
	if perr != nil {
		l.add(perr)
		return nil, l.probs.sorted()
	}
	switch {
	case len(docs) == 0:
		l.add(&Error{File: name, Msg: "the file is empty; want a Scenario document (apiVersion: " + APIVersion + ", kind: " + Kind + ")"})
		return nil, l.probs.sorted()
	case len(docs) > 1:
		l.add(&Error{File: name, Line: docs[1].line, Msg: "a scenario file holds one document; this is a second one (put manifests in the files named by spec.cluster and spec.workloads)"})
		return nil, l.probs.sorted()
	}
	d := docs[0]
	src := objSrc{d: d}
	if jsonKind(d.json) != "a map" {
		l.add(&Error{File: name, Line: d.line, Msg: "want a Scenario document (a map with apiVersion, kind, metadata and spec), got " + jsonKind(d.json)})
		return nil, l.probs.sorted()
	}
	var sd scenarioDoc
	probs, complete := decodeStrict(d.json, &sd)
	for _, p := range probs {
		l.errAt(src, p.path, "%s", p.msg)
	}
	if !complete {
		return nil, l.probs.sorted()
	}
	l.sc = &Scenario{
		FS:     l.fsys,
		Dir:    l.dir,
		Timing: make(map[string]PodTiming),
	}
	l.scenario(src, &sd, name)
	if l.probs.len() > 0 {
		return nil, l.probs.sorted()
	}
	return l.sc, nil
}

// readFile reads a whole file, refusing files larger than MaxFileBytes.
func (l *loader) readFile(fsPath, name string) (*srcFile, error) {
	f, err := l.fsys.Open(fsPath)
	if err != nil {
		return nil, fileErr(err)
	}
	defer f.Close()
	tooLarge := fmt.Errorf("file is larger than %d MiB (MaxFileBytes); split it", MaxFileBytes>>20)
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, errors.New("is a directory; want a file")
		}
		if st.Size() > MaxFileBytes {
			return nil, tooLarge
		}
	}
	// The limit applies while reading too: some files do not know their size (pipes, /proc).
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fileErr(err)
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge
	}
	return &srcFile{fsPath: fsPath, name: name, data: data}, nil
}

func fileErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("file not found")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resolve turns a file name written in the scenario into an fs path and a display name.
func (l *loader) resolve(ref string) (fsPath, name string, err error) {
	if ref == "" {
		return "", "", errors.New("empty file name")
	}
	if strings.ContainsRune(ref, 0) {
		return "", "", errors.New("file name contains a NUL byte")
	}
	if l.osRoot && filepath.IsAbs(ref) {
		abs := filepath.Clean(ref)
		root := filepath.VolumeName(abs) + string(filepath.Separator)
		p := filepath.ToSlash(strings.TrimPrefix(abs, root))
		if p == "" {
			p = "."
		}
		return p, l.display(p, ref), nil
	}
	if path.IsAbs(ref) || filepath.IsAbs(ref) {
		return "", "", errors.New("absolute file names are not allowed here; name files relative to the scenario's directory")
	}
	p := path.Join(l.dir, filepath.ToSlash(ref))
	if !fs.ValidPath(p) || p == "." {
		return "", "", fmt.Errorf("%q leaves the directory tree the scenario was loaded from", ref)
	}
	return p, l.display(p, ref), nil
}

// scenarioDoc is the scenario file. Field types are chosen so that a wrong value gets a precise
// message: durations accept a string or a bare number (to say "add a unit"), optional numbers are
// pointers so that an explicit 0 is told apart from "unset".
type scenarioDoc struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   scenarioMeta `json:"metadata"`
	Spec       *specDoc     `json:"spec"`
}

type scenarioMeta struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type specDoc struct {
	Seed        *uint64        `json:"seed"`
	Duration    duration       `json:"duration"`
	Cluster     []string       `json:"cluster"`
	NodePools   []nodePoolDoc  `json:"nodePools"` // see nodepools.go
	Workloads   []string       `json:"workloads"`
	Scheduler   string         `json:"scheduler"`
	Controllers controllersDoc `json:"controllers"`
	Defaults    defaultsDoc    `json:"defaults"`
	Limits      limitsDoc      `json:"limits"`
	Load        []loadDoc      `json:"load"`
	Events      []eventDoc     `json:"events"`
}

type controllersDoc struct {
	HPASyncPeriod              duration `json:"hpaSyncPeriod"`
	HPATolerance               *float64 `json:"hpaTolerance"`
	HPADownscaleStabilization  duration `json:"hpaDownscaleStabilization"`
	HPACPUInitializationPeriod duration `json:"hpaCPUInitializationPeriod"`
	HPAInitialReadinessDelay   duration `json:"hpaInitialReadinessDelay"`
	MetricResolution           duration `json:"metricResolution"`
	NodeMonitorGracePeriod     duration `json:"nodeMonitorGracePeriod"`
	SampleInterval             duration `json:"sampleInterval"`
}

type defaultsDoc struct {
	StartupLatency   duration `json:"startupLatency"`
	ReadinessDelay   duration `json:"readinessDelay"`
	TerminationDelay duration `json:"terminationDelay"`
	TaskDuration     duration `json:"taskDuration"`
}

type limitsDoc struct {
	MaxEvents *int64 `json:"maxEvents"`
	MaxPods   *int64 `json:"maxPods"`
}

// loadDoc is an entry of spec.load; its parts are in loadspec.go.
type loadDoc struct {
	Target        string        `json:"target"`
	Model         string        `json:"model"`
	Trace         *traceDoc     `json:"trace"`
	Generator     *generatorDoc `json:"generator"`
	Transform     *transformDoc `json:"transform"`
	CPUPerRequest *cpuQuantity  `json:"cpuPerRequest"`
	Assign        string        `json:"assign"`
}

type eventDoc struct {
	At       duration  `json:"at"`
	Add      *addDoc   `json:"add"`
	Fail     *nodesDoc `json:"fail"`
	Recover  *nodesDoc `json:"recover"`
	Remove   *nodesDoc `json:"remove"`
	Cordon   *nodesDoc `json:"cordon"`
	Uncordon *nodesDoc `json:"uncordon"`
	Taint    *taintDoc `json:"taint"`
	Untaint  *taintDoc `json:"untaint"`
}

type nodesDoc struct {
	Nodes nodeSelector `json:"nodes"`
}

type taintDoc struct {
	Nodes nodeSelector `json:"nodes"`
	Taint string       `json:"taint"`
}

type addDoc struct {
	Node json.RawMessage `json:"node"`
	File string          `json:"file"`
}

// duration is a Go duration as written: a string such as "90s", or a bare number (kept to say
// that it needs a unit).
type duration struct {
	text   string
	set    bool
	number bool
}

func (d *duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch {
	case s == "null":
		*d = duration{}
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*d = duration{text: str, set: true}
	case len(s) > 0 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')):
		*d = duration{text: s, set: true, number: true}
	default:
		return errors.New("want a Go duration such as 30s, 5m or 1h30m (units: ns, us, ms, s, m, h)")
	}
	return nil
}

// parse returns the duration, or a message saying what is wrong and what is allowed. positive
// requires > 0, else >= 0 is required.
func (d duration) parse(positive bool) (time.Duration, string) {
	if d.number && d.text != "0" {
		return 0, fmt.Sprintf("%s has no unit; write a Go duration such as %ss (units: ns, us, ms, s, m, h)", d.text, d.text)
	}
	v, err := time.ParseDuration(d.text)
	if err != nil {
		hint := ""
		if strings.ContainsAny(d.text, "dDwWyY") {
			hint = "; there are no days or weeks: write 48h for 2d"
		}
		return 0, fmt.Sprintf("%s is not a Go duration; write e.g. 30s, 5m, 1h30m or 48h (units: ns, us, ms, s, m, h)%s", quoteShort(d.text), hint)
	}
	switch {
	case positive && v <= 0:
		return 0, fmt.Sprintf("must be greater than 0, got %s", d.text)
	case v < 0:
		return 0, fmt.Sprintf("must not be negative, got %s", d.text)
	}
	return v, ""
}

// scenario validates the scenario document and loads everything it names.
func (l *loader) scenario(src objSrc, sd *scenarioDoc, name string) {
	sc := l.sc
	if sd.APIVersion != APIVersion {
		if sd.APIVersion == "" {
			l.errAt(src, "apiVersion", "required; want %s", APIVersion)
		} else {
			l.errAt(src, "apiVersion", "%s is not supported; want %s", quoteShort(sd.APIVersion), APIVersion)
		}
	}
	if sd.Kind != Kind {
		if sd.Kind == "" {
			l.errAt(src, "kind", "required; want %s", Kind)
		} else {
			l.errAt(src, "kind", "%s is not supported; want %s", quoteShort(sd.Kind), Kind)
		}
	}
	sc.Name = sd.Metadata.Name
	if sc.Name == "" {
		base := path.Base(filepath.ToSlash(name))
		sc.Name = strings.TrimSuffix(base, path.Ext(base))
	}
	if sd.Spec == nil {
		l.errAt(src, "spec", "required: a scenario needs at least spec.duration and spec.cluster")
		return
	}
	s := sd.Spec
	if s.Seed != nil {
		sc.Seed = *s.Seed
	}
	if !s.Duration.set {
		l.errAt(src, "spec.duration", "required: the simulated time to run, as a Go duration (e.g. 48h, 90m)")
	} else if v, msg := s.Duration.parse(true); msg != "" {
		l.errAt(src, "spec.duration", "%s", msg)
	} else {
		sc.Duration = v
	}
	l.controllers(src, &s.Controllers)
	l.defaults(src, &s.Defaults)
	l.limits(src, &s.Limits)

	// Manifests. Files load in the order named; cluster files first, then node pools.
	if len(s.Cluster) == 0 && len(s.NodePools) == 0 {
		l.errAt(src, "spec.cluster", "at least one file with Node manifests is required (e.g. cluster: [nodes.yaml]), or spec.nodePools")
		l.partial = true
	}
	for i, ref := range s.Cluster {
		l.manifestFile(src, fmt.Sprintf("spec.cluster[%d]", i), ref, roleCluster)
	}
	l.nodePools(src, s.NodePools)
	if (len(s.Cluster) > 0 || len(s.NodePools) > 0) && len(sc.Nodes) == 0 && len(l.nodeNames) == 0 && l.probs.len() == 0 {
		l.errAt(src, "spec.cluster", "the files hold no Node and spec.nodePools adds none; a cluster needs at least one")
	}
	for i, ref := range s.Workloads {
		l.manifestFile(src, fmt.Sprintf("spec.workloads[%d]", i), ref, roleWorkloads)
	}
	l.finishWorkloads()

	if s.Scheduler != "" {
		l.schedulerFile(src, s.Scheduler)
	}
	for i := range s.Load {
		l.load(src, i, &s.Load[i])
	}
	l.events(src, s.Events)
}

// durField parses an optional duration field into *dst, leaving the default when unset.
func (l *loader) durField(src objSrc, field string, d duration, positive bool, dst *time.Duration) {
	if !d.set {
		return
	}
	v, msg := d.parse(positive)
	if msg != "" {
		l.errAt(src, field, "%s", msg)
		return
	}
	*dst = v
}

func (l *loader) controllers(src objSrc, c *controllersDoc) {
	out := Controllers{
		HPASyncPeriod:          DefaultHPASyncPeriod,
		HPATolerance:           DefaultHPATolerance,
		HPADownscaleWindow:     DefaultHPADownscaleWindow,
		HPACPUInitPeriod:       DefaultHPACPUInitPeriod,
		HPAInitialReadiness:    DefaultHPAInitialReadiness,
		MetricResolution:       DefaultMetricResolution,
		NodeMonitorGracePeriod: DefaultNodeMonitorGracePeriod,
		SampleInterval:         DefaultSampleInterval,
	}
	const p = "spec.controllers."
	l.durField(src, p+"hpaSyncPeriod", c.HPASyncPeriod, true, &out.HPASyncPeriod)
	l.durField(src, p+"hpaDownscaleStabilization", c.HPADownscaleStabilization, false, &out.HPADownscaleWindow)
	l.durField(src, p+"hpaCPUInitializationPeriod", c.HPACPUInitializationPeriod, false, &out.HPACPUInitPeriod)
	l.durField(src, p+"hpaInitialReadinessDelay", c.HPAInitialReadinessDelay, false, &out.HPAInitialReadiness)
	l.durField(src, p+"metricResolution", c.MetricResolution, true, &out.MetricResolution)
	l.durField(src, p+"nodeMonitorGracePeriod", c.NodeMonitorGracePeriod, true, &out.NodeMonitorGracePeriod)
	l.durField(src, p+"sampleInterval", c.SampleInterval, true, &out.SampleInterval)
	if t := c.HPATolerance; t != nil {
		if *t < 0 || *t >= 1 || math.IsNaN(*t) {
			l.errAt(src, p+"hpaTolerance", "must be at least 0 and less than 1 (a fraction: 0.1 is 10%%), got %v", *t)
		} else {
			out.HPATolerance = *t
		}
	}
	l.sc.Controllers = out
}

func (l *loader) defaults(src objSrc, d *defaultsDoc) {
	out := PodTiming{StartupLatency: DefaultStartupLatency, TaskDuration: DefaultTaskDuration}
	const p = "spec.defaults."
	l.durField(src, p+"startupLatency", d.StartupLatency, false, &out.StartupLatency)
	l.durField(src, p+"readinessDelay", d.ReadinessDelay, false, &out.ReadinessDelay)
	l.durField(src, p+"terminationDelay", d.TerminationDelay, false, &out.TerminationDelay)
	l.durField(src, p+"taskDuration", d.TaskDuration, true, &out.TaskDuration)
	l.sc.Defaults = out
}

func (l *loader) limits(src objSrc, d *limitsDoc) {
	out := Limits{MaxEvents: DefaultMaxEvents, MaxPods: DefaultMaxPods}
	if v := d.MaxEvents; v != nil {
		if *v <= 0 {
			l.errAt(src, "spec.limits.maxEvents", "must be greater than 0, got %d", *v)
		} else {
			out.MaxEvents = *v
		}
	}
	if v := d.MaxPods; v != nil {
		if *v <= 0 || *v > math.MaxInt32 {
			l.errAt(src, "spec.limits.maxPods", "must be between 1 and %d, got %d", math.MaxInt32, *v)
		} else {
			out.MaxPods = int(*v)
		}
	}
	l.sc.Limits = out
}

// schedulerFile reads the KubeSchedulerConfiguration and checks only what identifies it.
func (l *loader) schedulerFile(src objSrc, ref string) {
	const field = "spec.scheduler"
	fsPath, name, err := l.resolve(ref)
	if err != nil {
		l.errAt(src, field, "%v", err)
		return
	}
	l.probs.seeFile(name)
	f, err := l.readFile(fsPath, name)
	if err != nil {
		l.errAt(src, field, "%s: %v", name, err)
		return
	}
	docs, perr := splitDocuments(f)
	if perr != nil {
		l.add(perr)
		return
	}
	if len(docs) != 1 {
		l.add(&Error{File: name, Msg: fmt.Sprintf("want one KubeSchedulerConfiguration document, found %d", len(docs))})
		return
	}
	d := docs[0]
	var tm struct {
		APIVersion any `json:"apiVersion"`
		Kind       any `json:"kind"`
	}
	if jsonKind(d.json) != "a map" || json.Unmarshal(d.json, &tm) != nil {
		l.add(&Error{File: name, Line: d.line, Msg: "want a KubeSchedulerConfiguration (a map with apiVersion and kind), got " + jsonKind(d.json)})
		return
	}
	ds := objSrc{d: d}
	const wantAV, wantKind = "kubescheduler.config.k8s.io/v1", "KubeSchedulerConfiguration"
	if tm.APIVersion != wantAV {
		l.errAt(ds, "apiVersion", "%s is not supported; want %s", valueText(tm.APIVersion), wantAV)
	}
	if tm.Kind != wantKind {
		l.errAt(ds, "kind", "%s is not supported; want %s", valueText(tm.Kind), wantKind)
	}
	l.sc.SchedulerConfig = &File{Path: name, Data: f.data}
}
