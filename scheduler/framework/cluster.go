package framework

import (
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
)

// Cluster is what plugins may read beyond the one node they are asked about: every node by a
// dense slot number, the namespaces' labels, the Services and controllers whose selectors
// default a pod's topology spreading, the images on the nodes, and counts of pods that are kept
// up to date on every change so that a scheduling cycle never walks the cluster's pods:
//
//   - Topology: for one label key, each node's domain (the label's value) as a small integer.
//   - PodCounter: for one pod selector, how many pods on each node it selects. Counters are
//     made on first use (one pass over the pods) and then follow every AddPod and RemovePod.
//   - TermGroup: the pods that carry one inter-pod (anti-)affinity term, per node. Pods of one
//     template share their terms, so the groups are few however many pods there are.
//
// The scheduler package's Snapshot owns a Cluster and is its only writer. Not safe for
// concurrent use.
//
//	operation         cost
//	AddNode           O(labels × topologies + images)
//	UpdateNode        O(labels × topologies + images)
//	RemoveNode        O(its pods × AddPod's cost)
//	AddPod, RemovePod O(counters in the pod's namespace + the pod's affinity terms)
//	Topology          O(1), or O(nodes) the first time a key is asked for
//	Counter           O(1) amortised, or O(pods) the first time a selector is asked for
type Cluster struct {
	fts Features

	// NodeSetGen changes whenever a node is added, removed or updated (not when pods come or
	// go).
	NodeSetGen uint64
	// SelectorGen changes whenever a Service or controller is added, removed or replaced, or
	// a namespace's labels change: what DefaultSelector and namespaceSelectors see.
	SelectorGen uint64

	slots []*NodeInfo // by slot; nil where free
	// changeLog holds the slots of the last changeLogSize node changes, the n-th at
	// n % changeLogSize; changes counts them all.
	changeLog []int32
	changes   uint64
	free      []int32
	numNodes  int
	capSlots  int // the length of every per-slot array

	namespaces map[string]labels.Set // namespaces given, with their labels
	implicitNS map[string]labels.Set // the labels of namespaces not given, made on demand

	services     map[string]map[string]*corev1.Service // namespace → name →
	replicaSets  map[string]*appsv1.ReplicaSet         // namespace/name →
	statefulSets map[string]*appsv1.StatefulSet
	rcs          map[string]*corev1.ReplicationController

	images map[string]*Image

	topologies map[string]*Topology

	counters map[string]*PodCounter
	byNS     map[string][]*PodCounter // counters that only count pods of one namespace
	anyNS    []*PodCounter            // the others
	tick     uint64

	groups    map[string]*TermGroup
	groupList []*TermGroup // the same groups, in a stable order

	bound boundCache
}

// MaxCounters bounds the number of PodCounters a Cluster keeps; the least recently used is
// dropped to make room (and made again, with a pass over the pods, when asked for again).
const MaxCounters = 1024

// NewCluster returns an empty cluster whose pods are accounted with the feature gates fts.
func NewCluster(fts Features) *Cluster {
	return &Cluster{
		fts:          fts,
		namespaces:   map[string]labels.Set{},
		implicitNS:   map[string]labels.Set{},
		services:     map[string]map[string]*corev1.Service{},
		replicaSets:  map[string]*appsv1.ReplicaSet{},
		statefulSets: map[string]*appsv1.StatefulSet{},
		rcs:          map[string]*corev1.ReplicationController{},
		images:       map[string]*Image{},
		topologies:   map[string]*Topology{},
		counters:     map[string]*PodCounter{},
		byNS:         map[string][]*PodCounter{},
		groups:       map[string]*TermGroup{},
	}
}

// Features returns the feature gates the cluster was made with.
func (c *Cluster) Features() Features { return c.fts }

// NumNodes returns the number of nodes.
func (c *Cluster) NumNodes() int { return c.numNodes }

// Slots returns the nodes by slot, nil where a slot is free. Every per-slot array of the
// cluster (Topology.Domain, PodCounter.PerNode, TermGroup.PerNode) has this length. The slice
// must not be modified and is valid until the next change.
func (c *Cluster) Slots() []*NodeInfo { return c.slots[:c.capSlots] }

// changeLogSize bounds the log of changed slots (Changes); 64 Ki entries, 256 KiB.
const changeLogSize = 1 << 16

