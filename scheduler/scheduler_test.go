package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

func newScheduler(t testing.TB, cfg Config, seed uint64) *Scheduler {
	t.Helper()
	s, err := New(cfg, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func snapshotOf(nodes []*corev1.Node, pods ...*corev1.Pod) *Snapshot {
	snap := NewSnapshot()
	for _, n := range nodes {
		snap.UpsertNode(n)
	}
	for _, p := range pods {
		snap.AddPod(p)
	}
	return snap
}

func nodeNames(snap *Snapshot) []string {
	var out []string
	for _, n := range snap.nodeList() {
		out = append(out, n.Name())
	}
	return out
}

// manyNodes returns n identical nodes named n000, n001, ... without zones.
func manyNodes(n int, mutate func(i int, w *st.NodeWrapper)) []*corev1.Node {
	var out []*corev1.Node
	for i := range n {
		w := st.MakeNode(fmt.Sprintf("n%03d", i)).Alloc("cpu", "4", "memory", "8Gi")
		if mutate != nil {
			mutate(i, w)
		}
		out = append(out, w.Obj())
	}
	return out
}

func TestNew(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tests := []struct {
		name    string
		cfg     Config
		rng     *rand.Rand
		wantErr bool
	}{
		{name: "defaults", rng: rng},
		{name: "all nodes", cfg: Config{PercentageOfNodesToScore: 100}, rng: rng},
		{name: "nil rng", wantErr: true},
		{name: "percentage over 100", cfg: Config{PercentageOfNodesToScore: 101}, rng: rng, wantErr: true},
		{name: "negative percentage", cfg: Config{PercentageOfNodesToScore: -1}, rng: rng, wantErr: true},
		{name: "unknown tie-break", cfg: Config{TieBreak: 7}, rng: rng, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.rng)
			if (err != nil) != tc.wantErr {
				t.Errorf("New error = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestNumFeasibleNodesToFind(t *testing.T) {
	tests := []struct {
		name       string
		percentage int32
		nodes      int32
		want       int32
	}{
		{name: "fewer than 100 nodes: all", nodes: 10, want: 10},
		{name: "99 nodes: all", nodes: 99, want: 99},
		{name: "adaptive, 100 nodes: at least 100", nodes: 100, want: 100},
		{name: "adaptive, 1000 nodes: 42%", nodes: 1000, want: 420},
		{name: "adaptive, 5000 nodes: 10%", nodes: 5000, want: 500},
		{name: "adaptive, 6000 nodes: floor of 5%", nodes: 6000, want: 300},
		{name: "adaptive, 100000 nodes: 5%", nodes: 100000, want: 5000},
		{name: "30% of 1000", percentage: 30, nodes: 1000, want: 300},
		{name: "10% of 1000: at least 100", percentage: 10, nodes: 1000, want: 100},
		{name: "100% of 5000", percentage: 100, nodes: 5000, want: 5000},
		{name: "1% of 50: all, under 100", percentage: 1, nodes: 50, want: 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := numFeasibleNodesToFind(tc.percentage, tc.nodes); got != tc.want {
				t.Errorf("numFeasibleNodesToFind(%d, %d) = %d, want %d", tc.percentage, tc.nodes, got, tc.want)
			}
		})
	}
}

// TestPercentageOfNodesToScore checks how many nodes are filtered and where the next search
// starts, as upstream with one filter goroutine: the search stops at the first feasible node
// beyond those wanted, and the rejected nodes met before it count as looked at.
func TestPercentageOfNodesToScore(t *testing.T) {
	pod := st.MakePod("p").Req(st.Res("cpu", "100m")).Obj()
	type pass struct{ Start, Wanted, Feasible, Evaluated int }
	tests := []struct {
		name  string
		pct   int32
		nodes []*corev1.Node
		want  []pass
	}{
		{
			name:  "200 feasible nodes, 50%: 100 at a time",
			pct:   50,
			nodes: manyNodes(200, nil),
			want:  []pass{{0, 100, 100, 100}, {100, 100, 100, 100}, {0, 100, 100, 100}},
		},
		{
			name:  "200 nodes, every other tainted, 50%: all looked at",
			pct:   50,
			nodes: manyNodes(200, func(i int, w *st.NodeWrapper) { taintOdd(i, w) }),
			want:  []pass{{0, 100, 100, 200}, {0, 100, 100, 200}},
		},
		{
			// The 100th feasible node is n198; n199 is rejected and counted; n200 is the 101st
			// feasible node, which stops the search without counting: 200 looked at.
			name:  "400 nodes, every other tainted, 25%",
			pct:   25,
			nodes: manyNodes(400, func(i int, w *st.NodeWrapper) { taintOdd(i, w) }),
			want:  []pass{{0, 100, 100, 200}, {200, 100, 100, 200}, {0, 100, 100, 200}},
		},
		{
			name:  "adaptive on 1000 nodes: 420",
			nodes: manyNodes(1000, nil),
			want:  []pass{{0, 420, 420, 420}, {420, 420, 420, 420}, {840, 420, 420, 420}, {260, 420, 420, 420}},
		},
		{
			name:  "fewer than 100 nodes: all of them, start stays",
			pct:   10,
			nodes: manyNodes(30, nil),
			want:  []pass{{0, 30, 30, 30}, {0, 30, 30, 30}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScheduler(t, Config{PercentageOfNodesToScore: tc.pct}, 1)
			snap := snapshotOf(tc.nodes)
			var got []pass
			for range tc.want {
				ex := s.Schedule(snap, pod, true).Explanation
				p := pass{Start: ex.StartIndex, Wanted: ex.NumFeasibleToFind}
				for _, n := range ex.Nodes {
					if n.Feasible {
						p.Feasible++
					}
					if n.NotEvaluated == "" {
						p.Evaluated++
					}
				}
				got = append(got, p)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("passes (-want +got):%s", d)
			}
		})
	}
}

func taintOdd(i int, w *st.NodeWrapper) {
	if i%2 == 1 {
		w.Taint("k", "v", corev1.TaintEffectNoSchedule)
	}
}

func TestNodeOrder(t *testing.T) {
	snap := NewSnapshot()
	add := func(name, zone string) {
		w := st.MakeNode(name)
		if zone != "" {
			w.Zone(zone)
		}
		snap.UpsertNode(w.Obj())
	}
	add("a1", "a")
	add("a2", "a")
	add("b1", "b")
	add("a3", "a")
	add("c1", "c")
	add("x1", "")
	snap.UpsertNode(st.MakeNode("r1").Zone("a").Label(corev1.LabelTopologyRegion, "r1").Obj())
	if d := st.Diff([]string{"a1", "b1", "c1", "x1", "r1", "a2", "a3"}, nodeNames(snap)); d != "" {
		t.Errorf("zones interleaved in first-seen order, region apart (-want +got):%s", d)
	}

	snap.RemoveNode("b1")
	if d := st.Diff([]string{"a1", "c1", "x1", "r1", "a2", "a3"}, nodeNames(snap)); d != "" {
		t.Errorf("after removing the only node of a zone (-want +got):%s", d)
	}

	// A node that changes zone keeps its place until a node is added or removed, as upstream's
	// cache refreshes its list only then.
	snap.UpsertNode(st.MakeNode("a2").Zone("c").Obj())
	if d := st.Diff([]string{"a1", "c1", "x1", "r1", "a2", "a3"}, nodeNames(snap)); d != "" {
		t.Errorf("after a zone change (-want +got):%s", d)
	}
	add("d1", "a")
	if d := st.Diff([]string{"a1", "c1", "x1", "r1", "a3", "a2", "d1"}, nodeNames(snap)); d != "" {
		t.Errorf("after the next addition (-want +got):%s", d)
	}
	if snap.NumNodes() != 7 {
		t.Errorf("NumNodes = %d, want 7", snap.NumNodes())
	}
}

// TestSnapshotTotals checks the incrementally kept totals against a snapshot rebuilt from
// scratch after random changes.
func TestSnapshotTotals(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		snap := NewSnapshot()
		nodes := map[string]*corev1.Node{}
		pods := map[string]*corev1.Pod{}
		for i := range 200 {
			switch k := r.IntN(10); {
			case k < 2 || len(nodes) == 0:
				n := st.MakeNode(fmt.Sprintf("n%d", r.IntN(8))).Zone(fmt.Sprintf("z%d", r.IntN(3))).
					Alloc("cpu", fmt.Sprint(1+r.IntN(8)), "memory", "8Gi").Obj()
				nodes[n.Name] = n
				snap.UpsertNode(n)
			case k < 3:
				for name := range nodes {
					delete(nodes, name)
					snap.RemoveNode(name)
					for key, p := range pods {
						if p.Spec.NodeName == name {
							delete(pods, key)
						}
					}
					break
				}
			case k < 8:
				var names []string
				for name := range nodes {
					names = append(names, name)
				}
				slices.Sort(names)
				w := st.MakePod(fmt.Sprintf("p%d", r.IntN(40))).Node(names[r.IntN(len(names))])
				if r.IntN(3) > 0 {
					w.Req(st.Res("cpu", fmt.Sprintf("%dm", r.IntN(2000)), "example.com/gpu", fmt.Sprint(r.IntN(2))))
				} else {
					w.Req(nil).InitReq(st.Res("memory", "1Gi"), r.IntN(2) == 0)
				}
				p := w.Obj()
				pods[string(p.UID)] = p
				snap.AddPod(p)
			default:
				for key, p := range pods {
					delete(pods, key)
					snap.RemovePod(p)
					break
				}
			}
			if i%20 != 19 {
				continue
			}
			fresh := NewSnapshot()
			for _, n := range nodes {
				fresh.UpsertNode(n)
			}
			for _, p := range pods {
				fresh.AddPod(p)
			}
			if snap.NumNodes() != fresh.NumNodes() {
				t.Fatalf("seed %d step %d: %d nodes, want %d", seed, i, snap.NumNodes(), fresh.NumNodes())
			}
			for name := range nodes {
				got, want := snap.node(name), fresh.node(name)
				if got.Requested.MilliCPU != want.Requested.MilliCPU || got.Requested.Memory != want.Requested.Memory ||
					got.Requested.ScalarResources["example.com/gpu"] != want.Requested.ScalarResources["example.com/gpu"] ||
					got.NonZeroRequested.MilliCPU != want.NonZeroRequested.MilliCPU || got.NonZeroRequested.Memory != want.NonZeroRequested.Memory || len(got.Pods) != len(want.Pods) ||
					got.Allocatable.MilliCPU != want.Allocatable.MilliCPU {
					t.Fatalf("seed %d step %d: node %s totals (-want +got):\n- %+v %+v %d pods\n+ %+v %+v %d pods",
						seed, i, name, want.Requested, want.NonZeroRequested, len(want.Pods), got.Requested, got.NonZeroRequested, len(got.Pods))
				}
			}
		}
	}
}

func TestSnapshotPods(t *testing.T) {
	snap := snapshotOf([]*corev1.Node{st.MakeNode("a").Alloc("cpu", "4").Obj(), st.MakeNode("b").Alloc("cpu", "4").Obj()})
	cpu := func(node string) int64 { return snap.node(node).Requested.MilliCPU }

	snap.AddPod(st.MakePod("p").Node("a").Req(st.Res("cpu", "1")).Obj())
	snap.AddPod(st.MakePod("done").Node("a").Req(st.Res("cpu", "1")).Phase(corev1.PodSucceeded).Obj())
	if cpu("a") != 1000 {
		t.Errorf("a terminated pod occupies nothing: cpu %d, want 1000", cpu("a"))
	}
	snap.AddPod(st.MakePod("p").Node("b").Req(st.Res("cpu", "2")).Obj())
	if cpu("a") != 0 || cpu("b") != 2000 {
		t.Errorf("re-adding a pod moves it: a %d b %d, want 0 2000", cpu("a"), cpu("b"))
	}
	noUID := st.MakePod("q").Node("a").Req(st.Res("cpu", "1")).Obj()
	noUID.UID = ""
	snap.AddPod(noUID)
	snap.RemovePod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "q"}})
	snap.RemovePod(st.MakePod("unknown").Obj())
	if cpu("a") != 0 {
		t.Errorf("a pod without UID is keyed by namespace/name: cpu %d, want 0", cpu("a"))
	}
	snap.RemoveNode("b")
	snap.UpsertNode(st.MakeNode("b").Alloc("cpu", "4").Obj())
	if cpu("b") != 0 {
		t.Errorf("removing a node removes its pods: cpu %d, want 0", cpu("b"))
	}
	defer func() {
		if recover() == nil {
			t.Error("AddPod to an unknown node did not panic")
		}
	}()
	snap.AddPod(st.MakePod("lost").Node("nowhere").Obj())
}

