package workloads

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/interp"
)

// Set is what Read returns: the selected series of one file as Traces, with what was wrong
// with them.
type Set struct {
	Name    string
	Format  string
	Column  Column  // the column read, with its unit
	Options Options // the options with every default resolved
	// Traces holds one trace per series, in the order of Options.Series, else in order of
	// first appearance in the file. Each starts at 0 at its own first sample; Trace.Start says
	// when that was in the file's clock.
	Traces []*Trace
	Issues []Issues // Issues[i] belongs to Traces[i]
	// Skipped counts invalid rows skipped (InvalidSkip), and FirstSkipped is the first of them.
	Skipped      int
	FirstSkipped *ParseError
}

// Issues are the flaws of one series: how many of each kind, and the line of the first.
type Issues struct {
	Gaps, Duplicates, OutOfOrder              int
	FirstGap, FirstDuplicate, FirstOutOfOrder int // 1-based lines, 0 when none
	Filled                                    int // samples added to fill gaps (interpolate, zero)
	LongestGap                                time.Duration
}

// Origin returns the earliest Start of the set's traces: the instant the set's shared clock
// starts from (a trace that starts later is that much later in it).
func (s *Set) Origin() time.Duration {
	if len(s.Traces) == 0 {
		return 0
	}
	o := s.Traces[0].Start
	for _, t := range s.Traces[1:] {
		o = min(o, t.Start)
	}
	return o
}

// ReadFile opens path in fsys and reads it with Read, naming it path in errors.
func ReadFile(fsys fs.FS, path string, opts Options) (*Set, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	// Only read: a Close error cannot lose data.
	defer f.Close()
	return Read(f, path, opts)
}

// Read reads the selected series of a trace file and applies the policies of opts: rows out of
// order are an error, dropped or sorted; samples at the same time are an error or merged; gaps
// are held, filled or an error; invalid rows are an error or skipped. Every error about the
// file is a *ParseError naming its line.
//
// It streams the file once; memory is the samples kept (at most MaxSamples over all series,
// filled gaps included) plus a line number per sample. Cost: O(n log n) for n samples when
// sorting, else O(n).
func Read(r io.Reader, name string, opts Options) (*Set, error) {
	rd, err := NewReader(r, name, opts)
	if err != nil {
		return nil, err
	}
	o := rd.Options()
	type acc struct {
		id       string
		times    []time.Duration
		values   []float64
		lines    []int32
		latest   time.Duration // the latest time read so far
		unsorted bool
		issues   Issues
	}
	var order []*acc // by Sample.Index
	total := 0
	for rd.Next() {
		smp := rd.At()
		if smp.Index == len(order) {
			order = append(order, &acc{id: smp.Series})
		}
		a := order[smp.Index]
		if n := len(a.times); n > 0 {
			// Out of order is before the latest time read, as Inspect counts it; until a row
			// is out of order (or with drop) the latest time is the last row's.
			last := a.latest
			switch {
			case smp.T < last:
				a.issues.OutOfOrder++
				if a.issues.FirstOutOfOrder == 0 {
					a.issues.FirstOutOfOrder = smp.Line
				}
				switch o.OutOfOrder {
				case OrderDrop:
					continue
				case OrderSort:
					a.unsorted = true
				default:
					return nil, &ParseError{Name: name, Line: smp.Line, Msg: fmt.Sprintf(
						"time %s of series %s is before %s on line %d, want rows in time order within a series (outOfOrder: drop or sort accepts them)",
						secondsText(smp.T), quote(smp.Series), secondsText(last), a.lines[n-1])}
				}
			case !a.unsorted && smp.T == last && o.Duplicates == DuplicateError:
				return nil, &ParseError{Name: name, Line: smp.Line, Msg: fmt.Sprintf(
					"time %s of series %s repeats line %d, want one sample per time (duplicates: first, last, sum, mean or max merges them)",
					secondsText(smp.T), quote(smp.Series), a.lines[n-1])}
			}
		}
		if total == maxSamples {
			return nil, &ParseError{Name: name, Line: smp.Line, Msg: fmt.Sprintf("more than %d samples (MaxSamples) in the series read; select fewer series or cut the trace", maxSamples)}
		}
		total++
		a.times = append(a.times, smp.T)
		a.latest = max(a.latest, smp.T)
		a.values = append(a.values, smp.V)
		a.lines = append(a.lines, lineNumber(smp.Line))
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}

	set := &Set{Name: name, Format: o.Format, Column: rd.Column(), Options: o}
	set.Skipped, set.FirstSkipped = rd.Skipped()
	if o.Series != nil {
		byID := make(map[string]*acc, len(order))
		for _, a := range order {
			byID[a.id] = a
		}
		var missing []string
		for _, id := range o.Series {
			if byID[id] == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			var have []string
			for _, a := range order {
				have = append(have, a.id)
			}
			return nil, fmt.Errorf("%s: series %s not in the file (column %s); selected series found: %s", name, listShortNames(missing, 10), o.Column, listShortNames(have, 10))
		}
		order = order[:0]
		for _, id := range o.Series {
			order = append(order, byID[id])
		}
	}
	if len(order) == 0 {
		return nil, &ParseError{Name: name, Line: 1, Msg: "no samples, want at least one row of data"}
	}
	for _, a := range order {
		ser := &series{id: a.id, times: a.times, values: a.values, lines: a.lines, issues: a.issues}
		if a.unsorted {
			ser.sort()
		}
		if err := ser.merge(name, o.Duplicates); err != nil {
			return nil, err
		}
		step := o.Step
		if step == 0 {
			step = estimateStep(ser.times)
		}
		maxGap := o.MaxGap
		if maxGap == 0 {
			maxGap = defaultMaxGap(step)
		}
		added, err := ser.fillGaps(name, o.Gaps, step, maxGap, maxSamples-total)
		if err != nil {
			return nil, err
		}
		total += added
		start := ser.times[0]
		for i := range ser.times {
			ser.times[i] -= start
		}
		set.Traces = append(set.Traces, &Trace{Name: name, ID: a.id, Start: start, Step: step, Unit: set.Column.Unit,
			Times: ser.times, Values: ser.values})
		set.Issues = append(set.Issues, ser.issues)
	}
	return set, nil
}

