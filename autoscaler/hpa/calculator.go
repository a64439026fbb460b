package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	custommetrics "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	externalmetrics "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
)

// tolerances is the band of usage ratios that do not scale
// (replica_calculator.go: Tolerances.isWithin). Both ends are inclusive.
type tolerances struct {
	down, up float64
}

func (t tolerances) within(ratio float64) bool {
	return 1.0-t.down <= ratio && ratio <= 1.0+t.up
}

// podGroup is how the replica calculator counts a pod (replica_calculator.go: groupPods).
type podGroup uint8

const (
	podReady   podGroup = iota // has a usable metric: counts as it is
	podUnready                 // metric dropped; counted as 0 on a scale up only
	podMissing                 // no metric; 100 % (or the target) on a scale down, 0 on a scale up
	podIgnored                 // deleting or failed: counts nowhere
)

var podGroupNames = [...]string{"ready", "unready", "missing", "ignored"}

func (g podGroup) String() string { return podGroupNames[g] }

// groupPod classifies one pod at time now, as groupPods does for one pod. hasMetric says whether
// the metric has a value for the pod; cpu selects the CPU readiness rules (Resource or
// ContainerResource `cpu`), which read the pod's resource-metrics timestamp and window; other
// metrics treat every pod with a value as ready.
func groupPod(now time.Duration, p *PodSample, hasMetric, cpu bool, opts *Options) podGroup {
	if p.Deleting || p.Phase == corev1.PodFailed {
		return podIgnored
	}
	if p.Phase == corev1.PodPending {
		return podUnready
	}
	if !hasMetric {
		return podMissing
	}
	if !cpu {
		return podReady
	}
	if p.NoReadyCondition || !p.Started {
		return podUnready
	}
	readyFalse := !p.Ready && !p.ReadyUnknown // status "False"; Unknown does not count
	var unready bool
	if p.StartTime+opts.CPUInitializationPeriod > now {
		// Still initializing: drop the sample if the pod is not ready, or if no full metric
		// window has been collected since readiness last changed.
		unready = readyFalse || p.Metrics.Timestamp < p.ReadyChanged+p.Metrics.Window
	} else {
		// Drop it only if the pod went unready soon after starting and was never ready since.
		unready = readyFalse && p.StartTime+opts.InitialReadinessDelay > p.ReadyChanged
	}
	if unready {
		return podUnready
	}
	return podReady
}

// Errors of the replica calculation, worded as upstream's (replica_calculator.go,
// metrics/client.go, metrics/utilization.go).
var (
	errNoResourceMetrics = errors.New("no metrics returned from resource metrics API")
	errNoCustomMetrics   = errors.New("no metrics returned from custom metrics API")
	errNoExternalMetrics = errors.New("no metrics returned from external metrics API")
	errNoPods            = errors.New("no pods returned by selector while calculating replica count")
	errNoReadyMetrics    = errors.New("did not receive metrics for targeted pods (pods might be unready)")
	errNoMatchedRequests = errors.New("no metrics returned matched known pods")
)

// resourceValue is a pod's usage of a resource from its resource-metrics entry, in milli-units
// (metrics/client.go): with container == "" the sum over all the pod's containers, missing when
// any container lacks the resource or there is none (getPodMetrics); otherwise the named
// container's, missing when it lacks it or the pod lacks the container (getContainerMetrics).
func resourceValue(m *PodMetrics, res corev1.ResourceName, container string) (int64, bool) {
	if m == nil {
		return 0, false
	}
	if container != "" {
		for i := range m.Containers {
			c := &m.Containers[i]
			if c.Name == container {
				q, ok := c.Usage[res]
				return q.MilliValue(), ok
			}
		}
		return 0, false
	}
	if m.Summed {
		switch res {
		case corev1.ResourceCPU:
			return m.CPUMilli, true
		case corev1.ResourceMemory:
			return m.MemoryMilli, true
		}
		return 0, false
	}
	if len(m.Containers) == 0 {
		return 0, false
	}
	var sum int64
	for i := range m.Containers {
		q, ok := m.Containers[i].Usage[res]
		if !ok {
			return 0, false
		}
		sum += q.MilliValue()
	}
	return sum, true
}

