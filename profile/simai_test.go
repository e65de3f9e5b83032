package profile

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
)

const simaiDir = "profiles/simai/"

// simaiWant is one expected Row of a SimAI workload.
type simaiWant struct {
	line  int64
	op    string
	extra string
	ms    float64
	bytes int64
	group int64
}

func TestSimAIWorkloadRealFiles(t *testing.T) {
	for _, tc := range []struct {
		rel        string
		read, kept int
		tp, ep, pp int64
		world      int64
		want       []simaiWant
	}{
		{simaiDir + "example/microAllReduce.txt", 2, 4, 8, 1, 1, 8, []simaiWant{
			// embedding_layer     -1 556000  ALLREDUCE   16777216      1       NONE 0        1      NONE   0      1
			{3, "embedding_layer", "phase=fwd", 0.556, 0, 0},
			{3, "all_reduce", "group=tp;layer=embedding_layer;phase=fwd", 0, 16777216, 8},
			{4, "all_reduce", "group=tp;layer=embedding_layer;phase=fwd", 0, 67108864, 8},
		}},
		{simaiDir + "example/workload_analytical.txt", 1789, 4982, 2, 16, 12, 9216, []simaiWant{
			{1, "send_recv", "group=pp", 0, 50331648, 12}, // pp_comm 50331648, written without its colon
			{3, "all_gather", "group=dp;layer=grad_gather;phase=wg", 0, 2807758848, 384},
			{5, "grad_param_compute", "phase=ig", 29.700224, 0, 0},
			{7, "all_gather", "group=dp_ep;layer=moe_grad_norm1;phase=wg", 0, 19327352832, 24},
			{9, "embedding_layer", "phase=fwd", 0.622731, 0, 0},
			{9, "embedding_layer", "phase=wg", 15.091072, 0, 0},
			{10, "attention_column", "phase=ig", 0.87542, 0, 0},
		}},
		{simaiDir + "pr291/example/workload_ep_test.txt", 43, 109, 4, 4, 1, 32, nil},
		{aicbDir + "workload/simAI/micro_test/all_reduce.txt", 19, 19, 0, 0, 0, 0, []simaiWant{
			{3, "all_reduce", "group=dp;layer=micro_test;phase=wg", 0, 4096, 0},
		}},
		{aicbDir + "workload/simAI/micro_test/all_to_all.txt", 19, 19, 0, 0, 0, 0, nil},
		{aicbDir + "workload/simAI/model_workload/G13B-M1-C01_GPT13B_megatron_tp8_pp1_mbs1_A100.txt", 92, 415, 8, 0, 0, 0, []simaiWant{
			// norm -1 0 BROADCAST 16384 ...: SimAI does not parse BROADCAST, so line 3 gives nothing.
			{4, "grad_norm", "phase=fwd", 14.565, 0, 0},
			{4, "all_gather", "group=tp;layer=grad_norm;phase=fwd", 0, 3248619520, 8},
			{4, "grad_norm", "phase=ig", 13.391, 0, 0},
			{4, "reduce_scatter", "group=dp;layer=grad_norm;phase=wg", 0, 6497239040, 0},
		}},
		// Tabs and spaces mixed, leading blanks in fields.
		{aicbDir + "workload/simAI/model_workload/L7B-D1-C02_Llama7B_deepspeed_zero3_A100.txt", 12, 37, 1, 0, 0, 0, []simaiWant{
			{3, "Llama_layer1", "phase=fwd", 14.356, 0, 0},
			{3, "Llama_layer1", "phase=ig", 4.756, 0, 0},
			{3, "all_gather", "group=tp;layer=Llama_layer1;phase=ig", 0, 357468, 1},
			{3, "reduce_scatter", "group=dp;layer=Llama_layer1;phase=wg", 0, 1889785610, 0},
		}},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			res := readShared(t, SimAIWorkloadReader, tc.rel, Source{})
			if res.RowsRead != tc.read || len(res.Rows) != tc.kept || len(res.Skipped) != 0 {
				t.Fatalf("read %d, kept %d, skipped %v; want %d, %d", res.RowsRead, len(res.Rows), res.Skipped, tc.read, tc.kept)
			}
			checkValid(t, res.Rows)
			for _, r := range res.Rows {
				if r.TP != tc.tp || r.EP != tc.ep || r.PP != tc.pp || r.WorldSize != tc.world {
					t.Fatalf("row %+v: want tp %d ep %d pp %d world %d", r, tc.tp, tc.ep, tc.pp, tc.world)
				}
				if (r.Bytes == 0) == (r.MedianMS == 0) {
					t.Fatalf("row %+v is neither a compute nor a comm entry", r)
				}
			}
			for _, w := range tc.want {
				r := findRow(t, res.Rows, "line "+w.extra, func(r Row) bool {
					return r.Line == w.line && r.Operator == w.op && r.Extra == w.extra
				})
				if !near(r.MedianMS, w.ms) || r.Bytes != w.bytes || r.GroupSize != w.group {
					t.Errorf("line %d %s %s: %g ms %d B group %d; want %+v", w.line, w.op, w.extra, r.MedianMS, r.Bytes, r.GroupSize, w)
				}
			}
		})
	}
}

