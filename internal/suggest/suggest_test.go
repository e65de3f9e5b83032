package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"h100", "h100", 0},
		{"h10", "h100", 1},
		{"a100", "h100", 1},
		{"kitten", "sitting", 3},
		{"max_tokens", "max_token", 1},
		{"ab", "ba", 2},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func BenchmarkDistance(b *testing.B) {
	for b.Loop() {
		Distance("replica_config_model_name", "replica_config_device")
	}
}
