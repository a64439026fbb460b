// Command ksim is a deterministic discrete-event simulator of Kubernetes scheduling and
// autoscaling. See `ksim --help`.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailure  = 1 // the run failed (a limit was hit, a report could not be written, ...)
	exitBadInput = 2 // bad flags, scenario, manifest or trace
)

// inputError marks an error caused by what the user gave: exit status 2.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func badInput(err error) error { return &inputError{err} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status. Only main exits.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "ksim: %v\n", err)
	var ie *inputError
	if errors.As(err, &ie) {
		return exitBadInput
	}
	return exitFailure
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ksim",
		Short: "Deterministic simulator of Kubernetes scheduling and autoscaling",
		Long: `ksim replays CPU load through a simulated Kubernetes cluster: pods are placed by
kube-scheduler's filter and score plugins, HorizontalPodAutoscalers scale Deployments as the
upstream controller does, and nodes fail, drain and come back as the scenario says. A run is a
pure function of the scenario and the seed: same inputs, byte-identical outputs.`,
		Example: `  # Run the embedded default scenario; writes ksim-out/report.html, summary.json, ...
  ksim run

  # Run your own scenario with another seed
  ksim run my-cluster/scenario.yaml --seed 7 --out results/

  # Where would these pods go on my cluster, and why?
  kubectl get nodes,pods -A -o yaml > cluster.yaml
  ksim place --cluster cluster.yaml --explain -o table new-pods.yaml

  # What-ifs: HPA target × traffic, best variant under a pending-time budget
  ksim sweep scenario.yaml --vary 'HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization=50,70' \
    --vary spec.load[0].trace.peakCores=x1.0,x1.5 --budget 'pending_p99_s<=60'

  # Gate a CI job on a run's figures
  ksim check ksim-out --max-unschedulable 0 --max-pending-p99 60s`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(stdout, stderr))
	}
	return root
}

// subcommands are the constructors of ksim's commands. Each command's file registers its own in
// an init function, so that adding a command touches no other file.
var subcommands []func(stdout, stderr io.Writer) *cobra.Command

// version is the module version ksim was built as ("(devel)" in a work tree).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
