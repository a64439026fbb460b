package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ksim.dev/ksim/workloads"
)

// traceConfig is the parsed command line of `ksim trace inspect`.
type traceConfig struct {
	file       string
	format     string
	series     []string
	column     string
	timeColumn string
	seriesBy   string
	unit       string
	vmtable    string
	interval   time.Duration
	step       time.Duration
	maxGap     time.Duration
	invalid    string
}

func init() { subcommands = append(subcommands, newTraceCmd) }

func newTraceCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Look at trace files before replaying them",
		Long: `Commands about trace files: the formats ksim reads are listed in docs/traces.md
(Alibaba 2018, Google 2011 and 2019, Azure V1 and V2, Bitbrains, request counts, generic CSV,
Prometheus query_range JSON).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return badInput(errors.New("trace needs a command: inspect"))
		},
	}
	cmd.AddCommand(newTraceInspectCmd(stdout, stderr))
	return cmd
}

func newTraceInspectCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg traceConfig
	cmd := &cobra.Command{
		Use:   "inspect [--format F] [--series ID]... [--column C] FILE",
		Short: "Summarise each series of a trace file: samples, span, range, mean, gaps",
		Long: `Stream a trace file and print one JSON object per series, in order of first appearance
(or of --series):

  {"series": ID, "samples": N, "start_s": T0, "end_s": T1, "min": V, "max": V, "mean": V, "gaps": N,
   "step_s": S, "max_gap_s": G, "duplicates": N, "out_of_order": N, "unit": U, "column": C}

("unit" is "" when the file does not say: generic CSV and Prometheus without --unit.)

