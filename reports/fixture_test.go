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

	"ksim.dev/ksim/scheduler"
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

// testResult is a small hand-built run: 2 h, three nodes in two zones and two pools (one node
// added late, one removed), two HPAs (given out of name order, to check sorting), a few pending
// times, placements with an explanation, unschedulable reasons and log lines.
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
		Unschedulable: []sim.ReasonSeries{
			{Reason: "Insufficient cpu", Pods: series(0, 0, 10, 2, 40, 1, 120, 0, 3600, 1, 3700, 0)},
			{Reason: "node(s) had untolerated taint(s)", Pods: series(0, 0, 10, 1, 120, 0)},
		},
		Placements: []sim.Placement{
			{T: sec(0), Pod: "shop/web-a", Owner: "Deployment/shop/web", Node: "n1"},
			{T: sec(120), Pod: "shop/web-abc", Owner: "Deployment/shop/web", Node: "n2", Attempts: 2, Pending: sec(110)},
		},
		Explained: []sim.ExplainedAttempt{
			{T: sec(0), Pod: "shop/web-a", Node: "n1", Explanation: &scheduler.Explanation{NumFeasibleToFind: 2, Nodes: []scheduler.NodeExplanation{
				{Node: "n1", Feasible: true, Chosen: true, Total: 310,
					Filters: []scheduler.FilterVerdict{{Plugin: "TaintToleration", Passed: true}, {Plugin: "NodeResourcesFit", Passed: true}},
					Scores:  []scheduler.PluginScore{{Plugin: "TaintToleration", Raw: 0, Normalized: 100, Weight: 3, Weighted: 300}, {Plugin: "NodeResourcesFit", Raw: 10, Normalized: 10, Weight: 1, Weighted: 10}}},
				{Node: "n2", Feasible: false,
					Filters: []scheduler.FilterVerdict{{Plugin: "TaintToleration", Passed: false, Reasons: []string{"node(s) had untolerated taint(s)"}}}},
			}}},
			{T: sec(10), Pod: "shop/web-abc", Reason: "0/2 nodes are available: 2 Insufficient cpu.", Explanation: &scheduler.Explanation{
				Nodes: []scheduler.NodeExplanation{{Node: "n1", Filters: []scheduler.FilterVerdict{{Plugin: "NodeResourcesFit", Reasons: []string{"Insufficient cpu"}}}},
					{Node: "n2", NotEvaluated: "not reached"}}}},
		},
		HPAs: []sim.HPAResult{
			{
				Namespace: "shop", Name: "web", Target: "Deployment/web",
				MinReplicas: 2, MaxReplicas: 10, TargetUtilization: 80,
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
				MinReplicas: 1, MaxReplicas: 3, TargetAverageMilli: 250,
				Replicas: series(0, 1),
				Ready:    series(0, 0, 15, 1),
				Syncs:    []sim.HPASync{{T: 0, Current: 1, Proposal: 1, Desired: 1, Utilization: 10}},
				Demand:   series(0, 0.1),
			},
		},
		Nodes: []sim.NodeResult{
			{Name: "n1", Zone: "a", Pool: "general", AllocatableCPU: 4000, RequestedCPU: series(0, 1000, 1800, 3000),
				UsedCPU: series(0, 500, 60, 900, 3600, 2500)},
			{Name: "n2", Zone: "a", Pool: "general", AllocatableCPU: 4000, RequestedCPU: series(0, 500, 5400, 0),
				UsedCPU: series(0, 100, 60, 200), Removed: true, RemovedAt: sec(5400)},
			{Name: "n3", Zone: "b", Pool: "batch", AllocatableCPU: 4000, RequestedCPU: series(1800, 0, 3600, 2000),
				UsedCPU: series(1800, 0, 3660, 1000)},
		},
		Log: []sim.LogEntry{
			{T: sec(10), Kind: "unschedulable", Object: "pod/shop/web-abc", Detail: `0/3 nodes are available: 3 Insufficient cpu. <script>alert("x")</script>`},
			{T: sec(1800), Kind: "scale", Object: "hpa/shop/web", Detail: "2 -> 4 (cpu 160% of 80%)"},
			{T: sec(1800), Kind: "node", Object: "node/n3", Detail: "added"},
			{T: sec(3600), Kind: "node", Object: "node/n3", Detail: "tainted maintenance=true:NoExecute & drained"},
			{T: sec(5400), Kind: "scale", Object: "hpa/shop/web", Detail: "4 -> 3"},
			{T: sec(5400), Kind: "node", Object: "node/n2", Detail: "removed"},
		},
		Settings: []sim.Setting{
			{Name: "spec.duration", Value: "2h0m0s"},
			{Name: "spec.controllers.hpaSyncPeriod", Value: "15s", Default: "30s"},
			{Name: "spec.controllers.hpaTolerance", Value: "0.1", Default: "0.1"},
		},
	}
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
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
