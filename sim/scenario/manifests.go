package scenario

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// role is what a manifest file is for; it decides which kinds it may hold.
type role int

const (
	roleCluster   role = iota // spec.cluster, and files of "add" events
	roleWorkloads             // spec.workloads
)

func (r role) String() string {
	if r == roleCluster {
		return "spec.cluster (or add event)"
	}
	return "spec.workloads"
}

// kindInfo describes a kind that ksim reads.
type kindInfo struct {
	kind          string
	apiVersion    string
	role          role
	clusterScoped bool
	newObj        func() metav1.Object
}

var kinds = []kindInfo{
	{"Node", "v1", roleCluster, true, func() metav1.Object { return &corev1.Node{} }},
	{"Namespace", "v1", roleWorkloads, true, func() metav1.Object { return &corev1.Namespace{} }},
	{"PriorityClass", "scheduling.k8s.io/v1", roleWorkloads, true, func() metav1.Object { return &schedulingv1.PriorityClass{} }},
	{"Deployment", "apps/v1", roleWorkloads, false, func() metav1.Object { return &appsv1.Deployment{} }},
	{"DaemonSet", "apps/v1", roleWorkloads, false, func() metav1.Object { return &appsv1.DaemonSet{} }},
	{"Job", "batch/v1", roleWorkloads, false, func() metav1.Object { return &batchv1.Job{} }},
	{"Pod", "v1", roleWorkloads, false, func() metav1.Object { return &corev1.Pod{} }},
	{"HorizontalPodAutoscaler", "autoscaling/v2", roleWorkloads, false, func() metav1.Object { return &autoscalingv2.HorizontalPodAutoscaler{} }},
	{"PodDisruptionBudget", "policy/v1", roleWorkloads, false, func() metav1.Object { return &policyv1.PodDisruptionBudget{} }},
}

// KindInfo is a kind of object the loader reads: its name, its apiVersion, whether it is
// cluster-scoped, and its Go type (e.g. corev1.Node).
type KindInfo struct {
	Kind, APIVersion string
	ClusterScoped    bool
	Type             reflect.Type
}

// Kinds returns the kinds the loader reads, in a fixed order, so that tools that name objects
// of a scenario (ksim sweep's paths) know the same kinds.
func Kinds() []KindInfo {
	out := make([]KindInfo, len(kinds))
	for i, k := range kinds {
		out[i] = KindInfo{Kind: k.kind, APIVersion: k.apiVersion, ClusterScoped: k.clusterScoped, Type: reflect.TypeOf(k.newObj()).Elem()}
	}
	return out
}

func kindByName(k string) *kindInfo {
	for i := range kinds {
		if kinds[i].kind == k {
			return &kinds[i]
		}
	}
	return nil
}

// allowedKinds lists what a file of role r may hold, for messages.
func allowedKinds(r role) string {
	var ks []string
	for _, k := range kinds {
		if k.role == r {
			ks = append(ks, k.kind+" ("+k.apiVersion+")")
		}
	}
	return strings.Join(ks, ", ") + ", a typed list of these (e.g. " + listNameFor(r) + "), or a v1 List"
}

func listNameFor(r role) string {
	if r == roleCluster {
		return "NodeList"
	}
	return "DeploymentList"
}

// objKey identifies an object: kind, namespace ("" for cluster-scoped kinds), name.
type objKey struct{ kind, ns, name string }

func (k objKey) String() string {
	if k.ns == "" {
		return k.kind + " " + k.name
	}
	return k.kind + " " + k.ns + "/" + k.name
}

// object is a decoded manifest object and where it came from.
type object struct {
	key    objKey
	src    objSrc
	obj    metav1.Object // nil when the object did not decode
	broken bool          // it had errors; references to it are not reported again
}

// manifestFile loads one file named at field of the scenario.
func (l *loader) manifestFile(src objSrc, field, ref string, r role) []*object {
	fsPath, name, err := l.resolve(ref)
	if err != nil {
		l.errAt(src, field, "%v", err)
		l.partial = true
		return nil
	}
	if l.files[fsPath] {
		l.errAt(src, field, "%s is named twice; name each file once", quoteShort(ref))
		return nil
	}
	l.files[fsPath] = true
	l.probs.seeFile(name)
	f, err := l.readFile(fsPath, name)
	if err != nil {
		l.errAt(src, field, "%s: %v", name, err)
		l.partial = true
		return nil
	}
	docs, perr := splitDocuments(f)
	if perr != nil {
		l.partial = true
	}
	var objs []*object
	for _, d := range docs {
		objs = append(objs, l.document(d, r)...)
	}
	if perr != nil {
		l.add(perr)
	} else if len(docs) == 0 {
		l.add(&Error{File: name, Msg: "the file holds no objects; want " + allowedKinds(r)})
		l.partial = true
	}
	return objs
}

