package predictor

import (
	"fmt"
	"math"
	"slices"
)

// This file prices the layers Vidur's ExecutionTime does not know: mixture-of-experts
// layers (router, token dispatch and combine, grouped expert GEMMs, shared experts),
// DeepSeek's leading dense layers, MLA attention (whose prefill and decode kernels the
// artifact's attn_prefill and attn_decode grids already hold, sized by the latent) and
// the Gated DeltaNet layers of hybrid models. A model with any of these runs through
// predictArch instead of Vidur's term-by-term sum; dense models never do, so Vidur's
// reference cases stay bit-exact.

// Router draws how one batch's tokens spread over the experts and the expert-parallel
// ranks. simulate's routing distributions implement it; a Router holds its own seeded
// random source, so the same batches in the same order give the same draws.
type Router interface {
	Route(tokens int) Routing
}

// Routing is one batch's expert load: what the expert GEMM time depends on.
type Routing struct {
	// MaxRankSlots is the number of (token, expert) pairs the most loaded expert-parallel
	// rank receives; every rank waits for it before the combine.
	MaxRankSlots int
	// ExpertSkew is the most loaded expert's load over the mean expert load (Frontier's
	// max_load_ratio), ≥ 1.
	ExpertSkew float64
}

// Arch describes what one pipeline stage of a replica runs when the model is not a
// plain dense transformer, and how the stage's GPUs share it.
type Arch struct {
	// Layers of each kind on one stage. Stages of one model may differ (DeepSeek-V3's
	// dense layers are all on the first); these are means over the stages.
	FullAttnLayers   float64 // softmax attention (MHA, GQA or MLA) with a KV cache
	LinearAttnLayers float64 // Gated DeltaNet
	DenseMLPLayers   float64
	MoELayers        float64
	SharedExperts    bool // MoE layers also run shared experts (share_expert_* operators)

	// TP is the attention tensor-parallel degree, DP the attention data-parallel
	// degree (Shape.Ranks has DP entries when DP > 1), EP the expert-parallel degree.
	TP, DP, EP int
	// ExpertScale multiplies the tokens looked up in the expert grid: the grid is
	// tabulated for experts sharded over max(1, TP/EP) ranks (attention DP = EP/TP), and
	// a layout that shards them over more or fewer ranks does proportionally less or
	// more work per GPU.
	ExpertScale  float64
	TopK         int
	HiddenSize   int
	GPUsPerNode  int
	DispatchSize float64 // bytes per element of dispatched activations (fp8 with fp8 weights)
	CombineSize  float64 // bytes per element of combined expert outputs

	Tables *ArchTables
	Router Router
	Comm   CommModel // times the dispatch and combine all-to-alls (EP > 1)
}

// ArchTables holds the operator times an Arch needs beyond Vidur's, per layer, in ms.
type ArchTables struct {
	// Expert operators at the replica's EP degree: Expert[op][s][n] is the time for n
	// tokens at the s-th routing skew of Skews. Ops absent from the grid are nil.
	Skews  []float64
	Expert [numMoEOps][][]float64
	// Shared experts and the Gated DeltaNet token operators: indexed by tokens.
	Shared [3][]float64 // up, act, down
	Linear [3][]float64 // pre-projection, scan, post-projection
	// LinearState is indexed by the number of sequences whose recurrent state a Gated
	// DeltaNet layer reads and writes.
	LinearState []float64
}

// MoEOp names an expert operator of Frontier's moe.csv.
type MoEOp int

// The expert operators, in the order a MoE layer runs them.
const (
	MoEGatingLinear MoEOp = iota
	MoEGatingTopK
	MoEShuffling
	MoEGroupedGEMM
	numMoEOps
)

var moeOpNames = [numMoEOps]string{"moe_gating_linear", "moe_gating_routing_topk", "moe_shuffling", "moe_grouped_gemm"}

// String returns the operator's name in moe.csv and in artifacts.
func (o MoEOp) String() string {
	if o < 0 || o >= numMoEOps {
		return fmt.Sprintf("MoEOp(%d)", int(o))
	}
	return moeOpNames[o]
}

// Operator names of the shared experts (Frontier's linear_op.csv) and of the Gated
// DeltaNet layers (profile synth).
var (
	sharedOpNames      = [3]string{"share_expert_up_proj", "share_expert_act", "share_expert_down_proj"}
	linearOpNames      = [3]string{"linear_attn_pre_proj", "linear_attn_scan", "linear_attn_post_proj"}
	linearStateOpName  = "linear_attn_state"
	featureRoutingSkew = "routing_skew"
	featureEP          = "ep"
)

// ArchNeeds says which operator groups LoadArchTables must find.
type ArchNeeds struct {
	MoE           bool
	EP            int
	SharedExperts bool
	LinearAttn    bool
}

