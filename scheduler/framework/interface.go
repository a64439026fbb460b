// Package framework holds the scheduling framework's extension points, the per-cycle state and
// the node and pod views that plugins read. It follows the shape of upstream's
// k8s.io/kube-scheduler/framework (interface.go) with three deliberate differences:
//
//   - No context.Context: a cycle runs on one goroutine and is never cancelled.
//   - Scores are plain []int64 indexed like the node list they belong to, so a scoring pass
//     allocates nothing per node.
//   - A Status is immutable, so plugins can return shared, precomputed rejections.
package framework

// MaxNodeScore and MinNodeScore bound every score after NormalizeScore, as upstream.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is the parent of all plugins. Name is the upstream plugin name (see plugins/names).
type Plugin interface {
	Name() string
}

// PreFilterPlugin runs once per pod before any Filter. It may narrow the candidate nodes with
// a PreFilterResult, reject the pod outright, or return Skip to have its Filter skipped for
// this cycle.
type PreFilterPlugin interface {
	Plugin
	PreFilter(state *CycleState, pod *PodInfo, nodes []*NodeInfo) (*PreFilterResult, *Status)
}

// FilterPlugin decides whether pod may run on one node. It is called once per node per pod:
// it must not allocate on the success path.
type FilterPlugin interface {
	Plugin
	Filter(state *CycleState, pod *PodInfo, node *NodeInfo) *Status
}

// PreScorePlugin runs once per pod with the feasible nodes, before any Score. Skip means its
// Score is not run for this cycle.
type PreScorePlugin interface {
	Plugin
	PreScore(state *CycleState, pod *PodInfo, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks one feasible node. ScoreExtensions returns nil when the plugin's raw
// scores are already in [MinNodeScore, MaxNodeScore].
type ScorePlugin interface {
	Plugin
	Score(state *CycleState, pod *PodInfo, node *NodeInfo) (int64, *Status)
	ScoreExtensions() ScoreExtensions
}

// BatchFilter is a FilterPlugin that can also filter many nodes in one call, given by their
// slots in the cycle's Cluster, with the same verdicts as Filter on each: out[i] for slots[i],
// nil when the node passes. The scheduler prefers it, saving a call and a state lookup per
// node.
type BatchFilter interface {
	FilterPlugin
	FilterSlots(state *CycleState, pod *PodInfo, slots []int32, out []*Status)
}

// BatchScorer is a ScorePlugin that can also score many nodes in one call, given by their
// slots in the cycle's Cluster, with the same results as Score on each: scores[i] for
// slots[i]. The scheduler prefers it, saving a call and a state lookup per node.
type BatchScorer interface {
	ScorePlugin
	ScoreSlots(state *CycleState, pod *PodInfo, slots []int32, scores []int64) *Status
}

// DefaultNormalizer is a ScoreExtensions whose NormalizeScore is exactly the shared default
// (plugins/helper.DefaultNormalizeScore with MaxNodeScore, reversed when NormalizeReversed): the
// scheduler may then normalise the plugin's scores itself, fused with summing them.
type DefaultNormalizer interface {
	ScoreExtensions
	NormalizeReversed() bool
}

// NormalizeAdder is a ScoreExtensions that can also normalise and weigh in one pass: it
// normalises scores (of the nodes given by slots) in place exactly as NormalizeScore would, and
// adds weight × each normalised score to totals[i]. Its normalised scores are always within
// [MinNodeScore, MaxNodeScore], so the scheduler's range check is not needed.
type NormalizeAdder interface {
	ScoreExtensions
	NormalizeAndAdd(state *CycleState, pod *PodInfo, slots []int32, scores []int64, weight int64, totals []int64) *Status
}

// ScoreExtensions rescales one plugin's raw scores in place. scores[i] belongs to nodes[i].
type ScoreExtensions interface {
	NormalizeScore(state *CycleState, pod *PodInfo, nodes []*NodeInfo, scores []int64) *Status
}

// PreFilterResult narrows the nodes Filter looks at. A nil result, or nil NodeNames, means all
// nodes.
type PreFilterResult struct {
	NodeNames map[string]struct{}
}

// AllNodes reports whether r leaves every node a candidate.
func (r *PreFilterResult) AllNodes() bool {
	return r == nil || r.NodeNames == nil
}

// Merge intersects two results, as upstream's PreFilterResult.Merge.
func (r *PreFilterResult) Merge(in *PreFilterResult) *PreFilterResult {
	switch {
	case r.AllNodes() && in.AllNodes():
		return nil
	case r.AllNodes():
		return &PreFilterResult{NodeNames: cloneSet(in.NodeNames)}
	case in.AllNodes():
		return &PreFilterResult{NodeNames: cloneSet(r.NodeNames)}
	}
	out := make(map[string]struct{})
	for n := range r.NodeNames {
		if _, ok := in.NodeNames[n]; ok {
			out[n] = struct{}{}
		}
	}
	return &PreFilterResult{NodeNames: out}
}

func cloneSet(s map[string]struct{}) map[string]struct{} {
	out := make(map[string]struct{}, len(s))
	for k := range s {
		out[k] = struct{}{}
	}
	return out
}
