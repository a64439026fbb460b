package sim

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/scheduler/queue"
)

// The scheduling queue is kube-scheduler's (scheduler/queue: active, backoff and error backoff
// queues, the unschedulable pool, queueing hints, the 5-minute flush); this file drives it in
// the engine's virtual time:
//
//   - A scheduling cycle (evScheduleCycle) first does what the 1 s backoff flush would have
//     done by now, then pops and tries pods until the active and backoff queues are empty: an
//     attempt takes no simulated time, so the scheduler drains them at once, as a real one does
//     when it keeps up.
//   - Every change the scheduler's informers would see (a node added, updated or removed, a pod
//     bound, a bound pod gone or terminal, a nomination dropped) becomes a cluster event that
//     moves the unschedulable pods it may help, by the hints of the plugins that rejected them,
//     and wakes a cycle when it moved one.
//   - A cycle is woken for the error backoff queue (pods that failed for no plugin's reason)
//     when its first pod's backoff ends, and evFlushUnschedulable runs the 30 s flush only at
//     the ticks where a pod is due.

// maxAttemptsPerCycle bounds the attempts of one evScheduleCycle; the rest go on in another
// event at the same time, so that a run that keeps requeueing pods hits spec.limits.maxEvents.
const maxAttemptsPerCycle = 100_000

// schedQueue is the engine's scheduling queue and the state around it (preemption.go).
type schedQueue struct {
	q *queue.Queue[*Pod]
	// nominated are the pending pods with a status.nominatedNodeName, by UID.
	nominated map[string]*Pod
	pdbs      []*pdbState
	pdbsStale bool // a pod may have stopped counting as healthy since the PDBs were computed
}

// initQueue makes the queue for the scheduler's profiles and loads the scenario's
// PodDisruptionBudgets.
func (s *Simulation) initQueue(cfg scheduler.Config) {
	profiles := cfg.Profiles
	if len(profiles) == 0 {
		profiles = []scheduler.Profile{scheduler.DefaultProfile()}
	}
	qc := queue.Config{}
	for _, p := range profiles {
		qc.Profiles = append(qc.Profiles, queue.ProfileOf(p))
	}
	s.sq = schedQueue{q: queue.New[*Pod](qc), nominated: map[string]*Pod{}}
	s.initPDBs()
}

// enqueue puts a new pod in the active queue. readyAt is when it may first be tried (now, for
// every caller).
func (s *Simulation) enqueue(p *Pod, readyAt time.Duration) {
	if p.queued == notQueued {
		s.pendingChanged(+1)
	}
	p.queued = inQueue
	s.sq.q.Add(p, p.Obj, s.now)
	s.wakeCycleAt(readyAt)
}

// dequeue takes p out of the queue (it is deleted, or bound without the scheduler).
func (s *Simulation) dequeue(p *Pod) {
	if p.queued != notQueued {
		p.queued = notQueued
		s.pendingChanged(-1)
	}
	s.sq.q.Remove(p)
}

// pendingChanged is kept by enqueue/dequeue and recorded as the Pending series.
func (s *Simulation) pendingChanged(delta int) {
	s.pending += delta
	s.res.Pending.Add(s.now, float64(s.pending))
}

// wakeCycleAt makes sure a scheduling cycle runs at t (or earlier).
func (s *Simulation) wakeCycleAt(t time.Duration) {
	if t < s.now {
		t = s.now
	}
	if s.cycleAt != nil {
		if s.cycleAt.at <= t {
			return
		}
		s.cancel(s.cycleAt)
	}
	s.cycleAt = s.schedule(t, &event{kind: evScheduleCycle})
}

// scheduleCycle tries the pods of the active queue, then of the backoff queue, until both are
// empty. Cost: one ScheduleWithPreemption and O(log q) per attempt.
func (s *Simulation) scheduleCycle() {
	q := s.sq.q
	q.FlushBackoffCompleted(s.now)
	s.sq.pdbsStale = true // pods became ready or stopped being since the last cycle
	for n := 0; ; n++ {
		if n == maxAttemptsPerCycle {
			s.wakeCycleAt(s.now)
			return
		}
		p, _, ok := q.Pop()
		if !ok {
			break
		}
		s.attempt(p)
	}
	if t, ok := q.NextWake(s.now); ok {
		s.wakeCycleAt(t)
	}
}

