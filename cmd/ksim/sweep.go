package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ksim.dev/ksim/sim/defaultscenario"
	"ksim.dev/ksim/sweep"
)

func init() { subcommands = append(subcommands, newSweepCmd) }

// gridFlags are the flags that define a sweep's grid and how its table is judged: the same for
// `sweep`, `sweep run-shard` (which must plan the same grid) and, for the judging part,
// `sweep collect`.
type gridFlags struct {
	vary     []string
	seed     uint64
	seedSet  bool
	budgets  []string
	minimize []string
	bestPer  []string
	x        string
}

func (g *gridFlags) addGrid(f *pflag.FlagSet) {
	f.StringArrayVar(&g.vary, "vary", nil, "PATH=V1,V2,… a field and its values (repeat for more axes; PATH1+PATH2=… sets two fields together; xF multiplies the file's value)")
	f.Uint64Var(&g.seed, "seed", 0, "random seed of every variant (default: the scenario's spec.seed)")
}

func (g *gridFlags) addSpec(f *pflag.FlagSet) {
	f.StringArrayVar(&g.budgets, "budget", nil, "FIGURE<=VALUE a bound every acceptable variant meets (also <, >=, >; repeatable), e.g. unschedulable<=0")
	f.StringSliceVar(&g.minimize, "minimize", nil, "figures the best variant has least of, in order (default "+strings.Join(sweep.DefaultMinimize, ",")+")")
	f.StringArrayVar(&g.bestPer, "best-per", nil, "an axis (its path) for each of whose values a best variant is picked (repeatable)")
	f.StringVar(&g.x, "x", "", "the axis (its path) the charts put on their x axis (default: the first)")
}

// seedPtr is the seed override, or nil.
func (g *gridFlags) seedPtr() *uint64 {
	if !g.seedSet {
		return nil
	}
	s := g.seed
	return &s
}

// source is the scenario named on the command line, or the embedded default one.
func sweepSource(arg string) (sweep.Source, error) {
	if arg == "" {
		return sweep.FSSource(defaultscenario.FS, defaultscenario.Path), nil
	}
	src, err := sweep.OSSource(arg)
	if err != nil {
		return sweep.Source{}, badInput(err)
	}
	return src, nil
}

// plan parses the grid flags and plans the sweep. Every error is bad input.
func (g *gridFlags) plan(arg string) (*sweep.Plan, error) {
	src, err := sweepSource(arg)
	if err != nil {
		return nil, err
	}
	var axes []sweep.Axis
	for _, v := range g.vary {
		a, err := sweep.ParseAxis(v)
		if err != nil {
			return nil, badInput(err)
		}
		axes = append(axes, a)
	}
	p, err := sweep.NewPlan(src, axes)
	if err != nil {
		return nil, badInput(err)
	}
	return p, nil
}

// spec parses the judging flags against the axes.
func (g *gridFlags) spec(axes []sweep.AxisInfo) (sweep.Spec, error) {
	var s sweep.Spec
	for _, b := range g.budgets {
		v, err := sweep.ParseBudget(b)
		if err != nil {
			return s, badInput(err)
		}
		s.Budgets = append(s.Budgets, v)
	}
	s.Minimize = g.minimize
	s.BestPer = append([]string(nil), g.bestPer...)
	s.X = g.x
	if err := s.Check(axes); err != nil {
		return s, badInput(err)
	}
	return s, nil
}

// shardArgs are the flags that make run-shard plan and judge the same sweep.
func (g *gridFlags) shardArgs(spec sweep.Spec) []string {
	var args []string
	for _, v := range g.vary {
		args = append(args, "--vary", v)
	}
	if g.seedSet {
		args = append(args, "--seed", strconv.FormatUint(g.seed, 10))
	}
	for _, b := range spec.Budgets {
		args = append(args, "--budget", b.String())
	}
	args = append(args, "--minimize", strings.Join(spec.Minimize, ","))
	for _, b := range spec.BestPer {
		args = append(args, "--best-per", b)
	}
	return append(args, "--x", spec.X)
}

func axisInfos(p *sweep.Plan) []sweep.AxisInfo {
	var out []sweep.AxisInfo
	for _, a := range p.Axes() {
		out = append(out, a.Info())
	}
	return out
}

// sweepConfig is the parsed command line of `ksim sweep`.
type sweepConfig struct {
	gridFlags
	scenario string
	out      string
	jobs     int
	pageFlags
	quiet bool

	emitJob bool
	job     sweep.JobOptions
}

func newSweepCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg sweepConfig
	cmd := &cobra.Command{
		Use:   "sweep [SCENARIO] --vary PATH=V1,V2,… [--vary …]",
		Short: "Run a grid of variants of a scenario and tabulate their key figures",
		Long: `Run every combination of the values given by --vary (the cartesian product; the first axis
varies slowest), each a whole run of the scenario (the embedded default one when SCENARIO is
omitted), in parallel on all cores, and write DIR/sweep.csv, DIR/sweep.json, DIR/sweep.html
(a chart of each key figure against the varied values, the best variant marked) and each
variant's DIR/variants/N/summary.json. The best variant meets every --budget and has the least
of the --minimize figures. See docs/sweep.md.

A PATH is a scenario field (spec.duration, spec.load[0].trace.peakCores,
spec.nodePools[0].count) or KIND/NAMESPACE/NAME:FIELD of a manifest the scenario loads
(Deployment/default/web:spec.replicas). A value xF multiplies the value in the file by F.

Each run is single-threaded and deterministic: a variant's results do not depend on --jobs.
With --emit-job, print a Kubernetes Indexed Job that runs the variants on a cluster instead
(one per completion index); merge its shards with 'ksim sweep collect'.

Exit status: 0 on success, 1 when a run failed, 2 for bad input (flags, paths, values, a
variant that does not load).`,
		Example: `  # HPA target × node pool size × traffic, best = fewest nodes with no unschedulable pod
  ksim sweep scenario.yaml \
    --vary 'HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization=50,60,70,80' \
    --vary 'spec.nodePools[0].count=10,20,30' \
    --vary 'spec.load[0].trace.peakCores=x1.0,x1.2,x1.5' \
    --budget 'unschedulable<=0' --budget 'pending_p99_s<=30' --best-per 'spec.load[0].trace.peakCores'

  # The same grid as a Kubernetes Indexed Job
  ksim sweep scenario.yaml --vary … --emit-job --image registry.example/ksim:v0.4.0 | kubectl apply -f -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return badInput(fmt.Errorf("sweep takes at most one scenario file, got %d arguments (quote --vary values that hold spaces)", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				cfg.scenario = args[0]
			}
			cfg.seedSet = cmd.Flags().Changed("seed")
			if !cfg.emitJob {
				for _, n := range []string{"image", "job-name", "namespace", "parallelism", "results-pvc", "scenario-pvc", "scenario-path", "pod-cpu", "pod-memory"} {
					if cmd.Flags().Changed(n) {
						return badInput(fmt.Errorf("--%s goes with --emit-job", n))
					}
				}
			}
			return runSweep(cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	cfg.addGrid(f)
	cfg.addSpec(f)
	f.StringVarP(&cfg.out, "out", "o", "ksim-sweep", "directory to write sweep.csv, sweep.json, sweep.html and variants/ into")
	f.IntVarP(&cfg.jobs, "jobs", "j", 0, "variants to run at once (default: the number of cores)")
	cfg.pageFlags.add(f, "the page")
	f.BoolVarP(&cfg.quiet, "quiet", "q", false, "print nothing but errors")
	f.BoolVar(&cfg.emitJob, "emit-job", false, "print a Kubernetes Indexed Job that runs the sweep, instead of running it")
	f.StringVar(&cfg.job.Image, "image", "", "with --emit-job: the container image, with this version of ksim on its PATH")
	f.StringVar(&cfg.job.Name, "job-name", "", "with --emit-job: the Job's name (default ksim-sweep-ID)")
	f.StringVar(&cfg.job.Namespace, "namespace", "", "with --emit-job: the namespace (default: kubectl's)")
	f.IntVar(&cfg.job.Parallelism, "parallelism", 0, "with --emit-job: pods at once (default min(variants, 10))")
	f.StringVar(&cfg.job.ResultsPVC, "results-pvc", "", "with --emit-job: a PersistentVolumeClaim to write the shards to (default: each pod prints its shard on stdout)")
	f.StringVar(&cfg.job.ScenarioPVC, "scenario-pvc", "", "with --emit-job: a PersistentVolumeClaim holding the scenario's directory (default: a ConfigMap with the scenario's files)")
	f.StringVar(&cfg.job.ScenarioPath, "scenario-path", "", "with --scenario-pvc: the scenario file's path in the claim")
	f.StringVar(&cfg.job.CPU, "pod-cpu", "1", "with --emit-job: each pod's CPU request")
	f.StringVar(&cfg.job.Memory, "pod-memory", "1Gi", "with --emit-job: each pod's memory request and limit")
	cmd.AddCommand(newRunShardCmd(stdout, stderr), newCollectCmd(stdout, stderr))
	return cmd
}

func runSweep(cfg sweepConfig, stdout, stderr io.Writer) error {
	if cfg.jobs < 0 {
		return badInput(fmt.Errorf("--jobs must be >= 0 (0: one per core), got %d", cfg.jobs))
	}
	p, err := cfg.plan(cfg.scenario)
	if err != nil {
		return err
	}
	spec, err := cfg.spec(axisInfos(p))
	if err != nil {
		return err
	}
	if cfg.emitJob {
		jo := cfg.job
		jo.Args = cfg.shardArgs(spec)
		jo.Embedded = cfg.scenario == ""
		jo.Seed = cfg.seedPtr()
		jo.Version = version()
		if (jo.ScenarioPVC == "") != (jo.ScenarioPath == "") {
			return badInput(errors.New("--scenario-pvc and --scenario-path go together"))
		}
		if err := p.WriteJob(stdout, jo); err != nil {
			return badInput(err)
		}
		return nil
	}

	// Before the runs: a missing script should not cost a sweep.
	ho := sweep.HTMLOptions{AllowCDN: cfg.cdn}
	js, err := cfg.script(stderr)
	if err != nil {
		return err
	}
	ho.EChartsJS = js
	if errs := p.Check(cfg.jobs); len(errs) > 0 {
		return badInput(fmt.Errorf("%d of %d variants do not load:\n%w", len(errs), p.Len(), errors.Join(errs...)))
	}
	opts := sweep.RunOptions{Seed: cfg.seedPtr(), Version: version(), Spec: spec, Jobs: cfg.jobs}
	showProgress := !cfg.quiet && isTerminal(stderr)
	if showProgress {
		opts.Progress = sweepProgress(stderr)
	}
	shards := p.Run(opts)
	if showProgress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	t, err := sweep.Merge(shards, nil)
	if err != nil {
		return err
	}
	return writeTable(t, cfg.out, ho, cfg.quiet, stdout)
}

// writeTable writes the table's files, prints the best variants, and turns failed variants
// into the exit status: 2 when one did not load, 1 when a run failed.
func writeTable(t *sweep.Table, out string, ho sweep.HTMLOptions, quiet bool, stdout io.Writer) error {
	if err := t.WriteFiles(out, ho); err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(stdout, "scenario %s: %d variants\n", t.Scenario, len(t.Rows))
		t.WriteBest(stdout)
		fmt.Fprintf(stdout, "wrote %s, %s and %s\n", filepath.Join(out, "sweep.csv"), filepath.Join(out, "sweep.json"), filepath.Join(out, "sweep.html"))
	}
	input, run := t.Failed()
	if input+run == 0 {
		return nil
	}
	var msgs []string
	for _, r := range t.Rows {
		if r.Error != "" {
			msgs = append(msgs, r.Error)
		}
	}
	err := fmt.Errorf("%d variants did not load and %d runs failed (the tables mark them):\n%s", input, run, strings.Join(msgs, "\n"))
	if input > 0 {
		return badInput(err)
	}
	return err
}

// sweepProgress shows how many variants are done, at most five times a second.
func sweepProgress(w io.Writer) func(done, total int) {
	start := time.Now()
	var last time.Time
	return func(done, total int) {
		t := time.Now()
		if done < total && t.Sub(last) < 200*time.Millisecond {
			return
		}
		last = t
		fmt.Fprintf(w, "\r\033[Ksweep: %d of %d variants done, %.0fs", done, total, t.Sub(start).Seconds())
	}
}

// runShardConfig is the parsed command line of `ksim sweep run-shard`.
type runShardConfig struct {
	gridFlags
	scenario       string
	index          int
	indexSet       bool
	out            string
	expectVariants int
	expectID       string
}

func newRunShardCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg runShardConfig
	cmd := &cobra.Command{
		Use:   "run-shard [SCENARIO] --vary PATH=V1,V2,… [--index I]",
		Short: "Run one variant of a sweep (a pod of the Indexed Job that --emit-job writes)",
		Long: `Plan the sweep exactly as 'ksim sweep' does with the same SCENARIO and flags, run the variant
whose number is --index, or $JOB_COMPLETION_INDEX (which Kubernetes sets in each pod of an
Indexed Job), and write its shard: one line of JSON with the variant's values and summary.
With --out DIR the shard goes to DIR/shard-N.json, else to stdout.

A variant that does not load or whose run fails still gives a shard, which records the error:
the exit status is then 0, and 'ksim sweep collect' reports the failure. The exit status is 2
when the flags or the scenario are wrong (no shard can be written), 1 when the shard cannot
be written.`,
		Example: `  JOB_COMPLETION_INDEX=3 ksim sweep run-shard scenario.yaml --vary 'spec.nodePools[0].count=10,20,30' --out shards/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return badInput(fmt.Errorf("run-shard takes at most one scenario file, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				cfg.scenario = args[0]
			}
			cfg.seedSet = cmd.Flags().Changed("seed")
			cfg.indexSet = cmd.Flags().Changed("index")
			return runShard(cfg, stdout)
		},
	}
	f := cmd.Flags()
	cfg.addGrid(f)
	cfg.addSpec(f)
	f.IntVar(&cfg.index, "index", 0, "the variant to run (default $"+sweep.IndexEnv+")")
	f.StringVarP(&cfg.out, "out", "o", "", "directory to write shard-N.json into (default: print the shard on stdout)")
	f.IntVar(&cfg.expectVariants, "expect-variants", 0, "fail unless the sweep has this many variants (set by --emit-job)")
	f.StringVar(&cfg.expectID, "expect-id", "", "fail unless the sweep has this ID (set by --emit-job)")
	return cmd
}

