package scenario

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/utils/ptr"
)

// DefaultTolerationSeconds is how long a pod stays bound to a node that became not-ready or
// unreachable, unless it says otherwise (kube-apiserver --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds).
const DefaultTolerationSeconds = 300

// DefaultPod applies to spec what the API server does to a Pod's spec when the Pod is created, as
// far as the simulator depends on it. Load applies it to every pod template and bare Pod; the
// engine may apply it again to the pods it creates (it is idempotent). Cost: O(containers ×
// resources + tolerations).
//
//   - restartPolicy defaults to Always and schedulerName to default-scheduler
//     (k8s.io/kubernetes pkg/apis/core/v1 SetDefaults_PodSpec).
//   - In every container and init container, each resource that has a limit but no request gets a
//     request equal to the limit (SetDefaults_Pod).
//   - Pod-level resources (spec.resources, PodLevelResources): when limits are set, each of cpu
//     and memory without a pod-level request gets the sum of the containers' requests if any
//     container requests it, else the pod-level limit (defaultPodRequests, which v1.37 runs at
//     creation under PodLevelResourcesFixDefaulting). Hugepages limits are not defaulted.
//   - The DefaultTolerationSeconds admission plugin: unless a toleration already covers them, add
//     tolerations of node.kubernetes.io/not-ready and node.kubernetes.io/unreachable, operator
//     Exists, effect NoExecute, tolerationSeconds 300. A toleration covers a taint when its key is
//     that key or empty and its effect is NoExecute or empty. See k8s.io/kubernetes
//     plugin/pkg/admission/defaulttolerationseconds/admission.go (Admit).
//
// The DaemonSet controller later adds its own not-ready and unreachable tolerations without
// tolerationSeconds (AddOrUpdateDaemonPodTolerations), which replace these on DaemonSet pods
// because they match in key, operator, value and effect.
func DefaultPod(spec *corev1.PodSpec) {
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = corev1.DefaultSchedulerName
	}
	for i := range spec.InitContainers {
		requestsFromLimits(&spec.InitContainers[i].Resources)
	}
	for i := range spec.Containers {
		requestsFromLimits(&spec.Containers[i].Resources)
	}
	defaultPodLevelRequests(spec)
	addDefaultTolerations(spec)
}

func requestsFromLimits(r *corev1.ResourceRequirements) {
	if len(r.Limits) == 0 {
		return
	}
	if r.Requests == nil {
		r.Requests = make(corev1.ResourceList, len(r.Limits))
	}
	for name, q := range r.Limits {
		if _, ok := r.Requests[name]; !ok {
			r.Requests[name] = q.DeepCopy()
		}
	}
}

func defaultPodLevelRequests(spec *corev1.PodSpec) {
	if spec.Resources == nil || len(spec.Resources.Limits) == 0 {
		return
	}
	reqs := spec.Resources.Requests
	if reqs == nil {
		reqs = make(corev1.ResourceList)
	}
	agg := resourcehelper.AggregateContainerRequests(&corev1.Pod{Spec: *spec}, resourcehelper.PodResourcesOptions{})
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := agg[name]; ok {
			if _, set := reqs[name]; !set {
				reqs[name] = q.DeepCopy()
			}
		}
	}
	for name, q := range spec.Resources.Limits {
		if _, set := reqs[name]; !set && resourcehelper.IsSupportedPodLevelResource(name) {
			reqs[name] = q.DeepCopy()
		}
	}
	if len(reqs) > 0 {
		spec.Resources.Requests = reqs
	}
}

func addDefaultTolerations(spec *corev1.PodSpec) {
	notReady, unreachable := false, false
	for _, t := range spec.Tolerations {
		if t.Effect != corev1.TaintEffectNoExecute && t.Effect != "" {
			continue
		}
		if t.Key == corev1.TaintNodeNotReady || t.Key == "" {
			notReady = true
		}
		if t.Key == corev1.TaintNodeUnreachable || t.Key == "" {
			unreachable = true
		}
	}
	if !notReady {
		spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
			Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](DefaultTolerationSeconds),
		})
	}
	if !unreachable {
		spec.Tolerations = append(spec.Tolerations, corev1.Toleration{
			Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](DefaultTolerationSeconds),
		})
	}
}

