package upstream

// Differential tests of ksim's KubeSchedulerConfiguration handling against kube-scheduler v1.37.
//
//   - TestUpstreamPluginTable checks ksim's table of upstream plugins and the extension points
//     each implements against the real plugin types, by reflection, and against the in-tree
//     registry's names.
//   - TestConfigFilesAgainstUpstream reads every file of ../scheduler/testdata/config (the
//     cases of ksim's own config tests) with upstream's codec, defaulting, validation and
//     framework construction (NewFramework with the full in-tree registry), and checks that
//     ksim's ParseConfig accepts exactly the files upstream accepts (except those marked
//     "ksim-only", where ksim is stricter on purpose) and builds the same plugin lists, in the
//     same order, with the same score weights and percentages.
//   - TestDifferentialPlacementWithConfigs places random clusters (the generator of
//     scheduler_diff_test.go) with non-default configurations: MostAllocated,
//     RequestedToCapacityRatio, disabled plugins, changed weights, addedAffinity. The upstream
//     framework is built from the same YAML through upstream's own decoding and defaulting
//     (pkg/scheduler/apis/config/scheme), restricted to the plugins ksim implements; every pod
//     must get the same feasible nodes, the same per-plugin scores and the same verdicts.
//
// Rerun one placement case with
//
//	go test -run 'TestDifferentialPlacementWithConfigs/most-allocated/seed=3$' ./...
//
// or move the range with -refdiff.seed, -refdiff.clusters and -refdiff.pods.

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	clientsetfake "k8s.io/client-go/kubernetes/fake"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/scheme"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/validation"
	"k8s.io/kubernetes/pkg/scheduler/backend/cache"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/defaultbinder"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/defaultpreemption"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/deferredpodscheduling"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/dynamicresources"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/gangscheduling"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/imagelocality"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/interpodaffinity"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/nodeaffinity"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/nodedeclaredfeatures"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/nodename"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/nodeports"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/noderesources"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/nodeunschedulable"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/nodevolumelimits"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/podgrouppodscount"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/podtopologyspread"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/queuesort"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/schedulinggates"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/tainttoleration"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/topologyaware"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/volumebinding"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/volumerestrictions"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/volumezone"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
	"k8s.io/kubernetes/pkg/scheduler/metrics"

	"ksim.dev/ksim/scheduler"
)

// upstreamPluginValues are values of every in-tree plugin type, as their factories return them.
var upstreamPluginValues = map[string]any{
	names.DefaultBinder:                   &defaultbinder.DefaultBinder{},
	names.DefaultPreemption:               &defaultpreemption.DefaultPreemption{},
	names.DeferredPodScheduling:           &deferredpodscheduling.DeferredPodScheduling{},
	names.DynamicResources:                &dynamicresources.DynamicResources{},
	names.GangScheduling:                  &gangscheduling.GangScheduling{},
	names.ImageLocality:                   &imagelocality.ImageLocality{},
	names.InterPodAffinity:                &interpodaffinity.InterPodAffinity{},
	names.NodeAffinity:                    &nodeaffinity.NodeAffinity{},
	names.NodeDeclaredFeatures:            &nodedeclaredfeatures.NodeDeclaredFeatures{},
	names.NodeName:                        &nodename.NodeName{},
	names.NodePorts:                       &nodeports.NodePorts{},
	names.NodeResourcesBalancedAllocation: &noderesources.BalancedAllocation{},
	names.NodeResourcesFit:                &noderesources.Fit{},
	names.NodeUnschedulable:               &nodeunschedulable.NodeUnschedulable{},
	names.NodeVolumeLimits:                &nodevolumelimits.CSILimits{},
	names.PodGroupPodsCount:               &podgrouppodscount.PodGroupPodsCount{},
	names.PodTopologySpread:               &podtopologyspread.PodTopologySpread{},
	names.PrioritySort:                    &queuesort.PrioritySort{},
	names.SchedulingGates:                 &schedulinggates.SchedulingGates{},
	names.TaintToleration:                 &tainttoleration.TaintToleration{},
	names.TopologyPlacementGenerator:      &topologyaware.TopologyPlacement{},
	names.VolumeBinding:                   &volumebinding.VolumeBinding{},
	names.VolumeRestrictions:              &volumerestrictions.VolumeRestrictions{},
	names.VolumeZone:                      &volumezone.VolumeZone{},
}

