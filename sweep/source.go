package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"ksim.dev/ksim/sim/scenario"
)

// Source is where a sweep reads its scenario: a file system and the scenario file's path in it.
type Source struct {
	FS   fs.FS
	Path string // slash-separated, within FS

	osPath string // the path the user gave (OSSource), for scenario.Load's messages
	osDir  string // the scenario's directory, absolute (OSSource)
}

// OSSource is the scenario file at p (relative to the working directory, or absolute) on the
// operating system's file system. Files the scenario names may be anywhere, as with
// scenario.Load.
func OSSource(p string) (Source, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Source{}, err
	}
	root := filepath.VolumeName(abs) + string(filepath.Separator)
	return Source{
		FS:     os.DirFS(root),
		Path:   filepath.ToSlash(strings.TrimPrefix(abs, root)),
		osPath: p,
		osDir:  filepath.Dir(abs),
	}, nil
}

// FSSource is the scenario file at p within fsys (e.g. the embedded default scenario).
func FSSource(fsys fs.FS, p string) Source { return Source{FS: fsys, Path: p} }

// Name is the scenario file as the user named it.
func (s Source) Name() string {
	if s.osPath != "" {
		return s.osPath
	}
	return s.Path
}

// load loads the scenario as it is, with messages that name files as the user would.
func (s Source) load() (*scenario.Scenario, error) {
	if s.osPath != "" {
		return scenario.Load(s.osPath)
	}
	return scenario.LoadFS(s.FS, s.Path)
}

// display names an fs path as the user would: relative to the directory they named the
// scenario from (OSSource), or as the fs path.
func (s Source) display(fsPath string) string {
	if s.osPath == "" {
		return fsPath
	}
	rel, err := filepath.Rel(filepath.FromSlash(path.Dir(s.Path)), filepath.FromSlash(fsPath))
	if err != nil {
		return "/" + fsPath
	}
	return filepath.Join(filepath.Dir(s.osPath), rel)
}

// docFile is a file of YAML or JSON documents as the scenario loader reads it, each document
// kept as JSON: the scenario file (one document) or a manifest file.
type docFile struct {
	fsPath string
	docs   [][]byte // JSON, in file order; empty documents are left out, as the loader does

	index map[ObjectRef]objLoc // manifest objects, built by indexObjects
	order []ObjectRef          // the same, in file order, for messages
}

// objLoc is where an object is in a docFile: a document, and an item of its list (-1 when the
// document is the object).
type objLoc struct{ doc, item int }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readDocFile reads a file and splits it into documents the way the scenario loader does: a
// file whose first non-blank byte is { is a stream of JSON values, anything else YAML documents
// separated by --- lines. The loader has already accepted the file, so errors here are only
// about reading it.
//
// Cost: one read and one YAML-to-JSON conversion of the file.
func readDocFile(fsys fs.FS, fsPath string) (*docFile, error) {
	data, err := readLimited(fsys, fsPath)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	f := &docFile{fsPath: fsPath}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				return f, nil
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %v", fsPath, err)
			}
			if string(raw) != "null" {
				f.docs = append(f.docs, raw)
			}
		}
	}
	r := kyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", fsPath, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", fsPath, err)
		}
		if string(j) != "null" {
			f.docs = append(f.docs, j)
		}
	}
}

func readLimited(fsys fs.FS, fsPath string) ([]byte, error) {
	f, err := fsys.Open(fsPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, scenario.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > scenario.MaxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB (scenario.MaxFileBytes)", fsPath, scenario.MaxFileBytes>>20)
	}
	return data, nil
}

// indexObjects finds every object of the file: documents, and the items of v1 Lists and typed
// lists (NodeList, DeploymentList, ...). Namespaced objects without a namespace are in default.
func (f *docFile) indexObjects() {
	f.index = make(map[ObjectRef]objLoc)
	add := func(m map[string]any, loc objLoc, implied string) {
		kind, _ := m["kind"].(string)
		if kind == "" {
			kind = implied
		}
		k := kindNamed(kind)
		if k == nil || k.kind != kind {
			return
		}
		md, _ := m["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		if k.clusterScoped {
			ns = ""
		} else if ns == "" {
			ns = "default"
		}
		ref := ObjectRef{Kind: kind, Namespace: ns, Name: name}
		if _, dup := f.index[ref]; !dup {
			f.index[ref] = loc
			f.order = append(f.order, ref)
		}
	}
	for d, raw := range f.docs {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		kind, _ := m["kind"].(string)
		if items, ok := m["items"].([]any); ok && strings.HasSuffix(kind, "List") {
			implied := ""
			if kind != "List" {
				implied = strings.TrimSuffix(kind, "List")
			}
			for i, it := range items {
				if im, ok := it.(map[string]any); ok {
					add(im, objLoc{d, i}, implied)
				}
			}
			continue
		}
		add(m, objLoc{d, -1}, "")
	}
}

// bytesFor returns the file with the documents in docs replaced (by index), as a stream of
// JSON values, one per line: what the loader reads as a JSON file.
func (f *docFile) bytesFor(docs map[int][]byte) []byte {
	var b bytes.Buffer
	for i, d := range f.docs {
		if nd, ok := docs[i]; ok {
			d = nd
		}
		b.Write(d)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// decodeTree decodes JSON into maps, lists and json.Number (numbers stay as written).
func decodeTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// overlayFS serves some files from memory (the patched documents of a variant) and the rest
// from base. It is read-only and safe for concurrent use.
type overlayFS struct {
	base  fs.FS
	files map[string][]byte
}

func (o *overlayFS) Open(name string) (fs.File, error) {
	if b, ok := o.files[name]; ok {
		return &memFile{name: path.Base(name), r: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	return o.base.Open(name)
}

// memFile is a read-only in-memory fs.File.
type memFile struct {
	name string
	r    *bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.name, f.size}, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

// recordFS remembers every file opened through it: the files a scenario consists of.
type recordFS struct {
	base   fs.FS
	mu     sync.Mutex
	opened map[string]bool
}

func (r *recordFS) Open(name string) (fs.File, error) {
	f, err := r.base.Open(name)
	if err == nil {
		r.mu.Lock()
		if r.opened == nil {
			r.opened = make(map[string]bool)
		}
		r.opened[name] = true
		r.mu.Unlock()
	}
	return f, err
}

func (r *recordFS) files() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for n := range r.opened {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
