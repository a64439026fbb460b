package framework

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestIncrementalIndexes checks, after every step of random sequences of node and pod
// changes, that everything the Cluster keeps up to date equals a recount from scratch: pod
// counters, groups of affinity terms, topologies, images, host ports and generations.
func TestIncrementalIndexes(t *testing.T) {
	for seed := range uint64(30) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 9))
			c := NewCluster(DefaultFeatures())
			var nodes []*NodeInfo
			pods := map[*PodInfo]*NodeInfo{}
			// ports models upstream's HostPortInfo: a set per node, a pod's ports added on
			// bind and deleted on removal, even when another pod takes the same one.
			ports := map[*NodeInfo]map[HostPort]bool{}
			sels := []PodSelector{
				{Terms: []SelectorTerm{{Namespaces: []string{"a"}, Selector: sel("app", "web")}}, ExcludeTerminating: true},
				{Terms: []SelectorTerm{{Namespaces: []string{"a", "b"}, Selector: sel("app", "db")}}},
				{Terms: []SelectorTerm{{NamespaceSelector: sel("team", "x"), Selector: labels.Everything()}}},
				{Terms: []SelectorTerm{{Namespaces: []string{"b"}, Selector: sel("app", "web")}, {Namespaces: []string{"b"}, Selector: sel("tier", "fe")}}},
			}
			for step := range 300 {
				switch k := r.IntN(10); {
				case k < 2 || len(nodes) == 0:
					n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("n%d", step), Labels: nodeLabels(r)}}
					n.Status.Images = nodeImages(r)
					nodes = append(nodes, c.AddNode(n))
				case k < 3:
					ni := nodes[r.IntN(len(nodes))]
					n := ni.Node().DeepCopy()
					n.Labels, n.Status.Images = nodeLabels(r), nodeImages(r)
					c.UpdateNode(ni, n)
				case k < 4:
					i := r.IntN(len(nodes))
					ni := nodes[i]
					for _, p := range slices.Clone(ni.Pods) {
						delete(pods, p)
					}
					c.RemoveNode(ni)
					nodes = slices.Delete(nodes, i, i+1)
				case k < 8:
					ni := nodes[r.IntN(len(nodes))]
					pi := c.NewBoundPodInfo(randomPod(r, step))
					c.AddPod(ni, pi)
					pods[pi] = ni
					if ports[ni] == nil {
						ports[ni] = map[HostPort]bool{}
					}
					for _, hp := range pi.HostPorts {
						ports[ni][hp] = true
					}
				case k < 9:
					for pi, ni := range pods { // any one
						c.RemovePod(ni, pi)
						delete(pods, pi)
						for _, hp := range pi.HostPorts {
							delete(ports[ni], hp)
						}
						break
					}
				default:
					c.UpsertNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pick(r, "a", "b"), Labels: map[string]string{"team": pick(r, "x", "y")}}})
				}
				if r.IntN(5) == 0 {
					c.Counter(sels[r.IntN(len(sels))]) // counters made at any time must agree too
				}
				if r.IntN(3) == 0 { // sums asked for at any time, kept up to date from then on
					topo := c.Topology(pick(r, corev1.LabelHostname, corev1.LabelTopologyZone, "rack"))
					if gs := c.Groups(); len(gs) > 0 && r.IntN(2) == 0 {
						gs[r.IntN(len(gs))].DomainSums(c, topo)
					} else {
						c.Counter(sels[r.IntN(len(sels))]).DomainSums(c, topo)
					}
				}
				check(t, c, step, ports)
			}
		})
	}
}

// checkSums checks the domain sums kept up to date (those summed since the nodes last
// changed) against a recount.
func checkSums(t *testing.T, c *Cluster, step int, key string, ds domainSums, perNode []int32) {
	t.Helper()
	for _, s := range ds {
		if s.gen != c.NodeSetGen || s.gen == 0 {
			continue
		}
		want := make([]int64, s.topo.NumDomains()+1)
		for slot, v := range perNode {
			want[s.topo.Domain[slot]] += int64(v)
		}
		if !slices.Equal(want, s.sums) {
			t.Fatalf("step %d: %s sums over %s %v, recount %v", step, key, s.topo.Key, s.sums, want)
		}
	}
}

