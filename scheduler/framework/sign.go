package framework

import (
	"hash/maphash"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeLocalPlugin is a plugin whose verdicts can be reused between pods of one template: its
// PreFilter and PreScore read only the pod (not the nodes they are given, nor the cycle's
// cluster), and its Filter and Score read only the pod, the state its own PreFilter and
// PreScore wrote, and the one node (its object and its pods). SignPod writes into h every part
// of the pod that any of them reads, so that two pods with equal signatures get equal results
// on a node that has not changed (NodeInfo.Gen).
//
// The scheduler then keeps, per signature, each node's verdict and raw scores, and recomputes
// a node's only when it changed: for pods stamped from one template (a Deployment's), the
// cycle costs a few array reads per node instead of every plugin's work. This is upstream's
// idea of pod signatures (SignPlugin, used by its OpportunisticBatching) put to use
// deterministically.
type NodeLocalPlugin interface {
	Plugin
	SignPod(h *maphash.Hash, pod *corev1.Pod)
}

// NodeSetDependent marks a NodeLocalPlugin whose Score also reads the cluster's other nodes'
// objects (not their pods), such as ImageLocality's count of the nodes that have an image; its
// reused results are dropped whenever a node is added, removed or updated
// (Cluster.NodeSetGen).
type NodeSetDependent interface {
	NodeLocalPlugin
	DependsOnNodeSet()
}

// NodeObjectOnly marks a NodeLocalPlugin whose Filter and Score read only the node object (its
// labels, taints, images, name...), not the pods on it, so that its results survive pods
// coming and going (NodeInfo.SpecGen). A local plugin without the mark is assumed to read the
// node's pods too.
type NodeObjectOnly interface {
	NodeLocalPlugin
	ReadsNodeObjectOnly()
}

// The Sign* helpers write values into a signature without ambiguity: every string and list
// is preceded by its length, and maps are written in key order.

// SignString writes s.
func SignString(h *maphash.Hash, s string) {
	SignInt(h, int64(len(s)))
	h.WriteString(s)
}

// SignInt writes v: one byte for the small values lengths, counts and "unset" (-1) mostly are,
// else a marker and eight bytes, so that every value's encoding is self-delimiting.
func SignInt(h *maphash.Hash, v int64) {
	if v >= -1 && v < 0xfe {
		h.WriteByte(byte(v + 1))
		return
	}
	var b [9]byte
	b[0] = 0xff
	for i := range 8 {
		b[i+1] = byte(v >> (8 * i))
	}
	h.Write(b[:])
}

// SignStrings writes a list of strings.
func SignStrings(h *maphash.Hash, ss []string) {
	SignInt(h, int64(len(ss)))
	for _, s := range ss {
		SignString(h, s)
	}
}

// SignStringMap writes a map, nil and empty told apart. Cost: sorts the keys of maps with more
// than one entry (small maps are the rule: node selectors, label sets).
func SignStringMap(h *maphash.Hash, m map[string]string) {
	if m == nil {
		SignInt(h, -1)
		return
	}
	SignInt(h, int64(len(m)))
	switch len(m) {
	case 0:
	case 1:
		for k, v := range m {
			SignString(h, k)
			SignString(h, v)
		}
	default:
		var buf [8]string
		keys := buf[:0]
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			SignString(h, k)
			SignString(h, m[k])
		}
	}
}

// SignQuantity writes a quantity by its value, so that "1" and "1000m" sign alike: its
// milli-units, and for values too large for those its units.
func SignQuantity(h *maphash.Hash, q *resource.Quantity) {
	m := q.MilliValue()
	if back := resource.NewMilliQuantity(m, resource.DecimalSI); back.Cmp(*q) == 0 {
		SignInt(h, m) // exact in milli-units: the common case, without allocating
		return
	}
	SignInt(h, -m)
	SignString(h, q.String())
}

// SignResourceList writes a resource list, nil and empty told apart, in name order.
func SignResourceList(h *maphash.Hash, rl corev1.ResourceList) {
	if rl == nil {
		SignInt(h, -1)
		return
	}
	SignInt(h, int64(len(rl)))
	var buf [8]string
	names := buf[:0]
	for n := range rl {
		names = append(names, string(n))
	}
	sort.Strings(names)
	for _, n := range names {
		SignString(h, n)
		q := rl[corev1.ResourceName(n)]
		SignQuantity(h, &q)
	}
}

