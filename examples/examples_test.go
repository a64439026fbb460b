// Package examples holds runnable scenarios, one per load model (see README.md). This test runs
// each and checks what its HPA does against figures computed here from the trace files
// themselves, with the HPA's tolerance rule: a HorizontalPodAutoscaler leaves N replicas alone
// while |demand / (N × request × target) − 1| <= tolerance, and otherwise asks for
// ceil(demand / (request × target)).
package examples

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/scenario"
)

func load(t *testing.T, dir string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t *testing.T, sc *scenario.Scenario, opts sim.Options) *sim.Result {
	t.Helper()
	opts.CheckInvariants = true
	s, err := sim.New(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.HPAs) != 1 {
		t.Fatalf("%d HPAs, want 1", len(res.HPAs))
	}
	return res
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// hpaBand checks an HPA's decisions against the demand that drove it.
type hpaBand struct {
	requestCores float64 // per pod
	target       float64 // the utilization target, a fraction
	tolerance    float64
	minR, maxR   int32
	warmup       time.Duration
}

// inBand returns the fraction of the syncs after warmup whose decision lies within the
// tolerance band of the demand around it: at least what the lowest demand of the last 2
// minutes needs (scale-up takes a sync or two, and new pods a few seconds), at most what the
// highest demand of the last 5.5 minutes allows (scale-down waits out the 5-minute
// stabilization window). It returns the syncs outside, for messages.
func (b hpaBand) inBand(h sim.HPAResult, demand func(time.Duration) float64) (float64, []sim.HPASync) {
	window := func(from, to time.Duration) (lo, hi float64) {
		lo, hi = math.Inf(1), 0
		for at := from; at <= to; at += 15 * time.Second {
			d := demand(max(at, 0))
			lo, hi = min(lo, d), max(hi, d)
		}
		return lo, hi
	}
	ideal := func(d float64) float64 { return d / (b.requestCores * b.target) }
	in, n := 0, 0
	var out []sim.HPASync
	for _, s := range h.Syncs {
		if s.T < b.warmup {
			continue
		}
		scrape := s.T - s.T%(15*time.Second)
		lo, _ := window(scrape-2*time.Minute, scrape)
		_, hi := window(scrape-5*time.Minute-30*time.Second, scrape)
		want := [2]float64{math.Floor(ideal(lo) / (1 + b.tolerance)), math.Ceil(ideal(hi)/(1-b.tolerance)) + 1}
		want[0] = min(max(want[0], float64(b.minR)), float64(b.maxR))
		want[1] = min(max(want[1], float64(b.minR)), float64(b.maxR))
		n++
		if d := float64(s.Desired); d >= want[0] && d <= want[1] {
			in++
		} else {
			out = append(out, s)
		}
	}
	if n == 0 {
		return 0, nil // no sync to judge is a failure, not a pass
	}
	return float64(in) / float64(n), out
}

// demandOf is the demand that drove an HPA's target (as recorded), as a function of time.
func demandOf(h sim.HPAResult) func(time.Duration) float64 {
	return func(at time.Duration) float64 {
		v := h.Demand.Points[0].V
		for _, p := range h.Demand.Points {
			if p.T > at {
				break
			}
			v = p.V
		}
		return v
	}
}

// meanDesired is the mean of the desired replicas of the syncs in [from, to); the test fails
// when there is none.
func meanDesired(t *testing.T, h sim.HPAResult, from, to time.Duration) float64 {
	t.Helper()
	sum, n := 0.0, 0
	for _, s := range h.Syncs {
		if s.T >= from && s.T < to {
			sum += float64(s.Desired)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%s: no sync in [%v, %v)", h.Name, from, to)
	}
	return sum / float64(n)
}

// TestAggregateGoogle2019: the cell's CPU drives web through the aggregate model; doubling the
// load (transform.amplitude: 2) about doubles the replicas.
func TestAggregateGoogle2019(t *testing.T) {
	const dir = "aggregate-google2019"
	rows := readCSV(t, filepath.Join(dir, "traces/google2019-cell-2days.csv"))
	if rows[0][0] != "avg_cpu" || len(rows) != 577 {
		t.Fatalf("unexpected trace: %v, %d rows", rows[0], len(rows))
	}
	// Demand: avg_cpu × capacityCores (20), a row per 300 s; the trace loops (repeat's
	// default), so 48h is row 0 again.
	demand := func(scale float64) func(time.Duration) float64 {
		return func(at time.Duration) float64 {
			i := int(at/(300*time.Second)) % (len(rows) - 1)
			return atof(t, rows[1+i][0]) * 20 * scale
		}
	}
	b := hpaBand{requestCores: 0.5, target: 0.6, tolerance: 0.1, minR: 2, maxR: 120, warmup: 30 * time.Minute}

	base := run(t, load(t, dir), sim.Options{})
	doubled := load(t, dir)
	doubled.Load[0].Transform.Amplitude = 2
	twice := run(t, doubled, sim.Options{})

	for _, c := range []struct {
		name  string
		res   *sim.Result
		scale float64
	}{{"base", base, 1}, {"doubled", twice, 2}} {
		frac, out := b.inBand(c.res.HPAs[0], demand(c.scale))
		if frac < 0.95 {
			t.Errorf("%s: %.1f%% of the syncs hold replicas within the tolerance band of the demand, want >= 95%%; first outside: %+v", c.name, 100*frac, out[:min(len(out), 5)])
		}
		// The recorded demand is the trace's.
		for _, p := range c.res.HPAs[0].Demand.Points {
			if want := demand(c.scale)(p.T); math.Abs(p.V-want) > 0.001 {
				t.Fatalf("%s: demand recorded %v at %v, the trace gives %v", c.name, p.V, p.T, want)
			}
		}
	}
	// Over the second day, twice the load needs about twice the pods: within what the
	// tolerance band allows, 2 × 0.9/1.1 to 2 × 1.1/0.9.
	r := meanDesired(t, twice.HPAs[0], 24*time.Hour, 48*time.Hour) / meanDesired(t, base.HPAs[0], 24*time.Hour, 48*time.Hour)
	if r < 2*0.9/1.1 || r > 2*1.1/0.9 {
		t.Errorf("doubling the load multiplies the mean replicas by %.3f, want about 2", r)
	}
	t.Logf("mean replicas on day 2: %.1f, doubled %.1f (×%.3f)", meanDesired(t, base.HPAs[0], 24*time.Hour, 48*time.Hour), meanDesired(t, twice.HPAs[0], 24*time.Hour, 48*time.Hour), r)
}

// TestPerPodAlibaba: each pod replays its machine. Until the first scale-up the HPA's
// utilization is exactly the six machines' mean, computed here from the file; the first
// scale-up comes at the first sync where that mean leaves the tolerance band above the target;
// and pods added later replay machines too, so the utilization does not fall with them.
func TestPerPodAlibaba(t *testing.T) {
	const dir = "per-pod-alibaba"
	type sample struct {
		t   time.Duration
		pct float64
	}
	machines := map[string][]sample{}
	var order []string
	origin := time.Duration(math.MaxInt64)
	for _, r := range readCSV(t, filepath.Join(dir, "traces/machine_usage-6machines-12h.csv")) {
		if _, ok := machines[r[0]]; !ok {
			order = append(order, r[0])
		}
		at := time.Duration(atof(t, r[1])) * time.Second
		machines[r[0]] = append(machines[r[0]], sample{at, atof(t, r[2])})
		origin = min(origin, at)
	}
	if len(order) != 6 {
		t.Fatalf("%d machines", len(order))
	}
	// A machine's value at simulated time at: the last sample at or before it, on the clock of
	// the earliest sample; before its first sample, its first value. Gaps longer than 10 minutes
	// are interpolated: skip times inside one (only the band check below uses them).
	valueAt := func(m string, at time.Duration) (float64, bool) {
		ss := machines[m]
		v := ss[0].pct
		for i, s := range ss {
			if s.t-origin > at {
				if i > 0 && s.t-ss[i-1].t > 10*time.Minute {
					return 0, false
				}
				break
			}
			v = s.pct
		}
		return v, true
	}
	res := run(t, load(t, dir), sim.Options{})
	h := res.HPAs[0]
	checked, firstUp := 0, time.Duration(-1)
	for _, s := range h.Syncs {
		if s.T < 2*time.Minute || s.Utilization < 0 {
			continue
		}
		if s.Current != 6 || len(h.ScaleEvents) > 0 && s.T > h.ScaleEvents[0].T {
			break
		}
		// metrics-server scrapes each node at its own phase within the 15 s resolution and
		// serves the average rate over the last window; the phase is the engine's choice, so
		// bound the utilization by every phase a node may have. Each pod uses pct% of 2 cores =
		// pct × 20 millicores of its 1000m request (rounded up to whole millicores, as
		// MilliValue does); the HPA truncates the mean to a whole percent
		// (replica_calculator.go). Trace times are whole seconds, so a 1 s step integrates the
		// step function exactly.
		var lo, hi int64
		ok := true
		for _, m := range order {
			mlo, mhi := int64(math.MaxInt64), int64(0)
			for phase := time.Duration(0); phase < 15*time.Second; phase += time.Second {
				last := s.T - (s.T-phase)%(15*time.Second)
				var sum float64
				for at := last - 15*time.Second; at < last; at += time.Second {
					v, good := valueAt(m, at)
					ok = ok && good
					sum += v * 20
				}
				milli := int64(math.Ceil(sum/15 - 1e-9))
				mlo, mhi = min(mlo, milli), max(mhi, milli)
			}
			lo += mlo
			hi += mhi
		}
		if !ok {
			continue
		}
		wantLo, wantHi := int32(lo*100/6000), int32(hi*100/6000)
		if s.Utilization < wantLo || s.Utilization > wantHi {
			t.Fatalf("sync at %v: utilization %d%%, the machines' mean over a scrape window gives %d%%..%d%%", s.T, s.Utilization, wantLo, wantHi)
		}
		want := s.Utilization // checked against the trace above
		checked++
		if firstUp < 0 && float64(want)/80 > 1.1 {
			firstUp = s.T
			if s.Desired <= 6 {
				t.Errorf("sync at %v: utilization %d%% is above the tolerance band of the 80%% target, but the HPA kept %d replicas", s.T, want, s.Desired)
			}
		} else if firstUp < 0 && s.Desired != 6 {
			t.Errorf("sync at %v: utilization %d%% is within the band (or below the target at the minimum), but the HPA asked for %d", s.T, want, s.Desired)
		}
	}
	if checked < 100 || len(h.ScaleEvents) == 0 || firstUp != h.ScaleEvents[0].T {
		t.Errorf("checked %d syncs; first scale-up at %v, expected at %v (events %v)", checked, h.ScaleEvents, firstUp, h.ScaleEvents)
	}
	// Later, with more pods, the mean does not fall back: pods 7 to 12 replay the same machines.
	peak := int32(0)
	for _, e := range h.ScaleEvents {
		peak = max(peak, e.To)
	}
	if peak != 12 {
		t.Errorf("replicas peaked at %d, want the maximum, 12", peak)
	}
}

// TestRequestsWorldCup98: requests × 2 ms is the demand; the HPA follows the day's flash crowds
// within its tolerance band, and the offered load is recorded.
func TestRequestsWorldCup98(t *testing.T) {
	const dir = "requests-worldcup98"
	rows := readCSV(t, filepath.Join(dir, "traces/worldcup98-1998-06-30.csv"))[1:]
	if len(rows) != 1440 || !strings.HasPrefix(rows[0][0], "1998-06-30 00:00") {
		t.Fatalf("unexpected trace: %d rows from %v", len(rows), rows[0])
	}
	demand := func(at time.Duration) float64 {
		i := min(int(at/time.Minute), len(rows)-1)
		return atof(t, rows[i][1]) / 60 * 0.002
	}
	res := run(t, load(t, dir), sim.Options{})
	h := res.HPAs[0]
	b := hpaBand{requestCores: 0.25, target: 0.6, tolerance: 0.1, minR: 2, maxR: 100, warmup: 10 * time.Minute}
	frac, out := b.inBand(h, demand)
	if frac < 0.9 {
		t.Errorf("%.1f%% of the syncs within the tolerance band, want >= 90%%; first outside: %+v", 100*frac, out[:min(len(out), 5)])
	}
	t.Logf("%.1f%% of %d syncs within the band", 100*frac, len(h.Syncs))
	for _, p := range h.Demand.Points {
		if want := demand(p.T); math.Abs(p.V-want) > 0.001 {
			t.Fatalf("demand recorded %v at %v, the trace gives %v", p.V, p.T, want)
		}
	}
	// The busiest minute asks for 215,241 requests × 2 ms / 60 s = 7.2 cores: 48 pods at 60% of
	// 250m, more than the day's start needs by a factor of ten.
	peak := int32(0)
	for _, e := range h.ScaleEvents {
		peak = max(peak, e.To)
	}
	if peak < 40 || peak > 60 {
		t.Errorf("peak replicas %d, want about 48", peak)
	}
}

// TestSyntheticDiurnal: the generator's load is its formula plus noise and spikes, the HPA
// follows it, and the seed fixes the random parts.
func TestSyntheticDiurnal(t *testing.T) {
	const dir = "synthetic-diurnal"
	res := run(t, load(t, dir), sim.Options{})
	h := res.HPAs[0]
	// The recorded demand is the cycle 6 + 4 cos(2π (t − 15h) / 24h) plus noise (sd 0.3: within
	// ±1.5, five sd) plus 0, 1 or 2 spikes of 4.
	spikes := 0
	for _, p := range h.Demand.Points {
		cycle := 6 + 4*math.Cos(2*math.Pi*float64(p.T-15*time.Hour)/float64(24*time.Hour))
		ex := p.V - math.Max(cycle, 0)
		k := math.Round(ex / 4)
		if k < 0 || k > 2 || math.Abs(ex-4*k) > 1.5 {
			t.Fatalf("demand %v at %v: %v above the cycle is not noise plus whole spikes", p.V, p.T, ex)
		}
		if k > 0 {
			spikes++
		}
	}
	if spikes == 0 {
		t.Errorf("no spike in two days at one per 8 hours on average")
	}
	demand := demandOf(h)
	b := hpaBand{requestCores: 0.5, target: 0.7, tolerance: 0.1, minR: 2, maxR: 80, warmup: 30 * time.Minute}
	// The demand is sampled every minute: a spike shorter than that between two samples is not
	// in it, so allow a few more syncs outside.
	if frac, out := b.inBand(h, demand); frac < 0.9 {
		t.Errorf("%.1f%% of the syncs within the tolerance band, want >= 90%%; first outside: %+v", 100*frac, out[:min(len(out), 5)])
	}
	// Peak (15:00, 6 + 4 = 10 cores) against trough (03:00, 2 cores) on day 2: about 5 times the
	// replicas, within the tolerance band (and a spike may add 4 cores at either).
	at := func(when time.Duration) float64 { return meanDesired(t, h, when-10*time.Minute, when+10*time.Minute) }
	if r := at(39*time.Hour) / at(27*time.Hour); r < 5*0.9/1.1*0.7 || r > 5*1.1/0.9*1.4 {
		t.Errorf("peak/trough replicas %.2f, want about 5", r)
	}
	// The seed fixes the noise and the spikes.
	again := run(t, load(t, dir), sim.Options{})
	if !reflect.DeepEqual(again.HPAs, res.HPAs) {
		t.Errorf("two runs with seed 7 differ")
	}
	other := run(t, load(t, dir), sim.Options{Seed: 8, SeedSet: true})
	if reflect.DeepEqual(other.HPAs[0].Demand, h.Demand) {
		t.Errorf("seeds 7 and 8 give the same demand")
	}
}

// TestExamplesHaveReadmes: every example directory documents itself.
func TestExamplesHaveReadmes(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		b, err := os.ReadFile(filepath.Join(e.Name(), "README.md"))
		if err != nil || !strings.Contains(string(b), "ksim run examples/"+e.Name()+"/scenario.yaml") {
			t.Errorf("%s: README.md missing or without its ksim run command: %v", e.Name(), err)
		}
	}
	if n != 5 {
		t.Errorf("%d examples, want 5 (one per load model, a synthetic one, the 1,000-node fleet)", n)
	}
}

// TestWebFleet runs the 1,000-node week: every service follows its own daily cycle within
// the HPA's tolerance band, at about 1,000 pods at its peak, and every pod finds a node. The
// first hour runs again with the invariants checked after every event (the whole week would
// take minutes that way).
func TestWebFleet(t *testing.T) {
	const dir = "web-fleet"
	sc := load(t, dir)
	if len(sc.Nodes) != 1000 || len(sc.HPAs) != 10 {
		t.Fatalf("%d nodes and %d HPAs, want 1,000 and 10", len(sc.Nodes), len(sc.HPAs))
	}
	s, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	unschedulable := 0
	for _, e := range res.Log {
		if e.Kind == "unschedulable" {
			unschedulable++
		}
	}
	if res.Pods.PendingAtEnd != 0 || unschedulable != 0 {
		t.Errorf("%d pods pending at the end, %d ever unschedulable; want none", res.Pods.PendingAtEnd, unschedulable)
	}
	b := hpaBand{requestCores: 0.5, target: 0.6, tolerance: 0.1, minR: 20, maxR: 1500, warmup: 30 * time.Minute}
	for _, h := range res.HPAs {
		demand := demandOf(h)
		if frac, out := b.inBand(h, demand); frac < 0.95 {
			t.Errorf("%s: %.1f%% of the syncs within the tolerance band, want >= 95%%; first outside: %+v", h.Name, 100*frac, out[:min(len(out), 5)])
		}
		// The cycle peaks at 180 + 120 cores (plus noise, and a spike of 60 now and then):
		// 300 / (0.5 × 0.6) = 1,000 pods.
		peak := int32(0)
		for _, s := range h.Syncs {
			peak = max(peak, s.Desired)
		}
		if peak < 900 || peak > 1400 {
			t.Errorf("%s: peak of %d replicas, want about 1,000", h.Name, peak)
		}
	}

	first := load(t, dir)
	first.Duration = time.Hour
	if s, err = sim.New(first, sim.Options{CheckInvariants: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(); err != nil {
		t.Fatal(err)
	}
}