func check(t *testing.T, c *Cluster, step int, portModel map[*NodeInfo]map[HostPort]bool) {
	t.Helper()
	for _, pc := range c.counters {
		for slot, ni := range c.Slots() {
			want := int32(0)
			if ni != nil {
				for _, p := range ni.Pods {
					if pc.sel.Matches(p.Pod, c.NamespaceLabels) {
						want++
					}
				}
			}
			if pc.PerNode[slot] != want {
				t.Fatalf("step %d: counter %s, slot %d: %d pods, recount %d", step, pc.key, slot, pc.PerNode[slot], want)
			}
		}
		checkSums(t, c, step, pc.key, pc.sums, pc.PerNode)
	}
	for _, g := range c.Groups() {
		checkSums(t, c, step, g.key, g.sums, g.PerNode)
	}
	want := map[string][]int32{}
	for slot, ni := range c.Slots() {
		if ni == nil {
			continue
		}
		for _, p := range ni.Pods {
			if a := p.Affinity; a != nil {
				add := func(kind TermKind, w int32, tm *AffinityTerm) {
					key := fmt.Sprintf("%d/%d/%s", kind, w, tm.Key)
					if want[key] == nil {
						want[key] = make([]int32, len(c.Slots()))
					}
					want[key][slot]++
				}
				for i := range a.RequiredAffinity {
					add(RequiredAffinity, 0, &a.RequiredAffinity[i])
				}
				for i := range a.RequiredAntiAffinity {
					add(RequiredAntiAffinity, 0, &a.RequiredAntiAffinity[i])
				}
				for i := range a.PreferredAffinity {
					add(PreferredAffinity, a.PreferredAffinity[i].Weight, &a.PreferredAffinity[i].AffinityTerm)
				}
				for i := range a.PreferredAntiAffinity {
					add(PreferredAntiAffinity, a.PreferredAntiAffinity[i].Weight, &a.PreferredAntiAffinity[i].AffinityTerm)
				}
			}
		}
		if m := portModel[ni]; len(m) != len(ni.UsedPorts) {
			t.Fatalf("step %d: node %s ports %v, model %v", step, ni.Name(), ni.UsedPorts, m)
		} else {
			for _, hp := range ni.UsedPorts {
				if !m[hp] {
					t.Fatalf("step %d: node %s ports %v, model %v", step, ni.Name(), ni.UsedPorts, m)
				}
			}
		}
		for _, topo := range c.topologies {
			var d int32
			if v, ok := ni.Node().Labels[topo.Key]; ok {
				d = topo.DomainOf(v)
			}
			if topo.Domain[slot] != d {
				t.Fatalf("step %d: node %s domain of %s: %d, want %d", step, ni.Name(), topo.Key, topo.Domain[slot], d)
			}
		}
	}
	if len(want) != len(c.Groups()) {
		t.Fatalf("step %d: %d groups, recount %d", step, len(c.Groups()), len(want))
	}
	for _, g := range c.Groups() {
		if w := want[g.key]; w == nil || !slices.Equal(w, g.PerNode[:len(w)]) {
			t.Fatalf("step %d: group %s per node %v, recount %v", step, g.key, g.PerNode, w)
		}
	}
	images := map[string]int{}
	for _, ni := range c.Slots() {
		if ni == nil {
			continue
		}
		seen := map[string]bool{}
		for _, img := range ni.Node().Status.Images {
			for _, name := range img.Names {
				if !seen[name] {
					seen[name] = true
					images[name]++
				}
			}
		}
	}
	if len(images) != len(c.images) {
		t.Fatalf("step %d: %d images, recount %d", step, len(c.images), len(images))
	}
	for name, n := range images {
		if im := c.Image(name); im == nil || im.NumNodes != n {
			t.Fatalf("step %d: image %s on %+v nodes, recount %d", step, name, im, n)
		}
	}
}

func sel(kv ...string) labels.Selector {
	return labels.SelectorFromSet(labels.Set{kv[0]: kv[1]})
}

func pick(r *rand.Rand, options ...string) string { return options[r.IntN(len(options))] }

func nodeLabels(r *rand.Rand) map[string]string {
	l := map[string]string{corev1.LabelHostname: pick(r, "h1", "h2", "h3")}
	if r.IntN(4) > 0 {
		l[corev1.LabelTopologyZone] = pick(r, "a", "b", "")
	}
	return l
}

func nodeImages(r *rand.Rand) []corev1.ContainerImage {
	var out []corev1.ContainerImage
	for range r.IntN(3) {
		out = append(out, corev1.ContainerImage{Names: []string{pick(r, "x:1", "y:1", "z:1"), pick(r, "x:1", "w:2")}, SizeBytes: int64(r.IntN(1000))})
	}
	return out
}

