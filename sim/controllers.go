package sim

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"ksim.dev/ksim/scheduler/plugins/helper"
)

// addWorkloads creates the owners of the scenario's workloads and their first pods, in
// scenario order: Deployments, DaemonSets, Jobs, bare Pods; then HPAs and load models.
func (s *Simulation) addWorkloads() error {
	sc := s.sc
	for _, d := range sc.Deployments {
		o := s.newOwner(KindDeployment, d.Namespace, d.Name, &d.Spec.Template)
		o.Replicas = deploymentReplicas(d)
		o.hashSuffix = podTemplateHash(d.Namespace + "/" + d.Name)
		s.addReplicaSet(o, d)
	}
	for _, ds := range sc.DaemonSets {
		o := s.newOwner(KindDaemonSet, ds.Namespace, ds.Name, &ds.Spec.Template)
		o.daemonNodes = map[string]*Pod{}
		o.daemonTolerations = daemonPodTolerations(ds.Spec.Template.Spec.Tolerations)
		probe := &corev1.Pod{Spec: ds.Spec.Template.Spec}
		o.daemonAffinity = nodeaffinity.GetRequiredNodeAffinity(probe)
	}
	for _, j := range sc.Jobs {
		o := s.newOwner(KindJob, j.Namespace, j.Name, &j.Spec.Template)
		o.Parallelism, o.Completions = 1, 1
		if j.Spec.Parallelism != nil {
			o.Parallelism = *j.Spec.Parallelism
		}
		if j.Spec.Completions != nil {
			o.Completions = *j.Spec.Completions
		}
	}
	for _, p := range sc.Pods {
		tmpl := &corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}
		s.newOwner(KindPod, p.Namespace, p.Name, tmpl)
	}
	for _, o := range s.owners {
		s.reconcile(o)
	}
	if err := s.addHPAs(); err != nil {
		return err
	}
	return s.addLoads()
}

// addReplicaSet gives a Deployment's owner the ReplicaSet upstream's Deployment controller
// would create: named <deployment>-<pod-template-hash>, selecting the template's labels plus
// pod-template-hash, and owning the pods through a controller reference. The scheduler's
// snapshot learns of it, because the system default topology spreading applies to pods that a
// ReplicaSet selects (PodTopologySpread's DefaultSelector).
func (s *Simulation) addReplicaSet(o *Owner, d *appsv1.Deployment) {
	labels := make(map[string]string, len(o.Template.Labels)+1)
	for k, v := range o.Template.Labels {
		labels[k] = v
	}
	labels[appsv1.DefaultDeploymentUniqueLabelKey] = o.hashSuffix
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: o.hashSuffix}}
	if d.Spec.Selector != nil {
		selector = d.Spec.Selector.DeepCopy()
		if selector.MatchLabels == nil {
			selector.MatchLabels = map[string]string{}
		}
		selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] = o.hashSuffix
	}
	rs := &appsv1.ReplicaSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name + "-" + o.hashSuffix, Namespace: o.Namespace, Labels: labels, UID: types.UID("ksim-rs-" + o.Namespace + "-" + o.Name)},
		Spec:       appsv1.ReplicaSetSpec{Selector: selector, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: o.Template.Spec}},
	}
	isController := true
	o.podLabels = labels
	o.ownerRefs = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &isController}}
	s.snap.UpsertReplicaSet(rs)
}

func (s *Simulation) newOwner(kind OwnerKind, ns, name string, tmpl *corev1.PodTemplateSpec) *Owner {
	o := &Owner{Kind: kind, Namespace: ns, Name: name, Template: tmpl, epoch: &s.servingEpoch}
	o.reqCPU, o.reqMem, o.limitCPU = podResources(&tmpl.Spec)
	timing, ok := s.sc.Timing[o.Key()]
	if !ok {
		timing = s.sc.Defaults
	}
	o.Timing = timing
	o.result = &OwnerSeries{}
	s.owners = append(s.owners, o)
	return o
}

// reconcile brings an owner's pods to what its spec asks for, as its upstream controller would
// in one sync.
func (s *Simulation) reconcile(o *Owner) {
	switch o.Kind {
	case KindDeployment:
		s.reconcileReplicas(o)
	case KindJob:
		s.reconcileJob(o)
	case KindDaemonSet:
		s.reconcileDaemonSet(o)
	case KindPod:
		if o.podsCreated == 0 {
			p := s.newPod(o, o.Name, o.Template.Spec)
			if node := o.Template.Spec.NodeName; node != "" {
				// A pod created with spec.nodeName bypasses the scheduler: the kubelet runs it.
				if n := s.nodeByName[node]; n != nil && !n.Removed {
					s.dequeue(p)
					p.Obj.Spec.NodeName = ""
					s.bind(p, n)
				}
			}
		}
	}
}

