package noderesources

import "ksim.dev/ksim/scheduler/framework"

// leastAllocatedScore favours nodes with more room left after the pod: per resource
// (allocatable − requested) × 100 / allocatable (0 when over), averaged with the weights over
// the resources the node has (upstream noderesources/least_allocated.go).
func leastAllocatedScore(resources []ResourceSpec, requested, allocatable []int64) int64 {
	var nodeScore, weightSum int64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		w := resources[i].Weight
		nodeScore += leastRequestedScore(requested[i], allocatable[i]) * w
		weightSum += w
	}
	if weightSum == 0 {
		return 0
	}
	return nodeScore / weightSum
}

func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * framework.MaxNodeScore / capacity
}