// lineNumber stores a line in 32 bits; beyond 2^31-1 lines (a 100 GB file) it saturates, and
// messages about later lines name the last storable one.
func lineNumber(l int) int32 {
	if l > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(l)
}

// series is one series being cleaned up by Read.
type series struct {
	id     string
	times  []time.Duration
	values []float64
	lines  []int32
	issues Issues
}

// sort orders the samples by time, stably (file order among equal times).
func (s *series) sort() {
	idx := make([]int, len(s.times))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.times[idx[a]] < s.times[idx[b]] })
	times, values, lines := make([]time.Duration, len(idx)), make([]float64, len(idx)), make([]int32, len(idx))
	for i, j := range idx {
		times[i], values[i], lines[i] = s.times[j], s.values[j], s.lines[j]
	}
	s.times, s.values, s.lines = times, values, lines
}

// merge combines runs of samples at the same time by policy (the series is sorted).
func (s *series) merge(name string, policy DuplicatePolicy) error {
	out := 0
	for i := 0; i < len(s.times); {
		j := i + 1
		for j < len(s.times) && s.times[j] == s.times[i] {
			j++
		}
		if j-i > 1 {
			s.issues.Duplicates += j - i - 1
			if s.issues.FirstDuplicate == 0 {
				s.issues.FirstDuplicate = int(s.lines[i+1])
			}
			if policy == DuplicateError {
				return &ParseError{Name: name, Line: int(s.lines[i+1]), Msg: fmt.Sprintf(
					"time %s of series %s repeats line %d, want one sample per time (duplicates: first, last, sum, mean or max merges them)",
					secondsText(s.times[i]), quote(s.id), s.lines[i])}
			}
		}
		v := s.values[i]
		switch policy {
		case DuplicateLast:
			v = s.values[j-1]
		case DuplicateSum, DuplicateMean:
			v = 0
			for k := i; k < j; k++ {
				v += s.values[k]
			}
			if policy == DuplicateMean {
				v /= float64(j - i)
			}
		case DuplicateMax:
			for k := i; k < j; k++ {
				v = max(v, s.values[k])
			}
		}
		s.times[out], s.values[out], s.lines[out] = s.times[i], v, s.lines[i]
		out++
		i = j
	}
	s.times, s.values, s.lines = s.times[:out], s.values[:out], s.lines[:out]
	return nil
}

