package predictor

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSimAIResults(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSimAIResults(dir); err == nil || !strings.Contains(err.Error(), "no SimAI results") {
		t.Fatalf("empty folder: %v", err)
	}
	// Two one-layer probes, as vidur-alibabacloud writes them, and SimAI-Analytical's
	// results (summary block first, then the layer rows).
	hdr := "HYBRID_TRANSFORMER_FWD_IN_BCKWD model_parallel_NPU_group: 4 ep: 1 pp: 1 vpp: 32 ga: 1 all_gpus: 4 checkpoints: 0 checkpoint_initiates: 0 pp_comm: 0\n1\n"
	res := "File name, Expose DP comm, Expose DP_EP comm, Expose TP comm, Expose_EP_comm, Expose_PP_comm, bubble time, total comp, total exposed comm, Total time\n" +
		"x, 0 (0.00%), 0 (0.00%), %s (100.00%), 0, 0, 0, 0, %s, %s\n" +
		"layer_name,run,fwd compute,wg compute,ig compute,fwd exposed comm,wg exposed comm,ig exposed comm,fwd total comm,algbw,busbw,wg total comm,algbw,busbw,ig total comm,algbw,busbw\n" +
		"layer0,run,1,0,0,%s,0,0,%s,1,1,0,0,0,0,0,0\n"
	for _, p := range []struct{ name, bytes, us string }{{"ar1m", "1048576", "20"}, {"ar16m", "16777216", "160"}} {
		writeFile(t, filepath.Join(dir, p.name+".txt"), hdr+"layer0 -1 1 ALLREDUCE "+p.bytes+" 0 NONE 0 0 NONE 0 100\n")
		writeFile(t, filepath.Join(dir, "results", p.name+"_EndToEnd.csv"), strings.ReplaceAll(res, "%s", p.us))
	}
	m, err := LoadSimAIResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	g := Group{Kind: GroupTP, Size: 4, RanksPerNode: 4}
	got, err := m.CollectiveTime(CollAllReduce, 1<<20, g)
	if err != nil || math.Abs(got.Seconds-20e-6) > 1e-15 {
		t.Errorf("1 MiB all-reduce: %v %v, want SimAI's 20 µs", got, err)
	}
	// 4 MiB is halfway between in log(bytes): √(20·160) µs.
	got, _ = m.CollectiveTime(CollAllReduce, 4<<20, g)
	if math.Abs(got.Seconds-math.Sqrt(20*160)*1e-6) > 1e-15 {
		t.Errorf("4 MiB: %g s", got.Seconds)
	}
}

