package sim

import (
	"fmt"
	"math"
	"time"

	"ksim.dev/ksim/sim/scenario"
	"ksim.dev/ksim/workloads"
)

// Load models: how a trace or a generator becomes the CPU usage of an owner's pods. Usage is a
// function of time evaluated when someone reads it (an HPA sync, a metrics scrape, a report
// sample); nothing is ticked per pod.
//
//   - aggregate: the series is the owner's total demand in cores, shared evenly by the pods
//     serving now, each capped at its CPU limit; what they cannot serve is unserved demand.
//   - per-pod: each pod replays its own series (cores), capped at its limit. Pods take series in
//     creation order, round-robin or lowest-free (see assign).
//   - requests: the series is a request rate (requests per second); times the CPU cost of a
//     request it is the demand, shared as in aggregate. requestsPerSecond and
//     podRequestsPerSecond expose the rate for the HPA's External and Pods metrics.
//
// Costs: a read of a pod's usage is O(1) for aggregate and requests (the count of serving pods
// is cached until a pod starts or stops serving, and the share per time) and O(1) amortised
// for per-pod, plus one At of the series (O(log n) for a trace).

// loadState is one load model driving an owner's pods.
type loadState struct {
	owner *Owner
	model string
	key   string // "Kind/namespace/name", for streams and messages

	// aggregate and requests: demand in cores (requests: rps × cpuPerRequest).
	demand        workloads.Series
	rps           workloads.Series // requests only
	cpuPerRequest float64

	// per-pod: the series pods take. A trace load has a fixed list; a generator load makes a
	// series per index on demand (newSeries), so that every pod can have its own.
	series       []workloads.Series
	newSeries    func(k int) (workloads.Series, error)
	assign       string
	podIndex     map[int64]int // pod ID → series index
	lastID       int64         // highest pod ID given a series
	next         int           // round-robin counter
	assignErr    error         // a generator that failed for a new pod, not yet logged
	assignLogged bool

	res *HPAResult // where demand is recorded, when the owner has an HPA

	// share memoises podUsageMilli for the shared models: every serving pod of the owner (with
	// the same CPU limit) uses the same at one time and serving epoch, and the node samples
	// ask once per pod.
	share shareMemo
}

// shareMemo is one serving pod's usage under a shared model, and what it was computed for.
type shareMemo struct {
	valid bool
	t     time.Duration
	epoch uint64
	limit int64
	milli int64
}

// streamLoads prefixes the random streams of load generators.
const streamLoads = "load/"

func (s *Simulation) addLoads() error {
	for i := range s.sc.Load {
		l := &s.sc.Load[i]
		kind := map[string]OwnerKind{"Deployment": KindDeployment, "DaemonSet": KindDaemonSet, "Job": KindJob, "Pod": KindPod}[l.Target.Kind]
		o := s.owner(kind, l.Target.Namespace, l.Target.Name)
		if o == nil {
			return fmt.Errorf("load: target %s/%s/%s not found", l.Target.Kind, l.Target.Namespace, l.Target.Name)
		}
		ls, err := s.newLoad(o, l)
		if err != nil {
			where := l.Source
			if where == "" {
				where = fmt.Sprintf("spec.load[%d]", i)
			}
			return fmt.Errorf("%s: load on %s: %w", where, o.Key(), err)
		}
		if o.hpa != nil {
			ls.res = o.hpa.res
		}
		o.load = ls
		s.loads = append(s.loads, ls)
	}
	return nil
}

