package defaultpreemption

// Tests ported, in ksim's terms, from upstream's plugins/defaultpreemption/default_preemption_test.go
// (TestPostFilter, TestDryRunPreemption, TestSelectBestCandidate, TestPodEligibleToPreemptOthers,
// TestSelectVictimsOnNode). The filter is a fake that checks CPU, memory and the pod count, as
// upstream's tests register NodeResourcesFit alone; the scheduler's own tests (and the
// differential test in upstream/) run the real plugins.

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/framework"
)

const (
	negPriority, lowPriority, midPriority, highPriority, veryHighPriority = int32(-100), int32(0), int32(100), int32(1000), int32(10000)
)

var (
	smallRes     = res("100m", "100")
	mediumRes    = res("200m", "200")
	largeRes     = res("300m", "300")
	veryLargeRes = res("500m", "500")
)

func res(cpu, mem string) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
}

// ---- tiny builders

type podB struct{ p corev1.Pod }

func pod(name string) *podB {
	b := &podB{}
	b.p.Name, b.p.Namespace, b.p.UID = name, "default", types.UID(name)
	return b
}
func (b *podB) prio(v int32) *podB { b.p.Spec.Priority = &v; return b }
func (b *podB) req(rl corev1.ResourceList) *podB {
	b.p.Spec.Containers = append(b.p.Spec.Containers, corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: rl}})
	return b
}
func (b *podB) node(n string) *podB { b.p.Spec.NodeName = n; return b }
func (b *podB) label(k, v string) *podB {
	if b.p.Labels == nil {
		b.p.Labels = map[string]string{}
	}
	b.p.Labels[k] = v
	return b
}
func (b *podB) start(nanos int64) *podB {
	t := metav1.NewTime(time.Unix(0, nanos))
	b.p.Status.StartTime = &t
	return b
}
func (b *podB) nominated(n string) *podB { b.p.Status.NominatedNodeName = n; return b }
func (b *podB) never() *podB {
	p := corev1.PreemptNever
	b.p.Spec.PreemptionPolicy = &p
	return b
}
func (b *podB) terminating(byPreemption bool) *podB {
	t := metav1.NewTime(time.Unix(1, 0))
	b.p.DeletionTimestamp = &t
	if byPreemption {
		b.p.Status.Conditions = append(b.p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget,
			Status: corev1.ConditionTrue, Reason: corev1.PodReasonPreemptionByScheduler})
	}
	return b
}
func (b *podB) obj() *corev1.Pod { return b.p.DeepCopy() }

func pdb(name string, allowed int32, labels map[string]string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}},
		Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed},
	}
}

// ---- a fake handle

// fakeHandle holds nodes of the given allocatable and a filter that checks CPU, memory and the
// pod count, counting the nominated pods of at least the preemptor's priority.
type fakeHandle struct {
	t         *testing.T
	fts       framework.Features
	nodes     []*framework.NodeInfo
	pod       *framework.PodInfo // the preemptor, for the filter
	req       framework.Resource
	statuses  map[string]*framework.Status
	absent    *framework.Status
	nominated map[string][]*framework.PodInfo
	pdbs      []*policyv1.PodDisruptionBudget
	offset    int32
	off       int // pods taken off and not yet put back
	filters   int // Filter calls
}

func newHandle(t *testing.T, preemptor *corev1.Pod, alloc corev1.ResourceList, nodeNames []string, pods []*corev1.Pod) *fakeHandle {
	h := &fakeHandle{t: t, fts: framework.DefaultFeatures(), statuses: map[string]*framework.Status{},
		absent: framework.NewStatus(framework.UnschedulableAndUnresolvable), nominated: map[string][]*framework.PodInfo{}}
	h.pod = framework.NewBoundPodInfo(preemptor, h.fts)
	h.req = h.pod.Requested
	for _, name := range nodeNames {
		al := alloc.DeepCopy()
		if _, ok := al[corev1.ResourcePods]; !ok {
			al[corev1.ResourcePods] = resource.MustParse("110")
		}
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: al}}
		h.nodes = append(h.nodes, framework.NewNodeInfo(n))
		// By default every node was rejected as upstream's tests say: Unschedulable.
		h.statuses[name] = framework.NewStatus(framework.Unschedulable)
	}
	for _, p := range pods {
		for _, ni := range h.nodes {
			if ni.Name() == p.Spec.NodeName {
				ni.AddPod(framework.NewBoundPodInfo(p, h.fts))
			}
		}
	}
	return h
}