// podRequest is a pod's request of a resource, in milli-units (replica_calculator.go:
// calculateRequests): the pod-level request when pod-level requests are set and no container
// is named (the PodLevelResources gate is on in v1.37); otherwise the sum over its containers
// and restartable init containers, or the named container's. A container without a request
// for the resource, or a named container the pod lacks, is an error.
func podRequest(p *PodSample, res corev1.ResourceName, container string) (int64, error) {
	spec := p.Spec
	if spec == nil {
		if container != "" {
			return 0, fmt.Errorf("container %s not found in Pod %s", container, p.Name)
		}
		return 0, nil
	}
	if container == "" && podLevelRequestsSet(spec) {
		// calculatePodLevelRequests: the effective pod requests (pod-level values over the
		// containers' aggregate, plus overhead). Rare: the copy is worth upstream's exact rule.
		reqs := resourcehelper.PodRequests(&corev1.Pod{Spec: *spec}, resourcehelper.PodResourcesOptions{})
		q, ok := reqs[res]
		if !ok {
			return 0, fmt.Errorf("missing pod-level request for %s in Pod %s", res, p.Name)
		}
		return q.MilliValue(), nil
	}
	var request int64
	for i := range spec.Containers {
		if r, done, err := addContainerRequest(&spec.Containers[i], res, container, p.Name, &request); done || err != nil {
			return r, err
		}
	}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		if r, done, err := addContainerRequest(c, res, container, p.Name, &request); done || err != nil {
			return r, err
		}
	}
	if container != "" {
		return 0, fmt.Errorf("container %s not found in Pod %s", container, p.Name)
	}
	return request, nil
}

// addContainerRequest is one step of calculatePodRequestsFromContainers: it adds c's request
// when c counts, and reports done when c is the named container.
func addContainerRequest(c *corev1.Container, res corev1.ResourceName, container, pod string, request *int64) (int64, bool, error) {
	if container == "" || container == c.Name {
		q, ok := c.Resources.Requests[res]
		if !ok {
			return 0, true, fmt.Errorf("missing request for %s in container %s of Pod %s", res, c.Name, pod)
		}
		*request += q.MilliValue()
	}
	if container == c.Name {
		return *request, true, nil
	}
	return 0, false, nil
}

// podLevelRequestsSet is component-helpers' IsPodLevelRequestsSet, without the allocation of a
// Pod: some pod-level request of a resource pods can set (cpu, memory, hugepages).
func podLevelRequestsSet(spec *corev1.PodSpec) bool {
	if spec.Resources == nil {
		return false
	}
	for name := range spec.Resources.Requests {
		if resourcehelper.IsSupportedPodLevelResource(name) {
			return true
		}
	}
	return false
}

// podsValues are a Pods metric's values, matched to the listed pods (the custom metrics API
// answers with a list keyed by pod name; upstream turns it into a map).
type podsValues struct {
	// When the list comes in the listed pods' order (the common case), items[j] is the j-th
	// listed pod's value and no map is built; otherwise byName holds the list.
	inOrder bool
	items   []custommetrics.MetricValue
	byName  map[string]int64
	// Items for names no listed pod has: upstream keeps them in its map.
	extraCount, extraSum int64
}

// matchPodsValues matches a Pods metric's list to the listed pods. Cost: O(pods + items); a map
// only when the list is not in the pods' order.
func matchPodsValues(pods []PodSample, items []custommetrics.MetricValue) podsValues {
	v := podsValues{items: items, inOrder: true}
	j := 0
	for i := range pods {
		if pods[i].Unlisted {
			continue
		}
		if j >= len(items) || items[j].DescribedObject.Name != pods[i].Name {
			v.inOrder = false
			break
		}
		j++
	}
	if v.inOrder && j == len(items) {
		return v
	}
	v.inOrder = false
	// A map from name to value, as upstream builds it (a later item of the same name wins).
	v.byName = make(map[string]int64, len(items))
	for i := range items {
		v.byName[items[i].DescribedObject.Name] = items[i].Value.MilliValue()
	}
	listed := make(map[string]bool, len(pods))
	for i := range pods {
		if !pods[i].Unlisted {
			listed[pods[i].Name] = true
		}
	}
	for name, val := range v.byName { // a sum: the order does not matter
		if !listed[name] {
			v.extraCount++
			v.extraSum += val
		}
	}
	return v
}

// value returns the j-th listed pod's value.
func (v *podsValues) value(j int, p *PodSample) (int64, bool) {
	if v.inOrder {
		return v.items[j].Value.MilliValue(), true
	}
	val, ok := v.byName[p.Name]
	return val, ok
}

