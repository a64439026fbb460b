package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const examples = "../../autoscaler/hpa/replay/testdata/examples"

// TestHPAReplayExamples runs `ksim hpa replay` on the worked examples: exit 0 and, byte for
// byte, the output of the upstream controller (expected.jsonl), from a file and from stdin.
func TestHPAReplayExamples(t *testing.T) {
	hpas, err := filepath.Glob(filepath.Join(examples, "*", "hpa.yaml"))
	if err != nil || len(hpas) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, hpa := range hpas {
		dir := filepath.Dir(hpa)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "expected.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			obs := filepath.Join(dir, "observations.jsonl")
			code, stdout, stderr := ksim(t, "hpa", "replay", "--hpa", filepath.Join(dir, "hpa.yaml"), obs)
			if code != 0 || stdout != string(want) {
				t.Fatalf("exit %d, stderr %q; stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
			}

			raw, err := os.ReadFile(obs)
			if err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			root := newRootCmd(&out, &errb)
			root.SetIn(bytes.NewReader(raw))
			root.SetArgs([]string{"hpa", "replay", "--hpa", filepath.Join(dir, "hpa.yaml"), "-"})
			if err := root.Execute(); err != nil || out.String() != string(want) {
				t.Fatalf("from stdin: err %v; stdout:\n%s", err, out.String())
			}
		})
	}
}

// TestHPAReplayBadInput: bad flags, files and lines exit with status 2 and say where.
func TestHPAReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(filepath.Join(examples, "legacy-downscale-stabilization", "hpa.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hpaFile := write("hpa.yaml", string(good))
	badHPA := write("bad-hpa.yaml", strings.Replace(string(good), "maxReplicas: 10", "maxReplicas: 1", 1))
	pod := `{"name":"a","phase":"Running","created":-600,"ready":true,"readyChanged":-570,"requests":{"cpu":"500m"},"usage":{"cpu":"250m"},"metricTime":-5,"metricWindow":15}`
	okLine := `{"t":0,"replicas":2,"pods":[` + pod + `]}` + "\n"
	obs := write("obs.jsonl", okLine+`{"t":15,"replicas":2,"pods":[`+strings.Replace(pod, `"250m"`, `"lots"`, 1)+`]}`+"\n")

	tests := []struct {
		name       string
		args       []string
		wantStderr string
		wantLines  int
	}{
		{"bad line", []string{"--hpa", hpaFile, obs}, obs + `:2: pods[0].usage.cpu: "lots" is not a quantity`, 1},
		{"missing --hpa", []string{obs}, "--hpa: required", 0},
		{"no observations argument", []string{"--hpa", hpaFile}, "replay takes one observations file", 0},
		{"observations file missing", []string{"--hpa", hpaFile, filepath.Join(dir, "nope.jsonl")}, "no such file", 0},
		{"invalid HPA", []string{"--hpa", badHPA, obs}, badHPA + ": spec.maxReplicas: must be greater than or equal to minReplicas (2), got 1", 0},
		{"negative tolerance", []string{"--hpa", hpaFile, "--tolerance", "-1", obs}, "--tolerance -1: want a number >= 0", 0},
		{"sub-second sync period", []string{"--hpa", hpaFile, "--sync-period", "1500ms", obs}, "--sync-period 1.5s: want a whole number of seconds", 0},
		{"unknown flag", []string{"--hpa", hpaFile, "--sync", "15s", obs}, "unknown flag: --sync", 0},
		{"bad duration", []string{"--hpa", hpaFile, "--downscale-stabilization", "5 minutes", obs}, `invalid argument "5 minutes"`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := ksim(t, append([]string{"hpa", "replay"}, tc.args...)...)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitBadInput, stderr)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tc.wantStderr)
			}
			if got := strings.Count(stdout, "\n"); got != tc.wantLines {
				t.Errorf("%d lines on stdout, want %d:\n%s", got, tc.wantLines, stdout)
			}
		})
	}
}