func (h *fakeHandle) Nodes() []*framework.NodeInfo { return h.nodes }
func (h *fakeHandle) NodeStatus(node *framework.NodeInfo) *framework.Status {
	if st, ok := h.statuses[node.Name()]; ok {
		return st
	}
	return h.absent
}
func (h *fakeHandle) NominatedPods(node string) []*framework.PodInfo { return h.nominated[node] }
func (h *fakeHandle) RemovePod(node *framework.NodeInfo, p *framework.PodInfo) {
	node.RemovePod(p)
	h.off++
}
func (h *fakeHandle) AddPod(node *framework.NodeInfo, p *framework.PodInfo) {
	node.AddPod(p)
	h.off--
}
func (h *fakeHandle) PDBs() []*policyv1.PodDisruptionBudget { return h.pdbs }
func (h *fakeHandle) Int32N(n int32) int32                  { return h.offset % n }
func (h *fakeHandle) Filter(node *framework.NodeInfo) *framework.Status {
	h.filters++
	cpu, mem, count := node.Requested.MilliCPU, node.Requested.Memory, int64(len(node.Pods))
	prio := corev1helpers.PodPriority(h.pod.Pod)
	for _, np := range h.nominated[node.Name()] {
		if corev1helpers.PodPriority(np.Pod) >= prio && np.Pod.UID != h.pod.Pod.UID {
			cpu, mem, count = cpu+np.Requested.MilliCPU, mem+np.Requested.Memory, count+1
		}
	}
	var reasons []string
	if count+1 > int64(node.Allocatable.AllowedPodNumber) {
		reasons = append(reasons, "Too many pods")
	}
	if h.req.MilliCPU > 0 && cpu+h.req.MilliCPU > node.Allocatable.MilliCPU {
		reasons = append(reasons, "Insufficient cpu")
	}
	if h.req.Memory > 0 && mem+h.req.Memory > node.Allocatable.Memory {
		reasons = append(reasons, "Insufficient memory")
	}
	if len(reasons) > 0 {
		return framework.NewStatus(framework.Unschedulable, reasons...)
	}
	return nil
}

func newPlugin(t *testing.T, args any) *DefaultPreemption {
	t.Helper()
	pl, err := New(args, framework.DefaultFeatures())
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*DefaultPreemption)
}

