package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"ksim.dev/ksim/internal/jsonfields"
	"ksim.dev/ksim/internal/suggest"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
)

// fieldProblem is a problem at a field path (relative to the decoded value).
type fieldProblem struct {
	path string
	msg  string
}

// maxProblemsPerDoc bounds what one document can report, so that one wrong file does not
// push every other problem past MaxErrors.
const maxProblemsPerDoc = 20

// decodeStrict decodes the JSON document data into v (a pointer) as the API server does: field
// names are case-sensitive, and unknown or repeated fields are errors. It returns every problem
// found, each with its field path. complete reports whether v holds the whole document (true
// when the only problems were unknown or repeated fields, which are skipped).
//
// The fast path is one sigs.k8s.io/json decode. Only when it fails does diagnose walk the
// document against v's type, because encoding/json stops at the first type error and reports
// no path for a value that its UnmarshalJSON rejects (a malformed quantity).
func decodeStrict(data []byte, v any) (probs []fieldProblem, complete bool) {
	strict, err := kjson.UnmarshalStrict(data, v)
	if err == nil && len(strict) == 0 {
		return nil, true
	}
	probs = diagnose(data, reflect.TypeOf(v).Elem())
	for _, se := range strict {
		var fe kjson.FieldError
		if errors.As(se, &fe) && strings.HasPrefix(se.Error(), "duplicate field") {
			probs = append(probs, fieldProblem{fe.FieldPath(), "appears twice in the same map; give each field once"})
		}
	}
	if len(probs) == 0 {
		// The walker and the decoder disagree; report what the decoder said.
		if err != nil {
			probs = append(probs, fieldProblem{"", strings.TrimPrefix(err.Error(), "json: ")})
		}
		for _, se := range strict {
			var fe kjson.FieldError
			if errors.As(se, &fe) {
				probs = append(probs, fieldProblem{fe.FieldPath(), strings.TrimSuffix(se.Error(), fmt.Sprintf(" %q", fe.FieldPath()))})
			}
		}
	}
	if len(probs) > maxProblemsPerDoc {
		probs = append(probs[:maxProblemsPerDoc], fieldProblem{"", "more problems in this document not shown"})
	}
	return probs, err == nil
}

// diagnose decodes data generically and walks it against t, reporting every unknown field,
// mistyped value and value that t's custom decoders reject.
func diagnose(data []byte, t reflect.Type) []fieldProblem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []fieldProblem{{"", "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}}
	}
	w := walker{}
	w.walk(v, t, "", 0)
	return w.probs
}

type walker struct {
	probs []fieldProblem
}

func (w *walker) add(path, msg string) {
	if len(w.probs) <= maxProblemsPerDoc {
		w.probs = append(w.probs, fieldProblem{path, msg})
	}
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	quantityType    = reflect.TypeFor[resource.Quantity]()
	intOrStringType = reflect.TypeFor[intstr.IntOrString]()
	timeType        = reflect.TypeFor[metav1.Time]()
	microTimeType   = reflect.TypeFor[metav1.MicroTime]()
	scenarioPkgPath = reflect.TypeFor[Scenario]().PkgPath()
)

func (w *walker) walk(v any, t reflect.Type, path string, depth int) {
	if depth > 200 || len(w.probs) > maxProblemsPerDoc {
		return
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		raw, err := json.Marshal(v)
		if err != nil {
			return
		}
		u := reflect.New(t).Interface().(json.Unmarshaler)
		if err := u.UnmarshalJSON(raw); err != nil {
			w.add(path, customMsg(t, v, err))
		}
		return
	}
	if v == nil {
		return // null decodes to the zero value of any type
	}
	switch t.Kind() {
	case reflect.Pointer:
		w.walk(v, t.Elem(), path, depth+1)
	case reflect.Interface:
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			w.add(path, wrongType(t, v))
			return
		}
		fields := jsonfields.Of(t)
		for _, k := range sortedKeys(m) {
			ft, ok := fields.ByName[k]
			if !ok {
				w.add(join(path, k), unknownFieldMsg(k, fields.Names))
				continue
			}
			w.walk(m[k], ft, join(path, k), depth+1)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			w.add(path, wrongType(t, v))
			return
		}
		for _, k := range sortedKeys(m) {
			w.walk(m[k], t.Elem(), join(path, k), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if _, ok := v.(string); !ok {
				w.add(path, wrongType(t, v))
			}
			return
		}
		l, ok := v.([]any)
		if !ok {
			w.add(path, wrongType(t, v))
			return
		}
		for i, e := range l {
			w.walk(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.add(path, wrongType(t, v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.add(path, wrongType(t, v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			w.add(path, wrongType(t, v))
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			w.add(path, wrongType(t, v))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			w.add(path, wrongType(t, v))
			return
		}
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			w.add(path, wrongType(t, v))
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			w.add(path, wrongType(t, v))
			return
		}
		if f, err := strconv.ParseFloat(string(n), t.Bits()); err != nil || math.IsInf(f, 0) {
			w.add(path, wrongType(t, v))
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unknownFieldMsg names the field and what is allowed instead: the closest known name when one is
// close (a typo, or the wrong case), else the list of known names when it is short.
func unknownFieldMsg(key string, known []string) string {
	msg := fmt.Sprintf("unknown field %q", key)
	if s := suggest.Closest(key, known); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	if len(known) <= 16 {
		return msg + "; allowed: " + strings.Join(known, ", ")
	}
	return msg + fmt.Sprintf("; this object has %d fields (see `kubectl explain`)", len(known))
}

// wrongType says what t wants and what v is.
func wrongType(t reflect.Type, v any) string {
	msg := fmt.Sprintf("want %s, got %s", describeType(t), describeValue(v))
	if t.Kind() == reflect.String {
		switch v.(type) {
		case json.Number:
			msg += fmt.Sprintf(` (quote it: "%v")`, v)
		case bool:
			msg += " (YAML reads unquoted yes, no, y, n, on, off, true and false as booleans: quote the value)"
		}
	}
	return msg
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("an integer (%d-bit)", t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("a non-negative integer (%d-bit)", t.Bits())
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		return "a map of fields"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return t.String()
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "the string " + quoteShort(x)
	case json.Number:
		return "the number " + string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%v", v)
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	if len(s) > 60 {
		cut := 57
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return strconv.Quote(s)
}

// customMsg explains why a custom decoder (quantity, int-or-string, time) rejected v.
func customMsg(t reflect.Type, v any, err error) string {
	switch t {
	case quantityType:
		return fmt.Sprintf("%s is not a quantity; want a number with an optional suffix "+
			"(m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei), e.g. 500m, 2, 1.5, 512Mi, 4Gi", valueText(v))
	case intOrStringType:
		return fmt.Sprintf("want an integer or a string (e.g. 1 or \"25%%\"), got %s", describeValue(v))
	case timeType, microTimeType:
		return fmt.Sprintf("%s is not a time; want RFC 3339, e.g. 2024-01-02T15:04:05Z", valueText(v))
	}
	if t.PkgPath() == scenarioPkgPath {
		return err.Error() // this package's types say what they want
	}
	return fmt.Sprintf("%s: %v", valueText(v), err)
}

// valueText renders a scalar as the user wrote it.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return quoteShort(x)
	case json.Number:
		return string(x)
	}
	return describeValue(v)
}
