package upstream

// Differential test of ksim's placement path against kube-scheduler v1.37's framework.
//
// Each case is a random cluster (zones, labels, taints of all three effects, cordoned and
// nearly full nodes) and a stream of random pods (requests with init and sidecar containers,
// overhead and pod-level requests, nodeSelectors, tolerations, required and preferred node
// affinity, DaemonSet-style metadata.name terms, spec.nodeName, status.nominatedNodeName),
// with churn in between (pods deleted, nodes cordoned, retainted, relabelled into another zone,
// added and removed). Every pod goes through ksim's Scheduler and through the real upstream framework built from the
// in-tree registry with a profile of exactly the plugins ksim implements; the harness below
// reproduces schedule_one.go's unexported loop with one filter goroutine and
// percentageOfNodesToScore 100. For each pod it checks:
//
//   - the feasible node sets are equal, and each rejected node was rejected by the same plugin
//     with the same reasons;
//   - every score plugin's normalised, weighted score is equal on every feasible node, and so
//     are the totals;
//   - ksim's chosen node (random tie-break) is among upstream's top-scoring nodes, and ksim's
//     TieBreakUpstreamHeap choice is exactly the node upstream's sorted-nodes heap pops;
//   - when nothing fits, the unschedulable message is equal character for character.
//
// Then the pod is bound to ksim's node in both. A failure names the seed; rerun one case with
//
//	go test -run 'TestDifferentialPlacement/seed=17$' ./...
//
// or move the whole range with -diff.seed, -diff.clusters, -diff.pods.

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/latest"
	"k8s.io/kubernetes/pkg/scheduler/backend/cache"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
	"k8s.io/kubernetes/pkg/scheduler/metrics"

	"ksim.dev/ksim/scheduler"
)

var (
	diffSeed     = flag.Uint64("diff.seed", 1, "first cluster seed of TestDifferentialPlacement")
	diffClusters = flag.Int("diff.clusters", 50, "clusters in TestDifferentialPlacement")
	diffPods     = flag.Int("diff.pods", 50, "pods per cluster in TestDifferentialPlacement")
)

var initMetrics sync.Once

// diffStats sums what the cases saw, to show that the interesting paths were taken.
type diffStats struct {
	mu                                                   sync.Mutex
	clusters, pods, placed, unschedulable, preFilterRej  int
	scored, ties, lone, restricted, rejectedNodes, churn int
	errors, nominated                                    int
}

func TestDifferentialPlacement(t *testing.T) {
	initMetrics.Do(metrics.InitMetrics)
	var stats diffStats
	for c := range *diffClusters {
		seed := *diffSeed + uint64(c)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runDiffCluster(t, seed, *diffPods, &stats)
		})
	}
	t.Logf("clusters %d, pods %d (placed %d, unschedulable %d of which %d rejected in PreFilter); "+
		"scored %d (with ties for the top %d), lone feasible node %d (nominated node %d), restricted by PreFilter %d; "+
		"node rejections compared %d; scheduling errors on both sides %d; churn events %d",
		stats.clusters, stats.pods, stats.placed, stats.unschedulable, stats.preFilterRej,
		stats.scored, stats.ties, stats.lone, stats.nominated, stats.restricted, stats.rejectedNodes, stats.errors, stats.churn)
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
	{Name: names.NodeResourcesFit, Weight: 1},
	{Name: names.NodeResourcesBalancedAllocation, Weight: 1},
	{Name: names.DefaultBinder},
}

// upstreamSide is the real framework, its cache and snapshot, and the harness's copy of the
// scheduler's rotating start index.
type upstreamSide struct {
	ctx       context.Context
	logger    klog.Logger
	fw        framework.Framework
	cache     cache.Cache
	snap      *cache.Snapshot
	nextStart int
}

func newUpstreamSide(t *testing.T) *upstreamSide {
	ctx, cancel := context.WithCancel(context.Background())
	defaults, err := latest.Default()
	if err != nil {
		t.Fatal(err)
	}
	profile := &config.KubeSchedulerProfile{
		SchedulerName:            "default-scheduler",
		PercentageOfNodesToScore: new(int32(100)),
		Plugins:                  &config.Plugins{MultiPoint: config.PluginSet{Enabled: ksimPlugins}},
		PluginConfig:             defaults.Profiles[0].PluginConfig,
	}
	u := &upstreamSide{ctx: ctx, logger: klog.FromContext(ctx), snap: cache.NewEmptySnapshot()}
	u.cache = cache.New(ctx, nil, false, false)
	u.fw, err = frameworkruntime.NewFramework(ctx, frameworkplugins.NewInTreeRegistry(), profile,
		frameworkruntime.WithSnapshotSharedLister(u.snap),
		frameworkruntime.WithParallelism(1))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		frameworkruntime.WaitForShutdown(u.fw)
	})
	return u
}

