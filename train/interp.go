package train

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Interp is piecewise-linear interpolation over the measured points, the baseline that
// Vidur's reference notes ask for (§3.8): exact on every measured point, no fitting.
//
// Feature 0 is the inner axis. The other features pick lines: the measured rows that
// share one value of them, each a 1-D interpolant along feature 0 (rows at the same
// point are averaged).
//   - One feature: one line.
//   - Two features: the query interpolates along each of the two nearest lines (by
//     feature 1) on either side of it whose measured range of feature 0 covers the query,
//     then linearly between them in feature 1. Measured attention tables are not full
//     lattices (the memory filter drops corners, and full-prefill chunks have kv = 0 only),
//     so lines that do not reach the query are skipped rather than extrapolated.
//   - Three or more: features 1.. are categorical (a collective's group size and ranks
//     per node); a query uses the line of its exact combination.
//
// Outside the measured domain a query is clamped to the nearest measured value and
// reported out of domain.
type Interp struct {
	NFeatures int          `json:"n_features"`
	Lines     []interpLine `json:"lines"` // sorted by Outer
}

type interpLine struct {
	Outer []float64 `json:"outer"` // features 1..
	X     []float64 `json:"x"`     // feature 0, ascending, distinct
	Y     []float64 `json:"y"`
}

// FitInterp builds the interpolant of the rows (x[i], y[i]).
func FitInterp(x [][]float64, y []float64) (*Interp, error) {
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("train: interpolation: %d rows, %d targets", len(x), len(y))
	}
	nf := len(x[0])
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	cmpRow := func(a, b []float64) int {
		if c := slices.Compare(a[1:], b[1:]); c != 0 {
			return c
		}
		return cmp.Compare(a[0], b[0])
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpRow(x[a], x[b]) })
	m := &Interp{NFeatures: nf}
	for i := 0; i < len(idx); {
		r := x[idx[i]]
		if len(m.Lines) == 0 || !slices.Equal(m.Lines[len(m.Lines)-1].Outer, r[1:]) {
			m.Lines = append(m.Lines, interpLine{Outer: append([]float64(nil), r[1:]...)})
		}
		l := &m.Lines[len(m.Lines)-1]
		j := i
		var s float64
		for j < len(idx) && cmpRow(x[idx[j]], r) == 0 {
			s += y[idx[j]]
			j++
		}
		l.X = append(l.X, r[0])
		l.Y = append(l.Y, s/float64(j-i))
		i = j
	}
	return m, nil
}

// at interpolates along the line; ood reports a clamped query.
func (l *interpLine) at(v float64) (float64, bool) {
	n := len(l.X)
	if v <= l.X[0] {
		return l.Y[0], v < l.X[0]
	}
	if v >= l.X[n-1] {
		return l.Y[n-1], v > l.X[n-1]
	}
	i, found := slices.BinarySearch(l.X, v)
	if found {
		return l.Y[i], false
	}
	t := (v - l.X[i-1]) / (l.X[i] - l.X[i-1])
	return l.Y[i-1] + t*(l.Y[i]-l.Y[i-1]), false
}

func (l *interpLine) covers(v float64) bool { return l.X[0] <= v && v <= l.X[len(l.X)-1] }

// Predict implements the model interface.
func (m *Interp) Predict(x []float64) float64 {
	v, _ := m.PredictDomain(x)
	return v
}

// PredictDomain returns the interpolated value and whether x lies outside the measured
// domain (the value is then clamped).
func (m *Interp) PredictDomain(x []float64) (float64, bool) {
	switch {
	case m.NFeatures == 1:
		return m.Lines[0].at(x[0])
	case m.NFeatures == 2:
		return m.predict2(x[0], x[1])
	}
	best, bestD := -1, math.Inf(1)
	for i := range m.Lines {
		var d float64
		for j, o := range m.Lines[i].Outer {
			d += math.Abs(math.Log1p(math.Abs(x[j+1])) - math.Log1p(math.Abs(o)))
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	v, ood := m.Lines[best].at(x[0])
	return v, ood || bestD > 0
}

func (m *Interp) predict2(inner, outer float64) (float64, bool) {
	// The first line with Outer >= outer.
	k, _ := slices.BinarySearchFunc(m.Lines, outer, func(l interpLine, o float64) int { return cmp.Compare(l.Outer[0], o) })
	lo, hi := -1, -1
	for i := k - 1; i >= 0; i-- {
		if m.Lines[i].covers(inner) {
			lo = i
			break
		}
	}
	for i := k; i < len(m.Lines); i++ {
		if m.Lines[i].covers(inner) {
			hi = i
			break
		}
	}
	if hi >= 0 && m.Lines[hi].Outer[0] == outer {
		v, _ := m.Lines[hi].at(inner)
		return v, false
	}
	switch {
	case lo >= 0 && hi >= 0:
		a, _ := m.Lines[lo].at(inner)
		b, _ := m.Lines[hi].at(inner)
		oa, ob := m.Lines[lo].Outer[0], m.Lines[hi].Outer[0]
		return a + (outer-oa)/(ob-oa)*(b-a), false
	case lo >= 0:
		v, _ := m.Lines[lo].at(inner)
		return v, true
	case hi >= 0:
		v, _ := m.Lines[hi].at(inner)
		return v, true
	}
	// No line reaches the query: clamp along the nearest line.
	i := min(k, len(m.Lines)-1)
	if k > 0 && (k == len(m.Lines) || outer-m.Lines[k-1].Outer[0] < m.Lines[k].Outer[0]-outer) {
		i = k - 1
	}
	v, _ := m.Lines[i].at(inner)
	return v, true
}
