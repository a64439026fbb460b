package upstream

// TestQueueDifferential proves ksim's scheduling queue (scheduler/queue) against
// kube-scheduler v1.37's PriorityQueue (pkg/scheduler/backend/queue/scheduling_queue.go) in
// virtual time.
//
// Both queues serve the same two profiles, read from one KubeSchedulerConfiguration
// (queueConfigYAML) by ksim's ParseConfig and by upstream's codec: the default profile, and one
// with plugins disabled and NodeAffinity's addedAffinity set. ksim's queue gets
// queue.ProfileOf of each. The upstream queue is the real one (NewPriorityQueue), built as
// pkg/scheduler/scheduler.go builds it: the queue sort function, PreEnqueue plugins and
// queueing hints come from one framework per profile (frameworkruntime.NewFramework over the
// in-tree registry) holding the plugins ksim's profile lists, in the default order and with the
// profile's plugin args (plus SchedulingGates, PrioritySort and DefaultBinder, which ksim's
// queue has no use for), each registered with its real EventsToRegister and queueing hint
// functions; the hint map is built the way scheduler.go's buildQueueingHintMap does. Its clock
// is a k8s.io/utils FakeClock (WithClock).
//
// Each sequence runs in a testing/synctest bubble and calls the upstream queue's Run, so its
// own two loops do the periodic work: flushBackoffQCompleted on a FakeClock ticker aligned to
// the whole second (backoff_queue.go waitUntilAlignedWithOrderingWindow), and
// flushUnschedulableEntitiesLeftover every 30 s of (bubble) time through wait.Until. The
// harness advances the FakeClock and the bubble's clock together, one whole second at a time,
// and waits (synctest.Wait) for the loops to finish; ksim's FlushBackoffCompleted and
// FlushUnschedulableLeftover run at the same instants.
//
// Both queues get the same seeded random sequence of operations: pods added (priorities,
// requests, node selectors and node affinity, tolerations, host ports, inter-pod affinity and
// anti-affinity, spread constraints, nominated nodes), popped and then scheduled (Done, and
// often bound: an AssignedPod/Add event), rejected by a set of plugins that could reject such a
// pod (upstream: the failure handler's DeepCopy, ClearRejectorPlugins, UnschedulablePlugins,
// AddUnschedulablePodIfNotPresent at the current scheduling cycle; ksim: AddUnschedulable) or
// failed with an error (no plugins); cluster events as the scheduler's event handlers
// (pkg/scheduler/eventhandlers.go) deliver them, through MoveAllToActiveOrBackoffQueue with
// the events upstream derives (NodeSchedulingPropertiesChange, PodSchedulingPropertiesChange)
// against ksim's (NodeAdded, NodeUpdated, NodeDeleted, AssignedPodAdded, PodUpdated,
// AssignedPodDeleted): nodes added, relabelled, retainted, resized, cordoned and uncordoned,
// removed; bound pods added, relabelled, scaled, removed; pending pods that held a nominated
// node deleted or losing the nomination (AssignedPod/Delete with the lower-or-equal priority
// pre-check); pending pods updated (Update: tolerations, labels, priority, requests) and
// deleted; time advanced by random amounts.
//
// After every operation the harness compares, for every pending pod, where it waits (active,
// backoff, error backoff, unschedulable), its failure counts (UnschedulableCount,
// ConsecutiveErrorsCount), the timestamp PrioritySort orders by, the plugins that rejected it
// and, once upstream has computed it, its backoff expiry; and for every Pop the pod each queue
// returns (upstream's Pop blocks on an empty queue, so it is called only when its active queue
// or backoff queue holds a pod; otherwise ksim's Pop must find nothing either). The same
// comparison runs at every whole second the clock passes, after the flushes. The summary
// counts, for pods that a single plugin rejected, how often each kind of change moved them or
// left them, so that every hint is seen saying both Queue and QueueSkip.
//
// The generator keeps away from what ksim's package documentation lists as deliberate
// differences:
//   - ties: time always passes between two operations (at least a millisecond, or up to the
//     next whole second), so no two pods share a PrioritySort timestamp, and the backoff queue
//     orders equal backoff ends by priority and timestamp too (the error backoff queue leaves
//     equal ends to heap order, but its order is never visible: it is flushed a whole window
//     at a time and never popped);
//   - in-flight pods: each Pop is resolved (Done or a failure) at the same instant, before any
//     other operation, so no event ever arrives while a pod is in flight;
//   - PreEnqueue: no pod has scheduling gates and no preemption runs, so upstream's
//     PreEnqueue plugins (SchedulingGates, DefaultPreemption) admit every pod;
//   - pod groups are off (GenericWorkload is off by default in v1.37).
//
// A failure names the seed and prints the operations that led to it; rerun one sequence with
//
//	go test -run 'TestQueueDifferential/seqs/seed=17$' ./...
//
// or move the range with -queue.seed, -queue.seqs, -queue.ops; -queue.long runs ten times as
// many sequences.

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	fwk "k8s.io/kube-scheduler/framework"
	"k8s.io/kubernetes/pkg/scheduler/apis/config"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/latest"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/scheme"
	"k8s.io/kubernetes/pkg/scheduler/backend/cache"
	internalqueue "k8s.io/kubernetes/pkg/scheduler/backend/queue"
	"k8s.io/kubernetes/pkg/scheduler/framework"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
	"k8s.io/kubernetes/pkg/scheduler/metrics"
	testingclock "k8s.io/utils/clock/testing"

	"ksim.dev/ksim/scheduler"
	ksimqueue "ksim.dev/ksim/scheduler/queue"
)

var (
	queueSeed = flag.Uint64("queue.seed", 1, "first seed of TestQueueDifferential's sequences")
	queueSeqs = flag.Int("queue.seqs", 300, "operation sequences in TestQueueDifferential")
	queueOps  = flag.Int("queue.ops", 100, "operations per sequence in TestQueueDifferential")
	queueLong = flag.Bool("queue.long", false, "run ten times as many sequences in TestQueueDifferential")
)

var queueMetrics sync.Once

// queueEpoch is the FakeClock's time at the start of every sequence: a whole second, so that
// upstream's backoff ticker lands on whole seconds of ksim's time (a Duration since it).
var queueEpoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// queueConfigYAML is the configuration both queues serve: the default profile, and a second
// one without InterPodAffinity and NodePorts whose NodeAffinity has an addedAffinity, so that
// the queues must keep each profile's hints to its own pods.
const queueConfigYAML = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: zonal-scheduler
  plugins:
    multiPoint:
      disabled:
      - name: InterPodAffinity
      - name: NodePorts
  pluginConfig:
  - name: NodeAffinity
    args:
      addedAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms:
          - matchExpressions:
            - key: topology.kubernetes.io/zone
              operator: In
              values: [zone-a, zone-b]
