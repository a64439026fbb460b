package podtopologyspread

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

const zoneKey = corev1.LabelTopologyZone

// spreadCluster is five nodes: a1, a2 in zone a, b1 in b, c1 in c, and x without a zone, and
// pods labelled app=web: two on a1, one on a2, one on b1; plus pods that must not count: one
// of another app, one in another namespace, one being deleted.
func spreadNodes(mod func(name string, w *st.NodeWrapper)) []*corev1.Node {
	var out []*corev1.Node
	for _, n := range []struct{ name, zone string }{{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"c1", "c"}, {"x", ""}} {
		w := st.MakeNode(n.name)
		if n.zone != "" {
			w.Zone(n.zone)
		}
		if mod != nil {
			mod(n.name, w)
		}
		out = append(out, w.Obj())
	}
	return out
}

func spreadPods(extra ...*corev1.Pod) []*corev1.Pod {
	web := func(name, node, ver string) *corev1.Pod {
		return st.MakePod(name).Labels("app", "web", "ver", ver).Node(node).Obj()
	}
	pods := []*corev1.Pod{
		web("w1", "a1", "v1"), web("w2", "a1", "v2"), web("w3", "a2", "v1"), web("w4", "b1", "v1"),
		st.MakePod("other").Labels("app", "db").Node("c1").Obj(),
		st.MakePod("elsewhere").Namespace("team").Labels("app", "web").Node("c1").Obj(),
		st.MakePod("leaving").Labels("app", "web").Node("c1").Terminating().Obj(),
	}
	return append(pods, extra...)
}

func hard(key string, maxSkew int32, sel *metav1.LabelSelector) corev1.TopologySpreadConstraint {
	return corev1.TopologySpreadConstraint{MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: sel}
}

func TestFilter(t *testing.T) {
	const skew, missing = ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch
	honor, ignore := corev1.NodeInclusionPolicyHonor, corev1.NodeInclusionPolicyIgnore
	tests := []struct {
		name  string
		nodes func(string, *st.NodeWrapper)
		extra []*corev1.Pod
		pod   *corev1.Pod
		want  []string // a1 a2 b1 c1 x
	}{
		{
			name: "no constraints: skip", pod: st.MakePod("p").Labels("app", "web").Obj(),
			want: []string{"skip", "skip", "skip", "skip", "skip"},
		},
		{
			// zones a:3 b:1 c:0, min 0: a 3+1, b 1+1 exceed 1; x has no zone.
			name: "zone maxSkew 1", pod: st.MakePod("p").Labels("app", "web").Spread(hard(zoneKey, 1, st.Selector("app", "web"))).Obj(),
			want: []string{skew, skew, skew, "", missing},
		},
		{
			name: "maxSkew 2 admits b", pod: st.MakePod("p").Labels("app", "web").Spread(hard(zoneKey, 2, st.Selector("app", "web"))).Obj(),
			want: []string{skew, skew, "", "", missing},
		},
		{
			// A matching pod on c1 lifts the minimum to 1: b 1+1−1 = 1 fits.
			name: "the minimum rises", extra: []*corev1.Pod{st.MakePod("w5").Labels("app", "web").Node("c1").Obj()},
			pod:  st.MakePod("p").Labels("app", "web").Spread(hard(zoneKey, 1, st.Selector("app", "web"))).Obj(),
			want: []string{skew, skew, "", "", missing},
		},
		{
			// Three eligible domains, fewer than minDomains 4: the minimum counts as 0.
			name: "minDomains above the domains", extra: []*corev1.Pod{st.MakePod("w5").Labels("app", "web").Node("c1").Obj()},
			pod: st.MakePod("p").Labels("app", "web").Spread(func() corev1.TopologySpreadConstraint {
				c := hard(zoneKey, 1, st.Selector("app", "web"))
				c.MinDomains = new(int32(4))
				return c
			}()).Obj(),
			want: []string{skew, skew, skew, skew, missing},
		},
		{
			// The pod does not match its own selector: no +1.
			name: "no self match", pod: st.MakePod("p").Labels("app", "api").Spread(hard(zoneKey, 1, st.Selector("app", "web"))).Obj(),
			want: []string{skew, skew, "", "", missing},
		},
		{
			// With matchLabelKeys [ver] and ver=v2 only w2 (on a1) counts: a 1, b 0, c 0.
			name: "matchLabelKeys", pod: st.MakePod("p").Labels("app", "web", "ver", "v2").Spread(func() corev1.TopologySpreadConstraint {
				c := hard(zoneKey, 1, st.Selector("app", "web"))
				c.MatchLabelKeys = []string{"ver"}
				return c
			}()).Obj(),
			want: []string{skew, skew, "", "", missing},
		},
		{
			// An empty selector selects everything, yet upstream counts no pod with it; the pod
			// still matches itself.
			name: "empty selector counts nothing", pod: st.MakePod("p").Spread(hard(zoneKey, 1, &metav1.LabelSelector{})).Obj(),
			want: []string{"", "", "", "", missing},
		},
		{
			// c1 tainted and not tolerated: with nodeTaintsPolicy Honor zone c is no domain, the
			// minimum is b's 1, and b fits; with Ignore it counts and b does not.
			name:  "nodeTaintsPolicy Honor",
			nodes: func(n string, w *st.NodeWrapper) { taintC(n, w) },
			pod: st.MakePod("p").Labels("app", "web").Spread(func() corev1.TopologySpreadConstraint {
				c := hard(zoneKey, 1, st.Selector("app", "web"))
				c.NodeTaintsPolicy = &honor
				return c
			}()).Obj(),
			want: []string{skew, skew, "", "", missing},
		},
		{
			name:  "nodeTaintsPolicy Ignore (the default)",
			nodes: func(n string, w *st.NodeWrapper) { taintC(n, w) },
			pod:   st.MakePod("p").Labels("app", "web").Spread(hard(zoneKey, 1, st.Selector("app", "web"))).Obj(),
			want:  []string{skew, skew, skew, "", missing},
		},
		{
			// The pod may only go to zones a and b: with nodeAffinityPolicy Honor (the
			// default) c is no domain and the minimum is 1.
			name: "nodeAffinityPolicy Honor", pod: st.MakePod("p").Labels("app", "web").
				Required(st.Term(st.Expr(zoneKey, corev1.NodeSelectorOpIn, "a", "b"))).
				Spread(hard(zoneKey, 1, st.Selector("app", "web"))).Obj(),
			want: []string{skew, skew, "", "", missing},
		},
		{
			name: "nodeAffinityPolicy Ignore", pod: st.MakePod("p").Labels("app", "web").
				Required(st.Term(st.Expr(zoneKey, corev1.NodeSelectorOpIn, "a", "b"))).
				Spread(func() corev1.TopologySpreadConstraint {
					c := hard(zoneKey, 1, st.Selector("app", "web"))
					c.NodeAffinityPolicy = &ignore
					return c
				}()).Obj(),
			want: []string{skew, skew, skew, "", missing},
		},
		{
			// hostname: a1 2, a2 1, b1 1, c1 0, x 0; min 0.
			name: "hostname", pod: st.MakePod("p").Labels("app", "web").Spread(hard(corev1.LabelHostname, 1, st.Selector("app", "web"))).Obj(),
			want: []string{skew, skew, skew, "", ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes := st.Cluster(spreadNodes(tc.nodes), spreadPods(tc.extra...)...)
			pl, err := New(nil, framework.DefaultFeatures())
			if err != nil {
				t.Fatal(err)
			}
			st0, got := st.Filter(pl, c, tc.pod, nodes)
			if st0 != nil {
				t.Fatal(st0)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("reasons a1 a2 b1 c1 x (-want +got):%s", d)
			}
		})
	}
}

