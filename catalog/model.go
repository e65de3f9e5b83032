package catalog

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// This file derives what the other stages need from a Model's shape: parameter counts,
// KV-cache and recurrent-state bytes, FLOPs per token, and which layers are MoE or full
// attention. Parameter counts include every weight matrix, bias and norm of the decoder, the
// embedding and the LM head; they exclude DeepSeek's multi-token-prediction module and the
// per-head q/k norms of Qwen3 (a few hundred parameters a layer), matching how model cards
// count "total" parameters.

// Clone returns a deep copy of m, safe to modify.
func (m *Model) Clone() *Model {
	c := *m
	c.Aliases = slices.Clone(m.Aliases)
	if m.MLA != nil {
		mla := *m.MLA
		c.MLA = &mla
	}
	if m.MoE != nil {
		moe := *m.MoE
		moe.Layers = slices.Clone(m.MoE.Layers)
		c.MoE = &moe
	}
	if m.Hybrid != nil {
		h := *m.Hybrid
		c.Hybrid = &h
	}
	return &c
}

// IsMoE reports whether any layer of m is a mixture of experts.
func (m *Model) IsMoE() bool { return m.MoE != nil && m.MoE.NumRoutedExperts > 0 }

// IsHybrid reports whether m mixes full-attention layers with linear-attention layers.
func (m *Model) IsHybrid() bool { return m.Hybrid != nil && m.Hybrid.FullAttentionInterval > 1 }

// IsFullAttentionLayer reports whether layer i (0-based) is a softmax-attention layer with a KV
// cache. In a hybrid model the others are Gated DeltaNet layers with a fixed recurrent state.
func (m *Model) IsFullAttentionLayer(i int) bool {
	if i < 0 || i >= m.NumLayers {
		return false
	}
	if !m.IsHybrid() {
		return true
	}
	return (i+1)%m.Hybrid.FullAttentionInterval == 0
}

// NumFullAttentionLayers counts the layers that hold a KV cache.
func (m *Model) NumFullAttentionLayers() int { return m.countLayers(m.IsFullAttentionLayer) }

// NumLinearAttentionLayers counts the Gated DeltaNet layers of a hybrid model.
func (m *Model) NumLinearAttentionLayers() int { return m.NumLayers - m.NumFullAttentionLayers() }

// IsMoELayer reports whether layer i (0-based) has routed experts instead of a dense MLP.
// An explicit MoE.Layers list wins; otherwise the first FirstDenseLayers layers are dense and,
// with LayerFrequency n > 1, layer i is MoE when (i+1) % n == 0 (Qwen's decoder_sparse_step).
func (m *Model) IsMoELayer(i int) bool {
	if !m.IsMoE() || i < 0 || i >= m.NumLayers {
		return false
	}
	moe := m.MoE
	if len(moe.Layers) > 0 {
		_, found := slices.BinarySearch(moe.Layers, i)
		return found
	}
	if i < moe.FirstDenseLayers {
		return false
	}
	if moe.LayerFrequency > 1 {
		return (i+1)%moe.LayerFrequency == 0
	}
	return true
}

// NumMoELayers counts the layers with routed experts.
func (m *Model) NumMoELayers() int { return m.countLayers(m.IsMoELayer) }

// countLayers counts the layers i (0-based) for which is(i) holds.
func (m *Model) countLayers(is func(i int) bool) int {
	n := 0
	for i := range m.NumLayers {
		if is(i) {
			n++
		}
	}
	return n
}

// mlpMatrices is 3 for a gated MLP (gate, up, down) and 2 otherwise (fc1, fc2).
func (m *Model) mlpMatrices() int64 {
	if m.GatedMLP {
		return 3
	}
	return 2
}

