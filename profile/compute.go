package profile

import (
	"slices"
	"strings"
)

// The compute readers: Vidur's mlp.csv and attention.csv, and Frontier's
// linear_op.csv and moe.csv (including their *_kernel_only, attention_combined,
// attention_mixed and attention_true_mixed variants, which share those headers).
// All four are time_stats tables (timestats.go); they differ in which key columns
// they need and which Row fields those fill.

// vidurDtype is the precision of files that do not say: Vidur's profilers build
// their layers in torch.float16.
const vidurDtype = "fp16"

// vidurMLPKeys are exactly the key columns of Vidur's mlp.csv (§2.2 of the Vidur
// reference); a file with more key columns is Frontier's linear_op.csv.
var vidurMLPKeys = []string{"n_head", "n_kv_head", "n_embd", "n_expanded_embd", "vocab_size",
	"use_gated_mlp", "num_tokens", "num_tensor_parallel_workers"}

// linearKeys maps the dense-operator key columns shared by mlp.csv and linear_op.csv.
func linearKeys() []keyColumn {
	return []keyColumn{
		intKey("n_head", func(r *Row) *int64 { return &r.NumQHeads }),
		intKey("n_kv_head", func(r *Row) *int64 { return &r.NumKVHeads }),
		intKey("n_embd", func(r *Row) *int64 { return &r.HiddenSize }),
		intKey("n_expanded_embd", func(r *Row) *int64 { return &r.IntermediateSize }),
		intKey("vocab_size", func(r *Row) *int64 { return &r.VocabSize }),
		boolKey("use_gated_mlp", func(r *Row) *bool { return &r.GatedMLP }),
		intKey("num_tokens", func(r *Row) *int64 { return &r.NumTokens }),
		intKey("num_tensor_parallel_workers", func(r *Row) *int64 { return &r.TP }),
		textKey("profiling_precision", func(r *Row) *string { return &r.Dtype }, normDtype),
	}
}

var linearRequired = []string{"n_embd", "num_tokens", "num_tensor_parallel_workers"}

// vidurMLPLayout reads mlp.csv: emb, input_layernorm, attn_pre_proj, attn_rope,
// attn_post_proj, post_attention_layernorm (absent for phi-2), mlp_up_proj, mlp_act,
// mlp_down_proj and add, keyed by model shape, num_tokens and TP.
var vidurMLPLayout = statsLayout{reader: "vidur_mlp", required: linearRequired, keys: linearKeys(), dtype: vidurDtype}

// frontierLinearLayout reads linear_op.csv, Frontier's mlp.csv for MoE and hybrid
// models: the same operators plus shared-expert, q-norm, MTP and lm-head ones, and
// more key columns (padded sizes, qk-norm, measurement_type ...) that go to Extra.
var frontierLinearLayout = statsLayout{reader: "frontier_linear_op", required: linearRequired, keys: linearKeys(), dtype: vidurDtype}

func detectVidurMLP(_ string, head []byte) bool {
	f := headerFields(head)
	if !isTimeStatsHeader(f, linearRequired...) || !slices.Contains(f, "n_head") {
		return false
	}
	for _, c := range f {
		if c != "" && !strings.HasPrefix(c, timeStatsPrefix) && !slices.Contains(vidurMLPKeys, c) {
			return false
		}
	}
	return true
}

func detectFrontierLinear(base string, head []byte) bool {
	f := headerFields(head)
	return isTimeStatsHeader(f, linearRequired...) && slices.Contains(f, "n_head") && !detectVidurMLP(base, head)
}

