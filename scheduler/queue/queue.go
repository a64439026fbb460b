// Package queue is kube-scheduler v1.37's scheduling queue (pkg/scheduler/backend/queue,
// PriorityQueue) for single pods, in virtual time: the caller passes the time to every call and
// the queue never reads a clock, starts a goroutine or ranges over a map in a way that shows.
//
// A pending pod is in one of these places:
//
//   - the active queue, ordered by the PrioritySort plugin: higher spec.priority first, then the
//     earlier time the pod entered the queue or last failed;
//   - the backoff queue, for a pod an event made worth retrying while its backoff (1 s, doubled
//     at each failure, at most 10 s) still runs. Ordered by the end of the backoff, aligned down
//     to the whole second, then as the active queue. Pop takes from it when the active queue is
//     empty (SchedulerPopFromBackoffQ, on in v1.37), and FlushBackoffCompleted moves the pods
//     whose backoff ended to the active queue (upstream runs it every second);
//   - the error backoff queue, the same for pods that failed for no plugin's reason (an error,
//     no nodes): only FlushBackoffCompleted takes them out;
//   - the unschedulable pool, for a pod the plugins rejected. A cluster event moves it out
//     (MoveAllToActiveOrBackoff) when one of the plugins that rejected it registered the event
//     and that plugin's queueing hint says the event may help; FlushUnschedulableLeftover moves
//     out the pods that waited more than 5 minutes (upstream runs it every 30 s);
//   - in flight between Pop and the caller's Done, AddUnschedulable or Park.
//
// The events each plugin registers and its hints are in hints.go.
//
// # Where ksim differs from kube-scheduler, on purpose
//
//   - Ties upstream leaves to heap order (equal priority and timestamp, equal backoff end) are
//     broken by the order in which pods were first added.
//   - A scheduling attempt takes no time, so no event arrives while a pod is in flight: a failed
//     pod goes straight to the unschedulable pool (or, without plugins to blame, to the error
//     backoff queue).
//   - PreEnqueue plugins are not run: of the default profile's, SchedulingGates (pods with
//     scheduling gates) is not modelled, and DefaultPreemption's only holds a pod back while its
//     victims' deletion is in flight, which takes no time here.
//   - The nominator (pods nominated to nodes by preemption) is the scheduler's Snapshot, not
//     the queue.
//   - Pod groups (GenericWorkload, off by default in v1.37) are not modelled.
package queue

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
)

// The defaults of kube-scheduler v1.37 (scheduling_queue.go, backoff_queue.go).
const (
	DefaultInitialBackoff     = 1 * time.Second
	DefaultMaxBackoff         = 10 * time.Second
	DefaultMaxInUnschedulable = 5 * time.Minute // podMaxInUnschedulablePodsDuration
	// FlushInterval is the period of flushUnschedulablePodsLeftover, from the scheduler's start.
	FlushInterval = 30 * time.Second
	// BackoffWindow is the backoff queue's ordering window and the period of
	// flushBackoffQCompleted: backoff ends are aligned down to it.
	BackoffWindow = time.Second
)

// Config sets the queue's durations (zero: the defaults) and the profiles whose plugins'
// events and hints it applies.
type Config struct {
	InitialBackoff     time.Duration
	MaxBackoff         time.Duration
	MaxInUnschedulable time.Duration
	Profiles           []Profile
}

// Location is where a queued pod waits.
type Location uint8

const (
	Active Location = iota + 1
	Backoff
	ErrorBackoff
	Unschedulable
	InFlight
	// Parked pods stay pending and are never retried: no profile is for them (upstream's
	// scheduler ignores pods meant for another scheduler).
	Parked
)

var locationNames = [...]string{"", "active", "backoff", "error-backoff", "unschedulable", "in-flight", "parked"}

func (l Location) String() string { return locationNames[l] }

// Info describes one queued pod.
type Info struct {
	Location Location
	// Timestamp is when the pod entered the queue or last failed: PrioritySort's tie-break.
	Timestamp time.Duration
	// UnschedulableCount counts the failures the plugins explained; ConsecutiveErrors the
	// failures since the last such one that they did not.
	UnschedulableCount, ConsecutiveErrors int
	// BackoffEnd is when the pod's backoff ends, aligned down to the whole second; negative
	// when it has none.
	BackoffEnd time.Duration
	// Plugins are the plugins that rejected it last.
	Plugins []string
}

