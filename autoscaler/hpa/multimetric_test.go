package hpa

import (
	"errors"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// Ports of horizontal_test.go's cases for metrics other than Resource cpu, several metrics
// per HPA, and scaling to and from zero: one reconcile of a fresh HPA, as upstream's tests run
// it. The HPAScaleToZero gate is on in v1.37 and ksim does not model feature gates, so the
// "gate disabled" variants are not ported. Upstream's invalid metric type ("CheddarCheese")
// cannot pass ksim's API validation; the cases that use it are ported with a metric the API
// accepts and the controller cannot compute (an Object metric whose target type is
// Utilization).

// hpaWith is an HPA on a Deployment with min/max replicas and the given metrics.
func hpaWith(minR, maxR int32, metrics ...autoscalingv2.MetricSpec) *autoscalingv2.HorizontalPodAutoscaler {
	h := cpuHPA(minR, maxR, 0)
	h.Spec.Metrics = metrics
	return h
}

// levelPods are upstream's fixture pods: n pods requesting 1 cpu (two containers of 500m),
// the i-th using levels[i] millicores (no metric past the end of levels).
func levelPods(n int, levels ...int64) []PodSample {
	pods := make([]PodSample, n)
	for i := range pods {
		if i < len(levels) {
			pods[i] = pod(1000, levels[i])
		} else {
			pods[i] = pod(1000, 0, noMetric)
		}
	}
	return named(pods...)
}

// milliTarget is a quantity of milli-units.
func milliTarget(m int64) *resource.Quantity { return resource.NewMilliQuantity(m, resource.DecimalSI) }

func podsTarget(milli int64) autoscalingv2.MetricSpec {
	m := podsMetric("qps", "1")
	m.Pods.Target.AverageValue = milliTarget(milli)
	return m
}

func objectTarget(typ autoscalingv2.MetricTargetType, milli int64) autoscalingv2.MetricSpec {
	m := objectMetric("qps", typ, "1")
	if typ == autoscalingv2.ValueMetricType {
		m.Object.Target.Value = milliTarget(milli)
	} else {
		m.Object.Target.AverageValue = milliTarget(milli)
	}
	return m
}

func externalTarget(typ autoscalingv2.MetricTargetType, milli int64) autoscalingv2.MetricSpec {
	m := externalMetric("qps", typ, "1")
	if typ == autoscalingv2.ValueMetricType {
		m.External.Target.Value = milliTarget(milli)
	} else {
		m.External.Target.AverageValue = milliTarget(milli)
	}
	return m
}

// invalidObject is an Object metric the API server accepts (validation does not look at
// target.type beyond its enum) and the controller cannot compute.
func invalidObject() autoscalingv2.MetricSpec {
	m := objectTarget(autoscalingv2.ValueMetricType, 1000)
	m.Object.Target.Type = autoscalingv2.UtilizationMetricType
	return m
}

var (
	scaledToZero = Condition{Type: autoscalingv2.ScaledToZero, Status: corev1.ConditionTrue, Reason: ReasonScaledToZero}
	apiFailure   = errors.New("something went wrong")
	disabled     = conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/ScalingDisabled")
	fromZeroOK   = conds("ScaledToZero=False/NotScaledToZero", "AbleToScale=True/SucceededRescale",
		"ScalingActive=True/ValidMetricFound", "ScalingLimited=False/DesiredWithinRange")
)

// Port of TestScaleContainerResource.
func TestScaleContainerResource(t *testing.T) {
	runSyncCases(t, []syncCase{
		{name: "scale up container resource", hpa: hpaWith(2, 6, containerResourceMetric("container1", corev1.ResourceCPU, 30)),
			cur: 3, pods: levelPods(3, 300, 500, 700), wantDesired: 5, wantRescale: true, wantConds: statusOK,
			wantReason: "cpu container resource utilization (percentage of request) above target"},
		{name: "scale down container resource", hpa: hpaWith(2, 6, containerResourceMetric("container2", corev1.ResourceCPU, 50)),
			cur: 5, emptyHistory: true, pods: levelPods(5, 100, 300, 500, 250, 250), wantDesired: 3, wantRescale: true},
	})
}

// Ports of TestScaleUpCM and TestScaleUpCMUnreadyandCpuHot.
func TestScaleUpCM(t *testing.T) {
	hotUnready := func(p PodSample) PodSample { return withOpts(p, hot, notReady) }
	runSyncCases(t, []syncCase{
		{name: "scale up custom metric", hpa: hpaWith(2, 6, podsTarget(15000)), cur: 3, pods: levelPods(3, 20000, 10000, 30000),
			values: []MetricValues{podsValuesOf(20000, 10000, 30000)}, wantDesired: 4, wantRescale: true, wantReason: "pods metric qps above target"},
		{name: "unready and hot cpu pods do not reduce scale for custom metric", hpa: hpaWith(2, 6, podsTarget(15000)), cur: 3,
			pods:   named(withOpts(pod(1000, 50000), cool), withOpts(pod(1000, 10000), cool), hotUnready(pod(1000, 30000))),
			values: []MetricValues{podsValuesOf(50000, 10000, 30000)}, wantDesired: 6, wantRescale: true},
		{name: "unready and hot cpu pods scale to max with scaling limited condition", hpa: hpaWith(2, 6, podsTarget(15000)), cur: 3,
			pods:   named(hotUnready(pod(1000, 50000)), withOpts(pod(1000, 15000), cool), hotUnready(pod(1000, 30000))),
			values: []MetricValues{podsValuesOf(50000, 15000, 30000)}, wantDesired: 6, wantRescale: true,
			wantConds: statusOKWith("ScalingLimited=True/TooManyReplicas")},
		{name: "TestScaleUpCMUnreadyandCpuHot", hpa: hpaWith(2, 6, podsTarget(15000)), cur: 3,
			pods:   named(hotUnready(pod(1000, 50000)), withOpts(pod(1000, 15000), cool), hotUnready(pod(1000, 30000))),
			values: []MetricValues{podsValuesOf(50000, 15000, 30000)}, wantDesired: 6, wantRescale: true,
			wantConds: statusOKWith("AbleToScale=True/SucceededRescale", "ScalingLimited=True/TooManyReplicas")},
		{name: "scale up external metric with value target", hpa: hpaWith(2, 6, externalTarget(autoscalingv2.ValueMetricType, 6666)), cur: 3,
			pods: levelPods(3), values: []MetricValues{externalValues(8600)}, wantDesired: 4, wantRescale: true,
			wantReason: "external metric qps(&LabelSelector{MatchLabels:map[string]string{label: value,},MatchExpressions:[]LabelSelectorRequirement{},}) above target"},
		{name: "scale up external metric with per-pod average value target", hpa: hpaWith(2, 6, externalTarget(autoscalingv2.AverageValueMetricType, 2222)), cur: 3,
			pods: levelPods(3), values: []MetricValues{externalValues(8600)}, wantDesired: 4, wantRescale: true},
	})
}

// Port of TestScaleUpCMObject, scaling from zero included.
func TestScaleUpCMObject(t *testing.T) {
	runSyncCases(t, []syncCase{
		{name: "scale up object metric with value target", hpa: hpaWith(2, 6, objectTarget(autoscalingv2.ValueMetricType, 15000)), cur: 3,
			pods: levelPods(3), values: []MetricValues{objectValue(20000)}, wantDesired: 4, wantRescale: true, wantReason: "Deployment metric qps above target"},
		{name: "scale up from zero", hpa: hpaWith(0, 6, objectTarget(autoscalingv2.ValueMetricType, 15000)), cur: 0,
			conds: []Condition{scaledToZero}, values: []MetricValues{objectValue(20000)}, wantDesired: 2, wantRescale: true, wantConds: fromZeroOK},
		{name: "scale up from zero ignores tolerance", hpa: hpaWith(0, 6, objectTarget(autoscalingv2.ValueMetricType, 1000)), cur: 0,
			conds: []Condition{scaledToZero}, values: []MetricValues{objectValue(1000)}, wantDesired: 1, wantRescale: true, wantConds: fromZeroOK},
		{name: "scale up per-pod object metric with average value target", hpa: hpaWith(2, 6, objectTarget(autoscalingv2.AverageValueMetricType, 10000)), cur: 3,
			pods: levelPods(3), values: []MetricValues{objectValue(40000)}, wantDesired: 4, wantRescale: true,
			wantReason: "external metric qps(nil) above target"},
	})
}

// Port of TestScaleDownCM, scaling to zero included.
func TestScaleDownCM(t *testing.T) {
	toZero := statusOKWith("ScaledToZero=True/ScaledToZero")
	runSyncCases(t, []syncCase{
		{name: "scale down pods metric", hpa: hpaWith(2, 6, podsTarget(20000)), cur: 5, emptyHistory: true,
			pods: levelPods(5, 12000, 12000, 12000, 12000, 12000), values: []MetricValues{podsValuesOf(12000, 12000, 12000, 12000, 12000)},
			wantDesired: 3, wantRescale: true, wantReason: "All metrics below target"},
		{name: "scale down object metric with value target", hpa: hpaWith(2, 6, objectTarget(autoscalingv2.ValueMetricType, 20000)), cur: 5, emptyHistory: true,
			pods: levelPods(5), values: []MetricValues{objectValue(12000)}, wantDesired: 3, wantRescale: true},
		{name: "scale down to zero object metric", hpa: hpaWith(0, 6, objectTarget(autoscalingv2.ValueMetricType, 20000)), cur: 5, emptyHistory: true,
			pods: levelPods(5), values: []MetricValues{objectValue(0)}, wantDesired: 0, wantRescale: true, wantConds: toZero},
		{name: "scale down per-pod object metric with average value target", hpa: hpaWith(2, 6, objectTarget(autoscalingv2.AverageValueMetricType, 20000)), cur: 5, emptyHistory: true,
			pods: levelPods(5), values: []MetricValues{objectValue(60000)}, wantDesired: 3, wantRescale: true},
		{name: "scale down external metric with value target", hpa: hpaWith(2, 6, externalTarget(autoscalingv2.ValueMetricType, 14400)), cur: 5, emptyHistory: true,
			pods: levelPods(5), values: []MetricValues{externalValues(8600)}, wantDesired: 3, wantRescale: true},
		{name: "scale down to zero external metric", hpa: hpaWith(0, 6, externalTarget(autoscalingv2.ValueMetricType, 14400)), cur: 5, emptyHistory: true,
			pods: levelPods(5), values: []MetricValues{externalValues(0)}, wantDesired: 0, wantRescale: true, wantConds: toZero},
		{name: "scale down per-pod external metric with average value target", hpa: hpaWith(2, 6, externalTarget(autoscalingv2.AverageValueMetricType, 3000)), cur: 5, emptyHistory: true,
			pods: levelPods(5), values: []MetricValues{externalValues(8600)}, wantDesired: 3, wantRescale: true},
	})
}

// Port of TestScaleToZeroBehavior (the gate-enabled cases).
func TestScaleToZeroBehavior(t *testing.T) {
	object := objectTarget(autoscalingv2.ValueMetricType, 15000)
	runSyncCases(t, []syncCase{
		{name: "from zero without condition", hpa: hpaWith(0, 6, object), cur: 0, values: []MetricValues{objectValue(20000)},
			wantDesired: 0, wantConds: disabled},
		{name: "minReplicas increased with ScaledToZero condition", hpa: hpaWith(2, 6, object), cur: 0, conds: []Condition{scaledToZero},
			values: []MetricValues{objectValue(10000)}, wantDesired: 2, wantRescale: true,
			wantConds: conds("ScaledToZero=False/NotScaledToZero", "AbleToScale=True/SucceededRescale",
				"ScalingActive=True/ValidMetricFound", "ScalingLimited=True/TooFewReplicas")},
		{name: "stale ScaledToZero condition cleared on normal rescale", hpa: cpuHPA(1, 6, 30), cur: 3, conds: []Condition{scaledToZero},
			pods: levelPods(3, 300, 500, 700), wantDesired: 5, wantRescale: true, wantConds: fromZeroOK},
		{name: "manual scale to zero disables HPA", hpa: cpuHPA(1, 6, 50), cur: 0, wantDesired: 0, wantConds: disabled},
	})
}

// The other cases of TestTolerance: every metric type within the 10 % tolerance.
func TestToleranceAllMetricTypes(t *testing.T) {
	within := statusNoRescale("AbleToScale=True/ReadyForNewScale")
	mixed := named(pod(900, 0, noMetric), pod(1000, 0, noMetric), pod(1100, 0, noMetric))
	runSyncCases(t, []syncCase{
		{name: "pods metric within tolerance", hpa: hpaWith(1, 5, podsTarget(20000)), cur: 3, pods: mixed,
			values: []MetricValues{podsValuesOf(20000, 20001, 21000)}, wantDesired: 3, wantConds: within},
		{name: "object metric with value target within tolerance", hpa: hpaWith(1, 5, objectTarget(autoscalingv2.ValueMetricType, 20000)), cur: 3, pods: mixed,
			values: []MetricValues{objectValue(20050)}, wantDesired: 3, wantConds: within},
		{name: "external metric with value target within tolerance", hpa: hpaWith(2, 6, externalTarget(autoscalingv2.ValueMetricType, 8666)), cur: 4,
			pods: levelPods(4), values: []MetricValues{externalValues(8600)}, wantDesired: 4, wantConds: within},
		{name: "per-pod object metric with average value target within tolerance", hpa: hpaWith(2, 6, objectTarget(autoscalingv2.AverageValueMetricType, 2200)), cur: 4,
			pods: levelPods(4), values: []MetricValues{objectValue(8600)}, wantDesired: 4, wantConds: within},
		{name: "per-pod external metric with average value target within tolerance", hpa: hpaWith(2, 6, externalTarget(autoscalingv2.AverageValueMetricType, 2200)), cur: 4,
			pods: levelPods(4), values: []MetricValues{externalValues(8600)}, wantDesired: 4, wantConds: within},
	})
}

// The other cases of TestConditionFailedGetMetrics: the custom and external metrics APIs
// failing. Nothing is written; desiredReplicas keeps the status's 3.
func TestConditionFailedGetMetricsAllTypes(t *testing.T) {
	failed := func(reason string) []string {
		return conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/"+reason)
	}
	pods := levelPods(3, 100, 200, 300)
	fail := []MetricValues{{Err: apiFailure}}
	runSyncCases(t, []syncCase{
		{name: "FailedGetPodsMetric", hpa: hpaWith(1, 100, podsTarget(15000)), cur: 3, statusDesired: 3, pods: pods, values: fail,
			wantDesired: 3, wantConds: failed(ReasonFailedGetPodsMetric), wantErr: "something went wrong"},
		{name: "FailedGetObjectMetric", hpa: hpaWith(1, 100, objectTarget(autoscalingv2.ValueMetricType, 15000)), cur: 3, statusDesired: 3, pods: pods, values: fail,
			wantDesired: 3, wantConds: failed(ReasonFailedGetObjectMetric), wantErr: "something went wrong"},
		{name: "FailedGetExternalMetric", hpa: hpaWith(1, 100, externalTarget(autoscalingv2.ValueMetricType, 300)), cur: 3, statusDesired: 3, pods: pods, values: fail,
			wantDesired: 3, wantConds: failed(ReasonFailedGetExternalMetric), wantErr: "something went wrong"},
		{name: "FailedGetContainerResourceMetric", hpa: hpaWith(1, 100, containerResourceMetric("no-such-container", corev1.ResourceCPU, 10)), cur: 3, statusDesired: 3, pods: pods,
			wantDesired: 3, wantConds: failed(ReasonFailedGetContainerResourceMetric), wantErr: "did not receive metrics for targeted pods"},
	})
}

// Ports of TestNoBackoffUpscaleCM and TestNoBackoffUpscaleCMNoBackoffCpu (a recent scale does
// not hold back the next one), TestScaleUpOneMetricEmpty, TestNoScaleDownOneMetricEmpty,
// TestNoScaleDownOneMetricInvalid, TestScaleWithOneInvalidMetric, and the "superfluous metrics
// reported" case of TestMetricsEdgeCases.
func TestSeveralMetrics(t *testing.T) {
	cpu := func(target int32) autoscalingv2.MetricSpec { return resourceMetric(corev1.ResourceCPU, target) }
	extra := func(name string, usage int64) PodSample {
		p := pod(1000, usage)
		p.Name, p.Unlisted = name, true
		return p
	}
	failedExternal := []MetricValues{{}, {Err: apiFailure}}
	runSyncCases(t, []syncCase{
		{name: "TestNoBackoffUpscaleCM", hpa: hpaWith(1, 5, podsTarget(15000)), cur: 3, pods: levelPods(3, 20000, 10000, 30000),
			values: []MetricValues{podsValuesOf(20000, 10000, 30000)}, wantDesired: 4, wantRescale: true, wantConds: statusOK},
		{name: "TestNoBackoffUpscaleCMNoBackoffCpu", hpa: hpaWith(1, 5, cpu(10), podsTarget(15000)), cur: 3, pods: levelPods(3, 20000, 10000, 30000),
			values: []MetricValues{{}, podsValuesOf(20000, 10000, 30000)}, wantDesired: 5, wantRescale: true,
			wantConds: statusOKWith("ScalingLimited=True/TooManyReplicas")},
		{name: "TestScaleUpOneMetricEmpty", hpa: hpaWith(2, 6, cpu(30), externalTarget(autoscalingv2.ValueMetricType, 100)), cur: 3,
			pods: levelPods(3, 300, 400, 500), values: failedExternal, wantDesired: 4, wantRescale: true,
			wantErr: "invalid metrics (1 invalid out of 2), first error is: failed to get qps external metric value: failed to get external metric qps: unable to get external metric test-namespace/qps/"},
		{name: "TestNoScaleDownOneMetricEmpty", hpa: hpaWith(2, 6, cpu(50), externalTarget(autoscalingv2.ValueMetricType, 1000)), cur: 5, emptyHistory: true,
			statusDesired: 5, pods: levelPods(5, 100, 300, 500, 250, 250), values: failedExternal, wantDesired: 5,
			wantConds: conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/FailedGetExternalMetric"),
			wantErr:   "invalid metrics (1 invalid out of 2)"},
		{name: "TestNoScaleDownOneMetricInvalid (an Object target the controller cannot compute)", hpa: hpaWith(2, 6, cpu(50), invalidObject()), cur: 5, emptyHistory: true,
			statusDesired: 5, pods: levelPods(5, 100, 300, 500, 250, 250), values: []MetricValues{{}, objectValue(1000)}, wantDesired: 5,
			wantConds: conds("AbleToScale=True/SucceededGetScale", "ScalingActive=False/FailedGetObjectMetric"),
			wantErr:   "invalid object metric source: neither a value target nor an average value target was set"},
		{name: "TestScaleWithOneInvalidMetric: scale up with one invalid metric", hpa: hpaWith(2, 6, cpu(30), invalidObject()), cur: 3,
			pods: levelPods(3, 300, 400, 500), values: []MetricValues{{}, objectValue(1000)}, wantDesired: 4, wantRescale: true,
			wantErr: "invalid metrics (1 invalid out of 2)"},
		{name: "TestMetricsEdgeCases: superfluous metrics reported", hpa: cpuHPA(2, 6, 100), cur: 4,
			pods:        append(levelPods(4, 4000, 9500, 3000, 7000), extra("test-pod-4", 3200), extra("test-pod-5", 2000)),
			wantDesired: 6, wantRescale: true, wantConds: statusOKWith("ScalingLimited=True/TooManyReplicas")},
		// ksim cases: several metrics of different types; the largest proposal wins.
		{name: "ksim: cpu, memory, pods, object and external together", hpa: hpaWith(1, 20, cpu(50), resourceAverageMetric(corev1.ResourceMemory, "1Mi"),
			podsTarget(10000), objectTarget(autoscalingv2.ValueMetricType, 10000), externalTarget(autoscalingv2.AverageValueMetricType, 1000)), cur: 2,
			// memory 3Mi per pod against 1Mi: 6; pods at target: 2; object 3 × 2 ready pods: 6;
			// external 7000/1000: 7; cpu 50 % at a 50 % target: 2.
			pods:   withMemory(levelPods(2, 500, 500), 3<<20),
			values: []MetricValues{{}, {}, podsValuesOf(10000, 10000), objectValue(30000), externalValues(7000)}, wantDesired: 7, wantRescale: true,
			wantReason: "external metric qps(&LabelSelector{MatchLabels:map[string]string{label: value,},MatchExpressions:[]LabelSelectorRequirement{},}) above target"},
	})
}

// withMemory gives every pod's containers a memory working set, bytes per pod in all.
func withMemory(pods []PodSample, bytes int64) []PodSample {
	for i := range pods {
		m := *pods[i].Metrics
		m.Containers = append([]metricsv1beta1.ContainerMetrics(nil), m.Containers...)
		for j := range m.Containers {
			u := m.Containers[j].Usage.DeepCopy()
			u[corev1.ResourceMemory] = *resource.NewQuantity(bytes/int64(len(m.Containers)), resource.BinarySI)
			m.Containers[j].Usage = u
		}
		pods[i].Metrics = &m
	}
	return pods
}
