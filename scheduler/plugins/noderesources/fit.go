// Package noderesources holds the plugins that look at resource requests: NodeResourcesFit
// (does the pod fit in what is left of the node's allocatable; which node has most room) and
// NodeResourcesBalancedAllocation (which node ends up best balanced), as upstream's
// plugins/noderesources.
//
// Requests are computed by k8s.io/component-helpers/resource.PodRequests exactly as upstream
// calls it: the larger of the app containers' sum and each init container (with restartable
// "sidecar" init containers counted alongside the app containers), pod-level requests when set,
// plus pod overhead. NodeResourcesFit scores with any of upstream's three strategies:
// LeastAllocated (the default), MostAllocated and RequestedToCapacityRatio. Not modelled:
// DRA-backed extended resources (no DeviceClass exists in ksim, so every extended resource is
// checked against node allocatable).
package noderesources

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is NodeResourcesFit's name in profiles.
const Name = names.NodeResourcesFit

// Fixed reasons of NodeResourcesFit. A scalar resource r gives "Insufficient r".
const (
	ReasonTooManyPods               = "Too many pods"
	ReasonInsufficientCPU           = "Insufficient cpu"
	ReasonInsufficientMemory        = "Insufficient memory"
	ReasonInsufficientEphemeralDisk = "Insufficient ephemeral-storage"
)

const (
	preFilterStateKey framework.StateKey = "PreFilter" + Name
	preScoreStateKey  framework.StateKey = "PreScore" + Name
)

// ScoringStrategyType names how NodeResourcesFit scores.
type ScoringStrategyType string

// The scoring strategies, as upstream's config.ScoringStrategyType.
const (
	// LeastAllocated, upstream's default, favours the emptiest node (spreading).
	LeastAllocated ScoringStrategyType = "LeastAllocated"
	// MostAllocated favours the fullest node (bin packing).
	MostAllocated ScoringStrategyType = "MostAllocated"
	// RequestedToCapacityRatio scores each resource's utilisation through a piecewise linear
	// shape given in the args.
	RequestedToCapacityRatio ScoringStrategyType = "RequestedToCapacityRatio"
)

// ScoringStrategy is NodeResourcesFit's scoring configuration.
type ScoringStrategy struct {
	Type      ScoringStrategyType
	Resources []ResourceSpec
	// RequestedToCapacityRatio is required for that strategy and must be nil for the others.
	RequestedToCapacityRatio *RequestedToCapacityRatioParam
}

// RequestedToCapacityRatioParam is the shape of the RequestedToCapacityRatio strategy.
type RequestedToCapacityRatioParam struct {
	// Shape is at least one point, utilisation strictly increasing from 0 to 100, scores from
	// 0 to 10 (upstream's MaxCustomPriorityScore).
	Shape []UtilizationShapePoint
}

// UtilizationShapePoint is one point of a RequestedToCapacityRatio shape.
type UtilizationShapePoint struct {
	Utilization int32 // percent, 0 to 100
	Score       int32 // 0 to MaxCustomPriorityScore
}

// MaxCustomPriorityScore is the largest score a shape point may have; shape scores are scaled
// by MaxNodeScore / MaxCustomPriorityScore (upstream config.MaxCustomPriorityScore).
const MaxCustomPriorityScore = 10

// FitArgs configures NodeResourcesFit, as upstream's NodeResourcesFitArgs.
type FitArgs struct {
	// IgnoredResources are extended resources the filter does not check.
	IgnoredResources []string
	// IgnoredResourceGroups are prefixes ("example.com" for "example.com/gpu") of extended
	// resources the filter does not check.
	IgnoredResourceGroups []string
	// ScoringStrategy defaults to LeastAllocated over cpu and memory with weight 1.
	ScoringStrategy *ScoringStrategy
}

// Fit is the NodeResourcesFit plugin.
type Fit struct {
	ignored       map[corev1.ResourceName]bool
	ignoredGroups map[string]bool
	scorer        allocationScorer
	strategy      strategy
	fts           framework.Features
	// statuses[bits] for the fixed reasons (bit i ↔ fixedReasons[i]), and with Unresolvable.
	statuses [2][1 << len(fixedReasons)]*framework.Status
}

var fixedReasons = [...]string{ReasonTooManyPods, ReasonInsufficientCPU, ReasonInsufficientMemory, ReasonInsufficientEphemeralDisk}

const (
	bitPods = 1 << iota
	bitCPU
	bitMemory
	bitEphemeral
)

