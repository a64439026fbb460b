package scheduler

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/framework"
)

// validate checks the defaulted configuration as upstream's ValidateKubeSchedulerConfiguration
// (pkg/scheduler/apis/config/validation/validation.go) does, and each plugin's args as
// validation_pluginargs.go does. The messages are ksim's; the rules are upstream's.
func (p *configParser) validate(c *schedConfig) {
	in := c.v1
	if in.ClientConnection.Burst < 0 {
		p.fail("clientConnection.burst", "must not be negative, got %d", in.ClientConnection.Burst)
	}
	p.validateLeaderElection(in)
	if *in.Parallelism <= 0 {
		p.fail("parallelism", "must be greater than 0, got %d", *in.Parallelism)
	}
	seenNames := map[string]string{}
	for i := range c.profiles {
		pc := &c.profiles[i]
		p.validateProfile(pc)
		name := *pc.schedulerName
		if first, dup := seenNames[name]; dup {
			p.fail(pc.path+".schedulerName", "duplicate schedulerName %q (also %s.schedulerName); each profile needs its own name", name, first)
		} else {
			seenNames[name] = pc.path
		}
	}
	p.validateCommonQueueSort(c.profiles)
	p.percentage("percentageOfNodesToScore", c.percentageOfNodesToScore)
	if *in.PodInitialBackoffSeconds <= 0 {
		p.fail("podInitialBackoffSeconds", "must be greater than 0, got %d", *in.PodInitialBackoffSeconds)
	}
	if *in.PodMaxBackoffSeconds < *in.PodInitialBackoffSeconds {
		p.fail("podMaxBackoffSeconds", "%d is less than podInitialBackoffSeconds %d; it must be at least that", *in.PodMaxBackoffSeconds, *in.PodInitialBackoffSeconds)
	}
	p.validateExtenders(c.extenders)
}

// validateLeaderElection is component-base's ValidateLeaderElectionConfiguration plus
// kube-scheduler's rule that the lock is a lease.
func (p *configParser) validateLeaderElection(in *configv1.KubeSchedulerConfiguration) {
	le := &in.LeaderElection
	if !*le.LeaderElect {
		return
	}
	const f = "leaderElection."
	if le.LeaseDuration.Duration <= 0 {
		p.fail(f+"leaseDuration", "must be greater than zero, got %v", le.LeaseDuration.Duration)
	}
	if le.RenewDeadline.Duration <= 0 {
		p.fail(f+"renewDeadline", "must be greater than zero, got %v", le.RenewDeadline.Duration)
	}
	if le.RetryPeriod.Duration <= 0 {
		p.fail(f+"retryPeriod", "must be greater than zero, got %v", le.RetryPeriod.Duration)
	}
	if le.LeaseDuration.Duration <= le.RenewDeadline.Duration {
		p.fail(f+"leaseDuration", "%v must be greater than renewDeadline %v", le.LeaseDuration.Duration, le.RenewDeadline.Duration)
	}
	if le.ResourceLock != "leases" {
		p.fail(f+"resourceLock", "%q is not supported; kube-scheduler requires \"leases\"", le.ResourceLock)
	}
}

func (p *configParser) percentage(path string, v *int32) {
	if v != nil && (*v < 0 || *v > 100) {
		p.fail(path, "%d is not in [0, 100] (0 means adaptive: 50%% less 1%% per 125 nodes, at least 5%%)", *v)
	}
}

// removedPlugins were removed from kube-scheduler; a v1 configuration naming them is invalid
// (validation.go invalidPluginsByVersion).
var removedPlugins = []string{"AzureDiskLimits", "CinderLimits", "EBSLimits", "GCEPDLimits"}

func (p *configParser) validateProfile(pc *profileCfg) {
	if pc.schedulerName == nil || *pc.schedulerName == "" {
		p.fail(pc.path+".schedulerName", "required when there are several profiles: the name pods select the profile by (spec.schedulerName)")
		if pc.schedulerName == nil {
			pc.schedulerName = new("")
		}
	}
	p.percentage(pc.path+".percentageOfNodesToScore", pc.percentageOfNodesToScore)
	// Upstream checks the removed plugins at every point but multiPoint, placementGenerate and
	// placementScore.
	for pt := range numPoints {
		if pt == pointPlacementGenerate || pt == pointPlacementScore {
			continue
		}
		for _, r := range pc.points[pt].enabled {
			if slices.Contains(removedPlugins, r.name) {
				p.fail(r.path, "plugin %q was removed from kube-scheduler; the volume limits of every driver are NodeVolumeLimits' now", r.name)
			}
		}
	}
	seen := map[string]string{}
	for _, a := range pc.args {
		if a.path == "" {
			continue // added by defaulting
		}
		if first, dup := seen[a.name]; dup {
			p.fail(a.path, "duplicate pluginConfig for %q (also %s); configure each plugin once", a.name, first)
		} else {
			seen[a.name] = a.path
		}
		if slices.Contains(removedPlugins, a.name) {
			p.fail(a.path+".name", "plugin %q was removed from kube-scheduler", a.name)
			continue
		}
		p.validateArgs(a.path+".args", a.args)
	}
}

