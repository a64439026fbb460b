package queue

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins"
	"ksim.dev/ksim/scheduler/plugins/helper"
	"ksim.dev/ksim/scheduler/plugins/names"
	ksimaffinity "ksim.dev/ksim/scheduler/plugins/nodeaffinity"
	"ksim.dev/ksim/scheduler/plugins/podtopologyspread"
)

// The events each plugin registers and its queueing hints, as the plugins of kube-scheduler
// v1.37 declare them (each plugin's EventsToRegister and isSchedulableAfter… functions). A hint
// says whether an event may make a pod that the plugin rejected schedulable; it errs towards
// Queue: a needless retry costs an attempt, a missed one strands the pod until the flush.

// Profile is what the queue needs to know of one scheduling profile.
type Profile struct {
	// SchedulerName selects the profile, as a pod's spec.schedulerName does ("" is
	// default-scheduler).
	SchedulerName string
	// Plugins are the plugins that may reject a pod: the profile's PreFilter, Filter and
	// PostFilter plugins that ksim implements. A plugin without registrations below is
	// requeued on every event, as upstream does for a plugin without EnqueueExtensions.
	Plugins []string
	// AddedAffinity is NodeAffinity's addedAffinity arg, if any.
	AddedAffinity *corev1.NodeAffinity
	// ListDefaulting is set when PodTopologySpread's defaults are a list (its
	// defaultingType: List) rather than the system's, which are all ScheduleAnyway.
	ListDefaulting bool
}

// ProfileOf describes a scheduler Profile to the queue.
func ProfileOf(p scheduler.Profile) Profile {
	out := Profile{SchedulerName: p.SchedulerName}
	implemented := plugins.NewInTreeRegistry() // only these can reject a pod
	for _, list := range [][]string{p.PreFilter, p.Filter, p.PostFilter} {
		for _, n := range list {
			if _, ok := implemented[n]; ok && !slices.Contains(out.Plugins, n) {
				out.Plugins = append(out.Plugins, n)
			}
		}
	}
	if a, ok := p.Args[names.NodeAffinity].(ksimaffinity.Args); ok {
		out.AddedAffinity = a.AddedAffinity
	}
	if a, ok := p.Args[names.PodTopologySpread].(podtopologyspread.Args); ok {
		out.ListDefaulting = a.DefaultingType == podtopologyspread.ListDefaulting
	}
	return out
}

// registration is one event a plugin asks for, and its hint (nil: always Queue).
type registration struct {
	event ClusterEvent
	hint  func(p *queuedPod, ev *Event) bool
}

// registrationsOf returns the plugin's registrations in profile p.
func registrationsOf(plugin string, p Profile) []registration {
	switch plugin {
	case names.NodeName:
		return []registration{{event: ClusterEvent{Resource: Node, Action: Add}}}
	case names.NodeUnschedulable:
		return []registration{
			{ClusterEvent{Resource: Node, Action: Add | UpdateNodeTaint}, hintNodeUnschedulable},
			{ClusterEvent{Resource: TargetPod, Action: UpdatePodToleration}, hintToleratesUnschedulable},
		}
	case names.TaintToleration:
		return []registration{
			{ClusterEvent{Resource: Node, Action: Add | UpdateNodeTaint}, hintTaints},
			{ClusterEvent{Resource: TargetPod, Action: UpdatePodToleration}, nil},
		}
	case names.NodeAffinity:
		var added *nodeaffinity.LazyErrorNodeSelector
		if a := p.AddedAffinity; a != nil && a.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			added = nodeaffinity.NewLazyErrorNodeSelector(a.RequiredDuringSchedulingIgnoredDuringExecution)
		}
		return []registration{{ClusterEvent{Resource: Node, Action: Add | UpdateNodeLabel}, func(qp *queuedPod, ev *Event) bool {
			return hintNodeAffinity(added, qp, ev)
		}}}
	case names.NodePorts:
		return []registration{
			{ClusterEvent{Resource: AssignedPod, Action: Delete}, hintPortsFreed},
			{ClusterEvent{Resource: Node, Action: Add}, nil},
		}
	case names.NodeResourcesFit:
		return []registration{
			{ClusterEvent{Resource: AssignedPod, Action: Delete}, hintAssignedPodDeleted},
			{ClusterEvent{Resource: Node, Action: Add | UpdateNodeAllocatable}, hintNodeFits},
			{ClusterEvent{Resource: AssignedPod, Action: UpdatePodScaleDown}, hintScaledDown},
			{ClusterEvent{Resource: TargetPod, Action: UpdatePodScaleDown}, nil},
		}
	case names.InterPodAffinity:
		return []registration{
			{ClusterEvent{Resource: AssignedPod, Action: Add | UpdatePodLabel | Delete}, hintAffinityPodChange},
			{ClusterEvent{Resource: TargetPod, Action: UpdatePodLabel}, nil},
			{ClusterEvent{Resource: Node, Action: Add | UpdateNodeLabel}, hintAffinityNodeChange},
		}
	case names.PodTopologySpread:
		list := p.ListDefaulting
		return []registration{
			{ClusterEvent{Resource: AssignedPod, Action: Add | UpdatePodLabel | Delete}, func(qp *queuedPod, ev *Event) bool {
				return hintSpreadPodChange(qp, ev, list)
			}},
			{ClusterEvent{Resource: TargetPod, Action: UpdatePodToleration | UpdatePodLabel}, func(qp *queuedPod, ev *Event) bool {
				return hintSpreadTargetPodChange(qp, ev, list)
			}},
			{ClusterEvent{Resource: Node, Action: Add | Delete | UpdateNodeLabel | UpdateNodeTaint}, func(qp *queuedPod, ev *Event) bool {
				return hintSpreadNodeChange(qp, ev, list)
			}},
		}
	case names.DefaultPreemption:
		// With async preemption on (v1.37's default) it registers AssignedPod/Delete with a
		// hint that always says QueueSkip: it never rejects a pod by itself.
		return []registration{{ClusterEvent{Resource: AssignedPod, Action: Delete}, func(*queuedPod, *Event) bool { return false }}}
	}
	// upstream's defaultEnqueueExtension: every event of every resource.
	return []registration{{event: ClusterEvent{Resource: WildCard, Action: All}}}
}

