package scheduler

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins"
	"ksim.dev/ksim/scheduler/plugins/helper"
)

// TieBreak selects how Schedule chooses among the nodes that share the highest total score.
type TieBreak int

const (
	// TieBreakRandom picks uniformly among the best nodes with the Scheduler's seeded random
	// stream, by reservoir sampling over the feasible nodes in filter order: the algorithm of
	// upstream's former selectHost, which drew from the global math/rand. The default.
	TieBreakRandom TieBreak = iota
	// TieBreakUpstreamHeap picks the node kube-scheduler v1.37 picks when its filters run on one
	// goroutine: v1.37 builds a max-heap (container/heap) over the scored nodes in filter order
	// with a tie-break field that stays 0 unless extenders score, and takes its root
	// (pkg/scheduler/framework/sorted_nodes.go). Deterministic, and not uniform among ties.
	// Upstream runs 16 filter goroutines, so its real order, and choice, vary from run to run.
	TieBreakUpstreamHeap
)

// Config selects the profiles. The zero value is upstream's default profile (restricted to the
// plugins ksim implements) with percentageOfNodesToScore 0 (adaptive) and random tie-breaks.
// ParseConfig returns the Config a KubeSchedulerConfiguration describes.
type Config struct {
	// PercentageOfNodesToScore is the share of nodes, 0 to 100, after which the search for
	// feasible nodes stops; 0 is upstream's adaptive default (50% − 1% per 125 nodes, at least
	// 5%), and never fewer than 100 nodes are looked for. A profile's own value overrides it.
	PercentageOfNodesToScore int32
	// TieBreak chooses among equally scored nodes.
	TieBreak TieBreak
	// Profiles are the scheduling profiles, each selected by the pods whose spec.schedulerName
	// is its SchedulerName. None means DefaultProfile() alone (default-scheduler).
	Profiles []Profile
	// IgnoreSchedulerName schedules every pod with the first profile, whatever its
	// spec.schedulerName (what `ksim place --config` does). Otherwise a pod whose
	// schedulerName matches no profile is not scheduled (Result.NoProfile), as kube-scheduler
	// leaves it to the scheduler it names.
	IgnoreSchedulerName bool
}

// Result is one scheduling decision.
type Result struct {
	// Node is the chosen node, or "" when the pod fits nowhere.
	Node string
	// Reason is kube-scheduler's FitError text when Node is "", e.g.
	// "0/12 nodes are available: 3 Insufficient cpu, 9 node(s) had untolerated taint(s)."
	// (with no PostFilter plugin run), or the error's text when Err is set.
	Reason string
	// Reasons counts nodes per failure reason (a node may count under several), sorted by
	// reason, when Node is "".
	Reasons []ReasonCount
	// Err is set when scheduling failed on an internal error, such as a pod whose preferred
	// node affinity does not parse, rather than for want of a node.
	Err error
	// Explanation is filled when Schedule is asked to explain.
	Explanation *Explanation
	// NoProfile is set when no profile is named by the pod's spec.schedulerName: ksim does not
	// schedule the pod, as kube-scheduler ignores pods meant for another scheduler. Reason says
	// so; Node is "".
	NoProfile bool
	// UnschedulablePlugins names, sorted, the plugins that rejected the pod when it fits nowhere
	// (upstream's Diagnosis.UnschedulablePlugins): the scheduling queue requeues the pod on the
	// cluster events these plugins register. Empty when the attempt failed for no plugin's
	// reason (Err, no nodes), which the queue retries after a backoff.
	UnschedulablePlugins []string
	// PostFilter is what ScheduleWithPreemption's PostFilter plugins (DefaultPreemption)
	// decided when the pod fits nowhere: the nomination to set and the pods to preempt; nil
	// when the pod's nomination stays as it is (see preemption.go).
	PostFilter *framework.PostFilterResult
}

// ReasonCount is how many nodes a filter rejected with Reason.
type ReasonCount struct {
	Reason string
	Nodes  int
}

// Explanation gives every node's filter verdicts and scores for one pod.
type Explanation struct {
	// PreFilterReason is why the pod was rejected before any node was filtered, if it was.
	PreFilterReason string `json:",omitempty"`
	// StartIndex is where in the candidate list filtering began (upstream's rotating
	// nextStartNodeIndex), and NumFeasibleToFind how many feasible nodes were looked for.
	StartIndex        int
	NumFeasibleToFind int
	Nodes             []NodeExplanation // in the snapshot's node order
}

