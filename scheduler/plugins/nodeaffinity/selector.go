package nodeaffinity

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// The matching rules below are those of k8s.io/component-helpers/scheduling/corev1/nodeaffinity
// (nodeaffinity.go) and apimachinery's labels.Requirement, compiled once per pod so that
// matching a node is a few map lookups with no allocation (the helper builds a fields.Set map
// on every match).

// requirement is one matchExpressions entry, validated.
type requirement struct {
	key    string
	op     corev1.NodeSelectorOperator
	values []string
	bound  int64 // the integer of Gt and Lt
}

func (r *requirement) matches(nodeLabels map[string]string) bool {
	v, ok := nodeLabels[r.key]
	switch r.op {
	case corev1.NodeSelectorOpIn:
		return ok && contains(r.values, v)
	case corev1.NodeSelectorOpNotIn:
		return !ok || !contains(r.values, v)
	case corev1.NodeSelectorOpExists:
		return ok
	case corev1.NodeSelectorOpDoesNotExist:
		return !ok
	case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		if r.op == corev1.NodeSelectorOpGt {
			return n > r.bound
		}
		return n < r.bound
	}
	return false
}

func contains(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// fieldRequirement is one matchFields entry: the node field must equal (In) or differ from
// (NotIn) value. The only node field is metadata.name; any other key reads as "".
type fieldRequirement struct {
	key   string
	value string
	equal bool
}

// term is one node selector term: its expressions and fields ANDed. A term that failed to
// parse matches nothing, as upstream's lazy-error selector.
type term struct {
	hasLabels bool
	labels    []requirement
	hasFields bool
	fields    []fieldRequirement
	err       error
}

func (t *term) matches(node *corev1.Node) bool {
	if t.err != nil {
		return false
	}
	if t.hasLabels {
		for i := range t.labels {
			if !t.labels[i].matches(node.Labels) {
				return false
			}
		}
	}
	// Upstream only applies field selectors when the node has fields, i.e. a name.
	if t.hasFields && node.Name != "" {
		for _, f := range t.fields {
			v := ""
			if f.key == metav1.ObjectNameField {
				v = node.Name
			}
			if (v == f.value) != f.equal {
				return false
			}
		}
	}
	return true
}

func isEmptyTerm(t *corev1.NodeSelectorTerm) bool {
	return len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0
}

var labelOps = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn:           selection.In,
	corev1.NodeSelectorOpNotIn:        selection.NotIn,
	corev1.NodeSelectorOpExists:       selection.Exists,
	corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt:           selection.GreaterThan,
	corev1.NodeSelectorOpLt:           selection.LessThan,
}

// compileTerm validates a term as upstream does (labels.NewRequirement for expressions; In or
// NotIn with exactly one value for fields) and keeps the first error.
func compileTerm(in *corev1.NodeSelectorTerm) term {
	var t term
	if len(in.MatchExpressions) > 0 {
		t.hasLabels = true
		for _, e := range in.MatchExpressions {
			op, ok := labelOps[e.Operator]
			if !ok {
				t.err = fmt.Errorf("matchExpressions: operator %q not supported", e.Operator)
				return t
			}
			if _, err := labels.NewRequirement(e.Key, op, e.Values); err != nil {
				t.err = err
				return t
			}
			r := requirement{key: e.Key, op: e.Operator, values: e.Values}
			if e.Operator == corev1.NodeSelectorOpGt || e.Operator == corev1.NodeSelectorOpLt {
				r.bound, _ = strconv.ParseInt(e.Values[0], 10, 64) // validated above
			}
			t.labels = append(t.labels, r)
		}
	}
	if len(in.MatchFields) > 0 {
		t.hasFields = true
		for _, f := range in.MatchFields {
			switch f.Operator {
			case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
				if len(f.Values) != 1 {
					t.err = fmt.Errorf("matchFields: values: must have one element, got %d", len(f.Values))
					return t
				}
				t.fields = append(t.fields, fieldRequirement{key: f.Key, value: f.Values[0], equal: f.Operator == corev1.NodeSelectorOpIn})
			default:
				t.err = fmt.Errorf("matchFields: operator %q not supported", f.Operator)
				return t
			}
		}
	}
	return t
}

type labelPair struct{ key, value string }

// requiredAffinity is a pod's nodeSelector and required node affinity, both of which a node
// must satisfy (component-helpers RequiredNodeAffinity).
type requiredAffinity struct {
	nodeSelector []labelPair
	hasAffinity  bool
	terms        []term // the non-empty terms, ORed
}

func compileRequired(pod *corev1.Pod) requiredAffinity {
	var r requiredAffinity
	for k, v := range pod.Spec.NodeSelector {
		r.nodeSelector = append(r.nodeSelector, labelPair{k, v})
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		r.hasAffinity = true
		for i := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			in := &a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[i]
			if isEmptyTerm(in) {
				continue // an empty term selects nothing
			}
			r.terms = append(r.terms, compileTerm(in))
		}
	}
	return r
}

func (r *requiredAffinity) matches(node *corev1.Node) bool {
	for _, p := range r.nodeSelector {
		if v, ok := node.Labels[p.key]; !ok || v != p.value {
			return false
		}
	}
	if !r.hasAffinity {
		return true
	}
	for i := range r.terms {
		if r.terms[i].matches(node) {
			return true
		}
	}
	return false
}

type weightedTerm struct {
	term
	weight int64
}

// compilePreferred compiles the preferred terms, dropping those with weight 0 or no
// requirements. Unlike required terms, one invalid preferred term is an error for the whole
// pod (component-helpers NewPreferredSchedulingTerms).
func compilePreferred(in []corev1.PreferredSchedulingTerm) ([]weightedTerm, error) {
	out := make([]weightedTerm, 0, len(in))
	for i := range in {
		if in[i].Weight == 0 || isEmptyTerm(&in[i].Preference) {
			continue
		}
		t := compileTerm(&in[i].Preference)
		if t.err != nil {
			return nil, fmt.Errorf("preferredDuringSchedulingIgnoredDuringExecution[%d]: %w", i, t.err)
		}
		out = append(out, weightedTerm{term: t, weight: int64(in[i].Weight)})
	}
	return out, nil
}
