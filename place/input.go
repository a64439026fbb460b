package place

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"ksim.dev/ksim/sim/scenario"
)

// readKinds are the kinds place reads; every other kind is skipped with a note.
var readKinds = []string{"Node", "Pod", "Namespace"}

// Input is a cluster and the pods to place, decoded strictly, validated and defaulted as the
// API server would have them. Build it with AddCluster and AddPods, then call Place.
type Input struct {
	// Nodes in the order read: kube-scheduler's node order follows it (zones round-robin, in
	// the order each zone's first node came).
	Nodes []*corev1.Node
	// Running are the pods bound to a node that occupy it (not Succeeded or Failed).
	Running []*corev1.Pod
	// Namespaces given, whose labels namespaceSelectors select on.
	Namespaces []*corev1.Namespace
	// Pods are the pods to place, in order.
	Pods []*corev1.Pod
	// Notes say what was skipped or ignored, for stderr.
	Notes []string

	errs scenario.Errors
	// Where each name was first defined, for duplicates. Lines are looked up only when a
	// duplicate is reported: a line costs a parse of the document's YAML tree.
	nodes   map[string]*scenario.Object // name →
	pods    map[string]*scenario.Object // namespace/name →
	nsNames map[string]*scenario.Object
	genName int
}

// AddCluster reads a cluster file: Nodes, Pods (those bound to a node and not finished
// occupy it; the others occupy nothing) and Namespaces. name is the file's name in messages.
func (in *Input) AddCluster(name string, data []byte) {
	objs := in.decode(name, data)
	unbound, finished := 0, 0
	for i := range objs {
		o := &objs[i]
		switch obj := o.Obj.(type) {
		case *corev1.Node:
			in.addNode(o, obj)
		case *corev1.Namespace:
			in.addNamespace(o, obj)
		case *corev1.Pod:
			if !in.addPod(o, obj) {
				continue
			}
			switch {
			case obj.Spec.NodeName == "":
				unbound++
			case obj.Status.Phase == corev1.PodSucceeded || obj.Status.Phase == corev1.PodFailed:
				finished++
			default:
				in.Running = append(in.Running, obj)
			}
		}
	}
	if unbound > 0 {
		in.note("%s: %d pod(s) not bound to a node occupy nothing (place the pending ones with PODS)", name, unbound)
	}
	if finished > 0 {
		in.note("%s: %d pod(s) that have Succeeded or Failed occupy nothing", name, finished)
	}
}

// AddPods reads the pods to place, in order (Namespaces are read too).
func (in *Input) AddPods(name string, data []byte) {
	objs := in.decode(name, data)
	for i := range objs {
		o := &objs[i]
		switch obj := o.Obj.(type) {
		case *corev1.Namespace:
			in.addNamespace(o, obj)
		case *corev1.Pod:
			if in.addPod(o, obj) {
				in.Pods = append(in.Pods, obj)
			}
		case *corev1.Node:
			in.errs = append(in.errs, o.ErrorAt("kind", "a Node in the pods to place; put Nodes in the --cluster file"))
		}
	}
}

// Err returns every problem found by AddCluster and AddPods, sorted by file and line, as a
// scenario.Errors; nil when there is none.
func (in *Input) Err() error {
	if len(in.errs) == 0 {
		return nil
	}
	files := map[string]int{}
	for _, e := range in.errs {
		if _, ok := files[e.File]; !ok {
			files[e.File] = len(files)
		}
	}
	out := slices.Clone(in.errs)
	slices.SortStableFunc(out, func(a, b *scenario.Error) int {
		return cmp.Or(cmp.Compare(files[a.File], files[b.File]), cmp.Compare(a.Line, b.Line))
	})
	if len(out) > scenario.MaxErrors {
		out = append(out[:scenario.MaxErrors], &scenario.Error{File: out[scenario.MaxErrors].File, Msg: fmt.Sprintf("too many errors; stopped after %d", scenario.MaxErrors)})
	}
	return out
}

func (in *Input) note(format string, args ...any) {
	in.Notes = append(in.Notes, fmt.Sprintf(format, args...))
}