// logChange notes a change of the node in slot (ChangedSince).
func (c *Cluster) logChange(slot int32) {
	if c.changeLog == nil {
		c.changeLog = make([]int32, changeLogSize)
	}
	c.changeLog[c.changes%changeLogSize] = slot
	c.changes++
}

// Changes returns how many node changes the cluster has seen (the next change's number).
func (c *Cluster) Changes() uint64 { return c.changes }

// ChangedSince calls f with the slot of every node change numbered from since on (a slot may
// come more than once, and may now be free), and reports false, calling nothing, when the log
// no longer reaches back that far. O(changes since).
func (c *Cluster) ChangedSince(since uint64, f func(slot int32)) bool {
	if c.changes-since > changeLogSize || since > c.changes {
		return false
	}
	for n := since; n < c.changes; n++ {
		f(c.changeLog[n%changeLogSize])
	}
	return true
}

// AddNode adds a node and returns its NodeInfo. The name must be new.
func (c *Cluster) AddNode(n *corev1.Node) *NodeInfo {
	var slot int32
	if k := len(c.free); k > 0 {
		slot, c.free = c.free[k-1], c.free[:k-1]
	} else {
		if len(c.slots) == c.capSlots {
			c.grow(max(64, 2*c.capSlots))
		}
		slot = int32(len(c.slots))
		c.slots = c.slots[:slot+1]
	}
	c.NodeSetGen = nextGen()
	ni := NewNodeInfo(n)
	ni.Slot = slot
	c.slots[slot] = ni
	c.logChange(slot)
	c.numNodes++
	c.addImages(ni)
	for _, t := range c.topologies {
		t.set(slot, n.Labels)
	}
	return ni
}

// UpdateNode replaces ni's node object, keeping its pods; domains and images follow.
func (c *Cluster) UpdateNode(ni *NodeInfo, n *corev1.Node) {
	c.NodeSetGen = nextGen()
	c.removeImages(ni)
	ni.SetNode(n)
	c.logChange(ni.Slot)
	c.addImages(ni)
	for _, t := range c.topologies {
		t.set(ni.Slot, n.Labels)
	}
}

// RemoveNode removes ni and its pods.
func (c *Cluster) RemoveNode(ni *NodeInfo) {
	c.NodeSetGen = nextGen()
	for len(ni.Pods) > 0 {
		c.RemovePod(ni, ni.Pods[len(ni.Pods)-1])
	}
	c.removeImages(ni)
	for _, t := range c.topologies {
		t.Domain[ni.Slot] = 0
	}
	c.slots[ni.Slot] = nil
	c.logChange(ni.Slot)
	c.free = append(c.free, ni.Slot)
	c.numNodes--
	ni.Slot = -1
}

// grow makes every per-slot array n long.
func (c *Cluster) grow(n int) {
	c.slots = append(make([]*NodeInfo, 0, n), c.slots...)
	for _, t := range c.topologies {
		t.Domain = resize(t.Domain, n)
	}
	for _, pc := range c.counters {
		pc.PerNode = resize(pc.PerNode, n)
	}
	for _, g := range c.groups {
		g.PerNode = resize(g.PerNode, n)
	}
	c.capSlots = n
}

// resize returns s copied into a slice of length n.
func resize[T any](s []T, n int) []T {
	out := make([]T, n)
	copy(out, s)
	return out
}

// AddPod binds pi to ni: the node's totals and ports, the counters that select it and the
// groups of its affinity terms.
func (c *Cluster) AddPod(ni *NodeInfo, pi *PodInfo) {
	ni.AddPod(pi)
	c.logChange(ni.Slot)
	c.countPod(ni.Slot, pi, 1)
	if pi.Affinity != nil {
		pi.groups = pi.groups[:0]
		c.groupTerms(pi, ni.Slot)
	}
}

// RemovePod unbinds pi from ni.
func (c *Cluster) RemovePod(ni *NodeInfo, pi *PodInfo) {
	c.countPod(ni.Slot, pi, -1)
	for _, g := range pi.groups {
		g.PerNode[ni.Slot]--
		g.sums.add(c, ni.Slot, -1)
		g.Total--
		if g.Total == 0 {
			g.dead = true
			delete(c.groups, g.key)
			last := len(c.groupList) - 1
			c.groupList[g.index] = c.groupList[last]
			c.groupList[g.index].index = g.index
			c.groupList[last] = nil
			c.groupList = c.groupList[:last]
		}
	}
	pi.groups = pi.groups[:0]
	ni.RemovePod(pi)
	c.logChange(ni.Slot)
}

