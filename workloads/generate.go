package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Synthetic load generators. Each is a value with its parameters, and, when it is random, a
// source Src that must not be nil (one stream per load, split from the run's seed, so that
// another load's draws cannot change it). Series(horizon) validates the parameters and returns
// the load as a Series of time from 0: deterministic generators are formulas evaluated when
// read; random ones draw everything up to horizon at once, in time order, into a step
// function, and hold their last value after it. Values are in the load's unit (cores, or
// requests per second) and never negative.
//
// Generators compose with Sum, Product and Sequence (as Series) and with the transformations
// in transform.go.

// Generator makes a Series. Check validates the parameters without drawing anything; Series
// checks them too.
type Generator interface {
	Check() error
	Series(horizon time.Duration) (Series, error)
}

// MaxGeneratedPoints bounds the points a random generator draws (noise buckets, walk steps,
// spikes, jobs): MaxSamples.
const MaxGeneratedPoints = MaxSamples

// ---- deterministic ----

// Constant is a constant load.
type Constant struct{ Value float64 }

// Check requires Value finite and >= 0.
func (c Constant) Check() error { return checkLevel("value", c.Value) }

// Series returns the constant.
func (c Constant) Series(time.Duration) (Series, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	return constant(c.Value), nil
}

type constant float64

func (c constant) At(time.Duration) float64            { return float64(c) }
func (c constant) Integral(a, b time.Duration) float64 { return float64(c) * (b - a).Seconds() }

func checkLevel(what string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%s is %v, want a finite number >= 0", what, v)
	}
	return nil
}

func checkPositive(what string, d time.Duration) error    { return checkDur(what, d, true) }
func checkNonNegative(what string, d time.Duration) error { return checkDur(what, d, false) }

func checkDur(what string, d time.Duration, positive bool) error {
	if positive && d <= 0 {
		return fmt.Errorf("%s is %v, want > 0", what, d)
	}
	if d < 0 {
		return fmt.Errorf("%s is %v, want >= 0", what, d)
	}
	return nil
}

// Step is Before until At, then After.
type Step struct {
	At            time.Duration
	Before, After float64
}

// Check requires levels >= 0 and At >= 0.
func (s Step) Check() error {
	return errors.Join(checkLevel("before", s.Before), checkLevel("after", s.After), checkNonNegative("at", s.At))
}

// Series returns the step.
func (s Step) Series(time.Duration) (Series, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	return stepGen{s}, nil
}

type stepGen struct{ s Step }

func (g stepGen) At(t time.Duration) float64 {
	if t < g.s.At {
		return g.s.Before
	}
	return g.s.After
}

func (g stepGen) Integral(a, b time.Duration) float64 {
	cut := min(max(g.s.At, a), b)
	return g.s.Before*(cut-a).Seconds() + g.s.After*(b-cut).Seconds()
}

// Ramp goes linearly from From at Start to To at End, holding From before and To after.
type Ramp struct {
	Start, End time.Duration
	From, To   float64
}

// Check requires levels >= 0 and End after Start >= 0.
func (r Ramp) Check() error {
	err := errors.Join(checkLevel("from", r.From), checkLevel("to", r.To), checkNonNegative("start", r.Start))
	if r.End <= r.Start {
		err = errors.Join(err, fmt.Errorf("end %v is not after start %v", r.End, r.Start))
	}
	return err
}

// Series returns the ramp.
func (r Ramp) Series(time.Duration) (Series, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	return rampGen(r), nil
}

type rampGen Ramp

func (r rampGen) At(t time.Duration) float64 {
	switch {
	case t <= r.Start:
		return r.From
	case t >= r.End:
		return r.To
	}
	return r.From + (r.To-r.From)*float64(t-r.Start)/float64(r.End-r.Start)
}

// Integral is exact: the ramp is piecewise linear, so the trapezoid rule on its pieces is.
func (r rampGen) Integral(a, b time.Duration) float64 {
	v := 0.0
	cuts := []time.Duration{a, min(max(r.Start, a), b), min(max(r.End, a), b), b}
	for i := 1; i < len(cuts); i++ {
		x, y := cuts[i-1], cuts[i]
		v += (r.At(x) + r.At(y)) / 2 * (y - x).Seconds()
	}
	return v
}

// ---- random ----

// Diurnal is a daily cycle: Mean + Amplitude × cos(2π (t − PeakAt) / Period), plus normal
// noise with standard deviation Noise, drawn once per NoiseInterval (default 1 minute) and held
// through it; clamped at 0.
type Diurnal struct {
	Mean, Amplitude float64
	Period          time.Duration // default 24h
	PeakAt          time.Duration // when the cycle peaks (within the period); default 0
	Noise           float64
	NoiseInterval   time.Duration
	Src             rand.Source // used when Noise > 0
}

