package workloads

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Transformations of a Series, for what-ifs: shift and stretch time, scale the amplitude, repeat,
// and resample to a metric resolution. Each returns a new Series that evaluates the one it wraps
// when read; none copies samples. They compose: Amplify(Shift(s, time.Hour), 1.2).

// Integrator is a Series whose integral can be computed exactly: Integral returns the integral
// of the series over [a, b) in value × seconds (a <= b). Traces, constants, steps, ramps, and
// the transformations and sums of integrators are integrators; Resample uses it.
type Integrator interface {
	Series
	Integral(a, b time.Duration) float64
}

// Period returns the time after which t loops when repeated: the last time plus the median step
// between samples (see Series). A one-sample trace has period 0. Cost: O(n log n).
func (t *Trace) Period() time.Duration {
	if len(t.Times) < 2 {
		return 0
	}
	return t.Times[len(t.Times)-1] + medianStep(t.Times)
}

// Shift delays s by d: the result at t is s at t - d. A negative d skips the first -d of s.
// Cost per At: one At of s.
func Shift(s Series, d time.Duration) Series {
	if d == 0 {
		return s
	}
	if in, ok := s.(Integrator); ok {
		return shiftedInt{shifted{in, d}, in}
	}
	return shifted{s, d}
}

type shifted struct {
	s Series
	d time.Duration
}

func (x shifted) At(t time.Duration) float64 { return x.s.At(t - x.d) }

type shiftedInt struct {
	shifted
	in Integrator
}

func (x shiftedInt) Integral(a, b time.Duration) float64 { return x.in.Integral(a-x.d, b-x.d) }

// TimeScale stretches the time axis of s by factor (> 0, finite): the result at t is s at
// t / factor, so 2 plays a day of s over two days and 0.5 over twelve hours. Cost per At: one
// At of s. TimeScale panics on a factor that is not finite and > 0.
func TimeScale(s Series, factor float64) Series {
	if !(factor > 0) || math.IsInf(factor, 0) {
		panic(fmt.Sprintf("workloads: TimeScale: factor %v, want a finite number > 0", factor))
	}
	if factor == 1 {
		return s
	}
	if in, ok := s.(Integrator); ok {
		return scaledTimeInt{scaledTime{in, factor}, in}
	}
	return scaledTime{s, factor}
}

type scaledTime struct {
	s Series
	f float64
}

func (x scaledTime) at(t time.Duration) time.Duration {
	return time.Duration(math.Round(float64(t) / x.f))
}

func (x scaledTime) At(t time.Duration) float64 { return x.s.At(x.at(t)) }

type scaledTimeInt struct {
	scaledTime
	in Integrator
}

func (x scaledTimeInt) Integral(a, b time.Duration) float64 {
	return x.f * x.in.Integral(x.at(a), x.at(b))
}

// Amplify multiplies s by factor (finite, >= 0): 1.2 is "20% more traffic". Cost per At: one
// At of s. Amplify panics on a factor that is not finite and >= 0.
func Amplify(s Series, factor float64) Series {
	if !(factor >= 0) || math.IsInf(factor, 0) {
		panic(fmt.Sprintf("workloads: Amplify: factor %v, want a finite number >= 0", factor))
	}
	if factor == 1 {
		return s
	}
	if in, ok := s.(Integrator); ok {
		return amplifiedInt{amplified{in, factor}, in}
	}
	return amplified{s, factor}
}

type amplified struct {
	s Series
	f float64
}

func (x amplified) At(t time.Duration) float64 { return x.s.At(t) * x.f }

type amplifiedInt struct {
	amplified
	in Integrator
}

func (x amplifiedInt) Integral(a, b time.Duration) float64 { return x.in.Integral(a, b) * x.f }

// Repeat plays [0, period) of s count times from time 0 (count 0: forever); after the last play
// the value at the end of the period holds. Before 0, s itself. Cost per At: one At of s.
// Repeat panics when period <= 0 or count < 0.
func Repeat(s Series, period time.Duration, count int) Series {
	if period <= 0 || count < 0 {
		panic(fmt.Sprintf("workloads: Repeat: period %v, count %d, want period > 0 and count >= 0", period, count))
	}
	r := repeated{s: s, period: period, count: count}
	if in, ok := s.(Integrator); ok {
		return repeatedInt{r, in}
	}
	return r
}

type repeated struct {
	s      Series
	period time.Duration
	count  int
}

func (x repeated) At(t time.Duration) float64 {
	if t < 0 {
		return x.s.At(t)
	}
	if x.count > 0 && t/x.period >= time.Duration(x.count) {
		return x.s.At(x.period - 1)
	}
	return x.s.At(t % x.period)
}

type repeatedInt struct {
	repeated
	in Integrator
}

// Integral splits [a, b) at the period boundaries: whole periods cost one integral each.
func (x repeatedInt) Integral(a, b time.Duration) float64 { return x.upTo(b) - x.upTo(a) }

// upTo is the integral over [0, t) (negative for t < 0).
func (x repeatedInt) upTo(t time.Duration) float64 {
	if t <= 0 {
		return -x.in.Integral(t, 0)
	}
	k := t / x.period
	if x.count > 0 && k >= time.Duration(x.count) {
		whole := float64(x.count) * x.in.Integral(0, x.period)
		rest := t - time.Duration(x.count)*x.period
		return whole + x.s.At(x.period-1)*rest.Seconds()
	}
	return float64(k)*x.in.Integral(0, x.period) + x.in.Integral(0, t%x.period)
}

