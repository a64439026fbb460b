package framework

import (
	"slices"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	resourcehelper "k8s.io/component-helpers/resource"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
)

// Default requests the scheduler assumes for a container that sets none, when it spreads load
// (upstream pkg/scheduler/util/pod_resources.go). They are never used for fitting.
const (
	DefaultMilliCPURequest int64 = 100               // 0.1 core
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024 // 200 MiB
)

// Features are the upstream feature gates that change what the implemented plugins compute,
// read once and passed by value (as upstream's plugins/feature.Features).
type Features struct {
	// TaintTolerationComparisonOperators lets Lt and Gt tolerations match (alpha, off in v1.37).
	EnableTaintTolerationComparisonOperators bool
	// PodLevelResources counts pod.spec.resources (beta, on in v1.37).
	EnablePodLevelResources bool
	// InPlacePodVerticalScaling counts resized resources from the pod status (GA in v1.37).
	EnableInPlacePodVerticalScaling bool
	// InPlacePodLevelResourcesVerticalScaling reads pod-level status resources (beta, on).
	EnableInPlacePodLevelResourcesVerticalScaling bool
	// NodeInclusionPolicyInPodTopologySpread honours nodeAffinityPolicy and nodeTaintsPolicy
	// (GA, locked on in v1.37).
	EnableNodeInclusionPolicyInPodTopologySpread bool
	// MatchLabelKeysInPodTopologySpread merges matchLabelKeys into the spread selector (beta, on).
	EnableMatchLabelKeysInPodTopologySpread bool
}

// DefaultFeatures returns the feature gates' defaults in kube-scheduler v1.37.
func DefaultFeatures() Features {
	return Features{
		EnableTaintTolerationComparisonOperators:      false,
		EnablePodLevelResources:                       true,
		EnableInPlacePodVerticalScaling:               true,
		EnableInPlacePodLevelResourcesVerticalScaling: true,
		EnableNodeInclusionPolicyInPodTopologySpread:  true,
		EnableMatchLabelKeysInPodTopologySpread:       true,
	}
}

// Resource is an amount of each compute resource in the scheduler's units: milli-CPU, bytes,
// and a count for pods and scalar (extended, hugepages, attachable-volume) resources.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	AllowedPodNumber int
	// ScalarResources is nil until a scalar resource is added.
	ScalarResources map[corev1.ResourceName]int64
}

// Add adds a resource list to r, as upstream's framework.Resource.Add (types.go): names that
// are neither native nor scalar are ignored.
func (r *Resource) Add(rl corev1.ResourceList) {
	for name, q := range rl {
		switch name {
		case corev1.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case corev1.ResourceMemory:
			r.Memory += q.Value()
		case corev1.ResourcePods:
			r.AllowedPodNumber += int(q.Value())
		case corev1.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		default:
			if IsScalarResourceName(name) {
				r.AddScalar(name, q.Value())
			}
		}
	}
}

// SetMaxResource raises each resource of r to the list's value where that is larger, as
// upstream's Resource.SetMaxResource (pods are not counted).
func (r *Resource) SetMaxResource(rl corev1.ResourceList) {
	for name, q := range rl {
		switch name {
		case corev1.ResourceCPU:
			r.MilliCPU = max(r.MilliCPU, q.MilliValue())
		case corev1.ResourceMemory:
			r.Memory = max(r.Memory, q.Value())
		case corev1.ResourceEphemeralStorage:
			r.EphemeralStorage = max(r.EphemeralStorage, q.Value())
		default:
			if IsScalarResourceName(name) {
				if r.ScalarResources == nil {
					r.ScalarResources = map[corev1.ResourceName]int64{}
				}
				r.ScalarResources[name] = max(r.ScalarResources[name], q.Value())
			}
		}
	}
}

// AddScalar adds quantity of a scalar resource.
func (r *Resource) AddScalar(name corev1.ResourceName, quantity int64) {
	if r.ScalarResources == nil {
		r.ScalarResources = map[corev1.ResourceName]int64{}
	}
	r.ScalarResources[name] += quantity
}

