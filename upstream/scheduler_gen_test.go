package upstream

// Random clusters and pods for the differential placement tests (scheduler_diff_test.go) and
// the placement benchmarks (place_bench_test.go). Everything is drawn from one seeded stream,
// so a seed names a case.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

type clusterSize int

const (
	clusterSmall clusterSize = iota // 0 to 150 nodes, mostly under 40
	clusterLarge                    // 120 to 400 nodes
)

// workload is a pod template: the pods of one Deployment, StatefulSet or the like share it.
type workload struct {
	name        string
	namespace   string
	labels      map[string]string
	owner       []metav1.OwnerReference
	affinity    *v1.Affinity
	spread      []v1.TopologySpreadConstraint
	images      []string
	ports       []v1.ContainerPort
	requests    v1.ResourceList
	tolerations []v1.Toleration
	selector    map[string]string
}

var (
	taintKeys     = []string{"dedicated", "gpu", "maint", "spot", "team"}
	cpuShapes     = []string{"1", "2", "4", "8", "16", "2500m"}
	memShapes     = []string{"2Gi", "4Gi", "8Gi", "16Gi", "64Gi", "1000Mi"}
	genApps       = []string{"web", "db", "cache", "batch", "api"}
	genNamespaces = []string{"default", "team-a", "team-b", "ops"}
	genRackKey    = "example.com/rack"
	genTopoKeys   = []string{v1.LabelHostname, v1.LabelHostname, v1.LabelHostname, v1.LabelTopologyZone, v1.LabelTopologyZone, genRackKey, v1.LabelTopologyRegion}
)

// genImages is the pool of images: the names a node lists and their size. A pod names one of
// them, or its short form that upstream normalises (":latest" added).
var genImages = []struct {
	names []string
	size  int64
	pod   string // the name a pod uses
}{
	{[]string{"docker.io/library/nginx:1.25", "nginx:1.25"}, 150 << 20, "nginx:1.25"},
	{[]string{"redis:latest"}, 110 << 20, "redis"},
	{[]string{"registry.k8s.io/pause:3.9"}, 700 << 10, "registry.k8s.io/pause:3.9"},
	{[]string{"busybox:1.36"}, 5 << 20, "busybox:1.36"},
	{[]string{"ghcr.io/example/big:v2"}, 2 << 30, "ghcr.io/example/big:v2"},
	{[]string{"postgres:16", "postgres:16.2"}, 420 << 20, "postgres:16"},
	{[]string{"registry.local:5000/team/app:latest"}, 300 << 20, "registry.local:5000/team/app"},
	{[]string{"gcr.io/example/ml@sha256:0123", "gcr.io/example/ml:gpu"}, 900 << 20, "gcr.io/example/ml:gpu"},
}

func genPick(r *rand.Rand, options ...string) string { return options[r.IntN(len(options))] }

func genOneOf[T any](r *rand.Rand, options ...T) T { return options[r.IntN(len(options))] }

// ensure makes the generator's maps, and gives a cluster built without buildCluster the
// namespace "default" alone.
func (c *diffCluster) ensure() {
	if c.nodes == nil {
		c.nodes = map[string]*v1.Node{}
	}
	if c.pods == nil {
		c.pods = map[string][]*v1.Pod{}
	}
	if c.nsLabels == nil {
		c.nsLabels = map[string]map[string]string{}
	}
	if len(c.namespaces) == 0 {
		c.namespaces = []string{metav1.NamespaceDefault}
	}
}

// buildCluster makes the namespaces, nodes, controllers, workloads and bound pods.
func (c *diffCluster) buildCluster() {
	r := c.r
	c.building = true
	defer func() { c.building = false }()
	c.namespaces = nil
	c.ensure()
	for i := range 1 + r.IntN(4) {
		c.zones = append(c.zones, fmt.Sprintf("zone-%c", 'a'+i))
	}
	c.namespaces = nil
	for _, ns := range genNamespaces {
		c.namespaces = append(c.namespaces, ns)
		if r.IntN(2) == 0 {
			c.setNamespace(ns, map[string]string{"team": genPick(r, "a", "b"), "env": genPick(r, "prod", "dev")})
		} else {
			c.setNamespace(ns, nil)
		}
	}
	var numNodes int
	switch c.size {
	case clusterLarge:
		numNodes = 250 + r.IntN(550)
	default:
		numNodes = 1 + r.IntN(40)
		switch r.IntN(25) {
		case 0:
			numNodes = 0
		case 1, 2, 3, 4, 5:
			numNodes = 40 + r.IntN(110)
		}
	}
	// Some clusters are built from one or two node shapes, so that scores tie often.
	if r.IntN(3) == 0 {
		c.shapes = []int{r.IntN(len(cpuShapes)), r.IntN(len(cpuShapes))}
	}
	for range numNodes {
		c.addNode()
	}
	for range r.IntN(4) {
		c.addService()
	}
	for range 2 + r.IntN(6) {
		c.workloads = append(c.workloads, c.genWorkload())
	}
	for _, name := range slices.Clone(c.order) {
		c.fillNode(name)
	}
}

