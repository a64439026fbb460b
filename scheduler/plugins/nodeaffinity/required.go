package nodeaffinity

import corev1 "k8s.io/api/core/v1"

// RequiredNodeAffinity is a pod's nodeSelector and required node affinity, compiled, as
// component-helpers' nodeaffinity.GetRequiredNodeAffinity: other plugins (PodTopologySpread's
// nodeAffinityPolicy) ask whether a node passes it. Unlike the NodeAffinity plugin's Filter, it
// ignores the plugin's addedAffinity, as upstream.
type RequiredNodeAffinity struct {
	r requiredAffinity
}

// GetRequiredNodeAffinity compiles pod's nodeSelector and required node affinity. Cost: a few
// small slices per pod.
func GetRequiredNodeAffinity(pod *corev1.Pod) RequiredNodeAffinity {
	return RequiredNodeAffinity{r: compileRequired(pod)}
}

// Match reports whether node passes; a term that does not parse matches nothing, as upstream
// callers that ignore the parse error see it. No allocation.
func (a *RequiredNodeAffinity) Match(node *corev1.Node) bool { return a.r.matches(node) }
