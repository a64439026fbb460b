package scenario

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"ksim.dev/ksim/internal/suggest"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// TestLoadWeb loads testdata/web, which uses every section of a scenario and every manifest
// shape (multi-document YAML, a typed NodeList in JSON from another directory, a v1 List,
// a stream of JSON objects).
func TestLoadWeb(t *testing.T) {
	sc, err := Load("testdata/web/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Name", sc.Name, "web-diurnal")
	eq(t, "Seed", sc.Seed, uint64(42))
	eq(t, "Duration", sc.Duration, 48*time.Hour)
	eq(t, "Controllers", sc.Controllers, Controllers{
		HPASyncPeriod:          15 * time.Second,
		HPATolerance:           0.05,
		HPADownscaleWindow:     3 * time.Minute,
		HPACPUInitPeriod:       DefaultHPACPUInitPeriod,
		HPAInitialReadiness:    DefaultHPAInitialReadiness,
		MetricResolution:       DefaultMetricResolution,
		NodeMonitorGracePeriod: DefaultNodeMonitorGracePeriod,
		SampleInterval:         DefaultSampleInterval,
	})
	eq(t, "Defaults", sc.Defaults, PodTiming{StartupLatency: 5 * time.Second, TaskDuration: 2 * time.Minute})
	eq(t, "Limits", sc.Limits, Limits{MaxEvents: 1_000_000, MaxPods: 5000})

	// Nodes, in file order, defaulted.
	var names []string
	for _, n := range sc.Nodes {
		names = append(names, n.Name)
	}
	eq(t, "node names", names, []string{"node-a-1", "node-b-1", "node-c-1"})
	a, b := sc.Nodes[0], sc.Nodes[1]
	eq(t, "node-a-1 allocatable cpu", a.Status.Allocatable.Cpu().String(), "3800m")
	eq(t, "node-b-1 allocatable", b.Status.Allocatable, corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}, qtyEqual)
	eq(t, "node-b-1 labels", b.Labels, map[string]string{
		corev1.LabelTopologyZone: "b",
		corev1.LabelHostname:     "node-b-1",
		corev1.LabelOSStable:     "linux",
		corev1.LabelArchStable:   "amd64",
	})
	eq(t, "node-b-1 taint", b.Spec.Taints, []corev1.Taint{{Key: "dedicated", Value: "batch", Effect: corev1.TaintEffectPreferNoSchedule}})

	// Workloads, in file order.
	eq(t, "namespaces", len(sc.Namespaces), 1)
	eq(t, "priority classes", len(sc.PriorityClasses), 1)
	eq(t, "priority class policy", *sc.PriorityClasses[0].PreemptionPolicy, corev1.PreemptLowerPriority)
	var deps []string
	for _, d := range sc.Deployments {
		deps = append(deps, d.Namespace+"/"+d.Name)
	}
	eq(t, "deployments", deps, []string{"default/web", "shop/cart"})
	web, cart := sc.Deployments[0], sc.Deployments[1]
	eq(t, "web replicas", *web.Spec.Replicas, int32(3))
	eq(t, "cart replicas (defaulted)", *cart.Spec.Replicas, int32(1))
	eq(t, "cart strategy", cart.Spec.Strategy.RollingUpdate.MaxSurge.String(), "25%")
	ws := web.Spec.Template.Spec
	eq(t, "sidecar requests from limits", ws.Containers[0].Resources.Requests, corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("100m"),
		corev1.ResourceMemory: resource.MustParse("64Mi"),
	}, qtyEqual)
	eq(t, "web requests: cpu kept, memory from limits", ws.Containers[1].Resources.Requests, corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("500m"),
		corev1.ResourceMemory: resource.MustParse("512Mi"),
	}, qtyEqual)
	eq(t, "web priority", *ws.Priority, int32(1000))
	eq(t, "web tolerations", len(ws.Tolerations), 2)
	eq(t, "cart priority (no class)", *cart.Spec.Template.Spec.Priority, int32(0))
	eq(t, "scheduler name", ws.SchedulerName, corev1.DefaultSchedulerName)

	eq(t, "daemonsets", len(sc.DaemonSets), 1)
	eq(t, "daemonset tolerations (tolerates everything already)", sc.DaemonSets[0].Spec.Template.Spec.Tolerations, []corev1.Toleration{{Operator: corev1.TolerationOpExists}})
	eq(t, "jobs", len(sc.Jobs), 2)
	report, once := sc.Jobs[0], sc.Jobs[1]
	eq(t, "report parallelism", *report.Spec.Parallelism, int32(2))
	eq(t, "report completions (work queue: unset)", report.Spec.Completions, (*int32)(nil))
	eq(t, "once parallelism", *once.Spec.Parallelism, int32(1))
	eq(t, "once completions", *once.Spec.Completions, int32(1))
	eq(t, "pods", len(sc.Pods), 1)
	eq(t, "pod namespace", sc.Pods[0].Namespace, "default")
	eq(t, "pod restart policy", sc.Pods[0].Spec.RestartPolicy, corev1.RestartPolicyAlways)

	eq(t, "hpas", len(sc.HPAs), 1)
	h := sc.HPAs[0]
	eq(t, "hpa minReplicas", *h.Spec.MinReplicas, int32(1))
	eq(t, "hpa scaleDown", *h.Spec.Behavior.ScaleDown, autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](60),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies:                   []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	})
	eq(t, "hpa scaleUp", len(h.Spec.Behavior.ScaleUp.Policies), 2)

	eq(t, "timing", sc.Timing, map[string]PodTiming{
		"Deployment/default/web":     {StartupLatency: 10 * time.Second, ReadinessDelay: 7 * time.Second, TerminationDelay: 30 * time.Second, TaskDuration: 2 * time.Minute},
		"Deployment/shop/cart":       {StartupLatency: 5 * time.Second, TaskDuration: 2 * time.Minute},
		"DaemonSet/kube-system/logs": {StartupLatency: 5 * time.Second, TaskDuration: 2 * time.Minute},
		"Job/default/report":         {StartupLatency: 5 * time.Second, TaskDuration: 10 * time.Minute},
		"Job/default/once":           {StartupLatency: 5 * time.Second, TaskDuration: 2 * time.Minute},
		"Pod/default/debug":          {StartupLatency: 5 * time.Second, TaskDuration: 2 * time.Minute},
	})

	if sc.SchedulerConfig == nil || !strings.HasSuffix(sc.SchedulerConfig.Path, "sched.yaml") ||
		!strings.HasPrefix(string(sc.SchedulerConfig.Data), "apiVersion: kubescheduler.config.k8s.io/v1") {
		t.Errorf("SchedulerConfig = %+v", sc.SchedulerConfig)
	}

	eq(t, "loads", len(sc.Load), 2)
	l0, l1 := sc.Load[0], sc.Load[1]
	eq(t, "load 0 target", l0.Target, Ref{Kind: "Deployment", Namespace: "default", Name: "web"})
	eq(t, "load 1 target", l1.Target, Ref{Kind: "Deployment", Namespace: "shop", Name: "cart"})
	eq(t, "load 1 trace", l1.Trace, Trace{Format: "csv", Path: l0.Trace.Path, TimeColumn: "timestamp", Column: "cpu_usage", Scale: 0.5, Repeat: false})
	eq(t, "load 0 model", l0.Model, ModelAggregate)
	if data, err := fs.ReadFile(sc.FS, l0.Trace.Path); err != nil || !strings.HasPrefix(string(data), "timestamp,") {
		t.Errorf("reading the trace through Scenario.FS: %v", err)
	}
	if !strings.HasPrefix(l0.Trace.Path, sc.Dir+"/") {
		t.Errorf("trace path %q is not under Dir %q", l0.Trace.Path, sc.Dir)
	}

	// Events, in time order.
	var got []string
	for _, e := range sc.Events {
		got = append(got, e.At.String()+" "+e.Action)
	}
	eq(t, "events", got, []string{"6h0m0s fail", "7h0m0s recover", "12h0m0s taint", "13h0m0s untaint",
		"20h0m0s add", "21h0m0s cordon", "22h0m0s add", "30h0m0s remove", "48h0m0s uncordon"})
	eq(t, "taint", *sc.Events[2].Taint, corev1.Taint{Key: "maintenance", Value: "true", Effect: corev1.TaintEffectNoExecute})
	eq(t, "taint labels (zone shorthand)", sc.Events[2].Labels, map[string]string{corev1.LabelTopologyZone: "b"})
	eq(t, "untaint", *sc.Events[3].Taint, corev1.Taint{Key: "maintenance", Effect: corev1.TaintEffectNoExecute})
	eq(t, "add from file", sc.Events[4].Node.Name, "node-e-1")
	eq(t, "added node defaults", sc.Events[4].Node.Status.Allocatable.Pods().String(), "110")
	eq(t, "inline add", sc.Events[6].Node.Name, "node-d-1")
	eq(t, "fail source", sc.Events[0].Source, "testdata/web/scenario.yaml:23")
}

