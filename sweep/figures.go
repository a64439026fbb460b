package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"ksim.dev/ksim/reports"
)

// Figure is a key figure of a run, read from its summary (docs/summary.md): one column of the
// table and one chart of the page.
type Figure struct {
	Name    string `json:"name"`
	Unit    string `json:"unit"`
	Meaning string `json:"meaning"`

	get func(*reports.SummaryV1) float64
}

// Figures are the key figures of a sweep, in column order. Names end in their unit where they
// have one (_s seconds, _cores, _fraction, _core_seconds), as in summary.json. Sums over HPAs
// add up each HPA's own figure.
var Figures = []Figure{
	{"nodes", "nodes", "nodes in the run (nodes.count)", func(s *reports.SummaryV1) float64 { return float64(s.Nodes.Count) }},
	{"cpu_allocatable_cores", "cores", "allocatable CPU of all nodes (nodes.cpu_allocatable_milli / 1000)", func(s *reports.SummaryV1) float64 { return float64(s.Nodes.CPUAllocatableMilli) / 1000 }},
	{"replicas_max", "pods", "sum over HPAs of the target's largest replicas (hpas[].replicas.max)", sumHPA(func(h *reports.HPASummaryV1) float64 { return float64(h.Replicas.Max) })},
	{"replicas_final", "pods", "sum over HPAs of the target's replicas at the end (hpas[].replicas.final)", sumHPA(func(h *reports.HPASummaryV1) float64 { return float64(h.Replicas.Final) })},
	{"unschedulable", "pods", "pods still pending at the end that the scheduler had rejected (pods.unschedulable_at_end)", func(s *reports.SummaryV1) float64 { return float64(s.Pods.UnschedulableAtEnd) }},
	{"pending_at_end", "pods", "pods still pending at the end (pods.pending_at_end)", func(s *reports.SummaryV1) float64 { return float64(s.Pods.PendingAtEnd) }},
	{"pending_p50_s", "s", "median time from creation to binding (pending_s.p50)", func(s *reports.SummaryV1) float64 { return s.PendingS.P50 }},
	{"pending_p95_s", "s", "95th percentile of the pending time (pending_s.p95)", func(s *reports.SummaryV1) float64 { return s.PendingS.P95 }},
	{"pending_p99_s", "s", "99th percentile of the pending time (pending_s.p99)", func(s *reports.SummaryV1) float64 { return s.PendingS.P99 }},
	{"pending_max_s", "s", "longest pending time (pending_s.max)", func(s *reports.SummaryV1) float64 { return s.PendingS.Max }},
	{"pending_mean_s", "s", "mean pending time (pending_s.mean)", func(s *reports.SummaryV1) float64 { return s.PendingS.Mean }},
	{"pods_created", "pods", "pods created (pods.created)", func(s *reports.SummaryV1) float64 { return float64(s.Pods.Created) }},
	{"pods_scheduled", "pods", "pods bound to a node (pods.scheduled)", func(s *reports.SummaryV1) float64 { return float64(s.Pods.Scheduled) }},
	{"evicted", "pods", "pods evicted (pods.evicted)", func(s *reports.SummaryV1) float64 { return float64(s.Pods.Evicted) }},
	{"preempted", "pods", "pods preempted (pods.preempted)", func(s *reports.SummaryV1) float64 { return float64(s.Pods.Preempted) }},
	{"cpu_requested_mean_fraction", "fraction", "time-weighted mean of requested / allocatable CPU (nodes.cpu_requested_fraction_mean)", func(s *reports.SummaryV1) float64 { return s.Nodes.CPURequestedFractionMean }},
	{"cpu_requested_max_fraction", "fraction", "largest requested / allocatable CPU (nodes.cpu_requested_fraction_max)", func(s *reports.SummaryV1) float64 { return s.Nodes.CPURequestedFractionMax }},
	{"scale_events", "events", "sum over HPAs of the scale events (len(hpas[].scale_events))", func(s *reports.SummaryV1) float64 { return float64(s.HPATotals.ScaleEvents) }},
	{"demand_core_seconds", "core·s", "sum over HPAs of the demand on the target (hpas[].demand_core_seconds)", func(s *reports.SummaryV1) float64 { return s.HPATotals.DemandCoreSeconds }},
	{"unserved_core_seconds", "core·s", "sum over HPAs of the demand the ready pods could not serve (hpas[].unserved_core_seconds)", func(s *reports.SummaryV1) float64 { return s.HPATotals.UnservedCoreSeconds }},
	{"unserved_fraction", "fraction", "unserved_core_seconds / demand_core_seconds (0 without demand)", func(s *reports.SummaryV1) float64 { return s.HPATotals.UnservedFraction }},
	{"events", "events", "events the engine processed (events)", func(s *reports.SummaryV1) float64 { return float64(s.Events) }},
}

