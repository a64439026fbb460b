package reports

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func digestJSON(t *testing.T, d *Digest) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteDigest(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDigestRoundTrip writes a digest, reads it back and writes it again: the same bytes.
func TestDigestRoundTrip(t *testing.T) {
	for name, r := range map[string]*sim.Result{"fixture": testResult(), "default": defaultResult(t), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			a := digestJSON(t, NewDigest(r, "v", DefaultStoredPoints))
			d, err := ReadDigest(bytes.NewReader(a))
			if err != nil {
				t.Fatal(err)
			}
			if b := digestJSON(t, d); !bytes.Equal(a, b) {
				t.Errorf("result.json changes in a round trip: %s", firstDiff(string(a), string(b)))
			}
		})
	}
}

func TestDigestContent(t *testing.T) {
	d := NewDigest(testResult(), "v", 0)
	if d.Schema != ResultSchemaV1 || d.Summary == nil || len(d.Settings) != 3 {
		t.Fatalf("digest header: %q, summary %v, %d settings", d.Schema, d.Summary != nil, len(d.Settings))
	}
	// Zones a (n1, n2) and b (n3); pools batch (n3) and general (n1, n2), sorted by name.
	if len(d.Zones) != 2 || d.Zones[0].Name != "a" || d.Zones[0].Nodes != 2 || d.Zones[1].Name != "b" {
		t.Errorf("zones = %+v", d.Zones)
	}
	if len(d.Pools) != 2 || d.Pools[0].Name != "batch" || d.Pools[1].Name != "general" || d.Pools[1].Nodes != 2 {
		t.Errorf("pools = %+v", d.Pools)
	}
	// The cluster's allocatable CPU follows the nodes: n3 from 1800 s, n2 until 5400 s.
	wantAlloc := []sim.Point{{T: 0, V: 8}, {T: sec(1800), V: 12}, {T: sec(5400), V: 8}}
	if got := d.Cluster.Allocatable.Points; !slices.Equal(got, wantAlloc) {
		t.Errorf("cluster allocatable = %v, want %v", got, wantAlloc)
	}
	// Requested in cores: n2's requests drop to 0 at its removal, n3's start at 2000m at 3600 s.
	wantReq := []sim.Point{{T: 0, V: 1.5}, {T: sec(1800), V: 3.5}, {T: sec(3600), V: 5.5}, {T: sec(5400), V: 5}}
	if got := d.Cluster.Requested.Points; !slices.Equal(got, wantReq) {
		t.Errorf("cluster requested = %v, want %v", got, wantReq)
	}
	// n2's last usage sample (200m) ends at its removal.
	if got := valueAt(d.Zones[0].Used.Points, sec(6000)); got != 2.5 {
		t.Errorf("zone a used at 6000 s = %v, want 2.5 (n1 only)", got)
	}
	// HPAs in summary order: api, web. web's utilization is unknown after the failed sync.
	web := d.HPAs[1]
	if d.HPAs[0].Name != "api" || web.Name != "web" || web.TargetUtilization != 80 || d.HPAs[0].TargetAverageMilli != 250 {
		t.Fatalf("HPAs = %s/%d, %s/%d", d.HPAs[0].Name, d.HPAs[0].TargetAverageMilli, web.Name, web.TargetUtilization)
	}
	if v := valueAt(web.Utilization.Points, sec(4000)); !math.IsNaN(v) {
		t.Errorf("utilization at 4000 s = %v, want NaN (unknown)", v)
	}
	if v := valueAt(web.Desired.Points, sec(5400)); v != 3 {
		t.Errorf("desired at 5400 s = %v, want 3", v)
	}
	if want := []SpanV1{{FromS: 5400, ToS: 7200, Reason: "ScaleDownStabilized"}}; !slices.Equal(web.Limited, want) {
		t.Errorf("limited = %v, want %v", web.Limited, want)
	}
	// 10 pending times: 0, 0 | 0.1, 0.5, 0.75, 1 | 2, 5 | — | 30.25 | — | 120 | ...
	if want := []int{2, 4, 2, 0, 0, 1, 1, 0, 0, 0}; !slices.Equal(d.PendingHistogram, want) {
		t.Errorf("pending histogram = %v, want %v", d.PendingHistogram, want)
	}
	if len(d.NodeEvents) != 3 || d.NodeEvents[2] != (EventV1{TS: 5400, Node: "n2", Detail: "removed"}) {
		t.Errorf("node events = %v", d.NodeEvents)
	}
}

