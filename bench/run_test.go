package bench

import (
	"fmt"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sim/scenario"
)

// benchRuns runs sc once per op and reports simulated seconds per wall second and events per
// wall second.
func benchRuns(b *testing.B, sc *scenario.Scenario) {
	b.ReportAllocs()
	var events int64
	for b.Loop() {
		events = mustRun(b, sc).Events
	}
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sc.Duration.Seconds()/perRun, "sim-s/s")
	b.ReportMetric(float64(events)/perRun, "events/s")
}

func mustRun(tb testing.TB, sc *scenario.Scenario) *sim.Result {
	tb.Helper()
	s, err := sim.New(sc, sim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func defaultScenario(tb testing.TB) *scenario.Scenario {
	tb.Helper()
	sc, err := scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// BenchmarkRunDefaultScenario is one whole run of the embedded default scenario (two simulated
// days, twelve nodes, one HPA at a 30 s sync).
func BenchmarkRunDefaultScenario(b *testing.B) {
	benchRuns(b, defaultScenario(b))
}

// BenchmarkRunWeek runs one simulated week of a web fleet per op at each size of the ladder
// (see Ladder).
func BenchmarkRunWeek(b *testing.B) {
	for _, size := range Ladder {
		b.Run(fmt.Sprintf("nodes=%d", size.Nodes), func(b *testing.B) {
			benchRuns(b, WebFleet(size, 1))
		})
	}
}

// BenchmarkRunDay is BenchmarkRunWeek over one simulated day: with the week, it shows how a
// run's cost grows with the simulated time as well as with the cluster's size.
func BenchmarkRunDay(b *testing.B) {
	for _, size := range Ladder {
		size.Duration = 24 * time.Hour
		b.Run(fmt.Sprintf("nodes=%d", size.Nodes), func(b *testing.B) {
			benchRuns(b, WebFleet(size, 1))
		})
	}
}

// BenchmarkRunDayOverloaded is a day of the 1,000-node rung's workload on a fifth of its
// nodes: at the daily peaks thousands of pods cannot be placed, and each failed attempt runs
// DefaultPreemption's dry run over every node (there is nothing of lower priority to preempt).
// The what-if of a cluster too small is as common as any; this keeps its cost in sight.
func BenchmarkRunDayOverloaded(b *testing.B) {
	size := Ladder[1]
	size.Nodes, size.Duration = size.Nodes/5, 24*time.Hour
	benchRuns(b, WebFleet(size, 1))
}

// TestDefaultScenarioRuns keeps the benchmark's set-up honest in ordinary test runs.
func TestDefaultScenarioRuns(t *testing.T) {
	sc := defaultScenario(t)
	if res := mustRun(t, sc); res.Events == 0 || res.Duration != sc.Duration {
		t.Fatalf("events=%d duration=%v, want a full run of %v", res.Events, res.Duration, sc.Duration)
	}
}

// TestWebFleetSmall runs the smallest rung for a simulated day: every HPA must scale and every
// pod find a node.
func TestWebFleetSmall(t *testing.T) {
	size := Ladder[0]
	size.Duration = 24 * time.Hour
	res := mustRun(t, WebFleet(size, 1))
	scaled := 0
	for _, h := range res.HPAs {
		if len(h.ScaleEvents) > 0 {
			scaled++
		}
	}
	if scaled != size.HPAs || res.Pods.UnschedulableAtEnd != 0 {
		t.Fatalf("%d of %d HPAs scaled, %d pods unschedulable at end", scaled, size.HPAs, res.Pods.UnschedulableAtEnd)
	}
}
