package hpa

import (
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// Port of TestConvertDesiredReplicasWithRules (upstream's tests raise the scale-up factor to 8).
func TestConvertDesiredReplicasWithRules(t *testing.T) {
	upCap := func(cur int32) int32 { return scaleUpLimit(cur, 8, 4) }
	tests := []struct {
		name                     string
		cur, desired, minR, maxR int32
		wantReplicas             int32
		wantReason               string
	}{
		{"prenormalized desired replicas within range", 5, 7, 3, 8, 7, ReasonDesiredWithinRange},
		{"prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, ReasonTooFewReplicas},
		{"prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, ReasonDesiredWithinRange},
		{"maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10, ReasonTooManyReplicas},
		{"scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, upCap(3), ReasonScaleUpLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := convertDesiredReplicasWithRules(tc.cur, tc.desired, tc.minR, tc.maxR, upCap(tc.cur))
			if got != tc.wantReplicas || reason != tc.wantReason {
				t.Errorf("got (%d, %s), want (%d, %s)", got, reason, tc.wantReplicas, tc.wantReason)
			}
		})
	}
	// ksim: the real factor, 2: from 3 the cap is 6; from 1 it is the minimum, 4.
	if got := scaleUpLimit(3, 2, 4); got != 6 {
		t.Errorf("scaleUpLimit(3) = %d, want 6", got)
	}
	if got := scaleUpLimit(1, 2, 4); got != 4 {
		t.Errorf("scaleUpLimit(1) = %d, want 4", got)
	}
}

// rec builds a recommendation made ago before testNow.
func rec(n int32, ago time.Duration) timestampedRecommendation {
	return timestampedRecommendation{recommendation: n, timestamp: testNow - ago}
}

// Port of TestNormalizeDesiredReplicas (stabilizeRecommendation).
func TestNormalizeDesiredReplicas(t *testing.T) {
	tests := []struct {
		name          string
		recs          []timestampedRecommendation
		prenormalized int32
		want          int32
		wantLogLength int
	}{
		{"empty log", []timestampedRecommendation{}, 5, 5, 1},
		{"stabilize", []timestampedRecommendation{rec(4, 2*time.Minute), rec(5, time.Minute)}, 3, 5, 3},
		{"no stabilize", []timestampedRecommendation{rec(1, 2*time.Minute), rec(2, time.Minute)}, 3, 3, 3},
		{"no stabilize - old recommendations", []timestampedRecommendation{rec(10, 10*time.Minute), rec(9, 9*time.Minute)}, 3, 3, 2},
		{"stabilize - old recommendations", []timestampedRecommendation{
			rec(10, 10*time.Minute), rec(4, time.Minute), rec(5, 2*time.Minute), rec(9, 9*time.Minute)}, 3, 5, 4},
		// ksim: the boundary (hpa-spec.md §6): a record exactly one window old still counts.
		{"ksim: a record exactly 5m old still counts", []timestampedRecommendation{rec(8, 5*time.Minute)}, 3, 8, 2},
		{"ksim: a record 5m+1ns old does not", []timestampedRecommendation{rec(8, 5*time.Minute+1)}, 3, 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, recs := stabilizeLegacy(tc.recs, testNow, 5*time.Minute, tc.prenormalized)
			if got != tc.want {
				t.Errorf("stabilized = %d, want %d", got, tc.want)
			}
			if len(recs) != tc.wantLogLength {
				t.Errorf("log has %d entries, want %d", len(recs), tc.wantLogLength)
			}
		})
	}
}

// compiledRules defaults and compiles one direction as New does.
func compiledRules(r *autoscalingv2.HPAScalingRules, up bool) scalingRules {
	if up {
		return compileRules(defaultScaleUpRules(r))
	}
	return compileRules(defaultScaleDownRules(r))
}

// Port of TestCalculateScaleUpLimitWithScalingRules.
func TestCalculateScaleUpLimitWithScalingRules(t *testing.T) {
	minPolicy := autoscalingv2.MinChangePolicySelect
	window := int32(300)
	r := compiledRules(&autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &window,
		SelectPolicy:               &minPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 2, PeriodSeconds: 60},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60},
		},
	}, true)
	if got := scaleUpLimitWithRules(testNow, 1, nil, nil, &r); got != 2 {
		t.Errorf("limit = %d, want 2", got)
	}
}

