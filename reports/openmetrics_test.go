package reports

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func writeOM(t *testing.T, r *sim.Result, o MetricsOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteOpenMetrics(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestOpenMetricsGolden(t *testing.T) {
	om := writeOM(t, testResult(), MetricsOptions{Version: "v0.0.0-test", Step: 30 * time.Minute})
	checkGolden(t, "metrics.golden.om", []byte(om))
}

// omSample is one sample line of an OpenMetrics file: the series (name and labels as written)
// and its value and timestamp.
type omSample struct {
	series string
	value  float64
	tsMs   int64
}

// parseOM reads the samples of an OpenMetrics text written by WriteOpenMetrics, checking its
// shape on the way: every family is one block that starts with HELP and TYPE, sample names
// belong to the block's family, and the file ends with "# EOF".
func parseOM(t *testing.T, om string) (families []string, samples []omSample) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(om, "\n"), "\n")
	if lines[len(lines)-1] != "# EOF" {
		t.Fatalf("last line %q, want # EOF", lines[len(lines)-1])
	}
	family := ""
	for i, l := range lines[:len(lines)-1] {
		switch {
		case strings.HasPrefix(l, "# HELP "):
			name := strings.Fields(l)[2]
			if slices.Contains(families, name) {
				t.Fatalf("line %d: family %s appears twice", i+1, name)
			}
			families = append(families, name)
			family = name
			if next := lines[i+1]; next != "# TYPE "+name+" gauge" {
				t.Fatalf("line %d: %q after HELP, want the TYPE line", i+2, next)
			}
		case strings.HasPrefix(l, "# TYPE "):
		case strings.HasPrefix(l, "#"):
			t.Fatalf("line %d: unexpected comment %q", i+1, l)
		default:
			if !strings.HasPrefix(l, family+"{") && !strings.HasPrefix(l, family+" ") {
				t.Fatalf("line %d: %q is not in family %s", i+1, l, family)
			}
			// name{labels} value timestamp; label values contain no "} ".
			cut := strings.LastIndex(l, "} ")
			if cut < 0 {
				cut = strings.Index(l, " ") - 1
			}
			f := strings.Fields(l[cut+2:])
			if len(f) != 2 {
				t.Fatalf("line %d: %q: want a value and a timestamp", i+1, l)
			}
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			ts, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			samples = append(samples, omSample{series: l[:cut+1], value: v, tsMs: int64(math.Round(ts * 1000))})
		}
	}
	return families, samples
}

// TestOpenMetricsContent checks the samples of the fixture against its series.
func TestOpenMetricsContent(t *testing.T) {
	r := testResult()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	om := writeOM(t, r, MetricsOptions{Version: "v1", Start: start, Step: 10 * time.Minute, Labels: map[string]string{"run": "base"}})
	families, samples := parseOM(t, om)
	want := []string{"ksim_run_info", "ksim_pending_pods", "ksim_unschedulable_pods", "ksim_hpa_replicas", "ksim_hpa_ready_replicas",
		"ksim_hpa_desired_replicas", "ksim_hpa_min_replicas", "ksim_hpa_max_replicas", "ksim_hpa_cpu_utilization_ratio",
		"ksim_hpa_target_cpu_utilization_ratio", "ksim_hpa_cpu_demand_cores", "ksim_hpa_cpu_unserved_cores",
		"ksim_node_cpu_allocatable_cores", "ksim_node_cpu_requested_cores", "ksim_node_cpu_used_cores"}
	if !slices.Equal(families, want) {
		t.Errorf("families = %v, want %v", families, want)
	}
	bySeries := map[string][]omSample{}
	for _, s := range samples {
		if n := bySeries[s.series]; len(n) > 0 && s.tsMs <= n[len(n)-1].tsMs {
			t.Fatalf("%s: timestamps do not increase: %d after %d", s.series, s.tsMs, n[len(n)-1].tsMs)
		}
		bySeries[s.series] = append(bySeries[s.series], s)
	}
	at := func(series string, tSec int) float64 {
		t.Helper()
		for _, s := range bySeries[series] {
			if s.tsMs == start.UnixMilli()+int64(tSec)*1000 {
				return s.value
			}
		}
		t.Fatalf("no sample of %s at %d s; have %v", series, tSec, bySeries[series])
		return 0
	}
	web := `{hpa="web",namespace="shop",run="base",target="Deployment/web"}`
	for _, c := range []struct {
		series string
		tSec   int
		want   float64
	}{
		{"ksim_pending_pods{run=\"base\"}", 0, 0},
		{"ksim_pending_pods{run=\"base\"}", 600, 0},
		{"ksim_pending_pods{run=\"base\"}", 3600, 2},
		{"ksim_hpa_replicas" + web, 1800, 4},
		{"ksim_hpa_replicas" + web, 7200, 3},
		{"ksim_hpa_cpu_utilization_ratio" + web, 1800, 1.6},
		{"ksim_hpa_target_cpu_utilization_ratio" + web, 0, 0.8},
		{"ksim_hpa_cpu_demand_cores" + web, 6000, 1.2},
		{`ksim_node_cpu_requested_cores{node="n3",pool="batch",run="base",zone="b"}`, 3600, 2},
		{`ksim_node_cpu_used_cores{node="n1",pool="general",run="base",zone="a"}`, 4200, 2.5},
		{`ksim_run_info{run="base",scenario="web-diurnal",seed="42",version="v1"}`, 7200, 1},
	} {
		if got := at(c.series, c.tSec); got != c.want {
			t.Errorf("%s at %d s = %v, want %v", c.series, c.tSec, got, c.want)
		}
	}
	// Unknown utilization (the failed sync at 3600 s) leaves a gap rather than a value.
	for _, s := range bySeries["ksim_hpa_cpu_utilization_ratio"+web] {
		if s.tsMs >= start.UnixMilli()+3600_000 && s.tsMs < start.UnixMilli()+5400_000 {
			t.Errorf("utilization sample at %d ms while it was unknown", s.tsMs-start.UnixMilli())
		}
	}
	// A node exists from its addition to its removal: n3 from 1800 s, n2 until 5400 s.
	n3 := bySeries[`ksim_node_cpu_allocatable_cores{node="n3",pool="batch",run="base",zone="b"}`]
	if first := n3[0].tsMs - start.UnixMilli(); first != 1800_000 {
		t.Errorf("n3 starts at %d ms, want 1800000", first)
	}
	n2 := bySeries[`ksim_node_cpu_allocatable_cores{node="n2",pool="general",run="base",zone="a"}`]
	if last := n2[len(n2)-1].tsMs - start.UnixMilli(); last != 4800_000 {
		t.Errorf("n2 ends at %d ms, want 4800000 (the last step before its removal)", last)
	}
	// The API: api targets an average value, so it has no target utilization series.
	if _, ok := bySeries[`ksim_hpa_target_cpu_utilization_ratio{hpa="api",namespace="shop",run="base",target="Deployment/api"}`]; ok {
		t.Error("api has a target utilization series")
	}
}