// SignResources writes what the pod's requests are computed from (component-helpers
// resource.PodRequests with or without status resources, and pod-level resources): every
// container's and init container's name, requests and restart policy, the overhead, the
// pod-level requests, and the status fields that report resized resources.
func SignResources(h *maphash.Hash, pod *corev1.Pod) {
	spec := &pod.Spec
	signContainers := func(cs []corev1.Container) {
		SignInt(h, int64(len(cs)))
		for i := range cs {
			c := &cs[i]
			SignString(h, c.Name)
			SignResourceList(h, c.Resources.Requests)
			SignResourceList(h, c.Resources.Limits)
			if c.RestartPolicy != nil {
				SignString(h, string(*c.RestartPolicy))
			} else {
				SignInt(h, -1)
			}
		}
	}
	signContainers(spec.InitContainers)
	signContainers(spec.Containers)
	SignResourceList(h, spec.Overhead)
	if r := spec.Resources; r != nil {
		SignResourceList(h, r.Requests)
		SignResourceList(h, r.Limits)
	} else {
		SignInt(h, -1)
	}
	st := &pod.Status
	signStatuses := func(ss []corev1.ContainerStatus) {
		SignInt(h, int64(len(ss)))
		for i := range ss {
			s := &ss[i]
			SignString(h, s.Name)
			SignResourceList(h, s.AllocatedResources)
			if s.Resources != nil {
				SignResourceList(h, s.Resources.Requests)
				SignResourceList(h, s.Resources.Limits)
			} else {
				SignInt(h, -1)
			}
		}
	}
	signStatuses(st.InitContainerStatuses)
	signStatuses(st.ContainerStatuses)
	SignResourceList(h, st.AllocatedResources)
	if st.Resources != nil {
		SignResourceList(h, st.Resources.Requests)
		SignResourceList(h, st.Resources.Limits)
	} else {
		SignInt(h, -1)
	}
	for i := range st.Conditions {
		if c := &st.Conditions[i]; c.Type == corev1.PodResizePending || c.Type == corev1.PodResizeInProgress {
			SignString(h, string(c.Type))
			SignString(h, string(c.Status))
			SignString(h, c.Reason)
		}
	}
}

// SignTolerations writes a pod's tolerations.
func SignTolerations(h *maphash.Hash, ts []corev1.Toleration) {
	SignInt(h, int64(len(ts)))
	for i := range ts {
		t := &ts[i]
		SignString(h, t.Key)
		SignString(h, string(t.Operator))
		SignString(h, t.Value)
		SignString(h, string(t.Effect))
		if t.TolerationSeconds != nil {
			SignInt(h, *t.TolerationSeconds)
		} else {
			SignInt(h, -1)
		}
	}
}

// SignNodeSelectorTerm writes one node selector term.
func SignNodeSelectorTerm(h *maphash.Hash, t *corev1.NodeSelectorTerm) {
	reqs := func(rs []corev1.NodeSelectorRequirement) {
		SignInt(h, int64(len(rs)))
		for i := range rs {
			SignString(h, rs[i].Key)
			SignString(h, string(rs[i].Operator))
			SignStrings(h, rs[i].Values)
		}
	}
	reqs(t.MatchExpressions)
	reqs(t.MatchFields)
}

// SignNodeAffinity writes a pod's nodeSelector and node affinity.
func SignNodeAffinity(h *maphash.Hash, pod *corev1.Pod) {
	SignStringMap(h, pod.Spec.NodeSelector)
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil {
		SignInt(h, -1)
		return
	}
	na := a.NodeAffinity
	if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
		SignInt(h, int64(len(r.NodeSelectorTerms)))
		for i := range r.NodeSelectorTerms {
			SignNodeSelectorTerm(h, &r.NodeSelectorTerms[i])
		}
	} else {
		SignInt(h, -1)
	}
	if p := na.PreferredDuringSchedulingIgnoredDuringExecution; p != nil {
		SignInt(h, int64(len(p)))
		for i := range p {
			SignInt(h, int64(p[i].Weight))
			SignNodeSelectorTerm(h, &p[i].Preference)
		}
	} else {
		SignInt(h, -1)
	}
}

// SignHostPorts writes the ports of the pod's containers and init containers, with the init
// containers' restart policies (only sidecars' ports count).
func SignHostPorts(h *maphash.Hash, pod *corev1.Pod) {
	ports := func(cs []corev1.Container) {
		SignInt(h, int64(len(cs)))
		for i := range cs {
			c := &cs[i]
			if c.RestartPolicy != nil {
				SignString(h, string(*c.RestartPolicy))
			} else {
				SignInt(h, -1)
			}
			SignInt(h, int64(len(c.Ports)))
			for _, p := range c.Ports {
				SignInt(h, int64(p.HostPort))
				SignString(h, string(p.Protocol))
				SignString(h, p.HostIP)
			}
		}
	}
	ports(pod.Spec.InitContainers)
	ports(pod.Spec.Containers)
}

