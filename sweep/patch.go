package sweep

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"ksim.dev/ksim/internal/jsonfields"
	"ksim.dev/ksim/internal/suggest"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
)

var (
	quantityType    = reflect.TypeFor[resource.Quantity]()
	intOrStringType = reflect.TypeFor[intstr.IntOrString]()
	timeType        = reflect.TypeFor[metav1.Time]()
	durationType    = reflect.TypeFor[metav1.Duration]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// resolve walks steps down tree (a document as written, decoded by decodeTree) and, when t is
// not nil, down the Go type t at the same time. It returns the steps with map keys that hold
// dots joined (metadata.labels.node.kubernetes.io/role is one key after labels), the Go type
// of the field (nil when t is nil), and its value in the tree (nil when the file leaves it
// out). Every error names the field and says what exists there. where names the file for
// messages.
//
// A list entry must exist in the file (a sweep changes entries, it does not add them); a map
// key or struct field need not (setting it adds it).
//
// Cost: O(len(steps) × fields per struct).
func resolve(tree any, t reflect.Type, steps []step, where string) (out []step, leaf reflect.Type, cur any, err error) {
	cur = tree
	for k := 0; k < len(steps); k++ {
		s := steps[k]
		at := fieldString(out)
		if t != nil {
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if isLeafType(t) {
				return nil, nil, nil, fmt.Errorf("%s is %s; it has no %s", at, describeType(t), describeStep(s))
			}
		}
		if s.isIndex {
			if t != nil && t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil, nil, nil, fmt.Errorf("%s is %s, not a list; it has no %s", orTop(at), describeType(t), s)
			}
			list, ok := cur.([]any)
			switch {
			case cur == nil:
				return nil, nil, nil, fmt.Errorf("%s is not set in %s; a sweep changes the list entries that the file writes, so write %s there first", at, where, at+s.String())
			case !ok:
				return nil, nil, nil, fmt.Errorf("%s is %s in %s, not a list", at, describeValue(cur), where)
			case s.index >= len(list):
				return nil, nil, nil, fmt.Errorf("%s has %s in %s (indexes 0 to %d); there is no %s", at, plural(len(list), "entry", "entries"), where, len(list)-1, s)
			}
			if t != nil {
				t = t.Elem()
			}
			cur = list[s.index]
			out = append(out, s)
			continue
		}
		// A map key or a struct field.
		m, isMap := cur.(map[string]any)
		if t == nil && cur != nil && !isMap {
			return nil, nil, nil, fmt.Errorf("%s is %s in %s, not a map; it has no field %q", orTop(at), describeValue(cur), where, s.key)
		}
		switch {
		case t != nil && t.Kind() == reflect.Struct:
			jf := jsonfields.Of(t)
			fields, names := jf.ByName, jf.Names
			ft, ok := fields[s.key]
			if !ok {
				return nil, nil, nil, fmt.Errorf("%s has no field %q%s (fields: %s)", orTop(at), s.key, didYouMean(s.key, names), strings.Join(names, ", "))
			}
			t = ft
		case t != nil && t.Kind() == reflect.Map:
			if t.Key().Kind() != reflect.String {
				return nil, nil, nil, fmt.Errorf("%s is %s; it cannot be set by key", orTop(at), describeType(t))
			}
			// A map of scalars (labels, annotations, resource lists) takes the rest of the path as
			// one key: label keys hold dots (node.kubernetes.io/instance-type).
			if e := t.Elem(); isScalarType(e) && k+1 < len(steps) {
				rest := steps[k:]
				if slices.ContainsFunc(rest, func(x step) bool { return x.isIndex }) {
					return nil, nil, nil, fmt.Errorf("%s is %s of %s; a key of it has no list entries", at, describeType(t), describeType(e))
				}
				keys := make([]string, len(rest))
				for i, r := range rest {
					keys[i] = r.key
				}
				s = step{key: strings.Join(keys, ".")}
				k = len(steps) - 1
			}
			t = t.Elem()
		case t != nil && t.Kind() != reflect.Interface:
			return nil, nil, nil, fmt.Errorf("%s is %s; it has no field %q", orTop(at), describeType(t), s.key)
		default:
			// Untyped (the scenario document): the loader checks field names when the variant
			// loads. Only a path that needs a list entry below a missing key is wrong here.
			if _, ok := m[s.key]; !ok && m != nil {
				if js, n, ok := longestKey(m, steps[k:]); ok {
					s, k = js, k+n-1
				} else if slices.ContainsFunc(steps[k+1:], func(x step) bool { return x.isIndex }) {
					have := sortedKeys(m)
					return nil, nil, nil, fmt.Errorf("%s has no %q in %s%s (it has: %s)", orTop(at), s.key, where, didYouMean(s.key, have), strings.Join(have, ", "))
				}
			}
		}
		out = append(out, s)
		if m != nil {
			cur = m[s.key]
		} else {
			cur = nil
		}
	}
	return out, t, cur, nil
}

