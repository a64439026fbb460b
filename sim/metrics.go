package sim

import (
	"hash/fnv"
	"math"
	"sort"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"ksim.dev/ksim/autoscaler/hpa"
	"ksim.dev/ksim/sim/scenario"
	"ksim.dev/ksim/workloads"
)

// The metrics pipeline: what metrics-server (v0.9) serves the HPA, computed when an HPA sync
// reads it rather than scraped on a timer (hpa-spec.md §9).
//
//   - Each node's kubelet is scraped every metricResolution (15 s by default) at a phase of its
//     own, derived from the node's name, so scrape times are phase + k·resolution.
//   - A pod's CPU is the average rate over the window between its node's last two scrapes at
//     or before the sync, in nanocores, truncated: the integral of the load model's usage over
//     the window, divided by it. The usage is a step function that changes when the trace does
//     and when the owner's count of serving pods does; the integral takes the serving count's
//     exact change times (the owner's Ready series) and reads the trace at every whole second
//     of the window, which is exact when the trace's samples fall on whole seconds (as they do
//     for every supported trace format and generator step) and otherwise off by at most one
//     sample's step × the sub-second offset / the window.
//   - Fresh containers: at the first scrape after the containers start, a container younger
//     than 10 s has no usage (the pod is missing); an older one gets a synthetic sample of 0 at
//     its start, so the window runs from the start. From the next scrape on the window is the
//     resolution. All of a pod's containers start together here, so a pod is served exactly
//     when every container has its samples.
//   - A pod on a node that is down has no metrics (metrics-server cannot scrape the kubelet).
//     Upstream would keep the last sample until the next scrape fails; ksim drops it at once.
//   - Per container: the pod's CPU is split over its containers (and restartable init
//     containers) in proportion to their CPU requests, equally when none requests any.
//   - Memory: the working set at the last scrape. The load models carry no memory series yet,
//     so a container's working set is half its memory request, plus the other half scaled by
//     its pod's CPU usage over its CPU request (capped at 1): memory grows with load. A
//     container without a memory request uses none.
//
// Custom and external metrics (the HPA's Pods, Object and External sources) come from a
// CustomMetrics source.

// CustomMetrics is where the engine reads the custom and external metrics an HPA asks for: a
// Pods metric's value for each pod, an Object metric's value for its described object, an
// External metric's value. The requests load model serves them (requestMetrics); a target
// under another model has none, and such metrics fail as an HPA whose adapter serves nothing
// fails.
type CustomMetrics interface {
	// Value returns the metric's value at time t in milli-units (Quantity.MilliValue of what
	// the adapter would serve), or ok false when there is none. Cost: what the source costs;
	// the engine calls it once per pod per Pods metric per sync, once per Object or External
	// metric per sync.
	Value(q MetricQuery, t time.Duration) (milli int64, ok bool)
}

// MetricQuery names one custom or external metric value.
type MetricQuery struct {
	Kind      autoscalingv2.MetricSourceType // Pods, Object or External
	Namespace string                         // the HPA's
	Name      string                         // the metric's name
	Selector  *metav1.LabelSelector          // the metric's selector, nil for none
	// Pod is the pod of a Pods metric; Object the described object of an Object metric.
	Pod    *Pod
	Object autoscalingv2.CrossVersionObjectReference
	// Owner is the HPA's scale target.
	Owner *Owner
}

// customMetrics is the engine's source of custom and external metrics: each HPA reads it once,
// when it is added. Today the source is the requests load model (requestMetrics).
func (s *Simulation) customMetrics() CustomMetrics { return requestMetrics{s} }

// requestMetrics serves the request rates of the requests load model as custom metrics, under
// any metric name: a Pods metric is the requests per second each pod serves (what the
// application would export), an Object or External metric the requests per second offered to
// the HPA's target (what an ingress or a load balancer in front of it counts). A target whose
// load is not a request load has no such metrics, as an HPA whose adapter serves nothing.
type requestMetrics struct{ s *Simulation }

func (r requestMetrics) Value(q MetricQuery, t time.Duration) (int64, bool) {
	var rps float64
	var ok bool
	switch q.Kind {
	case autoscalingv2.PodsMetricSourceType:
		if q.Pod == nil {
			return 0, false
		}
		rps, ok = r.s.podRequestsPerSecond(q.Pod, t)
	default:
		if q.Owner == nil {
			return 0, false
		}
		rps, ok = r.s.requestsPerSecond(q.Owner, t)
	}
	if !ok {
		return 0, false
	}
	return int64(math.Round(rps * 1000)), true
}

