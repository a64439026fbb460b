package reports

import (
	"bytes"
	"testing"
)

// The readers of summary.json and result.json take files from disk; they must never panic, and
// what they accept must survive a write and a read unchanged. The seed corpora are in
// testdata/fuzz/; `go test` runs them.

func FuzzReadSummary(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ReadSummary(bytes.NewReader(in))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		if err := WriteSummary(&a, s); err != nil {
			t.Fatalf("a summary that reads does not write: %v", err)
		}
		s2, err := ReadSummary(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("a written summary does not read: %v\n%s", err, a.Bytes())
		}
		if err := WriteSummary(&b, s2); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("summary changes in a round trip: %v: %s", err, firstDiff(a.String(), b.String()))
		}
	})
}

func FuzzReadDigest(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			return
		}
		d, err := ReadDigest(bytes.NewReader(in))
		if err != nil {
			return
		}
		var a, b bytes.Buffer
		if err := WriteDigest(&a, d); err != nil {
			t.Fatalf("a result that reads does not write: %v", err)
		}
		d2, err := ReadDigest(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("a written result does not read: %v\n%.300s", err, a.Bytes())
		}
		if err := WriteDigest(&b, d2); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("result changes in a round trip: %v: %s", err, firstDiff(a.String(), b.String()))
		}
	})
}
