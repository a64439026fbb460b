package sim

import (
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"ksim.dev/ksim/sim/scenario"
)

// The load models, driven through the scenario loader: a scenario with one Deployment "web" of
// 500m-request pods (limit as given) on roomy nodes, no HPA unless asked, and one load entry.

const loadNodes = `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {capacity: {cpu: "64", memory: 256Gi, pods: "200"}}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {capacity: {cpu: "64", memory: 256Gi, pods: "200"}}
`

func loadApps(replicas, limit string, hpa bool) string {
	return loadAppsRequest(replicas, "500m", limit, hpa)
}

func loadAppsRequest(replicas, request, limit string, hpa bool) string {
	lim := ""
	if limit != "" {
		lim = ", limits: {cpu: " + limit + "}"
	}
	s := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ` + replicas + `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: x, resources: {requests: {cpu: ` + request + `}` + lim + `}}]
`
	if hpa {
		s += `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 40
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`
	}
	return s
}

// loadSim loads a scenario whose spec.load is load (YAML, indented under "load:") and builds
// the simulation.
func loadSim(t *testing.T, duration, apps, load string, files map[string]string, seed uint64) *Simulation {
	t.Helper()
	fsys := fstest.MapFS{
		"scenario.yaml": {Data: []byte("apiVersion: ksim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  seed: 1\n  duration: " + duration +
			"\n  cluster: [nodes.yaml]\n  workloads: [apps.yaml]\n  load:\n" + load)},
		"nodes.yaml": {Data: []byte(loadNodes)},
		"apps.yaml":  {Data: []byte(apps)},
	}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	sc, err := scenario.LoadFS(fsys, "scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sc, Options{CheckInvariants: true, Seed: seed, SeedSet: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// runTo runs a simulation's events up to t (inclusive).
func runTo(t *testing.T, s *Simulation, until time.Duration) {
	t.Helper()
	for len(s.queue) > 0 && s.queue[0].at <= until {
		e := s.next()
		s.events++
		if err := s.dispatch(e); err != nil {
			t.Fatal(err)
		}
	}
	s.now = until
}

func webOwner(s *Simulation) *Owner { return s.owner(KindDeployment, "default", "web") }

// usages returns each pod's usage at t, in creation order.
func usages(s *Simulation, t time.Duration) []int64 {
	var out []int64
	for _, p := range webOwner(s).Pods {
		out = append(out, s.podUsageMilli(p, t))
	}
	return out
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAggregateModel(t *testing.T) {
	s := loadSim(t, "1h", loadAppsRequest("3", "200m", "400m", false), "  - target: deployment/web\n    generator: {constant: 1.5}\n", nil, 1)
	runTo(t, s, time.Minute)
	// 1.5 cores over 3 pods is 500m each, capped at the 400m limit: 0.3 cores unserved.
	if got := usages(s, time.Minute); !equalInts(got, []int64{400, 400, 400}) {
		t.Errorf("usage %v, want 400m each", got)
	}
	d, u := webOwner(s).load.demandAt(time.Minute)
	if d != 1.5 || math.Abs(u-0.3) > 1e-12 {
		t.Errorf("demand %v, unserved %v; want 1.5, 0.3", d, u)
	}
	// When a pod stops serving, the others take its share.
	webOwner(s).Pods[0].NotReady = true
	s.servingChanged()
	if got := usages(s, time.Minute); !equalInts(got, []int64{0, 400, 400}) {
		t.Errorf("usage with one pod not ready %v", got)
	}
	if _, u := webOwner(s).load.demandAt(time.Minute); math.Abs(u-0.7) > 1e-12 {
		t.Errorf("unserved %v, want 0.7", u)
	}
}

// TestPerPodAssignment checks that pods replay their own series, in creation order,
// round-robin or lowest-free.
func TestPerPodAssignment(t *testing.T) {
	trace := "timestamp,host,cpu\n0,a,1\n0,b,2\n0,c,3\n600,a,1.5\n600,b,2.5\n600,c,3.5\n"
	for _, tc := range []struct {
		assign string
		after  []int64 // usages at 20 min after deleting the second pod and adding one
	}{
		{"round-robin", []int64{1500, 3500, 1500, 2500}}, // the new pod is the 5th: series 5 mod 3 = b
		{"lowest-free", []int64{1500, 3500, 1500, 2500}}, // b is free again
	} {
		t.Run(tc.assign, func(t *testing.T) {
			s := loadSim(t, "1h", loadApps("4", "", false), "  - target: deployment/web\n    model: per-pod\n    assign: "+tc.assign+
				"\n    trace: {path: t.csv, seriesBy: host, column: cpu, unit: cores, repeat: false}\n", map[string]string{"t.csv": trace}, 1)
			runTo(t, s, time.Minute)
			if got := usages(s, time.Minute); !equalInts(got, []int64{1000, 2000, 3000, 1000}) {
				t.Fatalf("usage %v, want series a, b, c, a", got)
			}
			if got := usages(s, 11*time.Minute); !equalInts(got, []int64{1500, 2500, 3500, 1500}) {
				t.Fatalf("usage after the step %v", got)
			}
			// Delete the second pod (series b); its replacement comes from the ReplicaSet.
			o := webOwner(s)
			s.deletePod(o.Pods[1])
			s.reconcile(o)
			runTo(t, s, 20*time.Minute)
			if got := usages(s, 20*time.Minute); !equalInts(got, tc.after) {
				t.Errorf("usage after a replacement %v, want %v", got, tc.after)
			}
		})
	}
	// With lowest-free, a deleted pod's series goes to the next pod even when round-robin
	// would give another: delete the pod with series a (the first) in a 2-pod deployment.
	s := loadSim(t, "1h", loadApps("2", "", false), "  - target: deployment/web\n    model: per-pod\n    assign: lowest-free\n    trace: {path: t.csv, seriesBy: host, column: cpu, unit: cores, repeat: false}\n",
		map[string]string{"t.csv": trace}, 1)
	runTo(t, s, time.Minute)
	o := webOwner(s)
	s.deletePod(o.Pods[0])
	s.reconcile(o)
	runTo(t, s, 20*time.Minute)
	if got := usages(s, 20*time.Minute); !equalInts(got, []int64{2500, 1500}) {
		t.Errorf("lowest-free: %v, want b, then a again", got)
	}
}

// TestPerPodCapsAtLimit: a pod's own series above its limit is capped, the rest unserved.
func TestPerPodCapsAtLimit(t *testing.T) {
	trace := "timestamp,host,cpu\n0,a,0.2\n0,b,0.9\n"
	s := loadSim(t, "1h", loadAppsRequest("2", "200m", "600m", false), "  - target: deployment/web\n    model: per-pod\n    trace: {path: t.csv, seriesBy: host, column: cpu, unit: cores}\n",
		map[string]string{"t.csv": trace}, 1)
	runTo(t, s, time.Minute)
	if got := usages(s, time.Minute); !equalInts(got, []int64{200, 600}) {
		t.Errorf("usage %v", got)
	}
	if d, u := webOwner(s).load.demandAt(time.Minute); math.Abs(d-1.1) > 1e-12 || math.Abs(u-0.3) > 1e-12 {
		t.Errorf("demand %v, unserved %v; want 1.1, 0.3", d, u)
	}
}

// TestPerPodGenerator: each pod draws its own series from its own stream.
func TestPerPodGenerator(t *testing.T) {
	load := "  - target: deployment/web\n    model: per-pod\n    generator: {randomWalk: {start: 1, sigma: 0.2, interval: 1m}}\n"
	run := func(seed uint64) []int64 {
		s := loadSim(t, "2h", loadApps("3", "", false), load, nil, seed)
		runTo(t, s, time.Hour)
		return usages(s, time.Hour)
	}
	a, b, c := run(7), run(7), run(8)
	if !equalInts(a, b) {
		t.Errorf("same seed, different usage: %v %v", a, b)
	}
	if equalInts(a, c) {
		t.Errorf("seeds 7 and 8 give the same usage %v", a)
	}
	if a[0] == a[1] && a[1] == a[2] {
		t.Errorf("the pods share one series: %v", a)
	}
}

// TestRequestsModel: the rate × cost is shared; the rate is exposed for the HPA.
func TestRequestsModel(t *testing.T) {
	// 30 requests every 0.5 s is 60 requests per second; at 25 ms of CPU each, 1.5 cores.
	counts := strings.Repeat("30 ", 7200) + "\n"
	s := loadSim(t, "1h", loadAppsRequest("3", "200m", "400m", false), "  - target: deployment/web\n    model: requests\n    cpuPerRequest: 25m\n    trace: {format: counts, path: c.txt, interval: 500ms}\n",
		map[string]string{"c.txt": counts}, 1)
	runTo(t, s, time.Minute)
	o := webOwner(s)
	if got := usages(s, time.Minute); !equalInts(got, []int64{400, 400, 400}) {
		t.Errorf("usage %v, want 500m each capped at 400m", got)
	}
	if rps, ok := s.requestsPerSecond(o, time.Minute); !ok || rps != 60 {
		t.Errorf("requestsPerSecond = %v, %v; want 60", rps, ok)
	}
	// Each pod is offered 20 requests per second but its 400m serve 16 (at 25 ms each).
	if rps, ok := s.podRequestsPerSecond(o.Pods[0], time.Minute); !ok || math.Abs(rps-16) > 1e-9 {
		t.Errorf("podRequestsPerSecond = %v, %v; want 16", rps, ok)
	}
	if _, u := o.load.demandAt(time.Minute); math.Abs(u-0.3) > 1e-9 {
		t.Errorf("unserved %v cores, want 0.3", u)
	}
	// Not a request load: no rate.
	s2 := loadSim(t, "1h", loadApps("1", "", false), "  - target: deployment/web\n    generator: {constant: 1}\n", nil, 1)
	if _, ok := s2.requestsPerSecond(webOwner(s2), 0); ok {
		t.Errorf("requestsPerSecond ok for an aggregate load")
	}
}

// TestTransformsInTheEngine runs one step trace through each transformation.
func TestTransformsInTheEngine(t *testing.T) {
	trace := "timestamp,cpu\n0,1\n1800,2\n3600,1\n"
	at := func(transform string, when time.Duration) int64 {
		t.Helper()
		s := loadSim(t, "4h", loadApps("1", "", false), "  - target: deployment/web\n    trace: {path: t.csv, column: cpu, scale: 1, repeat: false}\n"+transform,
			map[string]string{"t.csv": trace}, 1)
		runTo(t, s, time.Minute)
		return usages(s, when)[0]
	}
	for _, tc := range []struct {
		transform string
		when      time.Duration
		want      int64
	}{
		{"", 40 * time.Minute, 2000},
		{"    transform: {amplitude: 1.2}\n", 40 * time.Minute, 2400},
		{"    transform: {shift: 15m}\n", 40 * time.Minute, 1000},
		{"    transform: {shift: 15m}\n", 50 * time.Minute, 2000},
		{"    transform: {shift: -30m}\n", 10 * time.Minute, 2000},
		{"    transform: {timeScale: 2}\n", 40 * time.Minute, 1000},
		{"    transform: {timeScale: 2}\n", 61 * time.Minute, 2000},
		// Mean of the 10 minutes before the last 10-minute mark: [20m, 30m) is 1, [30m, 40m) 2.
		{"    transform: {resample: 10m}\n", 35 * time.Minute, 1000},
		{"    transform: {resample: 10m}\n", 45 * time.Minute, 2000},
		{"    transform: {resample: 45m}\n", 50 * time.Minute, 1333},
	} {
		if got := at(tc.transform, tc.when); got != tc.want {
			t.Errorf("%q at %v: %dm, want %dm", strings.TrimSpace(tc.transform), tc.when, got, tc.want)
		}
	}
	// repeat: 2 plays the trace twice (period 1h + the median step, 30m: 90 minutes), then
	// holds the value at the end of a play.
	s := loadSim(t, "6h", loadApps("1", "", false), "  - target: deployment/web\n    trace: {path: t.csv, column: cpu, scale: 1, repeat: 2}\n",
		map[string]string{"t.csv": trace}, 1)
	runTo(t, s, time.Minute)
	for when, want := range map[time.Duration]int64{100 * time.Minute: 1000, 130 * time.Minute: 2000, 220 * time.Minute: 1000, 5 * time.Hour: 1000} {
		if got := usages(s, when)[0]; got != want {
			t.Errorf("repeat 2 at %v: %d, want %d", when, got, want)
		}
	}
}

// TestTraceUnits: a percent column with a capacity, several series combined.
func TestTraceUnits(t *testing.T) {
	machines := "m_1,0,50,92,,,43,33,5\nm_1,60,25,92,,,43,33,5\nm_2,0,10,50,,,4,3,5\nm_2,60,30,50,,,4,3,5\n"
	s := loadSim(t, "1h", loadApps("1", "", false), "  - target: deployment/web\n    trace: {format: alibaba-machine, path: m.csv, capacityCores: 8, combine: sum}\n",
		map[string]string{"m.csv": machines}, 1)
	runTo(t, s, 30*time.Second)
	// (50% + 10%) of 8 cores, then (25% + 30%).
	if got := usages(s, 30*time.Second)[0]; got != 4800 {
		t.Errorf("usage %d, want 4800m", got)
	}
	if got := usages(s, 90*time.Second)[0]; got != 4400 {
		t.Errorf("usage %d, want 4400m", got)
	}
}

// TestGeneratorStreamsAreIndependent: adding a load to another workload does not change the
// draws of the first.
func TestGeneratorStreamsAreIndependent(t *testing.T) {
	apps := loadApps("2", "", false) + "---\n" + strings.ReplaceAll(loadApps("2", "", false), "web", "api")
	web := "  - target: deployment/web\n    generator: {diurnal: {mean: 4, amplitude: 1, noise: 0.5}}\n"
	api := "  - target: deployment/api\n    generator: {spikes: {every: 10m, height: 2, duration: 1m}}\n"
	a := loadSim(t, "2h", apps, web, nil, 3)
	b := loadSim(t, "2h", apps, api+web, nil, 3)
	runTo(t, a, time.Minute)
	runTo(t, b, time.Minute)
	for when := time.Duration(0); when < 2*time.Hour; when += 7 * time.Minute {
		if x, y := usages(a, when), usages(b, when); !equalInts(x, y) {
			t.Fatalf("at %v: %v alone, %v with another load", when, x, y)
		}
	}
}

// TestHPAFollowsLoad: the feedback loop of the aggregate model. A step from 2 to 4 cores at a
// 50% target of 500m requests asks for 8 then 16 pods.
func TestHPAFollowsLoad(t *testing.T) {
	s := loadSim(t, "2h", loadApps("2", "", true),
		"  - target: deployment/web\n    generator: {step: {at: 1h, before: 2, after: 4}}\n", nil, 1)
	res, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	h := res.HPAs[0]
	at := func(when time.Duration) float64 {
		v := 0.0
		for _, p := range h.Replicas.Points {
			if p.T <= when {
				v = p.V
			}
		}
		return v
	}
	if at(55*time.Minute) != 8 || at(2*time.Hour) != 16 {
		t.Errorf("replicas %v before the step, %v after; want 8 and 16 (points %v)", at(55*time.Minute), at(2*time.Hour), h.Replicas.Points)
	}
	// Demand is recorded for the report.
	if last := h.Demand.Points[len(h.Demand.Points)-1]; last.V != 4 {
		t.Errorf("demand recorded %v", h.Demand.Points)
	}
}
