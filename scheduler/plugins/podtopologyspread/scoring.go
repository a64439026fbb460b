package podtopologyspread

import (
	"math"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
)

// preScoreState is what Score reads (upstream's preScoreState): per soft constraint, the
// matching pods per domain over all eligible nodes, counted only for domains that hold a
// feasible node, and each constraint's weight.
type preScoreState struct {
	constraints []constraint
	// ignored[slot] marks feasible nodes that lack a topology label (never scored).
	ignored []bool
	// counts[i][d] is the matching pods in domain d; created[i][d] whether a feasible node
	// made the domain count. Domain numbers are the topology's, with the empty value (and,
	// without requireAllTopologies, a missing label) at emptyDomain[i].
	counts      [][]int64
	created     [][]bool
	emptyDomain []int32
	weights     []float64
	ignoredList []int32
}

// effectiveDomain is the domain counted for a node: a missing label counts as the empty value,
// as upstream reads node.Labels[key] into a map keyed by value.
func (s *preScoreState) effectiveDomain(i int, slot int32) int32 {
	if d := s.constraints[i].topo.Domain[slot]; d != 0 {
		return d
	}
	return s.emptyDomain[i]
}

// PreScore prepares the soft constraints (upstream PreScore and initPreScoreState): feasible
// nodes lacking a topology label are ignored (unless only the system defaults apply, whose
// zone constraint then still scores the nodes without zones by hostname alone), each
// constraint is weighted by the log of its number of domains among feasible nodes, and the
// matching pods of every eligible node are summed per domain. Skips the Score for a pod
// without soft constraints. O(nodes × constraints).
func (pl *PodTopologySpread) PreScore(state *framework.CycleState, pod *framework.PodInfo, filtered []*framework.NodeInfo) *framework.Status {
	c := state.Cluster()
	if c == nil {
		return framework.AsStatus(errNoCluster)
	}
	if c.NumNodes() == 0 {
		return statusSkip
	}
	requireAll := len(pod.Pod.Spec.TopologySpreadConstraints) > 0 || !pl.systemDefaulted
	cs, err := pl.constraints(c, pod.Pod, corev1.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return statusSkip
	}
	index(c, pod.Pod.Namespace, cs)
	s := &pl.score
	s.constraints = cs
	s.counts = sizeRows(s.counts, cs, 1)
	s.created = sizeRows(s.created, cs, 1)
	s.emptyDomain = s.emptyDomain[:0]
	for i := range cs {
		d := cs[i].topo.DomainOf("")
		if d == 0 {
			d = int32(cs[i].topo.NumDomains() + 1) // the extra entry of sizeRows
		}
		s.emptyDomain = append(s.emptyDomain, d)
	}
	if len(s.ignored) < len(c.Slots()) {
		s.ignored = make([]bool, len(c.Slots()))
	}
	for _, slot := range s.ignoredList {
		s.ignored[slot] = false
	}
	s.ignoredList = s.ignoredList[:0]

	topoSize := make([]int, len(cs))
	for _, ni := range filtered {
		slot := ni.Slot
		if requireAll && !hasAllKeys(cs, slot) {
			s.ignored[slot] = true
			s.ignoredList = append(s.ignoredList, slot)
			continue
		}
		for i := range cs {
			if cs[i].TopologyKey == corev1.LabelHostname {
				continue // counted per node in Score
			}
			if d := s.effectiveDomain(i, slot); !s.created[i][d] {
				s.created[i][d] = true
				topoSize[i]++
			}
		}
	}
	s.weights = s.weights[:0]
	for i := range cs {
		size := topoSize[i]
		if cs[i].TopologyKey == corev1.LabelHostname {
			size = len(filtered) - len(s.ignoredList)
		}
		s.weights = append(s.weights, math.Log(float64(size+2)))
	}

	in := newInclusion(pod.Pod, pl.fts)
	for slot, ni := range c.Slots() {
		if ni == nil {
			continue
		}
		node := ni.Node()
		if !pl.fts.EnableNodeInclusionPolicyInPodTopologySpread && in.hasAffinity && !in.affinity.Match(node) {
			continue
		}
		if requireAll && !hasAllKeys(cs, int32(slot)) {
			continue
		}
		for i := range cs {
			if pl.fts.EnableNodeInclusionPolicyInPodTopologySpread && !in.includes(&cs[i], node) {
				continue
			}
			d := s.effectiveDomain(i, int32(slot))
			if !s.created[i][d] {
				continue
			}
			s.counts[i][d] += int64(cs[i].count(int32(slot)))
		}
	}
	state.Write(preScoreStateKey, s)
	return nil
}

// Score sums, over the constraints whose label the node has, count × weight + maxSkew − 1,
// where count is the matching pods in the node's domain (on the node itself for hostname), and
// rounds. Ignored nodes score 0. O(constraints), no allocation.
func (pl *PodTopologySpread) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return 0, framework.AsStatus(errNoPreScore)
	}
	s := v.(*preScoreState)
	slot := node.Slot
	if s.ignored[slot] {
		return 0, nil
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		d := c.topo.Domain[slot]
		if d == 0 {
			continue
		}
		var cnt int64
		if c.TopologyKey == corev1.LabelHostname {
			cnt = int64(c.count(slot))
		} else {
			cnt = s.counts[i][d]
		}
		score += float64(cnt)*s.weights[i] + float64(c.MaxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// ScoreExtensions returns the plugin itself.
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps the scores onto 0-100, fewest matching pods best: 100 × (max + min −
// score) / max over the scored nodes, all 100 when max is 0, and 0 for ignored nodes
// (upstream NormalizeScore).
func (pl *PodTopologySpread) NormalizeScore(state *framework.CycleState, _ *framework.PodInfo, nodes []*framework.NodeInfo, scores []int64) *framework.Status {
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return framework.AsStatus(errNoPreScore)
	}
	s := v.(*preScoreState)
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i, n := range nodes {
		if s.ignored[n.Slot] {
			continue
		}
		minScore = min(minScore, scores[i])
		maxScore = max(maxScore, scores[i])
	}
	for i, n := range nodes {
		switch {
		case s.ignored[n.Slot]:
			scores[i] = 0
		case maxScore == 0:
			scores[i] = framework.MaxNodeScore
		default:
			scores[i] = framework.MaxNodeScore * (maxScore + minScore - scores[i]) / maxScore
		}
	}
	return nil
}
