package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"ksim.dev/ksim/sim"
)

// Defaults of HTMLOptions.
const (
	// DefaultMaxPoints is the number of points per chart series above which WriteHTML
	// downsamples the series (see downsample).
	DefaultMaxPoints = 2000
	// DefaultMaxLogLines is the number of timeline entries the report embeds.
	DefaultMaxLogLines = 20000
)

// EChartsEnv is the environment variable that LoadECharts reads when no path is given.
const EChartsEnv = "KSIM_ECHARTS_JS"

// EChartsVersion is the ECharts release the pages are made for, pinned so that a page opens
// the same way next year.
const EChartsVersion = "5.6.0"

// EChartsCDN is the script URL a report uses when HTMLOptions.AllowCDN is set and no script is
// inlined.
const EChartsCDN = "https://cdn.jsdelivr.net/npm/echarts@" + EChartsVersion + "/dist/echarts.min.js"

// ErrNoECharts is returned (wrapped) by LoadECharts and WriteHTML when no ECharts script is
// available. Its text says how to provide one.
var ErrNoECharts = errors.New("no ECharts script to inline in the report: " +
	"get echarts.min.js (`npm pack echarts@5 && tar xzf echarts-*.tgz` gives package/dist/echarts.min.js) " +
	"and pass its path or set " + EChartsEnv + "=path/to/echarts.min.js; " +
	"or pass --cdn to load it from " + EChartsCDN + " when the report is opened (needs network)")

// HTMLOptions configure WriteHTML and WriteCompareHTML. The zero value is valid but has no
// ECharts script, so writing fails with ErrNoECharts unless EChartsJS or AllowCDN is set. Every
// bound that cuts or thins what the page shows makes the page say so where it happens.
type HTMLOptions struct {
	// Version is the ksim version shown in the overview and passed to Summary.
	Version string
	// EChartsJS is the content of echarts.min.js, inlined in the page so that the report works
	// offline and stays as it was written. See LoadECharts.
	EChartsJS []byte
	// AllowCDN lets the report load ECharts from EChartsCDN when EChartsJS is empty.
	AllowCDN bool
	// MaxPoints bounds the points of each chart series; longer series are downsampled.
	// 0 means DefaultMaxPoints.
	MaxPoints int
	// PointBudget bounds the points of all line series of the page together: with many series
	// the per-series bound shrinks (to 400 at least). 0 means DefaultPointBudget.
	PointBudget int
	// MaxLogLines bounds the timeline entries the events section embeds (events.jsonl has
	// them all). 0 means DefaultMaxLogLines.
	MaxLogLines int
	// MaxExplainBytes bounds the size of the placement explanations embedded; 0 means
	// DefaultExplainBytes.
	MaxExplainBytes int
	// MaxHeatRows and MaxHeatColumns bound the node heatmaps; more nodes share rows, and a
	// longer run gets wider cells. 0 means DefaultMaxHeatRows, DefaultMaxHeatColumns.
	MaxHeatRows, MaxHeatColumns int
}

// withDefaults checks o and fills its zero bounds.
func (o HTMLOptions) withDefaults() (HTMLOptions, error) {
	if len(o.EChartsJS) == 0 && !o.AllowCDN {
		return o, ErrNoECharts
	}
	for _, b := range []struct {
		name string
		v    *int
		def  int
	}{
		{"MaxPoints", &o.MaxPoints, DefaultMaxPoints},
		{"PointBudget", &o.PointBudget, DefaultPointBudget},
		{"MaxLogLines", &o.MaxLogLines, DefaultMaxLogLines},
		{"MaxExplainBytes", &o.MaxExplainBytes, DefaultExplainBytes},
		{"MaxHeatRows", &o.MaxHeatRows, DefaultMaxHeatRows},
		{"MaxHeatColumns", &o.MaxHeatColumns, DefaultMaxHeatColumns},
	} {
		if *b.v < 0 {
			return o, fmt.Errorf("%s is %d; it must not be negative (0 means the default, %d)", b.name, *b.v, b.def)
		}
		if *b.v == 0 {
			*b.v = b.def
		}
	}
	return o, nil
}