// validateArgs validates one plugin's args, as validatePluginConfig does. NodeResourcesFit's
// args are not among them (upstream keys them under the wrong name): they are checked when the
// plugin is built.
func (p *configParser) validateArgs(path string, args any) {
	switch a := args.(type) {
	case *configv1.DefaultPreemptionArgs:
		pct, abs := *a.MinCandidateNodesPercentage, *a.MinCandidateNodesAbsolute
		if pct < 0 || pct > 100 {
			p.fail(path+".minCandidateNodesPercentage", "%d is not in [0, 100]", pct)
		}
		if abs < 0 {
			p.fail(path+".minCandidateNodesAbsolute", "must not be negative, got %d", abs)
		}
		if pct == 0 && abs == 0 {
			p.fail(path+".minCandidateNodesPercentage", "minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be 0")
		}
	case *configv1.InterPodAffinityArgs:
		if w := *a.HardPodAffinityWeight; w < 0 || w > 100 {
			p.fail(path+".hardPodAffinityWeight", "%d is not in [0, 100]", w)
		}
	case *configv1.NodeResourcesBalancedAllocationArgs:
		seen := map[string]bool{}
		for i, r := range a.Resources {
			rp := fmt.Sprintf("%s.resources[%d]", path, i)
			if seen[r.Name] {
				p.fail(rp+".name", "duplicate resource %q", r.Name)
			}
			seen[r.Name] = true
			if r.Weight != 1 {
				p.fail(rp+".weight", "must be 1 (NodeResourcesBalancedAllocation does not weigh resources), got %d", r.Weight)
			}
		}
	case *configv1.PodTopologySpreadArgs:
		p.validateTopologySpreadArgs(path, a)
	case *configv1.NodeAffinityArgs:
		p.validateAddedAffinity(path, a)
	case *configv1.VolumeBindingArgs:
		if *a.BindTimeoutSeconds < 0 {
			p.fail(path+".bindTimeoutSeconds", "must not be negative, got %d", *a.BindTimeoutSeconds)
		}
		p.validateShape(path+".shape", a.Shape)
	case *configv1.DynamicResourcesArgs:
		if a.FilterTimeout != nil && a.FilterTimeout.Duration < 0 {
			p.fail(path+".filterTimeout", "must be zero or positive, got %v", a.FilterTimeout.Duration)
		}
		if a.BindingTimeout != nil && a.BindingTimeout.Duration < 1e9 {
			p.fail(path+".bindingTimeout", "must be at least 1s, got %v", a.BindingTimeout.Duration)
		}
	}
}

func (p *configParser) validateTopologySpreadArgs(path string, a *configv1.PodTopologySpreadArgs) {
	switch a.DefaultingType {
	case configv1.SystemDefaulting:
		if len(a.DefaultConstraints) > 0 {
			p.fail(path+".defaultingType", "must be List when defaultConstraints are given (System means upstream's built-in constraints)")
		}
	case configv1.ListDefaulting:
	default:
		p.fail(path+".defaultingType", "%q is not supported; allowed: System, List", a.DefaultingType)
	}
	for i, c := range a.DefaultConstraints {
		cp := fmt.Sprintf("%s.defaultConstraints[%d]", path, i)
		if c.MaxSkew <= 0 {
			p.fail(cp+".maxSkew", "must be greater than 0, got %d", c.MaxSkew)
		}
		if c.TopologyKey == "" {
			p.fail(cp+".topologyKey", "required, e.g. topology.kubernetes.io/zone")
		} else {
			p.fieldErrors(metav1validation.ValidateLabelName(c.TopologyKey, field.NewPath(cp+".topologyKey")))
		}
		switch c.WhenUnsatisfiable {
		case corev1.DoNotSchedule, corev1.ScheduleAnyway:
		case "":
			p.fail(cp+".whenUnsatisfiable", "required; allowed: DoNotSchedule, ScheduleAnyway")
		default:
			p.fail(cp+".whenUnsatisfiable", "%q is not supported; allowed: DoNotSchedule, ScheduleAnyway", c.WhenUnsatisfiable)
		}
		if c.LabelSelector != nil {
			p.fail(cp+".labelSelector", "must not be set: a default constraint's selector is the pod's owner's, found for each pod")
		}
		for j := range i {
			o := a.DefaultConstraints[j]
			if o.TopologyKey == c.TopologyKey && o.WhenUnsatisfiable == c.WhenUnsatisfiable {
				p.fail(cp, "duplicates defaultConstraints[%d]: {%s, %s} is given twice", j, c.TopologyKey, c.WhenUnsatisfiable)
				break
			}
		}
	}
}

