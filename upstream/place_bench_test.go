package upstream

// BenchmarkPlace measures one placement (schedule a pod and bind it; once 2,000 placed pods are
// on the cluster the oldest goes with each new one, so it then keeps its size) on the same generated cluster and pod stream, for ksim's
// scheduler and for kube-scheduler v1.37's framework, every node scored
// (percentageOfNodesToScore 100):
//
//	go test -run '^$' -bench 'BenchmarkPlace' -benchtime 2s ./
//
// Sub-benchmarks are mix=basic|full / nodes=100|1000|5000 / impl=ksim|upstream. The basic mix
// has requests, nodeSelectors, required and preferred node affinity and taints with
// tolerations; the full mix adds inter-pod affinity and anti-affinity, topology spread
// constraints and the system default spreading of pods owned by ReplicaSets behind Services.
// Each reports placements/s.
//
// The upstream side runs the scheduling cycle of pkg/scheduler/schedule_one.go (snapshot
// update, PreFilter, Filter on upstream's parallelizer with its default 16 workers, PreScore,
// Score, the sorted-nodes heap) on the real framework, cache and snapshot, then adds the pod
// to the cache as the binding would.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/backend/cache"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
	"k8s.io/kubernetes/pkg/scheduler/metrics"

	"ksim.dev/ksim/scheduler"
)

// placeWorkload is a generated cluster and pod stream.
type placeWorkload struct {
	nodes     []*v1.Node
	initial   []*v1.Pod // bound before the benchmark starts
	templates []*v1.Pod // the stream cycles through them
	services  []*v1.Service
	rss       []*appsv1.ReplicaSet
}

var placeZones = []string{"zone-a", "zone-b", "zone-c"}

// newPlaceWorkload builds n nodes in three zones (racks of 20, three sizes, a tenth tainted for
// a dedicated team, some soft-tainted spot nodes, a few cordoned) holding about three pods per
// node, and the mix's pod templates.
func newPlaceWorkload(mix string, n int) *placeWorkload {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	w := &placeWorkload{}
	for i := range n {
		name := fmt.Sprintf("node-%05d", i)
		zone := placeZones[i%len(placeZones)]
		cpu := []string{"8", "16", "32"}[r.IntN(3)]
		node := &v1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				v1.LabelHostname: name, v1.LabelTopologyZone: zone, v1.LabelTopologyRegion: "region-1",
				genRackKey: fmt.Sprintf("%s-rack-%d", zone, i/60), v1.LabelInstanceTypeStable: "m-" + cpu,
				"tier": []string{"web", "batch", "web"}[r.IntN(3)], v1.LabelOSStable: "linux", v1.LabelArchStable: "amd64",
			}},
			Status: v1.NodeStatus{Allocatable: v1.ResourceList{
				v1.ResourceCPU: resource.MustParse(cpu), v1.ResourceMemory: resource.MustParse(cpu + "Gi"),
				v1.ResourcePods: resource.MustParse("110"),
			}},
		}
		node.Labels["memory"] = cpu + "Gi"
		if r.IntN(3) == 0 {
			node.Labels["disk"] = "ssd"
		}
		switch {
		case r.IntN(10) == 0:
			node.Spec.Taints = []v1.Taint{{Key: "dedicated", Value: "ml", Effect: v1.TaintEffectNoSchedule}}
		case r.IntN(8) == 0:
			node.Spec.Taints = []v1.Taint{{Key: "spot", Effect: v1.TaintEffectPreferNoSchedule}}
		}
		node.Spec.Unschedulable = r.IntN(100) == 0
		for _, i := range r.Perm(len(genImages))[:r.IntN(4)] {
			node.Status.Images = append(node.Status.Images, v1.ContainerImage{Names: genImages[i].names, SizeBytes: genImages[i].size})
		}
		w.nodes = append(w.nodes, node)
	}
	w.templates = placeTemplates(mix, w)
	for i := range 3 * n {
		t := w.templates[(i*7)%len(w.templates)]
		p := placePod(t, "init", i)
		p.Spec.NodeName = w.nodes[r.IntN(n)].Name
		w.initial = append(w.initial, p)
	}
	return w
}

