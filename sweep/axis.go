package sweep

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"ksim.dev/ksim/sim/scenario"
)

// Axis is one --vary flag: one or more paths that take the same value together (a "linked"
// axis, e.g. the peak and the trough of a trace scaled by one traffic factor), and the values
// they take, in order.
type Axis struct {
	Paths  []Path
	Values []string // as written on the command line
}

// Label is the axis as a column header: its paths joined by "+".
func (a Axis) Label() string {
	parts := make([]string, len(a.Paths))
	for i, p := range a.Paths {
		parts[i] = p.Text
	}
	return strings.Join(parts, "+")
}

// Flag is the axis as a --vary value, e.g. "spec.duration=1h,2h".
func (a Axis) Flag() string { return a.Label() + "=" + strings.Join(a.Values, ",") }

// Path addresses one field that a sweep sets.
//
// A scenario field is written as in docs/scenario.md, with list indexes: spec.duration,
// spec.load[0].trace.peakCores, spec.nodePools[1].template.status.capacity.cpu. A manifest field
// is KIND/NAMESPACE/NAME:FIELD, or KIND/NAME:FIELD (namespace default, or a cluster-scoped
// kind), with FIELD as `kubectl explain` writes it: Deployment/default/web:spec.replicas,
// HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization,
// Node/node-a-1:status.capacity.cpu. A map key that holds dots may be written in brackets:
// metadata.labels["node.kubernetes.io/instance-type"].
type Path struct {
	Text   string     // as written
	Object *ObjectRef // nil for a field of the scenario document
	Field  string     // the field part
	steps  []step
}

// ObjectRef names a manifest object: Kind as the API spells it (Deployment), Namespace ""
// for cluster-scoped kinds.
type ObjectRef struct {
	Kind, Namespace, Name string
}

func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// step is one element of a field path: a map key or struct field, or a list index.
type step struct {
	key     string
	index   int
	isIndex bool
}

