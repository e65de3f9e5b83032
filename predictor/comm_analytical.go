package predictor

import (
	"fmt"
	"math"

	"github.com/llmsim/llmsim/profile"
)

// AnalyticalComm is a SimAI-style analytical collective model:
//
//	time = α(n) + BusFactor(c, n) · bytes / busbw
//
// busbw is the bus bandwidth of the group: the busbw.yaml entry of the group's kind and
// collective when one is set (SimAI's user-defined bus bandwidth, applied as GiB/s as
// SimAI did), otherwise IntraNode (NVLink) for a group inside one node and InterNode
// (RDMA, per GPU) for a group spanning nodes. α(n) is SimAI-Analytical's small-message
// latency by group size (calbusbw.cc: 2 → 10 µs, 4 → 12, 8 → 15, 16 → 66, 32 → 135,
// 64 → 200, 128 → 320), interpolated linearly in log₂ n between those sizes and continued
// along the last segment beyond 128.
//
// SimAI itself charges α(n) instead of the bandwidth term for messages of 1 B to 1 MiB and
// nothing for group sizes outside its table; SimAISmallMessages reproduces that
// (--compat vidur-alibabacloud).
type AnalyticalComm struct {
	IntraNode float64 // bytes/s of a group inside one node
	InterNode float64 // bytes/s per GPU of a group spanning nodes
	// BusBW, when set, overrides the link figures per group kind and collective.
	BusBW *profile.BusBW
	// SimAISmallMessages reproduces SimAI's step: latency only below 1 MiB.
	SimAISmallMessages bool
}

// simaiLatency is SimAI-Analytical's fixed small-message time by group size, seconds
// (astra-sim-alibabacloud/astra-sim/system/calbusbw.cc).
var simaiLatency = []struct {
	n int
	t float64
}{{2, 10e-6}, {4, 12e-6}, {8, 15e-6}, {16, 66e-6}, {32, 135e-6}, {64, 200e-6}, {128, 320e-6}}

// Latency is α(n), the fixed cost of one collective over n ranks, seconds.
func (a *AnalyticalComm) Latency(n int) float64 {
	if n <= 1 {
		return 0
	}
	if a.SimAISmallMessages {
		for _, e := range simaiLatency {
			if e.n == n {
				return e.t
			}
		}
		return 0
	}
	x := math.Log2(float64(n))
	l := simaiLatency
	if n <= l[0].n {
		return l[0].t
	}
	i := 1
	for i < len(l)-1 && l[i].n < n {
		i++
	}
	x0, x1 := math.Log2(float64(l[i-1].n)), math.Log2(float64(l[i].n))
	return l[i-1].t + (x-x0)/(x1-x0)*(l[i].t-l[i-1].t)
}

// BusBandwidth returns the bus bandwidth, bytes/s, that c over g runs at, and where the
// figure comes from.
func (a *AnalyticalComm) BusBandwidth(c Collective, g Group) (float64, string) {
	if a.BusBW != nil {
		coll := c.String()
		if e, ok := a.BusBW.Lookup(g.Kind.String(), coll); ok {
			return e.GiBps * (1 << 30), fmt.Sprintf("busbw.yaml %s %s (line %d)", g.Kind, coll, e.Line)
		}
	}
	if g.IntraNode() {
		return a.IntraNode, "NVLink"
	}
	return a.InterNode, "RDMA"
}

// CollectiveTime implements CommModel.
func (a *AnalyticalComm) CollectiveTime(c Collective, bytes float64, g Group) (CommTime, error) {
	if c >= numCollectives {
		return CommTime{}, fmt.Errorf("predictor: analytical comm: unknown collective %d", int(c))
	}
	n := g.Size
	if c == CollSendRecv {
		n = max(n, 2)
	}
	if n <= 1 || bytes <= 0 {
		return CommTime{}, nil
	}
	if g.RanksPerNode <= 0 {
		return CommTime{}, fmt.Errorf("predictor: analytical comm: %s over %d ranks: ranks per node unknown, cannot tell NVLink from RDMA", c, g.Size)
	}
	bw, from := a.BusBandwidth(c, g)
	if !(bw > 0) {
		return CommTime{}, fmt.Errorf("predictor: analytical comm: %s over %d ranks (%d per node) has no bandwidth (%s is %g); set --replica_config_nvlink_bandwidth or --replica_config_rdma_bandwidth", c, g.Size, g.RanksPerNode, from, bw)
	}
	if a.SimAISmallMessages {
		// SimAI's analytical mode: a message under 1 MiB costs the latency alone, a
		// larger one the bandwidth term alone.
		if bytes > 1 && bytes < 1<<20 {
			return CommTime{Seconds: a.Latency(n)}, nil
		}
		return CommTime{Seconds: c.BusFactor(n) * bytes / bw}, nil
	}
	return CommTime{Seconds: a.Latency(n) + c.BusFactor(n)*bytes/bw}, nil
}
