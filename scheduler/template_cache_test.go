package scheduler

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
	"ksim.dev/ksim/scheduler/plugins"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// TestTemplateCacheChangesNothing schedules random pods of a few templates, with churn, twice:
// with the template cache, and with it off (every plugin run on every node, every cycle). The
// results, explanations included, must be the same, for every percentageOfNodesToScore mode
// and tie-break.
func TestTemplateCacheChangesNothing(t *testing.T) {
	for seed := range uint64(12) {
		for _, cfg := range []Config{{PercentageOfNodesToScore: 100}, {}, {PercentageOfNodesToScore: 100, TieBreak: TieBreakUpstreamHeap}} {
			t.Run(fmt.Sprintf("seed=%d/pct=%d/tie=%d", seed, cfg.PercentageOfNodesToScore, cfg.TieBreak), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 5))
				cached, plain := newScheduler(t, cfg, seed), newScheduler(t, cfg, seed)
				plain.cache.disabled = true
				w := newRandomWorkload(r, 60+r.IntN(200))
				snap := w.snapshot()
				for i := range 150 {
					if i%10 == 9 {
						w.churn(r, snap)
					}
					pod := w.pod(r, i)
					explain := r.IntN(3) == 0
					a, b := cached.Schedule(snap, pod, explain), plain.Schedule(snap, pod, explain)
					if a.Err != nil || b.Err != nil {
						a.Err, b.Err = nil, nil // compared by Reason
					}
					if !reflect.DeepEqual(a, b) {
						t.Fatalf("pod %d (%s): with the cache\n%+v\nwithout\n%+v", i, pod.Name, a, b)
					}
					// Some placements are not bound (as a pod deleted before its binding), so
					// that the next pod sees the very same nodes.
					if a.Node != "" && r.IntN(4) != 0 {
						bound := pod.DeepCopy()
						bound.Spec.NodeName = a.Node
						snap.AddPod(bound)
						w.bound = append(w.bound, bound)
					}
				}
			})
		}
	}
}

// randomWorkload is a cluster of nodes in three zones, with labels, taints, images, and
// templates of pods with requests, node affinity, tolerations, ports, inter-pod affinity and
// spread constraints.
type randomWorkload struct {
	nodes     []*corev1.Node
	templates []*corev1.Pod
	bound     []*corev1.Pod
}

func newRandomWorkload(r *rand.Rand, n int) *randomWorkload {
	w := &randomWorkload{}
	for i := range n {
		nw := st.MakeNode(fmt.Sprintf("n%03d", i)).Zone(fmt.Sprintf("z%d", i%3)).
			Alloc("cpu", []string{"2", "4", "8"}[r.IntN(3)], "memory", []string{"4Gi", "8Gi"}[r.IntN(2)]).
			Label("tier", []string{"a", "b"}[r.IntN(2)])
		if r.IntN(8) == 0 {
			nw.Taint("spot", "", corev1.TaintEffectPreferNoSchedule)
		}
		if r.IntN(10) == 0 {
			nw.Taint("dedicated", "x", corev1.TaintEffectNoSchedule)
		}
		if r.IntN(3) == 0 {
			nw.Image(400<<20, "app:v1")
		}
		w.nodes = append(w.nodes, nw.Obj())
	}
	for i := range 8 {
		app := fmt.Sprintf("app%d", i)
		pw := st.MakePod(app).Labels("app", app).Req(st.Res("cpu", []string{"100m", "500m", "1"}[i%3], "memory", "256Mi"))
		switch i {
		case 0:
			pw.NodeSelector("tier", "a").Image("app:v1")
		case 1:
			pw.Preferred(20, st.Term(st.Expr("tier", corev1.NodeSelectorOpIn, "b"))).Toleration("spot", corev1.TolerationOpExists, "", "")
		case 2:
			pw.PodAntiAffinity(corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname, LabelSelector: st.Selector("app", app)})
		case 3:
			pw.Spread(corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: st.Selector("app", app)})
		case 4:
			pw.Spread(corev1.TopologySpreadConstraint{MaxSkew: 2, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: st.Selector("app", app)}).
				PreferredPodAffinity(30, corev1.PodAffinityTerm{TopologyKey: corev1.LabelTopologyZone, LabelSelector: st.Selector("app", "app0")})
		case 5:
			pw.Owner("apps/v1", "ReplicaSet", app) // spread by the system defaults
		case 6:
			pw.HostPort("", corev1.ProtocolTCP, 8080)
		case 7:
			pw.PodAffinity(corev1.PodAffinityTerm{TopologyKey: corev1.LabelTopologyZone, LabelSelector: st.Selector("app", "app0")}).
				Toleration("dedicated", corev1.TolerationOpEqual, "x", corev1.TaintEffectNoSchedule)
		}
		w.templates = append(w.templates, pw.Obj())
	}
	// Two DaemonSets' pods, pinned to their node by metadata.name (pod re-pins each copy); the
	// larger does not fit every node.
	for _, cpu := range []string{"50m", "3"} {
		ds := st.MakePod("daemon-"+cpu).Labels("app", "daemon-"+cpu, "pinned", "true").Req(st.Res("cpu", cpu, "memory", "64Mi")).
			Toleration("dedicated", corev1.TolerationOpExists, "", "").Obj()
		big := w.nodes[0]
		for _, n := range w.nodes {
			if n.Status.Allocatable.Cpu().Cmp(resource.MustParse("8")) == 0 && len(n.Spec.Taints) == 0 {
				big = n // the template itself fits where it is pinned
				break
			}
		}
		pinTo(ds, big.Name)
		w.templates = append(w.templates, ds)
	}
	return w
}

