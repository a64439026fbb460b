package sim

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"ksim.dev/ksim/scheduler/plugins/helper"
	"ksim.dev/ksim/scheduler/queue"
	"ksim.dev/ksim/sim/scenario"
)

// The taints the node lifecycle controller puts on nodes (pkg/controller/nodelifecycle).
var (
	taintUnreachableNoExecute  = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	taintUnreachableNoSchedule = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}
	taintUnschedulable         = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
)

// nodeEvent applies one scenario event.
func (s *Simulation) nodeEvent(ev *scenario.NodeEvent) error {
	if ev.Action == "add" {
		if _, dup := s.nodeByName[ev.Node.Name]; dup && !s.nodeByName[ev.Node.Name].Removed {
			return fmt.Errorf("%s: add: node %q already exists", ev.Source, ev.Node.Name)
		}
		n := s.addNode(ev.Node.DeepCopy())
		s.logf("node", "node/"+n.Name, "added")
		s.nodeUpdated(nil, n.Obj)
		s.reconcileDaemonSets()
		return nil
	}
	nodes := s.selectNodes(ev)
	if len(nodes) == 0 {
		return fmt.Errorf("%s: %s: no live node matches at t=%v", ev.Source, ev.Action, s.now)
	}
	for _, n := range nodes {
		switch ev.Action {
		case "fail":
			s.failNode(n)
		case "recover":
			s.recoverNode(n)
		case "remove":
			s.removeNode(n)
		case "cordon":
			s.cordon(n, true)
		case "uncordon":
			s.cordon(n, false)
		case "taint":
			s.setTaint(n, *ev.Taint, true)
		case "untaint":
			s.setTaint(n, *ev.Taint, false)
		default:
			return fmt.Errorf("%s: unknown node action %q", ev.Source, ev.Action)
		}
	}
	return nil
}

// selectNodes returns the live nodes an event names, in the cluster's order.
func (s *Simulation) selectNodes(ev *scenario.NodeEvent) []*Node {
	var out []*Node
	if len(ev.Names) > 0 {
		for _, name := range ev.Names {
			if n := s.nodeByName[name]; n != nil && !n.Removed {
				out = append(out, n)
			}
		}
		return out
	}
	sel := labels.SelectorFromSet(ev.Labels)
	for _, n := range s.nodes {
		if !n.Removed && sel.Matches(labels.Set(n.Obj.Labels)) {
			out = append(out, n)
		}
	}
	return out
}

// failNode stops a node's kubelet: its pods stop serving at once; the API learns of it after
// the node-monitor grace period, when the node lifecycle controller marks the node NotReady,
// taints it unreachable (NoSchedule and NoExecute) and marks its pods not ready.
func (s *Simulation) failNode(n *Node) {
	if !n.Up {
		return
	}
	n.Up = false
	s.servingChanged()
	s.nodeUpChanged()
	s.logf("node", "node/"+n.Name, "failed (kubelet stopped)")
	for _, p := range n.pods {
		if p.Phase == PodReady {
			s.recordReady(p.Owner)
		}
	}
	n.notReadyTimer = s.schedule(s.now+s.sc.Controllers.NodeMonitorGracePeriod, &event{kind: evNodeNotReady, node: n})
}

func (s *Simulation) nodeNotReady(n *Node) {
	s.logf("node", "node/"+n.Name, "NotReady: tainted %s:NoSchedule and :NoExecute", corev1.TaintNodeUnreachable)
	s.servingChanged()
	for _, p := range n.pods {
		p.NotReady = true
		p.Owner.podsChanged()
	}
	n.Obj = n.Obj.DeepCopy()
	n.Obj.Spec.Taints = addTaint(n.Obj.Spec.Taints, taintUnreachableNoSchedule, s.now)
	n.Obj.Spec.Taints = addTaint(n.Obj.Spec.Taints, taintUnreachableNoExecute, s.now)
	s.nodeChanged(n)
	s.taintsChanged(n)
}

// recoverNode brings a failed node back: ready again, the unreachable taints removed, and the
// pods that were not evicted serve again.
func (s *Simulation) recoverNode(n *Node) {
	if n.Up {
		return
	}
	n.Up = true
	s.servingChanged()
	s.nodeUpChanged()
	s.cancel(n.notReadyTimer)
	n.notReadyTimer = nil
	s.logf("node", "node/"+n.Name, "recovered")
	for _, p := range n.pods {
		p.NotReady = false
		p.Owner.podsChanged()
	}
	n.Obj = n.Obj.DeepCopy()
	n.Obj.Spec.Taints = removeTaint(n.Obj.Spec.Taints, taintUnreachableNoSchedule)
	n.Obj.Spec.Taints = removeTaint(n.Obj.Spec.Taints, taintUnreachableNoExecute)
	s.nodeChanged(n)
	s.taintsChanged(n)
	for _, o := range s.owners {
		s.recordReady(o)
	}
}

// removeNode deletes a node. Its pods are deleted with it (the pod garbage collector removes
// pods bound to a node that no longer exists), and their owners replace them.
func (s *Simulation) removeNode(n *Node) {
	s.logf("node", "node/"+n.Name, "removed")
	s.cancel(n.notReadyTimer)
	n.notReadyTimer = nil
	n.Removed = true
	n.result.Removed, n.result.RemovedAt = true, s.now
	n.Up = false
	s.servingChanged()
	s.nodeUpChanged()
	s.snap.RemoveNode(n.Name)
	s.clusterEvent(queue.NodeDeleted(n.Obj), nil)
	for _, p := range sortedPods(n.pods) {
		s.deletePod(p)
		s.podGone(p)
		s.reconcile(p.Owner)
	}
	// A DaemonSet's pod made for the node and still pending goes too.
	for _, o := range s.owners {
		if cur := o.daemonNodes[n.Name]; cur != nil && cur.Node == nil {
			s.deletePod(cur)
		}
	}
	s.reconcileDaemonSets()
}

