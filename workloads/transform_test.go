package workloads

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// threeStepsSeries is 1 over [0, 60s), 3 over [60s, 120s), 2 from 120s (period 180 s).
func threeStepsTrace() *Trace {
	return &Trace{Times: []time.Duration{0, time.Minute, 2 * time.Minute}, Values: []float64{1, 3, 2}}
}

func TestTransforms(t *testing.T) {
	base := threeStepsTrace().Series(false)
	tests := []struct {
		name string
		s    Series
		at   map[time.Duration]float64
	}{
		{"shift later", Shift(base, 30*time.Second), map[time.Duration]float64{0: 1, 89 * time.Second: 1, 90 * time.Second: 3, 150 * time.Second: 2}},
		{"shift earlier", Shift(base, -time.Minute), map[time.Duration]float64{0: 3, 59 * time.Second: 3, time.Minute: 2}},
		{"time scale 2", TimeScale(base, 2), map[time.Duration]float64{0: 1, 119 * time.Second: 1, 120 * time.Second: 3, 240 * time.Second: 2}},
		{"time scale 0.5", TimeScale(base, 0.5), map[time.Duration]float64{29 * time.Second: 1, 30 * time.Second: 3, time.Minute: 2}},
		{"amplify", Amplify(base, 1.5), map[time.Duration]float64{0: 1.5, time.Minute: 4.5}},
		{"repeat twice", Repeat(base, 3*time.Minute, 2), map[time.Duration]float64{
			0: 1, 3 * time.Minute: 1, 4 * time.Minute: 3, 5 * time.Minute: 2, 6 * time.Minute: 2, time.Hour: 2}},
		{"repeat forever", Repeat(base, 3*time.Minute, 0), map[time.Duration]float64{10*3*time.Minute + time.Minute: 3}},
		{"sum", Sum(base, Constant{Value: 1}.mustSeries()), map[time.Duration]float64{0: 2, time.Minute: 4}},
		{"product", Product(base, Constant{Value: 2}.mustSeries()), map[time.Duration]float64{0: 2, 2 * time.Minute: 4}},
		{"sequence", Sequence(Segment{For: time.Minute, Series: Constant{Value: 5}.mustSeries()}, Segment{Series: base}),
			map[time.Duration]float64{0: 5, 59 * time.Second: 5, time.Minute: 1, 2 * time.Minute: 3, 3 * time.Minute: 2}},
		// A scrape every 60 s reports the mean of the minute before it: [0, 60) is 1, [60, 120)
		// is 3; the first minute sees the one before 0 (the first value).
		{"resample 60s", Resample(base, time.Minute), map[time.Duration]float64{0: 1, 59 * time.Second: 1, 60 * time.Second: 1, 120 * time.Second: 3, 185 * time.Second: 2}},
		// Windows of 90 s: [0, 90) has 60 s of 1 and 30 s of 3.
		{"resample 90s", Resample(base, 90*time.Second), map[time.Duration]float64{90 * time.Second: (60*1 + 30*3) / 90.0, 180 * time.Second: (30*3 + 60*2) / 90.0}},
		// Without an integral, the midpoint rule; exact here as the steps fall on window edges.
		{"resample a non-integrator", Resample(Product(base, Constant{Value: 1}.mustSeries()), time.Minute), map[time.Duration]float64{120 * time.Second: 3}},
	}
	for _, tt := range tests {
		for at, want := range tt.at {
			if got := tt.s.At(at); !near(got, want) {
				t.Errorf("%s: At(%v) = %v, want %v", tt.name, at, got, want)
			}
		}
	}
}

func (c Constant) mustSeries() Series {
	s, err := c.Series(0)
	if err != nil {
		panic(err)
	}
	return s
}

