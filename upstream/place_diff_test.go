package upstream

// Differential test of `ksim place` against kube-scheduler v1.37.
//
// Each case generates a cluster (nodes in zones with labels, taints and cordons; running pods,
// some finished, some on host ports) and a list of pods to place (limits without requests,
// container ports without a protocol, hostNetwork pods, pods without a namespace, selectors,
// tolerations, node affinity), and writes both as YAML, in one of the forms a cluster gives
// them (multi-document YAML, a v1 List, typed lists in JSON). Then:
//
//   - ksim: place.Input reads the YAML (strict decoding, API-server defaulting) and place.Place
//     places the pods in order;
//   - upstream: the same YAML is decoded with sigs.k8s.io/yaml, defaulted with the API server's
//     own code (k8s.io/kubernetes/pkg/apis/core/v1 SetObjectDefaults_Pod and _Node, plus the
//     DefaultTolerationSeconds admission plugin's rule), and each pod goes through the real
//     framework built from upstream's default profile (or the case's configuration, through
//     upstream's codec), restricted to the plugins ksim implements.
//
// For every pod, ksim's node must be among upstream's top-scoring nodes, or both must find no
// node with the same unschedulable message, character for character. Then the pod is bound to
// ksim's node on both sides. Rerun one case with
//
//	go test -run 'TestPlaceDifferential/default/seed=4$' ./...

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1defaults "k8s.io/kubernetes/pkg/apis/core/v1"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/latest"
	"k8s.io/kubernetes/pkg/scheduler/metrics"
	"sigs.k8s.io/yaml"

	"ksim.dev/ksim/place"
	"ksim.dev/ksim/scheduler"
)

// placeConfigs are the scheduler configurations of the place differential ("" for none).
var placeConfigs = []struct{ name, yaml string }{
	{"default", ""},
	{"most-allocated", configHeader + diffConfigs[0].yaml},
	{"added-affinity", configHeader + diffConfigs[3].yaml},
}

func TestPlaceDifferential(t *testing.T) {
	refMetrics.Do(metrics.InitMetrics)
	clusters := *refClusters
	for _, pc := range placeConfigs {
		t.Run(pc.name, func(t *testing.T) {
			var placed, unschedulable, ties int
			for c := range clusters {
				seed := *refSeed + uint64(c)
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					p, u, tie := runPlaceDiff(t, seed, pc.yaml, *refPods)
					placed, unschedulable, ties = placed+p, unschedulable+u, ties+tie
				})
			}
			t.Logf("%s: %d clusters, %d pods placed (%d with ties for the top), %d unschedulable with equal messages",
				pc.name, clusters, placed, ties, unschedulable)
			if placed == 0 || unschedulable == 0 {
				t.Errorf("no pod was placed, or none was unschedulable: the comparison proved little")
			}
		})
	}
}

// placeGen makes the objects of one case.
type placeGen struct {
	refGen
}

