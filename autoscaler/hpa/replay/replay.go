// Package replay is `ksim hpa replay`: it feeds observed per-pod metrics through ksim's HPA, one
// sync per observation, and reports each decision (format v1, docs/hpa-replay.md). The HPA's
// memory (recommendations, scale events, conditions) carries over between observations as the
// upstream controller's in-memory state does; no sync happens between two observations.
//
// The format is the file side (ParseObservation, LoadHPA, Run); the Replayer is the logic, and
// it also takes hpa.Input directly (StepInput), for callers with metrics format v1 cannot
// express (Pods, Object and External metrics; status.replicas apart from spec.replicas).
package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"ksim.dev/ksim/autoscaler/hpa"
)

// DefaultSyncPeriod is kube-controller-manager's --horizontal-pod-autoscaler-sync-period.
const DefaultSyncPeriod = 15 * time.Second

// Config is what a replay needs besides its observations.
type Config struct {
	HPA        *autoscalingv2.HorizontalPodAutoscaler
	Options    hpa.Options   // the controller's flags
	SyncPeriod time.Duration // every observation's t is a multiple of it; whole seconds, > 0
	// AllMetricTypes lifts format v1's restriction to Resource metrics, for StepInput callers.
	AllMetricTypes bool
}

// Replayer replays observations through one HPA. It is not safe for concurrent use.
type Replayer struct {
	a      *hpa.Autoscaler
	period time.Duration
	last   int64 // t of the previous observation
	steps  int
}

// New checks cfg and compiles its HPA (defaulted and validated as the API server would). Its
// errors name the field ("spec.metrics[0].resource.target.averageUtilization: ...").
func New(cfg Config) (*Replayer, error) {
	if cfg.SyncPeriod <= 0 || cfg.SyncPeriod%time.Second != 0 {
		return nil, fmt.Errorf("sync period %v: want a whole number of seconds, > 0", cfg.SyncPeriod)
	}
	if cfg.HPA == nil {
		return nil, errors.New("no HorizontalPodAutoscaler")
	}
	if !cfg.AllMetricTypes {
		for i, m := range cfg.HPA.Spec.Metrics {
			if m.Type != autoscalingv2.ResourceMetricSourceType {
				return nil, fmt.Errorf("spec.metrics[%d].type: %q is not supported by replay format v1, which covers Resource metrics (cpu, memory; Utilization or AverageValue)", i, m.Type)
			}
		}
	}
	// The HPA is created at the first observation; Step checks that it comes at or after 0.
	a, err := hpa.New(cfg.HPA, 0, cfg.Options)
	if err != nil {
		// hpa.New names the HPA; the file path names it better here.
		return nil, errors.Unwrap(err)
	}
	return &Replayer{a: a, period: cfg.SyncPeriod}, nil
}

// Autoscaler is the HPA being replayed (its compiled spec, for callers that build inputs).
func (r *Replayer) Autoscaler() *hpa.Autoscaler { return r.a }

// Result is one line of the output: the decision of one sync.
type Result struct {
	T       int64 `json:"t"`
	Current int32 `json:"current"`
	Desired int32 `json:"desired"`
	// Conditions maps each HPA condition type to "Status/Reason" after the sync.
	Conditions map[string]string `json:"conditions"`
	// Metrics describes status.currentMetrics, one entry per metric: "cpu: 40% avg 200m",
	// "memory: avg 180Mi", "cpu: unknown" for a metric that failed. Absent when the sync read no
	// metrics.
	Metrics []string `json:"metrics,omitempty"`
	// Decision is the full decision, for Go callers; not part of the output.
	Decision hpa.Decision `json:"-"`
}

// Step runs the sync of one observation. It checks the observation's place in the sequence (t a
// multiple of the sync period, strictly after the previous one) and converts it.
func (r *Replayer) Step(o *Observation) (Result, error) {
	return r.StepInput(o.T, ToInput(o))
}

// StepInput runs the sync at t seconds with a prepared input.
func (r *Replayer) StepInput(t int64, in *hpa.Input) (Result, error) {
	if p := int64(r.period / time.Second); t%p != 0 {
		return Result{}, fmt.Errorf("t: %d is not a multiple of the sync period (%v)", t, r.period)
	}
	if r.steps > 0 && t <= r.last {
		return Result{}, fmt.Errorf("t: %d is not after the previous line's t (%d): t must increase strictly", t, r.last)
	}
	r.last = t
	r.steps++
	d := r.a.Sync(time.Duration(t)*time.Second, in)
	res := Result{T: t, Current: d.Current, Desired: d.Desired, Conditions: make(map[string]string, len(d.Conditions)), Decision: d}
	for _, c := range d.Conditions {
		res.Conditions[string(c.Type)] = string(c.Status) + "/" + c.Reason
	}
	if d.Metrics != nil {
		specs := r.a.Metrics()
		res.Metrics = make([]string, len(d.Metrics))
		for i := range d.Metrics {
			res.Metrics[i] = describeMetric(&specs[i], &d.Metrics[i].Status)
		}
	}
	return res, nil
}

