package hpa

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	custommetrics "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
)

// TestCountStandsForIdenticalPods checks PodSample.Count: a sync given one sample with Count n
// decides exactly as a sync given the n pods one by one, over random targets (ready, unready,
// missing, pending, deleting and failed pods; CPU and memory utilization, an AverageValue, a
// Pods metric) and whole sequences of syncs, so that the histories the two autoscalers keep
// stay equal too.
func TestCountStandsForIdenticalPods(t *testing.T) {
	memTarget := resource.MustParse("300Mi")
	specs := [][]autoscalingv2.MetricSpec{
		{resourceMetric(corev1.ResourceCPU, 60)},
		{resourceMetric(corev1.ResourceMemory, 70)},
		{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &memTarget}}}},
		{podsMetric("qps", "10")},
		{resourceMetric(corev1.ResourceCPU, 50), podsMetric("qps", "12")},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for c := 0; c < 300; c++ {
		h := cpuHPA(1, 60, 0)
		h.Spec.Metrics = specs[c%len(specs)]
		opts := testOptions()
		one := mustNew(t, h, 0, opts)
		many := mustNew(t, h, 0, opts)
		cur := int32(1 + rng.IntN(20))
		for step := 0; step < 8; step++ {
			now := testNow + time.Duration(step)*30*time.Second
			summed, listed := randomTarget(rng, now)
			a := one.Sync(now, &Input{Replicas: cur, StatusReplicas: cur, Pods: summed.pods, Metrics: summed.values(len(h.Spec.Metrics))})
			b := many.Sync(now, &Input{Replicas: cur, StatusReplicas: cur, Pods: listed.pods, Metrics: listed.values(len(h.Spec.Metrics))})
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("case %d step %d: with Count:\n%+v\none by one:\n%+v", c, step, a, b)
			}
			if a.Rescale {
				cur = a.Desired
			}
		}
	}
}

// countedPods is an input's pods and the Pods metric's list that goes with them.
type countedPods struct {
	pods []PodSample
	qps  []custommetrics.MetricValue
}

// values is the Input.Metrics for n metrics, the Pods metric's list at every index (only Pods
// metrics read it).
func (c countedPods) values(n int) []MetricValues {
	out := make([]MetricValues, n)
	for i := range out {
		out[i].Pods = c.qps
	}
	return out
}

// randomTarget draws a few kinds of pods, each kind several times, and returns them as one
// sample per kind with a Count and as the pods listed one by one.
func randomTarget(rng *rand.Rand, now time.Duration) (summed, listed countedPods) {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}}}}
	kinds := 1 + rng.IntN(5)
	for k := 0; k < kinds; k++ {
		p := PodSample{Phase: corev1.PodRunning, Ready: true, Started: true, StartTime: now - time.Hour,
			ReadyChanged: now - 50*time.Minute, Spec: spec}
		switch rng.IntN(8) {
		case 0:
			p.Ready, p.ReadyChanged = false, now-20*time.Second // unready
		case 1:
			p.Phase, p.Started = corev1.PodPending, false
		case 2:
			p.Deleting = true
		case 3:
			p.Phase = corev1.PodFailed
		case 4:
			p.StartTime, p.ReadyChanged = now-time.Minute, now-50*time.Second // initializing
		}
		hasMetrics := p.Phase == corev1.PodRunning && rng.IntN(6) != 0
		if hasMetrics {
			p.Metrics = &PodMetrics{Timestamp: now - 5*time.Second, Window: 15 * time.Second, Summed: true,
				CPUMilli: int64(rng.IntN(1200)), MemoryMilli: int64(100+rng.IntN(300)) << 20 * 1000}
		}
		qps := int64(rng.IntN(30_000))
		n := 1 + rng.IntN(40)
		first := fmt.Sprintf("pod-%d-0", k)
		s := p
		s.Name, s.Count = first, int32(n)
		summed.pods = append(summed.pods, s)
		if hasMetrics {
			summed.qps = append(summed.qps, podMetricItem(first, qps))
		}
		for i := 0; i < n; i++ {
			l := p
			l.Name = fmt.Sprintf("pod-%d-%d", k, i)
			listed.pods = append(listed.pods, l)
			if hasMetrics {
				listed.qps = append(listed.qps, podMetricItem(l.Name, qps))
			}
		}
	}
	return summed, listed
}

func podMetricItem(name string, milli int64) custommetrics.MetricValue {
	return custommetrics.MetricValue{DescribedObject: corev1.ObjectReference{Kind: "Pod", Name: name},
		Value: *resource.NewMilliQuantity(milli, resource.DecimalSI)}
}
