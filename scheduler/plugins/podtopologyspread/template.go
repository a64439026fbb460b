package podtopologyspread

import (
	"hash/maphash"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"ksim.dev/ksim/scheduler/framework"
)

// template is what one pod template's cycles share: its parsed hard and soft constraints (with
// their topologies and pod counters) and which nodes each constraint counts (eligibility),
// kept until a node changes. Pods sign alike (signPod) when all of that would come out the
// same.
type template struct {
	cluster     *framework.Cluster
	selectorGen uint64 // the cluster's SelectorGen when the default selector was found
	lastUse     uint64

	hard, soft       []constraint
	hardErr, softErr error
	requireAll       bool    // soft constraints need every topology label (not system defaults)
	selfMatch        []int32 // per hard constraint: 1 when the pod matches its selector

	in                 inclusion
	hardElig, softElig eligibility
}

// eligibility says which nodes each constraint counts: those with the topology labels that
// pass the inclusion policies. It depends on the node objects only, so it holds while the
// cluster's NodeSetGen does.
type eligibility struct {
	nodeSetGen uint64
	ok         [][]bool // per constraint, per slot
	present    [][]bool // per constraint, per domain: an eligible node is in it (hard only)
	numPresent []int32
	allKeys    bool   // every node has every constraint's topology label
	allOK      []bool // per constraint: every node is eligible
}

// noConstraints is the template of every pod without constraints of its own and no default
// selector.
var noConstraints template

// maxTemplates bounds the plugin's templates; the least recently used goes first.
const maxTemplates = 256

// cycleTemplate is template, found once per scheduling cycle: PreFilter and PreScore share it.
func (pl *PodTopologySpread) cycleTemplate(state *framework.CycleState, c *framework.Cluster, pod *corev1.Pod) *template {
	if pl.lastCS == state && pl.lastCycle == state.Cycle() && pl.lastPod == pod {
		return pl.last
	}
	t := pl.template(c, pod)
	pl.lastCS, pl.lastCycle, pl.lastPod, pl.last = state, state.Cycle(), pod, t
	return t
}

// template returns the pod's template, building it when needed, with its counters refreshed.
// Cost: hashing what the plugin reads of the pod.
func (pl *PodTopologySpread) template(c *framework.Cluster, pod *corev1.Pod) *template {
	if len(pod.Spec.TopologySpreadConstraints) == 0 && (len(pl.defaultConstraints) == 0 || !c.MayHaveDefaultSelector(pod)) {
		return &noConstraints // the common case, without hashing
	}
	pl.h.Reset()
	signPod(&pl.h, pod)
	key := pl.h.Sum64()
	pl.tick++
	if pl.templates == nil {
		pl.templates = map[uint64]*template{}
	}
	t := pl.templates[key]
	if t == nil || t.cluster != c || t.selectorGen != c.SelectorGen {
		if t == nil && len(pl.templates) >= maxTemplates {
			var oldest uint64
			first := true
			for k, x := range pl.templates {
				if first || x.lastUse < pl.templates[oldest].lastUse {
					oldest, first = k, false
				}
			}
			delete(pl.templates, oldest)
		}
		t = pl.newTemplate(c, pod)
		pl.templates[key] = t
	}
	t.lastUse = pl.tick
	for _, cs := range [][]constraint{t.hard, t.soft} {
		for i := range cs {
			if cs[i].counter != nil {
				cs[i].counter = c.Again(cs[i].counter)
			}
		}
	}
	return t
}

func (pl *PodTopologySpread) newTemplate(c *framework.Cluster, pod *corev1.Pod) *template {
	t := &template{cluster: c, selectorGen: c.SelectorGen, in: newInclusion(pod, pl.fts)}
	t.hard, t.hardErr = pl.constraints(c, pod, corev1.DoNotSchedule)
	t.soft, t.softErr = pl.constraints(c, pod, corev1.ScheduleAnyway)
	index(c, pod.Namespace, t.hard)
	index(c, pod.Namespace, t.soft)
	t.requireAll = len(pod.Spec.TopologySpreadConstraints) > 0 || !pl.systemDefaulted
	podLabels := labels.Set(pod.Labels)
	for i := range t.hard {
		var m int32
		if t.hard[i].Selector.Matches(podLabels) {
			m = 1
		}
		t.selfMatch = append(t.selfMatch, m)
	}
	return t
}

