package st

import (
	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
)

// Cluster builds a framework.Cluster of the nodes, with the pods bound to the nodes their
// spec.nodeName names, and returns it and the nodes' NodeInfos in order.
func Cluster(nodes []*corev1.Node, pods ...*corev1.Pod) (*framework.Cluster, []*framework.NodeInfo) {
	c := framework.NewCluster(framework.DefaultFeatures())
	var infos []*framework.NodeInfo
	byName := map[string]*framework.NodeInfo{}
	for _, n := range nodes {
		ni := c.AddNode(n)
		infos = append(infos, ni)
		byName[n.Name] = ni
	}
	for _, p := range pods {
		c.AddPod(byName[p.Spec.NodeName], c.NewBoundPodInfo(p))
	}
	return c, infos
}

// Filter runs the plugin's PreFilter (if it has one) and Filter on every node, and returns the
// PreFilter status and each node's first reason ("" when it passes; "skip" when PreFilter
// skipped the Filter).
func Filter(pl framework.Plugin, c *framework.Cluster, pod *corev1.Pod, nodes []*framework.NodeInfo) (*framework.Status, []string) {
	state := framework.NewCycleState()
	state.SetCluster(c)
	pi := framework.NewPodInfo(pod)
	if pf, ok := pl.(framework.PreFilterPlugin); ok {
		_, st := pf.PreFilter(state, pi, nodes)
		if st.IsSkip() {
			out := make([]string, len(nodes))
			for i := range out {
				out[i] = "skip"
			}
			return nil, out
		}
		if !st.IsSuccess() {
			return st, nil
		}
	}
	out := make([]string, len(nodes))
	f := pl.(framework.FilterPlugin)
	for i, n := range nodes {
		if st := f.Filter(state, pi, n); !st.IsSuccess() {
			out[i] = st.Message()
		}
	}
	return nil, out
}

// Score runs the plugin's PreScore (if it has one), Score on every node and NormalizeScore (if
// it has one), and returns the PreScore status and the normalised scores (nil when PreScore
// skipped).
func Score(pl framework.Plugin, c *framework.Cluster, pod *corev1.Pod, nodes []*framework.NodeInfo) (*framework.Status, []int64) {
	state := framework.NewCycleState()
	state.SetCluster(c)
	pi := framework.NewPodInfo(pod)
	if ps, ok := pl.(framework.PreScorePlugin); ok {
		st := ps.PreScore(state, pi, nodes)
		if st.IsSkip() {
			return nil, nil
		}
		if !st.IsSuccess() {
			return st, nil
		}
	}
	sp := pl.(framework.ScorePlugin)
	scores := make([]int64, len(nodes))
	for i, n := range nodes {
		v, st := sp.Score(state, pi, n)
		if !st.IsSuccess() {
			return st, nil
		}
		scores[i] = v
	}
	if ext := sp.ScoreExtensions(); ext != nil {
		if st := ext.NormalizeScore(state, pi, nodes, scores); !st.IsSuccess() {
			return st, nil
		}
	}
	return nil, scores
}
