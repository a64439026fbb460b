// Package bench holds ksim's benchmarks of whole runs; the placement path's own benchmarks sit
// beside the scheduler (scheduler/...) and, side by side with the upstream framework, in the
// nested module upstream/.
//
// Run them with:
//
//	go test ./bench -run '^$' -bench . -benchmem
package bench
