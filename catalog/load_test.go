package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultContents(t *testing.T) {
	c := Default()
	if got := len(c.Models()); got != 14 {
		t.Errorf("built-in models = %d, want 14", got)
	}
	if got := len(c.GPUs()); got != 11 {
		t.Errorf("built-in GPUs = %d, want 11", got)
	}
	if got := len(c.Nodes()); got != 11 {
		t.Errorf("built-in nodes = %d, want 11", got)
	}
	for _, g := range c.GPUs() {
		if g.Source == "" {
			t.Errorf("gpu %s cites no source", g.Name)
		}
	}
	for _, n := range c.Nodes() {
		if n.Source == "" {
			t.Errorf("node %s cites no source", n.Name)
		}
	}
	for _, m := range c.Models() {
		if m.Source == "" {
			t.Errorf("model %s cites no source", m.Name)
		}
	}
	// Vidur's device and node names must all resolve (reference §8.4).
	for _, n := range []string{"a40_pairwise_nvlink", "a100_pairwise_nvlink", "h100_pairwise_nvlink", "a100_dgx", "h100_dgx", "h800_dgx", "h20_dgx"} {
		if _, err := c.Node(n); err != nil {
			t.Error(err)
		}
	}
}

func TestDefaultReturnsIndependentCopies(t *testing.T) {
	a, b := Default(), Default()
	ma, _ := a.Model("llama-2-7b")
	ma.NumLayers = 1
	mb, _ := b.Model("llama-2-7b")
	if mb.NumLayers != 32 {
		t.Error("modifying one Default() catalog changed another")
	}
}

func TestLookup(t *testing.T) {
	c := Default()
	models := []struct{ query, want string }{
		{"meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-hf"},
		{"META-LLAMA/llama-2-7B-HF", "meta-llama/Llama-2-7b-hf"},
		{"llama-2-7b", "meta-llama/Llama-2-7b-hf"},
		{"Llama-2-7b-hf", "meta-llama/Llama-2-7b-hf"}, // bare repository name
		{"deepseek-671B", "deepseek-ai/DeepSeek-V3"},
		{"deepseek-v3", "deepseek-ai/DeepSeek-V3"},
		{"Qwen3-Moe-235B", "Qwen/Qwen3-235B-A22B"},
		{"qwen3-moe-235B", "Qwen/Qwen3-235B-A22B"},
		{"Qwen3-Next-80B", "Qwen/Qwen3-Next-80B-A3B-Instruct"},
		{"qwen3-next-80B", "Qwen/Qwen3-Next-80B-A3B-Instruct"},
		{"phi-2", "microsoft/phi-2"},
	}
	for _, tt := range models {
		m, err := c.Model(tt.query)
		if err != nil {
			t.Errorf("Model(%q): %v", tt.query, err)
		} else if m.Name != tt.want {
			t.Errorf("Model(%q) = %s, want %s", tt.query, m.Name, tt.want)
		}
	}
	gpus := []struct{ query, want string }{{"a100", "a100"}, {"A100-80GB", "a100"}, {"h100-sxm", "h100"}, {"RTX_PRO_6000", "rtx_pro_6000"}}
	for _, tt := range gpus {
		g, err := c.GPU(tt.query)
		if err != nil || g.Name != tt.want {
			t.Errorf("GPU(%q) = %v, %v; want %s", tt.query, g, err, tt.want)
		}
	}
	if n, err := c.NodeForGPU("h100"); err != nil || n.Name != "h100_dgx" {
		t.Errorf("NodeForGPU(h100) = %v, %v; want h100_dgx", n, err)
	}
	if n, err := c.NodeForGPU("a40"); err != nil || n.Name != "a40_pairwise_nvlink" {
		t.Errorf("NodeForGPU(a40) = %v, %v; want a40_pairwise_nvlink", n, err)
	}
	if _, err := c.NodeForGPU("l40s"); err == nil || !strings.Contains(err.Error(), "no node holds gpu l40s") {
		t.Errorf("NodeForGPU(l40s) error = %v", err)
	}
}

func TestUnknownNames(t *testing.T) {
	c := Default()
	tests := []struct {
		lookup func() error
		want   []string
	}{
		{func() error { _, err := c.Model("llama-7b"); return err }, []string{`unknown model "llama-7b"`, "did you mean meta-llama/Llama-2-7b-hf", "--catalog", "llmsim catalog import"}},
		{func() error { _, err := c.Model("gpt-5"); return err }, []string{"known models: meta-llama/Llama-2-7b-hf", "mistralai/Mixtral-8x7B-v0.1"}},
		{func() error { _, err := c.GPU("h300"); return err }, []string{`unknown gpu "h300"`, "h100", "--catalog"}},
		{func() error { _, err := c.Node("h100-dgx"); return err }, []string{`unknown node "h100-dgx"`, "did you mean h100_dgx"}},
	}
	for _, tt := range tests {
		wantError(t, "lookup of an unknown name", tt.lookup(), tt.want...)
	}
}

