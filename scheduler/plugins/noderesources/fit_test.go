package noderesources

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

func nodeInfo(n *corev1.Node, pods ...*corev1.Pod) *framework.NodeInfo {
	ni := framework.NewNodeInfo(n)
	for _, p := range pods {
		ni.AddPod(framework.NewBoundPodInfo(p, framework.DefaultFeatures()))
	}
	return ni
}

func newFit(t testing.TB, args any) *Fit {
	t.Helper()
	pl, err := NewFit(args, framework.DefaultFeatures())
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*Fit)
}

// filterResult is a Filter outcome in comparable form.
type filterResult struct {
	Code    framework.Code
	Reasons []string
}

func runFilter(t *testing.T, pl *Fit, pod *corev1.Pod, ni *framework.NodeInfo) filterResult {
	t.Helper()
	state := framework.NewCycleState()
	pi := framework.NewPodInfo(pod)
	if _, st := pl.PreFilter(state, pi, nil); !st.IsSuccess() {
		t.Fatalf("PreFilter: %v", st.AsError())
	}
	st := pl.Filter(state, pi, ni)
	return filterResult{Code: st.Code(), Reasons: st.Reasons()}
}

func TestFitFilter(t *testing.T) {
	// A node with 10 CPUs, 20 bytes of memory and 2 GPUs, half used by one pod.
	node := st.MakeNode("n").Alloc("cpu", "10", "memory", "20", "example.com/gpu", "2", "pods", "3").Obj()
	used := st.MakePod("used").Node("n").Req(st.Res("cpu", "5", "memory", "10", "example.com/gpu", "1")).Obj()
	ok := filterResult{Code: framework.Success}
	unsched := func(reasons ...string) filterResult {
		return filterResult{Code: framework.Unschedulable, Reasons: reasons}
	}
	unresolvable := func(reasons ...string) filterResult {
		return filterResult{Code: framework.UnschedulableAndUnresolvable, Reasons: reasons}
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		node *corev1.Node
		pods []*corev1.Pod
		args any
		want filterResult
	}{
		{name: "no requests fit anywhere", pod: st.MakePod("p").Req(nil).Obj(), want: ok},
		{name: "exactly what is left fits", pod: st.MakePod("p").Req(st.Res("cpu", "5", "memory", "10")).Obj(), want: ok},
		{name: "too much cpu", pod: st.MakePod("p").Req(st.Res("cpu", "6", "memory", "1")).Obj(), want: unsched(ReasonInsufficientCPU)},
		{name: "too much memory", pod: st.MakePod("p").Req(st.Res("cpu", "1", "memory", "11")).Obj(), want: unsched(ReasonInsufficientMemory)},
		{
			name: "too much of both, listed cpu first",
			pod:  st.MakePod("p").Req(st.Res("cpu", "6", "memory", "11")).Obj(),
			want: unsched(ReasonInsufficientCPU, ReasonInsufficientMemory),
		},
		{
			name: "more than allocatable is unresolvable",
			pod:  st.MakePod("p").Req(st.Res("cpu", "11", "memory", "1")).Obj(),
			want: unresolvable(ReasonInsufficientCPU),
		},
		{
			name: "app containers add up",
			pod:  st.MakePod("p").Req(st.Res("cpu", "3")).Req(st.Res("cpu", "3")).Obj(),
			want: unsched(ReasonInsufficientCPU),
		},
		{
			name: "an init container larger than the app containers counts alone",
			pod:  st.MakePod("p").Req(st.Res("cpu", "1")).InitReq(st.Res("cpu", "6"), false).Obj(),
			want: unsched(ReasonInsufficientCPU),
		},
		{
			name: "init containers take the max, not the sum",
			pod:  st.MakePod("p").Req(st.Res("cpu", "1")).InitReq(st.Res("cpu", "4"), false).InitReq(st.Res("cpu", "4"), false).Obj(),
			want: ok,
		},
		{
			// sidecar 2 runs beside the app (1) and beside the later init container (3): max(1+2, 2+3) = 5
			name: "a sidecar adds to the app containers and to later init containers",
			pod:  st.MakePod("p").Req(st.Res("cpu", "1")).InitReq(st.Res("cpu", "2"), true).InitReq(st.Res("cpu", "3"), false).Obj(),
			want: ok,
		},
		{
			// max(1+2, 2+4) = 6 > 5
			name: "a sidecar before a large init container",
			pod:  st.MakePod("p").Req(st.Res("cpu", "1")).InitReq(st.Res("cpu", "2"), true).InitReq(st.Res("cpu", "4"), false).Obj(),
			want: unsched(ReasonInsufficientCPU),
		},
		{
			name: "overhead is added",
			pod:  st.MakePod("p").Req(st.Res("cpu", "5")).Overhead(st.Res("cpu", "100m")).Obj(),
			want: unsched(ReasonInsufficientCPU),
		},
		{
			name: "pod-level requests replace the containers' sum",
			pod:  st.MakePod("p").Req(st.Res("cpu", "1")).PodReq(st.Res("cpu", "6")).Obj(),
			want: unsched(ReasonInsufficientCPU),
		},
		{
			name: "extended resource left",
			pod:  st.MakePod("p").Req(st.Res("example.com/gpu", "1")).Obj(),
			want: ok,
		},
		{
			name: "extended resource exhausted",
			pod:  st.MakePod("p").Req(st.Res("example.com/gpu", "2")).Obj(),
			want: unsched("Insufficient example.com/gpu"),
		},
		{
			name: "extended resource the node lacks is unresolvable",
			pod:  st.MakePod("p").Req(st.Res("example.com/fpga", "1", "example.com/gpu", "2")).Obj(),
			want: unresolvable("Insufficient example.com/fpga", "Insufficient example.com/gpu"),
		},
		{
			name: "ignored extended resource",
			pod:  st.MakePod("p").Req(st.Res("example.com/fpga", "1")).Obj(),
			args: FitArgs{IgnoredResources: []string{"example.com/fpga"}},
			want: ok,
		},
		{
			name: "ignored resource group",
			pod:  st.MakePod("p").Req(st.Res("example.com/fpga", "1")).Obj(),
			args: FitArgs{IgnoredResourceGroups: []string{"example.com"}},
			want: ok,
		},
		{
			name: "hugepages are counted",
			pod:  st.MakePod("p").Req(st.Res("hugepages-2Mi", "2Mi")).Obj(),
			want: unresolvable("Insufficient hugepages-2Mi"),
		},
		{
			name: "ephemeral storage",
			pod:  st.MakePod("p").Req(st.Res("ephemeral-storage", "1Gi")).Obj(),
			node: st.MakeNode("n").Alloc("cpu", "10", "memory", "20", "ephemeral-storage", "1Gi").Obj(),
			pods: []*corev1.Pod{st.MakePod("used").Node("n").Req(st.Res("ephemeral-storage", "1")).Obj()},
			want: unsched(ReasonInsufficientEphemeralDisk),
		},
		{
			name: "pod count is checked even for a pod without requests",
			pod:  st.MakePod("p").Req(nil).Obj(),
			pods: []*corev1.Pod{used, st.MakePod("b").Node("n").Obj(), st.MakePod("c").Node("n").Obj()},
			want: unsched(ReasonTooManyPods),
		},
		{
			name: "every shortfall is listed",
			pod:  st.MakePod("p").Req(st.Res("cpu", "6", "memory", "11", "example.com/gpu", "2")).Obj(),
			pods: []*corev1.Pod{used, st.MakePod("b").Node("n").Obj(), st.MakePod("c").Node("n").Obj()},
			want: unsched(ReasonTooManyPods, ReasonInsufficientCPU, ReasonInsufficientMemory, "Insufficient example.com/gpu"),
		},
		{
			name: "a node without pods allocatable fits nothing",
			pod:  st.MakePod("p").Req(nil).Obj(),
			node: func() *corev1.Node { n := node.DeepCopy(); delete(n.Status.Allocatable, corev1.ResourcePods); return n }(),
			pods: []*corev1.Pod{},
			want: unsched(ReasonTooManyPods),
		},
		{
			name: "explicit zero requests fit a full node",
			pod:  st.MakePod("p").Req(st.Res("cpu", "0", "memory", "0")).Obj(),
			pods: []*corev1.Pod{st.MakePod("full").Node("n").Req(st.Res("cpu", "10", "memory", "20")).Obj()},
			want: ok,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, pods := node, []*corev1.Pod{used}
			if tc.node != nil {
				n = tc.node
			}
			if tc.pods != nil {
				pods = tc.pods
			}
			got := runFilter(t, newFit(t, tc.args), tc.pod, nodeInfo(n, pods...))
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("Filter (-want +got):%s", d)
			}
		})
	}
}

