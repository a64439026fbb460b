package upstream

// The closed-loop cluster model of the HPA differential test (hpa_diff_test.go): a Deployment
// whose pods start, become ready (or not), fail, and terminate, under a load that steps, ramps
// and spikes, with metrics as metrics-server and custom/external adapters serve them. It is
// pure and deterministic (one seeded PCG per case): the harness asks it what the cluster looks
// like at each sync, and tells it what the controller wrote to the scale.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"ksim.dev/ksim/autoscaler/hpa"
)

const (
	hpaNamespace = "default"
	hpaName      = "web"
	syncPeriod   = 15 * time.Second
	scrapeEvery  = 15 * time.Second // metrics-server --metric-resolution
)

// hpaCase is one generated case: the HPA, the controller's flags and the cluster's behaviour.
type hpaCase struct {
	seed     uint64
	hpa      *autoscalingv2.HorizontalPodAutoscaler // as a user writes it: not defaulted
	opts     hpa.Options
	replicas int32 // the target's replicas when the HPA is created
	syncs    int

	load loadProfile
	// Pod lifecycle, in seconds: ranges drawn per pod.
	scheduleDelay, startDelay, readyDelay [2]int
	neverReadyP, flapP, failP             float64 // per pod / per pod per sync
	gapP                                  float64 // a pod's metric missing at a sync
	graceSeconds                          [2]int  // termination: deleting → gone
	sidecar                               bool    // two containers, app and sidecar
	sidecarNoMemRequest                   bool    // the sidecar requests no memory
	sidecarAsInit                         bool    // the sidecar is a restartable init container
	podLevelCPU                           int64   // > 0: spec.resources.requests.cpu (milli), pod-level
	extras                                bool    // metrics of pods that are gone (unlisted)
	shuffle                               bool    // the custom metrics API answers out of pod order
	objectGapP, externalGapP              float64 // the object/external metric unavailable at a sync
	nanoCPU                               bool    // cpu usage in nanocores (MilliValue rounds up)
}

// v1 reports whether format v1 of `ksim hpa replay` can express the case: Resource metrics only,
// and no metrics for unlisted pods.
func (c *hpaCase) v1() bool {
	for _, m := range c.hpa.Spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType {
			return false
		}
	}
	return !c.extras && c.podLevelCPU == 0
}

// describe is the case in a few lines, for a failure report.
func (c *hpaCase) describe() string {
	y, _ := yaml.Marshal(c.hpa)
	return fmt.Sprintf("seed %d: %d syncs from %d replicas; flags %+v\nload %s\npods: schedule %v s, start %v s, ready %v s, neverReady %.2f, flap %.2f, fail %.3f, gap %.2f, grace %v s, sidecar %v (no memory request %v, init %v), pod-level cpu %dm, extras %v, shuffle %v, nanoCPU %v\nHPA:\n%s",
		c.seed, c.syncs, c.replicas, c.opts, c.load, c.scheduleDelay, c.startDelay, c.readyDelay,
		c.neverReadyP, c.flapP, c.failP, c.gapP, c.graceSeconds, c.sidecar, c.sidecarNoMemRequest, c.sidecarAsInit, c.podLevelCPU, c.extras, c.shuffle, c.nanoCPU, y)
}

// loadProfile is the Deployment's demand over time (millicores): segments that hold a level
// or ramp to it, plus spikes.
type loadProfile struct {
	segs   []loadSeg
	spikes []loadSpike
}

type loadSeg struct {
	start, end time.Duration
	from, to   float64 // from == to: a step held; otherwise a ramp
}

type loadSpike struct {
	start, end time.Duration
	add        float64
}

func (l loadProfile) String() string {
	var b strings.Builder
	for _, s := range l.segs {
		fmt.Fprintf(&b, "[%v..%v %.0f→%.0f] ", s.start, s.end, s.from, s.to)
	}
	for _, s := range l.spikes {
		fmt.Fprintf(&b, "spike[%v..%v +%.0f] ", s.start, s.end, s.add)
	}
	return b.String()
}

