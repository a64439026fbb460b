package scheduler

import (
	"hash/maphash"
	"math"

	"ksim.dev/ksim/scheduler/framework"
)

// templateCache keeps, per profile and pod signature, what the profile's node-local plugins
// (framework.NodeLocalPlugin) concluded: their PreFilter and PreScore outcomes and state, and
// for every node the first local filter that rejects it (or none) and each local score
// plugin's raw score, stamped with the node's generation (framework.NodeInfo.Gen). Pods stamped
// from one template sign alike, so a cycle recomputes only the nodes that changed since the
// template's last pod (typically the two or three where pods came and went) and reads the rest.
// Plugins that are not node-local (topology spreading, inter-pod affinity) run every cycle.
//
// The signature is a 64-bit hash (hash/maphash) of everything the local plugins read of the
// pod (their SignPod methods); two different pods that hash alike would share results, a
// chance of about one in 10^19 per pair.
//
// Memory: per entry, about 64 bytes per node slot plus 8 per local score plugin (about 100
// with the default profile); entries are dropped least recently used first once they hold
// maxCachedSlots slots in all (about 100 MiB).
type templateCache struct {
	h        maphash.Hash
	entries  map[templateKey]*templateEntry
	locals   map[*profile]*profileLocals
	tick     uint64
	slots    int  // the per-slot array length summed over entries
	disabled bool // tests: build every entry afresh, reusing nothing
	// scratch holds the per-slot arrays that narrow entries borrow (see enter).
	scratch scratchSlots
}

// scratchSlots is per-slot storage lent to one narrow entry at a time.
type scratchSlots struct {
	slots      []slotInfo
	failOf     []int32
	fixedOf    []int64
	specGen    []uint64
	specFail   []int32
	specFailSt []*framework.Status
	specScored []uint64
	raw        [][]int64
}

// narrowFraction: an entry whose local PreFilters leave fewer than 1/narrowFraction of the
// nodes is narrow.
const narrowFraction = 8

// maxCachedSlots bounds templateCache.slots: 64 templates at 16,384 nodes, 200 at 5,000.
const maxCachedSlots = 1 << 20

type templateKey struct {
	prof *profile
	sig  uint64
}

// profileLocals says which of a profile's plugins are node-local, at each extension point.
type profileLocals struct {
	plugins   []framework.NodeLocalPlugin // each once
	parts     framework.SignPart          // the parts the PartSigners among them read
	others    []framework.NodeLocalPlugin // the plugins that sign themselves
	preFilter []bool                      // by index in profile.preFilter
	filter    []bool
	preScore  []bool
	score     []bool
	// nonLocalFilters are the indexes in profile.filter of the filters run every cycle.
	nonLocalFilters []int
	// objectOnlyFilter and objectOnlyScore mark the local plugins that read only the node
	// object (framework.NodeObjectOnly), by index in profile.filter and profile.score.
	objectOnlyFilter []bool
	objectOnlyScore  []bool
	nodeSet          bool // a local plugin depends on the node set
}

func newProfileLocals(p *profile) *profileLocals {
	l := &profileLocals{}
	add := func(pl framework.Plugin) bool {
		nl, ok := pl.(framework.NodeLocalPlugin)
		if !ok {
			return false
		}
		for _, x := range l.plugins {
			if x == nl {
				return true
			}
		}
		l.plugins = append(l.plugins, nl)
		if ps, ok := pl.(framework.PartSigner); ok {
			l.parts |= ps.SignParts()
		} else {
			l.others = append(l.others, nl)
		}
		if _, ok := pl.(framework.NodeSetDependent); ok {
			l.nodeSet = true
		}
		return true
	}
	for _, pl := range p.preFilter {
		l.preFilter = append(l.preFilter, add(pl))
	}
	objectOnly := func(pl framework.Plugin) bool {
		_, ok := pl.(framework.NodeObjectOnly)
		return ok
	}
	for i, pl := range p.filter {
		local := add(pl)
		l.filter = append(l.filter, local)
		l.objectOnlyFilter = append(l.objectOnlyFilter, local && objectOnly(pl))
		if !local {
			l.nonLocalFilters = append(l.nonLocalFilters, i)
		}
	}
	for _, pl := range p.preScore {
		l.preScore = append(l.preScore, add(pl))
	}
	for _, pl := range p.score {
		local := add(pl)
		l.score = append(l.score, local)
		l.objectOnlyScore = append(l.objectOnlyScore, local && objectOnly(pl))
	}
	return l
}

