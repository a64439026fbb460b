package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"load", "load", 0}, {"laod", "load", 1}, {"lod", "load", 1},
		{"loads", "load", 1}, {"kitten", "sitting", 3}, {"abc", "", 3},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"imagePullPolicy", "image", "name", "resources"}
	for _, tc := range []struct{ key, want string }{
		{"imagePullPolcy", "imagePullPolicy"},
		{"IMAGE", "image"},
		{"nmae", "name"},
		{"colour", ""},
		{"x", ""},
	} {
		if got := Closest(tc.key, known); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
