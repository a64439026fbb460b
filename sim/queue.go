package sim

import (
	"sort"
	"time"
)

// The scheduling queue, as kube-scheduler's (pkg/scheduler/backend/queue/scheduling_queue.go)
// keeps it in outline: pods wait in the active queue, ordered by priority then by the time they
// entered it (PrioritySort); a pod the scheduler rejects goes to the unschedulable pods and
// comes back when the cluster changes (a node added or changed, a pod gone) or after 5 minutes;
// a pod that comes back early waits out its backoff (1 s, doubling, at most 10 s).

const (
	podInitialBackoff          = 1 * time.Second
	podMaxBackoff              = 10 * time.Second
	podMaxInUnschedulable      = 5 * time.Minute  // podMaxInUnschedulablePodsDuration
	unschedulableFlushInterval = 30 * time.Second // flushUnschedulablePodsLeftover period
)

// backoff is a pod's backoff after its n-th failed attempt: 1 s doubled per earlier failure,
// at most 10 s (calculateBackoffDuration).
func backoff(attempts int) time.Duration {
	d := podInitialBackoff
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= podMaxBackoff {
			return podMaxBackoff
		}
	}
	return d
}

// enqueue puts p in the active queue, to be tried at readyAt or later.
func (s *Simulation) enqueue(p *Pod, readyAt time.Duration) {
	if p.queued == notQueued {
		s.pendingChanged(+1)
	}
	p.queued = inActiveQ
	p.queuedAt = s.now
	p.backoffUntil = readyAt
	s.activeQ = append(s.activeQ, p)
	s.wakeCycleAt(readyAt)
}

// dequeue takes p out of whichever queue holds it. Queues drop such entries lazily.
func (s *Simulation) dequeue(p *Pod) {
	if p.queued != notQueued {
		p.queued = notQueued
		s.pendingChanged(-1)
	}
}

// pendingCount is kept by enqueue/dequeue and recorded as the Pending series.
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

// scheduleCycle tries every pod of the active queue whose backoff has passed, in queue order.
// Cost: O(q log q) for the sort plus one Schedule call per pod.
func (s *Simulation) scheduleCycle() {
	var due []*Pod
	later := s.activeQ[:0]
	next := time.Duration(-1)
	for _, p := range s.activeQ {
		if p.queued != inActiveQ {
			continue
		}
		if p.backoffUntil <= s.now {
			due = append(due, p)
		} else {
			later = append(later, p)
			if next < 0 || p.backoffUntil < next {
				next = p.backoffUntil
			}
		}
	}
	for i := len(later); i < len(s.activeQ); i++ {
		s.activeQ[i] = nil
	}
	s.activeQ = later
	sort.SliceStable(due, func(i, j int) bool {
		pi, pj := *due[i].Obj.Spec.Priority, *due[j].Obj.Spec.Priority
		if pi != pj {
			return pi > pj
		}
		if due[i].queuedAt != due[j].queuedAt {
			return due[i].queuedAt < due[j].queuedAt
		}
		return due[i].ID < due[j].ID
	})
	for _, p := range due {
		if p.queued != inActiveQ { // deleted while this cycle ran
			continue
		}
		s.dequeue(p)
		s.setReasons(p, nil)
		explain := len(s.res.Explained) < s.opts.MaxExplained
		res := s.sched.Schedule(s.snap, p.Obj, explain)
		if explain && (res.Node != "" || p.attempts == 0) {
			s.res.Explained = append(s.res.Explained, ExplainedAttempt{T: s.now,
				Pod: p.Obj.Namespace + "/" + p.Obj.Name, Node: res.Node, Reason: res.Reason, Explanation: res.Explanation})
		}
		if res.Node != "" {
			s.bind(p, s.nodeByName[res.Node])
			continue
		}
		s.markUnschedulable(p, res.Reason)
		reasons := make([]string, len(res.Reasons))
		for i, rc := range res.Reasons {
			reasons[i] = rc.Reason
		}
		s.setReasons(p, reasons)
	}
	if next >= 0 {
		s.wakeCycleAt(next)
	}
}

// markUnschedulable parks p until the cluster changes.
func (s *Simulation) markUnschedulable(p *Pod, reason string) {
	p.attempts++
	p.backoffUntil = s.now + backoff(p.attempts)
	p.queued = inUnschedulableQ
	p.unschedulableSince = s.now
	s.pendingChanged(+1)
	s.unschedulable = append(s.unschedulable, p)
	if !p.firstFailureLogged {
		p.firstFailureLogged = true
		s.logf("unschedulable", "pod/"+p.Obj.Namespace+"/"+p.Obj.Name, "%s", reason)
	}
	if s.flushAt == nil {
		s.flushAt = s.schedule(nextFlush(s.now+podMaxInUnschedulable), &event{kind: evFlushUnschedulable})
	}
}

// nextFlush rounds t up to the flush loop's 30 s grid.
func nextFlush(t time.Duration) time.Duration {
	if r := t % unschedulableFlushInterval; r != 0 {
		t += unschedulableFlushInterval - r
	}
	return t
}

// wakeUnschedulable moves every unschedulable pod back to the active queue (each still waits
// out its backoff): the cluster changed in a way that may let it fit.
func (s *Simulation) wakeUnschedulable() {
	if len(s.unschedulable) == 0 {
		return
	}
	for _, p := range s.unschedulable {
		if p.queued != inUnschedulableQ {
			continue
		}
		s.dequeue(p)
		s.enqueue(p, max(s.now, p.backoffUntil))
	}
	clear(s.unschedulable)
	s.unschedulable = s.unschedulable[:0]
}

// flushUnschedulable moves pods that have waited podMaxInUnschedulable back to the active queue.
func (s *Simulation) flushUnschedulable() {
	keep := s.unschedulable[:0]
	var next time.Duration = -1
	for _, p := range s.unschedulable {
		if p.queued != inUnschedulableQ {
			continue
		}
		if s.now-p.unschedulableSince >= podMaxInUnschedulable {
			s.dequeue(p)
			s.enqueue(p, max(s.now, p.backoffUntil))
			continue
		}
		keep = append(keep, p)
		if t := p.unschedulableSince + podMaxInUnschedulable; next < 0 || t < next {
			next = t
		}
	}
	for i := len(keep); i < len(s.unschedulable); i++ {
		s.unschedulable[i] = nil
	}
	s.unschedulable = keep
	if next >= 0 {
		s.flushAt = s.schedule(nextFlush(next), &event{kind: evFlushUnschedulable})
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
