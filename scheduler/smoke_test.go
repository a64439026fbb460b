package scheduler

import (
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

func TestSmoke(t *testing.T) {
	snap := NewSnapshot()
	snap.UpsertNode(st.MakeNode("a").Zone("z1").Alloc("cpu", "4", "memory", "8Gi").Obj())
	snap.UpsertNode(st.MakeNode("b").Zone("z2").Alloc("cpu", "4", "memory", "8Gi").Taint("k", "v", corev1.TaintEffectNoSchedule).Obj())
	snap.UpsertNode(st.MakeNode("c").Zone("z1").Alloc("cpu", "2", "memory", "8Gi").Obj())
	s, err := New(Config{}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Schedule(snap, st.MakePod("p").Req(st.Res("cpu", "1")).Obj(), true)
	t.Logf("%+v", r)
	for _, n := range r.Explanation.Nodes {
		t.Logf("%+v", n)
	}
	r = s.Schedule(snap, st.MakePod("p").Req(st.Res("cpu", "3")).Obj(), false)
	t.Logf("%+v", r)
}
