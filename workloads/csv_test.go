package workloads

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"
	"time"
)

// s is shorthand for whole seconds in expected traces.
func s(sec float64) time.Duration { return time.Duration(sec * float64(time.Second)) }

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		tcol, vcol string // default "t" and "v"
		want       *Trace // nil when an error is expected
		wantErr    string
	}{
		// Good input.
		{name: "simple", in: "t,v\n0,1\n300,2.5\n",
			want: &Trace{Times: []time.Duration{0, s(300)}, Values: []float64{1, 2.5}}},
		{name: "no final newline", in: "t,v\n0,1\n300,2.5",
			want: &Trace{Times: []time.Duration{0, s(300)}, Values: []float64{1, 2.5}}},
		{name: "first time becomes 0, fractions kept", in: "t,v\n100,1\n100.5,2\n160,3\n",
			want: &Trace{Times: []time.Duration{0, 500 * time.Millisecond, s(60)}, Values: []float64{1, 2, 3}}},
		{name: "unix seconds", in: "t,v\n1376314846,1\n1376315146,2\n",
			want: &Trace{Times: []time.Duration{0, s(300)}, Values: []float64{1, 2}}},
		{name: "nanosecond rounding", in: "t,v\n0,1\n0.0000000015,2\n",
			want: &Trace{Times: []time.Duration{0, 2}, Values: []float64{1, 2}}},
		{name: "fractional unix times are exact", in: "t,v\n1700000000.123,1\n1700000015.123,2\n1700000030.1229999995,3\n",
			want: &Trace{Times: []time.Duration{0, s(15), s(30)}, Values: []float64{1, 2, 3}}},
		{name: "halves round up", in: "t,v\n0.0000000025,1\n0.00000000749999,2\n",
			want: &Trace{Times: []time.Duration{0, 4}, Values: []float64{1, 2}}},
		{name: "exponent, whole seconds", in: "t,v\n1.376314846e9,1\n1.376315146E+9,2\n",
			want: &Trace{Times: []time.Duration{0, s(300)}, Values: []float64{1, 2}}},
		{name: "MaxTime", in: "t,v\n0,1\n4000000000,2\n",
			want: &Trace{Times: []time.Duration{0, MaxTime}, Values: []float64{1, 2}}},
		{name: "columns by name, others ignored", in: "x,v,t\nfoo,1,0\nbar,2,10\n",
			want: &Trace{Times: []time.Duration{0, s(10)}, Values: []float64{1, 2}}},
		{name: "CRLF, BOM, spaces, quotes", in: "\uFEFF t , x ,v\r\n\"0\",\"a,b\", 1\r\n 60 ,b,2 \r\n",
			want: &Trace{Times: []time.Duration{0, s(60)}, Values: []float64{1, 2}}},
		{name: "blank lines skipped", in: "\nt,v\n\n0,1\n\n5,2\n\n",
			want: &Trace{Times: []time.Duration{0, s(5)}, Values: []float64{1, 2}}},
		{name: "exponents, signs, zeros", in: "t,v\n+0,-0\n1e1,1.5E3\n20,0.0\n",
			want: &Trace{Times: []time.Duration{0, s(10), s(20)}, Values: []float64{0, 1500, 0}}},
		{name: "one sample", in: "t,v\n42,7\n",
			want: &Trace{Times: []time.Duration{0}, Values: []float64{7}}},
		{name: "same column twice in the request", in: "t,v\n0,1\n5,2\n", vcol: "t",
			want: &Trace{Times: []time.Duration{0, s(5)}, Values: []float64{0, 5}}},

		// The header.
		{name: "empty", in: "",
			wantErr: `t.csv:1: no header row (the input is empty or blank), want a header row naming the columns "t" and "v"`},
		{name: "blank", in: "\n\n",
			wantErr: `t.csv:1: no header row (the input is empty or blank), want a header row naming the columns "t" and "v"`},
		{name: "no time column", in: "timestamp,cpu_usage,assigned_mem\n0,1,2\n", vcol: "cpu_usage",
			wantErr: `t.csv:1: no time column "t" in the header, which has "timestamp", "cpu_usage", "assigned_mem"`},
		{name: "no value column", in: "\n\nt,cpu\n0,1\n",
			wantErr: `t.csv:3: no value column "v" in the header, which has "t", "cpu"`},
		{name: "column named twice", in: "t,v,v\n0,1,2\n",
			wantErr: `t.csv:1: value column "v" appears twice in the header (fields 2 and 3), want it once`},
		{name: "header only", in: "t,v\n",
			wantErr: `t.csv:2: no samples after the header, want at least one row`},
		{name: "header only, no newline", in: "t,v",
			wantErr: `t.csv:2: no samples after the header, want at least one row`},

		// CSV structure.
		{name: "too few fields", in: "t,v\n0,1\n5\n",
			wantErr: `t.csv:3: row has 1 field, want 2 like the header`},
		{name: "too many fields", in: "t,v\n0,1\n5,2,3\n",
			wantErr: `t.csv:3: row has 3 fields, want 2 like the header`},
		{name: "bare quote", in: "t,v\n0,1\n5,2\"\n",
			wantErr: `t.csv:3: quote (") inside an unquoted field at byte 4 of the line, want the whole field quoted and inner quotes doubled, as in "a""b"`},
		{name: "unterminated quote", in: "t,v\n0,1\n5,\"2\n",
			wantErr: `t.csv:3: quoted field not closed, or text after its closing quote, at byte 6 of the line, want "..." followed by a comma or the end of the line`},
		{name: "text after closing quote", in: "t,v\n0,1\n5,\"2\"x\n",
			wantErr: `t.csv:3: quoted field not closed, or text after its closing quote, at byte 5 of the line, want "..." followed by a comma or the end of the line`},
		{name: "value on the second line of a quoted record", in: "t,v\n\"0\n\",x\n",
			wantErr: `t.csv:3: value "x" in column "v" is not a decimal number, want a decimal number >= 0`},

		// Times.
		{name: "time not a number", in: "t,v\n0,1\nabc,2\n",
			wantErr: `t.csv:3: time "abc" in column "t" is not a decimal number, want seconds from the trace start, a decimal number >= 0`},
		{name: "time empty", in: "t,v\n,1\n",
			wantErr: `t.csv:2: time in column "t" is empty, want seconds from the trace start, a decimal number >= 0`},
		{name: "time negative", in: "t,v\n-5,1\n",
			wantErr: `t.csv:2: time "-5" in column "t" is negative, want seconds from the trace start, a decimal number >= 0`},
		{name: "time NaN", in: "t,v\nNaN,1\n",
			wantErr: `t.csv:2: time "NaN" in column "t" is not finite, want seconds from the trace start, a decimal number >= 0`},
		{name: "time overflows float64", in: "t,v\n1e400,1\n",
			wantErr: `t.csv:2: time "1e400" in column "t" is not finite, want seconds from the trace start, a decimal number >= 0`},
		{name: "time in milliseconds", in: "t,v\n1376314846000,1\n",
			wantErr: `t.csv:2: time "1376314846000" in column "t" is beyond MaxTime (4000000000 s, about 126 years), want seconds (times in milliseconds or finer overflow it)`},
		{name: "time just beyond MaxTime", in: "t,v\n0,1\n4000000000.000000001,2\n",
			wantErr: `t.csv:3: time "4000000000.000000001" in column "t" is beyond MaxTime (4000000000 s, about 126 years), want seconds (times in milliseconds or finer overflow it)`},
		{name: "time hexadecimal", in: "t,v\n0x1p3,1\n",
			wantErr: `t.csv:2: time "0x1p3" in column "t" is not a decimal number, want seconds from the trace start, a decimal number >= 0`},
		{name: "time out of order", in: "t,v\n0,1\n300,2\n200,3\n",
			wantErr: `t.csv:4: time "200" is before time "300" on line 3, want rows sorted by time (this reader does not sort)`},
		{name: "time repeated", in: "t,v\n0,1\n300,2\n300,3\n",
			wantErr: `t.csv:4: time "300" repeats time "300" on line 3, want one row per time (this reader does not merge duplicates)`},
		{name: "time repeated at ns resolution", in: "t,v\n0,1\n1,2\n1.0000000001,3\n",
			wantErr: `t.csv:4: time "1.0000000001" repeats time "1" on line 3 at nanosecond resolution, want one row per time (this reader does not merge duplicates)`},
		{name: "time repeated spelt differently", in: "t,v\n0,1\n1e2,2\n100.0,3\n",
			wantErr: `t.csv:4: time "100.0" repeats time "1e2" on line 3 at nanosecond resolution, want one row per time (this reader does not merge duplicates)`},

		// Values.
		{name: "value not a number", in: "t,v\n0,1\n5,high\n",
			wantErr: `t.csv:3: value "high" in column "v" is not a decimal number, want a decimal number >= 0`},
		{name: "value empty", in: "t,v\n0,\n",
			wantErr: `t.csv:2: value in column "v" is empty, want a decimal number >= 0`},
		{name: "value negative", in: "t,v\n0,-0.5\n",
			wantErr: `t.csv:2: value "-0.5" in column "v" is negative, want a decimal number >= 0`},
		{name: "value Inf", in: "t,v\n0,+Inf\n",
			wantErr: `t.csv:2: value "+Inf" in column "v" is not finite, want a decimal number >= 0`},
		{name: "value nan", in: "t,v\n0,nan\n",
			wantErr: `t.csv:2: value "nan" in column "v" is not finite, want a decimal number >= 0`},
		{name: "value with digit separators", in: "t,v\n0,1_000\n",
			wantErr: `t.csv:2: value "1_000" in column "v" is not a decimal number, want a decimal number >= 0`},
		{name: "long field is cut in the message", in: "t,v\n0," + strings.Repeat("x", 100) + "\n",
			wantErr: `t.csv:2: value "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"... in column "v" is not a decimal number, want a decimal number >= 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tcol, vcol := "t", "v"
			if tt.tcol != "" {
				tcol = tt.tcol
			}
			if tt.vcol != "" {
				vcol = tt.vcol
			}
			got, err := ReadCSV(strings.NewReader(tt.in), "t.csv", tcol, vcol)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ReadCSV(%q) = %+v, want error %q", tt.in, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Fatalf("ReadCSV(%q) error:\n got %s\nwant %s", tt.in, err, tt.wantErr)
				}
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Name != "t.csv" {
					t.Errorf("error %#v is not a *ParseError named t.csv", err)
				}
				if got != nil {
					t.Errorf("ReadCSV returned a trace with an error: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadCSV(%q): %v", tt.in, err)
			}
			tt.want.Name = "t.csv"
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadCSV(%q):\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

// TestReadCSVLimits lowers the limits, so it must not run in parallel with other tests.
func TestReadCSVLimits(t *testing.T) {
	defer func(in int64, line, samples int) {
		maxInputBytes, maxLineBytes, maxSamples = in, line, samples
	}(maxInputBytes, maxLineBytes, maxSamples)

	tests := []struct {
		name                string
		in                  string
		input, line, sample int
		wantErr             string
	}{
		{name: "samples", in: "t,v\n0,1\n1,2\n2,3\n", sample: 2,
			wantErr: `t.csv:4: more than 2 samples (MaxSamples), resample or cut the trace`},
		{name: "samples at the limit", in: "t,v\n0,1\n1,2\n", sample: 2},
		{name: "line", in: "t,v\n0,1\n1,1111111111111111111\n2,2\n", line: 16,
			wantErr: `t.csv:3: line longer than 16 bytes (MaxLineBytes), want one sample per line`},
		{name: "line without newline", in: "t,v\n0,1\n1,1111111111111111111", line: 16,
			wantErr: `t.csv:3: line longer than 16 bytes (MaxLineBytes), want one sample per line`},
		{name: "line at the limit", in: "t,v\n0,1\n1,11111111111111\n", line: 16},
		{name: "header line", in: "t,v" + strings.Repeat(",x", 100) + "\n0,1\n", line: 16,
			wantErr: `t.csv:1: line longer than 16 bytes (MaxLineBytes), want one sample per line`},
		{name: "input", in: "t,v\n0,1\n1,2\n2,3\n3,4\n5,6\n", input: 20,
			wantErr: `t.csv:6: input larger than 20 bytes (MaxInputBytes), resample or cut the trace`},
		{name: "input at the limit", in: "t,v\n0,1\n1,2\n2,3\n3,4\n", input: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxInputBytes, maxLineBytes, maxSamples = MaxInputBytes, MaxLineBytes, MaxSamples
			if tt.input > 0 {
				maxInputBytes = int64(tt.input)
			}
			if tt.line > 0 {
				maxLineBytes = tt.line
			}
			if tt.sample > 0 {
				maxSamples = tt.sample
			}
			// One byte at a time as well as all at once: the limits must not depend on how the
			// input arrives.
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				_, err := ReadCSV(r, "t.csv", "t", "v")
				got := ""
				if err != nil {
					got = err.Error()
				}
				if got != tt.wantErr {
					t.Errorf("ReadCSV(%q) error:\n got %s\nwant %s", tt.in, got, tt.wantErr)
				}
			}
		})
	}
}

func TestReadCSVReadError(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		r       io.Reader
		wantErr string
	}{
		{"at once", iotest.ErrReader(boom), "t.csv:1: read: boom"},
		{"after rows", io.MultiReader(strings.NewReader("t,v\n0,1\n"), iotest.ErrReader(boom)), "t.csv:3: read: boom"},
		{"with data", iotest.DataErrReader(iotest.ErrReader(boom)), "t.csv:1: read: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(tt.r, "t.csv", "t", "v")
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("ReadCSV error = %v, want %s", err, tt.wantErr)
			}
			if !errors.Is(err, boom) {
				t.Errorf("errors.Is(%v, boom) = false, want the read error wrapped", err)
			}
		})
	}
}

// endless serves a header and then rows forever, counting the bytes it served.
type endless struct {
	header string
	served int
	next   int // time of the next row
	buf    []byte
}

func (e *endless) Read(p []byte) (int, error) {
	for len(e.buf) < len(p) {
		if e.header != "" {
			e.buf = append(e.buf, e.header...)
			e.header = ""
			continue
		}
		e.buf = fmt.Appendf(e.buf, "%d,1\n", e.next)
		e.next++
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	e.served += n
	return n, nil
}

// TestReadCSVStreams checks that ReadCSV reads no more than it needs to find an error.
func TestReadCSVStreams(t *testing.T) {
	e := &endless{header: "time,cpu\n"}
	_, err := ReadCSV(e, "t.csv", "t", "v")
	if want := `t.csv:1: no time column "t" in the header, which has "time", "cpu"`; err == nil || err.Error() != want {
		t.Fatalf("ReadCSV error = %v, want %s", err, want)
	}
	if e.served > 64<<10 {
		t.Errorf("ReadCSV read %d bytes to find an error on line 1, want it to stop early", e.served)
	}
}

func TestReadCSVRealTrace(t *testing.T) {
	want, err := OpenCSV(os.DirFS("testdata"), "azure-v2-1day.csv", "timestamp", "cpu_usage")
	if err != nil {
		t.Fatal(err)
	}
	if want.Name != "azure-v2-1day.csv" {
		t.Errorf("Name = %q, want the path", want.Name)
	}
	if n := len(want.Times); n != 288 {
		t.Fatalf("%d samples, want 288 (one day at 5 minutes)", n)
	}
	if got := want.Times[287]; got != 86100*time.Second {
		t.Errorf("last time = %v, want 23h55m", got)
	}
	if got := want.Values[0]; got != 6135515.87712279 {
		t.Errorf("first value = %v, want 6135515.87712279", got)
	}
	if got := want.Max(); got != 6941479.684204979 {
		t.Errorf("Max = %v, want 6941479.684204979", got)
	}
	// The other column parses too.
	mem, err := OpenCSV(os.DirFS("testdata"), "azure-v2-1day.csv", "timestamp", "assigned_mem")
	if err != nil {
		t.Fatal(err)
	}
	if got := mem.Values[0]; got != 2002296 {
		t.Errorf("assigned_mem[0] = %v, want 2002296", got)
	}

	// However the bytes arrive, the result is the same.
	data, err := os.ReadFile("testdata/azure-v2-1day.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(strings.NewReader(string(data))),
		"half":     iotest.HalfReader(strings.NewReader(string(data))),
	} {
		got, err := ReadCSV(r, "azure-v2-1day.csv", "timestamp", "cpu_usage")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the trace differs from reading the file at once", name)
		}
	}
}

func TestOpenCSV(t *testing.T) {
	fsys := fstest.MapFS{
		"traces/good.csv": {Data: []byte("t,v\n0,1\n60,2\n")},
		"traces/bad.csv":  {Data: []byte("t,v\n0,1\n60,-2\n")},
	}
	got, err := OpenCSV(fsys, "traces/good.csv", "t", "v")
	if err != nil {
		t.Fatal(err)
	}
	want := &Trace{Name: "traces/good.csv", Times: []time.Duration{0, time.Minute}, Values: []float64{1, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OpenCSV = %+v, want %+v", got, want)
	}

	_, err = OpenCSV(fsys, "traces/bad.csv", "t", "v")
	if want := `traces/bad.csv:3: value "-2" in column "v" is negative, want a decimal number >= 0`; err == nil || err.Error() != want {
		t.Errorf("OpenCSV error = %v, want %s", err, want)
	}

	_, err = OpenCSV(fsys, "traces/missing.csv", "t", "v")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenCSV of a missing file: error %v, want fs.ErrNotExist", err)
	}
}

func ExampleReadCSV() {
	in := "timestamp,cpu_usage\n1000,1.5\n1300,2\n1600,0.5\n"
	tr, err := ReadCSV(strings.NewReader(in), "web.csv", "timestamp", "cpu_usage")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Times, tr.Values)
	s := tr.Series(true) // loops every 900 s: the last time plus one 300 s step
	fmt.Println(s.At(0), s.At(7*time.Minute), s.At(14*time.Minute), s.At(15*time.Minute))

	_, err = ReadCSV(strings.NewReader("timestamp,cpu_usage\n0,1\n0,2\n"), "web.csv", "timestamp", "cpu_usage")
	fmt.Println(err)
	// Output:
	// [0s 5m0s 10m0s] [1.5 2 0.5]
	// 1.5 2 0.5 1.5
	// web.csv:3: time "0" repeats time "0" on line 2, want one row per time (this reader does not merge duplicates)
}

func BenchmarkReadCSV(b *testing.B) {
	data, err := os.ReadFile("testdata/azure-v2-1day.csv")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCSV(strings.NewReader(string(data)), "azure-v2-1day.csv", "timestamp", "cpu_usage"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDurationMatchesFloat checks the exact decimal conversion against the float one: they
// agree to within the float's own error.
func TestDurationMatchesFloat(t *testing.T) {
	const seed = 3
	rng := rand.New(rand.NewPCG(seed, 0))
	for range 100_000 {
		text := strconv.FormatUint(rng.Uint64N(4_000_000_000), 10)
		if rng.IntN(2) == 0 {
			text = strconv.FormatUint(rng.Uint64N(1000), 10)
		}
		if rng.IntN(4) > 0 {
			frac := make([]byte, 1+rng.IntN(14))
			for i := range frac {
				frac[i] = byte('0' + rng.IntN(10))
			}
			text += "." + string(frac)
		}
		sec, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatal(err)
		}
		got, viaFloat := duration(text, sec), time.Duration(math.Round(sec*1e9))
		// The float is off by up to half an ulp of sec (parsing), half an ulp of the product and
		// half a nanosecond (its rounding); the exact one by half a nanosecond.
		slack := (math.Nextafter(sec, math.Inf(1))-sec)*1e9/2 + (math.Nextafter(sec*1e9, math.Inf(1))-sec*1e9)/2 + 1
		if diff := math.Abs(float64(got - viaFloat)); diff > slack {
			t.Fatalf("seed %d: duration(%q) = %d ns, the float gives %d ns", seed, text, got, viaFloat)
		}
	}
}
