// Package sweep runs a grid of variants of one scenario and tabulates their key figures: the
// what-ifs of a capacity planner ("HPA target 50/60/70/80 × node pool size 10/20/30 × traffic
// ×1.0/1.2/1.5"), each a whole, deterministic run.
//
// The pieces, in the order a sweep uses them:
//
//   - ParseAxis reads one --vary flag (PATH=V1,V2,…) into an Axis. A path names a field of the
//     scenario document (spec.duration, spec.load[0].trace.peakCores, spec.nodePools[0].count)
//     or of a manifest object the scenario loads
//     (HorizontalPodAutoscaler/default/web:spec.metrics[0].resource.target.averageUtilization).
//   - NewPlan loads the scenario, resolves every path against the documents as written, checks
//     every value (each value alone must give a scenario that loads), and numbers the variants:
//     the cartesian product of the axes, the first axis varying slowest.
//   - Plan.Scenario(i) is variant i: the scenario and manifest documents with the variant's
//     values set, loaded again by the scenario loader, so that a value gets exactly the checks
//     and defaults it would get in a file.
//   - Plan.RunVariant(i) runs one variant and returns a Shard (its values and summary); Plan.Run
//     runs them all on a pool of workers. Each run stays single-threaded and deterministic, so a
//     shard does not depend on the number of workers, or on the machine that ran it.
//   - Merge turns shards (from Run, or from the files of a Kubernetes Indexed Job, see
//     WriteJob) into a Table, picks the best variant under the budgets, and the Table writes
//     sweep.csv, sweep.json and sweep.html.
//
// Concurrency lives here, at the edge: the engine (package sim) never sees a goroutine.
package sweep
