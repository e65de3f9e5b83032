package profile

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const ncclDir = "profiles/nccl-tests/"

func TestNCCLTestsRealFiles(t *testing.T) {
	for _, tc := range []struct {
		rel           string
		read, kept    int
		ops           map[string]int // operator → rows
		gpu           string
		group, ranksN int64
		dtype         string
		count         int64
	}{
		{"KeitaW+p5-nccl-test-2024-07-19/nccl-test-output-v2.22.3-1.log", 64, 64,
			map[string]int{"all_reduce": 64}, "h100", 16, 8, "fp32", 100},
		{"microsoft+superbenchmark/tests/data/nccl_allgather.log", 68, 58, map[string]int{"all_gather": 58}, "a100", 8, 8, "fp32", 20},
		{"microsoft+superbenchmark/tests/data/nccl_allreduce.log", 68, 64, map[string]int{"all_reduce": 64}, "a100", 8, 8, "fp32", 20},
		{"microsoft+superbenchmark/tests/data/nccl_alltoall.log", 68, 58, map[string]int{"all_to_all": 58}, "a100", 8, 8, "fp32", 20},
		{"microsoft+superbenchmark/tests/data/nccl_reducescatter.log", 68, 58, map[string]int{"reduce_scatter": 58}, "a100", 8, 8, "fp32", 20},
		{"thomaslie210+NCCL_Test_Results/NCCL_Benchmarks/GDR_On/n013_n014_GDR_ON_Medium/result_medium_all_gather_perf.txt", 206, 206,
			map[string]int{"all_gather": 206}, "a100", 2, 1, "fp32", 20},
		{"thomaslie210+NCCL_Test_Results/NCCL_Benchmarks/GDR_On/n013_n014_GDR_ON_Medium/result_medium_alltoall_perf.txt", 206, 206,
			map[string]int{"all_to_all": 206}, "a100", 2, 1, "fp32", 20},
		{"xxrjun+nccl-tests-cluster/benchmarks/example-cluster01/nccl-benchmark-results/single-node/runs/20260128-145017/without-debug/logs/nccl_N1_G8_cnode3-002.log", 100, 100,
			map[string]int{"all_reduce": 20, "all_gather": 20, "reduce_scatter": 20, "all_to_all": 20, "send_recv": 20}, "h100", 8, 8, "fp64", 20},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			res := readShared(t, NCCLTestsReader, ncclDir+tc.rel, Source{Network: "net"})
			if res.RowsRead != tc.read || len(res.Rows) != tc.kept {
				t.Fatalf("read %d, kept %d; want %d, %d", res.RowsRead, len(res.Rows), tc.read, tc.kept)
			}
			for _, s := range res.Skipped {
				if s.Reason != "filtered: 0-byte message" {
					t.Errorf("unexpected skip %+v", s)
				}
			}
			checkValid(t, res.Rows)
			ops := map[string]int{}
			inPlace := 0
			for _, r := range res.Rows {
				ops[r.Operator]++
				if r.InPlace {
					inPlace++
				}
				if r.GPU != tc.gpu || r.GroupSize != tc.group || r.RanksPerNode != tc.ranksN || r.Dtype != tc.dtype ||
					r.Count != tc.count || r.Network != "net" || r.Bytes <= 0 || r.MedianMS <= 0 || r.MedianMS != r.MeanMS {
					t.Fatalf("row %+v: want gpu %s, %d ranks, %d per node, %s, count %d", r, tc.gpu, tc.group, tc.ranksN, tc.dtype, tc.count)
				}
			}
			if len(ops) != len(tc.ops) {
				t.Errorf("operators %v, want %v", ops, tc.ops)
			}
			for op, n := range tc.ops {
				if ops[op] != n {
					t.Errorf("operators %v, want %v", ops, tc.ops)
				}
			}
			if inPlace*2 != len(res.Rows) {
				t.Errorf("%d in-place rows of %d, want half", inPlace, len(res.Rows))
			}
		})
	}
}