// setNamespace gives ksim the namespace's labels (or, with nil, nothing: it then has only its
// name label) and upstream's informer the namespace as the API server stores it.
func (c *diffCluster) setNamespace(name string, labels map[string]string) {
	stored := map[string]string{v1.LabelMetadataName: name}
	maps.Copy(stored, labels)
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: stored}}
	if labels != nil {
		c.snap.UpsertNamespace(&v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: maps.Clone(labels)}})
		c.stats.count("namespace labels given to ksim", 1)
	} else {
		c.snap.RemoveNamespace(name)
	}
	c.nsLabels[name] = labels
	c.up.index(c.t, ns)
}

func (c *diffCluster) addService() {
	r := c.r
	c.services++
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: genPick(r, c.namespaces...), Name: fmt.Sprintf("svc-%d", c.services)}}
	switch r.IntN(6) {
	case 0: // no selector: selects nothing
	case 1: // an empty selector: selects every pod, adds nothing
		svc.Spec.Selector = map[string]string{}
	default:
		svc.Spec.Selector = map[string]string{"app": genPick(r, genApps...)}
		if r.IntN(3) == 0 {
			svc.Spec.Selector["tier"] = genPick(r, "fe", "be")
		}
	}
	c.snap.UpsertService(svc)
	c.up.index(c.t, svc)
}

func (c *diffCluster) addNode() string {
	c.ensure()
	r := c.r
	c.nextID++
	name := fmt.Sprintf("node-%03d", c.nextID)
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1.LabelHostname: name}}}
	switch r.IntN(40) {
	case 0: // no hostname label
		delete(n.Labels, v1.LabelHostname)
	case 1: // a hostname label shared with another node
		if len(c.order) > 0 {
			n.Labels[v1.LabelHostname] = c.nodes[c.pickNode()].Labels[v1.LabelHostname]
		}
	}
	zone := ""
	switch k := r.IntN(10); {
	case k == 0: // no zone at all
	case k == 1: // only the deprecated beta labels
		n.Labels[v1.LabelFailureDomainBetaZone] = genPick(r, c.zones...)
		n.Labels[v1.LabelFailureDomainBetaRegion] = "region-1"
	default:
		zone = genPick(r, c.zones...)
		n.Labels[v1.LabelTopologyZone] = zone
		if r.IntN(2) == 0 {
			n.Labels[v1.LabelTopologyRegion] = genPick(r, "region-1", "region-2")
		}
	}
	if r.IntN(10) < 7 {
		n.Labels[genRackKey] = fmt.Sprintf("rack-%s%d", zone, r.IntN(3))
	}
	if r.IntN(5) > 0 {
		n.Labels["tier"] = genPick(r, "a", "b", "c")
	}
	if r.IntN(2) == 0 {
		n.Labels["disk"] = genPick(r, "ssd", "hdd")
	}
	if r.IntN(5) < 3 {
		n.Labels["gen"] = genPick(r, "1", "3", "5", "7", "9", "x")
	}
	cpu, mem := genPick(r, cpuShapes...), genPick(r, memShapes...)
	if c.shapes != nil {
		shape := c.shapes[r.IntN(len(c.shapes))]
		cpu, mem = cpuShapes[shape], memShapes[shape]
	}
	alloc := v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse(cpu),
		v1.ResourceMemory: resource.MustParse(mem),
		v1.ResourcePods:   resource.MustParse(genPick(r, "4", "10", "32", "110", "110")),
	}
	if r.IntN(2) == 0 {
		alloc[v1.ResourceEphemeralStorage] = resource.MustParse(genPick(r, "10Gi", "100Gi"))
	}
	if r.IntN(5) == 0 {
		alloc["example.com/gpu"] = resource.MustParse(genPick(r, "1", "2", "4"))
	}
	if r.IntN(10) == 0 {
		alloc["hugepages-2Mi"] = resource.MustParse("1Gi")
	}
	n.Status.Allocatable, n.Status.Capacity = alloc, alloc.DeepCopy()
	n.Status.Images = c.genNodeImages()
	n.Spec.Taints = c.genTaints()
	n.Spec.Unschedulable = r.IntN(10) == 0
	if c.size == clusterLarge && r.IntN(4) > 0 {
		// Mostly plain nodes, so that many fit and the adaptive search stops early.
		n.Spec.Taints, n.Spec.Unschedulable = nil, false
	}
	c.nodes[name] = n
	c.order = append(c.order, name)
	c.snap.UpsertNode(n)
	c.up.cache.AddNode(c.up.logger, n)
	if !c.building {
		c.refreshImages()
	}
	return name
}

