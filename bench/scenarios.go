package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/sim/scenario"
)

// Size is one rung of the whole-run ladder.
type Size struct {
	Nodes    int           // nodes, spread over three zones
	HPAs     int           // Deployments, each with an HPA and its own diurnal trace
	Pods     int           // replicas at peak demand over all Deployments (daemon pods not counted)
	Duration time.Duration // simulated time
}

// Ladder is the sizes of BenchmarkRunWeek: 100 / 1,000 / 5,000 nodes.
var Ladder = []Size{
	{Nodes: 100, HPAs: 10, Pods: 1_000, Duration: 7 * 24 * time.Hour},
	{Nodes: 1_000, HPAs: 50, Pods: 10_000, Duration: 7 * 24 * time.Hour},
	{Nodes: 5_000, HPAs: 200, Pods: 50_000, Duration: 7 * 24 * time.Hour},
}

// WebFleet builds a scenario of the given size: nodes of 16 cores in three zones, one Deployment
// per HPA (CPU 60% of a 500m request), each driven by its own diurnal trace with noise at a
// 5-minute resolution, a DaemonSet on every node, and an HPA sync every 30 s. The scenario is
// a pure function of (size, seed). Cost: O(nodes + HPAs × samples).
func WebFleet(size Size, seed uint64) *scenario.Scenario {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sc := &scenario.Scenario{
		Name:     fmt.Sprintf("web-fleet-%dn-%dh", size.Nodes, size.HPAs),
		Seed:     seed,
		Duration: size.Duration,
		Limits:   scenario.Limits{MaxEvents: 1 << 40, MaxPods: 10 * (size.Pods + size.Nodes)},
		// The loader's defaults, but the report samples the cluster every 5 minutes.
		Controllers: scenario.Controllers{
			HPASyncPeriod: scenario.DefaultHPASyncPeriod, HPATolerance: scenario.DefaultHPATolerance,
			HPADownscaleWindow: scenario.DefaultHPADownscaleWindow, HPACPUInitPeriod: scenario.DefaultHPACPUInitPeriod,
			HPAInitialReadiness: scenario.DefaultHPAInitialReadiness, MetricResolution: scenario.DefaultMetricResolution,
			NodeMonitorGracePeriod: scenario.DefaultNodeMonitorGracePeriod, SampleInterval: 5 * time.Minute,
		},
		Defaults: scenario.PodTiming{StartupLatency: 3 * time.Second, ReadinessDelay: 5 * time.Second, TaskDuration: scenario.DefaultTaskDuration},
	}
	zones := []string{"a", "b", "c"}
	for i := 0; i < size.Nodes; i++ {
		zone := zones[i%3]
		name := fmt.Sprintf("node-%s-%05d", zone, i)
		rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("64Gi"), corev1.ResourcePods: resource.MustParse("110")}
		sc.Nodes = append(sc.Nodes, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				corev1.LabelHostname: name, corev1.LabelTopologyZone: "zone-" + zone, "pool": "general"}},
			Status: corev1.NodeStatus{Capacity: rl, Allocatable: rl},
		})
	}
	files := fstest.MapFS{}
	perHPA := size.Pods / size.HPAs
	for h := 0; h < size.HPAs; h++ {
		name := fmt.Sprintf("svc-%03d", h)
		replicas := int32(max(2, perHPA/4))
		sc.Deployments = append(sc.Deployments, deployment(name, replicas))
		minR, maxR, util := int32(2), int32(perHPA*3/2), int32(60)
		sc.HPAs = append(sc.HPAs, &autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
				MinReplicas:    &minR, MaxReplicas: maxR,
				Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}},
			},
		})
		path := name + ".csv"
		files[path] = &fstest.MapFile{Data: diurnalCSV(rng, size.Duration)}
		// At peak, perHPA pods at 60% of 500m.
		peak := float64(perHPA) * 0.3
		sc.Load = append(sc.Load, scenario.LoadSpec{
			Target: scenario.Ref{Kind: "Deployment", Namespace: "default", Name: name}, Model: "aggregate",
			Trace: scenario.Trace{Format: "csv", Path: path, TimeColumn: "t", Column: "v", PeakCores: peak, TroughCores: peak / 4, HasTrough: true, Repeat: true},
		})
	}
	sc.FS = files
	sc.DaemonSets = []*appsv1.DaemonSet{{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "kube-system"},
		Spec:       appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}}, Spec: podSpec("100m", "128Mi")}},
	}}
	return sc
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: podSpec("500m", "512Mi")}},
	}
}

func podSpec(cpu, mem string) corev1.PodSpec {
	spec := corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "img",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}},
	}}}
	scenario.DefaultPod(&spec)
	return spec
}

// diurnalCSV is a day-periodic load with noise, one sample per 5 minutes, as a CSV with
// columns t (seconds) and v.
func diurnalCSV(rng *rand.Rand, d time.Duration) []byte {
	var b strings.Builder
	b.WriteString("t,v\n")
	phase := rng.Float64() * 2 * math.Pi
	for t := time.Duration(0); t <= d; t += 5 * time.Minute {
		day := 2 * math.Pi * t.Hours() / 24
		v := 1 + 0.8*math.Sin(day+phase) + 0.1*rng.NormFloat64()
		fmt.Fprintf(&b, "%d,%.4f\n", int64(t.Seconds()), max(v, 0.05))
	}
	return []byte(b.String())
}