// minSampleAge is the youngest a container can be at its first scrape and still have a usage
// (metrics-server: a rate needs 10 s of cumulative CPU).
const minSampleAge = 10 * time.Second

// scrapePhase is node n's scrape phase within the metric resolution: a hash of its name, in
// whole seconds when the resolution allows, so that outputs are stable.
// It is computed once per node (and resolution).
func scrapePhase(n *Node, res time.Duration) time.Duration {
	if n.phaseRes == res {
		return n.phase
	}
	h := fnv.New64a()
	h.Write([]byte(n.Name))
	phase := time.Duration(h.Sum64() % uint64(res))
	if res >= time.Second {
		phase = phase.Truncate(time.Second)
	}
	n.phase, n.phaseRes = phase, res
	return phase
}

// lastScrape is the last scrape of a node with phase phase at or before t.
func lastScrape(t, phase, res time.Duration) time.Duration {
	d := (t - phase) % res
	if d < 0 {
		d += res
	}
	return t - d
}

// sampleWindow returns the window metrics-server serves for a pod whose containers started at
// started, at the last scrape ts: [ts-res, ts], [started, ts] at the first scrape after the
// start, or ok false when the containers are too young (or not started by ts).
func sampleWindow(started, ts, phase, res time.Duration) (from time.Duration, ok bool) {
	first := lastScrape(started, phase, res)
	if first < started {
		first += res
	}
	switch {
	case ts < first:
		return 0, false
	case ts == first:
		if ts-started < minSampleAge {
			return 0, false
		}
		return started, true
	}
	return ts - res, true
}

// metricsReader computes pods' resource metrics for one HPA sync. It caches the usage
// integrals of full windows (pods on nodes with the same phase share them), so a sync costs
// O(pods + distinct windows × window seconds).
type metricsReader struct {
	s     *Simulation
	res   time.Duration
	now   time.Duration
	cache *windowCache
	// withContainers asks for per-container usage (a ContainerResource metric reads it); the
	// whole-pod sums are always filled.
	withContainers bool
	reqs           *containerRequests // the last spec's requests (requestsOf)
}

func (s *Simulation) newMetricsReader(cache *windowCache) *metricsReader {
	cache.reset()
	return &metricsReader{s: s, res: s.sc.Controllers.MetricResolution, now: s.now, cache: cache}
}

// podMetrics fills m with what metrics-server serves for p now, reusing m's containers and
// maps; it returns false when it serves nothing for p.
func (r *metricsReader) podMetrics(p *Pod, m *hpa.PodMetrics) bool {
	if p.Phase < PodRunning || p.Phase > PodReady || p.Node == nil || !p.Node.Up {
		return false
	}
	phase := scrapePhase(p.Node, r.res)
	ts := lastScrape(r.now, phase, r.res)
	from, ok := sampleWindow(p.StartedAt, ts, phase, r.res)
	if !ok {
		return false
	}
	m.Timestamp, m.Window = ts, ts-from
	// A pod that served through the whole window, under a model where every serving pod of the
	// owner uses the same (not per-pod), has the same sums as any other such pod of this sync
	// with the same window: compute them once per window.
	shared := !r.withContainers && p.serving() && p.ReadyAt <= from &&
		(p.Owner.load == nil || p.Owner.load.model != scenario.ModelPerPod)
	if shared {
		if e := r.cache.find(from, ts); e != nil && e.hasSums {
			m.Containers = m.Containers[:0]
			m.Summed, m.CPUMilli, m.MemoryMilli = true, e.cpuMilli, e.memMilli
			return true
		}
	}
	nano := r.cpuNano(p, from, ts)
	fillContainers(m, r.requestsOf(podSpecForMetrics(p)), nano, r.podCPUMilliAt(p, ts), r.withContainers)
	if shared {
		e := r.cache.find(from, ts) // cpuNano stored the window's integral: the pod served through it
		e.hasSums, e.cpuMilli, e.memMilli = true, m.CPUMilli, m.MemoryMilli
	}
	return true
}

