package place

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/sim/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// load reads a cluster file and the golden pods.
func load(t testing.TB, cluster string) *Input {
	t.Helper()
	var in Input
	in.AddCluster(cluster, readFile(t, cluster))
	in.AddPods("testdata/pods.yaml", readFile(t, "testdata/pods.yaml"))
	if err := in.Err(); err != nil {
		t.Fatal(err)
	}
	return &in
}

func configFile(t testing.TB, path string) *scheduler.Config {
	t.Helper()
	cfg, err := scheduler.ParseConfig(path, readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// checkGolden compares got with testdata/golden/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./place -run %s -update` to create it)", err, t.Name())
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file; if the change is intended, run `go test ./place -run %s -update` and review the diff.\ngot:\n%s", path, t.Name(), got)
	}
}

// TestGolden places the golden pods on the golden cluster and compares every output format
// with its golden file.
func TestGolden(t *testing.T) {
	tests := []struct {
		golden  string
		config  string
		explain bool
		table   bool
	}{
		{golden: "place.jsonl"},
		{golden: "place.table", table: true},
		{golden: "explain.jsonl", explain: true},
		{golden: "explain.table", explain: true, table: true},
		{golden: "bin-packing.jsonl", config: "testdata/bin-packing.yaml", explain: true},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			in := load(t, "testdata/forms/cluster.yaml")
			opts := Options{Seed: 1, Explain: tc.explain}
			if tc.config != "" {
				opts.Config = configFile(t, tc.config)
			}
			res, err := Place(in, opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if tc.table {
				err = WriteTable(&buf, res, tc.explain)
			} else {
				err = WriteJSONL(&buf, res)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, buf.Bytes())
		})
	}
}

// TestGoldenDecisions checks, independently of the golden files, the decisions reasoned out by
// hand for the golden cluster (see testdata/pods.yaml):
//
//   - web-0 and web-1 fit node-a1 and node-a2 (node-b1 is tainted, node-b2 cordoned); node-a2
//     has an untolerated PreferNoSchedule taint, which TaintToleration (weight 3) punishes
//     more than the resource scores can make up.
//   - db-1 selects disk=ssd and tolerates dedicated=db: node-b1 only.
//   - batch-0 asks 6 CPUs: node-a1 has 1.5 left after web-0 and web-1, node-a2 4.
//   - pinned names the cordoned node-b2; NodeName's PreFilter leaves the other three out.
//   - the BestEffort probe prefers zone b, where nothing admits it.
//
// With the bin-packing profile web-1 still goes to node-a1: MostAllocated now prefers it too.
func TestGoldenDecisions(t *testing.T) {
	want := []Placement{
		{Pod: "default/web-0", Node: "node-a1"},
		{Pod: "default/web-1", Node: "node-a1"},
		{Pod: "prod/db-1", Node: "node-b1"},
		{Pod: "default/batch-0", Reason: "0/4 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) were unschedulable, 2 Insufficient cpu."},
		{Pod: "default/pinned", Reason: "0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) didn't satisfy plugin(s) [NodeName]."},
		{Pod: "default/probe-ksim1", Node: "node-a1"},
	}
	for _, cfg := range []string{"", "testdata/bin-packing.yaml"} {
		opts := Options{Seed: 7}
		if cfg != "" {
			opts.Config = configFile(t, cfg)
		}
		res, err := Place(load(t, "testdata/forms/cluster.yaml"), opts)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(res) != fmt.Sprint(want) {
			t.Errorf("config %q:\n got %v\nwant %v", cfg, res, want)
		}
	}
}

