package scenario

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"ksim.dev/ksim/workloads"
)

// Load models, and the generic trace format. docs/scenario.md (Workloads) describes them.
const (
	ModelAggregate = "aggregate" // the trace is the workload's total demand, shared by its ready pods
	ModelPerPod    = "per-pod"   // each pod replays its own series
	ModelRequests  = "requests"  // a request rate × CPU per request, shared by the ready pods
	FormatCSV      = workloads.FormatCSV
)

// Ways the per-pod model hands series to new pods.
const (
	AssignRoundRobin = "round-robin" // the k-th pod created gets series k mod n
	AssignLowestFree = "lowest-free" // a new pod gets the first series no live pod has
)

// Ways to combine several series into the one an aggregate or requests load needs.
const (
	CombineSum  = "sum"
	CombineMean = "mean"
)

// Bounds of a generator tree in a scenario.
const (
	maxGeneratorDepth = 8
	maxGeneratorNodes = 64
)

// maxHeaderBytes bounds the read of a trace file's header line.
const maxHeaderBytes = 1 << 20

// LoadSpec drives a workload's CPU usage (an entry of spec.load): a trace or a generator, read
// through a load model, transformed. It is not named Load because that is the function that
// loads a scenario.
type LoadSpec struct {
	Target Ref
	Model  string // ModelAggregate (default), ModelPerPod or ModelRequests

	// Exactly one of Trace (Trace.Path or Trace.Paths set) and Generator.
	Trace     Trace
	Generator *Generator

	Transform Transform

	// CPUPerRequest is the requests model's CPU cost of one request, in core-seconds (> 0).
	CPUPerRequest float64
	// Assign is how the per-pod model hands series to new pods: AssignRoundRobin (default) or
	// AssignLowestFree.
	Assign string

	// Data holds what the loader read from each trace file (Trace.Path, or each of
	// Trace.Paths), with the options the spec gives. It is nil for a spec built in Go, and the
	// engine then reads the files itself.
	Data []*workloads.Set
	// Source is "FILE:LINE" of the entry, for the engine's messages.
	Source string
}

// Trace names a trace file, the series and column to read, how to treat its flaws, and how to
// turn its values into cores (or, for the requests model, requests per second).
type Trace struct {
	Format     string // a workloads format name; "csv" by default
	Path       string // within Scenario.FS
	TimeColumn string // csv: default "timestamp"; count-csv: default its first column
	Column     string // the value column; "" for the format's default
	// Exactly one way to turn values into cores, unless the column is in cores already:
	// PeakCores rescales the series so that its maximum is that many cores (over all series of
	// a per-pod load); Scale multiplies each value (value × Scale = cores); CapacityCores
	// says what 100% (percent) or 1 (normalized) stands for. With TroughCores (HasTrough), the
	// trace's range [min, max] maps linearly onto [TroughCores, PeakCores] instead. For the
	// requests model only Scale applies (value × Scale = requests per second).
	PeakCores     float64
	TroughCores   float64
	HasTrough     bool
	Scale         float64
	CapacityCores float64
	Repeat        bool // loop the trace when the run outlasts it (default true)
	RepeatCount   int  // with Repeat: how many plays (0: forever); then the last value holds

	// Paths are several files of one format, for a per-pod load (each file's series, in
	// order); Path is empty then.
	Paths []string
	// The workloads.Options of the same names; "" and 0 mean the format's defaults.
	SeriesBy, Unit, VMTable               string
	Series                                []string
	Interval, Step, MaxGap                time.Duration
	Gaps, Duplicates, OutOfOrder, Invalid string
	// Combine sums or averages several series into one, for the aggregate and requests
	// models ("" when the trace holds one series).
	Combine string
}

// Transform changes a load's series in time and amplitude; the zero value changes nothing.
type Transform struct {
	Shift     time.Duration // delay (> 0) or advance (< 0) the series
	TimeScale float64       // stretch time: 2 plays a day over two days; 0 means 1
	Amplitude float64       // multiply the values: 1.2 is 20% more; 0 means 1
	Resample  time.Duration // report the mean over each window of this length (0: off)
}

// Generator is a synthetic load instead of a trace: one of the workloads generators, or a
// combination. Leaf is a workloads generator value without its random source: the engine
// gives each random leaf its own stream, split from the run's seed.
type Generator struct {
	Kind   string              // constant, step, ramp, diurnal, spikes, randomWalk, jobs, sum, product, sequence
	Leaf   workloads.Generator // for the leaf kinds
	Parts  []*Generator        // sum, product, sequence
	For    []time.Duration     // sequence: how long each part plays (the last's is unused)
	Field  string              // the generator's field path, for messages
	Random bool                // Leaf draws random numbers
}

// targetKinds maps the kind part of a load target (lower-cased; kubectl's names and short
// names) to a Ref kind.
var targetKinds = map[string]string{
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"job": "Job", "jobs": "Job",
	"pod": "Pod", "pods": "Pod", "po": "Pod",
}

// parseTarget parses "kind/name" or "kind/namespace/name".
func parseTarget(s string) (Ref, string) {
	const want = "want kind/name or kind/namespace/name, e.g. deployment/web or deployment/shop/web (kinds: deployment, daemonset, job, pod)"
	parts := strings.Split(s, "/")
	var r Ref
	switch len(parts) {
	case 2:
		r = Ref{Kind: parts[0], Namespace: "default", Name: parts[1]}
	case 3:
		r = Ref{Kind: parts[0], Namespace: parts[1], Name: parts[2]}
	default:
		return Ref{}, fmt.Sprintf("%s is not a workload reference; %s", quoteShort(s), want)
	}
	k, ok := targetKinds[strings.ToLower(r.Kind)]
	if !ok {
		return Ref{}, fmt.Sprintf("%s cannot be a load target; %s", quoteShort(r.Kind), want)
	}
	r.Kind = k
	if r.Namespace == "" || r.Name == "" {
		return Ref{}, fmt.Sprintf("%s has an empty part; %s", quoteShort(s), want)
	}
	return r, ""
}

