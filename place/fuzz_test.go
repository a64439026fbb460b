package place

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"ksim.dev/ksim/sim/scenario"
)

// FuzzInput feeds arbitrary bytes to the input decoder, as the cluster and as the pods to place:
// it must never panic; a rejection must be scenario.Errors with a file name in each entry; and
// input it accepts must place, with output that is one JSON object per pod. The seed corpus is
// every input form of testdata/forms, the golden pods, and testdata/fuzz/FuzzInput. Fuzz with
// a short minimisation time: the seeds are large, and minimising one takes a minute otherwise.
//
//	go test -run x -fuzz FuzzInput -fuzztime 60s -fuzzminimizetime 2s ./place
func FuzzInput(f *testing.F) {
	files, _ := filepath.Glob("testdata/forms/*")
	files = append(files, "testdata/pods.yaml")
	for _, file := range files {
		f.Add(readFile(f, file))
	}
	node := []byte("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {capacity: {cpu: \"2\", memory: 2Gi, pods: \"10\"}}\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		for _, asCluster := range []bool{true, false} {
			var in Input
			if asCluster {
				in.AddCluster("fuzz.yaml", data)
				in.AddPods("pods.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n"))
			} else {
				in.AddCluster("cluster.yaml", node)
				in.AddPods("fuzz.yaml", data)
			}
			if err := in.Err(); err != nil {
				var es scenario.Errors
				if !errors.As(err, &es) || len(es) == 0 {
					t.Fatalf("error is not scenario.Errors: %v", err)
				}
				for _, e := range es {
					if e.File == "" {
						t.Fatalf("error without a file: %v", e)
					}
				}
				continue
			}
			res, err := Place(&in, Options{Explain: true})
			if err != nil {
				t.Fatalf("accepted input does not place: %v", err)
			}
			var buf bytes.Buffer
			if err := WriteJSONL(&buf, res); err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
			if len(res) == 0 {
				continue
			}
			if len(lines) != len(res) {
				t.Fatalf("%d placements, %d lines", len(res), len(lines))
			}
			for _, l := range lines {
				var v map[string]any
				if err := json.Unmarshal(l, &v); err != nil {
					t.Fatalf("line is not JSON: %v\n%s", err, l)
				}
			}
		}
	})
}