// TestLoadFSMatchesLoad loads the same scenario through an fs.FS; messages then name fs paths.
func TestLoadFSMatchesLoad(t *testing.T) {
	viaOS, err := Load("testdata/web/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	viaFS, err := LoadFS(os.DirFS("testdata"), "web/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "deployments", viaFS.Deployments, viaOS.Deployments)
	eq(t, "nodes", viaFS.Nodes, viaOS.Nodes)
	eq(t, "timing", viaFS.Timing, viaOS.Timing)
	eq(t, "dir", viaFS.Dir, "web")
	eq(t, "trace path", viaFS.Load[0].Trace.Path, "web/traces/azure.csv")
	eq(t, "source", viaFS.Events[0].Source, "web/scenario.yaml:23")
	eq(t, "scheduler config path", viaFS.SchedulerConfig.Path, "web/sched.yaml")
}

func TestLoadAbsolutePaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(dir+"/"+name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nodes.yaml", baseNodes)
	write("apps.yaml", baseApps)
	write("trace.csv", baseTrace)
	scen := strings.Replace(baseScenario, "cluster: [nodes.yaml]", "cluster: ["+dir+"/nodes.yaml]", 1)
	write("s.yaml", scen)
	if _, err := Load(dir + "/s.yaml"); err != nil {
		t.Fatal(err)
	}
	// Through an fs.FS, absolute names are refused.
	fsys := baseFS()
	fsys["scenario.yaml"] = &fstest.MapFile{Data: []byte(scen)}
	_, err := LoadFS(fsys, "scenario.yaml")
	if err == nil || !strings.Contains(err.Error(), "absolute file names are not allowed here") {
		t.Errorf("got %v", err)
	}
}

