package sim

import (
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/autoscaler/hpa"
	"ksim.dev/ksim/sim/scenario"
)

const sec = time.Second

// The windows metrics-server serves (hpa-spec.md §9): with a 15 s resolution and a node
// phase of 4 s, scrapes land at 4, 19, 34, 49 s...
func TestSampleWindow(t *testing.T) {
	const phase, res = 4 * sec, 15 * sec
	tests := []struct {
		name             string
		started, now     time.Duration
		wantTS, wantFrom time.Duration
		wantOK           bool
	}{
		{"long running: the last full window", -time.Hour, 60 * sec, 49 * sec, 34 * sec, true},
		{"a scrape exactly at the sync counts", -time.Hour, 49 * sec, 49 * sec, 34 * sec, true},
		{"not started at the last scrape", 50 * sec, 60 * sec, 49 * sec, 0, false},
		{"10 s rule: 5 s old at its first scrape has no usage", 14 * sec, 30 * sec, 19 * sec, 0, false},
		{"10 s rule: exactly 10 s old has a sample", 9 * sec, 30 * sec, 19 * sec, 9 * sec, true},
		{"started mid-window: the window runs from the start", 6 * sec, 30 * sec, 19 * sec, 6 * sec, true},
		{"started on a scrape: that scrape is its first, 0 s old", 19 * sec, 30 * sec, 19 * sec, 0, false},
		{"the scrape after a too-young first one: a full window", 14 * sec, 40 * sec, 34 * sec, 19 * sec, true},
		{"the scrape after a fresh window: a full window", 6 * sec, 40 * sec, 34 * sec, 19 * sec, true},
		{"negative times: before the run began", -40 * sec, -2 * sec, -11 * sec, -26 * sec, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := lastScrape(tc.now, phase, res)
			from, ok := sampleWindow(tc.started, ts, phase, res)
			if ts != tc.wantTS || ok != tc.wantOK || (ok && from != tc.wantFrom) {
				t.Errorf("scrape %v, window from %v ok %v; want %v, %v, %v", ts, from, ok, tc.wantTS, tc.wantFrom, tc.wantOK)
			}
		})
	}
	// Phases are whole seconds within the resolution, stable for a node name.
	for _, name := range []string{"n1", "n2", "node-with-a-long-name-7"} {
		p := scrapePhase(&Node{Name: name}, res)
		if p < 0 || p >= res || p%sec != 0 || p != scrapePhase(&Node{Name: name}, res) {
			t.Errorf("scrapePhase(%s) = %v", name, p)
		}
	}
}

// metricsStep is a demand series for unit tests: cores[i] from times[i] on.
type metricsStep struct {
	times []time.Duration
	cores []float64
}

func (s metricsStep) At(t time.Duration) float64 {
	v := 0.0
	for i, at := range s.times {
		if t >= at {
			v = s.cores[i]
		}
	}
	return v
}

