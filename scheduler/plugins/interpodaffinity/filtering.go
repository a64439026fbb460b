package interpodaffinity

import (
	"fmt"

	"ksim.dev/ksim/scheduler/framework"
)

// preFilterState is what Filter reads (upstream's preFilterState with the fast path off).
type preFilterState struct {
	affinity     []framework.AffinityTerm // the pod's required affinity terms
	affinityTopo []*framework.Topology
	anti         []framework.AffinityTerm // its required anti-affinity terms
	antiTopo     []*framework.Topology

	// affinityCounts: pods matching all affinity terms, per domain of each term's key;
	// affinityEmpty when there is none on a node with one of the keys.
	affinityCounts domainCounts
	affinityEmpty  bool
	// selfMatch: the pod matches all its own affinity terms.
	selfMatch bool
	// antiCounts: pods matching each anti-affinity term, per domain of its key.
	antiCounts domainCounts
	// existing: existing pods whose required anti-affinity terms match the pod, per domain of
	// the term's key.
	existing     domainCounts
	existingTopo []*framework.Topology

	// The rows of the counts for affinityTopo, antiTopo and existingTopo, in their order.
	affinityRows, antiRows, existingRows [][]int64

	// The cycle the state belongs to, so that Filter can find it without a lookup.
	cs    *framework.CycleState
	cycle uint64
}

// PreFilter parses the pod's terms (a term that does not parse makes the pod unschedulable,
// as upstream) and counts, per topology domain, the pods that match its required terms and
// the existing pods whose required anti-affinity terms match it. It skips the Filter when the
// pod has no required terms and no existing pod's anti-affinity matches it.
// O(domains × terms + distinct terms of existing pods), from the counts' sums per domain.
func (pl *InterPodAffinity) PreFilter(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	c := state.Cluster()
	if c == nil {
		return nil, framework.AsStatus(errNoCluster)
	}
	pa := pl.parsed(state, c, pod.Pod)
	if pa.Err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod: %+v", pa.Err))
	}
	s := &pl.filter
	s.affinity, s.anti = pa.RequiredAffinity, pa.RequiredAntiAffinity
	s.affinityTopo, s.antiTopo, s.existingTopo = s.affinityTopo[:0], s.antiTopo[:0], s.existingTopo[:0]
	s.affinityCounts.reset()
	s.antiCounts.reset()
	s.existing.reset()
	s.affinityEmpty, s.selfMatch = true, false

	// Existing pods' required anti-affinity terms that match the pod.
	nsLabels := c.NamespaceLabels(pod.Pod.Namespace)
	existingAny := false
	for _, g := range c.Groups() {
		if g.Kind != framework.RequiredAntiAffinity || !g.Term.Matches(pod.Pod, nsLabels) {
			continue
		}
		topo := c.Topology(g.Term.TopologyKey)
		if s.existing.add(topo, g.DomainSums(c, topo), 1) {
			existingAny = true
			if !containsTopo(s.existingTopo, topo) {
				s.existingTopo = append(s.existingTopo, topo)
			}
		}
	}
	if len(s.affinity) == 0 && len(s.anti) == 0 && !existingAny {
		return nil, statusSkip
	}

	t := pl.template(c, pa)
	if len(s.affinity) > 0 {
		for i := range s.affinity {
			topo := c.Topology(s.affinity[i].TopologyKey)
			s.affinityTopo = append(s.affinityTopo, topo)
			if s.affinityCounts.add(topo, t.affinity.DomainSums(c, topo), 1) {
				s.affinityEmpty = false
			}
		}
		s.selfMatch = t.affinitySel.Matches(pod.Pod, c.NamespaceLabels)
	}
	for i := range s.anti {
		topo := c.Topology(s.anti[i].TopologyKey)
		s.antiTopo = append(s.antiTopo, topo)
		s.antiCounts.add(topo, t.anti[i].DomainSums(c, topo), 1)
	}
	s.affinityRows = s.affinityCounts.rowsOf(s.affinityRows[:0], s.affinityTopo)
	s.antiRows = s.antiCounts.rowsOf(s.antiRows[:0], s.antiTopo)
	s.existingRows = s.existing.rowsOf(s.existingRows[:0], s.existingTopo)
	s.cs, s.cycle = state, state.Cycle()
	return nil, nil
}

func containsTopo(list []*framework.Topology, t *framework.Topology) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}

// Filter checks the pod's affinity, its anti-affinity and existing pods' anti-affinity, in
// upstream's order. O(terms), no allocation.
func (pl *InterPodAffinity) Filter(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	s, st := pl.preFilterState(state)
	if st != nil {
		return st
	}
	return s.verdict(node.Slot)
}

// FilterSlots is Filter on every node at once.
func (pl *InterPodAffinity) FilterSlots(state *framework.CycleState, _ *framework.PodInfo, slots []int32, out []*framework.Status) {
	s, st := pl.preFilterState(state)
	if st != nil {
		for i := range slots {
			out[i] = st
		}
		return
	}
	if len(s.affinity) > 0 {
		for i, slot := range slots {
			out[i] = s.verdict(slot)
		}
		return
	}
	// Without affinity terms the verdict is the first anti-affinity row, then the first
	// existing-pods row, that counts a pod in the node's domain: go row by row.
	clear(out[:len(slots)])
	for k, topo := range s.antiTopo {
		dom, row := topo.Domain, s.antiRows[k]
		for i, slot := range slots {
			if d := dom[slot]; d != 0 && row[d] > 0 {
				out[i] = statusAntiAffinity
			}
		}
	}
	for k, topo := range s.existingTopo {
		dom, row := topo.Domain, s.existingRows[k]
		for i, slot := range slots {
			if d := dom[slot]; d != 0 && row[d] > 0 && out[i] == nil {
				out[i] = statusExisting
			}
		}
	}
}

func (pl *InterPodAffinity) preFilterState(state *framework.CycleState) (*preFilterState, *framework.Status) {
	if s := &pl.filter; s.cs == state && s.cycle == state.Cycle() {
		return s, nil
	}
	// The state is the plugin's own, stamped with the cycle that computed it: another cycle's
	// PreFilter (or none) left nothing this one may use.
	return nil, framework.AsStatus(errNoPreFilter)
}

func (s *preFilterState) verdict(slot int32) *framework.Status {
	if len(s.affinity) > 0 {
		podsExist := true
		for k, topo := range s.affinityTopo {
			d := topo.Domain[slot]
			if d == 0 {
				// Every topology label must exist on the node, even for self-affinity.
				return statusAffinity
			}
			if s.affinityRows[k][d] <= 0 {
				podsExist = false
			}
		}
		if !podsExist && !(s.affinityEmpty && s.selfMatch) {
			return statusAffinity
		}
	}
	for k, topo := range s.antiTopo {
		if d := topo.Domain[slot]; d != 0 && s.antiRows[k][d] > 0 {
			return statusAntiAffinity
		}
	}
	for k, topo := range s.existingTopo {
		if d := topo.Domain[slot]; d != 0 && s.existingRows[k][d] > 0 {
			return statusExisting
		}
	}
	return nil
}
