package scenario

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"ksim.dev/ksim/autoscaler/hpa"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"ksim.dev/ksim/internal/suggest"
)

// validate checks, defaults and keeps one decoded object. The checks are those the API server
// would make that the simulator relies on, plus what this version of ksim supports; each message
// says what is allowed.
func (l *loader) validate(o *object) {
	l.validateMeta(o)
	sc := l.sc
	switch obj := o.obj.(type) {
	case *corev1.Node:
		l.validateNode(o, obj)
		if !l.inEvent {
			sc.Nodes = append(sc.Nodes, obj)
		}
	case *corev1.Namespace:
		sc.Namespaces = append(sc.Namespaces, obj)
	case *schedulingv1.PriorityClass:
		l.validatePriorityClass(o, obj)
		sc.PriorityClasses = append(sc.PriorityClasses, obj)
	case *appsv1.Deployment:
		l.validateDeployment(o, obj)
		sc.Deployments = append(sc.Deployments, obj)
	case *appsv1.DaemonSet:
		l.validateDaemonSet(o, obj)
		sc.DaemonSets = append(sc.DaemonSets, obj)
	case *batchv1.Job:
		l.validateJob(o, obj)
		sc.Jobs = append(sc.Jobs, obj)
	case *corev1.Pod:
		l.validatePod(o, obj)
		sc.Pods = append(sc.Pods, obj)
	case *autoscalingv2.HorizontalPodAutoscaler:
		l.validateHPA(o, obj)
		sc.HPAs = append(sc.HPAs, obj)
	case *policyv1.PodDisruptionBudget:
		l.validatePDB(o, obj) // pdb.go
		sc.PodDisruptionBudgets = append(sc.PodDisruptionBudgets, obj)
	}
}

func (l *loader) validateMeta(o *object) {
	m := o.obj
	if o.key.kind == "Namespace" {
		for _, msg := range content.IsDNS1123Label(m.GetName()) {
			l.errAt(o.src, "metadata.name", "%s is not a valid Namespace name: %s", quoteShort(m.GetName()), msg)
		}
	} else {
		for _, msg := range content.IsDNS1123Subdomain(m.GetName()) {
			l.errAt(o.src, "metadata.name", "%s is not a valid name: %s", quoteShort(m.GetName()), msg)
		}
	}
	if o.key.ns != "" {
		for _, msg := range content.IsDNS1123Label(o.key.ns) {
			l.errAt(o.src, "metadata.namespace", "%s is not a valid namespace: %s", quoteShort(o.key.ns), msg)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.GetLabels())) {
		for _, msg := range content.IsLabelKey(k) {
			l.errAt(o.src, "metadata.labels."+k, "%s is not a valid label key: %s", quoteShort(k), msg)
		}
		for _, msg := range content.IsLabelValue(m.GetLabels()[k]) {
			l.errAt(o.src, "metadata.labels."+k, "%s is not a valid label value: %s", quoteShort(m.GetLabels()[k]), msg)
		}
	}
}

// resourceList checks that every quantity in rl is non-negative.
func (l *loader) resourceList(o *object, field string, rl corev1.ResourceList) {
	for _, name := range slices.Sorted(maps.Keys(rl)) {
		q := rl[name]
		if q.Sign() < 0 {
			l.errAt(o.src, field+"."+string(name), "must not be negative, got %s", q.String())
		}
	}
}

func (l *loader) validateNode(o *object, n *corev1.Node) {
	l.resourceList(o, "status.capacity", n.Status.Capacity)
	l.resourceList(o, "status.allocatable", n.Status.Allocatable)
	for _, name := range slices.Sorted(maps.Keys(n.Status.Allocatable)) {
		a := n.Status.Allocatable[name]
		if c, ok := n.Status.Capacity[name]; ok && a.Cmp(c) > 0 {
			l.errAt(o.src, "status.allocatable."+string(name), "%s exceeds status.capacity.%s %s; allocatable is what remains of capacity after system reservations", a.String(), name, c.String())
		}
	}
	defaultNode(n)
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := n.Status.Allocatable[r]; !ok {
			l.errAt(o.src, "status", "capacity.%s is required: a Node needs cpu and memory, e.g. status: {capacity: {cpu: \"4\", memory: 16Gi}} (allocatable defaults to capacity)", r)
		}
	}
	for i, t := range n.Spec.Taints {
		l.validateTaint(o.src, fmt.Sprintf("spec.taints[%d]", i), t)
	}
}

