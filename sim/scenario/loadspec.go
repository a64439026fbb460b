package scenario

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Load models and trace formats this version supports.
const (
	ModelAggregate = "aggregate"
	FormatCSV      = "csv"
)

// maxHeaderBytes bounds the read of a trace file's header line.
const maxHeaderBytes = 1 << 20

// targetKinds maps the kind part of a load target (lower-cased; kubectl's names and short
// names) to a Ref kind.
var targetKinds = map[string]string{
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"job": "Job", "jobs": "Job",
	"pod": "Pod", "pods": "Pod", "po": "Pod",
}

// parseTarget parses "kind/name" or "kind/namespace/name".
func parseTarget(s string) (Ref, string) {
	const want = "want kind/name or kind/namespace/name, e.g. deployment/web or deployment/shop/web (kinds: deployment, daemonset, job, pod)"
	parts := strings.Split(s, "/")
	var r Ref
	switch len(parts) {
	case 2:
		r = Ref{Kind: parts[0], Namespace: "default", Name: parts[1]}
	case 3:
		r = Ref{Kind: parts[0], Namespace: parts[1], Name: parts[2]}
	default:
		return Ref{}, fmt.Sprintf("%s is not a workload reference; %s", quoteShort(s), want)
	}
	k, ok := targetKinds[strings.ToLower(r.Kind)]
	if !ok {
		return Ref{}, fmt.Sprintf("%s cannot be a load target; %s", quoteShort(r.Kind), want)
	}
	r.Kind = k
	if r.Namespace == "" || r.Name == "" {
		return Ref{}, fmt.Sprintf("%s has an empty part; %s", quoteShort(s), want)
	}
	return r, ""
}

// load validates one spec.load entry.
func (l *loader) load(src objSrc, i int, ld *loadDoc) {
	field := fmt.Sprintf("spec.load[%d]", i)
	out := LoadSpec{Model: ld.Model}
	ok := true
	if ld.Target == "" {
		l.errAt(src, field, "target is required, e.g. target: deployment/web")
		ok = false
	} else if ref, msg := parseTarget(ld.Target); msg != "" {
		l.errAt(src, field+".target", "%s", msg)
		ok = false
	} else {
		out.Target = ref
		key := objKey{kind: ref.Kind, ns: ref.Namespace, name: ref.Name}
		if _, exists := l.objects[key]; !exists && l.partial {
			ok = false
		} else if !exists {
			l.errAt(src, field+".target", "no %s %s in namespace %s%s", ref.Kind, quoteShort(ref.Name), ref.Namespace, l.suggest(key))
			ok = false
		} else if where, dup := l.loads[ref]; dup {
			l.errAt(src, field+".target", "%s already has a load (%s); give each workload one load", ld.Target, where)
			ok = false
		} else {
			if l.loads == nil {
				l.loads = make(map[Ref]string)
			}
			l.loads[ref] = src.where(field)
		}
	}
	if out.Model == "" {
		out.Model = ModelAggregate
	}
	if out.Model != ModelAggregate {
		l.errAt(src, field+".model", "%s is not supported yet; allowed: aggregate (demand shared by the ready pods)", quoteShort(out.Model))
		ok = false
	}
	if ld.Trace == nil {
		l.errAt(src, field, "trace is required, e.g. trace: {format: csv, path: traces/web.csv, column: cpu, peakCores: 8}")
		return
	}
	tr, trOK := l.trace(src, field+".trace", ld.Trace)
	out.Trace = tr
	if ok && trOK {
		l.sc.Load = append(l.sc.Load, out)
	}
}

