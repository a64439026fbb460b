package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Limits on the input (format v1). Each is named in the error that reports it.
const (
	// MaxLineBytes is the longest observation line accepted.
	MaxLineBytes = 64 << 20
	// MaxPods is the most pods one line may list.
	MaxPods = 100_000
	// MaxHPABytes is the largest HPA file accepted.
	MaxHPABytes = 1 << 20
	// maxSeconds bounds every time in the input (about 292 years of seconds would overflow a
	// time.Duration; this keeps sums of two times far from it).
	maxSeconds = 1 << 32
)

// Observation is one line of the input: the cluster as the HPA controller sees it at one sync
// (docs/hpa-replay.md, format v1).
type Observation struct {
	T        int64 `json:"t"`        // seconds since the start of the replay
	Replicas int32 `json:"replicas"` // the target's spec.replicas (and status.replicas)
	Pods     []Pod `json:"pods"`     // the pods the target's selector matches
}

// Pod is one pod of an Observation. Quantities are kept as the input wrote them.
type Pod struct {
	Name         string          `json:"name"`
	Phase        corev1.PodPhase `json:"phase"`
	Created      int64           `json:"created"` // status.startTime, seconds
	Ready        bool            `json:"ready"`
	ReadyChanged int64           `json:"readyChanged"` // the Ready condition's lastTransitionTime
	Deleting     bool            `json:"deleting,omitempty"`
	// Requests is the sum of the pod's container requests; Usage its resource metrics (nil: no
	// metric for this pod). Keys are resource names, values quantities ("500m", "256Mi").
	Requests     map[corev1.ResourceName]resource.Quantity `json:"requests"`
	Usage        map[corev1.ResourceName]resource.Quantity `json:"usage,omitempty"`
	MetricTime   int64                                     `json:"metricTime,omitempty"`
	MetricWindow int64                                     `json:"metricWindow,omitempty"`
}

// MarshalJSON writes an observation as format v1 writes it: pods is [] when there are none.
func (o Observation) MarshalJSON() ([]byte, error) {
	type plain Observation
	if o.Pods == nil {
		o.Pods = []Pod{}
	}
	return json.Marshal(plain(o))
}

// MarshalJSON writes a pod as format v1 writes it: metricTime and metricWindow present exactly
// when usage is. encoding/json sorts the quantity maps by resource name.
func (p Pod) MarshalJSON() ([]byte, error) {
	type plain struct {
		Name         string                                     `json:"name"`
		Phase        corev1.PodPhase                            `json:"phase"`
		Created      int64                                      `json:"created"`
		Ready        bool                                       `json:"ready"`
		ReadyChanged int64                                      `json:"readyChanged"`
		Deleting     bool                                       `json:"deleting,omitempty"`
		Requests     map[corev1.ResourceName]resource.Quantity  `json:"requests"`
		Usage        *map[corev1.ResourceName]resource.Quantity `json:"usage,omitempty"`
		MetricTime   *int64                                     `json:"metricTime,omitempty"`
		MetricWindow *int64                                     `json:"metricWindow,omitempty"`
	}
	q := plain{Name: p.Name, Phase: p.Phase, Created: p.Created, Ready: p.Ready, ReadyChanged: p.ReadyChanged,
		Deleting: p.Deleting, Requests: p.Requests}
	if q.Requests == nil {
		q.Requests = map[corev1.ResourceName]resource.Quantity{}
	}
	if p.Usage != nil {
		q.Usage = &p.Usage
		q.MetricTime, q.MetricWindow = &p.MetricTime, &p.MetricWindow
	}
	return json.Marshal(q)
}

// member is one "name": value pair of a JSON object, its value undecoded.
type member struct {
	name  string
	value json.RawMessage
}

// members reads a JSON object's members in order. Names are matched exactly by the callers
// (encoding/json alone would match them case-insensitively); a name given twice is an error.
func members(raw json.RawMessage, path string) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s: got %s, want an object", path, kindOf(raw))
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		name := tok.(string) // a decoder at an object's key yields a string
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s.%s: %v", path, name, err)
		}
		for _, m := range out {
			if m.name == name {
				return nil, fmt.Errorf("%s: %q given twice", path, name)
			}
		}
		out = append(out, member{name, v})
	}
	return out, nil
}

