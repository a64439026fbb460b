package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file exports the loader's strict manifest decoder for tools that read Kubernetes objects
// without a scenario (ksim place): DecodeObjects.

// Object is one Kubernetes object read by DecodeObjects, and where it came from.
type Object struct {
	Kind       string // e.g. Pod
	APIVersion string // e.g. v1
	// Obj is the object as decoded: *corev1.Node, *corev1.Pod, *corev1.Namespace, ... It is
	// neither validated nor defaulted (see DefaultPod).
	Obj metav1.Object
	// File is the file's name as given to DecodeObjects.
	File string

	src objSrc
}

// Line returns the line the object starts at (the document's first line, or its entry in a
// list). Cost: the first call for a document parses its YAML tree.
func (o *Object) Line() int { return o.LineOf("") }

// LineOf returns the line of field (a path such as spec.containers[0].resources.requests.cpu)
// within the object, or of the deepest part of it that exists.
func (o *Object) LineOf(field string) int {
	if o.src.d == nil {
		return 0
	}
	return o.src.d.lineOf(joinPath(o.src.prefix, field))
}

// ErrorAt returns an *Error at field of the object: "FILE:LINE: PATH: MSG", where PATH is the
// field's path within the document.
func (o *Object) ErrorAt(field, format string, args ...any) *Error {
	full := joinPath(o.src.prefix, field)
	return &Error{File: o.File, Line: o.LineOf(field), Field: full, Msg: fmt.Sprintf(format, args...)}
}

// Skipped is what DecodeObjects left out: an object of a kind it was not asked for, a whole
// typed list of such objects, or a container log section of `kubectl cluster-info dump`.
type Skipped struct {
	Kind      string // e.g. Service, or "container logs"
	Name      string // namespace/name or name; for a list, the count of its items
	File      string
	Line      int
	List      bool // a typed list (e.g. an EventList) skipped whole
	ListItems int  // the number of items of that list
}

// DecodeOptions says what DecodeObjects decodes.
type DecodeOptions struct {
	// Kinds are the kinds to decode, each one the scenario loader reads (Node, Namespace,
	// PriorityClass, Deployment, DaemonSet, Job, Pod, HorizontalPodAutoscaler,
	// PodDisruptionBudget).
	Kinds []string
	// SkipOtherKinds skips objects of any other kind (returned in the []Skipped) instead of
	// reporting them as errors. Objects of the kinds asked for are still decoded strictly.
	SkipOtherKinds bool
}

// LogSectionStart and LogSectionEnd begin the lines that enclose one container's log in the
// output of `kubectl cluster-info dump` written to stdout, between the JSON lists.
const (
	LogSectionStart = "==== START logs for container "
	LogSectionEnd   = "==== END logs for container "
)

// DecodeObjects reads the Kubernetes objects of one manifest file, in every form a cluster
// gives them: multi-document YAML, a stream of JSON objects, a v1 List (kubectl get -o yaml),
// and typed lists such as NodeList or PodList whose items carry no kind (kubectl cluster-info
// dump, whose stdout form also interleaves container logs: those sections are skipped). Every
// field of the API may be present, status and managedFields included. Decoding is strict, as
// Load's: unknown or repeated fields, values of the wrong type and malformed quantities are
// errors at their line.
//
// Objects come back in file order, each with its location; kinds not in opts.Kinds are
// skipped or rejected as opts says. On failure the error is an Errors (at most MaxErrors, sorted
// by line). name is the file's name in messages; data is at most MaxFileBytes.
//
// Cost: linear in the size of data; a document's YAML tree is parsed only when a line is asked
// for (an error, or Object.LineOf).
func DecodeObjects(name string, data []byte, opts DecodeOptions) ([]Object, []Skipped, error) {
	var probs problems
	probs.seeFile(name)
	if len(data) > MaxFileBytes {
		probs.add(&Error{File: name, Msg: fmt.Sprintf("the file is larger than %d bytes (MaxFileBytes)", MaxFileBytes)})
		return nil, nil, probs.sorted()
	}
	if len(opts.Kinds) == 0 {
		panic("scenario: DecodeObjects: no kinds to decode")
	}
	for _, k := range opts.Kinds {
		if kindByName(k) == nil {
			panic("scenario: DecodeObjects: kind " + k + " is not one the loader reads")
		}
	}
	d := &objectDecoder{name: name, opts: opts, probs: &probs}
	data, d.skipped = blankLogSections(name, data)
	docs, perr := splitDocuments(&srcFile{name: name, data: data})
	for _, doc := range docs {
		d.document(doc)
	}
	if perr != nil {
		probs.add(perr)
	}
	if probs.len() > 0 {
		return nil, nil, probs.sorted()
	}
	return d.objects, d.skipped, nil
}