// TestFitFilterSharesStatuses checks that rejections for the same reasons are one shared
// status, so that rejecting many nodes allocates nothing.
func TestFitFilterSharesStatuses(t *testing.T) {
	pl := newFit(t, nil)
	pod := framework.NewPodInfo(st.MakePod("p").Req(st.Res("cpu", "2", "example.com/gpu", "1")).Obj())
	state := framework.NewCycleState()
	pl.PreFilter(state, pod, nil)
	a := nodeInfo(st.MakeNode("a").Alloc("cpu", "1", "example.com/gpu", "1").Obj())
	b := nodeInfo(st.MakeNode("b").Alloc("cpu", "1", "example.com/gpu", "1").Obj())
	c := nodeInfo(st.MakeNode("c").Alloc("cpu", "1").Obj())
	if pl.Filter(state, pod, a) != pl.Filter(state, pod, b) {
		t.Error("equal rejections are different statuses")
	}
	if got := testing.AllocsPerRun(100, func() { pl.Filter(state, pod, a) }); got != 0 {
		t.Errorf("Filter allocates %v times per node", got)
	}
	if d := st.Diff([]string{ReasonInsufficientCPU, "Insufficient example.com/gpu"}, pl.Filter(state, pod, c).Reasons()); d != "" {
		t.Errorf("reasons (-want +got):%s", d)
	}
}

