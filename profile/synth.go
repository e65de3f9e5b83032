package profile

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/llmsim/llmsim/catalog"
)

// This file is `profile synth`: a roofline profile for a GPU that has no
// measurements. Each operator of Vidur's mlp.csv and attention.csv (and the MoE
// operators of Frontier's moe.csv for MoE models) is reduced to the FLOPs it does and
// the bytes it moves on one tensor-parallel rank, and its time is
//
//	time = max(FLOPs / (peak · effC(FLOPs)), bytes / (HBM · effM(bytes))) + launch
//
// with saturating efficiency curves eff(x) = effMax · x / (x + half): tiny kernels
// cannot fill the GPU, large ones approach a fixed fraction of peak. The rows carry
// the same keys and features as measured rows, so train treats them alike; they are
// flagged Synthetic and the manifest records every setting used.
//
// Beyond Vidur's operators it costs what MoE, MLA and hybrid models run: the expert
// operators at every expert-parallel degree of SynthParams.EP, the shared experts
// (Frontier's share_expert_* operators), MLA attention (prefill up-projects the cached
// latent and attends with the full query/key width; decode uses the absorbed form, which
// attends over the latent itself), and Gated DeltaNet layers (linear_attn_*: projections
// and the chunked scan linear in tokens, the recurrent state read and written once per
// sequence). The attention reshape operators are left out (FlashInfer runs none;
// Vidur's predictor ignores them).

// SynthParams are the settings of a roofline profile. Zero fields take the defaults
// of DefaultSynthParams (peak and bandwidth from the catalog GPU).
type SynthParams struct {
	GPU   string `json:"gpu"`   // catalog GPU name
	Model string `json:"model"` // catalog model name
	TP    []int  `json:"tp"`    // tensor-parallel degrees to tabulate
	// EP lists the expert-parallel degrees of the MoE operators; by default every power
	// of two up to 64 that divides the routed experts.
	EP    []int  `json:"ep,omitempty"`
	Dtype string `json:"dtype"` // weights and activations; the model's weight dtype by default

	PeakTFLOPS float64 `json:"peak_tflops"` // dense peak for Dtype (catalog: bf16 or fp8 figure)
	HBMGBps    float64 `json:"hbm_gbps"`    // device memory bandwidth, 1e9 B/s

	// ComputeEfficiency is the fraction of PeakTFLOPS that a large GEMM reaches, and
	// ComputeHalfGFLOP the work (GFLOP) at which a kernel reaches half of that.
	ComputeEfficiency float64 `json:"compute_efficiency"`
	ComputeHalfGFLOP  float64 `json:"compute_half_gflop"`
	// MemoryEfficiency is the fraction of HBMGBps that a large streaming kernel
	// reaches, and MemoryHalfMiB the traffic (MiB) at which it reaches half of that.
	MemoryEfficiency float64 `json:"memory_efficiency"`
	MemoryHalfMiB    float64 `json:"memory_half_mib"`
	// LaunchUS is the fixed time of one kernel in µs: the floor of every operator.
	LaunchUS float64 `json:"launch_us"`

	MaxTokens int `json:"max_tokens"`  // num_tokens grid upper bound (Vidur's --max_tokens)
	MaxSeqLen int `json:"max_seq_len"` // longest prefill chunk + KV cache in the attention grid
	MaxBatch  int `json:"max_batch"`   // largest decode batch in the attention grid
	BlockSize int `json:"block_size"`  // KV-cache block size recorded in attention rows
}

