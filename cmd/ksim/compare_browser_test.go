package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareInBrowser opens the comparison of the default scenario against a variant (see
// tuned) in Chromium: no console error, every chart drawn, and a screenshot.
func TestCompareInBrowser(t *testing.T) {
	chromiumPath(t)
	js := realECharts(t)
	dir := t.TempDir()
	base := writeDefaultScenario(t, filepath.Join(dir, "a"), nil)
	cand := writeDefaultScenario(t, filepath.Join(dir, "b"), tuned)
	out := filepath.Join(dir, "out")
	if code, _, stderr := ksim(t, "compare", base, cand, "--out", out, "--echarts", js, "-q"); code != 0 {
		t.Fatalf("ksim compare: exit %d\n%s", code, stderr)
	}
	charts := openPage(t, filepath.Join(out, "compare.html"), "compare.png", func(ctx context.Context) {
		row := evalJS[string](t, ctx, `Array.from(document.querySelectorAll('#settings tr')).map(r => r.textContent).join('|')`)
		if !strings.Contains(row, "spec.controllers.hpaSyncPeriod30s15s") {
			t.Errorf("the settings table does not show the changed sync period: %q", row)
		}
		// Both runs are drawn on the HPA's chart.
		names := evalJS[[]string](t, ctx, `echarts.getInstanceByDom(document.getElementById('hpa-0-replicas')).getOption().series.map(s => s.name)`)
		if strings.Join(names, ",") != "replicas (base),replicas (candidate),desired (base),desired (candidate)" {
			t.Errorf("series of the replicas chart: %v", names)
		}
	})
	// 3 for the HPA, pending, unschedulable, histogram, cluster CPU, zones, pools.
	checkCharts(t, charts, 9)
}
