package hpa

import (
	"math"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Ports of replica_calculator_test.go's metric cases other than the Resource ones, and of
// metrics/utilization_test.go, at the level of one metric's proposal
// (horizontal.go: computeReplicasForMetric). Upstream's fixtures give the tests a timestamp of
// "now" and a one-minute window; pods are running and Ready unless said otherwise.

// containerPod is a pod of upstream's replica calculator fixtures: containers container1 and
// container2 each requesting requestMilli cpu, and a metric per container for each usage
// given (fewer usages: the later containers have no metric).
func containerPod(requestMilli int64, usage ...int64) PodSample {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "container1"}, {Name: "container2"}}}
	for i := range spec.Containers {
		spec.Containers[i].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(requestMilli, resource.DecimalSI)}
	}
	return PodSample{Phase: corev1.PodRunning, Ready: true, Started: true, Spec: spec,
		Metrics: containerMetrics(testNow, time.Minute, corev1.ResourceCPU, usage...)}
}

// propose computes the proposal of an HPA's only metric at cur (status replicas the same
// unless status > 0), with the test tolerances (10 %, or tol).
func propose(t *testing.T, spec autoscalingv2.MetricSpec, cur, status int32, pods []PodSample, values MetricValues, tol *tolerances) metricProposal {
	t.Helper()
	h := cpuHPA(1, math.MaxInt32, 0)
	h.Spec.Metrics = []autoscalingv2.MetricSpec{spec}
	a := mustNew(t, h, testNow, testOptions())
	if tol != nil {
		a.spec.tolerances = *tol
	}
	if status == 0 {
		status = cur
	}
	return a.proposeForMetric(testNow, &Input{Replicas: cur, StatusReplicas: status, Pods: pods, Metrics: []MetricValues{values}}, 0)
}

// currentMilli is the status value a proposal reports: the Value, else the AverageValue.
func currentMilli(p metricProposal) int64 {
	var cur *autoscalingv2.MetricValueStatus
	switch {
	case p.status.Resource != nil:
		cur = &p.status.Resource.Current
	case p.status.ContainerResource != nil:
		cur = &p.status.ContainerResource.Current
	case p.status.Pods != nil:
		cur = &p.status.Pods.Current
	case p.status.Object != nil:
		cur = &p.status.Object.Current
	case p.status.External != nil:
		cur = &p.status.External.Current
	default:
		return -1
	}
	if cur.Value != nil {
		return cur.Value.MilliValue()
	}
	return cur.AverageValue.MilliValue()
}

// metricCase is one case of the custom, object and external metric tables.
type metricCase struct {
	name      string
	spec      autoscalingv2.MetricSpec
	cur       int32
	status    int32 // status.replicas when it differs from cur
	pods      []PodSample
	values    MetricValues
	tol       *tolerances
	want      int32
	wantUsage int64
	wantErr   string
}

func runMetricCases(t *testing.T, cases []metricCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := propose(t, tc.spec, tc.cur, tc.status, tc.pods, tc.values, tc.tol)
			if tc.wantErr != "" {
				if p.err == nil || !strings.Contains(p.err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", p.err, tc.wantErr)
				}
				return
			}
			if p.err != nil {
				t.Fatalf("unexpected error: %v", p.err)
			}
			if p.replicas != tc.want || currentMilli(p) != tc.wantUsage {
				t.Errorf("got %d replicas, usage %d; want %d, %d", p.replicas, currentMilli(p), tc.want, tc.wantUsage)
			}
		})
	}
}

// readyPods is n running, ready, long-started pods test-pod-0..n-1 without metrics.
func readyPods(n int) []PodSample {
	return named(times(n, pod(1000, 0, noMetric, cool))...)
}

