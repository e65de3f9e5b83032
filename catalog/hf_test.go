package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// jsonFiles lists dir's *.json files, sorted.
func jsonFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// importEach imports every *.json file of dir, each in a subtest named after the file,
// and hands the model to check; a folder without one fails the test.
func importEach(t *testing.T, dir string, check func(t *testing.T, base string, m *Model)) {
	t.Helper()
	files := jsonFiles(t, dir)
	if len(files) == 0 {
		t.Fatalf("no JSON files in %s", dir)
	}
	for _, path := range files {
		base := filepath.Base(path)
		t.Run(base, func(t *testing.T) {
			m, err := ImportHF(path)
			if err != nil {
				t.Fatal(err)
			}
			check(t, base, m)
		})
	}
}

// TestImportHFConfigs imports every vidur-alibabacloud config.json and compares its shape with
// the built-in entry of the same model. The FP8 Qwen3-235B file is a qwen2_moe re-export with
// another (unused) dense intermediate size and context length: same network.
func TestImportHFConfigs(t *testing.T) {
	dir := shareddata.Path(t, "hf_configs")
	builtin := map[string]string{
		"deepseek_R1_0528_config.json":                "deepseek-v3", // R1 shares V3's architecture
		"deepseek_v3_config.json":                     "deepseek-v3",
		"qwen3-235B-A22B_FP8_config.json":             "qwen3-moe-235B",
		"qwen3-235B-A22B_config.json":                 "qwen3-moe-235B",
		"qwen3-30B-A3B_config.json":                   "Qwen/Qwen3-30B-A3B",
		"qwen3-8B_config.json":                        "Qwen/Qwen3-8B",
		"qwen3-next-80B-A3B_Instruct_FP8_config.json": "qwen3-next-80B",
		"qwen3-next-80B-A3B_config.json":              "qwen3-next-80B",
	}
	importEach(t, dir, func(t *testing.T, base string, got *Model) {
		name, ok := builtin[base]
		if !ok {
			t.Fatalf("%s has no built-in counterpart listed in this test", base)
		}
		want := mustModel(t, name)
		if diff := got.ArchitectureDiff(want); len(diff) > 0 {
			t.Errorf("imported vs built-in %s:\n  %s", want.Name, strings.Join(diff, "\n  "))
		}
		if got.TotalParams() != want.TotalParams() && got.IntermediateSize == want.IntermediateSize {
			t.Errorf("total params %d vs built-in %d", got.TotalParams(), want.TotalParams())
		}
	})
}

// TestImportFrontierConfigs imports every model description Frontier ships: real configs,
// configs cut to fewer layers or experts, and StepFun's own key names.
func TestImportFrontierConfigs(t *testing.T) {
	dir := shareddata.Path(t, "frontier/config/models")
	type want struct {
		builtin   string // built-in model with the same architecture, or ""
		layers    int
		moeLayers int
		experts   int
		weight    string
	}
	cases := map[string]want{
		"Llama-3.1-405B-Instruct-FP8.json":             {layers: 126, weight: "fp8"},
		"Llama-3.2-1B-Instruct.json":                   {layers: 16, weight: "bf16"},
		"Phi-tiny-MoE-instruct.json":                   {layers: 32, moeLayers: 32, experts: 16, weight: "bf16"},
		"Qwen3-235B-A22B.json":                         {builtin: "qwen3-moe-235B", layers: 94, moeLayers: 94, experts: 128, weight: "bf16"},
		"Qwen3-235B-A22B__layers96.json":               {layers: 96, moeLayers: 96, experts: 128, weight: "bf16"},
		"Qwen3-30B-A3B-tiny.json":                      {layers: 8, moeLayers: 8, experts: 16, weight: "bf16"},
		"Step2Mini-tiny.json":                          {layers: 8, moeLayers: 8, experts: 8, weight: "bf16"},
		"deepseek-v3.json":                             {builtin: "deepseek-v3", layers: 61, moeLayers: 58, experts: 256, weight: "fp8"},
		"llama2_7b_dense_example.json":                 {builtin: "llama-2-7b", layers: 32, weight: "bf16"},
		"llama3.1-405b.json":                           {layers: 126, weight: "fp8"},
		"llama3.1-8b.json":                             {layers: 32, weight: "bf16"},
		"llama3.3-70b.json":                            {builtin: "llama-3-70b", layers: 80, weight: "bf16"},
		"mixtral_8x7b_moe.json":                        {builtin: "mixtral-8x7b", layers: 32, moeLayers: 32, experts: 8, weight: "bf16"},
		"qwen2_dense_test.json":                        {layers: 24, weight: "bf16"},
		"qwen2_moe_example.json":                       {layers: 24, moeLayers: 24, experts: 60, weight: "bf16"},
		"qwen3-a3b-30b-moe.json":                       {builtin: "Qwen/Qwen3-30B-A3B", layers: 48, moeLayers: 48, experts: 128, weight: "bf16"},
		"qwen3-next-80b-a3b-instruct-reduced-l2.json":  {layers: 2, moeLayers: 2, experts: 512, weight: "bf16"},
		"qwen3-next-80b-a3b-instruct-reduced-l20.json": {layers: 20, moeLayers: 20, experts: 512, weight: "bf16"},
		"step-moe-noquant-small.json":                  {layers: 31, moeLayers: 27, experts: 24, weight: "bf16"},
		"step-moe-noquant.json":                        {layers: 61, moeLayers: 56, experts: 48, weight: "bf16"},
		"step-moe.json":                                {layers: 61, moeLayers: 56, experts: 48, weight: "fp8"},
	}
	importEach(t, dir, func(t *testing.T, base string, m *Model) {
		w, ok := cases[base]
		if !ok {
			t.Fatalf("%s imports but has no expectations in this test", base)
		}
		experts := 0
		if m.IsMoE() {
			experts = m.MoE.NumRoutedExperts
		}
		if m.NumLayers != w.layers || m.NumMoELayers() != w.moeLayers || experts != w.experts || m.WeightDtype != w.weight {
			t.Errorf("got layers %d, MoE layers %d, experts %d, weights %s; want %d, %d, %d, %s",
				m.NumLayers, m.NumMoELayers(), experts, m.WeightDtype, w.layers, w.moeLayers, w.experts, w.weight)
		}
		if w.builtin != "" {
			if diff := m.ArchitectureDiff(mustModel(t, w.builtin)); len(diff) > 0 {
				t.Errorf("vs built-in %s:\n  %s", w.builtin, strings.Join(diff, "\n  "))
			}
		}
		t.Logf("%s: %s, total %d, activated %d, KV %d B/token (bf16)", base, m.Name, m.TotalParams(), m.ActivatedParams(), m.KVBytesPerToken(2))
	})
}

