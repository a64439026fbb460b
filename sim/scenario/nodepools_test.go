package scenario

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
)

// poolBlock is a spec.nodePools section inserted after the cluster line of baseScenario (line 6),
// so that its lines are 7 (nodePools) to 12 (status).
const poolBlock = `  nodePools:
  - name: gp
    count: 3
    template:
      metadata: {labels: {pool: gp, topology.kubernetes.io/zone: c}}
      status: {capacity: {cpu: "2", memory: 8Gi}}
`

// withPool is the edit that adds poolBlock to the base scenario.
var withPool = edit{"scenario.yaml", "  cluster: [nodes.yaml]\n", "  cluster: [nodes.yaml]\n" + poolBlock}

// applyEdits returns the base files with the edits applied, in order.
func applyEdits(t *testing.T, edits []edit) fstest.MapFS {
	t.Helper()
	fsys := baseFS()
	for _, e := range edits {
		if e.old == "" {
			fsys[e.file] = &fstest.MapFile{Data: []byte(e.new)}
			continue
		}
		data := string(fsys[e.file].Data)
		if !strings.Contains(data, e.old) {
			t.Fatalf("edit of %s: %q not found", e.file, e.old)
		}
		fsys[e.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, e.old, e.new, 1))}
	}
	return fsys
}

func TestNodePoolsExpand(t *testing.T) {
	fsys := applyEdits(t, []edit{withPool,
		// An event may name a pool's node, or select the pool by label.
		{"scenario.yaml", "fail: {nodes: [n1]}", "fail: {nodes: [gp-3]}\n  - at: 2h\n    cordon: {nodes: {pool: gp}}"},
	})
	sc, err := LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range sc.Nodes {
		names = append(names, n.Name)
	}
	// Cluster files first, then the pool's nodes in index order.
	if want := []string{"n1", "n2", "gp-1", "gp-2", "gp-3"}; !slices.Equal(names, want) {
		t.Fatalf("nodes %v, want %v", names, want)
	}
	for k, n := range sc.Nodes[2:] {
		if got := n.Labels[corev1.LabelHostname]; got != n.Name {
			t.Errorf("%s: hostname label %q, want its name", n.Name, got)
		}
		if n.Labels["pool"] != "gp" || n.Labels[corev1.LabelTopologyZone] != "c" || n.Labels[corev1.LabelOSStable] != "linux" {
			t.Errorf("%s: labels %v", n.Name, n.Labels)
		}
		if got := n.Status.Allocatable.Cpu().String(); got != "2" {
			t.Errorf("%s: allocatable cpu %s, want 2 (defaulted from capacity)", n.Name, got)
		}
		if got := n.Status.Allocatable.Pods().Value(); got != DefaultMaxPodsPerNode {
			t.Errorf("%s: allocatable pods %d", n.Name, got)
		}
		if k > 0 && n == sc.Nodes[2] {
			t.Errorf("%s is the same object as gp-1", n.Name)
		}
	}
	// The copies share nothing: changing one node's labels leaves the others alone.
	sc.Nodes[3].Labels["pool"] = "changed"
	if sc.Nodes[2].Labels["pool"] != "gp" || sc.Nodes[4].Labels["pool"] != "gp" {
		t.Errorf("nodes of a pool share their labels map")
	}
	if len(sc.Events) != 2 || sc.Events[0].Names[0] != "gp-3" {
		t.Errorf("events %+v", sc.Events)
	}
}

func TestNodePoolsWithoutClusterFiles(t *testing.T) {
	fsys := applyEdits(t, []edit{withPool,
		{"scenario.yaml", "  cluster: [nodes.yaml]\n", ""},
		{"scenario.yaml", "nodes: [n1]", "nodes: [gp-1]"},
	})
	sc, err := LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Nodes) != 3 || sc.Nodes[0].Name != "gp-1" {
		t.Fatalf("got %d nodes, first %q", len(sc.Nodes), sc.Nodes[0].Name)
	}
	// A pool of zero nodes is valid (a sweep may vary a pool down to nothing).
	fsys = applyEdits(t, []edit{withPool, {"scenario.yaml", "count: 3", "count: 0"}})
	sc, err = LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Nodes) != 2 {
		t.Fatalf("count 0: got %d nodes, want the 2 of nodes.yaml", len(sc.Nodes))
	}
}

