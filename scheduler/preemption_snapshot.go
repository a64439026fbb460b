package scheduler

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"ksim.dev/ksim/scheduler/framework"
)

// What the Snapshot keeps for preemption: the pods nominated to nodes (upstream keeps them in
// the scheduling queue's nominator) and the PodDisruptionBudgets (upstream lists them from an
// informer).

// nominations are the pending pods nominated to nodes.
type nominations struct {
	byNode map[string][]*framework.PodInfo // in the order nominated
	byPod  map[string]string               // pod key → node
}

// NominatePod records p's status.nominatedNodeName: p is a pending pod that an earlier
// preemption nominated to that node, and the filters count it there for every pod of no higher
// priority (an empty name forgets the nomination). A nomination ends when the pod is bound
// (AddPod) or nominated elsewhere; the caller forgets it when the pod is deleted. The snapshot
// keeps p, which the caller must not modify afterwards (give a new object to change it).
// Cost: O(pods nominated to the node).
func (s *Snapshot) NominatePod(p *corev1.Pod) {
	key := podKey(p)
	s.nominated.drop(key)
	node := p.Status.NominatedNodeName
	if node == "" {
		return
	}
	if s.nominated.byNode == nil {
		s.nominated.byNode = map[string][]*framework.PodInfo{}
		s.nominated.byPod = map[string]string{}
	}
	s.nominated.byNode[node] = append(s.nominated.byNode[node], s.cluster.NewBoundPodInfo(p))
	s.nominated.byPod[key] = node
}

// NominatedPods returns the pods nominated to the named node, in the order nominated, in a new
// slice.
func (s *Snapshot) NominatedPods(node string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, pi := range s.nominated.byNode[node] {
		out = append(out, pi.Pod)
	}
	return out
}

// drop forgets the nomination of the pod with key, if any.
func (n *nominations) drop(key string) {
	node, ok := n.byPod[key]
	if !ok {
		return
	}
	delete(n.byPod, key)
	list := n.byNode[node]
	for i, pi := range list {
		if podKey(pi.Pod) == key {
			list = slices.Delete(list, i, i+1)
			break
		}
	}
	if len(list) == 0 {
		delete(n.byNode, node)
	} else {
		n.byNode[node] = list
	}
}

// anyFor reports whether some pod other than pod, of at least its priority, is nominated.
// O(nominated pods).
func (n *nominations) anyFor(pod *corev1.Pod) bool {
	if len(n.byPod) == 0 {
		return false
	}
	prio := corev1helpers.PodPriority(pod)
	for _, list := range n.byNode {
		for _, pi := range list {
			if pi.Priority >= prio && pi.Pod.UID != pod.UID {
				return true
			}
		}
	}
	return false
}

// pdbSet holds the PodDisruptionBudgets by namespace/name, and their list in that order.
type pdbSet struct {
	byKey  map[string]*policyv1.PodDisruptionBudget
	sorted []*policyv1.PodDisruptionBudget
	stale  bool
}

// UpsertPDB adds a policy/v1 PodDisruptionBudget, or replaces the one of the same namespace and
// name. Preemption reads its selector and status (disruptionsAllowed, disruptedPods), which the
// caller keeps up to date as the disruption controller does. The snapshot keeps pdb, which the
// caller must not modify afterwards. Cost: O(1) to add, O(PDBs) to replace; the sorted list is
// rebuilt, O(PDBs log PDBs), when next read after an addition.
func (s *Snapshot) UpsertPDB(pdb *policyv1.PodDisruptionBudget) {
	if s.pdbs.byKey == nil {
		s.pdbs.byKey = map[string]*policyv1.PodDisruptionBudget{}
	}
	key := pdb.Namespace + "/" + pdb.Name
	if old, ok := s.pdbs.byKey[key]; ok && !s.pdbs.stale {
		i := slices.Index(s.pdbs.sorted, old)
		s.pdbs.sorted[i] = pdb
	} else {
		s.pdbs.stale = true
	}
	s.pdbs.byKey[key] = pdb
}

// RemovePDB removes a PodDisruptionBudget. Unknown names are ignored.
func (s *Snapshot) RemovePDB(namespace, name string) {
	key := namespace + "/" + name
	if _, ok := s.pdbs.byKey[key]; ok {
		delete(s.pdbs.byKey, key)
		s.pdbs.stale = true
	}
}

// PDBs returns the PodDisruptionBudgets ordered by namespace/name. The slice must not be
// modified.
func (s *Snapshot) PDBs() []*policyv1.PodDisruptionBudget { return s.pdbs.list() }

func (p *pdbSet) list() []*policyv1.PodDisruptionBudget {
	if p.stale {
		p.sorted = p.sorted[:0]
		for _, pdb := range p.byKey {
			p.sorted = append(p.sorted, pdb)
		}
		slices.SortFunc(p.sorted, func(a, b *policyv1.PodDisruptionBudget) int {
			if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		p.stale = false
	}
	return p.sorted
}

// Node returns the named node's object, or nil. The object must not be modified.
func (s *Snapshot) Node(name string) *corev1.Node {
	if sn, ok := s.nodes[name]; ok {
		return sn.info.Node()
	}
	return nil
}