// Queue holds pending pods, each identified by an item of type T (the caller's handle on the
// pod) and carrying its API object. Not safe for concurrent use.
//
//	operation                    cost
//	Add, Pop, Done, Remove       O(log n)
//	AddUnschedulable, Park       O(log n)
//	Update                       O(log n), or O(hints) for a pod in the unschedulable pool
//	MoveAllToActiveOrBackoff     O(unschedulable pods × hints of their rejecting plugins)
//	FlushBackoffCompleted        O(moved × log n)
//	FlushUnschedulableLeftover   O(unschedulable pods)
type Queue[T comparable] struct {
	cfg      Config
	profiles map[string]*profileRegs
	interest []ClusterEvent

	entries    map[T]*entry[T]
	active     entryHeap[T]
	backoff    entryHeap[T]
	errBackoff entryHeap[T]
	pool       []*entry[T] // the unschedulable pool in the order pods entered it; nil where left
	poolLen    int
	seq        uint64
}

type profileRegs struct {
	prof Profile
	regs map[string][]registration
}

type entry[T comparable] struct {
	item T
	qp   queuedPod
	seq  uint64
	loc  Location

	timestamp     time.Duration
	unschedulable int
	errors        int
	backoffEnd    time.Duration
	backoffSet    bool
	plugins       []string

	heapIdx int
	poolIdx int
}

// New returns an empty queue.
func New[T comparable](cfg Config) *Queue[T] {
	if cfg.InitialBackoff == 0 {
		cfg.InitialBackoff = DefaultInitialBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxInUnschedulable == 0 {
		cfg.MaxInUnschedulable = DefaultMaxInUnschedulable
	}
	q := &Queue[T]{cfg: cfg, profiles: map[string]*profileRegs{}, entries: map[T]*entry[T]{}}
	q.active.less = q.lessActive
	q.backoff.less = func(a, b *entry[T]) bool {
		if a.backoffEnd != b.backoffEnd {
			return a.backoffEnd < b.backoffEnd
		}
		return q.lessActive(a, b)
	}
	q.errBackoff.less = func(a, b *entry[T]) bool {
		if a.backoffEnd != b.backoffEnd {
			return a.backoffEnd < b.backoffEnd
		}
		return a.seq < b.seq
	}
	for _, p := range cfg.Profiles {
		name := p.SchedulerName
		if name == "" {
			name = corev1.DefaultSchedulerName
		}
		pr := &profileRegs{prof: p, regs: map[string][]registration{}}
		for _, pl := range p.Plugins {
			pr.regs[pl] = registrationsOf(pl, p)
			for _, r := range pr.regs[pl] {
				if !slices.Contains(q.interest, r.event) {
					q.interest = append(q.interest, r.event)
				}
			}
		}
		q.profiles[name] = pr
	}
	return q
}

// lessActive is PrioritySort's Less, ties broken by the order pods were added.
func (q *Queue[T]) lessActive(a, b *entry[T]) bool {
	pa, pb := corev1helpers.PodPriority(a.qp.pod), corev1helpers.PodPriority(b.qp.pod)
	if pa != pb {
		return pa > pb
	}
	if a.timestamp != b.timestamp {
		return a.timestamp < b.timestamp
	}
	return a.seq < b.seq
}

// Len returns the number of pods in the queue, in flight and parked ones included.
func (q *Queue[T]) Len() int { return len(q.entries) }

// Info returns where item's pod waits and its queueing state.
func (q *Queue[T]) Info(item T) (Info, bool) {
	e, ok := q.entries[item]
	if !ok {
		return Info{}, false
	}
	end := q.backoffTime(e)
	if end == noBackoff {
		end = -1
	}
	return Info{Location: e.loc, Timestamp: e.timestamp, UnschedulableCount: e.unschedulable,
		ConsecutiveErrors: e.errors, BackoffEnd: end, Plugins: slices.Clone(e.plugins)}, true
}

// Items returns the queued items in the order they were first added. O(n log n).
func (q *Queue[T]) Items() []T {
	es := make([]*entry[T], 0, len(q.entries))
	for _, e := range q.entries {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry[T]) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]T, len(es))
	for i, e := range es {
		out[i] = e.item
	}
	return out
}

// Add puts a new pending pod in the active queue at time now (upstream Add). Adding an item
// that is already queued is a caller's bug and panics.
func (q *Queue[T]) Add(item T, pod *corev1.Pod, now time.Duration) {
	if _, dup := q.entries[item]; dup {
		panic(fmt.Sprintf("queue: Add of %s/%s, already queued", pod.Namespace, pod.Name))
	}
	q.seq++
	e := &entry[T]{item: item, qp: queuedPod{pod: pod}, seq: q.seq, timestamp: now, heapIdx: -1, poolIdx: -1}
	q.entries[item] = e
	q.toActive(e)
}

