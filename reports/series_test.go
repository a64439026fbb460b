package reports

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func TestDownsampleShortUnchanged(t *testing.T) {
	s := series(0, 1, 10, 2, 20, 1)
	got := downsample(s.Points, time.Minute, 3)
	if !slices.Equal(got, s.Points) {
		t.Errorf("downsample of a short series = %v, want it unchanged", got)
	}
}

func TestDownsample(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, max    int
		end       time.Duration
		spikeAt   int
		spikeSize float64
	}{
		{"day", 10000, 400, 24 * time.Hour, 4321, 1000},
		{"year", 100000, 2000, 365 * 24 * time.Hour, 99999, -5},
		{"tiny max", 50, 1, time.Hour, 0, 7},
		{"end before last point", 1000, 100, 0, 500, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s sim.Series
			step := max(tc.end, time.Hour) / time.Duration(tc.n)
			for i := range tc.n {
				v := float64((i * 7919) % 13)
				if i == tc.spikeAt {
					v = tc.spikeSize
				}
				s.Add(time.Duration(i)*step, v)
			}
			pts := s.Points
			got := downsample(pts, tc.end, tc.max)
			if limit := max(tc.max/4, 1) * 4; len(got) > limit {
				t.Errorf("downsample kept %d points, want at most %d", len(got), limit)
			}
			if len(got) >= len(pts) {
				t.Fatalf("downsample kept all %d points", len(got))
			}
			if got[0] != pts[0] || got[len(got)-1] != pts[len(pts)-1] {
				t.Errorf("first/last = %v/%v, want %v/%v", got[0], got[len(got)-1], pts[0], pts[len(pts)-1])
			}
			for i := 1; i < len(got); i++ {
				if got[i].T <= got[i-1].T {
					t.Fatalf("points out of order at %d: %v then %v", i, got[i-1], got[i])
				}
			}
			// Every kept point is an original point, and the envelope survives.
			for _, p := range got {
				if !slices.Contains(pts, p) {
					t.Fatalf("point %v is not in the input", p)
				}
			}
			minOf := func(ps []sim.Point) float64 { return seriesMin(sim.Series{Points: ps}) }
			maxOf := func(ps []sim.Point) float64 { return seriesMax(sim.Series{Points: ps}) }
			if minOf(got) != minOf(pts) || maxOf(got) != maxOf(pts) {
				t.Errorf("range [%v, %v], want [%v, %v]", minOf(got), maxOf(got), minOf(pts), maxOf(pts))
			}
		})
	}
}

// TestDownsampleBucketEnds checks that the value carried out of each bucket is kept: the last
// point of every bucket is in the output.
func TestDownsampleBucketEnds(t *testing.T) {
	var s sim.Series
	for i := range 1000 {
		s.Add(time.Duration(i)*time.Second, float64(i%3))
	}
	end := 1000 * time.Second
	got := downsample(s.Points, end, 40) // 10 buckets of 100 s
	for b := range 10 {
		last := sim.Point{T: time.Duration(b*100+99) * time.Second, V: float64((b*100 + 99) % 3)}
		if !slices.Contains(got, last) {
			t.Errorf("bucket %d: last point %v dropped", b, last)
		}
	}
}

// TestSumSeriesMatchesNaive compares the merge with the sum of valueAt at every change.
func TestSumSeriesMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 500 {
		in := make([]sim.Series, 1+rng.IntN(40))
		for i := range in {
			for t := time.Duration(rng.IntN(5)) * time.Second; t < time.Minute; t += time.Duration(1+rng.IntN(10)) * time.Second {
				in[i].Add(t, float64(rng.IntN(4)*250))
			}
		}
		got := sumSeries(in)
		// By definition: a point at every instant of an input where the total changes.
		var times []time.Duration
		for _, x := range in {
			for _, p := range x.Points {
				times = append(times, p.T)
			}
		}
		slices.Sort(times)
		var want sim.Series
		for _, at := range slices.Compact(times) {
			var v float64
			for _, x := range in {
				v += valueAt(x.Points, at)
			}
			want.Add(at, v)
		}
		if !reflect.DeepEqual(got.Points, want.Points) {
			t.Fatalf("trial %d: sum %v, want %v", trial, got.Points, want.Points)
		}
		for i := 1; i < len(got.Points); i++ {
			if got.Points[i].T <= got.Points[i-1].T || got.Points[i].V == got.Points[i-1].V {
				t.Fatalf("trial %d: not a step series at %d: %v", trial, i, got.Points)
			}
		}
		for s := time.Duration(0); s <= time.Minute; s += 500 * time.Millisecond {
			var want float64
			for _, x := range in {
				want += valueAt(x.Points, s)
			}
			if v := valueAt(got.Points, s); v != want {
				t.Fatalf("trial %d: sum at %v = %v, want %v", trial, s, v, want)
			}
		}
	}
}

func TestValueAt(t *testing.T) {
	s := series(10, 1, 20, 2)
	for _, tc := range []struct {
		at   float64
		want float64
	}{{0, 0}, {9.999, 0}, {10, 1}, {19, 1}, {20, 2}, {1e6, 2}} {
		if got := valueAt(s.Points, sec(tc.at)); got != tc.want {
			t.Errorf("valueAt(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	s := series(0, 1, 10, 2, 20, 3)
	for _, tc := range []struct {
		from, to, end float64
		want          sim.Series
	}{
		{0, 100, 100, s},
		{0, 15, 100, series(0, 1, 10, 2, 15, 0)},
		{5, 100, 100, series(5, 1, 10, 2, 20, 3)},
		{0, 20, 100, series(0, 1, 10, 2, 20, 0)},
	} {
		if got := window(s, sec(tc.from), sec(tc.to), sec(tc.end)); !slices.Equal(got.Points, tc.want.Points) {
			t.Errorf("window(%v, %v) = %v, want %v", tc.from, tc.to, got.Points, tc.want.Points)
		}
	}
}

func TestRatioSeries(t *testing.T) {
	got := ratioSeries(series(0, 1, 10, 3, 30, 0), series(0, 2, 20, 0, 40, 4))
	want := []sim.Point{{T: 0, V: 0.5}, {T: sec(10), V: 1.5}, {T: sec(20), V: math.NaN()}, {T: sec(40), V: 0}}
	if len(got) != len(want) {
		t.Fatalf("ratioSeries = %v, want %v", got, want)
	}
	for i := range got {
		if got[i].T != want[i].T || !(got[i].V == want[i].V || math.IsNaN(got[i].V) && math.IsNaN(want[i].V)) {
			t.Errorf("point %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestBucketMeans checks the sweep against numeric integration in 1 ms steps.
func TestBucketMeans(t *testing.T) {
	s := series(0, 10, 1.5, 20, 4, 0, 7.25, 40)
	from, to := sec(0.5), sec(9)
	width := 2 * time.Second
	got := bucketMeans(s.Points, from, to, 0, width, 6)
	for k, g := range got {
		lo, hi := max(time.Duration(k)*width, from), min(time.Duration(k+1)*width, to)
		if hi <= lo {
			if !math.IsNaN(g) {
				t.Errorf("bucket %d = %v, want NaN (outside [from, to))", k, g)
			}
			continue
		}
		var sum float64
		var n int
		for x := lo; x < hi; x += time.Millisecond {
			sum += valueAt(s.Points, x)
			n++
		}
		if want := sum / float64(n); math.Abs(g-want) > 1e-9 {
			t.Errorf("bucket %d = %v, want %v", k, g, want)
		}
	}
}
