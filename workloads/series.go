package workloads

import (
	"slices"
	"time"
)

// stepSeries is a Trace as a step function (see Trace.Series). Its fields never change after
// construction, so At is safe for concurrent use.
type stepSeries struct {
	times  []time.Duration // times[0] == 0, strictly increasing
	values []float64       // len(values) == len(times)
	period time.Duration   // > 0: the series loops with this period; 0: the last value holds
	// step > 0 when the samples are evenly spaced (times[i] == i*step, as in most real traces):
	// At then finds the sample with one division instead of a binary search.
	step time.Duration
	// cum[i] is the integral from 0 to times[i], in value × seconds (for Integral).
	cum []float64
}

// newStepSeries copies times and values (which keep Trace's invariants).
func newStepSeries(times []time.Duration, values []float64, repeat bool) *stepSeries {
	s := &stepSeries{
		times:  slices.Clone(times),
		values: slices.Clone(values),
	}
	s.cum = make([]float64, len(times))
	for i := 1; i < len(times); i++ {
		s.cum[i] = s.cum[i-1] + values[i-1]*(times[i]-times[i-1]).Seconds()
	}
	if len(times) < 2 {
		return s // constant: neither a period nor a step means anything
	}
	if repeat {
		s.period = times[len(times)-1] + medianStep(times)
	}
	step := times[1]
	for i, t := range times {
		// No overflow: (i-1)*step == times[i-1] <= MaxTime, so i*step <= 2*MaxTime.
		if t != time.Duration(i)*step {
			return s
		}
	}
	s.step = step
	return s
}

// At returns the value of the last sample at or before t: O(1) for evenly spaced samples,
// O(log n) otherwise; no allocation.
func (s *stepSeries) At(t time.Duration) float64 {
	if t <= 0 {
		return s.values[0]
	}
	if s.period > 0 && t >= s.period {
		t %= s.period
	}
	return s.values[s.index(t)]
}

// index returns the index of the last sample at or before t (0 <= t, and t < period when the
// series loops).
func (s *stepSeries) index(t time.Duration) int {
	if s.step > 0 {
		return int(min(int64(t/s.step), int64(len(s.values)-1)))
	}
	// Binary search for the first time after t; the sample before it holds at t. times[0] == 0
	// <= t, so lo ends >= 1.
	lo, hi := 1, len(s.times)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.times[mid] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// Integral returns the integral over [a, b) in value × seconds: O(log n) like At.
func (s *stepSeries) Integral(a, b time.Duration) float64 { return s.upTo(b) - s.upTo(a) }

// upTo is the integral from 0 to t (negative for t < 0, where the first value holds).
func (s *stepSeries) upTo(t time.Duration) float64 {
	if t <= 0 {
		return s.values[0] * t.Seconds()
	}
	if s.period > 0 && t >= s.period {
		k := t / s.period
		return float64(k)*s.once(s.period) + s.once(t%s.period)
	}
	return s.once(t)
}

// once is the integral from 0 to t without looping (0 <= t; t <= period when looping).
func (s *stepSeries) once(t time.Duration) float64 {
	i := len(s.times) - 1
	if t < s.times[i] {
		i = s.index(t)
	}
	return s.cum[i] + s.values[i]*(t-s.times[i]).Seconds()
}

// medianStep returns the lower median of the gaps between consecutive times (len(times) >= 2).
// The lower median keeps the result one of the real gaps, so a regular trace with one odd gap
// loops with its regular step.
func medianStep(times []time.Duration) time.Duration {
	steps := make([]time.Duration, len(times)-1)
	for i := range steps {
		steps[i] = times[i+1] - times[i]
	}
	return lowerMedian(steps)
}

// lowerMedian is the lower median of d (the middle value, the lower of the two middle ones
// when the count is even); it sorts d. d must not be empty.
func lowerMedian(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[(len(d)-1)/2]
}

// defaultMaxGap is the gap that counts as missing data when none is given: 1.5 steps.
func defaultMaxGap(step time.Duration) time.Duration { return step * 3 / 2 }
