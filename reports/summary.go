package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"ksim.dev/ksim/sim"
)

// SummarySchemaV1 is the value of the "schema" field of a version 1 summary.
const SummarySchemaV1 = "ksim.summary/v1"

// SummaryV1 is the content of summary.json, schema "ksim.summary/v1". docs/summary.md documents
// every field, its unit and the versioning policy: fields may be added within v1, never renamed,
// removed or given a new meaning.
//
// The field order of these structs is the order of the JSON output; floats are rounded to 6
// decimal places (see round6) so that the bytes do not depend on the last bits of a sum.
type SummaryV1 struct {
	Schema      string         `json:"schema"`
	Scenario    string         `json:"scenario"`
	Seed        uint64         `json:"seed"`
	KsimVersion string         `json:"ksim_version"`
	DurationS   float64        `json:"duration_s"`
	Events      int64          `json:"events"`
	Pods        PodsV1         `json:"pods"`
	PendingS    PendingV1      `json:"pending_s"`
	Nodes       NodesV1        `json:"nodes"`
	HPAs        []HPASummaryV1 `json:"hpas"`
	// HPATotals adds up the HPAs' records.
	HPATotals HPATotalsV1 `json:"hpa_totals"`
}

// HPATotalsV1 sums the HPAs of a run.
type HPATotalsV1 struct {
	ScaleEvents         int     `json:"scale_events"`
	DemandCoreSeconds   float64 `json:"demand_core_seconds"`
	UnservedCoreSeconds float64 `json:"unserved_core_seconds"`
	// UnservedFraction is UnservedCoreSeconds / DemandCoreSeconds, 0 when there was no demand.
	UnservedFraction float64 `json:"unserved_fraction"`
}

// PodsV1 are the pod totals of a run (sim.PodCounts).
type PodsV1 struct {
	Created            int `json:"created"`
	Scheduled          int `json:"scheduled"`
	UnschedulableAtEnd int `json:"unschedulable_at_end"`
	PendingAtEnd       int `json:"pending_at_end"`
	Evicted            int `json:"evicted"`
	Preempted          int `json:"preempted"`
	Succeeded          int `json:"succeeded"`
	// EverUnschedulable counts the pods that failed at least one scheduling attempt, whether
	// they were bound later, deleted while pending or still pending at the end.
	EverUnschedulable int `json:"ever_unschedulable"`
}

// PendingV1 describes the time from creation to binding of the pods that were bound, in
// seconds. Quantiles use gonum's stat.Empirical estimator: the p-quantile is the smallest
// observed value whose empirical CDF is at least p (no interpolation). All fields are 0 when no
// pod was bound.
type PendingV1 struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// NodesV1 describes the nodes of a run and how much of their CPU was requested.
type NodesV1 struct {
	Count int `json:"count"`
	// Zones is the number of distinct non-empty zone names.
	Zones int `json:"zones"`
	// CPUAllocatableMilli is the sum of the nodes' allocatable CPU, in millicores.
	CPUAllocatableMilli int64 `json:"cpu_allocatable_milli"`
	// CPURequestedMilliMax is the largest sum, at any instant, of the CPU requested by bound pods.
	CPURequestedMilliMax int64 `json:"cpu_requested_milli_max"`
	// CPURequestedFractionMean is the time-weighted mean over [0, duration] of requested CPU
	// divided by CPUAllocatableMilli; CPURequestedFractionMax is its largest value.
	CPURequestedFractionMean float64 `json:"cpu_requested_fraction_mean"`
	CPURequestedFractionMax  float64 `json:"cpu_requested_fraction_max"`
	// MaxLive is the largest number of nodes that existed at once.
	MaxLive int `json:"max_live"`
	// CPUUsedMilliMax is the largest sum, at any sample, of the CPU the pods used.
	// CPUUsedFractionMean is the integral of that usage over the run divided by the integral of
	// the allocatable CPU of the nodes that existed at each instant; CPUUsedFractionMax is the
	// largest value of used / allocatable of the nodes then existing.
	CPUUsedMilliMax     int64   `json:"cpu_used_milli_max"`
	CPUUsedFractionMean float64 `json:"cpu_used_fraction_mean"`
	CPUUsedFractionMax  float64 `json:"cpu_used_fraction_max"`
}

