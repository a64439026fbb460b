package sim

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/queue"
)

// Preemption as the engine acts it out: the scheduler (DefaultPreemption) proposes a node and
// victims; the engine, as kube-scheduler's preemption executor and the API server would,
// marks each victim with the DisruptionTarget condition and deletes it gracefully (its owner
// replaces it), clears the nomination of lower-priority pods nominated to that node, and sets
// the preemptor's status.nominatedNodeName. The preemptor waits in the unschedulable pool
// until a victim is gone (an AssignedPod/Delete event its NodeResourcesFit hint accepts), then
// tries its nominated node first. Meanwhile pods of no higher priority leave the nominated room
// alone (the scheduler counts nominated pods while filtering).
//
// The disruption controller is modelled too: before scheduling, each PodDisruptionBudget's
// status is computed from the pods it selects, as pkg/controller/disruption does.

// postFilter acts on what the scheduler's PostFilter decided for the pod p that fits nowhere.
func (s *Simulation) postFilter(p *Pod, pf *framework.PostFilterResult) {
	if !pf.Nominate {
		return
	}
	s.setNomination(p, pf.NominatedNode)
	if pf.NominatedNode == "" || len(pf.Victims) == 0 {
		return
	}
	node := s.nodeByName[pf.NominatedNode]
	// Executor.prepareCandidate: pods of lower priority nominated to the node may no longer
	// fit there; they lose their nomination and look again.
	for _, lp := range pf.ClearNominated {
		if q := s.sq.nominated[string(lp.UID)]; q != nil {
			s.setNomination(q, "")
		}
	}
	byUID := make(map[string]*Pod, len(node.pods))
	for _, q := range node.pods {
		byUID[string(q.Obj.UID)] = q
	}
	var victims []*Pod
	var names []string
	for _, v := range pf.Victims {
		if q := byUID[string(v.UID)]; q != nil {
			victims = append(victims, q)
			names = append(names, "pod/"+q.Obj.Namespace+"/"+q.Obj.Name)
		}
	}
	note := ""
	if pf.NumPDBViolations > 0 {
		note = fmt.Sprintf(" (%d PodDisruptionBudget violation(s))", pf.NumPDBViolations)
	}
	s.logf("preempt", "pod/"+p.Obj.Namespace+"/"+p.Obj.Name, "nominated to %s, preempting %s%s",
		pf.NominatedNode, strings.Join(names, ", "), note)
	for _, v := range victims {
		// Executor.PreemptPod: the DisruptionTarget condition, then a graceful delete.
		v.Obj.Status.Conditions = append(v.Obj.Status.Conditions, corev1.PodCondition{
			Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: corev1.PodReasonPreemptionByScheduler,
			Message:            fmt.Sprintf("%s: preempting to accommodate a higher priority pod", p.Obj.Spec.SchedulerName),
			LastTransitionTime: apiTime(s.now),
		})
		s.deletePod(v)
		s.res.Pods.Preempted++
		s.reconcile(v.Owner)
	}
	s.sq.pdbsStale = true
}

// setNomination sets p's status.nominatedNodeName ("" clears it), in the pod, the scheduler's
// snapshot and the queue. Losing a nomination frees the room it held for the pods of no higher
// priority, as upstream treats a pod with a nominated node as assigned to it.
func (s *Simulation) setNomination(p *Pod, node string) {
	old := p.Obj
	if old.Status.NominatedNodeName == node {
		return
	}
	cur := old.DeepCopy() // the snapshot and the queue keep the old object unchanged
	cur.Status.NominatedNodeName = node
	p.Obj = cur
	s.snap.NominatePod(cur)
	if node == "" {
		delete(s.sq.nominated, string(cur.UID))
	} else {
		s.sq.nominated[string(cur.UID)] = p
	}
	s.sq.q.Update(p, cur, s.now)
	if old.Status.NominatedNodeName != "" {
		s.clusterEvent(queue.AssignedPodDeleted(old), lowerOrEqual(corev1helpers.PodPriority(old)))
	}
}

