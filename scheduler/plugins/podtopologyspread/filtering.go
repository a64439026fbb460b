package podtopologyspread

import (
	"math"

	"ksim.dev/ksim/scheduler/framework"
)

// preFilterState is what Filter reads: per hard constraint, the matching pods per domain over
// the eligible nodes and the global minimum (upstream's TpValueToMatchNum and CriticalPaths).
type preFilterState struct {
	constraints []constraint
	// counts[i][d] is the number of matching pods in domain d of constraint i's topology,
	// over eligible nodes.
	counts [][]int32
	// minMatch[i] is the smallest count over constraint i's eligible domains, or 0 when they
	// are fewer than minDomains.
	minMatch []int32
	// selfMatch[i] is 1 when the pod matches constraint i's selector.
	selfMatch []int32

	// The cycle the state belongs to (framework.CycleState.Cycle), so that Filter can find it
	// without a lookup.
	cs    *framework.CycleState
	cycle uint64
}

// PreFilter counts, per hard constraint, the matching pods in every domain of the eligible
// nodes (all nodes, not only the candidates, as upstream). A pod without hard constraints
// skips the Filter. Which nodes are eligible, and so which domains count, is kept per template
// until a node changes (template.eligibility); the counts come from the nodes that hold
// matching pods: O(domains) per constraint from the counter's sums per domain when every node
// is eligible, O(nodes) array reads otherwise; no pass over pods.
func (pl *PodTopologySpread) PreFilter(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	c := state.Cluster()
	if c == nil {
		return nil, framework.AsStatus(errNoCluster)
	}
	t := pl.cycleTemplate(state, c, pod.Pod)
	if t.hardErr != nil {
		return nil, framework.AsStatus(t.hardErr)
	}
	cs := t.hard
	if len(cs) == 0 {
		return nil, statusSkip
	}
	el := t.eligibility(c, &t.hardElig, cs, true, pl.fts)
	s := &pl.filter
	s.constraints = cs
	s.counts = sizeRows(s.counts, cs, 1)
	s.minMatch = append(s.minMatch[:0], make([]int32, len(cs))...)
	s.selfMatch = t.selfMatch
	for i := range cs {
		counts := s.counts[i]
		var nonZero int32 // eligible domains that hold a matching pod
		switch {
		case cs[i].counter != nil && el.allOK[i]:
			// Every node counts: the counter's sums per domain, kept as pods come and go.
			for d, n := range cs[i].counter.DomainSums(c, cs[i].topo) {
				if n != 0 {
					nonZero++
					counts[d] = int32(n)
				}
			}
		case cs[i].counter != nil:
			domain, ok := cs[i].topo.Domain, el.ok[i]
			for slot, n := range cs[i].counter.PerNode {
				if n == 0 || !ok[slot] {
					continue
				}
				d := domain[slot]
				if counts[d] == 0 {
					nonZero++
				}
				counts[d] += n
			}
		}
		minNum := int32(math.MaxInt32)
		switch {
		case el.numPresent[i] < cs[i].MinDomains:
			minNum = 0
		case nonZero < el.numPresent[i]:
			minNum = 0 // an eligible domain holds none
		default:
			for d, ok := range el.present[i] {
				if ok {
					minNum = min(minNum, counts[d])
				}
			}
		}
		s.minMatch[i] = minNum
	}
	s.cs, s.cycle = state, state.Cycle()
	return nil, nil
}

// sizeRows returns rows, one per constraint, each zeroed and long enough for every domain of
// the constraint's topology plus extra.
func sizeRows[T any](rows [][]T, cs []constraint, extra int) [][]T {
	for len(rows) < len(cs) {
		rows = append(rows, nil)
	}
	rows = rows[:len(cs)]
	for i := range cs {
		n := cs[i].topo.NumDomains() + 1 + extra
		if cap(rows[i]) < n {
			rows[i] = make([]T, n)
		} else {
			rows[i] = rows[i][:n]
			clear(rows[i])
		}
	}
	return rows
}

// Filter checks every hard constraint's skew on the node (upstream Filter). O(constraints),
// no allocation.
func (pl *PodTopologySpread) Filter(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	s, st := pl.preFilterState(state)
	if st != nil {
		return st
	}
	return s.verdict(node.Slot)
}

// FilterSlots is Filter on every node at once.
func (pl *PodTopologySpread) FilterSlots(state *framework.CycleState, _ *framework.PodInfo, slots []int32, out []*framework.Status) {
	s, st := pl.preFilterState(state)
	for i, slot := range slots {
		if st != nil {
			out[i] = st
			continue
		}
		out[i] = s.verdict(slot)
	}
}

func (pl *PodTopologySpread) preFilterState(state *framework.CycleState) (*preFilterState, *framework.Status) {
	if s := &pl.filter; s.cs == state && s.cycle == state.Cycle() {
		return s, nil
	}
	// The state is the plugin's own, stamped with the cycle that computed it: another cycle's
	// PreFilter (or none) left nothing this one may use.
	return nil, framework.AsStatus(errNoPreFilter)
}

func (s *preFilterState) verdict(slot int32) *framework.Status {
	for i := range s.constraints {
		c := &s.constraints[i]
		d := c.topo.Domain[slot]
		if d == 0 {
			return statusMissingLabel
		}
		if s.counts[i][d]+s.selfMatch[i]-s.minMatch[i] > c.MaxSkew {
			return statusSkew
		}
	}
	return nil
}
