package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// srcFile is a file that the scenario names, as read.
type srcFile struct {
	fsPath string // path within the loader's fs.FS
	name   string // path for messages
	data   []byte
}

// doc is one YAML or JSON document of a file. Documents are decoded through JSON (as kubectl
// does, so YAML 1.1 scalars such as `yes` mean what kubectl makes of them); the YAML node tree
// that maps a field path to a line is built only when a message needs a line.
type doc struct {
	file *srcFile
	text []byte // the document's bytes within file.data
	line int    // line of text[0] in the file, 1-based
	json []byte // the document as JSON

	node     *yaml3.Node // parsed on first use by lineOf; nil if text does not parse
	nodeDone bool
}

// lineOf returns the line of the field at path (as in Error.Field) in the document, or the line of
// the deepest part of path that exists, or the document's first line. Cost: one YAML parse of the
// document on first call, then O(depth × keys per map).
func (d *doc) lineOf(path string) int {
	if !d.nodeDone {
		d.nodeDone = true
		var n yaml3.Node
		if err := yaml3.Unmarshal(d.text, &n); err == nil {
			d.node = &n
		}
	}
	if d.node == nil {
		return d.line
	}
	l := nodeLine(d.node, path)
	if l <= 0 {
		return d.line
	}
	return d.line + l - 1
}

// nodeLine walks a field path such as `spec.template.spec.containers[0].resources.limits.cpu`
// down a YAML node tree and returns the line of the last node it reaches (for a map entry, the
// line of its key). Map keys may contain dots (`ksim.dev/startup-latency`): at each map the
// longest key that is a prefix of the rest of the path wins.
func nodeLine(n *yaml3.Node, path string) int {
	if n.Kind == yaml3.DocumentNode {
		if len(n.Content) == 0 {
			return n.Line
		}
		n = n.Content[0]
	}
	line := n.Line
	for depth := 0; path != "" && depth < 1000; depth++ {
		for n.Kind == yaml3.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch n.Kind {
		case yaml3.MappingNode:
			k, v := mapEntry(n, path, 0)
			if k == nil {
				return line
			}
			line = k.Line
			path = strings.TrimPrefix(path[len(k.Value):], ".")
			n = v
		case yaml3.SequenceNode:
			if !strings.HasPrefix(path, "[") {
				return line
			}
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return line
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			path = strings.TrimPrefix(path[end+1:], ".")
		default:
			return line
		}
	}
	return line
}

