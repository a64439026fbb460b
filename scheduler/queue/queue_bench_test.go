package queue

import (
	"fmt"
	"testing"
)

// BenchmarkMoveAll measures one cluster event against an unschedulable pool of n pods that no
// event moves: the scan, and each rejecting plugin's hint. plugin=NodeResourcesFit takes an
// AssignedPod/Add (which it does not register: no hint runs); plugin=InterPodAffinity takes an
// AssignedPod/Add of a pod its affinity does not select (its hint runs for every pod).
func BenchmarkMoveAll(b *testing.B) {
	for _, plugin := range []string{"NodeResourcesFit", "InterPodAffinity"} {
		for _, n := range []int{100, 1000, 10000} {
			b.Run(fmt.Sprintf("plugin=%s/pods=%d", plugin, n), func(b *testing.B) {
				q := defaultQueue()
				for i := range n {
					p := withCPU(mkPod(fmt.Sprintf("p%d", i), 0), "2")
					p.Labels = map[string]string{"app": "web"}
					q.Add(p.Name, p, 0)
					item, _, _ := q.Pop()
					q.AddUnschedulable(item, []string{plugin}, 0)
				}
				ev := AssignedPodAdded(bound(mkPod("other", 0), "n1"))
				b.ReportAllocs()
				for b.Loop() {
					if q.MoveAllToActiveOrBackoff(ev, sec(60), nil) != 0 {
						b.Fatal("moved a pod")
					}
				}
			})
		}
	}
}