// eligibility returns el, rebuilt if a node changed since it was computed. requireAll says
// whether a node must have every constraint's topology label to count (always for hard
// constraints). Cost when rebuilt: O(nodes × constraints) and the node affinity and taint
// checks.
func (t *template) eligibility(c *framework.Cluster, el *eligibility, cs []constraint, requireAll bool, fts framework.Features) *eligibility {
	slots := c.Slots()
	if el.ok != nil && el.nodeSetGen == c.NodeSetGen && len(el.ok[0]) == len(slots) {
		return el
	}
	el.nodeSetGen = c.NodeSetGen
	el.ok = make([][]bool, len(cs))
	el.present = make([][]bool, len(cs))
	el.numPresent = make([]int32, len(cs))
	numOK := make([]int, len(cs))
	for i := range cs {
		el.ok[i] = make([]bool, len(slots))
		el.present[i] = make([]bool, cs[i].topo.NumDomains()+1)
	}
	policies := fts.EnableNodeInclusionPolicyInPodTopologySpread
	el.allKeys = true
	for slot, ni := range slots {
		if ni == nil {
			continue
		}
		if !hasAllKeys(cs, int32(slot)) {
			el.allKeys = false
			if requireAll {
				continue
			}
		}
		node := ni.Node()
		affOK := t.in.affinityOK(node)
		if !policies && !affOK {
			continue
		}
		taintOK := !policies || t.in.taintsOK(node)
		for i := range cs {
			if policies && ((cs[i].NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor && !affOK) ||
				(cs[i].NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor && !taintOK)) {
				continue
			}
			el.ok[i][slot] = true
			numOK[i]++
			if d := cs[i].topo.Domain[slot]; d != 0 && !el.present[i][d] {
				el.present[i][d] = true
				el.numPresent[i]++
			}
		}
	}
	el.allOK = make([]bool, len(cs))
	for i := range cs {
		el.allOK[i] = numOK[i] == c.NumNodes()
	}
	return el
}

// signPod writes everything the plugin's constraints and inclusion policies read of the pod:
// namespace, labels, controller reference, spread constraints, node selector and affinity, and
// tolerations. The Services and controllers are the cluster's (Cluster.SelectorGen).
func signPod(h *maphash.Hash, pod *corev1.Pod) {
	framework.SignString(h, pod.Namespace)
	framework.SignStringMap(h, pod.Labels)
	if owner := metav1.GetControllerOfNoCopy(pod); owner != nil {
		framework.SignString(h, owner.APIVersion)
		framework.SignString(h, owner.Kind)
		framework.SignString(h, owner.Name)
	} else {
		framework.SignInt(h, -1)
	}
	tscs := pod.Spec.TopologySpreadConstraints
	framework.SignInt(h, int64(len(tscs)))
	for i := range tscs {
		c := &tscs[i]
		framework.SignInt(h, int64(c.MaxSkew))
		framework.SignString(h, c.TopologyKey)
		framework.SignString(h, string(c.WhenUnsatisfiable))
		framework.SignLabelSelector(h, c.LabelSelector)
		if c.MinDomains != nil {
			framework.SignInt(h, int64(*c.MinDomains))
		} else {
			framework.SignInt(h, -1)
		}
		signPolicy(h, c.NodeAffinityPolicy)
		signPolicy(h, c.NodeTaintsPolicy)
		framework.SignStrings(h, c.MatchLabelKeys)
	}
	framework.SignNodeAffinity(h, pod)
	framework.SignTolerations(h, pod.Spec.Tolerations)
}

func signPolicy(h *maphash.Hash, p *corev1.NodeInclusionPolicy) {
	if p == nil {
		framework.SignInt(h, -1)
		return
	}
	framework.SignString(h, string(*p))
}
