package hpa

import (
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// metricProposal is one metric's answer (horizontal.go: computeReplicasForMetric).
type metricProposal struct {
	replicas int32
	status   autoscalingv2.MetricStatus // the currentMetrics entry; zero when the metric failed
	// utilization (percent) and averageMilli (per pod) are the current values for Decision;
	// -1 when the metric has none.
	utilization  int32
	averageMilli int64
	// err is set when the metric failed; failReason is then the ScalingActive reason.
	err        error
	failReason string
}

func (m *metricSource) failed(err error) metricProposal {
	return metricProposal{replicas: -1, utilization: -1, averageMilli: -1, err: err, failReason: m.failReason}
}

var (
	errInvalidResourceTarget = errors.New("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
	errInvalidObjectTarget   = errors.New("invalid object metric source: neither a value target nor an average value target was set")
	errInvalidExternalTarget = errors.New("invalid external metric source: neither a value target nor an average value target was set")
	errNoObjectValue         = errors.New("unable to fetch metrics from custom metrics API: the server could not find the metric")
)

// proposeForMetric computes the proposal of spec.metrics[i] at this sync
// (horizontal.go: computeReplicasForMetric and the computeStatusFor*Metric functions). Errors
// are wrapped as upstream wraps them, so that Decision.Err reads like the controller's event.
func (a *Autoscaler) proposeForMetric(now time.Duration, in *Input, i int) metricProposal {
	m := &a.spec.metrics[i]
	spec := &a.spec.metricSpecs[i]
	tol := a.spec.tolerances
	cur := in.Replicas
	var values *MetricValues
	if i < len(in.Metrics) {
		values = &in.Metrics[i]
	}

	switch m.typ {
	case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
		wrap := func(err error) metricProposal {
			if m.typ == autoscalingv2.ContainerResourceMetricSourceType {
				return m.failed(fmt.Errorf("failed to get %s container metric value: %w", m.container, err))
			}
			return m.failed(fmt.Errorf("failed to get %s resource metric value: %w", m.resource, err))
		}
		var current autoscalingv2.MetricValueStatus
		p := metricProposal{utilization: -1}
		switch m.target {
		case targetAverageValue:
			n, avg, err := plainReplicas(now, cur, m, nil, tol, in.Pods, &a.opts)
			if err != nil {
				return wrap(fmt.Errorf("failed to get %s usage: %w", m.resource, err))
			}
			p.replicas, p.averageMilli = n, avg
			current.AverageValue = buildQuantity(m.resource, avg)
		case targetUtilization:
			r, err := utilizationReplicas(now, cur, m, tol, in.Pods, &a.opts)
			if err != nil {
				return wrap(fmt.Errorf("failed to get %s utilization: %w", m.resource, err))
			}
			p.replicas, p.utilization, p.averageMilli = r.replicas, r.utilization, r.rawAverage
			util := r.utilization
			current.AverageUtilization = &util
			current.AverageValue = buildQuantity(m.resource, r.rawAverage)
		default:
			return wrap(errInvalidResourceTarget)
		}
		if m.typ == autoscalingv2.ResourceMetricSourceType {
			p.status = autoscalingv2.MetricStatus{Type: m.typ,
				Resource: &autoscalingv2.ResourceMetricStatus{Name: m.resource, Current: current}}
		} else {
			p.status = autoscalingv2.MetricStatus{Type: m.typ,
				ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{Name: m.resource, Container: m.container, Current: current}}
		}
		return p

	case autoscalingv2.PodsMetricSourceType:
		wrap := func(err error) metricProposal {
			return m.failed(fmt.Errorf("failed to get pods metric value: %w", err))
		}
		if m.selectorErr != nil {
			return wrap(m.selectorErr)
		}
		if values != nil && values.Err != nil {
			return wrap(fmt.Errorf("unable to get metric %s: unable to fetch metrics from custom metrics API: %w", m.metricName, values.Err))
		}
		var pv podsValues
		if values != nil {
			pv = matchPodsValues(in.Pods, values.Pods)
		}
		n, avg, err := plainReplicas(now, cur, m, &pv, tol, in.Pods, &a.opts)
		if err != nil {
			return wrap(err)
		}
		return metricProposal{replicas: n, utilization: -1, averageMilli: avg, status: autoscalingv2.MetricStatus{
			Type: m.typ,
			Pods: &autoscalingv2.PodsMetricStatus{
				Metric:  autoscalingv2.MetricIdentifier{Name: m.metricName, Selector: spec.Pods.Metric.Selector},
				Current: autoscalingv2.MetricValueStatus{AverageValue: resource.NewMilliQuantity(avg, resource.DecimalSI)},
			},
		}}

	case autoscalingv2.ObjectMetricSourceType:
		wrap := func(err error) metricProposal {
			return m.failed(fmt.Errorf("failed to get object metric value: %w", err))
		}
		if m.selectorErr != nil {
			return wrap(m.selectorErr)
		}
		if m.target == targetInvalid {
			return wrap(errInvalidObjectTarget)
		}
		var usage int64
		apiErr := errNoObjectValue
		if values != nil && values.Err != nil {
			apiErr = fmt.Errorf("unable to fetch metrics from custom metrics API: %w", values.Err)
		} else if values != nil && values.Object != nil {
			usage, apiErr = values.Object.Value.MilliValue(), nil
		}
		if apiErr != nil {
			err := fmt.Errorf("unable to get metric %s on %s %s/%s: %w", m.metricName, m.object.Kind, a.spec.namespace, m.object.Name, apiErr)
			if m.target == targetAverageValue {
				err = fmt.Errorf("failed to get %s object metric: %w", m.metricName, err)
			}
			return wrap(err)
		}
		n, current, err := objectReplicas(cur, in.StatusReplicas, usage, m, tol, in.Pods)
		if err != nil {
			return wrap(err)
		}
		st := &autoscalingv2.ObjectMetricStatus{
			DescribedObject: m.object,
			Metric:          autoscalingv2.MetricIdentifier{Name: m.metricName, Selector: spec.Object.Metric.Selector},
		}
		p := metricProposal{replicas: n, utilization: -1, averageMilli: -1,
			status: autoscalingv2.MetricStatus{Type: m.typ, Object: st}}
		if m.target == targetValue {
			st.Current.Value = resource.NewMilliQuantity(current, resource.DecimalSI)
		} else {
			st.Current.AverageValue = resource.NewMilliQuantity(current, resource.DecimalSI)
			p.averageMilli = current
		}
		return p

	case autoscalingv2.ExternalMetricSourceType:
		wrap := func(err error) metricProposal {
			return m.failed(fmt.Errorf("failed to get %s external metric value: %w", m.metricName, err))
		}
		inner := func(err error) error {
			if m.target == targetAverageValue {
				return fmt.Errorf("failed to get %s external metric: %w", m.metricName, err)
			}
			return fmt.Errorf("failed to get external metric %s: %w", m.metricName, err)
		}
		if m.target == targetInvalid {
			return wrap(errInvalidExternalTarget)
		}
		if m.selectorErr != nil {
			return wrap(inner(m.selectorErr))
		}
		apiErr := errNoExternalMetrics
		if values != nil && values.Err != nil {
			apiErr = fmt.Errorf("unable to fetch metrics from external metrics API: %w", values.Err)
		} else if values != nil && len(values.External) > 0 {
			apiErr = nil
		}
		if apiErr != nil {
			return wrap(inner(fmt.Errorf("unable to get external metric %s/%s/%+v: %s", a.spec.namespace, m.metricName, spec.External.Metric.Selector, apiErr)))
		}
		n, current, err := externalReplicas(cur, in.StatusReplicas, values.External, m, tol, in.Pods)
		if err != nil {
			return wrap(inner(err))
		}
		st := &autoscalingv2.ExternalMetricStatus{
			Metric: autoscalingv2.MetricIdentifier{Name: m.metricName, Selector: spec.External.Metric.Selector},
		}
		p := metricProposal{replicas: n, utilization: -1, averageMilli: -1,
			status: autoscalingv2.MetricStatus{Type: m.typ, External: st}}
		if m.target == targetValue {
			st.Current.Value = resource.NewMilliQuantity(current, resource.DecimalSI)
		} else {
			st.Current.AverageValue = resource.NewMilliQuantity(current, resource.DecimalSI)
			p.averageMilli = current
		}
		return p
	}
	// Unreachable: compile accepts the five source types only.
	panic(fmt.Sprintf("hpa %s: metric %d of unknown type %q", a.name, i, m.typ))
}

// buildQuantity is the status quantity of a resource metric (horizontal.go: buildQuantity):
// memory in binary units, as metrics-server serves it; everything else in decimal ones.
func buildQuantity(res corev1.ResourceName, milli int64) *resource.Quantity {
	format := resource.DecimalSI
	if res == corev1.ResourceMemory {
		format = resource.BinarySI
	}
	return resource.NewMilliQuantity(milli, format)
}

// combined is the outcome of all metrics of one sync.
type combined struct {
	replicas   int32 // -1 when nothing can be done (see combineProposals)
	metricName string
	err        error
	failReason string // the ScalingActive reason when replicas is -1
	results    []MetricResult
	// The current values of the first metric that has them, for Decision; -1 when none.
	utilization  int32
	averageMilli int64
}

// computeReplicasForMetrics evaluates every metric and combines them
// (horizontal.go: computeReplicasForMetrics).
func (a *Autoscaler) computeReplicasForMetrics(now time.Duration, in *Input) combined {
	// At most a handful of metrics: keep the proposals on the stack.
	var buf [4]metricProposal
	props := buf[:0]
	for i := range a.spec.metrics {
		props = append(props, a.proposeForMetric(now, in, i))
	}
	c := combineProposals(in.Replicas, props, a.spec.metrics)
	c.results = make([]MetricResult, len(props))
	c.utilization, c.averageMilli = -1, -1
	for i := range props {
		p := &props[i]
		r := &c.results[i]
		r.Status, r.Proposal = p.status, p.replicas
		if p.err != nil {
			r.Err, r.Reason = p.err.Error(), p.failReason
			continue
		}
		if c.utilization == -1 && p.utilization >= 0 {
			c.utilization, c.averageMilli = p.utilization, p.averageMilli
		}
	}
	if c.utilization == -1 {
		for i := range props {
			if props[i].err == nil && props[i].averageMilli >= 0 {
				c.averageMilli = props[i].averageMilli
				break
			}
		}
	}
	return c
}

// combineProposals takes the largest valid proposal; the first metric reaching it names the
// reason. When every metric failed, or some failed and the valid ones would scale below cur,
// it returns replicas -1 with the first failure: an unavailable metric may block a scale down,
// never a scale up. When some failed but the rest allow it, it returns the proposal together
// with the error (upstream logs it and scales anyway).
func combineProposals(cur int32, props []metricProposal, metrics []metricSource) combined {
	var c combined
	invalid := 0
	var firstErr error
	for i, p := range props {
		if p.err != nil {
			if invalid == 0 {
				firstErr, c.failReason = p.err, p.failReason
			}
			invalid++
			continue
		}
		if c.replicas == 0 || p.replicas > c.replicas {
			c.replicas, c.metricName = p.replicas, metrics[i].name
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
