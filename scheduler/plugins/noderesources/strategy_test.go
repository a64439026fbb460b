package noderesources

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

// strategyCase is one pod scored on a few nodes with some pods already bound.
type strategyCase struct {
	name      string
	pod       *corev1.Pod
	nodes     []*corev1.Node
	existing  []*corev1.Pod
	resources []ResourceSpec
	shape     []UtilizationShapePoint
	want      []int64
}

func runStrategyCases(t *testing.T, typ ScoringStrategyType, tests []strategyCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &ScoringStrategy{Type: typ, Resources: tc.resources}
			if tc.shape != nil {
				s.RequestedToCapacityRatio = &RequestedToCapacityRatioParam{Shape: tc.shape}
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
			got, _ := scoreNodes(t, newFit(t, FitArgs{ScoringStrategy: s}), tc.pod, nodes)
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}

// The cases of upstream's most_allocated_test.go, computed by hand. Whole units ("4000" CPUs)
// keep the arithmetic readable.
func TestMostAllocatedScore(t *testing.T) {
	n := func(name, cpu, mem string) *corev1.Node {
		return st.MakeNode(name).Alloc("cpu", cpu, "memory", mem).Obj()
	}
	req := func(cpu, mem string) corev1.ResourceList { return st.Res("cpu", cpu, "memory", mem) }
	cpuMem := defaultResources()
	gpu := "example.com/gpu"
	withGPU := []ResourceSpec{{Name: "cpu", Weight: 1}, {Name: "memory", Weight: 1}, {Name: corev1.ResourceName(gpu), Weight: 1}}
	runStrategyCases(t, MostAllocated, []strategyCase{
		{
			// A pod without containers requests nothing, and no default stands in for it.
			name:      "nothing scheduled, nothing requested",
			pod:       st.MakePod("p").Obj(),
			nodes:     []*corev1.Node{n("n1", "4000", "10000"), n("n2", "4000", "10000")},
			resources: cpuMem,
			want:      []int64{0, 0},
		},
		{
			// n1: cpu 3000×100/4000 = 75, memory 5000×100/10000 = 50 → 125/2 = 62
			// n2: cpu 3000×100/6000 = 50, memory 50 → 50
			name:      "nothing scheduled, resources requested, differently sized nodes",
			pod:       st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			resources: cpuMem,
			want:      []int64{62, 50},
		},
		{
			// n1: cpu 6000×100/10000 = 60, memory 0 → 30
			// n2: cpu 60, memory 5000×100/20000 = 25 → 85/2 = 42
			name:  "no resources requested, pods scheduled with resources",
			pod:   st.MakePod("p").Obj(),
			nodes: []*corev1.Node{n("n1", "10000", "20000"), n("n2", "10000", "20000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("3000", "0")).Obj(), st.MakePod("b").Node("n1").Req(req("3000", "0")).Obj(),
				st.MakePod("c").Node("n2").Req(req("3000", "0")).Obj(), st.MakePod("d").Node("n2").Req(req("3000", "5000")).Obj(),
			},
			resources: cpuMem,
			want:      []int64{30, 42},
		},
		{
			// n1: cpu (3000+3000)×100/10000 = 60, memory 5000×100/20000 = 25 → 42
			// n2: cpu 60, memory 10000×100/20000 = 50 → 55
			name:  "resources requested, pods scheduled with resources",
			pod:   st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes: []*corev1.Node{n("n1", "10000", "20000"), n("n2", "10000", "20000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("3000", "0")).Obj(),
				st.MakePod("b").Node("n2").Req(req("3000", "5000")).Obj(),
			},
			resources: cpuMem,
			want:      []int64{42, 55},
		},
		{
			// n1: cpu 5000/5000 → 100, memory 9000×100/10000 = 90 → 95
			// n2: cpu 5000×100/10000 = 50, memory 9000/9000 → 100 → 75
			name:      "requests equal to node capacity",
			pod:       st.MakePod("p").Req(req("2000", "4000")).Req(req("3000", "5000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "5000", "10000"), n("n2", "10000", "9000")},
			resources: cpuMem,
			want:      []int64{95, 75},
		},
		{
			// n1: cpu 75 × 1 + memory 50 × 2 = 175 / 3 = 58; n2: (50 + 100) / 3 = 50
			name:      "different weights on cpu and memory",
			pod:       st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			resources: []ResourceSpec{{Name: "memory", Weight: 2}, {Name: "cpu", Weight: 1}},
			want:      []int64{58, 50},
		},
		{
			// Containers without requests count 100m and 200Mi each.
			// n1: cpu 300m over 250m → capped at 100, memory 600Mi×100/1000Mi = 60 → 80
			// n2: cpu 100m×100/250m = 40, memory 200Mi×100/1000Mi = 20 → 30
			name:  "unset requests count the non-zero defaults, capped at capacity",
			pod:   st.MakePod("p").Req(nil).Obj(),
			nodes: []*corev1.Node{n("n1", "250m", "1000Mi"), n("n2", "250m", "1000Mi")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(nil).Obj(), st.MakePod("b").Node("n1").Req(nil).Obj(),
			},
			resources: cpuMem,
			want:      []int64{80, 30},
		},
		{
			// The gpu is left out when the pod does not request it: cpu 50, memory 50 on both.
			name:      "an extended resource the pod does not request is left out",
			pod:       st.MakePod("p").Req(req("3000", "5000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "6000", "10000"), st.MakeNode("n2").Alloc("cpu", "6000", "memory", "10000", gpu, "4").Obj()},
			resources: withGPU,
			want:      []int64{50, 50},
		},
		{
			// n1: gpu 2×100/4 = 50 → (50+50+50)/3 = 50; n2: gpu 2×100/10 = 20 → 120/3 = 40
			name: "an extended resource the pod requests counts",
			pod:  st.MakePod("p").Req(st.Res("cpu", "3000", "memory", "5000", gpu, "2")).Obj(),
			nodes: []*corev1.Node{
				st.MakeNode("n1").Alloc("cpu", "6000", "memory", "10000", gpu, "4").Obj(),
				st.MakeNode("n2").Alloc("cpu", "6000", "memory", "10000", gpu, "10").Obj(),
			},
			resources: withGPU,
			want:      []int64{50, 40},
		},
		{
			// The pod requests no gpu, so the gpu (weight 2) is skipped on both nodes:
			// cpu 3000×100/6000 = 50, memory 4000×100/10000 = 40 → 45.
			name:      "a node that lacks a weighted resource",
			pod:       st.MakePod("p").Req(req("3000", "4000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "6000", "10000"), st.MakeNode("n2").Alloc("cpu", "6000", "memory", "10000", gpu, "4").Obj()},
			resources: []ResourceSpec{{Name: corev1.ResourceName(gpu), Weight: 2}, {Name: "cpu", Weight: 1}, {Name: "memory", Weight: 1}},
			want:      []int64{45, 45},
		},
	})
}

// The cases of upstream's requested_to_capacity_ratio_test.go, computed by hand.
func TestRequestedToCapacityRatioScore(t *testing.T) {
	n := func(name, cpu, mem string) *corev1.Node {
		return st.MakeNode(name).Alloc("cpu", cpu, "memory", mem).Obj()
	}
	req := func(cpu, mem string) corev1.ResourceList { return st.Res("cpu", cpu, "memory", mem) }
	// Least requested first: utilisation 0 scores 10 (×10 = 100), 100 scores 0.
	spread := []UtilizationShapePoint{{Utilization: 0, Score: 10}, {Utilization: 100, Score: 0}}
	// Bin packing on one extended resource: utilisation 0 scores 0, 100 scores 1 (×10 = 10).
	pack := []UtilizationShapePoint{{Utilization: 0, Score: 0}, {Utilization: 100, Score: 1}}
	foo := corev1.ResourceName("intel.com/foo")
	fooOnly := []ResourceSpec{{Name: foo, Weight: 1}}
	fooNode := func(name string, foos string) *corev1.Node {
		return st.MakeNode(name).Alloc("cpu", "4000", "memory", "10000Mi", string(foo), foos).Obj()
	}
	runStrategyCases(t, RequestedToCapacityRatio, []strategyCase{
		{
			// Pods without containers request nothing: utilisation 0 → f(0) = 100 for cpu
			// and memory on both nodes.
			name:      "nothing requested: the emptiest scores highest",
			pod:       st.MakePod("p").Obj(),
			nodes:     []*corev1.Node{n("n1", "4000", "10000"), n("n2", "4000", "10000")},
			existing:  []*corev1.Pod{st.MakePod("a").Node("n1").Obj(), st.MakePod("b").Node("n1").Obj()},
			resources: defaultResources(),
			shape:     spread,
			want:      []int64{100, 100},
		},
		{
			// The pod requests 3000 CPUs and 5000 bytes.
			// n1: cpu 3000×100/4000 = 75 → f = 100 − 75 = 25; memory 50 → 50; (25+50)/2 = 37.5 → 38
			// n2: cpu 3000×100/6000 = 50 → 50; memory 50 → 50; 50
			name:      "resources requested, differently sized nodes",
			pod:       st.MakePod("p").Req(req("1000", "2000")).Req(req("2000", "3000")).Obj(),
			nodes:     []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			existing:  []*corev1.Pod{st.MakePod("a").Node("n1").Obj(), st.MakePod("b").Node("n1").Obj()},
			resources: defaultResources(),
			shape:     spread,
			want:      []int64{38, 50},
		},
		{
			// The same utilisations, from the bound pods instead of the new one.
			name:  "nothing requested, pods scheduled with resources",
			pod:   st.MakePod("p").Obj(),
			nodes: []*corev1.Node{n("n1", "4000", "10000"), n("n2", "6000", "10000")},
			existing: []*corev1.Pod{
				st.MakePod("a").Node("n1").Req(req("3000", "5000")).Obj(),
				st.MakePod("b").Node("n2").Req(req("3000", "5000")).Obj(),
			},
			resources: defaultResources(),
			shape:     spread,
			want:      []int64{38, 50},
		},
		{
			// cpu 1000m×100/4000m = 25 → f = 75 (weight 2); memory 2000Mi×100/4000Mi = 50 → 50
			// (weight 1): (150 + 50) / 3 = 66.67, rounded (not truncated) to 67.
			name:      "the weighted mean is rounded",
			pod:       st.MakePod("p").Req(st.Res("cpu", "1", "memory", "2000Mi")).Obj(),
			nodes:     []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "4", "memory", "4000Mi").Obj()},
			resources: []ResourceSpec{{Name: "cpu", Weight: 2}, {Name: "memory", Weight: 1}},
			shape:     spread,
			want:      []int64{67},
		},
		{
			// A resource scoring 0 is left out of the mean: cpu 4/4 → f(100) = 0 is dropped,
			// memory 1000Mi×100/4000Mi = 25 → 75 alone → 75 (not (0 + 75) / 2).
			name:      "a resource scoring zero is left out of the mean",
			pod:       st.MakePod("p").Req(st.Res("cpu", "4", "memory", "1000Mi")).Obj(),
			nodes:     []*corev1.Node{st.MakeNode("n1").Alloc("cpu", "4", "memory", "4000Mi").Obj()},
			resources: defaultResources(),
			shape:     spread,
			want:      []int64{75},
		},
		{
			// The pod requests no intel.com/foo: the resource is left out, nothing scores.
			name:      "extended resource not requested",
			pod:       st.MakePod("p").Req(nil).Obj(),
			nodes:     []*corev1.Node{fooNode("n1", "8"), fooNode("n2", "4")},
			resources: fooOnly,
			shape:     pack,
			want:      []int64{0, 0},
		},
		{
			// n1: 2×100/8 = 25 → f(25) = 10×25/100 = 2; n2: 2×100/4 = 50 → 5.
			name:      "extended resource requested, nodes empty",
			pod:       st.MakePod("p").Req(st.Res(string(foo), "2")).Obj(),
			nodes:     []*corev1.Node{fooNode("n1", "8"), fooNode("n2", "4")},
			resources: fooOnly,
			shape:     pack,
			want:      []int64{2, 5},
		},
		{
			// n2 already has 2 of 4 in use: (2+2)×100/4 = 100 → f(100) = 10.
			name:      "extended resource requested, one node half used",
			pod:       st.MakePod("p").Req(st.Res(string(foo), "2")).Obj(),
			nodes:     []*corev1.Node{fooNode("n1", "8"), fooNode("n2", "4")},
			existing:  []*corev1.Pod{st.MakePod("a").Node("n2").Req(st.Res(string(foo), "2")).Obj()},
			resources: fooOnly,
			shape:     pack,
			want:      []int64{2, 10},
		},
		{
			// n1: 4×100/8 = 50 → 5; n2: 4×100/4 = 100 → 10.
			name:      "extended resource requested, bigger request",
			pod:       st.MakePod("p").Req(st.Res(string(foo), "4")).Obj(),
			nodes:     []*corev1.Node{fooNode("n1", "8"), fooNode("n2", "4")},
			resources: fooOnly,
			shape:     pack,
			want:      []int64{5, 10},
		},
		{
			// Over capacity counts as 100% utilisation: f(100) = 10.
			name:      "extended resource over capacity",
			pod:       st.MakePod("p").Req(st.Res(string(foo), "6")).Obj(),
			nodes:     []*corev1.Node{fooNode("n1", "4")},
			resources: fooOnly,
			shape:     pack,
			want:      []int64{10},
		},
	})
}

func TestBrokenLinear(t *testing.T) {
	tests := []struct {
		shape []UtilizationShapePoint
		at    map[int64]int64 // utilisation → score, in scheduler units (×10)
	}{
		{
			shape: []UtilizationShapePoint{{Utilization: 10, Score: 1}, {Utilization: 90, Score: 9}},
			// Between the points: 10 + 80 × (p − 10) / 80 = p, truncated to whole scores.
			at: map[int64]int64{-10: 10, 0: 10, 9: 10, 10: 10, 15: 15, 19: 19, 20: 20, 89: 89, 90: 90, 99: 90, 100: 90, 110: 90},
		},
		{
			shape: []UtilizationShapePoint{{Utilization: 0, Score: 2}, {Utilization: 40, Score: 10}, {Utilization: 100, Score: 0}},
			// 20 → 20 + 80×20/40 = 60; 70 → 100 − 100×30/60 = 50.
			at: map[int64]int64{-10: 20, 0: 20, 20: 60, 30: 80, 40: 100, 70: 50, 100: 0, 110: 0},
		},
		{
			shape: []UtilizationShapePoint{{Utilization: 0, Score: 2}, {Utilization: 40, Score: 2}, {Utilization: 100, Score: 2}},
			at:    map[int64]int64{-10: 20, 0: 20, 20: 20, 40: 20, 70: 20, 100: 20, 110: 20},
		},
		{
			// Integer division truncates toward zero on the falling segment: 100 − 100×1/3.
			shape: []UtilizationShapePoint{{Utilization: 0, Score: 10}, {Utilization: 3, Score: 0}},
			at:    map[int64]int64{1: 67, 2: 34, 3: 0},
		},
	}
	for _, tc := range tests {
		shape, err := newShape(tc.shape)
		if err != nil {
			t.Fatal(err)
		}
		for p, want := range tc.at {
			if got := brokenLinear(shape, p); got != want {
				t.Errorf("shape %v at %d = %d, want %d", tc.shape, p, got, want)
			}
		}
	}
}

func TestNewFitValidatesStrategy(t *testing.T) {
	shape := &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{Utilization: 0, Score: 0}, {Utilization: 100, Score: 10}}}
	tests := []struct {
		name    string
		s       ScoringStrategy
		wantErr string // "" for success
	}{
		{name: "least allocated", s: ScoringStrategy{Type: LeastAllocated}},
		{name: "most allocated", s: ScoringStrategy{Type: MostAllocated}},
		{name: "ratio", s: ScoringStrategy{Type: RequestedToCapacityRatio, RequestedToCapacityRatio: shape}},
		{name: "unknown type", s: ScoringStrategy{Type: "Bogus"}, wantErr: "not supported"},
		{name: "empty type", s: ScoringStrategy{}, wantErr: "not supported"},
		{name: "ratio without shape", s: ScoringStrategy{Type: RequestedToCapacityRatio}, wantErr: "is required"},
		{name: "shape with another type", s: ScoringStrategy{Type: MostAllocated, RequestedToCapacityRatio: shape}, wantErr: "must be nil"},
		{name: "zero weight", s: ScoringStrategy{Type: MostAllocated, Resources: []ResourceSpec{{Name: "cpu"}}}, wantErr: "weight 0"},
		{name: "weight over 100", s: ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{Name: "cpu", Weight: 101}}}, wantErr: "weight 101"},
		{name: "negative weight", s: ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{Name: "memory", Weight: -1}}}, wantErr: "weight -1"},
		{name: "empty shape", s: ScoringStrategy{Type: RequestedToCapacityRatio, RequestedToCapacityRatio: &RequestedToCapacityRatioParam{}}, wantErr: "at least one point"},
		{
			name:    "shape not increasing",
			s:       ScoringStrategy{Type: RequestedToCapacityRatio, RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{Utilization: 50, Score: 1}, {Utilization: 50, Score: 2}}}},
			wantErr: "increasing",
		},
		{
			name:    "shape score over 10",
			s:       ScoringStrategy{Type: RequestedToCapacityRatio, RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{Utilization: 0, Score: 11}}}},
			wantErr: "score 11",
		},
		{
			name:    "shape utilization over 100",
			s:       ScoringStrategy{Type: RequestedToCapacityRatio, RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{Utilization: 101, Score: 1}}}},
			wantErr: "utilization 101",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			_, err := NewFit(FitArgs{ScoringStrategy: &s}, framework.DefaultFeatures())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("NewFit: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("NewFit error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func BenchmarkFitScore(b *testing.B) {
	node := nodeInfo(st.MakeNode("n").Alloc("cpu", "16", "memory", "64Gi").Obj(),
		st.MakePod("a").Node("n").Req(st.Res("cpu", "3", "memory", "10Gi")).Obj())
	pod := framework.NewPodInfo(st.MakePod("p").Req(st.Res("cpu", "1", "memory", "1Gi")).Obj())
	ratio := &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{Utilization: 0, Score: 0}, {Utilization: 100, Score: 10}}}
	for _, s := range []ScoringStrategy{
		{Type: LeastAllocated}, {Type: MostAllocated}, {Type: RequestedToCapacityRatio, RequestedToCapacityRatio: ratio},
	} {
		b.Run("strategy="+string(s.Type), func(b *testing.B) {
			pl := newFit(b, FitArgs{ScoringStrategy: &s})
			state := framework.NewCycleState()
			pl.PreScore(state, pod, nil)
			b.ReportAllocs()
			for b.Loop() {
				pl.Score(state, pod, node)
			}
		})
	}
}
