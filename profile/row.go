package profile

// SchemaVersion is the version of the normalized dataset schema (Row). Bump it
// whenever a column is added, removed or changes meaning; train refuses datasets
// whose major version it does not know.
const SchemaVersion = "1.0"

// Row is one measured (or synthesized) operator sample in the normalized dataset.
//
// Key and feature columns that do not apply to an operator are zero; a zero is never
// a meaningful key value for them (no model has 0 heads, no collective moves 0 bytes).
// Times are milliseconds, bandwidths GB/s (10^9 bytes per second).
type Row struct {
	Operator  string `parquet:"operator,dict"` // e.g. attn_pre_proj, attn_decode, moe_grouped_gemm, all_reduce
	GPU       string `parquet:"gpu,dict"`      // catalog GPU name: a100, h100, a800 ...
	Network   string `parquet:"network,dict"`  // catalog node name for collectives: a100_dgx ...; empty for compute
	Model     string `parquet:"model,dict"`    // model folder or id the profile was taken for; empty when unknown
	Source    string `parquet:"source,dict"`   // source file, relative to the ingest root
	Line      int64  `parquet:"line"`          // 1-based line of the sample in Source (0 when not line-based)
	Reader    string `parquet:"reader,dict"`   // reader that produced the row: vidur_mlp, nccl_tests, aiob ...
	Backend   string `parquet:"backend,dict"`  // attention/GEMM backend or measurement method when the source says so
	Dtype     string `parquet:"dtype,dict"`    // profiling precision: fp16, bf16, fp8 ...
	Synthetic bool   `parquet:"synthetic"`     // true for roofline rows from profile synth

	// Model-shape keys.
	HiddenSize       int64 `parquet:"hidden_size"`       // n_embd
	NumQHeads        int64 `parquet:"num_q_heads"`       // n_head / n_q_head
	NumKVHeads       int64 `parquet:"num_kv_heads"`      // n_kv_head
	IntermediateSize int64 `parquet:"intermediate_size"` // n_expanded_embd
	VocabSize        int64 `parquet:"vocab_size"`
	GatedMLP         bool  `parquet:"gated_mlp"`
	BlockSize        int64 `parquet:"block_size"` // KV-cache block size of attention profiles
	NumExperts       int64 `parquet:"num_experts"`
	ExpertsPerToken  int64 `parquet:"experts_per_token"` // router top-k
	ExpertHiddenSize int64 `parquet:"expert_hidden_size"`

	// Parallelism keys.
	TP        int64 `parquet:"tp"`
	EP        int64 `parquet:"ep"`
	PP        int64 `parquet:"pp"`
	WorldSize int64 `parquet:"world_size"`

	// Operator features.
	NumTokens        int64   `parquet:"num_tokens"`
	BatchSize        int64   `parquet:"batch_size"`
	KVCacheSize      int64   `parquet:"kv_cache_size"`
	PrefillChunkSize int64   `parquet:"prefill_chunk_size"`
	IsPrefill        bool    `parquet:"is_prefill"`
	RoutingSkew      float64 `parquet:"routing_skew"` // MoE load imbalance (max load / mean load); 0 when not measured
	// Extra holds a source's remaining key columns as "k=v;k=v", sorted by key, so that
	// nothing measured is lost and rows stay distinguishable.
	Extra string `parquet:"extra"`

	// Collectives.
	Bytes        int64   `parquet:"bytes"`          // message size in bytes
	GroupSize    int64   `parquet:"group_size"`     // ranks taking part
	RanksPerNode int64   `parquet:"ranks_per_node"` // ranks on each node (group_size when intra-node)
	InPlace      bool    `parquet:"in_place"`
	AlgBWGBps    float64 `parquet:"algbw_gbps"`
	BusBWGBps    float64 `parquet:"busbw_gbps"`

	// Statistics of the measured time, in milliseconds; Count is the number of
	// repetitions behind them (0 when the source does not say).
	MedianMS float64 `parquet:"median_ms"`
	MeanMS   float64 `parquet:"mean_ms"`
	MinMS    float64 `parquet:"min_ms"`
	MaxMS    float64 `parquet:"max_ms"`
	StdMS    float64 `parquet:"std_ms"`
	Count    int64   `parquet:"count"`
}
