package reports

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"ksim.dev/ksim/sim"
)

// ResultSchemaV1 is the value of the "schema" field of a version 1 result.json.
const ResultSchemaV1 = "ksim.result/v1"

// DefaultStoredPoints bounds each series that WriteDigest stores in result.json; longer series
// are downsampled (see downsample) and say so (Steps.Recorded).
const DefaultStoredPoints = 20000

// Digest is what a run's charts are drawn from, and what result.json ("ksim.result/v1",
// docs/outputs.md) holds so that `ksim compare` can draw two runs side by side without the
// engine: the summary, the settings, and every series of the report that is not per node
// (nodes are summed per zone, per pool and over the cluster), plus the node events.
//
// A Digest is plain data. NewDigest builds one from a Result; ReadDigest reads one back.
type Digest struct {
	Schema   string      `json:"schema"`
	Summary  *SummaryV1  `json:"summary"`
	Settings []SettingV1 `json:"settings"`
	// Pending is the number of pending pods; Unschedulable the pods held back per reason.
	Pending       Steps           `json:"pending"`
	Unschedulable []ReasonStepsV1 `json:"unschedulable"`
	// PendingHistogram counts the bound pods by pending time, in PendingBins.
	PendingHistogram []int `json:"pending_histogram"`
	// Cluster sums every node; Zones and Pools sum the nodes of each zone and pool (sorted by
	// name; nodes without a zone or pool are under "").
	Cluster    GroupV1       `json:"cluster"`
	Zones      []GroupV1     `json:"zones"`
	Pools      []GroupV1     `json:"pools"`
	HPAs       []HPADigestV1 `json:"hpas"`
	NodeEvents []EventV1     `json:"node_events"`
}

// SettingV1 is a sim.Setting.
type SettingV1 struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Default string `json:"default"`
}

// Changed reports whether the setting differs from its default (always, for a setting without
// one).
func (s SettingV1) Changed() bool { return s.Default == "" || s.Value != s.Default }

// ReasonStepsV1 is the number of pending pods held back by one reason, over time.
type ReasonStepsV1 struct {
	Reason string `json:"reason"`
	Pods   Steps  `json:"pods"`
}

// GroupV1 is a set of nodes: its CPU allocatable (nodes count while they exist), requested by
// bound pods and used by them, in cores.
type GroupV1 struct {
	Name        string `json:"name"`
	Nodes       int    `json:"nodes"`
	Allocatable Steps  `json:"allocatable_cores"`
	Requested   Steps  `json:"requested_cores"`
	Used        Steps  `json:"used_cores"`
}

// HPADigestV1 is one HorizontalPodAutoscaler's series.
type HPADigestV1 struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Target      string `json:"target"`
	MinReplicas int32  `json:"min_replicas"`
	MaxReplicas int32  `json:"max_replicas"`
	// TargetUtilization is the CPU target in percent (0 when it targets an average value);
	// TargetAverageMilli the average-value target in millicores (0 when it targets utilization).
	TargetUtilization  int32 `json:"target_utilization_pct"`
	TargetAverageMilli int64 `json:"target_average_milli"`
	Replicas           Steps `json:"replicas"`
	Ready              Steps `json:"ready"`
	// Desired is status.desiredReplicas after each sync; Utilization the CPU utilization the
	// sync read, in percent of requests (null, NaN in Go, while unknown).
	Desired     Steps `json:"desired"`
	Utilization Steps `json:"utilization_pct"`
	// Limited lists the spans during which the HPA's decision was held back, with the reason.
	Limited  []SpanV1 `json:"limited"`
	Demand   Steps    `json:"demand_cores"`
	Unserved Steps    `json:"unserved_cores"`
}

// SpanV1 is [FromS, ToS) seconds into the run, with a reason.
type SpanV1 struct {
	FromS  float64 `json:"from_s"`
	ToS    float64 `json:"to_s"`
	Reason string  `json:"reason"`
}

// EventV1 is one node event: what happened to Node at TS seconds.
type EventV1 struct {
	TS     float64 `json:"t_s"`
	Node   string  `json:"node"`
	Detail string  `json:"detail"`
}

// Steps is a step series (see sim.Series) as result.json stores it. Recorded is how many points
// the run recorded; it exceeds len(Points) when the series was downsampled before storing.
// In JSON it is {"recorded": N, "points": [[t_s, value], ...]}, times in seconds rounded to the
// microsecond, a null value for NaN (unknown).
type Steps struct {
	Points   []sim.Point
	Recorded int
}

func steps(s sim.Series) Steps { return Steps{Points: s.Points, Recorded: len(s.Points)} }