// IsScalarResourceName reports whether the scheduler tracks name as a plain count: extended
// resources, hugepages, prefixed native resources and attachable volumes
// (upstream pkg/scheduler/util/utils.go IsScalarResourceName).
func IsScalarResourceName(name corev1.ResourceName) bool {
	return IsExtendedResourceName(name) ||
		strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) ||
		strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix) ||
		strings.HasPrefix(string(name), corev1.ResourceAttachableVolumesPrefix)
}

// IsExtendedResourceName reports whether name is an extended resource: outside the
// kubernetes.io namespace, fully qualified, and a valid quota name once prefixed with
// "requests." (upstream pkg/apis/core/v1/helper IsExtendedResourceName).
func IsExtendedResourceName(name corev1.ResourceName) bool {
	s := string(name)
	native := !strings.Contains(s, "/") || strings.Contains(s, corev1.ResourceDefaultNamespacePrefix)
	if native || strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+s)) == 0
}

// PodInfo is a pod as the framework sees it. For a pod bound into a snapshot it also carries
// what the pod adds to its node's totals, computed once when it is added.
type PodInfo struct {
	Pod *corev1.Pod

	// Requested is what the pod adds to NodeInfo.Requested.
	Requested Resource
	// NonZeroMilliCPU and NonZeroMemory are what it adds to NodeInfo.NonZeroRequested.
	NonZeroMilliCPU int64
	NonZeroMemory   int64
	// HostPorts are the host ports it takes on its node (HostPorts(pod)).
	HostPorts []HostPort
	// Affinity is its parsed inter-pod affinity, nil when it has none. A list whose selector
	// does not parse is left empty, as upstream's scheduler cache ignores the error.
	Affinity *PodAffinity
	// Priority is the pod's spec.priority (corev1helpers.PodPriority), read when a bound pod's
	// info is made: preemption compares it for every pod of every node it dry-runs, and the
	// Pod itself is a cache miss away.
	Priority int32

	index  int             // position in the node's Pods, for O(1) removal
	groups []*TermGroup    // the Cluster groups it is counted in, one entry per term
	parsed *ParsedAffinity // where Affinity comes from, when the Cluster parsed it
}

// NewPodInfo wraps a pod to be scheduled. It computes nothing: plugins derive what they need in
// PreFilter and PreScore.
func NewPodInfo(pod *corev1.Pod) *PodInfo {
	return &PodInfo{Pod: pod, index: -1}
}

// NewBoundPodInfo wraps a pod that occupies a node and computes what it adds to the node's
// totals, as upstream's PodInfo.CalculateResource (pkg/scheduler/framework/types.go): requests
// from the spec or, for a resized pod, the larger of spec and status; and non-zero requests
// where a container that requests no CPU or memory counts DefaultMilliCPURequest and
// DefaultMemoryRequest. Cost: a few small maps per pod (Cluster.NewBoundPodInfo reuses them
// between pods of one template).
func NewBoundPodInfo(pod *corev1.Pod, fts Features) *PodInfo {
	pi := &PodInfo{Pod: pod, index: -1, HostPorts: HostPorts(pod), Priority: corev1helpers.PodPriority(pod)}
	pi.Requested, pi.NonZeroMilliCPU, pi.NonZeroMemory = boundRequests(pod, fts)
	if a := pod.Spec.Affinity; a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil) {
		parsed, _ := ParsePodAffinity(pod)
		if !parsed.Empty() {
			pi.Affinity = &parsed
		}
	}
	return pi
}

// PodRequests is what the pod would add to a node's Requested (NewBoundPodInfo's Requested),
// without the rest of a PodInfo.
func PodRequests(pod *corev1.Pod, fts Features) Resource {
	r, _, _ := boundRequests(pod, fts)
	return r
}

// ResourceOf is a resource list (a node's allocatable) as a Resource.
func ResourceOf(rl corev1.ResourceList) Resource {
	var r Resource
	r.Add(rl)
	return r
}

