package reports

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"ksim.dev/ksim/sim"
)

// This file holds what every chart of the report and of the comparison is made of: a page that
// collects chart options (built with go-echarts) and the view of each chart, line charts over
// simulated time fed with step series, and shaded spans.

// DefaultPointBudget bounds the points of all line-chart series of a page together; the
// per-series bound (HTMLOptions.MaxPoints) shrinks so that the page stays within it, but never
// below minSeriesPoints.
const (
	DefaultPointBudget = 400_000
	minSeriesPoints    = 400
)

// maxSpans bounds the shaded spans of one chart; closer spans of one reason are merged beyond it.
const maxSpans = 300

// palette is ECharts' default palette, named so that series of two runs can share colours.
var palette = []string{"#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"}

// Colours of the two runs of a comparison.
const (
	colorBase      = "#5470c6"
	colorCandidate = "#ee6666"
)

// page collects the charts of one HTML page.
type page struct {
	u         timeUnit
	end       time.Duration
	maxPoints int // per series
	specs     []chartSpec
}

// chartSpec is what the page's script draws into the element with the ID: the ECharts option,
// and for some kinds data that the script expands (see report.js).
type chartSpec struct {
	ID     string         `json:"id"`
	Kind   string         `json:"kind,omitempty"`  // "" (over time), "bar", "heat", "events"
	Group  string         `json:"group,omitempty"` // charts of one group zoom together
	Option map[string]any `json:"option"`
	Heat   *heatData      `json:"heat,omitempty"`
}

// chartView is what the template shows around a chart.
type chartView struct {
	ID, Title string
	Help      string   // one line under the title
	Notes     []string // downsampling and other notes, always shown
	Height    int      // px
	Legend    []swatch // an HTML legend (shaded spans)
}

// swatch is one entry of an HTML legend. Style is a CSS declaration built in Go from a fixed
// colour, so the template may trust it.
type swatch struct {
	Style template.CSS
	Label string
}

func newPage(end time.Duration, maxPoints, budget, longSeries int) *page {
	per := maxPoints
	if longSeries > 0 && budget/longSeries < per {
		per = max(budget/longSeries, minSeriesPoints)
	}
	return &page{u: pickUnit(end), end: end, maxPoints: per}
}

// add records a chart; c is validated (go-echarts fills defaults) and turned into its option.
func (pg *page) add(v chartView, kind, group string, option map[string]any, heat *heatData) chartView {
	if v.Height == 0 {
		v.Height = 340
	}
	pg.specs = append(pg.specs, chartSpec{ID: v.ID, Kind: kind, Group: group, Option: option, Heat: heat})
	return v
}

// timeChart returns a line chart over simulated time with one value axis.
func (pg *page) timeChart(id, leftName string) *charts.Line {
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
		charts.WithLegendOpts(opts.Legend{Top: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "60", Right: "70", Top: "40", Bottom: "70"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "time (" + pg.u.name + ")",
			NameLocation: "middle", NameGap: 25, Min: 0, Max: pg.x(pg.end)}),
		charts.WithYAxisOpts(left),
	)
	return c
}

// x is a time on the page's axis.
func (pg *page) x(t time.Duration) float64 { return round6(t.Seconds() / pg.u.seconds) }

// lineOpts are the options of one line series.
type lineOpts struct {
	color  string
	dashed bool
	area   float64 // area opacity; 0 for none
	width  float64
}

// addSteps adds the step series st to c, downsampled to the page's bound, with a final point at
// the end of the run so that the last value is drawn to the end. It appends to notes what was
// downsampled, before storing (Steps.Recorded) and for drawing. NaN values are gaps.
func (pg *page) addSteps(c *charts.Line, name string, st Steps, o lineOpts, notes *[]string) {
	if st.Recorded > len(st.Points) {
		*notes = append(*notes, fmt.Sprintf("%q: the run recorded %d points, of which result.json kept %d "+
			"(first, min, max and last point of equal time buckets).", name, st.Recorded, len(st.Points)))
	}
	pts := downsample(st.Points, pg.end, pg.maxPoints)
	if len(pts) < len(st.Points) {
		*notes = append(*notes, fmt.Sprintf("%q has %d points; the chart shows %d "+
			"(first, min, max and last point of each of %d equal time buckets).",
			name, len(st.Points), len(pts), max(pg.maxPoints/4, 1)))
	}
	data := make(xyData, 0, len(pts)+1)
	for _, p := range pts {
		data = append(data, [2]float64{pg.x(p.T), p.V})
	}
	if n := len(pts); n > 0 && pts[n-1].T < pg.end {
		data = append(data, [2]float64{pg.x(pg.end), pts[n-1].V})
	}
	pg.addXY(c, name, data, o)
}

