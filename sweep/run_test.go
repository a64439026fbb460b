package sweep

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenAxes is the grid of the golden files and the determinism test: HPA target × pool size
// × traffic, as a capacity planner writes it.
var goldenAxes = []string{hpaTarget + "=50,80", poolCount + "=1,2,3", peakCores + "=x1.0,x1.5"}

func goldenSpec(t *testing.T, p *Plan) Spec {
	t.Helper()
	s := Spec{Budgets: budgets(t, "unschedulable<=0", "pending_p99_s<=30"), BestPer: []string{peakCores}}
	var infos []AxisInfo
	for _, a := range p.Axes() {
		infos = append(infos, a.Info())
	}
	if err := s.Check(infos); err != nil {
		t.Fatal(err)
	}
	return s
}

var fakeJS = HTMLOptions{EChartsJS: []byte("/* echarts stand-in */")}

// render returns the three files of a table.
func render(t *testing.T, tb *Table) map[string][]byte {
	t.Helper()
	var c, j, h bytes.Buffer
	if err := tb.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteHTML(&h, fakeJS); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"sweep.csv": c.Bytes(), "sweep.json": j.Bytes(), "sweep.html": h.Bytes()}
}

// TestDeterministicAcrossJobs runs the same grid on one worker and on four: every shard and
// every output file must be the same bytes, whatever the order in which the runs finished.
func TestDeterministicAcrossJobs(t *testing.T) {
	p := tinyPlan(t, goldenAxes...)
	opts := RunOptions{Version: "test", Spec: goldenSpec(t, p)}
	var outs []map[string][]byte
	var shardText []string
	for _, jobs := range []int{1, 4, 3} {
		opts.Jobs = jobs
		calls := 0
		opts.Progress = func(done, total int) {
			calls++
			if done != calls || total != p.Len() {
				t.Errorf("jobs %d: progress(%d, %d) at call %d", jobs, done, total, calls)
			}
		}
		shards := p.Run(opts)
		if calls != p.Len() {
			t.Errorf("jobs %d: %d progress calls, want %d", jobs, calls, p.Len())
		}
		var b bytes.Buffer
		for _, sh := range shards {
			if sh.Error != "" {
				t.Fatalf("variant %d: %s", sh.Index, sh.Error)
			}
			if err := WriteShard(&b, sh); err != nil {
				t.Fatal(err)
			}
		}
		shardText = append(shardText, b.String())
		outs = append(outs, render(t, merge(t, shards, nil)))
	}
	for k := 1; k < len(outs); k++ {
		if shardText[k] != shardText[0] {
			t.Errorf("shards differ between jobs=1 and run %d", k)
		}
		for name, b := range outs[0] {
			if !bytes.Equal(b, outs[k][name]) {
				t.Errorf("%s differs between jobs=1 and run %d", name, k)
			}
		}
	}
	// One variant alone gives the shard it gets in the pool.
	var one bytes.Buffer
	if err := WriteShard(&one, p.RunVariant(7, opts)); err != nil {
		t.Fatal(err)
	}
	if lines := strings.SplitAfter(shardText[0], "\n"); lines[7] != one.String() {
		t.Errorf("RunVariant(7) differs from the pool's shard 7")
	}
}

// TestGolden compares the table of the tiny sweep with testdata/golden. Regenerate with
// `go test ./sweep -run TestGolden -update` and review the diff.
func TestGolden(t *testing.T) {
	p := tinyPlan(t, goldenAxes...)
	tb := merge(t, p.Run(RunOptions{Version: "test", Spec: goldenSpec(t, p), Jobs: 2}), nil)
	// The grid must make the budgets matter, or the golden file shows nothing.
	within, best := 0, 0
	for _, r := range tb.Rows {
		if r.WithinBudget {
			within++
		}
		if r.Best {
			best++
		}
	}
	if within == 0 || within == len(tb.Rows) || best != 2 {
		t.Errorf("%d of %d variants within budget, %d best; want some but not all, and one best per traffic level", within, len(tb.Rows), best)
	}
	for name, got := range render(t, tb) {
		path := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (create it with: go test ./sweep -run TestGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; if the change is intended, regenerate with: go test ./sweep -run TestGolden -update\n%s", name, path, firstDiff(string(want), string(got)))
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n-" + trim(x) + "\n+" + trim(y)
		}
	}
	return ""
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