// LoadArchTables resamples the artifact grids an Arch reads onto token lattices
// 1..limits.MaxTokens (and 1..limits.MaxBatchSize sequences for the recurrent state).
// A missing operator is an error that names it; the expert grids must hold the EP degree.
func LoadArchTables(src GridSource, source string, limits Limits, need ArchNeeds) (*ArchTables, error) {
	at := &ArchTables{}
	has := func(op string) bool { return slices.Contains(src.Ops(), op) }
	load := func(op string) (*grid, error) {
		if !has(op) {
			return nil, fmt.Errorf("predictor: %s has no %s grid; train on a dataset that has it (profile synth provides every operator)", source, op)
		}
		g, err := src.Grid(op)
		if err != nil {
			return nil, fmt.Errorf("predictor: %s: %w", source, err)
		}
		return newGrid(source, g)
	}
	byTokens := func(op string) ([]float64, error) {
		g, err := load(op)
		if err != nil {
			return nil, err
		}
		return g.tokens(limits.MaxTokens, nil, func(n int) float64 { return float64(n) }, "num_tokens")
	}
	if need.MoE {
		for op := MoEOp(0); op < numMoEOps; op++ {
			g, err := load(op.String())
			if err != nil {
				return nil, err
			}
			skews, err := g.axis(featureRoutingSkew)
			if err != nil {
				return nil, err
			}
			eps, err := g.axis(featureEP)
			if err != nil {
				return nil, err
			}
			ep := float64(need.EP)
			if !slices.Contains(eps, ep) {
				if op == MoEGroupedGEMM {
					return nil, fmt.Errorf("predictor: %s: %s was trained for EP %v, not %d; profile synth tabulates any EP (--ep), measurements must include it", source, op, eps, need.EP)
				}
				// Gating and the permutation work on an attention rank's tokens whatever
				// the EP: take the nearest EP measured.
				ep = slices.MinFunc(eps, func(a, b float64) int {
					return cmpFloat(math.Abs(math.Log2(a/ep)), math.Abs(math.Log2(b/ep)))
				})
			}
			if at.Skews == nil {
				at.Skews = skews
			}
			rows := make([][]float64, len(at.Skews))
			for i, s := range at.Skews {
				fixed := map[string]float64{featureEP: ep, featureRoutingSkew: s}
				if rows[i], err = g.tokens(limits.MaxTokens, fixed, func(n int) float64 { return float64(n) }, "num_tokens"); err != nil {
					return nil, err
				}
			}
			at.Expert[op] = rows
		}
	}
	if need.SharedExperts {
		for i, op := range sharedOpNames {
			t, err := byTokens(op)
			if err != nil {
				return nil, err
			}
			at.Shared[i] = t
		}
	}
	if need.LinearAttn {
		for i, op := range linearOpNames {
			t, err := byTokens(op)
			if err != nil {
				return nil, err
			}
			at.Linear[i] = t
		}
		g, err := load(linearStateOpName)
		if err != nil {
			return nil, err
		}
		if at.LinearState, err = g.tokens(limits.MaxBatchSize, nil, func(n int) float64 { return float64(n) }, "batch_size"); err != nil {
			return nil, err
		}
	}
	return at, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// axis returns the grid's axis of feature f.
func (g *grid) axis(f string) ([]float64, error) {
	i := slices.Index(g.g.Features, f)
	if i < 0 {
		return nil, fmt.Errorf("predictor: %s: grid %s has no %s axis (it has %v)", g.source, g.g.Op, f, g.g.Features)
	}
	return g.g.Axes[i], nil
}

// validate checks a's settings once, so that prediction need not.
func (a *Arch) validate(t *Tables) error {
	switch {
	case a.Tables == nil:
		return fmt.Errorf("predictor: architecture without tables")
	case a.TP < 1 || a.DP < 1 || a.EP < 1:
		return fmt.Errorf("predictor: TP %d, attention DP %d and EP %d must be positive", a.TP, a.DP, a.EP)
	case a.MoELayers > 0 && (a.Router == nil || a.TopK < 1 || a.HiddenSize < 1 || a.Tables.Expert[MoEGroupedGEMM] == nil):
		return fmt.Errorf("predictor: MoE layers need a router, top-k, hidden size and expert tables")
	case a.MoELayers > 0 && a.EP > 1 && a.Comm == nil:
		return fmt.Errorf("predictor: EP %d needs a collectives model for the all-to-all", a.EP)
	case a.LinearAttnLayers > 0 && a.Tables.LinearState == nil:
		return fmt.Errorf("predictor: linear-attention layers need linear_attn_* tables")
	case a.SharedExperts && a.Tables.Shared[0] == nil:
		return fmt.Errorf("predictor: shared experts need share_expert_* tables")
	case a.DenseMLPLayers > 0 && len(t.Token[MLPUpProj]) < 2:
		return fmt.Errorf("predictor: %s: the model has dense MLP layers but no mlp_up_proj table", t.Source)
	}
	if a.ExpertScale == 0 {
		a.ExpertScale = 1
	}
	return nil
}

// rankPart is what one attention-DP rank spends per layer of each kind, in ms, before
// the ranks meet at the expert dispatch.
type rankPart struct {
	full, linear, norms, dense, moe float64 // compute
	tpAttn, tpDense, tpMoE          float64 // TP all-reduces
}

// rank prices one attention-DP rank's share of the batch.
func (p *Predictor) rank(s *Shape) (rankPart, error) {
	var r rankPart
	a := p.cfg.Arch
	n := s.NumTokens
	if n == 0 {
		return r, nil
	}
	t8 := ceilTo(n, 8)
	tok := func(op TokenOp, key int) (float64, error) { return p.token(op, key) }
	var v [numTokenOps]float64
	var err error
	for _, op := range []TokenOp{AttnPreProj, AttnPostProj, AttnRope, InputLayerNorm, Add} {
		if v[op], err = tok(op, t8); err != nil {
			return r, err
		}
	}
	if v[AttnKVCacheSave], err = tok(AttnKVCacheSave, n); err != nil {
		return r, err
	}
	if p.cfg.PostAttnNorm {
		if v[PostAttentionLayerNorm], err = tok(PostAttentionLayerNorm, t8); err != nil {
			return r, err
		}
	}
	var tp float64
	if p.tpComm {
		if v[AllReduce], err = tok(AllReduce, t8); err != nil {
			return r, err
		}
		tp = v[AllReduce] + p.cfg.NCCLLaunchOverheadMS + p.cfg.NCCLSkewOverheadPerDeviceMS*math.Pow(float64(p.cfg.TensorParallel), 1.25)
	}
	dec, err := p.decode(s)
	if err != nil {
		return r, err
	}
	pre, err := p.prefill(s)
	if err != nil {
		return r, err
	}
	r.norms = v[InputLayerNorm] + v[PostAttentionLayerNorm] + v[Add]
	if a.FullAttnLayers > 0 {
		r.full = v[AttnPreProj] + v[AttnPostProj] + v[AttnRope] + v[AttnKVCacheSave] + dec + pre
	}
	r.tpAttn = tp
	if a.LinearAttnLayers > 0 {
		lt := a.Tables.Linear
		state := a.Tables.LinearState[p.clampIndex(s.Size, len(a.Tables.LinearState), p.t.Limits.MaxBatchSize)]
		scan := lt[1][p.clampIndex(n, len(lt[1]), p.t.Limits.MaxTokens)]
		r.linear = lt[0][p.clampIndex(t8, len(lt[0]), p.t.Limits.MaxTokens)] + scan + state +
			lt[2][p.clampIndex(t8, len(lt[2]), p.t.Limits.MaxTokens)]
	}
	if a.DenseMLPLayers > 0 {
		for _, op := range []TokenOp{MLPUpProj, MLPDownProj, MLPAct} {
			if v[op], err = tok(op, t8); err != nil {
				return r, err
			}
		}
		r.dense = v[MLPUpProj] + v[MLPDownProj] + v[MLPAct]
		r.tpDense = tp
	}
	if a.MoELayers > 0 {
		if a.SharedExperts {
			for _, tab := range a.Tables.Shared {
				r.moe += tab[p.clampIndex(t8, len(tab), p.t.Limits.MaxTokens)]
			}
		}
		if a.EP == 1 {
			// Experts sharded by TP only: their partial sums are all-reduced like a dense MLP's.
			r.tpMoE = tp
		}
	}
	return r, nil
}

// clampIndex returns n as an index into a table of length size, counting keys past the
// grid limit as clamped (or failing in strict mode through the caller's KeyError path).
func (p *Predictor) clampIndex(n, size, limit int) int {
	if n > limit {
		p.Clamped++
	}
	return min(max(n, 1), size-1)
}

// expertAt interpolates an expert table between the two skews around s (clamped to the
// axis ends) at n tokens.
func (p *Predictor) expertAt(tab [][]float64, skews []float64, s float64, n int) float64 {
	n = p.clampIndex(n, len(tab[0]), p.t.Limits.MaxTokens)
	j, _ := slices.BinarySearch(skews, s)
	switch {
	case j == 0:
		return tab[0][n]
	case j >= len(skews):
		return tab[len(skews)-1][n]
	}
	w := (s - skews[j-1]) / (skews[j] - skews[j-1])
	return tab[j-1][n]*(1-w) + tab[j][n]*w
}

// predictArch is Predict for an Arch model. Per layer, the attention-DP ranks each run
// their own requests' attention and meet at the MoE layer, so the layer takes the
// slowest rank's attention plus the expert time of the most loaded EP rank, which
// the router's draw for this batch decides.
func (p *Predictor) predictArch(s *Shape) (last, inner Times, err error) {
	a := p.cfg.Arch
	ranks := s.Ranks
	if len(ranks) == 0 {
		ranks = []Shape{*s}
	}
	var worst rankPart
	maxTokens := 0
	for i := range ranks {
		r, err := p.rank(&ranks[i])
		if err != nil {
			return last, inner, err
		}
		worst.full = max(worst.full, r.full)
		worst.linear = max(worst.linear, r.linear)
		worst.norms = max(worst.norms, r.norms)
		worst.dense = max(worst.dense, r.dense)
		worst.moe = max(worst.moe, r.moe)
		worst.tpAttn = max(worst.tpAttn, r.tpAttn)
		worst.tpDense = max(worst.tpDense, r.tpDense)
		worst.tpMoE = max(worst.tpMoE, r.tpMoE)
		maxTokens = max(maxTokens, ranks[i].NumTokens)
	}

	// The routed experts.
	var gate, experts, dispatch float64
	if a.MoELayers > 0 && s.NumTokens > 0 {
		at := a.Tables
		rt := a.Router.Route(s.NumTokens)
		// Gating and the token permutation run on each attention rank for its tokens.
		t := ceilTo(maxTokens, 8)
		for _, op := range []MoEOp{MoEGatingLinear, MoEGatingTopK, MoEShuffling} {
			if at.Expert[op] != nil {
				gate += p.expertAt(at.Expert[op], at.Skews, rt.ExpertSkew, t)
			}
		}
		// The grid's num_tokens is the batch before routing, whose n·k slots spread
		// evenly give each of the EP ranks n·k/EP; the most loaded rank's slots count as
		// that many tokens.
		eq := int(math.Ceil(float64(rt.MaxRankSlots) * float64(a.EP) / float64(a.TopK) * a.ExpertScale))
		experts = p.expertAt(at.Expert[MoEGroupedGEMM], at.Skews, rt.ExpertSkew, max(eq, 1))
		if a.EP > 1 {
			// Dispatch and combine: each GPU sends its tokens' k copies and the most loaded
			// rank receives its slots; the slower of the two sides sets the all-to-all.
			send := math.Ceil(float64(maxTokens)/float64(a.TP)) * float64(a.TopK)
			recv := float64(rt.MaxRankSlots) / math.Max(float64(a.TP*a.DP)/float64(a.EP), 1)
			elems := math.Max(send, recv) * float64(a.HiddenSize)
			g := Group{Kind: GroupEP, Size: a.EP, RanksPerNode: a.EP}
			if a.GPUsPerNode > 0 {
				g.RanksPerNode = min(a.EP, a.GPUsPerNode)
			}
			d, err := a.Comm.CollectiveTime(CollAllToAll, elems*a.DispatchSize, g)
			if err != nil {
				return last, inner, fmt.Errorf("predictor: dispatch: %w", err)
			}
			c, err := a.Comm.CollectiveTime(CollAllToAll, elems*a.CombineSize, g)
			if err != nil {
				return last, inner, fmt.Errorf("predictor: combine: %w", err)
			}
			dispatch = (d.Seconds + c.Seconds) * 1e3
		}
	}

	var cpu float64
	if p.cfg.CPUOverheads {
		for op := CPUOp(0); op < numCPUOps; op++ {
			c, err := p.cpu(op, s.Size)
			if err != nil {
				return last, inner, err
			}
			cpu += c
		}
	}
	layers := a.FullAttnLayers + a.LinearAttnLayers
	attention := a.FullAttnLayers*worst.full + a.LinearAttnLayers*worst.linear
	dense := a.DenseMLPLayers * worst.dense
	moe := a.MoELayers * (worst.moe + gate + experts)
	tp := layers*worst.tpAttn + a.DenseMLPLayers*worst.tpDense + a.MoELayers*worst.tpMoE
	ep := a.MoELayers * dispatch
	norms := layers * worst.norms
	stage := attention + dense + moe + tp + ep + norms

	split := func(pp float64) Times {
		var t Times
		t.Model = (stage + pp) * 1e-3
		t.Total = t.Model + cpu*1e-3
		t.Attention = attention * 1e-3
		t.MLP = (dense + moe) * 1e-3
		t.MoE = moe * 1e-3
		t.Comm = (tp + ep + pp) * 1e-3
		t.Dispatch = ep * 1e-3
		t.Other = t.Total - t.Attention - t.MLP - t.Comm
		return t
	}
	last = split(0)
	inner = last
	if p.cfg.NumStages > 1 {
		sr, err := p.token(SendRecv, ceilTo(s.NumTokens, 8))
		if err != nil {
			return last, inner, err
		}
		inner = split(sr)
	}
	return last, inner, nil
}
