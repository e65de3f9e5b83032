package train

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/llmsim/llmsim/train/forest"
)

// Kind names a predictor family.
type Kind string

const (
	KindForest Kind = "forest" // CART regression forest (Vidur's default)
	KindLinear Kind = "linear" // polynomial least squares (Vidur's second predictor)
	KindInterp Kind = "interp" // piecewise-linear interpolation over measured points
	// KindRoofline marks an operator learnt from rows of profile synth (a roofline model
	// of a GPU without measurements): its table is interpolated like KindInterp.
	KindRoofline Kind = "roofline"
	// KindAbsent marks an optional operator the dataset has no rows for; its grid is all
	// zeros, which is what Vidur predicts for a missing attn_kv_cache_save column.
	KindAbsent Kind = "absent"
)

// ParseKinds parses the --predictor value: auto (every fitted kind), or one kind.
func ParseKinds(s string) ([]Kind, error) {
	switch Kind(s) {
	case "auto", "":
		return []Kind{KindForest, KindLinear, KindInterp}, nil
	case KindForest, KindLinear, KindInterp:
		return []Kind{Kind(s)}, nil
	}
	return nil, fmt.Errorf("train: unknown predictor %q (want auto, forest, linear or interp)", s)
}

// SearchGrid is the hyper-parameter grid of every fitted kind.
type SearchGrid struct {
	Name   string          `json:"name"`
	Forest []forest.Params `json:"forest"`
	Poly   []PolyParams    `json:"poly"`
}

// VidurGrid is Vidur's grid search (reference §3.3): forests with n_estimators
// 250/500/750 × max_depth 8/16/32 × min_samples_split 2/5/10 on the raw target, and the
// 40 polynomial pipelines.
func VidurGrid(seed uint64) SearchGrid {
	var fs []forest.Params
	for _, n := range []int{250, 500, 750} {
		for _, d := range []int{8, 16, 32} {
			for _, s := range []int{2, 5, 10} {
				fs = append(fs, forest.Params{NEstimators: n, MaxDepth: d, MinSamplesSplit: s, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, Seed: seed})
			}
		}
	}
	return SearchGrid{Name: "vidur", Forest: fs, Poly: VidurPolyGrid()}
}

// SmallGrid is a quick grid for development: 100-tree forests, depth 16 or unlimited,
// min_samples_split 2 or 5, raw or log target, and polynomial degrees 1–3.
func SmallGrid(seed uint64) SearchGrid {
	var fs []forest.Params
	for _, d := range []int{16, 0} {
		for _, s := range []int{2, 5} {
			for _, lg := range []bool{false, true} {
				fs = append(fs, forest.Params{NEstimators: 100, MaxDepth: d, MinSamplesSplit: s, MinSamplesLeaf: 1, MaxFeatures: 1, Bootstrap: true, LogTarget: lg, Seed: seed})
			}
		}
	}
	var ps []PolyParams
	for _, p := range VidurPolyGrid() {
		if p.Degree <= 3 && !p.InteractionOnly && p.IncludeBias != p.FitIntercept {
			ps = append(ps, p)
		}
	}
	return SearchGrid{Name: "small", Forest: fs, Poly: ps}
}

// GridByName returns the named grid: "vidur" or "small".
func GridByName(name string, seed uint64) (SearchGrid, error) {
	switch name {
	case "vidur", "":
		return VidurGrid(seed), nil
	case "small":
		return SmallGrid(seed), nil
	}
	return SearchGrid{}, fmt.Errorf("train: unknown grid %q (want vidur or small)", name)
}

// model is a fitted predictor of one operator.
type model interface {
	Predict(x []float64) float64
}

// KindResult is one kind's cross-validated score on an operator.
type KindResult struct {
	Kind Kind    `json:"kind"`
	MAPE float64 `json:"cv_mape"`
	// Params are the winning hyper-parameters (forest.Params or PolyParams as JSON; none
	// for interp).
	Params json.RawMessage `json:"params,omitempty"`
	// Note says why a kind was not scored (e.g. too few rows), when MAPE is NaN.
	Note string `json:"note,omitempty"`

	pred    []float64 // CV predictions per row
	forestP *forest.Params
	polyP   *PolyParams
}

// searchConfig are the knobs of one operator's selection.
type searchConfig struct {
	kinds   []Kind
	grid    SearchGrid
	fold    []int // fold id per row
	k       int
	oob     bool // forests scored out of bag instead of by fold
	workers int
}

// crossValidate scores every kind on t and returns the results in cfg.kinds order.
func crossValidate(t *table, cfg searchConfig) ([]KindResult, error) {
	var out []KindResult
	for _, kind := range cfg.kinds {
		var r KindResult
		var err error
		switch kind {
		case KindForest:
			r, err = cvForest(t, cfg)
		case KindLinear:
			r, err = cvPoly(t, cfg)
		case KindInterp:
			r, err = cvInterp(t, cfg)
		default:
			return nil, fmt.Errorf("train: kind %q cannot be cross-validated", kind)
		}
		if err != nil {
			return nil, err
		}
		r.Kind = kind
		out = append(out, r)
	}
	return out, nil
}

