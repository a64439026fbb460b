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
// filter in batches: the nodes are taken in chunks, in the same rotating order from start; each
// node's cached local verdict comes first, the batch filters judge at once the nodes whose
// verdict they can still change (those no local filter before them rejected), and each node's
// verdict is, as in runFilters, the first plugin in profile order that rejects it. The same
// nodes are looked at, and the search stops at the same node, as with runFilters; a batch
// filter may have judged a few nodes of the last chunk that the search did not reach, which
// changes nothing (filters are pure).
func (s *Scheduler) findBatched(pi *framework.PodInfo, nodes []*framework.NodeInfo, numToFind, start int) (int, *framework.Status) {
	e := s.entry
	active := s.active[:0] // indexes in profile.filter of the batch filters that run
	for _, i := range e.locals.nonLocalFilters {
		if !s.skipFilter[i] {
			active = append(active, i)
		}
	}
	s.active = active
	for len(s.batchSt) < len(active) {
		s.batchSt = append(s.batchSt, make([]*framework.Status, batchChunk))
	}
	first := int32(active[0])
	n := len(nodes)
	cand, failOf := s.candSlots, e.failOf
	idx := start
	for done := 0; done < n; {
		m := min(batchChunk, n-done)
		// The slots the batch filters must judge: those no local filter before them rejected.
		judge := s.chunkSlots[:0]
		at := idx
		for range m {
			slot := cand[at]
			if f := failOf[slot]; f < 0 || f > first {
				judge = append(judge, slot)
			}
			if at++; at == n {
				at = 0
			}
		}
		s.chunkSlots = judge
		for k, i := range active {
			s.prof.filter[i].(framework.BatchFilter).FilterSlots(s.state, pi, judge, s.batchSt[k][:len(judge)])
		}
		j := 0 // the next entry of judge
		for range m {
			p := idx
			if idx++; idx == n {
				idx = 0
			}
			slot := cand[p]
			plugin := int(failOf[slot])
			var st *framework.Status // nil: the local filter's status, looked up if needed
			if plugin < 0 || plugin > int(first) {
				for k, i := range active {
					if plugin >= 0 && i > plugin {
						break
					}
					if b := s.batchSt[k][j]; b != nil && !b.IsSuccess() {
						plugin, st = i, b
						break
					}
				}
				j++
			}
			if plugin >= 0 && st == nil {
				st = e.slots[slot].failSt
			}
			switch {
			case plugin < 0:
				if len(s.feasible) == numToFind {
					return numToFind, nil
				}
				s.addFeasible(nodes[p], slot)
			case st.IsRejected():
				s.addFailed(nodes[p], st, plugin)
			default:
				return numToFind, framework.AsStatus(fmt.Errorf("running %q filter plugin: %w", s.prof.filter[plugin].Name(), st.AsError()))
			}
		}
		done += m
	}
	return numToFind, nil
}