func (u *upstreamSide) sync(t *testing.T) {
	t.Helper()
	if err := u.cache.UpdateSnapshot(u.logger, u.snap); err != nil {
		t.Fatalf("upstream UpdateSnapshot: %v", err)
	}
}

// upstreamDecision is what upstream's scheduling cycle concluded for one pod.
type upstreamDecision struct {
	err       error
	fitError  string   // set when no node fits
	feasible  []string // in filter order
	rejected  map[string]*fwk.Status
	scores    map[string]map[string]int64 // node → plugin → weighted normalised score
	totals    map[string]int64
	heapPick  string // what NewSortedScoredNodes(...).Pop() returns
	restrict  bool
	preFilt   bool
	nominated bool // the nominated node was taken
}

// schedule runs pod through the framework as pkg/scheduler/schedule_one.go's schedulePod and
// findNodesThatFitPod do, with one filter goroutine and every node scored.
func (u *upstreamSide) schedule(pod *v1.Pod) upstreamDecision {
	d := upstreamDecision{rejected: map[string]*fwk.Status{}}
	all, err := u.snap.NodeInfos().List()
	if err != nil {
		d.err = err
		return d
	}
	if len(all) == 0 {
		d.fitError = "no nodes available to schedule pods"
		return d
	}
	state := framework.NewCycleState()
	diagnosis := framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}
	fitError := func() string {
		return (&framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: diagnosis}).Error()
	}
	preRes, st, plugins := u.fw.RunPreFilterPlugins(u.ctx, state, pod)
	if !st.IsSuccess() {
		if !st.IsRejected() {
			d.err = st.AsError()
			return d
		}
		diagnosis.NodeToStatus.SetAbsentNodesStatus(st)
		diagnosis.PreFilterMsg = st.Message()
		d.fitError, d.preFilt = fitError(), true
		return d
	}
	// evaluateNominatedNode: a nominated node is filtered first and taken if it passes; a
	// rejection stays in the diagnosis.
	if nnn := pod.Status.NominatedNodeName; nnn != "" {
		if ni, err := u.snap.NodeInfos().Get(nnn); err == nil {
			st := u.fw.RunFilterPlugins(u.ctx, state, pod, ni)
			if st.IsSuccess() {
				d.feasible, d.heapPick, d.nominated = []string{nnn}, nnn, true
				return d
			}
			if st.IsRejected() {
				diagnosis.NodeToStatus.Set(nnn, st)
				diagnosis.AddPluginStatus(st)
				d.rejected[nnn] = st
			}
		}
	}
	nodes := all
	if !preRes.AllNodes() {
		// Upstream walks preRes.NodeNames in map order; the harness picks snapshot order, one of
		// the orders upstream may produce and the one ksim uses.
		nodes = nil
		for _, n := range all {
			if preRes.NodeNames.Has(n.Node().Name) {
				nodes = append(nodes, n)
			}
		}
		diagnosis.NodeToStatus.SetAbsentNodesStatus(fwk.NewStatus(fwk.UnschedulableAndUnresolvable,
			fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", sets.List(plugins))))
		d.restrict = true
	}
	var feasible []fwk.NodeInfo
	for i := range nodes {
		ni := nodes[(u.nextStart+i)%len(nodes)]
		st := u.fw.RunFilterPlugins(u.ctx, state, pod, ni)
		switch {
		case st.IsSuccess():
			feasible = append(feasible, ni)
			d.feasible = append(d.feasible, ni.Node().Name)
		case st.IsRejected():
			diagnosis.NodeToStatus.Set(ni.Node().Name, st)
			diagnosis.AddPluginStatus(st)
			d.rejected[ni.Node().Name] = st
		default:
			d.err = st.AsError()
		}
	}
	u.nextStart = (u.nextStart + len(feasible) + diagnosis.NodeToStatus.Len()) % len(all)
	if d.err != nil {
		return d
	}
	switch len(feasible) {
	case 0:
		d.fitError = fitError()
		return d
	case 1:
		d.heapPick = feasible[0].Node().Name
		return d
	}
	if st := u.fw.RunPreScorePlugins(u.ctx, state, pod, feasible); !st.IsSuccess() {
		d.err = st.AsError()
		return d
	}
	scores, st := u.fw.RunScorePlugins(u.ctx, state, pod, feasible)
	if !st.IsSuccess() {
		d.err = st.AsError()
		return d
	}
	d.scores, d.totals = map[string]map[string]int64{}, map[string]int64{}
	for _, ns := range scores {
		m := map[string]int64{}
		for _, ps := range ns.Scores {
			m[ps.Name] = ps.Score
		}
		d.scores[ns.Name], d.totals[ns.Name] = m, ns.TotalScore
	}
	d.heapPick = framework.NewSortedScoredNodes(scores).Pop().Name
	return d
}

// diffCluster is one case: both sides, the objects they hold, and the generator.
type diffCluster struct {
	t       *testing.T
	seed    uint64
	r       *rand.Rand
	up      *upstreamSide
	snap    *scheduler.Snapshot
	random  *scheduler.Scheduler // TieBreakRandom: its choice is bound
	heap    *scheduler.Scheduler // TieBreakUpstreamHeap: checked against upstream's pop
	nodes   map[string]*v1.Node
	order   []string             // node names, for picking at random
	pods    map[string][]*v1.Pod // bound pods by node
	nextID  int
	zones   []string
	shapes  []int // indexes into cpuShapes and memShapes, or nil for any shape
	stats   *diffStats
	podsRun int
}

func runDiffCluster(t *testing.T, seed uint64, numPods int, stats *diffStats) {
	r := rand.New(rand.NewPCG(seed, 0x6b73696d))
	random, err := scheduler.New(scheduler.Config{PercentageOfNodesToScore: 100}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	heapSched, err := scheduler.New(scheduler.Config{PercentageOfNodesToScore: 100, TieBreak: scheduler.TieBreakUpstreamHeap}, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		t.Fatal(err)
	}
	c := &diffCluster{
		t: t, seed: seed, r: r, up: newUpstreamSide(t), snap: scheduler.NewSnapshot(),
		random: random, heap: heapSched,
		nodes: map[string]*v1.Node{}, pods: map[string][]*v1.Pod{}, stats: stats,
	}
	for i := range 1 + r.IntN(4) {
		c.zones = append(c.zones, fmt.Sprintf("zone-%c", 'a'+i))
	}
	numNodes := 1 + r.IntN(40)
	switch r.IntN(25) {
	case 0:
		numNodes = 0
	case 1, 2, 3, 4, 5:
		numNodes = 40 + r.IntN(110)
	}
	// Some clusters are built from one or two node shapes, so that scores tie often.
	if r.IntN(3) == 0 {
		c.shapes = []int{r.IntN(len(cpuShapes)), r.IntN(len(cpuShapes))}
	}
	for range numNodes {
		c.addNode()
	}
	for _, name := range slices.Clone(c.order) {
		c.fillNode(name)
	}
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
	k := c.random.Schedule(c.snap, pod, true)
	h := c.heap.Schedule(c.snap, pod, false)
	u := c.up.schedule(pod)
	where := fmt.Sprintf("pod %d (%s)", i, describePod(pod))

	c.stats.mu.Lock()
	c.stats.pods++
	if u.restrict {
		c.stats.restricted++
	}
	c.stats.rejectedNodes += len(u.rejected)
	c.stats.mu.Unlock()

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
	c.bind(bound)
	c.up.sync(t)
}

// compareFilters checks the feasible sets and each rejected node's plugin and reasons.
func (c *diffCluster) compareFilters(where string, k scheduler.Result, u upstreamDecision) {
	var kFeasible []string
	for _, n := range k.Explanation.Nodes {
		if n.Feasible {
			kFeasible = append(kFeasible, n.Node)
		}
		st, rejected := u.rejected[n.Node]
		if !rejected {
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
func (c *diffCluster) compareScores(where string, k scheduler.Result, u upstreamDecision) {
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
		}
		want := u.scores[n.Node]
		if fmt.Sprint(want) != fmt.Sprint(got) || n.Total != u.totals[n.Node] {
			c.fatalf("%s: node %s scores (-upstream +ksim):\n- %v total %d\n+ %v total %d\n%+v",
				where, n.Node, want, u.totals[n.Node], got, n.Total, n.Scores)
		}
	}
}

func (c *diffCluster) bind(p *v1.Pod) {
	c.snap.AddPod(p)
	if err := c.up.cache.AddPod(c.up.logger, p); err != nil {
		c.fatalf("upstream AddPod: %v", err)
	}
	c.pods[p.Spec.NodeName] = append(c.pods[p.Spec.NodeName], p)
}

// churn changes the cluster between two pods, in both sides.
func (c *diffCluster) churn() {
	r := c.r
	c.stats.mu.Lock()
	c.stats.churn++
	c.stats.mu.Unlock()
	switch k := r.IntN(10); {
	case k < 3: // a pod goes away
		name := c.pickNode()
		if name == "" || len(c.pods[name]) == 0 {
			return
		}
		ps := c.pods[name]
		j := r.IntN(len(ps))
		p := ps[j]
		c.pods[name] = slices.Delete(ps, j, j+1)
		c.snap.RemovePod(p)
		if err := c.up.cache.RemovePod(c.up.logger, p); err != nil {
			c.fatalf("upstream RemovePod: %v", err)
		}
	case k < 7: // a node changes: cordon, taints, labels, zone
		name := c.pickNode()
		if name == "" {
			return
		}
		old := c.nodes[name]
		n := old.DeepCopy()
		switch r.IntN(4) {
		case 0:
			n.Spec.Unschedulable = !n.Spec.Unschedulable
		case 1:
			n.Spec.Taints = c.genTaints()
		case 2:
			n.Labels["tier"] = pick(r, "a", "b", "c")
			delete(n.Labels, "disk")
		case 3:
			n.Labels[v1.LabelTopologyZone] = pick(r, c.zones...)
		}
		c.nodes[name] = n
		c.snap.UpsertNode(n)
		c.up.cache.UpdateNode(c.up.logger, old, n)
	case k < 9: // a node joins
		name := c.addNode()
		if r.IntN(2) == 0 {
			c.fillNode(name)
		}
	default: // a node leaves, with its pods
		name := c.pickNode()
		if name == "" {
			return
		}
		for _, p := range c.pods[name] {
			if err := c.up.cache.RemovePod(c.up.logger, p); err != nil {
				c.fatalf("upstream RemovePod: %v", err)
			}
		}
		if err := c.up.cache.RemoveNode(c.up.logger, c.nodes[name]); err != nil {
			c.fatalf("upstream RemoveNode: %v", err)
		}
		c.snap.RemoveNode(name)
		delete(c.pods, name)
		delete(c.nodes, name)
		c.order = slices.DeleteFunc(c.order, func(s string) bool { return s == name })
	}
}

func (c *diffCluster) pickNode() string {
	if len(c.order) == 0 {
		return ""
	}
	return c.order[c.r.IntN(len(c.order))]
}

func pick(r *rand.Rand, options ...string) string { return options[r.IntN(len(options))] }

func (c *diffCluster) addNode() string {
	r := c.r
	c.nextID++
	name := fmt.Sprintf("node-%03d", c.nextID)
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1.LabelHostname: name}}}
	switch k := r.IntN(10); {
	case k == 0: // no zone at all
	case k == 1: // only the deprecated beta labels
		n.Labels[v1.LabelFailureDomainBetaZone] = pick(r, c.zones...)
		n.Labels[v1.LabelFailureDomainBetaRegion] = "region-1"
	default:
		n.Labels[v1.LabelTopologyZone] = pick(r, c.zones...)
		if r.IntN(2) == 0 {
			n.Labels[v1.LabelTopologyRegion] = pick(r, "region-1", "region-2")
		}
	}
	if r.IntN(5) > 0 {
		n.Labels["tier"] = pick(r, "a", "b", "c")
	}
	if r.IntN(2) == 0 {
		n.Labels["disk"] = pick(r, "ssd", "hdd")
	}
	if r.IntN(5) < 3 {
		n.Labels["gen"] = pick(r, "1", "3", "5", "7", "9", "x")
	}
	cpu, mem := pick(r, cpuShapes...), pick(r, memShapes...)
	if c.shapes != nil {
		shape := c.shapes[r.IntN(len(c.shapes))]
		cpu, mem = cpuShapes[shape], memShapes[shape]
	}
	alloc := v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse(cpu),
		v1.ResourceMemory: resource.MustParse(mem),
		v1.ResourcePods:   resource.MustParse(pick(r, "4", "10", "32", "110", "110")),
	}
	if r.IntN(2) == 0 {
		alloc[v1.ResourceEphemeralStorage] = resource.MustParse(pick(r, "10Gi", "100Gi"))
	}
	if r.IntN(5) == 0 {
		alloc["example.com/gpu"] = resource.MustParse(pick(r, "1", "2", "4"))
	}
	if r.IntN(10) == 0 {
		alloc["hugepages-2Mi"] = resource.MustParse("1Gi")
	}
	n.Status.Allocatable, n.Status.Capacity = alloc, alloc.DeepCopy()
	n.Spec.Taints = c.genTaints()
	n.Spec.Unschedulable = r.IntN(10) == 0
	c.nodes[name] = n
	c.order = append(c.order, name)
	c.snap.UpsertNode(n)
	c.up.cache.AddNode(c.up.logger, n)
	return name
}