// longestKey returns the longest key of m made of steps[0] and the plain keys after it joined
// by dots (a label key such as topology.kubernetes.io/zone), and how many steps it takes.
func longestKey(m map[string]any, steps []step) (step, int, bool) {
	key, best, n := "", "", 0
	for i, s := range steps {
		if s.isIndex {
			break
		}
		if i > 0 {
			key += "."
		}
		key += s.key
		if _, ok := m[key]; ok {
			best, n = key, i+1
		}
	}
	return step{key: best}, n, n > 0
}

// isScalarType reports whether t is set as one JSON scalar.
func isScalarType(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return isLeafType(t)
}

func orTop(at string) string {
	if at == "" {
		return "the object"
	}
	return at
}

func describeStep(s step) string {
	if s.isIndex {
		return "entry " + s.String()
	}
	return fmt.Sprintf("field %q", s.key)
}

// isLeafType reports whether t is set as one JSON value with its own syntax (a quantity, an
// int-or-string, a time, a duration), rather than walked into.
func isLeafType(t reflect.Type) bool {
	switch t {
	case quantityType, intOrStringType, timeType, durationType:
		return true
	}
	return t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerType)
}

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case quantityType:
		return "a quantity (e.g. 500m, 2, 4Gi)"
	case intOrStringType:
		return "an integer or a string (e.g. 1 or \"25%\")"
	case timeType:
		return "a time (RFC 3339)"
	case durationType:
		return "a duration (e.g. 30s)"
	}
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
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		return "a map of fields"
	}
	return t.String()
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "the string " + strconv.Quote(x)
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

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// multiplier parses a value of the form xF (x1.2): F > 0 and finite.
func multiplier(v string) (float64, bool) {
	if len(v) < 2 || (v[0] != 'x' && v[0] != 'X') {
		return 0, false
	}
	f, err := strconv.ParseFloat(v[1:], 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// valueJSON returns the JSON that a field takes for the value v as written on the command
// line. leaf is the field's Go type (nil for a scenario field), cur its value in the file (nil
// when unset).
//
//   - xF multiplies the value in the file by F: a number (an integer field must stay whole) or
//     a quantity ("4" → "4.8", 8Gi × 1.5 → 12Gi). The field must be set in the file.
//   - Otherwise, for a typed field, v is taken as JSON when it decodes into the field's type
//     (60, true, {"pool": "big"}, "quoted"), else as a string (500m, 25%, nginx:1.27); for a
//     scenario field, v is a string when the file has a string there, else JSON when it is
//     valid JSON, else a string (6, 1h30m, true).
func valueJSON(v string, leaf reflect.Type, cur any) (json.RawMessage, error) {
	if leaf != nil {
		for leaf.Kind() == reflect.Pointer {
			leaf = leaf.Elem()
		}
	}
	if f, ok := multiplier(v); ok && (leaf == nil || leaf.Kind() != reflect.String) {
		return multiply(v, f, leaf, cur)
	}
	if leaf == nil {
		if _, isString := cur.(string); isString {
			var s string
			if json.Unmarshal([]byte(v), &s) == nil {
				v = s // a quoted string
			}
			return json.Marshal(v)
		}
		if json.Valid([]byte(v)) {
			return json.RawMessage(v), nil
		}
		return json.Marshal(v)
	}
	fits := func(raw []byte) bool {
		ptr := reflect.New(leaf)
		strict, err := kjson.UnmarshalStrict(raw, ptr.Interface())
		return err == nil && len(strict) == 0
	}
	if json.Valid([]byte(v)) && fits([]byte(v)) {
		return json.RawMessage(v), nil
	}
	if s, _ := json.Marshal(v); fits(s) {
		return s, nil
	}
	return nil, fmt.Errorf("%q is not %s", v, describeType(leaf))
}

// multiply computes v = xF applied to the value cur of the file.
func multiply(v string, f float64, leaf reflect.Type, cur any) (json.RawMessage, error) {
	isQuantity := leaf == quantityType
	var num json.Number
	switch c := cur.(type) {
	case nil:
		return nil, fmt.Errorf("%s multiplies the value in the file, and the file does not set this field; give a value instead", v)
	case json.Number:
		num = c
	case string:
		if leaf != nil && !isQuantity {
			return nil, fmt.Errorf("%s multiplies a number, and the file has the string %q here", v, c)
		}
		q, err := resource.ParseQuantity(c)
		if err != nil {
			return nil, fmt.Errorf("%s multiplies a number or a quantity, and the file has the string %q here", v, c)
		}
		return json.Marshal(scaleQuantity(q, f).String())
	default:
		return nil, fmt.Errorf("%s multiplies a number or a quantity, and the file has %s here", v, describeValue(cur))
	}
	if isQuantity {
		q, err := resource.ParseQuantity(string(num))
		if err != nil {
			return nil, fmt.Errorf("%s: the file's value %s is not a quantity", v, num)
		}
		return json.Marshal(scaleQuantity(q, f).String())
	}
	x, err := num.Float64()
	if err != nil {
		return nil, fmt.Errorf("%s: the file's value %s is not a number", v, num)
	}
	// Round away the last bits of the product (7 × 1.2 = 8.399999999999999) so that tables read
	// as the planner meant; a nanounit is far below anything a scenario measures.
	y := math.Round(x*f*1e9) / 1e9
	// A scenario field has no Go type here: write a whole product as an integer and anything
	// else as a decimal, and let the loader say whether the field takes it.
	integer := false
	if leaf == nil && y == math.Trunc(y) && math.Abs(y) <= 1<<53 {
		return json.RawMessage(strconv.FormatInt(int64(y), 10)), nil
	}
	if leaf != nil {
		switch leaf.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			integer = true
		case reflect.Float32, reflect.Float64:
			integer = false
		default:
			return nil, fmt.Errorf("%s multiplies a number, and this field is %s", v, describeType(leaf))
		}
	}
	if integer {
		if y != math.Trunc(y) || math.Abs(y) > 1<<53 {
			return nil, fmt.Errorf("%s of %s is %s, which is not a whole number, and this field takes whole numbers; choose a factor that gives one, or give the values", v, num, strconv.FormatFloat(y, 'f', -1, 64))
		}
		return json.RawMessage(strconv.FormatInt(int64(y), 10)), nil
	}
	return json.RawMessage(strconv.FormatFloat(y, 'f', -1, 64)), nil
}

// scaleQuantity returns q × f, rounded to a milli-unit, in q's format.
func scaleQuantity(q resource.Quantity, f float64) *resource.Quantity {
	x := q.AsApproximateFloat64() * f
	if math.Abs(x) < (1<<53)/1000 {
		return resource.NewMilliQuantity(int64(math.Round(x*1000)), q.Format)
	}
	return resource.NewQuantity(int64(math.Round(x)), q.Format)
}

// set returns node with the value at steps replaced by v, creating maps for keys that are
// missing (resolve has checked that list entries exist). It modifies node in place.
func set(node any, steps []step, v any) any {
	if len(steps) == 0 {
		return v
	}
	s := steps[0]
	if s.isIndex {
		list := node.([]any)
		list[s.index] = set(list[s.index], steps[1:], v)
		return list
	}
	m, ok := node.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	m[s.key] = set(m[s.key], steps[1:], v)
	return m
}

// didYouMean suggests the name in known closest to key, if it is close enough to be a typo.
func didYouMean(key string, known []string) string {
	if best := suggest.Closest(key, known); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}