// NodeExplanation is one node's verdicts and scores.
type NodeExplanation struct {
	Node     string
	Feasible bool
	// NotEvaluated says why the filters did not run on the node, when they did not.
	NotEvaluated string          `json:",omitempty"`
	Filters      []FilterVerdict // plugins run, in order; stops at the first rejection, as upstream
	Scores       []PluginScore   // for feasible, scored nodes
	Total        int64
	Chosen       bool `json:",omitempty"`
}

// FilterVerdict is one filter plugin's answer for one node.
type FilterVerdict struct {
	Plugin  string
	Passed  bool
	Skipped bool     `json:",omitempty"` // PreFilter asked not to run it for this pod
	Reasons []string `json:",omitempty"`
}

// PluginScore is one score plugin's raw, normalised and weighted score for one node.
type PluginScore struct {
	Plugin     string
	Raw        int64
	Normalized int64
	Weight     int64
	Weighted   int64
}

// ErrNoNodesAvailable is the reason given when the snapshot has no nodes, upstream's text.
const ErrNoNodesAvailable = "no nodes available to schedule pods"

// Upstream's bounds on the feasible-node search (pkg/scheduler/schedule_one.go).
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// Scheduler places pods one at a time. It keeps upstream's rotating start index between calls
// and draws tie-breaks from its own random stream, so a sequence of calls is a pure function of
// the snapshots, the pods and the seed. Not safe for concurrent use.
type Scheduler struct {
	profiles            []*profile
	ignoreSchedulerName bool
	prof                *profile // the profile of the current cycle
	pct                 int32    // global percentageOfNodesToScore
	tieBreak            TieBreak
	rng                 *rand.Rand

	// nextStartNodeIndex is where the next filter pass starts in the candidate list.
	nextStartNodeIndex int

	// Per-cycle scratch, reused so that a cycle allocates nothing per node.
	state      *framework.CycleState
	skipFilter []bool
	skipScore  []bool
	candidates []*framework.NodeInfo
	feasible   []*framework.NodeInfo
	failed     []failure
	scores     [][]int64 // [score plugin][feasible node]
	raw        [][]int64 // copy of scores before normalising, when explaining
	totals     []int64
	heap       totalsHeap

	// cache keeps the node-local plugins' results per pod signature (template_cache.go);
	// entry is the current cycle's.
	cache      templateCache
	entry      *templateEntry
	active     []int                 // findBatched's batch filters
	chunkSlots []int32               // and their slots
	batchSt    [][]*framework.Status // findBatched's verdicts of a chunk, per batch filter
	// keepFailed says whether the filter pass lists rejected nodes in failed, or only counts
	// them in numFailed.
	keepFailed bool
	numFailed  int
	// feasibleSlots are the slots of feasible, for the score pass; candSlots those of the
	// filter pass's candidates.
	feasibleSlots []int32
	candSlots     []int32
	restricted    bool // the PreFilters restricted this cycle's candidates to some nodes
	explaining    bool // the cycle keeps every plugin's raw scores for the explanation

	pf postFilterState // PostFilter plugins and nominated pods (preemption.go)
}

type failure struct {
	node   *framework.NodeInfo
	status *framework.Status
	plugin int // index in prof.filter of the plugin that rejected the node
}

// New returns a Scheduler. rng must not be nil: it is the stream of tie-breaks.
func New(cfg Config, rng *rand.Rand) (*Scheduler, error) {
	if rng == nil {
		return nil, errors.New("scheduler: New: nil rng")
	}
	if cfg.PercentageOfNodesToScore < 0 || cfg.PercentageOfNodesToScore > 100 {
		return nil, fmt.Errorf("scheduler: percentageOfNodesToScore %d: must be between 0 and 100", cfg.PercentageOfNodesToScore)
	}
	if cfg.TieBreak != TieBreakRandom && cfg.TieBreak != TieBreakUpstreamHeap {
		return nil, fmt.Errorf("scheduler: unknown TieBreak %d", cfg.TieBreak)
	}
	profiles := cfg.Profiles
	if len(profiles) == 0 {
		profiles = []Profile{DefaultProfile()}
	}
	s := &Scheduler{
		ignoreSchedulerName: cfg.IgnoreSchedulerName,
		pct:                 cfg.PercentageOfNodesToScore,
		tieBreak:            cfg.TieBreak,
		rng:                 rng,
		state:               framework.NewCycleState(),
	}
	reg := plugins.NewInTreeRegistry()
	for _, p := range profiles {
		if slices.ContainsFunc(s.profiles, func(q *profile) bool { return q.name == p.SchedulerName }) {
			return nil, fmt.Errorf("scheduler: two profiles are named %q", p.SchedulerName)
		}
		prof, err := newProfile(p, reg, framework.DefaultFeatures())
		if err != nil {
			return nil, err
		}
		if err := s.pf.addProfile(p, reg, framework.DefaultFeatures()); err != nil {
			return nil, err
		}
		s.profiles = append(s.profiles, prof)
	}
	s.use(s.profiles[0])
	return s, nil
}

