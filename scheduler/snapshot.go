package scheduler

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/node/topology"

	"ksim.dev/ksim/scheduler/framework"
)

// Snapshot is the cluster as the scheduler sees it: the nodes and the pods bound to them, with
// each node's requested totals kept up to date on every change, so that scheduling a pod never
// walks a node's pods.
//
// Node order is upstream's: the scheduler cache keeps nodes grouped by zone (the zone and
// region labels, topology.GetZoneKey) with zones in the order they were first seen, and lists
// them round-robin across zones (pkg/scheduler/backend/cache/node_tree.go). Upstream rebuilds
// that list only when a node is added or removed, not when a node's zone label changes; ksim
// does the same, so a start index means the same node in both.
//
// A Snapshot is not safe for concurrent use.
//
//	operation    cost
//	UpsertNode   O(1) amortised; O(nodes in its zone) when a node changes zone
//	RemoveNode   O(pods on it + nodes in its zone)
//	AddPod       O(pod's containers) to compute its requests
//	RemovePod    O(scalar resources of the pod)
//	NumNodes     O(1)
//	node order   O(nodes), recomputed on the first Schedule after nodes were added or removed
type Snapshot struct {
	fts   framework.Features
	nodes map[string]*snapNode
	pods  map[string]*framework.PodInfo

	// zones in first-seen order, and the nodes of each in the order they were added.
	zones  []string
	byZone map[string][]*snapNode

	list      []*framework.NodeInfo
	listStale bool
}

type snapNode struct {
	info *framework.NodeInfo
	zone string
}

// NewSnapshot returns an empty snapshot. Pods are accounted with the v1.37 default feature gates.
func NewSnapshot() *Snapshot {
	return &Snapshot{
		fts:    framework.DefaultFeatures(),
		nodes:  map[string]*snapNode{},
		pods:   map[string]*framework.PodInfo{},
		byZone: map[string][]*snapNode{},
	}
}

// NumNodes returns the number of nodes.
func (s *Snapshot) NumNodes() int { return len(s.nodes) }

// UpsertNode adds n, or replaces the stored node of the same name (labels, taints,
// unschedulable, allocatable) keeping the pods bound to it. The snapshot keeps n, which the
// caller must not modify afterwards.
func (s *Snapshot) UpsertNode(n *corev1.Node) {
	zone := topology.GetZoneKey(n)
	if sn, ok := s.nodes[n.Name]; ok {
		sn.info.SetNode(n)
		if sn.zone != zone {
			// Upstream moves the node in its tree but leaves the listed order until the next
			// node is added or removed.
			s.removeFromZone(sn)
			sn.zone = zone
			s.addToZone(sn)
		}
		return
	}
	sn := &snapNode{info: framework.NewNodeInfo(n), zone: zone}
	s.nodes[n.Name] = sn
	s.addToZone(sn)
	s.listStale = true
}

// RemoveNode removes the named node and the pods bound to it. Unknown names are ignored.
func (s *Snapshot) RemoveNode(name string) {
	sn, ok := s.nodes[name]
	if !ok {
		return
	}
	for _, p := range sn.info.Pods {
		delete(s.pods, podKey(p.Pod))
	}
	delete(s.nodes, name)
	s.removeFromZone(sn)
	s.listStale = true
}

// AddPod binds p to the node p.Spec.NodeName names, which must be in s (AddPod panics
// otherwise: that is a caller's bug). A pod already in s under the same key (its UID, or
// namespace/name without one) is replaced. Pods that have Succeeded or Failed are ignored, as
// kube-scheduler's informer ignores them: they occupy nothing. The snapshot keeps p, which the
// caller must not modify afterwards.
func (s *Snapshot) AddPod(p *corev1.Pod) {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return
	}
	sn, ok := s.nodes[p.Spec.NodeName]
	if !ok {
		panic(fmt.Sprintf("scheduler: AddPod %s/%s: node %q is not in the snapshot", p.Namespace, p.Name, p.Spec.NodeName))
	}
	key := podKey(p)
	if old, ok := s.pods[key]; ok {
		s.nodes[old.Pod.Spec.NodeName].info.RemovePod(old)
	}
	pi := framework.NewBoundPodInfo(p, s.fts)
	sn.info.AddPod(pi)
	s.pods[key] = pi
}

// RemovePod unbinds the pod with p's key. Unknown pods are ignored.
func (s *Snapshot) RemovePod(p *corev1.Pod) {
	key := podKey(p)
	old, ok := s.pods[key]
	if !ok {
		return
	}
	s.nodes[old.Pod.Spec.NodeName].info.RemovePod(old)
	delete(s.pods, key)
}

// podKey identifies a pod by UID as upstream's cache does, or by namespace/name when it has no
// UID (hand-written manifests).
func podKey(p *corev1.Pod) string {
	if p.UID != "" {
		return string(p.UID)
	}
	return p.Namespace + "/" + p.Name
}

func (s *Snapshot) addToZone(sn *snapNode) {
	if _, ok := s.byZone[sn.zone]; !ok {
		s.zones = append(s.zones, sn.zone)
	}
	s.byZone[sn.zone] = append(s.byZone[sn.zone], sn)
}

func (s *Snapshot) removeFromZone(sn *snapNode) {
	in := s.byZone[sn.zone]
	for i, x := range in {
		if x == sn {
			in = append(in[:i], in[i+1:]...)
			break
		}
	}
	if len(in) > 0 {
		s.byZone[sn.zone] = in
		return
	}
	delete(s.byZone, sn.zone)
	for i, z := range s.zones {
		if z == sn.zone {
			s.zones = append(s.zones[:i], s.zones[i+1:]...)
			break
		}
	}
}

// nodeList returns the nodes in upstream's order: the first node of each zone, then the second
// of each, and so on.
func (s *Snapshot) nodeList() []*framework.NodeInfo {
	if !s.listStale && len(s.list) == len(s.nodes) {
		return s.list
	}
	s.list = s.list[:0]
	longest := 0
	for _, in := range s.byZone {
		longest = max(longest, len(in))
	}
	for i := 0; i < longest; i++ {
		for _, z := range s.zones {
			if in := s.byZone[z]; i < len(in) {
				s.list = append(s.list, in[i].info)
			}
		}
	}
	clear(s.list[len(s.list):cap(s.list)])
	s.listStale = false
	return s.list
}

// node returns the named node, or nil.
func (s *Snapshot) node(name string) *framework.NodeInfo {
	if sn, ok := s.nodes[name]; ok {
		return sn.info
	}
	return nil
}