// TestIntegralReference compares the integrals of traces, looped or not and transformed, with a
// sum over 1 s slices (exact: the random traces change only on whole seconds).
func TestIntegralReference(t *testing.T) {
	const seed = 7
	rng := rand.New(rand.NewPCG(seed, 0))
	for iter := 0; iter < 200; iter++ {
		n := 1 + rng.IntN(8)
		tr := &Trace{}
		var at time.Duration
		for i := 0; i < n; i++ {
			tr.Times = append(tr.Times, at)
			tr.Values = append(tr.Values, float64(rng.IntN(10)))
			at += time.Duration(1+rng.IntN(20)) * time.Second
		}
		var series []Series
		series = append(series, tr.Series(false), tr.Series(true))
		if p := tr.Period(); p > 0 {
			series = append(series, Repeat(tr.Series(false), p, 1+rng.IntN(3)))
		}
		series = append(series, Shift(tr.Series(true), time.Duration(rng.IntN(40)-20)*time.Second), Amplify(tr.Series(true), 2.5),
			Sum(tr.Series(false), Step{At: 17 * time.Second, Before: 1, After: 4}.mustSeries()))
		for k, s := range series {
			in, ok := s.(Integrator)
			if !ok {
				t.Fatalf("series %d of trace %v is not an Integrator", k, tr)
			}
			a := time.Duration(rng.IntN(300)-50) * time.Second
			b := a + time.Duration(rng.IntN(300))*time.Second
			ref := 0.0
			for x := a; x < b; x += time.Second {
				ref += s.At(x)
			}
			if got := in.Integral(a, b); math.Abs(got-ref) > 1e-9*math.Max(1, ref) {
				t.Fatalf("seed %d: series %d of %v: Integral(%v, %v) = %v, slices sum to %v", seed, k, tr, a, b, got, ref)
			}
		}
	}
}

func (s Step) mustSeries() Series {
	x, err := s.Series(0)
	if err != nil {
		panic(err)
	}
	return x
}

func TestRampIntegral(t *testing.T) {
	r, err := Ramp{Start: 10 * time.Second, End: 30 * time.Second, From: 2, To: 6}.Series(0)
	if err != nil {
		t.Fatal(err)
	}
	// 10 s of 2, the ramp's 20 s averaging 4, 10 s of 6.
	if got := r.(Integrator).Integral(0, 40*time.Second); !near(got, 20+80+60) {
		t.Errorf("integral %v, want 160", got)
	}
	if got := r.At(20 * time.Second); got != 4 {
		t.Errorf("At(20s) = %v, want 4", got)
	}
}

func TestTransformPanics(t *testing.T) {
	base := threeStepsTrace().Series(false)
	for name, f := range map[string]func(){
		"TimeScale 0":  func() { TimeScale(base, 0) },
		"TimeScale -1": func() { TimeScale(base, -1) },
		"Amplify NaN":  func() { Amplify(base, math.NaN()) },
		"Repeat 0":     func() { Repeat(base, 0, 1) },
		"Resample 0":   func() { Resample(base, 0) },
		"Sequence":     func() { Sequence() },
		"Sequence 0":   func() { Sequence(Segment{For: 0, Series: base}, Segment{Series: base}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// TestCombine: the combined trace is, at every time of any trace, the sum (or mean) of the
// traces' step functions there, added in trace order.
func TestCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	for trial := range 200 {
		k := 1 + rng.IntN(6)
		traces := make([]*Trace, k)
		offsets := make([]time.Duration, k)
		for i := range traces {
			tr := &Trace{Name: "t"}
			for at := time.Duration(0); len(tr.Times) == 0 || rng.IntN(12) != 0; at += time.Duration(1+rng.IntN(90)) * time.Second {
				tr.Times = append(tr.Times, at)
				tr.Values = append(tr.Values, float64(rng.IntN(1000))/7)
			}
			traces[i] = tr
			if i > 0 {
				offsets[i] = time.Duration(rng.IntN(300)) * time.Second
			}
		}
		mean := trial%2 == 1
		got := Combine(traces, offsets, mean)
		if len(got.Times) == 0 || got.Times[0] != 0 {
			t.Fatalf("trial %d: times %v", trial, got.Times)
		}
		for j, at := range got.Times {
			want := 0.0
			for i, tr := range traces {
				want += tr.Series(false).At(at - offsets[i])
			}
			if mean {
				want /= float64(k)
			}
			if got.Values[j] != want {
				t.Fatalf("trial %d, %v: %v, want %v", trial, at, got.Values[j], want)
			}
			if j > 0 && got.Times[j] <= got.Times[j-1] {
				t.Fatalf("trial %d: times not increasing: %v", trial, got.Times)
			}
		}
	}
}
