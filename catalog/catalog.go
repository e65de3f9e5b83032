package catalog

// AttentionKind says how a model's attention layers store and read their KV cache.
type AttentionKind string

const (
	// MHA is multi-head attention: one KV head per query head.
	MHA AttentionKind = "mha"
	// GQA is grouped-query attention: fewer KV heads than query heads.
	GQA AttentionKind = "gqa"
	// MLA is DeepSeek's multi-head latent attention: the cache holds a compressed latent plus a rope key.
	MLA AttentionKind = "mla"
)

// Model is one LLM architecture, with every field the three stages need.
// Zero values mean "absent" (a dense model has MoE == nil, a non-MLA model MLA == nil).
type Model struct {
	Name    string   `yaml:"name" json:"name"`                           // Hugging Face id, e.g. meta-llama/Llama-2-7b-hf
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"` // short names users type, e.g. deepseek-671B
	Family  string   `yaml:"family" json:"family"`                       // HF model_type: llama, qwen2, qwen3, qwen3_moe, qwen3_next, deepseek_v3, mixtral, phi, internlm, qwen

	NumLayers             int           `yaml:"num_layers" json:"num_layers"`
	HiddenSize            int           `yaml:"hidden_size" json:"hidden_size"`
	NumQHeads             int           `yaml:"num_q_heads" json:"num_q_heads"`
	NumKVHeads            int           `yaml:"num_kv_heads" json:"num_kv_heads"`
	HeadDim               int           `yaml:"head_dim" json:"head_dim"`                   // per-head width; HiddenSize/NumQHeads unless the config says otherwise; MLA: v_head_dim
	IntermediateSize      int           `yaml:"intermediate_size" json:"intermediate_size"` // dense MLP width
	GatedMLP              bool          `yaml:"gated_mlp" json:"gated_mlp"`
	Activation            string        `yaml:"activation" json:"activation"` // silu, gelu
	Norm                  string        `yaml:"norm" json:"norm"`             // rms_norm, layer_norm
	PostAttnNorm          bool          `yaml:"post_attn_norm" json:"post_attn_norm"`
	UseBias               bool          `yaml:"use_bias,omitempty" json:"use_bias,omitempty"`
	UseQKVBias            bool          `yaml:"use_qkv_bias,omitempty" json:"use_qkv_bias,omitempty"`
	VocabSize             int           `yaml:"vocab_size" json:"vocab_size"`
	MaxPositionEmbeddings int           `yaml:"max_position_embeddings" json:"max_position_embeddings"`
	TieWordEmbeddings     bool          `yaml:"tie_word_embeddings,omitempty" json:"tie_word_embeddings,omitempty"`
	PartialRotaryFactor   float64       `yaml:"partial_rotary_factor,omitempty" json:"partial_rotary_factor,omitempty"`
	RopeTheta             float64       `yaml:"rope_theta,omitempty" json:"rope_theta,omitempty"`
	Attention             AttentionKind `yaml:"attention" json:"attention"`
	// WeightDtype and KVDtype are the published dtypes (bf16, fp16, fp8); runs may override them.
	WeightDtype string `yaml:"weight_dtype" json:"weight_dtype"`
	KVDtype     string `yaml:"kv_dtype" json:"kv_dtype"`
	// NoTensorParallel marks models Vidur never shards (phi-2).
	NoTensorParallel bool `yaml:"no_tensor_parallel,omitempty" json:"no_tensor_parallel,omitempty"`
	// ShareQDim is the width of a shared low-rank query projection (StepFun's multi-matrix
	// factorization attention: hidden → ShareQDim → heads·HeadDim); 0 means queries are
	// projected directly from the hidden state.
	ShareQDim int `yaml:"share_q_dim,omitempty" json:"share_q_dim,omitempty"`
	// AttnOutputGate marks full-attention layers whose query projection is doubled to produce a
	// sigmoid gate on the attention output (Qwen3-Next).
	AttnOutputGate bool `yaml:"attn_output_gate,omitempty" json:"attn_output_gate,omitempty"`
	// Source says where the numbers come from (usually the model's config.json).
	Source string `yaml:"source,omitempty" json:"source,omitempty"`

	MLA    *MLAConfig    `yaml:"mla,omitempty" json:"mla,omitempty"`
	MoE    *MoEConfig    `yaml:"moe,omitempty" json:"moe,omitempty"`
	Hybrid *HybridConfig `yaml:"hybrid,omitempty" json:"hybrid,omitempty"`
}

