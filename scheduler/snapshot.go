package scheduler

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/node/topology"

	"ksim.dev/ksim/scheduler/framework"
)

// Snapshot is the cluster as the scheduler sees it: the nodes and the pods bound to them, the
// namespaces' labels, and the Services, ReplicaSets, StatefulSets and ReplicationControllers
// whose selectors give a pod its default topology spreading. Each node's requested totals and
// host ports, and the counts of pods that inter-pod affinity and topology spreading look up
// (framework.Cluster), are kept up to date on every change, so that scheduling a pod never
// walks the cluster's pods.
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
//	UpsertNode   O(labels + images) amortised; O(nodes in its zone) when a node changes zone
//	RemoveNode   O(pods on it × RemovePod + nodes in its zone)
//	AddPod       O(containers + affinity terms + pod counters in its namespace)
//	RemovePod    O(scalar resources + affinity terms + pod counters in its namespace)
//	NumNodes     O(1)
//	Upsert/Remove of a namespace, Service or controller: O(1)
//	node order   O(nodes), recomputed on the first Schedule after nodes were added or removed
type Snapshot struct {
	cluster *framework.Cluster
	nodes   map[string]*snapNode
	pods    map[string]*framework.PodInfo

	// zones in first-seen order, and the nodes of each in the order they were added.
	zones  []string
	byZone map[string][]*snapNode

	list      []*framework.NodeInfo
	listSlots []int32 // the slots of list
	listStale bool

	// For preemption (preemption_snapshot.go): pods nominated to nodes, and the PDBs.
	nominated nominations
	pdbs      pdbSet
}

type snapNode struct {
	info *framework.NodeInfo
	zone string
}

// NewSnapshot returns an empty snapshot. Pods are accounted with the v1.37 default feature gates.
func NewSnapshot() *Snapshot {
	return &Snapshot{
		cluster: framework.NewCluster(framework.DefaultFeatures()),
		nodes:   map[string]*snapNode{},
		pods:    map[string]*framework.PodInfo{},
		byZone:  map[string][]*snapNode{},
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
		s.cluster.UpdateNode(sn.info, n)
		if sn.zone != zone {
			// Upstream moves the node in its tree but leaves the listed order until the next
			// node is added or removed.
			s.removeFromZone(sn)
			sn.zone = zone
			s.addToZone(sn)
		}
		return
	}
	sn := &snapNode{info: s.cluster.AddNode(n), zone: zone}
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
	s.cluster.RemoveNode(sn.info)
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
	s.nominated.drop(key) // binding ends a nomination
	if old, ok := s.pods[key]; ok {
		s.cluster.RemovePod(s.nodes[old.Pod.Spec.NodeName].info, old)
	}
	pi := s.cluster.NewBoundPodInfo(p)
	s.cluster.AddPod(sn.info, pi)
	s.pods[key] = pi
}

// RemovePod unbinds the pod with p's key. Unknown pods are ignored.
func (s *Snapshot) RemovePod(p *corev1.Pod) {
	key := podKey(p)
	old, ok := s.pods[key]
	if !ok {
		return
	}
	s.cluster.RemovePod(s.nodes[old.Pod.Spec.NodeName].info, old)
	delete(s.pods, key)
}

// UpsertNamespace adds a namespace, or replaces its labels, which namespaceSelectors of
// inter-pod affinity terms select on. A namespace never given has only the label
// kubernetes.io/metadata.name: <name>, which the API server sets on every namespace (and which
// UpsertNamespace adds when ns lacks it).
func (s *Snapshot) UpsertNamespace(ns *corev1.Namespace) { s.cluster.UpsertNamespace(ns) }

// RemoveNamespace forgets a namespace's labels.
func (s *Snapshot) RemoveNamespace(name string) { s.cluster.RemoveNamespace(name) }

// UpsertService adds or replaces a Service. The Services whose selector selects a pod give it
// default topology spreading (PodTopologySpread's system default constraints).
func (s *Snapshot) UpsertService(svc *corev1.Service) { s.cluster.UpsertService(svc) }

// RemoveService removes a Service.
func (s *Snapshot) RemoveService(namespace, name string) { s.cluster.RemoveService(namespace, name) }

// UpsertReplicaSet adds or replaces a ReplicaSet. A pod whose controller (the ownerReference
// with controller: true, apps/v1 ReplicaSet) is a ReplicaSet known here spreads by default
// over the ReplicaSet's selector.
func (s *Snapshot) UpsertReplicaSet(rs *appsv1.ReplicaSet) { s.cluster.UpsertReplicaSet(rs) }

// RemoveReplicaSet removes a ReplicaSet.
func (s *Snapshot) RemoveReplicaSet(namespace, name string) {
	s.cluster.RemoveReplicaSet(namespace, name)
}

// UpsertStatefulSet adds or replaces a StatefulSet, as UpsertReplicaSet.
func (s *Snapshot) UpsertStatefulSet(ss *appsv1.StatefulSet) { s.cluster.UpsertStatefulSet(ss) }

// RemoveStatefulSet removes a StatefulSet.
func (s *Snapshot) RemoveStatefulSet(namespace, name string) {
	s.cluster.RemoveStatefulSet(namespace, name)
}

// UpsertReplicationController adds or replaces a ReplicationController, as UpsertReplicaSet.
func (s *Snapshot) UpsertReplicationController(rc *corev1.ReplicationController) {
	s.cluster.UpsertReplicationController(rc)
}

// RemoveReplicationController removes a ReplicationController.
func (s *Snapshot) RemoveReplicationController(namespace, name string) {
	s.cluster.RemoveReplicationController(namespace, name)
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
	s.listSlots = s.listSlots[:0]
	for _, ni := range s.list {
		s.listSlots = append(s.listSlots, ni.Slot)
	}
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
