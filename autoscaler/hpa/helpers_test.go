package hpa

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	custommetrics "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetrics "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// testNow is "now" of the ported upstream tests: upstream uses time.Now() and the zero time for
// unset timestamps; here the run started an hour before the test's sync, so an unset time (0)
// is long past, as upstream's zero time is.
const testNow = time.Hour

// testOptions are the options of upstream's tests (replica_calculator.go:
// defaultTestingTolerance, defaultTestingCPUInitializationPeriod,
// defaultTestingDelayOfInitialReadinessStatus; horizontal_test.go: 5m downscale window).
func testOptions() Options {
	return Options{
		Tolerance:               0.1,
		DownscaleStabilization:  5 * time.Minute,
		CPUInitializationPeriod: 2 * time.Minute,
		InitialReadinessDelay:   10 * time.Second,
	}
}

// podOpt adjusts a pod built by pod.
type podOpt func(*PodSample)

// pod is a Running, Ready pod started long ago, as upstream's fixtures build them: two
// containers, container1 and container2, each requesting half of requestMilli cpu and using
// half of usageMilli (the odd milli on container2), with a metric taken at testNow over a
// 1-minute window. The tables give requests and usage per pod: upstream's per-container
// numbers doubled.
func pod(requestMilli, usageMilli int64, opts ...podOpt) PodSample {
	p := PodSample{
		Phase:   corev1.PodRunning,
		Ready:   true,
		Started: true,
		Spec:    twoContainers(corev1.ResourceCPU, requestMilli),
		Metrics: cpuMetrics(usageMilli, testNow, time.Minute),
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// twoContainers is a pod spec of containers container1 and container2 requesting half of
// milli each of res (the odd milli on container2); milli < 0 requests nothing.
func twoContainers(res corev1.ResourceName, milli int64) *corev1.PodSpec {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "container1"}, {Name: "container2"}}}
	if milli >= 0 {
		spec.Containers[0].Resources.Requests = corev1.ResourceList{res: *resource.NewMilliQuantity(milli/2, resource.DecimalSI)}
		spec.Containers[1].Resources.Requests = corev1.ResourceList{res: *resource.NewMilliQuantity(milli-milli/2, resource.DecimalSI)}
	}
	return spec
}

// cpuMetrics is a resource-metrics entry of two containers sharing usageMilli of cpu.
func cpuMetrics(usageMilli int64, ts, window time.Duration) *PodMetrics {
	return containerMetrics(ts, window, corev1.ResourceCPU, usageMilli/2, usageMilli-usageMilli/2)
}

// containerMetrics is a resource-metrics entry whose containers container1, container2, ...
// use the given milli-units of res.
func containerMetrics(ts, window time.Duration, res corev1.ResourceName, milli ...int64) *PodMetrics {
	m := &PodMetrics{Timestamp: ts, Window: window}
	for i, v := range milli {
		m.Containers = append(m.Containers, metricsv1beta1.ContainerMetrics{
			Name:  fmt.Sprintf("container%d", i+1),
			Usage: corev1.ResourceList{res: *resource.NewMilliQuantity(v, resource.DecimalSI)},
		})
	}
	return m
}

var (
	notReady  podOpt = func(p *PodSample) { p.Ready = false }
	noMetric  podOpt = func(p *PodSample) { p.Metrics = nil }
	noRequest podOpt = func(p *PodSample) { p.Spec = twoContainers(corev1.ResourceCPU, -1) }
	failed    podOpt = func(p *PodSample) { p.Phase = corev1.PodFailed }
	pending   podOpt = func(p *PodSample) { p.Phase = corev1.PodPending }
	deleting  podOpt = func(p *PodSample) { p.Deleting = true }
	// hot: started (and Ready-changed) just now: within the CPU initialization period, its
	// metric does not yet cover a window after readiness (upstream's hotCPUCreationTime).
	hot podOpt = func(p *PodSample) { p.StartTime, p.ReadyChanged = testNow, testNow }
	// cool: started 3 minutes ago, past the 2-minute test initialization period
	// (upstream's coolCPUCreationTime).
	cool podOpt = func(p *PodSample) { p.StartTime, p.ReadyChanged = testNow-3*time.Minute, testNow-3*time.Minute }
)

// input is the Input of a sync at cur replicas (status replicas too) with these pods.
func input(cur int32, pods []PodSample, values ...MetricValues) *Input {
	return &Input{Replicas: cur, StatusReplicas: cur, Pods: pods, Metrics: values}
}

// named gives pods the names upstream's fixtures use.
func named(pods ...PodSample) []PodSample {
	for i := range pods {
		if pods[i].Name == "" {
			pods[i].Name = fmt.Sprintf("test-pod-%d", i)
		}
	}
	return pods
}

// times repeats a pod n times.
func times(n int, p PodSample) []PodSample {
	out := make([]PodSample, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func cat(groups ...[]PodSample) []PodSample {
	var out []PodSample
	for _, g := range groups {
		out = append(out, g...)
	}
	return named(out...)
}

// cpuHPA is an HPA on a Deployment with one cpu Utilization metric (target > 0), or none.
func cpuHPA(minR, maxR, target int32) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: "test-namespace", Name: "test-hpa"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minR,
			MaxReplicas:    maxR,
		},
	}
	if target > 0 {
		h.Spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
			},
		}}
	}
	return h
}

func withBehavior(h *autoscalingv2.HorizontalPodAutoscaler, up, down *autoscalingv2.HPAScalingRules) *autoscalingv2.HorizontalPodAutoscaler {
	h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: up, ScaleDown: down}
	return h
}