var (
	_ framework.PreFilterPlugin = &Fit{}
	_ framework.FilterPlugin    = &Fit{}
	_ framework.PreScorePlugin  = &Fit{}
	_ framework.ScorePlugin     = &Fit{}
)

var (
	errNoPreFilter = errors.New("noderesources: Fit Filter called without PreFilter")
	errNoPreScore  = errors.New("noderesources: Fit Score called without PreScore")
)

// NewFit returns NodeResourcesFit; args may be nil or a FitArgs.
func NewFit(args any, fts framework.Features) (framework.Plugin, error) {
	a := FitArgs{}
	switch v := args.(type) {
	case nil:
	case FitArgs:
		a = v
	case *FitArgs:
		a = *v
	default:
		return nil, errors.New("noderesources: NodeResourcesFit args must be FitArgs")
	}
	spec := ScoringStrategy{Type: LeastAllocated}
	if a.ScoringStrategy != nil {
		spec = *a.ScoringStrategy
	}
	if len(spec.Resources) == 0 {
		spec.Resources = defaultResources()
	}
	score, err := newStrategy(spec)
	if err != nil {
		return nil, err
	}
	f := &Fit{
		ignored:       map[corev1.ResourceName]bool{},
		ignoredGroups: map[string]bool{},
		scorer:        newAllocationScorer(spec.Resources, false),
		strategy:      score,
		fts:           fts,
	}
	for _, r := range a.IgnoredResources {
		f.ignored[corev1.ResourceName(r)] = true
	}
	for _, g := range a.IgnoredResourceGroups {
		f.ignoredGroups[g] = true
	}
	for u, code := range [2]framework.Code{framework.Unschedulable, framework.UnschedulableAndUnresolvable} {
		for bits := 1; bits < 1<<len(fixedReasons); bits++ {
			f.statuses[u][bits] = framework.NewStatus(code, reasonsFor(bits, nil)...)
		}
	}
	return f, nil
}

func reasonsFor(bits int, scalars []string) []string {
	var out []string
	for i, r := range fixedReasons {
		if bits&(1<<i) != 0 {
			out = append(out, r)
		}
	}
	return append(out, scalars...)
}

// Name returns Name.
func (f *Fit) Name() string { return Name }

type scalarRequest struct {
	name     corev1.ResourceName
	quantity int64
	reason   string
}

type preFilterState struct {
	req framework.Resource
	// scalars are the positive scalar requests the filter checks, sorted by name.
	scalars []scalarRequest
	// none is true when the pod requests nothing at all: only the pod count is checked.
	none bool
	// scalarStatuses caches rejections that name scalar resources, keyed by failure bits
	// (the fixed reasons, then one bit per entry of scalars, then Unresolvable on bit 63).
	scalarStatuses map[uint64]*framework.Status
}

// PreFilter computes the pod's requests: spec, pod-level when set, and overhead; no defaults for
// unset ones and no resize status.
func (f *Fit) PreFilter(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	reqs := resourcehelper.PodRequests(pod.Pod, resourcehelper.PodResourcesOptions{
		SkipPodLevelResources: !f.fts.EnablePodLevelResources,
	})
	s := &preFilterState{}
	s.req.SetMaxResource(reqs)
	s.none = s.req.MilliCPU == 0 && s.req.Memory == 0 && s.req.EphemeralStorage == 0 && len(s.req.ScalarResources) == 0
	for name, q := range s.req.ScalarResources {
		if q <= 0 || f.isIgnored(name) {
			continue
		}
		s.scalars = append(s.scalars, scalarRequest{name: name, quantity: q, reason: "Insufficient " + string(name)})
	}
	slices.SortFunc(s.scalars, func(a, b scalarRequest) int { return strings.Compare(string(a.name), string(b.name)) })
	if len(s.scalars) > 64-len(fixedReasons)-1 {
		return nil, framework.AsStatus(fmt.Errorf("noderesources: pod requests %d scalar resources, more than ksim supports", len(s.scalars)))
	}
	state.Write(preFilterStateKey, s)
	return nil, nil
}

func (f *Fit) isIgnored(name corev1.ResourceName) bool {
	if !framework.IsExtendedResourceName(name) {
		return false
	}
	if f.ignored[name] {
		return true
	}
	if len(f.ignoredGroups) > 0 {
		group, _, _ := strings.Cut(string(name), "/")
		return f.ignoredGroups[group]
	}
	return false
}

