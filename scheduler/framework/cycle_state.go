package framework

// StateKey names one plugin's entry in a CycleState.
type StateKey string

// CycleState carries what plugins computed for the pod being scheduled, from PreFilter and
// PreScore to the per-node Filter and Score calls. It lives for one scheduling cycle.
//
// Entries sit in a short slice searched linearly: a profile has a handful of entries, so a
// lookup is a few string compares and never allocates, where a map would hash on every node.
type CycleState struct {
	keys    []StateKey
	vals    []any
	cluster *Cluster
	cycle   uint64
}

// Cycle identifies the cycle since the last Reset: no two cycles of any CycleState share it.
// A plugin that keeps its own state for the cycle may remember (state, Cycle()) in PreFilter
// and, when both match in Filter, skip the lookup Read would do on every node.
func (c *CycleState) Cycle() uint64 {
	if c.cycle == 0 {
		c.cycle = nextGen()
	}
	return c.cycle
}

// SetCluster gives the cycle's plugins the cluster they schedule on.
func (c *CycleState) SetCluster(cl *Cluster) { c.cluster = cl }

// Cluster returns the cluster of the cycle, or nil when none was set.
func (c *CycleState) Cluster() *Cluster { return c.cluster }

// NewCycleState returns an empty state.
func NewCycleState() *CycleState { return &CycleState{} }

// Reset empties the state for the next cycle, keeping its storage and the cluster.
func (c *CycleState) Reset() {
	c.cycle = 0
	clear(c.vals)
	c.keys = c.keys[:0]
	c.vals = c.vals[:0]
}

// Write stores v under key, replacing any earlier value.
func (c *CycleState) Write(key StateKey, v any) {
	for i, k := range c.keys {
		if k == key {
			c.vals[i] = v
			return
		}
	}
	c.keys = append(c.keys, key)
	c.vals = append(c.vals, v)
}

// Read returns the value stored under key.
func (c *CycleState) Read(key StateKey) (any, bool) {
	for i, k := range c.keys {
		if k == key {
			return c.vals[i], true
		}
	}
	return nil, false
}
