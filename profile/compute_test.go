package profile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// readWith detects and reads one file the way Ingest does.
func readComputeFile(t testing.TB, path, name string, opts Options) (Reader, Result, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := detectReader(Readers(), filepath.Base(path), data[:min(len(data), detectBytes)])
	if !ok {
		t.Fatalf("%s: no reader claims it", name)
	}
	res, err := r.Read(Source{Name: name, R: bytes.NewReader(data), GPU: "g"}, opts)
	return r, res, err
}

func computeRow(rows []Row, op string, match func(*Row) bool) *Row {
	for i := range rows {
		if rows[i].Operator == op && match(&rows[i]) {
			return &rows[i]
		}
	}
	return nil
}

// TestRealComputeFiles reads one file of every compute variant in the shared data and
// checks the reader chosen, the rows read and kept, and a few values after conversion.
func TestRealComputeFiles(t *testing.T) {
	cases := []struct {
		file       string
		reader     string
		read, kept int
		check      func(t *testing.T, rows []Row)
	}{
		{"vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv", "vidur_mlp", 1044, 10440, func(t *testing.T, rows []Row) {
			r := computeRow(rows, "mlp_up_proj", func(r *Row) bool { return r.Line == 2 })
			if r == nil || r.MedianMS != 3.3655 || r.NumTokens != 4096 || r.TP != 1 || r.HiddenSize != 4096 ||
				r.IntermediateSize != 11008 || !r.GatedMLP || r.NumQHeads != 32 || r.Dtype != "fp16" || r.Extra != "" {
				t.Errorf("mlp_up_proj line 2 = %+v", r)
			}
			if r := computeRow(rows, "attn_pre_proj", func(r *Row) bool { return r.Line == 2 }); r == nil || r.MedianMS != 1.911 {
				t.Errorf("attn_pre_proj line 2 = %+v", r)
			}
		}},
		{"vidur/profiling/compute/a100/microsoft/phi-2/mlp.csv", "vidur_mlp", 261, 2349, func(t *testing.T, rows []Row) {
			if computeRow(rows, "post_attention_layernorm", func(*Row) bool { return true }) != nil {
				t.Error("phi-2 has no post_attention_layernorm, but a row was made for it")
			}
		}},
		{"vidur_attention_sample/a100/meta-llama/Llama-2-7b-hf/attention.csv", "vidur_attention", 731, 1462, func(t *testing.T, rows []Row) {
			r := computeRow(rows, "attn_prefill", func(r *Row) bool { return r.PrefillChunkSize == 576 && r.KVCacheSize == 3456 && r.TP == 8 })
			if r == nil || r.MedianMS != 0.085 || r.Backend != "flash_attention" || !r.IsPrefill || r.BatchSize != 1 || r.BlockSize != 16 {
				t.Errorf("attn_prefill 576/3456 = %+v", r)
			}
			if r := computeRow(rows, "attn_kv_cache_save", func(*Row) bool { return true }); r != nil {
				t.Errorf("this file has no kv_cache_save columns, got %+v", r)
			}
		}},
		{"vidur_attention_sample/a100/meta-llama/Meta-Llama-3-8B/attention.csv", "vidur_attention", 492, 984, func(t *testing.T, rows []Row) {
			r := computeRow(rows, "attn_kv_cache_save", func(r *Row) bool { return r.Line == 2 })
			if r == nil || r.MedianMS != 0.019 || r.Backend != "flashinfer" || r.NumKVHeads != 8 || r.Extra != "max_model_len=16384" {
				t.Errorf("kv_cache_save line 2 = %+v", r)
			}
			if r := computeRow(rows, "attn_decode", func(r *Row) bool { return r.Line == 2 }); r != nil {
				t.Errorf("a prefill line's all-zero decode columns made a row: %+v", r)
			}
		}},
		{"frontier/profiling/compute/a800/meta-llama/Llama-2-7b-hf/attention.csv", "vidur_attention", 10972, 21944, nil},
		{"frontier/profiling/compute/h800/Qwen3-30B-A3B-tiny/moe.csv", "frontier_moe", 224, 896, func(t *testing.T, rows []Row) {
			r := computeRow(rows, "moe_grouped_gemm", func(r *Row) bool { return r.Line == 2 })
			if r == nil || r.MedianMS != 0.12883199751377106 || r.NumTokens != 1 || r.NumExperts != 16 || r.ExpertsPerToken != 8 ||
				r.RoutingSkew != 2 || r.EP != 1 || r.TP != 1 || r.HiddenSize != 2048 || r.ExpertHiddenSize != 768 ||
				r.Backend != "vllm_fused" || r.Dtype != "bf16" || !strings.Contains(r.Extra, "measurement_type=CUDA_EVENT") ||
				!strings.Contains(r.Extra, "num_experts_per_device=16") {
				t.Errorf("moe_grouped_gemm line 2 = %+v", r)
			}
			if r := computeRow(rows, "moe_gating_linear", func(r *Row) bool { return r.Line == 2 }); r == nil || r.Count != 20 {
				t.Errorf("moe_gating_linear count = %+v", r)
			}
		}},
		{"frontier/profiling/compute/a100/mixtral_8x7b_moe/moe.csv", "frontier_moe", 1044, 5220, nil},
		{"frontier/profiling/compute/h800/Qwen3-30B-A3B-tiny/linear_op_kernel_only.csv", "frontier_linear_op", 32, 120, func(t *testing.T, rows []Row) {
			if r := computeRow(rows, "attn_pre_proj", func(*Row) bool { return true }); r == nil || !strings.Contains(r.Extra, "measurement_type=KERNEL_ONLY") || r.Count != 20 {
				t.Errorf("kernel-only linear op = %+v", r)
			}
		}},
		{"frontier/profiling/compute/a800/qwen3-a3b-30b-moe/linear_op.csv", "frontier_linear_op", 1036, 5180, nil},
		{"frontier/profiling/compute/h800/Step2Mini-tiny/attention_combined_kernel_only.csv", "vidur_attention", 100, 200, nil},
		{"frontier/profiling/compute/rtx_pro_6000/qwen2_dense_test/attention_true_mixed.csv", "vidur_attention", 4, 20, func(t *testing.T, rows []Row) {
			if r := computeRow(rows, "attn_decode", func(*Row) bool { return true }); r == nil || !strings.Contains(r.Extra, "mode=true_mixed") || !strings.Contains(r.Extra, "prefill_seq_lens=[32]") {
				t.Errorf("true mixed decode = %+v", r)
			}
		}},
		{"frontier/profiling/compute/rtx_pro_6000/qwen2_dense_test/attention_mixed.csv", "vidur_attention", 4, 20, nil},
		{"frontier/profiling/compute/a100/qwen2_moe_example/mlp.csv", "vidur_mlp", 134, 1340, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := shareddata.Path(t, c.file)
			r, res, err := readComputeFile(t, path, c.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != c.reader || res.RowsRead != c.read || len(res.Rows) != c.kept {
				t.Errorf("reader %s, read %d, kept %d; want %s, %d, %d", r.Name, res.RowsRead, len(res.Rows), c.reader, c.read, c.kept)
			}
			for _, row := range res.Rows {
				if row.Source != c.file || row.Reader != c.reader || row.GPU != "g" || row.MedianMS <= 0 {
					t.Fatalf("bad provenance or time: %+v", row)
				}
			}
			if c.check != nil {
				c.check(t, res.Rows)
			}
		})
	}
}