func (s step) String() string {
	if s.isIndex {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return s.key
}

// fieldString writes steps as a field path (a.b[0].c).
func fieldString(steps []step) string {
	var b strings.Builder
	for i, s := range steps {
		switch {
		case s.isIndex:
			b.WriteString(s.String())
		case strings.ContainsAny(s.key, ".[]\"") || s.key == "":
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// Limits on what one sweep may ask for: a grid grows as the product of its axes, and each
// variant is a whole run.
const (
	MaxAxes     = 16
	MaxValues   = 1000   // values of one axis
	MaxVariants = 10_000 // variants of a grid
)

// ParseAxis parses a --vary flag: PATH=V1,V2,… or PATH1+PATH2=V1,V2,… (the paths take each
// value together). Values are split at commas outside brackets, braces and double quotes, so a
// value may be a JSON list or map. A value xF (x1.2) multiplies the value in the file by F.
// The error says what is wrong and shows the expected form.
func ParseAxis(flag string) (Axis, error) {
	fail := func(format string, args ...any) (Axis, error) {
		return Axis{}, fmt.Errorf("--vary %s: %s", flag, fmt.Sprintf(format, args...))
	}
	eq := topLevelIndex(flag, '=')
	if eq < 0 && strings.Contains(flag, "=") {
		return fail("unbalanced brackets, braces or quotes before the =")
	}
	if eq < 0 {
		return fail("want PATH=VALUE1,VALUE2,… (e.g. spec.nodePools[0].count=10,20,30)")
	}
	var a Axis
	for _, pt := range splitTop(flag[:eq], '+') {
		p, err := ParsePath(pt)
		if err != nil {
			return fail("%v", err)
		}
		for _, q := range a.Paths {
			if q.key() == p.key() {
				return fail("path %s is given twice", p.Text)
			}
		}
		a.Paths = append(a.Paths, p)
	}
	rest := flag[eq+1:]
	if strings.TrimSpace(rest) == "" {
		return fail("no values; want PATH=VALUE1,VALUE2,…")
	}
	for _, v := range splitTop(rest, ',') {
		v = strings.TrimSpace(v)
		if v == "" {
			return fail("an empty value; separate values with single commas")
		}
		if slices.Contains(a.Values, v) {
			return fail("value %s is given twice", v)
		}
		a.Values = append(a.Values, v)
	}
	if len(a.Values) > MaxValues {
		return fail("%d values; at most %d (MaxValues)", len(a.Values), MaxValues)
	}
	return a, nil
}

// key identifies the field a path sets, whatever the spelling of its kind.
func (p Path) key() string {
	if p.Object == nil {
		return fieldString(p.steps)
	}
	return p.Object.String() + ":" + fieldString(p.steps)
}

// kindInfo is a kind whose objects a path may name: every kind the scenario loader reads
// (scenario.Kinds), with the names kubectl accepts for it.
type kindInfo struct {
	kind          string
	clusterScoped bool
	aliases       []string     // lower case, as kubectl accepts them
	typ           reflect.Type // the Go type a manifest path is checked against
}

// kubectlNames are the names kubectl accepts for each kind, lower case.
var kubectlNames = map[string][]string{
	"Node":                    {"node", "nodes", "no"},
	"Namespace":               {"namespace", "namespaces", "ns"},
	"PriorityClass":           {"priorityclass", "priorityclasses", "pc"},
	"Deployment":              {"deployment", "deployments", "deploy"},
	"DaemonSet":               {"daemonset", "daemonsets", "ds"},
	"Job":                     {"job", "jobs"},
	"Pod":                     {"pod", "pods", "po"},
	"HorizontalPodAutoscaler": {"horizontalpodautoscaler", "horizontalpodautoscalers", "hpa"},
	"PodDisruptionBudget":     {"poddisruptionbudget", "poddisruptionbudgets", "pdb"},
}

var pathKinds = func() []kindInfo {
	var out []kindInfo
	for _, k := range scenario.Kinds() {
		out = append(out, kindInfo{kind: k.Kind, clusterScoped: k.ClusterScoped, aliases: kubectlNames[k.Kind], typ: k.Type})
	}
	return out
}()

// kindType is the Go type of a kind a path names.
func kindType(kind string) reflect.Type {
	for _, k := range pathKinds {
		if k.kind == kind {
			return k.typ
		}
	}
	return nil
}

func kindNamed(s string) *kindInfo {
	ls := strings.ToLower(s)
	for i := range pathKinds {
		if slices.Contains(pathKinds[i].aliases, ls) {
			return &pathKinds[i]
		}
	}
	return nil
}

func kindList() string {
	var ks []string
	for _, k := range pathKinds {
		ks = append(ks, k.kind)
	}
	return strings.Join(ks, ", ")
}

// ParsePath parses one path (see Path). It checks the syntax only; NewPlan checks that the
// field exists.
func ParsePath(s string) (Path, error) {
	p := Path{Text: strings.TrimSpace(s)}
	if p.Text == "" {
		return Path{}, fmt.Errorf("empty path; want a scenario field (spec.duration) or KIND/NAMESPACE/NAME:FIELD (Deployment/default/web:spec.replicas)")
	}
	field := p.Text
	if i := topLevelIndex(p.Text, ':'); i >= 0 {
		ref, err := parseObjectRef(p.Text[:i])
		if err != nil {
			return Path{}, fmt.Errorf("path %s: %v", p.Text, err)
		}
		p.Object = &ref
		field = p.Text[i+1:]
	} else if strings.Contains(strings.SplitN(p.Text, ".", 2)[0], "/") {
		return Path{}, fmt.Errorf("path %s: a manifest field is KIND/NAMESPACE/NAME:FIELD, with a colon before the field (e.g. Deployment/default/web:spec.replicas)", p.Text)
	}
	steps, err := parseField(field)
	if err != nil {
		return Path{}, fmt.Errorf("path %s: %v", p.Text, err)
	}
	if p.Object == nil && (steps[0].isIndex || steps[0].key != "spec" || len(steps) < 2) {
		return Path{}, fmt.Errorf("path %s: a scenario field starts with spec. (e.g. spec.duration, spec.nodePools[0].count); a manifest field starts with KIND/NAMESPACE/NAME: (e.g. Deployment/default/web:spec.replicas)", p.Text)
	}
	p.Field, p.steps = field, steps
	return p, nil
}

func parseObjectRef(s string) (ObjectRef, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return ObjectRef{}, fmt.Errorf("%q is not an object; want KIND/NAMESPACE/NAME or KIND/NAME (e.g. Deployment/default/web, Node/node-a-1)", s)
	}
	k := kindNamed(parts[0])
	if k == nil {
		return ObjectRef{}, fmt.Errorf("unknown kind %q; a sweep can set fields of: %s", parts[0], kindList())
	}
	for _, part := range parts[1:] {
		if part == "" {
			return ObjectRef{}, fmt.Errorf("%q has an empty name or namespace", s)
		}
	}
	ref := ObjectRef{Kind: k.kind, Name: parts[len(parts)-1]}
	switch {
	case len(parts) == 3 && k.clusterScoped:
		return ObjectRef{}, fmt.Errorf("%s is cluster-scoped: write %s/%s", k.kind, k.kind, ref.Name)
	case len(parts) == 3:
		ref.Namespace = parts[1]
	case !k.clusterScoped:
		ref.Namespace = "default"
	}
	return ref, nil
}

// parseField parses a.b[0].c["d.e"] into steps.
func parseField(s string) ([]step, error) {
	if s == "" {
		return nil, fmt.Errorf("no field; want e.g. spec.replicas")
	}
	var steps []step
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if strings.HasPrefix(s[i+1:], `"`) {
				// A quoted key: find the closing quote, then the bracket.
				q, err := strconv.QuotedPrefix(s[i+1:])
				if err != nil {
					return nil, fmt.Errorf("bad quoted key at %q", s[i:])
				}
				key, _ := strconv.Unquote(q)
				j := i + 1 + len(q)
				if j >= len(s) || s[j] != ']' {
					return nil, fmt.Errorf("want ] after %s", q)
				}
				steps = append(steps, step{key: key})
				i = j + 1
				continue
			}
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at %q", s[i:])
			}
			n, err := strconv.Atoi(s[i+1 : i+end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%q is not a list index; want [0], [1], … or a quoted key [\"a.b\"]", s[i:i+end+1])
			}
			steps = append(steps, step{index: n, isIndex: true})
			i += end + 1
		case c == '.':
			if i == 0 || i+1 >= len(s) || s[i+1] == '.' || s[i+1] == '[' {
				return nil, fmt.Errorf("misplaced . in %q", s)
			}
			i++
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				if s[j] == ']' {
					return nil, fmt.Errorf("unexpected ] in %q", s)
				}
				j++
			}
			steps = append(steps, step{key: s[i:j]})
			i = j
		}
	}
	return steps, nil
}

// topLevelIndex is the index of the first c in s outside brackets, braces and double quotes,
// or -1.
func topLevelIndex(s string, c byte) int {
	depth, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case inQuote:
			if ch == '\\' {
				i++
			} else if ch == '"' {
				inQuote = false
			}
		case ch == '"':
			inQuote = true
		case ch == '[' || ch == '{':
			depth++
		case ch == ']' || ch == '}':
			depth--
		case ch == c && depth == 0:
			return i
		}
	}
	return -1
}

// splitTop splits s at every sep outside brackets, braces and double quotes.
func splitTop(s string, sep byte) []string {
	var out []string
	for {
		i := topLevelIndex(s, sep)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// AxisInfo is an axis as tables and shards record it: its paths and values as written.
type AxisInfo struct {
	Paths  []string `json:"paths"`
	Values []string `json:"values"`
}

// Label is the axis as a column header: its paths joined by "+".
func (a AxisInfo) Label() string { return strings.Join(a.Paths, "+") }

// Info is the axis as tables and shards record it.
func (a Axis) Info() AxisInfo {
	info := AxisInfo{Values: slices.Clone(a.Values)}
	for _, p := range a.Paths {
		info.Paths = append(info.Paths, p.Text)
	}
	return info
}
