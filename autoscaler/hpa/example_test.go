package hpa_test

import (
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"ksim.dev/ksim/autoscaler/hpa"
)

// The engine creates one Autoscaler per HPA and calls Sync every sync period with the target's
// replicas and its pods; it writes Desired back when Rescale is set.
func ExampleAutoscaler_Sync() {
	minR, target := int32(1), int32(50)
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minR,
			MaxReplicas:    10,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
				},
			}},
		},
	}
	a, err := hpa.New(h, 0, hpa.DefaultOptions())
	if err != nil {
		panic(err)
	}
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}}}}
	replicas := int32(2)
	for i, usage := range []int64{450, 450, 100} { // millicores per pod, at each sync
		now := time.Duration(i) * 15 * time.Second
		pods := make([]hpa.PodSample, replicas)
		for i := range pods {
			pods[i] = hpa.PodSample{
				Name: fmt.Sprintf("web-%d", i), Phase: corev1.PodRunning, Ready: true,
				Started: true, StartTime: -time.Hour, ReadyChanged: -time.Hour,
				Spec: spec,
				Metrics: &hpa.PodMetrics{Timestamp: now - 5*time.Second, Window: 15 * time.Second,
					Containers: []metricsv1beta1.ContainerMetrics{{Name: "web", Usage: corev1.ResourceList{
						corev1.ResourceCPU: *resource.NewMilliQuantity(usage, resource.DecimalSI)}}}},
			}
		}
		d := a.Sync(now, &hpa.Input{Replicas: replicas, StatusReplicas: replicas, Pods: pods})
		fmt.Printf("t=%v current %d, utilization %d%%, proposal %d, desired %d",
			d.Time, d.Current, d.Utilization, d.Proposal, d.Desired)
		if d.Limited != "" {
			fmt.Printf(" (%s)", d.Limited)
		}
		fmt.Println()
		if d.Rescale {
			replicas = d.Desired
		}
	}
	// Output:
	// t=0s current 2, utilization 90%, proposal 4, desired 4
	// t=15s current 4, utilization 90%, proposal 8, desired 8
	// t=30s current 8, utilization 20%, proposal 4, desired 8 (ScaleDownStabilized)
}