// runPlaceDiff runs one case and returns the number of pods placed, unschedulable, and placed
// among tied nodes.
func runPlaceDiff(t *testing.T, seed uint64, cfgYAML string, numPods int) (placed, unschedulable, ties int) {
	g := &placeGen{refGen: refGen{r: rand.New(rand.NewPCG(seed, 0x706c6163)), seed: seed}}
	for i := range 1 + g.r.IntN(3) {
		g.zones = append(g.zones, fmt.Sprintf("zone-%c", 'a'+i))
	}
	var clusterObjs []any
	for range 1 + g.r.IntN(20) {
		clusterObjs = append(clusterObjs, g.node())
	}
	for _, n := range g.nodes {
		fill := g.filler(n)
		if g.r.IntN(4) == 0 { // capacity only: the API server copies it into allocatable
			n.Status.Allocatable = nil
		}
		for _, p := range fill {
			switch g.r.IntN(8) {
			case 0:
				p.Status.Phase = v1.PodSucceeded
			case 1:
				g.hostPort(p)
			}
			clusterObjs = append(clusterObjs, p)
		}
	}
	var podObjs []any
	for range numPods {
		p := g.pod(true)
		switch g.r.IntN(6) {
		case 0: // limits only
			for i := range p.Spec.Containers {
				c := &p.Spec.Containers[i]
				c.Resources.Limits, c.Resources.Requests = c.Resources.Requests, nil
			}
		case 1:
			p.Namespace = ""
		case 2:
			g.hostPort(p)
		case 3:
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: int32(9000 + g.r.IntN(3))}}
		}
		podObjs = append(podObjs, p)
	}
	clusterYAML, podsYAML := g.write(t, clusterObjs), g.write(t, podObjs)

	// ksim, through the place package.
	var in place.Input
	in.AddCluster("cluster.yaml", clusterYAML)
	in.AddPods("pods.yaml", podsYAML)
	if err := in.Err(); err != nil {
		t.Fatalf("seed %d: place rejects the generated input: %v\n%s", seed, err, podsYAML)
	}
	opts := place.Options{Seed: seed, Explain: true}
	var prof *config.KubeSchedulerProfile
	if cfgYAML != "" {
		cfg, err := scheduler.ParseConfig("config.yaml", []byte(cfgYAML))
		if err != nil {
			t.Fatal(err)
		}
		opts.Config = cfg
		prof = upstreamProfileFromYAML(t, []byte(cfgYAML))
	} else {
		defaults, err := latest.Default()
		if err != nil {
			t.Fatal(err)
		}
		prof = &defaults.Profiles[0]
	}
	res, err := place.Place(&in, opts)
	if err != nil {
		t.Fatal(err)
	}

	// Upstream, from the same bytes.
	up := newRefScheduler(t, prof, true)
	nodes := map[string]bool{}
	for _, o := range decodeAll(t, clusterYAML) {
		if n, ok := o.(*v1.Node); ok {
			corev1defaults.SetObjectDefaults_Node(n)
			up.addNode(n)
			nodes[n.Name] = true
		}
	}
	for _, o := range decodeAll(t, clusterYAML) {
		p, ok := o.(*v1.Pod)
		if !ok || p.Spec.NodeName == "" || !nodes[p.Spec.NodeName] {
			continue
		}
		upstreamDefaultPod(p)
		if p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed {
			continue // the scheduler's informer ignores finished pods
		}
		up.addPod(t, p)
	}
	up.sync(t)
	toPlace := decodeAll(t, podsYAML)
	if len(toPlace) != len(res) {
		t.Fatalf("seed %d: %d pods, %d placements", seed, len(toPlace), len(res))
	}
	for i, o := range toPlace {
		pod := o.(*v1.Pod)
		upstreamDefaultPod(pod)
		u := up.schedule(pod)
		k := res[i]
		where := fmt.Sprintf("seed %d, pod %d (%s)", seed, i, refDescribe(pod))
		switch {
		case u.err != nil:
			t.Fatalf("%s: upstream error %v (ksim: node %q, %q)", where, u.err, k.Node, k.Reason)
		case u.fitError != "":
			if k.Node != "" || k.Reason != u.fitError {
				t.Fatalf("%s: unschedulable message (-upstream +ksim):\n- %q\n+ %q (node %q)", where, u.fitError, k.Reason, k.Node)
			}
			unschedulable++
			continue
		case !containsString(u.top, k.Node):
			t.Fatalf("%s: ksim chose %q (%s), upstream's best are %v (totals %v)", where, k.Node, k.Reason, u.top, u.totals)
		}
		placed++
		if len(u.top) > 1 {
			ties++
		}
		bound := pod.DeepCopy()
		bound.Spec.NodeName = k.Node
		up.addPod(t, bound)
		up.sync(t)
	}
	return placed, unschedulable, ties
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// hostPort gives the pod's first container a host port, from a small range so that pods
// conflict, with no protocol (TCP by default) or an explicit one.
func (g *placeGen) hostPort(p *v1.Pod) {
	port := v1.ContainerPort{ContainerPort: 8080, HostPort: int32(8080 + g.r.IntN(3))}
	switch g.r.IntN(3) {
	case 0:
		port.Protocol = v1.ProtocolTCP
	case 1:
		port.Protocol = v1.ProtocolUDP
	}
	p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, port)
}

