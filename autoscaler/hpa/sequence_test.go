package hpa

import (
	"fmt"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// loop is a minimal closed loop around an Autoscaler: at each sync the target has the replicas
// the previous sync wrote, every pod is running, ready and long started, and the demand at that
// time is shared equally by the pods (integer millicores). It stands in for the engine, to test
// the HPA's memory over many syncs.
type loop struct {
	a          *Autoscaler
	period     time.Duration
	requestMil int64
	demand     func(t time.Duration) int64 // millicores, all pods together
	replicas   int32
}

func (l *loop) run(t *testing.T, until time.Duration) (times []time.Duration, desired []int32, decisions []Decision) {
	t.Helper()
	for now := l.a.created; now <= until; now += l.period {
		n := int(l.replicas)
		pods := make([]PodSample, n)
		for i := range pods {
			pods[i] = PodSample{
				Name: fmt.Sprintf("p%d", i), Phase: corev1.PodRunning, Ready: true, Started: true,
				StartTime: -time.Hour, ReadyChanged: -time.Hour,
				Spec:    twoContainers(corev1.ResourceCPU, l.requestMil),
				Metrics: cpuMetrics(l.demand(now)/int64(n), now, 15*time.Second),
			}
		}
		d := l.a.Sync(now, input(l.replicas, pods))
		if d.Err != "" {
			t.Fatalf("t=%v: %s", now, d.Err)
		}
		if d.Rescale {
			l.replicas = d.Desired
		}
		times, desired, decisions = append(times, now), append(desired, d.Desired), append(decisions, d)
	}
	return times, desired, decisions
}

// series formats "t:desired" pairs, for readable failures.
func series(times []time.Duration, vals []int32) string {
	var b strings.Builder
	for i := range times {
		fmt.Fprintf(&b, "%d:%d ", int(times[i].Seconds()), vals[i])
	}
	return strings.TrimSpace(b.String())
}

// stepDemand is 1000m until 60 s, 4000m until 240 s, then 500m.
func stepDemand(t time.Duration) int64 {
	switch {
	case t < 60*time.Second:
		return 1000
	case t < 240*time.Second:
		return 4000
	}
	return 500
}

// TestGoldenLoadStepLegacy: a load step through the legacy path (no behavior), 30 s syncs,
// target 50 % of 500m, replicas 2..10. Each pod uses demand/n, so utilization is
// floor(demand/n/5) %. Worked by hand:
//
//	t=0    2 pods, 100 % → 4 (cap max(2·2, 4) = 4)
//	t=30   4 pods,  50 % → 4
//	t=60   demand ×4: 4 pods, 200 % → 16, capped to max(2·4, 4) = 8 (ScaleUpLimit)
//	t=90   8 pods, 100 % → 16 → max 10 (TooManyReplicas)
//	t=120..210  10 pods, 80 % → 16 → 10
//	t=240  demand 500m: 10 % → 2, but the max over 5 min is 16 → 10
//	t=510  the last 16 (t=210) is exactly 300 s old and still counts → 10
//	t=540  it has expired: → 2; t=570 2 pods at 50 % → 2
func TestGoldenLoadStepLegacy(t *testing.T) {
	a := mustNew(t, cpuHPA(2, 10, 50), 0, DefaultOptions())
	l := &loop{a: a, period: 30 * time.Second, requestMil: 500, demand: stepDemand, replicas: 2}
	times, got, ds := l.run(t, 570*time.Second)
	want := []int32{4, 4, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 2, 2}
	if g, w := series(times, got), series(times, want); g != w {
		t.Errorf("desired series\n got  %s\n want %s", g, w)
	}
	if ds[2].Limited != ReasonScaleUpLimit || ds[3].Limited != ReasonTooManyReplicas || ds[8].Stabilized != 16 {
		t.Errorf("t=60 limited %q, t=90 limited %q, t=240 stabilized %d; want ScaleUpLimit, TooManyReplicas, 16",
			ds[2].Limited, ds[3].Limited, ds[8].Stabilized)
	}
	// The history reuses expired slots: 300 s / 30 s syncs keep at most 12 records.
	if len(a.recs) > 12 {
		t.Errorf("%d recommendations kept, want at most 12", len(a.recs))
	}
}

// TestGoldenLoadStepBehavior: the same load through behavior {scaleDown: 60 s window, Pods 2
// per 60 s} and the default scale-up rules. Worked by hand:
//
//	t=0    2 → 4 (Pods 4 allows 6, Percent 100 allows 4: max 6)
//	t=60   16 wanted; the last scale up (t=0) is outside the 15 s periods → max(4+4, 4·2) = 8
//	t=90   16 wanted → max(8+4, 16) = 16 → max 10
//	t=240  2 wanted, but 16 at t=210 is within the 60 s window → 10 (ScaleDownStabilized)
//	t=270  16 at t=210 is exactly 60 s old: gone → 2 wanted; Pods 2 per 60 s → 8
//	t=300  the t=270 event is within 60 s → start 10 → 8: hold
//	t=330  → 6; t=360 hold; t=390 → 4; t=420 hold; t=450 → 2 (min); t=480 2
func TestGoldenLoadStepBehavior(t *testing.T) {
	h := withBehavior(cpuHPA(2, 10, 50), nil, &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: i32(60),
		Policies:                   []autoscalingv2.HPAScalingPolicy{pods(2, 60)},
	})
	a := mustNew(t, h, 0, DefaultOptions())
	l := &loop{a: a, period: 30 * time.Second, requestMil: 500, demand: stepDemand, replicas: 2}
	times, got, ds := l.run(t, 480*time.Second)
	want := []int32{4, 4, 8, 10, 10, 10, 10, 10, 10, 8, 8, 6, 6, 4, 4, 2, 2}
	if g, w := series(times, got), series(times, want); g != w {
		t.Errorf("desired series\n got  %s\n want %s", g, w)
	}
	checks := []struct {
		i       int
		limited string
	}{{2, ReasonScaleUpLimit}, {3, ReasonTooManyReplicas}, {8, ReasonScaleDownStabilized}, {9, ReasonScaleDownLimit}, {10, ReasonScaleDownLimit}, {15, ""}}
	for _, c := range checks {
		if ds[c.i].Limited != c.limited {
			t.Errorf("t=%v: limited %q, want %q", times[c.i], ds[c.i].Limited, c.limited)
		}
	}
}