// at is the demand at t, in millicores.
func (l loadProfile) at(t time.Duration) float64 {
	v := 0.0
	for _, s := range l.segs {
		if t >= s.start && t < s.end {
			f := float64(t-s.start) / float64(s.end-s.start)
			v = s.from + (s.to-s.from)*f
			break
		}
	}
	if n := len(l.segs); n > 0 && t >= l.segs[n-1].end {
		v = l.segs[n-1].to
	}
	for _, s := range l.spikes {
		if t >= s.start && t < s.end {
			v += s.add
		}
	}
	return math.Max(v, 0)
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func qty(s string) *resource.Quantity { q := resource.MustParse(s); return &q }

// newCase draws a case from seed.
func newCase(seed uint64) *hpaCase {
	r := rand.New(rand.NewPCG(seed, 0x4b53494d)) // "KSIM"
	c := &hpaCase{seed: seed, opts: hpa.DefaultOptions()}
	c.syncs = 20 + r.IntN(61) // 20..80

	// Controller flags: mostly the defaults.
	if r.IntN(4) == 0 {
		c.opts.Tolerance = pick(r, 0.0, 0.05, 0.2)
		c.opts.DownscaleStabilization = pick(r, 0, time.Minute, 2*time.Minute)
		c.opts.CPUInitializationPeriod = pick(r, time.Minute, 2*time.Minute)
		c.opts.InitialReadinessDelay = pick(r, 10*time.Second, 60*time.Second)
	}

	minR := int32(pick(r, 1, 1, 2, 3))
	maxR := minR + int32(1+r.IntN(25))
	if r.IntN(5) == 0 {
		maxR += int32(r.IntN(40))
	}
	h := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Namespace: hpaNamespace, Name: hpaName},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MaxReplicas:    maxR,
		},
	}
	if r.IntN(8) != 0 {
		h.Spec.MinReplicas = &minR
	}
	c.hpa = h
	c.sidecar = r.IntN(3) == 0
	c.sidecarNoMemRequest = c.sidecar && r.IntN(8) == 0
	c.sidecarAsInit = c.sidecar && r.IntN(2) == 0

	// Metrics: one to three; a third of the cases stay with Resource metrics only (format v1).
	resourceOnly := r.IntN(3) == 0
	n := 1 + r.IntN(3)
	for i := 0; i < n; i++ {
		kinds := []string{"cpu-util", "cpu-util", "cpu-avg", "mem-util", "mem-avg"}
		if !resourceOnly {
			// A ContainerResource metric names app or sidecar, which some pods lack: a metric
			// that fails.
			kinds = append(kinds, "pods", "pods", "object-value", "object-avg", "external-value", "external-avg",
				"container-cpu", "container-mem")
		}
		h.Spec.Metrics = append(h.Spec.Metrics, randomMetric(r, pick(r, kinds...)))
	}
	if r.IntN(15) == 0 {
		h.Spec.Metrics = nil // the default: cpu at 80 %
	}
	// Scale to zero: minReplicas 0 needs an Object or External metric.
	hasObjExt := false
	for _, m := range h.Spec.Metrics {
		hasObjExt = hasObjExt || m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType
	}
	if hasObjExt && r.IntN(3) == 0 {
		zero := int32(0)
		h.Spec.MinReplicas = &zero
	}

	// Behavior: none (the legacy path), {} (all defaults) or random rules.
	switch r.IntN(10) {
	case 0, 1, 2, 3:
	case 4:
		h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	default:
		h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
		if r.IntN(4) != 0 {
			h.Spec.Behavior.ScaleUp = randomRules(r)
		}
		if r.IntN(4) != 0 {
			h.Spec.Behavior.ScaleDown = randomRules(r)
		}
	}

	c.replicas = minR
	switch r.IntN(10) {
	case 0:
		c.replicas = maxR + int32(1+r.IntN(5)) // above max: a jump
	case 1:
		c.replicas = max(0, minR-1) // below min (or 0: scaling disabled, a short case)
		if c.replicas == 0 {
			c.syncs = min(c.syncs, 25)
		}
	case 2, 3, 4:
		c.replicas = minR + int32(r.IntN(int(maxR-minR)+1))
	}
	if c.replicas == 0 && (h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 0) && r.IntN(2) == 0 {
		c.replicas = 1
	}

	c.load = randomLoad(r, time.Duration(c.syncs)*syncPeriod, float64(maxR))
	switch r.IntN(12) {
	case 0, 1:
		roundingProbe(r, c)
	case 2:
		eventReuseProbe(r, c)
	case 3:
		fromZeroProbe(r, c)
	}
	c.scheduleDelay = [2]int{0, pick(r, 0, 3, 20)}
	c.startDelay = [2]int{pick(r, 1, 2), pick(r, 5, 12, 40)}
	c.readyDelay = [2]int{pick(r, 0, 5), pick(r, 10, 30, 90, 200)}
	c.neverReadyP = pick(r, 0, 0, 0.05, 0.2)
	c.flapP = pick(r, 0, 0.05, 0.2)
	c.failP = pick(r, 0, 0, 0.005, 0.02)
	c.gapP = pick(r, 0, 0, 0.02, 0.1)
	c.graceSeconds = [2]int{pick(r, 1, 5), pick(r, 10, 30, 60)}
	c.extras = r.IntN(4) == 0 && !resourceOnly
	if !resourceOnly && r.IntN(8) == 0 {
		c.podLevelCPU = int64(pick(r, 300, 800, 1500))
	}
	c.shuffle = r.IntN(3) == 0
	c.objectGapP = pick(r, 0, 0, 0.05, 0.2)
	c.externalGapP = pick(r, 0, 0, 0.05, 0.2)
	c.nanoCPU = r.IntN(2) == 0
	return c
}

