package metrics

import "math"

// meter is the time-weighted mean of a step function, as Vidur's SeriesAverageMeter
// keeps it for memory use, busy time and MFU. Each put(x, y) closes the segment from
// the previous x, weighted by the previous y.
//
// Vidur's meter starts with put(0, 0) and skips every segment whose start x is 0 (its
// "if not last_x" test), so time before the first update — and any segment starting
// exactly at t = 0 — is left out of its mean. vidurMean reproduces that; mean is the
// plain time average over [0, last x], the number a capacity planner usually wants.
//
// Vidur's memory meter is not time-weighted at all: MetricsStore passes its
// save_table_to_wandb setting (false) positionally into SeriesAverageMeter's
// use_weighted_mean parameter, so the "weighted_mean" Vidur reports for memory is the
// plain average of every sample, the initial put(0, 0) included. A meter made with
// sampleMean reports that as its Vidur mean.
type meter struct {
	lastX, lastY       float64
	vidurNum, vidurDen float64
	fullNum, fullDen   float64
	min, max           float64
	// minInt and maxInt say that min and max came from a put of a whole-number
	// constant (Vidur's put(0, 0), put(t, 100)), which Python keeps as an int and
	// json.dump writes as "0" or "100" rather than "0.0".
	minInt, maxInt bool

	sampleMean bool
	sampleSum  float64
	samples    int
}

func newMeter() *meter {
	// The implicit put(0, 0) every Vidur meter starts with.
	return &meter{minInt: true, maxInt: true, samples: 1}
}

// newSampleMeter is a meter whose Vidur mean is the plain average of its samples, as
// Vidur's memory meter computes it.
func newSampleMeter() *meter {
	m := newMeter()
	m.sampleMean = true
	return m
}

// put records the value y from time x on.
func (m *meter) put(x, y float64) { m.putValue(x, y, false) }

// putInt is put for the whole-number constants Vidur puts as Python ints (0 and 100).
func (m *meter) putInt(x, y float64) { m.putValue(x, y, true) }

func (m *meter) putValue(x, y float64, isInt bool) {
	if x > m.lastX {
		dx := x - m.lastX
		m.fullNum += m.lastY * dx
		m.fullDen += dx
		if m.lastX != 0 {
			m.vidurNum += m.lastY * dx
			m.vidurDen += dx
		}
	}
	m.lastX, m.lastY = max(m.lastX, x), y
	// Python's min and max keep the earlier value on ties.
	if y < m.min {
		m.min, m.minInt = y, isInt
	}
	if y > m.max {
		m.max, m.maxInt = y, isInt
	}
	m.sampleSum += y
	m.samples++
}

// MeterStats is a meter's summary in summary.json, in percent.
type MeterStats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"weighted_mean"`
	// VidurMean is the mean Vidur reports: the time-weighted mean without the segments
	// that start at t = 0 (busy time, MFU), or the plain mean of the samples (memory,
	// see meter); null when Vidur would report none.
	VidurMean *float64 `json:"vidur_weighted_mean"`
}

func (m *meter) stats() MeterStats {
	s := MeterStats{Min: m.min, Max: m.max}
	if m.fullDen > 0 {
		s.Mean = m.fullNum / m.fullDen
	}
	if v, ok := m.vidurMean(); ok {
		s.VidurMean = ptr(v)
	}
	if math.IsNaN(s.Mean) {
		s.Mean = 0
	}
	return s
}

// vidurMean is the mean Vidur writes as weighted_mean, and whether Vidur writes one
// (it skips a meter whose denominator is 0).
func (m *meter) vidurMean() (float64, bool) {
	if m.sampleMean {
		return m.sampleSum / float64(m.samples), true
	}
	if m.vidurDen == 0 {
		return 0, false
	}
	return m.vidurNum / m.vidurDen, true
}