// AttentionParamsPerLayer counts the weights of one full-attention layer: the Q, K, V and output
// projections of MHA/GQA (with StepFun's shared low-rank query and Qwen3-Next's output gate when
// present) or the low-rank projections of MLA, plus their biases and MLA's latent norms. For a
// Gated DeltaNet layer see LinearAttentionParamsPerLayer.
func (m *Model) AttentionParamsPerLayer() int64 {
	h := int64(m.HiddenSize)
	q := int64(m.NumQHeads)
	if mla := m.MLA; mla != nil {
		qkDim := int64(mla.QKNopeHeadDim + mla.QKRopeHeadDim)
		var n int64
		if r := int64(mla.QLoraRank); r > 0 {
			n += h*r + r + r*q*qkDim // q_a_proj, q_a_layernorm, q_b_proj
		} else {
			n += h * q * qkDim
		}
		kvr := int64(mla.KVLoraRank)
		n += h * (kvr + int64(mla.QKRopeHeadDim))              // kv_a_proj_with_mqa: latent and the shared rope key
		n += kvr + kvr*q*int64(mla.QKNopeHeadDim+mla.VHeadDim) // kv_a_layernorm, kv_b_proj
		n += q * int64(mla.VHeadDim) * h                       // o_proj
		if m.UseQKVBias || m.UseBias {
			// DeepSeek's attention_bias applies to q_a_proj, kv_a_proj_with_mqa and o_proj only.
			n += int64(mla.QLoraRank) + kvr + int64(mla.QKRopeHeadDim) + h
		}
		return n
	}
	hd := int64(m.HeadDim)
	kv := int64(m.NumKVHeads)
	qOut := q * hd
	if m.AttnOutputGate {
		qOut *= 2
	}
	var n int64
	if s := int64(m.ShareQDim); s > 0 {
		n += h*s + s + s*qOut // shared down-projection, its norm, per-head up-projection
	} else {
		n += h * qOut
	}
	n += 2 * h * kv * hd // k_proj, v_proj
	n += q * hd * h      // o_proj
	if m.UseQKVBias || m.UseBias {
		n += qOut + 2*kv*hd
	}
	if m.UseBias {
		n += h
	}
	return n
}

// LinearAttentionParamsPerLayer counts the weights of one Gated DeltaNet layer of a hybrid model
// (0 for other models): the fused q/k/v/z input projection, the b/a (beta, decay) projection, the
// depthwise causal convolution over q, k and v, the per-head decay parameters, the gated norm and
// the output projection, as in Hugging Face's Qwen3NextGatedDeltaNet.
func (m *Model) LinearAttentionParamsPerLayer() int64 {
	if !m.IsHybrid() {
		return 0
	}
	hy := m.Hybrid
	h := int64(m.HiddenSize)
	keyDim := int64(hy.LinearNumKeyHeads * hy.LinearKeyHeadDim)
	valDim := int64(hy.LinearNumValueHeads * hy.LinearValueHeadDim)
	lv := int64(hy.LinearNumValueHeads)
	n := h * (2*keyDim + 2*valDim)                  // in_proj_qkvz
	n += h * 2 * lv                                 // in_proj_ba
	n += (2*keyDim + valDim) * int64(hy.ConvKernel) // conv1d, depthwise, no bias
	n += 2 * lv                                     // dt_bias, A_log
	n += int64(hy.LinearValueHeadDim)               // gated RMSNorm
	n += valDim * h                                 // out_proj
	return n
}

// layerAttentionParams counts the attention weights of layer i, full or linear.
func (m *Model) layerAttentionParams(i int) int64 {
	if m.IsFullAttentionLayer(i) {
		return m.AttentionParamsPerLayer()
	}
	return m.LinearAttentionParamsPerLayer()
}

// DenseMLPParams counts the weights of one dense MLP layer (0 when IntermediateSize is 0).
func (m *Model) DenseMLPParams() int64 {
	h, inter := int64(m.HiddenSize), int64(m.IntermediateSize)
	n := m.mlpMatrices() * h * inter
	if m.UseBias {
		n += (m.mlpMatrices()-1)*inter + h
	}
	return n
}

// ExpertParams counts the weights of one routed expert (0 for a dense model).
func (m *Model) ExpertParams() int64 {
	if !m.IsMoE() {
		return 0
	}
	return m.mlpMatrices() * int64(m.HiddenSize) * int64(m.MoE.ExpertIntermediateSize)
}

