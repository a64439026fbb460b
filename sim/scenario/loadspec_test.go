package scenario

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"ksim.dev/ksim/workloads"
)

// The load part of the error table: every field of spec.load (loadspec.go) with a bad value,
// on the base scenario of errors_test.go. The trace line of the base is line 10.
const baseTraceLine = "    trace: {path: trace.csv, column: cpu, peakCores: 4}\n"

// withTrace replaces the base's trace line with lines (each indented under the load entry).
func withLoad(lines string) edit { return edit{"scenario.yaml", baseTraceLine, lines} }

func TestLoadSpecErrors(t *testing.T) {
	alibaba := "m_1,0,41,92,,,43,33,5\nm_1,60,43,92,,,43,33,5\nm_2,0,10,50,,,4,3,5\n"
	cases := []struct {
		name  string
		edits []edit
		at    string
		msg   string
	}{
		// The model and its fields.
		{"model: cpuPerRequest with aggregate", []edit{withLoad(baseTraceLine + "    cpuPerRequest: 5m\n")},
			"scenario.yaml:11: spec.load[0].cpuPerRequest: ", "belongs to model: requests"},
		{"model: requests without cpuPerRequest", []edit{withLoad("    model: requests\n    trace: {path: trace.csv, column: cpu}\n")},
			"scenario.yaml:9: spec.load[0]: ", "cpuPerRequest is required with model: requests"},
		{"model: cpuPerRequest zero", []edit{withLoad("    model: requests\n    cpuPerRequest: 0\n    trace: {path: trace.csv, column: cpu}\n")},
			"scenario.yaml:11: spec.load[0].cpuPerRequest: ", "must be greater than 0 (core-seconds of CPU per request"},
		{"model: cpuPerRequest not a quantity", []edit{withLoad("    model: requests\n    cpuPerRequest: 5 ms\n    trace: {path: trace.csv, column: cpu}\n")},
			"scenario.yaml:11: spec.load[0].cpuPerRequest: ", `"5 ms" is not a quantity`},
		{"model: assign with aggregate", []edit{withLoad(baseTraceLine + "    assign: round-robin\n")},
			"scenario.yaml:11: spec.load[0].assign: ", "belongs to model: per-pod"},
		{"model: assign unknown", []edit{withLoad("    model: per-pod\n    assign: random\n" + baseTraceLine)},
			"scenario.yaml:11: spec.load[0].assign: ", `"random" is not allowed; allowed: round-robin`},
		{"model: requests with peakCores", []edit{withLoad("    model: requests\n    cpuPerRequest: 5m\n" + baseTraceLine)},
			"scenario.yaml:12: spec.load[0].trace.peakCores: ", "does not apply to model: requests"},
		{"model: per-pod with troughCores", []edit{withLoad("    model: per-pod\n    trace: {path: trace.csv, column: cpu, peakCores: 4, troughCores: 1}\n")},
			"scenario.yaml:11: spec.load[0].trace.troughCores: ", "does not apply to model: per-pod"},
		{"model: requests on a CPU column", []edit{withLoad("    model: requests\n    cpuPerRequest: 5m\n    trace: {format: alibaba-machine, path: m.csv, series: [m_1]}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:12: spec.load[0].trace.column: ", "column cpu_util_percent measures cpu; model: requests needs a request count or rate"},

		// Trace or generator.
		{"load: neither trace nor generator", []edit{withLoad("")},
			"scenario.yaml:9: spec.load[0]: ", "trace or generator is required"},
		{"load: trace and generator", []edit{withLoad(baseTraceLine + "    generator: {constant: 2}\n")},
			"scenario.yaml:11: spec.load[0].generator: ", "give trace or generator, not both"},

		// Transform.
		{"transform: shift without a unit", []edit{withLoad(baseTraceLine + "    transform: {shift: 30}\n")},
			"scenario.yaml:11: spec.load[0].transform.shift: ", "30 has no unit"},
		{"transform: shift not a duration", []edit{withLoad(baseTraceLine + "    transform: {shift: soon}\n")},
			"scenario.yaml:11: spec.load[0].transform.shift: ", `"soon" is not a Go duration`},
		{"transform: timeScale 0", []edit{withLoad(baseTraceLine + "    transform: {timeScale: 0}\n")},
			"scenario.yaml:11: spec.load[0].transform.timeScale: ", "must be between 1e-6 and 1e6"},
		{"transform: amplitude negative", []edit{withLoad(baseTraceLine + "    transform: {amplitude: -1}\n")},
			"scenario.yaml:11: spec.load[0].transform.amplitude: ", "must be greater than 0 (1.2 is 20% more load), got -1"},
		{"transform: resample", []edit{withLoad(baseTraceLine + "    transform: {resample: fast}\n")},
			"scenario.yaml:11: spec.load[0].transform.resample: ", `"fast" is not a Go duration; write e.g. 30s, 5m, 1h30m or 48h (units: ns, us, ms, s, m, h), or metricResolution`},
		{"transform: unknown field", []edit{withLoad(baseTraceLine + "    transform: {speed: 2}\n")},
			"scenario.yaml:11: spec.load[0].transform.speed: ", `unknown field "speed"`},

		// Trace fields.
		{"trace: timeColumn with a headerless format", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, timeColumn: t, capacityCores: 96}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.timeColumn: ", "applies to formats csv and count-csv"},
		{"trace: column not in the format", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, column: cpu, capacityCores: 96}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.column: ", `"cpu" is not a column of format alibaba-machine; columns: cpu_util_percent`},
		{"trace: column measures memory", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, column: mem_util_percent, series: [m_1], capacityCores: 96}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.column: ", "column mem_util_percent measures memory; a CPU load needs a CPU column"},
		{"trace: percent without a capacity", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, series: [m_1]}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace: ", "column cpu_util_percent is in percent: give capacityCores (the cores that 100% stands for), or peakCores, or scale"},
		{"trace: capacityCores for a column of unknown unit", []edit{withLoad("    trace: {path: trace.csv, column: cpu, capacityCores: 4}\n")},
			"scenario.yaml:10: spec.load[0].trace.capacityCores: ", "column cpu is in unit not given, not a share of a capacity"},
		{"trace: capacityCores and peakCores", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, capacityCores: 4}\n")},
			"scenario.yaml:10: spec.load[0].trace.capacityCores: ", "give one of peakCores, scale and capacityCores, not several"},
		{"trace: capacityCores zero", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, series: [m_1], capacityCores: 0}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.capacityCores: ", "must be greater than 0"},
		{"trace: seriesBy not a key of the format", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, seriesBy: net_in, capacityCores: 96}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.seriesBy: ", `"net_in" cannot name a series of format alibaba-machine; allowed: machine_id`},
		{"trace: seriesBy not a csv column", []edit{withLoad("    trace: {path: trace.csv, column: cpu, seriesBy: host, peakCores: 4}\n")},
			"scenario.yaml:10: spec.load[0].trace.seriesBy: ", `"host" is not a column of trace.csv`},
		{"trace: a series named twice", []edit{withLoad("    trace:\n      format: alibaba-machine\n      path: m.csv\n      capacityCores: 96\n      series: [m_1, m_1]\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:14: spec.load[0].trace.series[1]: ", `"m_1" is named twice`},
		{"trace: a series not in the file", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, capacityCores: 96, series: [m_9]}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.series: ", `series "m_9" not in the file`},
		{"trace: several series for an aggregate load", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, capacityCores: 96}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace: ", "the trace holds 2 series (m_1, m_2); an aggregate load needs one: select it with series: [m_1], or add them up with combine: sum"},
		{"trace: combine unknown", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, capacityCores: 96, combine: max}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.combine: ", `"max" is not allowed; allowed: sum`},
		{"trace: combine with per-pod", []edit{withLoad("    model: per-pod\n    trace: {format: alibaba-machine, path: m.csv, capacityCores: 96, combine: sum}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:11: spec.load[0].trace.combine: ", "does not apply to model: per-pod"},
		{"trace: unit on a format that has units", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, unit: cores}\n"), {"m.csv", "", alibaba}},
			"scenario.yaml:10: spec.load[0].trace.unit: ", "format alibaba-machine gives its columns' units"},
		{"trace: unknown unit", []edit{withLoad("    trace: {path: trace.csv, column: cpu, unit: watts, scale: 1}\n")},
			"scenario.yaml:10: spec.load[0].trace.unit: ", `"watts" is not a unit; allowed: cores, percent, normalized, MHz, requests, requests/s`},
		{"trace: vmtable on csv", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, vmtable: vm.csv}\n")},
			"scenario.yaml:10: spec.load[0].trace.vmtable: ", "applies to formats azure-v1 and azure-v2"},
		{"trace: vmtable missing", []edit{withLoad("    trace: {format: azure-v1, path: a.csv, column: avg_cpu_cores, vmtable: vm.csv}\n"), {"a.csv", "", "0,vm1,1,2,1.5\n"}},
			"scenario.yaml:10: spec.load[0].trace.vmtable: ", "vm.csv: file not found"},
		{"trace: interval on csv", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, interval: 1s}\n")},
			"scenario.yaml:10: spec.load[0].trace.interval: ", "applies to formats counts and google2019-instance"},
		{"trace: step without a unit", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, step: 60}\n")},
			"scenario.yaml:10: spec.load[0].trace.step: ", "60 has no unit"},
		{"trace: maxGap zero", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, maxGap: 0s}\n")},
			"scenario.yaml:10: spec.load[0].trace.maxGap: ", "must be greater than 0"},
		{"trace: gaps policy", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, gaps: fill}\n")},
			"scenario.yaml:10: spec.load[0].trace.gaps: ", `"fill" is not allowed; allowed: hold`},
		{"trace: duplicates policy", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, duplicates: average}\n")},
			"scenario.yaml:10: spec.load[0].trace.duplicates: ", `"average" is not allowed; allowed: error, first, last, sum, mean, max`},
		{"trace: outOfOrder policy", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, outOfOrder: shuffle}\n")},
			"scenario.yaml:10: spec.load[0].trace.outOfOrder: ", `"shuffle" is not allowed; allowed: error, drop, sort`},
		{"trace: invalid policy", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, invalid: ignore}\n")},
			"scenario.yaml:10: spec.load[0].trace.invalid: ", `"ignore" is not allowed; allowed: error, skip`},
		{"trace: repeat zero", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, repeat: 0}\n")},
			"scenario.yaml:10: spec.load[0].trace.repeat: ", "want true (loop forever), false (play once, then hold the last value) or a number of plays from 1 to 1000000, got 0"},
		{"trace: paths with aggregate", []edit{withLoad("    trace: {paths: [trace.csv], column: cpu, peakCores: 4}\n")},
			"scenario.yaml:10: spec.load[0].trace.paths: ", "several files are for model: per-pod"},
		{"trace: path and paths", []edit{withLoad("    model: per-pod\n    trace: {path: trace.csv, paths: [trace.csv], column: cpu, peakCores: 4}\n")},
			"scenario.yaml:11: spec.load[0].trace.paths: ", "give path or paths, not both"},
		{"trace: a missing file among paths", []edit{withLoad("    model: per-pod\n    trace:\n      paths: [trace.csv, gone.csv]\n      column: cpu\n      peakCores: 4\n")},
			"scenario.yaml:12: spec.load[0].trace.paths[1]: ", "gone.csv: file not found"},
		{"trace: a gap is an error", []edit{withLoad("    trace: {path: trace.csv, column: cpu, peakCores: 4, gaps: error}\n"), {"trace.csv", "", "timestamp,cpu\n0,1\n60,2\n120,2\n600,3\n"}},
			"trace.csv:5: ", `gap of 8m0s in series "cpu" from time 120 (line 4) to 600, longer than maxGap 1m30s`},
		{"trace: out of order in a real format", []edit{withLoad("    trace: {format: alibaba-machine, path: m.csv, series: [m_1], capacityCores: 96}\n"), {"m.csv", "", "m_1,60,41,92,,,43,33,5\nm_1,0,43,92,,,43,33,5\n"}},
			"m.csv:2: ", `time 0 of series "m_1" is before 60 on line 1`},
		{"trace: MHz without scale", []edit{withLoad("    trace: {format: bitbrains, path: vm.csv}\n"), {"vm.csv", "", bitbrainsHeader + "1376314846;\t1;\t2599.99;\t19.06;\t0.73;\t2097152.0;\t110448.5;\t0.0;\t1.46;\t0.0;\t0.0\n"}},
			"scenario.yaml:10: spec.load[0].trace: ", "column cpu_usage_mhz is in MHz: give scale (cores per MHz) or peakCores, or read column cpu_usage_cores"},

		// Generators.
		{"generator: empty", []edit{withLoad("    generator: {}\n")},
			"scenario.yaml:10: spec.load[0].generator: ", "give one generator: constant, step, ramp, diurnal"},
		{"generator: two kinds", []edit{withLoad("    generator: {constant: 1, ramp: {end: 1h, from: 0, to: 1}}\n")},
			"scenario.yaml:10: spec.load[0].generator.ramp: ", "give one generator per entry, not constant and ramp"},
		{"generator: unknown kind", []edit{withLoad("    generator: {sine: {mean: 1}}\n")},
			"scenario.yaml:10: spec.load[0].generator.sine: ", `unknown field "sine"`},
		{"generator: constant negative", []edit{withLoad("    generator: {constant: -2}\n")},
			"scenario.yaml:10: spec.load[0].generator.constant: ", "must be a number >= 0, got -2"},
		{"generator: diurnal without mean", []edit{withLoad("    generator:\n      diurnal: {amplitude: 2}\n")},
			"scenario.yaml:11: spec.load[0].generator.diurnal: ", "mean is required"},
		{"generator: diurnal period", []edit{withLoad("    generator:\n      diurnal: {mean: 2, period: 0s}\n")},
			"scenario.yaml:11: spec.load[0].generator.diurnal.period: ", "must be greater than 0"},
		{"generator: ramp end before start", []edit{withLoad("    generator:\n      ramp: {start: 2h, end: 1h, from: 1, to: 2}\n")},
			"scenario.yaml:11: spec.load[0].generator.ramp.end: ", "must be after start (2h0m0s), got 1h0m0s"},
		{"generator: step without after", []edit{withLoad("    generator:\n      step: {at: 1h, before: 1}\n")},
			"scenario.yaml:11: spec.load[0].generator.step: ", "after is required"},
		{"generator: spikes every without a unit", []edit{withLoad("    generator:\n      spikes: {every: 60, height: 1, duration: 1m}\n")},
			"scenario.yaml:11: spec.load[0].generator.spikes.every: ", "60 has no unit"},
		{"generator: randomWalk start outside", []edit{withLoad("    generator:\n      randomWalk: {start: 10, sigma: 1, min: 1, max: 5}\n")},
			"scenario.yaml:11: spec.load[0].generator.randomWalk.start: ", "must be within [min, max] = [1, 5]"},
		{"generator: jobs median", []edit{withLoad("    generator:\n      jobs: {every: 5m, median: -1m}\n")},
			"scenario.yaml:11: spec.load[0].generator.jobs.median: ", "must be greater than 0, got -1m"},
		{"generator: sum of nothing", []edit{withLoad("    generator: {sum: []}\n")},
			"scenario.yaml:10: spec.load[0].generator.sum: ", "lists no generators"},
		{"generator: sequence part without for", []edit{withLoad("    generator:\n      sequence:\n      - constant: 1\n      - constant: 2\n")},
			"scenario.yaml:12: spec.load[0].generator.sequence[0]: ", "for is required"},
		{"generator: for outside a sequence", []edit{withLoad("    generator:\n      sum:\n      - {constant: 1, for: 1h}\n")},
			"scenario.yaml:12: spec.load[0].generator.sum[0].for: ", "applies to the parts of a sequence"},
		{"generator: nested error", []edit{withLoad("    generator:\n      product:\n      - diurnal: {mean: 1}\n      - sum:\n        - constant: 1\n        - ramp: {end: 1h, from: 1, to: x}\n")},
			"scenario.yaml:15: spec.load[0].generator.product[1].sum[1].ramp.to: ", "want a number"},
		{"generator: too deep", []edit{withLoad("    generator: " + strings.Repeat("{sum: [", 10) + "{constant: 1}" + strings.Repeat("]}", 10) + "\n")},
			"scenario.yaml:10: ", "the generator is too large (at most 8 levels and 64 generators)"},
	}
	runEditCases(t, cases)
}