func randomPod(r *rand.Rand, i int) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: pick(r, "a", "b"),
		Labels: map[string]string{"app": pick(r, "web", "db"), "tier": pick(r, "fe", "be")}}}
	if r.IntN(8) == 0 {
		p.DeletionTimestamp = &metav1.Time{}
	}
	p.Spec.Containers = []corev1.Container{{Name: "c"}}
	if r.IntN(4) == 0 {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{HostPort: int32(80 + r.IntN(2)), HostIP: pick(r, "", "10.0.0.1")}}
	}
	if r.IntN(3) == 0 {
		term := corev1.PodAffinityTerm{TopologyKey: pick(r, corev1.LabelHostname, corev1.LabelTopologyZone),
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": pick(r, "web", "db")}}}
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution:  []corev1.PodAffinityTerm{term},
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: int32(1 + r.IntN(2)), PodAffinityTerm: term}},
		}}
	}
	return p
}

func TestDefaultSelector(t *testing.T) {
	svc := func(name string, sel map[string]string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: corev1.ServiceSpec{Selector: sel}}
	}
	owner := func(apiVersion, kind string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: "ctl", Controller: new(true)}}
	}
	tests := []struct {
		name     string
		services []*corev1.Service
		owners   []metav1.OwnerReference
		want     string // SelectorKey
	}{
		{name: "nothing", want: "*"},
		{name: "a Service that selects the pod", services: []*corev1.Service{svc("s", map[string]string{"app": "web"})}, want: "{app=web}"},
		{name: "two Services merge", services: []*corev1.Service{svc("s", map[string]string{"app": "web"}), svc("t", map[string]string{"tier": "fe"})}, want: "{app=web,tier=fe}"},
		{name: "a Service that does not select it", services: []*corev1.Service{svc("s", map[string]string{"app": "db"})}, want: "*"},
		{name: "a Service without selector selects nothing", services: []*corev1.Service{svc("s", nil)}, want: "*"},
		{name: "ReplicaSet", owners: owner("apps/v1", "ReplicaSet"), want: "{app in (api,web)}"},
		{name: "StatefulSet", owners: owner("apps/v1", "StatefulSet"), want: "{app in (api,web)}"},
		{name: "ReplicationController", owners: owner("v1", "ReplicationController"), want: "{app=web}"},
		{name: "a kind default spreading ignores", owners: owner("batch/v1", "Job"), want: "*"},
		{name: "another API group", owners: owner("extensions/v1beta1", "ReplicaSet"), want: "*"},
		{name: "not the controller", owners: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "ctl"}}, want: "*"},
		{name: "Service and ReplicaSet", services: []*corev1.Service{svc("s", map[string]string{"tier": "fe"})}, owners: owner("apps/v1", "ReplicaSet"), want: "{app in (api,web),tier=fe}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCluster(DefaultFeatures())
			for _, s := range tc.services {
				c.UpsertService(s)
			}
			rsSel := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "api"}}}}
			c.UpsertReplicaSet(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ctl"}, Spec: appsv1.ReplicaSetSpec{Selector: rsSel}})
			c.UpsertStatefulSet(&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ctl"}, Spec: appsv1.StatefulSetSpec{Selector: rsSel}})
			c.UpsertReplicationController(&corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ctl"}, Spec: corev1.ReplicationControllerSpec{Selector: map[string]string{"app": "web"}}})
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p", Labels: map[string]string{"app": "web", "tier": "fe"}, OwnerReferences: tc.owners}}
			if got := SelectorKey(c.DefaultSelector(pod)); got != tc.want {
				t.Errorf("DefaultSelector = %s, want %s", got, tc.want)
			}
			if got := c.MayHaveDefaultSelector(pod); tc.want != "*" && !got {
				t.Errorf("MayHaveDefaultSelector = false for a pod with selector %s", tc.want)
			}
		})
	}
}

func TestNamespaceLabels(t *testing.T) {
	c := NewCluster(DefaultFeatures())
	if got := c.NamespaceLabels("x"); len(got) != 1 || got[corev1.LabelMetadataName] != "x" {
		t.Errorf("namespace not given: labels %v, want only its name label", got)
	}
	c.UpsertNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"team": "a"}}})
	if got := c.NamespaceLabels("x"); len(got) != 2 || got["team"] != "a" || got[corev1.LabelMetadataName] != "x" {
		t.Errorf("namespace given: labels %v, want team=a and its name label", got)
	}
	c.RemoveNamespace("x")
	if got := c.NamespaceLabels("x"); len(got) != 1 {
		t.Errorf("namespace removed: labels %v", got)
	}
}
