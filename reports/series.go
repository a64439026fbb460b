package reports

import (
	"cmp"
	"math"
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
// as 0 before its first point): a point at every instant where the sum changes. Cost:
// O(P log k) time for P points in k inputs, in sequential passes (a tree of two-way merges),
// and O(P) transient space at most.
//
// The inputs are summed in a different grouping than one by one, which is exact for
// integer-valued series (milli-CPU, counts) below 2^53: the result is the same on every run
// and for every grouping.
func sumSeries(in []sim.Series) sim.Series {
	switch len(in) {
	case 0:
		return sim.Series{}
	case 1:
		return addSeries(in[0], sim.Series{})
	}
	mid := len(in) / 2
	return addSeries(sumSeries(in[:mid]), sumSeries(in[mid:]))
}

// addSeries is the sum of two step series: a point at every instant of either where the sum
// changes. Cost: O(len(a) + len(b)).
func addSeries(a, b sim.Series) sim.Series {
	return mergeSteps(a, b, func(va, vb float64) float64 { return va + vb })
}

// mergeSteps combines two step series (each 0 before its first point) with f at every instant
// of either; consecutive equal values merge, NaN counting as equal to NaN (addNaN).
// Cost: O(len(a) + len(b)).
func mergeSteps(a, b sim.Series, f func(va, vb float64) float64) sim.Series {
	var out sim.Series
	out.Points = make([]sim.Point, 0, max(len(a.Points), len(b.Points)))
	var va, vb float64
	i, j := 0, 0
	for i < len(a.Points) || j < len(b.Points) {
		var t time.Duration
		switch {
		case j == len(b.Points) || (i < len(a.Points) && a.Points[i].T < b.Points[j].T):
			t = a.Points[i].T
		default:
			t = b.Points[j].T
		}
		for i < len(a.Points) && a.Points[i].T == t {
			va = a.Points[i].V
			i++
		}
		for j < len(b.Points) && b.Points[j].T == t {
			vb = b.Points[j].V
			j++
		}
		addNaN(&out, t, f(va, vb))
	}
	return out
}

// valueAt returns the value of the step series pts at t: that of the last point at or before t,
// or 0 before the first. Cost: O(log n).
func valueAt(pts []sim.Point, t time.Duration) float64 {
	i, _ := slices.BinarySearchFunc(pts, t, func(p sim.Point, t time.Duration) int { return cmp.Compare(p.T, t+1) })
	if i == 0 {
		return 0
	}
	return pts[i-1].V
}

// window cuts a step series to [from, to): the value at from (if a point precedes it) starts
// the result, and a final point (to, 0) ends it when to is before the end of the run. When
// nothing is cut it returns s itself, which the caller must not modify. Cost: O(n) when it cuts.
func window(s sim.Series, from, to, end time.Duration) sim.Series {
	if to >= end && (len(s.Points) == 0 || s.Points[0].T >= from) {
		return s
	}
	var out sim.Series
	if from > 0 && len(s.Points) > 0 && s.Points[0].T < from {
		out.Add(from, valueAt(s.Points, from))
	}
	for _, p := range s.Points {
		if p.T >= from && p.T < to {
			out.Add(p.T, p.V)
		}
	}
	if to < end {
		out.Add(to, 0)
	}
	return out
}

// ratioSeries returns num/den at every change of either, as a step series; where den is 0 the
// value is NaN (a gap when drawn). Cost: O(n + m).
func ratioSeries(num, den sim.Series) []sim.Point {
	return mergeSteps(num, den, func(va, vb float64) float64 {
		if vb == 0 {
			return math.NaN()
		}
		return va / vb
	}).Points
}

// bucketMeans returns the time-weighted mean of the step series pts over each of n buckets
// [t0+k·width, t0+(k+1)·width), counting only the part of each bucket inside [from, to): the
// series "exists" there (a node between its addition and removal). A bucket with no such part
// is NaN. Cost: O(len(pts) + n).
func bucketMeans(pts []sim.Point, from, to, t0, width time.Duration, n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		lo := max(t0+time.Duration(k)*width, from)
		hi := min(t0+time.Duration(k+1)*width, to)
		if hi <= lo {
			out[k] = math.NaN()
		}
	}
	// Sweep the segments [p.T, next.T) of the series, clipped to [from, to), over the buckets.
	sum := make([]float64, n)
	seg := func(a, b time.Duration, v float64) {
		a, b = max(a, from, t0), min(b, to, t0+time.Duration(n)*width)
		for a < b {
			k := int((a - t0) / width)
			e := min(b, t0+time.Duration(k+1)*width)
			sum[k] += v * float64(e-a)
			a = e
		}
	}
	start := time.Duration(math.MinInt64)
	v := 0.0
	for _, p := range pts {
		seg(start, p.T, v)
		start, v = p.T, p.V
	}
	seg(start, math.MaxInt64, v)
	for k := range out {
		if math.IsNaN(out[k]) {
			continue
		}
		lo := max(t0+time.Duration(k)*width, from)
		hi := min(t0+time.Duration(k+1)*width, to)
		out[k] = sum[k] / float64(hi-lo)
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