// Resample returns s as a metrics pipeline that scrapes every window sees it: the value at t is
// the mean of s over the window that ended at the last multiple of window at or before t (for
// t in the first window, the window before 0, where s has its value at 0 if it is a trace).
// The mean is exact for an Integrator, else the midpoint rule over 16 points. Cost per At: two
// integrals (O(log n) for a trace) or 16 Ats. Resample panics when window <= 0.
func Resample(s Series, window time.Duration) Series {
	if window <= 0 {
		panic(fmt.Sprintf("workloads: Resample: window %v, want > 0", window))
	}
	in, _ := s.(Integrator)
	return resampled{s: s, in: in, w: window}
}

// resampleMidpoints is the number of points of the midpoint rule for series without integrals.
const resampleMidpoints = 16

type resampled struct {
	s  Series
	in Integrator
	w  time.Duration
}

func (x resampled) At(t time.Duration) float64 {
	end := floorTo(t, x.w)
	return x.mean(end-x.w, end)
}

func (x resampled) mean(a, b time.Duration) float64 {
	if x.in != nil {
		return max(x.in.Integral(a, b)/(b-a).Seconds(), 0)
	}
	sum := 0.0
	d := (b - a) / resampleMidpoints
	for i := 0; i < resampleMidpoints; i++ {
		sum += x.s.At(a + d/2 + time.Duration(i)*d)
	}
	return sum / resampleMidpoints
}

// floorTo rounds t down to a multiple of w (towards minus infinity).
func floorTo(t, w time.Duration) time.Duration {
	r := t % w
	if r < 0 {
		r += w
	}
	return t - r
}

// ---- combinations ----

// Sum adds series. Cost per At: one At of each.
func Sum(terms ...Series) Series {
	for _, s := range terms {
		if _, ok := s.(Integrator); !ok {
			return sum(terms)
		}
	}
	return sumInt(terms)
}

type sum []Series

func (x sum) At(t time.Duration) float64 {
	v := 0.0
	for _, s := range x {
		v += s.At(t)
	}
	return v
}

type sumInt []Series

func (x sumInt) At(t time.Duration) float64 { return sum(x).At(t) }

func (x sumInt) Integral(a, b time.Duration) float64 {
	v := 0.0
	for _, s := range x {
		v += s.(Integrator).Integral(a, b)
	}
	return v
}

// Product multiplies series (e.g. a diurnal shape by a ramp of growth). Cost per At: one At of
// each.
func Product(factors ...Series) Series { return product(factors) }

type product []Series

func (x product) At(t time.Duration) float64 {
	v := 1.0
	for _, s := range x {
		v *= s.At(t)
	}
	return v
}

// Segment is one part of a Sequence: Series plays for For, on its own clock from 0.
type Segment struct {
	For    time.Duration
	Series Series
}

// Sequence plays segments one after another, each on its own clock starting at 0; the last
// plays on forever. Before 0, the first segment. Cost per At: O(log segments) and one At.
// Sequence panics on no segments or a segment with For <= 0 (the last one's For is ignored).
func Sequence(segments ...Segment) Series {
	if len(segments) == 0 {
		panic("workloads: Sequence: no segments")
	}
	seq := sequence{segs: segments, starts: make([]time.Duration, len(segments))}
	var at time.Duration
	for i, s := range segments {
		seq.starts[i] = at
		if i < len(segments)-1 {
			if s.For <= 0 {
				panic(fmt.Sprintf("workloads: Sequence: segment %d lasts %v, want > 0", i, s.For))
			}
			at += s.For
		}
	}
	return seq
}

type sequence struct {
	segs   []Segment
	starts []time.Duration
}

func (x sequence) At(t time.Duration) float64 {
	lo, hi := 0, len(x.starts)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x.starts[mid] <= t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return x.segs[lo].Series.At(t - x.starts[lo])
}

// Combine adds up traces (or averages them, mean true) into one trace, each trace starting
// offsets[i] after the first: the result's samples are at the union of the traces' (offset)
// sample times, so it equals the sum of the traces' step functions (each holding its first
// value before it starts and its last after it ends). offsets must be >= 0 with a 0 among
// them. Cost: O(N log N + U × k) for N samples in all, U distinct times and k traces: each
// trace is read through a cursor that only moves forward. Combine panics when the lengths
// differ or a trace breaks Trace's invariants.
func Combine(traces []*Trace, offsets []time.Duration, mean bool) *Trace {
	if len(traces) == 0 || len(traces) != len(offsets) {
		panic(fmt.Sprintf("workloads: Combine: %d traces, %d offsets", len(traces), len(offsets)))
	}
	var times []time.Duration
	for i, tr := range traces {
		if err := tr.check(); err != nil {
			panic("workloads: Combine: " + err.Error())
		}
		for _, t := range tr.Times {
			times = append(times, t+offsets[i])
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	out := &Trace{Name: traces[0].Name, Times: times, Values: make([]float64, len(times)), Step: traces[0].Step, Unit: traces[0].Unit}
	cur := make([]int, len(traces)) // the last sample of each trace at or before t (its first before it starts)
	for k, t := range times {
		v := 0.0
		for i, tr := range traces {
			for cur[i]+1 < len(tr.Times) && tr.Times[cur[i]+1]+offsets[i] <= t {
				cur[i]++
			}
			v += tr.Values[cur[i]]
		}
		if mean {
			v /= float64(len(traces))
		}
		out.Values[k] = v
	}
	if err := out.check(); err != nil {
		panic("workloads: Combine: " + err.Error())
	}
	return out
}
