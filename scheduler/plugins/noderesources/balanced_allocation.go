package noderesources

import (
	"errors"
	"math"

	resourcehelper "k8s.io/component-helpers/resource"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// BalancedAllocationName is the plugin's name in profiles.
const BalancedAllocationName = names.NodeResourcesBalancedAllocation

const balancedPreScoreStateKey framework.StateKey = "PreScore" + BalancedAllocationName

// BalancedAllocationArgs configures NodeResourcesBalancedAllocation.
type BalancedAllocationArgs struct {
	// Resources to balance; cpu and memory with weight 1 when empty. Weights are not used.
	Resources []ResourceSpec
}

// BalancedAllocation favours nodes whose resources end up used in similar proportions, scoring
// how much placing the pod improves that balance (upstream v1.37
// noderesources/balanced_allocation.go).
type BalancedAllocation struct {
	scorer allocationScorer
	fts    framework.Features
}

var (
	_ framework.PreScorePlugin = &BalancedAllocation{}
	_ framework.ScorePlugin    = &BalancedAllocation{}
)

var errNoBalancedPreScore = errors.New("noderesources: BalancedAllocation Score called without PreScore")

// NewBalancedAllocation returns the plugin; args may be nil or a BalancedAllocationArgs.
func NewBalancedAllocation(args any, fts framework.Features) (framework.Plugin, error) {
	a := BalancedAllocationArgs{}
	switch v := args.(type) {
	case nil:
	case BalancedAllocationArgs:
		a = v
	case *BalancedAllocationArgs:
		a = *v
	default:
		return nil, errors.New("noderesources: NodeResourcesBalancedAllocation args must be BalancedAllocationArgs")
	}
	if len(a.Resources) == 0 {
		a.Resources = defaultResources()
	}
	return &BalancedAllocation{scorer: newAllocationScorer(a.Resources, true), fts: fts}, nil
}

// Name returns BalancedAllocationName.
func (ba *BalancedAllocation) Name() string { return BalancedAllocationName }

type balancedPreScoreState struct {
	podRequests []int64
}

// PreScore computes the pod's requests (as set, no defaults for unset ones) and skips the
// Score for a pod that requests none of the resources.
func (ba *BalancedAllocation) PreScore(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) *framework.Status {
	reqs := podRequestList(pod.Pod, ba.scorer.resources, resourcehelper.PodResourcesOptions{
		UseStatusResources: ba.fts.EnableInPlacePodVerticalScaling,
		InPlacePodLevelResourcesVerticalScalingEnabled: ba.fts.EnableInPlacePodLevelResourcesVerticalScaling,
		SkipPodLevelResources:                          !ba.fts.EnablePodLevelResources,
	})
	bestEffort := true
	for _, r := range reqs {
		if r != 0 {
			bestEffort = false
			break
		}
	}
	if bestEffort {
		return framework.NewStatus(framework.Skip)
	}
	state.Write(balancedPreScoreStateKey, &balancedPreScoreState{podRequests: reqs})
	return nil
}

// Score is 50 + (50 + balance with the pod − balance without it) / 2, where balance is
// 100 × (1 − the standard deviation of the used fractions). No allocation for up to
// maxStackResources resources.
func (ba *BalancedAllocation) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(balancedPreScoreStateKey)
	if !ok {
		return 0, framework.AsStatus(errNoBalancedPreScore)
	}
	n := len(ba.scorer.resources)
	var buf [3 * maxStackResources]int64
	var vecs []int64
	if n <= maxStackResources {
		vecs = buf[:3*n]
	} else {
		vecs = make([]int64, 3*n)
	}
	requested, allocated, allocatable := vecs[:n], vecs[n:2*n], vecs[2*n:]
	ba.scorer.vectors(node, v.(*balancedPreScoreState).podRequests, requested, allocated, allocatable)
	withPod := balancedResourceScore(requested, allocatable)
	withoutPod := balancedResourceScore(allocated, allocatable)
	return framework.MaxNodeScore/2 + (framework.MaxNodeScore/2+withPod-withoutPod)/2, nil
}

// ScoreExtensions returns nil: scores are already in [0, 100].
func (ba *BalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }

// balancedResourceScore is 100 × (1 − std) over the fractions used/allocatable (capped at 1)
// of the resources the node has; for two resources std is |f0 − f1| / 2. The floating-point
// operations are upstream's, in upstream's order, so results agree to the bit.
func balancedResourceScore(requested, allocatable []int64) int64 {
	var buf [maxStackResources]float64
	fractions := buf[:0]
	var totalFraction float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		fraction := float64(requested[i]) / float64(allocatable[i])
		if fraction > 1 {
			fraction = 1
		}
		totalFraction += fraction
		fractions = append(fractions, fraction)
	}
	std := 0.0
	if len(fractions) == 2 {
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	} else if len(fractions) > 2 {
		mean := totalFraction / float64(len(fractions))
		var sum float64
		for _, fraction := range fractions {
			sum = sum + (fraction-mean)*(fraction-mean)
		}
		std = math.Sqrt(sum / float64(len(fractions)))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}