// newLoad builds the load state of one spec.
func (s *Simulation) newLoad(o *Owner, l *scenario.LoadSpec) (*loadState, error) {
	model := l.Model
	if model == "" {
		model = scenario.ModelAggregate
	}
	ls := &loadState{owner: o, model: model, key: o.Key(), assign: l.Assign, podIndex: map[int64]int{}}
	if ls.assign == "" {
		ls.assign = scenario.AssignRoundRobin
	}
	var base []workloads.Series // in cores, or requests per second for the requests model
	switch {
	case l.Generator != nil:
		horizon := genHorizon(s.sc.Duration, l.Transform)
		build := func(stream string) (workloads.Series, error) {
			leaf := 0
			return s.buildGenerator(l.Generator, stream, &leaf, horizon)
		}
		if model == scenario.ModelPerPod {
			ls.newSeries = func(k int) (workloads.Series, error) {
				g, err := build(fmt.Sprintf("%s%s/pod/%d", streamLoads, ls.key, k))
				if err != nil {
					return nil, err
				}
				return transform(g, l.Transform), nil
			}
			// The first pod's series now, so that a generator that cannot be built stops the
			// run before it starts.
			first, err := ls.newSeries(0)
			if err != nil {
				return nil, err
			}
			ls.series = append(ls.series, first)
			return ls, nil
		}
		g, err := build(streamLoads + ls.key)
		if err != nil {
			return nil, err
		}
		base = []workloads.Series{g}
	default:
		var err error
		if base, err = s.traceSeries(l, model); err != nil {
			return nil, err
		}
	}
	for i := range base {
		base[i] = transform(base[i], l.Transform)
	}
	switch model {
	case scenario.ModelPerPod:
		ls.series = base
	case scenario.ModelRequests:
		if !(l.CPUPerRequest > 0) {
			return nil, fmt.Errorf("model requests needs cpuPerRequest > 0 (core-seconds per request)")
		}
		ls.rps, ls.cpuPerRequest = base[0], l.CPUPerRequest
		ls.demand = workloads.Amplify(base[0], l.CPUPerRequest)
	case scenario.ModelAggregate:
		ls.demand = base[0]
	default:
		return nil, fmt.Errorf("unknown load model %q", model)
	}
	return ls, nil
}

// transform applies a load's transformations in a fixed order: time scale, shift, amplitude,
// then resampling (a scrape sees the transformed load).
func transform(s workloads.Series, t scenario.Transform) workloads.Series {
	if t.TimeScale > 0 {
		s = workloads.TimeScale(s, t.TimeScale)
	}
	s = workloads.Shift(s, t.Shift)
	if t.Amplitude > 0 {
		s = workloads.Amplify(s, t.Amplitude)
	}
	if t.Resample > 0 {
		s = workloads.Resample(s, t.Resample)
	}
	return s
}

// genHorizon is how far a generator must draw, in its own time, to cover the run under the
// transformations (and one resampling window before it).
func genHorizon(d time.Duration, t scenario.Transform) time.Duration {
	h := d + max(-t.Shift, 0) + t.Resample
	if t.TimeScale > 0 {
		h = time.Duration(math.Ceil(float64(h) / t.TimeScale))
	}
	return h + time.Minute
}

// buildGenerator builds a generator tree; random leaves get streams named after the load and
// their position (depth-first), so that another load or leaf cannot change their draws.
func (s *Simulation) buildGenerator(g *scenario.Generator, stream string, leaf *int, horizon time.Duration) (workloads.Series, error) {
	if g.Leaf != nil {
		*leaf++
		gen := g.Leaf
		if g.Random {
			src := newStream(s.seed, fmt.Sprintf("%s/gen/%d", stream, *leaf))
			switch x := gen.(type) {
			case workloads.Diurnal:
				x.Src = src
				gen = x
			case workloads.Spikes:
				x.Src = src
				gen = x
			case workloads.RandomWalk:
				x.Src = src
				gen = x
			case workloads.Jobs:
				x.Src = src
				gen = x
			}
		}
		out, err := gen.Series(horizon)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.Field, err)
		}
		return out, nil
	}
	parts := make([]workloads.Series, len(g.Parts))
	for i, p := range g.Parts {
		var err error
		if parts[i], err = s.buildGenerator(p, stream, leaf, horizon); err != nil {
			return nil, err
		}
	}
	switch g.Kind {
	case "sum":
		return workloads.Sum(parts...), nil
	case "product":
		return workloads.Product(parts...), nil
	case "sequence":
		segs := make([]workloads.Segment, len(parts))
		for i, p := range parts {
			segs[i] = workloads.Segment{For: g.For[i], Series: p}
		}
		return workloads.Sequence(segs...), nil
	}
	return nil, fmt.Errorf("%s: unknown generator %q", g.Field, g.Kind)
}

