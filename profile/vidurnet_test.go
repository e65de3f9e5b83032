package profile

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

// readShared parses a file of the shared data folder (skipping the test when it is
// absent), strictly, and fails the test on an error.
func readShared(t *testing.T, r Reader, rel string, src Source) Result {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Detect(filepath.Base(rel), data[:min(len(data), 64<<10)]) {
		t.Errorf("%s: Detect does not claim %s", r.Name, rel)
	}
	src.Name, src.R = rel, bytes.NewReader(data)
	res, err := r.Read(src, Options{})
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return res
}

// readString parses an in-memory file.
func readString(r Reader, name, text string, lenient bool) (Result, error) {
	return r.Read(Source{Name: name, R: strings.NewReader(text)}, Options{Lenient: lenient})
}

// near reports whether got is within a relative 1e-9 of want.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// findRow returns the first row for which match is true.
func findRow(t *testing.T, rows []Row, what string, match func(Row) bool) Row {
	t.Helper()
	for _, r := range rows {
		if match(r) {
			return r
		}
	}
	t.Fatalf("no row with %s", what)
	return Row{}
}

// checkValid fails on a row the dataset writer would reject.
func checkValid(t *testing.T, rows []Row) {
	t.Helper()
	for i := range rows {
		if err := validateRow(&rows[i]); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
}

func TestVidurCollectiveRealFiles(t *testing.T) {
	for _, tc := range []struct {
		rel    string
		rows   int
		op     string
		groups []int64
	}{
		{"vidur/profiling/network/a100_dgx/all_reduce.csv", 6958, "all_reduce", []int64{2, 4, 8, 16}},
		{"vidur/profiling/network/a100_dgx/send_recv.csv", 1988, "send_recv", []int64{2}},
		{"vidur/profiling/network/a100_pairwise_nvlink/all_reduce.csv", 4496, "all_reduce", []int64{2, 4}},
		{"vidur/profiling/network/a100_pairwise_nvlink/send_recv.csv", 1988, "send_recv", []int64{2}},
		{"vidur/profiling/network/h100_dgx/all_reduce.csv", 2982, "all_reduce", []int64{2, 4, 8}},
		{"vidur/profiling/network/h100_dgx/send_recv.csv", 1988, "send_recv", []int64{2}},
		{"vidur/profiling/network/h100_pairwise_nvlink/all_reduce.csv", 1988, "all_reduce", []int64{2, 4}},
		{"vidur/profiling/network/h100_pairwise_nvlink/send_recv.csv", 1988, "send_recv", []int64{2}},
		{"frontier/profiling/network/a800_dgx/all_reduce.csv", 6958, "all_reduce", []int64{2, 4, 8, 16}},
		{"frontier/profiling/network/a800_dgx/send_recv.csv", 1988, "send_recv", []int64{2}},
		{"frontier/profiling/network/a800_pairwise_nvlink/all_reduce.csv", 9237, "all_reduce", []int64{2, 4, 8}},
		{"frontier/profiling/network/a800_pairwise_nvlink/send_recv.csv", 1988, "send_recv", []int64{2}},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			net := filepath.Base(filepath.Dir(tc.rel))
			res := readShared(t, VidurCollectiveReader, tc.rel, Source{Network: net})
			if res.RowsRead != tc.rows || len(res.Rows) != tc.rows || len(res.Skipped) != 0 {
				t.Fatalf("read %d, kept %d, skipped %d; want %d read and kept", res.RowsRead, len(res.Rows), len(res.Skipped), tc.rows)
			}
			checkValid(t, res.Rows)
			groups := map[int64]bool{}
			for _, r := range res.Rows {
				if r.Operator != tc.op || r.Network != net || r.Reader != "vidur_collective" || r.Dtype != "fp16" {
					t.Fatalf("row %+v: want operator %s, network %s", r, tc.op, net)
				}
				if r.Bytes < 2048 || r.RanksPerNode < 1 || r.RanksPerNode > r.GroupSize || r.MedianMS <= 0 || r.BusBWGBps <= 0 {
					t.Fatalf("implausible row %+v", r)
				}
				groups[r.GroupSize] = true
			}
			for _, g := range tc.groups {
				if !groups[g] {
					t.Errorf("no rows for %d workers", g)
				}
			}
			if len(groups) != len(tc.groups) {
				t.Errorf("group sizes %v, want %v", groups, tc.groups)
			}
		})
	}
}

