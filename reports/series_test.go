package reports

import (
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