// queuedPod is a pending pod with what the hints derive from it, computed on first use: its
// spec does not change while it waits.
type queuedPod struct {
	pod *corev1.Pod

	req       *framework.Resource
	ports     []framework.HostPort
	portsDone bool
	aff       *framework.PodAffinity
	spread    []spreadConstraint
	spreadOK  bool // spread is computed; spreadErr when it could not be
	spreadErr bool
	required  *nodeaffinity.RequiredNodeAffinity
}

var hintFeatures = framework.DefaultFeatures()

func (qp *queuedPod) requests() *framework.Resource {
	if qp.req == nil {
		r := framework.PodRequests(qp.pod, hintFeatures)
		qp.req = &r
	}
	return qp.req
}

func (qp *queuedPod) hostPorts() []framework.HostPort {
	if !qp.portsDone {
		qp.ports, qp.portsDone = framework.HostPorts(qp.pod), true
	}
	return qp.ports
}

// affinity returns the pod's parsed required inter-pod affinity and anti-affinity terms (the
// only ones upstream's hints read), or nil when they do not parse (the hints then say Queue,
// as upstream's do on an error).
func (qp *queuedPod) affinity() *framework.PodAffinity {
	if qp.aff == nil {
		var a framework.PodAffinity
		var err error
		if a.RequiredAffinity, err = requiredTerms(qp.pod, false); err != nil {
			return nil
		}
		if a.RequiredAntiAffinity, err = requiredTerms(qp.pod, true); err != nil {
			return nil
		}
		qp.aff = &a
	}
	return qp.aff
}