func taintC(name string, w *st.NodeWrapper) {
	if name == "c1" {
		w.Taint("dedicated", "x", corev1.TaintEffectNoSchedule)
	}
}

func TestScore(t *testing.T) {
	soft := func(key string) corev1.TopologySpreadConstraint {
		return corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: key, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: st.Selector("app", "web")}
	}
	tests := []struct {
		name     string
		pod      *corev1.Pod
		services []*corev1.Service
		rs       []*appsv1.ReplicaSet
		want     []int64 // a1 a2 b1 c1 x; nil: skipped
	}{
		{name: "no soft constraints, no Service or controller", pod: st.MakePod("p").Labels("app", "web").Obj()},
		{
			// Five scored nodes: weight ln 7; raw round(count × 1.946): 4 2 2 0 0; normalised
			// 100 × (4 + 0 − raw) / 4.
			name: "hostname", pod: st.MakePod("p").Labels("app", "web").Spread(soft(corev1.LabelHostname)).Obj(),
			want: []int64{0, 50, 50, 100, 100},
		},
		{
			// x lacks the zone and is ignored (0); three zones, weight ln 5; raw round(count ×
			// 1.609): a 5, b 2, c 0; normalised 100 × (5 − raw) / 5.
			name: "zone", pod: st.MakePod("p").Labels("app", "web").Spread(soft(zoneKey)).Obj(),
			want: []int64{0, 0, 60, 100, 0},
		},
		{
			// The system defaults through a Service selecting app=web: hostname (maxSkew 3,
			// weight ln 7) and zone (maxSkew 5; x's missing zone is a fourth domain, weight
			// ln 6), x not ignored: raw 15 13 10 6 2; normalised 100 × (15 + 2 − raw) / 15.
			name: "system defaults by Service", pod: st.MakePod("p").Labels("app", "web").Obj(),
			services: []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}},
			want:     []int64{13, 26, 46, 73, 100},
		},
		{
			name: "system defaults by ReplicaSet", pod: st.MakePod("p").Labels("app", "web").Owner("apps/v1", "ReplicaSet", "web").Obj(),
			rs:   []*appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: appsv1.ReplicaSetSpec{Selector: st.Selector("app", "web")}}},
			want: []int64{13, 26, 46, 73, 100},
		},
		{
			name: "a ReplicaSet not known gives no selector", pod: st.MakePod("p").Labels("app", "web").Owner("apps/v1", "ReplicaSet", "gone").Obj(),
			rs: []*appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: appsv1.ReplicaSetSpec{Selector: st.Selector("app", "web")}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes := st.Cluster(spreadNodes(nil), spreadPods()...)
			for _, s := range tc.services {
				c.UpsertService(s)
			}
			for _, rs := range tc.rs {
				c.UpsertReplicaSet(rs)
			}
			pl, _ := New(nil, framework.DefaultFeatures())
			st0, got := st.Score(pl, c, tc.pod, nodes)
			if st0 != nil {
				t.Fatal(st0)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores a1 a2 b1 c1 x (-want +got):%s", d)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		args Args
		want string // a substring of the error, "" for none
	}{
		{name: "defaults", args: DefaultArgs()},
		{name: "zero value is System", args: Args{}},
		{name: "List with none", args: Args{DefaultingType: ListDefaulting}},
		{name: "System with constraints", args: Args{DefaultingType: SystemDefaulting, DefaultConstraints: SystemDefaultConstraints()}, want: "when .defaultConstraints are not empty"},
		{name: "unknown type", args: Args{DefaultingType: "Some"}, want: "Unsupported value"},
		{name: "bad constraint", args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 0, TopologyKey: "", WhenUnsatisfiable: "Maybe", LabelSelector: &metav1.LabelSelector{}}}},
			want: "maxSkew: Invalid value: 0"},
		{name: "duplicate", args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: zoneKey, WhenUnsatisfiable: corev1.ScheduleAnyway},
			{MaxSkew: 2, TopologyKey: zoneKey, WhenUnsatisfiable: corev1.ScheduleAnyway}}},
			want: "Duplicate value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.args, framework.DefaultFeatures())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestListDefaulting: configured default constraints apply, with the pod's default selector,
