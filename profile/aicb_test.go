package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const aicbDir = "profiles/aicb/"

func TestAICBCommLogRealFiles(t *testing.T) {
	for _, tc := range []struct {
		rel        string
		read, kept int
		skips      map[string]int // skip reason → count
	}{
		{"visualize/inputs/A100_example.csv", 8538, 8517, map[string]int{
			"filtered: epoch_end row (no operator features)": 11,
			"filtered: no message size":                      10,
		}},
		// Workload descriptions: the same layout with every time None.
		{"workload/physical/micro_test/all_reduce_workload.csv", 2302, 0, map[string]int{
			"filtered: no time (an AICB workload description, not a measurement)": 2300,
			"filtered: epoch_end row (no operator features)":                      2,
		}},
		{"workload/physical/model_workload/G13B-M1-C01_GPT13B_megatron_tp8_pp1_mbs1.csv", 181, 0, map[string]int{
			"filtered: no time (an AICB workload description, not a measurement)": 179,
			"filtered: epoch_end row (no operator features)":                      2,
		}},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			res := readShared(t, AICBCommLogReader, aicbDir+tc.rel, Source{GPU: "a100"})
			if res.RowsRead != tc.read || len(res.Rows) != tc.kept {
				t.Fatalf("read %d, kept %d; want %d, %d", res.RowsRead, len(res.Rows), tc.read, tc.kept)
			}
			skips := map[string]int{}
			for _, s := range res.Skipped {
				skips[s.Reason]++
			}
			if len(skips) != len(tc.skips) {
				t.Errorf("skips %v, want %v", skips, tc.skips)
			}
			for k, n := range tc.skips {
				if skips[k] != n {
					t.Errorf("skips %v, want %v", skips, tc.skips)
				}
			}
			checkValid(t, res.Rows)
		})
	}
}

// TestAICBCommLogValues checks the GiB/s → GB/s conversion on lines of the real log.
func TestAICBCommLogValues(t *testing.T) {
	res := readShared(t, AICBCommLogReader, aicbDir+"visualize/inputs/A100_example.csv", Source{GPU: "a100"})
	for _, w := range []struct {
		line         int64
		op           string
		group        int64
		bytes        int64
		ms           float64
		algbw, busbw float64 // GB/s
		extra        string
	}{
		// CommType.all_reduce,CommGroup.tp_group,2,16777216,forward.MegatronEmbedding,None,None,,0.20070399343967438,83.59,146.29,1
		{12, "all_reduce", 2, 16777216, 0.20070399343967438, 83.59 * 1.073741824, 146.29 * 1.073741824,
			"group=tp_group;stage=forward.MegatronEmbedding"},
		// CommType.all_to_all,CommGroup.ep_group,None,33554432,forward.MoE,None,None,,0.2467840015888214,135.97,135.97,1
		{21, "all_to_all", 0, 33554432, 0.2467840015888214, 135.97 * 1.073741824, 135.97 * 1.073741824,
			"group=ep_group;stage=forward.MoE"},
		// The first call of the run: a 3.38 s warm-up outlier, kept and marked by its stage.
		{2, "all_reduce", 4, 8, 3380.222900390625, 0, 0, "group=dp_group;stage=init.model_setup"},
	} {
		r := findRow(t, res.Rows, "that line", func(r Row) bool { return r.Line == w.line })
		if r.Operator != w.op || r.GroupSize != w.group || r.Bytes != w.bytes || r.GPU != "a100" || r.Count != 1 ||
			!near(r.MedianMS, w.ms) || !near(r.MeanMS, w.ms) || !near(r.MinMS, w.ms) || !near(r.MaxMS, w.ms) ||
			!near(r.AlgBWGBps, w.algbw) || !near(r.BusBWGBps, w.busbw) || r.Extra != w.extra {
			t.Errorf("line %d: got %+v, want %+v", w.line, r, w)
		}
	}
	// 83.59 GiB/s is 89.754 GB/s.
	r := findRow(t, res.Rows, "line 12", func(r Row) bool { return r.Line == 12 })
	if r.AlgBWGBps < 89.754 || r.AlgBWGBps > 89.755 {
		t.Errorf("algbw %g GB/s, want 89.754 (83.59 GiB/s)", r.AlgBWGBps)
	}
}