// DefaultSynthParams returns the default roofline settings.
//
// The plateaus come from Vidur's A100 measurements: mlp_up_proj of Llama-2-7b at
// 4096 tokens runs at 219 TFLOPS, 0.70 of the 312 peak; the 1-token projections
// stream their weights at about 1550 GB/s, 0.76 of 2039 GB/s, and decode attention
// reads its KV cache at about 0.8 of it. The saturating curve adds a fixed latency of
// half/(peak·eff) to every kernel, so the half sizes are kept small (0.1 GFLOP,
// 1 MiB: under 1 µs each); the smallest measured kernels (residual add, norms at one
// token) take 2 to 5 µs, hence a 2 µs launch floor. With these defaults the median
// error against those measurements (TestSynthAgainstVidur) is 6-8% for the GEMMs,
// 10% for decode attention, 7% for attn_kv_cache_save, 25-35% for norms, rope and
// activation, about 50% for the residual add and prefill attention, and 75% for the
// embedding (a vocab-parallel gather with masking that the roofline does not model).
func DefaultSynthParams() SynthParams {
	return SynthParams{
		TP:                []int{1, 2, 4, 8},
		ComputeEfficiency: 0.70,
		ComputeHalfGFLOP:  0.1,
		MemoryEfficiency:  0.75,
		MemoryHalfMiB:     1,
		LaunchUS:          2,
		MaxTokens:         4096,
		MaxSeqLen:         4096,
		MaxBatch:          128,
		BlockSize:         16,
	}
}

// withDefaults fills p's zero fields from DefaultSynthParams, the model and the GPU.
func (p SynthParams) withDefaults(m *catalog.Model, g *catalog.GPU) (SynthParams, error) {
	d := DefaultSynthParams()
	p.GPU = cmp.Or(p.GPU, g.Name)
	p.Model = cmp.Or(p.Model, m.Name)
	if len(p.TP) == 0 {
		p.TP = d.TP
		if m.NoTensorParallel {
			p.TP = []int{1}
		}
	}
	if len(p.EP) == 0 && m.IsMoE() {
		for ep := 1; ep <= 64 && ep <= m.MoE.NumRoutedExperts; ep *= 2 {
			if m.MoE.NumRoutedExperts%ep == 0 {
				p.EP = append(p.EP, ep)
			}
		}
	}
	for _, ep := range p.EP {
		if !m.IsMoE() || ep < 1 || m.MoE.NumRoutedExperts%ep != 0 {
			return p, fmt.Errorf("profile: synth: ep %d does not divide the routed experts of %s", ep, m.Name)
		}
	}
	p.Dtype = cmp.Or(p.Dtype, m.WeightDtype, "bf16")
	if p.PeakTFLOPS == 0 {
		p.PeakTFLOPS = g.BF16TFLOPS
		if b, _ := catalog.DtypeBytes(p.Dtype); b == 1 && g.FP8TFLOPS > 0 {
			p.PeakTFLOPS = g.FP8TFLOPS
		}
	}
	p.HBMGBps = cmp.Or(p.HBMGBps, g.HBMGBps)
	p.ComputeEfficiency = cmp.Or(p.ComputeEfficiency, d.ComputeEfficiency)
	p.ComputeHalfGFLOP = cmp.Or(p.ComputeHalfGFLOP, d.ComputeHalfGFLOP)
	p.MemoryEfficiency = cmp.Or(p.MemoryEfficiency, d.MemoryEfficiency)
	p.MemoryHalfMiB = cmp.Or(p.MemoryHalfMiB, d.MemoryHalfMiB)
	p.LaunchUS = cmp.Or(p.LaunchUS, d.LaunchUS)
	p.MaxTokens = cmp.Or(p.MaxTokens, d.MaxTokens)
	p.MaxSeqLen = cmp.Or(p.MaxSeqLen, d.MaxSeqLen)
	p.MaxBatch = cmp.Or(p.MaxBatch, d.MaxBatch)
	p.BlockSize = cmp.Or(p.BlockSize, d.BlockSize)

	switch {
	case p.PeakTFLOPS <= 0 || p.HBMGBps <= 0:
		return p, fmt.Errorf("profile: synth: GPU %s has no peak TFLOPS or HBM bandwidth in the catalog; set them", g.Name)
	case p.ComputeEfficiency <= 0 || p.ComputeEfficiency > 1 || p.MemoryEfficiency <= 0 || p.MemoryEfficiency > 1:
		return p, fmt.Errorf("profile: synth: efficiencies must be in (0, 1], got compute %v, memory %v", p.ComputeEfficiency, p.MemoryEfficiency)
	case p.ComputeHalfGFLOP < 0 || p.MemoryHalfMiB < 0 || p.LaunchUS < 0:
		return p, fmt.Errorf("profile: synth: saturation sizes and launch time must not be negative")
	case p.MaxTokens < 1 || p.MaxSeqLen < 64 || p.MaxBatch < 1 || p.BlockSize < 1:
		return p, fmt.Errorf("profile: synth: max_tokens, max_batch, block_size must be ≥ 1 and max_seq_len ≥ 64")
	}
	if _, err := catalog.DtypeBytes(p.Dtype); err != nil {
		return p, fmt.Errorf("profile: synth: %w", err)
	}
	for _, tp := range p.TP {
		if tp < 1 || m.NumQHeads%tp != 0 || m.HiddenSize%tp != 0 {
			return p, fmt.Errorf("profile: synth: tp %d does not divide %s's %d query heads and hidden size %d", tp, m.Name, m.NumQHeads, m.HiddenSize)
		}
	}
	return p, nil
}

