package workloads

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"time"
)

// ---- generic CSV ----

var _ = register(&Format{
	Name:   FormatCSV,
	Title:  "Generic CSV",
	Layout: "a header row naming the columns, then one row per sample; RFC 4180 quoting within a line",
	Time:   "the time column (default \"timestamp\"): seconds (Unix or from the start), or a date-time (2006-01-02 15:04:05, UTC, or RFC 3339)",
	// The columns are the file's: any header column but the time and series ones.
	open: openCSV,
})

// DefaultTimeColumn is the generic CSV time column when Options.TimeColumn is empty.
const DefaultTimeColumn = "timestamp"

func openCSV(_ *Format, in *input, o *Options) (opened, error) {
	header, line, err := readHeader(in, []byte(","), true)
	if err != nil {
		return opened{}, err
	}
	tcol := o.TimeColumn
	if tcol == "" {
		tcol = DefaultTimeColumn
	}
	ti, err := headerIndex(in, line, header, tcol, "time")
	if err != nil {
		return opened{}, err
	}
	if o.Column == "" {
		return opened{}, in.errorf(line, "no value column named; the header has %s", listShortNames(header, 20))
	}
	vi, err := headerIndex(in, line, header, o.Column, "value")
	if err != nil {
		return opened{}, err
	}
	if vi == ti {
		return opened{}, in.errorf(line, "the value column %q is the time column; name another", o.Column)
	}
	p := &tableParser{in: in, quoted: true, trim: true, nfields: len(header), layout: "the header's columns",
		timeIdx: ti, timeName: "time", parseTime: parseTime}
	single := o.Column
	if o.SeriesBy != "" {
		for _, k := range strings.Split(o.SeriesBy, "/") {
			i, err := headerIndex(in, line, header, k, "series")
			if err != nil {
				return opened{}, err
			}
			if i == vi || i == ti {
				return opened{}, in.errorf(line, "series column %q is the time or value column; name another", k)
			}
			p.keyIdx = append(p.keyIdx, i)
			p.keyNames = append(p.keyNames, k)
		}
		single = ""
	}
	c := Column{Name: o.Column, Resource: ResourceUnknown}
	cp := &c
	p.value = plainValue(vi, cp)
	return opened{p: p, col: c, single: single}, nil
}

// ---- request counts ----

var _ = register(&Format{
	Name:   FormatCounts,
	Title:  "Request counts, one per interval (e.g. NASA-HTTP 1995 per-second counts)",
	Layout: "whole numbers >= 0 separated by spaces, tabs or newlines (the NASA file is one 2.4 MB line)",
	Time:   "value i covers [i × interval, (i+1) × interval), interval default 1 s",
	Columns: []Column{
		col("count", UnitRequests, ResourceRequests, "requests in the interval"),
	},
	DefaultColumn: "count",
	open:          openCounts,
})

func openCounts(f *Format, in *input, o *Options) (opened, error) {
	if o.Column != "" && o.Column != "count" {
		return opened{}, fmt.Errorf("%s: counts has one column, count; got %q", in.name, o.Column)
	}
	if o.SeriesBy != "" {
		return opened{}, fmt.Errorf("%s: counts holds one series; seriesBy %q does not apply", in.name, o.SeriesBy)
	}
	iv := o.Interval
	if iv == 0 {
		iv = time.Second
	}
	if o.Step == 0 {
		o.Step = iv
	}
	c := f.Columns[0]
	return opened{p: &wordParser{in: in, interval: iv, col: &c}, col: c, single: "count"}, nil
}

// wordParser reads whitespace-separated counts, byte by byte from the input's buffer: the
// counts format may have all its values on one line far longer than MaxLineBytes.
type wordParser struct {
	in       *input
	interval time.Duration
	col      *Column
	n        int64 // values read
	line     int   // current line (1-based)
	tok      []byte
}

func (p *wordParser) next(r *row) error {
	in := p.in
	if p.line == 0 {
		p.line = 1
	}
	p.tok = p.tok[:0]
	tokLine := 0
	for {
		if in.start == in.end && !in.fill() {
			if in.rerr != nil {
				err := in.rerr
				in.rerr = nil
				return &ParseError{Name: in.name, Line: p.line, Msg: fmt.Sprintf("read: %v", err), Err: err}
			}
			if len(p.tok) == 0 {
				return io.EOF
			}
			break
		}
		c := in.buf[in.start]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			if len(p.tok) > 0 {
				break // the separator is consumed by the next call
			}
			in.start++
			if c == '\n' {
				p.line++
			}
			continue
		}
		if len(p.tok) == 0 {
			tokLine = p.line
		}
		if len(p.tok) == maxTokenBytes {
			return &ParseError{Name: in.name, Line: p.line, Msg: fmt.Sprintf("value %d is longer than %d bytes, want a whole number", p.n+1, maxTokenBytes)}
		}
		p.tok = append(p.tok, c)
		in.start++
	}
	if tokLine == 0 {
		tokLine = p.line
	}
	r.line = tokLine
	r.t = time.Duration(p.n) * p.interval
	p.n++
	if r.t > MaxTime {
		return &ParseError{Name: in.name, Line: tokLine, Msg: fmt.Sprintf("value %d at %v per value is beyond MaxTime (%v)", p.n, p.interval, MaxTime)}
	}
	v, bad := parseValue(p.tok, p.col)
	if bad != "" {
		r.bad = fmt.Sprintf("value %d: %s", p.n, bad)
		return nil
	}
	if v != math.Trunc(v) {
		r.bad = fmt.Sprintf("value %d (%s) is not a whole number, want a count of requests", p.n, quote(string(p.tok)))
		return nil
	}
	r.v = v
	return nil
}

