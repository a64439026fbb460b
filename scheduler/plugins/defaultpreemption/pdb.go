package defaultpreemption

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"ksim.dev/ksim/scheduler/framework"
)

// PDB is a PodDisruptionBudget with its selector parsed once.
type PDB struct {
	Obj *policyv1.PodDisruptionBudget
	// Selector is nil when the PDB selects nothing: no selector, an empty one, or one that does
	// not parse (upstream: "A PDB with a nil or empty selector matches nothing").
	Selector labels.Selector
}

// NewPDBs parses the PDBs' selectors, keeping their order. Cost: O(selector terms).
func NewPDBs(in []*policyv1.PodDisruptionBudget) []PDB {
	out := make([]PDB, len(in))
	for i, p := range in {
		out[i].Obj = p
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err == nil && !sel.Empty() {
			out[i].Selector = sel
		}
	}
	return out
}

// FilterVictimsWithPDBViolation is upstream's rule of the same name for single pods: walking
// the victims in order, each PDB of the victim's namespace that selects it (and does not already
// list it in status.disruptedPods) spends one of its status.disruptionsAllowed; a victim that
// takes a PDB below zero violates it. A pod without labels violates nothing. The budgets are
// spent across the victims of one call only.
func FilterVictimsWithPDBViolation(victims []*framework.PodInfo, pdbs []PDB) (violating, nonViolating []*framework.PodInfo) {
	allowed := make([]int32, len(pdbs))
	for i := range pdbs {
		allowed[i] = pdbs[i].Obj.Status.DisruptionsAllowed
	}
	for _, v := range victims {
		if podViolates(v, pdbs, allowed) {
			violating = append(violating, v)
		} else {
			nonViolating = append(nonViolating, v)
		}
	}
	return violating, nonViolating
}

// podViolates spends the budgets of the PDBs that select the pod, in order, and reports
// whether one went below zero; as upstream, it stops at that PDB.
func podViolates(v *framework.PodInfo, pdbs []PDB, allowed []int32) bool {
	pod := v.Pod
	if len(pod.Labels) == 0 {
		return false
	}
	for i := range pdbs {
		p := &pdbs[i]
		if p.Selector == nil || p.Obj.Namespace != pod.Namespace || !p.Selector.Matches(labels.Set(pod.Labels)) {
			continue
		}
		// A pod the disruption controller already counts as disrupted spends nothing.
		if _, ok := p.Obj.Status.DisruptedPods[pod.Name]; ok {
			continue
		}
		allowed[i]--
		if allowed[i] < 0 {
			return true
		}
	}
	return false
}