// roundingProbe turns c into a case that drives a Percent policy at the replica counts where
// float64 and exact arithmetic disagree (hpa-spec.md §7.3: up 12 % or 68 % from 25; down 80 %
// from 5, 10, 15...; down 90 % from 10, 20, 30; down 56 % or 92 % from 25): a cpu metric, a
// steady load for a minute, then a step to idle or to far above the max.
func roundingProbe(r *rand.Rand, c *hpaCase) {
	one, max := int32(1), int32(60)
	c.hpa.Spec.MinReplicas, c.hpa.Spec.MaxReplicas = &one, max
	c.hpa.Spec.Metrics = []autoscalingv2.MetricSpec{randomMetric(r, "cpu-util")}
	up := r.IntN(2) == 0
	pol := autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, PeriodSeconds: int32(pick(r, 15, 30, 60))}
	zero := int32(pick(r, 0, 0, 15))
	rules := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &zero}
	if up {
		c.replicas = 25
		pol.Value = int32(pick(r, 12, 68))
		c.hpa.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: rules}
	} else {
		pol.Value = int32(pick(r, 80, 90, 56, 92))
		c.replicas = int32(pick(r, 5, 10, 15, 20, 25, 30))
		c.hpa.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: rules}
	}
	rules.Policies = []autoscalingv2.HPAScalingPolicy{pol}
	steady := float64(c.replicas) * 250
	next := 0.0
	if up {
		next = float64(max) * 2000
	}
	d := time.Duration(45+r.IntN(60)) * time.Second
	c.load = loadProfile{segs: []loadSeg{{0, d, steady, steady}, {d, 24 * time.Hour, next, next}}}
	c.neverReadyP, c.flapP, c.failP, c.gapP = 0, 0, 0, 0
	c.readyDelay = [2]int{0, 5}
}

