package scenario

import (
	"strings"
	"testing"
	"testing/fstest"
)

// The base scenario of the error table: valid as is. Each case edits one file of it, so the
// expected lines below are lines of these texts (after the edit).
const (
	baseScenario = `apiVersion: ksim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 24h
  cluster: [nodes.yaml]
  workloads: [apps.yaml]
  load:
  - target: deployment/web
    trace: {path: trace.csv, column: cpu, peakCores: 4}
  events:
  - at: 1h
    fail: {nodes: [n1]}
`
	baseNodes = `apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {topology.kubernetes.io/zone: a}
status:
  capacity: {cpu: "4", memory: 16Gi}
---
apiVersion: v1
kind: Node
metadata:
  name: n2
  labels: {topology.kubernetes.io/zone: b}
status:
  capacity: {cpu: "4", memory: 16Gi}
`
	baseApps = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        resources:
          requests: {cpu: 500m, memory: 128Mi}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
`
	baseTrace = "timestamp,cpu\n0,1\n60,2\n"
)

func baseFS() fstest.MapFS {
	return fstest.MapFS{
		"scenario.yaml": {Data: []byte(baseScenario)},
		"nodes.yaml":    {Data: []byte(baseNodes)},
		"apps.yaml":     {Data: []byte(baseApps)},
		"trace.csv":     {Data: []byte(baseTrace)},
	}
}

func TestBaseScenarioLoads(t *testing.T) {
	sc, err := LoadFS(baseFS(), "scenario.yaml")
	if err != nil {
		t.Fatalf("base scenario: %v", err)
	}
	if len(sc.Nodes) != 2 || len(sc.Deployments) != 1 || len(sc.HPAs) != 1 || len(sc.Load) != 1 || len(sc.Events) != 1 {
		t.Fatalf("base scenario: got %d nodes, %d deployments, %d HPAs, %d loads, %d events",
			len(sc.Nodes), len(sc.Deployments), len(sc.HPAs), len(sc.Load), len(sc.Events))
	}
}

// edit is a change to one file of the base: replace old (which must occur) by new, or, when old
// is empty, replace the whole file (nil data deletes it).
type edit struct {
	file     string
	old, new string
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
		at    string // the expected start of one message: "FILE:LINE: FIELD: " or "FILE:LINE: "
		msg   string // a substring of that message
	}{
		// The scenario file.
		{"scenario: bad YAML", []edit{{"scenario.yaml", "duration: 24h", "duration: [24h"}},
			"scenario.yaml:5: ", "invalid YAML: did not find expected ',' or ']'"},
		{"scenario: unknown top-level field", []edit{{"scenario.yaml", "spec:\n", "specs: {}\nspec:\n"}},
			"scenario.yaml:4: specs: ", `unknown field "specs"; did you mean "spec"?`},
		{"scenario: unknown spec field", []edit{{"scenario.yaml", "  duration: 24h\n", "  duration: 24h\n  durtion: 1h\n"}},
			"scenario.yaml:6: spec.durtion: ", `unknown field "durtion"; did you mean "duration"?`},
		{"scenario: wrong apiVersion", []edit{{"scenario.yaml", "ksim.dev/v1alpha1", "ksim.dev/v1"}},
			"scenario.yaml:1: apiVersion: ", `"ksim.dev/v1" is not supported; want ksim.dev/v1alpha1`},
		{"scenario: wrong kind", []edit{{"scenario.yaml", "kind: Scenario", "kind: Simulation"}},
			"scenario.yaml:2: kind: ", `"Simulation" is not supported; want Scenario`},
		{"scenario: missing duration", []edit{{"scenario.yaml", "  duration: 24h\n", ""}},
			"scenario.yaml:4: spec.duration: ", "required: the simulated time to run"},
		{"scenario: bad duration string", []edit{{"scenario.yaml", "duration: 24h", "duration: 2d"}},
			"scenario.yaml:5: spec.duration: ", `"2d" is not a Go duration; write e.g. 30s, 5m, 1h30m or 48h (units: ns, us, ms, s, m, h); there are no days or weeks`},
		{"scenario: duration without unit", []edit{{"scenario.yaml", "duration: 24h", "duration: 48"}},
			"scenario.yaml:5: spec.duration: ", "48 has no unit; write a Go duration such as 48s"},
		{"scenario: zero duration", []edit{{"scenario.yaml", "duration: 24h", "duration: 0s"}},
			"scenario.yaml:5: spec.duration: ", "must be greater than 0, got 0s"},
		{"scenario: empty cluster list", []edit{{"scenario.yaml", "cluster: [nodes.yaml]", "cluster: []"}},
			"scenario.yaml:6: spec.cluster: ", "at least one file with Node manifests is required"},
		{"scenario: cluster file missing", []edit{{"scenario.yaml", "cluster: [nodes.yaml]", "cluster: [nodes.yaml, more.yaml]"}},
			"scenario.yaml:6: spec.cluster[1]: ", "more.yaml: file not found"},
		{"scenario: file named twice", []edit{{"scenario.yaml", "workloads: [apps.yaml]", "workloads: [apps.yaml, ./apps.yaml]"}},
			"scenario.yaml:7: spec.workloads[1]: ", `"./apps.yaml" is named twice`},
		{"scenario: path leaves the fs", []edit{{"scenario.yaml", "workloads: [apps.yaml]", "workloads: [../apps.yaml]"}},
			"scenario.yaml:7: spec.workloads[0]: ", `"../apps.yaml" leaves the directory tree`},
		{"scenario: two documents", []edit{{"scenario.yaml", "", baseScenario + "---\napiVersion: v1\nkind: Node\n"}},
			"scenario.yaml:15: ", "a scenario file holds one document"},
		{"scenario: seed is negative", []edit{{"scenario.yaml", "  duration: 24h\n", "  duration: 24h\n  seed: -1\n"}},
			"scenario.yaml:6: spec.seed: ", "want a non-negative integer (64-bit), got the number -1"},
		{"scenario: hpaTolerance out of range", []edit{{"scenario.yaml", "  duration: 24h\n", "  duration: 24h\n  controllers: {hpaTolerance: 1.5}\n"}},
			"scenario.yaml:6: spec.controllers.hpaTolerance: ", "must be at least 0 and less than 1"},
		{"scenario: empty file", []edit{{"scenario.yaml", "", "# nothing\n"}},
			"scenario.yaml: ", "the file is empty; want a Scenario document"},

		// Events.
		{"event: unknown node", []edit{{"scenario.yaml", "nodes: [n1]", "nodes: [n1, node9]"}},
			"scenario.yaml:13: spec.events[0].fail.nodes[1]: ", `no node "node9" at 1h0m0s (nodes then: n1, n2)`},
		{"event: misspelt node", []edit{{"scenario.yaml", "nodes: [n1]", "nodes: [m1]"}},
			"scenario.yaml:13: spec.events[0].fail.nodes[0]: ", `no node "m1" at 1h0m0s; did you mean "n1"?`},
		{"event: labels match no node", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", "cordon: {nodes: {zone: c}}"}},
			"scenario.yaml:13: spec.events[0].cordon.nodes: ", "no node has labels topology.kubernetes.io/zone=c at 1h0m0s (topology.kubernetes.io/zone then is one of: a, b)"},
		{"event: node removed earlier", []edit{{"scenario.yaml", "    fail: {nodes: [n1]}\n", "    fail: {nodes: [n1]}\n  - at: 30m\n    remove: {nodes: [n1]}\n"}},
			"scenario.yaml:13: spec.events[0].fail.nodes[0]: ", `node "n1" was removed at 30m0s, before this event at 1h0m0s`},
		{"event: after duration", []edit{{"scenario.yaml", "at: 1h", "at: 25h"}},
			"scenario.yaml:12: spec.events[0].at: ", "25h0m0s is after the end of the run (spec.duration 24h0m0s); events must happen within [0, duration]"},
		{"event: two actions", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", "fail: {nodes: [n1]}\n    cordon: {nodes: [n2]}"}},
			"scenario.yaml:14: spec.events[0].cordon: ", "an event has exactly one action, this one has 2 (fail, cordon)"},
		{"event: no action (empty)", []edit{{"scenario.yaml", "  - at: 1h\n    fail: {nodes: [n1]}\n", "  - at: 1h\n"}},
			"scenario.yaml:12: spec.events[0]: ", "no action; give exactly one of: add, fail, recover, remove, cordon, uncordon, taint, untaint"},
		{"event: bad taint", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", `taint: {nodes: [n1], taint: "maintenance=true"}`}},
			"scenario.yaml:13: spec.events[0].taint.taint: ", `"maintenance=true" is not a taint; want key=value:Effect or key:Effect, with Effect one of NoSchedule, PreferNoSchedule, NoExecute`},
		{"event: bad taint effect", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", `taint: {nodes: [n1], taint: "a=b:NoWay"}`}},
			"scenario.yaml:13: spec.events[0].taint.taint: ", `has effect "NoWay"`},
		{"event: unknown action", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", "reboot: {nodes: [n1]}"}},
			"scenario.yaml:13: spec.events[0].reboot: ", `unknown field "reboot"; allowed: add, at, cordon, fail, recover, remove, taint, uncordon, untaint`},
		{"event: nodes of the wrong shape", []edit{{"scenario.yaml", "nodes: [n1]", "nodes: n1"}},
			"scenario.yaml:13: spec.events[0].fail.nodes: ", "want a list of node names"},
		{"event: add an existing node", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", "add: {node: {metadata: {name: n2}, status: {capacity: {cpu: 1, memory: 1Gi}}}}"}},
			"scenario.yaml:13: spec.events[0].add: ", `node "n2" already exists at 1h0m0s`},
		{"event: inline node with unknown field", []edit{{"scenario.yaml", "fail: {nodes: [n1]}", "add:\n      node:\n        metadata: {name: n3}\n        status: {capacity: {cpu: 1, memory: 1Gi}, foo: 1}"}},
			"scenario.yaml:16: spec.events[0].add.node.status.foo: ", `unknown field "foo"`},

		// Load.
		{"load: missing trace file", []edit{{"scenario.yaml", "path: trace.csv", "path: traces/nope.csv"}},
			"scenario.yaml:10: spec.load[0].trace.path: ", "traces/nope.csv: file not found"},
		{"load: missing column", []edit{{"scenario.yaml", "column: cpu,", "column: cpu_usage,"}},
			"scenario.yaml:10: spec.load[0].trace.column: ", `"cpu_usage" is not a column of trace.csv; columns: timestamp, cpu`},
		{"load: missing time column", []edit{{"trace.csv", "", "t,cpu\n0,1\n"}},
			"scenario.yaml:10: spec.load[0].trace: ", `time column "timestamp" is not a column of trace.csv; columns: t, cpu`},
		{"load: peakCores and scale", []edit{{"scenario.yaml", "peakCores: 4", "peakCores: 4, scale: 2"}},
			"scenario.yaml:10: spec.load[0].trace.scale: ", "give exactly one of peakCores or scale, not both"},
		{"load: troughCores above peakCores", []edit{{"scenario.yaml", "peakCores: 4", "peakCores: 4, troughCores: 5"}},
			"scenario.yaml:10: spec.load[0].trace.troughCores: ", "must be between 0 and peakCores (4), got 5"},
		{"load: troughCores with scale", []edit{{"scenario.yaml", "peakCores: 4", "scale: 2, troughCores: 1"}},
			"scenario.yaml:10: spec.load[0].trace.troughCores: ", "goes with peakCores"},
		{"load: neither peakCores nor scale", []edit{{"scenario.yaml", ", peakCores: 4", ""}},
			"scenario.yaml:10: spec.load[0].trace: ", "give exactly one of peakCores"},
		{"load: unknown model", []edit{{"scenario.yaml", "  - target: deployment/web\n", "  - target: deployment/web\n    model: per-node\n"}},
			"scenario.yaml:10: spec.load[0].model: ", `"per-node" is not a load model; allowed: aggregate`},
		{"load: unknown format", []edit{{"scenario.yaml", "{path: trace.csv", "{format: parquet, path: trace.csv"}},
			"scenario.yaml:10: spec.load[0].trace.format: ", `not supported yet: "parquet"; allowed: csv`},
		{"load: target missing", []edit{{"scenario.yaml", "target: deployment/web", "target: deployment/wbe"}},
			"scenario.yaml:9: spec.load[0].target: ", `no Deployment "wbe" in namespace default; did you mean "web"?`},
		{"load: target kind", []edit{{"scenario.yaml", "target: deployment/web", "target: service/web"}},
			"scenario.yaml:9: spec.load[0].target: ", `"service" cannot be a load target; want kind/name or kind/namespace/name`},

		// Manifests: syntax and shape.
		{"manifest: bad YAML", []edit{{"apps.yaml", "      - name: web\n", "      - name: web\n       image: x\n"}},
			"apps.yaml:14: ", "invalid YAML: did not find expected key"},
		{"manifest: repeated key", []edit{{"apps.yaml", "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n"}},
			"apps.yaml:7: ", `invalid YAML: key "replicas" appears twice in the same map`},
		{"manifest: bad JSON", []edit{{"scenario.yaml", "workloads: [apps.yaml]", "workloads: [apps.json]"}, {"apps.json", "", "{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"p\"}\n \"spec\": {}}\n"}},
			"apps.json:4: ", "invalid JSON: invalid character"},
		{"manifest: not an object", []edit{{"apps.yaml", "", "- a\n- b\n"}},
			"apps.yaml:1: ", "want a Kubernetes object (a map with apiVersion, kind and metadata), got a list"},
		{"manifest: unknown kind", []edit{{"apps.yaml", "", baseApps + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n"}},
			"apps.yaml:29: kind: ", `"Service" is not allowed in a spec.workloads file; allowed: Namespace (v1), PriorityClass (scheduling.k8s.io/v1), Deployment (apps/v1), DaemonSet (apps/v1), Job (batch/v1), Pod (v1), HorizontalPodAutoscaler (autoscaling/v2)`},
		{"manifest: kind in the wrong case", []edit{{"apps.yaml", "kind: Deployment", "kind: deployment"}},
			"apps.yaml:2: kind: ", `"deployment" is not a kind; kinds are case-sensitive: did you mean Deployment?`},
		{"manifest: Node in a workloads file", []edit{{"apps.yaml", "", baseApps + "---\n" + baseNodes[:strings.Index(baseNodes, "---")]}},
			"apps.yaml:29: kind: ", `"Node" is not allowed in a spec.workloads file`},
		{"manifest: wrong apiVersion", []edit{{"apps.yaml", "apiVersion: autoscaling/v2", "apiVersion: autoscaling/v1"}},
			"apps.yaml:19: apiVersion: ", `"autoscaling/v1" is not supported for HorizontalPodAutoscaler; want autoscaling/v2`},
		{"manifest: List with an unsupported item", []edit{{"apps.yaml", "", baseApps + "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"}},
			"apps.yaml:32: items[0].kind: ", `"ConfigMap" is not allowed in a spec.workloads file`},
		{"manifest: empty file", []edit{{"nodes.yaml", "", "---\n# nothing\n"}},
			"nodes.yaml: ", "the file holds no objects; want Node (v1)"},

		// Manifests: strict decoding.
		{"manifest: unknown field deep in a Deployment", []edit{{"apps.yaml", "        resources:\n", "        resource:\n"}},
			"apps.yaml:16: spec.template.spec.containers[0].resource: ", `unknown field "resource"; did you mean "resources"?`},
		{"manifest: unknown top-level field", []edit{{"apps.yaml", "spec:\n  replicas", "sepc: {}\nspec:\n  replicas"}},
			"apps.yaml:5: sepc: ", `unknown field "sepc"; did you mean "spec"?`},
		{"manifest: field in the wrong case", []edit{{"apps.yaml", "replicas: 2", "Replicas: 2"}},
			"apps.yaml:6: spec.Replicas: ", `unknown field "Replicas"; did you mean "replicas"?`},
		{"manifest: wrong type", []edit{{"apps.yaml", "replicas: 2", "replicas: two"}},
			"apps.yaml:6: spec.replicas: ", `want an integer (32-bit), got the string "two"`},
		{"manifest: quantity does not parse", []edit{{"apps.yaml", "cpu: 500m", "cpu: 500mc"}},
			"apps.yaml:17: spec.template.spec.containers[0].resources.requests.cpu: ", `"500mc" is not a quantity; want a number with an optional suffix`},
		{"manifest: label value is a number", []edit{{"apps.yaml", "labels: {app: web}", "labels: {app: web, v: 2}"}},
			"apps.yaml:11: spec.template.metadata.labels.v: ", `want a string, got the number 2 (quote it: "2")`},

		{"manifest: YAML boolean for a string", []edit{{"nodes.yaml", "name: n2", "name: no"}},
			"nodes.yaml:12: metadata.name: ", "want a string, got false (YAML reads unquoted yes, no, y, n, on, off, true and false as booleans: quote the value)"},
		{"manifest: real duplicate key beside a merge key", []edit{{"apps.yaml", "      - name: web\n        image: nginx\n", "      - &c {name: web, image: nginx}\n      - <<: *c\n        name: side\n        name: car\n"}},
			"apps.yaml:17: ", `invalid YAML: key "name" appears twice in the same map`},

		// Manifests: validation.
		{"deployment: negative replicas", []edit{{"apps.yaml", "replicas: 2", "replicas: -1"}},
			"apps.yaml:6: spec.replicas: ", "must be 0 or more, got -1"},
		{"deployment: negative quantity", []edit{{"apps.yaml", "memory: 128Mi", "memory: -128Mi"}},
			"apps.yaml:17: spec.template.spec.containers[0].resources.requests.memory: ", "must not be negative, got -128Mi"},
		{"deployment: no containers", []edit{{"apps.yaml", "      containers:\n      - name: web\n        image: nginx\n        resources:\n          requests: {cpu: 500m, memory: 128Mi}\n", "      containers: []\n"}},
			"apps.yaml:12: spec.template.spec: ", "containers: at least one container is required"},
		{"deployment: request above limit", []edit{{"apps.yaml", "requests: {cpu: 500m, memory: 128Mi}", "requests: {cpu: 500m, memory: 128Mi}\n          limits: {cpu: 250m}"}},
			"apps.yaml:17: spec.template.spec.containers[0].resources.requests.cpu: ", "500m exceeds limits.cpu 250m; a request may not exceed its limit"},
		{"deployment: selector does not match", []edit{{"apps.yaml", "matchLabels: {app: web}", "matchLabels: {app: api}"}},
			"apps.yaml:7: spec.selector: ", "does not match spec.template.metadata.labels (selector app=api, template labels {app=web})"},
		{"deployment: no name", []edit{{"apps.yaml", "metadata:\n  name: web\nspec:\n  replicas", "metadata:\n  labels: {}\nspec:\n  replicas"}},
			"apps.yaml:3: metadata.name: ", "required: every Deployment needs a name"},
		{"deployment: invalid name", []edit{{"apps.yaml", "  name: web\nspec:\n  replicas", "  name: Web_1\nspec:\n  replicas"}},
			"apps.yaml:4: metadata.name: ", `"Web_1" is not a valid name: a lowercase RFC 1123 subdomain`},
		{"deployment: unknown ksim annotation", []edit{{"apps.yaml", "  name: web\nspec:\n  replicas", "  name: web\n  annotations: {ksim.dev/startup: 1s}\nspec:\n  replicas"}},
			"apps.yaml:5: metadata.annotations.ksim.dev/startup: ", "unknown ksim annotation; allowed: ksim.dev/startup-latency"},
		{"deployment: bad annotation duration", []edit{{"apps.yaml", "  name: web\nspec:\n  replicas", "  name: web\n  annotations:\n    ksim.dev/readiness-delay: soon\nspec:\n  replicas"}},
			"apps.yaml:6: metadata.annotations.ksim.dev/readiness-delay: ", `"soon" is not a Go duration`},
		{"manifest: duplicate names", []edit{{"apps.yaml", "", baseApps + "---\n" + baseApps[:strings.Index(baseApps, "---")]}},
			"apps.yaml:31: metadata.name: ", "duplicate Deployment default/web; first defined at apps.yaml:4"},
		{"node: duplicate names across files", []edit{{"scenario.yaml", "cluster: [nodes.yaml]", "cluster: [nodes.yaml, more.yaml]"}, {"more.yaml", "", baseNodes}},
			"more.yaml:4: metadata.name: ", "duplicate Node n1; first defined at nodes.yaml:4"},
		{"node: no cpu", []edit{{"nodes.yaml", `capacity: {cpu: "4", memory: 16Gi}` + "\n---", "capacity: {memory: 16Gi}\n---"}},
			"nodes.yaml:6: status: ", "capacity.cpu is required: a Node needs cpu and memory"},
		{"node: bad taint effect", []edit{{"nodes.yaml", "status:\n  capacity: {cpu: \"4\", memory: 16Gi}\n---", "spec:\n  taints: [{key: a, effect: Never}]\nstatus:\n  capacity: {cpu: \"4\", memory: 16Gi}\n---"}},
			"nodes.yaml:7: spec.taints[0].effect: ", `"Never" is not a taint effect; allowed: NoSchedule, PreferNoSchedule, NoExecute`},
		{"hpa: missing deployment", []edit{{"apps.yaml", "kind: Deployment, name: web}", "kind: Deployment, name: frontend}"}},
			"apps.yaml:24: spec.scaleTargetRef.name: ", `no Deployment "frontend" in namespace default (have: web)`},
		{"hpa: missing deployment, next to an empty List", []edit{{"apps.yaml", "kind: Deployment, name: web}", "kind: Deployment, name: frontend}"},
			{"apps.yaml", "apiVersion: apps/v1\nkind: Deployment\n", "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: apps/v1\nkind: Deployment\n"}},
			"apps.yaml:28: spec.scaleTargetRef.name: ", `no Deployment "frontend" in namespace default (have: web)`},
		{"hpa: maxReplicas below minReplicas", []edit{{"apps.yaml", "minReplicas: 1\n  maxReplicas: 5", "minReplicas: 3\n  maxReplicas: 2"}},
			"apps.yaml:26: spec.maxReplicas: ", "2 is less than spec.minReplicas 3; maxReplicas must be at least minReplicas"},
		{"hpa: minReplicas 0", []edit{{"apps.yaml", "minReplicas: 1", "minReplicas: 0"}},
			"apps.yaml:25: spec.minReplicas: ", "0 (scale to zero) needs at least one Object or External metric"},
		{"hpa: Pods metric with a Value target", []edit{{"apps.yaml", "  maxReplicas: 5\n", "  maxReplicas: 5\n  metrics:\n  - type: Pods\n    pods: {metric: {name: rps}, target: {type: Value, value: 10}}\n"}},
			"apps.yaml:29: spec.metrics[0].pods.target.type: ", `"Value" is not allowed here; allowed: AverageValue`},
		{"hpa: unknown resource metric", []edit{{"apps.yaml", "  maxReplicas: 5\n", "  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {name: gpu, target: {type: Utilization, averageUtilization: 60}}\n"}},
			"apps.yaml:29: spec.metrics[0].resource.name: ", `"gpu" is not supported; allowed: cpu, memory`},
		{"hpa: external metric without a name", []edit{{"apps.yaml", "  maxReplicas: 5\n", "  maxReplicas: 5\n  metrics:\n  - type: External\n    external: {metric: {name: \"\"}, target: {type: Value, value: 10}}\n"}},
			"apps.yaml:29: spec.metrics[0].external.metric.name: ", "required: the metric's name"},
		{"hpa: object metric with two sources", []edit{{"apps.yaml", "  maxReplicas: 5\n", "  maxReplicas: 5\n  metrics:\n  - type: Object\n    object: {metric: {name: hits}, describedObject: {kind: Ingress, name: web}, target: {type: Value, value: 10}}\n    pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: 10}}\n"}},
			"apps.yaml:30: spec.metrics[0].pods: ", "must not be set for type: Object"},
		{"hpa: target kind", []edit{{"apps.yaml", "kind: Deployment, name: web}", "kind: StatefulSet, name: web}"}},
			"apps.yaml:24: spec.scaleTargetRef.kind: ", `"StatefulSet" is not supported yet; an HPA scales a Deployment`},
		{"hpa: pods without cpu requests", []edit{{"apps.yaml", "requests: {cpu: 500m, memory: 128Mi}", "requests: {memory: 128Mi}"}},
			"apps.yaml:16: spec.template.spec.containers[0].resources: ", `HorizontalPodAutoscaler web scales on cpu utilization, which needs a cpu request in every container; container "web" has none`},
		{"job: restartPolicy", []edit{{"apps.yaml", "", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers: [{name: j, image: j}]\n"}, {"scenario.yaml", "  load:\n  - target: deployment/web\n    trace: {path: trace.csv, column: cpu, peakCores: 4}\n", ""}},
			"apps.yaml:6: spec.template.spec.restartPolicy: ", "a Job's pods must have restartPolicy Never or OnFailure"},
		{"pod: unknown priority class", []edit{{"apps.yaml", "      containers:\n", "      priorityClassName: hihg\n      containers:\n"}},
			"apps.yaml:13: spec.template.spec.priorityClassName: ", `no PriorityClass "hihg" in the workloads; define it, or use system-cluster-critical or system-node-critical (there is no PriorityClass)`},
		{"pod: owned by a ReplicaSet", []edit{{"apps.yaml", "", baseApps + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4, uid: x, controller: true}\nspec:\n  containers: [{name: web, image: nginx}]\n"}},
			"apps.yaml:33: metadata.ownerReferences[0]: ", "this Pod belongs to ReplicaSet web-5d4, and ksim creates controllers' pods itself"},

		// The scheduler configuration.
		{"scheduler: wrong kind", []edit{{"scenario.yaml", "  duration: 24h\n", "  duration: 24h\n  scheduler: sched.yaml\n"}, {"sched.yaml", "", "apiVersion: kubescheduler.config.k8s.io/v1\nkind: SchedulerConfig\n"}},
			"sched.yaml:2: kind: ", `"SchedulerConfig" is not supported; want KubeSchedulerConfiguration`},
	}
	if len(cases) < 25 {
		t.Errorf("only %d cases", len(cases))
	}
	runEditCases(t, cases)
}
