package workloads

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real-format tests read the slices in testdata/ (see its README for where each comes from)
// with the package's readers, and check every series against a reference read in the test
// itself with strings.Split, encoding/csv or encoding/json: sample counts, first and last
// times, minimum, maximum, mean, and for Read every sample.

// refSeries is one series as the reference reads it: absolute times and values in file order.
type refSeries struct {
	times  []time.Duration
	values []float64
}

// refSet is a reference read: series in order of first appearance.
type refSet struct {
	order []string
	by    map[string]*refSeries
}

func (r *refSet) add(id string, t time.Duration, v float64) {
	if r.by == nil {
		r.by = map[string]*refSeries{}
	}
	s := r.by[id]
	if s == nil {
		s = &refSeries{}
		r.by[id] = s
		r.order = append(r.order, id)
	}
	s.times = append(s.times, t)
	s.values = append(s.values, v)
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("reference parse: %v", err)
	}
	return v
}

func secs(v float64) time.Duration { return time.Duration(math.Round(v * 1e9)) }

// lines splits a file into non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, "\r"))
		}
	}
	return out
}

// checkAgainst reads file with opts through Inspect and Read and compares both with ref.
func checkAgainst(t *testing.T, file string, opts Options, ref *refSet) {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(f, file, opts)
	f.Close()
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if len(rep.Series) != len(ref.order) {
		t.Fatalf("Inspect: %d series, want %d", len(rep.Series), len(ref.order))
	}
	for i, st := range rep.Series {
		id := ref.order[i]
		rs := ref.by[id]
		if st.Series != id {
			t.Fatalf("series %d is %q, want %q", i, st.Series, id)
		}
		mn, mx, sum := math.Inf(1), math.Inf(-1), 0.0
		start, end := rs.times[0], rs.times[0]
		for j, v := range rs.values {
			mn, mx, sum = math.Min(mn, v), math.Max(mx, v), sum+v
			start, end = min(start, rs.times[j]), max(end, rs.times[j])
		}
		mean := sum / float64(len(rs.values))
		if st.Samples != len(rs.values) || st.Start != start || st.End != end || st.Min != mn || st.Max != mx || !near(st.Mean, mean) {
			t.Errorf("series %q: Inspect samples %d, start %v, end %v, min %v, max %v, mean %v; reference %d, %v, %v, %v, %v, %v",
				id, st.Samples, st.Start, st.End, st.Min, st.Max, st.Mean, len(rs.values), start, end, mn, mx, mean)
		}
	}
	set, err := ReadFile(os.DirFS("testdata"), file, opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(set.Traces) != len(ref.order) {
		t.Fatalf("Read: %d series, want %d", len(set.Traces), len(ref.order))
	}
	for i, tr := range set.Traces {
		rs := ref.by[ref.order[i]]
		if tr.ID != ref.order[i] || tr.Start != rs.times[0] || len(tr.Times) != len(rs.times) {
			t.Fatalf("Read series %d: id %q, start %v, %d samples; want %q, %v, %d", i, tr.ID, tr.Start, len(tr.Times), ref.order[i], rs.times[0], len(rs.times))
		}
		for j := range tr.Times {
			if tr.Times[j] != rs.times[j]-rs.times[0] || tr.Values[j] != rs.values[j] {
				t.Fatalf("Read series %q sample %d: (%v, %v), want (%v, %v)", tr.ID, j, tr.Times[j], tr.Values[j], rs.times[j]-rs.times[0], rs.values[j])
			}
		}
		if err := tr.check(); err != nil {
			t.Fatalf("Read returned a broken trace: %v", err)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestAlibabaMachine(t *testing.T) {
	var ref refSet
	for _, l := range lines(readTestdata(t, "alibaba-machine-300rows.csv")) {
		f := strings.Split(l, ",")
		ref.add(f[0], secs(atof(t, f[1])), atof(t, f[2]))
	}
	if len(ref.order) != 2 || len(ref.by["m_1932"].values) != 150 {
		t.Fatalf("reference: %v", ref.order)
	}
	checkAgainst(t, "alibaba-machine-300rows.csv", Options{Format: FormatAlibabaMachine}, &ref)

	// Another column by name: net_out, field 8.
	var out refSet
	for _, l := range lines(readTestdata(t, "alibaba-machine-300rows.csv")) {
		f := strings.Split(l, ",")
		out.add(f[0], secs(atof(t, f[1])), atof(t, f[7]))
	}
	checkAgainst(t, "alibaba-machine-300rows.csv", Options{Format: FormatAlibabaMachine, Column: "net_out"}, &out)

	// The machine's irregular sampling: m_1932 has silences longer than 5 minutes.
	rep := inspectFile(t, "alibaba-machine-300rows.csv", Options{Format: FormatAlibabaMachine, Series: []string{"m_1932"}})
	gaps, first := 0, 0
	rs := ref.by["m_1932"]
	for i := 1; i < len(rs.times); i++ {
		if rs.times[i]-rs.times[i-1] > 5*time.Minute {
			gaps++
			if first == 0 {
				first = i + 1 // line of the sample after the gap (m_1932 is first in the file)
			}
		}
	}
	if s := rep.Series[0]; s.Gaps != gaps || s.FirstGap != first || gaps == 0 {
		t.Errorf("m_1932: %d gaps, first at line %d; reference %d at line %d", s.Gaps, s.FirstGap, gaps, first)
	}
}

func inspectFile(t *testing.T, file string, opts Options) *Report {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Inspect(f, file, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAlibabaContainer(t *testing.T) {
	// The synthetic file (testdata/README.md): c_2 has disk_io_percent -1 and 101, which the
	// schema calls abnormal, and c_3 an empty cpi.
	var ref refSet
	for _, l := range lines(readTestdata(t, "alibaba-container-synthetic.csv")) {
		f := strings.Split(l, ",")
		ref.add(f[0], secs(atof(t, f[2])), atof(t, f[3]))
	}
	checkAgainst(t, "alibaba-container-synthetic.csv", Options{Format: FormatAlibabaContainer}, &ref)

	_, err := ReadFile(os.DirFS("testdata"), "alibaba-container-synthetic.csv", Options{Format: FormatAlibabaContainer, Column: "disk_io_percent"})
	if want := `alibaba-container-synthetic.csv:4: value "-1" in column disk_io_percent is negative, want a number >= 0`; err == nil || err.Error() != want {
		t.Errorf("abnormal value: %v, want %s", err, want)
	}
	set, err := ReadFile(os.DirFS("testdata"), "alibaba-container-synthetic.csv", Options{Format: FormatAlibabaContainer, Column: "disk_io_percent", Invalid: InvalidSkip})
	if err != nil {
		t.Fatal(err)
	}
	if set.Skipped != 2 || set.FirstSkipped.Line != 4 || len(set.Traces[1].Values) != 2 {
		t.Errorf("skipping: %d skipped (first %v), c_2 has %d samples; want 2, line 4, 2", set.Skipped, set.FirstSkipped, len(set.Traces[1].Values))
	}
	_, err = ReadFile(os.DirFS("testdata"), "alibaba-container-synthetic.csv", Options{Format: FormatAlibabaContainer, Column: "cpi"})
	if want := `alibaba-container-synthetic.csv:10: value in column cpi is empty, want a decimal number >= 0`; err == nil || err.Error() != want {
		t.Errorf("empty value: %v, want %s", err, want)
	}
	// c_2's rows at 20 and 30 are in order, but its series by machine has two samples per
	// time: summed, they are the machine's containers' total.
	set, err = ReadFile(os.DirFS("testdata"), "alibaba-container-synthetic.csv", Options{Format: FormatAlibabaContainer, SeriesBy: "machine_id", Duplicates: DuplicateSum, OutOfOrder: OrderSort})
	if err != nil {
		t.Fatal(err)
	}
	m1 := set.Traces[0]
	if m1.ID != "m_1" || !equalFloats(m1.Values, []float64{20 + 35, 25 + 30, 30 + 40, 45, 22}) {
		t.Errorf("m_1 = %s %v, want the sums per time", m1.ID, m1.Values)
	}
	if set.Issues[0].Duplicates != 3 || set.Issues[0].OutOfOrder != 1 {
		t.Errorf("m_1 issues %+v, want 3 duplicates and 1 row out of order", set.Issues[0])
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestGoogle2011(t *testing.T) {
	var ref, byJob refSet
	for _, l := range lines(readTestdata(t, "google2011-task-200rows.csv")) {
		f := strings.Split(l, ",")
		us, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ref.add(f[2]+"/"+f[3], time.Duration(us)*time.Microsecond, atof(t, f[5]))
		byJob.add(f[2], time.Duration(us)*time.Microsecond, atof(t, f[5]))
	}
	checkAgainst(t, "google2011-task-200rows.csv", Options{Format: FormatGoogle2011}, &ref)

	// By job, the tasks of a job in one window sum to the job's usage.
	set, err := ReadFile(os.DirFS("testdata"), "google2011-task-200rows.csv", Options{Format: FormatGoogle2011, SeriesBy: "job_id", Duplicates: DuplicateSum})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Traces) != len(byJob.order) {
		t.Fatalf("%d jobs, want %d", len(set.Traces), len(byJob.order))
	}
	for i, tr := range set.Traces {
		rs := byJob.by[byJob.order[i]]
		sum := 0.0
		for _, v := range rs.values {
			sum += v
		}
		if tr.ID != byJob.order[i] || len(tr.Values) != 1 || !near(tr.Values[0], sum) || tr.Start != 600*time.Second {
			t.Fatalf("job %s: %v at %v, want one sample %v at 600s", tr.ID, tr.Values, tr.Start, sum)
		}
	}
	// Without a merge policy the second task of a job is an error, at its line.
	_, err = ReadFile(os.DirFS("testdata"), "google2011-task-200rows.csv", Options{Format: FormatGoogle2011, SeriesBy: "job_id"})
	if err == nil || !strings.HasPrefix(err.Error(), "google2011-task-200rows.csv:2: time 600 of series \"3418309\" repeats line 1") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestGoogle2019(t *testing.T) {
	rows, err := csv.NewReader(strings.NewReader(readTestdata(t, "google2019-derived-1day.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ref refSet
	for i, r := range rows[1:] {
		ref.add("avg_cpu", time.Duration(i)*300*time.Second, atof(t, r[0]))
	}
	checkAgainst(t, "google2019-derived-1day.csv", Options{Format: FormatGoogle2019}, &ref)

	// The instance_usage layout, with usage structs in one column each.
	rows, err = csv.NewReader(strings.NewReader(readTestdata(t, "google2019-instance-synthetic.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cpus := regexp.MustCompile(`'cpus': ([0-9.]+)`)
	var inst, maxMem refSet
	mem := regexp.MustCompile(`'memory': ([0-9.]+)`)
	for _, r := range rows[1:] {
		us, _ := strconv.ParseInt(r[0], 10, 64)
		inst.add(r[2]+"/"+r[3], time.Duration(us)*time.Microsecond, atof(t, cpus.FindStringSubmatch(r[8])[1]))
		maxMem.add(r[4], time.Duration(us)*time.Microsecond, atof(t, mem.FindStringSubmatch(r[9])[1]))
	}
	checkAgainst(t, "google2019-instance-synthetic.csv", Options{Format: FormatGoogle2019}, &inst)
	checkAgainst(t, "google2019-instance-synthetic.csv", Options{Format: FormatGoogle2019, Column: "maximum_usage_memory", SeriesBy: "machine_id"}, &maxMem)

	// BigQuery's dotted names.
	var dotted refSet
	rows, _ = csv.NewReader(strings.NewReader(readTestdata(t, "google2019-instance-dotted-synthetic.csv"))).ReadAll()
	for _, r := range rows[1:] {
		us, _ := strconv.ParseInt(r[0], 10, 64)
		dotted.add(r[2]+"/"+r[3], time.Duration(us)*time.Microsecond, atof(t, r[7]))
	}
	checkAgainst(t, "google2019-instance-dotted-synthetic.csv", Options{Format: FormatGoogle2019, Column: "maximum_usage_cpus"}, &dotted)

	// A gap: instance 377/0 has no sample for the window at 1200 s.
	rep := inspectFile(t, "google2019-instance-synthetic.csv", Options{Format: FormatGoogle2019})
	if s := rep.Series[0]; s.Gaps != 1 || s.FirstGap != 7 {
		t.Errorf("377/0: %d gaps, first at line %d; want 1 at line 7", s.Gaps, s.FirstGap)
	}
}

func TestAzure(t *testing.T) {
	var ref refSet
	for _, l := range lines(readTestdata(t, "azure-v1-readings-100rows.csv")) {
		f := strings.Split(l, ",")
		ref.add(f[1], secs(atof(t, f[0])), atof(t, f[4]))
	}
	for _, format := range []string{FormatAzureV1, FormatAzureV2} {
		checkAgainst(t, "azure-v1-readings-100rows.csv", Options{Format: format}, &ref)
	}

	// The real vmtable sample: core counts in field 10.
	want := map[string]float64{}
	for _, l := range lines(readTestdata(t, "azure-v1-vmtable-10rows.csv")) {
		f := strings.Split(l, ",")
		want[f[0]] = atof(t, f[9])
	}
	f, _ := os.Open("testdata/azure-v1-vmtable-10rows.csv")
	got, err := ReadVMTable(f, "vmtable", FormatAzureV1, nil)
	f.Close()
	if err != nil || len(got) != len(want) {
		t.Fatalf("ReadVMTable: %v, %d VMs, want %d", err, len(got), len(want))
	}
	for id, c := range want {
		if got[id] != c {
			t.Errorf("VM %s: %v cores, want %v", id, got[id], c)
		}
	}

	// V2 buckets (a synthetic vmtable for the first three VMs of the readings): cores from the
	// bucket, and >24 makes the VM's rows invalid.
	counts, err := OpenVMTable(os.DirFS("testdata"), "azure-v2-vmtable-synthetic.csv", FormatAzureV2, nil)
	if err != nil {
		t.Fatal(err)
	}
	sel := ref.order[:2]
	set, err := ReadFile(os.DirFS("testdata"), "azure-v1-readings-100rows.csv", Options{Format: FormatAzureV2, Column: "avg_cpu_cores", CoreCounts: counts, Series: sel})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range sel {
		wantV := ref.by[id].values[0] / 100 * []float64{2, 8}[i]
		if tr := set.Traces[i]; tr.Unit != UnitCores || !near(tr.Values[0], wantV) {
			t.Errorf("VM %d: %v %s, want %v cores", i, tr.Values, tr.Unit, wantV)
		}
	}
	_, err = ReadFile(os.DirFS("testdata"), "azure-v1-readings-100rows.csv", Options{Format: FormatAzureV2, Column: "avg_cpu_cores", CoreCounts: counts, Series: ref.order[2:3]})
	if err == nil || !strings.Contains(err.Error(), "azure-v1-readings-100rows.csv:3: VM") || !strings.Contains(err.Error(), "bucket >24") {
		t.Errorf(">24 bucket: %v", err)
	}
	_, err = ReadFile(os.DirFS("testdata"), "azure-v1-readings-100rows.csv", Options{Format: FormatAzureV2, Column: "avg_cpu_cores", CoreCounts: counts})
	if err == nil || !strings.Contains(err.Error(), ":3: ") {
		t.Errorf("all VMs with a 3-VM vmtable: %v, want the first unknown VM's line", err)
	}
}

func TestBitbrains(t *testing.T) {
	ls := lines(readTestdata(t, "bitbrains-rnd-386-500rows.csv"))
	var mhz, cores refSet
	for _, l := range ls[1:] {
		f := strings.Split(l, ";\t")
		sec := atof(t, f[0])
		mhz.add("bitbrains-rnd-386-500rows", secs(sec), atof(t, f[3]))
		cores.add("bitbrains-rnd-386-500rows", secs(sec), atof(t, f[3])/atof(t, f[2])*atof(t, f[1]))
	}
	checkAgainst(t, "bitbrains-rnd-386-500rows.csv", Options{Format: FormatBitbrains}, &mhz)
	checkAgainst(t, "bitbrains-rnd-386-500rows.csv", Options{Format: FormatBitbrains, Column: "cpu_usage_cores"}, &cores)
	checkAgainst(t, "bitbrains-rnd-386-500rows.csv", Options{Format: FormatBitbrains, Column: "CPU usage [MHZ]"}, &mhz)

	// The header says [ms], the values are Unix seconds: August 2013.
	if got := time.Unix(int64(mhz.by["bitbrains-rnd-386-500rows"].times[0]/time.Second), 0).UTC(); got.Year() != 2013 || got.Month() != time.July && got.Month() != time.August {
		t.Errorf("first time %v, want summer 2013", got)
	}
	// The 1,579 s silence at line 486 is the slice's gap.
	rep := inspectFile(t, "bitbrains-rnd-386-500rows.csv", Options{Format: FormatBitbrains})
	if s := rep.Series[0]; s.Gaps != 1 || s.FirstGap != 486 || s.Step != 300*time.Second {
		t.Errorf("%d gaps, first at line %d, step %v; want 1 at 486, 300s", s.Gaps, s.FirstGap, s.Step)
	}
}

func TestCounts(t *testing.T) {
	var ref refSet
	total := 0.0
	for i, w := range strings.Fields(readTestdata(t, "nasa-1995-07-01-first-hour.txt")) {
		v := atof(t, w)
		ref.add("count", time.Duration(i)*time.Second, v)
		total += v
	}
	if len(ref.by["count"].values) != 3600 {
		t.Fatalf("reference has %d values", len(ref.by["count"].values))
	}
	checkAgainst(t, "nasa-1995-07-01-first-hour.txt", Options{Format: FormatCounts}, &ref)
	set, err := ReadFile(os.DirFS("testdata"), "nasa-1995-07-01-first-hour.txt", Options{Format: FormatCounts})
	if err != nil {
		t.Fatal(err)
	}
	if tr := set.Traces[0]; tr.Unit != UnitRequests || tr.Step != time.Second {
		t.Errorf("unit %q, step %v; want requests per 1s", tr.Unit, tr.Step)
	}
	// Requests in the hour: the integral of the per-second counts.
	if got := set.Traces[0].Series(false).(Integrator).Integral(0, time.Hour); got != total {
		t.Errorf("integral over the hour %v, want %v requests", got, total)
	}
	// Another interval: the same values, ten seconds apart.
	set, err = ReadFile(os.DirFS("testdata"), "nasa-1995-07-01-first-hour.txt", Options{Format: FormatCounts, Interval: 10 * time.Second})
	if err != nil || set.Traces[0].Times[3599] != 35990*time.Second {
		t.Errorf("interval 10s: %v", err)
	}
}

func TestCountCSV(t *testing.T) {
	rows, err := csv.NewReader(strings.NewReader(readTestdata(t, "worldcup98-100rows-with-gap.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ref refSet
	missing := 0
	var prev time.Time
	for i, r := range rows[1:] {
		at, err := time.Parse("2006-01-02 15:04:05", r[0])
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && at.Sub(prev) > time.Minute {
			missing += int(at.Sub(prev)/time.Minute) - 1
		}
		prev = at
		ref.add("count", time.Duration(at.Unix())*time.Second, atof(t, r[1]))
	}
	if missing != 1 {
		t.Fatalf("the slice should miss one minute, misses %d", missing)
	}
	// Inspect sees the raw rows; Read (gaps: zero by default) adds a 0 for the missing minute.
	rep := inspectFile(t, "worldcup98-100rows-with-gap.csv", Options{Format: FormatCountCSV})
	if s := rep.Series[0]; s.Samples != 100 || s.Gaps != 1 || s.FirstGap != 35 || s.Step != time.Minute {
		t.Errorf("inspect: %+v", s)
	}
	set, err := ReadFile(os.DirFS("testdata"), "worldcup98-100rows-with-gap.csv", Options{Format: FormatCountCSV})
	if err != nil {
		t.Fatal(err)
	}
	tr := set.Traces[0]
	if len(tr.Values) != 101 || set.Issues[0].Filled != 1 || tr.Start != ref.by["count"].times[0] {
		t.Fatalf("read %d samples, filled %d, start %v", len(tr.Values), set.Issues[0].Filled, tr.Start)
	}
	gapAt := ref.by["count"].times[32] + time.Minute - tr.Start // line 35 follows the gap
	if i := indexDuration(tr.Times, gapAt); i < 0 || tr.Values[i] != 0 {
		t.Errorf("no zero sample at the missing minute (%v)", gapAt)
	}
	held, err := ReadFile(os.DirFS("testdata"), "worldcup98-100rows-with-gap.csv", Options{Format: FormatCountCSV, Gaps: GapHold})
	if err != nil || len(held.Traces[0].Values) != 100 {
		t.Errorf("gaps: hold: %v", err)
	}
	checkAgainst(t, "worldcup98-100rows-with-gap.csv", Options{Format: FormatCountCSV, Gaps: GapHold}, &ref)
}

func indexDuration(ts []time.Duration, t time.Duration) int {
	for i, x := range ts {
		if x == t {
			return i
		}
	}
	return -1
}

func TestPrometheus(t *testing.T) {
	var resp struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Values [][2]any
			}
		}
	}
	if err := json.Unmarshal([]byte(readTestdata(t, "prometheus-query-range.json")), &resp); err != nil {
		t.Fatal(err)
	}
	var ref, byPod refSet
	for _, s := range resp.Data.Result {
		id := `{namespace="` + s.Metric["namespace"] + `", pod="` + s.Metric["pod"] + `"}`
		for _, v := range s.Values {
			ref.add(id, secs(v[0].(float64)), atof(t, v[1].(string)))
			byPod.add(s.Metric["pod"], secs(v[0].(float64)), atof(t, v[1].(string)))
		}
	}
	checkAgainst(t, "prometheus-query-range.json", Options{Format: FormatPrometheus}, &ref)
	checkAgainst(t, "prometheus-query-range.json", Options{Format: FormatPrometheus, SeriesBy: "pod", Unit: UnitCores}, &byPod)

	// The first pod misses the sample at 1700000060: one gap, at line 1 (curl writes one line).
	rep := inspectFile(t, "prometheus-query-range.json", Options{Format: FormatPrometheus})
	if s := rep.Series[0]; s.Gaps != 1 || s.FirstGap != 1 || s.Step != 15*time.Second {
		t.Errorf("gaps %d at %d, step %v", s.Gaps, s.FirstGap, s.Step)
	}
	// gaps: interpolate fills it on the line between its neighbours (0.611 at 45 s, 0.604 at 75 s).
	set, err := ReadFile(os.DirFS("testdata"), "prometheus-query-range.json", Options{Format: FormatPrometheus, Gaps: GapInterpolate})
	if err != nil {
		t.Fatal(err)
	}
	tr := set.Traces[0]
	if i := indexDuration(tr.Times, 60*time.Second); i < 0 || !near(tr.Values[i], (0.611+0.604)/2) {
		t.Errorf("interpolated %v at %v", tr.Values, tr.Times)
	}

	// promtool's bare matrix, pretty-printed: lines count.
	var matrix []struct {
		Values [][2]any
	}
	if err := json.Unmarshal([]byte(readTestdata(t, "prometheus-matrix.json")), &matrix); err != nil {
		t.Fatal(err)
	}
	var m refSet
	for _, v := range matrix[0].Values {
		m.add("{}", secs(v[0].(float64)), atof(t, v[1].(string)))
	}
	checkAgainst(t, "prometheus-matrix.json", Options{Format: FormatPrometheus}, &m)
	_, err = Read(strings.NewReader(strings.Replace(readTestdata(t, "prometheus-matrix.json"), `"3"`, `"NaN"`, 1)), "m.json", Options{Format: FormatPrometheus})
	if want := `m.json:7: sample 3 of series "{}": value "NaN" in column value is not a decimal number, want a number >= 0`; err == nil || err.Error() != want {
		t.Errorf("NaN: %v, want %s", err, want)
	}
}

func TestDetect(t *testing.T) {
	for file, want := range map[string]string{
		"alibaba-machine-300rows.csv":              FormatAlibabaMachine,
		"alibaba-container-synthetic.csv":          FormatAlibabaContainer,
		"google2011-task-200rows.csv":              FormatGoogle2011,
		"google2019-derived-1day.csv":              FormatGoogle2019,
		"google2019-instance-synthetic.csv":        FormatGoogle2019,
		"google2019-instance-dotted-synthetic.csv": FormatGoogle2019,
		"azure-v1-readings-100rows.csv":            FormatAzureV1,
		"azure-v2-1day.csv":                        FormatCSV,
		"bitbrains-rnd-386-500rows.csv":            FormatBitbrains,
		"nasa-1995-07-01-first-hour.txt":           FormatCounts,
		"worldcup98-100rows-with-gap.csv":          FormatCountCSV,
		"prometheus-query-range.json":              FormatPrometheus,
		"prometheus-matrix.json":                   FormatPrometheus,
	} {
		got, why, err := Detect([]byte(readTestdata(t, file)))
		if err != nil || got != want || why == "" {
			t.Errorf("Detect(%s) = %q (%s), %v; want %q", file, got, why, err, want)
		}
	}
	for _, in := range []string{"", "hello world\n", "1,2,3\n"} {
		if got, _, err := Detect([]byte(in)); err == nil {
			t.Errorf("Detect(%q) = %q, want an error", in, got)
		}
	}
	if _, _, err := Detect([]byte(readTestdata(t, "azure-v1-vmtable-10rows.csv"))); err == nil || !strings.Contains(err.Error(), "vmtable") {
		t.Errorf("a vmtable: %v", err)
	}
}

// TestDocsListEveryColumn keeps docs/traces.md in step with the formats: every format and every
// column of every format is named there.
func TestDocsListEveryColumn(t *testing.T) {
	b, err := os.ReadFile("../docs/traces.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range Formats() {
		if !strings.Contains(doc, "`"+f.Name+"`") {
			t.Errorf("docs/traces.md does not name format %s", f.Name)
		}
		for _, c := range f.Columns {
			if !strings.Contains(doc, c.Name) {
				t.Errorf("docs/traces.md does not name column %s of %s", c.Name, f.Name)
			}
		}
	}
}