// pointInterfaces are upstream's plugin interfaces by the profile field that lists them, in
// the framework's order (getExtensionPoints).
var pointInterfaces = []struct {
	name  string
	iface reflect.Type
}{
	{"preFilter", reflect.TypeFor[fwk.PreFilterPlugin]()},
	{"filter", reflect.TypeFor[fwk.FilterPlugin]()},
	{"postFilter", reflect.TypeFor[fwk.PostFilterPlugin]()},
	{"reserve", reflect.TypeFor[fwk.ReservePlugin]()},
	{"preScore", reflect.TypeFor[fwk.PreScorePlugin]()},
	{"score", reflect.TypeFor[fwk.ScorePlugin]()},
	{"preBind", reflect.TypeFor[fwk.PreBindPlugin]()},
	{"bind", reflect.TypeFor[fwk.BindPlugin]()},
	{"postBind", reflect.TypeFor[fwk.PostBindPlugin]()},
	{"permit", reflect.TypeFor[fwk.PermitPlugin]()},
	{"preEnqueue", reflect.TypeFor[fwk.PreEnqueuePlugin]()},
	{"queueSort", reflect.TypeFor[fwk.QueueSortPlugin]()},
	{"placementGenerate", reflect.TypeFor[fwk.PlacementGeneratePlugin]()},
	{"placementScore", reflect.TypeFor[fwk.PlacementScorePlugin]()},
	{"podGroupPostFilter", reflect.TypeFor[fwk.PodGroupPostFilterPlugin]()},
}

func TestUpstreamPluginTable(t *testing.T) {
	reg := frameworkplugins.NewInTreeRegistry()
	for name := range reg {
		v, ok := upstreamPluginValues[name]
		if !ok {
			t.Errorf("upstream registers %s, which this test does not know", name)
			continue
		}
		var want []string
		for _, p := range pointInterfaces {
			if reflect.TypeOf(v).Implements(p.iface) {
				want = append(want, p.name)
			}
		}
		if got := scheduler.UpstreamPluginExtensionPoints(name); !slices.Equal(want, got) {
			t.Errorf("%s: extension points (-upstream +ksim):\n- %v\n+ %v", name, want, got)
		}
	}
	for name := range upstreamPluginValues {
		if _, ok := reg[name]; !ok {
			t.Errorf("%s is not in upstream's registry", name)
		}
	}
	if got := scheduler.UpstreamPluginExtensionPoints("MyPlugin"); got != nil {
		t.Errorf("an unknown plugin has extension points %v", got)
	}
}

// upstreamProfile is what upstream's framework holds for one profile.
type upstreamProfile struct {
	name                                    string
	pct                                     *int32
	preFilter, filter, preScore, scoreOrder []string
	weights                                 map[string]int64
}

// upstreamLoad reads a configuration as kube-scheduler does: its strict codec with defaulting
// (cmd/kube-scheduler/app/options/configfile.go loadConfig), ValidateKubeSchedulerConfiguration,
// and one NewFramework per profile with the full in-tree registry.
func upstreamLoad(data []byte) (*config.KubeSchedulerConfiguration, []upstreamProfile, error) {
	obj, gvk, err := scheme.Codecs.UniversalDecoder().Decode(data, nil, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("decode: %w", err)
	}
	cfg, ok := obj.(*config.KubeSchedulerConfiguration)
	if !ok {
		return nil, nil, fmt.Errorf("decoded a %s", gvk)
	}
	cfg.TypeMeta.APIVersion = gvk.GroupVersion().String()
	if err := validation.ValidateKubeSchedulerConfiguration(cfg); err != nil {
		return nil, nil, fmt.Errorf("validate: %w", err)
	}
	ctx := context.Background()
	client := clientsetfake.NewClientset()
	informerFactory := informers.NewSharedInformerFactory(client, 0)
	var out []upstreamProfile
	for i := range cfg.Profiles {
		fw, err := frameworkruntime.NewFramework(ctx, frameworkplugins.NewInTreeRegistry(), &cfg.Profiles[i],
			frameworkruntime.WithClientSet(client),
			frameworkruntime.WithInformerFactory(informerFactory),
			frameworkruntime.WithSnapshotSharedLister(cache.NewEmptySnapshot()),
			frameworkruntime.WithParallelism(1))
		if err != nil {
			return nil, nil, fmt.Errorf("framework: %w", err)
		}
		pl := fw.ListPlugins()
		up := upstreamProfile{name: fw.ProfileName(), pct: fw.PercentageOfNodesToScore(), weights: map[string]int64{}}
		list := func(ps config.PluginSet) []string {
			var names []string
			for _, p := range ps.Enabled {
				names = append(names, p.Name)
			}
			return names
		}
		up.preFilter, up.filter, up.preScore, up.scoreOrder = list(pl.PreFilter), list(pl.Filter), list(pl.PreScore), list(pl.Score)
		for _, p := range pl.Score.Enabled {
			up.weights[p.Name] = int64(p.Weight)
		}
		out = append(out, up)
	}
	return cfg, out, nil
}