// requiredTerms parses pod's required affinity (or, with anti, anti-affinity) terms as
// upstream's fwk.GetAffinityTerms does: the first term that does not parse fails them all.
// Upstream's hints (interpodaffinity/plugin.go) parse the required terms they need and nothing
// else, so a preferred term, or a term of the other kind, that does not parse changes nothing.
func requiredTerms(pod *corev1.Pod, anti bool) ([]framework.AffinityTerm, error) {
	a := pod.Spec.Affinity
	var in []corev1.PodAffinityTerm
	switch {
	case a == nil:
	case anti && a.PodAntiAffinity != nil:
		in = a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	case !anti && a.PodAffinity != nil:
		in = a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	var out []framework.AffinityTerm
	for i := range in {
		t, err := framework.NewAffinityTerm(pod, &in[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (qp *queuedPod) requiredNodeAffinity() *nodeaffinity.RequiredNodeAffinity {
	if qp.required == nil {
		r := nodeaffinity.GetRequiredNodeAffinity(qp.pod)
		qp.required = &r
	}
	return qp.required
}

// ---- NodeUnschedulable (node_unschedulable.go)

func hintNodeUnschedulable(_ *queuedPod, ev *Event) bool {
	return (ev.OldNode != nil && ev.OldNode.Spec.Unschedulable && !ev.NewNode.Spec.Unschedulable) ||
		(ev.OldNode == nil && !ev.NewNode.Spec.Unschedulable)
}

func hintToleratesUnschedulable(qp *queuedPod, ev *Event) bool {
	taint := corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
	return helper.TolerationsTolerateTaint(ev.NewPod.Spec.Tolerations, &taint, hintFeatures.EnableTaintTolerationComparisonOperators)
}

// ---- TaintToleration (taint_toleration.go isSchedulableAfterNodeChange)

func hintTaints(qp *queuedPod, ev *Event) bool {
	untolerated := func(n *corev1.Node) bool {
		return !helper.ToleratesDoNotScheduleTaints(n.Spec.Taints, qp.pod.Spec.Tolerations, hintFeatures.EnableTaintTolerationComparisonOperators)
	}
	was := ev.OldNode == nil || untolerated(ev.OldNode)
	return was && !untolerated(ev.NewNode)
}

// ---- NodeAffinity (node_affinity.go isSchedulableAfterNodeChange)

func hintNodeAffinity(added *nodeaffinity.LazyErrorNodeSelector, qp *queuedPod, ev *Event) bool {
	if added != nil {
		if ok, err := added.Match(ev.NewNode); err == nil && !ok {
			return false
		}
	}
	req := qp.requiredNodeAffinity()
	matched, err := req.Match(ev.NewNode)
	if err != nil {
		return true
	}
	if !matched {
		return false
	}
	if ev.OldNode == nil {
		return true
	}
	was, err := req.Match(ev.OldNode)
	return err != nil || !was
}

// ---- NodePorts (node_ports.go isSchedulableAfterAssignedPodDeleted)

func hintPortsFreed(qp *queuedPod, ev *Event) bool {
	deleted := ev.OldPod
	if deleted.Spec.NodeName == "" && deleted.Status.NominatedNodeName == "" {
		return false
	}
	freed := framework.HostPorts(deleted)
	for _, want := range qp.hostPorts() {
		for _, f := range freed {
			if f.Port == want.Port && f.Protocol == want.Protocol &&
				(f.IP == framework.DefaultBindAllHostIP || want.IP == framework.DefaultBindAllHostIP || f.IP == want.IP) {
				return true
			}
		}
	}
	return false
}

// ---- NodeResourcesFit (fit.go)

// hintAssignedPodDeleted: any bound (or nominated) pod's deletion may free room; v1.37 does not
// look at what it freed.
func hintAssignedPodDeleted(_ *queuedPod, ev *Event) bool {
	return ev.OldPod.Spec.NodeName != "" || ev.OldPod.Status.NominatedNodeName != ""
}

// hintNodeFits: the pod fits the added or grown node when empty, and (for an update) a resource
// it asks for, or the pod count, grew (isSchedulableAfterNodeChange, isFit,
// haveAnyRequestedResourcesIncreased).
func hintNodeFits(qp *queuedPod, ev *Event) bool {
	req := qp.requests()
	cur := framework.ResourceOf(ev.NewNode.Status.Allocatable)
	if cur.AllowedPodNumber < 1 || !fitsEmpty(req, &cur) {
		return false
	}
	if ev.OldNode == nil {
		return true
	}
	old := framework.ResourceOf(ev.OldNode.Status.Allocatable)
	if cur.AllowedPodNumber > old.AllowedPodNumber {
		return true
	}
	if (req.MilliCPU > 0 && cur.MilliCPU > old.MilliCPU) || (req.Memory > 0 && cur.Memory > old.Memory) ||
		(req.EphemeralStorage > 0 && cur.EphemeralStorage > old.EphemeralStorage) {
		return true
	}
	for name, q := range req.ScalarResources {
		if q > 0 && cur.ScalarResources[name] > old.ScalarResources[name] {
			return true
		}
	}
	return false
}

// fitsEmpty is upstream's fitsRequest on a node without pods.
func fitsEmpty(req, alloc *framework.Resource) bool {
	if (req.MilliCPU > 0 && req.MilliCPU > alloc.MilliCPU) || (req.Memory > 0 && req.Memory > alloc.Memory) ||
		(req.EphemeralStorage > 0 && req.EphemeralStorage > alloc.EphemeralStorage) {
		return false
	}
	for name, q := range req.ScalarResources {
		if q > 0 && q > alloc.ScalarResources[name] {
			return false
		}
	}
	return true
}

// hintScaledDown: a bound pod's requests for a resource the pod asks for went down
// (haveEnoughRelevantResourcesDecreased).
func hintScaledDown(qp *queuedPod, ev *Event) bool {
	if ev.NewPod.Spec.NodeName == "" {
		return false
	}
	var before, after framework.Resource
	before.SetMaxResource(podRequests(ev.OldPod))
	after.SetMaxResource(podRequests(ev.NewPod))
	req := qp.requests()
	switch {
	case req.MilliCPU > 0 && before.MilliCPU > after.MilliCPU,
		req.Memory > 0 && before.Memory > after.Memory,
		req.EphemeralStorage > 0 && before.EphemeralStorage > after.EphemeralStorage:
		return true
	}
	for name, q := range req.ScalarResources {
		if q > 0 && before.ScalarResources[name] > after.ScalarResources[name] {
			return true
		}
	}
	return false
}

// ---- InterPodAffinity (interpodaffinity/plugin.go)

func scheduledOrNominated(p *corev1.Pod) bool {
	return p != nil && (p.Spec.NodeName != "" || p.Status.NominatedNodeName != "")
}

func matchesAll(terms []framework.AffinityTerm, p *corev1.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(p, nil) {
			return false
		}
	}
	return true
}

func matchesAny(terms []framework.AffinityTerm, p *corev1.Pod) bool {
	for i := range terms {
		if terms[i].Matches(p, nil) {
			return true
		}
	}
	return false
}

func hintAffinityPodChange(qp *queuedPod, ev *Event) bool {
	if (ev.NewPod != nil && !scheduledOrNominated(ev.NewPod)) || (ev.OldPod != nil && !scheduledOrNominated(ev.OldPod)) {
		return false
	}
	a := qp.affinity()
	if a == nil {
		return true
	}
	switch {
	case ev.OldPod != nil && ev.NewPod != nil:
		return (!matchesAll(a.RequiredAffinity, ev.OldPod) && matchesAll(a.RequiredAffinity, ev.NewPod)) ||
			(matchesAny(a.RequiredAntiAffinity, ev.OldPod) && !matchesAny(a.RequiredAntiAffinity, ev.NewPod))
	case ev.NewPod != nil:
		return matchesAll(a.RequiredAffinity, ev.NewPod)
	}
	if matchesAny(a.RequiredAntiAffinity, ev.OldPod) {
		return true
	}
	deletedAnti, err := requiredTerms(ev.OldPod, true)
	if err != nil {
		return true
	}
	return matchesAny(deletedAnti, qp.pod)
}

func hintAffinityNodeChange(qp *queuedPod, ev *Event) bool {
	a := qp.affinity()
	if a == nil {
		return true
	}
	for _, t := range a.RequiredAffinity {
		if ev.OldNode == nil {
			if _, ok := ev.NewNode.Labels[t.TopologyKey]; ok {
				return true
			}
			continue
		}
		ov, oHas := ev.OldNode.Labels[t.TopologyKey]
		nv, nHas := ev.NewNode.Labels[t.TopologyKey]
		if (!oHas && nHas) || (oHas && nHas && ov != nv) {
			return true
		}
	}
	for _, t := range a.RequiredAntiAffinity {
		if ev.OldNode == nil {
			return true
		}
		ov, oHas := ev.OldNode.Labels[t.TopologyKey]
		nv, nHas := ev.NewNode.Labels[t.TopologyKey]
		if (oHas && !nHas) || (oHas && nHas && ov != nv) {
			return true
		}
	}
	return false
}

// ---- PodTopologySpread (podtopologyspread/plugin.go)

// spreadConstraint is a DoNotSchedule constraint as the hints read it.
type spreadConstraint struct {
	key         string
	sel         labels.Selector
	honorTaints bool // nodeTaintsPolicy: Honor
}

// constraints returns the pod's DoNotSchedule constraints. ok is false when they cannot be
// known here: a selector that does not parse, or defaults that come from a list (the
// Services and controllers that give them their selector are the cluster's, not the queue's);
// the hints then say Queue.
func (qp *queuedPod) constraints(listDefaulting bool) ([]spreadConstraint, bool) {
	if qp.spreadOK {
		return qp.spread, !qp.spreadErr
	}
	qp.spreadOK = true
	if len(qp.pod.Spec.TopologySpreadConstraints) == 0 {
		// The system defaults are all ScheduleAnyway: no hard constraint. A list may hold
		// DoNotSchedule ones.
		qp.spreadErr = listDefaulting
		return nil, !qp.spreadErr
	}
	for _, c := range qp.pod.Spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != corev1.DoNotSchedule {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			qp.spreadErr = true
			return nil, false
		}
		if hintFeatures.EnableMatchLabelKeysInPodTopologySpread && len(c.MatchLabelKeys) > 0 {
			for _, k := range c.MatchLabelKeys {
				if v, ok := qp.pod.Labels[k]; ok {
					r, err := labels.NewRequirement(k, "=", []string{v})
					if err == nil {
						sel = sel.Add(*r)
					}
				}
			}
		}
		honor := hintFeatures.EnableNodeInclusionPolicyInPodTopologySpread &&
			c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor
		qp.spread = append(qp.spread, spreadConstraint{key: c.TopologyKey, sel: sel, honorTaints: honor})
	}
	return qp.spread, true
}

func hintSpreadPodChange(qp *queuedPod, ev *Event, listDefaulting bool) bool {
	involved := func(p *corev1.Pod) bool { return scheduledOrNominated(p) && p.Namespace == qp.pod.Namespace }
	if (ev.NewPod != nil && !involved(ev.NewPod)) || (ev.OldPod != nil && !involved(ev.OldPod)) {
		return false
	}
	cs, ok := qp.constraints(listDefaulting)
	if !ok {
		return true
	}
	matchesAny := func(p *corev1.Pod) bool {
		for _, c := range cs {
			if c.sel.Matches(labels.Set(p.Labels)) {
				return true
			}
		}
		return false
	}
	switch {
	case ev.OldPod != nil && ev.NewPod != nil:
		for _, c := range cs {
			if c.sel.Matches(labels.Set(ev.OldPod.Labels)) != c.sel.Matches(labels.Set(ev.NewPod.Labels)) {
				return true
			}
		}
		return false
	case ev.NewPod != nil:
		return matchesAny(ev.NewPod)
	}
	return matchesAny(ev.OldPod)
}

// hintSpreadTargetPodChange: the pod's own update (plugin.go isSchedulableAfterTargetPodChange
// and isSchedulableAfterPodLabelChange): a new toleration when a constraint honours node
// taints, or a label change that makes the pod match, or stop matching, a constraint's
// selector.
func hintSpreadTargetPodChange(qp *queuedPod, ev *Event, listDefaulting bool) bool {
	cs, ok := qp.constraints(listDefaulting)
	if !ok {
		return true
	}
	if !equality.Semantic.DeepEqual(ev.OldPod.Spec.Tolerations, ev.NewPod.Spec.Tolerations) &&
		slices.ContainsFunc(cs, func(c spreadConstraint) bool { return c.honorTaints }) {
		return true
	}
	if maps.Equal(ev.OldPod.Labels, ev.NewPod.Labels) {
		return false
	}
	for _, c := range cs {
		if c.sel.Matches(labels.Set(ev.OldPod.Labels)) != c.sel.Matches(labels.Set(ev.NewPod.Labels)) {
			return true
		}
	}
	return false
}

func hintSpreadNodeChange(qp *queuedPod, ev *Event, listDefaulting bool) bool {
	cs, ok := qp.constraints(listDefaulting)
	if !ok {
		return true
	}
	hasKeys := func(n *corev1.Node) bool {
		for _, c := range cs {
			if _, ok := n.Labels[c.key]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case ev.OldNode != nil && ev.NewNode != nil:
		was, is := hasKeys(ev.OldNode), hasKeys(ev.NewNode)
		if was != is {
			return true
		}
		if !is {
			return false
		}
		for _, c := range cs {
			if ev.OldNode.Labels[c.key] != ev.NewNode.Labels[c.key] {
				return true
			}
		}
		return !taintsEqual(ev.OldNode.Spec.Taints, ev.NewNode.Spec.Taints)
	case ev.NewNode != nil:
		return hasKeys(ev.NewNode)
	}
	return hasKeys(ev.OldNode)
}

func taintsEqual(a, b []corev1.Taint) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.Taint) bool {
		return x.Key == y.Key && x.Value == y.Value && x.Effect == y.Effect &&
			((x.TimeAdded == nil) == (y.TimeAdded == nil)) && (x.TimeAdded == nil || x.TimeAdded.Equal(y.TimeAdded))
	})
}

// podRequests is the pod's requests as NodeResourcesFit's hints read them (with status
// resources, as InPlacePodVerticalScaling does).
func podRequests(p *corev1.Pod) corev1.ResourceList {
	return resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{
		UseStatusResources: hintFeatures.EnableInPlacePodVerticalScaling,
		InPlacePodLevelResourcesVerticalScalingEnabled: hintFeatures.EnableInPlacePodLevelResourcesVerticalScaling,
	})
}
