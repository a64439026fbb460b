package hpa

import (
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// API limits (pkg/apis/autoscaling/validation/validation.go).
const (
	maxPeriodSeconds              = 1800
	maxStabilizationWindowSeconds = 3600
	// defaultCPUUtilization is the target of the metric an HPA gets when it lists none
	// (pkg/apis/autoscaling/annotations.go: DefaultCPUUtilization).
	defaultCPUUtilization = 80
)

// Short names for the behavior enums.
const (
	selectMin      = autoscalingv2.MinChangePolicySelect
	selectDisabled = autoscalingv2.DisabledPolicySelect
	policyPods     = autoscalingv2.PodsScalingPolicy
	policyPercent  = autoscalingv2.PercentScalingPolicy
)

// compiledSpec is an HPA's spec after defaulting and validation, in the form Sync reads.
type compiledSpec struct {
	minReplicas, maxReplicas int32
	metrics                  []metricSource
	// behavior is nil when spec.behavior is nil: the legacy normalisation path.
	behavior   *compiledBehavior
	tolerances tolerances
	// hasObjectOrExternal gates scaling to and from zero (horizontal.go:
	// hasObjectOrExternalMetrics). Always false in this version (such metrics are rejected).
	hasObjectOrExternal bool
}

// metricSource is one entry of spec.metrics. A later version adds the Pods, Object, External
// and ContainerResource sources here, each with its own proposal step in metrics.go.
type metricSource struct {
	typ      autoscalingv2.MetricSourceType
	resource corev1.ResourceName
	// name is how events and conditions name the metric (horizontal.go:
	// computeStatusForResourceMetricGeneric), e.g. "cpu resource utilization (percentage of
	// request)"; built once here rather than at every sync.
	name string
	// Upstream reads the target's pointers, not target.type: averageValue when set, else
	// averageUtilization (horizontal.go: computeStatusForResourceMetricGeneric).
	useAverageValue    bool
	targetAverageMilli int64 // averageValue.MilliValue(), rounded up
	targetUtilization  int32 // percent
}

type compiledBehavior struct {
	up, down scalingRules
}

// scalingRules is one direction of spec.behavior, defaulted.
type scalingRules struct {
	window        time.Duration // stabilizationWindowSeconds
	selectPolicy  autoscalingv2.ScalingPolicySelect
	policies      []scalingPolicy
	longestPeriod time.Duration // horizontal.go: getLongestPolicyPeriod
}

type scalingPolicy struct {
	typ    autoscalingv2.HPAScalingPolicyType
	value  int32
	period time.Duration
}

// compile defaults, validates and compiles h's spec. h is not modified.
func compile(h *autoscalingv2.HorizontalPodAutoscaler, opts Options) (compiledSpec, error) {
	spec := h.Spec.DeepCopy()
	setDefaults(spec)
	if err := validateSpec(spec); err != nil {
		return compiledSpec{}, err
	}

	c := compiledSpec{
		minReplicas: *spec.MinReplicas,
		maxReplicas: spec.MaxReplicas,
		tolerances:  tolerances{down: opts.Tolerance, up: opts.Tolerance},
	}
	for _, m := range spec.Metrics {
		ms := metricSource{typ: m.Type, resource: m.Resource.Name}
		if t := m.Resource.Target; t.AverageValue != nil {
			ms.useAverageValue = true
			ms.targetAverageMilli = t.AverageValue.MilliValue()
			ms.name = string(ms.resource) + " resource"
		} else {
			ms.targetUtilization = *t.AverageUtilization
			ms.name = string(ms.resource) + " resource utilization (percentage of request)"
		}
		c.metrics = append(c.metrics, ms)
	}

	if b := spec.Behavior; b != nil {
		// horizontal.go: maybeInitScaleDownStabilizationWindow fills a nil scale-down window
		// from the flag, truncated to whole seconds.
		if b.ScaleDown.StabilizationWindowSeconds == nil {
			w := int32(opts.DownscaleStabilization.Seconds())
			b.ScaleDown.StabilizationWindowSeconds = &w
		}
		c.behavior = &compiledBehavior{up: compileRules(b.ScaleUp), down: compileRules(b.ScaleDown)}
		// horizontal.go: tolerancesForHpa. Per-HPA tolerances need behavior != nil
		// (HPAConfigurableTolerance is GA and locked on in v1.37).
		if t := b.ScaleDown.Tolerance; t != nil {
			c.tolerances.down = t.AsApproximateFloat64()
		}
		if t := b.ScaleUp.Tolerance; t != nil {
			c.tolerances.up = t.AsApproximateFloat64()
		}
	}
	return c, nil
}

// compileRules compiles defaulted rules. A nil window (scale down, before the controller fills
// it from its flag) compiles as 0.
func compileRules(r *autoscalingv2.HPAScalingRules) scalingRules {
	s := scalingRules{selectPolicy: *r.SelectPolicy}
	if w := r.StabilizationWindowSeconds; w != nil {
		s.window = time.Duration(*w) * time.Second
	}
	for _, p := range r.Policies {
		period := time.Duration(p.PeriodSeconds) * time.Second
		s.policies = append(s.policies, scalingPolicy{typ: p.Type, value: p.Value, period: period})
		s.longestPeriod = max(s.longestPeriod, period)
	}
	return s
}

// setDefaults applies the API server's defaults to spec
// (pkg/apis/autoscaling/v2/defaults.go: SetDefaults_HorizontalPodAutoscaler).
func setDefaults(spec *autoscalingv2.HorizontalPodAutoscalerSpec) {
	if spec.MinReplicas == nil {
		one := int32(1)
		spec.MinReplicas = &one
	}
	if len(spec.Metrics) == 0 {
		target := int32(defaultCPUUtilization)
		spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{
					Type:               autoscalingv2.UtilizationMetricType,
					AverageUtilization: &target,
				},
			},
		}}
	}
	// SetDefaults_HorizontalPodAutoscalerBehavior: only a present behavior is completed, so
	// `behavior: {}` is not the same as no behavior.
	if spec.Behavior != nil {
		spec.Behavior.ScaleUp = defaultScaleUpRules(spec.Behavior.ScaleUp)
		spec.Behavior.ScaleDown = defaultScaleDownRules(spec.Behavior.ScaleDown)
	}
}