// addXY adds a line series of raw points (xyData or xyzData).
func (pg *page) addXY(c *charts.Line, name string, data json.Marshaler, o lineOpts) {
	c.AddSeries(name, nil, charts.WithSeriesOpts(func(ss *charts.SingleSeries) {
		// step "end": a value holds from its point until the next one, as in sim.Series.
		ss.Step = "end"
		ss.ShowSymbol = opts.Bool(false)
		ss.Data = data
		ls := &opts.LineStyle{}
		if o.dashed {
			ls.Type = "dashed"
		}
		if o.width > 0 {
			ls.Width = float32(o.width)
		}
		if o.color != "" {
			ls.Color = o.color
			ss.ItemStyle = &opts.ItemStyle{Color: o.color}
		}
		if *ls != (opts.LineStyle{}) {
			ss.LineStyle = ls
		}
		if o.area > 0 {
			ss.AreaStyle = &opts.AreaStyle{Opacity: opts.Float(float32(o.area))}
		}
	}))
}

// constLine is a series that holds v over the whole run.
func (pg *page) constLine(v float64) xyData {
	return xyData{{0, v}, {pg.x(pg.end), v}}
}

// option validates c and returns its ECharts option.
func option(c interface {
	Validate()
	JSON() map[string]any
}) map[string]any {
	c.Validate()
	return c.JSON()
}

// timeOption is option for a chart over time: it adds zooming (go-echarts' DataZoom lacks
// filterMode, and the default mode would drop the point that a step line starts from when it
// lies left of the window).
func timeOption(c *charts.Line) map[string]any {
	o := option(c)
	o["dataZoom"] = []map[string]any{
		{"type": "inside", "filterMode": "none"},
		{"type": "slider", "filterMode": "none", "height": 20, "bottom": 8},
	}
	return o
}

// xyData is a line series' data: [x, y] pairs, written with 6 decimals at most and null for a
// NaN y (a gap).
type xyData [][2]float64

// MarshalJSON writes [[x,y],...].
func (d xyData) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16*len(d)+2)
	b = append(b, '[')
	for i, p := range d {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendNum(b, p[0])
		b = append(b, ',')
		b = appendNum(b, p[1])
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// xyzData is xyData with a third value per point, which the tooltip shows instead of y.
type xyzData [][3]float64

// MarshalJSON writes [[x,y,z],...].
func (d xyzData) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 24*len(d)+2)
	b = append(b, '[')
	for i, p := range d {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendNum(b, p[0])
		b = append(b, ',')
		b = appendNum(b, p[1])
		b = append(b, ',')
		b = appendNum(b, p[2])
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// appendNum appends x rounded to 6 decimals, or null when it is not finite.
func appendNum(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, round6(x), 'f', -1, 64)
}

// spanColors shade the reasons an HPA was held back; other reasons get spanOther.
var spanColors = map[string]string{
	"ScaleDownStabilized": "rgba(84,112,198,0.16)",
	"ScaleUpStabilized":   "rgba(145,204,117,0.25)",
	"TooFewReplicas":      "rgba(120,120,120,0.18)",
	"TooManyReplicas":     "rgba(238,102,102,0.20)",
	"ScaleUpLimit":        "rgba(252,132,82,0.22)",
	"ScaleDownLimit":      "rgba(154,96,180,0.20)",
}

const spanOther = "rgba(250,200,88,0.28)"

func spanColor(reason string) string {
	if c, ok := spanColors[reason]; ok {
		return c
	}
	return spanOther
}

// shade adds the spans to the first series of c as a markArea, merging spans of one reason that
// are closer than needed to keep at most maxSpans (said in notes), and returns the legend: each
// reason with its colour and total time.
func (pg *page) shade(c *charts.Line, spans []SpanV1, notes *[]string) []swatch {
	if len(spans) == 0 || len(c.MultiSeries) == 0 {
		return nil
	}
	total := map[string]float64{}
	var reasons []string
	for _, s := range spans {
		if _, ok := total[s.Reason]; !ok {
			reasons = append(reasons, s.Reason)
		}
		total[s.Reason] += s.ToS - s.FromS
	}
	slices.Sort(reasons)
	drawn, gap := coarsenSpans(spans, maxSpans, pg.end.Seconds())
	if len(drawn) < len(spans) {
		*notes = append(*notes, fmt.Sprintf("%d spans of held-back scaling; the chart shades %d "+
			"(spans of one reason less than %s apart are drawn as one).", len(spans), len(drawn), fmtSeconds(gap)))
	}
	data := make([]any, 0, len(drawn))
	for _, s := range drawn {
		data = append(data, []map[string]any{
			{"name": s.Reason, "xAxis": round6(s.FromS / pg.u.seconds), "itemStyle": map[string]any{"color": spanColor(s.Reason)}},
			{"xAxis": round6(s.ToS / pg.u.seconds)},
		})
	}
	ss := &c.MultiSeries[0]
	ss.MarkAreas = &opts.MarkAreas{Data: data, MarkAreaStyle: opts.MarkAreaStyle{
		Label: &opts.Label{Show: opts.Bool(false)},
	}}
	legend := make([]swatch, 0, len(reasons))
	for _, r := range reasons {
		legend = append(legend, swatch{Style: template.CSS("background-color: " + spanColor(r)),
			Label: fmt.Sprintf("%s (%s in all)", r, fmtSeconds(total[r]))})
	}
	return legend
}

