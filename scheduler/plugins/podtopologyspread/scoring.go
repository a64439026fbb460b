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
	possible    []int
	// part[i][d] is count × weight + maxSkew − 1 of domain d, for the constraints that are not
	// per node (hostname); skew[i] is maxSkew − 1.
	part [][]float64
	skew []float64

	// The scores ScoreSlots last gave, with their minimum and maximum over scored nodes.
	scored             []int64
	minScore, maxScore int64
	acc                []float64 // ScoreSlots' sums

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
// without soft constraints. O(feasible nodes × constraints), plus O(nodes) per constraint
// whose eligible nodes are not all nodes (else its counter's sums per domain serve); no pass
// over pods.
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
	el := t.eligibility(c, &t.softElig, cs, requireAll, pl.fts)
	// Once every domain a constraint can have is seen, and when no node can be ignored, the
	// rest of the feasible nodes add nothing: stop early.
	mayIgnore := requireAll && !el.allKeys
	need := 0
	possible := s.possible[:0] // how many domains each constraint can have among nodes
	for i := range cs {
		n := cs[i].topo.NumDomains()
		if !requireAll && !el.allKeys && cs[i].topo.DomainOf("") == 0 {
			n++ // a node without the label counts in the empty value's own entry
		}
		possible = append(possible, n)
		if !cs[i].isHost {
			need++
		}
	}
	s.possible = possible
	for _, ni := range filtered {
		slot := ni.Slot
		if mayIgnore && !hasAllKeys(cs, slot) {
			s.ignored[slot] = true
			s.ignoredList = append(s.ignoredList, slot)
			continue
		}
		if need == 0 {
			if !mayIgnore {
				break
			}
			continue
		}
		for i := range cs {
			if cs[i].isHost {
				continue // counted per node in Score
			}
			if d := s.effectiveDomain(i, slot); !s.created[i][d] {
				s.created[i][d] = true
				s.topoSize[i]++
				if s.topoSize[i] == possible[i] {
					need-- // every domain the constraint can have is created
				}
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
	for i := range cs {
		if cs[i].counter == nil || cs[i].isHost {
			continue
		}
		ok, counts, created := el.ok[i], s.counts[i], s.created[i]
		if el.allOK[i] {
			// Every node counts: the counter's sums per domain, kept as pods come and go; the
			// nodes without the label count in the empty value's entry.
			sums := cs[i].counter.DomainSums(c, cs[i].topo)
			for d := 1; d < len(sums); d++ {
				if created[d] {
					counts[d] += sums[d]
				}
			}
			if e := s.emptyDomain[i]; sums[0] != 0 && created[e] {
				counts[e] += sums[0]
			}
			continue
		}
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
	return nil
}

// state returns the cycle's PreScore state.
func (pl *PodTopologySpread) preScoreState(state *framework.CycleState) (*preScoreState, *framework.Status) {
	if s := &pl.score; s.cs == state && s.cycle == state.Cycle() {
		return s, nil
	}
	// The state is the plugin's own, stamped with the cycle that computed it: another cycle's
	// PreFilter (or none) left nothing this one may use.
	return nil, framework.AsStatus(errNoPreScore)
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

// ScoreSlots is Score on every node at once.
func (pl *PodTopologySpread) ScoreSlots(state *framework.CycleState, _ *framework.PodInfo, slots []int32, scores []int64) *framework.Status {
	s, st := pl.preScoreState(state)
	if st != nil {
		return st
	}
	// Constraint by constraint into float sums, in score's order of addition.
	acc := s.acc[:0]
	if cap(acc) < len(slots) {
		acc = make([]float64, len(slots))
	}
	acc = acc[:len(slots)]
	clear(acc)
	s.acc = acc
	for i := range s.constraints {
		c := &s.constraints[i]
		dom := c.topo.Domain
		if !c.isHost {
			part := s.part[i]
			for j, slot := range slots {
				if d := dom[slot]; d != 0 {
					acc[j] += part[d]
				}
			}
			continue
		}
		w, skew := s.weights[i], s.skew[i]
		if c.counter == nil {
			for j, slot := range slots {
				if dom[slot] != 0 {
					acc[j] += skew // float64(0)*w + skew
				}
			}
			continue
		}
		per := c.counter.PerNode
		for j, slot := range slots {
			if dom[slot] != 0 {
				acc[j] += float64(per[slot])*w + skew
			}
		}
	}
	minScore, maxScore := int64(math.MaxInt64), int64(0)
	if len(s.ignoredList) == 0 {
		for j, a := range acc {
			v := int64(math.Round(a))
			scores[j] = v
			minScore, maxScore = min(minScore, v), max(maxScore, v)
		}
	} else {
		for j, slot := range slots {
			if s.ignored[slot] {
				scores[j] = 0
				continue
			}
			v := int64(math.Round(acc[j]))
			scores[j] = v
			minScore, maxScore = min(minScore, v), max(maxScore, v)
		}
	}
	s.minScore, s.maxScore, s.scored = minScore, maxScore, scores
	return nil
}

// NormalizeAndAdd is NormalizeScore, then adds weight × each score to totals, in one pass; it
// reuses the minimum and maximum ScoreSlots found when given the same scores.
func (pl *PodTopologySpread) NormalizeAndAdd(state *framework.CycleState, _ *framework.PodInfo, slots []int32, scores []int64, weight int64, totals []int64) *framework.Status {
	s, st := pl.preScoreState(state)
	if st != nil {
		return st
	}
	minScore, maxScore := s.minScore, s.maxScore
	if len(scores) == 0 || len(s.scored) != len(scores) || &s.scored[0] != &scores[0] {
		minScore, maxScore = math.MaxInt64, 0
		for i, slot := range slots {
			if !s.ignored[slot] {
				minScore, maxScore = min(minScore, scores[i]), max(maxScore, scores[i])
			}
		}
	}
	s.scored = nil
	var memo helper.Memo
	for i, slot := range slots {
		var v int64
		switch {
		case s.ignored[slot]:
		case maxScore == 0:
			v = framework.MaxNodeScore
		default:
			raw := scores[i]
			var ok bool
			if v, ok = memo.Get(raw); !ok {
				v = framework.MaxNodeScore * (maxScore + minScore - raw) / maxScore
				memo.Put(raw, v)
			}
		}
		scores[i] = v
		totals[i] += v * weight
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