// TestOpenMetricsChunks writes series longer than a chunk: the family's header appears once.
func TestOpenMetricsChunks(t *testing.T) {
	r := longResult(10)
	om := writeOM(t, r, MetricsOptions{Step: 30 * time.Second}) // 2881 samples of each series
	families, samples := parseOM(t, om)
	// Families without series (no HPA, no node here) are left out.
	if !slices.Equal(families, []string{"ksim_run_info", "ksim_pending_pods"}) || strings.Count(om, "# TYPE ksim_pending_pods gauge") != 1 {
		t.Errorf("families %v; TYPE lines of ksim_pending_pods: %d", families, strings.Count(om, "# TYPE ksim_pending_pods gauge"))
	}
	n := 0
	for _, s := range samples {
		if s.series == "ksim_pending_pods" {
			n++
		}
	}
	if n != 2881 {
		t.Errorf("ksim_pending_pods has %d samples, want 2881", n)
	}
}

func TestMetricsOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    MetricsOptions
		want string
	}{
		{MetricsOptions{Step: -time.Second}, "want at least 1ms"},
		{MetricsOptions{Step: time.Microsecond}, "want at least 1ms"},
		{MetricsOptions{Labels: map[string]string{"a-b": "x"}}, `label name "a-b"`},
		{MetricsOptions{Labels: map[string]string{"__x": "x"}}, `label name "__x"`},
		{MetricsOptions{Labels: map[string]string{"node": "x"}}, `"node": ksim uses it`},
	} {
		if err := CheckMetricsOptions(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckMetricsOptions(%+v) = %v, want %q", tc.o, err, tc.want)
		}
		if err := WriteOpenMetrics(&bytes.Buffer{}, testResult(), tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WriteOpenMetrics(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
	if err := CheckMetricsOptions(MetricsOptions{Labels: map[string]string{"run": "a", "_x9": ""}}); err != nil {
		t.Errorf("valid labels: %v", err)
	}
}

func TestSampleTimes(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		from, to, end, step time.Duration
		want                []time.Duration
	}{
		{0, 3 * m, 3 * m, m, []time.Duration{0, m, 2 * m, 3 * m}},
		{0, 150 * time.Second, 150 * time.Second, m, []time.Duration{0, m, 2 * m, 150 * time.Second}},
		{30 * time.Second, 3 * m, 3 * m, m, []time.Duration{m, 2 * m, 3 * m}},
		{0, 2 * m, 3 * m, m, []time.Duration{0, m}}, // removed at 2m: no sample at or after
		{0, 3*m + 500*time.Microsecond, 3*m + 500*time.Microsecond, m, []time.Duration{0, m, 2 * m, 3 * m}},
	} {
		if got := sampleTimes(tc.from, tc.to, tc.end, tc.step); !slices.Equal(got, tc.want) {
			t.Errorf("sampleTimes(%v, %v, %v, %v) = %v, want %v", tc.from, tc.to, tc.end, tc.step, got, tc.want)
		}
	}
}

// promtool finds Debian's promtool, or skips (fails under $CI).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set, so this test must run: no promtool on PATH (Debian: apt-get install -y prometheus)")
		}
		t.Skip("no promtool on PATH (Debian: apt-get install -y prometheus); set CI=true to make this a failure")
	}
	return p
}

