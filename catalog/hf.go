package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ImportHF reads a Hugging Face config.json and returns the Model it describes, normalized and
// validated. It understands the model types listed in SupportedHFModelTypes, including the key
// spellings of vidur-alibabacloud's edited DeepSeek file (num_routed_experts) and of Frontier's
// Mixtral and StepFun files. The model is named after the file (see hfName); rename it as needed.
func ImportHF(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	m, err := parseHF(data, path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", path, err)
	}
	return m, nil
}

// SupportedHFModelTypes are the config.json model_type values ImportHF reads.
var SupportedHFModelTypes = []string{
	"llama", "mistral", "internlm", "qwen", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen3_next",
	"deepseek_v2", "deepseek_v3", "mixtral", "phi", "phimoe", "step2_mini", "step3_text",
}

// architectureTypes maps the architectures[0] class of configs that omit model_type.
var architectureTypes = map[string]string{
	"LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "InternLMForCausalLM": "internlm",
	"QWenLMHeadModel": "qwen", "Qwen2ForCausalLM": "qwen2", "Qwen2MoeForCausalLM": "qwen2_moe",
	"Qwen3ForCausalLM": "qwen3", "Qwen3MoeForCausalLM": "qwen3_moe", "Qwen3NextForCausalLM": "qwen3_next",
	"DeepseekV2ForCausalLM": "deepseek_v2", "DeepseekV3ForCausalLM": "deepseek_v3",
	"MixtralForCausalLM": "mixtral", "PhiForCausalLM": "phi", "PhiMoEForCausalLM": "phimoe",
	"Step2MiniForCausalLM": "step2_mini", "Step3TextForCausalLM": "step3_text",
}

// maxDim bounds every integer read from a config: far above any real model, low enough that
// products of a few dimensions stay inside int64.
const maxDim = 1 << 24

// hfConfig is a decoded config.json with typed, error-reporting accessors. A JSON null counts
// as absent, as transformers treats it.
type hfConfig struct {
	raw map[string]any
	err error // first error met by an accessor
}

// has reports whether key is present and not null.
func (c *hfConfig) has(key string) bool { return c.raw[key] != nil }

// fail records the first error.
func (c *hfConfig) fail(key, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("field %s: %s", key, fmt.Sprintf(format, args...))
	}
}

