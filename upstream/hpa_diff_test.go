package upstream

// TestHPADifferential proves ksim's HPA against the real one: the HorizontalController of
// k8s.io/kubernetes v1.37.2 runs in fake time inside a testing/synctest bubble, with fake
// clientsets, a fake scale client and fake metrics clients, on randomly generated closed-loop
// cases (hpa_model_test.go); ksim's replay logic (autoscaler/hpa/replay) sees, at every sync,
// exactly what the controller saw, and must decide the same desiredReplicas, the same
// conditions and the same write to the scale. Cases that format v1 of `ksim hpa replay` can
// express go through its text form (JSON lines), and the whole stream is replayed again at the
// end through replay.Run; the others go through Replayer.StepInput.
//
// The controller's plumbing (informers, work queue, status writes, events) runs as it does in
// kube-controller-manager; only time is fake, so every sync lands exactly on its 15 s tick.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	scalefake "k8s.io/client-go/scale/fake"
	core "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	autoscalingapiv2 "k8s.io/kubernetes/pkg/apis/autoscaling/v2"
	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	"k8s.io/kubernetes/pkg/controller/podautoscaler/metrics"
	"k8s.io/kubernetes/pkg/controller/podautoscaler/monitor"
	cmapi "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	emapi "k8s.io/metrics/pkg/apis/external_metrics/v1beta1"
	metricsapi "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
	cmfake "k8s.io/metrics/pkg/client/custom_metrics/fake"
	emfake "k8s.io/metrics/pkg/client/external_metrics/fake"

	"ksim.dev/ksim/autoscaler/hpa"
	"ksim.dev/ksim/autoscaler/hpa/replay"
)

var (
	hpaSeed  = flag.Uint64("hpa.seed", 1, "first seed of TestHPADifferential's cases")
	hpaCases = flag.Int("hpa.cases", 520, "cases in TestHPADifferential (-short: 60)")
	hpaKeep  = flag.Bool("hpa.keep", false, "keep every case's files (hpa.yaml, observations.jsonl, upstream.jsonl) under $TMPDIR/ksim-hpa-diff")
)

// The floor the default run must reach (the brief of the proof).
const (
	minCases = 500
	minSyncs = 20000
)

var setupOnce sync.Once

// setupGlobals quiets and un-slows the upstream code, once, outside any bubble: klog goes
// nowhere, and the default error handler (which sleeps to rate-limit itself, delaying the
// controller's requeue) is replaced by one that only counts.
func setupGlobals() {
	setupOnce.Do(func() {
		klog.SetLogger(logr.Discard())
		utilruntime.ErrorHandlers = []utilruntime.ErrorHandler{
			func(context.Context, error, string, ...interface{}) { handledErrors.Add(1) },
		}
		monitor.Register()
	})
}

var handledErrors atomic.Int64

