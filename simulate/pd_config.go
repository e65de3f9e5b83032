package simulate

import (
	"fmt"
	"strings"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
)

// PoolTables returns the prediction tables of replicas with tensor-parallel degree tp
// and pp pipeline stages (an artifact is trained per TP; the collectives in it depend on
// the group).
type PoolTables func(tp, pp int) (*predictor.Tables, error)

// SameTables serves one set of tables, built for the experiment's shared TP, to every
// replica shape with that TP, and refuses other TPs.
func SameTables(cfg *config.Config, t *predictor.Tables) PoolTables {
	tp0 := cfg.Cluster.Replica.TensorParallelSize
	return func(tp, _ int) (*predictor.Tables, error) {
		if tp != tp0 {
			return nil, fmt.Errorf("simulate: replicas with TP %d need prediction tables for TP %d; only TP %d's were given", tp, tp, tp0)
		}
		return t, nil
	}
}

// forkDtypeBytes is vidur-alibabacloud's dtype size for the KV transfer
// (request.py): anything it does not know counts 2 bytes.
func forkDtypeBytes(dtype string) int64 {
	switch strings.ToLower(dtype) {
	case "float32", "int32":
		return 4
	case "float64", "int64":
		return 8
	case "fp8", "int8":
		return 1
	}
	return 2
}

// pdFromConfig resolves the disaggregation settings: the pools' shapes (per-pool TP/PP,
// falling back to the shared ones), their memory plans and predictors, the KV size per
// token and the transfer link.
func pdFromConfig(cfg *config.Config, model *catalog.Model, gpu *catalog.GPU, poolTables PoolTables) (*PDSetup, error) {
	rc := cfg.Cluster.Replica
	sw := cfg.Cluster.ReplicaScheduler.SplitWise
	fork := cfg.Compat == config.CompatVidurAlibabaCloud
	numP, _ := cfg.Cluster.PDSplit()
	pd := &PDSetup{
		NumPrefill: numP,
		Placement:  sw.PDPlacement,
		LinkGbps:   rc.PDP2PCommBandwidth,
		Dtype:      rc.PDP2PCommDtype,
		ForkCompat: fork,
	}
	if pd.Placement == "" {
		pd.Placement = PlacementRoundRobin
	}
	or := func(v, def int) int {
		if v > 0 && !fork {
			// The fork computes per-phase TP/PP but runs every replica with the shared ones.
			return v
		}
		return def
	}
	shapes := []struct {
		name   string
		tp, pp int
		pool   *PoolSetup
	}{
		{"prefill", or(rc.PrefillTensorParallelSize, rc.TensorParallelSize), or(rc.PrefillNumPipelineStages, rc.NumPipelineStages), &pd.Prefill},
		{"decode", or(rc.DecodeTensorParallelSize, rc.TensorParallelSize), or(rc.DecodeNumPipelineStages, rc.NumPipelineStages), &pd.Decode},
	}
	for _, sh := range shapes {
		tables, err := poolTables(sh.tp, sh.pp)
		if err != nil {
			return nil, fmt.Errorf("simulate: %s replicas (TP %d, PP %d): %w", sh.name, sh.tp, sh.pp, err)
		}
		mem, pred, err := replicaPredictor(cfg, model, gpu, sh.tp, sh.pp, tables)
		if err != nil {
			return nil, fmt.Errorf("simulate: %s replicas (TP %d, PP %d): %w", sh.name, sh.tp, sh.pp, err)
		}
		*sh.pool = PoolSetup{NumStages: sh.pp, Memory: mem, Predictor: pred}
	}

	var err error
	if pd.KVBytesPerToken, pd.StateBytes, err = kvTransferSizing(model, rc.PDP2PCommDtype, fork); err != nil {
		return nil, err
	}
	if fork {
		pd.Link = predictor.P2PLink{BytesPerSecond: rc.PDP2PCommBandwidth * predictor.GbpsBytesAlibabaCloud}
	} else {
		pd.Link = predictor.P2PLink{Latency: sw.PDP2PCommLatencyUS * 1e-6, BytesPerSecond: rc.PDP2PCommBandwidth * predictor.GbpsBytes}
	}
	return pd, nil
}

// kvTransferSizing returns the KV bytes per prompt token a prefill replica sends, over
// the whole model, in dtype, and the fixed per-request state sent with them. By default
// these are the catalog's KVBytesPerToken (MHA/GQA heads of the full-attention layers,
// or MLA's compressed latent plus rope key) and LinearStateBytes (the recurrent state of
// linear-attention layers). fork gives vidur-alibabacloud's estimate_kv_cache_size per
// token, 2·kv_heads·(E/q)·L·bytes, which uses MHA dimensions even for MLA models.
func kvTransferSizing(model *catalog.Model, dtype string, fork bool) (perToken, state int64, err error) {
	if fork {
		return 2 * int64(model.NumKVHeads) * int64(model.HiddenSize/model.NumQHeads) * int64(model.NumLayers) * forkDtypeBytes(dtype), 0, nil
	}
	b, err := catalog.DtypeBytes(dtype)
	if err != nil {
		return 0, 0, fmt.Errorf("simulate: --replica_config_pd_p2p_comm_dtype: %w", err)
	}
	return model.KVBytesPerToken(b), model.LinearStateBytes(b), nil
}

// replicaPredictor plans the memory of a replica with TP tp and PP pp and builds its
// predictor over tables, with the experiment's predictor settings.
func replicaPredictor(cfg *config.Config, model *catalog.Model, gpu *catalog.GPU, tp, pp int, tables *predictor.Tables) (MemoryPlan, *predictor.Predictor, error) {
	rc := cfg.Cluster.Replica
	vidur := cfg.Compat == config.CompatVidur || cfg.Compat == config.CompatVidurAlibabaCloud
	mem, err := PlanMemory(MemoryInput{
		Model:                model,
		GPUMemoryGiB:         gpu.MemoryGB,
		TensorParallel:       tp,
		PipelineStages:       pp,
		MaxRequestTokens:     cfg.RequestGenerator.MaxTokens(),
		MemoryMarginFraction: rc.MemoryMarginFraction,
		Vidur:                vidur,
	})
	if err != nil {
		return mem, nil, err
	}
	pc := cfg.ExecutionTimePredictor
	dec, pre := predictor.VidurBatchingOverheads(model.NumQHeads, model.NumKVHeads,
		pc.AttentionDecodeBatchingOverheadFraction, pc.AttentionPrefillBatchingOverheadFraction)
	pred, err := predictor.New(tables, predictor.Config{
		LayersPerStage:              mem.LayersPerStage,
		NumStages:                   pp,
		TensorParallel:              tp,
		PostAttnNorm:                model.PostAttnNorm,
		DecodeBatchingOverhead:      dec,
		PrefillBatchingOverhead:     pre,
		NCCLLaunchOverheadMS:        pc.NCCLCPULaunchOverheadMS,
		NCCLSkewOverheadPerDeviceMS: pc.NCCLCPUSkewOverheadPerDeviceMS,
		CPUOverheads:                !pc.SkipCPUOverheadModeling,
		Strict:                      vidur,
	})
	return mem, pred, err
}
