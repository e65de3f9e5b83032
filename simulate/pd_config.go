package simulate

import (
	"fmt"
	"strings"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
)

// PoolShape is the parallelism of one pool's replicas. The attention data-parallel
// degree follows from it as for the shared shape: the configured one, else EP/TP when
// EP exceeds TP.
type PoolShape struct{ TP, PP, EP int }

// Apply returns rc with the pool's TP, PP and EP in place of the shared ones.
func (sh PoolShape) Apply(rc config.ReplicaConfig) config.ReplicaConfig {
	rc.TensorParallelSize, rc.NumPipelineStages, rc.ExpertModelParallelSize = sh.TP, sh.PP, sh.EP
	return rc
}

// SharedShape is the replica shape every replica has unless its pool overrides it.
func SharedShape(rc config.ReplicaConfig) PoolShape {
	return PoolShape{TP: rc.TensorParallelSize, PP: rc.NumPipelineStages, EP: rc.ExpertModelParallelSize}
}

// PoolTables returns the prediction tables of replicas of shape sh: an artifact is
// trained per TP, its collectives depend on the TP and PP groups, and its expert grids
// are resampled at one EP.
type PoolTables func(sh PoolShape) (*predictor.Tables, error)

// SameTables serves one set of tables, built for the experiment's shared shape, to
// every replica shape with that TP (and that EP, when the tables hold expert grids), and
// refuses the others.
func SameTables(cfg *config.Config, t *predictor.Tables) PoolTables {
	sh0 := SharedShape(cfg.Cluster.Replica)
	return func(sh PoolShape) (*predictor.Tables, error) {
		if sh.TP != sh0.TP {
			return nil, fmt.Errorf("simulate: replicas with TP %d need prediction tables for TP %d; only TP %d's were given", sh.TP, sh.TP, sh0.TP)
		}
		if sh.EP != sh0.EP && t.Arch != nil && t.Arch.Expert[predictor.MoEGroupedGEMM] != nil {
			return nil, fmt.Errorf("simulate: replicas with EP %d need expert tables for EP %d; only EP %d's were given", sh.EP, sh.EP, sh0.EP)
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

// Seeds of the routers (PCG stream "route" and its successors): mixed replicas and each
// pool draw their expert loads from streams of their own.
const (
	routeStreamMixed uint64 = 0x726f757465 + iota
	routeStreamPrefill
	routeStreamDecode
)

// pdFromConfig resolves the disaggregation settings: the pools' shapes (per-pool TP, PP
// and EP, falling back to the shared ones), their memory plans, layouts and predictors
// (MoE, MLA and hybrid models priced layer kind by layer kind, as mixed replicas are),
// the KV size per token and the transfer link.
func pdFromConfig(cfg *config.Config, cat *catalog.Catalog, model *catalog.Model, gpu *catalog.GPU, poolTables PoolTables) (*PDSetup, error) {
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
		sh     PoolShape
		stream uint64
		pool   *PoolSetup
	}{
		{"prefill", PoolShape{
			TP: or(rc.PrefillTensorParallelSize, rc.TensorParallelSize),
			PP: or(rc.PrefillNumPipelineStages, rc.NumPipelineStages),
			EP: or(rc.PrefillExpertModelParallelSize, rc.ExpertModelParallelSize),
		}, routeStreamPrefill, &pd.Prefill},
		{"decode", PoolShape{
			TP: or(rc.DecodeTensorParallelSize, rc.TensorParallelSize),
			PP: or(rc.DecodeNumPipelineStages, rc.NumPipelineStages),
			EP: or(rc.DecodeExpertModelParallelSize, rc.ExpertModelParallelSize),
		}, routeStreamDecode, &pd.Decode},
	}
	for _, p := range shapes {
		where := fmt.Sprintf("%s replicas (TP %d, PP %d, EP %d)", p.name, p.sh.TP, p.sh.PP, p.sh.EP)
		tables, err := poolTables(p.sh)
		if err != nil {
			return nil, fmt.Errorf("simulate: %s: %w", where, err)
		}
		mem, layout, pred, err := replicaPredictor(cfg, p.sh.Apply(rc), cat, model, gpu, tables, p.stream)
		if err != nil {
			return nil, fmt.Errorf("simulate: %s: %w", where, err)
		}
		*p.pool = PoolSetup{NumStages: p.sh.PP, Memory: mem, Layout: layout, Predictor: pred}
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

// replicaPredictor plans the memory and layout of a replica configured by rc (the
// shared replica config, or a pool's with its TP, PP and EP applied) and builds its
// predictor over tables, with the experiment's predictor settings. MoE, MLA and hybrid
// models get a predictor.Arch whose router draws from PCG stream routeStream of the
// experiment's seed.
func replicaPredictor(cfg *config.Config, rc config.ReplicaConfig, cat *catalog.Catalog, model *catalog.Model, gpu *catalog.GPU, tables *predictor.Tables, routeStream uint64) (MemoryPlan, Layout, *predictor.Predictor, error) {
	vidur := cfg.Compat == config.CompatVidur || cfg.Compat == config.CompatVidurAlibabaCloud
	maxTokens := cfg.RequestGenerator.MaxTokens()
	var (
		mem    MemoryPlan
		layout Layout
		arch   *predictor.Arch
		err    error
	)
	if NeedsArch(model) {
		if vidur {
			return mem, layout, nil, fmt.Errorf("simulate: model %s: Vidur has no MoE, MLA or hybrid-attention model to reproduce; drop --compat", model.Name)
		}
		mem, layout, arch, err = planArch(cfg, rc, cat, model, gpu, tables, maxTokens, routeStream)
	} else {
		layout, err = LayoutFromConfig(rc, model, cat)
		if err == nil {
			mem, err = PlanMemory(MemoryInput{
				Model:                model,
				GPUMemoryGiB:         gpu.MemoryGB,
				TensorParallel:       rc.TensorParallelSize,
				PipelineStages:       rc.NumPipelineStages,
				MaxRequestTokens:     maxTokens,
				MemoryMarginFraction: rc.MemoryMarginFraction,
				Vidur:                vidur,
			})
		}
	}
	if err != nil {
		return mem, layout, nil, err
	}
	pc := cfg.ExecutionTimePredictor
	dec, pre := predictor.VidurBatchingOverheads(model.NumQHeads, model.NumKVHeads,
		pc.AttentionDecodeBatchingOverheadFraction, pc.AttentionPrefillBatchingOverheadFraction)
	pred, err := predictor.New(tables, predictor.Config{
		LayersPerStage:              mem.LayersPerStage,
		NumStages:                   rc.NumPipelineStages,
		TensorParallel:              rc.TensorParallelSize,
		PostAttnNorm:                model.PostAttnNorm,
		DecodeBatchingOverhead:      dec,
		PrefillBatchingOverhead:     pre,
		NCCLLaunchOverheadMS:        pc.NCCLCPULaunchOverheadMS,
		NCCLSkewOverheadPerDeviceMS: pc.NCCLCPUSkewOverheadPerDeviceMS,
		CPUOverheads:                !pc.SkipCPUOverheadModeling,
		Strict:                      vidur,
		Arch:                        arch,
	})
	return mem, layout, pred, err
}

// LayoutSummary is the one-line layout printed with each run; under disaggregation it
// gives each pool's.
func (s *Setup) LayoutSummary() string {
	if s.PD == nil {
		return s.Layout.String()
	}
	return fmt.Sprintf("prefill pool of %d: %s | decode pool of %d: %s",
		s.PD.NumPrefill, s.PD.Prefill.Layout, s.NumReplicas-s.PD.NumPrefill, s.PD.Decode.Layout)
}
