package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"ksim.dev/ksim/reports"
)

// TableSchema is the value of the "schema" field of sweep.json.
const TableSchema = "ksim.sweep/v1"

// Table is a sweep's result: one row per variant, in variant order, and the best variants
// under the spec's budgets. It is made by Merge and only read after that.
type Table struct {
	SweepID     string
	Scenario    string
	KsimVersion string
	Axes        []AxisInfo
	Spec        Spec
	Rows        []Row
	Best        []Pick // one per group of the spec's BestPer axes (one in all without BestPer)
}

// Row is one variant.
type Row struct {
	Index    int
	Values   []string // one per axis, as written
	Settings []Setting
	// Error and ErrorKind are set when the variant did not load or its run failed; Figures
	// is nil then.
	Error, ErrorKind string
	Figures          []float64 // in the order of Figures
	WithinBudget     bool      // ran, and meets every budget
	Best             bool
	Summary          *reports.SummaryV1
}

// Pick is the best variant of a group: the group's values of the BestPer axes (none without
// BestPer), and the index of its best variant, or -1 when none meets the budgets.
type Pick struct {
	Group []string
	Index int
}

func newTable(ref *Shard, shards []*Shard, spec Spec) *Table {
	t := &Table{
		SweepID:     ref.SweepID,
		Scenario:    ref.Scenario,
		KsimVersion: ref.KsimVersion,
		Axes:        ref.Axes,
		Spec:        spec,
	}
	for _, sh := range shards {
		r := Row{Index: sh.Index, Values: sh.Values, Settings: sh.Settings, Error: sh.Error, ErrorKind: sh.ErrorKind, Summary: sh.Summary}
		if sh.Error == "" {
			r.Figures = figureValues(sh.Summary)
		}
		t.Rows = append(t.Rows, r)
	}
	t.judge()
	return t
}

// judge marks the rows within budget and picks the best of each group: the lowest figures of
// spec.Minimize, compared in order, then the lowest index.
func (t *Table) judge() {
	per := make([]int, len(t.Spec.BestPer))
	for i, l := range t.Spec.BestPer {
		per[i], _ = axisNamed(t.Axes, l) // Spec.Check has validated the names
	}
	minimize := make([]int, len(t.Spec.Minimize))
	for i, m := range t.Spec.Minimize {
		minimize[i] = figureIndex(m)
	}
	better := func(a, b *Row) bool {
		for _, f := range minimize {
			if a.Figures[f] != b.Figures[f] {
				return a.Figures[f] < b.Figures[f]
			}
		}
		return false
	}
	groups := map[string]int{} // group key → index in t.Best
	for i := range t.Rows {
		r := &t.Rows[i]
		group := make([]string, len(per))
		for k, a := range per {
			group[k] = r.Values[a]
		}
		key := strings.Join(group, "\x00")
		g, ok := groups[key]
		if !ok {
			g = len(t.Best)
			groups[key] = g
			t.Best = append(t.Best, Pick{Group: group, Index: -1})
		}
		if r.Figures == nil {
			continue
		}
		r.WithinBudget = true
		for _, b := range t.Spec.Budgets {
			if !b.holds(r.Figures[figureIndex(b.Figure)]) {
				r.WithinBudget = false
			}
		}
		if r.WithinBudget && (t.Best[g].Index < 0 || better(r, &t.Rows[t.Best[g].Index])) {
			t.Best[g].Index = i
		}
	}
	for _, p := range t.Best {
		if p.Index >= 0 {
			t.Rows[p.Index].Best = true
		}
	}
}

// Failed counts the variants that did not load and those whose run failed.
func (t *Table) Failed() (input, run int) {
	for _, r := range t.Rows {
		switch r.ErrorKind {
		case ErrorInput:
			input++
		case ErrorRun:
			run++
		}
	}
	return input, run
}

// WriteCSV writes the table as CSV: a header line, then one line per variant: its index, its
// value on each axis, every figure (empty when the variant failed), within_budget, best, and
// the error if any.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"variant"}
	for _, a := range t.Axes {
		header = append(header, a.Label())
	}
	for _, f := range Figures {
		header = append(header, f.Name)
	}
	header = append(header, "within_budget", "best", "error")
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := []string{strconv.Itoa(r.Index)}
		rec = append(rec, r.Values...)
		for i := range Figures {
			if r.Figures == nil {
				rec = append(rec, "")
			} else {
				rec = append(rec, formatNumber(r.Figures[i]))
			}
		}
		rec = append(rec, strconv.FormatBool(r.WithinBudget), strconv.FormatBool(r.Best), r.Error)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// tableJSON is sweep.json; field order is output order.
type tableJSON struct {
	Schema      string     `json:"schema"`
	SweepID     string     `json:"sweep_id"`
	Scenario    string     `json:"scenario"`
	KsimVersion string     `json:"ksim_version"`
	Variants    int        `json:"variants"`
	Axes        []AxisInfo `json:"axes"`
	Spec        Spec       `json:"spec"`
	Figures     []Figure   `json:"figures"`
	Best        []pickJSON `json:"best"`
	Rows        []rowJSON  `json:"rows"`
}