// HPASummaryV1 is one HorizontalPodAutoscaler's record.
type HPASummaryV1 struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Target      string `json:"target"`
	MinReplicas int32  `json:"min_replicas"`
	MaxReplicas int32  `json:"max_replicas"`
	Syncs       int    `json:"syncs"`
	// SyncErrors counts the syncs that reported an error.
	SyncErrors  int            `json:"sync_errors"`
	Replicas    ReplicasV1     `json:"replicas"`
	ScaleEvents []ScaleEventV1 `json:"scale_events"`
	// DemandCoreSeconds and UnservedCoreSeconds integrate the demand on the target and the part
	// of it that the ready pods could not serve over [0, duration], in core-seconds.
	DemandCoreSeconds   float64 `json:"demand_core_seconds"`
	UnservedCoreSeconds float64 `json:"unserved_core_seconds"`
}

// ReplicasV1 describes the target's spec.replicas over the run.
type ReplicasV1 struct {
	Min   int32 `json:"min"`
	Max   int32 `json:"max"`
	Final int32 `json:"final"`
}

// ScaleEventV1 is one change of replicas written by the HPA, at TS seconds into the run.
type ScaleEventV1 struct {
	TS   float64 `json:"t_s"`
	From int32   `json:"from"`
	To   int32   `json:"to"`
}