func (c *Cluster) countPod(slot int32, pi *PodInfo, delta int32) {
	for _, pc := range c.byNS[pi.Pod.Namespace] {
		if pc.matches(c, pi) {
			pc.PerNode[slot] += delta
			pc.sums.add(c, slot, delta)
			pc.Total += int(delta)
		}
	}
	for _, pc := range c.anyNS {
		if pc.matches(c, pi) {
			pc.PerNode[slot] += delta
			pc.sums.add(c, slot, delta)
			pc.Total += int(delta)
		}
	}
}

// --- namespaces

// UpsertNamespace sets the labels of a namespace. The API server always labels a namespace
// with kubernetes.io/metadata.name: its name, so that label is added when missing.
func (c *Cluster) UpsertNamespace(ns *corev1.Namespace) {
	set := labels.Set{}
	for k, v := range ns.Labels {
		set[k] = v
	}
	set[corev1.LabelMetadataName] = ns.Name
	c.namespaces[ns.Name] = set
	c.namespacesChanged()
}

// RemoveNamespace forgets the labels given for a namespace: it then has only its name label.
func (c *Cluster) RemoveNamespace(name string) {
	if _, ok := c.namespaces[name]; ok {
		delete(c.namespaces, name)
		c.namespacesChanged()
	}
}

// namespacesChanged drops the counters whose namespaceSelector may now select other
// namespaces; they are rebuilt when next asked for.
func (c *Cluster) namespacesChanged() {
	c.SelectorGen = nextGen()
	for _, pc := range append([]*PodCounter(nil), c.anyNS...) {
		if pc.sel.dependsOnNamespaceLabels() {
			c.dropCounter(pc)
		}
	}
}

// NamespaceLabels returns the labels of the namespace: those given with UpsertNamespace, or
// else only kubernetes.io/metadata.name. The set must not be modified.
func (c *Cluster) NamespaceLabels(ns string) labels.Set {
	if l, ok := c.namespaces[ns]; ok {
		return l
	}
	l, ok := c.implicitNS[ns]
	if !ok {
		l = labels.Set{corev1.LabelMetadataName: ns}
		c.implicitNS[ns] = l
	}
	return l
}

// --- Services and controllers, for the default topology spread selector

// UpsertService adds or replaces a Service.
func (c *Cluster) UpsertService(s *corev1.Service) {
	c.SelectorGen = nextGen()
	m := c.services[s.Namespace]
	if m == nil {
		m = map[string]*corev1.Service{}
		c.services[s.Namespace] = m
	}
	m[s.Name] = s
}

// RemoveService removes a Service.
func (c *Cluster) RemoveService(namespace, name string) {
	c.SelectorGen = nextGen()
	delete(c.services[namespace], name)
}

// UpsertReplicaSet adds or replaces a ReplicaSet.
func (c *Cluster) UpsertReplicaSet(rs *appsv1.ReplicaSet) {
	c.SelectorGen = nextGen()
	c.replicaSets[rs.Namespace+"/"+rs.Name] = rs
}

// RemoveReplicaSet removes a ReplicaSet.
func (c *Cluster) RemoveReplicaSet(namespace, name string) {
	c.SelectorGen = nextGen()
	delete(c.replicaSets, namespace+"/"+name)
}

// UpsertStatefulSet adds or replaces a StatefulSet.
func (c *Cluster) UpsertStatefulSet(ss *appsv1.StatefulSet) {
	c.SelectorGen = nextGen()
	c.statefulSets[ss.Namespace+"/"+ss.Name] = ss
}

// RemoveStatefulSet removes a StatefulSet.
func (c *Cluster) RemoveStatefulSet(namespace, name string) {
	c.SelectorGen = nextGen()
	delete(c.statefulSets, namespace+"/"+name)
}

// UpsertReplicationController adds or replaces a ReplicationController.
func (c *Cluster) UpsertReplicationController(rc *corev1.ReplicationController) {
	c.SelectorGen = nextGen()
	c.rcs[rc.Namespace+"/"+rc.Name] = rc
}

