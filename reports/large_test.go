package reports

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/sim"
)

// largeResult builds a synthetic run of the size the report must handle: nodes in 3 zones and
// 4 pools over dur, requests changing every couple of hours, usage sampled every sample, hpas
// HPAs synced every 30 s, a timeline, placements and explained attempts. It is deterministic.
func largeResult(nodes int, dur, sample time.Duration, hpas, explained int) *sim.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	r := &sim.Result{Scenario: "large", Seed: 1, Duration: dur, Events: 123456789}
	r.Settings = []sim.Setting{{Name: "spec.duration", Value: dur.String()}}
	for i := range nodes {
		n := sim.NodeResult{
			Name: fmt.Sprintf("node-%05d", i), Zone: fmt.Sprintf("zone-%c", 'a'+i%3),
			Pool: fmt.Sprintf("pool-%d", i%4), AllocatableCPU: 8000,
		}
		for t := time.Duration(0); t < dur; t += time.Duration(60+rng.IntN(180)) * time.Minute {
			n.RequestedCPU.Add(t, float64(500*rng.IntN(17)))
		}
		for t := time.Duration(0); t <= dur; t += sample {
			n.UsedCPU.Add(t, float64(rng.IntN(8000)))
		}
		if i%500 == 7 {
			n.Removed, n.RemovedAt = true, dur/2
			r.Log = append(r.Log, sim.LogEntry{T: dur / 2, Kind: "node", Object: "node/" + n.Name, Detail: "removed"})
		}
		r.Nodes = append(r.Nodes, n)
	}
	for h := range hpas {
		hr := sim.HPAResult{Namespace: "ns", Name: fmt.Sprintf("app-%02d", h), Target: fmt.Sprintf("Deployment/app-%02d", h),
			MinReplicas: 2, MaxReplicas: 50, TargetUtilization: 70}
		rep := int32(5)
		for t := time.Duration(0); t <= dur; t += 30 * time.Second {
			u := int32(40 + rng.IntN(60))
			desired := max(2, min(50, rep+int32(rng.IntN(3))-1))
			limited := ""
			if rng.IntN(5) == 0 {
				limited = "ScaleDownStabilized"
			}
			hr.Syncs = append(hr.Syncs, sim.HPASync{T: t, Current: rep, Proposal: desired, Desired: desired, Utilization: u, Limited: limited})
			if desired != rep && rng.IntN(4) == 0 {
				hr.ScaleEvents = append(hr.ScaleEvents, sim.ScaleEvent{T: t, From: rep, To: desired})
				r.Log = append(r.Log, sim.LogEntry{T: t, Kind: "scale", Object: "hpa/ns/" + hr.Name, Detail: fmt.Sprintf("%d → %d", rep, desired)})
				rep = desired
			}
			hr.Replicas.Add(t, float64(rep))
			hr.Ready.Add(t+20*time.Second, float64(rep))
		}
		for t := time.Duration(0); t <= dur; t += time.Minute {
			d := 10 + 5*math.Sin(float64(t)/float64(24*time.Hour)*2*math.Pi)
			hr.Demand.Add(t, math.Round(d*1000)/1000)
			hr.Unserved.Add(t, float64(rng.IntN(3))/10)
		}
		r.HPAs = append(r.HPAs, hr)
	}
	for i := range 100_000 {
		t := time.Duration(i) * (dur / 100_000)
		r.Placements = append(r.Placements, sim.Placement{T: t, Pod: fmt.Sprintf("ns/p-%d", i), Owner: "Deployment/ns/app",
			Node: r.Nodes[i%nodes].Name, Pending: time.Second})
		r.PendingSeconds = append(r.PendingSeconds, float64(rng.IntN(100)))
		r.Pending.Add(t, float64(rng.IntN(30)))
	}
	for i := range 10_000 {
		r.Log = append(r.Log, sim.LogEntry{T: time.Duration(i) * (dur / 10_000), Kind: "unschedulable",
			Object: fmt.Sprintf("pod/ns/p-%d", i), Detail: fmt.Sprintf("0/%d nodes are available: %d Insufficient cpu.", nodes, nodes)})
	}
	for _, reason := range []string{"Insufficient cpu", "node(s) had untolerated taint(s)"} {
		var s sim.Series
		for i := range 20_000 {
			s.Add(time.Duration(i)*(dur/20_000), float64(rng.IntN(20)))
		}
		r.Unschedulable = append(r.Unschedulable, sim.ReasonSeries{Reason: reason, Pods: s})
	}
	for a := range explained {
		ex := &scheduler.Explanation{NumFeasibleToFind: 100}
		for i := range nodes {
			ne := scheduler.NodeExplanation{Node: r.Nodes[i].Name, Feasible: i%3 != 0}
			for _, p := range []string{"NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit"} {
				ne.Filters = append(ne.Filters, scheduler.FilterVerdict{Plugin: p, Passed: true})
			}
			if !ne.Feasible {
				ne.Filters[3] = scheduler.FilterVerdict{Plugin: "NodeResourcesFit", Reasons: []string{"Insufficient cpu"}}
			} else {
				ne.Scores = []scheduler.PluginScore{{Plugin: "NodeResourcesFit", Raw: 40, Normalized: 40, Weight: 1, Weighted: 40},
					{Plugin: "TaintToleration", Raw: 0, Normalized: 100, Weight: 3, Weighted: 300}}
				ne.Total = 340
			}
			ex.Nodes = append(ex.Nodes, ne)
		}
		r.Explained = append(r.Explained, sim.ExplainedAttempt{T: time.Duration(a) * time.Second, Pod: fmt.Sprintf("ns/p-%d", a),
			Node: r.Nodes[1].Name, Explanation: ex})
	}
	r.Pods = sim.PodCounts{Created: 100_000, Scheduled: 100_000}
	return r
}

// TestHTMLLargeRun renders the report of a 5,000-node week and checks that it stays under
// 20 MB and says what it thinned. (How fast a browser opens it is measured, not tested: see
// docs/report.md.)
func TestHTMLLargeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5,000-node week (about 10 s)")
	}
	r := largeResult(5000, 7*24*time.Hour, 10*time.Minute, 20, 40)
	o := HTMLOptions{Version: "v", EChartsJS: []byte(fakeECharts)}
	// KSIM_LARGE_REPORT=FILE writes the page, with the ECharts of $KSIM_ECHARTS_JS, to FILE:
	// to measure how fast a browser opens it.
	out := os.Getenv("KSIM_LARGE_REPORT")
	if out != "" {
		js, err := LoadECharts("")
		if err != nil {
			t.Fatal(err)
		}
		o.EChartsJS = js
	}
	var buf bytes.Buffer
	start := time.Now()
	if err := WriteHTML(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	if out != "" {
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("5,000 nodes, a week: report %.1f MB in %v", float64(buf.Len())/1e6, time.Since(start).Round(time.Millisecond))
	if buf.Len() > 20e6 {
		t.Errorf("report is %.1f MB, want under 20 MB", float64(buf.Len())/1e6)
	}
	page := buf.String()
	for _, want := range []string{
		"the chart shows",       // series downsampled
		"each row merges up to", // heatmap rows merged
		"left out to keep the page small",
		"The page holds the first",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

func BenchmarkWriteHTMLLarge(b *testing.B) {
	r := largeResult(5000, 7*24*time.Hour, 10*time.Minute, 20, 40)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r, HTMLOptions{Version: "v", EChartsJS: []byte(fakeECharts)}); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n)/1e6, "MB")
}