// schedule is Schedule's cycle (Schedule, in preemption.go, wraps it), as kube-scheduler
// v1.37's scheduling cycle does without preemption: PreFilter; the pod's nominated node first,
// if it has one; Filter over the
// candidates from the rotating start index until enough feasible nodes are found (as upstream
// with one filter goroutine); then, with two or more feasible nodes, PreScore, Score,
// NormalizeScore, weights, and the highest total. It does not change snap; the caller binds the
// pod with snap.AddPod. pod must not be modified during the call.
//
// Cost: O(candidates × filter cost + feasible × score cost); with explain false it allocates
// per pod (requests, compiled selectors) but not per node.
func (s *Scheduler) schedule(snap *Snapshot, pod *corev1.Pod, explain bool) Result {
	prof := s.profileFor(pod)
	if prof == nil {
		return s.noProfile(pod, explain)
	}
	s.use(prof)
	all := snap.nodeList()
	if len(all) == 0 {
		r := Result{Reason: ErrNoNodesAvailable}
		if explain {
			r.Explanation = &Explanation{}
		}
		return r
	}
	s.state.Reset()
	s.state.SetCluster(snap.cluster)
	clear(s.skipFilter)
	clear(s.skipScore)
	pi := framework.NewPodInfo(pod)
	s.entry = s.cache.enter(s.prof, pi, snap.cluster, all)
	s.explaining = explain
	var ex *Explanation
	if explain {
		ex = &Explanation{Nodes: make([]NodeExplanation, len(all))}
		for i, n := range all {
			ex.Nodes[i].Node = n.Name()
		}
	}

	pre, st, restricting := s.runPreFilter(pi, all)
	s.pf.preFilterDone(pi, all, st, restricting)
	if !st.IsSuccess() {
		if !st.IsRejected() {
			return errorResult(st, ex)
		}
		return s.preFilterRejected(len(all), st, ex)
	}
	candidates := all
	s.candSlots = snap.listSlots
	absent := ""
	s.restricted = !pre.AllNodes()
	if s.restricted {
		// Upstream walks the names in set (random) order; ksim keeps snapshot order.
		candidates = s.candidates[:0]
		for _, n := range all {
			if _, ok := pre.NodeNames[n.Name()]; ok {
				candidates = append(candidates, n)
			}
		}
		s.candidates = candidates
		s.candSlots = s.candSlots[:0:0]
		for _, n := range candidates {
			s.candSlots = append(s.candSlots, n.Slot)
		}
		absent = fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", restricting)
	}

	// A pod nominated to a node by an earlier preemption tries that node first, and takes it
	// unscored if it passes (upstream evaluateNominatedNode). If it fails, its verdict stays in
	// the diagnosis beside the full search's; an internal error there is only logged upstream.
	var nominated *failure
	if ni := snap.node(pod.Status.NominatedNodeName); ni != nil {
		st, plugin := s.filterWithNominated(pi, ni)
		if st.IsSuccess() {
			if ex != nil {
				s.feasible, s.failed = append(s.feasible[:0], ni), s.failed[:0]
				s.feasibleSlots = append(s.feasibleSlots[:0], ni.Slot)
				s.explainFilters(ex, all, "not evaluated: the pod's nominated node fits")
			}
			return s.chosen(ni, ex)
		}
		if st.IsRejected() {
			nominated = &failure{node: ni, status: st, plugin: plugin}
		}
	}

	start := s.nextStartNodeIndex
	// Rejected nodes are only counted unless something will read them: the explanation, the
	// nominated node's check, or the unschedulable message (then the pass runs again to list
	// them; filters are pure, so it finds the same).
	s.keepFailed = ex != nil || nominated != nil
	numToFind, errSt := s.findNodesThatPassFilters(pi, candidates)
	if len(s.feasible) == 0 && errSt == nil && !s.keepFailed {
		s.keepFailed = true
		numToFind, errSt = s.findNodesThatPassFilters(pi, candidates)
	}
	if nominated != nil && !slices.ContainsFunc(s.failed, func(f failure) bool { return f.node == nominated.node }) {
		s.failed = append(s.failed, *nominated)
	}
	// Upstream advances the start index by every node it looked at, even on error.
	s.nextStartNodeIndex = (s.nextStartNodeIndex + len(s.feasible) + len(s.failed) + s.numFailed) % len(all)
	if ex != nil {
		ex.StartIndex, ex.NumFeasibleToFind = start, numToFind
		notEvaluated := "not evaluated: enough feasible nodes were found first"
		if absent != "" {
			notEvaluated = "left out in PreFilter: " + absent
		}
		s.explainFilters(ex, all, notEvaluated)
	}
	if errSt != nil {
		return errorResult(errSt, ex)
	}

	switch len(s.feasible) {
	case 0:
		return s.fitError(len(all), absent, ex)
	case 1:
		// Upstream takes a lone feasible node without scoring it.
		return s.chosen(s.feasible[0], ex)
	}
	if errSt := s.prioritize(pi); errSt != nil {
		return errorResult(errSt, ex)
	}
	best := s.selectHost()
	if ex != nil {
		s.explainScores(ex, all)
	}
	return s.chosen(s.feasible[best], ex)
}