// cpuNano is p's average CPU over [from, to], in nanocores, truncated.
func (r *metricsReader) cpuNano(p *Pod, from, to time.Duration) int64 {
	if to <= from {
		return 0
	}
	// The pod uses CPU only while it serves: from readiness until it stops (deletion).
	if p.Phase != PodReady {
		return 0
	}
	a, b := max(from, p.ReadyAt), to
	if p.Deleting && p.Obj.DeletionTimestamp != nil {
		b = min(b, p.Obj.DeletionTimestamp.Sub(epoch))
	}
	if b <= a {
		return 0
	}
	var milliSeconds float64
	if l := p.Owner.load; l != nil && l.model == scenario.ModelPerPod {
		milliSeconds = r.integrate(p, a, b)
	} else if a == from && b == to {
		v, ok := r.cache.get(a, b)
		if !ok {
			v = r.servingIntegral(p, a, b)
			r.cache.put(a, b, v)
		}
		milliSeconds = v
	} else {
		milliSeconds = r.integrate(p, a, b)
	}
	return int64(milliSeconds * 1e6 / (to - from).Seconds())
}

// integrate is ∫_a^b of p's usage while serving, in millicore·seconds: the sum, in order, of
// the steps usageSteps gives.
func (r *metricsReader) integrate(p *Pod, a, b time.Duration) float64 {
	var sum float64
	usageSteps(p, a, b, func(_ time.Duration, area float64) { sum += area })
	return sum
}

// usageSteps calls step for each step of p's usage while serving over [a, b), in time order:
// the load model's usage at the step's start times its length, in millicore·seconds, the steps
// ending at every whole second and every change of the owner's serving count. A pod without a
// load has no steps.
func usageSteps(p *Pod, a, b time.Duration, step func(start time.Duration, area float64)) {
	o := p.Owner
	l := o.load
	if l == nil {
		return
	}
	pts := o.result.Ready.Points
	i := sort.Search(len(pts), func(k int) bool { return pts[k].T > a }) - 1
	for u := a; u < b; {
		next := min(b, u.Truncate(time.Second)+time.Second)
		if i+1 < len(pts) && pts[i+1].T < next {
			next = pts[i+1].T
		}
		n := 0
		if i >= 0 {
			n = int(pts[i].V)
		}
		step(u, float64(usageMilliAt(p, l, u, n))*(next-u).Seconds())
		for i+1 < len(pts) && pts[i+1].T <= next {
			i++
		}
		u = next
	}
}

// servingIntegral is integrate(p, a, b) for a pod that served through [a, b] under a model
// where every serving pod of the owner uses the same (aggregate, requests). The windows of one
// sync all lie in the last two resolutions before now and overlap, so it reads them from a
// table of the usage steps over that span, built once per sync: a sync evaluates the load
// model about 2·resolution/1 s times rather than once per second of every window. The table
// holds the very steps and products integrate would add, in the same order, so the sums are
// bit for bit the same.
func (r *metricsReader) servingIntegral(p *Pod, a, b time.Duration) float64 {
	t := &r.cache.recent
	if t.owner != p.Owner || t.now != r.now {
		t.build(p, floorSecond(r.now-2*r.res), r.now)
	}
	i, ok := t.stepAt(a)
	if !ok || b > r.now || b%time.Second != 0 {
		return r.integrate(p, a, b)
	}
	var sum float64
	for ; i < len(t.start) && t.start[i] < b; i++ {
		sum += t.area[i]
	}
	return sum
}

// recentUsage is a table of a serving pod's usage steps over [from, now]: step k starts at
// start[k] and adds area[k] millicore·seconds, as integrate(p, from, now) adds them.
type recentUsage struct {
	owner *Owner
	now   time.Duration
	start []time.Duration
	area  []float64
}

// build tabulates p's usage steps over [from, to] (usageSteps, as integrate sums them).
func (t *recentUsage) build(p *Pod, from, to time.Duration) {
	t.owner, t.now = p.Owner, to
	t.start, t.area = t.start[:0], t.area[:0]
	usageSteps(p, from, to, func(u time.Duration, area float64) {
		t.start = append(t.start, u)
		t.area = append(t.area, area)
	})
}

// stepAt returns the index of the step that starts at a, if one does.
func (t *recentUsage) stepAt(a time.Duration) (int, bool) {
	if t.owner == nil || t.owner.load == nil {
		return 0, false
	}
	i := sort.Search(len(t.start), func(k int) bool { return t.start[k] >= a })
	return i, i < len(t.start) && t.start[i] == a
}

