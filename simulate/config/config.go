package config

// Compatibility modes (Config.Compat). The default is llmsim's own behaviour, with known
// upstream bugs fixed; the two named modes reproduce one upstream simulator exactly, bugs
// included, so that its outputs can be matched.
const (
	CompatFixed             = ""                   // llmsim's own behaviour, known upstream bugs fixed
	CompatVidur             = "vidur"              // microsoft/vidur at 7d47513 (Nov 2024)
	CompatVidurAlibabaCloud = "vidur-alibabacloud" // aliyun/SimAI's vidur-alibabacloud fork (SimAI 1.7)
)

// Replica scheduler types (ReplicaSchedulerConfig.Type), Vidur's registry strings.
const (
	SchedulerVLLM              = "vllm"
	SchedulerSarathi           = "sarathi"
	SchedulerOrca              = "orca"
	SchedulerFasterTransformer = "faster_transformer"
	SchedulerLightLLM          = "lightllm"
	SchedulerSplitWise         = "split_wise" // vidur-alibabacloud: prefill/decode disaggregation
)

// Global scheduler types (GlobalSchedulerConfig.Type).
const (
	GlobalRoundRobin = "round_robin"
	GlobalRandom     = "random"
	GlobalLOR        = "lor" // least outstanding (waiting) requests
	GlobalSplitWise  = "split_wise"
)

// Request generator types (RequestGeneratorConfig.Type).
const (
	GeneratorSynthetic   = "synthetic"
	GeneratorTraceReplay = "trace_replay"
)

// Request length generator types (LengthGeneratorConfig.Type).
const (
	LengthFixed   = "fixed"
	LengthUniform = "uniform"
	LengthZipf    = "zipf"
	LengthTrace   = "trace"
)

// Request interval generator types (IntervalGeneratorConfig.Type).
const (
	IntervalPoisson = "poisson"
	IntervalGamma   = "gamma"
	IntervalStatic  = "static"
	IntervalTrace   = "trace"
)

// Execution-time predictor types (PredictorConfig.Type). "random_forrest" keeps Vidur's spelling.
const (
	PredictorRandomForrest    = "random_forrest"
	PredictorLinearRegression = "linear_regression"
	PredictorTable            = "table" // Vidur prediction CSVs read as they are, no model
)

// Communication backends (PredictorConfig.Backend), from vidur-alibabacloud.
const (
	BackendVidur           = "vidur"            // profiled collectives
	BackendSimAIAnalytical = "simai_analytical" // SimAI-style bus-bandwidth model
	BackendSimAISimulation = "simai_simulation" // the external SimAI NS-3 simulator
	BackendAICB            = "aicb"             // AICB per-layer workload CSVs
)

// Trace file formats (TraceReplayConfig.Format); "" detects the format from the header.
const (
	TraceFormatDetect    = ""
	TraceFormatVidur     = "vidur"
	TraceFormatAzure2023 = "azure2023"
	TraceFormatAzure2024 = "azure2024"
	TraceFormatBurstGPT  = "burstgpt"
	TraceFormatMooncake  = "mooncake"
)

// Config is one experiment: a cluster, the workload sent to it, the execution-time predictor and
// what to record. It mirrors Vidur's SimulationConfig group by group. Every field has a yaml
// (and mapstructure) key equal to Vidur's snake_case name and one command-line flag with
// Vidur's flat name (see Fields); the "flag" tag gives the flag prefix of a group, "alias" extra
// prefixes, "help" the text shown by --help and docs/config.md.
//
// Zero stands for Vidur's None where Vidur has an optional setting (num_blocks, duration, the
// per-phase parallelism of prefill/decode disaggregation, subsamples, ...): "not set".
type Config struct {
	Seed      int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed of the simulation's random number generators."`
	LogLevel  string  `yaml:"log_level" json:"log_level" mapstructure:"log_level" enum:"debug,info,warning,error,critical" help:"Logging level."`
	TimeLimit float64 `yaml:"time_limit" json:"time_limit" mapstructure:"time_limit" help:"Stop the simulation at this simulated time, in seconds; 0 means no limit."`
	// Compat selects whose behaviour to reproduce: CompatFixed, CompatVidur or CompatVidurAlibabaCloud.
	Compat string `yaml:"compat" json:"compat" mapstructure:"compat" enum:",vidur,vidur-alibabacloud" help:"Reproduce an upstream simulator exactly, bugs included: vidur or vidur-alibabacloud; empty means llmsim's behaviour with the known upstream bugs fixed."`
	// Artifact pins the trained predictor: an artifact id (content hash) or an artifact directory.
	Artifact string `yaml:"artifact" json:"artifact" mapstructure:"artifact" help:"Predictor artifact to use: an artifact id or a models/<gpu>/<model>/<version> directory. A pinned id that does not match is an error."`

	Cluster                ClusterConfig          `yaml:"cluster_config" json:"cluster_config" mapstructure:"cluster_config" flag:"cluster_config_"`
	RequestGenerator       RequestGeneratorConfig `yaml:"request_generator_config" json:"request_generator_config" mapstructure:"request_generator_config" flag:"request_generator_config_"`
	ExecutionTimePredictor PredictorConfig        `yaml:"execution_time_predictor_config" json:"execution_time_predictor_config" mapstructure:"execution_time_predictor_config" flag:"random_forrest_execution_time_predictor_config_" alias:"linear_regression_execution_time_predictor_config_,table_execution_time_predictor_config_"`
	Metrics                MetricsConfig          `yaml:"metrics_config" json:"metrics_config" mapstructure:"metrics_config" flag:"metrics_config_"`
}

// ClusterConfig is a set of identical replicas behind one global scheduler.
type ClusterConfig struct {
	NumReplicas      int                    `yaml:"num_replicas" json:"num_replicas" mapstructure:"num_replicas" help:"Number of model replicas."`
	Replica          ReplicaConfig          `yaml:"replica_config" json:"replica_config" mapstructure:"replica_config" flag:"replica_config_"`
	GlobalScheduler  GlobalSchedulerConfig  `yaml:"global_scheduler_config" json:"global_scheduler_config" mapstructure:"global_scheduler_config" flag:"global_scheduler_config_"`
	ReplicaScheduler ReplicaSchedulerConfig `yaml:"replica_scheduler_config" json:"replica_scheduler_config" mapstructure:"replica_scheduler_config" flag:"replica_scheduler_config_"`
}

