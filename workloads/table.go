package workloads

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// tableParser reads delimited text: one record per line, fields split at a separator, blank
// lines skipped. The format's open function sets it up: which field holds the time (or none:
// the row index times an interval), which fields name the series, and how the value is made.
type tableParser struct {
	in        *input
	sep       []byte
	quoted    bool // RFC 4180 quoting within a line (comma-separated only)
	trim      bool // trim spaces and tabs around fields
	fields    [][]byte
	scratch   []byte
	nfields   int    // fields per row, exactly
	layout    string // the row's columns, for field-count messages
	timeIdx   int    // -1: time = row index × interval
	timeName  string
	parseTime func(b []byte, what string) (time.Duration, string)
	interval  time.Duration
	rowIdx    int64
	keyIdx    []int
	keyNames  []string
	keyBuf    []byte
	want      map[string]bool              // selected series (nil: all); others are not parsed further
	value     func(p *tableParser, r *row) // sets r.v, or r.bad
}

// setWant tells the parser which series are selected, so that it skips the others' times and
// values (Reader drops their rows).
func (p *tableParser) setWant(want map[string]bool) { p.want = want }

func (p *tableParser) next(r *row) error {
	for {
		line, err := p.in.nextLine()
		if err != nil {
			return err
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		r.line = p.in.line
		p.parse(line, r)
		return nil
	}
}

// parse reads one non-blank line into r.
func (p *tableParser) parse(line []byte, r *row) {
	if p.timeIdx < 0 {
		// A row is an interval, valid or not.
		r.t = time.Duration(p.rowIdx) * p.interval
		p.rowIdx++
		if r.t > MaxTime || r.t < 0 {
			r.bad = fmt.Sprintf("row %d at %v per row is beyond MaxTime (%v)", p.rowIdx, p.interval, MaxTime)
			return
		}
	}
	if p.quoted {
		var msg string
		p.fields, p.scratch, msg = splitQuoted(line, p.fields, p.scratch)
		if msg != "" {
			r.bad = msg
			return
		}
	} else {
		p.fields = splitFields(line, p.sep, p.fields)
	}
	if len(p.fields) != p.nfields {
		r.bad = fmt.Sprintf("row has %s, want %d (%s)", plural(len(p.fields), "field"), p.nfields, p.layout)
		return
	}
	if p.trim {
		for i, f := range p.fields {
			p.fields[i] = trimSpace(f)
		}
	}
	if len(p.keyIdx) > 0 {
		p.keyBuf = p.keyBuf[:0]
		for i, k := range p.keyIdx {
			f := p.fields[k]
			if len(f) == 0 {
				r.bad = fmt.Sprintf("series column %s is empty, want a name for the series", p.keyNames[i])
				return
			}
			if i > 0 {
				p.keyBuf = append(p.keyBuf, '/')
			}
			p.keyBuf = append(p.keyBuf, f...)
		}
		r.key = p.keyBuf
		if p.want != nil && !p.want[string(r.key)] {
			return // not selected: the reader drops the row
		}
	}
	if p.timeIdx >= 0 {
		t, msg := p.parseTime(p.fields[p.timeIdx], p.timeName)
		if msg != "" {
			r.bad = msg
			return
		}
		r.t = t
	}
	p.value(p, r)
}

// plainValue makes the value from field i of column c.
func plainValue(i int, c *Column) func(p *tableParser, r *row) {
	return func(p *tableParser, r *row) {
		r.v, r.bad = parseValue(p.fields[i], c)
	}
}

// pickColumn resolves o.Column against f's columns (the default when empty).
func pickColumn(f *Format, o *Options, name string) (*Column, error) {
	want := o.Column
	if want == "" {
		want = f.DefaultColumn
	}
	c := f.column(want)
	if c == nil {
		return nil, fmt.Errorf("%s: %s has no column %q; columns: %s", name, f.Name, want, strings.Join(f.ColumnNames(), ", "))
	}
	return c, nil
}

// pickKeys resolves o.SeriesBy (or f's default) to field indices in names.
func pickKeys(f *Format, o *Options, name string, names []string) ([]int, []string, error) {
	by := o.SeriesBy
	if by == "" {
		by = f.DefaultSeriesBy
	}
	if by == "" {
		return nil, nil, nil
	}
	var idx []int
	parts := strings.Split(by, "/")
	for _, k := range parts {
		ok := false
		for _, allowed := range f.Keys {
			if k == allowed {
				ok = true
			}
		}
		i := indexOf(names, k)
		if !ok || i < 0 {
			return nil, nil, fmt.Errorf("%s: %q cannot name a series of %s; allowed: %s (join several with /)", name, k, f.Name, strings.Join(f.Keys, ", "))
		}
		idx = append(idx, i)
	}
	return idx, parts, nil
}

func indexOf(names []string, n string) int {
	for i, m := range names {
		if m == n {
			return i
		}
	}
	return -1
}

// openPositional sets up a parser of a headerless format whose rows hold the fields names.
// timeName is the time field, read with parseTime.
func openPositional(in *input, o *Options, f *Format, sep string, names []string, timeName string,
	parseTime func([]byte, string) (time.Duration, string)) (*tableParser, *Column, error) {
	c, err := pickColumn(f, o, in.name)
	if err != nil {
		return nil, nil, err
	}
	keyIdx, keyNames, err := pickKeys(f, o, in.name, names)
	if err != nil {
		return nil, nil, err
	}
	p := &tableParser{
		in: in, sep: []byte(sep), nfields: len(names), layout: f.Name + ": " + strings.Join(names, ","),
		timeIdx: indexOf(names, timeName), timeName: timeName, parseTime: parseTime,
		keyIdx: keyIdx, keyNames: keyNames,
	}
	if !c.derived {
		p.value = plainValue(indexOf(names, c.Name), c)
	}
	return p, c, nil
}

// readHeader returns the fields of the first non-blank line, trimmed, without a UTF-8 byte
// order mark, and its line number.
func readHeader(in *input, sep []byte, quoted bool) ([]string, int, error) {
	for {
		line, err := in.nextLine()
		if err != nil {
			if err == io.EOF {
				return nil, in.line + 1, in.errorf(in.line+1, "no header row (the input is empty or blank), want a header row naming the columns")
			}
			return nil, 0, err
		}
		if in.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		var fields [][]byte
		if quoted {
			var msg string
			fields, _, msg = splitQuoted(line, nil, nil)
			if msg != "" {
				return nil, in.line, in.errorf(in.line, "header: %s", msg)
			}
		} else {
			fields = splitFields(line, sep, nil)
		}
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = string(trimSpace(f))
		}
		return names, in.line, nil
	}
}

// headerIndex returns the index of name in header, or an error at line naming what the header
// has. what says which column it is ("time", "value", "series").
func headerIndex(in *input, line int, header []string, name, what string) (int, error) {
	idx := -1
	for i, h := range header {
		if h != name {
			continue
		}
		if idx >= 0 {
			return 0, in.errorf(line, "%s column %q appears twice in the header (fields %d and %d), want it once", what, name, idx+1, i+1)
		}
		idx = i
	}
	if idx < 0 {
		return 0, in.errorf(line, "no %s column %q in the header, which has %s", what, name, listShortNames(header, 20))
	}
	return idx, nil
}