// validateAddedAffinity parses addedAffinity with component-helpers' nodeaffinity, which
// upstream's ValidateNodeAffinityArgs and the plugin use, so that exactly the selectors upstream
// rejects are rejected.
func (p *configParser) validateAddedAffinity(path string, a *configv1.NodeAffinityArgs) {
	if a.AddedAffinity == nil {
		return
	}
	base := field.NewPath(path + ".addedAffinity")
	if ns := a.AddedAffinity.RequiredDuringSchedulingIgnoredDuringExecution; ns != nil {
		if _, err := nodeaffinity.NewNodeSelector(ns, field.WithPath(base.Child("requiredDuringSchedulingIgnoredDuringExecution"))); err != nil {
			p.aggregate(err)
		}
	}
	if terms := a.AddedAffinity.PreferredDuringSchedulingIgnoredDuringExecution; len(terms) != 0 {
		if _, err := nodeaffinity.NewPreferredSchedulingTerms(terms, field.WithPath(base.Child("preferredDuringSchedulingIgnoredDuringExecution"))); err != nil {
			p.aggregate(err)
		}
	}
}

var preferenceRE = regexp.MustCompile(`(preferredDuringSchedulingIgnoredDuringExecution\[\d+\])\.(?:preference\.)?`)

// aggregate reports each field error inside err at its own path.
func (p *configParser) aggregate(err error) {
	var agg utilerrors.Aggregate
	if errors.As(err, &agg) {
		for _, e := range agg.Errors() {
			p.aggregate(e)
		}
		return
	}
	var fe *field.Error
	if errors.As(err, &fe) {
		// component-helpers leaves "preference" out of a preferred term's paths.
		path := preferenceRE.ReplaceAllString(fe.Field, "${1}.preference.")
		p.fail(path, "%s", fe.ErrorBody())
		return
	}
	p.fail("", "%v", err)
}

func (p *configParser) fieldErrors(list field.ErrorList) {
	for _, fe := range list {
		p.fail(fe.Field, "%s", fe.ErrorBody())
	}
}

// validateFitArgs is upstream's ValidateNodeResourcesFitArgs, which its NewFit runs.
func (p *configParser) validateFitArgs(path string, a *configv1.NodeResourcesFitArgs) {
	for i, r := range a.IgnoredResources {
		p.fieldErrors(metav1validation.ValidateLabelName(r, field.NewPath(fmt.Sprintf("%s.ignoredResources[%d]", path, i))))
	}
	for i, g := range a.IgnoredResourceGroups {
		gp := fmt.Sprintf("%s.ignoredResourceGroups[%d]", path, i)
		if strings.Contains(g, "/") {
			p.fail(gp, "%q: a resource group is the part before the \"/\" (e.g. example.com for example.com/gpu), so it cannot contain \"/\"", g)
		}
		p.fieldErrors(metav1validation.ValidateLabelName(g, field.NewPath(gp)))
	}
	s := a.ScoringStrategy
	sp := path + ".scoringStrategy"
	if s == nil {
		p.fail(sp, "required")
		return
	}
	switch s.Type {
	case configv1.LeastAllocated, configv1.MostAllocated, configv1.RequestedToCapacityRatio:
	default:
		p.fail(sp+".type", "%q is not supported; allowed: LeastAllocated, MostAllocated, RequestedToCapacityRatio", s.Type)
	}
	for i, r := range s.Resources {
		if r.Weight <= 0 || r.Weight > 100 {
			p.fail(fmt.Sprintf("%s.resources[%d].weight", sp, i), "weight %d of resource %s is not in (0, 100]", r.Weight, r.Name)
		}
	}
	if s.Type == configv1.RequestedToCapacityRatio {
		if s.RequestedToCapacityRatio == nil {
			p.fail(sp+".requestedToCapacityRatio", "required when type is RequestedToCapacityRatio, e.g. {shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]}")
		} else {
			p.validateShape(sp+".requestedToCapacityRatio.shape", s.RequestedToCapacityRatio.Shape)
		}
	} else if s.RequestedToCapacityRatio != nil {
		p.fail(sp+".requestedToCapacityRatio", "must not be set when type is %s", s.Type)
	}
}

