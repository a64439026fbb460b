package sim

import "fmt"

// checkInvariants verifies the cluster's consistency: no node holds more than its allocatable,
// every bound pod is on a live node that lists it, every owner has the pods its controller
// wants. Cost: O(nodes + pods).
func (s *Simulation) checkInvariants() error {
	for _, n := range s.nodes {
		var cpu, mem int64
		for _, p := range n.pods {
			if p.Node != n {
				return fmt.Errorf("pod %s listed on node %s but bound to %v", p.Obj.Name, n.Name, p.Node)
			}
			cpu += p.reqCPU
			mem += p.reqMem
		}
		if cpu != n.reqCPU || mem != n.reqMem {
			return fmt.Errorf("node %s: requested cpu=%dm mem=%d, but its pods add up to cpu=%dm mem=%d", n.Name, n.reqCPU, n.reqMem, cpu, mem)
		}
		if n.Removed && len(n.pods) > 0 {
			return fmt.Errorf("removed node %s still holds %d pods", n.Name, len(n.pods))
		}
		if cpu > n.allocCPU || mem > n.allocMem || int64(len(n.pods)) > n.allocPods {
			return fmt.Errorf("node %s over allocatable: cpu %d/%dm, memory %d/%d, pods %d/%d",
				n.Name, cpu, n.allocCPU, mem, n.allocMem, len(n.pods), n.allocPods)
		}
	}
	live := 0
	for _, o := range s.owners {
		live += len(o.Pods)
		active, serving := 0, 0
		for _, p := range o.Pods {
			if p.serving() {
				serving++
			}
			if p.Owner != o {
				return fmt.Errorf("pod %s listed by %s but owned by %s", p.Obj.Name, o.Key(), p.Owner.Key())
			}
			if p.Node != nil && (p.Node.Removed || s.nodeByName[p.Node.Name] != p.Node) {
				return fmt.Errorf("pod %s bound to removed node %s", p.Obj.Name, p.Node.Name)
			}
			if p.active() {
				active++
			}
		}
		// The cached count is kept across events: every change of a pod's serving must have
		// moved the serving epoch (Simulation.servingChanged).
		if o.epoch != nil && o.servingAt == *o.epoch && o.servingN != serving {
			return fmt.Errorf("%s: cached count of serving pods %d, but %d serve", o.Key(), o.servingN, serving)
		}
		switch o.Kind {
		case KindDeployment:
			if active != int(o.Replicas) {
				return fmt.Errorf("%s: %d active pods, spec.replicas=%d", o.Key(), active, o.Replicas)
			}
		case KindJob:
			if want := min(o.Parallelism, o.Completions-o.Succeeded); active != int(want) {
				return fmt.Errorf("%s: %d active pods, want %d", o.Key(), active, want)
			}
		case KindDaemonSet:
			perNode := map[string]int{}
			for _, p := range o.Pods {
				if p.active() {
					perNode[p.daemonNode]++
					if perNode[p.daemonNode] > 1 {
						return fmt.Errorf("%s: two active pods for node %s", o.Key(), p.daemonNode)
					}
					if p.Node != nil && p.Node.Name != p.daemonNode {
						return fmt.Errorf("%s: pod %s made for %s runs on %s", o.Key(), p.Obj.Name, p.daemonNode, p.Node.Name)
					}
				}
			}
		}
	}
	if live != s.livePods {
		return fmt.Errorf("%d pods listed by owners, %d counted live", live, s.livePods)
	}
	return nil
}
