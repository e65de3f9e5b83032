package simulate

import (
	"fmt"
	"math"
	"strings"

	"github.com/llmsim/llmsim/catalog"
)

// ArchMemoryInput is what the memory planner needs for a model Vidur's ParamCounter does
// not handle (MoE, MLA, hybrid attention). Model's WeightDtype and KVDtype are the dtypes
// the run uses.
type ArchMemoryInput struct {
	Model                *catalog.Model
	GPU                  string  // for messages
	GPUMemoryGiB         float64 // device memory, GiB
	Layout               Layout
	MaxRequestTokens     int
	MemoryMarginFraction float64
}

// ArchWeights is one GPU's share of the weights of its pipeline stage, in bytes.
type ArchWeights struct {
	Attention     float64 // full and linear attention, split over TP
	DenseMLP      float64 // dense layers (DeepSeek-V3's first three), split over TP
	RoutedExperts float64 // ExpertsPerGPU experts of each MoE layer, split over ExpertTP
	SharedExperts float64 // split over TP
	Routers       float64 // replicated
	Embeddings    float64 // embedding (first stage) and LM head (last stage), vocab-parallel over TP
}

// Total sums the parts.
func (w ArchWeights) Total() float64 {
	return w.Attention + w.DenseMLP + w.RoutedExperts + w.SharedExperts + w.Routers + w.Embeddings
}

// PlanArchMemory plans one GPU's memory for a MoE, MLA or hybrid model: the weights of the
// heaviest pipeline stage as that GPU holds them (attention and dense layers split over
// TP; routed experts spread over EP and split over the expert TP; shared experts,
// routers and norms replicated per attention group), the KV cache of a maximum-length
// request (MLA: the latent and rope key, whole on every TP rank; MHA/GQA: the rank's KV
// heads) plus the fixed recurrent state of linear-attention layers, and how many such
// requests fit in each attention group. Norms and biases are left out (under 0.01%).
// Quantized checkpoints keep the embedding and LM head in 16 bits, as DeepSeek-V3's FP8
// release does.
func PlanArchMemory(in ArchMemoryInput) (MemoryPlan, ArchWeights, error) {
	m, l := in.Model, in.Layout
	var plan MemoryPlan
	var w ArchWeights
	switch {
	case m == nil:
		return plan, w, fmt.Errorf("simulate: memory plan: no model")
	case m.NumLayers%l.PP != 0:
		return plan, w, fmt.Errorf("simulate: model %s: %d layers do not split over %d pipeline stages", m.Name, m.NumLayers, l.PP)
	case m.NumQHeads%l.TP != 0:
		return plan, w, fmt.Errorf("simulate: model %s: %d query heads do not split over TP %d", m.Name, m.NumQHeads, l.TP)
	case in.MaxRequestTokens <= 0:
		return plan, w, fmt.Errorf("simulate: memory plan: max request tokens %d must be positive", in.MaxRequestTokens)
	}
	wb, err := catalog.DtypeBytes(m.WeightDtype)
	if err != nil {
		return plan, w, fmt.Errorf("simulate: model %s: weight dtype: %w", m.Name, err)
	}
	kvb, err := catalog.DtypeBytes(m.KVDtype)
	if err != nil {
		return plan, w, fmt.Errorf("simulate: model %s: KV dtype: %w", m.Name, err)
	}
	embB := math.Max(wb, 2)
	tp, etp := float64(l.TP), float64(l.ExpertTP())
	lps := m.NumLayers / l.PP

	var kvPerLayer float64 // one token, one full-attention layer, one GPU
	if mla := m.MLA; mla != nil {
		kvPerLayer = float64(mla.KVLoraRank+mla.QKRopeHeadDim) * kvb
	} else {
		kvPerLayer = 2 * math.Ceil(float64(m.NumKVHeads)/tp) * float64(m.HeadDim) * kvb
	}
	var statePerLayer float64 // one request, one linear-attention layer, one GPU
	if n := m.NumLinearAttentionLayers(); n > 0 {
		statePerLayer = float64(m.LinearStateBytes(kvb)) / float64(n) / tp
	}

	var worst ArchWeights
	var worstKV, worstState, worstActive float64
	for st := range l.PP {
		var sw ArchWeights
		var full, linear int
		var active float64 // parameters one token passes through in this stage, unsharded
		for i := st * lps; i < (st+1)*lps; i++ {
			active += float64(m.ActiveParamsOfLayer(i))
			if m.IsFullAttentionLayer(i) {
				sw.Attention += float64(m.AttentionParamsPerLayer()) * wb / tp
				full++
			} else {
				sw.Attention += float64(m.LinearAttentionParamsPerLayer()) * wb / tp
				linear++
			}
			if !m.IsMoELayer(i) {
				sw.DenseMLP += float64(m.DenseMLPParams()) * wb / tp
				continue
			}
			sw.RoutedExperts += float64(l.ExpertsPerGPU()) * float64(m.ExpertParams()) * wb / etp
			sw.SharedExperts += float64(m.SharedExpertParams()) * wb / tp
			sw.Routers += float64(m.RouterParams()) * wb
		}
		vh := float64(m.VocabSize) * float64(m.HiddenSize) * embB / tp
		if st == 0 {
			sw.Embeddings += vh
		}
		if st == l.PP-1 && !(m.TieWordEmbeddings && l.PP == 1) {
			sw.Embeddings += vh
		}
		if sw.Total() > worst.Total() {
			worst = sw
			worstActive = active
		}
		worstKV = math.Max(worstKV, float64(full)*kvPerLayer)
		worstState = math.Max(worstState, float64(linear)*statePerLayer)
	}
	w = worst
	plan = MemoryPlan{
		ParamBytesPerDevice:  w.Total(),
		ParamsPerDevice:      int64(w.Total() / wb),
		KVBytesPerRequest:    worstKV*float64(in.MaxRequestTokens) + worstState,
		AvailableBytes:       in.GPUMemoryGiB * (1 << 30) * (1 - in.MemoryMarginFraction),
		LayersPerStage:       lps,
		QHeadsPerWorker:      m.NumQHeads / l.TP,
		KVHeadsPerWorker:     (m.NumKVHeads + l.TP - 1) / l.TP,
		HeadDim:              m.HeadDim,
		AttentionDP:          l.DP,
		ExpertsPerDevice:     l.ExpertsPerGPU(),
		StateBytesPerRequest: worstState,
		ActiveParamsPerGPU:   worstActive / float64(l.TP*l.DP),
	}
	free := plan.AvailableBytes - plan.ParamBytesPerDevice
	perGroup := 0
	if free > 0 && plan.KVBytesPerRequest > 0 {
		perGroup = int(math.Floor(free / plan.KVBytesPerRequest))
	}
	if perGroup <= 0 {
		return plan, w, fmt.Errorf("simulate: model %s does not fit on %s (%.0f GiB, %.0f GiB usable at a %.0f%% margin) as %s: one GPU holds %.1f GiB of %s weights (%s) and a %d-token request needs %.2f GiB of %s KV cache%s; %s",
			m.Name, in.GPU, in.GPUMemoryGiB, plan.AvailableBytes/(1<<30), 100*in.MemoryMarginFraction, l,
			plan.ParamBytesPerDevice/(1<<30), m.WeightDtype, w.describe(l), in.MaxRequestTokens,
			plan.KVBytesPerRequest/(1<<30), m.KVDtype, kvWhat(m), fitHint(wb))
	}
	plan.MaxBatchSize = perGroup * l.DP
	plan.MaxRequestSlots = plan.MaxBatchSize * l.PP
	return plan, w, nil
}

