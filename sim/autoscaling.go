package sim

import (
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	custommetrics "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetrics "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"

	"ksim.dev/ksim/autoscaler/hpa"
	"ksim.dev/ksim/sim/scenario"
)

// hpaState is one HorizontalPodAutoscaler in the run.
type hpaState struct {
	as     *hpa.Autoscaler
	target *Owner
	res    *HPAResult
	custom CustomMetrics // where its Pods, Object and External metrics come from

	// Buffers a sync reuses, so that a sync allocates nothing per pod once they have grown:
	// the input, the pods sampled, their metrics, and the window integrals of the metrics
	// pipeline.
	in      hpa.Input
	pods    []*Pod
	metrics []hpa.PodMetrics
	windows windowCache
	// containerMetrics is set when some metric is a ContainerResource one, which reads the
	// per-container usage rather than the pod's sums.
	containerMetrics bool
	// podsMetric is set when some metric is a Pods one, whose values the custom metrics API
	// lists pod by pod.
	podsMetric bool
	// steady groups, per scrape phase (in whole seconds), the target's pods that served
	// through their whole metric window: see hpaSync.
	steady    []steadyGroup
	syncs     uint64 // syncs so far; a steadyGroup is valid for the sync it was filled in
	folded    uint64 // pods counted in another pod's sample, over all syncs
	resampled uint64 // syncs that reused the last list of the pods (resampleSteady)
	// active is the target's active pods (status.replicas) at the last list; listed says
	// whether that list can be reused (resampleSteady).
	active int
	listed listedState
	// reqs is the target template's container requests, kept from one sync to the next (the
	// template does not change during a run).
	reqs *containerRequests
}

func (s *Simulation) addHPAs() error {
	c := s.sc.Controllers
	opts := hpa.DefaultOptions()
	opts.Tolerance = c.HPATolerance
	opts.DownscaleStabilization = c.HPADownscaleWindow
	opts.CPUInitializationPeriod = c.HPACPUInitPeriod
	opts.InitialReadinessDelay = c.HPAInitialReadiness
	for _, h := range s.sc.HPAs {
		ref := h.Spec.ScaleTargetRef
		target := s.owner(KindDeployment, h.Namespace, ref.Name)
		if target == nil {
			return fmt.Errorf("HorizontalPodAutoscaler %s/%s: scaleTargetRef %s/%s not found", h.Namespace, h.Name, ref.Kind, ref.Name)
		}
		as, err := hpa.New(h, s.now, opts)
		if err != nil {
			return fmt.Errorf("HorizontalPodAutoscaler %s/%s: %w", h.Namespace, h.Name, err)
		}
		minR := int32(1)
		if h.Spec.MinReplicas != nil {
			minR = *h.Spec.MinReplicas
		}
		st := &hpaState{as: as, target: target, custom: s.customMetrics(), res: &HPAResult{
			Namespace: h.Namespace, Name: h.Name, Target: "Deployment/" + ref.Name,
			MinReplicas: minR, MaxReplicas: h.Spec.MaxReplicas,
		}}
		for _, m := range h.Spec.Metrics {
			st.containerMetrics = st.containerMetrics || m.Type == autoscalingv2.ContainerResourceMetricSourceType
			st.podsMetric = st.podsMetric || m.Type == autoscalingv2.PodsMetricSourceType
		}
		// One record per sync: sized up front, as the run's syncs are known (bounded, so that a
		// long horizon with a short period does not reserve much before it runs).
		if per := s.sc.Controllers.HPASyncPeriod; per > 0 {
			st.res.Syncs = make([]HPASync, 0, min(int64(s.sc.Duration/per)+1, 1<<16))
		}
		st.res.Replicas.Add(s.now, float64(target.Replicas))
		st.res.Ready.Add(s.now, 0)
		target.hpa = st
		s.hpas = append(s.hpas, st)
		// The controller syncs an HPA when it is created, then every sync period.
		s.schedule(s.now, &event{kind: evHPASync, hpa: st})
	}
	return nil
}

func (s *Simulation) owner(kind OwnerKind, ns, name string) *Owner {
	for _, o := range s.owners {
		if o.Kind == kind && o.Namespace == ns && o.Name == name {
			return o
		}
	}
	return nil
}

// recordReady records an owner's count of serving pods after a change.
func (s *Simulation) recordReady(o *Owner) {
	n := float64(o.servingPods())
	o.result.Ready.Add(s.now, n)
	if o.hpa != nil {
		o.hpa.res.Ready.Add(s.now, n)
	}
}

// listedState is what a list of a target's pods was made from: the target's pods epoch
// (Owner.podsEpoch) and the nodes' (Simulation.nodesEpoch). valid says the list was all steady
// groups.
type listedState struct {
	valid       bool
	pods, nodes uint64
}

// summariseSteadyPods lets hpaSync pass the HPA one sample (hpa.PodSample.Count) for all the
// target's steady pods of one scrape phase. Tests turn it off to check that it changes nothing.
var summariseSteadyPods = true

