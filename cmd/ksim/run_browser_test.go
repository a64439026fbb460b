package main

// Browser tests: a real headless Chromium opens the pages ksim writes, from a file URL, with
// the network cut off, and the test checks what a person would see: no console error, every
// chart drawn, the pod picker and the event search working. Each test saves a screenshot as a
// CI artifact in $KSIM_ARTIFACTS (the test's temporary directory when unset).
//
// Chromium is driven through the DevTools protocol with chromedp over a pipe: the test can
// then listen to every console message, exception and network request, run script in the page
// to measure each chart's canvas, type into the page and take a full-page screenshot, none of
// which `chromium --headless --dump-dom` allows.
//
// The pages need the real ECharts library: the tests take it from $KSIM_ECHARTS_JS, or fetch
// the pinned npm tarball as `ksim run` does (checked against its hash, cached). When Chromium
// or ECharts is missing the tests skip, unless $CI is set: then they fail.

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// missing skips the test, or fails it when $CI is set: CI must run every test.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so this test must run: "+format, args...)
	}
	t.Skipf(format+" (set CI=true to make this a failure)", args...)
}

// chromiumPath finds Chromium (Debian's `chromium` package).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "no Chromium on PATH (Debian: apt-get install -y chromium)")
	return ""
}

var (
	echartsOnce sync.Once
	echartsFile string
	echartsErr  error
)

// realECharts returns the path of the real echarts.min.js: $KSIM_ECHARTS_JS, else the pinned
// npm tarball through ksim's own cache.
func realECharts(t *testing.T) string {
	t.Helper()
	echartsOnce.Do(func() {
		if p := os.Getenv("KSIM_ECHARTS_JS"); p != "" {
			echartsFile, echartsErr = p, nil
			return
		}
		js, err := echartsJS("", io.Discard)
		if err != nil {
			echartsErr = err
			return
		}
		dir, err := os.MkdirTemp("", "ksim-echarts-")
		if err != nil {
			echartsErr = err
			return
		}
		echartsFile = filepath.Join(dir, "echarts.min.js")
		echartsErr = os.WriteFile(echartsFile, js, 0o644)
	})
	if echartsErr != nil {
		missing(t, "no ECharts library: %v", echartsErr)
	}
	return echartsFile
}

// artifactDir is where screenshots go: $KSIM_ARTIFACTS, or the test's temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KSIM_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chartState is one chart as the browser drew it.
type chartState struct {
	ID       string `json:"id"`
	Instance bool   `json:"instance"` // ECharts has an instance on the element
	Canvas   bool   `json:"canvas"`
	Width    int    `json:"w"`
	Height   int    `json:"h"`
	Ink      int    `json:"ink"`    // sampled non-transparent pixels of the canvas
	Points   int    `json:"points"` // data items over all series
}

// chartsJS draws every chart (a long page draws them lazily) and measures each.
const chartsJS = `(() => {
  if (window.ksimReport) { window.ksimReport.drawAll(); }
  const out = [];
  for (const el of document.querySelectorAll('.chart')) {
    const inst = window.echarts && echarts.getInstanceByDom(el);
    const canvas = el.querySelector('canvas');
    let ink = 0, w = 0, h = 0;
    if (canvas) {
      w = canvas.width; h = canvas.height;
      const d = canvas.getContext('2d').getImageData(0, 0, w, h).data;
      for (let i = 3; i < d.length; i += 4 * 5) { if (d[i] > 0) { ink++; } }
    }
    let points = 0;
    if (inst) { for (const s of inst.getOption().series) { points += (s.data || []).length; } }
    out.push({id: el.id, instance: !!inst, canvas: !!canvas, w: w, h: h, ink: ink, points: points});
  }
  return out;
})()`

// browserRun is one page load: what the page logged and requested.
type browserRun struct {
	mu       sync.Mutex
	errors   []string // console errors, exceptions, browser log errors
	warnings []string
	requests []string // every URL the page requested
}

