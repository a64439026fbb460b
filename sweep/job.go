package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Names the generated Job uses.
const (
	// IndexEnv is the variable the Job controller sets in every pod of an Indexed Job to the
	// pod's completion index (upstream: pkg/controller/job/indexed_job_utils.go,
	// addCompletionIndexEnvVariable). The manifest sets it too, from the same pod label, so the
	// contract is visible in the manifest.
	IndexEnv = "JOB_COMPLETION_INDEX"
	// completionIndexLabel is batch.JobCompletionIndexAnnotation (a label too since 1.28).
	completionIndexLabel = "batch.kubernetes.io/job-completion-index"

	jobContainer      = "ksim"
	scenarioMount     = "/ksim/scenario"
	resultsMount      = "/results"
	labelSweepID      = "ksim.dev/sweep-id"
	maxConfigMapBytes = 1000 << 10 // a ConfigMap holds at most 1 MiB, metadata included
)

// JobOptions configure WriteJob.
type JobOptions struct {
	// Name of the Job (and of its ConfigMap); default "ksim-sweep-" and the start of the ID.
	Name string
	// Namespace of the objects; "" leaves it out (kubectl applies them to its current one).
	Namespace string
	// Image holds a ksim binary on its PATH, of the same version as the one planning the sweep
	// (the shards check it). Required.
	Image string
	// Parallelism is how many variants run at once; 0 means min(variants, 10).
	Parallelism int
	// CPU and Memory are each pod's requests (memory is its limit too); defaults "1" (a run
	// is single-threaded) and "1Gi".
	CPU, Memory string
	// Args are the arguments of `ksim sweep run-shard` after the scenario: the --vary, --seed,
	// --budget, --minimize, --best-per and --x flags that the sweep was planned with.
	Args []string
	// Where the container finds the scenario. Embedded: the binary's own default scenario
	// (nothing to mount). ScenarioPVC: a PersistentVolumeClaim that holds the scenario's
	// directory, and ScenarioPath the scenario file's path in it. Otherwise the manifest
	// includes a ConfigMap with every file of the scenario (at most 1 MiB in all).
	Embedded     bool
	ScenarioPVC  string
	ScenarioPath string
	// ResultsPVC is a PersistentVolumeClaim (ReadWriteMany when pods run on several nodes) to
	// write each shard to, as /results/NAME/shard-N.json. Without it, each pod prints its
	// shard as one line of JSON on stdout, to be collected with kubectl logs.
	ResultsPVC string
	// Seed and Version make the sweep ID the shards are checked against.
	Seed    *uint64
	Version string
}

