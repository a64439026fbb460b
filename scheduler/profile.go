package scheduler

import (
	"fmt"
	"slices"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// pluginSpec enables one plugin at every extension point it implements, as an entry of
// upstream's multiPoint list does. Weight only matters for score plugins.
type pluginSpec struct {
	name   string
	weight int64
	args   any
}

// defaultPlugins is upstream v1.37's default multiPoint list (pkg/scheduler/apis/config/v1/
// default_plugins.go) restricted to the plugins ksim implements, in the same order and with
// the same weights. Missing, for now: SchedulingGates, PrioritySort, NodePorts,
// VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone, PodTopologySpread (2),
// InterPodAffinity (2), DynamicResources, DefaultPreemption, ImageLocality (1), DefaultBinder,
// NodeDeclaredFeatures.
var defaultPlugins = []pluginSpec{
	{name: names.NodeName},
	{name: names.NodeUnschedulable},
	{name: names.TaintToleration, weight: 3},
	{name: names.NodeAffinity, weight: 2},
	{name: names.NodeResourcesFit, weight: 1},
	{name: names.NodeResourcesBalancedAllocation, weight: 1},
}

// profile is a built plugin set: each extension point's plugins in order.
type profile struct {
	preFilter []framework.PreFilterPlugin
	filter    []framework.FilterPlugin
	preScore  []framework.PreScorePlugin
	score     []framework.ScorePlugin
	weights   []int64 // of score[i]

	// filterIndex[i] is the index in filter of preFilter[i]'s plugin, or -1; scoreIndex[i] the
	// index in score of preScore[i]'s plugin, or -1. A Skip from the first disables the second.
	filterIndex []int
	scoreIndex  []int
}

func newProfile(specs []pluginSpec, reg plugins.Registry, fts framework.Features) (*profile, error) {
	p := &profile{}
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.name] {
			return nil, fmt.Errorf("scheduler: plugin %q enabled twice", s.name)
		}
		seen[s.name] = true
		factory, ok := reg[s.name]
		if !ok {
			return nil, fmt.Errorf("scheduler: plugin %q is not implemented", s.name)
		}
		pl, err := factory(s.args, fts)
		if err != nil {
			return nil, fmt.Errorf("scheduler: plugin %q: %w", s.name, err)
		}
		if x, ok := pl.(framework.PreFilterPlugin); ok {
			p.preFilter = append(p.preFilter, x)
		}
		if x, ok := pl.(framework.FilterPlugin); ok {
			p.filter = append(p.filter, x)
		}
		if x, ok := pl.(framework.PreScorePlugin); ok {
			p.preScore = append(p.preScore, x)
		}
		if x, ok := pl.(framework.ScorePlugin); ok {
			w := s.weight
			if w == 0 {
				w = 1 // upstream's default weight for a score plugin enabled without one
			}
			if w < 0 {
				return nil, fmt.Errorf("scheduler: plugin %q: weight %d is negative", s.name, w)
			}
			p.score = append(p.score, x)
			p.weights = append(p.weights, w)
		}
	}
	for _, pf := range p.preFilter {
		p.filterIndex = append(p.filterIndex, slices.IndexFunc(p.filter, func(f framework.FilterPlugin) bool { return f.Name() == pf.Name() }))
	}
	for _, ps := range p.preScore {
		p.scoreIndex = append(p.scoreIndex, slices.IndexFunc(p.score, func(f framework.ScorePlugin) bool { return f.Name() == ps.Name() }))
	}
	return p, nil
}
