package sweep

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// splitManifests cuts WriteJob's output into documents as kubectl does (at lines "---"),
// dropping documents that hold only comments.
func splitManifests(t *testing.T, out string) []string {
	t.Helper()
	var docs []string
	r := kyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		if j, err := yaml.YAMLToJSON(d); err != nil || string(j) == "null" {
			continue
		}
		docs = append(docs, string(d))
	}
}

// decodeJob decodes the manifests as the API server would: strictly, into the API types.
func decodeJob(t *testing.T, out string) (*corev1.ConfigMap, *batchv1.Job) {
	t.Helper()
	var cm *corev1.ConfigMap
	var job *batchv1.Job
	for _, d := range splitManifests(t, out) {
		var tm struct{ Kind string }
		if err := yaml.Unmarshal([]byte(d), &tm); err != nil {
			t.Fatal(err)
		}
		switch tm.Kind {
		case "ConfigMap":
			cm = &corev1.ConfigMap{}
			if err := yaml.UnmarshalStrict([]byte(d), cm); err != nil {
				t.Fatalf("ConfigMap does not decode strictly: %v", err)
			}
		case "Job":
			job = &batchv1.Job{}
			if err := yaml.UnmarshalStrict([]byte(d), job); err != nil {
				t.Fatalf("Job does not decode strictly: %v", err)
			}
		default:
			t.Fatalf("unexpected document of kind %q:\n%s", tm.Kind, d)
		}
	}
	if job == nil {
		t.Fatalf("no Job in:\n%s", out)
	}
	return cm, job
}

// checkJob checks what the API server and the Job controller require of an Indexed Job, and
// what the sweep relies on.
func checkJob(t *testing.T, job *batchv1.Job, variants int) {
	t.Helper()
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		t.Errorf("apiVersion %q kind %q", job.APIVersion, job.Kind)
	}
	for _, msg := range content.IsDNS1123Label(job.Name) {
		t.Errorf("job name %q: %s", job.Name, msg)
	}
	for k, v := range job.Labels {
		if len(validation.IsQualifiedName(k)) > 0 || len(content.IsLabelValue(v)) > 0 {
			t.Errorf("bad label %s=%s", k, v)
		}
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || int(*s.Completions) != variants {
		t.Errorf("completions %v, want %d", s.Completions, variants)
	}
	if s.Parallelism == nil || *s.Parallelism < 1 || int(*s.Parallelism) > variants {
		t.Errorf("parallelism %v", s.Parallelism)
	}
	// backoffLimitPerIndex and podFailurePolicy need restartPolicy Never, and FailIndex needs
	// backoffLimitPerIndex (upstream: pkg/apis/batch/validation).
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 1 {
		t.Errorf("backoffLimitPerIndex %v", s.BackoffLimitPerIndex)
	}
	if p := s.PodFailurePolicy; p == nil || len(p.Rules) != 1 || p.Rules[0].Action != batchv1.PodFailurePolicyActionFailIndex ||
		!slices.Equal(p.Rules[0].OnExitCodes.Values, []int32{2}) || *p.Rules[0].OnExitCodes.ContainerName != "ksim" {
		t.Errorf("podFailurePolicy %+v", p)
	}
	ps := s.Template.Spec
	if ps.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q", ps.RestartPolicy)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers", len(ps.Containers))
	}
	c := ps.Containers[0]
	if c.Name != "ksim" || c.Image == "" || !slices.Equal(c.Command, []string{"ksim"}) || !slices.Equal(c.Args[:2], []string{"sweep", "run-shard"}) {
		t.Errorf("container %s image %q command %q args %q", c.Name, c.Image, c.Command, c.Args)
	}
	var env *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == IndexEnv {
			env = &c.Env[i]
		}
	}
	if env == nil || env.ValueFrom == nil || env.ValueFrom.FieldRef == nil ||
		env.ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("env %s: %+v", IndexEnv, env)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) != 0 {
		t.Errorf("resources %+v", c.Resources)
	}
	vols := map[string]bool{}
	for _, v := range ps.Volumes {
		vols[v.Name] = true
	}
	for _, m := range c.VolumeMounts {
		if !vols[m.Name] {
			t.Errorf("mount of missing volume %q", m.Name)
		}
	}
	if !slices.Contains(c.Args, "--expect-variants") || !slices.Contains(c.Args, "--expect-id") {
		t.Errorf("args lack the checks: %q", c.Args)
	}
}

