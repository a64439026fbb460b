// Package reports turns a run's sim.Result into files for people and programs:
//
//   - summary.json (Summary, WriteSummary): key figures in a versioned schema,
//     "ksim.summary/v1", documented field by field in docs/summary.md;
//   - report.html (WriteHTML): one self-contained page with an overview, charts drawn by
//     ECharts (options built with go-echarts) and the event log.
//
// Both are pure functions of the Result (and the version string): the same Result gives the
// same bytes. Nothing reads the clock, iterates a map into the output or draws a random number;
// go-echarts' random chart IDs are replaced by fixed ones, and floats are rounded to 6 decimal
// places before they are printed.
//
// The package reads sim.Result only; it never imports the engine's internals.
package reports