func sumHPA(f func(*reports.HPASummaryV1) float64) func(*reports.SummaryV1) float64 {
	return func(s *reports.SummaryV1) float64 {
		total := 0.0
		for i := range s.HPAs {
			total += f(&s.HPAs[i])
		}
		return round6(total)
	}
}

func figureIndex(name string) int {
	return slices.IndexFunc(Figures, func(f Figure) bool { return f.Name == name })
}

func figureNames() string {
	names := make([]string, len(Figures))
	for i, f := range Figures {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// figureValues computes every figure of a summary, in the order of Figures.
func figureValues(s *reports.SummaryV1) []float64 {
	out := make([]float64, len(Figures))
	for i, f := range Figures {
		out[i] = round6(f.get(s))
	}
	return out
}

// round6 rounds to 6 decimal places, as summary.json does, so that tables are byte-stable.
func round6(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<52/1e6 {
		return x
	}
	r := math.Round(x*1e6) / 1e6
	if r == 0 {
		return 0
	}
	return r
}

// formatNumber writes x as the table does: the shortest decimal, no exponent.
func formatNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Budget is a bound on a figure: "unschedulable<=0", "pending_p99_s<=30".
type Budget struct {
	Figure string
	Op     string // <=, <, >=, >
	Value  float64
}

func (b Budget) String() string { return b.Figure + b.Op + formatNumber(b.Value) }

// MarshalText writes the budget as it is written on the command line.
func (b Budget) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText parses a budget (see ParseBudget).
func (b *Budget) UnmarshalText(text []byte) error {
	v, err := ParseBudget(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseBudget parses FIGURE<=VALUE (or <, >=, >). The figure must be one of Figures.
func ParseBudget(s string) (Budget, error) {
	for _, op := range []string{"<=", ">=", "<", ">"} {
		name, val, ok := strings.Cut(s, op)
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		if figureIndex(name) < 0 {
			return Budget{}, fmt.Errorf("budget %s: unknown figure %q%s; figures: %s", s, name, didYouMean(name, strings.Split(figureNames(), ", ")), figureNames())
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Budget{}, fmt.Errorf("budget %s: %q is not a number", s, strings.TrimSpace(val))
		}
		return Budget{Figure: name, Op: op, Value: v}, nil
	}
	return Budget{}, fmt.Errorf("budget %s: want FIGURE<=VALUE (or <, >=, >), e.g. unschedulable<=0 or pending_p99_s<=30", s)
}

// holds reports whether x meets the budget.
func (b Budget) holds(x float64) bool {
	switch b.Op {
	case "<=":
		return x <= b.Value
	case "<":
		return x < b.Value
	case ">=":
		return x >= b.Value
	default:
		return x > b.Value
	}
}

// Spec says how a table judges its variants: budgets every run must meet, the figures to
// minimise (in order: the next breaks ties of the one before; then the lowest variant index),
// the axes within each of whose values a best variant is picked separately (e.g. one best per
// traffic level), and the axis the charts put on their x axis.
type Spec struct {
	Budgets  []Budget `json:"budgets"`
	Minimize []string `json:"minimize"`
	BestPer  []string `json:"best_per"`
	X        string   `json:"x"`
}

// DefaultMinimize is what a sweep minimises unless told otherwise: fewest nodes, then fewest
// pods at the peak.
var DefaultMinimize = []string{"nodes", "cpu_allocatable_cores", "replicas_max"}

// Check validates the spec against the axes, filling in defaults (Minimize, X) and writing
// axis references as axis labels.
func (s *Spec) Check(axes []AxisInfo) error {
	if len(s.Minimize) == 0 {
		s.Minimize = slices.Clone(DefaultMinimize)
	}
	for _, m := range s.Minimize {
		if figureIndex(m) < 0 {
			return fmt.Errorf("--minimize %s: unknown figure%s; figures: %s", m, didYouMean(m, strings.Split(figureNames(), ", ")), figureNames())
		}
	}
	if s.Budgets == nil {
		s.Budgets = []Budget{}
	}
	if s.BestPer == nil {
		s.BestPer = []string{}
	}
	for i, b := range s.BestPer {
		a, err := axisNamed(axes, b)
		if err != nil {
			return fmt.Errorf("--best-per %s: %v", b, err)
		}
		s.BestPer[i] = axes[a].Label()
	}
	if s.X == "" {
		s.X = axes[0].Label()
	} else {
		a, err := axisNamed(axes, s.X)
		if err != nil {
			return fmt.Errorf("--x %s: %v", s.X, err)
		}
		s.X = axes[a].Label()
	}
	return nil
}

// axisNamed finds the axis with label l, or that has a path l.
func axisNamed(axes []AxisInfo, l string) (int, error) {
	var labels []string
	for i, a := range axes {
		if a.Label() == l || slices.Contains(a.Paths, l) {
			return i, nil
		}
		labels = append(labels, a.Label())
	}
	return -1, fmt.Errorf("no such axis; the axes are: %s", strings.Join(labels, ", "))
}
