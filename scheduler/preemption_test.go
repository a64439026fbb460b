package scheduler

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

// Preemption with the real plugins: the dry run re-runs PreFilter on the changed cluster, so the
// plugins that count pods (inter-pod affinity, topology spreading) see the victims gone.

func prioPod(name string, _ int32, cpu string) *st.PodWrapper {
	return st.MakePod(name).Req(st.Res("cpu", cpu))
}

// withPrio sets spec.priority (and a distinct start time, so that ties are broken as upstream's
// tests break them).
func withPrio(p *corev1.Pod, prio int32, startSec int64) *corev1.Pod {
	p.Spec.Priority = &prio
	if startSec >= 0 {
		t := metav1.NewTime(time.Unix(startSec, 0))
		p.Status.StartTime = &t
	}
	return p
}

func podsOn(snap *Snapshot, node string) []string {
	var out []string
	for _, pi := range snap.node(node).Pods {
		out = append(out, pi.Pod.Name)
	}
	slices.Sort(out)
	return out
}

func victimNames(r Result) []string {
	if r.PostFilter == nil {
		return nil
	}
	var out []string
	for _, v := range r.PostFilter.Victims {
		out = append(out, v.Name)
	}
	return out
}

func TestScheduleWithPreemption(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode("n1").Alloc("cpu", "2").Zone("a").Obj(),
		st.MakeNode("n2").Alloc("cpu", "2").Zone("b").Obj(),
	}
	pods := []*corev1.Pod{
		withPrio(prioPod("low1", 0, "1500m").Node("n1").Obj(), 0, 10),
		withPrio(prioPod("mid2", 0, "1500m").Node("n2").Obj(), 100, 20),
	}
	snap := snapshotOf(nodes, pods...)
	s := newScheduler(t, Config{}, 1)
	before := map[string][]string{"n1": podsOn(snap, "n1"), "n2": podsOn(snap, "n2")}

	high := withPrio(prioPod("high", 0, "1").Obj(), 1000, -1)
	r := s.ScheduleWithPreemption(snap, high, false)
	if r.Node != "" {
		t.Fatalf("placed on %s; the cluster is full", r.Node)
	}
	if r.PostFilter == nil || !r.PostFilter.Nominate || r.PostFilter.NominatedNode != "n1" {
		t.Fatalf("PostFilter = %+v, want n1 nominated (its victim has the lowest priority)", r.PostFilter)
	}
	if got := victimNames(r); !reflect.DeepEqual(got, []string{"low1"}) {
		t.Errorf("victims = %v, want [low1]", got)
	}
	want := "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node n1, preempting 1 victims"
	if r.Reason != want {
		t.Errorf("reason = %q\nwant     %q", r.Reason, want)
	}
	if !reflect.DeepEqual(r.UnschedulablePlugins, []string{"NodeResourcesFit"}) {
		t.Errorf("UnschedulablePlugins = %v, want [NodeResourcesFit]", r.UnschedulablePlugins)
	}
	for n, want := range before {
		if got := podsOn(snap, n); !reflect.DeepEqual(got, want) {
			t.Errorf("after the dry run %s holds %v, want %v", n, got, want)
		}
	}
	if got := snap.node("n1").Requested.MilliCPU; got != 1500 {
		t.Errorf("n1 requested %dm after the dry run, want 1500m", got)
	}

	// Schedule alone never preempts (ksim place).
	if r := s.Schedule(snap, high, false); r.PostFilter != nil || strings.Contains(r.Reason, "preemption") {
		t.Errorf("Schedule ran PostFilter: %+v, %q", r.PostFilter, r.Reason)
	}

	// The caller deletes the victim and nominates; the pod then fits its nominated node.
	snap.RemovePod(pods[0])
	nominated := high.DeepCopy()
	nominated.Status.NominatedNodeName = "n1"
	snap.NominatePod(nominated)
	// A pod of lower priority may not take the room nominated for the preemptor...
	mid := withPrio(prioPod("mid", 0, "1500m").Obj(), 500, -1)
	if r := s.ScheduleWithPreemption(snap, mid, false); r.Node != "" {
		t.Errorf("a lower-priority pod took %s, nominated to a higher-priority one", r.Node)
	} else if !strings.HasPrefix(r.Reason, "0/2 nodes are available: 2 Insufficient cpu.") {
		t.Errorf("reason = %q", r.Reason)
	}
	// ... one of higher priority may.
	top := withPrio(prioPod("top", 0, "1").Obj(), 2000, -1)
	if r := s.Schedule(snap, top, false); r.Node != "n1" {
		t.Errorf("a higher-priority pod: node %q (%s), want n1", r.Node, r.Reason)
	}
	if r := s.ScheduleWithPreemption(snap, nominated, false); r.Node != "n1" {
		t.Errorf("the preemptor: node %q (%s), want its nominated n1", r.Node, r.Reason)
	}
	nominated.Spec.NodeName = "n1"
	snap.AddPod(nominated)
	if len(snap.NominatedPods("n1")) != 0 {
		t.Errorf("binding left the nomination: %v", snap.NominatedPods("n1"))
	}
}