// roofline times kernels with the settings of one SynthParams.
type roofline struct {
	flops, bw   float64 // peak FLOP/s, B/s
	effC, halfC float64 // plateau efficiency, half-saturation FLOPs
	effM, halfM float64 // plateau efficiency, half-saturation bytes
	launchMS    float64
}

func newRoofline(p SynthParams) roofline {
	return roofline{
		flops: p.PeakTFLOPS * 1e12, bw: p.HBMGBps * 1e9,
		effC: p.ComputeEfficiency, halfC: p.ComputeHalfGFLOP * 1e9,
		effM: p.MemoryEfficiency, halfM: p.MemoryHalfMiB * (1 << 20),
		launchMS: p.LaunchUS / 1e3,
	}
}

// time returns a kernel's time in ms and whether compute bounds it.
func (r roofline) time(flops, bytes float64) (ms float64, computeBound bool) {
	var tc, tm float64
	if flops > 0 {
		tc = flops / (r.flops * r.effC * flops / (flops + r.halfC))
	}
	if bytes > 0 {
		tm = bytes / (r.bw * r.effM * bytes / (bytes + r.halfM))
	}
	return max(tc, tm)*1e3 + r.launchMS, tc > tm
}

// vidurTokenGrid is Vidur's num_tokens profiling grid up to maxTokens (§2.2 of the
// Vidur reference): 1, 2, 4, then steps of 8 to 1024, 16 to 2048, 32 to 4096,
// 64 to 8192, 128 to 16384, 256 to 32768.
func vidurTokenGrid(maxTokens int) []int {
	g := []int{1, 2, 4}
	steps := []struct{ from, to, step int }{{8, 1024, 8}, {1024, 2048, 16}, {2048, 4096, 32},
		{4096, 8192, 64}, {8192, 16384, 128}, {16384, 32768, 256}}
	for _, s := range steps {
		for n := s.from; n < s.to; n += s.step {
			g = append(g, n)
		}
	}
	g = append(g, 32768)
	g = slices.DeleteFunc(g, func(n int) bool { return n > maxTokens })
	return slices.Compact(g)
}

// attentionGrid is a reduced version of Vidur's attention grid (§2.3): prefill
// chunks in powers of two and their midpoints, each with KV caches in steps of a
// quarter of the chunk-free room up to maxSeqLen; decode batches 1, 2, 4 ... maxBatch
// (with midpoints) against KV lengths in powers of two and their midpoints.
type attnPoint struct{ batch, chunk, kv int }