// MarshalJSON writes {"recorded": N, "points": [[t, v], ...]}.
func (s Steps) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"recorded":%d,"points":[`, s.Recorded)
	for i, p := range s.Points {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		b.WriteString(fmtFloat(p.T.Seconds()))
		b.WriteByte(',')
		if math.IsNaN(p.V) {
			b.WriteString("null")
		} else if math.IsInf(p.V, 0) {
			return nil, fmt.Errorf("series value %v at %v is not finite", p.V, p.T)
		} else {
			b.WriteString(fmtFloat(p.V))
		}
		b.WriteByte(']')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// maxSeriesSeconds bounds the times of a stored series: about 100 years, well within
// time.Duration.
const maxSeriesSeconds = 100 * 365 * 24 * 3600

// UnmarshalJSON reads what MarshalJSON writes. Points must be in increasing time order, at
// times in [0, maxSeriesSeconds].
func (s *Steps) UnmarshalJSON(b []byte) error {
	var raw struct {
		Recorded *int         `json:"recorded"`
		Points   [][]*float64 `json:"points"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.Recorded == nil || *raw.Recorded < len(raw.Points) {
		return fmt.Errorf("series: \"recorded\" must be at least the number of points (%d)", len(raw.Points))
	}
	s.Recorded = *raw.Recorded
	s.Points = make([]sim.Point, 0, len(raw.Points))
	for i, p := range raw.Points {
		if len(p) != 2 || p[0] == nil {
			return fmt.Errorf("series: point %d: want [t_s, value]", i)
		}
		if *p[0] < 0 || *p[0] > maxSeriesSeconds {
			return fmt.Errorf("series: point %d: time %v s is outside [0, %v]", i, *p[0], float64(maxSeriesSeconds))
		}
		t := time.Duration(math.Round(*p[0]*1e6)) * time.Microsecond
		if i > 0 && t <= s.Points[i-1].T {
			return fmt.Errorf("series: point %d: time %v s is not after the previous point", i, *p[0])
		}
		v := math.NaN()
		if p[1] != nil {
			v = *p[1]
		}
		s.Points = append(s.Points, sim.Point{T: t, V: v})
	}
	return nil
}

// PendingBins are the upper bounds, in seconds, of the pending-time histogram's bins: the first
// bin holds the pods bound at once (0 s), bin i holds (PendingBins[i-1], PendingBins[i]], and a
// last bin holds what is above the last bound.
var PendingBins = []float64{0, 1, 5, 10, 30, 60, 300, 900, 3600}

// pendingBinLabels names the bins of PendingBins, and the bin above.
var pendingBinLabels = []string{"0 s", "≤ 1 s", "1–5 s", "5–10 s", "10–30 s", "30–60 s", "1–5 min", "5–15 min", "15–60 min", "> 1 h"}

// NewDigest builds the digest of r. maxPoints bounds every stored series (0: keep every point;
// see Thin). It does not modify r.
//
// Cost: O(P log k) for the P points of the k node series (summed per group), O(P) for the rest.
func NewDigest(r *sim.Result, version string, maxPoints int) *Digest {
	d := fullDigest(r, version)
	if maxPoints > 0 {
		return d.Thin(maxPoints, r.Duration)
	}
	return d
}

// Thin returns d with every series downsampled to at most maxPoints points over a run that
// ended at end (Steps.Recorded keeps the count of the full series): what NewDigest with
// maxPoints gives, from a full digest a caller already has. d is not modified; the result
// shares what is not downsampled with it. Cost: O(points of d).
func (d *Digest) Thin(maxPoints int, end time.Duration) *Digest {
	thin := func(st Steps) Steps {
		return Steps{Points: downsample(st.Points, end, maxPoints), Recorded: st.Recorded}
	}
	group := func(g GroupV1) GroupV1 {
		g.Allocatable, g.Requested, g.Used = thin(g.Allocatable), thin(g.Requested), thin(g.Used)
		return g
	}
	out := *d
	out.Pending = thin(d.Pending)
	out.Unschedulable = make([]ReasonStepsV1, len(d.Unschedulable))
	for i, u := range d.Unschedulable {
		out.Unschedulable[i] = ReasonStepsV1{Reason: u.Reason, Pods: thin(u.Pods)}
	}
	out.Cluster = group(d.Cluster)
	out.Zones = make([]GroupV1, len(d.Zones))
	for i, g := range d.Zones {
		out.Zones[i] = group(g)
	}
	out.Pools = make([]GroupV1, len(d.Pools))
	for i, g := range d.Pools {
		out.Pools[i] = group(g)
	}
	out.HPAs = make([]HPADigestV1, len(d.HPAs))
	for i, h := range d.HPAs {
		h.Replicas, h.Ready, h.Desired, h.Utilization = thin(h.Replicas), thin(h.Ready), thin(h.Desired), thin(h.Utilization)
		h.Demand, h.Unserved = thin(h.Demand), thin(h.Unserved)
		out.HPAs[i] = h
	}
	return &out
}