// slotInfo is what the local plugins concluded for one node, kept together for the filter and
// score passes' sake.
type slotInfo struct {
	gen      uint64            // the node's Gen when computed; 0: never
	failSt   *framework.Status // the status of fail
	fail     int32             // index in profile.filter of the first local filter that rejects, or -1
	rejected bool              // failSt.IsRejected()
}

// noFixed in templateEntry.fixedOf marks a node whose fixed sum cannot stand for its plugins.
const noFixed = math.MinInt64

// templateEntry is what the local plugins concluded for one signature.
type templateEntry struct {
	key        templateKey
	locals     *profileLocals
	lastUse    uint64
	cluster    *framework.Cluster
	nodeSetGen uint64

	// state holds the local plugins' PreFilter and PreScore state; their Filter and Score
	// read it, whichever pod of the template is being scheduled.
	state        *framework.CycleState
	preFilterRes []*framework.PreFilterResult // by index in profile.preFilter
	preFilterSt  []*framework.Status
	preScoreSt   []*framework.Status // by index in profile.preScore
	skipFilter   []bool              // by index in profile.filter: skipped by its PreFilter
	noScore      []bool              // by index in profile.score: its PreScore skipped or failed

	// Per node slot.
	slots  []slotInfo
	failOf []int32 // slots[slot].fail, packed for the filter pass
	// fixedOf is the weighted sum of the raw scores of the inFixed plugins (local, scoring,
	// with no NormalizeScore), or noFixed unless every one of them was in range without error.
	fixedOf []int64

	specGen    []uint64              // its SpecGen when the object-only filters ran
	specFail   []int32               // the first object-only filter that rejects, or -1
	specFailSt []*framework.Status   // its status
	specScored []uint64              // its SpecGen when the object-only scores were computed
	raw        [][]int64             // by index in profile.score (nil if not local): raw score
	scoreErr   [][]*framework.Status // by index in profile.score, allocated on a first error
	// swept says every node was brought up to date once, and synced is the cluster's change
	// count (Cluster.Changes) when they last all were.
	swept  bool
	synced uint64

	inFixed  []bool // by index in profile.score
	hasFixed bool
}

func (c *templateCache) profileLocals(p *profile) *profileLocals {
	if c.locals == nil {
		c.locals = map[*profile]*profileLocals{}
	}
	l, ok := c.locals[p]
	if !ok {
		l = newProfileLocals(p)
		c.locals[p] = l
	}
	return l
}

// enter returns the entry of pi's signature under profile p on cluster cl, building it (and
// running the local plugins' PreFilter and PreScore) when there is none or it no longer
// applies. all is the cycle's node list, given to PreFilter. Cost: hashing the pod's signed
// fields, O(1) map work; building an entry costs the local PreFilters and PreScores.
func (c *templateCache) enter(p *profile, pi *framework.PodInfo, cl *framework.Cluster, all []*framework.NodeInfo) *templateEntry {
	locals := c.profileLocals(p)
	c.h.Reset()
	framework.SignPodParts(&c.h, pi.Pod, locals.parts)
	for _, pl := range locals.others {
		pl.SignPod(&c.h, pi.Pod)
	}
	key := templateKey{prof: p, sig: c.h.Sum64()}
	c.tick++
	if c.entries == nil {
		c.entries = map[templateKey]*templateEntry{}
	}
	e := c.entries[key]
	if e != nil && !c.disabled && e.cluster == cl && (!locals.nodeSet || e.nodeSetGen == cl.NodeSetGen) {
		e.lastUse = c.tick
		if n := len(cl.Slots()); len(e.slots) < n {
			c.slots += n - len(e.slots)
			e.grow(n)
		}
		return e
	}
	if e != nil {
		c.drop(e)
	}
	n := len(cl.Slots())
	for c.slots+n > maxCachedSlots && len(c.entries) > 0 {
		var oldest *templateEntry
		for _, x := range c.entries {
			if oldest == nil || x.lastUse < oldest.lastUse {
				oldest = x
			}
		}
		c.drop(oldest)
	}
	e = &templateEntry{key: key, locals: locals, lastUse: c.tick, cluster: cl, nodeSetGen: cl.NodeSetGen,
		state: framework.NewCycleState()}
	e.state.SetCluster(cl)
	e.preFilterRes = make([]*framework.PreFilterResult, len(p.preFilter))
	e.preFilterSt = make([]*framework.Status, len(p.preFilter))
	e.skipFilter = make([]bool, len(p.filter))
	for i, pl := range p.preFilter {
		if !locals.preFilter[i] {
			continue
		}
		e.preFilterRes[i], e.preFilterSt[i] = pl.PreFilter(e.state, pi, all)
		if e.preFilterSt[i].IsSkip() {
			if j := p.filterIndex[i]; j >= 0 {
				e.skipFilter[j] = true
			}
		}
	}
	// Local PreScores read only the pod, so they run now, once; their outcome counts only in
	// cycles that score, in profile order with the others (Scheduler.prioritize).
	e.preScoreSt = make([]*framework.Status, len(p.preScore))
	e.noScore = make([]bool, len(p.score))
	for i, pl := range p.preScore {
		if !locals.preScore[i] {
			continue
		}
		e.preScoreSt[i] = pl.PreScore(e.state, pi, nil)
		if st := e.preScoreSt[i]; !st.IsSuccess() {
			if j := p.scoreIndex[i]; j >= 0 {
				e.noScore[j] = true
			}
		}
	}
	e.raw = make([][]int64, len(p.score))
	e.scoreErr = make([][]*framework.Status, len(p.score))
	e.inFixed = make([]bool, len(p.score))
	for i, pl := range p.score {
		if locals.score[i] && !e.noScore[i] && pl.ScoreExtensions() == nil {
			e.inFixed[i], e.hasFixed = true, true
		}
	}
	if narrow(e.preFilterRes, n) {
		e.borrow(&c.scratch, n)
		return e
	}
	e.grow(n)
	c.slots += n
	c.entries[key] = e
	return e
}