// decode reads one file's objects and notes what it skipped.
func (in *Input) decode(name string, data []byte) []scenario.Object {
	if in.nodes == nil {
		in.nodes, in.pods, in.nsNames = map[string]*scenario.Object{}, map[string]*scenario.Object{}, map[string]*scenario.Object{}
	}
	objs, skipped, err := scenario.DecodeObjects(name, data, scenario.DecodeOptions{Kinds: readKinds, SkipOtherKinds: true})
	if err != nil {
		var es scenario.Errors
		if errors.As(err, &es) {
			in.errs = append(in.errs, es...)
		} else {
			in.errs = append(in.errs, &scenario.Error{File: name, Msg: err.Error()})
		}
		return nil
	}
	if len(objs) == 0 && len(skipped) == 0 {
		in.note("%s holds no objects", name)
	}
	if len(skipped) > 0 {
		counts := map[string]int{}
		for _, s := range skipped {
			if s.List {
				counts[s.Kind] += s.ListItems
			} else {
				counts[s.Kind]++
			}
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			if counts[k] == 0 {
				continue
			}
			if k == "container logs" {
				parts = append(parts, fmt.Sprintf("%d container log section(s)", counts[k]))
			} else {
				parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
			}
		}
		if len(parts) > 0 {
			in.note("%s: skipped %s (place reads Node, Pod and Namespace)", name, strings.Join(parts, ", "))
		}
	}
	return objs
}

func (in *Input) addNode(o *scenario.Object, n *corev1.Node) {
	before := len(in.errs)
	in.validateName(o, n.Name)
	if first, dup := in.nodes[n.Name]; dup && n.Name != "" {
		in.errs = append(in.errs, o.ErrorAt("metadata.name", "duplicate Node %q; first defined at %s", n.Name, where(first)))
	}
	in.validateLabels(o, n.Labels)
	in.resourceList(o, "status.capacity", n.Status.Capacity)
	in.resourceList(o, "status.allocatable", n.Status.Allocatable)
	for i, t := range n.Spec.Taints {
		f := fmt.Sprintf("spec.taints[%d]", i)
		for _, msg := range validation.IsQualifiedName(t.Key) {
			in.errs = append(in.errs, o.ErrorAt(f+".key", "%q is not a valid taint key: %s", t.Key, msg))
		}
		if !slices.Contains(taintEffects, t.Effect) {
			in.errs = append(in.errs, o.ErrorAt(f+".effect", "%q is not a taint effect; allowed: NoSchedule, PreferNoSchedule, NoExecute", t.Effect))
		}
	}
	if len(in.errs) > before {
		return
	}
	in.nodes[n.Name] = o
	defaultNode(n)
	if _, ok := n.Status.Allocatable[corev1.ResourcePods]; !ok {
		in.note("node %s has no pods in status.allocatable: kube-scheduler lets no pod on it (the kubelet reports 110 by default)", n.Name)
	}
	in.Nodes = append(in.Nodes, n)
}

func (in *Input) addNamespace(o *scenario.Object, ns *corev1.Namespace) {
	before := len(in.errs)
	for _, msg := range validation.IsDNS1123Label(ns.Name) {
		in.errs = append(in.errs, o.ErrorAt("metadata.name", "%q is not a valid Namespace name: %s", ns.Name, msg))
	}
	in.validateLabels(o, ns.Labels)
	if first, dup := in.nsNames[ns.Name]; dup {
		in.errs = append(in.errs, o.ErrorAt("metadata.name", "duplicate Namespace %q; first defined at %s", ns.Name, where(first)))
	}
	if len(in.errs) > before {
		return
	}
	in.nsNames[ns.Name] = o
	in.Namespaces = append(in.Namespaces, ns)
}

// addPod validates and defaults a pod and reports whether it is usable.
func (in *Input) addPod(o *scenario.Object, p *corev1.Pod) bool {
	before := len(in.errs)
	if p.Name == "" && p.GenerateName != "" {
		// The API server appends a random suffix; place appends a counter, to stay deterministic.
		in.genName++
		p.Name = p.GenerateName + "ksim" + strconv.Itoa(in.genName)
	}
	in.validateName(o, p.Name)
	if p.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(p.Namespace) {
			in.errs = append(in.errs, o.ErrorAt("metadata.namespace", "%q is not a valid namespace: %s", p.Namespace, msg))
		}
	}
	in.validateLabels(o, p.Labels)
	in.validatePodSpec(o, &p.Spec)
	if len(in.errs) > before {
		return false
	}
	defaultPod(p)
	key := p.Namespace + "/" + p.Name
	if first, dup := in.pods[key]; dup {
		in.errs = append(in.errs, o.ErrorAt("metadata.name", "duplicate Pod %s; first defined at %s (a namespace/name is unique in a cluster: rename one, or use metadata.generateName)", key, where(first)))
		return false
	}
	in.pods[key] = o
	return true
}

// where is "FILE:LINE" of an object.
func where(o *scenario.Object) string { return fmt.Sprintf("%s:%d", o.File, o.Line()) }

var taintEffects = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}

func (in *Input) validateName(o *scenario.Object, name string) {
	if name == "" {
		in.errs = append(in.errs, o.ErrorAt("metadata", "name is required (or generateName, for a Pod)"))
		return
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		in.errs = append(in.errs, o.ErrorAt("metadata.name", "%q is not a valid name: %s", name, msg))
	}
}

