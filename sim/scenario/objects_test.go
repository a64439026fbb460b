package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDecodeObjects(t *testing.T) {
	nodeAndPod := DecodeOptions{Kinds: []string{"Node", "Pod"}, SkipOtherKinds: true}
	tests := []struct {
		name        string
		data        string
		opts        DecodeOptions
		wantObjects string // kind name@line, space-separated
		wantSkipped string // kind name@line, space-separated
		wantErr     string // "LINE: text" of one error
	}{
		{
			name:        "multi-document YAML",
			data:        "apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\n# comment\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
			opts:        nodeAndPod,
			wantObjects: "Node a@1 Pod p@6", // the object's first line, after the comment
		},
		{
			name:        "v1 List with a skipped kind",
			data:        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s, namespace: x}\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n",
			opts:        nodeAndPod,
			wantObjects: "Node a@7",
			wantSkipped: "Service x/s@4",
		},
		{
			name:        "typed lists, items without kind",
			data:        "{\"kind\": \"NodeList\", \"apiVersion\": \"v1\", \"items\": [{\"metadata\": {\"name\": \"a\"}}]}\n{\"kind\": \"EventList\", \"apiVersion\": \"v1\", \"items\": [{}, {}]}\n",
			opts:        nodeAndPod,
			wantObjects: "Node a@1",
			wantSkipped: "Event 2 items@2",
		},
		{
			name: "cluster-info dump log sections keep line numbers",
			data: "{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"items\": []}\n" +
				"==== START logs for container c of pod default/p ====\n{ not json\n---\n==== END logs for container c of pod default/p ====\n" +
				"{\"kind\": \"NodeList\", \"apiVersion\": \"v1\", \"items\": [\n {\"metadata\": {\"name\": \"a\"}, \"spek\": {}}]}\n",
			opts:    nodeAndPod,
			wantErr: `7: items[0].spek: unknown field "spek"`,
		},
		{
			name:        "a log section at the end is skipped",
			data:        "{\"kind\": \"NodeList\", \"apiVersion\": \"v1\", \"items\": []}\n==== START logs for container c of pod default/p ====\nlast words\n",
			opts:        nodeAndPod,
			wantSkipped: "container logs container c of pod default/p@2",
		},
		{
			name:    "other kinds are errors unless skipped",
			data:    "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
			opts:    DecodeOptions{Kinds: []string{"Node"}},
			wantErr: `2: kind: "Service" is not read here`,
		},
		{
			name:    "a wanted kind with the wrong case is never skipped",
			data:    "apiVersion: v1\nkind: node\nmetadata: {name: s}\n",
			opts:    nodeAndPod,
			wantErr: `2: kind: "node" is not a kind; kinds are case-sensitive: did you mean Node?`,
		},
		{
			name:    "item of the wrong kind in a typed list",
			data:    "kind: NodeList\napiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: p}\n",
			opts:    nodeAndPod,
			wantErr: `4: items[0].kind: must be Node in a NodeList`,
		},
		{
			name:    "strict decoding of items",
			data:    "kind: List\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      resources: {requests: {cpu: much}}\n",
			opts:    nodeAndPod,
			wantErr: `10: items[0].spec.containers[0].resources.requests.cpu: "much" is not a quantity`,
		},
		{
			name:    "typed list of a wanted kind with the wrong apiVersion",
			data:    "kind: NodeList\napiVersion: apps/v1\nitems: []\n",
			opts:    nodeAndPod,
			wantErr: `2: apiVersion: "apps/v1" is not supported for NodeList; want v1`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, skipped, err := DecodeObjects("f.yaml", []byte(tc.data), tc.opts)
			if tc.wantErr != "" {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("err = %v, want Errors", err)
				}
				if !strings.Contains(err.Error(), "f.yaml:"+tc.wantErr) {
					t.Errorf("errors:\n%v\nwant one with f.yaml:%s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := range objs {
				o := &objs[i]
				got = append(got, fmt.Sprintf("%s %s@%d", o.Kind, o.Obj.GetName(), o.Line()))
			}
			if g := strings.Join(got, " "); g != tc.wantObjects {
				t.Errorf("objects %q, want %q", g, tc.wantObjects)
			}
			got = nil
			for _, s := range skipped {
				got = append(got, fmt.Sprintf("%s %s@%d", s.Kind, s.Name, s.Line))
			}
			if g := strings.Join(got, " "); g != tc.wantSkipped {
				t.Errorf("skipped %q, want %q", g, tc.wantSkipped)
			}
		})
	}
}

func TestObjectLineOf(t *testing.T) {
	data := "kind: List\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n    - name: c\n      image: x\n"
	objs, _, err := DecodeObjects("f.yaml", []byte(data), DecodeOptions{Kinds: []string{"Pod"}})
	if err != nil {
		t.Fatal(err)
	}
	o := &objs[0]
	if _, ok := o.Obj.(*corev1.Pod); !ok {
		t.Fatalf("Obj is %T", o.Obj)
	}
	if got := o.LineOf("spec.containers[0].image"); got != 11 {
		t.Errorf("LineOf image = %d, want 11", got)
	}
	if got := o.ErrorAt("spec.containers[0]", "bad").Error(); got != "f.yaml:10: items[0].spec.containers[0]: bad" {
		t.Errorf("ErrorAt = %q", got)
	}
}
