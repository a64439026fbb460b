package upstream

// Differential test of ksim's preemption (DefaultPreemption, PostFilter) against kube-scheduler
// v1.37's: pkg/scheduler/framework/plugins/defaultpreemption built on the real framework, with
// its exported Evaluator.DryRunPreemption and SelectCandidate.
//
// Each case is a random full cluster: zones, taints, small pod limits, bound pods of five
// priorities with distinct start times (so that upstream's last tie-break, map order, never
// decides), some with required anti-affinity; PodDisruptionBudgets with random
// disruptionsAllowed (and sometimes a pod already in disruptedPods); pending pods nominated to
// nodes with priorities above and below the preemptor's. The preemptor asks for more than any
// node has free, with random labels, anti-affinity, a zone spread constraint, a nodeSelector, a
// toleration, or preemptionPolicy Never. For each case:
//
//   - upstream's filter pass (RunFilterPluginsWithNominatedPods on every node, with a pod
//     nominator holding the nominated pods) gives the nodes rejected with Unschedulable, in
//     snapshot order; DryRunPreemption on them (one goroutine) from a random offset, looking for
//     a random number of candidates, must return the same candidates as ksim's
//     Scheduler.PreemptionCandidates with that offset and number — nodes, victims in order, PDB
//     violations — and SelectCandidate must choose the same one;
//   - ksim's ScheduleWithPreemption (its own offset, the default number of candidates, which is
//     every candidate node below 100 nodes) must nominate the node and victims upstream's
//     SelectCandidate chooses over all candidates, with the same unschedulable message: the
//     filter phase's FitError text, then the PostFilter's ("preemption: …").
//
// A failure names the seed; rerun one with
//
//	go test -run 'TestDifferentialPreemption/seed=17$' ./...
//
// -preempt.seed and -preempt.cases move the range.

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	policy "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/latest"
	"k8s.io/kubernetes/pkg/scheduler/backend/cache"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/defaultpreemption"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/feature"
	"k8s.io/kubernetes/pkg/scheduler/framework/preemption"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
	"k8s.io/kubernetes/pkg/scheduler/metrics"

	"ksim.dev/ksim/scheduler"
	ksimdp "ksim.dev/ksim/scheduler/plugins/defaultpreemption"
)

var (
	preemptSeed  = flag.Uint64("preempt.seed", 1, "first seed of TestDifferentialPreemption")
	preemptCases = flag.Int("preempt.cases", 400, "clusters in TestDifferentialPreemption")
)

// preemptStats counts what the cases exercised, so that a generator that drifts into trivial
// cases fails the test instead of passing it.
type preemptStats struct {
	mu                                                    sync.Mutex
	cases, fit, candidates, none, multi, violating, never int
	victimsMax, reprieved, nominatedBlocks, affinityCases int
}

func TestDifferentialPreemption(t *testing.T) {
	initMetrics.Do(metrics.InitMetrics)
	st := &preemptStats{}
	for i := range *preemptCases {
		seed := *preemptSeed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runPreemptCase(t, seed, st)
		})
	}
	t.Logf("%d cases: %d fit without preemption, %d with candidates (%d with several, %d with PDB violations, %d reprieved a victim, up to %d victims), %d without, %d preemptionPolicy Never; %d where a nominated pod held room; %d with inter-pod terms or spreading",
		st.cases, st.fit, st.candidates, st.multi, st.violating, st.reprieved, st.victimsMax, st.none, st.never, st.nominatedBlocks, st.affinityCases)
	if *preemptCases >= 200 && (st.candidates < st.cases/4 || st.multi < 20 || st.violating < 5 || st.none < 10 ||
		st.reprieved < 10 || st.nominatedBlocks < 3 || st.never < 5) {
		t.Errorf("the generator no longer exercises preemption enough: %+v", st)
	}
}

// fakeNominator is the pod nominator the upstream framework consults
// (RunFilterPluginsWithNominatedPods): the generated nominated pods, by node.
type fakeNominator struct{ byNode map[string][]fwk.PodInfo }

func (n *fakeNominator) AddNominatedPod(klog.Logger, fwk.PodInfo, *fwk.NominatingInfo) {}
func (n *fakeNominator) DeleteNominatedPodIfExists(*v1.Pod)                            {}
func (n *fakeNominator) UpdateNominatedPod(klog.Logger, *v1.Pod, fwk.PodInfo)          {}
func (n *fakeNominator) NominatedPodsForNode(node string) []fwk.PodInfo                { return n.byNode[node] }

