// Package nodeaffinity filters nodes by the pod's nodeSelector and required node affinity and
// scores them by its preferred node affinity, as upstream's plugins/nodeaffinity/node_affinity.go.
// DaemonSet pods pin themselves to a node with a matchFields metadata.name term; PreFilter
// narrows the candidates to those names as upstream does. The plugin's addedAffinity argument
// (Args) adds a required selector and preferred terms to every pod, as upstream's
// NodeAffinityArgs.
package nodeaffinity

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/helper"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.NodeAffinity

const (
	// ErrReasonPod is the reason counted for a node that fails the pod's selector or affinity.
	ErrReasonPod = "node(s) didn't match Pod's node affinity/selector"
	// errReasonConflict rejects a pod whose metadata.name terms name no node at all.
	errReasonConflict = "pod affinity terms conflict"
	// ErrReasonEnforced is the reason counted for a node that fails Args.AddedAffinity's
	// required selector.
	ErrReasonEnforced = "node(s) didn't match scheduler-enforced node affinity"
)

const (
	preFilterStateKey framework.StateKey = "PreFilter" + Name
	preScoreStateKey  framework.StateKey = "PreScore" + Name
)

// Args configures NodeAffinity, as upstream's NodeAffinityArgs.
type Args struct {
	// AddedAffinity applies to every pod on top of its own nodeSelector and affinity: a node
	// must match its required selector, and its preferred terms add to the score. Its terms
	// must be valid (upstream rejects the configuration otherwise).
	AddedAffinity *corev1.NodeAffinity
}

// NodeAffinity is the plugin.
type NodeAffinity struct {
	// addedRequired is AddedAffinity's required selector compiled, or nil.
	addedRequired *requiredAffinity
	// addedPreferred are AddedAffinity's preferred terms compiled; nil when it has none.
	addedPreferred []weightedTerm
}

var (
	_ framework.PreFilterPlugin = &NodeAffinity{}
	_ framework.FilterPlugin    = &NodeAffinity{}
	_ framework.PreScorePlugin  = &NodeAffinity{}
	_ framework.ScorePlugin     = &NodeAffinity{}
	_ framework.ScoreExtensions = &NodeAffinity{}
)

var (
	statusMismatch = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPod)
	statusEnforced = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonEnforced)
	statusSkip     = framework.NewStatus(framework.Skip)
	errNoPreFilter = errors.New("nodeaffinity: Filter called without PreFilter")
	errNoPreScore  = errors.New("nodeaffinity: Score called without PreScore")
)

// New returns the plugin; args may be nil, Args or *Args. It rejects an AddedAffinity with an
// invalid term, as upstream's New does (nodeaffinity.NewNodeSelector and
// NewPreferredSchedulingTerms).
func New(args any, _ framework.Features) (framework.Plugin, error) {
	var a Args
	switch v := args.(type) {
	case nil:
	case Args:
		a = v
	case *Args:
		if v != nil {
			a = *v
		}
	default:
		return nil, fmt.Errorf("nodeaffinity: args must be nodeaffinity.Args, got %T", args)
	}
	pl := &NodeAffinity{}
	if a.AddedAffinity == nil {
		return pl, nil
	}
	if ns := a.AddedAffinity.RequiredDuringSchedulingIgnoredDuringExecution; ns != nil {
		r := requiredAffinity{hasAffinity: true}
		for i := range ns.NodeSelectorTerms {
			in := &ns.NodeSelectorTerms[i]
			if isEmptyTerm(in) {
				continue // an empty term selects nothing
			}
			t := compileTerm(in)
			if t.err != nil {
				return nil, fmt.Errorf("nodeaffinity: addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[%d]: %w", i, t.err)
			}
			r.terms = append(r.terms, t)
		}
		pl.addedRequired = &r
	}
	if terms := a.AddedAffinity.PreferredDuringSchedulingIgnoredDuringExecution; len(terms) != 0 {
		compiled, err := compilePreferred(terms)
		if err != nil {
			return nil, fmt.Errorf("nodeaffinity: addedAffinity.%w", err)
		}
		pl.addedPreferred = compiled
		if pl.addedPreferred == nil {
			pl.addedPreferred = []weightedTerm{}
		}
	}
	return pl, nil
}

