package queue

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"ksim.dev/ksim/scheduler"
)

// ---- builders

func mkPod(name string, prio int32) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name)}}
	p.Spec.Priority = &prio
	return p
}

func withCPU(p *corev1.Pod, cpu string) *corev1.Pod {
	p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}})
	return p
}

func mkNode(name, cpu string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourcePods: resource.MustParse("110")}
	n.Spec.Taints = taints
	return n
}

func bound(p *corev1.Pod, node string) *corev1.Pod {
	p = p.DeepCopy()
	p.Spec.NodeName = node
	return p
}

func defaultQueue() *Queue[string] {
	return New[string](Config{Profiles: []Profile{ProfileOf(scheduler.DefaultProfile())}})
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// fail adds the pod, pops it and returns it as rejected by plugins at now.
func fail(t *testing.T, q *Queue[string], pod *corev1.Pod, now time.Duration, plugins ...string) {
	t.Helper()
	q.Add(pod.Name, pod, now)
	item, _, ok := q.Pop()
	if !ok || item != pod.Name {
		t.Fatalf("Pop = %q %v, want %q", item, ok, pod.Name)
	}
	q.AddUnschedulable(item, plugins, now)
}

func where(q *Queue[string], item string) Location {
	info, ok := q.Info(item)
	if !ok {
		return 0
	}
	return info.Location
}

// ---- tests

func TestActiveQueueOrder(t *testing.T) {
	q := defaultQueue()
	// Added in this order, at these times, with these priorities.
	for _, p := range []struct {
		name string
		prio int32
		at   float64
	}{{"low-early", 0, 0}, {"high-late", 100, 5}, {"mid-a", 50, 3}, {"mid-b", 50, 1}, {"mid-c", 50, 1}, {"neg", -10, 0}} {
		q.Add(p.name, mkPod(p.name, p.prio), sec(p.at))
	}
	var got []string
	for {
		item, _, ok := q.Pop()
		if !ok {
			break
		}
		got = append(got, item)
		q.Done(item)
	}
	want := []string{"high-late", "mid-b", "mid-c", "mid-a", "low-early", "neg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pop order %v, want %v (priority, then time, then order added)", got, want)
	}
	if q.Len() != 0 {
		t.Errorf("Len = %d after popping all", q.Len())
	}
}

func TestBackoffDurations(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int
		errors   bool
		failAt   time.Duration
		wantEnd  time.Duration // aligned down to the second
	}{
		{"first failure: 1 s", 1, false, sec(10), sec(11)},
		{"second: 2 s", 2, false, sec(10), sec(12)},
		{"third: 4 s", 3, false, sec(10), sec(14)},
		{"fourth: 8 s", 4, false, sec(10), sec(18)},
		{"fifth: capped at 10 s", 5, false, sec(10), sec(20)},
		{"twentieth: still 10 s", 20, false, sec(10), sec(20)},
		{"aligned down to the second", 1, false, sec(10.7), sec(11)},
		{"errors back off the same way", 3, true, sec(10), sec(14)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := defaultQueue()
			p := mkPod("p", 0)
			q.Add("p", p, 0)
			var plugins []string
			if !tc.errors {
				plugins = []string{"NodeResourcesFit"}
			}
			for i := range tc.failures {
				if i > 0 {
					// An event moves it back, then it fails again at failAt.
					q.MoveAllToActiveOrBackoff(NodeAdded(mkNode("n", "100", nil)), tc.failAt, nil)
					q.FlushBackoffCompleted(sec(1000))
				}
				if _, _, ok := q.Pop(); !ok {
					t.Fatalf("failure %d: nothing to pop (%v)", i+1, where(q, "p"))
				}
				q.AddUnschedulable("p", plugins, tc.failAt)
			}
			info, _ := q.Info("p")
			if info.BackoffEnd != tc.wantEnd {
				t.Errorf("backoff ends at %v, want %v (%+v)", info.BackoffEnd, tc.wantEnd, info)
			}
			count := info.UnschedulableCount
			if tc.errors {
				count = info.ConsecutiveErrors
			}
			if count != tc.failures {
				t.Errorf("counted %d failures, want %d", count, tc.failures)
			}
		})
	}
}

