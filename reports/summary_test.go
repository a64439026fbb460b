package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func TestSummaryGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, Summary(testResult(), "v0.0.0-test")); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "summary.golden.json", buf.Bytes())
}

func TestSummaryValues(t *testing.T) {
	s := Summary(testResult(), "v1")
	if s.Schema != "ksim.summary/v1" || s.DurationS != 7200 || s.Seed != 42 || s.KsimVersion != "v1" {
		t.Errorf("header = %q %v %d %q", s.Schema, s.DurationS, s.Seed, s.KsimVersion)
	}
	// HPAs sorted by (namespace, name): api before web.
	if len(s.HPAs) != 2 || s.HPAs[0].Name != "api" || s.HPAs[1].Name != "web" {
		t.Fatalf("HPAs = %+v", s.HPAs)
	}
	web := s.HPAs[1]
	if web.Replicas != (ReplicasV1{Min: 2, Max: 4, Final: 3}) {
		t.Errorf("web replicas = %+v", web.Replicas)
	}
	if web.Syncs != 4 || web.SyncErrors != 1 {
		t.Errorf("web syncs = %d, errors %d", web.Syncs, web.SyncErrors)
	}
	// 0.5 cores for 30 s.
	if web.UnservedCoreSeconds != 15 {
		t.Errorf("web unserved = %v core-s, want 15", web.UnservedCoreSeconds)
	}
	// 0.5×1800 + 2.5×3600 + 1.2×1800.
	if want := 900 + 9000 + 2160.0; web.DemandCoreSeconds != want {
		t.Errorf("web demand = %v core-s, want %v", web.DemandCoreSeconds, want)
	}
	if want := []ScaleEventV1{{1800, 2, 4}, {5400, 4, 3}}; !slices.Equal(web.ScaleEvents, want) {
		t.Errorf("web scale events = %v, want %v", web.ScaleEvents, want)
	}
	if api := s.HPAs[0]; api.ScaleEvents == nil || api.UnservedCoreSeconds != 0 {
		t.Errorf("api = %+v; want empty, non-nil scale events and no unserved demand", api)
	}

	n := s.Nodes
	if n.Count != 3 || n.Zones != 2 || n.CPUAllocatableMilli != 12000 || n.CPURequestedMilliMax != 5500 || n.MaxLive != 3 {
		t.Errorf("nodes = %+v", n)
	}
	// Requested: 1500, 3500, 5500 and 5000 for 1800 s each; over 12000 × 7200 s.
	wantMean := (1500 + 3500 + 5500 + 5000.0) * 1800 / 7200 / 12000
	if math.Abs(n.CPURequestedFractionMean-wantMean) > 1e-6 {
		t.Errorf("mean requested fraction = %v, want %v", n.CPURequestedFractionMean, wantMean)
	}
	if want := round6(5500.0 / 12000); n.CPURequestedFractionMax != want {
		t.Errorf("max requested fraction = %v, want %v", n.CPURequestedFractionMax, want)
	}
	// Used: n1 500/900/2500, n2 100/200 until its removal at 5400 s, n3 (from 1800 s) 0 then
	// 1000 from 3660 s. Allocatable of the nodes that exist: 8000, 12000 from 1800 s, 8000
	// from 5400 s.
	usedInt := 600*60 + 1100*1740 + 1100*1800 + 2700*60 + 3700*1740 + 3500*1800.0
	allocInt := 8000*1800 + 12000*3600 + 8000*1800.0
	if want := round6(usedInt / allocInt); n.CPUUsedFractionMean != want {
		t.Errorf("mean used fraction = %v, want %v", n.CPUUsedFractionMean, want)
	}
	if n.CPUUsedMilliMax != 3700 || n.CPUUsedFractionMax != round6(3500.0/8000) {
		t.Errorf("used max = %d milli, fraction max %v; want 3700 and %v", n.CPUUsedMilliMax, n.CPUUsedFractionMax, 3500.0/8000)
	}
	// One "unschedulable" entry in the log: the first failure of web-abc.
	if s.Pods.EverUnschedulable != 1 {
		t.Errorf("ever unschedulable = %d, want 1", s.Pods.EverUnschedulable)
	}
	wantTotals := HPATotalsV1{ScaleEvents: 2, DemandCoreSeconds: 12060 + 720, UnservedCoreSeconds: 15, UnservedFraction: round6(15.0 / 12780)}
	if s.HPATotals != wantTotals {
		t.Errorf("HPA totals = %+v, want %+v", s.HPATotals, wantTotals)
	}
}

func TestPendingQuantiles(t *testing.T) {
	oneTo100 := make([]float64, 100)
	for i := range oneTo100 {
		oneTo100[i] = float64(100 - i) // descending: Summary must sort a copy
	}
	tests := []struct {
		name string
		in   []float64
		want PendingV1
	}{
		{"empty", nil, PendingV1{}},
		{"one", []float64{3.5}, PendingV1{P50: 3.5, P95: 3.5, P99: 3.5, Max: 3.5, Mean: 3.5}},
		// Empirical: the smallest x with CDF(x) >= p, no interpolation.
		{"1..100", oneTo100, PendingV1{P50: 50, P95: 95, P99: 99, Max: 100, Mean: 50.5}},
		{"two", []float64{10, 0}, PendingV1{P50: 0, P95: 10, P99: 10, Max: 10, Mean: 5}},
		{"fixture", testResult().PendingSeconds, PendingV1{P50: 0.75, P95: 120, P99: 120, Max: 120, Mean: 15.96}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got := pendingQuantiles(in)
			if got != tt.want {
				t.Errorf("pendingQuantiles = %+v, want %+v", got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("input was modified: %v", in)
			}
		})
	}
}

