package reports

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func TestFmtSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0s"}, {1.5, "1.5s"}, {45, "45s"}, {60, "1m"}, {750, "12m30s"}, {3600, "1h"}, {6000, "1h40m"},
		{11100, "3h5m"}, {86400, "1d"}, {187200, "2d4h"}, {187230, "2d4h"}, {90061, "1d1h1m"}, {-30, "-30s"},
	} {
		if got := fmtSeconds(tc.in); got != tc.want {
			t.Errorf("fmtSeconds(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCoarsenSpans(t *testing.T) {
	var spans []SpanV1
	for i := range 100 {
		reason := "A"
		if i%2 == 1 {
			reason = "B"
		}
		spans = append(spans, SpanV1{FromS: float64(i * 10), ToS: float64(i*10 + 5), Reason: reason})
	}
	if got, gap := coarsenSpans(spans, 100, 1000); len(got) != 100 || gap != 0 {
		t.Errorf("under the limit: %d spans, gap %v; want them unchanged", len(got), gap)
	}
	got, gap := coarsenSpans(spans, 10, 1000)
	if len(got) > 10 || gap == 0 {
		t.Fatalf("coarsened to %d spans with gap %v, want at most 10", len(got), gap)
	}
	// Every original span is covered by a drawn span of its reason, and time order is kept.
	for _, s := range spans {
		if !slices.ContainsFunc(got, func(c SpanV1) bool { return c.Reason == s.Reason && c.FromS <= s.FromS && c.ToS >= s.ToS }) {
			t.Errorf("span %v is not covered", s)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].FromS < got[i-1].FromS {
			t.Errorf("spans out of order: %v", got)
		}
	}
}

func TestAlignSteps(t *testing.T) {
	a, b := steps(series(0, 1, 10, 2)), steps(series(5, 3, 10, 0))
	xs, ys, note := alignSteps([]Steps{a, b}, sec(20), 100)
	if note != "" || fmt.Sprint(xs) != "[0s 5s 10s 20s]" || fmt.Sprint(ys) != "[[1 1 2 2] [0 3 0 0]]" {
		t.Errorf("alignSteps = %v %v %q", xs, ys, note)
	}
	// Bucketed: 5 changes over a bound of 4 points make 2 buckets of 10 s, each with the
	// largest value in it.
	a, b = steps(series(0, 1, 10, 2, 12, 1)), steps(series(5, 3, 10, 0, 15, 1))
	xs, ys, note = alignSteps([]Steps{a, b}, sec(20), 4)
	if !strings.Contains(note, "2 equal time buckets of 10s") || fmt.Sprint(xs) != "[0s 10s 20s]" || fmt.Sprint(ys) != "[[1 2 2] [3 1 1]]" {
		t.Errorf("bucketed alignSteps = %v %v %q", xs, ys, note)
	}
}

func TestHeatLayout(t *testing.T) {
	r := &sim.Result{Duration: 7 * 24 * time.Hour}
	for i := range 10 {
		r.Nodes = append(r.Nodes, sim.NodeResult{Name: fmt.Sprintf("n%d", 9-i), Zone: []string{"b", "a"}[i%2]})
	}
	l := newHeatLayout(r, 100, 200)
	// A week in at most 200 columns: 1h cells (168).
	if l.width != time.Hour || l.cols != 168 || l.perRow != 1 {
		t.Errorf("layout: width %v, %d columns, %d per row", l.width, l.cols, l.perRow)
	}
	want := []string{"▸ zone a · pool – (5)", "n0", "n2", "n4", "n6", "n8", "▸ zone b · pool – (5)", "n1", "n3", "n5", "n7", "n9"}
	if !slices.Equal(l.labels, want) {
		t.Errorf("rows = %v, want %v", l.labels, want)
	}
	if r.Nodes[0].Name != "n9" || l.rowOf[0] != 11 {
		t.Errorf("n9 is on row %d, want 11", l.rowOf[0])
	}
	l = newHeatLayout(r, 6, 200)
	if l.perRow != 3 || len(l.labels) != 6 || l.labels[1] != "n0 … n4" {
		t.Errorf("merged layout: %d per row, rows %v", l.perRow, l.labels)
	}
}

func TestExplainData(t *testing.T) {
	d, err := newExplainData(testResult(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != 2 || len(d.Attempts) != 2 || d.Cut != 0 {
		t.Fatalf("explain: total %d, %d attempts, cut %d", d.Total, len(d.Attempts), d.Cut)
	}
	if !slices.Equal(d.Nodes, []string{"n1", "n2"}) || !slices.Equal(d.Plugins, []string{"TaintToleration", "NodeResourcesFit"}) {
		t.Errorf("tables: nodes %v, plugins %v", d.Nodes, d.Plugins)
	}
	// n1: feasible, chosen, total 310, both filters passed, two scores.
	if got := fmt.Sprint(d.Attempts[0].Rows[0]); got != "[0 1 1 -1 310 [[0 0] [1 0]] [[0 0 100 3 300] [1 10 10 1 10]]]" {
		t.Errorf("row of n1 = %s", got)
	}
	// n2 in the second attempt was not evaluated.
	if got := d.Attempts[1].Rows[1]; got[3] != 2 || d.Texts[2] != "not reached" {
		t.Errorf("row of n2 = %v, texts %v", got, d.Texts)
	}
}