var taintEffects = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}

func (l *loader) validateTaint(src objSrc, field string, t corev1.Taint) {
	for _, msg := range content.IsLabelKey(t.Key) {
		l.errAt(src, field+".key", "%s is not a valid taint key: %s", quoteShort(t.Key), msg)
	}
	for _, msg := range content.IsLabelValue(t.Value) {
		l.errAt(src, field+".value", "%s is not a valid taint value: %s", quoteShort(t.Value), msg)
	}
	if !slices.Contains(taintEffects, t.Effect) {
		l.errAt(src, field+".effect", "%s is not a taint effect; allowed: NoSchedule, PreferNoSchedule, NoExecute", quoteShort(string(t.Effect)))
	}
}

func (l *loader) validatePriorityClass(o *object, pc *schedulingv1.PriorityClass) {
	if builtin, ok := systemPriorityClasses[pc.Name]; ok {
		if pc.Value != builtin {
			l.errAt(o.src, "value", "%s is a built-in class with value %d, got %d", pc.Name, builtin, pc.Value)
		}
	} else if strings.HasPrefix(pc.Name, "system-") {
		l.errAt(o.src, "metadata.name", "names starting with system- are reserved; the built-in classes are system-cluster-critical and system-node-critical")
	} else if pc.Value > highestUserPriority {
		l.errAt(o.src, "value", "must be at most %d (larger values are reserved for system classes), got %d", highestUserPriority, pc.Value)
	}
	if pc.PreemptionPolicy == nil {
		pc.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	} else if p := *pc.PreemptionPolicy; p != corev1.PreemptLowerPriority && p != corev1.PreemptNever {
		l.errAt(o.src, "preemptionPolicy", "%s is not supported; allowed: PreemptLowerPriority, Never", quoteShort(string(p)))
	}
	if pc.GlobalDefault {
		if l.defaultPC != nil {
			l.errAt(o.src, "globalDefault", "only one PriorityClass may be the global default; %s already is (%s)", l.defaultPC.key.name, l.defaultPC.src.where("globalDefault"))
		} else {
			l.defaultPC = o
		}
	}
}

const highestUserPriority = 1_000_000_000

// systemPriorityClasses are the classes every cluster has (k8s.io/kubernetes pkg/apis/scheduling
// SystemPriorityClasses).
var systemPriorityClasses = map[string]int32{
	"system-cluster-critical": 2 * highestUserPriority,
	"system-node-critical":    2*highestUserPriority + 1000,
}

// selector checks a workload's selector against its template's labels, as apps/v1 validation
// does.
func (l *loader) selector(o *object, sel *metav1.LabelSelector, tmplLabels map[string]string) {
	if sel == nil {
		l.errAt(o.src, "spec", "selector is required in apps/v1: it must select the template's labels, e.g. selector: {matchLabels: {app: web}} with template.metadata.labels: {app: web}")
		return
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		l.errAt(o.src, "spec.selector", "%v", err)
		return
	}
	if s.Empty() {
		l.errAt(o.src, "spec.selector", "must not be empty: an empty selector would select every pod in the namespace")
		return
	}
	if !s.Matches(labels.Set(tmplLabels)) {
		l.errAt(o.src, "spec.selector", "does not match spec.template.metadata.labels (selector %s, template labels {%s}); the selector must select the template's pods", s.String(), labels.Set(tmplLabels).String())
	}
}