func podNames(pods []*corev1.Pod) []string {
	out := []string{}
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// ---- tests

func TestPostFilter(t *testing.T) {
	onePod := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}
	nodeRes := res("200m", "400")
	for _, tc := range []struct {
		name       string
		pod        *corev1.Pod
		pods       []*corev1.Pod
		pdbs       []*policyv1.PodDisruptionBudget
		alloc      corev1.ResourceList
		nodes      []string
		statuses   map[string]framework.Code // nil: every node Unschedulable
		wantNode   string                    // "" with wantNominate: the nomination is cleared
		nominate   bool
		wantCode   framework.Code
		wantMsg    string
		wantVictim []string
	}{
		{
			name: "pod with higher priority can be made schedulable",
			pod:  pod("p").prio(highPriority).obj(), pods: []*corev1.Pod{pod("p1").node("node1").obj()},
			alloc: onePod, nodes: []string{"node1"},
			wantNode: "node1", nominate: true, wantCode: framework.Success, wantVictim: []string{"p1"},
			wantMsg: "preemption: found a potential placement for pod on node node1, preempting 1 victims",
		},
		{
			name: "pod with tied priority is still unschedulable",
			pod:  pod("p").obj(), pods: []*corev1.Pod{pod("p1").node("node1").obj()},
			alloc: onePod, nodes: []string{"node1"},
			nominate: true, wantCode: framework.Unschedulable,
			wantMsg: "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "preemption respects the cycle's verdicts",
			pod:  pod("p").prio(highPriority).obj(), pods: []*corev1.Pod{pod("p1").node("node1").obj()},
			alloc: onePod, nodes: []string{"node1"}, statuses: map[string]framework.Code{"node1": framework.UnschedulableAndUnresolvable},
			nominate: true, wantCode: framework.Unschedulable,
			wantMsg: "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "an absent verdict means UnschedulableAndUnresolvable",
			pod:  pod("p").prio(highPriority).obj(), pods: []*corev1.Pod{pod("p1").node("node1").obj()},
			alloc: onePod, nodes: []string{"node1"}, statuses: map[string]framework.Code{},
			nominate: true, wantCode: framework.Unschedulable,
			wantMsg: "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name:  "pod can be made schedulable on one node",
			pod:   pod("p").prio(midPriority).obj(),
			pods:  []*corev1.Pod{pod("p1").prio(highPriority).node("node1").obj(), pod("p2").prio(lowPriority).node("node2").obj()},
			alloc: onePod, nodes: []string{"node1", "node2"},
			wantNode: "node2", nominate: true, wantCode: framework.Success, wantVictim: []string{"p2"},
			wantMsg: "preemption: found a potential placement for pod on node node2, preempting 1 victims",
		},
		{
			name: "pod can be made schedulable on the minHighestPriority node",
			pod:  pod("p").prio(veryHighPriority).obj(),
			pods: []*corev1.Pod{
				pod("p1").label("pdb", "no").prio(highPriority).node("node1").obj(),
				pod("p2").label("pdb", "yes").prio(lowPriority).node("node1").obj(),
				pod("p3").label("pdb", "yes").prio(midPriority).node("node2").obj(),
			},
			pdbs:  []*policyv1.PodDisruptionBudget{pdb("violating", 0, map[string]string{"pdb": "yes"}), pdb("not", math.MaxInt32, map[string]string{"pdb": "no"})},
			alloc: onePod, nodes: []string{"node1", "node2"},
			wantNode: "node2", nominate: true, wantCode: framework.Success, wantVictim: []string{"p3"},
			wantMsg: "preemption: found a potential placement for pod on node node2, preempting 1 victims",
		},
		{
			name:  "no candidate: not enough resource even without the lower-priority pods",
			pod:   pod("p").prio(highPriority).req(largeRes).obj(),
			pods:  []*corev1.Pod{pod("p1").node("node1").obj(), pod("p2").node("node2").obj()},
			alloc: nodeRes, nodes: []string{"node1", "node2"},
			nominate: true, wantCode: framework.Unschedulable,
			wantMsg: "preemption: 0/2 nodes are available: 2 Insufficient cpu.",
		},
		{
			name: "no candidate, mixed reasons",
			pod:  pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{pod("p1").node("node1").prio(highPriority).obj(), pod("p2").node("node2").obj(),
				pod("p3").node("node3").prio(highPriority).obj()},
			alloc: nodeRes, nodes: []string{"node1", "node2", "node3"},
			nominate: true, wantCode: framework.Unschedulable,
			wantMsg: "preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod.",
		},
		{
			name:  "no candidate, two nodes not tried",
			pod:   pod("p").prio(highPriority).req(largeRes).obj(),
			pods:  []*corev1.Pod{pod("p1").node("node1").obj(), pod("p2").node("node2").obj()},
			alloc: nodeRes, nodes: []string{"node1", "node2", "node3", "node4"},
			statuses: map[string]framework.Code{"node1": framework.Unschedulable, "node2": framework.Unschedulable,
				"node4": framework.UnschedulableAndUnresolvable},
			nominate: true, wantCode: framework.Unschedulable,
			wantMsg: "preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling.",
		},
		{
			name:  "preemptionPolicy Never keeps the nomination",
			pod:   pod("p").prio(highPriority).never().obj(),
			pods:  []*corev1.Pod{pod("p1").node("node1").obj()},
			alloc: onePod, nodes: []string{"node1"},
			wantCode: framework.Unschedulable, wantMsg: "preemption: " + MsgPolicyNever,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandle(t, tc.pod, tc.alloc, tc.nodes, tc.pods)
			if tc.statuses != nil {
				h.statuses = map[string]*framework.Status{}
				for n, c := range tc.statuses {
					h.statuses[n] = framework.NewStatus(c)
				}
			}
			h.pdbs = tc.pdbs
			pl := newPlugin(t, nil)
			r, st := pl.PostFilter(framework.NewCycleState(), h.pod, h)
			if st.Code() != tc.wantCode || st.Message() != tc.wantMsg {
				t.Errorf("status = %v %q, want %v %q", st.Code(), st.Message(), tc.wantCode, tc.wantMsg)
			}
			switch {
			case !tc.nominate && r != nil:
				t.Errorf("result = %+v, want nil (the nomination stays)", r)
			case tc.nominate && (r == nil || !r.Nominate || r.NominatedNode != tc.wantNode):
				t.Errorf("result = %+v, want nomination %q", r, tc.wantNode)
			case r != nil && !reflect.DeepEqual(podNames(r.Victims), append([]string{}, tc.wantVictim...)):
				t.Errorf("victims = %v, want %v", podNames(r.Victims), tc.wantVictim)
			}
			if h.off != 0 {
				t.Errorf("%d pods left off their node after the dry run", h.off)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	type cand struct {
		node    string
		victims []string
		pdb     int64
	}
	for _, tc := range []struct {
		name        string
		args        any
		nodes       []string
		pod         *corev1.Pod
		pods        []*corev1.Pod
		pdbs        []*policyv1.PodDisruptionBudget
		offset      int32
		want        []cand
		wantFilters int
	}{
		{
			name: "a pod that does not fit on any node", nodes: []string{"node1", "node2"},
			pod:  pod("p").prio(highPriority).req(res("1", "100")).obj(),
			pods: []*corev1.Pod{pod("p1").node("node1").prio(midPriority).req(smallRes).obj(), pod("p2").node("node2").prio(midPriority).req(smallRes).obj()},
			want: nil, wantFilters: 2,
		},
		{
			name: "medium priority pod is preempted, the small low-priority one stays", nodes: []string{"node1", "node2"},
			pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(lowPriority).req(smallRes).obj(),
				pod("p1.2").node("node1").prio(midPriority).req(largeRes).obj(),
				pod("p2").node("node2").prio(midPriority).req(largeRes).obj(),
			},
			want:        []cand{{"node1", []string{"p1.2"}, 0}, {"node2", []string{"p2"}, 0}},
			wantFilters: 5,
		},
		{
			name: "mixed priority pods are preempted", nodes: []string{"node1", "node2"},
			pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(smallRes).obj(),
				pod("p1.2").node("node1").prio(lowPriority).req(smallRes).obj(),
				pod("p1.3").node("node1").prio(midPriority).req(mediumRes).obj(),
				pod("p1.4").node("node1").prio(highPriority).req(smallRes).obj(),
				pod("p2").node("node2").prio(highPriority).req(largeRes).obj(),
			},
			want:        []cand{{"node1", []string{"p1.3", "p1.2"}, 0}},
			wantFilters: 4,
		},
		{
			name: "equal priorities: the later start is preempted", nodes: []string{"node1", "node2"},
			pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(smallRes).start(2).obj(),
				pod("p1.2").node("node1").prio(lowPriority).req(smallRes).start(2).obj(),
				pod("p1.3").node("node1").prio(midPriority).req(mediumRes).start(3).obj(),
				pod("p1.4").node("node1").prio(highPriority).req(smallRes).start(1).obj(),
				pod("p2").node("node2").prio(highPriority).req(largeRes).obj(),
			},
			want:        []cand{{"node1", []string{"p1.3", "p1.2"}, 0}},
			wantFilters: 4,
		},
		{
			name: "a violation of one PDB", nodes: []string{"node1"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").label("app", "foo").prio(midPriority).req(mediumRes).obj(),
				pod("p1.2").node("node1").label("app", "foo").prio(midPriority).req(mediumRes).obj(),
			},
			pdbs:        []*policyv1.PodDisruptionBudget{pdb("foo", 1, map[string]string{"app": "foo"})},
			want:        []cand{{"node1", []string{"p1.1", "p1.2"}, 1}},
			wantFilters: 3,
		},
		{
			name: "the args limit the candidates to 2", args: Args{MinCandidateNodesPercentage: 40, MinCandidateNodesAbsolute: 1},
			nodes: []string{"node1", "node2", "node3", "node4", "node5"}, offset: 4,
			pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1").node("node1").prio(midPriority).req(largeRes).obj(), pod("p2").node("node2").prio(midPriority).req(largeRes).obj(),
				pod("p3").node("node3").prio(midPriority).req(largeRes).obj(), pod("p4").node("node4").prio(midPriority).req(largeRes).obj(),
				pod("p5").node("node5").prio(midPriority).req(largeRes).obj(),
			},
			// offset 4: node5 (yes), node1 (yes), stop.
			want:        []cand{{"node5", []string{"p5"}, 0}, {"node1", []string{"p1"}, 0}},
			wantFilters: 4,
		},
		{
			name: "some nodes are not candidates; the args limit to 2", args: Args{MinCandidateNodesPercentage: 40, MinCandidateNodesAbsolute: 1},
			nodes: []string{"node1", "node2", "node3", "node4", "node5"}, offset: 4,
			pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1").node("node1").prio(midPriority).req(largeRes).obj(), pod("p2").node("node2").prio(veryHighPriority).req(largeRes).obj(),
				pod("p3").node("node3").prio(midPriority).req(largeRes).obj(), pod("p4").node("node4").prio(midPriority).req(largeRes).obj(),
				pod("p5").node("node5").prio(veryHighPriority).req(largeRes).obj(),
			},
			// offset 4: node5 (no), node1 (yes), node2 (no), node3 (yes), stop.
			want:        []cand{{"node1", []string{"p1"}, 0}, {"node3", []string{"p3"}, 0}},
			wantFilters: 4,
		},
		{
			name: "the search goes past the limit until a candidate without PDB violations", args: Args{MinCandidateNodesPercentage: 40, MinCandidateNodesAbsolute: 2},
			nodes: []string{"node1", "node2", "node3", "node4", "node5"}, offset: 4,
			pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1").node("node1").label("app", "foo").prio(midPriority).req(largeRes).obj(),
				pod("p2").node("node2").label("app", "foo").prio(midPriority).req(largeRes).obj(),
				pod("p3").node("node3").prio(midPriority).req(largeRes).obj(),
				pod("p4").node("node4").prio(midPriority).req(largeRes).obj(),
				pod("p5").node("node5").label("app", "foo").prio(midPriority).req(largeRes).obj(),
			},
			pdbs: []*policyv1.PodDisruptionBudget{pdb("foo", 0, map[string]string{"app": "foo"})},
			// offset 4: node5 (PDB), node1 (PDB), node2 (PDB, beyond the violating list's
			// capacity of 2), node3 (no violation): stop.
			want:        []cand{{"node3", []string{"p3"}, 0}, {"node5", []string{"p5"}, 1}, {"node1", []string{"p1"}, 1}},
			wantFilters: 8,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandle(t, tc.pod, veryLargeRes, tc.nodes, tc.pods)
			h.pdbs, h.offset = tc.pdbs, tc.offset
			pl := newPlugin(t, tc.args)
			cands, _, err := pl.FindCandidates(h, h.pod, -1, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []cand
			for _, c := range cands {
				got = append(got, cand{c.Node, podNames(c.Victims), c.NumPDBViolations})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("candidates = %+v, want %+v", got, tc.want)
			}
			if h.filters != tc.wantFilters {
				t.Errorf("%d Filter calls, want %d", h.filters, tc.wantFilters)
			}
			if h.off != 0 {
				t.Errorf("%d pods left off their node", h.off)
			}
		})
	}
}

func TestSelectCandidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []string
		pod   *corev1.Pod
		pods  []*corev1.Pod
		want  []string // any of them
	}{
		{
			name: "the pod fits both nodes after preemption", nodes: []string{"node1", "node2"},
			pod:  pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{pod("p1").node("node1").prio(midPriority).req(largeRes).start(0).obj(), pod("p2").node("node2").prio(midPriority).req(largeRes).start(0).obj()},
			want: []string{"node1", "node2"},
		},
		{
			name: "the node with the lowest highest victim priority", nodes: []string{"node1", "node2", "node3"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(mediumRes).obj(), pod("p1.2").node("node1").prio(midPriority).req(largeRes).obj(),
				pod("p2.1").node("node2").prio(midPriority).req(mediumRes).obj(), pod("p2.2").node("node2").prio(lowPriority).req(mediumRes).obj(),
				pod("p3.1").node("node3").prio(lowPriority).req(mediumRes).obj(), pod("p3.2").node("node3").prio(lowPriority).req(mediumRes).obj(),
			},
			want: []string{"node3"},
		},
		{
			name: "equal highest priorities: the lowest sum", nodes: []string{"node1", "node2", "node3"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(mediumRes).obj(), pod("p1.2").node("node1").prio(midPriority).req(largeRes).obj(),
				pod("p2.1").node("node2").prio(midPriority).req(largeRes).obj(), pod("p2.2").node("node2").prio(lowPriority).req(mediumRes).obj(),
				pod("p3.1").node("node3").prio(midPriority).req(mediumRes).obj(), pod("p3.2").node("node3").prio(midPriority).req(mediumRes).obj(),
			},
			want: []string{"node2"},
		},
		{
			name: "equal highest priority and sum: the fewest victims", nodes: []string{"node1", "node2", "node3"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(smallRes).obj(), pod("p1.2").node("node1").prio(negPriority).req(smallRes).obj(),
				pod("p1.3").node("node1").prio(midPriority).req(smallRes).obj(), pod("p1.4").node("node1").prio(negPriority).req(smallRes).obj(),
				pod("p2.1").node("node2").prio(midPriority).req(largeRes).obj(), pod("p2.2").node("node2").prio(negPriority).req(mediumRes).obj(),
				pod("p3.1").node("node3").prio(midPriority).req(mediumRes).obj(), pod("p3.2").node("node3").prio(negPriority).req(smallRes).obj(),
				pod("p3.3").node("node3").prio(lowPriority).req(smallRes).obj(),
			},
			want: []string{"node2"},
		},
		{
			name: "the sum uses priorities shifted to be positive", nodes: []string{"node1", "node2", "node3"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(smallRes).obj(), pod("p1.2").node("node1").prio(negPriority).req(smallRes).obj(),
				pod("p1.3").node("node1").prio(negPriority).req(smallRes).obj(),
				pod("p2.1").node("node2").prio(midPriority).req(largeRes).obj(), pod("p2.2").node("node2").prio(negPriority).req(mediumRes).obj(),
				pod("p3.1").node("node3").prio(midPriority).req(mediumRes).obj(), pod("p3.2").node("node3").prio(negPriority).req(smallRes).obj(),
				pod("p3.3").node("node3").prio(lowPriority).req(smallRes).obj(),
			},
			want: []string{"node2"},
		},
		{
			name: "equal priorities and counts: the latest start of the most important victims", nodes: []string{"node1", "node2", "node3"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(midPriority).req(mediumRes).start(4).obj(), pod("p1.2").node("node1").prio(midPriority).req(mediumRes).start(2).obj(),
				pod("p2.1").node("node2").prio(midPriority).req(mediumRes).start(5).obj(), pod("p2.2").node("node2").prio(midPriority).req(mediumRes).start(1).obj(),
				pod("p3.1").node("node3").prio(midPriority).req(mediumRes).start(3).obj(), pod("p3.2").node("node3").prio(midPriority).req(mediumRes).start(6).obj(),
			},
			want: []string{"node3"},
		},
		{
			name: "different priorities, equal counts: the start of the highest-priority victims", nodes: []string{"node1", "node2", "node3"},
			pod: pod("p").prio(highPriority).req(veryLargeRes).obj(),
			pods: []*corev1.Pod{
				pod("p1.1").node("node1").prio(lowPriority).req(mediumRes).start(4).obj(), pod("p1.2").node("node1").prio(midPriority).req(mediumRes).start(2).obj(),
				pod("p2.1").node("node2").prio(midPriority).req(mediumRes).start(6).obj(), pod("p2.2").node("node2").prio(lowPriority).req(mediumRes).start(1).obj(),
				pod("p3.1").node("node3").prio(lowPriority).req(mediumRes).start(3).obj(), pod("p3.2").node("node3").prio(midPriority).req(mediumRes).start(5).obj(),
			},
			want: []string{"node2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandle(t, tc.pod, veryLargeRes, tc.nodes, tc.pods)
			pl := newPlugin(t, nil)
			for offset := range int32(len(tc.nodes)) {
				cands, _, err := pl.FindCandidates(h, h.pod, offset, 0)
				if err != nil {
					t.Fatal(err)
				}
				best := SelectCandidate(cands)
				if best == nil || !slices.Contains(tc.want, best.Node) {
					t.Errorf("offset %d: chose %+v, want one of %v", offset, best, tc.want)
				}
			}
		})
	}
}

