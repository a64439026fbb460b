package scenario

import (
	"strconv"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// validatePDB checks a policy/v1 PodDisruptionBudget as the API server does
// (pkg/apis/policy/validation ValidatePodDisruptionBudgetSpec): at most one of minAvailable and
// maxUnavailable, each a non-negative integer or a percentage up to 100%, a selector that
// parses, and a known unhealthyPodEvictionPolicy. A status in the manifest is dropped: the
// engine computes it as the disruption controller does.
func (l *loader) validatePDB(o *object, pdb *policyv1.PodDisruptionBudget) {
	s := &pdb.Spec
	if s.MinAvailable != nil && s.MaxUnavailable != nil {
		l.errAt(o.src, "spec.maxUnavailable", "minAvailable and maxUnavailable cannot be both set; give one")
	}
	l.intOrPercent(o, "spec.minAvailable", s.MinAvailable)
	l.intOrPercent(o, "spec.maxUnavailable", s.MaxUnavailable)
	if _, err := metav1.LabelSelectorAsSelector(s.Selector); err != nil {
		l.errAt(o.src, "spec.selector", "%v", err)
	}
	if p := s.UnhealthyPodEvictionPolicy; p != nil && *p != policyv1.IfHealthyBudget && *p != policyv1.AlwaysAllow {
		l.errAt(o.src, "spec.unhealthyPodEvictionPolicy", "%s is not a policy; allowed: IfHealthyBudget, AlwaysAllow", quoteShort(string(*p)))
	}
	pdb.Status = policyv1.PodDisruptionBudgetStatus{}
}

// intOrPercent checks a count of pods: an integer of 0 or more, or "N%" with N from 0 to 100.
func (l *loader) intOrPercent(o *object, field string, v *intstr.IntOrString) {
	if v == nil {
		return
	}
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			l.errAt(o.src, field, "must be 0 or more, got %d", v.IntVal)
		}
		return
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	switch {
	case !strings.HasSuffix(v.StrVal, "%") || err != nil || n < 0:
		l.errAt(o.src, field, "%s is not a count of pods; want an integer or a percentage such as \"50%%\"", quoteShort(v.StrVal))
	case n > 100:
		l.errAt(o.src, field, "%s is more than 100%%", quoteShort(v.StrVal))
	}
}
