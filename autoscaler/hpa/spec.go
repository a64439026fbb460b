package hpa

import (
	"errors"
	"fmt"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
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
	namespace                string
	minReplicas, maxReplicas int32
	metricSpecs              []autoscalingv2.MetricSpec // defaulted, for Autoscaler.Metrics
	metrics                  []metricSource
	// behavior is nil when spec.behavior is nil: the legacy normalisation path.
	behavior   *compiledBehavior
	tolerances tolerances
	// hasObjectOrExternal gates scaling to and from zero (horizontal.go:
	// hasObjectOrExternalMetrics).
	hasObjectOrExternal bool
}

// targetKind is what a metric's target asks for, decided the way the controller decides it
// (by which of the target's pointers are set, or by target.type for Object metrics).
type targetKind uint8

const (
	targetUtilization  targetKind = iota // averageUtilization, percent of requests
	targetAverageValue                   // averageValue per pod, milli-units
	targetValue                          // value of the whole metric, milli-units
	targetInvalid                        // neither: the metric fails at every sync
)

// metricSource is one entry of spec.metrics, compiled.
type metricSource struct {
	typ autoscalingv2.MetricSourceType
	// Resource and ContainerResource.
	resource  corev1.ResourceName
	container string
	// Pods, Object and External: the metric's name; selectorErr is set when its selector does
	// not parse, which fails the metric at every sync as upstream's
	// metav1.LabelSelectorAsSelector call does.
	metricName  string
	selectorErr error
	object      autoscalingv2.CrossVersionObjectReference // Object: the described object

	target            targetKind
	targetUtilization int32 // percent
	targetMilli       int64 // averageValue or value, Quantity.MilliValue (rounded up)

	// name is how events and conditions name the metric (horizontal.go:
	// computeStatusFor*Metric), e.g. "cpu resource utilization (percentage of request)"; built
	// once here rather than at every sync. failReason is its ScalingActive reason on failure.
	name       string
	failReason string
}