type objectDecoder struct {
	name    string
	opts    DecodeOptions
	probs   *problems
	objects []Object
	skipped []Skipped
}

func (d *objectDecoder) errAt(src objSrc, field, format string, args ...any) {
	full := joinPath(src.prefix, field)
	d.probs.add(&Error{File: d.name, Line: src.d.lineOf(full), Field: full, Msg: fmt.Sprintf(format, args...)})
}

func (d *objectDecoder) wanted(kind string) bool { return slices.Contains(d.opts.Kinds, kind) }

func (d *objectDecoder) allowed() string {
	return strings.Join(d.opts.Kinds, ", ") + ", typed lists of them (e.g. " + d.opts.Kinds[0] + "List), or a v1 List"
}

func (d *objectDecoder) document(doc *doc) {
	src := objSrc{d: doc}
	if jsonKind(doc.json) != "a map" {
		d.errAt(src, "", "want a Kubernetes object (a map with apiVersion, kind and metadata), got %s", jsonKind(doc.json))
		return
	}
	var tm typeMeta
	_ = json.Unmarshal(doc.json, &tm)
	apiVersion, kind := tm.strings()
	if kind == "List" || (strings.HasSuffix(kind, "List") && len(kind) > len("List")) {
		d.list(src, doc.json, apiVersion, kind)
		return
	}
	d.object(src, doc.json, "")
}

func (d *objectDecoder) list(src objSrc, data []byte, apiVersion, kind string) {
	implied := ""
	if kind != "List" {
		implied = strings.TrimSuffix(kind, "List")
		if !d.wanted(implied) {
			if !d.opts.SkipOtherKinds {
				d.errAt(src, "kind", "%s is not read here; allowed: %s", quoteShort(kind), d.allowed())
				return
			}
			var items struct {
				Items []json.RawMessage `json:"items"`
			}
			_ = json.Unmarshal(data, &items)
			d.skipped = append(d.skipped, Skipped{Kind: implied, Name: fmt.Sprintf("%d items", len(items.Items)), File: d.name, Line: src.d.line, List: true, ListItems: len(items.Items)})
			return
		}
		if want := kindByName(implied).apiVersion; apiVersion != want {
			d.errAt(src, "apiVersion", "%s is not supported for %s; want %s", quoteShort(apiVersion), kind, want)
			return
		}
	} else if apiVersion != "v1" {
		d.errAt(src, "apiVersion", "%s is not supported for List; want v1", quoteShort(apiVersion))
		return
	}
	var ld listDoc
	probs, complete := decodeStrict(data, &ld)
	for _, p := range probs {
		d.errAt(src, p.path, "%s", p.msg)
	}
	if !complete {
		return
	}
	for i, item := range ld.Items {
		isrc := objSrc{d: src.d, prefix: fmt.Sprintf("items[%d]", i)}
		if jsonKind(item) != "a map" {
			d.errAt(isrc, "", "want a Kubernetes object (a map with apiVersion, kind and metadata), got %s", jsonKind(item))
			continue
		}
		d.object(isrc, item, implied)
	}
}