// Port of TestReplicaCalcResourceScale's ContainerResource cases (per-container levels; the
// raw value is the named container's).
func TestReplicaCalcContainerResource(t *testing.T) {
	cont := func(name string, util int32) autoscalingv2.MetricSpec {
		return containerResourceMetric(name, corev1.ResourceCPU, util)
	}
	util := func(p metricProposal) int32 { return *p.status.ContainerResource.Current.AverageUtilization }
	tests := []struct {
		name      string
		spec      autoscalingv2.MetricSpec
		cur       int32
		pods      []PodSample
		want      int32
		wantUtil  int32
		wantUsage int64
	}{
		{"scale up: container metric", cont("container2", 30), 3,
			named(containerPod(1000, 1000, 300), containerPod(1000, 1000, 500), containerPod(1000, 1000, 700)), 5, 50, 500},
		{"scale up: hot-CPU container scales less", cont("container2", 30), 3,
			named(withOpts(containerPod(1000, 0, 300), hot), withOpts(containerPod(1000, 0, 500), cool), withOpts(containerPod(1000, 0, 700), cool)), 4, 60, 600},
		{"scale up: failed pods ignored with missing container metric", cont("container2", 30), 2,
			named(containerPod(1000, 1000, 500), containerPod(1000, 9000, 700), failedNotReady(containerPod(1000, 1000)), failedNotReady(containerPod(1000, 9000))), 4, 60, 600},
		{"scale up: container metrics with failed pods ignored", cont("container2", 30), 2,
			named(containerPod(1000, 1000, 500), containerPod(1000, 9000, 700), failedNotReady(noMetrics(containerPod(1000))), failedNotReady(noMetrics(containerPod(1000)))), 4, 60, 600},
		{"scale up: container metrics with pods being deleted ignored", cont("container1", 30), 2,
			named(containerPod(1000, 500, 500), containerPod(1000, 700, 700),
				deletingNotReady(noMetrics(containerPod(1000))), deletingNotReady(noMetrics(containerPod(1000)))), 4, 60, 600},
		{"scale down: container metric", cont("container2", 50), 5,
			named(containerPod(1000, 1000, 100), containerPod(1000, 1000, 300), containerPod(1000, 1000, 500), containerPod(1000, 1000, 250), containerPod(1000, 1000, 250)), 3, 28, 280},
		{"scale down: container metric excludes unready pods", cont("container2", 50), 5,
			named(containerPod(1000, 1000, 100), containerPod(1000, 1000, 300), containerPod(1000, 1000, 500),
				withOpts(containerPod(1000, 1000, 250), notReady), withOpts(containerPod(1000, 1000, 250), notReady)), 2, 30, 300},
		{"scale down: container metric excludes unscheduled pods", cont("container2", 50), 5,
			named(containerPod(1000, 1000, 100), withOpts(noMetrics(containerPod(1000)), pending, notReady), withOpts(noMetrics(containerPod(1000)), pending, notReady),
				withOpts(noMetrics(containerPod(1000)), pending, notReady), withOpts(noMetrics(containerPod(1000)), pending, notReady)), 1, 10, 100},
		{"scale down: container metric ignores hot-CPU pods", cont("container2", 50), 5,
			named(withOpts(containerPod(1000, 1000, 100), cool), withOpts(containerPod(1000, 1000, 300), cool), withOpts(containerPod(1000, 1000, 500), cool),
				withOpts(containerPod(1000, 1000, 1000), hot), withOpts(containerPod(1000, 1000, 1000), hot)), 2, 30, 300},
		{"scale down: container metric with failed pods ignored", cont("container2", 50), 5,
			named(containerPod(1000, 1000, 100), containerPod(1000, 1000, 300), containerPod(1000, 1000, 500), containerPod(1000, 1000, 250), containerPod(1000, 1000, 250),
				failedNotReady(noMetrics(containerPod(1000))), failedNotReady(noMetrics(containerPod(1000)))), 3, 28, 280},
		{"scale down: still-running pods being deleted are ignored", cont("container2", 50), 5,
			named(containerPod(1000, 1000, 100), containerPod(1000, 1000, 300), containerPod(1000, 1000, 500), containerPod(1000, 1000, 250), containerPod(1000, 1000, 250),
				deletingNotReady(noMetrics(containerPod(1000))), deletingNotReady(noMetrics(containerPod(1000)))), 3, 28, 280},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := propose(t, tc.spec, tc.cur, 0, tc.pods, MetricValues{}, nil)
			if p.err != nil {
				t.Fatal(p.err)
			}
			if p.replicas != tc.want || util(p) != tc.wantUtil || currentMilli(p) != tc.wantUsage {
				t.Errorf("got (%d, %d%%, %d), want (%d, %d%%, %d)", p.replicas, util(p), currentMilli(p), tc.want, tc.wantUtil, tc.wantUsage)
			}
		})
	}
}

func withOpts(p PodSample, opts ...podOpt) PodSample {
	for _, o := range opts {
		o(&p)
	}
	return p
}

func noMetrics(p PodSample) PodSample        { p.Metrics = nil; return p }
func failedNotReady(p PodSample) PodSample   { return withOpts(p, failed, notReady) }
func deletingNotReady(p PodSample) PodSample { return withOpts(p, deleting, notReady) }

