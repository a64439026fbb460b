package replay

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseObservation: any line either parses or is rejected with an error, never a panic; a
// line that parses writes back (encoding/json) to a line that parses to the same observation;
// and the HPA can sync on it. The seed corpus is testdata/fuzz/FuzzParseObservation plus every
// line of the examples.
func FuzzParseObservation(f *testing.F) {
	dirs, _ := filepath.Glob("testdata/examples/*/observations.jsonl")
	for _, path := range dirs {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			f.Add(l)
		}
	}
	cfg, err := configOf(testHPA)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) > 1<<16 {
			return // the size cap: long lines only repeat what short ones test
		}
		o, err := ParseObservation(line)
		if err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want a one-line message", err)
			}
			return
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("marshal %+v: %v", o, err)
		}
		o2, err := ParseObservation(b)
		if err != nil {
			t.Fatalf("%s parsed, but its re-encoding %s does not: %v", line, b, err)
		}
		if normalize(o) != normalize(o2) {
			t.Fatalf("round trip changed the observation:\n %s\n %s", normalize(o), normalize(o2))
		}
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		o.T -= o.T % 15 // put it on the sync period
		if _, err := r.Step(&o); err != nil {
			t.Fatalf("Step: %v", err)
		}
	})
}

// FuzzLoadHPA: any HPA file is loaded and compiled, or rejected with an error, never a panic.
func FuzzLoadHPA(f *testing.F) {
	paths, _ := filepath.Glob("testdata/examples/*/hpa.yaml")
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(testHPA))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := LoadHPA(data)
		if err != nil {
			return
		}
		cfg := Config{HPA: h, SyncPeriod: DefaultSyncPeriod, AllMetricTypes: true}
		cfg.Options.Tolerance = 0.1
		New(cfg) // an error is fine; a panic is not
	})
}
