package sim

import (
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/autoscaler/hpa"
	"ksim.dev/ksim/workloads"
)

// hpaState is one HorizontalPodAutoscaler in the run.
type hpaState struct {
	as     *hpa.Autoscaler
	target *Owner
	res    *HPAResult
}

// loadState is one load model driving an owner's pods.
type loadState struct {
	owner    *Owner
	demand   workloads.Series
	res      *HPAResult // where demand is recorded, when the owner has an HPA
	unserved float64    // last sampled unserved demand, cores
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

func (s *Simulation) addLoads() error {
	for _, l := range s.sc.Load {
		kind := map[string]OwnerKind{"Deployment": KindDeployment, "DaemonSet": KindDaemonSet, "Job": KindJob, "Pod": KindPod}[l.Target.Kind]
		o := s.owner(kind, l.Target.Namespace, l.Target.Name)
		if o == nil {
			return fmt.Errorf("load: target %s/%s/%s not found", l.Target.Kind, l.Target.Namespace, l.Target.Name)
		}
		tr, err := workloads.OpenCSV(s.sc.FS, l.Trace.Path, l.Trace.TimeColumn, l.Trace.Column)
		if err != nil {
			return err
		}
		factor := l.Trace.Scale
		if l.Trace.PeakCores > 0 {
			if m := tr.Max(); m > 0 {
				factor = l.Trace.PeakCores / m
			}
		}
		ls := &loadState{owner: o, demand: tr.Scaled(factor).Series(l.Trace.Repeat)}
		if o.hpa != nil {
			ls.res = o.hpa.res
		}
		o.load = ls
		s.loads = append(s.loads, ls)
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

// servingPods counts the owner's pods that serve load now. Cost: O(pods).
func (o *Owner) servingPods() int {
	n := 0
	for _, p := range o.Pods {
		if p.serving() {
			n++
		}
	}
	return n
}

// recordReady records an owner's count of serving pods after a change.
func (s *Simulation) recordReady(o *Owner) {
	n := float64(o.servingPods())
	o.result.Ready.Add(s.now, n)
	if o.hpa != nil {
		o.hpa.res.Ready.Add(s.now, n)
	}
}

// podUsageMilli is a pod's CPU usage at time t under its owner's load model: the aggregate
// demand shared among the pods serving now, each capped at its CPU limit. Pods without a load
// model, and pods that serve nothing, use no CPU. Cost: O(pods of the owner).
func (s *Simulation) podUsageMilli(p *Pod, t time.Duration) int64 {
	l := p.Owner.load
	if l == nil || !p.serving() {
		return 0
	}
	perPod, _ := workloads.Share(l.demand.At(t), p.Owner.servingPods(), p.limitCPU)
	return perPod
}

// metricsServerWindowMin is the youngest a container can be and still have a usage sample:
// metrics-server drops containers that started under 10 s before the scrape.
const metricsServerWindowMin = 10 * time.Second

// podMetric is what metrics-server serves for p at now: the rate over the last scrape
// interval, from the last scrape at or before now (scrapes on a grid of the metric resolution
// from time 0), or nil when it has none yet.
func (s *Simulation) podMetric(p *Pod) *hpa.CPUSample {
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
	return &hpa.CPUSample{UsageMilli: s.podUsageMilli(p, scrape), Timestamp: scrape, Window: window}
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
			Name:            p.Obj.Name,
			Phase:           apiPhase(p),
			Deleting:        p.Deleting,
			Ready:           p.apiReady(),
			Started:         p.Phase >= PodBound,
			StartTime:       p.BoundAt,
			ReadyChanged:    p.ReadyAt,
			CPURequestMilli: p.reqCPU,
			HasCPURequest:   hasCPURequests(&p.Obj.Spec),
			Metric:          s.podMetric(p),
		}
		if !ps.Ready && p.Phase >= PodRunning {
			ps.ReadyChanged = p.StartedAt
		}
		samples = append(samples, ps)
	}
	cur := o.Replicas
	d := h.as.Sync(s.now, cur, samples)
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

// sample records each load's demand and unserved demand.
func (s *Simulation) sample() {
	for _, l := range s.loads {
		demand := l.demand.At(s.now)
		_, unserved := workloads.Share(demand, l.owner.servingPods(), l.owner.limitCPU)
		if l.res != nil {
			l.res.Demand.Add(s.now, round3(demand))
			l.res.Unserved.Add(s.now, round3(unserved))
		}
		l.unserved = unserved
	}
}

// round3 rounds to a thousandth, so that recorded series do not carry float noise.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