// floorSecond rounds t down to a whole second (toward the past, also before the epoch).
func floorSecond(t time.Duration) time.Duration {
	f := t.Truncate(time.Second)
	if f > t {
		f -= time.Second
	}
	return f
}

// usageMilliAt is a serving pod's usage under its owner's load at t when serving pods of the
// owner serve: a share of the demand (aggregate, requests) or its own series (per-pod), capped
// at its CPU limit. It mirrors podUsageMilli with the serving count of time t.
func usageMilliAt(p *Pod, l *loadState, t time.Duration, serving int) int64 {
	if l.model == scenario.ModelPerPod {
		milli, _ := capMilli(l.podSeries(p).At(t), p.limitCPU)
		return milli
	}
	perPod, _ := workloads.Share(l.demand.At(t), max(serving, 1), p.limitCPU)
	return perPod
}

// podCPUMilliAt is p's instantaneous CPU at t (for the memory model).
func (r *metricsReader) podCPUMilliAt(p *Pod, t time.Duration) int64 {
	l := p.Owner.load
	if l == nil || p.Phase != PodReady || t < p.ReadyAt {
		return 0
	}
	pts := p.Owner.result.Ready.Points
	i := sort.Search(len(pts), func(k int) bool { return pts[k].T > t }) - 1
	n := 0
	if i >= 0 {
		n = int(pts[i].V)
	}
	return usageMilliAt(p, l, t, n)
}

// containerRequests are the requests of the containers metrics-server reports for a pod spec
// (its containers, then its sidecars), read once per spec.
type containerRequests struct {
	spec   *corev1.PodSpec
	names  []string
	cpu    []int64 // milli-CPU
	mem    []int64 // bytes; -1 when the container requests no memory
	cpuSum int64
}

// requestsOf returns the container requests of spec, from a one-entry memo: the pods of one
// template share their spec (podSpecForMetrics), so a sync reads each template once.
func (r *metricsReader) requestsOf(spec *corev1.PodSpec) *containerRequests {
	if r.reqs != nil && r.reqs.spec == spec {
		return r.reqs
	}
	cr := &containerRequests{spec: spec}
	forContainers(spec, func(c *corev1.Container) {
		q := c.Resources.Requests[corev1.ResourceCPU]
		cr.names = append(cr.names, c.Name)
		cr.cpu = append(cr.cpu, q.MilliValue())
		cr.cpuSum += q.MilliValue()
		m := int64(-1)
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			m = q.Value()
		}
		cr.mem = append(cr.mem, m)
	})
	r.reqs = cr
	return cr
}

// fillContainers writes the pod's usage into m: CPU split among its containers by request
// (nanocores), memory from the working-set model; always the sums (m.Summed), and the
// per-container entries only when withContainers (a ContainerResource metric reads them). It
// reuses m's slice and maps. Cost: O(containers), and no allocation once m has its maps.
func fillContainers(m *hpa.PodMetrics, cr *containerRequests, cpuNano, cpuMilliNow int64, withContainers bool) {
	n := len(cr.cpu)
	if withContainers {
		if cap(m.Containers) < n {
			m.Containers = make([]metricsv1beta1.ContainerMetrics, n)
		}
		m.Containers = m.Containers[:n]
	} else {
		m.Containers = m.Containers[:0]
	}
	var given int64
	m.Summed, m.CPUMilli, m.MemoryMilli = true, 0, 0
	for k := 0; k < n; k++ {
		var share int64
		switch {
		case k == n-1:
			share = cpuNano - given // the remainder: the pod's total stays exact
		case cr.cpuSum > 0:
			share = int64(float64(cpuNano) * float64(cr.cpu[k]) / float64(cr.cpuSum))
		default:
			share = cpuNano / int64(n)
		}
		given += share
		mem := workingSet(cr.mem[k], cpuMilliNow, cr.cpuSum)
		// Quantity.MilliValue rounds up: a container's nanocores to whole millicores.
		m.CPUMilli += (share + 999_999) / 1_000_000
		m.MemoryMilli += mem * 1000
		if withContainers {
			out := &m.Containers[k]
			out.Name = cr.names[k]
			if out.Usage == nil {
				out.Usage = make(corev1.ResourceList, 2)
			}
			out.Usage[corev1.ResourceCPU] = *resource.NewScaledQuantity(share, resource.Nano)
			out.Usage[corev1.ResourceMemory] = *resource.NewQuantity(mem, resource.BinarySI)
		}
	}
}