// TestInputForms reads the same cluster from every form a real cluster gives it and checks that
// each yields the same objects and the same placements.
func TestInputForms(t *testing.T) {
	// kubectl cluster-info dump lists pods namespace by namespace and has no Namespaces:
	// compare running pods as a set, and namespaces only where the form has them.
	summary := func(in *Input, namespaces bool) string {
		var b strings.Builder
		for _, n := range in.Nodes {
			fmt.Fprintf(&b, "node %s %v %v taints=%d unschedulable=%v\n", n.Name, n.Status.Allocatable.Cpu(), n.Status.Allocatable.Memory(), len(n.Spec.Taints), n.Spec.Unschedulable)
		}
		var running []string
		for _, p := range in.Running {
			running = append(running, fmt.Sprintf("running %s/%s on %s\n", p.Namespace, p.Name, p.Spec.NodeName))
		}
		slices.Sort(running)
		b.WriteString(strings.Join(running, ""))
		for _, ns := range in.Namespaces {
			if namespaces {
				fmt.Fprintf(&b, "namespace %s %v\n", ns.Name, ns.Labels)
			}
		}
		return b.String()
	}
	base := load(t, "testdata/forms/cluster.yaml")
	want := summary(base, true)
	wantRes, err := Place(base, Options{Seed: 3, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	var wantOut bytes.Buffer
	WriteJSONL(&wantOut, wantRes)
	if !strings.Contains(want, "node node-b2 2 4Gi") || !strings.Contains(want, "running default/web-7d4b9c-x2k4p on node-a1") || !strings.Contains(want, "namespace prod") {
		t.Fatalf("the base form lost objects:\n%s", want)
	}
	files, _ := filepath.Glob("testdata/forms/*")
	if len(files) < 5 {
		t.Fatalf("want at least 5 forms, have %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in := load(t, f)
			dump := strings.Contains(f, "cluster-info-dump")
			if got, want := summary(in, !dump), summary(base, !dump); got != want {
				t.Errorf("objects differ from cluster.yaml's:\n got:\n%s\nwant:\n%s", got, want)
			}
			res, err := Place(in, Options{Seed: 3, Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			WriteJSONL(&out, res)
			if out.String() != wantOut.String() {
				t.Errorf("placements differ from cluster.yaml's:\n%s", out.String())
			}
		})
	}
	t.Run("cluster-info-dump notes", func(t *testing.T) {
		in := load(t, "testdata/forms/cluster-info-dump.txt")
		notes := strings.Join(in.Notes, "\n")
		for _, w := range []string{"skipped 1 Event, 1 ReplicaSet, 1 Service, 4 container log section(s)", "1 pod(s) not bound", "1 pod(s) that have Succeeded or Failed"} {
			if !strings.Contains(notes, w) {
				t.Errorf("notes lack %q:\n%s", w, notes)
			}
		}
	})
}

// TestDefaulting checks the API server's defaults that place applies.
func TestDefaulting(t *testing.T) {
	var in Input
	in.AddCluster("c.yaml", []byte(`apiVersion: v1
kind: Node
metadata: {name: n1}
status: {capacity: {cpu: "2", memory: 2Gi, pods: "10"}}
`))
	in.AddPods("p.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: web, rev: "7"}}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: c
    ports: [{containerPort: 8080}]
    resources: {limits: {cpu: 250m}}
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: web}}
        topologyKey: kubernetes.io/hostname
        matchLabelKeys: [rev, absent]
        mismatchLabelKeys: [app]
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [rev]}
`))
	if err := in.Err(); err != nil {
		t.Fatal(err)
	}
	n, p := in.Nodes[0], in.Pods[0]
	if q := n.Status.Allocatable[corev1.ResourceCPU]; q.String() != "2" {
		t.Errorf("allocatable not defaulted from capacity: %v", n.Status.Allocatable)
	}
	c := p.Spec.Containers[0]
	if q := c.Resources.Requests[corev1.ResourceCPU]; q.String() != "250m" {
		t.Errorf("requests not defaulted from limits: %v", c.Resources.Requests)
	}
	if c.Ports[0].Protocol != corev1.ProtocolTCP || c.Ports[0].HostPort != 8080 {
		t.Errorf("port not defaulted: %+v", c.Ports[0])
	}
	if p.Namespace != "default" || p.Spec.SchedulerName != "default-scheduler" {
		t.Errorf("namespace %q, schedulerName %q", p.Namespace, p.Spec.SchedulerName)
	}
	term := p.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
	got := fmt.Sprint(term.LabelSelector.MatchExpressions)
	if want := "[{rev In [7]} {app NotIn [web]}]"; got != want {
		t.Errorf("merged expressions %s, want %s", got, want)
	}
	if got := fmt.Sprint(p.Spec.TopologySpreadConstraints[0].LabelSelector.MatchExpressions); got != "[{rev In [7]}]" {
		t.Errorf("spread constraint expressions %s", got)
	}
	// Defaulting twice changes nothing.
	again := p.DeepCopy()
	defaultPod(again)
	if !equality.Semantic.DeepEqual(again.Spec, p.Spec) {
		t.Errorf("defaultPod is not idempotent")
	}
	tolerations := 0
	for _, tol := range p.Spec.Tolerations {
		if tol.Key == corev1.TaintNodeNotReady || tol.Key == corev1.TaintNodeUnreachable {
			tolerations++
		}
	}
	if tolerations != 2 {
		t.Errorf("DefaultTolerationSeconds tolerations: %v", p.Spec.Tolerations)
	}
}

func TestPlaceNotes(t *testing.T) {
	var in Input
	in.AddCluster("c.yaml", []byte(`apiVersion: v1
kind: Node
metadata: {name: n1}
status: {capacity: {cpu: "2", memory: 2Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: orphan}
spec: {nodeName: gone, containers: [{name: c, image: c}]}
`))
	in.AddPods("p.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  schedulerName: my-scheduler
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
  containers: [{name: c, image: c}]
`))
	res, err := Place(&in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(in.Notes, "\n")
	for _, w := range []string{"node n1 has no pods in status.allocatable", "bound to nodes the cluster file does not list",
		"use PersistentVolumeClaims, which the VolumeBinding plugin checks", `name schedulerName "my-scheduler"`} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %q:\n%s", w, notes)
		}
	}
	if want := "0/1 nodes are available: 1 Too many pods."; len(res) != 1 || res[0].Reason != want {
		t.Errorf("result %v, want %q", res, want)
	}
}