func (l *loader) validateDeployment(o *object, d *appsv1.Deployment) {
	if r := d.Spec.Replicas; r != nil && *r < 0 {
		l.errAt(o.src, "spec.replicas", "must be 0 or more, got %d", *r)
	}
	l.selector(o, d.Spec.Selector, d.Spec.Template.Labels)
	defaultDeployment(d)
	l.podSpec(o, "spec.template.spec", &d.Spec.Template.Spec, restartAlways)
	l.timing(o, &d.Spec.Template.Spec)
	l.podOwners = append(l.podOwners, podOwner{o, "spec.template.spec", &d.Spec.Template.Spec})
}

func (l *loader) validateDaemonSet(o *object, d *appsv1.DaemonSet) {
	l.selector(o, d.Spec.Selector, d.Spec.Template.Labels)
	defaultDaemonSet(d)
	l.podSpec(o, "spec.template.spec", &d.Spec.Template.Spec, restartAlways)
	l.timing(o, &d.Spec.Template.Spec)
	l.podOwners = append(l.podOwners, podOwner{o, "spec.template.spec", &d.Spec.Template.Spec})
}

func (l *loader) validateJob(o *object, j *batchv1.Job) {
	if p := j.Spec.Parallelism; p != nil && *p < 0 {
		l.errAt(o.src, "spec.parallelism", "must be 0 or more, got %d", *p)
	}
	if c := j.Spec.Completions; c != nil && *c < 0 {
		l.errAt(o.src, "spec.completions", "must be 0 or more, got %d", *c)
	}
	if b := j.Spec.BackoffLimit; b != nil && *b < 0 {
		l.errAt(o.src, "spec.backoffLimit", "must be 0 or more, got %d", *b)
	}
	if a := j.Spec.ActiveDeadlineSeconds; a != nil && *a <= 0 {
		l.errAt(o.src, "spec.activeDeadlineSeconds", "must be greater than 0, got %d", *a)
	}
	defaultJob(j)
	l.podSpec(o, "spec.template.spec", &j.Spec.Template.Spec, restartNotAlways)
	l.timing(o, &j.Spec.Template.Spec)
	l.podOwners = append(l.podOwners, podOwner{o, "spec.template.spec", &j.Spec.Template.Spec})
}

func (l *loader) validatePod(o *object, p *corev1.Pod) {
	for i, ref := range p.OwnerReferences {
		if ref.Controller != nil && *ref.Controller {
			l.errAt(o.src, fmt.Sprintf("metadata.ownerReferences[%d]", i),
				"this Pod belongs to %s %s, and ksim creates controllers' pods itself: drop the Pod (keep its controller), or drop its ownerReferences to simulate it as a bare Pod", ref.Kind, ref.Name)
		}
	}
	l.podSpec(o, "spec", &p.Spec, restartAny)
	l.timing(o, &p.Spec)
	l.podOwners = append(l.podOwners, podOwner{o, "spec", &p.Spec})
}

type restartRule int

const (
	restartAny       restartRule = iota // bare Pod
	restartAlways                       // Deployment, DaemonSet
	restartNotAlways                    // Job
)

var tolerationOps = []corev1.TolerationOperator{"", corev1.TolerationOpExists, corev1.TolerationOpEqual}

