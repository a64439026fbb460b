package imagelocality

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

func TestScore(t *testing.T) {
	const mb = 1024 * 1024
	// Four nodes: a has a 300 MiB image and a 40 MiB one, b has the 300 MiB one, c has a 5 GiB
	// one, d nothing.
	nodes := []*corev1.Node{
		st.MakeNode("a").Image(300*mb, "docker.io/app:v1", "app:v1").Image(40*mb, "sidecar:latest").Obj(),
		st.MakeNode("b").Image(300*mb, "app:v1").Obj(),
		st.MakeNode("c").Image(5000*mb, "big:v1").Obj(),
		st.MakeNode("d").Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want []int64
	}{
		// app:v1 is on 2 of 4 nodes: 300 MiB × 0.5 = 150 MiB → 100 × (150−23)/(1000−23) = 12.
		{name: "one image, on half the nodes", pod: st.MakePod("p").Image("app:v1").Obj(), want: []int64{12, 12, 0, 0}},
		// sidecar (no tag → :latest) is on 1 of 4 nodes, 40 MiB × 0.25 = 10 MiB: on a, 150 + 10
		// = 160 MiB over two images' bound → 100 × 137/1977 = 6.9; on b, 100 × 127/1977 = 6.4.
		{name: "untagged name gets :latest", pod: st.MakePod("p").Image("app:v1").Image("sidecar").Obj(), want: []int64{6, 6, 0, 0}},
		// 150 MiB twice over two images' bound: 100 × 277/1977 = 14.
		{name: "two containers of one image count twice", pod: st.MakePod("p").Image("app:v1").Image("app:v1").Obj(), want: []int64{14, 14, 0, 0}},
		// 5000 MiB × 0.25 = 1250 MiB, clamped to 1000 MiB → 100.
		{name: "above the maximum", pod: st.MakePod("p").Image("big:v1").Obj(), want: []int64{0, 0, 100, 0}},
		{name: "image nowhere", pod: st.MakePod("p").Image("other:v1").Obj(), want: []int64{0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, infos := st.Cluster(nodes)
			pl, _ := New(nil, c.Features())
			st0, got := st.Score(pl, c, tc.pod, infos)
			if st0 != nil {
				t.Fatal(st0)
			}
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("scores (-want +got):%s", d)
			}
		})
	}
}

func TestNormalizedImageName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                      "nginx:latest",
		"nginx:1.25":                 "nginx:1.25",
		"registry:5000/team/app":     "registry:5000/team/app:latest",
		"registry:5000/team/app:v2":  "registry:5000/team/app:v2",
		"example.com/app@sha256:abc": "example.com/app@sha256:abc",
	} {
		if got := normalizedImageName(in); got != want {
			t.Errorf("normalizedImageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestImageSizeFromFirstNode pins the scheduler cache's rule: an image's size is the one the
// node that listed it first gave, as long as some node lists it.
func TestImageSizeFromFirstNode(t *testing.T) {
	c, _ := st.Cluster([]*corev1.Node{
		st.MakeNode("a").Image(100, "x:1").Obj(),
		st.MakeNode("b").Image(999, "x:1").Obj(),
	})
	if im := c.Image("x:1"); im == nil || im.Size != 100 || im.NumNodes != 2 {
		t.Fatalf("image x:1 = %+v, want size 100 on 2 nodes", im)
	}
}
