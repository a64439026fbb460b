package hpa

import (
	"math"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// cpuUtilization is a compiled Resource cpu metric with a Utilization target.
func cpuUtilization(target int32) metricSource {
	return metricSource{typ: autoscalingv2.ResourceMetricSourceType, resource: corev1.ResourceCPU,
		target: targetUtilization, targetUtilization: target}
}

// calcCase is one case of upstream's replica_calculator_test.go, as a table of pods. Requests
// and usage are per pod (upstream's fixtures give them per container, two containers a pod, so
// the numbers here are twice theirs; ratios and expected values are unchanged).
type calcCase struct {
	name            string
	cur             int32
	pods            []PodSample
	target          int32
	tol             *tolerances // nil: the default 10 %
	wantReplicas    int32
	wantUtilization int32
	wantRawAverage  int64
	wantErr         string // substring
}

func runCalcCases(t *testing.T, cases []calcCase) {
	t.Helper()
	opts := testOptions()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tol := tolerances{down: 0.1, up: 0.1}
			if tc.tol != nil {
				tol = *tc.tol
			}
			m := cpuUtilization(tc.target)
			got, err := utilizationReplicas(testNow, tc.cur, &m, tol, tc.pods, &opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := utilizationResult{replicas: tc.wantReplicas, utilization: tc.wantUtilization, rawAverage: tc.wantRawAverage}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// Port of TestReplicaCalcResourceScale (the Resource cases; the ContainerResource variants come
// with ContainerResource support).
func TestReplicaCalcResourceScale(t *testing.T) {
	runCalcCases(t, []calcCase{{
		name:         "scale up",
		cur:          3,
		pods:         named(pod(2000, 600), pod(2000, 1000), pod(2000, 1400)),
		target:       30,
		wantReplicas: 5, wantUtilization: 50, wantRawAverage: 1000,
	}, {
		name:         "scale up: unready pod scales less",
		cur:          3,
		pods:         named(pod(2000, 600, notReady), pod(2000, 1000), pod(2000, 1400)),
		target:       30,
		wantReplicas: 4, wantUtilization: 60, wantRawAverage: 1200,
	}, {
		name:         "scale up: hot-CPU pod scales less",
		cur:          3,
		pods:         named(pod(2000, 600, hot), pod(2000, 1000, cool), pod(2000, 1400, cool)),
		target:       30,
		wantReplicas: 4, wantUtilization: 60, wantRawAverage: 1200,
	}, {
		name:         "no scale: unready pods ignored",
		cur:          3,
		pods:         named(pod(2000, 800), pod(2000, 1000, notReady), pod(2000, 1400, notReady)),
		target:       30,
		wantReplicas: 3, wantUtilization: 40, wantRawAverage: 800,
	}, {
		name:         "no scale: hot-CPU pods ignored",
		cur:          3,
		pods:         named(pod(2000, 800, cool), pod(2000, 1000, hot, notReady), pod(2000, 1400, hot, notReady)),
		target:       30,
		wantReplicas: 3, wantUtilization: 40, wantRawAverage: 800,
	}, {
		name: "scale up: failed pods ignored",
		cur:  2,
		pods: named(pod(2000, 1000), pod(2000, 1400),
			pod(2000, 0, failed, notReady, noMetric), pod(2000, 0, failed, notReady, noMetric)),
		target:       30,
		wantReplicas: 4, wantUtilization: 60, wantRawAverage: 1200,
	}, {
		name: "scale up: pods being deleted are ignored",
		cur:  2,
		pods: named(pod(2000, 1000), pod(2000, 1400),
			pod(2000, 0, deleting, notReady, noMetric), pod(2000, 0, deleting, notReady, noMetric)),
		target:       30,
		wantReplicas: 4, wantUtilization: 60, wantRawAverage: 1200,
	}, {
		name:         "scale down",
		cur:          5,
		pods:         named(pod(2000, 200), pod(2000, 600), pod(2000, 1000), pod(2000, 500), pod(2000, 500)),
		target:       50,
		wantReplicas: 3, wantUtilization: 28, wantRawAverage: 560,
	}, {
		name: "scale down: exclude unready pods",
		cur:  5,
		pods: named(pod(2000, 200), pod(2000, 600), pod(2000, 1000),
			pod(2000, 500, notReady), pod(2000, 500, notReady)),
		target:       50,
		wantReplicas: 2, wantUtilization: 30, wantRawAverage: 600,
	}, {
		name: "scale down: exclude unscheduled pods",
		cur:  5,
		pods: cat([]PodSample{pod(2000, 200)},
			times(4, pod(2000, 0, pending, notReady, noMetric))),
		target:       50,
		wantReplicas: 1, wantUtilization: 10, wantRawAverage: 200,
	}, {
		name: "scale down: ignore hot-CPU pods",
		cur:  5,
		pods: named(pod(2000, 200, cool), pod(2000, 600, cool), pod(2000, 1000, cool),
			pod(2000, 500, hot), pod(2000, 500, hot)),
		target:       50,
		wantReplicas: 2, wantUtilization: 30, wantRawAverage: 600,
	}, {
		name: "scale down: failed pods ignored",
		cur:  5,
		pods: cat(named(pod(2000, 200), pod(2000, 600), pod(2000, 1000), pod(2000, 500), pod(2000, 500)),
			times(2, pod(2000, 0, failed, notReady, noMetric))),
		target:       50,
		wantReplicas: 3, wantUtilization: 28, wantRawAverage: 560,
	}, {
		name: "scale down: pods being deleted are ignored",
		cur:  5,
		pods: cat(named(pod(2000, 200), pod(2000, 600), pod(2000, 1000), pod(2000, 500), pod(2000, 500)),
			times(2, pod(2000, 0, deleting, notReady, noMetric))),
		target:       50,
		wantReplicas: 3, wantUtilization: 28, wantRawAverage: 560,
	}})
}

// Port of TestReplicaCalcResourceTolerance.
func TestReplicaCalcResourceTolerance(t *testing.T) {
	mixed := func(a, b, c int64) []PodSample { // requests 0.9, 1.0, 1.1 per container
		return named(pod(1800, a), pod(2000, b), pod(2200, c))
	}
	runCalcCases(t, []calcCase{{
		name:   "within default tolerance",
		cur:    3,
		pods:   mixed(2020, 2060, 2040),
		target: 100, wantReplicas: 3, wantUtilization: 102, wantRawAverage: 2040,
	}, {
		name:   "outside 0% tolerance",
		tol:    &tolerances{down: 0, up: 0},
		cur:    3,
		pods:   mixed(1818, 2020, 2222),
		target: 100, wantReplicas: 4, wantUtilization: 101, wantRawAverage: 2020,
	}, {
		name:   "within 200% scale-up tolerance",
		tol:    &tolerances{down: 0.1, up: 2},
		cur:    3,
		pods:   mixed(3780, 3820, 3800),
		target: 100, wantReplicas: 3, wantUtilization: 190, wantRawAverage: 3800,
	}, {
		name:   "outside 8% scale-up tolerance (superfluous scale-down tolerance)",
		tol:    &tolerances{down: 2, up: 0.08},
		cur:    3,
		pods:   mixed(2200, 2160, 2180),
		target: 100, wantReplicas: 4, wantUtilization: 109, wantRawAverage: 2180,
	}, {
		name:   "within 36% scale-down tolerance",
		tol:    &tolerances{down: 0.36, up: 0.1},
		cur:    3,
		pods:   mixed(1320, 1280, 1300),
		target: 100, wantReplicas: 3, wantUtilization: 65, wantRawAverage: 1300,
	}, {
		name:   "outside 34% scale-down tolerance",
		tol:    &tolerances{down: 0.34, up: 0.1},
		cur:    3,
		pods:   mixed(1320, 1280, 1300),
		target: 100, wantReplicas: 2, wantUtilization: 65, wantRawAverage: 1300,
	}})
}

// Port of TestReplicaCalcResourceMissingMetrics. Not ported: "superfluous metrics counted" and
// "disjoint pod and metric names" need metrics for pods the selector does not list, which a
// PodSample cannot express (each pod carries its own metric).
func TestReplicaCalcResourceMissingMetrics(t *testing.T) {
	runCalcCases(t, []calcCase{{
		name:   "some pods missing metrics scales down",
		cur:    4,
		pods:   cat(named(pod(2000, 800), pod(2000, 190)), times(2, pod(2000, 0, noMetric))),
		target: 100, wantReplicas: 3, wantUtilization: 24, wantRawAverage: 495,
	}, {
		name:   "no change: metric equal to target",
		cur:    2,
		pods:   named(pod(2000, 2000), pod(2000, 0, noMetric)),
		target: 100, wantReplicas: 2, wantUtilization: 100, wantRawAverage: 2000,
	}, {
		name:   "no change: metric above target",
		cur:    2,
		pods:   named(pod(2000, 3800), pod(2000, 0, noMetric)),
		target: 100, wantReplicas: 2, wantUtilization: 190, wantRawAverage: 3800,
	}, {
		name:   "no change: metric below target",
		cur:    2,
		pods:   named(pod(2000, 1200), pod(2000, 0, noMetric)),
		target: 100, wantReplicas: 2, wantUtilization: 60, wantRawAverage: 1200,
	}, {
		name:   "no change: unready pod metric missing",
		cur:    3,
		pods:   named(pod(2000, 200, notReady), pod(2000, 900), pod(2000, 0, noMetric)),
		target: 50, wantReplicas: 3, wantUtilization: 45, wantRawAverage: 900,
	}, {
		name:   "no change: hot-CPU pod metric missing",
		cur:    3,
		pods:   named(pod(2000, 200, hot), pod(2000, 900, cool), pod(2000, 0, cool, noMetric)),
		target: 50, wantReplicas: 3, wantUtilization: 45, wantRawAverage: 900,
	}, {
		name:   "scale up: unready pod metric missing",
		cur:    3,
		pods:   named(pod(2000, 200, notReady), pod(2000, 4000), pod(2000, 0, noMetric)),
		target: 50, wantReplicas: 4, wantUtilization: 200, wantRawAverage: 4000,
	}, {
		name:   "scale up: hot-CPU pod metric missing",
		cur:    3,
		pods:   named(pod(2000, 200, hot, notReady), pod(2000, 4000, cool), pod(2000, 0, cool, noMetric)),
		target: 50, wantReplicas: 4, wantUtilization: 200, wantRawAverage: 4000,
	}, {
		name:   "scale down: unready pod metric missing",
		cur:    4,
		pods:   named(pod(2000, 200, notReady), pod(2000, 200), pod(2000, 200), pod(2000, 0, noMetric)),
		target: 50, wantReplicas: 3, wantUtilization: 10, wantRawAverage: 200,
	}, {
		name:   "scale down: target over 100",
		cur:    4,
		pods:   named(pod(2000, 400, notReady), pod(2000, 200), pod(4000, 200), pod(4000, 0, noMetric)),
		target: 300, wantReplicas: 2, wantUtilization: 6, wantRawAverage: 200,
	}, {
		name:   "rolling update with maxSurge: extra pod missing metric",
		cur:    2,
		pods:   named(pod(2000, 200), pod(2000, 200), pod(2000, 0, noMetric)),
		target: 50, wantReplicas: 2, wantUtilization: 10, wantRawAverage: 200,
	}, {
		name:    "no metrics returned from metrics API",
		cur:     4,
		pods:    cat(times(3, pod(2000, 0, noMetric)), []PodSample{pod(0, 0, noRequest, noMetric)}),
		target:  100,
		wantErr: "unable to get metrics for resource cpu: no metrics returned from resource metrics API",
	}, {
		name:    "missing CPU request on container",
		cur:     1,
		pods:    named(pod(0, 400, noRequest)),
		target:  100,
		wantErr: "missing request for",
	}})
}

// Port of TestReplicaCalcComputedToleranceAlgImplementation: back-calculate a target just past
// the tolerance (scales) and one just inside it (does not).
func TestReplicaCalcComputedToleranceAlgImplementation(t *testing.T) {
	const startPods = 10
	totalUsed := int64(startPods * 150) // per container, summed over pods
	totalRequested := 2 * totalUsed     // requests are twice the usage: 50 %
	requestedToUsed := float64(totalRequested / totalUsed)
	perPodRequested := totalRequested / startPods
	offsets := []int64{100, -100, 10, -10, 2, -2, 1, -1, 0, 0}
	var pods []PodSample
	for _, off := range offsets { // two containers a pod: double the per-container numbers
		pods = append(pods, pod(2*(perPodRequested+off), 2*(totalUsed/10)))
	}
	pods = named(pods...)

	target := math.Abs(1/(requestedToUsed*(1-0.1))) + .01
	usedRatio := float64(totalUsed) / (float64(totalRequested) * target)
	wantUtil := int32(totalUsed * 100 / totalRequested)
	runCalcCases(t, []calcCase{{
		name:   "just outside the tolerance scales",
		cur:    startPods,
		pods:   pods,
		target: int32(target * 100), wantReplicas: int32(math.Ceil(usedRatio * startPods)),
		wantUtilization: wantUtil, wantRawAverage: 2 * totalUsed / 10,
	}, {
		name:   "just inside the tolerance does not",
		cur:    startPods,
		pods:   pods,
		target: int32((math.Abs(1/(requestedToUsed*(1-0.1))) + .004) * 100), wantReplicas: startPods,
		wantUtilization: wantUtil, wantRawAverage: 2 * totalUsed / 10,
	}})
}

// Port of TestGroupPods. Times are relative to testNow; the upstream zero time is 0.
func TestGroupPods(t *testing.T) {
	opts := testOptions()
	now := testNow
	ready := func(start, changed time.Duration, ok bool, m *PodMetrics) PodSample {
		return PodSample{Phase: corev1.PodSucceeded, Started: true, StartTime: start, Ready: ok, ReadyChanged: changed, Metrics: m}
	}
	noCondition := func(start time.Duration, m *PodMetrics) PodSample {
		return PodSample{Phase: corev1.PodSucceeded, Started: true, StartTime: start, NoReadyCondition: true, Metrics: m}
	}
	sample := func(ts, window time.Duration) *PodMetrics { return cpuMetrics(1, ts, window) }
	value := sample(0, 0) // timestamp and window unset (zero)
	tests := []struct {
		name string
		pod  PodSample
		cpu  bool
		want podGroup
	}{
		{"count in a ready pod - memory", PodSample{Phase: corev1.PodSucceeded, NoReadyCondition: true,
			Metrics: sample(now, time.Minute)}, false, podReady},
		{"unready a pod without ready condition - CPU", noCondition(now, value), true, podUnready},
		{"count in a ready pod with fresh metrics during initialization period - CPU",
			ready(now-time.Minute, now-30*time.Second, true, sample(now, 30*time.Second)), true, podReady},
		{"unready a ready pod without fresh metrics during initialization period - CPU",
			ready(now-time.Minute, now-30*time.Second, true, sample(now, 60*time.Second)), true, podUnready},
		{"unready an unready pod during initialization period - CPU",
			ready(now-10*time.Minute, now-9*time.Minute-54*time.Second, false, value), true, podUnready},
		{"count in a ready pod without fresh metrics after initialization period - CPU",
			ready(now-3*time.Minute, now-3*time.Minute, true, sample(now-2*time.Minute, time.Minute)), true, podReady},
		{"count in an unready pod that was ready after initialization period - CPU",
			ready(now-10*time.Minute, now-9*time.Minute, false, value), true, podReady},
		{"unready pod that has never been ready after initialization period - CPU",
			ready(now-10*time.Minute, now-9*time.Minute-50*time.Second, false, value), true, podReady},
		{"a missing pod", noCondition(now-3*time.Minute, nil), true, podMissing},
		{"several pods: lucretius", noCondition(now, value), true, podUnready},
		{"several pods: niccolo", ready(now-3*time.Minute, now-3*time.Minute, true, value), true, podReady},
		{"several pods: epicurus", noCondition(now-3*time.Minute, nil), true, podMissing},
		{"pending pods are unreadied", PodSample{Phase: corev1.PodPending}, true, podUnready},
		{"ignore pods with deletion timestamps", PodSample{Phase: corev1.PodPending, Deleting: true, Metrics: value}, true, podIgnored},
		{"ignore pods in a failed state", PodSample{Phase: corev1.PodFailed, Metrics: value}, true, podIgnored},
		// ksim: a Ready condition with status Unknown is not "False" (hpa-spec.md §3.2).
		{"ksim: Ready Unknown during initialization counts as ready once a window is covered",
			PodSample{Phase: corev1.PodRunning, Started: true, StartTime: now - time.Minute, ReadyUnknown: true, ReadyChanged: now - 50*time.Second,
				Metrics: sample(now, 15*time.Second)}, true, podReady},
		{"ksim: not started", PodSample{Phase: corev1.PodRunning, Ready: true, Metrics: value}, true, podUnready},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := groupPod(now, &tc.pod, tc.pod.Metrics != nil, tc.cpu, &opts); got != tc.want {
				t.Errorf("groupPod = %v, want %v", got, tc.want)
			}
		})
	}
}

// AverageValue targets (GetRawResourceReplicas → calcPlainMetricReplicas): the plain-metric
// arithmetic of TestReplicaCalcPodMetric's cases, applied to cpu. ksim cases.
func TestResourceAverageValueReplicas(t *testing.T) {
	opts := testOptions()
	tol := tolerances{down: 0.1, up: 0.1}
	tests := []struct {
		name    string
		cur     int32
		pods    []PodSample
		target  int64
		want    int32
		wantAvg int64
		wantErr string
	}{
		{name: "scale up", cur: 3, pods: named(pod(0, 20000, noRequest), pod(0, 10000, noRequest), pod(0, 30000, noRequest)),
			target: 15000, want: 4, wantAvg: 20000},
		{name: "scale down", cur: 5, pods: named(pod(0, 12000), pod(0, 12000), pod(0, 12000), pod(0, 12000), pod(0, 2000)),
			target: 20000, want: 3, wantAvg: 10000},
		{name: "within tolerance", cur: 3, pods: named(pod(0, 20000), pod(0, 20001), pod(0, 21000)),
			target: 20000, want: 3, wantAvg: 20333},
		{name: "missing pod counts as the target on a scale down", cur: 3,
			pods: named(pod(0, 5000), pod(0, 5000), pod(0, 0, noMetric)), target: 10000,
			// 5000/10000 = 0.5; fill 10000 → 20000/3 = 6666 → 0.6666 → ceil(2.0) = 2
			want: 2, wantAvg: 5000},
		{name: "unready pod counts as 0 on a scale up", cur: 3,
			pods: named(pod(0, 30000), pod(0, 30000), pod(0, 0, notReady)), target: 10000,
			// 3.0; fill 0 → 60000/3 = 20000 → 2.0 → ceil(6.0) = 6
			want: 6, wantAvg: 30000},
		{name: "no metrics", cur: 2, pods: named(pod(0, 0, noMetric), pod(0, 0, noMetric)), target: 1000,
			wantErr: "no metrics returned from resource metrics API"},
		{name: "only unready metrics", cur: 2, pods: named(pod(0, 10, notReady), pod(0, 0, pending)), target: 1000,
			wantErr: "did not receive metrics for targeted pods"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metricSource{typ: autoscalingv2.ResourceMetricSourceType, resource: corev1.ResourceCPU, target: targetAverageValue, targetMilli: tc.target}
			got, avg, err := plainReplicas(testNow, tc.cur, &m, nil, tol, tc.pods, &opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || avg != tc.wantAvg {
				t.Errorf("got (%d, %d, %v), want (%d, %d, nil)", got, avg, err, tc.want, tc.wantAvg)
			}
		})
	}
}

// Edge cases of the same function that upstream's tables leave uncovered. ksim cases.
func TestReplicaCalcEdgeCases(t *testing.T) {
	runCalcCases(t, []calcCase{{
		// Filling a large unready pod in at 0 flips the ratio below 1: no scale up. (Without the
		// fill-in, 2 ready pods at 2x the target would ask for 4.)
		name:   "a large unready pod on a scale up flips the direction",
		cur:    3,
		pods:   named(pod(1000, 1000), pod(1000, 1000), pod(4000, 0, notReady)),
		target: 50, wantReplicas: 3, wantUtilization: 100, wantRawAverage: 1000,
	}, {
		// Requests are read for every listed pod: a failed pod without one fails the metric.
		name:    "an ignored pod without a request still fails the metric",
		cur:     1,
		pods:    named(pod(1000, 500), pod(0, 0, failed, noRequest, noMetric)),
		target:  50,
		wantErr: "missing request for cpu in container container1 of Pod test-pod-1",
	}, {
		// ... but only after the check that some ready pod has a metric.
		name:    "no ready metric is reported before a missing request",
		cur:     2,
		pods:    named(pod(1000, 500, notReady), pod(0, 0, noRequest, noMetric)),
		target:  50,
		wantErr: "did not receive metrics for targeted pods (pods might be unready)",
	}, {
		name:    "zero requests",
		cur:     1,
		pods:    named(pod(0, 500)),
		target:  50,
		wantErr: "no metrics returned matched known pods",
	}, {
		// Utilization is a ratio of sums, truncated: 1999/2000 = 99 %, not 99.95 %.
		name:   "utilization is truncated to a whole percent",
		tol:    &tolerances{},
		cur:    2,
		pods:   named(pod(1000, 1000), pod(1000, 999)),
		target: 100, wantReplicas: 2, wantUtilization: 99, wantRawAverage: 999,
	}})
}
