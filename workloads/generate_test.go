package workloads

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func src(seed uint64) rand.Source { return rand.NewPCG(seed, 0x6b73696d) }

func mustGen(t *testing.T, g Generator, horizon time.Duration) Series {
	t.Helper()
	s, err := g.Series(horizon)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeterministicGenerators(t *testing.T) {
	for _, tt := range []struct {
		g  Generator
		at map[time.Duration]float64
	}{
		{Constant{Value: 3}, map[time.Duration]float64{0: 3, time.Hour: 3}},
		{Step{At: time.Hour, Before: 1, After: 4}, map[time.Duration]float64{0: 1, time.Hour - 1: 1, time.Hour: 4}},
		{Ramp{Start: time.Hour, End: 3 * time.Hour, From: 2, To: 6}, map[time.Duration]float64{0: 2, 2 * time.Hour: 4, 5 * time.Hour: 6}},
		{Diurnal{Mean: 4, Amplitude: 2, PeakAt: 14 * time.Hour}, map[time.Duration]float64{14 * time.Hour: 6, 2 * time.Hour: 2, 8 * time.Hour: 4, 38 * time.Hour: 6}},
		{Diurnal{Mean: 1, Amplitude: 3, Period: time.Hour}, map[time.Duration]float64{30 * time.Minute: 0}}, // clamped at 0
	} {
		s := mustGen(t, tt.g, 48*time.Hour)
		for at, want := range tt.at {
			if got := s.At(at); math.Abs(got-want) > 1e-9 {
				t.Errorf("%+v At(%v) = %v, want %v", tt.g, at, got, want)
			}
		}
	}
}

func TestGeneratorErrors(t *testing.T) {
	for _, tt := range []struct {
		g   Generator
		err string
	}{
		{Constant{Value: -1}, "value is -1, want a finite number >= 0"},
		{Step{At: -time.Second, Before: 1, After: 2}, "at is -1s, want >= 0"},
		{Ramp{Start: time.Hour, End: time.Hour}, "end 1h0m0s is not after start 1h0m0s"},
		{Diurnal{Mean: 1, Period: -time.Hour}, "period is -1h0m0s, want > 0"},
		{Spikes{Every: 0, Height: 1, Duration: time.Minute, Src: src(1)}, "every is 0s, want > 0"},
		{RandomWalk{Start: 5, Min: 1, Max: 4, Src: src(1)}, "start 5 is outside [min 1, max 4]"},
		{Jobs{Every: time.Minute, Median: 0, Cores: 1, Src: src(1)}, "median is 0s, want > 0"},
		{Diurnal{Mean: 1, Noise: 1, NoiseInterval: time.Nanosecond, Src: src(1)}, "noise: 172800000000001 points of 1ns up to 48h0m0s is more than"},
	} {
		_, err := tt.g.Series(48 * time.Hour)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%+v: %v, want %q", tt.g, err, tt.err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a nil Src did not panic")
		}
	}()
	Jobs{Every: time.Minute, Median: time.Minute, Cores: 1}.Series(time.Hour)
}

// TestDiurnalNoise checks the noise's distribution and that a seed fixes it.
func TestDiurnalNoise(t *testing.T) {
	const seed = 11
	d := Diurnal{Mean: 100, Amplitude: 0, Noise: 5, NoiseInterval: time.Minute, Src: src(seed)}
	horizon := 30 * 24 * time.Hour
	s := mustGen(t, d, horizon)
	var vals []float64
	for at := time.Duration(0); at < horizon; at += time.Minute {
		vals = append(vals, s.At(at))
		if s.At(at+59*time.Second) != s.At(at) {
			t.Fatalf("noise changes within its interval at %v", at)
		}
	}
	mean, sd := meanSD(vals)
	// 43,200 draws: the sample mean is within 4 standard errors (0.1) of 100, the sd within 2%.
	if math.Abs(mean-100) > 4*5/math.Sqrt(float64(len(vals))) || math.Abs(sd-5) > 0.1 {
		t.Errorf("seed %d: noise mean %v, sd %v; want 100, 5", seed, mean, sd)
	}
	d.Src = src(seed)
	again := mustGen(t, d, horizon)
	d.Src = src(seed + 1)
	other := mustGen(t, d, horizon)
	if again.At(time.Hour) != s.At(time.Hour) || other.At(time.Hour) == s.At(time.Hour) {
		t.Errorf("the seed does not fix the noise")
	}
	// After the horizon the last draw holds.
	if s.At(2*horizon) != s.At(horizon) {
		t.Errorf("noise after the horizon changes")
	}
}

