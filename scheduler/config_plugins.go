package scheduler

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// extensionPoint is one of the plugin lists of a KubeSchedulerConfiguration profile.
type extensionPoint int

// The extension points, in the order upstream's framework builds them
// (pkg/scheduler/framework/runtime/framework.go getExtensionPoints): a configuration error is
// reported for the first point that has one, as upstream does.
const (
	pointPreFilter extensionPoint = iota
	pointFilter
	pointPostFilter
	pointReserve
	pointPreScore
	pointScore
	pointPreBind
	pointBind
	pointPostBind
	pointPermit
	pointPreEnqueue
	pointQueueSort
	pointPlacementGenerate
	pointPlacementScore
	pointPodGroupPostFilter
	numPoints
)

// pointNames are the points' JSON field names in the plugins section.
var pointNames = [numPoints]string{
	"preFilter", "filter", "postFilter", "reserve", "preScore", "score", "preBind", "bind",
	"postBind", "permit", "preEnqueue", "queueSort", "placementGenerate", "placementScore",
	"podGroupPostFilter",
}

func (p extensionPoint) String() string { return pointNames[p] }

// interfaceName is the name of upstream's plugin interface for the point, as its messages use.
func (p extensionPoint) interfaceName() string {
	s := pointNames[p]
	return strings.ToUpper(s[:1]) + s[1:] + "Plugin"
}

// upstreamPlugins lists every plugin of kube-scheduler v1.37's in-tree registry
// (pkg/scheduler/framework/plugins/registry.go NewInTreeRegistry) and the extension points it
// implements. Upstream decides a plugin's points by the Go interfaces its type implements; the
// table is checked against the real types by reflection in upstream/scheduler_config_diff_test.go.
// A configuration that names any other plugin is rejected, as the kube-scheduler binary rejects
// it: out-of-tree plugins need their own scheduler build.
var upstreamPlugins = map[string][]extensionPoint{
	names.SchedulingGates:                 {pointPreEnqueue},
	names.PrioritySort:                    {pointQueueSort},
	names.NodeName:                        {pointPreFilter, pointFilter},
	names.NodeUnschedulable:               {pointPreFilter, pointFilter},
	names.TaintToleration:                 {pointPreFilter, pointFilter, pointPreScore, pointScore},
	names.NodeAffinity:                    {pointPreFilter, pointFilter, pointPreScore, pointScore},
	names.NodePorts:                       {pointPreFilter, pointFilter},
	names.NodeResourcesFit:                {pointPreFilter, pointFilter, pointPreScore, pointScore, pointPlacementScore},
	names.VolumeRestrictions:              {pointPreFilter, pointFilter},
	names.NodeVolumeLimits:                {pointPreFilter, pointFilter},
	names.VolumeBinding:                   {pointPreFilter, pointFilter, pointReserve, pointPreScore, pointScore, pointPreBind},
	names.VolumeZone:                      {pointPreFilter, pointFilter},
	names.PodTopologySpread:               {pointPreFilter, pointFilter, pointPreScore, pointScore},
	names.InterPodAffinity:                {pointPreFilter, pointFilter, pointPreScore, pointScore},
	names.DynamicResources:                {pointPreFilter, pointFilter, pointPostFilter, pointReserve, pointScore, pointPreBind, pointPreEnqueue, pointPodGroupPostFilter},
	names.DefaultPreemption:               {pointPostFilter, pointPreEnqueue, pointPodGroupPostFilter},
	names.NodeResourcesBalancedAllocation: {pointPreScore, pointScore},
	names.ImageLocality:                   {pointScore},
	names.DefaultBinder:                   {pointBind},
	names.NodeDeclaredFeatures:            {pointPreFilter, pointFilter},
	deferredPodScheduling:                 {pointPreFilter, pointFilter, pointPermit},
	gangScheduling:                        {pointPermit, pointPreEnqueue},
	topologyPlacementGenerator:            {pointPlacementGenerate},
	podGroupPodsCount:                     {pointPlacementScore},
}

// Upstream plugins that are off by default behind feature gates, and that ksim has no folder
// for (upstream's plugins/names).
const (
	deferredPodScheduling      = "DeferredPodScheduling"
	gangScheduling             = "GangScheduling"
	topologyPlacementGenerator = "TopologyPlacementGenerator"
	podGroupPodsCount          = "PodGroupPodsCount"
)

// UpstreamPluginExtensionPoints returns the extension points (as named in a profile's plugins
// section, e.g. "preFilter") that kube-scheduler v1.37's in-tree plugin name implements, in
// upstream's framework order, or nil when upstream has no such plugin.
func UpstreamPluginExtensionPoints(name string) []string {
	points, ok := upstreamPlugins[name]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(points))
	for p := range numPoints {
		if slices.Contains(points, p) {
			out = append(out, pointNames[p])
		}
	}
	return out
}

