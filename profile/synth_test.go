package profile

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
)

func synthFor(t testing.TB, model, gpu string, p SynthParams) *Dataset {
	t.Helper()
	cat := catalog.Default()
	m, err := cat.Model(model)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cat.GPU(gpu)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Synthesize(m, g, p)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestSynthAgainstVidur reports how far the default roofline is from Vidur's A100
// measurements of Llama-2-7b (mlp.csv) and Llama-3-8B (attention sample), per operator.
// It guards against gross regressions (a unit slip is off by 1000×), not for accuracy:
// a roofline is a stand-in until measurements exist.
func TestSynthAgainstVidur(t *testing.T) {
	cases := []struct{ model, file string }{
		{"meta-llama/Llama-2-7b-hf", "vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv"},
		{"meta-llama/Meta-Llama-3-8B", "vidur_attention_sample/a100/meta-llama/Meta-Llama-3-8B/attention.csv"},
	}
	for _, c := range cases {
		path := shareddata.Path(t, c.file)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		name := "vidur_mlp"
		if filepath.Base(path) == "attention.csv" {
			name = "vidur_attention"
		}
		r, _ := ReaderByName(name)
		res, err := r.Read(Source{Name: c.file, R: f}, Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := DefaultSynthParams()
		p.MaxSeqLen = 16384
		m, _ := catalog.Default().Model(c.model)
		g, _ := catalog.Default().GPU("a100")
		p, err = p.withDefaults(m, g)
		if err != nil {
			t.Fatal(err)
		}
		bpe, _ := catalog.DtypeBytes(p.Dtype)
		s, rf := newShapes(m, bpe), newRoofline(p)
		errs := map[string][]float64{}
		for _, row := range res.Rows {
			var ops []opCost
			if row.NumTokens > 0 {
				ops = s.linearOps(float64(row.NumTokens), float64(row.TP))
			} else {
				ops = s.attentionOps(attnPoint{int(row.BatchSize), int(row.PrefillChunkSize), int(row.KVCacheSize)}, float64(row.TP))
			}
			for _, op := range ops {
				if op.name == row.Operator {
					ms, _ := rf.time(op.flops, op.bytes)
					errs[op.name] = append(errs[op.name], math.Abs(ms-row.MedianMS)/row.MedianMS)
				}
			}
		}
		for _, op := range slices.Sorted(maps.Keys(errs)) {
			e := errs[op]
			slices.Sort(e)
			mean := 0.0
			for _, v := range e {
				mean += v
			}
			mean /= float64(len(e))
			t.Logf("%s %-24s n=%5d MAPE %5.1f%%  median APE %5.1f%%", c.model, op, len(e), 100*mean, 100*e[len(e)/2])
			if e[len(e)/2] > 3 {
				t.Errorf("%s %s: median error %.0f%%: the roofline is off by more than 4x", c.model, op, 100*e[len(e)/2])
			}
		}
	}
}

func TestSynthesize(t *testing.T) {
	cases := []struct {
		model, gpu string
		ops        []string
		absent     []string
	}{
		{"meta-llama/Llama-2-7b-hf", "h200",
			[]string{"attn_pre_proj", "mlp_up_proj", "attn_prefill", "attn_decode", "attn_kv_cache_save", "add"},
			[]string{"moe_grouped_gemm"}},
		{"microsoft/phi-2", "a100", []string{"mlp_act"}, []string{"post_attention_layernorm"}},
		{"Qwen/Qwen3-30B-A3B", "h100",
			[]string{"moe_gating_linear", "moe_gating_routing_topk", "moe_shuffling", "moe_grouped_gemm", "attn_decode"},
			[]string{"mlp_up_proj"}},
		{"deepseek-ai/DeepSeek-V3", "b200", []string{"moe_grouped_gemm", "attn_prefill"}, nil},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			p := DefaultSynthParams()
			p.TP = []int{1, 8}
			if c.model == "microsoft/phi-2" {
				p.TP = []int{1}
			}
			ds := synthFor(t, c.model, c.gpu, p)
			ops := map[string]int{}
			for _, r := range ds.Rows {
				ops[r.Operator]++
				if !r.Synthetic || r.GPU != c.gpu || r.MedianMS <= 0 || math.IsInf(r.MedianMS, 0) || r.Reader != "synth" {
					t.Fatalf("bad row %+v", r)
				}
			}
			for _, op := range c.ops {
				if ops[op] == 0 {
					t.Errorf("no %s rows (have %v)", op, ops)
				}
			}
			for _, op := range c.absent {
				if ops[op] != 0 {
					t.Errorf("%d %s rows, want none", ops[op], op)
				}
			}
			if m := ds.Manifest; m.Synth == nil || m.Synth.PeakTFLOPS == 0 || m.Sources[0].Kind != KindSynthetic {
				t.Errorf("manifest = %+v", m)
			}
		})
	}
}

