package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	resourcehelper "k8s.io/component-helpers/resource"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/sim/scenario"
)

// Options are the settings of one run that are not part of the scenario.
type Options struct {
	// Seed, when SeedSet, replaces the scenario's spec.seed.
	Seed    uint64
	SeedSet bool
	// CheckInvariants checks the cluster's invariants after every event (for tests; it costs
	// O(pods + nodes) per event). A violation stops the run with an error.
	CheckInvariants bool
	// MaxExplained is how many scheduling attempts keep the scheduler's full explanation in
	// the Result (see Result.Explained); 0 keeps none. Explaining costs O(nodes × plugins) per
	// attempt, in time and memory.
	MaxExplained int
	// Progress, when set, is called every ProgressEvery events with the simulated time reached.
	// The engine never reads a wall clock: the caller decides whether to print.
	Progress func(now, horizon time.Duration, events int64)
}

// ProgressEvery is how many events pass between two calls of Options.Progress.
const ProgressEvery = 1 << 16

// epoch is the wall-clock instant that simulated time 0 stands for in API objects
// (creationTimestamp and the like). It is fixed so that outputs do not depend on when a run ran.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Simulation is one run in progress. It is not safe for concurrent use.
type Simulation struct {
	sc   *scenario.Scenario
	opts Options
	seed uint64
	clock

	sched *scheduler.Scheduler
	snap  *scheduler.Snapshot
	names *rand.Rand

	nodes           []*Node // in order of addition
	nodeByName      map[string]*Node
	owners          []*Owner // in scenario order
	hpas            []*hpaState
	loads           []*loadState
	priorities      map[string]int32 // PriorityClass name → value
	defaultPriority int32

	sq      schedQueue // the scheduling queue (queue.go, preemption.go)
	cycleAt *event     // the next queued evScheduleCycle, if any
	flushAt *event

	reasonCount        map[string]int
	reasonSeriesByName map[string]*Series

	// servingEpoch moves whenever a pod may have started or stopped serving load; owners cache
	// their count of serving pods per epoch.
	servingEpoch uint64
	// nodesEpoch moves whenever a node goes down, comes back or is removed (nodeUpChanged).
	nodesEpoch uint64

	nextPodID int64
	pending   int // pods in the active or unschedulable queue
	livePods  int
	events    int64
	res       Result
}

// New builds a simulation of sc. It returns an error for scenario content the engine cannot run
// (the loader has already validated the rest).
func New(sc *scenario.Scenario, opts Options) (*Simulation, error) {
	seed := sc.Seed
	if opts.SeedSet {
		seed = opts.Seed
	}
	s := &Simulation{
		sc:         sc,
		opts:       opts,
		seed:       seed,
		snap:       scheduler.NewSnapshot(),
		names:      newStream(seed, streamNames),
		nodeByName: map[string]*Node{},
		priorities: map[string]int32{},

		reasonCount:        map[string]int{},
		reasonSeriesByName: map[string]*Series{},
	}
	s.clock.queue = make(eventQueue, 0, 1024)
	cfg := scheduler.Config{}
	if f := sc.SchedulerConfig; f != nil {
		parsed, err := scheduler.ParseConfig(f.Path, f.Data)
		if err != nil {
			return nil, err
		}
		cfg = *parsed
	}
	sched, err := scheduler.New(cfg, newStream(seed, streamScheduler))
	if err != nil {
		return nil, err
	}
	s.sched = sched
	s.initQueue(cfg)
	s.res = Result{Scenario: sc.Name, Seed: seed}

	for _, pc := range sc.PriorityClasses {
		s.priorities[pc.Name] = pc.Value
		if pc.GlobalDefault {
			s.defaultPriority = pc.Value
		}
	}
	for _, ns := range sc.Namespaces {
		s.snap.UpsertNamespace(ns)
	}
	for _, n := range sc.Nodes {
		s.addNode(n.DeepCopy())
	}
	if err := s.addWorkloads(); err != nil {
		return nil, err
	}
	for i, ev := range sc.Events {
		s.schedule(ev.At, &event{kind: evNodeEvent, event: i})
	}
	if sc.Controllers.SampleInterval > 0 {
		s.schedule(0, &event{kind: evSample})
	}
	s.res.Settings = s.settings()
	for _, h := range s.hpas {
		s.recordHPATarget(h.res)
	}
	return s, nil
}

