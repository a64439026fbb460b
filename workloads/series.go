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
}

// At returns the value of the last sample at or before t. O(log n), no allocation.
func (s *stepSeries) At(t time.Duration) float64 {
	if t <= 0 {
		return s.values[0]
	}
	if s.period > 0 && t >= s.period {
		t %= s.period
	}
	// Binary search for the first time after t; the sample before it holds at t. times[0] == 0
	// <= t, so lo ends >= 1. Written out rather than sort.Search to avoid the closure call per
	// step on the engine's hottest read path.
	lo, hi := 1, len(s.times)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.times[mid] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return s.values[lo-1]
}

// medianStep returns the lower median of the gaps between consecutive times (len(times) >= 2).
// The lower median keeps the result one of the real gaps, so a regular trace with one odd gap
// loops with its regular step.
func medianStep(times []time.Duration) time.Duration {
	steps := make([]time.Duration, len(times)-1)
	for i := range steps {
		steps[i] = times[i+1] - times[i]
	}
	slices.Sort(steps)
	return steps[(len(steps)-1)/2]
}
