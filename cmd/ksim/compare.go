package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ksim.dev/ksim/reports"
)

// compareConfig is the parsed command line of `ksim compare`.
type compareConfig struct {
	run  runConfig // how to run a side given as a scenario file
	base string
	cand string
}

func init() { subcommands = append(subcommands, newCompareCmd) }

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg compareConfig
	cmd := &cobra.Command{
		Use:   "compare BASE CANDIDATE",
		Short: "Compare two runs side by side: key figures with their change, charts overlaid",
		Long: `Compare two runs and write DIR/compare.html: the key figures of both with the change (red
where the candidate is worse on a figure where lower is better, such as pending time), the
settings that differ, and the report's charts with both runs overlaid. It also prints the
figures.

BASE and CANDIDATE are each a run directory (written by ksim run: compare reads its result.json,
see docs/outputs.md) or a scenario file, which compare runs first, writing its outputs into
DIR/base or DIR/candidate.

Exit status: 0 when the comparison was written (whatever it shows: use ksim check to gate
CI on budgets), 1 when a run or an output failed, 2 for bad input.`,
		Example: `  ksim run --out base
  ksim run tuned.yaml --out tuned
  ksim compare base tuned --out cmp          # writes cmp/compare.html

  ksim compare before.yaml after.yaml        # runs both, into ksim-compare/{base,candidate}`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return badInput(fmt.Errorf("compare takes two runs (directories or scenario files), got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.base, cfg.cand = args[0], args[1]
			cfg.run.seedSet = cmd.Flags().Changed("seed")
			cfg.run.metricsStepSet = cmd.Flags().Changed("metrics-step")
			cfg.run.explainSet = cmd.Flags().Changed("explain-max")
			return compareRuns(cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfg.run.out, "out", "o", "ksim-compare", "directory to write compare.html into (and the runs of scenario files)")
	f.Uint64Var(&cfg.run.seed, "seed", 0, "random seed of the runs of scenario files (default: each scenario's spec.seed)")
	cfg.run.pageFlags.add(f, "the pages")
	f.BoolVarP(&cfg.run.quiet, "quiet", "q", false, "print nothing but errors")
	f.IntVar(&cfg.run.explain, "explain-max", defaultExplained, "for the runs of scenario files: placements whose full explanation their reports keep (fewer by default on clusters of over 200 nodes)")
	addMetricsFlags(f, &cfg.run)
	return cmd
}

func compareRuns(cfg compareConfig, stdout, stderr io.Writer) error {
	// Check both sides before running either.
	for _, p := range []string{cfg.base, cfg.cand} {
		if _, err := os.Stat(p); err != nil {
			return badInput(fmt.Errorf("%s: %w: want a run directory or a scenario file", p, unwrapPathError(err)))
		}
	}
	base, err := loadSide(cfg, cfg.base, "base", stderr)
	if err != nil {
		return err
	}
	cand, err := loadSide(cfg, cfg.cand, "candidate", stderr)
	if err != nil {
		return err
	}
	o := reports.HTMLOptions{AllowCDN: cfg.run.cdn, Version: version()}
	if o.EChartsJS, err = cfg.run.script(stderr); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.run.out, 0o755); err != nil {
		return err
	}
	out := filepath.Join(cfg.run.out, "compare.html")
	if err := writeFile(out, func(w io.Writer) error { return reports.WriteCompareHTML(w, base, cand, o) }); err != nil {
		return err
	}
	if !cfg.run.quiet {
		printFigures(stdout, reports.CompareFigures(base.Digest.Summary, cand.Digest.Summary))
		fmt.Fprintf(stdout, "wrote %s\n", out)
	}
	return nil
}

// loadSide reads a run directory's result.json, or runs a scenario file into OUT/side.
func loadSide(cfg compareConfig, path, side string, stderr io.Writer) (reports.CompareRun, error) {
	st, err := os.Stat(path)
	if err != nil {
		return reports.CompareRun{}, badInput(err)
	}
	if st.IsDir() {
		file := filepath.Join(path, resultFile)
		f, err := os.Open(file)
		if errors.Is(err, fs.ErrNotExist) {
			return reports.CompareRun{}, badInput(fmt.Errorf("%s has no %s: give a directory written by `ksim run --out DIR`, or a scenario file", path, resultFile))
		}
		if err != nil {
			return reports.CompareRun{}, badInput(err)
		}
		defer f.Close()
		d, err := reports.ReadDigest(f)
		if err != nil {
			return reports.CompareRun{}, badInput(fmt.Errorf("%s:%w", file, colonError{err}))
		}
		return reports.CompareRun{Digest: d, Source: "run directory " + path}, nil
	}
	rc := cfg.run
	rc.scenario = path
	rc.out = filepath.Join(cfg.run.out, side)
	rc.quiet = true
	res, err := simulate(rc, stderr)
	if err != nil {
		return reports.CompareRun{}, err
	}
	_, d, err := writeOutputs(rc.out, res, rc, stderr)
	if err != nil {
		return reports.CompareRun{}, err
	}
	return reports.CompareRun{Digest: d,
		Source: fmt.Sprintf("scenario %s, run into %s", path, rc.out)}, nil
}

// colonError prints an error that starts with a position ("3:5: ...") right after a file name,
// and any other error after a space.
type colonError struct{ err error }

func (c colonError) Error() string {
	s := c.err.Error()
	if len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
		return s
	}
	return " " + s
}

func (c colonError) Unwrap() error { return c.err }

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printFigures prints the key figures of a comparison as a table.
func printFigures(w io.Writer, figs []reports.FigureDelta) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tbase\tcandidate\tchange\t")
	for _, f := range figs {
		change := fmtNum(f.Delta())
		if f.Delta() > 0 {
			change = "+" + change
		}
		if p := f.Percent(); !math.IsNaN(p) && f.Delta() != 0 {
			change += fmt.Sprintf(" (%+.1f %%)", p)
		}
		if v := f.Verdict(); v != "" {
			change += " " + v
		}
		name := f.Name
		if f.Unit != "" {
			name += " (" + f.Unit + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, fmtNum(f.Base), fmtNum(f.Candidate), change)
	}
	tw.Flush()
}

func fmtNum(x float64) string {
	return fmt.Sprint(math.Round(x*1000) / 1000)
}