// ---- timestamp,count CSV ----

var _ = register(&Format{
	Name:   FormatCountCSV,
	Title:  "Request counts per period as CSV (e.g. WorldCup98 per-minute counts)",
	Layout: "a header row (e.g. period,count), then one row per period",
	Time:   "the time column (default the first): the period's start, a date-time (1998-04-30 21:30:00, UTC) or seconds",
	Columns: []Column{
		col("count", UnitRequests, ResourceRequests, "requests in the period (until the next row's time)"),
	},
	// A missing period in a request log is a period without requests.
	DefaultGaps: GapZero,
	open:        openCountCSV,
})

func openCountCSV(f *Format, in *input, o *Options) (opened, error) {
	header, line, err := readHeader(in, []byte(","), true)
	if err != nil {
		return opened{}, err
	}
	if len(header) < 2 {
		return opened{}, in.errorf(line, "header has %s, want a time column and a count column (e.g. period,count)", plural(len(header), "field"))
	}
	tcol, ccol := o.TimeColumn, o.Column
	if tcol == "" {
		tcol = header[0]
	}
	if ccol == "" {
		ccol = header[1]
	}
	ti, err := headerIndex(in, line, header, tcol, "time")
	if err != nil {
		return opened{}, err
	}
	ci, err := headerIndex(in, line, header, ccol, "count")
	if err != nil {
		return opened{}, err
	}
	if ti == ci {
		return opened{}, in.errorf(line, "the count column %q is the time column; name another", ccol)
	}
	if o.SeriesBy != "" {
		return opened{}, in.errorf(line, "count-csv holds one series; seriesBy %q does not apply", o.SeriesBy)
	}
	c := f.Columns[0]
	c.Name = ccol
	cp := &c
	p := &tableParser{in: in, quoted: true, trim: true, nfields: len(header), layout: "the header's columns",
		timeIdx: ti, timeName: "time", parseTime: parseTime}
	p.value = func(p *tableParser, r *row) {
		r.v, r.bad = parseValue(p.fields[ci], cp)
		if r.bad == "" && r.v != math.Trunc(r.v) {
			r.bad = fmt.Sprintf("count %s is not a whole number, want a count of requests", quote(string(p.fields[ci])))
		}
	}
	return opened{p: p, col: c, single: ccol}, nil
}

// ---- the Azure vmtable ----

// ReadVMTable reads an Azure vmtable (no header; vm_id, subscription_id, deployment_id,
// created, deleted, max_cpu, avg_cpu, p95_max_cpu, category, core count, memory) and returns
// each VM's core count, for the *_cores columns of the azure formats (Options.CoreCounts).
// format is FormatAzureV1 (an exact core count) or FormatAzureV2 (a core-count bucket: "2",
// "4", "8", "24", or ">24", which has no exact count and makes that VM's rows invalid). When
// want is not nil, only those VMs are kept. It streams; memory is one entry per VM kept.
func ReadVMTable(r io.Reader, name, format string, want map[string]bool) (map[string]float64, error) {
	if format != FormatAzureV1 && format != FormatAzureV2 {
		return nil, fmt.Errorf("%s: vmtable format %q, want %s or %s", name, format, FormatAzureV1, FormatAzureV2)
	}
	in := newInput(r, name)
	out := map[string]float64{}
	var fields [][]byte
	sep := []byte(",")
	for {
		line, err := in.nextLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		fields = splitFields(line, sep, fields)
		if len(fields) != 11 {
			return nil, in.errorf(in.line, "vmtable row has %s, want 11 (vm_id,subscription_id,deployment_id,created,deleted,max_cpu,avg_cpu,p95_max_cpu,category,cores,memory)", plural(len(fields), "field"))
		}
		id := trimSpace(fields[0])
		if want != nil && !want[string(id)] {
			continue
		}
		cf := trimSpace(fields[9])
		cores, ok := parseDecimal(cf)
		switch {
		case format == FormatAzureV2 && string(cf) == ">24":
			cores = math.NaN()
		case !ok || !(cores > 0):
			return nil, in.errorf(in.line, "core count %s is not a number > 0, want the VM's cores (V1) or its bucket (V2: 2, 4, 8, 24, >24)", quote(string(cf)))
		}
		if len(out) == maxSeries {
			return nil, in.errorf(in.line, "more than %d VMs (MaxSeries); select the series to read", maxSeries)
		}
		out[string(id)] = cores
	}
	return out, nil
}

// OpenVMTable reads the vmtable at path in fsys (see ReadVMTable).
func OpenVMTable(fsys fs.FS, path, format string, want map[string]bool) (map[string]float64, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadVMTable(f, path, format, want)
}