func attentionGrid(maxSeqLen, maxBatch int) []attnPoint {
	var lens []int // 64, 96, 128, 192, 256, ... < maxSeqLen, then maxSeqLen
	for n := 64; n < maxSeqLen; n *= 2 {
		lens = append(lens, n)
		if m := n + n/2; m < maxSeqLen {
			lens = append(lens, m)
		}
	}
	lens = append(lens, maxSeqLen)
	var pts []attnPoint
	for _, c := range lens {
		room := maxSeqLen - c
		for q := 0; q <= 4; q++ {
			kv := room * q / 4 / 64 * 64
			if q > 0 && kv == 0 {
				continue
			}
			pts = append(pts, attnPoint{1, c, kv})
		}
	}
	var batches []int
	for b := 1; b <= maxBatch; b *= 2 {
		batches = append(batches, b)
		if m := b + b/2; m > b && m <= maxBatch && b >= 2 {
			batches = append(batches, m)
		}
	}
	for _, b := range batches {
		for _, kv := range lens {
			pts = append(pts, attnPoint{b, 0, kv})
		}
	}
	slices.SortFunc(pts, func(a, b attnPoint) int {
		return cmp.Or(cmp.Compare(a.chunk, b.chunk), cmp.Compare(a.batch, b.batch), cmp.Compare(a.kv, b.kv))
	})
	return slices.CompactFunc(pts, func(a, b attnPoint) bool { return a == b })
}

// Synthesize builds the roofline profile of model m on GPU g.
func Synthesize(m *catalog.Model, g *catalog.GPU, p SynthParams) (*Dataset, error) {
	p, err := p.withDefaults(m, g)
	if err != nil {
		return nil, err
	}
	bpe, _ := catalog.DtypeBytes(p.Dtype)
	rf := newRoofline(p)
	source := "synth/" + p.GPU + "/" + p.Model
	var rows []Row
	add := func(r Row, flops, bytes float64) {
		ms, cb := rf.time(flops, bytes)
		r.GPU, r.Model, r.Source, r.Reader, r.Dtype, r.Synthetic = p.GPU, p.Model, source, "synth", p.Dtype, true
		r.Backend = "roofline"
		r.Line = int64(len(rows) + 1)
		r.MedianMS, r.MeanMS, r.MinMS, r.MaxMS = ms, ms, ms, ms
		if cb {
			r.Extra = "bound=compute"
		} else {
			r.Extra = "bound=memory"
		}
		rows = append(rows, r)
	}

	s := newShapes(m, bpe)
	tokens := vidurTokenGrid(p.MaxTokens)
	for _, tp := range p.TP {
		key := Row{HiddenSize: int64(m.HiddenSize), NumQHeads: int64(m.NumQHeads), NumKVHeads: int64(m.NumKVHeads),
			IntermediateSize: int64(m.IntermediateSize), VocabSize: int64(m.VocabSize), GatedMLP: m.GatedMLP, TP: int64(tp)}
		for _, n := range tokens {
			for _, op := range s.linearOps(float64(n), float64(tp)) {
				r := key
				r.Operator, r.NumTokens = op.name, int64(n)
				add(r, op.flops, op.bytes)
			}
		}
		akey := Row{HiddenSize: key.HiddenSize, NumQHeads: key.NumQHeads, NumKVHeads: key.NumKVHeads,
			BlockSize: int64(p.BlockSize), TP: int64(tp)}
		for _, pt := range attentionGrid(p.MaxSeqLen, p.MaxBatch) {
			for _, op := range s.attentionOps(pt, float64(tp)) {
				r := akey
				r.Operator, r.BatchSize, r.PrefillChunkSize, r.KVCacheSize, r.IsPrefill = op.name, int64(pt.batch), int64(pt.chunk), int64(pt.kv), pt.chunk > 0
				add(r, op.flops, op.bytes)
			}
		}
		if m.IsHybrid() {
			for b := 1; b <= p.MaxBatch; b++ {
				r := key
				r.Operator, r.BatchSize = "linear_attn_state", int64(b)
				add(r, 0, s.linearStateBytes(float64(b), float64(tp)))
			}
		}
		for _, ep := range p.EP {
			mkey := Row{HiddenSize: int64(m.HiddenSize), NumExperts: int64(m.MoE.NumRoutedExperts),
				ExpertsPerToken: int64(m.MoE.NumExpertsPerToken), ExpertHiddenSize: int64(m.MoE.ExpertIntermediateSize),
				GatedMLP: m.GatedMLP, TP: int64(tp), EP: int64(ep), RoutingSkew: 1}
			for _, n := range tokens {
				for _, op := range s.moeOps(float64(n), float64(tp), float64(ep)) {
					r := mkey
					r.Operator, r.NumTokens = op.name, int64(n)
					add(r, op.flops, op.bytes)
				}
			}
		}
	}
	SortRows(rows)
	pp := p
	man := Manifest{
		Synth: &pp,
		Sources: []SourceRecord{{Path: source, Reader: "synth", Kind: KindSynthetic, GPU: p.GPU, Model: p.Model,
			RowsRead: len(rows), RowsKept: len(rows)}},
	}
	return &Dataset{Manifest: man, Rows: rows}, nil
}

