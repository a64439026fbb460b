package reports

import (
	"math/bits"
	"slices"
	"time"

	"ksim.dev/ksim/sim"
)

// This file holds the arithmetic on step series (sim.Series) that both the summary and the HTML
// report need. A step series' value before its first point is taken as 0, and its last value
// holds until the end of the run.

// integrate returns the integral of the step series s over [0, end], in value·seconds (for a
// series in cores: core-seconds). Points before 0 or after end are clipped. Cost: O(len(s.Points)).
func integrate(s sim.Series, end time.Duration) float64 {
	pts := s.Points
	var sum float64
	for i, p := range pts {
		from := max(p.T, 0)
		to := end
		if i+1 < len(pts) {
			to = min(pts[i+1].T, end)
		}
		if to <= from {
			continue
		}
		sum += p.V * (to - from).Seconds()
	}
	return sum
}

// seriesMin, seriesMax and seriesLast return the smallest, largest and last value of s, or 0
// when s is empty. Cost: O(len(s.Points)).
func seriesMin(s sim.Series) float64 {
	if len(s.Points) == 0 {
		return 0
	}
	m := s.Points[0].V
	for _, p := range s.Points[1:] {
		m = min(m, p.V)
	}
	return m
}

func seriesMax(s sim.Series) float64 {
	if len(s.Points) == 0 {
		return 0
	}
	m := s.Points[0].V
	for _, p := range s.Points[1:] {
		m = max(m, p.V)
	}
	return m
}

func seriesLast(s sim.Series) float64 {
	if len(s.Points) == 0 {
		return 0
	}
	return s.Points[len(s.Points)-1].V
}

// sumSeries returns the pointwise sum of step series, itself a step series (each input counts
// as 0 before its first point). Cost: O(P log P) for P points in all.
//
// It sweeps the changes of all inputs in time order and accumulates them, so the result is exact
// for integer-valued series (milli-CPU) below 2^53.
func sumSeries(in []sim.Series) sim.Series {
	type delta struct {
		t time.Duration
		d float64
	}
	var n int
	for _, s := range in {
		n += len(s.Points)
	}
	ds := make([]delta, 0, n)
	for _, s := range in {
		var prev float64
		for _, p := range s.Points {
			ds = append(ds, delta{p.T, p.V - prev})
			prev = p.V
		}
	}
	// Stable: equal times keep input order, so the float sum is the same on every run.
	slices.SortStableFunc(ds, func(a, b delta) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	var out sim.Series
	var total float64
	for i, d := range ds {
		total += d.d
		if i+1 < len(ds) && ds[i+1].t == d.t {
			continue // apply every change at this instant before recording the value
		}
		out.Add(d.t, total)
	}
	return out
}

// downsample reduces a step series to at most about maxPoints points for plotting.
//
// A step series already holds only its changes, so when len(pts) <= maxPoints it is returned
// unchanged (every step is kept). Otherwise the time span [pts[0].T, end] is cut into
// maxPoints/4 equal buckets and each bucket keeps, in time order, its first point, a point with
// its minimum value, a point with its maximum value, and its last point (the M4 method of Jugel
// et al., "M4: A Visualization-Oriented Time Series Data Aggregation", VLDB 2014). Every peak and
// trough survives, and so does the value carried into the next bucket; what is lost is the exact
// shape of short steps inside one bucket. maxPoints below 4 is taken as 4.
//
// Cost: O(len(pts)) time, O(maxPoints) extra space. The result never aliases pts when it is
// shorter.
func downsample(pts []sim.Point, end time.Duration, maxPoints int) []sim.Point {
	if len(pts) <= maxPoints {
		return pts
	}
	buckets := max(maxPoints/4, 1)
	t0 := pts[0].T
	span := max(end, pts[len(pts)-1].T, t0+1) - t0
	// bucketOf maps t in [t0, t0+span] to 0..buckets-1 exactly: (t-t0)*buckets/span in 128-bit
	// arithmetic, since a year in nanoseconds times a few hundred buckets overflows int64. The
	// quotient's high word is below span, as Div64 requires, because t-t0 <= span.
	bucketOf := func(t time.Duration) int {
		hi, lo := bits.Mul64(uint64(t-t0), uint64(buckets))
		q, _ := bits.Div64(hi, lo, uint64(span))
		return min(int(q), buckets-1) // t = t0+span joins the last bucket
	}
	out := make([]sim.Point, 0, 4*buckets)
	keep := make([]int, 0, 4)
	flush := func(first, last, lo, hi int) {
		keep = append(keep[:0], first, lo, hi, last)
		slices.Sort(keep)
		keep = slices.Compact(keep)
		for _, i := range keep {
			out = append(out, pts[i])
		}
	}
	first, lo, hi := 0, 0, 0
	cur := bucketOf(pts[0].T)
	for i := 1; i < len(pts); i++ {
		b := bucketOf(pts[i].T)
		if b != cur {
			flush(first, i-1, lo, hi)
			first, lo, hi, cur = i, i, i, b
			continue
		}
		if pts[i].V < pts[lo].V {
			lo = i
		}
		if pts[i].V > pts[hi].V {
			hi = i
		}
	}
	flush(first, len(pts)-1, lo, hi)
	return out
}