// placeTemplates returns the mix's pod templates: twelve apps in three namespaces.
func placeTemplates(mix string, w *placeWorkload) []*v1.Pod {
	var out []*v1.Pod
	for i := range 12 {
		app := fmt.Sprintf("app-%02d", i)
		ns := []string{"default", "team-a", "team-b"}[i%3]
		p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Labels: map[string]string{
			"app": app, "pod-template-hash": "h" + strconv.Itoa(i), "tier": []string{"fe", "be"}[i%2],
		}}}
		cpu := []string{"100m", "250m", "500m", "1"}[i%4]
		mem := []string{"128Mi", "256Mi", "512Mi", "1Gi"}[(i/2)%4]
		p.Spec.Containers = []v1.Container{{Name: "app", Image: genImages[i%len(genImages)].pod,
			Resources: v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu), v1.ResourceMemory: resource.MustParse(mem)}}}}
		aff := &v1.Affinity{}
		switch i % 6 {
		case 0:
			p.Spec.NodeSelector = map[string]string{"tier": "web"}
		case 1:
			aff.NodeAffinity = &v1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
				MatchExpressions: []v1.NodeSelectorRequirement{{Key: v1.LabelTopologyZone, Operator: v1.NodeSelectorOpIn, Values: []string{"zone-a", "zone-b"}}}}}}}
		case 2:
			aff.NodeAffinity = &v1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []v1.PreferredSchedulingTerm{{Weight: 50,
				Preference: v1.NodeSelectorTerm{MatchExpressions: []v1.NodeSelectorRequirement{{Key: "disk", Operator: v1.NodeSelectorOpIn, Values: []string{"ssd"}}}}}}}
		case 3:
			p.Spec.Tolerations = []v1.Toleration{{Key: "dedicated", Operator: v1.TolerationOpEqual, Value: "ml", Effect: v1.TaintEffectNoSchedule}}
		case 4:
			p.Spec.Tolerations = []v1.Toleration{{Key: "spot", Operator: v1.TolerationOpExists}}
			p.Spec.NodeSelector = map[string]string{v1.LabelOSStable: "linux"}
		}
		if mix == "full" {
			sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
			switch i % 4 {
			case 0: // one per node
				aff.PodAntiAffinity = &v1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{{
					LabelSelector: sel, TopologyKey: v1.LabelHostname}}}
			case 1: // even over zones, and preferably next to app-00's pods
				p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: v1.LabelTopologyZone,
					WhenUnsatisfiable: v1.DoNotSchedule, LabelSelector: sel, MatchLabelKeys: []string{"pod-template-hash"}}}
				aff.PodAffinity = &v1.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []v1.WeightedPodAffinityTerm{{Weight: 20,
					PodAffinityTerm: v1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "app-00"}},
						TopologyKey: v1.LabelTopologyZone, NamespaceSelector: &metav1.LabelSelector{}}}}}
			case 2: // spread softly over hosts and racks, away from each other
				p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{
					{MaxSkew: 2, TopologyKey: v1.LabelHostname, WhenUnsatisfiable: v1.ScheduleAnyway, LabelSelector: sel},
					{MaxSkew: 1, TopologyKey: genRackKey, WhenUnsatisfiable: v1.ScheduleAnyway, LabelSelector: sel},
				}
				aff.PodAntiAffinity = &v1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []v1.WeightedPodAffinityTerm{{Weight: 50,
					PodAffinityTerm: v1.PodAffinityTerm{LabelSelector: sel, TopologyKey: v1.LabelHostname}}}}
			case 3: // a ReplicaSet behind a Service: spread by the system defaults
				rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app, UID: types.UID("rs-" + app)},
					Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app, "pod-template-hash": "h" + strconv.Itoa(i)}}}}
				w.rss = append(w.rss, rs)
				w.services = append(w.services, &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app},
					Spec: v1.ServiceSpec{Selector: map[string]string{"app": app}}})
				p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: app, UID: rs.UID, Controller: new(true)}}
				if i%3 == 0 { // and next to app-00's pods, in one zone
					aff.PodAffinity = &v1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{{
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "app-00"}}, TopologyKey: v1.LabelTopologyZone,
						Namespaces: []string{"default"}}}}
				}
			}
		}
		if aff.NodeAffinity != nil || aff.PodAffinity != nil || aff.PodAntiAffinity != nil {
			p.Spec.Affinity = aff
		}
		out = append(out, apiServerPod(p))
	}
	return out
}

