package framework

import (
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// PostFilterPlugin runs when no node passed the filters, to make the pod schedulable in a later
// cycle (upstream's PostFilterPlugin; DefaultPreemption is the in-tree one). It may propose a
// node to nominate and pods to evict; the caller, not the plugin, acts on the proposal.
//
// A nil result with an Unschedulable status leaves the pod's nomination as it is; a result with
// Nominate set replaces it (NominatedNode "" clears it), as upstream's NominatingInfo with
// ModeOverride.
type PostFilterPlugin interface {
	Plugin
	PostFilter(state *CycleState, pod *PodInfo, h PostFilterHandle) (*PostFilterResult, *Status)
}

// PostFilterResult is what a PostFilter plugin proposes.
type PostFilterResult struct {
	// Nominate says that the pod's status.nominatedNodeName becomes NominatedNode.
	Nominate      bool
	NominatedNode string
	// Victims are the pods to delete so that the pod fits NominatedNode, most important first.
	Victims []*corev1.Pod
	// NumPDBViolations counts the victims whose eviction a PodDisruptionBudget does not allow.
	NumPDBViolations int
	// ClearNominated are the pods of lower priority nominated to NominatedNode: their
	// nomination is cleared (upstream's getLowerPriorityNominatedPods), for they may no longer
	// fit there.
	ClearNominated []*corev1.Pod
}

// PostFilterHandle is what the scheduler lends a PostFilter plugin for one call: the cycle's
// nodes and verdicts, and a dry run of the filters on a node whose pods the plugin changes. It is
// valid only during the call.
type PostFilterHandle interface {
	// Nodes returns every node, in the snapshot's order.
	Nodes() []*NodeInfo
	// NodeStatus returns the cycle's verdict on a node of Nodes: the status of the filter that
	// rejected it, or, for a node the filters did not look at, the status that stands for all
	// such nodes (UnschedulableAndUnresolvable unless a PreFilter plugin rejected the pod).
	// Cost: O(1).
	NodeStatus(node *NodeInfo) *Status
	// NominatedPods returns the pending pods nominated to the named node (by an earlier
	// preemption), in the order they were nominated.
	NominatedPods(node string) []*PodInfo
	// RemovePod takes a bound pod off its node and AddPod puts it back, for a dry run: the next
	// Filter sees the change, on this node and in every count other plugins keep (inter-pod
	// affinity, topology spreading). Every RemovePod must be undone by AddPod before PostFilter
	// returns. Cost: O(the pod's counters) each, plus a re-run of the PreFilter plugins before
	// the next Filter.
	RemovePod(node *NodeInfo, pod *PodInfo)
	AddPod(node *NodeInfo, pod *PodInfo)
	// Filter runs the filter plugins for the cycle's pod on the node as it stands, counting the
	// pending pods nominated to it with a priority at least the pod's, as upstream's
	// RunFilterPluginsWithNominatedPods. The status names no plugin; nil means the pod fits.
	Filter(node *NodeInfo) *Status
	// PDBs returns the PodDisruptionBudgets, with the status their controller computed. The
	// slice must not be modified.
	PDBs() []*policyv1.PodDisruptionBudget
	// Int32N returns a number in [0, n) from the scheduler's random stream; n > 0.
	Int32N(n int32) int32
}
