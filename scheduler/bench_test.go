package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

// benchCluster is n nodes in three zones with mixed sizes, labels and taints, a quarter of
// them half full and a few cordoned, and a mix of pods to place on it.
func benchCluster(n int) (*Snapshot, []*corev1.Pod) {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	snap := NewSnapshot()
	for i := range n {
		w := st.MakeNode(fmt.Sprintf("node-%05d", i)).Zone(fmt.Sprintf("zone-%d", i%3)).
			Alloc("cpu", []string{"4", "8", "16"}[r.IntN(3)], "memory", []string{"16Gi", "32Gi", "64Gi"}[r.IntN(3)]).
			Label("tier", []string{"web", "batch"}[r.IntN(2)])
		if r.IntN(4) == 0 {
			w.Label("disk", "ssd")
		}
		if r.IntN(10) == 0 {
			w.Taint("dedicated", "gpu", corev1.TaintEffectNoSchedule)
		}
		if r.IntN(8) == 0 {
			w.Taint("spot", "", corev1.TaintEffectPreferNoSchedule)
		}
		if r.IntN(50) == 0 {
			w.Unschedulable()
		}
		node := w.Obj()
		snap.UpsertNode(node)
		if r.IntN(4) == 0 {
			for j := range 4 {
				snap.AddPod(st.MakePod(fmt.Sprintf("%s-p%d", node.Name, j)).Node(node.Name).
					Req(st.Res("cpu", "500m", "memory", "2Gi")).Obj())
			}
		}
	}
	pods := []*corev1.Pod{
		st.MakePod("web").Req(st.Res("cpu", "250m", "memory", "512Mi")).Obj(),
		st.MakePod("batch").Req(st.Res("cpu", "2", "memory", "4Gi")).NodeSelector("tier", "batch").
			Toleration("spot", corev1.TolerationOpExists, "", corev1.TaintEffectPreferNoSchedule).Obj(),
		st.MakePod("db").Req(st.Res("cpu", "1", "memory", "8Gi")).
			Required(st.Term(st.Expr("tier", corev1.NodeSelectorOpIn, "web", "batch"))).
			Preferred(50, st.Term(st.Expr("disk", corev1.NodeSelectorOpIn, "ssd"))).Obj(),
		st.MakePod("besteffort").Req(nil).Obj(),
	}
	return snap, pods
}

// BenchmarkSchedule measures one placement decision (the pod is not bound, so the cluster stays
// the same) with the default profile and adaptive percentageOfNodesToScore.
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			snap, pods := benchCluster(n)
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
