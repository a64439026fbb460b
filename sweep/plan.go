package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"ksim.dev/ksim/sim/scenario"
)

// Plan is a validated sweep: a scenario, its axes, and every value of every axis resolved to
// the JSON its fields take. Its methods are safe for concurrent use: a Plan is never modified
// after NewPlan.
type Plan struct {
	src   Source
	name  string // the scenario's name
	axes  []Axis
	sizes []int // values per axis
	n     int   // variants

	scen      *docFile   // the scenario document (absolute file names made relative)
	manifests []*docFile // files of spec.cluster and spec.workloads, read when a path names an object

	targets [][]target            // [axis][path]
	values  [][][]json.RawMessage // [axis][value][path]: the JSON the field takes

	files  []string // fs paths of every file the scenario consists of, sorted
	digest string   // of the files' contents and the axes
}

// target is where a path's field is: a document of a file, the item of a list (-1 for the
// whole document), and the steps from there.
type target struct {
	file  *docFile
	loc   objLoc
	steps []step
}

// NewPlan loads the scenario of src and checks the axes against it:
//
//   - the scenario itself must load (its errors are returned as they are: scenario.Errors, with
//     FILE:LINE);
//   - every path must name a field that exists (for a manifest field, of the object's Go type;
//     every list entry it passes through must be written in the file);
//   - every value must suit its field, and each value alone must give a scenario that loads.
//
// Every problem is reported, one per line. Combinations of values are checked by Check (or
// when a variant runs): two values may be fine alone and wrong together (minReplicas above
// maxReplicas).
//
// Cost: one load of the scenario, plus one per value of every axis.
func NewPlan(src Source, axes []Axis) (*Plan, error) {
	if len(axes) == 0 {
		return nil, errors.New("nothing to vary: give at least one --vary PATH=VALUE1,VALUE2,…")
	}
	if len(axes) > MaxAxes {
		return nil, fmt.Errorf("%d --vary axes; at most %d (MaxAxes)", len(axes), MaxAxes)
	}
	p := &Plan{src: src, axes: axes, n: 1}
	seen := map[string]string{}
	for _, a := range axes {
		p.sizes = append(p.sizes, len(a.Values))
		if p.n > MaxVariants/len(a.Values) {
			return nil, fmt.Errorf("the grid has more than %d variants (MaxVariants); vary fewer values, or split the sweep", MaxVariants)
		}
		p.n *= len(a.Values)
		for _, pt := range a.Paths {
			if other, dup := seen[pt.key()]; dup {
				return nil, fmt.Errorf("--vary %s and --vary %s both set %s; a field may be on one axis only", other, a.Flag(), pt.Text)
			}
			seen[pt.key()] = a.Flag()
		}
	}

	base, err := src.load()
	if err != nil {
		return nil, err
	}
	p.name = base.Name
	if p.scen, err = readDocFile(src.FS, src.Path); err != nil {
		return nil, err
	}
	if len(p.scen.docs) != 1 {
		return nil, fmt.Errorf("%s: want one scenario document, found %d", src.Name(), len(p.scen.docs))
	}
	tree, err := decodeTree(p.scen.docs[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %v", src.Name(), err)
	}
	if src.osDir != "" && relativize(tree, src.osDir) {
		if p.scen.docs[0], err = json.Marshal(tree); err != nil {
			return nil, err
		}
	}

	// Load once more through a recorder: the files it opens are the scenario's.
	rec := &recordFS{base: &overlayFS{base: src.FS, files: map[string][]byte{src.Path: p.scen.docs[0]}}}
	if _, err := scenario.LoadFS(rec, src.Path); err != nil {
		return nil, fmt.Errorf("%s loads as a file but not as a sweep's base (please report this): %v", src.Name(), err)
	}
	p.files = rec.files()
	if p.digest, err = p.digestFiles(); err != nil {
		return nil, err
	}

	var probs []string
	p.targets = make([][]target, len(axes))
	p.values = make([][][]json.RawMessage, len(axes))
	for a, ax := range axes {
		p.targets[a] = make([]target, len(ax.Paths))
		p.values[a] = make([][]json.RawMessage, len(ax.Values))
		for v := range ax.Values {
			p.values[a][v] = make([]json.RawMessage, len(ax.Paths))
		}
		for pi, pt := range ax.Paths {
			t, leaf, cur, err := p.resolvePath(pt, tree)
			if err != nil {
				probs = append(probs, fmt.Sprintf("--vary %s: %s: %v", ax.Flag(), pt.Text, err))
				continue
			}
			p.targets[a][pi] = t
			for v, val := range ax.Values {
				raw, err := valueJSON(val, leaf, cur)
				if err != nil {
					probs = append(probs, fmt.Sprintf("--vary %s: %s: %v", ax.Flag(), pt.Text, err))
					continue
				}
				p.values[a][v][pi] = raw
			}
		}
	}
	if len(probs) > 0 {
		return nil, errors.New(strings.Join(probs, "\n"))
	}
	// Each value alone.
	for a, ax := range axes {
		for v, val := range ax.Values {
			assign := make([]int, len(axes))
			for i := range assign {
				assign[i] = -1
			}
			assign[a] = v
			if _, err := p.load(assign); err != nil {
				probs = append(probs, fmt.Sprintf("--vary %s: value %s:\n  %s", ax.Flag(), val, strings.ReplaceAll(err.Error(), "\n", "\n  ")))
			}
		}
	}
	if len(probs) > 0 {
		return nil, errors.New(strings.Join(probs, "\n"))
	}
	return p, nil
}

// Len is the number of variants.
func (p *Plan) Len() int { return p.n }

// Axes are the plan's axes.
func (p *Plan) Axes() []Axis { return p.axes }

// Name is the scenario's name.
func (p *Plan) Name() string { return p.name }

// Coords returns the value index on each axis of variant i. Variants are numbered as nested
// loops in the order of the axes: the first axis varies slowest, the last fastest.
func (p *Plan) Coords(i int) []int { return coords(p.sizes, i) }

func coords(sizes []int, i int) []int {
	c := make([]int, len(sizes))
	for k := len(sizes) - 1; k >= 0; k-- {
		c[k] = i % sizes[k]
		i /= sizes[k]
	}
	return c
}

// Values returns the values of variant i, one per axis, as written.
func (p *Plan) Values(i int) []string {
	c := p.Coords(i)
	out := make([]string, len(c))
	for a, v := range c {
		out[a] = p.axes[a].Values[v]
	}
	return out
}

// Settings returns what variant i sets: every path with the JSON value it takes (a multiplier
// such as x1.2 resolved against the file).
func (p *Plan) Settings(i int) []Setting {
	var out []Setting
	for a, v := range p.Coords(i) {
		for pi, pt := range p.axes[a].Paths {
			out = append(out, Setting{Path: pt.Text, Value: p.values[a][v][pi]})
		}
	}
	return out
}

// Setting is one field a variant sets, and its value as JSON.
type Setting struct {
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// Describe names variant i for messages: "variant 3 (spec.duration=2h, …)".
func (p *Plan) Describe(i int) string {
	vals := p.Values(i)
	parts := make([]string, len(vals))
	for a, v := range vals {
		parts[a] = p.axes[a].Label() + "=" + v
	}
	return fmt.Sprintf("variant %d (%s)", i, strings.Join(parts, ", "))
}

// Scenario loads variant i: the documents with its values set, through the scenario loader.
// An error says which variant, and what the loader found wrong, per field.
//
// Cost: one load of the scenario (every file is read again; patched documents are re-encoded).
func (p *Plan) Scenario(i int) (*scenario.Scenario, error) {
	if i < 0 || i >= p.n {
		return nil, fmt.Errorf("variant %d does not exist; this sweep has variants 0 to %d", i, p.n-1)
	}
	sc, err := p.load(p.Coords(i))
	if err != nil {
		return nil, fmt.Errorf("%s:\n  %s", p.Describe(i), strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return sc, nil
}

// load loads the scenario with assign[a] the value index of axis a (-1: as in the file).
func (p *Plan) load(assign []int) (*scenario.Scenario, error) {
	fsys, patched, err := p.variantFS(assign)
	if err != nil {
		return nil, err
	}
	sc, err := scenario.LoadFS(fsys, p.src.Path)
	if err != nil {
		return nil, p.explain(err, patched)
	}
	return sc, nil
}

// variantFS serves the source's files with the documents of the assignment patched.
func (p *Plan) variantFS(assign []int) (fs.FS, map[string]bool, error) {
	trees := map[*docFile]map[int]any{}
	for a, v := range assign {
		if v < 0 {
			continue
		}
		for pi, t := range p.targets[a] {
			docs := trees[t.file]
			if docs == nil {
				docs = map[int]any{}
				trees[t.file] = docs
			}
			tree, ok := docs[t.loc.doc]
			if !ok {
				var err error
				if tree, err = decodeTree(t.file.docs[t.loc.doc]); err != nil {
					return nil, nil, err
				}
			}
			val, err := decodeTree(p.values[a][v][pi])
			if err != nil {
				return nil, nil, err
			}
			if t.loc.item >= 0 {
				items := tree.(map[string]any)["items"].([]any)
				items[t.loc.item] = set(items[t.loc.item], t.steps, val)
			} else {
				tree = set(tree, t.steps, val)
			}
			docs[t.loc.doc] = tree
		}
	}
	// The scenario is always served re-encoded (as JSON), so its lines are never the user's.
	files := map[string][]byte{p.scen.fsPath: p.scen.docs[0]}
	patched := map[string]bool{p.scen.fsPath: true}
	for f, docs := range trees {
		repl := make(map[int][]byte, len(docs))
		for d, tree := range docs {
			b, err := json.Marshal(tree)
			if err != nil {
				return nil, nil, err
			}
			repl[d] = b
		}
		files[f.fsPath] = f.bytesFor(repl)
		patched[f.fsPath] = true
	}
	return &overlayFS{base: p.src.FS, files: files}, patched, nil
}

// explain rewrites the loader's errors for a variant: files named as the user names them, and
// no line numbers in patched files (their lines are those of the re-encoded document, not of
// the user's file).
func (p *Plan) explain(err error, patched map[string]bool) error {
	var es scenario.Errors
	if !errors.As(err, &es) {
		return err
	}
	lines := make([]string, len(es))
	for i, e := range es {
		c := *e
		if patched[c.File] {
			c.Line = 0
		}
		c.File = p.src.display(c.File)
		lines[i] = c.Error()
	}
	return errors.New(strings.Join(lines, "\n"))
}

// resolvePath finds the field of pt in the documents as written.
func (p *Plan) resolvePath(pt Path, scenTree any) (t target, leaf reflect.Type, cur any, err error) {
	if pt.Object == nil {
		steps, _, cur, err := resolve(scenTree, nil, pt.steps, p.src.display(p.scen.fsPath))
		if err != nil {
			return target{}, nil, nil, err
		}
		return target{file: p.scen, loc: objLoc{0, -1}, steps: steps}, nil, cur, nil
	}
	f, loc, err := p.findObject(*pt.Object, scenTree)
	if err != nil {
		return target{}, nil, nil, err
	}
	tree, err := decodeTree(f.docs[loc.doc])
	if err != nil {
		return target{}, nil, nil, err
	}
	if loc.item >= 0 {
		tree = tree.(map[string]any)["items"].([]any)[loc.item]
	}
	steps, lt, cur, err := resolve(tree, kindType(pt.Object.Kind), pt.steps, p.src.display(f.fsPath))
	if err != nil {
		return target{}, nil, nil, err
	}
	return target{file: f, loc: loc, steps: steps}, lt, cur, nil
}

// findObject finds a manifest object in the files of spec.cluster and spec.workloads.
func (p *Plan) findObject(ref ObjectRef, scenTree any) (*docFile, objLoc, error) {
	if p.manifests == nil {
		spec, _ := scenTree.(map[string]any)["spec"].(map[string]any)
		dir := path.Dir(p.src.Path)
		for _, section := range []string{"cluster", "workloads"} {
			list, _ := spec[section].([]any)
			for _, r := range list {
				name, _ := r.(string)
				f, err := readDocFile(p.src.FS, path.Join(dir, filepath.ToSlash(name)))
				if err != nil {
					return nil, objLoc{}, err
				}
				f.indexObjects()
				p.manifests = append(p.manifests, f)
			}
		}
	}
	var same []string // objects of the same kind, for the message
	for _, f := range p.manifests {
		if loc, ok := f.index[ref]; ok {
			return f, loc, nil
		}
		for _, o := range f.order {
			if o.Kind == ref.Kind {
				same = append(same, o.String())
			}
		}
	}
	msg := fmt.Sprintf("no %s %s in the files of spec.cluster and spec.workloads", ref.Kind, strings.TrimPrefix(ref.String(), ref.Kind+"/"))
	if s := didYouMean(ref.String(), same); s != "" {
		msg += s
	}
	switch {
	case len(same) == 0:
		msg += fmt.Sprintf(" (they hold no %s)", ref.Kind)
	case len(same) <= 20:
		msg += " (they hold: " + strings.Join(same, ", ") + ")"
	default:
		msg += fmt.Sprintf(" (they hold %d of that kind, e.g. %s)", len(same), strings.Join(same[:5], ", "))
	}
	if ref.Kind == "Node" {
		msg += "; nodes of spec.nodePools are set through the pool: spec.nodePools[i].template…"
	}
	return nil, objLoc{}, errors.New(msg)
}

// relativize rewrites the absolute file names of a scenario document into names relative to
// dir (the scenario's directory), so that the document loads from an fs.FS. It reports whether
// it changed anything.
func relativize(tree any, dir string) bool {
	spec, _ := tree.(map[string]any)["spec"].(map[string]any)
	if spec == nil {
		return false
	}
	changed := false
	fix := func(v any) any {
		s, ok := v.(string)
		if !ok || !filepath.IsAbs(s) {
			return v
		}
		rel, err := filepath.Rel(dir, s)
		if err != nil {
			return v
		}
		changed = true
		return filepath.ToSlash(rel)
	}
	for _, section := range []string{"cluster", "workloads"} {
		if list, ok := spec[section].([]any); ok {
			for i := range list {
				list[i] = fix(list[i])
			}
		}
	}
	spec["scheduler"] = fix(spec["scheduler"])
	if spec["scheduler"] == nil {
		delete(spec, "scheduler")
	}
	if loads, ok := spec["load"].([]any); ok {
		for _, l := range loads {
			if tr, ok := l.(map[string]any)["trace"].(map[string]any); ok && tr["path"] != nil {
				tr["path"] = fix(tr["path"])
			}
		}
	}
	if evs, ok := spec["events"].([]any); ok {
		for _, e := range evs {
			if add, ok := e.(map[string]any)["add"].(map[string]any); ok && add["file"] != nil {
				add["file"] = fix(add["file"])
			}
		}
	}
	return changed
}

// digestFiles hashes the scenario's files (names relative to the scenario's directory, and
// contents) and the axes.
func (p *Plan) digestFiles() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "ksim.sweep files\n")
	dir := path.Dir(p.src.Path)
	for _, f := range p.files {
		var data []byte
		var err error
		if f == p.scen.fsPath {
			data = p.scen.docs[0]
		} else if data, err = fs.ReadFile(p.src.FS, f); err != nil {
			return "", err
		}
		rel := relPath(dir, f)
		fmt.Fprintf(h, "%s\n%d\n", rel, len(data))
		h.Write(data)
	}
	for _, a := range p.axes {
		fmt.Fprintf(h, "axis %s\n", strconv.Quote(a.Flag()))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ID identifies the sweep: its files, axes, seed override and ksim version. Shards of one
// sweep carry it, and Merge refuses to mix shards of two sweeps.
func (p *Plan) ID(seed *uint64, version string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nversion %s\n", p.digest, version)
	if seed != nil {
		fmt.Fprintf(h, "seed %d\n", *seed)
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// relPath is target relative to dir, both slash-separated fs paths ("../x" when it is outside).
func relPath(dir, target string) string {
	if dir == "." {
		return target
	}
	d := strings.Split(dir, "/")
	t := strings.Split(target, "/")
	i := 0
	for i < len(d) && i < len(t)-1 && d[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(d)-i+len(t)-i)
	for range d[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/")
}