func TestPodEligibleToPreemptOthers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		pods     []*corev1.Pod
		status   framework.Code // of the nominated node
		want     bool
		wantWhy  string
		nodeName []string
	}{
		{name: "nominated node found UnschedulableAndUnresolvable", pod: pod("p").prio(highPriority).nominated("node1").obj(),
			pods: []*corev1.Pod{pod("p1").prio(lowPriority).node("node1").terminating(true).obj()}, status: framework.UnschedulableAndUnresolvable, want: true},
		{name: "no nominated node", pod: pod("p").prio(highPriority).obj(), want: true},
		{name: "preemptionPolicy Never", pod: pod("p").prio(highPriority).never().obj(), want: false, wantWhy: MsgPolicyNever},
		{name: "a victim of a preemption is terminating", pod: pod("p").prio(highPriority).nominated("node1").obj(),
			pods: []*corev1.Pod{pod("p1").prio(lowPriority).node("node1").terminating(true).obj()}, status: framework.Unschedulable, want: false, wantWhy: MsgTerminating},
		{name: "a pod terminating for another reason", pod: pod("p").prio(highPriority).nominated("node1").obj(),
			pods: []*corev1.Pod{pod("p1").prio(lowPriority).node("node1").terminating(false).obj()}, status: framework.Unschedulable, want: true},
		{name: "a terminating victim of higher priority does not count", pod: pod("p").prio(lowPriority).nominated("node1").obj(),
			pods: []*corev1.Pod{pod("p1").prio(highPriority).node("node1").terminating(true).obj()}, status: framework.Unschedulable, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandle(t, tc.pod, veryLargeRes, []string{"node1"}, tc.pods)
			h.statuses["node1"] = framework.NewStatus(tc.status)
			ok, why := newPlugin(t, nil).PodEligibleToPreemptOthers(h, tc.pod)
			if ok != tc.want || why != tc.wantWhy {
				t.Errorf("eligible = %v %q, want %v %q", ok, why, tc.want, tc.wantWhy)
			}
		})
	}
}

