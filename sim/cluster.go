package sim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"ksim.dev/ksim/sim/scenario"
)

// Node is one node of the simulated cluster.
type Node struct {
	Obj  *corev1.Node // the API object the scheduler sees (labels, taints, unschedulable, allocatable)
	Name string
	// Up is false from a "fail" event until "recover": the kubelet is gone and the node's pods
	// serve nothing. The API only learns of it after the node-monitor grace period.
	Up      bool
	Removed bool
	pods    []*Pod // pods bound to the node and not yet gone, in binding order

	allocCPU, allocMem, allocPods int64 // milli-CPU, bytes, count
	reqCPU, reqMem                int64
	result                        *NodeResult
	// The node's metrics scrape phase (scrapePhase), memoised for the resolution phaseRes.
	phase, phaseRes time.Duration
	notReadyTimer   *event
}

// PodPhase is where a simulated pod is in its lifecycle. It refines corev1.PodPhase with the
// steps the simulator times separately.
type PodPhase uint8

const (
	PodPending    PodPhase = iota // created, waiting to be scheduled
	PodBound                      // bound to a node, containers starting
	PodRunning                    // containers started, not yet ready
	PodReady                      // ready: serves load
	PodSucceeded                  // a Job pod that finished (occupies nothing)
	PodTerminated                 // deleted and gone (occupies nothing)
)

func (p PodPhase) String() string {
	return [...]string{"Pending", "Bound", "Running", "Ready", "Succeeded", "Terminated"}[p]
}

// Pod is one simulated pod.
//
// The fields an HPA sync reads of every pod of its target come first, so that they share a
// cache line: a sync of a large target is a walk over its pods.
type Pod struct {
	Phase PodPhase
	// Deleting is set when the pod is being deleted (it has a deletionTimestamp): it no longer
	// counts for its owner and serves nothing, but holds its node until it is gone.
	Deleting bool
	// NotReady is set while the node controller has marked the pod not ready (its node is down).
	NotReady bool
	Node     *Node
	ReadyAt  time.Duration

	StartedAt, BoundAt, CreatedAt time.Duration

	ID    int64 // creation order, from 1; the stable tie-break wherever upstream would use a UID
	Obj   *corev1.Pod
	Owner *Owner

	reqCPU, reqMem, limitCPU int64 // milli-CPU, bytes, milli-CPU (0 = no limit)
	queued                   queueState
	firstFailureLogged       bool

	attempts   int      // failed scheduling attempts
	daemonNode string   // DaemonSet pods: the node the pod is made for
	reasons    []string // why the last scheduling attempt failed, while pending

	timer           *event // the pending lifecycle event (started, ready, succeeded, gone)
	eviction        *event // a pending NoExecute eviction
	evictionCreated time.Duration
}

// queueState says whether a pod waits in the scheduling queue (which sub-queue is the
// queue's business: scheduler/queue).
type queueState uint8

const (
	notQueued queueState = iota
	inQueue
)

// active reports whether the pod counts for its controller (upstream controller.IsPodActive:
// not Succeeded, not Failed, not being deleted).
func (p *Pod) active() bool {
	return !p.Deleting && p.Phase != PodSucceeded && p.Phase != PodTerminated
}

// serving reports whether the pod serves load now: ready, not being deleted, on a node that is up.
func (p *Pod) serving() bool {
	return p.Phase == PodReady && !p.Deleting && !p.NotReady && p.Node != nil && p.Node.Up
}

// apiReady is the pod's Ready condition as the API shows it.
func (p *Pod) apiReady() bool {
	return p.Phase == PodReady && !p.NotReady
}

// OwnerKind is the kind of controller that owns pods.
type OwnerKind uint8

const (
	KindDeployment OwnerKind = iota
	KindDaemonSet
	KindJob
	KindPod // a bare pod: owns itself, never recreated
)

func (k OwnerKind) String() string {
	return [...]string{"Deployment", "DaemonSet", "Job", "Pod"}[k]
}

// Owner is a workload controller's state: its pod template, its desired count and its pods.
type Owner struct {
	Kind            OwnerKind
	Namespace, Name string
	Template        *corev1.PodTemplateSpec
	Timing          scenario.PodTiming
	Replicas        int32  // Deployment: spec.replicas
	Parallelism     int32  // Job
	Completions     int32  // Job
	Succeeded       int32  // Job
	Pods            []*Pod // every pod ever created that is not gone, in creation order
	// podsEpoch moves whenever a pod is added to Pods, removed from it, or changes phase,
	// deletion or readiness (podsChanged): an HPA reuses its list of the pods while it stands.
	podsEpoch         uint64
	podsCreated       int
	hashSuffix        string // the ReplicaSet's pod-template-hash
	reqCPU, reqMem    int64
	limitCPU          int64
	load              *loadState
	hpa               *hpaState
	daemonNodes       map[string]*Pod // DaemonSet: active pod per node name
	daemonTolerations []corev1.Toleration
	daemonAffinity    nodeaffinity.RequiredNodeAffinity
	result            *OwnerSeries
	// podLabels and ownerRefs are what the owner's pods carry (shared, read-only): the template's
	// labels plus any the controller adds, and the controller reference. podLabels nil means the
	// template's labels.
	podLabels map[string]string
	ownerRefs []metav1.OwnerReference

	// The cached count of serving pods, valid while servingAt equals *epoch (the simulation's
	// serving epoch); see servingPods.
	epoch     *uint64
	servingAt uint64
	servingN  int
}

// OwnerSeries is what the engine records per owner.
type OwnerSeries struct {
	Ready Series // ready pods
}

// Key is "Kind/namespace/name".
func (o *Owner) Key() string { return o.Kind.String() + "/" + o.Namespace + "/" + o.Name }

// podsChanged notes a change of the owner's pods (see podsEpoch).
func (o *Owner) podsChanged() { o.podsEpoch++ }

// activePods counts the owner's active pods. Cost: O(pods).
func (o *Owner) activePods() int {
	n := 0
	for _, p := range o.Pods {
		if p.active() {
			n++
		}
	}
	return n
}