func TestConfigFilesAgainstUpstream(t *testing.T) {
	refMetrics.Do(metrics.InitMetrics)
	files, err := filepath.Glob(filepath.Join("..", "scheduler", "testdata", "config", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configuration files: %v", err)
	}
	accepted, rejected := 0, 0
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			upCfg, upProfiles, upErr := upstreamLoad(data)
			cfg, kErr := scheduler.ParseConfig(name, data)
			if strings.Contains(string(data), "# ksim-only") {
				if kErr == nil {
					t.Errorf("ksim accepts a file marked ksim-only")
				}
				if upErr != nil {
					t.Errorf("upstream rejects a file marked ksim-only (it should accept it, ksim is stricter on purpose): %v", upErr)
				}
				return
			}
			if (upErr == nil) != (kErr == nil) {
				t.Fatalf("upstream error: %v\nksim error: %v", upErr, kErr)
			}
			if upErr != nil {
				rejected++
				t.Logf("both reject it.\nupstream: %v\nksim:     %v", upErr, kErr)
				return
			}
			accepted++
			if got, want := cfg.PercentageOfNodesToScore, *upCfg.PercentageOfNodesToScore; got != want {
				t.Errorf("percentageOfNodesToScore: upstream %d, ksim %d", want, got)
			}
			if len(cfg.Profiles) != len(upProfiles) {
				t.Fatalf("upstream has %d profiles, ksim %d", len(upProfiles), len(cfg.Profiles))
			}
			for i, up := range upProfiles {
				k := cfg.Profiles[i]
				compareProfile(t, up, k)
			}
		})
	}
	t.Logf("%d files: both accept %d, both reject %d", len(files), accepted, rejected)
}

func compareProfile(t *testing.T, up upstreamProfile, k scheduler.Profile) {
	t.Helper()
	if up.name != k.SchedulerName || fmt.Sprint(deref(up.pct)) != fmt.Sprint(deref(k.PercentageOfNodesToScore)) {
		t.Errorf("profile: upstream %s (pct %v), ksim %s (pct %v)", up.name, deref(up.pct), k.SchedulerName, deref(k.PercentageOfNodesToScore))
	}
	for _, l := range []struct {
		point    string
		up, ksim []string
	}{{"preFilter", up.preFilter, k.PreFilter}, {"filter", up.filter, k.Filter}, {"preScore", up.preScore, k.PreScore}} {
		if !slices.Equal(l.up, l.ksim) {
			t.Errorf("%s %s (-upstream +ksim):\n- %v\n+ %v", up.name, l.point, l.up, l.ksim)
		}
	}
	var kOrder []string
	for _, s := range k.Score {
		kOrder = append(kOrder, s.Name)
		if up.weights[s.Name] != s.Weight {
			t.Errorf("%s: score weight of %s: upstream %d, ksim %d", up.name, s.Name, up.weights[s.Name], s.Weight)
		}
	}
	if !slices.Equal(up.scoreOrder, kOrder) {
		t.Errorf("%s score (-upstream +ksim):\n- %v\n+ %v", up.name, up.scoreOrder, kOrder)
	}
}

func deref(p *int32) any {
	if p == nil {
		return "unset"
	}
	return *p
}

// configHeader starts every configuration of the placement differential: all nodes are
// filtered and scored, as the harness does.
const configHeader = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 100\n"