const aicbHeader = "comm_type,comm_group,comm_group_size,msg_size,stage,dst,src,additional,_elapsed_time,algbw,busbw,count\n"

func TestAICBCommLogErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"text in time", aicbHeader + "CommType.all_reduce,CommGroup.tp_group,2,1024,forward,None,None,,slow,1.0,1.0,1\n",
			`profile: log.csv:2: column _elapsed_time: "slow" is not a number`},
		{"no CommType prefix", aicbHeader + "all_reduce,CommGroup.tp_group,2,1024,forward,None,None,,0.1,1.0,1.0,1\n",
			`profile: log.csv:2: column comm_type: "all_reduce": expected CommType.<name>`},
		{"rank line shifts lines", "[rank0 ~ rank7]\n" + aicbHeader +
			"CommType.all_reduce,CommGroup.tp_group,2,1024,forward,None,None,,0.1,1.0,1.0,1\n" +
			"CommType.all_reduce,CommGroup.tp_group,2,1k,forward,None,None,,0.1,1.0,1.0,1\n",
			`profile: log.csv:4: column msg_size: "1k" is not an integer`},
		{"truncated", aicbHeader + "CommType.all_reduce,CommGroup.tp_group,2,1024,forward,None",
			`profile: log.csv:2: 6 fields, the header has 12 (truncated line or stray delimiter?)`},
		{"tabs", strings.ReplaceAll(aicbHeader, ",", "\t"),
			`profile: log.csv:1: column 1: header is one column that contains '\t': the file is not comma-separated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readString(AICBCommLogReader, "log.csv", tc.text, false)
			var ie *InputError
			if !errors.As(err, &ie) || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	// Lenient: the malformed row is skipped, the line number still counts the rank line.
	res, err := readString(AICBCommLogReader, "log.csv", "[rank0 ~ rank7]\n"+aicbHeader+
		"CommType.all_reduce,CommGroup.tp_group,2,1k,forward,None,None,,0.1,1.0,1.0,1\n"+
		"CommType.all_gather_into_tensor,CommGroup.tp_group,2,1024,forward,None,None,,0.1,1.0,1.0,1\n", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Line != 4 || res.Rows[0].Operator != "all_gather" ||
		len(res.Skipped) != 1 || res.Skipped[0].Line != 3 {
		t.Errorf("lenient: rows %+v skipped %+v", res.Rows, res.Skipped)
	}
}

func TestAICBLayerTable(t *testing.T) {
	name := "testdata/aicb/vidur-DeepSeek-671B-world_size8-tp2-pp1-ep8-bs4-seq1024-decode.csv"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !AICBLayerTableReader.Detect(filepath.Base(name), data) {
		t.Error("Detect does not claim the layer table")
	}
	res, err := readString(AICBLayerTableReader, name, string(data), false)
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, res.Rows)
	want := []struct {
		op    string
		ms    float64
		bytes int64
		extra string
	}{
		{"attention", 1.234567, 14680064, "layer_id=0;seq=1024"}, // 1234567 ns
		{"mlp", 0.456789, 14680064, "layer_id=0;seq=1024"},
		{"attention", 1.234, 14680064, "layer_id=3;seq=1024"},
		{"moe", 0.987654, 123456789, "layer_id=3;seq=1024"},
	}
	if len(res.Rows) != len(want) || res.RowsRead != len(want) {
		t.Fatalf("read %d kept %d, want %d", res.RowsRead, len(res.Rows), len(want))
	}
	for i, w := range want {
		r := res.Rows[i]
		if r.Operator != w.op || !near(r.MedianMS, w.ms) || !near(r.MeanMS, w.ms) || r.Bytes != w.bytes || r.Extra != w.extra ||
			r.Model != "DeepSeek-671B" || r.WorldSize != 8 || r.TP != 2 || r.PP != 1 || r.EP != 8 || r.BatchSize != 4 ||
			r.IsPrefill || r.Line != int64(i+2) {
			t.Errorf("row %d: got %+v, want %+v", i, r, w)
		}
	}

	for _, tc := range []struct{ name, text, want string }{
		{"commas", "layer_id,layer_name,comp_time,comm_size\n0,attention,1,2\n",
			`profile: l.csv:1: column 1: header is one column that contains ',': the file is not tab-separated`},
		{"text in comp_time", "layer_id\tlayer_name\tcomp_time\tcomm_size\n0\tattention\tabc\t2\n",
			`profile: l.csv:2: column comp_time: "abc" is not a number`},
		{"truncated", "layer_id\tlayer_name\tcomp_time\tcomm_size\n0\tattention\t12",
			`profile: l.csv:2: 3 fields, the header has 4 (truncated line or stray delimiter?)`},
	} {
		if _, err := readString(AICBLayerTableReader, "l.csv", tc.text, false); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
		}
	}
}

func TestParseAICBRunName(t *testing.T) {
	for in, want := range map[string]aicbRunKeys{
		"results/workload/vidur-Qwen3-Moe-235B-world_size16-tp4-pp2-ep16-bs8-seq2048-prefill.csv": {"Qwen3-Moe-235B", 16, 4, 2, 16, 8, 2048, "prefill"},
		"DeepSeek-671B-world_size32-tp1-pp1-ep32-bpg4-seq1024-decode.txt":                         {"DeepSeek-671B", 32, 1, 1, 32, 4, 1024, "decode"},
		"gpt_13B-world_size128-tp8-pp1-ep1-gbs64-mbs1-seq4096-flash_attn-True.txt":                {"gpt_13B", 128, 8, 1, 1, 1, 4096, ""},
		"Example.txt": {},
	} {
		if got := parseAICBRunName(in); got != want {
			t.Errorf("parseAICBRunName(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestKVExtra(t *testing.T) {
	if got := kvExtra("stage", "fwd", "group", "tp", "empty", "", "x", "a;b=c"); got != "group=tp;stage=fwd;x=a_b_c" {
		t.Errorf("kvExtra = %q", got)
	}
}

func FuzzAICBCommLog(f *testing.F) {
	f.Add([]byte(aicbHeader + "CommType.all_reduce,CommGroup.tp_group,2,16777216,forward,None,None,,0.2,83.59,146.29,1\n"))
	f.Add([]byte("[rank0 ~ rank7]\n" + aicbHeader + "CommType.epoch_end,None,None,0,,None,None,,79.5,0.0,0.0,1\n" +
		"CommType.computation,None,None,\"(2048, 1, 4096)\",,None,None,,1.5,0.0,0.0,1\n"))
	addSharedSeeds(f, 16<<10, aicbDir+"visualize/inputs/A100_example.csv",
		aicbDir+"workload/physical/model_workload/G13B-M1-C01_GPT13B_megatron_tp8_pp1_mbs1.csv",
		aicbDir+"workload/physical/micro_test/all_reduce_workload.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, AICBCommLogReader, "A100_log.csv", data)
	})
}

func FuzzAICBLayerTable(f *testing.F) {
	if data, err := os.ReadFile("testdata/aicb/vidur-DeepSeek-671B-world_size8-tp2-pp1-ep8-bs4-seq1024-decode.csv"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("layer_id\tlayer_name\tcomp_time\tcomm_size\n0\tattention\t0\t-1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, AICBLayerTableReader, "vidur-M-world_size8-tp1-pp1-ep8-bs1-seq1-decode.csv", data)
	})
}