// Summary computes the summary of a run. version is the ksim version that produced r.
// It does not modify r. HPAs are sorted by (namespace, name).
//
// Cost: O(P log P) for the P pending times and node series points, plus O(len) for the rest.
func Summary(r *sim.Result, version string) *SummaryV1 {
	s := &SummaryV1{
		Schema:      SummarySchemaV1,
		Scenario:    r.Scenario,
		Seed:        r.Seed,
		KsimVersion: version,
		DurationS:   round6(r.Duration.Seconds()),
		Events:      r.Events,
		Pods: PodsV1{
			Created:            r.Pods.Created,
			Scheduled:          r.Pods.Scheduled,
			UnschedulableAtEnd: r.Pods.UnschedulableAtEnd,
			PendingAtEnd:       r.Pods.PendingAtEnd,
			Evicted:            r.Pods.Evicted,
			Preempted:          r.Pods.Preempted,
			Succeeded:          r.Pods.Succeeded,
		},
		PendingS: pendingQuantiles(r.PendingSeconds),
		Nodes:    nodesSummary(r),
		HPAs:     make([]HPASummaryV1, 0, len(r.HPAs)),
	}
	// The engine logs the first failed attempt of each pod (sim.Result.Log).
	for _, e := range r.Log {
		if e.Kind == "unschedulable" {
			s.Pods.EverUnschedulable++
		}
	}
	for i := range r.HPAs {
		s.HPAs = append(s.HPAs, hpaSummary(&r.HPAs[i], r))
	}
	slices.SortStableFunc(s.HPAs, func(a, b HPASummaryV1) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	var demand, unserved float64
	for _, h := range s.HPAs {
		s.HPATotals.ScaleEvents += len(h.ScaleEvents)
		demand += h.DemandCoreSeconds
		unserved += h.UnservedCoreSeconds
	}
	s.HPATotals.DemandCoreSeconds = round6(demand)
	s.HPATotals.UnservedCoreSeconds = round6(unserved)
	if demand > 0 {
		s.HPATotals.UnservedFraction = round6(unserved / demand)
	}
	return s
}

// pendingQuantiles sorts a copy of xs (the caller's slice keeps its binding order) and reads the
// quantiles with stat.Empirical. Cost: O(n log n).
func pendingQuantiles(xs []float64) PendingV1 {
	if len(xs) == 0 {
		return PendingV1{}
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	q := func(p float64) float64 { return round6(stat.Quantile(p, stat.Empirical, sorted, nil)) }
	return PendingV1{
		P50:  q(0.50),
		P95:  q(0.95),
		P99:  q(0.99),
		Max:  round6(sorted[len(sorted)-1]),
		Mean: round6(stat.Mean(sorted, nil)),
	}
}

func nodesSummary(r *sim.Result) NodesV1 {
	n := NodesV1{Count: len(r.Nodes)}
	zones := make([]string, 0, len(r.Nodes))
	reqs := make([]sim.Series, 0, len(r.Nodes))
	for _, nd := range r.Nodes {
		n.CPUAllocatableMilli += nd.AllocatableCPU
		if nd.Zone != "" {
			zones = append(zones, nd.Zone)
		}
		reqs = append(reqs, nd.RequestedCPU)
	}
	slices.Sort(zones)
	n.Zones = len(slices.Compact(zones))
	total := sumSeries(reqs)
	n.CPURequestedMilliMax = int64(math.Round(max(seriesMax(total), 0)))
	if n.CPUAllocatableMilli > 0 {
		alloc := float64(n.CPUAllocatableMilli)
		n.CPURequestedFractionMax = round6(float64(n.CPURequestedMilliMax) / alloc)
		if r.Duration > 0 {
			n.CPURequestedFractionMean = round6(integrate(total, r.Duration) / r.Duration.Seconds() / alloc)
		}
	}

	// Usage, against the allocatable CPU of the nodes that exist at each instant.
	ns := nodeSeries(r)
	allocs := make([]sim.Series, len(ns))
	used := make([]sim.Series, len(ns))
	live := make([]sim.Series, len(ns))
	for i := range ns {
		allocs[i], used[i] = ns[i].alloc, ns[i].used
		live[i].Add(ns[i].from, 1)
		if ns[i].to < r.Duration {
			live[i].Add(ns[i].to, 0)
		}
	}
	n.MaxLive = int(math.Round(seriesMax(sumSeries(live))))
	allocT, usedT := sumSeries(allocs), sumSeries(used)
	n.CPUUsedMilliMax = int64(math.Round(max(seriesMax(usedT), 0)))
	if ia := integrate(allocT, r.Duration); ia > 0 {
		n.CPUUsedFractionMean = round6(integrate(usedT, r.Duration) / ia)
	}
	for _, p := range ratioSeries(usedT, allocT) {
		if !math.IsNaN(p.V) {
			n.CPUUsedFractionMax = max(n.CPUUsedFractionMax, round6(p.V))
		}
	}
	return n
}

func hpaSummary(h *sim.HPAResult, r *sim.Result) HPASummaryV1 {
	out := HPASummaryV1{
		Namespace:   h.Namespace,
		Name:        h.Name,
		Target:      h.Target,
		MinReplicas: h.MinReplicas,
		MaxReplicas: h.MaxReplicas,
		Syncs:       len(h.Syncs),
		Replicas: ReplicasV1{
			Min:   int32(math.Round(seriesMin(h.Replicas))),
			Max:   int32(math.Round(seriesMax(h.Replicas))),
			Final: int32(math.Round(seriesLast(h.Replicas))),
		},
		ScaleEvents:         make([]ScaleEventV1, 0, len(h.ScaleEvents)),
		DemandCoreSeconds:   round6(integrate(h.Demand, r.Duration)),
		UnservedCoreSeconds: round6(integrate(h.Unserved, r.Duration)),
	}
	for _, sy := range h.Syncs {
		if sy.Err != "" {
			out.SyncErrors++
		}
	}
	for _, e := range h.ScaleEvents {
		out.ScaleEvents = append(out.ScaleEvents, ScaleEventV1{TS: round6(e.T.Seconds()), From: e.From, To: e.To})
	}
	return out
}

// round6 rounds x to 6 decimal places (a microsecond, for seconds). Rounding makes the output
// independent of the last bits of a float computation, which may differ between architectures
// (fused multiply-add); encoding/json then prints the shortest decimal that round-trips, so
// 0.1 stays "0.1". NaN and ±Inf pass through, and WriteSummary rejects them.
func round6(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<52/1e6 {
		return x // not representable finer than a unit anyway, or not finite
	}
	r := math.Round(x*1e6) / 1e6
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

// ReadSummary reads a summary.json. It accepts any "ksim.summary/v1" file, ignoring fields it
// does not know (the schema only grows within v1); other schemas and malformed JSON are errors
// that say what is wrong and where (line:column).
func ReadSummary(r io.Reader) (*SummaryV1, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, jsonError(b, err)
	}
	if head.Schema == nil {
		return nil, fmt.Errorf(`no "schema" field: not a ksim summary (want %q)`, SummarySchemaV1)
	}
	if *head.Schema != SummarySchemaV1 {
		return nil, fmt.Errorf("schema is %q, want %q", *head.Schema, SummarySchemaV1)
	}
	var s SummaryV1
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, jsonError(b, err)
	}
	return &s, nil
}

// WriteSummary writes s as JSON, indented by two spaces, fields in struct order, with a final
// newline. The same s always gives the same bytes. It returns an error if a float is NaN or
// infinite (JSON cannot represent them), or if w fails.
func WriteSummary(w io.Writer, s *SummaryV1) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a file, not HTML: keep "<" and "&" readable
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("reports: write summary: %w", err)
	}
	return nil
}
