package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ksim.dev/ksim/sim/defaultscenario"
)

// writeDefaultScenario copies the embedded default scenario into dir and returns the path of
// its scenario file; edit, when set, rewrites the text of each file.
func writeDefaultScenario(t *testing.T, dir string, edit func(name, text string) string) string {
	t.Helper()
	err := fs.WalkDir(defaultscenario.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := defaultscenario.FS.ReadFile(p)
		if err != nil {
			return err
		}
		if edit != nil {
			b = []byte(edit(p, string(b)))
		}
		out := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, defaultscenario.Path)
}

// tuned is a variant of the default scenario: the HPA syncs every 15 s instead of 30 s, and
// targets 45 % CPU utilization instead of 60 %.
func tuned(name, s string) string {
	s = strings.Replace(s, "hpaSyncPeriod: 30s", "hpaSyncPeriod: 15s", 1)
	return strings.Replace(s, "averageUtilization: 60", "averageUtilization: 45", 1)
}

func TestCompareRunDirectories(t *testing.T) {
	js := fakeECharts(t)
	base, cand, out := t.TempDir(), t.TempDir(), t.TempDir()
	scen := writeDefaultScenario(t, t.TempDir(), tuned)
	if code, _, stderr := ksim(t, "run", "--out", base, "--echarts", js, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := ksim(t, "run", scen, "--out", cand, "--echarts", js, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := ksim(t, "compare", base, cand, "--out", out, "--echarts", js)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"figure", "pending p99 (s)", "scale events (events)", "wrote " + filepath.Join(out, "compare.html")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<tr><td><code>spec.controllers.hpaSyncPeriod</code></td><td>30s</td><td>15s</td></tr>",
		"run directory " + base, "echarts stand-in"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
}

func TestCompareScenarioFiles(t *testing.T) {
	js := fakeECharts(t)
	dir := t.TempDir()
	base := writeDefaultScenario(t, filepath.Join(dir, "a"), nil)
	cand := writeDefaultScenario(t, filepath.Join(dir, "b"), tuned)
	out := filepath.Join(dir, "out")
	code, _, stderr := ksim(t, "compare", base, cand, "--out", out, "--echarts", js, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"compare.html", "base/summary.json", "base/report.html", "base/result.json",
		"candidate/events.jsonl", "candidate/metrics.om"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("compare did not write %s: %v", p, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "compare.html"))
	if !strings.Contains(string(page), "scenario "+base+", run into "+filepath.Join(out, "base")) {
		t.Error("compare.html does not say where the base run came from")
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "result.json"), []byte("{\"schema\": \"ksim.result/v1\",\n\"summary\": nul}"), 0o644); err != nil {
		t.Fatal(err)
	}
	badScenario := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badScenario, []byte("apiVersion: ksim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  duration: soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", empty}, `compare takes two runs`},
		{[]string{"compare", empty, filepath.Join(dir, "nope")}, `nope: no such file or directory: want a run directory or a scenario file`},
		{[]string{"compare", empty, empty}, `has no result\.json: give a directory written by`},
		{[]string{"compare", broken, empty}, `result\.json:2:15: invalid character '}'`},
		{[]string{"compare", badScenario, empty, "--cdn", "--out", t.TempDir()}, `bad\.yaml:5: .*duration`},
	} {
		code, _, stderr := ksim(t, tc.args...)
		if code != exitBadInput || !regexp.MustCompile(tc.want).MatchString(stderr) {
			t.Errorf("ksim %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
