package reports

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"ksim.dev/ksim/sim"
)

// CompareRun is one side of a comparison: a run's digest (result.json) and where it came from,
// as the page should name it (a directory, a scenario file).
type CompareRun struct {
	Digest *Digest
	Source string
}

// FigureDelta is one key figure of two runs. LowerIsBetter marks figures where a higher value
// in the candidate is a regression (pending time, unschedulable pods, evictions, unserved
// demand); the others are not judged.
type FigureDelta struct {
	Name          string
	Unit          string
	Base          float64
	Candidate     float64
	LowerIsBetter bool
}

// Delta is Candidate - Base.
func (f FigureDelta) Delta() float64 { return f.Candidate - f.Base }

// Percent is the change relative to Base, in percent; NaN when Base is 0.
func (f FigureDelta) Percent() float64 {
	if f.Base == 0 {
		return math.NaN()
	}
	return 100 * (f.Candidate - f.Base) / math.Abs(f.Base)
}

// Verdict is "worse", "better" or "" (not judged, or unchanged).
func (f FigureDelta) Verdict() string {
	if !f.LowerIsBetter || f.Candidate == f.Base {
		return ""
	}
	if f.Candidate > f.Base {
		return "worse"
	}
	return "better"
}

// CompareFigures lists the key figures of two summaries side by side: the run's figures, then
// per HPA present in both (by namespace and name) its replicas, scale events and unserved
// demand. Cost: O(HPAs log HPAs).
func CompareFigures(base, cand *SummaryV1) []FigureDelta {
	type fig struct {
		name, unit string
		lower      bool
		get        func(*SummaryV1) float64
	}
	figs := []fig{
		{"pods created", "pods", false, func(s *SummaryV1) float64 { return float64(s.Pods.Created) }},
		{"pods scheduled", "pods", false, func(s *SummaryV1) float64 { return float64(s.Pods.Scheduled) }},
		{"unschedulable at end", "pods", true, func(s *SummaryV1) float64 { return float64(s.Pods.UnschedulableAtEnd) }},
		{"ever unschedulable", "pods", true, func(s *SummaryV1) float64 { return float64(s.Pods.EverUnschedulable) }},
		{"pending at end", "pods", true, func(s *SummaryV1) float64 { return float64(s.Pods.PendingAtEnd) }},
		{"evicted", "pods", true, func(s *SummaryV1) float64 { return float64(s.Pods.Evicted) }},
		{"preempted", "pods", true, func(s *SummaryV1) float64 { return float64(s.Pods.Preempted) }},
		{"pending p50", "s", true, func(s *SummaryV1) float64 { return s.PendingS.P50 }},
		{"pending p95", "s", true, func(s *SummaryV1) float64 { return s.PendingS.P95 }},
		{"pending p99", "s", true, func(s *SummaryV1) float64 { return s.PendingS.P99 }},
		{"pending max", "s", true, func(s *SummaryV1) float64 { return s.PendingS.Max }},
		{"pending mean", "s", true, func(s *SummaryV1) float64 { return s.PendingS.Mean }},
		{"nodes", "nodes", false, func(s *SummaryV1) float64 { return float64(s.Nodes.Count) }},
		{"nodes at once, max", "nodes", false, func(s *SummaryV1) float64 { return float64(s.Nodes.MaxLive) }},
		{"CPU requested, mean", "% of allocatable", false, func(s *SummaryV1) float64 { return 100 * s.Nodes.CPURequestedFractionMean }},
		{"CPU used, mean", "% of allocatable", false, func(s *SummaryV1) float64 { return 100 * s.Nodes.CPUUsedFractionMean }},
		{"scale events", "events", false, func(s *SummaryV1) float64 { return float64(s.HPATotals.ScaleEvents) }},
		{"demand", "core·s", false, func(s *SummaryV1) float64 { return s.HPATotals.DemandCoreSeconds }},
		{"unserved demand", "core·s", true, func(s *SummaryV1) float64 { return s.HPATotals.UnservedCoreSeconds }},
		{"unserved share", "% of demand", true, func(s *SummaryV1) float64 { return 100 * s.HPATotals.UnservedFraction }},
	}
	out := make([]FigureDelta, 0, len(figs)+3*len(base.HPAs))
	for _, f := range figs {
		out = append(out, FigureDelta{Name: f.name, Unit: f.unit, Base: round6(f.get(base)), Candidate: round6(f.get(cand)), LowerIsBetter: f.lower})
	}
	for _, b := range base.HPAs {
		i := slices.IndexFunc(cand.HPAs, func(c HPASummaryV1) bool { return c.Namespace == b.Namespace && c.Name == b.Name })
		if i < 0 {
			continue
		}
		c := cand.HPAs[i]
		key := "HPA " + b.Namespace + "/" + b.Name + ": "
		out = append(out,
			FigureDelta{Name: key + "replicas max", Unit: "pods", Base: float64(b.Replicas.Max), Candidate: float64(c.Replicas.Max)},
			FigureDelta{Name: key + "replicas final", Unit: "pods", Base: float64(b.Replicas.Final), Candidate: float64(c.Replicas.Final)},
			FigureDelta{Name: key + "scale events", Unit: "events", Base: float64(len(b.ScaleEvents)), Candidate: float64(len(c.ScaleEvents))},
			FigureDelta{Name: key + "unserved", Unit: "core·s", Base: b.UnservedCoreSeconds, Candidate: c.UnservedCoreSeconds, LowerIsBetter: true},
		)
	}
	return out
}