// eventReuseProbe turns c into a case for the scale-event history's structure (hpa-spec.md
// §7.4): scale-up policies with a 15 s period, so each new up event reuses the slot of an
// outdated one, and a scale-down Pods policy with a longer period, whose limit reads the up
// list too: a ramp up in steps, then a drop.
func eventReuseProbe(r *rand.Rand, c *hpaCase) {
	one := int32(1)
	c.hpa.Spec.MinReplicas, c.hpa.Spec.MaxReplicas = &one, 40
	c.hpa.Spec.Metrics = []autoscalingv2.MetricSpec{randomMetric(r, "cpu-avg")}
	zero := int32(0)
	c.hpa.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &zero, Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: int32(1 + r.IntN(3)), PeriodSeconds: 15}}},
		ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &zero, Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: int32(1 + r.IntN(4)), PeriodSeconds: int32(pick(r, 60, 120, 300))}}},
	}
	c.replicas = 2
	rise := time.Duration(30+r.IntN(90)) * time.Second
	hold := rise + time.Duration(r.IntN(60))*time.Second
	top := float64(10+r.IntN(20)) * 400
	c.load = loadProfile{segs: []loadSeg{{0, rise, 400, top}, {rise, hold, top, top}, {hold, 24 * time.Hour, 50, 50}}}
	c.neverReadyP, c.flapP, c.failP = 0, 0, 0
}

// fromZeroProbe turns c into a scale-to-zero case: minReplicas 0, an Object or External Value
// metric, an idle spell that scales the target to zero, then a load near the target, where
// scaling from zero takes ceil(ratio) with no tolerance (hpa-spec.md §3.6).
func fromZeroProbe(r *rand.Rand, c *hpaCase) {
	zero := int32(0)
	c.hpa.Spec.MinReplicas = &zero
	c.hpa.Spec.Metrics = []autoscalingv2.MetricSpec{randomMetric(r, pick(r, "object-value", "external-value"))}
	if r.IntN(2) == 0 {
		c.hpa.Spec.Metrics = append(c.hpa.Spec.Metrics, randomMetric(r, pick(r, "cpu-util", "pods")))
	}
	var target float64 // the load at which the metric's value equals its target
	if m := c.hpa.Spec.Metrics[0]; m.Type == autoscalingv2.ObjectMetricSourceType {
		target = float64(m.Object.Target.Value.MilliValue()) * 3 / 1000
	} else {
		target = float64(m.External.Target.Value.MilliValue()) * 20 / 1000
	}
	idle := time.Duration(60+r.IntN(300)) * time.Second
	c.load = loadProfile{segs: []loadSeg{{0, idle, 0, 0}}}
	for t := idle; t < 24*time.Hour && len(c.load.segs) < 12; {
		d := time.Duration(30+r.IntN(120)) * time.Second
		v := target * pick(r, 0, 0.5, 0.85, 0.95, 1, 1.05, 1.1, 1.3, 2.5)
		c.load.segs = append(c.load.segs, loadSeg{t, t + d, v, v})
		t += d
	}
	c.syncs = 60
}

func randomMetric(r *rand.Rand, kind string) autoscalingv2.MetricSpec {
	util := func() *int32 {
		v := int32(20 + r.IntN(80))
		if r.IntN(5) == 0 { // above 100 %: missing pods then count at the target, not at 100 %
			v = int32(pick(r, 110, 150, 200))
		}
		return &v
	}
	switch kind {
	case "cpu-util", "mem-util":
		res := corev1.ResourceCPU
		if kind == "mem-util" {
			res = corev1.ResourceMemory
		}
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: res, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: util()}}}
	case "cpu-avg":
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty(pick(r, "100m", "250m", "333m", "0.5", "1"))}}}
	case "mem-avg":
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty(pick(r, "100Mi", "200Mi", "300M"))}}}
	case "container-cpu", "container-mem":
		res := corev1.ResourceCPU
		if kind == "container-mem" {
			res = corev1.ResourceMemory
		}
		m := autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
			Name: res, Container: pick(r, "app", "app", "sidecar"), Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: util()}}}
		if r.IntN(3) == 0 {
			m.ContainerResource.Target = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty(pick(r, "100m", "300m"))}
			if res == corev1.ResourceMemory {
				m.ContainerResource.Target.AverageValue = qty("150Mi")
			}
		}
		return m
	case "pods":
		return autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: "requests_per_second"},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty(pick(r, "10", "25", "7500m"))}}}
	case "object-value", "object-avg":
		t := autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: qty(pick(r, "100", "250", "1k"))}
		if kind == "object-avg" {
			t = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty(pick(r, "20", "50"))}
		}
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
			DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "web"},
			Metric:          autoscalingv2.MetricIdentifier{Name: "hits_per_second"},
			Target:          t}}
	case "external-value", "external-avg":
		t := autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: qty(pick(r, "30", "120"))}
		if kind == "external-avg" {
			t = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: qty(pick(r, "5", "12500m"))}
		}
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: "queue_messages_ready",
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"queue": "web"}}},
			Target: t}}
	}
	panic("unknown metric kind " + kind)
}

