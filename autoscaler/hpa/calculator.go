package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	podMissing                 // no metric; 100 % on a scale down, 0 on a scale up
	podIgnored                 // deleting or failed: counts nowhere
)

var podGroupNames = [...]string{"ready", "unready", "missing", "ignored"}

func (g podGroup) String() string { return podGroupNames[g] }

// groupPod classifies one pod at time now, as groupPods does for one pod. cpu selects the CPU
// readiness rules (Resource or ContainerResource `cpu`); other metrics treat every pod with a
// metric as ready.
func groupPod(now time.Duration, p *PodSample, cpu bool, opts *Options) podGroup {
	if p.Deleting || p.Phase == corev1.PodFailed {
		return podIgnored
	}
	if p.Phase == corev1.PodPending {
		return podUnready
	}
	if p.Metric == nil {
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
		unready = readyFalse || p.Metric.Timestamp < p.ReadyChanged+p.Metric.Window
	} else {
		// Drop it only if the pod went unready soon after starting and was never ready since.
		unready = readyFalse && p.StartTime+opts.InitialReadinessDelay > p.ReadyChanged
	}
	if unready {
		return podUnready
	}
	return podReady
}

// Errors of the resource replica calculation, worded as upstream's
// (replica_calculator.go, metrics/client.go, metrics/utilization.go).
var (
	errNoResourceMetrics = errors.New("unable to get metrics for resource cpu: no metrics returned from resource metrics API")
	errNoPods            = errors.New("no pods returned by selector while calculating replica count")
	errNoReadyMetrics    = errors.New("did not receive metrics for targeted pods (pods might be unready)")
	errNoMatchedRequests = errors.New("no metrics returned matched known pods")
)

// podTally is the per-group sums one pass over the pods yields. It stands in for upstream's
// metrics map: ready pods are its entries; missing and unready pods are the entries a fill-in
// adds.
type podTally struct {
	anyMetric bool // the metrics API returned at least one entry (for any pod)

	readyCount int64
	readyUsage int64 // millicores
	readyReq   int64 // millicores

	missingCount    int64
	missingReq      int64
	missingFallback int64 // Σ request·max(100, target)/100, per pod (Utilization scale down)

	unreadyCount int64
	unreadyReq   int64

	// firstNoRequest is the index of the first pod without a CPU request, or -1.
	firstNoRequest int
}

// tallyPods groups every pod and sums what the calculations need. fallbackPercent is
// max(100, target utilization); 0 when unused.
func tallyPods(now time.Duration, pods []PodSample, fallbackPercent int64, opts *Options) podTally {
	t := podTally{firstNoRequest: -1}
	for i := range pods {
		p := &pods[i]
		if p.Metric != nil {
			t.anyMetric = true
		}
		if !p.HasCPURequest && t.firstNoRequest < 0 {
			t.firstNoRequest = i
		}
		switch groupPod(now, p, true, opts) {
		case podReady:
			t.readyCount++
			t.readyUsage += p.Metric.UsageMilli
			t.readyReq += p.CPURequestMilli
		case podMissing:
			t.missingCount++
			t.missingReq += p.CPURequestMilli
			t.missingFallback += p.CPURequestMilli * fallbackPercent / 100
		case podUnready:
			t.unreadyCount++
			t.unreadyReq += p.CPURequestMilli
		}
	}
	return t
}

// utilizationResult is the outcome of a Utilization target.
type utilizationResult struct {
	replicas    int32
	utilization int32 // percent, before any fill-in
	rawAverage  int64 // millicores per ready pod
}

// utilizationPercent is the integer utilization upstream uses: a ratio of sums, truncated
// (metrics/utilization.go: GetResourceUtilizationRatio).
func utilizationPercent(usage, requests int64) int32 {
	return int32((usage * 100) / requests)
}

// resourceUtilizationReplicas proposes a replica count for a Resource cpu metric with an
// averageUtilization target (replica_calculator.go: GetResourceReplicas).
func resourceUtilizationReplicas(now time.Duration, cur, target int32, tol tolerances, pods []PodSample, opts *Options) (utilizationResult, error) {
	t := tallyPods(now, pods, int64(max(100, target)), opts)
	if !t.anyMetric {
		return utilizationResult{}, errNoResourceMetrics
	}
	if len(pods) == 0 {
		return utilizationResult{}, errNoPods
	}
	if t.readyCount == 0 {
		return utilizationResult{}, errNoReadyMetrics
	}
	// calculateRequests: every listed pod needs a request, ignored and unready ones included.
	if i := t.firstNoRequest; i >= 0 {
		return utilizationResult{}, fmt.Errorf("missing request for cpu in Pod %s", pods[i].Name)
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
	usage, requests, entries := t.readyUsage, t.readyReq, t.readyCount
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

// resourceAverageValueReplicas proposes a replica count for a Resource cpu metric with an
// averageValue target, in millicores (replica_calculator.go: GetRawResourceReplicas and
// calcPlainMetricReplicas). Requests are not used. It returns the proposal and the average usage
// per ready pod.
func resourceAverageValueReplicas(now time.Duration, cur int32, targetMilli int64, tol tolerances, pods []PodSample, opts *Options) (int32, int64, error) {
	t := tallyPods(now, pods, 0, opts)
	if !t.anyMetric {
		return 0, 0, errNoResourceMetrics
	}
	if len(pods) == 0 {
		return 0, 0, errNoPods
	}
	if t.readyCount == 0 {
		return 0, 0, errNoReadyMetrics
	}
	// metrics/utilization.go: GetMetricUsageRatio — an integer average, then a float ratio.
	avg := t.readyUsage / t.readyCount
	ratio := float64(avg) / float64(targetMilli)

	scaleUpWithUnready := t.unreadyCount > 0 && ratio > 1.0
	if !scaleUpWithUnready && t.missingCount == 0 {
		if tol.within(ratio) {
			return cur, avg, nil
		}
		return int32(math.Ceil(ratio * float64(t.readyCount))), avg, nil
	}

	usage, entries := t.readyUsage, t.readyCount
	if t.missingCount > 0 {
		if ratio < 1.0 {
			usage += targetMilli * t.missingCount // as if exactly at the target
			entries += t.missingCount
		} else if ratio > 1.0 {
			entries += t.missingCount // as if idle
		}
	}
	if scaleUpWithUnready {
		entries += t.unreadyCount // as if idle
	}
	newRatio := float64(usage/entries) / float64(targetMilli)
	if tol.within(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		return cur, avg, nil
	}
	n := int32(math.Ceil(newRatio * float64(entries)))
	if (newRatio < 1.0 && n > cur) || (newRatio > 1.0 && n < cur) {
		return cur, avg, nil
	}
	return n, avg, nil
}
