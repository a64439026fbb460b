package queue

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	resourcehelper "k8s.io/component-helpers/resource"
)

// Resource is the kind of object a cluster event is about (upstream fwk.EventResource).
type Resource uint8

// The resources ksim's plugins register for. Pod, on the registration side, stands for all
// three pod resources.
const (
	Node           Resource = iota + 1
	AssignedPod             // a pod bound to a node
	UnscheduledPod          // a pending pod other than the one being requeued
	TargetPod               // the pending pod itself
	Pod                     // any of the three pod resources (registrations only)
	WildCard                // every resource
)

var resourceNames = [...]string{"", "Node", "AssignedPod", "UnscheduledPod", "TargetPod", "Pod", "*"}

func (r Resource) String() string {
	if int(r) < len(resourceNames) {
		return resourceNames[r]
	}
	return "Resource(?)"
}

// ActionType is a set of changes, as upstream's fwk.ActionType: one bit per kind of change, so
// that a registration can name several.
type ActionType uint32

// The actions, in upstream's bit order.
const (
	Add ActionType = 1 << iota
	Delete
	UpdateNodeAllocatable
	UpdateNodeLabel
	UpdateNodeTaint
	UpdateNodeCondition
	UpdateNodeAnnotation
	UpdateNodeDeclaredFeature
	UpdateNodePreemptionPolicy
	UpdatePodLabel
	UpdatePodScaleDown
	UpdatePodScaleUp
	UpdatePodToleration
	UpdatePodSchedulingGatesEliminated
	UpdatePodGeneratedResourceClaim

	// All is every action.
	All ActionType = 1<<iota - 1
	// Update is every update; an event with Action Update (no specific change found) only
	// matches registrations of Update or All.
	Update = UpdateNodeAllocatable | UpdateNodeLabel | UpdateNodeTaint | UpdateNodeCondition |
		UpdateNodeAnnotation | UpdateNodeDeclaredFeature | UpdateNodePreemptionPolicy |
		UpdatePodLabel | UpdatePodScaleDown | UpdatePodScaleUp | UpdatePodToleration |
		UpdatePodSchedulingGatesEliminated | UpdatePodGeneratedResourceClaim
)

// ClusterEvent is a kind of change: a resource and a set of actions (upstream fwk.ClusterEvent).
type ClusterEvent struct {
	Resource Resource
	Action   ActionType
	// Label names wildcard events ("UnschedulableTimeout"); empty otherwise.
	Label string
}

// IsWildCard reports whether e is the event that matches every registration.
func (e ClusterEvent) IsWildCard() bool { return e.Resource == WildCard && e.Action == All }

// Matches reports whether the incoming event e is one that registration reg asks for, as
// upstream's MatchClusterEvents: same resource (or a wildcard, or Pod for any pod resource),
// a common action, and no action in e that reg lacks (so a plain Update event only reaches
// registrations of Update or All).
func (e ClusterEvent) Matches(reg ClusterEvent) bool {
	if reg.IsWildCard() {
		return true
	}
	resOK := reg.Resource == WildCard || reg.Resource == e.Resource ||
		(reg.Resource == Pod && (e.Resource == AssignedPod || e.Resource == UnscheduledPod || e.Resource == TargetPod))
	return resOK && reg.Action&e.Action != 0 && e.Action <= reg.Action
}

// Event is one change in the cluster: its kind and the objects before and after (nil where
// there is none: no old object for an addition, no new one for a deletion).
type Event struct {
	ClusterEvent
	OldNode, NewNode *corev1.Node
	OldPod, NewPod   *corev1.Pod
}

// UnschedulableTimeout is the wildcard event of the periodic flush of pods that waited too long
// in the unschedulable pool (upstream EventUnschedulableTimeout).
var UnschedulableTimeout = Event{ClusterEvent: ClusterEvent{Resource: WildCard, Action: All, Label: "UnschedulableTimeout"}}

// NodeAdded is a node's addition.
func NodeAdded(n *corev1.Node) Event {
	return Event{ClusterEvent: ClusterEvent{Resource: Node, Action: Add}, NewNode: n}
}

// NodeDeleted is a node's removal.
func NodeDeleted(n *corev1.Node) Event {
	return Event{ClusterEvent: ClusterEvent{Resource: Node, Action: Delete}, OldNode: n}
}

