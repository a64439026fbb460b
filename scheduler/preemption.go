package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins"
	"ksim.dev/ksim/scheduler/plugins/defaultpreemption"
)

// This file holds what kube-scheduler does around the filter and score phases when a pod fits
// nowhere: the record of which plugins rejected it (the queue requeues it on their events), the
// PostFilter plugins (DefaultPreemption), and the pods nominated to nodes by earlier
// preemptions, which pods of no higher priority must leave room for
// (RunFilterPluginsWithNominatedPods).

// postFilterState is the Scheduler's part for PostFilter and nominated pods: the PostFilter
// plugins of each profile, and the diagnosis of the current cycle.
type postFilterState struct {
	postFilters [][]framework.PostFilterPlugin // by profile, in s.profiles order

	snap *Snapshot
	pi   *framework.PodInfo
	all  []*framework.NodeInfo
	// reached is set once the cycle ran PreFilter (the pod had a profile, the snapshot nodes);
	// preFilterSt is PreFilter's verdict, restricting the plugins that narrowed the nodes, and
	// rejector the PreFilter plugin that rejected the pod.
	reached     bool
	preFilterSt *framework.Status
	restricting []string
	rejector    string
	// rerunning is set while a dry run re-runs PreFilter, which must not touch the diagnosis.
	rerunning bool
	// nominations is set when some other pod of at least the pod's priority is nominated to a
	// node: the filters then count it there.
	nominations bool
	// bySlot is the storage of postFilterHandle.bySlot; rejecting is unschedulablePlugins'
	// scratch, by index in the profile's filters.
	bySlot    []*framework.Status
	rejecting []bool
	handle    postFilterHandle
}

// addProfile builds the PostFilter plugins p lists, each with its args; plugins ksim does not
// implement are left out, as at the other extension points.
func (pf *postFilterState) addProfile(p Profile, reg plugins.Registry, fts framework.Features) error {
	var out []framework.PostFilterPlugin
	for _, name := range p.PostFilter {
		factory, ok := reg[name]
		if !ok {
			continue // upstream's, not implemented here (DynamicResources)
		}
		pl, err := factory(p.Args[name], fts)
		if err != nil {
			return fmt.Errorf("scheduler: profile %q: plugin %q: %w", p.SchedulerName, name, err)
		}
		if x, ok := pl.(framework.PostFilterPlugin); ok {
			out = append(out, x)
		}
	}
	pf.postFilters = append(pf.postFilters, out)
	return nil
}

// begin starts a cycle for pod on snap.
func (pf *postFilterState) begin(snap *Snapshot, pod *corev1.Pod) {
	// The scratch storage (bySlot, rejecting) is kept from cycle to cycle.
	*pf = postFilterState{postFilters: pf.postFilters, restricting: pf.restricting[:0], snap: snap,
		bySlot: pf.bySlot, rejecting: pf.rejecting}
	pf.nominations = snap.nominated.anyFor(pod)
}

// preFilterDone records what PreFilter concluded (called by schedule).
func (pf *postFilterState) preFilterDone(pi *framework.PodInfo, all []*framework.NodeInfo, st *framework.Status, restricting []string) {
	if pf.rerunning {
		return
	}
	pf.reached, pf.pi, pf.all, pf.preFilterSt = true, pi, all, st
	pf.restricting = append(pf.restricting[:0], restricting...)
}

// rejectedBy records the PreFilter plugin that rejected the pod (called by runPreFilter).
func (pf *postFilterState) rejectedBy(plugin string) {
	if !pf.rerunning {
		pf.rejector = plugin
	}
}

// Schedule chooses a node for pod on snap, as kube-scheduler v1.37's scheduling cycle does
// without preemption: PreFilter; the pod's nominated node first, if it has one; Filter over the
// candidates from the rotating start index until enough feasible nodes are found (as upstream
// with one filter goroutine), counting on each node the pods nominated to it (NominatePod) of at
// least the pod's priority; then, with two or more feasible nodes, PreScore, Score,
// NormalizeScore, weights, and the highest total. It does not change snap; the caller binds the
// pod with snap.AddPod. pod must not be modified during the call. When no node fits,
// Result.UnschedulablePlugins names the plugins that rejected it.
//
// Cost: O(candidates × filter cost + feasible × score cost); with explain false it allocates
// per pod (requests, compiled selectors) but not per node. A node with nominated pods costs two
// more PreFilter passes.
func (s *Scheduler) Schedule(snap *Snapshot, pod *corev1.Pod, explain bool) Result {
	s.pf.begin(snap, pod)
	r := s.schedule(snap, pod, explain)
	if r.Node == "" && r.Err == nil && s.pf.reached {
		r.UnschedulablePlugins = s.unschedulablePlugins()
	}
	return r
}

