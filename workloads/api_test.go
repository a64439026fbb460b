package workloads

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// threeSteps is 1 over [0,10s), 2 over [10s,20s), 3 from 20s; its step is 10s.
func threeSteps() *Trace {
	return &Trace{Name: "three", Times: []time.Duration{0, s(10), s(20)}, Values: []float64{1, 2, 3}}
}

func TestSeriesAt(t *testing.T) {
	type at struct {
		t    time.Duration
		want float64
	}
	tests := []struct {
		name   string
		trace  *Trace
		repeat bool
		ats    []at
	}{
		{name: "hold", trace: threeSteps(), ats: []at{
			{-time.Hour, 1}, {-1, 1}, // before the start: the first value
			{0, 1}, {s(10), 2}, {s(20), 3}, // at samples
			{1, 1}, {s(5), 1}, {s(10) - 1, 1}, {s(10) + 1, 2}, {s(15), 2}, {s(20) - 1, 2}, // between
			{s(20) + 1, 3}, {s(30), 3}, {time.Hour, 3}, {math.MaxInt64, 3}, // beyond: the last value holds
		}},
		{name: "repeat", trace: threeSteps(), repeat: true, ats: []at{
			{-1, 1}, {0, 1}, {s(15), 2},
			{s(25), 3}, {s(30) - 1, 3}, // the last value holds for one step
			{s(30), 1}, {s(40), 2}, {s(50) - 1, 2}, {s(50), 3}, {s(60), 1}, // then the trace starts again
			{s(30)*1_000_000 + s(10), 2}, // many periods on
			{math.MaxInt64, [3]float64{1, 2, 3}[(math.MaxInt64%s(30))/s(10)]},
		}},
		{name: "irregular, odd count of steps", trace: &Trace{
			// steps 1s, 1s, 8s: median 1s, period 11s
			Times: []time.Duration{0, s(1), s(2), s(10)}, Values: []float64{0, 1, 2, 3}},
			repeat: true, ats: []at{{s(3), 2}, {s(9), 2}, {s(10), 3}, {s(11) - 1, 3}, {s(11), 0}, {s(12), 1}, {s(21), 3}},
		},
		{name: "irregular, even count of steps: lower median", trace: &Trace{
			// steps 1s, 2s, 7s, 10s: lower median 2s, period 22s
			Times: []time.Duration{0, s(1), s(3), s(10), s(20)}, Values: []float64{0, 1, 2, 3, 4}},
			repeat: true, ats: []at{{s(20), 4}, {s(22) - 1, 4}, {s(22), 0}, {s(23), 1}, {s(42), 4}, {s(44), 0}},
		},
		{name: "one sample, repeat", trace: &Trace{Times: []time.Duration{0}, Values: []float64{5}},
			repeat: true, ats: []at{{-1, 5}, {0, 5}, {time.Hour, 5}, {math.MaxInt64, 5}}},
		{name: "one sample, hold", trace: &Trace{Times: []time.Duration{0}, Values: []float64{5}},
			ats: []at{{0, 5}, {math.MaxInt64, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ser := tt.trace.Series(tt.repeat)
			for _, a := range tt.ats {
				if got := ser.At(a.t); got != a.want {
					t.Errorf("At(%v) = %v, want %v", a.t, got, a.want)
				}
			}
		})
	}
}

// refAt is the obvious implementation of Series.At: a linear scan.
func refAt(tr *Trace, repeat bool, t time.Duration) float64 {
	if t < 0 {
		t = 0
	}
	n := len(tr.Times)
	if repeat && n > 1 {
		steps := make([]time.Duration, 0, n-1)
		for i := 1; i < n; i++ {
			steps = append(steps, tr.Times[i]-tr.Times[i-1])
		}
		// Selection by counting, not by sorting, to stay independent of medianStep.
		var median time.Duration
		for _, c := range steps {
			below, equal := 0, 0
			for _, d := range steps {
				if d < c {
					below++
				} else if d == c {
					equal++
				}
			}
			if k := (len(steps) - 1) / 2; below <= k && k < below+equal {
				median = c
			}
		}
		t %= tr.Times[n-1] + median
	}
	v := tr.Values[0]
	for i := range tr.Times {
		if tr.Times[i] <= t {
			v = tr.Values[i]
		}
	}
	return v
}

// TestSeriesAtReference checks At against the linear scan on random traces and times.
func TestSeriesAtReference(t *testing.T) {
	const seed = 20260101
	rng := rand.New(rand.NewPCG(seed, 0))
	for trial := range 500 {
		n := 1 + rng.IntN(40)
		tr := &Trace{Times: make([]time.Duration, n), Values: make([]float64, n)}
		regular := trial%2 == 0 // evenly spaced: At's O(1) path
		step := 1 + time.Duration(rng.IntN(5))*time.Second
		for i := range n {
			if i > 0 {
				tr.Times[i] = tr.Times[i-1] + step
			}
			if !regular {
				step = 1 + time.Duration(rng.IntN(5))*time.Second
			}
			tr.Values[i] = float64(rng.IntN(100))
		}
		for _, repeat := range []bool{false, true} {
			ser := tr.Series(repeat)
			last := tr.Times[n-1]
			for range 50 {
				at := time.Duration(rng.Int64N(int64(3*last+10*time.Second))) - time.Second
				if got, want := ser.At(at), refAt(tr, repeat, at); got != want {
					t.Fatalf("seed %d trial %d: %v.Series(%v).At(%v) = %v, reference says %v", seed, trial, tr, repeat, at, got, want)
				}
			}
		}
	}
}

func TestSeriesCopiesTrace(t *testing.T) {
	tr := threeSteps()
	ser := tr.Series(false)
	tr.Values[0], tr.Times[1] = 100, s(1)
	if got := ser.At(s(5)); got != 1 {
		t.Errorf("after changing the trace, At(5s) = %v, want 1 (the series keeps its own copy)", got)
	}
}

func TestSeriesPanics(t *testing.T) {
	tests := []struct {
		name  string
		trace *Trace
		want  string
	}{
		{"no samples", &Trace{Name: "x"}, `trace "x" has no samples, want at least one`},
		{"lengths differ", &Trace{Name: "x", Times: []time.Duration{0}, Values: []float64{1, 2}},
			`trace "x" has 1 times and 2 values, want as many of each`},
		{"not from 0", &Trace{Name: "x", Times: []time.Duration{s(1)}, Values: []float64{1}},
			`trace "x" starts at 1s, want 0`},
		{"not increasing", &Trace{Name: "x", Times: []time.Duration{0, s(5), s(5)}, Values: []float64{1, 2, 3}},
			`trace "x": Times[2] = 5s is not after Times[1] = 5s, want increasing times`},
		{"beyond MaxTime", &Trace{Name: "x", Times: []time.Duration{0, MaxTime + 1}, Values: []float64{1, 2}},
			`trace "x": Times[1] = 1111111h6m40.000000001s is beyond MaxTime (1111111h6m40s)`},
		{"NaN", &Trace{Name: "x", Times: []time.Duration{0}, Values: []float64{math.NaN()}},
			`trace "x": Values[0] = NaN, want a finite number >= 0`},
		{"negative", &Trace{Name: "x", Times: []time.Duration{0, 1}, Values: []float64{1, -1}},
			`trace "x": Values[1] = -1, want a finite number >= 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := "workloads: Trace.Series: " + tt.want
			defer func() {
				if got := recover(); got != want {
					t.Errorf("Series panicked with %v, want %q", got, want)
				}
			}()
			tt.trace.Series(false)
		})
	}
}

func TestScaledMax(t *testing.T) {
	tr := threeSteps()
	got := tr.Scaled(1.5)
	want := &Trace{Name: "three", Times: []time.Duration{0, s(10), s(20)}, Values: []float64{1.5, 3, 4.5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scaled(1.5) = %+v, want %+v", got, want)
	}
	if m := got.Max(); m != 4.5 {
		t.Errorf("Scaled(1.5).Max() = %v, want 4.5", m)
	}
	if m := tr.Max(); m != 3 {
		t.Errorf("Max() = %v, want 3", m)
	}
	// The copy is independent of the original.
	got.Times[1], got.Values[0] = s(11), 9
	if !reflect.DeepEqual(tr, threeSteps()) {
		t.Errorf("changing the scaled copy changed the original: %+v", tr)
	}
	// Scaling to a peak, as the scenario's peakCores does.
	if m := tr.Scaled(12 / tr.Max()).Max(); m != 12 {
		t.Errorf("Scaled(12/Max).Max() = %v, want 12", m)
	}
	if m := tr.Scaled(0).Max(); m != 0 {
		t.Errorf("Scaled(0).Max() = %v, want 0", m)
	}
	big := &Trace{Times: []time.Duration{0}, Values: []float64{math.MaxFloat64 / 2}}
	if m := big.Scaled(4).Max(); m != math.MaxFloat64 {
		t.Errorf("overflowing Scaled: Max = %v, want math.MaxFloat64", m)
	}
	big.Scaled(4).Series(false) // still a valid trace
	if m := (&Trace{}).Max(); m != 0 {
		t.Errorf("Max of an empty trace = %v, want 0", m)
	}
	for _, f := range []float64{-1, math.NaN(), math.Inf(1)} {
		func() {
			defer func() {
				want := fmt.Sprintf("workloads: Trace.Scaled: factor %v, want a finite number >= 0", f)
				if got := recover(); got != want {
					t.Errorf("Scaled(%v) panicked with %v, want %q", f, got, want)
				}
			}()
			tr.Scaled(f)
		}()
	}
}

func TestShare(t *testing.T) {
	tests := []struct {
		name         string
		demand       float64
		pods         int
		limit        int64
		wantMilli    int64
		wantUnserved float64
	}{
		{"no demand", 0, 3, 500, 0, 0},
		{"even split", 1.5, 3, 0, 500, 0},
		{"rounds down to the nearest milli", 1, 3, 0, 333, 0},
		{"rounds up to the nearest milli", 2, 3, 0, 667, 0},
		{"a half milli rounds up", 1.5, 1000, 0, 2, 0},
		{"another half milli rounds up", 2.5, 1000, 0, 3, 0},
		{"under the limit", 1.5, 2, 1000, 750, 0},
		{"at the limit", 2, 2, 1000, 1000, 0},
		{"over the limit", 3, 2, 1000, 1000, 1},
		{"rounding never exceeds the limit", 0.9996, 1, 1000, 1000, 0},
		{"just over the limit is capped", 1.5, 1, 1000, 1000, 0.5},
		{"no limit (0)", 100, 1, 0, 100000, 0},
		{"no limit (negative)", 100, 4, -1, 25000, 0},
		{"no ready pods", 2.5, 0, 1000, 0, 2.5},
		{"no ready pods, no demand", 0, 0, 0, 0, 0},
		{"one milli limit", 0.004, 2, 1, 1, 0.002},
		{"huge demand, no limit: MaxPodMilli", 1e300, 1, 0, MaxPodMilli, 1e300},
		{"limit above MaxPodMilli", 1e20, 1, math.MaxInt64, MaxPodMilli, 1e20 - float64(MaxPodMilli)/1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			milli, unserved := Share(tt.demand, tt.pods, tt.limit)
			if milli != tt.wantMilli || math.Abs(unserved-tt.wantUnserved) > 1e-12*max(1, tt.wantUnserved) {
				t.Errorf("Share(%v, %d, %d) = (%d, %v), want (%d, %v)", tt.demand, tt.pods, tt.limit, milli, unserved, tt.wantMilli, tt.wantUnserved)
			}
		})
	}
}

// TestShareProperties checks, on random inputs, that Share never exceeds the limit, never
// reports negative unserved demand, and accounts for all demand to within rounding.
func TestShareProperties(t *testing.T) {
	const seed = 7
	rng := rand.New(rand.NewPCG(seed, 0))
	for range 100_000 {
		demand := rng.Float64() * math.Pow(10, float64(rng.IntN(8)-3))
		pods := rng.IntN(50)
		limit := int64(rng.IntN(4000)) - 500 // <= 0 some of the time: no limit
		milli, unserved := Share(demand, pods, limit)
		args := fmt.Sprintf("seed %d: Share(%v, %d, %d) = (%d, %v)", seed, demand, pods, limit, milli, unserved)
		if milli < 0 || (limit > 0 && milli > limit) || unserved < 0 {
			t.Fatalf("%s: out of range", args)
		}
		served := float64(milli) * float64(pods) / 1000
		// Rounding moves each pod's share by at most half a milli-CPU.
		if slack := float64(pods)*0.0005 + 1e-9*demand; math.Abs(served+unserved-demand) > slack {
			t.Fatalf("%s: served %v + unserved %v != demand", args, served, unserved)
		}
	}
}

func TestSharePanics(t *testing.T) {
	tests := []struct {
		demand float64
		pods   int
		want   string
	}{
		{math.NaN(), 1, "workloads: Share: demandCores NaN, want a finite number >= 0"},
		{math.Inf(1), 1, "workloads: Share: demandCores +Inf, want a finite number >= 0"},
		{-1, 1, "workloads: Share: demandCores -1, want a finite number >= 0"},
		{1, -1, "workloads: Share: readyPods -1, want >= 0"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("Share(%v, %d, 0) panicked with %v, want %q", tt.demand, tt.pods, got, tt.want)
				}
			}()
			Share(tt.demand, tt.pods, 0)
		}()
	}
}

var sinkFloat float64

// BenchmarkSeriesAt reads a series at pseudo-random times (so that the branch predictor cannot
// learn the search path) over traces of n samples about 5 minutes apart, within the trace and
// past its end (repeat=true loops, repeat=false holds the last value). Evenly spaced samples take
// At's O(1) path; jittered ones (a second or so off the grid, as in Bitbrains) the binary search.
func BenchmarkSeriesAt(b *testing.B) {
	for _, n := range []int{288, 8640, 1_000_000} { // a day and a month at 5 min, and a large trace
		for _, spacing := range []string{"even", "jittered"} {
			tr := &Trace{Times: make([]time.Duration, n), Values: make([]float64, n)}
			for i := range n {
				tr.Times[i] = time.Duration(i) * 5 * time.Minute
				if spacing == "jittered" && i > 0 {
					tr.Times[i] += time.Duration(i%3) * time.Second
				}
				tr.Values[i] = float64(i % 97)
			}
			for _, repeat := range []bool{false, true} {
				benchmarkAt(b, fmt.Sprintf("n=%d/spacing=%s/repeat=%v", n, spacing, repeat), tr, repeat)
			}
		}
	}
}

func benchmarkAt(b *testing.B, name string, tr *Trace, repeat bool) {
	ser := tr.Series(repeat)
	rng := rand.New(rand.NewPCG(1, 2))
	ts := make([]time.Duration, 4096)
	for i := range ts {
		ts[i] = time.Duration(rng.Int64N(int64(2 * tr.Times[len(tr.Times)-1])))
	}
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		i, sum := 0, 0.0
		for b.Loop() {
			sum += ser.At(ts[i&(len(ts)-1)])
			i++
		}
		sinkFloat = sum
	})
}

func BenchmarkShare(b *testing.B) {
	b.ReportAllocs()
	sum := int64(0)
	d := 0.0
	for b.Loop() {
		m, _ := Share(d, 7, 1500)
		sum += m
		d += 0.37
		if d > 20 {
			d = 0
		}
	}
	sinkFloat = float64(sum)
}

func TestRescaled(t *testing.T) {
	tr := &Trace{Name: "t", Times: []time.Duration{0, time.Minute, 2 * time.Minute}, Values: []float64{10, 30, 20}}
	got := tr.Rescaled(1.5, 6).Values
	want := []float64{1.5, 6, 3.75}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("Rescaled(1.5, 6)[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if tr.Values[0] != 10 {
		t.Error("Rescaled changed its receiver")
	}
	flat := &Trace{Name: "f", Times: []time.Duration{0, time.Minute}, Values: []float64{4, 4}}
	if got := flat.Rescaled(1, 2).Values; got[0] != 2 || got[1] != 2 {
		t.Errorf("constant trace rescaled to %v, want hi everywhere", got)
	}
	if tr.Min() != 10 || tr.Max() != 30 {
		t.Errorf("Min, Max = %v, %v; want 10, 30", tr.Min(), tr.Max())
	}
}
