package workloads

import (
	"io"
	"math"
	"slices"
	"time"
)

// Stats summarise one series of a trace file, as Inspect computes them.
type Stats struct {
	Series  string
	Samples int           // rows of the series read (duplicates and out-of-order rows included)
	Start   time.Duration // earliest time, in the file's clock
	End     time.Duration // latest time
	// Min, Max and Mean are over the samples' values, in the column's unit; Mean is the plain
	// mean of the samples (not weighted by time), summed in file order.
	Min, Max, Mean float64
	// Step is the nominal step (the option's, the format's, or estimated from the first 16
	// intervals) and MaxGap the gap threshold; Gaps counts the intervals between consecutive
	// rows, in file order, longer than MaxGap.
	Step, MaxGap                              time.Duration
	Gaps, Duplicates, OutOfOrder              int
	FirstGap, FirstDuplicate, FirstOutOfOrder int // 1-based lines, 0 when none
	sum                                       float64
	last                                      time.Duration
	pending                                   []time.Duration // intervals before the step is known
	pendingLines                              []int
}

// Report is what Inspect returns.
type Report struct {
	Name    string
	Format  string
	Column  Column
	Options Options
	Series  []Stats // in the order of Options.Series, else of first appearance
	// Skipped counts invalid rows skipped (InvalidSkip), and FirstSkipped is the first.
	Skipped      int
	FirstSkipped *ParseError
}

// Inspect streams a trace file and summarises each selected series. Unlike Read it stops at
// no flaw but invalid rows (under InvalidError): it counts gaps, duplicates and out-of-order
// rows and notes the first line of each, whatever the policies say. Memory: O(series), one line
// of input; the file's size does not matter. Cost: O(rows).
func Inspect(r io.Reader, name string, opts Options) (*Report, error) {
	rd, err := NewReader(r, name, opts)
	if err != nil {
		return nil, err
	}
	o := rd.Options()
	var all []Stats // by Sample.Index
	for rd.Next() {
		smp := rd.At()
		if smp.Index == len(all) {
			st := Stats{Series: smp.Series, Start: smp.T, End: smp.T, Min: smp.V, Max: smp.V, last: smp.T, Step: o.Step, MaxGap: o.MaxGap}
			if st.Step > 0 && st.MaxGap == 0 {
				st.MaxGap = defaultMaxGap(st.Step)
			}
			all = append(all, st)
		}
		all[smp.Index].add(smp)
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	rep := &Report{Name: name, Format: o.Format, Column: rd.Column(), Options: o}
	rep.Skipped, rep.FirstSkipped = rd.Skipped()
	if o.Series != nil {
		byID := make(map[string]int, len(all))
		for i, s := range all {
			byID[s.Series] = i
		}
		for _, id := range o.Series {
			if i, ok := byID[id]; ok {
				rep.Series = append(rep.Series, all[i])
			} else {
				rep.Series = append(rep.Series, Stats{Series: id})
			}
		}
	} else {
		rep.Series = all
	}
	for i := range rep.Series {
		rep.Series[i].finish()
	}
	return rep, nil
}

func (s *Stats) add(smp Sample) {
	s.Samples++
	s.sum += smp.V
	s.Min, s.Max = math.Min(s.Min, smp.V), math.Max(s.Max, smp.V)
	s.Start, s.End = min(s.Start, smp.T), max(s.End, smp.T)
	if s.Samples == 1 {
		return
	}
	switch d := smp.T - s.last; {
	case d < 0:
		s.OutOfOrder++
		if s.FirstOutOfOrder == 0 {
			s.FirstOutOfOrder = smp.Line
		}
		return // the series goes on from the latest time
	case d == 0:
		s.Duplicates++
		if s.FirstDuplicate == 0 {
			s.FirstDuplicate = smp.Line
		}
	case s.Step == 0:
		// Keep the first intervals until there are enough to estimate the step.
		s.pending = append(s.pending, d)
		s.pendingLines = append(s.pendingLines, smp.Line)
		if len(s.pending) == estimateSamples {
			s.settle()
		}
	default:
		s.gap(d, smp.Line)
	}
	s.last = smp.T
}

func (s *Stats) gap(d time.Duration, line int) {
	if s.MaxGap > 0 && d > s.MaxGap {
		s.Gaps++
		if s.FirstGap == 0 {
			s.FirstGap = line
		}
	}
}

// settle fixes the estimated step from the pending intervals and counts their gaps.
func (s *Stats) settle() {
	if len(s.pending) > 0 {
		s.Step = lowerMedian(slices.Clone(s.pending))
		if s.MaxGap == 0 {
			s.MaxGap = defaultMaxGap(s.Step)
		}
		for i, d := range s.pending {
			s.gap(d, s.pendingLines[i])
		}
	}
	s.pending, s.pendingLines = nil, nil
}

func (s *Stats) finish() {
	if s.Step == 0 {
		s.settle()
	}
	if s.Samples > 0 {
		s.Mean = s.sum / float64(s.Samples)
	}
}