// validateShape is upstream's validateFunctionShape.
func (p *configParser) validateShape(path string, shape []configv1.UtilizationShapePoint) {
	if len(shape) == 0 {
		p.fail(path, "at least one point is required")
		return
	}
	for i := 1; i < len(shape); i++ {
		if shape[i-1].Utilization >= shape[i].Utilization {
			p.fail(fmt.Sprintf("%s[%d].utilization", path, i), "%d: utilizations must increase from point to point", shape[i].Utilization)
			break
		}
	}
	for i, pt := range shape {
		if pt.Utilization < 0 || pt.Utilization > 100 {
			p.fail(fmt.Sprintf("%s[%d].utilization", path, i), "%d is not in [0, 100]", pt.Utilization)
		}
		if pt.Score < 0 || pt.Score > 10 {
			p.fail(fmt.Sprintf("%s[%d].score", path, i), "%d is not in [0, 10]", pt.Score)
		}
	}
}

// validateCommonQueueSort requires every profile to have the first profile's queueSort set and
// args (validateCommonQueueSort), since one queue serves them all.
func (p *configParser) validateCommonQueueSort(profiles []profileCfg) {
	if len(profiles) == 0 {
		return
	}
	canon := profiles[0].points[pointQueueSort]
	if n := len(canon.enabled); n > 1 {
		p.fail(profiles[0].path+".plugins.queueSort.enabled", "only one queue sort plugin can be enabled, got %d", n)
	}
	queueSort := ""
	if len(canon.enabled) > 0 {
		queueSort = canon.enabled[0].name
	}
	var canonArgs argsCfg
	for _, a := range profiles[0].args {
		if queueSort != "" && a.name == queueSort {
			canonArgs = a
		}
	}
	for _, pc := range profiles[1:] {
		if !sameSet(canon, pc.points[pointQueueSort]) {
			p.fail(pc.path+".plugins.queueSort", "must be the same for all profiles (one queue serves them all); profiles[0] has %s", describeSet(canon))
		}
		for _, a := range pc.args {
			if a.name == queueSort && (!reflect.DeepEqual(a.args, canonArgs.args) || string(a.raw) != string(canonArgs.raw)) {
				p.fail(a.path, "the queue sort plugin's args must be the same for all profiles")
			}
		}
	}
}

func sameSet(a, b pluginSet) bool {
	eq := func(x, y []pluginRef) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i].name != y[i].name || derefWeight(x[i].weight) != derefWeight(y[i].weight) {
				return false
			}
		}
		return true
	}
	return eq(a.enabled, b.enabled) && eq(a.disabled, b.disabled)
}

func derefWeight(w *int32) int32 {
	if w == nil {
		return 0
	}
	return *w
}

func describeSet(s pluginSet) string {
	var en []string
	for _, r := range s.enabled {
		en = append(en, r.name)
	}
	if len(en) == 0 {
		return "none (the default, PrioritySort through multiPoint)"
	}
	return strings.Join(en, ", ")
}

// validateExtenders is upstream's validateExtenders.
func (p *configParser) validateExtenders(exts []configv1.Extender) {
	binders := 0
	managed := map[string]bool{}
	for i, e := range exts {
		ep := fmt.Sprintf("extenders[%d]", i)
		if e.PrioritizeVerb != "" && e.Weight <= 0 {
			p.fail(ep+".weight", "must be positive for an extender that prioritizes, got %d", e.Weight)
		}
		if e.BindVerb != "" {
			binders++
		}
		for j, r := range e.ManagedResources {
			rp := fmt.Sprintf("%s.managedResources[%d].name", ep, j)
			if msgs := validation.IsQualifiedName(r.Name); len(msgs) > 0 {
				p.fail(rp, "%q: %s", r.Name, strings.Join(msgs, "; "))
			} else if !framework.IsExtendedResourceName(corev1.ResourceName(r.Name)) {
				p.fail(rp, "%q is not an extended resource name (e.g. example.com/gpu)", r.Name)
			}
			if managed[r.Name] {
				p.fail(rp, "duplicate extender managed resource %q", r.Name)
			}
			managed[r.Name] = true
		}
	}
	if binders > 1 {
		p.fail("extenders", "%d extenders implement bind; only one may", binders)
	}
}