// podSpec validates a pod spec at field, then applies DefaultPod.
func (l *loader) podSpec(o *object, field string, spec *corev1.PodSpec, rule restartRule) {
	if len(spec.Containers) == 0 {
		l.errAt(o.src, field, "containers: at least one container is required, e.g. containers: [{name: app, image: app:1, resources: {requests: {cpu: 500m, memory: 256Mi}}}]")
	}
	names := map[string]string{}
	check := func(list string, cs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			cf := fmt.Sprintf("%s.%s[%d]", field, list, i)
			if c.Name == "" {
				l.errAt(o.src, cf, "name is required")
			} else if first, dup := names[c.Name]; dup {
				l.errAt(o.src, cf+".name", "duplicate container name %s (also %s); names are unique across containers and initContainers", quoteShort(c.Name), first)
			} else {
				names[c.Name] = cf
			}
			l.resources(o, cf+".resources", &c.Resources)
			if p := c.ReadinessProbe; p != nil && p.InitialDelaySeconds < 0 {
				l.errAt(o.src, cf+".readinessProbe.initialDelaySeconds", "must be 0 or more, got %d", p.InitialDelaySeconds)
			}
		}
	}
	check("initContainers", spec.InitContainers)
	check("containers", spec.Containers)
	if spec.Resources != nil {
		l.resources(o, field+".resources", spec.Resources)
	}
	l.resourceList(o, field+".overhead", spec.Overhead)
	for i, t := range spec.Tolerations {
		tf := fmt.Sprintf("%s.tolerations[%d]", field, i)
		switch {
		case !slices.Contains(tolerationOps, t.Operator):
			l.errAt(o.src, tf+".operator", "%s is not supported; allowed: Exists, Equal (the default)", quoteShort(string(t.Operator)))
		case t.Operator == corev1.TolerationOpExists && t.Value != "":
			l.errAt(o.src, tf+".value", "must be empty when operator is Exists")
		case t.Key == "" && t.Operator != corev1.TolerationOpExists:
			l.errAt(o.src, tf+".operator", "must be Exists when key is empty (an empty key with Exists tolerates every taint)")
		}
		if t.Effect != "" && !slices.Contains(taintEffects, t.Effect) {
			l.errAt(o.src, tf+".effect", "%s is not a taint effect; allowed: NoSchedule, PreferNoSchedule, NoExecute, or empty for all", quoteShort(string(t.Effect)))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			l.errAt(o.src, tf+".tolerationSeconds", "only applies to effect NoExecute")
		}
	}
	switch rp := spec.RestartPolicy; {
	case rp != "" && rp != corev1.RestartPolicyAlways && rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever:
		l.errAt(o.src, field+".restartPolicy", "%s is not supported; allowed: Always, OnFailure, Never", quoteShort(string(rp)))
	case rule == restartAlways && rp != "" && rp != corev1.RestartPolicyAlways:
		l.errAt(o.src, field+".restartPolicy", "must be Always (the default) for a %s, got %s", o.key.kind, rp)
	case rule == restartNotAlways && rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure:
		l.errAt(o.src, field+".restartPolicy", "a Job's pods must have restartPolicy Never or OnFailure (the API server rejects Always, the default)")
	}
	DefaultPod(spec)
	// Requests may not exceed limits; checked after defaulting, as the API server does.
	check2 := func(rf string, r *corev1.ResourceRequirements) {
		for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
			req := r.Requests[name]
			if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
				l.errAt(o.src, rf+".requests."+string(name), "%s exceeds limits.%s %s; a request may not exceed its limit", req.String(), name, lim.String())
			}
		}
	}
	for i := range spec.InitContainers {
		check2(fmt.Sprintf("%s.initContainers[%d].resources", field, i), &spec.InitContainers[i].Resources)
	}
	for i := range spec.Containers {
		check2(fmt.Sprintf("%s.containers[%d].resources", field, i), &spec.Containers[i].Resources)
	}
}

func (l *loader) resources(o *object, field string, r *corev1.ResourceRequirements) {
	l.resourceList(o, field+".requests", r.Requests)
	l.resourceList(o, field+".limits", r.Limits)
}

// timing resolves the PodTiming of a workload: Defaults, then readinessProbe.initialDelaySeconds
// of the first container that has a readiness probe, then the ksim.dev/* annotations.
func (l *loader) timing(o *object, spec *corev1.PodSpec) {
	t := l.sc.Defaults
	for _, c := range spec.Containers {
		if c.ReadinessProbe != nil {
			t.ReadinessDelay = time.Duration(c.ReadinessProbe.InitialDelaySeconds) * time.Second
			break
		}
	}
	ann := o.obj.GetAnnotations()
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		if !strings.HasPrefix(k, annotationPrefix) {
			continue
		}
		field := "metadata.annotations." + k
		var dst *time.Duration
		positive := false
		switch k {
		case AnnotationStartupLatency:
			dst = &t.StartupLatency
		case AnnotationReadinessDelay:
			dst = &t.ReadinessDelay
		case AnnotationTerminationDelay:
			dst = &t.TerminationDelay
		case AnnotationTaskDuration:
			if o.key.kind != "Job" {
				l.errAt(o.src, field, "applies to Jobs only (the time a Job's pod runs before it succeeds)")
				continue
			}
			dst, positive = &t.TaskDuration, true
		default:
			l.errAt(o.src, field, "unknown ksim annotation; allowed: %s, %s, %s, %s", AnnotationStartupLatency, AnnotationReadinessDelay, AnnotationTerminationDelay, AnnotationTaskDuration)
			continue
		}
		v, msg := duration{text: ann[k], set: true}.parse(positive)
		if msg != "" {
			l.errAt(o.src, field, "%s", msg)
			continue
		}
		*dst = v
	}
	l.sc.Timing[Ref{Kind: o.key.kind, Namespace: o.key.ns, Name: o.key.name}.String()] = t
}