// refreshImages makes upstream's next snapshot copy every node again. ImageLocality reads an
// image's node count from the snapshot's copy of a node, which upstream refreshes only when
// that node changes, so after another node gains or loses the image the copy is stale until
// then; ksim always counts the nodes as they are. Updating each node with itself refreshes the
// copies without reordering the node list (which upstream rebuilds only when nodes come or go).
func (c *diffCluster) refreshImages() {
	for _, name := range c.order {
		n := c.nodes[name]
		c.up.cache.UpdateNode(c.up.logger, n, n)
	}
}

func (c *diffCluster) genNodeImages() []v1.ContainerImage {
	r := c.r
	var out []v1.ContainerImage
	for _, i := range r.Perm(len(genImages))[:r.IntN(5)] {
		im := genImages[i]
		out = append(out, v1.ContainerImage{Names: slices.Clone(im.names), SizeBytes: im.size})
	}
	return out
}

func (c *diffCluster) genTaints() []v1.Taint {
	r := c.r
	var out []v1.Taint
	for range max(0, r.IntN(4)-1) {
		effect := []v1.TaintEffect{v1.TaintEffectNoSchedule, v1.TaintEffectNoExecute,
			v1.TaintEffectPreferNoSchedule, v1.TaintEffectPreferNoSchedule, v1.TaintEffectPreferNoSchedule}[r.IntN(5)]
		out = append(out, v1.Taint{Key: genPick(r, taintKeys...), Value: genPick(r, "", "a", "b", "5"), Effect: effect})
	}
	return out
}

func (c *diffCluster) pickNode() string {
	if len(c.order) == 0 {
		return ""
	}
	return c.order[c.r.IntN(len(c.order))]
}

// --- workloads

func (c *diffCluster) genWorkload() *workload {
	r := c.r
	c.nextID++
	app := genPick(r, genApps...)
	w := &workload{
		name:      fmt.Sprintf("%s-%d", app, c.nextID),
		namespace: genPick(r, c.namespaces...),
		labels: map[string]string{"app": app, "tier": genPick(r, "fe", "be"), "ver": genPick(r, "v1", "v2"),
			"pod-template-hash": fmt.Sprintf("h%04x", r.IntN(1<<16))},
		requests: v1.ResourceList{
			v1.ResourceCPU:    resource.MustParse(genPick(r, "50m", "100m", "250m", "500m", "1")),
			v1.ResourceMemory: resource.MustParse(genPick(r, "64Mi", "128Mi", "512Mi", "1Gi")),
		},
	}
	if r.IntN(5) == 0 {
		delete(w.labels, "ver")
	}
	c.genOwner(w)
	if r.IntN(10) < 5 {
		w.affinity = c.genPodAffinity(w)
	}
	if r.IntN(10) < 5 {
		w.spread = c.genSpread(w)
	}
	for range 1 + r.IntN(2) {
		w.images = append(w.images, genImages[r.IntN(len(genImages))].pod)
	}
	if r.IntN(6) == 0 {
		w.ports = []v1.ContainerPort{c.genPort()}
		if r.IntN(3) == 0 {
			w.ports = append(w.ports, c.genPort())
		}
	}
	if r.IntN(5) == 0 {
		w.tolerations = []v1.Toleration{{Key: genPick(r, taintKeys...), Operator: v1.TolerationOpExists}}
	}
	if r.IntN(6) == 0 && len(c.zones) > 1 {
		w.selector = map[string]string{v1.LabelTopologyZone: genPick(r, c.zones...)}
	}
	return w
}

func (c *diffCluster) genPort() v1.ContainerPort {
	r := c.r
	return v1.ContainerPort{
		ContainerPort: 8080,
		HostPort:      int32(genOneOf(r, 8080, 8080, 9090, 53)),
		Protocol:      genOneOf(r, v1.Protocol(""), v1.ProtocolTCP, v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP),
		HostIP:        genPick(r, "", "", "0.0.0.0", "10.0.0.1", "10.0.0.2"),
	}
}