// to pods without constraints of their own; a DoNotSchedule one filters.
func TestListDefaulting(t *testing.T) {
	c, nodes := st.Cluster(spreadNodes(nil), spreadPods()...)
	c.UpsertService(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}})
	pl, err := New(Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
		{MaxSkew: 1, TopologyKey: zoneKey, WhenUnsatisfiable: corev1.DoNotSchedule}}}, framework.DefaultFeatures())
	if err != nil {
		t.Fatal(err)
	}
	_, got := st.Filter(pl, c, st.MakePod("p").Labels("app", "web").Obj(), nodes)
	want := []string{ErrReasonConstraintsNotMatch, ErrReasonConstraintsNotMatch, ErrReasonConstraintsNotMatch, "", ErrReasonNodeLabelNotMatch}
	if d := st.Diff(want, got); d != "" {
		t.Errorf("(-want +got):%s", d)
	}
}

// TestNormalizeAndAdd: the one-pass normalise-and-weigh gives NormalizeScore's scores, whether
// it reuses ScoreSlots's extremes or finds them.
func TestNormalizeAndAdd(t *testing.T) {
	c, nodes := st.Cluster(spreadNodes(nil), spreadPods()...)
	pod := st.MakePod("p").Labels("app", "web").Spread(corev1.TopologySpreadConstraint{
		MaxSkew: 2, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: st.Selector("app", "web")}).Obj()
	pl, _ := New(nil, framework.DefaultFeatures())
	_, want := st.Score(pl, c, pod, nodes)
	var slots []int32
	for _, n := range nodes {
		slots = append(slots, n.Slot)
	}
	for _, reuse := range []bool{true, false} {
		state := framework.NewCycleState()
		state.SetCluster(c)
		pi := framework.NewPodInfo(pod)
		p := pl.(*PodTopologySpread)
		if st0 := p.PreScore(state, pi, nodes); !st0.IsSuccess() {
			t.Fatal(st0)
		}
		scores := make([]int64, len(nodes))
		p.ScoreSlots(state, pi, slots, scores)
		if !reuse {
			scores = append([]int64(nil), scores...) // another slice: extremes found anew
		}
		totals := []int64{1, 1, 1, 1, 1}
		p.NormalizeAndAdd(state, pi, slots, scores, 2, totals)
		for i := range want {
			if scores[i] != want[i] || totals[i] != 1+2*want[i] {
				t.Fatalf("reuse %v: scores %v totals %v, want %v", reuse, scores, totals, want)
			}
		}
	}
}