// SharedExpertParams counts the weights of all shared experts of one MoE layer.
func (m *Model) SharedExpertParams() int64 {
	if !m.IsMoE() || m.MoE.NumSharedExperts == 0 {
		return 0
	}
	inter := m.MoE.SharedExpertIntermediate
	if inter == 0 {
		inter = m.MoE.ExpertIntermediateSize
	}
	return int64(m.MoE.NumSharedExperts) * m.mlpMatrices() * int64(m.HiddenSize) * int64(inter)
}

// RouterParams counts the gating weights of one MoE layer (hidden × routed experts).
func (m *Model) RouterParams() int64 {
	if !m.IsMoE() {
		return 0
	}
	return int64(m.HiddenSize) * int64(m.MoE.NumRoutedExperts)
}

// EmbeddingParams counts the token embedding and the LM head (once when they are tied).
func (m *Model) EmbeddingParams() int64 {
	n := int64(m.VocabSize) * int64(m.HiddenSize)
	if m.TieWordEmbeddings {
		return n
	}
	return 2 * n
}

// normParams counts one norm's weights (LayerNorm also has a bias).
func (m *Model) normParams() int64 {
	if m.Norm == "layer_norm" {
		return 2 * int64(m.HiddenSize)
	}
	return int64(m.HiddenSize)
}

// layerNormParams counts the norms of one decoder layer: the input norm and, unless attention
// and MLP run in parallel off one norm (phi), the post-attention norm.
func (m *Model) layerNormParams() int64 {
	if m.PostAttnNorm {
		return 2 * m.normParams()
	}
	return m.normParams()
}

// params sums the model's weights; with activated set, an MoE layer counts only the experts one
// token runs through (top-k routed plus the shared ones).
func (m *Model) params(activated bool) int64 {
	n := m.EmbeddingParams() + m.normParams() // final norm
	for i := range m.NumLayers {
		n += m.layerParams(i, activated)
	}
	return n
}

// layerParams counts layer i's weights: attention, norms and the MLP, which for an MoE
// layer is every routed expert, or only the top-k when activated, plus shared experts
// and the router.
func (m *Model) layerParams(i int, activated bool) int64 {
	n := m.layerAttentionParams(i) + m.layerNormParams()
	if !m.IsMoELayer(i) {
		return n + m.DenseMLPParams()
	}
	experts := int64(m.MoE.NumRoutedExperts)
	if activated {
		experts = int64(m.MoE.NumExpertsPerToken)
	}
	return n + experts*m.ExpertParams() + m.SharedExpertParams() + m.RouterParams()
}

// ActiveParamsOfLayer counts the weights of layer i that one token runs through (for an
// MoE layer its top-k routed experts, the shared experts and the router): what a
// token's matrix products cost, as opposed to what the layer holds in memory.
func (m *Model) ActiveParamsOfLayer(i int) int64 { return m.layerParams(i, true) }

// TotalParams counts every weight of the model, embeddings included.
func (m *Model) TotalParams() int64 { return m.params(false) }

// ActivatedParams counts the weights one token runs through: all of a dense model, and for an
// MoE model the top-k routed experts plus the shared experts of each MoE layer. Embeddings are
// included, as in the "37B activated" of DeepSeek-V3's and the "22B" of Qwen3-235B-A22B's cards.
func (m *Model) ActivatedParams() int64 { return m.params(true) }

// KVBytesPerToken is the KV-cache size of one token over all layers, at dtypeBytes per element:
// 2·kv_heads·head_dim per full-attention layer for MHA/GQA, and the compressed latent plus the
// shared rope key, (kv_lora_rank + qk_rope_head_dim), for MLA. Linear-attention layers of a
// hybrid model hold no per-token cache (see LinearStateBytes).
func (m *Model) KVBytesPerToken(dtypeBytes float64) int64 {
	var perLayer int64
	if mla := m.MLA; mla != nil {
		perLayer = int64(mla.KVLoraRank + mla.QKRopeHeadDim)
	} else {
		perLayer = 2 * int64(m.NumKVHeads) * int64(m.HeadDim)
	}
	return int64(math.Round(float64(perLayer*int64(m.NumFullAttentionLayers())) * dtypeBytes))
}