`

// queueProfiles is what both queues are built from, shared by all sequences (the hint
// functions only read their arguments and the frameworks' empty listers).
type queueProfiles struct {
	less   fwk.LessFunc
	hints  internalqueue.QueueingHintMapPerProfile
	preEnq map[string]map[string]fwk.PreEnqueuePlugin
	ksim   []ksimqueue.Profile
	names  []string            // the profiles' scheduler names
	reject map[string][]string // per profile, the plugins that may reject a pod
	all    map[string][]string // per profile, every plugin ksim's queue knows
}

// newQueueProfiles reads queueConfigYAML with ksim's ParseConfig and with upstream's codec and
// defaulting (pkg/scheduler/apis/config/scheme), and builds one upstream framework per profile
// with the plugins ksim's profile lists, in the default multiPoint order and weights (plus
// SchedulingGates, PrioritySort and DefaultBinder, which ksim's queue has no use for), and the
// profile's own plugin args.
func newQueueProfiles(t *testing.T) *queueProfiles {
	t.Helper()
	kcfg, err := scheduler.ParseConfig("queue.yaml", []byte(queueConfigYAML))
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := scheme.Codecs.UniversalDecoder().Decode([]byte(queueConfigYAML), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ucfg := obj.(*config.KubeSchedulerConfiguration)
	defaults, err := latest.Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(kcfg.Profiles) != len(ucfg.Profiles) {
		t.Fatalf("ksim reads %d profiles, upstream %d", len(kcfg.Profiles), len(ucfg.Profiles))
	}
	ctx, cancel := context.WithCancel(context.Background())
	qp := &queueProfiles{
		hints:  internalqueue.QueueingHintMapPerProfile{},
		preEnq: map[string]map[string]fwk.PreEnqueuePlugin{},
		reject: map[string][]string{},
		all:    map[string][]string{},
	}
	var fws []framework.Framework
	t.Cleanup(func() {
		cancel()
		for _, fh := range fws {
			frameworkruntime.WaitForShutdown(fh)
		}
	})
	for i, kprof := range kcfg.Profiles {
		kp := ksimqueue.ProfileOf(kprof)
		if kp.SchedulerName != ucfg.Profiles[i].SchedulerName {
			t.Fatalf("profile %d: ksim %q, upstream %q", i, kp.SchedulerName, ucfg.Profiles[i].SchedulerName)
		}
		var enabled []config.Plugin
		for _, p := range defaults.Profiles[0].Plugins.MultiPoint.Enabled {
			switch {
			case slices.Contains(kp.Plugins, p.Name), p.Name == names.PrioritySort, p.Name == names.SchedulingGates,
				p.Name == names.DefaultBinder:
				enabled = append(enabled, p)
			}
		}
		profile := &config.KubeSchedulerProfile{
			SchedulerName: kp.SchedulerName,
			Plugins:       &config.Plugins{MultiPoint: config.PluginSet{Enabled: enabled}},
			PluginConfig:  ucfg.Profiles[i].PluginConfig,
		}
		fh, err := frameworkruntime.NewFramework(ctx, frameworkplugins.NewInTreeRegistry(), profile,
			frameworkruntime.WithSnapshotSharedLister(cache.NewEmptySnapshot()),
			frameworkruntime.WithInformerFactory(informers.NewSharedInformerFactory(fake.NewClientset(), 0)),
			frameworkruntime.WithParallelism(1))
		if err != nil {
			t.Fatal(err)
		}
		fws = append(fws, fh)
		if qp.less == nil {
			qp.less = fh.QueueSortFunc()
		}

		// The hint map, as scheduler.go's buildQueueingHintMap makes it: every registration of
		// every EnqueueExtensions (the framework supplies a wildcard one for plugins without),
		// a nil hint meaning Queue, Pod registrations unrolled into the three pod resources.
		hints := internalqueue.QueueingHintMap{}
		for _, ext := range fh.EnqueueExtensions() {
			evs, err := ext.EventsToRegister(ctx)
			if err != nil {
				t.Fatalf("%s EventsToRegister: %v", ext.Name(), err)
			}
			for _, ev := range evs {
				fn := ev.QueueingHintFn
				if fn == nil {
					fn = func(klog.Logger, *v1.Pod, any, any) (fwk.QueueingHint, error) { return fwk.Queue, nil }
				}
				h := &internalqueue.QueueingHintFunction{PluginName: ext.Name(), QueueingHintFn: fn, PreQueueingHintFn: ev.PreQueueingHintFn}
				evsToAdd := []fwk.ClusterEvent{ev.Event}
				if ev.Event.Resource == fwk.Pod {
					evsToAdd = framework.UnrollPodEvent(ev.Event)
				}
				for _, e := range evsToAdd {
					hints[e] = append(hints[e], h)
				}
			}
		}
		qp.hints[kp.SchedulerName] = hints
		preEnq := map[string]fwk.PreEnqueuePlugin{}
		for _, p := range fh.PreEnqueuePlugins() {
			preEnq[p.Name()] = p
		}
		qp.preEnq[kp.SchedulerName] = preEnq
		qp.ksim = append(qp.ksim, kp)
		qp.names = append(qp.names, kp.SchedulerName)
		qp.all[kp.SchedulerName] = kp.Plugins
		for _, p := range kp.Plugins {
			if p != names.DefaultPreemption { // a PostFilter plugin: not among a fit error's plugins
				qp.reject[kp.SchedulerName] = append(qp.reject[kp.SchedulerName], p)
			}
		}
	}
	return qp
}

// queueStats counts what the sequences saw.
type queueStats struct {
	mu                                            sync.Mutex
	seqs, ops, pops, emptyPops, popsFromBackoff   int
	compared, done, unschedulable, errored, bound int
	events, upEvents, moved, backoffFlushed       int
	leftoverFlushed, updates, updateMoved, dels   int
	seconds                                       float64
	seen                                          map[string]int
	// hints counts, per plugin, for pods in the unschedulable pool that it alone rejected, the
	// changes (their events joined by +, or "other changes" when the plugin registered none
	// of them) that moved them ([0]) and that left them ([1]).
	hints map[string]map[string][2]int
}

func (s *queueStats) add(o *queueStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seqs++
	s.ops += o.ops
	s.pops += o.pops
	s.emptyPops += o.emptyPops
	s.popsFromBackoff += o.popsFromBackoff
	s.compared += o.compared
	s.done += o.done
	s.unschedulable += o.unschedulable
	s.errored += o.errored
	s.bound += o.bound
	s.events += o.events
	s.upEvents += o.upEvents
	s.moved += o.moved
	s.backoffFlushed += o.backoffFlushed
	s.leftoverFlushed += o.leftoverFlushed
	s.updates += o.updates
	s.updateMoved += o.updateMoved
	s.dels += o.dels
	s.seconds += o.seconds
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	for k, v := range o.seen {
		s.seen[k] += v
	}
	if s.hints == nil {
		s.hints = map[string]map[string][2]int{}
	}
	for pl, m := range o.hints {
		if s.hints[pl] == nil {
			s.hints[pl] = map[string][2]int{}
		}
		for ev, n := range m {
			c := s.hints[pl][ev]
			s.hints[pl][ev] = [2]int{c[0] + n[0], c[1] + n[1]}
		}
	}
}

func TestQueueDifferential(t *testing.T) {
	setupGlobals() // hpa_diff_test.go: klog discarded, utilruntime errors only counted
	queueMetrics.Do(metrics.InitMetrics)
	qp := newQueueProfiles(t)
	seqs := *queueSeqs
	if *queueLong {
		seqs *= 10
	}
	errorsBefore := handledErrors.Load()
	var total queueStats
	t.Run("seqs", func(t *testing.T) {
		for i := range seqs {
			seed := *queueSeed + uint64(i)
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				var st queueStats
				synctest.Test(t, func(t *testing.T) { runQueueSeq(t, seed, *queueOps, qp, &st) })
				if !t.Failed() {
					total.add(&st)
				}
			})
		}
	})
	t.Logf("sequences %d, operations %d, virtual time %.0f s; pops compared %d (from the backoff queue %d, on empty queues %d); "+
		"pending pods' states compared %d; attempts: scheduled %d (then bound %d), unschedulable %d, errors %d",
		total.seqs, total.ops, total.seconds, total.pops, total.popsFromBackoff, total.emptyPops,
		total.compared, total.done, total.bound, total.unschedulable, total.errored)
	t.Logf("cluster events %d (upstream MoveAll calls %d) moved %d pods; pending-pod updates %d (moved %d), deletes %d; "+
		"flushes moved %d pods out of backoff and %d out of the unschedulable pool (timeout); "+
		"upstream errors handled %d (hints on selectors that do not parse)",
		total.events, total.upEvents, total.moved, total.updates, total.updateMoved, total.dels,
		total.backoffFlushed, total.leftoverFlushed, handledErrors.Load()-errorsBefore)
	t.Log("events:" + countsTable(total.seen, 55))
	var b strings.Builder
	for _, pl := range slices.Sorted(maps.Keys(total.hints)) {
		fmt.Fprintf(&b, "\n  %s:", pl)
		for _, ev := range slices.Sorted(maps.Keys(total.hints[pl])) {
			n := total.hints[pl][ev]
			fmt.Fprintf(&b, " %s %d/%d", ev, n[0], n[1])
		}
	}
	t.Log("pods rejected by one plugin, moved/left by the changes it registered for:" + b.String())
	if !t.Failed() && seqs >= 300 && *queueOps >= 100 {
		// The generator must reach what it is meant to test.
		for what, n := range map[string]int{"pops": total.pops, "pops from the backoff queue": total.popsFromBackoff,
			"pods moved by events": total.moved, "backoff flushes": total.backoffFlushed,
			"unschedulable-timeout flushes": total.leftoverFlushed, "moves by Update": total.updateMoved} {
			if n < 50 {
				t.Errorf("only %d %s: the generator does not exercise them", n, what)
			}
		}
	}
}

// ---- one sequence

// qseq is one sequence: both queues, the shared virtual clock and the cluster the events are
// about.
type qseq struct {
	t     *testing.T
	seed  uint64
	r     *rand.Rand
	prof  *queueProfiles
	st    *queueStats
	up    *internalqueue.PriorityQueue
	ks    *ksimqueue.Queue[string]
	clk   *testingclock.FakeClock
	start time.Time // the bubble's time at the start
	now   time.Duration
	log   []string

	pending []string // pending pods' names in the order added
	pods    map[string]*v1.Pod
	nodes   []*v1.Node
	bound   []*v1.Pod
	nextID  int
}

var qlogger = logr.Discard()

func runQueueSeq(t *testing.T, seed uint64, ops int, prof *queueProfiles, st *queueStats) {
	stop := make(chan struct{})
	clk := testingclock.NewFakeClock(queueEpoch)
	up := internalqueue.NewPriorityQueue(prof.less, informers.NewSharedInformerFactory(fake.NewClientset(), 0),
		internalqueue.WithClock(clk),
		internalqueue.WithPodInitialBackoffDuration(ksimqueue.DefaultInitialBackoff),
		internalqueue.WithPodMaxBackoffDuration(ksimqueue.DefaultMaxBackoff),
		internalqueue.WithPodMaxInUnschedulablePodsDuration(ksimqueue.DefaultMaxInUnschedulable),
		internalqueue.WithQueueingHintMapPerProfile(prof.hints),
		internalqueue.WithPreEnqueuePluginMap(prof.preEnq),
		internalqueue.WithMetricsRecorder(metrics.NewMetricsAsyncRecorder(64, time.Hour, stop)))
	defer func() {
		up.Close()
		close(stop)
	}()
	s := &qseq{
		t: t, seed: seed, r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), prof: prof, st: st,
		up: up, ks: ksimqueue.New[string](ksimqueue.Config{Profiles: prof.ksim}),
		clk: clk, start: time.Now(), pods: map[string]*v1.Pod{},
	}
	up.Run(qlogger)
	synctest.Wait() // the loops wait for their first tick
	for range 2 + s.r.IntN(4) {
		s.nodes = append(s.nodes, s.newNode())
	}
	for range s.r.IntN(6) {
		s.bound = append(s.bound, s.newBoundPod())
	}
	for range ops {
		// Time passes between operations (at least a millisecond, or up to the next whole
		// second, when the flushes run): no two pods share a timestamp.
		switch x := s.r.IntN(40); {
		case x == 0: // to the next flush of the unschedulable pool
			s.advance(s.now.Truncate(ksimqueue.FlushInterval) + ksimqueue.FlushInterval - s.now)
		case x < 6:
			s.advance(s.now.Truncate(time.Second) + time.Second - s.now)
		default:
			s.advance(time.Millisecond + time.Duration(s.r.ExpFloat64()*float64(150*time.Millisecond)))
		}
		s.step()
		st.ops++
		if s.t.Failed() {
			return
		}
	}
	st.seconds = s.now.Seconds()
}

func (s *qseq) logf(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf("%9.3fs ", s.now.Seconds())+fmt.Sprintf(format, args...))
}

func (s *qseq) fatalf(format string, args ...any) {
	s.t.Helper()
	tail := s.log
	if len(tail) > 40 {
		tail = tail[len(tail)-40:]
	}
	s.t.Fatalf("seed %d at %v: %s\nlast operations:\n  %s", s.seed, s.now, fmt.Sprintf(format, args...), strings.Join(tail, "\n  "))
}

func (s *qseq) seen(key string) {
	if s.st.seen == nil {
		s.st.seen = map[string]int{}
	}
	s.st.seen[key]++
}

// hint counts the verdict on a pod of profile that plugin alone rejected, for a change made of
// evs: under the change's events when the plugin registered one of them (upstream's hint map
// says so), else under "other changes" (where no pod may move).
func (s *qseq) hint(plugin, profile string, evs []fwk.ClusterEvent, suffix string, moved bool) {
	if len(evs) == 0 {
		return
	}
	registered := false
	var labels []string
	for _, e := range evs {
		labels = append(labels, e.Label())
		for reg, fns := range s.prof.hints[profile] {
			registered = registered || framework.MatchClusterEvents(reg, e) &&
				slices.ContainsFunc(fns, func(f *internalqueue.QueueingHintFunction) bool { return f.PluginName == plugin })
		}
	}
	label := "other changes"
	if registered {
		label = strings.Join(labels, "+") + suffix
	}
	if s.st.hints == nil {
		s.st.hints = map[string]map[string][2]int{}
	}
	if s.st.hints[plugin] == nil {
		s.st.hints[plugin] = map[string][2]int{}
	}
	n := s.st.hints[plugin][label]
	if moved {
		n[0]++
	} else {
		n[1]++
	}
	s.st.hints[plugin][label] = n
}

// advance moves both clocks by d, a whole second at a time so that upstream's loops run at
// each of their ticks, and runs ksim's flushes at the same instants.
func (s *qseq) advance(d time.Duration) {
	to := s.now + d
	for tick := s.now.Truncate(time.Second) + time.Second; tick <= to; tick += time.Second {
		s.setTime(tick)
		n := s.ks.FlushBackoffCompleted(tick)
		s.st.backoffFlushed += n
		if tick%ksimqueue.FlushInterval == 0 {
			m := s.ks.FlushUnschedulableLeftover(tick)
			s.st.leftoverFlushed += m
			if m > 0 {
				s.logf("flush: %d pods waited too long", m)
			}
		}
		if n > 0 {
			s.logf("flush: %d pods' backoff ended", n)
		}
		s.compare("the tick at " + tick.String())
	}
	if to > s.now {
		s.setTime(to)
	}
}

// setTime sets the FakeClock (upstream's backoff ticker fires at whole seconds), then lets the
// bubble's clock reach the same instant (wait.Until's 30 s timer of the leftover flush), and
// waits for the loops to be idle again.
func (s *qseq) setTime(t time.Duration) {
	s.clk.SetTime(queueEpoch.Add(t))
	time.Sleep(time.Until(s.start.Add(t)))
	synctest.Wait()
	s.now = t
}

func (s *qseq) step() {
	switch x := s.r.IntN(100); {
	case x < 20:
		s.add()
	case x < 50:
		s.pop()
	case x < 75:
		s.event()
	case x < 83:
		s.update()
	case x < 88:
		s.remove()
	default:
		var d time.Duration
		switch y := s.r.IntN(10); {
		case y < 6:
			d = time.Duration(s.r.Int64N(int64(12 * time.Second)))
		case y < 9:
			d = time.Duration(s.r.Int64N(int64(90 * time.Second)))
		default:
			d = 3*time.Minute + time.Duration(s.r.Int64N(int64(4*time.Minute)))
		}
		s.logf("advance %v", d)
		s.advance(d)
		s.compare("advance")
		return
	}
}

// ---- operations

func (s *qseq) add() {
	p := s.newPendingPod()
	s.pending = append(s.pending, p.Name)
	s.pods[p.Name] = p
	s.logf("add %s %s", p.Name, describeQueuedPod(p))
	s.up.Add(klog.NewContext(context.Background(), qlogger), p)
	s.ks.Add(p.Name, p, s.now)
	s.compare("add " + p.Name)
}

// upstreamPoppable reports whether upstream's Pop returns at once: its active queue or its
// backoff queue (not the error backoff queue) holds a pod (active_queue.go unlockedPop).
func (s *qseq) upstreamPoppable() (ok, fromBackoff bool) {
	if len(s.up.PodsInActiveQ()) > 0 {
		return true, false
	}
	for _, p := range s.up.PodsInBackoffQ() {
		if pi, found := s.up.GetPod(p.Name, p.Namespace, nil); found && (pi.UnschedulablePlugins.Len() > 0 || pi.PendingPlugins.Len() > 0) {
			return true, true
		}
	}
	return false, false
}

func (s *qseq) pop() {
	ok, fromBackoff := s.upstreamPoppable()
	if !ok {
		if item, _, kok := s.ks.Pop(); kok {
			s.fatalf("Pop: upstream's active and backoff queues are empty, ksim popped %s", item)
		}
		s.st.emptyPops++
		s.logf("pop: both empty")
		return
	}
	ent, err := s.up.Pop(qlogger)
	if err != nil || ent == nil {
		s.fatalf("upstream Pop: %v %v", ent, err)
	}
	pi, isPod := ent.(*framework.QueuedPodInfo)
	if !isPod {
		s.fatalf("upstream Pop returned a %T", ent)
	}
	item, _, kok := s.ks.Pop()
	if !kok || item != pi.Pod.Name {
		s.fatalf("Pop: upstream %s (from backoff %v), ksim %q (ok %v)", pi.Pod.Name, fromBackoff, item, kok)
	}
	s.st.pops++
	if fromBackoff {
		s.st.popsFromBackoff++
	}
	name := pi.Pod.Name
	switch x := s.r.IntN(100); {
	case x < 25:
		s.logf("pop %s (backoff %v): scheduled", name, fromBackoff)
		s.up.Done(pi.Pod.UID)
		s.ks.Done(name)
		s.forget(name)
		s.st.done++
		s.compare("done " + name)
		if s.r.IntN(2) == 0 && len(s.nodes) > 0 {
			// Bound: the scheduler's informer sees an assigned pod (eventhandlers.go
			// addAssignedPodToCache).
			b := s.pods[name].DeepCopy()
			b.Spec.NodeName = s.nodes[s.r.IntN(len(s.nodes))].Name
			b.Status.NominatedNodeName = ""
			s.bound = append(s.bound, b)
			s.st.bound++
			s.fire("bound "+name, []fwk.ClusterEvent{framework.EventAssignedPodAdd}, nil, b,
				[]ksimqueue.Event{ksimqueue.AssignedPodAdded(b)}, nil)
		}
		delete(s.pods, name)
	default:
		var plugins []string
		if x < 88 {
			plugins = s.rejectors(pi.Pod)
			s.st.unschedulable++
		} else {
			s.st.errored++
		}
		s.logf("pop %s (backoff %v): failed, plugins %v", name, fromBackoff, plugins)
		// As schedule_one.go's handleSchedulingFailure: a copy, its rejector plugins cleared
		// and set from the fit error, back into the queue at the current scheduling cycle.
		failed := pi.DeepCopy()
		failed.ClearRejectorPlugins()
		if len(plugins) > 0 {
			failed.UnschedulablePlugins = sets.New(plugins...)
		}
		if err := s.up.AddUnschedulablePodIfNotPresent(qlogger, failed, s.up.SchedulingCycle()); err != nil {
			s.fatalf("upstream AddUnschedulablePodIfNotPresent: %v", err)
		}
		s.ks.AddUnschedulable(name, plugins, s.now)
		s.compare("failed " + name)
	}
}

func (s *qseq) forget(name string) {
	s.pending = slices.DeleteFunc(s.pending, func(n string) bool { return n == name })
}

// rejectors picks the plugins that rejected p: one to three of those that could (by what p
// asks for), now and then one more of the profile's.
func (s *qseq) rejectors(p *v1.Pod) []string {
	could := []string{names.NodeUnschedulable, names.TaintToleration, names.NodeResourcesFit}
	if len(p.Spec.NodeSelector) > 0 || (p.Spec.Affinity != nil && p.Spec.Affinity.NodeAffinity != nil) {
		could = append(could, names.NodeAffinity)
	}
	if queueHasHostPorts(p) {
		could = append(could, names.NodePorts)
	}
	if a := p.Spec.Affinity; (a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)) || s.r.IntN(4) == 0 {
		could = append(could, names.InterPodAffinity)
	}
	if len(p.Spec.TopologySpreadConstraints) > 0 || s.r.IntN(8) == 0 {
		could = append(could, names.PodTopologySpread)
	}
	could = slices.DeleteFunc(could, func(pl string) bool { return !slices.Contains(s.prof.reject[p.Spec.SchedulerName], pl) })
	s.r.Shuffle(len(could), func(i, j int) { could[i], could[j] = could[j], could[i] })
	// Most often the plugin of what sets the pod apart (ports, affinity, spreading) is first.
	for i, pl := range could {
		if (pl == names.NodePorts || pl == names.InterPodAffinity && p.Spec.Affinity != nil ||
			pl == names.PodTopologySpread && len(p.Spec.TopologySpreadConstraints) > 0 ||
			pl == names.NodeAffinity) && s.r.IntN(3) > 0 {
			could[0], could[i] = could[i], could[0]
			break
		}
	}
	n := 1
	if s.r.IntN(3) == 0 {
		n += s.r.IntN(min(3, len(could)))
	}
	out := could[:n]
	if s.r.IntN(20) == 0 {
		// Any plugin of the profile, DefaultPreemption included (its hint always says
		// QueueSkip).
		other := qpick(s.r, s.prof.all[p.Spec.SchedulerName])
		if !slices.Contains(out, other) {
			out = append(out, other)
		}
	}
	return slices.Clone(out)
}

func queueHasHostPorts(p *v1.Pod) bool {
	for _, c := range p.Spec.Containers {
		for _, port := range c.Ports {
			if port.HostPort > 0 {
				return true
			}
		}
	}
	return false
}

// fire delivers one change to both queues: upstream's events, each through
// MoveAllToActiveOrBackoffQueue with the objects before and after, and ksim's.
func (s *qseq) fire(what string, upEvs []fwk.ClusterEvent, oldObj, newObj any, ksEvs []ksimqueue.Event, preCheck func(*v1.Pod) bool) {
	s.st.events++
	var upLabels, ksLabels []string
	for _, e := range upEvs {
		upLabels = append(upLabels, e.Label())
	}
	for _, e := range ksEvs {
		ksLabels = append(ksLabels, fmt.Sprintf("%v/%v", e.Resource, e.Action))
	}
	if len(upEvs) != len(ksEvs) {
		s.fatalf("%s: upstream derives events %v, ksim %v", what, upLabels, ksLabels)
	}
	s.logf("%s: events %v", what, upLabels)
	// The pods in the unschedulable pool rejected by one plugin, to count which hints said
	// Queue and which QueueSkip.
	waiting := map[string]string{}
	for _, name := range s.pending {
		if ki, _ := s.ks.Info(name); ki.Location == ksimqueue.Unschedulable && len(ki.Plugins) == 1 {
			waiting[name] = ki.Plugins[0]
		}
	}
	for _, e := range upEvs {
		s.seen("event " + e.Label())
		s.st.upEvents++
		s.up.MoveAllToActiveOrBackoffQueue(qlogger, e, oldObj, newObj, internalqueue.PreEnqueueCheck(preCheck))
	}
	moved := 0
	for _, e := range ksEvs {
		moved += s.ks.MoveAllToActiveOrBackoff(e, s.now, preCheck)
	}
	s.st.moved += moved
	if moved > 0 {
		s.logf("  ksim moved %d", moved)
	}
	s.compare(what)
	suffix := ""
	if preCheck != nil {
		suffix = "(≤prio)"
	}
	for name, plugin := range waiting {
		ki, _ := s.ks.Info(name)
		s.hint(plugin, s.pods[name].Spec.SchedulerName, upEvs, suffix, ki.Location != ksimqueue.Unschedulable)
	}
}

func queueLEPriority(p *v1.Pod) func(*v1.Pod) bool {
	prio := queuePodPriority(p)
	return func(q *v1.Pod) bool { return queuePodPriority(q) <= prio }
}

func queuePodPriority(p *v1.Pod) int32 {
	if p.Spec.Priority != nil {
		return *p.Spec.Priority
	}
	return 0
}

// event is one change of the cluster, as eventhandlers.go reports it to the queue.
func (s *qseq) event() {
	switch x := s.r.IntN(100); {
	case x < 12 || len(s.nodes) == 0:
		n := s.newNode()
		s.nodes = append(s.nodes, n)
		s.fire("node added "+n.Name, []fwk.ClusterEvent{{Resource: fwk.Node, ActionType: fwk.Add}}, nil, n,
			[]ksimqueue.Event{ksimqueue.NodeAdded(n)}, nil)
	case x < 45:
		i := s.r.IntN(len(s.nodes))
		old := s.nodes[i]
		cur, what := s.changeNode(old)
		s.nodes[i] = cur
		s.fire(fmt.Sprintf("node %s updated (%s)", cur.Name, what), framework.NodeSchedulingPropertiesChange(cur, old), old, cur,
			ksimqueue.NodeUpdated(old, cur), nil)
	case x < 50:
		i := s.r.IntN(len(s.nodes))
		n := s.nodes[i]
		s.nodes = slices.Delete(s.nodes, i, i+1)
		s.fire("node deleted "+n.Name, []fwk.ClusterEvent{{Resource: fwk.Node, ActionType: fwk.Delete}}, n, nil,
			[]ksimqueue.Event{ksimqueue.NodeDeleted(n)}, nil)
	case x < 62:
		b := s.newBoundPod()
		s.bound = append(s.bound, b)
		s.fire("assigned pod added "+b.Name, []fwk.ClusterEvent{framework.EventAssignedPodAdd}, nil, b,
			[]ksimqueue.Event{ksimqueue.AssignedPodAdded(b)}, nil)
	case x < 75 && len(s.bound) > 0:
		i := s.r.IntN(len(s.bound))
		old := s.bound[i]
		cur, what := s.changeBoundPod(old)
		s.bound[i] = cur
		s.fire(fmt.Sprintf("assigned pod %s updated (%s)", cur.Name, what), framework.PodSchedulingPropertiesChange(cur, old, false), old, cur,
			ksimqueue.PodUpdated(old, cur, false), nil)
	case x < 92 && len(s.bound) > 0:
		i := s.r.IntN(len(s.bound))
		b := s.bound[i]
		s.bound = slices.Delete(s.bound, i, i+1)
		s.fire("assigned pod deleted "+b.Name, []fwk.ClusterEvent{framework.EventAssignedPodDelete}, b, nil,
			[]ksimqueue.Event{ksimqueue.AssignedPodDeleted(b)}, nil)
	default:
		// A pending pod of no interest to the queues (another scheduler's, say) that held a
		// nominated node is deleted (eventhandlers.go deletePodFromSchedulingQueue): the
		// lower-or-equal priority pods may now use the room.
		p := s.newPendingPod()
		if len(s.nodes) > 0 {
			p.Status.NominatedNodeName = s.nodes[s.r.IntN(len(s.nodes))].Name
		}
		if p.Status.NominatedNodeName == "" {
			s.fire("unnominated pending pod deleted", nil, nil, nil, nil, nil)
			return
		}
		s.fire(fmt.Sprintf("nominated pod deleted %s (priority %d)", p.Name, queuePodPriority(p)), []fwk.ClusterEvent{framework.EventAssignedPodDelete}, p, nil,
			[]ksimqueue.Event{ksimqueue.AssignedPodDeleted(p)}, queueLEPriority(p))
	}
}

// update changes a pending pod (eventhandlers.go updatePodInSchedulingQueue).
func (s *qseq) update() {
	if len(s.pending) == 0 {
		return
	}
	name := s.pending[s.r.IntN(len(s.pending))]
	old := s.pods[name]
	cur, what := s.changePendingPod(old)
	s.pods[name] = cur
	s.st.updates++
	s.logf("update %s (%s)", name, what)
	before, _ := s.ks.Info(name)
	s.up.Update(klog.NewContext(context.Background(), qlogger), old, cur)
	s.ks.Update(name, cur, s.now)
	after, _ := s.ks.Info(name)
	if before.Location == ksimqueue.Unschedulable {
		moved := after.Location != ksimqueue.Unschedulable
		if moved {
			s.st.updateMoved++
			s.logf("  ksim moved it to %v", after.Location)
		}
		if len(before.Plugins) == 1 {
			s.hint(before.Plugins[0], cur.Spec.SchedulerName, framework.PodSchedulingPropertiesChange(cur, old, true), "", moved)
		}
	}
	s.compare("update " + name)
	if old.Status.NominatedNodeName != "" && old.Status.NominatedNodeName != cur.Status.NominatedNodeName {
		s.fire("nomination of "+name+" lost", []fwk.ClusterEvent{framework.EventAssignedPodDelete}, old, nil,
			[]ksimqueue.Event{ksimqueue.AssignedPodDeleted(old)}, queueLEPriority(old))
	}
}

// remove deletes a pending pod (eventhandlers.go deletePodFromSchedulingQueue).
func (s *qseq) remove() {
	if len(s.pending) == 0 {
		return
	}
	name := s.pending[s.r.IntN(len(s.pending))]
	p := s.pods[name]
	s.st.dels++
	s.logf("delete %s", name)
	s.up.Delete(qlogger, p)
	if !s.ks.Remove(name) {
		s.fatalf("ksim Remove(%s): not queued", name)
	}
	s.forget(name)
	delete(s.pods, name)
	s.compare("delete " + name)
	if p.Status.NominatedNodeName != "" {
		s.fire("nominated pod deleted "+name, []fwk.ClusterEvent{framework.EventAssignedPodDelete}, p, nil,
			[]ksimqueue.Event{ksimqueue.AssignedPodDeleted(p)}, queueLEPriority(p))
	}
}

// ---- comparison

// compare checks that every pending pod waits in the same place with the same queueing state.
func (s *qseq) compare(after string) {
	s.t.Helper()
	where := map[string]string{}
	for _, p := range s.up.PodsInActiveQ() {
		where[p.Name] = "active"
	}
	for _, p := range s.up.PodsInBackoffQ() {
		where[p.Name] = "backoff"
	}
	for _, p := range s.up.UnschedulablePods() {
		where[p.Name] = "unschedulable"
	}
	if len(where) != len(s.pending) || s.ks.Len() != len(s.pending) {
		s.fatalf("after %s: %d pending pods, upstream holds %d, ksim %d", after, len(s.pending), len(where), s.ks.Len())
	}
	for _, name := range s.pending {
		pod := s.pods[name]
		pi, ok := s.up.GetPod(name, pod.Namespace, nil)
		if !ok {
			s.fatalf("after %s: upstream lost %s", after, name)
		}
		loc := where[name]
		if loc == "backoff" && pi.UnschedulablePlugins.Len() == 0 && pi.PendingPlugins.Len() == 0 {
			loc = "error-backoff" // backoff_queue.go add: the entityErrorBackoffQ
		}
		ki, ok := s.ks.Info(name)
		if !ok {
			s.fatalf("after %s: ksim lost %s", after, name)
		}
		upPlugins := sets.List(pi.UnschedulablePlugins.Union(pi.PendingPlugins))
		ksPlugins := slices.Sorted(slices.Values(ki.Plugins))
		upEnd := time.Duration(-1)
		if !pi.BackoffExpiration.IsZero() {
			upEnd = pi.BackoffExpiration.Sub(queueEpoch)
		}
		type state struct {
			loc                    string
			ts                     time.Duration
			unschedulable, errored int
			plugins                string
		}
		u := state{loc, pi.Timestamp.Sub(queueEpoch), pi.UnschedulableCount, pi.ConsecutiveErrorsCount, strings.Join(upPlugins, ",")}
		k := state{ki.Location.String(), ki.Timestamp, ki.UnschedulableCount, ki.ConsecutiveErrors, strings.Join(ksPlugins, ",")}
		if u != k || (upEnd >= 0 && upEnd != ki.BackoffEnd) {
			s.fatalf("after %s: pod %s (%s)\n  upstream %+v backoff ends %v\n  ksim     %+v backoff ends %v",
				after, name, describeQueuedPod(pod), u, upEnd, k, ki.BackoffEnd)
		}
		s.st.compared++
	}
}

// ---- generators

var (
	queueZones = []string{"zone-a", "zone-b", "zone-c"}
	queueApps  = []string{"web", "db", "cache"}
	queueTaint = []v1.Taint{
		{Key: "dedicated", Value: "gpu", Effect: v1.TaintEffectNoSchedule},
		{Key: "spot", Value: "true", Effect: v1.TaintEffectPreferNoSchedule},
		{Key: "maintenance", Effect: v1.TaintEffectNoExecute},
		{Key: "dedicated", Value: "infra", Effect: v1.TaintEffectNoSchedule},
	}
)

func qpick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (s *qseq) id(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s%d", prefix, s.nextID)
}

func (s *qseq) newNode() *v1.Node {
	name := s.id("node-")
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1.LabelHostname: name}}}
	if s.r.IntN(5) > 0 {
		n.Labels[v1.LabelTopologyZone] = qpick(s.r, queueZones)
	}
	if s.r.IntN(2) == 0 {
		n.Labels["disk"] = qpick(s.r, []string{"ssd", "hdd"})
	}
	n.Status.Allocatable = v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse(qpick(s.r, []string{"1", "2", "4", "8", "16"})),
		v1.ResourceMemory: resource.MustParse(qpick(s.r, []string{"1Gi", "4Gi", "16Gi", "64Gi"})),
		v1.ResourcePods:   resource.MustParse(qpick(s.r, []string{"110", "110", "10", "1"})),
	}
	if s.r.IntN(4) == 0 {
		n.Status.Allocatable["example.com/gpu"] = resource.MustParse(qpick(s.r, []string{"1", "4"}))
	}
	if s.r.IntN(2) == 0 {
		n.Status.Allocatable[v1.ResourceEphemeralStorage] = resource.MustParse(qpick(s.r, []string{"10Gi", "200Gi"}))
	}
	if s.r.IntN(3) == 0 {
		n.Spec.Taints = []v1.Taint{qpick(s.r, queueTaint)}
	}
	n.Spec.Unschedulable = s.r.IntN(10) == 0
	n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}}
	return n
}

// changeNode returns old with one or two changes (or, now and then, none that matters).
func (s *qseq) changeNode(old *v1.Node) (*v1.Node, string) {
	n := old.DeepCopy()
	var what []string
	for range 1 + s.r.IntN(2) {
		switch s.r.IntN(11) {
		case 0:
			if s.r.IntN(3) == 0 {
				delete(n.Labels, v1.LabelTopologyZone)
			} else {
				n.Labels[v1.LabelTopologyZone] = qpick(s.r, queueZones)
			}
			what = append(what, "zone")
		case 1:
			if _, ok := n.Labels["disk"]; ok && s.r.IntN(2) == 0 {
				delete(n.Labels, "disk")
			} else {
				n.Labels["disk"] = qpick(s.r, []string{"ssd", "hdd"})
			}
			what = append(what, "disk")
		case 2:
			n.Spec.Taints = append(n.Spec.Taints, qpick(s.r, queueTaint))
			what = append(what, "taint added")
		case 3:
			if len(n.Spec.Taints) > 0 {
				i := s.r.IntN(len(n.Spec.Taints))
				n.Spec.Taints = slices.Delete(n.Spec.Taints, i, i+1)
			}
			what = append(what, "taint removed")
		case 4, 5:
			n.Status.Allocatable[v1.ResourceCPU] = resource.MustParse(qpick(s.r, []string{"1", "2", "4", "8", "16", "32"}))
			what = append(what, "cpu")
		case 6:
			n.Status.Allocatable[v1.ResourceMemory] = resource.MustParse(qpick(s.r, []string{"1Gi", "4Gi", "16Gi", "64Gi", "256Gi"}))
			if s.r.IntN(3) == 0 {
				n.Status.Allocatable[v1.ResourceEphemeralStorage] = resource.MustParse(qpick(s.r, []string{"10Gi", "200Gi"}))
			}
			if s.r.IntN(3) == 0 {
				n.Status.Allocatable[v1.ResourcePods] = resource.MustParse(qpick(s.r, []string{"0", "1", "10", "110"}))
			}
			what = append(what, "memory/pods")
		case 7:
			if s.r.IntN(2) == 0 {
				n.Status.Allocatable["example.com/gpu"] = resource.MustParse(qpick(s.r, []string{"1", "2", "8"}))
			} else {
				delete(n.Status.Allocatable, "example.com/gpu")
			}
			what = append(what, "gpu")
		case 8:
			n.Spec.Unschedulable = !n.Spec.Unschedulable
			what = append(what, fmt.Sprintf("unschedulable=%v", n.Spec.Unschedulable))
		case 9:
			n.Status.Conditions[0].Status = qpick(s.r, []v1.ConditionStatus{v1.ConditionTrue, v1.ConditionFalse})
			what = append(what, "ready")
		default:
			if n.Annotations == nil {
				n.Annotations = map[string]string{}
			}
			n.Annotations["note"] = s.id("a")
			what = append(what, "annotation")
		}
	}
	return n, strings.Join(what, ", ")
}

func (s *qseq) containers(n int) []v1.Container {
	var cs []v1.Container
	for i := range n {
		c := v1.Container{Name: fmt.Sprintf("c%d", i), Resources: v1.ResourceRequirements{Requests: v1.ResourceList{}}}
		if cpu := qpick(s.r, []string{"", "100m", "500m", "2", "8", "32"}); cpu != "" {
			c.Resources.Requests[v1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem := qpick(s.r, []string{"", "128Mi", "1Gi", "8Gi", "128Gi"}); mem != "" {
			c.Resources.Requests[v1.ResourceMemory] = resource.MustParse(mem)
		}
		if s.r.IntN(8) == 0 {
			c.Resources.Requests["example.com/gpu"] = resource.MustParse(qpick(s.r, []string{"1", "2"}))
		}
		if s.r.IntN(10) == 0 {
			c.Resources.Requests[v1.ResourceEphemeralStorage] = resource.MustParse(qpick(s.r, []string{"1Gi", "100Gi"}))
		}
		cs = append(cs, c)
	}
	return cs
}

func (s *qseq) hostPort() v1.ContainerPort {
	port := qpick(s.r, []int32{80, 443, 8080})
	return v1.ContainerPort{ContainerPort: port, HostPort: port,
		Protocol: qpick(s.r, []v1.Protocol{v1.ProtocolTCP, v1.ProtocolTCP, v1.ProtocolUDP}),
		HostIP:   qpick(s.r, []string{"", "", "", "0.0.0.0", "10.0.0.1", "10.0.0.2"})}
}

func (s *qseq) affinityTerm() v1.PodAffinityTerm {
	t := v1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": qpick(s.r, queueApps)}},
		TopologyKey:   qpick(s.r, []string{v1.LabelHostname, v1.LabelTopologyZone}),
	}
	switch s.r.IntN(8) {
	case 0:
		t.Namespaces = []string{qpick(s.r, []string{"default", "other"})}
	case 1:
		t.NamespaceSelector = &metav1.LabelSelector{} // every namespace
	case 2:
		t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
	case 3:
		t.LabelSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{qpick(s.r, queueApps)}}}}
	}
	if s.r.IntN(40) == 0 {
		t.LabelSelector = queueInvalidSelector() // the hints' error paths
	}
	return t
}

// affinityTerms is one term, or now and then two.
func (s *qseq) affinityTerms() []v1.PodAffinityTerm {
	ts := []v1.PodAffinityTerm{s.affinityTerm()}
	if s.r.IntN(4) == 0 {
		ts = append(ts, s.affinityTerm())
	}
	return ts
}

// newPod is a pod of any kind; newPendingPod and newBoundPod specialise it.
func (s *qseq) newPod(prefix string) *v1.Pod {
	name := s.id(prefix)
	p := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(fmt.Sprintf("uid-%d-%s", s.seed, name))}}
	if s.r.IntN(6) == 0 {
		p.Namespace = "other"
	}
	if s.r.IntN(5) > 0 {
		p.Labels = map[string]string{"app": qpick(s.r, queueApps)}
	}
	p.Spec.SchedulerName = s.prof.names[0]
	if s.r.IntN(4) == 0 {
		p.Spec.SchedulerName = qpick(s.r, s.prof.names)
	}
	p.Spec.Priority = new(qpick(s.r, []int32{0, 0, 10, 100, 1000, -5}))
	p.Spec.Containers = s.containers(1 + s.r.IntN(2))
	if s.r.IntN(3) == 0 {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, s.hostPort())
	}
	if s.r.IntN(6) == 0 {
		p.Spec.Affinity = &v1.Affinity{PodAntiAffinity: &v1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: s.affinityTerms()}}
	}
	if s.r.IntN(8) == 0 {
		// Preferred terms, which no hint reads (even when they do not parse).
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &v1.Affinity{}
		}
		t := v1.WeightedPodAffinityTerm{Weight: 10, PodAffinityTerm: s.affinityTerm()}
		if s.r.IntN(4) == 0 {
			t.PodAffinityTerm.LabelSelector = queueInvalidSelector()
		}
		if s.r.IntN(2) == 0 {
			p.Spec.Affinity.PodAffinity = &v1.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []v1.WeightedPodAffinityTerm{t}}
		} else {
			if p.Spec.Affinity.PodAntiAffinity == nil {
				p.Spec.Affinity.PodAntiAffinity = &v1.PodAntiAffinity{}
			}
			p.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution = []v1.WeightedPodAffinityTerm{t}
		}
	}
	return p
}

func (s *qseq) newBoundPod() *v1.Pod {
	p := s.newPod("bound-")
	if len(s.nodes) > 0 {
		p.Spec.NodeName = s.nodes[s.r.IntN(len(s.nodes))].Name
	} else {
		p.Spec.NodeName = "gone"
	}
	return p
}

func (s *qseq) newPendingPod() *v1.Pod {
	p := s.newPod("pod-")
	if s.r.IntN(5) == 0 {
		p.Spec.InitContainers = s.containers(1)
		if s.r.IntN(2) == 0 {
			p.Spec.InitContainers[0].RestartPolicy = new(v1.ContainerRestartPolicyAlways) // a sidecar
		}
	}
	if s.r.IntN(10) == 0 {
		p.Spec.Resources = &v1.ResourceRequirements{Requests: v1.ResourceList{
			v1.ResourceCPU: resource.MustParse(qpick(s.r, []string{"1", "6", "40"}))}}
	}
	if s.r.IntN(12) == 0 {
		p.Spec.Overhead = v1.ResourceList{v1.ResourceMemory: resource.MustParse("512Mi")}
	}
	if s.r.IntN(4) == 0 {
		if s.r.IntN(2) == 0 {
			p.Spec.NodeSelector = map[string]string{"disk": qpick(s.r, []string{"ssd", "hdd"})}
		} else {
			p.Spec.NodeSelector = map[string]string{v1.LabelTopologyZone: qpick(s.r, queueZones)}
		}
	}
	if s.r.IntN(6) == 0 {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &v1.Affinity{}
		}
		op := qpick(s.r, []v1.NodeSelectorOperator{v1.NodeSelectorOpIn, v1.NodeSelectorOpNotIn, v1.NodeSelectorOpExists})
		req := v1.NodeSelectorRequirement{Key: v1.LabelTopologyZone, Operator: op}
		if op != v1.NodeSelectorOpExists && s.r.IntN(30) > 0 { // else invalid: In without values
			req.Values = []string{qpick(s.r, queueZones), qpick(s.r, queueZones)}
		}
		p.Spec.Affinity.NodeAffinity = &v1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{
			NodeSelectorTerms: []v1.NodeSelectorTerm{{MatchExpressions: []v1.NodeSelectorRequirement{req}}}}}
	}
	if s.r.IntN(3) == 0 {
		p.Spec.Tolerations = append(p.Spec.Tolerations, s.toleration())
	}
	if s.r.IntN(4) == 0 {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &v1.Affinity{}
		}
		p.Spec.Affinity.PodAffinity = &v1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: s.affinityTerms()}
	}
	if s.r.IntN(4) == 0 {
		c := v1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: qpick(s.r, []string{v1.LabelHostname, v1.LabelTopologyZone}),
			WhenUnsatisfiable: qpick(s.r, []v1.UnsatisfiableConstraintAction{v1.DoNotSchedule, v1.DoNotSchedule, v1.ScheduleAnyway}),
			LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": qpick(s.r, queueApps)}}}
		if s.r.IntN(4) == 0 {
			c.NodeTaintsPolicy = new(v1.NodeInclusionPolicyHonor)
		}
		if s.r.IntN(4) == 0 {
			c.MatchLabelKeys = []string{"v"}
		}
		if s.r.IntN(40) == 0 {
			c.LabelSelector = queueInvalidSelector()
		}
		p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{c}
	}
	if s.r.IntN(8) == 0 && len(s.nodes) > 0 {
		p.Status.NominatedNodeName = s.nodes[s.r.IntN(len(s.nodes))].Name
	}
	return p
}

// queueInvalidSelector is a selector that does not parse (In without values); the API server would
// refuse it, but the hints must handle it (upstream's say Queue, with an error).
func queueInvalidSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}}}
}

func (s *qseq) toleration() v1.Toleration {
	switch s.r.IntN(4) {
	case 0:
		return v1.Toleration{Key: "dedicated", Operator: v1.TolerationOpEqual, Value: qpick(s.r, []string{"gpu", "infra"}), Effect: v1.TaintEffectNoSchedule}
	case 1:
		return v1.Toleration{Key: "maintenance", Operator: v1.TolerationOpExists}
	case 2:
		return v1.Toleration{Key: v1.TaintNodeUnschedulable, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule}
	}
	return v1.Toleration{Operator: v1.TolerationOpExists}
}

// changePendingPod returns a pending pod with one change, as an update from the API server
// would carry it (with a new resourceVersion).
func (s *qseq) changePendingPod(old *v1.Pod) (*v1.Pod, string) {
	p := old.DeepCopy()
	var what string
	x := s.r.IntN(8)
	if (len(p.Spec.TopologySpreadConstraints) > 0 || p.Spec.Affinity != nil) && s.r.IntN(3) == 0 {
		x = 2
	}
	switch x {
	case 0, 1:
		p.Spec.Tolerations = append(p.Spec.Tolerations, s.toleration())
		what = "toleration added"
	case 2:
		if p.Labels == nil || s.r.IntN(3) > 0 {
			p.Labels = map[string]string{"app": qpick(s.r, queueApps), "v": s.id("")}
		} else {
			p.Labels = nil
		}
		what = "labels"
	case 3:
		p.Spec.Priority = new(qpick(s.r, []int32{0, 10, 100, 1000, -5, 5000}))
		what = fmt.Sprintf("priority %d", *p.Spec.Priority)
	case 4:
		c := &p.Spec.Containers[s.r.IntN(len(p.Spec.Containers))]
		if s.r.IntN(2) == 0 {
			delete(c.Resources.Requests, v1.ResourceCPU)
			what = "cpu request removed"
		} else {
			c.Resources.Requests[v1.ResourceCPU] = resource.MustParse(qpick(s.r, []string{"50m", "1", "4"}))
			what = "cpu request set"
		}
	case 5:
		if p.Status.NominatedNodeName != "" {
			p.Status.NominatedNodeName = ""
			what = "nomination cleared"
		} else if len(s.nodes) > 0 {
			p.Status.NominatedNodeName = s.nodes[s.r.IntN(len(s.nodes))].Name
			what = "nominated"
		}
	case 6:
		p.Spec.SchedulingGates = nil // none to remove: a plain update
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations["note"] = s.id("a")
		what = "annotation"
	default:
		p.Spec.Containers[0].Resources.Requests[v1.ResourceMemory] = resource.MustParse(qpick(s.r, []string{"64Mi", "2Gi", "512Gi"}))
		what = "memory request set"
	}
	p.ResourceVersion = s.id("rv")
	return p, what
}

// changeBoundPod returns a bound pod relabelled or resized.
func (s *qseq) changeBoundPod(old *v1.Pod) (*v1.Pod, string) {
	p := old.DeepCopy()
	p.ResourceVersion = s.id("rv")
	switch s.r.IntN(4) {
	case 0:
		p.Labels = map[string]string{"app": qpick(s.r, queueApps)}
		return p, "labels"
	case 1:
		p.Labels = nil
		return p, "labels removed"
	case 2:
		c := &p.Spec.Containers[0]
		c.Resources.Requests[v1.ResourceCPU] = resource.MustParse(qpick(s.r, []string{"10m", "100m", "1", "16"}))
		return p, "cpu resized"
	}
	p.Spec.Containers[0].Resources.Requests = v1.ResourceList{}
	return p, "requests removed"
}

// describeQueuedPod sums up what a pending pod asks for, for the failure messages.
func describeQueuedPod(p *v1.Pod) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("prio %d", queuePodPriority(p)))
	if p.Namespace != "default" {
		parts = append(parts, "ns "+p.Namespace)
	}
	if len(p.Labels) > 0 {
		parts = append(parts, fmt.Sprintf("labels %v", p.Labels))
	}
	if len(p.Spec.NodeSelector) > 0 {
		parts = append(parts, fmt.Sprintf("selector %v", p.Spec.NodeSelector))
	}
	if a := p.Spec.Affinity; a != nil {
		if a.NodeAffinity != nil {
			parts = append(parts, "node affinity")
		}
		if a.PodAffinity != nil {
			parts = append(parts, "pod affinity")
		}
		if a.PodAntiAffinity != nil {
			parts = append(parts, "anti-affinity")
		}
	}
	if len(p.Spec.Tolerations) > 0 {
		parts = append(parts, fmt.Sprintf("%d tolerations", len(p.Spec.Tolerations)))
	}
	if queueHasHostPorts(p) {
		parts = append(parts, "host ports")
	}
	if len(p.Spec.TopologySpreadConstraints) > 0 {
		parts = append(parts, "spread "+string(p.Spec.TopologySpreadConstraints[0].WhenUnsatisfiable))
	}
	if p.Status.NominatedNodeName != "" {
		parts = append(parts, "nominated "+p.Status.NominatedNodeName)
	}
	return strings.Join(parts, ", ")
}
