package train

import (
	"fmt"
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

// cvScore is a cross-validation score as sklearn's GridSearchCV computes it (Vidur's
// selection, and tools/sklearn-compare): the mean over the k folds of each fold's MAPE.
// Folds of unequal size weigh the same. With fold nil (out-of-bag predictions) it is
// the MAPE over all rows.
func cvScore(y, pred []float64, fold []int, k int) float64 {
	if fold == nil {
		return mape(y, pred)
	}
	sum := make([]float64, k)
	cnt := make([]int, k)
	for i := range y {
		if math.IsNaN(pred[i]) {
			continue
		}
		sum[fold[i]] += ape(y[i], pred[i])
		cnt[fold[i]]++
	}
	var s float64
	n := 0
	for f := range k {
		if cnt[f] > 0 {
			s += sum[f] / float64(cnt[f])
			n++
		}
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

// CVScheme says how k-fold cross-validation assigns rows to folds.
type CVScheme string

const (
	// CVInterleaved puts row i (in dataset order after the model's filters) in fold
	// i mod k, so every fold samples the whole range of a table sorted by its features:
	// it measures how well a kind predicts between measured points, which is what the
	// simulator asks of it. The default.
	CVInterleaved CVScheme = "interleaved"
	// CVContiguous is sklearn's KFold without shuffling, as Vidur's GridSearchCV uses:
	// each fold is one block of the sorted table, so every kind must extrapolate past
	// the block's ends, which forests cannot (17% MAPE against 2% interleaved on a100
	// Llama-2-7b). Kept for comparison with Vidur's selection.
	CVContiguous CVScheme = "contiguous"
)

// ParseCVScheme parses the --cv value.
func ParseCVScheme(s string) (CVScheme, error) {
	switch CVScheme(s) {
	case CVInterleaved, "":
		return CVInterleaved, nil
	case CVContiguous:
		return CVContiguous, nil
	}
	return "", fmt.Errorf("train: unknown cross-validation scheme %q (want interleaved or contiguous)", s)
}

// folds assigns n rows to k folds.
func (s CVScheme) folds(n, k int) []int {
	if s == CVContiguous {
		return contiguousFolds(n, k)
	}
	return interleavedFolds(n, k)
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

// interleavedFolds puts row i in fold i mod k (CVInterleaved).
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
