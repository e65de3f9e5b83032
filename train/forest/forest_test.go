package forest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// opTable mimics an operator-time table: time grows like a GEMM with tokens and kv, with
// a few percent of multiplicative noise, over 3–4 decades.
func opTable(n, nf int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range n {
		r := make([]float64, nf)
		for f := range nf {
			r[f] = float64(1 + rng.IntN(4096))
		}
		x[i] = r
		t := 0.01 + 0.0004*r[0]
		if nf > 1 {
			t += 1e-7 * r[0] * r[1]
		}
		y[i] = t * (1 + 0.02*rng.NormFloat64())
	}
	return x, y
}

func mape(y, p []float64) float64 {
	var s float64
	for i := range y {
		s += math.Abs(y[i]-p[i]) / math.Abs(y[i]) * 100
	}
	return s / float64(len(y))
}

func TestFitDeterministicAcrossWorkers(t *testing.T) {
	x, y := opTable(500, 2, 1)
	for _, p := range []Params{
		DefaultParams(),
		{NEstimators: 37, MaxDepth: 8, MinSamplesSplit: 5, MinSamplesLeaf: 2, MaxFeatures: 0.5, Bootstrap: true, LogTarget: true, Seed: 9},
	} {
		var ref *Forest
		for _, w := range []int{1, 2, 3, 8} {
			f, err := Fit(x, y, p, FitOptions{Workers: w, OOB: true})
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = f
				continue
			}
			for i := range f.Trees {
				if !slices.Equal(f.Trees[i].Nodes, ref.Trees[i].Nodes) {
					t.Fatalf("params %+v: tree %d differs between 1 and %d workers", p, i, w)
				}
			}
			if !slices.EqualFunc(f.OOBPredictions, ref.OOBPredictions, func(a, b float64) bool {
				return math.Float64bits(a) == math.Float64bits(b)
			}) {
				t.Fatalf("params %+v: OOB predictions differ between 1 and %d workers", p, w)
			}
		}
	}
}

func TestFitAccuracy(t *testing.T) {
	x, y := opTable(2000, 2, 2)
	xt, yt := opTable(300, 2, 3)
	for _, tc := range []struct {
		name    string
		p       Params
		maxMAPE float64
	}{
		{"raw", Params{NEstimators: 50, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true}, 6},
		{"log", Params{NEstimators: 50, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, LogTarget: true}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Fit(x, y, tc.p, FitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pred := make([]float64, len(xt))
			for i := range xt {
				pred[i] = f.Predict(xt[i])
			}
			if got := mape(yt, pred); got > tc.maxMAPE {
				t.Errorf("held-out MAPE %.2f%% > %.1f%%", got, tc.maxMAPE)
			}
		})
	}
}