func (b *browserRun) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg := "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			b.errors = append(b.errors, msg)
		case runtime.ConsoleAPICalledTypeWarning:
			b.warnings = append(b.warnings, msg)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.errors = append(b.errors, msg)
	case *cdplog.EventEntryAdded:
		msg := "log " + string(ev.Entry.Level) + ": " + ev.Entry.Text + " " + ev.Entry.URL
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.errors = append(b.errors, msg)
		} else if ev.Entry.Level == cdplog.EntryLevelWarning {
			b.warnings = append(b.warnings, msg)
		}
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	}
}

// openPage loads the HTML file in headless Chromium with the network off, waits for the page's
// script, runs check (which may interact with the page), measures the charts, saves a
// full-page screenshot as shot in the artifact directory, and fails the test on any console
// error or any request that is not for a local file.
func openPage(t *testing.T, file, shot string, check func(ctx context.Context)) []chartState {
	t.Helper()
	charts, run := loadPage(t, file, shot, `!!(window.ksimReport && window.ksimReport.ready)`, check)
	run.mu.Lock()
	defer run.mu.Unlock()
	for _, e := range run.errors {
		t.Errorf("browser error: %s", e)
	}
	for _, w := range run.warnings {
		t.Logf("browser warning: %s", w)
	}
	for _, u := range run.requests {
		if !local(u) {
			t.Errorf("the page requested %s; a report must need no network", u)
		}
	}
	if len(run.requests) == 0 {
		t.Error("the browser saw no request at all: the network listener is not working")
	}
	return charts
}

func local(url string) bool {
	return strings.HasPrefix(url, "file:") || strings.HasPrefix(url, "data:") || strings.HasPrefix(url, "blob:")
}

// loadPage does the work of openPage, waiting for ready (a script expression) instead of the
// report's script, and returns what the browser saw without judging it.
func loadPage(t *testing.T, file, shot, ready string, check func(ctx context.Context)) ([]chartState, *browserRun) {
	t.Helper()
	exe := chromiumPath(t)
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		// No network: names resolve nowhere and any proxy use hits a closed port. The page
		// must not need either; the test also fails if it even asks.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()

	run := &browserRun{}
	if err := chromedp.Do(bctx); err != nil { // start the browser and the tab
		t.Fatalf("start Chromium: %v", err)
	}
	if err := chromedp.Listen(bctx, run.listen); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatalf("open %s: %v", abs, err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("the page's script did not finish: %v (errors: %v)", err, run.errors)
	}
	t.Logf("%s: script ready %v after navigation", filepath.Base(file), time.Since(start).Round(time.Millisecond))
	if check != nil {
		check(bctx)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[[]byte](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	var charts []chartState
	if err := json.Unmarshal(raw, &charts); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(artifactDir(t), shot)
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))
	return charts, run
}

// TestBrowserHarnessSeesNetworkAndErrors proves that the checks of openPage can fail: a report
// that loads ECharts from the CDN (ksim run --cdn) must show up as a network request, the
// failed load as a browser error, and the page must say that it cannot draw.
func TestBrowserHarnessSeesNetworkAndErrors(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	if code, _, stderr := ksim(t, "run", "--out", dir, "--cdn", "--quiet"); code != 0 {
		t.Fatalf("ksim run: exit %d\n%s", code, stderr)
	}
	charts, run := loadPage(t, filepath.Join(dir, "report.html"), "report-cdn.png", `document.readyState === "complete"`, nil)
	run.mu.Lock()
	defer run.mu.Unlock()
	var remote []string
	for _, u := range run.requests {
		if !local(u) {
			remote = append(remote, u)
		}
	}
	if len(remote) != 1 || !strings.Contains(remote[0], "cdn.jsdelivr.net/npm/echarts@5.6.0") {
		t.Errorf("remote requests %v, want the CDN's echarts", remote)
	}
	if len(run.errors) == 0 {
		t.Error("the failed load of the CDN script left no browser error")
	}
	t.Logf("browser errors, as expected: %q", run.errors)
	for _, c := range charts {
		if c.Instance || c.Canvas {
			t.Errorf("chart %s drawn without ECharts: %+v", c.ID, c)
		}
	}
}

