// Package sim is ksim's engine: a virtual clock, one typed event queue, the cluster's state, the
// built-in controllers (Deployment/ReplicaSet, Job, DaemonSet, node lifecycle and NoExecute
// eviction, HPA driving) and the metrics pipeline. It drives the scheduler, autoscaler and
// workloads libraries and records a Result.
//
// Everything here is single-threaded and deterministic: a run is a pure function of the
// scenario, its inputs and the seed. There is no wall clock, no goroutine and no iteration over
// a map whose order could leak into the result.
package sim

import (
	"container/heap"
	"fmt"
	"time"
)

// eventKind says what an event does when it fires. Events are typed values, not closures, so
// that the queue holds no hidden state and a trace of the run can name every event.
type eventKind uint8

const (
	evScheduleCycle      eventKind = iota // try to place the pods waiting in the active queue
	evFlushUnschedulable                  // move pods that waited 5 minutes back to the active queue
	evPodStarted                          // containers started (start-up latency elapsed)
	evPodReady                            // readiness delay elapsed
	evPodSucceeded                        // a Job pod finished its task
	evPodGone                             // termination finished: the pod releases its node
	evEvict                               // a NoExecute toleration expired
	evNodeEvent                           // a scenario event (add, fail, taint, ...)
	evNodeNotReady                        // node-monitor grace period after a failure elapsed
	evHPASync                             // one HPA sync
	evSample                              // sample demand and usage for the report
)

var eventKindNames = [...]string{
	evScheduleCycle:      "schedule-cycle",
	evFlushUnschedulable: "flush-unschedulable",
	evPodStarted:         "pod-started",
	evPodReady:           "pod-ready",
	evPodSucceeded:       "pod-succeeded",
	evPodGone:            "pod-gone",
	evEvict:              "evict",
	evNodeEvent:          "node-event",
	evNodeNotReady:       "node-not-ready",
	evHPASync:            "hpa-sync",
	evSample:             "sample",
}

func (k eventKind) String() string { return eventKindNames[k] }

// event is one entry of the queue. Only the fields its kind needs are set.
type event struct {
	at    time.Duration
	seq   uint64 // insertion order: breaks ties between events at the same time
	kind  eventKind
	index int // position in the heap, -1 when not queued (lets Cancel find it in O(log n))

	pod   *Pod
	node  *Node
	hpa   *hpaState
	event int // index into the scenario's events, for evNodeEvent
}

// eventQueue is a min-heap of events ordered by (at, seq). It implements heap.Interface; use
// the Engine's methods rather than calling heap functions directly.
type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *eventQueue) Push(x any) {
	e := x.(*event)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *eventQueue) Pop() any {
	old := *q
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*q = old[:n-1]
	return e
}

// clock is the virtual clock and the event queue. Time is a time.Duration from the run's start.
type clock struct {
	now   time.Duration
	seq   uint64
	queue eventQueue
}

// schedule queues e to fire at time at, which must not be in the past. Cost: O(log n).
func (c *clock) schedule(at time.Duration, e *event) *event {
	if at < c.now {
		panic(fmt.Sprintf("sim: event %v scheduled at %v, before now %v", e.kind, at, c.now))
	}
	e.at = at
	e.seq = c.seq
	c.seq++
	heap.Push(&c.queue, e)
	return e
}

// cancel removes e from the queue if it is queued. Cost: O(log n).
func (c *clock) cancel(e *event) {
	if e != nil && e.index >= 0 {
		heap.Remove(&c.queue, e.index)
	}
}

// next pops the earliest event and advances the clock to it. Cost: O(log n).
func (c *clock) next() *event {
	e := heap.Pop(&c.queue).(*event)
	c.now = e.at
	return e
}

// LimitError reports that a run hit one of its limits.
type LimitError struct {
	Limit string // "maxEvents", "maxPods"
	Value int64
	At    time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("run stopped at t=%v: limit %s=%d reached (raise spec.limits.%s in the scenario if this run is meant to be that large)",
		e.At, e.Limit, e.Value, e.Limit)
}
