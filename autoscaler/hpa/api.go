// Package hpa is the HorizontalPodAutoscaler (autoscaling/v2) of kube-controller-manager v1.37,
// decision for decision, as pure code: metrics and the HPA's own history in, replicas out.
// Time is the simulation's: a time.Duration from the run's start.
//
// The arithmetic is upstream's, reproduced in our own words from
// k8s.io/kubernetes@v1.37.2/pkg/controller/podautoscaler (horizontal.go, replica_calculator.go,
// metrics/utilization.go) and pkg/apis/autoscaling/v2/defaults.go; each rule cites the upstream
// function it reproduces. The plumbing is not: there is no clock, no client, no informer and no
// lock. The caller (the simulator engine, or `ksim hpa replay`) drives the sync period, reads the
// target's replicas and the pods its selector matches, and writes Decision.Desired back when
// Decision.Rescale is set.
//
// One sync, in order (horizontal.go: reconcileAutoscaler):
//
//	record {current, now} on the very first sync      (recordInitialRecommendation)
//	current == 0 / > max / < min: the short paths      (no metrics read)
//	otherwise: proposal per metric → max over metrics  (proposeForMetric, combineProposals)
//	        → stabilization → rate limits / min / max  (normalizeLegacy, normalizeWithBehavior)
//	write when desired != current; remember the scale event when behavior is set
//
// Scope of this version: metrics of type Resource `cpu` with a Utilization or AverageValue
// target. New rejects other metric types with an error naming them.
package hpa

import (
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
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

// PodSample is one pod matched by the target's selector, as the controller sees it at a sync.
// Pods may come in any order; names are used only in error messages.
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
	// CPURequestMilli is the sum of the CPU requests of the pod's containers and restartable init
	// containers, in millicores (Quantity.MilliValue, rounded up). HasCPURequest is false when
	// any of those containers lacks a CPU request: that fails a Utilization metric for the whole
	// HPA, as upstream does.
	CPURequestMilli int64
	HasCPURequest   bool
	// Metric is the pod's entry in the resource metrics API; nil when metrics-server serves
	// none for the pod (it is then "missing").
	Metric *CPUSample
}

// CPUSample is a pod's entry in the resource metrics API (metrics.k8s.io PodMetrics).
type CPUSample struct {
	UsageMilli int64         // sum over the pod's containers, millicores
	Timestamp  time.Duration // the sample's timestamp
	Window     time.Duration // the window the rate was computed over
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
	ReasonSucceededGetScale       = "SucceededGetScale"
	ReasonSucceededRescale        = "SucceededRescale"
	ReasonReadyForNewScale        = "ReadyForNewScale"
	ReasonScaleDownStabilized     = "ScaleDownStabilized"
	ReasonScaleUpStabilized       = "ScaleUpStabilized"
	ReasonValidMetricFound        = "ValidMetricFound"
	ReasonScalingDisabled         = "ScalingDisabled"
	ReasonFailedGetResourceMetric = "FailedGetResourceMetric"
	ReasonDesiredWithinRange      = "DesiredWithinRange"
	ReasonTooFewReplicas          = "TooFewReplicas"
	ReasonTooManyReplicas         = "TooManyReplicas"
	ReasonScaleUpLimit            = "ScaleUpLimit"
	ReasonScaleDownLimit          = "ScaleDownLimit"
	ReasonScaledToZero            = "ScaledToZero"
	ReasonNotScaledToZero         = "NotScaledToZero"
)

// Decision is the outcome of one sync.
type Decision struct {
	Time    time.Duration
	Current int32 // the target's spec.replicas, as passed to Sync
	// Proposal is the replica count the metrics ask for, before normalisation (the max over the
	// metrics). It is -1 when no metric could be computed, and also on the paths that read no
	// metrics (current 0 with scaling disabled, current above max or below min).
	Proposal int32
	// Stabilized is the recommendation after the stabilization window(s), before the min/max
	// clamp and the rate limits; -1 when normalisation did not run.
	Stabilized int32
	// Desired is status.desiredReplicas after the sync: the value written to the target when
	// Rescale, else Current; when metrics failed it keeps its previous value (0 before the
	// first successful sync), as upstream does.
	Desired int32
	// Rescale is true when the controller writes Desired to the target's scale this sync.
	Rescale bool
	// Utilization is the current CPU utilization in percent of the requests (integer, truncated),
	// or -1 when unknown (metric failed, AverageValue target, or no metrics read).
	Utilization int32
	// AverageUsageMilli is the current average CPU usage per pod (millicores), as in
	// status.currentMetrics; -1 when unknown.
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
	// Conditions are the HPA's status conditions after the sync, in upstream's order.
	Conditions []Condition
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

// MinReplicas returns spec.minReplicas, defaulted.
func (a *Autoscaler) MinReplicas() int32 { return a.spec.minReplicas }

// MaxReplicas returns spec.maxReplicas.
func (a *Autoscaler) MaxReplicas() int32 { return a.spec.maxReplicas }

// Sync runs one reconcile of the HPA at time now, with the target's spec.replicas and the pods
// its selector matches (all phases). Syncs must come in non-decreasing time, not before the
// HPA's creation; breaking that is a programmer error and panics.
//
// Cost: O(len(pods) + history), no allocation besides the returned Conditions slice (and the
// history's amortised growth).
func (a *Autoscaler) Sync(now time.Duration, currentReplicas int32, pods []PodSample) Decision {
	if now < a.created {
		panic(fmt.Sprintf("hpa %s: Sync at %v, before the HPA's creation at %v", a.name, now, a.created))
	}
	if a.synced && now < a.lastSync {
		panic(fmt.Sprintf("hpa %s: Sync at %v, before the previous sync at %v", a.name, now, a.lastSync))
	}
	if currentReplicas < 0 {
		panic(fmt.Sprintf("hpa %s: Sync with negative current replicas %d", a.name, currentReplicas))
	}
	a.lastSync, a.synced = now, true
	cur := currentReplicas
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
	// The HPAScaleToZero gate is on in v1.37; the condition only turns True after a scale to zero,
	// which needs an Object or External metric.
	scaledToZero := a.conditionIsTrue(autoscalingv2.ScaledToZero)
	canScaleFromZero := scaledToZero && a.spec.hasObjectOrExternal

	desired := int32(0)
	rescale := true
	needMetrics := true
	reason := ""
	switch {
	case cur == 0:
		// shouldComputeMetricsForZeroReplicas
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
		c := a.computeReplicasForMetrics(now, cur, pods)
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
