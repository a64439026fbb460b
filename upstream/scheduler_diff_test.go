package upstream

// Differential test of ksim's placement path against kube-scheduler v1.37's framework.
//
// Each case is a random cluster (scheduler_gen_test.go: zones, racks, hostnames, taints of all
// three effects, cordoned, full and nearly full nodes, images, host ports; namespaces with and
// without labels; Services, ReplicaSets, StatefulSets and ReplicationControllers; bound pods of
// a few workloads, some being deleted, with affinity terms of their own) and a stream of pods,
// most from the cluster's workloads (labels, owners, inter-pod affinity and anti-affinity with
// namespaces and namespaceSelectors and matchLabelKeys, topology spread constraints with
// minDomains, node inclusion policies and matchLabelKeys, or the system default spreading),
// some one-offs (requests of every shape, nodeSelectors, tolerations, node affinity,
// spec.nodeName, status.nominatedNodeName), with churn in between (pods deleted, nodes
// cordoned, retainted, relabelled, given other images, added and removed, namespaces
// relabelled, Services added). Every pod goes through ksim's Scheduler and through the real
// upstream framework built from the in-tree registry with a profile of exactly the plugins ksim
// implements, in the default profile's order and weights; the harness (refscheduler_test.go) reproduces
// schedule_one.go's unexported loop with one filter goroutine. For each pod it checks:
//
//   - the feasible node sets are equal (with percentageOfNodesToScore below 100: the same
//     nodes were found, so the same nodes were scored), and each rejected node was rejected
//     by the same plugin with the same reasons;
//   - every score plugin's normalised, weighted score is equal on every feasible node (a
//     plugin that skipped scoring on one side skipped on the other), and so are the totals;
//   - ksim's chosen node (random tie-break) is among upstream's top-scoring nodes, and ksim's
//     TieBreakUpstreamHeap choice is exactly the node upstream's sorted-nodes heap pops;
//   - when nothing fits, the unschedulable message is equal character for character.
//
// Then the pod is bound to ksim's node in both. The pod upstream sees is the one the API
// server would store (matchLabelKeys merged into the selectors); ksim gets that or the pod as
// written, at random, and must decide the same either way.
//
// A failure names the seed; rerun one case with
//
//	go test -run 'TestDifferentialPlacement/seed=17$' ./...
//
// or move the whole range with -diff.seed, -diff.clusters, -diff.pods; -diff.long runs ten
// times as many clusters. TestDifferentialAdaptive does the same on larger clusters with the
// adaptive percentageOfNodesToScore, where ksim and the harness must find the same feasible
// nodes from the same rotating start index.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
	"k8s.io/kubernetes/pkg/scheduler/metrics"

	"ksim.dev/ksim/scheduler"
)

var (
	diffSeed     = flag.Uint64("diff.seed", 1, "first cluster seed of the differential placement tests")
	diffClusters = flag.Int("diff.clusters", 200, "clusters in TestDifferentialPlacement")
	diffPods     = flag.Int("diff.pods", 50, "pods per cluster in TestDifferentialPlacement")
	diffLong     = flag.Bool("diff.long", false, "run ten times as many clusters in the differential placement tests")
)

// diffStats counts what the cases saw, to show that the interesting paths were taken: the
// fields for the common outcomes, seen for everything else by name.
type diffStats struct {
	mu                                                   sync.Mutex
	clusters, pods, placed, unschedulable, preFilterRej  int
	scored, ties, lone, restricted, rejectedNodes, churn int
	errors, nominated                                    int
	seen                                                 map[string]int
}

// count adds n to the named count.
func (s *diffStats) count(key string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	s.seen[key] += n
}

func (s *diffStats) report(t *testing.T) {
	t.Logf("clusters %d, pods %d (placed %d, unschedulable %d of which %d rejected in PreFilter); "+
		"scored %d (with ties for the top %d), lone feasible node %d (nominated node %d), restricted by PreFilter %d; "+
		"node rejections compared %d; scheduling errors on both sides %d; churn events %d",
		s.clusters, s.pods, s.placed, s.unschedulable, s.preFilterRej,
		s.scored, s.ties, s.lone, s.nominated, s.restricted, s.rejectedNodes, s.errors, s.churn)
	t.Log("seen:" + countsTable(s.seen, 60))
}

var initMetrics sync.Once

func TestDifferentialPlacement(t *testing.T) {
	initMetrics.Do(metrics.InitMetrics)
	clusters := *diffClusters
	if *diffLong {
		clusters *= 10
	}
	var stats diffStats
	for c := range clusters {
		seed := *diffSeed + uint64(c)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runDiffCluster(t, seed, *diffPods, clusterSmall, 100, &stats)
		})
	}
	stats.report(t)
	if !t.Failed() && clusters >= 200 && *diffPods >= 50 && stats.pods < 10000 {
		t.Errorf("only %d pods compared, want at least 10000", stats.pods)
	}
}