// diffConfigs are the non-default configurations both sides place the random clusters with.
var diffConfigs = []struct{ name, yaml string }{
	{"most-allocated", `profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources: [{name: cpu, weight: 2}, {name: memory, weight: 1}, {name: example.com/gpu, weight: 3}]
`},
	{"requested-to-capacity-ratio", `profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
        resources: [{name: cpu, weight: 1}, {name: memory, weight: 2}, {name: ephemeral-storage, weight: 1}]
        requestedToCapacityRatio:
          shape:
          - {utilization: 0, score: 0}
          - {utilization: 40, score: 7}
          - {utilization: 80, score: 10}
          - {utilization: 100, score: 2}
`},
	{"disabled-plugins-and-weights", `profiles:
- plugins:
    multiPoint:
      enabled: [{name: NodeAffinity, weight: 7}]
    score:
      disabled: [{name: NodeResourcesBalancedAllocation}]
      enabled: [{name: TaintToleration, weight: 1}]
    filter:
      disabled: [{name: TaintToleration}]
`},
	{"added-affinity", `profiles:
- pluginConfig:
  - name: NodeAffinity
    args:
      addedAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms:
          - matchExpressions: [{key: tier, operator: NotIn, values: [c]}]
          - matchExpressions: [{key: disk, operator: In, values: [ssd]}]
        preferredDuringSchedulingIgnoredDuringExecution:
        - {weight: 30, preference: {matchExpressions: [{key: gen, operator: Gt, values: ["4"]}]}}
        - {weight: 5, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-a]}]}}
  - name: NodeResourcesBalancedAllocation
    args:
      resources: [{name: cpu}, {name: memory}, {name: example.com/gpu}]
`},
	{"bin-packing-only-fit", `profiles:
- plugins:
    multiPoint:
      disabled: [{name: "*"}]
      enabled:
      - name: PrioritySort
      - name: DefaultBinder
      - name: NodeName
      - name: NodeUnschedulable
      - name: TaintToleration
      - name: NodeResourcesFit
        weight: 5
  pluginConfig:
  - name: NodeResourcesFit
    args:
      ignoredResourceGroups: [example.com]
      scoringStrategy: {type: MostAllocated}
`},
}

// The placement differentials of this file and place_diff_test.go have their own flags, so
// that they do not depend on scheduler_diff_test.go's.
var (
	refSeed     = flag.Uint64("refdiff.seed", 1, "first seed of TestDifferentialPlacementWithConfigs and TestPlaceDifferential")
	refClusters = flag.Int("refdiff.clusters", 40, "clusters per configuration in those tests")
	refPods     = flag.Int("refdiff.pods", 50, "pods per cluster in those tests")
	refMetrics  sync.Once
)

// refDescribe is a short summary of a pod for failure messages.
func refDescribe(p *v1.Pod) string {
	var b strings.Builder
	b.WriteString(p.Namespace + "/" + p.Name)
	for _, c := range p.Spec.Containers {
		fmt.Fprintf(&b, " requests%v limits%v ports%v", c.Resources.Requests, c.Resources.Limits, c.Ports)
	}
	if len(p.Spec.NodeSelector) > 0 {
		fmt.Fprintf(&b, " nodeSelector=%v", p.Spec.NodeSelector)
	}
	if len(p.Spec.Tolerations) > 0 {
		fmt.Fprintf(&b, " tolerations=%d", len(p.Spec.Tolerations))
	}
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		fmt.Fprintf(&b, " nodeAffinity=%s", a.NodeAffinity.String())
	}
	if p.Spec.HostNetwork {
		b.WriteString(" hostNetwork")
	}
	return b.String()
}