func TestSelectVictimsOnNode(t *testing.T) {
	for _, tc := range []struct {
		name          string
		pod           *corev1.Pod
		pods          []*corev1.Pod
		pdbs          []*policyv1.PodDisruptionBudget
		nominated     []*corev1.Pod
		wantVictims   []string
		wantViolating int
		wantCode      framework.Code
		wantReason    string
	}{
		{name: "one lower-priority pod", pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{pod("v").prio(lowPriority).req(largeRes).node("node1").obj()}, wantVictims: []string{"v"}},
		{name: "the lower priority goes first", pod: pod("p").prio(highPriority).req(mediumRes).obj(),
			pods: []*corev1.Pod{pod("low").prio(lowPriority).req(mediumRes).node("node1").obj(),
				pod("mid").prio(midPriority).req(mediumRes).node("node1").obj(), pod("filler").prio(veryHighPriority).req(smallRes).node("node1").obj()},
			wantVictims: []string{"low"}},
		{name: "a non-violating victim of higher priority over a violating one", pod: pod("p").prio(highPriority).req(mediumRes).obj(),
			pods: []*corev1.Pod{pod("low").label("app", "db").prio(lowPriority).req(mediumRes).node("node1").obj(),
				pod("mid").prio(midPriority).req(mediumRes).node("node1").obj(), pod("filler").prio(veryHighPriority).req(smallRes).node("node1").obj()},
			pdbs:        []*policyv1.PodDisruptionBudget{pdb("db", 0, map[string]string{"app": "db"})},
			wantVictims: []string{"mid"}},
		{name: "a violating victim when nothing else frees enough", pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{pod("low").label("app", "db").prio(lowPriority).req(largeRes).node("node1").obj(),
				pod("mid").prio(midPriority).req(smallRes).node("node1").obj()},
			pdbs:        []*policyv1.PodDisruptionBudget{pdb("db", 0, map[string]string{"app": "db"})},
			wantVictims: []string{"low"}, wantViolating: 1},
		{name: "a disrupted pod spends no budget", pod: pod("p").prio(highPriority).req(largeRes).obj(),
			pods: []*corev1.Pod{pod("low").label("app", "db").prio(lowPriority).req(largeRes).node("node1").obj()},
			pdbs: func() []*policyv1.PodDisruptionBudget {
				p := pdb("db", 0, map[string]string{"app": "db"})
				p.Status.DisruptedPods = map[string]metav1.Time{"low": {}}
				return []*policyv1.PodDisruptionBudget{p}
			}(),
			wantVictims: []string{"low"}},
		{name: "no pod of lower priority", pod: pod("p").prio(lowPriority).req(largeRes).obj(),
			pods:     []*corev1.Pod{pod("v").prio(highPriority).req(largeRes).node("node1").obj()},
			wantCode: framework.UnschedulableAndUnresolvable, wantReason: ReasonNoVictims},
		{name: "an empty node", pod: pod("p").prio(highPriority).req(largeRes).obj(),
			wantCode: framework.UnschedulableAndUnresolvable, wantReason: ReasonNoVictims},
		{name: "a nominated pod of higher priority keeps its room", pod: pod("p").prio(midPriority).req(largeRes).obj(),
			pods:      []*corev1.Pod{pod("v").prio(lowPriority).req(largeRes).node("node1").obj()},
			nominated: []*corev1.Pod{pod("n").prio(highPriority).req(largeRes).nominated("node1").obj()},
			wantCode:  framework.Unschedulable, wantReason: "Insufficient cpu"},
		{name: "a nominated pod of lower priority does not", pod: pod("p").prio(midPriority).req(largeRes).obj(),
			pods:        []*corev1.Pod{pod("v").prio(lowPriority).req(largeRes).node("node1").obj()},
			nominated:   []*corev1.Pod{pod("n").prio(lowPriority).req(largeRes).nominated("node1").obj()},
			wantVictims: []string{"v"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandle(t, tc.pod, veryLargeRes, []string{"node1"}, tc.pods)
			for _, n := range tc.nominated {
				h.nominated["node1"] = append(h.nominated["node1"], framework.NewBoundPodInfo(n, h.fts))
			}
			before := len(h.nodes[0].Pods)
			victims, violating, st := newPlugin(t, nil).SelectVictimsOnNode(h, h.pod, h.nodes[0], NewPDBs(tc.pdbs))
			var got []string
			for _, v := range victims {
				got = append(got, v.Pod.Name)
			}
			if !reflect.DeepEqual(got, tc.wantVictims) || violating != tc.wantViolating {
				t.Errorf("victims %v (%d violating), want %v (%d)", got, violating, tc.wantVictims, tc.wantViolating)
			}
			if st.Code() != tc.wantCode || (tc.wantReason != "" && !strings.Contains(st.Message(), tc.wantReason)) {
				t.Errorf("status %v %q, want %v %q", st.Code(), st.Message(), tc.wantCode, tc.wantReason)
			}
			if h.off != 0 || len(h.nodes[0].Pods) != before {
				t.Errorf("the node holds %d pods after the dry run, had %d", len(h.nodes[0].Pods), before)
			}
		})
	}
}