var (
	taintKeys = []string{"dedicated", "gpu", "maint", "spot", "team"}
	cpuShapes = []string{"1", "2", "4", "8", "16", "2500m"}
	memShapes = []string{"2Gi", "4Gi", "8Gi", "16Gi", "64Gi", "1000Mi"}
)

func (c *diffCluster) genTaints() []v1.Taint {
	r := c.r
	var out []v1.Taint
	for range max(0, r.IntN(4)-1) {
		effect := []v1.TaintEffect{v1.TaintEffectNoSchedule, v1.TaintEffectNoExecute,
			v1.TaintEffectPreferNoSchedule, v1.TaintEffectPreferNoSchedule, v1.TaintEffectPreferNoSchedule}[r.IntN(5)]
		out = append(out, v1.Taint{Key: pick(r, taintKeys...), Value: pick(r, "", "a", "b", "5"), Effect: effect})
	}
	return out
}

// fillNode binds pods straight onto a node, to use between none and nearly all of it.
func (c *diffCluster) fillNode(name string) {
	n := c.nodes[name]
	cpu := n.Status.Allocatable.Cpu().MilliValue()
	mem := n.Status.Allocatable.Memory().Value()
	share := pick(c.r, "0", "0.3", "0.6", "0.9", "0.97")
	var f float64
	fmt.Sscan(share, &f)
	for usedCPU, usedMem, k := int64(0), int64(0), 0; k < 6; k++ {
		wantCPU, wantMem := int64(float64(cpu)*f)-usedCPU, int64(float64(mem)*f)-usedMem
		if wantCPU <= 0 || wantMem <= 0 {
			break
		}
		pc, pm := wantCPU/int64(2+c.r.IntN(2)), wantMem/int64(2+c.r.IntN(2))
		if k == 5 || pc < 50 {
			pc, pm = wantCPU, wantMem
		}
		p := c.newPod()
		p.Spec.NodeName = name
		p.Spec.Containers = []v1.Container{{Name: "app", Resources: v1.ResourceRequirements{Requests: v1.ResourceList{
			v1.ResourceCPU:    *resource.NewMilliQuantity(pc, resource.DecimalSI),
			v1.ResourceMemory: *resource.NewQuantity(pm, resource.BinarySI),
		}}}}
		if c.r.IntN(4) == 0 { // a best-effort neighbour, counted at the non-zero defaults
			p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: "sidecar"})
		}
		if c.r.IntN(8) == 0 { // being resized up: the status's larger requests count
			up := v1.ResourceList{v1.ResourceCPU: *resource.NewMilliQuantity(pc+pc/2, resource.DecimalSI)}
			p.Status.ContainerStatuses = []v1.ContainerStatus{{Name: "app", AllocatedResources: up,
				Resources: &v1.ResourceRequirements{Requests: up}}}
		}
		usedCPU, usedMem = usedCPU+pc, usedMem+pm
		c.bind(p)
	}
}

