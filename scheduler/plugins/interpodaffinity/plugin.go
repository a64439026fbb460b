// Package interpodaffinity places pods near or away from other pods, as upstream's
// plugins/interpodaffinity (plugin.go, filtering.go, scoring.go) in v1.37 with the
// InterPodAffinityHostnameFastPath gate off (its default):
//
//   - Filter: the pod's required affinity terms need, in the node's domain of every term's
//     topology key, a pod that matches all of them (or, when no pod anywhere does, the pod
//     matching its own terms); its required anti-affinity terms forbid a domain holding a pod
//     that matches any of them; and existing pods' required anti-affinity terms that match the
//     pod forbid their domains.
//   - Score: in each domain, + weight for every pod matching one of the pod's preferred
//     affinity terms, − weight for its preferred anti-affinity terms, + hardPodAffinityWeight
//     for every existing pod whose required affinity term matches the pod, ± weight for
//     existing pods' preferred terms that match it; scores are scaled min-max to 0-100.
//
// Terms select pods in the namespaces they name, or in the namespaces whose labels pass their
// namespaceSelector (see framework.Cluster.NamespaceLabels), or the owning pod's namespace when
// they give neither; matchLabelKeys and mismatchLabelKeys are merged into the selector as the
// API server merges them. Pods matching a term are counted by framework.Cluster's PodCounters
// and existing pods' terms are grouped by framework.Cluster's TermGroups, both kept up to date,
// with their sums per topology domain, as pods come and go, so a cycle's PreFilter and PreScore
// cost O(domains × terms) rather than upstream's O(pods), and Filter and Score O(terms) a node.
package interpodaffinity

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.InterPodAffinity

// Reasons counted for rejected nodes (upstream's texts).
const (
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
)

// Args configures the plugin, as upstream's InterPodAffinityArgs.
type Args struct {
	// HardPodAffinityWeight is the score weight of an existing pod's required affinity term
	// that the pod matches, 0 to 100. Upstream's default is 1 (see DefaultArgs); 0 turns the
	// symmetry off.
	HardPodAffinityWeight int32
	// IgnorePreferredTermsOfExistingPods skips scoring for a pod without preferred terms of
	// its own, even if existing pods' terms would match it.
	IgnorePreferredTermsOfExistingPods bool
}

// DefaultArgs returns upstream's defaults: HardPodAffinityWeight 1.
func DefaultArgs() Args { return Args{HardPodAffinityWeight: 1} }

// Validate checks the args as upstream's ValidateInterPodAffinityArgs.
func (a *Args) Validate() error {
	if a.HardPodAffinityWeight < 0 || a.HardPodAffinityWeight > 100 {
		return fmt.Errorf("interpodaffinity: hardPodAffinityWeight: Invalid value: %d: not in valid range [0, 100]", a.HardPodAffinityWeight)
	}
	return nil
}

// InterPodAffinity is the plugin. Its scratch arrays are reused from cycle to cycle, so it must
// serve one Scheduler (it does: profiles build their own plugins).
type InterPodAffinity struct {
	args Args

	filter preFilterState
	score  preScoreState

	// templates keeps, per parsed affinity (shared by the pods of one template), the counters
	// of the pods that match its terms.
	templates map[*framework.ParsedAffinity]*template

	// The parsed affinity of the current cycle.
	last      *framework.ParsedAffinity
	lastCS    *framework.CycleState
	lastCycle uint64
	lastPod   *corev1.Pod
}

// parsed is the cluster's parsed affinity of pod, found once per scheduling cycle: PreFilter
// and PreScore share it.
func (pl *InterPodAffinity) parsed(state *framework.CycleState, c *framework.Cluster, pod *corev1.Pod) *framework.ParsedAffinity {
	if pl.lastCS == state && pl.lastCycle == state.Cycle() && pl.lastPod == pod {
		return pl.last
	}
	pa := c.ParsedAffinity(pod)
	pl.lastCS, pl.lastCycle, pl.lastPod, pl.last = state, state.Cycle(), pod, pa
	return pa
}

// template is the pod counters of one parsed affinity's terms, kept between cycles.
type template struct {
	affinity     *framework.PodCounter   // pods matching all required affinity terms
	anti         []*framework.PodCounter // per required anti-affinity term
	preferred    []*framework.PodCounter // per preferred affinity term
	preferredAnt []*framework.PodCounter // per preferred anti-affinity term
	affinitySel  framework.PodSelector
}

// maxTemplates bounds the plugin's templates; when full they are all dropped.
const maxTemplates = 1024