// vidurAttentionLayout reads attention.csv in every variant seen: Vidur's own (with
// or without attn_kv_cache_save, FlashAttention or FlashInfer backend) and
// Frontier's, whose extra key columns (.count statistics, mixed-batch composition,
// seq_lens lists, measurement_type) go to Extra. Prefill lines carry NaN (or 0) in
// the decode columns and vice versa; those operator samples are skipped, not errors.
var vidurAttentionLayout = statsLayout{
	reader:   "vidur_attention",
	required: []string{"num_tensor_parallel_workers", "batch_size", "prefill_chunk_size", "kv_cache_size"},
	keys: []keyColumn{
		intKey("n_embd", func(r *Row) *int64 { return &r.HiddenSize }),
		intKey("n_q_head", func(r *Row) *int64 { return &r.NumQHeads }),
		intKey("n_kv_head", func(r *Row) *int64 { return &r.NumKVHeads }),
		intKey("block_size", func(r *Row) *int64 { return &r.BlockSize }),
		intKey("num_tensor_parallel_workers", func(r *Row) *int64 { return &r.TP }),
		intKey("batch_size", func(r *Row) *int64 { return &r.BatchSize }),
		intKey("prefill_chunk_size", func(r *Row) *int64 { return &r.PrefillChunkSize }),
		intKey("kv_cache_size", func(r *Row) *int64 { return &r.KVCacheSize }),
		boolKey("is_prefill", func(r *Row) *bool { return &r.IsPrefill }),
		textKey("attention_backend", func(r *Row) *string { return &r.Backend }, normBackend),
		textKey("profiling_precision", func(r *Row) *string { return &r.Dtype }, normDtype),
	},
	dtype: vidurDtype,
}

func detectVidurAttention(_ string, head []byte) bool {
	return isTimeStatsHeader(headerFields(head), vidurAttentionLayout.required...)
}

// frontierMoELayout reads moe.csv: moe_gating_linear, moe_gating_routing_topk,
// moe_shuffling and moe_grouped_gemm (older files: moe_gating, moe_expert_up_proj,
// moe_expert_down_proj), keyed by tokens, expert counts, top-k, sizes, EP/TP and
// the routing skew (max_load_ratio = max expert load / mean load). Routing policy,
// load statistics, seed and num_experts_per_device go to Extra.
var frontierMoELayout = statsLayout{
	reader:   "frontier_moe",
	required: []string{"num_tokens", "num_experts", "router_topk"},
	keys: []keyColumn{
		intKey("num_tokens", func(r *Row) *int64 { return &r.NumTokens }),
		intKey("num_experts", func(r *Row) *int64 { return &r.NumExperts }),
		intKey("expert_parallel_size", func(r *Row) *int64 { return &r.EP }),
		intKey("router_topk", func(r *Row) *int64 { return &r.ExpertsPerToken }),
		intKey("hidden_dim", func(r *Row) *int64 { return &r.HiddenSize }),
		intKey("expert_hidden_dim", func(r *Row) *int64 { return &r.ExpertHiddenSize }),
		boolKey("use_gated", func(r *Row) *bool { return &r.GatedMLP }),
		intKey("num_tensor_parallel_workers", func(r *Row) *int64 { return &r.TP }),
		floatKey("max_load_ratio", func(r *Row) *float64 { return &r.RoutingSkew }),
		textKey("moe_grouped_gemm_backend", func(r *Row) *string { return &r.Backend }, normBackend),
		textKey("profiling_precision", func(r *Row) *string { return &r.Dtype }, normDtype),
	},
	dtype: vidurDtype,
}

func detectFrontierMoE(_ string, head []byte) bool {
	return isTimeStatsHeader(headerFields(head), frontierMoELayout.required...)
}

func readVidurMLP(src Source, opts Options) (Result, error) {
	return readTimeStats(&vidurMLPLayout, src, opts)
}

func readFrontierLinear(src Source, opts Options) (Result, error) {
	return readTimeStats(&frontierLinearLayout, src, opts)
}

func readVidurAttention(src Source, opts Options) (Result, error) {
	return readTimeStats(&vidurAttentionLayout, src, opts)
}

func readFrontierMoE(src Source, opts Options) (Result, error) {
	return readTimeStats(&frontierMoELayout, src, opts)
}
