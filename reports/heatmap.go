package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"ksim.dev/ksim/sim"
)

// Bounds of the node heatmaps (HTMLOptions.MaxHeatRows, MaxHeatColumns).
const (
	DefaultMaxHeatRows    = 240
	DefaultMaxHeatColumns = 360
	// maxHeatEvents bounds the node events marked on a heatmap.
	maxHeatEvents = 2000
)

// heatWidths are the cell widths a heatmap may use: the smallest that keeps the columns within
// the bound is taken, so that a cell is a round span of time.
var heatWidths = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	48 * time.Hour, 7 * 24 * time.Hour,
}

// heatData is what the page's script turns into a heatmap: Rows[row][column] is a percentage
// (rounded to an integer), or -1 where there is no node; Events mark node events as
// [column, row, text].
type heatData struct {
	Rows   [][]int `json:"rows"`
	Events [][]any `json:"events"`
}

// heatLayout is the rows of the node heatmaps: nodes sorted by zone, pool and name, a header row
// before each (zone, pool) group, and consecutive nodes of a group merged into one row when
// there are more nodes than rows.
type heatLayout struct {
	labels  []string
	members [][]int // node indexes per row; nil for a header row
	rowOf   []int   // row of each node
	perRow  int     // nodes per row (1: one row per node)
	width   time.Duration
	cols    int
}

func newHeatLayout(r *sim.Result, maxRows, maxCols int) heatLayout {
	idx := make([]int, len(r.Nodes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		na, nb := &r.Nodes[a], &r.Nodes[b]
		return cmp.Or(cmp.Compare(na.Zone, nb.Zone), cmp.Compare(na.Pool, nb.Pool), cmp.Compare(na.Name, nb.Name))
	})
	type grp struct {
		zone, pool string
		nodes      []int
	}
	var groups []grp
	for _, i := range idx {
		n := &r.Nodes[i]
		if k := len(groups); k > 0 && groups[k-1].zone == n.Zone && groups[k-1].pool == n.Pool {
			groups[k-1].nodes = append(groups[k-1].nodes, i)
			continue
		}
		groups = append(groups, grp{zone: n.Zone, pool: n.Pool, nodes: []int{i}})
	}
	l := heatLayout{rowOf: make([]int, len(r.Nodes)), perRow: 1}
	if free := maxRows - len(groups); len(r.Nodes) > free {
		// Each group takes ceil(len/perRow) rows; find the smallest perRow that fits.
		for l.perRow = max(len(r.Nodes)/max(free, 1), 1); ; l.perRow++ {
			rows := 0
			for _, g := range groups {
				rows += (len(g.nodes) + l.perRow - 1) / l.perRow
			}
			if rows <= max(free, len(groups)) {
				break
			}
		}
	}
	dash := func(s string) string {
		if s == "" {
			return "–"
		}
		return s
	}
	for _, g := range groups {
		l.labels = append(l.labels, fmt.Sprintf("▸ zone %s · pool %s (%d)", dash(g.zone), dash(g.pool), len(g.nodes)))
		l.members = append(l.members, nil)
		for k := 0; k < len(g.nodes); k += l.perRow {
			part := g.nodes[k:min(k+l.perRow, len(g.nodes))]
			label := r.Nodes[part[0]].Name
			if len(part) > 1 {
				label = fmt.Sprintf("%s … %s", label, r.Nodes[part[len(part)-1]].Name)
			}
			for _, i := range part {
				l.rowOf[i] = len(l.labels)
			}
			l.labels = append(l.labels, label)
			l.members = append(l.members, part)
		}
	}
	l.width = heatWidths[len(heatWidths)-1]
	for _, w := range heatWidths {
		if int((r.Duration+w-1)/w) <= maxCols {
			l.width = w
			break
		}
	}
	l.cols = max(int((r.Duration+l.width-1)/l.width), 1)
	return l
}

// heatRows computes one heatmap: for each row and column, 100 × (the integral of the series of
// the row's nodes over the cell) / (the integral of their allocatable CPU over the cell), i.e.
// the time-weighted mean share of their allocatable CPU; -1 where none of them existed.
// Cost: O(points + nodes × columns).
func heatRows(l heatLayout, nodes []nodeSeriesT, alloc []int64, series func(*nodeSeriesT) sim.Series) [][]int {
	out := make([][]int, len(l.members))
	for row, m := range l.members {
		cells := make([]int, l.cols)
		for c := range cells {
			cells[c] = -1
		}
		out[row] = cells
		if m == nil {
			continue
		}
		num := make([]float64, l.cols)
		den := make([]float64, l.cols)
		for _, i := range m {
			ns := &nodes[i]
			means := bucketMeans(series(ns).Points, ns.from, ns.to, 0, l.width, l.cols)
			for c, v := range means {
				if math.IsNaN(v) {
					continue
				}
				lo, hi := max(time.Duration(c)*l.width, ns.from), min(time.Duration(c+1)*l.width, ns.to)
				w := float64(hi - lo)
				num[c] += v * w
				den[c] += float64(alloc[i]) * w
			}
		}
		for c := range cells {
			if den[c] > 0 {
				cells[c] = int(math.Round(100 * num[c] / den[c]))
			} else if num[c] == 0 && hasOverlap(m, nodes, l, c) {
				cells[c] = 0 // nodes without allocatable CPU
			}
		}
	}
	return out
}

