package hpa

import (
	"errors"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// syncCase is one sync of a freshly created HPA, as upstream's horizontal_test.go runs one
// reconcile: the HPA is created at testNow and synced at once. Pods are per pod (upstream's
// fixtures split a pod's request and usage over two containers, each half rounded down).
type syncCase struct {
	name string
	hpa  *autoscalingv2.HorizontalPodAutoscaler
	cur  int32
	pods []PodSample
	// emptyHistory: upstream's fixture `recommendations: []timestampedRecommendation{}` (an empty
	// but non-nil list, so no {current, now} record is stored). recs: a given history.
	emptyHistory bool
	recs         []timestampedRecommendation
	// minZero bypasses API validation as upstream's controller tests do: minReplicas 0 with only
	// a cpu metric.
	minZero bool
	// statusDesired is the fixture's status.desiredReplicas (upstream's buildHPA sets it to the
	// spec replicas); it shows when metrics fail.
	statusDesired int32

	// values are the custom and external metrics' answers (by metric index); status is the
	// target's status.replicas when it differs from cur (upstream's statusReplicas).
	values []MetricValues
	status int32
	// conds are the HPA's conditions before the sync (upstream's initialConditions).
	conds []Condition

	wantDesired int32
	wantRescale bool
	wantConds   []string // nil: not checked
	wantReason  string   // "": not checked
	wantErr     string   // substring; "": no error
}

func (tc *syncCase) statusReplicas() int32 {
	if tc.status != 0 {
		return tc.status
	}
	return tc.cur
}

func runSyncCases(t *testing.T, cases []syncCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newControllerUnderTest(t, tc.hpa)
			if tc.emptyHistory || tc.recs != nil {
				a.recsStarted = true
				a.recs = append([]timestampedRecommendation(nil), tc.recs...)
			}
			if tc.minZero {
				a.spec.minReplicas = 0
			}
			a.statusDesired = tc.statusDesired
			a.conds = append([]Condition(nil), tc.conds...)
			d := a.Sync(testNow, &Input{Replicas: tc.cur, StatusReplicas: tc.statusReplicas(), Pods: tc.pods, Metrics: tc.values})
			if d.Desired != tc.wantDesired || d.Rescale != tc.wantRescale {
				t.Errorf("desired %d rescale %v, want %d %v (proposal %d, stabilized %d, err %q)",
					d.Desired, d.Rescale, tc.wantDesired, tc.wantRescale, d.Proposal, d.Stabilized, d.Err)
			}
			if tc.wantConds != nil {
				if diff := diffStrings(tc.wantConds, condStrings(d.Conditions)); diff != "" {
					t.Errorf("conditions:%s", diff)
				}
			}
			if tc.wantReason != "" && d.Reason != tc.wantReason {
				t.Errorf("reason %q, want %q", d.Reason, tc.wantReason)
			}
			if (tc.wantErr == "") != (d.Err == "") || !strings.Contains(d.Err, tc.wantErr) {
				t.Errorf("err %q, want %q", d.Err, tc.wantErr)
			}
		})
	}
}

