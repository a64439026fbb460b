package reports

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
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
	// DefaultMaxLogLines is the number of event log lines the report shows.
	DefaultMaxLogLines = 1000
)

// EChartsEnv is the environment variable that LoadECharts reads when no path is given.
const EChartsEnv = "KSIM_ECHARTS_JS"

// EChartsCDN is the script URL a report uses when HTMLOptions.AllowCDN is set and no script is
// inlined. The version is pinned so that a report opens the same way next year.
const EChartsCDN = "https://cdn.jsdelivr.net/npm/echarts@5.6.0/dist/echarts.min.js"

// ErrNoECharts is returned (wrapped) by LoadECharts and WriteHTML when no ECharts script is
// available. Its text says how to provide one.
var ErrNoECharts = errors.New("no ECharts script to inline in the report: " +
	"get echarts.min.js (`npm pack echarts@5 && tar xzf echarts-*.tgz` gives package/dist/echarts.min.js) " +
	"and pass its path or set " + EChartsEnv + "=path/to/echarts.min.js; " +
	"or pass --cdn to load it from " + EChartsCDN + " when the report is opened (needs network)")

// HTMLOptions configure WriteHTML. The zero value is valid but has no ECharts script, so
// WriteHTML fails with ErrNoECharts unless EChartsJS or AllowCDN is set.
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
	// MaxLogLines bounds the event log table; the page says how many lines were cut.
	// 0 means DefaultMaxLogLines.
	MaxLogLines int
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

//go:embed report.html.tmpl
var reportTmplText string

// reportTmpl is parsed once; a parse error is a programmer error, caught by every test.
var reportTmpl = template.Must(template.New("report").
	Funcs(template.FuncMap{"num": fmtFloat}).
	Parse(reportTmplText))

// WriteHTML writes a self-contained HTML report of r: an overview, one chart per HPA, the
// pending pods and the cluster's CPU requests over time, and the event log. The ECharts script
// is inlined from o.EChartsJS; see HTMLOptions for the alternatives. The same r and o
// always give the same bytes.
//
// Cost: O(P log P) for the P points of all series, and the size of the output.
func WriteHTML(w io.Writer, r *sim.Result, o HTMLOptions) error {
	if len(o.EChartsJS) == 0 && !o.AllowCDN {
		return fmt.Errorf("reports: write HTML: %w", ErrNoECharts)
	}
	if o.MaxPoints < 0 || o.MaxLogLines < 0 {
		return fmt.Errorf("reports: write HTML: MaxPoints %d and MaxLogLines %d must not be negative (0 means the default)",
			o.MaxPoints, o.MaxLogLines)
	}
	if o.MaxPoints == 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.MaxLogLines == 0 {
		o.MaxLogLines = DefaultMaxLogLines
	}
	v, err := buildView(r, o)
	if err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	// Render to memory first so that a template error never leaves half a page behind.
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("reports: write HTML: %w", err)
	}
	return nil
}

// htmlView is everything the template shows, computed in Go.
type htmlView struct {
	Title     string
	Overview  []kv
	S         *SummaryV1
	Charts    []chartView
	ChartJSON template.JS // [{"id": ..., "option": {...}}, ...]
	EChartsJS template.JS // inlined script, or empty
	CDN       string      // script URL when EChartsJS is empty
	Log       []logRow
	LogTotal  int
	LogCut    int
}

type kv struct{ K, V string }

type chartView struct {
	ID, Title string
	Notes     []string // downsampling notes
}

type logRow struct{ T, Kind, Object, Detail string }

type chartSpec struct {
	ID     string         `json:"id"`
	Option map[string]any `json:"option"`
}