// TestReadTestdata reads the small excerpts in testdata/compute, which run without
// the shared data.
func TestReadTestdata(t *testing.T) {
	cases := []struct {
		file       string
		reader     string
		read, kept int
	}{
		{"mlp.csv", "vidur_mlp", 3, 30},
		{"attention_flash.csv", "vidur_attention", 3, 6},
		{"attention_mixed.csv", "vidur_attention", 2, 10},
		{"moe.csv", "frontier_moe", 3, 12},
		{"linear_op_kernel_only.csv", "frontier_linear_op", 2, 12},
	}
	for _, c := range cases {
		r, res, err := readComputeFile(t, filepath.Join("testdata", "compute", c.file), c.file, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if r.Name != c.reader || res.RowsRead != c.read || len(res.Rows) != c.kept {
			t.Errorf("%s: reader %s, read %d, kept %d; want %s, %d, %d", c.file, r.Name, res.RowsRead, len(res.Rows), c.reader, c.read, c.kept)
		}
	}
}

// TestMalformed checks that bad input gives a one-line error naming file, line and
// column, and that --lenient skips and counts the bad line instead.
func TestMalformed(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "compute", "mlp.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	header, l2, l3 := lines[0], lines[1], lines[2]
	cases := []struct {
		name, data, want string
		lenientKept      int // rows kept with Lenient; -1: a lenient read fails too
	}{
		{"truncated", header + l2 + l3[:len(l3)/2],
			`profile: mlp.csv:3: 25 fields, the header has 58 (truncated line or stray delimiter?)`, 10},
		{"semicolon", strings.ReplaceAll(header+l2, ",", ";"),
			`profile: mlp.csv:1: column 1: header is one column that contains ';': the file is not comma-separated`, -1},
		{"text in number", header + l2 + strings.Replace(l3, ",4096,1\n", ",abc,1\n", 1),
			`profile: mlp.csv:3: column num_tokens: "abc" is not an integer`, 10},
		{"text in time", header + strings.Replace(l2, "1.911", "fast", 1),
			`profile: mlp.csv:2: column time_stats.attn_pre_proj.median: "fast" is not a number`, 0},
		{"bad bool", header + strings.Replace(l2, ",True,", ",maybe,", 1),
			`profile: mlp.csv:2: column use_gated_mlp: "maybe" is not a boolean`, 0},
		{"negative time", header + strings.Replace(l2, "1.911", "-1.911", 1),
			`profile: mlp.csv:2: column time_stats.attn_pre_proj.median: negative time -1.911`, 0},
		{"header only", header, "", 0},
		{"empty", "", `profile: mlp.csv:1: empty file: no header line`, -1},
		{"missing key", strings.Replace(header, "num_tokens", "tokens", 1) + l2,
			`profile: mlp.csv:1: column num_tokens: required column is missing from the header`, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := ReaderByName("vidur_mlp")
			_, err := r.Read(Source{Name: "mlp.csv", R: strings.NewReader(c.data)}, Options{})
			got := ""
			if err != nil {
				got = err.Error()
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Errorf("error %T is not an *InputError", err)
				}
			}
			if got != c.want {
				t.Errorf("error\n got %s\nwant %s", got, c.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("error spans several lines: %q", got)
			}
			res, err := r.Read(Source{Name: "mlp.csv", R: strings.NewReader(c.data)}, Options{Lenient: true})
			switch {
			case c.lenientKept < 0 && err == nil:
				t.Errorf("lenient read succeeded, want an error")
			case c.lenientKept >= 0 && err != nil:
				t.Errorf("lenient read: %v", err)
			case c.lenientKept >= 0 && len(res.Rows) != c.lenientKept:
				t.Errorf("lenient read kept %d rows, want %d", len(res.Rows), c.lenientKept)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		header string
		want   string // "" = unrecognized
	}{
		{"time_stats.add.median,n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers", "vidur_mlp"},
		{"time_stats.add.median;n_head;n_embd;num_tokens;num_tensor_parallel_workers", "vidur_mlp"},
		{"time_stats.add.median,n_head,n_embd,num_tokens,num_tensor_parallel_workers,padded_n_embd", "frontier_linear_op"},
		{"time_stats.attn_decode.median,n_embd,n_q_head,batch_size,prefill_chunk_size,kv_cache_size,num_tensor_parallel_workers", "vidur_attention"},
		{"time_stats.moe_shuffling.median,num_tokens,num_experts,router_topk", "frontier_moe"},
		{"n_head,n_embd,num_tokens,num_tensor_parallel_workers", ""},
		{"# Vidur data", ""},
		{"", ""},
	}
	for _, c := range cases {
		r, ok := detectReader(Readers(), "x.csv", []byte(c.header+"\n1,2\n"))
		if got := map[bool]string{true: r.Name}[ok]; got != c.want {
			t.Errorf("%q: detected %q, want %q", c.header, got, c.want)
		}
	}
}

func TestParseExtra(t *testing.T) {
	in := map[string]string{"a": "x;y", "b": "1=2", "c": "50%", "d": "[32, 32]"}
	var parts []string
	for _, k := range []string{"a", "b", "c", "d"} {
		parts = append(parts, k+"="+escapeExtra(in[k]))
	}
	got := ParseExtra(strings.Join(parts, ";"))
	for k, v := range in {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
}