// TestLogTargetHelpsShallowTrees checks the reason the option exists: on a small table
// spanning decades, depth-limited trees on log(y) have a much smaller relative error.
func TestLogTargetHelpsShallowTrees(t *testing.T) {
	n := 400
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range n {
		v := math.Pow(2, 12*float64(i)/float64(n)) // 1 .. 4096
		x[i] = []float64{v}
		y[i] = 0.005 + 0.0005*v
	}
	score := func(log bool) float64 {
		p := Params{NEstimators: 20, MaxDepth: 4, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, LogTarget: log}
		f, err := Fit(x, y, p, FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pred := make([]float64, n)
		for i := range x {
			pred[i] = f.Predict(x[i])
		}
		return mape(y, pred)
	}
	raw, lg := score(false), score(true)
	if !(lg < raw/2) {
		t.Errorf("log-target MAPE %.2f%% not below half the raw %.2f%%", lg, raw)
	}
}

func TestLogTargetRejectsNonPositive(t *testing.T) {
	p := DefaultParams()
	p.LogTarget = true
	if _, err := Fit([][]float64{{1}, {2}}, []float64{1, 0}, p, FitOptions{}); err == nil {
		t.Fatal("want an error for a zero target with LogTarget")
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    [][]float64
		y    []float64
		p    Params
	}{
		{"no rows", nil, nil, DefaultParams()},
		{"ragged", [][]float64{{1, 2}, {1}}, []float64{1, 2}, DefaultParams()},
		{"nan feature", [][]float64{{math.NaN()}}, []float64{1}, DefaultParams()},
		{"nan target", [][]float64{{1}}, []float64{math.NaN()}, DefaultParams()},
		{"short y", [][]float64{{1}, {2}}, []float64{1}, DefaultParams()},
		{"min split", [][]float64{{1}}, []float64{1}, Params{NEstimators: 1, MinSamplesSplit: 1, MinSamplesLeaf: 1, MaxFeatures: 1}},
		{"max features", [][]float64{{1}}, []float64{1}, Params{NEstimators: 1, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 0}},
	} {
		if _, err := Fit(tc.x, tc.y, tc.p, FitOptions{}); err == nil {
			t.Errorf("%s: want an error", tc.name)
		}
	}
}

// TestTreeExactOnDistinctPoints: without bootstrap, a full-depth tree reproduces every
// training target and puts thresholds at midpoints.
func TestTreeExactOnDistinctPoints(t *testing.T) {
	x := [][]float64{{1}, {2}, {4}, {8}}
	y := []float64{10, 20, 40, 80}
	f, err := Fit(x, y, Params{NEstimators: 1, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1}, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if got := f.Predict(x[i]); got != y[i] {
			t.Errorf("Predict(%v) = %v, want %v", x[i], got, y[i])
		}
	}
	if got, want := f.Thresholds()[0], []float64{1.5, 3, 6}; !slices.Equal(got, want) {
		t.Errorf("thresholds %v, want %v", got, want)
	}
	if got := f.Predict([]float64{3}); got != 20 {
		t.Errorf("x == threshold must go left: got %v, want 20", got)
	}
}

// TestCrossPredictMatchesSeparateFits: the shared-tree search gives exactly what fitting
// every grid point on every fold's training rows gives.
func TestCrossPredictMatchesSeparateFits(t *testing.T) {
	var grid []Params
	for _, n := range []int{4, 8} {
		for _, d := range []int{3, 0} {
			for _, s := range []int{2, 7} {
				for _, lg := range []bool{false, true} {
					grid = append(grid, Params{NEstimators: n, MaxDepth: d, MinSamplesSplit: s, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, LogTarget: lg, Seed: 5})
				}
			}
		}
	}
	// Drawn feature subsets at two depths.
	grid = append(grid,
		Params{NEstimators: 6, MaxDepth: 5, MinSamplesSplit: 2, MinSamplesLeaf: 3, MaxFeatures: 0.5, Bootstrap: true, Seed: 5},
		Params{NEstimators: 6, MaxDepth: 2, MinSamplesSplit: 2, MinSamplesLeaf: 3, MaxFeatures: 0.5, Bootstrap: true, Seed: 5})
	for _, nf := range []int{1, 2} {
		x, y := opTable(120, nf, 4)
		checkCrossPredict(t, x, y, grid, func(Params) bool { return true })
	}
	// Above exactGridRows a multi-feature table shares the loosest pair's trees: that
	// pair (here depth unlimited, split 2) is still exact.
	x, y := opTable(exactGridRows+40, 2, 6)
	checkCrossPredict(t, x, y, grid[:8], func(p Params) bool { return p.MaxDepth == 0 && p.MinSamplesSplit == 2 })
}

// checkCrossPredict compares CrossPredict over grid, bit for bit, with fitting each
// grid point on each fold's training rows, for the grid points exact selects.
func checkCrossPredict(t *testing.T, x [][]float64, y []float64, grid []Params, exact func(Params) bool) {
	t.Helper()
	k := 4
	fold := make([]int, len(x))
	for i := range fold {
		fold[i] = i % k
	}
	m, err := NewMatrix(x)
	if err != nil {
		t.Fatal(err)
	}
	// 16 workers outnumber the units, so they share each unit's windows of trees.
	for _, workers := range []int{1, 3, 16} {
		got, err := CrossPredict(m, y, fold, k, grid, workers)
		if err != nil {
			t.Fatal(err)
		}
		for gi, p := range grid {
			if !exact(p) {
				continue
			}
			for f := range k {
				var tx [][]float64
				var ty []float64
				for i := range x {
					if fold[i] != f {
						tx = append(tx, x[i])
						ty = append(ty, y[i])
					}
				}
				fr, err := Fit(tx, ty, p, FitOptions{Workers: 1})
				if err != nil {
					t.Fatal(err)
				}
				for i := range x {
					if fold[i] == f {
						if want := fr.Predict(x[i]); math.Float64bits(got[gi][i]) != math.Float64bits(want) {
							t.Fatalf("%d features, workers %d grid %+v fold %d row %d: CrossPredict %v, separate fit %v",
								len(x[0]), workers, p, f, i, got[gi][i], want)
						}
					}
				}
			}
		}
	}
}

func TestOOBPredictMatchesFit(t *testing.T) {
	x, y := opTable(200, 1, 6)
	p := Params{NEstimators: 30, MaxDepth: 6, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, Seed: 3}
	f, err := Fit(x, y, p, FitOptions{OOB: true})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := NewMatrix(x)
	// One unit: one worker grows it alone, two or three share its windows of trees.
	for _, workers := range []int{1, 2, 3} {
		got, err := OOBPredict(m, y, []Params{p}, workers)
		if err != nil {
			t.Fatal(err)
		}
		for i := range y {
			a, b := got[0][i], f.OOBPredictions[i]
			if !(math.IsNaN(a) && math.IsNaN(b)) && math.Float64bits(a) != math.Float64bits(b) {
				t.Fatalf("%d workers, row %d: OOBPredict %v, Fit %v", workers, i, a, b)
			}
		}
	}
}

func TestPredictSpread(t *testing.T) {
	x, y := opTable(300, 1, 7)
	f, err := Fit(x, y, DefaultParams(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mean, p10, p90 := f.PredictSpread([]float64{2000}, nil)
	if mean != f.Predict([]float64{2000}) || !(p10 <= mean && mean <= p90) {
		t.Errorf("spread %v %v %v not ordered or mean not Predict", p10, mean, p90)
	}
	if got := percentile([]float64{0, 10}, 0.1); got != 1 {
		t.Errorf("percentile = %v, want 1", got)
	}
}

func BenchmarkFit16kRows3Features100Trees(b *testing.B) {
	x, y := opTable(16000, 3, 1)
	m, _ := NewMatrix(x)
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitMatrix(m, y, DefaultParams(), FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCrossPredictVidurGrid260Rows(b *testing.B) {
	x, y := opTable(260, 1, 1)
	m, _ := NewMatrix(x)
	var grid []Params
	for _, n := range []int{250, 500, 750} {
		for _, d := range []int{8, 16, 32} {
			for _, s := range []int{2, 5, 10} {
				grid = append(grid, Params{NEstimators: n, MaxDepth: d, MinSamplesSplit: s, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true})
			}
		}
	}
	fold := make([]int, len(y))
	for i := range fold {
		fold[i] = i * 10 / len(y)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := CrossPredict(m, y, fold, 10, grid, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredict(b *testing.B) {
	x, y := opTable(2000, 2, 1)
	f, _ := Fit(x, y, DefaultParams(), FitOptions{})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f.Predict(x[i%len(x)])
	}
}

// TestApproximate checks which grid points Approximate flags: only on multi-feature
// tables longer than exactGridRows, and only points with a looser sibling.
func TestApproximate(t *testing.T) {
	grid := []Params{
		{NEstimators: 4, MaxDepth: 8, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true},
		{NEstimators: 4, MaxDepth: 0, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true},
		{NEstimators: 4, MaxDepth: 0, MinSamplesSplit: 5, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true},
		{NEstimators: 4, MaxDepth: 8, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, LogTarget: true},
	}
	for _, tc := range []struct {
		rows, features int
		want           []bool
	}{
		{exactGridRows + 1, 2, []bool{true, false, true, false}},
		{exactGridRows, 2, []bool{false, false, false, false}},
		{exactGridRows + 1, 1, []bool{false, false, false, false}},
	} {
		x, _ := opTable(tc.rows, tc.features, 1)
		m, err := NewMatrix(x)
		if err != nil {
			t.Fatal(err)
		}
		for g := range grid {
			if got := Approximate(m, grid, g); got != tc.want[g] {
				t.Errorf("%d rows, %d features, grid point %d: Approximate %v, want %v", tc.rows, tc.features, g, got, tc.want[g])
			}
		}
	}
}