// fullDigest is NewDigest with every point kept.
func fullDigest(r *sim.Result, version string) *Digest {
	keep := steps
	d := &Digest{
		Schema:           ResultSchemaV1,
		Summary:          Summary(r, version),
		Settings:         make([]SettingV1, 0, len(r.Settings)),
		Pending:          keep(r.Pending),
		Unschedulable:    make([]ReasonStepsV1, 0, len(r.Unschedulable)),
		PendingHistogram: pendingHistogram(r.PendingSeconds),
		HPAs:             make([]HPADigestV1, 0, len(r.HPAs)),
		NodeEvents:       []EventV1{},
	}
	for _, s := range r.Settings {
		d.Settings = append(d.Settings, SettingV1(s))
	}
	for _, u := range r.Unschedulable {
		d.Unschedulable = append(d.Unschedulable, ReasonStepsV1{Reason: u.Reason, Pods: keep(u.Pods)})
	}

	// Node groups: each zone, each pool, and the cluster as the sum of the zones (summing
	// thousands of node series is the costly part; the sums are exact in millicores).
	nodes := nodeSeries(r)
	type sums struct{ alloc, req, used sim.Series }
	sum := func(idx []int) sums {
		alloc := make([]sim.Series, len(idx))
		req := make([]sim.Series, len(idx))
		used := make([]sim.Series, len(idx))
		for i, k := range idx {
			alloc[i], req[i], used[i] = nodes[k].alloc, nodes[k].req, nodes[k].used
		}
		return sums{sumSeries(alloc), sumSeries(req), sumSeries(used)}
	}
	cores := func(name string, n int, m sums) GroupV1 {
		c := func(s sim.Series) Steps { return keep(scaleSeries(s, 1.0/1000)) }
		return GroupV1{Name: name, Nodes: n, Allocatable: c(m.alloc), Requested: c(m.req), Used: c(m.used)}
	}
	var zoneSums []sums
	d.Zones = groupBy(r, func(n *sim.NodeResult) string { return n.Zone }, func(name string, idx []int) GroupV1 {
		m := sum(idx)
		zoneSums = append(zoneSums, m)
		return cores(name, len(idx), m)
	})
	d.Pools = groupBy(r, func(n *sim.NodeResult) string { return n.Pool }, func(name string, idx []int) GroupV1 {
		return cores(name, len(idx), sum(idx))
	})
	var all sums
	var allocs, reqs, useds []sim.Series
	for _, z := range zoneSums {
		allocs, reqs, useds = append(allocs, z.alloc), append(reqs, z.req), append(useds, z.used)
	}
	all = sums{sumSeries(allocs), sumSeries(reqs), sumSeries(useds)}
	d.Cluster = cores("cluster", len(r.Nodes), all)

	for _, k := range hpaOrder(r) {
		h := &r.HPAs[k]
		var desired, util sim.Series
		for _, sy := range h.Syncs {
			desired.Add(sy.T, float64(sy.Desired))
			u := math.NaN()
			if sy.Utilization >= 0 {
				u = float64(sy.Utilization)
			}
			addNaN(&util, sy.T, u)
		}
		d.HPAs = append(d.HPAs, HPADigestV1{
			Namespace: h.Namespace, Name: h.Name, Target: h.Target,
			MinReplicas: h.MinReplicas, MaxReplicas: h.MaxReplicas,
			TargetUtilization: h.TargetUtilization, TargetAverageMilli: h.TargetAverageMilli,
			Replicas: keep(h.Replicas), Ready: keep(h.Ready),
			Desired: keep(desired), Utilization: keep(util),
			Limited: limitedSpans(h.Syncs, r.Duration),
			Demand:  keep(h.Demand), Unserved: keep(h.Unserved),
		})
	}
	for _, e := range r.Log {
		if e.Kind == "node" {
			d.NodeEvents = append(d.NodeEvents, EventV1{TS: round6(e.T.Seconds()),
				Node: strings.TrimPrefix(e.Object, "node/"), Detail: e.Detail})
		}
	}
	return d
}

// addNaN is sim.Series.Add for series that may hold NaN (unknown): equal values, NaN included,
// are not repeated.
func addNaN(s *sim.Series, t time.Duration, v float64) {
	if n := len(s.Points); n > 0 {
		last := s.Points[n-1].V
		if last == v || (math.IsNaN(last) && math.IsNaN(v)) {
			return
		}
		if s.Points[n-1].T == t {
			s.Points[n-1].V = v
			return
		}
	}
	s.Points = append(s.Points, sim.Point{T: t, V: v})
}