func TestFitErrorMessage(t *testing.T) {
	big := st.MakePod("p").Req(st.Res("cpu", "3")).Obj()
	tests := []struct {
		name        string
		nodes       []*corev1.Node
		pods        []*corev1.Pod
		pod         *corev1.Pod
		want        string
		wantReasons []ReasonCount
	}{
		{name: "no nodes", pod: big, want: "no nodes available to schedule pods"},
		{
			name: "counts per reason, sorted",
			nodes: manyNodes(12, func(i int, w *st.NodeWrapper) {
				if i < 3 {
					w.Alloc("cpu", "2")
				} else {
					w.Taint("dedicated", "infra", corev1.TaintEffectNoSchedule)
				}
			}),
			pod:  big,
			want: "0/12 nodes are available: 3 Insufficient cpu, 9 node(s) had untolerated taint(s).",
			wantReasons: []ReasonCount{
				{Reason: "Insufficient cpu", Nodes: 3}, {Reason: "node(s) had untolerated taint(s)", Nodes: 9},
			},
		},
		{
			name: "sorted as text: 10 before 2",
			nodes: manyNodes(12, func(i int, w *st.NodeWrapper) {
				if i < 2 {
					w.Unschedulable()
				}
			}),
			pod:  st.MakePod("p").NodeSelector("disk", "ssd").Obj(),
			want: "0/12 nodes are available: 10 node(s) didn't match Pod's node affinity/selector, 2 node(s) were unschedulable.",
		},
		{
			name:  "one node under several reasons",
			nodes: []*corev1.Node{st.MakeNode("a").Alloc("cpu", "1", "memory", "1Gi", "pods", "1").Obj()},
			pods:  []*corev1.Pod{st.MakePod("q").Node("a").Obj()},
			pod:   st.MakePod("p").Req(st.Res("cpu", "2", "memory", "2Gi")).Obj(),
			want:  "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.",
		},
		{
			name:  "spec.nodeName: the other nodes were left out",
			nodes: manyNodes(3, func(i int, w *st.NodeWrapper) { w.Alloc("cpu", "1") }),
			pod:   st.MakePod("p").Req(st.Res("cpu", "3")).Node("n001").Obj(),
			want:  "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeName].",
		},
		{
			name:  "spec.nodeName of a node that does not exist",
			nodes: manyNodes(3, nil),
			pod:   st.MakePod("p").Node("gone").Obj(),
			want:  "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeName].",
		},
		{
			name:  "a DaemonSet pod whose node is full",
			nodes: manyNodes(3, func(i int, w *st.NodeWrapper) { w.Alloc("cpu", "1") }),
			pod:   st.MakePod("p").Req(st.Res("cpu", "3")).Required(st.FieldTerm(st.Expr(metav1.ObjectNameField, corev1.NodeSelectorOpIn, "n002"))).Obj(),
			want:  "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
		},
		{
			name:  "names that cannot all hold: rejected in PreFilter",
			nodes: manyNodes(3, nil),
			pod: st.MakePod("p").Required(st.FieldTerm(
				st.Expr(metav1.ObjectNameField, corev1.NodeSelectorOpIn, "n000"),
				st.Expr(metav1.ObjectNameField, corev1.NodeSelectorOpIn, "n001"))).Obj(),
			want:        "0/3 nodes are available: pod affinity terms conflict.",
			wantReasons: []ReasonCount{{Reason: "pod affinity terms conflict", Nodes: 3}},
		},
		{
			name:  "nodeName and a DaemonSet term that disagree",
			nodes: manyNodes(3, nil),
			pod: st.MakePod("p").Node("n000").
				Required(st.FieldTerm(st.Expr(metav1.ObjectNameField, corev1.NodeSelectorOpIn, "n001"))).Obj(),
			want: "0/3 nodes are available: node(s) didn't satisfy plugin(s) [NodeAffinity NodeName] simultaneously.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newScheduler(t, Config{}, 1).Schedule(snapshotOf(tc.nodes, tc.pods...), tc.pod, false)
			if r.Node != "" || r.Reason != tc.want {
				t.Errorf("Schedule = %q, reason (-want +got):\n- %s\n+ %s", r.Node, tc.want, r.Reason)
			}
			if tc.wantReasons != nil {
				if d := st.Diff(tc.wantReasons, r.Reasons); d != "" {
					t.Errorf("Reasons (-want +got):%s", d)
				}
			}
		})
	}
}

