package sim

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"ksim.dev/ksim/sim/scenario"
)

// preemptionScenario is a full cluster where a high-priority pod loses its node:
//
//	n1 (pool=critical, 2 cpu): api-1
//	n2 (pool=general, 4 cpu):  api-2, db (priority 0), batch ×2 (priority 10)
//
// api (priority 1000, one pod per node) is spread over both nodes; db and batch may only run on
// n2. At 10m n1 is removed: api's replacement fits only n2, which is full, so it preempts.
func preemptionScenario(mutate func(sc *scenario.Scenario)) *scenario.Scenario {
	sc := baseScenario(30 * time.Minute)
	n1 := node("n1", "a", "2", "8Gi")
	n1.Labels["pool"] = "critical"
	n2 := node("n2", "b", "4", "16Gi")
	n2.Labels["pool"] = "general"
	sc.Nodes = []*corev1.Node{n1, n2}
	sc.PriorityClasses = []*schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000},
		{ObjectMeta: metav1.ObjectMeta{Name: "mid"}, Value: 10},
		{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Value: 0},
	}
	api := podSpec("1", "256Mi")
	api.PriorityClassName = "high"
	api.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelHostname,
		WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}
	general := func(prio string) corev1.PodSpec {
		s := podSpec("1", "256Mi")
		s.PriorityClassName = prio
		s.NodeSelector = map[string]string{"pool": "general"}
		return s
	}
	sc.Deployments = []*appsv1.Deployment{
		deployment("api", 2, api),
		deployment("db", 1, general("low")),
		deployment("batch", 2, general("mid")),
	}
	sc.Events = []scenario.NodeEvent{{At: 10 * time.Minute, Action: "remove", Names: []string{"n1"}, Source: "test"}}
	if mutate != nil {
		mutate(sc)
	}
	return sc
}

// placementsOf returns "T node" of the owner's placements after t.
func placementsOf(res *Result, owner string, after time.Duration) []string {
	var out []string
	for _, p := range res.Placements {
		if p.Owner == "Deployment/default/"+owner && p.T > after {
			out = append(out, fmt.Sprintf("%v %s", p.T, p.Node))
		}
	}
	return out
}

func TestHighPriorityDeploymentPreempts(t *testing.T) {
	s, res := mustRun(t, preemptionScenario(nil))
	if _, again := mustRun(t, preemptionScenario(nil)); !reflect.DeepEqual(res, again) {
		t.Fatal("two runs of the same scenario differ")
	}
	pre := logLines(res, "preempt")
	if len(pre) != 1 {
		t.Fatalf("preempt log %q, want one preemption", pre)
	}
	// Without a PDB the victim is the least important pod: db (priority 0).
	if !strings.Contains(pre[0], "10m0s pod/default/api-") || !strings.Contains(pre[0], "nominated to n2, preempting pod/default/db-") {
		t.Errorf("preempt entry %q: want api's replacement preempting db on n2", pre[0])
	}
	if got := placementsOf(res, "api", 10*time.Minute-1); len(got) != 1 || got[0] != "10m0s n2" {
		t.Errorf("api placements after the removal %v, want one on n2 at once (the victim leaves at once)", got)
	}
	var api, db int
	for _, p := range s.nodeByName["n2"].pods {
		switch p.Owner.Name {
		case "api":
			api++
		case "db":
			db++
		}
	}
	if api != 2 || db != 0 {
		t.Errorf("n2 runs %d api and %d db pods, want 2 and 0", api, db)
	}
	if res.Pods.Preempted != 1 || res.Pods.Evicted != 0 {
		t.Errorf("pods preempted %d, evicted %d: want the one db pod preempted, none evicted", res.Pods.Preempted, res.Pods.Evicted)
	}
	// db's replacement waits: it cannot preempt anything.
	if res.Pods.PendingAtEnd != 1 || res.Pods.UnschedulableAtEnd != 1 {
		t.Errorf("pending at end %d (unschedulable %d), want db's replacement", res.Pods.PendingAtEnd, res.Pods.UnschedulableAtEnd)
	}
	un := logLines(res, "unschedulable")
	found := false
	for _, l := range un {
		if strings.Contains(l, "pod/default/db-") && strings.Contains(l, "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.") {
			found = true
		}
	}
	if !found {
		t.Errorf("unschedulable log %q: want db's replacement with the preemption's message", un)
	}
}

