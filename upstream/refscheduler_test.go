package upstream

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/informers"
	clientsetfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/latest"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/scheme"
	"k8s.io/kubernetes/pkg/scheduler/backend/cache"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"

	ksimplugins "ksim.dev/ksim/scheduler/plugins"
)

// The reference scheduler of the placement differentials (scheduler_diff_test.go,
// scheduler_config_diff_test.go, place_diff_test.go): kube-scheduler v1.37's real framework,
// built from the in-tree registry, with its cache, snapshot and the informers its plugins list
// namespaces and controllers from, and this harness's re-implementation of schedule_one.go's
// unexported scheduling cycle on one filter goroutine.

// refScheduler is the upstream side of a differential case.
type refScheduler struct {
	ctx       context.Context
	logger    klog.Logger
	fw        framework.Framework
	cache     cache.Cache
	snap      *cache.Snapshot
	informers informers.SharedInformerFactory
	nextStart int // schedule_one.go's rotating start index of the filter pass
}

// ksimDefaultProfile is the default profile narrowed to the plugins ksim implements
// (ksimPlugins: upstream's default multiPoint order and weights) with the default plugin
// arguments and the given percentageOfNodesToScore.
func ksimDefaultProfile(tb testing.TB, pct int32) *config.KubeSchedulerProfile {
	tb.Helper()
	defaults, err := latest.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return &config.KubeSchedulerProfile{
		SchedulerName:            "default-scheduler",
		PercentageOfNodesToScore: new(pct),
		Plugins:                  &config.Plugins{MultiPoint: config.PluginSet{Enabled: ksimPlugins}},
		PluginConfig:             defaults.Profiles[0].PluginConfig,
	}
}

