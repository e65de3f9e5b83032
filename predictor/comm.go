package predictor

import (
	"fmt"
	"math"
)

// Collective is a communication pattern whose time a CommModel predicts.
type Collective uint8

// The collectives llmsim models. Their names are the dataset's operator names.
const (
	CollAllReduce Collective = iota
	CollAllGather
	CollReduceScatter
	CollAllToAll
	CollSendRecv
	numCollectives
)

var collectiveNames = [numCollectives]string{"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "send_recv"}

// String returns the dataset's operator name of c.
func (c Collective) String() string {
	if c >= numCollectives {
		return fmt.Sprintf("Collective(%d)", int(c))
	}
	return collectiveNames[c]
}

// ParseCollective returns the collective named s (all_reduce, all_gather, reduce_scatter,
// all_to_all, send_recv).
func ParseCollective(s string) (Collective, bool) {
	for c, n := range collectiveNames {
		if n == s {
			return Collective(c), true
		}
	}
	return 0, false
}

// BusFactor is nccl-tests' ratio of bus bandwidth to algorithm bandwidth for c over n
// ranks: 2(n−1)/n for all_reduce, (n−1)/n for all_gather, reduce_scatter and all_to_all,
// 1 for send_recv. A collective over n ranks moving b bytes at bus bandwidth B takes
// BusFactor·b/B; one rank (n ≤ 1) moves nothing.
func (c Collective) BusFactor(n int) float64 {
	if n <= 1 {
		return 0
	}
	nf := float64(n)
	switch c {
	case CollAllReduce:
		return 2 * (nf - 1) / nf
	case CollSendRecv:
		return 1
	}
	return (nf - 1) / nf
}

// GroupKind is the parallel dimension a communication group serves. SimAI's busbw.yaml
// gives one bus bandwidth per kind and collective.
type GroupKind uint8

// The group kinds: tensor, pipeline, expert and data parallelism, and the prefill→decode
// KV-cache transfer of a disaggregated cluster.
const (
	GroupTP GroupKind = iota
	GroupPP
	GroupEP
	GroupDP
	GroupPD
)

func (k GroupKind) String() string {
	switch k {
	case GroupTP:
		return "tp"
	case GroupPP:
		return "pp"
	case GroupEP:
		return "ep"
	case GroupDP:
		return "dp"
	case GroupPD:
		return "pd"
	}
	return fmt.Sprintf("GroupKind(%d)", int(k))
}

// Group is the set of ranks one collective runs over.
type Group struct {
	Kind GroupKind
	Size int // ranks taking part
	// RanksPerNode is how many of them share a node: Size for a group inside one node, 1
	// for a group with one rank per node. 0 means unknown (AICB logs do not say).
	RanksPerNode int
}

// IntraNode reports whether the whole group sits in one node.
func (g Group) IntraNode() bool { return g.RanksPerNode >= g.Size }

// CommTime is a predicted collective time.
type CommTime struct {
	Seconds float64
	// OutOfDomain is set when the message size lies outside the sizes the model was built
	// from, so the time is an extrapolation.
	OutOfDomain bool
}

// CommModel predicts how long a collective takes: c over group g moving bytes (the
// whole buffer, as nccl-tests counts it: the reduced buffer for all_reduce, the gathered
// output for all_gather, one rank's send buffer for all_to_all, the message for
// send_recv). Both models of this package satisfy it, as does a P2PLink.
type CommModel interface {
	CollectiveTime(c Collective, bytes float64, g Group) (CommTime, error)
}

// Gbps conventions: how many bytes per second one "Gbps" of a bandwidth setting is.
const (
	// GbpsBytes is the SI gigabit per second, 10⁹ bit/s, what network vendors mean.
	GbpsBytes = 1e9 / 8
	// GbpsBytesAlibabaCloud is vidur-alibabacloud's reading of its *_bandwidth settings:
	// value·1024³/8 bytes per second, i.e. Gibit/s (800 "Gbps" = 100 GiB/s).
	GbpsBytesAlibabaCloud = float64(1<<30) / 8
)

// P2PLink is a point-to-point link of fixed latency and bandwidth: a message of b bytes
// takes Latency + b/BytesPerSecond. It models the prefill→decode KV-cache transfer; as a
// CommModel it answers send_recv only.
type P2PLink struct {
	Latency        float64 // seconds per message
	BytesPerSecond float64
}

// Time returns how long the link takes to carry bytes.
func (l P2PLink) Time(bytes float64) float64 { return l.Latency + bytes/l.BytesPerSecond }

// CollectiveTime implements CommModel for send_recv.
func (l P2PLink) CollectiveTime(c Collective, bytes float64, _ Group) (CommTime, error) {
	if c != CollSendRecv {
		return CommTime{}, fmt.Errorf("predictor: a point-to-point link carries send_recv only, not %s", c)
	}
	if !(l.BytesPerSecond > 0) || l.Latency < 0 || math.IsNaN(l.Latency) {
		return CommTime{}, fmt.Errorf("predictor: point-to-point link: bandwidth %g B/s must be positive and latency %g s not negative", l.BytesPerSecond, l.Latency)
	}
	return CommTime{Seconds: l.Time(bytes)}, nil
}

// commTokenTable evaluates m for messages of n tokens (n·hidden·2 bytes, fp16/bf16
// activations as Vidur assumes) for n = 1..maxTokens, in milliseconds, the unit of
// Tables. It returns how many sizes were out of the model's domain.
func commTokenTable(m CommModel, c Collective, g Group, hidden, maxTokens int) ([]float64, int, error) {
	v := make([]float64, maxTokens+1)
	ood := 0
	for n := 1; n <= maxTokens; n++ {
		t, err := m.CollectiveTime(c, float64(n)*float64(hidden)*2, g)
		if err != nil {
			return nil, 0, err
		}
		if t.OutOfDomain {
			ood++
		}
		v[n] = t.Seconds * 1e3
	}
	return v, ood, nil
}