// TestVidurCollectiveValues checks converted values against lines of the real files.
func TestVidurCollectiveValues(t *testing.T) {
	res := readShared(t, VidurCollectiveReader, "vidur/profiling/network/a100_dgx/all_reduce.csv", Source{Network: "a100_dgx", GPU: "a100"})
	// Line 2: 0,0.031,0.077,0.050333333333333334,0.043000000000000003,0.01948218559493661,0,2,2048,all_reduce,1,8
	r := res.Rows[0]
	if r.Line != 2 || r.Bytes != 2048 || r.GroupSize != 2 || r.RanksPerNode != 1 || r.GPU != "a100" ||
		!near(r.MedianMS, 0.043) || !near(r.MinMS, 0.031) || !near(r.MaxMS, 0.077) ||
		!near(r.MeanMS, 0.050333333333333334) || !near(r.StdMS, 0.01948218559493661) ||
		r.Extra != "max_devices_per_node=8" {
		t.Errorf("line 2: got %+v", r)
	}
	// algbw = 2048 B / 0.043 ms = 0.047628 GB/s; with 2 workers busbw = algbw.
	if !near(r.AlgBWGBps, 2048/0.043e-3/1e9) || !near(r.BusBWGBps, r.AlgBWGBps) {
		t.Errorf("line 2: algbw %g busbw %g, want %g for both", r.AlgBWGBps, r.BusBWGBps, 2048/0.043e-3/1e9)
	}
	// 16 workers (8 per node): busbw = algbw × 2·15/16.
	r16 := findRow(t, res.Rows, "16 workers", func(r Row) bool { return r.GroupSize == 16 })
	if !near(r16.BusBWGBps, r16.AlgBWGBps*1.875) || r16.RanksPerNode != 8 {
		t.Errorf("16 workers: %+v", r16)
	}

	h := readShared(t, VidurCollectiveReader, "vidur/profiling/network/h100_dgx/all_reduce.csv", Source{})
	// Line 2: 0,0.015,0.038,0.03,0.037,0.0106...,0,8,2048,all_reduce,8,8
	r = h.Rows[0]
	if !near(r.MedianMS, 0.037) || r.GroupSize != 8 || !near(r.BusBWGBps, 2048/0.037e-3/1e9*1.75) {
		t.Errorf("h100_dgx line 2: %+v", r)
	}
}

const vidurCollectiveHeader = ",time_stats.all_reduce.min,time_stats.all_reduce.max,time_stats.all_reduce.mean,time_stats.all_reduce.median,time_stats.all_reduce.std,rank,num_workers,size,collective,devices_per_node,max_devices_per_node\n"

func TestVidurCollectiveErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"truncated", vidurCollectiveHeader +
			"0,0.031,0.077,0.05,0.043,0.019,0,2,2048,all_reduce,1,8\n1,0.04,0.075,0.057",
			"profile: ar.csv:3: 4 fields, the header has 12 (truncated line or stray delimiter?)"},
		{"semicolons", strings.ReplaceAll(vidurCollectiveHeader, ",", ";") +
			"0;0.031;0.077;0.05;0.043;0.019;0;2;2048;all_reduce;1;8\n",
			`profile: ar.csv:1: column 1: header is one column that contains ';': the file is not comma-separated`},
		{"text in median", vidurCollectiveHeader +
			"0,0.031,0.077,0.05,fast,0.019,0,2,2048,all_reduce,1,8\n",
			`profile: ar.csv:2: column time_stats.all_reduce.median: "fast" is not a number`},
		{"text in size", vidurCollectiveHeader +
			"0,0.031,0.077,0.05,0.043,0.019,0,2,2k,all_reduce,1,8\n",
			`profile: ar.csv:2: column size: "2k" is not an integer`},
		{"wrong collective", vidurCollectiveHeader +
			"0,0.031,0.077,0.05,0.043,0.019,0,2,2048,send_recv,1,8\n",
			`profile: ar.csv:2: column collective: "send_recv", but the statistics columns are for all_reduce`},
		{"zero workers", vidurCollectiveHeader +
			"0,0.031,0.077,0.05,0.043,0.019,0,0,2048,all_reduce,1,8\n",
			`profile: ar.csv:2: column num_workers: 0: expected a positive integer`},
		{"negative time", vidurCollectiveHeader +
			"0,-0.031,0.077,0.05,0.043,0.019,0,2,2048,all_reduce,1,8\n",
			`profile: ar.csv:2: column time_stats.all_reduce.min: -0.031 is negative: expected a time in ms`},
		{"no median column", ",rank,num_workers,size,collective,devices_per_node\n0,0,2,2048,all_reduce,1\n",
			`profile: ar.csv:1: column time_stats.<collective>.median: required column is missing from the header (is this a Vidur all_reduce.csv/send_recv.csv?)`},
		{"empty", "", "profile: ar.csv:1: empty file: no header line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readString(VidurCollectiveReader, "ar.csv", tc.text, false)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *InputError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestVidurCollectiveLenient(t *testing.T) {
	text := vidurCollectiveHeader +
		"0,0.031,0.077,0.05,0.043,0.019,0,2,2048,all_reduce,2,8\n" +
		"1,0.031,0.077,0.05,oops,0.019,0,2,4096,all_reduce,2,8\n" +
		"2,0.031,0.077,0.05,,0.019,0,2,6144,all_reduce,2,8\n" +
		"3,0.031,0.077\n" +
		"4,0.031,0.077,0.05,0.043,0.019,0,4,8192,all_reduce,4,8\n"
	res, err := readString(VidurCollectiveReader, "ar.csv", text, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.RowsRead != 5 || len(res.Skipped) != 3 {
		t.Fatalf("kept %d, read %d, skipped %+v; want 2, 5 and 3 skips", len(res.Rows), res.RowsRead, res.Skipped)
	}
	want := []Skip{
		{3, `malformed: column time_stats.all_reduce.median: "oops" is not a number`},
		{4, "NaN target: no median time"},
		{5, "malformed: 3 fields, the header has 12 (truncated line or stray delimiter?)"},
	}
	for i, w := range want {
		if res.Skipped[i] != w {
			t.Errorf("skip %d: got %+v, want %+v", i, res.Skipped[i], w)
		}
	}
	if res.Rows[1].Line != 6 || res.Rows[1].GroupSize != 4 || !near(res.Rows[1].BusBWGBps, 8192/0.043e-3/1e9*1.5) {
		t.Errorf("last row: %+v", res.Rows[1])
	}
}

// TestCollectiveDetect checks that each reader here claims its own formats and none
// of the neighbouring ones.
func TestCollectiveDetect(t *testing.T) {
	heads := map[string]string{
		"vidur_collective": vidurCollectiveHeader,
		"frontier_collective": "Unnamed: 0,time_stats.all_reduce.min,time_stats.all_reduce.max,time_stats.all_reduce.mean," +
			"time_stats.all_reduce.median,time_stats.all_reduce.std,rank,num_workers,size,collective,devices_per_node,max_devices_per_node\n",
		"vidur_mlp": ",time_stats.mlp_up_proj.min,time_stats.mlp_up_proj.max,time_stats.mlp_up_proj.mean,time_stats.mlp_up_proj.median," +
			"time_stats.mlp_up_proj.std,n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers\n",
		"vidur_attention":  ",time_stats.attn_prefill.median,n_embd,n_q_head,n_kv_head,block_size,num_tensor_parallel_workers,max_model_len,batch_size,prefill_chunk_size,kv_cache_size,is_prefill\n",
		"frontier_moe":     "num_tokens,hidden_size,num_experts,topk,time_ms,num_workers,devices_per_node\n",
		"json":             "{\n  \"hidden_size\": 4096,\n  \"num_attention_heads\": 32\n}\n",
		"yaml":             "name: llama\nTP:\n  size: 8\nDP:\n  size: 2\n",
		"nccl_tests":       "# nThread 1 nGpus 8 minBytes 8 maxBytes 128 step: 2(factor) warmup iters: 5 iters: 20 validation: 1\n#\n# Using devices\n",
		"nccl_tests_217":   "# nccl-tests version 2.17.8 nccl-headers=22902 nccl-library=22902\n# Collective test starting: all_reduce_perf\n",
		"aicb_comm_log":    "comm_type,comm_group,comm_group_size,msg_size,stage,dst,src,additional,_elapsed_time,algbw,busbw,count\n",
		"aicb_workload":    "[rank0 ~ rank127]\ncomm_type,comm_group,comm_group_size,msg_size,stage,dst,src,additional,_elapsed_time,algbw,busbw,count\n",
		"aiob_train":       "train_iter:10\nEmb:\n    time_gpu_max: 857\n",
		"aiob_infer":       "inference_term:decode\natten_qkv:\n    time_gpu_max: 857\n",
		"aicb_layer_table": "layer_id\tlayer_name\tcomp_time\tcomm_size\n0\tattention\t1234567\t14680064\n",
		"simai_workload":   "HYBRID_TRANSFORMER_FWD_IN_BCKWD model_parallel_NPU_group: 8 ep: 1 pp: 1\n2\nembedding_layer -1 556000 ALLREDUCE 16777216 1 NONE 0 1 NONE 0 1\n",
		"simai_micro":      "MICRO\n19\nmicro_test\t-1\t1\tNONE\t0\t1\tNONE\t0\t1\tALLREDUCE\t4096\t1\n",
		"simai_busbw":      "test\nTP:\nallreduce,: 300\nallgather,: 280\n",
		"simai_ratio":      "Size,1 Node(NVLinkx),2Node-16GPU(NIC ),Multi 16\n16777216,0.44,0.52,0.86\n",
		"empty":            "",
	}
	claims := map[string][]string{ // reader → heads it must claim; all others it must not
		"vidur_collective": {"vidur_collective", "frontier_collective"},
		"nccl_tests":       {"nccl_tests", "nccl_tests_217"},
		"aicb_comm_log":    {"aicb_comm_log", "aicb_workload"},
		"aiob":             {"aiob_train", "aiob_infer"},
		"aicb_layer_table": {"aicb_layer_table"},
		"simai_workload":   {"simai_workload", "simai_micro"},
		"simai_busbw":      {"simai_busbw"},
		"simai_ratio":      {"simai_ratio"},
	}
	for _, r := range []Reader{VidurCollectiveReader, NCCLTestsReader, AICBCommLogReader, AIOBReader,
		AICBLayerTableReader, SimAIWorkloadReader, SimAIBusBWReader, SimAIRatioReader} {
		want := map[string]bool{}
		for _, h := range claims[r.Name] {
			want[h] = true
		}
		if len(want) == 0 {
			t.Fatalf("no claims listed for %s", r.Name)
		}
		for name, head := range heads {
			if got := r.Detect("file", []byte(head)); got != want[name] {
				t.Errorf("%s.Detect(%s) = %v, want %v", r.Name, name, got, want[name])
			}
		}
	}
}

func FuzzVidurCollective(f *testing.F) {
	f.Add([]byte(vidurCollectiveHeader + "0,0.031,0.077,0.05,0.043,0.019,0,2,2048,all_reduce,1,8\n"))
	f.Add([]byte(strings.ReplaceAll(vidurCollectiveHeader, "all_reduce", "send_recv") + "0,1e-3,2,1,1,0,0,2,2048,send_recv,2,8\n1,2"))
	addSharedSeeds(f, 8<<10, "vidur/profiling/network/a100_dgx/all_reduce.csv", "frontier/profiling/network/a800_pairwise_nvlink/all_reduce.csv",
		"vidur/profiling/network/h100_dgx/send_recv.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, VidurCollectiveReader, "all_reduce.csv", data)
	})
}