const bitbrainsHeader = "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s];\tDisk write throughput [KB/s];\tNetwork received throughput [KB/s];\tNetwork transmitted throughput [KB/s]\n"

// runEditCases loads the base scenario with each case's edits and requires a message that
// starts with at and contains msg.
func runEditCases(t *testing.T, cases []struct {
	name  string
	edits []edit
	at    string
	msg   string
}) {
	t.Helper()
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case name")
			}
			seen[tc.name] = true
			fsys := baseFS()
			for _, e := range tc.edits {
				if e.old == "" {
					fsys[e.file] = &fstest.MapFile{Data: []byte(e.new)}
					continue
				}
				data := string(fsys[e.file].Data)
				if !strings.Contains(data, e.old) {
					t.Fatalf("edit of %s: %q not found", e.file, e.old)
				}
				fsys[e.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, e.old, e.new, 1))}
			}
			sc, err := LoadFS(fsys, "scenario.yaml")
			if err == nil {
				t.Fatalf("no error; want %s...%s", tc.at, tc.msg)
			}
			if sc != nil {
				t.Errorf("got a Scenario with the error")
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is %T, want a non-empty Errors", err)
			}
			for _, e := range es {
				if e.File == "" || e.Msg == "" {
					t.Errorf("incomplete Error %#v", e)
				}
			}
			if testing.Verbose() {
				t.Logf("\n%v", err)
			}
			for _, e := range es {
				if s := e.Error(); strings.HasPrefix(s, tc.at) && strings.Contains(s[len(tc.at):], tc.msg) {
					return
				}
			}
			t.Errorf("no message starts with %q and contains %q; got:\n%v", tc.at, tc.msg, err)
		})
	}
}

