package metrics

import "math"

// seriesBuckets is how many time buckets a series keeps; when simulated time outgrows
// them, neighbours merge and the bucket width doubles, so memory stays fixed however
// long the run.
const seriesBuckets = 512

// series accumulates a sum and a count per time bucket, from which plots show event
// rates (count/width) and means (sum/count) over time.
type series struct {
	width      float64 // seconds per bucket
	sum, count [seriesBuckets]float64
}

func newSeries() *series { return &series{width: 1} }

func (s *series) add(t, v float64) {
	if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 {
		return
	}
	for t >= s.width*seriesBuckets {
		s.coarsen()
	}
	i := int(t / s.width)
	if i >= seriesBuckets { // float rounding at the top edge
		i = seriesBuckets - 1
	}
	s.sum[i] += v
	s.count[i]++
}

// coarsen merges neighbouring buckets and doubles the width.
func (s *series) coarsen() {
	for i := 0; i < seriesBuckets/2; i++ {
		s.sum[i] = s.sum[2*i] + s.sum[2*i+1]
		s.count[i] = s.count[2*i] + s.count[2*i+1]
	}
	for i := seriesBuckets / 2; i < seriesBuckets; i++ {
		s.sum[i], s.count[i] = 0, 0
	}
	s.width *= 2
}

// used returns how many buckets hold data up to the last non-empty one.
func (s *series) used() int {
	for i := seriesBuckets - 1; i >= 0; i-- {
		if s.count[i] > 0 {
			return i + 1
		}
	}
	return 0
}
