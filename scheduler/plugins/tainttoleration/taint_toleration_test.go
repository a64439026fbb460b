package tainttoleration

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

const (
	noSchedule = corev1.TaintEffectNoSchedule
	noExecute  = corev1.TaintEffectNoExecute
	preferNo   = corev1.TaintEffectPreferNoSchedule
	equal      = corev1.TolerationOpEqual
	exists     = corev1.TolerationOpExists
)

func newPlugin(t *testing.T, fts framework.Features) *TaintToleration {
	t.Helper()
	pl, err := New(nil, fts)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*TaintToleration)
}

// Cases in the spirit of upstream's taint_toleration_test.go TestTaintTolerationFilter.
func TestFilter(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		node *corev1.Node
		cmp  bool // enable the comparison operators gate
		want bool // passes
	}{
		{
			name: "no tolerations, a NoSchedule taint",
			pod:  st.MakePod("p").Obj(),
			node: st.MakeNode("n").Taint("dedicated", "user1", noSchedule).Obj(),
		},
		{
			name: "tolerated by key, value and effect",
			pod:  st.MakePod("p").Toleration("dedicated", equal, "user1", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("dedicated", "user1", noSchedule).Obj(),
			want: true,
		},
		{
			name: "value differs",
			pod:  st.MakePod("p").Toleration("dedicated", equal, "user2", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("dedicated", "user1", noSchedule).Obj(),
		},
		{
			name: "Exists ignores the value",
			pod:  st.MakePod("p").Toleration("foo", exists, "", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("foo", "bar", noSchedule).Obj(),
			want: true,
		},
		{
			name: "an empty operator means Equal",
			pod:  st.MakePod("p").Toleration("foo", "", "bar", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("foo", "bar", noSchedule).Obj(),
			want: true,
		},
		{
			name: "every taint must be tolerated",
			pod:  st.MakePod("p").Toleration("dedicated", equal, "user2", noSchedule).Toleration("foo", exists, "", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("dedicated", "user2", noSchedule).Taint("foo", "bar", noSchedule).Obj(),
			want: true,
		},
		{
			name: "a different non-empty effect does not tolerate",
			pod:  st.MakePod("p").Toleration("foo", equal, "bar", preferNo).Obj(),
			node: st.MakeNode("n").Taint("foo", "bar", noSchedule).Obj(),
		},
		{
			name: "an empty effect tolerates every effect",
			pod:  st.MakePod("p").Toleration("foo", equal, "bar", "").Obj(),
			node: st.MakeNode("n").Taint("foo", "bar", noSchedule).Obj(),
			want: true,
		},
		{
			name: "NoExecute taints must be tolerated too",
			pod:  st.MakePod("p").Obj(),
			node: st.MakeNode("n").Taint("foo", "bar", noExecute).Obj(),
		},
		{
			name: "PreferNoSchedule taints do not filter",
			pod:  st.MakePod("p").Obj(),
			node: st.MakeNode("n").Taint("dedicated", "user1", preferNo).Obj(),
			want: true,
		},
		{
			name: "an empty key with Exists tolerates everything",
			pod:  st.MakePod("p").Toleration("", exists, "", "").Obj(),
			node: st.MakeNode("n").Taint("a", "1", noSchedule).Taint("b", "2", noExecute).Obj(),
			want: true,
		},
		{
			name: "Gt does not match while the gate is off",
			pod:  st.MakePod("p").Toleration("sla", corev1.TolerationOpGt, "900", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("sla", "950", noSchedule).Obj(),
		},
		{
			name: "Gt matches a larger taint value with the gate on",
			pod:  st.MakePod("p").Toleration("sla", corev1.TolerationOpGt, "900", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("sla", "950", noSchedule).Obj(),
			cmp:  true,
			want: true,
		},
		{
			name: "Lt rejects a larger taint value with the gate on",
			pod:  st.MakePod("p").Toleration("sla", corev1.TolerationOpLt, "900", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("sla", "950", noSchedule).Obj(),
			cmp:  true,
		},
		{
			name: "Gt needs integers",
			pod:  st.MakePod("p").Toleration("sla", corev1.TolerationOpGt, "900", noSchedule).Obj(),
			node: st.MakeNode("n").Taint("sla", "high", noSchedule).Obj(),
			cmp:  true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fts := framework.DefaultFeatures()
			fts.EnableTaintTolerationComparisonOperators = tc.cmp
			got := newPlugin(t, fts).Filter(framework.NewCycleState(), framework.NewPodInfo(tc.pod), framework.NewNodeInfo(tc.node))
			if got.IsSuccess() != tc.want {
				t.Fatalf("passes = %v, want %v (%v)", got.IsSuccess(), tc.want, got.Reasons())
			}
			if !tc.want {
				want := []string{ErrReasonNotMatch}
				if got.Code() != framework.UnschedulableAndUnresolvable || st.Diff(want, got.Reasons()) != "" {
					t.Errorf("status = %v %q, want UnschedulableAndUnresolvable %q", got.Code(), got.Reasons(), want)
				}
			}
		})
	}
}

// Cases of upstream's TestTaintTolerationScore: fewer untolerated PreferNoSchedule taints is
// better, reversed and normalised to [0, 100].
func TestScore(t *testing.T) {
	tests := []struct {
		name  string
		pod   *corev1.Pod
		nodes []*corev1.Node
		want  []int64
	}{
		{
			name: "tolerated taints score higher than untolerated ones",
			pod:  st.MakePod("p").Toleration("foo", equal, "bar", preferNo).Obj(),
			nodes: []*corev1.Node{
				st.MakeNode("a").Taint("foo", "bar", preferNo).Obj(),
				st.MakeNode("b").Taint("foo", "blah", preferNo).Obj(),
			},
			want: []int64{100, 0},
		},
		{
			name: "all taints tolerated score the same, however many",
			pod: st.MakePod("p").Toleration("cpu-type", equal, "arm64", preferNo).
				Toleration("disk-type", equal, "ssd", preferNo).Obj(),
			nodes: []*corev1.Node{
				st.MakeNode("a").Obj(),
				st.MakeNode("b").Taint("cpu-type", "arm64", preferNo).Obj(),
				st.MakeNode("c").Taint("cpu-type", "arm64", preferNo).Taint("disk-type", "ssd", preferNo).Obj(),
			},
			want: []int64{100, 100, 100},
		},
		{
			name: "more untolerated taints score lower",
			pod:  st.MakePod("p").Toleration("foo", equal, "bar", preferNo).Obj(),
			nodes: []*corev1.Node{
				st.MakeNode("a").Obj(),
				st.MakeNode("b").Taint("cpu-type", "arm64", preferNo).Obj(),
				st.MakeNode("c").Taint("cpu-type", "arm64", preferNo).Taint("disk-type", "ssd", preferNo).Obj(),
			},
			want: []int64{100, 50, 0},
		},
		{
			name: "only PreferNoSchedule taints and tolerations with an empty or that effect count",
			pod: st.MakePod("p").Toleration("cpu-type", equal, "arm64", noSchedule).
				Toleration("disk-type", equal, "ssd", "").Obj(),
			nodes: []*corev1.Node{
				st.MakeNode("a").Obj(),
				st.MakeNode("b").Taint("cpu-type", "arm64", noSchedule).Obj(),
				st.MakeNode("c").Taint("cpu-type", "arm64", preferNo).Obj(),
				st.MakeNode("d").Taint("disk-type", "ssd", preferNo).Obj(),
			},
			want: []int64{100, 100, 0, 100},
		},
		{
			name:  "no taints anywhere: all best",
			pod:   st.MakePod("p").Obj(),
			nodes: []*corev1.Node{st.MakeNode("a").Obj(), st.MakeNode("b").Obj()},
			want:  []int64{100, 100},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newPlugin(t, framework.DefaultFeatures())
			state, pod := framework.NewCycleState(), framework.NewPodInfo(tc.pod)
			var nodes []*framework.NodeInfo
			for _, n := range tc.nodes {
				nodes = append(nodes, framework.NewNodeInfo(n))
			}
			if st := pl.PreScore(state, pod, nodes); !st.IsSuccess() {
				t.Fatal(st.AsError())
			}
			var got []int64
			for _, n := range nodes {
				s, _ := pl.Score(state, pod, n)
				got = append(got, s)
			}
			pl.NormalizeScore(state, pod, nodes, got)
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}