func (c *diffCluster) newPod() *v1.Pod {
	c.nextID++
	name := fmt.Sprintf("pod-%04d", c.nextID)
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: "default", Name: name, UID: types.UID(fmt.Sprintf("uid-%d-%s", c.seed, name)),
	}}
}

func (c *diffCluster) genRequests() v1.ResourceList {
	r := c.r
	rl := v1.ResourceList{}
	if r.IntN(10) < 7 {
		rl[v1.ResourceCPU] = resource.MustParse(pick(r, "50m", "100m", "250m", "500m", "1", "2", "3500m", "0"))
	}
	if r.IntN(10) < 7 {
		rl[v1.ResourceMemory] = resource.MustParse(pick(r, "64Mi", "128Mi", "512Mi", "1Gi", "3Gi", "0"))
	}
	if r.IntN(10) == 0 {
		rl[v1.ResourceEphemeralStorage] = resource.MustParse(pick(r, "1Gi", "50Gi"))
	}
	if r.IntN(12) == 0 {
		rl["example.com/gpu"] = resource.MustParse(pick(r, "1", "2"))
	}
	if r.IntN(30) == 0 {
		rl["hugepages-2Mi"] = resource.MustParse("512Mi")
	}
	return rl
}

func (c *diffCluster) genTerm() v1.NodeSelectorTerm {
	r := c.r
	var t v1.NodeSelectorTerm
	if r.IntN(25) == 0 {
		return t // an empty term selects nothing
	}
	for range 1 + r.IntN(2) {
		var e v1.NodeSelectorRequirement
		switch r.IntN(8) {
		case 0, 1:
			e = v1.NodeSelectorRequirement{Key: "tier", Operator: v1.NodeSelectorOpIn, Values: []string{pick(r, "a", "b", "c")}}
			if r.IntN(2) == 0 {
				e.Values = append(e.Values, pick(r, "a", "b", "c"))
			}
		case 2:
			e = v1.NodeSelectorRequirement{Key: "disk", Operator: v1.NodeSelectorOpNotIn, Values: []string{"hdd"}}
		case 3:
			e = v1.NodeSelectorRequirement{Key: pick(r, "disk", "gen"), Operator: v1.NodeSelectorOpExists}
		case 4:
			e = v1.NodeSelectorRequirement{Key: "disk", Operator: v1.NodeSelectorOpDoesNotExist}
		case 5:
			e = v1.NodeSelectorRequirement{Key: "gen", Operator: pick2(r, v1.NodeSelectorOpGt, v1.NodeSelectorOpLt), Values: []string{pick(r, "2", "5", "8")}}
		case 6:
			e = v1.NodeSelectorRequirement{Key: v1.LabelTopologyZone, Operator: v1.NodeSelectorOpIn, Values: []string{pick(r, c.zones...)}}
		case 7: // invalid: In without values, so the term matches nothing
			e = v1.NodeSelectorRequirement{Key: "tier", Operator: v1.NodeSelectorOpIn}
			if r.IntN(3) > 0 {
				e.Values = []string{"a"}
			}
		}
		t.MatchExpressions = append(t.MatchExpressions, e)
	}
	return t
}