// int returns the first present key among keys as an integer, or def when none is present.
func (c *hfConfig) int(def int, keys ...string) int {
	for _, k := range keys {
		v, ok := c.raw[k]
		if !ok || v == nil {
			continue
		}
		n, isNum := v.(json.Number)
		if !isNum {
			c.fail(k, "want an integer, got %s", describe(v))
			return def
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > maxDim {
			c.fail(k, "want an integer below %d, got %s", maxDim, n)
			return def
		}
		return int(f)
	}
	return def
}

// need is int for a key the model cannot do without.
func (c *hfConfig) need(keys ...string) int {
	for _, k := range keys {
		if c.has(k) {
			return c.int(0, k)
		}
	}
	c.fail(strings.Join(keys, " or "), "missing")
	return 0
}

// float returns the first present key among keys as a number, or def.
func (c *hfConfig) float(def float64, keys ...string) float64 {
	for _, k := range keys {
		v, ok := c.raw[k]
		if !ok || v == nil {
			continue
		}
		n, isNum := v.(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		if !isNum || err != nil || math.IsInf(f, 0) {
			c.fail(k, "want a number, got %s", describe(v))
			return def
		}
		return f
	}
	return def
}

// bool returns the first present key among keys as a boolean, or def.
func (c *hfConfig) bool(def bool, keys ...string) bool {
	for _, k := range keys {
		v, ok := c.raw[k]
		if !ok || v == nil {
			continue
		}
		b, isBool := v.(bool)
		if !isBool {
			c.fail(k, "want true or false, got %s", describe(v))
			return def
		}
		return b
	}
	return def
}

// str returns key as a string, or "" when absent.
func (c *hfConfig) str(key string) string {
	v, ok := c.raw[key]
	if !ok || v == nil {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		c.fail(key, "want a string, got %s", describe(v))
	}
	return s
}

// ints returns key as a list of integers: a JSON array, or a comma-separated string (StepFun's
// moe_layers_enum).
func (c *hfConfig) ints(key string) []int {
	v, ok := c.raw[key]
	if !ok || v == nil {
		return nil
	}
	var items []string
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			n, isNum := e.(json.Number)
			if !isNum {
				c.fail(key, "want a list of integers, found %s", describe(e))
				return nil
			}
			items = append(items, string(n))
		}
	case string:
		for s := range strings.SplitSeq(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	default:
		c.fail(key, "want a list of integers, got %s", describe(v))
		return nil
	}
	out := make([]int, 0, len(items))
	for _, s := range items {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxDim {
			c.fail(key, "%q is not a layer index", s)
			return nil
		}
		out = append(out, n)
	}
	return out
}

// describe names a JSON value's type for an error message.
func describe(v any) string {
	switch t := v.(type) {
	case string:
		return strconv.Quote(t)
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return string(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%v", t)
	}
}

// parseHF builds a Model from config.json bytes; src names the file.
func parseHF(data []byte, src string) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return nil, errors.New("not a JSON object")
	}
	c := &hfConfig{raw: raw}

	typ := c.str("model_type")
	if typ == "" {
		if archs, ok := raw["architectures"].([]any); ok && len(archs) > 0 {
			if a, ok := archs[0].(string); ok {
				typ = architectureTypes[a]
			}
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if typ == "" {
		return nil, fmt.Errorf("field model_type: missing, and architectures names no known class (supported model types: %s)",
			strings.Join(SupportedHFModelTypes, ", "))
	}
	if !slices.Contains(SupportedHFModelTypes, typ) {
		return nil, fmt.Errorf("field model_type: %q is not supported (supported: %s)", typ, strings.Join(SupportedHFModelTypes, ", "))
	}

	name := hfName(src, c.str("_name_or_path"))
	m := &Model{
		Name:                  name,
		Family:                typ,
		NumLayers:             c.need("num_hidden_layers", "n_layer", "num_layers"),
		HiddenSize:            c.need("hidden_size", "n_embd"),
		NumQHeads:             c.need("num_attention_heads", "n_head"),
		VocabSize:             c.need("vocab_size"),
		MaxPositionEmbeddings: c.int(0, "max_position_embeddings", "max_seq_len", "seq_length", "n_positions"),
		RopeTheta:             c.float(0, "rope_theta", "rotary_emb_base"),
		PartialRotaryFactor:   c.float(0, "partial_rotary_factor"),
		TieWordEmbeddings:     c.bool(false, "tie_word_embeddings"),
		GatedMLP:              true,
		PostAttnNorm:          true,
		Norm:                  "rms_norm",
		Source:                filepath.Base(src),
	}
	m.NumKVHeads = c.int(m.NumQHeads, "num_key_value_heads", "num_attention_groups", "multi_query_group_num")
	m.HeadDim = c.int(0, "head_dim", "kv_channels")
	m.IntermediateSize = c.int(0, "intermediate_size", "ffn_hidden_size")
	m.Activation = activation(c.str("hidden_act"))
	m.UseQKVBias = c.bool(false, "attention_bias", "qkv_bias", "use_qkv_bias", "bias")
	m.UseBias = c.bool(false, "mlp_bias", "use_bias")

	switch typ {
	case "qwen":
		// Qwen (v1) stores twice the MLP width and halves it in code; it always has q/k/v bias.
		m.IntermediateSize /= 2
		m.UseQKVBias = true
	case "qwen2", "qwen2_moe":
		// Qwen2 attention always has q/k/v bias; some re-exports carry qkv_bias to say otherwise.
		m.UseQKVBias = c.bool(true, "qkv_bias")
	case "internlm":
		m.UseBias = c.bool(false, "bias")
	case "phi":
		m.GatedMLP, m.PostAttnNorm, m.Norm = false, false, "layer_norm"
		m.UseBias, m.UseQKVBias = true, true
	case "phimoe":
		m.Norm = "layer_norm"
	case "qwen3_next":
		m.AttnOutputGate = c.bool(true, "attn_output_gate")
	case "step2_mini", "step3_text":
		m.ShareQDim = c.int(0, "share_q_dim")
	}

	m.WeightDtype, m.KVDtype = hfDtypes(c)
	if c.has("kv_lora_rank") {
		m.MLA = &MLAConfig{
			QLoraRank:     c.int(0, "q_lora_rank"),
			KVLoraRank:    c.need("kv_lora_rank"),
			QKNopeHeadDim: c.need("qk_nope_head_dim"),
			QKRopeHeadDim: c.need("qk_rope_head_dim"),
			VHeadDim:      c.need("v_head_dim"),
		}
		// The per-head width of MLA's values; the query/key width is nope + rope.
		m.HeadDim = m.MLA.VHeadDim
	}
	m.MoE = hfMoE(c, typ, m)
	if c.has("full_attention_interval") || c.has("linear_num_value_heads") {
		m.Hybrid = &HybridConfig{
			FullAttentionInterval: c.need("full_attention_interval"),
			LinearNumKeyHeads:     c.need("linear_num_key_heads"),
			LinearKeyHeadDim:      c.need("linear_key_head_dim"),
			LinearNumValueHeads:   c.need("linear_num_value_heads"),
			LinearValueHeadDim:    c.need("linear_value_head_dim"),
			ConvKernel:            c.need("linear_conv_kernel_dim"),
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	m.normalize()
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	return m, nil
}

// hfName picks the imported model's name. A file named after its model (Frontier's
// Qwen3-30B-A3B-tiny.json, whose profiles live under that name) keeps its file name, since
// _name_or_path there names the model it was cut from. A plain config.json takes
// _name_or_path, else its folder's name.
func hfName(src, nameOrPath string) string {
	base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	if !strings.EqualFold(base, "config") {
		return base
	}
	if nameOrPath != "" && !strings.HasPrefix(nameOrPath, "/") && !strings.HasPrefix(nameOrPath, ".") {
		return nameOrPath
	}
	if dir := filepath.Base(filepath.Dir(src)); dir != "." && dir != string(filepath.Separator) {
		return dir
	}
	return base
}

// hfMoE reads the expert layout, whose keys differ per family; nil for a dense model.
func hfMoE(c *hfConfig, typ string, m *Model) *MoEConfig {
	moe := &MoEConfig{}
	switch typ {
	case "deepseek_v2", "deepseek_v3":
		moe.NumRoutedExperts = c.int(0, "n_routed_experts", "num_routed_experts")
		if moe.NumRoutedExperts == 0 {
			return nil
		}
		moe.NumSharedExperts = c.int(0, "n_shared_experts", "num_shared_experts")
		moe.ExpertIntermediateSize = c.need("moe_intermediate_size")
		moe.FirstDenseLayers = c.int(0, "first_k_dense_replace")
		// DeepSeek's rule is layer % freq == 0 past the dense prefix, not Qwen's (layer+1) % freq,
		// so anything but freq 1 becomes an explicit list.
		if freq := c.int(1, "moe_layer_freq"); freq > 1 {
			for i := moe.FirstDenseLayers; i < m.NumLayers; i++ {
				if i%freq == 0 {
					moe.Layers = append(moe.Layers, i)
				}
			}
		}
	case "qwen2_moe", "qwen3_moe", "qwen3_next":
		moe.NumRoutedExperts = c.int(0, "num_experts")
		if moe.NumRoutedExperts == 0 {
			return nil
		}
		moe.ExpertIntermediateSize = c.need("moe_intermediate_size")
		if s := c.int(0, "shared_expert_intermediate_size"); s > 0 {
			moe.NumSharedExperts, moe.SharedExpertIntermediate = 1, s
		}
		step := c.int(1, "decoder_sparse_step")
		if dense := c.ints("mlp_only_layers"); len(dense) > 0 {
			for i := range m.NumLayers {
				if !slices.Contains(dense, i) && (step <= 1 || (i+1)%step == 0) {
					moe.Layers = append(moe.Layers, i)
				}
			}
		} else if step > 1 {
			moe.LayerFrequency = step
		}
	case "mixtral", "phimoe":
		moe.NumRoutedExperts = c.int(0, "num_local_experts", "num_experts")
		if moe.NumRoutedExperts == 0 {
			return nil
		}
		moe.ExpertIntermediateSize = c.need("moe_intermediate_size", "intermediate_size")
	case "step2_mini", "step3_text":
		if !c.bool(false, "use_moe") {
			return nil
		}
		moe.NumRoutedExperts = c.need("moe_num_experts", "num_experts")
		moe.ExpertIntermediateSize = c.need("moe_intermediate_size")
		if s := c.int(0, "share_expert_dim"); s > 0 {
			moe.NumSharedExperts, moe.SharedExpertIntermediate = 1, s
		}
		// Step-3 tests membership (layer_idx in moe_layers_enum), so configs cut to fewer
		// layers keep the full list: indices past the last layer name nothing.
		for _, l := range c.ints("moe_layers_enum") {
			if l < m.NumLayers {
				moe.Layers = append(moe.Layers, l)
			}
		}
	default:
		return nil
	}
	moe.NumExpertsPerToken = c.need("num_experts_per_tok", "moe_top_k")
	if typ == "step2_mini" || typ == "step3_text" {
		moe.NumExpertsPerToken = c.int(moe.NumExpertsPerToken, "moe_top_k")
	}
	return moe
}

// hfDtypes returns the weight and KV-cache dtypes: the checkpoint's quantization format when
// there is one, else torch_dtype (dtype in newer transformers); the cache keeps torch_dtype.
func hfDtypes(c *hfConfig) (weight, kv string) {
	kv = "bf16"
	for _, key := range []string{"torch_dtype", "dtype"} {
		if s := c.str(key); s != "" {
			if d := canonicalDtype(s); d != "" {
				kv = d
			} else {
				c.fail(key, "dtype %q is not one of fp32, fp16, bf16, fp8", s)
			}
			break
		}
	}
	weight = kv
	q, ok := c.raw["quantization_config"].(map[string]any)
	if !ok {
		return weight, kv
	}
	method, _ := q["quant_method"].(string)
	switch strings.ToLower(method) {
	case "":
		// A quantization_config with a null method (StepFun's unquantized exports) means none.
	case "fp8", "fbgemm_fp8":
		weight = "fp8"
	case "mxfp4", "nvfp4", "modelopt_fp4":
		weight = "fp4"
	default:
		c.fail("quantization_config.quant_method", "%q is not supported (fp8, fbgemm_fp8, mxfp4)", method)
	}
	return weight, kv
}

// activation maps hidden_act spellings onto the catalog's names.
func activation(act string) string {
	switch strings.ToLower(act) {
	case "", "silu", "swish", "swiglu":
		return "silu"
	case "gelu", "gelu_new", "gelu_fast", "gelu_python":
		return "gelu"
	case "gelu_pytorch_tanh", "gelu_tanh":
		return "gelu_tanh"
	case "relu":
		return "relu"
	default:
		return act // Validate names it
	}
}
