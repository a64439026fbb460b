package scenario

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/labels"
	"ksim.dev/ksim/internal/suggest"
)

// Event actions, as written in spec.events.
const (
	ActionAdd      = "add"
	ActionFail     = "fail"
	ActionRecover  = "recover"
	ActionRemove   = "remove"
	ActionCordon   = "cordon"
	ActionUncordon = "uncordon"
	ActionTaint    = "taint"
	ActionUntaint  = "untaint"
)

// nodeSelector is an event's `nodes`: a list of node names, or a map of labels.
type nodeSelector struct {
	names  []string
	labels map[string]string
	set    bool
}

const nodeSelectorHelp = "want a list of node names (nodes: [node-a, node-b]) or a map of labels (nodes: {zone: b})"

func (s *nodeSelector) UnmarshalJSON(b []byte) error {
	*s = nodeSelector{}
	t := strings.TrimSpace(string(b))
	switch {
	case t == "null":
		return nil
	case strings.HasPrefix(t, "["):
		if err := json.Unmarshal(b, &s.names); err != nil {
			return errors.New(nodeSelectorHelp + "; node names are strings")
		}
	case strings.HasPrefix(t, "{"):
		if err := json.Unmarshal(b, &s.labels); err != nil {
			return errors.New(nodeSelectorHelp + "; label values are strings (quote numbers and true/false)")
		}
	default:
		return errors.New(nodeSelectorHelp)
	}
	s.set = true
	return nil
}

// labelShorthands expand the short label keys allowed in an event's `nodes` map.
var labelShorthands = map[string]string{
	"zone":   corev1.LabelTopologyZone,
	"region": corev1.LabelTopologyRegion,
}

// pendingEvent is an event being checked, with where it was written.
type pendingEvent struct {
	ev       NodeEvent
	selField string // field of the node selection (spec.events[i].fail.nodes)
	seq      int
}

// events validates spec.events, then checks that the nodes each event names exist at its time,
// in time order (ties in file order), with nodes added and removed by earlier events. Events go
// to the Scenario in that order.
func (l *loader) events(src objSrc, evs []eventDoc) {
	var pending []pendingEvent
	for i := range evs {
		e := &evs[i]
		field := fmt.Sprintf("spec.events[%d]", i)
		var at time.Duration
		atOK := false
		if !e.At.set {
			l.errAt(src, field, "at is required: when the event happens, as a Go duration from the start (e.g. at: 6h)")
		} else if v, msg := e.At.parse(false); msg != "" {
			l.errAt(src, field+".at", "%s", msg)
		} else if l.sc.Duration > 0 && v > l.sc.Duration {
			l.errAt(src, field+".at", "%s is after the end of the run (spec.duration %s); events must happen within [0, duration]", v, l.sc.Duration)
		} else {
			at, atOK = v, true
		}
		var actions []string
		for _, a := range []struct {
			name string
			set  bool
		}{
			{ActionAdd, e.Add != nil}, {ActionFail, e.Fail != nil}, {ActionRecover, e.Recover != nil},
			{ActionRemove, e.Remove != nil}, {ActionCordon, e.Cordon != nil}, {ActionUncordon, e.Uncordon != nil},
			{ActionTaint, e.Taint != nil}, {ActionUntaint, e.Untaint != nil},
		} {
			if a.set {
				actions = append(actions, a.name)
			}
		}
		switch len(actions) {
		case 0:
			l.errAt(src, field, "no action; give exactly one of: add, fail, recover, remove, cordon, uncordon, taint, untaint")
			continue
		case 1:
		default:
			l.errAt(src, field+"."+actions[1], "an event has exactly one action, this one has %d (%s); write one event per action (they may share the same time)", len(actions), strings.Join(actions, ", "))
			continue
		}
		action := actions[0]
		base := NodeEvent{At: at, Action: action, Source: src.where(field)}
		af := field + "." + action
		ok := atOK
		var sel nodeSelector
		switch action {
		case ActionAdd:
			nodes := l.addEvent(src, af, e.Add)
			if len(nodes) == 0 {
				ok = false
			}
			if ok {
				for _, n := range nodes {
					ev := base
					ev.Node = n
					pending = append(pending, pendingEvent{ev: ev, selField: af, seq: len(pending)})
				}
			}
			continue
		case ActionTaint, ActionUntaint:
			td := e.Taint
			if action == ActionUntaint {
				td = e.Untaint
			}
			sel = td.Nodes
			if td.Taint == "" {
				l.errAt(src, af, "taint is required, as key=value:Effect or key:Effect (Effect: NoSchedule, PreferNoSchedule or NoExecute)")
				ok = false
			} else if t, msg := parseTaint(td.Taint); msg != "" {
				l.errAt(src, af+".taint", "%s", msg)
				ok = false
			} else {
				base.Taint = t
			}
		default:
			sel = map[string]*nodesDoc{ActionFail: e.Fail, ActionRecover: e.Recover, ActionRemove: e.Remove, ActionCordon: e.Cordon, ActionUncordon: e.Uncordon}[action].Nodes
		}
		if !sel.set || (len(sel.names) == 0 && len(sel.labels) == 0) {
			l.errAt(src, af, "nodes is required and must not be empty: %s", nodeSelectorHelp)
			continue
		}
		if sel.labels != nil {
			base.Labels = make(map[string]string, len(sel.labels))
			for _, k := range slices.Sorted(maps.Keys(sel.labels)) {
				full := k
				if long, short := labelShorthands[k]; short {
					full = long
				}
				for _, msg := range content.IsLabelKey(full) {
					l.errAt(src, af+".nodes."+k, "%s is not a valid label key: %s", quoteShort(k), msg)
					ok = false
				}
				base.Labels[full] = sel.labels[k]
			}
		} else {
			base.Names = sel.names
			for j, n := range sel.names {
				if n == "" {
					l.errAt(src, fmt.Sprintf("%s.nodes[%d]", af, j), "empty node name")
					ok = false
				}
			}
		}
		if ok {
			pending = append(pending, pendingEvent{ev: base, selField: af + ".nodes", seq: len(pending)})
		}
	}
	slices.SortStableFunc(pending, func(a, b pendingEvent) int {
		return cmp.Or(cmp.Compare(a.ev.At, b.ev.At), cmp.Compare(a.seq, b.seq))
	})
	l.checkEventNodes(src, pending)
	for _, p := range pending {
		l.sc.Events = append(l.sc.Events, p.ev)
	}
}

