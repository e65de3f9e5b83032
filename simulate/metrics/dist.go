package metrics

import (
	"math"
	"slices"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

const (
	// sketchAccuracy is Vidur's CDFSketch accuracy: quantiles within 0.1% of the
	// true value.
	sketchAccuracy = 0.001
	// sketchBins bounds a sketch's memory; with 0.1% accuracy 16384 bins span values
	// over a factor of e^32, far more than any latency range.
	sketchBins = 1 << 14
	// exactSamples is how many values a distribution keeps verbatim, so that small runs
	// report exact quantiles (interpolated like numpy's default) and only larger ones
	// fall back to the sketch.
	exactSamples = 1 << 14
)

// dist summarises one metric's distribution in bounded memory: exact count, sum, min
// and max, the first exactSamples values, and, once there are more values than that, a
// DDSketch of all of them. The sketch is started only when the exact samples overflow,
// so runs of up to exactSamples values never pay for sketch inserts.
type dist struct {
	n        int
	sum      float64
	min, max float64
	exact    []float64
	sketch   *ddsketch.DDSketch
}

func newDist() *dist {
	return &dist{min: math.Inf(1), max: math.Inf(-1)}
}

// newSketch is a DDSketch with sketchAccuracy relative accuracy in at most sketchBins
// bins. The cubically interpolated mapping gives the same accuracy guarantee as the
// logarithmic one with a few multiplications instead of a logarithm per insert.
func newSketch() *ddsketch.DDSketch {
	m, err := mapping.NewCubicallyInterpolatedMapping(sketchAccuracy)
	if err != nil {
		panic(err) // sketchAccuracy is valid; only a programming error gets here
	}
	return ddsketch.NewDDSketch(m, store.NewCollapsingLowestDenseStore(sketchBins), store.NewCollapsingLowestDenseStore(sketchBins))
}

// add folds in v; NaN and infinities (a metric that does not apply) are skipped.
func (d *dist) add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	d.n++
	d.sum += v
	d.min = min(d.min, v)
	d.max = max(d.max, v)
	if len(d.exact) < exactSamples {
		d.exact = append(d.exact, v)
		return
	}
	if d.sketch == nil {
		d.sketch = newSketch()
		for _, x := range d.exact {
			// Add fails only for values it cannot index (NaN, ±Inf), excluded above.
			_ = d.sketch.Add(x)
		}
	}
	_ = d.sketch.Add(v)
}

// isExact reports whether quantiles are computed from every value.
func (d *dist) isExact() bool { return d.n <= exactSamples }

// quantiles returns the values at each q in qs (0..1). With every value at hand they
// are interpolated linearly between order statistics (numpy's and pandas' default);
// otherwise they come from the sketch, clamped to the exact min and max.
func (d *dist) quantiles(qs []float64) []float64 {
	out := make([]float64, len(qs))
	if d.n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	if d.isExact() {
		sorted := slices.Clone(d.exact)
		slices.Sort(sorted)
		for i, q := range qs {
			out[i] = interpolate(sorted, q)
		}
		return out
	}
	for i, q := range qs {
		v, err := d.sketch.GetValueAtQuantile(q)
		if err != nil {
			v = math.NaN()
		}
		out[i] = min(max(v, d.min), d.max)
	}
	return out
}

func interpolate(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	frac := pos - float64(lo)
	return sorted[lo] + (sorted[hi]-sorted[lo])*frac
}

// Stats is the summary of one distribution in summary.json. Quantiles are exact when
// Exact is true, else within 0.1% relative error (DDSketch). Empty distributions have
// Count 0 and nulls elsewhere.
type Stats struct {
	Count int      `json:"count"`
	Mean  *float64 `json:"mean"`
	Min   *float64 `json:"min"`
	P50   *float64 `json:"p50"`
	P90   *float64 `json:"p90"`
	P95   *float64 `json:"p95"`
	P99   *float64 `json:"p99"`
	Max   *float64 `json:"max"`
	Exact bool     `json:"exact"`
}

func (d *dist) stats() Stats {
	s := Stats{Count: d.n, Exact: d.isExact()}
	if d.n == 0 {
		return s
	}
	q := d.quantiles([]float64{0.5, 0.9, 0.95, 0.99})
	s.Mean, s.Min, s.Max = ptr(d.sum/float64(d.n)), ptr(d.min), ptr(d.max)
	s.P50, s.P90, s.P95, s.P99 = ptr(q[0]), ptr(q[1]), ptr(q[2]), ptr(q[3])
	return s
}

func ptr(v float64) *float64 { return &v }