func implements(name string, p extensionPoint) bool {
	return slices.Contains(upstreamPlugins[name], p)
}

// defaultMultiPoint is upstream v1.37's default plugin list with its feature gates at their
// defaults (pkg/scheduler/apis/config/v1/default_plugins.go getDefaultPlugins and
// applyFeatureGates: DynamicResourceAllocation and NodeDeclaredFeatures are on;
// InPlacePodVerticalScalingSchedulerPreemption, GenericWorkload and
// TopologyAwareWorkloadScheduling are off). Weights are given where upstream gives them.
func defaultMultiPoint() []pluginRef {
	return []pluginRef{
		{name: names.SchedulingGates},
		{name: names.PrioritySort},
		{name: names.NodeName},
		{name: names.NodeUnschedulable},
		{name: names.TaintToleration, weight: new(int32(3))},
		{name: names.NodeAffinity, weight: new(int32(2))},
		{name: names.NodePorts},
		{name: names.NodeResourcesFit, weight: new(int32(1))},
		{name: names.VolumeRestrictions},
		{name: names.NodeVolumeLimits},
		{name: names.VolumeBinding},
		{name: names.VolumeZone},
		{name: names.PodTopologySpread, weight: new(int32(2))},
		{name: names.InterPodAffinity, weight: new(int32(2))},
		{name: names.DynamicResources, weight: new(int32(2))}, // inserted before DefaultPreemption
		{name: names.DefaultPreemption},
		{name: names.NodeResourcesBalancedAllocation, weight: new(int32(1))},
		{name: names.ImageLocality, weight: new(int32(1))},
		{name: names.DefaultBinder},
		{name: names.NodeDeclaredFeatures},
	}
}

// pluginRef is one entry of a plugin set, with where it was written (path "" for upstream's
// defaults).
type pluginRef struct {
	name   string
	weight *int32
	path   string
}

// pluginSet is a point's enabled and disabled plugins.
type pluginSet struct {
	enabled, disabled []pluginRef
}

// mergePluginSet merges a user's set into upstream's default set, as upstream's
// pkg/scheduler/apis/config/v1/default_plugins.go mergePluginSet: unless "*" is disabled, the
// defaults stay in their order minus the disabled ones, a default the user enables again is
// replaced in place by the user's entry (its weight), and the user's other plugins follow in the
// user's order (duplicates included: building the profile rejects them).
func mergePluginSet(def, custom pluginSet) pluginSet {
	disabled := map[string]bool{}
	var out pluginSet
	for _, d := range custom.disabled {
		out.disabled = append(out.disabled, d)
		disabled[d.name] = true
	}
	for _, d := range def.disabled {
		out.disabled = append(out.disabled, d)
		disabled[d.name] = true
	}
	// Upstream keys the user's entries by name, so with a name given twice the last one
	// replaces the default and the earlier one is appended.
	byName := map[string]int{}
	for i, e := range custom.enabled {
		byName[e.name] = i
	}
	replaced := map[int]bool{}
	if !disabled["*"] {
		for _, e := range def.enabled {
			if disabled[e.name] {
				continue
			}
			if i, ok := byName[e.name]; ok {
				e = custom.enabled[i]
				replaced[i] = true
			}
			out.enabled = append(out.enabled, e)
		}
	}
	for i, e := range custom.enabled {
		if !replaced[i] {
			out.enabled = append(out.enabled, e)
		}
	}
	return out
}

// builtProfile is a profile's plugin lists after upstream's framework construction: each
// point's plugins in run order, and the score weights.
type builtProfile struct {
	points  [numPoints][]string
	weights map[string]int64
}