// runPreFilter runs the PreFilter plugins in order, as upstream's RunPreFilterPlugins: Skip
// disables the plugin's Filter, UnschedulableAndUnresolvable stops at once, Unschedulable is
// remembered while the others still run, and the node sets they return are intersected. It
// also returns the sorted names of the plugins that narrowed the nodes.
func (s *Scheduler) runPreFilter(pi *framework.PodInfo, all []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status, []string) {
	var result *framework.PreFilterResult
	var restricting []string
	var rejected *framework.Status
	for i, pl := range s.prof.preFilter {
		var r *framework.PreFilterResult
		var st *framework.Status
		if s.entry.locals.preFilter[i] {
			r, st = s.entry.preFilterRes[i], s.entry.preFilterSt[i] // run when the entry was built
		} else {
			r, st = pl.PreFilter(s.state, pi, all)
		}
		switch {
		case st.IsSkip():
			if j := s.prof.filterIndex[i]; j >= 0 {
				s.skipFilter[j] = true
			}
			continue
		case st.Code() == framework.UnschedulableAndUnresolvable:
			s.pf.rejectedBy(pl.Name())
			return nil, st, nil
		case st.Code() == framework.Unschedulable:
			s.pf.rejectedBy(pl.Name())
			rejected = st
			continue
		case !st.IsSuccess():
			return nil, framework.AsStatus(fmt.Errorf("running PreFilter plugin %q: %w", pl.Name(), st.AsError())), nil
		}
		if !r.AllNodes() {
			restricting = append(restricting, pl.Name())
			sort.Strings(restricting)
		}
		result = result.Merge(r)
		if !result.AllNodes() && len(result.NodeNames) == 0 {
			msg := fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", restricting)
			if len(restricting) == 1 {
				msg = fmt.Sprintf("node(s) didn't satisfy plugin %v", restricting[0])
			}
			return result, framework.NewStatus(framework.UnschedulableAndUnresolvable, msg), restricting
		}
	}
	return result, rejected, restricting
}

// numFeasibleNodesToFind is how many feasible nodes the filter pass looks for before stopping
// (upstream schedule_one.go numFeasibleNodesToFind).
func numFeasibleNodesToFind(percentage, numAllNodes int32) int32 {
	if numAllNodes < minFeasibleNodesToFind {
		return numAllNodes
	}
	if percentage == 0 {
		percentage = max(int32(50)-numAllNodes/125, minFeasibleNodesPercentageToFind)
	}
	return max(numAllNodes*percentage/100, minFeasibleNodesToFind)
}