// load validates one spec.load entry and reads its traces.
func (l *loader) load(src objSrc, i int, ld *loadDoc) {
	field := fmt.Sprintf("spec.load[%d]", i)
	out := LoadSpec{Model: ld.Model, Source: src.where(field)}
	ok := true
	if ld.Target == "" {
		l.errAt(src, field, "target is required, e.g. target: deployment/web")
		ok = false
	} else if ref, msg := parseTarget(ld.Target); msg != "" {
		l.errAt(src, field+".target", "%s", msg)
		ok = false
	} else {
		out.Target = ref
		key := objKey{kind: ref.Kind, ns: ref.Namespace, name: ref.Name}
		if _, exists := l.objects[key]; !exists && l.partial {
			ok = false
		} else if !exists {
			l.errAt(src, field+".target", "no %s %s in namespace %s%s", ref.Kind, quoteShort(ref.Name), ref.Namespace, l.suggest(key))
			ok = false
		} else if where, dup := l.loads[ref]; dup {
			l.errAt(src, field+".target", "%s already has a load (%s); give each workload one load", ld.Target, where)
			ok = false
		} else {
			if l.loads == nil {
				l.loads = make(map[Ref]string)
			}
			l.loads[ref] = src.where(field)
		}
	}
	if out.Model == "" {
		out.Model = ModelAggregate
	}
	switch out.Model {
	case ModelAggregate, ModelPerPod, ModelRequests:
	default:
		l.errAt(src, field+".model", "%s is not a load model; allowed: aggregate (demand shared by the ready pods), per-pod (each pod replays its own series), requests (a request rate × cpuPerRequest, shared by the ready pods)", quoteShort(out.Model))
		ok = false
	}
	if !l.loadModelFields(src, field, ld, &out) {
		ok = false
	}
	if tr, trOK := l.transform(src, field+".transform", ld.Transform); trOK {
		out.Transform = tr
	} else {
		ok = false
	}
	switch {
	case ld.Trace == nil && ld.Generator == nil:
		l.errAt(src, field, "trace or generator is required, e.g. trace: {format: csv, path: traces/web.csv, column: cpu, peakCores: 8} or generator: {diurnal: {mean: 4, amplitude: 2}}")
		return
	case ld.Trace != nil && ld.Generator != nil:
		l.errAt(src, field+".generator", "give trace or generator, not both")
		return
	case ld.Generator != nil:
		g, gOK := l.generator(src, field+".generator", ld.Generator, 0, new(int))
		if ok && gOK {
			out.Generator = g
			l.sc.Load = append(l.sc.Load, out)
		}
		return
	}
	tr, data, trOK := l.trace(src, field+".trace", ld.Trace, &out)
	out.Trace, out.Data = tr, data
	if ok && trOK {
		l.sc.Load = append(l.sc.Load, out)
	}
}

// loadModelFields checks the fields that belong to one model.
func (l *loader) loadModelFields(src objSrc, field string, ld *loadDoc, out *LoadSpec) bool {
	ok := true
	if ld.CPUPerRequest != nil {
		if out.Model != ModelRequests {
			l.errAt(src, field+".cpuPerRequest", "belongs to model: requests (CPU per request); this load's model is %s", out.Model)
			ok = false
		} else if v := ld.CPUPerRequest.AsApproximateFloat64(); !(v > 0) || math.IsInf(v, 0) {
			l.errAt(src, field+".cpuPerRequest", "must be greater than 0 (core-seconds of CPU per request, e.g. 5m for 5 ms of one core), got %s", ld.CPUPerRequest.String())
			ok = false
		} else {
			out.CPUPerRequest = v
		}
	} else if out.Model == ModelRequests {
		l.errAt(src, field, "cpuPerRequest is required with model: requests: the CPU one request costs, in core-seconds (e.g. cpuPerRequest: 5m)")
		ok = false
	}
	if ld.Assign != "" {
		switch {
		case out.Model != ModelPerPod:
			l.errAt(src, field+".assign", "belongs to model: per-pod (how new pods get a series); this load's model is %s", out.Model)
			ok = false
		case ld.Assign != AssignRoundRobin && ld.Assign != AssignLowestFree:
			l.errAt(src, field+".assign", "%s is not allowed; allowed: round-robin (pod k gets series k mod n), lowest-free (a new pod gets the first series no live pod has)", quoteShort(ld.Assign))
			ok = false
		}
	}
	out.Assign = ld.Assign
	if out.Model == ModelPerPod && out.Assign == "" {
		out.Assign = AssignRoundRobin
	}
	return ok
}

// transform checks spec.load[i].transform.
func (l *loader) transform(src objSrc, field string, td *transformDoc) (Transform, bool) {
	var out Transform
	if td == nil {
		return out, true
	}
	ok := true
	if td.Shift.set {
		v, msg := td.Shift.parseSigned()
		if msg != "" {
			l.errAt(src, field+".shift", "%s", msg)
			ok = false
		}
		out.Shift = v
	}
	if td.TimeScale != nil {
		if v := *td.TimeScale; !(v > 0) || math.IsInf(v, 0) || v > 1e6 || v < 1e-6 {
			l.errAt(src, field+".timeScale", "must be between 1e-6 and 1e6 (2 plays the series twice as slow, 0.5 twice as fast), got %v", v)
			ok = false
		}
		out.TimeScale = *td.TimeScale
	}
	if td.Amplitude != nil {
		if v := *td.Amplitude; !(v > 0) || math.IsInf(v, 0) {
			l.errAt(src, field+".amplitude", "must be greater than 0 (1.2 is 20%% more load), got %v", v)
			ok = false
		}
		out.Amplitude = *td.Amplitude
	}
	if td.Resample.set {
		if td.Resample.text == "metricResolution" {
			out.Resample = l.sc.Controllers.MetricResolution
		} else if v, msg := td.Resample.parse(true); msg != "" {
			l.errAt(src, field+".resample", "%s, or metricResolution (spec.controllers.metricResolution)", msg)
			ok = false
		} else {
			out.Resample = v
		}
	}
	return out, ok
}