// A capped recommendation keeps the legacy path scaling up after the load has fallen:
// 40 capped to 8 → 16 → 32 → 40 (hpa-spec.md §6, verified upstream).
func TestLegacyCappedRecommendationKeepsScalingUp(t *testing.T) {
	a := mustNew(t, cpuHPA(1, 100, 50), 0, DefaultOptions())
	// 2500m per pod (500 %) at t=0, then 50m per pod (10 %).
	l := &loop{a: a, period: 15 * time.Second, requestMil: 500, replicas: 4}
	l.demand = func(now time.Duration) int64 {
		if now == 0 {
			return 2500 * 4
		}
		return 50 * int64(l.replicas)
	}
	times, got, ds := l.run(t, 45*time.Second)
	if g, w := series(times, got), "0:8 15:16 30:32 45:40"; g != w {
		t.Errorf("desired %s, want %s", g, w)
	}
	if ds[0].Proposal != 40 || ds[1].Proposal != 2 || ds[1].Stabilized != 40 {
		t.Errorf("proposals %d, %d (stabilized %d); want 40, 2 (40)", ds[0].Proposal, ds[1].Proposal, ds[1].Stabilized)
	}
}

// behavior: {} is not the legacy path: from 1 replica the default policies allow
// max(1+4, 1·2) = 5, the legacy cap max(2·1, 4) = 4 (hpa-spec.md §7.1, verified upstream).
func TestEmptyBehaviorIsNotLegacy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		behavior bool
		want     int32
	}{{"legacy", false, 4}, {"behavior {}", true, 5}} {
		h := cpuHPA(1, 20, 50)
		if tc.behavior {
			h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
		}
		a := mustNew(t, h, 0, DefaultOptions())
		d := a.Sync(0, input(1, named(PodSample{Phase: corev1.PodRunning, Ready: true, Started: true, StartTime: -time.Hour,
			Spec: twoContainers(corev1.ResourceCPU, 500), Metrics: cpuMetrics(1500, 0, 15*time.Second)})))
		if d.Proposal != 6 || d.Desired != tc.want || d.Limited != ReasonScaleUpLimit {
			t.Errorf("%s: proposal %d desired %d limited %q, want 6 %d ScaleUpLimit", tc.name, d.Proposal, d.Desired, d.Limited, tc.want)
		}
	}
}

