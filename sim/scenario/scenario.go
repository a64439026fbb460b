// Package scenario loads a ksim Scenario: the file that names a cluster, its workloads, the load
// that drives them and the events that happen to it, with Kubernetes manifests as users have them.
//
// Load decodes strictly: every unknown field is an error, and every error names the file, the
// line where it can, the field path and what is allowed (see Error). The result is plain data that
// sim.New turns into a runnable engine; nothing here runs.
package scenario

import (
	"io/fs"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
)

// APIVersion and Kind identify a scenario document.
const (
	APIVersion = "ksim.dev/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is a loaded, validated scenario. Every reference in it (HPA targets, load targets,
// nodes named by events, trace files) has been checked to exist.
type Scenario struct {
	Name     string
	Seed     uint64        // spec.seed; 0 when unset (the CLI's --seed overrides)
	Duration time.Duration // spec.duration, the run's horizon; > 0

	Limits      Limits
	Controllers Controllers
	Defaults    PodTiming // defaults for every workload's pod timing

	// Cluster objects, in file order.
	Nodes []*corev1.Node

	// Workload objects, in file order. Objects without a namespace are in "default".
	Namespaces      []*corev1.Namespace
	PriorityClasses []*schedulingv1.PriorityClass
	Deployments     []*appsv1.Deployment
	DaemonSets      []*appsv1.DaemonSet
	Jobs            []*batchv1.Job
	Pods            []*corev1.Pod // bare pods (no controller)
	HPAs            []*autoscalingv2.HorizontalPodAutoscaler
	// PodDisruptionBudgets (policy/v1) limit which pods preemption may evict; their status is
	// the engine's to compute (see pdb.go).
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget

	// Timing holds per-workload pod timing, keyed by "Kind/namespace/name", resolved from the
	// ksim.dev/* annotations of that workload (see Annotation*) on top of Defaults.
	Timing map[string]PodTiming

	// SchedulerConfig is the raw KubeSchedulerConfiguration file, or nil for upstream defaults.
	// (Decoding it belongs to the scheduler package.)
	SchedulerConfig *File

	Load   []LoadSpec
	Events []NodeEvent // in time order; events at the same time in file order

	// FS and Dir locate the files the scenario refers to: trace paths in Load are paths within
	// FS (already joined with the scenario's directory, Dir). For Load, FS is the OS filesystem
	// from its root; for LoadFS, the fs.FS given.
	FS  fs.FS
	Dir string
}

// File is a file's name (for error messages) and contents.
type File struct {
	Path string
	Data []byte
}

// Limits bound a run so that a mistaken scenario cannot run away with the machine.
type Limits struct {
	MaxEvents int64 // spec.limits.maxEvents; default 50,000,000
	MaxPods   int   // spec.limits.maxPods, pods alive at once; default 1,000,000
}

// Controllers are the controller-manager settings.
type Controllers struct {
	HPASyncPeriod          time.Duration // default 30s (kube-controller-manager: 15s)
	HPATolerance           float64       // default 0.1
	HPADownscaleWindow     time.Duration // default 5m, --horizontal-pod-autoscaler-downscale-stabilization
	HPACPUInitPeriod       time.Duration // default 5m
	HPAInitialReadiness    time.Duration // default 30s
	MetricResolution       time.Duration // metrics-server scrape interval; default 15s
	NodeMonitorGracePeriod time.Duration // from node failure to NotReady taints; default 50s
	SampleInterval         time.Duration // report sampling; default 60s
}

// PodTiming is how a workload's pods move through their lifecycle.
type PodTiming struct {
	StartupLatency   time.Duration // bound → containers started; default 2s
	ReadinessDelay   time.Duration // started → Ready; default: readinessProbe.initialDelaySeconds, else 0
	TerminationDelay time.Duration // deletion → resources released; default 0
	TaskDuration     time.Duration // Jobs only: started → Succeeded; default 1m
}

// Annotations on a workload (Deployment, DaemonSet, Job, Pod) that set its PodTiming.
const (
	AnnotationStartupLatency   = "ksim.dev/startup-latency"
	AnnotationReadinessDelay   = "ksim.dev/readiness-delay"
	AnnotationTerminationDelay = "ksim.dev/termination-delay"
	AnnotationTaskDuration     = "ksim.dev/task-duration"
)

// Ref names a workload: Kind is "Deployment", "DaemonSet", "Job" or "Pod".
type Ref struct {
	Kind, Namespace, Name string
}

// LoadSpec and Trace, what spec.load holds, are in loadspec.go.

// NodeEvent is something that happens to nodes at a given time.
type NodeEvent struct {
	At     time.Duration
	Action string // add, fail, recover, remove, cordon, uncordon, taint, untaint
	// Nodes selects existing nodes by name (Names) or by labels (Labels); for "add", Node is the
	// new node's manifest instead.
	Names  []string
	Labels map[string]string
	Taint  *corev1.Taint // taint and untaint
	Node   *corev1.Node  // add
	Source string        // "FILE:LINE" of the event, for messages
}
