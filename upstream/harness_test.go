package upstream

import (
	"testing"

	"k8s.io/kubernetes/pkg/controller/podautoscaler"
	frameworkplugins "k8s.io/kubernetes/pkg/scheduler/framework/plugins"
	"k8s.io/kubernetes/pkg/scheduler/framework/plugins/names"
	frameworkruntime "k8s.io/kubernetes/pkg/scheduler/framework/runtime"
)

var (
	_ = podautoscaler.NewReplicaCalculator
	_ = frameworkruntime.NewFramework
)

func TestUpstreamLinks(t *testing.T) {
	reg := frameworkplugins.NewInTreeRegistry()
	if _, ok := reg[names.NodeResourcesFit]; !ok {
		t.Fatalf("in-tree registry lacks %s", names.NodeResourcesFit)
	}
}