// pinTo gives p the node affinity the DaemonSet controller gives its pods: required, on the
// node's metadata.name.
func pinTo(p *corev1.Pod, node string) {
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
		}}},
	}}
}

func (w *randomWorkload) snapshot() *Snapshot {
	snap := snapshotOf(w.nodes)
	snap.UpsertReplicaSet(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "app5"},
		Spec: appsv1.ReplicaSetSpec{Selector: st.Selector("app", "app5")}})
	return snap
}

func (w *randomWorkload) pod(r *rand.Rand, i int) *corev1.Pod {
	p := *w.templates[r.IntN(len(w.templates))] // a shallow copy, as a controller stamps pods
	p.Name = fmt.Sprintf("%s-%d", p.Name, i)
	p.UID = types.UID(fmt.Sprintf("%s-%d", p.UID, i))
	if p.Labels["pinned"] == "true" {
		pinTo(&p, w.nodes[r.IntN(5)].Name) // few nodes: pods of both sets meet on them
	}
	return &p
}

// churn removes a few bound pods and changes a node.
func (w *randomWorkload) churn(r *rand.Rand, snap *Snapshot) {
	for range 3 {
		if len(w.bound) == 0 {
			break
		}
		j := r.IntN(len(w.bound))
		snap.RemovePod(w.bound[j])
		w.bound = append(w.bound[:j], w.bound[j+1:]...)
	}
	n := w.nodes[r.IntN(len(w.nodes))].DeepCopy()
	n.Labels["tier"] = []string{"a", "b"}[r.IntN(2)]
	if r.IntN(2) == 0 {
		n.Spec.Taints = nil
	}
	snap.UpsertNode(n)
}