// A steadyGroup is the sample standing for the target's steady pods on nodes of one scrape
// phase, in one sync.
type steadyGroup struct {
	sync   uint64        // the sync it was filled in (hpaState.syncs)
	from   time.Duration // the start of the phase's metric window at this sync
	sample int           // index in Input.Pods of the group's sample; -1 before its first pod
}

// steadyPhases returns the per-phase groups of a sync of h, or nil when the target's pods
// cannot be summarised: a ContainerResource metric (per-container usage) or a Pods metric
// (listed pod by pod), the per-pod load model (each pod its own usage), or a resolution that
// is not a whole number of seconds of at most an hour (the phases would be too many slots).
func (s *Simulation) steadyPhases(h *hpaState) []steadyGroup {
	res := s.sc.Controllers.MetricResolution
	if !summariseSteadyPods || h.containerMetrics || h.podsMetric || res%time.Second != 0 || res > time.Hour ||
		(h.target.load != nil && h.target.load.model == scenario.ModelPerPod) {
		return nil
	}
	if n := int(res / time.Second); len(h.steady) != n {
		h.steady = make([]steadyGroup, n)
	}
	return h.steady
}

// hpaSync runs one sync of an HPA and applies its decision. The HPA reads the target's scale
// (spec.replicas; status.replicas, the pods its ReplicaSets count), the pods its selector
// matches, their resource metrics (metrics.go) and the custom and external metrics it names.
//
// A target's pods are mostly steady: ready, on a node that is up, not being deleted, ready
// since before their metric window began. Every such pod of a Deployment on nodes of one scrape
// phase has the same spec, the same metrics (the load models other than per-pod share the
// owner's demand among its serving pods), and counts as ready under every rule of the HPA
// (ready before the window began, it passes the CPU initialization test whatever its start
// time). So one sample with a Count stands for them all, and a sync costs a look at each pod
// plus the HPA's work on at most one sample per phase and the pods in transition.
// TestSummarisedSyncsDecideAsPodByPod checks that the decisions do not change.
func (s *Simulation) hpaSync(h *hpaState) {
	o := h.target
	in := &h.in
	h.syncs++
	mr := s.newMetricsReader(&h.windows)
	mr.withContainers = h.containerMetrics
	mr.reqs = h.reqs
	if !s.resampleSteady(h, mr) {
		s.listPods(h, mr)
	} else if s.opts.CheckInvariants {
		s.checkResampled(h)
	}
	h.reqs = mr.reqs
	cur := o.Replicas
	in.Replicas, in.StatusReplicas = cur, int32(h.active)
	s.customValues(h, h.pods, in)
	d := h.as.Sync(s.now, in)
	h.res.Syncs = append(h.res.Syncs, HPASync{T: s.now, Current: d.Current, Proposal: d.Proposal,
		Desired: d.Desired, Utilization: d.Utilization, Limited: d.Limited, Err: d.Err})
	if d.Rescale {
		h.res.ScaleEvents = append(h.res.ScaleEvents, ScaleEvent{T: s.now, From: cur, To: d.Desired})
		s.logf("scale", "hpa/"+h.res.Namespace+"/"+h.res.Name, "%s: %d → %d replicas: %s", h.res.Target, cur, d.Desired, d.Reason)
		o.Replicas = d.Desired
		h.res.Replicas.Add(s.now, float64(d.Desired))
		s.reconcile(o)
	}
	s.schedule(s.now+s.sc.Controllers.HPASyncPeriod, &event{kind: evHPASync, hpa: h})
}

// listPods fills h.in.Pods with the target's pods, as hpaSync describes: one sample per pod in
// transition, one per scrape phase for the steady pods. It notes what resampleSteady needs to
// reuse the list. Cost: O(pods), plus the metrics of each sample.
func (s *Simulation) listPods(h *hpaState, mr *metricsReader) {
	o := h.target
	in := &h.in
	steady := s.steadyPhases(h)
	res := s.sc.Controllers.MetricResolution
	in.Pods, h.pods = in.Pods[:0], h.pods[:0]
	if cap(h.metrics) < len(o.Pods) {
		h.metrics = append(h.metrics[:cap(h.metrics)], make([]hpa.PodMetrics, len(o.Pods)-cap(h.metrics))...)
	}
	h.metrics = h.metrics[:len(o.Pods)]
	// Fill the reused samples in place: a sync of a large target copies no sample twice.
	if cap(in.Pods) < len(o.Pods) {
		in.Pods = make([]hpa.PodSample, 0, len(o.Pods))
	}
	in.Pods = in.Pods[:len(o.Pods)]
	n, active, transient := 0, 0, 0
	for i, p := range o.Pods {
		if p.Phase == PodTerminated {
			continue
		}
		if p.active() {
			active++
		}
		var g *steadyGroup
		if steady != nil && p.serving() {
			phase := scrapePhase(p.Node, res)
			g = &steady[phase/time.Second]
			if g.sync != h.syncs {
				g.sync, g.sample = h.syncs, -1
				g.from = lastScrape(s.now, phase, res) - res
			}
			if p.ReadyAt > g.from {
				g = nil // ready during the window: not steady yet
			} else if g.sample >= 0 {
				in.Pods[g.sample].Count++
				h.folded++
				continue
			}
		}
		if g != nil {
			g.sample = n
		} else {
			transient++
		}
		ps := &in.Pods[n]
		n++
		*ps = hpa.PodSample{
			Name:         p.Obj.Name,
			Phase:        apiPhase(p),
			Deleting:     p.Deleting,
			Ready:        p.apiReady(),
			Started:      p.Phase >= PodBound,
			StartTime:    p.BoundAt,
			ReadyChanged: p.ReadyAt,
			Spec:         podSpecForMetrics(p),
		}
		if !ps.Ready && p.Phase >= PodRunning {
			ps.ReadyChanged = p.StartedAt
		}
		if p.Phase < PodBound {
			ps.NoReadyCondition = true // an unscheduled pod has only PodScheduled
		}
		if g != nil {
			ps.Count = 1
		}
		if mr.podMetrics(p, &h.metrics[i]) {
			ps.Metrics = &h.metrics[i]
		}
		h.pods = append(h.pods, p)
	}
	in.Pods = in.Pods[:n]
	h.active = active
	h.listed = listedState{valid: steady != nil && transient == 0, pods: o.podsEpoch, nodes: s.nodesEpoch}
}

