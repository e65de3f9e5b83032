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
type meter struct {
	lastX, lastY       float64
	vidurNum, vidurDen float64
	fullNum, fullDen   float64
	min, max           float64
}

func newMeter() *meter {
	// The implicit put(0, 0) every Vidur meter starts with.
	return &meter{min: 0, max: 0}
}

func (m *meter) put(x, y float64) {
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
	m.min, m.max = min(m.min, y), max(m.max, y)
}

// MeterStats is a meter's summary in summary.json, in percent.
type MeterStats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"weighted_mean"`
	// VidurMean excludes the segments that start at t = 0, as Vidur's
	// SeriesAverageMeter does; null when no segment is left.
	VidurMean *float64 `json:"vidur_weighted_mean"`
}

func (m *meter) stats() MeterStats {
	s := MeterStats{Min: m.min, Max: m.max}
	if m.fullDen > 0 {
		s.Mean = m.fullNum / m.fullDen
	}
	if m.vidurDen > 0 {
		s.VidurMean = ptr(m.vidurNum / m.vidurDen)
	}
	if math.IsNaN(s.Mean) {
		s.Mean = 0
	}
	return s
}
