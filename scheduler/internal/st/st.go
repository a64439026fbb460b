// Package st holds tiny builders of nodes and pods for the scheduler's tests and benchmarks
// (the name follows upstream's pkg/scheduler/testing, imported as st).
package st

import (
	"fmt"
	"reflect"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Res builds a resource list from name, quantity pairs: Res("cpu", "500m", "memory", "1Gi").
func Res(kv ...string) corev1.ResourceList {
	if len(kv)%2 != 0 {
		panic("st: Res needs name, quantity pairs")
	}
	rl := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		rl[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return rl
}

// NodeWrapper builds a Node.
type NodeWrapper struct{ n corev1.Node }

// MakeNode starts a node with the given name, no labels and allocatable pods: 110.
func MakeNode(name string) *NodeWrapper {
	w := &NodeWrapper{}
	w.n.Name = name
	w.n.Labels = map[string]string{corev1.LabelHostname: name}
	w.n.Status.Allocatable = corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")}
	w.n.Status.Capacity = corev1.ResourceList{}
	return w
}

// Alloc sets allocatable resources (and capacity) from name, quantity pairs, keeping pods:
// 110 unless given.
func (w *NodeWrapper) Alloc(kv ...string) *NodeWrapper {
	for name, q := range Res(kv...) {
		w.n.Status.Allocatable[name] = q
		w.n.Status.Capacity[name] = q
	}
	return w
}

// Label sets a label.
func (w *NodeWrapper) Label(k, v string) *NodeWrapper {
	w.n.Labels[k] = v
	return w
}

// Zone sets the topology.kubernetes.io/zone label.
func (w *NodeWrapper) Zone(z string) *NodeWrapper { return w.Label(corev1.LabelTopologyZone, z) }

// Taint adds a taint.
func (w *NodeWrapper) Taint(key, value string, effect corev1.TaintEffect) *NodeWrapper {
	w.n.Spec.Taints = append(w.n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: effect})
	return w
}

// Unschedulable cordons the node.
func (w *NodeWrapper) Unschedulable() *NodeWrapper {
	w.n.Spec.Unschedulable = true
	return w
}

// Obj returns the node.
func (w *NodeWrapper) Obj() *corev1.Node { return w.n.DeepCopy() }

// PodWrapper builds a Pod.
type PodWrapper struct{ p corev1.Pod }

// MakePod starts a pod in namespace default with the given name, its UID, and no containers.
func MakePod(name string) *PodWrapper {
	w := &PodWrapper{}
	w.p.Namespace = metav1.NamespaceDefault
	w.p.Name = name
	w.p.UID = types.UID("uid-" + name)
	return w
}

// Req adds an app container with the given requests.
func (w *PodWrapper) Req(rl corev1.ResourceList) *PodWrapper {
	w.p.Spec.Containers = append(w.p.Spec.Containers, corev1.Container{
		Name: "c" + strconv.Itoa(len(w.p.Spec.Containers)), Resources: corev1.ResourceRequirements{Requests: rl},
	})
	return w
}

// InitReq adds an init container with the given requests; a sidecar has restartPolicy Always.
func (w *PodWrapper) InitReq(rl corev1.ResourceList, sidecar bool) *PodWrapper {
	c := corev1.Container{Name: "i" + strconv.Itoa(len(w.p.Spec.InitContainers)), Resources: corev1.ResourceRequirements{Requests: rl}}
	if sidecar {
		always := corev1.ContainerRestartPolicyAlways
		c.RestartPolicy = &always
	}
	w.p.Spec.InitContainers = append(w.p.Spec.InitContainers, c)
	return w
}

// Overhead sets spec.overhead.
func (w *PodWrapper) Overhead(rl corev1.ResourceList) *PodWrapper {
	w.p.Spec.Overhead = rl
	return w
}

// PodReq sets pod-level requests (spec.resources.requests).
func (w *PodWrapper) PodReq(rl corev1.ResourceList) *PodWrapper {
	w.p.Spec.Resources = &corev1.ResourceRequirements{Requests: rl}
	return w
}

// Node sets spec.nodeName.
func (w *PodWrapper) Node(n string) *PodWrapper {
	w.p.Spec.NodeName = n
	return w
}

// Phase sets status.phase.
func (w *PodWrapper) Phase(p corev1.PodPhase) *PodWrapper {
	w.p.Status.Phase = p
	return w
}

// NodeSelector sets a nodeSelector entry.
func (w *PodWrapper) NodeSelector(k, v string) *PodWrapper {
	if w.p.Spec.NodeSelector == nil {
		w.p.Spec.NodeSelector = map[string]string{}
	}
	w.p.Spec.NodeSelector[k] = v
	return w
}

// Toleration adds a toleration.
func (w *PodWrapper) Toleration(key string, op corev1.TolerationOperator, value string, effect corev1.TaintEffect) *PodWrapper {
	w.p.Spec.Tolerations = append(w.p.Spec.Tolerations, corev1.Toleration{Key: key, Operator: op, Value: value, Effect: effect})
	return w
}

func (w *PodWrapper) nodeAffinity() *corev1.NodeAffinity {
	if w.p.Spec.Affinity == nil {
		w.p.Spec.Affinity = &corev1.Affinity{}
	}
	if w.p.Spec.Affinity.NodeAffinity == nil {
		w.p.Spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	return w.p.Spec.Affinity.NodeAffinity
}

// Required adds a required node affinity term (terms are ORed, a term's requirements ANDed).
func (w *PodWrapper) Required(t corev1.NodeSelectorTerm) *PodWrapper {
	na := w.nodeAffinity()
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{}
	}
	ns := na.RequiredDuringSchedulingIgnoredDuringExecution
	ns.NodeSelectorTerms = append(ns.NodeSelectorTerms, t)
	return w
}

// Preferred adds a preferred node affinity term.
func (w *PodWrapper) Preferred(weight int32, t corev1.NodeSelectorTerm) *PodWrapper {
	na := w.nodeAffinity()
	na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution,
		corev1.PreferredSchedulingTerm{Weight: weight, Preference: t})
	return w
}

