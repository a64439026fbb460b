package sim

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sim/scenario"
)

// TestSummarisedSyncsDecideAsPodByPod runs scenarios with the HPA's steady pods summarised
// (one sample per scrape phase, hpaSync) and listed pod by pod, and wants the same run: every
// sync's decision, every scale event, every pod's fate. The default scenario drains a node and
// fails another under a scaling HPA, so pods enter and leave the steady groups throughout.
func TestSummarisedSyncsDecideAsPodByPod(t *testing.T) {
	load := map[string]func() (*scenario.Scenario, error){
		"default": func() (*scenario.Scenario, error) { return scenario.LoadFS(defaultscenario.FS, defaultscenario.Path) },
	}
	// Nodes failing under a target that scales: three back within the node-monitor grace period
	// as the load steps up (their pods never marked not ready, but unscraped while down: missing
	// pods in a scale-up), then one for good once the target is large.
	// Thirty nodes, so that nodes of one scrape phase hold pods of both kinds. The load halves at
	// 90 minutes and falls again at 96, while the pods of the first scale-down are still being
	// deleted (for 3 minutes).
	load["node-failures"] = func() (*scenario.Scenario, error) {
		sc := hpaLoadScenario()
		sc.Defaults.TerminationDelay = 3 * time.Minute // pods scaled down linger, deleting
		sc.FS = fstest.MapFS{"t.csv": {Data: []byte("t,cores\n0,0.5\n1800,4\n5400,2\n5760,0.5\n7200,0.5\n")}}
		sc.Nodes = nil
		var some []string
		for i := 0; i < 30; i++ {
			name := fmt.Sprintf("n%d", i)
			sc.Nodes = append(sc.Nodes, node(name, "a", "2", "4Gi"))
			if i%3 == 0 {
				some = append(some, name)
			}
		}
		sc.Events = []scenario.NodeEvent{
			{At: 31 * time.Minute, Action: "fail", Names: some, Source: "test:1"},
			{At: 31*time.Minute + 40*time.Second, Action: "recover", Names: some, Source: "test:2"},
			{At: 60 * time.Minute, Action: "fail", Names: some[:2], Source: "test:3"},
		}
		return sc, nil
	}
	for _, ex := range []string{"aggregate-google2019", "requests-worldcup98", "synthetic-diurnal", "per-pod-alibaba"} {
		load[ex] = func() (*scenario.Scenario, error) {
			return scenario.Load(filepath.Join("..", "examples", ex, "scenario.yaml"))
		}
	}
	for name, l := range load {
		t.Run(name, func(t *testing.T) {
			// The summarised run also checks, at every sync that reuses the last list of the
			// pods, that a fresh list is the same (CheckInvariants).
			run := func(summarise bool) (*Simulation, *Result) {
				defer func(old bool) { summariseSteadyPods = old }(summariseSteadyPods)
				summariseSteadyPods = summarise
				sc, err := l()
				if err != nil {
					t.Fatal(err)
				}
				s, err := New(sc, Options{Seed: 3, SeedSet: true, CheckInvariants: summarise})
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Run()
				if err != nil {
					t.Fatal(err)
				}
				return s, res
			}
			s, summarised := run(true)
			_, listed := run(false)
			if !reflect.DeepEqual(summarised, listed) {
				for i := range summarised.HPAs {
					a, b := summarised.HPAs[i].Syncs, listed.HPAs[i].Syncs
					for k := range min(len(a), len(b)) {
						if a[k] != b[k] {
							t.Fatalf("HPA %s, sync %d: summarised %+v, pod by pod %+v", summarised.HPAs[i].Name, k, a[k], b[k])
						}
					}
				}
				t.Fatal("the runs differ")
			}
			// The test means something only if pods were summarised somewhere.
			if name == "per-pod-alibaba" {
				return
			}
			var folded, resampled uint64
			for _, h := range s.hpas {
				folded, resampled = folded+h.folded, resampled+h.resampled
			}
			t.Logf("%d pod samples folded into others; %d syncs reused the last list", folded, resampled)
			if folded == 0 || resampled == 0 {
				t.Error("no sync summarised any pods, or none reused a list")
			}
		})
	}
}