// kindOf names the JSON type of a raw value, for messages.
func kindOf(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

const (
	observationFields = "t, replicas, pods"
	podFields         = "name, phase, created, ready, readyChanged, deleting, requests, usage, metricTime, metricWindow"
)

// ParseObservation decodes one line of the input (without its newline). Unknown fields (names
// match exactly), missing required fields, malformed numbers and quantities, duplicate pod names
// and trailing data are errors that name the field ("pods[2].usage.cpu: ..."). It checks the
// line on its own; the order of lines is Replayer.Step's business.
func ParseObservation(line []byte) (Observation, error) {
	var o Observation
	if len(bytes.TrimSpace(line)) == 0 {
		return o, errors.New("empty line: want one JSON object per line")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return o, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return o, errors.New("unexpected data after the JSON object: want one object per line")
	}
	ms, err := members(top, "line")
	if err != nil {
		return o, err
	}
	var t, replicas, pods json.RawMessage
	for _, m := range ms {
		switch m.name {
		case "t":
			t = m.value
		case "replicas":
			replicas = m.value
		case "pods":
			pods = m.value
		default:
			return o, fmt.Errorf("%s: not a field of format v1 (allowed: %s)", m.name, observationFields)
		}
	}
	if o.T, err = seconds(t, "t", false); err != nil {
		return o, err
	}
	r, err := integer(replicas, "replicas", 0, 1<<31-1)
	if err != nil {
		return o, err
	}
	o.Replicas = int32(r)
	if pods == nil || isNull(pods) {
		return o, errors.New("pods: required (the pods the target's selector matches; [] for none)")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(pods, &list); err != nil {
		return o, fmt.Errorf("pods: got %s, want a list of pods", kindOf(pods))
	}
	if len(list) > MaxPods {
		return o, fmt.Errorf("pods: %d pods, more than the limit MaxPods=%d", len(list), MaxPods)
	}
	o.Pods = make([]Pod, len(list))
	seen := make(map[string]int, len(list))
	for i, raw := range list {
		p, err := parsePod(raw, fmt.Sprintf("pods[%d]", i))
		if err != nil {
			return o, err
		}
		if j, dup := seen[p.Name]; dup {
			return o, fmt.Errorf("pods[%d].name: %q is also the name of pods[%d]: names must be unique within a line", i, p.Name, j)
		}
		seen[p.Name] = i
		o.Pods[i] = p
	}
	return o, nil
}

func parsePod(raw json.RawMessage, path string) (Pod, error) {
	var p Pod
	ms, err := members(raw, path)
	if err != nil {
		return p, err
	}
	var name, phase, created, ready, readyChanged, deleting, requests, usage, metricTime, metricWindow json.RawMessage
	for _, m := range ms {
		switch m.name {
		case "name":
			name = m.value
		case "phase":
			phase = m.value
		case "created":
			created = m.value
		case "ready":
			ready = m.value
		case "readyChanged":
			readyChanged = m.value
		case "deleting":
			deleting = m.value
		case "requests":
			requests = m.value
		case "usage":
			usage = m.value
		case "metricTime":
			metricTime = m.value
		case "metricWindow":
			metricWindow = m.value
		default:
			return p, fmt.Errorf("%s.%s: not a field of format v1 (a pod's fields: %s)", path, m.name, podFields)
		}
	}
	if err := str(name, path+".name", &p.Name); err != nil || p.Name == "" {
		return p, fmt.Errorf("%s.name: required, a non-empty string", path)
	}
	var ph string
	if err := str(phase, path+".phase", &ph); err != nil {
		return p, fmt.Errorf("%s.phase: required: Pending, Running, Succeeded or Failed", path)
	}
	switch corev1.PodPhase(ph) {
	case corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed:
		p.Phase = corev1.PodPhase(ph)
	default:
		return p, fmt.Errorf("%s.phase: %q is not a phase: want Pending, Running, Succeeded or Failed", path, ph)
	}
	if p.Created, err = seconds(created, path+".created", true); err != nil {
		return p, err
	}
	if err := boolean(ready, path+".ready", true, &p.Ready); err != nil {
		return p, err
	}
	if p.ReadyChanged, err = seconds(readyChanged, path+".readyChanged", true); err != nil {
		return p, err
	}
	if err := boolean(deleting, path+".deleting", false, &p.Deleting); err != nil {
		return p, err
	}
	if requests == nil || isNull(requests) {
		return p, fmt.Errorf("%s.requests: required: the sum of the pod's container requests, {} for none", path)
	}
	if p.Requests, err = quantities(requests, path+".requests"); err != nil {
		return p, err
	}
	switch {
	case usage != nil && !isNull(usage):
		if p.Usage, err = quantities(usage, path+".usage"); err != nil {
			return p, err
		}
		if metricTime == nil || metricWindow == nil {
			return p, fmt.Errorf("%s: usage needs metricTime and metricWindow (the metric's timestamp and window, seconds)", path)
		}
		if p.MetricTime, err = seconds(metricTime, path+".metricTime", true); err != nil {
			return p, err
		}
		if p.MetricWindow, err = seconds(metricWindow, path+".metricWindow", false); err != nil {
			return p, err
		}
	case metricTime != nil || metricWindow != nil:
		return p, fmt.Errorf("%s: metricTime and metricWindow go with usage, which is absent (a pod without a metric has none of the three)", path)
	}
	return p, nil
}

func str(raw json.RawMessage, field string, out *string) error {
	if raw == nil || isNull(raw) {
		return fmt.Errorf("%s: required", field)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: got %s, want a string", field, kindOf(raw))
	}
	return nil
}

func boolean(raw json.RawMessage, field string, required bool, out *bool) error {
	if raw == nil || isNull(raw) {
		if required {
			return fmt.Errorf("%s: required: true or false", field)
		}
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: got %s, want true or false", field, kindOf(raw))
	}
	return nil
}

// seconds reads a whole number of seconds within ±maxSeconds.
func seconds(n json.RawMessage, field string, mayBeNegative bool) (int64, error) {
	lo := int64(0)
	if mayBeNegative {
		lo = -maxSeconds
	}
	return integer(n, field, lo, maxSeconds)
}

func integer(n json.RawMessage, field string, lo, hi int64) (int64, error) {
	if n == nil || isNull(n) {
		return 0, fmt.Errorf("%s: required: a whole number", field)
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(n)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not a whole number: want an integer from %d to %d", field, shorten(n), lo, hi)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%s: %d is out of range: want an integer from %d to %d", field, v, lo, hi)
	}
	return v, nil
}

func quantities(raw json.RawMessage, path string) (map[corev1.ResourceName]resource.Quantity, error) {
	if kindOf(raw) != "an object" {
		return nil, fmt.Errorf("%s: got %s, want an object of quantities, such as {\"cpu\": \"500m\"}", path, kindOf(raw))
	}
	ms, err := members(raw, path)
	if err != nil {
		return nil, err
	}
	out := make(map[corev1.ResourceName]resource.Quantity, len(ms))
	for _, m := range ms {
		if m.name == "" {
			return nil, fmt.Errorf("%s: an empty resource name: want cpu, memory, ...", path)
		}
		var v string
		if err := json.Unmarshal(m.value, &v); err != nil {
			return nil, fmt.Errorf("%s.%s: got %s, want a quantity string such as \"500m\"", path, m.name, kindOf(m.value))
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %q is not a quantity: want a Kubernetes quantity such as \"500m\", \"1.5\" or \"256Mi\"", path, m.name, v)
		}
		if q.Sign() < 0 {
			return nil, fmt.Errorf("%s.%s: %q is negative: want a quantity >= 0", path, m.name, v)
		}
		out[corev1.ResourceName(m.name)] = q
	}
	return out, nil
}

