// Package scheduler places pods on nodes as kube-scheduler v1.37 does: the filter and score
// plugins of the default profile, their weights and normalisation, upstream's node order,
// percentageOfNodesToScore with the rotating start index, and a seeded tie-break.
//
// It is a library: the caller keeps a Snapshot of the cluster up to date (nodes and the pods
// bound to them) and asks Schedule for one pod at a time. Schedule never changes the snapshot;
// the caller binds the pod by adding it with AddPod.
//
//	func NewSnapshot() *Snapshot
//	func (s *Snapshot) UpsertNode(n *corev1.Node)          // add, or replace labels/taints/allocatable
//	func (s *Snapshot) RemoveNode(name string)             // and the pods on it
//	func (s *Snapshot) AddPod(p *corev1.Pod)               // p.Spec.NodeName names a node in s
//	func (s *Snapshot) RemovePod(p *corev1.Pod)
//	func (s *Snapshot) NumNodes() int
//	func (s *Snapshot) UpsertNamespace(ns *corev1.Namespace)   // labels for namespaceSelectors
//	func (s *Snapshot) UpsertService(svc *corev1.Service)      // selectors for default spreading,
//	func (s *Snapshot) UpsertReplicaSet(rs *appsv1.ReplicaSet) // with UpsertStatefulSet,
//	                                                           // UpsertReplicationController
//	                                                           // and the Remove* of each
//
//	func ParseConfig(name string, data []byte) (*Config, error) // a KubeSchedulerConfiguration
//	func DefaultProfile() Profile
//	func New(cfg Config, rng *rand.Rand) (*Scheduler, error)    // zero Config: upstream's defaults
//	func (s *Scheduler) Schedule(snap *Snapshot, pod *corev1.Pod, explain bool) Result
//	func (s *Scheduler) ScheduleWithPreemption(snap *Snapshot, pod *corev1.Pod, explain bool) Result
//	func (s *Snapshot) NominatePod(p *corev1.Pod)              // status.nominatedNodeName
//	func (s *Snapshot) UpsertPDB(pdb *policyv1.PodDisruptionBudget) // and RemovePDB
//
// The scheduling queue is package scheduler/queue; preemption (the DefaultPreemption PostFilter
// plugin, ScheduleWithPreemption) and nominated pods are in preemption.go; docs/scheduling.md
// describes both.
//
// # Profiles
//
// ParseConfig reads a kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration as
// kube-scheduler does (strict decoding, upstream's defaulting and validation, multiPoint
// expansion), with FILE:LINE errors; each Profile it returns lists the plugins of every
// extension point in run order, the score weights and the plugins' args. Schedule picks the
// profile by the pod's spec.schedulerName; a pod no profile is named for is not scheduled
// (Result.NoProfile). A profile's plugins that ksim does not implement are left out, as in the
// default profile (Scheduler.NotImplemented lists them).
//
// # Plugins
//
// ksim implements these plugins of upstream's default profile, in its order and with its
// weights (each plugin's args in its package: noderesources.FitArgs, interpodaffinity.Args,
// podtopologyspread.Args, ...):
//
//	plugin                           extension points                    weight
//	NodeName                         PreFilter, Filter
//	NodeUnschedulable                Filter
//	TaintToleration                  Filter, PreScore, Score             3
//	NodeAffinity                     PreFilter, Filter, PreScore, Score  2
//	NodePorts                        PreFilter, Filter
//	NodeResourcesFit                 PreFilter, Filter, PreScore, Score  1 (LeastAllocated)
//	PodTopologySpread                PreFilter, Filter, PreScore, Score  2 (system defaults)
//	InterPodAffinity                 PreFilter, Filter, PreScore, Score  2 (hardPodAffinityWeight 1)
//	NodeResourcesBalancedAllocation  PreScore, Score                     1
//	ImageLocality                    Score                               1
//	DefaultPreemption                PostFilter (ScheduleWithPreemption only)
//
// The other plugins of upstream's default profile are left out, and so neither filter nor
// score: SchedulingGates, VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone,
// DynamicResources and NodeDeclaredFeatures (ksim's pods have no volumes, claims or declared
// features), the queue (PrioritySort) and binding. Each plugin lives in plugins/<name> with
// upstream's Name, a New and interface assertions, behind the small framework in framework/.
//
// # How a cycle stays cheap
//
// The Snapshot keeps, beside each node's totals, the cluster's indexes (framework.Cluster):
// every node's topology domains as small integers, per pod selector the matching pods per node
// (made on first use, then updated as pods come and go), and the distinct affinity terms of
// existing pods with their pods per node; both keep, once asked, their sums per domain of a
// topology up to date as well. Inter-pod affinity and topology spreading thus never walk the
// cluster's pods: their PreFilter and PreScore take O(domains) per term or constraint from
// those sums (O(nodes) where only some nodes are eligible; spreading's PreScore also looks at
// the feasible nodes until it has seen every domain), their Filter and Score a few array reads
// per node, done for all candidate nodes at once (framework.BatchFilter, BatchScorer). The
// plugins whose verdicts depend only on the pod and one node (framework.NodeLocalPlugin) sign
// the parts of the pod they read; pods that sign alike (the pods of one template) share every
// node's cached verdict and raw scores, which are recomputed only for the nodes that changed
// since (template_cache.go). No Filter or Score allocates for a node. Measured against the
// real framework: bench/README.md, section "Placement path".
//
// # Where ksim differs from kube-scheduler, on purpose
//
//   - Ties between equally scored nodes are broken with the rng given to New
//     (TieBreakRandom), never with global math/rand, or as v1.37 does on one goroutine
//     (TieBreakUpstreamHeap). See TieBreak.
//   - Filtering runs on one goroutine. Upstream filters on 16; with percentageOfNodesToScore
//     below 100 its set of feasible nodes then depends on goroutine timing. ksim's is the one
//     upstream finds with parallelism 1.
//   - Upstream's OpportunisticBatching (a cache that reuses the previous pod's scores for a pod
//     of the same signature within 500 ms of wall-clock time) is not modelled: every pod is
//     scheduled afresh.
//   - Pods nominated to nodes live in the Snapshot (NominatePod), not in a queue's nominator;
//     they are counted while filtering as upstream's RunFilterPluginsWithNominatedPods does.
//     See preemption.go and plugins/defaultpreemption for preemption's own deterministic
//     choices.
//   - A pod that a PreFilter plugin restricts to named nodes (spec.nodeName, or matchFields
//     metadata.name) has those nodes filtered in snapshot order; upstream walks them in Go map
//     order.
//   - A namespace never given to UpsertNamespace has only its kubernetes.io/metadata.name label
//     (as every namespace of a real cluster has); upstream's listers only know the namespaces
//     that exist.
//   - ImageLocality counts the nodes that have an image as they are now. Upstream reads the
//     count from its snapshot's copy of each node, refreshed only when that node changes, so it
//     can lag behind nodes added, removed or re-imaged elsewhere.
//   - Two bound pods that take the same host port on one node (possible only by binding them
//     directly) free it when either goes, as upstream's HostPortInfo does.
//   - InterPodAffinity behaves as with the InterPodAffinityHostnameFastPath gate off (its v1.37
//     default); the gated fast path gives the same verdicts.
//   - Pods are signed with a 64-bit hash of the parts the node-local plugins read; two pods
//     that differ there yet hash alike would share cached results (odds about 1 in 10^19).
package scheduler