func TestHPADifferential(t *testing.T) {
	setupGlobals()
	n := *hpaCases
	if testing.Short() && !flagSet("hpa.cases") {
		n = 60
	}
	var cases, syncs, v1Cases, failures atomic.Int64
	var kinds sync.Map // metric kind → cases, for the summary
	t.Run("cases", func(t *testing.T) {
		for i := 0; i < n; i++ {
			seed := *hpaSeed + uint64(i)
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				c := newCase(seed)
				var done int
				synctest.Test(t, func(t *testing.T) { done = runCase(t, c) })
				if t.Failed() {
					failures.Add(1)
					return
				}
				cases.Add(1)
				syncs.Add(int64(done))
				if c.v1() {
					v1Cases.Add(1)
				}
				for _, k := range metricKinds(c.hpa) {
					v, _ := kinds.LoadOrStore(k, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
			})
		}
	})
	var summary []string
	kinds.Range(func(k, v any) bool {
		summary = append(summary, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("%d cases (%d through format v1's text), %d syncs agreed; %d failed; metrics per case: %s",
		cases.Load(), v1Cases.Load(), syncs.Load(), failures.Load(), strings.Join(sortedStrings(summary), " "))
	if n >= minCases && failures.Load() == 0 && (cases.Load() < minCases || syncs.Load() < minSyncs) {
		t.Errorf("only %d cases and %d syncs ran; the proof needs at least %d and %d", cases.Load(), syncs.Load(), minCases, minSyncs)
	}
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func metricKinds(h *autoscalingv2.HorizontalPodAutoscaler) []string {
	var out []string
	if len(h.Spec.Metrics) == 0 {
		out = append(out, "default")
	}
	for _, m := range h.Spec.Metrics {
		k := string(m.Type)
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			k += "/" + string(m.Resource.Name)
		case autoscalingv2.ContainerResourceMetricSourceType:
			k += "/" + string(m.ContainerResource.Name)
		}
		out = append(out, k)
	}
	if h.Spec.Behavior != nil {
		out = append(out, "behavior")
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas == 0 {
		out = append(out, "minReplicas=0")
	}
	return out
}

// snapshot is the cluster at one sync, as API objects: both sides read exactly these.
type snapshot struct {
	t                        time.Duration // since T0
	replicas, statusReplicas int32
	pods                     []*corev1.Pod
	podMetrics               []metricsapi.PodMetrics // listed pods' and, with extras, gone pods'
	rps                      []cmapi.MetricValue     // the Pods metric, one item per pod that has a value
	object                   *cmapi.MetricValue      // nil: the custom metrics API errs
	external                 []emapi.ExternalMetricValue
}

// harness is one case's upstream side: the fakes the controller talks to, reading the current
// snapshot. The controller's goroutines read it while the test goroutine is blocked in
// synctest.Wait; mu makes that plain to the race detector too.
type harness struct {
	t0   time.Time // T0: the HPA's creation, replay time 0
	mu   sync.Mutex
	snap *snapshot

	scaleGets int
	written   int32 // the last scale write of the current sync, -1 for none
}

func (h *harness) current() *snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snap
}

func (h *harness) at(d time.Duration) metav1.Time { return metav1.NewTime(h.t0.Add(d)) }

// runCase runs one case in the current bubble and returns the number of syncs compared.
func runCase(t *testing.T, c *hpaCase) int {
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logr.Discard()))
	defer cancel()

	client := fake.NewSimpleClientset()
	events := &fake.Clientset{}
	events.AddReactor("*", "events", func(core.Action) (bool, runtime.Object, error) { return true, &corev1.Event{}, nil })
	h := &harness{written: -1}

	scales := &scalefake.FakeScaleClient{}
	scales.AddReactor("get", "deployments", func(core.Action) (bool, runtime.Object, error) {
		s := h.current()
		h.mu.Lock()
		h.scaleGets++
		h.mu.Unlock()
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Namespace: hpaNamespace, Name: "web"},
			Spec:       autoscalingv1.ScaleSpec{Replicas: s.replicas},
			Status:     autoscalingv1.ScaleStatus{Replicas: s.statusReplicas, Selector: "app=web"},
		}, nil
	})
	scales.AddReactor("update", "deployments", func(a core.Action) (bool, runtime.Object, error) {
		obj := a.(core.UpdateAction).GetObject().(*autoscalingv1.Scale)
		h.mu.Lock()
		h.written = obj.Spec.Replicas
		h.mu.Unlock()
		return true, obj, nil
	})
	resourceMetrics := &metricsfake.Clientset{}
	resourceMetrics.AddReactor("list", "pods", func(core.Action) (bool, runtime.Object, error) {
		return true, &metricsapi.PodMetricsList{Items: h.current().podMetrics}, nil
	})
	customMetrics := &cmfake.FakeCustomMetricsClient{}
	customMetrics.AddReactor("get", "*", func(a core.Action) (bool, runtime.Object, error) {
		s := h.current()
		if a.(cmfake.GetForAction).GetName() == "*" {
			return true, &cmapi.MetricValueList{Items: s.rps}, nil
		}
		if s.object == nil {
			return true, nil, fmt.Errorf("the server could not find the metric hits_per_second for ingresses web")
		}
		return true, &cmapi.MetricValueList{Items: []cmapi.MetricValue{*s.object}}, nil
	})
	externalMetrics := &emfake.FakeExternalMetricsClient{}
	externalMetrics.AddReactor("list", "*", func(core.Action) (bool, runtime.Object, error) {
		return true, &emapi.ExternalMetricValueList{Items: h.current().external}, nil
	})

	mapper := meta.NewDefaultRESTMapper([]schema.GroupVersion{{Group: "apps", Version: "v1"}})
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl := podautoscaler.NewHorizontalController(ctx, events.CoreV1(), scales, client.AutoscalingV2(), mapper,
		metrics.NewRESTMetricsClient(resourceMetrics.MetricsV1beta1(), customMetrics, externalMetrics),
		factory.Autoscaling().V2().HorizontalPodAutoscalers(), factory.Core().V1().Pods(),
		syncPeriod, c.opts.DownscaleStabilization, c.opts.Tolerance, c.opts.CPUInitializationPeriod, c.opts.InitialReadinessDelay)
	factory.Start(ctx.Done())
	var wg sync.WaitGroup
	wg.Go(func() { ctrl.Run(ctx, 1) })
	defer func() { cancel(); wg.Wait(); factory.Shutdown() }()

	// Let the informers sync and the worker start before the HPA exists, so that its first
	// sync is the informer's add event: at T0, a whole second of fake time.
	time.Sleep(time.Second)
	synctest.Wait()
	h.t0 = time.Now()

	cl := newCluster(c)
	k := newKsimSide(t, c, h)
	pods := newPodSyncer(ctx, t, client)
	setSnapshot := func(tt time.Duration) {
		s := takeSnapshot(h, c, cl, tt)
		h.mu.Lock()
		h.snap, h.scaleGets, h.written = s, 0, -1
		h.mu.Unlock()
		pods.apply(s.pods)
		synctest.Wait() // the pod informer has the pods
	}

	setSnapshot(0)
	obj := c.hpa.DeepCopy()
	autoscalingapiv2.SetDefaults_HorizontalPodAutoscaler(obj)
	if _, err := client.AutoscalingV2().HorizontalPodAutoscalers(hpaNamespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var upstreamLines bytes.Buffer
	for i := 0; i < c.syncs; i++ {
		tt := time.Duration(i) * syncPeriod
		if i > 0 {
			time.Sleep(time.Until(h.t0.Add(tt)))
		}
		synctest.Wait() // the sync at tt is done
		if got := time.Since(h.t0); got != tt {
			t.Fatalf("harness: the clock is at %v, want %v", got, tt)
		}
		h.mu.Lock()
		gets, written := h.scaleGets, h.written
		h.mu.Unlock()
		if gets != 1 {
			t.Fatalf("harness: %d reconciles at t=%v, want exactly 1 (seed %d)", gets, tt, c.seed)
		}
		up, err := client.AutoscalingV2().HorizontalPodAutoscalers(hpaNamespace).Get(ctx, hpaName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		upLine := upstreamResult(tt, up, written)
		b, _ := json.Marshal(upLine)
		upstreamLines.Write(append(b, '\n'))

		got := k.step(h.current())
		if msg := compare(upLine, got); msg != "" {
			k.report(t, c, i, upLine, got, msg, upstreamLines.Bytes())
			return i
		}
		next := written
		if next >= 0 && next == cl.replicas {
			next = -1
		}
		cl.step(tt, next)
		setSnapshot(tt + syncPeriod)
	}
	k.finish(t, c, upstreamLines.Bytes())
	return c.syncs
}

// upstreamLine is the controller's decision at one sync, in replay's output form.
type upstreamLine struct {
	T          int64             `json:"t"`
	Current    int32             `json:"current"`
	Desired    int32             `json:"desired"`
	Conditions map[string]string `json:"conditions"`
	Written    int32             `json:"written"` // the scale write, -1 for none
}

// upstreamResult reads the controller's decision from the HPA object it wrote: current is its
// status.currentReplicas (the scale's spec.replicas it read), not the harness's own count.
func upstreamResult(tt time.Duration, obj *autoscalingv2.HorizontalPodAutoscaler, written int32) upstreamLine {
	l := upstreamLine{T: int64(tt / time.Second), Current: obj.Status.CurrentReplicas, Desired: obj.Status.DesiredReplicas,
		Conditions: map[string]string{}, Written: written}
	for _, c := range obj.Status.Conditions {
		l.Conditions[string(c.Type)] = string(c.Status) + "/" + c.Reason
	}
	return l
}

func compare(up upstreamLine, got replay.Result) string {
	var diffs []string
	if got.Desired != up.Desired {
		diffs = append(diffs, fmt.Sprintf("desired: upstream %d, ksim %d", up.Desired, got.Desired))
	}
	if got.Current != up.Current {
		diffs = append(diffs, fmt.Sprintf("current: upstream %d, ksim %d", up.Current, got.Current))
	}
	kw := int32(-1)
	if got.Decision.Rescale {
		kw = got.Decision.Desired
	}
	if kw != up.Written {
		diffs = append(diffs, fmt.Sprintf("scale write: upstream %d, ksim %d (-1: none)", up.Written, kw))
	}
	if !reflect.DeepEqual(got.Conditions, up.Conditions) {
		diffs = append(diffs, fmt.Sprintf("conditions: upstream %v, ksim %v", up.Conditions, got.Conditions))
	}
	return strings.Join(diffs, "; ")
}

// takeSnapshot builds the API objects of the cluster at tt.
func takeSnapshot(h *harness, c *hpaCase, cl *cluster, tt time.Duration) *snapshot {
	s := &snapshot{t: tt, replicas: cl.replicas, statusReplicas: cl.statusReplicas(tt)}
	for _, p := range cl.pods {
		if p.listed(tt) {
			s.pods = append(s.pods, podObject(h, c, p, tt))
		}
	}
	for _, p := range cl.pods {
		if !p.listed(tt) && !c.extras {
			continue
		}
		ts, window, ok := cl.podMetric(p, tt)
		if !ok {
			continue
		}
		appCPU, sideCPU := cl.cpuNano(p, ts)
		appMem, sideMem := cl.memBytes(p, ts)
		cpuQ := func(nano int64) resource.Quantity { return *resource.NewScaledQuantity(nano, resource.Nano) }
		memQ := func(b int64) resource.Quantity { return *resource.NewQuantity(b, resource.BinarySI) }
		pm := metricsapi.PodMetrics{
			ObjectMeta: metav1.ObjectMeta{Namespace: hpaNamespace, Name: p.name, Labels: map[string]string{"app": "web"}},
			Timestamp:  h.at(ts),
			Window:     metav1.Duration{Duration: window},
			Containers: []metricsapi.ContainerMetrics{{Name: "app", Usage: corev1.ResourceList{
				corev1.ResourceCPU: cpuQ(appCPU), corev1.ResourceMemory: memQ(appMem)}}},
		}
		if c.sidecar {
			pm.Containers = append(pm.Containers, metricsapi.ContainerMetrics{Name: "sidecar", Usage: corev1.ResourceList{
				corev1.ResourceCPU: cpuQ(sideCPU), corev1.ResourceMemory: memQ(sideMem)}})
		}
		s.podMetrics = append(s.podMetrics, pm)
	}
	for _, p := range cl.pods {
		if !p.listed(tt) && !c.extras {
			continue
		}
		if v, ok := cl.rps(p, tt); ok {
			s.rps = append(s.rps, cmapi.MetricValue{
				DescribedObject: corev1.ObjectReference{Kind: "Pod", Namespace: hpaNamespace, Name: p.name},
				Metric:          cmapi.MetricIdentifier{Name: "requests_per_second"},
				Timestamp:       h.at(tt - time.Second),
				Value:           *resource.NewMilliQuantity(v, resource.DecimalSI),
			})
		}
	}
	if c.shuffle {
		r := rand.New(rand.NewPCG(c.seed, uint64(tt)))
		r.Shuffle(len(s.rps), func(i, j int) { s.rps[i], s.rps[j] = s.rps[j], s.rps[i] })
	}
	if v, ok := cl.objectValue(tt); ok {
		s.object = &cmapi.MetricValue{
			DescribedObject: corev1.ObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "Ingress", Name: "web"},
			Metric:          cmapi.MetricIdentifier{Name: "hits_per_second"},
			Timestamp:       h.at(tt - time.Second),
			Value:           *resource.NewMilliQuantity(v, resource.DecimalSI),
		}
	}
	if vs, ok := cl.externalValues(tt); ok {
		for i, v := range vs {
			s.external = append(s.external, emapi.ExternalMetricValue{MetricName: "queue_messages_ready",
				MetricLabels: map[string]string{"queue": "web", "shard": fmt.Sprint(i)},
				Timestamp:    h.at(tt - time.Second), Value: *resource.NewMilliQuantity(v, resource.DecimalSI)})
		}
	}
	return s
}

