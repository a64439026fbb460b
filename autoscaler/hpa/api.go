// Package hpa is the HorizontalPodAutoscaler (autoscaling/v2) of kube-controller-manager v1.37,
// decision for decision, as pure code: metrics and the HPA's own history in, replicas out.
// Time is the simulation's: a time.Duration from the run's start.
//
// The arithmetic is upstream's, reproduced in our own words from
// k8s.io/kubernetes@v1.37.2/pkg/controller/podautoscaler (horizontal.go, replica_calculator.go,
// metrics/client.go, metrics/utilization.go) and pkg/apis/autoscaling/v2/defaults.go; each rule
// cites the upstream function it reproduces. The plumbing is not: there is no clock, no client,
// no informer and no lock. The caller (the simulator engine, `ksim hpa replay`, a test) drives
// the sync period, reads the target's scale, the pods its selector matches and what the metrics
// APIs serve, and writes Decision.Desired back when Decision.Rescale is set.
//
// One sync, in order (horizontal.go: reconcileAutoscaler):
//
//	record {current, now} on the very first sync      (recordInitialRecommendation)
//	current == 0 / > max / < min: the short paths      (no metrics read)
//	otherwise: proposal per metric → max over metrics  (proposeForMetric, combineProposals)
//	        → stabilization → rate limits / min / max  (normalizeLegacy, normalizeWithBehavior)
//	write when desired != current; remember the scale event when behavior is set
//
// Every metric source type is supported: Resource and ContainerResource (any resource;
// Utilization and AverageValue targets), Pods (AverageValue), Object (Value and AverageValue) and
// External (Value and AverageValue), several per HPA, and scaling to and from zero
// (minReplicas 0 with an Object or External metric; the HPAScaleToZero gate is on in v1.37).
// The inputs use the metrics APIs' own types (k8s.io/metrics): ContainerMetrics for the
// resource metrics API, MetricValue for the custom metrics API, ExternalMetricValue for the
// external metrics API.
//
// Not modelled: the selector checks (InvalidSelector, AmbiguousSelector: the caller hands over
// the pods), failures to read or write the scale (FailedGetScale, FailedUpdateScale), events
// and messages.
package hpa