// reconcileReplicas is the ReplicaSet controller's manageReplicas
// (pkg/controller/replicaset/replica_set.go): create the missing pods, or delete the surplus in
// the order of getPodsToDelete.
func (s *Simulation) reconcileReplicas(o *Owner) {
	active := make([]*Pod, 0, len(o.Pods))
	for _, p := range o.Pods {
		if p.active() {
			active = append(active, p)
		}
	}
	diff := len(active) - int(o.Replicas)
	switch {
	case diff < 0:
		for i := 0; i < -diff; i++ {
			name := fmt.Sprintf("%s-%s-%s", o.Name, o.hashSuffix, randomSuffix(s.names, 5))
			s.newPod(o, name, o.Template.Spec)
		}
	case diff > 0:
		for _, p := range s.podsToDelete(active, diff) {
			s.deletePod(p)
		}
	}
}

// podsToDelete picks the diff pods to delete first, in the order of upstream's
// ActivePodsWithRanks (pkg/controller/controller_utils.go) with LogarithmicScaleDown:
//  1. unassigned before assigned;
//  2. Pending before Unknown before Running;
//  3. not ready before ready;
//  4. lower controller.kubernetes.io/pod-deletion-cost first;
//  5. more active pods of the same owner on the pod's node first;
//  6. ready for less time first, compared in powers of two of the time since ready;
//  7. (restart counts: every simulated pod has none);
//  8. newer first, compared in powers of two of the age.
//
// Upstream breaks the remaining ties by UID, which is random; ksim uses the newer pod ID first,
// so a run is reproducible. Cost: O(n log n).
func (s *Simulation) podsToDelete(active []*Pod, diff int) []*Pod {
	if diff >= len(active) {
		return active
	}
	onNode := map[*Node]int{}
	for _, p := range active {
		if p.Node != nil {
			onNode[p.Node]++
		}
	}
	now := s.now.Truncate(time.Second)
	logRank := func(since time.Duration) int64 {
		d := now - since.Truncate(time.Second)
		if d <= 0 {
			return -1
		}
		return int64(math.Log2(float64(d)))
	}
	phaseOrdinal := func(p *Pod) int {
		if p.Phase == PodBound {
			return 0 // containers not started: the API shows Pending
		}
		if p.Phase == PodPending {
			return 0
		}
		return 2 // Running
	}
	cost := func(p *Pod) int32 { return deletionCost(p.Obj.Annotations) }
	ranked := append([]*Pod(nil), active...)
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := ranked[i], ranked[j]
		if (a.Node == nil) != (b.Node == nil) {
			return a.Node == nil
		}
		if pa, pb := phaseOrdinal(a), phaseOrdinal(b); pa != pb {
			return pa < pb
		}
		if a.apiReady() != b.apiReady() {
			return !a.apiReady()
		}
		if ca, cb := cost(a), cost(b); ca != cb {
			return ca < cb
		}
		if ra, rb := onNode[a.Node], onNode[b.Node]; a.Node != nil && b.Node != nil && ra != rb {
			return ra > rb
		}
		if a.apiReady() && b.apiReady() && a.ReadyAt.Truncate(time.Second) != b.ReadyAt.Truncate(time.Second) {
			if d := logRank(a.ReadyAt) - logRank(b.ReadyAt); d != 0 {
				return d < 0
			}
			return a.ID > b.ID
		}
		if a.CreatedAt.Truncate(time.Second) != b.CreatedAt.Truncate(time.Second) {
			if d := logRank(a.CreatedAt) - logRank(b.CreatedAt); d != 0 {
				return d < 0
			}
		}
		return a.ID > b.ID
	})
	return ranked[:diff]
}

// reconcileJob keeps min(parallelism, completions − succeeded) pods running until the Job
// completes (pkg/controller/job: manageJob, for a NonIndexed Job without failures).
func (s *Simulation) reconcileJob(o *Owner) {
	want := min(o.Parallelism, o.Completions-o.Succeeded)
	for i := int32(o.activePods()); i < want; i++ {
		s.newPod(o, fmt.Sprintf("%s-%s", o.Name, randomSuffix(s.names, 5)), o.Template.Spec)
	}
}

// reconcileDaemonSets runs every DaemonSet's sync: nodes came, went or changed.
func (s *Simulation) reconcileDaemonSets() {
	for _, o := range s.owners {
		if o.Kind == KindDaemonSet {
			s.reconcileDaemonSet(o)
		}
	}
}

