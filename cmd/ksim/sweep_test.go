package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"ksim.dev/ksim/sweep"
)

// tinySweep is the tiny scenario of the sweep package's tests and a grid of 12 variants over
// it: HPA target × pool size × traffic, judged with budgets and one best per traffic level.
var (
	tinySweep = filepath.Join("..", "..", "sweep", "testdata", "tiny", "scenario.yaml")
	tinyGrid  = []string{
		"--vary", "HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization=50,80",
		"--vary", "spec.nodePools[0].count=1,2,3",
		"--vary", "spec.load[0].trace.peakCores=x1.0,x1.5",
		"--budget", "unschedulable<=0", "--budget", "pending_p99_s<=30",
		"--best-per", "spec.load[0].trace.peakCores",
	}
)

// TestKsimHelperProcess is not a test: it is ksim, when the test binary runs itself as a child
// process (see ksimProcess), so that end-to-end tests need no separate build.
func TestKsimHelperProcess(t *testing.T) {
	if os.Getenv("KSIM_TEST_HELPER") != "1" {
		t.Skip("runs only as a child of the sweep tests")
	}
	i := slices.Index(os.Args, "--")
	os.Exit(run(os.Args[i+1:], os.Stdout, os.Stderr))
}

// ksimProcess returns the command that runs ksim with args in a child process.
func ksimProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-test.run=^TestKsimHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "KSIM_TEST_HELPER=1")
	return cmd
}

// decodeManifests decodes what --emit-job prints, as kubectl and the API server would: split at
// "---" lines, each object strictly into its API type.
func decodeManifests(t *testing.T, out string) (*corev1.ConfigMap, *batchv1.Job) {
	t.Helper()
	var cm *corev1.ConfigMap
	var job *batchv1.Job
	r := kyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var tm struct{ Kind string }
		if err := yaml.Unmarshal(d, &tm); err != nil {
			t.Fatal(err)
		}
		switch tm.Kind {
		case "":
			continue // comments only
		case "ConfigMap":
			cm = &corev1.ConfigMap{}
			err = yaml.UnmarshalStrict(d, cm)
		case "Job":
			job = &batchv1.Job{}
			err = yaml.UnmarshalStrict(d, job)
		default:
			t.Fatalf("unexpected %s in the manifests", tm.Kind)
		}
		if err != nil {
			t.Fatalf("%s does not decode strictly: %v", tm.Kind, err)
		}
	}
	if job == nil {
		t.Fatalf("no Job in:\n%s", out)
	}
	return cm, job
}