// genOwner gives the workload a controller, and registers the controller on both sides most
// of the time.
func (c *diffCluster) genOwner(w *workload) {
	r := c.r
	ref := metav1.OwnerReference{Name: w.name, UID: types.UID("owner-" + w.name), Controller: new(true)}
	register := r.IntN(6) > 0
	matchLabels := map[string]string{"app": w.labels["app"]}
	if r.IntN(2) == 0 {
		matchLabels["pod-template-hash"] = w.labels["pod-template-hash"]
	}
	sel := &metav1.LabelSelector{MatchLabels: matchLabels}
	if r.IntN(5) == 0 {
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"fe", "be"}}}
	}
	meta := metav1.ObjectMeta{Namespace: w.namespace, Name: w.name}
	switch k := r.IntN(20); {
	case k < 9:
		ref.APIVersion, ref.Kind = "apps/v1", "ReplicaSet"
		if register {
			rs := &appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Selector: sel}}
			c.snap.UpsertReplicaSet(rs)
			c.up.index(c.t, rs)
		}
	case k < 13:
		ref.APIVersion, ref.Kind = "apps/v1", "StatefulSet"
		if register {
			ss := &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Selector: sel}}
			c.snap.UpsertStatefulSet(ss)
			c.up.index(c.t, ss)
		}
	case k < 15:
		ref.APIVersion, ref.Kind = "v1", "ReplicationController"
		if register {
			rc := &v1.ReplicationController{ObjectMeta: meta, Spec: v1.ReplicationControllerSpec{Selector: matchLabels}}
			c.snap.UpsertReplicationController(rc)
			c.up.index(c.t, rc)
		}
	case k < 16: // a Job: not a controller default spreading knows
		ref.APIVersion, ref.Kind = "batch/v1", "Job"
	case k < 17: // a ReplicaSet reference that is not the controller
		ref.APIVersion, ref.Kind, ref.Controller = "apps/v1", "ReplicaSet", new(false)
	default:
		return
	}
	w.owner = []metav1.OwnerReference{ref}
}

func (u *refScheduler) indexApps(obj any) error {
	switch o := obj.(type) {
	case *appsv1.ReplicaSet:
		return u.informers.Apps().V1().ReplicaSets().Informer().GetIndexer().Update(o)
	case *appsv1.StatefulSet:
		return u.informers.Apps().V1().StatefulSets().Informer().GetIndexer().Update(o)
	}
	return fmt.Errorf("cannot index %T", obj)
}

// genSelector is a label selector over the workloads' labels: mostly one app, sometimes
// expressions, rarely nil (selects nothing) or empty (selects everything).
func (c *diffCluster) genSelector(own map[string]string) *metav1.LabelSelector {
	r := c.r
	switch k := r.IntN(20); {
	case k == 0:
		return nil
	case k == 1:
		return &metav1.LabelSelector{}
	case k < 12:
		app := own["app"]
		if r.IntN(3) == 0 {
			app = genPick(r, genApps...)
		}
		return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
	default:
		var exprs []metav1.LabelSelectorRequirement
		switch r.IntN(4) {
		case 0:
			exprs = append(exprs, metav1.LabelSelectorRequirement{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{genPick(r, genApps...), genPick(r, genApps...)}})
		case 1:
			exprs = append(exprs, metav1.LabelSelectorRequirement{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{genPick(r, genApps...)}})
		case 2:
			exprs = append(exprs, metav1.LabelSelectorRequirement{Key: "ver", Operator: metav1.LabelSelectorOpExists})
		case 3:
			exprs = append(exprs, metav1.LabelSelectorRequirement{Key: "ver", Operator: metav1.LabelSelectorOpDoesNotExist})
		}
		if r.IntN(2) == 0 {
			exprs = append(exprs, metav1.LabelSelectorRequirement{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{genPick(r, "fe", "be")}})
		}
		return &metav1.LabelSelector{MatchExpressions: exprs}
	}
}