// cpuRules reports whether the CPU readiness rules apply (replica_calculator.go: groupPods
// checks resource == cpu, which holds for Resource and ContainerResource cpu metrics only).
func (m *metricSource) cpuRules() bool { return m.resource == corev1.ResourceCPU }

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
	SetDefaults(spec)
	if err := validateSpec(spec); err != nil {
		return compiledSpec{}, err
	}

	c := compiledSpec{
		namespace:   h.Namespace,
		minReplicas: *spec.MinReplicas,
		maxReplicas: spec.MaxReplicas,
		metricSpecs: spec.Metrics,
		tolerances:  tolerances{down: opts.Tolerance, up: opts.Tolerance},
	}
	if c.namespace == "" {
		c.namespace = metav1.NamespaceDefault
	}
	for i := range spec.Metrics {
		m := compileMetric(&spec.Metrics[i])
		c.hasObjectOrExternal = c.hasObjectOrExternal ||
			m.typ == autoscalingv2.ObjectMetricSourceType || m.typ == autoscalingv2.ExternalMetricSourceType
		c.metrics = append(c.metrics, m)
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

// compileMetric compiles one validated metric, deciding its target as the controller does
// (horizontal.go: computeStatusForResourceMetricGeneric reads the target's pointers;
// computeStatusForObjectMetric reads target.type; computeStatusForExternalMetric tries
// averageValue first).
func compileMetric(m *autoscalingv2.MetricSpec) metricSource {
	ms := metricSource{typ: m.Type, target: targetInvalid}
	resourceTarget := func(t *autoscalingv2.MetricTarget) {
		switch {
		case t.AverageValue != nil:
			ms.target, ms.targetMilli = targetAverageValue, t.AverageValue.MilliValue()
		case t.AverageUtilization != nil:
			ms.target, ms.targetUtilization = targetUtilization, *t.AverageUtilization
		}
	}
	selector := func(id *autoscalingv2.MetricIdentifier) {
		ms.metricName = id.Name
		if id.Selector == nil {
			return
		}
		_, ms.selectorErr = metav1.LabelSelectorAsSelector(id.Selector)
	}
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		ms.resource = m.Resource.Name
		resourceTarget(&m.Resource.Target)
		ms.failReason = ReasonFailedGetResourceMetric
		ms.name = string(ms.resource) + " resource"
		if ms.target == targetUtilization {
			ms.name = string(ms.resource) + " resource utilization (percentage of request)"
		}
	case autoscalingv2.ContainerResourceMetricSourceType:
		ms.resource, ms.container = m.ContainerResource.Name, m.ContainerResource.Container
		resourceTarget(&m.ContainerResource.Target)
		ms.failReason = ReasonFailedGetContainerResourceMetric
		ms.name = string(ms.resource) + " resource"
		if ms.target == targetUtilization {
			ms.name = string(ms.resource) + " container resource utilization (percentage of request)"
		}
	case autoscalingv2.PodsMetricSourceType:
		selector(&m.Pods.Metric)
		ms.target, ms.targetMilli = targetAverageValue, m.Pods.Target.AverageValue.MilliValue()
		ms.failReason = ReasonFailedGetPodsMetric
		ms.name = "pods metric " + ms.metricName
	case autoscalingv2.ObjectMetricSourceType:
		selector(&m.Object.Metric)
		ms.object = m.Object.DescribedObject
		t := &m.Object.Target
		switch {
		case t.Type == autoscalingv2.ValueMetricType && t.Value != nil:
			ms.target, ms.targetMilli = targetValue, t.Value.MilliValue()
			ms.name = fmt.Sprintf("%s metric %s", ms.object.Kind, ms.metricName)
		case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
			ms.target, ms.targetMilli = targetAverageValue, t.AverageValue.MilliValue()
			// Upstream names it so, "external" included.
			ms.name = fmt.Sprintf("external metric %s(%+v)", ms.metricName, m.Object.Metric.Selector)
		}
		ms.failReason = ReasonFailedGetObjectMetric
	case autoscalingv2.ExternalMetricSourceType:
		selector(&m.External.Metric)
		t := &m.External.Target
		switch {
		case t.AverageValue != nil:
			ms.target, ms.targetMilli = targetAverageValue, t.AverageValue.MilliValue()
		case t.Value != nil:
			ms.target, ms.targetMilli = targetValue, t.Value.MilliValue()
		}
		ms.failReason = ReasonFailedGetExternalMetric
		ms.name = fmt.Sprintf("external metric %s(%+v)", ms.metricName, m.External.Metric.Selector)
	}
	return ms
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

// SetDefaults applies the API server's defaults to an HPA spec
// (pkg/apis/autoscaling/v2/defaults.go: SetDefaults_HorizontalPodAutoscaler): minReplicas 1, a
// cpu Utilization 80% metric when there is none, and, only when behavior is present, the
// scale-up and scale-down rules for every field left unset (the scale-down window stays nil
// for the controller to fill from its flag). New applies it; the scenario loader too, so that
// what a user loads is what the HPA runs.
func SetDefaults(spec *autoscalingv2.HorizontalPodAutoscalerSpec) {
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
// (pkg/apis/autoscaling/validation/validation.go: validateHorizontalPodAutoscalerSpec). All
// problems are reported, one per line.
func validateSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}

	validateObjectRef(&spec.ScaleTargetRef, "spec.scaleTargetRef", bad)
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
	for i := range spec.Metrics {
		m := &spec.Metrics[i]
		validateMetricSpec(m, fmt.Sprintf("spec.metrics[%d]", i), bad)
		hasObjectOrExternal = hasObjectOrExternal ||
			m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType
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

type badFunc = func(path, format string, args ...any)

// validateMetricSpec is validation.go: validateMetricSpec and the per-source checks.
func validateMetricSpec(m *autoscalingv2.MetricSpec, path string, bad badFunc) {
	present := 0
	for _, set := range []bool{m.Resource != nil, m.ContainerResource != nil, m.Pods != nil, m.Object != nil, m.External != nil} {
		if set {
			present++
		}
	}
	required := func(field string) {
		bad(path+"."+field, "required: must populate information for the given metric source")
	}
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		if m.Resource == nil {
			required("resource")
			return
		}
		if m.Resource.Name == "" {
			bad(path+".resource.name", "required: must specify a resource name")
		}
		validateResourceTarget(&m.Resource.Target, path+".resource.target", bad)
	case autoscalingv2.ContainerResourceMetricSourceType:
		src := m.ContainerResource
		if src == nil {
			required("containerResource")
			return
		}
		p := path + ".containerResource"
		if src.Name == "" {
			bad(p+".name", "required: must specify a resource name")
		} else if !isContainerResourceName(src.Name) {
			bad(p+".name", "%q: must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-*) or an extended resource (domain/name)", src.Name)
		}
		if src.Container == "" {
			bad(p+".container", "required: must specify a container")
		} else if msgs := validation.IsDNS1123Label(src.Container); len(msgs) > 0 {
			bad(p+".container", "%q: %s", src.Container, strings.Join(msgs, "; "))
		}
		validateResourceTarget(&src.Target, p+".target", bad)
	case autoscalingv2.PodsMetricSourceType:
		if m.Pods == nil {
			required("pods")
			return
		}
		p := path + ".pods"
		validateMetricIdentifier(&m.Pods.Metric, p+".metric", bad)
		validateMetricTarget(&m.Pods.Target, p+".target", bad)
		if m.Pods.Target.AverageValue == nil {
			bad(p+".target.averageValue", "required: must specify a positive target averageValue")
		}
	case autoscalingv2.ObjectMetricSourceType:
		if m.Object == nil {
			required("object")
			return
		}
		p := path + ".object"
		validateObjectRef(&m.Object.DescribedObject, p+".describedObject", bad)
		validateMetricIdentifier(&m.Object.Metric, p+".metric", bad)
		validateMetricTarget(&m.Object.Target, p+".target", bad)
		if m.Object.Target.Value == nil && m.Object.Target.AverageValue == nil {
			bad(p+".target.averageValue", "required: must set either a target value or averageValue")
		}
	case autoscalingv2.ExternalMetricSourceType:
		if m.External == nil {
			required("external")
			return
		}
		p := path + ".external"
		validateMetricIdentifier(&m.External.Metric, p+".metric", bad)
		t := &m.External.Target
		validateMetricTarget(t, p+".target", bad)
		if t.Value == nil && t.AverageValue == nil {
			bad(p+".target.averageValue", "required: must set either a target value for metric or a per-pod target")
		}
		if t.Value != nil && t.AverageValue != nil {
			bad(p+".target.value", "forbidden: may not set both a target value for metric and a per-pod target")
		}
	case "":
		bad(path+".type", "required: must specify a metric source type")
		return
	default:
		bad(path+".type", "unsupported value %q: supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\"", m.Type)
		return
	}
	if present != 1 {
		bad(path, "forbidden: must populate the given metric source (%s) only", m.Type)
	}
}

// validateResourceTarget is validateMetricTarget plus the Resource and ContainerResource rule:
// exactly one of averageUtilization and averageValue.
func validateResourceTarget(t *autoscalingv2.MetricTarget, path string, bad badFunc) {
	validateMetricTarget(t, path, bad)
	if t.AverageUtilization == nil && t.AverageValue == nil {
		bad(path+".averageUtilization", "required: must set either a target raw value or a target utilization")
	}
	if t.AverageUtilization != nil && t.AverageValue != nil {
		bad(path+".averageValue", "forbidden: may not set both a target raw value and a target utilization")
	}
}

func validateMetricTarget(t *autoscalingv2.MetricTarget, path string, bad badFunc) {
	switch t.Type {
	case autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType:
	case "":
		bad(path+".type", "required: must specify a metric target type")
	default:
		bad(path+".type", "invalid value %q: must be either Utilization, Value, or AverageValue", t.Type)
	}
	if t.Value != nil && t.Value.Sign() != 1 {
		bad(path+".value", "must be positive, got %s", t.Value)
	}
	if t.AverageValue != nil && t.AverageValue.Sign() != 1 {
		bad(path+".averageValue", "must be positive, got %s", t.AverageValue)
	}
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		bad(path+".averageUtilization", "must be greater than 0, got %d", *t.AverageUtilization)
	}
}