// ReplicaConfig is one model replica: the model, the hardware it runs on and how it is split.
// Bandwidths are in Gbps as vidur-alibabacloud reads them (value·1024³/8 bytes per second).
type ReplicaConfig struct {
	ModelName            string  `yaml:"model_name" json:"model_name" mapstructure:"model_name" help:"Model, by Hugging Face id or catalog alias (list them with: llmsim catalog models)."`
	MemoryMarginFraction float64 `yaml:"memory_margin_fraction" json:"memory_margin_fraction" mapstructure:"memory_margin_fraction" help:"Fraction of GPU memory left unused by the memory planner."`
	NumPipelineStages    int     `yaml:"num_pipeline_stages" json:"num_pipeline_stages" mapstructure:"num_pipeline_stages" help:"Pipeline-parallel degree (PP); must divide the model's layers."`
	TensorParallelSize   int     `yaml:"tensor_parallel_size" json:"tensor_parallel_size" mapstructure:"tensor_parallel_size" help:"Tensor-parallel degree (TP); must divide the model's query heads."`
	Device               string  `yaml:"device" json:"device" mapstructure:"device" help:"GPU SKU (list them with: llmsim catalog gpus), e.g. a100, h100."`
	NetworkDevice        string  `yaml:"network_device" json:"network_device" mapstructure:"network_device" help:"Node SKU whose interconnect the replica uses (list them with: llmsim catalog nodes), e.g. a100_pairwise_nvlink, h100_dgx."`

	ExpertModelParallelSize int     `yaml:"expert_model_parallel_size" json:"expert_model_parallel_size" mapstructure:"expert_model_parallel_size" help:"Expert-parallel degree (EP) of a mixture-of-experts model; 1 for dense models."`
	PDNodeRatio             float64 `yaml:"pd_node_ratio" json:"pd_node_ratio" mapstructure:"pd_node_ratio" help:"Share of replicas that run prefill: 1 serves both phases on every replica; a value in (0,1) disaggregates prefill and decode (split_wise)."`
	PDP2PCommBandwidth      float64 `yaml:"pd_p2p_comm_bandwidth" json:"pd_p2p_comm_bandwidth" mapstructure:"pd_p2p_comm_bandwidth" help:"Bandwidth of the prefill-to-decode KV-cache transfer, Gbps."`
	NVLinkBandwidth         float64 `yaml:"nvlink_bandwidth" json:"nvlink_bandwidth" mapstructure:"nvlink_bandwidth" help:"NVLink bandwidth, Gbps."`
	RDMABandwidth           float64 `yaml:"rdma_bandwidth" json:"rdma_bandwidth" mapstructure:"rdma_bandwidth" help:"RDMA (scale-out) bandwidth, Gbps; carries the expert-parallel all-to-all."`
	PDP2PCommDtype          string  `yaml:"pd_p2p_comm_dtype" json:"pd_p2p_comm_dtype" mapstructure:"pd_p2p_comm_dtype" help:"Dtype of the KV cache sent from prefill to decode replicas: fp8, float16, bfloat16, float32."`

	PrefillTensorParallelSize      int `yaml:"prefill_tensor_parallel_size" json:"prefill_tensor_parallel_size" mapstructure:"prefill_tensor_parallel_size" help:"TP of prefill replicas under disaggregation; 0 means tensor_parallel_size."`
	PrefillNumPipelineStages       int `yaml:"prefill_num_pipeline_stages" json:"prefill_num_pipeline_stages" mapstructure:"prefill_num_pipeline_stages" help:"PP of prefill replicas under disaggregation; 0 means num_pipeline_stages."`
	DecodeTensorParallelSize       int `yaml:"decode_tensor_parallel_size" json:"decode_tensor_parallel_size" mapstructure:"decode_tensor_parallel_size" help:"TP of decode replicas under disaggregation; 0 means tensor_parallel_size."`
	DecodeNumPipelineStages        int `yaml:"decode_num_pipeline_stages" json:"decode_num_pipeline_stages" mapstructure:"decode_num_pipeline_stages" help:"PP of decode replicas under disaggregation; 0 means num_pipeline_stages."`
	PrefillExpertModelParallelSize int `yaml:"prefill_expert_model_parallel_size" json:"prefill_expert_model_parallel_size" mapstructure:"prefill_expert_model_parallel_size" help:"EP of prefill replicas under disaggregation; 0 means expert_model_parallel_size."`
	DecodeExpertModelParallelSize  int `yaml:"decode_expert_model_parallel_size" json:"decode_expert_model_parallel_size" mapstructure:"decode_expert_model_parallel_size" help:"EP of decode replicas under disaggregation; 0 means expert_model_parallel_size."`
	NumPrefillReplicas             int `yaml:"num_prefill_replicas" json:"num_prefill_replicas" mapstructure:"num_prefill_replicas" help:"Number of prefill replicas under disaggregation; 0 means int(num_replicas × pd_node_ratio)."`

	WeightDtype  string `yaml:"weight_dtype" json:"weight_dtype" mapstructure:"weight_dtype" help:"Dtype of the weights (fp16, bf16, fp8, ...); empty means the model's published dtype."`
	KVCacheDtype string `yaml:"kv_cache_dtype" json:"kv_cache_dtype" mapstructure:"kv_cache_dtype" help:"Dtype of the KV cache (fp16, bf16, fp8, ...); empty means the model's published dtype."`

	// Mixture-of-experts settings that Vidur lacks; docs/moe.md explains how TP, attention DP
	// and EP share a replica's GPUs.
	AttentionDataParallelSize int     `yaml:"attention_data_parallel_size" json:"attention_data_parallel_size" mapstructure:"attention_data_parallel_size" help:"Attention data-parallel degree (DP-attention) of a mixture-of-experts replica: each pipeline stage has TP × this many GPUs, each TP group runs attention for its share of the batch and the experts spread over EP of the stage's GPUs; 0 means EP/TP when EP exceeds TP, else 1."`
	MoERoutingDistribution    string  `yaml:"moe_routing_distribution" json:"moe_routing_distribution" mapstructure:"moe_routing_distribution" enum:"uniform,zipf,histogram" help:"How the router spreads tokens over experts: uniform, zipf (expert of popularity rank r chosen with weight 1/r^s) or histogram (measured expert loads from --replica_config_moe_routing_histogram_file)."`
	MoERoutingZipfExponent    float64 `yaml:"moe_routing_zipf_exponent" json:"moe_routing_zipf_exponent" mapstructure:"moe_routing_zipf_exponent" help:"Exponent s of the zipf routing distribution; larger is more skewed."`
	MoERoutingHistogramFile   string  `yaml:"moe_routing_histogram_file" json:"moe_routing_histogram_file" mapstructure:"moe_routing_histogram_file" help:"Measured expert loads for histogram routing: one line per expert, \"expert,count\" or a bare count (a header line and # comments are skipped)."`
}