// TestDifferentialAdaptive runs larger clusters with percentageOfNodesToScore 0 (upstream's
// adaptive default) on both sides: the feasible nodes found, hence scored, must be the same.
func TestDifferentialAdaptive(t *testing.T) {
	initMetrics.Do(metrics.InitMetrics)
	clusters := 25
	if *diffLong {
		clusters *= 10
	}
	var stats diffStats
	for c := range clusters {
		seed := *diffSeed + 100000 + uint64(c)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runDiffCluster(t, seed, 40, clusterLarge, 0, &stats)
		})
	}
	stats.report(t)
	if !t.Failed() && stats.seen["sampled: fewer nodes scored than feasible"] == 0 {
		t.Errorf("no pod stopped the search early: the adaptive path was not exercised")
	}
}

// ksimPlugins is the profile both sides run: upstream's default multiPoint order and weights,
// restricted to the plugins ksim implements, plus the queue-sort and bind plugins upstream's
// framework requires.
var ksimPlugins = []config.Plugin{
	{Name: names.PrioritySort},
	{Name: names.NodeName},
	{Name: names.NodeUnschedulable},
	{Name: names.TaintToleration, Weight: 3},
	{Name: names.NodeAffinity, Weight: 2},
	{Name: names.NodePorts},
	{Name: names.NodeResourcesFit, Weight: 1},
	{Name: names.PodTopologySpread, Weight: 2},
	{Name: names.InterPodAffinity, Weight: 2},
	{Name: names.NodeResourcesBalancedAllocation, Weight: 1},
	{Name: names.ImageLocality, Weight: 1},
	{Name: names.DefaultBinder},
}

// diffCluster is one case: both sides, the objects they hold, and the generator.
type diffCluster struct {
	t      *testing.T
	seed   uint64
	r      *rand.Rand
	size   clusterSize
	up     *refScheduler
	snap   *scheduler.Snapshot
	random *scheduler.Scheduler // TieBreakRandom: its choice is bound
	heap   *scheduler.Scheduler // TieBreakUpstreamHeap: checked against upstream's pop
	stats  *diffStats

	// The generator's state (scheduler_gen_test.go): the objects both sides hold.
	nodes      map[string]*v1.Node
	order      []string             // node names, for picking at random
	pods       map[string][]*v1.Pod // bound pods by node, as written
	nextID     int
	zones      []string
	shapes     []int // indexes into cpuShapes and memShapes, or nil for any shape
	namespaces []string
	nsLabels   map[string]map[string]string // labels given to ksim (nil: not given)
	workloads  []*workload
	services   int
	building   bool // in buildCluster: no snapshot has been taken yet
}

