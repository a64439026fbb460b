// Package reports turns a run's sim.Result into files for people and programs:
//
//   - summary.json (Summary, WriteSummary, ReadSummary): key figures in a versioned schema,
//     "ksim.summary/v1", documented field by field in docs/summary.md;
//   - report.html (WriteHTML): one self-contained page with an overview, the HPAs, scheduling
//     (with the scheduler's explanation of each explained placement), node heatmaps and a
//     searchable timeline, its charts drawn by ECharts from options built with go-echarts
//     (docs/report.md);
//   - events.jsonl (Events, WriteEvents): every event of the run, one JSON object per line;
//   - metrics.om (WriteOpenMetrics): every simulated series in the OpenMetrics text format with
//     timestamps, written with the Prometheus client libraries' types and encoder;
//   - result.json (NewDigest, WriteDigest, ReadDigest): the series the charts are drawn from,
//     which is what compare.html (WriteCompareHTML, CompareFigures) needs of each of two runs.
//
// docs/outputs.md describes the last three. Every output is a pure function of the Result (and
// the options): the same Result gives the same bytes. Nothing reads the clock, iterates a map
// into the output or draws a random number; go-echarts' random chart IDs are replaced by fixed
// ones, and floats are rounded to 6 decimal places before they are printed.
//
// Long series are thinned for drawing by the M4 method (downsample) and every bound on a page
// says on the page what it cut; see HTMLOptions.
//
// The package reads sim.Result only; it never imports the engine's internals.
package reports
