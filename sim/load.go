package sim

import (
	"fmt"
	"math"
	"time"

	"ksim.dev/ksim/workloads"
)

// loadState is one load model driving an owner's pods.
type loadState struct {
	owner    *Owner
	demand   workloads.Series
	res      *HPAResult // where demand is recorded, when the owner has an HPA
	unserved float64    // last sampled unserved demand, cores
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
		switch {
		case l.Trace.HasTrough:
			tr = tr.Rescaled(l.Trace.TroughCores, l.Trace.PeakCores)
		case l.Trace.PeakCores > 0:
			if m := tr.Max(); m > 0 {
				tr = tr.Scaled(l.Trace.PeakCores / m)
			}
		default:
			tr = tr.Scaled(l.Trace.Scale)
		}
		ls := &loadState{owner: o, demand: tr.Series(l.Trace.Repeat)}
		if o.hpa != nil {
			ls.res = o.hpa.res
		}
		o.load = ls
		s.loads = append(s.loads, ls)
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
