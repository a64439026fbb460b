package nodeports

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler/internal/st"
)

func TestFilter(t *testing.T) {
	node := st.MakeNode("n").Obj()
	tests := []struct {
		name string
		used []*corev1.Pod // bound to n
		pod  *corev1.Pod
		want string // "" passes, "skip" when the pod has no host port
	}{
		{name: "no host port skips", pod: st.MakePod("p").Req(nil).Obj(), want: "skip"},
		{name: "free port", used: []*corev1.Pod{st.MakePod("a").HostPort("", corev1.ProtocolTCP, 80).Obj()},
			pod: st.MakePod("p").HostPort("", corev1.ProtocolTCP, 8080).Obj()},
		{name: "same port and protocol", used: []*corev1.Pod{st.MakePod("a").HostPort("", "", 80).Obj()},
			pod: st.MakePod("p").HostPort("", corev1.ProtocolTCP, 80).Obj(), want: ErrReason},
		{name: "other protocol", used: []*corev1.Pod{st.MakePod("a").HostPort("", corev1.ProtocolUDP, 53).Obj()},
			pod: st.MakePod("p").HostPort("", corev1.ProtocolTCP, 53).Obj()},
		{name: "0.0.0.0 in use clashes with any IP", used: []*corev1.Pod{st.MakePod("a").HostPort("0.0.0.0", "", 80).Obj()},
			pod: st.MakePod("p").HostPort("10.0.0.1", "", 80).Obj(), want: ErrReason},
		{name: "wanting 0.0.0.0 clashes with any IP", used: []*corev1.Pod{st.MakePod("a").HostPort("10.0.0.2", "", 80).Obj()},
			pod: st.MakePod("p").HostPort("", "", 80).Obj(), want: ErrReason},
		{name: "two distinct IPs coexist", used: []*corev1.Pod{st.MakePod("a").HostPort("10.0.0.2", "", 80).Obj()},
			pod: st.MakePod("p").HostPort("10.0.0.1", "", 80).Obj()},
		{name: "a sidecar's port counts", used: []*corev1.Pod{sidecarPort(st.MakePod("a").Req(nil).Obj(), 9090, true)},
			pod: st.MakePod("p").HostPort("", "", 9090).Obj(), want: ErrReason},
		{name: "a plain init container's port does not", used: []*corev1.Pod{sidecarPort(st.MakePod("a").Req(nil).Obj(), 9090, false)},
			pod: st.MakePod("p").HostPort("", "", 9090).Obj()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.used {
				p.Spec.NodeName = "n"
			}
			c, nodes := st.Cluster([]*corev1.Node{node}, tc.used...)
			pl, _ := New(nil, c.Features())
			st0, got := st.Filter(pl, c, tc.pod, nodes)
			if st0 != nil {
				t.Fatalf("PreFilter: %v", st0)
			}
			if got[0] != tc.want {
				t.Errorf("got %q, want %q", got[0], tc.want)
			}
		})
	}
}

// TestRemoveFreesSharedPort pins upstream's set semantics: when two pods bound to a node take
// the same port, removing one frees the port (HostPortInfo keeps each port once).
func TestRemoveFreesSharedPort(t *testing.T) {
	a := st.MakePod("a").HostPort("", "", 80).Node("n").Obj()
	b := st.MakePod("b").HostPort("", "", 80).Node("n").Obj()
	c, nodes := st.Cluster([]*corev1.Node{st.MakeNode("n").Obj()}, a, b)
	c.RemovePod(nodes[0], nodes[0].Pods[0])
	if len(nodes[0].UsedPorts) != 0 {
		t.Errorf("ports in use after removing one of two pods on the same port: %v, want none", nodes[0].UsedPorts)
	}
}

func sidecarPort(p *corev1.Pod, port int32, sidecar bool) *corev1.Pod {
	ic := corev1.Container{Name: "init", Ports: []corev1.ContainerPort{{HostPort: port, ContainerPort: port}}}
	if sidecar {
		ic.RestartPolicy = new(corev1.ContainerRestartPolicyAlways)
	}
	p.Spec.InitContainers = append(p.Spec.InitContainers, ic)
	return p
}
