package train

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
)

// CompareOptions say what Compare puts side by side.
type CompareOptions struct {
	Selection
	// Kinds are cross-validated with k = Folds folds assigned by CV (the zero value is
	// CVInterleaved: row i in fold i mod k) and scored by the mean of the folds' MAPE.
	Kinds   []Kind
	Grid    SearchGrid
	Folds   int
	CV      CVScheme
	Workers int
	// Artifacts are scored by looking every row up in their grids (no refit).
	Artifacts []*Artifact
	// Synth, when set, are rows of profile synth for the same GPU and model: the
	// "roofline" predictor, interpolated at the measured rows.
	Synth []profile.Row
	// Holdout, when set, is a second measured dataset: every kind is refit on all rows
	// with its best hyper-parameters and scored on it, and artifacts are scored on it.
	Holdout []profile.Row
}

// CompareRow is one predictor's accuracy on one operator.
type CompareRow struct {
	Op        string
	Predictor string // a kind, "roofline", or "artifact:<short id>"
	Scores
	// OODShare is the share of scored rows outside the training domain (per feature
	// range of the rows it was fitted on).
	OODShare float64
	// Synthetic says that the artifact's operator was trained on profile synth rows
	// (the roofline), not on measurements; the predictor name ends in "(synthetic)".
	Synthetic bool
	Holdout   *Scores
	// Measured and Predicted are the scored rows, for plots.
	Measured, Predicted []float64
}

// Compare scores every requested predictor on every operator of m found in rows.
// Operators without rows are skipped; any other selection error is returned.
func Compare(rows []profile.Row, m catalog.Model, opt CompareOptions) ([]CompareRow, error) {
	if opt.Folds < 2 {
		return nil, fmt.Errorf("train: compare: %d folds; need at least 2", opt.Folds)
	}
	scheme, err := ParseCVScheme(string(opt.CV))
	if err != nil {
		return nil, err
	}
	var out []CompareRow
	for _, spec := range Operators(m) {
		t, err := selectRows(rows, spec, m, opt.Selection)
		if errors.Is(err, ErrNoRows) || !spec.Required && errors.Is(err, ErrFilteredOut) {
			// Nothing measured to score against; an artifact that filled the operator
			// from profile synth is still listed, so that the table shows it is synthetic.
			out = append(out, unscoredSynthetic(opt.Artifacts, spec.Op)...)
			continue
		}
		if err != nil {
			return nil, err
		}
		var hold *table
		if opt.Holdout != nil {
			if hold, err = selectRows(opt.Holdout, spec, m, opt.Selection); err != nil && !errors.Is(err, ErrNoRows) {
				return nil, fmt.Errorf("holdout: %w", err)
			}
		}
		k := foldCount(len(t.y), opt.Folds)
		fold := scheme.folds(len(t.y), k)
		ood := foldOOD(t, fold, k)
		if len(opt.Kinds) > 0 {
			results, err := crossValidate(t, searchConfig{kinds: opt.Kinds, grid: opt.Grid, fold: fold, k: k, workers: opt.Workers})
			if err != nil {
				return nil, fmt.Errorf("train: compare %s: %w", spec.Op, err)
			}
			for _, r := range results {
				row := CompareRow{Op: spec.Op, Predictor: string(r.Kind), Scores: score(t.y, r.pred), OODShare: ood,
					Measured: t.y, Predicted: r.pred}
				if r.pred == nil {
					row.Scores = Scores{MAPE: math.NaN(), P90APE: math.NaN(), MaxAPE: math.NaN()}
				} else {
					// The kind's CV score (mean of the folds' MAPE), as selection and
					// sklearn's GridSearchCV compute it.
					row.MAPE = r.MAPE
				}
				if hold != nil && r.pred != nil {
					fit, err := fitKind(t, r, opt.Workers)
					if err != nil {
						return nil, fmt.Errorf("train: compare %s: %w", spec.Op, err)
					}
					s := scoreModel(hold, fit)
					row.Holdout = &s
				}
				out = append(out, row)
			}
		}
		if opt.Synth != nil {
			st, err := selectRows(opt.Synth, spec, m, opt.Selection)
			if err == nil {
				fit, err := FitInterp(st.x, st.y)
				if err != nil {
					return nil, err
				}
				pred := predictAll(t, fit)
				row := CompareRow{Op: spec.Op, Predictor: string(KindRoofline), Scores: score(t.y, pred),
					OODShare: domainShare(t, st), Measured: t.y, Predicted: pred}
				if hold != nil {
					s := scoreModel(hold, fit)
					row.Holdout = &s
				}
				out = append(out, row)
			} else if !errors.Is(err, ErrNoRows) {
				return nil, fmt.Errorf("synth: %w", err)
			}
		}
		for _, a := range opt.Artifacts {
			row, err := compareArtifact(a, spec, t, hold)
			if err != nil {
				return nil, err
			}
			if row != nil {
				out = append(out, *row)
			}
		}
	}
	return out, nil
}