func hasOverlap(m []int, nodes []nodeSeriesT, l heatLayout, c int) bool {
	lo, hi := time.Duration(c)*l.width, time.Duration(c+1)*l.width
	for _, i := range m {
		if nodes[i].from < hi && nodes[i].to > lo {
			return true
		}
	}
	return false
}

// heatChart builds one node heatmap chart: allocation or usage.
func (pg *page) heatChart(id, title, help string, r *sim.Result, l heatLayout, nodes []nodeSeriesT,
	series func(*nodeSeriesT) sim.Series, notes []string) chartView {
	alloc := make([]int64, len(r.Nodes))
	for i := range r.Nodes {
		alloc[i] = r.Nodes[i].AllocatableCPU
	}
	data := &heatData{Rows: heatRows(l, nodes, alloc, series), Events: [][]any{}}
	var marked int
	var total int
	byName := map[string]int{}
	for i := range r.Nodes {
		byName[r.Nodes[i].Name] = i
	}
	for _, e := range r.Log {
		if e.Kind != "node" {
			continue
		}
		i, ok := byName[strings.TrimPrefix(e.Object, "node/")]
		if !ok {
			continue
		}
		total++
		if marked >= maxHeatEvents {
			continue
		}
		col := min(int(e.T/l.width), l.cols-1)
		data.Events = append(data.Events, []any{col, l.rowOf[i], fmt.Sprintf("%s %s: %s", fmtSeconds(e.T.Seconds()), e.Object, e.Detail)})
		marked++
	}
	if total > marked {
		notes = append(notes, fmt.Sprintf("%d node events; the first %d are marked.", total, marked))
	}
	cols := make([]string, l.cols)
	for c := range cols {
		cols[c] = fmtSeconds((time.Duration(c) * l.width).Seconds())
	}
	c := charts.NewHeatMap()
	c.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{ChartID: id}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}),
		charts.WithGridOpts(opts.Grid{Left: "190", Right: "30", Top: "30", Bottom: "80"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: cols, Name: "time (cell start)",
			NameLocation: "middle", NameGap: 25, SplitArea: &opts.SplitArea{Show: opts.Bool(false)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: l.labels, Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{FontSize: 10}}),
	)
	c.AddSeries("share of allocatable CPU (%)", nil, charts.WithSeriesOpts(func(ss *charts.SingleSeries) {
		ss.Data = []any{}
	}))
	c.AddSeries("node events", nil, charts.WithSeriesOpts(func(ss *charts.SingleSeries) {
		ss.Type = "scatter"
		ss.Symbol = "triangle"
		ss.SymbolSize = 9
		ss.ItemStyle = &opts.ItemStyle{Color: "#111", BorderColor: "#fff", BorderWidth: 1}
		ss.Data = []any{}
	}))
	rows := len(l.labels)
	rowPx := 18
	if rows > 30 {
		rowPx = max(3, 1100/rows)
	}
	if l.perRow > 1 {
		notes = append(notes, fmt.Sprintf("%d nodes in %d rows: each row merges up to %d consecutive nodes of one zone and pool "+
			"(its share is their summed CPU over their summed allocatable CPU).", len(r.Nodes), rows, l.perRow))
	}
	o := option(c)
	// go-echarts' VisualMap has no seriesIndex: set the map by hand, for the heatmap only.
	o["visualMap"] = []map[string]any{{
		"type": "continuous", "min": 0, "max": 100, "calculable": true, "seriesIndex": 0,
		"orient": "horizontal", "left": "center", "bottom": 0, "text": []string{"100 %", "0 %"},
		"inRange": map[string]any{"color": []string{"#f7fbff", "#6baed6", "#08519c", "#fc8d59", "#b30000"}},
	}}
	o["dataZoom"] = []map[string]any{{"type": "inside", "xAxisIndex": 0}}
	return pg.add(chartView{ID: id, Title: title, Help: help, Notes: notes, Height: 140 + rows*rowPx},
		"heat", "", o, data)
}

// heatNote describes the cells of a heatmap.
func heatNote(l heatLayout) string {
	return fmt.Sprintf("Each cell is %s: the time-weighted mean over the cell.", fmtSeconds(l.width.Seconds()))
}
