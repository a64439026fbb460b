package nodeaffinity

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

func newWithArgs(t *testing.T, a Args) *NodeAffinity {
	t.Helper()
	pl, err := New(a, framework.DefaultFeatures())
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*NodeAffinity)
}

// The cases of upstream's node_affinity_test.go that configure addedAffinity.
func TestAddedAffinityFilter(t *testing.T) {
	zoneA := &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{st.Term(st.Expr("zone", in, "a"))},
	}}
	inA := st.MakeNode("a").Label("zone", "a").Label("foo", "bar").Obj()
	inB := st.MakeNode("b").Label("zone", "b").Label("foo", "bar").Obj()
	tests := []struct {
		name        string
		added       *corev1.NodeAffinity
		pod         *corev1.Pod
		node        *corev1.Node
		wantSkip    bool
		wantReasons []string // nil: passes
	}{
		{name: "no added affinity, plain pod: skipped", pod: st.MakePod("p").Obj(), node: inB, wantSkip: true},
		{name: "added affinity matches a plain pod's node", added: zoneA, pod: st.MakePod("p").Obj(), node: inA},
		{name: "added affinity rejects", added: zoneA, pod: st.MakePod("p").Obj(), node: inB, wantReasons: []string{ErrReasonEnforced}},
		{
			name:  "added affinity is checked before the pod's own selector",
			added: zoneA, pod: st.MakePod("p").NodeSelector("foo", "other").Obj(), node: inB,
			wantReasons: []string{ErrReasonEnforced},
		},
		{
			name:  "added affinity passes, pod's selector rejects",
			added: zoneA, pod: st.MakePod("p").NodeSelector("foo", "other").Obj(), node: inA,
			wantReasons: []string{ErrReasonPod},
		},
		{
			name:  "added affinity with only an empty term selects nothing",
			added: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{}}}},
			pod:   st.MakePod("p").Obj(), node: inA, wantReasons: []string{ErrReasonEnforced},
		},
		{
			name:  "only preferred terms added: the filter still skips plain pods",
			added: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: st.Term(st.Expr("zone", in, "a"))}}},
			pod:   st.MakePod("p").Obj(), node: inB, wantSkip: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newWithArgs(t, Args{AddedAffinity: tc.added})
			state, pi := framework.NewCycleState(), framework.NewPodInfo(tc.pod)
			_, pre := pl.PreFilter(state, pi, nil)
			if pre.IsSkip() != tc.wantSkip {
				t.Fatalf("PreFilter skip = %v, want %v", pre.IsSkip(), tc.wantSkip)
			}
			if tc.wantSkip {
				return
			}
			got := pl.Filter(state, pi, framework.NewNodeInfo(tc.node))
			if d := st.Diff(tc.wantReasons, got.Reasons()); d != "" {
				t.Errorf("reasons (-want +got):%s", d)
			}
			if tc.wantReasons != nil && got.Code() != framework.UnschedulableAndUnresolvable {
				t.Errorf("code %v, want UnschedulableAndUnresolvable", got.Code())
			}
		})
	}
}

func TestAddedAffinityScore(t *testing.T) {
	added := &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
		{Weight: 5, Preference: st.Term(st.Expr("zone", in, "a"))},
		{Weight: 0, Preference: st.Term(st.Expr("zone", in, "b"))}, // weight 0: dropped
	}}
	nodes := []*framework.NodeInfo{
		framework.NewNodeInfo(st.MakeNode("a").Label("zone", "a").Obj()),
		framework.NewNodeInfo(st.MakeNode("b").Label("zone", "b").Label("disk", "ssd").Obj()),
	}
	tests := []struct {
		name     string
		added    *corev1.NodeAffinity
		pod      *corev1.Pod
		wantSkip bool
		want     []int64 // raw sums
	}{
		{name: "nothing preferred: skipped", pod: st.MakePod("p").Obj(), wantSkip: true},
		{name: "added terms score a plain pod", added: added, pod: st.MakePod("p").Obj(), want: []int64{5, 0}},
		{
			// a: 5 (added); b: 3 (the pod's own term).
			name: "added and own terms add up", added: added,
			pod:  st.MakePod("p").Preferred(3, st.Term(st.Expr("disk", exists))).Obj(),
			want: []int64{5, 3},
		},
		{
			name:  "added terms all of weight 0: scored, all zero",
			added: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 0, Preference: st.Term(st.Expr("zone", in, "a"))}}},
			pod:   st.MakePod("p").Obj(), want: []int64{0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newWithArgs(t, Args{AddedAffinity: tc.added})
			state, pi := framework.NewCycleState(), framework.NewPodInfo(tc.pod)
			if st := pl.PreScore(state, pi, nodes); st.IsSkip() != tc.wantSkip {
				t.Fatalf("PreScore skip = %v, want %v", st.IsSkip(), tc.wantSkip)
			} else if tc.wantSkip {
				return
			}
			var got []int64
			for _, n := range nodes {
				s, status := pl.Score(state, pi, n)
				if !status.IsSuccess() {
					t.Fatal(status.AsError())
				}
				got = append(got, s)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}

func TestNewRejectsInvalidAddedAffinity(t *testing.T) {
	tests := []struct {
		name    string
		args    any
		wantErr string
	}{
		{name: "wrong args type", args: 42, wantErr: "args must be"},
		{
			name: "In without values",
			args: Args{AddedAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{st.Term(st.Expr("zone", in))},
			}}},
			wantErr: "nodeSelectorTerms[0]",
		},
		{
			name: "invalid preferred term",
			args: &Args{AddedAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
				{Weight: 1, Preference: st.Term(st.Expr("zone", gt, "x"))},
			}}},
			wantErr: "preferredDuringSchedulingIgnoredDuringExecution[0]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.args, framework.DefaultFeatures())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("New error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