// Port of TestReplicaCalcPodMetric.
func TestReplicaCalcPodMetric(t *testing.T) {
	spec := func(target int64) autoscalingv2.MetricSpec {
		m := podsMetric("qps", "1")
		m.Pods.Target.AverageValue = resource.NewMilliQuantity(target, resource.DecimalSI)
		return m
	}
	hotUnready := withOpts(pod(1000, 0, noMetric), hot, notReady)
	runMetricCases(t, []metricCase{
		{name: "scale up", spec: spec(15000), cur: 3, pods: readyPods(3), values: podsValuesOf(20000, 10000, 30000), want: 4, wantUsage: 20000},
		{name: "scale up: unready hot-CPU pod scales less", spec: spec(15000), cur: 3,
			pods:   named(pod(1000, 0, noMetric, cool), pod(1000, 0, noMetric, cool), hotUnready),
			values: podsValuesOf(50000, 10000, 30000), want: 6, wantUsage: 30000},
		{name: "scale up: unready hot-CPU pods avoid scale-down", spec: spec(15000), cur: 3,
			pods:   named(hotUnready, pod(1000, 0, noMetric, cool), hotUnready),
			values: podsValuesOf(50000, 15000, 30000), want: 7, wantUsage: 31666},
		{name: "scale down", spec: spec(20000), cur: 5, pods: readyPods(5), values: podsValuesOf(12000, 12000, 12000, 12000, 12000), want: 3, wantUsage: 12000},
		{name: "within default tolerance", spec: spec(20000), cur: 3, pods: readyPods(3), values: podsValuesOf(20000, 21000, 21000), want: 3, wantUsage: 20666},
		{name: "outside configurable 1% tolerance", spec: spec(20000), cur: 3, tol: &tolerances{down: 0.1, up: 0.01},
			pods: readyPods(3), values: podsValuesOf(20000, 21000, 21000), want: 4, wantUsage: 20666},
		{name: "no change: missing metrics", spec: spec(20000), cur: 5, pods: readyPods(5), values: podsValuesOf(20000, 19000, 21000), want: 5, wantUsage: 20000},
		{name: "rolling update with maxSurge: extra pod missing metric", spec: spec(17000), cur: 2, pods: readyPods(3),
			values: podsValuesOf(10000, 10000), want: 2, wantUsage: 10000},
		// ksim cases: what upstream's map does with names.
		{name: "ksim: values out of the pods' order", spec: spec(15000), cur: 3, pods: readyPods(3),
			values: reversed(podsValuesOf(20000, 10000, 30000)), want: 4, wantUsage: 20000},
		{name: "ksim: a value for a pod not listed counts in the average and the count", spec: spec(10000), cur: 2, pods: readyPods(2),
			values: podsValuesOf(20000, 20000, 50000), want: 6, wantUsage: 30000},
		{name: "ksim: no values", spec: spec(10000), cur: 2, pods: readyPods(2), values: MetricValues{},
			wantErr: "unable to get metric qps: no metrics returned from custom metrics API"},
		{name: "ksim: no pods", spec: spec(10000), cur: 2, values: podsValuesOf(1, 2), wantErr: "no pods returned by selector"},
	})
}

func reversed(v MetricValues) MetricValues {
	out := MetricValues{}
	for i := len(v.Pods) - 1; i >= 0; i-- {
		out.Pods = append(out.Pods, v.Pods[i])
	}
	return out
}