func TestPreemptionOutcomes(t *testing.T) {
	never := corev1.PreemptNever
	tests := []struct {
		name       string
		nodes      []*corev1.Node
		pods       []*corev1.Pod
		pdbs       []*policyv1.PodDisruptionBudget
		pod        *corev1.Pod
		wantNode   string // nominated; "" with clear: the nomination is cleared
		clear      bool
		keep       bool // PostFilter is nil: the nomination stays
		wantVict   []string
		wantReason string
		wantPlugs  []string
	}{
		{
			name:  "equal priority cannot preempt",
			nodes: []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "1").Obj()},
			pods:  []*corev1.Pod{withPrio(prioPod("a", 0, "1").Node("n1").Obj(), 100, 1)},
			pod:   withPrio(prioPod("p", 0, "1").Obj(), 100, -1),
			clear: true,
			wantReason: "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: " +
				"1 No preemption victims found for incoming pod.",
			wantPlugs: []string{"NodeResourcesFit"},
		},
		{
			name:  "preemptionPolicy Never",
			nodes: []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "1").Obj()},
			pods:  []*corev1.Pod{withPrio(prioPod("a", 0, "1").Node("n1").Obj(), 0, 1)},
			pod: func() *corev1.Pod {
				p := withPrio(prioPod("p", 0, "1").Obj(), 100, -1)
				p.Spec.PreemptionPolicy = &never
				return p
			}(),
			keep:       true,
			wantReason: "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
			wantPlugs:  []string{"NodeResourcesFit"},
		},
		{
			name: "an untolerated taint is not resolvable",
			nodes: []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "1").Taint("k", "v", corev1.TaintEffectNoSchedule).Obj(),
				st.MakeNode("n2").Alloc("cpu", "1").Obj()},
			pods:     []*corev1.Pod{withPrio(prioPod("a", 0, "1").Node("n2").Obj(), 0, 1)},
			pod:      withPrio(prioPod("p", 0, "1").Obj(), 100, -1),
			wantNode: "n2", wantVict: []string{"a"},
			wantReason: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint(s). " +
				"preemption: found a potential placement for pod on node n2, preempting 1 victims",
			wantPlugs: []string{"NodeResourcesFit", "TaintToleration"},
		},
		{
			name:  "a PodDisruptionBudget steers the choice",
			nodes: []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "1").Zone("a").Obj(), st.MakeNode("n2").Alloc("cpu", "1").Zone("b").Obj()},
			pods: []*corev1.Pod{
				withPrio(prioPod("db", 0, "1").Labels("app", "db").Node("n1").Obj(), 0, 1),
				withPrio(prioPod("web", 0, "1").Labels("app", "web").Node("n2").Obj(), 50, 2),
			},
			pdbs: []*policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
				Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}},
			pod:      withPrio(prioPod("p", 0, "1").Obj(), 100, -1),
			wantNode: "n2", wantVict: []string{"web"},
			wantReason: "0/2 nodes are available: 2 Insufficient cpu. " +
				"preemption: found a potential placement for pod on node n2, preempting 1 victims",
			wantPlugs: []string{"NodeResourcesFit"},
		},
		{
			name:  "a PDB is violated when nothing else helps",
			nodes: []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "1").Obj()},
			pods:  []*corev1.Pod{withPrio(prioPod("db", 0, "1").Labels("app", "db").Node("n1").Obj(), 0, 1)},
			pdbs: []*policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
				Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}},
			pod:      withPrio(prioPod("p", 0, "1").Obj(), 100, -1),
			wantNode: "n1", wantVict: []string{"db"},
			wantReason: "0/1 nodes are available: 1 Insufficient cpu. " +
				"preemption: found a potential placement for pod on node n1, preempting 1 victims",
			wantPlugs: []string{"NodeResourcesFit"},
		},
		{
			name:  "a PreFilter result that leaves no node leaves nothing to preempt",
			nodes: []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "1").Obj()},
			pods:  []*corev1.Pod{withPrio(prioPod("a", 0, "1").Node("n1").Obj(), 0, 1)},
			pod:   withPrio(prioPod("p", 0, "1").Node("nowhere").Obj(), 100, -1),
			clear: true,
			wantReason: "0/1 nodes are available: 1 node(s) didn't satisfy plugin(s) [NodeName]. preemption: 0/1 nodes are available: " +
				"1 Preemption is not helpful for scheduling.",
			wantPlugs: []string{"NodeName"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(tc.nodes, tc.pods...)
			for _, p := range tc.pdbs {
				snap.UpsertPDB(p)
			}
			r := newScheduler(t, Config{}, 1).ScheduleWithPreemption(snap, tc.pod, false)
			if r.Reason != tc.wantReason {
				t.Errorf("reason = %q\nwant     %q", r.Reason, tc.wantReason)
			}
			switch {
			case tc.keep && r.PostFilter != nil:
				t.Errorf("PostFilter = %+v, want nil", r.PostFilter)
			case !tc.keep && (r.PostFilter == nil || !r.PostFilter.Nominate || r.PostFilter.NominatedNode != tc.wantNode):
				t.Errorf("PostFilter = %+v, want node %q nominated", r.PostFilter, tc.wantNode)
			}
			if got := victimNames(r); !reflect.DeepEqual(got, tc.wantVict) {
				t.Errorf("victims = %v, want %v", got, tc.wantVict)
			}
			if !reflect.DeepEqual(r.UnschedulablePlugins, tc.wantPlugs) {
				t.Errorf("UnschedulablePlugins = %v, want %v", r.UnschedulablePlugins, tc.wantPlugs)
			}
		})
	}
}

