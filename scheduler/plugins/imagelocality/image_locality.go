// Package imagelocality favours nodes that already have the pod's images, as upstream's
// plugins/imagelocality/image_locality.go: each image the node lists counts its size, scaled
// by the share of nodes that list it (so that an image everywhere does not pull every pod to
// the same nodes), and the sum, clamped between 23 MiB and 1000 MiB per image the pod uses,
// maps linearly onto 0 to 100.
//
// Image names are matched as upstream does: the pod's image with ":latest" appended when it
// has no tag, against the names in node.status.images exactly. The size of an image is the
// one given by the node that first listed it while no other node did, as upstream's scheduler
// cache keeps it.
package imagelocality

import (
	"errors"
	"strings"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Name is the plugin's name in profiles.
const Name = names.ImageLocality

// The bounds of the summed image score (upstream's minThreshold and maxContainerThreshold).
const (
	mb                    int64 = 1024 * 1024
	minThreshold          int64 = 23 * mb
	maxContainerThreshold int64 = 1000 * mb
)

const stateKey framework.StateKey = "Score" + Name

// ImageLocality is the plugin. It has no configuration.
type ImageLocality struct{}

var _ framework.ScorePlugin = &ImageLocality{}

var errNoCluster = errors.New("imagelocality: no cluster in the cycle state")

// New returns the plugin; it takes no args.
func New(_ any, _ framework.Features) (framework.Plugin, error) { return &ImageLocality{}, nil }

// Name returns Name.
func (pl *ImageLocality) Name() string { return Name }

// pulled is one image the pod uses that some node has, with its scaled score.
type pulled struct {
	image  *framework.Image
	scaled int64
}

type scoreState struct {
	images     []pulled
	imageCount int
}

// podImages looks up the pod's images (init containers, containers, image volumes) and scales
// each by the share of nodes that have it. Upstream does this on every node; the result is
// the same for all nodes of a cycle, so the first Score of the cycle keeps it in the state.
func podImages(c *framework.Cluster, pod *framework.PodInfo) *scoreState {
	total := c.NumNodes()
	s := &scoreState{}
	add := func(name string) {
		s.imageCount++
		if im := c.Image(normalizedImageName(name)); im != nil {
			s.images = append(s.images, pulled{image: im, scaled: scaledImageScore(im, total)})
		}
	}
	spec := &pod.Pod.Spec
	for i := range spec.InitContainers {
		add(spec.InitContainers[i].Image)
	}
	for i := range spec.Containers {
		add(spec.Containers[i].Image)
	}
	for i := range spec.Volumes {
		if v := spec.Volumes[i].Image; v != nil {
			add(v.Reference)
		}
	}
	return s
}

// Score sums the scaled sizes of the pod's images the node has and maps the sum onto 0-100.
// O(pod's images); no allocation after the cycle's first call.
func (pl *ImageLocality) Score(state *framework.CycleState, pod *framework.PodInfo, node *framework.NodeInfo) (int64, *framework.Status) {
	var s *scoreState
	if v, ok := state.Read(stateKey); ok {
		s = v.(*scoreState)
	} else {
		c := state.Cluster()
		if c == nil {
			return 0, framework.AsStatus(errNoCluster)
		}
		s = podImages(c, pod)
		state.Write(stateKey, s)
	}
	var sum int64
	for _, p := range s.images {
		if p.image.On(node.Slot) {
			sum += p.scaled
		}
	}
	return calculatePriority(sum, s.imageCount), nil
}

// ScoreExtensions returns nil: scores are already in [0, 100].
func (pl *ImageLocality) ScoreExtensions() framework.ScoreExtensions { return nil }

// calculatePriority clamps sumScores to [minThreshold, imageCount × maxContainerThreshold]
// and scales it onto [0, 100] (upstream calculatePriority).
func calculatePriority(sumScores int64, imageCount int) int64 {
	maxThreshold := maxContainerThreshold * int64(imageCount)
	if sumScores < minThreshold {
		sumScores = minThreshold
	} else if sumScores > maxThreshold {
		sumScores = maxThreshold
	}
	return framework.MaxNodeScore * (sumScores - minThreshold) / (maxThreshold - minThreshold)
}

// scaledImageScore is the image's size times the share of nodes that have it, in upstream's
// floating-point steps.
func scaledImageScore(im *framework.Image, totalNumNodes int) int64 {
	spread := float64(im.NumNodes) / float64(totalNumNodes)
	return int64(float64(im.Size) * spread)
}

// normalizedImageName appends ":latest" to a name without a tag (upstream
// normalizedImageName; a digest reference is left alone only if it has a tag-like ':' after
// its last '/').
func normalizedImageName(name string) string {
	if strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") {
		name = name + ":latest"
	}
	return name
}
