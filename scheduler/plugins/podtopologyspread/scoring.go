package podtopologyspread

import (
	"math"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/helper"
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
	topoSize    []int
	// part[i][d] is count × weight + maxSkew − 1 of domain d, for the constraints that are not
	// per node (hostname); skew[i] is maxSkew − 1.
	part [][]float64
	skew []float64

	cs    *framework.CycleState
	cycle uint64
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
// without soft constraints. O(feasible nodes × constraints + nodes), no pass over pods.
func (pl *PodTopologySpread) PreScore(state *framework.CycleState, pod *framework.PodInfo, filtered []*framework.NodeInfo) *framework.Status {
	c := state.Cluster()
	if c == nil {
		return framework.AsStatus(errNoCluster)
	}
	if c.NumNodes() == 0 {
		return statusSkip
	}
	t := pl.cycleTemplate(state, c, pod.Pod)
	requireAll := t.requireAll
	if t.softErr != nil {
		return framework.AsStatus(t.softErr)
	}
	cs := t.soft
	if len(cs) == 0 {
		return statusSkip
	}
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

	s.topoSize = append(s.topoSize[:0], make([]int, len(cs))...)
	for _, ni := range filtered {
		slot := ni.Slot
		if requireAll && !hasAllKeys(cs, slot) {
			s.ignored[slot] = true
			s.ignoredList = append(s.ignoredList, slot)
			continue
		}
		for i := range cs {
			if cs[i].isHost {
				continue // counted per node in Score
			}
			if d := s.effectiveDomain(i, slot); !s.created[i][d] {
				s.created[i][d] = true
				s.topoSize[i]++
			}
		}
	}
	s.weights = s.weights[:0]
	for i := range cs {
		size := s.topoSize[i]
		if cs[i].isHost {
			size = len(filtered) - len(s.ignoredList)
		}
		s.weights = append(s.weights, math.Log(float64(size+2)))
	}

	// Only nodes holding matching pods add to a count.
	el := t.eligibility(c, &t.softElig, cs, requireAll, pl.fts)
	for i := range cs {
		if cs[i].counter == nil || cs[i].isHost {
			continue
		}
		ok, counts, created := el.ok[i], s.counts[i], s.created[i]
		for slot, n := range cs[i].counter.PerNode {
			if n == 0 || !ok[slot] {
				continue
			}
			if d := s.effectiveDomain(i, int32(slot)); created[d] {
				counts[d] += int64(n)
			}
		}
	}
	s.part = sizeRows(s.part, cs, 1)
	s.skew = s.skew[:0]
	for i := range cs {
		s.skew = append(s.skew, float64(cs[i].MaxSkew-1))
		if cs[i].isHost {
			continue
		}
		for d, cnt := range s.counts[i] {
			s.part[i][d] = float64(cnt)*s.weights[i] + s.skew[i]
		}
	}
	s.cs, s.cycle = state, state.Cycle()
	state.Write(preScoreStateKey, s)
	return nil
}

// state returns the cycle's PreScore state.
func (pl *PodTopologySpread) preScoreState(state *framework.CycleState) (*preScoreState, *framework.Status) {
	if s := &pl.score; s.cs == state && s.cycle == state.Cycle() {
		return s, nil
	}
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return nil, framework.AsStatus(errNoPreScore)
	}
	return v.(*preScoreState), nil
}

// Score sums, over the constraints whose label the node has, count × weight + maxSkew − 1,
// where count is the matching pods in the node's domain (on the node itself for hostname), and
// rounds. Ignored nodes score 0. O(constraints), no allocation.
func (pl *PodTopologySpread) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	s, st := pl.preScoreState(state)
	if st != nil {
		return 0, st
	}
	return s.score(node.Slot), nil
}

// ScoreNodes is Score on every node at once.
func (pl *PodTopologySpread) ScoreNodes(state *framework.CycleState, _ *framework.PodInfo, nodes []*framework.NodeInfo, scores []int64) *framework.Status {
	s, st := pl.preScoreState(state)
	if st != nil {
		return st
	}
	for i, n := range nodes {
		scores[i] = s.score(n.Slot)
	}
	return nil
}

func (s *preScoreState) score(slot int32) int64 {
	if s.ignored[slot] {
		return 0
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		d := c.topo.Domain[slot]
		if d == 0 {
			continue
		}
		if c.isHost {
			score += float64(c.count(slot))*s.weights[i] + s.skew[i]
		} else {
			score += s.part[i][d] // the same sum, done once per domain
		}
	}
	return int64(math.Round(score))
}

// ScoreExtensions returns the plugin itself.
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps the scores onto 0-100, fewest matching pods best: 100 × (max + min −
// score) / max over the scored nodes, all 100 when max is 0, and 0 for ignored nodes
// (upstream NormalizeScore).
func (pl *PodTopologySpread) NormalizeScore(state *framework.CycleState, _ *framework.PodInfo, nodes []*framework.NodeInfo, scores []int64) *framework.Status {
	s, st := pl.preScoreState(state)
	if st != nil {
		return st
	}
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i, n := range nodes {
		if s.ignored[n.Slot] {
			continue
		}
		minScore = min(minScore, scores[i])
		maxScore = max(maxScore, scores[i])
	}
	var memo helper.Memo
	for i, n := range nodes {
		switch {
		case s.ignored[n.Slot]:
			scores[i] = 0
		case maxScore == 0:
			scores[i] = framework.MaxNodeScore
		default:
			if v, ok := memo.Get(scores[i]); ok {
				scores[i] = v
				continue
			}
			v := framework.MaxNodeScore * (maxScore + minScore - scores[i]) / maxScore
			memo.Put(scores[i], v)
			scores[i] = v
		}
	}
	return nil
}
