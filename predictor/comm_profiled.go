package predictor

import (
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/llmsim/llmsim/profile"
)

// ProfiledComm predicts collective times from measurements: the collective rows of a
// dataset (nccl-tests logs, Vidur's all_reduce.csv and send_recv.csv, AICB comm logs),
// keyed by collective, group size and ranks per node.
//
// Between two measured message sizes the time is interpolated linearly in log(bytes) →
// log(time), which follows both the latency-bound plateau of small messages and the
// bandwidth-bound line of large ones. Beyond the largest size the time grows at the
// algorithm bandwidth of the largest measurement (t·b/b_max); below the smallest it stays
// at the smallest measured time (the latency floor). Both are flagged OutOfDomain.
//
// A group (size, ranks per node) that was not measured is an error that lists what was;
// a model never interpolates between group sizes or placements, which would invent a
// measurement.
type ProfiledComm struct {
	source string
	curves map[commKey]*commCurve
}

type commKey struct {
	c            Collective
	size, perNod int
}

// commCurve is one measured size→time curve, sorted by size, in log space.
type commCurve struct {
	logB, logT []float64
	maxB       float64
	maxT       float64 // seconds at maxB
	minT       float64 // seconds at the smallest size
}

// NewProfiledComm builds a model from dataset rows. Rows of other operators, and rows
// without bytes, group size or a positive median, are ignored; several rows at one size
// (in-place and out-of-place runs, repeated logs) are combined by their median. All rows
// must come from one network (a mixed dataset is an error: select with RowsForNetwork).
// source names the rows in errors.
func NewProfiledComm(rows []profile.Row, source string) (*ProfiledComm, error) {
	type pt struct {
		b float64
		t []float64
	}
	acc := map[commKey]map[int64]*pt{}
	var network string
	for i := range rows {
		r := &rows[i]
		c, ok := ParseCollective(r.Operator)
		if !ok || r.Bytes <= 0 || r.GroupSize <= 0 || !(r.MedianMS > 0) || math.IsInf(r.MedianMS, 0) {
			continue
		}
		net := rowNetwork(r)
		if network == "" {
			network = net
		} else if net != network && net != "" {
			return nil, fmt.Errorf("predictor: %s: collective rows from several networks (%s and %s); pick one (RowsForNetwork)", source, network, net)
		}
		k := commKey{c, int(r.GroupSize), int(r.RanksPerNode)}
		m := acc[k]
		if m == nil {
			m = map[int64]*pt{}
			acc[k] = m
		}
		p := m[r.Bytes]
		if p == nil {
			p = &pt{b: float64(r.Bytes)}
			m[r.Bytes] = p
		}
		p.t = append(p.t, r.MedianMS*1e-3)
	}
	if len(acc) == 0 {
		return nil, fmt.Errorf("predictor: %s: no collective rows (all_reduce, all_gather, reduce_scatter, all_to_all or send_recv with bytes, group size and a time)", source)
	}
	pc := &ProfiledComm{source: source, curves: make(map[commKey]*commCurve, len(acc))}
	for k, m := range acc {
		pts := make([]*pt, 0, len(m))
		for _, p := range m {
			pts = append(pts, p)
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].b < pts[j].b })
		cv := &commCurve{}
		for _, p := range pts {
			cv.add(p.b, median(p.t))
		}
		pc.curves[k] = cv
	}
	return pc, nil
}

// rowNetwork names the system a collective row was measured on: its network node, else
// its GPU, else the folder of its source file (rows of different systems must never
// share a curve).
func rowNetwork(r *profile.Row) string {
	switch {
	case r.Network != "":
		return r.Network
	case r.GPU != "":
		return r.GPU
	}
	return path.Dir(r.Source)
}