// TestManifestShapes loads each shape in which kubectl and the API write manifests.
func TestManifestShapes(t *testing.T) {
	cases := []struct {
		name  string
		nodes string // the cluster file
		apps  string // the workloads file
		check func(t *testing.T, sc *Scenario)
	}{
		{
			name: "NodeList in YAML, items without kind",
			nodes: `apiVersion: v1
kind: NodeList
items:
- metadata: {name: n1}
  status: {capacity: {cpu: "4", memory: 16Gi}}
- apiVersion: v1
  kind: Node
  metadata: {name: n2}
  status: {capacity: {cpu: "4", memory: 16Gi}}
`,
			check: func(t *testing.T, sc *Scenario) { eq(t, "nodes", len(sc.Nodes), 2) },
		},
		{
			name: "v1 List of mixed kinds, as kubectl get -o yaml writes it",
			apps: `apiVersion: v1
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    annotations:
      deployment.kubernetes.io/revision: "1"
    creationTimestamp: 2024-05-01T10:00:00Z
    generation: 1
    name: web
    namespace: default
    resourceVersion: "1234"
    uid: 5c0e6c1a-0000-4000-8000-000000000000
    managedFields:
    - apiVersion: apps/v1
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:replicas: {}
      manager: kubectl
      operation: Update
      time: "2024-05-01T10:00:00Z"
  spec:
    progressDeadlineSeconds: 600
    replicas: 2
    revisionHistoryLimit: 10
    selector:
      matchLabels: {app: web}
    strategy:
      rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
      type: RollingUpdate
    template:
      metadata:
        creationTimestamp: null
        labels: {app: web}
      spec:
        containers:
        - image: nginx
          imagePullPolicy: Always
          name: web
          resources:
            requests: {cpu: 500m, memory: 128Mi}
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
        dnsPolicy: ClusterFirst
        restartPolicy: Always
        schedulerName: default-scheduler
        securityContext: {}
        terminationGracePeriodSeconds: 30
  status:
    availableReplicas: 2
    conditions:
    - lastTransitionTime: "2024-05-01T10:00:05Z"
      lastUpdateTime: "2024-05-01T10:00:05Z"
      message: Deployment has minimum availability.
      reason: MinimumReplicasAvailable
      status: "True"
      type: Available
    observedGeneration: 1
    readyReplicas: 2
    replicas: 2
- apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: web, namespace: default}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    maxReplicas: 4
kind: List
metadata:
  resourceVersion: ""
`,
			check: func(t *testing.T, sc *Scenario) {
				eq(t, "deployments", len(sc.Deployments), 1)
				eq(t, "hpa default metric", sc.HPAs[0].Spec.Metrics[0].Resource.Target.AverageUtilization, ptr.To[int32](80))
			},
		},
		{
			name: "typed DeploymentList and PodList",
			apps: `apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: web}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: web, image: nginx, resources: {requests: {cpu: 1}}}]}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: p, namespace: other}
  spec: {containers: [{name: c, image: c}], tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists}]}
`,
			check: func(t *testing.T, sc *Scenario) {
				eq(t, "deployments", len(sc.Deployments), 1)
				eq(t, "pod namespace", sc.Pods[0].Namespace, "other")
				// not-ready was tolerated (empty effect covers NoExecute): only unreachable is added.
				eq(t, "pod tolerations", len(sc.Pods[0].Spec.Tolerations), 2)
				eq(t, "added toleration", sc.Pods[0].Spec.Tolerations[1].Key, corev1.TaintNodeUnreachable)
			},
		},
		{
			name:  "JSON stream, BOM, CRLF, separators with comments, anchors and merge keys",
			nodes: "\ufeff{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n1\"},\r\n \"status\": {\"capacity\": {\"cpu\": \"4\", \"memory\": \"16Gi\"}}}\r\n{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"n2\"}, \"status\": {\"capacity\": {\"cpu\": 2, \"memory\": \"8Gi\"}}}\r\n",
			apps: "--- # first\r\n" + `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: &labels {app: web}}
  template:
    metadata: {labels: *labels}
    spec:
      containers:
      - &container {name: web, image: nginx, resources: {requests: {cpu: 1}}}
      - <<: *container
        name: sidecar
--- # second
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 3}
`,
			check: func(t *testing.T, sc *Scenario) {
				eq(t, "nodes", len(sc.Nodes), 2)
				eq(t, "n2 cpu", sc.Nodes[1].Status.Capacity.Cpu().String(), "2")
				cs := sc.Deployments[0].Spec.Template.Spec.Containers
				eq(t, "containers", len(cs), 2)
				eq(t, "merged container", cs[1].Name+" "+cs[1].Image, "sidecar nginx")
			},
		},
		{
			name: "YAML 1.1 scalars mean what kubectl makes of them",
			apps: baseApps + `---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: yes
  containers: [{name: c, image: c, resources: {limits: {cpu: 0.5}}}]
`,
			check: func(t *testing.T, sc *Scenario) {
				eq(t, "hostNetwork", sc.Pods[0].Spec.HostNetwork, true)
				eq(t, "cpu request from limit 0.5", sc.Pods[0].Spec.Containers[0].Resources.Requests.Cpu().String(), "500m")
			},
		},
		{
			name: "PriorityClass globalDefault and system classes",
			apps: baseApps + `---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: normal}
value: 100
globalDefault: true
preemptionPolicy: Never
---
apiVersion: v1
kind: Pod
metadata: {name: critical}
spec:
  priorityClassName: system-node-critical
  containers: [{name: c, image: c}]
`,
			check: func(t *testing.T, sc *Scenario) {
				ws := sc.Deployments[0].Spec.Template.Spec
				eq(t, "default class", ws.PriorityClassName, "normal")
				eq(t, "default priority", *ws.Priority, int32(100))
				eq(t, "default policy", *ws.PreemptionPolicy, corev1.PreemptNever)
				eq(t, "system class", *sc.Pods[0].Spec.Priority, int32(2_000_001_000))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := baseFS()
			if tc.nodes != "" {
				fsys["nodes.yaml"] = &fstest.MapFile{Data: []byte(tc.nodes)}
			}
			if tc.apps != "" {
				fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(tc.apps)}
			}
			sc, err := LoadFS(fsys, "scenario.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, sc)
		})
	}
}

