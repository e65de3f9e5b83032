package train

import (
	"math"
	"slices"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/profile"
	"github.com/llmsim/llmsim/train/forest"
)

// This file checks llmsim's accuracy numbers against scikit-learn's on the same rows:
// tools/sklearn-compare/cv_sklearn.py ran RandomForestRegressor over Vidur's full grid
// on a100 Llama-2-7b TP 1 with interleaved 10-fold CV and committed its output.

const sklearnResults = "../tools/sklearn-compare/results/sklearn_cv_a100_llama2_7b_tp1.csv"

// sklearnRef is one operator's line of the reference output.
type sklearnRef struct {
	rows           int
	forest, interp float64 // NaN when not reported
}

func readSklearnRef(tb testing.TB) map[string]sklearnRef {
	tb.Helper()
	col, recs := readCSV(tb, sklearnResults)
	out := map[string]sklearnRef{}
	for _, r := range recs { // operator,rows,sklearn_rf_mape,best_params,interp_mape,...
		out[r[col["operator"]]] = sklearnRef{
			rows:   int(num(tb, r[col["rows"]])),
			forest: num(tb, r[col["sklearn_rf_mape"]]),
			interp: num(tb, r[col["interp_mape"]]),
		}
	}
	return out
}

// llama2A100Ingested is the a100 Llama-2-7b table as llmsim builds it: the raw files
// through profile.Ingest, the reader and de-duplication every user gets.
func llama2A100Ingested(tb testing.TB) []profile.Row {
	tb.Helper()
	mlp := shareddata.Path(tb, "vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv")
	att := shareddata.Path(tb, "vidur_attention_sample/a100/meta-llama/Llama-2-7b-hf/attention.csv")
	ds, err := profile.Ingest(profile.IngestOptions{}, mlp, att)
	if err != nil {
		tb.Fatal(err)
	}
	return ds.Rows
}

// TestRowParityWithPandas checks that the training tables are the rows pandas gives
// cv_sklearn.py (read_csv, drop_duplicates, Vidur's filters), in file order: the same
// counts, and row for row the same features and targets as the raw CSV lines.
func TestRowParityWithPandas(t *testing.T) {
	ingested := llama2A100Ingested(t)
	raw := llama2A100Rows(t) // every CSV line; the files hold no exact duplicate line
	ref := readSklearnRef(t)
	sel := Selection{GPU: "a100", TP: 1, BlockSize: 16}
	for _, spec := range Operators(llama2_7b) {
		want, ok := ref[spec.Op]
		if !ok {
			continue
		}
		got, err := selectRows(ingested, spec, llama2_7b, sel)
		if err != nil {
			t.Fatal(err)
		}
		csvT, err := selectRows(raw, spec, llama2_7b, sel)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.y) != want.rows {
			t.Errorf("%s: %d rows, pandas has %d", spec.Op, len(got.y), want.rows)
			continue
		}
		if !slices.Equal(got.y, csvT.y) || !slices.EqualFunc(got.x, csvT.x, slices.Equal) {
			t.Errorf("%s: ingested rows differ from the CSV lines in file order", spec.Op)
		}
		if !slices.IsSortedFunc(got.rows, func(a, b *profile.Row) int { return int(a.Line - b.Line) }) {
			t.Errorf("%s: rows are not in file order", spec.Op)
		}
	}
}