// Port of TestReplicaCalcObjectMetric (Value target: ready pods times the ratio).
func TestReplicaCalcObjectMetric(t *testing.T) {
	spec := func(target int64) autoscalingv2.MetricSpec {
		m := objectMetric("qps", autoscalingv2.ValueMetricType, "1")
		m.Object.Target.Value = resource.NewMilliQuantity(target, resource.DecimalSI)
		return m
	}
	unready := pod(1000, 0, noMetric, notReady)
	runMetricCases(t, []metricCase{
		{name: "scale up", spec: spec(15000), cur: 3, pods: readyPods(3), values: objectValue(20000), want: 4, wantUsage: 20000},
		{name: "scale up: very large metric saturates replicas to MaxInt32", spec: spec(1), cur: 3, pods: readyPods(3),
			values: objectValue(math.MaxInt64), want: math.MaxInt32, wantUsage: math.MaxInt64},
		{name: "scale up: ignores unready pods", spec: spec(10000), cur: 3, pods: named(unready, pod(1000, 0, noMetric), unready),
			values: objectValue(50000), want: 5, wantUsage: 50000},
		{name: "scale down", spec: spec(20000), cur: 5, pods: readyPods(5), values: objectValue(12000), want: 3, wantUsage: 12000},
		{name: "within default tolerance", spec: spec(20000), cur: 3, pods: readyPods(3), values: objectValue(20666), want: 3, wantUsage: 20666},
		{name: "outside configurable 1% tolerance", spec: spec(20000), cur: 3, tol: &tolerances{down: 0.1, up: 0.01},
			pods: readyPods(3), values: objectValue(20666), want: 4, wantUsage: 20666},
		// ksim cases.
		{name: "ksim: no ready pod proposes 0", spec: spec(10000), cur: 2, pods: named(unready, unready), values: objectValue(50000), want: 0, wantUsage: 50000},
		{name: "ksim: no pods at all fails", spec: spec(10000), cur: 2, values: objectValue(50000), wantErr: "unable to calculate ready pods: no pods returned by selector"},
		{name: "ksim: from zero, ceil(ratio) without tolerance", spec: spec(10000), cur: 0, values: objectValue(10500), want: 2, wantUsage: 10500},
		{name: "ksim: no value", spec: spec(10000), cur: 2, pods: readyPods(2), values: MetricValues{},
			wantErr: "failed to get object metric value: unable to get metric qps on Deployment test-namespace/some-deployment"},
	})
}

// Port of TestReplicaCalcObjectPerPodMetric (AverageValue target: status replicas).
func TestReplicaCalcObjectPerPodMetric(t *testing.T) {
	spec := func(target int64) autoscalingv2.MetricSpec {
		m := objectMetric("qps", autoscalingv2.AverageValueMetricType, "1")
		m.Object.Target.AverageValue = resource.NewMilliQuantity(target, resource.DecimalSI)
		return m
	}
	runMetricCases(t, []metricCase{
		{name: "scale up", spec: spec(5000), cur: 3, values: objectValue(20000), want: 4, wantUsage: 6667},
		{name: "scale down", spec: spec(2000), cur: 5, values: objectValue(6000), want: 3, wantUsage: 1200},
		{name: "within default tolerance", spec: spec(5000), cur: 4, values: objectValue(20166), want: 4, wantUsage: 5042},
		{name: "outside configurable 1% tolerance", spec: spec(5000), cur: 4, tol: &tolerances{down: 0.1, up: 0.01},
			values: objectValue(20208), want: 5, wantUsage: 5052},
		// ksim: status.replicas, not spec.replicas, divides the value.
		{name: "ksim: status replicas", spec: spec(5000), cur: 2, status: 4, values: objectValue(20000), want: 4, wantUsage: 5000},
	})
}

// Port of TestReplicaCalcExternalMetric (Value target).
func TestReplicaCalcExternalMetric(t *testing.T) {
	spec := func(target int64) autoscalingv2.MetricSpec {
		m := externalMetric("qps", autoscalingv2.ValueMetricType, "1")
		m.External.Target.Value = resource.NewMilliQuantity(target, resource.DecimalSI)
		return m
	}
	unready := pod(1000, 0, noMetric, notReady)
	runMetricCases(t, []metricCase{
		{name: "scale down: ignores unready pods (would otherwise scale up)", spec: spec(4400), cur: 3,
			pods: named(unready, pod(1000, 0, noMetric), unready), values: externalValues(8600), want: 2, wantUsage: 8600},
		{name: "scale down", spec: spec(14334), cur: 5, pods: readyPods(5), values: externalValues(8600), want: 3, wantUsage: 8600},
		{name: "within default tolerance", spec: spec(8888), cur: 3, pods: readyPods(3), values: externalValues(8600), want: 3, wantUsage: 8600},
		{name: "outside configurable 1% tolerance", spec: spec(8800), cur: 3, tol: &tolerances{down: 0.1, up: 0.01},
			pods: readyPods(3), values: externalValues(8900), want: 4, wantUsage: 8900},
		{name: "usage overflow caps at MaxInt64", spec: spec(math.MaxInt64), cur: 3, pods: readyPods(3),
			values: externalValues(math.MaxInt64/2+1, math.MaxInt64/2+1), want: 3, wantUsage: math.MaxInt64},
		// ksim cases.
		{name: "ksim: the series are summed", spec: spec(1000), cur: 2, pods: readyPods(2), values: externalValues(1000, 1000, 1000), want: 6, wantUsage: 3000},
		{name: "ksim: no series", spec: spec(1000), cur: 2, pods: readyPods(2), values: MetricValues{},
			wantErr: "no metrics returned from external metrics API"},
	})
}

