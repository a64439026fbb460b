package hpa

import (
	"math"
	"time"
)

// timestampedRecommendation is one unstabilized recommendation (horizontal.go). The list is
// shared by the legacy and the behavior paths.
type timestampedRecommendation struct {
	recommendation int32
	timestamp      time.Duration
}

// timestampedScaleEvent is one write of the scale, kept per direction when behavior is set
// (horizontal.go). replicaChange is the absolute change.
type timestampedScaleEvent struct {
	replicaChange int32
	timestamp     time.Duration
	outdated      bool // older than the direction's longest policy period: its slot may be reused
}

// normalized is the outcome of one normalisation.
type normalized struct {
	stabilized  int32
	desired     int32
	ableReason  string // AbleToScale: ReadyForNewScale, ScaleDownStabilized or ScaleUpStabilized
	limitReason string // ScalingLimited: DesiredWithinRange, TooFew/TooManyReplicas, ScaleUp/DownLimit
}

// normalizeLegacy is the path without spec.behavior (horizontal.go: normalizeDesiredReplicas):
// a max over the downscale window in both directions, then the min/max clamp with a scale-up
// cap of max(2·cur, 4) per sync.
func (a *Autoscaler) normalizeLegacy(now time.Duration, cur, prenormalized, minR int32) normalized {
	var n normalized
	n.stabilized, a.recs = stabilizeLegacy(a.recs, now, a.opts.DownscaleStabilization, prenormalized)
	n.ableReason = ReasonReadyForNewScale
	if n.stabilized != prenormalized {
		n.ableReason = ReasonScaleDownStabilized
	}
	upCap := scaleUpLimit(cur, a.upLimitFactor, a.upLimitMinimum)
	n.desired, n.limitReason = convertDesiredReplicasWithRules(cur, n.stabilized, minR, a.spec.maxReplicas, upCap)
	return n
}

// stabilizeLegacy returns the max of prenormalized and of every recommendation not older than
// window (a record exactly window old still counts), and records prenormalized at now in the
// last expired slot, or appended (horizontal.go: stabilizeRecommendation).
func stabilizeLegacy(recs []timestampedRecommendation, now, window time.Duration, prenormalized int32) (int32, []timestampedRecommendation) {
	maxRec := prenormalized
	cutoff := now - window
	old := -1
	for i, r := range recs {
		if r.timestamp < cutoff {
			old = i
		} else if r.recommendation > maxRec {
			maxRec = r.recommendation
		}
	}
	rec := timestampedRecommendation{recommendation: prenormalized, timestamp: now}
	if old >= 0 {
		recs[old] = rec
	} else {
		recs = append(recs, rec)
	}
	return maxRec, recs
}

// scaleUpLimit is the legacy per-sync cap (horizontal.go: calculateScaleUpLimit).
func scaleUpLimit(cur int32, factor, minimum float64) int32 {
	return int32(math.Max(factor*float64(cur), minimum))
}

// convertDesiredReplicasWithRules clamps a legacy recommendation into [minR, min(maxR, upCap)]
// (horizontal.go: convertDesiredReplicasWithRules).
func convertDesiredReplicasWithRules(cur, desired, minR, maxR, upCap int32) (int32, string) {
	maxAllowed, reason := maxR, ReasonTooManyReplicas
	if maxR > upCap {
		maxAllowed, reason = upCap, ReasonScaleUpLimit
	}
	switch {
	case desired < minR:
		return minR, ReasonTooFewReplicas
	case desired > maxAllowed:
		return maxAllowed, reason
	}
	return desired, ReasonDesiredWithinRange
}