const annotationPrefix = "ksim.dev/"

func (l *loader) validateHPA(o *object, h *autoscalingv2.HorizontalPodAutoscaler) {
	s := &h.Spec
	if m := s.MinReplicas; m != nil {
		switch {
		case *m < 0:
			l.errAt(o.src, "spec.minReplicas", "must be 1 or more, got %d", *m)
		case *m == 0:
			// HPAScaleToZero (beta, on in v1.37): allowed when some metric is Object or External.
			zeroOK := false
			for _, mt := range s.Metrics {
				zeroOK = zeroOK || mt.Type == autoscalingv2.ObjectMetricSourceType || mt.Type == autoscalingv2.ExternalMetricSourceType
			}
			if !zeroOK {
				l.errAt(o.src, "spec.minReplicas", "0 (scale to zero) needs at least one Object or External metric; use 1 or more")
			}
		}
	}
	switch {
	case s.MaxReplicas < 1:
		l.errAt(o.src, "spec.maxReplicas", "required, and must be 1 or more, got %d", s.MaxReplicas)
	case s.MinReplicas != nil && s.MaxReplicas < *s.MinReplicas:
		l.errAt(o.src, "spec.maxReplicas", "%d is less than spec.minReplicas %d; maxReplicas must be at least minReplicas", s.MaxReplicas, *s.MinReplicas)
	}
	ref := s.ScaleTargetRef
	switch {
	case ref.Kind != "Deployment":
		l.errAt(o.src, "spec.scaleTargetRef.kind", "%s is not supported yet; an HPA scales a Deployment (kind: Deployment, apiVersion: apps/v1)", quoteShort(ref.Kind))
	case ref.APIVersion != "apps/v1":
		l.errAt(o.src, "spec.scaleTargetRef.apiVersion", "%s is not supported; want apps/v1", quoteShort(ref.APIVersion))
	case ref.Name == "":
		l.errAt(o.src, "spec.scaleTargetRef.name", "required: the name of a Deployment in namespace %s", o.key.ns)
	}
	for i := range s.Metrics {
		l.metric(o, fmt.Sprintf("spec.metrics[%d]", i), &s.Metrics[i])
	}
	if b := s.Behavior; b != nil {
		l.scalingRules(o, "spec.behavior.scaleUp", b.ScaleUp)
		l.scalingRules(o, "spec.behavior.scaleDown", b.ScaleDown)
	}
	hpa.SetDefaults(&h.Spec) // as the API server does; the engine's HPA runs this very spec
}