// TestPreemptionWithPodCounts ports upstream's TestDryRunPreemption cases where inter-pod
// anti-affinity and topology spreading decide: removing a victim must change their counts.
func TestPreemptionWithPodCounts(t *testing.T) {
	exists := func(key string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: metav1.LabelSelectorOpExists}}}
	}
	t.Run("pod with anti-affinity is preempted", func(t *testing.T) {
		nodes := []*corev1.Node{st.MakeNode("node1").Alloc("cpu", "1").Zone("a").Obj(), st.MakeNode("node2").Alloc("cpu", "1").Zone("b").Obj()}
		anti := withPrio(prioPod("p1.1", 0, "100m").Labels("foo", "").Node("node1").Obj(), 0, 1)
		anti.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: exists("foo"), TopologyKey: corev1.LabelHostname}}}}
		snap := snapshotOf(nodes, anti,
			withPrio(prioPod("p1.2", 0, "100m").Node("node1").Obj(), 100, 2),
			withPrio(prioPod("p1.3", 0, "100m").Node("node1").Obj(), 1000, 3),
			withPrio(prioPod("p2", 0, "1").Node("node2").Obj(), 1000, 4))
		p := withPrio(prioPod("p", 0, "100m").Labels("foo", "").Obj(), 1000, -1)
		cands, best, err := newScheduler(t, Config{}, 1).PreemptionCandidates(snap, p, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) != 1 || best.Node != "node1" || !reflect.DeepEqual(podNamesOf(best.Victims), []string{"p1.1"}) {
			t.Errorf("candidates %+v, want node1 with victim p1.1", cands)
		}
		if got := podsOn(snap, "node1"); !reflect.DeepEqual(got, []string{"p1.1", "p1.2", "p1.3"}) {
			t.Errorf("node1 holds %v after the dry run", got)
		}
	})
	t.Run("preemption resolves a topology spread failure", func(t *testing.T) {
		node := func(name, zone string) *corev1.Node {
			return st.MakeNode(name).Alloc("cpu", "4").Label("zone", zone).Label("hostname", name).Obj()
		}
		nodes := []*corev1.Node{node("node-a", "zone1"), node("node-b", "zone1"), node("node-x", "zone2")}
		foo := func(name, node string, prio int32, start int64) *corev1.Pod {
			return withPrio(st.MakePod(name).Labels("foo", "").Node(node).Obj(), prio, start)
		}
		snap := snapshotOf(nodes, foo("pod-a1", "node-a", 100, 1), foo("pod-a2", "node-a", 0, 2), foo("pod-b1", "node-b", 0, 3),
			foo("pod-x1", "node-x", 1000, 4), foo("pod-x2", "node-x", 1000, 5))
		p := withPrio(st.MakePod("p").Labels("foo", "").Obj(), 1000, -1)
		for _, key := range []string{"zone", "hostname"} {
			p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
				MaxSkew: 1, TopologyKey: key, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: exists("foo")})
		}
		s := newScheduler(t, Config{}, 1)
		cands, _, err := s.PreemptionCandidates(snap, p, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cands {
			got = append(got, fmt.Sprintf("%s:%v", c.Node, podNamesOf(c.Victims)))
		}
		if want := []string{"node-a:[pod-a2]", "node-b:[pod-b1]"}; !reflect.DeepEqual(got, want) {
			t.Errorf("candidates %v, want %v", got, want)
		}
		// The cluster's counts are back: the same pod is rejected the same way again.
		r1 := s.Schedule(snap, p, false)
		r2 := newScheduler(t, Config{}, 1).Schedule(snap, p, false)
		if r1.Reason != r2.Reason || !reflect.DeepEqual(r1.UnschedulablePlugins, []string{"PodTopologySpread"}) {
			t.Errorf("after the dry run: %q %v; a fresh scheduler: %q", r1.Reason, r1.UnschedulablePlugins, r2.Reason)
		}
	})
}

