package reports

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"ksim.dev/ksim/sim"
)

// EventsSchemaV1 names the format of events.jsonl (docs/outputs.md); it changes only additively.
const EventsSchemaV1 = "ksim.events/v1"

// EventLine is one line of events.jsonl: one thing that happened in the run. Kind is one of
//
//   - "node": a node event (added, cordoned, tainted, failed, NotReady, recovered, removed);
//   - "evict": a pod evicted (a NoExecute taint, a lost node);
//   - "scale": an HPA changed its target's replicas (From, To, and the reason in Detail);
//   - "unschedulable": a pod's first failed scheduling attempt, with the scheduler's message;
//   - "job": a Job completed;
//   - "preempt": a pending pod nominated to a node, and the pods it preempts there;
//   - "load": a load model's problem the run continued through;
//   - "bind": a pod bound to Node (Owner, Attempts failed before, PendingS since creation).
//
// Fields that do not apply to a kind are left out of its line.
type EventLine struct {
	TS       float64  `json:"t_s"`
	Kind     string   `json:"kind"`
	Object   string   `json:"object"`
	Detail   string   `json:"detail,omitempty"`
	Node     string   `json:"node,omitempty"`
	Owner    string   `json:"owner,omitempty"`
	Attempts *int     `json:"attempts,omitempty"`
	PendingS *float64 `json:"pending_s,omitempty"`
	From     *int32   `json:"from,omitempty"`
	To       *int32   `json:"to,omitempty"`
}

// Events returns every event of the run in time order: the timeline (r.Log, with each scale
// entry joined to its sim.ScaleEvent) and the bindings (r.Placements). At equal times the
// timeline's entries come first; within each list the engine's order is kept.
// Cost: O(L + P + S) for L log entries, P placements and S scale events.
func Events(r *sim.Result) []EventLine {
	// The engine logs each scale event of an HPA as it records it, so the i-th "scale" entry of
	// hpa/NS/NAME is that HPA's i-th ScaleEvent.
	scale := map[string][]sim.ScaleEvent{}
	for _, h := range r.HPAs {
		scale["hpa/"+h.Namespace+"/"+h.Name] = h.ScaleEvents
	}
	used := map[string]int{}
	out := make([]EventLine, 0, len(r.Log)+len(r.Placements))
	log := make([]EventLine, 0, len(r.Log))
	for _, e := range r.Log {
		l := EventLine{TS: round6(e.T.Seconds()), Kind: e.Kind, Object: e.Object, Detail: e.Detail}
		if e.Kind == "scale" {
			if evs, i := scale[e.Object], used[e.Object]; i < len(evs) && evs[i].T == e.T {
				l.From, l.To = &evs[i].From, &evs[i].To
				used[e.Object] = i + 1
			}
		}
		log = append(log, l)
	}
	// Scale events the log does not carry, in HPA order.
	var extra []EventLine
	for _, h := range r.HPAs {
		key := "hpa/" + h.Namespace + "/" + h.Name
		for i := used[key]; i < len(h.ScaleEvents); i++ {
			e := &h.ScaleEvents[i]
			extra = append(extra, EventLine{TS: round6(e.T.Seconds()), Kind: "scale", Object: key, From: &e.From, To: &e.To})
		}
	}
	if len(extra) > 0 {
		log = append(log, extra...)
		slices.SortStableFunc(log, func(a, b EventLine) int { return cmpFloat(a.TS, b.TS) })
	}
	binds := make([]EventLine, 0, len(r.Placements))
	for i := range r.Placements {
		p := &r.Placements[i]
		pend := round6(p.Pending.Seconds())
		binds = append(binds, EventLine{TS: round6(p.T.Seconds()), Kind: "bind", Object: "pod/" + p.Pod,
			Node: p.Node, Owner: p.Owner, Attempts: &p.Attempts, PendingS: &pend})
	}
	i, j := 0, 0
	for i < len(log) || j < len(binds) {
		if j >= len(binds) || (i < len(log) && log[i].TS <= binds[j].TS) {
			out = append(out, log[i])
			i++
		} else {
			out = append(out, binds[j])
			j++
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// WriteEvents writes every event of the run (Events) as JSON Lines: one object per line, keys in
// the order of EventLine, no HTML escaping. The same r always gives the same bytes.
func WriteEvents(w io.Writer, r *sim.Result) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, e := range Events(r) {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("reports: write events: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: write events: %w", err)
	}
	return nil
}

// timelineData is the events section's data: the run's timeline (r.Log) as rows
// [t_s, kind index, object, detail], at most max of them.
type timelineData struct {
	Kinds []string `json:"kinds"`
	Rows  [][]any  `json:"rows"`
	Total int      `json:"total"`
}

func newTimeline(r *sim.Result, maxRows int) *timelineData {
	d := &timelineData{Total: len(r.Log), Rows: [][]any{}}
	var kinds interner
	for _, e := range r.Log {
		kinds.id(e.Kind)
	}
	// Kinds in a fixed order: the known ones first, then others by name.
	for _, k := range timelineKinds {
		if _, ok := kinds.index[k.kind]; ok {
			d.Kinds = append(d.Kinds, k.kind)
		}
	}
	var rest []string
	for _, k := range kinds.list {
		if !slices.ContainsFunc(timelineKinds, func(tk timelineKind) bool { return tk.kind == k }) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	d.Kinds = append(nonNil(d.Kinds), rest...)
	for _, e := range r.Log[:min(len(r.Log), maxRows)] {
		d.Rows = append(d.Rows, []any{round6(e.T.Seconds()), slices.Index(d.Kinds, e.Kind), e.Object, e.Detail})
	}
	return d
}

// timelineKind is a kind of entry of the run's log, and how the page names it.
type timelineKind struct{ kind, title string }

// timelineKinds are the kinds the engine logs, in the timeline's order.
var timelineKinds = []timelineKind{
	{"node", "node events"},
	{"evict", "evictions"},
	{"preempt", "preemptions"},
	{"scale", "scale events"},
	{"unschedulable", "failed placements"},
	{"job", "Jobs"},
	{"load", "load problems"},
}

// kindTitle is how the page names a kind of event.
func kindTitle(k string) string {
	for _, tk := range timelineKinds {
		if tk.kind == k {
			return tk.title
		}
	}
	return strings.ReplaceAll(k, "_", " ")
}