// findNodesThatPassFilters fills s.feasible and s.failed, walking nodes from the start index.
// Upstream stops when one feasible node more than wanted is found (that one is dropped), so the
// rejected nodes met on the way still count as looked at; with one goroutine that is exactly
// this loop.
func (s *Scheduler) findNodesThatPassFilters(pi *framework.PodInfo, nodes []*framework.NodeInfo) (int, *framework.Status) {
	s.feasible, s.failed, s.feasibleSlots, s.numFailed = s.feasible[:0], s.failed[:0], s.feasibleSlots[:0], 0
	n := len(nodes)
	pct := s.pct
	if s.prof.pct != nil {
		pct = *s.prof.pct // upstream: the profile's value, when set, over the global one
	}
	numToFind := int(numFeasibleNodesToFind(pct, int32(n)))
	if len(s.prof.score) == 0 {
		numToFind = min(numToFind, 1) // nothing to rank them by
	}
	if len(s.prof.filter) == 0 {
		for i := range numToFind {
			node := nodes[(s.nextStartNodeIndex+i)%n]
			s.addFeasible(node, node.Slot)
		}
		return numToFind, nil
	}
	e := s.entry
	localOnly := true // no filter but the cached local ones runs this cycle
	for _, i := range e.locals.nonLocalFilters {
		if !s.skipFilter[i] {
			localOnly = false
		}
	}
	idx := 0
	if n > 0 {
		idx = s.nextStartNodeIndex % n
	}
	if s.pf.nominations {
		return s.findWithNominated(pi, nodes, numToFind, idx) // preemption.go
	}
	if s.restricted {
		s.refreshSlots(e, pi, s.candSlots) // only the candidates are looked at
	} else {
		s.sync(e, pi) // no node's cached local results are out of date after it
	}
	if !localOnly && s.batchable() {
		return s.findBatched(pi, nodes, numToFind, idx)
	}
	slots := s.candSlots
	for range n {
		node, slot := nodes[idx], slots[idx]
		if idx++; idx == n {
			idx = 0
		}
		if localOnly {
			// runFilters, inlined by hand for the common case: a few array reads a node.
			if e.failOf[slot] < 0 {
				if len(s.feasible) == numToFind {
					return numToFind, nil
				}
				s.addFeasible(node, slot)
				continue
			}
			if si := &e.slots[slot]; si.rejected {
				s.addFailed(node, si.failSt, int(si.fail))
				continue
			}
		}
		st, plugin := s.runFilters(pi, node)
		switch {
		case st.IsSuccess():
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
	return numToFind, nil
}

// addFeasible appends node, in slot, to the feasible nodes. The pointer is written only when
// the list's storage does not hold it there already (the same nodes come back cycle after
// cycle), which spares the garbage collector's write barrier.
func (s *Scheduler) addFeasible(node *framework.NodeInfo, slot int32) {
	if k := len(s.feasible); k < cap(s.feasible) {
		s.feasible = s.feasible[:k+1]
		if s.feasible[k] != node {
			s.feasible[k] = node
		}
	} else {
		s.feasible = append(s.feasible, node)
	}
	s.feasibleSlots = append(s.feasibleSlots, slot)
}

// addFailed appends a rejected node, as addFeasible.
func (s *Scheduler) addFailed(node *framework.NodeInfo, st *framework.Status, plugin int) {
	if !s.keepFailed {
		s.numFailed++
		return
	}
	f := failure{node: node, status: st, plugin: plugin}
	if k := len(s.failed); k < cap(s.failed) {
		s.failed = s.failed[:k+1]
		if s.failed[k] != f {
			s.failed[k] = f
		}
	} else {
		s.failed = append(s.failed, f)
	}
}

// runFilters runs the filter plugins on one node, stopping at the first that does not pass, as
// upstream's RunFilterPlugins. It returns that plugin's status and index. The node-local
// plugins' verdict comes from the template cache, recomputed only when the node changed; the
// others run before the first local plugin that rejects (any after it cannot change the
// verdict).
func (s *Scheduler) runFilters(pi *framework.PodInfo, node *framework.NodeInfo) (*framework.Status, int) {
	e := s.entry
	slot := node.Slot
	si := &e.slots[slot]
	if si.gen != node.Gen {
		s.refresh(e, pi, node)
	}
	localFail := int(si.fail)
	for _, i := range e.locals.nonLocalFilters {
		if localFail >= 0 && i > localFail {
			break
		}
		if s.skipFilter[i] {
			continue
		}
		if st := s.prof.filter[i].Filter(s.state, pi, node); !st.IsSuccess() {
			return st, i
		}
	}
	if localFail >= 0 {
		return si.failSt, localFail
	}
	return nil, -1
}

// prioritize scores s.feasible into s.totals, as upstream's prioritizeNodes without extenders:
// PreScore (Skip drops the plugin's Score), raw scores, NormalizeScore, a range check, weights.
func (s *Scheduler) prioritize(pi *framework.PodInfo) *framework.Status {
	for i, pl := range s.prof.preScore {
		var st *framework.Status
		if s.entry.locals.preScore[i] {
			st = s.entry.preScoreSt[i] // run when the entry was built
		} else {
			st = pl.PreScore(s.state, pi, s.feasible)
		}
		if st.IsSkip() {
			if j := s.prof.scoreIndex[i]; j >= 0 {
				s.skipScore[j] = true
			}
			continue
		}
		if !st.IsSuccess() {
			return framework.AsStatus(fmt.Errorf("running PreScore plugin %q: %w", pl.Name(), st.AsError()))
		}
	}
	n := len(s.feasible)
	s.totals = slices.Grow(s.totals[:0], n)[:n]
	clear(s.totals)
	// The local plugins that need no normalising are summed, weighted, when a node is
	// refreshed; unless explaining or a node's sum is not usable, that sum stands for them all.
	e := s.entry
	slots := s.feasibleSlots // kept beside feasible by the filter pass
	fused := !s.explaining && e.hasFixed
	if fused {
		fixedOf, totals := e.fixedOf, s.totals
		for i, slot := range slots {
			f := fixedOf[slot]
			if f == noFixed {
				fused = false
				clear(totals)
				break
			}
			totals[i] = f
		}
	}
	for p, pl := range s.prof.score {
		if s.skipScore[p] || (fused && e.inFixed[p]) {
			continue
		}
		if fused && e.locals.score[p] && s.addNormalized(p, pl) {
			continue
		}
		scores := slices.Grow(s.scores[p][:0], n)[:n]
		s.scores[p] = scores
		if e := s.entry; e.locals.score[p] {
			// Computed when the node's local filters passed (refresh).
			raw, errs := e.raw[p], e.scoreErr[p]
			for i, slot := range slots {
				if errs != nil && !errs[slot].IsSuccess() {
					return framework.AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), errs[slot].AsError()))
				}
				scores[i] = raw[slot]
			}
		} else if bs, ok := pl.(framework.BatchScorer); ok {
			if st := bs.ScoreSlots(s.state, pi, slots, scores); !st.IsSuccess() {
				return framework.AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
			}
		} else {
			for i, node := range s.feasible {
				v, st := pl.Score(s.state, pi, node)
				if !st.IsSuccess() {
					return framework.AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
				}
				scores[i] = v
			}
		}
		if s.explaining {
			s.raw[p] = append(s.raw[p][:0], scores...)
		}
		if ext := pl.ScoreExtensions(); ext != nil {
			if na, ok := ext.(framework.NormalizeAdder); ok {
				if st := na.NormalizeAndAdd(s.state, pi, slots, scores, s.prof.weights[p], s.totals); !st.IsSuccess() {
					return framework.AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
				}
				continue
			}
			if st := ext.NormalizeScore(s.state, pi, s.feasible, scores); !st.IsSuccess() {
				return framework.AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
			}
		}
		w := s.prof.weights[p]
		for i, v := range scores {
			if v > framework.MaxNodeScore || v < framework.MinNodeScore {
				return framework.AsStatus(fmt.Errorf("plugin %q returns an invalid score %v, it should in the range of [%v, %v] after normalizing",
					pl.Name(), v, framework.MinNodeScore, framework.MaxNodeScore))
			}
			s.totals[i] += v * w
		}
	}
	return nil
}