// preemptCase is one cluster on both sides.
type preemptCase struct {
	t     *testing.T
	seed  uint64
	r     *rand.Rand
	ctx   context.Context
	log   klog.Logger
	fw    framework.Framework
	cache cache.Cache
	usnap *cache.Snapshot
	nom   *fakeNominator
	dp    *defaultpreemption.DefaultPreemption

	snap  *scheduler.Snapshot
	sched *scheduler.Scheduler

	nodes []*v1.Node
	pods  []*v1.Pod
	pdbs  []*policy.PodDisruptionBudget
	id    int
}

func (c *preemptCase) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("seed %d: "+format, append([]any{c.seed}, args...)...)
}

func newPreemptCase(t *testing.T, seed uint64) *preemptCase {
	ctx, cancel := context.WithCancel(context.Background())
	c := &preemptCase{t: t, seed: seed, r: rand.New(rand.NewPCG(seed, 0x70726565)), ctx: ctx, log: klog.FromContext(ctx),
		usnap: cache.NewEmptySnapshot(), nom: &fakeNominator{byNode: map[string][]fwk.PodInfo{}}, snap: scheduler.NewSnapshot()}
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
	c.cache = cache.New(ctx, nil, false, false)
	inf := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	c.fw, err = frameworkruntime.NewFramework(ctx, frameworkplugins.NewInTreeRegistry(), profile,
		frameworkruntime.WithSnapshotSharedLister(c.usnap), frameworkruntime.WithMutableSnapshotLister(c.usnap), frameworkruntime.WithInformerFactory(inf),
		frameworkruntime.WithPodNominator(c.nom), frameworkruntime.WithParallelism(1))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		frameworkruntime.WaitForShutdown(c.fw)
	})
	for _, ns := range []string{"default", "ns2"} {
		if err := inf.Core().V1().Namespaces().Informer().GetIndexer().Add(&v1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: ns, Labels: map[string]string{v1.LabelMetadataName: ns}}}); err != nil {
			t.Fatal(err)
		}
	}
	fts := feature.NewSchedulerFeaturesFromGates(utilfeature.DefaultFeatureGate)
	c.dp, err = defaultpreemption.New(ctx, &config.DefaultPreemptionArgs{MinCandidateNodesPercentage: 10, MinCandidateNodesAbsolute: 100}, c.fw, fts)
	if err != nil {
		t.Fatal(err)
	}
	c.sched, err = scheduler.New(scheduler.Config{PercentageOfNodesToScore: 100}, rand.New(rand.NewPCG(seed, 3)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	preemptPrios = []int32{-5, 0, 10, 100, 500}
	preemptEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (c *preemptCase) pick(options ...string) string { return options[c.r.IntN(len(options))] }

func (c *preemptCase) newPod(prefix string) *v1.Pod {
	c.id++
	name := fmt.Sprintf("%s-%d", prefix, c.id)
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name),
		Labels: map[string]string{"app": c.pick("a", "b", "c", "d")}}}
	p.Spec.SchedulerName = v1.DefaultSchedulerName
	p.Spec.Containers = []v1.Container{{Name: "c", Resources: v1.ResourceRequirements{Requests: v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse(c.pick("250m", "500m", "1", "1500m")),
		v1.ResourceMemory: resource.MustParse(c.pick("256Mi", "512Mi", "1Gi")),
	}}}}
	return p
}

func antiAffinity(app, key string) *v1.Affinity {
	return &v1.Affinity{PodAntiAffinity: &v1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}, TopologyKey: key}}}}
}