// addEvent returns the nodes an "add" event adds: its inline node, or the Nodes of its file.
func (l *loader) addEvent(src objSrc, field string, a *addDoc) []*corev1.Node {
	hasNode := len(a.Node) > 0 && string(a.Node) != "null"
	switch {
	case hasNode && a.File != "":
		l.errAt(src, field, "give node (an inline Node manifest) or file (a file of Node manifests), not both")
		return nil
	case !hasNode && a.File == "":
		l.errAt(src, field, "node or file is required: an inline Node manifest (add: {node: {metadata: {name: n}, status: {capacity: {cpu: \"4\", memory: 16Gi}}}}) or a file of Nodes (add: {file: nodes-extra.yaml})")
		return nil
	}
	l.inEvent = true
	defer func() { l.inEvent = false }()
	var objs []*object
	if hasNode {
		if jsonKind(a.Node) != "a map" {
			l.errAt(src, field+".node", "want a Node manifest (a map), got %s", jsonKind(a.Node))
			return nil
		}
		if o := l.object(objSrc{d: src.d, prefix: field + ".node"}, a.Node, roleCluster, "Node"); o != nil {
			objs = append(objs, o)
		}
	} else {
		objs = l.manifestFile(src, field+".file", a.File, roleCluster)
	}
	var nodes []*corev1.Node
	for _, o := range objs {
		if n, ok := o.obj.(*corev1.Node); ok && !o.broken {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// parseTaint parses "key=value:Effect" or "key:Effect", as kubectl taint does.
func parseTaint(s string) (*corev1.Taint, string) {
	const want = "want key=value:Effect or key:Effect, with Effect one of NoSchedule, PreferNoSchedule, NoExecute"
	kv, effect, found := strings.Cut(s, ":")
	if !found || strings.Contains(effect, ":") {
		return nil, fmt.Sprintf("%s is not a taint; %s", quoteShort(s), want)
	}
	key, value, _ := strings.Cut(kv, "=")
	t := &corev1.Taint{Key: key, Value: value, Effect: corev1.TaintEffect(effect)}
	if !slices.Contains(taintEffects, t.Effect) {
		return nil, fmt.Sprintf("%s has effect %s; %s", quoteShort(s), quoteShort(effect), want)
	}
	if msgs := content.IsLabelKey(key); len(msgs) > 0 {
		return nil, fmt.Sprintf("%s has an invalid key: %s", quoteShort(s), msgs[0])
	}
	if msgs := content.IsLabelValue(value); len(msgs) > 0 {
		return nil, fmt.Sprintf("%s has an invalid value: %s", quoteShort(s), msgs[0])
	}
	return t, ""
}

// checkEventNodes replays the events' effect on which nodes exist, and reports events that
// name nodes that do not exist then. Cost: O(events × nodes) for label selections.
func (l *loader) checkEventNodes(src objSrc, pending []pendingEvent) {
	live := make(map[string]liveNode, len(l.nodeNames))
	var order []string // names in order of appearance, for messages
	for _, n := range l.sc.Nodes {
		live[n.Name] = liveNode{n.Labels}
		order = append(order, n.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(l.nodeNames)) {
		if _, ok := live[name]; !ok { // broken nodes: exist, labels unknown
			live[name] = liveNode{}
			order = append(order, name)
		}
	}
	removed := map[string]time.Duration{}
	liveNames := func() []string {
		var names []string
		for _, n := range order {
			if _, ok := live[n]; ok {
				names = append(names, n)
			}
		}
		return names
	}
	for _, p := range pending {
		ev := p.ev
		bad := false
		switch {
		case ev.Action == ActionAdd:
			name := ev.Node.Name
			if _, ok := live[name]; ok {
				l.errAt(src, p.selField, "node %s already exists at %s; names are unique (remove it first to replace it)", quoteShort(name), ev.At)
				bad = true
				break
			}
			live[name] = liveNode{ev.Node.Labels}
			order = append(order, name)
			delete(removed, name)
		case ev.Names != nil:
			for j, name := range ev.Names {
				if _, ok := live[name]; ok {
					continue
				}
				bad = true
				if l.partial {
					continue
				}
				f := fmt.Sprintf("%s[%d]", p.selField, j)
				if at, ok := removed[name]; ok {
					l.errAt(src, f, "node %s was removed at %s, before this event at %s", quoteShort(name), at, ev.At)
				} else if s := suggest.Closest(name, liveNames()); s != "" {
					l.errAt(src, f, "no node %s at %s; did you mean %s?", quoteShort(name), ev.At, quoteShort(s))
				} else if names := liveNames(); len(names) > 0 {
					l.errAt(src, f, "no node %s at %s (nodes then: %s)", quoteShort(name), ev.At, listShort(names, 8))
				} else {
					l.errAt(src, f, "no node %s at %s (there are no nodes then)", quoteShort(name), ev.At)
				}
			}
		default:
			matched := false
			for _, n := range liveNames() {
				if labelsMatch(live[n].labels, ev.Labels) {
					matched = true
					break
				}
			}
			if !matched {
				bad = true
			}
			if !matched && !l.partial {
				l.errAt(src, p.selField, "no node has labels %s at %s%s", labels.Set(ev.Labels).String(), ev.At, labelHint(ev.Labels, live, liveNames()))
			}
		}
		if bad {
			continue
		}
		if ev.Action == ActionRemove {
			for _, n := range liveNames() {
				if (ev.Names != nil && slices.Contains(ev.Names, n)) || (ev.Names == nil && labelsMatch(live[n].labels, ev.Labels)) {
					delete(live, n)
					removed[n] = ev.At
				}
			}
		}
	}
}

type liveNode struct {
	labels map[string]string
}

// labelsMatch reports whether have carries every label of want, as the engine selects nodes
// (a selector from the set).
func labelsMatch(have, want map[string]string) bool {
	return labels.SelectorFromSet(want).Matches(labels.Set(have))
}

// labelHint lists the values that the live nodes have for the selected keys.
func labelHint(want map[string]string, live map[string]liveNode, names []string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		seen := map[string]bool{}
		for _, n := range names {
			if v, ok := live[n].labels[k]; ok {
				seen[v] = true
			}
		}
		if len(seen) == 0 {
			parts = append(parts, "no node then has label "+k)
		} else {
			parts = append(parts, k+" then is one of: "+listShort(slices.Sorted(maps.Keys(seen)), 8))
		}
	}
	return " (" + strings.Join(parts, "; ") + ")"
}
