package predictor

import (
	"fmt"
	"math"
)

// Config is how a batch's operator times are assembled into a stage time. It mirrors
// Vidur's ExecutionTime: everything here is per replica, shared by all its stages.
type Config struct {
	LayersPerStage int // num_layers / pipeline stages
	NumStages      int // pipeline stages; stages other than the last pay a send/recv
	TensorParallel int // TP degree; 1 means no all-reduce
	PostAttnNorm   bool
	// DecodeBatchingOverhead and PrefillBatchingOverhead are the fractions Vidur adds to
	// attention when more than one request shares the kernel. Vidur applies them to GQA
	// models only; the caller passes 0 for others (see VidurBatchingOverheads).
	DecodeBatchingOverhead  float64
	PrefillBatchingOverhead float64
	// NCCLLaunchOverheadMS and NCCLSkewOverheadPerDeviceMS are added to every all-reduce
	// (Vidur's nccl_cpu_launch_overhead_ms and nccl_cpu_skew_overhead_per_device_ms).
	NCCLLaunchOverheadMS        float64
	NCCLSkewOverheadPerDeviceMS float64
	// CPUOverheads adds the CPU-side components (Vidur skips them by default).
	CPUOverheads bool
	// Strict makes a key outside the grid limits an error, as Vidur's KeyError. When
	// false such keys are clamped to the grid's edge and counted in Predictor.Clamped.
	Strict bool
	// Arch, when set, prices MoE, MLA and hybrid-attention models layer kind by layer
	// kind (moe.go); nil keeps Vidur's dense assembly.
	Arch *Arch
	// AICB, when set, prices batches from AICB's per-layer tables (the aicb backend,
	// backend_aicb.go) instead of the operator tables.
	AICB *AICBModel
}

// VidurBatchingOverheads returns the attention batching overhead fractions Vidur
// applies: the configured ones for grouped-query attention, 0 otherwise.
func VidurBatchingOverheads(qHeads, kvHeads int, decode, prefill float64) (float64, float64) {
	if qHeads > kvHeads {
		return decode, prefill
	}
	return 0, 0
}

// Shape is what the predictor needs to know about a batch: the aggregates from which
// Vidur derives its lookup keys. The simulator fills it once per batch.
type Shape struct {
	Size      int // requests in the batch
	NumTokens int // Σ tokens processed this iteration
	// Decodes: requests whose prefill is complete, and Σ of their processed tokens.
	DecodeCount int
	DecodeKVSum int
	// Prefills: requests still in prefill, Σ of their processed tokens each rounded up to
	// the KV granularity, and Σ of their chunk sizes squared.
	PrefillCount   int
	PrefillKV      int
	PrefillChunkSq int
	// Ranks splits the batch over attention data-parallel ranks (Arch.DP > 1): entry i
	// aggregates the requests rank i serves. The fields above still describe the whole
	// batch, which the experts see.
	Ranks []Shape
}

// AddDecode adds a decode request with kv processed tokens.
func (s *Shape) AddDecode(kv int) {
	s.Size++
	s.NumTokens++
	s.DecodeCount++
	s.DecodeKVSum += kv
}

// AddPrefill adds a prefill chunk of c tokens for a request that has processed kv
// tokens so far; granularity is the KV rounding step (64 in Vidur).
func (s *Shape) AddPrefill(kv, c, granularity int) {
	s.Size++
	s.NumTokens += c
	s.PrefillCount++
	s.PrefillKV += ceilTo(kv, granularity)
	s.PrefillChunkSq += c * c
}

func ceilTo(x, step int) int { return (x + step - 1) / step * step }

// Times is a batch's predicted execution time on one pipeline stage, in seconds, with
// its split by kind of work. Total = Attention + MLP + Comm + Other up to rounding;
// MoE and Dispatch are parts of MLP and Comm.
type Times struct {
	Total float64 // what the stage is busy for (BatchStage.execution_time)
	Model float64 // Total without CPU overheads (BatchStage.model_execution_time)

	Attention float64 // projections, rope, KV-cache save, attention kernels
	MLP       float64 // up, down projections and activation
	Comm      float64 // TP all-reduces and PP send/recv
	Other     float64 // norms, residual adds, CPU overheads

	MoE      float64 // the MoE share of MLP: router, permutation, routed and shared experts
	Dispatch float64 // the EP share of Comm: token dispatch and combine all-to-alls
}