// podTally is the per-group sums one pass over the pods yields. It stands in for upstream's
// metrics map: ready pods and extra entries are its entries; missing and unready pods are the
// entries a fill-in adds.
type podTally struct {
	anyMetric bool  // the metrics API returned at least one item
	listed    int64 // pods the lister lists

	readyCount int64
	readyUsage int64 // milli-units
	readyReq   int64 // milli-units (Utilization only)

	missingCount    int64
	missingReq      int64
	missingFallback int64 // Σ request·max(100, target)/100, per pod (Utilization scale down)

	unreadyCount int64
	unreadyReq   int64

	// Extra entries: metrics for pods the lister does not list. They count in averages and in
	// len(metrics), never in utilization (they have no request).
	extraCount int64
	extraUsage int64

	reqErr error // the first missing request (Utilization only)
}

// tally groups every pod for metric m and sums what the calculations need. pv holds a Pods
// metric's values (nil for resource metrics). withRequests reads requests (Utilization);
// fallbackPercent is then max(100, target).
func tally(now time.Duration, pods []PodSample, m *metricSource, pv *podsValues, withRequests bool, fallbackPercent int64, opts *Options) podTally {
	var (
		memoSpec *corev1.PodSpec
		memoReq  int64
		memoErr  error
	)
	var t podTally
	cpu := m.cpuRules()
	j := 0 // index among listed pods
	for i := range pods {
		p := &pods[i]
		var val int64
		var ok bool
		if pv != nil {
			if p.Unlisted {
				continue // a resource-metrics entry: not part of this metric
			}
			val, ok = pv.value(j, p)
			j++
		} else {
			if p.Metrics != nil {
				t.anyMetric = true
			}
			val, ok = resourceValue(p.Metrics, m.resource, m.container)
			if p.Unlisted {
				if ok {
					t.extraCount += p.weight()
					t.extraUsage += val * p.weight()
				}
				continue
			}
		}
		w := p.weight()
		t.listed += w
		var req int64
		if withRequests {
			// Pods of one template share a spec: compute its request once (a one-entry memo;
			// the error names the first pod, as a fresh computation would for that pod).
			if p.Spec == nil || p.Spec != memoSpec {
				memoSpec = p.Spec
				memoReq, memoErr = podRequest(p, m.resource, m.container)
			}
			if memoErr != nil && t.reqErr == nil {
				t.reqErr = memoErr
			}
			req = memoReq
		}
		switch groupPod(now, p, ok, cpu, opts) {
		case podReady:
			t.readyCount += w
			t.readyUsage += val * w
			t.readyReq += req * w
		case podMissing:
			t.missingCount += w
			t.missingReq += req * w
			t.missingFallback += req * fallbackPercent / 100 * w // per pod, then summed
		case podUnready:
			t.unreadyCount += w
			t.unreadyReq += req * w
		}
	}
	if pv != nil {
		t.anyMetric = len(pv.items) > 0
		t.extraCount, t.extraUsage = pv.extraCount, pv.extraSum
	}
	return t
}

// check reports the errors upstream raises before any arithmetic, in its order: no metrics at
// all, no pods, no usable metric left once unready and ignored pods are dropped.
func (t *podTally) check(noMetrics error) error {
	switch {
	case !t.anyMetric:
		return noMetrics
	case t.listed == 0:
		return errNoPods
	case t.readyCount+t.extraCount == 0:
		return errNoReadyMetrics
	}
	return nil
}

// utilizationResult is the outcome of a Utilization target.
type utilizationResult struct {
	replicas    int32
	utilization int32 // percent, before any fill-in
	rawAverage  int64 // milli-units per ready pod
}

// utilizationPercent is the integer utilization upstream uses: a ratio of sums, truncated
// (metrics/utilization.go: GetResourceUtilizationRatio).
func utilizationPercent(usage, requests int64) int32 {
	return int32((usage * 100) / requests)
}

