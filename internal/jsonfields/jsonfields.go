// Package jsonfields lists the JSON fields of a Go struct type as encoding/json (and the
// Kubernetes API types' `json:",inline"` embedding) see them, for the strict decoders of the
// scenario loader, the scheduler configuration and sweep's paths, which name the fields a
// document may hold.
package jsonfields

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Fields are a struct type's JSON fields.
type Fields struct {
	// ByName maps each JSON field name to the field's type.
	ByName map[string]reflect.Type
	// Names are the names, sorted.
	Names []string
}

var cache sync.Map // reflect.Type → *Fields

// Of returns the JSON fields of struct type t: an exported field under its tag's name (or its Go
// name without one), fields tagged "-" left out, and the fields of an embedded struct without a
// name (a pointer to one too) promoted. A name met twice keeps its first field, the shallower
// one (the API types never shadow a field). The result is cached and shared: do not modify it.
// Safe for concurrent use. Cost: O(fields) the first time for a type, O(1) after.
func Of(t reflect.Type) *Fields {
	if f, ok := cache.Load(t); ok {
		return f.(*Fields)
	}
	f := &Fields{ByName: map[string]reflect.Type{}}
	collect(t, f.ByName, 0)
	for n := range f.ByName {
		f.Names = append(f.Names, n)
	}
	slices.Sort(f.Names)
	cache.Store(t, f)
	return f
}

func collect(t reflect.Type, out map[string]reflect.Type, depth int) {
	if depth > 10 {
		return
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				collect(et, out, depth+1)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := out[name]; !dup {
			out[name] = sf.Type
		}
	}
}
