package train

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/profile"
)

// opClass says which rows an operator is trained on and which features it has.
type opClass int

const (
	classDense      opClass = iota // GEMMs, norms, activations: num_tokens
	classKVSave                    // attn_kv_cache_save: num_tokens = max(chunk, batch)
	classPrefill                   // attn_prefill: kv_cache_size, prefill_chunk_size²
	classDecode                    // attn_decode: batch_size, kv_cache_size
	classCollective                // bytes, group_size, ranks_per_node
	classMoE                       // num_tokens, ep, routing_skew
	classSequences                 // linear_attn_state: batch_size (sequences whose state is read and written)
)

// OpSpec describes how one operator is learnt.
type OpSpec struct {
	Op    string
	class opClass
	// Required operators make training fail when the dataset lacks them; optional ones
	// are trained when present and recorded as absent otherwise.
	Required bool
	// Features are the model's input columns, in order.
	Features []string
}

// Feature names as they appear in manifests and grids.
const (
	FeatNumTokens     = "num_tokens"
	FeatBatchSize     = "batch_size"
	FeatKVCacheSize   = "kv_cache_size"
	FeatChunkSquared  = "prefill_chunk_size_squared"
	FeatChunk         = "prefill_chunk_size"
	FeatBytes         = "bytes"
	FeatGroupSize     = "group_size"
	FeatRanksPerNode  = "ranks_per_node"
	FeatEP            = "ep"
	FeatRoutingSkew   = "routing_skew"
	targetMedianMSCol = "median_ms"
)

var (
	denseOps      = []string{"attn_pre_proj", "attn_post_proj", "attn_rope", "mlp_up_proj", "mlp_down_proj", "mlp_act", "input_layernorm", "post_attention_layernorm", "add"}
	collectiveOps = []string{"all_reduce", "send_recv", "all_gather", "reduce_scatter", "all_to_all"}
	moeOps        = []string{"moe_gating_linear", "moe_gating_routing_topk", "moe_shuffling", "moe_grouped_gemm"}
	// Shared experts (Frontier's linear_op.csv) and Gated DeltaNet layers (profile synth).
	sharedExpertOps = []string{"share_expert_up_proj", "share_expert_act", "share_expert_down_proj"}
	linearAttnOps   = []string{"linear_attn_pre_proj", "linear_attn_scan", "linear_attn_post_proj"}
)

// Operators returns the operators a model is trained on, as Vidur's predictor derives
// them (reference §3.2): the dense block ops, the three attention ops, the collectives,
// and for MoE models the expert ops. Operators a model may lack are optional: the
// post-attention norm (models without one), attn_kv_cache_save (older attention.csv
// files have no such column; Vidur then predicts 0), collectives (a TP-1, PP-1
// deployment needs none), and the MoE ops.
func Operators(m catalog.Model) []OpSpec {
	var specs []OpSpec
	allMoE := m.IsMoE() && m.NumMoELayers() == m.NumLayers
	for _, op := range denseOps {
		req := op != "post_attention_layernorm" || m.PostAttnNorm
		if allMoE && strings.HasPrefix(op, "mlp_") {
			req = false // no dense MLP layer to price
		}
		specs = append(specs, OpSpec{Op: op, class: classDense, Required: req, Features: []string{FeatNumTokens}})
	}
	specs = append(specs,
		OpSpec{Op: "attn_kv_cache_save", class: classKVSave, Features: []string{FeatNumTokens}},
		OpSpec{Op: "attn_prefill", class: classPrefill, Required: true, Features: []string{FeatKVCacheSize, FeatChunkSquared}},
		OpSpec{Op: "attn_decode", class: classDecode, Required: true, Features: []string{FeatBatchSize, FeatKVCacheSize}},
	)
	for _, op := range collectiveOps {
		specs = append(specs, OpSpec{Op: op, class: classCollective, Features: []string{FeatBytes, FeatGroupSize, FeatRanksPerNode}})
	}
	if m.MoE != nil {
		for _, op := range moeOps {
			specs = append(specs, OpSpec{Op: op, class: classMoE, Features: []string{FeatNumTokens, FeatEP, FeatRoutingSkew}})
		}
		if m.MoE.NumSharedExperts > 0 {
			for _, op := range sharedExpertOps {
				specs = append(specs, OpSpec{Op: op, class: classDense, Required: true, Features: []string{FeatNumTokens}})
			}
		}
	}
	if m.IsHybrid() {
		for _, op := range linearAttnOps {
			specs = append(specs, OpSpec{Op: op, class: classDense, Required: true, Features: []string{FeatNumTokens}})
		}
		specs = append(specs, OpSpec{Op: "linear_attn_state", class: classSequences, Required: true, Features: []string{FeatBatchSize}})
	}
	return specs
}