// decodeError turns encoding/json's errors into "what is wrong" text.
func decodeError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated JSON object")
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON at byte %d: %v", syn.Offset, err)
	}
	return err
}

// LoadHPA reads an autoscaling/v2 HorizontalPodAutoscaler from YAML (or JSON), strictly: unknown
// fields are errors. Its status is ignored and its namespace defaults to "default". Errors are
// "field: what is wrong"; the caller prefixes the path. Validation of the spec is left to
// hpa.New, which reports it the same way.
func LoadHPA(data []byte) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	if len(data) > MaxHPABytes {
		return nil, fmt.Errorf("%d bytes, more than the limit MaxHPABytes=%d", len(data), MaxHPABytes)
	}
	var h autoscalingv2.HorizontalPodAutoscaler
	if err := yaml.UnmarshalStrict(data, &h); err != nil {
		msg := err.Error()
		for _, prefix := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
			msg = strings.TrimPrefix(msg, prefix)
		}
		return nil, fmt.Errorf("not a HorizontalPodAutoscaler: %s", msg)
	}
	if h.APIVersion != "autoscaling/v2" || h.Kind != "HorizontalPodAutoscaler" {
		return nil, fmt.Errorf("apiVersion/kind: %q/%q: want autoscaling/v2 HorizontalPodAutoscaler", h.APIVersion, h.Kind)
	}
	if h.Namespace == "" {
		h.Namespace = metav1.NamespaceDefault
	}
	h.Status = autoscalingv2.HorizontalPodAutoscalerStatus{}
	return &h, nil
}

// shorten quotes at most 40 bytes of raw input, for messages.
func shorten(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "..."
	}
	return string(raw)
}