// buildPlugins does what upstream's frameworkruntime.NewFramework does with a defaulted
// profile's plugin sets (pkg/scheduler/framework/runtime/framework.go): every plugin named must
// exist; each point's own list must name plugins that implement the point, once each; then the
// multiPoint plugins are expanded into every point they implement unless disabled there (or all
// plugins are disabled there with "*"), a plugin also listed at the point itself keeping that
// entry's place, first; there must be exactly one queue sort plugin, at least one bind plugin
// and at most one placement generator; and each score plugin's weight is the first given for it
// in score, then multiPoint, with 0 meaning 1. The errors are upstream's, in its order; each is
// reported at the entry that causes it.
func buildPlugins(multi pluginSet, points *[numPoints]pluginSet, profilePath string) (*builtProfile, *fieldErr) {
	b := &builtProfile{weights: map[string]int64{}}
	exists := func(r pluginRef, p extensionPoint) *fieldErr {
		if _, ok := upstreamPlugins[r.name]; ok {
			return nil
		}
		return &fieldErr{path: refPath(r, profilePath), msg: fmt.Sprintf("%s %q does not exist: kube-scheduler v1.37 has no such plugin (out-of-tree plugins need their own scheduler build); in-tree plugins: %s",
			p.interfaceName(), r.name, strings.Join(sortedPluginNames(), ", "))}
	}
	// Upstream instantiates the plugins of every point's enabled list first, then fills each
	// point's own list.
	for p := range numPoints {
		seen := map[string]bool{}
		for _, r := range points[p].enabled {
			if err := exists(r, p); err != nil {
				return nil, err
			}
			if !implements(r.name, p) {
				return nil, &fieldErr{path: refPath(r, profilePath), msg: fmt.Sprintf("plugin %q does not extend %s plugin; it implements: %s",
					r.name, p.interfaceName(), strings.Join(UpstreamPluginExtensionPoints(r.name), ", "))}
			}
			if seen[r.name] {
				return nil, &fieldErr{path: refPath(r, profilePath), msg: fmt.Sprintf("plugin %q already registered as %q: enable each plugin once per extension point", r.name, p.interfaceName())}
			}
			seen[r.name] = true
			b.points[p] = append(b.points[p], r.name)
		}
	}
	if len(multi.enabled) > 0 {
		for p := range numPoints {
			disabled := map[string]bool{}
			for _, d := range points[p].disabled {
				disabled[d.name] = true
			}
			if disabled["*"] {
				continue
			}
			own := b.points[p]
			var overrides, fromMulti []string
			for _, r := range multi.enabled {
				if err := exists(r, p); err != nil {
					return nil, err
				}
				if !implements(r.name, p) || disabled[r.name] {
					continue
				}
				if slices.Contains(own, r.name) {
					if !slices.Contains(overrides, r.name) {
						overrides = append(overrides, r.name)
					}
					continue
				}
				if slices.Contains(fromMulti, r.name) {
					return nil, &fieldErr{path: refPath(r, profilePath), msg: fmt.Sprintf("plugin %q already registered as %q: enable each plugin once in multiPoint", r.name, p.interfaceName())}
				}
				fromMulti = append(fromMulti, r.name)
			}
			// Upstream's order: the point's own entries that override multiPoint ones (in the
			// point's order), the multiPoint ones, then the point's remaining entries.
			var list []string
			for _, n := range own {
				if slices.Contains(overrides, n) {
					list = append(list, n)
				}
			}
			list = append(list, fromMulti...)
			for _, n := range own {
				if !slices.Contains(overrides, n) {
					list = append(list, n)
				}
			}
			b.points[p] = list
		}
	}
	if n := len(b.points[pointQueueSort]); n != 1 {
		return nil, &fieldErr{path: profilePath + ".plugins", msg: fmt.Sprintf("only one queue sort plugin required for the profile, but got %d (the default is %s)", n, names.PrioritySort)}
	}
	if len(b.points[pointBind]) == 0 {
		return nil, &fieldErr{path: profilePath + ".plugins", msg: fmt.Sprintf("at least one bind plugin is needed for the profile (the default is %s)", names.DefaultBinder)}
	}
	if n := len(b.points[pointPlacementGenerate]); n > 1 {
		return nil, &fieldErr{path: profilePath + ".plugins.placementGenerate", msg: fmt.Sprintf("at most one placement generate plugin is allowed for the profile, got %d", n)}
	}
	// Weights: score's own entries first, then multiPoint's; the first entry of a name wins.
	// Upstream checks that the weighted maximum cannot overflow the int64 total
	// (getValidScoreWeights) with wrapping arithmetic, so once a negative weight has lowered
	// the running total, the next weight "overflows": in effect a negative weight is accepted
	// only after every other score plugin. ksim runs the same check.
	var total int64
	for _, r := range slices.Concat(points[pointScore].enabled, multi.enabled) {
		if !implements(r.name, pointScore) {
			continue
		}
		if _, ok := b.weights[r.name]; ok {
			continue
		}
		w := int64(1)
		if r.weight != nil && *r.weight != 0 {
			w = int64(*r.weight)
		}
		if w*framework.MaxNodeScore > math.MaxInt64-total {
			return nil, &fieldErr{path: refPath(r, profilePath), msg: fmt.Sprintf("weight %d of %s: kube-scheduler rejects it (\"total score of Score plugins could overflow\"): its overflow check fails for any weight that follows a negative one", w, r.name)}
		}
		total += w * framework.MaxNodeScore
		b.weights[r.name] = w
	}
	return b, nil
}

func refPath(r pluginRef, profilePath string) string {
	if r.path != "" {
		return r.path
	}
	return profilePath + ".plugins"
}

func sortedPluginNames() []string {
	out := make([]string, 0, len(upstreamPlugins))
	for n := range upstreamPlugins {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