// parseSigned parses a duration that may be negative.
func (d duration) parseSigned() (time.Duration, string) {
	if d.number && d.text != "0" {
		return 0, fmt.Sprintf("%s has no unit; write a Go duration such as %ss or -%ss (units: ns, us, ms, s, m, h)", d.text, strings.TrimPrefix(d.text, "-"), strings.TrimPrefix(d.text, "-"))
	}
	v, err := time.ParseDuration(d.text)
	if err != nil {
		return 0, fmt.Sprintf("%s is not a Go duration; write e.g. 30m, -2h or 1h30m (units: ns, us, ms, s, m, h)", quoteShort(d.text))
	}
	return v, ""
}

// formatsAllowed lists the trace formats for messages, the generic one first.
func formatsAllowed() string {
	names := []string{"csv (a header line, then one row per sample)"}
	for _, f := range workloads.Formats() {
		if f.Name != FormatCSV {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, ", ")
}

func (l *loader) trace(src objSrc, field string, td *traceDoc, ls *LoadSpec) (Trace, []*workloads.Set, bool) {
	t := Trace{Format: td.Format, TimeColumn: td.TimeColumn, Column: td.Column, Repeat: true,
		SeriesBy: td.SeriesBy, Series: td.Series, Unit: td.Unit, Combine: td.Combine,
		Gaps: td.Gaps, Duplicates: td.Duplicates, OutOfOrder: td.OutOfOrder, Invalid: td.Invalid}
	ok := true
	if t.Format == "" {
		t.Format = FormatCSV
	}
	f, known := workloads.LookupFormat(t.Format)
	if !known {
		l.errAt(src, field+".format", "not supported yet: %s; allowed: %s", quoteShort(t.Format), formatsAllowed())
		ok = false
	}
	if t.Format == FormatCSV && t.TimeColumn == "" {
		t.TimeColumn = DefaultTimeColumn
	}
	if td.TimeColumn != "" && t.Format != FormatCSV && t.Format != workloads.FormatCountCSV {
		l.errAt(src, field+".timeColumn", "applies to formats csv and count-csv; %s defines its time column", t.Format)
		ok = false
	}
	if td.Repeat != nil {
		t.Repeat, t.RepeatCount = td.Repeat.on, td.Repeat.count
	}
	if !l.traceOptions(src, field, td, &t, f) {
		ok = false
	}
	if !l.traceScale(src, field, td, &t, ls.Model) {
		ok = false
	}

	// The files.
	switch {
	case td.Path == "" && len(td.Paths) == 0:
		l.errAt(src, field, "path is required: the trace file, relative to the scenario's directory")
		return t, nil, false
	case td.Path != "" && len(td.Paths) > 0:
		l.errAt(src, field+".paths", "give path or paths, not both")
		return t, nil, false
	case len(td.Paths) > 0 && ls.Model != ModelPerPod:
		l.errAt(src, field+".paths", "several files are for model: per-pod (a series per pod); an %s load reads one file", ls.Model)
		return t, nil, false
	}
	refs, fields := []string{td.Path}, []string{field + ".path"}
	if len(td.Paths) > 0 {
		refs, fields = td.Paths, nil
		for j := range td.Paths {
			fields = append(fields, fmt.Sprintf("%s.paths[%d]", field, j))
		}
	}
	type file struct{ fsPath, name, field string }
	var files []file
	for j, ref := range refs {
		fsPath, name, err := l.resolve(ref)
		if err != nil {
			l.errAt(src, fields[j], "%v", err)
			ok = false
			continue
		}
		files = append(files, file{fsPath, name, fields[j]})
		if len(td.Paths) > 0 {
			t.Paths = append(t.Paths, fsPath)
		} else {
			t.Path = fsPath
		}
	}
	if !known || len(files) != len(refs) {
		return t, nil, false
	}
	// The generic CSV format's columns are checked against the header first, so that a wrong
	// name is reported at the scenario's line.
	if t.Format == FormatCSV {
		for _, fl := range files {
			if !l.checkCSVColumns(src, field, td, &t, fl.fsPath, fl.name, fl.field) {
				return t, nil, false
			}
		}
	}
	if !ok {
		return t, nil, false
	}
	opts, vmOK := l.traceReadOptions(src, field, &t)
	if !vmOK {
		return t, nil, false
	}
	var sets []*workloads.Set
	series := 0
	for _, fl := range files {
		set, err := workloads.ReadFile(l.fsys, fl.fsPath, opts)
		if err != nil {
			l.traceError(src, fl, err, field)
			return t, nil, false
		}
		set.Name = fl.name
		for _, tr := range set.Traces {
			tr.Name = fl.name
		}
		sets = append(sets, set)
		series += len(set.Traces)
	}
	if !l.traceFits(src, field, td, &t, sets, ls.Model, series) {
		return t, nil, false
	}
	return t, sets, true
}

// traceError reports an error reading a trace file: at the file's line for a parse error, else
// at the scenario's field.
func (l *loader) traceError(src objSrc, fl struct{ fsPath, name, field string }, err error, field string) {
	var pe *workloads.ParseError
	switch {
	case errors.As(err, &pe):
		l.probs.seeFile(fl.name)
		l.add(&Error{File: fl.name, Line: pe.Line, Msg: pe.Msg})
	case strings.Contains(err.Error(), "not in the file"):
		l.errAt(src, field+".series", "%s", strings.TrimPrefix(err.Error(), fl.fsPath+": "))
	default:
		var msg string
		if fe := fileErr(err); fe != err {
			msg = fmt.Sprintf("%s: %v", fl.name, fe)
		} else {
			msg = strings.Replace(err.Error(), fl.fsPath+": ", fl.name+": ", 1)
		}
		l.errAt(src, fl.field, "%s", msg)
	}
}

// traceOptions checks the reading options against the format.
func (l *loader) traceOptions(src objSrc, field string, td *traceDoc, t *Trace, f *workloads.Format) bool {
	ok := true
	if f != nil && td.Column != "" && f.Name != FormatCSV && f.Name != workloads.FormatCountCSV && f.Name != workloads.FormatGoogle2019 {
		if c := lookupColumn(f, td.Column); c == "" {
			l.errAt(src, field+".column", "%s is not a column of format %s; columns: %s", quoteShort(td.Column), f.Name, strings.Join(f.ColumnNames(), ", "))
			ok = false
		}
	}
	if f != nil && td.SeriesBy != "" && f.Name != FormatCSV && f.Name != workloads.FormatPrometheus {
		for _, k := range strings.Split(td.SeriesBy, "/") {
			if !slices.Contains(f.Keys, k) {
				allowed := strings.Join(f.Keys, ", ")
				if allowed == "" {
					allowed = "none: a file of this format holds one series"
				}
				l.errAt(src, field+".seriesBy", "%s cannot name a series of format %s; allowed: %s (join several with /)", quoteShort(k), f.Name, allowed)
				ok = false
				break
			}
		}
	}
	seen := map[string]bool{}
	for j, s := range td.Series {
		if s == "" || seen[s] {
			l.errAt(src, fmt.Sprintf("%s.series[%d]", field, j), "%s; name each series once", map[bool]string{true: "is empty", false: quoteShort(s) + " is named twice"}[s == ""])
			ok = false
		}
		seen[s] = true
	}
	if td.Unit != "" {
		if f != nil && f.Name != FormatCSV && f.Name != workloads.FormatPrometheus {
			l.errAt(src, field+".unit", "format %s gives its columns' units; unit applies to csv and prometheus", f.Name)
			ok = false
		} else if !oneOfUnit(td.Unit) {
			l.errAt(src, field+".unit", "%s is not a unit; allowed: %s", quoteShort(td.Unit), unitNames())
			ok = false
		}
	}
	if td.VMTable != "" && t.Format != workloads.FormatAzureV1 && t.Format != workloads.FormatAzureV2 {
		l.errAt(src, field+".vmtable", "applies to formats azure-v1 and azure-v2 (core counts per VM)")
		ok = false
	}
	t.VMTable = td.VMTable
	durs := []struct {
		name     string
		d        duration
		dst      *time.Duration
		positive bool
		formats  []string
	}{
		{"interval", td.Interval, &t.Interval, true, []string{workloads.FormatCounts, workloads.FormatGoogle2019}},
		{"step", td.Step, &t.Step, true, nil},
		{"maxGap", td.MaxGap, &t.MaxGap, true, nil},
	}
	for _, d := range durs {
		if !d.d.set {
			continue
		}
		if d.formats != nil && !slices.Contains(d.formats, t.Format) {
			l.errAt(src, field+"."+d.name, "applies to formats %s (the time between rows without times)", strings.Join(d.formats, " and "))
			ok = false
			continue
		}
		v, msg := d.d.parse(d.positive)
		if msg != "" {
			l.errAt(src, field+"."+d.name, "%s", msg)
			ok = false
			continue
		}
		*d.dst = v
	}
	policies := []struct {
		name, v string
		allowed []string
		what    string
	}{
		{"gaps", td.Gaps, strs(workloads.GapPolicies()), "hold (the last value holds), interpolate (a line every step), zero (no samples, no load), error"},
		{"duplicates", td.Duplicates, strs(workloads.DuplicatePolicies()), "error, first, last, sum, mean, max"},
		{"outOfOrder", td.OutOfOrder, strs(workloads.OrderPolicies()), "error, drop, sort"},
		{"invalid", td.Invalid, strs(workloads.InvalidPolicies()), "error, skip (rows whose value or time is not a number, or is out of range)"},
	}
	for _, p := range policies {
		if p.v != "" && !slices.Contains(p.allowed, p.v) {
			l.errAt(src, field+"."+p.name, "%s is not allowed; allowed: %s", quoteShort(p.v), p.what)
			ok = false
		}
	}
	if td.Combine != "" && td.Combine != CombineSum && td.Combine != CombineMean {
		l.errAt(src, field+".combine", "%s is not allowed; allowed: sum (the series add up to the workload's demand), mean", quoteShort(td.Combine))
		ok = false
	}
	return ok
}

// traceScale checks the fields that turn values into cores (or requests per second).
func (l *loader) traceScale(src objSrc, field string, td *traceDoc, t *Trace, model string) bool {
	ok := true
	if model == ModelRequests {
		for _, f := range []struct {
			name string
			set  bool
		}{{"peakCores", td.PeakCores != nil}, {"troughCores", td.TroughCores != nil}, {"capacityCores", td.CapacityCores != nil}} {
			if f.set {
				l.errAt(src, field+"."+f.name, "does not apply to model: requests, whose trace is a request rate; scale it with scale (requests per second per unit) and set cpuPerRequest")
				ok = false
			}
		}
	}
	given := 0
	for _, p := range []*float64{td.PeakCores, td.Scale, td.CapacityCores} {
		if p != nil {
			given++
		}
	}
	if given > 1 {
		second := "scale"
		switch {
		case td.PeakCores != nil && td.Scale != nil:
		case td.CapacityCores != nil:
			second = "capacityCores"
		}
		if td.CapacityCores == nil {
			l.errAt(src, field+"."+second, "give exactly one of peakCores or scale, not both")
		} else {
			l.errAt(src, field+"."+second, "give one of peakCores, scale and capacityCores, not several")
		}
		return false
	}
	if td.PeakCores != nil {
		if v := *td.PeakCores; !(v > 0) || math.IsInf(v, 0) {
			l.errAt(src, field+".peakCores", "must be greater than 0 (cores), got %v", v)
			ok = false
		}
		t.PeakCores = *td.PeakCores
	}
	if td.TroughCores != nil {
		switch {
		case td.PeakCores == nil:
			l.errAt(src, field+".troughCores", "goes with peakCores, not scale: give peakCores and troughCores to map the trace's range onto [troughCores, peakCores]")
			ok = false
		case model == ModelPerPod:
			l.errAt(src, field+".troughCores", "does not apply to model: per-pod (each pod's series keeps its shape); use peakCores alone")
			ok = false
		case !(*td.TroughCores >= 0) || !(*td.TroughCores <= t.PeakCores):
			l.errAt(src, field+".troughCores", "must be between 0 and peakCores (%v), got %v", t.PeakCores, *td.TroughCores)
			ok = false
		}
		t.TroughCores, t.HasTrough = *td.TroughCores, true
	}
	if td.Scale != nil {
		if v := *td.Scale; !(v > 0) || math.IsInf(v, 0) {
			what := "cores per unit of the column"
			if model == ModelRequests {
				what = "requests per second per unit of the column"
			}
			l.errAt(src, field+".scale", "must be greater than 0 (%s), got %v", what, v)
			ok = false
		}
		t.Scale = *td.Scale
	}
	if td.CapacityCores != nil {
		if v := *td.CapacityCores; !(v > 0) || math.IsInf(v, 0) {
			l.errAt(src, field+".capacityCores", "must be greater than 0 (the cores that 100%% or a normalized 1 stands for), got %v", v)
			ok = false
		}
		t.CapacityCores = *td.CapacityCores
	}
	return ok
}

// traceFits checks what needs the data: the column measures what the model needs, its unit
// turns into cores, and the number of series suits the model.
func (l *loader) traceFits(src objSrc, field string, td *traceDoc, t *Trace, sets []*workloads.Set, model string, series int) bool {
	col := sets[0].Column
	ok := true
	switch model {
	case ModelRequests:
		if col.Resource != workloads.ResourceRequests && col.Resource != workloads.ResourceUnknown {
			l.errAt(src, field+".column", "column %s measures %s; model: requests needs a request count or rate (formats counts, count-csv, or csv/prometheus with unit requests or requests/s)", col.Name, col.Resource)
			ok = false
		}
	default:
		if col.Resource != workloads.ResourceCPU && col.Resource != workloads.ResourceUnknown {
			l.errAt(src, field+".column", "column %s measures %s; a CPU load needs a CPU column (or model: requests for request counts)", col.Name, col.Resource)
			return false
		}
		given := t.PeakCores > 0 || t.Scale > 0 || t.CapacityCores > 0
		switch u := col.Unit; {
		case t.CapacityCores > 0 && !u.NeedsCapacity():
			l.errAt(src, field+".capacityCores", "column %s is in %s, not a share of a capacity; capacityCores applies to percent and normalized columns (use scale or peakCores)", col.Name, workloads.UnitText(u))
			ok = false
		case given || u == workloads.UnitCores:
		case u.NeedsCapacity():
			l.errAt(src, field, "column %s is in %s: give capacityCores (the cores that %s stands for), or peakCores, or scale", col.Name, u, map[bool]string{true: "100%", false: "a normalized 1"}[u == workloads.UnitPercent])
			ok = false
		default:
			if col.Unit == workloads.UnitMHz {
				l.errAt(src, field, "column %s is in MHz: give scale (cores per MHz) or peakCores, or read column cpu_usage_cores", col.Name)
			} else {
				l.errAt(src, field, "give exactly one of peakCores (the trace's maximum becomes that many cores) or scale (cores = value × scale)")
			}
			ok = false
		}
	}
	if model != ModelPerPod && series > 1 && t.Combine == "" {
		var names []string
		for _, s := range sets {
			for _, tr := range s.Traces {
				names = append(names, tr.ID)
			}
		}
		l.errAt(src, field, "the trace holds %d series (%s); an %s load needs one: select it with series: [%s], or add them up with combine: sum", series, listShort(names, 5), model, names[0])
		ok = false
	}
	if model == ModelPerPod && t.Combine != "" {
		l.errAt(src, field+".combine", "does not apply to model: per-pod, whose pods each replay one series")
		ok = false
	}
	return ok
}

// traceReadOptions builds the reader's options, reading the Azure vmtable when one is named.
func (l *loader) traceReadOptions(src objSrc, field string, t *Trace) (workloads.Options, bool) {
	opts := TraceOptions(t)
	if t.VMTable == "" {
		return opts, true
	}
	fsPath, name, err := l.resolve(t.VMTable)
	if err != nil {
		l.errAt(src, field+".vmtable", "%v", err)
		return opts, false
	}
	t.VMTable = fsPath
	var want map[string]bool
	if t.Series != nil {
		want = map[string]bool{}
		for _, s := range t.Series {
			want[s] = true
		}
	}
	counts, err := workloads.OpenVMTable(l.fsys, fsPath, t.Format, want)
	if err != nil {
		var pe *workloads.ParseError
		if errors.As(err, &pe) {
			l.probs.seeFile(name)
			l.add(&Error{File: name, Line: pe.Line, Msg: pe.Msg})
		} else {
			l.errAt(src, field+".vmtable", "%s: %v", name, fileErr(err))
		}
		return opts, false
	}
	opts.CoreCounts = counts
	return opts, true
}

// TraceOptions returns the workloads options that read t (without the Azure core counts, which
// come from t.VMTable).
func TraceOptions(t *Trace) workloads.Options {
	return workloads.Options{Format: t.Format, Column: t.Column, TimeColumn: t.TimeColumn, SeriesBy: t.SeriesBy, Series: t.Series,
		Unit: workloads.Unit(t.Unit), Interval: t.Interval, Step: t.Step, MaxGap: t.MaxGap,
		Gaps: workloads.GapPolicy(t.Gaps), Duplicates: workloads.DuplicatePolicy(t.Duplicates),
		OutOfOrder: workloads.OrderPolicy(t.OutOfOrder), Invalid: workloads.InvalidPolicy(t.Invalid)}
}

func lookupColumn(f *workloads.Format, name string) string {
	for _, c := range f.Columns {
		if c.Name == name || c.Header == name || slices.Contains(c.Aliases, name) {
			return c.Name
		}
	}
	return ""
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func oneOfUnit(u string) bool { return slices.Contains(workloads.Units, workloads.Unit(u)) }

func unitNames() string { return strings.Join(strs(workloads.Units), ", ") }

// checkCSVColumns checks the generic CSV's column names against the file's header.
func (l *loader) checkCSVColumns(src objSrc, field string, td *traceDoc, t *Trace, fsPath, name, fileField string) bool {
	header, err := l.csvHeader(fsPath)
	if err != nil {
		l.errAt(src, fileField, "%s: %v", name, err)
		return false
	}
	has := func(c string) bool { return slices.Contains(header, c) }
	ok := true
	if t.Column == "" {
		l.errAt(src, field, "column is required: the name of the value column in %s (columns: %s)", name, listShort(header, 12))
		ok = false
	} else if !has(t.Column) {
		l.errAt(src, field+".column", "%s is not a column of %s; columns: %s", quoteShort(t.Column), name, listShort(header, 12))
		ok = false
	}
	if !has(t.TimeColumn) {
		f := field + ".timeColumn"
		if td.TimeColumn == "" {
			f = field
		}
		l.errAt(src, f, "time column %s is not a column of %s; columns: %s (set timeColumn to the column of seconds from the trace's start)", quoteShort(t.TimeColumn), name, listShort(header, 12))
		ok = false
	} else if t.Column == t.TimeColumn {
		l.errAt(src, field+".column", "is the time column; name the value column")
		ok = false
	}
	if t.SeriesBy != "" {
		for _, k := range strings.Split(t.SeriesBy, "/") {
			if !has(k) {
				l.errAt(src, field+".seriesBy", "%s is not a column of %s; columns: %s", quoteShort(k), name, listShort(header, 12))
				ok = false
			}
		}
	}
	return ok
}

// csvHeader reads the first record of a CSV file.
func (l *loader) csvHeader(fsPath string) ([]string, error) {
	f, err := l.fsys.Open(fsPath)
	if err != nil {
		return nil, fileErr(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errors.New("is a directory; want a CSV file")
	}
	br := bufio.NewReader(io.LimitReader(f, maxHeaderBytes))
	line, err := br.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fileErr(err)
	}
	if len(line) >= maxHeaderBytes && !bytes.HasSuffix(line, []byte("\n")) {
		return nil, fmt.Errorf("the header line is longer than %d bytes", maxHeaderBytes)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, errors.New("the file has no header line; want column names on the first line (e.g. timestamp,cpu)")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(line, utf8BOM)))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the header line is not CSV: %v", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}

// ---- generators ----

// generator checks one node of a generator tree; count counts the nodes seen.
func (l *loader) generator(src objSrc, field string, gd *generatorDoc, depth int, count *int) (*Generator, bool) {
	*count++
	if depth > maxGeneratorDepth || *count > maxGeneratorNodes {
		l.errAt(src, field, "the generator is too large (at most %d levels and %d generators)", maxGeneratorDepth, maxGeneratorNodes)
		return nil, false
	}
	kinds := gd.kinds()
	switch {
	case len(kinds) == 0:
		l.errAt(src, field, "give one generator: %s", generatorKinds)
		return nil, false
	case len(kinds) > 1:
		l.errAt(src, field+"."+kinds[1], "give one generator per entry, not %s and %s (combine them with sum, product or sequence)", kinds[0], kinds[1])
		return nil, false
	}
	kind := kinds[0]
	g := &Generator{Kind: kind, Field: joinPath(src.prefix, field+"."+kind)}
	f := field + "." + kind
	ok := true
	num := func(name string, p *float64, def float64, required bool) float64 {
		if p == nil {
			if required {
				l.errAt(src, f, "%s is required", name)
				ok = false
			}
			return def
		}
		if v := *p; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			l.errAt(src, f+"."+name, "must be a number >= 0, got %v", v)
			ok = false
		}
		return *p
	}
	dur := func(name string, d duration, positive, required bool) time.Duration {
		if !d.set {
			if required {
				l.errAt(src, f, "%s is required (a Go duration)", name)
				ok = false
			}
			return 0
		}
		v, msg := d.parse(positive)
		if msg != "" {
			l.errAt(src, f+"."+name, "%s", msg)
			ok = false
		}
		return v
	}
	switch kind {
	case "constant":
		if v := *gd.Constant; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			l.errAt(src, f, "must be a number >= 0, got %v", v)
			ok = false
		}
		g.Leaf = workloads.Constant{Value: *gd.Constant}
	case "step":
		s := gd.Step
		g.Leaf = workloads.Step{At: dur("at", s.At, false, true), Before: num("before", s.Before, 0, true), After: num("after", s.After, 0, true)}
	case "ramp":
		r := gd.Ramp
		rg := workloads.Ramp{Start: dur("start", r.Start, false, false), End: dur("end", r.End, true, true), From: num("from", r.From, 0, true), To: num("to", r.To, 0, true)}
		if ok && rg.End <= rg.Start {
			l.errAt(src, f+".end", "must be after start (%v), got %v", rg.Start, rg.End)
			ok = false
		}
		g.Leaf = rg
	case "diurnal":
		d := gd.Diurnal
		dg := workloads.Diurnal{Mean: num("mean", d.Mean, 0, true), Amplitude: num("amplitude", d.Amplitude, 0, false),
			Period: dur("period", d.Period, true, false), PeakAt: dur("peakAt", d.PeakAt, false, false),
			Noise: num("noise", d.Noise, 0, false), NoiseInterval: dur("noiseInterval", d.NoiseInterval, true, false)}
		g.Leaf, g.Random = dg, dg.Noise > 0
	case "spikes":
		s := gd.Spikes
		g.Leaf = workloads.Spikes{Every: dur("every", s.Every, true, true), Height: num("height", s.Height, 0, true), Duration: dur("duration", s.Duration, true, true)}
		g.Random = true
	case "randomWalk":
		w := gd.RandomWalk
		wg := workloads.RandomWalk{Start: num("start", w.Start, 0, true), Sigma: num("sigma", w.Sigma, 0, true),
			Min: num("min", w.Min, 0, false), Max: num("max", w.Max, 0, false), Interval: dur("interval", w.Interval, true, false)}
		if ok && (wg.Start < wg.Min || (wg.Max > 0 && (wg.Start > wg.Max || wg.Max < wg.Min))) {
			l.errAt(src, f+".start", "must be within [min, max] = [%v, %v] (max 0: no upper bound), got %v", wg.Min, wg.Max, wg.Start)
			ok = false
		}
		g.Leaf, g.Random = wg, true
	case "jobs":
		j := gd.Jobs
		g.Leaf = workloads.Jobs{Every: dur("every", j.Every, true, true), Median: dur("median", j.Median, true, true),
			Sigma: num("sigma", j.Sigma, 0.5, false), Cores: num("cores", j.Cores, 1, false)}
		g.Random = true
	case "sum", "product", "sequence":
		parts := map[string][]generatorDoc{"sum": gd.Sum, "product": gd.Product, "sequence": gd.Sequence}[kind]
		if len(parts) == 0 {
			l.errAt(src, f, "lists no generators; give at least one")
			return nil, false
		}
		for j := range parts {
			pf := fmt.Sprintf("%s[%d]", f, j)
			p := &parts[j]
			if p.For.set != (kind == "sequence") && !(kind == "sequence" && j == len(parts)-1) {
				if kind == "sequence" {
					l.errAt(src, pf, "for is required: how long this part plays (the last part plays on, and needs none)")
				} else {
					l.errAt(src, pf+".for", "applies to the parts of a sequence")
				}
				ok = false
			}
			var forD time.Duration
			if p.For.set && kind == "sequence" {
				v, msg := p.For.parse(true)
				if msg != "" {
					l.errAt(src, pf+".for", "%s", msg)
					ok = false
				}
				forD = v
			}
			child, cOK := l.generator(src, pf, p, depth+1, count)
			if !cOK {
				ok = false
				continue
			}
			g.Parts = append(g.Parts, child)
			g.For = append(g.For, forD)
		}
	}
	if gd.For.set && depth == 0 {
		l.errAt(src, field+".for", "applies to the parts of a sequence")
		ok = false
	}
	if ok && g.Leaf != nil {
		// The parameters as the engine will check them.
		if err := g.Leaf.Check(); err != nil {
			l.errAt(src, f, "%v", err)
			ok = false
		}
	}
	return g, ok
}