func randomRules(r *rand.Rand) *autoscalingv2.HPAScalingRules {
	rules := &autoscalingv2.HPAScalingRules{}
	if r.IntN(2) == 0 {
		w := int32(pick(r, 0, 15, 30, 45, 60, 120, 300))
		rules.StabilizationWindowSeconds = &w
	}
	if r.IntN(3) != 0 {
		sel := pick(r, autoscalingv2.MaxChangePolicySelect, autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect)
		if sel == autoscalingv2.DisabledPolicySelect && r.IntN(3) != 0 {
			sel = autoscalingv2.MinChangePolicySelect
		}
		rules.SelectPolicy = &sel
	}
	if r.IntN(4) != 0 {
		for i := 0; i < 1+r.IntN(3); i++ {
			p := autoscalingv2.HPAScalingPolicy{PeriodSeconds: int32(pick(r, 15, 15, 30, 45, 60, 120))}
			if r.IntN(2) == 0 {
				p.Type, p.Value = autoscalingv2.PodsScalingPolicy, int32(1+r.IntN(5))
			} else {
				// Values whose float64 rounding differs from exact arithmetic at small counts
				// (hpa-spec.md §7.3) come often.
				p.Type, p.Value = autoscalingv2.PercentScalingPolicy, int32(pick(r, 10, 12, 25, 50, 56, 68, 80, 80, 90, 90, 100, 200))
			}
			rules.Policies = append(rules.Policies, p)
		}
	}
	if r.IntN(5) == 0 {
		rules.Tolerance = qty(pick(r, "0", "0.05", "0.2", "0.5"))
	}
	return rules
}

// randomLoad draws a demand profile over horizon that keeps the target somewhere between idle
// and its max replicas at 500m each.
func randomLoad(r *rand.Rand, horizon time.Duration, maxReplicas float64) loadProfile {
	var l loadProfile
	level := func() float64 {
		if r.IntN(8) == 0 {
			return 0
		}
		return r.Float64() * maxReplicas * 300
	}
	t, cur := time.Duration(0), level()
	for t < horizon+time.Minute {
		d := time.Duration(30+r.IntN(400)) * time.Second
		next := level()
		if r.IntN(3) == 0 { // a ramp to the next level
			l.segs = append(l.segs, loadSeg{t, t + d, cur, next})
		} else { // a step: hold, then jump
			l.segs = append(l.segs, loadSeg{t, t + d, cur, cur})
		}
		t, cur = t+d, next
	}
	for i := r.IntN(4); i > 0; i-- {
		s := time.Duration(r.Int64N(int64(horizon)))
		l.spikes = append(l.spikes, loadSpike{s, s + time.Duration(5+r.IntN(90))*time.Second, r.Float64() * maxReplicas * 600})
	}
	return l
}