// unschedulablePlugins is upstream's Diagnosis.UnschedulablePlugins of the cycle that just
// failed: the PreFilter plugin that rejected the pod, or the plugins that narrowed the nodes
// and those that rejected a node; sorted.
//
// Cost: O(rejected nodes), allocating only the result (the rejecting plugins are few however
// many nodes they rejected).
func (s *Scheduler) unschedulablePlugins() []string {
	pf := &s.pf
	out := slices.Clone(pf.restricting)
	if !pf.preFilterSt.IsSuccess() {
		if len(out) == 0 && pf.rejector != "" {
			out = append(out, pf.rejector)
		}
	} else {
		seen := pf.rejecting[:0]
		for range s.prof.filter {
			seen = append(seen, false)
		}
		pf.rejecting = seen
		for _, f := range s.failed {
			if f.plugin >= 0 && f.plugin < len(seen) && !seen[f.plugin] {
				seen[f.plugin] = true
				out = append(out, s.prof.filter[f.plugin].Name())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ScheduleWithPreemption is Schedule followed, when no node fits, by the profile's PostFilter
// plugins as upstream's schedulingAlgorithm runs them (DefaultPreemption, when the profile
// enables it): Result.PostFilter then says what becomes of the pod's nomination and which pods
// to preempt, and the PostFilter's message is appended to Result.Reason as upstream's
// FitError.Error appends it. The Scheduler changes nothing in snap: the caller deletes the
// victims, sets the pod's status.nominatedNodeName (and calls snap.NominatePod), and retries the
// pod once the victims are gone. An attempt that fails for another reason than a fit (an error,
// no nodes) clears the nomination, as upstream; a pod no profile is for is left alone.
//
// Cost: Schedule's, plus on a fit error the dry run of preemption (see defaultpreemption).
func (s *Scheduler) ScheduleWithPreemption(snap *Snapshot, pod *corev1.Pod, explain bool) Result {
	r := s.Schedule(snap, pod, explain)
	if r.Node != "" || r.NoProfile {
		return r
	}
	clearNomination := &framework.PostFilterResult{Nominate: true}
	pfs := s.postFiltersOf(s.prof)
	if r.Err != nil || !s.pf.reached || len(pfs) == 0 {
		r.PostFilter = clearNomination
		return r
	}
	h := s.newPostFilterHandle()
	res, st := runPostFilterPlugins(pfs, s.state, s.pf.pi, h)
	h.restore()
	if msg := st.Message(); msg != "" {
		r.Reason += " " + msg
	}
	if !st.IsSuccess() && !st.IsRejected() {
		// An internal error in PostFilter: upstream logs it and keeps the nomination.
		return r
	}
	r.PostFilter = res
	return r
}

// runPostFilterPlugins is upstream's RunPostFilterPlugins: the first plugin that succeeds or
// says UnschedulableAndUnresolvable decides; an error stops; otherwise the last meaningful result
// stands and the reasons of all are joined.
func runPostFilterPlugins(pfs []framework.PostFilterPlugin, state *framework.CycleState, pi *framework.PodInfo, h framework.PostFilterHandle) (*framework.PostFilterResult, *framework.Status) {
	var result *framework.PostFilterResult
	var reasons []string
	for _, pl := range pfs {
		r, st := pl.PostFilter(state, pi, h)
		switch {
		case st.IsSuccess(), st.Code() == framework.UnschedulableAndUnresolvable:
			return r, st
		case !st.IsRejected():
			return nil, framework.AsStatus(st.AsError())
		}
		if r != nil && r.Nominate {
			result = r
		}
		reasons = append(reasons, st.Reasons()...)
	}
	return result, framework.NewStatus(framework.Unschedulable, reasons...)
}

// postFiltersOf returns the PostFilter plugins of p.
func (s *Scheduler) postFiltersOf(p *profile) []framework.PostFilterPlugin {
	for i, q := range s.profiles {
		if q == p && i < len(s.pf.postFilters) {
			return s.pf.postFilters[i]
		}
	}
	return nil
}

// PreemptionCandidates runs pod's scheduling cycle on snap and, when no node fits and the pod's
// profile enables DefaultPreemption, the plugin's dry run from offset (into the list of nodes
// the filters rejected with Unschedulable, in snapshot order) looking for numCandidates
// candidates (0: the args' rule). It returns the candidates in the order DefaultPreemption
// ranks them before choosing (those without PDB violations first) and the one it chooses; nil
// when the pod fits or preemption is not tried. The pod's eligibility (preemptionPolicy, a
// terminating victim) is not checked. It changes nothing in snap but, like Schedule, moves the
// rotating start index. For differential tests and explanations.
func (s *Scheduler) PreemptionCandidates(snap *Snapshot, pod *corev1.Pod, offset, numCandidates int32) ([]defaultpreemption.Candidate, *defaultpreemption.Candidate, error) {
	r := s.Schedule(snap, pod, false)
	if r.Node != "" || r.NoProfile || r.Err != nil || !s.pf.reached {
		return nil, nil, r.Err
	}
	var dp *defaultpreemption.DefaultPreemption
	for _, pl := range s.postFiltersOf(s.prof) {
		if x, ok := pl.(*defaultpreemption.DefaultPreemption); ok {
			dp = x
		}
	}
	if dp == nil {
		return nil, nil, nil
	}
	h := s.newPostFilterHandle()
	defer h.restore()
	cands, _, err := dp.FindCandidates(h, s.pf.pi, offset, numCandidates)
	return cands, defaultpreemption.SelectCandidate(cands), err
}

// ---- the handle

// postFilterHandle is the framework.PostFilterHandle of one PostFilter call.
type postFilterHandle struct {
	s *Scheduler
	// bySlot holds the verdict on each node the filters rejected, by node slot (nil for the
	// others); the storage is the scheduler's, reused from call to call.
	bySlot []*framework.Status
	absent *framework.Status
	// dirty is set when pods were moved since PreFilter last ran: it runs again before the
	// next Filter, so that plugins counting pods (inter-pod affinity, topology spreading) see
	// the node as it is.
	dirty bool
}

// statusNotLookedAt is the verdict on the nodes the filters did not look at, unless PreFilter
// says otherwise. Statuses are never modified, so one serves every cycle.
var statusNotLookedAt = framework.NewStatus(framework.UnschedulableAndUnresolvable)

// newPostFilterHandle returns the handle of a PostFilter call, valid until the next one (the
// storage is the scheduler's).
func (s *Scheduler) newPostFilterHandle() *postFilterHandle {
	pf := &s.pf
	slots := len(pf.snap.cluster.Slots())
	if cap(pf.bySlot) < slots {
		pf.bySlot = make([]*framework.Status, slots)
	}
	pf.bySlot = pf.bySlot[:slots]
	clear(pf.bySlot)
	h := &pf.handle
	*h = postFilterHandle{s: s, bySlot: pf.bySlot, absent: statusNotLookedAt}
	switch {
	case !pf.preFilterSt.IsSuccess():
		// upstream: every node gets PreFilter's status.
		h.absent = pf.preFilterSt
	default:
		if len(pf.restricting) > 0 {
			h.absent = framework.NewStatus(framework.UnschedulableAndUnresolvable,
				fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", pf.restricting))
		}
		for _, f := range s.failed {
			h.bySlot[f.node.Slot] = f.status
		}
	}
	return h
}

// restore re-runs PreFilter if the dry run left it stale, so that the cycle's state is the
// cluster's again.
func (h *postFilterHandle) restore() {
	if h.dirty {
		h.s.rerunPreFilter(h.s.pf.pi)
		h.dirty = false
	}
}

func (h *postFilterHandle) Nodes() []*framework.NodeInfo { return h.s.pf.all }

func (h *postFilterHandle) NodeStatus(node *framework.NodeInfo) *framework.Status {
	if st := h.bySlot[node.Slot]; st != nil {
		return st
	}
	return h.absent
}

func (h *postFilterHandle) NominatedPods(node string) []*framework.PodInfo {
	return h.s.pf.snap.nominated.byNode[node]
}

func (h *postFilterHandle) RemovePod(node *framework.NodeInfo, pod *framework.PodInfo) {
	h.s.pf.snap.cluster.RemovePod(node, pod)
	h.dirty = true
}

func (h *postFilterHandle) AddPod(node *framework.NodeInfo, pod *framework.PodInfo) {
	h.s.pf.snap.cluster.AddPod(node, pod)
	h.dirty = true
}

func (h *postFilterHandle) Filter(node *framework.NodeInfo) *framework.Status {
	s := h.s
	if h.dirty {
		h.dirty = false
		if st := s.rerunPreFilter(s.pf.pi); !st.IsSuccess() {
			return st
		}
	}
	st, _ := s.filterWithNominated(s.pf.pi, node)
	return st
}

func (h *postFilterHandle) PDBs() []*policyv1.PodDisruptionBudget { return h.s.pf.snap.pdbs.list() }

func (h *postFilterHandle) Int32N(n int32) int32 { return h.s.rng.Int32N(n) }

// ---- nominated pods in the filter phase

// rerunPreFilter runs the PreFilter plugins afresh on the cluster as it now stands, keeping the
// cycle's diagnosis, and returns their verdict.
func (s *Scheduler) rerunPreFilter(pi *framework.PodInfo) *framework.Status {
	s.pf.rerunning = true
	s.state.Reset()
	clear(s.skipFilter)
	_, st, _ := s.runPreFilter(pi, s.pf.all)
	s.pf.rerunning = false
	return st
}

// filterWithNominated is upstream's RunFilterPluginsWithNominatedPods: when pods of at least
// pi's priority are nominated to node, the filters run first with them on the node, and, if the
// pod passes, again without them (a nominated pod may end up elsewhere, and filters such as
// inter-pod affinity may pass only with it). It returns the verdict and the index of the filter
// that gave it (-1 when none did).
func (s *Scheduler) filterWithNominated(pi *framework.PodInfo, node *framework.NodeInfo) (*framework.Status, int) {
	var noms []*framework.PodInfo
	if s.pf.nominations {
		prio := corev1helpers.PodPriority(pi.Pod)
		for _, np := range s.pf.snap.nominated.byNode[node.Name()] {
			if np.Priority >= prio && np.Pod.UID != pi.Pod.UID {
				noms = append(noms, np)
			}
		}
	}
	if len(noms) == 0 {
		return s.runFilters(pi, node)
	}
	cl := s.pf.snap.cluster
	for _, np := range noms {
		cl.AddPod(node, np)
	}
	var st *framework.Status
	plugin := -1
	if pst := s.rerunPreFilter(pi); !pst.IsSuccess() {
		st = pst
	} else {
		st, plugin = s.runFilters(pi, node)
	}
	for i := len(noms) - 1; i >= 0; i-- {
		cl.RemovePod(node, noms[i])
	}
	s.rerunPreFilter(pi)
	if !st.IsSuccess() {
		return st, plugin
	}
	return s.runFilters(pi, node)
}

// findWithNominated is findNodesThatPassFilters's loop for a cycle in which other pods are
// nominated to nodes: every node goes through filterWithNominated.
func (s *Scheduler) findWithNominated(pi *framework.PodInfo, nodes []*framework.NodeInfo, numToFind, idx int) (int, *framework.Status) {
	n := len(nodes)
	for range n {
		node := nodes[idx]
		if idx++; idx == n {
			idx = 0
		}
		st, plugin := s.filterWithNominated(pi, node)
		switch {
		case st.IsSuccess():
			if len(s.feasible) == numToFind {
				return numToFind, nil
			}
			s.addFeasible(node, node.Slot)
		case st.IsRejected():
			s.addFailed(node, st, plugin)
		case plugin >= 0:
			return numToFind, framework.AsStatus(fmt.Errorf("running %q filter plugin: %w", s.prof.filter[plugin].Name(), st.AsError()))
		default:
			return numToFind, st
		}
	}
	return numToFind, nil
}