// ---- the disruption controller

// pdbState is one PodDisruptionBudget of the scenario and the status last computed for it.
type pdbState struct {
	spec *policyv1.PodDisruptionBudget
	// sel is what the disruption controller selects with: policy/v1 makes an empty selector
	// select every pod of the namespace and a missing one none.
	sel labels.Selector
	cur *policyv1.PodDisruptionBudget // as last given to the snapshot
}

func (s *Simulation) initPDBs() {
	for _, pdb := range s.sc.PodDisruptionBudgets {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			sel = labels.Nothing() // the loader rejects such a selector
		}
		s.sq.pdbs = append(s.sq.pdbs, &pdbState{spec: pdb, sel: sel})
	}
	s.sq.pdbsStale = true
}

// refreshPDBs recomputes every PDB's status, if pods may have changed since, and gives the
// changed ones to the snapshot. Cost: O(PDBs × owners in their namespace + the pods they select).
func (s *Simulation) refreshPDBs() {
	if !s.sq.pdbsStale || len(s.sq.pdbs) == 0 {
		return
	}
	s.sq.pdbsStale = false
	for _, st := range s.sq.pdbs {
		status := s.pdbStatus(st)
		if st.cur != nil && equality.Semantic.DeepEqual(st.cur.Status, status) {
			continue
		}
		c := st.spec.DeepCopy()
		c.Status = status
		st.cur = c
		s.snap.UpsertPDB(c)
	}
}

// pdbStatus is the disruption controller's trySync for one PDB (pkg/controller/disruption
// disruption.go: getExpectedPodCount, countHealthyPods, updatePdbStatus): the pods it selects,
// the healthy ones (ready and not being deleted), the number it wants healthy, and
// disruptionsAllowed = healthy − desired when positive and some pod is expected. With
// maxUnavailable or a percentage, the expected count is the scale of the pods' controllers; a
// Job or DaemonSet has none, and the controller then allows no disruption (failSafe); a bare
// pod has no controller and counts for nothing.
func (s *Simulation) pdbStatus(st *pdbState) policyv1.PodDisruptionBudgetStatus {
	spec := &st.spec.Spec
	var total, healthy, scale int32
	scaleOK := true
	for _, o := range s.owners {
		if o.Namespace != st.spec.Namespace || len(o.Pods) == 0 {
			continue
		}
		lbls := o.Template.Labels
		if o.podLabels != nil {
			lbls = o.podLabels
		}
		if !st.sel.Matches(labels.Set(lbls)) {
			continue
		}
		for _, p := range o.Pods {
			total++
			if !p.Deleting && p.apiReady() {
				healthy++
			}
		}
		switch o.Kind {
		case KindDeployment:
			scale += o.Replicas
		case KindPod:
			// unmanaged: left out of the expected count
		default:
			scaleOK = false
		}
	}
	var expected, desired int32
	failed := false
	switch {
	case spec.MaxUnavailable != nil:
		expected, failed = scale, !scaleOK
		maxUnavailable, err := intstr.GetScaledValueFromIntOrPercent(spec.MaxUnavailable, int(expected), true)
		failed = failed || err != nil
		desired = max(expected-int32(maxUnavailable), 0)
	case spec.MinAvailable != nil && spec.MinAvailable.Type == intstr.Int:
		desired, expected = spec.MinAvailable.IntVal, total
	case spec.MinAvailable != nil:
		expected, failed = scale, !scaleOK
		minAvailable, err := intstr.GetScaledValueFromIntOrPercent(spec.MinAvailable, int(expected), true)
		failed = failed || err != nil
		desired = int32(minAvailable)
	}
	out := policyv1.PodDisruptionBudgetStatus{ObservedGeneration: st.spec.Generation}
	if failed {
		return out // failSafe: no disruption allowed
	}
	out.CurrentHealthy, out.DesiredHealthy, out.ExpectedPods = healthy, desired, expected
	if allowed := healthy - desired; expected > 0 && allowed > 0 {
		out.DisruptionsAllowed = allowed
	}
	return out
}