// attempt runs one scheduling attempt for the popped pod p and acts on the result.
func (s *Simulation) attempt(p *Pod) {
	s.refreshPDBs()
	s.setReasons(p, nil)
	explain := len(s.res.Explained) < s.opts.MaxExplained
	res := s.sched.ScheduleWithPreemption(s.snap, p.Obj, explain)
	if explain && (res.Node != "" || p.attempts == 0) {
		s.res.Explained = append(s.res.Explained, ExplainedAttempt{T: s.now,
			Pod: p.Obj.Namespace + "/" + p.Obj.Name, Node: res.Node, Reason: res.Reason, Explanation: res.Explanation})
	}
	if res.Node != "" {
		s.sq.q.Done(p)
		p.queued = notQueued
		s.pendingChanged(-1)
		s.bind(p, s.nodeByName[res.Node])
		return
	}
	if res.NoProfile {
		s.sq.q.Park(p) // kube-scheduler leaves it to the scheduler it names
	} else {
		s.sq.q.AddUnschedulable(p, res.UnschedulablePlugins, s.now)
	}
	p.attempts++
	if !p.firstFailureLogged {
		p.firstFailureLogged = true
		s.logf("unschedulable", "pod/"+p.Obj.Namespace+"/"+p.Obj.Name, "%s", res.Reason)
	}
	reasons := make([]string, len(res.Reasons))
	for i, rc := range res.Reasons {
		reasons[i] = rc.Reason
	}
	s.setReasons(p, reasons)
	if s.flushAt == nil {
		if t, ok := s.sq.q.NextFlush(); ok {
			s.flushAt = s.schedule(t, &event{kind: evFlushUnschedulable})
		}
	}
	if res.PostFilter != nil {
		s.postFilter(p, res.PostFilter)
	}
}

// flushUnschedulable is the 30 s flush tick: pods that waited 5 minutes leave the pool.
func (s *Simulation) flushUnschedulable() {
	if s.sq.q.FlushUnschedulableLeftover(s.now) > 0 {
		s.wakeCycleAt(s.now)
	}
	if t, ok := s.sq.q.NextFlush(); ok {
		s.flushAt = s.schedule(t, &event{kind: evFlushUnschedulable})
	}
}

// clusterEvent tells the queue of a change; preCheck (nil: all) limits the pods it may move.
func (s *Simulation) clusterEvent(ev queue.Event, preCheck func(*corev1.Pod) bool) {
	if s.sq.q.MoveAllToActiveOrBackoff(ev, s.now, preCheck) > 0 {
		s.wakeCycleAt(s.now)
	}
}

// nodeUpdated tells the queue of a node's change, one event per kind of change.
func (s *Simulation) nodeUpdated(old, cur *corev1.Node) {
	if old == nil {
		s.clusterEvent(queue.NodeAdded(cur), nil)
		return
	}
	for _, ev := range queue.NodeUpdated(old, cur) {
		s.clusterEvent(ev, nil)
	}
}

// podBound records what binding p changes beyond the engine's books: the kubelet's
// status.startTime (preemption prefers to spare older pods), the end of its nomination, and
// the AssignedPod/Add event.
func (s *Simulation) podBound(p *Pod) {
	t := apiTime(s.now)
	p.Obj.Status.StartTime = &t
	if p.Obj.Status.NominatedNodeName != "" {
		// ClearingNominatedNodeNameAfterBinding (beta, on in v1.37); AddPod has dropped the
		// scheduler's record of it.
		p.Obj.Status.NominatedNodeName = ""
		delete(s.sq.nominated, string(p.Obj.UID))
	}
	s.clusterEvent(queue.AssignedPodAdded(p.Obj), nil)
}

// podDeleted tells the queue that p is gone (deleted, or terminal: the scheduler's informer
// drops Succeeded pods). A bound pod frees its node; a pending pod that was nominated frees the
// room it held, for the pods of no higher priority.
func (s *Simulation) podDeleted(p *Pod) {
	if p.Node != nil {
		s.clusterEvent(queue.AssignedPodDeleted(p.Obj), nil)
		return
	}
	s.sq.q.Remove(p)
	if p.Obj.Status.NominatedNodeName != "" {
		s.setNomination(p, "")
	}
}

// lowerOrEqual is upstream's getLEPriorityPreCheck.
func lowerOrEqual(prio int32) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return corev1helpers.PodPriority(p) <= prio }
}

// countPendingAtEnd fills the pending counts of the Result: every queued pod, and those the
// scheduler had rejected at least once.
func (s *Simulation) countPendingAtEnd() {
	for _, p := range s.sq.q.Items() {
		s.res.Pods.PendingAtEnd++
		if p.attempts > 0 {
			s.res.Pods.UnschedulableAtEnd++
		}
	}
}

// setReasons records the reasons that hold p back (nil when it is no longer held back) in the
// per-reason counts of the Result.
func (s *Simulation) setReasons(p *Pod, reasons []string) {
	for _, r := range p.reasons {
		s.reasonCount[r]--
		s.reasonSeries(r).Add(s.now, float64(s.reasonCount[r]))
	}
	p.reasons = reasons
	for _, r := range reasons {
		s.reasonCount[r]++
		s.reasonSeries(r).Add(s.now, float64(s.reasonCount[r]))
	}
}

func (s *Simulation) reasonSeries(reason string) *Series {
	sr, ok := s.reasonSeriesByName[reason]
	if !ok {
		sr = &Series{}
		sr.Add(0, 0)
		s.reasonSeriesByName[reason] = sr
	}
	return sr
}