// newRefScheduler builds the framework for prof. With restrict, prof is first narrowed to the
// plugins ksim implements (plus the queue sort and bind plugins the framework requires): ksim
// leaves the others out the same way.
func newRefScheduler(t *testing.T, prof *config.KubeSchedulerProfile, restrict bool) *refScheduler {
	t.Helper()
	prof = prof.DeepCopy()
	if restrict {
		keep := ksimplugins.NewInTreeRegistry()
		narrow := func(ps *config.PluginSet) {
			ps.Enabled = slices.DeleteFunc(ps.Enabled, func(p config.Plugin) bool {
				_, ok := keep[p.Name]
				return !ok && p.Name != names.PrioritySort && p.Name != names.DefaultBinder
			})
		}
		p := prof.Plugins
		for _, ps := range []*config.PluginSet{&p.MultiPoint, &p.PreEnqueue, &p.QueueSort, &p.PreFilter, &p.Filter,
			&p.PostFilter, &p.PreScore, &p.Score, &p.Reserve, &p.Permit, &p.PreBind, &p.Bind, &p.PostBind} {
			narrow(ps)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	client := clientsetfake.NewClientset()
	u := &refScheduler{ctx: ctx, logger: klog.FromContext(ctx), snap: cache.NewEmptySnapshot(),
		informers: informers.NewSharedInformerFactory(client, 0)}
	u.cache = cache.New(ctx, nil, false, false)
	var err error
	u.fw, err = frameworkruntime.NewFramework(ctx, frameworkplugins.NewInTreeRegistry(), prof,
		frameworkruntime.WithClientSet(client),
		frameworkruntime.WithInformerFactory(u.informers),
		frameworkruntime.WithSharedDRAManager(noDeviceClasses{}),
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

// noDeviceClasses is a DRA manager of a cluster without DeviceClasses, which ksim models:
// NodeResourcesFit asks it whether an extended resource it scores is backed by DRA, and no
// extended resource is. The other methods are not reached and panic on the nil interface.
type noDeviceClasses struct{ fwk.SharedDRAManager }

func (noDeviceClasses) DeviceClassResolver() fwk.DeviceClassResolver { return noDeviceClasses{} }

func (noDeviceClasses) GetDeviceClass(v1.ResourceName) *resourceapi.DeviceClass { return nil }

// upstreamProfileFromYAML decodes and defaults a configuration with upstream's codec and
// returns its first profile.
func upstreamProfileFromYAML(t *testing.T, data []byte) *config.KubeSchedulerProfile {
	t.Helper()
	obj, _, err := scheme.Codecs.UniversalDecoder().Decode(data, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &obj.(*config.KubeSchedulerConfiguration).Profiles[0]
}

func (u *refScheduler) addNode(n *v1.Node) { u.cache.AddNode(u.logger, n) }

func (u *refScheduler) addPod(t *testing.T, p *v1.Pod) {
	t.Helper()
	if err := u.cache.AddPod(u.logger, p); err != nil {
		t.Fatalf("upstream AddPod: %v", err)
	}
}

// sync brings the snapshot up to date with the cache, as each scheduling cycle starts.
func (u *refScheduler) sync(t *testing.T) {
	t.Helper()
	if err := u.cache.UpdateSnapshot(u.logger, u.snap); err != nil {
		t.Fatalf("upstream UpdateSnapshot: %v", err)
	}
}

// index puts an object where the plugins' listers find it.
func (u *refScheduler) index(t *testing.T, obj any) {
	t.Helper()
	var err error
	switch o := obj.(type) {
	case *v1.Namespace:
		err = u.informers.Core().V1().Namespaces().Informer().GetIndexer().Update(o)
	case *v1.Service:
		err = u.informers.Core().V1().Services().Informer().GetIndexer().Update(o)
	case *v1.ReplicationController:
		err = u.informers.Core().V1().ReplicationControllers().Informer().GetIndexer().Update(o)
	default:
		err = u.indexApps(obj)
	}
	if err != nil {
		t.Fatalf("upstream indexer: %v", err)
	}
}

// refDecision is what upstream's scheduling cycle concluded for one pod.
type refDecision struct {
	err       error
	fitError  string   // set when no node fits
	feasible  []string // in filter order
	rejected  map[string]*fwk.Status
	scores    map[string]map[string]int64 // node → plugin → weighted normalised score
	totals    map[string]int64
	top       []string // the nodes with the highest total, sorted (the lone feasible node)
	heapPick  string   // what NewSortedScoredNodes(...).Pop() returns
	restrict  bool     // a PreFilter restricted the candidates to some nodes
	preFilt   bool     // a PreFilter rejected the pod
	nominated bool     // the nominated node was taken
	sampled   bool     // the search stopped before looking at every candidate
	start     int      // the rotating start index of the filter pass
	numToFind int
}

// numFeasibleNodesToFind is schedule_one.go's rule, written again here because it is unexported.
func numFeasibleNodesToFind(percentage, numAllNodes int32) int32 {
	if numAllNodes < 100 {
		return numAllNodes
	}
	if percentage == 0 {
		percentage = max(int32(50)-numAllNodes/125, 5)
	}
	return max(numAllNodes*percentage/100, 100)
}

// schedule runs pod through the framework as pkg/scheduler/schedule_one.go's schedulePod,
// evaluateNominatedNode and findNodesThatFitPod do, with one filter goroutine: PreFilter, the
// nominated node first, Filter from the rotating start index until enough nodes are feasible,
// PreScore, Score, the FitError. No PostFilter (preemption has its own harness).
func (u *refScheduler) schedule(pod *v1.Pod) refDecision {
	d := refDecision{rejected: map[string]*fwk.Status{}}
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
				d.feasible, d.heapPick, d.top, d.nominated = []string{nnn}, nnn, []string{nnn}, true
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
	// findNodesThatPassFilters with one goroutine: the search stops at the first feasible
	// node beyond the number wanted (which is dropped); rejections met before it count.
	var pct int32 // the profile's, or adaptive
	if p := u.fw.PercentageOfNodesToScore(); p != nil {
		pct = *p
	} else if len(nodes) >= 100 {
		// kube-scheduler would fall back to the configuration's global percentage, which the
		// harness does not know: below 100 nodes every node is searched whatever it is.
		d.err = fmt.Errorf("harness: a profile without percentageOfNodesToScore on %d nodes; give the profile one", len(nodes))
		return d
	}
	numToFind := int(numFeasibleNodesToFind(pct, int32(len(nodes))))
	d.start, d.numToFind = u.nextStart, numToFind
	var feasible []fwk.NodeInfo
	for i := range nodes {
		ni := nodes[(u.nextStart+i)%len(nodes)]
		st := u.fw.RunFilterPlugins(u.ctx, state, pod, ni)
		switch {
		case st.IsSuccess():
			if len(feasible) == numToFind {
				d.sampled = true
				break
			}
			feasible = append(feasible, ni)
			d.feasible = append(d.feasible, ni.Node().Name)
			continue
		case st.IsRejected():
			diagnosis.NodeToStatus.Set(ni.Node().Name, st)
			diagnosis.AddPluginStatus(st)
			d.rejected[ni.Node().Name] = st
			continue
		default:
			d.err = st.AsError()
		}
		break
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
		d.heapPick, d.top = feasible[0].Node().Name, []string{feasible[0].Node().Name}
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
	best := int64(math.MinInt64)
	for _, ns := range scores {
		m := map[string]int64{}
		for _, ps := range ns.Scores {
			m[ps.Name] = ps.Score
		}
		d.scores[ns.Name], d.totals[ns.Name] = m, ns.TotalScore
		if ns.TotalScore > best {
			best, d.top = ns.TotalScore, nil
		}
		if ns.TotalScore == best {
			d.top = append(d.top, ns.Name)
		}
	}
	slices.Sort(d.top)
	d.heapPick = framework.NewSortedScoredNodes(scores).Pop().Name
	return d
}
