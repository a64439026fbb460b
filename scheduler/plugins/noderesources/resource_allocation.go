package noderesources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"

	"ksim.dev/ksim/scheduler/framework"
)

// ResourceSpec names a resource that a scoring strategy looks at, and its weight.
type ResourceSpec struct {
	Name   corev1.ResourceName
	Weight int64
}

// defaultResources are cpu and memory with weight 1, upstream's default for both
// NodeResourcesFit's scoring strategy and NodeResourcesBalancedAllocation.
func defaultResources() []ResourceSpec {
	return []ResourceSpec{{Name: corev1.ResourceCPU, Weight: 1}, {Name: corev1.ResourceMemory, Weight: 1}}
}

// maxStackResources bounds the per-node scratch arrays kept on the stack; longer resource
// lists (rare) fall back to the heap.
const maxStackResources = 8

// allocationScorer computes, per node, the three vectors upstream's resourceAllocationScorer
// (noderesources/resource_allocation.go) hands to a strategy: the node's allocatable, what is
// already allocated there, and allocated plus the pod's request.
type allocationScorer struct {
	resources []ResourceSpec
	isScalar  []bool
	// useRequested picks the node's plain requested totals; otherwise CPU and memory come from
	// the non-zero totals (unset requests counted at the defaults), as LeastAllocated does.
	useRequested bool
}

func newAllocationScorer(resources []ResourceSpec, useRequested bool) allocationScorer {
	s := allocationScorer{resources: resources, useRequested: useRequested, isScalar: make([]bool, len(resources))}
	for i, r := range resources {
		s.isScalar[i] = framework.IsScalarResourceName(r.Name)
	}
	return s
}

// vectors fills requested, allocated and allocatable (each len(resources)) for node. A resource
// is left at zero (and so ignored by the strategies) when the node has none of it, or when it is
// a scalar resource the pod does not request.
func (s *allocationScorer) vectors(node *framework.NodeInfo, podRequests, requested, allocated, allocatable []int64) {
	for i := range s.resources {
		requested[i], allocated[i], allocatable[i] = 0, 0, 0
		if podRequests[i] == 0 && s.isScalar[i] {
			continue
		}
		alloc, used := s.nodeAmounts(node, s.resources[i].Name)
		if alloc == 0 {
			continue
		}
		allocatable[i] = alloc
		allocated[i] = used
		requested[i] = used + podRequests[i]
	}
}

func (s *allocationScorer) nodeAmounts(node *framework.NodeInfo, name corev1.ResourceName) (allocatable, allocated int64) {
	used := &node.NonZeroRequested
	if s.useRequested {
		used = &node.Requested
	}
	switch name {
	case corev1.ResourceCPU:
		return node.Allocatable.MilliCPU, used.MilliCPU
	case corev1.ResourceMemory:
		return node.Allocatable.Memory, used.Memory
	case corev1.ResourceEphemeralStorage:
		return node.Allocatable.EphemeralStorage, node.Requested.EphemeralStorage
	}
	if a, ok := node.Allocatable.ScalarResources[name]; ok {
		return a, node.Requested.ScalarResources[name]
	}
	return 0, 0
}

// podRequestList returns the pod's request for each resource: milli-units for CPU, units
// otherwise.
func podRequestList(pod *corev1.Pod, resources []ResourceSpec, opts resourcehelper.PodResourcesOptions) []int64 {
	reqs := resourcehelper.PodRequests(pod, opts)
	out := make([]int64, len(resources))
	for i, r := range resources {
		q := reqs[r.Name]
		if r.Name == corev1.ResourceCPU {
			out[i] = q.MilliValue()
		} else {
			out[i] = q.Value()
		}
	}
	return out
}

// defaultNonZeroRequests stand in for a container's missing CPU and memory requests when
// LeastAllocated scores.
func defaultNonZeroRequests() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(framework.DefaultMilliCPURequest, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(framework.DefaultMemoryRequest, resource.DecimalSI),
	}
}