// traceSeries reads a load's trace files (unless the loader has) and turns each series into
// cores, or requests per second for the requests model: one series for aggregate and requests
// (several combined), one per series in the files for per-pod, all on one clock from the
// earliest series' start.
func (s *Simulation) traceSeries(l *scenario.LoadSpec, model string) ([]workloads.Series, error) {
	sets := l.Data
	if sets == nil {
		paths := l.Trace.Paths
		if len(paths) == 0 {
			paths = []string{l.Trace.Path}
		}
		opts := scenario.TraceOptions(&l.Trace)
		if opts.Format == "" {
			opts.Format = scenario.FormatCSV
		}
		if l.Trace.VMTable != "" {
			counts, err := workloads.OpenVMTable(s.sc.FS, l.Trace.VMTable, opts.Format, nil)
			if err != nil {
				return nil, err
			}
			opts.CoreCounts = counts
		}
		for _, p := range paths {
			set, err := workloads.ReadFile(s.sc.FS, p, opts)
			if err != nil {
				return nil, err
			}
			sets = append(sets, set)
		}
	}
	var traces []*workloads.Trace
	for _, set := range sets {
		traces = append(traces, set.Traces...)
	}
	if len(traces) == 0 {
		return nil, fmt.Errorf("the trace has no series")
	}
	origin := traces[0].Start
	for _, tr := range traces {
		origin = min(origin, tr.Start)
	}
	offsets := make([]time.Duration, len(traces))
	for i, tr := range traces {
		offsets[i] = tr.Start - origin
	}
	col := sets[0].Column
	t := l.Trace
	if model != scenario.ModelPerPod && len(traces) > 1 {
		if t.Combine == "" {
			return nil, fmt.Errorf("the trace holds %d series; an %s load needs one (select it, or combine: sum)", len(traces), model)
		}
		traces = []*workloads.Trace{workloads.Combine(traces, offsets, t.Combine == scenario.CombineMean)}
		offsets = []time.Duration{0}
	}

	// Units: the factor that turns values into cores (or requests per second).
	peak := 0.0
	for _, tr := range traces {
		peak = max(peak, tr.Max())
	}
	out := make([]workloads.Series, len(traces))
	for i, tr := range traces {
		var err error
		if tr, err = toLoadUnit(tr, t, col, model, peak); err != nil {
			return nil, err
		}
		var ser workloads.Series
		switch p := tr.Period(); {
		case !t.Repeat || p == 0:
			ser = tr.Series(false)
		case t.RepeatCount > 0:
			ser = workloads.Repeat(tr.Series(false), p, t.RepeatCount)
		default:
			ser = tr.Series(true)
		}
		out[i] = workloads.Shift(ser, offsets[i])
	}
	return out, nil
}

// toLoadUnit scales a trace into cores (or requests per second for the requests model). peak is
// the largest value over the load's series, for PeakCores.
func toLoadUnit(tr *workloads.Trace, t scenario.Trace, col workloads.Column, model string, peak float64) (*workloads.Trace, error) {
	if model == scenario.ModelRequests {
		f := 1.0
		if col.Unit == workloads.UnitRequests {
			// Counts per interval: the interval is the trace's step.
			if tr.Step <= 0 {
				return nil, fmt.Errorf("series %q: request counts need a step to become a rate; give trace.step", tr.ID)
			}
			f = 1 / tr.Step.Seconds()
		}
		if t.Scale > 0 {
			f *= t.Scale
		}
		return tr.Scaled(f), nil
	}
	switch {
	case t.HasTrough:
		return tr.Rescaled(t.TroughCores, t.PeakCores), nil
	case t.PeakCores > 0:
		if peak > 0 {
			return tr.Scaled(t.PeakCores / peak), nil
		}
		return tr, nil
	case t.Scale > 0:
		return tr.Scaled(t.Scale), nil
	case t.CapacityCores > 0:
		f, ok := col.Unit.CoreFactor(t.CapacityCores)
		if !ok {
			return nil, fmt.Errorf("column %s is in %s; capacityCores applies to percent and normalized columns", col.Name, workloads.UnitText(col.Unit))
		}
		return tr.Scaled(f), nil
	case col.Unit == workloads.UnitCores:
		return tr, nil
	}
	return nil, fmt.Errorf("column %s is in %s: give peakCores, scale or capacityCores to turn it into cores", col.Name, workloads.UnitText(col.Unit))
}