func mustNew(t *testing.T, h *autoscalingv2.HorizontalPodAutoscaler, created time.Duration, opts Options) *Autoscaler {
	t.Helper()
	a, err := New(h, created, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// newControllerUnderTest is an Autoscaler as upstream's horizontal_test.go sets the controller
// up: test options, and the legacy scale-up factor raised to 8 (its init function) so that the
// cap does not get in the way.
func newControllerUnderTest(t *testing.T, h *autoscalingv2.HorizontalPodAutoscaler) *Autoscaler {
	t.Helper()
	a := mustNew(t, h, testNow, testOptions())
	a.upLimitFactor = 8
	return a
}

// generateScalingRules builds rules as upstream's helper of the same name does: a Pods and/or a
// Percent policy (a zero value leaves it out), selectPolicy Max, and a window.
func generateScalingRules(pods, podsPeriod, percent, percentPeriod, window int32) *autoscalingv2.HPAScalingRules {
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	r := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &window, SelectPolicy: &maxPolicy}
	if pods != 0 {
		r.Policies = append(r.Policies, autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PodsScalingPolicy, Value: pods, PeriodSeconds: podsPeriod})
	}
	if percent != 0 {
		r.Policies = append(r.Policies, autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: percent, PeriodSeconds: percentPeriod})
	}
	return r
}

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }

// conds is a compact notation for conditions: "Type=Status/Reason", in order.
func conds(specs ...string) []string { return specs }

func condStrings(cs []Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason)
	}
	return out
}

func diffStrings(want, got []string) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("\n-want %s\n+got  %s", strings.Join(want, " "), strings.Join(got, " "))
}

var statusOK = conds(
	"AbleToScale=True/SucceededRescale",
	"ScalingActive=True/ValidMetricFound",
	"ScalingLimited=False/DesiredWithinRange",
	"ScaledToZero=False/NotScaledToZero",
)

// statusOKWith is upstream's statusOkWithOverrides: statusOK (of a sync that rescaled) with the
// given conditions replaced.
func statusOKWith(overrides ...string) []string {
	out := append([]string(nil), statusOK...)
	for _, o := range overrides {
		typ := o[:strings.IndexByte(o, '=')]
		for i := range out {
			if strings.HasPrefix(out[i], typ+"=") {
				out[i] = o
			}
		}
	}
	return out
}

// statusNoRescale is the conditions of a first sync that did not rescale: ScaledToZero is set
// only on a rescale.
func statusNoRescale(overrides ...string) []string {
	return statusOKWith(overrides...)[:3]
}

// Metric specs, as upstream's tests write them.

// resourceMetric is a Resource metric with a Utilization target.
func resourceMetric(res corev1.ResourceName, util int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: res, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}
}

// resourceAverageMetric is a Resource metric with an AverageValue target.
func resourceAverageMetric(res corev1.ResourceName, avg string) autoscalingv2.MetricSpec {
	q := resource.MustParse(avg)
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: res, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q}}}
}

// containerResourceMetric is a ContainerResource metric with a Utilization target.
func containerResourceMetric(container string, res corev1.ResourceName, util int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
		Name: res, Container: container, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}
}

// podsMetric is a Pods metric with an AverageValue target.
func podsMetric(name, avg string) autoscalingv2.MetricSpec {
	q := resource.MustParse(avg)
	return autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q}}}
}

// objectMetric is an Object metric on Deployment/some-deployment with a Value or AverageValue
// target.
func objectMetric(name string, typ autoscalingv2.MetricTargetType, target string) autoscalingv2.MetricSpec {
	q := resource.MustParse(target)
	t := autoscalingv2.MetricTarget{Type: typ}
	if typ == autoscalingv2.ValueMetricType {
		t.Value = &q
	} else {
		t.AverageValue = &q
	}
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "some-deployment"},
		Metric:          autoscalingv2.MetricIdentifier{Name: name},
		Target:          t}}
}

// externalMetric is an External metric (selector label=value) with a Value or AverageValue
// target.
func externalMetric(name string, typ autoscalingv2.MetricTargetType, target string) autoscalingv2.MetricSpec {
	q := resource.MustParse(target)
	t := autoscalingv2.MetricTarget{Type: typ}
	if typ == autoscalingv2.ValueMetricType {
		t.Value = &q
	} else {
		t.AverageValue = &q
	}
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"label": "value"}}},
		Target: t}}
}

// Metric values, as the custom and external metrics APIs serve them (milli-units).

// podsValuesOf is a Pods metric's list: one value per pod, named test-pod-0, test-pod-1, ...
func podsValuesOf(milli ...int64) MetricValues {
	var v MetricValues
	for i, m := range milli {
		v.Pods = append(v.Pods, custommetrics.MetricValue{
			DescribedObject: corev1.ObjectReference{Kind: "Pod", Name: fmt.Sprintf("test-pod-%d", i)},
			Value:           *resource.NewMilliQuantity(m, resource.DecimalSI)})
	}
	return v
}

// objectValue is an Object metric's value.
func objectValue(milli int64) MetricValues {
	return MetricValues{Object: &custommetrics.MetricValue{Value: *resource.NewMilliQuantity(milli, resource.DecimalSI)}}
}

// externalValues is an External metric's series.
func externalValues(milli ...int64) MetricValues {
	var v MetricValues
	for _, m := range milli {
		v.External = append(v.External, externalmetrics.ExternalMetricValue{MetricName: "qps",
			Value: *resource.NewMilliQuantity(m, resource.DecimalSI)})
	}
	return v
}
