package sweep

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"ksim.dev/ksim/reports"
)

// figs are the figures a fake shard's summary gives.
type figs struct {
	nodes, unschedulable, replicas int
	p99                            float64
}

// fakeShards makes the shards of a sweep over axes without running anything: variant i gets
// the figures f(values of i).
func fakeShards(axes []AxisInfo, spec Spec, f func(values []string) (figs, string)) []*Shard {
	n := 1
	for _, a := range axes {
		n *= len(a.Values)
	}
	var out []*Shard
	for i := range n {
		c := coords(axisSizes(axes), i)
		vals := make([]string, len(axes))
		for a := range axes {
			vals[a] = axes[a].Values[c[a]]
		}
		fg, errMsg := f(vals)
		sh := &Shard{Schema: ShardSchema, SweepID: "fake", Scenario: "s", KsimVersion: "v", Variants: n, Axes: axes, Spec: spec, Index: i, Values: vals, Settings: []Setting{}}
		if errMsg != "" {
			sh.Error, sh.ErrorKind = errMsg, ErrorRun
		} else {
			sh.Summary = &reports.SummaryV1{
				Schema: reports.SummarySchemaV1, Scenario: "s", Seed: 1,
				Pods:     reports.PodsV1{UnschedulableAtEnd: fg.unschedulable},
				PendingS: reports.PendingV1{P99: fg.p99},
				Nodes:    reports.NodesV1{Count: fg.nodes, CPUAllocatableMilli: int64(fg.nodes) * 2000},
				HPAs:     []reports.HPASummaryV1{{Name: "web", Replicas: reports.ReplicasV1{Max: int32(fg.replicas)}}},
			}
		}
		out = append(out, sh)
	}
	return out
}

var (
	targetAxis  = AxisInfo{Paths: []string{"hpa/web:spec.metrics[0].resource.target.averageUtilization"}, Values: []string{"50", "70"}}
	countAxis   = AxisInfo{Paths: []string{"spec.nodePools[0].count"}, Values: []string{"1", "2", "3"}}
	trafficAxis = AxisInfo{Paths: []string{"spec.load[0].trace.peakCores"}, Values: []string{"x1.0", "x1.5"}}
)

