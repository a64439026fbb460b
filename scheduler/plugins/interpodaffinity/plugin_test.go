package interpodaffinity

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

const zoneKey = corev1.LabelTopologyZone

func term(key string, sel *metav1.LabelSelector) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{TopologyKey: key, LabelSelector: sel}
}

// affinityCluster is a1, a2 in zone a and b1 in zone b; namespace team labelled team=x; app=db
// on a1, app=cache (namespace team) on b1, and on a2 a guard whose required anti-affinity keeps
// app=web off its host.
func affinityCluster(extra ...*corev1.Pod) (*framework.Cluster, []*framework.NodeInfo) {
	nodes := []*corev1.Node{st.MakeNode("a1").Zone("a").Obj(), st.MakeNode("a2").Zone("a").Obj(), st.MakeNode("b1").Zone("b").Obj()}
	pods := append([]*corev1.Pod{
		st.MakePod("db").Labels("app", "db").Node("a1").Obj(),
		st.MakePod("cache").Namespace("team").Labels("app", "cache").Node("b1").Obj(),
		st.MakePod("guard").Labels("app", "guard").Node("a2").PodAntiAffinity(term(corev1.LabelHostname, st.Selector("app", "web"))).Obj(),
	}, extra...)
	c, infos := st.Cluster(nodes, pods...)
	c.UpsertNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team", Labels: map[string]string{"team": "x"}}})
	return c, infos
}