func scoreNodes(t *testing.T, pl interface {
	framework.PreScorePlugin
	framework.ScorePlugin
}, pod *corev1.Pod, nodes []*framework.NodeInfo) ([]int64, framework.Code) {
	t.Helper()
	state := framework.NewCycleState()
	pi := framework.NewPodInfo(pod)
	if st := pl.PreScore(state, pi, nodes); !st.IsSuccess() {
		return nil, st.Code()
	}
	var out []int64
	for _, n := range nodes {
		s, st := pl.Score(state, pi, n)
		if !st.IsSuccess() {
			t.Fatalf("Score: %v", st.AsError())
		}
		out = append(out, s)
	}
	return out, framework.Success
}

// The cases of upstream's least_allocated_test.go, with the hand computation in comments.
// Quantities are whole units ("4000" CPUs), which keeps the arithmetic readable.
func TestLeastAllocatedScore(t *testing.T) {
	n := func(name, cpu, mem string) *corev1.Node {
		return st.MakeNode(name).Alloc("cpu", cpu, "memory", mem).Obj()
	}
	req := func(cpu, mem string) corev1.ResourceList { return st.Res("cpu", cpu, "memory", mem) }
	tests := []struct {
		name      string
		pod       *corev1.Pod
		nodes     []*corev1.Node
		existing  []*corev1.Pod
		resources []ResourceSpec
		want      []int64
	}{
		{
			name:  "nothing scheduled, nothing requested",
			pod:   st.MakePod("p").Obj(),
			nodes: []*corev1.Node{n("n1", "4000", "10000"), n("n2", "4000", "10000")},
			want:  []int64{100, 100},
		},
		{
			// n1: cpu (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 → 37
			// n2: cpu (6000-3000)*100/6000 = 50, memory 50 → 50
			name:  "nothing scheduled, resources requested, differently sized nodes",
			pod:   st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes: []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			want:  []int64{37, 50},
		},
		{
			// n1: cpu (10000-6000)*100/10000 = 40, memory 100 → 70; n2: 40, (20000-5000)*100/20000 = 75 → 57
			name:  "no resources requested, pods scheduled with resources",
			pod:   st.MakePod("p").Obj(),
			nodes: []*corev1.Node{n("n1", "10000", "20000"), n("n2", "10000", "20000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("3000", "0")).Obj(), st.MakePod("b").Node("n1").Req(req("3000", "0")).Obj(),
				st.MakePod("c").Node("n2").Req(req("3000", "0")).Obj(), st.MakePod("d").Node("n2").Req(req("3000", "5000")).Obj(),
			},
			want: []int64{70, 57},
		},
		{
			// n1: 40, 75 → 57; n2: 40, 50 → 45
			name:  "resources requested, pods scheduled with resources",
			pod:   st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes: []*corev1.Node{n("n1", "10000", "20000"), n("n2", "10000", "20000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("3000", "0")).Obj(),
				st.MakePod("b").Node("n2").Req(req("3000", "5000")).Obj(),
			},
			want: []int64{57, 45},
		},
		{
			// n1: cpu over capacity → 0, memory 100 → 50; n2: 0, 50 → 25
			name:  "requested resources exceed node capacity",
			pod:   st.MakePod("p").Req(req("3000", "0")).Obj(),
			nodes: []*corev1.Node{n("n1", "4000", "10000"), n("n2", "4000", "10000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("3000", "0")).Obj(),
				st.MakePod("b").Node("n2").Req(req("3000", "5000")).Obj(),
			},
			want: []int64{50, 25},
		},
		{
			name:  "zero node resources",
			pod:   st.MakePod("p").Obj(),
			nodes: []*corev1.Node{st.MakeNode("n1").Obj(), st.MakeNode("n2").Obj()},
			want:  []int64{0, 0},
		},
		{
			// n1: cpu 25 × 1 + memory 50 × 2 → 125/3 = 41; n2: (50 + 100)/3 = 50
			name:      "different weights on cpu and memory",
			pod:       st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			resources: []ResourceSpec{{Name: "memory", Weight: 2}, {Name: "cpu", Weight: 1}},
			want:      []int64{41, 50},
		},
		{
			// A container without requests counts 100m and 200Mi: (1000m-100m)*100/1000m = 90,
			// (1000Mi-200Mi)*100/1000Mi = 80 → 85.
			name:  "unset requests count the non-zero defaults",
			pod:   st.MakePod("p").Req(nil).Obj(),
			nodes: []*corev1.Node{n("n1", "1", "1000Mi")},
			want:  []int64{85},
		},
		{
			// The bound pod counts 100m and 200Mi too; with the new pod's: 80, 60 → 70.
			name:     "a best-effort neighbour counts the defaults",
			pod:      st.MakePod("p").Req(nil).Obj(),
			nodes:    []*corev1.Node{n("n1", "1", "1000Mi")},
			existing: []*corev1.Pod{st.MakePod("a").Node("n1").Req(nil).Obj()},
			want:     []int64{70},
		},
		{
			// Upstream's Fit scorer does not read pod-level requests: 100m and 200Mi count → 85.
			name:  "pod-level requests are not used for scoring",
			pod:   st.MakePod("p").Req(nil).PodReq(st.Res("cpu", "900m")).Obj(),
			nodes: []*corev1.Node{n("n1", "1", "1000Mi")},
			want:  []int64{85},
		},
		{
			// n1: gpu (4-1)*100/4 = 75 with cpu 100 and memory 100 → 91; n2 has no gpu → 100.
			name:      "an extended resource counts where the pod requests it",
			pod:       st.MakePod("p").Req(st.Res("cpu", "0", "memory", "0", "example.com/gpu", "1")).Obj(),
			nodes:     []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "4", "memory", "4", "example.com/gpu", "4").Obj(), n("n2", "4", "4")},
			resources: []ResourceSpec{{Name: "cpu", Weight: 1}, {Name: "memory", Weight: 1}, {Name: "example.com/gpu", Weight: 1}},
			want:      []int64{91, 100},
		},
		{
			name:      "an extended resource the pod does not request is left out",
			pod:       st.MakePod("p").Req(st.Res("cpu", "0", "memory", "0")).Obj(),
			nodes:     []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "4", "memory", "4", "example.com/gpu", "4").Obj()},
			existing:  []*corev1.Pod{st.MakePod("a").Node("n1").Req(st.Res("cpu", "0", "memory", "0", "example.com/gpu", "4")).Obj()},
			resources: []ResourceSpec{{Name: "cpu", Weight: 1}, {Name: "memory", Weight: 1}, {Name: "example.com/gpu", Weight: 1}},
			want:      []int64{100},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var args any
			if tc.resources != nil {
				args = FitArgs{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: tc.resources}}
			}
			var nodes []*framework.NodeInfo
			for _, n := range tc.nodes {
				var on []*corev1.Pod
				for _, p := range tc.existing {
					if p.Spec.NodeName == n.Name {
						on = append(on, p)
					}
				}
				nodes = append(nodes, nodeInfo(n, on...))
			}
			got, _ := scoreNodes(t, newFit(t, args), tc.pod, nodes)
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}

