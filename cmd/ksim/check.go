package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ksim.dev/ksim/reports"
)

// budget is one limit `ksim check` can put on a summary: the flag, the summary field it reads,
// and how its values are written.
type budget struct {
	flag  string
	field string // the summary.json field, for messages
	kind  budgetKind
	get   func(*reports.SummaryV1) float64
	help  string
}

type budgetKind int

const (
	count    budgetKind = iota // a whole number
	seconds                    // a duration flag (60s, 2m), compared in seconds
	fraction                   // a ratio in [0, 1]
)

// budgets are the limits of `ksim check`, in the order they are printed.
var budgets = []budget{
	{"max-unschedulable", "pods.unschedulable_at_end", count,
		func(s *reports.SummaryV1) float64 { return float64(s.Pods.UnschedulableAtEnd) }, "pods still unschedulable at the end"},
	{"max-ever-unschedulable", "pods.ever_unschedulable", count,
		func(s *reports.SummaryV1) float64 { return float64(s.Pods.EverUnschedulable) }, "pods that failed at least one scheduling attempt"},
	{"max-pending-at-end", "pods.pending_at_end", count,
		func(s *reports.SummaryV1) float64 { return float64(s.Pods.PendingAtEnd) }, "pods still pending at the end"},
	{"max-evicted", "pods.evicted", count,
		func(s *reports.SummaryV1) float64 { return float64(s.Pods.Evicted) }, "pods evicted"},
	{"max-preempted", "pods.preempted", count,
		func(s *reports.SummaryV1) float64 { return float64(s.Pods.Preempted) }, "pods preempted"},
	{"max-pending-p50", "pending_s.p50", seconds,
		func(s *reports.SummaryV1) float64 { return s.PendingS.P50 }, "median pending time"},
	{"max-pending-p95", "pending_s.p95", seconds,
		func(s *reports.SummaryV1) float64 { return s.PendingS.P95 }, "95th percentile of pending time"},
	{"max-pending-p99", "pending_s.p99", seconds,
		func(s *reports.SummaryV1) float64 { return s.PendingS.P99 }, "99th percentile of pending time"},
	{"max-pending-max", "pending_s.max", seconds,
		func(s *reports.SummaryV1) float64 { return s.PendingS.Max }, "longest pending time"},
	{"max-nodes", "nodes.max_live", count,
		func(s *reports.SummaryV1) float64 { return float64(s.Nodes.MaxLive) }, "nodes that existed at once"},
	{"max-scale-events", "hpa_totals.scale_events", count,
		func(s *reports.SummaryV1) float64 { return float64(s.HPATotals.ScaleEvents) }, "scale events of all HPAs"},
	{"max-unserved-fraction", "hpa_totals.unserved_fraction", fraction,
		func(s *reports.SummaryV1) float64 { return s.HPATotals.UnservedFraction }, "share of the demand the HPAs' targets did not serve (0..1)"},
	{"max-cpu-requested-fraction", "nodes.cpu_requested_fraction_max", fraction,
		func(s *reports.SummaryV1) float64 { return s.Nodes.CPURequestedFractionMax }, "peak share of allocatable CPU requested (0..1)"},
}

func init() { subcommands = append(subcommands, newCheckCmd) }

func newCheckCmd(stdout, stderr io.Writer) *cobra.Command {
	counts := map[string]*int64{}
	durations := map[string]*time.Duration{}
	fractions := map[string]*float64{}
	cmd := &cobra.Command{
		Use:   "check SUMMARY [--max-... LIMIT]...",
		Short: "Check a run's summary.json against budgets, for CI",
		Long: `Check the key figures of a run against budgets: print each budget given with the run's
value, and exit 1 when any is exceeded, naming which. SUMMARY is a summary.json
(ksim.summary/v1, docs/summary.md) or a run directory holding one. A value equal to its budget
passes.

Exit status: 0 when every budget holds, 1 when one is exceeded, 2 for bad input (no budget,
a bad limit, a missing or malformed summary).`,
		Example: `  ksim run scenario.yaml --out run
  ksim check run --max-unschedulable 0 --max-pending-p99 60s --max-nodes 40
  ksim check run/summary.json --max-unserved-fraction 0.01`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("check takes one summary.json or run directory, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			limits := map[string]float64{}
			for _, b := range budgets {
				if !cmd.Flags().Changed(b.flag) {
					continue
				}
				var v float64
				switch b.kind {
				case count:
					v = float64(*counts[b.flag])
				case seconds:
					v = durations[b.flag].Seconds()
				case fraction:
					v = *fractions[b.flag]
					if v > 1 {
						return badInput(fmt.Errorf("--%s %v: want a fraction between 0 and 1", b.flag, v))
					}
				}
				if v < 0 {
					return badInput(fmt.Errorf("--%s %v: a budget must not be negative", b.flag, flagText(cmd.Flags(), b.flag)))
				}
				limits[b.flag] = v
			}
			if len(limits) == 0 {
				return badInput(fmt.Errorf("no budget given: add at least one of --%s", flagNames()))
			}
			return checkSummary(args[0], limits, stdout)
		},
	}
	f := cmd.Flags()
	for _, b := range budgets {
		switch b.kind {
		case count:
			counts[b.flag] = f.Int64(b.flag, 0, "budget: "+b.help+" ("+b.field+")")
		case seconds:
			durations[b.flag] = f.Duration(b.flag, 0, "budget: "+b.help+", e.g. 60s ("+b.field+")")
		case fraction:
			fractions[b.flag] = f.Float64(b.flag, 0, "budget: "+b.help+" ("+b.field+")")
		}
	}
	return cmd
}

func flagText(f *pflag.FlagSet, name string) string { return f.Lookup(name).Value.String() }

func flagNames() string {
	names := make([]string, len(budgets))
	for i, b := range budgets {
		names[i] = b.flag
	}
	return strings.Join(names, ", --")
}

// checkSummary reads the summary at path (a file or a run directory) and checks the limits.
func checkSummary(path string, limits map[string]float64, stdout io.Writer) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, summaryFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return badInput(err)
	}
	defer f.Close()
	s, err := reports.ReadSummary(f)
	if err != nil {
		return badInput(fmt.Errorf("%s:%w", path, colonError{err}))
	}
	var exceeded []string
	for _, b := range budgets {
		limit, ok := limits[b.flag]
		if !ok {
			continue
		}
		v := b.get(s)
		status := "ok"
		if v > limit {
			status = "FAIL"
			exceeded = append(exceeded, fmt.Sprintf("%s %s > %s", b.field, b.format(v), b.format(limit)))
		}
		fmt.Fprintf(stdout, "%-4s  %s = %s (budget --%s %s)\n", status, b.field, b.format(v), b.flag, b.format(limit))
	}
	if len(exceeded) > 0 {
		return fmt.Errorf("%s: %d of %d budgets exceeded: %s", path, len(exceeded), len(limits), strings.Join(exceeded, "; "))
	}
	return nil
}

func (b budget) format(v float64) string {
	switch b.kind {
	case seconds:
		return fmtNum(v) + "s"
	default:
		return fmtNum(v)
	}
}