// compareView is what the compare template shows.
type compareView struct {
	Title, Version            string
	ColorBase, ColorCandidate template.CSS
	Runs                      []runRow
	Figures                   []deltaRow
	SettingDiffs              []settingDiff
	HPAs                      []hpaSection
	Scheduling                []chartView
	Nodes                     []chartView
	BaseSource                string
	CandidateSource           string
	Budget                    string
	pageAssets
}

type runRow struct{ Label, Base, Candidate string }

type deltaRow struct{ Label, Unit, Base, Candidate, Delta, Percent, Class string }

type settingDiff struct{ Name, Base, Candidate string }

// compareData is window.KSIM_DATA of a comparison.
type compareData struct {
	Charts []chartSpec   `json:"charts"`
	Unit   timeUnitJSON  `json:"unit"`
	Events *timelineData `json:"events"`
}

// WriteCompareHTML writes a self-contained page that compares two runs: their key figures with
// the change, the settings that differ, and the charts of the report drawn with both runs
// overlaid (base solid, candidate dashed, in two colours). HPAs are matched by namespace and
// name; an HPA in one run only is drawn alone. The same inputs always give the same bytes.
func WriteCompareHTML(w io.Writer, base, cand CompareRun, o HTMLOptions) error {
	o, err := o.withDefaults()
	if err != nil {
		return fmt.Errorf("reports: write comparison: %w", err)
	}
	if base.Digest == nil || cand.Digest == nil || base.Digest.Summary == nil || cand.Digest.Summary == nil {
		return fmt.Errorf("reports: write comparison: a run has no digest or summary")
	}
	v, err := buildCompare(base, cand, o)
	if err != nil {
		return fmt.Errorf("reports: write comparison: %w", err)
	}
	return renderPage(w, "compare", v)
}

