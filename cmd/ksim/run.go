package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	pageFlags
	quiet   bool
	explain int // scheduling attempts whose full explanation the report keeps
	// explainSet says --explain-max was given; otherwise explainedFor picks the number.
	explainSet bool

	metricsStep    time.Duration
	metricsStepSet bool     // --metrics-step was given
	metricsStart   string   // RFC 3339; "" for the simulation's epoch
	metricsLabels  []string // name=value
}

func init() { subcommands = append(subcommands, newRunCmd) }

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg runConfig
	cmd := &cobra.Command{
		Use:   "run [SCENARIO]",
		Short: "Run a scenario and write its report, summary, events and metrics",
		Long: `Run a scenario (the embedded default one when SCENARIO is omitted) to its horizon, then write
into DIR:

  summary.json   key figures, schema ksim.summary/v1 (docs/summary.md); for CI, see ksim check
  report.html    the report, one self-contained page (docs/report.md)
  events.jsonl   every event of the run, one JSON object per line (docs/outputs.md)
  metrics.om     every simulated series in OpenMetrics text with timestamps, for
                 promtool tsdb create-blocks-from openmetrics (docs/outputs.md)
  result.json    the series the report draws, for ksim compare (docs/outputs.md)

and print a short summary. The report inlines the ECharts library: ksim takes it from
--echarts, else $KSIM_ECHARTS_JS, else its cache (filled once from the npm registry, checked
against a pinned hash); --cdn makes the report load it from a CDN instead.

Exit status: 0 on success, 1 when the run fails, 2 for bad input (flags, scenario, manifests,
traces), with FILE:LINE in the message.`,
		Example: `  ksim run                                  # the default scenario, into ./ksim-out
  ksim run scenario.yaml --out results --seed 42
  ksim run scenario.yaml --echarts node_modules/echarts/dist/echarts.min.js
  ksim run --metrics-start 2026-11-01T00:00:00Z --metrics-label run=baseline`,
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
			cfg.metricsStepSet = cmd.Flags().Changed("metrics-step")
			cfg.explainSet = cmd.Flags().Changed("explain-max")
			return runScenario(cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfg.out, "out", "o", "ksim-out", "directory to write the outputs into")
	f.Uint64Var(&cfg.seed, "seed", 0, "random seed (default: the scenario's spec.seed)")
	cfg.pageFlags.add(f, "the report")
	f.BoolVarP(&cfg.quiet, "quiet", "q", false, "print nothing but errors")
	f.IntVar(&cfg.explain, "explain-max", defaultExplained, "keep the scheduler's full explanation (every node's verdicts and scores) for this many placements, for the report (fewer by default on clusters of over 200 nodes: about 100,000 node verdicts in all, at least 10 placements)")
	addMetricsFlags(f, &cfg)
	return cmd
}

// addMetricsFlags adds the flags of metrics.om, shared by run and compare.
func addMetricsFlags(f *pflag.FlagSet, cfg *runConfig) {
	f.DurationVar(&cfg.metricsStep, "metrics-step", reports.DefaultMetricsStep, "interval between two samples of a series in metrics.om (longer by default for very large runs: at most 5 million samples)")
	f.StringVar(&cfg.metricsStart, "metrics-start", "", "wall-clock time (RFC 3339) of simulated time 0 in metrics.om (default: the simulation's epoch, 2026-01-01T00:00:00Z)")
	f.StringArrayVar(&cfg.metricsLabels, "metrics-label", nil, "NAME=VALUE label added to every series of metrics.om (repeatable)")
}

