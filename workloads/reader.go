package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

// GapPolicy says what a reader does where a series has no samples for longer than the gap
// threshold (Options.MaxGap).
type GapPolicy string

// Gap policies.
const (
	GapHold        GapPolicy = "hold"        // the last value before the gap holds through it (a step function)
	GapInterpolate GapPolicy = "interpolate" // samples every step, on the line between the samples around the gap (gonum interp)
	GapZero        GapPolicy = "zero"        // the value drops to 0 one step after the last sample (request logs: no line, no request)
	GapError       GapPolicy = "error"       // a gap is an error at the line of the sample after it
)

// DuplicatePolicy says what a reader does with two samples of a series at the same time.
type DuplicatePolicy string

// Duplicate policies.
const (
	DuplicateError DuplicatePolicy = "error" // an error at the second sample's line
	DuplicateFirst DuplicatePolicy = "first" // keep the first in file order
	DuplicateLast  DuplicatePolicy = "last"  // keep the last in file order
	DuplicateSum   DuplicatePolicy = "sum"   // add them (tasks of a job, containers of a machine)
	DuplicateMean  DuplicatePolicy = "mean"
	DuplicateMax   DuplicatePolicy = "max"
)

// OrderPolicy says what a reader does with a sample older than the one before it in its series.
type OrderPolicy string

// Order policies.
const (
	OrderError OrderPolicy = "error" // an error at the older sample's line
	OrderDrop  OrderPolicy = "drop"  // drop the older sample
	OrderSort  OrderPolicy = "sort"  // sort the series by time (stable: file order among equal times)
)

// InvalidPolicy says what a reader does with a row it cannot use: a value or time that is not
// a number, is negative or out of its column's range, or a row with the wrong number of fields.
type InvalidPolicy string

// Invalid-row policies.
const (
	InvalidError InvalidPolicy = "error" // an error at the row's line
	InvalidSkip  InvalidPolicy = "skip"  // skip the row; Reader.Skipped counts them
)

var (
	gapPolicies       = []GapPolicy{GapHold, GapInterpolate, GapZero, GapError}
	duplicatePolicies = []DuplicatePolicy{DuplicateError, DuplicateFirst, DuplicateLast, DuplicateSum, DuplicateMean, DuplicateMax}
	orderPolicies     = []OrderPolicy{OrderError, OrderDrop, OrderSort}
	invalidPolicies   = []InvalidPolicy{InvalidError, InvalidSkip}
)

// GapPolicies, DuplicatePolicies, OrderPolicies and InvalidPolicies list the allowed values, for
// validation and messages.
func GapPolicies() []GapPolicy { return append([]GapPolicy(nil), gapPolicies...) }
func DuplicatePolicies() []DuplicatePolicy {
	return append([]DuplicatePolicy(nil), duplicatePolicies...)
}
func OrderPolicies() []OrderPolicy     { return append([]OrderPolicy(nil), orderPolicies...) }
func InvalidPolicies() []InvalidPolicy { return append([]InvalidPolicy(nil), invalidPolicies...) }

// Options select what to read from a trace file and say how to treat its flaws. The zero value
// of every field but Format means the format's default.
type Options struct {
	Format string // a name from Formats(); required (Detect guesses it)

	// Column is the value column; "" for the format's default (generic CSV and count CSV have
	// none: name one). TimeColumn is the time column of generic CSV (default "timestamp") and
	// count CSV (default its first column).
	Column     string
	TimeColumn string
	// SeriesBy names the columns whose values name a series, joined by "/" (for example
	// "job_id/task_index"; for Prometheus, label names); "" for the format's default. Rows with
	// the same names form one series.
	SeriesBy string
	// Series keeps only these series, in this order; nil keeps all, in order of first
	// appearance in the file. A series named here but absent from the file is an error.
	Series []string
	// Unit declares the unit of a generic CSV or Prometheus column (the file does not say);
	// other formats define their units and reject a different one.
	Unit Unit

	// Interval is the time between two values of the counts format (default 1 s), and between
	// two rows of files without a time column (the derived Google 2019 file: default 300 s).
	Interval time.Duration
	// Step is the nominal time between samples (for gaps and for filling them); 0 for the
	// format's, or, when the format has none, the lower median of a series' first 16
	// intervals. MaxGap is the gap threshold: an interval longer than it is a gap; 0 for the
	// format's, or 1.5 × Step (one sample missing).
	Step   time.Duration
	MaxGap time.Duration

	Gaps       GapPolicy       // default: the format's (hold; zero for request counts)
	Duplicates DuplicatePolicy // default error
	OutOfOrder OrderPolicy     // default error
	Invalid    InvalidPolicy   // default error

	// CoreCounts maps Azure VM ids to their core counts (ReadVMTable); it enables the Azure
	// *_cores columns.
	CoreCounts map[string]float64
}