// placePod is pod number i of template t: a shallow copy with its own name and UID, as a
// controller stamps pods out of one template.
func placePod(t *v1.Pod, prefix string, i int) *v1.Pod {
	p := *t
	p.Name = prefix + "-" + strconv.Itoa(i)
	p.UID = types.UID(p.Name)
	return &p
}

// placer is one implementation under benchmark.
type placer interface {
	// place schedules pod and binds it; it returns the bound pod, or nil when it fits nowhere.
	place(pod *v1.Pod) *v1.Pod
	remove(pod *v1.Pod)
}

type ksimPlacer struct {
	snap  *scheduler.Snapshot
	sched *scheduler.Scheduler
}

func newKsimPlacer(w *placeWorkload) *ksimPlacer {
	k := &ksimPlacer{snap: scheduler.NewSnapshot()}
	var err error
	if k.sched, err = scheduler.New(scheduler.Config{PercentageOfNodesToScore: 100}, rand.New(rand.NewPCG(1, 2))); err != nil {
		panic(err)
	}
	for _, n := range w.nodes {
		k.snap.UpsertNode(n)
	}
	for _, s := range w.services {
		k.snap.UpsertService(s)
	}
	for _, rs := range w.rss {
		k.snap.UpsertReplicaSet(rs)
	}
	for _, p := range w.initial {
		k.snap.AddPod(p)
	}
	return k
}

// place binds the pod itself, as ksim's simulator does (the pod is ksim's own object; upstream
// binds a copy, because the informer owns the pod).
func (k *ksimPlacer) place(pod *v1.Pod) *v1.Pod {
	r := k.sched.Schedule(k.snap, pod, false)
	if r.Node == "" {
		return nil
	}
	pod.Spec.NodeName = r.Node
	k.snap.AddPod(pod)
	return pod
}

func (k *ksimPlacer) remove(pod *v1.Pod) { k.snap.RemovePod(pod) }

type upstreamPlacer struct {
	ctx       context.Context
	logger    klog.Logger
	fw        framework.Framework
	cache     cache.Cache
	snap      *cache.Snapshot
	nextStart int
}

