package workloads

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

var _ = register(&Format{
	Name:  FormatPrometheus,
	Title: "Prometheus query_range JSON",
	Layout: "what `curl …/api/v1/query_range` writes ({\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[…]}}), " +
		"or the bare matrix `promtool query range -o json` writes ([{\"metric\":{…},\"values\":[[t,\"v\"],…]},…])",
	Time: "Unix seconds with a fraction (the query's evaluation timestamps, one per step)",
	Columns: []Column{
		col("value", UnitUnknown, ResourceUnknown, "the sample value; its unit is the query's (rate(container_cpu_usage_seconds_total[1m]) is cores)"),
	},
	DefaultColumn: "value",
	open:          openPrometheus,
})

// Series of a query result are named by their labels as Prometheus prints them:
// name{label="value", ...}, labels sorted, {} for none. SeriesBy names labels instead: the
// series name is their values joined by "/".

func openPrometheus(f *Format, in *input, o *Options) (opened, error) {
	if o.Column != "" && o.Column != "value" {
		return opened{}, fmt.Errorf("%s: prometheus has one column, value; got %q", in.name, o.Column)
	}
	lt := &lineTracker{r: in.r}
	dec := json.NewDecoder(lt)
	dec.UseNumber()
	c := f.Columns[0]
	p := &promParser{in: in, dec: dec, lt: lt, col: &c}
	if o.SeriesBy != "" {
		p.by = strings.Split(o.SeriesBy, "/")
	}
	return opened{p: p, col: c}, nil
}

// lineTracker counts the newlines that pass through it, so that a byte offset of the JSON
// decoder can be turned into a line. Offsets are asked in increasing order, so it keeps only
// the newlines after the last offset asked: at most the decoder's read-ahead.
type lineTracker struct {
	r        io.Reader
	read     int64   // bytes read so far
	newlines []int64 // offsets of newlines not yet passed
	passed   int     // newlines before the last offset asked
}

func (l *lineTracker) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	for i, c := range b[:n] {
		if c == '\n' {
			l.newlines = append(l.newlines, l.read+int64(i))
		}
	}
	l.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line of byte offset off (off never decreases between calls).
func (l *lineTracker) lineAt(off int64) int {
	i := 0
	for i < len(l.newlines) && l.newlines[i] < off {
		i++
	}
	l.passed += i
	l.newlines = append(l.newlines[:0], l.newlines[i:]...)
	return l.passed + 1
}

type promState uint8

const (
	psStart promState = iota
	psEnvelope
	psData
	psResult
	psSeries
	psValues
	psEnd
)

type promParser struct {
	in      *input
	dec     *json.Decoder
	lt      *lineTracker
	col     *Column
	by      []string
	st      promState
	bare    bool   // the bare matrix of promtool
	status  string // the envelope's status
	errText string // the envelope's errorType and error
	sawData bool
	id      []byte // the current series' name
	haveID  bool
	nSeries int
	nValue  int
	idBuf   []byte
}

func (p *promParser) line() int { return p.lt.lineAt(p.dec.InputOffset()) }

func (p *promParser) errorf(format string, args ...any) error {
	return &ParseError{Name: p.in.name, Line: p.line(), Msg: fmt.Sprintf(format, args...)}
}

// token reads the next JSON token, turning a syntax error into a ParseError.
func (p *promParser) token() (json.Token, error) {
	t, err := p.dec.Token()
	if err == io.EOF {
		return nil, p.errorf("the JSON ends early, want a complete query_range response")
	}
	if err != nil {
		return nil, p.jsonError(err)
	}
	return t, nil
}

func (p *promParser) jsonError(err error) error {
	var se *json.SyntaxError
	msg := err.Error()
	if errors.As(err, &se) {
		msg = se.Error()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "the JSON ends early"
	}
	return &ParseError{Name: p.in.name, Line: p.line(), Msg: "invalid JSON: " + msg + ", want a query_range response", Err: err}
}

// decode decodes the next value into v.
func (p *promParser) decode(v any, what string) error {
	if err := p.dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return p.errorf("%s is a JSON %s, want %s", what, te.Value, te.Type)
		}
		return p.jsonError(err)
	}
	return nil
}

func (p *promParser) expectDelim(d json.Delim, what string) error {
	t, err := p.token()
	if err != nil {
		return err
	}
	if t != d {
		return p.errorf("%s is %s, want %s", what, tokenText(t), tokenText(d))
	}
	return nil
}

func tokenText(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{', '}':
			return "an object"
		default:
			return "an array"
		}
	case string:
		return "a string " + quote(v)
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprint(t)
}

// skip skips the next value.
func (p *promParser) skip() error {
	var raw json.RawMessage
	return p.decode(&raw, "a value")
}

