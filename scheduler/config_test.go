package scheduler

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	configv1 "k8s.io/kube-scheduler/config/v1"

	"ksim.dev/ksim/scheduler/internal/st"
	"ksim.dev/ksim/scheduler/plugins/interpodaffinity"
	"ksim.dev/ksim/scheduler/plugins/nodeaffinity"
	"ksim.dev/ksim/scheduler/plugins/noderesources"
	"ksim.dev/ksim/scheduler/plugins/podtopologyspread"
)

// configCase is one file of testdata/config. Its header says what ParseConfig must do:
//
//	# want-error: TEXT   the parse fails, with an error containing TEXT at the line marked "#<"
//	                     (any line when no line is marked)
//
// and without that header the file must parse and build a Scheduler. The same files feed
// upstream/scheduler_config_diff_test.go, which checks that kube-scheduler accepts exactly the
// same files (except those marked "ksim-only") and builds the same plugin lists.
type configCase struct {
	name     string
	data     []byte
	wantErr  string
	wantLine int
}

func readConfigCases(t *testing.T) []configCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no config cases: %v", err)
	}
	var out []configCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := configCase{name: filepath.Base(f), data: data}
		for i, line := range strings.Split(string(data), "\n") {
			if w, ok := strings.CutPrefix(line, "# want-error: "); ok {
				c.wantErr = w
			}
			if strings.HasSuffix(line, "#<") {
				c.wantLine = i + 1
			}
		}
		out = append(out, c)
	}
	return out
}

func TestConfigFiles(t *testing.T) {
	for _, c := range readConfigCases(t) {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(c.name, c.data)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseConfig: %v", err)
				}
				if _, err := New(*cfg, rand.New(rand.NewPCG(1, 1))); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseConfig accepted it; want an error containing %q", c.wantErr)
			}
			var ces ConfigErrors
			if !errors.As(err, &ces) || len(ces) == 0 {
				t.Fatalf("error %T is not ConfigErrors: %v", err, err)
			}
			for _, e := range ces {
				if strings.Contains(e.Error(), c.wantErr) && (c.wantLine == 0 || e.Line == c.wantLine) {
					if !strings.HasPrefix(e.Error(), c.name+":") {
						t.Errorf("message does not start with the file name: %s", e)
					}
					return
				}
			}
			t.Errorf("want an error containing %q at line %d, got:\n%v", c.wantErr, c.wantLine, err)
		})
	}
}

func TestDefaultProfile(t *testing.T) {
	p := DefaultProfile()
	filters := []string{"NodeName", "NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit",
		"VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone", "PodTopologySpread", "InterPodAffinity",
		"DynamicResources", "NodeDeclaredFeatures"}
	want := Profile{
		SchedulerName: "default-scheduler",
		PreFilter:     filters,
		Filter:        filters,
		PreScore: []string{"TaintToleration", "NodeAffinity", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread",
			"InterPodAffinity", "NodeResourcesBalancedAllocation"},
		Score: []WeightedPlugin{{"TaintToleration", 3}, {"NodeAffinity", 2}, {"NodeResourcesFit", 1}, {"VolumeBinding", 1},
			{"PodTopologySpread", 2}, {"InterPodAffinity", 2}, {"DynamicResources", 2}, {"NodeResourcesBalancedAllocation", 1},
			{"ImageLocality", 1}},
		PostFilter: []string{"DynamicResources", "DefaultPreemption"},
	}
	if d := st.Diff(want, p); d != "" {
		t.Errorf("default profile (-want +got):%s", d)
	}
	empty, err := ParseConfig("c.yaml", []byte("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := st.Diff(&Config{Profiles: []Profile{want}}, empty); d != "" {
		t.Errorf("empty configuration (-want +got):%s", d)
	}
}

func parseFile(t *testing.T, name string) *Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "config", name))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func scoreNames(p Profile) []string {
	var out []string
	for _, s := range p.Score {
		out = append(out, s.Name)
	}
	return out
}

