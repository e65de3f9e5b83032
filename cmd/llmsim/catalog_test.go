package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
)

// runCatalog executes "llmsim catalog args..." and returns its output.
func runCatalog(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"catalog"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

func TestCatalogCommands(t *testing.T) {
	userFile := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(userFile, []byte(`gpus:
  - {name: mi300x, vendor: amd, memory_gb: 192, bf16_tflops: 1307.4, hbm_gbps: 5300}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"models"}, []string{
			"NAME", "KV B/TOKEN",
			"meta-llama/Llama-2-7b-hf", "6.74B", "524,288 (fp16)",
			"deepseek-ai/DeepSeek-V3", "deepseek-671B", "671B", "37.6B", "70,272 (bf16)", "256 top-8 +1",
			"mistralai/Mixtral-8x7B-v0.1",
		}},
		{[]string{"gpus"}, []string{"a100-80gb", "989.4", "1978.9", "rtx_pro_6000"}},
		{[]string{"nodes"}, []string{"a40_pairwise_nvlink", "h100_dgx", "b200_dgx", "56.25"}},
		{[]string{"show", "deepseek-671B"}, []string{
			"deepseek-ai/DeepSeek-V3", "61 (3 dense, 58 MoE)", "671B total", "37.6B activated",
			"70,272 bytes per token (bf16)", "671 GB at fp8",
		}},
		{[]string{"show", "qwen3-next-80B"}, []string{"12 full attention, 36 Gated DeltaNet", "24,576 bytes per token (bf16)", "39,518,208 bytes per request"}},
		{[]string{"show", "H100"}, []string{"989.4 TFLOP/s", "3350 GB/s", "h100_dgx"}},
		{[]string{"show", "a100_dgx"}, []string{"8 × a100", "300 GB/s", "25 GB/s per GPU, each direction (200 Gb/s)"}},
		{[]string{"gpus", "--catalog", userFile}, []string{"mi300x", "1307.4"}},
		{[]string{"show", "mi300x", "--catalog", userFile}, []string{"192 GB"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := runCatalog(t, tt.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestCatalogCommandErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("gpus:\n  - name: x\n    memroy_gb: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"show", "llama-7b"}, []string{`unknown model "llama-7b"`, "meta-llama/Llama-2-7b-hf", `unknown gpu "llama-7b"`}},
		{[]string{"models", "--catalog", bad}, []string{"bad.yaml", `unknown key "memroy_gb"`}},
		{[]string{"import", filepath.Join(t.TempDir(), "absent.json")}, []string{"absent.json"}},
		{[]string{"show"}, []string{"accepts 1 arg"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := runCatalog(t, tt.args...)
			if err == nil {
				t.Fatal("command succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestCatalogImportRoundTrip imports a config.json, writes the printed YAML as a catalog file
// and loads it back: the entry must be the same network.
func TestCatalogImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"_name_or_path":"acme/Moe-Mini","model_type":"qwen3_moe","hidden_size":1024,
		"num_hidden_layers":8,"num_attention_heads":16,"num_key_value_heads":4,"head_dim":64,"intermediate_size":4096,
		"vocab_size":32000,"num_experts":16,"num_experts_per_tok":2,"moe_intermediate_size":512,"mlp_only_layers":[0],
		"torch_dtype":"bfloat16"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCatalog(t, "import", cfg, "--alias", "moe-mini")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	yamlFile := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(yamlFile, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Load(yamlFile)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got, err := c.Model("moe-mini")
	if err != nil {
		t.Fatal(err)
	}
	want, err := catalog.ImportHF(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "acme/Moe-Mini" {
		t.Errorf("name = %q, want acme/Moe-Mini", got.Name)
	}
	if diff := got.ArchitectureDiff(want); len(diff) > 0 {
		t.Errorf("round trip changed the architecture: %v", diff)
	}
	if got.NumMoELayers() != 7 {
		t.Errorf("MoE layers = %d, want 7 (layer 0 is dense)", got.NumMoELayers())
	}
}

func TestCatalogFormatting(t *testing.T) {
	counts := []struct {
		n    int64
		want string
	}{{671026404352, "671B"}, {37552282624, "37.6B"}, {6738415616, "6.74B"}, {68976648192, "69B"}, {999, "999"}, {1500, "1.5K"}, {1_200_000_000_000, "1.2T"}}
	for _, tt := range counts {
		if got := catalogCount(tt.n); got != tt.want {
			t.Errorf("catalogCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	commas := []struct {
		n    int64
		want string
	}{{70272, "70,272"}, {0, "0"}, {999, "999"}, {1000, "1,000"}, {-1234567, "-1,234,567"}}
	for _, tt := range commas {
		if got := catalogCommas(tt.n); got != tt.want {
			t.Errorf("catalogCommas(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