// The usage integral over a window follows the load step and the change of the serving count
// exactly, at their own times.
func TestIntegrateStepsAndServingChanges(t *testing.T) {
	o := &Owner{result: &OwnerSeries{}}
	o.load = &loadState{owner: o, model: scenario.ModelAggregate,
		demand: metricsStep{[]time.Duration{0, 100 * sec}, []float64{1, 4}}}
	o.result.Ready.Add(0, 1)
	o.result.Ready.Add(105*sec+500*time.Millisecond, 2) // a second pod serves from 105.5 s
	p := &Pod{Owner: o}
	r := &metricsReader{}
	tests := []struct {
		a, b time.Duration
		want float64 // millicore·seconds
	}{
		{95 * sec, 100 * sec, 5 * 1000},
		{95 * sec, 110 * sec, 5*1000 + 5.5*4000 + 4.5*2000},
		{99*sec + 250*time.Millisecond, 100 * sec, 0.75 * 1000},
		{120 * sec, 135 * sec, 15 * 2000},
		{50 * sec, 50 * sec, 0},
	}
	for _, tc := range tests {
		if got := r.integrate(p, tc.a, tc.b); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("integrate(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// The pod's CPU splits over its containers by request, exactly; memory follows the stand-in
// model (half the request, plus half times the CPU utilization).
func TestFillContainers(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	req := func(cpu, mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	spec := &corev1.PodSpec{
		Containers:     []corev1.Container{{Name: "app", Resources: req("300m", "200Mi")}},
		InitContainers: []corev1.Container{{Name: "init", Resources: req("1", "1Gi")}, {Name: "proxy", RestartPolicy: &always, Resources: req("100m", "100Mi")}},
	}
	var m hpa.PodMetrics
	fillContainers(&m, (&metricsReader{}).requestsOf(spec), 250_000_001, 200, true) // 250.000001m; half the 400m of requests now
	if len(m.Containers) != 2 || m.Containers[0].Name != "app" || m.Containers[1].Name != "proxy" {
		t.Fatalf("containers %+v, want app and proxy", m.Containers)
	}
	app, proxy := m.Containers[0].Usage[corev1.ResourceCPU], m.Containers[1].Usage[corev1.ResourceCPU]
	if a, p := app.ScaledValue(resource.Nano), proxy.ScaledValue(resource.Nano); a != 187_500_000 || a+p != 250_000_001 {
		t.Errorf("cpu split %d + %d nanocores, want 187500000 + the rest of 250000001", a, p)
	}
	if app.MilliValue() != 188 {
		t.Errorf("app cpu reads %dm, want 188m (MilliValue rounds up)", app.MilliValue())
	}
	mem := m.Containers[0].Usage[corev1.ResourceMemory]
	if want := int64(100<<20 + 50<<20); mem.Value() != want {
		t.Errorf("app memory %d, want %d (half of 200Mi, plus half × 50%% utilization)", mem.Value(), want)
	}
	// The sums are what the HPA would read from the containers: each container's MilliValue.
	proxyMem := m.Containers[1].Usage[corev1.ResourceMemory]
	if !m.Summed || m.CPUMilli != app.MilliValue()+proxy.MilliValue() || m.MemoryMilli != mem.MilliValue()+proxyMem.MilliValue() {
		t.Errorf("sums cpu %dm, memory %d milli; want %dm and %d", m.CPUMilli, m.MemoryMilli,
			app.MilliValue()+proxy.MilliValue(), mem.MilliValue()+proxyMem.MilliValue())
	}
	// Without containers asked for, the same sums and no per-container entries.
	var sums hpa.PodMetrics
	fillContainers(&sums, (&metricsReader{}).requestsOf(spec), 250_000_001, 200, false)
	if len(sums.Containers) != 0 || sums.CPUMilli != m.CPUMilli || sums.MemoryMilli != m.MemoryMilli {
		t.Errorf("sums only: %+v, want cpu %dm and memory %d with no containers", sums, m.CPUMilli, m.MemoryMilli)
	}
	// Reused: a second fill allocates no new containers or maps.
	before := &m.Containers[0]
	fillContainers(&m, (&metricsReader{}).requestsOf(spec), 0, 0, true)
	if &m.Containers[0] != before {
		t.Error("fillContainers reallocated the containers")
	}
}

// runMetricsScenario runs a one-node, one-deployment scenario with the given trace to time at (whole
// seconds) and returns the simulation there, with the node's scrape phase.
func runMetricsScenario(t *testing.T, trace string, replicas int32, timing scenario.PodTiming, at time.Duration) (*Simulation, time.Duration) {
	t.Helper()
	sc := baseScenario(at)
	sc.Controllers.SampleInterval = 0
	sc.Defaults = timing
	sc.Nodes = []*corev1.Node{node("n1", "a", "8", "16Gi")}
	sc.Deployments = []*appsv1.Deployment{deployment("web", replicas, podSpec("1", "256Mi"))}
	sc.FS = fstest.MapFS{"t.csv": {Data: []byte(trace)}}
	sc.Load = []scenario.LoadSpec{{Target: scenario.Ref{Kind: "Deployment", Namespace: "default", Name: "web"}, Model: "aggregate",
		Trace: scenario.Trace{Format: "csv", Path: "t.csv", TimeColumn: "t", Column: "cores", Scale: 1}}}
	s, _ := mustRun(t, sc)
	s.clock.now = at // no event between the last one and at: the state holds
	return s, scrapePhase(s.nodes[0], sc.Controllers.MetricResolution)
}

func metricsServedCPU(t *testing.T, s *Simulation, p *Pod) (nano int64, m hpa.PodMetrics, ok bool) {
	t.Helper()
	r := s.newMetricsReader(&windowCache{})
	r.withContainers = true
	if !r.podMetrics(p, &m) {
		return 0, m, false
	}
	q := m.Containers[0].Usage[corev1.ResourceCPU]
	return q.ScaledValue(resource.Nano), m, true
}

// The CPU of a long-running pod over a window that contains a load step is the exact
// average: the trace steps from 1 to 4 cores at 100 s.
func TestMetricAverageOverLoadStep(t *testing.T) {
	trace := "t,cores\n0,1\n100,4\n1000,4\n"
	s, phase := runMetricsScenario(t, trace, 1, scenario.PodTiming{StartupLatency: 2 * sec}, 0)
	// The scrape whose window contains 100 s, and a sync just after it.
	ts := lastScrape(100*sec, phase, 15*sec) + 15*sec
	s, _ = runMetricsScenario(t, trace, 1, scenario.PodTiming{StartupLatency: 2 * sec}, ts+3*sec)
	nano, m, ok := metricsServedCPU(t, s, s.owners[0].Pods[0])
	if !ok {
		t.Fatal("no metric for a long-running pod")
	}
	below, above := 100*sec-(ts-15*sec), ts-100*sec
	want := int64((1000*below.Seconds() + 4000*above.Seconds()) * 1e6 / 15)
	if nano != want || m.Timestamp != ts || m.Window != 15*sec {
		t.Errorf("cpu %d nanocores at %v over %v, want %d at %v over 15s (%v at 1 core, %v at 4)", nano, m.Timestamp, m.Window, want, ts, below, above)
	}
}

// A pod whose containers start in the middle of a scrape window: none at its first scrape
// when under 10 s old, a window from its start when older; its usage counts from readiness.
func TestMetricPodStartingMidWindow(t *testing.T) {
	trace := "t,cores\n0,2\n1000,2\n"
	_, phase := runMetricsScenario(t, trace, 1, scenario.PodTiming{StartupLatency: sec}, 0)
	first := phase + 15*sec // a scrape after the pod is bound at 0
	tests := []struct {
		name          string
		latency       time.Duration // bound at 0 → started
		ready         time.Duration // started → Ready
		wantOK        bool
		wantFrom      time.Duration
		wantMilliSecs float64 // usage integral over the window
	}{
		{"5 s old at its first scrape: missing", first - 5*sec, 0, false, 0, 0},
		{"12 s old at its first scrape: a 12 s window", first - 12*sec, 0, true, first - 12*sec, 12 * 2000},
		{"ready 4 s after starting: 8 s of usage in a 12 s window", first - 12*sec, 4 * sec, true, first - 12*sec, 8 * 2000},
		{"not ready yet: 0 over its window", first - 12*sec, 30 * sec, true, first - 12*sec, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := runMetricsScenario(t, trace, 1, scenario.PodTiming{StartupLatency: tc.latency, ReadinessDelay: tc.ready}, first+sec)
			p := s.owners[0].Pods[0]
			nano, m, ok := metricsServedCPU(t, s, p)
			if ok != tc.wantOK {
				t.Fatalf("served %v, want %v (started %v, scrape %v)", ok, tc.wantOK, p.StartedAt, first)
			}
			if !ok {
				return
			}
			window := first - tc.wantFrom
			want := int64(tc.wantMilliSecs * 1e6 / window.Seconds())
			if m.Timestamp != first || m.Window != window || nano != want {
				t.Errorf("sample at %v over %v: %d nanocores; want %v over %v: %d", m.Timestamp, m.Window, nano, first, window, want)
			}
		})
	}
}

// The HPA sees what the pipeline serves: with 1 core of demand on one pod requesting 1 core,
// a sync reads 100 % (the request's worth), for the first sync after the pod's first full
// window, and the pod is missing before it.
func TestHPASyncReadsPipeline(t *testing.T) {
	sc := baseScenario(2 * time.Minute)
	sc.Nodes = []*corev1.Node{node("n1", "a", "8", "16Gi")}
	sc.Deployments = []*appsv1.Deployment{deployment("web", 1, podSpec("1", "256Mi"))}
	util := int32(100)
	minR := int32(1)
	sc.HPAs = []*autoscalingv2.HorizontalPodAutoscaler{{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minR, MaxReplicas: 4,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}},
		},
	}}
	sc.FS = fstest.MapFS{"t.csv": {Data: []byte("t,cores\n0,1\n1000,1\n")}}
	sc.Load = []scenario.LoadSpec{{Target: scenario.Ref{Kind: "Deployment", Namespace: "default", Name: "web"}, Model: "aggregate",
		Trace: scenario.Trace{Format: "csv", Path: "t.csv", TimeColumn: "t", Column: "cores", Scale: 1}}}
	_, res := mustRun(t, sc)
	syncs := res.HPAs[0].Syncs
	if len(syncs) < 4 {
		t.Fatalf("%d syncs", len(syncs))
	}
	// t=0: no pod has started; the metric fails and desired stays 0 (a new HPA's status).
	if syncs[0].Proposal != -1 || syncs[0].Err == "" {
		t.Errorf("sync at 0: %+v, want a failed metric", syncs[0])
	}
	last := syncs[len(syncs)-1]
	if last.Utilization != 100 || last.Desired != 1 {
		t.Errorf("last sync %+v, want 100 %% and 1 replica", last)
	}
}