// SignImages writes the images of the pod's init containers, containers and image volumes.
func SignImages(h *maphash.Hash, pod *corev1.Pod) {
	SignInt(h, int64(len(pod.Spec.InitContainers)))
	for i := range pod.Spec.InitContainers {
		SignString(h, pod.Spec.InitContainers[i].Image)
	}
	SignInt(h, int64(len(pod.Spec.Containers)))
	for i := range pod.Spec.Containers {
		SignString(h, pod.Spec.Containers[i].Image)
	}
	for i := range pod.Spec.Volumes {
		if v := pod.Spec.Volumes[i].Image; v != nil {
			SignString(h, v.Reference)
		}
	}
}

// SignLabelSelector writes a label selector, nil and empty told apart.
func SignLabelSelector(h *maphash.Hash, s *metav1.LabelSelector) {
	if s == nil {
		SignInt(h, -1)
		return
	}
	SignStringMap(h, s.MatchLabels)
	SignInt(h, int64(len(s.MatchExpressions)))
	for i := range s.MatchExpressions {
		e := &s.MatchExpressions[i]
		SignString(h, e.Key)
		SignString(h, string(e.Operator))
		SignStrings(h, e.Values)
	}
}

// SignPodAffinity writes everything ParsePodAffinity reads: the pod's namespace and labels and
// its inter-pod affinity terms.
func SignPodAffinity(h *maphash.Hash, pod *corev1.Pod) {
	SignString(h, pod.Namespace)
	SignStringMap(h, pod.Labels)
	term := func(t *corev1.PodAffinityTerm) {
		SignLabelSelector(h, t.LabelSelector)
		SignStrings(h, t.Namespaces)
		SignString(h, t.TopologyKey)
		SignLabelSelector(h, t.NamespaceSelector)
		SignStrings(h, t.MatchLabelKeys)
		SignStrings(h, t.MismatchLabelKeys)
	}
	terms := func(ts []corev1.PodAffinityTerm) {
		SignInt(h, int64(len(ts)))
		for i := range ts {
			term(&ts[i])
		}
	}
	weighted := func(ts []corev1.WeightedPodAffinityTerm) {
		SignInt(h, int64(len(ts)))
		for i := range ts {
			SignInt(h, int64(ts[i].Weight))
			term(&ts[i].PodAffinityTerm)
		}
	}
	a := pod.Spec.Affinity
	if a == nil {
		SignInt(h, -1)
		return
	}
	if pa := a.PodAffinity; pa != nil {
		terms(pa.RequiredDuringSchedulingIgnoredDuringExecution)
		weighted(pa.PreferredDuringSchedulingIgnoredDuringExecution)
	} else {
		SignInt(h, -1)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		terms(pa.RequiredDuringSchedulingIgnoredDuringExecution)
		weighted(pa.PreferredDuringSchedulingIgnoredDuringExecution)
	} else {
		SignInt(h, -1)
	}
}

// SignPart names a part of a pod that node-local plugins commonly read.
type SignPart uint32

// The parts, each written by the Sign function of the same name.
const (
	SignPartNodeName SignPart = 1 << iota
	SignPartTolerations
	SignPartNodeAffinity
	SignPartResources
	SignPartHostPorts
	SignPartImages
)

// PartSigner is a NodeLocalPlugin whose SignPod writes exactly SignPodParts(h, pod,
// SignParts()): the scheduler then writes each part once for all such plugins (NodeResourcesFit
// and NodeResourcesBalancedAllocation read the same requests, TaintToleration and
// NodeUnschedulable the same tolerations).
type PartSigner interface {
	NodeLocalPlugin
	SignParts() SignPart
}

// SignPodParts writes the named parts of the pod, in a fixed order.
func SignPodParts(h *maphash.Hash, pod *corev1.Pod, parts SignPart) {
	SignInt(h, int64(parts))
	if parts&SignPartNodeName != 0 {
		SignString(h, pod.Spec.NodeName)
	}
	if parts&SignPartTolerations != 0 {
		SignTolerations(h, pod.Spec.Tolerations)
	}
	if parts&SignPartNodeAffinity != 0 {
		SignNodeAffinity(h, pod)
	}
	if parts&SignPartResources != 0 {
		SignResources(h, pod)
	}
	if parts&SignPartHostPorts != 0 {
		SignHostPorts(h, pod)
	}
	if parts&SignPartImages != 0 {
		SignImages(h, pod)
	}
}