func TestScheduleScoresAndWeights(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode("plain").Alloc("cpu", "4", "memory", "8Gi").Obj(),
		st.MakeNode("preferred").Alloc("cpu", "4", "memory", "8Gi").Label("disk", "ssd").Obj(),
		st.MakeNode("soft-tainted").Alloc("cpu", "4", "memory", "8Gi").Label("disk", "ssd").Taint("spot", "", corev1.TaintEffectPreferNoSchedule).Obj(),
		st.MakeNode("busy").Alloc("cpu", "4", "memory", "8Gi").Label("disk", "ssd").Obj(),
	}
	busy := st.MakePod("b").Node("busy").Req(st.Res("cpu", "3", "memory", "1Gi")).Obj()
	pod := st.MakePod("p").Req(st.Res("cpu", "1", "memory", "2Gi")).Preferred(10, st.Term(st.Expr("disk", corev1.NodeSelectorOpIn, "ssd"))).Obj()
	r := newScheduler(t, Config{}, 1).Schedule(snapshotOf(nodes, busy), pod, true)
	if r.Node != "preferred" {
		t.Errorf("chose %q, want preferred", r.Node)
	}
	// plain: taint 100×3, affinity 0, fit (75+75)/2=75, balance 50+(50+100-100)/2=75.
	// preferred: 300 + 200 + 75 + 75. soft-tainted: 0 + 200 + 75 + 75.
	// busy: cpu 3 → 4 of 4, memory 1 → 3 of 8 Gi: fit (0+62)/2 = 31; balance 68 → 68: 75.
	want := map[string]int64{"plain": 450, "preferred": 650, "soft-tainted": 350, "busy": 606}
	got := map[string]int64{}
	for _, n := range r.Explanation.Nodes {
		got[n.Node] = n.Total
		var sum int64
		for _, s := range n.Scores {
			sum += s.Weighted
		}
		if sum != n.Total {
			t.Errorf("%s: total %d != sum of weighted scores %d", n.Node, n.Total, sum)
		}
		if n.Chosen != (n.Node == r.Node) {
			t.Errorf("%s: Chosen = %v", n.Node, n.Chosen)
		}
	}
	if d := st.Diff(want, got); d != "" {
		t.Errorf("totals (-want +got):%s", d)
	}
}