// typeMeta is read leniently first, to choose the type to decode strictly into.
type typeMeta struct {
	APIVersion any `json:"apiVersion"`
	Kind       any `json:"kind"`
	Metadata   any `json:"metadata"`
}

func (tm *typeMeta) strings() (apiVersion, kind string) {
	apiVersion, _ = tm.APIVersion.(string)
	kind, _ = tm.Kind.(string)
	return apiVersion, kind
}

// document decodes one document: an object, or a list of objects.
func (l *loader) document(d *doc, r role) []*object {
	src := objSrc{d: d}
	if jsonKind(d.json) != "a map" {
		l.errAt(src, "", "want a Kubernetes object (a map with apiVersion, kind and metadata), got %s", jsonKind(d.json))
		l.partial = true
		return nil
	}
	var tm typeMeta
	_ = json.Unmarshal(d.json, &tm) // a map always decodes into typeMeta
	apiVersion, kind := tm.strings()
	if kind == "List" || (strings.HasSuffix(kind, "List") && kindByName(strings.TrimSuffix(kind, "List")) != nil) {
		return l.listItems(src, d.json, apiVersion, kind, r)
	}
	if o := l.object(src, d.json, r, ""); o != nil {
		return []*object{o}
	}
	return nil
}

// listDoc is a v1 List or a typed list (NodeList, DeploymentList, ...).
type listDoc struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ListMeta   `json:"metadata"`
	Items      []json.RawMessage `json:"items"`
}

// listItems decodes a list's items. A list that cannot be read marks the load partial (the
// references into it cannot be checked); an empty one is fine (`kubectl get deployments -o
// yaml` writes one when there are none).
func (l *loader) listItems(src objSrc, data []byte, apiVersion, kind string, r role) []*object {
	implied := ""
	if kind != "List" {
		implied = strings.TrimSuffix(kind, "List")
		ki := kindByName(implied)
		if ki.role != r {
			l.errAt(src, "kind", "%s is not allowed in a %s file; allowed: %s", quoteShort(kind), r, allowedKinds(r))
			l.partial = true
			return nil
		}
		if apiVersion != ki.apiVersion {
			l.errAt(src, "apiVersion", "%s is not supported for %s; want %s", quoteShort(apiVersion), kind, ki.apiVersion)
			l.partial = true
			return nil
		}
	} else if apiVersion != "v1" {
		l.errAt(src, "apiVersion", "%s is not supported for List; want v1", quoteShort(apiVersion))
		l.partial = true
		return nil
	}
	var ld listDoc
	probs, complete := decodeStrict(data, &ld)
	for _, p := range probs {
		l.errAt(src, p.path, "%s", p.msg)
	}
	if !complete {
		l.partial = true
		return nil
	}
	var objs []*object
	for i, item := range ld.Items {
		isrc := objSrc{d: src.d, prefix: fmt.Sprintf("items[%d]", i)}
		if jsonKind(item) != "a map" {
			l.errAt(isrc, "", "want a Kubernetes object (a map with apiVersion, kind and metadata), got %s", jsonKind(item))
			l.partial = true
			continue
		}
		if o := l.object(isrc, item, r, implied); o != nil {
			objs = append(objs, o)
		}
	}
	return objs
}

// object decodes one object strictly, validates and defaults it, and registers it. implied is
// the item kind of a typed list ("" otherwise). It returns nil when the kind is not one ksim
// reads.
func (l *loader) object(src objSrc, data []byte, r role, implied string) *object {
	o, known := l.decodeObject(src, data, r, implied)
	if !known {
		// An object whose kind or name is unknown may be what other objects refer to.
		l.partial = true
	}
	return o
}

