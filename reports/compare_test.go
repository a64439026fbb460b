package reports

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"ksim.dev/ksim/sim"
)

// candidateResult is testResult changed the way a policy change would change it: longer pending
// times, one more eviction, another sync period, and the api HPA replaced by a new one.
func candidateResult() *sim.Result {
	r := testResult()
	r.Seed = 43
	r.PendingSeconds = append(r.PendingSeconds, 600)
	r.Pods.Evicted = 2
	r.Settings[1].Value = "20s"
	r.Settings = append(r.Settings, sim.Setting{Name: "spec.scheduler", Value: "sched.yaml", Default: "(kube-scheduler defaults)"})
	r.HPAs[1].Name = "worker"
	r.HPAs[0].Unserved = series(0, 0, 1800, 1, 1830, 0)
	return r
}

func compareRuns(t *testing.T) (CompareRun, CompareRun) {
	return CompareRun{Digest: NewDigest(testResult(), "v1", DefaultStoredPoints), Source: "run directory base"},
		CompareRun{Digest: NewDigest(candidateResult(), "v2", DefaultStoredPoints), Source: "run directory cand"}
}

func TestCompareFigures(t *testing.T) {
	b, c := compareRuns(t)
	figs := CompareFigures(b.Digest.Summary, c.Digest.Summary)
	get := func(name string) FigureDelta {
		t.Helper()
		i := slices.IndexFunc(figs, func(f FigureDelta) bool { return f.Name == name })
		if i < 0 {
			t.Fatalf("no figure %q", name)
		}
		return figs[i]
	}
	if f := get("evicted"); f.Base != 1 || f.Candidate != 2 || f.Delta() != 1 || f.Percent() != 100 || f.Verdict() != "worse" {
		t.Errorf("evicted = %+v (delta %v, %v %%, %q)", f, f.Delta(), f.Percent(), f.Verdict())
	}
	// 11 pending times now: the p99 moves from 120 s to 600 s.
	if f := get("pending p99"); f.Base != 120 || f.Candidate != 600 || f.Verdict() != "worse" {
		t.Errorf("pending p99 = %+v", f)
	}
	if f := get("pods created"); f.Verdict() != "" {
		t.Errorf("pods created is judged %q; it should not be", f.Verdict())
	}
	if f := get("unschedulable at end"); f.Delta() != 0 || f.Percent() != 0 || f.Verdict() != "" {
		t.Errorf("unchanged figure: %+v, %v %%, %q", f, f.Percent(), f.Verdict())
	}
	if f := (FigureDelta{Base: 0, Candidate: 3, LowerIsBetter: true}); !math.IsNaN(f.Percent()) || f.Verdict() != "worse" {
		t.Errorf("figure from 0 to 3: %v %%, %q; want NaN and worse", f.Percent(), f.Verdict())
	}
	// web is in both runs; api and worker in one each, so they have no per-HPA rows.
	if f := get("HPA shop/web: unserved"); f.Base != 15 || f.Candidate != 30 || f.Verdict() != "worse" {
		t.Errorf("web unserved = %+v", f)
	}
	for _, f := range figs {
		if strings.Contains(f.Name, "api") || strings.Contains(f.Name, "worker") {
			t.Errorf("figure %q for an HPA in one run only", f.Name)
		}
	}
}

func TestCompareHTML(t *testing.T) {
	b, c := compareRuns(t)
	var buf bytes.Buffer
	if err := WriteCompareHTML(&buf, b, c, HTMLOptions{Version: "v9", EChartsJS: []byte(fakeECharts)}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	checkGolden(t, "compare.golden.html", buf.Bytes())
	for _, want := range []string{
		"<title>ksim comparison: web-diurnal vs web-diurnal</title>",
		"<tr><th>from</th><td>run directory base</td><td>run directory cand</td></tr>",
		"<tr><th>seed</th><td>42</td><td>43</td></tr>",
		`<tr class="worse"><th>evicted <span class="unit">(pods)</span></th><td class="n">1</td><td class="n">2</td><td class="n">&#43;1</td><td class="n">&#43;100 %</td></tr>`,
		"<tr><td><code>spec.controllers.hpaSyncPeriod</code></td><td>15s</td><td>20s</td></tr>",
		"<tr><td><code>spec.scheduler</code></td><td>—</td><td>sched.yaml</td></tr>",
		"HPA shop/api → Deployment/api (base only)",
		"HPA shop/worker → Deployment/api (candidate only)",
		"HPA shop/web → Deployment/web</h3>",
		`"name":"replicas (base)"`, `"name":"replicas (candidate)"`,
		`<span class="swatch" style="background-color: #5470c6"></span>base`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("comparison lacks %q", want)
		}
	}
	var specs []chartSpec
	if err := json.Unmarshal(pageData(t, page)["charts"], &specs); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range specs {
		ids = append(ids, s.ID)
	}
	want := []string{"hpa-0-replicas", "hpa-0-util", "hpa-0-load", "hpa-1-replicas", "hpa-1-util", "hpa-1-load",
		"hpa-2-replicas", "hpa-2-util", "hpa-2-load", "pending", "unschedulable", "pending-hist", "cluster-cpu", "zones", "pools"}
	if !slices.Equal(ids, want) {
		t.Errorf("charts = %v, want %v", ids, want)
	}
}

func TestCompareHTMLErrors(t *testing.T) {
	b, _ := compareRuns(t)
	if err := WriteCompareHTML(&bytes.Buffer{}, b, CompareRun{}, HTMLOptions{EChartsJS: []byte("x")}); err == nil {
		t.Error("WriteCompareHTML without a candidate digest succeeded")
	}
	if err := WriteCompareHTML(&bytes.Buffer{}, b, b, HTMLOptions{}); err == nil || !strings.Contains(err.Error(), "no ECharts") {
		t.Errorf("WriteCompareHTML without ECharts = %v", err)
	}
}

func TestSettingDiffs(t *testing.T) {
	b := []SettingV1{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}}
	c := []SettingV1{{Name: "a", Value: "1"}, {Name: "b", Value: "9"}, {Name: "d", Value: "4"}}
	want := []settingDiff{{"b", "2", "9"}, {"c", "3", "—"}, {"d", "—", "4"}}
	if got := settingDiffs(b, c); !slices.Equal(got, want) {
		t.Errorf("settingDiffs = %v, want %v", got, want)
	}
}