func predictAll(t *table, m model) []float64 {
	pred := make([]float64, len(t.y))
	for i, x := range t.x {
		pred[i] = m.Predict(x)
	}
	return pred
}

func scoreModel(t *table, m model) Scores {
	if t == nil {
		return Scores{}
	}
	return score(t.y, predictAll(t, m))
}

// foldOOD is the share of rows outside the per-feature range of their fold's training rows.
func foldOOD(t *table, fold []int, k int) float64 {
	nf := len(t.x[0])
	lo := make([][]float64, k)
	hi := make([][]float64, k)
	for f := range k {
		lo[f] = slices.Repeat([]float64{math.Inf(1)}, nf)
		hi[f] = slices.Repeat([]float64{math.Inf(-1)}, nf)
		for i, x := range t.x {
			if fold[i] == f {
				continue
			}
			for j, v := range x {
				lo[f][j], hi[f][j] = math.Min(lo[f][j], v), math.Max(hi[f][j], v)
			}
		}
	}
	n := 0
	for i, x := range t.x {
		for j, v := range x {
			if v < lo[fold[i]][j] || v > hi[fold[i]][j] {
				n++
				break
			}
		}
	}
	return float64(n) / float64(len(t.x))
}

// domainShare is the share of t's rows outside the feature ranges of train.
func domainShare(t, train *table) float64 {
	nf := len(train.x[0])
	lo := slices.Repeat([]float64{math.Inf(1)}, nf)
	hi := slices.Repeat([]float64{math.Inf(-1)}, nf)
	for _, x := range train.x {
		for j, v := range x {
			lo[j], hi[j] = math.Min(lo[j], v), math.Max(hi[j], v)
		}
	}
	n := 0
	for _, x := range t.x {
		for j, v := range x {
			if v < lo[j] || v > hi[j] {
				n++
				break
			}
		}
	}
	return float64(n) / float64(len(t.x))
}

// gridModel answers from an artifact's grid, mapping model features to grid axes.
type gridModel struct {
	g    *Grid
	spec OpSpec
	oob  int // lookups outside the grid
}

func (m *gridModel) Predict(x []float64) float64 {
	var p []float64
	switch m.spec.class {
	case classPrefill:
		p = []float64{x[0], math.Sqrt(x[1])}
	case classCollective:
		p = []float64{x[1], x[2], x[0]}
	case classMoE:
		p = []float64{x[1], x[2], x[0]}
	default:
		p = x
	}
	v, out := m.g.At(p)
	if out {
		m.oob++
	}
	return v
}

// artifactLabel names an artifact's predictor of op in compare's table and says whether
// the operator was trained on roofline rows.
func artifactLabel(a *Artifact, op string) (string, bool) {
	label := "artifact:" + a.Manifest.ShortID()
	for _, r := range a.Manifest.Operators {
		if r.Op == op && r.Synthetic {
			return label + " (synthetic)", true
		}
	}
	return label, false
}

// unscoredSynthetic lists the artifacts whose op came from profile synth, for an
// operator without measured rows: no scores (NaN), no rows.
func unscoredSynthetic(arts []*Artifact, op string) []CompareRow {
	var out []CompareRow
	nan := math.NaN()
	for _, a := range arts {
		if !slices.Contains(a.Ops(), op) {
			continue
		}
		if label, synth := artifactLabel(a, op); synth {
			out = append(out, CompareRow{Op: op, Predictor: label, Synthetic: true, Scores: Scores{MAPE: nan, P90APE: nan, MaxAPE: nan}})
		}
	}
	return out
}

func compareArtifact(a *Artifact, spec OpSpec, t, hold *table) (*CompareRow, error) {
	if !slices.Contains(a.Ops(), spec.Op) {
		return nil, nil
	}
	label, synth := artifactLabel(a, spec.Op)
	g, err := a.Grid(spec.Op)
	if err != nil {
		return nil, err
	}
	gm := &gridModel{g: g, spec: spec}
	pred := predictAll(t, gm)
	row := &CompareRow{Op: spec.Op, Predictor: label, Synthetic: synth, Scores: score(t.y, pred),
		OODShare: float64(gm.oob) / float64(len(t.y)), Measured: t.y, Predicted: pred}
	if hold != nil {
		s := scoreModel(hold, gm)
		row.Holdout = &s
	}
	return row, nil
}