// addNormalized adds to the totals the weighted, normalised scores of local score plugin p when
// its normalisation is the default one (framework.DefaultNormalizer), normalising from the
// cached raw scores in two passes instead of gathering, normalising and weighting them in
// four; the result is the same. It reports false, having done nothing, when the plugin does
// not qualify (or a node's score was an error, or negative), for the general path to run.
func (s *Scheduler) addNormalized(p int, pl framework.ScorePlugin) bool {
	dn, ok := pl.ScoreExtensions().(framework.DefaultNormalizer)
	e := s.entry
	if !ok || e.scoreErr[p] != nil {
		return false
	}
	raw, slots := e.raw[p], s.feasibleSlots
	maxRaw, ok := maxNonNegative(raw, slots)
	if !ok {
		return false
	}
	w, rev := s.prof.weights[p], dn.NormalizeReversed()
	const top = framework.MaxNodeScore
	switch {
	case maxRaw == 0:
		if rev {
			for i := range s.totals {
				s.totals[i] += top * w
			}
		}
	case maxRaw < 64:
		var table [64]int64
		for v := int64(0); v <= maxRaw; v++ {
			n := top * v / maxRaw
			if rev {
				n = top - n
			}
			table[v] = n * w
		}
		for i, slot := range slots {
			s.totals[i] += table[raw[slot]]
		}
	default:
		var memo helper.Memo
		for i, slot := range slots {
			v := raw[slot]
			n, ok := memo.Get(v)
			if !ok {
				n = top * v / maxRaw
				if rev {
					n = top - n
				}
				memo.Put(v, n)
			}
			s.totals[i] += n * w
		}
	}
	return true
}

