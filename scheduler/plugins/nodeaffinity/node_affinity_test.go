package nodeaffinity

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

const (
	in           = corev1.NodeSelectorOpIn
	notIn        = corev1.NodeSelectorOpNotIn
	exists       = corev1.NodeSelectorOpExists
	doesNotExist = corev1.NodeSelectorOpDoesNotExist
	gt           = corev1.NodeSelectorOpGt
	lt           = corev1.NodeSelectorOpLt
)

func nameIn(names ...string) corev1.NodeSelectorRequirement {
	return st.Expr(metav1.ObjectNameField, in, names...)
}

// runFilter runs PreFilter and, unless it skipped, Filter; skipped means the node passes.
func runFilter(t *testing.T, pod *corev1.Pod, node *corev1.Node) *framework.Status {
	t.Helper()
	pl := &NodeAffinity{}
	state, pi := framework.NewCycleState(), framework.NewPodInfo(pod)
	if _, st := pl.PreFilter(state, pi, nil); st.IsSkip() {
		return nil
	} else if !st.IsSuccess() {
		return st
	}
	return pl.Filter(state, pi, framework.NewNodeInfo(node))
}

// Cases in the spirit of upstream's node_affinity_test.go TestNodeAffinity.
func TestFilter(t *testing.T) {
	node := st.MakeNode("node1").Label("foo", "bar").Label("gen", "5").Obj()
	tests := []struct {
		name string
		pod  *corev1.Pod
		node *corev1.Node
		want bool
	}{
		{name: "no selector, no affinity", pod: st.MakePod("p").Obj(), want: true},
		{name: "nodeSelector matches", pod: st.MakePod("p").NodeSelector("foo", "bar").Obj(), want: true},
		{name: "nodeSelector value differs", pod: st.MakePod("p").NodeSelector("foo", "baz").Obj()},
		{name: "nodeSelector label missing", pod: st.MakePod("p").NodeSelector("baz", "bar").Obj()},
		{
			name: "empty nodeSelector matches everything",
			pod:  func() *corev1.Pod { p := st.MakePod("p").Obj(); p.Spec.NodeSelector = map[string]string{}; return p }(),
			want: true,
		},
		{name: "In", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", in, "value1", "bar"))).Obj(), want: true},
		{name: "In, no value matches", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", in, "value1", "value2"))).Obj()},
		{name: "NotIn a value the node lacks", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", notIn, "baz"))).Obj(), want: true},
		{name: "NotIn the node's value", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", notIn, "bar"))).Obj()},
		{name: "NotIn a label the node lacks", pod: st.MakePod("p").Required(st.Term(st.Expr("kernel", notIn, "x"))).Obj(), want: true},
		{name: "Exists", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", exists))).Obj(), want: true},
		{name: "DoesNotExist", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", doesNotExist))).Obj()},
		{name: "Gt", pod: st.MakePod("p").Required(st.Term(st.Expr("gen", gt, "4"))).Obj(), want: true},
		{name: "Gt, equal is not greater", pod: st.MakePod("p").Required(st.Term(st.Expr("gen", gt, "5"))).Obj()},
		{name: "Lt", pod: st.MakePod("p").Required(st.Term(st.Expr("gen", lt, "6"))).Obj(), want: true},
		{name: "Lt on a non-integer label", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", lt, "6"))).Obj()},
		{
			name: "expressions of a term are ANDed",
			pod:  st.MakePod("p").Required(st.Term(st.Expr("foo", in, "bar"), st.Expr("gen", gt, "7"))).Obj(),
		},
		{
			name: "terms are ORed",
			pod: st.MakePod("p").Required(st.Term(st.Expr("foo", in, "nope"))).
				Required(st.Term(st.Expr("gen", in, "5"))).Obj(),
			want: true,
		},
		{
			name: "nodeSelector and affinity must both match",
			pod:  st.MakePod("p").NodeSelector("foo", "bar").Required(st.Term(st.Expr("gen", in, "6"))).Obj(),
		},
		{name: "an empty term matches nothing", pod: st.MakePod("p").Required(corev1.NodeSelectorTerm{}).Obj()},
		{
			name: "an empty term beside a matching one",
			pod:  st.MakePod("p").Required(corev1.NodeSelectorTerm{}).Required(st.Term(st.Expr("foo", exists))).Obj(),
			want: true,
		},
		{
			name: "no terms at all matches nothing",
			pod: func() *corev1.Pod {
				p := st.MakePod("p").Obj()
				p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{}}}
				return p
			}(),
		},
		{
			name: "an invalid term (In without values) matches nothing, others still can",
			pod: st.MakePod("p").Required(st.Term(st.Expr("foo", in))).
				Required(st.Term(st.Expr("foo", exists))).Obj(),
			want: true,
		},
		{name: "an invalid term alone", pod: st.MakePod("p").Required(st.Term(st.Expr("foo", in))).Obj()},
		{name: "Gt needs an integer", pod: st.MakePod("p").Required(st.Term(st.Expr("gen", gt, "four"))).Obj()},
		{name: "matchFields metadata.name In", pod: st.MakePod("p").Required(st.FieldTerm(nameIn("node1"))).Obj(), want: true},
		{name: "matchFields another name", pod: st.MakePod("p").Required(st.FieldTerm(nameIn("node2"))).Obj()},
		{
			name: "matchFields NotIn",
			pod:  st.MakePod("p").Required(st.FieldTerm(st.Expr(metav1.ObjectNameField, notIn, "node2"))).Obj(),
			want: true,
		},
		{
			name: "matchFields with two values is invalid",
			pod:  st.MakePod("p").Required(st.FieldTerm(nameIn("node1", "node2"))).Obj(),
		},
		{
			name: "matchFields and matchExpressions in one term are ANDed",
			pod: st.MakePod("p").Required(corev1.NodeSelectorTerm{
				MatchExpressions: []corev1.NodeSelectorRequirement{st.Expr("foo", in, "bar")},
				MatchFields:      []corev1.NodeSelectorRequirement{nameIn("node1")},
			}).Obj(),
			want: true,
		},
		{
			name: "a field other than metadata.name reads as empty",
			pod:  st.MakePod("p").Required(st.FieldTerm(st.Expr("spec.unschedulable", in, ""))).Obj(),
			want: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := node
			if tc.node != nil {
				n = tc.node
			}
			got := runFilter(t, tc.pod, n)
			if got.IsSuccess() != tc.want {
				t.Fatalf("passes = %v, want %v (%q)", got.IsSuccess(), tc.want, got.Reasons())
			}
			if !tc.want && (got.Code() != framework.UnschedulableAndUnresolvable || got.Message() != ErrReasonPod) {
				t.Errorf("status = %v %q, want UnschedulableAndUnresolvable %q", got.Code(), got.Message(), ErrReasonPod)
			}
		})
	}
}

func TestPreFilter(t *testing.T) {
	set := func(names ...string) map[string]struct{} {
		m := map[string]struct{}{}
		for _, n := range names {
			m[n] = struct{}{}
		}
		return m
	}
	tests := []struct {
		name      string
		pod       *corev1.Pod
		wantCode  framework.Code
		wantMsg   string
		wantNames map[string]struct{} // nil: all nodes
	}{
		{name: "nothing to check: skip", pod: st.MakePod("p").Obj(), wantCode: framework.Skip},
		{name: "a nodeSelector: all nodes", pod: st.MakePod("p").NodeSelector("a", "b").Obj()},
		{name: "label terms: all nodes", pod: st.MakePod("p").Required(st.Term(st.Expr("a", exists))).Obj()},
		{name: "a DaemonSet pod: its node", pod: st.MakePod("p").Required(st.FieldTerm(nameIn("n1"))).Obj(), wantNames: set("n1")},
		{
			name:      "names of the terms are united",
			pod:       st.MakePod("p").Required(st.FieldTerm(nameIn("n1"))).Required(st.FieldTerm(nameIn("n2"))).Obj(),
			wantNames: set("n1", "n2"),
		},
		{
			name:      "names within a term are intersected",
			pod:       st.MakePod("p").Required(st.FieldTerm(nameIn("n1", "n2"), nameIn("n2", "n3"))).Obj(),
			wantNames: set("n2"),
		},
		{
			name: "a term without names leaves all nodes",
			pod:  st.MakePod("p").Required(st.FieldTerm(nameIn("n1"))).Required(st.Term(st.Expr("a", exists))).Obj(),
		},
		{
			name:     "names that cannot all hold conflict",
			pod:      st.MakePod("p").Required(st.FieldTerm(nameIn("n1"), nameIn("n2"))).Obj(),
			wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg:  "pod affinity terms conflict",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, got := (&NodeAffinity{}).PreFilter(framework.NewCycleState(), framework.NewPodInfo(tc.pod), nil)
			if got.Code() != tc.wantCode || got.Message() != tc.wantMsg {
				t.Errorf("status = %v %q, want %v %q", got.Code(), got.Message(), tc.wantCode, tc.wantMsg)
			}
			var names map[string]struct{}
			if res != nil {
				names = res.NodeNames
			}
			if d := st.Diff(tc.wantNames, names); d != "" {
				t.Errorf("nodes (-want +got):%s", d)
			}
		})
	}
}

// Cases in the spirit of upstream's TestNodeAffinityPriority: matched preferred weights summed
// and scaled so the best node gets 100.
func TestScore(t *testing.T) {
	label1 := st.Term(st.Expr("foo", in, "bar"))
	label2 := st.Term(st.Expr("key", in, "value"))
	label5 := st.Term(st.Expr("foo", in, "bar"), st.Expr("key", in, "value"), st.Expr("az", in, "az1"))
	nodes := []*corev1.Node{
		st.MakeNode("n1").Label("foo", "bar").Obj(),
		st.MakeNode("n2").Label("key", "value").Obj(),
		st.MakeNode("n3").Label("foo", "bar").Label("key", "value").Label("az", "az1").Obj(),
	}
	tests := []struct {
		name     string
		pod      *corev1.Pod
		want     []int64
		wantCode framework.Code
	}{
		{name: "no preferred terms: skip", pod: st.MakePod("p").Obj(), wantCode: framework.Skip},
		{name: "no node matches", pod: st.MakePod("p").Preferred(2, st.Term(st.Expr("x", exists))).Obj(), want: []int64{0, 0, 0}},
		{name: "one term", pod: st.MakePod("p").Preferred(2, label1).Obj(), want: []int64{100, 0, 100}},
		{
			// n1: 2, n2: 4, n3: 2 + 4 + 5 = 11 → 18, 36, 100
			name: "weights add up and scale to the best",
			pod:  st.MakePod("p").Preferred(2, label1).Preferred(4, label2).Preferred(5, label5).Obj(),
			want: []int64{18, 36, 100},
		},
		{
			name: "a zero weight is ignored",
			pod:  st.MakePod("p").Preferred(0, label1).Preferred(3, label2).Obj(),
			want: []int64{0, 100, 100},
		},
		{
			name:     "an invalid preferred term is an error",
			pod:      st.MakePod("p").Preferred(3, st.Term(st.Expr("foo", in))).Obj(),
			wantCode: framework.Error,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := &NodeAffinity{}
			state, pod := framework.NewCycleState(), framework.NewPodInfo(tc.pod)
			var infos []*framework.NodeInfo
			for _, n := range nodes {
				infos = append(infos, framework.NewNodeInfo(n))
			}
			if st := pl.PreScore(state, pod, infos); st.Code() != tc.wantCode {
				t.Fatalf("PreScore = %v, want %v", st.Code(), tc.wantCode)
			} else if !st.IsSuccess() {
				return
			}
			var got []int64
			for _, n := range infos {
				s, _ := pl.Score(state, pod, n)
				got = append(got, s)
			}
			pl.NormalizeScore(state, pod, infos, got)
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}

func TestFilterDoesNotAllocate(t *testing.T) {
	pl := &NodeAffinity{}
	pod := framework.NewPodInfo(st.MakePod("p").NodeSelector("foo", "bar").
		Required(st.Term(st.Expr("gen", gt, "3"), st.Expr("foo", in, "bar"))).
		Required(st.FieldTerm(st.Expr(metav1.ObjectNameField, notIn, "x"))).Obj())
	state := framework.NewCycleState()
	pl.PreFilter(state, pod, nil)
	node := framework.NewNodeInfo(st.MakeNode("n").Label("foo", "bar").Label("gen", "5").Obj())
	if got := testing.AllocsPerRun(100, func() { pl.Filter(state, pod, node) }); got != 0 {
		t.Errorf("Filter allocates %v times per node", got)
	}
}