func (l *loader) metric(o *object, field string, m *autoscalingv2.MetricSpec) {
	present := map[string]bool{"pods": m.Pods != nil, "object": m.Object != nil, "external": m.External != nil, "containerResource": m.ContainerResource != nil, "resource": m.Resource != nil}
	want := map[autoscalingv2.MetricSourceType]string{
		autoscalingv2.ResourceMetricSourceType:          "resource",
		autoscalingv2.ContainerResourceMetricSourceType: "containerResource",
		autoscalingv2.PodsMetricSourceType:              "pods",
		autoscalingv2.ObjectMetricSourceType:            "object",
		autoscalingv2.ExternalMetricSourceType:          "external",
	}[m.Type]
	if want == "" {
		l.errAt(o.src, field+".type", "%s is not a metric type; allowed: Resource, ContainerResource, Pods, Object, External", quoteShort(string(m.Type)))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(present)) {
		if present[k] && k != want {
			l.errAt(o.src, field+"."+k, "must not be set for type: %s; set %s only", m.Type, want)
		}
	}
	if !present[want] {
		l.errAt(o.src, field, "%s is required for type: %s", want, m.Type)
		return
	}
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		l.resourceTarget(o, field+".resource", m.Resource.Name, m.Resource.Target)
	case autoscalingv2.ContainerResourceMetricSourceType:
		if m.ContainerResource.Container == "" {
			l.errAt(o.src, field+".containerResource.container", "required: the name of the container whose usage counts")
		}
		l.resourceTarget(o, field+".containerResource", m.ContainerResource.Name, m.ContainerResource.Target)
	case autoscalingv2.PodsMetricSourceType:
		l.metricName(o, field+".pods.metric.name", m.Pods.Metric.Name)
		l.valueTarget(o, field+".pods.target", m.Pods.Target, autoscalingv2.AverageValueMetricType)
	case autoscalingv2.ObjectMetricSourceType:
		l.metricName(o, field+".object.metric.name", m.Object.Metric.Name)
		if d := m.Object.DescribedObject; d.Kind == "" || d.Name == "" {
			l.errAt(o.src, field+".object.describedObject", "kind and name are required: the object the metric describes, e.g. {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}")
		}
		l.valueTarget(o, field+".object.target", m.Object.Target, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType)
	case autoscalingv2.ExternalMetricSourceType:
		l.metricName(o, field+".external.metric.name", m.External.Metric.Name)
		l.valueTarget(o, field+".external.target", m.External.Target, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType)
	}
}

func (l *loader) metricName(o *object, field, name string) {
	if name == "" {
		l.errAt(o.src, field, "required: the metric's name, e.g. requests_per_second")
	}
}

// resourceTarget checks a Resource or ContainerResource metric: cpu or memory, with a
// Utilization or AverageValue target.
func (l *loader) resourceTarget(o *object, field string, name corev1.ResourceName, t autoscalingv2.MetricTarget) {
	if name != corev1.ResourceCPU && name != corev1.ResourceMemory {
		l.errAt(o.src, field+".name", "%s is not supported; allowed: cpu, memory", quoteShort(string(name)))
	}
	tf := field + ".target"
	switch t.Type {
	case autoscalingv2.UtilizationMetricType:
		if t.AverageUtilization == nil || *t.AverageUtilization <= 0 {
			l.errAt(o.src, tf+".averageUtilization", "required for type Utilization, and must be greater than 0 (a percentage of the pods' requests)")
		}
		if t.AverageValue != nil || t.Value != nil {
			l.errAt(o.src, tf, "set only averageUtilization for type Utilization")
		}
	case autoscalingv2.AverageValueMetricType:
		if t.AverageValue == nil || t.AverageValue.Sign() <= 0 {
			l.errAt(o.src, tf+".averageValue", "required for type AverageValue, and must be greater than 0 (per pod, e.g. 500m)")
		}
		if t.AverageUtilization != nil || t.Value != nil {
			l.errAt(o.src, tf, "set only averageValue for type AverageValue")
		}
	case autoscalingv2.ValueMetricType:
		l.errAt(o.src, tf+".type", "Value is not allowed for resource metrics; use Utilization or AverageValue")
	default:
		l.errAt(o.src, tf+".type", "%s is not a target type; allowed for resource metrics: Utilization, AverageValue", quoteShort(string(t.Type)))
	}
}

