package scenario

import (
	"cmp"
	"errors"
	"reflect"
	"slices"
	"testing"
	"testing/fstest"
)

// fuzzNodes and fuzzTrace are fixed files that fuzzed scenarios may name besides m.yaml.
const (
	fuzzNodes = "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {topology.kubernetes.io/zone: a}}\nstatus: {capacity: {cpu: \"4\", memory: 16Gi}}\n"
	fuzzTrace = "timestamp,cpu\n0,1\n60,2\n"

	// fuzzMaxBytes caps each input: larger inputs only slow the fuzzer down.
	fuzzMaxBytes = 64 << 10
)

// FuzzLoad loads a scenario (s.yaml) and one manifest file (m.yaml) from an fstest.MapFS that also
// holds n.yaml (one Node) and t.csv (a trace). Whatever the input, LoadFS must not panic, must
// return either a Scenario or a non-empty Errors of complete *Error values, and must give the same
// answer twice (no map-order dependence). The seed corpus is testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(baseScenario), []byte(baseApps))
	f.Fuzz(func(t *testing.T, scenario, manifest []byte) {
		if len(scenario) > fuzzMaxBytes || len(manifest) > fuzzMaxBytes {
			t.Skip()
		}
		fsys := fstest.MapFS{
			"s.yaml": {Data: scenario},
			"m.yaml": {Data: manifest},
			"n.yaml": {Data: []byte(fuzzNodes)},
			"t.csv":  {Data: []byte(fuzzTrace)},
		}
		sc, err := LoadFS(fsys, "s.yaml")
		sc2, err2 := LoadFS(fsys, "s.yaml")
		if err != nil {
			if sc != nil {
				t.Fatalf("a Scenario and an error: %v", err)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 || len(es) > MaxErrors+1 {
				t.Fatalf("error %T with %d problems: %v", err, len(es), err)
			}
			for _, e := range es {
				if e == nil || e.File == "" || e.Msg == "" || e.Line < 0 {
					t.Fatalf("incomplete problem %#v", e)
				}
			}
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("second load differs:\n%v\n---\n%v", err, err2)
			}
			return
		}
		if sc.Duration <= 0 || len(sc.Nodes) == 0 || sc.Timing == nil {
			t.Fatalf("invalid Scenario accepted: duration %v, %d nodes", sc.Duration, len(sc.Nodes))
		}
		if !slices.IsSortedFunc(sc.Events, func(a, b NodeEvent) int { return cmp.Compare(a.At, b.At) }) {
			t.Fatalf("events out of order")
		}
		for _, e := range sc.Events {
			if e.At < 0 || e.At > sc.Duration {
				t.Fatalf("event at %v outside [0, %v]", e.At, sc.Duration)
			}
		}
		if err2 != nil || !reflect.DeepEqual(sc, sc2) {
			t.Fatalf("second load differs (err %v)", err2)
		}
	})
}