// TestSweepJobEndToEnd runs the same sweep twice: in process, and as the Kubernetes Job that
// --emit-job writes would, with every completion index a separate ksim process that reads its
// scenario from the ConfigMap's files and $JOB_COMPLETION_INDEX. Half the shards go to files
// (a results volume), half to stdout (kubectl logs). `ksim sweep collect` must then write the
// same bytes as the in-process sweep: table, page and every variant's summary.
func TestSweepJobEndToEnd(t *testing.T) {
	js := fakeECharts(t)
	local := t.TempDir()
	code, stdout, stderr := ksim(t, append([]string{"sweep", tinySweep, "--out", local, "--echarts", js}, tinyGrid...)...)
	if code != 0 {
		t.Fatalf("ksim sweep: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "scenario tiny: 12 variants\nbest for spec.load[0].trace.peakCores=x1.0: variant ") {
		t.Errorf("stdout:\n%s", stdout)
	}

	code, manifest, stderr := ksim(t, append([]string{"sweep", tinySweep, "--emit-job", "--image", "registry.example/ksim:test"}, tinyGrid...)...)
	if code != 0 {
		t.Fatalf("--emit-job: exit %d\n%s", code, stderr)
	}
	cm, job := decodeManifests(t, manifest)
	if job.Spec.CompletionMode == nil || *job.Spec.CompletionMode != batchv1.IndexedCompletion || *job.Spec.Completions != 12 {
		t.Fatalf("job spec %+v", job.Spec)
	}
	// Mount the ConfigMap as the kubelet would: each item's key at its path.
	mount := t.TempDir()
	var vol *corev1.ConfigMapVolumeSource
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			vol = v.ConfigMap
		}
	}
	if cm == nil || vol == nil || vol.Name != cm.Name {
		t.Fatalf("ConfigMap %v, volume %v", cm, vol)
	}
	for _, it := range vol.Items {
		p := filepath.Join(mount, filepath.FromSlash(it.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(cm.Data[it.Key]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := job.Spec.Template.Spec.Containers[0]
	const mountPath = "/ksim/scenario"
	args := slices.Clone(c.Args)
	for i, a := range args {
		if strings.HasPrefix(a, mountPath+"/") {
			args[i] = filepath.Join(mount, strings.TrimPrefix(a, mountPath+"/"))
		}
	}
	if c.Command[0] != "ksim" || args[0] != "sweep" || args[1] != "run-shard" {
		t.Fatalf("command %q args %q", c.Command, c.Args)
	}
	shards := t.TempDir()
	var logs bytes.Buffer
	for i := range int(*job.Spec.Completions) {
		a := args
		if i%2 == 0 {
			a = append(slices.Clone(args), "--out", shards) // a results volume
		}
		cmd := ksimProcess(t, a...)
		cmd.Env = append(cmd.Env, sweep.IndexEnv+"="+strconv.Itoa(i))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("pod %d: %v\n%s", i, err, errb.String())
		}
		if i%2 == 0 && out.Len() > 0 {
			t.Errorf("pod %d wrote to stdout with --out: %q", i, out.String())
		}
		logs.Write(out.Bytes()) // what `kubectl logs -l job-name=…` prints, pod after pod
	}
	if err := os.WriteFile(filepath.Join(shards, "pods.log"), logs.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	collected := t.TempDir()
	code, _, stderr = ksim(t, "sweep", "collect", shards, "--out", collected, "--echarts", js)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	compareTrees(t, local, collected)
}

// compareTrees checks that two directories hold the same files with the same bytes.
func compareTrees(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fa, fb := files(a), files(b)
	if len(fa) < 3+12 {
		t.Errorf("only %d files in %s", len(fa), a)
	}
	for name, da := range fa {
		db, ok := fb[name]
		switch {
		case !ok:
			t.Errorf("%s: missing from the collected sweep", name)
		case !bytes.Equal(da, db):
			t.Errorf("%s differs between the local and the collected sweep", name)
		}
	}
	for name := range fb {
		if _, ok := fa[name]; !ok {
			t.Errorf("%s: only in the collected sweep", name)
		}
	}
}

// TestSweepJobsDoNotChangeOutputs runs the grid on one worker and on three: byte-identical files.
func TestSweepJobsDoNotChangeOutputs(t *testing.T) {
	js := fakeECharts(t)
	a, b := t.TempDir(), t.TempDir()
	for _, tc := range []struct{ dir, jobs string }{{a, "1"}, {b, "3"}} {
		if code, _, stderr := ksim(t, append([]string{"sweep", tinySweep, "--out", tc.dir, "--echarts", js, "--jobs", tc.jobs, "-q"}, tinyGrid...)...); code != 0 {
			t.Fatalf("jobs %s: exit %d\n%s", tc.jobs, code, stderr)
		}
	}
	compareTrees(t, a, b)
}

// TestRunShardRecordsFailures: a variant whose run fails still gives a shard (exit 0), and
// collect turns it into exit status 1 with the failure in the table.
func TestRunShardRecordsFailures(t *testing.T) {
	dir := t.TempDir()
	grid := []string{"--vary", "Deployment/web:spec.replicas=2,3"}
	// maxEvents 50 stops every run early.
	scen := filepath.Join(t.TempDir(), "scenario.yaml")
	tinyDir, _ := filepath.Abs(filepath.Dir(tinySweep))
	data, err := os.ReadFile(tinySweep)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "  duration: 1h\n", "  duration: 1h\n  limits: {maxEvents: 50}\n", 1)
	for _, f := range []string{"nodes.yaml", "apps.yaml", "traces/load.csv"} {
		text = strings.ReplaceAll(text, "["+f+"]", "["+filepath.Join(tinyDir, f)+"]")
		text = strings.ReplaceAll(text, "path: "+f, "path: "+filepath.Join(tinyDir, f))
	}
	if err := os.WriteFile(scen, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		code, _, stderr := ksim(t, append([]string{"sweep", "run-shard", scen, "--index", strconv.Itoa(i), "--out", dir}, grid...)...)
		if code != 0 {
			t.Fatalf("run-shard %d: exit %d\n%s", i, code, stderr)
		}
	}
	out := t.TempDir()
	code, _, stderr := ksim(t, "sweep", "collect", dir, "--out", out, "--cdn")
	if code != exitFailure || !strings.Contains(stderr, "0 variants did not load and 2 runs failed") || !strings.Contains(stderr, "maxEvents") {
		t.Errorf("collect: exit %d\n%s", code, stderr)
	}
	csv, err := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "\n0,2,,") || !strings.Contains(string(csv), "maxEvents") {
		t.Errorf("sweep.csv:\n%s", csv)
	}
}

func TestSweepBadInput(t *testing.T) {
	shardDir := t.TempDir()
	if code, _, stderr := ksim(t, "sweep", "run-shard", tinySweep, "--vary", "spec.duration=1h,30m", "--index", "0", "--out", shardDir); code != 0 {
		t.Fatalf("run-shard: %d %s", code, stderr)
	}
	grid := []string{"--vary", "spec.nodePools[0].count=1,2"}
	cases := []struct {
		name string
		args []string
		env  string // JOB_COMPLETION_INDEX, when set
		want string
	}{
		{"no axis", []string{"sweep", tinySweep, "--cdn"}, "", "nothing to vary"},
		{"bad flag syntax", []string{"sweep", tinySweep, "--vary", "spec.duration", "--cdn"}, "", "--vary spec.duration: want PATH=VALUE1,VALUE2"},
		{"unknown object", []string{"sweep", tinySweep, "--vary", "Deployment/api:spec.replicas=1", "--cdn"}, "", "no Deployment default/api in the files of spec.cluster and spec.workloads"},
		{"bad value", []string{"sweep", tinySweep, "--vary", "spec.duration=1h,2d", "--cdn"}, "", `spec.duration: "2d" is not a Go duration`},
		{"combination", []string{"sweep", tinySweep, "--vary", "HorizontalPodAutoscaler/web:spec.minReplicas=1,5", "--vary", "HorizontalPodAutoscaler/web:spec.maxReplicas=3,10", "--cdn"}, "", "1 of 4 variants do not load:\nvariant 2 ("},
		{"bad budget", append([]string{"sweep", tinySweep, "--budget", "latency<=3", "--cdn"}, grid...), "", `unknown figure "latency"`},
		{"bad minimize", append([]string{"sweep", tinySweep, "--minimize", "cost", "--cdn"}, grid...), "", "--minimize cost: unknown figure"},
		{"bad x", append([]string{"sweep", tinySweep, "--x", "spec.duration", "--cdn"}, grid...), "", "--x spec.duration: no such axis; the axes are: spec.nodePools[0].count"},
		{"negative jobs", append([]string{"sweep", tinySweep, "--jobs", "-1", "--cdn"}, grid...), "", "--jobs must be >= 0"},
		{"job flag without emit-job", append([]string{"sweep", tinySweep, "--image", "x", "--cdn"}, grid...), "", "--image goes with --emit-job"},
		{"emit-job without image", append([]string{"sweep", tinySweep, "--emit-job"}, grid...), "", "an image is required"},
		{"scenario-pvc without path", append([]string{"sweep", tinySweep, "--emit-job", "--image", "x", "--scenario-pvc", "c"}, grid...), "", "--scenario-pvc and --scenario-path go together"},
		{"two scenarios", append([]string{"sweep", tinySweep, tinySweep}, grid...), "", "sweep takes at most one scenario file"},
		{"missing scenario", append([]string{"sweep", "/does/not/exist.yaml", "--cdn"}, grid...), "", "file not found"},
		{"run-shard without index", append([]string{"sweep", "run-shard", tinySweep}, grid...), "", "give --index or set $JOB_COMPLETION_INDEX"},
		{"run-shard bad index env", append([]string{"sweep", "run-shard", tinySweep}, grid...), "two", `$JOB_COMPLETION_INDEX is "two", not a variant number`},
		{"run-shard index out of range", append([]string{"sweep", "run-shard", tinySweep}, grid...), "2", "variant 2 does not exist: the sweep has variants 0 to 1"},
		{"run-shard other sweep", append([]string{"sweep", "run-shard", tinySweep, "--index", "0", "--expect-id", "0123456789abcdef0123"}, grid...), "", "the Job expects sweep 0123456789abcdef0123"},
		{"run-shard other grid", append([]string{"sweep", "run-shard", tinySweep, "--index", "0", "--expect-variants", "3"}, grid...), "", "the Job expects 3 variants"},
		{"collect nothing", []string{"sweep", "collect", t.TempDir(), "--cdn"}, "", "holds no shards"},
		{"collect missing shards", []string{"sweep", "collect", shardDir, "--cdn", "--out", t.TempDir()}, "", "missing shards of 1 of 2 variants: 1"},
		{"collect two dirs", []string{"sweep", "collect", "a", "b"}, "", "collect takes one directory of shards"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(sweep.IndexEnv, tc.env)
			}
			code, _, stderr := ksim(t, tc.args...)
			if code != exitBadInput {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("a panic:\n%s", stderr)
			}
		})
	}
}

// TestSweepDefaultScenarioJob: the embedded scenario needs no ConfigMap: the image has it.
func TestSweepDefaultScenarioJob(t *testing.T) {
	code, out, stderr := ksim(t, "sweep", "--vary", "HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization=50,60,70",
		"--emit-job", "--image", "registry.example/ksim:test", "--job-name", "web-target", "--results-pvc", "sweeps")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	cm, job := decodeManifests(t, out)
	c := job.Spec.Template.Spec.Containers[0]
	if cm != nil || job.Name != "web-target" || *job.Spec.Completions != 3 || c.Args[2] != "--vary" || !slices.Contains(c.Args, "/results/web-target") {
		t.Errorf("ConfigMap %v, job %s, completions %d, args %q", cm, job.Name, *job.Spec.Completions, c.Args)
	}
}