// A {Percent 10, 60 s} scale-up policy with 15 s syncs allows one step a minute, rounded in
// float64: 50 → 56 at 0 s, 62 at 60 s, 69 at 120 s (hpa-spec.md §7.4, verified upstream).
func TestPercentPolicyOverPeriods(t *testing.T) {
	h := withBehavior(cpuHPA(1, 1000, 50), &autoscalingv2.HPAScalingRules{
		Policies: []autoscalingv2.HPAScalingPolicy{percent(10, 60)},
	}, nil)
	a := mustNew(t, h, 0, DefaultOptions())
	l := &loop{a: a, period: 15 * time.Second, requestMil: 500, replicas: 50}
	l.demand = func(time.Duration) int64 { return 1500 * int64(l.replicas) } // 300 %
	times, got, _ := l.run(t, 120*time.Second)
	want := "0:56 15:56 30:56 45:56 60:62 75:62 90:62 105:62 120:69"
	if g := series(times, got); g != want {
		t.Errorf("desired %s, want %s", g, want)
	}
	if len(a.upEvents) != 2 || a.upEvents[0].replicaChange != 7 || a.upEvents[1].replicaChange != 6 {
		t.Errorf("up events %+v, want the t=0 slot reused by the t=120 event: [{7} {6}]", a.upEvents)
	}
}

// When metrics fail nothing is written, desired keeps its previous value (0 for a new HPA), and
// no recommendation is recorded (hpa-spec.md §4).
func TestFailedMetricsKeepDesiredAndHistory(t *testing.T) {
	a := mustNew(t, cpuHPA(1, 10, 50), 0, DefaultOptions())
	noMetrics := named(pod(500, 0, noMetric), pod(500, 0, noMetric))
	d := a.Sync(0, input(2, noMetrics))
	if d.Desired != 0 || d.Rescale || d.Proposal != -1 || d.Utilization != -1 || d.Err == "" {
		t.Fatalf("first sync failed: %+v; want desired 0 (a new HPA's status), no rescale, proposal -1", d)
	}
	if !strings.HasPrefix(d.Err, "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics") {
		t.Errorf("err %q", d.Err)
	}
	recs := len(a.recs) // the initial record only
	ok := named(pod(500, 500, cool), pod(500, 500, cool))
	if d = a.Sync(15*time.Second, input(2, ok)); d.Desired != 4 || !d.Rescale || d.Utilization != 100 || d.AverageUsageMilli != 500 {
		t.Fatalf("second sync: %+v; want 2 → 4 at 100 %%", d)
	}
	if d = a.Sync(30*time.Second, input(4, noMetrics)); d.Desired != 4 || d.Rescale {
		t.Fatalf("third sync failed: desired %d rescale %v, want 4 (kept) false", d.Desired, d.Rescale)
	}
	if len(a.recs) != recs+1 {
		t.Errorf("%d recommendations, want %d: a failed sync records none", len(a.recs), recs+1)
	}
}

// currentReplicas 0: scaling is disabled (desired stays 0) until someone scales the target up.
func TestScalingDisabledAtZero(t *testing.T) {
	a := mustNew(t, cpuHPA(1, 10, 50), 0, DefaultOptions())
	d := a.Sync(0, input(0, nil))
	if d.Desired != 0 || d.Rescale || d.Proposal != -1 || d.Err != "" {
		t.Fatalf("%+v, want desired 0, no rescale, no error", d)
	}
	if diff := diffStrings(conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/ScalingDisabled"), condStrings(d.Conditions)); diff != "" {
		t.Errorf("conditions:%s", diff)
	}
	d = a.Sync(15*time.Second, input(2, named(pod(500, 250, cool), pod(500, 250, cool))))
	if d.Desired != 2 || d.Conditions[1].Reason != ReasonValidMetricFound || d.Conditions[1].LastTransition != 15*time.Second {
		t.Errorf("after a manual scale to 2: %+v", d)
	}
}