func (c *diffCluster) genAffinityTerm(w *workload) v1.PodAffinityTerm {
	r := c.r
	t := v1.PodAffinityTerm{TopologyKey: genPick(r, genTopoKeys...), LabelSelector: c.genSelector(w.labels)}
	if r.IntN(80) == 0 { // does not parse: the pod is unschedulable
		t.LabelSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}}}
	}
	switch r.IntN(20) {
	case 0, 1, 2:
		t.Namespaces = []string{genPick(r, c.namespaces...), genPick(r, c.namespaces...)}
	case 3:
		t.NamespaceSelector = &metav1.LabelSelector{}
	case 4, 5:
		t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": genPick(r, "a", "b")}}
	case 6:
		t.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: v1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: []string{genPick(r, c.namespaces...), genPick(r, c.namespaces...)}}}}
		if r.IntN(2) == 0 {
			t.Namespaces = []string{genPick(r, c.namespaces...)}
		}
	case 7:
		t.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"prod"}}}}
	}
	if t.LabelSelector != nil {
		if r.IntN(6) == 0 {
			t.MatchLabelKeys = []string{genPick(r, "ver", "pod-template-hash")}
		}
		if r.IntN(8) == 0 {
			t.MismatchLabelKeys = []string{"tier"}
		}
	}
	return t
}

func (c *diffCluster) genPodAffinity(w *workload) *v1.Affinity {
	r := c.r
	a := &v1.Affinity{PodAffinity: &v1.PodAffinity{}, PodAntiAffinity: &v1.PodAntiAffinity{}}
	for range max(0, r.IntN(4)-1) {
		a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, c.genAffinityTerm(w))
	}
	if r.IntN(4) == 0 {
		for range 1 + r.IntN(2) {
			a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, c.genAffinityTerm(w))
		}
	}
	for range max(0, r.IntN(4)-1) {
		a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
			v1.WeightedPodAffinityTerm{Weight: int32(1 + r.IntN(100)), PodAffinityTerm: c.genAffinityTerm(w)})
	}
	for range max(0, r.IntN(4)-1) {
		a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution,
			v1.WeightedPodAffinityTerm{Weight: int32(1 + r.IntN(100)), PodAffinityTerm: c.genAffinityTerm(w)})
	}
	if r.IntN(5) == 0 {
		a.PodAffinity = nil
	}
	return a
}

func (c *diffCluster) genSpread(w *workload) []v1.TopologySpreadConstraint {
	r := c.r
	var out []v1.TopologySpreadConstraint
	seen := map[string]bool{}
	for range 1 + r.IntN(2) {
		tc := v1.TopologySpreadConstraint{
			MaxSkew:           int32(1 + r.IntN(3)),
			TopologyKey:       genPick(r, v1.LabelTopologyZone, v1.LabelTopologyZone, v1.LabelHostname, v1.LabelHostname, genRackKey),
			WhenUnsatisfiable: genOneOf(r, v1.DoNotSchedule, v1.ScheduleAnyway),
			LabelSelector:     c.genSelector(w.labels),
		}
		if key := tc.TopologyKey + string(tc.WhenUnsatisfiable); seen[key] {
			continue
		} else {
			seen[key] = true
		}
		if tc.WhenUnsatisfiable == v1.DoNotSchedule && r.IntN(3) == 0 {
			tc.MinDomains = new(int32(1 + r.IntN(5)))
		}
		switch r.IntN(4) {
		case 0:
			tc.NodeAffinityPolicy = new(v1.NodeInclusionPolicyIgnore)
		case 1:
			tc.NodeAffinityPolicy = new(v1.NodeInclusionPolicyHonor)
		}
		switch r.IntN(4) {
		case 0:
			tc.NodeTaintsPolicy = new(v1.NodeInclusionPolicyIgnore)
		case 1:
			tc.NodeTaintsPolicy = new(v1.NodeInclusionPolicyHonor)
		}
		if tc.LabelSelector != nil && r.IntN(4) == 0 {
			tc.MatchLabelKeys = []string{genPick(r, "pod-template-hash", "ver")}
		}
		out = append(out, tc)
	}
	return out
}

// instance is a pod of workload w.
func (c *diffCluster) instance(w *workload) *v1.Pod {
	r := c.r
	p := c.newPod()
	p.Namespace = w.namespace
	p.Labels = maps.Clone(w.labels)
	p.OwnerReferences = slices.Clone(w.owner)
	for i, img := range w.images {
		ct := v1.Container{Name: fmt.Sprintf("c%d", i), Image: img}
		if i == 0 {
			ct.Resources.Requests = w.requests.DeepCopy()
			ct.Ports = slices.Clone(w.ports)
		}
		p.Spec.Containers = append(p.Spec.Containers, ct)
	}
	if w.affinity != nil {
		p.Spec.Affinity = w.affinity.DeepCopy()
	}
	p.Spec.TopologySpreadConstraints = slices.Clone(w.spread)
	p.Spec.Tolerations = slices.Clone(w.tolerations)
	p.Spec.NodeSelector = maps.Clone(w.selector)
	if r.IntN(4) == 0 {
		p.Spec.Priority = new(int32(r.IntN(2000)))
	}
	return p
}