// Sample is one reading of one series.
type Sample struct {
	Series string // the series' name ("" never: single-series files use the column's name)
	// Index numbers the series in order of first appearance in the file, from 0, so that a
	// caller can keep per-series state in a slice.
	Index int
	T     time.Duration // time in the file's clock (not shifted to start at 0)
	V     float64       // in the column's unit
	Line  int           // 1-based line of the input it came from
}

// Limits of the streaming readers. The byte size of a file is not limited: readers keep one
// line and per-series state, so a 10 GB file streams through in bounded memory.
const (
	// MaxSeries bounds the distinct series a reader keeps state for.
	MaxSeries = 1_000_000
	// maxTokenBytes bounds one value of the counts format.
	maxTokenBytes = 64
)

var maxSeries = MaxSeries // a variable so that tests can lower it

// Reader streams the samples of one trace file, in file order, with Next and At:
//
//	r, err := workloads.NewReader(f, "machine_usage.csv", workloads.Options{Format: "alibaba-machine"})
//	for r.Next() {
//		s := r.At()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// It parses the selected column of the selected series, skips (InvalidSkip) or stops at
// (InvalidError) invalid rows, and leaves order, duplicates and gaps to the caller (Read and
// Inspect apply the policies). Memory: one line, and the names of the series seen. Every error is
// a *ParseError, or an error about Options.
type Reader struct {
	name   string
	format *Format
	col    Column
	opts   Options
	p      parser
	want   map[string]bool // selected series, nil for all
	ids    map[string]int  // series seen → Index
	names  []string        // Index → name
	single string          // the series name of single-series files
	cur    Sample
	row    row
	err    error
	done   bool

	skipped      int
	firstSkipped *ParseError
}

// row is what a parser returns for one record.
type row struct {
	key  []byte        // series name, nil for single-series files
	t    time.Duration // absolute
	v    float64
	line int
	bad  string // non-empty: the row is invalid, and this says why and what is allowed
}

// parser reads records of one format. next fills r and returns nil, io.EOF at the end of the
// input, or a *ParseError.
type parser interface {
	next(r *row) error
}

// Open opens path in fsys and returns a Reader of it, named path in errors. The caller closes
// the file through the returned closer.
func Open(fsys fs.FS, path string, opts Options) (*Reader, io.Closer, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f, nil
}