const generatorKinds = "constant, step, ramp, diurnal, spikes, randomWalk, jobs, sum, product, sequence"

func (gd *generatorDoc) kinds() []string {
	var k []string
	add := func(name string, set bool) {
		if set {
			k = append(k, name)
		}
	}
	add("constant", gd.Constant != nil)
	add("step", gd.Step != nil)
	add("ramp", gd.Ramp != nil)
	add("diurnal", gd.Diurnal != nil)
	add("spikes", gd.Spikes != nil)
	add("randomWalk", gd.RandomWalk != nil)
	add("jobs", gd.Jobs != nil)
	add("sum", gd.Sum != nil)
	add("product", gd.Product != nil)
	add("sequence", gd.Sequence != nil)
	return k
}

// ---- documents ----

// traceDoc is spec.load[i].trace as written.
type traceDoc struct {
	Format        string    `json:"format"`
	Path          string    `json:"path"`
	Paths         []string  `json:"paths"`
	TimeColumn    string    `json:"timeColumn"`
	Column        string    `json:"column"`
	SeriesBy      string    `json:"seriesBy"`
	Series        []string  `json:"series"`
	Unit          string    `json:"unit"`
	VMTable       string    `json:"vmtable"`
	Interval      duration  `json:"interval"`
	Step          duration  `json:"step"`
	MaxGap        duration  `json:"maxGap"`
	Gaps          string    `json:"gaps"`
	Duplicates    string    `json:"duplicates"`
	OutOfOrder    string    `json:"outOfOrder"`
	Invalid       string    `json:"invalid"`
	Combine       string    `json:"combine"`
	PeakCores     *float64  `json:"peakCores"`
	TroughCores   *float64  `json:"troughCores"`
	Scale         *float64  `json:"scale"`
	CapacityCores *float64  `json:"capacityCores"`
	Repeat        *repeatOn `json:"repeat"`
}