// TestImportHFShapes checks the family-specific readings on small inline configs.
func TestImportHFShapes(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(*Model) string
	}{
		{"step3 MFA and explicit MoE layers", `{"model_type":"step3_text","hidden_size":64,"intermediate_size":128,"num_hidden_layers":6,
			"num_attention_heads":4,"num_attention_groups":1,"head_dim":16,"share_q_dim":32,"use_moe":true,"moe_num_experts":4,
			"moe_top_k":2,"moe_intermediate_size":8,"share_expert_dim":8,"moe_layers_enum":"2,3,4","vocab_size":100}`,
			func(m *Model) string {
				if m.ShareQDim != 32 || m.NumKVHeads != 1 || m.NumMoELayers() != 3 || m.IsMoELayer(1) || !m.IsMoELayer(2) || m.MoE.NumSharedExperts != 1 {
					return "want share_q_dim 32, 1 KV head, MoE layers 2-4, one shared expert"
				}
				return ""
			}},
		{"deepseek moe_layer_freq 2", `{"model_type":"deepseek_v3","hidden_size":64,"intermediate_size":128,"num_hidden_layers":6,
			"num_attention_heads":4,"vocab_size":100,"n_routed_experts":4,"num_experts_per_tok":2,"moe_intermediate_size":8,
			"first_k_dense_replace":1,"moe_layer_freq":2}`,
			func(m *Model) string {
				if !slices.Equal(m.MoE.Layers, []int{2, 4}) || m.MLA != nil {
					return "want MoE layers [2 4] (DeepSeek: layer % freq == 0 past the dense prefix), no MLA"
				}
				return ""
			}},
		{"qwen2_moe mlp_only_layers", `{"model_type":"qwen2_moe","hidden_size":64,"intermediate_size":128,"num_hidden_layers":4,
			"num_attention_heads":4,"vocab_size":100,"num_experts":4,"num_experts_per_tok":2,"moe_intermediate_size":8,
			"mlp_only_layers":[0],"shared_expert_intermediate_size":32}`,
			func(m *Model) string {
				if !slices.Equal(m.MoE.Layers, []int{1, 2, 3}) || !m.UseQKVBias || m.MoE.SharedExpertIntermediate != 32 {
					return "want MoE layers [1 2 3], q/k/v bias, a 32-wide shared expert"
				}
				return ""
			}},
		{"phi parallel block", `{"model_type":"phi","hidden_size":64,"intermediate_size":256,"num_hidden_layers":2,
			"num_attention_heads":4,"num_key_value_heads":null,"vocab_size":100,"hidden_act":"gelu_new","partial_rotary_factor":0.4,
			"torch_dtype":"float16"}`,
			func(m *Model) string {
				if m.GatedMLP || m.PostAttnNorm || m.Norm != "layer_norm" || m.Activation != "gelu" || m.NumKVHeads != 4 || m.WeightDtype != "fp16" {
					return "want an ungated GELU MLP, LayerNorm, no post-attention norm, MHA, fp16"
				}
				return ""
			}},
		{"qwen v1 halves the MLP", `{"model_type":"qwen","hidden_size":64,"intermediate_size":256,"num_hidden_layers":2,
			"num_attention_heads":4,"vocab_size":100,"seq_length":2048,"kv_channels":16}`,
			func(m *Model) string {
				if m.IntermediateSize != 128 || !m.UseQKVBias || m.MaxPositionEmbeddings != 2048 || m.HeadDim != 16 {
					return "want intermediate 128, q/k/v bias, 2048 positions, head_dim 16"
				}
				return ""
			}},
		{"model_type from architectures", `{"architectures":["MistralForCausalLM"],"hidden_size":64,"intermediate_size":128,
			"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100}`,
			func(m *Model) string {
				if m.Family != "mistral" || m.Attention != GQA {
					return "want family mistral, GQA"
				}
				return ""
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseHF([]byte(tt.json), "inline.json")
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(m); msg != "" {
				t.Errorf("%s; got %+v (moe %+v)", msg, *m, m.MoE)
			}
		})
	}
}

