package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
// seed (byte-identical summary.json and report.html), then with another seed (a different summary).
func TestRunDefaultScenarioIsDeterministic(t *testing.T) {
	js := fakeECharts(t)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	seeds := []string{"3", "3", "4"}
	for i, dir := range dirs {
		code, stdout, stderr := ksim(t, "run", "--out", dir, "--seed", seeds[i], "--echarts", js)
		if code != 0 {
			t.Fatalf("ksim run: exit %d\n%s", code, stderr)
		}
		if !strings.Contains(stdout, "scenario default-web-diurnal, seed "+seeds[i]) || !strings.Contains(stdout, "wrote ") {
			t.Errorf("summary printed:\n%s", stdout)
		}
	}
	read := func(dir, name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, name := range []string{"summary.json", "report.html"} {
		if !bytes.Equal(read(dirs[0], name), read(dirs[1], name)) {
			t.Errorf("%s differs between two runs with seed 3", name)
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