// WorldSize is the number of GPUs of one replica, TP × attention DP × PP.
func (r ReplicaConfig) WorldSize() int {
	return r.TensorParallelSize * r.AttentionDataParallel() * r.NumPipelineStages
}

// AttentionDataParallel is the attention data-parallel degree the replica runs: the configured
// one, or by default EP/TP when EP exceeds TP (so that the expert-parallel group fits in the
// GPUs of one pipeline stage), else 1.
func (r ReplicaConfig) AttentionDataParallel() int {
	if r.AttentionDataParallelSize > 0 {
		return r.AttentionDataParallelSize
	}
	if tp, ep := r.TensorParallelSize, r.ExpertModelParallelSize; tp > 0 && ep > tp && ep%tp == 0 {
		return ep / tp
	}
	return 1
}

// GlobalSchedulerConfig chooses how arriving requests are spread over replicas.
type GlobalSchedulerConfig struct {
	Type string `yaml:"type" json:"type" mapstructure:"type" enum:"round_robin,random,lor,split_wise" help:"Global scheduler: round_robin, random, lor (least outstanding requests) or split_wise (prefill/decode disaggregation)."`
}

// CommonSchedulerConfig holds the settings every replica scheduler has (Vidur's
// BaseReplicaSchedulerConfig). Vidur repeats them per scheduler type, and so does
// ReplicaSchedulerConfig, so that each Vidur flag keeps exactly one meaning.
type CommonSchedulerConfig struct {
	BatchSizeCap            int     `yaml:"batch_size_cap" json:"batch_size_cap" mapstructure:"batch_size_cap" help:"Most requests running on a replica at once."`
	BlockSize               int     `yaml:"block_size" json:"block_size" mapstructure:"block_size" help:"Tokens per KV-cache block."`
	WatermarkBlocksFraction float64 `yaml:"watermark_blocks_fraction" json:"watermark_blocks_fraction" mapstructure:"watermark_blocks_fraction" help:"Fraction of KV-cache blocks kept free when admitting new requests."`
	NumBlocks               int     `yaml:"num_blocks" json:"num_blocks" mapstructure:"num_blocks" help:"KV-cache blocks per replica; 0 derives them from GPU memory."`
}

// VLLMSchedulerConfig is vLLM's prefill-prioritised paged scheduler.
type VLLMSchedulerConfig struct {
	CommonSchedulerConfig `yaml:",inline" mapstructure:",squash"`
	MaxTokensInBatch      int `yaml:"max_tokens_in_batch" json:"max_tokens_in_batch" mapstructure:"max_tokens_in_batch" help:"Token budget of a batch (padded: requests × longest prompt)."`
}

// SarathiSchedulerConfig is Sarathi-Serve's chunked-prefill, decode-first scheduler.
type SarathiSchedulerConfig struct {
	CommonSchedulerConfig `yaml:",inline" mapstructure:",squash"`
	ChunkSize             int `yaml:"chunk_size" json:"chunk_size" mapstructure:"chunk_size" help:"Token budget of a batch: decodes first, then prefill chunks up to this many tokens."`
}

// OrcaSchedulerConfig is Orca's iteration-level scheduler with whole-sequence reservation.
type OrcaSchedulerConfig struct {
	CommonSchedulerConfig `yaml:",inline" mapstructure:",squash"`
}

// FasterTransformerSchedulerConfig is FasterTransformer's static batching.
type FasterTransformerSchedulerConfig struct {
	CommonSchedulerConfig `yaml:",inline" mapstructure:",squash"`
}

// LightLLMSchedulerConfig is LightLLM's token-level scheduler with peak-memory admission.
type LightLLMSchedulerConfig struct {
	CommonSchedulerConfig `yaml:",inline" mapstructure:",squash"`
	MaxTokensInBatch      int `yaml:"max_tokens_in_batch" json:"max_tokens_in_batch" mapstructure:"max_tokens_in_batch" help:"Most prompt tokens admitted in one prefill batch."`
	MaxWaitingIters       int `yaml:"max_waiting_iters" json:"max_waiting_iters" mapstructure:"max_waiting_iters" help:"Decode iterations after which waiting prefills are tried again."`
}

// SplitWiseSchedulerConfig is vidur-alibabacloud's scheduler for disaggregated prefill and
// decode replicas.
type SplitWiseSchedulerConfig struct {
	CommonSchedulerConfig `yaml:",inline" mapstructure:",squash"`
	MaxTokensInBatch      int `yaml:"max_tokens_in_batch" json:"max_tokens_in_batch" mapstructure:"max_tokens_in_batch" help:"Token budget of a batch."`
	// PDPlacement and PDP2PCommLatencyUS are llmsim's (docs/pd.md).
	PDPlacement        string  `yaml:"pd_placement" json:"pd_placement" mapstructure:"pd_placement" enum:"round_robin,least_loaded" help:"How requests are placed on prefill and decode replicas: round_robin (the fork: both in turn, at arrival) or least_loaded (prefill: fewest waiting prompt tokens at arrival; decode: most free KV blocks when the prefill ends)."`
	PDP2PCommLatencyUS float64 `yaml:"pd_p2p_comm_latency_us" json:"pd_p2p_comm_latency_us" mapstructure:"pd_p2p_comm_latency_us" help:"Fixed latency of one prefill-to-decode KV transfer, µs, added to size/bandwidth (ignored with --compat vidur-alibabacloud, whose transfer has none)."`
}