func (in *Input) validateLabels(o *scenario.Object, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		for _, msg := range validation.IsQualifiedName(k) {
			in.errs = append(in.errs, o.ErrorAt("metadata.labels."+k, "%q is not a valid label key: %s", k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			in.errs = append(in.errs, o.ErrorAt("metadata.labels."+k, "%q is not a valid label value: %s", labels[k], msg))
		}
	}
}

func (in *Input) resourceList(o *scenario.Object, field string, rl corev1.ResourceList) {
	for _, name := range slices.Sorted(maps.Keys(rl)) {
		if q := rl[name]; q.Sign() < 0 {
			in.errs = append(in.errs, o.ErrorAt(field+"."+string(name), "must not be negative, got %s", q.String()))
		}
	}
}

var (
	tolerationOps = []corev1.TolerationOperator{"", corev1.TolerationOpExists, corev1.TolerationOpEqual}
	protocols     = []corev1.Protocol{"", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
)

// validatePodSpec makes the API server's checks (pkg/apis/core/validation ValidatePodSpec)
// that placement depends on: containers, resources, ports, tolerations, node affinity, pod
// affinity selectors and topology spread constraints. Each message names what is allowed.
func (in *Input) validatePodSpec(o *scenario.Object, spec *corev1.PodSpec) {
	add := func(field, format string, args ...any) { in.errs = append(in.errs, o.ErrorAt(field, format, args...)) }
	if len(spec.Containers) == 0 {
		add("spec", "containers: at least one container is required, e.g. containers: [{name: app, image: app:1, resources: {requests: {cpu: 500m, memory: 256Mi}}}]")
	}
	names := map[string]string{}
	check := func(list string, cs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			f := fmt.Sprintf("spec.%s[%d]", list, i)
			switch first, dup := names[c.Name]; {
			case c.Name == "":
				add(f, "name is required")
			case dup:
				add(f+".name", "duplicate container name %q (also %s); names are unique across containers and initContainers", c.Name, first)
			default:
				names[c.Name] = f
			}
			r := &c.Resources
			in.resourceList(o, f+".resources.requests", r.Requests)
			in.resourceList(o, f+".resources.limits", r.Limits)
			for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
				req := r.Requests[name]
				if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
					add(f+".resources.requests."+string(name), "%s exceeds limits.%s %s; a request may not exceed its limit", req.String(), name, lim.String())
				}
			}
			for j, port := range c.Ports {
				pf := fmt.Sprintf("%s.ports[%d]", f, j)
				if port.ContainerPort < 1 || port.ContainerPort > 65535 {
					add(pf+".containerPort", "%d is not a port number (1 to 65535)", port.ContainerPort)
				}
				if port.HostPort < 0 || port.HostPort > 65535 {
					add(pf+".hostPort", "%d is not a port number (1 to 65535, or 0 for none)", port.HostPort)
				}
				if !slices.Contains(protocols, port.Protocol) {
					add(pf+".protocol", "%q is not supported; allowed: TCP (the default), UDP, SCTP", port.Protocol)
				}
			}
		}
	}
	check("initContainers", spec.InitContainers)
	check("containers", spec.Containers)
	if spec.Resources != nil {
		in.resourceList(o, "spec.resources.requests", spec.Resources.Requests)
		in.resourceList(o, "spec.resources.limits", spec.Resources.Limits)
	}
	in.resourceList(o, "spec.overhead", spec.Overhead)
	for i, t := range spec.Tolerations {
		f := fmt.Sprintf("spec.tolerations[%d]", i)
		switch {
		case !slices.Contains(tolerationOps, t.Operator):
			add(f+".operator", "%q is not supported; allowed: Exists, Equal (the default)", t.Operator)
		case t.Operator == corev1.TolerationOpExists && t.Value != "":
			add(f+".value", "must be empty when operator is Exists")
		case t.Key == "" && t.Operator != corev1.TolerationOpExists:
			add(f+".operator", "must be Exists when key is empty (an empty key with Exists tolerates every taint)")
		}
		if t.Effect != "" && !slices.Contains(taintEffects, t.Effect) {
			add(f+".effect", "%q is not a taint effect; allowed: NoSchedule, PreferNoSchedule, NoExecute, or empty for all", t.Effect)
		}
	}
	if a := spec.Affinity; a != nil {
		if na := a.NodeAffinity; na != nil {
			base := field.NewPath("spec", "affinity", "nodeAffinity")
			if ns := na.RequiredDuringSchedulingIgnoredDuringExecution; ns != nil {
				if len(ns.NodeSelectorTerms) == 0 {
					add(base.String()+".requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", "must have at least one term")
				}
				if _, err := nodeaffinity.NewNodeSelector(ns, field.WithPath(base.Child("requiredDuringSchedulingIgnoredDuringExecution"))); err != nil {
					in.fieldErrors(o, err)
				}
			}
			for i, t := range na.PreferredDuringSchedulingIgnoredDuringExecution {
				if t.Weight < 1 || t.Weight > 100 {
					add(fmt.Sprintf("%s.preferredDuringSchedulingIgnoredDuringExecution[%d].weight", base, i), "%d is not in [1, 100]", t.Weight)
				}
			}
			if terms := na.PreferredDuringSchedulingIgnoredDuringExecution; len(terms) > 0 {
				if _, err := nodeaffinity.NewPreferredSchedulingTerms(terms, field.WithPath(base.Child("preferredDuringSchedulingIgnoredDuringExecution"))); err != nil {
					in.fieldErrors(o, err)
				}
			}
		}
		selector := func(f string, sel *metav1.LabelSelector) {
			if sel == nil {
				return
			}
			if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
				add(f, "%v", err)
			}
		}
		terms := func(f string, req []corev1.PodAffinityTerm, pref []corev1.WeightedPodAffinityTerm) {
			for i, t := range req {
				tf := fmt.Sprintf("%s.requiredDuringSchedulingIgnoredDuringExecution[%d]", f, i)
				if t.TopologyKey == "" {
					add(tf+".topologyKey", "required, e.g. kubernetes.io/hostname or topology.kubernetes.io/zone")
				}
				selector(tf+".labelSelector", t.LabelSelector)
				selector(tf+".namespaceSelector", t.NamespaceSelector)
			}
			for i, t := range pref {
				tf := fmt.Sprintf("%s.preferredDuringSchedulingIgnoredDuringExecution[%d]", f, i)
				if t.Weight < 1 || t.Weight > 100 {
					add(tf+".weight", "%d is not in [1, 100]", t.Weight)
				}
				if t.PodAffinityTerm.TopologyKey == "" {
					add(tf+".podAffinityTerm.topologyKey", "required, e.g. kubernetes.io/hostname or topology.kubernetes.io/zone")
				}
				selector(tf+".podAffinityTerm.labelSelector", t.PodAffinityTerm.LabelSelector)
				selector(tf+".podAffinityTerm.namespaceSelector", t.PodAffinityTerm.NamespaceSelector)
			}
		}
		if pa := a.PodAffinity; pa != nil {
			terms("spec.affinity.podAffinity", pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
		}
		if pa := a.PodAntiAffinity; pa != nil {
			terms("spec.affinity.podAntiAffinity", pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
		}
	}
	for i, c := range spec.TopologySpreadConstraints {
		f := fmt.Sprintf("spec.topologySpreadConstraints[%d]", i)
		if c.MaxSkew <= 0 {
			add(f+".maxSkew", "must be greater than 0, got %d", c.MaxSkew)
		}
		if c.TopologyKey == "" {
			add(f+".topologyKey", "required, e.g. topology.kubernetes.io/zone")
		}
		if c.WhenUnsatisfiable != corev1.DoNotSchedule && c.WhenUnsatisfiable != corev1.ScheduleAnyway {
			add(f+".whenUnsatisfiable", "%q is not supported; allowed: DoNotSchedule, ScheduleAnyway", c.WhenUnsatisfiable)
		}
		if c.MinDomains != nil && *c.MinDomains <= 0 {
			add(f+".minDomains", "must be greater than 0, got %d", *c.MinDomains)
		}
		selector := c.LabelSelector
		if selector != nil {
			if _, err := metav1.LabelSelectorAsSelector(selector); err != nil {
				add(f+".labelSelector", "%v", err)
			}
		}
	}
}

var preferenceRE = regexp.MustCompile(`(preferredDuringSchedulingIgnoredDuringExecution\[\d+\])\.(?:preference\.)?`)

// fieldErrors reports the field errors inside err (from component-helpers' node affinity
// parsing) at their paths.
func (in *Input) fieldErrors(o *scenario.Object, err error) {
	var fe *field.Error
	if errors.As(err, &fe) {
		// component-helpers leaves "preference" out of a preferred term's paths.
		path := preferenceRE.ReplaceAllString(fe.Field, "${1}.preference.")
		in.errs = append(in.errs, o.ErrorAt(path, "%s", fe.ErrorBody()))
		return
	}
	type multi interface{ Errors() []error }
	if m, ok := err.(multi); ok {
		for _, e := range m.Errors() {
			in.fieldErrors(o, e)
		}
		return
	}
	in.errs = append(in.errs, o.ErrorAt("", "%v", err))
}
