package scheduler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"ksim.dev/ksim/internal/jsonfields"
	"ksim.dev/ksim/internal/suggest"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The strict decoding of a KubeSchedulerConfiguration, as kube-scheduler's strict codec
// (pkg/scheduler/apis/config/scheme: serializer.EnableStrict) decodes it: YAML or JSON, keys
// case-sensitive, unknown and repeated fields are errors. Unlike the codec, every problem is
// reported, each at the line of the field. (The scheduler package cannot use sim/scenario's
// decoder, which sits above it; this one is smaller because the types are few. Both, and
// sweep's paths, take a type's fields from internal/jsonfields.)

// fieldErr is a problem at a field path of the configuration ("" for the whole file).
type fieldErr struct {
	path string
	msg  string
}

// maxConfigBytes bounds the configuration file; real ones are a few kilobytes.
const maxConfigBytes = 4 << 20

// configDoc is the configuration file being parsed.
type configDoc struct {
	name string
	data []byte
	node *yaml3.Node // the document's tree, for lines; nil when go-yaml v3 cannot parse it
}

// toJSON converts the file to JSON. The file must hold one document.
func (d *configDoc) toJSON() ([]byte, *ConfigError) {
	dec := yaml3.NewDecoder(bytes.NewReader(d.data))
	var first yaml3.Node
	if err := dec.Decode(&first); err == nil {
		d.node = &first
		var second yaml3.Node
		if err := dec.Decode(&second); err == nil && !emptyDoc(&second) {
			return nil, &ConfigError{File: d.name, Line: second.Line, Msg: "the file holds more than one YAML document; want one KubeSchedulerConfiguration"}
		}
	}
	j, err := yaml.YAMLToJSONStrict(d.data)
	if err != nil {
		return nil, yamlErr(d.name, err)
	}
	return j, nil
}

func emptyDoc(n *yaml3.Node) bool {
	if n.Kind == yaml3.DocumentNode {
		if len(n.Content) == 0 {
			return true
		}
		n = n.Content[0]
	}
	return n.Kind == yaml3.ScalarNode && (n.Tag == "!!null" || n.Value == "")
}

var yamlLineRE = regexp.MustCompile(`line (\d+): ([^\n]*)`)

// yamlErr turns a go-yaml error into a ConfigError at its line.
func yamlErr(file string, err error) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	e := &ConfigError{File: file}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	msg = strings.Replace(msg, " already set in map", " appears twice in the same map", 1)
	e.Msg = "invalid YAML: " + msg
	return e
}

// lineOf returns the line of the field at path ("profiles[0].plugins.score.enabled[1]"), or of
// the deepest part of it that exists, or 1.
func (d *configDoc) lineOf(path string) int {
	if d.node == nil {
		return 0
	}
	n := d.node
	if n.Kind == yaml3.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for depth := 0; path != "" && depth < 200; depth++ {
		for n.Kind == yaml3.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yaml3.MappingNode:
			// The longest key that is a prefix of the path wins: label keys hold dots.
			var key, val *yaml3.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml3.ScalarNode || (key != nil && len(k.Value) <= len(key.Value)) {
					continue
				}
				if path == k.Value || (k.Value != "" && strings.HasPrefix(path, k.Value) && (path[len(k.Value)] == '.' || path[len(k.Value)] == '[')) {
					key, val = k, n.Content[i+1]
				}
			}
			if key == nil {
				return line
			}
			line = key.Line
			path = strings.TrimPrefix(path[len(key.Value):], ".")
			n = val
		case yaml3.SequenceNode:
			end := strings.IndexByte(path, ']')
			if !strings.HasPrefix(path, "[") || end < 0 {
				return line
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			path = strings.TrimPrefix(path[end+1:], ".")
		default:
			return line
		}
	}
	return line
}

