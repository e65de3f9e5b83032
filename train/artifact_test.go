package train

import (
	"testing"
)

func TestGridAt(t *testing.T) {
	g := &Grid{Op: "x", Features: []string{"a", "b"}, Axes: [][]float64{{0, 10}, {1, 2, 4}},
		Median: []float64{0, 1, 2, 10, 11, 12}}
	for _, tc := range []struct {
		p       []float64
		want    float64
		outside bool
	}{
		{[]float64{0, 1}, 0, false},
		{[]float64{10, 4}, 12, false},
		{[]float64{5, 2}, 6, false},
		{[]float64{5, 3}, 6.5, false},
		{[]float64{-1, 1}, 0, true},
		{[]float64{10, 8}, 12, true},
	} {
		got, out := g.At(tc.p)
		if got != tc.want || out != tc.outside {
			t.Errorf("At(%v) = %v, %v; want %v, %v", tc.p, got, out, tc.want, tc.outside)
		}
	}
}

// FuzzDecodeOp: an operator file of any content is an error or a well-formed grid,
// never a panic.
func FuzzDecodeOp(f *testing.F) {
	good, err := encodeOp(&opFile{SchemaVersion: ArtifactSchemaVersion, Kind: KindLinear,
		Grid: Grid{Op: "add", Features: []string{"num_tokens"}, Axes: [][]float64{{1, 2, 3}}, Median: []float64{1, 2, 3}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		op, err := decodeOp(data)
		if err != nil {
			return
		}
		_ = checkGrid(&op.Grid)
	})
}