// modelPod is one pod of the Deployment, its whole life drawn when it is created. Times are
// from the HPA's creation (T0); a negative "never" is encoded as a far future.
type modelPod struct {
	name                     string
	created, scheduled       time.Duration // scheduled: kubelet accepts it (status.startTime)
	running                  time.Duration // containers started: phase Running
	ready                    time.Duration // Ready=True from then
	flapFrom, flapTo         time.Duration // Ready=False in between (readiness probe failing)
	failed                   time.Duration // phase Failed from then
	deleting, gone           time.Duration
	scrapePhase              time.Duration // its node's metrics-server scrape phase
	skew                     float64       // share of the load relative to its peers
	burnMilli                int64         // CPU while not serving (start-up work)
	memBase                  int64         // bytes
	cpuReqApp, cpuReqSidecar int64         // milli
	memReqApp, memReqSidecar int64         // bytes; sidecar < 0: no request
}

const never = time.Duration(math.MaxInt64 / 2)

// cluster is the model's state: the Deployment's replicas and its pods.
type cluster struct {
	c        *hpaCase
	r        *rand.Rand
	replicas int32
	pods     []*modelPod // in creation order, gone ones removed lazily
	nextID   int
	rng      uint64 // per-sync randomness (metric gaps) comes from a hash, not r: order-proof
}

func newCluster(c *hpaCase) *cluster {
	cl := &cluster{c: c, r: rand.New(rand.NewPCG(c.seed, 0x706f6473)), replicas: c.replicas}
	// The pods already there when the HPA is created: long running and ready.
	for i := int32(0); i < c.replicas; i++ {
		p := cl.newPod(-time.Duration(600+cl.r.IntN(3000)) * time.Second)
		p.scheduled, p.running, p.ready = p.created+2*time.Second, p.created+5*time.Second, p.created+20*time.Second
		p.flapFrom, p.flapTo = never, never
	}
	return cl
}

func (cl *cluster) between(lo, hi int) time.Duration {
	if hi <= lo {
		return time.Duration(lo) * time.Second
	}
	return time.Duration(lo+cl.r.IntN(hi-lo+1)) * time.Second
}

// newPod creates a pod at t with a drawn life.
func (cl *cluster) newPod(t time.Duration) *modelPod {
	c := cl.c
	cl.nextID++
	p := &modelPod{name: fmt.Sprintf("web-%05d", cl.nextID), created: t, failed: never, deleting: never, gone: never,
		flapFrom: never, flapTo: never}
	p.scheduled = t + cl.between(c.scheduleDelay[0], c.scheduleDelay[1])
	p.running = p.scheduled + cl.between(c.startDelay[0], c.startDelay[1])
	p.ready = p.running + cl.between(c.readyDelay[0], c.readyDelay[1])
	if cl.r.Float64() < c.neverReadyP {
		p.ready = never
	}
	if cl.r.Float64() < c.flapP {
		p.flapFrom = p.ready + cl.between(10, 300)
		p.flapTo = p.flapFrom + cl.between(5, 120)
	}
	p.scrapePhase = time.Duration(cl.r.IntN(15)) * time.Second
	p.skew = 0.7 + 0.6*cl.r.Float64()
	p.burnMilli = int64(cl.r.IntN(900))
	p.memBase = int64(60+cl.r.IntN(120)) << 20
	p.cpuReqApp, p.cpuReqSidecar = int64(pick(cl.r, 250, 500, 500, 1000)), 100
	p.memReqApp, p.memReqSidecar = int64(pick(cl.r, 128, 256, 256, 512))<<20, 64<<20
	if c.sidecarNoMemRequest {
		p.memReqSidecar = -1
	}
	cl.pods = append(cl.pods, p)
	return p
}

// active reports whether the ReplicaSet counts the pod: not deleting, not failed.
func (p *modelPod) active(t time.Duration) bool { return t < p.deleting && t < p.failed && t < p.gone }

// serving reports whether the pod serves load at t: running, ready, not deleting.
func (p *modelPod) serving(t time.Duration) bool {
	return t >= p.running && p.isReady(t) && t < p.deleting && t < p.failed
}