func validateMetricIdentifier(id *autoscalingv2.MetricIdentifier, path string, bad badFunc) {
	if id.Name == "" {
		bad(path+".name", "required: must specify a metric name")
	} else if msg := pathSegmentProblem(id.Name); msg != "" {
		bad(path+".name", "%q: %s", id.Name, msg)
	}
}

func validateObjectRef(ref *autoscalingv2.CrossVersionObjectReference, path string, bad badFunc) {
	if ref.Kind == "" {
		bad(path+".kind", "required")
	} else if msg := pathSegmentProblem(ref.Kind); msg != "" {
		bad(path+".kind", "%q: %s", ref.Kind, msg)
	}
	if ref.Name == "" {
		bad(path+".name", "required")
	} else if msg := pathSegmentProblem(ref.Name); msg != "" {
		bad(path+".name", "%q: %s", ref.Name, msg)
	}
}

// pathSegmentProblem says why name cannot be one segment of a URL path, as upstream's HPA
// validation checks metric and object names (apimachinery's IsPathSegmentName), or "".
func pathSegmentProblem(name string) string {
	return strings.Join(content.IsPathSegmentName(name), "; ")
}

// isContainerResourceName is core validation's ValidateContainerResourceName, simplified: the
// standard container resources, hugepages, and extended resources (a domain-qualified name).
func isContainerResourceName(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage:
		return true
	}
	s := string(name)
	return strings.HasPrefix(s, corev1.ResourceHugePagesPrefix) ||
		(strings.Contains(s, "/") && !strings.HasPrefix(s, "kubernetes.io/") && !strings.HasPrefix(s, "requests."))
}

func validateRules(r *autoscalingv2.HPAScalingRules, path string, bad badFunc) {
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