// mapEntry finds the entry of mapping n whose key is the longest prefix of path that ends at a
// path separator, following YAML merge keys (`<<`).
func mapEntry(n *yaml3.Node, path string, depth int) (key, val *yaml3.Node) {
	if depth > 10 {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml3.ScalarNode || (key != nil && len(k.Value) <= len(key.Value)) {
			continue
		}
		if path == k.Value || (strings.HasPrefix(path, k.Value) && len(k.Value) > 0 &&
			(path[len(k.Value)] == '.' || path[len(k.Value)] == '[')) {
			key, val = k, n.Content[i+1]
		}
	}
	if key != nil {
		return key, val
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "<<" || n.Content[i].Tag != "!!merge" {
			continue
		}
		m := n.Content[i+1]
		for m.Kind == yaml3.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		merged := []*yaml3.Node{m}
		if m.Kind == yaml3.SequenceNode {
			merged = m.Content
		}
		for _, mm := range merged {
			for mm.Kind == yaml3.AliasNode && mm.Alias != nil {
				mm = mm.Alias
			}
			if mm.Kind == yaml3.MappingNode {
				if k, v := mapEntry(mm, path, depth+1); k != nil {
					return k, v
				}
			}
		}
	}
	return nil, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// splitDocuments cuts a file into its documents and converts each to JSON. A file whose first
// non-blank byte is `{` is a stream of JSON objects; anything else is YAML, cut at lines that
// start with `---` followed by nothing but blanks or a comment (as apimachinery's YAMLReader
// does). Documents that hold nothing (only comments, or `null`) are dropped. On a syntax error
// it returns the documents before it and the error.
func splitDocuments(f *srcFile) ([]*doc, *Error) {
	data := bytes.TrimPrefix(f.data, utf8BOM)
	off := len(f.data) - len(data)
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return splitJSON(f, off)
	}
	var docs []*doc
	line := 1
	start, startLine := off, 1
	flush := func(end int) *Error {
		text := f.data[start:end]
		d, err := yamlDoc(f, text, startLine)
		if err != nil {
			return err
		}
		if d != nil {
			docs = append(docs, d)
		}
		return nil
	}
	for i := off; i < len(f.data); {
		j := bytes.IndexByte(f.data[i:], '\n')
		next := len(f.data)
		if j >= 0 {
			next = i + j + 1
		}
		if isSeparator(f.data[i:next]) {
			if err := flush(i); err != nil {
				return docs, err
			}
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	if err := flush(len(f.data)); err != nil {
		return docs, err
	}
	return docs, nil
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

// yamlDoc converts one YAML document to JSON; it returns nil, nil for an empty document.
func yamlDoc(f *srcFile, text []byte, line int) (*doc, *Error) {
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, nil
	}
	j, err := yaml.YAMLToJSONStrict(text)
	if err != nil && strings.Contains(err.Error(), "already set in map") {
		// go-yaml v2's strict mode also rejects a key that overrides one brought in by a merge
		// key (`<<: *base` then `name: x`), which is valid YAML. Report only keys that really
		// appear twice in one mapping.
		dupLine, key := duplicateKey(text)
		if dupLine == 0 {
			j, err = yaml.YAMLToJSON(text)
		} else {
			return nil, &Error{File: f.name, Line: line + dupLine - 1, Msg: fmt.Sprintf("invalid YAML: key %s appears twice in the same map", quoteShort(key))}
		}
	}
	if err != nil {
		return nil, yamlError(f, text, line, err)
	}
	if string(j) == "null" {
		return nil, nil
	}
	return &doc{file: f, text: text, line: line, json: j}, nil
}

// duplicateKey returns the line (within text) of the first key that appears a second time in
// one mapping, and the key; line is 0 when there is none (or text does not parse).
func duplicateKey(text []byte) (line int, key string) {
	var n yaml3.Node
	if yaml3.Unmarshal(text, &n) != nil {
		return 0, ""
	}
	var walk func(n *yaml3.Node, depth int) *yaml3.Node
	walk = func(n *yaml3.Node, depth int) *yaml3.Node {
		if depth > 1000 {
			return nil
		}
		if n.Kind == yaml3.MappingNode {
			seen := make(map[string]bool, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml3.ScalarNode && k.Tag != "!!merge" {
					if seen[k.Value] {
						return k
					}
					seen[k.Value] = true
				}
			}
		}
		for _, c := range n.Content {
			if k := walk(c, depth+1); k != nil {
				return k
			}
		}
		return nil
	}
	if k := walk(&n, 0); k != nil {
		return k.Line, k.Value
	}
	return 0, ""
}

var yamlLineRE = regexp.MustCompile(`line (\d+): ([^\n]*)`)

// yamlError turns a go-yaml error into an Error at the right line of the file.
func yamlError(f *srcFile, text []byte, line int, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	e := &Error{File: f.name, Line: line}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			e.Line = line + n - 1
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if strings.Contains(msg, "already set in map") {
		msg = strings.Replace(msg, " already set in map", " appears twice in the same map", 1)
	}
	// go-yaml reports some errors at the line after the document; keep them inside it.
	if last := line + bytes.Count(text, []byte("\n")); e.Line > last && last >= line {
		e.Line = last
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// splitJSON reads a stream of JSON values.
func splitJSON(f *srcFile, off int) ([]*doc, *Error) {
	dec := json.NewDecoder(bytes.NewReader(f.data[off:]))
	var docs []*doc
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			e := &Error{File: f.name, Msg: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
			var se *json.SyntaxError
			if errors.As(err, &se) {
				e.Line = lineAt(f.data, off+int(se.Offset))
			} else if errors.Is(err, io.ErrUnexpectedEOF) {
				e.Line = lineAt(f.data, len(f.data))
				e.Msg = "invalid JSON: unexpected end of file"
			}
			return docs, e
		}
		end := off + int(dec.InputOffset())
		begin := end - len(raw)
		if begin < 0 {
			begin = 0
		}
		if string(raw) == "null" {
			continue
		}
		docs = append(docs, &doc{file: f, text: f.data[begin:end], line: lineAt(f.data, begin), json: raw})
	}
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// jsonKind names the JSON type of a document for messages.
func jsonKind(j []byte) string {
	t := bytes.TrimSpace(j)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "a map"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return fmt.Sprintf("the number %s", t)
}