// TestDefaults loads the smallest scenario and checks every default.
func TestDefaults(t *testing.T) {
	fsys := fstest.MapFS{
		"s.yaml": {Data: []byte("apiVersion: ksim.dev/v1alpha1\nkind: Scenario\nspec: {duration: 1h, cluster: [n.yaml]}\n")},
		"n.yaml": {Data: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: node}\nstatus: {allocatable: {cpu: 1, memory: 1Gi}}\n")},
	}
	sc, err := LoadFS(fsys, "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Name (from the file name)", sc.Name, "s")
	eq(t, "Seed", sc.Seed, uint64(0))
	eq(t, "Limits", sc.Limits, Limits{MaxEvents: 50_000_000, MaxPods: 1_000_000})
	eq(t, "Controllers", sc.Controllers, Controllers{
		HPASyncPeriod: 30 * time.Second, HPATolerance: 0.1, HPADownscaleWindow: 5 * time.Minute,
		HPACPUInitPeriod: 5 * time.Minute, HPAInitialReadiness: 30 * time.Second, MetricResolution: 15 * time.Second,
		NodeMonitorGracePeriod: 50 * time.Second, SampleInterval: 60 * time.Second,
	})
	eq(t, "Defaults", sc.Defaults, PodTiming{StartupLatency: 2 * time.Second, TaskDuration: time.Minute})
	// Capacity is filled from allocatable, and pods defaults to 110 in both.
	eq(t, "capacity", sc.Nodes[0].Status.Capacity, corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("1"),
		corev1.ResourceMemory: resource.MustParse("1Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}, qtyEqual)
	eq(t, "SchedulerConfig", sc.SchedulerConfig, (*File)(nil))
	if sc.Timing == nil || sc.Events != nil || sc.Load != nil {
		t.Errorf("Timing %v, Events %v, Load %v", sc.Timing, sc.Events, sc.Load)
	}
}

func TestDefaultPod(t *testing.T) {
	notReady := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	unreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	cases := []struct {
		name string
		in   []corev1.Toleration
		want []corev1.Toleration
	}{
		{"none", nil, []corev1.Toleration{notReady, unreachable}},
		{"tolerates everything", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, []corev1.Toleration{{Operator: corev1.TolerationOpExists}}},
		{"empty key, NoExecute", []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}}, []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}}},
		{"empty key, NoSchedule does not count",
			[]corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			[]corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}, notReady, unreachable}},
		{"own not-ready toleration kept",
			[]corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](10)}},
			[]corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](10)}, unreachable}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := corev1.PodSpec{Tolerations: tc.in, Containers: []corev1.Container{{Name: "c"}}}
			DefaultPod(&spec)
			eq(t, "tolerations", spec.Tolerations, tc.want)
			DefaultPod(&spec)
			eq(t, "tolerations after a second DefaultPod", spec.Tolerations, tc.want)
		})
	}

	t.Run("requests", func(t *testing.T) {
		spec := corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "i", Resources: corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
			}}},
			Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
			}}},
			Resources: &corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("2Gi")},
			},
		}
		DefaultPod(&spec)
		eq(t, "init requests", spec.InitContainers[0].Resources.Requests, corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}, qtyEqual)
		eq(t, "container requests", spec.Containers[0].Resources.Requests, corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("1Gi"),
		}, qtyEqual)
		// Pod level: containers request cpu (max of init 2 and sum 100m: 2) and memory (1Gi).
		eq(t, "pod-level requests", spec.Resources.Requests, corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi"),
		}, qtyEqual)
		eq(t, "restartPolicy", spec.RestartPolicy, corev1.RestartPolicyAlways)
	})
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Field: "spec.replicas", Msg: "bad"}, "a.yaml:3: spec.replicas: bad"},
		{Error{File: "a.yaml", Field: "spec.replicas", Msg: "bad"}, "a.yaml: spec.replicas: bad"},
		{Error{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
	}
	for _, tc := range cases {
		eq(t, "Error()", tc.e.Error(), tc.want)
	}
	es := Errors{&cases[0].e, &cases[3].e}
	eq(t, "Errors.Error()", es.Error(), "a.yaml:3: spec.replicas: bad\na.yaml: bad")
	var e *Error
	if !errors.As(error(es), &e) || e != &cases[0].e {
		t.Errorf("errors.As(Errors, *Error) = %v", e)
	}
}