// Port of TestScaleCPU (the Deployment and ReplicaSet variants of "scale up" are the same
// decision and are left out).
func TestScaleCPU(t *testing.T) {
	h := func() *autoscalingv2.HorizontalPodAutoscaler { return cpuHPA(2, 6, 30) }
	hd := func() *autoscalingv2.HorizontalPodAutoscaler { return cpuHPA(2, 6, 50) }
	runSyncCases(t, []syncCase{
		{name: "scale up", hpa: h(), cur: 3, pods: named(pod(1000, 300), pod(1000, 500), pod(1000, 700)),
			wantDesired: 5, wantRescale: true},
		{name: "scale up with unready pods results in less scale", hpa: h(), cur: 3,
			pods: named(pod(1000, 300, notReady), pod(1000, 500), pod(1000, 700)), wantDesired: 4, wantRescale: true},
		{name: "scale up with hot cpu pods results in less scale", hpa: h(), cur: 3,
			pods: named(pod(1000, 300, hot), pod(1000, 500, cool), pod(1000, 700, cool)), wantDesired: 4, wantRescale: true},
		{name: "scale up ignores failed pods", hpa: h(), cur: 2,
			pods:        cat(named(pod(1000, 500), pod(1000, 700)), times(2, pod(1000, 0, notReady, failed, noMetric))),
			wantDesired: 4, wantRescale: true},
		{name: "scale up ignores deletion pods", hpa: h(), cur: 2,
			pods:        cat(named(pod(1000, 500), pod(1000, 700)), times(2, pod(1000, 0, notReady, deleting, noMetric))),
			wantDesired: 4, wantRescale: true},
		{name: "no scale up when all unready pods bring utilization within target", hpa: h(), cur: 3,
			pods: named(pod(1000, 400), pod(1000, 500, notReady), pod(1000, 700, notReady)), wantDesired: 3},
		{name: "scale down", hpa: hd(), cur: 5, emptyHistory: true,
			pods:        named(pod(1000, 100), pod(1000, 300), pod(1000, 500), pod(1000, 250), pod(1000, 250)),
			wantDesired: 3, wantRescale: true},
		{name: "scale down includes unready pods", hpa: hd(), cur: 5, emptyHistory: true,
			pods:        named(pod(1000, 100), pod(1000, 300), pod(1000, 500), pod(1000, 250, notReady), pod(1000, 250, notReady)),
			wantDesired: 2, wantRescale: true},
		{name: "scale down ignores hot cpu pods", hpa: hd(), cur: 5, emptyHistory: true,
			pods:        named(pod(1000, 100, cool), pod(1000, 300, cool), pod(1000, 500, cool), pod(1000, 250, hot), pod(1000, 250, hot)),
			wantDesired: 2, wantRescale: true},
		{name: "scale down ignores failed pods", hpa: hd(), cur: 5, emptyHistory: true,
			pods: cat(named(pod(1000, 100), pod(1000, 300), pod(1000, 500), pod(1000, 250), pod(1000, 250)),
				times(2, pod(1000, 0, notReady, failed, noMetric))),
			wantDesired: 3, wantRescale: true},
		{name: "scale down ignores deletion pods", hpa: hd(), cur: 5, emptyHistory: true,
			pods: cat(named(pod(1000, 100), pod(1000, 300), pod(1000, 500), pod(1000, 250), pod(1000, 250)),
				times(2, pod(1000, 0, notReady, deleting, noMetric))),
			wantDesired: 3, wantRescale: true},
	})
}