// compareDecision checks ksim's explained result against upstream's decision: the same error,
// or the same FitError text, or the same feasible nodes with each rejected node rejected by
// the same plugin for the same reasons, the same per-plugin weighted scores and totals, a
// chosen node among upstream's best, and (heap) upstream's own pick. It returns a description
// of the first difference, or "".
func compareDecision(k, heap scheduler.Result, u refDecision) string {
	switch {
	case u.err != nil || k.Err != nil:
		if (u.err == nil) != (k.Err == nil) {
			return fmt.Sprintf("error: upstream %v, ksim %v", u.err, k.Err)
		}
		return ""
	case u.fitError != "":
		if k.Node != "" || k.Reason != u.fitError {
			return fmt.Sprintf("unschedulable message (-upstream +ksim):\n- %q\n+ %q (node %q)", u.fitError, k.Reason, k.Node)
		}
	}
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
			return fmt.Sprintf("node %s: upstream's %s rejected it (%v), ksim did not", n.Node, st.Plugin(), st.Reasons())
		}
		last := n.Filters[len(n.Filters)-1]
		want, got := slices.Sorted(slices.Values(st.Reasons())), slices.Sorted(slices.Values(last.Reasons))
		if last.Plugin != st.Plugin() || !slices.Equal(want, got) {
			return fmt.Sprintf("node %s rejected by (-upstream +ksim):\n- %s %q\n+ %s %q", n.Node, st.Plugin(), want, last.Plugin, got)
		}
	}
	slices.Sort(kFeasible)
	if uf := slices.Sorted(slices.Values(u.feasible)); !slices.Equal(uf, kFeasible) {
		return fmt.Sprintf("feasible nodes (-upstream +ksim):\n- %v\n+ %v", uf, kFeasible)
	}
	if u.fitError != "" {
		return ""
	}
	if u.scores != nil {
		for _, n := range k.Explanation.Nodes {
			if !n.Feasible {
				continue
			}
			got := map[string]int64{}
			for _, ps := range n.Scores {
				got[ps.Plugin] = ps.Weighted
			}
			if want := u.scores[n.Node]; fmt.Sprint(want) != fmt.Sprint(got) || n.Total != u.totals[n.Node] {
				return fmt.Sprintf("node %s scores (-upstream +ksim):\n- %v total %d\n+ %v total %d", n.Node, want, u.totals[n.Node], got, n.Total)
			}
		}
	}
	if !slices.Contains(u.top, k.Node) {
		return fmt.Sprintf("ksim chose %s, upstream's best are %v", k.Node, u.top)
	}
	if heap.Node != u.heapPick {
		return fmt.Sprintf("TieBreakUpstreamHeap chose %s, upstream pops %s", heap.Node, u.heapPick)
	}
	return ""
}

// refGen generates clusters and pods: zones, labels, taints of every effect, cordoned and
// nearly full nodes, extended resources; pods with init containers, nodeSelectors,
// tolerations, required and preferred node affinity.
type refGen struct {
	r      *rand.Rand
	seed   uint64
	zones  []string
	nextID int
	nodes  []*v1.Node
}

func refPick[T any](r *rand.Rand, options ...T) T { return options[r.IntN(len(options))] }

func (g *refGen) node() *v1.Node {
	r := g.r
	g.nextID++
	name := fmt.Sprintf("node-%03d", g.nextID)
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1.LabelHostname: name}}}
	if r.IntN(8) > 0 {
		n.Labels[v1.LabelTopologyZone] = refPick(r, g.zones...)
	}
	if r.IntN(5) > 0 {
		n.Labels["tier"] = refPick(r, "a", "b", "c")
	}
	if r.IntN(2) == 0 {
		n.Labels["disk"] = refPick(r, "ssd", "hdd")
	}
	if r.IntN(5) < 3 {
		n.Labels["gen"] = refPick(r, "1", "3", "5", "7", "9")
	}
	alloc := v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse(refPick(r, "1", "2", "4", "8", "16", "2500m")),
		v1.ResourceMemory: resource.MustParse(refPick(r, "2Gi", "4Gi", "8Gi", "16Gi", "64Gi", "1000Mi")),
		v1.ResourcePods:   resource.MustParse(refPick(r, "4", "32", "110", "110")),
	}
	if r.IntN(2) == 0 {
		alloc[v1.ResourceEphemeralStorage] = resource.MustParse(refPick(r, "10Gi", "100Gi"))
	}
	if r.IntN(4) == 0 {
		alloc["example.com/gpu"] = resource.MustParse(refPick(r, "1", "2", "4"))
	}
	n.Status.Allocatable, n.Status.Capacity = alloc, alloc.DeepCopy()
	for range max(0, r.IntN(4)-1) {
		effect := refPick(r, v1.TaintEffectNoSchedule, v1.TaintEffectNoExecute, v1.TaintEffectPreferNoSchedule, v1.TaintEffectPreferNoSchedule)
		n.Spec.Taints = append(n.Spec.Taints, v1.Taint{Key: refPick(r, "dedicated", "spot", "maint"), Value: refPick(r, "", "a"), Effect: effect})
	}
	n.Spec.Unschedulable = r.IntN(12) == 0
	g.nodes = append(g.nodes, n)
	return n
}

