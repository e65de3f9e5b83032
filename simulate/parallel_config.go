package simulate

import (
	"fmt"
	"math/rand/v2"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
)

// NeedsArch reports whether m runs through predictor.Arch (MoE, MLA or hybrid attention)
// rather than Vidur's dense assembly.
func NeedsArch(m *catalog.Model) bool { return m.IsMoE() || m.MLA != nil || m.IsHybrid() }

// RunModel returns the catalog model with the run's dtype overrides applied
// (--replica_config_weight_dtype, --replica_config_kv_cache_dtype); the catalog's
// published dtypes otherwise.
func RunModel(cat *catalog.Catalog, rc config.ReplicaConfig) (*catalog.Model, error) {
	m, err := cat.Model(rc.ModelName)
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if rc.WeightDtype == "" && rc.KVCacheDtype == "" {
		return m, nil
	}
	m = m.Clone()
	for _, d := range []struct {
		dst *string
		val string
	}{{&m.WeightDtype, rc.WeightDtype}, {&m.KVDtype, rc.KVCacheDtype}} {
		if d.val == "" {
			continue
		}
		b, err := catalog.DtypeBytes(d.val)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		*d.dst = dtypeName(d.val, b)
	}
	return m, nil
}

// dtypeName is the short name of a dtype the catalog accepts.
func dtypeName(s string, bytes float64) string {
	switch bytes {
	case 4:
		return "fp32"
	case 1:
		if s == "int8" {
			return "int8"
		}
		return "fp8"
	case 0.5:
		return "fp4"
	}
	if s == "fp16" || s == "float16" || s == "half" {
		return "fp16"
	}
	return "bf16"
}

// LayoutFromConfig is the replica layout an experiment asks for.
func LayoutFromConfig(rc config.ReplicaConfig, m *catalog.Model, cat *catalog.Catalog) (Layout, error) {
	gpn := 0
	if node, err := cat.Node(rc.NetworkDevice); err == nil {
		gpn = node.GPUsPerNode
	}
	return NewLayout(m, rc.TensorParallelSize, rc.AttentionDataParallel(), rc.ExpertModelParallelSize, rc.NumPipelineStages, gpn)
}

// CommFromConfig is the analytical collective model of the replica's node: NVLink inside
// a node and the scale-out network between nodes, from the catalog node, or from
// --replica_config_nvlink_bandwidth and --replica_config_rdma_bandwidth (Gbps) where the
// catalog has no figure.
func CommFromConfig(rc config.ReplicaConfig, cat *catalog.Catalog) *predictor.AnalyticalComm {
	c := &predictor.AnalyticalComm{IntraNode: rc.NVLinkBandwidth * predictor.GbpsBytes, InterNode: rc.RDMABandwidth * predictor.GbpsBytes}
	if node, err := cat.Node(rc.NetworkDevice); err == nil {
		if node.IntraNodeGBps > 0 {
			c.IntraNode = node.IntraNodeGBps * 1e9
		}
		if node.InterNodeGBps > 0 {
			c.InterNode = node.InterNodeGBps * 1e9
		}
	}
	return c
}

// ArchNeeds says which operator tables a run of m on layout l reads beyond Vidur's.
func ArchNeeds(m *catalog.Model, l Layout) predictor.ArchNeeds {
	return predictor.ArchNeeds{
		MoE:           m.IsMoE(),
		EP:            l.EP,
		SharedExperts: m.IsMoE() && m.MoE.NumSharedExperts > 0,
		LinearAttn:    m.IsHybrid(),
	}
}

// ArtifactRecipe returns the commands that make a roofline artifact for a run of m on
// gpu with layout l, for messages that find none.
func ArtifactRecipe(m *catalog.Model, gpu string, l Layout) string {
	return ArtifactCommands(m, gpu, l) + "\n  then pass the printed id with --artifact"
}

