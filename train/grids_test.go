package train

import (
	"math"
	"testing"

	"github.com/llmsim/llmsim/train/forest"
)

// TestEvalGridCellsMatchForest checks evalGrid's shortcut (one forest walk per cell
// between thresholds) against walking the forest at every lattice point, on features
// above 2**24 where float32 rounding moves values across thresholds.
func TestEvalGridCellsMatchForest(t *testing.T) {
	var x [][]float64
	var y []float64
	for i := range 400 {
		b := float64(1<<24) + float64(i*i*37%4099)*3 // bytes-like, odd steps above 2**24
		g := float64(int(2) << (i % 3))
		x = append(x, []float64{b, g})
		y = append(y, 1e-6*b/g+float64(i%7)*0.01)
	}
	f, err := forest.Fit(x, y, forest.Params{NEstimators: 20, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, Seed: 1}, forest.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var bytesAxis []float64
	for v := float64(1 << 24); v < float64(1<<24)+13000; v += 1 {
		bytesAxis = append(bytesAxis, v)
	}
	axes := [][]float64{bytesAxis, {2, 4, 8}}
	toModel := func(p, dst []float64) []float64 { return append(dst[:0], p[0], p[1]) }
	g := evalGrid("op", []string{"bytes", "group"}, axes, toModel, f)
	buf := make([]float64, 0, 32)
	i := 0
	for _, b := range axes[0] {
		for _, gr := range axes[1] {
			want, _, _ := f.PredictSpread([]float64{b, gr}, buf)
			if math.Float64bits(g.Median[i]) != math.Float64bits(want) {
				t.Fatalf("point (%v, %v): grid %v, forest %v", b, gr, g.Median[i], want)
			}
			i++
		}
	}
}
