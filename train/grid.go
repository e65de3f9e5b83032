package train

// Grid is an operator's prediction table over a rectangular lattice of feature values,
// computed once at train time so that the simulator never walks trees: a lookup is an
// index computation into Median.
//
// Axes[i] holds the ascending values of Features[i]. Values are stored row-major with the
// last feature varying fastest, so the flat index of (a0, a1, …) is
// ((a0·len(Axes[1]) + a1)·len(Axes[2]) + a2)… . P10 and P90 carry the spread across trees
// (empty for predictors without one); all times are milliseconds.
type Grid struct {
	Op       string      `json:"op"`
	Features []string    `json:"features"`
	Axes     [][]float64 `json:"axes"`
	Median   []float64   `json:"median"`
	P10      []float64   `json:"p10,omitempty"`
	P90      []float64   `json:"p90,omitempty"`
}