// Obj returns the pod.
func (w *PodWrapper) Obj() *corev1.Pod { return w.p.DeepCopy() }

// Expr is a matchExpressions requirement.
func Expr(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

// Term is a node selector term of label requirements.
func Term(exprs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchExpressions: exprs}
}

// FieldTerm is a node selector term of field requirements, e.g. metadata.name In [n].
func FieldTerm(fields ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchFields: fields}
}

// Diff returns "" when want and got are deeply equal, and otherwise both values in the
// (-want +got) form used by the tests' messages.
func Diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("\n- %+v\n+ %+v", want, got)
}

// Namespace sets the namespace.
func (w *PodWrapper) Namespace(ns string) *PodWrapper {
	w.p.Namespace = ns
	return w
}

// Labels sets labels from key, value pairs.
func (w *PodWrapper) Labels(kv ...string) *PodWrapper {
	if w.p.Labels == nil {
		w.p.Labels = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		w.p.Labels[kv[i]] = kv[i+1]
	}
	return w
}

// Image adds a container with the given image and no requests.
func (w *PodWrapper) Image(image string) *PodWrapper {
	w.p.Spec.Containers = append(w.p.Spec.Containers, corev1.Container{Name: "c" + strconv.Itoa(len(w.p.Spec.Containers)), Image: image})
	return w
}

// HostPort adds a container taking a host port.
func (w *PodWrapper) HostPort(ip string, proto corev1.Protocol, port int32) *PodWrapper {
	w.p.Spec.Containers = append(w.p.Spec.Containers, corev1.Container{Name: "c" + strconv.Itoa(len(w.p.Spec.Containers)),
		Ports: []corev1.ContainerPort{{ContainerPort: port, HostPort: port, HostIP: ip, Protocol: proto}}})
	return w
}

// Owner sets the controller reference.
func (w *PodWrapper) Owner(apiVersion, kind, name string) *PodWrapper {
	w.p.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(name), Controller: new(true)}}
	return w
}

// Spread adds a topology spread constraint.
func (w *PodWrapper) Spread(c corev1.TopologySpreadConstraint) *PodWrapper {
	w.p.Spec.TopologySpreadConstraints = append(w.p.Spec.TopologySpreadConstraints, c)
	return w
}

func (w *PodWrapper) affinity() *corev1.Affinity {
	if w.p.Spec.Affinity == nil {
		w.p.Spec.Affinity = &corev1.Affinity{}
	}
	return w.p.Spec.Affinity
}

// PodAffinity adds a required pod affinity term.
func (w *PodWrapper) PodAffinity(t corev1.PodAffinityTerm) *PodWrapper {
	a := w.affinity()
	if a.PodAffinity == nil {
		a.PodAffinity = &corev1.PodAffinity{}
	}
	a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, t)
	return w
}

// PodAntiAffinity adds a required pod anti-affinity term.
func (w *PodWrapper) PodAntiAffinity(t corev1.PodAffinityTerm) *PodWrapper {
	a := w.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, t)
	return w
}

// PreferredPodAffinity adds a preferred pod affinity term.
func (w *PodWrapper) PreferredPodAffinity(weight int32, t corev1.PodAffinityTerm) *PodWrapper {
	a := w.affinity()
	if a.PodAffinity == nil {
		a.PodAffinity = &corev1.PodAffinity{}
	}
	a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: t})
	return w
}

// PreferredPodAntiAffinity adds a preferred pod anti-affinity term.
func (w *PodWrapper) PreferredPodAntiAffinity(weight int32, t corev1.PodAffinityTerm) *PodWrapper {
	a := w.affinity()
	if a.PodAntiAffinity == nil {
		a.PodAntiAffinity = &corev1.PodAntiAffinity{}
	}
	a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
		corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: t})
	return w
}

// Terminating marks the pod as being deleted.
func (w *PodWrapper) Terminating() *PodWrapper {
	w.p.DeletionTimestamp = &metav1.Time{}
	return w
}

// Selector is a label selector of matchLabels from key, value pairs.
func Selector(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

// Images sets the node's images: each name with its size.
func (w *NodeWrapper) Image(size int64, names ...string) *NodeWrapper {
	w.n.Status.Images = append(w.n.Status.Images, corev1.ContainerImage{Names: names, SizeBytes: size})
	return w
}