func argAfter(args []string, flag string) string {
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	return args[i+1]
}

func TestWriteJobConfigMap(t *testing.T) {
	p := tinyPlan(t, goldenAxes...)
	seed := uint64(3)
	args := []string{"--vary", goldenAxes[0], "--seed", "3"}
	var out bytes.Buffer
	if err := p.WriteJob(&out, JobOptions{Image: "registry.example/ksim:test", Namespace: "capacity", Args: args, Seed: &seed, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	cm, job := decodeJob(t, out.String())
	checkJob(t, job, 12)
	id := p.ID(&seed, "test")
	if job.Name != "ksim-sweep-"+id[:8] || job.Namespace != "capacity" || job.Labels["ksim.dev/sweep-id"] != id {
		t.Errorf("job %s/%s labels %v", job.Namespace, job.Name, job.Labels)
	}
	if *job.Spec.Parallelism != 10 {
		t.Errorf("parallelism %d, want min(12, 10)", *job.Spec.Parallelism)
	}
	c := job.Spec.Template.Spec.Containers[0]
	want := append([]string{"sweep", "run-shard", "/ksim/scenario/scenario.yaml"}, args...)
	want = append(want, "--expect-variants", "12", "--expect-id", id)
	if !slices.Equal(c.Args, want) {
		t.Errorf("args\n%q\nwant\n%q", c.Args, want)
	}
	// The ConfigMap holds every file of the scenario, each mounted at its place.
	if cm == nil || cm.Name != job.Name || cm.Namespace != "capacity" {
		t.Fatalf("ConfigMap %v", cm)
	}
	var vol *corev1.Volume
	for i := range job.Spec.Template.Spec.Volumes {
		if job.Spec.Template.Spec.Volumes[i].ConfigMap != nil {
			vol = &job.Spec.Template.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.ConfigMap.Name != cm.Name {
		t.Fatalf("no ConfigMap volume: %+v", job.Spec.Template.Spec.Volumes)
	}
	var paths []string
	for _, it := range vol.ConfigMap.Items {
		paths = append(paths, it.Path)
		for _, msg := range validation.IsConfigMapKey(it.Key) {
			t.Errorf("key %q: %s", it.Key, msg)
		}
		if strings.Contains(it.Path, "..") || strings.HasPrefix(it.Path, "/") {
			t.Errorf("item path %q", it.Path)
		}
		data, err := os.ReadFile(filepath.Join("testdata/tiny", it.Path))
		if err != nil {
			t.Fatal(err)
		}
		if cm.Data[it.Key] != string(data) {
			t.Errorf("ConfigMap %s differs from testdata/tiny/%s", it.Key, it.Path)
		}
	}
	slices.Sort(paths)
	if want := []string{"apps.yaml", "nodes.yaml", "scenario.yaml", "traces/load.csv"}; !slices.Equal(paths, want) {
		t.Errorf("files %q, want %q", paths, want)
	}
}

func TestWriteJobOtherSources(t *testing.T) {
	p := tinyPlan(t, goldenAxes[1])
	// A claim holds the scenario; shards go to another claim.
	var out bytes.Buffer
	if err := p.WriteJob(&out, JobOptions{Name: "sizing", Image: "ksim:test", ScenarioPVC: "scenarios", ScenarioPath: "tiny/scenario.yaml",
		ResultsPVC: "results", Parallelism: 2, CPU: "500m", Memory: "256Mi", Version: "test"}); err != nil {
		t.Fatal(err)
	}
	cm, job := decodeJob(t, out.String())
	checkJob(t, job, 3)
	if cm != nil {
		t.Errorf("a ConfigMap with a scenario claim")
	}
	c := job.Spec.Template.Spec.Containers[0]
	if c.Args[2] != "/ksim/scenario/tiny/scenario.yaml" || argAfter(c.Args, "--out") != "/results/sizing" {
		t.Errorf("args %q", c.Args)
	}
	if c.Resources.Requests.Cpu().String() != "500m" || c.Resources.Limits.Memory().String() != "256Mi" || *job.Spec.Parallelism != 2 {
		t.Errorf("resources %v parallelism %d", c.Resources, *job.Spec.Parallelism)
	}
	claims := map[string]bool{}
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims[v.PersistentVolumeClaim.ClaimName] = v.PersistentVolumeClaim.ReadOnly
		}
	}
	if ro, ok := claims["scenarios"]; !ok || !ro {
		t.Errorf("scenario claim %v", claims)
	}
	if ro, ok := claims["results"]; !ok || ro {
		t.Errorf("results claim %v", claims)
	}
	// The embedded scenario: no scenario argument, nothing mounted.
	out.Reset()
	if err := p.WriteJob(&out, JobOptions{Image: "ksim:test", Embedded: true, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	cm, job = decodeJob(t, out.String())
	checkJob(t, job, 3)
	if c := job.Spec.Template.Spec.Containers[0]; cm != nil || len(job.Spec.Template.Spec.Volumes) != 0 || strings.HasPrefix(c.Args[2], "/") {
		t.Errorf("embedded: ConfigMap %v, volumes %v, args %q", cm, job.Spec.Template.Spec.Volumes, c.Args)
	}
}

func TestWriteJobErrors(t *testing.T) {
	p := tinyPlan(t, goldenAxes[1])
	for _, tc := range []struct {
		o    JobOptions
		want string
	}{
		{JobOptions{}, "an image is required"},
		{JobOptions{Image: "i", Name: "Sweep_1"}, `job name "Sweep_1": a lowercase RFC 1123 label`},
		{JobOptions{Image: "i", Name: strings.Repeat("a", 62)}, "is too long: the pods' hostnames"},
		{JobOptions{Image: "i", Namespace: "Cap"}, `namespace "Cap"`},
		{JobOptions{Image: "i", Parallelism: -1}, "parallelism -1"},
		{JobOptions{Image: "i", CPU: "lots"}, `cpu "lots"`},
		{JobOptions{Image: "i", Memory: "0"}, `memory "0"`},
		{JobOptions{Image: "i", ScenarioPVC: "c"}, "give the scenario file's path in the claim"},
		{JobOptions{Image: "i", ResultsPVC: "Bad Claim"}, `claim "Bad Claim"`},
	} {
		if err := p.WriteJob(&bytes.Buffer{}, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.o, err, tc.want)
		}
	}
	// A scenario too large for a ConfigMap.
	dir := t.TempDir()
	for _, f := range []string{"scenario.yaml", "nodes.yaml", "apps.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata/tiny", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A trace of 60,000 samples: about 1.1 MiB.
	if err := os.MkdirAll(filepath.Join(dir, "traces"), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := []string{"timestamp,cpu"}
	for i := range 60000 {
		lines = append(lines, strconv.Itoa(i*60)+",1.00000000")
	}
	big := strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "traces", "load.csv"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OSSource(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bp, err := NewPlan(src, axes(t, goldenAxes[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := bp.WriteJob(&bytes.Buffer{}, JobOptions{Image: "i"}); err == nil || !strings.Contains(err.Error(), "more than a ConfigMap can (1 MiB)") {
		t.Errorf("big scenario: %v", err)
	}
}
