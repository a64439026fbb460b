package defaultpreemption

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"ksim.dev/ksim/scheduler/framework"
)

// Candidate is a node the pod would fit once Victims are deleted (upstream's
// preemption.Candidate with its extenderv1.Victims).
type Candidate struct {
	Node string
	// Victims are the pods to delete, most important first.
	Victims []*corev1.Pod
	// NumPDBViolations counts the victims whose eviction a PodDisruptionBudget does not allow.
	NumPDBViolations int64
}

// NodeVerdict is the dry run's verdict on a node that cannot be made to fit.
type NodeVerdict struct {
	Node   string
	Status *framework.Status
}

// FindCandidates is upstream's Evaluator.findCandidates: the nodes the cycle rejected with
// Unschedulable, in snapshot order, dry-run from offset (drawn from h when negative) until
// numCandidates are found (the args' rule when 0) as DryRun does. rejected holds the verdict on
// every node the dry run rejected, in the order it looked at them; it is valid until the
// plugin's next FindCandidates or DryRun.
func (pl *DefaultPreemption) FindCandidates(h framework.PostFilterHandle, pod *framework.PodInfo, offset, numCandidates int32) (cands []Candidate, rejected []NodeVerdict, err error) {
	potential := pl.potential[:0]
	for _, ni := range h.Nodes() {
		if h.NodeStatus(ni).Code() == framework.Unschedulable {
			potential = append(potential, ni)
		}
	}
	pl.potential = potential
	if len(potential) == 0 {
		return nil, nil, nil
	}
	n := int32(len(potential))
	if offset < 0 {
		offset = h.Int32N(n) // upstream: rand.Int31n
	}
	if numCandidates <= 0 {
		numCandidates = pl.NumCandidates(n)
	}
	return pl.DryRun(h, pod, potential, NewPDBs(h.PDBs()), offset, numCandidates)
}

// DryRun is upstream's Evaluator.DryRunPreemption on one goroutine: SelectVictimsOnNode on the
// nodes from offset round the list, keeping at most numCandidates candidates without PDB
// violations and as many with, and stopping once it holds at least one without and
// numCandidates in all. It returns those without violations first, each group in the order
// found, and the verdicts on the nodes that cannot be made to fit (valid until the plugin's next
// DryRun: the storage is reused, for a cluster too small runs this for every pod it cannot
// place). err joins the internal errors met.
func (pl *DefaultPreemption) DryRun(h framework.PostFilterHandle, pod *framework.PodInfo, potential []*framework.NodeInfo, pdbs []PDB, offset, numCandidates int32) ([]Candidate, []NodeVerdict, error) {
	var nonViolating, violating []Candidate
	rejected := pl.rejected[:0]
	defer func() { pl.rejected = rejected[:0] }()
	var errs []error
	n := len(potential)
	for i := range n {
		node := potential[(int(offset)+i)%n]
		victims, numViolating, st := pl.SelectVictimsOnNode(h, pod, node, pdbs)
		if st.IsSuccess() && len(victims) != 0 {
			c := Candidate{Node: node.Name(), NumPDBViolations: int64(numViolating)}
			for _, v := range victims {
				c.Victims = append(c.Victims, v.Pod)
			}
			// upstream's candidateList drops what comes beyond its capacity.
			if numViolating == 0 {
				if int32(len(nonViolating)) < numCandidates {
					nonViolating = append(nonViolating, c)
				}
			} else if int32(len(violating)) < numCandidates {
				violating = append(violating, c)
			}
			if len(nonViolating) > 0 && int32(len(nonViolating)+len(violating)) >= numCandidates {
				break
			}
			continue
		}
		if st.IsSuccess() {
			st = framework.AsStatus(fmt.Errorf("expected at least one victim pod on node %q", node.Name()))
		}
		if st.Code() == framework.Error {
			errs = append(errs, st.AsError())
		}
		rejected = append(rejected, NodeVerdict{Node: node.Name(), Status: st})
	}
	return append(nonViolating, violating...), rejected, errors.Join(errs...)
}

// SelectCandidate is upstream's pickOneNodeForPreemption with its default score functions: the
// candidate with the fewest PDB violations, then with the lowest priority among its most
// important victims, then the lowest sum of victim priorities, then the fewest victims, then the
// latest earliest start among its highest-priority victims; a tie left after all goes to the
// first in cands (upstream: the first in map order). Victims must be most important first. Nil
// for no candidates.
func SelectCandidate(cands []Candidate) *Candidate {
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return &cands[0]
	}
	scores := []func(c *Candidate) int64{
		func(c *Candidate) int64 { return -c.NumPDBViolations },
		func(c *Candidate) int64 { return -int64(corev1helpers.PodPriority(c.Victims[0])) },
		func(c *Candidate) int64 {
			var sum int64
			for _, p := range c.Victims {
				// Shifted by MaxInt32+1 so that every term is positive: a few pods of negative
				// priority must not beat fewer pods of the same priority.
				sum += int64(corev1helpers.PodPriority(p)) + int64(math.MaxInt32+1)
			}
			return -sum
		},
		func(c *Candidate) int64 { return -int64(len(c.Victims)) },
		func(c *Candidate) int64 { return earliestStartOfHighest(c.Victims) },
	}
	left := make([]int, len(cands))
	for i := range left {
		left[i] = i
	}
	for _, f := range scores {
		best := int64(math.MinInt64)
		var kept []int
		for _, i := range left {
			switch s := f(&cands[i]); {
			case s > best:
				best, kept = s, append(kept[:0], i)
			case s == best:
				kept = append(kept, i)
			}
		}
		if len(kept) == 1 {
			return &cands[kept[0]]
		}
		left = kept
	}
	return &cands[left[0]]
}

// earliestStartOfHighest is upstream's util.GetEarliestPodStartTime in Unix nanoseconds: the
// earliest start among the victims of the highest priority; a pod that has not started counts
// as starting now, later than any start time (math.MaxInt64).
func earliestStartOfHighest(victims []*corev1.Pod) int64 {
	start := func(p *corev1.Pod) int64 {
		if p.Status.StartTime == nil {
			return math.MaxInt64
		}
		return p.Status.StartTime.UnixNano()
	}
	earliest := start(victims[0])
	maxPrio := corev1helpers.PodPriority(victims[0])
	for _, p := range victims[1:] {
		switch prio := corev1helpers.PodPriority(p); {
		case prio == maxPrio:
			earliest = min(earliest, start(p))
		case prio > maxPrio:
			maxPrio, earliest = prio, start(p)
		}
	}
	return earliest
}

// FitErrorMessage is upstream's FitError.Error for numAllNodes nodes whose verdicts are
// rejected (one per node), every other node counting under absent: "0/N nodes are available: "
// and the "count reason" entries sorted as text, then ".".
func FitErrorMessage(numAllNodes int, rejected []NodeVerdict, absent string) string {
	counts := map[string]int{}
	for _, v := range rejected {
		for _, r := range v.Status.Reasons() {
			counts[r]++
		}
	}
	if len(rejected) < numAllNodes && absent != "" {
		counts[absent] += numAllNodes - len(rejected)
	}
	entries := make([]string, 0, len(counts))
	for r, n := range counts {
		entries = append(entries, fmt.Sprintf("%v %v", n, r))
	}
	sort.Strings(entries)
	msg := fmt.Sprintf("0/%v nodes are available:", numAllNodes)
	if len(entries) > 0 {
		msg += " " + strings.Join(entries, ", ") + "."
	}
	return msg
}