func TestSummaryDeterministic(t *testing.T) {
	render := func(r *sim.Result) []byte {
		var buf bytes.Buffer
		if err := WriteSummary(&buf, Summary(r, "v")); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a := render(testResult())
	b := render(testResult())
	if !bytes.Equal(a, b) {
		t.Fatal("two summaries of the same result differ")
	}
	// The engine's order of HPAs and nodes does not show in the output.
	r := testResult()
	slices.Reverse(r.HPAs)
	slices.Reverse(r.Nodes)
	if c := render(r); !bytes.Equal(a, c) {
		t.Errorf("summary depends on the order of HPAs or nodes: %s", firstDiff(string(a), string(c)))
	}
}

// TestSummaryFieldOrder pins the top-level field order that readers of the file rely on.
func TestSummaryFieldOrder(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, Summary(&sim.Result{}, "")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^  "(\w+)":`).FindAllStringSubmatch(buf.String(), -1) {
		keys = append(keys, m[1])
	}
	want := []string{"schema", "scenario", "seed", "ksim_version", "duration_s", "events", "pods", "pending_s", "nodes", "hpas", "hpa_totals"}
	if !slices.Equal(keys, want) {
		t.Errorf("top-level keys = %v, want %v", keys, want)
	}
}

func TestSummaryEmptyResult(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, Summary(&sim.Result{}, "v")); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if hpas, ok := m["hpas"].([]any); !ok || len(hpas) != 0 {
		t.Errorf(`"hpas" = %#v, want []`, m["hpas"])
	}
}

func TestWriteSummaryRejectsNaN(t *testing.T) {
	r := testResult()
	r.PendingSeconds = append(r.PendingSeconds, math.Inf(1))
	var buf bytes.Buffer
	if err := WriteSummary(&buf, Summary(r, "v")); err == nil || !strings.Contains(err.Error(), "reports: write summary") {
		t.Errorf("WriteSummary with +Inf = %v, want an error", err)
	}
}

func TestRound6(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{0.1 + 0.2, 0.3},
		{1.0000004, 1},
		{1.0000006, 1.000001},
		{-1e-9, 0},
		{123456.7890123, 123456.789012},
		{1e18, 1e18},
	}
	for _, tt := range tests {
		if got := round6(tt.in); got != tt.want || math.Signbit(got) != math.Signbit(tt.want) {
			t.Errorf("round6(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !math.IsNaN(round6(math.NaN())) {
		t.Error("round6(NaN) is not NaN")
	}
}

func TestIntegrate(t *testing.T) {
	s := series(-10, 1, 0, 2, 10, 0, 20, 4)
	tests := []struct {
		end  time.Duration
		want float64
	}{
		{0, 0},
		{5 * time.Second, 10},
		{20 * time.Second, 20},
		{25 * time.Second, 40}, // the last value holds to the end
	}
	for _, tt := range tests {
		if got := integrate(s, tt.end); got != tt.want {
			t.Errorf("integrate(.., %v) = %v, want %v", tt.end, got, tt.want)
		}
	}
	if got := integrate(sim.Series{}, time.Hour); got != 0 {
		t.Errorf("integrate(empty) = %v", got)
	}
}

func TestSumSeries(t *testing.T) {
	got := sumSeries([]sim.Series{
		series(0, 1, 10, 2),
		series(5, 3, 10, 1, 20, 0),
		{},
	})
	want := series(0, 1, 5, 4, 10, 3, 20, 2)
	if !slices.Equal(got.Points, want.Points) {
		t.Errorf("sumSeries = %v, want %v", got.Points, want.Points)
	}
}

func TestReadSummary(t *testing.T) {
	var buf bytes.Buffer
	want := Summary(testResult(), "v1")
	if err := WriteSummary(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSummary(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteSummary(&again, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("summary does not survive a round trip: %s", firstDiff(buf.String(), again.String()))
	}
	// A v1 file from a later ksim may carry fields this one does not know.
	extra := strings.Replace(buf.String(), `"seed": 42,`, `"seed": 42, "new_field": {"x": [1, 2]},`, 1)
	if _, err := ReadSummary(strings.NewReader(extra)); err != nil {
		t.Errorf("a v1 summary with an unknown field: %v", err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "unexpected end of JSON input"},
		{"not an object", "[1, 2]", "cannot unmarshal array"},
		{"no schema", `{"scenario": "x"}`, `no "schema" field`},
		{"other schema", `{"schema": "ksim.summary/v2"}`, `schema is "ksim.summary/v2", want "ksim.summary/v1"`},
		{"syntax error with position", "{\n  \"schema\": \"ksim.summary/v1\",\n  \"seed\": 1,,\n}", "3:13: invalid character ','"},
		{"wrong type with position", "{\"schema\": \"ksim.summary/v1\",\n\"seed\": \"one\"}", "2:13: json: cannot unmarshal string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSummary(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadSummary = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