// maxNonNegative returns the largest of raw[slot] over slots (0 for none), or false when one
// is negative. The commonest raw scores are counts of 0 or 1, whose OR is their maximum; an OR
// has no chain of comparisons to wait on.
func maxNonNegative(raw []int64, slots []int32) (int64, bool) {
	var or int64
	for _, slot := range slots {
		or |= raw[slot]
	}
	if or == 0 || or == 1 {
		return or, true
	}
	if or < 0 {
		return 0, false
	}
	var m0, m1 int64
	i := 0
	for ; i+1 < len(slots); i += 2 {
		m0, m1 = max(m0, raw[slots[i]]), max(m1, raw[slots[i+1]])
	}
	if i < len(slots) {
		m0 = max(m0, raw[slots[i]])
	}
	return max(m0, m1), true
}

// selectHost returns the index in s.feasible of the chosen node among those with the highest
// total.
func (s *Scheduler) selectHost() int {
	if s.tieBreak == TieBreakUpstreamHeap {
		// container/heap's Init is the algorithm upstream runs; its root is what Pop returns.
		s.heap.totals = s.totals
		s.heap.order = s.heap.order[:0]
		for i := range s.totals {
			s.heap.order = append(s.heap.order, i)
		}
		heap.Init(&s.heap)
		return s.heap.order[0]
	}
	// Reservoir sampling: the i-th node tied for the best so far replaces the choice with
	// probability 1/i, so each of the best is chosen with equal probability. One draw per tie.
	totals := s.totals
	if len(totals) == 0 {
		return 0
	}
	best, bestTotal, count := 0, totals[0], 1
	for i := 1; i < len(totals); i++ {
		switch t := totals[i]; {
		case t < bestTotal:
		case t > bestTotal:
			best, bestTotal, count = i, t, 1
		default:
			count++
			if s.rng.IntN(count) == 0 {
				best = i
			}
		}
	}
	return best
}

// totalsHeap orders node indexes by descending total, as upstream's nodeScoreHeap whose
// Randomizer field is 0 for every node when no extender scores.
type totalsHeap struct {
	totals []int64
	order  []int
}

func (h *totalsHeap) Len() int           { return len(h.order) }
func (h *totalsHeap) Less(i, j int) bool { return h.totals[h.order[i]] > h.totals[h.order[j]] }
func (h *totalsHeap) Swap(i, j int)      { h.order[i], h.order[j] = h.order[j], h.order[i] }
func (h *totalsHeap) Push(x any)         { h.order = append(h.order, x.(int)) }
func (h *totalsHeap) Pop() any {
	x := h.order[len(h.order)-1]
	h.order = h.order[:len(h.order)-1]
	return x
}

func (s *Scheduler) chosen(node *framework.NodeInfo, ex *Explanation) Result {
	if ex != nil {
		for i := range ex.Nodes {
			if ex.Nodes[i].Node == node.Name() {
				ex.Nodes[i].Chosen = true
			}
		}
	}
	return Result{Node: node.Name(), Explanation: ex}
}

// noProfile is the result for a pod no profile is named for.
func (s *Scheduler) noProfile(pod *corev1.Pod, explain bool) Result {
	r := Result{NoProfile: true, Reason: fmt.Sprintf(
		"not scheduled: no profile has schedulerName %q (profiles: %s); kube-scheduler leaves such a pod to the scheduler it names",
		pod.Spec.SchedulerName, strings.Join(s.ProfileNames(), ", "))}
	if explain {
		r.Explanation = &Explanation{}
	}
	return r
}

func errorResult(st *framework.Status, ex *Explanation) Result {
	err := st.AsError()
	return Result{Reason: err.Error(), Err: err, Explanation: ex}
}