const simaiHead = "HYBRID_TRANSFORMER_FWD_IN_BCKWD model_parallel_NPU_group: 2 ep: 1 pp: 1 vpp: 1 ga: 1 all_gpus: 8 checkpoints: 0 checkpoint_initiates: 0\n"

func TestSimAIWorkloadErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"truncated file", simaiHead + "3\nl0 -1 100 ALLREDUCE 1024 100 NONE 0 100 NONE 0 100\nl1 -1 100 ALLREDUCE 1024 100 NONE 0 100 NONE",
			"profile: w.txt:4: column 11: 10 fields, expected 12 (name, dependency, then compute, comm type, comm size for fwd, ig and wg, then update time)"},
		{"missing layers", simaiHead + "3\nl0 -1 100 ALLREDUCE 1024 100 NONE 0 100 NONE 0 100\n",
			"profile: w.txt:4: end of file after 1 layer lines, line 2 announces 3 (truncated file?)"},
		{"text in compute", simaiHead + "1\nl0 -1 fast ALLREDUCE 1024 100 NONE 0 100 NONE 0 100\n",
			`profile: w.txt:3: column 3: "fast" is not a compute time in ns`},
		{"number as comm type", simaiHead + "1\nl0 -1 100 1024 ALLREDUCE 100 NONE 0 100 NONE 0 100\n",
			`profile: w.txt:3: column 4: "1024" is not a comm type (NONE, ALLREDUCE, ALLGATHER_EP, ...)`},
		{"commas", simaiHead + "1\nl0,-1,100,ALLREDUCE,1024,100,NONE,0,100,NONE,0,100\n",
			"profile: w.txt:3: column 2: 1 fields, expected 12 (name, dependency, then compute, comm type, comm size for fwd, ig and wg, then update time)"},
		{"bad count", simaiHead + "two\n", `profile: w.txt:2: column layers: "two": expected the number of layer lines`},
		{"bad header value", "HYBRID_TRANSFORMER model_parallel_NPU_group: eight\n1\n",
			`profile: w.txt:1: column model_parallel_NPU_group: "eight" is not a non-negative integer`},
		{"extra layers", simaiHead + "1\nl0 -1 100 NONE 0 100 NONE 0 100 NONE 0 100\nl1 -1 100 NONE 0 100 NONE 0 100 NONE 0 100\n",
			"profile: w.txt:4: more layer lines than the 1 that line 2 announces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readString(SimAIWorkloadReader, "w.txt", tc.text, false)
			var ie *InputError
			if !errors.As(err, &ie) || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	res, err := readString(SimAIWorkloadReader, "w.txt", simaiHead+
		"2\nl0 -1 fast ALLREDUCE 1024 100 NONE 0 100 NONE 0 100\nl1 -1 2000000 ALLGATHER_EP 1024 100 NONE 0 100 NONE 0 100\n", true)
	if err != nil || len(res.Rows) != 4 || len(res.Skipped) != 1 || res.Rows[0].MedianMS != 2 || res.Rows[1].Extra != "group=ep;layer=l1;phase=fwd" ||
		res.Rows[2].MedianMS != 0.0001 || res.RowsRead != 2 {
		t.Errorf("lenient: %v %+v", err, res)
	}
}

