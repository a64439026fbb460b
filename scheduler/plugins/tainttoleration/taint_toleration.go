// Package tainttoleration filters out nodes with NoSchedule or NoExecute taints the pod does not
// tolerate, and prefers nodes with fewer untolerated PreferNoSchedule taints, as upstream's
// plugins/tainttoleration/taint_toleration.go.
package tainttoleration

import (
	"errors"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/helper"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.TaintToleration

// ErrReasonNotMatch is the reason counted for a node with an untolerated NoSchedule or
// NoExecute taint (upstream v1.37 no longer names the taint in the message).
const ErrReasonNotMatch = "node(s) had untolerated taint(s)"

const preScoreStateKey framework.StateKey = "PreScore" + Name

// TaintToleration is the plugin.
type TaintToleration struct {
	comparisonOperators bool
}

var (
	_ framework.FilterPlugin    = &TaintToleration{}
	_ framework.PreScorePlugin  = &TaintToleration{}
	_ framework.ScorePlugin     = &TaintToleration{}
	_ framework.ScoreExtensions = &TaintToleration{}
)

var statusUntolerated = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNotMatch)

// New returns the plugin.
func New(_ any, fts framework.Features) (framework.Plugin, error) {
	return &TaintToleration{comparisonOperators: fts.EnableTaintTolerationComparisonOperators}, nil
}

// Name returns Name.
func (pl *TaintToleration) Name() string { return Name }

// Filter rejects the node if one of its NoSchedule or NoExecute taints is not tolerated.
// O(taints × tolerations), no allocation.
func (pl *TaintToleration) Filter(_ *framework.CycleState, pod *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	if !helper.ToleratesDoNotScheduleTaints(node.Node().Spec.Taints, pod.Pod.Spec.Tolerations, pl.comparisonOperators) {
		return statusUntolerated
	}
	return nil
}

type preScoreState struct {
	// tolerations whose effect is empty or PreferNoSchedule: only they can tolerate a
	// PreferNoSchedule taint.
	tolerations []corev1.Toleration
}

// PreScore keeps the pod's tolerations that can tolerate PreferNoSchedule taints.
func (pl *TaintToleration) PreScore(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) *framework.Status {
	s := &preScoreState{}
	for _, t := range pod.Pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			s.tolerations = append(s.tolerations, t)
		}
	}
	state.Write(preScoreStateKey, s)
	return nil
}

// Score counts the node's PreferNoSchedule taints the pod does not tolerate; NormalizeScore
// turns fewer into better.
func (pl *TaintToleration) Score(state *framework.CycleState, pod *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return 0, framework.AsStatus(errNoPreScore)
	}
	tolerations := v.(*preScoreState).tolerations
	var n int64
	taints := node.Node().Spec.Taints
	for i := range taints {
		t := &taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule && !helper.TolerationsTolerateTaint(tolerations, t, pl.comparisonOperators) {
			n++
		}
	}
	return n, nil
}

// ScoreExtensions returns the plugin itself.
func (pl *TaintToleration) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore maps counts to [0, 100] reversed: the node with most untolerated taints gets 0.
func (pl *TaintToleration) NormalizeScore(_ *framework.CycleState, _ *framework.PodInfo, _ []*framework.NodeInfo, scores []int64) *framework.Status {
	return helper.DefaultNormalizeScore(framework.MaxNodeScore, true, scores)
}

var errNoPreScore = errors.New("tainttoleration: Score called without PreScore")