// TestSynthMonotone checks the roofline's basic physics: more tokens never take less
// time, and more TP never takes more.
func TestSynthMonotone(t *testing.T) {
	ds := synthFor(t, "meta-llama/Meta-Llama-3-8B", "a100", DefaultSynthParams())
	type key struct {
		op string
		tp int64
	}
	last := map[key]float64{}
	for _, r := range ds.Rows { // sorted by operator, then line = grid order
		if r.NumTokens == 0 {
			continue
		}
		k := key{r.Operator, r.TP}
		if r.MedianMS < last[k] {
			t.Fatalf("%s tp %d: %v ms at %d tokens, less than at fewer tokens", r.Operator, r.TP, r.MedianMS, r.NumTokens)
		}
		last[k] = r.MedianMS
	}
	at := func(op string, tp, n int64) float64 {
		for _, r := range ds.Rows {
			if r.Operator == op && r.TP == tp && r.NumTokens == n {
				return r.MedianMS
			}
		}
		t.Fatalf("no %s tp %d n %d", op, tp, n)
		return 0
	}
	if at("mlp_up_proj", 4, 4096) >= at("mlp_up_proj", 1, 4096) {
		t.Error("TP 4 is not faster than TP 1 for a large GEMM")
	}
}

func TestSynthDeterministicAndValidated(t *testing.T) {
	a := synthFor(t, "meta-llama/Llama-2-7b-hf", "a100", DefaultSynthParams())
	b := synthFor(t, "meta-llama/Llama-2-7b-hf", "a100", DefaultSynthParams())
	if !slices.Equal(a.Rows, b.Rows) {
		t.Error("two syntheses differ")
	}
	m, _ := catalog.Default().Model("meta-llama/Llama-2-7b-hf")
	g, _ := catalog.Default().GPU("a100")
	for _, bad := range []func(*SynthParams){
		func(p *SynthParams) { p.TP = []int{3} },
		func(p *SynthParams) { p.ComputeEfficiency = 1.5 },
		func(p *SynthParams) { p.LaunchUS = -1 },
		func(p *SynthParams) { p.Dtype = "fp7" },
	} {
		p := DefaultSynthParams()
		bad(&p)
		if _, err := Synthesize(m, g, p); err == nil {
			t.Errorf("params %+v accepted", p)
		}
	}
}

func TestVidurTokenGrid(t *testing.T) {
	g := vidurTokenGrid(4096)
	// §2.2: 259 distinct num_tokens from 1 to 4096 (mlp.csv has 261 lines per TP: two repeats).
	if len(g) != 259 || g[0] != 1 || g[3] != 8 || g[len(g)-1] != 4096 {
		t.Errorf("grid has %d points, %v ... %v", len(g), g[:4], g[len(g)-1])
	}
	if g := vidurTokenGrid(32768); len(g) != 451 {
		t.Errorf("grid to 32768 has %d points, want 451 (Llama-3 mlp.csv)", len(g))
	}
}