func meanSD(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	ss := 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}

func TestSpikes(t *testing.T) {
	const seed = 5
	horizon := 1000 * time.Hour
	sp := Spikes{Every: time.Hour, Height: 3, Duration: 6 * time.Minute, Src: src(seed)}
	s := mustGen(t, sp, horizon)
	// The fraction of time under at least one spike: 1 − e^(−duration/every) for a Poisson
	// process (about 0.095); the mean level is height × duration / every = 0.3.
	under, total := 0, 0
	sum := 0.0
	for at := time.Duration(0); at < horizon; at += 10 * time.Second {
		v := s.At(at)
		if math.Mod(v, 3) != 0 {
			t.Fatalf("level %v at %v is not a multiple of the height", v, at)
		}
		if v > 0 {
			under++
		}
		sum += v
		total++
	}
	frac, mean := float64(under)/float64(total), sum/float64(total)
	if want := 1 - math.Exp(-0.1); math.Abs(frac-want) > 0.015 {
		t.Errorf("seed %d: under a spike %.4f of the time, want about %.4f", seed, frac, want)
	}
	if math.Abs(mean-0.3) > 0.03 {
		t.Errorf("seed %d: mean level %.4f, want about 0.3", seed, mean)
	}
}

func TestRandomWalk(t *testing.T) {
	const seed = 9
	w := RandomWalk{Start: 5, Sigma: 0.5, Min: 1, Max: 9, Interval: time.Minute, Src: src(seed)}
	s := mustGen(t, w, 100*time.Hour)
	if s.At(0) != 5 {
		t.Errorf("starts at %v, want 5", s.At(0))
	}
	var steps []float64
	prev := s.At(0)
	for at := time.Minute; at <= 100*time.Hour; at += time.Minute {
		v := s.At(at)
		if v < 1 || v > 9 {
			t.Fatalf("seed %d: %v at %v is outside [1, 9]", seed, v, at)
		}
		if v > 1 && v < 9 && prev > 1 && prev < 9 {
			steps = append(steps, v-prev)
		}
		prev = v
	}
	if _, sd := meanSD(steps); math.Abs(sd-0.5) > 0.03 {
		t.Errorf("seed %d: step sd %v, want about 0.5", seed, sd)
	}
}

func TestJobs(t *testing.T) {
	const seed = 3
	horizon := 500 * time.Hour
	j := Jobs{Every: 10 * time.Minute, Median: 20 * time.Minute, Sigma: 0.5, Cores: 2, Src: src(seed)}
	jobs, err := j.Arrivals(horizon)
	if err != nil {
		t.Fatal(err)
	}
	// 3,000 arrivals expected; a Poisson count is within 4 sd (219).
	if n := len(jobs); math.Abs(float64(n)-3000) > 4*math.Sqrt(3000) {
		t.Errorf("seed %d: %d arrivals, want about 3000", seed, n)
	}
	durs := make([]float64, len(jobs))
	for i, a := range jobs {
		durs[i] = a.Duration.Minutes()
		if i > 0 && a.At < jobs[i-1].At {
			t.Fatalf("arrivals out of order")
		}
	}
	slices.Sort(durs)
	// The sample median of a lognormal(ln 20, 0.5): within 3% of 20 minutes for 3,000 draws.
	if med := durs[len(durs)/2]; math.Abs(med-20) > 0.6 {
		t.Errorf("seed %d: median duration %.2f min, want about 20", seed, med)
	}
	// The series is 2 cores per running job: compare with a count over the list.
	j.Src = src(seed)
	s := mustGen(t, j, horizon)
	for at := time.Duration(0); at < horizon; at += 7 * time.Minute {
		running := 0
		for _, a := range jobs {
			if a.At <= at && at < a.At+a.Duration {
				running++
			}
		}
		if got := s.At(at); got != 2*float64(running) {
			t.Fatalf("At(%v) = %v, want %d jobs × 2 cores", at, got, running)
		}
	}
	// Same seed, same jobs.
	j.Src = src(seed)
	again, _ := j.Arrivals(horizon)
	if !reflect.DeepEqual(again, jobs) {
		t.Errorf("the seed does not fix the jobs")
	}
}
