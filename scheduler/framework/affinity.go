package framework

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// AffinityTerm is a v1.PodAffinityTerm parsed as upstream's fwk.AffinityTerm
// (k8s.io/kube-scheduler/framework types.go newAffinityTerm): the namespaces it names (the
// owning pod's own namespace when it names none and has no namespaceSelector), the
// namespaceSelector (labels.Nothing when unset), the label selector and the topology key.
//
// Key is a canonical text of the term, equal for two terms that match the same pods in the
// same topology, used to group identical terms of many pods. A term never changes once built.
type AffinityTerm struct {
	Namespaces        []string // sorted, without duplicates
	NamespaceSelector labels.Selector
	Selector          labels.Selector
	TopologyKey       string
	Key               string
}

// WeightedAffinityTerm is a preferred term and its weight (1 to 100).
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// HasNamespace reports whether ns is one of the term's named namespaces. O(len(Namespaces)).
func (t *AffinityTerm) HasNamespace(ns string) bool {
	for _, n := range t.Namespaces {
		if n == ns {
			return true
		}
	}
	return false
}

// Matches reports whether pod is selected by the term, as upstream's AffinityTerm.Matches: the
// pod's namespace is named or its labels (nsLabels) pass the namespaceSelector, and the pod's
// labels pass the selector.
func (t *AffinityTerm) Matches(pod *corev1.Pod, nsLabels labels.Set) bool {
	if t.HasNamespace(pod.Namespace) || t.NamespaceSelector.Matches(nsLabels) {
		return t.Selector.Matches(labels.Set(pod.Labels))
	}
	return false
}

// PodAffinity is a pod's four lists of inter-pod affinity terms, parsed.
type PodAffinity struct {
	RequiredAffinity      []AffinityTerm
	RequiredAntiAffinity  []AffinityTerm
	PreferredAffinity     []WeightedAffinityTerm
	PreferredAntiAffinity []WeightedAffinityTerm
}

// Empty reports whether the pod has no inter-pod affinity term at all.
func (a *PodAffinity) Empty() bool {
	return len(a.RequiredAffinity) == 0 && len(a.RequiredAntiAffinity) == 0 &&
		len(a.PreferredAffinity) == 0 && len(a.PreferredAntiAffinity) == 0
}

// ParsePodAffinity parses the pod's inter-pod affinity as upstream's framework.NewPodInfo
// (pkg/scheduler/framework/types.go): each of the four lists separately, a list with an invalid
// selector left empty, and the errors aggregated under the list's name ("requiredAffinityTerms:
// ..."). Before parsing, each term's matchLabelKeys and mismatchLabelKeys are merged into its
// selector as the API server does when it admits the pod (pkg/registry/core/pod/strategy.go
// applyMatchLabelKeysAndMismatchLabelKeys); merging an already merged pod again adds the same
// requirements once more, which selects the same pods.
func ParsePodAffinity(pod *corev1.Pod) (PodAffinity, error) {
	var out PodAffinity
	a := pod.Spec.Affinity
	if a == nil || (a.PodAffinity == nil && a.PodAntiAffinity == nil) {
		return out, nil
	}
	var errs []error
	var err error
	if pa := a.PodAffinity; pa != nil {
		if out.RequiredAffinity, err = parseTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution); err != nil {
			errs = append(errs, fmt.Errorf("requiredAffinityTerms: %w", err))
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		if out.RequiredAntiAffinity, err = parseTerms(pod, pa.RequiredDuringSchedulingIgnoredDuringExecution); err != nil {
			errs = append(errs, fmt.Errorf("requiredAntiAffinityTerms: %w", err))
		}
	}
	if pa := a.PodAffinity; pa != nil {
		if out.PreferredAffinity, err = parseWeightedTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution); err != nil {
			errs = append(errs, fmt.Errorf("preferredAffinityTerms: %w", err))
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		if out.PreferredAntiAffinity, err = parseWeightedTerms(pod, pa.PreferredDuringSchedulingIgnoredDuringExecution); err != nil {
			errs = append(errs, fmt.Errorf("preferredAntiAffinityTerms: %w", err))
		}
	}
	return out, utilerrors.NewAggregate(errs)
}