// defaultScaleUpRules completes scale-up rules field by field: window 0, selectPolicy Max,
// policies [Pods 4 per 15s, Percent 100 per 15s] (defaults.go: GenerateHPAScaleUpRules).
// The result never aliases the defaults; it shares the set fields of r.
func defaultScaleUpRules(r *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	window := int32(0)
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	d := &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &window,
		SelectPolicy:               &maxPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	return copySetRules(r, d)
}

// defaultScaleDownRules completes scale-down rules: selectPolicy Max, policies [Percent 100 per
// 15s]; the window stays nil, for the controller to fill from its flag
// (defaults.go: GenerateHPAScaleDownRules).
func defaultScaleDownRules(r *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	d := &autoscalingv2.HPAScalingRules{
		SelectPolicy: &maxPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	return copySetRules(r, d)
}

// copySetRules copies every non-nil field of from into to (defaults.go: copyHPAScalingRules).
// A non-nil empty policy list counts as set; validation then rejects it.
func copySetRules(from, to *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if from == nil {
		return to
	}
	if from.SelectPolicy != nil {
		to.SelectPolicy = from.SelectPolicy
	}
	if from.StabilizationWindowSeconds != nil {
		to.StabilizationWindowSeconds = from.StabilizationWindowSeconds
	}
	if from.Policies != nil {
		to.Policies = from.Policies
	}
	if from.Tolerance != nil {
		to.Tolerance = from.Tolerance
	}
	return to
}

// validateSpec checks a defaulted spec as the API server does
// (pkg/apis/autoscaling/validation/validation.go: validateHorizontalPodAutoscalerSpec), plus
// what this version of ksim supports. All problems are reported, one per line.
func validateSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}

	if spec.ScaleTargetRef.Kind == "" {
		bad("spec.scaleTargetRef.kind", "required")
	}
	if spec.ScaleTargetRef.Name == "" {
		bad("spec.scaleTargetRef.name", "required")
	}
	// minReplicas may be 0 (the HPAScaleToZero gate is on in v1.37), but only with an Object or
	// External metric (validateMetrics).
	if *spec.MinReplicas < 0 {
		bad("spec.minReplicas", "must be greater than or equal to 0, got %d", *spec.MinReplicas)
	}
	if spec.MaxReplicas <= 0 {
		bad("spec.maxReplicas", "must be greater than or equal to 1, got %d", spec.MaxReplicas)
	} else if spec.MaxReplicas < *spec.MinReplicas {
		bad("spec.maxReplicas", "must be greater than or equal to minReplicas (%d), got %d", *spec.MinReplicas, spec.MaxReplicas)
	}

	hasObjectOrExternal := false
	for i, m := range spec.Metrics {
		path := fmt.Sprintf("spec.metrics[%d]", i)
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			if m.Resource == nil {
				bad(path+".resource", "required: must populate information for the given metric source")
				continue
			}
			if m.Pods != nil || m.Object != nil || m.External != nil || m.ContainerResource != nil {
				bad(path, "must populate the given metric source (resource) only")
			}
			validateResourceSource(m.Resource, path+".resource", bad)
		case autoscalingv2.ObjectMetricSourceType, autoscalingv2.ExternalMetricSourceType,
			autoscalingv2.PodsMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
			hasObjectOrExternal = hasObjectOrExternal ||
				m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType
			bad(path+".type", "%q is not supported by this version of ksim (supported: Resource cpu)", m.Type)
		case "":
			bad(path+".type", "required: must specify a metric source type")
		default:
			bad(path+".type", "unsupported value %q: supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"", m.Type)
		}
	}
	if *spec.MinReplicas == 0 && !hasObjectOrExternal {
		bad("spec.metrics", "forbidden: must specify at least one Object or External metric to support scaling to zero replicas")
	}

	if b := spec.Behavior; b != nil {
		validateRules(b.ScaleUp, "spec.behavior.scaleUp", bad)
		validateRules(b.ScaleDown, "spec.behavior.scaleDown", bad)
	}
	return errors.Join(errs...)
}