func podNamesOf(pods []*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// TestNominatedPodsInFilter: RunFilterPluginsWithNominatedPods counts a nominated pod of at
// least the pod's priority on its node, and the pod must fit both with and without it.
func TestNominatedPodsInFilter(t *testing.T) {
	nodes := []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "2").Zone("a").Obj(), st.MakeNode("n2").Alloc("cpu", "1").Zone("b").Obj()}
	for _, tc := range []struct {
		name      string
		nomPrio   int32
		podPrio   int32
		wantNodes []string // nodes the pod may land on
	}{
		{"a nominated pod of higher priority holds its room", 100, 50, []string{"n2"}},
		{"so does one of equal priority", 100, 100, []string{"n2"}},
		{"one of lower priority does not (and n1 scores best)", 10, 100, []string{"n1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := snapshotOf(nodes)
			nom := withPrio(st.MakePod("nom").Req(st.Res("cpu", "1500m")).Obj(), tc.nomPrio, -1)
			nom.Status.NominatedNodeName = "n1"
			snap.NominatePod(nom)
			p := withPrio(st.MakePod("p").Req(st.Res("cpu", "1")).Obj(), tc.podPrio, -1)
			seen := map[string]bool{}
			for seed := range uint64(20) {
				r := newScheduler(t, Config{}, seed).Schedule(snap, p, false)
				seen[r.Node] = true
			}
			var got []string
			for n := range seen {
				got = append(got, n)
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, tc.wantNodes) {
				t.Errorf("landed on %v, want %v", got, tc.wantNodes)
			}
			if got := snap.node("n1").Requested.MilliCPU; got != 0 {
				t.Errorf("n1 requested %dm after filtering, want 0 (nominated pods are not bound)", got)
			}
		})
	}
}