// boundRequests computes a bound pod's requests and non-zero CPU and memory requests.
func boundRequests(pod *corev1.Pod, fts Features) (requested Resource, nonZeroMilliCPU, nonZeroMemory int64) {
	opts := resourcehelper.PodResourcesOptions{
		UseStatusResources: fts.EnableInPlacePodVerticalScaling,
		InPlacePodLevelResourcesVerticalScalingEnabled: fts.EnableInPlacePodLevelResourcesVerticalScaling,
		SkipPodLevelResources:                          !fts.EnablePodLevelResources,
	}
	requests := resourcehelper.PodRequests(pod, opts)
	podLevel := fts.EnablePodLevelResources && resourcehelper.IsPodLevelRequestsSet(pod)
	non0 := requests
	if defaults := nonMissingContainerRequests(requests, podLevel); len(defaults) > 0 {
		opts.NonMissingContainerRequests = defaults
		non0 = resourcehelper.PodRequests(pod, opts)
	}
	requested.Add(requests)
	cpu, mem := non0[corev1.ResourceCPU], non0[corev1.ResourceMemory]
	return requested, cpu.MilliValue(), mem.Value()
}

// nonMissingContainerRequests gives the defaults that stand in for unset CPU and memory
// requests when counting non-zero requests. Without pod-level requests a container missing
// either gets the default; with them, a default applies only where neither the containers nor
// the pod set the resource (upstream types.go getNonMissingContainerRequests).
func nonMissingContainerRequests(requests corev1.ResourceList, podLevel bool) corev1.ResourceList {
	cpu := *resource.NewMilliQuantity(DefaultMilliCPURequest, resource.DecimalSI)
	mem := *resource.NewQuantity(DefaultMemoryRequest, resource.DecimalSI)
	if !podLevel {
		return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}
	}
	out := corev1.ResourceList{}
	if _, ok := requests[corev1.ResourceCPU]; !ok {
		out[corev1.ResourceCPU] = cpu
	}
	if _, ok := requests[corev1.ResourceMemory]; !ok {
		out[corev1.ResourceMemory] = mem
	}
	return out
}

// NodeInfo is one node and the running totals of the pods bound to it. The totals are kept
// incrementally by AddPod and RemovePod, so no plugin ever walks a node's pods to learn them.
type NodeInfo struct {
	node *corev1.Node

	// Allocatable is node.status.allocatable in scheduler units.
	Allocatable Resource
	// Requested sums the pods' requests.
	Requested Resource
	// NonZeroRequested sums the pods' CPU and memory requests with unset ones counted at
	// DefaultMilliCPURequest and DefaultMemoryRequest; only MilliCPU and Memory are kept.
	NonZeroRequested Resource
	// Pods are the pods bound to the node, in no particular order.
	Pods []*PodInfo
	// UsedPorts are the host ports the pods take, each once (see AddPod).
	UsedPorts []HostPort
	// Slot is the node's number in its Cluster, the index of its entries in per-slot arrays.
	Slot int32
	// Gen changes whenever the node object or its pods change, and is never the same for two
	// states of two NodeInfos, so that results computed for a node can be reused while it holds.
	Gen uint64
	// SpecGen changes whenever the node object changes (not its pods), likewise.
	SpecGen uint64

	images []*Image // the images the node lists, each once
}

// NewNodeInfo returns a NodeInfo for node with no pods.
func NewNodeInfo(node *corev1.Node) *NodeInfo {
	n := &NodeInfo{Slot: -1}
	n.SetNode(node)
	return n
}

// Node returns the node object. Plugins must not modify it.
func (n *NodeInfo) Node() *corev1.Node { return n.node }

// Name returns the node's name.
func (n *NodeInfo) Name() string { return n.node.Name }

// SetNode replaces the node object (labels, taints, unschedulable, allocatable), keeping the pods.
func (n *NodeInfo) SetNode(node *corev1.Node) {
	n.Gen = nextGen()
	n.SpecGen = n.Gen
	n.node = node
	n.Allocatable = Resource{}
	n.Allocatable.Add(node.Status.Allocatable)
}

