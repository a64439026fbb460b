// Package defaultpreemption is the PostFilter plugin that preempts lower-priority pods for a pod
// that fits nowhere, as kube-scheduler v1.37's plugins/defaultpreemption with the evaluator of
// pkg/scheduler/framework/preemption, for single pods (the GenericWorkload gate, which groups
// pods into PodGroups, is off by default in v1.37 and not modelled):
//
//  1. The pod must be eligible: not preemptionPolicy Never, and no lower-priority pod on the
//     node it is already nominated to may still be terminating because of an earlier preemption
//     (PodEligibleToPreemptOthers).
//  2. The candidate nodes are those the filters rejected with Unschedulable (not
//     UnschedulableAndUnresolvable). From a random offset, each is dry-run (SelectVictimsOnNode):
//     every pod of lower priority is taken off; if the pod then fits, the victims are reprieved,
//     most important first, those whose eviction a PodDisruptionBudget forbids before the others,
//     as long as the pod still fits. The search stops once it holds a candidate without PDB
//     violations and as many candidates as max(10% of the candidates, 100) (the args).
//  3. One candidate is picked (pickOneNodeForPreemption): fewest PDB violations, then the lowest
//     highest victim priority, the lowest sum of priorities, the fewest victims, the latest start
//     of the most important victims, then the first.
//
// The plugin proposes; the caller deletes the victims and nominates the node.
//
// Where ksim differs from upstream, on purpose and only where upstream's choice is not
// deterministic: candidate nodes are listed in the snapshot's node order (upstream walks a map);
// the dry run is sequential (upstream runs 16 goroutines, so which candidates it finds before it
// stops varies); the offset is drawn from the scheduler's seeded stream (upstream: math/rand);
// victims of equal priority and start time are ordered by namespace/name (upstream's sort is not
// stable); a pod without status.startTime counts as started now, later than any pod that has one
// (upstream uses time.Now()); and the last tie between candidate nodes goes to the first found
// (upstream: map order).
package defaultpreemption

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.DefaultPreemption

// The texts upstream's preemption puts in statuses and messages.
const (
	// ReasonNoVictims is a node's verdict when no pod on it has a lower priority.
	ReasonNoVictims = "No preemption victims found for incoming pod"
	// ReasonNotHelpful stands for every node preemption was not tried on.
	ReasonNotHelpful = "Preemption is not helpful for scheduling"
	// MsgPolicyNever and MsgTerminating say why a pod may not preempt.
	MsgPolicyNever = "not eligible due to preemptionPolicy=Never."
	MsgTerminating = "not eligible due to a terminating pod on the nominated node."
)

// Args are DefaultPreemptionArgs after defaulting: the dry run looks for
// max(numNodes × MinCandidateNodesPercentage / 100, MinCandidateNodesAbsolute) candidates, at
// most the number of candidate nodes.
type Args struct {
	MinCandidateNodesPercentage int32 // [0, 100]; default 10
	MinCandidateNodesAbsolute   int32 // ≥ 0; default 100; not both 0
}

// DefaultArgs returns upstream's defaults.
func DefaultArgs() Args { return Args{MinCandidateNodesPercentage: 10, MinCandidateNodesAbsolute: 100} }

// DefaultPreemption is the plugin. Between calls it keeps only scratch storage.
type DefaultPreemption struct {
	args Args
	// Scratch of FindCandidates and DryRun, reused from call to call (a plugin instance serves
	// one Scheduler, which is not safe for concurrent use either).
	potential []*framework.NodeInfo
	rejected  []NodeVerdict
}

var _ framework.PostFilterPlugin = &DefaultPreemption{}

