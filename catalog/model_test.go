package catalog

import (
	"math"
	"strings"
	"testing"
)

func mustModel(t *testing.T, name string) *Model {
	t.Helper()
	m, err := Default().Model(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPublishedParams checks parameter counts against the figures on the model cards and in
// the papers, within 2%.
func TestPublishedParams(t *testing.T) {
	tests := []struct {
		model     string
		total     float64 // published total parameters
		activated float64 // published activated parameters (0: dense, equal to total)
	}{
		{"meta-llama/Llama-2-7b-hf", 6.74e9, 0},   // Llama 2 paper, Table 1 ("7B"; HF card 6.74B)
		{"meta-llama/Llama-2-70b-hf", 69e9, 0},    // HF safetensors metadata 68.98B
		{"meta-llama/Meta-Llama-3-8B", 8.03e9, 0}, // HF card 8.03B
		{"meta-llama/Meta-Llama-3-70B", 70.6e9, 0},
		{"codellama/CodeLlama-34b-Instruct-hf", 33.7e9, 0},
		{"microsoft/phi-2", 2.78e9, 0}, // HF card "2.7 billion"; safetensors 2.78B
		{"deepseek-v3", 671e9, 37e9},   // DeepSeek-V3 technical report
		{"Qwen/Qwen3-235B-A22B", 235e9, 22e9},
		{"Qwen/Qwen3-30B-A3B", 30.5e9, 3.3e9},
		{"Qwen/Qwen3-8B", 8.2e9, 0},
		{"Qwen3-Next-80B", 80e9, 0}, // activated: see TestQwen3NextActivated
		{"mistralai/Mixtral-8x7B-v0.1", 46.7e9, 12.9e9},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := mustModel(t, tt.model)
			total, act := m.TotalParams(), m.ActivatedParams()
			t.Logf("%s: total %d, activated %d", m.Name, total, act)
			within(t, "total", float64(total), tt.total, 0.02)
			if tt.activated > 0 {
				within(t, "activated", float64(act), tt.activated, 0.02)
			} else if !m.IsMoE() && act != total {
				t.Errorf("dense model: activated %d != total %d", act, total)
			}
		})
	}
}

// TestQwen3NextActivated documents why Qwen3-Next is not held to its "3B activated" label: the
// model card rounds. Counting from the config, one token runs through 1.54B attention weights
// (12 gated full-attention and 36 Gated DeltaNet layers), 1.66B expert weights (10 routed + 1
// shared, 3·2048·512 each, 48 layers) and 0.62B of embedding and head: 3.87B, 3.25B without
// embeddings. The "A3B" label is checked as "3-point-something billion".
func TestQwen3NextActivated(t *testing.T) {
	m := mustModel(t, "qwen3-next-80B")
	act := m.ActivatedParams()
	nonEmb := act - m.EmbeddingParams()
	t.Logf("Qwen3-Next-80B-A3B: activated %d, without embeddings %d", act, nonEmb)
	if nonEmb < 3e9 || act >= 4e9 {
		t.Errorf("activated %d (non-embedding %d) is not an A3B model", act, nonEmb)
	}
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if rel := math.Abs(got-want) / want; rel > tol {
		t.Errorf("%s = %.4g, want %.4g within %.0f%% (off by %.2f%%)", what, got, want, tol*100, rel*100)
	}
}

