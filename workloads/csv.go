package workloads

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

// Limits on trace input. A file that passes one gets an error that names it; nothing is read
// beyond it.
const (
	// MaxInputBytes bounds the size of one trace file: 1 GiB, several times a month of
	// per-second samples.
	MaxInputBytes = 1 << 30
	// MaxLineBytes bounds one line of a trace file (1 MiB), so a file without newlines cannot
	// make the reader buffer all of it.
	MaxLineBytes = 1 << 20
	// MaxSamples bounds the samples of one trace (10 million, 160 MB in memory; a month at one
	// sample per second is 2.6 million). Resample finer traces before use.
	MaxSamples = 10_000_000
	// MaxTime bounds a time in a trace file, before the first time is subtracted: 4e9 s, about
	// 126 years. Unix timestamps in seconds fit; in milliseconds they do not, and the error
	// says so. Within it, every sum of two trace times fits in a time.Duration.
	MaxTime = 4_000_000_000 * time.Second
)

// The limits as variables, so tests can lower them.
var (
	maxInputBytes int64 = MaxInputBytes
	maxLineBytes        = MaxLineBytes
	maxSamples          = MaxSamples
)

// ParseError is a problem in a trace file. Its message is "NAME:LINE: what is wrong, what is
// allowed".
type ParseError struct {
	Name string // the name given to the reader, usually the file path
	Line int    // 1-based line of the input
	Msg  string // what is wrong and what is allowed
	Err  error  // the underlying read or CSV syntax error, if any
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

func (e *ParseError) Unwrap() error { return e.Err }

// OpenCSV opens path in fsys and reads it with ReadCSV, naming it path in errors. An error
// opening the file is returned as fs.FS returns it (an *fs.PathError).
func OpenCSV(fsys fs.FS, path, timeColumn, valueColumn string) (*Trace, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	// Only read: a Close error cannot lose data, and the trace is already complete.
	defer f.Close()
	return ReadCSV(f, path, timeColumn, valueColumn)
}

// ReadCSV reads a trace from CSV with a header row, taking times from the column named
// timeColumn and values from the column named valueColumn. Other columns are ignored. name is
// used in errors only (pass the file path).
//
// Format:
//   - RFC 4180 CSV (encoding/csv): comma-separated, optional double quotes, LF or CRLF line
//     endings; blank lines are skipped; every row has as many fields as the header.
//   - The header's names are matched exactly after trimming spaces (and a UTF-8 byte order mark
//     on the first); each of the two names must appear once.
//   - Times are seconds, decimal, >= 0 and <= MaxTime, strictly increasing: this reader neither
//     sorts rows nor merges duplicate times, both are errors. Fractions are kept to the
//     nanosecond (rounded, halves up), and times that differ by less than that are duplicates.
//     The trace is shifted so that its first sample is at t = 0.
//   - Values are decimal numbers >= 0. Empty fields, NaN, Inf, hexadecimal and digit-separated
//     ("1_000") numbers are errors. Spaces around a number are ignored.
//   - At least one sample; at most MaxSamples, MaxInputBytes and MaxLineBytes.
//
// Every error is a *ParseError. ReadCSV streams: it reads r once, in buffered chunks, and stops
// at the first error. Cost: O(n) time and memory for n samples.
func ReadCSV(r io.Reader, name, timeColumn, valueColumn string) (*Trace, error) {
	lr := &limitReader{r: r, line: 1}
	cr := csv.NewReader(lr)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	p := &csvParser{name: name, lr: lr}

	header, err := cr.Read()
	if err == io.EOF {
		return nil, p.errorf(1, "no header row (the input is empty or blank), want a header row naming the columns %q and %q", timeColumn, valueColumn)
	}
	if err != nil {
		return nil, p.readError(err, header)
	}
	headerLine, _ := cr.FieldPos(0)
	ti, err := p.column(header, headerLine, "time", timeColumn)
	if err != nil {
		return nil, err
	}
	vi, err := p.column(header, headerLine, "value", valueColumn)
	if err != nil {
		return nil, err
	}

	p.fields = len(header)

	tr := &Trace{Name: name}
	var (
		first, prev time.Duration // absolute times of the first and the previous sample
		prevText    string
		prevLine    int
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.readError(err, rec)
		}
		if len(tr.Times) == maxSamples {
			line, _ := cr.FieldPos(0)
			return nil, p.errorf(line, "more than %d samples (MaxSamples), resample or cut the trace", maxSamples)
		}
		tLine, _ := cr.FieldPos(ti)
		vLine, _ := cr.FieldPos(vi)

		tText := strings.TrimSpace(rec[ti])
		sec, err := p.number(tText, tLine, "time", timeColumn, wantTime)
		if err != nil {
			return nil, err
		}
		// The float test keeps duration from overflowing; the exact one decides.
		var t time.Duration
		if sec <= MaxTime.Seconds()+1 {
			t = duration(tText, sec)
		}
		if sec > MaxTime.Seconds()+1 || t > MaxTime {
			return nil, p.errorf(tLine, "time %s in column %q is beyond MaxTime (%.0f s, about 126 years), want seconds (times in milliseconds or finer overflow it)",
				quote(tText), timeColumn, MaxTime.Seconds())
		}
		if len(tr.Times) == 0 {
			first = t
		} else if t <= prev {
			if t == prev {
				res := ""
				if tText != prevText {
					res = " at nanosecond resolution"
				}
				return nil, p.errorf(tLine, "time %s repeats time %s on line %d%s, want one row per time (this reader does not merge duplicates)",
					quote(tText), quote(prevText), prevLine, res)
			}
			return nil, p.errorf(tLine, "time %s is before time %s on line %d, want rows sorted by time (this reader does not sort)",
				quote(tText), quote(prevText), prevLine)
		}

		v, err := p.number(strings.TrimSpace(rec[vi]), vLine, "value", valueColumn, wantValue)
		if err != nil {
			return nil, err
		}

		tr.Times = append(tr.Times, t-first)
		tr.Values = append(tr.Values, v)
		prev, prevText, prevLine = t, tText, tLine
	}
	if len(tr.Times) == 0 {
		return nil, p.errorf(headerLine+1, "no samples after the header, want at least one row")
	}
	return tr, nil
}

