package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func render(t *testing.T, r *sim.Result, o HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// pageData extracts and decodes window.KSIM_DATA from a page.
func pageData(t *testing.T, page string) map[string]json.RawMessage {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script>window\.KSIM_DATA = (.*?);</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page has no window.KSIM_DATA")
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("KSIM_DATA is not JSON: %v", err)
	}
	return d
}

func TestHTMLGolden(t *testing.T) {
	got := render(t, testResult(), HTMLOptions{Version: "v0.0.0-test", EChartsJS: []byte(fakeECharts)})
	checkGolden(t, "report.golden.html", []byte(got))
}

func TestHTMLDeterministic(t *testing.T) {
	o := HTMLOptions{Version: "v", EChartsJS: []byte(fakeECharts), MaxPoints: 40}
	for _, mk := range []func() *sim.Result{testResult, func() *sim.Result { return longResult(5000) }} {
		a := render(t, mk(), o)
		b := render(t, mk(), o)
		if a != b {
			t.Fatalf("two renders of the same result differ: %s", firstDiff(a, b))
		}
	}
}

// TestHTMLChartsMatchSpecs checks the page's structure: every chart element has a spec in the
// data and every spec an element, with unique ids.
func TestHTMLChartsMatchSpecs(t *testing.T) {
	page := render(t, testResult(), HTMLOptions{EChartsJS: []byte(fakeECharts)})
	var divs []string
	for _, m := range regexp.MustCompile(`<div id="([^"]+)" class="chart"`).FindAllStringSubmatch(page, -1) {
		divs = append(divs, m[1])
	}
	var specs []chartSpec
	if err := json.Unmarshal(pageData(t, page)["charts"], &specs); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.ID)
		if len(s.Option) == 0 {
			t.Errorf("chart %s has no option", s.ID)
		}
	}
	if !slices.Equal(divs, ids) {
		t.Errorf("chart elements %v, specs %v: want the same, in order", divs, ids)
	}
	want := []string{"hpa-0-replicas", "hpa-0-util", "hpa-0-load", "hpa-1-replicas", "hpa-1-util", "hpa-1-load",
		"pending", "unschedulable", "pending-hist", "zones", "pools", "heat-requested", "heat-used", "events-chart"}
	if !slices.Equal(ids, want) {
		t.Errorf("charts = %v, want %v", ids, want)
	}
}

func TestHTMLContent(t *testing.T) {
	page := render(t, testResult(), HTMLOptions{Version: "v9", EChartsJS: []byte(fakeECharts)})
	for _, want := range []string{
		"<script>" + fakeECharts + "</script>", // inlined, as is
		"HPA shop/api → Deployment/api",        // sorted: api first
		"HPA shop/web → Deployment/web",
		`"step":"end"`,
		"time (min)",
		// Overview: figures, the run, the changed setting only.
		`<div class="label">unschedulable</div><div class="value">1</div>`,
		`<div class="label">scale events</div><div class="value">2</div>`,
		"<tr><td><code>spec.controllers.hpaSyncPeriod</code></td><td>15s</td><td>30s</td></tr>",
		"All 3 settings",
		// Held-back scaling: a legend with the reason's colour and total time.
		`<span class="swatch" style="background-color: rgba(84,112,198,0.16)"></span>ScaleDownStabilized (30m in all)`,
		`"markArea"`,
		"This HPA targets an average of 250m CPU per pod, not a utilization.",
		// Unschedulable reasons, stacked by hand.
		`"name":"Insufficient cpu"`,
		// Heatmaps: cells of 1 minute for a 2 h run; the removed node has no cells after it.
		"Each cell is 1m: the time-weighted mean over the cell.",
		"▸ zone a · pool general (2)",
		// The events section and the pod picker.
		`id="events-search"`, `value="unschedulable" checked`, `id="explain-pick"`,
		"2 of the 2 attempts the run explained are here",
		// Text from the run is escaped: in HTML as entities, in the data by encoding/json.
		`\u003cscript\u003ealert(\"x\")\u003c/script\u003e`,
		"maintenance=true:NoExecute \\u0026 drained",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "cdn.jsdelivr", "ZgotmplZ", "Downsampled"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// Exactly three script elements: the data, the inlined library and the page's script.
	if n := strings.Count(page, "<script"); n != 3 {
		t.Errorf("page has %d <script elements, want 3", n)
	}
}

// TestHTMLHeatmapCells checks the heatmap values against hand computation.
func TestHTMLHeatmapCells(t *testing.T) {
	page := render(t, testResult(), HTMLOptions{EChartsJS: []byte(fakeECharts), MaxHeatColumns: 4})
	var specs []chartSpec
	if err := json.Unmarshal(pageData(t, page)["charts"], &specs); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(specs, func(s chartSpec) bool { return s.ID == "heat-requested" })
	if i < 0 || specs[i].Heat == nil {
		t.Fatal("no requested heatmap")
	}
	// 4 columns → 30 min cells. Rows: header a/general, n1, n2, header b/batch, n3.
	// n1: 1000 then 3000 from 1800 s over 4000; n2: 500 until removed at 5400 s;
	// n3: added at 1800 s, 2000 from 3600 s.
	want := [][]int{
		{-1, -1, -1, -1},
		{25, 75, 75, 75},
		{13, 13, 13, -1}, // 12.5 % rounds half away from zero
		{-1, -1, -1, -1},
		{-1, 0, 50, 50},
	}
	if got := specs[i].Heat.Rows; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requested heatmap = %v, want %v", got, want)
	}
	// The node events are marked on their rows: n3 added and tainted, n2 removed.
	if got := fmt.Sprint(specs[i].Heat.Events); !strings.Contains(got, "[1 4 30m node/n3: added]") ||
		!strings.Contains(got, "[2 4 1h node/n3: tainted") || !strings.Contains(got, "[3 2 1h30m node/n2: removed]") {
		t.Errorf("heatmap events = %v", got)
	}
}