// WriteJob writes the manifests that run the sweep as a Kubernetes Indexed Job: a ConfigMap
// holding the scenario's files (unless the scenario comes from a claim or is the embedded
// one), then a batch/v1 Job with completionMode Indexed and one completion per variant. Pod i
// runs `ksim sweep run-shard SCENARIO ARGS…` with JOB_COMPLETION_INDEX=i, which runs variant i
// (the same numbering as Plan.Coords) and writes its shard; `ksim sweep collect` merges the
// shards into the table a local sweep writes.
//
// Each index is retried once (backoffLimitPerIndex: 1), except after exit status 2 (bad
// input, which a retry cannot fix: podFailurePolicy FailIndex).
func (p *Plan) WriteJob(w io.Writer, o JobOptions) error {
	id := p.ID(o.Seed, o.Version)
	if o.Name == "" {
		o.Name = "ksim-sweep-" + id[:8]
	}
	if err := checkJobName(o.Name, p.n); err != nil {
		return err
	}
	if o.Namespace != "" {
		if msgs := content.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
			return fmt.Errorf("namespace %q: %s", o.Namespace, msgs[0])
		}
	}
	if o.Image == "" {
		return errors.New("an image is required: one with ksim on its PATH, of this version (" + o.Version + ")")
	}
	if o.Parallelism < 0 {
		return fmt.Errorf("parallelism %d: want a positive number", o.Parallelism)
	}
	if o.Parallelism == 0 {
		o.Parallelism = min(p.n, 10)
	}
	cpu, mem := o.CPU, o.Memory
	if cpu == "" {
		cpu = "1"
	}
	if mem == "" {
		mem = "1Gi"
	}
	cpuQ, err := resource.ParseQuantity(cpu)
	if err != nil || cpuQ.Sign() <= 0 {
		return fmt.Errorf("cpu %q: want a positive quantity (e.g. 1, 500m)", cpu)
	}
	memQ, err := resource.ParseQuantity(mem)
	if err != nil || memQ.Sign() <= 0 {
		return fmt.Errorf("memory %q: want a positive quantity (e.g. 1Gi, 512Mi)", mem)
	}
	for _, claim := range []string{o.ScenarioPVC, o.ResultsPVC} {
		if claim == "" {
			continue
		}
		if msgs := content.IsDNS1123Subdomain(claim); len(msgs) > 0 {
			return fmt.Errorf("claim %q: %s", claim, msgs[0])
		}
	}

	labels := map[string]string{
		"app.kubernetes.io/name":      "ksim",
		"app.kubernetes.io/component": "sweep",
		labelSweepID:                  id,
	}
	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels}
	var docs []any
	var volumes []corev1.Volume
	var mounts []corev1.VolumeMount
	scenarioArg := ""
	switch {
	case o.Embedded:
	case o.ScenarioPVC != "":
		sp := strings.TrimPrefix(path.Clean("/"+o.ScenarioPath), "/")
		if o.ScenarioPath == "" || sp == "" {
			return errors.New("with a scenario claim, give the scenario file's path in the claim")
		}
		scenarioArg = scenarioMount + "/" + sp
		volumes = append(volumes, corev1.Volume{Name: "scenario", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: o.ScenarioPVC, ReadOnly: true}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "scenario", MountPath: scenarioMount, ReadOnly: true})
	default:
		cm, items, rel, err := p.configMap(meta)
		if err != nil {
			return err
		}
		docs = append(docs, cm)
		scenarioArg = scenarioMount + "/" + rel
		volumes = append(volumes, corev1.Volume{Name: "scenario", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.Name}, Items: items}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "scenario", MountPath: scenarioMount, ReadOnly: true})
	}
	args := []string{"sweep", "run-shard"}
	if scenarioArg != "" {
		args = append(args, scenarioArg)
	}
	args = append(args, o.Args...)
	args = append(args, "--expect-variants", strconv.Itoa(p.n), "--expect-id", id)
	if o.ResultsPVC != "" {
		args = append(args, "--out", resultsMount+"/"+o.Name)
		volumes = append(volumes, corev1.Volume{Name: "results", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: o.ResultsPVC}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "results", MountPath: resultsMount})
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			CompletionMode:       ptr.To(batchv1.IndexedCompletion),
			Completions:          ptr.To(int32(p.n)),
			Parallelism:          ptr.To(int32(o.Parallelism)),
			BackoffLimitPerIndex: ptr.To(int32(1)),
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action: batchv1.PodFailurePolicyActionFailIndex,
				OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
					ContainerName: ptr.To(jobContainer),
					Operator:      batchv1.PodFailurePolicyOnExitCodesOpIn,
					Values:        []int32{2},
				},
			}}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{
						Name:    jobContainer,
						Image:   o.Image,
						Command: []string{"ksim"},
						Args:    args,
						Env: []corev1.EnvVar{{
							Name: IndexEnv,
							ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
								FieldPath: fmt.Sprintf("metadata.labels['%s']", completionIndexLabel),
							}},
						}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: cpuQ, corev1.ResourceMemory: memQ},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: memQ},
						},
						VolumeMounts: mounts,
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false),
							ReadOnlyRootFilesystem:   ptr.To(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
					Volumes: volumes,
				},
			},
		},
	}
	docs = append(docs, job)

	var out bytes.Buffer
	fmt.Fprintf(&out, "# ksim sweep of scenario %s: %d variants (sweep %s).\n", p.name, p.n, id)
	fmt.Fprintf(&out, "# Apply with kubectl apply -f; then collect the shards (docs/sweep.md).\n")
	for _, d := range docs {
		b, err := manifestYAML(d)
		if err != nil {
			return err
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	_, err = w.Write(out.Bytes())
	return err
}

// checkJobName checks that name can name an Indexed Job of n completions: a DNS-1123 label
// short enough that the pods' hostnames (NAME-INDEX) stay labels too.
func checkJobName(name string, n int) error {
	if msgs := content.IsDNS1123Label(name); len(msgs) > 0 {
		return fmt.Errorf("job name %q: %s", name, msgs[0])
	}
	if l := len(name) + 1 + len(strconv.Itoa(n-1)); l > 63 {
		return fmt.Errorf("job name %q is too long: the pods' hostnames (%s-%d) would have %d characters, more than 63", name, name, n-1, l)
	}
	return nil
}

var keyUnsafe = regexp.MustCompile(`[^-._a-zA-Z0-9]+`)

// configMap packs the scenario's files into a ConfigMap, mounted so that the files keep their
// places relative to each other: paths are relative to the deepest directory that holds them
// all. It returns the ConfigMap, the volume items, and the scenario file's path in the volume.
func (p *Plan) configMap(meta metav1.ObjectMeta) (*corev1.ConfigMap, []corev1.KeyToPath, string, error) {
	root := path.Dir(p.src.Path)
	for _, f := range p.files {
		for root != "." && !strings.HasPrefix(f, root+"/") {
			root = path.Dir(root)
		}
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
	}
	var items []corev1.KeyToPath
	total := 0
	scenarioRel := ""
	for i, f := range p.files {
		data, err := fs.ReadFile(p.src.FS, f)
		if err != nil {
			return nil, nil, "", err
		}
		if f == p.src.Path && !bytes.Equal(p.scen.docs[0], mustDoc(data)) {
			// The scenario named files by absolute paths: ship the form with relative names.
			data = append(bytes.Clone(p.scen.docs[0]), '\n')
		}
		rel := relPath(root, f)
		if f == p.src.Path {
			scenarioRel = rel
		}
		key := fmt.Sprintf("f%d-%s", i, strings.Trim(keyUnsafe.ReplaceAllString(rel, "_"), "._"))
		if len(key) > 253 {
			key = key[:253]
		}
		items = append(items, corev1.KeyToPath{Key: key, Path: rel})
		total += len(key) + len(data)
		if utf8.Valid(data) {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[key] = string(data)
		} else {
			if cm.BinaryData == nil {
				cm.BinaryData = map[string][]byte{}
			}
			cm.BinaryData[key] = data
		}
	}
	if total > maxConfigMapBytes {
		return nil, nil, "", fmt.Errorf("the scenario's %d files hold %d KiB, more than a ConfigMap can (1 MiB): put the scenario's directory on a volume and give its claim and the scenario's path in it (--scenario-pvc, --scenario-path)", len(p.files), total>>10)
	}
	return cm, items, scenarioRel, nil
}

// mustDoc is the JSON of a one-document file as readDocFile makes it, or nil.
func mustDoc(data []byte) []byte {
	f, err := readDocFile(memFS{"f": data}, "f")
	if err != nil || len(f.docs) != 1 {
		return nil
	}
	return f.docs[0]
}

// memFS is a tiny fs.FS of in-memory files.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{name: path.Base(name), r: bytes.NewReader(b), size: int64(len(b))}, nil
}

// manifestYAML writes an API object as YAML without the null fields that Go's zero values
// give (creationTimestamp: null) and without an empty status.
func manifestYAML(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	tree, err := decodeTree(j)
	if err != nil {
		return nil, err
	}
	tree = pruneNulls(tree)
	if m, ok := tree.(map[string]any); ok {
		if st, ok := m["status"].(map[string]any); ok && len(st) == 0 {
			delete(m, "status")
		}
	}
	j, err = json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(j)
}

func pruneNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = pruneNulls(e)
			if m, ok := x[k].(map[string]any); ok && len(m) == 0 && k == "metadata" {
				delete(x, k)
			}
		}
	case []any:
		for i := range x {
			x[i] = pruneNulls(x[i])
		}
	}
	return v
}
