package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const placeDir = "../../place/testdata"

func TestPlaceCommand(t *testing.T) {
	cluster := filepath.Join(placeDir, "forms", "cluster.yaml")
	pods := filepath.Join(placeDir, "pods.yaml")
	golden := func(name string) string {
		b, err := os.ReadFile(filepath.Join(placeDir, "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "jsonl", args: []string{"place", "--cluster", cluster, "--seed", "1", pods}, want: golden("place.jsonl")},
		{name: "table", args: []string{"place", "--cluster", cluster, "--seed", "1", "-o", "table", pods}, want: golden("place.table")},
		{name: "explain", args: []string{"place", "--cluster", cluster, "--seed", "1", "--explain", pods}, want: golden("explain.jsonl")},
		{name: "explain table", args: []string{"place", "--cluster", cluster, "--seed", "1", "--explain", "-o", "table", pods}, want: golden("explain.table")},
		{name: "config", args: []string{"place", "--cluster", cluster, "--seed", "1", "--explain", "--config", filepath.Join(placeDir, "bin-packing.yaml"), pods}, want: golden("bin-packing.jsonl")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ksim(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if stdout != tc.want {
				t.Errorf("stdout differs from the golden file:\n%s", stdout)
			}
			if !strings.Contains(stderr, "ksim place: note: ") || !strings.Contains(stderr, "skipped 1 Service") {
				t.Errorf("stderr lacks the notes:\n%s", stderr)
			}
		})
	}
}

func TestPlaceReadsStdin(t *testing.T) {
	pods, err := os.ReadFile(filepath.Join(placeDir, "pods.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd := newPlaceCmd(&out, &errb)
	cmd.SetIn(bytes.NewReader(pods))
	cmd.SetArgs([]string{"--cluster", filepath.Join(placeDir, "forms", "cluster-typed.json"), "--seed", "1", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("place -: %v\n%s", err, errb.String())
	}
	want, _ := os.ReadFile(filepath.Join(placeDir, "golden", "place.jsonl"))
	if out.String() != string(want) {
		t.Errorf("stdout:\n%s", out.String())
	}
}

// TestPlaceBadInput runs bad command lines and files: each must exit with status 2, say
// FILE:LINE (for files) and what is wrong, and place nothing.
func TestPlaceBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cluster := filepath.Join(placeDir, "forms", "cluster.yaml")
	pods := filepath.Join(placeDir, "pods.yaml")
	noContainers := write("nocontainers.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n")
	badQty := write("qty.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {requests: {memory: 12 gigs}}\n")
	unknown := write("unknown.json", "{\"apiVersion\": \"v1\", \"kind\": \"NodeList\", \"items\": [\n  {\"metadata\": {\"name\": \"a\"}, \"spec\": {\"unschedulabel\": true}}\n]}\n")
	badConfig := write("config.yaml", "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy: {type: Spread}\n")
	tests := []struct {
		name string
		args []string
		want string // a regexp on stderr
	}{
		{name: "no cluster", args: []string{"place", pods}, want: `--cluster is required`},
		{name: "no pods", args: []string{"place", "--cluster", cluster}, want: `one PODS file`},
		{name: "bad format", args: []string{"place", "--cluster", cluster, "-o", "yaml", pods}, want: `-o "yaml" is not a format; allowed: jsonl, table`},
		{name: "bad seed", args: []string{"place", "--cluster", cluster, "--seed", "x", pods}, want: `invalid argument "x"`},
		{name: "missing file", args: []string{"place", "--cluster", filepath.Join(dir, "nope.yaml"), pods}, want: `no such file`},
		{name: "pod without containers", args: []string{"place", "--cluster", cluster, noContainers}, want: regexp.QuoteMeta(noContainers) + `:4: spec: containers: at least one container is required`},
		{name: "quantity", args: []string{"place", "--cluster", cluster, badQty}, want: regexp.QuoteMeta(badQty) + `:7: spec.containers\[0\].resources.requests.memory: "12 gigs" is not a quantity`},
		{name: "unknown field in the cluster", args: []string{"place", "--cluster", unknown, pods}, want: regexp.QuoteMeta(unknown) + `:2: items\[0\].spec.unschedulabel: unknown field "unschedulabel"; did you mean "unschedulable"\?`},
		{name: "config upstream rejects", args: []string{"place", "--cluster", cluster, "--config", badConfig, pods}, want: regexp.QuoteMeta(badConfig) + `:7: profiles\[0\].pluginConfig\[0\].args.scoringStrategy.type: "Spread" is not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ksim(t, tc.args...)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d\n%s", code, exitBadInput, stderr)
			}
			if stdout != "" {
				t.Errorf("something was placed:\n%s", stdout)
			}
			if !regexp.MustCompile(tc.want).MatchString(stderr) {
				t.Errorf("stderr does not match %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "panic") {
				t.Errorf("panic:\n%s", stderr)
			}
		})
	}
}