// Run processes events until the horizon, the end of the queue, or a limit. It returns the
// Result, and an error when the run stopped early (a *LimitError, or a broken invariant).
func (s *Simulation) Run() (*Result, error) {
	horizon := s.sc.Duration
	maxEvents := s.sc.Limits.MaxEvents
	var runErr error
	for len(s.queue) > 0 {
		if s.queue[0].at > horizon {
			break
		}
		if maxEvents > 0 && s.events >= maxEvents {
			runErr = &LimitError{Limit: "maxEvents", Value: maxEvents, At: s.now}
			break
		}
		e := s.next()
		s.events++
		if err := s.dispatch(e); err != nil {
			runErr = err
			break
		}
		if s.opts.CheckInvariants {
			if err := s.checkInvariants(); err != nil {
				runErr = fmt.Errorf("t=%v after %v event: invariant broken: %w", s.now, e.kind, err)
				break
			}
		}
		if s.opts.Progress != nil && s.events%ProgressEvery == 0 {
			s.opts.Progress(s.now, horizon, s.events)
		}
	}
	end := horizon
	if runErr != nil {
		end = s.now
	}
	s.finish(end)
	return &s.res, runErr
}

// dispatch runs one event.
func (s *Simulation) dispatch(e *event) error {
	switch e.kind {
	case evScheduleCycle:
		s.cycleAt = nil
		s.scheduleCycle()
	case evFlushUnschedulable:
		s.flushAt = nil
		s.flushUnschedulable()
	case evPodStarted:
		e.pod.timer = nil
		s.podStarted(e.pod)
	case evPodReady:
		e.pod.timer = nil
		s.podReady(e.pod)
	case evPodSucceeded:
		e.pod.timer = nil
		s.podSucceeded(e.pod)
	case evPodGone:
		e.pod.timer = nil
		s.podGone(e.pod)
	case evEvict:
		e.pod.eviction = nil
		s.evict(e.pod, "NoExecute toleration expired")
	case evNodeEvent:
		return s.nodeEvent(&s.sc.Events[e.event])
	case evNodeNotReady:
		e.node.notReadyTimer = nil
		s.nodeNotReady(e.node)
	case evHPASync:
		s.hpaSync(e.hpa)
	case evSample:
		s.sample()
		s.sampleNodes()
		s.schedule(s.now+s.sc.Controllers.SampleInterval, &event{kind: evSample})
	default:
		panic(fmt.Sprintf("sim: unknown event kind %d", e.kind))
	}
	if s.livePods > s.sc.Limits.MaxPods && s.sc.Limits.MaxPods > 0 {
		return &LimitError{Limit: "maxPods", Value: int64(s.sc.Limits.MaxPods), At: s.now}
	}
	return nil
}

// finish completes the Result at the end of the run.
func (s *Simulation) finish(end time.Duration) {
	s.res.Duration = end
	s.res.Events = s.events
	s.countPendingAtEnd()
	s.sample()
	s.sampleNodes()
	reasons := make([]string, 0, len(s.reasonSeriesByName))
	for r := range s.reasonSeriesByName {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		s.res.Unschedulable = append(s.res.Unschedulable, ReasonSeries{Reason: r, Pods: *s.reasonSeriesByName[r]})
	}
	for _, h := range s.hpas {
		s.res.HPAs = append(s.res.HPAs, *h.res)
	}
	for _, n := range s.nodes {
		s.res.Nodes = append(s.res.Nodes, *n.result)
	}
}

// logf appends a line to the run's timeline.
func (s *Simulation) logf(kind, object, format string, args ...any) {
	s.res.Log = append(s.res.Log, LogEntry{T: s.now, Kind: kind, Object: object, Detail: fmt.Sprintf(format, args...)})
}

// apiTime is the API timestamp of simulated time t (second precision, as the API serialises it).
func apiTime(t time.Duration) metav1.Time {
	return metav1.NewTime(epoch.Add(t.Truncate(time.Second)))
}

// ---- nodes ----

// addNode adds a node to the cluster and the scheduler's snapshot.
func (s *Simulation) addNode(obj *corev1.Node) *Node {
	if obj.Status.Allocatable == nil {
		obj.Status.Allocatable = obj.Status.Capacity
	}
	n := &Node{Obj: obj, Name: obj.Name, Up: true}
	n.allocCPU = obj.Status.Allocatable.Cpu().MilliValue()
	n.allocMem = obj.Status.Allocatable.Memory().Value()
	n.allocPods = obj.Status.Allocatable.Pods().Value()
	n.result = &NodeResult{Name: n.Name, Zone: obj.Labels[corev1.LabelTopologyZone], Pool: poolOf(obj.Labels), AllocatableCPU: n.allocCPU}
	n.result.RequestedCPU.Add(s.now, 0)
	s.nodes = append(s.nodes, n)
	s.nodeByName[n.Name] = n
	s.snap.UpsertNode(obj)
	return n
}