// filler returns pods bound to n that use between none and nearly all of it.
func (g *refGen) filler(n *v1.Node) []*v1.Pod {
	cpu, mem := n.Status.Allocatable.Cpu().MilliValue(), n.Status.Allocatable.Memory().Value()
	share := refPick(g.r, 0.0, 0.3, 0.6, 0.9)
	var out []*v1.Pod
	for k := range 1 + g.r.IntN(3) {
		pc, pm := int64(float64(cpu)*share)/3, int64(float64(mem)*share)/3
		if pc == 0 && k > 0 {
			break
		}
		p := g.pod(false)
		p.Spec.NodeName = n.Name
		p.Spec.Containers = []v1.Container{{Name: "app", Image: "app:1", Resources: v1.ResourceRequirements{Requests: v1.ResourceList{
			v1.ResourceCPU: *resource.NewMilliQuantity(pc, resource.DecimalSI), v1.ResourceMemory: *resource.NewQuantity(pm, resource.BinarySI),
		}}}}
		if g.r.IntN(4) == 0 { // a best-effort neighbour, counted at the non-zero defaults
			p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: "sidecar", Image: "sidecar:1"})
		}
		out = append(out, p)
	}
	return out
}

func (g *refGen) requests() v1.ResourceList {
	r := g.r
	rl := v1.ResourceList{}
	if r.IntN(10) < 8 {
		rl[v1.ResourceCPU] = resource.MustParse(refPick(r, "50m", "100m", "250m", "500m", "1", "2", "3500m"))
	}
	if r.IntN(10) < 8 {
		rl[v1.ResourceMemory] = resource.MustParse(refPick(r, "64Mi", "128Mi", "512Mi", "1Gi", "3Gi"))
	}
	if r.IntN(8) == 0 {
		rl[v1.ResourceEphemeralStorage] = resource.MustParse(refPick(r, "1Gi", "50Gi"))
	}
	if r.IntN(8) == 0 {
		rl["example.com/gpu"] = resource.MustParse(refPick(r, "1", "2"))
	}
	return rl
}

func (g *refGen) term() v1.NodeSelectorTerm {
	r := g.r
	var t v1.NodeSelectorTerm
	for range 1 + r.IntN(2) {
		var e v1.NodeSelectorRequirement
		switch r.IntN(6) {
		case 0, 1:
			e = v1.NodeSelectorRequirement{Key: "tier", Operator: v1.NodeSelectorOpIn, Values: []string{refPick(r, "a", "b", "c")}}
		case 2:
			e = v1.NodeSelectorRequirement{Key: "disk", Operator: v1.NodeSelectorOpNotIn, Values: []string{"hdd"}}
		case 3:
			e = v1.NodeSelectorRequirement{Key: refPick(r, "disk", "gen"), Operator: v1.NodeSelectorOpExists}
		case 4:
			e = v1.NodeSelectorRequirement{Key: "gen", Operator: refPick(r, v1.NodeSelectorOpGt, v1.NodeSelectorOpLt), Values: []string{refPick(r, "2", "5", "8")}}
		case 5:
			e = v1.NodeSelectorRequirement{Key: v1.LabelTopologyZone, Operator: v1.NodeSelectorOpIn, Values: []string{refPick(r, g.zones...)}}
		}
		t.MatchExpressions = append(t.MatchExpressions, e)
	}
	return t
}

// pod returns a new pod; with constraints, it may have a selector, tolerations and affinity.
func (g *refGen) pod(constraints bool) *v1.Pod {
	r := g.r
	g.nextID++
	name := fmt.Sprintf("pod-%04d", g.nextID)
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(fmt.Sprintf("uid-%d-%s", g.seed, name))}}
	for i := range 1 + r.IntN(2) {
		p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: fmt.Sprintf("c%d", i), Image: "app:1", Resources: v1.ResourceRequirements{Requests: g.requests()}})
	}
	if r.IntN(6) == 0 {
		p.Spec.InitContainers = []v1.Container{{Name: "init", Image: "init:1", Resources: v1.ResourceRequirements{Requests: g.requests()}}}
	}
	if !constraints {
		return p
	}
	if r.IntN(5) == 0 {
		p.Spec.NodeSelector = map[string]string{refPick(r, "tier", "disk"): refPick(r, "a", "ssd")}
	}
	if r.IntN(10) < 4 {
		for range 1 + r.IntN(2) {
			tol := v1.Toleration{Key: refPick(r, "dedicated", "spot", "maint"), Operator: v1.TolerationOpEqual, Value: refPick(r, "", "a")}
			if r.IntN(4) == 0 {
				tol = v1.Toleration{Operator: v1.TolerationOpExists}
			}
			tol.Effect = refPick(r, "", v1.TaintEffectNoSchedule, v1.TaintEffectNoExecute, v1.TaintEffectPreferNoSchedule)
			p.Spec.Tolerations = append(p.Spec.Tolerations, tol)
		}
	}
	na := &v1.NodeAffinity{}
	if r.IntN(4) == 0 {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{g.term()}}
	}
	if r.IntN(10) < 4 {
		for range 1 + r.IntN(2) {
			na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution,
				v1.PreferredSchedulingTerm{Weight: int32(1 + r.IntN(100)), Preference: g.term()})
		}
	}
	if na.RequiredDuringSchedulingIgnoredDuringExecution != nil || na.PreferredDuringSchedulingIgnoredDuringExecution != nil {
		p.Spec.Affinity = &v1.Affinity{NodeAffinity: na}
	}
	return p
}