// LinearStateBytes is the fixed per-request state of a hybrid model's linear-attention layers,
// at dtypeBytes per element: per Gated DeltaNet layer, the recurrent state (one key_dim ×
// value_dim matrix per value head) plus the causal-convolution window, the last conv_kernel−1
// inputs of the q, k and v channels. It is 0 for models without linear attention.
func (m *Model) LinearStateBytes(dtypeBytes float64) int64 {
	if !m.IsHybrid() {
		return 0
	}
	hy := m.Hybrid
	recurrent := int64(hy.LinearNumValueHeads) * int64(hy.LinearKeyHeadDim) * int64(hy.LinearValueHeadDim)
	convChannels := int64(2*hy.LinearNumKeyHeads*hy.LinearKeyHeadDim + hy.LinearNumValueHeads*hy.LinearValueHeadDim)
	conv := int64(hy.ConvKernel-1) * convChannels
	return int64(math.Round(float64((recurrent+conv)*int64(m.NumLinearAttentionLayers())) * dtypeBytes))
}

// matmulParams counts the activated weights that take part in matrix products: all activated
// weights except the input embedding, which is a table lookup (when it is tied to the LM head the
// one matrix is counted once, for the head). Norms and biases are left in; they are under 0.01%.
func (m *Model) matmulParams() int64 {
	n := m.ActivatedParams()
	if !m.TieWordEmbeddings {
		n -= int64(m.VocabSize) * int64(m.HiddenSize)
	}
	return n
}

// attentionFLOPs is the cost of the score and value products of one token attending to ctx
// tokens, summed over the full-attention layers: 2·heads·(qk_dim + v_dim)·ctx per layer.
func (m *Model) attentionFLOPs(ctx float64) float64 {
	qk, v := m.HeadDim, m.HeadDim
	if mla := m.MLA; mla != nil {
		qk, v = mla.QKNopeHeadDim+mla.QKRopeHeadDim, mla.VHeadDim
	}
	return 2 * float64(m.NumQHeads) * float64(qk+v) * ctx * float64(m.NumFullAttentionLayers())
}

// linearAttentionFLOPs is the per-token cost of the Gated DeltaNet recurrence over all linear
// layers: per value head, reading the state with k (2·dk·dv), the rank-1 delta update (2·dk·dv),
// the decay (dk·dv) and the read-out with q (2·dk·dv), 7·dk·dv in all. It does not depend on the
// context length, which is the point of linear attention.
func (m *Model) linearAttentionFLOPs() float64 {
	if !m.IsHybrid() {
		return 0
	}
	hy := m.Hybrid
	perLayer := 7 * float64(hy.LinearNumValueHeads) * float64(hy.LinearKeyHeadDim) * float64(hy.LinearValueHeadDim)
	return perLayer * float64(m.NumLinearAttentionLayers())
}

// PrefillFLOPsPerToken is the average forward cost of one token of a promptLen-token prompt
// processed from an empty cache: 2·(activated matmul weights) plus causal attention, where token
// j attends to j tokens, (promptLen+1)/2 on average, plus the linear-attention recurrence.
func (m *Model) PrefillFLOPsPerToken(promptLen int) float64 {
	return 2*float64(m.matmulParams()) + m.attentionFLOPs(float64(promptLen+1)/2) + m.linearAttentionFLOPs()
}

// DecodeFLOPsPerToken is the forward cost of generating one token that attends to contextLen
// cached tokens (itself included): 2·(activated matmul weights) plus attention over contextLen.
func (m *Model) DecodeFLOPsPerToken(contextLen int) float64 {
	return 2*float64(m.matmulParams()) + m.attentionFLOPs(float64(contextLen)) + m.linearAttentionFLOPs()
}