func buildCompare(base, cand CompareRun, o HTMLOptions) (*compareView, error) {
	b, c := base.Digest, cand.Digest
	bs, cs := b.Summary, c.Summary
	v := &compareView{
		Title:           fmt.Sprintf("ksim comparison: %s vs %s", bs.Scenario, cs.Scenario),
		Version:         o.Version,
		ColorBase:       template.CSS("background-color: " + colorBase),
		ColorCandidate:  template.CSS("background-color: " + colorCandidate),
		BaseSource:      base.Source,
		CandidateSource: cand.Source,
	}
	v.Runs = []runRow{
		{"from", base.Source, cand.Source},
		{"scenario", bs.Scenario, cs.Scenario},
		{"seed", strconv.FormatUint(bs.Seed, 10), strconv.FormatUint(cs.Seed, 10)},
		{"ksim version", bs.KsimVersion, cs.KsimVersion},
		{"simulated duration", fmtSeconds(bs.DurationS), fmtSeconds(cs.DurationS)},
		{"events processed", strconv.FormatInt(bs.Events, 10), strconv.FormatInt(cs.Events, 10)},
	}
	for _, f := range CompareFigures(bs, cs) {
		row := deltaRow{Label: f.Name, Unit: f.Unit, Base: fmtFigure(f.Base), Candidate: fmtFigure(f.Candidate),
			Delta: signed(f.Delta()), Percent: "—", Class: f.Verdict()}
		if p := f.Percent(); !math.IsNaN(p) {
			row.Percent = signed(math.Round(p*10)/10) + " %"
		} else if f.Delta() != 0 {
			row.Percent = "new"
		}
		v.Figures = append(v.Figures, row)
	}
	v.SettingDiffs = settingDiffs(b.Settings, c.Settings)

	end := time.Duration(max(bs.DurationS, cs.DurationS) * float64(time.Second))
	long := 6*(len(b.HPAs)+len(c.HPAs)) + 2 + len(b.Unschedulable) + len(c.Unschedulable) +
		2*(2+len(b.Zones)+len(c.Zones)+len(b.Pools)+len(c.Pools))
	pg := newPage(end, o.MaxPoints, o.PointBudget, long)
	v.Budget = fmt.Sprintf("Each line series is drawn with at most %d points.", pg.maxPoints)

	// HPAs: the union by (namespace, name).
	type pair struct{ b, c *HPADigestV1 }
	var pairs []pair
	for i := range b.HPAs {
		p := pair{b: &b.HPAs[i]}
		if j := slices.IndexFunc(c.HPAs, func(h HPADigestV1) bool { return h.Namespace == p.b.Namespace && h.Name == p.b.Name }); j >= 0 {
			p.c = &c.HPAs[j]
		}
		pairs = append(pairs, p)
	}
	for i := range c.HPAs {
		h := &c.HPAs[i]
		if !slices.ContainsFunc(b.HPAs, func(x HPADigestV1) bool { return x.Namespace == h.Namespace && x.Name == h.Name }) {
			pairs = append(pairs, pair{c: h})
		}
	}
	slices.SortStableFunc(pairs, func(x, y pair) int {
		kx, ky := cmp.Or(x.b, x.c), cmp.Or(y.b, y.c)
		return cmp.Or(cmp.Compare(kx.Namespace, ky.Namespace), cmp.Compare(kx.Name, ky.Name))
	})
	for i, p := range pairs {
		h := cmp.Or(p.b, p.c)
		title := fmt.Sprintf("HPA %s/%s → %s", h.Namespace, h.Name, h.Target)
		switch {
		case p.b == nil:
			title += " (candidate only)"
		case p.c == nil:
			title += " (base only)"
		}
		v.HPAs = append(v.HPAs, hpaSection{Title: title, Charts: pg.compareHPA(fmt.Sprintf("hpa-%d", i), p.b, p.c)})
	}
	v.Scheduling = pg.compareScheduling(b, c)
	v.Nodes = pg.compareNodes(b, c)

	var err error
	if v.pageAssets, err = newAssets(o, compareData{Charts: pg.specs, Unit: timeUnitJSON{pg.u.name, pg.u.seconds}}); err != nil {
		return nil, err
	}
	return v, nil
}

// fmtFigure prints a figure: integers as such, others with at most 3 decimals.
func fmtFigure(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64)
}

// signed prints x with its sign: "+3", "-0.5", "0".
func signed(x float64) string {
	s := fmtFigure(x)
	if x > 0 && s != "0" {
		return "+" + s
	}
	return s
}

// settingDiffs lists the settings whose values differ, in the base's order then the
// candidate's; a setting missing from one side shows "—" there.
func settingDiffs(b, c []SettingV1) []settingDiff {
	var out []settingDiff
	find := func(list []SettingV1, name string) (string, bool) {
		for _, s := range list {
			if s.Name == name {
				return s.Value, true
			}
		}
		return "—", false
	}
	for _, s := range b {
		if cv, _ := find(c, s.Name); cv != s.Value {
			out = append(out, settingDiff{s.Name, s.Value, cv})
		}
	}
	for _, s := range c {
		if _, ok := find(b, s.Name); !ok {
			out = append(out, settingDiff{s.Name, "—", s.Value})
		}
	}
	return out
}

