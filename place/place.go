// Package place is the logic of `ksim place` (docs/place.md, format v1): put a list of pods
// onto a cluster as it stands, one after another, as kube-scheduler's filter and score phases
// would, and say where each went or why it could not go.
//
//	var in place.Input
//	in.AddCluster("cluster.yaml", clusterBytes) // Nodes, running Pods, Namespaces
//	in.AddPods("pods.yaml", podBytes)           // the pods to place, in order
//	if err := in.Err(); err != nil { ... }      // FILE:LINE problems: nothing is placed
//	res, err := place.Place(&in, place.Options{Seed: 1, Explain: true})
//	place.WriteJSONL(os.Stdout, res)
//
// Input reads every form a cluster gives its objects (multi-document YAML, JSON, v1 List, typed
// lists, `kubectl cluster-info dump`), strictly, and defaults them as the API server would.
// Place then runs the scheduler package once per pod on a Snapshot of the cluster, binding each
// placed pod before the next. There is no preemption: a pod that fits nowhere stays unplaced and
// the next pod goes on.
package place

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"ksim.dev/ksim/scheduler"
	"ksim.dev/ksim/scheduler/plugins/names"
)

// Options are the knobs of one placement.
type Options struct {
	// Seed seeds the random stream that breaks ties between equally scored nodes.
	Seed uint64
	// Explain keeps every node's filter verdicts and scores for each pod.
	Explain bool
	// Config is the scheduler configuration (scheduler.ParseConfig); nil means upstream's
	// defaults. Its first profile places every pod, whatever the pod's spec.schedulerName.
	Config *scheduler.Config
}

// Placement is the outcome for one pod.
type Placement struct {
	Pod  string // namespace/name
	Node string // "" when the pod fits nowhere
	// Reason is kube-scheduler's FitError text when Node is "" (or an internal error's text).
	Reason string
	// Explanation is every node's filter verdicts and scores, with Options.Explain.
	Explanation *scheduler.Explanation
}

// tieBreakStream is the second word of the PCG source of the tie-break stream: the same seed
// gives the same stream in every version of place.
const tieBreakStream = 0x706c616365 // "place"

// Place places in.Pods in order on the cluster in.Nodes and in.Running describe, binding each
// placed pod before the next, and returns one Placement per pod in the same order. It adds to
// in.Notes what the user should know (bound pods whose node is missing, pods whose features
// need plugins ksim does not implement). in must be free of errors (in.Err() == nil).
//
// Cost: one scheduling cycle per pod, O(nodes × plugins) each; memory O(cluster).
func Place(in *Input, opts Options) ([]Placement, error) {
	if err := in.Err(); err != nil {
		return nil, err
	}
	cfg := scheduler.Config{}
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if len(cfg.Profiles) > 1 {
		cfg.Profiles = cfg.Profiles[:1]
	}
	cfg.IgnoreSchedulerName = true
	cfg.TieBreak = scheduler.TieBreakRandom
	sched, err := scheduler.New(cfg, rand.New(rand.NewPCG(opts.Seed, tieBreakStream)))
	if err != nil {
		return nil, err
	}
	profile := sched.ProfileNames()[0]

	snap := scheduler.NewSnapshot()
	nodes := map[string]bool{}
	for _, n := range in.Nodes {
		snap.UpsertNode(n)
		nodes[n.Name] = true
	}
	for _, ns := range in.Namespaces {
		snap.UpsertNamespace(ns)
	}
	missing := 0
	for _, p := range in.Running {
		if !nodes[p.Spec.NodeName] {
			missing++ // upstream's cache holds it under a node the snapshot does not list
			continue
		}
		snap.AddPod(p)
	}
	if missing > 0 {
		in.note("%d running pod(s) are bound to nodes the cluster file does not list; they occupy nothing", missing)
	}
	notImplemented, _ := sched.NotImplemented(profile)
	in.noteUnimplemented(notImplemented, profile)
	other := map[string]int{}
	for _, p := range in.Pods {
		if p.Spec.SchedulerName != profile {
			other[p.Spec.SchedulerName]++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(other)) {
		in.note("%d pod(s) name schedulerName %q; place uses profile %q for every pod", other[name], name, profile)
	}

	out := make([]Placement, 0, len(in.Pods))
	for _, p := range in.Pods {
		res := sched.Schedule(snap, p, opts.Explain)
		pl := Placement{Pod: p.Namespace + "/" + p.Name, Node: res.Node, Reason: res.Reason, Explanation: res.Explanation}
		if res.Node == "" && res.Reason == "" {
			return nil, errors.New("place: the scheduler gave neither a node nor a reason for " + pl.Pod)
		}
		if res.Node != "" {
			pl.Reason = ""
			bound := p.DeepCopy()
			bound.Spec.NodeName = res.Node
			snap.AddPod(bound)
		}
		out = append(out, pl)
	}
	return out, nil
}

// pluginNeeds names, for the upstream plugins ksim may lack, what in a pod needs them.
var pluginNeeds = []struct {
	plugin string
	uses   func(*corev1.Pod) bool
	what   string
}{
	{names.VolumeBinding, usesClaims, "PersistentVolumeClaims"},
	{names.VolumeRestrictions, usesClaims, "PersistentVolumeClaims"},
	{names.VolumeZone, usesClaims, "PersistentVolumeClaims"},
	{names.NodeVolumeLimits, usesClaims, "PersistentVolumeClaims"},
	{names.DynamicResources, func(p *corev1.Pod) bool { return len(p.Spec.ResourceClaims) > 0 }, "resourceClaims"},
	{names.NodePorts, usesHostPorts, "host ports"},
	{names.InterPodAffinity, func(p *corev1.Pod) bool {
		a := p.Spec.Affinity
		return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
	}, "pod affinity"},
	{names.PodTopologySpread, func(p *corev1.Pod) bool { return len(p.Spec.TopologySpreadConstraints) > 0 }, "topologySpreadConstraints"},
}

func usesClaims(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			return true
		}
	}
	return false
}

func usesHostPorts(p *corev1.Pod) bool {
	for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
		for _, port := range c.Ports {
			if port.HostPort > 0 {
				return true
			}
		}
	}
	return false
}

// noteUnimplemented notes, once per plugin, the pods that use a feature only a plugin ksim does
// not implement would check.
func (in *Input) noteUnimplemented(missing []string, profile string) {
	for _, need := range pluginNeeds {
		if !slices.Contains(missing, need.plugin) {
			continue
		}
		var first string
		count := 0
		for _, p := range in.Pods {
			if need.uses(p) {
				if count == 0 {
					first = p.Namespace + "/" + p.Name
				}
				count++
			}
		}
		if count > 0 {
			in.note("%d pod(s) to place (first %s) use %s, which the %s plugin checks; ksim does not implement it yet, so it neither filters nor scores (profile %s)",
				count, first, need.what, need.plugin, profile)
		}
	}
}

// String is "namespace/name → node" or "namespace/name: reason", for messages.
func (p Placement) String() string {
	if p.Node != "" {
		return fmt.Sprintf("%s → %s", p.Pod, p.Node)
	}
	return fmt.Sprintf("%s: %s", p.Pod, p.Reason)
}