func TestHTMLNoECharts(t *testing.T) {
	var buf bytes.Buffer
	err := WriteHTML(&buf, testResult(), HTMLOptions{})
	if !errors.Is(err, ErrNoECharts) {
		t.Fatalf("WriteHTML without a script = %v, want ErrNoECharts", err)
	}
	for _, want := range []string{"npm pack echarts", "KSIM_ECHARTS_JS=path/to/echarts.min.js", "--cdn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("WriteHTML wrote %d bytes before failing", buf.Len())
	}
}

func TestHTMLCDN(t *testing.T) {
	page := render(t, testResult(), HTMLOptions{AllowCDN: true})
	if !strings.Contains(page, `<script src="`+EChartsCDN+`"></script>`) {
		t.Error("page does not load ECharts from the CDN")
	}
	// An inlined script wins over the CDN.
	page = render(t, testResult(), HTMLOptions{AllowCDN: true, EChartsJS: []byte(fakeECharts)})
	if strings.Contains(page, `src="`+EChartsCDN) {
		t.Error("page loads the CDN script although one is inlined")
	}
}

func TestHTMLBadOptions(t *testing.T) {
	for _, o := range []HTMLOptions{
		{MaxPoints: -1}, {PointBudget: -1}, {MaxLogLines: -1}, {MaxExplainBytes: -1}, {MaxHeatRows: -1}, {MaxHeatColumns: -1},
	} {
		o.EChartsJS = []byte("x")
		err := WriteHTML(&bytes.Buffer{}, testResult(), o)
		if err == nil || !strings.Contains(err.Error(), "must not be negative") {
			t.Errorf("WriteHTML with %+v = %v, want an error naming the bound", o, err)
		}
	}
}

func TestHTMLLogCut(t *testing.T) {
	r := testResult()
	r.Log = nil
	for i := range 25 {
		r.Log = append(r.Log, sim.LogEntry{T: time.Duration(i) * time.Second, Kind: "node", Object: fmt.Sprintf("node/n%d", i)})
	}
	page := render(t, r, HTMLOptions{EChartsJS: []byte(fakeECharts), MaxLogLines: 10})
	if !strings.Contains(page, "25 timeline entries") || !strings.Contains(page, "The page holds the first 10; events.jsonl has them all") {
		t.Error("page does not say how many timeline entries it holds")
	}
	var tl timelineData
	if err := json.Unmarshal(pageData(t, page)["events"], &tl); err != nil {
		t.Fatal(err)
	}
	if tl.Total != 25 || len(tl.Rows) != 10 || tl.Rows[9][2] != "node/n9" {
		t.Errorf("timeline: total %d, %d rows, last %v; want 25, the first 10", tl.Total, len(tl.Rows), tl.Rows[len(tl.Rows)-1])
	}
}

func TestHTMLExplainCut(t *testing.T) {
	page := render(t, testResult(), HTMLOptions{EChartsJS: []byte(fakeECharts), MaxExplainBytes: 100})
	if !strings.Contains(page, "1 of the 2 attempts the run explained are here (1 left out to keep the page small)") {
		t.Error("page does not say that explanations were left out")
	}
}

func TestHTMLDownsampleNote(t *testing.T) {
	page := render(t, longResult(5000), HTMLOptions{EChartsJS: []byte(fakeECharts), MaxPoints: 400})
	want := `&#34;pending pods&#34; has 5000 points; the chart shows `
	if !strings.Contains(page, want) {
		t.Errorf("page lacks the downsampling note %q", want)
	}
}