// side draws a series of both runs: base solid, candidate dashed.
func (pg *page) side(add func(name string, st Steps, o lineOpts), name string, b, c *Steps, o lineOpts) {
	if b != nil {
		ob := o
		ob.color = colorBase
		add(name+" (base)", *b, ob)
	}
	if c != nil {
		oc := o
		oc.color, oc.dashed = colorCandidate, true
		add(name+" (candidate)", *c, oc)
	}
}

// compareHPA draws one HPA of both runs (either may be nil).
func (pg *page) compareHPA(id string, b, c *HPADigestV1) []chartView {
	get := func(h *HPADigestV1, f func(*HPADigestV1) *Steps) *Steps {
		if h == nil {
			return nil
		}
		return f(h)
	}
	var out []chartView
	chart := func(suffix, title, help, yName string, series func(add func(string, Steps, lineOpts), notes *[]string)) {
		c := pg.timeChart(id+suffix, yName)
		var notes []string
		series(func(name string, st Steps, o lineOpts) { pg.addSteps(c, name, st, o, &notes) }, &notes)
		out = append(out, pg.add(chartView{ID: id + suffix, Title: title, Help: help, Notes: notes}, "", id, timeOption(c), nil))
	}
	chart("-replicas", "Replicas", "spec.replicas of the target (thick) and the HPA's desired replicas (thin).", "pods",
		func(add func(string, Steps, lineOpts), _ *[]string) {
			pg.side(add, "replicas", get(b, func(h *HPADigestV1) *Steps { return &h.Replicas }),
				get(c, func(h *HPADigestV1) *Steps { return &h.Replicas }), lineOpts{width: 2})
			pg.side(add, "desired", get(b, func(h *HPADigestV1) *Steps { return &h.Desired }),
				get(c, func(h *HPADigestV1) *Steps { return &h.Desired }), lineOpts{width: 1})
		})
	chart("-util", "CPU utilization against target", "What the HPA read at each sync; the targets are flat lines.", "% of request",
		func(add func(string, Steps, lineOpts), _ *[]string) {
			pg.side(add, "utilization", get(b, func(h *HPADigestV1) *Steps { return &h.Utilization }),
				get(c, func(h *HPADigestV1) *Steps { return &h.Utilization }), lineOpts{})
			for _, x := range []struct {
				h     *HPADigestV1
				name  string
				color string
			}{{b, "target (base)", colorBase}, {c, "target (candidate)", colorCandidate}} {
				if x.h != nil && x.h.TargetUtilization > 0 {
					add(x.name, Steps{Points: []sim.Point{{T: 0, V: float64(x.h.TargetUtilization)}}, Recorded: 1},
						lineOpts{color: x.color, dashed: true, width: 1})
				}
			}
		})
	chart("-load", "Load and unserved demand", "Demand on the target (lines) and the part its ready pods could not serve (areas).", "cores",
		func(add func(string, Steps, lineOpts), _ *[]string) {
			pg.side(add, "demand", get(b, func(h *HPADigestV1) *Steps { return &h.Demand }),
				get(c, func(h *HPADigestV1) *Steps { return &h.Demand }), lineOpts{})
			pg.side(add, "unserved", get(b, func(h *HPADigestV1) *Steps { return &h.Unserved }),
				get(c, func(h *HPADigestV1) *Steps { return &h.Unserved }), lineOpts{area: 0.25})
		})
	return out
}