// AddPod adds a bound pod and its requests. O(scalar resources of the pod).
func (n *NodeInfo) AddPod(p *PodInfo) {
	p.index = len(n.Pods)
	n.Pods = append(n.Pods, p)
	n.update(p, 1)
}

// RemovePod removes a pod that AddPod added. O(scalar resources of the pod).
func (n *NodeInfo) RemovePod(p *PodInfo) {
	i := p.index
	if i < 0 || i >= len(n.Pods) || n.Pods[i] != p {
		panic("scheduler/framework: RemovePod of a pod that is not on node " + n.node.Name)
	}
	last := len(n.Pods) - 1
	n.Pods[i] = n.Pods[last]
	n.Pods[i].index = i
	n.Pods[last] = nil
	n.Pods = n.Pods[:last]
	p.index = -1
	n.update(p, -1)
}

func (n *NodeInfo) update(p *PodInfo, sign int64) {
	n.Gen = nextGen()
	n.Requested.MilliCPU += sign * p.Requested.MilliCPU
	n.Requested.Memory += sign * p.Requested.Memory
	n.Requested.EphemeralStorage += sign * p.Requested.EphemeralStorage
	for name, q := range p.Requested.ScalarResources {
		n.Requested.AddScalar(name, sign*q)
	}
	n.NonZeroRequested.MilliCPU += sign * p.NonZeroMilliCPU
	n.NonZeroRequested.Memory += sign * p.NonZeroMemory
	for _, hp := range p.HostPorts {
		i := slices.Index(n.UsedPorts, hp)
		switch {
		case sign > 0 && i < 0:
			n.UsedPorts = append(n.UsedPorts, hp)
		case sign < 0 && i >= 0:
			n.UsedPorts = slices.Delete(n.UsedPorts, i, i+1)
		}
	}
}

// generation is the source of NodeInfo.Gen and Cluster.NodeSetGen: one counter for all, so
// that no two states share a number.
var generation atomic.Uint64

func nextGen() uint64 { return generation.Add(1) }

// HostPort is one host port a pod takes: an IP ("0.0.0.0" for all, when unset), a protocol
// ("TCP" when unset) and a port above 0.
type HostPort struct {
	IP       string
	Protocol string
	Port     int32
}

// HostPorts returns the host ports of the pod's containers and restartable (sidecar) init
// containers, as upstream's util.GetHostPorts, with the defaults of HostPortInfo.sanitize.
func HostPorts(pod *corev1.Pod) []HostPort {
	var out []HostPort
	add := func(ports []corev1.ContainerPort) {
		for _, p := range ports {
			if p.HostPort <= 0 {
				continue
			}
			hp := HostPort{IP: p.HostIP, Protocol: string(p.Protocol), Port: p.HostPort}
			if hp.IP == "" {
				hp.IP = DefaultBindAllHostIP
			}
			if hp.Protocol == "" {
				hp.Protocol = string(corev1.ProtocolTCP)
			}
			out = append(out, hp)
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(c.Ports)
		}
	}
	for i := range pod.Spec.Containers {
		add(pod.Spec.Containers[i].Ports)
	}
	return out
}

// DefaultBindAllHostIP is the host IP that stands for every address.
const DefaultBindAllHostIP = "0.0.0.0"

// PortConflict reports whether hp clashes with a port in use on the node, as upstream's
// HostPortInfo.CheckConflict: the same protocol and port on the same IP, or on 0.0.0.0 on
// either side. O(ports in use).
func (n *NodeInfo) PortConflict(hp HostPort) bool {
	for _, u := range n.UsedPorts {
		if u.Port != hp.Port || u.Protocol != hp.Protocol {
			continue
		}
		if hp.IP == DefaultBindAllHostIP || u.IP == DefaultBindAllHostIP || u.IP == hp.IP {
			return true
		}
	}
	return false
}