const (
	wantTime  = "want seconds from the trace start, a decimal number >= 0"
	wantValue = "want a decimal number >= 0"
)

// csvParser carries what ReadCSV's error messages need.
type csvParser struct {
	name   string
	lr     *limitReader
	fields int // in the header
}

func (p *csvParser) errorf(line int, format string, args ...any) *ParseError {
	return &ParseError{Name: p.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// readError turns an error from csv.Reader.Read, which returned rec with it, into a ParseError.
func (p *csvParser) readError(err error, rec []string) error {
	// A crossed limit comes first: csv.Reader may have parsed the cut-off line and found it
	// malformed, but the real problem is the limit. (The limit reader runs ahead of the parser
	// by at most one 4 KiB buffer, and MaxLineBytes is crossed only inside the line being
	// parsed, so the line it names is the one the parser was on.)
	if p.lr.err != nil {
		err = p.lr.err
	}
	var pe *csv.ParseError
	switch {
	case errors.Is(err, errLineTooLong):
		return &ParseError{Name: p.name, Line: p.lr.line, Err: err,
			Msg: fmt.Sprintf("line longer than %d bytes (MaxLineBytes), want one sample per line", maxLineBytes)}
	case errors.Is(err, errInputTooLarge):
		return &ParseError{Name: p.name, Line: p.lr.line, Err: err,
			Msg: fmt.Sprintf("input larger than %d bytes (MaxInputBytes), resample or cut the trace", maxInputBytes)}
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		return &ParseError{Name: p.name, Line: pe.StartLine, Err: err,
			Msg: fmt.Sprintf("row has %s, want %d like the header", plural(len(rec), "field"), p.fields)}
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote):
		return &ParseError{Name: p.name, Line: pe.Line, Err: err,
			Msg: fmt.Sprintf(`quote (") inside an unquoted field at byte %d of the line, want the whole field quoted and inner quotes doubled, as in "a""b"`, pe.Column)}
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote):
		return &ParseError{Name: p.name, Line: pe.Line, Err: err,
			Msg: fmt.Sprintf(`quoted field not closed, or text after its closing quote, at byte %d of the line, want "..." followed by a comma or the end of the line`, pe.Column)}
	case errors.As(err, &pe):
		return &ParseError{Name: p.name, Line: pe.Line, Err: err,
			Msg: fmt.Sprintf("malformed CSV at byte %d of the line: %v, want RFC 4180 fields", pe.Column, pe.Err)}
	default:
		return &ParseError{Name: p.name, Line: p.lr.line, Err: err, Msg: fmt.Sprintf("read: %v", err)}
	}
}

// column returns the index of the header field named want; what is "time" or "value".
func (p *csvParser) column(header []string, line int, what, want string) (int, error) {
	idx := -1
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		if strings.TrimSpace(h) != want {
			continue
		}
		if idx >= 0 {
			return 0, p.errorf(line, "%s column %q appears twice in the header (fields %d and %d), want it once", what, want, idx+1, i+1)
		}
		idx = i
	}
	if idx < 0 {
		return 0, p.errorf(line, "no %s column %q in the header, which has %s", what, want, listColumns(header))
	}
	return idx, nil
}