// metricsOptions checks the metrics flags.
func metricsOptions(cfg runConfig) (reports.MetricsOptions, error) {
	o := reports.MetricsOptions{Version: version(), Step: cfg.metricsStep}
	if cfg.metricsStep < time.Millisecond {
		return o, badInput(fmt.Errorf("--metrics-step %v: want at least 1ms", cfg.metricsStep))
	}
	if cfg.metricsStart != "" {
		t, err := time.Parse(time.RFC3339, cfg.metricsStart)
		if err != nil {
			return o, badInput(fmt.Errorf("--metrics-start %q: want an RFC 3339 time such as 2026-11-01T00:00:00Z", cfg.metricsStart))
		}
		o.Start = t
	}
	for _, l := range cfg.metricsLabels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return o, badInput(fmt.Errorf("--metrics-label %q: want NAME=VALUE", l))
		}
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		if _, dup := o.Labels[k]; dup {
			return o, badInput(fmt.Errorf("--metrics-label %q: label %s given twice", l, k))
		}
		o.Labels[k] = v
	}
	if err := reports.CheckMetricsOptions(o); err != nil {
		return o, badInput(fmt.Errorf("--metrics-label: %w", err))
	}
	return o, nil
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
	res, err := simulate(cfg, stderr)
	if err != nil {
		return err
	}
	paths, _, err := writeOutputs(cfg.out, res, cfg, stderr)
	if err != nil {
		return err
	}
	if !cfg.quiet {
		printSummary(stdout, res, paths)
	}
	return nil
}

// defaultExplained is --explain-max's default on clusters of up to maxExplainedVerdicts /
// defaultExplained nodes; maxExplainedVerdicts bounds the node verdicts the explanations hold
// by default beyond that, for each costs memory per node (a week of 1,000 nodes with 500
// explanations peaked at 1 GB, with 100 at about 0.55 GB).
const (
	defaultExplained     = 500
	maxExplainedVerdicts = 100_000
)

// explainedFor is how many placements a run on a cluster of n nodes explains by default: 500,
// fewer on clusters of over 200 nodes (100 at 1,000 nodes, 20 at 5,000), at least 10.
func explainedFor(n int) int {
	if n <= 0 {
		return defaultExplained
	}
	return max(10, min(defaultExplained, maxExplainedVerdicts/n))
}

// maxHintedSamples is how many node samples (nodes × duration / sampleInterval) a run may
// record at the default interval before ksim suggests a longer one.
const maxHintedSamples = 5_000_000

// sampleHint returns a hint when a scenario that keeps the default sampleInterval will record
// many node samples, which then cost much of the run's time and memory (a week of 1,000 nodes
// every minute: 10 million samples; 4.8 s and 0.80 GB against 3.9 s and 0.45 GB every 5
// minutes), or "". The interval is left as it is: it sets the resolution of the report and of
// the sampled figures, which should not change behind the user's back (a sweep over the
// cluster's size would compare runs sampled differently).
func sampleHint(sc *scenario.Scenario) string {
	iv := sc.Controllers.SampleInterval
	if iv != scenario.DefaultSampleInterval || iv <= 0 {
		return ""
	}
	samples := int64(len(sc.Nodes)) * int64(sc.Duration/iv)
	if samples <= maxHintedSamples {
		return ""
	}
	better := iv
	for _, step := range metricsSteps { // 1m, 2m, 5m, ..., 1h
		if better = step; int64(len(sc.Nodes))*int64(sc.Duration/step) <= maxHintedSamples {
			break
		}
	}
	return fmt.Sprintf("ksim: hint: %d nodes sampled every %v for %v make %d node samples, a large part of the run's time and memory; "+
		"spec.controllers.sampleInterval: %v would record %d", len(sc.Nodes), iv, sc.Duration, samples,
		better, int64(len(sc.Nodes))*int64(sc.Duration/better))
}

// simulate loads and runs cfg's scenario. It checks every flag first, so that a bad flag costs
// no run.
func simulate(cfg runConfig, stderr io.Writer) (*sim.Result, error) {
	sc, err := loadScenario(cfg.scenario)
	if err != nil {
		return nil, err
	}
	if cfg.explain < 0 {
		return nil, badInput(fmt.Errorf("--explain-max must be >= 0, got %d", cfg.explain))
	}
	if _, err := metricsOptions(cfg); err != nil {
		return nil, err
	}
	explain := cfg.explain
	if !cfg.explainSet {
		explain = explainedFor(len(sc.Nodes))
	}
	if h := sampleHint(sc); h != "" && !cfg.quiet {
		fmt.Fprintln(stderr, h)
	}
	opts := sim.Options{Seed: cfg.seed, SeedSet: cfg.seedSet, MaxExplained: explain}
	if !cfg.quiet && isTerminal(stderr) {
		opts.Progress = progressPrinter(stderr)
	}
	s, err := sim.New(sc, opts)
	if err != nil {
		return nil, badInput(err)
	}
	res, runErr := s.Run()
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if runErr != nil {
		return nil, fmt.Errorf("%w\nreproduce with: %s", runErr, reproduceCommand(cfg, res.Seed))
	}
	return res, nil
}