func (pl *InterPodAffinity) template(c *framework.Cluster, pa *framework.ParsedAffinity) *template {
	if pl.templates == nil || len(pl.templates) >= maxTemplates {
		pl.templates = map[*framework.ParsedAffinity]*template{}
	}
	t, ok := pl.templates[pa]
	if !ok {
		t = &template{}
		if len(pa.RequiredAffinity) > 0 {
			t.affinitySel.Terms = make([]framework.SelectorTerm, len(pa.RequiredAffinity))
			for i := range pa.RequiredAffinity {
				t.affinitySel.Terms[i] = selectorTerm(&pa.RequiredAffinity[i])
			}
			t.affinity = c.Counter(t.affinitySel)
		}
		one := func(term *framework.AffinityTerm) *framework.PodCounter {
			return c.Counter(framework.PodSelector{Terms: []framework.SelectorTerm{selectorTerm(term)}})
		}
		for i := range pa.RequiredAntiAffinity {
			t.anti = append(t.anti, one(&pa.RequiredAntiAffinity[i]))
		}
		for i := range pa.PreferredAffinity {
			t.preferred = append(t.preferred, one(&pa.PreferredAffinity[i].AffinityTerm))
		}
		for i := range pa.PreferredAntiAffinity {
			t.preferredAnt = append(t.preferredAnt, one(&pa.PreferredAntiAffinity[i].AffinityTerm))
		}
		pl.templates[pa] = t
		return t
	}
	if t.affinity != nil {
		t.affinity = c.Again(t.affinity)
	}
	for _, list := range [][]*framework.PodCounter{t.anti, t.preferred, t.preferredAnt} {
		for i := range list {
			list[i] = c.Again(list[i])
		}
	}
	return t
}

var (
	_ framework.PreFilterPlugin = &InterPodAffinity{}
	_ framework.FilterPlugin    = &InterPodAffinity{}
	_ framework.PreScorePlugin  = &InterPodAffinity{}
	_ framework.ScorePlugin     = &InterPodAffinity{}
	_ framework.ScoreExtensions = &InterPodAffinity{}
	_ framework.BatchScorer     = &InterPodAffinity{}
	_ framework.BatchFilter     = &InterPodAffinity{}
	_ framework.NormalizeAdder  = &InterPodAffinity{}
)

var (
	statusSkip         = framework.NewStatus(framework.Skip)
	statusAffinity     = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	statusAntiAffinity = framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
	statusExisting     = framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
	errNoPreFilter     = errors.New("interpodaffinity: Filter called without PreFilter")
	errNoPreScore      = errors.New("interpodaffinity: Score called without PreScore")
	errNoCluster       = errors.New("interpodaffinity: no cluster in the cycle state")
)

// New returns the plugin; args may be nil (DefaultArgs), an Args, an *Args, or upstream's
// *configv1.InterPodAffinityArgs (an unset weight taken as the default).
func New(args any, _ framework.Features) (framework.Plugin, error) {
	a := DefaultArgs()
	switch v := args.(type) {
	case nil:
	case Args:
		a = v
	case *Args:
		a = *v
	case *configv1.InterPodAffinityArgs: // as a KubeSchedulerConfiguration gives them, defaulted
		if v.HardPodAffinityWeight != nil {
			a.HardPodAffinityWeight = *v.HardPodAffinityWeight
		}
		a.IgnorePreferredTermsOfExistingPods = v.IgnorePreferredTermsOfExistingPods
	default:
		return nil, fmt.Errorf("interpodaffinity: args must be interpodaffinity.Args, got %T", args)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &InterPodAffinity{args: a}, nil
}

// Name returns Name.
func (pl *InterPodAffinity) Name() string { return Name }

// selectorTerm turns an incoming pod's term into a conjunct of a PodSelector. Upstream first
// resolves the namespaceSelector into the namespaces it selects (plugin.go
// mergeAffinityTermNamespacesIfNotEmpty); evaluating it on each pod's namespace labels
// selects the same pods.
func selectorTerm(t *framework.AffinityTerm) framework.SelectorTerm {
	st := framework.SelectorTerm{Namespaces: t.Namespaces, Selector: t.Selector}
	if _, ok := t.NamespaceSelector.Requirements(); ok {
		st.NamespaceSelector = t.NamespaceSelector
	}
	return st
}

// domainCounts sums per-node counts into per-domain counts, one row per topology key.
type domainCounts struct {
	topos []*framework.Topology
	rows  [][]int64
	used  int
}

func (dc *domainCounts) reset() {
	dc.used = 0
}

// row returns the zeroed (on first use in the cycle) row of topo's key.
func (dc *domainCounts) row(topo *framework.Topology) []int64 {
	for i := range dc.used {
		if dc.topos[i] == topo {
			return dc.rows[i]
		}
	}
	n := topo.NumDomains() + 1
	if dc.used == len(dc.topos) {
		dc.topos = append(dc.topos, nil)
		dc.rows = append(dc.rows, nil)
	}
	dc.topos[dc.used] = topo
	if cap(dc.rows[dc.used]) < n {
		dc.rows[dc.used] = make([]int64, n)
	} else {
		dc.rows[dc.used] = dc.rows[dc.used][:n]
		clear(dc.rows[dc.used])
	}
	dc.used++
	return dc.rows[dc.used-1]
}

// add adds mult × sums[d] to each domain d of topo's key, sums being a count summed per domain
// (framework.PodCounter.DomainSums, index 0 for nodes without the key, which add nothing), and
// reports whether a node with the key has a count (upstream then has an entry in its map).
// O(domains).
func (dc *domainCounts) add(topo *framework.Topology, sums []int64, mult int64) bool {
	row := dc.row(topo)
	any := false
	for d := 1; d < len(sums); d++ {
		if v := sums[d]; v != 0 {
			row[d] += mult * v
			any = true
		}
	}
	return any
}

// rowsOf appends to dst the row of each topology in topos (which must have rows).
func (dc *domainCounts) rowsOf(dst [][]int64, topos []*framework.Topology) [][]int64 {
	for _, t := range topos {
		for i := range dc.used {
			if dc.topos[i] == t {
				dst = append(dst, dc.rows[i])
				break
			}
		}
	}
	return dst
}
