package scenario

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// MaxErrors is how many problems Load reports before it stops looking: past that, the input is
// probably not what the user meant to pass, and more lines would bury the first ones.
const MaxErrors = 100

// MaxFileBytes bounds the size of every file the scenario names (scenario, manifests, scheduler
// configuration, event files). A `kubectl get -o yaml` dump of 10,000 pods is about 60 MiB.
// Trace files are read whole through workloads.ReadFile, with that package's limits.
const MaxFileBytes = 256 << 20

// Error is one problem in a scenario or in a file it names. Its text is
// "FILE:LINE: FIELD: MSG", without ":LINE" when the line is unknown and without "FIELD: " when
// the problem is not about one field.
type Error struct {
	File  string // the path as the user would write it (Load) or the fs.FS path (LoadFS)
	Line  int    // 1-based line in File; 0 when unknown
	Field string // field path within the document, e.g. spec.template.spec.containers[0].name
	Msg   string // what is wrong, and what is allowed
}

func (e *Error) Error() string {
	var b strings.Builder
	b.Grow(len(e.File) + len(e.Field) + len(e.Msg) + 16)
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Load found: sorted by file (in the order the scenario names the
// files), then by line. It is never empty when returned as an error.
type Errors []*Error

// Error returns one problem per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects Errors in discovery order, remembering each file's rank so that the final
// list reads file by file, top to bottom.
type problems struct {
	list      Errors
	rank      []int          // rank[i] is the rank of list[i].File
	fileRank  map[string]int // order in which files were first seen
	truncated bool
}

func (p *problems) seeFile(name string) {
	if p.fileRank == nil {
		p.fileRank = make(map[string]int)
	}
	if _, ok := p.fileRank[name]; !ok {
		p.fileRank[name] = len(p.fileRank)
	}
}

func (p *problems) add(e *Error) {
	if p.truncated {
		return
	}
	p.seeFile(e.File)
	if len(p.list) == MaxErrors {
		p.truncated = true
		e = &Error{File: e.File, Line: e.Line, Msg: "too many errors; stopped after " + strconv.Itoa(MaxErrors) + " (MaxErrors)"}
	}
	p.list = append(p.list, e)
	p.rank = append(p.rank, p.fileRank[e.File])
}

func (p *problems) len() int { return len(p.list) }

// sorted returns the problems by file rank then line, keeping discovery order for ties; the
// truncation notice, if any, stays last.
func (p *problems) sorted() Errors {
	if len(p.list) == 0 {
		return nil
	}
	type item struct {
		e    *Error
		rank int
		seq  int
	}
	n := len(p.list)
	if p.truncated {
		n--
	}
	items := make([]item, n)
	for i := range n {
		items[i] = item{p.list[i], p.rank[i], i}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.e.Line, b.e.Line))
	})
	out := make(Errors, 0, len(p.list))
	for _, it := range items {
		out = append(out, it.e)
	}
	if p.truncated {
		out = append(out, p.list[len(p.list)-1])
	}
	return out
}