func TestFilterVictimsWithPDBViolation(t *testing.T) {
	a := framework.NewBoundPodInfo(pod("a").label("app", "x").obj(), framework.DefaultFeatures())
	b := framework.NewBoundPodInfo(pod("b").label("app", "x").obj(), framework.DefaultFeatures())
	c := framework.NewBoundPodInfo(pod("c").obj(), framework.DefaultFeatures()) // no labels: never violating
	other := pdb("y", 0, map[string]string{"app": "x"})
	other.Namespace = "elsewhere"
	empty := pdb("all", 0, nil)
	empty.Spec.Selector = &metav1.LabelSelector{}
	for _, tc := range []struct {
		name    string
		pdbs    []*policyv1.PodDisruptionBudget
		wantBad []string
	}{
		{"one disruption allowed: the second pod violates", []*policyv1.PodDisruptionBudget{pdb("x", 1, map[string]string{"app": "x"})}, []string{"b"}},
		{"none allowed: both violate", []*policyv1.PodDisruptionBudget{pdb("x", 0, map[string]string{"app": "x"})}, []string{"a", "b"}},
		{"a PDB of another namespace", []*policyv1.PodDisruptionBudget{other}, nil},
		{"an empty selector selects nothing", []*policyv1.PodDisruptionBudget{empty}, nil},
		{"a nil selector selects nothing", []*policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "default"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad, good := FilterVictimsWithPDBViolation([]*framework.PodInfo{a, b, c}, NewPDBs(tc.pdbs))
			var gotBad []string
			for _, v := range bad {
				gotBad = append(gotBad, v.Pod.Name)
			}
			if !reflect.DeepEqual(gotBad, tc.wantBad) || len(bad)+len(good) != 3 {
				t.Errorf("violating %v (and %d others), want %v", gotBad, len(good), tc.wantBad)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	pct, abs := int32(0), int32(0)
	for _, tc := range []struct {
		args    any
		wantErr string
		wantN   int32 // NumCandidates(1000)
	}{
		{nil, "", 100},
		{Args{MinCandidateNodesPercentage: 20, MinCandidateNodesAbsolute: 10}, "", 200},
		{Args{MinCandidateNodesPercentage: 1, MinCandidateNodesAbsolute: 5000}, "", 1000},
		{Args{MinCandidateNodesPercentage: 101, MinCandidateNodesAbsolute: 1}, "not in [0, 100]", 0},
		{Args{MinCandidateNodesPercentage: 10, MinCandidateNodesAbsolute: -1}, "must not be negative", 0},
		{Args{}, "cannot both be 0", 0},
		{&configv1.DefaultPreemptionArgs{MinCandidateNodesPercentage: new(int32(30)), MinCandidateNodesAbsolute: &abs}, "", 300},
		{&configv1.DefaultPreemptionArgs{MinCandidateNodesPercentage: &pct, MinCandidateNodesAbsolute: &abs}, "cannot both be 0", 0},
		{&configPtr{&pct, &abs}, "want defaultpreemption.Args or *v1.DefaultPreemptionArgs", 0},
		{"x", "want defaultpreemption.Args", 0},
	} {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			pl, err := New(tc.args, framework.DefaultFeatures())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New(%v): %v, want an error containing %q", tc.args, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := pl.(*DefaultPreemption).NumCandidates(1000); n != tc.wantN {
				t.Errorf("NumCandidates(1000) = %d, want %d", n, tc.wantN)
			}
		})
	}
}

// configPtr is an args type the plugin does not take.
type configPtr struct{ a, b *int32 }
