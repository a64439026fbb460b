package sim

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/sim/scenario"
)

// ---- tiny builders ----

func node(name, zone, cpu, mem string, taints ...corev1.Taint) *corev1.Node {
	rl := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			corev1.LabelHostname: name, corev1.LabelTopologyZone: zone}},
		Spec:   corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{Capacity: rl, Allocatable: rl},
	}
}

func podSpec(cpu, mem string) corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "img",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}},
	}}, Tolerations: defaultTolerations()}
}

// defaultTolerations are what the DefaultTolerationSeconds admission plugin adds.
func defaultTolerations() []corev1.Toleration {
	sec := int64(300)
	return []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &sec},
		{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &sec},
	}
}

func deployment(name string, replicas int32, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec}},
	}
}

func baseScenario(d time.Duration) *scenario.Scenario {
	return &scenario.Scenario{
		Name: "test", Seed: 1, Duration: d,
		Limits: scenario.Limits{MaxEvents: 1_000_000, MaxPods: 100_000},
		Controllers: scenario.Controllers{
			HPASyncPeriod: 30 * time.Second, HPATolerance: 0.1, HPADownscaleWindow: 5 * time.Minute,
			HPACPUInitPeriod: 5 * time.Minute, HPAInitialReadiness: 30 * time.Second,
			MetricResolution: 15 * time.Second, NodeMonitorGracePeriod: 50 * time.Second,
			SampleInterval: time.Minute,
		},
		Defaults: scenario.PodTiming{StartupLatency: 2 * time.Second, TaskDuration: time.Minute},
	}
}

