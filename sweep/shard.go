package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ksim.dev/ksim/reports"
)

// ShardSchema is the value of a shard's "schema" field.
const ShardSchema = "ksim.sweep.shard/v1"

// Shard is the result of one variant: what `ksim sweep run-shard` writes (one per completion
// index of a Kubernetes Indexed Job), and what Merge reads. It carries the sweep's identity and
// axes, so that shards alone make the table.
type Shard struct {
	Schema      string     `json:"schema"`
	SweepID     string     `json:"sweep_id"`
	Scenario    string     `json:"scenario"`
	KsimVersion string     `json:"ksim_version"`
	Variants    int        `json:"variants"`
	Axes        []AxisInfo `json:"axes"`
	Spec        Spec       `json:"spec"`
	Index       int        `json:"index"`
	Values      []string   `json:"values"`
	Settings    []Setting  `json:"settings"`
	// Error is set when the variant did not load (ErrorKind "input") or its run failed
	// ("run"); Summary is nil then.
	Error     string             `json:"error,omitempty"`
	ErrorKind string             `json:"error_kind,omitempty"`
	Summary   *reports.SummaryV1 `json:"summary,omitempty"`
}

// WriteShard writes sh as one line of JSON: a shard may share a file (or a pod log) with
// others, one per line.
func WriteShard(w io.Writer, sh *Shard) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sh); err != nil {
		return fmt.Errorf("sweep: write shard %d: %w", sh.Index, err)
	}
	return nil
}

// ShardFileName is the name run-shard gives the file of shard index of n.
func ShardFileName(index, n int) string {
	width := len(fmt.Sprint(max(n-1, 0)))
	return fmt.Sprintf("shard-%0*d.json", width, index)
}

// MaxShardBytes bounds a file that ReadShards reads: a shard is a summary (kilobytes, or a few
// megabytes with many HPAs and scale events), and a file may hold every shard of a sweep.
const MaxShardBytes = 1 << 30

// ReadShards reads every shard in the files of dir whose names end in .json, .jsonl or .log
// (not in subdirectories), in name order. A file holds one or more shards, as JSON values one
// after another (one per line as WriteShard writes them, or indented). Anything else in those
// files is an error that names the file and line: a log with other lines in it (`kubectl logs
// --prefix`, a shell's messages) must be cleaned first.
func ReadShards(dir string) ([]*Shard, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var shards []*Shard
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".log")) {
			continue
		}
		p := filepath.Join(dir, name)
		data, err := readFileLimited(p, MaxShardBytes)
		if err != nil {
			return nil, err
		}
		got, err := DecodeShards(p, data)
		if err != nil {
			return nil, err
		}
		shards = append(shards, got...)
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("%s holds no shards (files *.json, *.jsonl or *.log written by `ksim sweep run-shard`)", dir)
	}
	return shards, nil
}

func readFileLimited(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", p, limit>>20)
	}
	return data, nil
}

// DecodeShards decodes the shards in data (named name in messages), strictly: unknown fields
// and other schemas are errors with the line where the shard starts.
func DecodeShards(name string, data []byte) ([]*Shard, error) {
	var out []*Shard
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line := 1 + bytes.Count(data[:min(int(start)+leadingSpace(data[start:]), len(data))], []byte("\n"))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not a shard: %v (a shard file holds only the JSON that run-shard writes)", name, line, err)
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if json.Unmarshal(raw, &head) != nil || head.Schema != ShardSchema {
			return nil, fmt.Errorf("%s:%d: not a shard: want schema %q, got %q", name, line, ShardSchema, head.Schema)
		}
		sd := json.NewDecoder(bytes.NewReader(raw))
		sd.DisallowUnknownFields()
		sh := &Shard{}
		if err := sd.Decode(sh); err != nil {
			return nil, fmt.Errorf("%s:%d: bad shard: %v", name, line, err)
		}
		out = append(out, sh)
	}
}

func leadingSpace(b []byte) int {
	return len(b) - len(bytes.TrimLeft(b, " \t\r\n"))
}