// ReplicaSchedulerConfig chooses the batching policy of every replica. Type names one of the
// per-scheduler blocks; the others are kept (a YAML file or command line may set them) but unused.
type ReplicaSchedulerConfig struct {
	Type              string                           `yaml:"type" json:"type" mapstructure:"type" enum:"vllm,sarathi,orca,faster_transformer,lightllm,split_wise" help:"Replica scheduler: vllm, sarathi, orca, faster_transformer, lightllm or split_wise."`
	VLLM              VLLMSchedulerConfig              `yaml:"vllm" json:"vllm" mapstructure:"vllm" flag:"vllm_scheduler_config_"`
	Sarathi           SarathiSchedulerConfig           `yaml:"sarathi" json:"sarathi" mapstructure:"sarathi" flag:"sarathi_scheduler_config_"`
	Orca              OrcaSchedulerConfig              `yaml:"orca" json:"orca" mapstructure:"orca" flag:"orca_scheduler_config_"`
	FasterTransformer FasterTransformerSchedulerConfig `yaml:"faster_transformer" json:"faster_transformer" mapstructure:"faster_transformer" flag:"faster_transformer_scheduler_config_"`
	LightLLM          LightLLMSchedulerConfig          `yaml:"lightllm" json:"lightllm" mapstructure:"lightllm" flag:"lightllm_scheduler_config_"`
	SplitWise         SplitWiseSchedulerConfig         `yaml:"split_wise" json:"split_wise" mapstructure:"split_wise" flag:"split_wise_replica_scheduler_config_"`
}

// Active returns the common settings of the scheduler named by Type, and false when Type names
// no scheduler.
func (s ReplicaSchedulerConfig) Active() (CommonSchedulerConfig, bool) {
	switch s.Type {
	case SchedulerVLLM:
		return s.VLLM.CommonSchedulerConfig, true
	case SchedulerSarathi:
		return s.Sarathi.CommonSchedulerConfig, true
	case SchedulerOrca:
		return s.Orca.CommonSchedulerConfig, true
	case SchedulerFasterTransformer:
		return s.FasterTransformer.CommonSchedulerConfig, true
	case SchedulerLightLLM:
		return s.LightLLM.CommonSchedulerConfig, true
	case SchedulerSplitWise:
		return s.SplitWise.CommonSchedulerConfig, true
	}
	return CommonSchedulerConfig{}, false
}

// activePrefix returns the flag prefix of the scheduler named by Type ("" when unknown), so
// that validation errors name the flag the user has to change.
func (s ReplicaSchedulerConfig) activePrefix() string {
	switch s.Type {
	case SchedulerVLLM:
		return "vllm_scheduler_config_"
	case SchedulerSarathi:
		return "sarathi_scheduler_config_"
	case SchedulerOrca:
		return "orca_scheduler_config_"
	case SchedulerFasterTransformer:
		return "faster_transformer_scheduler_config_"
	case SchedulerLightLLM:
		return "lightllm_scheduler_config_"
	case SchedulerSplitWise:
		return "split_wise_replica_scheduler_config_"
	}
	return ""
}

// RequestGeneratorConfig chooses where requests come from: generated (synthetic) or replayed
// from a trace file (trace_replay).
type RequestGeneratorConfig struct {
	Type        string            `yaml:"type" json:"type" mapstructure:"type" enum:"synthetic,trace_replay" help:"Request generator: synthetic or trace_replay."`
	Synthetic   SyntheticConfig   `yaml:"synthetic" json:"synthetic" mapstructure:"synthetic" flag:"synthetic_request_generator_config_"`
	TraceReplay TraceReplayConfig `yaml:"trace_replay" json:"trace_replay" mapstructure:"trace_replay" flag:"trace_request_generator_config_"`
}

// MaxTokens is the most tokens (prompt + decode) one request may have, which sizes the
// replicas' per-request reservations: the trace's max_tokens, or the length generator's.
func (g RequestGeneratorConfig) MaxTokens() int {
	if g.Type == GeneratorTraceReplay {
		return g.TraceReplay.MaxTokens
	}
	return g.Synthetic.LengthGenerator.MaxTokens()
}

// SyntheticConfig generates requests: an inter-arrival time, then a length, per request.
// Duration wins over NumRequests when both are set; with neither, the interval generator must
// be a trace, which ends the workload.
type SyntheticConfig struct {
	Seed              int64                   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed of the request generator."`
	NumRequests       int                     `yaml:"num_requests" json:"num_requests" mapstructure:"num_requests" help:"Number of requests to generate (used when duration is 0)."`
	Duration          float64                 `yaml:"duration" json:"duration" mapstructure:"duration" help:"Generate requests arriving before this time, in seconds; 0 means use num_requests."`
	LengthGenerator   LengthGeneratorConfig   `yaml:"length_generator_config" json:"length_generator_config" mapstructure:"length_generator_config" flag:"length_generator_config_"`
	IntervalGenerator IntervalGeneratorConfig `yaml:"interval_generator_config" json:"interval_generator_config" mapstructure:"interval_generator_config" flag:"interval_generator_config_"`
}

// LengthGeneratorConfig chooses how prompt and decode lengths are drawn.
type LengthGeneratorConfig struct {
	Type    string              `yaml:"type" json:"type" mapstructure:"type" enum:"fixed,uniform,zipf,trace" help:"Request length generator: fixed, uniform, zipf or trace."`
	Fixed   FixedLengthConfig   `yaml:"fixed" json:"fixed" mapstructure:"fixed" flag:"fixed_request_length_generator_config_"`
	Uniform UniformLengthConfig `yaml:"uniform" json:"uniform" mapstructure:"uniform" flag:"uniform_request_length_generator_config_"`
	Zipf    ZipfLengthConfig    `yaml:"zipf" json:"zipf" mapstructure:"zipf" flag:"zipf_request_length_generator_config_"`
	Trace   TraceLengthConfig   `yaml:"trace" json:"trace" mapstructure:"trace" flag:"trace_request_length_generator_config_"`
}

// MaxTokens is the max_tokens of the generator named by Type (Vidur copies it into the
// synthetic request generator's max_tokens).
func (l LengthGeneratorConfig) MaxTokens() int {
	switch l.Type {
	case LengthUniform:
		return l.Uniform.MaxTokens
	case LengthZipf:
		return l.Zipf.MaxTokens
	case LengthTrace:
		return l.Trace.MaxTokens
	}
	return l.Fixed.MaxTokens
}

// FixedLengthConfig gives every request the same prompt and decode lengths.
type FixedLengthConfig struct {
	Seed          int64 `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed (unused by the fixed generator; kept for Vidur's flag)."`
	MaxTokens     int   `yaml:"max_tokens" json:"max_tokens" mapstructure:"max_tokens" help:"Most tokens per request."`
	PrefillTokens int   `yaml:"prefill_tokens" json:"prefill_tokens" mapstructure:"prefill_tokens" help:"Prompt tokens of every request."`
	DecodeTokens  int   `yaml:"decode_tokens" json:"decode_tokens" mapstructure:"decode_tokens" help:"Decode tokens of every request."`
}