// VidurParamsPerLayer counts one layer's weights on one tensor-parallel rank the way Vidur's
// memory planner does (ParamCounter): Wq, Wk, Wv, Wo and the MLP, with KV heads rounded up per
// rank, integer division of the MLP, and no norms, biases or embeddings. It keeps Vidur's
// assertions (q heads, hidden size divisible by tp; hidden size divisible by q heads) and is
// defined for dense MHA/GQA models only, as in Vidur.
func (m *Model) VidurParamsPerLayer(tp int) (int64, error) {
	switch {
	case tp <= 0:
		return 0, fmt.Errorf("catalog: %s: tensor-parallel degree %d must be positive", m.Name, tp)
	case m.MLA != nil || m.IsMoE() || m.IsHybrid():
		return 0, fmt.Errorf("catalog: %s: Vidur's parameter counter handles dense MHA/GQA models only", m.Name)
	case m.NumQHeads <= 0 || m.NumQHeads%tp != 0 || m.HiddenSize%tp != 0 || m.HiddenSize%m.NumQHeads != 0:
		return 0, fmt.Errorf("catalog: %s: Vidur requires q heads (%d) and hidden size (%d) divisible by tp %d, and hidden size by q heads",
			m.Name, m.NumQHeads, m.HiddenSize, tp)
	}
	e := int64(m.HiddenSize)
	hd := e / int64(m.NumQHeads)
	qw := int64(m.NumQHeads / tp)
	kvw := int64((m.NumKVHeads + tp - 1) / tp)
	n := e*hd*(qw+2*kvw) + e*hd*qw
	n += m.mlpMatrices() * e * int64(m.IntermediateSize) / int64(tp)
	return n, nil
}

// normalize fills the fields a config may leave out with the values they imply: head_dim from
// hidden/heads, the attention kind from the head counts, dtypes, activation and norm defaults.
func (m *Model) normalize() {
	if m.HeadDim == 0 && m.NumQHeads > 0 && m.HiddenSize%m.NumQHeads == 0 {
		m.HeadDim = m.HiddenSize / m.NumQHeads
	}
	if m.NumKVHeads == 0 {
		m.NumKVHeads = m.NumQHeads
	}
	if m.Attention == "" {
		switch {
		case m.MLA != nil:
			m.Attention = MLA
		case m.NumKVHeads < m.NumQHeads:
			m.Attention = GQA
		default:
			m.Attention = MHA
		}
	}
	if m.WeightDtype == "" {
		m.WeightDtype = "bf16"
	}
	if c := canonicalDtype(m.WeightDtype); c != "" {
		m.WeightDtype = c
	}
	if m.KVDtype == "" {
		// Quantized weights still serve with a 16-bit cache unless a run says otherwise.
		m.KVDtype = m.WeightDtype
		if b, err := DtypeBytes(m.WeightDtype); err == nil && b < 2 {
			m.KVDtype = "bf16"
		}
	}
	if c := canonicalDtype(m.KVDtype); c != "" {
		m.KVDtype = c
	}
	if m.Activation == "" {
		m.Activation = "silu"
	}
	if m.Norm == "" {
		m.Norm = "rms_norm"
	}
	if m.MoE != nil {
		slices.Sort(m.MoE.Layers)
	}
}

// maxLayers bounds num_layers, so that per-layer walks over a mistyped config stay cheap; real
// models have under 200.
const maxLayers = 1 << 16

// Validate checks that m describes a buildable model: positive dimensions, heads that divide,
// a coherent attention kind, MoE top-k within the expert count, and known dtypes. It reports
// every problem it finds, not only the first.
func (m *Model) Validate() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("catalog: model %s: %w", m.Name, err)
	}
	return nil
}