// narrow reports whether the local PreFilters restrict the pod to a small set of nodes, as
// NodeAffinity does for a DaemonSet's pod (one node by metadata.name). Such a signature is
// seldom seen twice, and the scheduler looks only at the few candidates: the entry is not kept,
// and its per-slot arrays are borrowed from the cache's scratch storage rather than allocated
// node-sized for each pod (at 5,000 nodes a DaemonSet's pods would otherwise allocate and
// sweep 5,000 × 5,000 slots, and push the templates worth keeping out of the cache).
func narrow(res []*framework.PreFilterResult, nodes int) bool {
	for _, r := range res {
		if r != nil && !r.AllNodes() && len(r.NodeNames)*narrowFraction < nodes {
			return true
		}
	}
	return false
}

// borrow gives e the scratch storage's per-slot arrays, n long and cleared (every slot
// uncomputed). The previous borrower must be done with them: entries live for one cycle unless
// kept in the cache, and narrow ones are not kept. Cost: clearing n slots, no allocation once
// the storage has grown.
func (e *templateEntry) borrow(sc *scratchSlots, n int) {
	take := func(s []uint64) []uint64 { s = resize(s, n)[:n]; clear(s); return s }
	sc.slots = resize(sc.slots, n)[:n]
	clear(sc.slots)
	sc.failOf = resize(sc.failOf, n)[:n]
	clear(sc.failOf)
	sc.fixedOf = resize(sc.fixedOf, n)[:n]
	clear(sc.fixedOf)
	sc.specGen, sc.specScored = take(sc.specGen), take(sc.specScored)
	sc.specFail = resize(sc.specFail, n)[:n]
	clear(sc.specFail)
	sc.specFailSt = resize(sc.specFailSt, n)[:n]
	clear(sc.specFailSt)
	e.slots, e.failOf, e.fixedOf = sc.slots, sc.failOf, sc.fixedOf
	e.specGen, e.specFail, e.specFailSt, e.specScored = sc.specGen, sc.specFail, sc.specFailSt, sc.specScored
	for len(sc.raw) < len(e.raw) {
		sc.raw = append(sc.raw, nil)
	}
	for i, local := range e.locals.score {
		if local {
			sc.raw[i] = resize(sc.raw[i], n)[:n]
			clear(sc.raw[i])
			e.raw[i] = sc.raw[i]
		}
	}
}

func (c *templateCache) drop(e *templateEntry) {
	delete(c.entries, e.key)
	c.slots -= len(e.slots)
}

// grow makes the per-slot arrays n long; new slots are uncomputed.
func (e *templateEntry) grow(n int) {
	e.slots = resize(e.slots, n)
	e.failOf = resize(e.failOf, n)
	e.fixedOf = resize(e.fixedOf, n)
	e.specGen = resize(e.specGen, n)
	e.specFail = resize(e.specFail, n)
	e.specFailSt = resize(e.specFailSt, n)
	e.specScored = resize(e.specScored, n)
	for i, local := range e.locals.score {
		if local {
			e.raw[i] = resize(e.raw[i], n)
			if e.scoreErr[i] != nil {
				e.scoreErr[i] = resize(e.scoreErr[i], n)
			}
		}
	}
}