// fakeCustom serves an External metric and a Pods metric, and records the queries.
type fakeCustom struct {
	external, perPod int64
	queries          []MetricQuery
}

func (f *fakeCustom) Value(q MetricQuery, t time.Duration) (int64, bool) {
	f.queries = append(f.queries, q)
	switch q.Kind {
	case autoscalingv2.ExternalMetricSourceType:
		return f.external, true
	case autoscalingv2.PodsMetricSourceType:
		return f.perPod, q.Pod != nil && q.Pod.Phase == PodReady
	}
	return 0, false
}

// Pods, Object and External metrics flow from the CustomMetrics source to the HPA; without
// one (the engine's default) they fail as an HPA whose adapter serves nothing does.
func TestCustomMetricsReachTheHPA(t *testing.T) {
	build := func() *scenario.Scenario {
		sc := baseScenario(2 * time.Minute)
		sc.Nodes = []*corev1.Node{node("n1", "a", "8", "16Gi")}
		sc.Deployments = []*appsv1.Deployment{deployment("web", 2, podSpec("100m", "64Mi"))}
		minR := int32(1)
		avg, perPod := resource.MustParse("1"), resource.MustParse("10")
		sc.HPAs = []*autoscalingv2.HorizontalPodAutoscaler{{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
				MinReplicas:    &minR, MaxReplicas: 10,
				Metrics: []autoscalingv2.MetricSpec{
					{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
						Metric: autoscalingv2.MetricIdentifier{Name: "queue"},
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &avg}}},
					{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
						Metric: autoscalingv2.MetricIdentifier{Name: "rps"},
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &perPod}}},
				},
			},
		}}
		return sc
	}

	// No source: both metrics fail; nothing is written.
	_, res := mustRun(t, build())
	for _, sy := range res.HPAs[0].Syncs {
		if sy.Proposal != -1 || !strings.Contains(sy.Err, "invalid metrics (2 invalid out of 2)") {
			t.Fatalf("without a source: sync %+v, want both metrics failed", sy)
		}
	}

	// A source: 4 (External, over 2 status replicas at 1 each: 4 pods) and 10 per ready pod
	// (Pods, at target: hold); the max is 4.
	s, err := New(build(), Options{CheckInvariants: true})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeCustom{external: 4000, perPod: 10000}
	s.hpas[0].custom = src
	res2, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	h := res2.HPAs[0]
	if len(h.ScaleEvents) == 0 || h.ScaleEvents[0].From != 2 || h.ScaleEvents[0].To != 4 {
		t.Fatalf("scale events %+v (syncs %+v), want 2 → 4", h.ScaleEvents, h.Syncs)
	}
	var pods, external int
	for _, q := range src.queries {
		switch {
		case q.Kind == autoscalingv2.PodsMetricSourceType && q.Name == "rps" && q.Pod != nil && q.Owner == s.owners[0]:
			pods++
		case q.Kind == autoscalingv2.ExternalMetricSourceType && q.Name == "queue" && q.Namespace == "default":
			external++
		default:
			t.Errorf("unexpected query %+v", q)
		}
	}
	if external != len(h.Syncs) || pods < 2*len(h.Syncs) {
		t.Errorf("%d external and %d pods queries over %d syncs", external, pods, len(h.Syncs))
	}
}

// TestRequestMetricsDriveHPA: an HPA on the requests model's rates, as a Pods metric (requests
// per second per pod, target 20) and as an External metric (the total, target 20 per pod),
// settles where the rate asks: 120 requests per second need 6 pods either way.
func TestRequestMetricsDriveHPA(t *testing.T) {
	for _, metric := range []string{
		"  - type: Pods\n    pods: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: \"20\"}}\n",
		"  - type: External\n    external: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: \"20\"}}\n",
	} {
		apps := strings.Replace(loadAppsRequest("2", "500m", "", true),
			"  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n", metric, 1)
		s := loadSim(t, "30m", apps,
			"  - target: deployment/web\n    model: requests\n    cpuPerRequest: 5m\n    trace: {format: counts, path: c.txt, interval: 1s}\n",
			map[string]string{"c.txt": "120 120 120 120\n"}, 1)
		res, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		h := res.HPAs[0]
		last := h.Syncs[len(h.Syncs)-1]
		if last.Desired != 6 {
			t.Errorf("%s: desired at the end = %d, want 6; scale events %+v", strings.Fields(metric)[2], last.Desired, h.ScaleEvents)
		}
	}
}
