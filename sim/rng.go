package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Random streams. Each component draws from its own stream, derived from the run's seed and
// the component's name, so that an extra draw in one component cannot shift another's choices.
const (
	streamScheduler = "scheduler" // tie-breaks between equally scored nodes
	streamNames     = "names"     // generated pod name suffixes
)

// newStream returns the random stream of one component for a run seed. Cost: O(len(name)).
func newStream(seed uint64, component string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(component))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