// TestErrorsSorted checks that problems come out by file (in the order named), then line.
func TestErrorsSorted(t *testing.T) {
	fsys := baseFS()
	fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(strings.NewReplacer("replicas: 2", "replicas: -2", "maxReplicas: 5", "maxReplicas: 0").Replace(baseApps))}
	fsys["nodes.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(baseNodes, "cpu: \"4\"", "cpu: \"-4\"", 1))}
	fsys["scenario.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(baseScenario, "at: 1h", "at: 100h", 1))}
	_, err := LoadFS(fsys, "scenario.yaml")
	var got []string
	for _, e := range err.(Errors) {
		got = append(got, e.File+":"+strconv.Itoa(e.Line))
	}
	eq(t, "order", got, []string{"scenario.yaml:12", "nodes.yaml:7", "apps.yaml:6", "apps.yaml:26"})
}

func TestMaxErrors(t *testing.T) {
	var b strings.Builder
	for i := range MaxErrors + 10 {
		b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c" + strconv.Itoa(i) + "}\n")
	}
	fsys := baseFS()
	fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(b.String())}
	_, err := LoadFS(fsys, "scenario.yaml")
	es := err.(Errors)
	eq(t, "count", len(es), MaxErrors+1)
	if last := es[len(es)-1].Msg; !strings.Contains(last, "too many errors") {
		t.Errorf("last message %q", last)
	}
}