// compareScheduling draws pending pods, unschedulable pods by reason and the pending-time
// histogram of both runs.
func (pg *page) compareScheduling(b, c *Digest) []chartView {
	var out []chartView
	{
		ch := pg.timeChart("pending", "pods")
		var notes []string
		pg.side(func(name string, st Steps, o lineOpts) { pg.addSteps(ch, name, st, o, &notes) }, "pending pods", &b.Pending, &c.Pending, lineOpts{})
		out = append(out, pg.add(chartView{ID: "pending", Title: "Pending pods", Notes: notes}, "", "sched", timeOption(ch), nil))
	}
	reasons := map[string]bool{}
	var names []string
	for _, d := range []*Digest{b, c} {
		for _, u := range d.Unschedulable {
			if !reasons[u.Reason] {
				reasons[u.Reason] = true
				names = append(names, u.Reason)
			}
		}
	}
	slices.Sort(names)
	if len(names) > 0 {
		ch := pg.timeChart("unschedulable", "pods")
		var notes []string
		for i, r := range names {
			for k, d := range []*Digest{b, c} {
				j := slices.IndexFunc(d.Unschedulable, func(u ReasonStepsV1) bool { return u.Reason == r })
				if j < 0 {
					continue
				}
				side := [2]string{" (base)", " (candidate)"}[k]
				pg.addSteps(ch, r+side, d.Unschedulable[j].Pods, lineOpts{color: groupColor(i), dashed: k == 1}, &notes)
			}
		}
		out = append(out, pg.add(chartView{ID: "unschedulable", Title: "Unschedulable pods by reason",
			Help: "One colour per reason; base solid, candidate dashed.", Notes: notes}, "", "sched", timeOption(ch), nil))
	}
	{
		ch := barChart("pending-hist", pendingBinLabels, "pods")
		ch.AddSeries("base", barData(b.PendingHistogram, colorBase))
		ch.AddSeries("candidate", barData(c.PendingHistogram, colorCandidate))
		out = append(out, pg.add(chartView{ID: "pending-hist", Title: "Pending time of bound pods", Height: 280,
			Help: fmt.Sprintf("p99: base %s s, candidate %s s.", fmtFloat(b.Summary.PendingS.P99), fmtFloat(c.Summary.PendingS.P99))},
			"bar", "", option(ch), nil))
	}
	return out
}

// compareNodes draws the cluster's allocatable CPU and its requested and used shares, and the
// requested share per zone and per pool, of both runs.
func (pg *page) compareNodes(b, c *Digest) []chartView {
	var out []chartView
	{
		ch := pg.timeChart("cluster-cpu", "cores")
		var notes []string
		add := func(name string, st Steps, o lineOpts) { pg.addSteps(ch, name, st, o, &notes) }
		pg.side(add, "allocatable", &b.Cluster.Allocatable, &c.Cluster.Allocatable, lineOpts{width: 2})
		pg.side(add, "requested", &b.Cluster.Requested, &c.Cluster.Requested, lineOpts{area: 0.12})
		pg.side(add, "used", &b.Cluster.Used, &c.Cluster.Used, lineOpts{width: 1})
		out = append(out, pg.add(chartView{ID: "cluster-cpu", Title: "Cluster CPU: allocatable, requested and used",
			Notes: notes}, "", "nodes", timeOption(ch), nil))
	}
	groups := func(id, title, what string, bg, cg []GroupV1) {
		var names []string
		for _, g := range append(slices.Clone(bg), cg...) {
			if !slices.Contains(names, g.Name) {
				names = append(names, g.Name)
			}
		}
		slices.Sort(names)
		if len(names) == 0 || (len(names) == 1 && names[0] == "") {
			return
		}
		ch := pg.timeChart(id, "% of allocatable")
		var notes []string
		for i, name := range names {
			label := name
			if label == "" {
				label = "(no " + what + ")"
			}
			for k, list := range [][]GroupV1{bg, cg} {
				j := slices.IndexFunc(list, func(g GroupV1) bool { return g.Name == name })
				if j < 0 {
					continue
				}
				req, _ := groupPercent(list[j])
				side := [2]string{" (base)", " (candidate)"}[k]
				pg.addSteps(ch, label+side, req, lineOpts{color: groupColor(i), dashed: k == 1}, &notes)
			}
		}
		out = append(out, pg.add(chartView{ID: id, Title: title,
			Help:  "CPU requested over the allocatable CPU of the " + what + "'s nodes; one colour per " + what + ", base solid, candidate dashed.",
			Notes: notes}, "", "nodes", timeOption(ch), nil))
	}
	groups("zones", "CPU requested by zone", "zone", b.Zones, c.Zones)
	groups("pools", "CPU requested by pool", "pool", b.Pools, c.Pools)
	return out
}
