package place

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"ksim.dev/ksim/scheduler"
)

// The JSON Lines format (docs/place.md, format v1): one object per pod, in input order, with
// the keys in this order. "node" is null when the pod fits nowhere.
type jsonLine struct {
	Pod     string       `json:"pod"`
	Node    *string      `json:"node"`
	Reason  string       `json:"reason,omitempty"`
	Explain *jsonExplain `json:"explain,omitempty"`
}

// jsonExplain is --explain's addition: every node in kube-scheduler's node order.
type jsonExplain struct {
	// PreFilter is why the pod was rejected before any node was filtered, if it was.
	PreFilter string `json:"preFilter,omitempty"`
	// StartIndex is where in the node list filtering began (upstream's rotating index), and
	// NumFeasibleToFind how many feasible nodes were looked for (percentageOfNodesToScore).
	StartIndex        int        `json:"startIndex"`
	NumFeasibleToFind int        `json:"numFeasibleToFind"`
	Nodes             []jsonNode `json:"nodes"`
}

type jsonNode struct {
	Node     string `json:"node"`
	Feasible bool   `json:"feasible"`
	Chosen   bool   `json:"chosen,omitempty"`
	// NotEvaluated says why the filters did not run on the node.
	NotEvaluated string       `json:"notEvaluated,omitempty"`
	Filters      []jsonFilter `json:"filters,omitempty"`
	Scores       []jsonScore  `json:"scores,omitempty"`
	Total        *int64       `json:"total,omitempty"` // for scored nodes
}

type jsonFilter struct {
	Plugin  string   `json:"plugin"`
	Passed  bool     `json:"passed"`
	Skipped bool     `json:"skipped,omitempty"` // PreFilter asked not to run it for this pod
	Reasons []string `json:"reasons,omitempty"`
}

type jsonScore struct {
	Plugin     string `json:"plugin"`
	Raw        int64  `json:"raw"`
	Normalized int64  `json:"normalized"`
	Weight     int64  `json:"weight"`
	Weighted   int64  `json:"weighted"`
}

func toJSON(p Placement) jsonLine {
	l := jsonLine{Pod: p.Pod, Reason: p.Reason}
	if p.Node != "" {
		l.Node = &p.Node
	}
	if ex := p.Explanation; ex != nil {
		je := &jsonExplain{PreFilter: ex.PreFilterReason, StartIndex: ex.StartIndex, NumFeasibleToFind: ex.NumFeasibleToFind, Nodes: []jsonNode{}}
		for _, n := range ex.Nodes {
			jn := jsonNode{Node: n.Node, Feasible: n.Feasible, Chosen: n.Chosen, NotEvaluated: n.NotEvaluated}
			for _, f := range n.Filters {
				jn.Filters = append(jn.Filters, jsonFilter{Plugin: f.Plugin, Passed: f.Passed, Skipped: f.Skipped, Reasons: f.Reasons})
			}
			for _, s := range n.Scores {
				jn.Scores = append(jn.Scores, jsonScore{Plugin: s.Plugin, Raw: s.Raw, Normalized: s.Normalized, Weight: s.Weight, Weighted: s.Weighted})
			}
			if len(n.Scores) > 0 {
				jn.Total = new(n.Total)
			}
			je.Nodes = append(je.Nodes, jn)
		}
		l.Explain = je
	}
	return l
}

// WriteJSONL writes one JSON object per placement, one per line, in the layout docs/place.md
// shows: `{"pod": "default/web-0", "node": "node-7"}`.
func WriteJSONL(w io.Writer, res []Placement) error {
	bw := bufio.NewWriter(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, p := range res {
		buf.Reset()
		if err := enc.Encode(toJSON(p)); err != nil {
			return err
		}
		bw.Write(spaced(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// spaced puts a space after every ':' and ',' of compact JSON outside strings, the layout of
// docs/place.md's examples.
func spaced(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inString, escaped := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ':' || c == ','):
			out = append(out, ' ')
		}
	}
	return out
}

// WriteTable writes the placements for people: a POD / NODE / REASON table, and with explain,
// under each pod, every node's verdict, its filters (ok, FAIL with the reasons, or skipped) and
// its scores as raw→normalized×weight=weighted.
func WriteTable(w io.Writer, res []Placement, explain bool) error {
	bw := bufio.NewWriter(w)
	if !explain {
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "POD\tNODE\tREASON")
		for _, p := range res {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Pod, nodeOrNone(p.Node), p.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return bw.Flush()
	}
	for i, p := range res {
		if i > 0 {
			bw.WriteByte('\n')
		}
		if p.Node != "" {
			fmt.Fprintf(bw, "%s -> %s\n", p.Pod, p.Node)
		} else {
			fmt.Fprintf(bw, "%s -> <none>: %s\n", p.Pod, p.Reason)
		}
		if p.Explanation == nil {
			continue
		}
		writeExplanation(bw, p.Explanation)
	}
	return bw.Flush()
}

func nodeOrNone(n string) string {
	if n == "" {
		return "<none>"
	}
	return n
}

// writeExplanation writes one pod's nodes:
//
//	node-1  chosen, total 412
//	  filters  NodeName ok, NodeUnschedulable ok, NodeAffinity skipped, NodeResourcesFit ok
//	  scores   TaintToleration 0->100x3=300, NodeResourcesFit 88->88x1=88
//	node-2  rejected
//	  filters  NodeName ok, NodeResourcesFit FAIL (Insufficient cpu)
func writeExplanation(w *bufio.Writer, ex *scheduler.Explanation) {
	if ex.PreFilterReason != "" {
		fmt.Fprintf(w, "  rejected before any node was filtered: %s\n", ex.PreFilterReason)
	}
	if len(ex.Nodes) > 0 {
		fmt.Fprintf(w, "  filtering from node %d, looking for %d feasible node(s)\n", ex.StartIndex, ex.NumFeasibleToFind)
	}
	width := 0
	for _, n := range ex.Nodes {
		width = max(width, len(n.Node))
	}
	for _, n := range ex.Nodes {
		verdict := "rejected"
		switch {
		case n.Chosen && len(n.Scores) > 0:
			verdict = fmt.Sprintf("chosen, total %d", n.Total)
		case n.Chosen:
			verdict = "chosen"
		case n.Feasible && len(n.Scores) > 0:
			verdict = fmt.Sprintf("feasible, total %d", n.Total)
		case n.Feasible:
			verdict = "feasible"
		case n.NotEvaluated != "":
			verdict = n.NotEvaluated
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, n.Node, verdict)
		if len(n.Filters) > 0 {
			parts := make([]string, len(n.Filters))
			for i, f := range n.Filters {
				switch {
				case !f.Passed:
					parts[i] = fmt.Sprintf("%s FAIL (%s)", f.Plugin, strings.Join(f.Reasons, "; "))
				case f.Skipped:
					parts[i] = f.Plugin + " skipped"
				default:
					parts[i] = f.Plugin + " ok"
				}
			}
			fmt.Fprintf(w, "  %-*s    filters  %s\n", width, "", strings.Join(parts, ", "))
		}
		if len(n.Scores) > 0 {
			parts := make([]string, len(n.Scores))
			for i, s := range n.Scores {
				parts[i] = fmt.Sprintf("%s %d->%dx%d=%d", s.Plugin, s.Raw, s.Normalized, s.Weight, s.Weighted)
			}
			fmt.Fprintf(w, "  %-*s    scores   %s\n", width, "", strings.Join(parts, ", "))
		}
	}
}