func runShard(cfg runShardConfig, stdout io.Writer) error {
	index := cfg.index
	if !cfg.indexSet {
		env, ok := os.LookupEnv(sweep.IndexEnv)
		if !ok {
			return badInput(fmt.Errorf("no variant to run: give --index or set $%s (Kubernetes sets it in the pods of an Indexed Job)", sweep.IndexEnv))
		}
		i, err := strconv.Atoi(strings.TrimSpace(env))
		if err != nil {
			return badInput(fmt.Errorf("$%s is %q, not a variant number", sweep.IndexEnv, env))
		}
		index = i
	}
	p, err := cfg.plan(cfg.scenario)
	if err != nil {
		return err
	}
	spec, err := cfg.spec(axisInfos(p))
	if err != nil {
		return err
	}
	id := p.ID(cfg.seedPtr(), version())
	switch {
	case cfg.expectVariants != 0 && cfg.expectVariants != p.Len():
		return badInput(fmt.Errorf("the Job expects %d variants, and this ksim (%s) plans %d from the same flags: run the version that wrote the Job", cfg.expectVariants, version(), p.Len()))
	case cfg.expectID != "" && cfg.expectID != id:
		return badInput(fmt.Errorf("the Job expects sweep %s, and this one is %s: the scenario's files, the flags or the ksim version (%s) differ from those that wrote the Job", cfg.expectID, id, version()))
	case index < 0 || index >= p.Len():
		return badInput(fmt.Errorf("variant %d does not exist: the sweep has variants 0 to %d", index, p.Len()-1))
	}
	sh := p.RunVariant(index, sweep.RunOptions{Seed: cfg.seedPtr(), Version: version(), Spec: spec})
	var buf bytes.Buffer
	if err := sweep.WriteShard(&buf, sh); err != nil {
		return err
	}
	if cfg.out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	// Write, then rename: a retried pod must never leave half a shard for collect to read.
	final := filepath.Join(cfg.out, sweep.ShardFileName(index, p.Len()))
	tmp, err := os.CreateTemp(cfg.out, ".shard-*.tmp")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), final)
}

