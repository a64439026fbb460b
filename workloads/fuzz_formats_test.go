package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// One fuzz target per format's parser. Each seed corpus is in testdata/fuzz/<target>: slices of
// the real samples and hand-written edge cases. Run one with, e.g.,
//
//	go test ./workloads -run '^$' -fuzz '^FuzzAlibabaMachine$' -fuzztime 60s
//
// Whatever the input, checkParse requires: no panic; an error is a *ParseError naming a line of
// the input; reading at once or byte by byte gives the same answer; Inspect fails only if Read
// does; and every trace keeps Trace's invariants and replays its samples.

// strictAndLenient are the option sets every input is read with: the defaults (errors), and
// every flaw accepted.
func strictAndLenient(o Options) []Options {
	l := o
	l.Invalid, l.OutOfOrder, l.Duplicates, l.Gaps = InvalidSkip, OrderSort, DuplicateSum, GapInterpolate
	z := o
	z.Invalid, z.OutOfOrder, z.Duplicates, z.Gaps = InvalidSkip, OrderDrop, DuplicateMean, GapZero
	return []Options{o, l, z}
}

func checkParse(t *testing.T, data []byte, base Options) {
	if len(data) > fuzzMaxBytes {
		t.Skip()
	}
	defer func(n int) { maxSamples = n }(maxSamples)
	maxSamples = 100_000 // filling gaps in a fuzzed trace must stay cheap
	lines := bytes.Count(data, []byte("\n")) + 1
	for k, opts := range strictAndLenient(base) {
		set, err := Read(bytes.NewReader(data), "fuzz", opts)
		if k == 0 {
			// Byte by byte once: it is slow, and the buffering is the same for every option.
			set1, err1 := Read(iotest.OneByteReader(bytes.NewReader(data)), "fuzz", opts)
			if fmt.Sprint(err) != fmt.Sprint(err1) || !reflect.DeepEqual(set, set1) {
				t.Fatalf("%+v: reading at once and byte by byte differ:\n%v\n%v", opts, err, err1)
			}
		}
		rep, ierr := Inspect(bytes.NewReader(data), "fuzz", opts)
		if ierr != nil && err == nil {
			t.Fatalf("%+v: Inspect failed (%v) where Read did not", opts, ierr)
		}
		for _, e := range []error{err, ierr} {
			if e == nil {
				continue
			}
			var pe *ParseError
			if !errors.As(e, &pe) {
				if strings.Contains(e.Error(), "not in the file") {
					continue // a selected series that is absent
				}
				t.Fatalf("%+v: error %#v is not a *ParseError", opts, e)
			}
			if pe.Name != "fuzz" || pe.Line < 1 || pe.Line > lines+1 || pe.Msg == "" {
				t.Fatalf("%+v: error %q names line %d, want 1..%d and a message", opts, e, pe.Line, lines+1)
			}
		}
		if err != nil {
			continue
		}
		if rep != nil && len(rep.Series) != len(set.Traces) {
			t.Fatalf("%+v: Inspect found %d series, Read %d", opts, len(rep.Series), len(set.Traces))
		}
		for _, tr := range set.Traces {
			if err := tr.check(); err != nil {
				t.Fatalf("%+v: broken trace: %v", opts, err)
			}
			for _, repeat := range []bool{false, true} {
				s := tr.Series(repeat)
				for i, at := range tr.Times {
					if got := s.At(at); got != tr.Values[i] {
						t.Fatalf("%+v: Series(%v).At(%v) = %v, want %v", opts, repeat, at, got, tr.Values[i])
					}
				}
				if in := s.(Integrator); len(tr.Times) > 1 {
					last := tr.Times[len(tr.Times)-1]
					if v := in.Integral(0, last); v < 0 || v != v {
						t.Fatalf("%+v: integral %v over a trace of values >= 0", opts, v)
					}
				}
			}
		}
	}
}

func FuzzAlibabaMachine(f *testing.F) {
	f.Add([]byte("m_1,0,41,92,,,43.04,33.08,5\nm_1,60,43,92,,,43.04,33.08,5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatAlibabaMachine})
		checkParse(t, data, Options{Format: FormatAlibabaMachine, Column: "disk_io_percent", Series: []string{"m_1"}})
	})
}