// normalizeWithBehavior is the path with spec.behavior
// (horizontal.go: normalizeDesiredReplicasWithBehaviors): stabilize between the scale-up and
// scale-down windows, then apply the rate policies and min/max.
func (a *Autoscaler) normalizeWithBehavior(now time.Duration, cur, prenormalized, minR int32) normalized {
	b := a.spec.behavior
	var n normalized
	var stabReason string
	n.stabilized, stabReason, a.recs = stabilizeWithBehavior(a.recs, now, cur, prenormalized, b.up.window, b.down.window)
	n.ableReason = ReasonReadyForNewScale
	if n.stabilized != prenormalized {
		n.ableReason = stabReason
	}
	n.desired, n.limitReason = convertDesiredReplicasWithBehaviorRate(now, cur, n.stabilized, minR, a.spec.maxReplicas, b, a.upEvents, a.downEvents)
	return n
}

// stabilizeWithBehavior clamps prenormalized between the min of the recommendations within the
// scale-up window and the max of those within the scale-down window, both including
// prenormalized, starting from cur; a record exactly one window old no longer counts. It
// records prenormalized at now in the last slot older than both windows, or appended
// (horizontal.go: stabilizeRecommendationWithBehaviors). The reason applies when the result
// differs from prenormalized.
func stabilizeWithBehavior(recs []timestampedRecommendation, now time.Duration, cur, prenormalized int32, upWindow, downWindow time.Duration) (int32, string, []timestampedRecommendation) {
	upRec, downRec := prenormalized, prenormalized
	upCut, downCut := now-upWindow, now-downWindow
	old := -1
	for i, r := range recs {
		if r.timestamp > upCut {
			upRec = min(upRec, r.recommendation)
		}
		if r.timestamp > downCut {
			downRec = max(downRec, r.recommendation)
		}
		if r.timestamp < upCut && r.timestamp < downCut {
			old = i
		}
	}
	stab := min(max(cur, upRec), downRec)
	rec := timestampedRecommendation{recommendation: prenormalized, timestamp: now}
	if old >= 0 {
		recs[old] = rec
	} else {
		recs = append(recs, rec)
	}
	reason := ReasonScaleDownStabilized
	if prenormalized >= cur {
		reason = ReasonScaleUpStabilized
	}
	return stab, reason, recs
}

// convertDesiredReplicasWithBehaviorRate applies the policies of the direction of change and
// min/max (horizontal.go: convertDesiredReplicasWithBehaviorRate). Note that minR is not
// checked on a scale up, nor maxR on a scale down.
func convertDesiredReplicasWithBehaviorRate(now time.Duration, cur, desired, minR, maxR int32, b *compiledBehavior, upEvents, downEvents []timestampedScaleEvent) (int32, string) {
	switch {
	case desired > cur:
		limit := scaleUpLimitWithRules(now, cur, upEvents, downEvents, &b.up)
		if limit < cur {
			limit = cur // events of a recent burst: hold until they age out
		}
		maxAllowed, reason := maxR, ReasonTooManyReplicas
		if maxR > limit {
			maxAllowed, reason = limit, ReasonScaleUpLimit
		}
		if desired > maxAllowed {
			return maxAllowed, reason
		}
	case desired < cur:
		limit := scaleDownLimitWithRules(now, cur, upEvents, downEvents, &b.down)
		if limit > cur {
			limit = cur
		}
		minAllowed, reason := minR, ReasonTooFewReplicas
		if minR < limit {
			minAllowed, reason = limit, ReasonScaleDownLimit
		}
		if desired < minAllowed {
			return minAllowed, reason
		}
	}
	return desired, ReasonDesiredWithinRange
}

// replicasChangePerPeriod sums the changes of the events strictly after now-period
// (horizontal.go: getReplicasChangePerPeriod). Outdated events still count.
func replicasChangePerPeriod(now, period time.Duration, events []timestampedScaleEvent) int32 {
	cutoff := now - period
	var sum int32
	for _, e := range events {
		if e.timestamp > cutoff {
			sum += e.replicaChange
		}
	}
	return sum
}

