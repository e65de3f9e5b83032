package simulate

import (
	"fmt"
	"math"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
)

// PredictorLimits returns the prediction-grid limits cfg asks for: Vidur's
// prediction_max_* settings, with the compute grid enlarged by the batch size for the
// Orca scheduler as Vidur does.
func PredictorLimits(cfg *config.Config) predictor.Limits {
	p := cfg.ExecutionTimePredictor
	l := predictor.Limits{
		MaxTokens:     p.PredictionMaxTokensPerRequest,
		MaxBatchSize:  p.PredictionMaxBatchSize,
		MaxKV:         p.PredictionMaxTokensPerRequest,
		MaxChunk:      p.PredictionMaxPrefillChunkSize,
		KVGranularity: p.KVCachePredictionGranularity,
	}
	if cfg.Cluster.ReplicaScheduler.Type == config.SchedulerOrca {
		l.MaxTokens *= l.MaxBatchSize
	}
	return l
}

// FromConfig resolves an experiment into a Setup: the model and GPU from cat, the
// memory plan, the schedulers, and a predictor over tables. It fails before anything
// is simulated when the model does not fit in GPU memory. Every replica uses tables; a
// disaggregated cluster whose pools have another TP or EP needs FromConfigPools.
func FromConfig(cfg *config.Config, cat *catalog.Catalog, tables *predictor.Tables) (Setup, error) {
	return FromConfigPools(cfg, cat, SameTables(cfg, tables))
}

// FromConfigPools is FromConfig with prediction tables per replica shape, for
// disaggregated clusters whose prefill and decode replicas differ (pd.go).
func FromConfigPools(cfg *config.Config, cat *catalog.Catalog, poolTables PoolTables) (Setup, error) {
	var s Setup
	rc := cfg.Cluster.Replica
	tables, err := poolTables(SharedShape(rc))
	if err != nil {
		return s, err
	}
	model, err := RunModel(cat, rc)
	if err != nil {
		return s, err
	}
	gpu, err := cat.GPU(rc.Device)
	if err != nil {
		return s, fmt.Errorf("simulate: %w", err)
	}
	vidur := cfg.Compat == config.CompatVidur || cfg.Compat == config.CompatVidurAlibabaCloud
	rs := cfg.Cluster.ReplicaScheduler
	common, ok := rs.Active()
	if !ok {
		return s, fmt.Errorf("simulate: unknown replica scheduler %q", rs.Type)
	}
	maxTokens := cfg.RequestGenerator.MaxTokens()
	mem, layout, pred, err := replicaPredictor(cfg, rc, cat, model, gpu, tables, routeStreamMixed)
	if err != nil {
		return s, err
	}
	sched := SchedulerSetup{
		Kind:                    rs.Type,
		BatchSizeCap:            common.BatchSizeCap,
		BlockSize:               common.BlockSize,
		WatermarkBlocksFraction: common.WatermarkBlocksFraction,
		NumBlocks:               common.NumBlocks,
	}
	switch rs.Type {
	case config.SchedulerVLLM:
		sched.MaxTokensInBatch = rs.VLLM.MaxTokensInBatch
	case config.SchedulerSarathi:
		sched.ChunkSize = rs.Sarathi.ChunkSize
	case config.SchedulerLightLLM:
		sched.MaxTokensInBatch = rs.LightLLM.MaxTokensInBatch
		sched.MaxWaitingIters = rs.LightLLM.MaxWaitingIters
	case config.SchedulerSplitWise:
		sched.MaxTokensInBatch = rs.SplitWise.MaxTokensInBatch
	}
	s = Setup{
		NumReplicas:      cfg.Cluster.NumReplicas,
		NumStages:        rc.NumPipelineStages,
		Scheduler:        sched,
		GlobalScheduler:  cfg.Cluster.GlobalScheduler.Type,
		MaxRequestTokens: maxTokens,
		Memory:           mem,
		Layout:           layout,
		Predictor:        pred,
		PeakFLOPS:        gpu.BF16TFLOPS * math.Exp2(40),
		TimeLimit:        cfg.TimeLimit,
		Seed:             uint64(cfg.Seed),
		VidurCompat:      vidur,
	}
	if rs.Type == config.SchedulerSplitWise {
		if s.PD, err = pdFromConfig(cfg, cat, model, gpu, poolTables); err != nil {
			return s, err
		}
	}
	if _, err := s.params(); err != nil {
		return s, err
	}
	return s, nil
}