// TestFilterScoreAllocations: no plugin's Filter or Score allocates for a node, for pods of
// every kind, once the cycle's PreFilter and PreScore (and a first Score) ran.
func TestFilterScoreAllocations(t *testing.T) {
	w := newRandomWorkload(rand.New(rand.NewPCG(1, 1)), 50)
	snap := w.snapshot()
	r := rand.New(rand.NewPCG(2, 2))
	for i := range 100 { // some pods in place, for the counts to count
		p := w.pod(r, i)
		p.Spec.NodeName = w.nodes[r.IntN(len(w.nodes))].Name
		snap.AddPod(p)
	}
	all := snap.nodeList()
	var slots []int32
	for _, ni := range all {
		slots = append(slots, ni.Slot)
	}
	reg := plugins.NewInTreeRegistry()
	for _, name := range []string{names.NodeName, names.NodeUnschedulable, names.TaintToleration, names.NodeAffinity, names.NodePorts,
		names.NodeResourcesFit, names.PodTopologySpread, names.InterPodAffinity, names.NodeResourcesBalancedAllocation, names.ImageLocality} {
		pl, err := reg[name](nil, framework.DefaultFeatures())
		if err != nil {
			t.Fatal(err)
		}
		for _, tmpl := range w.templates {
			state := framework.NewCycleState()
			state.SetCluster(snap.cluster)
			pi := framework.NewPodInfo(tmpl)
			if pf, ok := pl.(framework.PreFilterPlugin); ok {
				if _, st := pf.PreFilter(state, pi, all); !st.IsSuccess() {
					continue
				}
			}
			if f, ok := pl.(framework.FilterPlugin); ok {
				if n := testing.AllocsPerRun(5, func() {
					for _, node := range all {
						f.Filter(state, pi, node)
					}
				}); n != 0 {
					t.Errorf("%s: Filter of %s allocates %v times over %d nodes", name, tmpl.Name, n, len(all))
				}
			}
			if bf, ok := pl.(framework.BatchFilter); ok {
				out := make([]*framework.Status, len(slots))
				if n := testing.AllocsPerRun(5, func() { bf.FilterSlots(state, pi, slots, out) }); n != 0 {
					t.Errorf("%s: FilterSlots of %s allocates %v times over %d nodes", name, tmpl.Name, n, len(all))
				}
			}
			if ps, ok := pl.(framework.PreScorePlugin); ok {
				if st := ps.PreScore(state, pi, all); !st.IsSuccess() {
					continue
				}
			}
			if s, ok := pl.(framework.ScorePlugin); ok {
				if n := testing.AllocsPerRun(5, func() {
					for _, node := range all {
						s.Score(state, pi, node)
					}
				}); n != 0 {
					t.Errorf("%s: Score of %s allocates %v times over %d nodes", name, tmpl.Name, n, len(all))
				}
			}
			if bs, ok := pl.(framework.BatchScorer); ok {
				scores, totals := make([]int64, len(slots)), make([]int64, len(slots))
				if n := testing.AllocsPerRun(5, func() {
					bs.ScoreSlots(state, pi, slots, scores)
					if na, ok := bs.ScoreExtensions().(framework.NormalizeAdder); ok {
						na.NormalizeAndAdd(state, pi, slots, scores, 1, totals)
					}
				}); n != 0 {
					t.Errorf("%s: ScoreSlots and NormalizeAndAdd of %s allocate %v times over %d nodes", name, tmpl.Name, n, len(all))
				}
			}
		}
	}
}

// TestCycleAllocations: a whole cycle allocates as often on 1,000 nodes as on 100, for pods
// of every kind, with the template cache warm and with it off.
func TestCycleAllocations(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		allocs := func(n int) []float64 {
			r := rand.New(rand.NewPCG(3, 3))
			w := newRandomWorkload(r, n)
			snap := w.snapshot()
			for i := range n / 2 {
				p := w.pod(r, i)
				p.Spec.NodeName = w.nodes[r.IntN(len(w.nodes))].Name
				snap.AddPod(p)
			}
			s := newScheduler(t, Config{PercentageOfNodesToScore: 100}, 1)
			s.cache.disabled = disabled
			var out []float64
			for _, tmpl := range w.templates {
				s.Schedule(snap, tmpl, false) // warm the scratch buffers and caches
				out = append(out, testing.AllocsPerRun(10, func() { s.Schedule(snap, tmpl, false) }))
			}
			return out
		}
		small, large := allocs(100), allocs(1000)
		for i := range small {
			if large[i] > small[i] {
				t.Errorf("cache off %v, template %d: a cycle allocates %v times on 100 nodes and %v on 1000", disabled, i, small[i], large[i])
			}
		}
		t.Logf("cache off %v: allocations per cycle by template: %v (100 nodes), %v (1000 nodes)", disabled, small, large)
	}
}