// periodStart estimates the replica count at the start of a policy's period from the events of
// both directions within it.
func periodStart(now time.Duration, cur int32, p *scalingPolicy, upEvents, downEvents []timestampedScaleEvent) int32 {
	return cur - replicasChangePerPeriod(now, p.period, upEvents) + replicasChangePerPeriod(now, p.period, downEvents)
}

// scaleUpLimitWithRules is the highest count the scale-up policies allow
// (horizontal.go: calculateScaleUpLimitWithScalingRules). selectPolicy Max takes the largest
// proposal, Min the smallest, Disabled allows no change.
func scaleUpLimitWithRules(now time.Duration, cur int32, upEvents, downEvents []timestampedScaleEvent, r *scalingRules) int32 {
	if r.selectPolicy == selectDisabled {
		return cur
	}
	pickMin := r.selectPolicy == selectMin
	result := int32(math.MinInt32)
	if pickMin {
		result = math.MaxInt32
	}
	for i := range r.policies {
		p := &r.policies[i]
		start := periodStart(now, cur, p, upEvents, downEvents)
		var proposed int32
		switch p.typ {
		case policyPods:
			proposed = start + p.value
		case policyPercent:
			// Rounded up, so that a small percentage still adds a pod; computed in float64 in
			// exactly this order: 50·(1+10/100) gives 56, not 55.
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.value)/100)))
		}
		if pickMin {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// scaleDownLimitWithRules is the lowest count the scale-down policies allow
// (horizontal.go: calculateScaleDownLimitWithBehaviors). selectPolicy Max takes the largest
// change (the smallest count), Min the smallest change, Disabled allows no change.
func scaleDownLimitWithRules(now time.Duration, cur int32, upEvents, downEvents []timestampedScaleEvent, r *scalingRules) int32 {
	if r.selectPolicy == selectDisabled {
		return cur
	}
	pickMax := r.selectPolicy == selectMin
	result := int32(math.MaxInt32)
	if pickMax {
		result = math.MinInt32
	}
	for i := range r.policies {
		p := &r.policies[i]
		start := periodStart(now, cur, p, upEvents, downEvents)
		var proposed int32
		switch p.typ {
		case policyPods:
			proposed = start - p.value
		case policyPercent:
			// Truncated toward zero, in float64: 10·(1-80/100) gives 1, not 2.
			proposed = int32(float64(start) * (1 - float64(p.value)/100))
		}
		if pickMax {
			result = max(result, proposed)
		} else {
			result = min(result, proposed)
		}
	}
	return result
}

// storeScaleEvent remembers a successful write from prev to next replicas, when behavior is set
// (horizontal.go: storeScaleEvent). Events of the direction older than its longest policy
// period are marked outdated first; the new event overwrites the last outdated one, or is
// appended.
func (a *Autoscaler) storeScaleEvent(now time.Duration, prev, next int32) {
	b := a.spec.behavior
	if b == nil {
		return // the legacy path never reads events
	}
	if next > prev {
		a.upEvents = storeEvent(a.upEvents, now, b.up.longestPeriod, next-prev)
	} else {
		a.downEvents = storeEvent(a.downEvents, now, b.down.longestPeriod, prev-next)
	}
}

func storeEvent(events []timestampedScaleEvent, now, longestPeriod time.Duration, change int32) []timestampedScaleEvent {
	markScaleEventsOutdated(events, now, longestPeriod)
	old := -1
	for i := range events {
		if events[i].outdated {
			old = i
		}
	}
	e := timestampedScaleEvent{replicaChange: change, timestamp: now}
	if old >= 0 {
		events[old] = e
		return events
	}
	return append(events, e)
}

// markScaleEventsOutdated flags the events strictly older than now-longestPeriod
// (horizontal.go: markScaleEventsOutdated).
func markScaleEventsOutdated(events []timestampedScaleEvent, now, longestPeriod time.Duration) {
	cutoff := now - longestPeriod
	for i := range events {
		if events[i].timestamp < cutoff {
			events[i].outdated = true
		}
	}
}