// Pop takes the next pod to schedule: the head of the active queue or, when it is empty, of
// the backoff queue, whether or not its backoff has ended (upstream's SchedulerPopFromBackoffQ).
// The pod is then in flight until Done, AddUnschedulable, Park or Remove. ok is false when
// neither queue holds a pod.
func (q *Queue[T]) Pop() (item T, pod *corev1.Pod, ok bool) {
	var e *entry[T]
	switch {
	case q.active.len() > 0:
		e = q.active.pop()
	case q.backoff.len() > 0:
		e = q.backoff.pop()
	default:
		return item, nil, false
	}
	e.loc = InFlight
	return e.item, e.qp.pod, true
}

// Done removes a pod that was scheduled (or otherwise left the queue while in flight).
func (q *Queue[T]) Done(item T) { q.Remove(item) }

// Remove takes item's pod out of the queue wherever it is (upstream Delete). It reports
// whether it was queued.
func (q *Queue[T]) Remove(item T) bool {
	e, ok := q.entries[item]
	if !ok {
		return false
	}
	q.detach(e)
	delete(q.entries, item)
	return true
}

// AddUnschedulable returns an in-flight pod whose attempt failed at time now; plugins are the
// plugins that rejected it (scheduler.Result.UnschedulablePlugins), none when the attempt
// failed for another reason. As upstream's AddUnschedulablePodIfNotPresent, it counts the
// failure, restarts the pod's backoff from now and, since no event arrived in flight, parks it
// in the unschedulable pool, or (without plugins) in the error backoff queue. Calling it for a
// pod not in flight is a caller's bug and panics.
func (q *Queue[T]) AddUnschedulable(item T, plugins []string, now time.Duration) {
	e := q.inFlight(item, "AddUnschedulable")
	if len(plugins) == 0 {
		e.errors++
	} else {
		e.unschedulable++
		e.errors = 0
	}
	e.plugins = append(e.plugins[:0], plugins...)
	e.timestamp, e.backoffSet = now, false
	strategy := queueSkip
	if len(plugins) == 0 {
		strategy = queueAfterBackoff // determineSchedulingHintForInFlightPod
	}
	q.requeue(e, strategy, now)
}

// Park keeps an in-flight pod pending for good: it is never retried (no profile is for it).
func (q *Queue[T]) Park(item T) {
	e := q.inFlight(item, "Park")
	e.loc = Parked
}

func (q *Queue[T]) inFlight(item T, op string) *entry[T] {
	e, ok := q.entries[item]
	if !ok || e.loc != InFlight {
		panic(fmt.Sprintf("queue: %s of a pod that is not in flight", op))
	}
	return e
}

// Update replaces item's pod object (upstream Update for a pod in the queue). A pod in the
// unschedulable pool is requeued when the change is one of its rejecting plugins' events and
// their hint says it may help (a new toleration, new labels, a smaller request). It reports
// whether item is queued.
func (q *Queue[T]) Update(item T, pod *corev1.Pod, now time.Duration) bool {
	e, ok := q.entries[item]
	if !ok {
		return false
	}
	old := e.qp.pod
	e.qp = queuedPod{pod: pod}
	switch e.loc {
	case Active:
		q.active.fix(e)
	case Backoff:
		q.backoff.fix(e)
	case ErrorBackoff:
		q.errBackoff.fix(e)
	case Unschedulable:
		for _, ev := range PodUpdated(old, pod, true) {
			if s := q.worth(e, &ev); s != queueSkip {
				q.detach(e)
				q.requeue(e, s, now)
				break
			}
		}
	}
	return true
}

// MoveAllToActiveOrBackoff applies one cluster event at time now (upstream
// MoveAllToActiveOrBackoffQueue): each pod of the unschedulable pool that preCheck accepts (nil
// accepts all) and that the event may help, by its rejecting plugins' registrations and hints,
// moves to the backoff queue if its backoff still runs, else to the active queue. It returns how
// many pods moved.
func (q *Queue[T]) MoveAllToActiveOrBackoff(ev Event, now time.Duration, preCheck func(*corev1.Pod) bool) int {
	if q.poolLen == 0 || !q.interesting(&ev) {
		return 0
	}
	moved := 0
	for i := 0; i < len(q.pool); i++ {
		e := q.pool[i]
		if e == nil || e.loc != Unschedulable || (preCheck != nil && !preCheck(e.qp.pod)) {
			continue
		}
		s := q.worth(e, &ev)
		if s == queueSkip {
			continue
		}
		q.detach(e)
		q.requeue(e, s, now)
		moved++
	}
	q.compactPool()
	return moved
}