// Merge checks that the shards are the whole of one sweep and makes its table. Each variant
// must be present; a variant present twice (a Job's retried pod) must be identical. spec, when
// not nil, replaces the shards' spec (budgets, minimize, best-per, x); otherwise all shards
// must carry the same one.
//
// Cost: O(shards × (axes + figures)), plus sorting.
func Merge(shards []*Shard, spec *Spec) (*Table, error) {
	if len(shards) == 0 {
		return nil, errors.New("no shards to merge")
	}
	ref := shards[0]
	if ref.Variants <= 0 || ref.Variants > MaxVariants {
		return nil, fmt.Errorf("shard %d: %d variants; want 1 to %d", ref.Index, ref.Variants, MaxVariants)
	}
	n := 1
	for _, a := range ref.Axes {
		n *= len(a.Values)
		if len(a.Values) == 0 || n > MaxVariants {
			break
		}
	}
	if len(ref.Axes) == 0 || n != ref.Variants {
		return nil, fmt.Errorf("shard %d: %d variants, but its %d axes make %d", ref.Index, ref.Variants, len(ref.Axes), n)
	}
	byIndex := make([]*Shard, ref.Variants)
	for _, sh := range shards {
		switch {
		case sh.SweepID != ref.SweepID:
			return nil, fmt.Errorf("shards of two sweeps: %s and %s (variant %d and variant %d); merge the shards of one sweep at a time", ref.SweepID, sh.SweepID, ref.Index, sh.Index)
		case sh.Variants != ref.Variants || sh.Scenario != ref.Scenario || sh.KsimVersion != ref.KsimVersion || !slices.EqualFunc(sh.Axes, ref.Axes, axisInfoEqual):
			return nil, fmt.Errorf("shard of variant %d disagrees with shard of variant %d on the sweep (scenario, version, axes or variants) though both say sweep %s", sh.Index, ref.Index, ref.SweepID)
		case spec == nil && !specEqual(sh.Spec, ref.Spec):
			return nil, fmt.Errorf("shard of variant %d has another spec (budgets, minimize, best-per, x) than shard of variant %d; give the spec to use", sh.Index, ref.Index)
		case sh.Index < 0 || sh.Index >= ref.Variants:
			return nil, fmt.Errorf("shard of variant %d: the sweep has variants 0 to %d", sh.Index, ref.Variants-1)
		case len(sh.Values) != len(ref.Axes):
			return nil, fmt.Errorf("shard of variant %d has %d values for %d axes", sh.Index, len(sh.Values), len(ref.Axes))
		case sh.Error == "" && sh.Summary == nil:
			return nil, fmt.Errorf("shard of variant %d has neither a summary nor an error", sh.Index)
		}
		want := coords(axisSizes(ref.Axes), sh.Index)
		for a, v := range sh.Values {
			if ref.Axes[a].Values[want[a]] != v {
				return nil, fmt.Errorf("shard of variant %d has %s=%s, but variant %d has %s there: the shards disagree on the numbering of variants", sh.Index, ref.Axes[a].Label(), v, sh.Index, ref.Axes[a].Values[want[a]])
			}
		}
		if prev := byIndex[sh.Index]; prev != nil {
			a, _ := json.Marshal(prev)
			b, _ := json.Marshal(sh)
			if !bytes.Equal(a, b) {
				return nil, fmt.Errorf("two different shards of variant %d", sh.Index)
			}
			continue
		}
		byIndex[sh.Index] = sh
	}
	var missing []string
	for i, sh := range byIndex {
		if sh == nil {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		list := missing
		if len(list) > 20 {
			list = append(slices.Clone(list[:20]), "…")
		}
		return nil, fmt.Errorf("missing shards of %d of %d variants: %s", len(missing), ref.Variants, strings.Join(list, ", "))
	}
	sp := ref.Spec
	if spec != nil {
		sp = *spec
	}
	if err := sp.Check(ref.Axes); err != nil {
		return nil, err
	}
	return newTable(ref, byIndex, sp), nil
}

func axisInfoEqual(a, b AxisInfo) bool {
	return slices.Equal(a.Paths, b.Paths) && slices.Equal(a.Values, b.Values)
}

func specEqual(a, b Spec) bool {
	return slices.Equal(a.Budgets, b.Budgets) && slices.Equal(a.Minimize, b.Minimize) && slices.Equal(a.BestPer, b.BestPer) && a.X == b.X
}

func axisSizes(axes []AxisInfo) []int {
	s := make([]int, len(axes))
	for i, a := range axes {
		s[i] = len(a.Values)
	}
	return s
}
