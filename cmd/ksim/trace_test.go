package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// TestTraceInspectGolden runs `ksim trace inspect` on the sample of every trace format in
// workloads/testdata and compares exit status, stdout and stderr with testdata/trace/NAME.golden.
// Regenerate with: go test ./cmd/ksim -run TestTraceInspectGolden -update
func TestTraceInspectGolden(t *testing.T) {
	const td = "../../workloads/testdata/"
	cases := []struct {
		name string
		args []string
	}{
		{"alibaba-machine", []string{td + "alibaba-machine-300rows.csv"}},
		{"alibaba-machine-series-column", []string{"--series", "m_1933", "--column", "net_in", td + "alibaba-machine-300rows.csv"}},
		{"alibaba-container", []string{td + "alibaba-container-synthetic.csv", "--invalid", "skip", "--column", "disk_io_percent"}},
		{"google2011-task", []string{"--series", "3418309/0,3418309/1,3418314/0", td + "google2011-task-200rows.csv"}},
		{"google2011-job", []string{"--format", "google2011-task", "--series-by", "job_id", "--series", "3418309,3418314", td + "google2011-task-200rows.csv"}},
		{"google2019-derived", []string{td + "google2019-derived-1day.csv"}},
		{"google2019-instance", []string{td + "google2019-instance-synthetic.csv", "--column", "maximum_usage_cpus"}},
		{"azure-v1", []string{"--series", "+ZcrOp5/c/fJ6mVgP5qMZlOAGDwyjaaDNM0WoWOt2IDb47gT0UwK9lFwkPQv3C7Q", td + "azure-v1-readings-100rows.csv"}},
		{"azure-v2-cores", []string{"--format", "azure-v2", "--column", "avg_cpu_cores", "--vmtable", td + "azure-v2-vmtable-synthetic.csv",
			"--series", "+ZcrOp5/c/fJ6mVgP5qMZlOAGDwyjaaDNM0WoWOt2IDb47gT0UwK9lFwkPQv3C7Q,2zrgeOqUDy+l0GVi5NXudU+3sqZH+nLowfcz+D/JsCymTXbKrRf1Hr3OjAtxjnKm", td + "azure-v1-readings-100rows.csv"}},
		{"bitbrains", []string{td + "bitbrains-rnd-386-500rows.csv"}},
		{"bitbrains-cores", []string{td + "bitbrains-rnd-386-500rows.csv", "--column", "cpu_usage_cores"}},
		{"counts", []string{td + "nasa-1995-07-01-first-hour.txt"}},
		{"count-csv", []string{td + "worldcup98-100rows-with-gap.csv"}},
		{"csv", []string{"--column", "cpu_usage", td + "azure-v2-1day.csv"}},
		{"prometheus-query-range", []string{td + "prometheus-query-range.json", "--series-by", "pod", "--unit", "cores"}},
		{"prometheus-matrix", []string{td + "prometheus-matrix.json"}},
		// Bad input: exit status 2 and FILE:LINE.
		{"error-csv-without-column", []string{td + "azure-v2-1day.csv"}},
		{"error-invalid-row", []string{"--column", "disk_io_percent", td + "alibaba-container-synthetic.csv"}},
		{"error-vmtable-detected", []string{td + "azure-v1-vmtable-10rows.csv"}},
		{"error-unknown-format", []string{"--format", "parquet", td + "azure-v2-1day.csv"}},
		{"error-unknown-column", []string{"--column", "cpu", td + "alibaba-machine-300rows.csv"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ksim(t, append([]string{"trace", "inspect"}, tc.args...)...)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
			path := filepath.Join("testdata", "trace", tc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("ksim trace inspect %s differs from %s (run with -update to accept):\ngot:\n%s\nwant:\n%s", strings.Join(tc.args, " "), path, got, want)
			}
			if strings.HasPrefix(tc.name, "error-") != (code == exitBadInput) {
				t.Errorf("exit %d", code)
			}
		})
	}
}

func TestTraceNeedsACommand(t *testing.T) {
	if code, _, stderr := ksim(t, "trace"); code != exitBadInput || !strings.Contains(stderr, "inspect") {
		t.Errorf("ksim trace: exit %d, %s", code, stderr)
	}
	if code, _, _ := ksim(t, "trace", "inspect"); code != exitBadInput {
		t.Errorf("ksim trace inspect without a file: exit %d", code)
	}
	if code, _, _ := ksim(t, "trace", "inspect", "/no/such/file"); code != exitBadInput {
		t.Errorf("a missing file: exit %d", code)
	}
}
