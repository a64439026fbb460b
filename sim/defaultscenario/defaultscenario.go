// Package defaultscenario embeds the scenario that `ksim run` runs when given none: a small,
// realistic cluster (three zones, twelve nodes, one tainted batch pool), a web Deployment whose
// HPA follows two days of a real datacenter CPU trace, a second Deployment, a DaemonSet, a batch
// Job, and node events (a maintenance drain and a node failure).
package defaultscenario

import "embed"

// FS holds the scenario and every file it refers to.
//
//go:embed scenario.yaml cluster.yaml workloads.yaml traces/azure-v2-2days.csv traces/README.md
var FS embed.FS

// Path is the scenario file within FS.
const Path = "scenario.yaml"
