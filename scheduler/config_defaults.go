package scheduler

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	configv1 "k8s.io/kube-scheduler/config/v1"
)

// setDefaults applies upstream v1.37's defaulting (pkg/scheduler/apis/config/v1/defaults.go
// SetDefaults_KubeSchedulerConfiguration and setDefaults_KubeSchedulerProfile, with the
// component-base leader-election defaults) to the fields ksim reads or validates.
func setDefaults(c *schedConfig) {
	in := c.v1
	if in.Parallelism == nil {
		in.Parallelism = new(int32(16))
	}
	if len(c.profiles) == 0 {
		c.profiles = append(c.profiles, profileCfg{path: "profiles"})
	}
	// Only a lone profile gets the default name; validation requires the others to have one.
	if len(c.profiles) == 1 && c.profiles[0].schedulerName == nil {
		c.profiles[0].schedulerName = new(corev1.DefaultSchedulerName)
	}
	for i := range c.profiles {
		defaultProfile(&c.profiles[i])
	}
	if c.percentageOfNodesToScore == nil {
		c.percentageOfNodesToScore = new(int32(0)) // config.DefaultPercentageOfNodesToScore: adaptive
	}
	le := &in.LeaderElection
	if le.ResourceLock == "" {
		le.ResourceLock = "leases"
	}
	if le.ResourceNamespace == "" {
		le.ResourceNamespace = metav1.NamespaceSystem
	}
	if le.ResourceName == "" {
		le.ResourceName = "kube-scheduler"
	}
	// componentbaseconfigv1alpha1.RecommendedDefaultLeaderElectionConfiguration
	if le.LeaseDuration.Duration == 0 {
		le.LeaseDuration = metav1.Duration{Duration: 15 * time.Second}
	}
	if le.RenewDeadline.Duration == 0 {
		le.RenewDeadline = metav1.Duration{Duration: 10 * time.Second}
	}
	if le.RetryPeriod.Duration == 0 {
		le.RetryPeriod = metav1.Duration{Duration: 2 * time.Second}
	}
	if le.LeaderElect == nil {
		le.LeaderElect = new(true)
	}
	cc := &in.ClientConnection
	if cc.ContentType == "" {
		cc.ContentType = "application/vnd.kubernetes.protobuf"
	}
	if cc.QPS == 0 {
		cc.QPS = 50
	}
	if cc.Burst == 0 {
		cc.Burst = 100
	}
	if in.PodInitialBackoffSeconds == nil {
		in.PodInitialBackoffSeconds = new(int64(1))
	}
	if in.PodMaxBackoffSeconds == nil {
		in.PodMaxBackoffSeconds = new(int64(10))
	}
	if in.EnableProfiling == nil {
		in.EnableProfiling = new(true)
	}
	if *in.EnableProfiling && in.EnableContentionProfiling == nil {
		in.EnableContentionProfiling = new(true)
	}
}

// defaultProfile merges the profile's plugins with upstream's defaults, defaults the args given,
// and adds default args for every enabled plugin that has an args type and none given
// (setDefaults_KubeSchedulerProfile).
func defaultProfile(pc *profileCfg) {
	pc.multi = mergePluginSet(pluginSet{enabled: defaultMultiPoint()}, pc.multi)
	for pt := range numPoints {
		pc.points[pt] = mergePluginSet(pluginSet{}, pc.points[pt])
	}
	have := map[string]bool{}
	for _, a := range pc.args {
		have[a.name] = true
		if a.args != nil {
			defaultArgs(a.args)
		}
	}
	for _, name := range enabledNames(pc) {
		if have[name] {
			continue
		}
		if args := newArgs(name); args != nil {
			defaultArgs(args)
			pc.args = append(pc.args, argsCfg{name: name, args: args})
		}
	}
}

// enabledNames are the sorted names enabled at multiPoint and at every point upstream's
// pluginsNames looks at (all but podGroupPostFilter).
func enabledNames(pc *profileCfg) []string {
	var out []string
	add := func(s pluginSet) {
		for _, r := range s.enabled {
			if !slices.Contains(out, r.name) {
				out = append(out, r.name)
			}
		}
	}
	add(pc.multi)
	for pt := range numPoints {
		if pt != pointPodGroupPostFilter {
			add(pc.points[pt])
		}
	}
	slices.Sort(out)
	return out
}

// defaultResourceSpec is cpu and memory with weight 1.
func defaultResourceSpec() []configv1.ResourceSpec {
	return []configv1.ResourceSpec{{Name: string(corev1.ResourceCPU), Weight: 1}, {Name: string(corev1.ResourceMemory), Weight: 1}}
}

// defaultArgs applies upstream's SetDefaults_<Name>Args to a *configv1.<Name>Args, with v1.37's
// feature gates at their defaults (StorageCapacityScoring, DRASchedulerFilterTimeout,
// DRADeviceBindingConditions and DRAResourceClaimDeviceStatus on).
func defaultArgs(args any) {
	switch a := args.(type) {
	case *configv1.DefaultPreemptionArgs:
		if a.MinCandidateNodesPercentage == nil {
			a.MinCandidateNodesPercentage = new(int32(10))
		}
		if a.MinCandidateNodesAbsolute == nil {
			a.MinCandidateNodesAbsolute = new(int32(100))
		}
	case *configv1.InterPodAffinityArgs:
		if a.HardPodAffinityWeight == nil {
			a.HardPodAffinityWeight = new(int32(1))
		}
	case *configv1.VolumeBindingArgs:
		if a.BindTimeoutSeconds == nil {
			a.BindTimeoutSeconds = new(int64(600))
		}
		if len(a.Shape) == 0 {
			a.Shape = []configv1.UtilizationShapePoint{{Utilization: 0, Score: 10}, {Utilization: 100, Score: 0}}
		}
	case *configv1.NodeResourcesBalancedAllocationArgs:
		if len(a.Resources) == 0 {
			a.Resources = defaultResourceSpec()
			return
		}
		for i := range a.Resources {
			if a.Resources[i].Weight == 0 {
				a.Resources[i].Weight = 1
			}
		}
	case *configv1.PodTopologySpreadArgs:
		if a.DefaultingType == "" {
			a.DefaultingType = configv1.SystemDefaulting
		}
	case *configv1.NodeResourcesFitArgs:
		if a.ScoringStrategy == nil {
			a.ScoringStrategy = &configv1.ScoringStrategy{Type: configv1.LeastAllocated, Resources: defaultResourceSpec()}
		}
		if len(a.ScoringStrategy.Resources) == 0 {
			a.ScoringStrategy.Resources = defaultResourceSpec()
		}
		for i := range a.ScoringStrategy.Resources {
			if a.ScoringStrategy.Resources[i].Weight == 0 {
				a.ScoringStrategy.Resources[i].Weight = 1
			}
		}
	case *configv1.DynamicResourcesArgs:
		if a.FilterTimeout == nil {
			a.FilterTimeout = &metav1.Duration{Duration: configv1.DynamicResourcesFilterTimeoutDefault}
		}
		if a.BindingTimeout == nil {
			a.BindingTimeout = &metav1.Duration{Duration: configv1.DynamicResourcesBindingTimeoutDefault}
		}
	}
}