// valueTarget checks a Pods, Object or External metric's target against the types allowed.
func (l *loader) valueTarget(o *object, field string, t autoscalingv2.MetricTarget, allowed ...autoscalingv2.MetricTargetType) {
	if !slices.Contains(allowed, t.Type) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		l.errAt(o.src, field+".type", "%s is not allowed here; allowed: %s", quoteShort(string(t.Type)), strings.Join(names, ", "))
		return
	}
	q := t.Value
	if t.Type == autoscalingv2.AverageValueMetricType {
		q = t.AverageValue
	}
	if q == nil || q.Sign() <= 0 {
		l.errAt(o.src, field, "type %s needs a %s greater than 0", t.Type, map[bool]string{true: "averageValue", false: "value"}[t.Type == autoscalingv2.AverageValueMetricType])
	}
	if t.AverageUtilization != nil {
		l.errAt(o.src, field+".averageUtilization", "only resource metrics take averageUtilization")
	}
}

// Limits on scaling rules, from k8s.io/kubernetes pkg/apis/autoscaling/validation.
const (
	maxPolicyPeriodSeconds        = 1800
	maxStabilizationWindowSeconds = 3600
)

func (l *loader) scalingRules(o *object, field string, r *autoscalingv2.HPAScalingRules) {
	if r == nil {
		return
	}
	if w := r.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > maxStabilizationWindowSeconds) {
		l.errAt(o.src, field+".stabilizationWindowSeconds", "must be between 0 and %d, got %d", maxStabilizationWindowSeconds, *w)
	}
	if p := r.SelectPolicy; p != nil && *p != autoscalingv2.MaxChangePolicySelect && *p != autoscalingv2.MinChangePolicySelect && *p != autoscalingv2.DisabledPolicySelect {
		l.errAt(o.src, field+".selectPolicy", "%s is not supported; allowed: Max, Min, Disabled", quoteShort(string(*p)))
	}
	if r.Policies != nil && len(r.Policies) == 0 {
		l.errAt(o.src, field+".policies", "must hold at least one policy (or leave it out for the defaults)")
	}
	for i, p := range r.Policies {
		pf := fmt.Sprintf("%s.policies[%d]", field, i)
		if p.Type != autoscalingv2.PodsScalingPolicy && p.Type != autoscalingv2.PercentScalingPolicy {
			l.errAt(o.src, pf+".type", "%s is not supported; allowed: Pods, Percent", quoteShort(string(p.Type)))
		}
		if p.Value <= 0 {
			l.errAt(o.src, pf+".value", "must be greater than 0, got %d", p.Value)
		}
		if p.PeriodSeconds <= 0 || p.PeriodSeconds > maxPolicyPeriodSeconds {
			l.errAt(o.src, pf+".periodSeconds", "must be between 1 and %d, got %d", maxPolicyPeriodSeconds, p.PeriodSeconds)
		}
	}
	if t := r.Tolerance; t != nil && t.Sign() < 0 {
		l.errAt(o.src, field+".tolerance", "must not be negative, got %s", t.String())
	}
}

// podOwner is an object with a pod spec (a workload's template, or a bare Pod's spec).
type podOwner struct {
	o     *object
	field string
	spec  *corev1.PodSpec
}

// finishWorkloads checks what needs every workload file read: HPA targets, and the priority of
// every pod (PriorityClasses may come after the pods that name them).
func (l *loader) finishWorkloads() {
	targeted := map[objKey]*object{}
	for _, o := range l.order {
		h, ok := o.obj.(*autoscalingv2.HorizontalPodAutoscaler)
		if !ok {
			continue
		}
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name == "" {
			continue // reported by validateHPA
		}
		key := objKey{kind: "Deployment", ns: o.key.ns, name: ref.Name}
		t, ok := l.objects[key]
		if !ok && l.partial {
			continue
		}
		if !ok {
			l.errAt(o.src, "spec.scaleTargetRef.name", "no Deployment %s in namespace %s%s", quoteShort(ref.Name), o.key.ns, l.suggest(key))
			continue
		}
		if first, dup := targeted[key]; dup {
			l.errAt(o.src, "spec.scaleTargetRef.name", "%s is already scaled by HorizontalPodAutoscaler %s (%s); one HPA per Deployment", key, first.key.name, first.src.where("spec.scaleTargetRef.name"))
			continue
		}
		targeted[key] = o
		if d, ok := t.obj.(*appsv1.Deployment); ok && !t.broken {
			l.hpaNeedsRequests(o, h, t, d)
		}
	}
	for _, po := range l.podOwners {
		l.priority(po)
	}
}