// TestNCCLTestsValues checks converted values against lines of the real logs:
// time µs → ms, bandwidths as printed.
func TestNCCLTestsValues(t *testing.T) {
	type want struct {
		line    int64
		op      string
		inPlace bool
		bytes   int64
		ms      float64
		algbw   float64
		busbw   float64
		extra   string
	}
	for _, tc := range []struct {
		rel  string
		want []want
	}{
		{"xxrjun+nccl-tests-cluster/benchmarks/example-cluster01/nccl-benchmark-results/single-node/runs/20260128-145017/without-debug/logs/nccl_N1_G8_cnode3-002.log", []want{
			// "    33554432       4194304    double     sum      -1   182.87  183.49  321.10       0   182.88  183.48  321.08       0"
			{20, "all_reduce", false, 33554432, 0.18287, 183.49, 321.10, "elements=4194304;redop=sum"},
			{20, "all_reduce", true, 33554432, 0.18288, 183.48, 321.08, "elements=4194304;redop=sum"},
			// "  4294967296     536870912    double     sum      -1  15668.1  274.12  479.71 ..."
			{27, "all_reduce", false, 4294967296, 15.6681, 274.12, 479.71, "elements=536870912;redop=sum"},
			// alltoall in-place #wrong is N/A: kept.
			{134, "all_to_all", true, 17179869184, 43.2894, 396.86, 347.25, "elements=268435456"},
			{169, "send_recv", false, 17179869184, 46.7792, 367.25, 367.25, "elements=2147483648;redop=sum"},
		}},
		{"KeitaW+p5-nccl-test-2024-07-19/nccl-test-output-v2.22.3-1.log", []want{
			// mpirun tags inside the row: "... -1[1,0]<stdout>:    85.70    0.00    0.00      0[1,0]<stdout>:    74.97 ..."
			{2905, "all_reduce", false, 8, 0.0857, 0, 0, "elements=2;redop=sum"},
			{2905, "all_reduce", true, 8, 0.07497, 0, 0, "elements=2;redop=sum"},
			{2936, "all_reduce", false, 17179869184, 66.023, 260.21, 487.90, "elements=4294967296;redop=sum"},
		}},
		{"microsoft+superbenchmark/tests/data/nccl_allgather.log", []want{
			// "  8589934592     268435456   float    33646  255.31  223.39    N/A    32669  262.94  230.07    N/A"
			{50, "all_gather", true, 8589934592, 32.669, 262.94, 230.07, "elements=268435456"},
		}},
		{"thomaslie210+NCCL_Test_Results/NCCL_Benchmarks/GDR_On/n013_n014_GDR_ON_Medium/result_medium_alltoall_perf.txt", []want{
			{163, "all_to_all", true, 1048576, 0.10039, 10.45, 5.22, "elements=131072"},
		}},
	} {
		res := readShared(t, NCCLTestsReader, ncclDir+tc.rel, Source{})
		for _, w := range tc.want {
			r := findRow(t, res.Rows, "line and placement", func(r Row) bool { return r.Line == w.line && r.InPlace == w.inPlace })
			if r.Operator != w.op || r.Bytes != w.bytes || !near(r.MedianMS, w.ms) || r.AlgBWGBps != w.algbw || r.BusBWGBps != w.busbw || r.Extra != w.extra {
				t.Errorf("%s:%d in-place=%v: got %s %d B %g ms algbw %g busbw %g %q; want %+v",
					tc.rel, w.line, w.inPlace, r.Operator, r.Bytes, r.MedianMS, r.AlgBWGBps, r.BusBWGBps, r.Extra, w)
			}
		}
	}
}