// opCost is one operator's work on one rank.
type opCost struct {
	name         string
	flops, bytes float64
}

// shapes holds a model's per-layer dimensions as floats, for costing.
type shapes struct {
	m                 *catalog.Model
	b                 float64 // bytes per element
	e, hq, hkv, d, vd float64 // hidden, heads, head dims (query/key, value)
	qkvOut            float64 // output width of the fused pre-projection (all ranks)
	mlpUp, mlpInter   float64 // up-projection output width, intermediate width
	kvPerTokenLayer   float64 // KV-cache bytes per token per layer (unsharded)
	mla               bool
}

func newShapes(m *catalog.Model, bpe float64) shapes {
	s := shapes{m: m, b: bpe, e: float64(m.HiddenSize), hq: float64(m.NumQHeads), hkv: float64(m.NumKVHeads),
		d: float64(m.HeadDim), vd: float64(m.HeadDim), mlpInter: float64(m.IntermediateSize)}
	if m.MLA != nil {
		s.mla = true
		s.d = float64(m.MLA.QKNopeHeadDim + m.MLA.QKRopeHeadDim)
		s.vd = float64(m.MLA.VHeadDim)
	}
	// The catalog counts every attention weight (MLA's low-rank pair, StepFun's shared
	// query, Qwen3-Next's output gate); all but the output projection run before the
	// attention kernel, so they make up the pre-projection.
	post := s.hq * s.vd * s.e
	s.qkvOut = math.Max(float64(m.AttentionParamsPerLayer())-post, 0) / s.e
	if m.IsMoE() && m.NumMoELayers() == m.NumLayers {
		s.mlpInter = 0 // every MLP is routed: no dense MLP operators to profile
	}
	s.mlpUp = s.mlpInter
	if m.GatedMLP {
		s.mlpUp *= 2
	}
	if n := m.NumFullAttentionLayers(); n > 0 {
		s.kvPerTokenLayer = float64(m.KVBytesPerToken(bpe)) / float64(n)
	}
	return s
}

// gemm costs a [t×k]·[k×n] product: 2tkn FLOPs; inputs, weights and output once.
func (s shapes) gemm(name string, t, k, n float64) opCost {
	return opCost{name, 2 * t * k * n, (t*k + k*n + t*n) * s.b}
}

// stream costs an element-wise kernel that reads `in` and writes `out` elements.
func (s shapes) stream(name string, in, out, flopsPerElem float64) opCost {
	return opCost{name, flopsPerElem * out, (in + out) * s.b}
}

