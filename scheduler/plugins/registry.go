// Package plugins holds ksim's in-tree scheduler plugins, one folder each, under their upstream
// names, and the registry that builds them by name.
package plugins

import (
	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/defaultpreemption"
	"ksim.dev/ksim/scheduler/plugins/imagelocality"
	"ksim.dev/ksim/scheduler/plugins/interpodaffinity"
	"ksim.dev/ksim/scheduler/plugins/names"
	"ksim.dev/ksim/scheduler/plugins/nodeaffinity"
	"ksim.dev/ksim/scheduler/plugins/nodename"
	"ksim.dev/ksim/scheduler/plugins/nodeports"
	"ksim.dev/ksim/scheduler/plugins/noderesources"
	"ksim.dev/ksim/scheduler/plugins/nodeunschedulable"
	"ksim.dev/ksim/scheduler/plugins/podtopologyspread"
	"ksim.dev/ksim/scheduler/plugins/tainttoleration"
)

// Factory builds a plugin from its arguments (nil for the defaults) and the feature gates.
type Factory func(args any, fts framework.Features) (framework.Plugin, error)

// Registry maps plugin names to factories.
type Registry map[string]Factory

// NewInTreeRegistry returns the plugins ksim implements.
func NewInTreeRegistry() Registry {
	return Registry{
		names.NodeName:                        nodename.New,
		names.NodeUnschedulable:               nodeunschedulable.New,
		names.TaintToleration:                 tainttoleration.New,
		names.NodeAffinity:                    nodeaffinity.New,
		names.NodeResourcesFit:                noderesources.NewFit,
		names.NodeResourcesBalancedAllocation: noderesources.NewBalancedAllocation,
		names.NodePorts:                       nodeports.New,
		names.PodTopologySpread:               podtopologyspread.New, // args: podtopologyspread.Args
		names.InterPodAffinity:                interpodaffinity.New,  // args: interpodaffinity.Args
		names.ImageLocality:                   imagelocality.New,
		names.DefaultPreemption:               defaultpreemption.New, // PostFilter; args: defaultpreemption.Args
	}
}