// TestNCCLTestsVariants reads the testdata logs: mpirun tags inside rows, a collective
// inferred from busbw/algbw, exponent times, N/A, several tests in one file and an
// in-place-only trace-replay row.
func TestNCCLTestsVariants(t *testing.T) {
	read := func(name string) Result {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !NCCLTestsReader.Detect(name, data) {
			t.Errorf("Detect does not claim %s", name)
		}
		res, err := readString(NCCLTestsReader, name, string(data), false)
		if err != nil {
			t.Fatal(err)
		}
		checkValid(t, res.Rows)
		return res
	}

	res := read("nccl_tagged_4ranks.log")
	if len(res.Rows) != 6 || res.RowsRead != 6 {
		t.Fatalf("tagged: read %d kept %d, want 6", res.RowsRead, len(res.Rows))
	}
	for _, r := range res.Rows {
		// No test name anywhere: busbw = algbw × 2·3/4 identifies all_reduce.
		if r.Operator != "all_reduce" || r.GPU != "h800" || r.GroupSize != 4 || r.RanksPerNode != 2 || r.Count != 50 {
			t.Errorf("tagged row %+v", r)
		}
	}
	if r := res.Rows[4]; r.Bytes != 4194304 || !near(r.MedianMS, 0.12) || r.InPlace {
		t.Errorf("tagged exponent time: %+v", r)
	}

	res = read("nccl_two_tests.log")
	want := []struct {
		op      string
		bytes   int64
		inPlace bool
		ms      float64
		extra   string
	}{
		{"all_to_all", 1073741824, false, 11000, "elements=134217728"},
		{"all_to_all", 1073741824, true, 10000, "elements=134217728"},
		{"all_to_all", 2147483648, false, 22000, "elements=268435456"},
		{"all_to_all", 2147483648, true, 21000, "elements=268435456"},
		{"broadcast", 1024, false, 0.01, "elements=512;root=1;wrong=1e+06"},
		{"broadcast", 1024, true, 0.0105, "elements=512;root=1"},
		{"broadcast", 2048, true, 0.0125, "elements=1024;root=1"},
	}
	if len(res.Rows) != len(want) || res.RowsRead != len(want) {
		t.Fatalf("two tests: read %d kept %d, want %d", res.RowsRead, len(res.Rows), len(want))
	}
	for i, w := range want {
		r := res.Rows[i]
		if r.Operator != w.op || r.Bytes != w.bytes || r.InPlace != w.inPlace || !near(r.MedianMS, w.ms) || r.Extra != w.extra ||
			r.GPU != "a800" || r.GroupSize != 2 || r.RanksPerNode != 2 || r.Count != 40 {
			t.Errorf("row %d: got %+v, want %+v", i, r, w)
		}
	}
	if res.Rows[0].Dtype != "fp16" || res.Rows[4].Dtype != "bf16" {
		t.Errorf("dtypes %s, %s; want fp16, bf16", res.Rows[0].Dtype, res.Rows[4].Dtype)
	}
}

const ncclHeader = `# nThread 1 nGpus 2 minBytes 8 maxBytes 16 step: 2(factor) warmup iters: 5 iters: 20 agg iters: 1 validation: 1 graph: 0
#
# Using devices
#  Rank  0 Group  0 Pid 1 on host device  0 [0x00] NVIDIA H100 80GB HBM3
#  Rank  1 Group  0 Pid 1 on host device  1 [0x00] NVIDIA H100 80GB HBM3
#
#       size         count      type   redop    root     time   algbw   busbw  #wrong     time   algbw   busbw  #wrong
#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             (us)  (GB/s)  (GB/s)
`

func TestNCCLTestsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"truncated file", ncclHeader +
			"           8             2     float     sum      -1    10.00    0.00    0.00      0    10.00    0.00    0.00      0\n" +
			"          16             4     float     sum      -1    10.00    0.00",
			"profile: all_reduce_perf.log:10: column busbw: table line has 7 fields, the table header names 13: truncated line?"},
		{"text in time", ncclHeader +
			"           8             2     float     sum      -1    fast    0.00    0.00      0    10.00    0.00    0.00      0\n",
			`profile: all_reduce_perf.log:9: column time: "fast" is not a non-negative number`},
		{"text in in-place busbw", ncclHeader +
			"           8             2     float     sum      -1    10.00    0.00    0.00      0    10.00    0.00    x.y      0\n",
			`profile: all_reduce_perf.log:9: column busbw: "x.y" is not a non-negative number`},
		{"comma delimiter", ncclHeader +
			"8,2,float,sum,-1,10.00,0.00,0.00,0,10.00,0.00,0.00,0\n",
			`profile: all_reduce_perf.log:9: column size: "8,2,float,sum,-1,10.00,0.00,0.00,0,10.00...": table fields are separated by ',', nccl-tests separates them with blanks`},
		{"number as type", ncclHeader +
			"           8             2     12     sum      -1    10.00    0.00    0.00      0    10.00    0.00    0.00      0\n",
			`profile: all_reduce_perf.log:9: column type: "12" is a number, expected a data type name (float, half, ...)`},
		{"unknown collective", ncclHeader +
			"           8             2     float     sum      -1    10.00    0.00    0.00      0    10.00    0.00    0.00      0\n",
			`profile: run.log:9: cannot tell which collective this table measures: no "Collective test starting" line, the file name names none, and busbw/algbw does not single one out`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "all_reduce_perf.log"
			if tc.name == "unknown collective" {
				name = "run.log"
			}
			_, err := readString(NCCLTestsReader, name, tc.text, false)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *InputError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			// Lenient: the bad line is skipped and the rest kept.
			res, err := readString(NCCLTestsReader, name, tc.text, true)
			if err != nil {
				t.Fatalf("lenient: %v", err)
			}
			if len(res.Skipped) == 0 || !strings.HasPrefix(res.Skipped[0].Reason, "malformed: ") {
				t.Errorf("lenient: skipped %+v", res.Skipped)
			}
		})
	}
}