func TestFilter(t *testing.T) {
	const aff, anti, existing = ErrReasonAffinityRulesNotMatch, ErrReasonAntiAffinityRulesNotMatch, ErrReasonExistingAntiAffinityRulesNotMatch
	withNS := func(t corev1.PodAffinityTerm, ns ...string) corev1.PodAffinityTerm {
		t.Namespaces = ns
		return t
	}
	withNSSel := func(t corev1.PodAffinityTerm, sel *metav1.LabelSelector) corev1.PodAffinityTerm {
		t.NamespaceSelector = sel
		return t
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want []string // a1 a2 b1
	}{
		{name: "nothing to check: skip", pod: st.MakePod("p").Labels("app", "api").Obj(), want: []string{"skip", "skip", "skip"}},
		{name: "affinity to db's zone", pod: st.MakePod("p").Labels("app", "api").PodAffinity(term(zoneKey, st.Selector("app", "db"))).Obj(),
			want: []string{"", "", aff}},
		{name: "affinity to a pod nowhere", pod: st.MakePod("p").Labels("app", "api").PodAffinity(term(zoneKey, st.Selector("app", "x"))).Obj(),
			want: []string{aff, aff, aff}},
		{name: "the first of a self-affine group goes anywhere", pod: st.MakePod("p").Labels("app", "x").PodAffinity(term(zoneKey, st.Selector("app", "x"))).Obj(),
			want: []string{"", "", ""}},
		{name: "self-affinity needs the topology label", pod: st.MakePod("p").Labels("app", "x").PodAffinity(term("rack", st.Selector("app", "x"))).Obj(),
			want: []string{aff, aff, aff}},
		{name: "anti-affinity to db's host", pod: st.MakePod("p").Labels("app", "api").PodAntiAffinity(term(corev1.LabelHostname, st.Selector("app", "db"))).Obj(),
			want: []string{anti, "", ""}},
		{name: "anti-affinity to db's zone", pod: st.MakePod("p").Labels("app", "api").PodAntiAffinity(term(zoneKey, st.Selector("app", "db"))).Obj(),
			want: []string{anti, anti, ""}},
		{name: "an existing pod's anti-affinity", pod: st.MakePod("p").Labels("app", "web").Obj(), want: []string{"", existing, ""}},
		{name: "terms look in the pod's own namespace", pod: st.MakePod("p").PodAffinity(term(zoneKey, st.Selector("app", "cache"))).Obj(),
			want: []string{aff, aff, aff}},
		{name: "named namespaces", pod: st.MakePod("p").PodAffinity(withNS(term(zoneKey, st.Selector("app", "cache")), "team")).Obj(),
			want: []string{aff, aff, ""}},
		{name: "a namespaceSelector", pod: st.MakePod("p").PodAffinity(withNSSel(term(zoneKey, st.Selector("app", "cache")), st.Selector("team", "x"))).Obj(),
			want: []string{aff, aff, ""}},
		{name: "a namespace's name label", pod: st.MakePod("p").PodAffinity(withNSSel(term(zoneKey, st.Selector("app", "db")), st.Selector(corev1.LabelMetadataName, "default"))).Obj(),
			want: []string{"", "", aff}},
		{name: "an empty namespaceSelector selects all", pod: st.MakePod("p").PodAffinity(withNSSel(term(zoneKey, st.Selector("app", "cache")), &metav1.LabelSelector{})).Obj(),
			want: []string{aff, aff, ""}},
		{name: "matchLabelKeys", pod: st.MakePod("p").Labels("app", "db").PodAntiAffinity(func() corev1.PodAffinityTerm {
			t := term(corev1.LabelHostname, &metav1.LabelSelector{})
			t.MatchLabelKeys = []string{"app"} // becomes app In (db)
			return t
		}()).Obj(), want: []string{anti, "", ""}},
		{name: "mismatchLabelKeys", pod: st.MakePod("p").Labels("app", "db").PodAntiAffinity(func() corev1.PodAffinityTerm {
			t := term(corev1.LabelHostname, st.Selector())
			t.LabelSelector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}
			t.MismatchLabelKeys = []string{"app"} // and app NotIn (db): the guard
			return t
		}()).Obj(), want: []string{"", anti, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes := affinityCluster()
			pl, _ := New(nil, c.Features())
			st0, got := st.Filter(pl, c, tc.pod, nodes)
			if st0 != nil {
				t.Fatal(st0)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("reasons a1 a2 b1 (-want +got):%s", d)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	c, nodes := affinityCluster()
	pl, _ := New(nil, c.Features())
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}}}
	st0, _ := st.Filter(pl, c, st.MakePod("p").PreferredPodAffinity(1, term(zoneKey, bad)).Obj(), nodes)
	if st0.Code() != framework.UnschedulableAndUnresolvable || !strings.HasPrefix(st0.Message(), "parsing pod: preferredAffinityTerms: ") {
		t.Errorf("PreFilter = %v %q, want UnschedulableAndUnresolvable parsing pod: preferredAffinityTerms: ...", st0.Code(), st0.Message())
	}
}