// --- bound pods

// fillNode binds pods straight onto a node, to use between none and nearly all of it.
func (c *diffCluster) fillNode(name string) {
	c.ensure()
	n := c.nodes[name]
	cpu := n.Status.Allocatable.Cpu().MilliValue()
	mem := n.Status.Allocatable.Memory().Value()
	share := genPick(c.r, "0", "0.3", "0.6", "0.9", "0.97")
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
		var p *v1.Pod
		if len(c.workloads) > 0 && c.r.IntN(2) == 0 {
			p = c.instance(c.workloads[c.r.IntN(len(c.workloads))])
		} else {
			p = c.newPod()
			p.Spec.Containers = []v1.Container{{Name: "app", Image: genImages[c.r.IntN(len(genImages))].pod}}
		}
		p.Spec.NodeName = name
		p.Spec.Containers[0].Resources.Requests = v1.ResourceList{
			v1.ResourceCPU:    *resource.NewMilliQuantity(pc, resource.DecimalSI),
			v1.ResourceMemory: *resource.NewQuantity(pm, resource.BinarySI),
		}
		if c.r.IntN(4) == 0 { // a best-effort neighbour, counted at the non-zero defaults
			p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: "sidecar"})
		}
		if c.r.IntN(8) == 0 { // being resized up: the status's larger requests count
			up := v1.ResourceList{v1.ResourceCPU: *resource.NewMilliQuantity(pc+pc/2, resource.DecimalSI)}
			p.Status.ContainerStatuses = []v1.ContainerStatus{{Name: p.Spec.Containers[0].Name, AllocatedResources: up,
				Resources: &v1.ResourceRequirements{Requests: up}}}
		}
		if c.r.IntN(12) == 0 { // being deleted: spreading no longer counts it
			p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1700000000, 0)}
		}
		usedCPU, usedMem = usedCPU+pc, usedMem+pm
		c.bind(p, c.r.IntN(2) == 0) // ksim may be given either form
	}
}

func (c *diffCluster) newPod() *v1.Pod {
	c.nextID++
	name := fmt.Sprintf("pod-%04d", c.nextID)
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: "default", Name: name, UID: types.UID(fmt.Sprintf("uid-%d-%s", c.seed, name)),
	}}
}

// --- pods to schedule