// TestConfigDefaulting checks what upstream's defaulting and multiPoint expansion make of the
// valid files: order, weights, disabled plugins, args.
func TestConfigDefaulting(t *testing.T) {
	t.Run("score weights and disabled plugins", func(t *testing.T) {
		p := parseFile(t, "valid-disabled-and-weights.yaml").Profiles[0]
		// NodeAffinity is listed at score itself: it comes first, with its weight; the rest
		// follow in multiPoint order, TaintToleration's multiPoint entry replacing the default
		// in place with weight 10; BalancedAllocation is disabled for score only.
		want := []WeightedPlugin{{"NodeAffinity", 5}, {"TaintToleration", 10}, {"NodeResourcesFit", 1}, {"VolumeBinding", 1},
			{"PodTopologySpread", 2}, {"InterPodAffinity", 2}, {"DynamicResources", 2}, {"ImageLocality", 1}}
		if d := st.Diff(want, p.Score); d != "" {
			t.Errorf("score (-want +got):%s", d)
		}
		if !slices.Contains(p.PreScore, "NodeResourcesBalancedAllocation") {
			t.Errorf("BalancedAllocation's PreScore was disabled too: %v", p.PreScore)
		}
	})
	t.Run("disable every default and enable a few", func(t *testing.T) {
		cfg := parseFile(t, "valid-disable-all-multipoint-reenable.yaml")
		p := cfg.Profiles[0]
		if cfg.PercentageOfNodesToScore != 70 || p.PercentageOfNodesToScore != nil {
			t.Errorf("percentages: global %d, profile %v", cfg.PercentageOfNodesToScore, p.PercentageOfNodesToScore)
		}
		if d := st.Diff([]string{"NodeResourcesFit", "TaintToleration"}, p.Filter); d != "" {
			t.Errorf("filter (-want +got):%s", d)
		}
		if d := st.Diff([]WeightedPlugin{{"NodeResourcesFit", 4}, {"TaintToleration", 1}}, p.Score); d != "" {
			t.Errorf("score (-want +got):%s", d)
		}
	})
	t.Run("disable every score plugin", func(t *testing.T) {
		p := parseFile(t, "valid-disable-all-scores.yaml").Profiles[0]
		if len(p.Score) != 0 || len(p.PreScore) != 0 || len(p.Filter) == 0 {
			t.Errorf("score %v, preScore %v, filter %v", p.Score, p.PreScore, p.Filter)
		}
	})
	t.Run("own score entries first", func(t *testing.T) {
		p := parseFile(t, "valid-score-only-override.yaml").Profiles[0]
		names := scoreNames(p)
		if !slices.Equal(names[:2], []string{"NodeResourcesBalancedAllocation", "TaintToleration"}) || p.Score[0].Weight != 3 || p.Score[1].Weight != 1 {
			t.Errorf("score = %v", p.Score)
		}
		if slices.Contains(p.Filter, "TaintToleration") || !slices.Contains(p.PreFilter, "TaintToleration") {
			t.Errorf("TaintToleration disabled at filter only: filter %v, preFilter %v", p.Filter, p.PreFilter)
		}
	})
	t.Run("MostAllocated args, converted", func(t *testing.T) {
		p := parseFile(t, "valid-most-allocated.yaml").Profiles[0]
		want := noderesources.FitArgs{ScoringStrategy: &noderesources.ScoringStrategy{Type: noderesources.MostAllocated,
			Resources: []noderesources.ResourceSpec{{Name: "cpu", Weight: 3}, {Name: "memory", Weight: 1}}}}
		if d := st.Diff(map[string]any{"NodeResourcesFit": want}, p.Args); d != "" {
			t.Errorf("args (-want +got):%s", d)
		}
	})
	t.Run("RequestedToCapacityRatio args, weights defaulted", func(t *testing.T) {
		p := parseFile(t, "valid-ratio.yaml").Profiles[0]
		got := p.Args["NodeResourcesFit"].(noderesources.FitArgs).ScoringStrategy
		want := &noderesources.ScoringStrategy{Type: noderesources.RequestedToCapacityRatio,
			Resources: []noderesources.ResourceSpec{{Name: "cpu", Weight: 1}, {Name: "memory", Weight: 1}},
			RequestedToCapacityRatio: &noderesources.RequestedToCapacityRatioParam{Shape: []noderesources.UtilizationShapePoint{
				{Utilization: 0, Score: 0}, {Utilization: 60, Score: 8}, {Utilization: 100, Score: 10}}}}
		if d := st.Diff(want, got); d != "" {
			t.Errorf("strategy (-want +got):%s", d)
		}
	})
	t.Run("addedAffinity args", func(t *testing.T) {
		p := parseFile(t, "valid-added-affinity.yaml").Profiles[0]
		a, ok := p.Args["NodeAffinity"].(nodeaffinity.Args)
		if !ok || a.AddedAffinity == nil || len(a.AddedAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
			t.Errorf("NodeAffinity args = %#v", p.Args["NodeAffinity"])
		}
	})
	t.Run("default args leave no entry; others pass through as v1 types", func(t *testing.T) {
		p := parseFile(t, "valid-all-args.yaml").Profiles[0]
		if d := st.Diff(interpodaffinity.Args{HardPodAffinityWeight: 10, IgnorePreferredTermsOfExistingPods: true}, p.Args["InterPodAffinity"]); d != "" {
			t.Errorf("InterPodAffinity args (-want +got):%s", d)
		}
		pts, ok := p.Args["PodTopologySpread"].(podtopologyspread.Args)
		if !ok || pts.DefaultingType != podtopologyspread.ListDefaulting || len(pts.DefaultConstraints) != 1 {
			t.Errorf("PodTopologySpread args = %#v", p.Args["PodTopologySpread"])
		}
		// DefaultPreemption has no plugin in ksim: its args pass through as the v1 type.
		dp, ok := p.Args["DefaultPreemption"].(*configv1.DefaultPreemptionArgs)
		if !ok || *dp.MinCandidateNodesPercentage != 20 {
			t.Errorf("DefaultPreemption args = %#v", p.Args["DefaultPreemption"])
		}
		ba, ok := p.Args["NodeResourcesBalancedAllocation"].(noderesources.BalancedAllocationArgs)
		if !ok || len(ba.Resources) != 3 || ba.Resources[1].Weight != 1 {
			t.Errorf("BalancedAllocation args = %#v", p.Args["NodeResourcesBalancedAllocation"])
		}
		if _, ok := p.Args["NodeResourcesFit"].(noderesources.FitArgs); !ok {
			t.Errorf("NodeResourcesFit args (ignored resources) = %#v", p.Args["NodeResourcesFit"])
		}
		empty := DefaultProfile()
		if len(empty.Args) != 0 {
			t.Errorf("default profile has args %v", empty.Args)
		}
	})
	t.Run("zero weight defaults to one", func(t *testing.T) {
		p := parseFile(t, "valid-fit-zero-weight.yaml").Profiles[0]
		got := p.Args["NodeResourcesFit"].(noderesources.FitArgs).ScoringStrategy.Resources
		if d := st.Diff([]noderesources.ResourceSpec{{Name: "cpu", Weight: 1}, {Name: "memory", Weight: 3}}, got); d != "" {
			t.Errorf("resources (-want +got):%s", d)
		}
	})
	t.Run("negative weight", func(t *testing.T) {
		p := parseFile(t, "valid-negative-weight-last.yaml").Profiles[0]
		if i := slices.IndexFunc(p.Score, func(w WeightedPlugin) bool { return w.Name == "ImageLocality" }); i != len(p.Score)-1 || p.Score[i].Weight != -2 {
			t.Errorf("score = %v", p.Score)
		}
	})
}