// repeatOn is trace.repeat: true, false, or a number of plays (>= 1).
type repeatOn struct {
	on    bool
	count int
}

func (r *repeatOn) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch s {
	case "true":
		*r = repeatOn{on: true}
		return nil
	case "false", "null":
		*r = repeatOn{}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		return fmt.Errorf("want true (loop forever), false (play once, then hold the last value) or a number of plays from 1 to 1000000, got %s", s)
	}
	*r = repeatOn{on: true, count: n}
	return nil
}

type transformDoc struct {
	Shift     duration `json:"shift"`
	TimeScale *float64 `json:"timeScale"`
	Amplitude *float64 `json:"amplitude"`
	Resample  duration `json:"resample"`
}

type generatorDoc struct {
	Constant   *float64       `json:"constant"`
	Step       *stepGenDoc    `json:"step"`
	Ramp       *rampGenDoc    `json:"ramp"`
	Diurnal    *diurnalGenDoc `json:"diurnal"`
	Spikes     *spikesGenDoc  `json:"spikes"`
	RandomWalk *walkGenDoc    `json:"randomWalk"`
	Jobs       *jobsGenDoc    `json:"jobs"`
	Sum        []generatorDoc `json:"sum"`
	Product    []generatorDoc `json:"product"`
	Sequence   []generatorDoc `json:"sequence"`
	For        duration       `json:"for"`
}

