package reports_test

import (
	"fmt"
	"os"
	"time"

	"ksim.dev/ksim/reports"
	"ksim.dev/ksim/sim"
)

func ExampleSummary() {
	r := &sim.Result{
		Scenario:       "tiny",
		Seed:           7,
		Duration:       10 * time.Minute,
		Events:         42,
		Pods:           sim.PodCounts{Created: 3, Scheduled: 3},
		PendingSeconds: []float64{0.5, 2, 0},
		Nodes:          []sim.NodeResult{{Name: "n1", Zone: "a", AllocatableCPU: 2000}},
		HPAs: []sim.HPAResult{{
			Namespace: "default", Name: "web", Target: "Deployment/web", MinReplicas: 1, MaxReplicas: 3,
			ScaleEvents: []sim.ScaleEvent{{T: 90 * time.Second, From: 1, To: 2}},
		}},
	}
	// Two points of the requested CPU: 500m from the start, 1500m after 5 minutes.
	r.Nodes[0].RequestedCPU.Add(0, 500)
	r.Nodes[0].RequestedCPU.Add(5*time.Minute, 1500)
	// Its pods used 400m, then 1200m.
	r.Nodes[0].UsedCPU.Add(0, 400)
	r.Nodes[0].UsedCPU.Add(5*time.Minute, 1200)
	r.HPAs[0].Replicas.Add(0, 1)
	r.HPAs[0].Replicas.Add(90*time.Second, 2)
	r.HPAs[0].Unserved.Add(60*time.Second, 0.25) // a quarter core unserved for 30 s
	r.HPAs[0].Unserved.Add(90*time.Second, 0)

	s := reports.Summary(r, "v0.1.0")
	fmt.Printf("p50 %v s, p95 %v s, unserved %v core-s\n",
		s.PendingS.P50, s.PendingS.P95, s.HPAs[0].UnservedCoreSeconds)
	if err := reports.WriteSummary(os.Stdout, s); err != nil {
		fmt.Println(err)
	}
	// Output:
	// p50 0.5 s, p95 2 s, unserved 7.5 core-s
	// {
	//   "schema": "ksim.summary/v1",
	//   "scenario": "tiny",
	//   "seed": 7,
	//   "ksim_version": "v0.1.0",
	//   "duration_s": 600,
	//   "events": 42,
	//   "pods": {
	//     "created": 3,
	//     "scheduled": 3,
	//     "unschedulable_at_end": 0,
	//     "pending_at_end": 0,
	//     "evicted": 0,
	//     "preempted": 0,
	//     "succeeded": 0,
	//     "ever_unschedulable": 0
	//   },
	//   "pending_s": {
	//     "p50": 0.5,
	//     "p95": 2,
	//     "p99": 2,
	//     "max": 2,
	//     "mean": 0.833333
	//   },
	//   "nodes": {
	//     "count": 1,
	//     "zones": 1,
	//     "cpu_allocatable_milli": 2000,
	//     "cpu_requested_milli_max": 1500,
	//     "cpu_requested_fraction_mean": 0.5,
	//     "cpu_requested_fraction_max": 0.75,
	//     "max_live": 1,
	//     "cpu_used_milli_max": 1200,
	//     "cpu_used_fraction_mean": 0.4,
	//     "cpu_used_fraction_max": 0.6
	//   },
	//   "hpas": [
	//     {
	//       "namespace": "default",
	//       "name": "web",
	//       "target": "Deployment/web",
	//       "min_replicas": 1,
	//       "max_replicas": 3,
	//       "syncs": 0,
	//       "sync_errors": 0,
	//       "replicas": {
	//         "min": 1,
	//         "max": 2,
	//         "final": 2
	//       },
	//       "scale_events": [
	//         {
	//           "t_s": 90,
	//           "from": 1,
	//           "to": 2
	//         }
	//       ],
	//       "demand_core_seconds": 0,
	//       "unserved_core_seconds": 7.5
	//     }
	//   ],
	//   "hpa_totals": {
	//     "scale_events": 1,
	//     "demand_core_seconds": 0,
	//     "unserved_core_seconds": 7.5,
	//     "unserved_fraction": 0
	//   }
	// }
}