import (
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	custommetrics "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetrics "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// Options are the kube-controller-manager flags that shape the HPA controller.
type Options struct {
	// Tolerance is --horizontal-pod-autoscaler-tolerance: a usage ratio within [1-t, 1+t] does not
	// scale. A per-HPA behavior.scaleUp/scaleDown.tolerance replaces it on that side.
	Tolerance float64
	// DownscaleStabilization is --horizontal-pod-autoscaler-downscale-stabilization: the window of
	// the legacy path, and the default scaleDown.stabilizationWindowSeconds when behavior is set.
	DownscaleStabilization time.Duration
	// CPUInitializationPeriod is --horizontal-pod-autoscaler-cpu-initialization-period.
	CPUInitializationPeriod time.Duration
	// InitialReadinessDelay is --horizontal-pod-autoscaler-initial-readiness-delay.
	InitialReadinessDelay time.Duration
}

// DefaultOptions returns upstream's flag defaults: tolerance 0.1, downscale stabilization 5m, CPU
// initialization period 5m, initial readiness delay 30s
// (pkg/controller/podautoscaler/config/v1alpha1/defaults.go).
func DefaultOptions() Options {
	return Options{
		Tolerance:               0.1,
		DownscaleStabilization:  5 * time.Minute,
		CPUInitializationPeriod: 5 * time.Minute,
		InitialReadinessDelay:   30 * time.Second,
	}
}

// Input is what the controller reads at one sync: the target's scale subresource, the pods its
// selector matches, and what the custom and external metrics APIs serve. Sync does not retain
// or modify it.
type Input struct {
	// Replicas is the target's scale.spec.replicas: "current" everywhere except below.
	Replicas int32
	// StatusReplicas is the target's scale.status.replicas, which only the AverageValue targets
	// of Object and External metrics read (replica_calculator.go: GetObjectPerPodMetricReplicas,
	// GetExternalPerPodMetricReplicas).
	StatusReplicas int32
	// Pods are the pods the target's selector matches, in any order (all phases), plus any
	// Unlisted entries. They carry the resource metrics API's answer (PodSample.Metrics).
	Pods []PodSample
	// Metrics holds, for each entry of the HPA's spec.metrics (same index, see
	// Autoscaler.Metrics), what the custom or external metrics API serves for it. Entries of
	// Resource and ContainerResource metrics are not read. A missing entry (the slice is
	// shorter) is an API with nothing to serve: that metric fails.
	Metrics []MetricValues
}

// MetricValues is one metric's answer from the custom metrics API (Pods and Object metrics) or
// the external metrics API (External metrics).
type MetricValues struct {
	// Pods is the custom metrics API's list for a Pods metric: one item per pod, the pod named
	// by DescribedObject.Name; only Value is read (the Pods path has no readiness rule). Items
	// for pods not in Input.Pods count as upstream counts them (extra entries). An empty list
	// fails the metric ("no metrics returned from custom metrics API").
	Pods []custommetrics.MetricValue
	// Object is the custom metrics API's value for an Object metric's described object; nil
	// fails the metric.
	Object *custommetrics.MetricValue
	// External is the external metrics API's list for an External metric: every series that
	// matches the metric's selector, summed. An empty list fails the metric.
	External []externalmetrics.ExternalMetricValue
	// Err, when set, is the metrics API's error: the metric fails with it.
	Err error
}

// PodSample is one pod matched by the target's selector, as the controller sees it at a sync.
// Names are used to match Pods metric values and in error messages.
type PodSample struct {
	Name     string
	Phase    corev1.PodPhase
	Deleting bool // has a deletionTimestamp
	// Ready is the status of the PodReady condition (True). ReadyChanged is that condition's
	// lastTransitionTime.
	Ready        bool
	ReadyChanged time.Duration
	// ReadyUnknown: the Ready condition's status is Unknown (Ready must be false). Upstream's CPU
	// rules treat only "False" as not ready, so an Unknown pod can count as ready.
	ReadyUnknown bool
	// NoReadyCondition: the pod has no Ready condition at all (Ready, ReadyUnknown and
	// ReadyChanged are then ignored). For CPU such a pod is unready.
	NoReadyCondition bool
	StartTime        time.Duration // status.startTime; valid when Started
	Started          bool
	// Spec is the pod's spec: Utilization targets read the requests of its containers, its
	// restartable init containers (sidecars) or its pod-level resources
	// (replica_calculator.go: calculateRequests). nil is a spec without containers. Not
	// modified; shared specs are fine.
	Spec *corev1.PodSpec
	// Metrics is the pod's entry in the resource metrics API (metrics.k8s.io PodMetrics); nil
	// when metrics-server serves none for the pod.
	Metrics *PodMetrics
	// Unlisted marks an entry of the resource metrics API for a pod that the pod lister does not
	// list (one deleted a moment ago): upstream keeps such extra entries in its metrics map, so
	// they count in averages and in the replica count; only Name and Metrics are read.
	Unlisted bool
	// Count, when above 1, makes the sample stand for Count pods that the controller would
	// count alike: the same phase, readiness, spec, resource metrics and (for a Pods metric) the
	// same custom metric value, which the metric's list then gives once, under Name. Times may
	// differ only where no rule tells the pods apart (the caller's responsibility: for the CPU
	// rules, pods ready since before their metric window began are such pods). 0 and 1 are one
	// pod. It lets a caller summarise a large steady target in a few samples: the calculation is
	// sums and counts, so the decision is the one the pods listed one by one would give.
	Count int32
}

// weight is how many pods the sample stands for.
func (p *PodSample) weight() int64 {
	if p.Count > 1 {
		return int64(p.Count)
	}
	return 1
}

// PodMetrics is a pod's entry in the resource metrics API (metrics.k8s.io/v1beta1 PodMetrics),
// with its times on the simulation's clock.
type PodMetrics struct {
	Timestamp time.Duration // the sample's time (the end of the window)
	Window    time.Duration // the window the usage rate was computed over
	// Containers is the usage of each container: cpu in cores (metrics-server serves
	// nanocores), memory as the working set in bytes. The HPA reads each value with
	// Quantity.MilliValue, which rounds up.
	Containers []metricsv1beta1.ContainerMetrics
	// Summed, when true, gives the pod's whole-pod usage directly, in place of Containers for
	// Resource metrics: CPUMilli and MemoryMilli are the sums over the pod's containers of each
	// container's usage read with Quantity.MilliValue (rounded up per container) — what the HPA
	// computes from Containers. A caller that knows the sums sets them and may leave Containers
	// empty unless a ContainerResource metric reads them; it saves a map lookup per container
	// per sync, the HPA's main cost on large targets.
	Summed      bool
	CPUMilli    int64
	MemoryMilli int64
}

// Condition is one of the HPA's status conditions, as the controller keeps it (messages left
// out). LastTransition changes only when Status flips (horizontal.go: setConditionInList).
type Condition struct {
	Type           autoscalingv2.HorizontalPodAutoscalerConditionType
	Status         corev1.ConditionStatus
	Reason         string
	LastTransition time.Duration
}

// Condition reasons, as upstream spells them (horizontal.go).
const (
	ReasonSucceededGetScale                = "SucceededGetScale"
	ReasonSucceededRescale                 = "SucceededRescale"
	ReasonReadyForNewScale                 = "ReadyForNewScale"
	ReasonScaleDownStabilized              = "ScaleDownStabilized"
	ReasonScaleUpStabilized                = "ScaleUpStabilized"
	ReasonValidMetricFound                 = "ValidMetricFound"
	ReasonScalingDisabled                  = "ScalingDisabled"
	ReasonFailedGetResourceMetric          = "FailedGetResourceMetric"
	ReasonFailedGetContainerResourceMetric = "FailedGetContainerResourceMetric"
	ReasonFailedGetPodsMetric              = "FailedGetPodsMetric"
	ReasonFailedGetObjectMetric            = "FailedGetObjectMetric"
	ReasonFailedGetExternalMetric          = "FailedGetExternalMetric"
	ReasonDesiredWithinRange               = "DesiredWithinRange"
	ReasonTooFewReplicas                   = "TooFewReplicas"
	ReasonTooManyReplicas                  = "TooManyReplicas"
	ReasonScaleUpLimit                     = "ScaleUpLimit"
	ReasonScaleDownLimit                   = "ScaleDownLimit"
	ReasonScaledToZero                     = "ScaledToZero"
	ReasonNotScaledToZero                  = "NotScaledToZero"
)

// Decision is the outcome of one sync.
type Decision struct {
	Time    time.Duration
	Current int32 // the target's spec.replicas, Input.Replicas
	// Proposal is the replica count the metrics ask for, before normalisation (the max over the
	// metrics that succeeded). It is -1 when no proposal could be made, and also on the paths
	// that read no metrics (current 0 with scaling disabled, current above max or below min).
	Proposal int32
	// Stabilized is the recommendation after the stabilization window(s), before the min/max
	// clamp and the rate limits; -1 when normalisation did not run.
	Stabilized int32
	// Desired is status.desiredReplicas after the sync: the value written to the target when
	// Rescale, else Current; when no proposal could be made it keeps its previous value (0
	// before the first successful sync), as upstream does.
	Desired int32
	// Rescale is true when the controller writes Desired to the target's scale this sync.
	Rescale bool
	// Metrics has one entry per metric of the spec, in order, when metrics were read (nil on the
	// paths that read none).
	Metrics []MetricResult
	// Utilization and AverageUsageMilli are the current values of the first metric that has
	// them (Utilization: the first Utilization target that succeeded; AverageUsageMilli: its
	// average, or the first AverageValue target's), for reports; -1 when there is none.
	Utilization       int32
	AverageUsageMilli int64
	// Limited names what held Desired back: the ScalingLimited reason when that condition is True
	// (TooFewReplicas, TooManyReplicas, ScaleUpLimit, ScaleDownLimit); otherwise the AbleToScale
	// reason when a stabilization window changed the proposal (ScaleDownStabilized,
	// ScaleUpStabilized); otherwise "".
	Limited string
	// Reason is the reason text of the SuccessfulRescale event ("cpu resource utilization
	// (percentage of request) above target", "All metrics below target", "Current number of
	// replicas above Spec.MaxReplicas", ...); "" when nothing is written.
	Reason string
	// Err says why metrics failed, as the FailedComputeMetricsReplicas event says it. It is set
	// with Proposal -1 when nothing could be computed, and also (with Proposal >= 0) when some
	// metrics failed but the others allowed scaling.
	Err string
	// Conditions are the HPA's status conditions after the sync, in upstream's order. The
	// slice may be shared with earlier Decisions while the conditions do not change: read only.
	Conditions []Condition
}

// MetricResult is one metric's part of a sync.
type MetricResult struct {
	// Status is the metric's entry of status.currentMetrics, as upstream writes it; the zero
	// MetricStatus when the metric failed (upstream leaves the entry empty then).
	Status autoscalingv2.MetricStatus
	// Proposal is the metric's replica count; -1 when it failed.
	Proposal int32
	// Err is why it failed ("" when it did not); Reason is then the ScalingActive reason it
	// would set (FailedGetResourceMetric, ...).
	Err    string
	Reason string
}

// Autoscaler is the controller's state for one HPA: its compiled spec and the in-memory history
// upstream keeps per HPA key (recommendations, scale-up and scale-down events), plus the parts
// of the status the next sync reads. It is not safe for concurrent use.
//
// Memory: the recommendation list grows only while more syncs fall within the longest
// stabilization window than it holds (an expired slot is reused, as upstream does), so it holds
// at most window/syncPeriod+2 entries; likewise each scale-event list holds at most the events of
// its longest policy period plus one. Sync panics past maxHistory (65536) entries.
type Autoscaler struct {
	name    string // "namespace/name", for messages
	created time.Duration
	opts    Options
	spec    compiledSpec

	// recsStarted mirrors upstream's "recommendations[key] != nil": the first sync stores
	// {current, now} and later syncs never do again.
	recsStarted bool
	recs        []timestampedRecommendation
	upEvents    []timestampedScaleEvent
	downEvents  []timestampedScaleEvent

	conds         []Condition
	lastConds     []Condition // the last Decision's conditions, shared while unchanged
	statusDesired int32
	lastSync      time.Duration
	synced        bool

	// The legacy path's scale-up cap: upstream's package variables scaleUpLimitFactor and
	// scaleUpLimitMinimum (horizontal.go). Fields here so that ported tests can raise the
	// factor as upstream's tests do, without global state.
	upLimitFactor  float64
	upLimitMinimum float64
}

// New compiles an HPA for simulation. The HPA is defaulted as the API server defaults it
// (SetDefaults_HorizontalPodAutoscaler: minReplicas 1, metrics cpu 80 %, behavior completed
// field by field when it is present) and validated as the API server validates it; bad input is
// an error naming the field. h is not retained or modified; its status is ignored (a new HPA's
// status starts empty, desiredReplicas 0). created is the HPA's creation time: its first sync.
func New(h *autoscalingv2.HorizontalPodAutoscaler, created time.Duration, opts Options) (*Autoscaler, error) {
	if h == nil {
		return nil, fmt.Errorf("hpa: nil HorizontalPodAutoscaler")
	}
	name := h.Namespace + "/" + h.Name
	if h.Namespace == "" {
		name = "default/" + h.Name
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("hpa %s: %w", name, err)
	}
	spec, err := compile(h, opts)
	if err != nil {
		return nil, fmt.Errorf("hpa %s: %w", name, err)
	}
	return &Autoscaler{
		name:           name,
		created:        created,
		opts:           opts,
		spec:           spec,
		upLimitFactor:  2,
		upLimitMinimum: 4,
	}, nil
}

func (o Options) validate() error {
	switch {
	case !(o.Tolerance >= 0): // also rejects NaN
		return fmt.Errorf("tolerance: must be >= 0, got %v", o.Tolerance)
	case o.DownscaleStabilization < 0:
		return fmt.Errorf("downscale stabilization: must be >= 0, got %v", o.DownscaleStabilization)
	case o.CPUInitializationPeriod < 0:
		return fmt.Errorf("cpu initialization period: must be >= 0, got %v", o.CPUInitializationPeriod)
	case o.InitialReadinessDelay < 0:
		return fmt.Errorf("initial readiness delay: must be >= 0, got %v", o.InitialReadinessDelay)
	}
	return nil
}

// Name returns the HPA's "namespace/name".
func (a *Autoscaler) Name() string { return a.name }

// Namespace returns the HPA's namespace ("default" when it had none).
func (a *Autoscaler) Namespace() string { return a.spec.namespace }

// MinReplicas returns spec.minReplicas, defaulted.
func (a *Autoscaler) MinReplicas() int32 { return a.spec.minReplicas }

// MaxReplicas returns spec.maxReplicas.
func (a *Autoscaler) MaxReplicas() int32 { return a.spec.maxReplicas }

// Metrics returns spec.metrics after defaulting: the order of Input.Metrics and of
// Decision.Metrics. The caller must not modify it.
func (a *Autoscaler) Metrics() []autoscalingv2.MetricSpec { return a.spec.metricSpecs }

// Sync runs one reconcile of the HPA at time now. Syncs must come in non-decreasing time, not
// before the HPA's creation, with Input.Replicas >= 0; breaking that is a programmer error and
// panics.
//
// Cost: O(len(in.Pods) × metrics + history): a sample with a Count costs as one pod.
// Allocations: the returned Conditions and Metrics slices and a few per metric, never per pod,
// except for a Pods metric whose values do not come in the pods' order (two maps per sync) and
// for pods with pod-level requests (a copy of the pod's requests).
func (a *Autoscaler) Sync(now time.Duration, in *Input) Decision {
	if now < a.created {
		panic(fmt.Sprintf("hpa %s: Sync at %v, before the HPA's creation at %v", a.name, now, a.created))
	}
	if a.synced && now < a.lastSync {
		panic(fmt.Sprintf("hpa %s: Sync at %v, before the previous sync at %v", a.name, now, a.lastSync))
	}
	if in.Replicas < 0 {
		panic(fmt.Sprintf("hpa %s: Sync with negative current replicas %d", a.name, in.Replicas))
	}
	a.lastSync, a.synced = now, true
	cur := in.Replicas
	d := Decision{
		Time: now, Current: cur, Proposal: -1, Stabilized: -1,
		Utilization: -1, AverageUsageMilli: -1,
	}

	// horizontal.go: reconcileAutoscaler. Reading the scale always succeeds here.
	a.setCondition(now, autoscalingv2.AbleToScale, corev1.ConditionTrue, ReasonSucceededGetScale)
	// recordInitialRecommendation: only on the first sync of this controller's life.
	if !a.recsStarted {
		a.recsStarted = true
		a.recs = append(a.recs, timestampedRecommendation{recommendation: cur, timestamp: now})
	}

	minR, maxR := a.spec.minReplicas, a.spec.maxReplicas
	// The HPAScaleToZero gate is on in v1.37: ScaledToZero turns True only after the controller
	// itself scaled to zero (below), which needs an Object or External metric.
	scaledToZero := a.conditionIsTrue(autoscalingv2.ScaledToZero)
	canScaleFromZero := scaledToZero && a.spec.hasObjectOrExternal

	desired := int32(0)
	rescale := true
	needMetrics := true
	reason := ""
	switch {
	case cur == 0:
		// shouldComputeMetricsForZeroReplicas: a target someone else scaled to zero stays there.
		if !((minR != 0 && scaledToZero) || canScaleFromZero) {
			needMetrics, rescale = false, false
			a.setCondition(now, autoscalingv2.ScalingActive, corev1.ConditionFalse, ReasonScalingDisabled)
		}
	case cur > maxR:
		reason = "Current number of replicas above Spec.MaxReplicas"
		desired, needMetrics = maxR, false
	case cur < minR:
		reason = "Current number of replicas below Spec.MinReplicas"
		desired, needMetrics = minR, false
	}

	if needMetrics {
		c := a.computeReplicasForMetrics(now, in)
		d.Metrics = c.results
		d.Utilization, d.AverageUsageMilli = c.utilization, c.averageMilli
		if c.err != nil {
			d.Err = c.err.Error()
		}
		if c.replicas == -1 {
			// Nothing is written; status.desiredReplicas keeps its value and no recommendation
			// is recorded, so a failed metric can block a scale down but never a scale up.
			a.setCondition(now, autoscalingv2.ScalingActive, corev1.ConditionFalse, c.failReason)
			d.Desired = a.statusDesired
			d.Conditions = a.snapshotConditions()
			return d
		}
		a.setCondition(now, autoscalingv2.ScalingActive, corev1.ConditionTrue, ReasonValidMetricFound)
		d.Proposal = c.replicas

		rescaleMetric := ""
		if c.replicas > desired {
			desired = c.replicas
			rescaleMetric = c.metricName
		}
		if desired > cur {
			reason = rescaleMetric + " above target"
		}
		if desired < cur {
			reason = "All metrics below target"
		}
		var n normalized
		if a.spec.behavior == nil {
			n = a.normalizeLegacy(now, cur, desired, minR)
		} else {
			n = a.normalizeWithBehavior(now, cur, desired, minR)
		}
		a.setCondition(now, autoscalingv2.AbleToScale, corev1.ConditionTrue, n.ableReason)
		limitedStatus := corev1.ConditionFalse
		if n.desired != n.stabilized {
			limitedStatus = corev1.ConditionTrue
			d.Limited = n.limitReason
		} else if n.stabilized != desired {
			d.Limited = n.ableReason
		}
		a.setCondition(now, autoscalingv2.ScalingLimited, limitedStatus, n.limitReason)
		d.Stabilized = n.stabilized
		desired = n.desired
		// Scaling up from zero with minReplicas raised in the meantime.
		if cur == 0 && minR != 0 && scaledToZero && desired < minR {
			desired = minR
			if reason == "" {
				reason = "Current number of replicas below Spec.MinReplicas"
			}
		}
		rescale = desired != cur
	}

	if rescale {
		// The write to the scale subresource always succeeds in the simulation.
		a.setCondition(now, autoscalingv2.AbleToScale, corev1.ConditionTrue, ReasonSucceededRescale)
		a.storeScaleEvent(now, cur, desired)
		if cur > 0 && desired == 0 && minR == 0 && a.spec.hasObjectOrExternal {
			a.setCondition(now, autoscalingv2.ScaledToZero, corev1.ConditionTrue, ReasonScaledToZero)
		} else {
			a.setCondition(now, autoscalingv2.ScaledToZero, corev1.ConditionFalse, ReasonNotScaledToZero)
		}
		d.Rescale, d.Reason = true, reason
	} else {
		desired = cur
	}
	a.statusDesired = desired
	d.Desired = desired
	d.Conditions = a.snapshotConditions()
	a.checkHistoryBound()
	return d
}

// maxHistory bounds each history list. The lists hold about one entry per sync within the
// longest window or policy period (at most 3600 s): a caller syncing more often than every
// 55 ms breaks that bound, which is a programmer error.
const maxHistory = 1 << 16

func (a *Autoscaler) checkHistoryBound() {
	if len(a.recs) > maxHistory || len(a.upEvents) > maxHistory || len(a.downEvents) > maxHistory {
		panic(fmt.Sprintf("hpa %s: history exceeds %d entries (%d recommendations, %d+%d scale events): syncs are too frequent for the stabilization windows and policy periods",
			a.name, maxHistory, len(a.recs), len(a.upEvents), len(a.downEvents)))
	}
}