// TestPromtoolCheckMetrics lints a scrape-shaped sample of every family with `promtool check
// metrics`: the names, types and help texts a Prometheus user sees.
func TestPromtoolCheckMetrics(t *testing.T) {
	exe := promtool(t)
	r := defaultResult(t)
	var buf bytes.Buffer
	if err := writeScrape(&buf, r, r.Duration/2, MetricsOptions{Version: "v"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ksim_pending_pods", "ksim_hpa_replicas", "ksim_node_cpu_used_cores", "ksim_run_info"} {
		if !strings.Contains(buf.String(), "# TYPE "+name+" gauge") {
			t.Errorf("scrape lacks %s", name)
		}
	}
	cmd := exec.Command(exe, "check", "metrics")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestPromtoolCreateBlocks loads the default scenario's metrics.om into Prometheus blocks with
// `promtool tsdb create-blocks-from openmetrics`, dumps them back and compares every sample.
func TestPromtoolCreateBlocks(t *testing.T) {
	exe := promtool(t)
	r := defaultResult(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "metrics.om")
	om := writeOM(t, r, MetricsOptions{Version: "v", Step: 5 * time.Minute})
	if err := os.WriteFile(file, []byte(om), 0o644); err != nil {
		t.Fatal(err)
	}
	_, written := parseOM(t, om)
	// MetricsSamples counts the instants; the file leaves out the few where utilization was unknown.
	if n, err := MetricsSamples(r, MetricsOptions{Step: 5 * time.Minute}); err != nil || n < int64(len(written)) || n > int64(len(written))+10 {
		t.Errorf("MetricsSamples = %d, %v; the file has %d samples", n, err, len(written))
	}
	db := filepath.Join(dir, "tsdb")
	if out, err := exec.Command(exe, "tsdb", "create-blocks-from", "openmetrics", file, db).CombinedOutput(); err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	// promtool 2.42's dump opens the WAL too; blocks written by create-blocks have none.
	if err := os.MkdirAll(filepath.Join(db, "wal"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "tsdb", "dump", `--match={__name__=~"ksim_.+"}`, db).Output()
	if err != nil {
		t.Fatalf("promtool tsdb dump: %v\n%s", err, out)
	}
	// Dump lines: {__name__="NAME", label="value", ...} VALUE TIMESTAMP_MS
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		cut := strings.LastIndex(l, "} ")
		f := strings.Fields(l[cut+2:])
		got[normalizeSeries(l[:cut+1])+" "+f[1]] = f[0]
	}
	if len(got) != len(written) {
		t.Errorf("the blocks hold %d samples, the file %d", len(got), len(written))
	}
	for _, s := range written {
		key := normalizeSeries(s.series) + " " + strconv.FormatInt(s.tsMs, 10)
		v, ok := got[key]
		if !ok {
			t.Errorf("sample %s is not in the blocks", key)
			continue
		}
		if f, _ := strconv.ParseFloat(v, 64); f != s.value {
			t.Errorf("%s = %s in the blocks, %v in the file", key, v, s.value)
		}
	}
}

// normalizeSeries turns `name{a="1",b="2"}` and `{__name__="name", a="1", b="2"}` into one form.
func normalizeSeries(s string) string {
	name := ""
	if !strings.HasPrefix(s, "{") {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return s + "{}"
		}
		name, s = s[:i], s[i:]
	}
	var labels []string
	body := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	for body != "" {
		body = strings.TrimLeft(body, ", ")
		eq := strings.IndexByte(body, '=')
		k := body[:eq]
		rest := body[eq+1:]
		v, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return s
		}
		body = rest[len(v):]
		uv, _ := strconv.Unquote(v)
		if k == "__name__" {
			name = uv
			continue
		}
		labels = append(labels, fmt.Sprintf("%s=%q", k, uv))
	}
	slices.Sort(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

// TestSampleCount: the count of sampling instants is the length of their list.
func TestSampleCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for range 20000 {
		step := time.Duration(1+rng.IntN(5000)) * time.Millisecond / time.Duration(1+rng.IntN(3))
		end := time.Duration(rng.IntN(100_000)) * time.Millisecond
		from := time.Duration(rng.IntN(int(end/time.Millisecond)+1)) * time.Millisecond
		to := from + time.Duration(rng.IntN(int((end-from)/time.Millisecond)+2))*time.Millisecond
		if rng.IntN(3) == 0 {
			to = end
		}
		if got, want := sampleCount(from, to, end, step), int64(len(sampleTimes(from, to, end, step))); got != want {
			t.Fatalf("from %v to %v end %v step %v: %d, want %d", from, to, end, step, got, want)
		}
	}
}