// TestNCCLTestsNoTable: a run that died before printing results is an error, not an
// empty success.
func TestNCCLTestsNoTable(t *testing.T) {
	want := `profile: all_reduce_perf.log:9: no result table: no "# size count ..." header followed by rows (a failed or truncated run?)`
	for _, lenient := range []bool{false, true} {
		if _, err := readString(NCCLTestsReader, "all_reduce_perf.log", ncclHeader, lenient); err == nil || err.Error() != want {
			t.Errorf("lenient=%v: got %v, want %s", lenient, err, want)
		}
	}
}

func TestNormalizeGPUName(t *testing.T) {
	for in, want := range map[string]string{
		"NVIDIA H100 80GB HBM3":   "h100",
		"A100-SXM4-80GB":          "a100",
		"A100-SXM4-40GB":          "a100",
		"NVIDIA A100-PCIE-40GB":   "a100",
		"NVIDIA H20":              "h20",
		"NVIDIA H800":             "h800",
		"NVIDIA H200":             "h200",
		"NVIDIA B200":             "b200",
		"NVIDIA GB200":            "gb200",
		"NVIDIA L40S":             "l40s",
		"Tesla V100-SXM2-32GB":    "v100",
		"NVIDIA GeForce RTX 4090": "nvidia_geforce_rtx_4090",
		"":                        "",
	} {
		if got := normalizeGPUName(in); got != want {
			t.Errorf("normalizeGPUName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNCCLOperatorNames(t *testing.T) {
	for in, want := range map[string]string{
		"all_reduce_perf": "all_reduce", "all_gather_perf_mpi": "all_gather", "reduce_scatter_perf": "reduce_scatter",
		"alltoall_perf": "all_to_all", "sendrecv_perf": "send_recv", "broadcast_perf": "broadcast",
		"reduce_perf": "reduce", "hypercube_perf": "hypercube", "alltoallv_perf": "all_to_allv",
	} {
		if got := ncclTestOperator(in); got != want {
			t.Errorf("ncclTestOperator(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"logs/nccl_allreduce.log": "all_reduce", "nccl_reducescatter.log": "reduce_scatter",
		"result_medium_all_gather_perf.txt": "all_gather", "nccl_alltoall.log": "all_to_all",
		"x/sendrecv.txt": "send_recv", "nccl-test-output-v2.22.3-1.log": "",
	} {
		if got := ncclOperatorFromName(in); got != want {
			t.Errorf("ncclOperatorFromName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripMPITags(t *testing.T) {
	for in, want := range map[string]string{
		"[1,0]<stdout>:# nThread 1":                  "# nThread 1",
		"    8  2 float sum -1[1,0]<stdout>:  85.70": "    8  2 float sum -1  85.70",
		"[12,345]<stderr>:x[1,2]<stdout>:y":          "xy",
		"a [b]<stdout>: c":                           "a [b]<stdout>: c",
		"no tags":                                    "no tags",
		"[1,0]<stdin>:z":                             "[1,0]<stdin>:z",
	} {
		if got := stripMPITags(in); got != want {
			t.Errorf("stripMPITags(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNCCLTests(f *testing.F) {
	for _, name := range []string{"nccl_tagged_4ranks.log", "nccl_two_tests.log"} {
		if data, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(ncclHeader + "           8             2     float     sum      -1    10.00    0.00    0.00      0\n"))
	addSharedSeeds(f, 16<<10,
		ncclDir+"microsoft+superbenchmark/tests/data/nccl_alltoall.log",
		ncclDir+"thomaslie210+NCCL_Test_Results/NCCL_Benchmarks/GDR_On/n013_n014_GDR_ON_Medium/result_medium_alltoall_perf.txt",
		ncclDir+"xxrjun+nccl-tests-cluster/benchmarks/example-cluster01/nccl-benchmark-results/single-node/runs/20260128-145017/without-debug/logs/nccl_N1_G8_cnode3-002.log")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, NCCLTestsReader, "all_reduce_perf.log", data)
	})
}
