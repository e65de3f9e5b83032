package workload

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// IntervalGenerator draws the time from one synthetic request's arrival to the next.
// ok is false when a finite generator (an arrival trace) has no more intervals.
type IntervalGenerator interface {
	NextInterval() (seconds float64, ok bool)
}

// PoissonIntervals is Vidur's "poisson" generator: exponential gaps with mean 1/qps,
// clamped to at most 3/qps as Vidur does (so the realised rate is a little above qps).
type PoissonIntervals struct {
	rng           *rand.Rand
	qps, maxDelta float64
}

// NewPoissonIntervals returns Poisson arrivals at qps requests per second (Vidur's
// default is 0.5).
func NewPoissonIntervals(rng *rand.Rand, qps float64) (*PoissonIntervals, error) {
	if !(qps > 0) || math.IsInf(qps, 0) {
		return nil, fmt.Errorf("workload: poisson intervals: qps must be positive and finite, got %g", qps)
	}
	return &PoissonIntervals{rng: rng, qps: qps, maxDelta: 3 / qps}, nil
}

// NextInterval implements IntervalGenerator.
func (p *PoissonIntervals) NextInterval() (float64, bool) {
	return min(-math.Log(1-p.rng.Float64())/p.qps, p.maxDelta), true
}

// GammaIntervals is Vidur's "gamma" generator: gaps ~ Gamma(shape 1/cv², scale
// 1/(qps·shape)), so the mean gap is 1/qps and its coefficient of variation is cv. Vidur
// draws with scipy from numpy's global stream; llmsim draws from rng (Marsaglia–Tsang
// via gonum), so the values differ but the distribution is the same.
type GammaIntervals struct {
	g distuv.Gamma
}

// NewGammaIntervals returns gamma arrivals (Vidur's defaults: qps 0.2, cv 0.5).
func NewGammaIntervals(rng *rand.Rand, qps, cv float64) (*GammaIntervals, error) {
	if !(qps > 0) || math.IsInf(qps, 0) {
		return nil, fmt.Errorf("workload: gamma intervals: qps must be positive and finite, got %g", qps)
	}
	if !(cv > 0) || math.IsInf(cv, 0) {
		return nil, fmt.Errorf("workload: gamma intervals: cv must be positive and finite, got %g", cv)
	}
	shape := 1 / (cv * cv)
	scale := 1 / (qps * shape)
	return &GammaIntervals{g: distuv.Gamma{Alpha: shape, Beta: 1 / scale, Src: rng}}, nil
}

// NextInterval implements IntervalGenerator.
func (g *GammaIntervals) NextInterval() (float64, bool) { return g.g.Rand(), true }

// StaticIntervals is Vidur's "static" generator: every request arrives at t = 0.
type StaticIntervals struct{}

// NextInterval implements IntervalGenerator.
func (StaticIntervals) NextInterval() (float64, bool) { return 0, true }

// IntervalTraceOptions configures TraceIntervals. Vidur's defaults are start
// 1970-01-04 12:00:00, end 1970-01-04 15:00:00 and scale 1; a zero Start or End leaves
// that side open and a zero TimeScaleFactor means 1.
type IntervalTraceOptions struct {
	Start, End      time.Time
	TimeScaleFactor float64
}

// TraceIntervals is Vidur's "trace" interval generator. It keeps the rows of the
// arrival_time column (datetimes) strictly between Start and End, turns them into whole
// seconds since the earliest kept row (floor), scales them and hands out the
// differences. As in Vidur, the first interval handed out is the one between the first
// two kept rows, so the first request arrives at that gap, not at 0.
type TraceIntervals struct {
	deltas []float64
	next   int
}

// NewTraceIntervals reads the arrival trace at path.
func NewTraceIntervals(path string, opts IntervalTraceOptions) (*TraceIntervals, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("workload: %w", err)
	}
	defer f.Close()
	return ReadTraceIntervals(f, path, opts)
}

// ReadTraceIntervals reads an arrival trace from r; name is used in error messages.
// The kept rows must be in time order.
func ReadTraceIntervals(r io.Reader, name string, opts IntervalTraceOptions) (*TraceIntervals, error) {
	scale := opts.TimeScaleFactor
	if scale == 0 {
		scale = 1
	}
	if scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("workload: %s: time_scale_factor must be positive and finite, got %g", name, scale)
	}
	t, err := newTable(r, name, "arrival_time")
	if err != nil {
		return nil, err
	}
	var (
		first, prev time.Time
		kept        int
		last        float64
		deltas      []float64
	)
	for t.next() {
		ts, _, err := parseTimestamp(t.field(0))
		if err != nil {
			return nil, t.colErrorf(0, "%v", err)
		}
		if (!opts.Start.IsZero() && !ts.After(opts.Start)) || (!opts.End.IsZero() && !ts.Before(opts.End)) {
			continue
		}
		if kept > 0 && ts.Before(prev) {
			return nil, t.colErrorf(0, "%s is earlier than the previous row's %s; the trace must be sorted by time", t.field(0), prev.Format(time.DateTime))
		}
		if kept == 0 {
			first = ts
		}
		// pandas' (t − min) // 1s: whole seconds, floored.
		sec := float64(ts.Sub(first).Truncate(time.Second)/time.Second) * scale
		if kept > 0 {
			deltas = append(deltas, sec-last)
		}
		prev, last = ts, sec
		kept++
	}
	if err := t.err(); err != nil {
		return nil, err
	}
	if len(deltas) == 0 {
		return nil, fmt.Errorf("workload: %s: fewer than two arrivals between the start and end times", name)
	}
	return &TraceIntervals{deltas: deltas}, nil
}

// NextInterval implements IntervalGenerator.
func (t *TraceIntervals) NextInterval() (float64, bool) {
	if t.next >= len(t.deltas) {
		return 0, false
	}
	d := t.deltas[t.next]
	t.next++
	return d, true
}