// maxAutoSamples bounds the samples of metrics.om when --metrics-step is not given (about
// 500 MB; a week of 1,000 nodes at one minute would be 30 million samples, 3 GB); beyond it ksim
// picks a longer step and says so.
const maxAutoSamples = 5_000_000

// metricsSteps are the steps ksim may pick for metrics.om, shortest first.
var metricsSteps = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	15 * time.Minute, 30 * time.Minute, time.Hour}

// autoMetricsStep returns the step of metrics.om: --metrics-step when given, else the shortest
// of metricsSteps that keeps the file within maxAutoSamples, with a notice on stderr when that
// is not the default.
func autoMetricsStep(res *sim.Result, mo reports.MetricsOptions, stderr io.Writer) (time.Duration, error) {
	step := metricsSteps[0]
	for _, s := range metricsSteps {
		step = s
		mo.Step = s
		n, err := reports.MetricsSamples(res, mo)
		if err != nil {
			return 0, err
		}
		if n <= maxAutoSamples {
			break
		}
	}
	if step != reports.DefaultMetricsStep {
		fmt.Fprintf(stderr, "ksim: metrics.om: sampling every %v to keep it under %d samples; --metrics-step sets the step\n", step, maxAutoSamples)
	}
	return step, nil
}

// Output files of a run directory.
const (
	summaryFile = "summary.json"
	reportFile  = "report.html"
	eventsFile  = "events.jsonl"
	metricsFile = "metrics.om"
	resultFile  = "result.json"
)

// writeOutputs writes every output of a run into dir and returns their paths, in the order of
// the list above, and the digest written to result.json. The summary, the report and result.json
// come from one digest of the run (its sums of the node series are the costly part).
func writeOutputs(dir string, res *sim.Result, cfg runConfig, stderr io.Writer) ([]string, *reports.Digest, error) {
	mo, err := metricsOptions(cfg)
	if err != nil {
		return nil, nil, err
	}
	if !cfg.metricsStepSet {
		if mo.Step, err = autoMetricsStep(res, mo, stderr); err != nil {
			return nil, nil, err
		}
	}
	hopts := reports.HTMLOptions{AllowCDN: cfg.cdn, Version: version()}
	if hopts.EChartsJS, err = cfg.script(stderr); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	full := reports.NewDigest(res, version(), 0)
	stored := full.Thin(reports.DefaultStoredPoints, res.Duration)
	outputs := []struct {
		name  string
		write func(io.Writer) error
	}{
		{summaryFile, func(w io.Writer) error { return reports.WriteSummary(w, full.Summary) }},
		{reportFile, func(w io.Writer) error { return reports.WriteHTMLWith(w, res, full, hopts) }},
		{eventsFile, func(w io.Writer) error { return reports.WriteEvents(w, res) }},
		{metricsFile, func(w io.Writer) error { return reports.WriteOpenMetrics(w, res, mo) }},
		{resultFile, func(w io.Writer) error { return reports.WriteDigest(w, stored) }},
	}
	var paths []string
	for _, o := range outputs {
		p := filepath.Join(dir, o.name)
		if err := writeFile(p, o.write); err != nil {
			return nil, nil, err
		}
		paths = append(paths, p)
	}
	return paths, stored, nil
}

// writeFile writes a file through a buffer, reporting the first error of writing, flushing or
// closing it; on error the partial file is removed.
func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// printSummary prints the key figures of a run for a person.
func printSummary(w io.Writer, res *sim.Result, paths []string) {
	fmt.Fprintf(w, "scenario %s, seed %d: %v simulated, %d events\n", res.Scenario, res.Seed, res.Duration, res.Events)
	fmt.Fprintf(w, "pods: %d created, %d scheduled, %d pending at end (%d unschedulable), %d evicted, %d preempted\n",
		res.Pods.Created, res.Pods.Scheduled, res.Pods.PendingAtEnd, res.Pods.UnschedulableAtEnd, res.Pods.Evicted, res.Pods.Preempted)
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
	fmt.Fprintf(w, "wrote %s\n", strings.Join(paths, ", "))
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