Times are seconds in the file's own clock (Unix seconds, or seconds from the trace's start;
Google's microseconds are divided by 10^6), values are in the column's own unit, and "mean" is
the plain mean of the samples. A gap is an interval between consecutive samples of a series
longer than max_gap_s (by default 1.5 × step_s, the format's sampling step or the median of the
series' first 16 intervals).

Without --format the format is detected from the first line, and stderr says what was detected
and why. stderr also names the first line of each series' gaps, duplicates and out-of-order rows
(FILE:LINE). The file is streamed: its size does not matter, only the number of series.

Exit status: 0 on success, 2 for bad input (flags, or a row the format does not allow:
FILE:LINE: what is wrong, what is allowed; --invalid skip skips such rows), 1 otherwise.`,
		Example: `  ksim trace inspect machine_usage.csv
  ksim trace inspect --series m_1932 --column mem_util_percent machine_usage.csv
  ksim trace inspect --format google2011-task --series-by job_id part-00000-of-00500.csv
  ksim trace inspect --format azure-v2 --column avg_cpu_cores --vmtable vmtable.csv vm_cpu_readings-file-1-of-195.csv
  curl -s 'http://prometheus:9090/api/v1/query_range?query=sum(rate(container_cpu_usage_seconds_total[1m]))&start=…&end=…&step=15s' > cpu.json
  ksim trace inspect cpu.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("trace inspect takes one FILE, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.file = args[0]
			return traceInspect(cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.format, "format", "", "the trace format (default: detected); one of "+workloads.FormatNames())
	f.StringSliceVar(&cfg.series, "series", nil, "inspect only these series, in this order (repeat or comma-separate)")
	f.StringVar(&cfg.column, "column", "", "the value column (default: the format's CPU column)")
	f.StringVar(&cfg.timeColumn, "time-column", "", "the time column (csv: default timestamp; count-csv: default the first)")
	f.StringVar(&cfg.seriesBy, "series-by", "", "the columns (or Prometheus labels) that name a series, joined by /")
	f.StringVar(&cfg.unit, "unit", "", "the column's unit, for csv and prometheus files that do not say")
	f.StringVar(&cfg.vmtable, "vmtable", "", "the Azure vmtable, for the *_cores columns")
	f.DurationVar(&cfg.interval, "interval", 0, "the time between values of a counts file (default 1s), or between rows without times")
	f.DurationVar(&cfg.step, "step", 0, "the nominal sampling step (default: the format's, else estimated)")
	f.DurationVar(&cfg.maxGap, "max-gap", 0, "intervals longer than this are gaps (default 1.5 × step)")
	f.StringVar(&cfg.invalid, "invalid", "error", "rows that are not valid numbers: error or skip")
	return cmd
}

// inspectLine is one line of `ksim trace inspect` output. The first eight fields are the ones
// the command promises; the rest say how gaps were judged and what else was found.
type inspectLine struct {
	Series     string  `json:"series"`
	Samples    int     `json:"samples"`
	StartS     float64 `json:"start_s"`
	EndS       float64 `json:"end_s"`
	Min        float64 `json:"min"`
	Max        float64 `json:"max"`
	Mean       float64 `json:"mean"`
	Gaps       int     `json:"gaps"`
	StepS      float64 `json:"step_s"`
	MaxGapS    float64 `json:"max_gap_s"`
	Duplicates int     `json:"duplicates"`
	OutOfOrder int     `json:"out_of_order"`
	Unit       string  `json:"unit"`
	Column     string  `json:"column"`
}

// maxFlawLines bounds the stderr lines about flawed series.
const maxFlawLines = 10

func traceInspect(cfg traceConfig, stdout, stderr io.Writer) error {
	f, err := os.Open(cfg.file)
	if err != nil {
		return badInput(err)
	}
	defer f.Close()
	var in io.Reader = f
	format := cfg.format
	if format == "" {
		head := make([]byte, workloads.DetectBytes)
		n, err := io.ReadFull(f, head)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return err
		}
		head = head[:n]
		detected, why, err := workloads.Detect(head)
		if err != nil {
			return badInput(fmt.Errorf("%s: %w (give --format)", cfg.file, err))
		}
		fmt.Fprintf(stderr, "ksim: %s: detected format %s: %s\n", cfg.file, detected, why)
		format = detected
		in = io.MultiReader(bytes.NewReader(head), f)
	}
	opts := workloads.Options{Format: format, Column: cfg.column, TimeColumn: cfg.timeColumn, SeriesBy: cfg.seriesBy,
		Series: cfg.series, Unit: workloads.Unit(cfg.unit), Interval: cfg.interval, Step: cfg.step, MaxGap: cfg.maxGap,
		Invalid: workloads.InvalidPolicy(cfg.invalid)}
	if format == workloads.FormatCSV && cfg.column == "" {
		return badInput(fmt.Errorf("%s: a csv file needs --column, the value column to inspect", cfg.file))
	}
	if cfg.vmtable != "" {
		var want map[string]bool
		if cfg.series != nil {
			want = map[string]bool{}
			for _, s := range cfg.series {
				want[s] = true
			}
		}
		vf, err := os.Open(cfg.vmtable)
		if err != nil {
			return badInput(err)
		}
		counts, err := workloads.ReadVMTable(vf, cfg.vmtable, format, want)
		vf.Close()
		if err != nil {
			return badInput(err)
		}
		opts.CoreCounts = counts
	}
	rep, err := workloads.Inspect(in, cfg.file, opts)
	if err != nil {
		var pe *workloads.ParseError
		if errors.As(err, &pe) && strings.HasPrefix(pe.Msg, "read: ") {
			return err // the file could not be read: not the user's input
		}
		return badInput(err)
	}
	enc := json.NewEncoder(stdout)
	flawed := 0
	for _, s := range rep.Series {
		line := inspectLine{Series: s.Series, Samples: s.Samples, StartS: s.Start.Seconds(), EndS: s.End.Seconds(),
			Min: s.Min, Max: s.Max, Mean: s.Mean, Gaps: s.Gaps, StepS: s.Step.Seconds(), MaxGapS: s.MaxGap.Seconds(),
			Duplicates: s.Duplicates, OutOfOrder: s.OutOfOrder, Unit: string(rep.Column.Unit), Column: rep.Column.Name}
		if err := enc.Encode(line); err != nil {
			return err
		}
		if s.Samples == 0 {
			fmt.Fprintf(stderr, "ksim: %s: series %q is not in the file\n", cfg.file, s.Series)
			continue
		}
		for _, fl := range []struct {
			n, line int
			what    string
		}{
			{s.Gaps, s.FirstGap, fmt.Sprintf("gaps (intervals longer than %v)", s.MaxGap)},
			{s.Duplicates, s.FirstDuplicate, "duplicate times"},
			{s.OutOfOrder, s.FirstOutOfOrder, "rows out of order"},
		} {
			if fl.n == 0 {
				continue
			}
			flawed++
			if flawed <= maxFlawLines {
				fmt.Fprintf(stderr, "%s:%d: series %q: the first of %d %s\n", cfg.file, fl.line, s.Series, fl.n, fl.what)
			}
		}
	}
	if flawed > maxFlawLines {
		fmt.Fprintf(stderr, "ksim: %s: %d more flaws not shown\n", cfg.file, flawed-maxFlawLines)
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(stderr, "%s:%d: skipped %d invalid rows; the first: %s\n", cfg.file, rep.FirstSkipped.Line, rep.Skipped, rep.FirstSkipped.Msg)
	}
	return nil
}
