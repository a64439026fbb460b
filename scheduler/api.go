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
//
//	func ParseConfig(name string, data []byte) (*Config, error) // a KubeSchedulerConfiguration
//	func DefaultProfile() Profile
//	func New(cfg Config, rng *rand.Rand) (*Scheduler, error)    // zero Config: upstream's defaults
//	func (s *Scheduler) Schedule(snap *Snapshot, pod *corev1.Pod, explain bool) Result
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
// This first cut implements, in upstream's default-profile order and with its weights:
//
//	plugin                           extension points                 weight
//	NodeName                         PreFilter, Filter
//	NodeUnschedulable                Filter
//	TaintToleration                  Filter, PreScore, Score          3
//	NodeAffinity                     PreFilter, Filter, PreScore, Score  2
//	NodeResourcesFit                 PreFilter, Filter, PreScore, Score  1 (LeastAllocated)
//	NodeResourcesBalancedAllocation  PreScore, Score                  1
//
// The other plugins of upstream's default profile do not exist yet, and so neither filter nor
// score: SchedulingGates, NodePorts, VolumeRestrictions, NodeVolumeLimits, VolumeBinding,
// VolumeZone, PodTopologySpread, InterPodAffinity, DynamicResources, ImageLocality,
// NodeDeclaredFeatures; nor the queue (PrioritySort), DefaultPreemption (PostFilter) or
// binding. Each plugin lives in plugins/<name> with upstream's
// Name, a New and interface assertions, behind the small framework in framework/, so that the
// missing ones slot in.
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
//   - Other pods nominated to a node (by preemption) are not counted against it while
//     filtering, as upstream's RunFilterPluginsWithNominatedPods does: there is no queue yet.
//   - A pod that a PreFilter plugin restricts to named nodes (spec.nodeName, or matchFields
//     metadata.name) has those nodes filtered in snapshot order; upstream walks them in Go map
//     order.
package scheduler
