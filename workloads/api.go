// Package workloads reads real trace formats, generates synthetic load, and turns either into
// CPU demand over time.
//
// It is a library that the engine drives. Nothing in it knows about pods, nodes or the event
// queue:
//
//   - Readers (NewReader, with Next and At) stream a trace file of one of the formats of
//     Formats() (Alibaba 2018, Google 2011 and 2019, Azure V1 and V2, Bitbrains, request counts,
//     generic CSV, Prometheus query_range JSON; docs/traces.md), select series and a column by
//     name, and report invalid rows with FILE:LINE. Read collects the selected series into
//     Traces, applying the policies for gaps (hold, interpolate with gonum, zero, error),
//     duplicates and rows out of order; Inspect summarises every series in O(series) memory;
//     Detect guesses a file's format.
//   - A Trace becomes a Series, demand as a function of simulated time; transformations
//     (Shift, TimeScale, Amplify, Repeat, Resample, Sum, Product, Sequence, Combine) wrap
//     Series, and generators (Constant, Step, Ramp, Diurnal, Spikes, RandomWalk, Jobs) make
//     them, drawing from a random source the engine splits from the run's seed.
//   - Share splits a workload's demand among its ready pods (the "aggregate" load model); the
//     engine evaluates a Series whenever someone reads a pod's usage (an HPA sync, a metrics
//     scrape, a report sample), never per tick.
//
// Everything here is deterministic: no clock, no goroutines, no map iteration in results, and
// float arithmetic in a fixed order.
//
// Costs (n = samples in a trace, N = rows of a file, S = series):
//
//	Reader.Next         O(row); for the table formats no allocation but for a new series;
//	                    memory: one line, S names
//	Read                O(N), O(n log n) with OutOfOrder sort; memory: the samples kept
//	Inspect             O(N); memory O(S)
//	Trace.Series        O(n log n) once: copies and validates the trace, finds the median step
//	Series.At           O(log n), O(1) for evenly spaced samples; no allocation
//	Integral            O(log n) for a trace
//	Trace.Scaled        O(n), a new trace
//	Trace.Max           O(n)
//	Share               O(1), no allocation
package workloads

import (
	"fmt"
	"math"
	"time"
)

// Series is demand as a function of simulated time: t is the offset from the start of the run,
// the result is demand in cores (or in the trace's own unit before scaling). At is pure, cheap
// (at most O(log n) for a trace) and safe for concurrent use.
type Series interface {
	At(t time.Duration) float64
}

// Trace is a sampled series read from a file.
//
// Invariants (Read guarantees them; Series checks them): len(Times) == len(Values) > 0,
// Times[0] == 0, Times strictly increasing and at most MaxTime, Values finite and >= 0.
//
// Between samples the value holds (a step function): Values[i] is the demand over
// [Times[i], Times[i+1]). A reader makes the first sample t = 0 by subtracting the first time
// in the file from every time, so a trace of Unix timestamps starts at 0 too.
type Trace struct {
	Name   string          // where the trace came from, for messages (a file path)
	Times  []time.Duration // offsets from the first sample
	Values []float64

	// What Read knows about the series (zero in a trace built by hand): its name in the file
	// (ID), the time of its first sample in the file's clock, its nominal step between
	// samples, and its unit.
	ID    string
	Start time.Duration
	Step  time.Duration
	Unit  Unit
}

// Scaled returns a copy of t with every value multiplied by factor. A product too large for a
// float64 saturates at math.MaxFloat64 so that the copy keeps Trace's invariants. Cost: O(n).
//
// factor must be finite and >= 0; Scaled panics otherwise (the caller validates user input, e.g.
// a scenario's scale, before it gets here).
func (t *Trace) Scaled(factor float64) *Trace {
	if math.IsNaN(factor) || math.IsInf(factor, 0) || factor < 0 {
		panic(fmt.Sprintf("workloads: Trace.Scaled: factor %v, want a finite number >= 0", factor))
	}
	out := t.withValues()
	for i, v := range t.Values {
		s := v * factor
		if s > math.MaxFloat64 {
			s = math.MaxFloat64
		}
		out.Values[i] = s
	}
	return out
}

// Rescaled returns a copy of t mapped linearly so that its smallest value becomes lo and its
// largest hi ("the quietest five minutes need 1.5 cores, the busiest 6"). A constant trace
// becomes hi everywhere. Cost: O(n).
//
// lo and hi must be finite with 0 <= lo <= hi; Rescaled panics otherwise.
func (t *Trace) Rescaled(lo, hi float64) *Trace {
	if !(lo >= 0 && lo <= hi) || math.IsInf(hi, 0) {
		panic(fmt.Sprintf("workloads: Trace.Rescaled: lo %v, hi %v, want finite 0 <= lo <= hi", lo, hi))
	}
	mn, mx := t.Min(), t.Max()
	out := t.withValues()
	for i, v := range t.Values {
		if mx == mn {
			out.Values[i] = hi
			continue
		}
		out.Values[i] = lo + (v-mn)/(mx-mn)*(hi-lo)
	}
	return out
}

