package predictor

import (
	"fmt"
	"math"
)

// TokenOp names an operator whose time depends on the number of tokens in the batch.
// Its table is indexed by that count.
type TokenOp int

// The token-keyed operators, in Vidur's naming. The names are the file names of Vidur's
// prediction cache and the op names of train artifacts.
const (
	AttnPreProj TokenOp = iota
	AttnPostProj
	AttnRope
	AttnKVCacheSave
	InputLayerNorm
	PostAttentionLayerNorm
	MLPUpProj
	MLPDownProj
	MLPAct
	Add
	AllReduce
	SendRecv
	numTokenOps
)

var tokenOpNames = [numTokenOps]string{
	"attn_pre_proj", "attn_post_proj", "attn_rope", "attn_kv_cache_save",
	"input_layernorm", "post_attention_layernorm", "mlp_up_proj", "mlp_down_proj",
	"mlp_act", "add", "all_reduce", "send_recv",
}

// String returns Vidur's name of the operator.
func (o TokenOp) String() string {
	if o < 0 || o >= numTokenOps {
		return fmt.Sprintf("TokenOp(%d)", int(o))
	}
	return tokenOpNames[o]
}

// CPUOp names a CPU-overhead component, keyed by the number of requests in the batch.
type CPUOp int

// The CPU-overhead components Vidur models when skip_cpu_overhead_modeling is off.
const (
	CPUSchedule CPUOp = iota
	CPUSamplerE2E
	CPUPrepareInputsE2E
	CPUProcessModelOutputs
	CPURayCommTime
	numCPUOps
)

var cpuOpNames = [numCPUOps]string{"schedule", "sampler_e2e", "prepare_inputs_e2e", "process_model_outputs", "ray_comm_time"}

// String returns Vidur's name of the component.
func (o CPUOp) String() string {
	if o < 0 || o >= numCPUOps {
		return fmt.Sprintf("CPUOp(%d)", int(o))
	}
	return cpuOpNames[o]
}

// Op names of the two attention kernels, whose tables have two keys.
const (
	OpAttnDecode  = "attn_decode"
	OpAttnPrefill = "attn_prefill"
)

// Tables holds every operator's predicted time for one transformer layer, in
// milliseconds, on dense lattices so that a lookup is an index computation:
//
//   - Token[op][n] is the time for n tokens (n ≥ 1; index 0 is unused). A nil slice means
//     the operator is absent (all_reduce without TP, send_recv without PP).
//   - CPU[op][b] is the time for a batch of b requests; nil when CPU overheads are absent.
//   - Decode is indexed by (batch size, kv/KVStep): decode attention of b requests whose
//     mean KV-cache length, rounded up to KVStep, is kv.
//   - Prefill is indexed by (kv/KVStep, chunk): prefill attention over a summed,
//     KVStep-rounded KV length kv and an equivalent chunk (Vidur's round(√Σc²)).
//
// Limits are the largest keys Vidur's own grids hold; see Limits.
type Tables struct {
	Token  [numTokenOps][]float64
	CPU    [numCPUOps][]float64
	KVStep int
	// Decode has DecodeMaxBatch rows (batch 1..DecodeMaxBatch) of DecodeKVCols columns.
	Decode       []float64
	DecodeRows   int
	DecodeKVCols int
	// Prefill has PrefillKVRows rows (kv 0, KVStep, ...) of PrefillChunks columns (chunk 1..).
	Prefill       []float64
	PrefillKVRows int
	PrefillChunks int
	Limits        Limits
	// AICB, when set, makes predictors over these tables price batches from AICB's layer
	// tables (the aicb backend); the token tables then serve only the collectives.
	AICB *AICBModel
	// AllToAll, when the artifact holds an all_to_all grid (a network measured with
	// nccl-tests' alltoall_perf, say), times the MoE dispatch and combine from it for
	// the expert-parallel groups it covers (WithFallback); nil: the analytical model.
	AllToAll *ProfiledComm
	// Source says where the tables came from (a folder of Vidur CSVs or an artifact id).
	Source string
	// Arch holds the expert, shared-expert and linear-attention tables of a MoE or hybrid
	// model (LoadArchTables); nil for dense models and Vidur's CSVs.
	Arch *ArchTables
	// OutOfDomain says which tables hold values extrapolated beyond what was measured
	// (e.g. an all-reduce larger than the largest profiled message), for the run to report.
	OutOfDomain []string
}

// Limits are the largest lookup keys a prediction grid covers. Vidur builds its grids
// up to these sizes and stops with a KeyError on any batch outside them; the tables may
// hold fewer points (a forest is constant past its last training point, so values
// beyond the stored data repeat the last stored value).
type Limits struct {
	MaxTokens     int // compute ops: prediction_max_tokens_per_request (×max batch for Orca)
	MaxBatchSize  int // decode attention and CPU overheads: prediction_max_batch_size
	MaxKV         int // attention KV keys: prediction_max_tokens_per_request
	MaxChunk      int // prefill equivalent chunk: prediction_max_prefill_chunk_size
	KVGranularity int // kv_cache_prediction_granularity
}

// VidurLimits returns Vidur's default grid sizes (4096 tokens, batch 128, kv step 64),
// with the compute grid enlarged by the batch size for the Orca scheduler as Vidur does.
func VidurLimits(orca bool) Limits {
	l := Limits{MaxTokens: 4096, MaxBatchSize: 128, MaxKV: 4096, MaxChunk: 4096, KVGranularity: 64}
	if orca {
		l.MaxTokens *= l.MaxBatchSize
	}
	return l
}

// validate checks the tables' shape invariants once, so that lookups need not.
func (t *Tables) validate() error {
	if t.KVStep <= 0 {
		return fmt.Errorf("predictor: %s: kv step %d is not positive", t.Source, t.KVStep)
	}
	for op := TokenOp(0); op < numTokenOps; op++ {
		if op == AllReduce || op == SendRecv {
			continue
		}
		if len(t.Token[op]) < 2 {
			return fmt.Errorf("predictor: %s: no table for %s", t.Source, op)
		}
	}
	if t.DecodeRows <= 0 || t.DecodeKVCols <= 0 || len(t.Decode) != t.DecodeRows*t.DecodeKVCols {
		return fmt.Errorf("predictor: %s: attn_decode table is %d values, want %d×%d", t.Source, len(t.Decode), t.DecodeRows, t.DecodeKVCols)
	}
	if t.PrefillKVRows <= 0 || t.PrefillChunks <= 0 || len(t.Prefill) != t.PrefillKVRows*t.PrefillChunks {
		return fmt.Errorf("predictor: %s: attn_prefill table is %d values, want %d×%d", t.Source, len(t.Prefill), t.PrefillKVRows, t.PrefillChunks)
	}
	for _, v := range t.Decode {
		if math.IsNaN(v) {
			return fmt.Errorf("predictor: %s: attn_decode table has holes", t.Source)
		}
	}
	for _, v := range t.Prefill {
		if math.IsNaN(v) {
			return fmt.Errorf("predictor: %s: attn_prefill table has holes", t.Source)
		}
	}
	return nil
}