// resampleSteady is listPods for a sync whose target has not changed since the last list, when
// that list was all steady groups: no pod of the target was added, changed or removed, and no
// node went down or came back (the epochs say so). Time only moves the groups' metric windows
// forward, so every pod is still steady, in the same group, and the list is the same but for
// the metrics, which it reads anew, one per group. It reports false when the list must be made
// again. Cost: O(groups), against listPods' O(pods).
func (s *Simulation) resampleSteady(h *hpaState, mr *metricsReader) bool {
	if !h.listed.valid || h.listed.pods != h.target.podsEpoch || h.listed.nodes != s.nodesEpoch ||
		s.steadyPhases(h) == nil {
		return false
	}
	for j := range h.in.Pods {
		ps := &h.in.Pods[j]
		if ps.Metrics == nil || !mr.podMetrics(h.pods[j], ps.Metrics) {
			return false // cannot happen to a steady pod; list again rather than assume
		}
	}
	h.folded += uint64(h.active - len(h.in.Pods))
	h.resampled++
	return true
}

// checkResampled lists the target's pods afresh into a scratch state and panics unless the
// list equals the one resampleSteady reused: an epoch that a change of the target's pods forgot
// to move would show here, in tests (Options.CheckInvariants).
func (s *Simulation) checkResampled(h *hpaState) {
	fresh := &hpaState{target: h.target, containerMetrics: h.containerMetrics, podsMetric: h.podsMetric, syncs: h.syncs}
	mr := s.newMetricsReader(&fresh.windows)
	mr.withContainers = h.containerMetrics
	s.listPods(fresh, mr)
	a, b := h.in.Pods, fresh.in.Pods
	same := len(a) == len(b) && h.active == fresh.active
	for j := 0; same && j < len(a); j++ {
		x, y := a[j], b[j]
		mx, my := x.Metrics, y.Metrics
		x.Metrics, y.Metrics = nil, nil
		same = x == y && (mx == nil) == (my == nil) &&
			(mx == nil || mx.Timestamp == my.Timestamp && mx.Window == my.Window && mx.Summed == my.Summed &&
				mx.CPUMilli == my.CPUMilli && mx.MemoryMilli == my.MemoryMilli)
	}
	if !same {
		panic(fmt.Sprintf("sim: HPA %s/%s at %v: the reused pod list differs from a fresh one (a change of the target's pods did not move its epoch)",
			h.res.Namespace, h.res.Name, s.now))
	}
}

// apiPhase is the pod phase the API shows.
func apiPhase(p *Pod) corev1.PodPhase {
	switch p.Phase {
	case PodPending, PodBound:
		return corev1.PodPending
	case PodSucceeded:
		return corev1.PodSucceeded
	default:
		return corev1.PodRunning
	}
}

// podMetricValue is a custom metrics API item: the value of a metric for a named object.
func podMetricValue(name string, milli int64) custommetrics.MetricValue {
	return custommetrics.MetricValue{DescribedObject: corev1.ObjectReference{Name: name},
		Value: *resource.NewMilliQuantity(milli, resource.DecimalSI)}
}

// externalMetricValue is an external metrics API item.
func externalMetricValue(name string, milli int64) externalmetrics.ExternalMetricValue {
	return externalmetrics.ExternalMetricValue{MetricName: name, Value: *resource.NewMilliQuantity(milli, resource.DecimalSI)}
}

// podSpecForMetrics is the spec the HPA reads a pod's requests from. A Deployment's pods all
// carry its template's containers (only spec.nodeName and the resolved priority differ), so
// they share the template's spec, and the HPA computes the requests once per template rather
// than once per pod and sync.
func podSpecForMetrics(p *Pod) *corev1.PodSpec {
	if p.Owner.Kind == KindDeployment {
		return &p.Owner.Template.Spec
	}
	return &p.Obj.Spec
}