func buildView(r *sim.Result, o HTMLOptions) (*htmlView, error) {
	s := Summary(r, o.Version)
	v := &htmlView{
		Title: "ksim report: " + r.Scenario,
		S:     s,
	}
	v.Overview = []kv{
		{"scenario", r.Scenario},
		{"seed", strconv.FormatUint(r.Seed, 10)},
		{"ksim version", o.Version},
		{"simulated duration", fmt.Sprintf("%s (%s s)", r.Duration, fmtFloat(s.DurationS))},
		{"events", strconv.FormatInt(r.Events, 10)},
		{"pods created / scheduled", fmt.Sprintf("%d / %d", s.Pods.Created, s.Pods.Scheduled)},
		{"pods pending at end (unschedulable)", fmt.Sprintf("%d (%d)", s.Pods.PendingAtEnd, s.Pods.UnschedulableAtEnd)},
		{"pods evicted / succeeded", fmt.Sprintf("%d / %d", s.Pods.Evicted, s.Pods.Succeeded)},
		{"pending time p50 / p95 / p99 / max", fmt.Sprintf("%s / %s / %s / %s s",
			fmtFloat(s.PendingS.P50), fmtFloat(s.PendingS.P95), fmtFloat(s.PendingS.P99), fmtFloat(s.PendingS.Max))},
		{"nodes (zones)", fmt.Sprintf("%d (%d)", s.Nodes.Count, s.Nodes.Zones)},
		{"allocatable CPU", fmtFloat(float64(s.Nodes.CPUAllocatableMilli)/1000) + " cores"},
		{"requested CPU, mean / max", fmt.Sprintf("%s%% / %s%%",
			fmtPercent(s.Nodes.CPURequestedFractionMean), fmtPercent(s.Nodes.CPURequestedFractionMax))},
	}

	u := pickUnit(r.Duration)
	var specs []chartSpec
	add := func(id, title string, c *charts.Line, notes []string) {
		c.Validate()
		specs = append(specs, chartSpec{ID: id, Option: c.JSON()})
		v.Charts = append(v.Charts, chartView{ID: id, Title: title, Notes: notes})
	}
	// Charts in the order of the summary's table: (namespace, name).
	order := make([]int, len(r.HPAs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ha, hb := &r.HPAs[a], &r.HPAs[b]
		return cmp.Or(cmp.Compare(ha.Namespace, hb.Namespace), cmp.Compare(ha.Name, hb.Name))
	})
	for i, k := range order {
		h := &r.HPAs[k]
		id := fmt.Sprintf("hpa-%d", i)
		c, notes := hpaChart(h, r.Duration, u, o.MaxPoints, id)
		add(id, fmt.Sprintf("HPA %s/%s → %s", h.Namespace, h.Name, h.Target), c, notes)
	}
	{
		c := newChart("pending", u, r.Duration, "pods", "")
		var notes []string
		addStep(c, "pending pods", r.Pending, r.Duration, u, o.MaxPoints, 0, &notes)
		add("pending", "Pending pods", c, notes)
	}
	if len(r.Nodes) > 0 {
		c := newChart("cpu", u, r.Duration, "cores", "")
		var notes []string
		reqs := make([]sim.Series, len(r.Nodes))
		for i, n := range r.Nodes {
			reqs[i] = n.RequestedCPU
		}
		req := scaleSeries(sumSeries(reqs), 1.0/1000)
		var alloc sim.Series
		alloc.Add(0, float64(s.Nodes.CPUAllocatableMilli)/1000)
		addStep(c, "requested", req, r.Duration, u, o.MaxPoints, 0, &notes)
		addStep(c, "allocatable", alloc, r.Duration, u, o.MaxPoints, 0, &notes,
			charts.WithLineStyleOpts(lineDashed))
		add("cpu", "Cluster CPU requests (all nodes)", c, notes)
	}

	// One chart per line keeps golden-file diffs readable. encoding/json escapes <, > and &
	// (and U+2028/9), so the JSON is safe inside <script>.
	var j bytes.Buffer
	j.WriteString("[\n")
	for i, sp := range specs {
		b, err := json.Marshal(sp)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", sp.ID, err)
		}
		j.Write(b)
		if i+1 < len(specs) {
			j.WriteByte(',')
		}
		j.WriteByte('\n')
	}
	j.WriteString("]")
	v.ChartJSON = template.JS(j.String())
	if len(o.EChartsJS) > 0 {
		v.EChartsJS = template.JS(scriptSafe(o.EChartsJS))
	} else {
		v.CDN = EChartsCDN
	}

	v.LogTotal = len(r.Log)
	n := min(len(r.Log), o.MaxLogLines)
	v.LogCut = len(r.Log) - n
	v.Log = make([]logRow, n)
	for i, e := range r.Log[:n] {
		v.Log[i] = logRow{T: e.T.String(), Kind: e.Kind, Object: e.Object, Detail: e.Detail}
	}
	return v, nil
}

var lineDashed = opts.LineStyle{Type: "dashed"}