// nodeChanged tells the scheduler about a change to n's API object, and wakes the pods that
// the change may have made schedulable.
func (s *Simulation) nodeChanged(n *Node) {
	old := s.snap.Node(n.Name)
	s.snap.UpsertNode(n.Obj)
	s.nodeUpdated(old, n.Obj)
	s.reconcileDaemonSets()
}

// ---- pods ----

// podTemplateHash is a stable stand-in for the ReplicaSet's pod-template-hash label.
func podTemplateHash(name string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return randomSuffix(rand.New(rand.NewPCG(uint64(h), 0)), 10)
}

// randomSuffix draws n characters from the alphabet upstream uses for generated names
// (k8s.io/apimachinery/pkg/util/rand: no vowels, no confusable digits).
func randomSuffix(r *rand.Rand, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// newPod creates a pod of owner o from its template (spec may be a modified copy of it) and
// puts it in the scheduling queue.
func (s *Simulation) newPod(o *Owner, name string, spec corev1.PodSpec) *Pod {
	s.nextPodID++
	tmpl := o.Template
	obj := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Namespace:         o.Namespace,
			UID:               types.UID(fmt.Sprintf("ksim-%08d", s.nextPodID)),
			Labels:            tmpl.Labels,
			Annotations:       tmpl.Annotations,
			OwnerReferences:   o.ownerRefs,
			CreationTimestamp: apiTime(s.now),
		},
		Spec: spec,
	}
	if o.podLabels != nil {
		obj.Labels = o.podLabels
	}
	if obj.Spec.SchedulerName == "" {
		obj.Spec.SchedulerName = corev1.DefaultSchedulerName
	}
	// Priority admission: resolve the PriorityClass into spec.priority.
	prio := s.defaultPriority
	if v, ok := s.priorities[spec.PriorityClassName]; ok {
		prio = v
	}
	obj.Spec.Priority = &prio
	p := &Pod{ID: s.nextPodID, Obj: obj, Owner: o, CreatedAt: s.now,
		reqCPU: o.reqCPU, reqMem: o.reqMem, limitCPU: o.limitCPU}
	o.Pods = append(o.Pods, p)
	o.podsChanged()
	o.podsCreated++
	s.livePods++
	s.res.Pods.Created++
	s.enqueue(p, s.now)
	return p
}

// podResources computes the requests the scheduler and the HPA see for a pod spec, as upstream
// computes them (k8s.io/component-helpers/resource: init containers, sidecars, overhead).
func podResources(spec *corev1.PodSpec) (reqCPU, reqMem, limitCPU int64) {
	pod := &corev1.Pod{Spec: *spec}
	req := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	lim := resourcehelper.PodLimits(pod, resourcehelper.PodResourcesOptions{})
	return req.Cpu().MilliValue(), req.Memory().Value(), lim.Cpu().MilliValue()
}

// bind puts p on node n.
func (s *Simulation) bind(p *Pod, n *Node) {
	p.Node = n
	p.Phase = PodBound
	p.BoundAt = s.now
	p.Owner.podsChanged()
	p.Obj.Spec.NodeName = n.Name
	n.pods = append(n.pods, p)
	n.reqCPU += p.reqCPU
	n.reqMem += p.reqMem
	n.result.RequestedCPU.Add(s.now, float64(n.reqCPU))
	s.snap.AddPod(p.Obj)
	s.res.Pods.Scheduled++
	s.res.PendingSeconds = append(s.res.PendingSeconds, (s.now - p.CreatedAt).Seconds())
	s.res.Placements = append(s.res.Placements, Placement{T: s.now, Pod: p.Obj.Namespace + "/" + p.Obj.Name,
		Owner: p.Owner.Key(), Node: n.Name, Attempts: p.attempts, Pending: s.now - p.CreatedAt})
	p.timer = s.schedule(s.now+p.Owner.Timing.StartupLatency, &event{kind: evPodStarted, pod: p})
	s.podBound(p)
	// A pod bound to a node that already carries NoExecute taints is subject to them at once.
	s.applyNoExecute(p)
}