// build generates the cluster and gives it to both sides.
func (c *preemptCase) build() {
	zones := 1 + c.r.IntN(3)
	n := 3 + c.r.IntN(14)
	for i := range n {
		name := fmt.Sprintf("node-%02d", i)
		node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			v1.LabelHostname: name, v1.LabelTopologyZone: fmt.Sprintf("z%d", i%zones), "pool": c.pick("a", "b")}}}
		pods := "110"
		if c.r.IntN(6) == 0 {
			pods = c.pick("2", "3", "4")
		}
		node.Status.Allocatable = v1.ResourceList{
			v1.ResourceCPU:    resource.MustParse(c.pick("2", "4", "4", "8")),
			v1.ResourceMemory: resource.MustParse(c.pick("4Gi", "8Gi", "16Gi")),
			v1.ResourcePods:   resource.MustParse(pods),
		}
		node.Status.Capacity = node.Status.Allocatable
		if c.r.IntN(6) == 0 {
			node.Spec.Taints = []v1.Taint{{Key: "dedicated", Value: "x", Effect: v1.TaintEffectNoSchedule}}
		}
		c.nodes = append(c.nodes, node)
		c.snap.UpsertNode(node)
		c.cache.AddNode(c.log, node)
	}
	// Fill every node to 60–100% of its cpu.
	start := preemptEpoch
	for _, node := range c.nodes {
		cpu, free := node.Status.Allocatable.Cpu().MilliValue(), node.Status.Allocatable.Cpu().MilliValue()
		maxPods := int(node.Status.Allocatable.Pods().Value())
		target := cpu * int64(60+c.r.IntN(41)) / 100
		count := 0
		for free > cpu-target && count < maxPods {
			p := c.newPod("v")
			req := p.Spec.Containers[0].Resources.Requests.Cpu().MilliValue()
			if req > free {
				break
			}
			free -= req
			count++
			p.Spec.NodeName = node.Name
			p.Spec.Priority = new(preemptPrios[c.r.IntN(len(preemptPrios))])
			start = start.Add(time.Duration(1+c.r.IntN(60)) * time.Second) // distinct start times
			st := metav1.NewTime(start)
			p.Status.StartTime = &st
			p.Status.Phase = v1.PodRunning
			if c.r.IntN(8) == 0 {
				p.Namespace = "ns2"
			}
			if c.r.IntN(10) == 0 {
				p.Spec.Affinity = antiAffinity(c.pick("a", "b", "c", "d"), v1.LabelHostname)
			}
			c.pods = append(c.pods, p)
			c.snap.AddPod(p)
			if err := c.cache.AddPod(c.log, p); err != nil {
				c.fatalf("upstream AddPod: %v", err)
			}
		}
	}
	// PodDisruptionBudgets, in namespace/name order as ksim lists them.
	for i := range c.r.IntN(4) {
		pdb := &policy.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pdb-%d", i), Namespace: "default"},
			Spec:   policy.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": c.pick("a", "b", "c", "d")}}},
			Status: policy.PodDisruptionBudgetStatus{DisruptionsAllowed: int32(c.r.IntN(3))}}
		if c.r.IntN(4) == 0 {
			for _, p := range c.pods {
				if p.Labels["app"] == pdb.Spec.Selector.MatchLabels["app"] && p.Namespace == "default" {
					pdb.Status.DisruptedPods = map[string]metav1.Time{p.Name: {}}
					break
				}
			}
		}
		if c.r.IntN(10) == 0 {
			pdb.Spec.Selector = &metav1.LabelSelector{} // selects nothing, for preemption
		}
		c.pdbs = append(c.pdbs, pdb)
		c.snap.UpsertPDB(pdb)
	}
	// Pending pods nominated to nodes by earlier preemptions.
	for range c.r.IntN(5) {
		p := c.newPod("nom")
		p.Spec.Priority = new(int32([]int32{50, 200, 2000, 2000}[c.r.IntN(4)]))
		p.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse(c.pick("500m", "1", "2"))
		p.Status.NominatedNodeName = c.nodes[c.r.IntN(len(c.nodes))].Name
		c.snap.NominatePod(p)
		pi, _ := framework.NewPodInfo(p)
		c.nom.byNode[p.Status.NominatedNodeName] = append(c.nom.byNode[p.Status.NominatedNodeName], pi)
	}
	if err := c.cache.UpdateSnapshot(c.log, c.usnap); err != nil {
		c.fatalf("UpdateSnapshot: %v", err)
	}
}

// preemptor is the pod that fits nowhere (usually).
func (c *preemptCase) preemptor() (*v1.Pod, bool) {
	p := c.newPod("p")
	p.Spec.Priority = new(int32([]int32{100, 500, 1000}[c.r.IntN(3)]))
	p.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse(c.pick("1500m", "2", "3", "4"))
	terms := false
	switch c.r.IntN(8) {
	case 0:
		p.Spec.Affinity = antiAffinity(c.pick("a", "b", "c", "d"), v1.LabelHostname)
		terms = true
	case 1:
		p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: v1.LabelTopologyZone,
			WhenUnsatisfiable: v1.DoNotSchedule, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": p.Labels["app"]}}}}
		terms = true
	case 2:
		p.Spec.NodeSelector = map[string]string{"pool": c.pick("a", "b")}
	}
	if c.r.IntN(5) == 0 {
		p.Spec.Tolerations = []v1.Toleration{{Key: "dedicated", Operator: v1.TolerationOpExists}}
	}
	if c.r.IntN(12) == 0 {
		never := v1.PreemptNever
		p.Spec.PreemptionPolicy = &never
	}
	return p, terms
}

