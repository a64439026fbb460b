package interpodaffinity

import (
	"fmt"
	"math"

	"ksim.dev/ksim/scheduler/framework"
)

// preScoreState is what Score reads: the summed weights per domain of every topology key that
// some term counted in (upstream's topologyScore).
type preScoreState struct {
	scores domainCounts
}

// PreScore sums the weights of matching pod-term pairs per topology domain (upstream PreScore
// and processExistingPod): the pod's preferred terms against all pods, and existing pods'
// required affinity (× hardPodAffinityWeight) and preferred terms against the pod. It skips
// the Score when no pair counted anywhere. O(nodes × counted terms).
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
	aff, err := framework.ParsePodAffinity(pod.Pod)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("failed to parse pod: %w", err))
	}
	s := &pl.score
	s.scores.reset()
	counted := false
	for _, t := range aff.PreferredAffinity {
		counter := c.Counter(framework.PodSelector{Terms: []framework.SelectorTerm{selectorTerm(&t.AffinityTerm)}})
		counted = s.scores.add(c.Topology(t.TopologyKey), counter.PerNode, int64(t.Weight)) || counted
	}
	for _, t := range aff.PreferredAntiAffinity {
		counter := c.Counter(framework.PodSelector{Terms: []framework.SelectorTerm{selectorTerm(&t.AffinityTerm)}})
		counted = s.scores.add(c.Topology(t.TopologyKey), counter.PerNode, -int64(t.Weight)) || counted
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
		counted = s.scores.add(c.Topology(g.Term.TopologyKey), g.PerNode, w) || counted
	}
	if !counted {
		return statusSkip
	}
	state.Write(preScoreStateKey, s)
	return nil
}

// Score sums, over the counted topology keys the node has, the weight of its domain.
// O(counted keys), no allocation.
func (pl *InterPodAffinity) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return 0, framework.AsStatus(errNoPreScore)
	}
	s := v.(*preScoreState)
	var score int64
	for i := range s.scores.used {
		if d := s.scores.topos[i].Domain[node.Slot]; d != 0 {
			score += s.scores.rows[i][d]
		}
	}
	return score, nil
}

// ScoreExtensions returns the plugin itself.
func (pl *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore scales the scores min-max onto 0-100 in upstream's floating-point steps; all
// equal gives all 0.
func (pl *InterPodAffinity) NormalizeScore(state *framework.CycleState, _ *framework.PodInfo, _ []*framework.NodeInfo, scores []int64) *framework.Status {
	if _, ok := state.Read(preScoreStateKey); !ok {
		return framework.AsStatus(errNoPreScore)
	}
	var minCount int64 = math.MaxInt64
	var maxCount int64 = math.MinInt64
	for _, s := range scores {
		maxCount = max(maxCount, s)
		minCount = min(minCount, s)
	}
	diff := maxCount - minCount
	for i, s := range scores {
		f := float64(0)
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * (float64(s-minCount) / float64(diff))
		}
		scores[i] = int64(f)
	}
	return nil
}
