package predictor

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/llmsim/llmsim/profile"
)

// CollectiveError is a profiled collective model's accuracy on measured sizes it was
// not built from.
type CollectiveError struct {
	Network    string
	Collective string
	Group      Group
	N          int       // held-out sizes scored (inside the measured range)
	Skipped    int       // held-out sizes beyond the remaining sizes (extrapolated, not scored)
	MedianAPE  float64   // percent
	MaxAPE     float64   // percent
	APEs       []float64 // every scored size's error, percent, by ascending size
}

// HeldOutCollectiveErrors scores ProfiledComm by leaving out every k-th measured message
// size (the 1-based k-th, 2k-th, ...) of each (network, collective, group size, ranks per
// node) curve, building the model from the other sizes and comparing its prediction with
// the left-out measurement. Sizes measured several times are compared with their median.
// Results are sorted by network, collective and group.
func HeldOutCollectiveErrors(rows []profile.Row, k int) ([]CollectiveError, error) {
	if k < 2 {
		return nil, fmt.Errorf("predictor: held-out evaluation: every %d-th size leaves nothing to build from; use k ≥ 2", k)
	}
	type key struct {
		net string
		c   Collective
		n   int
		per int
	}
	byKey := map[key][]profile.Row{}
	for _, r := range rows {
		c, ok := ParseCollective(r.Operator)
		if !ok || r.Bytes <= 0 || r.GroupSize <= 0 || !(r.MedianMS > 0) {
			continue
		}
		net := rowNetwork(&r)
		kk := key{net, c, int(r.GroupSize), int(r.RanksPerNode)}
		byKey[kk] = append(byKey[kk], r)
	}
	keys := make([]key, 0, len(byKey))
	for kk := range byKey {
		keys = append(keys, kk)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.net != b.net {
			return a.net < b.net
		}
		if a.c != b.c {
			return a.c < b.c
		}
		if a.n != b.n {
			return a.n < b.n
		}
		return a.per < b.per
	})
	var out []CollectiveError
	for _, kk := range keys {
		rs := byKey[kk]
		var sizes []int64
		for _, r := range rs {
			sizes = append(sizes, r.Bytes)
		}
		slices.Sort(sizes)
		sizes = slices.Compact(sizes)
		if len(sizes) < k {
			continue
		}
		held := map[int64]bool{}
		for i := k - 1; i < len(sizes); i += k {
			held[sizes[i]] = true
		}
		var train []profile.Row
		truth := map[int64][]float64{}
		for _, r := range rs {
			if held[r.Bytes] {
				truth[r.Bytes] = append(truth[r.Bytes], r.MedianMS*1e-3)
			} else {
				train = append(train, r)
			}
		}
		m, err := NewProfiledComm(train, kk.net)
		if err != nil {
			return nil, err
		}
		g := Group{Size: kk.n, RanksPerNode: kk.per}
		e := CollectiveError{Network: kk.net, Collective: kk.c.String(), Group: g}
		var apes []float64
		held2 := make([]int64, 0, len(truth))
		for b := range truth {
			held2 = append(held2, b)
		}
		slices.Sort(held2)
		for _, b := range held2 {
			ts := truth[b]
			got, err := m.CollectiveTime(kk.c, float64(b), g)
			if err != nil {
				return nil, err
			}
			if got.OutOfDomain {
				e.Skipped++
				continue
			}
			want := median(ts)
			apes = append(apes, 100*math.Abs(got.Seconds-want)/want)
		}
		if len(apes) == 0 {
			continue
		}
		e.N = len(apes)
		e.APEs = apes
		e.MedianAPE = median(apes)
		e.MaxAPE = slices.Max(apes)
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("predictor: held-out evaluation: no collective curve has %d or more measured sizes", k)
	}
	return out, nil
}

// MedianOf returns the median of v (NaN when v is empty).
func MedianOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return median(v)
}
