// Package podtopologyspread spreads matching pods evenly over topology domains, as upstream's
// plugins/podtopologyspread (plugin.go, common.go, filtering.go, scoring.go) in v1.37:
//
//   - Filter, for whenUnsatisfiable: DoNotSchedule constraints: a node passes when, for every
//     constraint, the matching pods in its domain, plus one if the pod matches itself, exceed
//     the fewest in any eligible domain (0 while fewer than minDomains domains are eligible) by
//     at most maxSkew. A node without the topology label is Unresolvable.
//   - Score, for ScheduleAnyway constraints: fewer matching pods in the node's domain is
//     better, each domain's count weighted by log(number of domains + 2).
//   - A pod with no constraints of its own gets the configured default constraints (by default
//     upstream's system defaults: hostname maxSkew 3 and zone maxSkew 5, ScheduleAnyway), with
//     the selector of the Services and the ReplicaSet, StatefulSet or ReplicationController
//     that select it; with none, it is not spread.
//   - Eligible nodes have every constraint's topology label and pass the pod's node affinity
//     and nodeSelector (nodeAffinityPolicy Honor, the default) and, with nodeTaintsPolicy
//     Honor, its tolerations; matchLabelKeys add the pod's own values to the selector.
//
// Pods are counted by framework.Cluster's PodCounters, kept up to date as pods come and go, so
// a cycle costs O(nodes × constraints) rather than upstream's O(pods). Pods being deleted
// (deletionTimestamp set) and pods of other namespaces are never counted.
package podtopologyspread

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/helper"
	"ksim.dev/ksim/scheduler/plugins/names"
	"ksim.dev/ksim/scheduler/plugins/nodeaffinity"
)

// Name is the plugin's name in profiles.
const Name = names.PodTopologySpread

// Reasons counted for rejected nodes (upstream's texts).
const (
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ErrReasonNodeLabelNotMatch   = ErrReasonConstraintsNotMatch + " (missing required label)"
)

// DefaultingType says where the default constraints come from.
type DefaultingType string

// The defaulting types, as upstream's config.PodTopologySpreadConstraintsDefaulting.
const (
	// SystemDefaulting uses upstream's built-in constraints (SystemDefaultConstraints).
	SystemDefaulting DefaultingType = "System"
	// ListDefaulting uses Args.DefaultConstraints (none when empty).
	ListDefaulting DefaultingType = "List"
)

// Args configures the plugin, as upstream's PodTopologySpreadArgs.
type Args struct {
	// DefaultConstraints apply to pods that have none of their own, with ListDefaulting. They
	// must not have a labelSelector: the pod's Services and controller give it.
	DefaultConstraints []corev1.TopologySpreadConstraint
	// DefaultingType is SystemDefaulting (also when empty, upstream's default) or
	// ListDefaulting.
	DefaultingType DefaultingType
}

// DefaultArgs returns upstream's defaults: system defaulting.
func DefaultArgs() Args { return Args{DefaultingType: SystemDefaulting} }

// SystemDefaultConstraints are upstream's built-in default constraints (plugin.go
// systemDefaultConstraints), in upstream's order.
func SystemDefaultConstraints() []corev1.TopologySpreadConstraint {
	return []corev1.TopologySpreadConstraint{
		{TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 3},
		{TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 5},
	}
}

// PodTopologySpread is the plugin. Its scratch arrays are reused from cycle to cycle, so it
// must serve one Scheduler (it does: profiles build their own plugins).
type PodTopologySpread struct {
	defaultConstraints []corev1.TopologySpreadConstraint
	systemDefaulted    bool
	fts                framework.Features

	filter preFilterState
	score  preScoreState

	h         maphash.Hash
	templates map[uint64]*template
	tick      uint64
	// The template of the current cycle.
	last      *template
	lastCS    *framework.CycleState
	lastCycle uint64
	lastPod   *corev1.Pod
}

var (
	_ framework.PreFilterPlugin = &PodTopologySpread{}
	_ framework.FilterPlugin    = &PodTopologySpread{}
	_ framework.PreScorePlugin  = &PodTopologySpread{}
	_ framework.ScorePlugin     = &PodTopologySpread{}
	_ framework.ScoreExtensions = &PodTopologySpread{}
	_ framework.BatchScorer     = &PodTopologySpread{}
	_ framework.BatchFilter     = &PodTopologySpread{}
	_ framework.NormalizeAdder  = &PodTopologySpread{}
)

var (
	statusSkip         = framework.NewStatus(framework.Skip)
	statusMissingLabel = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch)
	statusSkew         = framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch)
	errNoPreFilter     = errors.New("podtopologyspread: Filter called without PreFilter")
	errNoPreScore      = errors.New("podtopologyspread: Score called without PreScore")
	errNoCluster       = errors.New("podtopologyspread: no cluster in the cycle state")
)