// validate is Validate without the "catalog: model NAME" prefix, for callers that say where.
func (m *Model) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	positive := func(field string, v int) {
		if v <= 0 {
			bad("%s must be positive, got %d", field, v)
		}
	}
	if strings.TrimSpace(m.Name) == "" {
		bad("name is empty")
	}
	positive("num_layers", m.NumLayers)
	if m.NumLayers > maxLayers {
		bad("num_layers %d exceeds %d", m.NumLayers, maxLayers)
	}
	positive("hidden_size", m.HiddenSize)
	positive("num_q_heads", m.NumQHeads)
	positive("num_kv_heads", m.NumKVHeads)
	positive("head_dim", m.HeadDim)
	positive("vocab_size", m.VocabSize)
	if m.NumQHeads > 0 && m.NumKVHeads > 0 && m.NumQHeads%m.NumKVHeads != 0 {
		bad("num_q_heads %d is not a multiple of num_kv_heads %d", m.NumQHeads, m.NumKVHeads)
	}
	if m.NumKVHeads > m.NumQHeads {
		bad("num_kv_heads %d exceeds num_q_heads %d", m.NumKVHeads, m.NumQHeads)
	}
	if m.IntermediateSize < 0 || m.ShareQDim < 0 || m.MaxPositionEmbeddings < 0 {
		bad("intermediate_size, share_q_dim and max_position_embeddings must not be negative")
	}
	hasDense := false
	for i := range m.NumLayers {
		if !m.IsMoELayer(i) {
			hasDense = true
			break
		}
	}
	if hasDense && m.IntermediateSize <= 0 {
		bad("intermediate_size must be positive: the model has dense MLP layers")
	}
	switch m.Attention {
	case MLA:
		if m.MLA == nil {
			bad("attention is mla but the mla section is missing")
		}
	case MHA, GQA:
		if m.MLA != nil {
			bad("attention is %s but an mla section is present", m.Attention)
		}
		if m.Attention == GQA && m.NumKVHeads >= m.NumQHeads && m.NumKVHeads > 0 {
			bad("attention is gqa but num_kv_heads %d is not below num_q_heads %d", m.NumKVHeads, m.NumQHeads)
		}
		if m.Attention == MHA && m.NumKVHeads != m.NumQHeads {
			bad("attention is mha but num_kv_heads %d differs from num_q_heads %d", m.NumKVHeads, m.NumQHeads)
		}
	default:
		bad("attention %q is not one of mha, gqa, mla", m.Attention)
	}
	if mla := m.MLA; mla != nil {
		positive("mla.kv_lora_rank", mla.KVLoraRank)
		positive("mla.qk_nope_head_dim", mla.QKNopeHeadDim)
		positive("mla.qk_rope_head_dim", mla.QKRopeHeadDim)
		positive("mla.v_head_dim", mla.VHeadDim)
		if mla.QLoraRank < 0 {
			bad("mla.q_lora_rank must not be negative, got %d", mla.QLoraRank)
		}
	}
	if moe := m.MoE; moe != nil {
		positive("moe.num_routed_experts", moe.NumRoutedExperts)
		positive("moe.num_experts_per_token", moe.NumExpertsPerToken)
		positive("moe.expert_intermediate_size", moe.ExpertIntermediateSize)
		if moe.NumExpertsPerToken > moe.NumRoutedExperts {
			bad("moe.num_experts_per_token %d exceeds moe.num_routed_experts %d", moe.NumExpertsPerToken, moe.NumRoutedExperts)
		}
		if moe.NumSharedExperts < 0 || moe.SharedExpertIntermediate < 0 || moe.LayerFrequency < 0 {
			bad("moe.num_shared_experts, moe.shared_expert_intermediate_size and moe.layer_frequency must not be negative")
		}
		if moe.FirstDenseLayers < 0 || moe.FirstDenseLayers > m.NumLayers {
			bad("moe.first_dense_layers %d is outside 0..num_layers %d", moe.FirstDenseLayers, m.NumLayers)
		}
		for _, l := range moe.Layers {
			if l < 0 || l >= m.NumLayers {
				bad("moe.layers: layer %d is outside 0..%d", l, m.NumLayers-1)
				break
			}
		}
		if len(slices.Compact(slices.Clone(moe.Layers))) != len(moe.Layers) {
			bad("moe.layers lists a layer twice")
		}
	}
	if hy := m.Hybrid; hy != nil {
		positive("hybrid.full_attention_interval", hy.FullAttentionInterval)
		positive("hybrid.linear_num_key_heads", hy.LinearNumKeyHeads)
		positive("hybrid.linear_key_head_dim", hy.LinearKeyHeadDim)
		positive("hybrid.linear_num_value_heads", hy.LinearNumValueHeads)
		positive("hybrid.linear_value_head_dim", hy.LinearValueHeadDim)
		positive("hybrid.conv_kernel", hy.ConvKernel)
		if hy.LinearNumKeyHeads > 0 && hy.LinearNumValueHeads%hy.LinearNumKeyHeads != 0 {
			bad("hybrid.linear_num_value_heads %d is not a multiple of linear_num_key_heads %d", hy.LinearNumValueHeads, hy.LinearNumKeyHeads)
		}
	}
	if _, err := DtypeBytes(m.WeightDtype); err != nil {
		bad("weight_dtype: %v", err)
	}
	if _, err := DtypeBytes(m.KVDtype); err != nil {
		bad("kv_dtype: %v", err)
	}
	switch m.Activation {
	case "silu", "gelu", "gelu_tanh", "relu":
	default:
		bad("activation %q is not one of silu, gelu, gelu_tanh, relu", m.Activation)
	}
	switch m.Norm {
	case "rms_norm", "layer_norm":
	default:
		bad("norm %q is not one of rms_norm, layer_norm", m.Norm)
	}
	return joinErrors(errs)
}