// cfgStats sums what the placement differential saw.
type cfgStats struct{ clusters, pods, placed, unschedulable, scored, ties, rejectedNodes int }

func TestDifferentialPlacementWithConfigs(t *testing.T) {
	refMetrics.Do(metrics.InitMetrics)
	clusters := *refClusters
	for _, dc := range diffConfigs {
		data := []byte(configHeader + dc.yaml)
		cfg, err := scheduler.ParseConfig(dc.name+".yaml", data)
		if err != nil {
			t.Fatalf("%s: %v", dc.name, err)
		}
		prof := upstreamProfileFromYAML(t, data)
		var stats cfgStats
		t.Run(dc.name, func(t *testing.T) {
			for c := range clusters {
				seed := *refSeed + uint64(c)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					runConfigDiffCluster(t, seed, *cfg, prof, *refPods, &stats)
				})
			}
		})
		t.Logf("%s: clusters %d, pods %d (placed %d, unschedulable %d); scored %d (ties for the top %d); node rejections compared %d",
			dc.name, stats.clusters, stats.pods, stats.placed, stats.unschedulable, stats.scored, stats.ties, stats.rejectedNodes)
		if stats.scored == 0 || stats.unschedulable == 0 {
			t.Errorf("%s: no pod was scored, or none was unschedulable: the comparison proved little", dc.name)
		}
	}
}

// runConfigDiffCluster places numPods random pods on a random cluster with both sides, binds
// each to ksim's choice on both, and stops at the first difference.
func runConfigDiffCluster(t *testing.T, seed uint64, cfg scheduler.Config, prof *config.KubeSchedulerProfile, numPods int, stats *cfgStats) {
	random, err := scheduler.New(cfg, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.TieBreak = scheduler.TieBreakUpstreamHeap
	heap, err := scheduler.New(cfg, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		t.Fatal(err)
	}
	g := &refGen{r: rand.New(rand.NewPCG(seed, 0x636667)), seed: seed}
	for i := range 1 + g.r.IntN(3) {
		g.zones = append(g.zones, fmt.Sprintf("zone-%c", 'a'+i))
	}
	up := newRefScheduler(t, prof, true)
	snap := scheduler.NewSnapshot()
	bind := func(p *v1.Pod) {
		snap.AddPod(p)
		up.addPod(t, p)
	}
	for range 2 + g.r.IntN(30) {
		n := g.node()
		snap.UpsertNode(n)
		up.addNode(n)
	}
	for _, n := range g.nodes {
		for _, p := range g.filler(n) {
			bind(p)
		}
	}
	up.sync(t)
	for i := range numPods {
		pod := g.pod(true)
		k := random.Schedule(snap, pod, true)
		h := heap.Schedule(snap, pod, false)
		u := up.schedule(pod)
		stats.pods++
		stats.rejectedNodes += len(u.rejected)
		if d := compareDecision(k, h, u); d != "" {
			t.Fatalf("seed %d, pod %d (%s): %s", seed, i, refDescribe(pod), d)
		}
		switch {
		case u.err != nil:
		case u.fitError != "":
			stats.unschedulable++
		default:
			stats.placed++
			if u.scores != nil {
				stats.scored++
				if len(u.top) > 1 {
					stats.ties++
				}
			}
			bound := pod.DeepCopy()
			bound.Spec.NodeName = k.Node
			bind(bound)
			up.sync(t)
		}
	}
	stats.clusters++
}