// fillGaps finds the intervals longer than maxGap and applies policy; it adds at most room
// samples and returns how many it added.
func (s *series) fillGaps(name string, policy GapPolicy, step, maxGap time.Duration, room int) (int, error) {
	if maxGap <= 0 || len(s.times) < 2 {
		return 0, nil
	}
	var gaps []int // index of the sample after each gap
	for i := 1; i < len(s.times); i++ {
		d := s.times[i] - s.times[i-1]
		if d <= maxGap {
			continue
		}
		gaps = append(gaps, i)
		s.issues.Gaps++
		s.issues.LongestGap = max(s.issues.LongestGap, d)
		if s.issues.FirstGap == 0 {
			s.issues.FirstGap = int(s.lines[i])
		}
		if policy == GapError {
			return 0, &ParseError{Name: name, Line: int(s.lines[i]), Msg: fmt.Sprintf(
				"gap of %v in series %s from time %s (line %d) to %s, longer than maxGap %v (gaps: hold, interpolate or zero accepts it)",
				d, quote(s.id), secondsText(s.times[i-1]), s.lines[i-1], secondsText(s.times[i]), maxGap)}
		}
	}
	if len(gaps) == 0 || policy == GapHold || step <= 0 {
		return 0, nil
	}
	var pl interp.PiecewiseLinear
	var x0 time.Duration
	if policy == GapInterpolate {
		// Fit on the samples around the gaps only: gonum copies and checks its input, and the
		// fit of two points is the line between them.
		x0 = s.times[0]
	}
	added := 0
	times := make([]time.Duration, 0, len(s.times))
	values := make([]float64, 0, len(s.values))
	lines := make([]int32, 0, len(s.lines))
	next := 0
	for i := range s.times {
		if next < len(gaps) && gaps[next] == i {
			next++
			a, b := s.times[i-1], s.times[i]
			if policy == GapInterpolate {
				xs := []float64{(a - x0).Seconds(), (b - x0).Seconds()}
				if err := pl.Fit(xs, []float64{s.values[i-1], s.values[i]}); err != nil {
					panic("workloads: interpolating a gap: " + err.Error()) // xs increase: cannot fail
				}
			}
			for t := a + step; t < b; t += step {
				if added == room {
					return 0, &ParseError{Name: name, Line: int(s.lines[i]), Msg: fmt.Sprintf(
						"filling the gaps of series %s (every %v) passes MaxSamples (%d); raise the step or maxGap, or hold gaps", quote(s.id), step, maxSamples)}
				}
				v := 0.0
				if policy == GapInterpolate {
					v = max(pl.Predict((t - x0).Seconds()), 0)
				}
				times, values, lines = append(times, t), append(values, v), append(lines, s.lines[i])
				added++
				if policy == GapZero {
					break // one zero sample holds until the next real one
				}
			}
		}
		times, values, lines = append(times, s.times[i]), append(values, s.values[i]), append(lines, s.lines[i])
	}
	s.times, s.values, s.lines = times, values, lines
	s.issues.Filled = added
	return added, nil
}

// estimateSamples is how many intervals estimateStep looks at.
const estimateSamples = 16

// estimateStep returns the lower median of the first 16 positive intervals between times (in
// order), or 0 when there is none. Looking at the start only keeps Inspect's streaming estimate
// the same as Read's.
func estimateStep(times []time.Duration) time.Duration {
	var d []time.Duration
	for i := 1; i < len(times) && len(d) < estimateSamples; i++ {
		if x := times[i] - times[i-1]; x > 0 {
			d = append(d, x)
		}
	}
	if len(d) == 0 {
		return 0
	}
	return lowerMedian(d)
}

// secondsText prints a time as the seconds a file would hold: 1376314846, 600.5.
func secondsText(t time.Duration) string {
	if t%time.Second == 0 {
		return fmt.Sprintf("%d", int64(t/time.Second))
	}
	return fmt.Sprintf("%g", t.Seconds())
}