// hpaOrder returns the indexes of r.HPAs sorted by (namespace, name), the order of the summary.
func hpaOrder(r *sim.Result) []int {
	order := make([]int, len(r.HPAs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ha, hb := &r.HPAs[a], &r.HPAs[b]
		return cmp.Or(cmp.Compare(ha.Namespace, hb.Namespace), cmp.Compare(ha.Name, hb.Name))
	})
	return order
}

// nodeSeriesT are one node's series in millicores, cut to the node's lifetime: allocatable from
// its addition to its removal; requested and used with a final 0 at its removal (the engine
// stops sampling a removed node, so its last usage sample would otherwise hold).
type nodeSeriesT struct {
	from, to         time.Duration
	alloc, req, used sim.Series
}

func nodeSeries(r *sim.Result) []nodeSeriesT {
	out := make([]nodeSeriesT, len(r.Nodes))
	for i := range r.Nodes {
		n := &r.Nodes[i]
		ns := nodeSeriesT{to: r.Duration}
		if len(n.RequestedCPU.Points) > 0 {
			ns.from = n.RequestedCPU.Points[0].T
		}
		if n.Removed {
			ns.to = n.RemovedAt
		}
		ns.alloc.Add(ns.from, float64(n.AllocatableCPU))
		ns.req = window(n.RequestedCPU, 0, ns.to, r.Duration)
		ns.used = window(n.UsedCPU, 0, ns.to, r.Duration)
		if ns.to < r.Duration {
			ns.alloc.Add(ns.to, 0)
		}
		out[i] = ns
	}
	return out
}

// groupBy makes one group per value of key, in the order of the values.
func groupBy(r *sim.Result, key func(*sim.NodeResult) string, group func(string, []int) GroupV1) []GroupV1 {
	names := make([]string, 0)
	for i := range r.Nodes {
		names = append(names, key(&r.Nodes[i]))
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	out := make([]GroupV1, 0, len(names))
	for _, name := range names {
		var idx []int
		for i := range r.Nodes {
			if key(&r.Nodes[i]) == name {
				idx = append(idx, i)
			}
		}
		out = append(out, group(name, idx))
	}
	return out
}

// limitedSpans turns the syncs' Limited reasons into spans: a sync's reason holds until the next
// sync, and consecutive syncs with the same reason make one span.
func limitedSpans(syncs []sim.HPASync, end time.Duration) []SpanV1 {
	out := []SpanV1{}
	for i, sy := range syncs {
		if sy.Limited == "" {
			continue
		}
		to := end
		if i+1 < len(syncs) {
			to = syncs[i+1].T
		}
		if to <= sy.T {
			continue
		}
		from, toS := round6(sy.T.Seconds()), round6(to.Seconds())
		if n := len(out); n > 0 && out[n-1].Reason == sy.Limited && out[n-1].ToS == from {
			out[n-1].ToS = toS
			continue
		}
		out = append(out, SpanV1{FromS: from, ToS: toS, Reason: sy.Limited})
	}
	return out
}

// pendingHistogram counts xs in the bins of PendingBins. Cost: O(n × bins).
func pendingHistogram(xs []float64) []int {
	h := make([]int, len(PendingBins)+1)
	for _, x := range xs {
		i := 0
		for i < len(PendingBins) && x > PendingBins[i] {
			i++
		}
		h[i]++
	}
	return h
}

// WriteDigest writes d as one JSON object (result.json): fields in struct order, one series
// per line is not promised; the same d always gives the same bytes.
func WriteDigest(w io.Writer, d *Digest) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("reports: write result: %w", err)
	}
	return nil
}

// ReadDigest reads a result.json. Its errors say what is wrong and where (line:column); a file
// of another schema is rejected with the schema it has.
func ReadDigest(r io.Reader) (*Digest, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, jsonError(b, err)
	}
	if head.Schema != ResultSchemaV1 {
		return nil, fmt.Errorf("schema is %q, want %q", head.Schema, ResultSchemaV1)
	}
	var d Digest
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, jsonError(b, err)
	}
	if d.Summary == nil {
		return nil, errors.New(`"summary" is missing`)
	}
	return &d, nil
}

// jsonError adds the line and column to a JSON syntax or type error.
func jsonError(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off <= 0 || off > int64(len(b)) {
		return err
	}
	// The offset is just past the byte where reading failed: point at that byte.
	p := off - 1
	line := 1 + bytes.Count(b[:p], []byte("\n"))
	col := int(p) - bytes.LastIndexByte(b[:p], '\n')
	return fmt.Errorf("%d:%d: %w", line, col, err)
}
