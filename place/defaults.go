package place

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"ksim.dev/ksim/sim/scenario"
)

// defaultPod applies what the API server does to a Pod before kube-scheduler sees it, as far as
// placement depends on it. It is idempotent, so a pod from a cluster dump (already defaulted)
// comes out the same.
//
//   - scenario.DefaultPod: requests from limits, pod-level requests, restartPolicy and
//     schedulerName, and the DefaultTolerationSeconds admission plugin's tolerations.
//   - Container ports without a protocol are TCP, and with hostNetwork every container port is
//     also a host port (k8s.io/kubernetes pkg/apis/core/v1 SetObjectDefaults_Pod,
//     defaultHostNetworkPorts).
//   - matchLabelKeys and mismatchLabelKeys of pod (anti-)affinity terms, and matchLabelKeys of
//     topology spread constraints, are merged into their label selectors with the pod's own
//     label values (pkg/registry/core/pod/strategy.go mutatePodAffinity and
//     mutateTopologySpreadConstraints; both gates are on in v1.37). A requirement already there
//     is not added twice.
func defaultPod(p *corev1.Pod) {
	if p.Namespace == "" {
		p.Namespace = metav1.NamespaceDefault
	}
	scenario.DefaultPod(&p.Spec)
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			for j := range cs[i].Ports {
				port := &cs[i].Ports[j]
				if port.Protocol == "" {
					port.Protocol = corev1.ProtocolTCP
				}
				if p.Spec.HostNetwork && port.HostPort == 0 {
					port.HostPort = port.ContainerPort
				}
			}
		}
	}
	if a := p.Spec.Affinity; a != nil {
		var terms []*corev1.PodAffinityTerm
		if pa := a.PodAffinity; pa != nil {
			for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
				terms = append(terms, &pa.RequiredDuringSchedulingIgnoredDuringExecution[i])
			}
			for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
				terms = append(terms, &pa.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm)
			}
		}
		if pa := a.PodAntiAffinity; pa != nil {
			for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
				terms = append(terms, &pa.RequiredDuringSchedulingIgnoredDuringExecution[i])
			}
			for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
				terms = append(terms, &pa.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm)
			}
		}
		for _, t := range terms {
			if t.LabelSelector == nil { // a nil selector selects nothing: nothing to merge into
				continue
			}
			mergeLabelKeys(t.LabelSelector, t.MatchLabelKeys, metav1.LabelSelectorOpIn, p.Labels)
			mergeLabelKeys(t.LabelSelector, t.MismatchLabelKeys, metav1.LabelSelectorOpNotIn, p.Labels)
		}
	}
	for i := range p.Spec.TopologySpreadConstraints {
		c := &p.Spec.TopologySpreadConstraints[i]
		if c.LabelSelector != nil {
			mergeLabelKeys(c.LabelSelector, c.MatchLabelKeys, metav1.LabelSelectorOpIn, p.Labels)
		}
	}
}

// mergeLabelKeys adds "key op [value]" to sel for each key the pod has a label for.
func mergeLabelKeys(sel *metav1.LabelSelector, keys []string, op metav1.LabelSelectorOperator, podLabels map[string]string) {
	for _, key := range keys {
		value, ok := podLabels[key]
		if !ok {
			continue
		}
		req := metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: []string{value}}
		if slices.ContainsFunc(sel.MatchExpressions, func(r metav1.LabelSelectorRequirement) bool {
			return r.Key == req.Key && r.Operator == req.Operator && slices.Equal(r.Values, req.Values)
		}) {
			continue
		}
		sel.MatchExpressions = append(sel.MatchExpressions, req)
	}
}

// defaultNode applies the API server's Node defaulting: a node whose status has a capacity but
// no allocatable gets its capacity as allocatable (SetDefaults_NodeStatus).
func defaultNode(n *corev1.Node) {
	st := &n.Status
	if st.Allocatable == nil && st.Capacity != nil {
		st.Allocatable = make(corev1.ResourceList, len(st.Capacity))
		for name, q := range st.Capacity {
			st.Allocatable[name] = q.DeepCopy()
		}
	}
}