// describe lists the non-zero parts of w in GiB.
func (w ArchWeights) describe(l Layout) string {
	var parts []string
	add := func(name string, b float64) {
		if b > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f", name, b/(1<<30)))
		}
	}
	if l.NumExperts > 0 {
		add(fmt.Sprintf("routed experts (%d of %d per GPU)", l.ExpertsPerGPU(), l.NumExperts), w.RoutedExperts)
	}
	add("attention", w.Attention)
	add("dense MLP", w.DenseMLP)
	add("shared experts", w.SharedExperts)
	add("routers", w.Routers)
	add("embeddings", w.Embeddings)
	return strings.Join(parts, ", ") + " GiB"
}

func kvWhat(m *catalog.Model) string {
	var s string
	if mla := m.MLA; mla != nil {
		s = fmt.Sprintf(" (MLA latent %d + rope key %d per token and layer)", mla.KVLoraRank, mla.QKRopeHeadDim)
	}
	if m.IsHybrid() {
		s += fmt.Sprintf(" (KV in %d full-attention layers, fixed recurrent state in %d Gated DeltaNet layers)", m.NumFullAttentionLayers(), m.NumLinearAttentionLayers())
	}
	return s
}

func fitHint(weightBytes float64) string {
	if weightBytes > 1 {
		return "raise EP, TP or PP, use fp8 weights (--replica_config_weight_dtype fp8) or a GPU with more memory"
	}
	return "raise EP, TP or PP, or use a GPU with more memory (or more GPUs)"
}
