package profile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// seedCompute adds the testdata excerpts and, when the shared data is present, the
// first lines of real files to a fuzz corpus.
func seedCompute(f *testing.F, testdata []string, shared []string) {
	for _, name := range testdata {
		data, err := os.ReadFile(filepath.Join("testdata", "compute", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if root := shareddata.Root(); root != "" {
		for _, rel := range shared {
			data, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				continue
			}
			// Header plus a dozen lines keeps each seed small enough to mutate well.
			lines := bytes.SplitAfterN(data, []byte("\n"), 14)
			f.Add(bytes.Join(lines[:min(len(lines), 13)], nil))
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("time_stats.x.median\n"))
}

// fuzzComputeReader checks a reader never panics, and that whatever it returns is sane: an
// *InputError, or rows with finite non-negative times and their source set.
func fuzzComputeReader(f *testing.F, reader string) {
	r, ok := ReaderByName(reader)
	if !ok {
		f.Fatalf("no reader %s", reader)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lenient := range []bool{false, true} {
			res, err := r.Read(Source{Name: "f.csv", R: bytes.NewReader(data)}, Options{Lenient: lenient})
			if err != nil {
				if !strings.HasPrefix(err.Error(), "profile: f.csv") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error without file name or on several lines: %q", err)
				}
				continue
			}
			for i := range res.Rows {
				if err := validateRow(&res.Rows[i]); err != nil {
					t.Fatal(err)
				}
				if res.Rows[i].Source != "f.csv" || res.Rows[i].Line < 2 {
					t.Fatalf("row without provenance: %+v", res.Rows[i])
				}
			}
		}
		r.Detect("f.csv", data)
	})
}

func FuzzVidurMLP(f *testing.F) {
	seedCompute(f, []string{"mlp.csv"}, []string{
		"vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv",
		"vidur/profiling/compute/h100/microsoft/phi-2/mlp.csv",
	})
	fuzzComputeReader(f, "vidur_mlp")
}

func FuzzVidurAttention(f *testing.F) {
	seedCompute(f, []string{"attention_flash.csv", "attention_mixed.csv"}, []string{
		"vidur_attention_sample/a100/meta-llama/Llama-2-7b-hf/attention.csv",
		"vidur_attention_sample/a100/meta-llama/Meta-Llama-3-8B/attention.csv",
		"frontier/profiling/compute/rtx_pro_6000/qwen2_dense_test/attention_true_mixed.csv",
		"frontier/profiling/compute/h800/Step2Mini-tiny/attention_combined_kernel_only.csv",
	})
	fuzzComputeReader(f, "vidur_attention")
}

func FuzzFrontierMoE(f *testing.F) {
	seedCompute(f, []string{"moe.csv"}, []string{
		"frontier/profiling/compute/a800/qwen3-a3b-30b-moe/moe.csv",
		"frontier/profiling/compute/a100/mixtral_8x7b_moe/moe.csv",
		"frontier/profiling/compute/h800/Step2Mini-tiny/moe_kernel_only.csv",
	})
	fuzzComputeReader(f, "frontier_moe")
}

func FuzzFrontierLinearOp(f *testing.F) {
	seedCompute(f, []string{"linear_op_kernel_only.csv"}, []string{
		"frontier/profiling/compute/a800/qwen3-a3b-30b-moe/linear_op.csv",
		"frontier/profiling/compute/h800/step-moe-noquant-small/linear_op.csv",
	})
	fuzzComputeReader(f, "frontier_linear_op")
}