// TestNarrowEntriesStartAfresh: pods pinned to one node (narrow entries, which share scratch
// storage) each get their own verdict on the node, even when the node has not changed since
// another pinned pod was judged there.
func TestNarrowEntriesStartAfresh(t *testing.T) {
	nodes := []*corev1.Node{st.MakeNode("small").Alloc("cpu", "2", "memory", "4Gi").Obj()}
	for i := range 20 {
		nodes = append(nodes, st.MakeNode(fmt.Sprintf("n%02d", i)).Alloc("cpu", "8", "memory", "16Gi").Obj())
	}
	snap := snapshotOf(nodes)
	s := newScheduler(t, Config{PercentageOfNodesToScore: 100}, 1)
	for i, c := range []struct {
		cpu, node string
	}{{"100m", "small"}, {"3", "small"}, {"100m", "small"}, {"3", "n00"}, {"3", "small"}} {
		p := st.MakePod(fmt.Sprintf("p%d", i)).Req(st.Res("cpu", c.cpu)).Obj()
		pinTo(p, "small")
		if c.node != "small" {
			pinTo(p, c.node)
		}
		want := c.node
		if c.cpu == "3" && c.node == "small" {
			want = "" // does not fit
		}
		if got := s.Schedule(snap, p, false); got.Node != want {
			t.Errorf("pod %d (%s pinned to %s): placed on %q, want %q (%s)", i, c.cpu, c.node, got.Node, want, got.Reason)
		}
	}
}

// TestPreemptionAllocations: a pod that fits nowhere, and whose preemption finds no victims,
// allocates no storage per node (the dry run's is reused from cycle to cycle): the bytes a
// failed cycle allocates on 1,000 nodes stay those of a cycle on 100, give or take the message
// of a larger cluster's more varied verdicts.
func TestPreemptionAllocations(t *testing.T) {
	bytesPerCycle := func(n int) uint64 {
		r := rand.New(rand.NewPCG(4, 4))
		w := newRandomWorkload(r, n)
		snap := w.snapshot()
		for i := range n / 2 {
			p := w.pod(r, i)
			p.Spec.NodeName = w.nodes[r.IntN(len(w.nodes))].Name
			snap.AddPod(p)
		}
		s := newScheduler(t, Config{PercentageOfNodesToScore: 100}, 1)
		big := st.MakePod("big").Req(st.Res("cpu", "64")).Obj()
		if res := s.ScheduleWithPreemption(snap, big, false); res.Node != "" || res.PostFilter == nil {
			t.Fatalf("the big pod was placed (%q) or preemption did not run", res.Node)
		}
		const runs = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			s.ScheduleWithPreemption(snap, big, false)
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	small, large := bytesPerCycle(100), bytesPerCycle(1000)
	t.Logf("bytes per failed cycle with preemption: %d (100 nodes), %d (1000 nodes)", small, large)
	if large > 2*small {
		t.Errorf("a failed cycle with preemption allocates %d bytes on 100 nodes and %d on 1000", small, large)
	}
}

// TestExplainChangesNothing: a cycle that explains itself (every rejected node kept, every
// plugin's scores stored) places each pod where the fast path places it, and moves the
// rotating start index the same way, with and without sampling, with churn between pods.
func TestExplainChangesNothing(t *testing.T) {
	for seed := range uint64(6) {
		for _, cfg := range []Config{{PercentageOfNodesToScore: 100}, {}, {PercentageOfNodesToScore: 30}} {
			r := rand.New(rand.NewPCG(seed, 9))
			fast, explained := newScheduler(t, cfg, seed), newScheduler(t, cfg, seed)
			w := newRandomWorkload(r, 150+r.IntN(250))
			snap := w.snapshot()
			for i := range 200 {
				if i%10 == 9 {
					w.churn(r, snap)
				}
				pod := w.pod(r, i)
				a, b := fast.ScheduleWithPreemption(snap, pod, false), explained.ScheduleWithPreemption(snap, pod, true)
				if a.Node != b.Node || a.Reason != b.Reason || fast.nextStartNodeIndex != explained.nextStartNodeIndex {
					t.Fatalf("seed %d, pct %d, pod %d (%s): fast %q (%s), start %d; explained %q (%s), start %d",
						seed, cfg.PercentageOfNodesToScore, i, pod.Name, a.Node, a.Reason, fast.nextStartNodeIndex, b.Node, b.Reason, explained.nextStartNodeIndex)
				}
				if a.Node != "" {
					bound := pod.DeepCopy()
					bound.Spec.NodeName = a.Node
					snap.AddPod(bound)
					w.bound = append(w.bound, bound)
				}
			}
		}
	}
}