// reconcileDaemonSet gives every node that should run the daemon pod one, and deletes those on
// nodes that should no longer keep it (pkg/controller/daemon: podsShouldBeOnNode). The pod
// reaches its node through the scheduler, pinned by a required node affinity on the node's
// name, as upstream does since v1.12.
func (s *Simulation) reconcileDaemonSet(o *Owner) {
	for _, n := range s.nodes {
		if n.Removed {
			continue // its pods went with it (removeNode); a node of the same name may be back
		}
		shouldRun, shouldContinue := s.daemonShouldRun(o, n)
		cur := o.daemonNodes[n.Name]
		switch {
		case shouldRun && cur == nil:
			spec := o.Template.Spec
			spec.Tolerations = o.daemonTolerations
			spec.Affinity = daemonAffinity(spec.Affinity, n.Name)
			p := s.newPod(o, fmt.Sprintf("%s-%s", o.Name, randomSuffix(s.names, 5)), spec)
			p.daemonNode = n.Name
			o.daemonNodes[n.Name] = p
		case !shouldContinue && cur != nil:
			s.deletePod(cur)
			delete(o.daemonNodes, n.Name)
		}
	}
}

// daemonShouldRun is upstream's NodeShouldRunDaemonPod: the node must match the template's
// node selector and required affinity; untolerated NoSchedule or NoExecute taints keep a new pod
// off, and only untolerated NoExecute taints remove a running one.
func (s *Simulation) daemonShouldRun(o *Owner, n *Node) (shouldRun, shouldContinue bool) {
	if name := o.Template.Spec.NodeName; name != "" && name != n.Name {
		return false, false
	}
	if ok, _ := o.daemonAffinity.Match(n.Obj); !ok {
		return false, false
	}
	if hasUntoleratedTaint(n.Obj.Spec.Taints, o.daemonTolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoExecute || t.Effect == corev1.TaintEffectNoSchedule
	}) {
		return false, !hasUntoleratedTaint(n.Obj.Spec.Taints, o.daemonTolerations, func(t *corev1.Taint) bool {
			return t.Effect == corev1.TaintEffectNoExecute
		})
	}
	return true, true
}

// hasUntoleratedTaint reports whether a taint that passes filter is tolerated by none of the
// tolerations (v1helper.FindMatchingUntoleratedTaint; comparison operators are an alpha feature,
// off by default in v1.37).
func hasUntoleratedTaint(taints []corev1.Taint, tolerations []corev1.Toleration, filter func(*corev1.Taint) bool) bool {
	for i := range taints {
		t := &taints[i]
		if !filter(t) {
			continue
		}
		if !tolerates(tolerations, t) {
			return true
		}
	}
	return false
}

func tolerates(tolerations []corev1.Toleration, t *corev1.Taint) bool {
	return helper.TolerationsTolerateTaint(tolerations, t, false)
}

// daemonPodTolerations adds the tolerations every daemon pod gets
// (pkg/controller/daemon/util: AddOrUpdateDaemonPodTolerations).
func daemonPodTolerations(base []corev1.Toleration) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), base...)
	add := func(key string, effect corev1.TaintEffect) {
		t := corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
		// AddOrUpdateTolerationInPodSpec: a toleration equal in key, operator, value and effect
		// is replaced, so a daemon pod tolerates not-ready and unreachable nodes forever even
		// when its template carries the 300 s defaults of the DefaultTolerationSeconds plugin.
		for i := range out {
			if out[i].MatchToleration(&t) {
				out[i] = t
				return
			}
		}
		out = append(out, t)
	}
	add(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)
	add(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)
	add(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule)
	add(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)
	add(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule)
	add(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule)
	return out
}

// daemonAffinity pins a daemon pod to one node with a required node affinity on metadata.name,
// replacing any matchFields term on the name (ReplaceDaemonSetPodNodeNameNodeAffinity).
func daemonAffinity(base *corev1.Affinity, node string) *corev1.Affinity {
	req := corev1.NodeSelectorRequirement{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}
	term := corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{req}}
	out := &corev1.Affinity{}
	if base != nil {
		*out = *base
	}
	na := &corev1.NodeAffinity{}
	if out.NodeAffinity != nil {
		*na = *out.NodeAffinity
	}
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil || len(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}
	} else {
		// Keep each term's label requirements, replace its matchFields with the node's name.
		terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		out := make([]corev1.NodeSelectorTerm, len(terms))
		for i, t := range terms {
			out[i] = corev1.NodeSelectorTerm{MatchExpressions: t.MatchExpressions, MatchFields: []corev1.NodeSelectorRequirement{req}}
		}
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: out}
	}
	out.NodeAffinity = na
	return out
}

// deletionCost reads controller.kubernetes.io/pod-deletion-cost: a decimal int32 starting with
// a minus sign or a digit, without leading zeros, 0 when absent or invalid
// (pkg/apis/core/helper: GetDeletionCostFromPodAnnotations).
func deletionCost(annotations map[string]string) int32 {
	v, ok := annotations[corev1.PodDeletionCost]
	if !ok || v == "" || !(v[0] == '-' || v == "0" || (v[0] >= '1' && v[0] <= '9')) {
		return 0
	}
	c, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(c)
}
