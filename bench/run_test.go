package bench

import (
	"fmt"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sim/scenario"
)

// BenchmarkRunDefaultScenario is one whole run of the embedded default scenario (two simulated
// days, twelve nodes, one HPA at a 30 s sync). It reports simulated seconds per wall second.
func BenchmarkRunDefaultScenario(b *testing.B) {
	sc, err := scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var events int64
	for b.Loop() {
		s, err := sim.New(sc, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Run()
		if err != nil {
			b.Fatal(err)
		}
		events = res.Events
	}
	perRun := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sc.Duration.Seconds()/perRun, "sim-s/s")
	b.ReportMetric(float64(events)/perRun, "events/s")
}

// TestDefaultScenarioRuns keeps the benchmark's set-up honest in ordinary test runs.
func TestDefaultScenarioRuns(t *testing.T) {
	sc, err := scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Events == 0 || res.Duration != sc.Duration {
		t.Fatalf("events=%d duration=%v, want a full run of %v", res.Events, res.Duration, sc.Duration)
	}
}

// BenchmarkRunWeek runs one simulated week of a web fleet per op at each size of the ladder
// (see Ladder), and reports simulated seconds per wall second and events per second.
func BenchmarkRunWeek(b *testing.B) {
	for _, size := range Ladder {
		b.Run(fmt.Sprintf("nodes=%d", size.Nodes), func(b *testing.B) {
			sc := WebFleet(size, 1)
			b.ReportAllocs()
			var events int64
			for b.Loop() {
				s, err := sim.New(sc, sim.Options{})
				if err != nil {
					b.Fatal(err)
				}
				res, err := s.Run()
				if err != nil {
					b.Fatal(err)
				}
				events = res.Events
			}
			perRun := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sc.Duration.Seconds()/perRun, "sim-s/s")
			b.ReportMetric(float64(events)/perRun, "events/s")
		})
	}
}

// TestWebFleetSmall runs the smallest rung for a simulated day with the invariants checked.
func TestWebFleetSmall(t *testing.T) {
	size := Ladder[0]
	size.Duration = 24 * time.Hour
	sc := WebFleet(size, 1)
	s, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
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
