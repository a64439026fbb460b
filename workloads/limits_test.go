package workloads

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// s is shorthand for whole seconds in expected traces.
func s(sec float64) time.Duration { return time.Duration(sec * float64(time.Second)) }

// TestDurationMatchesFloat checks the exact decimal conversion against the float one: they
// agree to within the float's own error.
func TestDurationMatchesFloat(t *testing.T) {
	const seed = 3
	rng := rand.New(rand.NewPCG(seed, 0))
	for range 100_000 {
		text := strconv.FormatUint(rng.Uint64N(4_000_000_000), 10)
		if rng.IntN(2) == 0 {
			text = strconv.FormatUint(rng.Uint64N(1000), 10)
		}
		if rng.IntN(4) > 0 {
			frac := make([]byte, 1+rng.IntN(14))
			for i := range frac {
				frac[i] = byte('0' + rng.IntN(10))
			}
			text += "." + string(frac)
		}
		sec, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatal(err)
		}
		got, viaFloat := duration(text, sec), time.Duration(math.Round(sec*1e9))
		// The float is off by up to half an ulp of sec (parsing), half an ulp of the product and
		// half a nanosecond (its rounding); the exact one by half a nanosecond.
		slack := (math.Nextafter(sec, math.Inf(1))-sec)*1e9/2 + (math.Nextafter(sec*1e9, math.Inf(1))-sec*1e9)/2 + 1
		if diff := math.Abs(float64(got - viaFloat)); diff > slack {
			t.Fatalf("seed %d: duration(%q) = %d ns, the float gives %d ns", seed, text, got, viaFloat)
		}
	}
}