// TestAccuracyParityWithSklearn cross-validates forest and interp exactly as
// cv_sklearn.py does (interleaved 10 folds, mean of the folds' MAPE, best of Vidur's
// 27 grid points). Interpolation has no randomness, so it must give numpy's numbers to
// the printed precision: that proves the rows, folds and score are the same. The
// forest is sklearn's, seed for seed, so its best score must be sklearn's too.
func TestAccuracyParityWithSklearn(t *testing.T) {
	if testing.Short() {
		t.Skip("short: the full grid on 11 operators")
	}
	rows := llama2A100Ingested(t)
	ref := readSklearnRef(t)
	res, err := Compare(rows, llama2_7b, CompareOptions{
		Selection: Selection{GPU: "a100", TP: 1, BlockSize: 16},
		Kinds:     []Kind{KindForest, KindInterp}, Grid: VidurGrid(0), Folds: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		want, ok := ref[r.Op]
		if !ok {
			continue
		}
		switch r.Predictor {
		case string(KindInterp):
			if !math.IsNaN(want.interp) && math.Abs(r.MAPE-want.interp) > 5e-5 {
				t.Errorf("%s: interp MAPE %.5f, numpy %.4f", r.Op, r.MAPE, want.interp)
			}
		case string(KindForest):
			if math.Abs(r.MAPE-want.forest) > 5e-5 {
				t.Errorf("%s: forest MAPE %.5f, sklearn %.4f", r.Op, r.MAPE, want.forest)
			}
		}
	}
}

const sklearnGrid = "../tools/sklearn-compare/results/sklearn_cv_grid_a100_llama2_7b_tp1.csv"

// TestForestCVBitIdenticalToSklearn recomputes, for every operator and every one of
// Vidur's 27 grid points, the cross-validated MAPE that scikit-learn 1.9 printed at
// full precision, from llmsim's forest predictions and numpy's summation order, and
// requires the same float64: the forests predicted the same bits on every held-out row.
func TestForestCVBitIdenticalToSklearn(t *testing.T) {
	if testing.Short() {
		t.Skip("short: the full grid on 11 operators")
	}
	rows := llama2A100Ingested(t)
	col, recs := readCSV(t, sklearnGrid)
	type point struct {
		op      string
		n, d, s int
	}
	want := map[point]float64{}
	for _, r := range recs {
		p := point{r[col["operator"]], int(num(t, r[col["n_estimators"]])), int(num(t, r[col["max_depth"]])),
			int(num(t, r[col["min_samples_split"]]))}
		want[p] = num(t, r[col["sklearn_rf_mape"]])
	}
	grid := VidurGrid(0).Forest
	sel := Selection{GPU: "a100", TP: 1, BlockSize: 16}
	checked := 0
	for _, spec := range Operators(llama2_7b) {
		if _, ok := want[point{spec.Op, 250, 8, 2}]; !ok {
			continue
		}
		tab, err := selectRows(rows, spec, llama2_7b, sel)
		if err != nil {
			t.Fatal(err)
		}
		m, err := forest.NewMatrix(tab.x)
		if err != nil {
			t.Fatal(err)
		}
		const k = 10
		fold := make([]int, len(tab.y))
		for i := range fold {
			fold[i] = i % k
		}
		preds, err := forest.CrossPredict(m, tab.y, fold, k, grid, 0)
		if err != nil {
			t.Fatal(err)
		}
		for g, p := range grid {
			scores := make([]float64, k)
			for f := range k {
				var errs []float64
				for i := f; i < len(tab.y); i += k {
					errs = append(errs, math.Abs(tab.y[i]-preds[g][i])/math.Abs(tab.y[i])*100)
				}
				scores[f] = numpySum(errs) / float64(len(errs))
			}
			got := numpySum(scores) / k
			w, ok := want[point{spec.Op, p.NEstimators, p.MaxDepth, p.MinSamplesSplit}]
			if !ok {
				t.Fatalf("%s: no sklearn score for %+v", spec.Op, p)
			}
			if math.Float64bits(got) != math.Float64bits(w) {
				t.Errorf("%s n=%d depth=%d split=%d: CV MAPE %.17g, sklearn %.17g", spec.Op,
					p.NEstimators, p.MaxDepth, p.MinSamplesSplit, got, w)
			}
			checked++
		}
	}
	if checked != 11*27 {
		t.Errorf("checked %d grid points, want %d", checked, 11*27)
	}
}

// numpySum adds like numpy's float64 add.reduce: pairwise, with eight accumulators
// on blocks of up to 128 elements.
func numpySum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range 8 {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	h := n / 2
	h -= h % 8
	return numpySum(a[:h]) + numpySum(a[h:])
}