// joinErrors joins errs on one line ("a; b"), which reads better than errors.Join's lines in a
// one-line CLI error; nil when errs is empty.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

// ArchitectureDiff lists the shape fields on which m and o differ (empty when they describe the
// same network): everything that changes parameter counts, FLOPs or cache sizes. Names,
// aliases, dtypes, context length, rope settings and the dense intermediate size of a model
// with no dense layer are not compared.
func (m *Model) ArchitectureDiff(o *Model) []string {
	var diffs []string
	cmp := func(field string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			diffs = append(diffs, fmt.Sprintf("%s: %v vs %v", field, a, b))
		}
	}
	cmp("num_layers", m.NumLayers, o.NumLayers)
	cmp("hidden_size", m.HiddenSize, o.HiddenSize)
	cmp("num_q_heads", m.NumQHeads, o.NumQHeads)
	cmp("num_kv_heads", m.NumKVHeads, o.NumKVHeads)
	cmp("head_dim", m.HeadDim, o.HeadDim)
	cmp("attention", m.Attention, o.Attention)
	cmp("vocab_size", m.VocabSize, o.VocabSize)
	cmp("tie_word_embeddings", m.TieWordEmbeddings, o.TieWordEmbeddings)
	cmp("gated_mlp", m.GatedMLP, o.GatedMLP)
	cmp("use_bias", m.UseBias, o.UseBias)
	cmp("use_qkv_bias", m.UseQKVBias, o.UseQKVBias)
	cmp("share_q_dim", m.ShareQDim, o.ShareQDim)
	cmp("attn_output_gate", m.AttnOutputGate, o.AttnOutputGate)
	if m.NumMoELayers() < m.NumLayers || o.NumMoELayers() < o.NumLayers {
		cmp("intermediate_size", m.IntermediateSize, o.IntermediateSize)
	}
	deref := func(p any) any {
		switch v := p.(type) {
		case *MLAConfig:
			if v != nil {
				return *v
			}
		case *HybridConfig:
			if v != nil {
				return *v
			}
		}
		return nil
	}
	cmp("mla", deref(m.MLA), deref(o.MLA))
	cmp("hybrid", deref(m.Hybrid), deref(o.Hybrid))
	cmp("moe", m.moeShape(), o.moeShape())
	return diffs
}

// moeShape renders the MoE section with the layer pattern expanded, so that two spellings of
// the same layout (first_dense_layers vs an explicit list) compare equal.
func (m *Model) moeShape() string {
	if !m.IsMoE() {
		return "none"
	}
	var layers []int
	for i := range m.NumLayers {
		if m.IsMoELayer(i) {
			layers = append(layers, i)
		}
	}
	moe := m.MoE
	shared := moe.SharedExpertIntermediate
	if shared == 0 && moe.NumSharedExperts > 0 {
		shared = moe.ExpertIntermediateSize
	}
	if moe.NumSharedExperts == 0 {
		shared = 0
	}
	return fmt.Sprintf("experts %d top-%d shared %d×%d expert_intermediate %d layers %v",
		moe.NumRoutedExperts, moe.NumExpertsPerToken, moe.NumSharedExperts, shared, moe.ExpertIntermediateSize, layers)
}
