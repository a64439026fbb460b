package reports

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"

	"ksim.dev/ksim/sim"
)

// DefaultMetricsStep is the interval of the samples WriteOpenMetrics writes.
const DefaultMetricsStep = time.Minute

// omChunk is how many samples of one series are encoded at a time.
const omChunk = 1024

// MetricsOptions configure WriteOpenMetrics.
type MetricsOptions struct {
	// Version is the ksim version, a label of ksim_run_info.
	Version string
	// Start is the wall-clock time that simulated time 0 maps to; the zero value means
	// sim.Epoch() (2026-01-01T00:00:00Z), the instant the run's API timestamps count from.
	// Prometheus drops samples older than its retention, so a user who loads the file into a
	// running Prometheus may want a recent Start.
	Start time.Time
	// Step is the interval between two samples of a series (the "scrape interval"); 0 means
	// DefaultMetricsStep. Changes shorter than Step may fall between two samples, as they would
	// between two scrapes.
	Step time.Duration
	// Labels are added to every series, e.g. {"run": "baseline"} to load two runs into one
	// Prometheus. Their names must be valid Prometheus label names and not clash with ksim's.
	Labels map[string]string
}

// omFamily is one metric family: a gauge with its series.
type omFamily struct {
	name, help string
	series     []omSeries
}

// omSeries is one series: its labels and its step series, which exists on [from, to).
type omSeries struct {
	labels   []*dto.LabelPair
	pts      []sim.Point
	from, to time.Duration
}

// labelNames are the label names ksim's own series use.
var labelNames = []string{"scenario", "seed", "version", "reason", "namespace", "hpa", "target", "node", "zone", "pool"}

// metricFamilies lists every series of the run, in a fixed order: families as below, series
// in the order of the summary (HPAs by namespace and name, reasons by name), nodes by name.
func metricFamilies(r *sim.Result, o MetricsOptions) ([]omFamily, error) {
	extra := make([]*dto.LabelPair, 0, len(o.Labels))
	for k, v := range o.Labels {
		if !model.LegacyValidation.IsValidLabelName(k) || strings.HasPrefix(k, "__") {
			return nil, fmt.Errorf("label name %q: want [a-zA-Z_][a-zA-Z0-9_]* not starting with __", k)
		}
		if slices.Contains(labelNames, k) {
			return nil, fmt.Errorf("label name %q: ksim uses it; allowed are names other than %s", k, strings.Join(labelNames, ", "))
		}
		extra = append(extra, &dto.LabelPair{Name: proto.String(k), Value: proto.String(v)})
	}
	slices.SortFunc(extra, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	labels := func(kv ...string) []*dto.LabelPair {
		out := slices.Clone(extra)
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, &dto.LabelPair{Name: proto.String(kv[i]), Value: proto.String(kv[i+1])})
		}
		slices.SortFunc(out, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		return out
	}
	end := r.Duration
	whole := func(l []*dto.LabelPair, s sim.Series) omSeries { return omSeries{labels: l, pts: s.Points, to: end} }
	constant := func(v float64) sim.Series { return sim.Series{Points: []sim.Point{{T: 0, V: v}}} }
	scaled := func(s sim.Series, f float64) sim.Series { return scaleSeries(s, f) }

	info := omFamily{name: "ksim_run_info", help: "The run: its scenario, seed and ksim version (always 1)."}
	info.series = []omSeries{whole(labels("scenario", r.Scenario, "seed", strconv.FormatUint(r.Seed, 10), "version", o.Version), constant(1))}

	pending := omFamily{name: "ksim_pending_pods", help: "Pods waiting to be scheduled."}
	pending.series = []omSeries{whole(labels(), r.Pending)}
	unsched := omFamily{name: "ksim_unschedulable_pods", help: "Pending pods whose last scheduling attempt failed, by the reason a node gave (a pod counts under each)."}
	for _, u := range r.Unschedulable {
		unsched.series = append(unsched.series, whole(labels("reason", u.Reason), u.Pods))
	}

	fams := []omFamily{info, pending, unsched}
	hpa := func(name, help string, get func(*sim.HPAResult) (sim.Series, bool)) {
		f := omFamily{name: name, help: help}
		for _, k := range hpaOrder(r) {
			h := &r.HPAs[k]
			if s, ok := get(h); ok && len(s.Points) > 0 {
				f.series = append(f.series, whole(labels("namespace", h.Namespace, "hpa", h.Name, "target", h.Target), s))
			}
		}
		fams = append(fams, f)
	}
	hpa("ksim_hpa_replicas", "spec.replicas of the HPA's target.", func(h *sim.HPAResult) (sim.Series, bool) { return h.Replicas, true })
	hpa("ksim_hpa_ready_replicas", "Ready pods of the HPA's target.", func(h *sim.HPAResult) (sim.Series, bool) { return h.Ready, true })
	hpa("ksim_hpa_desired_replicas", "status.desiredReplicas of the HPA after each sync.", func(h *sim.HPAResult) (sim.Series, bool) {
		var s sim.Series
		for _, sy := range h.Syncs {
			s.Add(sy.T, float64(sy.Desired))
		}
		return s, true
	})
	hpa("ksim_hpa_min_replicas", "spec.minReplicas of the HPA.", func(h *sim.HPAResult) (sim.Series, bool) { return constant(float64(h.MinReplicas)), true })
	hpa("ksim_hpa_max_replicas", "spec.maxReplicas of the HPA.", func(h *sim.HPAResult) (sim.Series, bool) { return constant(float64(h.MaxReplicas)), true })
	hpa("ksim_hpa_cpu_utilization_ratio", "CPU utilization the HPA read at its last sync, as a fraction of the pods' requests (absent while unknown).",
		func(h *sim.HPAResult) (sim.Series, bool) {
			var s sim.Series
			for _, sy := range h.Syncs {
				v := math.NaN()
				if sy.Utilization >= 0 {
					v = float64(sy.Utilization) / 100
				}
				addNaN(&s, sy.T, v)
			}
			return s, true
		})
	hpa("ksim_hpa_target_cpu_utilization_ratio", "CPU utilization target of the HPA, as a fraction of the pods' requests.",
		func(h *sim.HPAResult) (sim.Series, bool) {
			return constant(float64(h.TargetUtilization) / 100), h.TargetUtilization > 0
		})
	hpa("ksim_hpa_cpu_demand_cores", "CPU demand of the load on the HPA's target, in cores.", func(h *sim.HPAResult) (sim.Series, bool) { return h.Demand, true })
	hpa("ksim_hpa_cpu_unserved_cores", "Part of the CPU demand that the target's ready pods could not serve, in cores.",
		func(h *sim.HPAResult) (sim.Series, bool) { return h.Unserved, true })

	order := make([]int, len(r.Nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(r.Nodes[a].Name, r.Nodes[b].Name) })
	ns := nodeSeries(r)
	node := func(name, help string, get func(int) sim.Series) {
		f := omFamily{name: name, help: help}
		for _, i := range order {
			n := &r.Nodes[i]
			f.series = append(f.series, omSeries{labels: labels("node", n.Name, "zone", n.Zone, "pool", n.Pool),
				pts: get(i).Points, from: ns[i].from, to: ns[i].to})
		}
		fams = append(fams, f)
	}
	node("ksim_node_cpu_allocatable_cores", "Allocatable CPU of the node, in cores.", func(i int) sim.Series { return constant(float64(r.Nodes[i].AllocatableCPU) / 1000) })
	node("ksim_node_cpu_requested_cores", "CPU requested by the pods bound to the node, in cores.", func(i int) sim.Series { return scaled(r.Nodes[i].RequestedCPU, 1.0/1000) })
	node("ksim_node_cpu_used_cores", "CPU used by the node's pods under their load models, in cores (sampled).", func(i int) sim.Series { return scaled(r.Nodes[i].UsedCPU, 1.0/1000) })
	return fams, nil
}