// The min/max jumps ignore behavior limits but still count as scale events (hpa-spec.md §5).
func TestMinMaxJumpStoresScaleEvent(t *testing.T) {
	h := withBehavior(cpuHPA(2, 10, 50), nil, &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pods(1, 60)}})
	a := mustNew(t, h, 0, DefaultOptions())
	d := a.Sync(0, input(20, nil))
	if d.Desired != 10 || !d.Rescale || d.Proposal != -1 || d.Limited != "" {
		t.Fatalf("%+v, want a jump 20 → 10", d)
	}
	if len(a.downEvents) != 1 || a.downEvents[0].replicaChange != 10 {
		t.Errorf("down events %+v, want one of 10", a.downEvents)
	}
}

func TestSyncPreconditionsPanic(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	a := mustNew(t, cpuHPA(1, 10, 50), time.Minute, DefaultOptions())
	mustPanic("before creation", func() { a.Sync(0, input(1, nil)) })
	a.Sync(2*time.Minute, input(0, nil))
	mustPanic("time going back", func() { a.Sync(time.Minute+30*time.Second, input(0, nil)) })
	mustPanic("negative replicas", func() { a.Sync(3*time.Minute, input(-1, nil)) })
}

// Over a long steady run the histories stay bounded (expired slots are reused).
func TestHistoryBounded(t *testing.T) {
	h := withBehavior(cpuHPA(1, 50, 50), &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(120)}, nil)
	a := mustNew(t, h, 0, DefaultOptions())
	// A load that swings every 2 minutes keeps both directions busy.
	l := &loop{a: a, period: 15 * time.Second, requestMil: 500}
	l.replicas = 5
	l.demand = func(now time.Duration) int64 {
		if (now/(2*time.Minute))%2 == 0 {
			return 8000
		}
		return 1000
	}
	l.run(t, 24*time.Hour)
	// Windows: up 120 s, down 300 s → at most 300/15 + 2 records; events: longest period 15 s.
	if len(a.recs) > 22 || len(a.upEvents) > 3 || len(a.downEvents) > 3 {
		t.Errorf("history grew: %d recommendations, %d up and %d down events", len(a.recs), len(a.upEvents), len(a.downEvents))
	}
}

// syncPods builds n pods of a web Deployment as the engine hands them to Sync: Running and
// Ready for an hour, a cpu request of 500m (one container) and a metric of 260m.
func syncPods(n int) []PodSample {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}}}}
	pods := make([]PodSample, n)
	for i := range pods {
		pods[i] = PodSample{Name: fmt.Sprintf("web-%d", i), Phase: corev1.PodRunning, Ready: true, Started: true,
			StartTime: -time.Hour, ReadyChanged: -time.Hour, Spec: spec,
			Metrics: containerMetrics(-5*time.Second, 15*time.Second, corev1.ResourceCPU, 260)}
	}
	return pods
}

// BenchmarkSync is one sync of an HPA with a cpu Utilization metric over N pods, the engine's
// hot path.
func BenchmarkSync(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
			a, err := New(cpuHPA(1, int32(n)*2, 50), 0, DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			in := input(int32(n), syncPods(n))
			now := time.Duration(0)
			b.ReportAllocs()
			for b.Loop() {
				a.Sync(now, in)
				now += 15 * time.Second
			}
		})
	}
}

// One sync of 1,000 pods allocates a few objects (the conditions, the metric statuses), never
// one per pod.
func TestSyncDoesNotAllocatePerPod(t *testing.T) {
	a := mustNew(t, cpuHPA(1, 2000, 50), 0, DefaultOptions())
	now := time.Duration(0)
	allocs := func(n int) float64 {
		in := input(int32(n), syncPods(n))
		return testing.AllocsPerRun(50, func() {
			a.Sync(now, in)
			now += 15 * time.Second
		})
	}
	small, large := allocs(10), allocs(1000)
	if large > small || large > 8 {
		t.Errorf("a sync allocates %v objects with 10 pods and %v with 1000; want the same few", small, large)
	}
}