// parseTerms is upstream's GetAffinityTerms: the first invalid term fails the whole list.
func parseTerms(pod *corev1.Pod, in []corev1.PodAffinityTerm) ([]AffinityTerm, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]AffinityTerm, 0, len(in))
	for i := range in {
		t, err := NewAffinityTerm(pod, &in[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func parseWeightedTerms(pod *corev1.Pod, in []corev1.WeightedPodAffinityTerm) ([]WeightedAffinityTerm, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]WeightedAffinityTerm, 0, len(in))
	for i := range in {
		t, err := NewAffinityTerm(pod, &in[i].PodAffinityTerm)
		if err != nil {
			return nil, err
		}
		out = append(out, WeightedAffinityTerm{AffinityTerm: t, Weight: in[i].Weight})
	}
	return out, nil
}

// NewAffinityTerm parses one term of pod, after merging its matchLabelKeys and
// mismatchLabelKeys into the selector (see ParsePodAffinity). The errors are upstream's.
func NewAffinityTerm(pod *corev1.Pod, in *corev1.PodAffinityTerm) (AffinityTerm, error) {
	ls := MergeLabelKeys(in.LabelSelector, in.MatchLabelKeys, in.MismatchLabelKeys, pod.Labels)
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return AffinityTerm{}, err
	}
	var namespaces []string
	if len(in.Namespaces) == 0 && in.NamespaceSelector == nil {
		namespaces = []string{pod.Namespace}
	} else {
		namespaces = slices.Compact(slices.Sorted(slices.Values(in.Namespaces)))
	}
	nsSel, err := metav1.LabelSelectorAsSelector(in.NamespaceSelector)
	if err != nil {
		return AffinityTerm{}, err
	}
	t := AffinityTerm{Namespaces: namespaces, NamespaceSelector: nsSel, Selector: sel, TopologyKey: in.TopologyKey}
	t.Key = termKey(t.Namespaces, t.NamespaceSelector, t.Selector, t.TopologyKey)
	return t, nil
}

// MergeLabelKeys returns sel with, for each key of matchKeys the pod has, a requirement
// "key In (value)", and for each of mismatchKeys "key NotIn (value)", as the API server adds
// them. A nil selector stays nil (it selects nothing either way); sel is not modified.
func MergeLabelKeys(sel *metav1.LabelSelector, matchKeys, mismatchKeys []string, podLabels map[string]string) *metav1.LabelSelector {
	if sel == nil || (len(matchKeys) == 0 && len(mismatchKeys) == 0) {
		return sel
	}
	out := sel.DeepCopy()
	for _, k := range matchKeys {
		if v, ok := podLabels[k]; ok {
			out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpIn, Values: []string{v}})
		}
	}
	for _, k := range mismatchKeys {
		if v, ok := podLabels[k]; ok {
			out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpNotIn, Values: []string{v}})
		}
	}
	return out
}

// SelectorKey is a canonical text of a parsed selector that tells labels.Nothing (which
// selects nothing) from labels.Everything (which selects all). Two selectors with the same key
// select the same label sets.
func SelectorKey(s labels.Selector) string {
	if _, ok := s.Requirements(); !ok {
		return "∅"
	}
	if s.Empty() {
		return "*"
	}
	return "{" + s.String() + "}"
}

func termKey(namespaces []string, nsSel, sel labels.Selector, topologyKey string) string {
	var b strings.Builder
	b.WriteString("ns=")
	for i, n := range namespaces {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	b.WriteString(" nss=")
	b.WriteString(SelectorKey(nsSel))
	b.WriteString(" sel=")
	b.WriteString(SelectorKey(sel))
	b.WriteString(" tk=")
	b.WriteString(topologyKey)
	return b.String()
}