// podObject is p as the API shows it at tt.
func podObject(h *harness, c *hpaCase, p *modelPod, tt time.Duration) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: hpaNamespace, Name: p.name, Labels: map[string]string{"app": "web"},
			CreationTimestamp: h.at(p.created)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(p.cpuReqApp, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(p.memReqApp, resource.BinarySI)}}}}},
	}
	if c.sidecar {
		side := corev1.Container{Name: "sidecar", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: *resource.NewMilliQuantity(p.cpuReqSidecar, resource.DecimalSI)}}}
		if p.memReqSidecar >= 0 {
			side.Resources.Requests[corev1.ResourceMemory] = *resource.NewQuantity(p.memReqSidecar, resource.BinarySI)
		}
		if c.sidecarAsInit {
			always := corev1.ContainerRestartPolicyAlways
			side.RestartPolicy = &always
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, side)
		} else {
			pod.Spec.Containers = append(pod.Spec.Containers, side)
		}
	}
	if c.podLevelCPU > 0 {
		pod.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: *resource.NewMilliQuantity(c.podLevelCPU, resource.DecimalSI)}}
	}
	start := p.created
	if tt >= p.scheduled {
		start = p.scheduled
	}
	st := h.at(start)
	pod.Status.StartTime = &st
	ready := corev1.ConditionFalse
	if tt >= p.running && p.isReady(tt) {
		ready = corev1.ConditionTrue
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready, LastTransitionTime: h.at(p.readyChanged(tt))}}
	switch {
	case tt >= p.failed:
		pod.Status.Phase = corev1.PodFailed
		pod.Status.Conditions[0].Status = corev1.ConditionFalse
		pod.Status.Conditions[0].LastTransitionTime = h.at(p.failed)
	case tt >= p.running:
		pod.Status.Phase = corev1.PodRunning
	default:
		pod.Status.Phase = corev1.PodPending
	}
	if tt >= p.deleting {
		d := h.at(p.deleting)
		pod.DeletionTimestamp = &d
	}
	return pod
}

