package jsonfields

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

type inner struct {
	A int `json:"a"`
	B int `json:"b,omitempty"`
}

type outer struct {
	inner `json:",inline"`
	*Other
	B       string `json:"b"` // shadowed by the embedded one, met first
	C       int
	Skipped int `json:"-"`
	private int
}

type Other struct {
	D bool `json:"d"`
}

func TestOf(t *testing.T) {
	f := Of(reflect.TypeFor[outer]())
	want := map[string]reflect.Type{"a": reflect.TypeFor[int](), "b": reflect.TypeFor[int](), "d": reflect.TypeFor[bool](), "C": reflect.TypeFor[int]()}
	if !reflect.DeepEqual(f.ByName, want) {
		t.Errorf("fields %v, want %v", f.ByName, want)
	}
	if !reflect.DeepEqual(f.Names, []string{"C", "a", "b", "d"}) {
		t.Errorf("names %v", f.Names)
	}
	if Of(reflect.TypeFor[outer]()) != f {
		t.Error("not cached")
	}
	// An API type: TypeMeta and ObjectMeta's fields as kubectl writes them.
	d := Of(reflect.TypeFor[appsv1.Deployment]())
	for _, n := range []string{"apiVersion", "kind", "metadata", "spec", "status"} {
		if _, ok := d.ByName[n]; !ok {
			t.Errorf("Deployment lacks %q: %v", n, d.Names)
		}
	}
}