// cordon sets spec.unschedulable; the node lifecycle controller mirrors it as the
// node.kubernetes.io/unschedulable:NoSchedule taint.
func (s *Simulation) cordon(n *Node, on bool) {
	if n.Obj.Spec.Unschedulable == on {
		return
	}
	n.Obj = n.Obj.DeepCopy()
	n.Obj.Spec.Unschedulable = on
	if on {
		n.Obj.Spec.Taints = addTaint(n.Obj.Spec.Taints, taintUnschedulable, s.now)
		s.logf("node", "node/"+n.Name, "cordoned")
	} else {
		n.Obj.Spec.Taints = removeTaint(n.Obj.Spec.Taints, taintUnschedulable)
		s.logf("node", "node/"+n.Name, "uncordoned")
	}
	s.nodeChanged(n)
}

// setTaint adds or removes a taint (matched by key and effect).
func (s *Simulation) setTaint(n *Node, t corev1.Taint, add bool) {
	n.Obj = n.Obj.DeepCopy()
	if add {
		n.Obj.Spec.Taints = addTaint(n.Obj.Spec.Taints, t, s.now)
		s.logf("node", "node/"+n.Name, "tainted %s", t.ToString())
	} else {
		n.Obj.Spec.Taints = removeTaint(n.Obj.Spec.Taints, t)
		s.logf("node", "node/"+n.Name, "untainted %s", t.ToString())
	}
	s.nodeChanged(n)
	if t.Effect == corev1.TaintEffectNoExecute {
		s.taintsChanged(n)
	}
}

func addTaint(taints []corev1.Taint, t corev1.Taint, now time.Duration) []corev1.Taint {
	for i := range taints {
		if taints[i].MatchTaint(&t) {
			taints[i].Value = t.Value
			return taints
		}
	}
	if t.Effect == corev1.TaintEffectNoExecute {
		ts := apiTime(now)
		t.TimeAdded = &ts
	}
	return append(taints, t)
}

func removeTaint(taints []corev1.Taint, t corev1.Taint) []corev1.Taint {
	out := taints[:0:0]
	for _, x := range taints {
		if !x.MatchTaint(&t) {
			out = append(out, x)
		}
	}
	return out
}

// taintsChanged re-evaluates NoExecute evictions for every pod on n.
func (s *Simulation) taintsChanged(n *Node) {
	for _, p := range sortedPods(n.pods) {
		s.applyNoExecute(p)
	}
}

// applyNoExecute is the taint eviction controller's processPodOnNode
// (pkg/controller/tainteviction/taint_eviction.go): a pod that does not tolerate every NoExecute
// taint of its node is evicted now; one that tolerates them all for a while is evicted when the
// shortest tolerationSeconds runs out, counted from when its eviction was first scheduled; one
// that tolerates them forever stays, and a pending eviction is cancelled.
func (s *Simulation) applyNoExecute(p *Pod) {
	if p.Node == nil || p.Deleting || p.Phase == PodSucceeded || p.Phase == PodTerminated {
		return
	}
	var taints []corev1.Taint
	for _, t := range p.Node.Obj.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			taints = append(taints, t)
		}
	}
	if len(taints) == 0 {
		s.cancelEviction(p)
		return
	}
	minSeconds := int64(-1) // -1: tolerated forever
	for i := range taints {
		var used *corev1.Toleration
		for j := range p.Obj.Spec.Tolerations {
			if helper.ToleratesTaint(&p.Obj.Spec.Tolerations[j], &taints[i], false) {
				used = &p.Obj.Spec.Tolerations[j]
				break
			}
		}
		if used == nil {
			s.cancelEviction(p)
			s.evict(p, fmt.Sprintf("untolerated taint %s", taints[i].ToString()))
			return
		}
		if used.TolerationSeconds != nil {
			sec := max(*used.TolerationSeconds, 0)
			if minSeconds < 0 || sec < minSeconds {
				minSeconds = sec
			}
		}
	}
	if minSeconds < 0 {
		s.cancelEviction(p)
		return
	}
	start := s.now
	trigger := start + time.Duration(minSeconds)*time.Second
	if p.eviction != nil {
		start = p.evictionCreated
		if start+time.Duration(minSeconds)*time.Second < trigger {
			return
		}
		s.cancelEviction(p)
	}
	p.evictionCreated = start
	p.eviction = s.schedule(max(s.now, start+time.Duration(minSeconds)*time.Second), &event{kind: evEvict, pod: p})
}

func (s *Simulation) cancelEviction(p *Pod) {
	s.cancel(p.eviction)
	p.eviction = nil
}

// evict deletes a pod for a NoExecute taint; its owner replaces it.
func (s *Simulation) evict(p *Pod, why string) {
	s.res.Pods.Evicted++
	s.logf("evict", "pod/"+p.Obj.Namespace+"/"+p.Obj.Name, "evicted from %s: %s", p.Node.Name, why)
	s.deletePod(p)
	s.reconcile(p.Owner)
}
