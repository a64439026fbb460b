package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"ksim.dev/ksim/reports"
	"ksim.dev/ksim/sim"
	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sim/scenario"
)

// runConfig is the parsed command line of `ksim run`.
type runConfig struct {
	scenario string // "" for the embedded default
	out      string
	seed     uint64
	seedSet  bool
	echarts  string // path to echarts.min.js
	cdn      bool
	quiet    bool
	explain  int // scheduling attempts whose full explanation the report keeps
}

func init() { subcommands = append(subcommands, newRunCmd) }

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg runConfig
	cmd := &cobra.Command{
		Use:   "run [SCENARIO]",
		Short: "Run a scenario and write summary.json and report.html",
		Long: `Run a scenario (the embedded default one when SCENARIO is omitted) to its horizon, then write
DIR/summary.json (schema ksim.summary/v1, see docs/summary.md) and DIR/report.html, and print a
short summary. The report is one self-contained file: the ECharts library is inlined. ksim takes
it from --echarts, else $KSIM_ECHARTS_JS, else its cache (filled once from the npm registry,
checked against a pinned hash); --cdn makes the report load it from a CDN instead.

Exit status: 0 on success, 1 when the run fails, 2 for bad input (flags, scenario, manifests,
traces), with FILE:LINE in the message.`,
		Example: `  ksim run                                  # the default scenario, into ./ksim-out
  ksim run scenario.yaml --out results --seed 42
  ksim run scenario.yaml --echarts node_modules/echarts/dist/echarts.min.js`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return badInput(fmt.Errorf("run takes at most one scenario file, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				cfg.scenario = args[0]
			}
			cfg.seedSet = cmd.Flags().Changed("seed")
			return runScenario(cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfg.out, "out", "o", "ksim-out", "directory to write summary.json and report.html into")
	f.Uint64Var(&cfg.seed, "seed", 0, "random seed (default: the scenario's spec.seed)")
	f.StringVar(&cfg.echarts, "echarts", "", "path to echarts.min.js to inline in the report")
	f.BoolVar(&cfg.cdn, "cdn", false, "let the report load ECharts from a CDN instead of inlining it")
	f.BoolVarP(&cfg.quiet, "quiet", "q", false, "print nothing but errors")
	f.IntVar(&cfg.explain, "explain-max", 500, "keep the scheduler's full explanation (every node's verdicts and scores) for this many placements, for the report")
	return cmd
}

// loadScenario reads the named scenario, or the embedded default one.
func loadScenario(path string) (*scenario.Scenario, error) {
	var sc *scenario.Scenario
	var err error
	if path == "" {
		sc, err = scenario.LoadFS(defaultscenario.FS, defaultscenario.Path)
	} else {
		sc, err = scenario.Load(path)
	}
	if err != nil {
		return nil, badInput(err)
	}
	return sc, nil
}

func runScenario(cfg runConfig, stdout, stderr io.Writer) error {
	sc, err := loadScenario(cfg.scenario)
	if err != nil {
		return err
	}
	if cfg.explain < 0 {
		return badInput(fmt.Errorf("--explain-max must be >= 0, got %d", cfg.explain))
	}
	opts := sim.Options{Seed: cfg.seed, SeedSet: cfg.seedSet, MaxExplained: cfg.explain}
	if !cfg.quiet && isTerminal(stderr) {
		opts.Progress = progressPrinter(stderr)
	}
	s, err := sim.New(sc, opts)
	if err != nil {
		return badInput(err)
	}
	res, runErr := s.Run()
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if runErr != nil {
		return fmt.Errorf("%w\nreproduce with: %s", runErr, reproduceCommand(cfg, res.Seed))
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	summary := reports.Summary(res, version())
	var buf bytes.Buffer
	if err := reports.WriteSummary(&buf, summary); err != nil {
		return err
	}
	summaryPath := filepath.Join(cfg.out, "summary.json")
	if err := os.WriteFile(summaryPath, buf.Bytes(), 0o644); err != nil {
		return err
	}
	reportPath := filepath.Join(cfg.out, "report.html")
	if err := writeReport(reportPath, res, cfg, stderr); err != nil {
		return err
	}
	if !cfg.quiet {
		printSummary(stdout, res, summaryPath, reportPath)
	}
	return nil
}

func writeReport(path string, res *sim.Result, cfg runConfig, stderr io.Writer) error {
	opts := reports.HTMLOptions{AllowCDN: cfg.cdn, Version: version()}
	if !cfg.cdn {
		js, err := echartsJS(cfg.echarts, stderr)
		if err != nil {
			return err
		}
		opts.EChartsJS = js
	}
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, res, opts); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// printSummary prints the key figures of a run for a person.
func printSummary(w io.Writer, res *sim.Result, summaryPath, reportPath string) {
	fmt.Fprintf(w, "scenario %s, seed %d: %v simulated, %d events\n", res.Scenario, res.Seed, res.Duration, res.Events)
	fmt.Fprintf(w, "pods: %d created, %d scheduled, %d pending at end (%d unschedulable), %d evicted\n",
		res.Pods.Created, res.Pods.Scheduled, res.Pods.PendingAtEnd, res.Pods.UnschedulableAtEnd, res.Pods.Evicted)
	for _, h := range res.HPAs {
		lo, hi := h.MinReplicas, h.MinReplicas
		if len(h.Replicas.Points) > 0 {
			lo, hi = int32(h.Replicas.Points[0].V), int32(h.Replicas.Points[0].V)
		}
		for _, p := range h.Replicas.Points {
			lo, hi = min(lo, int32(p.V)), max(hi, int32(p.V))
		}
		fmt.Fprintf(w, "hpa %s/%s: %d scale events, replicas %d..%d\n", h.Namespace, h.Name, len(h.ScaleEvents), lo, hi)
	}
	fmt.Fprintf(w, "wrote %s and %s\n", summaryPath, reportPath)
}

// reproduceCommand is the command line that repeats a run.
func reproduceCommand(cfg runConfig, seed uint64) string {
	cmd := "ksim run"
	if cfg.scenario != "" {
		cmd += " " + cfg.scenario
	}
	return fmt.Sprintf("%s --seed %d", cmd, seed)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter returns a Progress callback that shows how far a long run got, once the run
// has taken more than a second, at most five times a second.
func progressPrinter(w io.Writer) func(now, horizon time.Duration, events int64) {
	start := time.Now()
	var last time.Time
	return func(now, horizon time.Duration, events int64) {
		t := time.Now()
		if t.Sub(start) < time.Second || t.Sub(last) < 200*time.Millisecond {
			return
		}
		last = t
		pct := 100 * float64(now) / float64(horizon)
		fmt.Fprintf(w, "\r\033[Ksimulated %v of %v (%.0f%%), %d events, %.0fs", now.Truncate(time.Second), horizon, pct, events, t.Sub(start).Seconds())
	}
}