func TestUnschedulablePlugins(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode("n1").Alloc("cpu", "1").Label("disk", "ssd").Obj(),
		st.MakeNode("n2").Alloc("cpu", "4").Taint("k", "v", corev1.TaintEffectNoSchedule).Obj(),
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want []string
	}{
		{"fits", st.MakePod("p").Req(st.Res("cpu", "100m")).Obj(), nil},
		{"resources and a taint", st.MakePod("p").Req(st.Res("cpu", "2")).Obj(), []string{"NodeResourcesFit", "TaintToleration"}},
		{"node affinity, and a taint met first", st.MakePod("p").NodeSelector("disk", "hdd").Obj(), []string{"NodeAffinity", "TaintToleration"}},
		{"a name narrows the nodes", st.MakePod("p").Node("n2").Obj(), []string{"NodeName", "TaintToleration"}},
		{"PreFilter rejects", st.MakePod("p").Required(st.FieldTerm(st.Expr("metadata.name", corev1.NodeSelectorOpIn, "zz"))).Obj(), []string{"NodeAffinity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newScheduler(t, Config{}, 1).Schedule(snapshotOf(nodes), tc.pod, false)
			if !reflect.DeepEqual(r.UnschedulablePlugins, tc.want) {
				t.Errorf("UnschedulablePlugins = %v, want %v (%s)", r.UnschedulablePlugins, tc.want, r.Reason)
			}
		})
	}
}

func TestPDBsAndNominationsInSnapshot(t *testing.T) {
	snap := NewSnapshot()
	mk := func(ns, name string, allowed int32) *policyv1.PodDisruptionBudget {
		return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed}}
	}
	snap.UpsertPDB(mk("b", "x", 1))
	snap.UpsertPDB(mk("a", "y", 1))
	snap.UpsertPDB(mk("a", "x", 1))
	_ = snap.PDBs()
	snap.UpsertPDB(mk("a", "y", 5)) // replaced in place
	snap.RemovePDB("b", "x")
	snap.RemovePDB("zz", "none")
	var got []string
	for _, p := range snap.PDBs() {
		got = append(got, fmt.Sprintf("%s/%s=%d", p.Namespace, p.Name, p.Status.DisruptionsAllowed))
	}
	if want := []string{"a/x=1", "a/y=5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PDBs = %v, want %v", got, want)
	}

	snap.UpsertNode(st.MakeNode("n1").Alloc("cpu", "1").Obj())
	a, b := st.MakePod("a").Obj(), st.MakePod("b").Obj()
	a.Status.NominatedNodeName, b.Status.NominatedNodeName = "n1", "n1"
	snap.NominatePod(a)
	snap.NominatePod(b)
	moved := a.DeepCopy()
	moved.Status.NominatedNodeName = "n2"
	snap.NominatePod(moved)
	if got := podNamesOf(snap.NominatedPods("n1")); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("nominated to n1: %v, want [b]", got)
	}
	cleared := b.DeepCopy()
	cleared.Status.NominatedNodeName = ""
	snap.NominatePod(cleared)
	if got := snap.NominatedPods("n1"); len(got) != 0 {
		t.Errorf("nominated to n1 after clearing: %v", podNamesOf(got))
	}
	if got := podNamesOf(snap.NominatedPods("n2")); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("nominated to n2: %v, want [a]", got)
	}
}