// WriteOpenMetrics writes every simulated series of r in the OpenMetrics text format, with
// timestamps: each series is sampled every o.Step from its start (simulated time 0, or a
// node's addition) to the end of the run (or the node's removal), its value at each instant
// being that of the step series. `promtool tsdb create-blocks-from openmetrics` loads the file
// into Prometheus blocks. docs/outputs.md lists the metrics.
//
// The encoding is the Prometheus client libraries' (client_model types, expfmt's OpenMetrics
// encoder); a family is written in chunks, of which only the first carries the HELP and TYPE
// lines. The same r and o always give the same bytes.
//
// Cost: O(series × duration/step) time and output (about 60 bytes a sample), O(omChunk) memory.
func WriteOpenMetrics(w io.Writer, r *sim.Result, o MetricsOptions) error {
	if o.Step < 0 || (o.Step > 0 && o.Step < time.Millisecond) {
		return fmt.Errorf("reports: write metrics: step %v: want at least 1ms (0 means %v)", o.Step, DefaultMetricsStep)
	}
	if o.Step == 0 {
		o.Step = DefaultMetricsStep
	}
	if o.Start.IsZero() {
		o.Start = sim.Epoch()
	}
	fams, err := metricFamilies(r, o)
	if err != nil {
		return fmt.Errorf("reports: write metrics: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	startMs := o.Start.UnixMilli()
	var buf bytes.Buffer
	metrics := make([]*dto.Metric, omChunk)
	for i := range metrics {
		metrics[i] = &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(0)}, TimestampMs: proto.Int64(0)}
	}
	for _, f := range fams {
		first := true
		for _, s := range f.series {
			n := 0
			flush := func() error {
				if n == 0 {
					return nil
				}
				mf := &dto.MetricFamily{Name: proto.String(f.name), Type: dto.MetricType_GAUGE.Enum(), Metric: metrics[:n]}
				if first {
					mf.Help = proto.String(f.help)
				}
				buf.Reset()
				if _, err := expfmt.MetricFamilyToOpenMetrics(&buf, mf); err != nil {
					return err
				}
				out := buf.Bytes()
				if !first {
					// A family is one block in OpenMetrics: drop the TYPE line the encoder
					// repeats for every chunk after the first.
					head := "# TYPE " + f.name + " gauge\n"
					if !bytes.HasPrefix(out, []byte(head)) {
						return fmt.Errorf("%s: unexpected encoder output %.60q", f.name, out)
					}
					out = out[len(head):]
				}
				first = false
				n = 0
				_, err := bw.Write(out)
				return err
			}
			for _, t := range sampleTimes(s.from, s.to, r.Duration, o.Step) {
				v := valueAt(s.pts, t)
				if math.IsNaN(v) {
					continue
				}
				m := metrics[n]
				m.Label = s.labels
				*m.Gauge.Value = v
				*m.TimestampMs = startMs + t.Milliseconds()
				n++
				if n == omChunk {
					if err := flush(); err != nil {
						return fmt.Errorf("reports: write metrics: %w", err)
					}
				}
			}
			if err := flush(); err != nil {
				return fmt.Errorf("reports: write metrics: %w", err)
			}
		}
	}
	if _, err := expfmt.FinalizeOpenMetrics(bw); err != nil {
		return fmt.Errorf("reports: write metrics: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: write metrics: %w", err)
	}
	return nil
}