// NewReader returns a Reader of r in the format opts.Format. name is used in errors (the file
// path). It reads the header, if the format has one, to find the columns; other errors come
// from Next. Cost: O(1) besides the header.
func NewReader(r io.Reader, name string, opts Options) (*Reader, error) {
	f, ok := formats[opts.Format]
	if !ok {
		if opts.Format == "" {
			return nil, fmt.Errorf("%s: no trace format given; allowed: %s", name, FormatNames())
		}
		return nil, fmt.Errorf("%s: unknown trace format %q; allowed: %s", name, opts.Format, FormatNames())
	}
	if err := opts.validate(f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rd := &Reader{name: name, format: f, opts: opts, ids: map[string]int{}}
	if opts.Series != nil {
		rd.want = make(map[string]bool, len(opts.Series))
		for _, s := range opts.Series {
			rd.want[s] = true
		}
	}
	in := newInput(r, name)
	o, err := f.open(f, in, &rd.opts)
	if err != nil {
		return nil, err
	}
	rd.p, rd.col, rd.single = o.p, o.col, o.single
	if sp, ok := rd.p.(interface{ setWant(map[string]bool) }); ok && rd.want != nil {
		sp.setWant(rd.want)
	}
	if rd.opts.Unit != UnitUnknown {
		rd.col.Unit = rd.opts.Unit
		rd.col.Resource = ResourceUnknown
		switch {
		case rd.col.Unit.IsCPU():
			rd.col.Resource = ResourceCPU
		case rd.col.Unit.IsRequests():
			rd.col.Resource = ResourceRequests
		}
	}
	rd.opts.resolveDefaults(f, &rd.col)
	return rd, nil
}

// validate checks the options that do not depend on the file.
func (o *Options) validate(f *Format) error {
	if o.Gaps != "" && !oneOf(o.Gaps, gapPolicies) {
		return fmt.Errorf("gap policy %q is not allowed; allowed: %s", o.Gaps, joinOf(gapPolicies))
	}
	if o.Duplicates != "" && !oneOf(o.Duplicates, duplicatePolicies) {
		return fmt.Errorf("duplicate policy %q is not allowed; allowed: %s", o.Duplicates, joinOf(duplicatePolicies))
	}
	if o.OutOfOrder != "" && !oneOf(o.OutOfOrder, orderPolicies) {
		return fmt.Errorf("out-of-order policy %q is not allowed; allowed: %s", o.OutOfOrder, joinOf(orderPolicies))
	}
	if o.Invalid != "" && !oneOf(o.Invalid, invalidPolicies) {
		return fmt.Errorf("invalid-row policy %q is not allowed; allowed: %s", o.Invalid, joinOf(invalidPolicies))
	}
	if o.Interval < 0 || o.Step < 0 || o.MaxGap < 0 {
		return errors.New("interval, step and maxGap must not be negative")
	}
	if o.Unit != UnitUnknown {
		if !oneOf(o.Unit, Units) {
			return fmt.Errorf("unit %q is not allowed; allowed: %s", o.Unit, joinOf(Units))
		}
		if f.Name != FormatCSV && f.Name != FormatPrometheus {
			return fmt.Errorf("format %s defines its columns' units; a unit can be declared only for csv and prometheus", f.Name)
		}
	}
	seen := map[string]bool{}
	for _, s := range o.Series {
		if seen[s] {
			return fmt.Errorf("series %q is selected twice; name each series once", s)
		}
		seen[s] = true
	}
	return nil
}

func oneOf[T ~string](v T, allowed []T) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func joinOf[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// Next advances to the next sample of a selected series; it returns false at the end of the
// input or on an error (see Err). Cost: one row's parse; for the table formats (CSV and its
// kin) no allocation but for a series seen for the first time (Prometheus JSON allocates per
// sample).
func (r *Reader) Next() bool {
	if r.done {
		return false
	}
	for {
		r.row = row{}
		err := r.p.next(&r.row)
		if err == io.EOF {
			r.done = true
			return false
		}
		if err != nil {
			r.fail(err)
			return false
		}
		// Rows of series not selected are skipped before anything else: a flaw there is not
		// the reader's business. (A parser sets the key before it parses the value.)
		id := r.single
		if r.row.key != nil {
			// Map lookups with string(bytes) do not allocate.
			if r.want != nil && !r.want[string(r.row.key)] {
				continue
			}
		} else if r.want != nil && !r.want[id] {
			continue
		}
		if r.row.bad != "" {
			pe := &ParseError{Name: r.name, Line: r.row.line, Msg: r.row.bad}
			if r.opts.Invalid != InvalidSkip {
				r.fail(pe)
				return false
			}
			r.skipped++
			if r.firstSkipped == nil {
				r.firstSkipped = pe
			}
			continue
		}
		idx := 0
		if r.row.key == nil {
			if len(r.names) == 0 {
				r.names = append(r.names, r.single)
			}
		} else {
			var ok bool
			// Map lookups with string(bytes) do not allocate; only a new series does.
			if idx, ok = r.ids[string(r.row.key)]; !ok {
				if len(r.ids) == maxSeries {
					r.fail(&ParseError{Name: r.name, Line: r.row.line,
						Msg: fmt.Sprintf("more than %d series (MaxSeries); select series or choose a coarser seriesBy", maxSeries)})
					return false
				}
				idx = len(r.names)
				r.ids[string(r.row.key)] = idx
				r.names = append(r.names, string(r.row.key))
			}
		}
		id = r.names[idx]
		r.cur = Sample{Series: id, Index: idx, T: r.row.t, V: r.row.v, Line: r.row.line}
		return true
	}
}

func (r *Reader) fail(err error) {
	r.err = err
	r.done = true
}

// At returns the current sample (valid after Next returned true).
func (r *Reader) At() Sample { return r.cur }

// Err returns the error that stopped Next, or nil at a clean end of input.
func (r *Reader) Err() error { return r.err }

// Column returns the column being read, with its unit.
func (r *Reader) Column() Column { return r.col }

// Format returns the format being read.
func (r *Reader) Format() *Format { return r.format }

// Skipped returns how many invalid rows were skipped (InvalidSkip), and the error the first
// one would have been (nil when none was skipped).
func (r *Reader) Skipped() (int, *ParseError) { return r.skipped, r.firstSkipped }

// Options returns the options with every default resolved (column, series key, step, gap
// threshold and policies).
func (r *Reader) Options() Options { return r.opts }

// opened is what a format's open returns: the parser, the column it reads and, for files of
// one series, that series' name.
type opened struct {
	p      parser
	col    Column
	single string
}

// resolveDefaults fills the format's defaults into o once the column is known.
func (o *Options) resolveDefaults(f *Format, c *Column) {
	if o.Column == "" {
		o.Column = c.Name
	}
	if o.Step == 0 {
		o.Step = f.Step
	}
	if o.MaxGap == 0 {
		o.MaxGap = f.MaxGap
	}
	if o.Gaps == "" {
		o.Gaps = f.DefaultGaps
		if o.Gaps == "" {
			o.Gaps = GapHold
		}
	}
	if o.Duplicates == "" {
		o.Duplicates = DuplicateError
	}
	if o.OutOfOrder == "" {
		o.OutOfOrder = OrderError
	}
	if o.Invalid == "" {
		o.Invalid = InvalidError
	}
}

// ---- input: lines with numbers and limits ----

// input reads lines, counting them and bounding their length.
type input struct {
	name  string
	r     io.Reader
	buf   []byte // read buffer
	start int    // unread bytes are buf[start:end]
	end   int
	eof   bool
	rerr  error // the read error after the buffered bytes, if any
	line  int   // number of the line last returned by nextLine
	long  []byte
}

const inputBufBytes = 64 << 10

func newInput(r io.Reader, name string) *input {
	return &input{name: name, r: r, buf: make([]byte, inputBufBytes)}
}

func (in *input) errorf(line int, format string, args ...any) *ParseError {
	return &ParseError{Name: in.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// fill reads more input into the buffer, first moving the unread bytes to its front. It
// returns false when no more bytes came (the end of the input, or a read error kept in rerr).
func (in *input) fill() bool {
	if in.eof {
		return false
	}
	if in.start > 0 {
		n := copy(in.buf, in.buf[in.start:in.end])
		in.start, in.end = 0, n
	}
	for {
		n, err := in.r.Read(in.buf[in.end:])
		in.end += n
		if err != nil {
			in.eof = true
			if err != io.EOF {
				in.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// nextLine returns the next line without its line ending ("\n" or "\r\n"); the slice is valid
// until the next call. It returns io.EOF after the last line, and a *ParseError for a read error
// or a line longer than MaxLineBytes. Cost: O(line); no allocation unless a line is longer than
// the 64 KiB buffer.
func (in *input) nextLine() ([]byte, error) {
	in.long = in.long[:0]
	for {
		if i := bytes.IndexByte(in.buf[in.start:in.end], '\n'); i >= 0 {
			line := in.buf[in.start : in.start+i]
			in.start += i + 1
			in.line++
			if len(in.long) > 0 {
				in.long = append(in.long, line...)
				line = in.long
			}
			if len(line) > maxLineBytes {
				return nil, in.tooLong(in.line)
			}
			return trimCR(line), nil
		}
		// A full buffer without a newline: keep its bytes aside and read on.
		if in.start == 0 && in.end == len(in.buf) {
			in.long = append(in.long, in.buf[:in.end]...)
			in.end = 0
			if len(in.long) > maxLineBytes {
				return nil, in.tooLong(in.line + 1)
			}
		}
		if !in.fill() {
			rest := append(in.long, in.buf[in.start:in.end]...)
			in.long = rest
			in.start = in.end
			if len(rest) == 0 {
				if in.rerr != nil {
					err := in.rerr
					in.rerr = nil
					return nil, &ParseError{Name: in.name, Line: in.line + 1, Msg: fmt.Sprintf("read: %v", err), Err: err}
				}
				return nil, io.EOF
			}
			in.line++
			if len(rest) > maxLineBytes {
				return nil, in.tooLong(in.line)
			}
			return trimCR(rest), nil
		}
	}
}

func (in *input) tooLong(line int) *ParseError {
	return &ParseError{Name: in.name, Line: line, Err: errLineTooLong,
		Msg: fmt.Sprintf("line longer than %d bytes (MaxLineBytes), want one record per line", maxLineBytes)}
}

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// ---- fields ----

// splitFields splits line at every sep into dst (reused) and returns it. Cost: O(len(line)).
func splitFields(line, sep []byte, dst [][]byte) [][]byte {
	dst = dst[:0]
	for {
		i := bytes.Index(line, sep)
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+len(sep):]
	}
}

// splitQuoted splits a CSV line (RFC 4180 within one line: a field may be in double quotes,
// with inner quotes doubled) at commas. Unquoted fields are slices of line; quoted ones are
// unquoted into scratch. It returns a message instead of fields for a malformed line.
func splitQuoted(line []byte, dst [][]byte, scratch []byte) ([][]byte, []byte, string) {
	dst = dst[:0]
	scratch = scratch[:0]
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			start := len(scratch)
			j := i + 1
			for {
				k := indexByte(line[j:], '"')
				if k < 0 {
					return nil, scratch, `quoted field not closed on this line, want "..." (fields may not span lines)`
				}
				scratch = append(scratch, line[j:j+k]...)
				j += k + 1
				if j < len(line) && line[j] == '"' {
					scratch = append(scratch, '"')
					j++
					continue
				}
				break
			}
			dst = append(dst, scratch[start:len(scratch):len(scratch)])
			if j == len(line) {
				return dst, scratch, ""
			}
			if line[j] != ',' {
				return nil, scratch, fmt.Sprintf(`text after a closing quote at byte %d, want a comma or the end of the line`, j+1)
			}
			i = j + 1
			continue
		}
		k := indexByte(line[i:], ',')
		if k < 0 {
			f := line[i:]
			if indexByte(f, '"') >= 0 {
				return nil, scratch, `quote (") inside an unquoted field, want the whole field quoted and inner quotes doubled`
			}
			return append(dst, f), scratch, ""
		}
		f := line[i : i+k]
		if indexByte(f, '"') >= 0 {
			return nil, scratch, `quote (") inside an unquoted field, want the whole field quoted and inner quotes doubled`
		}
		dst = append(dst, f)
		i += k + 1
	}
}

// trimSpace trims ASCII spaces and tabs.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// ---- numbers and times ----

// parseValue parses a value field (trimmed): a finite decimal number >= 0, at most max when max
// > 0. On failure it returns a message saying what is wrong and what is allowed.
func parseValue(b []byte, c *Column) (float64, string) {
	if len(b) == 0 {
		return 0, fmt.Sprintf("value in column %s is empty, want a decimal number >= 0", c.Name)
	}
	v, ok := parseDecimal(b)
	if !ok {
		return 0, fmt.Sprintf("value %s in column %s is not a decimal number, want a number >= 0", quote(string(b)), c.Name)
	}
	if v < 0 {
		return 0, fmt.Sprintf("value %s in column %s is negative, want a number >= 0", quote(string(b)), c.Name)
	}
	if c.Max > 0 && v > c.Max {
		return 0, fmt.Sprintf("value %s in column %s is above %v, want 0 to %v (the schema marks larger values abnormal)", quote(string(b)), c.Name, c.Max, c.Max)
	}
	return v, ""
}

// parseDecimal parses a finite decimal float (no hex, no "_", no Inf or NaN). -0 becomes 0.
// Whole numbers of up to 15 digits, most values in traces, skip strconv: they are exact in a
// float64 either way.
func parseDecimal(b []byte) (float64, bool) {
	if n, ok := smallWhole(b); ok {
		return float64(n), true
	}
	if !isDecimal(string(b)) {
		return 0, false
	}
	v, err := parseFloat(b)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	if v == 0 {
		v = 0
	}
	return v, true
}

// parseFloat parses b as a float64 without allocating (the conversion to string does not
// escape).
func parseFloat(b []byte) (float64, error) { return strconv.ParseFloat(string(b), 64) }

// smallWhole parses 1 to 15 ASCII digits.
func smallWhole(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseSeconds parses decimal seconds >= 0 and <= MaxTime, exactly to the nanosecond.
func parseSeconds(b []byte, what string) (time.Duration, string) {
	if n, ok := smallWhole(b); ok && n <= int64(MaxTime/time.Second) {
		return time.Duration(n) * time.Second, ""
	}
	v, ok := parseDecimal(b)
	switch {
	case len(b) == 0:
		return 0, what + " is empty, want seconds (a decimal number >= 0)"
	case !ok:
		return 0, fmt.Sprintf("%s %s is not a decimal number, want seconds >= 0", what, quote(string(b)))
	case v < 0:
		return 0, fmt.Sprintf("%s %s is negative, want seconds >= 0", what, quote(string(b)))
	case v > MaxTime.Seconds():
		return 0, fmt.Sprintf("%s %s is beyond MaxTime (%.0f s), want seconds (times in milliseconds or finer overflow it)", what, quote(string(b)), MaxTime.Seconds())
	}
	d := duration(string(b), v)
	if d > MaxTime {
		return 0, fmt.Sprintf("%s %s is beyond MaxTime (%.0f s)", what, quote(string(b)), MaxTime.Seconds())
	}
	return d, ""
}

// parseMicros parses whole microseconds >= 0 (Google cluster data).
func parseMicros(b []byte, what string) (time.Duration, string) {
	if len(b) == 0 {
		return 0, what + " is empty, want microseconds (a whole number >= 0)"
	}
	var us int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Sprintf("%s %s is not a whole number, want microseconds >= 0", what, quote(string(b)))
		}
		us = us*10 + int64(c-'0')
		if us > int64(MaxTime/time.Microsecond) {
			return 0, fmt.Sprintf("%s %s is beyond MaxTime (%.0f s) in microseconds", what, quote(string(b)), MaxTime.Seconds())
		}
	}
	return time.Duration(us) * time.Microsecond, ""
}

// dateLayouts are the date-time forms a time column may use instead of seconds: UTC unless
// the text has a zone.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"}

// parseDateTime parses a date-time; the result is the time since the Unix epoch.
func parseDateTime(b []byte, what string) (time.Duration, string) {
	s := string(b)
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		sec := t.Unix()
		if sec < 0 || sec > int64(MaxTime/time.Second) {
			return 0, fmt.Sprintf("%s %s is before 1970 or beyond MaxTime, want a date from 1970 to 2096", what, quote(s))
		}
		return time.Duration(sec)*time.Second + time.Duration(t.Nanosecond()), ""
	}
	return 0, fmt.Sprintf("%s %s is neither seconds nor a date-time, want e.g. 1998-05-01 00:00:00 (UTC) or 2006-01-02T15:04:05Z", what, quote(s))
}

// parseTime parses seconds, or a date-time when the text is not a decimal number.
func parseTime(b []byte, what string) (time.Duration, string) {
	if len(b) > 4 && b[4] == '-' || len(b) > 0 && !isDecimal(string(b)) {
		return parseDateTime(b, what)
	}
	return parseSeconds(b, what)
}