// utilizationReplicas proposes a replica count for a Resource or ContainerResource metric with
// an averageUtilization target (replica_calculator.go: GetResourceReplicas).
func utilizationReplicas(now time.Duration, cur int32, m *metricSource, tol tolerances, pods []PodSample, opts *Options) (utilizationResult, error) {
	target := m.targetUtilization
	t := tally(now, pods, m, nil, true, int64(max(100, target)), opts)
	if err := t.check(errNoResourceMetrics); err != nil {
		if err == errNoResourceMetrics {
			err = fmt.Errorf("unable to get metrics for resource %s: %w", m.resource, err)
		}
		return utilizationResult{}, err
	}
	// calculateRequests: every listed pod needs a request, ignored and unready ones included.
	if t.reqErr != nil {
		return utilizationResult{}, t.reqErr
	}
	if t.readyReq == 0 {
		return utilizationResult{}, errNoMatchedRequests
	}
	util := utilizationPercent(t.readyUsage, t.readyReq)
	ratio := float64(util) / float64(target)
	res := utilizationResult{replicas: cur, utilization: util, rawAverage: t.readyUsage / t.readyCount}

	scaleUpWithUnready := t.unreadyCount > 0 && ratio > 1.0
	if !scaleUpWithUnready && t.missingCount == 0 {
		if !tol.within(ratio) {
			res.replicas = int32(math.Ceil(ratio * float64(t.readyCount)))
		}
		return res, nil
	}

	// Fill in the missing and unready pods, then compute again.
	usage, requests, entries := t.readyUsage, t.readyReq, t.readyCount+t.extraCount
	if t.missingCount > 0 {
		if ratio < 1.0 {
			usage += t.missingFallback // as if at 100 % (or at the target, above 100 %)
			requests += t.missingReq
			entries += t.missingCount
		} else if ratio > 1.0 {
			requests += t.missingReq // as if idle
			entries += t.missingCount
		}
	}
	if scaleUpWithUnready {
		requests += t.unreadyReq // as if idle
		entries += t.unreadyCount
	}
	newRatio := float64(utilizationPercent(usage, requests)) / float64(target)
	if tol.within(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return res, nil // too small a change, or the fill-in flipped the direction
	}
	n := int32(math.Ceil(newRatio * float64(entries)))
	if (newRatio < 1.0 && n > cur) || (newRatio > 1.0 && n < cur) {
		return res, nil // the pod count would reverse the direction
	}
	res.replicas = n
	return res, nil
}

// plainReplicas proposes a replica count for an average-value target, in milli-units: a
// Resource or ContainerResource metric with averageValue (pv nil), or a Pods metric (pv its
// values) (replica_calculator.go: GetRawResourceReplicas, GetMetricReplicas →
// calcPlainMetricReplicas). Requests are not read. It returns the proposal and the average per
// entry.
func plainReplicas(now time.Duration, cur int32, m *metricSource, pv *podsValues, tol tolerances, pods []PodSample, opts *Options) (int32, int64, error) {
	targetMilli := m.targetMilli
	t := tally(now, pods, m, pv, false, 0, opts)
	noMetrics := errNoResourceMetrics
	if pv != nil {
		noMetrics = errNoCustomMetrics
	}
	if err := t.check(noMetrics); err != nil {
		if err == errNoResourceMetrics {
			err = fmt.Errorf("unable to get metrics for resource %s: %w", m.resource, err)
		} else if err == errNoCustomMetrics {
			err = fmt.Errorf("unable to get metric %s: %w", m.metricName, err)
		}
		return 0, 0, err
	}
	// metrics/utilization.go: GetMetricUsageRatio — an integer average over every entry, then a
	// float ratio.
	entries := t.readyCount + t.extraCount
	sum := t.readyUsage + t.extraUsage
	avg := sum / entries
	ratio := float64(avg) / float64(targetMilli)

	scaleUpWithUnready := t.unreadyCount > 0 && ratio > 1.0
	if !scaleUpWithUnready && t.missingCount == 0 {
		if tol.within(ratio) {
			return cur, avg, nil
		}
		return int32(math.Ceil(ratio * float64(t.readyCount))), avg, nil
	}

	if t.missingCount > 0 {
		if ratio < 1.0 {
			sum += targetMilli * t.missingCount // as if exactly at the target
			entries += t.missingCount
		} else if ratio > 1.0 {
			entries += t.missingCount // as if idle
		}
	}
	if scaleUpWithUnready {
		entries += t.unreadyCount // as if idle
	}
	newRatio := float64(sum/entries) / float64(targetMilli)
	if tol.within(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return cur, avg, nil
	}
	n := int32(math.Ceil(newRatio * float64(entries)))
	if (newRatio < 1.0 && n > cur) || (newRatio > 1.0 && n < cur) {
		return cur, avg, nil
	}
	return n, avg, nil
}