// FlushBackoffCompleted moves the pods whose backoff ended before the whole second of now to
// the active queue (upstream flushBackoffQCompleted, run at every whole second; calling it at
// any time in between does what the last tick did). It returns how many moved.
func (q *Queue[T]) FlushBackoffCompleted(now time.Duration) int {
	moved := 0
	for _, h := range []*entryHeap[T]{&q.backoff, &q.errBackoff} {
		for h.len() > 0 && !q.backingOff(h.peek(), now) {
			q.toActive(h.pop())
			moved++
		}
	}
	return moved
}

// FlushUnschedulableLeftover moves the pods that have waited in the unschedulable pool more
// than MaxInUnschedulable since they failed (a flushed pod leaves the pool, and only a new
// failure brings it back) to the backoff or active queue, as the wildcard UnschedulableTimeout
// event (upstream flushUnschedulableEntitiesLeftover, run every 30 s from the scheduler's
// start: call it at multiples of FlushInterval). It returns how many moved.
func (q *Queue[T]) FlushUnschedulableLeftover(now time.Duration) int {
	var due []*entry[T]
	for _, e := range q.pool {
		if e != nil && e.loc == Unschedulable && now-e.timestamp > q.cfg.MaxInUnschedulable {
			due = append(due, e)
		}
	}
	for _, e := range due {
		ev := UnschedulableTimeout
		q.detach(e)
		q.requeue(e, q.worth(e, &ev), now)
	}
	q.compactPool()
	return len(due)
}

// NextFlush returns the first multiple of FlushInterval at which FlushUnschedulableLeftover
// will move a pod now in the unschedulable pool; ok is false when it will move none.
// O(unschedulable pods).
func (q *Queue[T]) NextFlush() (t time.Duration, ok bool) {
	t = math.MaxInt64
	for _, e := range q.pool {
		if e == nil || e.loc != Unschedulable {
			continue
		}
		due := e.timestamp + q.cfg.MaxInUnschedulable
		t = min(t, (due/FlushInterval+1)*FlushInterval) // strictly after due
		ok = true
	}
	return t, ok
}

// NextWake returns when the caller should next call FlushBackoffCompleted and Pop: now when the
// active or backoff queue holds a pod (Pop takes it at once), else the whole second after the
// first backoff end in the error backoff queue. ok is false when there is nothing to wait for.
func (q *Queue[T]) NextWake(now time.Duration) (t time.Duration, ok bool) {
	if q.active.len() > 0 || q.backoff.len() > 0 {
		return now, true
	}
	if q.errBackoff.len() > 0 {
		return max(now, q.backoffTime(q.errBackoff.peek())+BackoffWindow), true
	}
	return 0, false
}

// ---- internals

// queueingStrategy is upstream's: leave the pod, requeue it after its backoff, or at once.
type queueingStrategy int

const (
	queueSkip queueingStrategy = iota
	queueAfterBackoff
)

// noBackoff is the backoff end of a pod that has none.
const noBackoff = time.Duration(math.MinInt64)

// backoffTime is upstream's getBackoffTime: the end of the pod's backoff, aligned down to the
// window; the count is the failures the plugins explained, or the consecutive errors if the
// last attempt was one.
func (q *Queue[T]) backoffTime(e *entry[T]) time.Duration {
	count := e.unschedulable
	if e.errors > 0 {
		count = e.errors
	}
	if count == 0 {
		return noBackoff
	}
	if !e.backoffSet {
		e.backoffEnd = (e.timestamp + q.backoffDuration(count)).Truncate(BackoffWindow)
		e.backoffSet = true
	}
	return e.backoffEnd
}

// backoffDuration is upstream's calculateBackoffDuration for one pod: the initial backoff
// doubled count-1 times, at most the maximum.
func (q *Queue[T]) backoffDuration(count int) time.Duration {
	shift := uint(count - 1)
	if shift >= 62 || q.cfg.InitialBackoff > q.cfg.MaxBackoff>>shift {
		return q.cfg.MaxBackoff
	}
	return q.cfg.InitialBackoff << shift
}

// backingOff is upstream's isEntityBackingoff: the backoff ends in the window of now or later.
func (q *Queue[T]) backingOff(e *entry[T], now time.Duration) bool {
	return q.backoffTime(e) >= now.Truncate(BackoffWindow)
}

