package reports

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

func TestHTMLGolden(t *testing.T) {
	got := render(t, testResult(), HTMLOptions{Version: "v0.0.0-test", EChartsJS: []byte(fakeECharts)})
	checkGolden(t, "report.golden.html", []byte(got))
}

func TestHTMLDeterministic(t *testing.T) {
	o := HTMLOptions{Version: "v", EChartsJS: []byte(fakeECharts), MaxPoints: 40}
	r := longResult(5000)
	a := render(t, r, o)
	b := render(t, longResult(5000), o)
	if a != b {
		t.Fatalf("two renders of the same result differ: %s", firstDiff(a, b))
	}
}

func TestHTMLContent(t *testing.T) {
	page := render(t, testResult(), HTMLOptions{Version: "v9", EChartsJS: []byte(fakeECharts)})
	for _, want := range []string{
		"<script>" + fakeECharts + "</script>", // inlined, as is
		`<div id="hpa-0" class="chart"></div>`,
		`<div id="hpa-1" class="chart"></div>`,
		`<div id="pending" class="chart"></div>`,
		`<div id="cpu" class="chart"></div>`,
		"HPA shop/api → Deployment/api", // sorted: api first
		`"step":"end"`,
		`"yAxisIndex":1`,
		"time (min)",
		"3 entries.",
		// The log is HTML-escaped; the chart JSON escapes < as \u003c.
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		"maintenance=true:NoExecute &amp; drained",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "cdn.jsdelivr", "Downsampled"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// Exactly two script elements: the inlined library and the chart setup.
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("page has %d <script elements, want 2", n)
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
	err := WriteHTML(&bytes.Buffer{}, testResult(), HTMLOptions{EChartsJS: []byte("x"), MaxPoints: -1})
	if err == nil || !strings.Contains(err.Error(), "MaxPoints") {
		t.Errorf("WriteHTML with MaxPoints -1 = %v, want an error naming MaxPoints", err)
	}
}

func TestHTMLLogCut(t *testing.T) {
	r := testResult()
	r.Log = nil
	for i := range 25 {
		r.Log = append(r.Log, sim.LogEntry{T: time.Duration(i) * time.Second, Kind: "node", Object: fmt.Sprintf("node/n%d", i)})
	}
	page := render(t, r, HTMLOptions{EChartsJS: []byte(fakeECharts), MaxLogLines: 10})
	if !strings.Contains(page, "Showing the first 10 of 25 entries; 15 were cut.") {
		t.Error("page does not say how many log lines were cut")
	}
	if !strings.Contains(page, "node/n9<") || strings.Contains(page, "node/n10<") {
		t.Error("log table does not hold exactly the first 10 entries")
	}
}

func TestHTMLDownsampleNote(t *testing.T) {
	page := render(t, longResult(5000), HTMLOptions{EChartsJS: []byte(fakeECharts), MaxPoints: 400})
	want := `Downsampled: &#34;pending pods&#34; has 5000 points; the chart shows `
	if !strings.Contains(page, want) {
		t.Errorf("page lacks the downsampling note %q", want)
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
		if got := string(scriptSafe([]byte(tt.in))); got != tt.want {
			t.Errorf("scriptSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// End to end: a hostile script cannot close the element early.
	page := render(t, testResult(), HTMLOptions{EChartsJS: []byte(`x="</script><script>alert(1)//"`)})
	if regexp.MustCompile(`(?i)</script><script>alert`).MatchString(page) {
		t.Error("inlined script closes its element")
	}
}