func mustRun(t *testing.T, sc *scenario.Scenario) (*Simulation, *Result) {
	t.Helper()
	s, err := New(sc, Options{CheckInvariants: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s, res
}

func logLines(res *Result, kind string) []string {
	var out []string
	for _, l := range res.Log {
		if l.Kind == kind {
			out = append(out, fmt.Sprintf("%v %s %s", l.T, l.Object, l.Detail))
		}
	}
	return out
}

// ---- tests ----

func TestDeploymentPodsSpreadOverFittingNodes(t *testing.T) {
	sc := baseScenario(time.Hour)
	sc.Nodes = []*corev1.Node{node("n1", "a", "2", "4Gi"), node("n2", "b", "2", "4Gi")}
	sc.Deployments = []*appsv1.Deployment{deployment("web", 5, podSpec("700m", "512Mi"))}
	s, res := mustRun(t, sc)
	// Each node fits two 700m pods; the fifth cannot be placed.
	if res.Pods.Scheduled != 4 || res.Pods.UnschedulableAtEnd != 1 {
		t.Fatalf("scheduled=%d unschedulable=%d, want 4 and 1", res.Pods.Scheduled, res.Pods.UnschedulableAtEnd)
	}
	for _, n := range s.nodes {
		if len(n.pods) != 2 {
			t.Errorf("node %s has %d pods, want 2", n.Name, len(n.pods))
		}
	}
	if len(res.Unschedulable) != 1 || res.Unschedulable[0].Reason != "Insufficient cpu" {
		t.Fatalf("unschedulable reasons = %+v, want one: Insufficient cpu", res.Unschedulable)
	}
	if pts := res.Unschedulable[0].Pods.Points; pts[len(pts)-1].V != 1 {
		t.Errorf("pods held back by Insufficient cpu at the end = %v, want 1", pts[len(pts)-1].V)
	}
	if len(res.Placements) != 4 || res.Placements[0].Pending != 0 {
		t.Errorf("placements = %+v, want 4 immediate ones", res.Placements)
	}
	lines := logLines(res, "unschedulable")
	if len(lines) != 1 || !strings.Contains(lines[0], "0/2 nodes are available: 2 Insufficient cpu.") {
		t.Errorf("unschedulable log = %q", lines)
	}
}

func TestTaintedNodeNeedsToleration(t *testing.T) {
	sc := baseScenario(time.Hour)
	taint := corev1.Taint{Key: "pool", Value: "batch", Effect: corev1.TaintEffectNoSchedule}
	sc.Nodes = []*corev1.Node{node("batch", "a", "8", "16Gi", taint)}
	plain := deployment("plain", 1, podSpec("100m", "64Mi"))
	tol := podSpec("100m", "64Mi")
	tol.Tolerations = append(tol.Tolerations, corev1.Toleration{Key: "pool", Operator: corev1.TolerationOpEqual, Value: "batch", Effect: corev1.TaintEffectNoSchedule})
	sc.Deployments = []*appsv1.Deployment{plain, deployment("tolerant", 1, tol)}
	_, res := mustRun(t, sc)
	if res.Pods.Scheduled != 1 || res.Pods.UnschedulableAtEnd != 1 {
		t.Fatalf("scheduled=%d unschedulable=%d, want 1 and 1", res.Pods.Scheduled, res.Pods.UnschedulableAtEnd)
	}
}

func TestNoExecuteTaintEvictsAfterTolerationSeconds(t *testing.T) {
	sc := baseScenario(time.Hour)
	sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi"), node("n2", "b", "4", "8Gi")}
	// Tolerates the maintenance taint for 120 s.
	spec := podSpec("100m", "64Mi")
	sec := int64(120)
	spec.Tolerations = append(spec.Tolerations, corev1.Toleration{Key: "maint", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &sec})
	spec.NodeSelector = map[string]string{corev1.LabelHostname: "n1"}
	sc.Deployments = []*appsv1.Deployment{deployment("slow", 1, spec), deployment("fast", 1, func() corev1.PodSpec {
		s := podSpec("100m", "64Mi")
		s.NodeSelector = map[string]string{corev1.LabelHostname: "n1"}
		return s
	}())}
	taint := corev1.Taint{Key: "maint", Value: "x", Effect: corev1.TaintEffectNoExecute}
	sc.Events = []scenario.NodeEvent{{At: 10 * time.Minute, Action: "taint", Names: []string{"n1"}, Taint: &taint, Source: "test:1"}}
	_, res := mustRun(t, sc)
	ev := logLines(res, "evict")
	// "fast" does not tolerate the taint: evicted at once, and its replacement fits nowhere.
	// "slow" tolerates it for 120 s: evicted at 12m; its replacement tolerates the taint too, so
	// the scheduler puts it back on n1 and it is evicted 120 s later, and so on every 2 minutes
	// until the end of the run (as in a real cluster).
	if len(ev) < 2 || !strings.HasPrefix(ev[0], "10m0s pod/default/fast-") || !strings.HasPrefix(ev[1], "12m0s pod/default/slow-") {
		t.Fatalf("evictions = %q", ev)
	}
	for i, line := range ev[1:] {
		want := fmt.Sprintf("%v pod/default/slow-", 12*time.Minute+time.Duration(i)*2*time.Minute)
		if !strings.HasPrefix(line, want) {
			t.Errorf("eviction %d = %q, want prefix %q", i+1, line, want)
		}
	}
	if n := len(ev) - 1; n != 25 {
		t.Errorf("%d evictions of slow, want 25 (12m, 14m, ..., 60m)", n)
	}
	if res.Pods.UnschedulableAtEnd != 1 {
		t.Errorf("unschedulable at end = %d, want 1 (fast's replacement)", res.Pods.UnschedulableAtEnd)
	}
}

func TestNodeFailureEvictsAfterDefaultTolerations(t *testing.T) {
	sc := baseScenario(time.Hour)
	sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi"), node("n2", "b", "4", "8Gi")}
	spec := podSpec("100m", "64Mi")
	spec.NodeSelector = map[string]string{corev1.LabelHostname: "n1"}
	sc.Deployments = []*appsv1.Deployment{deployment("web", 1, spec), deployment("any", 4, podSpec("1", "64Mi"))}
	sc.Events = []scenario.NodeEvent{{At: 10 * time.Minute, Action: "fail", Names: []string{"n1"}, Source: "test:1"}}
	s, res := mustRun(t, sc)
	// NotReady after the 50 s grace period, eviction 300 s later.
	ev := logLines(res, "evict")
	if len(ev) == 0 || !strings.HasPrefix(ev[0], "15m50s ") {
		t.Fatalf("evictions = %q, want the first at 15m50s", ev)
	}
	// The "any" pods evicted from n1 moved to n2 (four 1-core pods fill its 4 cores); the web
	// replacement cannot go anywhere.
	for _, p := range s.nodes[0].pods {
		if !p.Deleting {
			t.Errorf("pod %s still active on the failed node", p.Obj.Name)
		}
	}
	onN2 := 0
	for _, p := range s.nodes[1].pods {
		if p.Owner.Name == "any" && p.active() {
			onN2++
		}
	}
	if onN2 != 4 {
		t.Errorf("%d of the 4 \"any\" pods on n2 at the end, want all", onN2)
	}
	if res.Pods.UnschedulableAtEnd < 1 {
		t.Errorf("want the pinned web replacement unschedulable, got %d", res.Pods.UnschedulableAtEnd)
	}
}

func TestScaleDownVictimOrder(t *testing.T) {
	cases := []struct {
		name string
		pods []*Pod
		want []int64 // IDs deleted first
	}{
		// Each case's victim is not the newest pod, which the last tie-break would pick anyway.
		{"unassigned before assigned", []*Pod{
			{ID: 1, Phase: PodPending},
			{ID: 2, Phase: PodReady, Node: &Node{Name: "a"}},
		}, []int64{1}},
		{"not ready before ready", []*Pod{
			{ID: 1, Phase: PodRunning, Node: &Node{Name: "a"}},
			{ID: 2, Phase: PodReady, Node: &Node{Name: "a"}},
		}, []int64{1}},
		{"doubled-up node first", []*Pod{
			{ID: 1, Phase: PodReady, Node: nodeB},
			{ID: 2, Phase: PodReady, Node: nodeB},
			{ID: 3, Phase: PodReady, Node: nodeA},
		}, []int64{2}},
		{"ready more recently first (log scale)", []*Pod{
			{ID: 1, Phase: PodReady, Node: nodeA, ReadyAt: 50 * time.Minute},
			{ID: 2, Phase: PodReady, Node: nodeB, ReadyAt: 10 * time.Second},
		}, []int64{1}},
		{"same log bucket: newer ID first", []*Pod{
			{ID: 5, Phase: PodReady, Node: nodeA, ReadyAt: 1 * time.Second},
			{ID: 7, Phase: PodReady, Node: nodeB, ReadyAt: 2 * time.Second},
		}, []int64{7}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Simulation{}
			s.now = time.Hour
			for _, p := range tc.pods {
				p.Obj = &corev1.Pod{}
			}
			got := s.podsToDelete(tc.pods, len(tc.want))
			for i, id := range tc.want {
				if got[i].ID != id {
					t.Errorf("victim %d = pod %d, want %d", i, got[i].ID, id)
				}
			}
		})
	}
}

var nodeA, nodeB = &Node{Name: "a"}, &Node{Name: "b"}

func TestJobRunsCompletionsAtParallelism(t *testing.T) {
	sc := baseScenario(2 * time.Hour)
	sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi")}
	par, comp := int32(3), int32(7)
	sc.Jobs = []*batchv1.Job{{
		ObjectMeta: metav1.ObjectMeta{Name: "j", Namespace: "default"},
		Spec:       batchv1.JobSpec{Parallelism: &par, Completions: &comp, Template: corev1.PodTemplateSpec{Spec: podSpec("1", "64Mi")}},
	}}
	sc.Timing = map[string]scenario.PodTiming{"Job/default/j": {StartupLatency: time.Second, TaskDuration: 10 * time.Minute}}
	_, res := mustRun(t, sc)
	if res.Pods.Succeeded != 7 || res.Pods.Created != 7 {
		t.Fatalf("succeeded=%d created=%d, want 7 and 7", res.Pods.Succeeded, res.Pods.Created)
	}
	done := logLines(res, "job")
	// Three waves of at most 3 pods, each 10m01s: 7 pods complete at the end of the third.
	if len(done) != 1 || !strings.HasPrefix(done[0], "30m3s ") {
		t.Errorf("job log = %q, want completion at 30m3s", done)
	}
}

func TestDaemonSetOnePodPerEligibleNode(t *testing.T) {
	sc := baseScenario(time.Hour)
	taint := corev1.Taint{Key: "gpu", Effect: corev1.TaintEffectNoSchedule}
	sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi"), node("n2", "b", "4", "8Gi"), node("gpu1", "c", "4", "8Gi", taint)}
	sc.DaemonSets = []*appsv1.DaemonSet{{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "kube-system"},
		Spec:       appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("50m", "32Mi")}}, // with the 300 s defaults
	}}
	newNode := node("n3", "a", "4", "8Gi")
	sc.Events = []scenario.NodeEvent{
		{At: 5 * time.Minute, Action: "add", Node: newNode, Source: "test:1"},
		{At: 10 * time.Minute, Action: "remove", Names: []string{"n1"}, Source: "test:2"},
		// Daemon pods tolerate an unreachable node forever: the failure evicts nothing.
		{At: 15 * time.Minute, Action: "fail", Names: []string{"n2"}, Source: "test:3"},
	}
	s, res := mustRun(t, sc)
	got := map[string]int{}
	for _, n := range s.nodes {
		for _, p := range n.pods {
			got[n.Name]++
			if p.daemonNode != n.Name {
				t.Errorf("pod for %s runs on %s", p.daemonNode, n.Name)
			}
		}
	}
	if fmt.Sprint(got) != "map[n2:1 n3:1]" {
		t.Errorf("daemon pods per node = %v, want n2 and n3 one each (gpu1 tainted, n1 removed)", got)
	}
	if res.Pods.Created != 3 || res.Pods.Evicted != 0 {
		t.Errorf("created %d daemon pods and evicted %d, want 3 and 0", res.Pods.Created, res.Pods.Evicted)
	}

	// A node removed and added back under its name gets one new daemon pod, which later
	// reconciles (a taint, a cordon elsewhere) leave alone.
	sc = baseScenario(time.Hour)
	sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi"), node("n2", "b", "4", "8Gi")}
	sc.DaemonSets = []*appsv1.DaemonSet{{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "kube-system"},
		Spec:       appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: podSpec("50m", "32Mi")}},
	}}
	sc.Events = []scenario.NodeEvent{
		{At: 5 * time.Minute, Action: "remove", Names: []string{"n1"}, Source: "test:1"},
		{At: 6 * time.Minute, Action: "add", Node: node("n1", "a", "4", "8Gi"), Source: "test:2"},
		{At: 7 * time.Minute, Action: "taint", Names: []string{"n2"}, Taint: &corev1.Taint{Key: "x", Effect: corev1.TaintEffectPreferNoSchedule}, Source: "test:3"},
		{At: 8 * time.Minute, Action: "cordon", Names: []string{"n2"}, Source: "test:4"},
		{At: 9 * time.Minute, Action: "uncordon", Names: []string{"n2"}, Source: "test:5"},
	}
	_, res = mustRun(t, sc)
	if res.Pods.Created != 3 {
		t.Errorf("node removed and added back: %d daemon pods created, want 3 (two, then one for the new n1)", res.Pods.Created)
	}
}

