package upstream

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
)

// countsTable lays out counts by name for a test log: one line each, in name order, the names
// padded to width.
func countsTable(counts map[string]int, width int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(&b, "\n  %-*s %d", width, k, counts[k])
	}
	return b.String()
}

func TestUpstreamLinks(t *testing.T) {
	reg := frameworkplugins.NewInTreeRegistry()
	if _, ok := reg[names.NodeResourcesFit]; !ok {
		t.Fatalf("in-tree registry lacks %s", names.NodeResourcesFit)
	}
}