// podSyncer keeps the fake clientset's pods equal to a snapshot's, writing only what changed.
type podSyncer struct {
	ctx    context.Context
	t      *testing.T
	client *fake.Clientset
	last   map[string]*corev1.Pod
}

func newPodSyncer(ctx context.Context, t *testing.T, client *fake.Clientset) *podSyncer {
	return &podSyncer{ctx: ctx, t: t, client: client, last: map[string]*corev1.Pod{}}
}

func (ps *podSyncer) apply(pods []*corev1.Pod) {
	api := ps.client.CoreV1().Pods(hpaNamespace)
	seen := make(map[string]bool, len(pods))
	for _, p := range pods {
		seen[p.Name] = true
		old, ok := ps.last[p.Name]
		var err error
		switch {
		case !ok:
			_, err = api.Create(ps.ctx, p, metav1.CreateOptions{})
		case !reflect.DeepEqual(old, p):
			_, err = api.Update(ps.ctx, p, metav1.UpdateOptions{})
		}
		if err != nil {
			ps.t.Fatal(err)
		}
		ps.last[p.Name] = p
	}
	for name := range ps.last { // deletions: order does not matter to the informer's final state
		if !seen[name] {
			if err := api.Delete(ps.ctx, name, metav1.DeleteOptions{}); err != nil {
				ps.t.Fatal(err)
			}
			delete(ps.last, name)
		}
	}
}

