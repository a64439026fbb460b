// Package nodeunschedulable filters out cordoned nodes (spec.unschedulable) unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint, as upstream's
// plugins/nodeunschedulable/node_unschedulable.go.
package nodeunschedulable

import (
	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/helper"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.NodeUnschedulable

// ErrReasonUnschedulable is the reason counted for a cordoned node.
const ErrReasonUnschedulable = "node(s) were unschedulable"

// NodeUnschedulable is the plugin. It has no state.
type NodeUnschedulable struct {
	comparisonOperators bool
}

var _ framework.FilterPlugin = &NodeUnschedulable{}

var unschedulableTaint = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}

var statusUnschedulable = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable)

// New returns the plugin.
func New(_ any, fts framework.Features) (framework.Plugin, error) {
	return &NodeUnschedulable{comparisonOperators: fts.EnableTaintTolerationComparisonOperators}, nil
}

// Name returns Name.
func (pl *NodeUnschedulable) Name() string { return Name }

// Filter rejects a cordoned node unless the pod tolerates the unschedulable taint. O(tolerations).
func (pl *NodeUnschedulable) Filter(_ *framework.CycleState, pod *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	if !node.Node().Spec.Unschedulable {
		return nil
	}
	if helper.TolerationsTolerateTaint(pod.Pod.Spec.Tolerations, &unschedulableTaint, pl.comparisonOperators) {
		return nil
	}
	return statusUnschedulable
}