// New returns the plugin. args may be nil (the defaults), an Args, or upstream's
// *configv1.DefaultPreemptionArgs as the configuration parser gives it (already defaulted and
// validated there; checked again here).
func New(args any, _ framework.Features) (framework.Plugin, error) {
	a := DefaultArgs()
	switch v := args.(type) {
	case nil:
	case Args:
		a = v
	case *Args:
		a = *v
	case *configv1.DefaultPreemptionArgs:
		if v.MinCandidateNodesPercentage != nil {
			a.MinCandidateNodesPercentage = *v.MinCandidateNodesPercentage
		}
		if v.MinCandidateNodesAbsolute != nil {
			a.MinCandidateNodesAbsolute = *v.MinCandidateNodesAbsolute
		}
	default:
		return nil, fmt.Errorf("%s: args of type %T, want defaultpreemption.Args or *v1.DefaultPreemptionArgs", Name, args)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &DefaultPreemption{args: a}, nil
}

// Validate checks the args as upstream's ValidateDefaultPreemptionArgs.
func (a Args) Validate() error {
	var errs []string
	if a.MinCandidateNodesPercentage < 0 || a.MinCandidateNodesPercentage > 100 {
		errs = append(errs, fmt.Sprintf("minCandidateNodesPercentage %d is not in [0, 100]", a.MinCandidateNodesPercentage))
	}
	if a.MinCandidateNodesAbsolute < 0 {
		errs = append(errs, fmt.Sprintf("minCandidateNodesAbsolute must not be negative, got %d", a.MinCandidateNodesAbsolute))
	}
	if a.MinCandidateNodesPercentage == 0 && a.MinCandidateNodesAbsolute == 0 {
		errs = append(errs, "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be 0")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %s", Name, strings.Join(errs, "; "))
	}
	return nil
}

// Name returns Name.
func (pl *DefaultPreemption) Name() string { return Name }

// PostFilter is upstream's DefaultPreemption.PostFilter: Evaluator.Preempt, with the status
// message prefixed "preemption: ". On success the status carries upstream's message ("found a
// potential placement for pod on node N, preempting K victims") and the result the node to
// nominate and the victims. When no node can be made to fit, the status is Unschedulable with a
// FitError text of its own and the result clears the pod's nomination. When the pod may not
// preempt, the result is nil: the nomination stays.
//
// Cost: O(candidate nodes dry-run × (victims + 1) × (PreFilter + Filter)).
func (pl *DefaultPreemption) PostFilter(_ *framework.CycleState, pod *framework.PodInfo, h framework.PostFilterHandle) (*framework.PostFilterResult, *framework.Status) {
	res, st := pl.preempt(h, pod)
	if msg := st.Message(); msg != "" {
		return res, framework.NewStatus(st.Code(), "preemption: "+msg)
	}
	return res, st
}

func (pl *DefaultPreemption) preempt(h framework.PostFilterHandle, pod *framework.PodInfo) (*framework.PostFilterResult, *framework.Status) {
	if ok, msg := pl.PodEligibleToPreemptOthers(h, pod.Pod); !ok {
		return nil, framework.NewStatus(framework.Unschedulable, msg)
	}
	cands, rejected, err := pl.FindCandidates(h, pod, -1, 0)
	if err != nil && len(cands) == 0 {
		return nil, framework.AsStatus(err)
	}
	if len(cands) == 0 {
		// Upstream returns a FitError of its own: the dry run's verdicts, every other node
		// "not helpful", and clears the pod's nomination.
		msg := FitErrorMessage(len(h.Nodes()), rejected, ReasonNotHelpful)
		return &framework.PostFilterResult{Nominate: true}, framework.NewStatus(framework.Unschedulable, msg)
	}
	best := SelectCandidate(cands)
	res := &framework.PostFilterResult{
		Nominate:         true,
		NominatedNode:    best.Node,
		Victims:          best.Victims,
		NumPDBViolations: int(best.NumPDBViolations),
	}
	// Executor.prepareCandidate: lower-priority pods nominated to the node may no longer fit.
	prio := corev1helpers.PodPriority(pod.Pod)
	for _, np := range h.NominatedPods(best.Node) {
		if np.Priority < prio {
			res.ClearNominated = append(res.ClearNominated, np.Pod)
		}
	}
	return res, framework.NewStatus(framework.Success,
		fmt.Sprintf("found a potential placement for pod on node %v, preempting %d victims", best.Node, len(best.Victims)))
}

// PodEligibleToPreemptOthers is upstream's rule: a pod with preemptionPolicy Never may not
// preempt; nor may a pod nominated to a node where a pod of lower priority is still terminating
// because of a preemption (its DisruptionTarget condition says PreemptionByScheduler), unless the
// filters found the nominated node UnschedulableAndUnresolvable. The string says why not.
func (pl *DefaultPreemption) PodEligibleToPreemptOthers(h framework.PostFilterHandle, pod *corev1.Pod) (bool, string) {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		return false, MsgPolicyNever
	}
	nnn := pod.Status.NominatedNodeName
	if nnn == "" {
		return true, ""
	}
	prio := corev1helpers.PodPriority(pod)
	for _, ni := range h.Nodes() {
		if ni.Name() != nnn {
			continue
		}
		if h.NodeStatus(ni).Code() == framework.UnschedulableAndUnresolvable {
			return true, ""
		}
		for _, p := range ni.Pods {
			if p.Priority < prio && TerminatingByPreemption(p.Pod) {
				return false, MsgTerminating
			}
		}
	}
	return true, ""
}

