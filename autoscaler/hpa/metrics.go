package hpa

import (
	"fmt"
	"time"
)

// metricProposal is one metric's answer (horizontal.go: computeReplicasForMetric).
type metricProposal struct {
	replicas     int32
	name         string // e.g. "cpu resource utilization (percentage of request)", for the event
	utilization  int32  // -1 unless a Utilization target
	averageMilli int64  // the metric's current average value, -1 when unknown
	// err is set when the metric failed; failReason is then the ScalingActive reason.
	err        error
	failReason string
}

// proposeForMetric computes one metric's proposal at current replicas cur. Each metric type
// has its own step here; a later version adds Pods, Object, External and ContainerResource.
func (a *Autoscaler) proposeForMetric(now time.Duration, cur int32, m *metricSource, pods []PodSample) metricProposal {
	tol := a.spec.tolerances
	res := string(m.resource)
	if m.useAverageValue {
		// horizontal.go: computeStatusForResourceMetricGeneric, AverageValue branch.
		n, avg, err := resourceAverageValueReplicas(now, cur, m.targetAverageMilli, tol, pods, &a.opts)
		if err != nil {
			return metricFailed(ReasonFailedGetResourceMetric,
				fmt.Errorf("failed to get %s resource metric value: failed to get %s usage: %w", res, res, err))
		}
		return metricProposal{replicas: n, name: m.name, utilization: -1, averageMilli: avg}
	}
	r, err := resourceUtilizationReplicas(now, cur, m.targetUtilization, tol, pods, &a.opts)
	if err != nil {
		return metricFailed(ReasonFailedGetResourceMetric,
			fmt.Errorf("failed to get %s resource metric value: failed to get %s utilization: %w", res, res, err))
	}
	return metricProposal{
		replicas:     r.replicas,
		name:         m.name,
		utilization:  r.utilization,
		averageMilli: r.rawAverage,
	}
}

func metricFailed(reason string, err error) metricProposal {
	return metricProposal{utilization: -1, averageMilli: -1, err: err, failReason: reason}
}

// combined is the outcome of all metrics of one sync.
type combined struct {
	replicas   int32 // -1 when nothing can be done (see combineProposals)
	metricName string
	err        error
	failReason string // the ScalingActive reason when replicas is -1
	// The first cpu metric's current values, for Decision; -1 when unknown.
	utilization  int32
	averageMilli int64
}

// computeReplicasForMetrics evaluates every metric and combines them
// (horizontal.go: computeReplicasForMetrics).
func (a *Autoscaler) computeReplicasForMetrics(now time.Duration, cur int32, pods []PodSample) combined {
	// At most a handful of metrics: keep the proposals on the stack.
	var buf [4]metricProposal
	props := buf[:0]
	for i := range a.spec.metrics {
		props = append(props, a.proposeForMetric(now, cur, &a.spec.metrics[i], pods))
	}
	c := combineProposals(cur, props)
	c.utilization, c.averageMilli = -1, -1
	for _, p := range props {
		if p.err == nil {
			c.utilization, c.averageMilli = p.utilization, p.averageMilli
			break
		}
	}
	return c
}

// combineProposals takes the largest valid proposal; the first metric reaching it names the
// reason. When every metric failed, or some failed and the valid ones would scale below cur,
// it returns replicas -1 with the first failure: an unavailable metric may block a scale down,
// never a scale up. When some failed but the rest allow it, it returns the proposal together
// with the error (upstream logs it and scales anyway).
func combineProposals(cur int32, props []metricProposal) combined {
	var c combined
	invalid := 0
	var firstErr error
	for _, p := range props {
		if p.err != nil {
			if invalid == 0 {
				firstErr, c.failReason = p.err, p.failReason
			}
			invalid++
			continue
		}
		if c.replicas == 0 || p.replicas > c.replicas {
			c.replicas, c.metricName = p.replicas, p.name
		}
	}
	if firstErr != nil {
		c.err = fmt.Errorf("invalid metrics (%d invalid out of %d), first error is: %w", invalid, len(props), firstErr)
	}
	if invalid >= len(props) || (invalid > 0 && c.replicas < cur) {
		return combined{replicas: -1, err: c.err, failReason: c.failReason}
	}
	c.failReason = "" // ScalingActive is True/ValidMetricFound after all
	return c
}