// collectConfig is the parsed command line of `ksim sweep collect`.
type collectConfig struct {
	gridFlags
	dir string
	out string
	pageFlags
	quiet  bool
	respec bool // a judging flag was given: it replaces the shards' spec
}

func newCollectCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg collectConfig
	cmd := &cobra.Command{
		Use:   "collect DIR",
		Short: "Merge the shards of a sweep into its table and page",
		Long: `Read the shards in DIR (files *.json, *.jsonl or *.log, each holding one or more shards as
run-shard writes them), check that they are every variant of one sweep, and write the same
sweep.csv, sweep.json, sweep.html and variants/N/summary.json as 'ksim sweep' would have. The
budgets, minimize, best-per and x the sweep was run with come with the shards; giving any of
those flags here replaces them all.

Exit status: 0 on success, 1 when a run failed, 2 for bad input (missing or mixed shards, a
variant that did not load).`,
		Example: `  kubectl cp ksim-results-reader:/results/ksim-sweep-1a2b3c4d shards/
  ksim sweep collect shards/ --out results/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("collect takes one directory of shards, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.dir = args[0]
			for _, n := range []string{"budget", "minimize", "best-per", "x"} {
				cfg.respec = cfg.respec || cmd.Flags().Changed(n)
			}
			return collect(cfg, stdout, stderr)
		},
	}
	f := cmd.Flags()
	cfg.addSpec(f)
	f.StringVarP(&cfg.out, "out", "o", "ksim-sweep", "directory to write sweep.csv, sweep.json, sweep.html and variants/ into")
	cfg.pageFlags.add(f, "the page")
	f.BoolVarP(&cfg.quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

func collect(cfg collectConfig, stdout, stderr io.Writer) error {
	shards, err := sweep.ReadShards(cfg.dir)
	if err != nil {
		return badInput(err)
	}
	var spec *sweep.Spec
	if cfg.respec {
		s, err := cfg.spec(shards[0].Axes)
		if err != nil {
			return err
		}
		spec = &s
	}
	t, err := sweep.Merge(shards, spec)
	if err != nil {
		return badInput(err)
	}
	ho := sweep.HTMLOptions{AllowCDN: cfg.cdn}
	if ho.EChartsJS, err = cfg.script(stderr); err != nil {
		return err
	}
	return writeTable(t, cfg.out, ho, cfg.quiet, stdout)
}