// Predictor turns batch shapes into stage times by table lookups. It is not safe for
// concurrent use (it counts clamped lookups); build one per simulation.
type Predictor struct {
	cfg    Config
	t      *Tables
	tpComm bool
	// Clamped counts lookups whose key fell outside the grid and was clamped.
	Clamped int64
}

// New checks cfg against t and returns a Predictor.
func New(t *Tables, cfg Config) (*Predictor, error) {
	if t == nil {
		return nil, fmt.Errorf("predictor: no tables")
	}
	if cfg.LayersPerStage <= 0 || cfg.NumStages <= 0 || cfg.TensorParallel <= 0 {
		return nil, fmt.Errorf("predictor: layers per stage %d, stages %d and TP %d must be positive", cfg.LayersPerStage, cfg.NumStages, cfg.TensorParallel)
	}
	if cfg.AICB == nil {
		cfg.AICB = t.AICB
	}
	if cfg.TensorParallel > 1 && t.Token[AllReduce] == nil {
		return nil, fmt.Errorf("predictor: %s: TP %d needs an all_reduce table", t.Source, cfg.TensorParallel)
	}
	if cfg.NumStages > 1 && t.Token[SendRecv] == nil {
		return nil, fmt.Errorf("predictor: %s: %d pipeline stages need a send_recv table", t.Source, cfg.NumStages)
	}
	if cfg.Arch != nil {
		if err := cfg.Arch.validate(t); err != nil {
			return nil, err
		}
	}
	if cfg.CPUOverheads {
		for op := CPUOp(0); op < numCPUOps; op++ {
			if t.CPU[op] == nil {
				return nil, fmt.Errorf("predictor: %s: CPU overheads are on but there is no %s table", t.Source, op)
			}
		}
	}
	return &Predictor{cfg: cfg, t: t, tpComm: cfg.TensorParallel > 1}, nil
}

// Tables returns the tables the predictor reads.
func (p *Predictor) Tables() *Tables { return p.t }

// KVGranularity is the step KV-cache lengths are rounded up to before lookup.
func (p *Predictor) KVGranularity() int { return p.t.KVStep }

// KeyError reports a batch whose lookup key lies outside the prediction grid, where
// Vidur stops with a KeyError.
type KeyError struct {
	Op  string
	Key [2]int
	Max [2]int
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("predictor: %s key %v is outside the prediction grid (limits %v); Vidur stops here with a KeyError — raise the prediction limits or shrink the batch", e.Op, e.Key, e.Max)
}

func (p *Predictor) token(op TokenOp, n int) (float64, error) {
	tab := p.t.Token[op]
	if n < 1 {
		// Vidur never looks up 0 tokens (a batch has at least one); treat it as the first point.
		n = 1
	}
	if n > p.t.Limits.MaxTokens {
		if p.cfg.Strict {
			return 0, &KeyError{Op: op.String(), Key: [2]int{n}, Max: [2]int{p.t.Limits.MaxTokens}}
		}
		p.Clamped++
	}
	if n >= len(tab) {
		n = len(tab) - 1
	}
	return tab[n], nil
}

func (p *Predictor) cpu(op CPUOp, b int) (float64, error) {
	tab := p.t.CPU[op]
	if b > p.t.Limits.MaxBatchSize {
		if p.cfg.Strict {
			return 0, &KeyError{Op: op.String(), Key: [2]int{b}, Max: [2]int{p.t.Limits.MaxBatchSize}}
		}
		p.Clamped++
	}
	b = min(max(b, 1), len(tab)-1)
	return tab[b], nil
}

func (p *Predictor) decode(s *Shape) (float64, error) {
	if s.DecodeCount == 0 {
		return 0, nil
	}
	// Vidur: int(mean(kv)) then round up to the granularity. The mean of integers is exact
	// in float64 for these magnitudes, so integer division gives the same floor.
	kv := ceilTo(s.DecodeKVSum/s.DecodeCount, p.t.KVStep)
	b := s.DecodeCount
	if b > p.t.Limits.MaxBatchSize || kv > p.t.Limits.MaxKV {
		if p.cfg.Strict {
			return 0, &KeyError{Op: OpAttnDecode, Key: [2]int{b, kv}, Max: [2]int{p.t.Limits.MaxBatchSize, p.t.Limits.MaxKV}}
		}
		p.Clamped++
	}
	row := min(b, p.t.DecodeRows) - 1
	col := min(kv/p.t.KVStep, p.t.DecodeKVCols-1)
	v := p.t.Decode[row*p.t.DecodeKVCols+col]
	if b > 1 {
		v *= 1 + p.cfg.DecodeBatchingOverhead
	}
	return v, nil
}

