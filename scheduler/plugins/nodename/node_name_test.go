package nodename

import (
	"testing"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

func TestNodeName(t *testing.T) {
	tests := []struct {
		name      string
		nodeName  string
		node      string
		wantPass  bool
		wantNames map[string]struct{}
	}{
		{name: "no node name", node: "a", wantPass: true},
		{name: "the named node", nodeName: "a", node: "a", wantPass: true, wantNames: map[string]struct{}{"a": {}}},
		{name: "another node", nodeName: "a", node: "b", wantNames: map[string]struct{}{"a": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := &NodeName{}
			pod := framework.NewPodInfo(st.MakePod("p").Node(tc.nodeName).Obj())
			res, _ := pl.PreFilter(framework.NewCycleState(), pod, nil)
			var names map[string]struct{}
			if res != nil {
				names = res.NodeNames
			}
			if d := st.Diff(tc.wantNames, names); d != "" {
				t.Errorf("PreFilter nodes (-want +got):%s", d)
			}
			got := pl.Filter(framework.NewCycleState(), pod, framework.NewNodeInfo(st.MakeNode(tc.node).Obj()))
			if got.IsSuccess() != tc.wantPass {
				t.Errorf("Filter passes = %v, want %v", got.IsSuccess(), tc.wantPass)
			}
			if !tc.wantPass && (got.Code() != framework.UnschedulableAndUnresolvable || got.Message() != ErrReason) {
				t.Errorf("Filter = %v %q", got.Code(), got.Message())
			}
		})
	}
}
