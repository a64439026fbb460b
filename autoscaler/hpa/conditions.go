package hpa

import (
	"slices"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// setCondition sets a condition in place, adding it at the end when absent; LastTransition moves
// only when the status changes (horizontal.go: setConditionInList).
func (a *Autoscaler) setCondition(now time.Duration, typ autoscalingv2.HorizontalPodAutoscalerConditionType, status corev1.ConditionStatus, reason string) {
	i := 0
	for i < len(a.conds) && a.conds[i].Type != typ {
		i++
	}
	if i == len(a.conds) {
		a.conds = append(a.conds, Condition{Type: typ})
	}
	c := &a.conds[i]
	if c.Status != status {
		c.LastTransition = now
	}
	c.Status, c.Reason = status, reason
}

func (a *Autoscaler) conditionIsTrue(typ autoscalingv2.HorizontalPodAutoscalerConditionType) bool {
	for _, c := range a.conds {
		if c.Type == typ {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// snapshotConditions returns the conditions for a Decision: a copy, or the previous
// Decision's when nothing changed since (conditions change rarely, and a run keeps one
// Decision per sync), so Decisions may share the slice and must treat it as read-only.
func (a *Autoscaler) snapshotConditions() []Condition {
	if slices.Equal(a.lastConds, a.conds) && a.lastConds != nil {
		return a.lastConds
	}
	a.lastConds = append([]Condition(nil), a.conds...)
	return a.lastConds
}