// sampleTimes are the instants a series existing on [from, to) is sampled at: the multiples of
// step in that span, and the end of the run when the series lasts to it (so that the last
// value is there even when the run is not a multiple of step long).
func sampleTimes(from, to, end, step time.Duration) []time.Duration {
	first := (from + step - 1) / step * step
	var out []time.Duration
	for t := first; t < to; t += step {
		out = append(out, t)
	}
	// Timestamps are in milliseconds and must increase.
	if to >= end && end >= from && (len(out) == 0 || out[len(out)-1].Milliseconds() < end.Milliseconds()) {
		out = append(out, end)
	}
	return out
}

// sampleCount is len(sampleTimes(from, to, end, step)), by arithmetic. Cost: O(1).
func sampleCount(from, to, end, step time.Duration) int64 {
	first := (from + step - 1) / step * step
	var n int64
	if first < to {
		n = int64((to-first-1)/step) + 1
	}
	last := first + time.Duration(n-1)*step
	if to >= end && end >= from && (n == 0 || last.Milliseconds() < end.Milliseconds()) {
		n++
	}
	return n
}

// writeScrape writes what a Prometheus scrape at simulated time t would have returned: every
// series that exists at t with its value then, without timestamps, in the Prometheus text
// format (the shape `promtool check metrics` lints).
func writeScrape(w io.Writer, r *sim.Result, t time.Duration, o MetricsOptions) error {
	fams, err := metricFamilies(r, o)
	if err != nil {
		return err
	}
	for _, f := range fams {
		mf := &dto.MetricFamily{Name: proto.String(f.name), Help: proto.String(f.help), Type: dto.MetricType_GAUGE.Enum()}
		for _, s := range f.series {
			v := valueAt(s.pts, t)
			if t < s.from || t >= s.to && t != r.Duration || math.IsNaN(v) {
				continue
			}
			mf.Metric = append(mf.Metric, &dto.Metric{Label: s.labels, Gauge: &dto.Gauge{Value: proto.Float64(v)}})
		}
		if len(mf.Metric) == 0 {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return err
		}
	}
	return nil
}

// CheckMetricsOptions reports what is wrong with o's labels and step, if anything: the checks
// WriteOpenMetrics makes before it writes.
func CheckMetricsOptions(o MetricsOptions) error {
	if o.Step < 0 || (o.Step > 0 && o.Step < time.Millisecond) {
		return fmt.Errorf("step %v: want at least 1ms (0 means %v)", o.Step, DefaultMetricsStep)
	}
	_, err := metricFamilies(&sim.Result{}, o)
	return err
}

// MetricsSamples returns how many samples WriteOpenMetrics writes for r with o (o.Step 0 means
// DefaultMetricsStep), so that a caller can choose a step before writing gigabytes. It counts
// the sampling instants of every series: an upper bound, since the instants where a value is
// unknown (an HPA's utilization after a failed sync) are left out of the file.
// Cost: O(points of the series + syncs), without writing anything.
func MetricsSamples(r *sim.Result, o MetricsOptions) (int64, error) {
	if o.Step == 0 {
		o.Step = DefaultMetricsStep
	}
	if err := CheckMetricsOptions(o); err != nil {
		return 0, err
	}
	fams, err := metricFamilies(r, o)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, f := range fams {
		for _, s := range f.series {
			n += sampleCount(s.from, s.to, r.Duration, o.Step)
		}
	}
	return n, nil
}