// hpaChart plots the target's replicas, ready pods and the HPA's desired replicas (pods, left
// axis) with the demand and the unserved demand (cores, right axis).
func hpaChart(h *sim.HPAResult, end time.Duration, u timeUnit, maxPoints int, id string) (*charts.Line, []string) {
	c := newChart(id, u, end, "pods", "cores")
	var desired sim.Series
	for _, sy := range h.Syncs {
		desired.Add(sy.T, float64(sy.Desired))
	}
	var notes []string
	addStep(c, "replicas", h.Replicas, end, u, maxPoints, 0, &notes)
	addStep(c, "ready", h.Ready, end, u, maxPoints, 0, &notes)
	addStep(c, "desired", desired, end, u, maxPoints, 0, &notes, charts.WithLineStyleOpts(lineDashed))
	addStep(c, "demand (cores)", h.Demand, end, u, maxPoints, 1, &notes)
	addStep(c, "unserved (cores)", h.Unserved, end, u, maxPoints, 1, &notes,
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.3)}))
	return c, notes
}

// newChart returns a line chart over simulated time with one or two value axes.
func newChart(id string, u timeUnit, end time.Duration, leftName, rightName string) *charts.Line {
	left := opts.YAxis{Type: "value", Name: leftName}
	if leftName == "pods" {
		left.MinInterval = 1 // whole pods only
	}
	c := charts.NewLine()
	c.SetGlobalOptions(
		// An explicit ChartID: go-echarts would otherwise draw a random one.
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "60", Right: "70", Top: "40", Bottom: "70"}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}, opts.DataZoom{Type: "slider"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "time (" + u.name + ")",
			NameLocation: "middle", NameGap: 25, Min: 0, Max: round6(end.Seconds() / u.seconds)}),
		charts.WithYAxisOpts(left),
	)
	if rightName != "" {
		c.ExtendYAxis(opts.YAxis{Type: "value", Name: rightName, Position: "right"})
	}
	return c
}

// addStep adds the step series s to c on the y axis yAxis, downsampled to maxPoints, with a
// final point at end so that the last value is drawn to the end of the run. It appends a note
// to notes when it downsampled.
func addStep(c *charts.Line, name string, s sim.Series, end time.Duration, u timeUnit, maxPoints, yAxis int,
	notes *[]string, extra ...charts.SeriesOpts) {
	pts := downsample(s.Points, end, maxPoints)
	if len(pts) < len(s.Points) {
		*notes = append(*notes, fmt.Sprintf("%q has %d points; the chart shows %d "+
			"(first, min, max and last point of each of %d time buckets).",
			name, len(s.Points), len(pts), max(maxPoints/4, 1)))
	}
	data := make([][2]float64, 0, len(pts)+1)
	for _, p := range pts {
		data = append(data, [2]float64{round6(p.T.Seconds() / u.seconds), round6(p.V)})
	}
	if n := len(pts); n > 0 && pts[n-1].T < end {
		data = append(data, [2]float64{round6(end.Seconds() / u.seconds), round6(pts[n-1].V)})
	}
	o := []charts.SeriesOpts{
		// step "end": a value holds from its point until the next one, as in sim.Series.
		charts.WithLineChartOpts(opts.LineChart{Step: "end", YAxisIndex: yAxis, ShowSymbol: opts.Bool(false)}),
		// [x, y] pairs: far smaller than opts.LineData objects for long series.
		charts.WithSeriesOpts(func(ss *charts.SingleSeries) { ss.Data = data }),
	}
	c.AddSeries(name, nil, append(o, extra...)...)
}

// scaleSeries returns s with every value multiplied by f.
func scaleSeries(s sim.Series, f float64) sim.Series {
	out := sim.Series{Points: make([]sim.Point, len(s.Points))}
	for i, p := range s.Points {
		out.Points[i] = sim.Point{T: p.T, V: p.V * f}
	}
	return out
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

func fmtFloat(x float64) string { return strconv.FormatFloat(round6(x), 'f', -1, 64) }

func fmtPercent(frac float64) string { return strconv.FormatFloat(frac*100, 'f', 1, 64) }

// scriptEnd matches what would end a <script> element or start an HTML comment inside it.
var scriptEnd = regexp.MustCompile(`(?i)</script|<!--`)

// scriptSafe makes js safe to place between <script> and </script>: "</script" becomes
// "<\/script" and "<!--" becomes "<\x21--". Both mean the same in JS strings, regexps and
// comments, the only places where they can occur in real code. echarts.min.js 5.6 contains
// neither, so this normally copies nothing.
func scriptSafe(js []byte) []byte {
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