func TestImportHFErrors(t *testing.T) {
	const ok = `"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100`
	tests := []struct {
		name, json string
		want       []string
	}{
		{"not json", `{"model_type":`, []string{"bad.json", "not a JSON object"}},
		{"array", `[1,2]`, []string{"bad.json", "not a JSON object"}},
		{"unknown type", `{"model_type":"gpt2"}`, []string{"bad.json", "field model_type", `"gpt2" is not supported`, "llama"}},
		{"no type", `{"hidden_size":64}`, []string{"field model_type: missing"}},
		{"missing field", `{"model_type":"llama","hidden_size":64}`, []string{"bad.json", "field num_hidden_layers", "missing"}},
		{"string number", `{` + ok + `,"num_key_value_heads":"4"}`, []string{"bad.json", "field num_key_value_heads", `want an integer, got "4"`}},
		{"fraction", `{` + ok + `,"head_dim":16.5}`, []string{"field head_dim", "want an integer"}},
		{"huge", `{` + ok + `,"head_dim":1e30}`, []string{"field head_dim", "want an integer below"}},
		{"heads", `{` + ok + `,"num_key_value_heads":3}`, []string{"bad.json", "not a multiple of num_kv_heads"}},
		{"quant", `{` + ok + `,"quantization_config":{"quant_method":"awq","bits":4}}`, []string{"field quantization_config.quant_method", `"awq" is not supported`}},
		{"dtype", `{` + ok + `,"torch_dtype":"complex64"}`, []string{"field torch_dtype", `"complex64"`}},
		{"moe without top-k", `{` + strings.Replace(ok, "llama", "mixtral", 1) + `,"num_local_experts":8}`, []string{"field num_experts_per_tok or moe_top_k", "missing"}},
		{"mla incomplete", `{` + strings.Replace(ok, "llama", "deepseek_v3", 1) + `,"kv_lora_rank":512}`, []string{"field qk_nope_head_dim", "missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ImportHF(writeFile(t, "bad.json", tt.json))
			wantError(t, "ImportHF", err, tt.want...)
		})
	}
	if _, err := ImportHF(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("missing file error = %v", err)
	}
}

// FuzzImportHF feeds arbitrary bytes to the config.json parser: it must return a model or an
// error, never panic, and what it returns must survive every derived quantity.
func FuzzImportHF(f *testing.F) {
	f.Add([]byte(`{"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100}`))
	f.Add([]byte(`{"model_type":"qwen3_next","hidden_size":64,"num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,
		"vocab_size":100,"num_experts":4,"num_experts_per_tok":2,"moe_intermediate_size":8,"full_attention_interval":4,
		"linear_num_key_heads":2,"linear_key_head_dim":8,"linear_num_value_heads":4,"linear_value_head_dim":8,"linear_conv_kernel_dim":4}`))
	if root := shareddata.Root(); root != "" {
		for _, dir := range []string{"hf_configs", "frontier/config/models"} {
			for _, p := range jsonFiles(f, filepath.Join(root, dir)) {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseHF(data, "fuzz.json")
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("parseHF returned an invalid model: %v", err)
		}
		m.TotalParams()
		m.ActivatedParams()
		m.KVBytesPerToken(2)
		m.LinearStateBytes(2)
		m.PrefillFLOPsPerToken(4096)
		m.DecodeFLOPsPerToken(4096)
		m.VidurParamsPerLayer(2)
		m.ArchitectureDiff(m)
	})
}

func TestHFName(t *testing.T) {
	tests := []struct{ path, nameOrPath, want string }{
		{"models/Qwen3-30B-A3B-tiny.json", "Qwen/Qwen3-30B-A3B", "Qwen3-30B-A3B-tiny"},
		{"dl/config.json", "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"},
		{"Llama-3-8B/config.json", "", "Llama-3-8B"},
		{"Llama-3-8B/config.json", "/home/me/ckpt", "Llama-3-8B"},
		{"config.json", "", "config"},
	}
	for _, tt := range tests {
		if got := hfName(tt.path, tt.nameOrPath); got != tt.want {
			t.Errorf("hfName(%q, %q) = %q, want %q", tt.path, tt.nameOrPath, got, tt.want)
		}
	}
}
