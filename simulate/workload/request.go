package workload

import "fmt"

// Request is one inference request as the simulator sees it on arrival.
type Request struct {
	ID               int     // 0..N−1 in arrival order
	ArrivedAt        float64 // simulated seconds
	NumPrefillTokens int     // prompt length P ≥ 1
	NumDecodeTokens  int     // output length D ≥ 1
}

// Source hands out requests one at a time in non-decreasing arrival order, so that a
// simulation never holds the whole workload in memory. Next returns false when the
// workload is exhausted or reading failed; Err then tells which.
type Source interface {
	Next() (Request, bool)
	Err() error
}

// Collect drains s into a slice. It is meant for tests and small workloads; the
// simulator itself pulls from the Source as it goes.
func Collect(s Source) ([]Request, error) {
	var out []Request
	for {
		r, ok := s.Next()
		if !ok {
			break
		}
		out = append(out, r)
	}
	if err := s.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// Slice is a Source over requests already in memory. It checks the Source contract
// (IDs 0..N−1, arrival order, positive lengths) as it hands them out.
type Slice struct {
	reqs []Request
	next int
	err  error
}

// NewSlice returns a Source over reqs; reqs is not copied.
func NewSlice(reqs []Request) *Slice { return &Slice{reqs: reqs} }

// Next implements Source.
func (s *Slice) Next() (Request, bool) {
	if s.err != nil || s.next >= len(s.reqs) {
		return Request{}, false
	}
	r := s.reqs[s.next]
	switch {
	case r.ID != s.next:
		s.err = fmt.Errorf("workload: request %d has id %d, want %d", s.next, r.ID, s.next)
	case r.NumPrefillTokens < 1 || r.NumDecodeTokens < 1:
		s.err = fmt.Errorf("workload: request %d has %d prefill and %d decode tokens, want at least 1 of each", r.ID, r.NumPrefillTokens, r.NumDecodeTokens)
	case s.next > 0 && r.ArrivedAt < s.reqs[s.next-1].ArrivedAt:
		s.err = fmt.Errorf("workload: request %d arrives at %g, before request %d at %g", r.ID, r.ArrivedAt, r.ID-1, s.reqs[s.next-1].ArrivedAt)
	}
	if s.err != nil {
		return Request{}, false
	}
	s.next++
	return r, true
}

// Err implements Source.
func (s *Slice) Err() error { return s.err }