// preFilterRejected is the result when a PreFilter plugin rejects the pod: every node counts
// under its reasons, and the message carries the PreFilter message alone.
func (s *Scheduler) preFilterRejected(numAllNodes int, st *framework.Status, ex *Explanation) Result {
	msg := st.Message()
	counts := map[string]int{}
	for _, r := range st.Reasons() {
		counts[r] += numAllNodes
	}
	if ex != nil {
		ex.PreFilterReason = msg
		for i := range ex.Nodes {
			ex.Nodes[i].NotEvaluated = "rejected in PreFilter: " + msg
		}
	}
	return Result{Reason: fitErrorMessage(numAllNodes, msg, nil), Reasons: reasonCounts(counts), Explanation: ex}
}

// fitError is the result when no node passed the filters. absent is the reason of the nodes a
// PreFilter result left out, if any.
func (s *Scheduler) fitError(numAllNodes int, absent string, ex *Explanation) Result {
	counts := map[string]int{}
	for _, f := range s.failed {
		for _, r := range f.status.Reasons() {
			counts[r]++
		}
	}
	if absent != "" && len(s.failed) < numAllNodes {
		counts[absent] += numAllNodes - len(s.failed)
	}
	return Result{Reason: fitErrorMessage(numAllNodes, "", counts), Reasons: reasonCounts(counts), Explanation: ex}
}

// fitErrorMessage is upstream's FitError.Error (pkg/scheduler/framework/types.go) with no
// PostFilter message: "0/N nodes are available:", then the PreFilter message, or else the
// "count reason" entries sorted as text (so "10 …" sorts before "2 …"), then ".".
func fitErrorMessage(numAllNodes int, preFilterMsg string, counts map[string]int) string {
	msg := fmt.Sprintf("0/%v nodes are available:", numAllNodes)
	if preFilterMsg != "" {
		return msg + " " + preFilterMsg + "."
	}
	entries := make([]string, 0, len(counts))
	for r, n := range counts {
		entries = append(entries, fmt.Sprintf("%v %v", n, r))
	}
	sort.Strings(entries)
	if len(entries) > 0 {
		msg += " " + strings.Join(entries, ", ") + "."
	}
	return msg
}

func reasonCounts(counts map[string]int) []ReasonCount {
	out := make([]ReasonCount, 0, len(counts))
	for r, n := range counts {
		out = append(out, ReasonCount{Reason: r, Nodes: n})
	}
	slices.SortFunc(out, func(a, b ReasonCount) int { return strings.Compare(a.Reason, b.Reason) })
	return out
}

// explainFilters records each node's filter verdicts after the filter pass; the nodes the pass
// did not reach get notEvaluated.
func (s *Scheduler) explainFilters(ex *Explanation, all []*framework.NodeInfo, notEvaluated string) {
	index := make(map[*framework.NodeInfo]int, len(all))
	for i, n := range all {
		index[n] = i
		ex.Nodes[i].NotEvaluated = notEvaluated
	}
	verdicts := func(upTo int, st *framework.Status) []FilterVerdict {
		var out []FilterVerdict
		for j, pl := range s.prof.filter {
			if upTo >= 0 && j > upTo {
				break
			}
			v := FilterVerdict{Plugin: pl.Name(), Passed: true, Skipped: s.skipFilter[j]}
			if j == upTo {
				v.Passed, v.Reasons = false, slices.Clone(st.Reasons())
			}
			out = append(out, v)
		}
		return out
	}
	for _, n := range s.feasible {
		e := &ex.Nodes[index[n]]
		e.NotEvaluated, e.Feasible, e.Filters = "", true, verdicts(-1, nil)
	}
	for _, f := range s.failed {
		e := &ex.Nodes[index[f.node]]
		e.NotEvaluated, e.Filters = "", verdicts(f.plugin, f.status)
	}
}

// explainScores records each scored node's per-plugin scores and total.
func (s *Scheduler) explainScores(ex *Explanation, all []*framework.NodeInfo) {
	index := make(map[*framework.NodeInfo]int, len(all))
	for i, n := range all {
		index[n] = i
	}
	for i, n := range s.feasible {
		e := &ex.Nodes[index[n]]
		for p, pl := range s.prof.score {
			if s.skipScore[p] {
				continue
			}
			w := s.prof.weights[p]
			e.Scores = append(e.Scores, PluginScore{
				Plugin: pl.Name(), Raw: s.raw[p][i], Normalized: s.scores[p][i], Weight: w, Weighted: s.scores[p][i] * w,
			})
		}
		e.Total = s.totals[i]
	}
}