func validateResourceSource(src *autoscalingv2.ResourceMetricSource, path string, bad func(string, string, ...any)) {
	if src.Name == "" {
		bad(path+".name", "required: must specify a resource name")
	} else if src.Name != corev1.ResourceCPU {
		bad(path+".name", "resource %q is not supported by this version of ksim (supported: cpu)", src.Name)
	}
	t := src.Target
	switch t.Type {
	case autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType:
	case "":
		bad(path+".target.type", "required: must specify a metric target type")
	default:
		bad(path+".target.type", "invalid value %q: must be either Utilization, Value, or AverageValue", t.Type)
	}
	if t.Value != nil && t.Value.Sign() != 1 {
		bad(path+".target.value", "must be positive, got %s", t.Value)
	}
	if t.AverageValue != nil && t.AverageValue.Sign() != 1 {
		bad(path+".target.averageValue", "must be positive, got %s", t.AverageValue)
	}
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		bad(path+".target.averageUtilization", "must be greater than 0, got %d", *t.AverageUtilization)
	}
	if t.AverageUtilization == nil && t.AverageValue == nil {
		bad(path+".target.averageUtilization", "required: must set either a target raw value or a target utilization")
	}
	if t.AverageUtilization != nil && t.AverageValue != nil {
		bad(path+".target.averageValue", "forbidden: may not set both a target raw value and a target utilization")
	}
}

func validateRules(r *autoscalingv2.HPAScalingRules, path string, bad func(string, string, ...any)) {
	if w := r.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > maxStabilizationWindowSeconds) {
		bad(path+".stabilizationWindowSeconds", "must be between 0 and %d, got %d", maxStabilizationWindowSeconds, *w)
	}
	switch *r.SelectPolicy {
	case autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect:
	default:
		bad(path+".selectPolicy", "unsupported value %q: supported values: \"Disabled\", \"Max\", \"Min\"", *r.SelectPolicy)
	}
	if len(r.Policies) == 0 {
		bad(path+".policies", "required: must specify at least one Policy")
	}
	for i, p := range r.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		if p.Type != autoscalingv2.PodsScalingPolicy && p.Type != autoscalingv2.PercentScalingPolicy {
			bad(pp+".type", "unsupported value %q: supported values: \"Percent\", \"Pods\"", p.Type)
		}
		if p.Value <= 0 {
			bad(pp+".value", "must be greater than zero, got %d", p.Value)
		}
		if p.PeriodSeconds <= 0 || p.PeriodSeconds > maxPeriodSeconds {
			bad(pp+".periodSeconds", "must be between 1 and %d, got %d", maxPeriodSeconds, p.PeriodSeconds)
		}
	}
	if t := r.Tolerance; t != nil && t.Sign() < 0 {
		bad(path+".tolerance", "must be greater than or equal to 0, got %s", t)
	}
}