func (p *promParser) next(r *row) error {
	for {
		switch p.st {
		case psStart:
			t, err := p.dec.Token()
			if err == io.EOF {
				return &ParseError{Name: p.in.name, Line: 1, Msg: "the input is empty, want a query_range response (JSON)"}
			}
			if err != nil {
				return p.jsonError(err)
			}
			switch t {
			case json.Delim('{'):
				p.st = psEnvelope
			case json.Delim('['):
				p.bare, p.st = true, psResult
			default:
				return p.errorf("the JSON is %s, want an object (a query_range response) or an array (a matrix)", tokenText(t))
			}
		case psEnvelope, psData, psSeries:
			t, err := p.token()
			if err != nil {
				return err
			}
			if t == json.Delim('}') {
				switch p.st {
				case psEnvelope:
					p.st = psEnd
				case psData:
					p.st = psEnvelope
				case psSeries:
					if !p.haveID {
						return p.errorf("series %d has no \"metric\", want {\"metric\": {...}, \"values\": [...]}", p.nSeries)
					}
					p.st = psResult
				}
				continue
			}
			key, ok := t.(string)
			if !ok {
				return p.errorf("unexpected %s, want a key", tokenText(t))
			}
			if err := p.field(key); err != nil {
				return err
			}
		case psResult:
			t, err := p.token()
			if err != nil {
				return err
			}
			switch t {
			case json.Delim('{'):
				p.st, p.haveID, p.nValue = psSeries, false, 0
				p.nSeries++
			case json.Delim(']'):
				if p.bare {
					p.st = psEnd
				} else {
					p.st = psData
				}
			default:
				return p.errorf("result item is %s, want a series object", tokenText(t))
			}
		case psValues:
			t, err := p.token()
			if err != nil {
				return err
			}
			if t == json.Delim(']') {
				p.st = psSeries
				continue
			}
			if t != json.Delim('[') {
				return p.errorf("sample is %s, want [time, \"value\"]", tokenText(t))
			}
			return p.sample(r)
		case psEnd:
			if _, err := p.dec.Token(); err != io.EOF {
				if err != nil {
					return p.jsonError(err)
				}
				return p.errorf("more JSON after the response, want one response per file")
			}
			if !p.bare && p.status != "success" {
				if p.status == "" {
					return &ParseError{Name: p.in.name, Line: p.line(), Msg: "the response has no \"status\", want \"success\" (a query_range response)"}
				}
				return &ParseError{Name: p.in.name, Line: p.line(), Msg: fmt.Sprintf("the query failed: status %s%s", quote(p.status), p.errText)}
			}
			if !p.bare && !p.sawData {
				return &ParseError{Name: p.in.name, Line: p.line(), Msg: "the response has no \"data\", want data.result"}
			}
			return io.EOF
		}
	}
}

// field handles the value of key in the current object.
func (p *promParser) field(key string) error {
	switch p.st {
	case psEnvelope:
		switch key {
		case "status":
			return p.decode(&p.status, "status")
		case "errorType", "error":
			var s string
			if err := p.decode(&s, key); err != nil {
				return err
			}
			p.errText += fmt.Sprintf(", %s %s", key, quote(s))
			return nil
		case "data":
			p.sawData = true
			if err := p.expectDelim('{', "data"); err != nil {
				return err
			}
			p.st = psData
			return nil
		}
	case psData:
		switch key {
		case "resultType":
			var s string
			if err := p.decode(&s, "resultType"); err != nil {
				return err
			}
			if s != "matrix" {
				return p.errorf("resultType is %s, want \"matrix\" (a range query: /api/v1/query_range, promtool query range)", quote(s))
			}
			return nil
		case "result":
			if err := p.expectDelim('[', "result"); err != nil {
				return err
			}
			p.st = psResult
			return nil
		}
	case psSeries:
		switch key {
		case "metric":
			var m map[string]string
			if err := p.decode(&m, "metric"); err != nil {
				return err
			}
			id, err := p.seriesName(m)
			if err != nil {
				return err
			}
			p.id, p.haveID = id, true
			return nil
		case "values":
			if !p.haveID {
				return p.errorf("series %d has \"values\" before \"metric\", want the metric first (as Prometheus writes it)", p.nSeries)
			}
			if err := p.expectDelim('[', "values"); err != nil {
				return err
			}
			p.st = psValues
			return nil
		case "value":
			return p.errorf("series %d has one \"value\" (an instant query), want \"values\" (a range query)", p.nSeries)
		case "histograms":
			return p.errorf("series %d holds native histograms, want float samples", p.nSeries)
		}
	}
	return p.skip()
}

// seriesName names a series by its labels, or by the labels of SeriesBy.
func (p *promParser) seriesName(m map[string]string) ([]byte, error) {
	b := p.idBuf[:0]
	if p.by != nil {
		for i, k := range p.by {
			v, ok := m[k]
			if !ok || v == "" {
				return nil, p.errorf("series %d has no label %s to name it by; its labels: %s", p.nSeries, quote(k), labelText(m))
			}
			if i > 0 {
				b = append(b, '/')
			}
			b = append(b, v...)
		}
	} else {
		b = append(b, labelText(m)...)
	}
	p.idBuf = b
	return append([]byte(nil), b...), nil
}

// labelText prints labels as Prometheus does: name{a="1", b="2"}, sorted.
func labelText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(m["__name__"])
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// sample reads the rest of one [time, "value"] pair into r.
func (p *promParser) sample(r *row) error {
	p.nValue++
	r.line = p.line()
	t, err := p.token()
	if err != nil {
		return err
	}
	ts, ok := t.(json.Number)
	if !ok {
		return p.errorf("sample %d of series %d: time is %s, want a number (Unix seconds)", p.nValue, p.nSeries, tokenText(t))
	}
	v, err := p.token()
	if err != nil {
		return err
	}
	vs, ok := v.(string)
	if !ok {
		return p.errorf("sample %d of series %d: value is %s, want a string (\"1.5\")", p.nValue, p.nSeries, tokenText(v))
	}
	if err := p.expectDelim(']', "the end of a sample"); err != nil {
		return err
	}
	r.key = p.id
	var msg string
	if r.t, msg = parseSeconds([]byte(ts), "time"); msg != "" {
		r.bad = fmt.Sprintf("sample %d of series %d: %s", p.nValue, p.nSeries, msg)
		return nil
	}
	if r.v, msg = parseValue([]byte(vs), p.col); msg != "" {
		r.bad = fmt.Sprintf("sample %d of series %s: %s", p.nValue, quote(string(p.id)), msg)
	}
	return nil
}
