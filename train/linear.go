package train

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PolyParams are the hyper-parameters of Vidur's second predictor, a scikit-learn
// pipeline PolynomialFeatures(degree, interaction_only, include_bias) → LinearRegression
// (fit_intercept).
type PolyParams struct {
	Degree          int  `json:"degree"`
	IncludeBias     bool `json:"include_bias"`
	InteractionOnly bool `json:"interaction_only"`
	FitIntercept    bool `json:"fit_intercept"`
}

// VidurPolyGrid is Vidur's grid: degree 1..5 × include_bias × interaction_only ×
// fit_intercept, 40 points.
func VidurPolyGrid() []PolyParams {
	var g []PolyParams
	for d := 1; d <= 5; d++ {
		for _, b := range []bool{true, false} {
			for _, io := range []bool{true, false} {
				for _, fi := range []bool{true, false} {
					g = append(g, PolyParams{Degree: d, IncludeBias: b, InteractionOnly: io, FitIntercept: fi})
				}
			}
		}
	}
	return g
}

// Poly is a fitted polynomial least-squares model.
type Poly struct {
	Params PolyParams `json:"params"`
	// Scale divides each raw feature before expansion. Dividing by a constant spans the
	// same model space, so the fit is sklearn's, but the normal matrix of num_tokens⁵
	// (up to 10^18) stays well conditioned.
	Scale     []float64 `json:"scale"`
	Terms     [][]int   `json:"terms"` // each term is a product of these feature indices ([] is the bias)
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
}

// polyTerms lists the monomials of PolynomialFeatures in sklearn's order: by degree,
// then combinations (with replacement unless interactionOnly) of feature indices.
func polyTerms(nf int, p PolyParams) [][]int {
	var terms [][]int
	if p.IncludeBias {
		terms = append(terms, []int{})
	}
	var rec func(prefix []int, start, left int)
	rec = func(prefix []int, start, left int) {
		if left == 0 {
			terms = append(terms, append([]int(nil), prefix...))
			return
		}
		for f := start; f < nf; f++ {
			next := f
			if p.InteractionOnly {
				next = f + 1
			}
			rec(append(prefix, f), next, left-1)
		}
	}
	for d := 1; d <= p.Degree; d++ {
		rec(nil, 0, d)
	}
	return terms
}

func (m *Poly) expand(x []float64, dst []float64) []float64 {
	dst = dst[:0]
	for _, t := range m.Terms {
		v := 1.0
		for _, f := range t {
			v *= x[f] / m.Scale[f]
		}
		dst = append(dst, v)
	}
	return dst
}

// FitPoly fits a polynomial least-squares model. Like sklearn's LinearRegression it
// returns the minimum-norm solution when columns are collinear (a bias column together
// with fit_intercept, or interaction-only terms of one feature).
func FitPoly(x [][]float64, y []float64, p PolyParams) (*Poly, error) {
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("train: polynomial fit: %d rows, %d targets", len(x), len(y))
	}
	if p.Degree < 1 {
		return nil, fmt.Errorf("train: polynomial degree %d < 1", p.Degree)
	}
	nf := len(x[0])
	m := &Poly{Params: p, Scale: make([]float64, nf), Terms: polyTerms(nf, p)}
	for f := range nf {
		m.Scale[f] = 1
		for _, r := range x {
			m.Scale[f] = math.Max(m.Scale[f], math.Abs(r[f]))
		}
	}
	nt := len(m.Terms)
	m.Coef = make([]float64, nt)
	if nt == 0 {
		// interaction_only with one feature and no bias still has the degree-1 term, so
		// this only happens for degenerate inputs; predict the intercept (or 0).
		if p.FitIntercept {
			m.Intercept = mean(y)
		}
		return m, nil
	}
	a := mat.NewDense(len(x), nt, nil)
	row := make([]float64, 0, nt)
	for i, r := range x {
		row = m.expand(r, row)
		a.SetRow(i, row)
	}
	b := mat.NewVecDense(len(y), append([]float64(nil), y...))
	colMean := make([]float64, nt)
	var yMean float64
	if p.FitIntercept {
		yMean = mean(y)
		for j := range nt {
			var s float64
			for i := range len(x) {
				s += a.At(i, j)
			}
			colMean[j] = s / float64(len(x))
			for i := range len(x) {
				a.Set(i, j, a.At(i, j)-colMean[j])
			}
		}
		for i := range len(y) {
			b.SetVec(i, y[i]-yMean)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, fmt.Errorf("train: polynomial fit %+v: SVD did not converge", p)
	}
	// numpy.linalg.lstsq's default cut-off: eps · max(rows, cols) · σ_max.
	rank := svd.Rank(2.220446049250313e-16 * float64(max(len(x), nt)))
	if rank > 0 {
		var sol mat.VecDense
		svd.SolveVecTo(&sol, b, rank)
		for j := range nt {
			m.Coef[j] = sol.AtVec(j)
		}
	}
	if p.FitIntercept {
		m.Intercept = yMean
		for j := range nt {
			m.Intercept -= m.Coef[j] * colMean[j]
		}
	}
	return m, nil
}

// Predict evaluates the polynomial at x.
func (m *Poly) Predict(x []float64) float64 {
	v := m.Intercept
	for j, t := range m.Terms {
		z := m.Coef[j]
		for _, f := range t {
			z *= x[f] / m.Scale[f]
		}
		v += z
	}
	return v
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