// Name returns Name.
func (pl *NodeAffinity) Name() string { return Name }

// PreFilter compiles the pod's required selector and affinity. It skips the Filter when the pod
// has neither (a nil nodeSelector and no required affinity) and no added affinity is
// configured, and narrows the candidates when every required term names nodes with
// matchFields metadata.name In.
func (pl *NodeAffinity) PreFilter(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	spec := &pod.Pod.Spec
	var required *corev1.NodeSelector
	if spec.Affinity != nil && spec.Affinity.NodeAffinity != nil {
		required = spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	if required == nil && pl.addedRequired == nil && spec.NodeSelector == nil {
		return nil, statusSkip
	}
	s := compileRequired(pod.Pod)
	state.Write(preFilterStateKey, &s)
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		return nil, nil
	}

	// The union over terms of the names each term pins with metadata.name In (intersected
	// within a term). A term without such a requirement may match any node.
	var nodeNames map[string]struct{}
	for _, t := range required.NodeSelectorTerms {
		var termNames map[string]struct{}
		for _, r := range t.MatchFields {
			if r.Key != metav1.ObjectNameField || r.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			set := make(map[string]struct{}, len(r.Values))
			for _, v := range r.Values {
				if termNames == nil {
					set[v] = struct{}{}
				} else if _, ok := termNames[v]; ok {
					set[v] = struct{}{}
				}
			}
			termNames = set
		}
		if termNames == nil {
			return nil, nil
		}
		if nodeNames == nil {
			nodeNames = make(map[string]struct{}, len(termNames))
		}
		for n := range termNames {
			nodeNames[n] = struct{}{}
		}
	}
	if len(nodeNames) == 0 {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, errReasonConflict)
	}
	return &framework.PreFilterResult{NodeNames: nodeNames}, nil
}

// Filter rejects a node that fails the added required selector (first, with its own reason),
// the nodeSelector, or every required term. O(selector entries + requirements), no
// allocation.
func (pl *NodeAffinity) Filter(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	if pl.addedRequired != nil && !pl.addedRequired.matches(node.Node()) {
		return statusEnforced
	}
	v, ok := state.Read(preFilterStateKey)
	if !ok {
		return framework.AsStatus(errNoPreFilter)
	}
	if !v.(*requiredAffinity).matches(node.Node()) {
		return statusMismatch
	}
	return nil
}

type preScoreState struct {
	terms []weightedTerm
}

// PreScore compiles the preferred terms; it skips the Score when the pod has none (a nil list)
// and no added preferred terms are configured.
func (pl *NodeAffinity) PreScore(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) *framework.Status {
	a := pod.Pod.Spec.Affinity
	var terms []weightedTerm
	if a != nil && a.NodeAffinity != nil && a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution != nil {
		var err error
		terms, err = compilePreferred(a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
		if err != nil {
			return framework.AsStatus(err)
		}
	} else if pl.addedPreferred == nil {
		return statusSkip
	}
	state.Write(preScoreStateKey, &preScoreState{terms: terms})
	return nil
}

// Score sums the weights of the added and the pod's preferred terms the node matches.
func (pl *NodeAffinity) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return 0, framework.AsStatus(errNoPreScore)
	}
	var sum int64
	n := node.Node()
	for _, t := range pl.addedPreferred {
		if t.matches(n) {
			sum += t.weight
		}
	}
	for _, t := range v.(*preScoreState).terms {
		if t.matches(n) {
			sum += t.weight
		}
	}
	return sum, nil
}

// ScoreExtensions returns the plugin itself.
func (pl *NodeAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore scales the sums to [0, 100], the best node getting 100.
func (pl *NodeAffinity) NormalizeScore(_ *framework.CycleState, _ *framework.PodInfo, _ []*framework.NodeInfo, scores []int64) *framework.Status {
	return helper.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
}
