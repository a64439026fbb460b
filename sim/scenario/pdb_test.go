package scenario

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// basePDB is a valid PodDisruptionBudget appended to the base workloads (lines 27–35 of
// apps.yaml).
const basePDB = `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: "web"}
`

func pdbFS(edits ...edit) (fstest.MapFS, error) {
	fsys := baseFS()
	fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(baseApps + basePDB)}
	for _, e := range edits {
		data := string(fsys[e.file].Data)
		if !strings.Contains(data, e.old) {
			return nil, errors.New("edit: " + e.old + " not found")
		}
		fsys[e.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, e.old, e.new, 1))}
	}
	return fsys, nil
}

func TestPDBLoads(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit edit
		want func(t *testing.T, sc *Scenario)
	}{
		{"minAvailable", edit{"apps.yaml", "minAvailable: 1", "minAvailable: 1"}, func(t *testing.T, sc *Scenario) {
			p := sc.PodDisruptionBudgets[0]
			if p.Namespace != "default" || p.Spec.MinAvailable.IntValue() != 1 || p.Spec.MaxUnavailable != nil {
				t.Errorf("loaded %+v", p.Spec)
			}
		}},
		{"maxUnavailable as a percentage", edit{"apps.yaml", "minAvailable: 1", `maxUnavailable: "25%"`}, func(t *testing.T, sc *Scenario) {
			if v := sc.PodDisruptionBudgets[0].Spec.MaxUnavailable; v == nil || v.Type != intstr.String || v.StrVal != "25%" {
				t.Errorf("maxUnavailable %v", v)
			}
		}},
		{"a status in the manifest is dropped", edit{"apps.yaml", "    matchLabels: {app: \"web\"}\n", "    matchLabels: {app: \"web\"}\nstatus: {disruptionsAllowed: 5}\n"}, func(t *testing.T, sc *Scenario) {
			if n := sc.PodDisruptionBudgets[0].Status.DisruptionsAllowed; n != 0 {
				t.Errorf("status.disruptionsAllowed %d kept; the engine computes it", n)
			}
		}},
		{"in a List", edit{"apps.yaml", "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n",
			"---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: policy/v1\n  kind: PodDisruptionBudget\n  metadata:\n    name: web\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, err := pdbFS(tc.edit)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "in a List" {
				// Re-indent the spec under the list item.
				data := string(fsys["apps.yaml"].Data)
				data = strings.Replace(data, "    name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: \"web\"}\n",
					"    name: web\n  spec:\n    minAvailable: 1\n    selector:\n      matchLabels: {app: \"web\"}\n", 1)
				fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(data)}
			}
			sc, err := LoadFS(fsys, "scenario.yaml")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(sc.PodDisruptionBudgets) != 1 {
				t.Fatalf("%d PDBs loaded, want 1", len(sc.PodDisruptionBudgets))
			}
			if tc.want != nil {
				tc.want(t, sc)
			}
		})
	}
}

func TestPDBErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit edit
		at   string
		msg  string
	}{
		{"both set", edit{"apps.yaml", "minAvailable: 1", "minAvailable: 1\n  maxUnavailable: 1"},
			"apps.yaml:34: spec.maxUnavailable: ", "minAvailable and maxUnavailable cannot be both set"},
		{"negative", edit{"apps.yaml", "minAvailable: 1", "minAvailable: -1"},
			"apps.yaml:33: spec.minAvailable: ", "must be 0 or more, got -1"},
		{"not a percentage", edit{"apps.yaml", "minAvailable: 1", "minAvailable: half"},
			"apps.yaml:33: spec.minAvailable: ", `"half" is not a count of pods; want an integer or a percentage such as "50%"`},
		{"a negative percentage", edit{"apps.yaml", "minAvailable: 1", `maxUnavailable: "-5%"`},
			"apps.yaml:33: spec.maxUnavailable: ", `"-5%" is not a count of pods`},
		{"over 100%", edit{"apps.yaml", "minAvailable: 1", `minAvailable: "150%"`},
			"apps.yaml:33: spec.minAvailable: ", `"150%" is more than 100%`},
		{"a bad selector", edit{"apps.yaml", `matchLabels: {app: "web"}`, "matchExpressions: [{key: app, operator: Near, values: [web]}]"},
			"apps.yaml:34: spec.selector: ", `"Near" is not a valid label selector operator`},
		{"an unknown eviction policy", edit{"apps.yaml", "minAvailable: 1", "minAvailable: 1\n  unhealthyPodEvictionPolicy: Sometimes"},
			"apps.yaml:34: spec.unhealthyPodEvictionPolicy: ", `"Sometimes" is not a policy; allowed: IfHealthyBudget, AlwaysAllow`},
		{"the beta API", edit{"apps.yaml", "apiVersion: policy/v1", "apiVersion: policy/v1beta1"},
			"apps.yaml:28: apiVersion: ", `"policy/v1beta1" is not supported for PodDisruptionBudget; want policy/v1`},
		{"an unknown field", edit{"apps.yaml", "minAvailable: 1", "minAvaliable: 1"},
			"apps.yaml:33: spec.minAvaliable: ", `unknown field "minAvaliable"; did you mean "minAvailable"?`},
		{"no name", edit{"apps.yaml", "metadata:\n  name: web\nspec:\n  minAvailable", "metadata: {}\nspec:\n  minAvailable"},
			"apps.yaml:30: metadata.name: ", "required: every PodDisruptionBudget needs a name"},
		{"in a cluster file", edit{"nodes.yaml", "zone: b}\nstatus:\n  capacity: {cpu: \"4\", memory: 16Gi}\n", "zone: b}\nstatus:\n  capacity: {cpu: \"4\", memory: 16Gi}\n" + basePDB},
			"nodes.yaml:18: kind: ", `"PodDisruptionBudget" is not allowed in a spec.cluster (or add event) file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, err := pdbFS(tc.edit)
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadFS(fsys, "scenario.yaml")
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("err = %v, want Errors", err)
			}
			for _, e := range es {
				if s := e.Error(); strings.HasPrefix(s, tc.at) && strings.Contains(s[len(tc.at):], tc.msg) {
					return
				}
			}
			t.Errorf("no message starts with %q and contains %q; got:\n%v", tc.at, tc.msg, err)
		})
	}
}
