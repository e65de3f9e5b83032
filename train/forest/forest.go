package forest

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Params are a forest's hyper-parameters. The zero value is not valid; start from
// DefaultParams.
type Params struct {
	NEstimators     int     `json:"n_estimators"`
	MaxDepth        int     `json:"max_depth"` // 0: unlimited
	MinSamplesSplit int     `json:"min_samples_split"`
	MinSamplesLeaf  int     `json:"min_samples_leaf"`
	MaxFeatures     float64 `json:"max_features"` // fraction of the features tried per node, in (0, 1]
	Bootstrap       bool    `json:"bootstrap"`
	// LogTarget fits log(y) and predicts exp of the trees' mean log, a geometric mean.
	// Operator times span three to four decades and are scored by relative error, which
	// the log scale matches; it requires every target to be positive.
	LogTarget bool `json:"log_target"`
	// Seed is sklearn's random_state: a forest with seed s holds the trees of
	// RandomForestRegressor(random_state=s) on the same rows (numpyrand.go).
	Seed uint64 `json:"seed"`
}

// DefaultParams are scikit-learn's RandomForestRegressor defaults (100 trees, unlimited
// depth, min_samples_split 2, min_samples_leaf 1, all features, bootstrap) with seed 0.
func DefaultParams() Params {
	return Params{NEstimators: 100, MinSamplesSplit: 2, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true}
}

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	switch {
	case p.NEstimators < 1:
		return fmt.Errorf("forest: n_estimators %d < 1", p.NEstimators)
	case p.MaxDepth < 0:
		return fmt.Errorf("forest: max_depth %d < 0", p.MaxDepth)
	case p.MinSamplesSplit < 2:
		return fmt.Errorf("forest: min_samples_split %d < 2", p.MinSamplesSplit)
	case p.MinSamplesLeaf < 1:
		return fmt.Errorf("forest: min_samples_leaf %d < 1", p.MinSamplesLeaf)
	case !(p.MaxFeatures > 0 && p.MaxFeatures <= 1):
		return fmt.Errorf("forest: max_features %v not in (0, 1]", p.MaxFeatures)
	case p.Seed > math.MaxUint32:
		return fmt.Errorf("forest: seed %d is above 2**32 - 1, numpy's largest", p.Seed)
	}
	return nil
}

func (p Params) tree(nFeatures int) treeParams {
	k := max(1, int(p.MaxFeatures*float64(nFeatures)))
	return treeParams{maxDepth: p.MaxDepth, minSplit: p.MinSamplesSplit, minLeaf: p.MinSamplesLeaf,
		maxFeatures: min(k, nFeatures), bootstrap: p.Bootstrap}
}

// Forest is a fitted regression forest.
type Forest struct {
	Params    Params
	NFeatures int
	Trees     []Tree
	// OOBPredictions holds, when Fit was asked for them, each training row's prediction
	// by the trees that did not see it (NaN for a row every tree drew).
	OOBPredictions []float64 `json:",omitempty"`
}

// FitOptions are how, not what, to fit.
type FitOptions struct {
	Workers int  // goroutines growing trees; <= 0 means GOMAXPROCS
	OOB     bool // compute Forest.OOBPredictions
}

// Fit grows a forest on x (n rows of equal width) and y.
func Fit(x [][]float64, y []float64, p Params, opt FitOptions) (*Forest, error) {
	m, err := NewMatrix(x)
	if err != nil {
		return nil, err
	}
	return FitMatrix(m, y, p, opt)
}

