package train

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/profile"
)

// This file reads Vidur's raw CSVs straight into dataset rows, so that the tests do not
// depend on the profile stage: it is a test fixture, not a reader (profile owns those).

// llama2_7b is meta-llama/Llama-2-7b-hf as Vidur's model config has it.
var llama2_7b = catalog.Model{
	Name: "meta-llama/Llama-2-7b-hf", NumLayers: 32, HiddenSize: 4096, NumQHeads: 32, NumKVHeads: 32,
	HeadDim: 128, IntermediateSize: 11008, GatedMLP: true, Activation: "silu", Norm: "rms_norm",
	PostAttnNorm: true, VocabSize: 32768, MaxPositionEmbeddings: 4096, Attention: catalog.MHA,
}

// readCSV reads a whole CSV file: its header as column name → position, and the
// records after it.
func readCSV(tb testing.TB, path string) (map[string]int, [][]string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	return col, recs[1:]
}

// num parses a CSV cell as a float; an empty cell (pandas' NaN) is NaN.
func num(tb testing.TB, s string) float64 {
	tb.Helper()
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("bad number %q", s)
	}
	return v
}

// vidurMLPRows turns mlp.csv into one row per (line, operator).
func vidurMLPRows(tb testing.TB, rel, gpu string) []profile.Row {
	col, recs := readCSV(tb, shareddata.Path(tb, rel))
	var rows []profile.Row
	for li, r := range recs {
		get := func(k string) float64 { return num(tb, r[col[k]]) }
		for _, op := range denseOps {
			c, ok := col["time_stats."+op+".median"]
			if !ok || r[c] == "" {
				continue
			}
			rows = append(rows, profile.Row{
				Operator: op, GPU: gpu, Source: rel, Line: int64(li + 2), Reader: "test_vidur_mlp",
				HiddenSize: int64(get("n_embd")), NumQHeads: int64(get("n_head")), NumKVHeads: int64(get("n_kv_head")),
				IntermediateSize: int64(get("n_expanded_embd")), VocabSize: int64(get("vocab_size")),
				GatedMLP: r[col["use_gated_mlp"]] == "True", TP: int64(get("num_tensor_parallel_workers")),
				NumTokens: int64(get("num_tokens")), MedianMS: num(tb, r[c]),
			})
		}
	}
	return rows
}

// vidurAttentionRows turns attention.csv into attn_prefill / attn_decode /
// attn_kv_cache_save rows.
func vidurAttentionRows(tb testing.TB, rel, gpu string) []profile.Row {
	col, recs := readCSV(tb, shareddata.Path(tb, rel))
	var rows []profile.Row
	for li, r := range recs {
		get := func(k string) float64 { return num(tb, r[col[k]]) }
		base := profile.Row{
			GPU: gpu, Source: rel, Line: int64(li + 2), Reader: "test_vidur_attention",
			HiddenSize: int64(get("n_embd")), NumQHeads: int64(get("n_q_head")), NumKVHeads: int64(get("n_kv_head")),
			BlockSize: int64(get("block_size")), TP: int64(get("num_tensor_parallel_workers")),
			BatchSize: int64(get("batch_size")), PrefillChunkSize: int64(get("prefill_chunk_size")),
			KVCacheSize: int64(get("kv_cache_size")), IsPrefill: strings.EqualFold(r[col["is_prefill"]], "true"),
		}
		for _, op := range []string{"attn_prefill", "attn_decode", "attn_kv_cache_save"} {
			c, ok := col["time_stats."+op+".median"]
			if !ok || r[c] == "" {
				continue
			}
			row := base
			row.Operator, row.MedianMS = op, num(tb, r[c])
			rows = append(rows, row)
		}
	}
	return rows
}

// llama2A100Rows is the a100 Llama-2-7b table: Vidur's mlp.csv and the sampled
// attention.csv.
func llama2A100Rows(tb testing.TB) []profile.Row {
	rows := vidurMLPRows(tb, "vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv", "a100")
	return append(rows, vidurAttentionRows(tb, "vidur_attention_sample/a100/meta-llama/Llama-2-7b-hf/attention.csv", "a100")...)
}