func TestParseBusBWYAML(t *testing.T) {
	b := func() *BusBW {
		data := readSharedBytes(t, simaiDir+"example/busbw.yaml")
		b, err := ParseBusBWYAML(strings.NewReader(string(data)), "busbw.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}()
	if b.Name != "test" || len(b.Entries) != 10 {
		t.Fatalf("name %q, %d entries; want test, 10", b.Name, len(b.Entries))
	}
	for _, tc := range []struct {
		group, coll string
		gibps       float64
		ok          bool
	}{
		{"tp", "all_reduce", 300, true},
		{"tp", "all_to_all", 230, true},
		{"dp", "all_reduce", 0, false}, // null
		{"dp", "all_gather", 380, true},
		{"ep", "all_to_all", 80, true},
		{"pp", "send_recv", 47.5, true},
	} {
		e, ok := b.Lookup(tc.group, tc.coll)
		if ok != tc.ok || e.GiBps != tc.gibps {
			t.Errorf("Lookup(%s, %s) = %v, %v; want %v, %v", tc.group, tc.coll, e.GiBps, ok, tc.gibps, tc.ok)
		}
	}
	// 300 "GB/s", applied by SimAI to bytes/2³⁰, is 322.1225472 GB/s.
	if e, _ := b.Lookup("tp", "all_reduce"); !near(e.GBps(), 322.1225472) {
		t.Errorf("GBps = %v, want 322.1225472", e.GBps())
	}

	res := readShared(t, SimAIBusBWReader, simaiDir+"example/busbw.yaml", Source{})
	checkValid(t, res.Rows)
	if len(res.Rows) != 10 || res.Rows[0].Operator != "all_reduce" || res.Rows[0].Extra != "group=tp" || !near(res.Rows[0].BusBWGBps, 322.1225472) || res.Rows[0].Line != 3 {
		t.Errorf("rows %+v", res.Rows)
	}

	for _, tc := range []struct{ name, text, want string }{
		{"text value", "x\nTP:\nallreduce,: fast\n", `profile: b.yaml:3: column allreduce: "fast" is not a bandwidth > 0 (or null)`},
		{"before section", "x\nallreduce,: 300\n", `profile: b.yaml:2: column allreduce,: value before any section (TP:, DP:, EP:, PP:)`},
		{"unknown key", "x\nTP:\nbroadcast,: 300\n", `profile: b.yaml:3: column broadcast: unknown key: expected allreduce, allgather, reducescatter, alltoall or busbw`},
		{"truncated", "x\nTP:\nallreduce,:", `profile: b.yaml:3: column allreduce: no value: expected a bandwidth or null`},
		{"twice", "x\nTP:\nallreduce,: 1\nallreduce: 2\n", `profile: b.yaml:4: column allreduce: set twice in section TP (first on line 3)`},
		{"empty", "", `profile: b.yaml:1: empty file: expected a busbw.yaml`},
	} {
		if _, err := ParseBusBWYAML(strings.NewReader(tc.text), "b.yaml"); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

func TestParseSimAIRatioTable(t *testing.T) {
	tab, err := ParseSimAIRatioTable(strings.NewReader(string(readSharedBytes(t, simaiDir+"astra-sim-alibabacloud/inputs/ratio/nic_ratio.csv"))),
		"inputs/ratio/nic_ratio.csv")
	if err != nil {
		t.Fatal(err)
	}
	if tab.Kind != "nic" || len(tab.Columns) != 12 || len(tab.Sizes) != 11 || tab.Sizes[0] != 16777216 || tab.Sizes[10] != 17179869184 {
		t.Fatalf("kind %q, %d columns, sizes %v", tab.Kind, len(tab.Columns), tab.Sizes)
	}
	for j, want := range map[int]RatioColumn{
		0:  {Header: "1 Node(NVLinkx)", Nodes: 1},
		1:  {Header: "2Node-16GPU(NIC )", Nodes: 2, GPUs: 16},
		7:  {Header: "128Node-1024GPU(NIC)", Nodes: 128, GPUs: 1024},
		10: {Header: "Muiti 64", GPUs: 64, Multi: true},
		11: {Header: "Multi (NIC)", Multi: true},
	} {
		if tab.Columns[j] != want {
			t.Errorf("column %d: %+v, want %+v", j, tab.Columns[j], want)
		}
	}
	// Row 16777216: 0.45,0.32,0.24,0.13,0.05,0.044,0.021,0.0087,0.86,0.86,0.77,(empty)
	if v, ok := tab.Ratio(0, 7); !ok || v != 0.0087 {
		t.Errorf("Ratio(0, 7) = %v, %v; want 0.0087", v, ok)
	}
	if _, ok := tab.Ratio(0, 11); ok || !math.IsNaN(tab.Ratios[0][11]) {
		t.Error("empty cell reads as a value")
	}
	if v, ok := tab.Ratio(10, 11); !ok || v != 0.95 {
		t.Errorf("Ratio(10, 11) = %v, %v; want 0.95 (last line, no trailing newline)", v, ok)
	}

	for _, rel := range []string{"nic_ratio.csv", "nvlink_ratio.csv", "ata_ratio.csv"} {
		res := readShared(t, SimAIRatioReader, simaiDir+"astra-sim-alibabacloud/inputs/ratio/"+rel, Source{})
		checkValid(t, res.Rows)
		if res.RowsRead != 132 || len(res.Rows)+len(res.Skipped) != 132 || len(res.Rows) < 95 {
			t.Errorf("%s: read %d kept %d skipped %d", rel, res.RowsRead, len(res.Rows), len(res.Skipped))
		}
	}
	res := readShared(t, SimAIRatioReader, simaiDir+"astra-sim-alibabacloud/inputs/ratio/nic_ratio.csv", Source{})
	if r := res.Rows[1]; r.Operator != "busbw_ratio" || r.Bytes != 16777216 || r.GroupSize != 16 || r.Line != 2 ||
		r.Extra != "column=2Node-16GPU(NIC );nodes=2;ratio=0.32;table=nic" {
		t.Errorf("row 1: %+v", r)
	}

	for _, tc := range []struct{ name, text, want string }{
		{"text cell", "Size,1 Node(NVLinkx)\n16777216,high\n", `profile: r.csv:2: column 1 Node(NVLinkx): "high" is not a number`},
		{"above one", "Size,1 Node(NVLinkx)\n16777216,1.5\n", `profile: r.csv:2: column 1 Node(NVLinkx): 1.5: expected an efficiency in [0, 1]`},
		{"semicolons", "Size;1 Node(NVLinkx)\n16777216;0.5\n", `profile: r.csv:1: column 1: header is one column that contains ';': the file is not comma-separated`},
		{"truncated", "Size,1 Node(NVLinkx),2Node-16GPU(NIC )\n16777216,0.5", `profile: r.csv:2: 2 fields, the header has 3 (truncated line or stray delimiter?)`},
	} {
		if _, err := ParseSimAIRatioTable(strings.NewReader(tc.text), "r.csv"); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

// readSharedBytes returns a shared data file, skipping the test when it is absent.
func readSharedBytes(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func FuzzSimAIWorkload(f *testing.F) {
	f.Add([]byte(simaiHead + "1\nl0 -1 100 ALLREDUCE_DP_EP 1024 100 ALLTOALL_EP 2048 100 REDUCESCATTER 4096 100\n"))
	f.Add([]byte("HYBRID_TRANSFORMER_FWD_IN_BCKWD model_parallel_NPU_group: 2 ep: 16 pp: 12 checkpoints: 2 1 2 pp_comm 3145728.0\n0\n"))
	addSharedSeeds(f, 8<<10, simaiDir+"example/microAllReduce.txt", simaiDir+"example/workload_analytical.txt",
		aicbDir+"workload/simAI/model_workload/L7B-D1-C02_Llama7B_deepspeed_zero3_A100.txt",
		aicbDir+"workload/simAI/micro_test/all_reduce.txt", simaiDir+"pr291/example/workload_ep_test.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, SimAIWorkloadReader, "workload.txt", data)
	})
}

func FuzzSimAIBusBW(f *testing.F) {
	f.Add([]byte("test\nTP:\nallreduce,: 300\nDP:\nallreduce,: null\nPP:\nbusbw: 47.5 # comment"))
	addSharedSeeds(f, 4<<10, simaiDir+"example/busbw.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, SimAIBusBWReader, "busbw.yaml", data)
	})
}

func FuzzSimAIRatio(f *testing.F) {
	f.Add([]byte("Size,1 Node(NVLinkx),2Node-16GPU(NIC ),Multi 16\n16777216,0.44,,0.86\n"))
	addSharedSeeds(f, 4<<10, simaiDir+"astra-sim-alibabacloud/inputs/ratio/nic_ratio.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzReader(t, SimAIRatioReader, "nic_ratio.csv", data)
	})
}
