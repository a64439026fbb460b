package scheduler

import (
	"fmt"

	"ksim.dev/ksim/scheduler/framework"
)

// batchChunk is how many nodes findBatched gives the batch filters at once: large enough to
// amortise the calls, small enough that a search that stops early wastes little.
const batchChunk = 256

// batchable reports whether every filter that runs this cycle besides the cached local ones
// is a framework.BatchFilter.
func (s *Scheduler) batchable() bool {
	for _, i := range s.entry.locals.nonLocalFilters {
		if s.skipFilter[i] {
			continue
		}
		if _, ok := s.prof.filter[i].(framework.BatchFilter); !ok {
			return false
		}
	}
	return true
}

// findBatched is findNodesThatPassFilters's loop when the filters that are not node-local all
// filter in batches: the nodes are taken in chunks, in the same rotating order from start, the
// batch filters give their verdicts for a chunk at once, and each node's verdict is, as in
// runFilters, the first plugin in profile order that rejects it. The same nodes are looked at,
// and the search stops at the same node, as with runFilters; a batch filter may have judged a
// few nodes of the last chunk that the search did not reach, which changes nothing (filters
// are pure).
func (s *Scheduler) findBatched(pi *framework.PodInfo, nodes []*framework.NodeInfo, numToFind, start int) (int, *framework.Status) {
	e := s.entry
	var active []int // indexes in profile.filter of the batch filters that run
	for _, i := range e.locals.nonLocalFilters {
		if !s.skipFilter[i] {
			active = append(active, i)
		}
	}
	for len(s.batchSt) < len(active) {
		s.batchSt = append(s.batchSt, make([]*framework.Status, batchChunk))
	}
	n := len(nodes)
	idx := start
	gens := e.cluster.Gens()
	for done := 0; done < n; {
		m := min(batchChunk, n-done)
		chunk, chunkSlots := s.chunk[:0], s.chunkSlots[:0]
		for range m {
			chunk = append(chunk, nodes[idx])
			chunkSlots = append(chunkSlots, s.candSlots[idx])
			if idx++; idx == n {
				idx = 0
			}
		}
		s.chunk, s.chunkSlots = chunk, chunkSlots
		for k, i := range active {
			s.prof.filter[i].(framework.BatchFilter).FilterNodes(s.state, pi, chunk, s.batchSt[k][:m])
		}
		for j, node := range chunk {
			slot := chunkSlots[j]
			si := &e.slots[slot]
			if si.gen != gens[slot] {
				s.refresh(e, pi, node)
			}
			plugin := int(si.fail)
			st := si.failSt
			for k, i := range active {
				if plugin >= 0 && i > plugin {
					break
				}
				if b := s.batchSt[k][j]; !b.IsSuccess() {
					plugin, st = i, b
					break
				}
			}
			switch {
			case plugin < 0:
				if len(s.feasible) == numToFind {
					return numToFind, nil
				}
				s.addFeasible(node, slot)
			case st.IsRejected():
				s.addFailed(node, st, plugin)
			default:
				return numToFind, framework.AsStatus(fmt.Errorf("running %q filter plugin: %w", s.prof.filter[plugin].Name(), st.AsError()))
			}
		}
		done += m
	}
	return numToFind, nil
}
