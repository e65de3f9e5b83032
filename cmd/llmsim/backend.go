package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/profile"
	"github.com/llmsim/llmsim/simulate"
	"github.com/llmsim/llmsim/simulate/config"
)

// loadBackendTables loads the prediction tables of the experiment's execution-time
// backend (--random_forrest_execution_time_predictor_config_backend) and returns them
// per replica shape, for disaggregated pools of another TP, PP or EP (predictor/backend.go
// and docs/comm.md say what each backend reads). The artifacts are nil for the aicb
// backend and the table predictor. networkArtifact is --network-artifact ("" for none):
// the vidur backend's collectives, whose other backends time them their own way.
func loadBackendTables(cfg *config.Config, cat *catalog.Catalog, modelsRoot string, poolArtifacts []string, networkArtifact string) (simulate.PoolTables, *predictor.Tables, *artifactPools, error) {
	pc := cfg.ExecutionTimePredictor
	rc := cfg.Cluster.Replica
	if networkArtifact != "" && pc.Backend != predictor.BackendVidur {
		return nil, nil, nil, fmt.Errorf("simulate: --network-artifact gives the collectives of the vidur backend; the %s backend times them itself (docs/comm.md)", pc.Backend)
	}
	model, err := cat.Model(rc.ModelName)
	if err != nil {
		return nil, nil, nil, err
	}
	gpusPerNode := 0
	if node, err := cat.Node(rc.NetworkDevice); err == nil {
		gpusPerNode = node.GPUsPerNode
	}
	fork := cfg.Compat == config.CompatVidurAlibabaCloud
	gbps := predictor.GbpsBytes
	if fork {
		gbps = predictor.GbpsBytesAlibabaCloud
	}
	analytical := &predictor.AnalyticalComm{IntraNode: rc.NVLinkBandwidth * gbps, InterNode: rc.RDMABandwidth * gbps, SimAISmallMessages: fork}
	setupFor := func(tp, pp int) predictor.CommSetup {
		return predictor.CommSetup{HiddenSize: model.HiddenSize, TensorParallel: tp, PipelineStages: pp, GPUsPerNode: gpusPerNode}
	}

	if pc.Backend == predictor.BackendAICB {
		name := predictor.AICBModelName(model.Family)
		if name == "" {
			return nil, nil, nil, fmt.Errorf("simulate: the aicb backend has layer tables for DeepSeek-671B, Qwen3-Moe-235B and Qwen3-Next-80B only, not %s; use --random_forrest_execution_time_predictor_config_backend vidur or simai_analytical", model.Name)
		}
		dir := filepath.Join(pc.SimAIDir, "aicb", "results", "workload")
		limits := simulate.PredictorLimits(cfg)
		pools := func(sh simulate.PoolShape) (*predictor.Tables, error) {
			tp, pp := sh.TP, sh.PP
			// vidur-alibabacloud: a phase's world size is TP·PP·its replicas, and EP = world
			// size. One table set serves both pools here, sized by the prefill pool
			// (docs/comm.md).
			n, _ := cfg.Cluster.PDSplit()
			ws := tp * pp * n
			m, err := predictor.LoadAICB(dir, predictor.AICBKey{Model: name, WorldSize: ws, TP: tp, PP: pp, EP: ws})
			if err != nil {
				return nil, fmt.Errorf("simulate: %w", err)
			}
			m.Comm, m.GPUsPerNode = analytical, gpusPerNode
			m.ForkUnits, m.ForkRDMABytesPerSecond = fork, rc.RDMABandwidth*gbps
			m.ForceBS1 = pc.AICBForceBS1
			return predictor.AICBTables(m, analytical, setupFor(tp, pp), limits)
		}
		t, err := pools(simulate.SharedShape(rc))
		if err != nil {
			return nil, nil, nil, err
		}
		return pools, t, nil, nil
	}

	pools, artifacts, err := loadPredictorTables(cfg, cat, modelsRoot, poolArtifacts, networkArtifact)
	if err != nil {
		return nil, nil, nil, err
	}
	var comm predictor.CommModel
	switch pc.Backend {
	case predictor.BackendSimAIAnalytical:
		comm = analytical
		if f := pc.SimAIBusBWFile; f != "" {
			r, err := os.Open(f)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("simulate: --random_forrest_execution_time_predictor_config_simai_busbw_file: %w", err)
			}
			b, err := profile.ParseBusBWYAML(r, f)
			r.Close()
			if err != nil {
				return nil, nil, nil, err
			}
			analytical.BusBW = b
		}
	case predictor.BackendSimAISimulation:
		if comm, err = predictor.LoadSimAIResults(pc.SimAIDir); err != nil {
			return nil, nil, nil, fmt.Errorf("simulate: %w", err)
		}
	}
	if comm != nil {
		base := pools
		pools = func(sh simulate.PoolShape) (*predictor.Tables, error) {
			t, err := base(sh)
			if err != nil {
				return nil, err
			}
			setup := setupFor(sh.TP, sh.PP)
			// SimAI runs time the TP all-reduce only; PP send/recv keep the artifact's.
			setup.TPOnly = pc.Backend == predictor.BackendSimAISimulation
			t, _, err = predictor.WithComm(t, comm, setup)
			return t, err
		}
	}
	t, err := pools(simulate.SharedShape(rc))
	if err != nil {
		return nil, nil, nil, err
	}
	return pools, t, artifacts, nil
}