// Port of TestReplicaCalcExternalPerPodMetric (AverageValue target).
func TestReplicaCalcExternalPerPodMetric(t *testing.T) {
	spec := func(target int64) autoscalingv2.MetricSpec {
		m := externalMetric("qps", autoscalingv2.AverageValueMetricType, "1")
		m.External.Target.AverageValue = resource.NewMilliQuantity(target, resource.DecimalSI)
		return m
	}
	runMetricCases(t, []metricCase{
		{name: "replica count overflow saturates to MaxInt32", spec: spec(1), cur: 1, values: externalValues(math.MaxInt64),
			want: math.MaxInt32, wantUsage: math.MaxInt64},
		{name: "usage overflow with huge target leaves replicas unchanged", spec: spec(math.MaxInt64), cur: 1, values: externalValues(math.MaxInt64),
			want: 1, wantUsage: math.MaxInt64},
		{name: "scale up", spec: spec(2150), cur: 3, values: externalValues(8600), want: 4, wantUsage: 2867},
		{name: "scale down", spec: spec(2867), cur: 5, values: externalValues(8600), want: 3, wantUsage: 1720},
		{name: "within default tolerance", spec: spec(2900), cur: 3, values: externalValues(8600), want: 3, wantUsage: 2867},
		{name: "outside configurable 1% tolerance", spec: spec(2800), cur: 3, tol: &tolerances{down: 0.1, up: 0.01},
			values: externalValues(8600), want: 4, wantUsage: 2867},
	})
}

// Ports of TestReplicaCalcResourceMissingMetrics' "superfluous metrics counted" and "disjoint
// pod and metric names": metrics of pods the lister does not list (Unlisted samples).
func TestReplicaCalcSuperfluousMetrics(t *testing.T) {
	extra := func(name string, usage int64) PodSample {
		return PodSample{Name: name, Unlisted: true, Metrics: cpuMetrics(usage, testNow, time.Minute)}
	}
	runCalcCases(t, []calcCase{{
		name: "superfluous metrics counted",
		cur:  4,
		pods: append(named(pod(2000, 8000), pod(2000, 19000), pod(2000, 6000), pod(2000, 14000)),
			extra("test-pod-4", 6400), extra("test-pod-5", 4000)),
		target: 100, wantReplicas: 24, wantUtilization: 587, wantRawAverage: 11750,
	}, {
		name:    "disjoint pod and metric names",
		cur:     1,
		pods:    append(named(pod(2000, 0, noMetric)), extra("an-older-pod-name", 200)),
		target:  100,
		wantErr: "no metrics returned matched known pods",
	}})
}

// Port of TestCalculateRequests and TestCalculatePodRequestsFromContainers_NonExistentContainer.
// The PodLevelResources gate is on in v1.37, so the cases that turn it off are the ones where
// it makes no difference.
func TestCalculateRequests(t *testing.T) {
	req := func(milli int64) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(milli, resource.DecimalSI)}}
	}
	always := corev1.ContainerRestartPolicyAlways
	two := []corev1.Container{{Name: "container1", Resources: req(100)}, {Name: "container2", Resources: req(50)}}
	podLevel := &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(800, resource.DecimalSI)}}
	tests := []struct {
		name      string
		spec      corev1.PodSpec
		container string
		want      int64
		wantErr   string
	}{
		{name: "sum container requests", spec: corev1.PodSpec{Containers: two}, want: 150},
		{name: "pod-level resources override container requests", spec: corev1.PodSpec{Resources: podLevel, Containers: two}, want: 800},
		{name: "fail if a container is missing requests",
			spec:    corev1.PodSpec{Containers: []corev1.Container{{Name: "container1"}, {Name: "container2", Resources: req(50)}}},
			wantErr: "missing request for cpu in container container1 of Pod test-pod"},
		{name: "pod-level resources override missing container requests",
			spec: corev1.PodSpec{Resources: podLevel, Containers: []corev1.Container{{Name: "container1"}, {Name: "container2", Resources: req(50)}}}, want: 800},
		{name: "a named container: only its request", spec: corev1.PodSpec{Containers: two}, container: "container1", want: 100},
		{name: "a named container ignores pod-level requests", spec: corev1.PodSpec{Resources: podLevel, Containers: two}, container: "container1", want: 100},
		{name: "restartable init containers count", spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "container1", Resources: req(100)}},
			InitContainers: []corev1.Container{{Name: "init-container1", Resources: req(20)},
				{Name: "restartable-container1", RestartPolicy: &always, Resources: req(50)}}}, want: 150},
		{name: "non-existent container", spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "container1", Resources: req(100)}}},
			container: "non-existent-container", wantErr: "container non-existent-container not found in Pod test-pod"},
		// ksim cases.
		{name: "ksim: a named restartable init container", spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "container1", Resources: req(100)}},
			InitContainers: []corev1.Container{{Name: "sidecar", RestartPolicy: &always, Resources: req(50)}}}, container: "sidecar", want: 50},
		{name: "ksim: no containers", spec: corev1.PodSpec{}, want: 0},
		{name: "ksim: pod-level memory only: cpu from the containers", spec: corev1.PodSpec{Containers: two,
			Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}}, want: 150},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := podRequest(&PodSample{Name: "test-pod", Spec: &tc.spec}, corev1.ResourceCPU, tc.container)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got (%d, %v), want %d", got, err, tc.want)
			}
		})
	}
}