// The cases of upstream's balanced_allocation_test.go (v1.37: the score rewards the change in
// balance the pod brings), with the hand computation in comments.
func TestBalancedAllocationScore(t *testing.T) {
	n := func(name, cpu, mem string) *corev1.Node {
		return st.MakeNode(name).Alloc("cpu", cpu, "memory", mem).Obj()
	}
	gpuNode := func(name string) *corev1.Node {
		return st.MakeNode(name).Alloc("cpu", "3500", "memory", "40000", "nvidia.com/gpu", "8").Obj()
	}
	withGPU := []ResourceSpec{{Name: "cpu", Weight: 1}, {Name: "memory", Weight: 1}, {Name: "nvidia.com/gpu", Weight: 1}}
	req := func(cpu, mem string) corev1.ResourceList { return st.Res("cpu", cpu, "memory", mem) }
	tests := []struct {
		name      string
		pod       *corev1.Pod
		nodes     []*corev1.Node
		existing  []*corev1.Pod
		resources []ResourceSpec
		want      []int64
		wantCode  framework.Code
	}{
		{
			name:     "a pod that requests nothing is skipped in PreScore",
			pod:      st.MakePod("p").Req(nil).Obj(),
			nodes:    []*corev1.Node{n("n1", "4000", "10000")},
			wantCode: framework.Skip,
		},
		{
			// n1: cpu 0 → 75%, memory 0 → 50%: balance 100 → 87: 50 + (50 + 87 - 100)/2 = 68
			// n2: cpu 0 → 50%, memory 0 → 50%: 100 → 100: 75
			name:  "nothing scheduled, resources requested, differently sized nodes",
			pod:   st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes: []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			want:  []int64{68, 75},
		},
		{
			// n1: cpu 30% → 60%, memory 0 → 25%: 85 → 82: 73; n2: 30 → 60%, 25 → 50%: 97 → 95: 74
			name:  "resources requested, pods scheduled with resources",
			pod:   st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes: []*corev1.Node{n("n1", "10000", "20000"), n("n2", "10000", "20000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(st.Res("cpu", "1000")).Req(st.Res("cpu", "2000")).Obj(),
				st.MakePod("b").Node("n2").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			},
			want: []int64{73, 74},
		},
		{
			// n1: 73 as above; n2: cpu 30 → 60%, memory 10 → 20%: 90 → 80: 70
			name:  "resources requested, pods scheduled with resources, differently sized nodes",
			pod:   st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes: []*corev1.Node{n("n1", "10000", "20000"), n("n2", "10000", "50000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(st.Res("cpu", "1000")).Req(st.Res("cpu", "2000")).Obj(),
				st.MakePod("b").Node("n2").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			},
			want: []int64{73, 70},
		},
		{
			// n1: cpu 100%, memory 0 → 100%: 50 → 100: 100; n2: cpu 0, memory 0 → 100%: 100 → 50: 50
			name:     "the pod evens out one node and unbalances the other",
			pod:      st.MakePod("p").Req(st.Res("memory", "2000")).Req(st.Res("memory", "3000")).Obj(),
			nodes:    []*corev1.Node{n("n1", "3000", "5000"), n("n2", "3000", "5000")},
			existing: []*corev1.Pod{st.MakePod("a").Node("n1").Req(st.Res("cpu", "1000")).Req(st.Res("cpu", "2000")).Obj()},
			want:     []int64{100, 50},
		},
		{
			// n1: cpu 50 → 100%, memory 0%: 75 → 50: 62; n2: cpu 50 → 100%, memory 50%: 100 → 75: 62
			name:  "requested resources at node capacity",
			pod:   st.MakePod("p").Req(st.Res("cpu", "1000")).Req(st.Res("cpu", "2000")).Obj(),
			nodes: []*corev1.Node{n("n1", "6000", "10000"), n("n2", "6000", "10000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(st.Res("cpu", "1000")).Req(st.Res("cpu", "2000")).Obj(),
				st.MakePod("b").Node("n2").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			},
			want: []int64{62, 62},
		},
		{
			// Three resources use the standard deviation. n1: gpu 3 → 4 of 8: 69 → 70: 75;
			// n2: gpu 0 → 1 of 8: 62 → 65: 76.
			name:  "a scalar resource the pod requests is balanced too",
			pod:   st.MakePod("p").Req(st.Res("cpu", "0", "memory", "0", "nvidia.com/gpu", "1")).Obj(),
			nodes: []*corev1.Node{gpuNode("n1"), gpuNode("n2")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("1000", "2000")).Req(st.Res("cpu", "2000", "memory", "3000", "nvidia.com/gpu", "3")).Obj(),
				st.MakePod("b").Node("n2").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			},
			resources: withGPU,
			want:      []int64{75, 76},
		},
		{
			// cpu 0 → 85.7%, memory 0 → 12.5%: 100 → 63: 56 on both
			name:      "a scalar resource the pod does not request is left out",
			pod:       st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes:     []*corev1.Node{gpuNode("n1"), n("n2", "3500", "40000")},
			resources: withGPU,
			want:      []int64{56, 56},
		},
		{
			// Non-zero defaults are not used here: memory stays at 0%. cpu 0 → 50%: 100 → 75: 62
			name:  "unset requests stay zero",
			pod:   st.MakePod("p").Req(st.Res("cpu", "1")).Obj(),
			nodes: []*corev1.Node{n("n1", "2", "1Gi")},
			want:  []int64{62},
		},
		{
			// Pod-level requests are used: cpu 0 → 100% (capped), memory 0%: 100 → 50: 50
			name:  "pod-level requests are used",
			pod:   st.MakePod("p").Req(st.Res("cpu", "1")).PodReq(st.Res("cpu", "3")).Obj(),
			nodes: []*corev1.Node{n("n1", "2", "1Gi")},
			want:  []int64{50},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var args any
			if tc.resources != nil {
				args = BalancedAllocationArgs{Resources: tc.resources}
			}
			pl, err := NewBalancedAllocation(args, framework.DefaultFeatures())
			if err != nil {
				t.Fatal(err)
			}
			var nodes []*framework.NodeInfo
			for _, n := range tc.nodes {
				var on []*corev1.Pod
				for _, p := range tc.existing {
					if p.Spec.NodeName == n.Name {
						on = append(on, p)
					}
				}
				nodes = append(nodes, nodeInfo(n, on...))
			}
			got, code := scoreNodes(t, pl.(*BalancedAllocation), tc.pod, nodes)
			if code != tc.wantCode {
				t.Fatalf("PreScore code = %v, want %v", code, tc.wantCode)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	node := nodeInfo(st.MakeNode("n").Alloc("cpu", "4", "memory", "8Gi").Obj(),
		st.MakePod("a").Node("n").Req(st.Res("cpu", "1", "memory", "1Gi")).Obj())
	pod := framework.NewPodInfo(st.MakePod("p").Req(st.Res("cpu", "1", "memory", "1Gi")).Obj())
	ba, _ := NewBalancedAllocation(nil, framework.DefaultFeatures())
	for _, pl := range []interface {
		framework.PreScorePlugin
		framework.ScorePlugin
	}{newFit(t, nil), ba.(*BalancedAllocation)} {
		state := framework.NewCycleState()
		pl.PreScore(state, pod, nil)
		if got := testing.AllocsPerRun(100, func() { pl.Score(state, pod, node) }); got != 0 {
			t.Errorf("%s: Score allocates %v times per node", pl.Name(), got)
		}
	}
}

func TestNewFitRejectsUnknownStrategy(t *testing.T) {
	if _, err := NewFit(FitArgs{ScoringStrategy: &ScoringStrategy{Type: "Bogus"}}, framework.DefaultFeatures()); err == nil {
		t.Error("NewFit accepted a strategy that does not exist")
	}
}
