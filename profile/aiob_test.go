package profile

import (
	"errors"
	"math"
	"os"
	"testing"
)

// TestAIOBRealFiles checks the two public AIOB training outputs: every section kept,
// times µs → ms.
func TestAIOBRealFiles(t *testing.T) {
	for _, tc := range []struct {
		rel   string
		ops   []string
		check map[string][3]float64 // operator → avg, min, max in ms
		extra string
	}{
		{aicbDir + "workload/aiob_inputs/Example.txt",
			[]string{"Emb", "layernorm", "atten_qkv", "atten_flash", "atten_linear", "layernorm2", "mlp_linear_1",
				"mlp_gelu", "mlp_linear_2", "layernorm_post", "logit_time", "param_time"},
			map[string][3]float64{
				"Emb":        {0.799, 0.782, 0.857},    // time_gpu_avg: 799 (µs)
				"param_time": {17.374, 16.647, 23.746}, // time_gpu_avg: 17374
			}, "train_iter=10"},
		{"profiles/simai/pr291/example/aiob_data/gpu_compute_timing.txt",
			[]string{"Emb", "layernorm", "atten_qkv", "atten_core_qk", "atten_core_softmax", "atten_core_contex", "atten_linear",
				"layernorm2", "mlp_linear_1", "mlp_gelu", "mlp_linear_2", "layernorm_post", "logit_time", "param_time"},
			map[string][3]float64{
				// time_gpu_avg: 1330.2958959188218 (µs)
				"atten_core_qk": {1.3302958959188218, 1.2992199659347534, 2.243299961090088},
			}, "train_iter=1"},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			res := readShared(t, AIOBReader, tc.rel, Source{GPU: "a100"})
			if res.RowsRead != len(tc.ops) || len(res.Rows) != len(tc.ops) || len(res.Skipped) != 0 {
				t.Fatalf("read %d kept %d skipped %v; want %d", res.RowsRead, len(res.Rows), res.Skipped, len(tc.ops))
			}
			checkValid(t, res.Rows)
			for i, r := range res.Rows {
				if r.Operator != tc.ops[i] || r.Extra != tc.extra || r.GPU != "a100" || r.IsPrefill || r.MedianMS != r.MeanMS {
					t.Errorf("row %d: %+v, want operator %s", i, r, tc.ops[i])
				}
				if w, ok := tc.check[r.Operator]; ok && (!near(r.MeanMS, w[0]) || !near(r.MinMS, w[1]) || !near(r.MaxMS, w[2])) {
					t.Errorf("%s: avg/min/max %g/%g/%g ms, want %v", r.Operator, r.MeanMS, r.MinMS, r.MaxMS, w)
				}
			}
		})
	}
}

func TestAIOBInference(t *testing.T) {
	name := "testdata/aiob/DeepSeek-671B-world_size8-tp1-pp1-ep8-bpg4-seq1024-prefill.txt"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := readString(AIOBReader, name, string(data), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"atten_qkv": 0.0352, "atten_flash": 0.125, "atten_linear": 0.0205, "moe_up_gate": 0.31075, "moe_down": 0.15}
	if len(res.Rows) != len(want) {
		t.Fatalf("kept %d, want %d", len(res.Rows), len(want))
	}
	for _, r := range res.Rows {
		if !near(r.MedianMS, want[r.Operator]) || !near(r.MinMS, want[r.Operator]) || !r.IsPrefill || r.Extra != "phase=prefill;seq=1024" ||
			r.Model != "DeepSeek-671B" || r.WorldSize != 8 || r.TP != 1 || r.EP != 8 || r.BatchSize != 4 {
			t.Errorf("%+v", r)
		}
	}
}

func TestAIOBUnprocessedJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/aiob/unprocessed.txt")
	if err != nil {
		t.Fatal(err)
	}
	res, err := readString(AIOBReader, "unprocessed.txt", string(data), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows %+v", res.Rows)
	}
	// Emb samples 800, 900, 820 µs.
	e := res.Rows[0]
	if e.Operator != "Emb" || !near(e.MedianMS, 0.82) || !near(e.MeanMS, 0.84) || !near(e.MinMS, 0.8) || !near(e.MaxMS, 0.9) ||
		e.Count != 3 || !near(e.StdMS, math.Sqrt((0.04*0.04+0.06*0.06+0.02*0.02)/3)) || e.Line != 2 || e.Extra != "train_iter=1" {
		t.Errorf("Emb: %+v", e)
	}
	if l := res.Rows[1]; l.Operator != "layernorm" || !near(l.MedianMS, 0.05) || l.Count != 2 {
		t.Errorf("layernorm: %+v", l)
	}
}

func TestAIOBErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"text value", "train_iter:10\nEmb:\n    time_gpu_max: 857\n    time_gpu_avg: fast\n",
			`profile: aiob.txt:4: column time_gpu_avg: "fast" is not a time in µs ≥ 0`},
		{"truncated section", "train_iter:10\nEmb:\n    time_gpu_max: 857\n    time_gpu_min: 782\n    time_gpu_a",
			`profile: aiob.txt:5: "time_gpu_a": expected a section name (name:) or a time_gpu_avg/min/max line`},
		{"missing avg", "train_iter:10\nEmb:\n    time_gpu_max: 857\nlayernorm:\n    time_gpu_avg: 70\n",
			`profile: aiob.txt:2: column time_gpu_avg: section Emb has no time_gpu_avg`},
		{"no header", "Emb:\n    time_gpu_avg: 70\n",
			`profile: aiob.txt:1: "Emb:": expected train_iter:<N> or inference_term:<phase> first`},
		{"bad iteration", "train_iter:ten\n", `profile: aiob.txt:1: column train_iter: "ten": expected an iteration number`},
		{"bad json", "train_iter:1\n{\"Emb\": [{\"time_gpu\": \"x\"}]}\n",
			`profile: aiob.txt:2: JSON samples: json: cannot unmarshal string into Go struct field .time_gpu of type float64`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readString(AIOBReader, "aiob.txt", tc.text, false)
			var ie *InputError
			if !errors.As(err, &ie) || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	res, err := readString(AIOBReader, "aiob.txt", "train_iter:10\nEmb:\n    time_gpu_avg: fast\nlayernorm:\n    time_gpu_avg: 70\n", true)
	if err != nil || len(res.Rows) != 1 || res.Rows[0].Operator != "layernorm" || len(res.Skipped) != 1 || res.RowsRead != 2 {
		t.Errorf("lenient: %v %+v", err, res)
	}
}

func FuzzAIOB(f *testing.F) {
	for _, name := range []string{"testdata/aiob/DeepSeek-671B-world_size8-tp1-pp1-ep8-bpg4-seq1024-prefill.txt", "testdata/aiob/unprocessed.txt"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("train_iter:10\nEmb:\n    time_gpu_max: 8.5e2\n    time_gpu_avg: 799\n"))
	addSharedSeeds(f, 4<<10, aicbDir+"workload/aiob_inputs/Example.txt", "profiles/simai/pr291/example/aiob_data/gpu_compute_timing.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, AIOBReader, "Example.txt", data)
	})
}