// defaultDeployment is k8s.io/kubernetes pkg/apis/apps/v1 SetDefaults_Deployment.
func defaultDeployment(d *appsv1.Deployment) {
	if d.Spec.Replicas == nil {
		d.Spec.Replicas = ptr.To[int32](1)
	}
	s := &d.Spec.Strategy
	if s.Type == "" {
		s.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if s.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if s.RollingUpdate == nil {
			s.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		if s.RollingUpdate.MaxUnavailable == nil {
			s.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("25%"))
		}
		if s.RollingUpdate.MaxSurge == nil {
			s.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("25%"))
		}
	}
	if d.Spec.RevisionHistoryLimit == nil {
		d.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if d.Spec.ProgressDeadlineSeconds == nil {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
}

// defaultDaemonSet is SetDefaults_DaemonSet.
func defaultDaemonSet(d *appsv1.DaemonSet) {
	s := &d.Spec.UpdateStrategy
	if s.Type == "" {
		s.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if s.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if s.RollingUpdate == nil {
			s.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if s.RollingUpdate.MaxUnavailable == nil {
			s.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
		if s.RollingUpdate.MaxSurge == nil {
			s.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
		}
	}
	if d.Spec.RevisionHistoryLimit == nil {
		d.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
}

// defaultJob is the part of k8s.io/kubernetes pkg/apis/batch/v1 SetDefaults_Job that the
// simulator reads. As upstream, completions defaults to 1 only when parallelism is unset too: a
// Job with parallelism and no completions is a work queue, done when any pod succeeds.
func defaultJob(j *batchv1.Job) {
	if j.Spec.Completions == nil && j.Spec.Parallelism == nil {
		j.Spec.Completions = ptr.To[int32](1)
		j.Spec.Parallelism = ptr.To[int32](1)
	}
	if j.Spec.Parallelism == nil {
		j.Spec.Parallelism = ptr.To[int32](1)
	}
	if j.Spec.BackoffLimit == nil {
		j.Spec.BackoffLimit = ptr.To[int32](6)
	}
	if j.Spec.CompletionMode == nil {
		j.Spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if j.Spec.Suspend == nil {
		j.Spec.Suspend = ptr.To(false)
	}
}

// Well-known node labels that the kubelet sets on its Node, and that scheduling depends on
// (topologyKey kubernetes.io/hostname, nodeSelector kubernetes.io/os). Load sets them on every
// Node that lacks them.
const (
	defaultNodeOS   = "linux"
	defaultNodeArch = "amd64"
	// DefaultMaxPodsPerNode is the kubelet's --max-pods default, used as the node's pods capacity
	// when the manifest gives none.
	DefaultMaxPodsPerNode = 110
)

// defaultNode applies the API server's and the kubelet's defaults to a Node: capacity and
// allocatable fill each other's gaps (allocatable is a copy of capacity when absent, as
// SetDefaults_NodeStatus does), pods defaults to 110, and the hostname, os and arch labels are set.
func defaultNode(n *corev1.Node) {
	st := &n.Status
	if st.Capacity == nil {
		st.Capacity = make(corev1.ResourceList)
	}
	for name, q := range st.Allocatable {
		if _, ok := st.Capacity[name]; !ok {
			st.Capacity[name] = q.DeepCopy()
		}
	}
	if _, ok := st.Capacity[corev1.ResourcePods]; !ok {
		st.Capacity[corev1.ResourcePods] = *resource.NewQuantity(DefaultMaxPodsPerNode, resource.DecimalSI)
	}
	if st.Allocatable == nil {
		st.Allocatable = make(corev1.ResourceList, len(st.Capacity))
		for name, q := range st.Capacity {
			st.Allocatable[name] = q.DeepCopy()
		}
	}
	if _, ok := st.Allocatable[corev1.ResourcePods]; !ok {
		st.Allocatable[corev1.ResourcePods] = st.Capacity[corev1.ResourcePods].DeepCopy()
	}
	if n.Labels == nil {
		n.Labels = make(map[string]string)
	}
	if _, ok := n.Labels[corev1.LabelHostname]; !ok && len(n.Name) <= 63 {
		n.Labels[corev1.LabelHostname] = n.Name
	}
	if _, ok := n.Labels[corev1.LabelOSStable]; !ok {
		n.Labels[corev1.LabelOSStable] = defaultNodeOS
	}
	if _, ok := n.Labels[corev1.LabelArchStable]; !ok {
		n.Labels[corev1.LabelArchStable] = defaultNodeArch
	}
}