func resize[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	out := make([]T, n)
	copy(out, s)
	return out
}

// sync brings every node's cached results up to date: at first all nodes, then only those the
// cluster's change log names since the last sync (or all again, checking generations, when
// the log no longer reaches back). After it the filter pass need not check nodes for changes.
// Cost: O(nodes changed since the template's last pod); O(nodes) the first time.
func (s *Scheduler) sync(e *templateEntry, pi *framework.PodInfo) {
	c := e.cluster
	if e.swept && e.synced == c.Changes() {
		return
	}
	slots := c.Slots()
	if e.swept && c.ChangedSince(e.synced, func(slot int32) {
		if ni := slots[slot]; ni != nil && e.slots[slot].gen != ni.Gen {
			s.refresh(e, pi, ni)
		}
	}) {
		e.synced = c.Changes()
		return
	}
	for slot, ni := range slots {
		if ni != nil && e.slots[slot].gen != ni.Gen {
			s.refresh(e, pi, ni)
		}
	}
	e.swept, e.synced = true, c.Changes()
}

// refreshSlots brings the cached local results of the given slots up to date, for a cycle
// whose PreFilters restricted it to those nodes: the others are not looked at. Cost:
// O(slots).
func (s *Scheduler) refreshSlots(e *templateEntry, pi *framework.PodInfo, slots []int32) {
	all := e.cluster.Slots()
	for _, slot := range slots {
		if ni := all[slot]; ni != nil && e.slots[slot].gen != ni.Gen {
			s.refresh(e, pi, ni)
		}
	}
}

// refresh computes the node's local verdict and, when it passes, the local raw scores. The
// plugins that read only the node object (framework.NodeObjectOnly) are recomputed only when
// that changed (NodeInfo.SpecGen): a pod coming or going reruns only the others (resources,
// ports).
func (s *Scheduler) refresh(e *templateEntry, pi *framework.PodInfo, node *framework.NodeInfo) {
	slot := node.Slot
	l := e.locals
	si := &e.slots[slot]
	si.gen = node.Gen
	if e.specGen[slot] != node.SpecGen {
		e.specGen[slot] = node.SpecGen
		e.specFail[slot], e.specFailSt[slot] = -1, nil
		for i, pl := range s.prof.filter {
			if !l.filter[i] || !l.objectOnlyFilter[i] || e.skipFilter[i] {
				continue
			}
			if st := pl.Filter(e.state, pi, node); !st.IsSuccess() {
				e.specFail[slot], e.specFailSt[slot] = int32(i), st
				break
			}
		}
	}
	fail, failSt := e.specFail[slot], e.specFailSt[slot]
	for i, pl := range s.prof.filter {
		if fail >= 0 && int32(i) > fail {
			break
		}
		if !l.filter[i] || l.objectOnlyFilter[i] || e.skipFilter[i] {
			continue
		}
		if st := pl.Filter(e.state, pi, node); !st.IsSuccess() {
			fail, failSt = int32(i), st
			break
		}
	}
	si.fail, si.failSt, si.rejected = fail, failSt, failSt.IsRejected()
	e.failOf[slot] = fail
	e.fixedOf[slot] = noFixed
	if fail >= 0 {
		return
	}
	specScores := e.specScored[slot] != node.SpecGen
	e.specScored[slot] = node.SpecGen
	var fixed int64
	fixedOK := true
	for p, pl := range s.prof.score {
		if !l.score[p] || e.noScore[p] {
			continue
		}
		var v int64
		var st *framework.Status
		if l.objectOnlyScore[p] && !specScores {
			v = e.raw[p][slot] // the node object has not changed since it was computed
			if e.scoreErr[p] != nil {
				st = e.scoreErr[p][slot]
			}
		} else {
			v, st = pl.Score(e.state, pi, node)
			e.raw[p][slot] = v
			if !st.IsSuccess() || e.scoreErr[p] != nil {
				if e.scoreErr[p] == nil {
					e.scoreErr[p] = make([]*framework.Status, len(e.slots))
				}
				e.scoreErr[p][slot] = st
			}
		}
		if e.inFixed[p] {
			fixed += v * s.prof.weights[p]
			fixedOK = fixedOK && st.IsSuccess() && v >= framework.MinNodeScore && v <= framework.MaxNodeScore
		}
	}
	if fixedOK {
		e.fixedOf[slot] = fixed
	}
}
