package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins"
)

// profile is a built Profile: each extension point's plugins in order, as ksim runs them.
type profile struct {
	name string
	pct  *int32 // nil: the Scheduler's global percentageOfNodesToScore

	preFilter []framework.PreFilterPlugin
	filter    []framework.FilterPlugin
	preScore  []framework.PreScorePlugin
	score     []framework.ScorePlugin
	weights   []int64 // of score[i]

	// filterIndex[i] is the index in filter of preFilter[i]'s plugin, or -1; scoreIndex[i] the
	// index in score of preScore[i]'s plugin, or -1. A Skip from the first disables the second.
	filterIndex []int
	scoreIndex  []int

	// notImplemented are the upstream plugins the profile enables that ksim's registry lacks,
	// sorted: they neither filter nor score.
	notImplemented []string
}

// newProfile builds p's plugins from reg, each once, with its entry of p.Args (nil when absent).
// A name upstream knows but reg lacks is left out of every list (and noted in notImplemented);
// any other unknown name is an error. A plugin listed at a point whose ksim interface it does
// not implement is left out of that point: upstream's plugin may implement more (such as
// TaintToleration's PreFilter) without changing what it decides.
func newProfile(p Profile, reg plugins.Registry, fts framework.Features) (*profile, error) {
	if p.PercentageOfNodesToScore != nil && (*p.PercentageOfNodesToScore < 0 || *p.PercentageOfNodesToScore > 100) {
		return nil, fmt.Errorf("scheduler: profile %q: percentageOfNodesToScore %d: must be between 0 and 100", p.SchedulerName, *p.PercentageOfNodesToScore)
	}
	out := &profile{name: p.SchedulerName, pct: p.PercentageOfNodesToScore}
	built := map[string]framework.Plugin{}
	missing := map[string]bool{}
	get := func(name string) (framework.Plugin, error) {
		if pl, ok := built[name]; ok {
			return pl, nil
		}
		factory, ok := reg[name]
		if !ok {
			if _, upstream := upstreamPlugins[name]; upstream {
				missing[name] = true
				return nil, nil
			}
			return nil, fmt.Errorf("scheduler: profile %q: plugin %q is not a kube-scheduler v1.37 plugin", p.SchedulerName, name)
		}
		pl, err := factory(p.Args[name], fts)
		if err != nil {
			return nil, fmt.Errorf("scheduler: profile %q: plugin %q: %w", p.SchedulerName, name, err)
		}
		built[name] = pl
		return pl, nil
	}
	argNames := make([]string, 0, len(p.Args))
	for name := range p.Args {
		argNames = append(argNames, name)
	}
	slices.Sort(argNames) // the first error reported must not depend on map order
	for _, name := range argNames {
		if _, err := get(name); err != nil {
			return nil, err
		}
	}
	lists := []struct {
		names []string
		add   func(framework.Plugin)
	}{
		{p.PreFilter, func(pl framework.Plugin) {
			if x, ok := pl.(framework.PreFilterPlugin); ok {
				out.preFilter = append(out.preFilter, x)
			}
		}},
		{p.Filter, func(pl framework.Plugin) {
			if x, ok := pl.(framework.FilterPlugin); ok {
				out.filter = append(out.filter, x)
			}
		}},
		{p.PreScore, func(pl framework.Plugin) {
			if x, ok := pl.(framework.PreScorePlugin); ok {
				out.preScore = append(out.preScore, x)
			}
		}},
	}
	for _, l := range lists {
		seen := map[string]bool{}
		for _, name := range l.names {
			if seen[name] {
				return nil, fmt.Errorf("scheduler: profile %q: plugin %q listed twice at one extension point", p.SchedulerName, name)
			}
			seen[name] = true
			pl, err := get(name)
			if err != nil {
				return nil, err
			}
			if pl != nil {
				l.add(pl)
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range p.Score {
		if seen[s.Name] {
			return nil, fmt.Errorf("scheduler: profile %q: score plugin %q listed twice", p.SchedulerName, s.Name)
		}
		seen[s.Name] = true
		pl, err := get(s.Name)
		if err != nil {
			return nil, err
		}
		x, ok := pl.(framework.ScorePlugin)
		if !ok {
			continue
		}
		w := s.Weight
		if w == 0 {
			w = 1 // upstream's weight for a score plugin enabled without one
		}
		out.score = append(out.score, x)
		out.weights = append(out.weights, w)
	}
	for _, pf := range out.preFilter {
		out.filterIndex = append(out.filterIndex, slices.IndexFunc(out.filter, func(f framework.FilterPlugin) bool { return f.Name() == pf.Name() }))
	}
	for _, ps := range out.preScore {
		out.scoreIndex = append(out.scoreIndex, slices.IndexFunc(out.score, func(f framework.ScorePlugin) bool { return f.Name() == ps.Name() }))
	}
	for name := range missing {
		out.notImplemented = append(out.notImplemented, name)
	}
	slices.Sort(out.notImplemented)
	return out, nil
}

// profileFor returns the profile that schedules pod: the one named by its spec.schedulerName
// (default-scheduler when empty, as the API server defaults it), or the first one when the
// Scheduler ignores scheduler names. Nil when none matches. O(profiles).
func (s *Scheduler) profileFor(pod *corev1.Pod) *profile {
	if s.ignoreSchedulerName {
		return s.profiles[0]
	}
	name := pod.Spec.SchedulerName
	if name == "" {
		name = corev1.DefaultSchedulerName
	}
	for _, p := range s.profiles {
		if p.name == name {
			return p
		}
	}
	return nil
}

// use makes p the profile of the cycle about to run, sizing the per-cycle scratch to it.
func (s *Scheduler) use(p *profile) {
	s.prof = p
	s.skipFilter = slices.Grow(s.skipFilter[:0], len(p.filter))[:len(p.filter)]
	s.skipScore = slices.Grow(s.skipScore[:0], len(p.score))[:len(p.score)]
	if n := len(p.score); len(s.scores) < n {
		s.scores = append(s.scores, make([][]int64, n-len(s.scores))...)
		s.raw = append(s.raw, make([][]int64, n-len(s.raw))...)
	}
}

// NotImplemented returns, for the profile named schedulerName, the sorted names of the upstream
// plugins it enables that ksim does not implement: they neither filter nor score. ok is false
// when there is no such profile.
func (s *Scheduler) NotImplemented(schedulerName string) (plugins []string, ok bool) {
	for _, p := range s.profiles {
		if p.name == schedulerName {
			return slices.Clone(p.notImplemented), true
		}
	}
	return nil, false
}

// ProfileNames returns the profiles' scheduler names, in configuration order.
func (s *Scheduler) ProfileNames() []string {
	out := make([]string, len(s.profiles))
	for i, p := range s.profiles {
		out[i] = p.name
	}
	return out
}
