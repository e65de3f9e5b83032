package simulate

import (
	"fmt"
	"math/rand/v2"

	"github.com/llmsim/llmsim/predictor"
)

// Replica scheduler kinds, Vidur's registry strings.
const (
	SchedulerVLLM              = "vllm"
	SchedulerSarathi           = "sarathi"
	SchedulerOrca              = "orca"
	SchedulerFasterTransformer = "faster_transformer"
	SchedulerLightLLM          = "lightllm"
)

// SchedulerSetup is the replica scheduler every replica runs.
type SchedulerSetup struct {
	Kind                    string
	BatchSizeCap            int     // most requests holding memory on a replica
	BlockSize               int     // tokens per KV block
	WatermarkBlocksFraction float64 // blocks kept free when admitting (vLLM, Sarathi)
	NumBlocks               int     // KV blocks per replica; 0 derives them from the memory plan
	ChunkSize               int     // Sarathi
	MaxTokensInBatch        int     // vLLM, LightLLM
	MaxWaitingIters         int     // LightLLM
}

// Setup is a fully resolved simulation: the cluster, its schedulers, the predictor and
// the memory plan. FromConfig builds one from an experiment configuration.
type Setup struct {
	NumReplicas     int
	NumStages       int // pipeline stages per replica
	Scheduler       SchedulerSetup
	GlobalScheduler string
	// MaxRequestTokens is the longest request the workload may send (the request
	// generator's max_tokens); whole-sequence schedulers reserve this much.
	MaxRequestTokens int
	Memory           MemoryPlan
	Predictor        *predictor.Predictor
	// PeakFLOPS is one GPU's dense fp16 peak as Vidur counts it (TFLOPS·2^40), for MFU.
	PeakFLOPS float64
	// TimeLimit stops the simulation after the first event later than it; 0: no limit.
	TimeLimit float64
	// Seed seeds the random global scheduler.
	Seed uint64
	// Layout is how TP, attention DP, EP and PP share the replica's GPUs (parallel.go).
	Layout Layout
	// PD, when set, disaggregates prefill and decode (the split_wise schedulers): its
	// pools' shapes replace NumStages, Memory and Predictor (see pd.go).
	PD *PDSetup
	// VidurCompat reproduces Vidur's behaviour where it differs from llmsim's (see
	// docs/vidur-compat.md): FasterTransformer's memory leak.
	VidurCompat bool
}