func TestFileTooLarge(t *testing.T) {
	fsys := bigFS{baseFS(), "apps.yaml"}
	_, err := LoadFS(fsys, "scenario.yaml")
	if err == nil || !strings.Contains(err.Error(), "scenario.yaml:7: spec.workloads[0]: apps.yaml: file is larger than 256 MiB (MaxFileBytes)") {
		t.Errorf("got %v", err)
	}
}

// bigFS is fs with one file that says it is larger than MaxFileBytes (and is not).
type bigFS struct {
	fstest.MapFS
	big string
}

func (b bigFS) Open(name string) (fs.File, error) {
	f, err := b.MapFS.Open(name)
	if err != nil || name != b.big {
		return f, err
	}
	return bigFile{f}, nil
}

type bigFile struct{ fs.File }

func (f bigFile) Stat() (fs.FileInfo, error) {
	st, err := f.File.Stat()
	return bigInfo{st}, err
}

type bigInfo struct{ fs.FileInfo }

func (bigInfo) Size() int64 { return MaxFileBytes + 1 }

func TestNodeLine(t *testing.T) {
	fsys := baseFS()
	fsys["apps.yaml"] = &fstest.MapFile{Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    example.com/a.b: x
    ksim.dev/startup-latency: -1s
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        resources: {requests: {cpu: 1}}
`)}
	_, err := LoadFS(fsys, "scenario.yaml")
	if err == nil || !strings.Contains(err.Error(), "apps.yaml:7: metadata.annotations.ksim.dev/startup-latency: must not be negative, got -1s") {
		t.Errorf("got %v", err)
	}
}

func TestParseTaint(t *testing.T) {
	for _, s := range []string{"k=v:NoSchedule", "k:NoExecute", "example.com/k=:PreferNoSchedule"} {
		if _, msg := parseTaint(s); msg != "" {
			t.Errorf("parseTaint(%q): %s", s, msg)
		}
	}
	for _, s := range []string{"", "k", "k=v", "k=v:", "k=v:NoSchedule:x", "=v:NoSchedule", "k=v v:NoSchedule", "k:noschedule"} {
		if _, msg := parseTaint(s); msg == "" {
			t.Errorf("parseTaint(%q) succeeded", s)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"spec", "sepc", 1}, {"resource", "resources", 1}, {"kitten", "sitting", 3}, {"abc", "", 3}} {
		eq(t, tc.a+"/"+tc.b, suggest.Distance(tc.a, tc.b), tc.want)
	}
}

// eq reports got != want, with an optional equality for values that reflect.DeepEqual cannot
// compare (quantities keep a cached string).
func eq[T any](t *testing.T, what string, got, want T, equal ...func(a, b T) bool) {
	t.Helper()
	same := reflect.DeepEqual(got, want)
	if len(equal) > 0 {
		same = equal[0](got, want)
	}
	if !same {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func qtyEqual(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, q := range a {
		w, ok := b[k]
		if !ok || q.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

// TestDocExample loads the complete example of docs/scenario.md: each "`NAME`:" line followed by
// a fenced block is a file.
func TestDocExample(t *testing.T) {
	md, err := os.ReadFile("../../docs/scenario.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	_, example, ok := strings.Cut(string(md), "## A complete example")
	if !ok {
		t.Fatal("no complete example in docs/scenario.md")
	}
	fsys := fstest.MapFS{}
	lines := strings.Split(example, "\n")
	for i := 0; i < len(lines); i++ {
		name, isName := strings.CutSuffix(lines[i], "`:")
		if !isName || !strings.HasPrefix(name, "`") || i+2 >= len(lines) || !strings.HasPrefix(lines[i+2], "```") {
			continue
		}
		var body strings.Builder
		for i += 3; i < len(lines) && lines[i] != "```"; i++ {
			body.WriteString(lines[i] + "\n")
		}
		fsys[strings.TrimPrefix(name, "`")] = &fstest.MapFile{Data: []byte(body.String())}
	}
	if len(fsys) != 5 {
		t.Fatalf("found %d files in the example, want 5", len(fsys))
	}
	sc, err := LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "events", len(sc.Events), 7)
	eq(t, "web timing", sc.Timing["Deployment/default/web"], PodTiming{StartupLatency: 10 * time.Second, ReadinessDelay: 5 * time.Second, TerminationDelay: 30 * time.Second, TaskDuration: time.Minute})
}
