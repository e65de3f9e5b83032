package simulate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
)

func catalogModel(t *testing.T, name string) *catalog.Model {
	t.Helper()
	m, err := catalog.Default().Model(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLayoutEP checks that doubling EP halves the experts each GPU holds and widens the
// all-to-all group, with TP fixed and attention DP following.
func TestLayoutEP(t *testing.T) {
	m := catalogModel(t, "deepseek-ai/DeepSeek-V3")
	tests := []struct {
		tp, ep, dp       int
		experts, gpus    int
		expertTP, perNod int
		summary          string
	}{
		{tp: 2, ep: 4, dp: 2, experts: 64, gpus: 4, expertTP: 1, perNod: 4, summary: "all-to-all over 4 GPUs in one node"},
		{tp: 2, ep: 8, dp: 4, experts: 32, gpus: 8, expertTP: 1, perNod: 8, summary: "all-to-all over 8 GPUs in one node"},
		{tp: 2, ep: 16, dp: 8, experts: 16, gpus: 16, expertTP: 1, perNod: 8, summary: "all-to-all over 16 GPUs on 2 nodes"},
		{tp: 8, ep: 4, dp: 1, experts: 64, gpus: 8, expertTP: 2, perNod: 4, summary: "64 of 256 per GPU, each split over 2 GPU(s)"},
	}
	for _, tc := range tests {
		l, err := NewLayout(m, tc.tp, tc.dp, tc.ep, 1, 8)
		if err != nil {
			t.Fatal(err)
		}
		if l.ExpertsPerGPU() != tc.experts || l.WorldSize() != tc.gpus || l.ExpertTP() != tc.expertTP || l.EPRanksPerNode() != tc.perNod {
			t.Errorf("TP %d EP %d: experts/GPU %d, GPUs %d, expert TP %d, EP ranks per node %d; want %d, %d, %d, %d",
				tc.tp, tc.ep, l.ExpertsPerGPU(), l.WorldSize(), l.ExpertTP(), l.EPRanksPerNode(), tc.experts, tc.gpus, tc.expertTP, tc.perNod)
		}
		if !strings.Contains(l.String(), tc.summary) {
			t.Errorf("TP %d EP %d: summary %q lacks %q", tc.tp, tc.ep, l, tc.summary)
		}
	}
	if _, err := NewLayout(m, 2, 1, 8, 1, 8); err == nil || !strings.Contains(err.Error(), "does not divide the 2 GPUs") {
		t.Errorf("EP 8 over 2 GPUs: err = %v", err)
	}
	dense := catalogModel(t, "meta-llama/Llama-2-7b-hf")
	if _, err := NewLayout(dense, 2, 1, 2, 1, 8); err == nil {
		t.Error("EP 2 on a dense model: no error")
	}
}

// TestPlanArchMemoryDeepSeek is the check: DeepSeek-V3 does not fit on one
// 8×A100-80GB node and does on one 8×H200 node with its FP8 weights; the refusal gives
// the numbers. Doubling EP halves the routed-expert bytes per GPU.
func TestPlanArchMemoryDeepSeek(t *testing.T) {
	m := catalogModel(t, "deepseek-ai/DeepSeek-V3")
	if m.WeightDtype != "fp8" {
		t.Fatalf("DeepSeek-V3 weight dtype %s, want the published fp8", m.WeightDtype)
	}
	l, err := NewLayout(m, 2, 4, 8, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	in := ArchMemoryInput{Model: m, Layout: l, MaxRequestTokens: 4096, MemoryMarginFraction: 0.1}

	in.GPU, in.GPUMemoryGiB = "a100", 80
	_, w, err := PlanArchMemory(in)
	if err == nil {
		t.Fatal("DeepSeek-V3 on 8×A100-80GB: planned, want a refusal")
	}
	t.Log(err)
	for _, want := range []string{"does not fit on a100 (80 GiB, 72 GiB usable", "TP 2 × attention DP 4", "GiB of fp8 weights", "routed experts (32 of 256 per GPU)", "4096-token request needs", "MLA latent 512 + rope key 64"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if gib := w.Total() / (1 << 30); gib < 72 || gib > 100 {
		t.Errorf("weights per GPU %.1f GiB; 671B fp8 parameters over 8 GPUs are about 80", gib)
	}

	in.GPU, in.GPUMemoryGiB = "h200", 141
	plan, w8, err := PlanArchMemory(in)
	if err != nil {
		t.Fatalf("DeepSeek-V3 on 8×H200: %v", err)
	}
	t.Logf("8×H200: %.1f GiB of weights per GPU (%s), %d requests of 4096 tokens per replica", w8.Total()/(1<<30), w8.describe(l), plan.MaxBatchSize)
	// MLA caches 576 bf16 values per token and layer, whole on every TP rank.
	if want := float64(576*2*61*4096) + 0; plan.KVBytesPerRequest != want {
		t.Errorf("KV bytes per request %v, want %v", plan.KVBytesPerRequest, want)
	}
	if plan.MaxBatchSize <= 0 || plan.MaxBatchSize%4 != 0 || plan.ExpertsPerDevice != 32 || plan.AttentionDP != 4 {
		t.Errorf("plan %+v: want a positive batch over 4 attention groups and 32 experts per GPU", plan)
	}

	l16, err := NewLayout(m, 2, 8, 16, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	in.Layout = l16
	_, w16, err := PlanArchMemory(in)
	if err != nil {
		t.Fatal(err)
	}
	if w16.RoutedExperts*2 != w8.RoutedExperts {
		t.Errorf("EP 16 routed experts %.0f B per GPU, EP 8 %.0f B: doubling EP must halve them", w16.RoutedExperts, w8.RoutedExperts)
	}
	if w16.Attention != w8.Attention || w16.SharedExperts != w8.SharedExperts {
		t.Error("EP changed the replicated (TP-split) weights")
	}
}

// TestPlanArchMemoryHybrid checks that Qwen3-Next's KV covers its 12 full-attention layers
// only and adds the fixed recurrent state of the 36 Gated DeltaNet layers.
func TestPlanArchMemoryHybrid(t *testing.T) {
	m := catalogModel(t, "Qwen/Qwen3-Next-80B-A3B-Instruct")
	l, err := NewLayout(m, 2, 1, 1, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	plan, _, err := PlanArchMemory(ArchMemoryInput{Model: m, GPU: "h200", GPUMemoryGiB: 141, Layout: l, MaxRequestTokens: 1000, MemoryMarginFraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	kv := float64(12 * 2 * 1 * 256 * 2 * 1000) // 12 layers, K and V, 2 KV heads over TP 2, head dim 256, bf16
	state := float64(m.LinearStateBytes(2)) / 2
	if plan.StateBytesPerRequest != state || plan.KVBytesPerRequest != kv+state {
		t.Errorf("KV %v (state %v), want %v (state %v)", plan.KVBytesPerRequest, plan.StateBytesPerRequest, kv+state, state)
	}
}

// moeTables is a predictor table set for the MoE test: every operator n·1e-3 ms for n
// tokens, expert GEMMs the same at every skew.
func moeTables(maxTokens int) *predictor.Tables {
	lin := func(n int) []float64 {
		v := make([]float64, n+1)
		for i := 1; i <= n; i++ {
			v[i] = float64(i) * 1e-3
		}
		return v
	}
	t := &predictor.Tables{KVStep: 64, Limits: predictor.Limits{MaxTokens: maxTokens, MaxBatchSize: 8, MaxKV: 128, MaxChunk: 64, KVGranularity: 64}, Source: "test"}
	for op := range t.Token {
		t.Token[op] = lin(maxTokens)
	}
	t.DecodeRows, t.DecodeKVCols = 8, 3
	t.Decode = make([]float64, 24)
	t.PrefillKVRows, t.PrefillChunks = 3, 64
	t.Prefill = make([]float64, 3*64)
	t.Arch = &predictor.ArchTables{Skews: []float64{1}}
	for op := range t.Arch.Expert {
		t.Arch.Expert[op] = [][]float64{lin(maxTokens)}
	}
	return t
}

// TestSkewedRoutingSlowsMoE is the check that a skewed routing distribution makes
// MoE time grow: the most loaded EP rank sets the expert time.
func TestSkewedRoutingSlowsMoE(t *testing.T) {
	moeTime := func(kind string, s float64) float64 {
		r, err := NewRouter(RoutingConfig{Kind: kind, ZipfExponent: s}, 128, 8, 8, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		tables := moeTables(8192)
		p, err := predictor.New(tables, predictor.Config{LayersPerStage: 4, NumStages: 1, TensorParallel: 1, Arch: &predictor.Arch{
			FullAttnLayers: 4, MoELayers: 4, TP: 1, DP: 1, EP: 8, TopK: 8, HiddenSize: 2048, DispatchSize: 2, CombineSize: 2,
			Tables: tables.Arch, Router: r, Comm: &predictor.AnalyticalComm{IntraNode: 450e9, InterNode: 50e9}, GPUsPerNode: 8,
		}})
		if err != nil {
			t.Fatal(err)
		}
		var sh predictor.Shape
		sh.AddPrefill(0, 512, 64)
		var sum float64
		for range 20 {
			last, _, err := p.Predict(&sh)
			if err != nil {
				t.Fatal(err)
			}
			if last.Dispatch <= 0 || last.MoE <= 0 || last.MoE > last.MLP {
				t.Fatalf("split %+v: want MoE within MLP and a dispatch time", last)
			}
			sum += last.MoE
		}
		return sum / 20
	}
	uniform, mild, strong := moeTime(RoutingUniform, 0), moeTime(RoutingZipf, 0.8), moeTime(RoutingZipf, 1.5)
	t.Logf("mean MoE time per batch: uniform %.4g s, zipf 0.8 %.4g s, zipf 1.5 %.4g s", uniform, mild, strong)
	if !(uniform < mild && mild < strong) {
		t.Errorf("mean MoE time uniform %.4g s, zipf 0.8 %.4g s, zipf 1.5 %.4g s: want it to grow with skew", uniform, mild, strong)
	}
}

func TestRouterDeterministicAndDistinct(t *testing.T) {
	h := make([]float64, 16)
	for i := range h {
		h[i] = float64(i + 1)
	}
	for _, cfg := range []RoutingConfig{{Kind: RoutingUniform}, {Kind: RoutingZipf, ZipfExponent: 2}, {Kind: RoutingHistogram, Histogram: h}} {
		a, _ := NewRouter(cfg, 16, 4, 4, rand.New(rand.NewPCG(7, 7)))
		b, _ := NewRouter(cfg, 16, 4, 4, rand.New(rand.NewPCG(7, 7)))
		for n := range 50 {
			ra, rb := a.Route(n), b.Route(n)
			if ra != rb {
				t.Fatalf("%s: same seed, different draws %+v vs %+v", cfg.Kind, ra, rb)
			}
			// Each token's 4 experts are distinct, so no expert gets more than n.
			for _, l := range a.load {
				if l > n {
					t.Fatalf("%s: an expert got %d of %d tokens: top-k picked it twice", cfg.Kind, l, n)
				}
			}
			if n > 0 && (ra.MaxRankSlots < n || ra.MaxRankSlots > 4*n || ra.ExpertSkew < 1) {
				t.Fatalf("%s: %d tokens: %+v out of range", cfg.Kind, n, ra)
			}
		}
	}
	if _, err := NewRouter(RoutingConfig{Kind: RoutingHistogram, Histogram: []float64{1, 0, 0, 0}}, 4, 2, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("one loaded expert for top-2 routing: no error")
	}
}

func TestReadRoutingHistogram(t *testing.T) {
	tests := []struct {
		name, in string
		want     []float64
		err      string
	}{
		{"bare counts with header", "load\n3\n1\n# note\n\n2\n0\n", []float64{3, 1, 2, 0}, ""},
		{"expert,count", "expert,count\n2,5\n0,1\n3,1\n1,1\n", []float64{1, 1, 5, 1}, ""},
		{"missing expert", "1\n2\n3\n", nil, "no load for expert 3"},
		{"twice", "0,1\n0,2\n1,1\n2,1\n3,1\n", nil, "listed twice"},
		{"negative", "1\n-2\n1\n1\n", nil, "finite non-negative"},
		{"out of range", "7,1\n", nil, "outside 0..3"},
		{"garbage", "1\nx\n", nil, `"x" is not an expert load`},
	}
	for _, tc := range tests {
		got, err := ReadRoutingHistogram("h.csv", strings.NewReader(tc.in), 4)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%s: %v %v", tc.name, got, err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

func FuzzReadRoutingHistogram(f *testing.F) {
	f.Add("expert,count\n0,10\n1,3\n2,0\n3,7\n")
	f.Add("5\n5\n5\n5\n")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ReadRoutingHistogram("fuzz", strings.NewReader(in), 4)
		if err == nil && len(h) != 4 {
			t.Fatalf("%d loads for 4 experts", len(h))
		}
	})
}

// TestRouterExtremeSkew routes with one expert holding nearly all the weight: each
// token still gets top-k distinct experts (the hot one and k−1 others), drawn exactly
// once rejecting repeats stops paying, instead of redrawing the hot expert for ever.
func TestRouterExtremeSkew(t *testing.T) {
	h := []float64{1e6, 1, 1, 1, 1, 1, 1, 1}
	r, err := NewRouter(RoutingConfig{Kind: RoutingHistogram, Histogram: h}, 8, 2, 8, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	const tokens = 4096
	got := r.Route(tokens)
	// Every token sends one slot to the hot expert's rank and one elsewhere: the hot
	// rank gets exactly one slot per token.
	if got.MaxRankSlots != tokens {
		t.Errorf("most loaded rank got %d slots, want %d (one per token)", got.MaxRankSlots, tokens)
	}
	if want := float64(tokens) / (float64(tokens*2) / 8); got.ExpertSkew != want {
		t.Errorf("skew %v, want %v", got.ExpertSkew, want)
	}
}
