package framework

import (
	"hash/maphash"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func TestParsePodAffinity(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}
	pod := func(pa *corev1.PodAffinity, anti *corev1.PodAntiAffinity) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Labels: map[string]string{"app": "web", "ver": "v2", "tier": "fe"}},
			Spec: corev1.PodSpec{Affinity: &corev1.Affinity{PodAffinity: pa, PodAntiAffinity: anti}}}
	}
	tests := []struct {
		name    string
		pod     *corev1.Pod
		ns      []string // of the first required affinity term
		nss     string   // its namespaceSelector's key
		sel     string   // its selector's key
		wantErr string
	}{
		{name: "no namespaces: the pod's own", pod: pod(&corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: sel, TopologyKey: "k"}}}, nil), ns: []string{"ns"}, nss: "∅", sel: "{app=web}"},
		{name: "named namespaces, deduplicated and sorted", pod: pod(&corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: sel, TopologyKey: "k", Namespaces: []string{"b", "a", "b"}}}}, nil), ns: []string{"a", "b"}, nss: "∅", sel: "{app=web}"},
		{name: "an empty namespaceSelector: all namespaces, not the own one", pod: pod(&corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: sel, TopologyKey: "k", NamespaceSelector: &metav1.LabelSelector{}}}}, nil), nss: "*", sel: "{app=web}"},
		{name: "matchLabelKeys and mismatchLabelKeys merged", pod: pod(&corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{LabelSelector: sel, TopologyKey: "k", MatchLabelKeys: []string{"ver", "absent"}, MismatchLabelKeys: []string{"tier"}}}}, nil),
			ns: []string{"ns"}, nss: "∅", sel: "{app=web,tier notin (fe),ver in (v2)}"},
		{name: "a nil selector selects nothing, even with matchLabelKeys", pod: pod(&corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
			{TopologyKey: "k", MatchLabelKeys: []string{"ver"}}}}, nil), ns: []string{"ns"}, nss: "∅", sel: "∅"},
		{name: "errors per list, aggregated", pod: pod(&corev1.PodAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution:  []corev1.PodAffinityTerm{{LabelSelector: bad, TopologyKey: "k"}},
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 1, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: bad}}},
		}, nil), wantErr: `[requiredAffinityTerms: "Bogus" is not a valid label selector operator, preferredAffinityTerms: "Bogus" is not a valid label selector operator]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParsePodAffinity(tc.pod)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %s", err, tc.wantErr)
				}
				if len(a.RequiredAffinity) != 0 {
					t.Errorf("a list that does not parse is kept: %+v", a.RequiredAffinity)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			term := a.RequiredAffinity[0]
			if len(term.Namespaces) != len(tc.ns) || (len(tc.ns) > 0 && term.Namespaces[0] != tc.ns[0]) {
				t.Errorf("namespaces %v, want %v", term.Namespaces, tc.ns)
			}
			if got := SelectorKey(term.NamespaceSelector); got != tc.nss {
				t.Errorf("namespaceSelector %s, want %s", got, tc.nss)
			}
			if got := SelectorKey(term.Selector); got != tc.sel {
				t.Errorf("selector %s, want %s", got, tc.sel)
			}
		})
	}
}

func TestAffinityTermMatches(t *testing.T) {
	owner := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "own"}}
	term, err := NewAffinityTerm(owner, &corev1.PodAffinityTerm{
		LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Namespaces:        []string{"listed"},
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	web := func(ns string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Labels: map[string]string{"app": "web"}}}
	}
	for _, tc := range []struct {
		pod      *corev1.Pod
		nsLabels labels.Set
		want     bool
	}{
		{web("listed"), nil, true},
		{web("other"), labels.Set{"team": "x"}, true},
		{web("other"), labels.Set{"team": "y"}, false},
		{web("own"), nil, false}, // namespaces given: the owner's own is not implied
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "listed", Labels: map[string]string{"app": "db"}}}, nil, false},
	} {
		if got := term.Matches(tc.pod, tc.nsLabels); got != tc.want {
			t.Errorf("Matches(%s/%v, %v) = %v, want %v", tc.pod.Namespace, tc.pod.Labels, tc.nsLabels, got, tc.want)
		}
	}
}

// TestSignatures: pods that differ in a part a plugin reads sign differently; pods equal in
// all of it sign alike, however the values are written.
func TestSignatures(t *testing.T) {
	base := func() *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "app:v1", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}},
				Ports: []corev1.ContainerPort{{HostPort: 80}}}},
			Tolerations:  []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}},
			NodeSelector: map[string]string{"a": "1", "b": "2"},
		}}
	}
	const all = SignPartNodeName | SignPartTolerations | SignPartNodeAffinity | SignPartResources | SignPartHostPorts | SignPartImages
	seed := maphash.MakeSeed()
	sign := func(p *corev1.Pod) uint64 {
		var h maphash.Hash
		h.SetSeed(seed)
		SignPodParts(&h, p, all)
		return h.Sum64()
	}
	want := sign(base())
	same := map[string]func(*corev1.Pod){
		"1000m for 1": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("1000m")
		},
		"1024Mi for 1Gi": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory] = resource.MustParse("1024Mi")
		},
		"labels and name are not read": func(p *corev1.Pod) { p.Name, p.Labels = "other", map[string]string{"x": "y"} },
	}
	for name, mod := range same {
		p := base()
		mod(p)
		if sign(p) != want {
			t.Errorf("%s: signature changed", name)
		}
	}
	differ := map[string]func(*corev1.Pod){
		"cpu": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("1001m")
		},
		"limits": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
		},
		"image":        func(p *corev1.Pod) { p.Spec.Containers[0].Image = "app:v2" },
		"port":         func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].HostPort = 81 },
		"toleration":   func(p *corev1.Pod) { p.Spec.Tolerations[0].Effect = corev1.TaintEffectNoSchedule },
		"nodeSelector": func(p *corev1.Pod) { p.Spec.NodeSelector["b"] = "3" },
		"nil selector": func(p *corev1.Pod) { p.Spec.NodeSelector = nil },
		"nodeName":     func(p *corev1.Pod) { p.Spec.NodeName = "n" },
		"overhead": func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m")}
		},
		"init": func(p *corev1.Pod) { p.Spec.InitContainers = []corev1.Container{{Name: "i"}} },
		"status resize": func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", AllocatedResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}}}
		},
		"node affinity": func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 1}}}}
		},
		"a tiny fraction": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("1000001u")
		},
	}
	for name, mod := range differ {
		p := base()
		mod(p)
		if sign(p) == want {
			t.Errorf("%s: signature unchanged", name)
		}
	}
}