// New returns the plugin; args may be nil (DefaultArgs), an Args, an *Args, or upstream's
// *configv1.PodTopologySpreadArgs. The args are validated as upstream's
// ValidatePodTopologySpreadArgs.
func New(args any, fts framework.Features) (framework.Plugin, error) {
	a := DefaultArgs()
	switch v := args.(type) {
	case nil:
	case Args:
		a = v
	case *Args:
		a = *v
	case *configv1.PodTopologySpreadArgs: // as a KubeSchedulerConfiguration gives them
		a = Args{DefaultConstraints: v.DefaultConstraints, DefaultingType: DefaultingType(v.DefaultingType)}
	default:
		return nil, fmt.Errorf("podtopologyspread: args must be podtopologyspread.Args, got %T", args)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	pl := &PodTopologySpread{defaultConstraints: a.DefaultConstraints, fts: fts}
	if a.DefaultingType == SystemDefaulting || a.DefaultingType == "" {
		pl.defaultConstraints = SystemDefaultConstraints()
		pl.systemDefaulted = true
	}
	return pl, nil
}

// Validate checks the args as upstream's ValidatePodTopologySpreadArgs.
func (a *Args) Validate() error {
	var errs []error
	switch a.DefaultingType {
	case "", SystemDefaulting:
		if len(a.DefaultConstraints) > 0 {
			errs = append(errs, fmt.Errorf("defaultingType: Invalid value: %q: when .defaultConstraints are not empty", SystemDefaulting))
		}
	case ListDefaulting:
	default:
		errs = append(errs, fmt.Errorf("defaultingType: Unsupported value: %q: supported values: %q, %q", a.DefaultingType, SystemDefaulting, ListDefaulting))
	}
	for i, c := range a.DefaultConstraints {
		p := fmt.Sprintf("defaultConstraints[%d]", i)
		if c.MaxSkew <= 0 {
			errs = append(errs, fmt.Errorf("%s.maxSkew: Invalid value: %d: not in valid range (0, inf)", p, c.MaxSkew))
		}
		if c.TopologyKey == "" {
			errs = append(errs, fmt.Errorf("%s.topologyKey: Required value: can not be empty", p))
		} else if msgs := validation.IsQualifiedName(c.TopologyKey); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s.topologyKey: Invalid value: %q: %v", p, c.TopologyKey, msgs))
		}
		switch c.WhenUnsatisfiable {
		case corev1.DoNotSchedule, corev1.ScheduleAnyway:
		case "":
			errs = append(errs, fmt.Errorf("%s.whenUnsatisfiable: Required value: can not be empty", p))
		default:
			errs = append(errs, fmt.Errorf("%s.whenUnsatisfiable: Unsupported value: %q: supported values: %q, %q", p, c.WhenUnsatisfiable, corev1.DoNotSchedule, corev1.ScheduleAnyway))
		}
		if c.LabelSelector != nil {
			errs = append(errs, fmt.Errorf("%s.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod", p))
		}
		for j := range i {
			if o := a.DefaultConstraints[j]; o.TopologyKey == c.TopologyKey && o.WhenUnsatisfiable == c.WhenUnsatisfiable {
				errs = append(errs, fmt.Errorf("defaultConstraints[%d]: Duplicate value: \"{%v, %v}\"", i, c.TopologyKey, c.WhenUnsatisfiable))
				break
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("podtopologyspread: %w", errors.Join(errs...))
	}
	return nil
}

// Name returns Name.
func (pl *PodTopologySpread) Name() string { return Name }

// constraint is a TopologySpreadConstraint with its selector parsed and defaults filled in
// (upstream's topologySpreadConstraint), plus the cluster's indexes for this cycle.
type constraint struct {
	MaxSkew            int32
	TopologyKey        string
	Selector           labels.Selector
	MinDomains         int32
	NodeAffinityPolicy corev1.NodeInclusionPolicy
	NodeTaintsPolicy   corev1.NodeInclusionPolicy

	topo    *framework.Topology
	counter *framework.PodCounter // nil when the selector is empty: upstream counts no pod then
	isHost  bool                  // TopologyKey is kubernetes.io/hostname
}

// count returns how many pods the constraint counts on the node in slot.
func (c *constraint) count(slot int32) int32 {
	if c.counter == nil {
		return 0
	}
	return c.counter.PerNode[slot]
}

// constraints returns the pod's constraints for one action: its own, or else the defaults
// with the pod's default selector (upstream getConstraints, buildDefaultConstraints).
func (pl *PodTopologySpread) constraints(c *framework.Cluster, pod *corev1.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		out, err := pl.filterConstraints(pod.Spec.TopologySpreadConstraints, pod.Labels, action)
		if err != nil {
			if action == corev1.DoNotSchedule {
				return nil, fmt.Errorf("obtaining pod's hard topology spread constraints: %w", err)
			}
			return nil, fmt.Errorf("obtaining pod's soft topology spread constraints: %w", err)
		}
		return out, nil
	}
	// Upstream parses the default constraints first; they have no selector of their own, so
	// that cannot fail, and looking for the pod's default selector first changes nothing.
	if !slices.ContainsFunc(pl.defaultConstraints, func(c corev1.TopologySpreadConstraint) bool { return c.WhenUnsatisfiable == action }) {
		return nil, nil
	}
	sel := c.DefaultSelector(pod)
	if sel.Empty() {
		return nil, nil
	}
	out, err := pl.filterConstraints(pl.defaultConstraints, pod.Labels, action)
	if err != nil {
		if action == corev1.DoNotSchedule {
			return nil, fmt.Errorf("setting default hard topology spread constraints: %w", err)
		}
		return nil, fmt.Errorf("setting default soft topology spread constraints: %w", err)
	}
	for i := range out {
		out[i].Selector = sel
	}
	return out, nil
}

// filterConstraints parses the constraints with the given action (upstream
// filterTopologySpreadConstraints).
func (pl *PodTopologySpread) filterConstraints(in []corev1.TopologySpreadConstraint, podLabels map[string]string, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	var out []constraint
	for i := range in {
		c := &in[i]
		if c.WhenUnsatisfiable != action {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			return nil, err
		}
		if pl.fts.EnableMatchLabelKeysInPodTopologySpread && len(c.MatchLabelKeys) > 0 {
			set := labels.Set{}
			for _, k := range c.MatchLabelKeys {
				if v, ok := podLabels[k]; ok {
					set[k] = v
				}
			}
			if len(set) > 0 {
				sel = mergeLabelSetWithSelector(set, sel)
			}
		}
		tc := constraint{
			MaxSkew:            c.MaxSkew,
			TopologyKey:        c.TopologyKey,
			Selector:           sel,
			MinDomains:         1,
			NodeAffinityPolicy: corev1.NodeInclusionPolicyHonor,
			NodeTaintsPolicy:   corev1.NodeInclusionPolicyIgnore,
		}
		if c.MinDomains != nil {
			tc.MinDomains = *c.MinDomains
		}
		if pl.fts.EnableNodeInclusionPolicyInPodTopologySpread {
			if c.NodeAffinityPolicy != nil {
				tc.NodeAffinityPolicy = *c.NodeAffinityPolicy
			}
			if c.NodeTaintsPolicy != nil {
				tc.NodeTaintsPolicy = *c.NodeTaintsPolicy
			}
		}
		out = append(out, tc)
	}
	return out, nil
}

// mergeLabelSetWithSelector is upstream's: the set's labels, then the selector's requirements;
// a selector without requirements (labels.Nothing) is returned as it is.
func mergeLabelSetWithSelector(set labels.Set, s labels.Selector) labels.Selector {
	merged := labels.SelectorFromSet(set)
	reqs, ok := s.Requirements()
	if !ok {
		return s
	}
	for _, r := range reqs {
		merged = merged.Add(r)
	}
	return merged
}

// index attaches each constraint's topology and pod counter from the cluster.
func index(c *framework.Cluster, namespace string, cs []constraint) {
	for i := range cs {
		cs[i].isHost = cs[i].TopologyKey == corev1.LabelHostname
		cs[i].topo = c.Topology(cs[i].TopologyKey)
		cs[i].counter = nil
		if !cs[i].Selector.Empty() {
			cs[i].counter = c.Counter(framework.PodSelector{
				Terms:              []framework.SelectorTerm{{Namespaces: []string{namespace}, Selector: cs[i].Selector}},
				ExcludeTerminating: true,
			})
		}
	}
}

// hasAllKeys reports whether the node in slot has every constraint's topology label.
func hasAllKeys(cs []constraint, slot int32) bool {
	for i := range cs {
		if cs[i].topo.Domain[slot] == 0 {
			return false
		}
	}
	return true
}

// inclusion evaluates the node inclusion policies of a pod's constraints on a node: whether the
// node passes the pod's required node affinity and nodeSelector (nodeAffinityPolicy Honor)
// and whether the pod tolerates its NoSchedule and NoExecute taints (nodeTaintsPolicy Honor).
type inclusion struct {
	tolerations []corev1.Toleration
	affinity    nodeaffinity.RequiredNodeAffinity
	hasAffinity bool // the pod has a nodeSelector or required node affinity
	compareOps  bool
}

func newInclusion(pod *corev1.Pod, fts framework.Features) inclusion {
	in := inclusion{tolerations: pod.Spec.Tolerations, compareOps: fts.EnableTaintTolerationComparisonOperators}
	a := pod.Spec.Affinity
	in.hasAffinity = len(pod.Spec.NodeSelector) > 0 ||
		(a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil)
	if in.hasAffinity {
		in.affinity = nodeaffinity.GetRequiredNodeAffinity(pod)
	}
	return in
}

// affinityOK reports whether node passes the pod's nodeSelector and required node affinity
// (parse errors count as no match, as upstream ignores them).
func (in *inclusion) affinityOK(node *corev1.Node) bool {
	return !in.hasAffinity || in.affinity.Match(node)
}

// taintsOK reports whether the pod tolerates every NoSchedule and NoExecute taint of node.
func (in *inclusion) taintsOK(node *corev1.Node) bool {
	return helper.ToleratesDoNotScheduleTaints(node.Spec.Taints, in.tolerations, in.compareOps)
}
