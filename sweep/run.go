package sweep

import (
	"fmt"
	"runtime"
	"sync"

	"ksim.dev/ksim/reports"
	"ksim.dev/ksim/sim"
)

// RunOptions are the settings of a sweep's runs that are not part of the plan.
type RunOptions struct {
	// Seed, when set, replaces every variant's spec.seed (sim.Options.Seed). Every variant
	// runs with the same seed, so that differences between variants come from their settings,
	// not from chance (common random numbers). Vary spec.seed to see the spread of chance.
	Seed *uint64
	// Version is the ksim version, written in summaries and shards.
	Version string
	// Spec is how the table judges variants; shards carry it so that merging them gives the
	// same table as the sweep that ran them.
	Spec Spec
	// Jobs is how many variants run at once; 0 means runtime.GOMAXPROCS(0).
	Jobs int
	// Progress, when set, is called (from the worker goroutines, one call at a time) each time
	// a variant finishes, with the number done so far.
	Progress func(done, total int)
}

// Shard error kinds.
const (
	ErrorInput = "input" // the variant's scenario does not load (bad input: exit status 2)
	ErrorRun   = "run"   // the run failed (e.g. a limit was hit: exit status 1)
)

// RunVariant runs variant i to its horizon and returns its shard. A variant that does not
// load, or whose run fails, gives a shard with Error set and no summary.
//
// Cost: one load of the scenario, and one run. It is safe to call from several goroutines:
// each run has its own engine.
func (p *Plan) RunVariant(i int, o RunOptions) *Shard {
	sh := p.newShard(i, o)
	sc, err := p.Scenario(i)
	if err != nil {
		sh.Error, sh.ErrorKind = err.Error(), ErrorInput
		return sh
	}
	opts := sim.Options{}
	if o.Seed != nil {
		opts.Seed, opts.SeedSet = *o.Seed, true
	}
	s, err := sim.New(sc, opts)
	if err != nil {
		sh.Error, sh.ErrorKind = fmt.Sprintf("%s: %v", p.Describe(i), err), ErrorInput
		return sh
	}
	res, err := s.Run()
	if err != nil {
		sh.Error, sh.ErrorKind = fmt.Sprintf("%s: %v", p.Describe(i), err), ErrorRun
		return sh
	}
	sh.Summary = reports.Summary(res, o.Version)
	return sh
}

func (p *Plan) newShard(i int, o RunOptions) *Shard {
	sh := &Shard{
		Schema:      ShardSchema,
		SweepID:     p.ID(o.Seed, o.Version),
		Scenario:    p.name,
		KsimVersion: o.Version,
		Variants:    p.n,
		Spec:        o.Spec,
		Index:       i,
	}
	for _, a := range p.axes {
		sh.Axes = append(sh.Axes, a.Info())
	}
	if i >= 0 && i < p.n {
		sh.Values = p.Values(i)
		sh.Settings = p.Settings(i)
	}
	return sh
}

// Run runs every variant, o.Jobs at a time, and returns the shards in variant order. The
// shards do not depend on o.Jobs: each run is single-threaded and deterministic, and each
// result goes to its variant's slot.
func (p *Plan) Run(o RunOptions) []*Shard {
	out := make([]*Shard, p.n)
	p.each(o.Jobs, func(i int) { out[i] = p.RunVariant(i, o) }, o.Progress)
	return out
}

// Check loads every variant (o.Jobs at a time) without running it, and returns the errors of
// those that do not load, in variant order: values that are fine alone but not together. Run
// it before a long sweep to fail in seconds rather than hours.
func (p *Plan) Check(jobs int) []error {
	errs := make([]error, p.n)
	p.each(jobs, func(i int) { _, errs[i] = p.Scenario(i) }, nil)
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// each calls f(i) for every variant on a pool of workers.
func (p *Plan) each(jobs int, f func(i int), progress func(done, total int)) {
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = min(jobs, p.n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range jobs {
		wg.Go(func() {
			for i := range next {
				f(i)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, p.n)
					mu.Unlock()
				}
			}
		})
	}
	for i := range p.n {
		next <- i
	}
	close(next)
	wg.Wait()
}