// linearOps costs mlp.csv's operators for t tokens on one of tp ranks.
func (s shapes) linearOps(t, tp float64) []opCost {
	ops := []opCost{
		s.stream("emb", t*s.e, t*s.e, 0),
		s.stream("input_layernorm", t*s.e+s.e, t*s.e, 5),
		s.gemm("attn_pre_proj", t, s.e, s.qkvOut/tp),
		s.stream("attn_rope", t*(s.hq+s.hkv)*s.d/tp, t*(s.hq+s.hkv)*s.d/tp, 6),
		s.gemm("attn_post_proj", t, s.hq*s.vd/tp, s.e),
	}
	if s.m.PostAttnNorm {
		ops = append(ops, s.stream("post_attention_layernorm", t*s.e+s.e, t*s.e, 5))
	}
	if s.mlpInter > 0 {
		ops = append(ops,
			s.gemm("mlp_up_proj", t, s.e, s.mlpUp/tp),
			s.stream("mlp_act", t*s.mlpUp/tp, t*s.mlpInter/tp, 8),
			s.gemm("mlp_down_proj", t, s.mlpInter/tp, s.e),
		)
	}
	if moe := s.m.MoE; s.m.IsMoE() && moe.NumSharedExperts > 0 {
		inter := float64(cmp.Or(moe.SharedExpertIntermediate, moe.ExpertIntermediateSize)*moe.NumSharedExperts) / tp
		up := inter
		if s.m.GatedMLP {
			up *= 2
		}
		ops = append(ops,
			s.gemm("share_expert_up_proj", t, s.e, up),
			s.stream("share_expert_act", t*up, t*inter, 8),
			s.gemm("share_expert_down_proj", t, inter, s.e),
		)
	}
	if hy := s.m.Hybrid; s.m.IsHybrid() {
		// Gated DeltaNet (Hugging Face's Qwen3NextGatedDeltaNet), heads split over TP.
		kd := float64(hy.LinearNumKeyHeads*hy.LinearKeyHeadDim) / tp
		vd := float64(hy.LinearNumValueHeads*hy.LinearValueHeadDim) / tp
		hv := float64(hy.LinearNumValueHeads) / tp
		dk, dv := float64(hy.LinearKeyHeadDim), float64(hy.LinearValueHeadDim)
		conv := 2*kd + vd
		scan := s.stream("linear_attn_scan", t*(conv+2*hv), t*vd, 0)
		// Causal conv (2·kernel per channel), then per value head the chunked delta rule:
		// 7·dk·dv per token (state read with k, rank-1 update, decay, read-out with q).
		scan.flops = t*conv*2*float64(hy.ConvKernel) + 7*t*hv*dk*dv
		ops = append(ops,
			s.gemm("linear_attn_pre_proj", t, s.e, 2*kd+2*vd+2*hv),
			scan,
			// Gated RMSNorm, then the output projection.
			s.gemm("linear_attn_post_proj", t, vd, s.e),
		)
	}
	return append(ops, s.stream("add", 2*t*s.e, t*s.e, 1))
}

// linearStateBytes is the traffic of b sequences' Gated DeltaNet state in one layer on
// one of tp ranks: read once and written once per iteration, whatever the tokens.
func (s shapes) linearStateBytes(b, tp float64) float64 {
	n := s.m.NumLinearAttentionLayers()
	if n == 0 {
		return 0
	}
	return 2 * b * float64(s.m.LinearStateBytes(s.b)) / float64(n) / tp
}

// kvPerTokenRank is the KV-cache bytes one rank holds per token per layer: KV heads
// are split across ranks (each rank keeps at least one), MLA's latent is not.
func (s shapes) kvPerTokenRank(tp float64) float64 {
	if s.mla || s.hkv == 0 {
		return s.kvPerTokenLayer
	}
	return s.kvPerTokenLayer / s.hkv * math.Ceil(s.hkv/tp)
}

// attentionOps costs attention.csv's operators at one grid point on one rank.
func (s shapes) attentionOps(pt attnPoint, tp float64) []opCost {
	hq := s.hq / tp
	kvTok := s.kvPerTokenRank(tp)
	perCtx := 2 * hq * (s.d + s.vd) // FLOPs per query token per attended token
	var ops []opCost
	var newTokens float64
	if s.mla {
		ops, newTokens = s.mlaAttention(pt, hq, kvTok)
	} else if pt.chunk > 0 {
		c, kv := float64(pt.chunk), float64(pt.kv)
		ctx := kv + (c+1)/2 // causal: token j of the chunk sees kv + j tokens
		ops = append(ops, opCost{"attn_prefill", c * ctx * perCtx,
			c*hq*(s.d+s.vd)*s.b + (kv+c)*kvTok})
		newTokens = c
	} else {
		bsz, kv := float64(pt.batch), float64(pt.kv)
		ops = append(ops, opCost{"attn_decode", bsz * kv * perCtx,
			bsz*hq*(s.d+s.vd)*s.b + bsz*kv*kvTok})
		newTokens = bsz
	}
	// Saving the new tokens' K and V: read them, write them into the paged cache.
	return append(ops, opCost{"attn_kv_cache_save", 0, 2 * newTokens * kvTok})
}

