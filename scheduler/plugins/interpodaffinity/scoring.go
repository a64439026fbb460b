package interpodaffinity

import (
	"fmt"
	"math"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/helper"
)

// preScoreState is what Score reads: the summed weights per domain of every topology key that
// some term counted in (upstream's topologyScore).
type preScoreState struct {
	scores domainCounts

	// The scores ScoreSlots last gave, with their minimum and maximum.
	scored             []int64
	minCount, maxCount int64

	cs    *framework.CycleState
	cycle uint64
}

// PreScore sums the weights of matching pod-term pairs per topology domain (upstream PreScore
// and processExistingPod): the pod's preferred terms against all pods, and existing pods'
// required affinity (× hardPodAffinityWeight) and preferred terms against the pod. It skips
// the Score when no pair counted anywhere. O(domains × counted terms + distinct terms of
// existing pods).
func (pl *InterPodAffinity) PreScore(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) *framework.Status {
	c := state.Cluster()
	if c == nil {
		return framework.AsStatus(errNoCluster)
	}
	a := pod.Pod.Spec.Affinity
	hasPreferred := a != nil && ((a.PodAffinity != nil && len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0) ||
		(a.PodAntiAffinity != nil && len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0))
	if pl.args.IgnorePreferredTermsOfExistingPods && !hasPreferred {
		return statusSkip
	}
	pa := pl.parsed(state, c, pod.Pod)
	if pa.Err != nil {
		return framework.AsStatus(fmt.Errorf("failed to parse pod: %w", pa.Err))
	}
	s := &pl.score
	s.scores.reset()
	counted := false
	if len(pa.PreferredAffinity) > 0 || len(pa.PreferredAntiAffinity) > 0 {
		tm := pl.template(c, pa)
		for i, t := range pa.PreferredAffinity {
			topo := c.Topology(t.TopologyKey)
			counted = s.scores.add(topo, tm.preferred[i].DomainSums(c, topo), int64(t.Weight)) || counted
		}
		for i, t := range pa.PreferredAntiAffinity {
			topo := c.Topology(t.TopologyKey)
			counted = s.scores.add(topo, tm.preferredAnt[i].DomainSums(c, topo), -int64(t.Weight)) || counted
		}
	}
	nsLabels := c.NamespaceLabels(pod.Pod.Namespace)
	for _, g := range c.Groups() {
		var w int64
		switch g.Kind {
		case framework.RequiredAffinity:
			w = int64(pl.args.HardPodAffinityWeight)
		case framework.PreferredAffinity:
			w = int64(g.Weight)
		case framework.PreferredAntiAffinity:
			w = -int64(g.Weight)
		}
		if w == 0 && g.Kind == framework.RequiredAffinity {
			continue // hardPodAffinityWeight 0: upstream does not look at the terms at all
		}
		if g.Kind == framework.RequiredAntiAffinity || !g.Term.Matches(pod.Pod, nsLabels) {
			continue
		}
		topo := c.Topology(g.Term.TopologyKey)
		counted = s.scores.add(topo, g.DomainSums(c, topo), w) || counted
	}
	if !counted {
		return statusSkip
	}
	s.cs, s.cycle = state, state.Cycle()
	return nil
}

// preScoreState returns the cycle's PreScore state.
func (pl *InterPodAffinity) preScoreState(state *framework.CycleState) (*preScoreState, *framework.Status) {
	if s := &pl.score; s.cs == state && s.cycle == state.Cycle() {
		return s, nil
	}
	// The state is the plugin's own, stamped with the cycle that computed it: another cycle's
	// PreFilter (or none) left nothing this one may use.
	return nil, framework.AsStatus(errNoPreScore)
}

// Score sums, over the counted topology keys the node has, the weight of its domain.
// O(counted keys), no allocation.
func (pl *InterPodAffinity) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	s, st := pl.preScoreState(state)
	if st != nil {
		return 0, st
	}
	return s.score(node.Slot), nil
}

// ScoreSlots is Score on every node at once.
func (pl *InterPodAffinity) ScoreSlots(state *framework.CycleState, _ *framework.PodInfo, slots []int32, scores []int64) *framework.Status {
	s, st := pl.preScoreState(state)
	if st != nil {
		return st
	}
	minCount, maxCount := int64(math.MaxInt64), int64(math.MinInt64)
	for i, slot := range slots {
		v := s.score(slot)
		scores[i] = v
		minCount, maxCount = min(minCount, v), max(maxCount, v)
	}
	s.minCount, s.maxCount, s.scored = minCount, maxCount, scores
	return nil
}

// NormalizeAndAdd is NormalizeScore, then adds weight × each score to totals, in one pass; it
// reuses the minimum and maximum ScoreSlots found when given the same scores.
func (pl *InterPodAffinity) NormalizeAndAdd(state *framework.CycleState, _ *framework.PodInfo, _ []int32, scores []int64, weight int64, totals []int64) *framework.Status {
	s, st := pl.preScoreState(state)
	if st != nil {
		return st
	}
	minCount, maxCount := s.minCount, s.maxCount
	if len(scores) == 0 || len(s.scored) != len(scores) || &s.scored[0] != &scores[0] {
		minCount, maxCount = math.MaxInt64, math.MinInt64
		for _, v := range scores {
			minCount, maxCount = min(minCount, v), max(maxCount, v)
		}
	}
	s.scored = nil
	diff := maxCount - minCount
	if diff == 0 {
		clear(scores) // upstream's formula gives 0 for all
		return nil
	}
	var memo helper.Memo
	for i, raw := range scores {
		v, ok := memo.Get(raw)
		if !ok {
			v = int64(float64(framework.MaxNodeScore) * (float64(raw-minCount) / float64(diff)))
			memo.Put(raw, v)
		}
		scores[i] = v
		totals[i] += v * weight
	}
	return nil
}

func (s *preScoreState) score(slot int32) int64 {
	var score int64
	for i := range s.scores.used {
		if d := s.scores.topos[i].Domain[slot]; d != 0 {
			score += s.scores.rows[i][d]
		}
	}
	return score
}

// ScoreExtensions returns the plugin itself.
func (pl *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore scales the scores min-max onto 0-100 in upstream's floating-point steps; all
// equal gives all 0.
func (pl *InterPodAffinity) NormalizeScore(state *framework.CycleState, _ *framework.PodInfo, _ []*framework.NodeInfo, scores []int64) *framework.Status {
	if _, st := pl.preScoreState(state); st != nil {
		return st
	}
	var minCount int64 = math.MaxInt64
	var maxCount int64 = math.MinInt64
	for _, s := range scores {
		maxCount = max(maxCount, s)
		minCount = min(minCount, s)
	}
	diff := maxCount - minCount
	if diff == 0 {
		clear(scores) // upstream's formula gives 0 for all
		return nil
	}
	var memo helper.Memo
	for i, s := range scores {
		if v, ok := memo.Get(s); ok {
			scores[i] = v
			continue
		}
		v := int64(float64(framework.MaxNodeScore) * (float64(s-minCount) / float64(diff)))
		memo.Put(s, v)
		scores[i] = v
	}
	return nil
}
