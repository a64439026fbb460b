package imagelocality

import (
	"hash/maphash"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
)

var (
	_ framework.NodeSetDependent = &ImageLocality{}
	_ framework.PartSigner       = &ImageLocality{}
)

// SignPod writes what the plugin reads of the pod, its images.
func (pl *ImageLocality) SignPod(h *maphash.Hash, pod *corev1.Pod) {
	framework.SignPodParts(h, pod, pl.SignParts())
}

// SignParts names the part of the pod the plugin reads.
func (pl *ImageLocality) SignParts() framework.SignPart { return framework.SignPartImages }

// DependsOnNodeSet marks that a score also depends on how many nodes have each image.
func (pl *ImageLocality) DependsOnNodeSet() {}

// ReadsNodeObjectOnly marks that the plugin reads the node object only, not its pods.
func (pl *ImageLocality) ReadsNodeObjectOnly() {}