// moeOps costs moe.csv's operators for a batch of t tokens with uniform routing, on the
// busiest of ep expert-parallel ranks of a replica with attention TP tp. As in the
// simulator's default layout (attention DP = ep/tp), each expert is split over
// max(1, tp/ep) GPUs; a rank holds ne/ep experts and receives t·k/ep (token, expert)
// pairs. Gating and the permutation run on an attention rank's t tokens.
func (s shapes) moeOps(t, tp, ep float64) []opCost {
	moe := s.m.MoE
	ne, k := float64(moe.NumRoutedExperts), float64(moe.NumExpertsPerToken)
	inter := float64(moe.ExpertIntermediateSize) / math.Max(1, tp/ep)
	mats := 2.0
	if s.m.GatedMLP {
		mats = 3
	}
	routed := t * k
	slots := routed / ep
	// Expected number of the rank's ne/ep experts that t·k uniform draws touch: only
	// their weights are read.
	touched := ne / ep * (1 - math.Pow(1-1/ne, routed))
	gemm := opCost{"moe_grouped_gemm", 2 * slots * mats * s.e * inter,
		touched*mats*s.e*inter*s.b + slots*(2*s.e+3*inter)*s.b}
	return []opCost{
		s.gemm("moe_gating_linear", t, s.e, ne),
		// Top-k over fp32 logits: read them, write k (index, weight) pairs per token.
		{"moe_gating_routing_topk", t * ne * math.Log2(max(k, 2)), t*ne*4 + t*k*8},
		// Permute each token to its k experts: read and write t·k hidden vectors.
		s.stream("moe_shuffling", routed*s.e, routed*s.e, 0),
		gemm,
	}
}

// mlaAttention costs MLA's attention kernels on one rank with hq heads, reading a
// latent cache of kvTok bytes per token. Prefill (kv cached tokens, c new) first
// up-projects the cached latents into per-head keys and values (kv_b_proj; the new
// tokens' were made by attn_pre_proj), then attends with the full key width
// (nope + rope) and value width. Decode uses the absorbed form: the query is moved into
// the latent space, so attention reads the latent (and rope key) once for all heads and
// scores over kv_lora_rank + rope, sums values over kv_lora_rank.
func (s shapes) mlaAttention(pt attnPoint, hq, kvTok float64) ([]opCost, float64) {
	mla := s.m.MLA
	lat, rope := float64(mla.KVLoraRank), float64(mla.QKRopeHeadDim)
	nope, vd := float64(mla.QKNopeHeadDim), float64(mla.VHeadDim)
	if pt.chunk > 0 {
		c, kv := float64(pt.chunk), float64(pt.kv)
		ctx := kv + (c+1)/2
		up := 2 * kv * lat * hq * (nope + vd)
		attn := c * ctx * 2 * hq * (nope + rope + vd)
		bytes := (kv+c)*kvTok + (kv+c)*hq*(nope+rope+vd)*s.b + c*hq*(nope+rope+vd)*s.b
		return []opCost{{"attn_prefill", up + attn, bytes}}, c
	}
	b, kv := float64(pt.batch), float64(pt.kv)
	flops := b * kv * 2 * hq * (lat + rope + lat)
	bytes := b*kv*kvTok + b*hq*(lat+rope+lat)*s.b
	return []opCost{{"attn_decode", flops, bytes}}, b
}