// TestProfilesSelectBySchedulerName places the same pod under two profiles: the default
// spreads (LeastAllocated), bin-packing packs (MostAllocated), a pod for an unknown scheduler
// is left alone, and IgnoreSchedulerName uses the first profile for every pod.
func TestProfilesSelectBySchedulerName(t *testing.T) {
	cfg := parseFile(t, "valid-profiles.yaml")
	nodes := []*corev1.Node{
		st.MakeNode("busy").Alloc("cpu", "4", "memory", "8Gi").Obj(),
		st.MakeNode("idle").Alloc("cpu", "4", "memory", "8Gi").Obj(),
	}
	snap := snapshotOf(nodes, st.MakePod("existing").Node("busy").Req(st.Res("cpu", "3", "memory", "6Gi")).Obj())
	pod := func(scheduler string) *corev1.Pod {
		p := st.MakePod("p").Req(st.Res("cpu", "500m", "memory", "512Mi")).Obj()
		p.Spec.SchedulerName = scheduler
		return p
	}
	s := newScheduler(t, *cfg, 1)
	for _, tc := range []struct{ scheduler, want string }{{"", "idle"}, {"default-scheduler", "idle"}, {"bin-packing", "busy"}} {
		if r := s.Schedule(snap, pod(tc.scheduler), false); r.Node != tc.want {
			t.Errorf("schedulerName %q: node %q (%s), want %s", tc.scheduler, r.Node, r.Reason, tc.want)
		}
	}
	r := s.Schedule(snap, pod("other"), true)
	if !r.NoProfile || r.Node != "" || !strings.Contains(r.Reason, `no profile has schedulerName "other"`) || r.Explanation == nil {
		t.Errorf("unknown scheduler: %+v", r)
	}
	cfg.Profiles[0], cfg.Profiles[1] = cfg.Profiles[1], cfg.Profiles[0]
	cfg.IgnoreSchedulerName = true
	s = newScheduler(t, *cfg, 1)
	if r := s.Schedule(snap, pod("other"), false); r.Node != "busy" {
		t.Errorf("IgnoreSchedulerName: node %q, want busy (the first profile packs)", r.Node)
	}
	if got := s.ProfileNames(); !slices.Equal(got, []string{"bin-packing", "default-scheduler"}) {
		t.Errorf("ProfileNames = %v", got)
	}
}

