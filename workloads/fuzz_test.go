package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// fuzzMaxBytes caps fuzz inputs: big inputs only slow the fuzzer down, and the limits that
// matter for big input have their own tests (TestReadCSVLimits).
const fuzzMaxBytes = 64 << 10

// FuzzReadCSV feeds arbitrary bytes to ReadCSV with the columns "t" and "v". The seed corpus is
// in testdata/fuzz/FuzzReadCSV. Run it with
//
//	go test ./workloads -run '^$' -fuzz FuzzReadCSV -fuzztime 60s
//
// Whatever the input, ReadCSV must not panic; it returns either a trace that keeps Trace's
// invariants or a *ParseError that names a line of the input; and it gives the same answer
// however the input is split into reads.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("t,v\n0,1\n300,2.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxBytes {
			t.Skip()
		}
		tr, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", "t", "v")

		// The same answer one byte at a time.
		tr1, err1 := ReadCSV(iotest.OneByteReader(bytes.NewReader(data)), "fuzz.csv", "t", "v")
		if fmt.Sprint(err) != fmt.Sprint(err1) || !reflect.DeepEqual(tr, tr1) {
			t.Fatalf("reading at once and byte by byte differ:\n%v, %v\n%v, %v", tr, err, tr1, err1)
		}

		if err != nil {
			if tr != nil {
				t.Fatalf("ReadCSV returned a trace and an error %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %#v is not a *ParseError", err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			if pe.Name != "fuzz.csv" || pe.Line < 1 || pe.Line > lines+1 {
				t.Fatalf("error %q names line %d, want 1..%d", err, pe.Line, lines+1)
			}
			if prefix := fmt.Sprintf("fuzz.csv:%d: ", pe.Line); !strings.HasPrefix(err.Error(), prefix) || pe.Msg == "" {
				t.Fatalf("error %q does not start with %q and a message", err, prefix)
			}
			return
		}

		if err := tr.check(); err != nil {
			t.Fatalf("ReadCSV returned a broken trace: %v", err)
		}
		for _, repeat := range []bool{false, true} {
			ser := tr.Series(repeat)
			for i, at := range tr.Times {
				if got := ser.At(at); got != tr.Values[i] {
					t.Fatalf("Series(%v).At(%v) = %v, want sample %d's %v", repeat, at, got, i, tr.Values[i])
				}
			}
		}
	})
}