func (c *diffCluster) genRequests() v1.ResourceList {
	r := c.r
	rl := v1.ResourceList{}
	if r.IntN(10) < 7 {
		rl[v1.ResourceCPU] = resource.MustParse(genPick(r, "50m", "100m", "250m", "500m", "1", "2", "3500m", "0"))
	}
	if r.IntN(10) < 7 {
		rl[v1.ResourceMemory] = resource.MustParse(genPick(r, "64Mi", "128Mi", "512Mi", "1Gi", "3Gi", "0"))
	}
	if r.IntN(10) == 0 {
		rl[v1.ResourceEphemeralStorage] = resource.MustParse(genPick(r, "1Gi", "50Gi"))
	}
	if r.IntN(12) == 0 {
		rl["example.com/gpu"] = resource.MustParse(genPick(r, "1", "2"))
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
			e = v1.NodeSelectorRequirement{Key: "tier", Operator: v1.NodeSelectorOpIn, Values: []string{genPick(r, "a", "b", "c")}}
			if r.IntN(2) == 0 {
				e.Values = append(e.Values, genPick(r, "a", "b", "c"))
			}
		case 2:
			e = v1.NodeSelectorRequirement{Key: "disk", Operator: v1.NodeSelectorOpNotIn, Values: []string{"hdd"}}
		case 3:
			e = v1.NodeSelectorRequirement{Key: genPick(r, "disk", "gen"), Operator: v1.NodeSelectorOpExists}
		case 4:
			e = v1.NodeSelectorRequirement{Key: "disk", Operator: v1.NodeSelectorOpDoesNotExist}
		case 5:
			e = v1.NodeSelectorRequirement{Key: "gen", Operator: genOneOf(r, v1.NodeSelectorOpGt, v1.NodeSelectorOpLt), Values: []string{genPick(r, "2", "5", "8")}}
		case 6:
			e = v1.NodeSelectorRequirement{Key: v1.LabelTopologyZone, Operator: v1.NodeSelectorOpIn, Values: []string{genPick(r, c.zones...)}}
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

// genPod is the next pod to schedule: mostly a workload's, sometimes a one-off.
func (c *diffCluster) genPod() *v1.Pod {
	c.ensure()
	r := c.r
	if len(c.workloads) > 0 && r.IntN(10) < 7 {
		p := c.instance(c.workloads[r.IntN(len(c.workloads))])
		c.addNodeConstraints(p, 6)
		return p
	}
	p := c.newPod()
	p.Namespace = genPick(r, c.namespaces...)
	if r.IntN(2) == 0 {
		p.Labels = map[string]string{"app": genPick(r, genApps...)}
	}
	for range 1 + r.IntN(3) {
		p.Spec.Containers = append(p.Spec.Containers, v1.Container{
			Name: fmt.Sprintf("c%d", len(p.Spec.Containers)), Image: genPick(r, "", genImages[r.IntN(len(genImages))].pod, "other:1"),
			Resources: v1.ResourceRequirements{Requests: c.genRequests()}})
	}
	if r.IntN(5) == 0 {
		for range 1 + r.IntN(2) {
			ic := v1.Container{Name: fmt.Sprintf("i%d", len(p.Spec.InitContainers)), Image: genImages[r.IntN(len(genImages))].pod,
				Resources: v1.ResourceRequirements{Requests: c.genRequests()}}
			if r.IntN(2) == 0 {
				ic.RestartPolicy = new(v1.ContainerRestartPolicyAlways)
				if r.IntN(3) == 0 {
					ic.Ports = []v1.ContainerPort{c.genPort()}
				}
			}
			p.Spec.InitContainers = append(p.Spec.InitContainers, ic)
		}
	}
	if r.IntN(15) == 0 {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, c.genPort())
	}
	if r.IntN(25) == 0 {
		p.Spec.Volumes = []v1.Volume{{Name: "model", VolumeSource: v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: genImages[r.IntN(len(genImages))].pod}}}}
	}
	if r.IntN(20) == 0 {
		p.Spec.Overhead = v1.ResourceList{v1.ResourceCPU: resource.MustParse("100m"), v1.ResourceMemory: resource.MustParse("64Mi")}
	}
	if r.IntN(20) == 0 {
		p.Spec.Resources = &v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse(genPick(r, "1", "3"))}}
	}
	c.addNodeConstraints(p, 1)
	if r.IntN(8) == 0 {
		w := &workload{labels: p.Labels}
		if r.IntN(2) == 0 {
			aff := c.genPodAffinity(w)
			if p.Spec.Affinity == nil {
				p.Spec.Affinity = &v1.Affinity{}
			}
			p.Spec.Affinity.PodAffinity, p.Spec.Affinity.PodAntiAffinity = aff.PodAffinity, aff.PodAntiAffinity
		} else {
			p.Spec.TopologySpreadConstraints = c.genSpread(w)
		}
	}
	if r.IntN(30) == 0 && len(c.order) > 0 {
		p.Spec.NodeName = genPick(r, c.pickNode(), "node-gone")
	}
	if r.IntN(20) == 0 && len(c.order) > 0 { // nominated by an earlier preemption
		p.Status.NominatedNodeName = genPick(r, c.pickNode(), c.pickNode(), "node-gone")
	}
	return p
}

// addNodeConstraints gives the pod, one time in every, a nodeSelector, tolerations and node
// affinity.
func (c *diffCluster) addNodeConstraints(p *v1.Pod, every int) {
	r := c.r
	if r.IntN(every) != 0 {
		return
	}
	if r.IntN(5) == 0 {
		p.Spec.NodeSelector = map[string]string{}
		switch r.IntN(4) {
		case 0:
			p.Spec.NodeSelector["tier"] = genPick(r, "a", "b")
		case 1:
			p.Spec.NodeSelector["disk"] = "ssd"
		case 2:
			p.Spec.NodeSelector[v1.LabelTopologyZone] = genPick(r, c.zones...)
		case 3: // empty but not nil: NodeAffinity's Filter runs and passes
		}
	}
	if r.IntN(10) < 4 {
		for range 1 + r.IntN(3) {
			tol := v1.Toleration{Key: genPick(r, taintKeys...), Operator: v1.TolerationOpEqual, Value: genPick(r, "", "a", "b")}
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
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &v1.Affinity{}
		}
		p.Spec.Affinity.NodeAffinity = na
	}
}

// --- churn