// checkCharts fails the test for any chart that the browser did not draw with data.
func checkCharts(t *testing.T, charts []chartState, wantAtLeast int) {
	t.Helper()
	if len(charts) < wantAtLeast {
		t.Errorf("the page has %d charts, want at least %d", len(charts), wantAtLeast)
	}
	for _, c := range charts {
		// The sampled ink of a drawn chart with axes, labels and data is in the thousands; an
		// empty canvas has none.
		if !c.Instance || !c.Canvas || c.Width == 0 || c.Height == 0 || c.Ink < 500 || c.Points == 0 {
			t.Errorf("chart %q not drawn: %+v", c.ID, c)
		}
	}
}

// evalJS runs script in the page and decodes its result.
func evalJS[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return v
}

// TestReportInBrowser opens the report of the default scenario in Chromium.
func TestReportInBrowser(t *testing.T) {
	chromiumPath(t) // skip before running anything when there is no browser
	js := realECharts(t)
	dir := t.TempDir()
	if code, _, stderr := ksim(t, "run", "--out", dir, "--echarts", js, "--quiet"); code != 0 {
		t.Fatalf("ksim run: exit %d\n%s", code, stderr)
	}
	charts := openPage(t, filepath.Join(dir, "report.html"), "report.png", func(ctx context.Context) {
		// The pod picker shows the first attempt: one row per node of the cluster (12), one
		// of them chosen.
		rows := evalJS[int](t, ctx, `document.querySelectorAll('#explain-table tbody tr').length`)
		chosen := evalJS[int](t, ctx, `document.querySelectorAll('#explain-table tbody tr.chosen').length`)
		if rows != 12 || chosen != 1 {
			t.Errorf("explanation table: %d rows, %d chosen; want 12 and 1", rows, chosen)
		}
		// Another attempt, picked by filtering.
		n := evalJS[int](t, ctx, `(() => { const f = document.getElementById('explain-filter');
			f.value = 'batch'; f.dispatchEvent(new Event('input')); return document.getElementById('explain-pick').options.length; })()`)
		if n == 0 {
			t.Error("filtering the attempts by \"batch\" left none")
		}
		head := evalJS[string](t, ctx, `document.getElementById('explain-head').textContent`)
		if !strings.Contains(head, "batch") {
			t.Errorf("after filtering, the explanation shows %q", head)
		}
		// The event search narrows the table to the matching entries.
		total := evalJS[int](t, ctx, `document.querySelectorAll('#events-table tbody tr').length`)
		evalJS[bool](t, ctx, `(() => { const s = document.getElementById('events-search');
			s.value = 'node-b-1'; s.dispatchEvent(new Event('input')); return true; })()`)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
			`document.querySelectorAll('#events-table tbody tr').length < `+strconv.Itoa(total), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatalf("the event search did not filter the table: %v", err)
		}
		cells := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll('#events-table tbody tr')).map(r => r.textContent)`)
		if len(cells) == 0 {
			t.Error("no event matches node-b-1; the scenario fails that node")
		}
		for _, c := range cells {
			if !strings.Contains(c, "node-b-1") {
				t.Errorf("event row %q does not match the search node-b-1", c)
			}
		}
		// Clear the search again for the screenshot.
		evalJS[bool](t, ctx, `(() => { const s = document.getElementById('events-search');
			s.value = ''; s.dispatchEvent(new Event('input')); return true; })()`)
	})
	// 3 for the HPA, pending, unschedulable, histogram, zones, pools, 2 heatmaps, timeline.
	checkCharts(t, charts, 11)
	for _, want := range []string{"hpa-0-replicas", "unschedulable", "pending-hist", "heat-requested", "heat-used", "zones", "pools", "events-chart"} {
		found := false
		for _, c := range charts {
			found = found || c.ID == want
		}
		if !found {
			t.Errorf("no chart %q on the page", want)
		}
	}
}