// servingPods counts the owner's pods that serve load now. The count is cached until the
// simulation's serving epoch moves (see Simulation.servingChanged), so that reading every pod's
// usage in one event costs O(pods), not O(pods²). Cost: O(1) cached, O(pods) after a change.
func (o *Owner) servingPods() int {
	if o.epoch != nil && o.servingAt == *o.epoch {
		return o.servingN
	}
	n := 0
	for _, p := range o.Pods {
		if p.serving() {
			n++
		}
	}
	if o.epoch != nil {
		o.servingN, o.servingAt = n, *o.epoch
	}
	return n
}

// podUsageMilli is a pod's CPU use at t, in millicores: its share of its owner's load while it
// serves, capped at its CPU limit (see usageMilliAt). Pods of an owner without a load model,
// and pods that serve nothing, use no CPU. Cost: see the top of this file.
func (s *Simulation) podUsageMilli(p *Pod, t time.Duration) int64 {
	l := p.Owner.load
	if l == nil || !p.serving() {
		return 0
	}
	if l.model == scenario.ModelPerPod {
		milli, _ := capMilli(l.podSeries(p).At(t), p.limitCPU)
		return milli
	}
	if m := &l.share; m.valid && m.t == t && m.epoch == s.servingEpoch && m.limit == p.limitCPU {
		return m.milli
	}
	perPod, _ := workloads.Share(l.demand.At(t), p.Owner.servingPods(), p.limitCPU)
	l.share = shareMemo{valid: true, t: t, epoch: s.servingEpoch, limit: p.limitCPU, milli: perPod}
	return perPod
}

// capMilli turns one pod's demand in cores into its usage in milli-CPU, capped at its limit
// (limitMilli <= 0: none), and returns the cores it could not serve.
func capMilli(cores float64, limitMilli int64) (int64, float64) {
	return workloads.Share(max(cores, 0), 1, limitMilli)
}

// podSeries returns the series of a per-pod load's pod, giving series to new pods first.
func (l *loadState) podSeries(p *Pod) workloads.Series {
	l.assignNew()
	k, ok := l.podIndex[p.ID]
	if !ok {
		return zeroSeries{}
	}
	return l.seriesAt(k)
}

// seriesAt returns series k, making it for a generator load.
func (l *loadState) seriesAt(k int) workloads.Series {
	if l.newSeries == nil {
		return l.series[k]
	}
	for len(l.series) <= k {
		ser, err := l.newSeries(len(l.series))
		if err != nil {
			if l.assignErr == nil && !l.assignLogged {
				l.assignErr = err
			}
			ser = zeroSeries{}
		}
		l.series = append(l.series, ser)
	}
	return l.series[k]
}

type zeroSeries struct{}

func (zeroSeries) At(time.Duration) float64 { return 0 }

