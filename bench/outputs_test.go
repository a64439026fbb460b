package bench

import (
	"fmt"
	"io"
	"testing"
	"time"

	"ksim.dev/ksim/reports"
)

// BenchmarkOutputsWeek writes every output `ksim run` writes for one simulated week of the web
// fleet (summary.json, report.html, events.jsonl, result.json, and metrics.om at the 10-minute
// step `ksim run` picks for a week of 1,000 nodes) to io.Discard: what a run's outputs add to
// BenchmarkRunWeek. The run itself is not timed. report.html is written with a stand-in for the
// ECharts library, whose size does not depend on the run.
func BenchmarkOutputsWeek(b *testing.B) {
	for _, size := range Ladder[:2] {
		b.Run(fmt.Sprintf("nodes=%d", size.Nodes), func(b *testing.B) {
			res := mustRun(b, WebFleet(size, 1))
			hopts := reports.HTMLOptions{EChartsJS: []byte("/* echarts */"), Version: "bench"}
			mo := reports.MetricsOptions{Version: "bench", Step: 10 * time.Minute}
			var written countingWriter
			b.ReportAllocs()
			for b.Loop() {
				written = 0
				w := &written
				// As ksim run does: one digest for the summary, the report and result.json.
				full := reports.NewDigest(res, "bench", 0)
				for _, write := range []func() error{
					func() error { return reports.WriteSummary(w, full.Summary) },
					func() error { return reports.WriteHTMLWith(w, res, full, hopts) },
					func() error { return reports.WriteEvents(w, res) },
					func() error { return reports.WriteOpenMetrics(w, res, mo) },
					func() error {
						return reports.WriteDigest(w, full.Thin(reports.DefaultStoredPoints, res.Duration))
					},
				} {
					if err := write(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(written)/1e6, "MB-written")
		})
	}
}

// countingWriter counts the bytes written to it and keeps none.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return io.Discard.Write(p)
}