func TestPDBProtectsPods(t *testing.T) {
	for _, tc := range []struct {
		name       string
		pdb        *policyv1.PodDisruptionBudget
		wantVictim string
	}{
		{"maxUnavailable 0 spares db", &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
			Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &intstr.IntOrString{IntVal: 0},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}, "batch-"},
		{"minAvailable 1 spares db", &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &intstr.IntOrString{IntVal: 1},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}, "batch-"},
		{"a PDB that allows a disruption does not", &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &intstr.IntOrString{IntVal: 0},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}, "db-"},
		{"a PDB of batch leaves db the victim", &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "batch", Namespace: "default"},
			Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &intstr.IntOrString{Type: intstr.String, StrVal: "0%"},
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "batch"}}}}, "db-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res := mustRun(t, preemptionScenario(func(sc *scenario.Scenario) {
				sc.PodDisruptionBudgets = []*policyv1.PodDisruptionBudget{tc.pdb}
			}))
			// The first preemption is api's. (When it takes a batch pod, the batch replacement,
			// priority 10, then preempts db in turn, violating the PDB, as nothing else helps.)
			pre := logLines(res, "preempt")
			if len(pre) == 0 || !strings.Contains(pre[0], "pod/default/api-") ||
				!strings.Contains(pre[0], "preempting pod/default/"+tc.wantVictim) || strings.Contains(pre[0], "violation") {
				t.Errorf("preempt log %q, want api to preempt a %s pod without PDB violations", pre, tc.wantVictim)
			}
		})
	}
	t.Run("when only a protected pod helps, the PDB is violated", func(t *testing.T) {
		_, res := mustRun(t, preemptionScenario(func(sc *scenario.Scenario) {
			sc.Deployments[2].Spec.Template.Spec.PriorityClassName = "high" // batch can no longer be preempted
			sc.PodDisruptionBudgets = []*policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
				Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &intstr.IntOrString{IntVal: 1},
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}}
		}))
		pre := logLines(res, "preempt")
		if len(pre) != 1 || !strings.Contains(pre[0], "preempting pod/default/db-") || !strings.Contains(pre[0], "(1 PodDisruptionBudget violation(s))") {
			t.Errorf("preempt log %q, want db preempted with one violation", pre)
		}
	})
}

func TestPreemptorWaitsForGracefulTermination(t *testing.T) {
	_, res := mustRun(t, preemptionScenario(func(sc *scenario.Scenario) {
		sc.Timing = map[string]scenario.PodTiming{"Deployment/default/db": {StartupLatency: 2 * time.Second, TerminationDelay: 30 * time.Second}}
	}))
	if got := placementsOf(res, "api", 10*time.Minute-1); len(got) != 1 || got[0] != "10m30s n2" {
		t.Errorf("api placements after the removal %v, want n2 once db is gone at 10m30s", got)
	}
	if pre := logLines(res, "preempt"); len(pre) != 1 {
		t.Errorf("preempt log %q: the preemptor must wait, not preempt again, while its victim terminates", pre)
	}
}

func TestPreemptionPolicyNever(t *testing.T) {
	never := corev1.PreemptNever
	_, res := mustRun(t, preemptionScenario(func(sc *scenario.Scenario) {
		sc.Deployments[0].Spec.Template.Spec.PreemptionPolicy = &never
	}))
	if pre := logLines(res, "preempt"); len(pre) != 0 {
		t.Errorf("preempt log %q, want none", pre)
	}
	if got := placementsOf(res, "api", 10*time.Minute-1); len(got) != 0 {
		t.Errorf("api placed %v after the removal; it may not preempt", got)
	}
	found := false
	for _, l := range logLines(res, "unschedulable") {
		found = found || strings.Contains(l, "preemption: not eligible due to preemptionPolicy=Never.")
	}
	if !found {
		t.Errorf("unschedulable log %q: want the preemptionPolicy message", logLines(res, "unschedulable"))
	}
}

