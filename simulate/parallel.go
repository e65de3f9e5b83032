package simulate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
)

// Layout is how one replica's GPUs share the model (docs/moe.md draws it):
//
//   - PP pipeline stages, each holding NumLayers/PP consecutive layers;
//   - in each stage, DP attention groups of TP GPUs: a group runs attention (and the
//     dense layers) for its own share of the batch, with heads split over its TP GPUs;
//   - the routed experts of every MoE layer spread over EP of the stage's TP·DP GPUs,
//     E/EP experts on each, and each expert is split over ExpertTP = TP·DP/EP of them.
//     Tokens reach their experts by an all-to-all over the EP group (dispatch) and come
//     back by another (combine); with EP 1 the experts are TP-split like a dense MLP.
//
// Shared experts, routers and norms are replicated in every attention group.
type Layout struct {
	TP, DP, EP, PP int
	GPUsPerNode    int // of the node SKU; 0 when unknown
	NumExperts     int // routed experts per MoE layer; 0 for a dense model
}

// NewLayout checks that the degrees fit model m and returns the layout.
func NewLayout(m *catalog.Model, tp, dp, ep, pp, gpusPerNode int) (Layout, error) {
	l := Layout{TP: tp, DP: dp, EP: ep, PP: pp, GPUsPerNode: gpusPerNode}
	if m.IsMoE() {
		l.NumExperts = m.MoE.NumRoutedExperts
	}
	switch {
	case tp < 1 || dp < 1 || ep < 1 || pp < 1:
		return l, fmt.Errorf("simulate: TP %d, attention DP %d, EP %d and PP %d must be positive", tp, dp, ep, pp)
	case ep > 1 && !m.IsMoE():
		return l, fmt.Errorf("simulate: model %s has no experts to spread over EP %d", m.Name, ep)
	case m.IsMoE() && m.MoE.NumRoutedExperts%ep != 0:
		return l, fmt.Errorf("simulate: EP %d does not divide the %d routed experts of %s", ep, m.MoE.NumRoutedExperts, m.Name)
	case (tp*dp)%ep != 0:
		return l, fmt.Errorf("simulate: EP %d does not divide the %d GPUs of a pipeline stage (TP %d × attention DP %d)", ep, tp*dp, tp, dp)
	}
	return l, nil
}

// StageGPUs is the number of GPUs of one pipeline stage, TP × DP.
func (l Layout) StageGPUs() int { return l.TP * l.DP }

// WorldSize is the number of GPUs of the replica.
func (l Layout) WorldSize() int { return l.StageGPUs() * l.PP }

// ExpertTP is the number of GPUs each routed expert is split over.
func (l Layout) ExpertTP() int { return l.StageGPUs() / l.EP }

// ExpertsPerGPU is the number of routed experts of one MoE layer each GPU holds.
func (l Layout) ExpertsPerGPU() int {
	if l.NumExperts == 0 {
		return 0
	}
	return l.NumExperts / l.EP
}

// EPRanksPerNode is how many ranks of the expert-parallel group share a node.
func (l Layout) EPRanksPerNode() int {
	if l.GPUsPerNode <= 0 {
		return l.EP
	}
	return min(l.EP, l.GPUsPerNode)
}

// String is the one-line summary printed with each run.
func (l Layout) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "replica of %d GPUs = TP %d × attention DP %d × PP %d", l.WorldSize(), l.TP, l.DP, l.PP)
	if l.NumExperts > 0 {
		fmt.Fprintf(&b, "; experts: EP %d, %d of %d per GPU, each split over %d GPU(s)", l.EP, l.ExpertsPerGPU(), l.NumExperts, l.ExpertTP())
		switch {
		case l.EP == 1:
			b.WriteString(", no all-to-all")
		case l.GPUsPerNode > 0 && l.EP > l.GPUsPerNode:
			fmt.Fprintf(&b, ", all-to-all over %d GPUs on %d nodes", l.EP, (l.EP+l.GPUsPerNode-1)/l.GPUsPerNode)
		default:
			fmt.Fprintf(&b, ", all-to-all over %d GPUs in one node", l.EP)
		}
	}
	return b.String()
}

// splitAttentionDP spreads batch b over dp attention data-parallel ranks, request i to
// rank i mod dp in batch order (the way a DP-attention server deals requests to its
// groups), and returns each rank's predictor shape in ranks, reused (a batch's shapes
// are only read while it is priced).
func splitAttentionDP(ranks []predictor.Shape, b *batch, dp, granularity int) []predictor.Shape {
	ranks = slices.Grow(ranks[:0], dp)[:dp]
	clear(ranks)
	for i, q := range b.reqs {
		r := &ranks[i%dp]
		if q.prefillDone {
			r.AddDecode(q.processed)
		} else {
			r.AddPrefill(q.processed, b.tokens[i], granularity)
		}
	}
	return ranks
}