func newUpstreamPlacer(b *testing.B, w *placeWorkload) *upstreamPlacer {
	initMetrics.Do(metrics.InitMetrics)
	ctx, cancel := context.WithCancel(context.Background())
	profile := ksimDefaultProfile(b, 100)
	u := &upstreamPlacer{ctx: ctx, logger: klog.FromContext(ctx), snap: cache.NewEmptySnapshot()}
	u.cache = cache.New(ctx, nil, false, false)
	inf := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	var err error
	u.fw, err = frameworkruntime.NewFramework(ctx, frameworkplugins.NewInTreeRegistry(), profile,
		frameworkruntime.WithSnapshotSharedLister(u.snap), frameworkruntime.WithInformerFactory(inf),
		frameworkruntime.WithParallelism(16))
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		frameworkruntime.WaitForShutdown(u.fw)
		u.fw, u.cache, u.snap = nil, nil, nil // let the next sub-benchmark's GC not scan them
	})
	for _, ns := range []string{"default", "team-a", "team-b"} {
		if err := inf.Core().V1().Namespaces().Informer().GetIndexer().Add(&v1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: ns, Labels: map[string]string{v1.LabelMetadataName: ns}}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range w.services {
		if err := inf.Core().V1().Services().Informer().GetIndexer().Add(s); err != nil {
			b.Fatal(err)
		}
	}
	for _, rs := range w.rss {
		if err := inf.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(rs); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range w.nodes {
		u.cache.AddNode(u.logger, n)
	}
	for _, p := range w.initial {
		if err := u.cache.AddPod(u.logger, p); err != nil {
			b.Fatal(err)
		}
	}
	return u
}

// place is schedulePod (schedule_one.go) with upstream's parallel filter pass, then the bind.
func (u *upstreamPlacer) place(pod *v1.Pod) *v1.Pod {
	if err := u.cache.UpdateSnapshot(u.logger, u.snap); err != nil {
		panic(err)
	}
	nodes, err := u.snap.NodeInfos().List()
	if err != nil || len(nodes) == 0 {
		return nil
	}
	state := framework.NewCycleState()
	_, st, _ := u.fw.RunPreFilterPlugins(u.ctx, state, pod)
	if !st.IsSuccess() {
		return nil
	}
	// findNodesThatPassFilters, every node wanted.
	feasible := make([]fwk.NodeInfo, len(nodes))
	statuses := make([]*fwk.Status, len(nodes))
	var found int32
	u.fw.Parallelizer().Until(u.ctx, len(nodes), func(i int) {
		ni := nodes[(u.nextStart+i)%len(nodes)]
		st := u.fw.RunFilterPlugins(u.ctx, state, pod, ni)
		if st.IsSuccess() {
			feasible[atomic.AddInt32(&found, 1)-1] = ni
		} else {
			statuses[i] = st
		}
	}, metrics.Filter)
	feasible = feasible[:found]
	diagnosis := framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}
	for i, st := range statuses {
		if st != nil {
			diagnosis.NodeToStatus.Set(nodes[(u.nextStart+i)%len(nodes)].Node().Name, st)
			diagnosis.AddPluginStatus(st)
		}
	}
	u.nextStart = (u.nextStart + len(nodes)) % len(nodes)
	var node string
	switch len(feasible) {
	case 0:
		_ = (&framework.FitError{Pod: pod, NumAllNodes: len(nodes), Diagnosis: diagnosis}).Error()
		return nil
	case 1:
		node = feasible[0].Node().Name
	default:
		if st := u.fw.RunPreScorePlugins(u.ctx, state, pod, feasible); !st.IsSuccess() {
			panic(st.AsError())
		}
		scores, st := u.fw.RunScorePlugins(u.ctx, state, pod, feasible)
		if !st.IsSuccess() {
			panic(st.AsError())
		}
		node = framework.NewSortedScoredNodes(scores).Pop().Name
	}
	bound := *pod
	bound.Spec.NodeName = node
	if err := u.cache.AddPod(u.logger, &bound); err != nil {
		panic(err)
	}
	return &bound
}

func (u *upstreamPlacer) remove(pod *v1.Pod) {
	if err := u.cache.RemovePod(u.logger, pod); err != nil {
		panic(err)
	}
}

var errNotPlaced = errors.New("no pod was placed")

// runPlacements places pods from the templates one per iteration, letting the oldest placed
// pod go once the cluster holds as many as it started with above its initial pods.
func runPlacements(b *testing.B, w *placeWorkload, p placer) {
	const window = 2000 // placed pods kept before the oldest goes
	var placed []*v1.Pod
	i, failed := 0, 0
	runtime.GC() // the setup's garbage is not the placements'
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pod := placePod(w.templates[(i*5)%len(w.templates)], "p", i)
		i++
		if bound := p.place(pod); bound != nil {
			placed = append(placed, bound)
		} else {
			failed++
		}
		if len(placed) > window {
			p.remove(placed[0])
			placed = placed[1:]
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "placements/s")
	b.ReportMetric(float64(failed)/float64(i), "unplaced/op")
	if len(placed) == 0 {
		b.Fatal(errNotPlaced)
	}
}

func BenchmarkPlace(b *testing.B) {
	for _, mix := range []string{"basic", "full"} {
		for _, n := range []int{100, 1000, 5000} {
			// Each sub-benchmark builds its own copy of the (deterministic) workload, so that
			// one's garbage collector does not scan another's cluster.
			b.Run(fmt.Sprintf("mix=%s/nodes=%d/impl=ksim", mix, n), func(b *testing.B) {
				w := newPlaceWorkload(mix, n)
				runPlacements(b, w, newKsimPlacer(w))
			})
			b.Run(fmt.Sprintf("mix=%s/nodes=%d/impl=upstream", mix, n), func(b *testing.B) {
				w := newPlaceWorkload(mix, n)
				runPlacements(b, w, newUpstreamPlacer(b, w))
			})
		}
	}
}