// RemoveReplicationController removes a ReplicationController.
func (c *Cluster) RemoveReplicationController(namespace, name string) {
	c.SelectorGen = nextGen()
	delete(c.rcs, namespace+"/"+name)
}

var (
	rcKind = corev1.SchemeGroupVersion.WithKind("ReplicationController")
	rsKind = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	ssKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
)

// DefaultSelector is upstream's helper.DefaultSelector (plugins/helper/spread.go): the labels
// of the pod's namespace's Services that select it (a Service with no selector selects
// nothing), merged, and then the selector of its controller (from the ownerReference with
// controller: true) when that is a ReplicationController, ReplicaSet or StatefulSet known here.
// An empty selector means the pod has no default spreading. Cost: O(Services in the namespace).
func (c *Cluster) DefaultSelector(pod *corev1.Pod) labels.Selector {
	var set labels.Set
	podLabels := labels.Set(pod.Labels)
	for _, s := range c.services[pod.Namespace] {
		if s.Spec.Selector == nil || !selectorMatches(s.Spec.Selector, podLabels) {
			continue
		}
		if set == nil {
			set = labels.Set{}
		}
		set = labels.Merge(set, s.Spec.Selector)
	}
	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		if len(set) == 0 {
			return labels.Everything()
		}
		return set.AsSelector()
	}
	selector := set.AsSelector()
	gv, err := schema.ParseGroupVersion(owner.APIVersion)
	if err != nil {
		return selector
	}
	key := pod.Namespace + "/" + owner.Name
	switch gv.WithKind(owner.Kind) {
	case rcKind:
		if rc, ok := c.rcs[key]; ok {
			set = labels.Merge(set, rc.Spec.Selector)
			selector = set.AsSelector()
		}
	case rsKind:
		if rs, ok := c.replicaSets[key]; ok {
			selector = addRequirements(selector, rs.Spec.Selector)
		}
	case ssKind:
		if ss, ok := c.statefulSets[key]; ok {
			selector = addRequirements(selector, ss.Spec.Selector)
		}
	}
	return selector
}