// Ports of metrics/utilization_test.go: the ratios over the entries that count. A metric
// without a request (an unlisted pod) is skipped; a request without a metric (a missing pod)
// does not enter the ratio.
func TestResourceUtilizationRatio(t *testing.T) {
	opts := testOptions()
	extra := PodSample{Name: "test-pod-no-request", Unlisted: true, Metrics: cpuMetrics(100, testNow, time.Minute)}
	m := cpuUtilization(50)
	tests := []struct {
		name     string
		pods     []PodSample
		wantUtil int32
		wantRaw  int64
		wantErr  string
	}{
		{"base case", named(pod(100, 50), pod(100, 76)), 63, 63, ""},
		{"ignore pods with no request", append(named(pod(100, 50), pod(100, 76)), extra), 63, 63, ""},
		{"extra request", named(pod(100, 50), pod(100, 76), pod(500, 0, noMetric)), 63, 63, ""},
		{"no request", append(named(pod(0, 0, noMetric)), extra), 0, 0, "no metrics returned matched known pods"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := tally(testNow, tc.pods, &m, nil, true, 100, &opts)
			if tc.wantErr != "" {
				if tl.readyReq != 0 {
					t.Fatalf("requests %d, want none matching a metric", tl.readyReq)
				}
				return
			}
			util := utilizationPercent(tl.readyUsage, tl.readyReq)
			if ratio := float64(util) / 50; util != tc.wantUtil || tl.readyUsage/tl.readyCount != tc.wantRaw || math.Abs(ratio-1.26) > 0.0126 {
				t.Errorf("utilization %d%%, raw %d, ratio %v; want %d%%, %d, 1.26", util, tl.readyUsage/tl.readyCount, ratio, tc.wantUtil, tc.wantRaw)
			}
		})
	}
	// The same through the calculation: the error surfaces.
	if _, err := utilizationReplicas(testNow, 1, &m, tolerances{0.1, 0.1}, tests[3].pods, &opts); err == nil || !strings.Contains(err.Error(), tests[3].wantErr) {
		t.Errorf("no request: error %v", err)
	}
}

func TestMetricUsageRatio(t *testing.T) {
	p := propose(t, podsMetric("qps", "10"), 2, 0, readyPods(2), podsValuesOf(5000, 10000), nil)
	if p.err != nil || currentMilli(p) != 7500 {
		t.Fatalf("usage %d (err %v), want 7500 (ratio .75)", currentMilli(p), p.err)
	}
}

// Port of TestBuildQuantity: memory in binary units, cpu in milli-units.
func TestBuildQuantity(t *testing.T) {
	tests := []struct {
		res   corev1.ResourceName
		milli int64
		want  string
	}{
		{corev1.ResourceMemory, 1000 * 1024, "1Ki"},
		{corev1.ResourceMemory, 1000 * 1024 * 1000, "1000Ki"},
		{corev1.ResourceMemory, 188743680000, "180Mi"},
		{corev1.ResourceCPU, 100, "100m"},
		{corev1.ResourceCPU, 500, "500m"},
		{corev1.ResourceCPU, 1, "1m"},
		{corev1.ResourceCPU, 1500, "1500m"},
		{corev1.ResourceCPU, 2000, "2"},
	}
	for _, tc := range tests {
		if got := buildQuantity(tc.res, tc.milli).String(); got != tc.want {
			t.Errorf("buildQuantity(%s, %d) = %s, want %s", tc.res, tc.milli, got, tc.want)
		}
	}
}