// FitMatrix is Fit on an already built Matrix, which can be shared by many fits.
func FitMatrix(m *Matrix, y []float64, p Params, opt FitOptions) (*Forest, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	yt, err := transformTarget(y, m.n, p.LogTarget)
	if err != nil {
		return nil, err
	}
	f := &Forest{Params: p, NFeatures: m.Features(), Trees: make([]Tree, p.NEstimators)}
	workers := workerCount(opt.Workers, p.NEstimators)
	seeds := treeSeeds(uint32(p.Seed), p.NEstimators)
	// Each tree keeps its own out-of-bag predictions; they are folded in tree order
	// below, so the result does not depend on which worker grew which tree.
	var oob [][]oobPred
	if opt.OOB {
		oob = make([][]oobPred, p.NEstimators)
	}
	parallel(p.NEstimators, workers, func() func(i int) {
		b := newBuilder(m, yt, p.tree(m.Features()))
		row := make([]float64, 0, m.Features())
		return func(i int) {
			f.Trees[i] = b.grow(nil, seeds[i], splitterState(seeds[i]))
			if opt.OOB {
				var preds []oobPred
				for r := range m.n {
					if b.w[r] == 0 {
						row = m.Row(r, row)
						preds = append(preds, oobPred{int32(r), f.Trees[i].Predict(row)})
					}
				}
				oob[i] = preds
			}
		}
	})
	if opt.OOB {
		sum := make([]float64, m.n)
		cnt := make([]int, m.n)
		for _, preds := range oob {
			for _, o := range preds {
				sum[o.row] += o.pred
				cnt[o.row]++
			}
		}
		f.OOBPredictions = make([]float64, m.n)
		for r := range m.n {
			if cnt[r] == 0 {
				f.OOBPredictions[r] = math.NaN()
			} else {
				f.OOBPredictions[r] = f.untransform(sum[r] / float64(cnt[r]))
			}
		}
	}
	return f, nil
}

type oobPred struct {
	row  int32
	pred float64
}

func transformTarget(y []float64, n int, logTarget bool) ([]float64, error) {
	if len(y) != n {
		return nil, fmt.Errorf("forest: %d targets for %d rows", len(y), n)
	}
	out := make([]float64, n)
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("forest: target of row %d is %v", i, v)
		}
		if logTarget {
			if v <= 0 {
				return nil, fmt.Errorf("forest: log target needs positive targets, row %d is %v", i, v)
			}
			v = math.Log(v)
		}
		out[i] = v
	}
	return out, nil
}

func (f *Forest) untransform(v float64) float64 {
	if f.Params.LogTarget {
		return math.Exp(v)
	}
	return v
}

// Predict is the forest's prediction for x: the mean of the trees (the geometric mean
// with LogTarget), as RandomForestRegressor.predict.
func (f *Forest) Predict(x []float64) float64 {
	var s float64
	for i := range f.Trees {
		s += f.Trees[i].Predict(x)
	}
	return f.untransform(s / float64(len(f.Trees)))
}

// PredictSpread returns Predict(x) and the 10th and 90th percentiles of the single trees'
// predictions (linear interpolation between order statistics, as numpy.percentile), a
// cheap measure of how much the trees disagree at x. buf is scratch space (may be nil).
func (f *Forest) PredictSpread(x []float64, buf []float64) (mean, p10, p90 float64) {
	buf = buf[:0]
	var s float64
	for i := range f.Trees {
		v := f.Trees[i].Predict(x)
		s += v
		buf = append(buf, v)
	}
	slices.Sort(buf)
	return f.untransform(s / float64(len(buf))), f.untransform(percentile(buf, 0.10)), f.untransform(percentile(buf, 0.90))
}

// percentile of sorted values, q in [0,1], numpy's default "linear" method.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := q * float64(len(sorted)-1)
	i := int(h)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// Thresholds returns, for each feature, the sorted distinct thresholds the forest splits
// on. Between two consecutive thresholds of every feature the forest is constant, which
// lets a caller evaluate a dense grid once per cell.
func (f *Forest) Thresholds() [][]float64 {
	out := make([][]float64, f.NFeatures)
	for ti := range f.Trees {
		for _, n := range f.Trees[ti].Nodes {
			if n.Feature >= 0 {
				out[n.Feature] = append(out[n.Feature], n.Threshold)
			}
		}
	}
	for i := range out {
		slices.Sort(out[i])
		out[i] = slices.Compact(out[i])
	}
	return out
}

func workerCount(w, jobs int) int {
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, jobs))
}

// parallel runs job(i) for i in [0, n) on workers goroutines. newWorker is called once
// per goroutine to set up its scratch space and returns that worker's job function.
func parallel(n, workers int, newWorker func() func(i int)) {
	if workers <= 1 {
		job := newWorker()
		for i := range n {
			job(i)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := newWorker()
			for i := range next {
				job(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