type pickJSON struct {
	Group []string `json:"group"`
	Index *int     `json:"index"` // null: no variant of the group meets the budgets
}

type rowJSON struct {
	Index        int          `json:"index"`
	Values       []string     `json:"values"`
	Settings     []Setting    `json:"settings"`
	Seed         *uint64      `json:"seed"`
	WithinBudget bool         `json:"within_budget"`
	Best         bool         `json:"best"`
	Figures      *figuresJSON `json:"figures"`
	Error        string       `json:"error,omitempty"`
	ErrorKind    string       `json:"error_kind,omitempty"`
}

// figuresJSON writes the figures as an object in the order of Figures, numbers as in the CSV.
type figuresJSON []float64

func (f figuresJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", Figures[i].Name, formatNumber(v))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// WriteJSON writes the table as sweep.json (schema ksim.sweep/v1, docs/sweep.md): indented by
// two spaces, fields in a fixed order, lists never null. The same table gives the same bytes.
func (t *Table) WriteJSON(w io.Writer) error {
	out := tableJSON{
		Schema: TableSchema, SweepID: t.SweepID, Scenario: t.Scenario, KsimVersion: t.KsimVersion,
		Variants: len(t.Rows), Axes: t.Axes, Spec: t.Spec, Figures: Figures,
		Best: []pickJSON{}, Rows: []rowJSON{},
	}
	for _, p := range t.Best {
		pj := pickJSON{Group: p.Group}
		if p.Index >= 0 {
			pj.Index = &p.Index
		}
		out.Best = append(out.Best, pj)
	}
	for _, r := range t.Rows {
		rj := rowJSON{Index: r.Index, Values: r.Values, Settings: r.Settings, WithinBudget: r.WithinBudget, Best: r.Best, Error: r.Error, ErrorKind: r.ErrorKind}
		if rj.Settings == nil {
			rj.Settings = []Setting{}
		}
		if r.Summary != nil {
			seed := r.Summary.Seed
			rj.Seed = &seed
		}
		if r.Figures != nil {
			f := figuresJSON(r.Figures)
			rj.Figures = &f
		}
		out.Rows = append(out.Rows, rj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// VariantDir is the directory, under a sweep's output directory, of variant i's summary.json.
func (t *Table) VariantDir(i int) string {
	return filepath.Join("variants", fmt.Sprintf("%0*d", len(strconv.Itoa(max(len(t.Rows)-1, 0))), i))
}

// WriteFiles writes the table into dir: sweep.csv, sweep.json, sweep.html, and the summary.json
// of each variant that ran under variants/NNN/. Each file is rendered in memory first, so that
// an error leaves no half-written file behind.
func (t *Table) WriteFiles(dir string, ho HTMLOptions) error {
	var csvBuf, jsonBuf, htmlBuf bytes.Buffer
	if err := t.WriteCSV(&csvBuf); err != nil {
		return err
	}
	if err := t.WriteJSON(&jsonBuf); err != nil {
		return err
	}
	if err := t.WriteHTML(&htmlBuf, ho); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"sweep.csv": csvBuf.Bytes(), "sweep.json": jsonBuf.Bytes(), "sweep.html": htmlBuf.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	for _, r := range t.Rows {
		if r.Summary == nil {
			continue
		}
		var b bytes.Buffer
		if err := reports.WriteSummary(&b, r.Summary); err != nil {
			return err
		}
		vd := filepath.Join(dir, t.VariantDir(r.Index))
		if err := os.MkdirAll(vd, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(vd, "summary.json"), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Describe names row i for people: "variant 3 (a=1, b=2)".
func (t *Table) Describe(i int) string {
	r := t.Rows[i]
	parts := make([]string, len(r.Values))
	for a, v := range r.Values {
		parts[a] = t.Axes[a].Label() + "=" + v
	}
	return fmt.Sprintf("variant %d (%s)", r.Index, strings.Join(parts, ", "))
}

// WriteBest prints the best picks for people: the variant, and the figures the spec names.
func (t *Table) WriteBest(w io.Writer) {
	names := append([]string(nil), t.Spec.Minimize...)
	for _, b := range t.Spec.Budgets {
		if !containsString(names, b.Figure) {
			names = append(names, b.Figure)
		}
	}
	for _, p := range t.Best {
		prefix := "best"
		if len(p.Group) > 0 {
			parts := make([]string, len(p.Group))
			for k, v := range p.Group {
				parts[k] = t.Spec.BestPer[k] + "=" + v
			}
			prefix += " for " + strings.Join(parts, ", ")
		}
		if p.Index < 0 {
			fmt.Fprintf(w, "%s: no variant meets the budgets (%s)\n", prefix, budgetsText(t.Spec.Budgets))
			continue
		}
		r := t.Rows[p.Index]
		var figs []string
		for _, n := range names {
			figs = append(figs, n+" "+formatNumber(r.Figures[figureIndex(n)]))
		}
		fmt.Fprintf(w, "%s: %s: %s\n", prefix, t.Describe(p.Index), strings.Join(figs, ", "))
	}
}

func budgetsText(bs []Budget) string {
	if len(bs) == 0 {
		return "none given"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.String()
	}
	return strings.Join(parts, ", ")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