func (d Diurnal) defaults() Diurnal {
	if d.Period == 0 {
		d.Period = 24 * time.Hour
	}
	if d.NoiseInterval == 0 {
		d.NoiseInterval = time.Minute
	}
	return d
}

// Check requires levels >= 0, a period > 0 (0: 24h) and a noise interval > 0 (0: 1m).
func (d Diurnal) Check() error {
	d = d.defaults()
	return errors.Join(checkLevel("mean", d.Mean), checkLevel("amplitude", d.Amplitude), checkLevel("noise", d.Noise),
		checkPositive("period", d.Period), checkNonNegative("peakAt", d.PeakAt), checkPositive("noiseInterval", d.NoiseInterval))
}

// Series draws the noise up to horizon.
func (d Diurnal) Series(horizon time.Duration) (Series, error) {
	d = d.defaults()
	if err := d.Check(); err != nil {
		return nil, err
	}
	g := &diurnalGen{d: d}
	if d.Noise > 0 {
		n, err := points("noise", horizon, d.NoiseInterval)
		if err != nil {
			return nil, err
		}
		norm := distuv.Normal{Mu: 0, Sigma: d.Noise, Src: mustSrc(d.Src, "Diurnal")}
		g.noise = make([]float64, n)
		for i := range g.noise {
			g.noise[i] = norm.Rand()
		}
	}
	return g, nil
}

type diurnalGen struct {
	d     Diurnal
	noise []float64 // noise[k] holds over [k, k+1) × NoiseInterval
}

func (g *diurnalGen) At(t time.Duration) float64 {
	phase := 2 * math.Pi * float64(t-g.d.PeakAt) / float64(g.d.Period)
	v := g.d.Mean + g.d.Amplitude*math.Cos(phase)
	if len(g.noise) > 0 {
		k := int64(0)
		if t > 0 {
			k = min(int64(t/g.d.NoiseInterval), int64(len(g.noise)-1))
		}
		v += g.noise[k]
	}
	return max(v, 0)
}

// Spikes are bursts of Height that last Duration each, starting at Poisson times with a mean
// of Every between them (overlapping spikes add up), on a base of 0: add them to another
// generator with Sum.
type Spikes struct {
	Every    time.Duration // mean time between spike starts
	Height   float64
	Duration time.Duration
	Src      rand.Source
}

// Check requires every and duration > 0 and a height >= 0.
func (s Spikes) Check() error {
	return errors.Join(checkPositive("every", s.Every), checkLevel("height", s.Height), checkPositive("duration", s.Duration))
}

// Series draws the spikes up to horizon.
func (s Spikes) Series(horizon time.Duration) (Series, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	exp := distuv.Exponential{Rate: 1 / s.Every.Seconds(), Src: mustSrc(s.Src, "Spikes")}
	var ev []edge
	for t := seconds(exp.Rand()); t <= horizon; t += seconds(exp.Rand()) {
		if len(ev) >= 2*MaxGeneratedPoints {
			return nil, fmt.Errorf("more than %d spikes up to %v; make them rarer or the run shorter", MaxGeneratedPoints, horizon)
		}
		ev = append(ev, edge{t, s.Height}, edge{t + s.Duration, -s.Height})
	}
	return edgesSeries(ev), nil
}

// RandomWalk starts at Start and moves every Interval (default 1 minute) by a normal step of
// standard deviation Sigma, staying within [Min, Max] (Max 0: no upper bound).
type RandomWalk struct {
	Start, Sigma, Min, Max float64
	Interval               time.Duration
	Src                    rand.Source
}

// Check requires values >= 0, Start within [Min, Max] (Max 0: no bound) and an interval > 0
// (0: 1m).
func (w RandomWalk) Check() error {
	if w.Interval == 0 {
		w.Interval = time.Minute
	}
	err := errors.Join(checkLevel("start", w.Start), checkLevel("sigma", w.Sigma), checkLevel("min", w.Min), checkLevel("max", w.Max),
		checkPositive("interval", w.Interval))
	if w.Max > 0 && (w.Max < w.Min || w.Start > w.Max || w.Start < w.Min) {
		err = errors.Join(err, fmt.Errorf("start %v is outside [min %v, max %v]", w.Start, w.Min, w.Max))
	} else if w.Start < w.Min {
		err = errors.Join(err, fmt.Errorf("start %v is below min %v", w.Start, w.Min))
	}
	return err
}

