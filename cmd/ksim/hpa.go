package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"ksim.dev/ksim/autoscaler/hpa"
	"ksim.dev/ksim/autoscaler/hpa/replay"
)

func init() { subcommands = append(subcommands, newHPACmd) }

func newHPACmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hpa",
		Short: "Work with HorizontalPodAutoscaler decisions",
		Long: `Commands about ksim's HorizontalPodAutoscaler, which makes the decisions of the
kube-controller-manager v1.37 HPA controller (see docs/hpa.md).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return badInput(fmt.Errorf("unknown command %q for \"ksim hpa\" (try: ksim hpa replay --help)", args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newHPAReplayCmd(stdout, stderr))
	return cmd
}

// replayConfig is the parsed command line of `ksim hpa replay`.
type replayConfig struct {
	hpaPath      string
	observations string // a path, or "-" for stdin
	syncPeriod   time.Duration
	opts         hpa.Options
}

func newHPAReplayCmd(stdout, stderr io.Writer) *cobra.Command {
	cfg := replayConfig{opts: hpa.DefaultOptions()}
	cmd := &cobra.Command{
		Use:   "replay --hpa HPA.yaml [flags] OBSERVATIONS.jsonl|-",
		Short: "Replay observed pod metrics through an HPA, one sync per line",
		Long: `Replay observed per-pod metrics through ksim's HPA decision logic and print each
decision: what the HPA would have decided on these metrics, with this spec and behavior.

HPA.yaml is one autoscaling/v2 HorizontalPodAutoscaler (Resource metrics: cpu, memory),
defaulted as the API server defaults it. OBSERVATIONS.jsonl ("-" for stdin) holds one JSON
object per sync: the time t in seconds (a multiple of the sync period, increasing), the
target's replicas, and the pods its selector matches with their phase, readiness, requests
and metrics. The output is one JSON object per input line, {"t", "current", "desired", ...},
written as soon as it is decided. The HPA's memory (stabilization windows, scale events)
carries over between lines as the controller's does. Format: docs/hpa-replay.md.

The flags are kube-controller-manager's, with its defaults.

Exit status: 0 on success, 2 for bad input (FILE:LINE: what is wrong), 1 when the output
cannot be written.`,
		Example: `  ksim hpa replay --hpa web-hpa.yaml observations.jsonl
  ksim hpa replay --hpa web-hpa.yaml --downscale-stabilization 2m - < observations.jsonl
  ksim hpa replay --hpa web-hpa.yaml --tolerance 0.05 observations.jsonl | jq -c '[.t, .desired]'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("replay takes one observations file (or - for stdin), got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.observations = args[0]
			if err := cfg.validate(); err != nil {
				return badInput(err)
			}
			return runReplay(cfg, cmd.InOrStdin(), stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.hpaPath, "hpa", "", "the HorizontalPodAutoscaler (autoscaling/v2 YAML); required")
	f.DurationVar(&cfg.syncPeriod, "sync-period", replay.DefaultSyncPeriod, "--horizontal-pod-autoscaler-sync-period: the period every line's t is a multiple of")
	f.Float64Var(&cfg.opts.Tolerance, "tolerance", cfg.opts.Tolerance, "--horizontal-pod-autoscaler-tolerance")
	f.DurationVar(&cfg.opts.DownscaleStabilization, "downscale-stabilization", cfg.opts.DownscaleStabilization, "--horizontal-pod-autoscaler-downscale-stabilization")
	f.DurationVar(&cfg.opts.CPUInitializationPeriod, "cpu-initialization-period", cfg.opts.CPUInitializationPeriod, "--horizontal-pod-autoscaler-cpu-initialization-period")
	f.DurationVar(&cfg.opts.InitialReadinessDelay, "initial-readiness-delay", cfg.opts.InitialReadinessDelay, "--horizontal-pod-autoscaler-initial-readiness-delay")
	return cmd
}

// validate checks the flags together, before any file is read.
func (c *replayConfig) validate() error {
	switch {
	case c.hpaPath == "":
		return errors.New("--hpa: required: the HorizontalPodAutoscaler file")
	case c.syncPeriod <= 0 || c.syncPeriod%time.Second != 0:
		return fmt.Errorf("--sync-period %v: want a whole number of seconds, > 0", c.syncPeriod)
	case !(c.opts.Tolerance >= 0):
		return fmt.Errorf("--tolerance %v: want a number >= 0", c.opts.Tolerance)
	case c.opts.DownscaleStabilization < 0:
		return fmt.Errorf("--downscale-stabilization %v: want a duration >= 0", c.opts.DownscaleStabilization)
	case c.opts.CPUInitializationPeriod < 0:
		return fmt.Errorf("--cpu-initialization-period %v: want a duration >= 0", c.opts.CPUInitializationPeriod)
	case c.opts.InitialReadinessDelay < 0:
		return fmt.Errorf("--initial-readiness-delay %v: want a duration >= 0", c.opts.InitialReadinessDelay)
	}
	return nil
}

// runReplay loads the HPA, opens the observations and replays them to stdout. Bad input (the
// HPA file, a line) is an input error: exit status 2.
func runReplay(cfg replayConfig, stdin io.Reader, stdout io.Writer) error {
	raw, err := readLimited(cfg.hpaPath, replay.MaxHPABytes)
	if err != nil {
		return badInput(err)
	}
	h, err := replay.LoadHPA(raw)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", cfg.hpaPath, err))
	}
	rc := replay.Config{HPA: h, Options: cfg.opts, SyncPeriod: cfg.syncPeriod}
	if _, err := replay.New(rc); err != nil {
		return badInput(fmt.Errorf("%s: %w", cfg.hpaPath, err))
	}
	in, name := stdin, "stdin"
	if cfg.observations != "-" {
		f, err := os.Open(cfg.observations)
		if err != nil {
			return badInput(err)
		}
		defer f.Close()
		in, name = f, cfg.observations
	}
	err = replay.Run(rc, in, name, stdout)
	var ie *replay.InputError
	if errors.As(err, &ie) {
		return badInput(err)
	}
	return err
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than the limit of %d bytes", path, limit)
	}
	return b, nil
}
