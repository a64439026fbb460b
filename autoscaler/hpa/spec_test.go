package hpa

import (
	"reflect"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

type policyCase struct {
	pods, podsPeriod, percent, percentPeriod int32
}

func (p policyCase) rules(window *int32, sel *autoscalingv2.ScalingPolicySelect) *autoscalingv2.HPAScalingRules {
	r := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: window, SelectPolicy: sel}
	if p.pods != 0 || p.podsPeriod != 0 {
		r.Policies = append(r.Policies, autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PodsScalingPolicy, Value: p.pods, PeriodSeconds: p.podsPeriod})
	}
	if p.percent != 0 || p.percentPeriod != 0 {
		r.Policies = append(r.Policies, autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: p.percent, PeriodSeconds: p.percentPeriod})
	}
	return r
}

func i32(v int32) *int32 { return &v }

func pods(v, period int32) autoscalingv2.HPAScalingPolicy {
	return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PodsScalingPolicy, Value: v, PeriodSeconds: period}
}

func percent(v, period int32) autoscalingv2.HPAScalingPolicy {
	return autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: v, PeriodSeconds: period}
}

var (
	maxSelect = autoscalingv2.MaxChangePolicySelect
	minSelect = autoscalingv2.MinChangePolicySelect
)

// Port of TestGenerateScaleDownRules (pkg/apis/autoscaling/v2/defaults_test.go).
func TestGenerateScaleDownRules(t *testing.T) {
	tests := []struct {
		name       string
		in         policyCase
		window     *int32
		sel        *autoscalingv2.ScalingPolicySelect
		wantPols   []autoscalingv2.HPAScalingPolicy
		wantWindow *int32
		wantSel    autoscalingv2.ScalingPolicySelect
	}{
		{name: "Default values", wantPols: []autoscalingv2.HPAScalingPolicy{percent(100, 15)}, wantSel: maxSelect},
		{name: "All parameters are specified", in: policyCase{1, 2, 3, 4}, window: i32(25), sel: &maxSelect,
			wantPols: []autoscalingv2.HPAScalingPolicy{pods(1, 2), percent(3, 4)}, wantWindow: i32(25), wantSel: maxSelect},
		{name: "Percent policy is specified", in: policyCase{percent: 1, percentPeriod: 2}, sel: &minSelect,
			wantPols: []autoscalingv2.HPAScalingPolicy{percent(1, 2)}, wantSel: minSelect},
		{name: "Pods policy is specified", in: policyCase{pods: 3, podsPeriod: 4},
			wantPols: []autoscalingv2.HPAScalingPolicy{pods(3, 4)}, wantSel: maxSelect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := defaultScaleDownRules(tc.in.rules(tc.window, tc.sel))
			if !reflect.DeepEqual(got.Policies, tc.wantPols) {
				t.Errorf("policies %v, want %v", got.Policies, tc.wantPols)
			}
			if !reflect.DeepEqual(got.StabilizationWindowSeconds, tc.wantWindow) {
				t.Errorf("window %v, want %v", got.StabilizationWindowSeconds, tc.wantWindow)
			}
			if *got.SelectPolicy != tc.wantSel {
				t.Errorf("selectPolicy %s, want %s", *got.SelectPolicy, tc.wantSel)
			}
		})
	}
}

