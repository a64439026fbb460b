package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/plugins/interpodaffinity"
	"ksim.dev/ksim/scheduler/plugins/nodeaffinity"
	"ksim.dev/ksim/scheduler/plugins/noderesources"
	"ksim.dev/ksim/scheduler/plugins/podtopologyspread"
)

// convertArgs turns a plugin's defaulted, validated v1 args into what its factory takes.
//
// This is the one place that knows the plugins' own args types. A plugin without a case here
// receives its *configv1.<Name>Args as they are (after defaulting and validation): that is the
// generic path for a plugin that lands in the registry before it gets a case here, or whose
// package takes upstream's args type directly (DefaultPreemption, VolumeBinding,
// DynamicResources when they exist). A plugin that has its own args struct gets a case here.
func convertArgs(args any) (any, error) {
	switch a := args.(type) {
	case *configv1.NodeResourcesFitArgs:
		out := noderesources.FitArgs{
			IgnoredResources:      a.IgnoredResources,
			IgnoredResourceGroups: a.IgnoredResourceGroups,
		}
		if s := a.ScoringStrategy; s != nil {
			out.ScoringStrategy = &noderesources.ScoringStrategy{
				Type:      noderesources.ScoringStrategyType(s.Type),
				Resources: resourceSpecs(s.Resources),
			}
			if r := s.RequestedToCapacityRatio; r != nil {
				shape := make([]noderesources.UtilizationShapePoint, len(r.Shape))
				for i, p := range r.Shape {
					shape[i] = noderesources.UtilizationShapePoint{Utilization: p.Utilization, Score: p.Score}
				}
				out.ScoringStrategy.RequestedToCapacityRatio = &noderesources.RequestedToCapacityRatioParam{Shape: shape}
			}
		}
		return out, nil
	case *configv1.NodeResourcesBalancedAllocationArgs:
		return noderesources.BalancedAllocationArgs{Resources: resourceSpecs(a.Resources)}, nil
	case *configv1.NodeAffinityArgs:
		return nodeaffinity.Args{AddedAffinity: a.AddedAffinity}, nil
	case *configv1.InterPodAffinityArgs:
		return interpodaffinity.Args{
			HardPodAffinityWeight:              *a.HardPodAffinityWeight, // defaulted to 1
			IgnorePreferredTermsOfExistingPods: a.IgnorePreferredTermsOfExistingPods,
		}, nil
	case *configv1.PodTopologySpreadArgs:
		return podtopologyspread.Args{
			DefaultConstraints: a.DefaultConstraints,
			DefaultingType:     podtopologyspread.DefaultingType(a.DefaultingType),
		}, nil
	}
	return args, nil
}

func resourceSpecs(in []configv1.ResourceSpec) []noderesources.ResourceSpec {
	out := make([]noderesources.ResourceSpec, len(in))
	for i, r := range in {
		out[i] = noderesources.ResourceSpec{Name: corev1.ResourceName(r.Name), Weight: r.Weight}
	}
	return out
}