// workingSet is a container's memory under the stand-in model: half its request, plus the
// other half times its pod's CPU utilization (capped at 1). reqBytes -1 (no memory request)
// gives 0.
func workingSet(reqBytes, podCPUMilli, podCPUReqMilli int64) int64 {
	if reqBytes < 0 {
		return 0
	}
	f := 1.0
	if podCPUReqMilli > 0 {
		f = min(1, float64(podCPUMilli)/float64(podCPUReqMilli))
	}
	return reqBytes/2 + int64(float64(reqBytes-reqBytes/2)*f)
}

// forContainers calls f on the pod's containers and then its restartable init containers, the
// containers metrics-server reports for a running pod.
func forContainers(spec *corev1.PodSpec, f func(*corev1.Container)) {
	for i := range spec.Containers {
		f(&spec.Containers[i])
	}
	for i := range spec.InitContainers {
		if c := &spec.InitContainers[i]; isSidecar(c) {
			f(c)
		}
	}
}

func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// customValues asks the custom metrics source for what the HPA's Pods, Object and External
// metrics need at now, into in.Metrics (reusing its slices). pods are the samples' pods, in
// order.
func (s *Simulation) customValues(h *hpaState, pods []*Pod, in *hpa.Input) {
	specs := h.as.Metrics()
	if cap(in.Metrics) < len(specs) {
		in.Metrics = make([]hpa.MetricValues, len(specs))
	}
	in.Metrics = in.Metrics[:len(specs)]
	src := h.custom
	ns := h.as.Namespace()
	for i := range specs {
		m := &specs[i]
		v := &in.Metrics[i]
		v.Pods, v.Object, v.External, v.Err = v.Pods[:0], nil, v.External[:0], nil
		switch m.Type {
		case autoscalingv2.PodsMetricSourceType:
			q := MetricQuery{Kind: m.Type, Namespace: ns, Name: m.Pods.Metric.Name, Selector: m.Pods.Metric.Selector, Owner: h.target}
			for _, p := range pods {
				q.Pod = p
				if milli, ok := src.Value(q, s.now); ok {
					v.Pods = append(v.Pods, podMetricValue(p.Obj.Name, milli))
				}
			}
		case autoscalingv2.ObjectMetricSourceType:
			q := MetricQuery{Kind: m.Type, Namespace: ns, Name: m.Object.Metric.Name, Selector: m.Object.Metric.Selector,
				Object: m.Object.DescribedObject, Owner: h.target}
			if milli, ok := src.Value(q, s.now); ok {
				mv := podMetricValue(m.Object.DescribedObject.Name, milli)
				v.Object = &mv
			}
		case autoscalingv2.ExternalMetricSourceType:
			q := MetricQuery{Kind: m.Type, Namespace: ns, Name: m.External.Metric.Name, Selector: m.External.Metric.Selector, Owner: h.target}
			if milli, ok := src.Value(q, s.now); ok {
				v.External = append(v.External, externalMetricValue(m.External.Metric.Name, milli))
			}
		}
	}
}

// windowCache holds, for one sync, the usage integral of a serving pod over each scrape window
// seen so far: under the aggregate and requests models every serving pod of the owner uses the
// same, and a sync sees at most one window per node scrape phase (15 on the default 1 s grid of
// a 15 s resolution), so a linear search beats a map. Cost: O(windows) per lookup.
type windowCache struct {
	entries []windowIntegral
	recent  recentUsage // the usage steps of the sync's last two resolutions
}

type windowIntegral struct {
	a, b time.Duration
	v    float64 // the usage integral, millicore·seconds
	// The pod's metric sums for the window (see podMetrics), once a pod that served through
	// it has been read.
	hasSums            bool
	cpuMilli, memMilli int64
}

func (c *windowCache) reset() { c.entries = c.entries[:0] }

func (c *windowCache) get(a, b time.Duration) (float64, bool) {
	if e := c.find(a, b); e != nil {
		return e.v, true
	}
	return 0, false
}

func (c *windowCache) find(a, b time.Duration) *windowIntegral {
	for i := range c.entries {
		if e := &c.entries[i]; e.a == a && e.b == b {
			return e
		}
	}
	return nil
}

func (c *windowCache) put(a, b time.Duration, v float64) {
	c.entries = append(c.entries, windowIntegral{a: a, b: b, v: v})
}
