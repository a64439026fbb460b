package sim

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/sim/scenario"
)

// This file records what only the reports read: the run's settings, each HPA's target, each
// node's pool and removal time. It runs from sampleNodes (every sample and once more at the
// end of the run, before finish copies the HPA and node records into the Result), so the
// engine's own event paths stay untouched.

// PoolLabels are the node labels that name a node's pool, in the order they are read: ksim's
// own, then those of the common managed offerings (GKE, EKS, AKS, Karpenter), then the
// plain names people use in their own manifests.
var PoolLabels = []string{
	"ksim.dev/pool",
	"cloud.google.com/gke-nodepool",
	"eks.amazonaws.com/nodegroup",
	"kubernetes.azure.com/agentpool",
	"agentpool",
	"karpenter.sh/nodepool",
	"node-pool",
	"nodepool",
	"pool",
}

// Epoch is the wall-clock instant that simulated time 0 stands for: API timestamps in the run
// count from it, and so do the timestamps of exported metrics unless the caller shifts them.
func Epoch() time.Time { return epoch }

// poolOf is a node's pool: the value of the first of PoolLabels it has.
func poolOf(labels map[string]string) string {
	for _, k := range PoolLabels {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

// recordHPATarget reads the CPU target of the HPA behind r from the scenario's manifest, after
// the API server's defaulting: an HPA without metrics targets 80 % CPU utilization
// (k8s.io/kubernetes pkg/apis/autoscaling/v2/defaults.go: SetDefaults_HorizontalPodAutoscaler),
// and a target with an averageValue is read as such before averageUtilization
// (pkg/controller/podautoscaler/horizontal.go: computeStatusForResourceMetricGeneric).
func (s *Simulation) recordHPATarget(r *HPAResult) {
	for _, h := range s.sc.HPAs {
		if h.Namespace != r.Namespace || h.Name != r.Name {
			continue
		}
		if len(h.Spec.Metrics) == 0 {
			r.TargetUtilization = 80
			return
		}
		for _, m := range h.Spec.Metrics {
			if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Name != corev1.ResourceCPU {
				continue
			}
			switch t := m.Resource.Target; {
			case t.AverageValue != nil:
				r.TargetAverageMilli = t.AverageValue.MilliValue()
			case t.AverageUtilization != nil:
				r.TargetUtilization = *t.AverageUtilization
			}
			return
		}
		return
	}
}

// settings lists the scenario's resolved settings with their defaults (scenario.Default*).
func (s *Simulation) settings() []Setting {
	sc := s.sc
	c := sc.Controllers
	dur := func(name string, v, def time.Duration) Setting {
		return Setting{Name: name, Value: v.String(), Default: def.String()}
	}
	ftoa := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	sched := Setting{Name: "spec.scheduler", Value: "(kube-scheduler defaults)", Default: "(kube-scheduler defaults)"}
	if sc.SchedulerConfig != nil {
		sched.Value = sc.SchedulerConfig.Path
	}
	out := []Setting{
		{Name: "spec.duration", Value: sc.Duration.String()},
		dur("spec.controllers.hpaSyncPeriod", c.HPASyncPeriod, scenario.DefaultHPASyncPeriod),
		{Name: "spec.controllers.hpaTolerance", Value: ftoa(c.HPATolerance), Default: ftoa(scenario.DefaultHPATolerance)},
		dur("spec.controllers.hpaDownscaleStabilization", c.HPADownscaleWindow, scenario.DefaultHPADownscaleWindow),
		dur("spec.controllers.hpaCPUInitializationPeriod", c.HPACPUInitPeriod, scenario.DefaultHPACPUInitPeriod),
		dur("spec.controllers.hpaInitialReadinessDelay", c.HPAInitialReadiness, scenario.DefaultHPAInitialReadiness),
		dur("spec.controllers.metricResolution", c.MetricResolution, scenario.DefaultMetricResolution),
		dur("spec.controllers.nodeMonitorGracePeriod", c.NodeMonitorGracePeriod, scenario.DefaultNodeMonitorGracePeriod),
		dur("spec.controllers.sampleInterval", c.SampleInterval, scenario.DefaultSampleInterval),
		dur("spec.defaults.startupLatency", sc.Defaults.StartupLatency, scenario.DefaultStartupLatency),
		dur("spec.defaults.readinessDelay", sc.Defaults.ReadinessDelay, 0),
		dur("spec.defaults.terminationDelay", sc.Defaults.TerminationDelay, 0),
		dur("spec.defaults.taskDuration", sc.Defaults.TaskDuration, scenario.DefaultTaskDuration),
		{Name: "spec.limits.maxEvents", Value: strconv.FormatInt(sc.Limits.MaxEvents, 10), Default: strconv.FormatInt(scenario.DefaultMaxEvents, 10)},
		{Name: "spec.limits.maxPods", Value: strconv.Itoa(sc.Limits.MaxPods), Default: strconv.Itoa(scenario.DefaultMaxPods)},
		sched,
	}
	for i, l := range sc.Load {
		t := l.Trace
		v := fmt.Sprintf("%s/%s/%s ← %s %s column %s", l.Target.Kind, l.Target.Namespace, l.Target.Name, t.Format, t.Path, t.Column)
		switch {
		case t.HasTrough:
			v += fmt.Sprintf(", %s–%s cores", ftoa(t.TroughCores), ftoa(t.PeakCores))
		case t.PeakCores > 0:
			v += fmt.Sprintf(", peak %s cores", ftoa(t.PeakCores))
		default:
			v += fmt.Sprintf(", × %s cores", ftoa(t.Scale))
		}
		if !t.Repeat {
			v += ", no repeat"
		}
		out = append(out, Setting{Name: fmt.Sprintf("spec.load[%d]", i), Value: v + " (" + l.Model + ")"})
	}
	// Per-workload pod timing (from ksim.dev/* annotations or a readiness probe) that differs
	// from spec.defaults, in key order (Timing is a map).
	keys := make([]string, 0, len(sc.Timing))
	for k := range sc.Timing {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := sc.Defaults
	for _, k := range keys {
		t := sc.Timing[k]
		for _, f := range []struct {
			name   string
			v, def time.Duration
		}{
			{"startupLatency", t.StartupLatency, d.StartupLatency},
			{"readinessDelay", t.ReadinessDelay, d.ReadinessDelay},
			{"terminationDelay", t.TerminationDelay, d.TerminationDelay},
			{"taskDuration", t.TaskDuration, d.TaskDuration},
		} {
			if f.v != f.def {
				out = append(out, dur(k+" timing."+f.name, f.v, f.def))
			}
		}
	}
	return out
}