func (p *Predictor) prefill(s *Shape) (float64, error) {
	if s.PrefillCount == 0 {
		return 0, nil
	}
	kv := s.PrefillKV
	// Vidur: round(sqrt(Σc²)); √ of an integer is never exactly x.5, so rounding mode
	// does not matter.
	c := int(math.Round(math.Sqrt(float64(s.PrefillChunkSq))))
	if kv > p.t.Limits.MaxKV || c > p.t.Limits.MaxChunk {
		if p.cfg.Strict {
			return 0, &KeyError{Op: OpAttnPrefill, Key: [2]int{kv, c * c}, Max: [2]int{p.t.Limits.MaxKV, p.t.Limits.MaxChunk * p.t.Limits.MaxChunk}}
		}
		p.Clamped++
	}
	row := min(kv/p.t.KVStep, p.t.PrefillKVRows-1)
	col := min(max(c, 1), p.t.PrefillChunks) - 1
	v := p.t.Prefill[row*p.t.PrefillChunks+col]
	if s.PrefillCount > 1 {
		v *= 1 + p.cfg.PrefillBatchingOverhead
	}
	return v, nil
}

// Predict returns the stage times of a batch of shape s: on the last pipeline stage,
// and on the others (which also send activations to the next stage). The floating-point
// operations follow Vidur's ExecutionTime term by term and in the same order, so the
// table backend reproduces Vidur's times bit for bit.
func (p *Predictor) Predict(s *Shape) (last, inner Times, err error) {
	if p.cfg.AICB != nil {
		return p.predictAICB(s)
	}
	if p.cfg.Arch != nil {
		return p.predictArch(s)
	}
	t8 := ceilTo(s.NumTokens, 8)
	var v [numTokenOps]float64
	for op := TokenOp(0); op < numTokenOps; op++ {
		key := t8
		switch op {
		case AttnKVCacheSave:
			key = s.NumTokens // Vidur looks this one up unrounded
		case PostAttentionLayerNorm:
			if !p.cfg.PostAttnNorm {
				continue
			}
		case AllReduce:
			if !p.tpComm {
				continue
			}
		case SendRecv:
			if p.cfg.NumStages == 1 {
				continue
			}
		}
		if v[op], err = p.token(op, key); err != nil {
			return last, inner, err
		}
	}
	dec, err := p.decode(s)
	if err != nil {
		return last, inner, err
	}
	pre, err := p.prefill(s)
	if err != nil {
		return last, inner, err
	}
	var tp float64
	if p.tpComm {
		tp = v[AllReduce] + p.cfg.NCCLLaunchOverheadMS + p.cfg.NCCLSkewOverheadPerDeviceMS*math.Pow(float64(p.cfg.TensorParallel), 1.25)
	}
	var cpu float64
	if p.cfg.CPUOverheads {
		var c [numCPUOps]float64
		for op := CPUOp(0); op < numCPUOps; op++ {
			if c[op], err = p.cpu(op, s.Size); err != nil {
				return last, inner, err
			}
		}
		cpu = c[CPUSchedule] + c[CPUSamplerE2E] + c[CPUPrepareInputsE2E] + c[CPUProcessModelOutputs] + c[CPURayCommTime]
	}

	attnLayer := v[AttnPreProj] + v[AttnPostProj] + v[AttnRope] + v[AttnKVCacheSave] + dec + pre + tp + v[InputLayerNorm]
	mlpLayer := v[MLPUpProj] + v[MLPDownProj] + v[MLPAct] + tp + v[PostAttentionLayerNorm]
	block := attnLayer + mlpLayer + v[Add]
	layers := float64(p.cfg.LayersPerStage)
	stage := block * layers

	split := func(pp float64) Times {
		var t Times
		t.Model = (stage + pp) * 1e-3
		t.Total = t.Model + cpu*1e-3
		t.Attention = (v[AttnPreProj] + v[AttnPostProj] + v[AttnRope] + v[AttnKVCacheSave] + dec + pre) * layers * 1e-3
		t.MLP = (v[MLPUpProj] + v[MLPDownProj] + v[MLPAct]) * layers * 1e-3
		t.Comm = (2*tp*layers + pp) * 1e-3
		t.Other = t.Total - t.Attention - t.MLP - t.Comm
		return t
	}
	last = split(0)
	inner = last
	if p.cfg.NumStages > 1 {
		inner = split(v[SendRecv])
	}
	return last, inner, nil
}
