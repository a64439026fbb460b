package sweep

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"ksim.dev/ksim/reports"
)

// HTMLOptions configure WriteHTML, as reports.HTMLOptions do for report.html.
type HTMLOptions struct {
	// EChartsJS is the content of echarts.min.js, inlined so that the page works offline and
	// stays as it was written.
	EChartsJS []byte
	// AllowCDN lets the page load ECharts from reports.EChartsCDN when EChartsJS is empty.
	AllowCDN bool
}

//go:embed sweep.html.tmpl
var pageTmplText string

// pageTmpl is parsed once; a parse error is a programmer error, caught by every test.
var pageTmpl = template.Must(template.New("sweep").Parse(pageTmplText))

// WriteHTML writes sweep.html: the sweep's settings, the best variants, one chart per key
// figure against the values of the x axis (one line per combination of the other axes, the
// budget as a dashed line, the best variant marked), and the whole table. The same table and
// options give the same bytes.
func (t *Table) WriteHTML(w io.Writer, o HTMLOptions) error {
	if len(o.EChartsJS) == 0 && !o.AllowCDN {
		return fmt.Errorf("sweep: write HTML: %w", reports.ErrNoECharts)
	}
	v, err := t.view(o)
	if err != nil {
		return fmt.Errorf("sweep: write HTML: %w", err)
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, v); err != nil {
		return fmt.Errorf("sweep: write HTML: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

type pageView struct {
	Title     string
	Overview  [][2]string
	Best      []string
	Charts    []chartView
	Header    []string
	Rows      []pageRow
	ChartJSON template.JS
	EChartsJS template.JS
	CDN       string
}

type chartView struct{ ID, Title, Meaning string }

type pageRow struct {
	Cells      []string
	Best, Fail bool
	Over       bool // ran, but misses a budget
}

func (t *Table) view(o HTMLOptions) (*pageView, error) {
	v := &pageView{Title: "ksim sweep: " + t.Scenario}
	v.Overview = [][2]string{
		{"scenario", t.Scenario},
		{"ksim version", t.KsimVersion},
		{"sweep id", t.SweepID},
		{"variants", fmt.Sprint(len(t.Rows))},
	}
	for _, a := range t.Axes {
		v.Overview = append(v.Overview, [2]string{"varied: " + a.Label(), strings.Join(a.Values, ", ")})
	}
	v.Overview = append(v.Overview,
		[2]string{"budgets", budgetsText(t.Spec.Budgets)},
		[2]string{"minimize", strings.Join(t.Spec.Minimize, ", then ")})
	if in, run := t.Failed(); in+run > 0 {
		v.Overview = append(v.Overview, [2]string{"failed variants", fmt.Sprintf("%d did not load, %d runs failed (see the table)", in, run)})
	}
	var best bytes.Buffer
	t.WriteBest(&best)
	v.Best = strings.Split(strings.TrimSuffix(best.String(), "\n"), "\n")

	specs, err := t.charts()
	if err != nil {
		return nil, err
	}
	for i, f := range Figures {
		v.Charts = append(v.Charts, chartView{ID: chartID(i), Title: f.Name + unitSuffix(f.Unit), Meaning: f.Meaning})
	}
	// One chart per line keeps golden diffs readable; encoding/json escapes <, > and &, so the
	// JSON is safe inside <script>.
	var j bytes.Buffer
	j.WriteString("[\n")
	for i, sp := range specs {
		b, err := json.Marshal(sp)
		if err != nil {
			return nil, err
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
		v.EChartsJS = template.JS(reports.ScriptSafe(o.EChartsJS))
	} else {
		v.CDN = reports.EChartsCDN
	}

	v.Header = append([]string{"variant"}, axisLabels(t.Axes)...)
	for _, f := range Figures {
		v.Header = append(v.Header, f.Name)
	}
	v.Header = append(v.Header, "within budget", "best", "error")
	for _, r := range t.Rows {
		cells := []string{fmt.Sprint(r.Index)}
		cells = append(cells, r.Values...)
		for i := range Figures {
			if r.Figures == nil {
				cells = append(cells, "")
			} else {
				cells = append(cells, formatNumber(r.Figures[i]))
			}
		}
		cells = append(cells, yesNo(r.WithinBudget), yesNo(r.Best), r.Error)
		v.Rows = append(v.Rows, pageRow{Cells: cells, Best: r.Best, Fail: r.Error != "", Over: r.Error == "" && !r.WithinBudget})
	}
	return v, nil
}

func chartID(i int) string { return fmt.Sprintf("fig-%d", i) }

func unitSuffix(u string) string {
	if u == "" {
		return ""
	}
	return " (" + u + ")"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func axisLabels(axes []AxisInfo) []string {
	out := make([]string, len(axes))
	for i, a := range axes {
		out[i] = a.Label()
	}
	return out
}

type chartSpec struct {
	ID     string         `json:"id"`
	Option map[string]any `json:"option"`
}

// charts builds one chart per figure: the x axis is the spec's X axis (its values as
// categories, in order), and each combination of the other axes' values is a line.
func (t *Table) charts() ([]chartSpec, error) {
	x, err := axisNamed(t.Axes, t.Spec.X)
	if err != nil {
		return nil, err
	}
	sizes := axisSizes(t.Axes)
	short := shortLabels(t.Axes)
	// Lines: every combination of the other axes, in variant order.
	type line struct {
		name string
		rows []int // row index per x value
	}
	var lines []*line
	byKey := map[string]*line{}
	for i, r := range t.Rows {
		c := coords(sizes, r.Index)
		var parts []string
		for a, v := range r.Values {
			if a != x {
				parts = append(parts, short[a]+"="+v)
			}
		}
		key := strings.Join(parts, ", ")
		l := byKey[key]
		if l == nil {
			l = &line{name: key, rows: make([]int, sizes[x])}
			if key == "" {
				l.name = "all"
			}
			for k := range l.rows {
				l.rows[k] = -1
			}
			byKey[key] = l
			lines = append(lines, l)
		}
		l.rows[c[x]] = i
	}
	budgets := map[string][]Budget{}
	for _, b := range t.Spec.Budgets {
		budgets[b.Figure] = append(budgets[b.Figure], b)
	}
	var specs []chartSpec
	for fi, f := range Figures {
		id := chartID(fi)
		c := charts.NewLine()
		c.SetGlobalOptions(
			// An explicit ChartID: go-echarts would otherwise draw a random one.
			charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
			charts.WithAnimation(false),
			charts.WithTooltipOpts(opts.Tooltip{Trigger: "axis"}),
			charts.WithLegendOpts(opts.Legend{Top: "0", Type: "scroll"}),
			charts.WithGridOpts(opts.Grid{Left: "70", Right: "40", Top: "50", Bottom: "50"}),
			charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: short[x], NameLocation: "middle", NameGap: 30}),
			charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: f.Unit, Scale: opts.Bool(true)}),
		)
		c.SetXAxis(t.Axes[x].Values)
		for li, l := range lines {
			data := make([]any, len(l.rows))
			var marks []opts.MarkPointNameCoordItem
			for k, ri := range l.rows {
				if ri < 0 || t.Rows[ri].Figures == nil {
					continue // null: a gap in the line
				}
				data[k] = t.Rows[ri].Figures[fi]
				if t.Rows[ri].Best {
					marks = append(marks, opts.MarkPointNameCoordItem{
						Name: "best", Coordinate: []any{t.Axes[x].Values[k], data[k]}, Value: "best",
						Symbol: "pin", SymbolSize: 40,
					})
				}
			}
			so := []charts.SeriesOpts{
				charts.WithSeriesOpts(func(ss *charts.SingleSeries) { ss.Data = data }),
				charts.WithLineChartOpts(opts.LineChart{ConnectNulls: opts.Bool(false)}),
			}
			if len(marks) > 0 {
				so = append(so, charts.WithMarkPointNameCoordItemOpts(marks...))
			}
			if li == 0 && len(budgets[f.Name]) > 0 {
				var items []opts.MarkLineNameYAxisItem
				for _, b := range budgets[f.Name] {
					items = append(items, opts.MarkLineNameYAxisItem{Name: "budget " + b.String(), YAxis: b.Value})
				}
				so = append(so, charts.WithMarkLineNameYAxisItemOpts(items...),
					charts.WithMarkLineStyleOpts(opts.MarkLineStyle{
						Symbol:    []string{"none", "none"},
						LineStyle: &opts.LineStyle{Type: "dashed", Color: "#c00"},
						Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop"},
					}))
			}
			c.AddSeries(l.name, nil, so...)
		}
		c.Validate()
		specs = append(specs, chartSpec{ID: id, Option: c.JSON()})
	}
	return specs, nil
}

// shortLabels names each axis for chart legends: the last field of its first path, or the
// whole label when two axes would share a short name.
func shortLabels(axes []AxisInfo) []string {
	out := make([]string, len(axes))
	count := map[string]int{}
	for i, a := range axes {
		p := a.Paths[0]
		if k := strings.LastIndexAny(p, ".:"); k >= 0 {
			p = p[k+1:]
		}
		if len(a.Paths) > 1 {
			p += "+…"
		}
		out[i] = p
		count[p]++
	}
	for i, a := range axes {
		if count[out[i]] > 1 {
			out[i] = a.Label()
		}
	}
	return out
}
