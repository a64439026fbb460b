package sweep

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShardFileName(t *testing.T) {
	for _, tc := range []struct {
		i, n int
		want string
	}{
		{0, 1, "shard-0.json"}, {3, 10, "shard-3.json"}, {3, 11, "shard-03.json"}, {42, 1000, "shard-042.json"},
	} {
		if got := ShardFileName(tc.i, tc.n); got != tc.want {
			t.Errorf("ShardFileName(%d, %d) = %s, want %s", tc.i, tc.n, got, tc.want)
		}
	}
}

// TestReadShards reads shards as a results volume and kubectl logs leave them: one per file,
// several per file, indented.
func TestReadShards(t *testing.T) {
	shards := fakeShards([]AxisInfo{countAxis}, Spec{}, func(v []string) (figs, string) { return figs{nodes: 1}, "" })
	dir := t.TempDir()
	var logs bytes.Buffer
	for _, sh := range shards[:2] {
		if err := WriteShard(&logs, sh); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pods.log", logs.Bytes())
	var one bytes.Buffer
	if err := WriteShard(&one, shards[2]); err != nil {
		t.Fatal(err)
	}
	write(ShardFileName(2, 3), one.Bytes())
	write("README.txt", []byte("not a shard, not read"))
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ReadShards(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d shards, want 3", len(got))
	}
	if _, err := Merge(got, nil); err != nil {
		t.Errorf("Merge: %v", err)
	}
	if _, err := ReadShards(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no shards") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestDecodeShardsErrors(t *testing.T) {
	shards := fakeShards([]AxisInfo{countAxis}, Spec{}, func(v []string) (figs, string) { return figs{nodes: 1}, "" })
	var good bytes.Buffer
	if err := WriteShard(&good, shards[0]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ data, want string }{
		{good.String() + "[pod/x] ksim: done\n", "f.log:2: not a shard: invalid character 'p'"},
		{good.String() + "\n\n{\"schema\": \"ksim.summary/v1\"}\n", `f.log:4: not a shard: want schema "ksim.sweep.shard/v1", got "ksim.summary/v1"`},
		{strings.Replace(good.String(), `"index":0`, `"index":0,"extra":1`, 1), `f.log:1: bad shard: json: unknown field "extra"`},
		{good.String()[:40], "f.log:1: not a shard: unexpected EOF"},
	} {
		if _, err := DecodeShards("f.log", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// FuzzDecodeShards: whatever the bytes, DecodeShards returns shards or an error naming the file
// and a line, and never panics; what it returns merges or fails cleanly.
func FuzzDecodeShards(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			t.Skip()
		}
		shards, err := DecodeShards("f", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		if len(shards) > 0 {
			_, _ = Merge(shards, nil)
		}
	})
}
