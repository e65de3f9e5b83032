package workload

import (
	"errors"
	"fmt"
	"math"
)

// Synthetic combines a length and an interval generator into a Source, the way Vidur's
// synthetic request generator does:
//
//   - for each request it draws the interval first, then the lengths, both from the
//     same random stream when the generators share one *rand.Rand (as Vidur's share
//     Python's global RNG);
//   - if Duration > 0 it generates while the clock is below Duration and drops
//     requests arriving at or after it (NumRequests is then ignored, as in Vidur);
//   - else if NumRequests > 0 it generates exactly that many;
//   - else a generator must be finite (an arrival or length trace) and it generates
//     until one runs out.
//
// Where Vidur would crash because a trace ran out before NumRequests or Duration was
// reached, Synthetic simply ends the workload there.
type Synthetic struct {
	lengths     LengthGenerator
	intervals   IntervalGenerator
	numRequests int
	duration    float64

	n     int
	clock float64
	done  bool
}

// NewSynthetic returns the synthetic workload. numRequests ≤ 0 and duration ≤ 0 mean
// unset; with both unset one of the generators must be a trace.
func NewSynthetic(lengths LengthGenerator, intervals IntervalGenerator, numRequests int, duration float64) (*Synthetic, error) {
	if lengths == nil || intervals == nil {
		return nil, errors.New("workload: synthetic workload needs a length and an interval generator")
	}
	if math.IsNaN(duration) || math.IsInf(duration, 0) {
		return nil, fmt.Errorf("workload: duration %g is not finite", duration)
	}
	if numRequests <= 0 && duration <= 0 {
		_, finiteI := intervals.(*TraceIntervals)
		_, finiteL := lengths.(*TraceLengths)
		if !finiteI && !finiteL {
			return nil, errors.New("workload: synthetic workload needs num_requests, a duration, or a trace interval or length generator to end it")
		}
	}
	return &Synthetic{lengths: lengths, intervals: intervals, numRequests: numRequests, duration: duration}, nil
}

// Next implements Source.
func (s *Synthetic) Next() (Request, bool) {
	if s.done || (s.duration <= 0 && s.numRequests > 0 && s.n >= s.numRequests) {
		s.done = true
		return Request{}, false
	}
	dt, ok := s.intervals.NextInterval()
	if !ok {
		s.done = true
		return Request{}, false
	}
	p, d, ok := s.lengths.NextLengths()
	if !ok {
		s.done = true
		return Request{}, false
	}
	s.clock += dt
	if s.duration > 0 && s.clock >= s.duration {
		s.done = true
		return Request{}, false
	}
	r := Request{ID: s.n, ArrivedAt: s.clock, NumPrefillTokens: p, NumDecodeTokens: d}
	s.n++
	return r, true
}

// Err implements Source; generated workloads cannot fail once built.
func (s *Synthetic) Err() error { return nil }