// ksimSide is ksim's replay of the case, fed the same snapshots.
type ksimSide struct {
	h     *harness
	r     *replay.Replayer
	v1    bool
	lines bytes.Buffer // the observations in format v1's text, when v1
	out   bytes.Buffer // the per-step results, in replay's output form
}

func newKsimSide(t *testing.T, c *hpaCase, h *harness) *ksimSide {
	r, err := replay.New(replay.Config{HPA: c.hpa.DeepCopy(), Options: c.opts, SyncPeriod: syncPeriod, AllMetricTypes: !c.v1()})
	if err != nil {
		t.Fatalf("seed %d: ksim rejects the HPA the API server accepts: %v\n%s", c.seed, err, c.describe())
	}
	return &ksimSide{h: h, r: r, v1: c.v1()}
}

func (k *ksimSide) step(s *snapshot) replay.Result {
	var res replay.Result
	var err error
	sec := int64(s.t / time.Second)
	if k.v1 {
		// Through the text: write the observation as a JSON line, parse it back, step.
		b, merr := json.Marshal(k.observation(s))
		if merr != nil {
			panic(merr)
		}
		k.lines.Write(append(b, '\n'))
		o, perr := replay.ParseObservation(b)
		if perr != nil {
			panic(fmt.Sprintf("format v1 rejects the harness's own line: %v\n%s", perr, b))
		}
		res, err = k.r.Step(&o)
	} else {
		res, err = k.r.StepInput(sec, k.input(s))
	}
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(res)
	k.out.Write(append(b, '\n'))
	return res
}