// TestLoadSpecs loads the new syntax and checks what the engine receives.
func TestLoadSpecs(t *testing.T) {
	alibaba := "m_1,0,41,92,,,43,33,5\nm_1,60,43,92,,,43,33,5\nm_2,0,10,50,,,4,3,5\nm_2,60,20,50,,,4,3,5\n"
	load := func(t *testing.T, entry string, files map[string]string) LoadSpec {
		t.Helper()
		fsys := baseFS()
		data := strings.Replace(baseScenario, "  - target: deployment/web\n"+baseTraceLine, entry, 1)
		fsys["scenario.yaml"] = &fstest.MapFile{Data: []byte(data)}
		for name, body := range files {
			fsys[name] = &fstest.MapFile{Data: []byte(body)}
		}
		sc, err := LoadFS(fsys, "scenario.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Load) != 1 {
			t.Fatalf("%d loads", len(sc.Load))
		}
		return sc.Load[0]
	}

	t.Run("the base, unchanged", func(t *testing.T) {
		l := load(t, "  - target: deployment/web\n"+baseTraceLine, nil)
		if l.Model != ModelAggregate || l.Generator != nil || l.Transform != (Transform{}) || l.Source != "scenario.yaml:9" {
			t.Errorf("%+v", l)
		}
		if len(l.Data) != 1 || len(l.Data[0].Traces) != 1 || l.Data[0].Traces[0].Values[1] != 2 {
			t.Errorf("data %+v", l.Data)
		}
	})
	t.Run("per-pod on a real format", func(t *testing.T) {
		l := load(t, `  - target: deployment/web
    model: per-pod
    assign: lowest-free
    trace: {format: alibaba-machine, path: m.csv, capacityCores: 96, gaps: interpolate, maxGap: 5m, repeat: 3}
    transform: {shift: -30m, timeScale: 0.5, amplitude: 1.2, resample: metricResolution}
`, map[string]string{"m.csv": alibaba})
		want := Trace{Format: "alibaba-machine", Path: "m.csv", CapacityCores: 96, Repeat: true, RepeatCount: 3, Gaps: "interpolate", MaxGap: 5 * time.Minute}
		if !equalTrace(l.Trace, want) {
			t.Errorf("trace %+v\nwant  %+v", l.Trace, want)
		}
		if l.Assign != AssignLowestFree || l.Transform != (Transform{Shift: -30 * time.Minute, TimeScale: 0.5, Amplitude: 1.2, Resample: DefaultMetricResolution}) {
			t.Errorf("assign %q, transform %+v", l.Assign, l.Transform)
		}
		if n := len(l.Data[0].Traces); n != 2 || l.Data[0].Column.Unit != workloads.UnitPercent {
			t.Errorf("%d series, unit %q", n, l.Data[0].Column.Unit)
		}
	})
	t.Run("requests", func(t *testing.T) {
		l := load(t, "  - target: deployment/web\n    model: requests\n    cpuPerRequest: 5m\n    trace: {format: counts, path: c.txt, interval: 2s}\n",
			map[string]string{"c.txt": "1 2 3\n"})
		if math.Abs(l.CPUPerRequest-0.005) > 1e-15 || l.Trace.Interval != 2*time.Second || l.Data[0].Traces[0].Step != 2*time.Second {
			t.Errorf("%+v", l)
		}
	})
	t.Run("generator", func(t *testing.T) {
		l := load(t, `  - target: deployment/web
    generator:
      sequence:
      - {for: 2h, constant: 1}
      - sum:
        - diurnal: {mean: 4, amplitude: 2, peakAt: 14h, noise: 0.2}
        - spikes: {every: 6h, height: 3, duration: 10m}
`, nil)
		g := l.Generator
		if g == nil || g.Kind != "sequence" || len(g.Parts) != 2 || g.For[0] != 2*time.Hour || g.Parts[1].Kind != "sum" ||
			!g.Parts[1].Parts[0].Random || g.Parts[1].Parts[0].Leaf.(workloads.Diurnal).PeakAt != 14*time.Hour {
			t.Errorf("generator %+v", g)
		}
	})
	t.Run("a real trace through Load", func(t *testing.T) {
		dir := t.TempDir()
		write := func(name, body string) {
			if err := os.WriteFile(dir+"/"+name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("nodes.yaml", baseNodes)
		write("apps.yaml", baseApps)
		b, err := os.ReadFile("../../workloads/testdata/worldcup98-100rows-with-gap.csv")
		if err != nil {
			t.Fatal(err)
		}
		write("wc.csv", string(b))
		write("scenario.yaml", strings.Replace(baseScenario, baseTraceLine, "    model: requests\n    cpuPerRequest: 2m\n    trace: {format: count-csv, path: wc.csv}\n", 1))
		sc, err := Load(dir + "/scenario.yaml")
		if err != nil {
			t.Fatal(err)
		}
		set := sc.Load[0].Data[0]
		if set.Name != dir+"/wc.csv" || set.Issues[0].Filled != 1 {
			t.Errorf("name %q, issues %+v", set.Name, set.Issues)
		}
	})
}

func equalTrace(a, b Trace) bool {
	a.Series, b.Series = nil, nil
	return a.Format == b.Format && a.Path == b.Path && a.CapacityCores == b.CapacityCores && a.Repeat == b.Repeat &&
		a.RepeatCount == b.RepeatCount && a.Gaps == b.Gaps && a.MaxGap == b.MaxGap && a.Column == b.Column && a.Scale == b.Scale
}

func TestDescribe(t *testing.T) {
	l := LoadSpec{Target: Ref{"Deployment", "default", "web"}, Model: ModelRequests, CPUPerRequest: 0.002,
		Trace:     Trace{Format: "count-csv", Path: "wc.csv", Repeat: false},
		Transform: Transform{Amplitude: 1.2, Shift: -time.Hour}}
	if got, want := l.Describe(), "Deployment/default/web ← count-csv wc.csv, no repeat, shifted -1h0m0s, amplitude × 1.2, 0.002 core-s per request (requests)"; got != want {
		t.Errorf("Describe() = %q\nwant         %q", got, want)
	}
	g := LoadSpec{Target: Ref{"Deployment", "default", "api"}, Generator: &Generator{Kind: "sum", Parts: []*Generator{
		{Kind: "diurnal", Leaf: workloads.Diurnal{}}, {Kind: "spikes", Leaf: workloads.Spikes{}}}}}
	if got, want := g.Describe(), "Deployment/default/api ← generator sum(diurnal, spikes) (aggregate)"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

// TestDocsExamplesLoad loads the generator example of docs/scenario.md's Workloads section,
// so that the documented syntax stays valid.
func TestDocsExamplesLoad(t *testing.T) {
	b, err := os.ReadFile("../../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "```yaml\ngenerator:\n  sequence:")
	if i < 0 {
		t.Fatal("docs/scenario.md has no generator sequence example")
	}
	block := doc[i+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	var entry strings.Builder
	entry.WriteString("  - target: deployment/web\n")
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		entry.WriteString("    " + line + "\n")
	}
	fsys := baseFS()
	fsys["scenario.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(baseScenario, "  - target: deployment/web\n"+baseTraceLine, entry.String(), 1))}
	sc, err := LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatalf("the docs' example does not load:\n%s\n%v", entry.String(), err)
	}
	if g := sc.Load[0].Generator; g == nil || g.Kind != "sequence" || len(g.Parts) != 3 || g.Parts[2].Kind != "product" {
		t.Errorf("generator %+v", g)
	}
}