// hpaNeedsRequests reports an HPA with a Utilization target whose pods lack cpu requests: the
// HPA controller cannot compute utilization then ("missing request for cpu"), and never scales.
func (l *loader) hpaNeedsRequests(o *object, h *autoscalingv2.HorizontalPodAutoscaler, t *object, d *appsv1.Deployment) {
	util := false
	for _, m := range h.Spec.Metrics {
		if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
			util = true
		}
	}
	if !util {
		return
	}
	for i, c := range d.Spec.Template.Spec.Containers {
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			l.errAt(t.src, fmt.Sprintf("spec.template.spec.containers[%d].resources", i),
				"HorizontalPodAutoscaler %s scales on cpu utilization, which needs a cpu request in every container; container %s has none (set resources.requests.cpu)", h.Name, quoteShort(c.Name))
			return
		}
	}
}

// priority resolves a pod spec's priority as the Priority admission plugin does
// (k8s.io/kubernetes plugin/pkg/admission/priority): the named class, else the global default
// class, else 0 with PreemptLowerPriority.
func (l *loader) priority(po podOwner) {
	spec := po.spec
	var value int32
	policy := ptr.To(corev1.PreemptLowerPriority)
	name := spec.PriorityClassName
	switch {
	case name == "" && l.defaultPC != nil:
		pc := l.defaultPC.obj.(*schedulingv1.PriorityClass)
		name, value, policy = pc.Name, pc.Value, pc.PreemptionPolicy
	case name == "":
	default:
		o, ok := l.objects[objKey{kind: "PriorityClass", name: name}]
		if builtin, isSystem := systemPriorityClasses[name]; isSystem && !ok {
			value = builtin
			break
		}
		if !ok && l.partial {
			return
		}
		if !ok {
			l.errAt(po.o.src, po.field+".priorityClassName", "no PriorityClass %s in the workloads; define it, or use system-cluster-critical or system-node-critical%s", quoteShort(name), l.suggest(objKey{kind: "PriorityClass", name: name}))
			return
		}
		if o.broken {
			return
		}
		pc := o.obj.(*schedulingv1.PriorityClass)
		value, policy = pc.Value, pc.PreemptionPolicy
	}
	spec.PriorityClassName = name
	if spec.Priority != nil && *spec.Priority != value {
		l.errAt(po.o.src, po.field+".priority", "%d differs from %d, the value of PriorityClass %s; leave priority out (the API server sets it from priorityClassName)", *spec.Priority, value, quoteShort(name))
		return
	}
	spec.Priority = ptr.To(value)
	if policy != nil {
		if spec.PreemptionPolicy != nil && *spec.PreemptionPolicy != *policy {
			l.errAt(po.o.src, po.field+".preemptionPolicy", "%s differs from %s, the policy of PriorityClass %s; leave preemptionPolicy out", *spec.PreemptionPolicy, *policy, quoteShort(name))
			return
		}
		spec.PreemptionPolicy = policy
	}
}

// suggest names objects of the same kind that key may have meant.
func (l *loader) suggest(key objKey) string {
	var same []string
	for _, o := range l.order {
		if o.key.kind == key.kind && o.key.ns == key.ns && o.key.name != "" {
			same = append(same, o.key.name)
		}
	}
	if len(same) == 0 {
		if key.ns != "" {
			return fmt.Sprintf(" (there is no %s in that namespace)", key.kind)
		}
		return fmt.Sprintf(" (there is no %s)", key.kind)
	}
	if s := suggest.Closest(key.name, same); s != "" {
		return fmt.Sprintf("; did you mean %s?", quoteShort(s))
	}
	return fmt.Sprintf(" (have: %s)", listShort(same, 8))
}

// listShort joins at most n names, noting how many more there are.
func listShort(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", and %d more", len(names)-n)
}

// String returns "Kind/namespace/name", the key of Scenario.Timing.
func (r Ref) String() string {
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}