func TestKVBytesPerToken(t *testing.T) {
	tests := []struct {
		model string
		dtype string
		want  int64
	}{
		{"deepseek-671B", "bf16", 70272},              // (512 + 64) · 2 · 61
		{"deepseek-671B", "fp8", 35136},               //
		{"llama-2-7b", "fp16", 524288},                // 2 · 32 · 128 · 32 · 2
		{"llama-3-70b", "bf16", 327680},               // 2 · 8 · 128 · 80 · 2
		{"llama-3-8b", "fp16", 131072},                // 2 · 8 · 128 · 32 · 2
		{"qwen3-next-80B", "bf16", 24576},             // 2 · 2 · 256 · 12 full-attention layers · 2
		{"qwen3-moe-235B", "bf16", 192512},            // 2 · 4 · 128 · 94 · 2
		{"mistralai/Mixtral-8x7B-v0.1", "fp4", 32768}, // half a byte per element
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.dtype, func(t *testing.T) {
			b, err := DtypeBytes(tt.dtype)
			if err != nil {
				t.Fatal(err)
			}
			got := mustModel(t, tt.model).KVBytesPerToken(b)
			t.Logf("%s %s: %d bytes/token", tt.model, tt.dtype, got)
			if got != tt.want {
				t.Errorf("KVBytesPerToken = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLinearStateBytes(t *testing.T) {
	m := mustModel(t, "qwen3-next-80B")
	// Per Gated DeltaNet layer: 32 value heads × 128 × 128 state, plus (4−1) × (2·16·128 +
	// 32·128) conv window = 524,288 + 24,576 elements; 36 such layers; 2 bytes.
	const want = (32*128*128 + 3*(2*16*128+32*128)) * 36 * 2
	if got := m.LinearStateBytes(2); got != want {
		t.Errorf("LinearStateBytes(2) = %d, want %d", got, want)
	}
	if got := mustModel(t, "llama-2-7b").LinearStateBytes(2); got != 0 {
		t.Errorf("dense model LinearStateBytes = %d, want 0", got)
	}
}

func TestLayerKinds(t *testing.T) {
	ds := mustModel(t, "deepseek-v3")
	if ds.IsMoELayer(2) || !ds.IsMoELayer(3) || !ds.IsMoELayer(60) || ds.IsMoELayer(61) {
		t.Error("DeepSeek-V3: layers 0-2 must be dense and 3-60 MoE")
	}
	if got := ds.NumMoELayers(); got != 58 {
		t.Errorf("DeepSeek-V3 MoE layers = %d, want 58", got)
	}
	qn := mustModel(t, "qwen3-next-80B")
	if !qn.IsHybrid() || qn.IsFullAttentionLayer(0) || !qn.IsFullAttentionLayer(3) || !qn.IsFullAttentionLayer(47) {
		t.Error("Qwen3-Next: every 4th layer (3, 7, ..., 47) must be full attention")
	}
	if got := qn.NumFullAttentionLayers(); got != 12 {
		t.Errorf("Qwen3-Next full-attention layers = %d, want 12", got)
	}
	l := mustModel(t, "llama-2-7b")
	if l.IsMoE() || l.IsHybrid() || l.IsMoELayer(0) || !l.IsFullAttentionLayer(31) || l.NumFullAttentionLayers() != 32 {
		t.Error("Llama-2-7B: dense, all layers full attention")
	}
	freq := &Model{NumLayers: 6, MoE: &MoEConfig{NumRoutedExperts: 4, LayerFrequency: 2}}
	explicit := &Model{NumLayers: 6, MoE: &MoEConfig{NumRoutedExperts: 4, Layers: []int{1, 3, 5}}}
	for i := range 6 {
		if freq.IsMoELayer(i) != (i%2 == 1) || explicit.IsMoELayer(i) != (i%2 == 1) {
			t.Errorf("layer %d: frequency and explicit layouts disagree with (i+1)%%2 == 0", i)
		}
	}
}

// TestVidurParamsPerLayer reproduces the worked example of Vidur's memory planner (reference
// §4.1): 202,375,168 parameters per Llama-2-7B layer at TP 1.
func TestVidurParamsPerLayer(t *testing.T) {
	tests := []struct {
		model string
		tp    int
		want  int64
	}{
		{"llama-2-7b", 1, 202375168},
		{"llama-2-7b", 2, 101187584},
		// Llama-3-8B: 4096·128·(32+16) + 4096·128·32 + 3·4096·14336.
		{"llama-3-8b", 1, 4096*128*(32+16) + 4096*128*32 + 3*4096*14336},
		// 8 KV heads over TP 16 round up to one per rank.
		{"llama-3-70b", 16, 8192*128*(4+2) + 8192*128*4 + 3*8192*28672/16},
	}
	for _, tt := range tests {
		got, err := mustModel(t, tt.model).VidurParamsPerLayer(tt.tp)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s tp%d: VidurParamsPerLayer = %d, want %d", tt.model, tt.tp, got, tt.want)
		}
	}
	if _, err := mustModel(t, "llama-2-7b").VidurParamsPerLayer(3); err == nil {
		t.Error("tp 3 does not divide 32 heads: want an error")
	}
	if _, err := mustModel(t, "deepseek-v3").VidurParamsPerLayer(1); err == nil {
		t.Error("MLA/MoE models are outside Vidur's counter: want an error")
	}
}

func TestFLOPsPerToken(t *testing.T) {
	m := mustModel(t, "llama-2-7b")
	// Matrix products use every weight but the input embedding: 6,738,415,616 − 32000·4096.
	matmul := float64(m.TotalParams() - 32000*4096)
	if got := m.DecodeFLOPsPerToken(0); got != 2*matmul {
		t.Errorf("DecodeFLOPsPerToken(0) = %g, want 2·matmul = %g", got, 2*matmul)
	}
	// Attention over 1000 tokens: 2 · 32 heads · (128 + 128) · 1000 · 32 layers.
	if got, want := m.DecodeFLOPsPerToken(1000)-m.DecodeFLOPsPerToken(0), 2.0*32*256*1000*32; got != want {
		t.Errorf("attention FLOPs at 1000 tokens = %g, want %g", got, want)
	}
	// A 1999-token prompt averages 1000 tokens of context.
	if got, want := m.PrefillFLOPsPerToken(1999), m.DecodeFLOPsPerToken(1000); got != want {
		t.Errorf("PrefillFLOPsPerToken(1999) = %g, want DecodeFLOPsPerToken(1000) = %g", got, want)
	}
	ds := mustModel(t, "deepseek-v3")
	// About 2 · 37B minus the input embedding, far below 2 · 671B.
	if got := ds.DecodeFLOPsPerToken(0); got < 2*35e9 || got > 2*38e9 {
		t.Errorf("DeepSeek-V3 decode FLOPs/token = %g, want ≈ 2·36.6e9", got)
	}
	qn := mustModel(t, "qwen3-next-80B")
	if lin := qn.DecodeFLOPsPerToken(0) - 2*float64(qn.matmulParams()); lin != 7.0*32*128*128*36 {
		t.Errorf("Qwen3-Next linear-attention FLOPs = %g, want 7·32·128·128·36", lin)
	}
}

func TestDtypeBytes(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"fp32", 4}, {"float32", 4}, {"FP16", 2}, {"float16", 2}, {"bf16", 2}, {"bfloat16", 2},
		{"fp8", 1}, {"float8", 1}, {"e4m3", 1}, {"int8", 1}, {"fp4", 0.5}, {" BF16 ", 2},
	}
	for _, tt := range tests {
		got, err := DtypeBytes(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("DtypeBytes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := DtypeBytes("int3"); err == nil || !strings.Contains(err.Error(), `"int3"`) {
		t.Errorf("DtypeBytes(int3) error = %v, want one naming the dtype", err)
	}
}

func TestValidate(t *testing.T) {
	base := func() *Model { return mustModel(t, "llama-3-8b") }
	moe := func() *Model { return mustModel(t, "deepseek-v3") }
	tests := []struct {
		name  string
		model *Model
		edit  func(*Model)
		want  string
	}{
		{"zero layers", base(), func(m *Model) { m.NumLayers = 0 }, "num_layers must be positive"},
		{"heads not divisible", base(), func(m *Model) { m.NumKVHeads = 5 }, "not a multiple of num_kv_heads"},
		{"gqa with equal heads", base(), func(m *Model) { m.NumKVHeads = 32 }, "attention is gqa"},
		{"unknown dtype", base(), func(m *Model) { m.KVDtype = "fp12" }, "kv_dtype"},
		{"no intermediate", base(), func(m *Model) { m.IntermediateSize = 0 }, "intermediate_size must be positive"},
		{"top-k above experts", moe(), func(m *Model) { m.MoE.NumExpertsPerToken = 300 }, "exceeds moe.num_routed_experts"},
		{"mla without section", moe(), func(m *Model) { m.MLA = nil }, "mla section is missing"},
		{"moe layer out of range", moe(), func(m *Model) { m.MoE.Layers = []int{3, 99} }, "layer 99 is outside"},
		{"bad norm", base(), func(m *Model) { m.Norm = "batch_norm" }, "norm \"batch_norm\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit(tt.model)
			err := tt.model.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	for _, m := range Default().Models() {
		if err := m.Validate(); err != nil {
			t.Errorf("built-in: %v", err)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	m := mustModel(t, "deepseek-v3")
	c := m.Clone()
	c.MoE.NumRoutedExperts = 1
	c.MLA.KVLoraRank = 1
	c.Aliases[0] = "changed"
	if m.MoE.NumRoutedExperts != 256 || m.MLA.KVLoraRank != 512 || m.Aliases[0] == "changed" {
		t.Error("Clone shares state with the original")
	}
}