func TestNoNodes(t *testing.T) {
	var in Input
	in.AddCluster("c.yaml", []byte("# nothing yet\n"))
	in.AddPods("p.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: c}]}\n"))
	res, err := Place(&in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Reason != "no nodes available to schedule pods" || res[0].Node != "" {
		t.Errorf("result %+v", res)
	}
	var buf bytes.Buffer
	WriteJSONL(&buf, res)
	if want := `{"pod": "default/p", "node": null, "reason": "no nodes available to schedule pods"}` + "\n"; buf.String() != want {
		t.Errorf("jsonl %q, want %q", buf.String(), want)
	}
}

// TestSeedBreaksTies places identical pods on identical nodes: the seed decides, and the same
// seed decides the same way.
func TestSeedBreaksTies(t *testing.T) {
	var nodes, pods strings.Builder
	for i := range 8 {
		fmt.Fprintf(&nodes, "---\napiVersion: v1\nkind: Node\nmetadata: {name: n%d}\nstatus: {capacity: {cpu: \"64\", memory: 64Gi, pods: \"110\"}}\n", i)
	}
	for i := range 4 {
		fmt.Fprintf(&pods, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec: {containers: [{name: c, image: c, resources: {requests: {cpu: 10m}}}]}\n", i)
	}
	run := func(seed uint64) string {
		var in Input
		in.AddCluster("c.yaml", []byte(nodes.String()))
		in.AddPods("p.yaml", []byte(pods.String()))
		res, err := Place(&in, Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(res)
	}
	seen := map[string]bool{}
	for seed := range uint64(6) {
		a, b := run(seed), run(seed)
		if a != b {
			t.Fatalf("seed %d gives %s then %s", seed, a, b)
		}
		seen[a] = true
	}
	if len(seen) < 2 {
		t.Errorf("six seeds gave the same placements: ties are not broken by the seed")
	}
}

// TestBadInput checks that every kind of bad input is reported at its file and line, and that
// nothing is placed.
func TestBadInput(t *testing.T) {
	const node = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {capacity: {cpu: \"2\", memory: 2Gi, pods: \"10\"}}\n"
	tests := []struct {
		name     string
		cluster  string
		pods     string
		wantFile string
		wantLine int
		want     string
	}{
		{name: "malformed YAML", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p\n", wantFile: "p.yaml", wantLine: 3, want: "invalid YAML"},
		{name: "pod without containers", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n", wantFile: "p.yaml", wantLine: 4, want: "at least one container"},
		{name: "quantity", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {cpu: lots}}\n", wantFile: "p.yaml", wantLine: 7, want: "is not a quantity"},
		{name: "unknown field", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n  nodeSelektor: {a: b}\n", wantFile: "p.yaml", wantLine: 6, want: `unknown field "nodeSelektor"`},
		{name: "unknown field in a cluster dump", cluster: "{\"kind\": \"NodeList\", \"apiVersion\": \"v1\", \"items\": [\n {\"metadata\": {\"name\": \"n1\"},\n  \"statuz\": {}}]}\n", wantFile: "c.yaml", wantLine: 3, want: `unknown field "statuz"`},
		{name: "wrong apiVersion", pods: "apiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\n", wantFile: "p.yaml", wantLine: 1, want: "want v1"},
		{name: "kind case", pods: "apiVersion: v1\nkind: pod\nmetadata: {name: p}\n", wantFile: "p.yaml", wantLine: 2, want: "did you mean Pod"},
		{name: "no name", pods: "apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\nspec: {containers: [{name: c}]}\n", wantFile: "p.yaml", wantLine: 3, want: "name is required"},
		{name: "duplicate pod", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n", wantFile: "p.yaml", wantLine: 8, want: "duplicate Pod default/p"},
		{name: "duplicate node", cluster: node + "---\n" + node, wantFile: "c.yaml", wantLine: 8, want: `duplicate Node "n1"`},
		{name: "negative request", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {memory: -1Gi}}\n", wantFile: "p.yaml", wantLine: 7, want: "must not be negative"},
		{name: "request over limit", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources:\n      requests: {cpu: \"2\"}\n      limits: {cpu: \"1\"}\n", wantFile: "p.yaml", wantLine: 8, want: "exceeds limits.cpu"},
		{name: "bad toleration", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n  tolerations:\n  - {key: a, operator: Exists, value: b}\n", wantFile: "p.yaml", wantLine: 7, want: "must be empty when operator is Exists"},
		{name: "bad node affinity", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: gen, operator: Gt, values: [big]}\n", wantFile: "p.yaml", wantLine: 11, want: "must be an integer"},
		{name: "bad preferred term", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 1\n        preference:\n          matchExpressions:\n          - {key: a, operator: In}\n", wantFile: "p.yaml", wantLine: 12, want: "values set can't be empty"},
		{name: "bad taint", cluster: "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec:\n  taints: [{key: a, effect: Sometimes}]\n", wantFile: "c.yaml", wantLine: 5, want: "is not a taint effect"},
		{name: "node in the pods file", pods: node, wantFile: "p.yaml", wantLine: 2, want: "put Nodes in the --cluster file"},
		{name: "nested list", pods: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: PodList\n  items: []\n", wantFile: "p.yaml", wantLine: 5, want: "lists cannot be nested"},
		{name: "not a map", pods: "- a\n- b\n", wantFile: "p.yaml", wantLine: 1, want: "want a Kubernetes object"},
		{name: "bad JSON", pods: "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",,\n}\n", wantFile: "p.yaml", wantLine: 2, want: "invalid JSON"},
		{name: "label", pods: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {\"a b\": c}}\nspec: {containers: [{name: c}]}\n", wantFile: "p.yaml", wantLine: 3, want: "not a valid label key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in Input
			cluster := tc.cluster
			if cluster == "" {
				cluster = node
			}
			in.AddCluster("c.yaml", []byte(cluster))
			pods := tc.pods
			if pods == "" {
				pods = "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec: {containers: [{name: c}]}\n"
			}
			in.AddPods("p.yaml", []byte(pods))
			err := in.Err()
			if err == nil {
				t.Fatal("accepted")
			}
			if _, perr := Place(&in, Options{}); perr == nil {
				t.Error("Place placed pods despite the errors")
			}
			var es scenario.Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T: %v", err, err)
			}
			prefix := fmt.Sprintf("%s:%d: ", tc.wantFile, tc.wantLine)
			if !slices.ContainsFunc(es, func(e *scenario.Error) bool {
				return strings.HasPrefix(e.Error(), prefix) && strings.Contains(e.Error(), tc.want)
			}) {
				t.Errorf("want an error %q…%q, got:\n%v", prefix, tc.want, err)
			}
		})
	}
}