// write serialises objects in one of the forms place reads, chosen at random.
func (g *placeGen) write(t *testing.T, objs []any) []byte {
	t.Helper()
	typed := func(o any) map[string]any {
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(j, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "status")
		if n, ok := o.(*v1.Node); ok {
			m["status"] = map[string]any{"capacity": n.Status.Capacity}
			if n.Status.Allocatable != nil {
				m["status"].(map[string]any)["allocatable"] = n.Status.Allocatable
			}
		}
		if p, ok := o.(*v1.Pod); ok && p.Status.Phase != "" {
			m["status"] = map[string]any{"phase": p.Status.Phase}
		}
		meta := m["metadata"].(map[string]any)
		delete(meta, "creationTimestamp")
		return m
	}
	kindOf := func(o any) string {
		if _, ok := o.(*v1.Node); ok {
			return "Node"
		}
		return "Pod"
	}
	var buf bytes.Buffer
	switch g.r.IntN(3) {
	case 0: // multi-document YAML
		for _, o := range objs {
			m := typed(o)
			m["apiVersion"], m["kind"] = "v1", kindOf(o)
			y, err := yaml.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			buf.WriteString("---\n")
			buf.Write(y)
		}
	case 1: // a v1 List, as kubectl get -o yaml writes it
		var items []any
		for _, o := range objs {
			m := typed(o)
			m["apiVersion"], m["kind"] = "v1", kindOf(o)
			items = append(items, m)
		}
		y, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items})
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(y)
	default: // typed lists in JSON, as kubectl cluster-info dump writes them
		byKind := map[string][]any{}
		for _, o := range objs {
			byKind[kindOf(o)] = append(byKind[kindOf(o)], typed(o))
		}
		for _, k := range []string{"Node", "Pod"} {
			j, err := json.MarshalIndent(map[string]any{"kind": k + "List", "apiVersion": "v1", "metadata": map[string]any{}, "items": byKind[k]}, "", "    ")
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(j)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// decodeAll decodes what write wrote with sigs.k8s.io/yaml, independently of ksim's decoder.
func decodeAll(t *testing.T, data []byte) []any {
	t.Helper()
	var out []any
	add := func(raw []byte, kind string) {
		switch kind {
		case "Node":
			var n v1.Node
			if err := yaml.Unmarshal(raw, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, &n)
		case "Pod":
			var p v1.Pod
			if err := yaml.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, &p)
		default:
			t.Fatalf("unexpected kind %q", kind)
		}
	}
	type header struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		dec := json.NewDecoder(bytes.NewReader(data))
		for dec.More() {
			var h header
			if err := dec.Decode(&h); err != nil {
				t.Fatal(err)
			}
			for _, it := range h.Items {
				add(it, strings.TrimSuffix(h.Kind, "List"))
			}
		}
		return out
	}
	for _, doc := range strings.Split(string(data), "---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var h header
		if err := yaml.Unmarshal([]byte(doc), &h); err != nil {
			t.Fatal(err)
		}
		if h.Kind != "List" {
			add([]byte(doc), h.Kind)
			continue
		}
		for _, it := range h.Items {
			var ih header
			if err := json.Unmarshal(it, &ih); err != nil {
				t.Fatal(err)
			}
			add(it, ih.Kind)
		}
	}
	return out
}

// upstreamDefaultPod is what the API server does to a new pod before the scheduler sees it:
// its defaulting code, then the DefaultTolerationSeconds admission plugin
// (plugin/pkg/admission/defaulttolerationseconds): not-ready and unreachable NoExecute
// tolerations for 300 s, unless a toleration already covers them.
func upstreamDefaultPod(p *v1.Pod) {
	if p.Namespace == "" {
		p.Namespace = metav1.NamespaceDefault
	}
	corev1defaults.SetObjectDefaults_Pod(p)
	covered := func(key string) bool {
		for _, tol := range p.Spec.Tolerations {
			if (tol.Key == key || tol.Key == "") && (tol.Effect == v1.TaintEffectNoExecute || tol.Effect == "") {
				return true
			}
		}
		return false
	}
	for _, key := range []string{v1.TaintNodeNotReady, v1.TaintNodeUnreachable} {
		if !covered(key) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, v1.Toleration{Key: key, Operator: v1.TolerationOpExists,
				Effect: v1.TaintEffectNoExecute, TolerationSeconds: new(int64(300))})
		}
	}
}