// withValues returns a copy of t with its own Times and a zeroed Values of the same length.
func (t *Trace) withValues() *Trace {
	out := *t
	out.Times = append([]time.Duration(nil), t.Times...)
	out.Values = make([]float64, len(t.Values))
	return &out
}

// Min returns the smallest value of t, or 0 for a trace without samples. Cost: O(n).
func (t *Trace) Min() float64 {
	if len(t.Values) == 0 {
		return 0
	}
	m := t.Values[0]
	for _, v := range t.Values[1:] {
		if v < m {
			m = v
		}
	}
	return m
}

// Max returns the largest value of t, or 0 for a trace without samples. Cost: O(n).
func (t *Trace) Max() float64 {
	m := 0.0
	for _, v := range t.Values {
		if v > m {
			m = v
		}
	}
	return m
}

// Series returns t as a step function of time. The series holds a copy of the samples, so later
// changes to t do not change it. Cost: O(n log n) once (copy, validation, median step); each At
// is O(log n), O(1) when the samples are evenly spaced, and does not allocate.
//
// Before the first sample (t < 0) the series has the first value. After the last sample:
//   - repeat false: the last value holds forever;
//   - repeat true: the trace loops with period P = last time + median step between samples (the
//     lower median when the count of steps is even), so the last value holds for one typical
//     step and At(t) = At(t mod P). A one-sample trace is constant either way.
//
// Series panics when t breaks Trace's invariants; traces from Read never do.
func (t *Trace) Series(repeat bool) Series {
	if err := t.check(); err != nil {
		panic("workloads: Trace.Series: " + err.Error())
	}
	return newStepSeries(t.Times, t.Values, repeat)
}

// check reports the first broken invariant of t.
func (t *Trace) check() error {
	if len(t.Times) != len(t.Values) {
		return fmt.Errorf("trace %q has %d times and %d values, want as many of each", t.Name, len(t.Times), len(t.Values))
	}
	if len(t.Times) == 0 {
		return fmt.Errorf("trace %q has no samples, want at least one", t.Name)
	}
	if t.Times[0] != 0 {
		return fmt.Errorf("trace %q starts at %v, want 0", t.Name, t.Times[0])
	}
	for i, v := range t.Values {
		if i > 0 && t.Times[i] <= t.Times[i-1] {
			return fmt.Errorf("trace %q: Times[%d] = %v is not after Times[%d] = %v, want increasing times", t.Name, i, t.Times[i], i-1, t.Times[i-1])
		}
		if t.Times[i] > MaxTime {
			return fmt.Errorf("trace %q: Times[%d] = %v is beyond MaxTime (%v)", t.Name, i, t.Times[i], MaxTime)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("trace %q: Values[%d] = %v, want a finite number >= 0", t.Name, i, v)
		}
	}
	return nil
}

// MaxPodMilli bounds Share's perPodMilli: 2^53 milli-CPU (about 9e12 cores), the largest range
// in which a float64 holds every whole number, so the conversion to int64 is exact.
const MaxPodMilli int64 = 1 << 53

// Share is the aggregate load model: a workload's demand (cores) is split evenly among its ready
// pods, and each pod uses at most its CPU limit.
//
// It returns each ready pod's usage in milli-CPU and the demand that the pods could not serve
// (cores):
//   - readyPods == 0: perPodMilli is 0 and all demand is unserved;
//   - otherwise each pod's share is demandCores*1000/readyPods milli-CPU. When limitMilli > 0
//     and the share exceeds it, perPodMilli = limitMilli and
//     unservedCores = demandCores - readyPods*limitMilli/1000 (never negative). Otherwise
//     perPodMilli is the share rounded to the nearest milli-CPU (halves round up, as math.Round
//     does for positive numbers) and unservedCores is 0: that rounding is measurement
//     resolution, not lost demand.
//
// limitMilli <= 0 means no limit; perPodMilli never exceeds MaxPodMilli either way (demand
// beyond it counts as unserved). Cost: O(1), no allocation.
//
// demandCores must be finite and >= 0 and readyPods >= 0; Share panics otherwise (a Series
// never returns such demand, so a bad value is a bug in the caller).
func Share(demandCores float64, readyPods int, limitMilli int64) (perPodMilli int64, unservedCores float64) {
	if math.IsNaN(demandCores) || math.IsInf(demandCores, 0) || demandCores < 0 {
		panic(fmt.Sprintf("workloads: Share: demandCores %v, want a finite number >= 0", demandCores))
	}
	if readyPods < 0 {
		panic(fmt.Sprintf("workloads: Share: readyPods %d, want >= 0", readyPods))
	}
	if readyPods == 0 {
		return 0, demandCores
	}
	capMilli := MaxPodMilli
	if limitMilli > 0 && limitMilli < capMilli {
		capMilli = limitMilli
	}
	shareMilli := demandCores * 1000 / float64(readyPods)
	if shareMilli > float64(capMilli) {
		unserved := demandCores - float64(readyPods)*float64(capMilli)/1000
		return capMilli, max(unserved, 0)
	}
	return int64(math.Round(shareMilli)), 0
}