type stepGenDoc struct {
	At     duration `json:"at"`
	Before *float64 `json:"before"`
	After  *float64 `json:"after"`
}

type rampGenDoc struct {
	Start duration `json:"start"`
	End   duration `json:"end"`
	From  *float64 `json:"from"`
	To    *float64 `json:"to"`
}

type diurnalGenDoc struct {
	Mean          *float64 `json:"mean"`
	Amplitude     *float64 `json:"amplitude"`
	Period        duration `json:"period"`
	PeakAt        duration `json:"peakAt"`
	Noise         *float64 `json:"noise"`
	NoiseInterval duration `json:"noiseInterval"`
}

type spikesGenDoc struct {
	Every    duration `json:"every"`
	Height   *float64 `json:"height"`
	Duration duration `json:"duration"`
}

type walkGenDoc struct {
	Start    *float64 `json:"start"`
	Sigma    *float64 `json:"sigma"`
	Min      *float64 `json:"min"`
	Max      *float64 `json:"max"`
	Interval duration `json:"interval"`
}

type jobsGenDoc struct {
	Every  duration `json:"every"`
	Median duration `json:"median"`
	Sigma  *float64 `json:"sigma"`
	Cores  *float64 `json:"cores"`
}

var _ json.Unmarshaler = (*repeatOn)(nil)