// LoadECharts reads the ECharts script from path or, when path is empty, from the file named
// by $KSIM_ECHARTS_JS. Its errors name the path and the variable, and wrap ErrNoECharts when
// neither is set.
func LoadECharts(path string) ([]byte, error) {
	from := "path"
	if path == "" {
		path = os.Getenv(EChartsEnv)
		from = "$" + EChartsEnv
	}
	if path == "" {
		return nil, fmt.Errorf("reports: %w", ErrNoECharts)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reports: read ECharts script (%s): %w", from, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("reports: ECharts script %s (%s) is empty; want echarts.min.js", path, from)
	}
	return b, nil
}

//go:embed page.html.tmpl
var pageTmplText string

//go:embed report.js
var reportJS string

//go:embed report.css
var reportCSS string

// pageTmpl is parsed once; a parse error is a programmer error, caught by every test.
var pageTmpl = template.Must(template.New("page").
	Funcs(template.FuncMap{"num": fmtFloat}).
	Parse(pageTmplText))

// WriteHTML writes a self-contained HTML report of r: an overview with the key figures and the
// settings that differ from their defaults; per HPA its replicas against bounds, utilization
// against target with the spans where scaling was held back shaded, and its load; the
// scheduling charts and a pod picker that shows the scheduler's explanation of a placement;
// node heatmaps of allocation and usage, by zone and pool; and a searchable timeline. The
// ECharts script is inlined from o.EChartsJS; see HTMLOptions for the alternatives. The same
// r and o always give the same bytes.
//
// Cost: O(P log k) for the P points of the k node series, O(attempts × nodes) for the
// explanations, and the size of the output (bounded by the options; see docs/report.md).
func WriteHTML(w io.Writer, r *sim.Result, o HTMLOptions) error {
	if _, err := o.withDefaults(); err != nil { // before the costly digest
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	return WriteHTMLWith(w, r, NewDigest(r, o.Version, 0), o)
}

// WriteHTMLWith is WriteHTML for a caller that has r's full digest already (NewDigest(r,
// o.Version, 0)): the sums of the node series, the costly part, are not made again.
func WriteHTMLWith(w io.Writer, r *sim.Result, d *Digest, o HTMLOptions) error {
	o, err := o.withDefaults()
	if err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	v, err := buildReport(r, d, o)
	if err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	return renderPage(w, "report", v)
}

// renderPage executes the named template to memory first, so that an error never leaves half
// a page behind, then writes it.
func renderPage(w io.Writer, name string, v any) error {
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	return nil
}

// pageAssets are the parts every page shares: the style, the script, and ECharts.
type pageAssets struct {
	CSS       template.CSS
	Script    template.JS
	EChartsJS template.JS // inlined script, or empty
	CDN       string      // script URL when EChartsJS is empty
	Data      template.JS // window.KSIM_DATA
}

func newAssets(o HTMLOptions, data any) (pageAssets, error) {
	a := pageAssets{CSS: template.CSS(reportCSS), Script: template.JS(reportJS)}
	if len(o.EChartsJS) > 0 {
		a.EChartsJS = template.JS(ScriptSafe(o.EChartsJS))
	} else {
		a.CDN = EChartsCDN
	}
	b, err := pageDataJSON(data)
	if err != nil {
		return a, err
	}
	a.Data = template.JS(b)
	return a, nil
}

// pageDataJSON encodes the page's data object with one top-level field per line, and the charts
// one per line, so that golden-file diffs stay readable.
func pageDataJSON(data any) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out bytes.Buffer
	out.WriteString("{\n")
	for i, k := range keys {
		fmt.Fprintf(&out, "%q: ", k)
		if k == "charts" {
			var specs []json.RawMessage
			if err := json.Unmarshal(fields[k], &specs); err != nil {
				return nil, err
			}
			out.WriteString("[\n")
			for j, sp := range specs {
				out.Write(sp)
				if j+1 < len(specs) {
					out.WriteByte(',')
				}
				out.WriteByte('\n')
			}
			out.WriteString("]")
		} else {
			out.Write(fields[k])
		}
		if i+1 < len(keys) {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
	}
	out.WriteString("}")
	return out.Bytes(), nil
}

// kv is a row of a two-column table.
type kv struct{ K, V string }

// figure is one key figure of the overview.
type figure struct{ Label, Value, Note string }

// reportView is everything the report template shows, computed in Go.
type reportView struct {
	Title, Version  string
	Run             []kv
	Figures         []figure
	Changed         []SettingV1 // settings that differ from their defaults
	Settings        []SettingV1 // all settings
	HPATable        []HPASummaryV1
	HPAs            []hpaSection
	Scheduling      []chartView
	NoUnschedulable bool
	Explain         explainView
	ZoneCharts      []chartView
	Heatmaps        []chartView
	Events          eventsView
	Budget          string // how the page bounds its series
	pageAssets
}

type hpaSection struct {
	Title  string
	Charts []chartView
}

type explainView struct{ Total, Shown, Cut int }

type eventsView struct {
	Total, Shown int
	Chart        *chartView
	Kinds        []kv // kind, title
}

// reportData is window.KSIM_DATA of a report.
type reportData struct {
	Charts  []chartSpec   `json:"charts"`
	Explain *explainData  `json:"explain"`
	Events  *timelineData `json:"events"`
	Unit    timeUnitJSON  `json:"unit"`
}

type timeUnitJSON struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func buildReport(r *sim.Result, d *Digest, o HTMLOptions) (*reportView, error) {
	s := d.Summary
	v := &reportView{Title: "ksim report: " + r.Scenario, Version: o.Version, HPATable: s.HPAs}
	v.Run = []kv{
		{"scenario", r.Scenario},
		{"seed", strconv.FormatUint(r.Seed, 10)},
		{"ksim version", o.Version},
		{"simulated duration", fmt.Sprintf("%s (%s s)", r.Duration, fmtFloat(s.DurationS))},
		{"events processed", strconv.FormatInt(r.Events, 10)},
	}
	v.Figures = keyFigures(s)
	v.Settings = d.Settings
	for _, st := range d.Settings {
		if st.Changed() {
			v.Changed = append(v.Changed, st)
		}
	}

	long := 6*len(d.HPAs) + 1 + len(d.Unschedulable) + 2*(1+len(d.Zones)+len(d.Pools))
	pg := newPage(r.Duration, o.MaxPoints, o.PointBudget, long)
	v.Budget = fmt.Sprintf("Each line series is drawn with at most %d points (%d by default, "+
		"fewer when the page has many series: %d points in all).", pg.maxPoints, o.MaxPoints, o.PointBudget)

	for i, h := range d.HPAs {
		v.HPAs = append(v.HPAs, hpaSection{
			Title:  fmt.Sprintf("HPA %s/%s → %s", h.Namespace, h.Name, h.Target),
			Charts: pg.hpaCharts(fmt.Sprintf("hpa-%d", i), &h),
		})
	}
	v.Scheduling = pg.schedulingCharts(d)
	v.NoUnschedulable = len(d.Unschedulable) == 0

	ex, err := newExplainData(r, o.MaxExplainBytes)
	if err != nil {
		return nil, err
	}
	v.Explain = explainView{Total: ex.Total, Shown: len(ex.Attempts), Cut: ex.Cut}

	v.ZoneCharts = pg.groupCharts(d)
	if len(r.Nodes) > 0 {
		l := newHeatLayout(r, o.MaxHeatRows, o.MaxHeatColumns)
		nodes := nodeSeries(r)
		note := heatNote(l)
		v.Heatmaps = append(v.Heatmaps,
			pg.heatChart("heat-requested", "CPU requested per node, % of allocatable",
				"Requests of the pods bound to the node. Triangles mark node events (hover for details).",
				r, l, nodes, func(n *nodeSeriesT) sim.Series { return n.req }, []string{note}),
			pg.heatChart("heat-used", "CPU used per node, % of allocatable",
				"Usage of the pods under their load models, sampled every spec.controllers.sampleInterval.",
				r, l, nodes, func(n *nodeSeriesT) sim.Series { return n.used }, []string{note}))
	}

	tl := newTimeline(r, o.MaxLogLines)
	v.Events = eventsView{Total: tl.Total, Shown: len(tl.Rows)}
	for _, k := range tl.Kinds {
		v.Events.Kinds = append(v.Events.Kinds, kv{k, kindTitle(k)})
	}
	if len(tl.Rows) > 0 {
		cv := pg.eventsChart(tl)
		v.Events.Chart = &cv
	}

	data := reportData{Charts: pg.specs, Explain: ex, Events: tl, Unit: timeUnitJSON{pg.u.name, pg.u.seconds}}
	if v.pageAssets, err = newAssets(o, data); err != nil {
		return nil, err
	}
	return v, nil
}

// keyFigures are the overview's figures.
func keyFigures(s *SummaryV1) []figure {
	pct := func(f float64) string { return fmtPercent(f) + " %" }
	unserved := fmtFloat(math.Round(s.HPATotals.UnservedCoreSeconds*10)/10) + " core·s"
	return []figure{
		{"pods", strconv.Itoa(s.Pods.Created), fmt.Sprintf("created; %d scheduled, %d evicted, %d preempted, %d Job pods succeeded",
			s.Pods.Scheduled, s.Pods.Evicted, s.Pods.Preempted, s.Pods.Succeeded)},
		{"unschedulable", strconv.Itoa(s.Pods.UnschedulableAtEnd), fmt.Sprintf("at the end (%d pending); %d pods failed at least one attempt",
			s.Pods.PendingAtEnd, s.Pods.EverUnschedulable)},
		{"pending p50 / p95 / p99", fmt.Sprintf("%s / %s / %s s", fmtFloat(s.PendingS.P50), fmtFloat(s.PendingS.P95), fmtFloat(s.PendingS.P99)),
			fmt.Sprintf("creation to binding; max %s s, mean %s s", fmtFloat(s.PendingS.Max), fmtFloat(s.PendingS.Mean))},
		{"nodes", strconv.Itoa(s.Nodes.Count), fmt.Sprintf("in %d zones; at most %d at once; %s cores allocatable",
			s.Nodes.Zones, s.Nodes.MaxLive, fmtFloat(float64(s.Nodes.CPUAllocatableMilli)/1000))},
		{"CPU requested", pct(s.Nodes.CPURequestedFractionMean), "of allocatable, mean; peak " + pct(s.Nodes.CPURequestedFractionMax)},
		{"CPU used", pct(s.Nodes.CPUUsedFractionMean), "of allocatable, mean; peak " + pct(s.Nodes.CPUUsedFractionMax)},
		{"unserved demand", unserved, fmt.Sprintf("%s %% of %s core·s demanded of the HPAs' targets",
			fmtPercent(s.HPATotals.UnservedFraction), fmtFloat(math.Round(s.HPATotals.DemandCoreSeconds)))},
		{"scale events", strconv.Itoa(s.HPATotals.ScaleEvents), "written by " + plural(len(s.HPAs), "HPA")},
	}
}

// hpaCharts draws one HPA: replicas against its bounds, utilization against its target (both
// with the held-back spans shaded), and the load on its target.
func (pg *page) hpaCharts(id string, h *HPADigestV1) []chartView {
	var out []chartView
	{
		c := pg.timeChart(id+"-replicas", "pods")
		var notes []string
		pg.addSteps(c, "replicas", h.Replicas, lineOpts{color: palette[0], width: 2}, &notes)
		pg.addSteps(c, "ready", h.Ready, lineOpts{color: palette[1]}, &notes)
		pg.addSteps(c, "desired", h.Desired, lineOpts{color: palette[2], dashed: true}, &notes)
		pg.addXY(c, "min", pg.constLine(float64(h.MinReplicas)), lineOpts{color: "#999", dashed: true})
		pg.addXY(c, "max", pg.constLine(float64(h.MaxReplicas)), lineOpts{color: "#555", dashed: true})
		legend := pg.shade(c, h.Limited, &notes)
		out = append(out, pg.add(chartView{ID: id + "-replicas", Title: "Replicas, desired and bounds",
			Help: "spec.replicas of the target, its ready pods, the HPA's desired replicas after each sync, minReplicas and maxReplicas. " +
				"Shaded: spans where the HPA held its decision back, by reason.", Notes: notes, Legend: legend},
			"", id, timeOption(c), nil))
	}
	{
		c := pg.timeChart(id+"-util", "% of request")
		var notes []string
		known := false
		for _, p := range h.Utilization.Points {
			if !math.IsNaN(p.V) {
				known = true
				break
			}
		}
		help := "CPU utilization the HPA read at each sync (gaps: metrics unavailable), and its target."
		pg.addSteps(c, "utilization", h.Utilization, lineOpts{color: palette[0], width: 2}, &notes)
		if h.TargetUtilization > 0 {
			pg.addXY(c, "target", pg.constLine(float64(h.TargetUtilization)), lineOpts{color: palette[3], dashed: true})
		} else if h.TargetAverageMilli > 0 {
			notes = append(notes, fmt.Sprintf("This HPA targets an average of %dm CPU per pod, not a utilization.", h.TargetAverageMilli))
		}
		if !known {
			notes = append(notes, "No sync read a CPU utilization.")
		}
		legend := pg.shade(c, h.Limited, &notes)
		out = append(out, pg.add(chartView{ID: id + "-util", Title: "CPU utilization against target", Help: help,
			Notes: notes, Legend: legend}, "", id, timeOption(c), nil))
	}
	{
		c := pg.timeChart(id+"-load", "cores")
		var notes []string
		pg.addSteps(c, "demand", h.Demand, lineOpts{color: palette[0]}, &notes)
		pg.addSteps(c, "unserved", h.Unserved, lineOpts{color: palette[3], area: 0.35}, &notes)
		if len(h.Demand.Points) == 0 {
			notes = append(notes, "No load model drives this HPA's target.")
		}
		out = append(out, pg.add(chartView{ID: id + "-load", Title: "Load from the trace",
			Help:  "CPU demand of the load on the target, and the part its ready pods could not serve (capped at their limits), sampled.",
			Notes: notes}, "", id, timeOption(c), nil))
	}
	return out
}

// schedulingCharts draws pending pods, unschedulable pods by reason (stacked) and the
// pending-time histogram.
func (pg *page) schedulingCharts(d *Digest) []chartView {
	var out []chartView
	{
		c := pg.timeChart("pending", "pods")
		var notes []string
		pg.addSteps(c, "pending pods", d.Pending, lineOpts{color: palette[0]}, &notes)
		out = append(out, pg.add(chartView{ID: "pending", Title: "Pending pods",
			Help: "Pods waiting for a node: in the active queue, in backoff or unschedulable.", Notes: notes},
			"", "sched", timeOption(c), nil))
	}
	if len(d.Unschedulable) > 0 {
		c := pg.timeChart("unschedulable", "pods")
		series := make([]Steps, len(d.Unschedulable))
		for i, u := range d.Unschedulable {
			series[i] = u.Pods
		}
		xs, ys, note := alignSteps(series, pg.end, pg.maxPoints)
		var notes []string
		if note != "" {
			notes = append(notes, note)
		}
		// ECharts mis-draws stacked step areas, so the stack is drawn by hand: reason i is an
		// opaque area up to the sum of reasons 0..i, drawn from the top sum down so that each
		// covers the part of the one before it below its own line. Each point carries the
		// reason's own count third, for the tooltip.
		cum := make([][]float64, len(ys))
		for i := range ys {
			cum[i] = slices.Clone(ys[i])
			if i > 0 {
				for k := range cum[i] {
					cum[i][k] += cum[i-1][k]
				}
			}
		}
		for i := len(d.Unschedulable) - 1; i >= 0; i-- {
			data := make(xyzData, len(xs))
			for k, t := range xs {
				data[k] = [3]float64{pg.x(t), cum[i][k], ys[i][k]}
			}
			pg.addXY(c, d.Unschedulable[i].Reason, data, lineOpts{color: groupColor(i), area: 1})
		}
		notes = append(notes, "Legend entries cannot be switched off: the areas are drawn stacked.")
		option := timeOption(c)
		option["legend"] = map[string]any{"top": "0", "type": "scroll", "selectedMode": false}
		out = append(out, pg.add(chartView{ID: "unschedulable", Title: "Unschedulable pods by reason (stacked)",
			Help:  "Pending pods whose last attempt failed, under each reason some node gave; a pod rejected for two reasons counts in both.",
			Notes: notes}, "", "sched", option, nil))
	}
	{
		c := barChart("pending-hist", pendingBinLabels, "pods")
		c.AddSeries("bound pods", barData(d.PendingHistogram, palette[0]))
		p := d.Summary.PendingS
		out = append(out, pg.add(chartView{ID: "pending-hist", Title: "Pending time of bound pods",
			Help: fmt.Sprintf("From creation to binding. p50 %s s, p95 %s s, p99 %s s, max %s s (empirical quantiles).",
				fmtFloat(p.P50), fmtFloat(p.P95), fmtFloat(p.P99), fmtFloat(p.Max)), Height: 280},
			"bar", "", option(c), nil))
	}
	return out
}

// alignSteps puts step series on common times (every change of any of them), so that they can
// be stacked. When there are more than maxPoints times, the run is cut into maxPoints/2 equal
// buckets and each series shows its largest value within each bucket, at the bucket's start;
// the note says so. Cost: O(P + buckets × series).
func alignSteps(series []Steps, end time.Duration, maxPoints int) ([]time.Duration, [][]float64, string) {
	var times []time.Duration
	for _, s := range series {
		for _, p := range s.Points {
			times = append(times, p.T)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	ys := make([][]float64, len(series))
	if len(times) <= maxPoints {
		for i, s := range series {
			ys[i] = make([]float64, len(times))
			for k, t := range times {
				ys[i][k] = valueAt(s.Points, t)
			}
		}
		if len(times) > 0 && times[len(times)-1] < end {
			times = append(times, end)
			for i := range ys {
				ys[i] = append(ys[i], ys[i][len(ys[i])-1])
			}
		}
		return times, ys, ""
	}
	n := max(maxPoints/2, 1)
	width := max((end+time.Duration(n)-1)/time.Duration(n), 1)
	bt := make([]time.Duration, n+1)
	for k := range bt {
		bt[k] = min(time.Duration(k)*width, end)
	}
	for i, s := range series {
		ys[i] = make([]float64, n+1)
		j := 0
		for k := 0; k < n; k++ {
			m := valueAt(s.Points, bt[k])
			for j < len(s.Points) && s.Points[j].T < bt[k]+width {
				if s.Points[j].T >= bt[k] {
					m = max(m, s.Points[j].V)
				}
				j++
			}
			ys[i][k] = m
		}
		ys[i][n] = ys[i][n-1]
	}
	return bt, ys, fmt.Sprintf("%d changes; the chart shows, for each of %d equal time buckets of %s, the largest count of each reason in it.",
		len(times), n, fmtSeconds(width.Seconds()))
}

// groupCharts draws the CPU requested and used, as a share of allocatable, per zone and per pool.
func (pg *page) groupCharts(d *Digest) []chartView {
	var out []chartView
	draw := func(id, title, what string, groups []GroupV1) {
		c := pg.timeChart(id, "% of allocatable")
		var notes []string
		all := append([]GroupV1{d.Cluster}, groups...)
		for i, g := range all {
			req, used := groupPercent(g)
			name := g.Name
			if i > 0 && name == "" {
				name = "(no " + what + ")"
			}
			pg.addSteps(c, name+" requested", req, lineOpts{color: groupColor(i), width: 2}, &notes)
			pg.addSteps(c, name+" used", used, lineOpts{color: groupColor(i), dashed: true}, &notes)
		}
		out = append(out, pg.add(chartView{ID: id, Title: title,
			Help: "Solid: CPU requested by bound pods; dashed: CPU used; both over the allocatable CPU of the " +
				what + "'s nodes that exist at the time.", Notes: notes}, "", "nodes", timeOption(c), nil))
	}
	if len(d.Zones) > 0 {
		draw("zones", "CPU requested and used by zone", "zone", d.Zones)
	}
	if len(d.Pools) > 1 || (len(d.Pools) == 1 && d.Pools[0].Name != "") {
		draw("pools", "CPU requested and used by pool", "pool", d.Pools)
	}
	return out
}

// eventsChart is the timeline's scatter chart: one row per kind; the script fills the points
// from the timeline data, filtered by the search.
func (pg *page) eventsChart(tl *timelineData) chartView {
	titles := make([]string, len(tl.Kinds))
	for i, k := range tl.Kinds {
		titles[i] = kindTitle(k)
	}
	c := charts.NewScatter()
	c.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: "events-chart"}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{Left: "120", Right: "30", Top: "10", Bottom: "60"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "time (" + pg.u.name + ")", NameLocation: "middle",
			NameGap: 25, Min: 0, Max: pg.x(pg.end)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: titles}),
	)
	for i, t := range titles {
		c.AddSeries(t, nil, charts.WithSeriesOpts(func(ss *charts.SingleSeries) {
			ss.Data = []any{}
			ss.SymbolSize = 7
			ss.ItemStyle = &opts.ItemStyle{Color: groupColor(i), Opacity: opts.Float(0.7)}
		}))
	}
	o := option(c)
	o["dataZoom"] = []map[string]any{{"type": "inside", "filterMode": "none"}, {"type": "slider", "filterMode": "none", "height": 20, "bottom": 8}}
	return pg.add(chartView{ID: "events-chart", Title: "Timeline", Height: 90 + 34*len(titles)}, "events", "", o, nil)
}