// selectorMatches is labels.Set(sel).AsSelectorPreValidated().Matches(podLabels) without
// building the selector: every pair of sel is in podLabels.
func selectorMatches(sel map[string]string, podLabels labels.Set) bool {
	for k, v := range sel {
		if w, ok := podLabels[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// MayHaveDefaultSelector reports whether DefaultSelector could be non-empty for pod: a Service
// exists in its namespace, or its controller is a ReplicationController, ReplicaSet or
// StatefulSet known here. O(1).
func (c *Cluster) MayHaveDefaultSelector(pod *corev1.Pod) bool {
	if len(c.services[pod.Namespace]) > 0 {
		return true
	}
	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		return false
	}
	key := pod.Namespace + "/" + owner.Name
	_, rc := c.rcs[key]
	_, rs := c.replicaSets[key]
	_, ss := c.statefulSets[key]
	return rc || rs || ss
}

func addRequirements(s labels.Selector, ls *metav1.LabelSelector) labels.Selector {
	other, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return s
	}
	if r, ok := other.Requirements(); ok {
		return s.Add(r...)
	}
	return s
}

// --- images

// Image is one image name known on some node, as upstream's scheduler cache keeps it
// (backend/cache/cache.go addNodeImageStates): the size given by the node that first listed
// it while no other node had it, and the number of nodes that list it now.
type Image struct {
	Name     string
	Size     int64
	NumNodes int
	nodes    []uint64 // bit per slot
}

// On reports whether the node in slot lists the image. O(1).
func (im *Image) On(slot int32) bool {
	w := int(slot >> 6)
	return w < len(im.nodes) && im.nodes[w]&(1<<(slot&63)) != 0
}

// Image returns the named image, or nil when no node lists it.
func (c *Cluster) Image(name string) *Image { return c.images[name] }

func (c *Cluster) addImages(ni *NodeInfo) {
	ni.images = ni.images[:0]
	slot := ni.Slot
	for _, img := range ni.node.Status.Images {
		for _, name := range img.Names {
			im := c.images[name]
			if im == nil {
				im = &Image{Name: name, Size: img.SizeBytes}
				c.images[name] = im
			}
			if im.On(slot) {
				continue
			}
			w := int(slot >> 6)
			if w >= len(im.nodes) {
				im.nodes = resize(im.nodes, max(w+1, c.capSlots/64))
			}
			im.nodes[w] |= 1 << (slot & 63)
			im.NumNodes++
			ni.images = append(ni.images, im)
		}
	}
}

func (c *Cluster) removeImages(ni *NodeInfo) {
	slot := ni.Slot
	for _, im := range ni.images {
		im.nodes[slot>>6] &^= 1 << (slot & 63)
		im.NumNodes--
		if im.NumNodes == 0 {
			delete(c.images, im.Name)
		}
	}
	ni.images = ni.images[:0]
}

// --- topologies

// Topology gives, for one label key, each node's domain: 0 when the node lacks the key, else a
// number from 1 standing for the label's value (Values[d-1]; an empty value is a domain too).
// Numbers are never reused for another value.
type Topology struct {
	Key    string
	Domain []int32 // by slot
	Values []string
	index  map[string]int32
}

// NumDomains returns the number of domain numbers given out; arrays indexed by domain need
// NumDomains()+1 entries.
func (t *Topology) NumDomains() int { return len(t.Values) }

// DomainOf returns the domain of a value, or 0 when no node ever had it.
func (t *Topology) DomainOf(value string) int32 { return t.index[value] }

func (t *Topology) set(slot int32, nodeLabels map[string]string) {
	v, ok := nodeLabels[t.Key]
	if !ok {
		t.Domain[slot] = 0
		return
	}
	d, ok := t.index[v]
	if !ok {
		t.Values = append(t.Values, v)
		d = int32(len(t.Values))
		t.index[v] = d
	}
	t.Domain[slot] = d
}

// Topology returns the domains of key, building them on first use.
func (c *Cluster) Topology(key string) *Topology {
	if t, ok := c.topologies[key]; ok {
		return t
	}
	t := &Topology{Key: key, Domain: make([]int32, c.capSlots), index: map[string]int32{}}
	for slot, ni := range c.slots {
		if ni != nil {
			t.set(int32(slot), ni.node.Labels)
		}
	}
	c.topologies[key] = t
	return t
}

// domainSums keeps a per-slot count summed per domain of a few topologies: brought up to date
// as the count changes (add), recomputed once the nodes changed (Cluster.NodeSetGen), which is
// the only way a node's domain changes.
type domainSums []domainSum

type domainSum struct {
	topo *Topology
	gen  uint64  // Cluster.NodeSetGen when summed
	sums []int64 // by domain; [0]: nodes without the key
}

// maxDomainSums bounds the topologies a count keeps sums for; more are summed anew each time.
const maxDomainSums = 4

// add follows a change of delta in slot's count.
func (ds domainSums) add(c *Cluster, slot, delta int32) {
	for i := range ds {
		if s := &ds[i]; s.gen == c.NodeSetGen && s.gen != 0 {
			s.sums[s.topo.Domain[slot]] += int64(delta)
		}
	}
}

// of returns perNode's sums per domain of topo.
func (ds *domainSums) of(c *Cluster, topo *Topology, perNode []int32) []int64 {
	var s *domainSum
	for i := range *ds {
		if (*ds)[i].topo == topo {
			s = &(*ds)[i]
			break
		}
	}
	if s == nil {
		if len(*ds) < maxDomainSums {
			*ds = append(*ds, domainSum{topo: topo})
			s = &(*ds)[len(*ds)-1]
		} else {
			s = &(*ds)[0] // taken over: rare, more keys than maxDomainSums
			s.topo, s.gen = topo, 0
		}
	}
	if s.gen == c.NodeSetGen && s.gen != 0 {
		return s.sums
	}
	n := topo.NumDomains() + 1
	if cap(s.sums) < n {
		s.sums = make([]int64, n)
	} else {
		s.sums = s.sums[:n]
		clear(s.sums)
	}
	for slot, v := range perNode {
		if v != 0 {
			s.sums[topo.Domain[slot]] += int64(v)
		}
	}
	s.gen = c.NodeSetGen
	return s.sums
}

// --- pod counters

// PodSelector selects pods: those whose namespace and labels pass every term, and, with
// ExcludeTerminating, that are not being deleted.
type PodSelector struct {
	Terms              []SelectorTerm
	ExcludeTerminating bool
}

// SelectorTerm is one conjunct of a PodSelector: the pod's namespace is one of Namespaces or
// its labels pass NamespaceSelector (nil selects none), and the pod's labels pass Selector.
type SelectorTerm struct {
	Namespaces        []string
	NamespaceSelector labels.Selector
	Selector          labels.Selector
}

func (s *PodSelector) key() string {
	var b strings.Builder
	if s.ExcludeTerminating {
		b.WriteString("live ")
	}
	for i, t := range s.Terms {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString("ns=")
		b.WriteString(strings.Join(t.Namespaces, ","))
		if t.NamespaceSelector != nil {
			b.WriteString(" nss=")
			b.WriteString(SelectorKey(t.NamespaceSelector))
		}
		b.WriteString(" sel=")
		b.WriteString(SelectorKey(t.Selector))
	}
	return b.String()
}

// oneNamespace returns the only namespace whose pods the selector can select, if there is one.
func (s *PodSelector) oneNamespace() (string, bool) {
	if len(s.Terms) == 0 {
		return "", false
	}
	t := s.Terms[0]
	if len(t.Namespaces) != 1 || !selectsNothing(t.NamespaceSelector) {
		return "", false
	}
	return t.Namespaces[0], true
}

func (s *PodSelector) dependsOnNamespaceLabels() bool {
	for _, t := range s.Terms {
		if !selectsNothing(t.NamespaceSelector) && !t.NamespaceSelector.Empty() {
			return true
		}
	}
	return false
}

func selectsNothing(s labels.Selector) bool {
	if s == nil {
		return true
	}
	_, ok := s.Requirements()
	return !ok
}

// Matches reports whether the selector selects pod (in a namespace with labels nsLabels).
func (s *PodSelector) Matches(pod *corev1.Pod, nsLabels func(string) labels.Set) bool {
	if s.ExcludeTerminating && pod.DeletionTimestamp != nil {
		return false
	}
	podLabels := labels.Set(pod.Labels)
	for i := range s.Terms {
		t := &s.Terms[i]
		if !containsString(t.Namespaces, pod.Namespace) &&
			(t.NamespaceSelector == nil || !t.NamespaceSelector.Matches(nsLabels(pod.Namespace))) {
			return false
		}
		if !t.Selector.Matches(podLabels) {
			return false
		}
	}
	return true
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// PodCounter counts, per node, the pods a PodSelector selects.
type PodCounter struct {
	sel      PodSelector
	key      string
	PerNode  []int32 // by slot
	Total    int
	lastUsed uint64
	dropped  bool
	sums     domainSums
}

// DomainSums returns PerNode summed per domain of topo, index 0 holding the nodes without
// topo's key. Valid until the next change of the cluster; not to be modified. O(1) while no node
// changed since the last call with topo (pods coming and going keep the sums up to date),
// O(nodes) otherwise.
func (pc *PodCounter) DomainSums(c *Cluster, topo *Topology) []int64 {
	return pc.sums.of(c, topo, pc.PerNode)
}

// Again returns pc, or, when the cluster has dropped it since, its selector's counter anew:
// plugins that keep counters between cycles call it every cycle instead of Counter, which
// would build the selector's key each time. O(1) unless pc was dropped.
func (c *Cluster) Again(pc *PodCounter) *PodCounter {
	if pc.dropped {
		return c.Counter(pc.sel)
	}
	c.tick++
	pc.lastUsed = c.tick
	return pc
}

func (pc *PodCounter) matches(c *Cluster, pi *PodInfo) bool {
	return pc.sel.Matches(pi.Pod, c.NamespaceLabels)
}

// Counter returns the counter of sel, counting the cluster's pods the first time sel is asked
// for. The counter stays valid, and up to date, until the next Counter call that makes a new
// one (which may drop the least recently used); plugins ask again every cycle.
func (c *Cluster) Counter(sel PodSelector) *PodCounter {
	c.tick++
	key := sel.key()
	if pc, ok := c.counters[key]; ok {
		pc.lastUsed = c.tick
		return pc
	}
	if len(c.counters) >= MaxCounters {
		var oldest *PodCounter
		for _, pc := range c.counters {
			if oldest == nil || pc.lastUsed < oldest.lastUsed {
				oldest = pc
			}
		}
		c.dropCounter(oldest)
	}
	pc := &PodCounter{sel: sel, key: key, PerNode: make([]int32, c.capSlots), lastUsed: c.tick}
	for slot, ni := range c.slots {
		if ni == nil {
			continue
		}
		for _, pi := range ni.Pods {
			if pc.matches(c, pi) {
				pc.PerNode[slot]++
				pc.Total++
			}
		}
	}
	c.counters[key] = pc
	if ns, ok := sel.oneNamespace(); ok {
		c.byNS[ns] = append(c.byNS[ns], pc)
	} else {
		c.anyNS = append(c.anyNS, pc)
	}
	return pc
}

func (c *Cluster) dropCounter(pc *PodCounter) {
	pc.dropped = true
	delete(c.counters, pc.key)
	remove := func(list []*PodCounter) []*PodCounter {
		for i, x := range list {
			if x == pc {
				return append(list[:i], list[i+1:]...)
			}
		}
		return list
	}
	if ns, ok := pc.sel.oneNamespace(); ok {
		c.byNS[ns] = remove(c.byNS[ns])
		if len(c.byNS[ns]) == 0 {
			delete(c.byNS, ns)
		}
	} else {
		c.anyNS = remove(c.anyNS)
	}
}

// --- groups of existing pods' affinity terms

// TermKind says which of a pod's four affinity lists a term comes from.
type TermKind uint8

// The kinds of terms.
const (
	RequiredAffinity TermKind = iota
	RequiredAntiAffinity
	PreferredAffinity
	PreferredAntiAffinity
)

// TermGroup is one distinct affinity term (with its kind and weight) of the pods in the
// cluster, and how many times pods on each node carry it.
type TermGroup struct {
	Kind    TermKind
	Weight  int32 // for preferred terms
	Term    *AffinityTerm
	PerNode []int32 // by slot
	Total   int
	key     string
	index   int  // in Cluster.groupList
	dead    bool // removed from the cluster: no pod carries the term any more
	sums    domainSums
}

// DomainSums is PodCounter.DomainSums for the group's PerNode.
func (g *TermGroup) DomainSums(c *Cluster, topo *Topology) []int64 {
	return g.sums.of(c, topo, g.PerNode)
}

// Groups returns the groups of existing pods' terms. The slice must not be modified and is
// valid until the next change.
func (c *Cluster) Groups() []*TermGroup { return c.groupList }

func (c *Cluster) groupTerms(pi *PodInfo, slot int32) {
	if pa := pi.parsed; pa != nil && pa.groups != nil {
		// The template's groups, found by an earlier pod; one may have gone since.
		for i, g := range pa.groups {
			if g.dead {
				g = c.group(g.Kind, g.Weight, g.Term)
				pa.groups[i] = g
			}
			g.PerNode[slot]++
			g.sums.add(c, slot, 1)
			g.Total++
			pi.groups = append(pi.groups, g)
		}
		return
	}
	a := pi.Affinity
	for i := range a.RequiredAffinity {
		c.joinGroup(pi, slot, RequiredAffinity, 0, &a.RequiredAffinity[i])
	}
	for i := range a.RequiredAntiAffinity {
		c.joinGroup(pi, slot, RequiredAntiAffinity, 0, &a.RequiredAntiAffinity[i])
	}
	for i := range a.PreferredAffinity {
		t := &a.PreferredAffinity[i]
		c.joinGroup(pi, slot, PreferredAffinity, t.Weight, &t.AffinityTerm)
	}
	for i := range a.PreferredAntiAffinity {
		t := &a.PreferredAntiAffinity[i]
		c.joinGroup(pi, slot, PreferredAntiAffinity, t.Weight, &t.AffinityTerm)
	}
	if pa := pi.parsed; pa != nil {
		pa.groups = append([]*TermGroup(nil), pi.groups...)
	}
}

func (c *Cluster) joinGroup(pi *PodInfo, slot int32, kind TermKind, weight int32, t *AffinityTerm) {
	g := c.group(kind, weight, t)
	g.PerNode[slot]++
	g.sums.add(c, slot, 1)
	g.Total++
	pi.groups = append(pi.groups, g)
}

// group returns the group of the term, making it if needed.
func (c *Cluster) group(kind TermKind, weight int32, t *AffinityTerm) *TermGroup {
	key := strconv.Itoa(int(kind)) + "/" + strconv.Itoa(int(weight)) + "/" + t.Key
	g, ok := c.groups[key]
	if !ok {
		g = &TermGroup{Kind: kind, Weight: weight, Term: t, PerNode: make([]int32, c.capSlots), key: key, index: len(c.groupList)}
		c.groups[key] = g
		c.groupList = append(c.groupList, g)
	}
	return g
}

// String describes the cluster's indexes, for tests and debugging.
func (c *Cluster) String() string {
	return fmt.Sprintf("Cluster{nodes: %d, slots: %d, topologies: %d, counters: %d, groups: %d, images: %d}",
		c.numNodes, c.capSlots, len(c.topologies), len(c.counters), len(c.groups), len(c.images))
}

// --- bound pods

// boundCache reuses the costly parts of bound PodInfos between pods of one template: requests
// by the signature of what they are computed from, parsed affinity by the signature of the
// terms, the namespace and the labels. Both are immutable and shared.
type boundCache struct {
	h        maphash.Hash
	requests map[uint64]boundRequestsEntry
	affinity map[uint64]*ParsedAffinity
}

// ParsedAffinity is a pod's parsed inter-pod affinity (ParsePodAffinity), shared by every pod
// whose namespace, labels and terms sign alike (Sig). It never changes.
type ParsedAffinity struct {
	PodAffinity
	Err error
	Sig uint64

	groups []*TermGroup // the cluster's groups of its terms, in groupTerms order, once known
}

// noAffinity is the ParsedAffinity of every pod without inter-pod affinity.
var noAffinity ParsedAffinity

// ParsedAffinity returns pod's parsed inter-pod affinity, parsing it only for the first pod of
// a template. Cost: hashing the terms, labels and namespace.
func (c *Cluster) ParsedAffinity(pod *corev1.Pod) *ParsedAffinity {
	if a := pod.Spec.Affinity; a == nil || (a.PodAffinity == nil && a.PodAntiAffinity == nil) {
		return &noAffinity // the common case, without hashing
	}
	b := &c.bound
	if b.affinity == nil || len(b.affinity) >= maxBoundCache {
		b.affinity = map[uint64]*ParsedAffinity{}
	}
	b.h.Reset()
	SignPodAffinity(&b.h, pod)
	key := b.h.Sum64()
	pa, ok := b.affinity[key]
	if !ok {
		pa = &ParsedAffinity{Sig: key}
		pa.PodAffinity, pa.Err = ParsePodAffinity(pod)
		b.affinity[key] = pa
	}
	return pa
}

type boundRequestsEntry struct {
	requested              Resource
	nonZeroCPU, nonZeroMem int64
}

// maxBoundCache bounds each of boundCache's maps; a full map is emptied.
const maxBoundCache = 4096

// NewBoundPodInfo is framework.NewBoundPodInfo with the cluster's feature gates, reusing the
// requests and parsed affinity computed for an earlier pod that signs alike (64-bit hashes of
// the fields they are computed from; see NodeLocalPlugin). Cost: hashing those fields, and
// the full computation once per template.
func (c *Cluster) NewBoundPodInfo(pod *corev1.Pod) *PodInfo {
	b := &c.bound
	if b.requests == nil || len(b.requests) >= maxBoundCache {
		b.requests = map[uint64]boundRequestsEntry{}
	}
	pi := &PodInfo{Pod: pod, index: -1, HostPorts: HostPorts(pod), Priority: corev1helpers.PodPriority(pod)}
	b.h.Reset()
	SignResources(&b.h, pod)
	key := b.h.Sum64()
	r, ok := b.requests[key]
	if !ok {
		r.requested, r.nonZeroCPU, r.nonZeroMem = boundRequests(pod, c.fts)
		b.requests[key] = r
	}
	pi.Requested, pi.NonZeroMilliCPU, pi.NonZeroMemory = r.requested, r.nonZeroCPU, r.nonZeroMem
	if a := pod.Spec.Affinity; a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil) {
		// A list that does not parse is left empty, as upstream's cache ignores the error.
		if pa := c.ParsedAffinity(pod); !pa.Empty() {
			pi.Affinity, pi.parsed = &pa.PodAffinity, pa
		}
	}
	return pi
}
