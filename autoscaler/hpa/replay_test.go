package hpa

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// The observation and expectation lines of `ksim hpa replay` (docs/hpa-replay.md, format v1).
type replayLine struct {
	T        int64       `json:"t"`
	Replicas int32       `json:"replicas"`
	Pods     []replayPod `json:"pods"`
}

type replayPod struct {
	Name         string            `json:"name"`
	Phase        corev1.PodPhase   `json:"phase"`
	Created      int64             `json:"created"`
	Ready        bool              `json:"ready"`
	ReadyChanged int64             `json:"readyChanged"`
	Deleting     bool              `json:"deleting"`
	Requests     map[string]string `json:"requests"`
	Usage        map[string]string `json:"usage"`
	MetricTime   int64             `json:"metricTime"`
	MetricWindow int64             `json:"metricWindow"`
}

type replayExpected struct {
	T          int64             `json:"t"`
	Current    int32             `json:"current"`
	Desired    int32             `json:"desired"`
	Conditions map[string]string `json:"conditions"`
}

func readJSONLines[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func seconds(s int64) time.Duration { return time.Duration(s) * time.Second }

func (p replayPod) sample(t *testing.T) PodSample {
	t.Helper()
	s := PodSample{
		Name: p.Name, Phase: p.Phase, Deleting: p.Deleting,
		Ready: p.Ready, ReadyChanged: seconds(p.ReadyChanged),
		StartTime: seconds(p.Created), Started: true,
	}
	milli := func(s string) int64 {
		q, err := resource.ParseQuantity(s)
		if err != nil {
			t.Fatalf("pod %s: %v", p.Name, err)
		}
		return q.MilliValue()
	}
	if q, ok := p.Requests["cpu"]; ok {
		s.CPURequestMilli, s.HasCPURequest = milli(q), true
	}
	if q, ok := p.Usage["cpu"]; ok {
		s.Metric = &CPUSample{UsageMilli: milli(q),
			Timestamp: seconds(p.MetricTime), Window: seconds(p.MetricWindow)}
	}
	return s
}

// TestReplayExamples runs the replay examples whose expected output comes from the real
// v1.37.2 HorizontalController (testdata/replay), and compares desired and the conditions.
func TestReplayExamples(t *testing.T) {
	dirs, err := filepath.Glob("testdata/replay/*/hpa.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no replay examples: %v", err)
	}
	for _, hpaPath := range dirs {
		dir := filepath.Dir(hpaPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(hpaPath)
			if err != nil {
				t.Fatal(err)
			}
			var h autoscalingv2.HorizontalPodAutoscaler
			if err := yaml.UnmarshalStrict(raw, &h); err != nil {
				t.Fatalf("%s: %v", hpaPath, err)
			}
			obs := readJSONLines[replayLine](t, filepath.Join(dir, "observations.jsonl"))
			want := readJSONLines[replayExpected](t, filepath.Join(dir, "expected.jsonl"))
			if len(obs) != len(want) {
				t.Fatalf("%d observations, %d expectations", len(obs), len(want))
			}
			a := mustNew(t, &h, seconds(obs[0].T), DefaultOptions())
			for i, o := range obs {
				var pods []PodSample
				for _, p := range o.Pods {
					pods = append(pods, p.sample(t))
				}
				d := a.Sync(seconds(o.T), o.Replicas, pods)
				got := replayExpected{T: o.T, Current: d.Current, Desired: d.Desired, Conditions: map[string]string{}}
				for _, c := range d.Conditions {
					got.Conditions[string(c.Type)] = string(c.Status) + "/" + c.Reason
				}
				if !reflect.DeepEqual(got, want[i]) {
					t.Errorf("t=%d:\n got  %+v\n want %+v\n (proposal %d, stabilized %d, utilization %d, err %q)",
						o.T, got, want[i], d.Proposal, d.Stabilized, d.Utilization, d.Err)
				}
			}
		})
	}
}
