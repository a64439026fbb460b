// Package nodeports filters out nodes where a host port the pod asks for is taken, as
// upstream's plugins/nodeports/node_ports.go: the same protocol and port on the same host IP,
// where 0.0.0.0 (or an unset IP) clashes with every IP.
package nodeports

import (
	"errors"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.NodePorts

// ErrReason is the reason counted for a node whose ports clash with the pod's.
const ErrReason = "node(s) didn't have free ports for the requested pod ports"

const preFilterStateKey framework.StateKey = "PreFilter" + Name

// NodePorts is the plugin. It has no configuration.
type NodePorts struct{}

var (
	_ framework.PreFilterPlugin = &NodePorts{}
	_ framework.FilterPlugin    = &NodePorts{}
)

var (
	statusConflict = framework.NewStatus(framework.Unschedulable, ErrReason)
	statusSkip     = framework.NewStatus(framework.Skip)
	errNoPreFilter = errors.New("nodeports: Filter called without PreFilter")
)

// New returns the plugin; it takes no args.
func New(_ any, _ framework.Features) (framework.Plugin, error) { return &NodePorts{}, nil }

// Name returns Name.
func (pl *NodePorts) Name() string { return Name }

type preFilterState struct {
	ports []framework.HostPort
}

// PreFilter collects the pod's host ports (containers and sidecar init containers); a pod
// without any skips the Filter.
func (pl *NodePorts) PreFilter(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	ports := framework.HostPorts(pod.Pod)
	if len(ports) == 0 {
		return nil, statusSkip
	}
	state.Write(preFilterStateKey, &preFilterState{ports: ports})
	return nil, nil
}

// Filter rejects the node if one of the pod's host ports clashes with one in use there.
// O(pod's ports × node's ports), no allocation.
func (pl *NodePorts) Filter(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	v, ok := state.Read(preFilterStateKey)
	if !ok {
		return framework.AsStatus(errNoPreFilter)
	}
	if len(node.UsedPorts) == 0 {
		return nil
	}
	for _, hp := range v.(*preFilterState).ports {
		if node.PortConflict(hp) {
			return statusConflict
		}
	}
	return nil
}
