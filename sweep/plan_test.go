package sweep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
)

const (
	tinyScenario = "testdata/tiny/scenario.yaml"
	hpaTarget    = "HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization"
	poolCount    = "spec.nodePools[0].count"
	peakCores    = "spec.load[0].trace.peakCores"
)

func axes(t *testing.T, flags ...string) []Axis {
	t.Helper()
	var out []Axis
	for _, f := range flags {
		a, err := ParseAxis(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func tinyPlan(t *testing.T, flags ...string) *Plan {
	t.Helper()
	src, err := OSSource(tinyScenario)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(src, axes(t, flags...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGridOrder checks the numbering of variants: nested loops in the order of the axes, the
// first axis slowest.
func TestGridOrder(t *testing.T) {
	p := tinyPlan(t, hpaTarget+"=50,80", poolCount+"=1,2,3", peakCores+"=x1.0,x1.5")
	if p.Len() != 12 {
		t.Fatalf("Len = %d, want 12", p.Len())
	}
	var got []string
	for i := range p.Len() {
		got = append(got, strings.Join(p.Values(i), " "))
	}
	want := []string{
		"50 1 x1.0", "50 1 x1.5", "50 2 x1.0", "50 2 x1.5", "50 3 x1.0", "50 3 x1.5",
		"80 1 x1.0", "80 1 x1.5", "80 2 x1.0", "80 2 x1.5", "80 3 x1.0", "80 3 x1.5",
	}
	if !slices.Equal(got, want) {
		t.Errorf("variants:\n%q\nwant\n%q", got, want)
	}
	if c := p.Coords(7); !slices.Equal(c, []int{1, 0, 1}) {
		t.Errorf("Coords(7) = %v, want [1 0 1]", c)
	}
	if d := p.Describe(3); d != "variant 3 ("+hpaTarget+"=50, "+poolCount+"=2, "+peakCores+"=x1.5)" {
		t.Errorf("Describe(3) = %q", d)
	}
	// Settings resolve multipliers against the file (peakCores: 3).
	s := p.Settings(3)
	if len(s) != 3 || string(s[0].Value) != "50" || string(s[1].Value) != "2" || string(s[2].Value) != "4.5" {
		t.Errorf("Settings(3) = %s", settingsText(s))
	}
	if _, err := p.Scenario(12); err == nil || !strings.Contains(err.Error(), "variant 12 does not exist; this sweep has variants 0 to 11") {
		t.Errorf("Scenario(12): %v", err)
	}
}

func settingsText(s []Setting) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestVariantScenario loads variants and checks that each field has the variant's value, and
// only that variant's.
func TestVariantScenario(t *testing.T) {
	p := tinyPlan(t, hpaTarget+"=50,80", poolCount+"=1,3", peakCores+"=x1.0,x1.5", "spec.duration=1h,30m")
	for i := range p.Len() {
		sc, err := p.Scenario(i)
		if err != nil {
			t.Fatal(err)
		}
		c := p.Coords(i)
		util := *sc.HPAs[0].Spec.Metrics[0].Resource.Target.AverageUtilization
		if want := []int32{50, 80}[c[0]]; util != want {
			t.Errorf("variant %d: averageUtilization %d, want %d", i, util, want)
		}
		if want := []int{2, 4}[c[1]]; len(sc.Nodes) != want { // system-1 and the pool
			t.Errorf("variant %d: %d nodes, want %d", i, len(sc.Nodes), want)
		}
		if want := []float64{3, 4.5}[c[2]]; sc.Load[0].Trace.PeakCores != want {
			t.Errorf("variant %d: peakCores %v, want %v", i, sc.Load[0].Trace.PeakCores, want)
		}
		if want := []string{"1h0m0s", "30m0s"}[c[3]]; sc.Duration.String() != want {
			t.Errorf("variant %d: duration %v, want %s", i, sc.Duration, want)
		}
		// What no axis touches stays as in the files.
		if sc.Name != "tiny" || sc.Seed != 7 || *sc.Deployments[0].Spec.Replicas != 2 || sc.Nodes[0].Name != "system-1" {
			t.Errorf("variant %d: untouched fields changed: %s seed %d replicas %d first node %s", i, sc.Name, sc.Seed, *sc.Deployments[0].Spec.Replicas, sc.Nodes[0].Name)
		}
	}
}

// manifestFS is a scenario whose manifests come in every shape the loader reads: a v1 List, a
// JSON stream, multi-document YAML.
func manifestFS() fstest.MapFS {
	return fstest.MapFS{
		"s/scenario.yaml": {Data: []byte(`apiVersion: ksim.dev/v1alpha1
kind: Scenario
metadata: {name: shapes}
spec:
  duration: 1h
  cluster: [nodes.json]
  workloads: [apps.yaml, list.yaml]
  load:
  - target: deployment/web
    trace: {path: t.csv, column: cpu, peakCores: 2, troughCores: 1}
  events:
  - at: 30m
    cordon: {nodes: {topology.kubernetes.io/zone: a}}
`)},
		"s/nodes.json": {Data: []byte(`{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"topology.kubernetes.io/zone": "a"}}, "status": {"capacity": {"cpu": "4", "memory": "16Gi"}}}
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n2"}, "status": {"capacity": {"cpu": "4", "memory": "16Gi"}}}
`)},
		"s/apps.yaml": {Data: []byte(`# web and its HPA (no metrics: the loader defaults them)
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 10
`)},
		"s/list.yaml": {Data: []byte(`apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: prod}
  spec:
    replicas: 2
    selector: {matchLabels: {app: api}}
    template:
      metadata: {labels: {app: api}}
      spec:
        containers: [{name: api, image: api, resources: {requests: {cpu: "1"}}}]
`)},
		"s/t.csv": {Data: []byte("timestamp,cpu\n0,1\n600,2\n")},
	}
}

func TestManifestPaths(t *testing.T) {
	p, err := NewPlan(FSSource(manifestFS(), "s/scenario.yaml"), axes(t,
		// A JSON file; a label key with dots; a quantity multiplied.
		"Node/n1:metadata.labels.node.kubernetes.io/instance-type=m5,c5",
		"Node/n2:status.capacity.memory=x1,x1.5",
		// An item of a v1 List in another namespace, with a quantity deep in a container.
		"Deployment/prod/api:spec.template.spec.containers[0].resources.requests.cpu=x1,x0.5",
		// Fields the file leaves out: added, with the maps above them.
		"hpa/web:spec.behavior.scaleDown.stabilizationWindowSeconds=60",
		"spec.controllers.hpaSyncPeriod=15s",
		// Two fields on one axis.
		"spec.load[0].trace.peakCores+spec.load[0].trace.troughCores=x1,x2",
	))
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 16 {
		t.Fatalf("Len = %d", p.Len())
	}
	sc, err := p.Scenario(15) // the last value of every axis
	if err != nil {
		t.Fatal(err)
	}
	if it := sc.Nodes[0].Labels[corev1.LabelInstanceTypeStable]; it != "c5" || sc.Nodes[0].Labels[corev1.LabelTopologyZone] != "a" {
		t.Errorf("n1 labels %v, want instance type c5 and zone a", sc.Nodes[0].Labels)
	}
	if m := sc.Nodes[1].Status.Capacity.Memory().String(); m != "24Gi" {
		t.Errorf("n2 memory %s, want 24Gi", m)
	}
	api := sc.Deployments[1]
	if api.Namespace != "prod" || api.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String() != "500m" {
		t.Errorf("api: %s/%s cpu %s", api.Namespace, api.Name, api.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu())
	}
	if w := sc.HPAs[0].Spec.Behavior.ScaleDown.StabilizationWindowSeconds; w == nil || *w != 60 {
		t.Errorf("stabilizationWindowSeconds %v", w)
	}
	if len(sc.HPAs[0].Spec.Metrics) != 1 {
		t.Errorf("the HPA lost its defaulted metric: %v", sc.HPAs[0].Spec.Metrics)
	}
	if sc.Controllers.HPASyncPeriod.String() != "15s" {
		t.Errorf("hpaSyncPeriod %v", sc.Controllers.HPASyncPeriod)
	}
	if tr := sc.Load[0].Trace; tr.PeakCores != 4 || tr.TroughCores != 2 {
		t.Errorf("trace peak %v trough %v, want 4 and 2", tr.PeakCores, tr.TroughCores)
	}
}

// TestValueThatBreaksAnEvent: moving n1 to zone b leaves the scenario's event (cordon the nodes
// of zone a) without a node; the loader's message names the event.
func TestValueThatBreaksAnEvent(t *testing.T) {
	_, err := NewPlan(FSSource(manifestFS(), "s/scenario.yaml"), axes(t, "Node/n1:metadata.labels.topology.kubernetes.io/zone=a,b"))
	want := "--vary Node/n1:metadata.labels.topology.kubernetes.io/zone=a,b: value b:\n  s/scenario.yaml: spec.events[0].cordon.nodes: no node has labels topology.kubernetes.io/zone=a at 30m0s"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant it to contain %q", err, want)
	}
}

func TestBadPaths(t *testing.T) {
	cases := []struct {
		flags []string
		want  string
	}{
		{[]string{"Deployment/default/wbe:spec.replicas=1"}, `no Deployment default/wbe in the files of spec.cluster and spec.workloads; did you mean "Deployment/default/web"? (they hold: Deployment/default/web)`},
		{[]string{"Deployment/web2:spec.replicas=1"}, `(they hold: Deployment/default/web)`},
		{[]string{"Job/x:spec.parallelism=1"}, "(they hold no Job)"},
		{[]string{"Node/pool-1:status.capacity.cpu=4"}, "nodes of spec.nodePools are set through the pool: spec.nodePools[i].template"},
		{[]string{"Deployment/web:spec.replica=1"}, `spec has no field "replica"; did you mean "replicas"? (fields: minReadySeconds, paused, progressDeadlineSeconds, replicas, revisionHistoryLimit, selector, strategy, template)`},
		{[]string{"Deployment/web:sepc.replicas=1"}, `the object has no field "sepc"; did you mean "spec"? (fields: apiVersion, kind, metadata, spec, status)`},
		{[]string{"Deployment/web:spec.replicas.count=1"}, `spec.replicas is an integer (32-bit); it has no field "count"`},
		{[]string{"Deployment/web:spec.template.spec.containers[1].image=x"}, "spec.template.spec.containers has 1 entry in testdata/tiny/apps.yaml (indexes 0 to 0); there is no [1]"},
		{[]string{"Deployment/web:spec.template.spec.initContainers[0].image=x"}, "spec.template.spec.initContainers is not set in testdata/tiny/apps.yaml; a sweep changes the list entries that the file writes, so write spec.template.spec.initContainers[0] there first"},
		{[]string{"Deployment/web:spec.template.spec.containers[0].resources.requests.cpu[0]=1"}, "spec.template.spec.containers[0].resources.requests is a map of a quantity (e.g. 500m, 2, 4Gi); a key of it has no list entries"},
		{[]string{"Deployment/web:spec.strategy.rollingUpdate.maxSurge.x=1"}, `spec.strategy.rollingUpdate.maxSurge is an integer or a string (e.g. 1 or "25%"); it has no field "x"`},
		{[]string{hpaTarget[:strings.Index(hpaTarget, "[0]")] + "[2].resource.target.averageUtilization=1"}, "spec.metrics has 1 entry in testdata/tiny/apps.yaml (indexes 0 to 0); there is no [2]"},
		{[]string{"spec.laod[0].trace.peakCores=1"}, `spec has no "laod" in testdata/tiny/scenario.yaml; did you mean "load"? (it has: cluster, controllers, duration, load, nodePools, seed, workloads)`},
		{[]string{"spec.load[3].trace.peakCores=1"}, "spec.load has 1 entry in testdata/tiny/scenario.yaml (indexes 0 to 0); there is no [3]"},
		{[]string{"spec.duration[0]=1h"}, `spec.duration is the string "1h" in testdata/tiny/scenario.yaml, not a list`},
		{[]string{"spec.duration.hours=1"}, `spec.duration is the string "1h" in testdata/tiny/scenario.yaml, not a map; it has no field "hours"`},
		// A field the scenario format does not have: the loader says so, per value.
		{[]string{"spec.load[0].trace.peakCore=1"}, "--vary spec.load[0].trace.peakCore=1: value 1:\n  testdata/tiny/scenario.yaml: spec.load[0].trace.peakCore: unknown field \"peakCore\"; did you mean \"peakCores\"?"},
		{[]string{"spec.controlers.hpaSyncPeriod=15s"}, `spec.controlers: unknown field "controlers"; did you mean "controllers"?`},
		// The grid itself.
		{nil, "nothing to vary"},
		{[]string{"spec.duration=1h,2h", "spec.duration=3h"}, "--vary spec.duration=1h,2h and --vary spec.duration=3h both set spec.duration; a field may be on one axis only"},
		{[]string{"spec.seed=" + manyValues(101), "spec.duration=" + manyDurations(100)}, "the grid has more than 10000 variants (MaxVariants)"},
	}
	src, err := OSSource(tinyScenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		var as []Axis
		for _, f := range tc.flags {
			a, err := ParseAxis(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			as = append(as, a)
		}
		_, err := NewPlan(src, as)
		if err == nil {
			t.Errorf("%q: no error, want %q", tc.flags, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %q", tc.flags, err, tc.want)
		}
	}
}

func manyDurations(n int) string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = fmt.Sprintf("%dm", i+1)
	}
	return strings.Join(vs, ",")
}

func TestBadValues(t *testing.T) {
	cases := []struct {
		flag string
		want string
	}{
		{hpaTarget + "=60,abc", hpaTarget + `: "abc" is not an integer (32-bit)`},
		{hpaTarget + "=60,0", "value 0:\n  testdata/tiny/apps.yaml: spec.metrics[0].resource.target.averageUtilization: required for type Utilization, and must be greater than 0"},
		{"spec.duration=1h,2d", "value 2d:\n  testdata/tiny/scenario.yaml: spec.duration: \"2d\" is not a Go duration"},
		{poolCount + "=1,-1", "value -1:\n  testdata/tiny/scenario.yaml: spec.nodePools[0].count: must be between 0 and 100000 (MaxPoolNodes), got -1"},
		{poolCount + "=x1.25", "spec.nodePools[0].count: want an integer (64-bit), got the number 2.5"},
		{peakCores + "=lots", `spec.load[0].trace.peakCores: want a number, got the string "lots"`},
		{"Deployment/web:spec.replicas=x1.25", "x1.25 of 2 is 2.5, which is not a whole number, and this field takes whole numbers"},
		{"Deployment/web:spec.minReadySeconds=x2", "x2 multiplies the value in the file, and the file does not set this field; give a value instead"},
		{"Deployment/web:spec.template.spec.containers[0].resources.requests.cpu=lots", `"lots" is not a quantity (e.g. 500m, 2, 4Gi)`},
		{"Deployment/web:spec.template.spec.containers[0].resources.requests.cpu=x2,-1", "spec.template.spec.containers[0].resources.requests.cpu: must not be negative"},
		{"HorizontalPodAutoscaler/web:spec.maxReplicas=0,5", "spec.maxReplicas: required, and must be 1 or more, got 0"},
		{"Deployment/web:spec.paused=maybe", `"maybe" is not true or false`},
	}
	src, err := OSSource(tinyScenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		a, err := ParseAxis(tc.flag)
		if err != nil {
			t.Fatalf("%s: %v", tc.flag, err)
		}
		_, err = NewPlan(src, []Axis{a})
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.flag, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "--vary "+tc.flag) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant it to start with the flag and contain %q", tc.flag, err, tc.want)
		}
	}
}

// TestValuesKeepTheirType: a string field takes xF literally; a JSON value sets a map.
func TestValuesKeepTheirType(t *testing.T) {
	p := tinyPlan(t,
		"Deployment/web:spec.template.spec.containers[0].image=x1.2",
		`Deployment/web:spec.template.spec.nodeSelector={"pool":"general"}`,
		`spec.nodePools[0].template.metadata.labels["node.kubernetes.io/instance-type"]=m5.large`,
	)
	sc, err := p.Scenario(0)
	if err != nil {
		t.Fatal(err)
	}
	spec := sc.Deployments[0].Spec.Template.Spec
	if spec.Containers[0].Image != "x1.2" || spec.NodeSelector["pool"] != "general" {
		t.Errorf("image %q, nodeSelector %v", spec.Containers[0].Image, spec.NodeSelector)
	}
	if got := sc.Nodes[1].Labels["node.kubernetes.io/instance-type"]; got != "m5.large" {
		t.Errorf("pool node labels %v", sc.Nodes[1].Labels)
	}
}

// TestCheckFindsCombinations: values fine alone, wrong together.
func TestCheckFindsCombinations(t *testing.T) {
	p := tinyPlan(t, "HorizontalPodAutoscaler/web:spec.minReplicas=1,5", "HorizontalPodAutoscaler/web:spec.maxReplicas=3,10")
	errs := p.Check(2)
	if len(errs) != 1 {
		t.Fatalf("Check: %d errors, want 1: %v", len(errs), errs)
	}
	want := "variant 2 (HorizontalPodAutoscaler/web:spec.minReplicas=5, HorizontalPodAutoscaler/web:spec.maxReplicas=3):\n  testdata/tiny/apps.yaml: spec.maxReplicas: 3 is less than spec.minReplicas 5"
	if !strings.Contains(errs[0].Error(), want) {
		t.Errorf("Check: %v\nwant %q", errs[0], want)
	}
}

// TestAbsoluteFileNames: a scenario may name its files by absolute paths; a sweep loads its
// variants from an fs.FS, so it rewrites them relative to the scenario.
func TestAbsoluteFileNames(t *testing.T) {
	dir := t.TempDir()
	abs, err := filepath.Abs("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(tinyScenario)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("[nodes.yaml]", "["+filepath.Join(abs, "nodes.yaml")+"]",
		"[apps.yaml]", "["+filepath.Join(abs, "apps.yaml")+"]",
		"traces/load.csv", filepath.Join(abs, "traces", "load.csv")).Replace(string(data))
	if text == string(data) {
		t.Fatal("no file name replaced")
	}
	scen := filepath.Join(dir, "abs.yaml")
	if err := os.WriteFile(scen, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OSSource(scen)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(src, axes(t, "Deployment/web:spec.replicas=1,3"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := p.Scenario(1)
	if err != nil {
		t.Fatal(err)
	}
	if *sc.Deployments[0].Spec.Replicas != 3 || len(sc.Nodes) != 3 {
		t.Errorf("replicas %d, %d nodes", *sc.Deployments[0].Spec.Replicas, len(sc.Nodes))
	}
}

// TestEveryScenarioKindHasPaths: a path may name an object of every kind the loader reads
// (a kind added to the loader without kubectl's names here would be unreachable), a
// PodDisruptionBudget's field among them.
func TestEveryScenarioKindHasPaths(t *testing.T) {
	for _, k := range pathKinds {
		if len(k.aliases) == 0 || k.typ == nil {
			t.Errorf("%s: no kubectl names or no type", k.kind)
		}
	}
	fsys := manifestFS()
	fsys["s/apps.yaml"].Data = append(fsys["s/apps.yaml"].Data, []byte(`---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`)...)
	p, err := NewPlan(FSSource(fsys, "s/scenario.yaml"), axes(t, "pdb/web:spec.minAvailable=1,2"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := p.Scenario(1)
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.PodDisruptionBudgets[0].Spec.MinAvailable.String(); got != "2" {
		t.Errorf("minAvailable %s, want 2", got)
	}
}
