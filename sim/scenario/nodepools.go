package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
)

// MaxPoolNodes bounds spec.nodePools[*].count: a typo such as 100000000 must not make the
// loader allocate a hundred million Nodes. It is far above the 5,000-node benchmark ladder.
const MaxPoolNodes = 100_000

// nodePoolDoc is an entry of spec.nodePools: count identical nodes made from one Node
// manifest, named <name>-1 … <name>-<count>. A pool is how a capacity planner writes "20 nodes
// of this shape", and what `ksim sweep --vary spec.nodePools[0].count=10,20,30` changes.
type nodePoolDoc struct {
	Name     string          `json:"name"`
	Count    *int64          `json:"count"`
	Template json.RawMessage `json:"template"`
}

// nodePools expands spec.nodePools into cluster nodes, after the nodes of spec.cluster. The
// first node of each pool goes through the same path as a node of a cluster file (strict
// decoding of the template, validation, defaulting, registration), so the template's problems
// are reported once, at the template's lines. The others are copies of the template that differ
// only in their name (and so in their defaulted hostname label).
//
// Cost: O(count) deep copies of the template per pool.
func (l *loader) nodePools(src objSrc, pools []nodePoolDoc) {
	seen := make(map[string]int, len(pools))
	for i := range pools {
		p := &pools[i]
		field := fmt.Sprintf("spec.nodePools[%d]", i)
		tmpl, count, ok := l.checkPool(src, field, p, seen, i)
		if !ok {
			// The pool's nodes are missing: do not report events that name them.
			l.partial = true
			continue
		}
		if count == 0 {
			continue
		}
		tsrc := objSrc{d: src.d, prefix: field + ".template"}
		before := l.probs.len()
		o := l.object(tsrc, withNodeName(p.Template, poolNodeName(p.Name, 1)), roleCluster, "Node")
		if o == nil || o.obj == nil || o.broken || l.probs.len() > before {
			l.partial = true
			continue
		}
		for k := 2; k <= count; k++ {
			n := tmpl.DeepCopy()
			n.Name = poolNodeName(p.Name, k)
			c := &object{key: objKey{kind: "Node", name: n.Name}, src: tsrc, obj: n}
			if !l.register(c) {
				continue
			}
			defaultNode(n)
			l.sc.Nodes = append(l.sc.Nodes, n)
		}
	}
}

// checkPool checks an entry's own fields and decodes its template (without a name). It reports
// every problem it finds and returns ok only when the pool can be expanded.
func (l *loader) checkPool(src objSrc, field string, p *nodePoolDoc, seen map[string]int, i int) (tmpl *corev1.Node, count int, ok bool) {
	ok = true
	switch {
	case p.Name == "":
		l.errAt(src, field, "name is required: the pool's nodes are named <name>-1 … <name>-<count>")
		ok = false
	default:
		if first, dup := seen[p.Name]; dup {
			l.errAt(src, field+".name", "%s is already the name of spec.nodePools[%d]; pool names are unique (they prefix the node names)", quoteShort(p.Name), first)
			ok = false
		} else {
			seen[p.Name] = i
		}
	}
	switch {
	case p.Count == nil:
		l.errAt(src, field, "count is required: how many nodes the pool has (0 to %d)", MaxPoolNodes)
		ok = false
	case *p.Count < 0 || *p.Count > MaxPoolNodes:
		l.errAt(src, field+".count", "must be between 0 and %d (MaxPoolNodes), got %d", MaxPoolNodes, *p.Count)
		ok = false
	default:
		count = int(*p.Count)
	}
	if ok && count > 0 {
		// The longest name is the last one; if it is valid, all are.
		for _, msg := range content.IsDNS1123Subdomain(poolNodeName(p.Name, count)) {
			l.errAt(src, field+".name", "%s makes node names such as %s that are not valid: %s", quoteShort(p.Name), quoteShort(poolNodeName(p.Name, count)), msg)
			ok = false
		}
	}
	raw := bytes.TrimSpace(p.Template)
	if len(raw) == 0 || string(raw) == "null" {
		l.errAt(src, field, "template is required: a Node manifest without a name, e.g. template: {metadata: {labels: {pool: general}}, status: {capacity: {cpu: \"4\", memory: 16Gi}}}")
		return nil, 0, false
	}
	if jsonKind(raw) != "a map" {
		l.errAt(src, field+".template", "want a Node manifest (a map), got %s", jsonKind(raw))
		return nil, 0, false
	}
	var meta struct {
		Metadata struct {
			Name   any            `json:"name"`
			Labels map[string]any `json:"labels"`
		} `json:"metadata"`
	}
	if json.Unmarshal(raw, &meta) == nil {
		if meta.Metadata.Name != nil {
			l.errAt(src, field+".template.metadata.name", "leave the name out: the pool names its nodes %s-1 … %s-<count>", p.Name, p.Name)
			ok = false
		}
		if _, set := meta.Metadata.Labels[corev1.LabelHostname]; set {
			l.errAt(src, field+".template.metadata.labels."+corev1.LabelHostname, "leave it out: each node of the pool gets its own (its name), as the kubelet sets it")
			ok = false
		}
	}
	// Problems inside the template are reported when its first node is decoded (nodePools);
	// here a failed decode only means there is nothing to copy. When the pool is broken
	// anyway, report what decoding finds, so that every problem shows at once.
	tmpl = &corev1.Node{}
	probs, complete := decodeStrict(raw, tmpl)
	if !ok {
		tsrc := objSrc{d: src.d, prefix: field + ".template"}
		for _, pr := range probs {
			l.errAt(tsrc, pr.path, "%s", pr.msg)
		}
		return nil, 0, false
	}
	if !complete || len(probs) > 0 {
		// Let the first node's decode report the template's problems at their lines.
		before := l.probs.len()
		l.object(objSrc{d: src.d, prefix: field + ".template"}, withNodeName(raw, poolNodeName(p.Name, 1)), roleCluster, "Node")
		if l.probs.len() == before {
			l.errAt(src, field+".template", "not a valid Node manifest")
		}
		return nil, 0, false
	}
	return tmpl, count, true
}

// poolNodeName is the name of node k (1-based) of pool name.
func poolNodeName(name string, k int) string { return name + "-" + strconv.Itoa(k) }

// withNodeName returns the template with metadata.name set, or the template unchanged when its
// metadata is not a map (the decode then reports that).
func withNodeName(raw json.RawMessage, name string) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers as written (a quantity such as 1.5 or a large integer)
	var m map[string]any
	if dec.Decode(&m) != nil {
		return raw
	}
	md, ok := m["metadata"].(map[string]any)
	if m["metadata"] == nil {
		md, ok = map[string]any{}, true
	}
	if !ok {
		return raw
	}
	md["name"] = name
	m["metadata"] = md
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return b
}