func (p *modelPod) isReady(t time.Duration) bool {
	return t >= p.ready && !(t >= p.flapFrom && t < p.flapTo)
}

// readyChanged is the Ready condition's lastTransitionTime at t.
func (p *modelPod) readyChanged(t time.Duration) time.Duration {
	switch {
	case t >= p.flapTo:
		return p.flapTo
	case t >= p.flapFrom:
		return p.flapFrom
	case t >= p.ready:
		return p.ready
	case t >= p.scheduled:
		return p.scheduled
	}
	return p.created
}

// step moves the cluster from sync time from to the next sync: the controller's write at from
// (replicas, or -1 for none) is applied at once; pods fail at random in between and are
// replaced; terminated pods go.
func (cl *cluster) step(from time.Duration, newReplicas int32) {
	to := from + syncPeriod
	if newReplicas >= 0 {
		cl.replicas = newReplicas
	}
	cl.reconcile(from)
	for _, p := range cl.pods {
		if p.active(from) && from >= p.running && cl.r.Float64() < cl.c.failP {
			p.failed = from + cl.between(1, 14)
			p.gone = p.failed + cl.between(20, 120) // the pod garbage collector, eventually
			cl.reconcile(p.failed)
		}
	}
	kept := cl.pods[:0]
	for _, p := range cl.pods {
		if p.gone > to-scrapeEvery { // keep the recently gone: their metrics linger (extras)
			kept = append(kept, p)
		}
	}
	cl.pods = kept
}

// reconcile is the ReplicaSet controller at t: create pods up to replicas, or delete the
// surplus, preferring pods not yet running, then not ready, then the youngest
// (pkg/controller/replicaset getPodsToDelete, simplified).
func (cl *cluster) reconcile(t time.Duration) {
	var active []*modelPod
	for _, p := range cl.pods {
		if p.active(t) {
			active = append(active, p)
		}
	}
	for n := int32(len(active)); n < cl.replicas; n++ {
		cl.newPod(t + cl.between(0, 2))
	}
	if surplus := len(active) - int(cl.replicas); surplus > 0 {
		rank := func(p *modelPod) int {
			switch {
			case t < p.running:
				return 0
			case !p.isReady(t):
				return 1
			}
			return 2
		}
		sort.SliceStable(active, func(i, j int) bool {
			if ri, rj := rank(active[i]), rank(active[j]); ri != rj {
				return ri < rj
			}
			return active[i].created > active[j].created
		})
		for _, p := range active[:surplus] {
			p.deleting = t + cl.between(0, 1)
			p.gone = p.deleting + cl.between(cl.c.graceSeconds[0], cl.c.graceSeconds[1])
		}
	}
}

// statusReplicas is the target's status.replicas at t: the pods the ReplicaSet counts.
func (cl *cluster) statusReplicas(t time.Duration) int32 {
	n := int32(0)
	for _, p := range cl.pods {
		if p.active(t) && t >= p.created {
			n++
		}
	}
	return n
}

// listed reports whether the pod lister lists the pod at t.
func (p *modelPod) listed(t time.Duration) bool { return t >= p.created && t < p.gone }

// podMetric is what metrics-server serves for p at sync time t: the sample of its node's last
// scrape before t, its window (shorter for a fresh container, none when the container is under
// 10 s old at its first sample), or ok false.
func (cl *cluster) podMetric(p *modelPod, t time.Duration) (ts, window time.Duration, ok bool) {
	if t < p.running || t >= p.failed || t >= p.gone+scrapeEvery {
		return 0, 0, false
	}
	// Scrapes at phase + k·15s; the last one at least 1 s before t.
	last := t - time.Second - p.scrapePhase
	ts = last - mod(last, scrapeEvery) + p.scrapePhase
	first := p.running - p.scrapePhase
	first = first - mod(first, scrapeEvery) + p.scrapePhase
	if first < p.running {
		first += scrapeEvery
	}
	switch {
	case ts < first:
		return 0, 0, false
	case ts == first:
		if ts-p.running < 10*time.Second {
			return 0, 0, false
		}
		window = ts - p.running
	default:
		window = scrapeEvery
	}
	if ts >= p.gone { // gone before that scrape: the old sample stays until it is replaced
		ts -= scrapeEvery
		if ts < first {
			return 0, 0, false
		}
	}
	if cl.gap(p, t, 1, cl.c.gapP) {
		return 0, 0, false
	}
	return ts, window, true
}