// decodeStrict decodes the JSON data into v (a pointer) strictly. On failure it returns every
// problem found, with paths under prefix. ok reports whether v holds the whole document.
func decodeStrict(data []byte, v any, prefix string) (probs []fieldErr, ok bool) {
	strict, err := kjson.UnmarshalStrict(data, v)
	if err == nil && len(strict) == 0 {
		return nil, true
	}
	w := walker{prefix: prefix}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var generic any
	if derr := dec.Decode(&generic); derr != nil {
		return []fieldErr{{prefix, "invalid JSON: " + derr.Error()}}, false
	}
	w.walk(generic, reflect.TypeOf(v).Elem(), prefix, 0)
	for _, se := range strict {
		var fe kjson.FieldError
		if errors.As(se, &fe) && strings.HasPrefix(se.Error(), "duplicate field") {
			w.add(join(prefix, fe.FieldPath()), "appears twice in the same map; give each field once")
		}
	}
	if len(w.probs) == 0 {
		// The walker saw nothing the decoder did: report the decoder's words.
		msg := "invalid value"
		if err != nil {
			msg = strings.TrimPrefix(err.Error(), "json: ")
		} else if len(strict) > 0 {
			msg = strict[0].Error()
		}
		w.add(prefix, msg)
	}
	return w.probs, err == nil
}

type walker struct {
	prefix string
	probs  []fieldErr
}

// maxProblems bounds what one file reports.
const maxProblems = 50

func (w *walker) add(path, msg string) {
	if len(w.probs) < maxProblems {
		w.probs = append(w.probs, fieldErr{path, msg})
	}
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// walk checks the generic JSON value v against type t: unknown fields, values of the wrong JSON
// type, and values a custom decoder (a duration) rejects.
func (w *walker) walk(v any, t reflect.Type, path string, depth int) {
	if depth > 100 {
		return
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		raw, err := json.Marshal(v)
		if err != nil {
			return
		}
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			w.add(path, fmt.Sprintf("%s: %v", describeJSON(v), err))
		}
		return
	}
	if v == nil {
		return // null decodes to the zero value
	}
	switch t.Kind() {
	case reflect.Pointer:
		w.walk(v, t.Elem(), path, depth+1)
	case reflect.Interface:
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			w.add(path, wantGot("a map of fields", v))
			return
		}
		fields := jsonfields.Of(t).ByName
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				w.add(join(path, k), unknownField(k, fields))
				continue
			}
			w.walk(m[k], ft, join(path, k), depth+1)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			w.add(path, wantGot("a map", v))
			return
		}
		for k, e := range m {
			w.walk(e, t.Elem(), join(path, k), depth+1)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if _, ok := v.(string); !ok {
				w.add(path, wantGot("a base64 string", v))
			}
			return
		}
		l, ok := v.([]any)
		if !ok {
			w.add(path, wantGot("a list", v))
			return
		}
		for i, e := range l {
			w.walk(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.add(path, wantGot("a string", v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.add(path, wantGot("true or false", v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); !ok || err != nil {
			w.add(path, wantGot(fmt.Sprintf("an integer (%d-bit)", t.Bits()), v))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); !ok || err != nil {
			w.add(path, wantGot(fmt.Sprintf("a non-negative integer (%d-bit)", t.Bits()), v))
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if f, err := strconv.ParseFloat(string(n), t.Bits()); !ok || err != nil || math.IsInf(f, 0) {
			w.add(path, wantGot("a number", v))
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	if key == "" {
		return path
	}
	return path + "." + key
}

// unknownField names the field and the nearest known one, or the known ones when few.
func unknownField(key string, fields map[string]reflect.Type) string {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	slices.Sort(known)
	msg := fmt.Sprintf("unknown field %q", key)
	switch best := suggest.Closest(key, known); {
	case best != "" && strings.EqualFold(best, key):
		return msg + fmt.Sprintf("; did you mean %q? (field names are case-sensitive)", best)
	case best != "":
		return msg + fmt.Sprintf("; did you mean %q?", best)
	case len(known) <= 16:
		return msg + "; allowed: " + strings.Join(known, ", ")
	}
	return msg
}

func wantGot(want string, v any) string {
	return fmt.Sprintf("want %s, got %s", want, describeJSON(v))
}

func describeJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 60 {
			x = x[:57] + "..."
		}
		return strconv.Quote(x)
	case json.Number:
		return "the number " + string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprint(v)
}
