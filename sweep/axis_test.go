package sweep

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseAxis(t *testing.T) {
	cases := []struct {
		flag   string
		paths  []string // Path.key() of each path
		values []string
	}{
		{"spec.duration=1h,2h", []string{"spec.duration"}, []string{"1h", "2h"}},
		{"spec.nodePools[0].count=10, 20 ,30", []string{"spec.nodePools[0].count"}, []string{"10", "20", "30"}},
		{"spec.load[0].trace.peakCores=x1.0,x1.2,x1.5", []string{"spec.load[0].trace.peakCores"}, []string{"x1.0", "x1.2", "x1.5"}},
		{"Deployment/default/web:spec.replicas=1,2", []string{"Deployment/default/web:spec.replicas"}, []string{"1", "2"}},
		// Kinds as kubectl spells them; namespaced kinds default to "default".
		{"deploy/web:spec.replicas=3", []string{"Deployment/default/web:spec.replicas"}, []string{"3"}},
		{"hpa/prod/web:spec.maxReplicas=5", []string{"HorizontalPodAutoscaler/prod/web:spec.maxReplicas"}, []string{"5"}},
		{"no/n1:status.capacity.cpu=4,8", []string{"Node/n1:status.capacity.cpu"}, []string{"4", "8"}},
		// Linked paths, quoted keys, JSON values with commas inside.
		{"spec.load[0].trace.peakCores+spec.load[0].trace.troughCores=x1,x2", []string{"spec.load[0].trace.peakCores", "spec.load[0].trace.troughCores"}, []string{"x1", "x2"}},
		{`Node/n1:metadata.labels["node.kubernetes.io/instance-type"]=a,b`, []string{`Node/n1:metadata.labels["node.kubernetes.io/instance-type"]`}, []string{"a", "b"}},
		{`Deployment/web:spec.template.spec.nodeSelector={"pool":"a","zone":"b"},{"pool":"c"}`, []string{"Deployment/default/web:spec.template.spec.nodeSelector"}, []string{`{"pool":"a","zone":"b"}`, `{"pool":"c"}`}},
		{`Deployment/web:spec.template.spec.containers[0].args=["a,b"],["c"]`, []string{"Deployment/default/web:spec.template.spec.containers[0].args"}, []string{`["a,b"]`, `["c"]`}},
	}
	for _, tc := range cases {
		a, err := ParseAxis(tc.flag)
		if err != nil {
			t.Errorf("ParseAxis(%q): %v", tc.flag, err)
			continue
		}
		var keys []string
		for _, p := range a.Paths {
			keys = append(keys, p.key())
		}
		if !slices.Equal(keys, tc.paths) || !slices.Equal(a.Values, tc.values) {
			t.Errorf("ParseAxis(%q) = paths %q values %q, want %q %q", tc.flag, keys, a.Values, tc.paths, tc.values)
		}
	}
}

func TestParseAxisErrors(t *testing.T) {
	cases := []struct{ flag, want string }{
		{"spec.duration", "want PATH=VALUE1,VALUE2"},
		{"spec.duration=", "no values"},
		{"spec.duration=1h,,2h", "an empty value"},
		{"spec.duration=1h,1h", "value 1h is given twice"},
		{"=1h", "empty path"},
		{"duration=1h", "a scenario field starts with spec."},
		{"spec=1h", "a scenario field starts with spec."},
		{"metadata.name=a", "a scenario field starts with spec."},
		{"Sandwich/default/web:spec.replicas=1", `unknown kind "Sandwich"; a sweep can set fields of: Node, Namespace`},
		{"Deployment/a/b/c:spec.replicas=1", "want KIND/NAMESPACE/NAME or KIND/NAME"},
		{"Node/default/n1:spec.unschedulable=true", "Node is cluster-scoped: write Node/n1"},
		{"Deployment/default/web.spec.replicas=1", "with a colon before the field"},
		{"Deployment//web:spec.replicas=1", "an empty name or namespace"},
		{"spec.load[x].trace.peakCores=1", `"[x]" is not a list index`},
		{"spec.load[-1].trace.peakCores=1", "is not a list index"},
		{"spec.load[0.trace=1", "unbalanced brackets"},
		{`spec.a["k"x]=1`, `want ] after "k"`},
		{"spec..duration=1h", "misplaced ."},
		{"spec.duration.=1h", "misplaced ."},
		{"spec.duration+spec.duration=1h", "path spec.duration is given twice"},
		{"deploy/web:spec.replicas+Deployment/default/web:spec.replicas=1", "is given twice"},
		{"spec.seed=" + manyValues(MaxValues+1), "at most 1000 (MaxValues)"},
	}
	for _, tc := range cases {
		_, err := ParseAxis(tc.flag)
		if err == nil {
			t.Errorf("ParseAxis(%q): no error, want %q", tc.flag, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--vary ") {
			t.Errorf("ParseAxis(%q): %v\nwant an error starting with --vary and containing %q", tc.flag, err, tc.want)
		}
	}
}

func manyValues(n int) string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = strconv.Itoa(i)
	}
	return strings.Join(vs, ",")
}

// FuzzParseAxis: whatever the flag, ParseAxis returns an axis with at least one path and one
// value, or an error that starts with the flag; it never panics.
func FuzzParseAxis(f *testing.F) {
	f.Fuzz(func(t *testing.T, flag string) {
		if len(flag) > 4096 {
			t.Skip()
		}
		a, err := ParseAxis(flag)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--vary "+flag) {
				t.Fatalf("error %q does not name the flag", err)
			}
			return
		}
		if len(a.Paths) == 0 || len(a.Values) == 0 {
			t.Fatalf("axis without paths or values: %+v", a)
		}
		for _, p := range a.Paths {
			if len(p.steps) == 0 {
				t.Fatalf("path without steps: %+v", p)
			}
			// The canonical form parses back to the same field.
			back, err := parseField(fieldString(p.steps))
			if err != nil || fieldString(back) != fieldString(p.steps) {
				t.Fatalf("field %q: canonical form %q does not parse back (%v)", p.Field, fieldString(p.steps), err)
			}
		}
	})
}