func TestNodePoolErrors(t *testing.T) {
	pool := func(old, new string) []edit {
		return []edit{withPool, {"scenario.yaml", old, new}}
	}
	cases := []struct {
		name  string
		edits []edit
		at    string // the expected start of one message
		msg   string // a substring of that message
	}{
		{"no name", pool("  - name: gp\n    count: 3\n", "  - count: 3\n"),
			"scenario.yaml:8: spec.nodePools[0]: ", "name is required: the pool's nodes are named <name>-1"},
		{"invalid name", pool("name: gp", "name: GP_pool"),
			"scenario.yaml:8: spec.nodePools[0].name: ", `"GP_pool" makes node names such as "GP_pool-3" that are not valid`},
		{"name too long for the count", pool("name: gp", "name: "+strings.Repeat("a", 252)),
			"scenario.yaml:8: spec.nodePools[0].name: ", "must be no more than 253 bytes"},
		{"duplicate name", pool(poolBlock[len("  nodePools:\n"):], poolBlock[len("  nodePools:\n"):]+poolBlock[len("  nodePools:\n"):]),
			"scenario.yaml:13: spec.nodePools[1].name: ", `"gp" is already the name of spec.nodePools[0]; pool names are unique`},
		{"no count", pool("    count: 3\n", ""),
			"scenario.yaml:8: spec.nodePools[0]: ", "count is required: how many nodes the pool has (0 to 100000)"},
		{"negative count", pool("count: 3", "count: -1"),
			"scenario.yaml:9: spec.nodePools[0].count: ", "must be between 0 and 100000 (MaxPoolNodes), got -1"},
		{"count above the limit", pool("count: 3", "count: 100001"),
			"scenario.yaml:9: spec.nodePools[0].count: ", "must be between 0 and 100000 (MaxPoolNodes), got 100001"},
		{"count not a number", pool("count: 3", "count: three"),
			"scenario.yaml:9: spec.nodePools[0].count: ", `want an integer (64-bit), got the string "three"`},
		{"count not an integer", pool("count: 3", "count: 2.5"),
			"scenario.yaml:9: spec.nodePools[0].count: ", "want an integer (64-bit), got the number 2.5"},
		{"not a list", []edit{{"scenario.yaml", "  cluster: [nodes.yaml]\n", "  cluster: [nodes.yaml]\n  nodePools: {name: gp}\n"}},
			"scenario.yaml:7: spec.nodePools: ", "want a list, got a map"},
		{"unknown pool field", pool("    count: 3\n", "    count: 3\n    zones: [a, b]\n"),
			"scenario.yaml:10: spec.nodePools[0].zones: ", `unknown field "zones"; allowed: count, name, template`},
		{"no template", pool("    template:\n      metadata: {labels: {pool: gp, topology.kubernetes.io/zone: c}}\n      status: {capacity: {cpu: \"2\", memory: 8Gi}}\n", ""),
			"scenario.yaml:8: spec.nodePools[0]: ", "template is required: a Node manifest without a name"},
		{"template not a map", pool("    template:\n      metadata: {labels: {pool: gp, topology.kubernetes.io/zone: c}}\n      status: {capacity: {cpu: \"2\", memory: 8Gi}}\n", "    template: [a]\n"),
			"scenario.yaml:10: spec.nodePools[0].template: ", "want a Node manifest (a map), got a list"},
		{"template with a name", pool("metadata: {labels:", "metadata: {name: big, labels:"),
			"scenario.yaml:11: spec.nodePools[0].template.metadata.name: ", "leave the name out: the pool names its nodes gp-1 … gp-<count>"},
		{"template with a hostname label", pool("{pool: gp,", "{pool: gp, kubernetes.io/hostname: h,"),
			"scenario.yaml:11: spec.nodePools[0].template.metadata.labels.kubernetes.io/hostname: ", "leave it out: each node of the pool gets its own"},
		{"template with an unknown field", pool("status: {capacity:", "status: {capcity:"),
			"scenario.yaml:12: spec.nodePools[0].template.status.capcity: ", `unknown field "capcity"; did you mean "capacity"?`},
		{"template with a bad quantity", pool(`cpu: "2"`, `cpu: "2 cores"`),
			"scenario.yaml:12: spec.nodePools[0].template.status.capacity.cpu: ", `"2 cores" is not a quantity`},
		{"template without cpu", pool(`cpu: "2", `, ""),
			"scenario.yaml:12: spec.nodePools[0].template.status: ", "capacity.cpu is required: a Node needs cpu and memory"},
		{"template with a negative quantity", pool("memory: 8Gi", "memory: -8Gi"),
			"scenario.yaml:12: spec.nodePools[0].template.status.capacity.memory: ", "must not be negative, got -8Gi"},
		{"template of another kind", pool("    template:\n", "    template:\n      kind: Pod\n"),
			"scenario.yaml:11: spec.nodePools[0].template.kind: ", `must be Node here, got "Pod"`},
		{"template with a bad taint", pool("      status:", "      spec: {taints: [{key: k, effect: Sometimes}]}\n      status:"),
			"scenario.yaml:12: spec.nodePools[0].template.spec.taints[0].effect: ", `"Sometimes" is not a taint effect`},
		{"template with a bad label", pool("{pool: gp,", "{pool: -gp-,"),
			"scenario.yaml:11: spec.nodePools[0].template.metadata.labels.pool: ", `"-gp-" is not a valid label value`},
		{"pool node clashes with a cluster node", []edit{withPool, {"nodes.yaml", "name: n2", "name: gp-2"}},
			"scenario.yaml:11: spec.nodePools[0].template.metadata.name: ", "duplicate Node gp-2; first defined at nodes.yaml:12"},
		{"event names a node past the count", pool("count: 3", "count: 2"), // and the event names gp-3:
			"", ""},
		{"no nodes at all", []edit{withPool, {"scenario.yaml", "  cluster: [nodes.yaml]\n", ""}, {"scenario.yaml", "count: 3", "count: 0"}, {"scenario.yaml", "    fail: {nodes: [n1]}\n", "    cordon: {nodes: {pool: gp}}\n"}},
			"scenario.yaml:4: spec.cluster: ", "the files hold no Node and spec.nodePools adds none; a cluster needs at least one"},
		{"neither cluster nor pools", []edit{{"scenario.yaml", "  cluster: [nodes.yaml]\n", ""}},
			"scenario.yaml:4: spec.cluster: ", "at least one file with Node manifests is required (e.g. cluster: [nodes.yaml]), or spec.nodePools"},
	}
	// The count case needs its event: fill it in here to keep the table one line per case.
	for i := range cases {
		if cases[i].name == "event names a node past the count" {
			cases[i].edits = append(cases[i].edits, edit{"scenario.yaml", "fail: {nodes: [n1]}", "fail: {nodes: [gp-3]}"})
			cases[i].at, cases[i].msg = "scenario.yaml:19: spec.events[0].fail.nodes[0]: ", `no node "gp-3" at 1h0m0s; did you mean "gp-1"?`
		}
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case name")
			}
			seen[tc.name] = true
			sc, err := LoadFS(applyEdits(t, tc.edits), "scenario.yaml")
			if err == nil {
				t.Fatalf("no error; want %s...%s", tc.at, tc.msg)
			}
			if sc != nil {
				t.Errorf("got a Scenario with the error")
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is %T, want a non-empty Errors", err)
			}
			if testing.Verbose() {
				t.Logf("\n%v", err)
			}
			for _, e := range es {
				if s := e.Error(); strings.HasPrefix(s, tc.at) && strings.Contains(s[len(tc.at):], tc.msg) {
					// A template's problem is reported once, not once per node of the pool.
					if n := strings.Count(err.Error(), tc.msg); n != 1 {
						t.Errorf("the message appears %d times:\n%v", n, err)
					}
					return
				}
			}
			t.Errorf("no message starts with %q and contains %q; got:\n%v", tc.at, tc.msg, err)
		})
	}
}