func TestWhereAFailedPodGoes(t *testing.T) {
	q := defaultQueue()
	fail(t, q, mkPod("rejected", 0), sec(10), "NodeResourcesFit")
	fail(t, q, mkPod("errored", 0), sec(10))
	if got := where(q, "rejected"); got != Unschedulable {
		t.Errorf("a pod the plugins rejected is in %v, want the unschedulable pool", got)
	}
	if got := where(q, "errored"); got != ErrorBackoff {
		t.Errorf("a pod that failed for no plugin is in %v, want the error backoff queue", got)
	}
	// The error backoff ends at 11 s, and a pod backs off while its end is not before the
	// window of now: at 11.x it still does, the flush at 12 s moves it.
	if _, _, ok := q.Pop(); ok {
		t.Fatal("Pop took a pod from the error backoff queue")
	}
	if wake, ok := q.NextWake(sec(10)); !ok || wake != sec(12) {
		t.Errorf("NextWake = %v %v, want 12s", wake, ok)
	}
	if n := q.FlushBackoffCompleted(sec(11.9)); n != 0 {
		t.Errorf("flushed %d at 11.9s, want 0", n)
	}
	if n := q.FlushBackoffCompleted(sec(12)); n != 1 || where(q, "errored") != Active {
		t.Errorf("flushed %d at 12s (errored in %v), want it active", n, where(q, "errored"))
	}
	if item, _, _ := q.Pop(); item != "errored" {
		t.Errorf("Pop = %q, want errored", item)
	}
	q.Park("errored")
	if got := where(q, "errored"); got != Parked {
		t.Errorf("parked pod in %v", got)
	}
	if n := q.FlushUnschedulableLeftover(sec(3600)); n != 1 || where(q, "errored") != Parked {
		t.Errorf("the flush moved %d pods, parked one now in %v; want only the rejected pod moved", n, where(q, "errored"))
	}
}

func TestPopFromBackoffWhenActiveIsEmpty(t *testing.T) {
	q := defaultQueue()
	fail(t, q, mkPod("backing", 100), sec(10), "NodeName")
	q.MoveAllToActiveOrBackoff(NodeAdded(mkNode("n", "1", nil)), sec(10.5), nil)
	if got := where(q, "backing"); got != Backoff {
		t.Fatalf("moved to %v while backing off, want the backoff queue", got)
	}
	q.Add("fresh", mkPod("fresh", 0), sec(10.5))
	if item, _, _ := q.Pop(); item != "fresh" {
		t.Errorf("Pop = %q: the active queue goes first, even with lower priority", item)
	}
	if item, _, ok := q.Pop(); !ok || item != "backing" {
		t.Errorf("Pop = %q %v: with the active queue empty, the backoff queue's head", item, ok)
	}
	// After its backoff, an event moves a pod straight to the active queue.
	fail(t, q, mkPod("later", 0), sec(20), "NodeName")
	q.MoveAllToActiveOrBackoff(NodeAdded(mkNode("n2", "1", nil)), sec(22), nil)
	if got := where(q, "later"); got != Active {
		t.Errorf("moved to %v after its backoff, want active", got)
	}
}

func TestBackoffQueueOrder(t *testing.T) {
	q := defaultQueue()
	fail(t, q, mkPod("a-low", 0), sec(10.2), "NodeName")
	fail(t, q, mkPod("b-high", 10), sec(10.8), "NodeName") // same window: ends at 11 s too
	fail(t, q, mkPod("c-early", 0), sec(9.1), "NodeName")  // ends at 10 s
	q.MoveAllToActiveOrBackoff(NodeAdded(mkNode("n", "1", nil)), sec(10.9), nil)
	var got []string
	for {
		item, _, ok := q.Pop()
		if !ok {
			break
		}
		got = append(got, item)
	}
	if want := []string{"c-early", "b-high", "a-low"}; !reflect.DeepEqual(got, want) {
		t.Errorf("backoff pop order %v, want %v (backoff end, then priority)", got, want)
	}
}