// TerminatingByPreemption reports whether the pod is being deleted because the scheduler
// preempted it: it has a deletionTimestamp and a DisruptionTarget condition, True, with reason
// PreemptionByScheduler (upstream preemption.PodTerminatingByPreemption).
func TerminatingByPreemption(p *corev1.Pod) bool {
	if p.DeletionTimestamp == nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget {
			return c.Status == corev1.ConditionTrue && c.Reason == corev1.PodReasonPreemptionByScheduler
		}
	}
	return false
}

// NumCandidates is upstream's calculateNumCandidates: numNodes × percentage / 100, at least
// the absolute minimum, at most numNodes.
func (pl *DefaultPreemption) NumCandidates(numNodes int32) int32 {
	n := numNodes * pl.args.MinCandidateNodesPercentage / 100
	n = max(n, pl.args.MinCandidateNodesAbsolute)
	return min(n, numNodes)
}

// SelectVictimsOnNode is upstream's DefaultPreemption.SelectVictimsOnNode for single pods: it
// takes every pod of lower priority off node, checks that pod then fits, and puts back as many
// as it can, most important first — those whose eviction would violate a PDB before the others —
// keeping each only if pod still fits. It returns the victims (most important first), how many
// of them violate a PDB, and nil; or the status that says why the node cannot be made to fit.
// node is as it was when SelectVictimsOnNode returns.
func (pl *DefaultPreemption) SelectVictimsOnNode(h framework.PostFilterHandle, pod *framework.PodInfo, node *framework.NodeInfo, pdbs []PDB) ([]*framework.PodInfo, int, *framework.Status) {
	prio := corev1helpers.PodPriority(pod.Pod)
	var potential []*framework.PodInfo
	for _, p := range node.Pods {
		if p.Priority < prio {
			potential = append(potential, p)
		}
	}
	if len(potential) == 0 {
		return nil, 0, statusNoVictims
	}
	for _, v := range potential {
		h.RemovePod(node, v)
	}
	// off holds the pods taken off the node: every one goes back before returning.
	off := slices.Clone(potential)
	defer func() {
		for _, v := range off {
			h.AddPod(node, v)
		}
	}()
	// Upstream does not look at inter-pod affinity towards the victims: if the pod does not fit
	// without them all, the node is out.
	if st := h.Filter(node); !st.IsSuccess() {
		return nil, 0, st
	}
	slices.SortStableFunc(potential, compareImportance)
	violating, nonViolating := FilterVictimsWithPDBViolation(potential, pdbs)
	var victims []*framework.PodInfo
	reprieve := func(v *framework.PodInfo) bool {
		h.AddPod(node, v)
		i := slices.Index(off, v)
		off = slices.Delete(off, i, i+1)
		if h.Filter(node).IsSuccess() {
			return true
		}
		h.RemovePod(node, v)
		off = append(off, v)
		victims = append(victims, v)
		return false
	}
	numViolating := 0
	for _, v := range violating {
		if !reprieve(v) {
			numViolating++
		}
	}
	for _, v := range nonViolating {
		reprieve(v)
	}
	if len(violating) != 0 && len(nonViolating) != 0 {
		slices.SortStableFunc(victims, compareImportance)
	}
	return victims, numViolating, nil
}

// statusNoVictims is the verdict on a node without pods of lower priority. Statuses are never
// modified, so one serves every such node.
var statusNoVictims = framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNoVictims)

// compareImportance orders pods most important first, as upstream's MoreImportantVictim for
// single pods: higher priority, then the earlier start (a pod without status.startTime counts
// as started now, after every pod that has one), then — where upstream's order is arbitrary —
// namespace/name.
func compareImportance(a, b *framework.PodInfo) int {
	pa, pb := a.Priority, b.Priority // bound pods' infos carry it
	if pa != pb {
		if pa > pb {
			return -1
		}
		return 1
	}
	if c := compareStart(a.Pod, b.Pod); c != 0 {
		return c
	}
	if c := strings.Compare(a.Pod.Namespace, b.Pod.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Pod.Name, b.Pod.Name)
}

// compareStart orders by status.startTime, a missing one last.
func compareStart(a, b *corev1.Pod) int {
	sa, sb := a.Status.StartTime, b.Status.StartTime
	switch {
	case sa == nil && sb == nil:
		return 0
	case sa == nil:
		return 1
	case sb == nil:
		return -1
	}
	return sa.Time.Compare(sb.Time)
}