// RowsForNetwork returns the rows measured on network (see rowNetwork).
func RowsForNetwork(rows []profile.Row, network string) []profile.Row {
	var out []profile.Row
	for i := range rows {
		if rowNetwork(&rows[i]) == network {
			out = append(out, rows[i])
		}
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Groups lists the measured (collective, group size, ranks per node) keys, sorted.
func (p *ProfiledComm) Groups() []string {
	var out []string
	for k := range p.curves {
		out = append(out, fmt.Sprintf("%s n=%d per_node=%d", k.c, k.size, k.perNod))
	}
	slices.Sort(out)
	return out
}

// CollectiveTime implements CommModel.
func (p *ProfiledComm) CollectiveTime(c Collective, bytes float64, g Group) (CommTime, error) {
	if g.Size <= 1 && c != CollSendRecv {
		return CommTime{}, nil
	}
	cv := p.curves[commKey{c, g.Size, g.RanksPerNode}]
	if cv == nil {
		var have []string
		for k := range p.curves {
			if k.c == c {
				have = append(have, fmt.Sprintf("n=%d per_node=%d", k.size, k.perNod))
			}
		}
		slices.Sort(have)
		if len(have) == 0 {
			return CommTime{}, fmt.Errorf("predictor: %s: no %s measurements", p.source, c)
		}
		return CommTime{}, fmt.Errorf("predictor: %s: no %s measurements for %d ranks with %d per node (measured: %s)", p.source, c, g.Size, g.RanksPerNode, strings.Join(have, ", "))
	}
	if !(bytes > 0) {
		return CommTime{}, fmt.Errorf("predictor: %s: %s of %g bytes", p.source, c, bytes)
	}
	return cv.at(bytes), nil
}

// add appends a point (bytes, seconds) past the curve's last one.
func (cv *commCurve) add(bytes, seconds float64) {
	cv.logB = append(cv.logB, math.Log(bytes))
	cv.logT = append(cv.logT, math.Log(seconds))
	cv.maxB, cv.maxT = bytes, math.Exp(cv.logT[len(cv.logT)-1])
	cv.minT = math.Exp(cv.logT[0])
}

func (cv *commCurve) at(bytes float64) CommTime {
	lb := math.Log(bytes)
	n := len(cv.logB)
	switch {
	case lb > cv.logB[n-1]:
		return CommTime{Seconds: cv.maxT * bytes / cv.maxB, OutOfDomain: true}
	case lb < cv.logB[0]:
		return CommTime{Seconds: cv.minT, OutOfDomain: true}
	case n == 1:
		return CommTime{Seconds: cv.minT}
	}
	j := sort.SearchFloat64s(cv.logB, lb)
	if cv.logB[j] == lb {
		return CommTime{Seconds: math.Exp(cv.logT[j])}
	}
	w := (lb - cv.logB[j-1]) / (cv.logB[j] - cv.logB[j-1])
	return CommTime{Seconds: math.Exp(cv.logT[j-1] + w*(cv.logT[j]-cv.logT[j-1]))}
}

// profiledCommFromGrid is the ProfiledComm of collective c's trained grid (features
// bytes, group_size and ranks_per_node): one curve per (group size, ranks per node) of
// the grid through its byte sizes, so that a lookup interpolates log-log between them
// and extrapolates past the largest at its bandwidth, as for measured rows. The grid is
// a lattice, so a pair of its axes that was never measured together holds the trained
// model's estimate, as the all-reduce FromGrids reads does; pairs with more ranks per
// node than ranks are left out.
func profiledCommFromGrid(c Collective, g *grid) (*ProfiledComm, error) {
	feat := map[string][]float64{}
	for i, f := range g.g.Features {
		feat[f] = g.g.Axes[i]
	}
	for _, f := range []string{"bytes", "group_size", "ranks_per_node"} {
		if len(feat[f]) == 0 {
			return nil, fmt.Errorf("predictor: %s: %s grid has no %s axis (it has %v)", g.source, c, f, g.g.Features)
		}
	}
	pc := &ProfiledComm{source: g.source, curves: map[commKey]*commCurve{}}
	p := map[string]float64{}
	for _, size := range feat["group_size"] {
		for _, perNode := range feat["ranks_per_node"] {
			if perNode > size {
				continue
			}
			cv := &commCurve{}
			for _, b := range feat["bytes"] {
				p["bytes"], p["group_size"], p["ranks_per_node"] = b, size, perNode
				ms, err := g.at(p)
				if err != nil {
					return nil, err
				}
				if b > 0 && ms > 0 {
					cv.add(b, ms*1e-3)
				}
			}
			if len(cv.logB) > 0 {
				pc.curves[commKey{c, int(size), int(perNode)}] = cv
			}
		}
	}
	if len(pc.curves) == 0 {
		return nil, fmt.Errorf("predictor: %s: %s grid holds no positive time", g.source, c)
	}
	return pc, nil
}

// WithFallback times a collective from p where p has a curve for that collective and
// group, and from fallback otherwise (another group size, another collective).
func WithFallback(p *ProfiledComm, fallback CommModel) CommModel {
	return profiledOr{p, fallback}
}

type profiledOr struct {
	p        *ProfiledComm
	fallback CommModel
}

func (m profiledOr) CollectiveTime(c Collective, bytes float64, g Group) (CommTime, error) {
	if m.p.curves[commKey{c, g.Size, g.RanksPerNode}] != nil {
		return m.p.CollectiveTime(c, bytes, g)
	}
	return m.fallback.CollectiveTime(c, bytes, g)
}