// TestDigestStoredPoints checks that a long series is downsampled for storage and says so.
func TestDigestStoredPoints(t *testing.T) {
	d := NewDigest(longResult(5000), "v", 400)
	if d.Pending.Recorded != 5000 || len(d.Pending.Points) > 400 || len(d.Pending.Points) < 100 {
		t.Errorf("pending: recorded %d, stored %d; want 5000 and at most 400", d.Pending.Recorded, len(d.Pending.Points))
	}
	var buf bytes.Buffer
	if err := WriteDigest(&buf, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"pending":{"recorded":5000,"points":[[0,0],`) {
		t.Errorf("result.json does not record the original count: %.200s", buf.String())
	}
	// The comparison page says so.
	var page bytes.Buffer
	if err := WriteCompareHTML(&page, CompareRun{Digest: d, Source: "a"}, CompareRun{Digest: d, Source: "b"},
		HTMLOptions{EChartsJS: []byte(fakeECharts)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "the run recorded 5000 points, of which result.json kept") {
		t.Error("the comparison does not say that result.json was downsampled")
	}
}

func TestReadDigestErrors(t *testing.T) {
	good := string(digestJSON(t, NewDigest(testResult(), "v", 0)))
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "unexpected end of JSON input"},
		{"summary file", `{"schema": "ksim.summary/v1"}`, `schema is "ksim.summary/v1", want "ksim.result/v1"`},
		{"no summary", `{"schema": "ksim.result/v1"}`, `"summary" is missing`},
		{"points out of order", strings.Replace(good, `"pending":{"recorded":6,"points":[[0,0],[10,3]`, `"pending":{"recorded":6,"points":[[10,0],[10,3]`, 1), "point 1: time 10 s is not after"},
		{"recorded too small", strings.Replace(good, `"pending":{"recorded":6,`, `"pending":{"recorded":1,`, 1), `"recorded" must be at least the number of points (6)`},
		{"bad point", strings.Replace(good, `"pending":{"recorded":6,"points":[[0,0],`, `"pending":{"recorded":6,"points":[[0],`, 1), "point 0: want [t_s, value]"},
		{"syntax", "{\"schema\": \"ksim.result/v1\",\n\"summary\": {,}}", "2:13: invalid character ','"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in == good {
				t.Fatal("the case did not change the input")
			}
			_, err := ReadDigest(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadDigest = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestLimitedSpans(t *testing.T) {
	sy := func(s float64, limited string) sim.HPASync { return sim.HPASync{T: sec(s), Limited: limited} }
	for _, tc := range []struct {
		name  string
		syncs []sim.HPASync
		want  []SpanV1
	}{
		{"none", []sim.HPASync{sy(0, ""), sy(30, "")}, []SpanV1{}},
		{"merged", []sim.HPASync{sy(0, "A"), sy(30, "A"), sy(60, ""), sy(90, "B")},
			[]SpanV1{{0, 60, "A"}, {90, 120, "B"}}},
		{"reason changes", []sim.HPASync{sy(0, "A"), sy(30, "B"), sy(60, "A")},
			[]SpanV1{{0, 30, "A"}, {30, 60, "B"}, {60, 120, "A"}}},
	} {
		if got := limitedSpans(tc.syncs, 2*time.Minute); !slices.Equal(got, tc.want) {
			t.Errorf("%s: limitedSpans = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPendingHistogram(t *testing.T) {
	got := pendingHistogram([]float64{0, 1e-9, 1, 1.5, 5, 10, 30, 60, 300, 900, 3600, 3600.5, 1e6})
	// Bins: 0 | (0,1] | (1,5] | (5,10] | (10,30] | (30,60] | (60,300] | (300,900] | (900,3600] | above.
	want := []int{1, 2, 2, 1, 1, 1, 1, 1, 1, 2}
	if !slices.Equal(got, want) {
		t.Errorf("pendingHistogram = %v, want %v", got, want)
	}
	if len(pendingBinLabels) != len(PendingBins)+1 {
		t.Errorf("%d bin labels for %d bins", len(pendingBinLabels), len(PendingBins)+1)
	}
}

// TestThinDownsamplesEverySeries: Thin downsamples every series of a digest, the default
// scenario's (HPAs, zones, pools, reasons), and keeps each one's recorded count.
func TestThinDownsamplesEverySeries(t *testing.T) {
	r := defaultResult(t)
	full := NewDigest(r, "v", 0)
	const maxPoints = 8
	thin := full.Thin(maxPoints, r.Duration)
	a, b := allSteps(reflect.ValueOf(full).Elem()), allSteps(reflect.ValueOf(thin).Elem())
	if len(a) != len(b) || len(a) < 20 {
		t.Fatalf("%d series in the full digest, %d thinned", len(a), len(b))
	}
	longer := 0
	for i := range a {
		if want := downsample(a[i].Points, r.Duration, maxPoints); fmt.Sprint(b[i].Points) != fmt.Sprint(want) || b[i].Recorded != a[i].Recorded { // NaN-aware
			t.Errorf("series %d: thinned to %d points (recorded %d), want %d (recorded %d)", i, len(b[i].Points), b[i].Recorded, len(want), a[i].Recorded)
		}
		if len(a[i].Points) > maxPoints {
			longer++
		}
	}
	if longer == 0 {
		t.Fatal("no series longer than the bound: the test shows nothing")
	}
	if full.Pending.Recorded != len(full.Pending.Points) {
		t.Errorf("Thin modified the full digest")
	}
}

// allSteps collects every Steps value under v, in field order.
func allSteps(v reflect.Value) []Steps {
	var out []Steps
	switch v.Kind() {
	case reflect.Struct:
		if st, ok := v.Interface().(Steps); ok {
			return []Steps{st}
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, allSteps(v.Field(i))...)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = append(out, allSteps(v.Index(i))...)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			out = append(out, allSteps(v.Elem())...)
		}
	}
	return out
}
