// Package suggest finds the name a user probably meant: "unknown field imagePullPolcy; did you
// mean imagePullPolicy?". Every parser of ksim that names what is allowed uses it, so that all
// of them suggest alike.
package suggest

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Closest returns the name in known nearest to key, ignoring case, when it is near enough to be
// a typo: at most max(1, min(3, len(key)/4)) edits away. It returns "" otherwise. Cost:
// O(len(known) × len(key)²) for names up to 64 bytes.
func Closest(key string, known []string) string {
	best, bestD := "", math.MaxInt
	lk := strings.ToLower(key)
	for _, k := range known {
		if strings.ToLower(k) == lk {
			return k
		}
		if d := Distance(lk, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= max(1, min(3, utf8.RuneCountInString(key)/4)) {
		return best
	}
	return ""
}

// Distance is the optimal string alignment distance between a and b (bytes): insertions,
// deletions, substitutions and swaps of two adjacent bytes each cost 1, so "laod" is one step
// from "load". Strings over 64 bytes are math.MaxInt apart: this is for names, not text.
func Distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				c = min(c, prev2[j-2]+1)
			}
			cur[j] = c
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