func TestEventsMovePods(t *testing.T) {
	label := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	taint := corev1.Taint{Key: "k", Value: "v", Effect: corev1.TaintEffectNoSchedule}
	withPort := func(p *corev1.Pod, port int32) *corev1.Pod {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "web", Ports: []corev1.ContainerPort{{HostPort: port, ContainerPort: port}}})
		return p
	}
	withSelector := func(p *corev1.Pod, k, v string) *corev1.Pod {
		p.Spec.NodeSelector = map[string]string{k: v}
		return p
	}
	anti := func(p *corev1.Pod, k, v string) *corev1.Pod {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}, TopologyKey: corev1.LabelHostname}}}}
		return p
	}
	aff := func(p *corev1.Pod, k, v string) *corev1.Pod {
		p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}, TopologyKey: "zone"}}}}
		return p
	}
	spread := func(p *corev1.Pod, k, v string) *corev1.Pod {
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone",
			WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}}}
		return p
	}
	labeled := func(p *corev1.Pod, kv ...string) *corev1.Pod { p.Labels = label(kv...); return p }
	other := func(p *corev1.Pod) *corev1.Pod { p.Namespace = "other"; return p }
	nominatedTo := func(p *corev1.Pod, n string) *corev1.Pod { p.Status.NominatedNodeName = n; return p }
	small, big := mkNode("n", "1", label("zone", "a")), mkNode("n", "8", label("zone", "a"))

	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		plugins []string
		event   Event
		want    bool
	}{
		{"Fit: a bound pod deleted", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, AssignedPodDeleted(bound(mkPod("v", 0), "n")), true},
		{"Fit: a nominated pod deleted", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, AssignedPodDeleted(nominatedTo(mkPod("v", 0), "n")), true},
		{"Fit: an unscheduled pod deleted", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, AssignedPodDeleted(mkPod("v", 0)), false},
		{"Fit: a node big enough added", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, NodeAdded(big), true},
		{"Fit: a node too small added", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, NodeAdded(small), false},
		{"Fit: a node grown to fit", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, NodeUpdated(small, big)[0], true},
		{"Fit: a node grown, still too small", withCPU(mkPod("p", 0), "16"), []string{"NodeResourcesFit"}, NodeUpdated(small, big)[0], false},
		{"Fit: a label change is no event of its", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"},
			NodeUpdated(big, mkNode("n", "8", label("zone", "b")))[0], false},
		{"Fit: a pod bound elsewhere is no event of its", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit"}, AssignedPodAdded(bound(mkPod("v", 0), "n")), false},
		{"Taint: the taint removed", mkPod("p", 0), []string{"TaintToleration"}, NodeUpdated(mkNode("n", "1", nil, taint), mkNode("n", "1", nil))[0], true},
		{"Taint: a taint added", mkPod("p", 0), []string{"TaintToleration"}, NodeUpdated(mkNode("n", "1", nil), mkNode("n", "1", nil, taint))[0], false},
		{"Taint: an untainted node added", mkPod("p", 0), []string{"TaintToleration"}, NodeAdded(small), true},
		{"Taint: a tainted node added", mkPod("p", 0), []string{"TaintToleration"}, NodeAdded(mkNode("n", "1", nil, taint)), false},
		{"Unschedulable: uncordoned", mkPod("p", 0), []string{"NodeUnschedulable"},
			NodeUpdated(func() *corev1.Node { n := mkNode("n", "1", nil); n.Spec.Unschedulable = true; return n }(), mkNode("n", "1", nil))[0], true},
		{"Affinity: a matching node added", withSelector(mkPod("p", 0), "disk", "ssd"), []string{"NodeAffinity"}, NodeAdded(mkNode("n", "1", label("disk", "ssd"))), true},
		{"Affinity: another node added", withSelector(mkPod("p", 0), "disk", "ssd"), []string{"NodeAffinity"}, NodeAdded(mkNode("n", "1", label("disk", "hdd"))), false},
		{"Affinity: relabelled to match", withSelector(mkPod("p", 0), "disk", "ssd"), []string{"NodeAffinity"},
			NodeUpdated(mkNode("n", "1", label("disk", "hdd")), mkNode("n", "1", label("disk", "ssd")))[0], true},
		{"Affinity: matched already", withSelector(mkPod("p", 0), "disk", "ssd"), []string{"NodeAffinity"},
			NodeUpdated(mkNode("n", "1", label("disk", "ssd")), mkNode("n", "1", label("disk", "ssd", "x", "y")))[0], false},
		{"Ports: the same host port freed", withPort(mkPod("p", 0), 80), []string{"NodePorts"}, AssignedPodDeleted(withPort(bound(mkPod("v", 0), "n"), 80)), true},
		{"Ports: another host port freed", withPort(mkPod("p", 0), 80), []string{"NodePorts"}, AssignedPodDeleted(withPort(bound(mkPod("v", 0), "n"), 81)), false},
		{"NodeName: a node added", mkPod("p", 0), []string{"NodeName"}, NodeAdded(small), true},
		{"NodeName: a pod deleted", mkPod("p", 0), []string{"NodeName"}, AssignedPodDeleted(bound(mkPod("v", 0), "n")), false},
		{"InterPod: the pod it hates deleted", anti(labeled(mkPod("p", 0), "app", "a"), "app", "db"), []string{"InterPodAffinity"},
			AssignedPodDeleted(labeled(bound(mkPod("v", 0), "n"), "app", "db")), true},
		{"InterPod: a pod that hates it deleted", labeled(mkPod("p", 0), "app", "web"), []string{"InterPodAffinity"},
			AssignedPodDeleted(anti(labeled(bound(mkPod("v", 0), "n"), "app", "x"), "app", "web")), true},
		{"InterPod: an unrelated pod deleted", anti(mkPod("p", 0), "app", "db"), []string{"InterPodAffinity"},
			AssignedPodDeleted(labeled(bound(mkPod("v", 0), "n"), "app", "web")), false},
		{"InterPod: the pod it needs bound", aff(mkPod("p", 0), "app", "db"), []string{"InterPodAffinity"},
			AssignedPodAdded(labeled(bound(mkPod("v", 0), "n"), "app", "db")), true},
		{"InterPod: a node with its topology key", aff(mkPod("p", 0), "app", "db"), []string{"InterPodAffinity"}, NodeAdded(small), true},
		{"InterPod: a node without it", aff(mkPod("p", 0), "app", "db"), []string{"InterPodAffinity"}, NodeAdded(mkNode("n", "1", nil)), false},
		{"Spread: a matching pod deleted", spread(mkPod("p", 0), "app", "web"), []string{"PodTopologySpread"},
			AssignedPodDeleted(labeled(bound(mkPod("v", 0), "n"), "app", "web")), true},
		{"Spread: a matching pod of another namespace", spread(mkPod("p", 0), "app", "web"), []string{"PodTopologySpread"},
			AssignedPodDeleted(other(labeled(bound(mkPod("v", 0), "n"), "app", "web"))), false},
		{"Spread: a node with the key added", spread(mkPod("p", 0), "app", "web"), []string{"PodTopologySpread"}, NodeAdded(small), true},
		{"Spread: a node without it", spread(mkPod("p", 0), "app", "web"), []string{"PodTopologySpread"}, NodeAdded(mkNode("n", "1", nil)), false},
		{"Spread: a node with the key removed", spread(mkPod("p", 0), "app", "web"), []string{"PodTopologySpread"}, NodeDeleted(small), true},
		{"two plugins: one hint suffices", withCPU(mkPod("p", 0), "2"), []string{"NodeResourcesFit", "TaintToleration"}, NodeAdded(big), true},
		{"the timeout moves every pod", mkPod("p", 0), []string{"NodeResourcesFit"}, UnschedulableTimeout, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := defaultQueue()
			fail(t, q, tc.pod, 0, tc.plugins...)
			moved := q.MoveAllToActiveOrBackoff(tc.event, sec(60), nil) == 1
			if moved != tc.want {
				t.Errorf("moved = %v, want %v", moved, tc.want)
			}
			if want := map[bool]Location{true: Active, false: Unschedulable}[tc.want]; where(q, tc.pod.Name) != want {
				t.Errorf("pod in %v, want %v", where(q, tc.pod.Name), want)
			}
		})
	}
}