func (k *ksimSide) seconds(tm metav1.Time) int64 { return int64(tm.Sub(k.h.t0) / time.Second) }
func (k *ksimSide) dur(tm metav1.Time) time.Duration {
	return tm.Sub(k.h.t0)
}

// observation is the snapshot in format v1: per pod the sums over its containers of the
// requests every container has, and of its usage (each container's value rounded up to a
// milli-unit first, as the HPA reads it).
func (k *ksimSide) observation(s *snapshot) *replay.Observation {
	o := &replay.Observation{T: int64(s.t / time.Second), Replicas: s.replicas}
	byName := map[string]*metricsapi.PodMetrics{}
	for i := range s.podMetrics {
		byName[s.podMetrics[i].Name] = &s.podMetrics[i]
	}
	for _, p := range s.pods {
		op := replay.Pod{Name: p.Name, Phase: p.Status.Phase, Created: k.seconds(*p.Status.StartTime),
			Ready: p.Status.Conditions[0].Status == corev1.ConditionTrue, ReadyChanged: k.seconds(p.Status.Conditions[0].LastTransitionTime),
			Deleting: p.DeletionTimestamp != nil, Requests: map[corev1.ResourceName]resource.Quantity{}}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			sum, all := int64(0), true
			for _, c := range append(append([]corev1.Container(nil), p.Spec.Containers...), p.Spec.InitContainers...) {
				q, ok := c.Resources.Requests[res]
				all = all && ok
				sum += q.MilliValue()
			}
			if all {
				op.Requests[res] = *resource.NewMilliQuantity(sum, resource.DecimalSI)
			}
		}
		if m := byName[p.Name]; m != nil {
			op.Usage = map[corev1.ResourceName]resource.Quantity{}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				sum := int64(0)
				for _, c := range m.Containers {
					q := c.Usage[res]
					sum += q.MilliValue()
				}
				op.Usage[res] = *resource.NewMilliQuantity(sum, resource.DecimalSI)
			}
			op.MetricTime, op.MetricWindow = k.seconds(m.Timestamp), int64(m.Window.Duration/time.Second)
		}
		o.Pods = append(o.Pods, op)
	}
	return o
}

// input is the snapshot as hpa.Input, with everything format v1 cannot say: the pods' own
// containers, unlisted pods' metrics, the custom and external metrics, status.replicas.
func (k *ksimSide) input(s *snapshot) *hpa.Input {
	in := &hpa.Input{Replicas: s.replicas, StatusReplicas: s.statusReplicas}
	listed := map[string]bool{}
	byName := map[string]*metricsapi.PodMetrics{}
	for i := range s.podMetrics {
		byName[s.podMetrics[i].Name] = &s.podMetrics[i]
	}
	toMetrics := func(m *metricsapi.PodMetrics) *hpa.PodMetrics {
		if m == nil {
			return nil
		}
		return &hpa.PodMetrics{Timestamp: k.dur(m.Timestamp), Window: m.Window.Duration, Containers: m.Containers}
	}
	for _, p := range s.pods {
		listed[p.Name] = true
		in.Pods = append(in.Pods, hpa.PodSample{
			Name: p.Name, Phase: p.Status.Phase, Deleting: p.DeletionTimestamp != nil,
			Ready: p.Status.Conditions[0].Status == corev1.ConditionTrue, ReadyChanged: k.dur(p.Status.Conditions[0].LastTransitionTime),
			StartTime: k.dur(*p.Status.StartTime), Started: true,
			Spec: &p.Spec, Metrics: toMetrics(byName[p.Name]),
		})
	}
	for i := range s.podMetrics {
		if m := &s.podMetrics[i]; !listed[m.Name] {
			in.Pods = append(in.Pods, hpa.PodSample{Name: m.Name, Unlisted: true, Metrics: toMetrics(m)})
		}
	}
	for _, m := range k.r.Autoscaler().Metrics() {
		var v hpa.MetricValues
		switch m.Type {
		case autoscalingv2.PodsMetricSourceType:
			v.Pods = s.rps
		case autoscalingv2.ObjectMetricSourceType:
			if s.object == nil {
				v.Err = fmt.Errorf("the server could not find the metric hits_per_second for ingresses web")
			}
			v.Object = s.object
		case autoscalingv2.ExternalMetricSourceType:
			v.External = s.external
		}
		in.Metrics = append(in.Metrics, v)
	}
	return in
}