// addSharedSeeds adds the first limit bytes of shared data files, when present, as
// fuzz seeds.
func addSharedSeeds(f *testing.F, limit int, rels ...string) {
	root := shareddata.Root()
	if root == "" {
		return
	}
	for _, rel := range rels {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			continue
		}
		f.Add(data[:min(len(data), limit)])
	}
}

// fuzzReader runs r on data strictly and leniently: neither may panic, an error must
// be an *InputError, and every row returned must be one the dataset accepts.
func fuzzReader(t *testing.T, r Reader, name string, data []byte) {
	for _, lenient := range []bool{false, true} {
		res, err := r.Read(Source{Name: name, R: bytes.NewReader(data)}, Options{Lenient: lenient})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("lenient=%v: error %v is not an *InputError", lenient, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			continue
		}
		for i := range res.Rows {
			if err := validateRow(&res.Rows[i]); err != nil {
				t.Fatalf("lenient=%v: %v", lenient, err)
			}
		}
		_ = r.Detect(name, data)
	}
}

// BenchmarkCollectiveAndAICBReaders parses every file of the shared data that one of
// this file group's readers claims (profiles/ plus the Vidur and Frontier network
// folders), detection included.
func BenchmarkCollectiveAndAICBReaders(b *testing.B) {
	readers := []Reader{VidurCollectiveReader, NCCLTestsReader, AICBCommLogReader, AIOBReader,
		AICBLayerTableReader, SimAIWorkloadReader, SimAIBusBWReader, SimAIRatioReader}
	type file struct {
		name string
		data []byte
	}
	var files []file
	for _, dir := range []string{"profiles", "vidur/profiling/network", "frontier/profiling/network"} {
		root := shareddata.Path(b, dir)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if data, err := os.ReadFile(p); err == nil {
					files = append(files, file{p, data})
				}
			}
			return nil
		})
	}
	var bytesIn int64
	for _, f := range files {
		bytesIn += int64(len(f.data))
	}
	b.SetBytes(bytesIn)
	b.ResetTimer()
	for b.Loop() {
		rows := 0
		for _, f := range files {
			head := f.data[:min(len(f.data), 64<<10)]
			for _, r := range readers {
				if !r.Detect(filepath.Base(f.name), head) {
					continue
				}
				res, err := r.Read(Source{Name: f.name, R: bytes.NewReader(f.data)}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				rows += len(res.Rows)
				break
			}
		}
		b.ReportMetric(float64(rows), "rows")
	}
}
