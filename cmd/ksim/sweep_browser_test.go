package main

import (
	"context"
	"path/filepath"
	"testing"

	"ksim.dev/ksim/sweep"
)

// TestSweepPageInBrowser opens sweep.html of the tiny sweep in headless Chromium, offline (see
// run_browser_test.go): one chart per key figure, each drawn with data, no console error, no
// request for anything but the file, and the best variant of each traffic level marked.
func TestSweepPageInBrowser(t *testing.T) {
	chromiumPath(t)
	js := realECharts(t)
	dir := t.TempDir()
	if code, _, stderr := ksim(t, append([]string{"sweep", tinySweep, "--out", dir, "--echarts", js, "-q"}, tinyGrid...)...); code != 0 {
		t.Fatalf("ksim sweep: exit %d\n%s", code, stderr)
	}
	charts := openPage(t, filepath.Join(dir, "sweep.html"), "sweep.png", func(ctx context.Context) {
		if n := evalJS[int](t, ctx, `document.querySelectorAll('tr.best').length`); n != 2 {
			t.Errorf("%d rows marked best, want 2 (one per traffic level)", n)
		}
		// The pins of the best variants are in the chart of the figure minimised first.
		pins := evalJS[int](t, ctx, `(() => { let n = 0; for (const s of echarts.getInstanceByDom(document.getElementById('fig-0')).getOption().series) { n += ((s.markPoint || {}).data || []).length; } return n; })()`)
		if pins != 2 {
			t.Errorf("%d best pins in the nodes chart, want 2", pins)
		}
	})
	checkCharts(t, charts, len(sweep.Figures))
}
