package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sim/scenario"
)

// goldenVersion is the ksim version written into golden summaries, so that they do not change
// with the build.
const goldenVersion = "golden"

var (
	defaultOnce sync.Once
	defaultRes  *sim.Result
	defaultErr  error
)

// defaultResult runs the embedded default scenario once per test binary. Reports never modify
// a Result, so the tests share it.
func defaultResult(t testing.TB) *sim.Result {
	t.Helper()
	defaultOnce.Do(func() {
		defaultRes, defaultErr = runScenario(func() (*scenario.Scenario, error) {
			return scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
		})
	})
	if defaultErr != nil {
		t.Fatal(defaultErr)
	}
	return defaultRes
}

func runScenario(load func() (*scenario.Scenario, error)) (*sim.Result, error) {
	sc, err := load()
	if err != nil {
		return nil, err
	}
	s, err := sim.New(sc, sim.Options{MaxExplained: 100})
	if err != nil {
		return nil, err
	}
	return s.Run()
}

// exampleScenarios lists the example scenarios of the repository: examples/NAME/scenario.yaml
// and examples/NAME.yaml, by name.
func exampleScenarios(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	dirs, _ := filepath.Glob(filepath.Join("..", "examples", "*", "scenario.yaml"))
	for _, p := range dirs {
		out[filepath.Base(filepath.Dir(p))] = p
	}
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("kind: Scenario")) {
			continue
		}
		out[strings.TrimSuffix(filepath.Base(p), ".yaml")] = p
	}
	return out
}

// TestScenarioSummariesGolden runs the default scenario and every example scenario and compares
// each summary.json with testdata/summaries/NAME.json (regenerate with -update). A change in the
// engine that moves a figure shows here, in the figure it moved.
func TestScenarioSummariesGolden(t *testing.T) {
	check := func(t *testing.T, name string, r *sim.Result) {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, Summary(r, goldenVersion)); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("summaries", name+".json"), buf.Bytes())
	}
	t.Run("default", func(t *testing.T) { check(t, "default", defaultResult(t)) })
	for name, path := range exampleScenarios(t) {
		t.Run(name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("runs an example scenario")
			}
			r, err := runScenario(func() (*scenario.Scenario, error) { return scenario.Load(path) })
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			check(t, name, r)
		})
	}
}

// TestDefaultOutputsDeterministic renders every output of the default scenario from two runs
// and compares the bytes.
func TestDefaultOutputsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the default scenario twice")
	}
	second, err := runScenario(func() (*scenario.Scenario, error) {
		return scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
	})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]func(*sim.Result, *bytes.Buffer) error{
		"report.html": func(r *sim.Result, b *bytes.Buffer) error {
			return WriteHTML(b, r, HTMLOptions{Version: "v", EChartsJS: []byte(fakeECharts)})
		},
		"events.jsonl": func(r *sim.Result, b *bytes.Buffer) error { return WriteEvents(b, r) },
		"metrics.om": func(r *sim.Result, b *bytes.Buffer) error {
			return WriteOpenMetrics(b, r, MetricsOptions{Version: "v"})
		},
		"result.json": func(r *sim.Result, b *bytes.Buffer) error {
			return WriteDigest(b, NewDigest(r, "v", DefaultStoredPoints))
		},
	}
	for name, write := range outputs {
		var a, b bytes.Buffer
		if err := write(defaultResult(t), &a); err != nil {
			t.Fatal(err)
		}
		if err := write(second, &b); err != nil {
			t.Fatal(err)
		}
		if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two runs of the default scenario give different bytes (%d and %d): %s",
				name, a.Len(), b.Len(), firstDiff(a.String(), b.String()))
		}
	}
}