// readyPodsCount counts the listed pods that are Running and Ready, deleting ones included
// (replica_calculator.go: getReadyPodsCount).
func readyPodsCount(pods []PodSample) (int64, error) {
	var listed, ready int64
	for i := range pods {
		p := &pods[i]
		if p.Unlisted {
			continue
		}
		listed += p.weight()
		if p.Phase == corev1.PodRunning && p.Ready {
			ready += p.weight()
		}
	}
	if listed == 0 {
		return 0, fmt.Errorf("unable to calculate ready pods: %w", errNoPods)
	}
	return ready, nil
}

// usageRatioReplicas is the Value-target proposal of Object and External metrics
// (replica_calculator.go: getUsageRatioReplicaCount): from zero replicas ceil(ratio), with no
// tolerance; otherwise cur within the tolerance, else ceil(ratio · ready pods), capped at
// MaxInt32.
func usageRatioReplicas(cur int32, ratio float64, tol tolerances, pods []PodSample) (int32, error) {
	if cur == 0 {
		return int32(math.Ceil(ratio)), nil
	}
	if tol.within(ratio) {
		return cur, nil
	}
	ready, err := readyPodsCount(pods)
	if err != nil {
		return 0, err
	}
	f := ratio * float64(ready)
	if f > math.MaxInt32 {
		return math.MaxInt32, nil
	}
	return int32(math.Ceil(f)), nil
}

// objectReplicas proposes a replica count for an Object metric of value usageMilli
// (replica_calculator.go: GetObjectMetricReplicas, GetObjectPerPodMetricReplicas). The Value
// target compares the whole value with the target from spec replicas; the AverageValue target
// divides it by statusReplicas. It returns the proposal and the status's current value (the
// value, or the value per status replica rounded up).
func objectReplicas(cur, statusReplicas int32, usageMilli int64, m *metricSource, tol tolerances, pods []PodSample) (int32, int64, error) {
	if m.target == targetValue {
		ratio := float64(usageMilli) / float64(m.targetMilli)
		n, err := usageRatioReplicas(cur, ratio, tol, pods)
		return n, usageMilli, err
	}
	replicas := statusReplicas
	ratio := float64(usageMilli) / (float64(m.targetMilli) * float64(replicas))
	if !tol.within(ratio) {
		replicas = int32(math.Ceil(float64(usageMilli) / float64(m.targetMilli)))
	}
	return replicas, int64(math.Ceil(float64(usageMilli) / float64(statusReplicas))), nil
}

// externalReplicas proposes a replica count for an External metric from the series the external
// metrics API returned (replica_calculator.go: GetExternalMetricReplicas,
// GetExternalPerPodMetricReplicas). The two upstream functions sum the series with different
// overflow guards; both are kept. It returns the proposal and the status's current value.
func externalReplicas(cur, statusReplicas int32, items []externalmetrics.ExternalMetricValue, m *metricSource, tol tolerances, pods []PodSample) (int32, int64, error) {
	var usage int64
	if m.target == targetValue {
		for i := range items {
			v := items[i].Value.MilliValue()
			if v > 0 && usage > math.MaxInt64-v { // saturate on a positive overflow
				usage = math.MaxInt64
				break
			}
			usage += v
		}
		ratio := float64(usage) / float64(m.targetMilli)
		n, err := usageRatioReplicas(cur, ratio, tol, pods)
		return n, usage, err
	}
	for i := range items {
		usage += items[i].Value.MilliValue()
		if usage < 0 { // only an int64 overflow gets here
			usage = math.MaxInt64
			break
		}
	}
	replicas := statusReplicas
	ratio := float64(usage) / (float64(m.targetMilli) * float64(replicas))
	if !tol.within(ratio) {
		r := math.Ceil(float64(usage) / float64(m.targetMilli))
		if r > float64(math.MaxInt32) {
			replicas = math.MaxInt32
		} else {
			replicas = int32(r)
		}
	}
	var current int64
	if float64(usage) >= float64(math.MaxInt64) {
		current = math.MaxInt64
	} else {
		current = int64(math.Ceil(float64(usage) / float64(statusReplicas)))
	}
	return replicas, current, nil
}