func budgets(t *testing.T, bs ...string) []Budget {
	t.Helper()
	var out []Budget
	for _, s := range bs {
		b, err := ParseBudget(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// capacity is a plausible grid: one node is too few, two nodes are enough only with the higher
// target, three always; more traffic needs one more node. Lower targets run more replicas.
func capacity(vals []string) (figs, string) {
	target, count := vals[0], int(vals[1][0]-'0')
	need := 2
	if target == "50" {
		need = 3
	}
	if len(vals) > 2 && vals[2] == "x1.5" {
		need++
	}
	f := figs{nodes: count, replicas: 4 * (need - 1)}
	if count < need {
		f.unschedulable = need - count
		f.p99 = 120
	} else {
		f.p99 = 5
	}
	return f, ""
}

func merge(t *testing.T, shards []*Shard, spec *Spec) *Table {
	t.Helper()
	tb, err := Merge(shards, spec)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func picks(tb *Table) []int {
	var out []int
	for _, p := range tb.Best {
		out = append(out, p.Index)
	}
	return out
}

func TestBestUnderBudgets(t *testing.T) {
	axes := []AxisInfo{targetAxis, countAxis}
	spec := Spec{Budgets: budgets(t, "unschedulable<=0", "pending_p99_s<=30")}
	tb := merge(t, fakeShards(axes, spec, capacity), nil)
	var within []bool
	for _, r := range tb.Rows {
		within = append(within, r.WithinBudget)
	}
	// Variants: 50×1, 50×2, 50×3, 70×1, 70×2, 70×3.
	if want := []bool{false, false, true, false, true, true}; !slices.Equal(within, want) {
		t.Errorf("within budget %v, want %v", within, want)
	}
	// Fewest nodes within budget: 70×2 (variant 4).
	if got := picks(tb); !slices.Equal(got, []int{4}) || !tb.Rows[4].Best {
		t.Errorf("best %v, want [4]", got)
	}
	var out bytes.Buffer
	tb.WriteBest(&out)
	want := "best: variant 4 (hpa/web:spec.metrics[0].resource.target.averageUtilization=70, spec.nodePools[0].count=2): nodes 2, cpu_allocatable_cores 4, replicas_max 4, unschedulable 0, pending_p99_s 5\n"
	if out.String() != want {
		t.Errorf("WriteBest:\n%s\nwant\n%s", out.String(), want)
	}
}

func TestBestMinimizeOrderAndTies(t *testing.T) {
	axes := []AxisInfo{targetAxis, countAxis}
	spec := Spec{Budgets: budgets(t, "unschedulable<=0")}
	// Minimise replicas first: the 70% target runs fewer pods (4 against 8), and its smallest
	// node count within budget breaks the tie.
	s := spec
	s.Minimize = []string{"replicas_max", "nodes"}
	if got := picks(merge(t, fakeShards(axes, s, capacity), nil)); !slices.Equal(got, []int{4}) {
		t.Errorf("minimize replicas_max,nodes: best %v, want [4]", got)
	}
	// Minimise what every variant has alike: the lowest index within budget wins.
	s.Minimize = []string{"evicted"}
	if got := picks(merge(t, fakeShards(axes, s, capacity), nil)); !slices.Equal(got, []int{2}) {
		t.Errorf("minimize evicted: best %v, want [2] (the first within budget)", got)
	}
	// Lower and upper bounds of each kind.
	for _, tc := range []struct {
		budget string
		want   []int
	}{
		{"nodes>=3", []int{5}}, // 50×3 and 70×3: fewer replicas with 70
		{"nodes>2", []int{5}},
		{"nodes<2", []int{-1}},
		{"replicas_max<8", []int{4}},
	} {
		s := Spec{Budgets: budgets(t, "unschedulable<=0", tc.budget)}
		if got := picks(merge(t, fakeShards(axes, s, capacity), nil)); !slices.Equal(got, tc.want) {
			t.Errorf("budget %s: best %v, want %v", tc.budget, got, tc.want)
		}
	}
}

func TestBestPerGroup(t *testing.T) {
	axes := []AxisInfo{targetAxis, countAxis, trafficAxis}
	spec := Spec{Budgets: budgets(t, "unschedulable<=0"), BestPer: []string{"spec.load[0].trace.peakCores"}}
	tb := merge(t, fakeShards(axes, spec, capacity), nil)
	// x1.0: 70×2 (variant 8); x1.5: 50 needs 4 nodes (none), 70 needs 3: 70×3×x1.5 (variant 11).
	if got := picks(tb); !slices.Equal(got, []int{8, 11}) {
		t.Fatalf("best per traffic %v, want [8 11]", got)
	}
	if g := tb.Best[1].Group; !slices.Equal(g, []string{"x1.5"}) {
		t.Errorf("group %v", g)
	}
	var out bytes.Buffer
	tb.WriteBest(&out)
	if !strings.HasPrefix(out.String(), "best for spec.load[0].trace.peakCores=x1.0: variant 8 (") {
		t.Errorf("WriteBest:\n%s", out.String())
	}
}

func TestNoVariantWithinBudget(t *testing.T) {
	axes := []AxisInfo{countAxis}
	spec := Spec{Budgets: budgets(t, "nodes>=10")}
	tb := merge(t, fakeShards(axes, spec, func([]string) (figs, string) { return figs{nodes: 1}, "" }), nil)
	if got := picks(tb); !slices.Equal(got, []int{-1}) {
		t.Fatalf("best %v", got)
	}
	var out, js bytes.Buffer
	tb.WriteBest(&out)
	if out.String() != "best: no variant meets the budgets (nodes>=10)\n" {
		t.Errorf("WriteBest: %q", out.String())
	}
	if err := tb.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"best": [
    {
      "group": [],
      "index": null
    }
  ]`) {
		t.Errorf("sweep.json best:\n%s", js.String()[:min(js.Len(), 2000)])
	}
}

// TestFailedVariants: a failed run is in the table, never within budget, never best.
func TestFailedVariants(t *testing.T) {
	axes := []AxisInfo{countAxis}
	tb := merge(t, fakeShards(axes, Spec{}, func(v []string) (figs, string) {
		if v[0] == "1" {
			return figs{}, "variant 0 (spec.nodePools[0].count=1): run stopped: maxEvents"
		}
		return figs{nodes: int(v[0][0] - '0')}, ""
	}), nil)
	if r := tb.Rows[0]; r.WithinBudget || r.Best || r.Figures != nil || r.ErrorKind != ErrorRun {
		t.Errorf("failed row %+v", r)
	}
	if got := picks(tb); !slices.Equal(got, []int{1}) {
		t.Errorf("best %v, want [1]", got)
	}
	if in, run := tb.Failed(); in != 0 || run != 1 {
		t.Errorf("Failed() = %d, %d", in, run)
	}
	var csv bytes.Buffer
	if err := tb.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	line := strings.Split(csv.String(), "\n")[1]
	if !strings.HasPrefix(line, "0,1,,,,") || !strings.HasSuffix(line, ",false,false,variant 0 (spec.nodePools[0].count=1): run stopped: maxEvents") {
		t.Errorf("CSV row of the failed variant: %s", line)
	}
}

func TestMergeErrors(t *testing.T) {
	axes := []AxisInfo{targetAxis, countAxis}
	base := func() []*Shard { return fakeShards(axes, Spec{}, capacity) }
	cases := []struct {
		name string
		edit func([]*Shard) []*Shard
		want string
	}{
		{"none", func([]*Shard) []*Shard { return nil }, "no shards to merge"},
		{"missing", func(s []*Shard) []*Shard { return append(s[:1], s[3:]...) }, "missing shards of 2 of 6 variants: 1, 2"},
		{"two sweeps", func(s []*Shard) []*Shard { s[2].SweepID = "other"; return s }, "shards of two sweeps: fake and other"},
		{"other axes", func(s []*Shard) []*Shard {
			s[3].Axes = []AxisInfo{targetAxis, {Paths: countAxis.Paths, Values: []string{"1", "2", "4"}}}
			return s
		}, "shard of variant 3 disagrees with shard of variant 0 on the sweep"},
		{"other spec", func(s []*Shard) []*Shard { s[1].Spec.X = "spec.nodePools[0].count"; return s }, "shard of variant 1 has another spec"},
		{"index out of range", func(s []*Shard) []*Shard { s[5].Index = 6; return s }, "shard of variant 6: the sweep has variants 0 to 5"},
		{"numbering", func(s []*Shard) []*Shard { s[1].Values = []string{"50", "3"}; return s }, "shard of variant 1 has spec.nodePools[0].count=3, but variant 1 has 2 there"},
		{"different duplicate", func(s []*Shard) []*Shard {
			d := *s[2]
			d.Error, d.ErrorKind, d.Summary = "boom", ErrorRun, nil
			return append(s, &d)
		}, "two different shards of variant 2"},
		{"no summary", func(s []*Shard) []*Shard { s[4].Summary = nil; return s }, "shard of variant 4 has neither a summary nor an error"},
		{"bad variants", func(s []*Shard) []*Shard {
			for _, sh := range s {
				sh.Variants = 7
			}
			return s
		}, "shard 0: 7 variants, but its 2 axes make 6"},
	}
	for _, tc := range cases {
		_, err := Merge(tc.edit(base()), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	// A retried pod's identical shard is fine, and shards may come in any order.
	s := base()
	s = append(s, s[3])
	slices.Reverse(s)
	tb := merge(t, s, nil)
	if len(tb.Rows) != 6 || tb.Rows[3].Index != 3 {
		t.Errorf("rows %d", len(tb.Rows))
	}
	// A spec given to Merge replaces the shards', and is checked against the axes.
	if _, err := Merge(base(), &Spec{BestPer: []string{"spec.duration"}}); err == nil || !strings.Contains(err.Error(), "--best-per spec.duration: no such axis; the axes are: hpa/web:spec.metrics[0].resource.target.averageUtilization, spec.nodePools[0].count") {
		t.Errorf("bad spec: %v", err)
	}
}

func TestParseBudget(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"unschedulable<=0", "unschedulable<=0"},
		{" pending_p99_s <= 30.5 ", "pending_p99_s<=30.5"},
		{"nodes>=3", "nodes>=3"},
		{"nodes>2", "nodes>2"},
		{"replicas_max<1e2", "replicas_max<100"},
	} {
		b, err := ParseBudget(tc.in)
		if err != nil || b.String() != tc.want {
			t.Errorf("ParseBudget(%q) = %v, %v; want %s", tc.in, b, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"unschedulable=0", "want FIGURE<=VALUE"},
		{"unschedulabel<=0", `unknown figure "unschedulabel"; did you mean "unschedulable"?`},
		{"nodes<=many", `"many" is not a number`},
		{"nodes<=NaN", `"NaN" is not a number`},
	} {
		if _, err := ParseBudget(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBudget(%q): %v, want %q", tc.in, err, tc.want)
		}
	}
	// Budgets read back from sweep.json.
	var s Spec
	if err := json.Unmarshal([]byte(`{"budgets": ["nodes<=3"], "minimize": ["nodes"], "best_per": [], "x": "a"}`), &s); err != nil || s.Budgets[0] != (Budget{"nodes", "<=", 3}) {
		t.Errorf("unmarshal spec: %+v, %v", s, err)
	}
}