func TestScore(t *testing.T) {
	follower := st.MakePod("follower").Labels("app", "f").Node("b1").PodAffinity(term(zoneKey, st.Selector("app", "web"))).Obj()
	tests := []struct {
		name  string
		args  any
		extra []*corev1.Pod
		pod   *corev1.Pod
		want  []int64 // a1 a2 b1; nil: skipped
	}{
		{name: "nothing counts: skip", pod: st.MakePod("p").Labels("app", "api").Obj()},
		{
			// +10 in db's zone, −5 on db's host: raw 5 10 0, min-max scaled.
			name: "preferred affinity and anti-affinity",
			pod: st.MakePod("p").PreferredPodAffinity(10, term(zoneKey, st.Selector("app", "db"))).
				PreferredPodAntiAffinity(5, term(corev1.LabelHostname, st.Selector("app", "db"))).Obj(),
			want: []int64{50, 100, 0},
		},
		{
			// cache is in namespace team: a term of namespace default does not see it, one
			// naming team does (−5 on b1: raw 10 10 −5).
			name: "preferred terms in their namespace", pod: st.MakePod("p").PreferredPodAntiAffinity(5, term(corev1.LabelHostname, st.Selector("app", "cache"))).
				PreferredPodAffinity(10, term(zoneKey, st.Selector("app", "db"))).Obj(),
			want: []int64{100, 100, 0},
		},
		{
			name: "preferred terms naming a namespace", pod: st.MakePod("p").PreferredPodAntiAffinity(5, func() corev1.PodAffinityTerm {
				t := term(corev1.LabelHostname, st.Selector("app", "cache"))
				t.Namespaces = []string{"team"}
				return t
			}()).PreferredPodAffinity(10, term(zoneKey, st.Selector("app", "x"))).Obj(),
			want: []int64{100, 100, 0},
		},
		{name: "an existing pod's required affinity, hardPodAffinityWeight 1", extra: []*corev1.Pod{follower},
			pod: st.MakePod("p").Labels("app", "web").Obj(), want: []int64{0, 0, 100}},
		{name: "hardPodAffinityWeight 0", args: Args{HardPodAffinityWeight: 0}, extra: []*corev1.Pod{follower},
			pod: st.MakePod("p").Labels("app", "web").Obj()},
		{name: "ignorePreferredTermsOfExistingPods", args: Args{HardPodAffinityWeight: 1, IgnorePreferredTermsOfExistingPods: true},
			extra: []*corev1.Pod{follower}, pod: st.MakePod("p").Labels("app", "web").Obj()},
		{name: "an existing pod's preferred anti-affinity", extra: []*corev1.Pod{
			st.MakePod("shy").Labels("app", "s").Node("a1").PreferredPodAntiAffinity(30, term(zoneKey, st.Selector("app", "web"))).Obj()},
			pod: st.MakePod("p").Labels("app", "web").Obj(), want: []int64{0, 0, 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, nodes := affinityCluster(tc.extra...)
			pl, err := New(tc.args, c.Features())
			if err != nil {
				t.Fatal(err)
			}
			st0, got := st.Score(pl, c, tc.pod, nodes)
			if st0 != nil {
				t.Fatal(st0)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores a1 a2 b1 (-want +got):%s", d)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	for _, w := range []int32{-1, 101} {
		if _, err := New(Args{HardPodAffinityWeight: w}, framework.DefaultFeatures()); err == nil {
			t.Errorf("HardPodAffinityWeight %d accepted", w)
		}
	}
	if _, err := New("bad", framework.DefaultFeatures()); err == nil {
		t.Error("args of another type accepted")
	}
}

// TestNormalizeAndAdd: the one-pass normalise-and-weigh gives NormalizeScore's scores.
func TestNormalizeAndAdd(t *testing.T) {
	c, nodes := affinityCluster()
	pod := st.MakePod("p").PreferredPodAffinity(10, term(zoneKey, st.Selector("app", "db"))).
		PreferredPodAntiAffinity(5, term(corev1.LabelHostname, st.Selector("app", "db"))).Obj()
	pl, _ := New(nil, c.Features())
	_, want := st.Score(pl, c, pod, nodes)
	var slots []int32
	for _, n := range nodes {
		slots = append(slots, n.Slot)
	}
	for _, reuse := range []bool{true, false} {
		state := framework.NewCycleState()
		state.SetCluster(c)
		pi := framework.NewPodInfo(pod)
		p := pl.(*InterPodAffinity)
		if st0 := p.PreScore(state, pi, nodes); !st0.IsSuccess() {
			t.Fatal(st0)
		}
		scores := make([]int64, len(nodes))
		p.ScoreSlots(state, pi, slots, scores)
		if !reuse {
			scores = append([]int64(nil), scores...)
		}
		totals := []int64{1, 1, 1}
		p.NormalizeAndAdd(state, pi, slots, scores, 2, totals)
		for i := range want {
			if scores[i] != want[i] || totals[i] != 1+2*want[i] {
				t.Fatalf("reuse %v: scores %v totals %v, want %v", reuse, scores, totals, want)
			}
		}
	}
}
