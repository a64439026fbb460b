package podtopologyspread

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

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

	present [][]bool // scratch: domains seen among eligible nodes
}

// PreFilter counts, per hard constraint, the matching pods in every domain of the eligible
// nodes (all nodes, not only the candidates, as upstream). A pod without hard constraints
// skips the Filter. O(nodes × constraints), no pass over pods.
func (pl *PodTopologySpread) PreFilter(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	c := state.Cluster()
	if c == nil {
		return nil, framework.AsStatus(errNoCluster)
	}
	cs, err := pl.constraints(c, pod.Pod, corev1.DoNotSchedule)
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	if len(cs) == 0 {
		return nil, statusSkip
	}
	index(c, pod.Pod.Namespace, cs)
	s := &pl.filter
	s.constraints = cs
	s.counts = sizeRows(s.counts, cs, 1)
	s.present = sizeRows(s.present, cs, 1)
	s.minMatch = append(s.minMatch[:0], make([]int32, len(cs))...)
	s.selfMatch = append(s.selfMatch[:0], make([]int32, len(cs))...)

	in := newInclusion(pod.Pod, pl.fts)
	for slot, ni := range c.Slots() {
		if ni == nil || !hasAllKeys(cs, int32(slot)) {
			continue
		}
		node := ni.Node()
		if !pl.fts.EnableNodeInclusionPolicyInPodTopologySpread && in.hasAffinity && !in.affinity.Match(node) {
			continue
		}
		for i := range cs {
			if pl.fts.EnableNodeInclusionPolicyInPodTopologySpread && !in.includes(&cs[i], node) {
				continue
			}
			d := cs[i].topo.Domain[slot]
			s.counts[i][d] += cs[i].count(int32(slot))
			s.present[i][d] = true
		}
	}
	podLabels := labels.Set(pod.Pod.Labels)
	for i := range cs {
		minNum, domains := int32(math.MaxInt32), int32(0)
		for d, ok := range s.present[i] {
			if ok {
				domains++
				minNum = min(minNum, s.counts[i][d])
			}
		}
		if domains < cs[i].MinDomains {
			minNum = 0
		}
		s.minMatch[i] = minNum
		if cs[i].Selector.Matches(podLabels) {
			s.selfMatch[i] = 1
		}
	}
	state.Write(preFilterStateKey, s)
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
	v, ok := state.Read(preFilterStateKey)
	if !ok {
		return framework.AsStatus(errNoPreFilter)
	}
	s := v.(*preFilterState)
	for i := range s.constraints {
		c := &s.constraints[i]
		d := c.topo.Domain[node.Slot]
		if d == 0 {
			return statusMissingLabel
		}
		if s.counts[i][d]+s.selfMatch[i]-s.minMatch[i] > c.MaxSkew {
			return statusSkew
		}
	}
	return nil
}