// ToInput converts an observation into what the HPA reads: spec and status replicas both
// Observation.Replicas; each pod's requests as one container's (named "all"), its usage as that
// container's metrics.
func ToInput(o *Observation) *hpa.Input {
	in := &hpa.Input{Replicas: o.Replicas, StatusReplicas: o.Replicas, Pods: make([]hpa.PodSample, len(o.Pods))}
	for i := range o.Pods {
		p := &o.Pods[i]
		s := hpa.PodSample{
			Name: p.Name, Phase: p.Phase, Deleting: p.Deleting,
			Ready: p.Ready, ReadyChanged: secondsOf(p.ReadyChanged),
			StartTime: secondsOf(p.Created), Started: true,
			Spec: &corev1.PodSpec{Containers: []corev1.Container{{
				Name: podContainer, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList(p.Requests)}}}},
		}
		if p.Usage != nil {
			s.Metrics = &hpa.PodMetrics{
				Timestamp: secondsOf(p.MetricTime), Window: secondsOf(p.MetricWindow),
				Containers: []metricsv1beta1.ContainerMetrics{{Name: podContainer, Usage: corev1.ResourceList(p.Usage)}},
			}
		}
		in.Pods[i] = s
	}
	return in
}

// podContainer names the one container that stands for a pod's containers in format v1.
const podContainer = "all"

func secondsOf(s int64) time.Duration { return time.Duration(s) * time.Second }

// describeMetric writes a status.currentMetrics entry in a line: "cpu: 40% avg 200m" for a
// utilization, "memory: avg 180Mi" for an average value; "cpu: unknown" when the metric failed
// (upstream leaves its entry empty). Quantities print as Kubernetes prints them.
func describeMetric(spec *autoscalingv2.MetricSpec, st *autoscalingv2.MetricStatus) string {
	var name string
	var cur *autoscalingv2.MetricValueStatus
	switch spec.Type {
	case autoscalingv2.ResourceMetricSourceType:
		name = string(spec.Resource.Name)
		if st.Resource != nil {
			cur = &st.Resource.Current
		}
	case autoscalingv2.ContainerResourceMetricSourceType:
		name = string(spec.ContainerResource.Name) + " of " + spec.ContainerResource.Container
		if st.ContainerResource != nil {
			cur = &st.ContainerResource.Current
		}
	case autoscalingv2.PodsMetricSourceType:
		name = "pods " + spec.Pods.Metric.Name
		if st.Pods != nil {
			cur = &st.Pods.Current
		}
	case autoscalingv2.ObjectMetricSourceType:
		name = "object " + spec.Object.Metric.Name
		if st.Object != nil {
			cur = &st.Object.Current
		}
	case autoscalingv2.ExternalMetricSourceType:
		name = "external " + spec.External.Metric.Name
		if st.External != nil {
			cur = &st.External.Current
		}
	}
	if cur == nil {
		return name + ": unknown"
	}
	var b bytes.Buffer
	b.WriteString(name + ":")
	if cur.AverageUtilization != nil {
		fmt.Fprintf(&b, " %d%%", *cur.AverageUtilization)
	}
	if cur.AverageValue != nil {
		b.WriteString(" avg " + cur.AverageValue.String())
	}
	if cur.Value != nil {
		b.WriteString(" " + cur.Value.String())
	}
	return b.String()
}

// InputError is bad input at a line of the observations: "FILE:LINE: what is wrong".
type InputError struct {
	File string
	Line int
	Err  error
}

func (e *InputError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// Run replays the observations read from in (named name in errors) and writes one result line
// per observation to out, each as soon as it is decided. Bad input stops the replay with an
// *InputError before any output for its line; the lines before it have been written. Other
// errors are failures to read or write. Memory: one line at a time (at most MaxLineBytes).
func Run(cfg Config, in io.Reader, name string, out io.Writer) error {
	r, err := New(cfg)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriter(out)
	var line []byte
	for n := 1; ; n++ {
		line, err = readLine(br, line[:0])
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, errLineTooLong) {
				w.Flush()
				return &InputError{name, n, err}
			}
			w.Flush()
			return err
		}
		o, perr := ParseObservation(line)
		if perr == nil {
			var res Result
			res, perr = r.Step(&o)
			if perr == nil {
				b, merr := json.Marshal(res)
				if merr != nil {
					return merr
				}
				w.Write(b)
				if werr := w.WriteByte('\n'); werr != nil {
					return werr
				}
			}
		}
		if perr != nil {
			if ferr := w.Flush(); ferr != nil {
				return ferr
			}
			return &InputError{name, n, perr}
		}
		if err == io.EOF {
			break
		}
	}
	if r.steps == 0 {
		w.Flush()
		return &InputError{name, 1, errors.New("no observations: want one JSON object per line")}
	}
	return w.Flush()
}

var errLineTooLong = fmt.Errorf("line longer than the limit MaxLineBytes=%d", MaxLineBytes)

// readLine appends the next line of br to buf, without its "\n" (or "\r\n"). It returns io.EOF
// with the last line when the input does not end in a newline, and with an empty line at the
// end.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes+2 {
			return buf, errLineTooLong
		}
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
			if n := len(buf); n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
		}
		return buf, err
	}
}
