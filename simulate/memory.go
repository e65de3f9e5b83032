package simulate

import (
	"fmt"
	"math"

	"github.com/llmsim/llmsim/catalog"
)

// MemoryPlan is how a replica's GPU memory is split between weights and KV cache.
type MemoryPlan struct {
	ParamsPerDevice       int64   // weights held by one GPU (parameters, not bytes)
	ParamBytesPerDevice   float64 // their size
	KVBytesPerRequest     float64 // a maximum-length request's KV cache on one GPU
	AvailableBytes        float64 // device memory minus the margin
	MaxBatchSize          int     // maximum-length requests that fit next to the weights, per stage
	MaxRequestSlots       int     // MaxBatchSize × pipeline stages
	LayersPerStage        int
	QHeadsPerWorker       int
	KVHeadsPerWorker      int
	HeadDim               int
	VidurKVAllLayersQuirk bool // KV counted over all layers instead of the stage's (Vidur)
	// Set by PlanArchMemory (MoE, MLA and hybrid models): attention data-parallel groups
	// per stage (MaxBatchSize counts the requests of all of them), routed experts per GPU
	// per MoE layer, and the part of KVBytesPerRequest that is linear-attention state.
	AttentionDP          int     `json:",omitempty"`
	ExpertsPerDevice     int     `json:",omitempty"`
	StateBytesPerRequest float64 `json:",omitempty"`
	// ActiveParamsPerGPU is what MFU counts for such models: the parameters one token
	// passes through in the stage (its top-k and shared experts, not every expert held)
	// divided over the stage's TP × attention-DP GPUs. Counting held experts instead
	// made a DeepSeek-V3 prefill batch report ~400% MFU.
	ActiveParamsPerGPU float64 `json:",omitempty"`
}

// MemoryInput is what the memory planner needs.
type MemoryInput struct {
	Model                *catalog.Model
	GPUMemoryGiB         float64 // device memory, GiB (Vidur's total_memory_gb)
	TensorParallel       int
	PipelineStages       int
	MaxRequestTokens     int     // the longest request (request generator's max_tokens)
	MemoryMarginFraction float64 // memory left unused
	// Vidur reproduces Vidur's planner exactly: fp16 weights and KV, head dim E/q, and
	// the KV cache of every layer counted on every pipeline stage. Otherwise each stage
	// holds its own layers' KV cache, in the model's KV dtype, and weights use the
	// model's weight dtype.
	Vidur bool
}

// PlanMemory is Vidur's MemoryPlanner and ParamCounter (§4.1 of the reference): the
// attention and MLP weights of one stage on one GPU (no embeddings, norms or biases), and
// how many maximum-length requests fit in the rest. It fails when none fits.
func PlanMemory(in MemoryInput) (MemoryPlan, error) {
	m := in.Model
	tp, pp := in.TensorParallel, in.PipelineStages
	var plan MemoryPlan
	switch {
	case m == nil:
		return plan, fmt.Errorf("simulate: memory plan: no model")
	case tp <= 0 || pp <= 0:
		return plan, fmt.Errorf("simulate: memory plan: TP %d and PP %d must be positive", tp, pp)
	case m.NumQHeads <= 0 || m.NumKVHeads <= 0 || m.NumLayers <= 0 || m.HiddenSize <= 0:
		return plan, fmt.Errorf("simulate: memory plan: model %s lacks layers, hidden size or heads", m.Name)
	case m.NumQHeads%tp != 0:
		return plan, fmt.Errorf("simulate: model %s: %d query heads do not split over TP %d", m.Name, m.NumQHeads, tp)
	case m.NumLayers%pp != 0:
		return plan, fmt.Errorf("simulate: model %s: %d layers do not split over %d pipeline stages", m.Name, m.NumLayers, pp)
	case m.HiddenSize%tp != 0:
		return plan, fmt.Errorf("simulate: model %s: hidden size %d does not split over TP %d", m.Name, m.HiddenSize, tp)
	case in.MaxRequestTokens <= 0:
		return plan, fmt.Errorf("simulate: memory plan: max request tokens %d must be positive", in.MaxRequestTokens)
	}
	e := int64(m.HiddenSize)
	hd := m.HiddenSize / m.NumQHeads
	if !in.Vidur && m.HeadDim > 0 {
		hd = m.HeadDim
	}
	qw := m.NumQHeads / tp
	kvw := (m.NumKVHeads + tp - 1) / tp
	lps := m.NumLayers / pp
	perLayer := e*int64(hd)*int64(qw+2*kvw) + e*int64(hd)*int64(qw)
	mlpMats := int64(2)
	if m.GatedMLP {
		mlpMats = 3
	}
	perLayer += mlpMats * e * int64(m.IntermediateSize) / int64(tp)
	plan = MemoryPlan{
		ParamsPerDevice:  perLayer * int64(lps),
		LayersPerStage:   lps,
		QHeadsPerWorker:  qw,
		KVHeadsPerWorker: kvw,
		HeadDim:          hd,
	}
	weightBytes, kvBytes := 2.0, 2.0
	kvLayers := m.NumLayers
	if in.Vidur {
		plan.VidurKVAllLayersQuirk = pp > 1
	} else {
		kvLayers = lps
		var err error
		if m.WeightDtype != "" {
			if weightBytes, err = catalog.DtypeBytes(m.WeightDtype); err != nil {
				return plan, fmt.Errorf("simulate: model %s: weight dtype: %w", m.Name, err)
			}
		}
		if m.KVDtype != "" {
			if kvBytes, err = catalog.DtypeBytes(m.KVDtype); err != nil {
				return plan, fmt.Errorf("simulate: model %s: KV dtype: %w", m.Name, err)
			}
		}
	}
	plan.ParamBytesPerDevice = weightBytes * float64(plan.ParamsPerDevice)
	plan.KVBytesPerRequest = kvBytes * 2 * float64(hd) * float64(kvw) * float64(in.MaxRequestTokens) * float64(kvLayers)
	plan.AvailableBytes = in.GPUMemoryGiB * (1 << 30) * (1 - in.MemoryMarginFraction)
	free := plan.AvailableBytes - plan.ParamBytesPerDevice
	n := 0
	if free > 0 {
		// Python's float floor division, exact even when the quotient is within an ulp
		// of an integer.
		n = int((free - math.Mod(free, plan.KVBytesPerRequest)) / plan.KVBytesPerRequest)
	}
	if n <= 0 {
		return plan, fmt.Errorf("simulate: model %s does not fit: one GPU holds %.2f GiB of weights (TP %d, PP %d) and a %d-token request needs %.2f GiB of KV cache, but only %.2f GiB of %.0f GiB is usable (memory margin %.0f%%); raise TP or PP, use a GPU with more memory, or lower max_tokens",
			m.Name, plan.ParamBytesPerDevice/(1<<30), tp, pp, in.MaxRequestTokens, plan.KVBytesPerRequest/(1<<30), plan.AvailableBytes/(1<<30), in.GPUMemoryGiB, 100*in.MemoryMarginFraction)
	}
	plan.MaxBatchSize = n
	plan.MaxRequestSlots = n * pp
	return plan, nil
}
