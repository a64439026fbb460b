package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// fakeECharts stands in for echarts.min.js in tests: a tiny script with the same global.
const fakeECharts = `window.echarts = {init: function () { return {setOption: function () {}, resize: function () {}}; }};`

// series builds a step series from (seconds, value) pairs through sim.Series.Add, so the
// fixture obeys the same invariants as the engine's output.
func series(tv ...float64) sim.Series {
	var s sim.Series
	for i := 0; i+1 < len(tv); i += 2 {
		s.Add(sec(tv[i]), tv[i+1])
	}
	return s
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// testResult is a small hand-built run: 2 h, three nodes in two zones, two HPAs (given out of
// name order, to check sorting), a few pending times and log lines.
func testResult() *sim.Result {
	return &sim.Result{
		Scenario: "web-diurnal",
		Seed:     42,
		Duration: 2 * time.Hour,
		Events:   1234,
		Pods: sim.PodCounts{
			Created: 12, Scheduled: 10, UnschedulableAtEnd: 1, PendingAtEnd: 2, Evicted: 1, Succeeded: 3,
		},
		PendingSeconds: []float64{0.5, 0, 2, 30.25, 1, 0, 0.1, 5, 120, 0.75},
		Pending:        series(0, 0, 10, 3, 40, 1, 120, 0, 3600, 2, 3700, 0),
		HPAs: []sim.HPAResult{
			{
				Namespace: "shop", Name: "web", Target: "Deployment/web",
				MinReplicas: 2, MaxReplicas: 10,
				Replicas: series(0, 2, 1800, 4, 5400, 3),
				Ready:    series(0, 0, 20, 2, 1830, 4, 5400, 3),
				Syncs: []sim.HPASync{
					{T: sec(0), Current: 2, Proposal: 2, Desired: 2, Utilization: 50},
					{T: sec(1800), Current: 2, Proposal: 4, Desired: 4, Utilization: 160},
					{T: sec(3600), Current: 4, Proposal: -1, Desired: 4, Utilization: -1, Err: "metrics unavailable"},
					{T: sec(5400), Current: 4, Proposal: 3, Desired: 3, Utilization: 60, Limited: "ScaleDownStabilized"},
				},
				ScaleEvents: []sim.ScaleEvent{{T: sec(1800), From: 2, To: 4}, {T: sec(5400), From: 4, To: 3}},
				Demand:      series(0, 0.5, 1800, 2.5, 5400, 1.2),
				Unserved:    series(0, 0, 1800, 0.5, 1830, 0),
			},
			{
				Namespace: "shop", Name: "api", Target: "Deployment/api",
				MinReplicas: 1, MaxReplicas: 3,
				Replicas: series(0, 1),
				Ready:    series(0, 0, 15, 1),
				Syncs:    []sim.HPASync{{T: 0, Current: 1, Proposal: 1, Desired: 1, Utilization: 10}},
				Demand:   series(0, 0.1),
			},
		},
		Nodes: []sim.NodeResult{
			{Name: "n1", Zone: "a", AllocatableCPU: 4000, RequestedCPU: series(0, 1000, 1800, 3000)},
			{Name: "n2", Zone: "a", AllocatableCPU: 4000, RequestedCPU: series(0, 500, 5400, 0)},
			{Name: "n3", Zone: "b", AllocatableCPU: 4000},
		},
		Log: []sim.LogEntry{
			{T: sec(10), Kind: "unschedulable", Object: "pod/shop/web-abc", Detail: `0/3 nodes are available: 3 Insufficient cpu. <script>alert("x")</script>`},
			{T: sec(1800), Kind: "scale", Object: "hpa/shop/web", Detail: "2 -> 4 (cpu 160% of 80%)"},
			{T: sec(3600), Kind: "node", Object: "node/n3", Detail: "tainted maintenance=true:NoExecute & drained"},
		},
	}
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\nCreate the golden file with: go test ./reports -update", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output: %s\nIf the change is intended, regenerate with: go test ./reports -update",
			path, firstDiff(string(want), string(got)))
	}
}

// firstDiff describes the first line where want and got differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n-want " + clip(w) + "\n+got  " + clip(g)
		}
	}
	return "(no line differs)"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
