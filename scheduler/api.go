// Package scheduler places pods on nodes as kube-scheduler v1.37 does: a queue, the filter and
// score plugins of the default profile, weights and normalisation, and a seeded tie-break.
//
// It is a library: the caller keeps a Snapshot of the cluster up to date (nodes and the pods
// bound to them) and asks Schedule for one pod at a time. Schedule never changes the snapshot;
// the caller binds the pod by adding it with AddPod.
package scheduler

import (
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
)

// CONTRACT (implemented in this package):
//
//	func NewSnapshot() *Snapshot
//	func (s *Snapshot) UpsertNode(n *corev1.Node)          // add, or replace labels/taints/allocatable
//	func (s *Snapshot) RemoveNode(name string)             // and the pods on it
//	func (s *Snapshot) AddPod(p *corev1.Pod)               // p.Spec.NodeName names a node in s
//	func (s *Snapshot) RemovePod(p *corev1.Pod)
//	func (s *Snapshot) NumNodes() int
//
//	func New(cfg Config, rng *rand.Rand) (*Scheduler, error)
//	func (s *Scheduler) Schedule(snap *Snapshot, pod *corev1.Pod, explain bool) Result

// Config selects the profile. The zero value is upstream's default profile with
// percentageOfNodesToScore 0 (adaptive).
type Config struct {
	PercentageOfNodesToScore int32
}

var _ = rand.New
var _ corev1.Pod

// Result is one scheduling decision.
type Result struct {
	// Node is the chosen node, or "" when the pod fits nowhere.
	Node string
	// Reason is kube-scheduler's FitError text when Node is "", e.g.
	// "0/12 nodes are available: 3 Insufficient cpu, 9 node(s) had untolerated taint(s)."
	Reason string
	// Reasons counts nodes per failure reason (a node may count under several), sorted by reason.
	Reasons []ReasonCount
	// Explanation is filled when Schedule is asked to explain.
	Explanation *Explanation
}

// ReasonCount is how many nodes a filter rejected with Reason.
type ReasonCount struct {
	Reason string
	Nodes  int
}

// Explanation gives every node's filter verdicts and scores for one pod.
type Explanation struct {
	Nodes []NodeExplanation // in the snapshot's node order
}

// NodeExplanation is one node's verdicts and scores.
type NodeExplanation struct {
	Node     string
	Feasible bool
	Filters  []FilterVerdict // plugins run, in order; stops at the first rejection, as upstream
	Scores   []PluginScore   // for feasible, scored nodes
	Total    int64
}

// FilterVerdict is one filter plugin's answer for one node.
type FilterVerdict struct {
	Plugin  string
	Passed  bool
	Reasons []string `json:",omitempty"`
}

// PluginScore is one score plugin's raw, normalised and weighted score for one node.
type PluginScore struct {
	Plugin     string
	Raw        int64
	Normalized int64
	Weight     int64
	Weighted   int64
}