type timeUnit struct {
	name    string
	seconds float64
}

// pickUnit chooses the time axis unit so that its labels stay short: seconds up to 10 minutes,
// minutes up to 5 hours, hours beyond.
func pickUnit(d time.Duration) timeUnit {
	switch {
	case d <= 10*time.Minute:
		return timeUnit{"s", 1}
	case d <= 5*time.Hour:
		return timeUnit{"min", 60}
	default:
		return timeUnit{"h", 3600}
	}
}

// scaleSeries returns s with every value multiplied by f.
func scaleSeries(s sim.Series, f float64) sim.Series {
	out := sim.Series{Points: make([]sim.Point, len(s.Points))}
	for i, p := range s.Points {
		out.Points[i] = sim.Point{T: p.T, V: p.V * f}
	}
	return out
}

func fmtFloat(x float64) string { return strconv.FormatFloat(round6(x), 'f', -1, 64) }

// fmtPercent prints a fraction as a percentage: one decimal, or two significant digits below 1 %.
func fmtPercent(frac float64) string {
	p := frac * 100
	if p != 0 && math.Abs(p) < 1 {
		return strconv.FormatFloat(p, 'g', 2, 64)
	}
	return strconv.FormatFloat(p, 'f', 1, 64)
}

// plural returns "n thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// scriptEnd matches what would end a <script> element or start an HTML comment inside it.
var scriptEnd = regexp.MustCompile(`(?i)</script|<!--`)

// ScriptSafe makes js safe to place between <script> and </script>: "</script" becomes
// "<\/script" and "<!--" becomes "<\x21--". Both mean the same in JS strings, regexps and
// comments, the only places where they can occur in real code. echarts.min.js 5.6 contains
// neither, so this normally copies nothing.
func ScriptSafe(js []byte) []byte {
	if !scriptEnd.Match(js) {
		return js
	}
	return scriptEnd.ReplaceAllFunc(js, func(m []byte) []byte {
		if m[1] == '!' {
			return []byte(`<\x21--`)
		}
		return append([]byte(`<\/`), m[2:]...)
	})
}