// Port of TestGenerateScaleUpRules (pkg/apis/autoscaling/v2/defaults_test.go).
func TestGenerateScaleUpRules(t *testing.T) {
	half := resource.MustParse("0.5")
	tests := []struct {
		name       string
		in         policyCase
		window     *int32
		sel        *autoscalingv2.ScalingPolicySelect
		tolerance  *resource.Quantity
		wantPols   []autoscalingv2.HPAScalingPolicy
		wantWindow int32
		wantSel    autoscalingv2.ScalingPolicySelect
	}{
		{name: "Default values", wantPols: []autoscalingv2.HPAScalingPolicy{pods(4, 15), percent(100, 15)}, wantSel: maxSelect},
		{name: "All parameters are specified", in: policyCase{1, 2, 3, 4}, window: i32(25), sel: &maxSelect,
			wantPols: []autoscalingv2.HPAScalingPolicy{pods(1, 2), percent(3, 4)}, wantWindow: 25, wantSel: maxSelect},
		{name: "Pod policy is specified", in: policyCase{pods: 1, podsPeriod: 2}, sel: &minSelect,
			wantPols: []autoscalingv2.HPAScalingPolicy{pods(1, 2)}, wantSel: minSelect},
		{name: "Percent policy is specified", in: policyCase{percent: 7, percentPeriod: 10},
			wantPols: []autoscalingv2.HPAScalingPolicy{percent(7, 10)}, wantSel: maxSelect},
		{name: "Pod policy and stabilization window are specified", in: policyCase{pods: 4, podsPeriod: 2}, window: i32(25),
			wantPols: []autoscalingv2.HPAScalingPolicy{pods(4, 2)}, wantWindow: 25, wantSel: maxSelect},
		{name: "Percent policy and stabilization window are specified", in: policyCase{percent: 7, percentPeriod: 60}, window: i32(25),
			wantPols: []autoscalingv2.HPAScalingPolicy{percent(7, 60)}, wantWindow: 25, wantSel: maxSelect},
		{name: "Percent policy and tolerance is specified", in: policyCase{percent: 7, percentPeriod: 10}, tolerance: &half,
			wantPols: []autoscalingv2.HPAScalingPolicy{percent(7, 10)}, wantSel: maxSelect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in.rules(tc.window, tc.sel)
			in.Tolerance = tc.tolerance
			got := defaultScaleUpRules(in)
			if !reflect.DeepEqual(got.Policies, tc.wantPols) {
				t.Errorf("policies %v, want %v", got.Policies, tc.wantPols)
			}
			if got.StabilizationWindowSeconds == nil || *got.StabilizationWindowSeconds != tc.wantWindow {
				t.Errorf("window %v, want %d", got.StabilizationWindowSeconds, tc.wantWindow)
			}
			if *got.SelectPolicy != tc.wantSel {
				t.Errorf("selectPolicy %s, want %s", *got.SelectPolicy, tc.wantSel)
			}
			if got.Tolerance != tc.tolerance {
				t.Errorf("tolerance %v, want %v", got.Tolerance, tc.tolerance)
			}
		})
	}
}

// Port of TestSetBehaviorDefaults (pkg/apis/autoscaling/v2/defaults_test.go) and of
// TestSetBehaviorDefaultsConfigurableToleranceEnabled (the tolerance stays unset).
func TestSetBehaviorDefaults(t *testing.T) {
	half := resource.MustParse("0.5")
	custom := []autoscalingv2.HPAScalingPolicy{percent(7, 10)}
	defaultUp := []autoscalingv2.HPAScalingPolicy{pods(4, 15), percent(100, 15)}
	defaultDown := []autoscalingv2.HPAScalingPolicy{percent(100, 15)}
	tests := []struct {
		name string
		in   *autoscalingv2.HorizontalPodAutoscalerBehavior
		want *autoscalingv2.HorizontalPodAutoscalerBehavior
	}{
		{name: "Nil behavior"},
		{name: "Behavior with stabilizationWindowSeconds and tolerance",
			in: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(100), Tolerance: &half}},
			want: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{SelectPolicy: &maxSelect, Policies: defaultDown},
				ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(100), SelectPolicy: &maxSelect,
					Policies: defaultUp, Tolerance: &half}}},
		{name: "Behavior with policy, without tolerance",
			in: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{Policies: custom}},
			want: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{SelectPolicy: &maxSelect, Policies: custom},
				ScaleUp:   &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(0), SelectPolicy: &maxSelect, Policies: defaultUp}}},
		{name: "ConfigurableToleranceEnabled: tolerance left unset",
			in: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(100)}},
			want: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{SelectPolicy: &maxSelect, Policies: defaultDown},
				ScaleUp:   &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(100), SelectPolicy: &maxSelect, Policies: defaultUp}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: tc.in, MinReplicas: i32(1), Metrics: cpuHPA(1, 1, 50).Spec.Metrics}
			SetDefaults(&spec)
			if !reflect.DeepEqual(spec.Behavior, tc.want) {
				t.Errorf("behavior\n got  %+v\n want %+v", spec.Behavior, tc.want)
			}
		})
	}
}

