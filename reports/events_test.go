package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"ksim.dev/ksim/sim"
)

func TestEventsGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEvents(&buf, testResult()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "events.golden.jsonl", buf.Bytes())
}

func TestEvents(t *testing.T) {
	r := testResult()
	ev := Events(r)
	if want := len(r.Log) + len(r.Placements); len(ev) != want {
		t.Fatalf("%d events, want %d (log + placements)", len(ev), want)
	}
	for i := 1; i < len(ev); i++ {
		if ev[i].TS < ev[i-1].TS {
			t.Fatalf("events out of order at %d: %v after %v", i, ev[i].TS, ev[i-1].TS)
		}
	}
	// Each scale entry of the log carries its scale event's numbers.
	var scales []string
	for _, e := range ev {
		if e.Kind == "scale" {
			if e.From == nil || e.To == nil {
				t.Fatalf("scale event without from/to: %+v", e)
			}
			scales = append(scales, e.Detail)
			if e.Detail == "2 -> 4 (cpu 160% of 80%)" && (*e.From != 2 || *e.To != 4) {
				t.Errorf("scale at 1800 s: %d → %d, want 2 → 4", *e.From, *e.To)
			}
		}
	}
	if len(scales) != 2 {
		t.Errorf("scale events %v, want 2", scales)
	}
	// A binding: its node, owner, attempts and pending time.
	i := slices.IndexFunc(ev, func(e EventLine) bool { return e.Kind == "bind" && e.Object == "pod/shop/web-abc" })
	if i < 0 {
		t.Fatal("no bind event of web-abc")
	}
	if b := ev[i]; b.Node != "n2" || b.Owner != "Deployment/shop/web" || *b.Attempts != 2 || *b.PendingS != 110 || b.TS != 120 {
		t.Errorf("bind = %+v", b)
	}
	// At equal times the timeline comes before the bindings.
	r.Placements = append(r.Placements, sim.Placement{T: sec(1800), Pod: "shop/late", Node: "n3"})
	ev = Events(r)
	j := slices.IndexFunc(ev, func(e EventLine) bool { return e.Object == "pod/shop/late" })
	if ev[j-1].Kind == "bind" || ev[j-1].TS != 1800 || ev[j-1].Object != "node/n3" {
		t.Errorf("the binding at 1800 s comes after %+v, want after the last log entry at 1800 s", ev[j-1])
	}
}

// TestEventsScaleWithoutLog: a scale event the log does not carry is still written.
func TestEventsScaleWithoutLog(t *testing.T) {
	r := &sim.Result{HPAs: []sim.HPAResult{{Namespace: "n", Name: "h", ScaleEvents: []sim.ScaleEvent{{T: time.Minute, From: 1, To: 3}}}}}
	ev := Events(r)
	if len(ev) != 1 || ev[0].Kind != "scale" || ev[0].Object != "hpa/n/h" || *ev[0].From != 1 || *ev[0].To != 3 || ev[0].TS != 60 {
		t.Errorf("events = %+v", ev)
	}
}

// TestWriteEventsLines checks that every line is one JSON object with the documented fields.
func TestWriteEventsLines(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEvents(&buf, defaultResult(t)); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		n++
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v: %s", n, err, sc.Text())
		}
		for _, k := range []string{"t_s", "kind", "object"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", n, k, sc.Text())
			}
		}
		kinds[m["kind"].(string)]++
	}
	for _, k := range []string{"bind", "scale", "node", "evict", "unschedulable", "job"} {
		if kinds[k] == 0 {
			t.Errorf("no %q event in the default scenario's events.jsonl (have %v)", k, kinds)
		}
	}
	r := defaultResult(t)
	if want := len(r.Log) + len(r.Placements); n != want {
		t.Errorf("%d lines, want %d", n, want)
	}
}

func TestTimeline(t *testing.T) {
	r := &sim.Result{Log: []sim.LogEntry{
		{T: 0, Kind: "zzz", Object: "x"}, {T: 1, Kind: "scale", Object: "hpa/a"}, {T: 2, Kind: "node", Object: "node/a"},
		{T: 3, Kind: "aaa", Object: "y"},
	}}
	tl := newTimeline(r, 3)
	// Known kinds in a fixed order first, then the others by name.
	if want := []string{"node", "scale", "aaa", "zzz"}; !slices.Equal(tl.Kinds, want) {
		t.Errorf("kinds = %v, want %v", tl.Kinds, want)
	}
	if tl.Total != 4 || len(tl.Rows) != 3 || tl.Rows[0][1] != 3 || tl.Rows[2][1] != 0 {
		t.Errorf("timeline = %+v", tl)
	}
}
