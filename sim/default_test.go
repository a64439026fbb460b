package sim_test

import (
	"reflect"
	"testing"

	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sim/scenario"
)

func runDefault(t *testing.T, seed uint64, check bool) *sim.Result {
	t.Helper()
	sc, err := scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
	if err != nil {
		t.Fatalf("loading the default scenario: %v", err)
	}
	s, err := sim.New(sc, sim.Options{Seed: seed, SeedSet: true, CheckInvariants: check})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatalf("Run (seed %d): %v", seed, err)
	}
	return res
}

// TestDefaultScenarioInvariants runs the default scenario with the invariants checked after
// every event, and checks that it exercises what it is meant to show.
func TestDefaultScenarioInvariants(t *testing.T) {
	res := runDefault(t, 1, true)
	if len(res.HPAs) != 1 || len(res.HPAs[0].ScaleEvents) == 0 {
		t.Fatalf("want the web HPA to scale; got %+v", res.HPAs)
	}
	if res.Pods.Evicted == 0 {
		t.Errorf("want evictions from the drain and the node failure")
	}
	if res.Pods.Succeeded != 24 {
		t.Errorf("report-builder: %d pods succeeded, want 24", res.Pods.Succeeded)
	}
}

// TestDeterminism: one seed gives the same result; another seed changes the random parts
// (generated pod names and tie-breaks) .
func TestDeterminism(t *testing.T) {
	a, b := runDefault(t, 7, false), runDefault(t, 7, false)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with seed 7 differ")
	}
	c := runDefault(t, 8, false)
	if reflect.DeepEqual(a.Log, c.Log) {
		t.Error("runs with seeds 7 and 8 have identical logs; the seed changes nothing")
	}
}