func TestPreCheckAndUnknownPlugins(t *testing.T) {
	q := New[string](Config{Profiles: []Profile{{SchedulerName: "default-scheduler", Plugins: []string{"NodeResourcesFit", "Custom"}}}})
	fail(t, q, mkPod("low", 0), 0, "NodeResourcesFit")
	fail(t, q, mkPod("high", 100), 0, "NodeResourcesFit")
	fail(t, q, mkPod("custom", 0), 0, "Custom")
	// Upstream's getLEPriorityPreCheck: only pods of priority at most 50.
	n := q.MoveAllToActiveOrBackoff(AssignedPodDeleted(bound(mkPod("v", 50), "n")), sec(60),
		func(p *corev1.Pod) bool { return *p.Spec.Priority <= 50 })
	if n != 2 || where(q, "low") != Active || where(q, "high") != Unschedulable || where(q, "custom") != Active {
		t.Errorf("moved %d: low %v, high %v, custom %v; want low and custom (a plugin without hints takes every event)",
			n, where(q, "low"), where(q, "high"), where(q, "custom"))
	}
}

func TestFlushUnschedulableLeftover(t *testing.T) {
	for _, tc := range []struct {
		failAt    time.Duration
		wantFlush time.Duration // the first multiple of 30 s more than 5 minutes later
	}{
		{0, sec(330)}, // exactly 5 minutes is not more than 5 minutes
		{sec(10), sec(330)},
		{sec(29.9), sec(330)},
		{sec(30), sec(360)},
		{sec(31), sec(360)},
	} {
		t.Run(fmt.Sprint(tc.failAt), func(t *testing.T) {
			q := defaultQueue()
			fail(t, q, mkPod("p", 0), tc.failAt, "NodeResourcesFit")
			next, ok := q.NextFlush()
			if !ok || next != tc.wantFlush {
				t.Fatalf("NextFlush = %v %v, want %v", next, ok, tc.wantFlush)
			}
			if n := q.FlushUnschedulableLeftover(tc.wantFlush - FlushInterval); n != 0 {
				t.Errorf("the tick before moved %d pods", n)
			}
			if n := q.FlushUnschedulableLeftover(tc.wantFlush); n != 1 || where(q, "p") != Active {
				t.Errorf("the tick at %v moved %d pods, p in %v", tc.wantFlush, n, where(q, "p"))
			}
			if _, ok := q.NextFlush(); ok {
				t.Errorf("NextFlush with an empty pool says there is one")
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	q := defaultQueue()
	p := mkPod("p", 0)
	fail(t, q, p, 0, "TaintToleration")
	nominated := p.DeepCopy()
	nominated.Status.NominatedNodeName = "n1"
	if !q.Update("p", nominated, sec(5)) || where(q, "p") != Unschedulable {
		t.Errorf("a status change requeued the pod (%v)", where(q, "p"))
	}
	tolerant := nominated.DeepCopy()
	tolerant.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}
	q.Update("p", tolerant, sec(5))
	if where(q, "p") != Active {
		t.Errorf("a new toleration left the pod in %v, want active", where(q, "p"))
	}
	// In the active queue, a new priority reorders it.
	q.Add("other", mkPod("other", 10), sec(6))
	higher := tolerant.DeepCopy()
	higher.Spec.Priority = new(int32(100))
	q.Update("p", higher, sec(7))
	if item, pod, _ := q.Pop(); item != "p" || pod != higher {
		t.Errorf("Pop = %q: the updated pod with priority 100 goes first", item)
	}
	if q.Update("gone", p, 0) {
		t.Error("Update of an unknown item reports it queued")
	}
}

func TestRemoveAndItems(t *testing.T) {
	q := defaultQueue()
	fail(t, q, mkPod("e", 0), sec(1), "NodeResourcesFit")
	for i, name := range []string{"c", "a", "b", "d"} {
		q.Add(name, mkPod(name, int32(i)), 0)
	}
	if !q.Remove("a") || q.Remove("a") {
		t.Error("Remove reports wrongly")
	}
	if got := q.Items(); !reflect.DeepEqual(got, []string{"e", "c", "b", "d"}) {
		t.Errorf("Items = %v, want in order added", got)
	}
	q.Remove("e")
	if _, ok := q.NextFlush(); ok {
		t.Error("a removed pod still waits for the flush")
	}
	var popped []string
	for {
		item, _, ok := q.Pop()
		if !ok {
			break
		}
		popped = append(popped, item)
		q.Done(item)
	}
	slices.Sort(popped)
	if !reflect.DeepEqual(popped, []string{"b", "c", "d"}) || q.Len() != 0 {
		t.Errorf("popped %v, %d left", popped, q.Len())
	}
}

func TestMisuseIsABug(t *testing.T) {
	for name, f := range map[string]func(q *Queue[string]){
		"Add twice":                       func(q *Queue[string]) { q.Add("p", mkPod("p", 0), 0); q.Add("p", mkPod("p", 0), 0) },
		"AddUnschedulable, not in flight": func(q *Queue[string]) { q.Add("p", mkPod("p", 0), 0); q.AddUnschedulable("p", nil, 0) },
		"Park an unknown pod":             func(q *Queue[string]) { q.Park("p") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(defaultQueue())
		})
	}
}

func TestNodeUpdatedEvents(t *testing.T) {
	base := mkNode("n", "1", map[string]string{"a": "1"})
	cordoned := base.DeepCopy()
	cordoned.Spec.Unschedulable = true
	relabelled := base.DeepCopy()
	relabelled.Labels = map[string]string{"a": "2"}
	grown := mkNode("n", "2", map[string]string{"a": "1"})
	for _, tc := range []struct {
		name     string
		old, cur *corev1.Node
		want     []ActionType
	}{
		{"nothing", base, base.DeepCopy(), nil},
		{"cordoned: no event", base, cordoned, nil},
		{"uncordoned: a taint update", cordoned, base, []ActionType{UpdateNodeTaint}},
		{"labels", base, relabelled, []ActionType{UpdateNodeLabel}},
		{"allocatable", base, grown, []ActionType{UpdateNodeAllocatable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []ActionType
			for _, ev := range NodeUpdated(tc.old, tc.cur) {
				got = append(got, ev.Action)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("actions %v, want %v", got, tc.want)
			}
		})
	}
	if !(ClusterEvent{Resource: Node, Action: Update}).Matches(ClusterEvent{Resource: Node, Action: All}) ||
		(ClusterEvent{Resource: Node, Action: Update}).Matches(ClusterEvent{Resource: Node, Action: UpdateNodeLabel}) ||
		!(ClusterEvent{Resource: AssignedPod, Action: Delete}).Matches(ClusterEvent{Resource: Pod, Action: Delete}) {
		t.Error("Matches: a plain Update must reach only Update or All registrations; Pod stands for every pod resource")
	}
}

// The pod's own update, for a pod PodTopologySpread rejected: upstream's
// isSchedulableAfterTargetPodChange (podtopologyspread/plugin.go) queues it only for a new
// toleration when a constraint honours node taints, or for a label change that makes it match,
// or stop matching, a constraint's selector.
func TestSpreadTargetPodUpdate(t *testing.T) {
	spread := func(p *corev1.Pod, honor bool) *corev1.Pod {
		c := corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}
		if honor {
			c.NodeTaintsPolicy = new(corev1.NodeInclusionPolicyHonor)
		}
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{c}
		return p
	}
	labeled := func(p *corev1.Pod, kv ...string) *corev1.Pod {
		p = p.DeepCopy()
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
		return p
	}
	tolerating := func(p *corev1.Pod) *corev1.Pod {
		p = p.DeepCopy()
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists})
		return p
	}
	web := labeled(spread(mkPod("p", 0), false), "app", "web")
	webHonor := labeled(spread(mkPod("p", 0), true), "app", "web")
	for _, tc := range []struct {
		name     string
		old, cur *corev1.Pod
		want     Location
	}{
		{"a label the selector ignores", web, labeled(web, "app", "web", "v", "2"), Unschedulable},
		{"no longer selected by its own constraint", web, labeled(web, "app", "db"), Active},
		{"a toleration, taints ignored", web, tolerating(web), Unschedulable},
		{"a toleration, taints honoured", webHonor, tolerating(webHonor), Active},
		{"no constraints of its own (the system defaults are soft)", labeled(mkPod("p", 0), "app", "web"),
			labeled(mkPod("p", 0), "app", "db"), Unschedulable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := defaultQueue()
			fail(t, q, tc.old, 0, "PodTopologySpread")
			q.Update("p", tc.cur, sec(60))
			if got := where(q, "p"); got != tc.want {
				t.Errorf("pod in %v, want %v", got, tc.want)
			}
		})
	}
}