// assignNew gives a series to every pod of the owner created since the last call, in creation
// order. Pods that were created and went away between two reads never get one: no one saw
// their usage. Cost: O(new pods), and O(pods) per new pod for lowest-free.
func (l *loadState) assignNew() {
	pods := l.owner.Pods // in creation order: IDs increase
	i := len(pods)
	for i > 0 && pods[i-1].ID > l.lastID {
		i--
	}
	if i == len(pods) {
		return
	}
	if len(l.podIndex) > 2*len(pods)+64 {
		// Forget the pods that are gone.
		live := make(map[int64]int, len(pods))
		for _, p := range pods {
			if k, ok := l.podIndex[p.ID]; ok {
				live[p.ID] = k
			}
		}
		l.podIndex = live
	}
	for _, p := range pods[i:] {
		l.podIndex[p.ID] = l.pick()
		l.lastID = p.ID
	}
}

// pick chooses the series of a new pod.
func (l *loadState) pick() int {
	n := len(l.series) // fixed for a trace load
	if l.assign == scenario.AssignLowestFree {
		// The lowest index that no active pod holds (for a trace load, the least held one).
		held := map[int]int{}
		for _, p := range l.owner.Pods {
			if k, ok := l.podIndex[p.ID]; ok && p.active() {
				held[k]++
			}
		}
		if l.newSeries != nil {
			for k := 0; ; k++ {
				if held[k] == 0 {
					return k
				}
			}
		}
		best := 0
		for k := 1; k < n; k++ {
			if held[k] < held[best] {
				best = k
			}
		}
		return best
	}
	k := l.next
	l.next++
	if l.newSeries != nil {
		return k
	}
	return k % n
}

// demandAt returns a load's total demand and the part its serving pods cannot serve, in cores.
// Cost: O(pods of the owner).
func (l *loadState) demandAt(t time.Duration) (demand, unserved float64) {
	if l.model != scenario.ModelPerPod {
		demand = l.demand.At(t)
		_, unserved = workloads.Share(demand, l.owner.servingPods(), l.owner.limitCPU)
		return demand, unserved
	}
	for _, p := range l.owner.Pods {
		if !p.serving() {
			continue
		}
		v := max(l.podSeries(p).At(t), 0)
		_, u := capMilli(v, p.limitCPU)
		demand += v
		unserved += u
	}
	return demand, unserved
}

// sample records each load's demand and unserved demand.
func (s *Simulation) sample() {
	for _, l := range s.loads {
		if l.assignErr != nil {
			// A generator that could not make a new pod's series (it has zero usage): say so
			// once in the timeline.
			s.logf("load", l.key, "a new pod's load could not be generated; it uses no CPU: %v", l.assignErr)
			l.assignErr, l.assignLogged = nil, true
		}
		demand, unserved := l.demandAt(s.now)
		if l.res != nil {
			l.res.Demand.Add(s.now, round3(demand))
			l.res.Unserved.Add(s.now, round3(unserved))
		}
	}
}

// requestsPerSecond returns the request rate offered to an owner under the requests model at
// time t (an External metric: what a load balancer in front of the service counts). ok is
// false when the owner's load is not a request load. Cost: one At of the series.
func (s *Simulation) requestsPerSecond(o *Owner, t time.Duration) (total float64, ok bool) {
	l := o.load
	if l == nil || l.model != scenario.ModelRequests {
		return 0, false
	}
	return l.rps.At(t), true
}

// podRequestsPerSecond returns the requests per second a pod serves at time t under the
// requests model (a Pods metric, as the application would export it): its share of the rate,
// less what its CPU limit makes it drop; 0 for a pod that serves nothing. ok is false when the
// owner's load is not a request load. Cost: O(pods of the owner).
func (s *Simulation) podRequestsPerSecond(p *Pod, t time.Duration) (rps float64, ok bool) {
	l := p.Owner.load
	if l == nil || l.model != scenario.ModelRequests {
		return 0, false
	}
	if !p.serving() {
		return 0, true
	}
	n := p.Owner.servingPods()
	share := l.rps.At(t) / float64(n)
	if p.limitCPU > 0 {
		share = min(share, float64(p.limitCPU)/1000/l.cpuPerRequest)
	}
	return share, true
}

// round3 rounds to a thousandth, so that recorded series do not carry float noise.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