// cpuQuantity is resource.Quantity, named for the document types in load.go.
type cpuQuantity = resource.Quantity

// Describe says in one line what the load is, for reports and logs: target, source, scaling,
// transformations and model, e.g. "Deployment/default/web ← google2019-instance
// traces/cell.csv column avg_cpu, capacity 20 cores, × 1.2 (aggregate)".
func (l *LoadSpec) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s/%s ← ", l.Target.Kind, l.Target.Namespace, l.Target.Name)
	if l.Generator != nil {
		b.WriteString("generator " + l.Generator.describe())
	} else {
		t := l.Trace
		path := t.Path
		if len(t.Paths) > 0 {
			path = strings.Join(t.Paths, ", ")
		}
		fmt.Fprintf(&b, "%s %s", t.Format, path)
		if t.Column != "" {
			fmt.Fprintf(&b, " column %s", t.Column)
		}
		if len(t.Series) > 0 {
			fmt.Fprintf(&b, " series %s", strings.Join(t.Series, ", "))
		}
		if t.Combine != "" {
			fmt.Fprintf(&b, " (%s)", t.Combine)
		}
		ftoa := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		switch {
		case t.HasTrough:
			fmt.Fprintf(&b, ", %s–%s cores", ftoa(t.TroughCores), ftoa(t.PeakCores))
		case t.PeakCores > 0:
			fmt.Fprintf(&b, ", peak %s cores", ftoa(t.PeakCores))
		case t.Scale > 0:
			fmt.Fprintf(&b, ", × %s", ftoa(t.Scale))
		case t.CapacityCores > 0:
			fmt.Fprintf(&b, ", capacity %s cores", ftoa(t.CapacityCores))
		}
		switch {
		case !t.Repeat:
			b.WriteString(", no repeat")
		case t.RepeatCount > 0:
			fmt.Fprintf(&b, ", %d plays", t.RepeatCount)
		}
	}
	tr := l.Transform
	if tr.TimeScale > 0 && tr.TimeScale != 1 {
		fmt.Fprintf(&b, ", time × %s", strconv.FormatFloat(tr.TimeScale, 'g', -1, 64))
	}
	if tr.Shift != 0 {
		fmt.Fprintf(&b, ", shifted %v", tr.Shift)
	}
	if tr.Amplitude > 0 && tr.Amplitude != 1 {
		fmt.Fprintf(&b, ", amplitude × %s", strconv.FormatFloat(tr.Amplitude, 'g', -1, 64))
	}
	if tr.Resample > 0 {
		fmt.Fprintf(&b, ", resampled every %v", tr.Resample)
	}
	model := l.Model
	if model == "" {
		model = ModelAggregate
	}
	if model == ModelRequests {
		fmt.Fprintf(&b, ", %s core-s per request", strconv.FormatFloat(l.CPUPerRequest, 'g', -1, 64))
	}
	fmt.Fprintf(&b, " (%s)", model)
	return b.String()
}

// describe writes a generator tree compactly: sum(diurnal, spikes).
func (g *Generator) describe() string {
	if g.Leaf != nil {
		return g.Kind
	}
	parts := make([]string, len(g.Parts))
	for i, p := range g.Parts {
		parts[i] = p.describe()
	}
	return g.Kind + "(" + strings.Join(parts, ", ") + ")"
}
