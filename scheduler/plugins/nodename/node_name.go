// Package nodename restricts a pod that names its node (spec.nodeName) to that node, as
// upstream's plugins/nodename/node_name.go.
package nodename

import (
	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.NodeName

// ErrReason is the reason counted for a node other than the one the pod names.
const ErrReason = "node(s) didn't match the requested node name"

// NodeName is the plugin. It has no state.
type NodeName struct{}

var (
	_ framework.PreFilterPlugin = &NodeName{}
	_ framework.FilterPlugin    = &NodeName{}
)

var statusMismatch = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason)

// New returns the plugin.
func New(_ any, _ framework.Features) (framework.Plugin, error) { return &NodeName{}, nil }

// Name returns Name.
func (pl *NodeName) Name() string { return Name }

// PreFilter narrows the candidates to the named node, so the other nodes are never filtered
// and count as "didn't satisfy plugin(s) [NodeName]" in the unschedulable message.
func (pl *NodeName) PreFilter(_ *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	if n := pod.Pod.Spec.NodeName; n != "" {
		return &framework.PreFilterResult{NodeNames: map[string]struct{}{n: {}}}, nil
	}
	return nil, nil
}

// Filter rejects every node but the named one. O(1).
func (pl *NodeName) Filter(_ *framework.CycleState, pod *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	if n := pod.Pod.Spec.NodeName; n != "" && n != node.Name() {
		return statusMismatch
	}
	return nil
}