// TestHTMLPointBudget checks that many series share the page's point budget.
func TestHTMLPointBudget(t *testing.T) {
	r := longResult(5000)
	for i := range 30 {
		h := sim.HPAResult{Namespace: "ns", Name: fmt.Sprintf("h%02d", i), Replicas: r.Pending}
		r.HPAs = append(r.HPAs, h)
	}
	page := render(t, r, HTMLOptions{EChartsJS: []byte(fakeECharts), PointBudget: 100_000})
	// 6 × 30 + 1 + 2 long series: 100000/183 = 546 points each, so 136 buckets.
	if !strings.Contains(page, "Each line series is drawn with at most 546 points (2000 by default, fewer when the page has many series: 100000 points in all).") {
		t.Error("page does not state the per-series bound it used")
	}
	if !strings.Contains(page, "&#34;replicas&#34; has 5000 points; the chart shows ") {
		t.Error("HPA series were not downsampled to the budget")
	}
}

func TestHTMLHeatRowsMerged(t *testing.T) {
	r := testResult()
	for i := range 40 {
		r.Nodes = append(r.Nodes, sim.NodeResult{Name: fmt.Sprintf("m%02d", i), Zone: "c", AllocatableCPU: 1000,
			RequestedCPU: series(0, float64(i*10))})
	}
	page := render(t, r, HTMLOptions{EChartsJS: []byte(fakeECharts), MaxHeatRows: 20})
	if !strings.Contains(page, "43 nodes in 19 rows: each row merges up to 3 consecutive nodes of one zone and pool") {
		t.Errorf("page does not say how heatmap rows were merged")
	}
}

// longResult has a pending series with n changes over a day.
func longResult(n int) *sim.Result {
	r := &sim.Result{Scenario: "long", Duration: 24 * time.Hour}
	for i := range n {
		r.Pending.Add(time.Duration(i)*(24*time.Hour/time.Duration(n)), float64((i*7919)%101))
	}
	return r
}

func TestHTMLEmptyResult(t *testing.T) {
	page := render(t, &sim.Result{Scenario: "empty"}, HTMLOptions{EChartsJS: []byte(fakeECharts)})
	for _, want := range []string{"No HorizontalPodAutoscaler in this run.", "The run had no nodes.", "The timeline is empty.",
		"The run explained no placement"} {
		if !strings.Contains(page, want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}

func TestLoadECharts(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "echarts.min.js")
	if err := os.WriteFile(good, []byte(fakeECharts), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.js")
	if err := os.WriteFile(empty, []byte(" \n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Setenv(EChartsEnv, "")
	if _, err := LoadECharts(""); !errors.Is(err, ErrNoECharts) {
		t.Errorf("LoadECharts with nothing set = %v, want ErrNoECharts", err)
	}
	if b, err := LoadECharts(good); err != nil || string(b) != fakeECharts {
		t.Errorf("LoadECharts(path) = %q, %v", b, err)
	}
	if _, err := LoadECharts(filepath.Join(dir, "missing.js")); err == nil || !strings.Contains(err.Error(), "missing.js") {
		t.Errorf("LoadECharts(missing) = %v, want an error naming the file", err)
	}
	if _, err := LoadECharts(empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("LoadECharts(empty file) = %v, want an error", err)
	}

	t.Setenv(EChartsEnv, good)
	if b, err := LoadECharts(""); err != nil || string(b) != fakeECharts {
		t.Errorf("LoadECharts from $%s = %q, %v", EChartsEnv, b, err)
	}
	t.Setenv(EChartsEnv, filepath.Join(dir, "nope.js"))
	if _, err := LoadECharts(""); err == nil || !strings.Contains(err.Error(), "$"+EChartsEnv) {
		t.Errorf("LoadECharts from a bad $%s = %v, want an error naming the variable", EChartsEnv, err)
	}
}

func TestScriptSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{`var a = 1;`, `var a = 1;`},
		{`s = "</script>";`, `s = "<\/script>";`},
		{`s = "</SCRIPT >" + "<!-- x";`, `s = "<\/SCRIPT >" + "<\x21-- x";`},
	}
	for _, tt := range tests {
		if got := string(ScriptSafe([]byte(tt.in))); got != tt.want {
			t.Errorf("ScriptSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// End to end: a hostile script cannot close the element early.
	page := render(t, testResult(), HTMLOptions{EChartsJS: []byte(`x="</script><script>alert(1)//"`)})
	if regexp.MustCompile(`(?i)</script><script>alert`).MatchString(page) {
		t.Error("inlined script closes its element")
	}
}