// The rest of SetDefaults_HorizontalPodAutoscaler, and what New compiles. ksim cases.
func TestNewDefaultsAndCompiles(t *testing.T) {
	h := cpuHPA(1, 10, 0)
	h.Spec.MinReplicas = nil
	a := mustNew(t, h, 0, DefaultOptions())
	if a.spec.minReplicas != 1 {
		t.Errorf("minReplicas = %d, want the default 1", a.spec.minReplicas)
	}
	if len(a.spec.metrics) != 1 || a.spec.metrics[0].targetUtilization != 80 || a.spec.metrics[0].resource != corev1.ResourceCPU {
		t.Errorf("metrics = %+v, want the default cpu 80%%", a.spec.metrics)
	}
	if a.spec.behavior != nil {
		t.Errorf("behavior compiled although spec.behavior is nil")
	}
	if h.Spec.MinReplicas != nil || len(h.Spec.Metrics) != 0 {
		t.Errorf("New modified its input")
	}

	// behavior {} is completed; the scale-down window comes from the flag, in whole seconds.
	opts := DefaultOptions()
	opts.DownscaleStabilization = 90*time.Second + 700*time.Millisecond
	b := mustNew(t, withBehavior(cpuHPA(1, 10, 50), nil, nil), 0, opts)
	want := compiledBehavior{
		up: scalingRules{window: 0, selectPolicy: maxSelect, longestPeriod: 15 * time.Second,
			policies: []scalingPolicy{{policyPods, 4, 15 * time.Second}, {policyPercent, 100, 15 * time.Second}}},
		down: scalingRules{window: 90 * time.Second, selectPolicy: maxSelect, longestPeriod: 15 * time.Second,
			policies: []scalingPolicy{{policyPercent, 100, 15 * time.Second}}},
	}
	if !reflect.DeepEqual(*b.spec.behavior, want) {
		t.Errorf("behavior {} compiled to\n %+v\nwant\n %+v", *b.spec.behavior, want)
	}

	// Per-HPA tolerances need behavior; each replaces one side.
	q := resource.MustParse("0.05")
	c := mustNew(t, withBehavior(cpuHPA(1, 10, 50), &autoscalingv2.HPAScalingRules{Tolerance: &q}, nil), 0, DefaultOptions())
	if c.spec.tolerances != (tolerances{down: 0.1, up: 0.05}) {
		t.Errorf("tolerances = %+v, want down 0.1 up 0.05", c.spec.tolerances)
	}

	// AverageValue: the target's MilliValue, rounded up.
	h = cpuHPA(1, 10, 0)
	av := resource.MustParse("0.0005") // 0.5m → 1m
	h.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &av}}}}
	d := mustNew(t, h, 0, DefaultOptions())
	if m := d.spec.metrics[0]; m.target != targetAverageValue || m.targetMilli != 1 {
		t.Errorf("AverageValue compiled to %+v, want 1m", m)
	}
}