func TestExplanationVerdicts(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode("ok").Alloc("cpu", "4").Obj(),
		st.MakeNode("tainted").Alloc("cpu", "4").Taint("k", "", corev1.TaintEffectNoExecute).Obj(),
	}
	r := newScheduler(t, Config{}, 1).Schedule(snapshotOf(nodes), st.MakePod("p").Req(st.Res("cpu", "1")).Obj(), true)
	want := []NodeExplanation{
		{Node: "ok", Feasible: true, Chosen: true, Filters: []FilterVerdict{
			{Plugin: "NodeName", Passed: true}, {Plugin: "NodeUnschedulable", Passed: true},
			{Plugin: "TaintToleration", Passed: true}, {Plugin: "NodeAffinity", Passed: true, Skipped: true},
			{Plugin: "NodePorts", Passed: true, Skipped: true}, {Plugin: "NodeResourcesFit", Passed: true},
			{Plugin: "PodTopologySpread", Passed: true, Skipped: true}, {Plugin: "InterPodAffinity", Passed: true, Skipped: true},
		}},
		{Node: "tainted", Filters: []FilterVerdict{
			{Plugin: "NodeName", Passed: true}, {Plugin: "NodeUnschedulable", Passed: true},
			{Plugin: "TaintToleration", Reasons: []string{"node(s) had untolerated taint(s)"}},
		}},
	}
	if d := st.Diff(want, r.Explanation.Nodes); d != "" {
		t.Errorf("explanation (-want +got):%s", d)
	}
}