// plural returns "1 field" or "n fields".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// listColumns quotes the header's names for a message, at most 20 of them.
func listColumns(header []string) string {
	const show = 20
	var b strings.Builder
	for i, h := range header {
		if i == show {
			fmt.Fprintf(&b, " and %d more", len(header)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		b.WriteString(quote(strings.TrimSpace(h)))
	}
	return b.String()
}

// number parses one field (already trimmed) as a finite decimal number >= 0; what names the
// field ("time" or "value") and want says what is allowed.
func (p *csvParser) number(s string, line int, what, column, want string) (float64, error) {
	if s == "" {
		return 0, p.errorf(line, "%s in column %q is empty, %s", what, column, want)
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err == nil && (math.IsNaN(v) || math.IsInf(v, 0)),
		errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, p.errorf(line, "%s %s in column %q is not finite, %s", what, quote(s), column, want)
	case err != nil || !isDecimal(s):
		return 0, p.errorf(line, "%s %s in column %q is not a decimal number, %s", what, quote(s), column, want)
	case v < 0:
		return 0, p.errorf(line, "%s %s in column %q is negative, %s", what, quote(s), column, want)
	}
	// ParseFloat returns -0 for "-0"; store +0 so that output never shows a negative zero.
	// (Underflow, as in 1e-400, gives 0 without an error: fine for demand and for times.)
	if v == 0 {
		v = 0
	}
	return v, nil
}

// duration converts a time field to a Duration, to the nearest nanosecond (halves round up).
// text has passed number, and sec, its value, is at most MaxTime + 1 s.
//
// A plain decimal ("1700000000.123") is converted digit by digit, exactly: through a float64,
// a fractional Unix timestamp would be off by up to a few hundred nanoseconds (its ulp), and
// a 15 s step would read as 14.999999881 s. Text with an exponent goes through sec; for whole
// seconds that is exact too, since sec*1e9 = sec*1953125*2^9 and sec*1953125 < 2^53 within
// MaxTime.
func duration(text string, sec float64) time.Duration {
	digits := strings.TrimLeft(text, "+-") // a '-' only reaches here on a zero
	if strings.ContainsAny(digits, "eE") {
		return time.Duration(math.Round(sec * 1e9))
	}
	whole, frac, _ := strings.Cut(digits, ".")
	var d time.Duration
	for i := 0; i < len(whole); i++ {
		d = d*10 + time.Duration(whole[i]-'0') // cannot overflow: the value is <= 4e9 + 1
	}
	d *= time.Second
	scale := time.Second
	for i := 0; i < len(frac); i++ {
		if scale == 1 {
			if frac[i] >= '5' {
				d++
			}
			break
		}
		scale /= 10
		d += time.Duration(frac[i]-'0') * scale
	}
	return d
}

// isDecimal reports whether s uses only the characters of a decimal float literal, ruling out
// what strconv.ParseFloat also accepts: hexadecimal ("0x1p3"), digit separators ("1_000"),
// "Inf" and "NaN".
func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', c == '.', c == '+', c == '-', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// quote quotes a field's text for a message, cut to 40 bytes so that a huge field cannot flood
// the message.
func quote(s string) string {
	const show = 40
	if len(s) > show {
		return strconv.Quote(s[:show]) + "..."
	}
	return strconv.Quote(s)
}

var (
	errLineTooLong   = errors.New("line too long")
	errInputTooLarge = errors.New("input too large")
)

// limitReader enforces MaxInputBytes and MaxLineBytes on the raw input and counts lines, so that
// the errors it causes can name a line. It sits under csv.Reader's own buffer and so runs ahead
// of the parser, but its error reaches the parser only after the bytes before it, and the line it
// records is the one where the limit was crossed.
type limitReader struct {
	r       io.Reader
	total   int64 // bytes read so far
	line    int   // 1-based line of the next byte
	lineLen int   // bytes since the last newline
	err     error // sticky: once a limit is crossed, every Read fails
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	// Read at most one byte past the input limit: enough to see that it was crossed.
	if rest := maxInputBytes + 1 - l.total; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	for chunk := p[:n]; ; {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			l.lineLen += len(chunk)
			break
		}
		if l.lineLen+i > maxLineBytes {
			l.lineLen += i
			break
		}
		l.line++
		l.lineLen = 0
		chunk = chunk[i+1:]
	}
	l.total += int64(n)
	switch {
	case l.lineLen > maxLineBytes:
		l.err = errLineTooLong
	case l.total > maxInputBytes:
		l.err = errInputTooLarge
	}
	if l.err != nil {
		return n, l.err
	}
	return n, err
}
