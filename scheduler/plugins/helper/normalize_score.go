// Package helper holds small functions shared by plugins.
package helper

import "ksim.dev/ksim/scheduler/framework"

// DefaultNormalizeScore rescales scores from [0, max(scores)] to [0, maxPriority] with integer
// division, and with reverse subtracts each result from maxPriority. When every score is 0 the
// scores stay 0, or all become maxPriority with reverse. Scores must be non-negative.
// Same rule as upstream plugins/helper/normalize_score.go. O(len(scores)), no allocation.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []int64) *framework.Status {
	var maxCount, minCount int64
	for _, s := range scores {
		maxCount = max(maxCount, s)
		minCount = min(minCount, s)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i] = maxPriority
			}
		}
		return nil
	}
	if minCount >= 0 && maxCount < 64 && int64(len(scores)) > 2*maxCount {
		// Few possible values (counts of taints, say): a table, one division per value.
		var table [64]int64
		for s := int64(0); s <= maxCount; s++ {
			v := maxPriority * s / maxCount
			if reverse {
				v = maxPriority - v
			}
			table[s] = v
		}
		for i, s := range scores {
			scores[i] = table[s]
		}
		return nil
	}
	var memo Memo
	for i, s := range scores {
		// The two commonest values skip the division, with the division's result; others
		// repeat, and are divided once each.
		switch s {
		case 0:
		case maxCount:
			s = maxPriority
		default:
			if v, ok := memo.Get(s); ok {
				s = v
			} else {
				v = maxPriority * s / maxCount
				memo.Put(s, v)
				s = v
			}
		}
		if reverse {
			s = maxPriority - s
		}
		scores[i] = s
	}
	return nil
}