// upstreamFilter is the filter phase of upstream's cycle: PreFilter, then
// RunFilterPluginsWithNominatedPods on every node. It returns the cycle state, the diagnosis,
// the nodes rejected with Unschedulable (in snapshot order), and whether some node fits.
func (c *preemptCase) upstreamFilter(pod *v1.Pod) (fwk.CycleState, framework.Diagnosis, []fwk.NodeInfo, bool, bool) {
	state := framework.NewCycleState()
	diag := framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}
	all, err := c.usnap.NodeInfos().List()
	if err != nil {
		c.fatalf("List: %v", err)
	}
	preRes, st, plugins := c.fw.RunPreFilterPlugins(c.ctx, state, pod)
	if !st.IsSuccess() {
		if !st.IsRejected() {
			c.fatalf("upstream PreFilter: %v", st.AsError())
		}
		diag.NodeToStatus.SetAbsentNodesStatus(st)
		diag.PreFilterMsg = st.Message()
		var potential []fwk.NodeInfo
		if st.Code() == fwk.Unschedulable {
			potential = all
		}
		return state, diag, potential, false, true
	}
	if !preRes.AllNodes() {
		diag.NodeToStatus.SetAbsentNodesStatus(fwk.NewStatus(fwk.UnschedulableAndUnresolvable,
			fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", sortedKeys(plugins))))
	}
	var potential []fwk.NodeInfo
	blocked := false
	for _, ni := range all {
		if !preRes.AllNodes() && !preRes.NodeNames.Has(ni.Node().Name) {
			continue
		}
		st := c.fw.RunFilterPluginsWithNominatedPods(c.ctx, state, pod, ni)
		switch {
		case st.IsSuccess():
			return state, diag, nil, true, false
		case st.IsRejected():
			diag.NodeToStatus.Set(ni.Node().Name, st)
			if st.Code() == fwk.Unschedulable {
				potential = append(potential, ni)
			}
			if len(c.nom.byNode[ni.Node().Name]) > 0 && c.fw.RunFilterPlugins(c.ctx, state, pod, ni).IsSuccess() {
				blocked = true // only the nominated pods keep the pod off this node
			}
		default:
			c.fatalf("upstream Filter: %v", st.AsError())
		}
	}
	return state, diag, potential, false, blocked
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	var out []string
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// cand is a candidate as both sides can be compared.
type cand struct {
	Node      string
	Victims   []string
	Violating int64
}

func fromUpstream(cs []preemption.Candidate) []cand {
	var out []cand
	for _, x := range cs {
		k := cand{Node: x.Name(), Violating: x.Victims().NumPDBViolations}
		for _, p := range x.Victims().Pods {
			k.Victims = append(k.Victims, p.Namespace+"/"+p.Name)
		}
		out = append(out, k)
	}
	return out
}

func fromKsim(cs []ksimdp.Candidate) []cand {
	var out []cand
	for _, x := range cs {
		k := cand{Node: x.Node, Violating: x.NumPDBViolations}
		for _, p := range x.Victims {
			k.Victims = append(k.Victims, p.Namespace+"/"+p.Name)
		}
		out = append(out, k)
	}
	return out
}

func runPreemptCase(t *testing.T, seed uint64, st *preemptStats) {
	c := newPreemptCase(t, seed)
	c.build()
	pod, terms := c.preemptor()
	state, diag, potential, fits, blocked := c.upstreamFilter(pod)

	k := c.sched.ScheduleWithPreemption(c.snap, pod, false)
	st.mu.Lock()
	st.cases++
	if terms {
		st.affinityCases++
	}
	if blocked {
		st.nominatedBlocks++
	}
	st.mu.Unlock()
	if fits {
		if k.Node == "" {
			c.fatalf("upstream finds a feasible node, ksim none: %s", k.Reason)
		}
		st.mu.Lock()
		st.fit++
		st.mu.Unlock()
		return
	}
	if k.Node != "" {
		c.fatalf("ksim placed the pod on %s; upstream finds no feasible node", k.Node)
	}
	all, _ := c.usnap.NodeInfos().List()
	fitErr := (&framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: diag}).Error()

	never := pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == v1.PreemptNever
	if never {
		want := fitErr + " preemption: not eligible due to preemptionPolicy=Never."
		if k.Reason != want || k.PostFilter != nil {
			c.fatalf("preemptionPolicy Never:\n ksim     %q (%+v)\n upstream %q", k.Reason, k.PostFilter, want)
		}
		st.mu.Lock()
		st.never++
		st.mu.Unlock()
		return
	}

	// 1. The dry run from a random offset, for a random number of candidates, on both sides.
	var offset, num int32
	if n := int32(len(potential)); n > 0 {
		offset, num = c.r.Int32N(n), 1+c.r.Int32N(n)
	}
	var up []preemption.Candidate
	if len(potential) > 0 {
		var err error
		up, _, err = c.dp.Evaluator.DryRunPreemption(c.ctx, state, pod, potential, c.pdbs, offset, num)
		if err != nil {
			c.fatalf("upstream DryRunPreemption: %v", err)
		}
	}
	kc, kbest, err := c.sched.PreemptionCandidates(c.snap, pod, offset, num)
	if err != nil {
		c.fatalf("ksim PreemptionCandidates: %v", err)
	}
	if len(potential) == 0 && (len(kc) != 0 || kbest != nil) {
		c.fatalf("no node is worth a dry run, yet ksim found %d candidates", len(kc))
	}
	if got, want := fromKsim(kc), fromUpstream(up); !reflect.DeepEqual(got, want) {
		c.fatalf("offset %d, %d candidates wanted, on %d nodes: candidates differ\n ksim     %+v\n upstream %+v\npod %s",
			offset, num, len(potential), got, want, describePod(pod))
	}
	if ub := c.dp.Evaluator.SelectCandidate(c.ctx, up); (ub == nil) != (kbest == nil) ||
		(ub != nil && !reflect.DeepEqual(fromKsim([]ksimdp.Candidate{*kbest}), fromUpstream([]preemption.Candidate{ub}))) {
		c.fatalf("offset %d: chosen candidates differ: ksim %+v, upstream %+v", offset, kbest, ub)
	}

	// 2. ScheduleWithPreemption against upstream over every candidate node.
	var allUp []preemption.Candidate
	var statuses *framework.NodeToStatus
	if len(potential) > 0 {
		allUp, statuses, err = c.dp.Evaluator.DryRunPreemption(c.ctx, state, pod, potential, c.pdbs, 0, int32(len(potential)))
		if err != nil {
			c.fatalf("upstream DryRunPreemption: %v", err)
		}
	}
	var want string
	if len(allUp) == 0 {
		if statuses == nil {
			statuses = framework.NewDefaultNodeToStatus()
		}
		statuses.SetAbsentNodesStatus(fwk.NewStatus(fwk.UnschedulableAndUnresolvable, "Preemption is not helpful for scheduling"))
		want = fitErr + " preemption: " + (&framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: framework.Diagnosis{NodeToStatus: statuses}}).Error()
		if k.PostFilter == nil || !k.PostFilter.Nominate || k.PostFilter.NominatedNode != "" {
			c.fatalf("no candidate: ksim's PostFilter %+v, want the nomination cleared", k.PostFilter)
		}
	} else {
		best := c.dp.Evaluator.SelectCandidate(c.ctx, allUp)
		want = fmt.Sprintf("%s preemption: found a potential placement for pod on node %v, preempting %d victims", fitErr, best.Name(), len(best.Victims().Pods))
		got := ksimdp.Candidate{}
		if k.PostFilter != nil {
			got = ksimdp.Candidate{Node: k.PostFilter.NominatedNode, Victims: k.PostFilter.Victims, NumPDBViolations: int64(k.PostFilter.NumPDBViolations)}
		}
		if !reflect.DeepEqual(fromKsim([]ksimdp.Candidate{got}), fromUpstream([]preemption.Candidate{best})) {
			c.fatalf("ScheduleWithPreemption chose %+v, upstream %+v (of %+v)", fromKsim([]ksimdp.Candidate{got}), fromUpstream([]preemption.Candidate{best}), fromUpstream(allUp))
		}
	}
	if k.Reason != want {
		c.fatalf("unschedulable message:\n ksim     %q\n upstream %q", k.Reason, want)
	}

	st.mu.Lock()
	defer st.mu.Unlock()
	if len(allUp) == 0 {
		st.none++
		return
	}
	st.candidates++
	if len(allUp) > 1 {
		st.multi++
	}
	for _, x := range allUp {
		if x.Victims().NumPDBViolations > 0 {
			st.violating++
			break
		}
	}
	for _, x := range allUp {
		st.victimsMax = max(st.victimsMax, len(x.Victims().Pods))
		lower := 0
		for _, p := range c.pods {
			if p.Spec.NodeName == x.Name() && *p.Spec.Priority < *pod.Spec.Priority {
				lower++
			}
		}
		if lower > len(x.Victims().Pods) {
			st.reprieved++
			break
		}
	}
}