// MLAConfig holds the low-rank projection widths of multi-head latent attention.
type MLAConfig struct {
	QLoraRank     int `yaml:"q_lora_rank" json:"q_lora_rank"` // 0 means queries are not compressed
	KVLoraRank    int `yaml:"kv_lora_rank" json:"kv_lora_rank"`
	QKNopeHeadDim int `yaml:"qk_nope_head_dim" json:"qk_nope_head_dim"`
	QKRopeHeadDim int `yaml:"qk_rope_head_dim" json:"qk_rope_head_dim"`
	VHeadDim      int `yaml:"v_head_dim" json:"v_head_dim"`
}

// MoEConfig describes the mixture-of-experts layers.
type MoEConfig struct {
	NumRoutedExperts         int `yaml:"num_routed_experts" json:"num_routed_experts"`
	NumExpertsPerToken       int `yaml:"num_experts_per_token" json:"num_experts_per_token"`
	NumSharedExperts         int `yaml:"num_shared_experts" json:"num_shared_experts"`
	ExpertIntermediateSize   int `yaml:"expert_intermediate_size" json:"expert_intermediate_size"`
	SharedExpertIntermediate int `yaml:"shared_expert_intermediate_size,omitempty" json:"shared_expert_intermediate_size,omitempty"` // 0: same as ExpertIntermediateSize
	FirstDenseLayers         int `yaml:"first_dense_layers,omitempty" json:"first_dense_layers,omitempty"`                           // DeepSeek's first_k_dense_replace
	LayerFrequency           int `yaml:"layer_frequency,omitempty" json:"layer_frequency,omitempty"`                                 // every n-th layer is MoE (0 or 1: all)
	// Layers lists the MoE layers (0-based) explicitly; when set it replaces FirstDenseLayers
	// and LayerFrequency (Step-3's moe_layers_enum, Qwen's mlp_only_layers).
	Layers []int `yaml:"layers,omitempty" json:"layers,omitempty"`
}

// HybridConfig describes hybrid linear attention (Qwen3-Next's Gated DeltaNet layers).
type HybridConfig struct {
	FullAttentionInterval int `yaml:"full_attention_interval" json:"full_attention_interval"` // layer i is full attention when (i+1) % interval == 0
	LinearNumKeyHeads     int `yaml:"linear_num_key_heads" json:"linear_num_key_heads"`
	LinearKeyHeadDim      int `yaml:"linear_key_head_dim" json:"linear_key_head_dim"`
	LinearNumValueHeads   int `yaml:"linear_num_value_heads" json:"linear_num_value_heads"`
	LinearValueHeadDim    int `yaml:"linear_value_head_dim" json:"linear_value_head_dim"`
	ConvKernel            int `yaml:"conv_kernel" json:"conv_kernel"`
}

// GPU is one accelerator SKU, with figures from its vendor's datasheet.
type GPU struct {
	Name       string   `yaml:"name" json:"name"` // short id used in paths: a100, h100, h200 ...
	Aliases    []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	Vendor     string   `yaml:"vendor" json:"vendor"`
	MemoryGB   float64  `yaml:"memory_gb" json:"memory_gb"`     // GiB of device memory as Vidur counts it (×1024³)
	BF16TFLOPS float64  `yaml:"bf16_tflops" json:"bf16_tflops"` // dense, no sparsity
	FP8TFLOPS  float64  `yaml:"fp8_tflops" json:"fp8_tflops"`   // dense; 0 when unsupported
	HBMGBps    float64  `yaml:"hbm_gbps" json:"hbm_gbps"`       // memory bandwidth, GB/s (1e9)
	NVLinkGBps float64  `yaml:"nvlink_gbps" json:"nvlink_gbps"` // per-GPU bidirectional NVLink bandwidth, GB/s (0: PCIe only)
	Source     string   `yaml:"source" json:"source"`           // datasheet the numbers come from
}

// Node is a server SKU: how many GPUs of which kind, and how they are connected.
type Node struct {
	Name          string  `yaml:"name" json:"name"` // Vidur network device names: a100_dgx, a100_pairwise_nvlink, h100_dgx ...
	GPU           string  `yaml:"gpu" json:"gpu"`
	GPUsPerNode   int     `yaml:"gpus_per_node" json:"gpus_per_node"`
	IntraNodeGBps float64 `yaml:"intra_node_gbps" json:"intra_node_gbps"` // per-GPU unidirectional bus bandwidth inside a node, GB/s
	InterNodeGBps float64 `yaml:"inter_node_gbps" json:"inter_node_gbps"` // per-GPU unidirectional network bandwidth between nodes, GB/s (0: no published scale-out network)
	// PairGBps is the per-GPU unidirectional bandwidth to the bridged partner GPU in nodes whose
	// GPUs are NVLink-connected in pairs only (IntraNodeGBps is then the PCIe path); 0 otherwise.
	PairGBps float64 `yaml:"pair_gbps,omitempty" json:"pair_gbps,omitempty"`
	Source   string  `yaml:"source,omitempty" json:"source,omitempty"`
}