func TestLimitsStopRunaway(t *testing.T) {
	sc := baseScenario(24 * time.Hour)
	sc.Limits.MaxEvents = 100
	sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi")}
	sc.Deployments = []*appsv1.Deployment{deployment("web", 1, podSpec("100m", "64Mi"))}
	s, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run()
	if err == nil || !strings.Contains(err.Error(), "limit maxEvents=100 reached") {
		t.Fatalf("err = %v, want the maxEvents limit", err)
	}
}

// hpaLoadScenario is Deployment web (500m requests) with a CPU HPA (50%, 2 to 20 replicas)
// on four 8-core nodes, its load stepping from 0.5 to 4 cores and back (stepTraceFS).
func hpaLoadScenario() *scenario.Scenario {
	sc := baseScenario(2 * time.Hour)
	for i := 0; i < 4; i++ {
		sc.Nodes = append(sc.Nodes, node(fmt.Sprintf("n%d", i), "a", "8", "16Gi"))
	}
	spec := podSpec("500m", "128Mi")
	sc.Deployments = []*appsv1.Deployment{deployment("web", 2, spec)}
	minR := int32(2)
	util := int32(50)
	sc.HPAs = []*autoscalingv2.HorizontalPodAutoscaler{{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minR, MaxReplicas: 20,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}},
		},
	}}
	sc.FS = stepTraceFS()
	sc.Load = []scenario.LoadSpec{{Target: scenario.Ref{Kind: "Deployment", Namespace: "default", Name: "web"}, Model: "aggregate",
		Trace: scenario.Trace{Format: "csv", Path: "t.csv", TimeColumn: "t", Column: "cores", Scale: 1}}}
	return sc
}