// Series draws the walk up to horizon.
func (w RandomWalk) Series(horizon time.Duration) (Series, error) {
	if w.Interval == 0 {
		w.Interval = time.Minute
	}
	if err := w.Check(); err != nil {
		return nil, err
	}
	n, err := points("walk steps", horizon, w.Interval)
	if err != nil {
		return nil, err
	}
	norm := distuv.Normal{Mu: 0, Sigma: w.Sigma, Src: mustSrc(w.Src, "RandomWalk")}
	times := make([]time.Duration, n)
	values := make([]float64, n)
	v := w.Start
	for i := range values {
		if i > 0 {
			v += norm.Rand()
			v = max(v, w.Min)
			if w.Max > 0 {
				v = min(v, w.Max)
			}
		}
		times[i], values[i] = time.Duration(i)*w.Interval, v
	}
	return newStepSeries(times, values, false), nil
}

// Jobs are batch jobs arriving as a Poisson process (a mean of Every between arrivals), each
// running for a lognormal duration with median Median and shape Sigma (the standard deviation
// of its logarithm), each using Cores while it runs. As a Series it is the cores of the jobs
// running; Arrivals lists the jobs.
type Jobs struct {
	Every  time.Duration
	Median time.Duration
	Sigma  float64
	Cores  float64
	Src    rand.Source
}

// JobArrival is one job: it starts at At and runs for Duration.
type JobArrival struct {
	At, Duration time.Duration
}

// Check requires every and median > 0 and sigma, cores >= 0.
func (j Jobs) Check() error {
	return errors.Join(checkPositive("every", j.Every), checkPositive("median", j.Median), checkLevel("sigma", j.Sigma), checkLevel("cores", j.Cores))
}

// Arrivals draws the jobs that arrive up to horizon, in arrival order (the interarrival time
// and the duration of each job are drawn alternately from Src).
func (j Jobs) Arrivals(horizon time.Duration) ([]JobArrival, error) {
	if err := j.Check(); err != nil {
		return nil, err
	}
	src := mustSrc(j.Src, "Jobs")
	exp := distuv.Exponential{Rate: 1 / j.Every.Seconds(), Src: src}
	dur := distuv.LogNormal{Mu: math.Log(j.Median.Seconds()), Sigma: j.Sigma, Src: src}
	var out []JobArrival
	for t := seconds(exp.Rand()); t <= horizon; t += seconds(exp.Rand()) {
		if len(out) == MaxGeneratedPoints {
			return nil, fmt.Errorf("more than %d jobs up to %v; make them rarer or the run shorter", MaxGeneratedPoints, horizon)
		}
		out = append(out, JobArrival{At: t, Duration: max(seconds(dur.Rand()), time.Nanosecond)})
	}
	return out, nil
}

// Series returns the cores in use by the jobs running at each time.
func (j Jobs) Series(horizon time.Duration) (Series, error) {
	jobs, err := j.Arrivals(horizon)
	if err != nil {
		return nil, err
	}
	ev := make([]edge, 0, 2*len(jobs))
	for _, a := range jobs {
		ev = append(ev, edge{a.At, j.Cores}, edge{a.At + a.Duration, -j.Cores})
	}
	return edgesSeries(ev), nil
}

// ---- helpers ----

// edge is a change of a sum of overlapping pulses at time t.
type edge struct {
	t time.Duration
	d float64
}

// edgesSeries turns pulse edges into a step series starting at 0 from 0. A level within 1e-9 of
// 0 is 0, so that float rounding cannot leave a -1e-16 behind when the last pulse ends.
func edgesSeries(ev []edge) Series {
	sort.SliceStable(ev, func(a, b int) bool { return ev[a].t < ev[b].t })
	times := []time.Duration{0}
	values := []float64{0}
	level := 0.0
	for i := 0; i < len(ev); {
		t := ev[i].t
		for ; i < len(ev) && ev[i].t == t; i++ {
			level += ev[i].d
		}
		if math.Abs(level) < 1e-9 {
			level = 0
		}
		if t == 0 {
			values[0] = level
			continue
		}
		times = append(times, t)
		values = append(values, max(level, 0))
	}
	return newStepSeries(times, values, false)
}

// points returns how many intervals of length every cover [0, horizon], checked against
// MaxGeneratedPoints.
func points(what string, horizon, every time.Duration) (int, error) {
	n := int64(horizon/every) + 1
	if n > MaxGeneratedPoints {
		return 0, fmt.Errorf("%s: %d points of %v up to %v is more than %d; use a longer interval", what, n, every, horizon, MaxGeneratedPoints)
	}
	return int(n), nil
}

// seconds converts a draw in seconds to a Duration, saturating far beyond any horizon.
func seconds(s float64) time.Duration {
	if s >= float64(math.MaxInt64)/1e9/2 {
		return math.MaxInt64 / 2
	}
	return time.Duration(math.Round(s * 1e9))
}

func mustSrc(src rand.Source, who string) rand.Source {
	if src == nil {
		panic("workloads: " + who + ": nil Src; pass the load's random stream")
	}
	return src
}