func runDiffCluster(t *testing.T, seed uint64, numPods int, size clusterSize, pct int32, stats *diffStats) {
	r := rand.New(rand.NewPCG(seed, 0x6b73696d))
	random, err := scheduler.New(scheduler.Config{PercentageOfNodesToScore: pct}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	heapSched, err := scheduler.New(scheduler.Config{PercentageOfNodesToScore: pct, TieBreak: scheduler.TieBreakUpstreamHeap}, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		t.Fatal(err)
	}
	c := &diffCluster{
		t: t, seed: seed, r: r, size: size, up: newRefScheduler(t, ksimDefaultProfile(t, pct), false), snap: scheduler.NewSnapshot(),
		random: random, heap: heapSched, stats: stats,
	}
	c.buildCluster()
	c.up.sync(t)
	for i := range numPods {
		if i > 0 && r.IntN(6) == 0 {
			c.churn()
			c.up.sync(t)
		}
		c.schedule(i)
	}
	stats.mu.Lock()
	stats.clusters++
	stats.mu.Unlock()
}

func (c *diffCluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("seed %d: "+format, append([]any{c.seed}, args...)...)
}

// schedule places pod number i on both sides and compares.
func (c *diffCluster) schedule(i int) {
	t := c.t
	pod := c.genPod()
	stored := apiServerPod(pod) // what upstream reads from the API server
	forKsim := pod
	if c.r.IntN(2) == 0 {
		forKsim = stored
	}
	k := c.random.Schedule(c.snap, forKsim, true)
	h := c.heap.Schedule(c.snap, forKsim, false)
	u := c.up.schedule(stored)
	where := fmt.Sprintf("pod %d (%s)", i, describePod(pod))
	if ex := k.Explanation; ex != nil && !u.preFilt && !u.nominated && u.err == nil && len(c.order) > 0 &&
		(ex.StartIndex != u.start || ex.NumFeasibleToFind != u.numToFind) {
		c.fatalf("%s: filter pass from start index %d looking for %d nodes, upstream's from %d looking for %d",
			where, ex.StartIndex, ex.NumFeasibleToFind, u.start, u.numToFind)
	}

	c.stats.mu.Lock()
	c.stats.pods++
	if u.restrict {
		c.stats.restricted++
	}
	c.stats.rejectedNodes += len(u.rejected)
	c.stats.mu.Unlock()
	if u.sampled {
		c.stats.count("sampled: fewer nodes scored than feasible", 1)
	}
	for _, st := range u.rejected {
		if st.Plugin() == names.NodeResourcesFit {
			c.stats.count("node rejected: NodeResourcesFit", 1)
		} else {
			c.stats.count("node rejected: "+st.Plugin()+": "+strings.Join(st.Reasons(), ", "), 1)
		}
	}

	if u.err != nil || k.Err != nil {
		if u.err == nil || k.Err == nil {
			c.fatalf("%s: error: upstream %v, ksim %v", where, u.err, k.Err)
		}
		c.stats.mu.Lock()
		c.stats.errors++
		c.stats.mu.Unlock()
		return
	}
	if u.fitError != "" {
		if k.Node != "" || k.Reason != u.fitError || h.Reason != u.fitError {
			c.fatalf("%s: unschedulable message (-upstream +ksim):\n- %q\n+ %q (node %q)", where, u.fitError, k.Reason, k.Node)
		}
		c.stats.mu.Lock()
		c.stats.unschedulable++
		if u.preFilt {
			c.stats.preFilterRej++
		}
		c.stats.mu.Unlock()
		if !u.preFilt {
			c.compareFilters(where, k, u)
		}
		return
	}
	c.compareFilters(where, k, u)
	if len(u.feasible) == 1 {
		if k.Node != u.feasible[0] || h.Node != u.feasible[0] {
			c.fatalf("%s: lone feasible node %s, ksim chose %q / %q", where, u.feasible[0], k.Node, h.Node)
		}
		c.stats.mu.Lock()
		c.stats.lone++
		if u.nominated {
			c.stats.nominated++
		}
		c.stats.mu.Unlock()
	} else {
		c.compareScores(where, k, u)
		if len(pod.Spec.TopologySpreadConstraints) == 0 {
			for _, m := range u.scores {
				if _, ok := m[names.PodTopologySpread]; ok {
					c.stats.count("pod spread by the system defaults (Service or controller)", 1)
				}
				break
			}
		}
		var top []string
		best := int64(-1)
		for n, s := range u.totals {
			if s > best {
				best, top = s, nil
			}
			if s == best {
				top = append(top, n)
			}
		}
		if !slices.Contains(top, k.Node) {
			sort.Strings(top)
			c.fatalf("%s: ksim chose %s (total %d), upstream's best are %v (total %d)", where, k.Node, u.totals[k.Node], top, best)
		}
		if h.Node != u.heapPick {
			c.fatalf("%s: TieBreakUpstreamHeap chose %s, upstream pops %s (top %v)", where, h.Node, u.heapPick, top)
		}
		c.stats.mu.Lock()
		c.stats.scored++
		if len(top) > 1 {
			c.stats.ties++
		}
		c.stats.mu.Unlock()
	}
	c.stats.mu.Lock()
	c.stats.placed++
	c.stats.mu.Unlock()

	bound := pod.DeepCopy()
	bound.Spec.NodeName = k.Node
	bound.Status.NominatedNodeName = ""
	c.bind(bound, forKsim == stored)
	c.up.sync(t)
}

// compareFilters checks the feasible sets and each rejected node's plugin and reasons.
func (c *diffCluster) compareFilters(where string, k scheduler.Result, u refDecision) {
	var kFeasible []string
	for _, n := range k.Explanation.Nodes {
		if n.Feasible {
			kFeasible = append(kFeasible, n.Node)
		}
		st, rejected := u.rejected[n.Node]
		if !rejected {
			if len(n.Filters) > 0 && !n.Filters[len(n.Filters)-1].Passed {
				c.fatalf("%s: node %s: ksim's %s rejected it (%v), upstream did not", where, n.Node, n.Filters[len(n.Filters)-1].Plugin, n.Filters[len(n.Filters)-1].Reasons)
			}
			continue
		}
		if len(n.Filters) == 0 || n.Filters[len(n.Filters)-1].Passed {
			c.fatalf("%s: node %s: upstream's %s rejected it (%v), ksim did not: %+v", where, n.Node, st.Plugin(), st.Reasons(), n)
		}
		last := n.Filters[len(n.Filters)-1]
		want, got := slices.Sorted(slices.Values(st.Reasons())), slices.Sorted(slices.Values(last.Reasons))
		if last.Plugin != st.Plugin() || !slices.Equal(want, got) {
			c.fatalf("%s: node %s rejected by (-upstream +ksim):\n- %s %q\n+ %s %q", where, n.Node, st.Plugin(), want, last.Plugin, got)
		}
	}
	uFeasible := slices.Sorted(slices.Values(u.feasible))
	sort.Strings(kFeasible)
	if !slices.Equal(uFeasible, kFeasible) {
		c.fatalf("%s: feasible nodes (-upstream +ksim):\n- %v\n+ %v", where, uFeasible, kFeasible)
	}
}

// compareScores checks every plugin's weighted score and the total on every feasible node.
func (c *diffCluster) compareScores(where string, k scheduler.Result, u refDecision) {
	nonZero := map[string]bool{}
	for _, n := range k.Explanation.Nodes {
		if !n.Feasible {
			continue
		}
		got := map[string]int64{}
		for _, ps := range n.Scores {
			got[ps.Plugin] = ps.Weighted
			if ps.Weighted != ps.Normalized*ps.Weight {
				c.fatalf("%s: node %s: %s weighted %d != %d × %d", where, n.Node, ps.Plugin, ps.Weighted, ps.Normalized, ps.Weight)
			}
			if ps.Normalized != 0 {
				nonZero[ps.Plugin] = true
			}
		}
		want := u.scores[n.Node]
		if fmt.Sprint(want) != fmt.Sprint(got) || n.Total != u.totals[n.Node] {
			c.fatalf("%s: node %s scores (-upstream +ksim):\n- %v total %d\n+ %v total %d\n%+v",
				where, n.Node, want, u.totals[n.Node], got, n.Total, n.Scores)
		}
	}
	for p := range nonZero {
		c.stats.count("pod with a non-zero score from "+p, 1)
	}
}

// bind binds p (as written) on both sides: upstream gets the pod the API server stores, ksim
// that one when merged is set, else p.
func (c *diffCluster) bind(p *v1.Pod, merged bool) {
	stored := apiServerPod(p)
	if merged {
		c.snap.AddPod(stored)
	} else {
		c.snap.AddPod(p)
	}
	if err := c.up.cache.AddPod(c.up.logger, stored); err != nil {
		c.fatalf("upstream AddPod: %v", err)
	}
	c.pods[p.Spec.NodeName] = append(c.pods[p.Spec.NodeName], p)
}

func (c *diffCluster) unbind(p *v1.Pod) {
	c.snap.RemovePod(p)
	if err := c.up.cache.RemovePod(c.up.logger, apiServerPod(p)); err != nil {
		c.fatalf("upstream RemovePod: %v", err)
	}
}

// describePod is a short summary for failure messages.
func describePod(p *v1.Pod) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s labels=%v", p.Namespace, p.Name, p.Labels)
	for _, c := range p.Spec.Containers {
		fmt.Fprintf(&b, " req%v image=%s", c.Resources.Requests, c.Image)
		if len(c.Ports) > 0 {
			fmt.Fprintf(&b, " ports=%v", c.Ports)
		}
	}
	for _, c := range p.Spec.InitContainers {
		fmt.Fprintf(&b, " init%v", c.Resources.Requests)
	}
	if len(p.Spec.NodeSelector) > 0 {
		fmt.Fprintf(&b, " nodeSelector=%v", p.Spec.NodeSelector)
	}
	if len(p.Spec.Tolerations) > 0 {
		fmt.Fprintf(&b, " tolerations=%v", p.Spec.Tolerations)
	}
	if a := p.Spec.Affinity; a != nil {
		if a.NodeAffinity != nil {
			fmt.Fprintf(&b, " nodeAffinity=%v", a.NodeAffinity)
		}
		if a.PodAffinity != nil {
			fmt.Fprintf(&b, " podAffinity=%v", a.PodAffinity)
		}
		if a.PodAntiAffinity != nil {
			fmt.Fprintf(&b, " podAntiAffinity=%v", a.PodAntiAffinity)
		}
	}
	for _, c := range p.Spec.TopologySpreadConstraints {
		fmt.Fprintf(&b, " spread=%v", c.String())
	}
	if len(p.OwnerReferences) > 0 {
		fmt.Fprintf(&b, " owner=%s/%s", p.OwnerReferences[0].Kind, p.OwnerReferences[0].Name)
	}
	if p.Spec.NodeName != "" {
		fmt.Fprintf(&b, " nodeName=%s", p.Spec.NodeName)
	}
	return b.String()
}
