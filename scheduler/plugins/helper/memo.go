package helper

// Memo remembers the results of an integer function for recent arguments, so that a
// normalisation over many nodes whose raw scores repeat (they take few distinct values) divides
// once per value rather than once per node. It is a 64-entry direct-mapped table, about 1 KiB,
// meant to live on the stack for one pass.
type Memo struct {
	keys [64]int64
	vals [64]int64
	set  [64]bool
}

func memoSlot(s int64) uint64 { return (uint64(s) * 0x9E3779B97F4A7C15) >> 58 }

// Get returns the remembered result for s, if any.
func (m *Memo) Get(s int64) (int64, bool) {
	h := memoSlot(s)
	return m.vals[h], m.set[h] && m.keys[h] == s
}

// Put remembers v as the result for s.
func (m *Memo) Put(s, v int64) {
	h := memoSlot(s)
	m.keys[h], m.vals[h], m.set[h] = s, v, true
}