// NodeUpdated returns the events of a node's update, one per kind of change that matters to
// scheduling (upstream NodeSchedulingPropertiesChange): uncordoning counts as a taint update;
// none when nothing relevant changed.
func NodeUpdated(old, cur *corev1.Node) []Event {
	var acts []ActionType
	if old.Spec.Unschedulable != cur.Spec.Unschedulable && !cur.Spec.Unschedulable {
		acts = append(acts, UpdateNodeTaint)
	}
	if !equality.Semantic.DeepEqual(old.Status.Allocatable, cur.Status.Allocatable) {
		acts = append(acts, UpdateNodeAllocatable)
	}
	if !maps.Equal(old.Labels, cur.Labels) {
		acts = append(acts, UpdateNodeLabel)
	}
	if !equality.Semantic.DeepEqual(old.Spec.Taints, cur.Spec.Taints) {
		acts = append(acts, UpdateNodeTaint)
	}
	if !maps.Equal(conditionStatuses(old), conditionStatuses(cur)) {
		acts = append(acts, UpdateNodeCondition)
	}
	if !maps.Equal(old.Annotations, cur.Annotations) {
		acts = append(acts, UpdateNodeAnnotation)
	}
	if !slices.Equal(old.Status.DeclaredFeatures, cur.Status.DeclaredFeatures) {
		acts = append(acts, UpdateNodeDeclaredFeature)
	}
	out := make([]Event, 0, len(acts))
	for _, a := range acts {
		out = append(out, Event{ClusterEvent: ClusterEvent{Resource: Node, Action: a}, OldNode: old, NewNode: cur})
	}
	return out
}

func conditionStatuses(n *corev1.Node) map[corev1.NodeConditionType]corev1.ConditionStatus {
	out := make(map[corev1.NodeConditionType]corev1.ConditionStatus, len(n.Status.Conditions))
	for _, c := range n.Status.Conditions {
		out[c.Type] = c.Status
	}
	return out
}

// AssignedPodAdded is a pod's binding (or a bound pod's creation).
func AssignedPodAdded(p *corev1.Pod) Event {
	return Event{ClusterEvent: ClusterEvent{Resource: AssignedPod, Action: Add}, NewPod: p}
}

// AssignedPodDeleted is a bound pod's removal (deleted, or terminal: the scheduler's informer
// drops Succeeded and Failed pods). It also stands for a pending pod that had a
// nominatedNodeName losing it, as upstream treats such a pod as assigned to that node.
func AssignedPodDeleted(p *corev1.Pod) Event {
	return Event{ClusterEvent: ClusterEvent{Resource: AssignedPod, Action: Delete}, OldPod: p}
}

// PodUpdated returns the events of a pod's update, one per kind of change that matters to
// scheduling (upstream PodSchedulingPropertiesChange), or a plain Update when none does. The
// resource is AssignedPod when cur is bound, TargetPod when target, else UnscheduledPod.
func PodUpdated(old, cur *corev1.Pod, target bool) []Event {
	r := UnscheduledPod
	switch {
	case cur.Spec.NodeName != "":
		r = AssignedPod
	case target:
		r = TargetPod
	}
	var acts []ActionType
	if !maps.Equal(old.Labels, cur.Labels) {
		acts = append(acts, UpdatePodLabel)
	}
	down, up := scaled(old, cur)
	if down {
		acts = append(acts, UpdatePodScaleDown)
	}
	if up {
		acts = append(acts, UpdatePodScaleUp)
	}
	if len(cur.Spec.SchedulingGates) == 0 && len(old.Spec.SchedulingGates) != 0 {
		acts = append(acts, UpdatePodSchedulingGatesEliminated)
	}
	if len(cur.Spec.Tolerations) != len(old.Spec.Tolerations) {
		acts = append(acts, UpdatePodToleration)
	}
	if len(acts) == 0 {
		acts = append(acts, Update)
	}
	out := make([]Event, 0, len(acts))
	for _, a := range acts {
		out = append(out, Event{ClusterEvent: ClusterEvent{Resource: r, Action: a}, OldPod: old, NewPod: cur})
	}
	return out
}

// scaled reports whether some request went down (or away) and some went up (or appeared), as
// upstream's extractPodScaleDown and extractPodScaleUp.
func scaled(old, cur *corev1.Pod) (down, up bool) {
	opts := resourcehelper.PodResourcesOptions{UseStatusResources: true, InPlacePodLevelResourcesVerticalScalingEnabled: true}
	o, c := resourcehelper.PodRequests(old, opts), resourcehelper.PodRequests(cur, opts)
	for name, q := range o {
		if n, ok := c[name]; !ok || q.MilliValue() > n.MilliValue() {
			down = true
		}
	}
	for name, q := range c {
		if n, ok := o[name]; !ok || q.MilliValue() > n.MilliValue() {
			up = true
		}
	}
	return down, up
}
