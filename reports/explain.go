package reports

import (
	"encoding/json"
	"fmt"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/sim"
)

// DefaultExplainBytes bounds the placement explanations a report embeds
// (HTMLOptions.MaxExplainBytes): attempts are kept in order until the next would pass it.
const DefaultExplainBytes = 4 << 20

// explainData is the pod picker's data: the scheduler's explanation of the first scheduling
// attempts of the run (sim.Result.Explained), with node names, plugin names and texts
// (reasons) in tables that the attempts index, so that a 5,000-node explanation stays small.
type explainData struct {
	Nodes    []string         `json:"nodes"`
	Plugins  []string         `json:"plugins"`
	Texts    []string         `json:"texts"`
	Attempts []explainAttempt `json:"attempts"`
	Total    int              `json:"total"` // attempts in the Result
	Cut      int              `json:"cut"`   // attempts left out for size
}

// explainAttempt is one attempt. Each row of Rows is one node:
//
//	[node, feasible (0/1), chosen (0/1), notEvaluated (text index, -1), total score,
//	 filters: [[plugin, status (0 passed, 1 failed, 2 skipped), text...], ...],
//	 scores:  [[plugin, raw, normalized, weight, weighted], ...]]
type explainAttempt struct {
	TS        float64 `json:"t"`
	Pod       string  `json:"pod"`
	Node      string  `json:"node"`
	Reason    string  `json:"reason,omitempty"`
	PreFilter string  `json:"pre,omitempty"`
	Start     int     `json:"start"`
	Find      int     `json:"find"`
	Rows      [][]any `json:"rows"`
}

// interner numbers strings in order of first use.
type interner struct {
	list  []string
	index map[string]int
}

func (in *interner) id(s string) int {
	if i, ok := in.index[s]; ok {
		return i
	}
	if in.index == nil {
		in.index = map[string]int{}
	}
	in.index[s] = len(in.list)
	in.list = append(in.list, s)
	return len(in.list) - 1
}

// newExplainData encodes r.Explained, keeping attempts in order while the encoded attempts stay
// within maxBytes. Cost: O(attempts × nodes × plugins).
func newExplainData(r *sim.Result, maxBytes int) (*explainData, error) {
	var nodes, plugins, texts interner
	d := &explainData{Total: len(r.Explained), Attempts: []explainAttempt{}}
	size := 0
	for i, a := range r.Explained {
		at := explainAttempt{TS: round6(a.T.Seconds()), Pod: a.Pod, Node: a.Node, Reason: a.Reason, Rows: [][]any{}}
		if ex := a.Explanation; ex != nil {
			at.PreFilter, at.Start, at.Find = ex.PreFilterReason, ex.StartIndex, ex.NumFeasibleToFind
			for _, n := range ex.Nodes {
				at.Rows = append(at.Rows, explainRow(&n, &nodes, &plugins, &texts))
			}
		}
		b, err := json.Marshal(at)
		if err != nil {
			return nil, fmt.Errorf("explanation %d: %w", i, err)
		}
		if size+len(b) > maxBytes && len(d.Attempts) > 0 {
			d.Cut = len(r.Explained) - i
			break
		}
		size += len(b)
		d.Attempts = append(d.Attempts, at)
	}
	d.Nodes, d.Plugins, d.Texts = nonNil(nodes.list), nonNil(plugins.list), nonNil(texts.list)
	return d, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func explainRow(n *scheduler.NodeExplanation, nodes, plugins, texts *interner) []any {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	notEval := -1
	if n.NotEvaluated != "" {
		notEval = texts.id(n.NotEvaluated)
	}
	filters := make([][]any, 0, len(n.Filters))
	for _, f := range n.Filters {
		status := 0
		switch {
		case f.Skipped:
			status = 2
		case !f.Passed:
			status = 1
		}
		v := []any{plugins.id(f.Plugin), status}
		for _, r := range f.Reasons {
			v = append(v, texts.id(r))
		}
		filters = append(filters, v)
	}
	scores := make([][]any, 0, len(n.Scores))
	for _, s := range n.Scores {
		scores = append(scores, []any{plugins.id(s.Plugin), s.Raw, s.Normalized, s.Weight, s.Weighted})
	}
	return []any{nodes.id(n.Node), b(n.Feasible), b(n.Chosen), notEval, n.Total, filters, scores}
}