func FuzzAlibabaContainer(f *testing.F) {
	f.Add([]byte("c_1,m_1,0,20,50,1.2,3.1,2,10.5,9.8,4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatAlibabaContainer})
		checkParse(t, data, Options{Format: FormatAlibabaContainer, SeriesBy: "machine_id"})
	})
}

func FuzzGoogle2011(f *testing.F) {
	f.Add([]byte("600000000,900000000,3418309,0,4155527081,0.001562,0.06787,0.07568,0.001156,0.001503,0.06787,2.861e-06,0.0001869,0.03967,0.0003567,2.445,0.007243,0,1,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatGoogle2011})
		checkParse(t, data, Options{Format: FormatGoogle2011, SeriesBy: "job_id", Column: "cycles_per_instruction"})
	})
}

func FuzzGoogle2019(f *testing.F) {
	f.Add([]byte("start_time,collection_id,instance_index,average_usage\n300000000,1,0,\"{'cpus': 0.1, 'memory': 0.2}\"\n"))
	f.Add([]byte("avg_cpu,avg_mem\n0.44,0.33\n0.43,0.32\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatGoogle2019})
		checkParse(t, data, Options{Format: FormatGoogle2019, Column: "avg_mem"})
	})
}

func FuzzAzure(f *testing.F) {
	f.Add([]byte("0,vm1,2.05,3.91,2.86\n300,vm1,1.6,8.8,3.2\n"))
	counts := map[string]float64{"vm1": 2, "vm2": 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatAzureV1})
		checkParse(t, data, Options{Format: FormatAzureV2, Column: "max_cpu_cores", CoreCounts: counts})
	})
}

func FuzzVMTable(f *testing.F) {
	f.Add([]byte("vm1,s,d,0,2591700,99.3,3.4,10.1,Delay-insensitive,1,1.75\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxBytes {
			t.Skip()
		}
		for _, format := range []string{FormatAzureV1, FormatAzureV2} {
			m, err := ReadVMTable(bytes.NewReader(data), "fuzz", format, nil)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line < 1 {
					t.Fatalf("error %v is not a *ParseError with a line", err)
				}
				continue
			}
			for id, c := range m {
				if !(c > 0) && (format == FormatAzureV1 || c == c) {
					t.Fatalf("VM %q has %v cores", id, c)
				}
			}
		}
	})
}

func FuzzBitbrains(f *testing.F) {
	f.Add([]byte("Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s];\tDisk write throughput [KB/s];\tNetwork received throughput [KB/s];\tNetwork transmitted throughput [KB/s]\n" +
		"1376314846;\t1;\t2599.999309;\t19.06;\t0.73;\t2097152.0;\t110448.5;\t0.0;\t1.46;\t0.0;\t0.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatBitbrains})
		checkParse(t, data, Options{Format: FormatBitbrains, Column: "cpu_usage_cores"})
	})
}

func FuzzCounts(f *testing.F) {
	f.Add([]byte("1 0 0 3 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatCounts})
		checkParse(t, data, Options{Format: FormatCounts, Interval: time.Minute})
	})
}

func FuzzCountCSV(f *testing.F) {
	f.Add([]byte("period,count\n1998-04-30 21:30:00,2\n1998-04-30 21:31:00,11\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatCountCSV})
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("timestamp,host,cpu\n0,a,1\n0,b,2\n60,a,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatCSV, Column: "cpu"})
		checkParse(t, data, Options{Format: FormatCSV, Column: "cpu", SeriesBy: "host"})
	})
}

func FuzzPrometheus(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"pod":"a"},"values":[[1700000000,"0.5"],[1700000015,"0.7"]]}]}}`))
	f.Add([]byte(`[{"metric":{},"values":[[1.5,"1"]]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data, Options{Format: FormatPrometheus})
		checkParse(t, data, Options{Format: FormatPrometheus, SeriesBy: "pod"})
	})
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte("m_1,0,41,92,,,43.04,33.08,5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format, why, err := Detect(data)
		if err == nil {
			if _, ok := LookupFormat(format); !ok || why == "" {
				t.Fatalf("Detect = %q (%q), not a format with a reason", format, why)
			}
		}
	})
}
