package workloads

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// series is shorthand for expected samples: "0:1 60:2" is 1 at 0 s and 2 at 60 s.
func parseSamples(t *testing.T, s string) ([]time.Duration, []float64) {
	t.Helper()
	var ts []time.Duration
	var vs []float64
	for _, f := range strings.Fields(s) {
		a, b, _ := strings.Cut(f, ":")
		ts = append(ts, secs(atof(t, a)))
		vs = append(vs, atof(t, b))
	}
	return ts, vs
}

// TestReadPolicies runs each policy on small generic CSV inputs with a series column.
func TestReadPolicies(t *testing.T) {
	const head = "timestamp,host,cpu\n"
	tests := []struct {
		name string
		in   string
		opts Options
		want map[string]string // series → samples (times relative to the series' start)
		err  string            // the whole error message, when one is expected
	}{
		{name: "two series, in order",
			in:   head + "100,a,1\n100,b,5\n160,a,2\n160,b,6\n",
			want: map[string]string{"a": "0:1 60:2", "b": "0:5 60:6"}},
		{name: "series selected in a given order",
			in:   head + "100,a,1\n100,b,5\n160,a,2\n160,b,6\n",
			opts: Options{Series: []string{"b"}},
			want: map[string]string{"b": "0:5 60:6"}},
		{name: "a selected series is missing",
			in:   head + "100,a,1\n",
			opts: Options{Series: []string{"a", "z"}},
			err:  `t.csv: series "z" not in the file (column cpu); selected series found: "a"`},

		// Out of order.
		{name: "out of order: error",
			in:  head + "100,a,1\n160,a,2\n130,a,3\n",
			err: `t.csv:4: time 130 of series "a" is before 160 on line 3, want rows in time order within a series (outOfOrder: drop or sort accepts them)`},
		{name: "out of order: drop",
			in:   head + "100,a,1\n160,a,2\n130,a,3\n220,a,4\n",
			opts: Options{OutOfOrder: OrderDrop},
			want: map[string]string{"a": "0:1 60:2 120:4"}},
		{name: "out of order: sort",
			in:   head + "100,a,1\n160,a,2\n130,a,3\n220,a,4\n",
			opts: Options{OutOfOrder: OrderSort},
			want: map[string]string{"a": "0:1 30:3 60:2 120:4"}},
		{name: "order is per series",
			in:   head + "160,a,2\n100,b,1\n",
			want: map[string]string{"a": "0:2", "b": "0:1"}},

		// Duplicates.
		{name: "duplicate: error",
			in:  head + "100,a,1\n100,a,3\n",
			err: `t.csv:3: time 100 of series "a" repeats line 2, want one sample per time (duplicates: first, last, sum, mean or max merges them)`},
		{name: "duplicate: error after a sort names the second line",
			in:   head + "100,a,1\n160,a,2\n100,a,3\n",
			opts: Options{OutOfOrder: OrderSort},
			err:  `t.csv:4: time 100 of series "a" repeats line 2, want one sample per time (duplicates: first, last, sum, mean or max merges them)`},
		{name: "duplicate: first", in: head + "100,a,1\n100,a,3\n160,a,2\n", opts: Options{Duplicates: DuplicateFirst},
			want: map[string]string{"a": "0:1 60:2"}},
		{name: "duplicate: last", in: head + "100,a,1\n100,a,3\n160,a,2\n", opts: Options{Duplicates: DuplicateLast},
			want: map[string]string{"a": "0:3 60:2"}},
		{name: "duplicate: sum", in: head + "100,a,1\n100,a,3\n160,a,2\n", opts: Options{Duplicates: DuplicateSum},
			want: map[string]string{"a": "0:4 60:2"}},
		{name: "duplicate: mean", in: head + "100,a,1\n100,a,3\n160,a,2\n", opts: Options{Duplicates: DuplicateMean},
			want: map[string]string{"a": "0:2 60:2"}},
		{name: "duplicate: max", in: head + "100,a,1\n100,a,3\n160,a,2\n", opts: Options{Duplicates: DuplicateMax},
			want: map[string]string{"a": "0:3 60:2"}},
		{name: "duplicates sorted together", in: head + "100,a,1\n160,a,2\n100,a,3\n", opts: Options{Duplicates: DuplicateSum, OutOfOrder: OrderSort},
			want: map[string]string{"a": "0:4 60:2"}},

		// Gaps: a 60 s step, one silence of 240 s.
		{name: "gap: hold",
			in:   head + "0,a,1\n60,a,2\n120,a,3\n360,a,6\n420,a,7\n",
			want: map[string]string{"a": "0:1 60:2 120:3 360:6 420:7"}},
		{name: "gap: zero",
			in:   head + "0,a,1\n60,a,2\n120,a,3\n360,a,6\n420,a,7\n",
			opts: Options{Gaps: GapZero},
			want: map[string]string{"a": "0:1 60:2 120:3 180:0 360:6 420:7"}},
		{name: "gap: interpolate",
			in:   head + "0,a,1\n60,a,2\n120,a,3\n360,a,6\n420,a,7\n",
			opts: Options{Gaps: GapInterpolate},
			want: map[string]string{"a": "0:1 60:2 120:3 180:3.75 240:4.5 300:5.25 360:6 420:7"}},
		{name: "gap: error",
			in:   head + "0,a,1\n60,a,2\n120,a,3\n360,a,6\n420,a,7\n",
			opts: Options{Gaps: GapError},
			err:  `t.csv:5: gap of 4m0s in series "a" from time 120 (line 4) to 360, longer than maxGap 1m30s (gaps: hold, interpolate or zero accepts it)`},
		{name: "gap: a larger maxGap accepts it",
			in:   head + "0,a,1\n60,a,2\n120,a,3\n360,a,6\n420,a,7\n",
			opts: Options{Gaps: GapError, MaxGap: 5 * time.Minute},
			want: map[string]string{"a": "0:1 60:2 120:3 360:6 420:7"}},
		{name: "gap: the step given fills",
			in:   head + "0,a,1\n60,a,2\n120,a,3\n360,a,6\n420,a,7\n",
			opts: Options{Gaps: GapInterpolate, Step: 2 * time.Minute},
			want: map[string]string{"a": "0:1 60:2 120:3 240:4.5 360:6 420:7"}},

		// Invalid rows.
		{name: "invalid: error",
			in:  head + "0,a,1\n60,a,lots\n",
			err: `t.csv:3: value "lots" in column cpu is not a decimal number, want a number >= 0`},
		{name: "invalid: skip",
			in:   head + "0,a,1\n60,a,lots\n90,a,\n120,a,2\n180,,3\n240,a,-1\n300,a,4,5\n360,a,Inf\n",
			opts: Options{Invalid: InvalidSkip, MaxGap: time.Hour},
			want: map[string]string{"a": "0:1 120:2"}},
		{name: "invalid time",
			in:  head + "0,a,1\nnoon,a,1\n",
			err: `t.csv:3: time "noon" is neither seconds nor a date-time, want e.g. 1998-05-01 00:00:00 (UTC) or 2006-01-02T15:04:05Z`},
		{name: "date-times",
			in:   head + "2024-03-01 10:00:00,a,1\n2024-03-01T10:01:00Z,a,2\n",
			want: map[string]string{"a": "0:1 60:2"}},
		{name: "a series with an empty name",
			in:  head + "0,,1\n",
			err: `t.csv:2: series column host is empty, want a name for the series`},
		{name: "field count",
			in:  head + "0,a\n",
			err: `t.csv:2: row has 2 fields, want 3 (the header's columns)`},
		{name: "empty",
			in:  "",
			err: `t.csv:1: no header row (the input is empty or blank), want a header row naming the columns`},
		{name: "no samples",
			in:  head,
			err: `t.csv:1: no samples, want at least one row of data`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Format, opts.Column, opts.SeriesBy = FormatCSV, "cpu", "host"
			for _, r := range []func(string) *strings.Reader{strings.NewReader} {
				set, err := Read(r(tt.in), "t.csv", opts)
				// Byte by byte, the same answer.
				set1, err1 := Read(iotest.OneByteReader(r(tt.in)), "t.csv", opts)
				if fmt.Sprint(err) != fmt.Sprint(err1) || !reflect.DeepEqual(set, set1) {
					t.Fatalf("reading at once and byte by byte differ: %v / %v", err, err1)
				}
				if tt.err != "" {
					if err == nil || err.Error() != tt.err {
						t.Fatalf("error %v\nwant  %s", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(set.Traces) != len(tt.want) {
					t.Fatalf("%d series, want %d", len(set.Traces), len(tt.want))
				}
				for _, tr := range set.Traces {
					wt, wv := parseSamples(t, tt.want[tr.ID])
					if !reflect.DeepEqual(tr.Times, wt) || !equalFloats(tr.Values, wv) {
						t.Errorf("series %s: %v %v, want %v %v", tr.ID, tr.Times, tr.Values, wt, wv)
					}
				}
			}
		})
	}
}

func TestReadIssues(t *testing.T) {
	in := "timestamp,cpu\n0,1\n60,1\n60,2\n30,5\n120,1\n400,1\n460,1\n1000,1\n"
	set, err := Read(strings.NewReader(in), "t.csv", Options{Format: FormatCSV, Column: "cpu", Duplicates: DuplicateLast, OutOfOrder: OrderDrop})
	if err != nil {
		t.Fatal(err)
	}
	want := Issues{Gaps: 2, Duplicates: 1, OutOfOrder: 1, FirstGap: 7, FirstDuplicate: 4, FirstOutOfOrder: 5, LongestGap: 540 * time.Second}
	if got := set.Issues[0]; got != want {
		t.Errorf("issues %+v\nwant   %+v", got, want)
	}
	// Sorting the rows counts them as dropping them does.
	sorted, err := Read(strings.NewReader(in), "t.csv", Options{Format: FormatCSV, Column: "cpu", Duplicates: DuplicateLast, OutOfOrder: OrderSort})
	if err != nil {
		t.Fatal(err)
	}
	if got := sorted.Issues[0]; got.OutOfOrder != want.OutOfOrder || got.FirstOutOfOrder != want.FirstOutOfOrder {
		t.Errorf("sort: issues %+v, want the out-of-order count and line of drop", got)
	}
	many := "timestamp,cpu\n0,1\n100,1\n50,2\n60,5\n70,1\n200,1\n"
	for _, o := range []OrderPolicy{OrderDrop, OrderSort} {
		set, err := Read(strings.NewReader(many), "t.csv", Options{Format: FormatCSV, Column: "cpu", OutOfOrder: o})
		if err != nil {
			t.Fatal(err)
		}
		if got := set.Issues[0]; got.OutOfOrder != 3 || got.FirstOutOfOrder != 4 {
			t.Errorf("%s: %d out of order, first on line %d; want 3, first on line 4", o, got.OutOfOrder, got.FirstOutOfOrder)
		}
	}
	// Inspect counts the same flaws without a policy.
	rep, err := Inspect(strings.NewReader(in), "t.csv", Options{Format: FormatCSV, Column: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Series[0]
	if s.Gaps != 2 || s.FirstGap != 7 || s.Duplicates != 1 || s.FirstDuplicate != 4 || s.OutOfOrder != 1 || s.FirstOutOfOrder != 5 || s.Samples != 8 {
		t.Errorf("inspect %+v", s)
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		opts Options
		in   string
		err  string
	}{
		{Options{}, "x", `t: no trace format given; allowed: alibaba-container, alibaba-machine, azure-v1, azure-v2, bitbrains, count-csv, counts, csv, google2011-task, google2019-instance, prometheus`},
		{Options{Format: "parquet"}, "x", `t: unknown trace format "parquet"; allowed: alibaba-container`},
		{Options{Format: FormatAlibabaMachine, Column: "cpu"}, "x", `t: alibaba-machine has no column "cpu"; columns: cpu_util_percent, mem_util_percent`},
		{Options{Format: FormatAlibabaMachine, SeriesBy: "time_stamp"}, "x", `t: "time_stamp" cannot name a series of alibaba-machine; allowed: machine_id`},
		{Options{Format: FormatAlibabaMachine, Gaps: "fill"}, "x", `t: gap policy "fill" is not allowed; allowed: hold, interpolate, zero, error`},
		{Options{Format: FormatAlibabaMachine, Unit: UnitCores}, "x", `t: format alibaba-machine defines its columns' units`},
		{Options{Format: FormatCSV, Unit: "watts"}, "x", `t: unit "watts" is not allowed; allowed: cores, percent, normalized, MHz, requests, requests/s`},
		{Options{Format: FormatCSV, Series: []string{"a", "a"}}, "x", `t: series "a" is selected twice`},
		{Options{Format: FormatAzureV1, Column: "avg_cpu_cores"}, "x", `t: column avg_cpu_cores needs the VMs' core counts: give the vmtable file`},
		{Options{Format: FormatCSV}, "timestamp,cpu\n", `t:1: no value column named; the header has "timestamp", "cpu"`},
		{Options{Format: FormatCSV, Column: "cpu", TimeColumn: "t"}, "timestamp,cpu\n", `t:1: no time column "t" in the header, which has "timestamp", "cpu"`},
		{Options{Format: FormatBitbrains}, "Timestamp [s];\tCPU cores\n", `t:1: header has 2 fields, want the 11 of a GWA-T-12 file`},
		{Options{Format: FormatAlibabaMachine}, "m_1,10,50\n", `t:1: row has 3 fields, want 9 (alibaba-machine: machine_id,time_stamp,`},
		{Options{Format: FormatGoogle2011}, strings.Repeat("x,", 19) + "x\n", `t:1: start_time "x" is not a whole number, want microseconds >= 0`},
		{Options{Format: FormatCounts}, "1 2 3.5\n", `t:1: value 3 ("3.5") is not a whole number, want a count of requests`},
		{Options{Format: FormatCounts}, "1 2\n-3\n", `t:2: value 3: value "-3" in column count is negative, want a number >= 0`},
		{Options{Format: FormatCountCSV}, "period,count\n1998-04-30 21:30:00,2.5\n", `t:2: count "2.5" is not a whole number, want a count of requests`},
		{Options{Format: FormatPrometheus}, `{"status":"error","errorType":"bad_data","error":"parse error"}`, `t:1: the query failed: status "error", errorType "bad_data", error "parse error"`},
		{Options{Format: FormatPrometheus}, `{"status":"success","data":{"resultType":"vector","result":[]}}`, `t:1: resultType is "vector", want "matrix"`},
		{Options{Format: FormatPrometheus}, "[\n{\"metric\":{},\n\"values\":[[1,\"2\"]\n", `t:3: the JSON ends early, want a complete query_range response`},
		{Options{Format: FormatPrometheus}, `[{"values":[[1,"2"]],"metric":{}}]`, `t:1: series 1 has "values" before "metric"`},
		{Options{Format: FormatPrometheus, SeriesBy: "pod"}, `[{"metric":{"job":"x"},"values":[[1,"2"]]}]`, `t:1: series 1 has no label "pod" to name it by; its labels: {job="x"}`},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.in), "t", tt.opts)
		if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
			t.Errorf("%+v on %q:\nerror %v\nwant  %s...", tt.opts, tt.in, err, tt.err)
		}
	}
}

// TestLongLines checks the line limit, and that the counts format is not bound by it.
func TestLongLines(t *testing.T) {
	defer func(n int) { maxLineBytes = n }(maxLineBytes)
	maxLineBytes = 100
	long := "timestamp,cpu\n0," + strings.Repeat("1", 200) + "\n"
	_, err := Read(strings.NewReader(long), "t.csv", Options{Format: FormatCSV, Column: "cpu"})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(pe.Msg, "line longer than 100 bytes") {
		t.Errorf("long line: %v", err)
	}
	counts := strings.Repeat("7 ", 1000) + "\n"
	set, err := Read(strings.NewReader(counts), "c.txt", Options{Format: FormatCounts})
	if err != nil || len(set.Traces[0].Values) != 1000 {
		t.Errorf("a long line of counts: %v", err)
	}
}

// TestLimits lowers MaxSamples and MaxSeries.
func TestLimits(t *testing.T) {
	defer func(a, b int) { maxSamples, maxSeries = a, b }(maxSamples, maxSeries)
	maxSamples, maxSeries = 3, 2
	in := "timestamp,host,cpu\n0,a,1\n0,b,1\n60,a,1\n60,b,1\n"
	_, err := Read(strings.NewReader(in), "t.csv", Options{Format: FormatCSV, Column: "cpu", SeriesBy: "host"})
	if err == nil || err.Error() != "t.csv:5: more than 3 samples (MaxSamples) in the series read; select fewer series or cut the trace" {
		t.Errorf("MaxSamples: %v", err)
	}
	in = "timestamp,host,cpu\n0,a,1\n0,b,1\n0,c,1\n"
	_, err = Inspect(strings.NewReader(in), "t.csv", Options{Format: FormatCSV, Column: "cpu", SeriesBy: "host"})
	if err == nil || err.Error() != "t.csv:4: more than 2 series (MaxSeries); select series or choose a coarser seriesBy" {
		t.Errorf("MaxSeries: %v", err)
	}
	// Filling gaps counts against MaxSamples too.
	maxSamples = 5
	_, err = Read(strings.NewReader("timestamp,cpu\n0,1\n1,1\n2,1\n100,1\n"), "t.csv", Options{Format: FormatCSV, Column: "cpu", Gaps: GapInterpolate})
	if err == nil || !strings.Contains(err.Error(), "passes MaxSamples (5)") {
		t.Errorf("filling: %v", err)
	}
}

func ExampleRead() {
	in := "timestamp,pod,cpu\n0,web-1,0.5\n0,web-2,0.25\n60,web-1,0.75\n60,web-2,0.5\n240,web-1,1.5\n"
	set, err := Read(strings.NewReader(in), "cpu.csv", Options{Format: FormatCSV, Column: "cpu", SeriesBy: "pod", Unit: UnitCores, Gaps: GapInterpolate})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, tr := range set.Traces {
		fmt.Println(tr.ID, tr.Unit, tr.Times, tr.Values, set.Issues[i].Gaps, "gap")
	}
	// Output:
	// web-1 cores [0s 1m0s 2m0s 3m0s 4m0s] [0.5 0.75 1 1.25 1.5] 1 gap
	// web-2 cores [0s 1m0s] [0.25 0.5] 0 gap
}
