package place

import (
	"fmt"
	"strings"
	"testing"
)

// benchInput writes a cluster of n nodes in three zones, each running two pods, and n pods to
// place, as multi-document YAML.
func benchInput(n int) (cluster, pods []byte) {
	var c, p strings.Builder
	for i := range n {
		fmt.Fprintf(&c, "---\napiVersion: v1\nkind: Node\nmetadata: {name: node-%05d, labels: {topology.kubernetes.io/zone: z%d}}\nstatus: {capacity: {cpu: \"16\", memory: 64Gi, pods: \"110\"}}\n", i, i%3)
		for j := range 2 {
			fmt.Fprintf(&c, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: run-%05d-%d}\nspec: {nodeName: node-%05d, containers: [{name: c, image: c, resources: {requests: {cpu: \"1\", memory: 2Gi}}}]}\n", i, j, i)
		}
		fmt.Fprintf(&p, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: new-%05d}\nspec: {containers: [{name: c, image: c, resources: {requests: {cpu: 500m, memory: 1Gi}}}]}\n", i)
	}
	return []byte(c.String()), []byte(p.String())
}

// BenchmarkDecode measures reading and defaulting the input: nodes=N means N nodes, 2N
// running pods and N pods to place.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			cluster, pods := benchInput(n)
			b.SetBytes(int64(len(cluster) + len(pods)))
			b.ReportAllocs()
			for b.Loop() {
				var in Input
				in.AddCluster("c.yaml", cluster)
				in.AddPods("p.yaml", pods)
				if err := in.Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlace measures placing N pods on N nodes (decoded once, outside the loop).
func BenchmarkPlace(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			cluster, pods := benchInput(n)
			var in Input
			in.AddCluster("c.yaml", cluster)
			in.AddPods("p.yaml", pods)
			if err := in.Err(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := Place(&in, Options{Seed: 1})
				if err != nil || len(res) != n {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "pods/s")
		})
	}
}