func (l *loader) trace(src objSrc, field string, td *traceDoc) (Trace, bool) {
	t := Trace{Format: td.Format, TimeColumn: td.TimeColumn, Column: td.Column, Repeat: true}
	ok := true
	if t.Format == "" {
		t.Format = FormatCSV
	}
	if t.Format != FormatCSV {
		l.errAt(src, field+".format", "not supported yet: %s; allowed: csv (a header line, then one row per sample)", quoteShort(t.Format))
		ok = false
	}
	if t.TimeColumn == "" {
		t.TimeColumn = DefaultTimeColumn
	}
	if td.Repeat != nil {
		t.Repeat = *td.Repeat
	}
	switch {
	case td.PeakCores == nil && td.Scale == nil:
		l.errAt(src, field, "give exactly one of peakCores (the trace's maximum becomes that many cores) or scale (cores = value × scale)")
		ok = false
	case td.PeakCores != nil && td.Scale != nil:
		l.errAt(src, field+".scale", "give exactly one of peakCores or scale, not both")
		ok = false
	case td.PeakCores != nil:
		if v := *td.PeakCores; !(v > 0) || math.IsInf(v, 0) {
			l.errAt(src, field+".peakCores", "must be greater than 0 (cores), got %v", v)
			ok = false
		}
		t.PeakCores = *td.PeakCores
		if td.TroughCores != nil {
			if v := *td.TroughCores; !(v >= 0) || !(v <= t.PeakCores) {
				l.errAt(src, field+".troughCores", "must be between 0 and peakCores (%v), got %v", t.PeakCores, v)
				ok = false
			}
			t.TroughCores = *td.TroughCores
			t.HasTrough = true
		}
	default:
		if td.TroughCores != nil {
			l.errAt(src, field+".troughCores", "goes with peakCores, not scale: give peakCores and troughCores to map the trace's range onto [troughCores, peakCores]")
			ok = false
		}
		if v := *td.Scale; !(v > 0) || math.IsInf(v, 0) {
			l.errAt(src, field+".scale", "must be greater than 0 (cores per unit of the column), got %v", v)
			ok = false
		}
		t.Scale = *td.Scale
	}
	if td.Path == "" {
		l.errAt(src, field, "path is required: the trace file, relative to the scenario's directory")
		return t, false
	}
	fsPath, name, err := l.resolve(td.Path)
	if err != nil {
		l.errAt(src, field+".path", "%v", err)
		return t, false
	}
	t.Path = fsPath
	if t.Format != FormatCSV {
		return t, false
	}
	header, err := l.csvHeader(fsPath)
	if err != nil {
		l.errAt(src, field+".path", "%s: %v", name, err)
		return t, false
	}
	has := func(c string) bool {
		for _, h := range header {
			if h == c {
				return true
			}
		}
		return false
	}
	if t.Column == "" {
		l.errAt(src, field, "column is required: the name of the value column in %s (columns: %s)", name, listShort(header, 12))
		ok = false
	} else if !has(t.Column) {
		l.errAt(src, field+".column", "%s is not a column of %s; columns: %s", quoteShort(t.Column), name, listShort(header, 12))
		ok = false
	}
	if !has(t.TimeColumn) {
		f := field + ".timeColumn"
		if td.TimeColumn == "" {
			f = field
		}
		l.errAt(src, f, "time column %s is not a column of %s; columns: %s (set timeColumn to the column of seconds from the trace's start)", quoteShort(t.TimeColumn), name, listShort(header, 12))
		ok = false
	} else if t.Column == t.TimeColumn {
		l.errAt(src, field+".column", "is the time column; name the value column")
		ok = false
	}
	return t, ok
}

// csvHeader reads the first record of a CSV file.
func (l *loader) csvHeader(fsPath string) ([]string, error) {
	f, err := l.fsys.Open(fsPath)
	if err != nil {
		return nil, fileErr(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errors.New("is a directory; want a CSV file")
	}
	br := bufio.NewReader(io.LimitReader(f, maxHeaderBytes))
	line, err := br.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fileErr(err)
	}
	if len(line) >= maxHeaderBytes && !bytes.HasSuffix(line, []byte("\n")) {
		return nil, fmt.Errorf("the header line is longer than %d bytes", maxHeaderBytes)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, errors.New("the file has no header line; want column names on the first line (e.g. timestamp,cpu)")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(line, utf8BOM)))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the header line is not CSV: %v", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}