// Selection says which rows of a dataset one training run uses.
type Selection struct {
	GPU       string // compute rows: Row.GPU
	Network   string // collective rows: Row.Network; "" accepts a single network
	TP        int
	BlockSize int // attention rows; 0 accepts any (Vidur: the scheduler's block size, 16)
}

// table is an operator's training table: one feature vector and target per row.
type table struct {
	x    [][]float64
	y    []float64
	rows []*profile.Row // source rows, for error messages
	// synthetic is true when every row came from profile synth (roofline).
	synthetic bool
}

// keyFilter is one equality filter of Vidur's predictor (§3.1).
type keyFilter struct {
	name string
	want int64
	get  func(*profile.Row) int64
	// zeroMatches: a row value of 0 means "not recorded" and matches any wanted value.
	zeroMatches bool
}

func boolKey(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ErrNoRows is wrapped by errors for an operator absent from the dataset.
var ErrNoRows = fmt.Errorf("no rows")

// ErrFilteredOut matches (errors.Is) the error for an operator whose rows all fail one
// of the model's key filters: another TP degree, another shape.
var ErrFilteredOut = errors.New("no rows match the model's keys")

// filterError is the error of a key filter that keeps nothing; it names the key.
type filterError struct{ msg string }

func (e *filterError) Error() string        { return e.msg }
func (e *filterError) Is(target error) bool { return target == ErrFilteredOut }

// selectRows builds the training table of spec from rows. Measured rows that match the
// model, GPU and TP win; profile synth's rows (a measured dataset trained together with a
// roofline one) fill only the operators for which none does. The choice is made after
// the key filters, so that another model's or TP's measurements never hide the roofline
// rows of this one.
func selectRows(rows []profile.Row, spec OpSpec, m catalog.Model, sel Selection) (*table, error) {
	var measured, synthetic []*profile.Row
	for i := range rows {
		switch r := &rows[i]; {
		case r.Operator != spec.Op:
		case r.Synthetic:
			synthetic = append(synthetic, r)
		default:
			measured = append(measured, r)
		}
	}
	if len(measured)+len(synthetic) == 0 {
		return nil, fmt.Errorf("train: %s: %w for this operator in the dataset", spec.Op, ErrNoRows)
	}
	if len(measured) > 0 {
		t, err := selectFrom(measured, spec, m, sel)
		if err == nil || len(synthetic) == 0 || !errors.Is(err, ErrFilteredOut) {
			return t, err
		}
	}
	return selectFrom(synthetic, spec, m, sel)
}

// selectFrom filters cand (rows of spec's operator) by the model's keys and one
// measurement regime, and builds the table.
func selectFrom(cand []*profile.Row, spec OpSpec, m catalog.Model, sel Selection) (*table, error) {
	var filters []keyFilter
	tp := int64(sel.TP)
	switch spec.class {
	case classDense, classSequences:
		inter := int64(m.IntermediateSize)
		if m.MoE != nil && !slices.ContainsFunc(cand, func(r *profile.Row) bool { return r.IntermediateSize == inter }) {
			// MoE models' linear_op.csv profiles the expert MLP width.
			inter = int64(m.MoE.ExpertIntermediateSize)
		}
		// Vidur also filters on vocab_size, but its model configs pad the vocabulary
		// (Llama-2: 32768 where the checkpoint has 32000) and no per-layer operator
		// depends on it: rows of the catalog's vocabulary are preferred when there are
		// any, else the key is ignored.
		vocab := int64(m.VocabSize)
		if !slices.ContainsFunc(cand, func(r *profile.Row) bool { return r.VocabSize == vocab }) {
			vocab = 0
		}
		filters = []keyFilter{
			{name: "gpu", get: nil},
			{name: "vocab_size", want: vocab, get: func(r *profile.Row) int64 {
				if vocab == 0 {
					return 0
				}
				return r.VocabSize
			}, zeroMatches: true},
			{name: "num_q_heads", want: int64(m.NumQHeads), get: func(r *profile.Row) int64 { return r.NumQHeads }},
			{name: "num_kv_heads", want: int64(m.NumKVHeads), get: func(r *profile.Row) int64 { return r.NumKVHeads }},
			{name: "hidden_size", want: int64(m.HiddenSize), get: func(r *profile.Row) int64 { return r.HiddenSize }},
			{name: "intermediate_size", want: inter, get: func(r *profile.Row) int64 { return r.IntermediateSize }},
			{name: "gated_mlp", want: boolKey(m.GatedMLP), get: func(r *profile.Row) int64 { return boolKey(r.GatedMLP) }},
			{name: "tp", want: tp, get: func(r *profile.Row) int64 { return r.TP }},
		}
	case classKVSave, classPrefill, classDecode:
		filters = []keyFilter{
			{name: "gpu", get: nil},
			{name: "hidden_size", want: int64(m.HiddenSize), get: func(r *profile.Row) int64 { return r.HiddenSize }},
			{name: "num_q_heads", want: int64(m.NumQHeads), get: func(r *profile.Row) int64 { return r.NumQHeads }},
			{name: "num_kv_heads", want: int64(m.NumKVHeads), get: func(r *profile.Row) int64 { return r.NumKVHeads }},
			{name: "tp", want: tp, get: func(r *profile.Row) int64 { return r.TP }},
		}
		if sel.BlockSize > 0 {
			filters = append(filters, keyFilter{name: "block_size", want: int64(sel.BlockSize), get: func(r *profile.Row) int64 { return r.BlockSize }, zeroMatches: true})
		}
	case classMoE:
		filters = []keyFilter{
			{name: "gpu", get: nil},
			{name: "hidden_size", want: int64(m.HiddenSize), get: func(r *profile.Row) int64 { return r.HiddenSize }},
			{name: "num_experts", want: int64(m.MoE.NumRoutedExperts), get: func(r *profile.Row) int64 { return r.NumExperts }},
			{name: "experts_per_token", want: int64(m.MoE.NumExpertsPerToken), get: func(r *profile.Row) int64 { return r.ExpertsPerToken }},
			{name: "expert_hidden_size", want: int64(m.MoE.ExpertIntermediateSize), get: func(r *profile.Row) int64 { return r.ExpertHiddenSize }},
			{name: "tp", want: tp, get: func(r *profile.Row) int64 { return r.TP }},
		}
	case classCollective:
		filters = []keyFilter{{name: "network", get: nil}}
	}
	for _, f := range filters {
		var kept []*profile.Row
		var have []string
		switch {
		case f.name == "gpu":
			for _, r := range cand {
				if r.GPU == sel.GPU {
					kept = append(kept, r)
				} else {
					have = append(have, r.GPU)
				}
			}
			if len(kept) == 0 {
				return nil, emptyFilter(spec.Op, "gpu", sel.GPU, have)
			}
		case f.name == "network":
			nets := map[string]bool{}
			for _, r := range cand {
				nets[r.Network] = true
			}
			want := sel.Network
			if want == "" {
				if len(nets) > 1 {
					return nil, fmt.Errorf("train: %s: the dataset holds collectives of several networks (%s); choose one", spec.Op, strings.Join(sortedKeys(nets), ", "))
				}
				want = sortedKeys(nets)[0]
			}
			for _, r := range cand {
				if r.Network == want {
					kept = append(kept, r)
				} else {
					have = append(have, r.Network)
				}
			}
			if len(kept) == 0 {
				return nil, emptyFilter(spec.Op, "network", want, have)
			}
		default:
			for _, r := range cand {
				if v := f.get(r); v == f.want || (f.zeroMatches && v == 0) {
					kept = append(kept, r)
				} else {
					have = append(have, strconv.FormatInt(v, 10))
				}
			}
			if len(kept) == 0 {
				return nil, emptyFilter(spec.Op, f.name, strconv.FormatInt(f.want, 10), have)
			}
		}
		cand = kept
	}
	// The regime is chosen among this model's, GPU's and TP's rows only: another GPU
	// measured only one way must not decide this one's.
	if spec.class != classCollective {
		var err error
		if cand, err = keepOneRegime(spec.Op, cand); err != nil {
			return nil, err
		}
	}
	t := &table{synthetic: true}
	for _, r := range cand {
		var x []float64
		switch spec.class {
		case classSequences:
			x = []float64{float64(r.BatchSize)}
		case classDense, classMoE:
			x = []float64{float64(r.NumTokens)}
			if spec.class == classMoE {
				x = append(x, float64(max(r.EP, 1)), r.RoutingSkew)
			}
		case classKVSave:
			x = []float64{float64(max(r.PrefillChunkSize, r.BatchSize))}
		case classPrefill:
			if r.PrefillChunkSize <= 0 {
				continue
			}
			c := float64(r.PrefillChunkSize)
			x = []float64{float64(r.KVCacheSize), c * c}
		case classDecode:
			if r.PrefillChunkSize != 0 {
				continue
			}
			x = []float64{float64(r.BatchSize), float64(r.KVCacheSize)}
		case classCollective:
			x = []float64{float64(r.Bytes), float64(r.GroupSize), float64(r.RanksPerNode)}
		}
		if math.IsNaN(r.MedianMS) || math.IsInf(r.MedianMS, 0) || r.MedianMS < 0 {
			return nil, fmt.Errorf("train: %s: %s:%d: target %s is %v", spec.Op, r.Source, r.Line, targetMedianMSCol, r.MedianMS)
		}
		t.x = append(t.x, x)
		t.y = append(t.y, r.MedianMS)
		t.rows = append(t.rows, r)
		t.synthetic = t.synthetic && r.Synthetic
	}
	if len(t.y) == 0 {
		what := "prefill_chunk_size > 0"
		if spec.class == classDecode {
			what = "prefill_chunk_size == 0"
		}
		return nil, fmt.Errorf("train: %s: %d rows match the model's keys but none has %s", spec.Op, len(cand), what)
	}
	return t, nil
}

// measurementRegime is a key column of Row.Extra whose values are different ways of
// measuring an operator, not features of it. Frontier's moe.csv times the router both
// with the real logit top-k (routing_assignment_policy logit_topk, the
// standard_fused_topk kernel) and with a balanced round-robin assignment through
// another kernel, whose top-k takes 0.35 ms where the real one takes 0.07; it times the
// gating both standalone and after an FFN-like prefix (gating_runtime_context
// prefill_hot); the *_kernel_only.csv files time kernels without launch gaps
// (measurement_type KERNEL_ONLY). Rows of several regimes under the same features make
// the target look like noise to every predictor, so one regime is kept: the preferred
// value, which is what the simulator prices — a server's router, timed with CUDA events
// around the operator as Vidur's profiler times it.
type measurementRegime struct{ key, prefer string }

var measurementRegimes = []measurementRegime{
	{"measurement_type", "CUDA_EVENT"},
	{"routing_assignment_policy", "logit_topk"},
	{"gating_runtime_context", "standalone_legacy"},
}

// keepOneRegime drops the rows of non-preferred regimes when cand mixes regimes. Rows
// without the column (older files, other sources) are kept. Several regimes none of
// which is the preferred one are an error: there is no principled choice among them.
func keepOneRegime(op string, cand []*profile.Row) ([]*profile.Row, error) {
	extras := make([]map[string]string, len(cand))
	for i, r := range cand {
		if r.Extra != "" {
			extras[i] = profile.ParseExtra(r.Extra)
		}
	}
	for _, reg := range measurementRegimes {
		vals := map[string]bool{}
		for _, e := range extras {
			if v := e[reg.key]; v != "" {
				vals[v] = true
			}
		}
		if len(vals) < 2 {
			continue
		}
		if !vals[reg.prefer] {
			return nil, fmt.Errorf("train: %s: the rows mix %s %s and none is %s; ingest one of them", op, reg.key, strings.Join(sortedKeys(vals), ", "), reg.prefer)
		}
		var keptRows []*profile.Row
		var keptExtras []map[string]string
		for i, e := range extras {
			if v := e[reg.key]; v == "" || v == reg.prefer {
				keptRows = append(keptRows, cand[i])
				keptExtras = append(keptExtras, e)
			}
		}
		cand, extras = keptRows, keptExtras
	}
	return cand, nil
}

func emptyFilter(op, key, want string, have []string) error {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	vals := sortedKeys(set)
	if len(vals) > 12 {
		vals = append(vals[:12], "…")
	}
	return &filterError{fmt.Sprintf("train: %s: no rows with %s = %s (the dataset's %s rows have %s %s)", op, key, want, op, key, strings.Join(vals, ", "))}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		ai, ea := strconv.ParseInt(a, 10, 64)
		bi, eb := strconv.ParseInt(b, 10, 64)
		if ea == nil && eb == nil {
			return int(min(max(ai-bi, -1), 1))
		}
		return strings.Compare(a, b)
	})
	return out
}