// finish replays the whole v1 stream again through replay.Run (the command's code path) and
// checks it gives the same lines as the step-by-step replay.
func (k *ksimSide) finish(t *testing.T, c *hpaCase, upstream []byte) {
	if *hpaKeep {
		k.keep(t, c, upstream)
	}
	if !k.v1 {
		return
	}
	var out bytes.Buffer
	if err := replay.Run(replay.Config{HPA: c.hpa.DeepCopy(), Options: c.opts, SyncPeriod: syncPeriod}, bytes.NewReader(k.lines.Bytes()), "observations.jsonl", &out); err != nil {
		t.Fatalf("seed %d: replay.Run: %v", c.seed, err)
	}
	if !bytes.Equal(out.Bytes(), k.out.Bytes()) {
		dir := k.keep(t, c, upstream)
		t.Fatalf("seed %d: replay.Run over the whole stream differs from the step-by-step replay; files in %s", c.seed, dir)
	}
}

// keep writes the case's files: the HPA, the observations (format v1) and both outputs.
func (k *ksimSide) keep(t *testing.T, c *hpaCase, upstream []byte) string {
	dir := filepath.Join(os.TempDir(), "ksim-hpa-diff", fmt.Sprintf("seed-%d", c.seed))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("keeping the case: %v", err)
		return dir
	}
	y, _ := json.MarshalIndent(c.hpa, "", "  ")
	files := map[string][]byte{"hpa.yaml": y, "upstream.jsonl": upstream, "ksim.jsonl": k.out.Bytes(),
		"case.txt": []byte(c.describe())}
	if k.v1 {
		files["observations.jsonl"] = k.lines.Bytes()
		files["replay.sh"] = []byte(replayCommand(c, dir) + "\n")
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Logf("keeping the case: %v", err)
		}
	}
	return dir
}

// report fails the case with everything needed to reproduce it.
func (k *ksimSide) report(t *testing.T, c *hpaCase, i int, up upstreamLine, got replay.Result, msg string, upstream []byte) {
	dir := k.keep(t, c, upstream)
	d := got.Decision
	var how string
	if k.v1 {
		how = "\nreplay it: " + replayCommand(c, dir)
	}
	t.Fatalf("seed %d, sync %d (t=%ds): ksim disagrees with the upstream controller: %s\nksim decision: proposal %d, stabilized %d, limited %q, err %q, metrics %+v\nrerun: cd upstream && go test -run TestHPADifferential -hpa.seed=%d -hpa.cases=1 -v .\nfiles: %s%s\n%s",
		c.seed, i, up.T, msg, d.Proposal, d.Stabilized, d.Limited, d.Err, d.Metrics, c.seed, dir, how, c.describe())
}

// replayCommand is the `ksim hpa replay` command line that replays a kept case with its flags.
func replayCommand(c *hpaCase, dir string) string {
	return fmt.Sprintf("ksim hpa replay --hpa %s --tolerance %v --downscale-stabilization %v --cpu-initialization-period %v --initial-readiness-delay %v %s",
		filepath.Join(dir, "hpa.yaml"), c.opts.Tolerance, c.opts.DownscaleStabilization, c.opts.CPUInitializationPeriod,
		c.opts.InitialReadinessDelay, filepath.Join(dir, "observations.jsonl"))
}