// decodeObject is object; known reports whether the object's kind and name are known (even if the
// object is not usable).
func (l *loader) decodeObject(src objSrc, data []byte, r role, implied string) (o *object, known bool) {
	var tm typeMeta
	_ = json.Unmarshal(data, &tm)
	apiVersion, kind := tm.strings()
	if tm.Kind != nil && kind == "" {
		l.errAt(src, "kind", "want a string, got %s", describeValue(tm.Kind))
		return nil, false
	}
	if tm.APIVersion != nil && apiVersion == "" {
		l.errAt(src, "apiVersion", "want a string, got %s", describeValue(tm.APIVersion))
		return nil, false
	}
	if implied != "" {
		if kind != "" && kind != implied {
			l.errAt(src, "kind", "must be %s here, got %s", implied, quoteShort(kind))
			return nil, false
		}
		ki := kindByName(implied)
		if apiVersion != "" && apiVersion != ki.apiVersion {
			l.errAt(src, "apiVersion", "%s is not supported for %s; want %s", quoteShort(apiVersion), implied, ki.apiVersion)
			return nil, false
		}
		kind, apiVersion = implied, ki.apiVersion
	}
	if kind == "" {
		l.errAt(src, "", "kind is required (e.g. kind: Deployment); allowed here: %s", allowedKinds(r))
		return nil, false
	}
	if kind == "List" || strings.HasSuffix(kind, "List") && src.prefix != "" {
		l.errAt(src, "kind", "lists cannot be nested; put the items in the outer list")
		return nil, false
	}
	ki := kindByName(kind)
	if ki == nil || ki.role != r {
		if ki == nil && kindByName(capitalize(kind)) != nil {
			l.errAt(src, "kind", "%s is not a kind; kinds are case-sensitive: did you mean %s?", quoteShort(kind), capitalize(kind))
			return nil, false
		}
		l.errAt(src, "kind", "%s is not allowed in a %s file; allowed: %s", quoteShort(kind), r, allowedKinds(r))
		return nil, false
	}
	if apiVersion == "" {
		l.errAt(src, "", "apiVersion is required; %s is %s", kind, ki.apiVersion)
		return nil, false
	}
	if apiVersion != ki.apiVersion {
		l.errAt(src, "apiVersion", "%s is not supported for %s; want %s", quoteShort(apiVersion), kind, ki.apiVersion)
		return nil, false
	}
	obj := ki.newObj()
	probs, complete := decodeStrict(data, obj)
	for _, p := range probs {
		l.errAt(src, p.path, "%s", p.msg)
	}
	o = &object{src: src, obj: obj, broken: len(probs) > 0}
	if !complete {
		// Register what the lenient read gives, so that references to this object are not
		// reported as missing.
		var meta struct {
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(data, &meta)
		obj = ki.newObj()
		obj.SetName(meta.Metadata.Name)
		obj.SetNamespace(meta.Metadata.Namespace)
		o.obj = nil
	}
	o.key = objKey{kind: kind, name: obj.GetName()}
	if ki.clusterScoped {
		obj.SetNamespace("") // as the API server does for cluster-scoped kinds
	} else {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(metav1.NamespaceDefault)
		}
		o.key.ns = obj.GetNamespace()
	}
	if l.inEvent {
		// Nodes of "add" events join the cluster later; events() checks their names.
		if o.key.name == "" {
			if o.obj != nil {
				l.errAt(o.src, "metadata.name", "required: every %s needs a name", o.key.kind)
			}
			return nil, false
		}
	} else if !l.register(o) {
		return nil, o.key.name != ""
	}
	if o.obj != nil {
		l.validate(o)
	}
	return o, true
}

func capitalize(s string) string {
	for i := range kinds {
		if strings.EqualFold(kinds[i].kind, s) {
			return kinds[i].kind
		}
	}
	return s
}

// register checks the object's name and that it is the first of its kind, namespace and name.
func (l *loader) register(o *object) bool {
	if o.key.name == "" {
		if !o.broken || o.obj != nil {
			l.errAt(o.src, "metadata.name", "required: every %s needs a name", o.key.kind)
		}
		l.order = append(l.order, o)
		return false
	}
	if first, dup := l.objects[o.key]; dup {
		l.errAt(o.src, "metadata.name", "duplicate %s; first defined at %s (names are unique per kind and namespace)", o.key, first.src.where("metadata.name"))
		return false
	}
	if o.key.kind == "Node" {
		l.nodeNames[o.key.name] = o
	}
	l.objects[o.key] = o
	l.order = append(l.order, o)
	return true
}