// UniformLengthConfig draws the total length uniformly and splits it by a fixed ratio.
type UniformLengthConfig struct {
	Seed                 int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed (Vidur draws uniform lengths from the request generator's stream)."`
	MaxTokens            int     `yaml:"max_tokens" json:"max_tokens" mapstructure:"max_tokens" help:"Largest total length."`
	MinTokens            int     `yaml:"min_tokens" json:"min_tokens" mapstructure:"min_tokens" help:"Smallest total length."`
	PrefillToDecodeRatio float64 `yaml:"prefill_to_decode_ratio" json:"prefill_to_decode_ratio" mapstructure:"prefill_to_decode_ratio" help:"Prompt tokens per decode token."`
}

// ZipfLengthConfig draws the total length from a Zipf distribution (Gray et al.'s quick zipf).
type ZipfLengthConfig struct {
	Seed                 int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed of the Zipf generator's own random stream."`
	MaxTokens            int     `yaml:"max_tokens" json:"max_tokens" mapstructure:"max_tokens" help:"Largest total length."`
	Theta                float64 `yaml:"theta" json:"theta" mapstructure:"theta" help:"Zipf skew θ, in (0,1)."`
	Scramble             bool    `yaml:"scramble" json:"scramble" mapstructure:"scramble" help:"Scatter the popular lengths over the range instead of favouring short ones."`
	MinTokens            int     `yaml:"min_tokens" json:"min_tokens" mapstructure:"min_tokens" help:"Smallest total length."`
	PrefillToDecodeRatio float64 `yaml:"prefill_to_decode_ratio" json:"prefill_to_decode_ratio" mapstructure:"prefill_to_decode_ratio" help:"Prompt tokens per decode token."`
}

// TraceLengthConfig takes lengths from a CSV (num_prefill_tokens, num_decode_tokens), shuffled.
type TraceLengthConfig struct {
	Seed               int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed of the shuffle of the trace's rows."`
	MaxTokens          int     `yaml:"max_tokens" json:"max_tokens" mapstructure:"max_tokens" help:"Most tokens per request; longer rows are cut proportionally."`
	TraceFile          string  `yaml:"trace_file" json:"trace_file" mapstructure:"trace_file" help:"CSV with num_prefill_tokens and num_decode_tokens columns."`
	PrefillScaleFactor float64 `yaml:"prefill_scale_factor" json:"prefill_scale_factor" mapstructure:"prefill_scale_factor" help:"Multiplier applied to the prompt lengths."`
	DecodeScaleFactor  float64 `yaml:"decode_scale_factor" json:"decode_scale_factor" mapstructure:"decode_scale_factor" help:"Multiplier applied to the decode lengths."`
}

// IntervalGeneratorConfig chooses how inter-arrival times are drawn.
type IntervalGeneratorConfig struct {
	Type    string                `yaml:"type" json:"type" mapstructure:"type" enum:"poisson,gamma,static,trace" help:"Request interval generator: poisson, gamma, static or trace."`
	Poisson PoissonIntervalConfig `yaml:"poisson" json:"poisson" mapstructure:"poisson" flag:"poisson_request_interval_generator_config_"`
	Gamma   GammaIntervalConfig   `yaml:"gamma" json:"gamma" mapstructure:"gamma" flag:"gamma_request_interval_generator_config_"`
	Static  StaticIntervalConfig  `yaml:"static" json:"static" mapstructure:"static" flag:"static_request_interval_generator_config_"`
	Trace   TraceIntervalConfig   `yaml:"trace" json:"trace" mapstructure:"trace" flag:"trace_request_interval_generator_config_"`
}

// PoissonIntervalConfig draws exponential inter-arrival times.
type PoissonIntervalConfig struct {
	Seed int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed (Vidur never reads it: intervals come from the request generator's stream)."`
	QPS  float64 `yaml:"qps" json:"qps" mapstructure:"qps" help:"Mean arrival rate, requests per second."`
}

// GammaIntervalConfig draws gamma-distributed inter-arrival times.
type GammaIntervalConfig struct {
	Seed int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed (Vidur never reads it: intervals come from the request generator's stream)."`
	QPS  float64 `yaml:"qps" json:"qps" mapstructure:"qps" help:"Mean arrival rate, requests per second."`
	CV   float64 `yaml:"cv" json:"cv" mapstructure:"cv" help:"Coefficient of variation of the inter-arrival times."`
}

// StaticIntervalConfig makes every request arrive at time 0.
type StaticIntervalConfig struct {
	Seed int64 `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed (unused by the static generator; kept for Vidur's flag)."`
}

// TraceIntervalConfig takes arrival times from a CSV with an arrival_time column.
type TraceIntervalConfig struct {
	Seed            int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed (unused by the trace generator; kept for Vidur's flag)."`
	TraceFile       string  `yaml:"trace_file" json:"trace_file" mapstructure:"trace_file" help:"CSV with an arrival_time column of timestamps."`
	StartTime       string  `yaml:"start_time" json:"start_time" mapstructure:"start_time" help:"Keep arrivals after this time (YYYY-MM-DD HH:MM:SS)."`
	EndTime         string  `yaml:"end_time" json:"end_time" mapstructure:"end_time" help:"Keep arrivals before this time (YYYY-MM-DD HH:MM:SS)."`
	TimeScaleFactor float64 `yaml:"time_scale_factor" json:"time_scale_factor" mapstructure:"time_scale_factor" help:"Multiplier applied to the inter-arrival times."`
}

// TraceReplayConfig replays requests (arrival time, prompt and decode lengths) from a trace file.
type TraceReplayConfig struct {
	Seed               int64   `yaml:"seed" json:"seed" mapstructure:"seed" help:"Seed of the request generator."`
	TraceFile          string  `yaml:"trace_file" json:"trace_file" mapstructure:"trace_file" help:"Trace to replay (Vidur CSV: arrived_at, num_prefill_tokens, num_decode_tokens; or a public trace, see format)."`
	Format             string  `yaml:"format" json:"format" mapstructure:"format" enum:",vidur,azure2023,azure2024,burstgpt,mooncake" help:"Trace format: vidur, azure2023, azure2024, burstgpt or mooncake; empty detects it from the file's header."`
	PrefillScaleFactor float64 `yaml:"prefill_scale_factor" json:"prefill_scale_factor" mapstructure:"prefill_scale_factor" help:"Multiplier applied to the prompt lengths."`
	DecodeScaleFactor  float64 `yaml:"decode_scale_factor" json:"decode_scale_factor" mapstructure:"decode_scale_factor" help:"Multiplier applied to the decode lengths."`
	TimeScaleFactor    float64 `yaml:"time_scale_factor" json:"time_scale_factor" mapstructure:"time_scale_factor" help:"Multiplier applied to the arrival times."`
	MaxTokens          int     `yaml:"max_tokens" json:"max_tokens" mapstructure:"max_tokens" help:"Most tokens per request; longer requests lose prompt tokens."`
}

// PredictorConfig chooses how batch execution times are predicted. Vidur repeats these
// settings for each predictor type (random_forrest_…, linear_regression_… flags); llmsim keeps
// one copy, which every prefix sets.
type PredictorConfig struct {
	Type           string `yaml:"type" json:"type" mapstructure:"type" flag:"execution_time_predictor_config_type" enum:"random_forrest,linear_regression,table" help:"Execution-time predictor: random_forrest, linear_regression, or table (Vidur prediction CSVs read as they are)."`
	Backend        string `yaml:"backend" json:"backend" mapstructure:"backend" enum:"vidur,simai_analytical,simai_simulation,aicb" help:"Communication-time backend: vidur (profiled collectives), simai_analytical, simai_simulation or aicb."`
	PredictionsDir string `yaml:"predictions_dir" json:"predictions_dir" mapstructure:"predictions_dir" help:"Directory of Vidur prediction CSVs (type table)."`

	ComputeInputFile     string `yaml:"compute_input_file" json:"compute_input_file" mapstructure:"compute_input_file" help:"Compute profile (Vidur mlp.csv); {DEVICE}, {MODEL} and {NETWORK_DEVICE} are substituted."`
	AttentionInputFile   string `yaml:"attention_input_file" json:"attention_input_file" mapstructure:"attention_input_file" help:"Attention profile (Vidur attention.csv); placeholders as for compute_input_file."`
	AllReduceInputFile   string `yaml:"all_reduce_input_file" json:"all_reduce_input_file" mapstructure:"all_reduce_input_file" help:"All-reduce profile (Vidur all_reduce.csv)."`
	SendRecvInputFile    string `yaml:"send_recv_input_file" json:"send_recv_input_file" mapstructure:"send_recv_input_file" help:"Send/receive profile (Vidur send_recv.csv)."`
	CPUOverheadInputFile string `yaml:"cpu_overhead_input_file" json:"cpu_overhead_input_file" mapstructure:"cpu_overhead_input_file" help:"CPU overhead profile (Vidur cpu_overheads.csv)."`

	KFoldCVSplits                            int     `yaml:"k_fold_cv_splits" json:"k_fold_cv_splits" mapstructure:"k_fold_cv_splits" help:"Folds of the cross-validation that picks hyper-parameters."`
	NoCache                                  bool    `yaml:"no_cache" json:"no_cache" mapstructure:"no_cache" help:"Retrain instead of reusing cached models."`
	KVCachePredictionGranularity             int     `yaml:"kv_cache_prediction_granularity" json:"kv_cache_prediction_granularity" mapstructure:"kv_cache_prediction_granularity" help:"Step of the KV-cache-length axis of the attention prediction grid, tokens."`
	PredictionMaxPrefillChunkSize            int     `yaml:"prediction_max_prefill_chunk_size" json:"prediction_max_prefill_chunk_size" mapstructure:"prediction_max_prefill_chunk_size" help:"Largest prefill chunk in the prediction grid, tokens."`
	PredictionMaxBatchSize                   int     `yaml:"prediction_max_batch_size" json:"prediction_max_batch_size" mapstructure:"prediction_max_batch_size" help:"Largest batch in the prediction grid, requests."`
	PredictionMaxTokensPerRequest            int     `yaml:"prediction_max_tokens_per_request" json:"prediction_max_tokens_per_request" mapstructure:"prediction_max_tokens_per_request" help:"Largest token count per request in the prediction grid."`
	AttentionDecodeBatchingOverheadFraction  float64 `yaml:"attention_decode_batching_overhead_fraction" json:"attention_decode_batching_overhead_fraction" mapstructure:"attention_decode_batching_overhead_fraction" help:"Extra share of decode attention time charged for batching."`
	AttentionPrefillBatchingOverheadFraction float64 `yaml:"attention_prefill_batching_overhead_fraction" json:"attention_prefill_batching_overhead_fraction" mapstructure:"attention_prefill_batching_overhead_fraction" help:"Extra share of prefill attention time charged for batching."`
	NCCLCPULaunchOverheadMS                  float64 `yaml:"nccl_cpu_launch_overhead_ms" json:"nccl_cpu_launch_overhead_ms" mapstructure:"nccl_cpu_launch_overhead_ms" help:"CPU launch overhead added to each collective, ms."`
	NCCLCPUSkewOverheadPerDeviceMS           float64 `yaml:"nccl_cpu_skew_overhead_per_device_ms" json:"nccl_cpu_skew_overhead_per_device_ms" mapstructure:"nccl_cpu_skew_overhead_per_device_ms" help:"Skew overhead per device added to each collective, ms (scaled by TP^1.25)."`
	NumTrainingJobThreads                    int     `yaml:"num_training_job_threads" json:"num_training_job_threads" mapstructure:"num_training_job_threads" help:"Training threads; -1 means one per CPU."`
	SkipCPUOverheadModeling                  bool    `yaml:"skip_cpu_overhead_modeling" json:"skip_cpu_overhead_modeling" mapstructure:"skip_cpu_overhead_modeling" help:"Leave the CPU overheads (schedule, sampler, prepare inputs, ...) out of batch times."`

	SimAIDir              string `yaml:"simai_dir" json:"simai_dir" mapstructure:"simai_dir" help:"SimAI checkout (simai_simulation and aicb backends)."`
	SimAISimulationTopo   string `yaml:"simai_simulation_topo" json:"simai_simulation_topo" mapstructure:"simai_simulation_topo" help:"SimAI topology file (simai_simulation backend)."`
	SimAISimulationConfig string `yaml:"simai_simulation_config" json:"simai_simulation_config" mapstructure:"simai_simulation_config" help:"SimAI configuration file (simai_simulation backend)."`
	SimAIBusBWFile        string `yaml:"simai_busbw_file" json:"simai_busbw_file" mapstructure:"simai_busbw_file" help:"SimAI busbw.yaml with bus bandwidths per parallel group and collective (simai_analytical backend); empty uses the NVLink and RDMA bandwidths."`
	AICBForceBS1          bool   `yaml:"aicb_force_bs1" json:"aicb_force_bs1" mapstructure:"aicb_force_bs1" help:"Use AICB workloads of batch size 1 only (aicb backend)."`

	RandomForrest    RandomForrestConfig    `yaml:"random_forrest" json:"random_forrest" mapstructure:"random_forrest" flag:"random_forrest_execution_time_predictor_config_"`
	LinearRegression LinearRegressionConfig `yaml:"linear_regression" json:"linear_regression" mapstructure:"linear_regression" flag:"linear_regression_execution_time_predictor_config_"`
}

// RandomForrestConfig is the hyper-parameter grid of the random-forest predictor.
type RandomForrestConfig struct {
	NumEstimators   []int `yaml:"num_estimators" json:"num_estimators" mapstructure:"num_estimators" help:"Grid of tree counts."`
	MaxDepth        []int `yaml:"max_depth" json:"max_depth" mapstructure:"max_depth" help:"Grid of maximum tree depths."`
	MinSamplesSplit []int `yaml:"min_samples_split" json:"min_samples_split" mapstructure:"min_samples_split" help:"Grid of minimum samples to split a node."`
}

// LinearRegressionConfig is the hyper-parameter grid of the polynomial linear-regression predictor.
type LinearRegressionConfig struct {
	PolynomialDegree          []int  `yaml:"polynomial_degree" json:"polynomial_degree" mapstructure:"polynomial_degree" help:"Grid of polynomial degrees."`
	PolynomialIncludeBias     []bool `yaml:"polynomial_include_bias" json:"polynomial_include_bias" mapstructure:"polynomial_include_bias" help:"Grid of include-bias choices."`
	PolynomialInteractionOnly []bool `yaml:"polynomial_interaction_only" json:"polynomial_interaction_only" mapstructure:"polynomial_interaction_only" help:"Grid of interaction-only choices."`
	FitIntercept              []bool `yaml:"fit_intercept" json:"fit_intercept" mapstructure:"fit_intercept" help:"Grid of fit-intercept choices."`
}

// MetricsConfig says what a run records and where.
type MetricsConfig struct {
	OutputDir                   string `yaml:"output_dir" json:"output_dir" mapstructure:"output_dir" help:"Directory that receives the run folder."`
	CacheDir                    string `yaml:"cache_dir" json:"cache_dir" mapstructure:"cache_dir" help:"Directory for cached predictor data."`
	WriteMetrics                bool   `yaml:"write_metrics" json:"write_metrics" mapstructure:"write_metrics" help:"Write metrics at all."`
	WriteJSONTrace              bool   `yaml:"write_json_trace" json:"write_json_trace" mapstructure:"write_json_trace" help:"Write the event trace and cluster description as JSON."`
	EnableChromeTrace           bool   `yaml:"enable_chrome_trace" json:"enable_chrome_trace" mapstructure:"enable_chrome_trace" help:"Write a Chrome/Perfetto trace with one event per batch stage."`
	StorePlots                  bool   `yaml:"store_plots" json:"store_plots" mapstructure:"store_plots" help:"Write CDF and time-series CSVs and PNG plots."`
	StoreOperationMetrics       bool   `yaml:"store_operation_metrics" json:"store_operation_metrics" mapstructure:"store_operation_metrics" help:"Record per-operator execution times."`
	StoreTokenCompletionMetrics bool   `yaml:"store_token_completion_metrics" json:"store_token_completion_metrics" mapstructure:"store_token_completion_metrics" help:"Record per-token times (time between tokens)."`
	StoreRequestMetrics         bool   `yaml:"store_request_metrics" json:"store_request_metrics" mapstructure:"store_request_metrics" help:"Write request_metrics.csv."`
	StoreBatchMetrics           bool   `yaml:"store_batch_metrics" json:"store_batch_metrics" mapstructure:"store_batch_metrics" help:"Record batch-level metrics."`
	StoreUtilizationMetrics     bool   `yaml:"store_utilization_metrics" json:"store_utilization_metrics" mapstructure:"store_utilization_metrics" help:"Record memory, busy-time and MFU utilisation."`
	KeepIndividualBatchMetrics  bool   `yaml:"keep_individual_batch_metrics" json:"keep_individual_batch_metrics" mapstructure:"keep_individual_batch_metrics" help:"Write batch_metrics.csv with one row per batch."`
	Subsamples                  int    `yaml:"subsamples" json:"subsamples" mapstructure:"subsamples" help:"Points kept per plotted series; 0 keeps all."`
	MinBatchIndex               int    `yaml:"min_batch_index" json:"min_batch_index" mapstructure:"min_batch_index" help:"First batch kept in batch plots; 0 means from the start."`
	MaxBatchIndex               int    `yaml:"max_batch_index" json:"max_batch_index" mapstructure:"max_batch_index" help:"Last batch kept in batch plots; 0 means to the end."`

	// Weights & Biases settings are accepted so that Vidur command lines parse; llmsim does not
	// log to W&B, and Validate says so when one is set.
	WandbProject     string `yaml:"wandb_project" json:"wandb_project" mapstructure:"wandb_project" help:"Not supported (Vidur's Weights & Biases project); must stay empty."`
	WandbGroup       string `yaml:"wandb_group" json:"wandb_group" mapstructure:"wandb_group" help:"Not supported (Vidur's Weights & Biases group); must stay empty."`
	WandbRunName     string `yaml:"wandb_run_name" json:"wandb_run_name" mapstructure:"wandb_run_name" help:"Not supported (Vidur's Weights & Biases run name); must stay empty."`
	WandbSweepID     string `yaml:"wandb_sweep_id" json:"wandb_sweep_id" mapstructure:"wandb_sweep_id" help:"Not supported (Vidur's Weights & Biases sweep id); must stay empty."`
	WandbRunID       string `yaml:"wandb_run_id" json:"wandb_run_id" mapstructure:"wandb_run_id" help:"Not supported (Vidur's Weights & Biases run id); must stay empty."`
	SaveTableToWandb bool   `yaml:"save_table_to_wandb" json:"save_table_to_wandb" mapstructure:"save_table_to_wandb" help:"Not supported (Vidur's Weights & Biases table upload); must stay false."`
}

// Default returns Vidur's defaults (vidur/config/config.py at 7d47513, plus vidur-alibabacloud's
// additions), except where llmsim adds a setting or writes its runs to runs/.
func Default() Config {
	common := CommonSchedulerConfig{BatchSizeCap: 128, BlockSize: 16, WatermarkBlocksFraction: 0.01}
	return Config{
		Seed:     42,
		LogLevel: "info",
		Cluster: ClusterConfig{
			NumReplicas: 1,
			Replica: ReplicaConfig{
				ModelName:               "meta-llama/Llama-2-7b-hf",
				MemoryMarginFraction:    0.1,
				NumPipelineStages:       1,
				TensorParallelSize:      1,
				Device:                  "a100",
				NetworkDevice:           "a100_pairwise_nvlink",
				ExpertModelParallelSize: 1,
				MoERoutingDistribution:  "uniform",
				MoERoutingZipfExponent:  1,
				PDNodeRatio:             1,
				PDP2PCommBandwidth:      800,
				NVLinkBandwidth:         1600,
				RDMABandwidth:           800,
				PDP2PCommDtype:          "float16",
			},
			GlobalScheduler: GlobalSchedulerConfig{Type: GlobalRoundRobin},
			ReplicaScheduler: ReplicaSchedulerConfig{
				Type:              SchedulerSarathi,
				VLLM:              VLLMSchedulerConfig{CommonSchedulerConfig: common, MaxTokensInBatch: 4096},
				Sarathi:           SarathiSchedulerConfig{CommonSchedulerConfig: common, ChunkSize: 512},
				Orca:              OrcaSchedulerConfig{CommonSchedulerConfig: common},
				FasterTransformer: FasterTransformerSchedulerConfig{CommonSchedulerConfig: common},
				LightLLM:          LightLLMSchedulerConfig{CommonSchedulerConfig: common, MaxTokensInBatch: 4096, MaxWaitingIters: 10},
				SplitWise:         SplitWiseSchedulerConfig{CommonSchedulerConfig: common, MaxTokensInBatch: 4096, PDPlacement: "round_robin", PDP2PCommLatencyUS: 10},
			},
		},
		RequestGenerator: RequestGeneratorConfig{
			Type: GeneratorSynthetic,
			Synthetic: SyntheticConfig{
				Seed:        42,
				NumRequests: 128,
				LengthGenerator: LengthGeneratorConfig{
					Type:    LengthFixed,
					Fixed:   FixedLengthConfig{Seed: 42, MaxTokens: 4096, PrefillTokens: 2048, DecodeTokens: 512},
					Uniform: UniformLengthConfig{Seed: 42, MaxTokens: 4096, MinTokens: 1024, PrefillToDecodeRatio: 20},
					Zipf:    ZipfLengthConfig{Seed: 42, MaxTokens: 4096, Theta: 0.6, MinTokens: 1024, PrefillToDecodeRatio: 20},
					Trace: TraceLengthConfig{
						Seed: 42, MaxTokens: 4096,
						TraceFile:          "data/processed_traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv",
						PrefillScaleFactor: 1, DecodeScaleFactor: 1,
					},
				},
				IntervalGenerator: IntervalGeneratorConfig{
					Type:    IntervalPoisson,
					Poisson: PoissonIntervalConfig{Seed: 42, QPS: 0.5},
					Gamma:   GammaIntervalConfig{Seed: 42, QPS: 0.2, CV: 0.5},
					Static:  StaticIntervalConfig{Seed: 42},
					Trace: TraceIntervalConfig{
						Seed:            42,
						TraceFile:       "data/processed_traces/AzureFunctionsInvocationTraceForTwoWeeksJan2021Processed.csv",
						StartTime:       "1970-01-04 12:00:00",
						EndTime:         "1970-01-04 15:00:00",
						TimeScaleFactor: 1,
					},
				},
			},
			TraceReplay: TraceReplayConfig{
				Seed:               42,
				TraceFile:          "data/processed_traces/splitwise_conv.csv",
				PrefillScaleFactor: 1, DecodeScaleFactor: 1, TimeScaleFactor: 1,
				MaxTokens: 4096,
			},
		},
		ExecutionTimePredictor: PredictorConfig{
			Type:                                     PredictorRandomForrest,
			Backend:                                  BackendVidur,
			ComputeInputFile:                         "./data/profiling/compute/{DEVICE}/{MODEL}/mlp.csv",
			AttentionInputFile:                       "./data/profiling/compute/{DEVICE}/{MODEL}/attention.csv",
			AllReduceInputFile:                       "./data/profiling/network/{NETWORK_DEVICE}/all_reduce.csv",
			SendRecvInputFile:                        "./data/profiling/network/{NETWORK_DEVICE}/send_recv.csv",
			CPUOverheadInputFile:                     "./data/profiling/cpu_overhead/{NETWORK_DEVICE}/{MODEL}/cpu_overheads.csv",
			KFoldCVSplits:                            10,
			KVCachePredictionGranularity:             64,
			PredictionMaxPrefillChunkSize:            4096,
			PredictionMaxBatchSize:                   128,
			PredictionMaxTokensPerRequest:            4096,
			AttentionDecodeBatchingOverheadFraction:  0.1,
			AttentionPrefillBatchingOverheadFraction: 0.1,
			NCCLCPULaunchOverheadMS:                  0.02,
			NumTrainingJobThreads:                    -1,
			SkipCPUOverheadModeling:                  true,
			SimAIDir:                                 "../",
			SimAISimulationTopo:                      "../example/topo",
			SimAISimulationConfig:                    "../astra-sim-alibabacloud/inputs/config/SimAI.conf",
			RandomForrest: RandomForrestConfig{
				NumEstimators:   []int{250, 500, 750},
				MaxDepth:        []int{8, 16, 32},
				MinSamplesSplit: []int{2, 5, 10},
			},
			LinearRegression: LinearRegressionConfig{
				PolynomialDegree:          []int{1, 2, 3, 4, 5},
				PolynomialIncludeBias:     []bool{true, false},
				PolynomialInteractionOnly: []bool{true, false},
				FitIntercept:              []bool{true, false},
			},
		},
		Metrics: MetricsConfig{
			OutputDir:               "runs",
			CacheDir:                "cache",
			WriteMetrics:            true,
			EnableChromeTrace:       true,
			StorePlots:              true,
			StoreRequestMetrics:     true,
			StoreBatchMetrics:       true,
			StoreUtilizationMetrics: true,
		},
	}
}