// Filter checks the pod count and each requested resource against what the node's pods leave
// of its allocatable (upstream noderesources/fit.go fitsRequest). A rejection lists every
// insufficient resource; it is Unresolvable when a request exceeds the whole allocatable.
// O(requested scalar resources); no allocation except the first time a given combination of
// scalar shortfalls is seen for a pod.
func (f *Fit) Filter(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) *framework.Status {
	v, ok := state.Read(preFilterStateKey)
	if !ok {
		return framework.AsStatus(errNoPreFilter)
	}
	s := v.(*preFilterState)
	alloc, used := &node.Allocatable, &node.Requested
	bits, unresolvable := 0, false
	if len(node.Pods)+1 > alloc.AllowedPodNumber {
		bits |= bitPods
	}
	if s.none {
		return f.status(s, uint64(bits), false)
	}
	r := &s.req
	if r.MilliCPU > 0 && r.MilliCPU > alloc.MilliCPU-used.MilliCPU {
		bits |= bitCPU
		unresolvable = unresolvable || r.MilliCPU > alloc.MilliCPU
	}
	if r.Memory > 0 && r.Memory > alloc.Memory-used.Memory {
		bits |= bitMemory
		unresolvable = unresolvable || r.Memory > alloc.Memory
	}
	if r.EphemeralStorage > 0 && r.EphemeralStorage > alloc.EphemeralStorage-used.EphemeralStorage {
		bits |= bitEphemeral
		unresolvable = unresolvable || r.EphemeralStorage > alloc.EphemeralStorage
	}
	all := uint64(bits)
	for i, sc := range s.scalars {
		a := alloc.ScalarResources[sc.name]
		if sc.quantity > a-used.ScalarResources[sc.name] {
			all |= 1 << (len(fixedReasons) + i)
			unresolvable = unresolvable || sc.quantity > a
		}
	}
	return f.status(s, all, unresolvable)
}

func (f *Fit) status(s *preFilterState, bits uint64, unresolvable bool) *framework.Status {
	if bits == 0 {
		return nil
	}
	if bits < 1<<len(fixedReasons) {
		u := 0
		if unresolvable {
			u = 1
		}
		return f.statuses[u][bits]
	}
	key := bits
	if unresolvable {
		key |= 1 << 63
	}
	if st, ok := s.scalarStatuses[key]; ok {
		return st
	}
	var scalars []string
	for i, sc := range s.scalars {
		if bits&(1<<(len(fixedReasons)+i)) != 0 {
			scalars = append(scalars, sc.reason)
		}
	}
	code := framework.Unschedulable
	if unresolvable {
		code = framework.UnschedulableAndUnresolvable
	}
	st := framework.NewStatus(code, reasonsFor(int(bits&(1<<len(fixedReasons)-1)), scalars)...)
	if s.scalarStatuses == nil {
		s.scalarStatuses = map[uint64]*framework.Status{}
	}
	s.scalarStatuses[key] = st
	return st
}

type preScoreState struct {
	podRequests []int64
}

// PreScore computes the pod's requests for scoring, with an unset container CPU or memory
// request counted at the defaults (100m, 200Mi). As upstream v1.37, whose scorer is built
// without the plugin's feature flags, pod-level resources and resize status are not used here.
func (f *Fit) PreScore(state *framework.CycleState, pod *framework.PodInfo, _ []*framework.NodeInfo) *framework.Status {
	reqs := podRequestList(pod.Pod, f.scorer.resources, resourcehelper.PodResourcesOptions{
		SkipPodLevelResources:       true,
		NonMissingContainerRequests: defaultNonZeroRequests(),
	})
	state.Write(preScoreStateKey, &preScoreState{podRequests: reqs})
	return nil
}

// Score is the strategy's score of the node with the pod on it. No allocation for up to
// maxStackResources resources.
func (f *Fit) Score(state *framework.CycleState, _ *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	v, ok := state.Read(preScoreStateKey)
	if !ok {
		return 0, framework.AsStatus(errNoPreScore)
	}
	n := len(f.scorer.resources)
	var buf [3 * maxStackResources]int64
	var vecs []int64
	if n <= maxStackResources {
		vecs = buf[:3*n]
	} else {
		vecs = make([]int64, 3*n)
	}
	requested, allocated, allocatable := vecs[:n], vecs[n:2*n], vecs[2*n:]
	f.scorer.vectors(node, v.(*preScoreState).podRequests, requested, allocated, allocatable)
	return f.strategy.score(requested, allocatable), nil
}

// ScoreExtensions returns nil: scores are already in [0, 100].
func (f *Fit) ScoreExtensions() framework.ScoreExtensions { return nil }