// best returns the index of the lowest finite MAPE (the first on ties), or -1.
func best(rs []KindResult) int {
	b := -1
	for i, r := range rs {
		if !math.IsNaN(r.MAPE) && (b < 0 || r.MAPE < rs[b].MAPE) {
			b = i
		}
	}
	return b
}

func cvForest(t *table, cfg searchConfig) (KindResult, error) {
	grid := cfg.grid.Forest
	positive := !slices.ContainsFunc(t.y, func(v float64) bool { return v <= 0 })
	if !positive {
		// log(y) needs y > 0; a table with zero times keeps its raw-target points.
		grid = slices.DeleteFunc(slices.Clone(grid), func(p forest.Params) bool { return p.LogTarget })
	}
	if len(grid) == 0 {
		return KindResult{MAPE: math.NaN(), Note: "every forest grid point needs a log target and some times are 0"}, nil
	}
	m, err := forest.NewMatrix(t.x)
	if err != nil {
		return KindResult{}, err
	}
	preds, err := forestPredict(m, t.y, grid, cfg)
	if err != nil {
		return KindResult{}, err
	}
	var fold []int
	if !cfg.oob {
		fold = cfg.fold
	}
	bi, bm := -1, math.NaN()
	for i := range grid {
		s := cvScore(t.y, preds[i], fold, cfg.k)
		if bi < 0 || s < bm {
			bi, bm = i, s
		}
	}
	p := grid[bi]
	pred := preds[bi]
	if forest.Approximate(m, grid, bi) {
		// The point was chosen on shared trees; its recorded score, and the choice
		// between kinds, use the forest it really is.
		if preds, err = forestPredict(m, t.y, []forest.Params{p}, cfg); err != nil {
			return KindResult{}, err
		}
		pred = preds[0]
		bm = cvScore(t.y, pred, fold, cfg.k)
	}
	raw, _ := json.Marshal(p)
	return KindResult{MAPE: bm, Params: raw, pred: pred, forestP: &p}, nil
}

// forestPredict is every grid point's held-out predictions: out-of-bag or k-fold, as
// cfg says.
func forestPredict(m *forest.Matrix, y []float64, grid []forest.Params, cfg searchConfig) ([][]float64, error) {
	if cfg.oob {
		return forest.OOBPredict(m, y, grid, cfg.workers)
	}
	return forest.CrossPredict(m, y, cfg.fold, cfg.k, grid, cfg.workers)
}

func foldSplit(t *table, fold []int, f int) (tx [][]float64, ty []float64, test []int) {
	for i := range t.x {
		if fold[i] == f {
			test = append(test, i)
		} else {
			tx = append(tx, t.x[i])
			ty = append(ty, t.y[i])
		}
	}
	return tx, ty, test
}

func cvPoly(t *table, cfg searchConfig) (KindResult, error) {
	bi, bm := -1, math.NaN()
	var bp []float64
	for i, p := range cfg.grid.Poly {
		pred := make([]float64, len(t.y))
		for f := range cfg.k {
			tx, ty, test := foldSplit(t, cfg.fold, f)
			fit, err := FitPoly(tx, ty, p)
			if err != nil {
				return KindResult{}, err
			}
			for _, r := range test {
				pred[r] = fit.Predict(t.x[r])
			}
		}
		if s := cvScore(t.y, pred, cfg.fold, cfg.k); bi < 0 || s < bm {
			bi, bm, bp = i, s, pred
		}
	}
	if bi < 0 {
		return KindResult{MAPE: math.NaN(), Note: "empty polynomial grid"}, nil
	}
	p := cfg.grid.Poly[bi]
	raw, _ := json.Marshal(p)
	return KindResult{MAPE: bm, Params: raw, pred: bp, polyP: &p}, nil
}

func cvInterp(t *table, cfg searchConfig) (KindResult, error) {
	pred := make([]float64, len(t.y))
	for f := range cfg.k {
		tx, ty, test := foldSplit(t, cfg.fold, f)
		fit, err := FitInterp(tx, ty)
		if err != nil {
			return KindResult{}, err
		}
		for _, r := range test {
			pred[r] = fit.Predict(t.x[r])
		}
	}
	return KindResult{MAPE: cvScore(t.y, pred, cfg.fold, cfg.k), pred: pred}, nil
}

// fitKind refits the chosen kind on every row.
func fitKind(t *table, r KindResult, workers int) (model, error) {
	switch r.Kind {
	case KindForest:
		return forest.Fit(t.x, t.y, *r.forestP, forest.FitOptions{Workers: workers})
	case KindLinear:
		return FitPoly(t.x, t.y, *r.polyP)
	case KindInterp, KindRoofline:
		return FitInterp(t.x, t.y)
	}
	return nil, fmt.Errorf("train: cannot fit kind %q", r.Kind)
}

// forestSpread is the part of *forest.Forest that grids use for P10/P90.
type forestSpread interface {
	PredictSpread(x, buf []float64) (mean, p10, p90 float64)
	Thresholds() [][]float64
}

var _ forestSpread = (*forest.Forest)(nil)
