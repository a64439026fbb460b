package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ksim.dev/ksim/reports"
)

// writeSummary writes a summary with known figures into a run directory.
func writeSummary(t *testing.T) string {
	t.Helper()
	s := &reports.SummaryV1{
		Schema: reports.SummarySchemaV1, Scenario: "s", Seed: 1,
		Pods:      reports.PodsV1{Created: 10, Scheduled: 9, UnschedulableAtEnd: 1, PendingAtEnd: 1, Evicted: 2, EverUnschedulable: 3},
		PendingS:  reports.PendingV1{P50: 0.5, P95: 30, P99: 61.5, Max: 90},
		Nodes:     reports.NodesV1{Count: 14, MaxLive: 12, CPURequestedFractionMax: 0.8},
		HPAs:      []reports.HPASummaryV1{},
		HPATotals: reports.HPATotalsV1{ScaleEvents: 40, UnservedFraction: 0.02},
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := reports.WriteSummary(f, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheck(t *testing.T) {
	dir := writeSummary(t)
	file := filepath.Join(dir, "summary.json")
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string // lines that must appear
		stderr string   // regexp
	}{
		{"all within", []string{dir, "--max-unschedulable", "1", "--max-pending-p99", "62s", "--max-nodes", "12"}, 0,
			[]string{"ok    pods.unschedulable_at_end = 1 (budget --max-unschedulable 1)",
				"ok    pending_s.p99 = 61.5s (budget --max-pending-p99 62s)",
				"ok    nodes.max_live = 12 (budget --max-nodes 12)"}, `^$`},
		{"the file itself", []string{file, "--max-evicted", "2"}, 0, []string{"ok    pods.evicted = 2"}, `^$`},
		{"p99 over", []string{dir, "--max-unschedulable", "1", "--max-pending-p99", "60s"}, 1,
			[]string{"ok    pods.unschedulable_at_end = 1", "FAIL  pending_s.p99 = 61.5s (budget --max-pending-p99 60s)"},
			`summary\.json: 1 of 2 budgets exceeded: pending_s\.p99 61\.5s > 60s`},
		{"everything over", []string{dir, "--max-unschedulable", "0", "--max-ever-unschedulable", "2", "--max-pending-at-end", "0",
			"--max-evicted", "1", "--max-pending-p50", "0s", "--max-pending-p95", "29s", "--max-pending-max", "1m", "--max-nodes", "11",
			"--max-scale-events", "39", "--max-unserved-fraction", "0.01", "--max-cpu-requested-fraction", "0.5"}, 1,
			[]string{"FAIL  pods.ever_unschedulable = 3", "FAIL  hpa_totals.unserved_fraction = 0.02 (budget --max-unserved-fraction 0.01)",
				"FAIL  nodes.cpu_requested_fraction_max = 0.8"},
			`11 of 11 budgets exceeded`},
		{"no budget", []string{dir}, 2, nil, `no budget given: add at least one of --max-unschedulable`},
		{"negative budget", []string{dir, "--max-nodes", "-1"}, 2, nil, `--max-nodes -1: a budget must not be negative`},
		{"fraction above 1", []string{dir, "--max-unserved-fraction", "5"}, 2, nil, `want a fraction between 0 and 1`},
		{"not a duration", []string{dir, "--max-pending-p99", "sixty"}, 2, nil, `invalid argument "sixty"`},
		{"missing file", []string{filepath.Join(dir, "nope.json"), "--max-nodes", "1"}, 2, nil, `nope\.json: no such file`},
		{"two files", []string{file, file, "--max-nodes", "1"}, 2, nil, `check takes one summary\.json`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ksim(t, append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !regexp.MustCompile(tc.stderr).MatchString(strings.TrimSpace(stderr)) {
				t.Errorf("stderr does not match %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

// TestCheckBadSummary gives check files that are not v1 summaries: exit 2 with the position.
func TestCheckBadSummary(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ body, want string }{
		"syntax":   {"{\n  \"schema\": \"ksim.summary/v1\",\n  \"seed\": ,\n}", `syntax\.json:3:11: invalid character ','`},
		"schema":   {`{"schema": "ksim.result/v1"}`, `schema\.json: schema is "ksim.result/v1", want "ksim.summary/v1"`},
		"type":     {"{\"schema\": \"ksim.summary/v1\",\n\"pods\": {\"evicted\": \"two\"}}", `type\.json:2:25: json: cannot unmarshal string`},
		"noschema": {`{}`, `noschema\.json: no "schema" field`},
	} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := ksim(t, "check", p, "--max-evicted", "1")
		if code != exitBadInput || !regexp.MustCompile(tc.want).MatchString(stderr) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", name, code, stderr, tc.want)
		}
	}
}

// TestCheckDefaultRun gates the default scenario's real summary, as CI would.
func TestCheckDefaultRun(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := ksim(t, "run", "--out", dir, "--cdn", "-q"); code != 0 {
		t.Fatalf("ksim run: %s", stderr)
	}
	if code, stdout, stderr := ksim(t, "check", dir, "--max-unschedulable", "0", "--max-nodes", "12"); code != 0 {
		t.Errorf("exit %d:\n%s%s", code, stdout, stderr)
	}
	// Its Job waits 35 minutes for the batch pool: a 60 s p99 budget fails.
	if code, stdout, _ := ksim(t, "check", dir, "--max-pending-p99", "60s"); code != 1 || !strings.Contains(stdout, "FAIL  pending_s.p99 = ") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
}
