package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmsim/llmsim/catalog"
)

// Catalog is what Validate needs from a model and hardware catalog; *catalog.Catalog has it.
type Catalog interface {
	Model(name string) (*catalog.Model, error)
	GPU(name string) (*catalog.GPU, error)
	Node(name string) (*catalog.Node, error)
}

// FieldError is a setting whose value cannot work, with what to change.
type FieldError struct {
	Key    string // nested key, e.g. cluster_config.replica_config.tensor_parallel_size
	Flag   string // Vidur flag, e.g. replica_config_tensor_parallel_size
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("--%s (%s) = %s: %s", e.Flag, e.Key, formatValue(e.Value), e.Reason)
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// Validate checks that c describes an experiment that can run: the model, GPU and node exist in
// cat, the parallelism splits the model evenly, the schedulers and generators are known and
// their settings in range, and features of one compatibility mode are not asked of another.
// It returns every problem at once, each a *FieldError naming the flag, the YAML key, the value
// and what to change, joined with errors.Join; nil when c is valid.
func (c *Config) Validate(cat Catalog) error {
	v := validator{c: c, ix: theIndex()}
	v.top()
	v.replica(cat)
	v.schedulers()
	v.requests()
	v.predictor()
	v.metrics()
	return errors.Join(v.errs...)
}

type validator struct {
	c    *Config
	ix   *fieldIndex
	errs []error
}

// fail records a problem with the setting whose flag is flag (the flag names the setting
// unambiguously, and it is what a Vidur user types).
func (v *validator) fail(flag, format string, args ...any) {
	i, ok := v.ix.byName[flag]
	if !ok {
		panic("config: validator names unknown flag " + flag)
	}
	f := v.ix.fields[i]
	v.errs = append(v.errs, &FieldError{Key: f.Key, Flag: f.Flag, Value: f.Value(v.c), Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) positive(flag string, x float64) {
	if !(x > 0) {
		v.fail(flag, "must be greater than 0")
	}
}

func (v *validator) atLeast(flag string, x, lo int) {
	if x < lo {
		v.fail(flag, "must be at least %d", lo)
	}
}

func (v *validator) fraction(flag string, x float64) {
	if !(x >= 0 && x < 1) {
		v.fail(flag, "must be in [0, 1)")
	}
}

// top checks the enumerated settings everywhere, then the top-level ones.
func (v *validator) top() {
	for _, f := range v.ix.fields {
		if len(f.Enum) == 0 {
			continue
		}
		s := f.Value(v.c).(string)
		if !slices.Contains(f.Enum, s) {
			v.fail(f.Flag, "unknown value; use one of %s", enumList(f.Enum))
		}
	}
	if !(v.c.TimeLimit >= 0) {
		v.fail("time_limit", "must be 0 (no limit) or a positive number of seconds")
	}
}

func enumList(e []string) string {
	out := make([]string, len(e))
	for i, s := range e {
		out[i] = s
		if s == "" {
			out[i] = `"" (default)`
		}
	}
	return strings.Join(out, ", ")
}

func (v *validator) replica(cat Catalog) {
	cl := &v.c.Cluster
	r := &cl.Replica
	v.atLeast("cluster_config_num_replicas", cl.NumReplicas, 1)
	v.atLeast("replica_config_tensor_parallel_size", r.TensorParallelSize, 1)
	v.atLeast("replica_config_num_pipeline_stages", r.NumPipelineStages, 1)
	v.atLeast("replica_config_expert_model_parallel_size", r.ExpertModelParallelSize, 1)
	v.fraction("replica_config_memory_margin_fraction", r.MemoryMarginFraction)
	v.positive("replica_config_pd_p2p_comm_bandwidth", r.PDP2PCommBandwidth)
	v.positive("replica_config_nvlink_bandwidth", r.NVLinkBandwidth)
	v.positive("replica_config_rdma_bandwidth", r.RDMABandwidth)
	for _, d := range []struct{ flag, val string }{
		{"replica_config_pd_p2p_comm_dtype", r.PDP2PCommDtype},
		{"replica_config_weight_dtype", r.WeightDtype},
		{"replica_config_kv_cache_dtype", r.KVCacheDtype},
	} {
		if d.val == "" && d.flag != "replica_config_pd_p2p_comm_dtype" {
			continue
		}
		if _, err := catalog.DtypeBytes(d.val); err != nil {
			v.fail(d.flag, "unknown dtype; use fp32, fp16, bf16, fp8 or int8 (or their long names float32, float16, bfloat16)")
		}
	}

	model, err := cat.Model(r.ModelName)
	if err != nil {
		v.fail("replica_config_model_name", "%v", err)
	}
	gpu, err := cat.GPU(r.Device)
	if err != nil {
		v.fail("replica_config_device", "%v", err)
	}
	node, err := cat.Node(r.NetworkDevice)
	if err != nil {
		v.fail("replica_config_network_device", "%v", err)
	}
	if gpu != nil && node != nil {
		if ng, err := cat.GPU(node.GPU); err == nil && ng.Name != gpu.Name {
			v.fail("replica_config_network_device", "node %s holds %s GPUs but --replica_config_device is %s; pick a %s node or change the device", node.Name, ng.Name, gpu.Name, gpu.Name)
		}
	}
	if node != nil && node.GPUsPerNode > 0 && r.TensorParallelSize >= 1 && r.NumPipelineStages >= 1 {
		// Vidur places a replica's GPUs either inside one node or on whole nodes.
		if ws := r.WorldSize(); ws > node.GPUsPerNode && ws%node.GPUsPerNode != 0 {
			v.fail("replica_config_tensor_parallel_size", "a replica of %d GPUs (TP %d × attention DP %d × PP %d) neither fits in one %d-GPU %s node nor fills whole nodes; make it at most %d GPUs or a multiple of it",
				ws, r.TensorParallelSize, r.AttentionDataParallel(), r.NumPipelineStages, node.GPUsPerNode, node.Name, node.GPUsPerNode)
		}
	}
	if model != nil {
		v.parallelism(model, "replica_config_tensor_parallel_size", r.TensorParallelSize, "replica_config_num_pipeline_stages", r.NumPipelineStages)
		if r.PrefillTensorParallelSize > 0 || r.PrefillNumPipelineStages > 0 {
			v.parallelism(model, "replica_config_prefill_tensor_parallel_size", orDefault(r.PrefillTensorParallelSize, r.TensorParallelSize),
				"replica_config_prefill_num_pipeline_stages", orDefault(r.PrefillNumPipelineStages, r.NumPipelineStages))
		}
		if r.DecodeTensorParallelSize > 0 || r.DecodeNumPipelineStages > 0 {
			v.parallelism(model, "replica_config_decode_tensor_parallel_size", orDefault(r.DecodeTensorParallelSize, r.TensorParallelSize),
				"replica_config_decode_num_pipeline_stages", orDefault(r.DecodeNumPipelineStages, r.NumPipelineStages))
		}
		v.expertParallelism(model)
	}
	v.moeSettings(model)
	for _, f := range []struct {
		flag string
		val  int
	}{
		{"replica_config_prefill_tensor_parallel_size", r.PrefillTensorParallelSize},
		{"replica_config_prefill_num_pipeline_stages", r.PrefillNumPipelineStages},
		{"replica_config_decode_tensor_parallel_size", r.DecodeTensorParallelSize},
		{"replica_config_decode_num_pipeline_stages", r.DecodeNumPipelineStages},
		{"replica_config_prefill_expert_model_parallel_size", r.PrefillExpertModelParallelSize},
		{"replica_config_decode_expert_model_parallel_size", r.DecodeExpertModelParallelSize},
		{"replica_config_num_prefill_replicas", r.NumPrefillReplicas},
	} {
		if f.val < 0 {
			v.fail(f.flag, "must be 0 (not set) or positive")
		}
	}
	v.disaggregation()
}

func orDefault(x, def int) int {
	if x > 0 {
		return x
	}
	return def
}

// parallelism checks that TP splits the attention heads and PP the layers evenly.
func (v *validator) parallelism(m *catalog.Model, tpFlag string, tp int, ppFlag string, pp int) {
	if tp >= 1 {
		switch {
		case m.NoTensorParallel && tp > 1:
			v.fail(tpFlag, "%s is never sharded by tensor parallelism (as in Vidur); use 1", m.Name)
		case m.NumQHeads%tp != 0:
			v.fail(tpFlag, "does not divide the %d query heads of %s; use one of %s", m.NumQHeads, m.Name, divisors(m.NumQHeads))
		case m.Attention != catalog.MLA && m.NumKVHeads > 0 && m.NumKVHeads%tp != 0 && tp%m.NumKVHeads != 0:
			// Fewer KV heads than ranks is fine (each KV head is replicated), but the heads must
			// still fall evenly on the ranks.
			v.fail(tpFlag, "splits the %d KV heads of %s unevenly; TP must divide them or be a multiple of them", m.NumKVHeads, m.Name)
		}
	}
	if pp >= 1 && m.NumLayers%pp != 0 {
		v.fail(ppFlag, "does not divide the %d layers of %s; use one of %s", m.NumLayers, m.Name, divisors(m.NumLayers))
	}
}

func (v *validator) expertParallelism(m *catalog.Model) {
	r := &v.c.Cluster.Replica
	ep := r.ExpertModelParallelSize
	if ep <= 1 {
		return
	}
	const flag = "replica_config_expert_model_parallel_size"
	if !m.IsMoE() {
		v.fail(flag, "%s is a dense model with no experts to spread; use 1", m.Name)
		return
	}
	if v.c.Compat == CompatVidurAlibabaCloud {
		// The fork accepts only 1 or the world size (and then uses the world size).
		if ws := r.WorldSize(); ep != ws {
			v.fail(flag, "vidur-alibabacloud accepts only 1 or the replica's world size (TP × PP = %d)", ws)
		}
		return
	}
	n := m.MoE.NumRoutedExperts
	stage := r.TensorParallelSize * r.AttentionDataParallel()
	switch {
	case ep > n:
		v.fail(flag, "exceeds the %d routed experts of %s", n, m.Name)
	case n%ep != 0:
		v.fail(flag, "does not divide the %d routed experts of %s; use one of %s", n, m.Name, divisors(n))
	case r.TensorParallelSize >= 1 && stage%ep != 0:
		v.fail(flag, "must divide the %d GPUs of a pipeline stage (TP %d × attention DP %d): the expert-parallel group is formed from them; raise --replica_config_attention_data_parallel_size or set it to 0 (EP/TP)",
			stage, r.TensorParallelSize, r.AttentionDataParallel())
	}
}

// moeSettings checks attention data parallelism and the routing distribution.
func (v *validator) moeSettings(m *catalog.Model) {
	r := &v.c.Cluster.Replica
	if r.AttentionDataParallelSize < 0 {
		v.fail("replica_config_attention_data_parallel_size", "must be 0 (EP/TP when EP exceeds TP, else 1) or positive")
	}
	if r.AttentionDataParallelSize > 1 && m != nil && !m.IsMoE() {
		v.fail("replica_config_attention_data_parallel_size", "%s is a dense model: attention data parallelism only pays off beside expert parallelism; add replicas instead", m.Name)
	}
	switch r.MoERoutingDistribution {
	case "zipf":
		v.positive("replica_config_moe_routing_zipf_exponent", r.MoERoutingZipfExponent)
	case "histogram":
		if r.MoERoutingHistogramFile == "" {
			v.fail("replica_config_moe_routing_histogram_file", "histogram routing needs a file of measured expert loads")
		}
	}
}

// divisors lists the divisors of n, for "use one of ..." hints.
func divisors(n int) string {
	var ds []string
	for d := 1; d <= n; d++ {
		if n%d == 0 {
			ds = append(ds, strconv.Itoa(d))
		}
	}
	return strings.Join(ds, ", ")
}

// disaggregation checks prefill/decode disaggregation (vidur-alibabacloud's PD mode).
func (v *validator) disaggregation() {
	cl := &v.c.Cluster
	r := &cl.Replica
	ratio := r.PDNodeRatio
	if !(ratio > 0 && ratio <= 1) {
		v.fail("replica_config_pd_node_ratio", "must be in (0, 1]: 1 serves prefill and decode on every replica, less disaggregates them")
		return
	}
	splitGlobal := cl.GlobalScheduler.Type == GlobalSplitWise
	splitReplica := cl.ReplicaScheduler.Type == SchedulerSplitWise
	if splitGlobal != splitReplica {
		v.fail("global_scheduler_config_type", "split_wise global and replica schedulers only work together; set both --global_scheduler_config_type and --replica_scheduler_config_type to split_wise, or neither")
	}
	if ratio == 1 {
		if splitGlobal {
			v.fail("replica_config_pd_node_ratio", "split_wise needs prefill and decode replicas; set a ratio in (0, 1), e.g. 0.5")
		}
		if r.NumPrefillReplicas > 0 {
			v.fail("replica_config_num_prefill_replicas", "only applies with --replica_config_pd_node_ratio below 1")
		}
		return
	}
	if !splitGlobal && v.c.Compat != CompatVidurAlibabaCloud {
		// The fork computes the PD split but still runs every replica mixed; llmsim refuses a
		// setting that would silently do nothing.
		v.fail("replica_config_pd_node_ratio", "disaggregating prefill and decode needs --global_scheduler_config_type split_wise and --replica_scheduler_config_type split_wise")
	}
	if cl.NumReplicas >= 1 {
		p, d := cl.PDSplit()
		if p < 1 || d < 1 {
			v.fail("replica_config_pd_node_ratio", "%d replicas split into %d prefill and %d decode replicas; both need at least one: raise --cluster_config_num_replicas or set --replica_config_num_prefill_replicas", cl.NumReplicas, p, d)
		}
	}
}

// PDSplit returns how many replicas run prefill and how many decode: (NumReplicas,
// NumReplicas) when both phases share every replica (pd_node_ratio 1); otherwise
// num_prefill_replicas, or int(NumReplicas·pd_node_ratio), and the rest.
func (c ClusterConfig) PDSplit() (prefill, decode int) {
	if c.Replica.PDNodeRatio >= 1 {
		return c.NumReplicas, c.NumReplicas
	}
	p := c.Replica.NumPrefillReplicas
	if p == 0 {
		p = int(float64(c.NumReplicas) * c.Replica.PDNodeRatio)
	}
	return p, c.NumReplicas - p
}

func (v *validator) schedulers() {
	s := &v.c.Cluster.ReplicaScheduler
	common, ok := s.Active()
	if !ok {
		return // the enum check has reported it
	}
	p := s.activePrefix()
	v.atLeast(p+"batch_size_cap", common.BatchSizeCap, 1)
	v.atLeast(p+"block_size", common.BlockSize, 1)
	v.fraction(p+"watermark_blocks_fraction", common.WatermarkBlocksFraction)
	v.atLeast(p+"num_blocks", common.NumBlocks, 0)
	if pp := v.c.Cluster.Replica.NumPipelineStages; pp >= 1 && common.BatchSizeCap >= 1 && common.BatchSizeCap < pp {
		v.fail(p+"batch_size_cap", "is smaller than the %d pipeline stages, which leaves some micro-batches empty; raise it to at least %d", pp, pp)
	}
	switch s.Type {
	case SchedulerVLLM:
		v.atLeast(p+"max_tokens_in_batch", s.VLLM.MaxTokensInBatch, 1)
	case SchedulerSarathi:
		v.atLeast(p+"chunk_size", s.Sarathi.ChunkSize, 1)
	case SchedulerLightLLM:
		v.atLeast(p+"max_tokens_in_batch", s.LightLLM.MaxTokensInBatch, 1)
		v.atLeast(p+"max_waiting_iters", s.LightLLM.MaxWaitingIters, 1)
		if s.LightLLM.BlockSize != 1 {
			v.fail(p+"block_size", "LightLLM allocates one token per block; set it to 1")
		}
		if v.c.Cluster.Replica.NumPipelineStages > 1 {
			v.fail("replica_config_num_pipeline_stages", "LightLLM does not support pipeline parallelism; use 1")
		}
	case SchedulerSplitWise:
		v.atLeast(p+"max_tokens_in_batch", s.SplitWise.MaxTokensInBatch, 1)
	}
	if v.c.Compat == CompatVidur {
		if s.Type == SchedulerSplitWise {
			v.fail("replica_scheduler_config_type", "split_wise is not in Vidur; use --compat vidur-alibabacloud")
		}
		if v.c.Cluster.GlobalScheduler.Type == GlobalSplitWise {
			v.fail("global_scheduler_config_type", "split_wise is not in Vidur; use --compat vidur-alibabacloud")
		}
	}
}

func (v *validator) requests() {
	g := &v.c.RequestGenerator
	switch g.Type {
	case GeneratorTraceReplay:
		t := &g.TraceReplay
		if t.TraceFile == "" {
			v.fail("trace_request_generator_config_trace_file", "a trace_replay workload needs a trace file")
		}
		v.positive("trace_request_generator_config_prefill_scale_factor", t.PrefillScaleFactor)
		v.positive("trace_request_generator_config_decode_scale_factor", t.DecodeScaleFactor)
		v.positive("trace_request_generator_config_time_scale_factor", t.TimeScaleFactor)
		v.atLeast("trace_request_generator_config_max_tokens", t.MaxTokens, 2)
	case GeneratorSynthetic:
		v.synthetic()
	}
}

func (v *validator) synthetic() {
	s := &v.c.RequestGenerator.Synthetic
	v.atLeast("synthetic_request_generator_config_num_requests", s.NumRequests, 0)
	if !(s.Duration >= 0) {
		v.fail("synthetic_request_generator_config_duration", "must be 0 (use num_requests) or a positive number of seconds")
	}
	if s.NumRequests == 0 && s.Duration == 0 && s.IntervalGenerator.Type != IntervalTrace {
		v.fail("synthetic_request_generator_config_num_requests", "with no duration either, only a trace interval generator ends the workload; set a number of requests or a duration")
	}

	l := &s.LengthGenerator
	switch l.Type {
	case LengthFixed:
		v.atLeast("fixed_request_length_generator_config_prefill_tokens", l.Fixed.PrefillTokens, 1)
		v.atLeast("fixed_request_length_generator_config_decode_tokens", l.Fixed.DecodeTokens, 1)
		if l.Fixed.PrefillTokens+l.Fixed.DecodeTokens > l.Fixed.MaxTokens {
			v.fail("fixed_request_length_generator_config_max_tokens", "is below prefill_tokens + decode_tokens = %d", l.Fixed.PrefillTokens+l.Fixed.DecodeTokens)
		}
	case LengthUniform:
		v.atLeast("uniform_request_length_generator_config_min_tokens", l.Uniform.MinTokens, 2)
		if l.Uniform.MaxTokens < l.Uniform.MinTokens {
			v.fail("uniform_request_length_generator_config_max_tokens", "is below min_tokens %d", l.Uniform.MinTokens)
		}
		v.positive("uniform_request_length_generator_config_prefill_to_decode_ratio", l.Uniform.PrefillToDecodeRatio)
	case LengthZipf:
		v.atLeast("zipf_request_length_generator_config_min_tokens", l.Zipf.MinTokens, 2)
		if l.Zipf.MaxTokens < l.Zipf.MinTokens {
			v.fail("zipf_request_length_generator_config_max_tokens", "is below min_tokens %d", l.Zipf.MinTokens)
		}
		if !(l.Zipf.Theta > 0 && l.Zipf.Theta < 1) {
			v.fail("zipf_request_length_generator_config_theta", "must be in (0, 1): the quick-zipf draw divides by 1 − θ")
		}
		v.positive("zipf_request_length_generator_config_prefill_to_decode_ratio", l.Zipf.PrefillToDecodeRatio)
	case LengthTrace:
		if l.Trace.TraceFile == "" {
			v.fail("trace_request_length_generator_config_trace_file", "a trace length generator needs a trace file")
		}
		v.atLeast("trace_request_length_generator_config_max_tokens", l.Trace.MaxTokens, 2)
		v.positive("trace_request_length_generator_config_prefill_scale_factor", l.Trace.PrefillScaleFactor)
		v.positive("trace_request_length_generator_config_decode_scale_factor", l.Trace.DecodeScaleFactor)
	}

	in := &s.IntervalGenerator
	switch in.Type {
	case IntervalPoisson:
		v.positive("poisson_request_interval_generator_config_qps", in.Poisson.QPS)
	case IntervalGamma:
		v.positive("gamma_request_interval_generator_config_qps", in.Gamma.QPS)
		v.positive("gamma_request_interval_generator_config_cv", in.Gamma.CV)
	case IntervalTrace:
		if in.Trace.TraceFile == "" {
			v.fail("trace_request_interval_generator_config_trace_file", "a trace interval generator needs a trace file")
		}
		v.positive("trace_request_interval_generator_config_time_scale_factor", in.Trace.TimeScaleFactor)
		const layout = "2006-01-02 15:04:05"
		start, err1 := time.Parse(layout, in.Trace.StartTime)
		if err1 != nil {
			v.fail("trace_request_interval_generator_config_start_time", "is not a time of the form YYYY-MM-DD HH:MM:SS")
		}
		end, err2 := time.Parse(layout, in.Trace.EndTime)
		if err2 != nil {
			v.fail("trace_request_interval_generator_config_end_time", "is not a time of the form YYYY-MM-DD HH:MM:SS")
		}
		if err1 == nil && err2 == nil && !end.After(start) {
			v.fail("trace_request_interval_generator_config_end_time", "must be after start_time %s", in.Trace.StartTime)
		}
	}
}

func (v *validator) predictor() {
	p := &v.c.ExecutionTimePredictor
	const pre = "random_forrest_execution_time_predictor_config_"
	if p.Type == PredictorTable && p.PredictionsDir == "" {
		v.fail(pre+"predictions_dir", "the table predictor reads Vidur prediction CSVs from this directory; set it")
	}
	v.atLeast(pre+"kv_cache_prediction_granularity", p.KVCachePredictionGranularity, 1)
	v.atLeast(pre+"prediction_max_prefill_chunk_size", p.PredictionMaxPrefillChunkSize, 1)
	v.atLeast(pre+"prediction_max_batch_size", p.PredictionMaxBatchSize, 1)
	v.atLeast(pre+"prediction_max_tokens_per_request", p.PredictionMaxTokensPerRequest, 1)
	v.atLeast(pre+"k_fold_cv_splits", p.KFoldCVSplits, 2)
	for _, f := range []struct {
		flag string
		val  float64
	}{
		{pre + "attention_decode_batching_overhead_fraction", p.AttentionDecodeBatchingOverheadFraction},
		{pre + "attention_prefill_batching_overhead_fraction", p.AttentionPrefillBatchingOverheadFraction},
		{pre + "nccl_cpu_launch_overhead_ms", p.NCCLCPULaunchOverheadMS},
		{pre + "nccl_cpu_skew_overhead_per_device_ms", p.NCCLCPUSkewOverheadPerDeviceMS},
	} {
		if !(f.val >= 0) {
			v.fail(f.flag, "must not be negative")
		}
	}
	if p.NumTrainingJobThreads == 0 || p.NumTrainingJobThreads < -1 {
		v.fail(pre+"num_training_job_threads", "use -1 (one per CPU) or a positive count")
	}
	for _, l := range []struct {
		flag string
		vals []int
		min  int
	}{
		{pre + "num_estimators", p.RandomForrest.NumEstimators, 1},
		{pre + "max_depth", p.RandomForrest.MaxDepth, 1},
		{pre + "min_samples_split", p.RandomForrest.MinSamplesSplit, 2},
		{"linear_regression_execution_time_predictor_config_polynomial_degree", p.LinearRegression.PolynomialDegree, 1},
	} {
		if len(l.vals) == 0 {
			v.fail(l.flag, "the grid needs at least one value")
		}
		for _, x := range l.vals {
			if x < l.min {
				v.fail(l.flag, "every value must be at least %d", l.min)
				break
			}
		}
	}
	if v.c.Compat == CompatVidur && p.Backend != BackendVidur {
		v.fail(pre+"backend", "Vidur has only the vidur backend; use --compat vidur-alibabacloud for %s", p.Backend)
	}
}

func (v *validator) metrics() {
	m := &v.c.Metrics
	const pre = "metrics_config_"
	if m.WriteMetrics && m.OutputDir == "" {
		v.fail(pre+"output_dir", "runs need a directory to be written to")
	}
	v.atLeast(pre+"subsamples", m.Subsamples, 0)
	v.atLeast(pre+"min_batch_index", m.MinBatchIndex, 0)
	v.atLeast(pre+"max_batch_index", m.MaxBatchIndex, 0)
	if m.MaxBatchIndex > 0 && m.MaxBatchIndex < m.MinBatchIndex {
		v.fail(pre+"max_batch_index", "is below min_batch_index %d", m.MinBatchIndex)
	}
	for _, w := range []struct{ flag, val string }{
		{pre + "wandb_project", m.WandbProject},
		{pre + "wandb_group", m.WandbGroup},
		{pre + "wandb_run_name", m.WandbRunName},
		{pre + "wandb_sweep_id", m.WandbSweepID},
		{pre + "wandb_run_id", m.WandbRunID},
	} {
		if w.val != "" {
			v.fail(w.flag, "llmsim does not log to Weights & Biases; drop this flag (every result is in the run folder)")
		}
	}
	if m.SaveTableToWandb {
		v.fail(pre+"save_table_to_wandb", "llmsim does not log to Weights & Biases; drop this flag")
	}
}