// TestProfilePercentageOfNodesToScore checks that a profile's percentage overrides the global
// one, and that an unset one does not.
func TestProfilePercentageOfNodesToScore(t *testing.T) {
	nodes := manyNodes(1000, nil)
	snap := snapshotOf(nodes)
	pod := st.MakePod("p").Req(st.Res("cpu", "1")).Obj()
	for _, tc := range []struct {
		global  int32
		profile *int32
		want    int // nodes looked for: 1000 × pct / 100, at least 100; adaptive 50 − 1000/125 = 42%
	}{
		{global: 0, want: 420},
		{global: 30, want: 300},
		{global: 30, profile: new(int32(10)), want: 100},
		{global: 30, profile: new(int32(0)), want: 420},
		{global: 0, profile: new(int32(100)), want: 1000},
	} {
		p := DefaultProfile()
		p.PercentageOfNodesToScore = tc.profile
		s := newScheduler(t, Config{PercentageOfNodesToScore: tc.global, Profiles: []Profile{p}}, 1)
		r := s.Schedule(snap, pod, true)
		if r.Explanation.NumFeasibleToFind != tc.want {
			t.Errorf("global %d, profile %v: looked for %d nodes, want %d", tc.global, tc.profile, r.Explanation.NumFeasibleToFind, tc.want)
		}
	}
}

// TestConfiguredProfileChangesPlacement checks that weights, disabled plugins and added
// affinity from a configuration reach the plugins.
func TestConfiguredProfileChangesPlacement(t *testing.T) {
	parse := func(t *testing.T, body string) Config {
		t.Helper()
		cfg, err := ParseConfig("c.yaml", []byte("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"+body))
		if err != nil {
			t.Fatal(err)
		}
		return *cfg
	}
	// "ssd" is labelled disk=ssd and has a PreferNoSchedule taint; "plain" has neither.
	nodes := []*corev1.Node{
		st.MakeNode("ssd").Alloc("cpu", "4", "memory", "8Gi").Label("disk", "ssd").Taint("maint", "", corev1.TaintEffectPreferNoSchedule).Obj(),
		st.MakeNode("plain").Alloc("cpu", "4", "memory", "8Gi").Obj(),
	}
	snap := snapshotOf(nodes)
	pod := st.MakePod("p").Req(st.Res("cpu", "1")).Preferred(1, st.Term(st.Expr("disk", corev1.NodeSelectorOpIn, "ssd"))).Obj()
	tests := []struct {
		name string
		body string
		want string
	}{
		// Defaults: TaintToleration (3 × 100 for plain) beats NodeAffinity (2 × 100 for ssd).
		{name: "defaults", want: "plain"},
		{name: "NodeAffinity weighs more", body: "profiles:\n- plugins:\n    score:\n      enabled: [{name: NodeAffinity, weight: 5}]\n", want: "ssd"},
		{name: "TaintToleration disabled for score", body: "profiles:\n- plugins:\n    score:\n      disabled: [{name: TaintToleration}]\n", want: "ssd"},
		{
			name: "addedAffinity excludes ssd",
			body: "profiles:\n- pluginConfig:\n  - name: NodeAffinity\n    args:\n      addedAffinity:\n        requiredDuringSchedulingIgnoredDuringExecution:\n          nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: DoesNotExist}]}]\n" +
				"  plugins:\n    score:\n      disabled: [{name: TaintToleration}]\n",
			want: "plain",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScheduler(t, parse(t, tc.body), 1)
			r := s.Schedule(snap, pod, true)
			if r.Node != tc.want {
				t.Errorf("node %q, want %q; %+v", r.Node, tc.want, r.Explanation.Nodes)
			}
		})
	}
	// With only ssd left by the added affinity, the other node's verdict names it.
	s := newScheduler(t, parse(t, "profiles:\n- pluginConfig:\n  - name: NodeAffinity\n    args:\n      addedAffinity:\n        requiredDuringSchedulingIgnoredDuringExecution:\n          nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: In, values: [hdd]}]}]\n"), 1)
	r := s.Schedule(snap, pod, false)
	if want := "0/2 nodes are available: 2 node(s) didn't match scheduler-enforced node affinity."; r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
}

func TestNewRejectsBadProfiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	def := DefaultProfile()
	dup := []Profile{def, def}
	unknown := DefaultProfile()
	unknown.Filter = append(unknown.Filter, "MyPlugin")
	twice := DefaultProfile()
	twice.Filter = append(twice.Filter, "NodeName")
	badPct := DefaultProfile()
	badPct.PercentageOfNodesToScore = new(int32(101))
	badArgs := DefaultProfile()
	badArgs.Args = map[string]any{"NodeResourcesFit": 7}
	for name, profiles := range map[string][]Profile{
		"duplicate names": dup, "unknown plugin": {unknown}, "listed twice": {twice},
		"profile percentage": {badPct}, "bad args": {badArgs},
	} {
		if _, err := New(Config{Profiles: profiles}, rng); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestNotImplemented(t *testing.T) {
	s := newScheduler(t, Config{}, 1)
	got, ok := s.NotImplemented("default-scheduler")
	if !ok {
		t.Fatal("no default-scheduler profile")
	}
	// Whatever the registry holds, the volume plugins are not implemented yet, and the
	// implemented ones are not listed.
	if !slices.Contains(got, "VolumeBinding") || slices.Contains(got, "NodeResourcesFit") || !slices.IsSorted(got) {
		t.Errorf("NotImplemented = %v", got)
	}
	if _, ok := s.NotImplemented("nope"); ok {
		t.Error("NotImplemented found a profile that does not exist")
	}
}

func TestConfigErrorsAreSortedAndComplete(t *testing.T) {
	data := []byte(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 200
profiles:
- schedulerName: a
  percentageOfNodesToScore: -3
- schedulerName: a
`)
	_, err := ParseConfig("c.yaml", data)
	var ces ConfigErrors
	if !errors.As(err, &ces) {
		t.Fatalf("err = %v", err)
	}
	var lines []int
	for _, e := range ces {
		lines = append(lines, e.Line)
	}
	if d := st.Diff([]int{3, 6, 7}, lines); d != "" {
		t.Errorf("lines (-want +got):%s\n%v", d, err)
	}
	if n := bytes.Count([]byte(err.Error()), []byte("\n")); n != 2 {
		t.Errorf("want one line per problem:\n%v", err)
	}
}

// FuzzParseConfig checks that no input makes ParseConfig panic, and that a configuration it
// accepts builds a Scheduler. The seed corpus is testdata/config and testdata/fuzz.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			var ces ConfigErrors
			if !errors.As(err, &ces) || len(ces) == 0 {
				t.Fatalf("error is not ConfigErrors: %v", err)
			}
			return
		}
		if _, err := New(*cfg, rng); err != nil {
			t.Fatalf("accepted configuration does not build: %v\n%s", err, data)
		}
	})
}

// BenchmarkParseConfig measures reading a configuration that sets every plugin's args.
func BenchmarkParseConfig(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "config", "valid-all-args.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseConfig("c.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