// Validation, as the API server's (and what ksim does not support yet). ksim cases.
func TestNewRejectsInvalidHPA(t *testing.T) {
	neg := resource.MustParse("-1")
	bad := autoscalingv2.ScalingPolicySelect("Fastest")
	tests := []struct {
		name   string
		mutate func(h *autoscalingv2.HorizontalPodAutoscaler)
		opts   func(o *Options)
		want   string
	}{
		{name: "max below min", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 1; h.Spec.MinReplicas = i32(2) },
			want: "spec.maxReplicas: must be greater than or equal to minReplicas"},
		{name: "max unset", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 0 },
			want: "spec.maxReplicas: must be greater than or equal to 1"},
		{name: "min 0 without object or external metric", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = i32(0) },
			want: "spec.metrics: forbidden: must specify at least one Object or External metric"},
		{name: "no target", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.Name = "" },
			want: "spec.scaleTargetRef.name: required"},
		{name: "pods metric without its source", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType})
		}, want: `spec.metrics[1].pods: required: must populate information for the given metric source`},
		{name: "two sources in one metric", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics[0].Pods = podsMetric("qps", "10").Pods
		}, want: `spec.metrics[0]: forbidden: must populate the given metric source (Resource) only`},
		{name: "pods metric without averageValue", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			m := podsMetric("qps", "10")
			m.Pods.Target = autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: m.Pods.Target.AverageValue}
			h.Spec.Metrics = []autoscalingv2.MetricSpec{m}
		}, want: `spec.metrics[0].pods.target.averageValue: required: must specify a positive target averageValue`},
		{name: "metric name with a slash", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics = []autoscalingv2.MetricSpec{podsMetric("a/b", "10")}
		}, want: `spec.metrics[0].pods.metric.name: "a/b": may not contain '/'`},
		{name: "object metric without described object", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			m := objectMetric("hits", autoscalingv2.ValueMetricType, "10")
			m.Object.DescribedObject.Name = ""
			h.Spec.Metrics = []autoscalingv2.MetricSpec{m}
		}, want: `spec.metrics[0].object.describedObject.name: required`},
		{name: "object metric without a target value", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			m := objectMetric("hits", autoscalingv2.ValueMetricType, "10")
			m.Object.Target.Value = nil
			h.Spec.Metrics = []autoscalingv2.MetricSpec{m}
		}, want: `spec.metrics[0].object.target.averageValue: required: must set either a target value or averageValue`},
		{name: "external metric with both targets", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			m := externalMetric("queue", autoscalingv2.ValueMetricType, "10")
			q := resource.MustParse("1")
			m.External.Target.AverageValue = &q
			h.Spec.Metrics = []autoscalingv2.MetricSpec{m}
		}, want: `spec.metrics[0].external.target.value: forbidden: may not set both`},
		{name: "negative external target", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics = []autoscalingv2.MetricSpec{externalMetric("queue", autoscalingv2.ValueMetricType, "-1")}
		}, want: `spec.metrics[0].external.target.value: must be positive, got -1`},
		{name: "container resource with a bad container name", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics = []autoscalingv2.MetricSpec{containerResourceMetric("Web_1", corev1.ResourceCPU, 50)}
		}, want: `spec.metrics[0].containerResource.container: "Web_1"`},
		{name: "container resource that is not a container resource", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics = []autoscalingv2.MetricSpec{containerResourceMetric("web", "pods", 50)}
		}, want: `spec.metrics[0].containerResource.name: "pods": must be a standard resource for containers`},
		{name: "min 0 with a pods metric only", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.MinReplicas = i32(0)
			h.Spec.Metrics = []autoscalingv2.MetricSpec{podsMetric("qps", "10")}
		}, want: "spec.metrics: forbidden: must specify at least one Object or External metric"},
		{name: "invalid source type", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.Metrics[0].Type = "CheddarCheese" },
			want: `spec.metrics[0].type: unsupported value "CheddarCheese"`},
		{name: "both targets", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			q := resource.MustParse("100m")
			h.Spec.Metrics[0].Resource.Target.AverageValue = &q
		}, want: "may not set both a target raw value and a target utilization"},
		{name: "zero utilization", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			*h.Spec.Metrics[0].Resource.Target.AverageUtilization = 0
		},
			want: "spec.metrics[0].resource.target.averageUtilization: must be greater than 0"},
		{name: "empty policies", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			withBehavior(h, &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{}}, nil)
		}, want: "spec.behavior.scaleUp.policies: required: must specify at least one Policy"},
		{name: "period too long", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			withBehavior(h, nil, &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{pods(1, 1801)}})
		}, want: "spec.behavior.scaleDown.policies[0].periodSeconds: must be between 1 and 1800, got 1801"},
		{name: "zero policy value", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			withBehavior(h, &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{percent(0, 15)}}, nil)
		}, want: "spec.behavior.scaleUp.policies[0].value: must be greater than zero"},
		{name: "window too long", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			withBehavior(h, nil, &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(3601)})
		}, want: "spec.behavior.scaleDown.stabilizationWindowSeconds: must be between 0 and 3600, got 3601"},
		{name: "bad select policy", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			withBehavior(h, &autoscalingv2.HPAScalingRules{SelectPolicy: &bad}, nil)
		}, want: `spec.behavior.scaleUp.selectPolicy: unsupported value "Fastest"`},
		{name: "negative tolerance", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
			withBehavior(h, nil, &autoscalingv2.HPAScalingRules{Tolerance: &neg})
		}, want: "spec.behavior.scaleDown.tolerance: must be greater than or equal to 0"},
		{name: "negative option", opts: func(o *Options) { o.Tolerance = -0.1 }, want: "tolerance: must be >= 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := cpuHPA(1, 10, 50)
			if tc.mutate != nil {
				tc.mutate(h)
			}
			opts := DefaultOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			_, err := New(h, 0, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "hpa test-namespace/test-hpa: ") {
				t.Errorf("error %q does not name the HPA", err)
			}
		})
	}
	if _, err := New(nil, 0, DefaultOptions()); err == nil {
		t.Error("New(nil) succeeded")
	}
}