// ArtifactCommands are the profile synth and train commands of ArtifactRecipe.
func ArtifactCommands(m *catalog.Model, gpu string, l Layout) string {
	ds := fmt.Sprintf("datasets/synth-%s-%s", gpu, catalogSlug(m.Name))
	ep := ""
	if m.IsMoE() {
		ep = fmt.Sprintf(" --ep %d", l.EP)
	}
	return fmt.Sprintf("llmsim profile synth --gpu %s --model %s --tp %d%s --out %s\n  llmsim train --dataset %s --model %s --gpu %s --tp %d --out models",
		gpu, m.Name, l.TP, ep, ds, ds, m.Name, gpu, l.TP)
}

func catalogSlug(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '/' {
			b[i] = '-'
		}
	}
	return string(b)
}

// planArch resolves the memory plan and the predictor architecture of a MoE, MLA or
// hybrid model on replicas configured by rc; the router draws from PCG stream
// routeStream of the experiment's seed. AICB tables price whole layers themselves, so
// they get the memory plan and no Arch.
func planArch(cfg *config.Config, rc config.ReplicaConfig, cat *catalog.Catalog, m *catalog.Model, gpu *catalog.GPU, tables *predictor.Tables, maxTokens int, routeStream uint64) (MemoryPlan, Layout, *predictor.Arch, error) {
	l, err := LayoutFromConfig(rc, m, cat)
	if err != nil {
		return MemoryPlan{}, l, nil, err
	}
	mem, _, err := PlanArchMemory(ArchMemoryInput{
		Model: m, GPU: gpu.Name, GPUMemoryGiB: gpu.MemoryGB, Layout: l,
		MaxRequestTokens: maxTokens, MemoryMarginFraction: rc.MemoryMarginFraction,
	})
	if err != nil {
		return mem, l, nil, err
	}
	if tables.AICB != nil {
		return mem, l, nil, nil
	}
	if tables.Arch == nil {
		return mem, l, nil, fmt.Errorf("simulate: %s: the predictor tables hold no MoE or linear-attention operators for %s; make an artifact for it:\n  %s",
			tables.Source, m.Name, ArtifactRecipe(m, gpu.Name, l))
	}
	pp := float64(l.PP)
	a := &predictor.Arch{
		FullAttnLayers:   float64(m.NumFullAttentionLayers()) / pp,
		LinearAttnLayers: float64(m.NumLinearAttentionLayers()) / pp,
		DenseMLPLayers:   float64(m.NumLayers-m.NumMoELayers()) / pp,
		MoELayers:        float64(m.NumMoELayers()) / pp,
		TP:               l.TP, DP: l.DP, EP: l.EP,
		HiddenSize:  m.HiddenSize,
		GPUsPerNode: l.GPUsPerNode,
		CombineSize: 2,
		Tables:      tables.Arch,
		Comm:        CommFromConfig(rc, cat),
	}
	if tables.AllToAll != nil {
		a.Comm = predictor.WithFallback(tables.AllToAll, a.Comm)
	}
	if m.IsMoE() {
		a.SharedExperts = m.MoE.NumSharedExperts > 0
		a.TopK = m.MoE.NumExpertsPerToken
		// Expert grids are tabulated with each expert split over max(1, TP/EP) GPUs (the
		// default attention DP); other layouts do proportionally more or less per GPU.
		a.ExpertScale = float64(max(1, l.TP/l.EP)) / float64(l.ExpertTP())
		a.DispatchSize = 2
		if b, _ := catalog.DtypeBytes(m.WeightDtype); b == 1 {
			a.DispatchSize = 1 // fp8 dispatch, as DeepEP does for fp8 checkpoints
		}
		rcfg := RoutingConfig{Kind: rc.MoERoutingDistribution, ZipfExponent: rc.MoERoutingZipfExponent}
		if rcfg.Kind == RoutingHistogram {
			if rcfg.Histogram, err = LoadRoutingHistogram(rc.MoERoutingHistogramFile, m.MoE.NumRoutedExperts); err != nil {
				return mem, l, nil, err
			}
		}
		rng := rand.New(rand.NewPCG(uint64(cfg.Seed), routeStream))
		if a.Router, err = NewRouter(rcfg, m.MoE.NumRoutedExperts, a.TopK, l.EP, rng); err != nil {
			return mem, l, nil, err
		}
	}
	return mem, l, a, nil
}
