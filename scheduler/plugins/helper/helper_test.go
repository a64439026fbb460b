package helper

import (
	"testing"

	"ksim.dev/ksim/scheduler/internal/st"
)

func TestDefaultNormalizeScore(t *testing.T) {
	tests := []struct {
		name    string
		reverse bool
		in      []int64
		want    []int64
	}{
		{name: "scaled to the maximum", in: []int64{10, 20, 30, 40, 50}, want: []int64{20, 40, 60, 80, 100}},
		{name: "integer division truncates", in: []int64{1, 3}, want: []int64{33, 100}},
		{name: "reversed", reverse: true, in: []int64{1, 3}, want: []int64{67, 0}},
		{name: "all zero stays zero", in: []int64{0, 0}, want: []int64{0, 0}},
		{name: "all zero reversed is all best", reverse: true, in: []int64{0, 0}, want: []int64{100, 100}},
		{name: "empty", in: []int64{}, want: []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := append([]int64{}, tc.in...)
			DefaultNormalizeScore(100, tc.reverse, got)
			if d := st.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):%s", d)
			}
		})
	}
}