// params checks the scheduler settings and derives what the policies use.
func (s *Setup) params() (*schedParams, error) {
	sc := s.Scheduler
	switch {
	case s.NumReplicas <= 0:
		return nil, fmt.Errorf("simulate: %d replicas; need at least 1", s.NumReplicas)
	case s.NumStages <= 0:
		return nil, fmt.Errorf("simulate: %d pipeline stages; need at least 1", s.NumStages)
	case sc.BlockSize <= 0:
		return nil, fmt.Errorf("simulate: block size %d must be positive", sc.BlockSize)
	case sc.BatchSizeCap <= 0:
		return nil, fmt.Errorf("simulate: batch size cap %d must be positive", sc.BatchSizeCap)
	case s.MaxRequestTokens <= 0:
		return nil, fmt.Errorf("simulate: max request tokens %d must be positive", s.MaxRequestTokens)
	case sc.BatchSizeCap < s.NumStages:
		return nil, fmt.Errorf("simulate: batch size cap %d is smaller than the %d pipeline stages: each stage's micro-batch would hold no request; raise the cap or lower the stages", sc.BatchSizeCap, s.NumStages)
	case s.Predictor == nil:
		return nil, fmt.Errorf("simulate: no execution-time predictor")
	}
	p := &schedParams{
		kind:             sc.Kind,
		batchSizeCap:     sc.BatchSizeCap,
		blockSize:        sc.BlockSize,
		maxBlocksPerSeq:  s.MaxRequestTokens / sc.BlockSize,
		maxMicroBatch:    sc.BatchSizeCap / s.NumStages,
		maxBatchSize:     min(s.Memory.MaxBatchSize, sc.BatchSizeCap),
		chunkSize:        sc.ChunkSize,
		maxTokensInBatch: sc.MaxTokensInBatch,
		maxWaitingIters:  sc.MaxWaitingIters,
	}
	p.numBlocks = sc.NumBlocks
	if p.numBlocks == 0 {
		p.numBlocks = p.maxBlocksPerSeq * s.Memory.MaxRequestSlots
	}
	if p.numBlocks <= 0 {
		return nil, fmt.Errorf("simulate: %d KV blocks per replica; the memory plan leaves no room for the KV cache", p.numBlocks)
	}
	p.watermarkBlocks = int(sc.WatermarkBlocksFraction * float64(p.numBlocks))
	switch sc.Kind {
	case SchedulerVLLM:
		if sc.MaxTokensInBatch <= 0 {
			return nil, fmt.Errorf("simulate: vllm: max_tokens_in_batch %d must be positive", sc.MaxTokensInBatch)
		}
	case SchedulerSarathi:
		if sc.ChunkSize <= 0 {
			return nil, fmt.Errorf("simulate: sarathi: chunk_size %d must be positive", sc.ChunkSize)
		}
	case SchedulerOrca, SchedulerFasterTransformer:
		if p.maxBatchSize <= 0 {
			return nil, fmt.Errorf("simulate: %s: the memory plan allows no request per replica", sc.Kind)
		}
	case SchedulerSplitWise:
		if sc.MaxTokensInBatch <= 0 {
			return nil, fmt.Errorf("simulate: split_wise: max_tokens_in_batch %d must be positive", sc.MaxTokensInBatch)
		}
		if s.PD == nil && s.NumReplicas > 0 && s.GlobalScheduler != GlobalSplitWise {
			return nil, fmt.Errorf("simulate: the split_wise replica scheduler needs the split_wise global scheduler and a prefill/decode split")
		}
		if p.maxBatchSize <= 0 {
			return nil, fmt.Errorf("simulate: split_wise: the memory plan allows no request per replica")
		}
	case SchedulerLightLLM:
		if sc.BlockSize != 1 {
			return nil, fmt.Errorf("simulate: lightllm needs block_size 1 (one token per block), got %d", sc.BlockSize)
		}
		if s.NumStages != 1 {
			return nil, fmt.Errorf("simulate: lightllm does not support pipeline parallelism (%d stages)", s.NumStages)
		}
		if sc.MaxTokensInBatch <= 0 {
			return nil, fmt.Errorf("simulate: lightllm: max_tokens_in_batch %d must be positive", sc.MaxTokensInBatch)
		}
	default:
		return nil, fmt.Errorf("simulate: unknown replica scheduler %q (want vllm, sarathi, orca, faster_transformer or lightllm)", sc.Kind)
	}
	if p.maxMicroBatch <= 0 {
		return nil, fmt.Errorf("simulate: batch size cap %d is smaller than the %d pipeline stages", sc.BatchSizeCap, s.NumStages)
	}
	return p, nil
}

func (s *Setup) newPolicy() policy {
	switch s.Scheduler.Kind {
	case SchedulerVLLM:
		return &vllmPolicy{}
	case SchedulerSarathi:
		return &sarathiPolicy{}
	case SchedulerOrca:
		return &orcaPolicy{}
	case SchedulerFasterTransformer:
		return &fasterTransformerPolicy{leak: s.VidurCompat}
	case SchedulerLightLLM:
		return &lightLLMPolicy{}
	case SchedulerSplitWise:
		return &splitwisePolicy{compat: s.PD != nil && s.PD.ForkCompat}
	}
	return nil
}

func (s *Setup) rng() *rand.Rand {
	return rand.New(rand.NewPCG(s.Seed, 0x6c6c6d73696d)) // "llmsim"
}