// wantError fails t unless err is an error whose message contains every one of want;
// call names what should have failed.
func wantError(t *testing.T, call string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal(call + " succeeded")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// writeFile writes body to a file called name in a fresh temporary folder and returns
// its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const userModel = `
models:
  - name: acme/Tiny-1B
    aliases: [tiny]
    num_layers: 16
    hidden_size: 2048
    num_q_heads: 32
    num_kv_heads: 8
    intermediate_size: 8192
    gated_mlp: true
    vocab_size: 32000
gpus:
  - name: mi300x
    vendor: amd
    memory_gb: 192
    bf16_tflops: 1307.4
    fp8_tflops: 2614.9
    hbm_gbps: 5300
    nvlink_gbps: 0
nodes:
  - name: mi300x_8
    gpu: mi300x
    gpus_per_node: 8
    intra_node_gbps: 448
    inter_node_gbps: 50
`

func TestLoadUserFile(t *testing.T) {
	c, err := Load(writeFile(t, "mine.yaml", userModel))
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Model("TINY")
	if err != nil {
		t.Fatal(err)
	}
	// Defaults filled in by normalization.
	if m.HeadDim != 64 || m.Attention != GQA || m.WeightDtype != "bf16" || m.KVDtype != "bf16" || m.Norm != "rms_norm" {
		t.Errorf("normalized model = head_dim %d, attention %s, dtypes %s/%s, norm %s", m.HeadDim, m.Attention, m.WeightDtype, m.KVDtype, m.Norm)
	}
	if len(c.Models()) != 15 {
		t.Errorf("models = %d, want 14 built-ins + 1", len(c.Models()))
	}
	if n, err := c.NodeForGPU("mi300x"); err != nil || n.Name != "mi300x_8" {
		t.Errorf("NodeForGPU(mi300x) = %v, %v", n, err)
	}
	// The built-in catalog is untouched.
	if _, err := Default().Model("tiny"); err == nil {
		t.Error("a user entry leaked into Default()")
	}
}

func TestLoadReplacesByName(t *testing.T) {
	p := writeFile(t, "a100.yaml", `
gpus:
  - name: A100
    vendor: nvidia
    memory_gb: 80
    bf16_tflops: 280
    hbm_gbps: 2039
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.GPU("a100")
	if err != nil {
		t.Fatal(err)
	}
	if g.BF16TFLOPS != 280 {
		t.Errorf("a100 bf16_tflops = %g, want the user's 280", g.BF16TFLOPS)
	}
	if len(c.GPUs()) != len(Default().GPUs()) {
		t.Error("replacing an entry changed the number of GPUs")
	}
	// The replacement carries no aliases, so the built-in alias is gone with the entry.
	if _, err := c.GPU("a100-80gb"); err == nil {
		t.Error("the replaced entry's alias still resolves")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"typo.yaml", "models:\n  - name: x\n    num_layer: 4\n", []string{"typo.yaml", "line 3", `unknown key "num_layer"`, "model entry"}},
		{"top.yaml", "model:\n  - name: x\n", []string{"top.yaml", `unknown key "model"`}},
		{"gpu.yaml", "gpus:\n  - name: g\n    memory: 80\n", []string{"gpu.yaml", `unknown key "memory"`, "gpu entry"}},
		{"invalid.yaml", "models:\n  - name: x\n    num_layers: 4\n    hidden_size: 100\n    num_q_heads: 3\n    vocab_size: 10\n    intermediate_size: 8\n", []string{"invalid.yaml", "model x", "head_dim must be positive"}},
		{"dup.yaml", "gpus:\n  - {name: g, memory_gb: 1, bf16_tflops: 1, hbm_gbps: 1}\n  - {name: G, memory_gb: 1, bf16_tflops: 1, hbm_gbps: 1}\n", []string{"dup.yaml", `gpu "G" is defined twice`}},
		{"alias.yaml", "gpus:\n  - {name: g, aliases: [h100-sxm], memory_gb: 1, bf16_tflops: 1, hbm_gbps: 1}\n", []string{`gpu name "h100-sxm" is used by both h100 and g`}},
		{"node.yaml", "nodes:\n  - {name: n, gpu: tpu, gpus_per_node: 4, intra_node_gbps: 10}\n", []string{`node n: gpu "tpu" is not in the catalog`}},
		{"syntax.yaml", "models: [\n", []string{"syntax.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.name, tt.body))
			wantError(t, "Load", err, tt.want...)
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error = %v", err)
	}
	if c, err := Load(writeFile(t, "empty.yaml", "")); err != nil || len(c.Models()) != 14 {
		t.Errorf("empty file: %v", err)
	}
}

// FuzzCatalogYAML feeds arbitrary bytes to the catalog file reader: an error or a catalog whose
// every model survives the derived quantities, never a panic.
func FuzzCatalogYAML(f *testing.F) {
	for _, name := range []string{"models.yaml", "gpus.yaml", "nodes.yaml"} {
		data, err := builtin.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(userModel))
	f.Add([]byte("models:\n  - name: x\n    num_layer: 4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		if err := c.add(bytes.NewReader(data), "fuzz.yaml"); err != nil {
			return
		}
		if err := c.check(); err != nil {
			return
		}
		for _, m := range c.Models() {
			m.TotalParams()
			m.KVBytesPerToken(2)
			m.LinearStateBytes(2)
			m.DecodeFLOPsPerToken(1024)
		}
		for _, g := range c.GPUs() {
			if _, err := c.NodeForGPU(g.Name); err != nil && !strings.Contains(err.Error(), "no node holds") {
				t.Fatal(err)
			}
		}
	})
}