// requeue is upstream's requeueEntityWithQueueingStrategy.
func (q *Queue[T]) requeue(e *entry[T], s queueingStrategy, now time.Duration) {
	switch {
	case s == queueSkip:
		e.loc, e.poolIdx = Unschedulable, len(q.pool)
		q.pool = append(q.pool, e)
		q.poolLen++
	case q.backingOff(e, now):
		q.backoffTime(e) // cache the end before the heap compares it
		if len(e.plugins) == 0 {
			e.loc = ErrorBackoff
			q.errBackoff.push(e)
		} else {
			e.loc = Backoff
			q.backoff.push(e)
		}
	default:
		q.toActive(e)
	}
}

func (q *Queue[T]) toActive(e *entry[T]) {
	e.loc = Active
	q.active.push(e)
}

// detach takes e out of the structure that holds it.
func (q *Queue[T]) detach(e *entry[T]) {
	switch e.loc {
	case Active:
		q.active.remove(e)
	case Backoff:
		q.backoff.remove(e)
	case ErrorBackoff:
		q.errBackoff.remove(e)
	case Unschedulable:
		q.pool[e.poolIdx] = nil
		e.poolIdx = -1
		q.poolLen--
	}
	e.loc = 0
}

// compactPool drops the holes left in the pool once they outnumber the pods.
func (q *Queue[T]) compactPool() {
	if len(q.pool) < 64 || q.poolLen*2 > len(q.pool) {
		return
	}
	out := q.pool[:0]
	for _, e := range q.pool {
		if e != nil {
			e.poolIdx = len(out)
			out = append(out, e)
		}
	}
	clear(q.pool[len(out):])
	q.pool = out
}

// interesting is upstream's isEventOfInterest: some plugin of some profile registered it.
func (q *Queue[T]) interesting(ev *Event) bool {
	if ev.IsWildCard() {
		return true
	}
	for _, r := range q.interest {
		if ev.Matches(r) {
			return true
		}
	}
	return false
}

// worth is upstream's isPodWorthRequeuing without pending plugins: a pod no plugin rejected is
// always worth it, so is every pod for a wildcard event; otherwise a registration of one of its
// rejecting plugins must match the event and its hint say Queue.
func (q *Queue[T]) worth(e *entry[T], ev *Event) queueingStrategy {
	if len(e.plugins) == 0 {
		return queueAfterBackoff
	}
	if ev.IsWildCard() {
		if ev.NewPod != nil && ev.NewPod.UID != e.qp.pod.UID {
			return queueSkip
		}
		return queueAfterBackoff
	}
	name := e.qp.pod.Spec.SchedulerName
	if name == "" {
		name = corev1.DefaultSchedulerName
	}
	pr, ok := q.profiles[name]
	if !ok {
		return queueAfterBackoff
	}
	for _, pl := range e.plugins {
		regs, ok := pr.regs[pl]
		if !ok {
			regs = registrationsOf(pl, pr.prof)
			pr.regs[pl] = regs
		}
		for _, r := range regs {
			if ev.Matches(r.event) && (r.hint == nil || r.hint(&e.qp, ev)) {
				return queueAfterBackoff
			}
		}
	}
	return queueSkip
}

// entryHeap is a binary min-heap of entries under less, each entry knowing its index so that
// remove and fix are O(log n). Typed, so that pushing allocates nothing beyond the slice.
type entryHeap[T comparable] struct {
	items []*entry[T]
	less  func(a, b *entry[T]) bool
}

func (h *entryHeap[T]) len() int        { return len(h.items) }
func (h *entryHeap[T]) peek() *entry[T] { return h.items[0] }
func (h *entryHeap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].heapIdx, h.items[j].heapIdx = i, j
}
func (h *entryHeap[T]) lessAt(i, j int) bool { return h.less(h.items[i], h.items[j]) }

func (h *entryHeap[T]) push(e *entry[T]) {
	e.heapIdx = len(h.items)
	h.items = append(h.items, e)
	h.up(e.heapIdx)
}

func (h *entryHeap[T]) pop() *entry[T] {
	e := h.items[0]
	h.remove(e)
	return e
}

func (h *entryHeap[T]) remove(e *entry[T]) {
	i, last := e.heapIdx, len(h.items)-1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	e.heapIdx = -1
	if i != last {
		h.fixAt(i)
	}
}

func (h *entryHeap[T]) fix(e *entry[T]) { h.fixAt(e.heapIdx) }

func (h *entryHeap[T]) fixAt(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *entryHeap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.lessAt(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down sifts i down and reports whether it moved.
func (h *entryHeap[T]) down(i int) bool {
	start, n := i, len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && h.lessAt(r, l) {
			c = r
		}
		if !h.lessAt(c, i) {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}