func TestAICB(t *testing.T) {
	dir := t.TempDir()
	key := AICBKey{Model: "DeepSeek-671B", WorldSize: 8, TP: 2, PP: 1, EP: 8}
	if _, err := LoadAICB(filepath.Join(dir, "nope"), key); err == nil || !strings.Contains(err.Error(), "vidur-DeepSeek-671B-world_size8-tp2-pp1-ep8-bs<B>-seq<S>") {
		t.Fatalf("missing folder: %v", err)
	}
	table := "layer_id\tlayer_name\tcomp_time\tcomm_size\n0\tattention\t1000000\t0\n0\tmlp\t500000\t0\n3\tattention\t1000000\t0\n3\tmoe\t2000000\t%d\n"
	writeFile(t, filepath.Join(dir, "vidur-DeepSeek-671B-world_size8-tp2-pp1-ep8-bs4-seq1000-decode.csv"), strings.Replace(table, "%d", "1000000", 1))
	writeFile(t, filepath.Join(dir, "vidur-DeepSeek-671B-world_size8-tp2-pp1-ep8-bs4-seq2000-decode.csv"), strings.Replace(strings.ReplaceAll(table, "2000000", "4000000"), "%d", "3000000", 1))
	m, err := LoadAICB(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	m.Comm = P2PLinkAllToAll{}
	// seq 1500: halfway; compute (1+0.5+1+3) ms = 5.5 ms in seconds (ns·1e-9).
	tm, _, err := m.stage(false, 4, 1500, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tm.Attention+tm.MLP-5.5e-3) > 1e-15 {
		t.Errorf("compute %g s, want 5.5 ms", tm.Attention+tm.MLP)
	}
	if math.Abs(tm.Comm-2e6/1e9) > 1e-15 {
		t.Errorf("MoE comm %g s, want 2 MB at 1 GB/s", tm.Comm)
	}
	if _, clamped, _ := m.stage(false, 4, 1500, 1); clamped {
		t.Error("seq 1500 lies between the tables' 1000 and 2000 but was reported clamped")
	}
	if _, clamped, _ := m.stage(false, 4, 500, 1); !clamped {
		t.Error("seq 500 lies below the tables' 1000 but was not reported clamped")
	}
	m.ForkUnits, m.ForkRDMABytesPerSecond = true, 1e9
	fork, _, _ := m.stage(false, 4, 1500, 1)
	if math.Abs(fork.Attention+fork.MLP-5.5e-6) > 1e-18 {
		t.Errorf("fork compute %g s, want the fork's 1000× too small 5.5 µs", fork.Attention+fork.MLP)
	}
	if _, _, err := m.stage(true, 1, 1000, 1); err == nil || !strings.Contains(err.Error(), "bs1-seq*-prefill.csv") {
		t.Errorf("missing prefill table: %v", err)
	}

	// Each layer row is one collective with its own latency: two MoE layers of 1 MB
	// each cost two all-to-alls of 1 MB, not one of 2 MB.
	two := "layer_id\tlayer_name\tcomp_time\tcomm_size\n0\tmoe\t1000000\t1000000\n1\tmoe\t1000000\t1000000\n"
	writeFile(t, filepath.Join(dir, "vidur-DeepSeek-671B-world_size8-tp2-pp1-ep8-bs2-seq1000-decode.csv"), two)
	if m, err = LoadAICB(dir, key); err != nil {
		t.Fatal(err)
	}
	m.Comm = latencyComm{}
	tm, _, err = m.stage(false, 2, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * (10e-6 + 1e6/1e9); math.Abs(tm.Comm-want) > 1e-15 || tm.Dispatch != tm.Comm {
		t.Errorf("two MoE layers: comm %g s (dispatch %g), want %g", tm.Comm, tm.Dispatch, want)
	}
}

// latencyComm charges 10 µs per collective plus 1 GB/s.
type latencyComm struct{}

func (latencyComm) CollectiveTime(_ Collective, bytes float64, _ Group) (CommTime, error) {
	return CommTime{Seconds: 10e-6 + bytes/1e9}, nil
}

// P2PLinkAllToAll moves every collective at 1 GB/s with no latency.
type P2PLinkAllToAll struct{}

func (P2PLinkAllToAll) CollectiveTime(_ Collective, bytes float64, _ Group) (CommTime, error) {
	return CommTime{Seconds: bytes / 1e9}, nil
}

// FuzzSimAIExposedComm checks that no EndToEnd.csv content panics the reader.
func FuzzSimAIExposedComm(f *testing.F) {
	f.Add("layer_name,run,fwd compute,wg compute,ig compute,fwd exposed comm\nlayer0,run,1,0,0,20\n")
	f.Add("File name, Expose DP comm\nx, 0 (0.00%)\nlayer_name,r,a,b,c,fwd exposed comm,e\nl,r,1,2,3,4.5,6\ntotal exposed comm,7,total comp,1\n")
	f.Fuzz(func(t *testing.T, s string) {
		p := filepath.Join(t.TempDir(), "x_EndToEnd.csv")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _ = readSimAIExposedComm(p)
	})
}

// TestWithCommTPOnly: SimAI's results replace the TP all-reduce and leave the PP
// send/recv of the tables, which SimAI does not time.
func TestWithCommTPOnly(t *testing.T) {
	tb := smallTables()
	before := slices.Clone(tb.Token[SendRecv])
	out, _, err := WithComm(tb, latencyComm{}, CommSetup{HiddenSize: 16, TensorParallel: 2, PipelineStages: 2, GPUsPerNode: 8, TPOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Token[SendRecv], before) {
		t.Error("TPOnly replaced the send/recv table")
	}
	if slices.Equal(out.Token[AllReduce], tb.Token[AllReduce]) {
		t.Error("TPOnly kept the all-reduce table")
	}
}