func TestHPAScalesWithLoad(t *testing.T) {
	_, res := mustRun(t, hpaLoadScenario())
	h := res.HPAs[0]
	if len(h.ScaleEvents) == 0 {
		t.Fatalf("no scale events; syncs: %+v", h.Syncs[:5])
	}
	// 4 cores of demand at a 50% target of 500m requests needs 16 pods.
	first := h.ScaleEvents[0]
	if first.From != 2 || first.To <= 2 {
		t.Errorf("first scale event %+v, want a scale-up from 2", first)
	}
	maxR := int32(0)
	for _, e := range h.ScaleEvents {
		maxR = max(maxR, e.To)
	}
	if maxR != 16 {
		t.Errorf("peak replicas %d, want 16; events %+v", maxR, h.ScaleEvents)
	}
}

// stepTraceFS holds a trace of 0.5 cores, stepping to 4 cores at 30 minutes and back at 90.
func stepTraceFS() fstest.MapFS {
	return fstest.MapFS{"t.csv": {Data: []byte("t,cores\n0,0.5\n1800,4\n5400,0.5\n7200,0.5\n")}}
}

func TestExplainedAttemptsAreKept(t *testing.T) {
	sc := baseScenario(time.Hour)
	sc.Nodes = []*corev1.Node{node("n1", "a", "2", "4Gi"), node("n2", "b", "2", "4Gi")}
	sc.Deployments = []*appsv1.Deployment{deployment("web", 5, podSpec("700m", "512Mi"))}
	s, err := New(sc, Options{MaxExplained: 3, CheckInvariants: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Explained) != 3 {
		t.Fatalf("kept %d explanations, want the cap of 3", len(res.Explained))
	}
	for _, e := range res.Explained {
		if e.Node == "" || e.Explanation == nil || len(e.Explanation.Nodes) != 2 {
			t.Errorf("explanation %+v: want a binding explained over both nodes", e)
		}
	}
	for _, n := range res.Nodes {
		if len(n.UsedCPU.Points) == 0 {
			t.Errorf("node %s: no CPU usage samples", n.Name)
		}
	}
}

func TestSchedulerConfigFromScenario(t *testing.T) {
	// MostAllocated packs pods onto the fuller node (with the system default spreading turned
	// off, as it would spread the ReplicaSet's pods); the default LeastAllocated spreads them.
	cfg := []byte(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
  - name: PodTopologySpread
    args:
      defaultingType: List
`)
	for _, tc := range []struct {
		name      string
		config    *scenario.File
		wantNodes int
	}{
		{"default spreads", nil, 2},
		{"MostAllocated packs", &scenario.File{Path: "sched.yaml", Data: cfg}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := baseScenario(time.Minute)
			sc.Nodes = []*corev1.Node{node("n1", "a", "4", "8Gi"), node("n2", "a", "4", "8Gi")}
			sc.Deployments = []*appsv1.Deployment{deployment("web", 2, podSpec("500m", "128Mi"))}
			sc.SchedulerConfig = tc.config
			_, res := mustRun(t, sc)
			used := map[string]bool{}
			for _, p := range res.Placements {
				used[p.Node] = true
			}
			if len(used) != tc.wantNodes {
				t.Errorf("pods on %d nodes (%v), want %d", len(used), used, tc.wantNodes)
			}
		})
	}
	sc := baseScenario(time.Minute)
	sc.SchedulerConfig = &scenario.File{Path: "sched.yaml", Data: []byte("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 400\n")}
	if _, err := New(sc, Options{}); err == nil || !strings.Contains(err.Error(), "sched.yaml:3") {
		t.Errorf("New with a bad scheduler config: err = %v, want sched.yaml:3", err)
	}
}

// TestDeletionCost: the annotation as the API reads it, 0 for what it does not accept.
func TestDeletionCost(t *testing.T) {
	for v, want := range map[string]int32{"": 0, "0": 0, "10": 10, "-5": -5, "+10": 0, "008": 0, "12abc": 0, "0x10": 0, "1e3": 0, "2147483648": 0, "-2147483648": -2147483648} {
		if got := deletionCost(map[string]string{corev1.PodDeletionCost: v}); got != want {
			t.Errorf("deletionCost(%q) = %d, want %d", v, got, want)
		}
	}
	if got := deletionCost(nil); got != 0 {
		t.Errorf("no annotation: %d", got)
	}
}
