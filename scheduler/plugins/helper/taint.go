package helper

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
)

// ToleratesTaint reports whether toleration t tolerates taint, by the rules of
// k8s.io/api/core/v1 Toleration.ToleratesTaint: an empty effect matches every effect, an empty
// key (with operator Exists) every key, Exists every value, Equal (or "") an equal value, and
// Lt/Gt compare integer values only when comparisonOperators is on.
//
// Written out here rather than calling the API method because that one takes a logger and
// logs on every unparsable value; this one never allocates.
func ToleratesTaint(t *corev1.Toleration, taint *corev1.Taint, comparisonOperators bool) bool {
	if len(t.Effect) > 0 && t.Effect != taint.Effect {
		return false
	}
	if len(t.Key) > 0 && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", corev1.TolerationOpEqual:
		return t.Value == taint.Value
	case corev1.TolerationOpExists:
		return true
	case corev1.TolerationOpLt, corev1.TolerationOpGt:
		if !comparisonOperators {
			return false
		}
		tolVal, ok := decimalInt(t.Value)
		if !ok {
			return false
		}
		taintVal, ok := decimalInt(taint.Value)
		if !ok {
			return false
		}
		if t.Operator == corev1.TolerationOpLt {
			return taintVal < tolVal
		}
		return taintVal > tolVal
	default:
		return false
	}
}

// TolerationsTolerateTaint reports whether any of tolerations tolerates taint.
func TolerationsTolerateTaint(tolerations []corev1.Toleration, taint *corev1.Taint, comparisonOperators bool) bool {
	for i := range tolerations {
		if ToleratesTaint(&tolerations[i], taint, comparisonOperators) {
			return true
		}
	}
	return false
}

// decimalInt parses a value for the Lt/Gt operators: it must pass apimachinery's
// IsDecimalInteger check and fit in an int64, as upstream's compareNumericValues requires.
func decimalInt(s string) (int64, bool) {
	if len(content.IsDecimalInteger(s)) > 0 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// ToleratesDoNotScheduleTaints reports whether tolerations tolerate every NoSchedule and
// NoExecute taint of taints: what TaintToleration's Filter, PodTopologySpread's node inclusion
// and their queueing hints ask (v1helper.FindMatchingUntoleratedTaint with
// DoNotScheduleTaintsFilterFunc). No allocation.
func ToleratesDoNotScheduleTaints(taints []corev1.Taint, tolerations []corev1.Toleration, comparisonOperators bool) bool {
	for i := range taints {
		t := &taints[i]
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !TolerationsTolerateTaint(tolerations, t, comparisonOperators) {
			return false
		}
	}
	return true
}
