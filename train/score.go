package train

import (
	"math"
	"slices"
)

// ape is one row's absolute percentage error as Vidur scores it (reference §3.3): for a
// measured 0 the error is 0 when the prediction is 0 as well, else 100.
func ape(y, pred float64) float64 {
	if y == 0 {
		if pred == 0 {
			return 0
		}
		return 100
	}
	return math.Abs(y-pred) / math.Abs(y) * 100
}

// Scores summarise a predictor's errors on a set of rows.
type Scores struct {
	MAPE   float64 `json:"mape"`    // mean absolute percentage error, %
	P90APE float64 `json:"p90_ape"` // 90th percentile of the APE, %
	MaxAPE float64 `json:"max_ape"` // %
	Rows   int     `json:"rows"`
}

// mape is Vidur's score: the mean APE over the rows that have a prediction (NaN marks a
// row without one, such as a row every tree drew into its bootstrap sample).
func mape(y, pred []float64) float64 {
	var s float64
	n := 0
	for i := range y {
		if math.IsNaN(pred[i]) {
			continue
		}
		s += ape(y[i], pred[i])
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// score computes every summary of pred against y, skipping NaN predictions.
func score(y, pred []float64) Scores {
	apes := make([]float64, 0, len(y))
	var s float64
	for i := range y {
		if math.IsNaN(pred[i]) {
			continue
		}
		a := ape(y[i], pred[i])
		apes = append(apes, a)
		s += a
	}
	if len(apes) == 0 {
		return Scores{MAPE: math.NaN(), P90APE: math.NaN(), MaxAPE: math.NaN()}
	}
	slices.Sort(apes)
	h := 0.9 * float64(len(apes)-1)
	i := int(h)
	p90 := apes[i]
	if i+1 < len(apes) {
		p90 += (h - float64(i)) * (apes[i+1] - apes[i])
	}
	return Scores{MAPE: s / float64(len(apes)), P90APE: p90, MaxAPE: apes[len(apes)-1], Rows: len(apes)}
}

// contiguousFolds assigns rows to k folds as sklearn's KFold without shuffling: fold f
// is one contiguous block, the first n%k folds one row longer.
func contiguousFolds(n, k int) []int {
	fold := make([]int, n)
	start := 0
	for f := range k {
		size := n / k
		if f < n%k {
			size++
		}
		for i := start; i < start+size; i++ {
			fold[i] = f
		}
		start += size
	}
	return fold
}

// interleavedFolds puts row i in fold i mod k, so that every fold samples the whole range
// of a table sorted by its features; used by compare, where contiguous folds would turn
// cross-validation into extrapolation.
func interleavedFolds(n, k int) []int {
	fold := make([]int, n)
	for i := range fold {
		fold[i] = i % k
	}
	return fold
}

// foldCount is Vidur's rule: k folds, or 2 when the table has fewer than k rows.
func foldCount(n, k int) int {
	if n < k {
		return 2
	}
	return k
}
