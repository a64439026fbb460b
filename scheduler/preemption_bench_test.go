package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

// BenchmarkPreemption measures one ScheduleWithPreemption of a pod that fits nowhere on a full
// cluster of n nodes (4 cpu, four 1-cpu pods each, priorities 0 to 3, distinct start times): the
// filter pass, then DefaultPreemption's dry run on max(10% of the nodes, 100) of them. The
// victims are not deleted, so every iteration decides the same.
func BenchmarkPreemption(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			snap := NewSnapshot()
			start := time.Unix(0, 0)
			for i := range n {
				node := st.MakeNode(fmt.Sprintf("node-%05d", i)).Zone(fmt.Sprintf("zone-%d", i%3)).Alloc("cpu", "4", "memory", "16Gi").Obj()
				snap.UpsertNode(node)
				for j := range 4 {
					p := st.MakePod(fmt.Sprintf("%s-p%d", node.Name, j)).Node(node.Name).Labels("app", fmt.Sprint(j)).
						Req(st.Res("cpu", "1", "memory", "1Gi")).Obj()
					start = start.Add(time.Second)
					p.Status.StartTime = &metav1.Time{Time: start}
					p.Spec.Priority = new(int32(j))
					snap.AddPod(p)
				}
			}
			pod := st.MakePod("preemptor").Req(st.Res("cpu", "2", "memory", "1Gi")).Obj()
			pod.Spec.Priority = new(int32(100))
			s, err := New(Config{}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				r := s.ScheduleWithPreemption(snap, pod, false)
				if r.PostFilter == nil || len(r.PostFilter.Victims) != 2 {
					b.Fatalf("no preemption: %+v %s", r.PostFilter, r.Reason)
				}
			}
		})
	}
}

// BenchmarkNominatedFilter measures Schedule of a pod while other pods are nominated to a tenth
// of the nodes: those nodes are filtered with and without them.
func BenchmarkNominatedFilter(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			snap, pods := benchCluster(n)
			for i := 0; i < n; i += 10 {
				p := st.MakePod(fmt.Sprintf("nom-%d", i)).Req(st.Res("cpu", "1")).Obj()
				p.Spec.Priority = new(int32(10))
				p.Status.NominatedNodeName = fmt.Sprintf("node-%05d", i)
				snap.NominatePod(p)
			}
			s, err := New(Config{}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if r := s.Schedule(snap, pods[i%len(pods)], false); r.Node == "" {
					b.Fatalf("unschedulable: %s", r.Reason)
				}
				i++
			}
		})
	}
}
