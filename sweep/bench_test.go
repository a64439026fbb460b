package sweep

import (
	"fmt"
	"testing"

	"ksim.dev/ksim/sim/defaultscenario"
)

// BenchmarkVariantLoad measures what a sweep adds to each run: patching the documents and
// loading the variant through the scenario loader (the default scenario: 12 nodes, 4
// workloads, a 2-day trace header).
func BenchmarkVariantLoad(b *testing.B) {
	a, err := ParseAxis("HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization=50,60,70,80")
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewPlan(FSSource(defaultscenario.FS, defaultscenario.Path), []Axis{a})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := p.Scenario(i % p.Len()); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRunTiny runs the 12 variants of the golden grid on 1 and 2 workers; one op is the
// whole sweep.
func BenchmarkRunTiny(b *testing.B) {
	src, err := OSSource(tinyScenario)
	if err != nil {
		b.Fatal(err)
	}
	var as []Axis
	for _, f := range goldenAxes {
		a, err := ParseAxis(f)
		if err != nil {
			b.Fatal(err)
		}
		as = append(as, a)
	}
	p, err := NewPlan(src, as)
	if err != nil {
		b.Fatal(err)
	}
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, sh := range p.Run(RunOptions{Version: "bench", Jobs: jobs}) {
					if sh.Error != "" {
						b.Fatal(sh.Error)
					}
				}
			}
			b.ReportMetric(float64(p.Len())*float64(b.N)/b.Elapsed().Seconds(), "variants/s")
		})
	}
}