// Port of TestCalculateScaleDownLimitWithBehaviors.
func TestCalculateScaleDownLimitWithBehaviors(t *testing.T) {
	minPolicy := autoscalingv2.MinChangePolicySelect
	window := int32(300)
	r := compiledRules(&autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &window,
		SelectPolicy:               &minPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 2, PeriodSeconds: 60},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60},
		},
	}, false)
	if got := scaleDownLimitWithRules(testNow, 5, nil, nil, &r); got != 3 {
		t.Errorf("limit = %d, want 3", got)
	}
}

// eventsUniform spreads events over the last periodSeconds as upstream's
// generateEventsUniformDistribution does: each in the middle of its segment, the offset
// truncated to whole seconds (e.g. {1,5,9} over 120 s lie 100 s, 60 s and 20 s ago).
func eventsUniform(raw []int32, periodSeconds int) []timestampedScaleEvent {
	events := make([]timestampedScaleEvent, len(raw))
	segment := float64(periodSeconds) / float64(len(raw))
	for i, change := range raw {
		ago := time.Duration(float64(periodSeconds) - segment*float64(i+1) + segment/2)
		events[i] = timestampedScaleEvent{replicaChange: change, timestamp: testNow - time.Second*ago}
	}
	return events
}

// Port of TestScalingWithRules (convertDesiredReplicasWithBehaviorRate).
func TestScalingWithRules(t *testing.T) {
	tests := []struct {
		name                 string
		upEvents, downEvents []timestampedScaleEvent
		minR, maxR           int32
		upRules, downRules   *autoscalingv2.HPAScalingRules
		cur, desired         int32
		wantReplicas         int32
		wantReason           string
	}{
		{name: "prenormalized desired replicas within range", cur: 5, desired: 7, minR: 3, maxR: 8, wantReplicas: 7, wantReason: ReasonDesiredWithinRange},
		{name: "prenormalized desired replicas < minReplicas", cur: 3, desired: 1, minR: 2, maxR: 8, wantReplicas: 2, wantReason: ReasonTooFewReplicas},
		{name: "prenormalized desired replicas within range when minReplicas is 0", cur: 1, desired: 0, minR: 0, maxR: 10, wantReplicas: 0, wantReason: ReasonDesiredWithinRange},
		{name: "maxReplicas is the limit because maxReplicas < scaleUpLimit", cur: 20, desired: 1000, minR: 1, maxR: 10, wantReplicas: 10, wantReason: ReasonTooManyReplicas},
		{name: "desired replica count is more than the maximum replica count", cur: 100, desired: 1000, minR: 100, maxR: 150, wantReplicas: 150, wantReason: ReasonTooManyReplicas},
		{name: "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", cur: 3, desired: 1000, minR: 1, maxR: 2000,
			upRules: generateScalingRules(0, 0, 1, 60, 0), wantReplicas: 4, wantReason: ReasonScaleUpLimit},
		// ScaleUp without PeriodSeconds usage
		{name: "scaleUp with default behavior", minR: 1, maxR: 1000, cur: 10, desired: 50, wantReplicas: 20, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with pods policy larger than percent policy", minR: 1, maxR: 1000, upRules: generateScalingRules(100, 60, 100, 60, 0),
			cur: 10, desired: 500, wantReplicas: 110, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with percent policy larger than pods policy", minR: 1, maxR: 1000, upRules: generateScalingRules(2, 60, 100, 60, 0),
			cur: 10, desired: 500, wantReplicas: 20, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with spec MaxReplicas limitation with large pod policy", minR: 1, maxR: 1000, upRules: generateScalingRules(100, 60, 0, 0, 0),
			cur: 10, desired: 50, wantReplicas: 50, wantReason: ReasonDesiredWithinRange},
		{name: "scaleUp with spec MaxReplicas limitation with large percent policy", minR: 1, maxR: 1000, upRules: generateScalingRules(10000, 60, 0, 0, 0),
			cur: 10, desired: 50, wantReplicas: 50, wantReason: ReasonDesiredWithinRange},
		{name: "scaleUp with pod policy limitation", minR: 1, maxR: 1000, upRules: generateScalingRules(30, 60, 0, 0, 0),
			cur: 10, desired: 50, wantReplicas: 40, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with percent policy limitation", minR: 1, maxR: 1000, upRules: generateScalingRules(0, 0, 200, 60, 0),
			cur: 10, desired: 50, wantReplicas: 30, wantReason: ReasonScaleUpLimit},
		{name: "scaleDown with percent policy larger than pod policy", minR: 1, maxR: 1000, downRules: generateScalingRules(20, 60, 1, 60, 300),
			cur: 100, desired: 2, wantReplicas: 80, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with pod policy larger than percent policy", minR: 1, maxR: 1000, downRules: generateScalingRules(2, 60, 1, 60, 300),
			cur: 100, desired: 2, wantReplicas: 98, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with spec MinReplicas limitation with large pod policy", minR: 1, maxR: 1000, downRules: generateScalingRules(100, 60, 0, 0, 300),
			cur: 10, desired: 0, wantReplicas: 1, wantReason: ReasonTooFewReplicas},
		{name: "scaleDown with spec MinReplicas limitation with large percent policy", minR: 5, maxR: 1000, downRules: generateScalingRules(0, 0, 100, 60, 300),
			cur: 10, desired: 2, wantReplicas: 5, wantReason: ReasonTooFewReplicas},
		{name: "scaleDown with pod policy limitation", minR: 1, maxR: 1000, downRules: generateScalingRules(5, 60, 0, 0, 300),
			cur: 10, desired: 2, wantReplicas: 5, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with percent policy limitation", minR: 1, maxR: 1000, downRules: generateScalingRules(0, 0, 50, 60, 300),
			cur: 10, desired: 5, wantReplicas: 5, wantReason: ReasonDesiredWithinRange},
		{name: "scaleUp with spec MaxReplicas limitation with large pod policy and events", upEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 200, upRules: generateScalingRules(300, 60, 0, 0, 0), cur: 100, desired: 500, wantReplicas: 200, wantReason: ReasonTooManyReplicas},
		{name: "scaleUp with spec MaxReplicas limitation with large percent policy and events", upEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 200, upRules: generateScalingRules(0, 0, 10000, 60, 0), cur: 100, desired: 500, wantReplicas: 200, wantReason: ReasonTooManyReplicas},
		{name: "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", upEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(5, 120, 0, 0, 0), cur: 100, desired: 500, wantReplicas: 100, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with pod policy and previous scale up events", upEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(150, 120, 0, 0, 0), cur: 100, desired: 500, wantReplicas: 235, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with percent policy and previous scale up events", upEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(0, 0, 200, 120, 0), cur: 100, desired: 500, wantReplicas: 255, wantReason: ReasonScaleUpLimit},
		{name: "scaleUp with percent policy and previous scale up and down events",
			upEvents: eventsUniform([]int32{4}, 120), downEvents: eventsUniform([]int32{2}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(0, 0, 300, 300, 0), cur: 6, desired: 24, wantReplicas: 16, wantReason: ReasonScaleUpLimit},
		// ScaleDown with PeriodSeconds usage
		{name: "scaleDown with default policy and previous events", downEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 1000, cur: 10, desired: 5, wantReplicas: 5, wantReason: ReasonDesiredWithinRange},
		{name: "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", downEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(115, 120, 0, 0, 300), cur: 100, desired: 0, wantReplicas: 1, wantReason: ReasonTooFewReplicas},
		{name: "scaleDown with spec MinReplicas limitation with large pod policy and previous events", downEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 5, maxR: 1000, downRules: generateScalingRules(130, 120, 0, 0, 300), cur: 100, desired: 0, wantReplicas: 5, wantReason: ReasonTooFewReplicas},
		{name: "scaleDown with spec MinReplicas limitation with large percent policy and previous events", downEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 5, maxR: 1000, downRules: generateScalingRules(0, 0, 100, 120, 300), cur: 100, desired: 2, wantReplicas: 5, wantReason: ReasonTooFewReplicas},
		{name: "scaleDown with pod policy limitation and previous events", downEvents: eventsUniform([]int32{1, 5, 9}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(5, 120, 0, 0, 300), cur: 100, desired: 2, wantReplicas: 100, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with percent policy limitation and previous events", downEvents: eventsUniform([]int32{2, 4, 6}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(0, 0, 50, 120, 300), cur: 100, desired: 0, wantReplicas: 56, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with percent policy and previous scale up and down events",
			upEvents: eventsUniform([]int32{2}, 120), downEvents: eventsUniform([]int32{4}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(0, 0, 50, 180, 0), cur: 10, desired: 1, wantReplicas: 6, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with previous events preventing further scale down", downEvents: eventsUniform([]int32{10, 10, 10}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(0, 0, 10, 120, 300), cur: 100, desired: 0, wantReplicas: 100, wantReason: ReasonScaleDownLimit},
		{name: "scaleDown with with previous events still allowing more scale down", downEvents: eventsUniform([]int32{10, 10, 10}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(0, 0, 1000, 120, 300), cur: 10, desired: 5, wantReplicas: 5, wantReason: ReasonDesiredWithinRange},
		{name: "check 'outdated' flag for events for one behavior for up", upEvents: eventsUniform([]int32{8, 12, 9, 11}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(1000, 60, 0, 0, 0), cur: 100, desired: 200, wantReplicas: 200, wantReason: ReasonDesiredWithinRange},
		{name: "check that events were not marked 'outdated' for two different policies in the behavior for up", upEvents: eventsUniform([]int32{8, 12, 9, 11}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(1000, 120, 100, 60, 0), cur: 100, desired: 200, wantReplicas: 200, wantReason: ReasonDesiredWithinRange},
		{name: "check that events were marked 'outdated' for two different policies in the behavior for up", upEvents: eventsUniform([]int32{8, 12, 9, 11}, 120),
			minR: 1, maxR: 1000, upRules: generateScalingRules(1000, 30, 100, 60, 0), cur: 100, desired: 200, wantReplicas: 200, wantReason: ReasonDesiredWithinRange},
		{name: "check 'outdated' flag for events for one behavior for down", downEvents: eventsUniform([]int32{8, 12, 9, 11}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(1000, 60, 0, 0, 300), cur: 100, desired: 5, wantReplicas: 5, wantReason: ReasonDesiredWithinRange},
		{name: "check that events were not marked 'outdated' for two different policies in the behavior for down", downEvents: eventsUniform([]int32{8, 12, 9, 11}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(1000, 120, 100, 60, 300), cur: 100, desired: 5, wantReplicas: 5, wantReason: ReasonDesiredWithinRange},
		{name: "check that events were marked 'outdated' for two different policies in the behavior for down", downEvents: eventsUniform([]int32{8, 12, 9, 11}, 120),
			minR: 1, maxR: 1000, downRules: generateScalingRules(1000, 30, 100, 60, 300), cur: 100, desired: 5, wantReplicas: 5, wantReason: ReasonDesiredWithinRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &compiledBehavior{up: compiledRules(tc.upRules, true), down: compiledRules(tc.downRules, false)}
			got, reason := convertDesiredReplicasWithBehaviorRate(testNow, tc.cur, tc.desired, tc.minR, tc.maxR, b, tc.upEvents, tc.downEvents)
			if got != tc.wantReplicas || reason != tc.wantReason {
				t.Errorf("got (%d, %s), want (%d, %s)", got, reason, tc.wantReplicas, tc.wantReason)
			}
		})
	}
}

// Port of TestStoreScaleEvents: the events stored after a scale of 10 → 10±change, in both
// directions, with the rules on that direction (or without behavior: nothing is stored).
func TestStoreScaleEvents(t *testing.T) {
	ev := func(change int32, ago time.Duration, outdated bool) timestampedScaleEvent {
		return timestampedScaleEvent{replicaChange: change, timestamp: testNow - ago, outdated: outdated}
	}
	s := time.Second
	tests := []struct {
		name       string
		change     int32
		prev, next []timestampedScaleEvent
		rules      *autoscalingv2.HPAScalingRules // nil: no behavior
		wantChange int32                          // replicasChangePerPeriod(60s) before the store
	}{
		{name: "empty entries with default behavior", change: 5,
			prev: []timestampedScaleEvent{}, next: []timestampedScaleEvent{}, wantChange: 0},
		{name: "empty entries with two-policy-behavior", change: 5,
			prev: []timestampedScaleEvent{}, next: []timestampedScaleEvent{ev(5, 0, false)},
			rules: generateScalingRules(10, 60, 100, 60, 0), wantChange: 0},
		{name: "one outdated entry to be kept untouched without behavior", change: 5,
			prev: []timestampedScaleEvent{ev(7, 61*s, false)}, next: []timestampedScaleEvent{ev(7, 0, false)}, wantChange: 0},
		{name: "one outdated entry to be replaced with behavior", change: 5,
			prev: []timestampedScaleEvent{ev(7, 61*s, false)}, next: []timestampedScaleEvent{ev(5, 0, false)},
			rules: generateScalingRules(10, 60, 100, 60, 0), wantChange: 0},
		{name: "one actual entry to be not touched with behavior", change: 5,
			prev:  []timestampedScaleEvent{ev(7, 58*s, false)},
			next:  []timestampedScaleEvent{ev(7, 0, false), ev(5, 0, false)},
			rules: generateScalingRules(10, 60, 100, 60, 0), wantChange: 7},
		{name: "two entries, one of them to be replaced", change: 5,
			prev:  []timestampedScaleEvent{ev(7, 61*s, false), ev(6, 59*s, false)},
			next:  []timestampedScaleEvent{ev(5, 0, false), ev(6, 0, false)},
			rules: generateScalingRules(10, 60, 0, 0, 0), wantChange: 6},
		{name: "replace one entry, use policies with different periods", change: 5,
			prev:  []timestampedScaleEvent{ev(8, 29*s, false), ev(6, 59*s, false), ev(7, 61*s, false), ev(9, 61*s, false)},
			next:  []timestampedScaleEvent{ev(8, 0, false), ev(6, 0, false), ev(7, 0, true), ev(5, 0, false)},
			rules: generateScalingRules(10, 60, 100, 30, 0), wantChange: 14},
		{name: "two entries, both actual", change: 5,
			prev:  []timestampedScaleEvent{ev(7, 58*s, false), ev(6, 59*s, false)},
			next:  []timestampedScaleEvent{ev(7, 0, false), ev(6, 0, false), ev(5, 0, false)},
			rules: generateScalingRules(10, 120, 100, 30, 0), wantChange: 13},
	}
	for _, tc := range tests {
		for _, up := range []bool{true, false} {
			dir := map[bool]string{true: "up", false: "down"}[up]
			t.Run(tc.name+"/"+dir, func(t *testing.T) {
				a := &Autoscaler{}
				if tc.rules != nil {
					// The rules apply to the direction under test; the other keeps its defaults.
					b := &compiledBehavior{up: compiledRules(nil, true), down: compiledRules(nil, false)}
					if up {
						b.up = compiledRules(tc.rules, true)
					} else {
						b.down = compiledRules(tc.rules, false)
					}
					a.spec.behavior = b
				}
				events := &a.downEvents
				next := int32(10) - tc.change
				if up {
					events, next = &a.upEvents, 10+tc.change
				}
				*events = append([]timestampedScaleEvent{}, tc.prev...)
				if got := replicasChangePerPeriod(testNow, time.Minute, *events); got != tc.wantChange {
					t.Errorf("change in the last 60s = %d, want %d", got, tc.wantChange)
				}
				a.storeScaleEvent(testNow, 10, next)
				if len(*events) != len(tc.next) {
					t.Fatalf("%d events, want %d: %+v", len(*events), len(tc.next), *events)
				}
				for i, got := range *events {
					want := tc.next[i]
					if got.replicaChange != want.replicaChange || got.outdated != want.outdated {
						t.Errorf("event %d = {%d outdated=%v}, want {%d outdated=%v}", i, got.replicaChange, got.outdated, want.replicaChange, want.outdated)
					}
				}
			})
		}
	}
}

// Port of TestNormalizeDesiredReplicasWithBehavior (stabilizeRecommendationWithBehaviors).
func TestNormalizeDesiredReplicasWithBehavior(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name                 string
		recs                 []timestampedRecommendation
		cur, prenormalized   int32
		want                 int32
		wantRecs             []int32 // nil: not checked
		upWindow, downWindow time.Duration
	}{
		{name: "empty recommendations for scaling down", recs: []timestampedRecommendation{},
			cur: 100, prenormalized: 5, want: 5, wantRecs: []int32{5}},
		{name: "simple scale down stabilization", recs: []timestampedRecommendation{rec(4, 2*m), rec(5, m)},
			cur: 100, prenormalized: 3, want: 5, wantRecs: []int32{4, 5, 3}, downWindow: 3 * m},
		{name: "simple scale up stabilization", recs: []timestampedRecommendation{rec(4, 2*m), rec(5, m)},
			cur: 1, prenormalized: 7, want: 4, wantRecs: []int32{4, 5, 7}, upWindow: 5 * m},
		{name: "no scale down stabilization", recs: []timestampedRecommendation{rec(1, 2*m), rec(2, m)},
			cur: 100, prenormalized: 3, want: 3, wantRecs: []int32{1, 2, 3}, upWindow: 5 * m},
		{name: "no scale up stabilization", recs: []timestampedRecommendation{rec(4, 2*m), rec(5, m)},
			cur: 1, prenormalized: 3, want: 3, wantRecs: []int32{4, 5, 3}, downWindow: 5 * m},
		{name: "no scale down stabilization, reuse recommendation element", recs: []timestampedRecommendation{rec(10, 10*m), rec(9, 9*m)},
			cur: 100, prenormalized: 3, want: 3, wantRecs: []int32{10, 3}},
		{name: "no scale up stabilization, reuse recommendation element", recs: []timestampedRecommendation{rec(10, 10*m), rec(9, 9*m)},
			cur: 1, prenormalized: 100, want: 100, wantRecs: []int32{10, 100}},
		{name: "scale down stabilization, reuse one of obsolete recommendation element",
			recs: []timestampedRecommendation{rec(10, 10*m), rec(4, m), rec(5, 2*m), rec(9, 9*m)},
			cur:  100, prenormalized: 3, want: 5, wantRecs: []int32{10, 4, 5, 3}, downWindow: 3 * m},
		{name: "scale up stabilization, reuse one of obsolete recommendation element",
			recs: []timestampedRecommendation{rec(10, 100*m), rec(6, m), rec(5, 2*m), rec(9, 3*m)},
			cur:  1, prenormalized: 100, want: 5, wantRecs: []int32{100, 6, 5, 9}, upWindow: 5 * m},
		{name: "scale up and down stabilization, do not scale up when prenormalized rec goes down",
			recs: []timestampedRecommendation{rec(2, 100*m), rec(3, 3*m)},
			cur:  2, prenormalized: 1, want: 2, upWindow: 5 * m, downWindow: 5 * m},
		{name: "scale up and down stabilization, do not scale down when prenormalized rec goes up",
			recs: []timestampedRecommendation{rec(2, 100*m), rec(1, 3*m)},
			cur:  2, prenormalized: 3, want: 2, upWindow: 5 * m, downWindow: 5 * m},
		// ksim: the boundary (hpa-spec.md §7.2): a record exactly one window old no longer counts.
		{name: "ksim: a record exactly 30s old does not count",
			recs: []timestampedRecommendation{rec(10, 30*time.Second)},
			cur:  10, prenormalized: 1, want: 1, downWindow: 30 * time.Second},
		{name: "ksim: a record 29s old does",
			recs: []timestampedRecommendation{rec(10, 29*time.Second)},
			cur:  10, prenormalized: 1, want: 10, downWindow: 30 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, recs := stabilizeWithBehavior(tc.recs, testNow, tc.cur, tc.prenormalized, tc.upWindow, tc.downWindow)
			if got != tc.want {
				t.Errorf("stabilized = %d, want %d", got, tc.want)
			}
			if tc.wantRecs == nil {
				return
			}
			var gotRecs []int32
			for _, r := range recs {
				gotRecs = append(gotRecs, r.recommendation)
			}
			if len(gotRecs) != len(tc.wantRecs) {
				t.Fatalf("stored recommendations %v, want %v", gotRecs, tc.wantRecs)
			}
			for i := range gotRecs {
				if gotRecs[i] != tc.wantRecs[i] {
					t.Fatalf("stored recommendations %v, want %v", gotRecs, tc.wantRecs)
				}
			}
		})
	}
}

// The float64 rounding of the Percent policies, bit for bit (hpa-spec.md §7.3). ksim cases.
func TestPercentPolicyRounding(t *testing.T) {
	limit := func(up bool, start, percent int32) int32 {
		r := scalingRules{
			selectPolicy: autoscalingv2.MaxChangePolicySelect,
			policies:     []scalingPolicy{{typ: policyPercent, value: percent, period: 15 * time.Second}},
		}
		if up {
			return scaleUpLimitWithRules(testNow, start, nil, nil, &r)
		}
		return scaleDownLimitWithRules(testNow, start, nil, nil, &r)
	}
	tests := []struct {
		up             bool
		start, percent int32
		want           int32
	}{
		{true, 50, 10, 56}, // exact: 55
		{true, 100, 10, 111},
		{true, 25, 12, 29},
		{false, 10, 90, 0}, // exact: 1
		{false, 5, 80, 0},
		{false, 25, 56, 10},
		{false, 10, 80, 1}, // exact: 2 (the behavior-percent-policy replay example)
	}
	for _, tc := range tests {
		if got := limit(tc.up, tc.start, tc.percent); got != tc.want {
			t.Errorf("up=%v start=%d percent=%d: limit %d, want %d", tc.up, tc.start, tc.percent, got, tc.want)
		}
	}
	// Over starts 1..200 and values 1..100, exact integer arithmetic differs 38 times going up
	// and 119 times going down.
	upDiff, downDiff := 0, 0
	for start := int32(1); start <= 200; start++ {
		for v := int32(1); v <= 100; v++ {
			exactUp := (int64(start)*int64(100+v) + 99) / 100
			exactDown := int64(start) * int64(100-v) / 100
			if int64(limit(true, start, v)) != exactUp {
				upDiff++
			}
			if int64(limit(false, start, v)) != exactDown {
				downDiff++
			}
		}
	}
	if upDiff != 38 || downDiff != 119 {
		t.Errorf("float64 differs from exact arithmetic %d times up and %d down, want 38 and 119", upDiff, downDiff)
	}
}