func pick2(r *rand.Rand, a, b v1.NodeSelectorOperator) v1.NodeSelectorOperator {
	if r.IntN(2) == 0 {
		return a
	}
	return b
}

func (c *diffCluster) genPod() *v1.Pod {
	r := c.r
	p := c.newPod()
	for range 1 + r.IntN(3) {
		p.Spec.Containers = append(p.Spec.Containers, v1.Container{
			Name: fmt.Sprintf("c%d", len(p.Spec.Containers)), Resources: v1.ResourceRequirements{Requests: c.genRequests()}})
	}
	if r.IntN(5) == 0 {
		for range 1 + r.IntN(2) {
			ic := v1.Container{Name: fmt.Sprintf("i%d", len(p.Spec.InitContainers)), Resources: v1.ResourceRequirements{Requests: c.genRequests()}}
			if r.IntN(2) == 0 {
				always := v1.ContainerRestartPolicyAlways
				ic.RestartPolicy = &always
			}
			p.Spec.InitContainers = append(p.Spec.InitContainers, ic)
		}
	}
	if r.IntN(20) == 0 {
		p.Spec.Overhead = v1.ResourceList{v1.ResourceCPU: resource.MustParse("100m"), v1.ResourceMemory: resource.MustParse("64Mi")}
	}
	if r.IntN(20) == 0 {
		p.Spec.Resources = &v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse(pick(r, "1", "3"))}}
	}
	if r.IntN(5) == 0 {
		p.Spec.NodeSelector = map[string]string{}
		switch r.IntN(4) {
		case 0:
			p.Spec.NodeSelector["tier"] = pick(r, "a", "b")
		case 1:
			p.Spec.NodeSelector["disk"] = "ssd"
		case 2:
			p.Spec.NodeSelector[v1.LabelTopologyZone] = pick(r, c.zones...)
		case 3: // empty but not nil: NodeAffinity's Filter runs and passes
		}
	}
	if r.IntN(10) < 4 {
		for range 1 + r.IntN(3) {
			tol := v1.Toleration{Key: pick(r, taintKeys...), Operator: v1.TolerationOpEqual, Value: pick(r, "", "a", "b")}
			switch r.IntN(8) {
			case 0:
				tol.Operator, tol.Value = v1.TolerationOpExists, ""
			case 1:
				tol = v1.Toleration{Operator: v1.TolerationOpExists} // tolerates everything
			case 2:
				tol.Operator, tol.Value = v1.TolerationOpGt, "3" // alpha, off: matches nothing
			case 3:
				tol.Operator = ""
			}
			tol.Effect = []v1.TaintEffect{"", v1.TaintEffectNoSchedule, v1.TaintEffectNoExecute, v1.TaintEffectPreferNoSchedule}[r.IntN(4)]
			p.Spec.Tolerations = append(p.Spec.Tolerations, tol)
		}
	}
	na := &v1.NodeAffinity{}
	if r.IntN(4) == 0 {
		ns := &v1.NodeSelector{}
		if r.IntN(6) == 0 && len(c.order) > 0 { // a DaemonSet pod pinned to its node
			ns.NodeSelectorTerms = []v1.NodeSelectorTerm{{MatchFields: []v1.NodeSelectorRequirement{{
				Key: metav1.ObjectNameField, Operator: v1.NodeSelectorOpIn, Values: []string{c.pickNode()},
			}}}}
			if r.IntN(4) == 0 { // a name that does not exist
				ns.NodeSelectorTerms[0].MatchFields[0].Values[0] = "node-gone"
			}
		} else {
			for range 1 + r.IntN(2) {
				ns.NodeSelectorTerms = append(ns.NodeSelectorTerms, c.genTerm())
			}
		}
		na.RequiredDuringSchedulingIgnoredDuringExecution = ns
	}
	if r.IntN(10) < 3 {
		for range 1 + r.IntN(3) {
			t := c.genTerm()
			if len(t.MatchExpressions) > 0 && t.MatchExpressions[0].Operator == v1.NodeSelectorOpIn && len(t.MatchExpressions[0].Values) == 0 {
				t.MatchExpressions[0].Values = []string{"b"} // keep preferred terms valid
			}
			na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution,
				v1.PreferredSchedulingTerm{Weight: int32(r.IntN(101)), Preference: t})
		}
	}
	if na.RequiredDuringSchedulingIgnoredDuringExecution != nil || na.PreferredDuringSchedulingIgnoredDuringExecution != nil {
		p.Spec.Affinity = &v1.Affinity{NodeAffinity: na}
	}
	if r.IntN(30) == 0 && len(c.order) > 0 {
		p.Spec.NodeName = pick(r, c.pickNode(), "node-gone")
	}
	if r.IntN(20) == 0 && len(c.order) > 0 { // nominated by an earlier preemption
		p.Status.NominatedNodeName = pick(r, c.pickNode(), c.pickNode(), "node-gone")
	}
	return p
}

// describePod is a short summary for failure messages.
func describePod(p *v1.Pod) string {
	var b strings.Builder
	b.WriteString(p.Name)
	for _, c := range p.Spec.Containers {
		fmt.Fprintf(&b, " req%v", c.Resources.Requests)
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
	if p.Spec.Affinity != nil {
		fmt.Fprintf(&b, " nodeAffinity=%v", p.Spec.Affinity.NodeAffinity)
	}
	if p.Spec.NodeName != "" {
		fmt.Fprintf(&b, " nodeName=%s", p.Spec.NodeName)
	}
	return b.String()
}