// coarsenSpans merges spans of the same reason separated by less than a gap, doubling the gap
// from 1/limit of the run until at most limit spans remain. It returns the spans in time order
// and the gap used (0 when nothing was merged). Cost: O(n log n) per round.
func coarsenSpans(spans []SpanV1, limit int, endS float64) ([]SpanV1, float64) {
	if len(spans) <= limit {
		return spans, 0
	}
	gap := max(endS/float64(limit), 1e-6)
	for {
		byReason := slices.Clone(spans)
		slices.SortStableFunc(byReason, func(a, b SpanV1) int {
			if a.Reason != b.Reason {
				if a.Reason < b.Reason {
					return -1
				}
				return 1
			}
			return 0
		})
		var out []SpanV1
		for _, s := range byReason {
			if n := len(out); n > 0 && out[n-1].Reason == s.Reason && s.FromS-out[n-1].ToS < gap {
				out[n-1].ToS = max(out[n-1].ToS, s.ToS)
				continue
			}
			out = append(out, s)
		}
		if len(out) <= limit {
			slices.SortStableFunc(out, func(a, b SpanV1) int {
				switch {
				case a.FromS < b.FromS:
					return -1
				case a.FromS > b.FromS:
					return 1
				}
				return 0
			})
			return out, gap
		}
		gap *= 2
	}
}

// fmtSeconds prints seconds as a short duration with its non-zero parts: "45s", "1.5s",
// "12m30s", "3h5m", "2d4h". Above a day it drops the seconds, above 100 days the minutes.
func fmtSeconds(s float64) string {
	if s < 60 && s != math.Trunc(s) {
		return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64) + "s"
	}
	n := int64(math.Round(s))
	if n == 0 {
		return "0s"
	}
	var b []byte
	if n < 0 {
		b, n = append(b, '-'), -n
	}
	parts := []struct {
		unit string
		size int64
	}{{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}}
	for _, p := range parts {
		v := n / p.size
		n %= p.size
		if (p.unit == "s" && s >= 86400) || (p.unit == "m" && s >= 100*86400) {
			break
		}
		if v > 0 {
			b = strconv.AppendInt(b, v, 10)
			b = append(b, p.unit...)
		}
	}
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return "0s"
	}
	return string(b)
}

// barChart returns a bar chart over the given categories.
func barChart(id string, categories []string, yName string) *charts.Bar {
	c := charts.NewBar()
	c.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "60", Right: "30", Top: "40", Bottom: "40"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, MinInterval: 1}),
	)
	c.SetXAxis(categories)
	return c
}

// barData turns counts into bar data, each labelled with its count so that a bar of a few pods
// next to one of thousands is still seen; a zero count is no bar and no label.
func barData(counts []int, color string) []opts.BarData {
	out := make([]opts.BarData, len(counts))
	for i, n := range counts {
		out[i] = opts.BarData{ItemStyle: &opts.ItemStyle{Color: color}}
		if n > 0 {
			out[i].Value = n
			out[i].Label = &opts.Label{Show: opts.Bool(true), Position: "top"}
		}
	}
	return out
}

// groupColor is the palette colour of the i-th group.
func groupColor(i int) string { return palette[i%len(palette)] }

// groupPercent returns requested/allocatable and used/allocatable of a group, in percent. When
// the numerator was downsampled for storage, Recorded says by how much.
func groupPercent(g GroupV1) (req, used Steps) {
	pct := func(num Steps) Steps {
		pts := ratioSeries(sim.Series{Points: num.Points}, sim.Series{Points: g.Allocatable.Points})
		for i := range pts {
			pts[i].V *= 100
		}
		return Steps{Points: pts, Recorded: len(pts) + num.Recorded - len(num.Points)}
	}
	return pct(g.Requested), pct(g.Used)
}