// InterPodAffinity's hints (interpodaffinity/plugin.go) parse only the required terms they
// read: the pending pod's required affinity and anti-affinity terms, a deleted pod's required
// anti-affinity terms. A term that does not parse elsewhere (a preferred one, or the deleted
// pod's affinity) does not make them say Queue.
func TestAffinityHintsParseOnlyRequiredTerms(t *testing.T) {
	invalid := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}}}
	term := func(sel *metav1.LabelSelector) corev1.PodAffinityTerm {
		return corev1.PodAffinityTerm{LabelSelector: sel, TopologyKey: "zone"}
	}
	dbSel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
	withPreferred := func(p *corev1.Pod) *corev1.Pod {
		p.Spec.Affinity = &corev1.Affinity{
			PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(dbSel)}},
			PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
				{Weight: 1, PodAffinityTerm: term(invalid)}}}}
		return p
	}
	deletedWith := func(aff *corev1.Affinity) *corev1.Pod {
		p := bound(mkPod("v", 0), "n")
		p.Labels = map[string]string{"app": "web"}
		p.Spec.Affinity = aff
		return p
	}
	for _, tc := range []struct {
		name  string
		pod   *corev1.Pod
		event Event
		want  bool
	}{
		{"its preferred term does not parse: an unrelated pod bound", withPreferred(mkPod("p", 0)),
			AssignedPodAdded(deletedWith(nil)), false},
		{"its preferred term does not parse: the pod it needs bound", withPreferred(mkPod("p", 0)),
			AssignedPodAdded(func() *corev1.Pod { p := deletedWith(nil); p.Labels["app"] = "db"; return p }()), true},
		{"the deleted pod's affinity does not parse", mkPod("p", 0), AssignedPodDeleted(deletedWith(&corev1.Affinity{
			PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(invalid)}}})), false},
		{"the deleted pod's anti-affinity does not parse", mkPod("p", 0), AssignedPodDeleted(deletedWith(&corev1.Affinity{
			PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(invalid)}}})), true},
		{"its own required term does not parse", func() *corev1.Pod {
			p := mkPod("p", 0)
			p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(invalid)}}}
			return p
		}(), AssignedPodAdded(deletedWith(nil)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := defaultQueue()
			fail(t, q, tc.pod, 0, "InterPodAffinity")
			if moved := q.MoveAllToActiveOrBackoff(tc.event, sec(60), nil) == 1; moved != tc.want {
				t.Errorf("moved = %v, want %v", moved, tc.want)
			}
		})
	}
}