func TestSchedulingError(t *testing.T) {
	nodes := manyNodes(2, nil)
	pod := st.MakePod("p").Preferred(1, st.Term(st.Expr("disk", corev1.NodeSelectorOpIn))).Obj()
	r := newScheduler(t, Config{}, 1).Schedule(snapshotOf(nodes), pod, false)
	if r.Err == nil || r.Node != "" || r.Reason != r.Err.Error() {
		t.Errorf("Schedule = %+v, want an error for an invalid preferred term", r)
	}
}

// TestTieBreak: the same seed gives the same choices, other seeds other choices, every tied
// node gets chosen, and TieBreakUpstreamHeap ignores the seed.
func TestTieBreak(t *testing.T) {
	snap := snapshotOf(manyNodes(20, nil))
	pod := st.MakePod("p").Req(st.Res("cpu", "1")).Obj()
	choices := func(cfg Config, seed uint64) []string {
		s := newScheduler(t, cfg, seed)
		var out []string
		for range 200 {
			out = append(out, s.Schedule(snap, pod, false).Node)
		}
		return out
	}
	a, b := choices(Config{}, 42), choices(Config{}, 42)
	if d := st.Diff(a, b); d != "" {
		t.Errorf("same seed, different choices (-first +second):%s", d)
	}
	differs := false
	for seed := range uint64(5) {
		if !slices.Equal(a, choices(Config{}, seed)) {
			differs = true
		}
	}
	if !differs {
		t.Error("five other seeds all gave the choices of seed 42")
	}
	seen := map[string]bool{}
	for _, n := range a {
		seen[n] = true
	}
	if len(seen) != 20 {
		t.Errorf("200 draws among 20 tied nodes chose only %d of them", len(seen))
	}
	heapA, heapB := choices(Config{TieBreak: TieBreakUpstreamHeap}, 1), choices(Config{TieBreak: TieBreakUpstreamHeap}, 2)
	if d := st.Diff(heapA, heapB); d != "" || heapA[0] != "n000" {
		t.Errorf("TieBreakUpstreamHeap depends on the seed or did not pick the heap root n000:%s\n%v", d, heapA[:3])
	}
}

