package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ksim.dev/ksim/autoscaler/hpa"
)

func loadHPAFile(t testing.TB, path string) Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := LoadHPA(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return Config{HPA: h, Options: hpa.DefaultOptions(), SyncPeriod: DefaultSyncPeriod}
}

func exampleDirs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/examples/*/hpa.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in testdata/examples: %v", err)
	}
	dirs := make([]string, len(files))
	for i, f := range files {
		dirs[i] = filepath.Dir(f)
	}
	return dirs
}

// TestExamples replays the worked examples (docs/hpa-replay-examples, copied to
// testdata/examples). The output must equal expected.jsonl, the output of the real v1.37.2
// HorizontalController, byte for byte: t, current, desired, the conditions and the metrics.
func TestExamples(t *testing.T) {
	for _, dir := range exampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg := loadHPAFile(t, filepath.Join(dir, "hpa.yaml"))
			f, err := os.Open(filepath.Join(dir, "observations.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			if err := Run(cfg, f, "observations.jsonl", &out); err != nil {
				t.Fatalf("Run: %v", err)
			}

			// The upstream controller's own output for the same input: ksim's must be the same,
			// byte for byte (the metrics' text included).
			upstreamRaw, err := os.ReadFile(filepath.Join(dir, "expected.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(out.Bytes(), upstreamRaw) {
				return
			}
			upstream := readLinesFrom[map[string]any](t, upstreamRaw)
			got := readLinesFrom[map[string]any](t, out.Bytes())
			if len(got) != len(upstream) {
				t.Fatalf("%d output lines, upstream has %d", len(got), len(upstream))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], upstream[i]) {
					t.Errorf("line %d differs from the upstream controller's:\n got  %v\n want %v", i+1, got[i], upstream[i])
				}
			}
			t.Errorf("output is not byte-identical to expected.jsonl (the upstream controller's)")
		})
	}
}

func readLinesFrom[T any](t *testing.T, raw []byte) []T {
	t.Helper()
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		out = append(out, v)
	}
	return out
}

const testHPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`

// okPod is a pod line fragment that parses.
const okPod = `{"name":"a","phase":"Running","created":-600,"ready":true,"readyChanged":-570,"requests":{"cpu":"500m"},"usage":{"cpu":"250m"},"metricTime":-5,"metricWindow":15}`

func line(t int, pods ...string) string {
	return `{"t":` + itoa(t) + `,"replicas":1,"pods":[` + strings.Join(pods, ",") + "]}\n"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestBadInput: every kind of bad input stops the replay with FILE:LINE: what is wrong, after
// the output of the lines before it.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		wantErr   string // the whole "FILE:LINE: ..." prefix and enough of the message
		wantLines int    // output lines written before the error
	}{
		{"not JSON", "hello\n", "obs.jsonl:1: not valid JSON", 0},
		{"empty line", line(0, okPod) + "\n" + line(15, okPod), "obs.jsonl:2: empty line", 1},
		{"no input", "", "obs.jsonl:1: no observations", 0},
		{"two objects on a line", `{"t":0,"replicas":1,"pods":[]} {}` + "\n", "obs.jsonl:1: unexpected data after the JSON object", 0},
		{"truncated", `{"t":0,"replicas":1,"pods":[`, "obs.jsonl:1: truncated JSON object", 0},
		{"unknown field", `{"t":0,"replicas":1,"pods":[],"extra":1}` + "\n", `obs.jsonl:1: extra: not a field of format v1`, 0},
		{"unknown pod field", line(0, strings.Replace(okPod, `"name"`, `"nodeName":"n1","name"`, 1)), `obs.jsonl:1: pods[0].nodeName: not a field of format v1`, 0},
		{"field names are matched exactly", `{"T":0,"replicas":1,"pods":[]}` + "\n", `obs.jsonl:1: T: not a field of format v1`, 0},
		{"a field given twice", `{"t":0,"t":15,"replicas":1,"pods":[]}` + "\n", `obs.jsonl:1: line: "t" given twice`, 0},
		{"a resource given twice", line(0, strings.Replace(okPod, `{"cpu":"500m"}`, `{"cpu":"500m","cpu":"1"}`, 1)), `obs.jsonl:1: pods[0].requests: "cpu" given twice`, 0},
		{"line too long", line(0, okPod) + `{"t":15,"replicas":1,"pods":[],"pad":"` + strings.Repeat("x", MaxLineBytes) + "\"}\n", "obs.jsonl:2: line longer than the limit MaxLineBytes", 1},
		{"missing t", `{"replicas":1,"pods":[]}` + "\n", "obs.jsonl:1: t: required: a whole number", 0},
		{"fractional t", `{"t":1.5,"replicas":1,"pods":[]}` + "\n", "obs.jsonl:1: t: 1.5 is not a whole number", 0},
		{"t as a string", `{"t":"15","replicas":1,"pods":[]}` + "\n", `obs.jsonl:1: t: "15" is not a whole number`, 0},
		{"negative t", `{"t":-15,"replicas":1,"pods":[]}` + "\n", "obs.jsonl:1: t: -15 is out of range: want an integer from 0 to", 0},
		{"t not on the sync period", line(0, okPod) + line(20, okPod), "obs.jsonl:2: t: 20 is not a multiple of the sync period (15s)", 1},
		{"t going back", line(0, okPod) + line(30, okPod) + line(15, okPod), "obs.jsonl:3: t: 15 is not after the previous line's t (30)", 2},
		{"t repeated", line(15, okPod) + line(15, okPod), "obs.jsonl:2: t: 15 is not after the previous line's t (15)", 1},
		{"negative replicas", `{"t":0,"replicas":-1,"pods":[]}` + "\n", "obs.jsonl:1: replicas: -1 is out of range", 0},
		{"missing pods", `{"t":0,"replicas":1}` + "\n", "obs.jsonl:1: pods: required", 0},
		{"pods not a list", `{"t":0,"replicas":1,"pods":{}}` + "\n", "obs.jsonl:1: pods: got an object, want a list of pods", 0},
		{"duplicate pod", line(0, okPod, okPod), `obs.jsonl:1: pods[1].name: "a" is also the name of pods[0]`, 0},
		{"missing name", line(0, strings.Replace(okPod, `"name":"a",`, ``, 1)), "obs.jsonl:1: pods[0].name: required", 0},
		{"bad phase", line(0, strings.Replace(okPod, `"Running"`, `"Crashing"`, 1)), `obs.jsonl:1: pods[0].phase: "Crashing" is not a phase`, 0},
		{"missing ready", line(0, strings.Replace(okPod, `"ready":true,`, ``, 1)), "obs.jsonl:1: pods[0].ready: required", 0},
		{"ready not a bool", line(0, strings.Replace(okPod, `"ready":true`, `"ready":"yes"`, 1)), "obs.jsonl:1: pods[0].ready: got a string, want true or false", 0},
		{"missing requests", line(0, strings.Replace(okPod, `"requests":{"cpu":"500m"},`, ``, 1)), "obs.jsonl:1: pods[0].requests: required", 0},
		{"bad quantity", line(0, strings.Replace(okPod, `"500m"`, `"half a core"`, 1)), `obs.jsonl:1: pods[0].requests.cpu: "half a core" is not a quantity`, 0},
		{"negative usage", line(0, strings.Replace(okPod, `"250m"`, `"-1"`, 1)), `obs.jsonl:1: pods[0].usage.cpu: "-1" is negative`, 0},
		{"quantity as a number", line(0, strings.Replace(okPod, `"500m"`, `0.5`, 1)), `obs.jsonl:1: pods[0].requests.cpu: got a number, want a quantity string`, 0},
		{"usage without its time", line(0, strings.Replace(okPod, `,"metricTime":-5`, ``, 1)), "obs.jsonl:1: pods[0]: usage needs metricTime and metricWindow", 0},
		{"metric time without usage", line(0, strings.Replace(okPod, `"usage":{"cpu":"250m"},`, ``, 1)), "obs.jsonl:1: pods[0]: metricTime and metricWindow go with usage", 0},
		{"negative window", line(0, strings.Replace(okPod, `"metricWindow":15`, `"metricWindow":-15`, 1)), "obs.jsonl:1: pods[0].metricWindow: -15 is out of range: want an integer from 0 to", 0},
		{"huge time", line(0, strings.Replace(okPod, `"created":-600`, `"created":99999999999999`, 1)), "obs.jsonl:1: pods[0].created: 99999999999999 is out of range", 0},
		{"bad second line after good ones", line(0, okPod) + line(15, okPod) + "{\n", "obs.jsonl:3: truncated JSON object", 2},
	}
	cfg, err := configOf(testHPA)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Run(cfg, strings.NewReader(tc.input), "obs.jsonl", &out)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want an *InputError", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("error\n %q\nwant it to start with\n %q", err, tc.wantErr)
			}
			if got := strings.Count(out.String(), "\n"); got != tc.wantLines {
				t.Errorf("%d output lines before the error, want %d:\n%s", got, tc.wantLines, out.String())
			}
		})
	}
}

func configOf(yamlText string) (Config, error) {
	h, err := LoadHPA([]byte(yamlText))
	if err != nil {
		return Config{}, err
	}
	return Config{HPA: h, Options: hpa.DefaultOptions(), SyncPeriod: DefaultSyncPeriod}, nil
}

// TestBadHPA: an HPA file that is not an autoscaling/v2 HPA, has unknown fields, fails the API
// server's validation or uses a metric type format v1 does not cover is rejected with the
// field named.
func TestBadHPA(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"not YAML", "{", "not a HorizontalPodAutoscaler"},
		{"wrong kind", strings.Replace(testHPA, "HorizontalPodAutoscaler", "Deployment", 1), `apiVersion/kind: "autoscaling/v2"/"Deployment"`},
		{"v1", strings.Replace(testHPA, "autoscaling/v2", "autoscaling/v1", 1), `apiVersion/kind: "autoscaling/v1"`},
		{"unknown field", strings.Replace(testHPA, "minReplicas: 1", "minReplicas: 1\n  minReplica: 2", 1), `not a HorizontalPodAutoscaler: unknown field "minReplica"`},
		{"max below min", strings.Replace(testHPA, "maxReplicas: 10", "maxReplicas: 0", 1), "spec.maxReplicas: must be greater than or equal to 1"},
		{"zero target", strings.Replace(testHPA, "averageUtilization: 50", "averageUtilization: 0", 1), "spec.metrics[0].resource.target.averageUtilization: must be greater than 0"},
		{"pods metric", strings.Replace(testHPA, "  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}",
			"  - type: Pods\n    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: 10}}", 1),
			`spec.metrics[0].type: "Pods" is not supported by replay format v1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configOf(tc.yaml)
			if err == nil {
				_, err = New(cfg)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestOutputFormat pins the output of a few cases the examples do not show: a first sync whose
// metric failed (desired 0, a new HPA's status), memory in binary units, an AverageValue
// target, a jump to minReplicas (no metrics read).
func TestOutputFormat(t *testing.T) {
	memHPA := strings.Replace(testHPA, "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}",
		"    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}\n  - type: Resource\n    resource: {name: memory, target: {type: AverageValue, averageValue: 200Mi}}", 1)
	memPod := `{"name":"a","phase":"Running","created":-600,"ready":true,"readyChanged":-570,"requests":{"cpu":"500m","memory":"256Mi"},"usage":{"cpu":"250m","memory":"300Mi"},"metricTime":-5,"metricWindow":15}`
	noMetric := `{"name":"a","phase":"Running","created":-600,"ready":true,"readyChanged":-570,"requests":{"cpu":"500m"}}`
	tests := []struct {
		name, hpa, input, want string
	}{
		{"first sync fails", testHPA, line(0, noMetric),
			`{"t":0,"current":1,"desired":0,"conditions":{"AbleToScale":"True/SucceededGetScale","ScalingActive":"False/FailedGetResourceMetric"},"metrics":["cpu: unknown"]}` + "\n"},
		{"memory average value", memHPA, line(0, memPod),
			`{"t":0,"current":1,"desired":2,"conditions":{"AbleToScale":"True/SucceededRescale","ScaledToZero":"False/NotScaledToZero","ScalingActive":"True/ValidMetricFound","ScalingLimited":"False/DesiredWithinRange"},"metrics":["cpu: 50% avg 250m","memory: avg 300Mi"]}` + "\n"},
		{"jump to min", strings.Replace(testHPA, "minReplicas: 1", "minReplicas: 3", 1), line(0, okPod),
			`{"t":0,"current":1,"desired":3,"conditions":{"AbleToScale":"True/SucceededRescale","ScaledToZero":"False/NotScaledToZero"}}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configOf(tc.hpa)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := Run(cfg, strings.NewReader(tc.input), "obs.jsonl", &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), tc.want)
			}
		})
	}
}

// TestObservationRoundTrip: an Observation written with encoding/json parses back to itself,
// so that tools (and the differential test) can write inputs in Go.
func TestObservationRoundTrip(t *testing.T) {
	for _, dir := range exampleDirs(t) {
		raw, err := os.ReadFile(filepath.Join(dir, "observations.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			o, err := ParseObservation(l)
			if err != nil {
				t.Fatalf("%s:%d: %v", dir, i+1, err)
			}
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			o2, err := ParseObservation(b)
			if err != nil {
				t.Fatalf("%s:%d: re-parsing %s: %v", dir, i+1, b, err)
			}
			if !reflect.DeepEqual(normalize(o), normalize(o2)) {
				t.Fatalf("%s:%d: round trip changed the observation:\n %+v\n %+v", dir, i+1, o, o2)
			}
		}
	}
}

// normalize makes quantities comparable (a parsed Quantity caches its string form).
func normalize(o Observation) string {
	b, _ := json.Marshal(o)
	return string(b)
}
