package noderesources

import (
	"fmt"
	"math"

	"ksim.dev/ksim/scheduler/framework"
)

// strategy scores one node from the per-resource vectors allocationScorer.vectors fills:
// requested (what the node's pods request, with the pod) and allocatable. A resource whose
// allocatable is 0 is left out. It is a switch rather than a func value so that the callers'
// stack buffers do not escape: scoring a node must not allocate.
type strategy struct {
	typ       ScoringStrategyType
	resources []ResourceSpec
	shape     []shapePoint // RequestedToCapacityRatio only
}

func (s *strategy) score(requested, allocatable []int64) int64 {
	switch s.typ {
	case MostAllocated:
		return mostAllocatedScore(s.resources, requested, allocatable)
	case RequestedToCapacityRatio:
		return requestedToCapacityRatioScore(s.resources, s.shape, requested, allocatable)
	}
	return leastAllocatedScore(s.resources, requested, allocatable)
}

// maxResourceWeight bounds a scoring resource's weight (upstream validateResources).
const maxResourceWeight = 100

// newStrategy checks s as upstream's ValidateNodeResourcesFitArgs does for the strategy (a
// known type; weights in (0, 100]; a shape exactly for RequestedToCapacityRatio, sorted, in
// range) and returns its scoring function. s.Resources must be filled in.
func newStrategy(s ScoringStrategy) (strategy, error) {
	for _, r := range s.Resources {
		if r.Weight <= 0 || r.Weight > maxResourceWeight {
			return strategy{}, fmt.Errorf("noderesources: scoringStrategy.resources: weight %d of %s is not in (0, %d]", r.Weight, r.Name, maxResourceWeight)
		}
	}
	if s.Type != RequestedToCapacityRatio && s.RequestedToCapacityRatio != nil {
		return strategy{}, fmt.Errorf("noderesources: scoringStrategy.requestedToCapacityRatio must be nil when type is %s", s.Type)
	}
	out := strategy{typ: s.Type, resources: s.Resources}
	switch s.Type {
	case LeastAllocated, MostAllocated:
		return out, nil
	case RequestedToCapacityRatio:
		if s.RequestedToCapacityRatio == nil {
			return strategy{}, fmt.Errorf("noderesources: scoringStrategy.requestedToCapacityRatio is required when type is %s", RequestedToCapacityRatio)
		}
		shape, err := newShape(s.RequestedToCapacityRatio.Shape)
		if err != nil {
			return strategy{}, err
		}
		out.shape = shape
		return out, nil
	}
	return strategy{}, fmt.Errorf("noderesources: scoring strategy %q is not supported; allowed: %s, %s, %s", s.Type, LeastAllocated, MostAllocated, RequestedToCapacityRatio)
}

// mostAllocatedScore favours nodes that are fuller after the pod: per resource
// requested × 100 / allocatable (requested capped at allocatable, since pods without requests
// count at the non-zero defaults), averaged with the weights over the resources the node has
// (upstream noderesources/most_allocated.go).
func mostAllocatedScore(resources []ResourceSpec, requested, allocatable []int64) int64 {
	var nodeScore, weightSum int64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		w := resources[i].Weight
		nodeScore += mostRequestedScore(requested[i], allocatable[i]) * w
		weightSum += w
	}
	if weightSum == 0 {
		return 0
	}
	return nodeScore / weightSum
}

func mostRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 {
		return 0
	}
	requested = min(requested, capacity)
	return requested * framework.MaxNodeScore / capacity
}

// shapePoint is a point of the broken-line function in scheduler units: utilisation in percent,
// score already scaled to [0, MaxNodeScore].
type shapePoint struct{ utilization, score int64 }

// newShape checks a RequestedToCapacityRatio shape as upstream's validateFunctionShape (at
// least one point, utilisation strictly increasing within [0, 100], scores within
// [0, MaxCustomPriorityScore]) and scales its scores by MaxNodeScore / MaxCustomPriorityScore,
// as upstream's requestedToCapacityRatioScorer does.
func newShape(in []UtilizationShapePoint) ([]shapePoint, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("noderesources: requestedToCapacityRatio.shape: at least one point is required")
	}
	out := make([]shapePoint, len(in))
	for i, p := range in {
		if p.Utilization < 0 || p.Utilization > 100 {
			return nil, fmt.Errorf("noderesources: requestedToCapacityRatio.shape[%d].utilization %d is not in [0, 100]", i, p.Utilization)
		}
		if p.Score < 0 || p.Score > MaxCustomPriorityScore {
			return nil, fmt.Errorf("noderesources: requestedToCapacityRatio.shape[%d].score %d is not in [0, %d]", i, p.Score, MaxCustomPriorityScore)
		}
		if i > 0 && in[i-1].Utilization >= p.Utilization {
			return nil, fmt.Errorf("noderesources: requestedToCapacityRatio.shape[%d].utilization: values must be sorted in increasing order", i)
		}
		out[i] = shapePoint{utilization: int64(p.Utilization), score: int64(p.Score) * (framework.MaxNodeScore / MaxCustomPriorityScore)}
	}
	return out, nil
}

// brokenLinear evaluates the shape at utilisation p: the first point's score below it, the
// last point's above it, and the straight line between the two points around p, with integer
// division (upstream plugins/helper/shape_score.go BuildBrokenLinearFunction).
func brokenLinear(shape []shapePoint, p int64) int64 {
	for i, pt := range shape {
		if p <= pt.utilization {
			if i == 0 {
				return pt.score
			}
			prev := shape[i-1]
			return prev.score + (pt.score-prev.score)*(p-prev.utilization)/(pt.utilization-prev.utilization)
		}
	}
	return shape[len(shape)-1].score
}

// requestedToCapacityRatioScore maps each resource's utilisation after the pod (100 when the
// request exceeds what the node has) through the shape, and returns the weighted mean,
// rounded, over the resources the node has whose score is positive: a resource scoring 0 is
// left out of the mean as well (upstream noderesources/requested_to_capacity_ratio.go).
func requestedToCapacityRatioScore(resources []ResourceSpec, shape []shapePoint, requested, allocatable []int64) int64 {
	var nodeScore, weightSum int64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		var s int64
		if requested[i] > allocatable[i] {
			s = brokenLinear(shape, 100)
		} else {
			s = brokenLinear(shape, requested[i]*100/allocatable[i])
		}
		if s > 0 {
			w := resources[i].Weight
			nodeScore += s * w
			weightSum += w
		}
	}
	if weightSum == 0 {
		return 0
	}
	return int64(math.Round(float64(nodeScore) / float64(weightSum)))
}