func mod(a, b time.Duration) time.Duration {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// gap draws whether something is missing at t for p, from a hash: the same answer whoever asks.
func (cl *cluster) gap(p *modelPod, t time.Duration, salt uint64, prob float64) bool {
	if prob == 0 {
		return false
	}
	h := cl.c.seed*0x9e3779b97f4a7c15 ^ uint64(t)*0xbf58476d1ce4e5b9 ^ salt*0x94d049bb133111eb
	if p != nil {
		for i := 0; i < len(p.name); i++ {
			h = (h ^ uint64(p.name[i])) * 0x100000001b3
		}
	}
	h ^= h >> 31
	return float64(h%1_000_000)/1e6 < prob
}

// servingCount is the number of pods serving at t.
func (cl *cluster) servingCount(t time.Duration) int {
	n := 0
	for _, p := range cl.pods {
		if p.serving(t) {
			n++
		}
	}
	return n
}

// cpuNano is p's cpu use at ts, in nanocores, per container (app, sidecar): a share of the
// load while serving, start-up work otherwise.
func (cl *cluster) cpuNano(p *modelPod, ts time.Duration) (app, sidecar int64) {
	var milli float64
	if p.serving(ts) {
		if n := cl.servingCount(ts); n > 0 {
			milli = cl.c.load.at(ts) / float64(n) * p.skew
		}
	} else {
		milli = float64(p.burnMilli)
	}
	nano := int64(milli * 1e6)
	if !cl.c.nanoCPU {
		nano = nano / 1e6 * 1e6
	}
	if !cl.c.sidecar {
		return nano, 0
	}
	app = nano * 7 / 10
	return app, nano - app
}

// memBytes is p's memory working set at ts, per container.
func (cl *cluster) memBytes(p *modelPod, ts time.Duration) (app, sidecar int64) {
	a, s := cl.cpuNano(p, ts)
	app = p.memBase + (a+s)/1e6*(96<<10)
	if !cl.c.sidecar {
		return app, 0
	}
	return app * 8 / 10, app - app*8/10
}

// rps is p's value of the Pods metric requests_per_second at t, in milli-units, or ok false.
func (cl *cluster) rps(p *modelPod, t time.Duration) (int64, bool) {
	// The adapter lags: a pod gone less than a scrape ago still has a value (an extra entry).
	if t < p.running || t >= p.failed || t >= p.gone+scrapeEvery || cl.gap(p, t, 2, cl.c.gapP) {
		return 0, false
	}
	if !p.serving(t) {
		return 0, true
	}
	n := cl.servingCount(t)
	return int64(cl.c.load.at(t) / float64(n) * p.skew / 40 * 1000), true
}

// objectValue is the Object metric (hits_per_second on the Ingress) at t, milli-units.
func (cl *cluster) objectValue(t time.Duration) (int64, bool) {
	if cl.gap(nil, t, 3, cl.c.objectGapP) {
		return 0, false
	}
	return int64(cl.c.load.at(t) / 3 * 1000), true
}

// externalValues are the series of the External metric (queue_messages_ready) at t.
func (cl *cluster) externalValues(t time.Duration) ([]int64, bool) {
	if cl.gap(nil, t, 4, cl.c.externalGapP) {
		return nil, false
	}
	total := int64(cl.c.load.at(t) / 20 * 1000)
	n := 1 + int(cl.c.seed%3)
	out := make([]int64, n)
	for i := range out {
		out[i] = total / int64(n)
	}
	out[0] += total - total/int64(n)*int64(n)
	return out, true
}