// churn changes the cluster between two pods, on both sides.
func (c *diffCluster) churn() {
	c.ensure()
	r := c.r
	c.stats.mu.Lock()
	c.stats.churn++
	c.stats.mu.Unlock()
	k := r.IntN(20)
	switch {
	case k < 6: // a pod goes away
		name := c.pickNode()
		if name == "" || len(c.pods[name]) == 0 {
			return
		}
		ps := c.pods[name]
		j := r.IntN(len(ps))
		p := ps[j]
		c.pods[name] = slices.Delete(ps, j, j+1)
		c.unbind(p)
	case k < 13: // a node changes: cordon, taints, labels, zone, rack, images
		name := c.pickNode()
		if name == "" {
			return
		}
		old := c.nodes[name]
		n := old.DeepCopy()
		switch r.IntN(6) {
		case 0:
			n.Spec.Unschedulable = !n.Spec.Unschedulable
		case 1:
			n.Spec.Taints = c.genTaints()
		case 2:
			n.Labels["tier"] = genPick(r, "a", "b", "c")
			delete(n.Labels, "disk")
		case 3:
			n.Labels[v1.LabelTopologyZone] = genPick(r, c.zones...)
		case 4:
			if _, ok := n.Labels[genRackKey]; ok {
				delete(n.Labels, genRackKey)
			} else {
				n.Labels[genRackKey] = fmt.Sprintf("rack-x%d", r.IntN(2))
			}
		case 5:
			n.Status.Images = c.genNodeImages()
		}
		c.nodes[name] = n
		c.snap.UpsertNode(n)
		c.up.cache.UpdateNode(c.up.logger, old, n)
		c.refreshImages()
	case k < 16: // a node joins
		name := c.addNode()
		if r.IntN(2) == 0 {
			c.fillNode(name)
		}
	case k < 17: // a node leaves, with its pods
		name := c.pickNode()
		if name == "" {
			return
		}
		for _, p := range c.pods[name] {
			if err := c.up.cache.RemovePod(c.up.logger, apiServerPod(p)); err != nil {
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
		c.refreshImages()
	case k < 18: // a namespace is relabelled
		ns := genPick(r, c.namespaces...)
		if c.nsLabels[ns] == nil || r.IntN(3) > 0 {
			c.setNamespace(ns, map[string]string{"team": genPick(r, "a", "b"), "env": genPick(r, "prod", "dev")})
		} else {
			c.setNamespace(ns, nil)
		}
	case k < 19:
		c.addService()
	default: // a new workload
		c.workloads = append(c.workloads, c.genWorkload())
	}
}

// --- what the API server stores

// apiServerPod returns the pod as the API server stores it on creation (pkg/registry/core/
// pod/strategy.go PrepareForCreate): each inter-pod affinity term's matchLabelKeys and
// mismatchLabelKeys, and each spread constraint's matchLabelKeys, merged into the selector as
// "key In (value)" and "key NotIn (value)" for the keys the pod has. Written here from the
// strategy's rules, independently of ksim's own merge.
func apiServerPod(p *v1.Pod) *v1.Pod {
	out := p.DeepCopy()
	merge := func(sel *metav1.LabelSelector, keys []string, op metav1.LabelSelectorOperator) {
		for _, k := range keys {
			if v, ok := out.Labels[k]; ok {
				sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: op, Values: []string{v}})
			}
		}
	}
	term := func(t *v1.PodAffinityTerm) {
		if t.LabelSelector == nil || (len(t.MatchLabelKeys) == 0 && len(t.MismatchLabelKeys) == 0) {
			return
		}
		merge(t.LabelSelector, t.MatchLabelKeys, metav1.LabelSelectorOpIn)
		merge(t.LabelSelector, t.MismatchLabelKeys, metav1.LabelSelectorOpNotIn)
	}
	if a := out.Spec.Affinity; a != nil {
		if pa := a.PodAffinity; pa != nil {
			for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
				term(&pa.RequiredDuringSchedulingIgnoredDuringExecution[i])
			}
			for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
				term(&pa.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm)
			}
		}
		if pa := a.PodAntiAffinity; pa != nil {
			for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
				term(&pa.RequiredDuringSchedulingIgnoredDuringExecution[i])
			}
			for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
				term(&pa.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm)
			}
		}
	}
	for i := range out.Spec.TopologySpreadConstraints {
		tc := &out.Spec.TopologySpreadConstraints[i]
		if len(tc.MatchLabelKeys) > 0 && tc.LabelSelector != nil {
			merge(tc.LabelSelector, tc.MatchLabelKeys, metav1.LabelSelectorOpIn)
		}
	}
	return out
}
