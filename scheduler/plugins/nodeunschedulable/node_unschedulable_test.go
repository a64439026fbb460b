package nodeunschedulable

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/framework"
	"ksim.dev/ksim/scheduler/internal/st"
)

func TestFilter(t *testing.T) {
	cordoned := st.MakeNode("n").Unschedulable().Obj()
	tests := []struct {
		name string
		pod  *corev1.Pod
		node *corev1.Node
		want *framework.Status
	}{
		{name: "schedulable node", pod: st.MakePod("p").Obj(), node: st.MakeNode("n").Obj()},
		{name: "cordoned node", pod: st.MakePod("p").Obj(), node: cordoned, want: statusUnschedulable},
		{
			name: "a pod tolerating the unschedulable taint",
			pod:  st.MakePod("p").Toleration(corev1.TaintNodeUnschedulable, corev1.TolerationOpExists, "", corev1.TaintEffectNoSchedule).Obj(),
			node: cordoned,
		},
		{
			name: "a toleration of another effect does not help",
			pod:  st.MakePod("p").Toleration(corev1.TaintNodeUnschedulable, corev1.TolerationOpExists, "", corev1.TaintEffectNoExecute).Obj(),
			node: cordoned,
			want: statusUnschedulable,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, _ := New(nil, framework.DefaultFeatures())
			got := pl.(framework.FilterPlugin).Filter(framework.NewCycleState(), framework.NewPodInfo(tc.pod), framework.NewNodeInfo(tc.node))
			if got != tc.want {
				t.Errorf("Filter = %v %q, want %v %q", got.Code(), got.Reasons(), tc.want.Code(), tc.want.Reasons())
			}
		})
	}
	if d := st.Diff([]string{"node(s) were unschedulable"}, statusUnschedulable.Reasons()); d != "" {
		t.Errorf("reason (-want +got):%s", d)
	}
}