// TestHeapTieBreak checks that TieBreakUpstreamHeap reproduces container/heap's choice, which
// is not simply the first best node.
func TestHeapTieBreak(t *testing.T) {
	tests := []struct {
		totals []int64
		want   int
	}{
		{totals: []int64{5, 7, 7}, want: 1},
		{totals: []int64{0, 1, 9, 9, 0}, want: 3}, // the 9 under index 1 rises first
		{totals: []int64{3}, want: 0},
		{totals: []int64{2, 2, 2, 2}, want: 0},
	}
	for _, tc := range tests {
		s := newScheduler(t, Config{TieBreak: TieBreakUpstreamHeap}, 1)
		s.totals = tc.totals
		if got := s.selectHost(); got != tc.want {
			t.Errorf("selectHost(%v) = %d, want %d", tc.totals, got, tc.want)
		}
	}
}

// TestScheduleAllocations guards the "no allocation per node" rule: a cycle allocates the same
// on 100 nodes as on 1000.
func TestScheduleAllocations(t *testing.T) {
	pod := st.MakePod("p").Req(st.Res("cpu", "100m", "memory", "128Mi")).NodeSelector("tier", "a").
		Toleration("k", corev1.TolerationOpExists, "", corev1.TaintEffectPreferNoSchedule).
		Preferred(5, st.Term(st.Expr("disk", corev1.NodeSelectorOpIn, "ssd"))).Obj()
	allocs := func(n int) float64 {
		nodes := manyNodes(n, func(i int, w *st.NodeWrapper) {
			w.Label("tier", "a")
			if i%3 == 0 {
				w.Label("disk", "ssd").Taint("k", "", corev1.TaintEffectPreferNoSchedule)
			}
			if i%7 == 0 {
				w.Unschedulable()
			}
		})
		s := newScheduler(t, Config{PercentageOfNodesToScore: 100}, 1)
		snap := snapshotOf(nodes)
		s.Schedule(snap, pod, false) // warm the scratch buffers
		return testing.AllocsPerRun(20, func() { s.Schedule(snap, pod, false) })
	}
	small, large := allocs(100), allocs(1000)
	if large > small {
		t.Errorf("a cycle allocates %v times on 100 nodes and %v on 1000", small, large)
	}
}

func TestNominatedNode(t *testing.T) {
	nodes := []*corev1.Node{
		st.MakeNode("roomy").Alloc("cpu", "16", "memory", "64Gi").Obj(),
		st.MakeNode("small").Alloc("cpu", "2", "memory", "4Gi").Obj(),
	}
	nominated := func(node string, cpu string) *corev1.Pod {
		p := st.MakePod("p").Req(st.Res("cpu", cpu)).Obj()
		p.Status.NominatedNodeName = node
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{name: "not nominated: the best node", pod: nominated("", "1"), want: "roomy"},
		{name: "nominated and fits: taken unscored", pod: nominated("small", "1"), want: "small"},
		{name: "nominated but does not fit: the best node", pod: nominated("small", "3"), want: "roomy"},
		{name: "nominated to a node that is gone", pod: nominated("gone", "1"), want: "roomy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newScheduler(t, Config{}, 1).Schedule(snapshotOf(nodes), tc.pod, true)
			if r.Node != tc.want {
				t.Errorf("chose %q, want %q", r.Node, tc.want)
			}
		})
	}
}