// TestQueueRequeuesOnRelevantEvents: a pod rejected for cpu comes back when a node is added
// (the NodeResourcesFit hint), not for a node it does not fit, and the 5-minute flush retries it
// in any case.
func TestQueueRequeuesOnRelevantEvents(t *testing.T) {
	sc := baseScenario(20 * time.Minute)
	sc.Nodes = []*corev1.Node{node("n1", "a", "1", "4Gi")}
	sc.Deployments = []*appsv1.Deployment{deployment("web", 2, podSpec("1", "128Mi"))}
	small := node("n2", "a", "500m", "4Gi")
	big := node("n3", "a", "2", "4Gi")
	sc.Events = []scenario.NodeEvent{
		{At: time.Minute, Action: "add", Node: small, Source: "test"},
		{At: 12 * time.Minute, Action: "add", Node: big, Source: "test"},
	}
	_, res := mustRun(t, sc)
	var attempts []int
	for _, p := range res.Placements {
		attempts = append(attempts, p.Attempts)
		if p.T != 0 && p.T != 12*time.Minute {
			t.Errorf("placement at %v on %s; want only at 0 and when n3 comes at 12m", p.T, p.Node)
		}
	}
	// The second pod failed at 0; the small node at 1m does not requeue it; the flush at 5m30s
	// and 11m retries it (5 minutes after each failure, on the 30 s grid); n3 places it.
	if len(res.Placements) != 2 || attempts[1] != 3 {
		t.Errorf("placements %+v, want the second after 3 failed attempts", res.Placements)
	}
}

// TestPreemptionFromScenarioFiles runs the loader's objects: PriorityClasses (whose
// preemptionPolicy the loader copies into the pods) and a PodDisruptionBudget in a workloads
// file.
func TestPreemptionFromScenarioFiles(t *testing.T) {
	files := fstest.MapFS{
		"s.yaml": {Data: []byte(`apiVersion: ksim.dev/v1alpha1
kind: Scenario
metadata: {name: preempt}
spec:
  duration: 30m
  cluster: [nodes.yaml]
  workloads: [apps.yaml]
  events:
  - at: 10m
    remove: {nodes: [n1]}
`)},
		"nodes.yaml": {Data: []byte(`apiVersion: v1
kind: Node
metadata: {name: n1, labels: {pool: critical}}
status: {capacity: {cpu: "2", memory: 8Gi}}
---
apiVersion: v1
kind: Node
metadata: {name: n2, labels: {pool: general}}
status: {capacity: {cpu: "4", memory: 16Gi}}
`)},
		"apps.yaml": {Data: []byte(`apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: polite}
value: 1000
preemptionPolicy: Never
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: low}
value: 0
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      priorityClassName: PRIO
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}
      containers: [{name: api, image: api, resources: {requests: {cpu: "1"}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      priorityClassName: low
      nodeSelector: {pool: general}
      containers: [{name: db, image: db, resources: {requests: {cpu: "1"}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch}
spec:
  replicas: 2
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}}
    spec:
      priorityClassName: low
      nodeSelector: {pool: general}
      containers: [{name: batch, image: batch, resources: {requests: {cpu: "1"}}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: db}}
`)},
	}
	for _, tc := range []struct {
		prio, want string
	}{{"high", "preempting pod/default/batch-"}, {"polite", ""}} {
		t.Run(tc.prio, func(t *testing.T) {
			fsys := maps.Clone(files)
			fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(files["apps.yaml"].Data), "PRIO", tc.prio, 1))}
			sc, err := scenario.LoadFS(fsys, "s.yaml")
			if err != nil {
				t.Fatal(err)
			}
			_, res := mustRun(t, sc)
			pre := logLines(res, "preempt")
			switch {
			case tc.want == "" && len(pre) != 0:
				t.Errorf("preempt log %q, want none (preemptionPolicy Never)", pre)
			case tc.want != "" && (len(pre) == 0 || !strings.Contains(pre[0], tc.want)):
				// db and batch have equal priority and start times, and db, last by name, would
				// be the victim; its PDB spares it.
				t.Errorf("preempt log %q, want %q first", pre, tc.want)
			}
		})
	}
}