// Ports of the single-case controller tests: TestScaleUpHotCpuNoScale,
// TestScaleDownStabilizeInitialSize, TestTolerance (its CPU case), TestEventCreated,
// TestEventNotCreated, TestUpscaleCap, TestUpscaleCapGreaterThanMaxReplicas,
// TestConditionFailedGetMetrics (its Resource case) and TestStabilizeDownscale.
func TestControllerSingleCases(t *testing.T) {
	upscaleCap := func(maxR int32) *autoscalingv2.HorizontalPodAutoscaler {
		return withBehavior(cpuHPA(1, maxR, 10), generateScalingRules(0, 0, 700, 60, 0), nil)
	}
	runSyncCases(t, []syncCase{
		{name: "TestScaleUpHotCpuNoScale", hpa: cpuHPA(2, 6, 30), cur: 3,
			pods:        named(pod(1000, 400, cool), pod(1000, 500, hot, notReady), pod(1000, 700, hot, notReady)),
			wantDesired: 3, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
		{name: "TestScaleDownStabilizeInitialSize", hpa: cpuHPA(2, 6, 50), cur: 5,
			pods:        named(pod(1000, 100), pod(1000, 300), pod(1000, 500), pod(1000, 250), pod(1000, 250)),
			wantDesired: 5, wantConds: statusNoRescale("AbleToScale=True/ScaleDownStabilized")},
		{name: "TestTolerance/CPU resource metric within tolerance", hpa: cpuHPA(1, 5, 100), cur: 3,
			pods:        named(pod(900, 1010), pod(1000, 1030), pod(1100, 1020)),
			wantDesired: 3, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
		{name: "TestEventCreated", hpa: cpuHPA(1, 5, 50), cur: 1, pods: named(pod(200, 200)),
			wantDesired: 2, wantRescale: true, wantReason: "cpu resource utilization (percentage of request) above target"},
		{name: "TestEventNotCreated", hpa: cpuHPA(1, 5, 50), cur: 2, pods: named(pod(400, 200), pod(400, 200)),
			wantDesired: 2, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
		{name: "TestUpscaleCap", hpa: upscaleCap(100), cur: 3,
			pods:        named(pod(100, 100), pod(100, 200), pod(100, 300)),
			wantDesired: 24, wantRescale: true, wantConds: statusOKWith("ScalingLimited=True/ScaleUpLimit")},
		{name: "TestUpscaleCapGreaterThanMaxReplicas", hpa: upscaleCap(20), cur: 3,
			pods:        named(pod(100, 100), pod(100, 200), pod(100, 300)),
			wantDesired: 20, wantRescale: true, wantConds: statusOKWith("ScalingLimited=True/TooManyReplicas")},
		{name: "TestConditionFailedGetMetrics/FailedGetResourceMetric", hpa: cpuHPA(1, 100, 10), cur: 3, statusDesired: 3,
			pods:        named(pod(100, 0, noMetric), pod(100, 0, noMetric), pod(100, 0, noMetric)),
			wantDesired: 3, wantErr: "no metrics returned from resource metrics API",
			wantConds: conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/FailedGetResourceMetric")},
		{name: "TestStabilizeDownscale", hpa: cpuHPA(1, 5, 100), cur: 4,
			recs:        []timestampedRecommendation{rec(10, 10*time.Minute), rec(4, time.Minute)},
			pods:        named(pod(100, 50), pod(100, 50), pod(100, 50)),
			wantDesired: 4, wantConds: statusNoRescale("AbleToScale=True/ScaleDownStabilized")},
	})
}

// Port of TestConfigurableTolerance. Its fourth case (the HPAConfigurableTolerance gate
// disabled) does not apply: the gate is GA and locked on in v1.37.
func TestConfigurableTolerance(t *testing.T) {
	one, ninety := mustQuantity("0.01"), mustQuantity("0.9")
	runSyncCases(t, []syncCase{
		{name: "scaling up because of a 1% configurable tolerance",
			hpa: withBehavior(cpuHPA(1, 5, 100), &autoscalingv2.HPAScalingRules{Tolerance: &one}, nil),
			cur: 3, pods: named(pod(900, 1010), pod(1000, 1030), pod(1100, 1020)),
			wantDesired: 4, wantRescale: true, wantConds: statusOK},
		{name: "no scale-down because of a 90% configurable tolerance",
			hpa: withBehavior(cpuHPA(1, 5, 100), nil, &autoscalingv2.HPAScalingRules{Tolerance: &ninety}),
			cur: 3, pods: named(pod(1000, 300), pod(1000, 300), pod(1000, 300)),
			wantDesired: 3, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
		{name: "no scaling because of the large default tolerance",
			hpa: cpuHPA(1, 5, 100),
			cur: 3, pods: named(pod(900, 1010), pod(1000, 1030), pod(1100, 1020)),
			wantDesired: 3, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
	})
}

// Port of TestReplicaLimits.
func TestReplicaLimits(t *testing.T) {
	jumped := conds("AbleToScale=True/SucceededRescale", "ScaledToZero=False/NotScaledToZero")
	runSyncCases(t, []syncCase{
		{name: "scale down clamped to min replicas", hpa: cpuHPA(2, 5, 90), cur: 3, emptyHistory: true,
			pods:        named(pod(900, 10), pod(1000, 94), pod(1100, 10)),
			wantDesired: 2, wantRescale: true, wantConds: statusOKWith("ScalingLimited=True/TooFewReplicas")},
		{name: "scale down to zero when min replicas is zero", hpa: cpuHPA(1, 5, 90), minZero: true, cur: 3, emptyHistory: true,
			pods:        named(pod(900, 0), pod(1000, 0), pod(1100, 0)),
			wantDesired: 0, wantRescale: true, wantConds: statusOK},
		{name: "scale down clamped to min when desired is zero", hpa: cpuHPA(2, 5, 90), cur: 3, emptyHistory: true,
			pods:        named(pod(900, 0), pod(1000, 0), pod(1100, 0)),
			wantDesired: 2, wantRescale: true, wantConds: statusOKWith("ScalingLimited=True/TooFewReplicas")},
		{name: "no scaling when spec replicas is zero", hpa: cpuHPA(3, 5, 90), cur: 0,
			wantDesired: 0, wantConds: conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/ScalingDisabled")},
		{name: "scale up to min when below min replicas", hpa: cpuHPA(3, 5, 90), cur: 2,
			wantDesired: 3, wantRescale: true, wantConds: jumped, wantReason: "Current number of replicas below Spec.MinReplicas"},
		{name: "scale down to max when above max replicas", hpa: cpuHPA(3, 5, 90), cur: 10,
			wantDesired: 5, wantRescale: true, wantConds: jumped, wantReason: "Current number of replicas above Spec.MaxReplicas"},
		{name: "scale up clamped to max replicas", hpa: cpuHPA(2, 5, 90), cur: 3,
			pods:        named(pod(900, 8000), pod(1000, 9500), pod(1100, 1000)),
			wantDesired: 5, wantRescale: true, wantConds: statusOKWith("ScalingLimited=True/TooManyReplicas")},
		{name: "scale up to min immediately even with recent scale time", hpa: cpuHPA(2, 6, 80), cur: 1,
			pods:        named(pod(1000, 0), pod(1000, 0), pod(1000, 0), pod(1000, 0)),
			wantDesired: 2, wantRescale: true, wantConds: jumped},
		{name: "scale down to max immediately even with recent scale time", hpa: cpuHPA(2, 5, 50), cur: 6,
			pods:        named(pod(900, 8000), pod(1000, 9500), pod(1100, 1000)),
			wantDesired: 5, wantRescale: true, wantConds: jumped},
	})
}

// Port of TestMetricsEdgeCases. Not ported: "superfluous metrics reported" (metrics for pods
// the selector does not list). "empty CPU requests" lists no pods but one metric upstream; here
// the metric's pod lacks a request, which fails the metric the same way.
func TestMetricsEdgeCases(t *testing.T) {
	failed := conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/FailedGetResourceMetric")
	runSyncCases(t, []syncCase{
		{name: "missing metrics from some pods", hpa: cpuHPA(2, 6, 100), cur: 4, emptyHistory: true,
			pods:        cat(named(pod(1000, 400), pod(1000, 94)), times(2, pod(1000, 0, noMetric))),
			wantDesired: 3, wantRescale: true},
		{name: "empty metrics from all pods", hpa: cpuHPA(2, 6, 100), cur: 4, statusDesired: 4,
			pods:        times(4, pod(1000, 0, noMetric)),
			wantDesired: 4, wantConds: failed, wantErr: "no metrics returned from resource metrics API"},
		{name: "empty CPU requests", hpa: cpuHPA(1, 5, 100), cur: 1, statusDesired: 1,
			pods:        named(pod(0, 200, noRequest)),
			wantDesired: 1, wantConds: failed, wantErr: "missing request for cpu"},
		{name: "missing reports from some pods scales down", hpa: cpuHPA(1, 5, 50), cur: 4, emptyHistory: true,
			pods:        named(pod(200, 200)),
			wantDesired: 2, wantRescale: true},
		{name: "more replicas than spec no scale", hpa: cpuHPA(1, 8, 50), cur: 4,
			pods:        times(5, pod(1000, 500)),
			wantDesired: 4, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
	})
}

// Port of TestComputedToleranceAlgImplementation (the controller-level twin of
// TestReplicaCalcComputedToleranceAlgImplementation; upstream sets minReplicas 0).
func TestComputedToleranceAlgImplementation(t *testing.T) {
	offsets := []int64{100, -100, 10, -10, 2, -2, 1, -1, 0, 0}
	var pods []PodSample
	for _, off := range offsets { // the fixture halves each request over two containers
		pods = append(pods, pod((300+off)/2*2, 150))
	}
	pods = named(pods...)
	// target 56 %: 50/56 = 0.89 is outside the 10 % band → ceil(8.93) = 9.
	// target 55 %: 50/55 = 0.909 is inside → 10.
	runSyncCases(t, []syncCase{
		{name: "scale down just past the tolerance", hpa: cpuHPA(1, 1000, 56), minZero: true, cur: 10, emptyHistory: true,
			pods: pods, wantDesired: 9, wantRescale: true},
		{name: "no scale just inside the tolerance", hpa: cpuHPA(1, 1000, 55), minZero: true, cur: 10, emptyHistory: true,
			pods: pods, wantDesired: 10, wantConds: statusNoRescale("AbleToScale=True/ReadyForNewScale")},
	})
}

// The combination step alone: the largest valid proposal wins and the first metric reaching
// it names the reason; failures block a scale down, never a scale up. ksim cases (upstream's
// TestScaleUpOneMetricEmpty and friends are ported with real metrics in multimetric_test.go).
func TestCombineProposals(t *testing.T) {
	ok := func(n int32) metricProposal { return metricProposal{replicas: n} }
	fail := func(reason string) metricProposal {
		return metricProposal{replicas: -1, err: errors.New("something went wrong"), failReason: reason}
	}
	names := []metricSource{{name: "m0"}, {name: "m1"}, {name: "m2"}}
	tests := []struct {
		name       string
		cur        int32
		props      []metricProposal
		want       int32
		wantMetric string
		wantReason string // ScalingActive reason on failure
		wantErr    string
	}{
		{name: "the largest proposal wins", cur: 5, props: []metricProposal{ok(3), ok(7), ok(6)}, want: 7, wantMetric: "m1"},
		{name: "the first metric reaching the max names it", cur: 5, props: []metricProposal{ok(7), ok(7)}, want: 7, wantMetric: "m0"},
		{name: "a failure does not block a scale up", cur: 3, props: []metricProposal{fail("B"), ok(4)}, want: 4, wantMetric: "m1",
			wantErr: "invalid metrics (1 invalid out of 2), first error is: something went wrong"},
		{name: "a failure blocks a scale down", cur: 5, props: []metricProposal{ok(3), fail("FailedGetExternalMetric")},
			want: -1, wantReason: "FailedGetExternalMetric", wantErr: "invalid metrics (1 invalid out of 2)"},
		{name: "a failure does not block holding", cur: 5, props: []metricProposal{ok(5), fail("X")}, want: 5, wantMetric: "m0",
			wantErr: "invalid metrics (1 invalid out of 2)"},
		{name: "all failed: the first failure", cur: 5, props: []metricProposal{fail("A"), fail("B")},
			want: -1, wantReason: "A", wantErr: "invalid metrics (2 invalid out of 2)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := combineProposals(tc.cur, tc.props, names)
			if c.replicas != tc.want || c.failReason != tc.wantReason || c.metricName != tc.wantMetric {
				t.Errorf("got (%d, %q, %q), want (%d, %q, %q)", c.replicas, c.metricName, c.failReason, tc.want, tc.wantMetric, tc.wantReason)
			}
			gotErr := ""
			if c.err != nil {
				gotErr = c.err.Error()
			}
			if (tc.wantErr == "") != (gotErr == "") || !strings.Contains(gotErr, tc.wantErr) {
				t.Errorf("err %q, want %q", gotErr, tc.wantErr)
			}
		})
	}
}
