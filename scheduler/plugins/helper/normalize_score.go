// Package helper holds small functions shared by plugins.
package helper

import "ksim.dev/ksim/scheduler/framework"

// DefaultNormalizeScore rescales scores from [0, max(scores)] to [0, maxPriority] with integer
// division, and with reverse subtracts each result from maxPriority. When every score is 0 the
// scores stay 0, or all become maxPriority with reverse. Scores must be non-negative.
// Same rule as upstream plugins/helper/normalize_score.go. O(len(scores)), no allocation.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []int64) *framework.Status {
	var maxCount int64
	for _, s := range scores {
		maxCount = max(maxCount, s)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxPriority
			}
		}
		return nil
	}
	for i, s := range scores {
		// The two commonest values skip the division, with the division's result.
		switch s {
		case 0:
		case maxCount:
			s = maxPriority
		default:
			s = maxPriority * s / maxCount
		}
		if reverse {
			s = maxPriority - s
		}
		scores[i] = s
	}
	return nil
}
