package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"ksim.dev/ksim/place"
	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/sim/scenario"
)

// placeConfig is the parsed command line of `ksim place`.
type placeConfig struct {
	cluster string
	config  string
	pods    string // a file, or "-" for stdin
	seed    uint64
	explain bool
	output  string
}

func init() { subcommands = append(subcommands, newPlaceCmd) }

func newPlaceCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg placeConfig
	cmd := &cobra.Command{
		Use:   "place --cluster CLUSTER.yaml [--config SCHEDULER-CONFIG.yaml] [--seed N] [--explain] [-o jsonl|table] PODS.yaml|-",
		Short: "Place pods on a cluster as kube-scheduler would, and say why",
		Long: `Place the pods of PODS.yaml (or stdin, with -) one after another on the cluster of
CLUSTER.yaml as it stands, as kube-scheduler v1.37's filter and score phases would, and print
where each went, or kube-scheduler's exact unschedulable message (format v1, docs/place.md).

CLUSTER.yaml holds Nodes, the Pods already running on them (spec.nodeName set) and Namespaces,
in any form a cluster gives them: multi-document YAML, JSON, a v1 List (kubectl get -o yaml),
typed lists (NodeList, PodList) and kubectl cluster-info dump output. Other kinds are skipped
with a note on stderr. Objects are defaulted as the API server defaults them.

--config reads a kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration; its first profile
places every pod. Ties between equally scored nodes are broken by the --seed stream. There is no
preemption: a pod that fits nowhere stays unplaced.

Output: -o jsonl (the default) prints one JSON object per pod; -o table prints a table for
people. --explain adds every node's filter verdicts and raw, normalised and weighted scores.

Exit status: 0 when the pods were placed (even if some fit nowhere), 2 for bad input (flags,
manifests, configuration: FILE:LINE: what is wrong), 1 otherwise.`,
		Example: `  # Where would these pods go?
  ksim place --cluster cluster.yaml pods.yaml

  # From a live cluster, with the reasons, for people
  kubectl get nodes,pods -A -o yaml > cluster.yaml
  kubectl run probe --image=busybox --restart=Never --dry-run=client -o yaml |
    ksim place --cluster cluster.yaml --explain -o table -

  # With your scheduler's configuration (bin packing, say)
  ksim place --cluster cluster.yaml --config kube-scheduler.yaml pods.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("place takes one PODS file (or - for stdin), got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.pods = args[0]
			return runPlace(cfg, cmd.InOrStdin(), stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.cluster, "cluster", "", "file with the cluster's Nodes and running Pods (required)")
	f.StringVar(&cfg.config, "config", "", "KubeSchedulerConfiguration file (default: upstream v1.37's defaults)")
	f.Uint64Var(&cfg.seed, "seed", 0, "seed of the random stream that breaks ties between equally scored nodes")
	f.BoolVar(&cfg.explain, "explain", false, "add every node's filter verdicts and scores")
	f.StringVarP(&cfg.output, "output", "o", "jsonl", "output format: jsonl or table")
	return cmd
}

// validate checks the flags, in one place.
func (c placeConfig) validate() error {
	if c.cluster == "" {
		return errors.New("--cluster is required: the file with the cluster's Nodes (and running Pods)")
	}
	if c.output != "jsonl" && c.output != "table" {
		return fmt.Errorf("-o %q is not a format; allowed: jsonl, table", c.output)
	}
	if c.pods == "-" && c.cluster == "-" {
		return errors.New("--cluster cannot be - as well as PODS: stdin can be read once")
	}
	return nil
}

func runPlace(cfg placeConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := cfg.validate(); err != nil {
		return badInput(err)
	}
	read := func(path string) (string, []byte, error) {
		if path == "-" {
			data, err := io.ReadAll(io.LimitReader(stdin, scenario.MaxFileBytes+1))
			return "stdin", data, err
		}
		data, err := os.ReadFile(path)
		return path, data, err
	}
	var opts place.Options
	opts.Seed, opts.Explain = cfg.seed, cfg.explain
	if cfg.config != "" {
		name, data, err := read(cfg.config)
		if err != nil {
			return badInput(err)
		}
		sc, err := scheduler.ParseConfig(name, data)
		if err != nil {
			return badInput(err)
		}
		opts.Config = sc
	}
	var in place.Input
	name, data, err := read(cfg.cluster)
	if err != nil {
		return badInput(err)
	}
	in.AddCluster(name, data)
	name, data, err = read(cfg.pods)
	if err != nil {
		return badInput(err)
	}
	in.AddPods(name, data)
	if err := in.Err(); err != nil {
		return badInput(err)
	}
	res, err := place.Place(&in, opts)
	for _, n := range in.Notes {
		fmt.Fprintf(stderr, "ksim place: note: %s\n", n)
	}
	if err != nil {
		return err
	}
	if cfg.output == "table" {
		return place.WriteTable(stdout, res, cfg.explain)
	}
	return place.WriteJSONL(stdout, res)
}
