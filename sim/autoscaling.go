package sim

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"ksim.dev/ksim/autoscaler/hpa"
)

// hpaState is one HorizontalPodAutoscaler in the run.
type hpaState struct {
	as     *hpa.Autoscaler
	target *Owner
	res    *HPAResult
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
		st := &hpaState{as: as, target: target, res: &HPAResult{
			Namespace: h.Namespace, Name: h.Name, Target: "Deployment/" + ref.Name,
			MinReplicas: minR, MaxReplicas: h.Spec.MaxReplicas,
		}}
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

// metricsServerWindowMin is the youngest a container can be and still have a usage sample:
// metrics-server drops containers that started under 10 s before the scrape.
const metricsServerWindowMin = 10 * time.Second

// podMetric is what metrics-server serves for p at now: the rate over the last scrape
// interval, from the last scrape at or before now (scrapes on a grid of the metric resolution
// from time 0), or nil when it has none yet.
func (s *Simulation) podMetric(p *Pod) *hpa.PodMetrics {
	if p.Phase < PodRunning || p.Phase > PodReady || p.Node == nil || !p.Node.Up {
		return nil
	}
	res := s.sc.Controllers.MetricResolution
	scrape := s.now - s.now%res
	age := scrape - p.StartedAt
	if age < metricsServerWindowMin {
		return nil
	}
	window := min(res, age)
	return &hpa.PodMetrics{Timestamp: scrape, Window: window, Containers: []metricsv1beta1.ContainerMetrics{{
		Name: "pod", Usage: corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(s.podUsageMilli(p, scrape), resource.DecimalSI)}}}}
}

// hpaSync runs one sync of an HPA and applies its decision.
func (s *Simulation) hpaSync(h *hpaState) {
	o := h.target
	samples := make([]hpa.PodSample, 0, len(o.Pods))
	for _, p := range o.Pods {
		if p.Phase == PodTerminated {
			continue
		}
		ps := hpa.PodSample{
			Name:         p.Obj.Name,
			Phase:        apiPhase(p),
			Deleting:     p.Deleting,
			Ready:        p.apiReady(),
			Started:      p.Phase >= PodBound,
			StartTime:    p.BoundAt,
			ReadyChanged: p.ReadyAt,
			Spec:         &p.Obj.Spec,
			Metrics:      s.podMetric(p),
		}
		if !ps.Ready && p.Phase >= PodRunning {
			ps.ReadyChanged = p.StartedAt
		}
		samples = append(samples, ps)
	}
	cur := o.Replicas
	d := h.as.Sync(s.now, &hpa.Input{Replicas: cur, StatusReplicas: cur, Pods: samples})
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

// hasCPURequests reports whether every container requests CPU (the HPA needs it for
// Utilization targets).
func hasCPURequests(spec *corev1.PodSpec) bool {
	for _, c := range spec.Containers {
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			return false
		}
	}
	return len(spec.Containers) > 0
}
