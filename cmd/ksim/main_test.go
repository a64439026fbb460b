package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/reports"
	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/scenario"
)

// fakeECharts stands in for the ECharts library in tests: the report inlines whatever it is given.
func fakeECharts(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(p, []byte("/* echarts stand-in */"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ksim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestRunDefaultScenarioIsDeterministic runs `ksim run` on the embedded scenario twice with one
// seed (byte-identical outputs, all five of them), then with another seed (a different summary).
func TestRunDefaultScenarioIsDeterministic(t *testing.T) {
	js := fakeECharts(t)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	seeds := []string{"3", "3", "4"}
	outputs := []string{"summary.json", "report.html", "events.jsonl", "metrics.om", "result.json"}
	for i, dir := range dirs {
		code, stdout, stderr := ksim(t, "run", "--out", dir, "--seed", seeds[i], "--echarts", js)
		if code != 0 {
			t.Fatalf("ksim run: exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stdout, "scenario default-web-diurnal, seed "+seeds[i]) || !strings.Contains(stdout, "wrote ") {
			t.Errorf("summary printed:\n%s", stdout)
		}
		for _, name := range outputs {
			if !strings.Contains(stdout, filepath.Join(dir, name)) {
				t.Errorf("stdout does not name %s:\n%s", name, stdout)
			}
		}
	}
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, name := range outputs {
		if a := read(dirs[0], name); len(a) == 0 || !bytes.Equal(a, read(dirs[1], name)) {
			t.Errorf("%s is empty or differs between two runs with seed 3", name)
		}
	}
	if bytes.Equal(read(dirs[0], "summary.json"), read(dirs[2], "summary.json")) {
		t.Errorf("summary.json identical for seeds 3 and 4")
	}
	summary := string(read(dirs[0], "summary.json"))
	for _, want := range []string{`"schema": "ksim.summary/v1"`, `"scenario": "default-web-diurnal"`, `"seed": 3`, `"scale_events"`, `"t_s"`} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary.json lacks %s", want)
		}
	}
	if html := string(read(dirs[0], "report.html")); !strings.Contains(html, "echarts stand-in") {
		t.Errorf("report.html does not inline the given ECharts file")
	}
	for name, want := range map[string]string{
		"events.jsonl": `"kind":"bind"`,
		"metrics.om":   "# TYPE ksim_hpa_replicas gauge",
		"result.json":  `{"schema":"ksim.result/v1","summary":{"schema":"ksim.summary/v1"`,
	} {
		if !strings.Contains(string(read(dirs[0], name)), want) {
			t.Errorf("%s lacks %s", name, want)
		}
	}
	if om := string(read(dirs[0], "metrics.om")); !strings.HasSuffix(om, "# EOF\n") {
		t.Errorf("metrics.om does not end with # EOF")
	}
}

// TestRunMetricsFlags checks that the metrics flags reach metrics.om.
func TestRunMetricsFlags(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := ksim(t, "run", "--out", dir, "--cdn", "-q", "--metrics-step", "1h",
		"--metrics-start", "2026-11-01T00:00:00Z", "--metrics-label", "run=baseline", "--metrics-label", "team=a=b")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.om"))
	if err != nil {
		t.Fatal(err)
	}
	om := string(b)
	// 48 h in 1 h steps: 49 samples of pending pods, from 2026-11-01T00:00:00Z (1793491200).
	if n := strings.Count(om, "\nksim_pending_pods{run=\"baseline\",team=\"a=b\"} "); n != 49 {
		t.Errorf("%d samples of ksim_pending_pods, want 49", n)
	}
	if !strings.Contains(om, `ksim_pending_pods{run="baseline",team="a=b"} 0.0 1.7934912e+09`) {
		t.Errorf("metrics.om does not start at 2026-11-01:\n%.400s", om)
	}
}

// TestBadInput runs broken scenarios through the command line: each must stop with exit status
// 2 and a FILE:LINE message naming the problem, and none may panic.
func TestBadInput(t *testing.T) {
	const nodes = `apiVersion: v1
kind: Node
metadata: {name: n1, labels: {topology.kubernetes.io/zone: a}}
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
`
	const apps = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: x, resources: {requests: {cpu: 500m}}}]
`
	const head = "apiVersion: ksim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
	good := head + "  duration: 1h\n  cluster: [nodes.yaml]\n  workloads: [apps.yaml]\n"
	cases := []struct {
		name  string
		files map[string]string // scenario.yaml plus the files it names
		want  string            // regexp the error must match
	}{
		{"yaml syntax", map[string]string{"scenario.yaml": head + "  duration: [1h\n"}, `scenario\.yaml:\d+: `},
		{"not a scenario", map[string]string{"scenario.yaml": "apiVersion: v1\nkind: Pod\n"}, `scenario\.yaml:\d+: .*Scenario`},
		{"wrong apiVersion", map[string]string{"scenario.yaml": strings.Replace(good, "ksim.dev/v1alpha1", "ksim.dev/v9", 1), "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:1: .*ksim\.dev/v1alpha1`},
		{"unknown top-level field", map[string]string{"scenario.yaml": good + "  color: blue\n", "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:\d+: .*color`},
		{"missing duration", map[string]string{"scenario.yaml": head + "  cluster: [nodes.yaml]\n", "nodes.yaml": nodes}, `scenario\.yaml:\d*:? ?.*duration`},
		{"bad duration", map[string]string{"scenario.yaml": strings.Replace(good, "1h", "2 days", 1), "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:5: .*duration`},
		{"negative duration", map[string]string{"scenario.yaml": strings.Replace(good, "1h", "-1h", 1), "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:5: .*duration`},
		{"missing manifest file", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes}, `scenario\.yaml:\d+: .*apps\.yaml`},
		{"unknown field deep in a deployment", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": strings.Replace(apps, "image: x", "image: x, imagePullPolcy: Always", 1)}, `apps\.yaml:10: .*imagePullPolcy`},
		{"negative replicas", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": strings.Replace(apps, "replicas: 2", "replicas: -2", 1)}, `apps\.yaml:5: .*replicas`},
		{"quantity that does not parse", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": strings.Replace(apps, "cpu: 500m", "cpu: 5 cores", 1)}, `apps\.yaml:10: .*cpu`},
		{"node quantity that does not parse", map[string]string{"scenario.yaml": good, "nodes.yaml": strings.Replace(nodes, "8Gi", "8 GB", 1), "apps.yaml": apps}, `nodes\.yaml:4: .*memory`},
		{"unknown kind", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": apps + "---\napiVersion: v1\nkind: Sandwich\nmetadata: {name: x}\n"}, `apps\.yaml:13: .*Sandwich`},
		{"deployment without containers", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": strings.Replace(apps, "containers: [{name: web, image: x, resources: {requests: {cpu: 500m}}}]", "containers: []", 1)}, `apps\.yaml:\d+: .*containers`},
		{"duplicate deployment", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": apps + "---\n" + apps}, `apps\.yaml:14: .*duplicate Deployment default/web`},
		{"duplicate node", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes + "---\n" + nodes, "apps.yaml": apps}, `nodes\.yaml:8: .*duplicate Node n1`},
		{"hpa targets a missing deployment", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": apps + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: nope}\n  maxReplicas: 3\n"}, `apps\.yaml:\d+: .*nope`},
		{"max below min replicas", map[string]string{"scenario.yaml": good, "nodes.yaml": nodes, "apps.yaml": apps + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 5\n  maxReplicas: 3\n"}, `apps\.yaml:\d+: .*maxReplicas`},
		{"event names an unknown node", map[string]string{"scenario.yaml": good + "  events:\n  - at: 10m\n    fail: {nodes: [n9]}\n", "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:\d+: .*n9`},
		{"event after the horizon", map[string]string{"scenario.yaml": good + "  events:\n  - at: 2h\n    fail: {nodes: [n1]}\n", "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:9: .*at`},
		{"two actions in one event", map[string]string{"scenario.yaml": good + "  events:\n  - at: 10m\n    fail: {nodes: [n1]}\n    cordon: {nodes: [n1]}\n", "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:\d+: .*(one|action)`},
		{"bad taint", map[string]string{"scenario.yaml": good + "  events:\n  - at: 10m\n    taint: {nodes: [n1], taint: \"a=b:Sometimes\"}\n", "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:\d+: .*NoSchedule`},
		{"missing trace file", map[string]string{"scenario.yaml": good + "  load:\n  - target: deployment/web\n    model: aggregate\n    trace: {format: csv, path: gone.csv, column: cpu, scale: 1}\n", "nodes.yaml": nodes, "apps.yaml": apps}, `scenario\.yaml:\d+: .*gone\.csv`},
		{"missing trace column", map[string]string{"scenario.yaml": good + "  load:\n  - target: deployment/web\n    model: aggregate\n    trace: {format: csv, path: t.csv, column: cpu, scale: 1}\n", "nodes.yaml": nodes, "apps.yaml": apps, "t.csv": "timestamp,load\n0,1\n"}, `scenario\.yaml:11: .*"cpu" is not a column`},
		{"non-numeric trace value", map[string]string{"scenario.yaml": good + "  load:\n  - target: deployment/web\n    model: aggregate\n    trace: {format: csv, path: t.csv, column: cpu, scale: 1}\n", "nodes.yaml": nodes, "apps.yaml": apps, "t.csv": "timestamp,cpu\n0,1\n300,lots\n"}, `t\.csv:3: `},
		{"load on a missing workload", map[string]string{"scenario.yaml": good + "  load:\n  - target: deployment/nope\n    model: aggregate\n    trace: {format: csv, path: t.csv, column: cpu, scale: 1}\n", "nodes.yaml": nodes, "apps.yaml": apps, "t.csv": "timestamp,cpu\n0,1\n"}, `scenario\.yaml:\d+: .*nope`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := ksim(t, "run", filepath.Join(dir, "scenario.yaml"), "--out", t.TempDir(), "--cdn")
			if code != exitBadInput {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitBadInput, stderr)
			}
			if !regexp.MustCompile(tc.want).MatchString(stderr) {
				t.Errorf("stderr does not match %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr shows a panic:\n%s", stderr)
			}
		})
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--seed", "minus-one"},
		{"run", "a.yaml", "b.yaml"},
		{"run", "--no-such-flag"},
		{"run", "/does/not/exist.yaml"},
		{"run", "--metrics-step", "0s"},
		{"run", "--metrics-start", "yesterday"},
		{"run", "--metrics-label", "novalue"},
		{"run", "--metrics-label", "node=x"},
		{"run", "--metrics-label", "bad-name=x"},
		{"run", "--metrics-label", "a=1", "--metrics-label", "a=2"},
		{"run", "--explain-max", "-1"},
	} {
		code, _, stderr := ksim(t, args...)
		if code != exitBadInput {
			t.Errorf("ksim %v: exit %d, want 2; stderr: %s", args, code, stderr)
		}
	}
}

func TestExtractEChartsChecksIntegrity(t *testing.T) {
	if _, err := extractECharts([]byte("not the tarball")); err == nil || !strings.Contains(err.Error(), "integrity mismatch") {
		t.Fatalf("err = %v, want an integrity mismatch", err)
	}
}

// TestAutoMetricsStep: without --metrics-step, a very large run gets a longer step, and says so.
func TestAutoMetricsStep(t *testing.T) {
	small := &sim.Result{Duration: 48 * time.Hour, Nodes: make([]sim.NodeResult, 12)}
	medium := &sim.Result{Duration: 7 * 24 * time.Hour, Nodes: make([]sim.NodeResult, 1000)}
	large := &sim.Result{Duration: 7 * 24 * time.Hour, Nodes: make([]sim.NodeResult, 5000)}
	for _, r := range []*sim.Result{small, medium, large} {
		for i := range r.Nodes {
			r.Nodes[i] = sim.NodeResult{Name: fmt.Sprintf("n%d", i), AllocatableCPU: 1000}
		}
	}
	var stderr bytes.Buffer
	if step, err := autoMetricsStep(small, reports.MetricsOptions{}, &stderr); err != nil || step != time.Minute || stderr.Len() != 0 {
		t.Errorf("12 nodes, 2 days: step %v, %v, %q; want 1m and no notice", step, err, stderr.String())
	}
	// 1,000 nodes × 3 series × a week: 6.05 M samples at 5 m, 3.02 M at 10 m.
	step, err := autoMetricsStep(medium, reports.MetricsOptions{}, &stderr)
	if err != nil || step != 10*time.Minute || !strings.Contains(stderr.String(), "metrics.om: sampling every 10m0s") {
		t.Errorf("1,000 nodes, a week: step %v, %v, %q; want 10m and a notice", step, err, stderr.String())
	}
	// 5,000 nodes: 5.06 M at 30 m, 2.5 M at 1 h.
	stderr.Reset()
	step, err = autoMetricsStep(large, reports.MetricsOptions{}, &stderr)
	if err != nil || step != time.Hour || !strings.Contains(stderr.String(), "metrics.om: sampling every 1h0m0s") {
		t.Errorf("5,000 nodes, a week: step %v, %v, %q; want 1h and a notice", step, err, stderr.String())
	}
}

// TestExplainedFor: 500 explanations by default, fewer on large clusters.
func TestExplainedFor(t *testing.T) {
	for _, tc := range []struct{ nodes, want int }{{0, 500}, {12, 500}, {200, 500}, {201, 497}, {1000, 100}, {5000, 20}, {50_000, 10}} {
		if got := explainedFor(tc.nodes); got != tc.want {
			t.Errorf("explainedFor(%d) = %d, want %d", tc.nodes, got, tc.want)
		}
	}
}

// TestSampleHint: a run that would record many node samples at the default interval gets a
// hint naming a longer one; small runs and scenarios that set the interval get none.
func TestSampleHint(t *testing.T) {
	sc := func(nodes int, d, iv time.Duration) *scenario.Scenario {
		s := &scenario.Scenario{Duration: d, Nodes: make([]*corev1.Node, nodes)}
		s.Controllers.SampleInterval = iv
		return s
	}
	week := 7 * 24 * time.Hour
	for _, tc := range []struct {
		sc   *scenario.Scenario
		want string
	}{
		{sc(12, 48*time.Hour, time.Minute), ""},
		{sc(1000, week, 5*time.Minute), ""}, // set by the scenario
		{sc(400, week, time.Minute), ""},    // 4.03 M
		{sc(1000, week, time.Minute), "1000 nodes sampled every 1m0s for 168h0m0s make 10080000 node samples, a large part of the run's time and memory; spec.controllers.sampleInterval: 5m0s would record 2016000"},
		{sc(5000, week, time.Minute), "spec.controllers.sampleInterval: 15m0s would record 3360000"},
	} {
		got := sampleHint(tc.sc)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%d nodes, %v every %v: hint %q, want %q", len(tc.sc.Nodes), tc.sc.Duration, tc.sc.Controllers.SampleInterval, got, tc.want)
		}
	}
}
