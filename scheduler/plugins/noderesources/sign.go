package noderesources

import (
	"hash/maphash"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
)

var (
	_ framework.PartSigner = &Fit{}
	_ framework.PartSigner = &BalancedAllocation{}
)

// SignPod writes what the plugin reads of the pod, its requests' sources: its verdict and
// score on a node depend on nothing else but the node, so the scheduler may reuse them for pods
// that sign alike.
func (f *Fit) SignPod(h *maphash.Hash, pod *corev1.Pod) {
	framework.SignPodParts(h, pod, f.SignParts())
}

// SignParts names the part of the pod the plugin reads.
func (f *Fit) SignParts() framework.SignPart { return framework.SignPartResources }

// SignPod writes what the plugin reads of the pod, its requests' sources.
func (ba *BalancedAllocation) SignPod(h *maphash.Hash, pod *corev1.Pod) {
	framework.SignPodParts(h, pod, ba.SignParts())
}

// SignParts names the part of the pod the plugin reads.
func (ba *BalancedAllocation) SignParts() framework.SignPart { return framework.SignPartResources }
