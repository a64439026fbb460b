package nodeaffinity

import (
	"hash/maphash"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
)

var _ framework.PartSigner = &NodeAffinity{}

// SignPod writes what the plugin reads of the pod: its verdict on a node depends on nothing
// else but the node, so the scheduler may reuse it for pods that sign alike.
func (pl *NodeAffinity) SignPod(h *maphash.Hash, pod *corev1.Pod) {
	framework.SignPodParts(h, pod, pl.SignParts())
}

// SignParts names the part of the pod the plugin reads.
func (pl *NodeAffinity) SignParts() framework.SignPart { return framework.SignPartNodeAffinity }

// ReadsNodeObjectOnly marks that the plugin reads the node object only, not its pods.
func (pl *NodeAffinity) ReadsNodeObjectOnly() {}

var _ framework.DefaultNormalizer = &NodeAffinity{}

// NormalizeReversed says that NormalizeScore is the default normalisation, reversed: false.
func (pl *NodeAffinity) NormalizeReversed() bool { return false }