func (s *Simulation) podStarted(p *Pod) {
	p.Phase = PodRunning
	p.StartedAt = s.now
	p.Owner.podsChanged()
	p.timer = s.schedule(s.now+p.Owner.Timing.ReadinessDelay, &event{kind: evPodReady, pod: p})
	if p.Owner.Kind == KindJob {
		// The task runs from the start of the containers, whether or not the pod reports ready.
		s.cancel(p.timer)
		p.timer = s.schedule(s.now+p.Owner.Timing.TaskDuration, &event{kind: evPodSucceeded, pod: p})
	}
}

func (s *Simulation) podReady(p *Pod) {
	s.servingChanged()
	p.Phase = PodReady
	p.ReadyAt = s.now
	p.Owner.podsChanged()
	s.recordReady(p.Owner)
}

// podSucceeded ends a Job pod's task: it releases its node and the Job may start another.
func (s *Simulation) podSucceeded(p *Pod) {
	s.release(p)
	s.podDeleted(p) // a terminal pod leaves the scheduler's view
	p.Phase = PodSucceeded
	p.Owner.podsChanged()
	s.res.Pods.Succeeded++
	o := p.Owner
	o.Succeeded++
	if o.Succeeded == o.Completions {
		s.logf("job", "job/"+o.Namespace+"/"+o.Name, "complete: %d/%d pods succeeded", o.Succeeded, o.Completions)
	}
	s.forget(p)
	s.reconcile(o)
}

// deletePod starts the deletion of p: it stops counting for its owner at once and releases its
// node after the owner's termination delay. Pods that never reached a node go at once.
func (s *Simulation) deletePod(p *Pod) {
	if !p.active() {
		return
	}
	wasServing := p.serving()
	s.servingChanged()
	p.Deleting = true
	p.Owner.podsChanged()
	p.Obj.DeletionTimestamp = ptrTime(apiTime(s.now))
	s.cancel(p.eviction)
	p.eviction = nil
	if p.Node == nil {
		s.dequeue(p)
		s.setReasons(p, nil)
		s.podGone(p)
		return
	}
	s.cancel(p.timer)
	p.timer = s.schedule(s.now+p.Owner.Timing.TerminationDelay, &event{kind: evPodGone, pod: p})
	if wasServing {
		s.recordReady(p.Owner)
	}
}

func ptrTime(t metav1.Time) *metav1.Time { return &t }

// podGone removes a deleted pod for good.
func (s *Simulation) podGone(p *Pod) {
	s.cancel(p.timer)
	p.timer = nil
	s.release(p)
	p.Phase = PodTerminated
	p.Owner.podsChanged()
	s.forget(p)
	s.podDeleted(p)
}

// release frees the node resources p holds.
func (s *Simulation) release(p *Pod) {
	n := p.Node
	if n == nil {
		return
	}
	for i, q := range n.pods {
		if q == p {
			n.pods = append(n.pods[:i], n.pods[i+1:]...)
			break
		}
	}
	n.reqCPU -= p.reqCPU
	n.reqMem -= p.reqMem
	n.result.RequestedCPU.Add(s.now, float64(n.reqCPU))
	if !n.Removed {
		s.snap.RemovePod(p.Obj)
	}
	s.cancel(p.eviction)
	p.eviction = nil
}

// forget drops a pod that no longer exists (succeeded or gone) from its owner's list.
func (s *Simulation) forget(p *Pod) {
	o := p.Owner
	for i, q := range o.Pods {
		if q == p {
			o.Pods = append(o.Pods[:i], o.Pods[i+1:]...)
			o.podsChanged()
			break
		}
	}
	if o.daemonNodes != nil && o.daemonNodes[p.daemonNode] == p {
		delete(o.daemonNodes, p.daemonNode)
	}
	s.livePods--
}

// sortedPods returns the pods of a node ordered by ID (binding order can differ).
func sortedPods(pods []*Pod) []*Pod {
	out := append([]*Pod(nil), pods...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// deploymentReplicas reads spec.replicas with the API default of 1.
func deploymentReplicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// servingChanged marks that some pod may have started or stopped serving load: it invalidates
// every owner's cached count of serving pods. Cost: O(1).
func (s *Simulation) servingChanged() { s.servingEpoch++ }

// nodeUpChanged notes that a node went down or came back: pods' metrics and serving depend on
// it, across owners (see Owner.podsEpoch for the owners' own changes).
func (s *Simulation) nodeUpChanged() { s.nodesEpoch++ }