// TestNodePoolLargeCount checks that a pool at the limit loads, and how its nodes are named.
func TestNodePoolLargeCount(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100,000 nodes")
	}
	fsys := applyEdits(t, []edit{withPool, {"scenario.yaml", "count: 3", fmt.Sprintf("count: %d", MaxPoolNodes)}})
	sc, err := LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sc.Nodes); n != MaxPoolNodes+2 || sc.Nodes[n-1].Name != fmt.Sprintf("gp-%d", MaxPoolNodes) {
		t.Fatalf("got %d nodes, last %q", n, sc.Nodes[len(sc.Nodes)-1].Name)
	}
}

// TestNodePoolReportsEveryProblem: a broken count does not hide a broken template.
func TestNodePoolReportsEveryProblem(t *testing.T) {
	fsys := applyEdits(t, []edit{withPool, {"scenario.yaml", "count: 3", "count: -3"}, {"scenario.yaml", "status: {capacity:", "status: {capcity:"}})
	_, err := LoadFS(fsys, "scenario.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"scenario.yaml:9: spec.nodePools[0].count: must be between 0 and 100000 (MaxPoolNodes), got -3",
		`scenario.yaml:12: spec.nodePools[0].template.status.capcity: unknown field "capcity"; did you mean "capacity"?`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