// object decodes one object strictly. implied is the item kind of a typed list, or "".
func (d *objectDecoder) object(src objSrc, data []byte, implied string) {
	var tm typeMeta
	_ = json.Unmarshal(data, &tm)
	apiVersion, kind := tm.strings()
	switch {
	case tm.Kind != nil && kind == "":
		d.errAt(src, "kind", "want a string, got %s", describeValue(tm.Kind))
		return
	case tm.APIVersion != nil && apiVersion == "":
		d.errAt(src, "apiVersion", "want a string, got %s", describeValue(tm.APIVersion))
		return
	}
	if implied != "" {
		if kind != "" && kind != implied {
			d.errAt(src, "kind", "must be %s in a %sList, got %s", implied, implied, quoteShort(kind))
			return
		}
		if apiVersion == "" {
			apiVersion = kindByName(implied).apiVersion
		}
		kind = implied
	}
	switch {
	case kind == "":
		d.errAt(src, "", "kind is required (e.g. kind: Pod); allowed: %s", d.allowed())
		return
	case kind == "List" || strings.HasSuffix(kind, "List") && src.prefix != "":
		d.errAt(src, "kind", "lists cannot be nested; put the items in the outer list")
		return
	case !d.wanted(kind) && d.wanted(capitalize(kind)):
		// Skipping "pod" would silently drop what was meant as a Pod.
		d.errAt(src, "kind", "%s is not a kind; kinds are case-sensitive: did you mean %s?", quoteShort(kind), capitalize(kind))
		return
	case !d.wanted(kind):
		if !d.opts.SkipOtherKinds {
			d.errAt(src, "kind", "%s is not read here; allowed: %s", quoteShort(kind), d.allowed())
			return
		}
		var meta struct {
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(data, &meta)
		name := meta.Metadata.Name
		if meta.Metadata.Namespace != "" {
			name = meta.Metadata.Namespace + "/" + name
		}
		d.skipped = append(d.skipped, Skipped{Kind: kind, Name: name, File: d.name, Line: src.d.lineOf(src.prefix)})
		return
	}
	ki := kindByName(kind)
	if apiVersion == "" {
		d.errAt(src, "", "apiVersion is required; %s is %s", kind, ki.apiVersion)
		return
	}
	if apiVersion != ki.apiVersion {
		d.errAt(src, "apiVersion", "%s is not supported for %s; want %s", quoteShort(apiVersion), kind, ki.apiVersion)
		return
	}
	obj := ki.newObj()
	probs, complete := decodeStrict(data, obj)
	for _, p := range probs {
		d.errAt(src, p.path, "%s", p.msg)
	}
	if !complete || len(probs) > 0 {
		return
	}
	d.objects = append(d.objects, Object{Kind: kind, APIVersion: apiVersion, Obj: obj, File: d.name, src: src})
}

// blankLogSections replaces the container log sections of a `kubectl cluster-info dump` written
// to stdout with blanks (keeping the line breaks, so lines keep their numbers) and reports each
// as skipped. A section runs from a LogSectionStart line to the next LogSectionEnd line (or the
// end of the file). Files without such lines are returned as they are.
func blankLogSections(name string, data []byte) ([]byte, []Skipped) {
	if !bytes.Contains(data, []byte(LogSectionStart)) {
		return data, nil
	}
	out := bytes.Clone(data)
	var skipped []Skipped
	inside := false
	line := 1
	for i := 0; i < len(out); {
		end := bytes.IndexByte(out[i:], '\n')
		next := len(out)
		if end >= 0 {
			next = i + end + 1
		}
		text := out[i:next]
		switch {
		case !inside && bytes.HasPrefix(text, []byte(LogSectionStart)):
			inside = true
			what := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(text[len(LogSectionStart):])), "===="))
			skipped = append(skipped, Skipped{Kind: "container logs", Name: "container " + what, File: name, Line: line})
		case inside && bytes.HasPrefix(text, []byte(LogSectionEnd)):
			inside = false
			blank(text)
		}
		if inside {
			blank(text)
		}
		i = next
		line++
	}
	return out, skipped
}

// blank overwrites a line with spaces, keeping its line break.
func blank(line []byte) {
	for i, c := range line {
		if c != '\n' && c != '\r' {
			line[i] = ' '
		}
	}
}
