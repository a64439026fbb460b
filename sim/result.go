package sim

import (
	"time"

	"ksim.dev/ksim/scheduler"
)

// Result is everything a run recorded, as plain data for the reports package. It holds no
// pointers into the engine's state.
type Result struct {
	Scenario string
	Seed     uint64
	Duration time.Duration // simulated time covered: the horizon, or the time the run stopped on an error
	Events   int64         // events processed

	Pods PodCounts
	// PendingSeconds holds, for every pod that was bound, how long it waited from creation to
	// binding, in seconds, in binding order.
	PendingSeconds []float64

	// Pending is the number of pods waiting to be scheduled, as a step series.
	Pending Series
	// Unschedulable counts, per failure reason, the pending pods whose last scheduling attempt
	// failed with it (a pod counts under every reason some node gave), sorted by reason.
	Unschedulable []ReasonSeries
	// Placements lists every binding, in order.
	Placements []Placement
	// Explained holds the scheduler's full explanation (every node's filter verdicts and
	// scores) of the first scheduling attempts of the run, up to Options.MaxExplained: each
	// pod's binding, and its first failed attempt if it had one.
	Explained []ExplainedAttempt
	HPAs      []HPAResult
	Nodes     []NodeResult

	// Log is the timeline of notable events: node events, evictions, scale events, failed
	// placements (the first failure of each pod, and its reason).
	Log []LogEntry

	// Settings are the run's settings as the scenario resolved them, each with its default, in
	// a fixed order (see Setting). The reports show those that differ from their default.
	Settings []Setting
}

// Setting is one setting of a run. Name is the scenario's field path
// ("spec.controllers.hpaSyncPeriod") or, for a workload's pod timing (from its ksim.dev/*
// annotations or readiness probe), "Kind/namespace/name timing.startupLatency". Value and
// Default are printed the way the scenario file writes them (durations as Go durations,
// "30s"). Default is the value the run would have had had the scenario not set it; "" for a
// setting that has no default (the duration, a load's trace), which the reports always show.
type Setting struct {
	Name    string
	Value   string
	Default string
}

// PodCounts are totals over the run.
type PodCounts struct {
	Created            int
	Scheduled          int // pods bound to a node (each pod counts once)
	UnschedulableAtEnd int // pods still pending at the end that the scheduler had rejected
	PendingAtEnd       int // all pods still pending at the end
	Evicted            int // by the taint-eviction controller (NoExecute taints, lost nodes) or a drain
	Preempted          int // deleted by the scheduler to make room for a pod of higher priority
	Succeeded          int // Job pods that completed
}

// Series is a step function: the value holds from each point's time until the next point.
// Points are in time order and consecutive points have different values.
type Series struct {
	Points []Point
}

// Point is one change of a step series.
type Point struct {
	T time.Duration
	V float64
}

// Add appends (t, v) unless v equals the last value. If t equals the last point's time the last
// point is replaced. Cost: O(1).
func (s *Series) Add(t time.Duration, v float64) {
	n := len(s.Points)
	if n > 0 {
		last := &s.Points[n-1]
		if last.V == v {
			return
		}
		if last.T == t {
			last.V = v
			if n > 1 && s.Points[n-2].V == v {
				s.Points = s.Points[:n-1]
			}
			return
		}
	}
	s.Points = append(s.Points, Point{T: t, V: v})
}

// ReasonSeries is the number of pods held back by one reason, over time.
type ReasonSeries struct {
	Reason string
	Pods   Series
}

// Placement is one binding of a pod to a node.
type Placement struct {
	T        time.Duration
	Pod      string // namespace/name
	Owner    string // Kind/namespace/name
	Node     string
	Attempts int           // failed attempts before this one
	Pending  time.Duration // from creation to binding
}

// ExplainedAttempt is one scheduling attempt with the scheduler's explanation.
type ExplainedAttempt struct {
	T           time.Duration
	Pod         string // namespace/name
	Node        string // "" when the attempt failed
	Reason      string // the FitError text when it failed
	Explanation *scheduler.Explanation
}

// HPAResult is one HorizontalPodAutoscaler's record.
type HPAResult struct {
	Namespace, Name string
	Target          string // "Deployment/web"
	MinReplicas     int32
	MaxReplicas     int32
	Replicas        Series // the target's spec.replicas
	Ready           Series // ready pods of the target
	Syncs           []HPASync
	ScaleEvents     []ScaleEvent
	// Demand is the load driving the target (cores), sampled every SampleInterval, and Unserved
	// the part of it that the ready pods could not serve.
	Demand   Series
	Unserved Series
	// TargetUtilization is the HPA's CPU target in percent of the pods' requests, or 0 when it
	// targets an average value; TargetAverageMilli is that average value in millicores, or 0.
	TargetUtilization  int32
	TargetAverageMilli int64
}

// HPASync is one sync of the controller.
type HPASync struct {
	T           time.Duration
	Current     int32
	Proposal    int32 // -1 when metrics failed
	Desired     int32
	Utilization int32 // %, -1 when unknown
	Limited     string
	Err         string
}

// ScaleEvent is one change of replicas written by the HPA.
type ScaleEvent struct {
	T        time.Duration
	From, To int32
}

// NodeResult is one node's record.
type NodeResult struct {
	Name           string
	Zone           string
	AllocatableCPU int64  // milli-CPU
	RequestedCPU   Series // milli-CPU requested by bound pods
	UsedCPU        Series // milli-CPU used by its pods under the load models, sampled
	// Pool is the node's pool: the value of the first of PoolLabels the node carries, or "".
	Pool string
	// Removed is set when the node was removed during the run, at RemovedAt. A node exists from
	// the first point of RequestedCPU (its addition) until RemovedAt or the end of the run.
	Removed   bool
	RemovedAt time.Duration
}

// LogEntry is one line of the run's timeline.
type LogEntry struct {
	T      time.Duration
	Kind   string // "node", "evict", "preempt", "scale", "unschedulable", "job", "load"
	Object string // "node/n1", "pod/default/web-abc", "hpa/default/web"
	Detail string
}
