package simulate

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

// flatTables are hand-made prediction tables, linear in the token count, with every
// operator (TP all-reduce and PP send/recv included), so that PD runs need no profile.
func flatTables(maxTokens int) *predictor.Tables {
	l := predictor.Limits{MaxTokens: maxTokens, MaxBatchSize: 128, MaxKV: maxTokens, MaxChunk: maxTokens, KVGranularity: 64}
	t := &predictor.Tables{KVStep: 64, Limits: l, Source: "flat"}
	for op := predictor.AttnPreProj; op <= predictor.SendRecv; op++ {
		v := make([]float64, maxTokens+1)
		for n := range v {
			v[n] = 0.002 + 1e-5*float64(n)
		}
		t.Token[op] = v
	}
	t.DecodeRows, t.DecodeKVCols = l.MaxBatchSize, l.MaxKV/64+1
	for b := 1; b <= t.DecodeRows; b++ {
		for c := 0; c < t.DecodeKVCols; c++ {
			t.Decode = append(t.Decode, 0.005+1e-6*float64(b*c))
		}
	}
	t.PrefillKVRows, t.PrefillChunks = l.MaxKV/64+1, l.MaxChunk
	for r := 0; r < t.PrefillKVRows; r++ {
		for c := 1; c <= t.PrefillChunks; c++ {
			t.Prefill = append(t.Prefill, 0.005+1e-6*float64(c))
		}
	}
	return t
}

// pdConfig is Llama-3-8B on A100s under split_wise: n replicas, the given prefill share
// and TP.
func pdConfig(n int, ratio float64, tp int) config.Config {
	cfg := config.Default()
	rc := &cfg.Cluster.Replica
	rc.ModelName = "meta-llama/Meta-Llama-3-8B"
	rc.NetworkDevice = "a100_dgx"
	rc.TensorParallelSize = tp
	rc.PDNodeRatio = ratio
	rc.PDP2PCommBandwidth = 100
	rc.PDP2PCommDtype = "bf16"
	cfg.Cluster.NumReplicas = n
	cfg.Cluster.GlobalScheduler.Type = config.GlobalSplitWise
	cfg.Cluster.ReplicaScheduler.Type = config.SchedulerSplitWise
	return cfg
}

func pdSetup(t testing.TB, cfg *config.Config) Setup {
	t.Helper()
	s, err := FromConfig(cfg, catalog.Default(), flatTables(4096))
	if err != nil {
		t.Fatal(err)
	}
	if s.PD == nil {
		t.Fatal("split_wise config gave no PD setup")
	}
	return s
}

// captured keeps every request record of a run.
type captured struct{ reqs []metrics.RequestRecord }

func (c *captured) RecordArrival(workload.Request)               {}
func (c *captured) RecordRequest(r *metrics.RequestRecord)       { c.reqs = append(c.reqs, *r) }
func (c *captured) RecordBatch(*metrics.BatchRecord)             {}
func (c *captured) RecordMemory(replica int, t, percent float64) {}

func runRequests(t *testing.T, s Setup, reqs ...workload.Request) []metrics.RequestRecord {
	t.Helper()
	sim, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	var c captured
	res, err := sim.Run(workload.NewSlice(reqs), &c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != len(reqs) || !res.Drained {
		t.Fatalf("%d of %d requests completed, drained %v", res.Completed, len(reqs), res.Drained)
	}
	slices.SortFunc(c.reqs, func(a, b metrics.RequestRecord) int { return a.ID - b.ID })
	return c.reqs
}

func TestPDTransferSizeAndTime(t *testing.T) {
	cfg := pdConfig(2, 0.5, 1)
	s := pdSetup(t, &cfg)
	// Llama-3-8B: 32 layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes (bf16).
	const perToken = 32 * 8 * 128 * 2 * 2
	if s.PD.KVBytesPerToken != perToken {
		t.Fatalf("KV bytes per token %d, want %d", s.PD.KVBytesPerToken, perToken)
	}
	recs := runRequests(t, s, workload.Request{ID: 0, ArrivedAt: 0, NumPrefillTokens: 1000, NumDecodeTokens: 4})
	r := recs[0]
	size := int64(1000 * perToken)
	// 100 Gbps = 12.5e9 B/s, plus the 10 µs link latency.
	wire := 10e-6 + float64(size)/12.5e9
	switch {
	case r.KVTransferBytes != size:
		t.Errorf("pd_p2p_comm_size %d, want %d (KV bytes per token × prompt tokens)", r.KVTransferBytes, size)
	case math.Abs(r.KVTransferTime-wire) > 1e-15:
		t.Errorf("pd_p2p_comm_time %.12g, want %.12g", r.KVTransferTime, wire)
	case r.KVTransferQueueing != 0:
		t.Errorf("queueing %g on an idle link, want 0", r.KVTransferQueueing)
	case r.DecodeArrivedAt != r.PrefillCompletedAt+r.KVTransferQueueing+r.KVTransferTime:
		t.Errorf("decode_arrived_at %.12g ≠ prefill_completed_at %.12g + queueing + transfer %.12g", r.DecodeArrivedAt, r.PrefillCompletedAt, r.KVTransferTime)
	case r.PrefillReplicaID != 0 || r.DecodeReplicaID != 1 || r.ReplicaID != 1:
		t.Errorf("replicas prefill %d decode %d (record %d), want 0, 1, 1", r.PrefillReplicaID, r.DecodeReplicaID, r.ReplicaID)
	case !(r.CompletedAt > r.DecodeArrivedAt):
		t.Errorf("completed at %g, not after the KV cache arrived at %g", r.CompletedAt, r.DecodeArrivedAt)
	case math.Abs(r.TBT-(r.CompletedAt-r.DecodeArrivedAt)/4) > 1e-15:
		t.Errorf("tbt %g, want decode_time / decode tokens = %g", r.TBT, (r.CompletedAt-r.DecodeArrivedAt)/4)
	}
}

func TestPDSharedLinkQueues(t *testing.T) {
	cfg := pdConfig(2, 0.5, 1)
	s := pdSetup(t, &cfg)
	one := runRequests(t, s, workload.Request{ID: 0, NumPrefillTokens: 1000, NumDecodeTokens: 4})[0]
	// Two requests prefilled in one batch leave the same prefill replica at once: the
	// second waits for the first on the NIC.
	two := runRequests(t, s,
		workload.Request{ID: 0, NumPrefillTokens: 1000, NumDecodeTokens: 4},
		workload.Request{ID: 1, NumPrefillTokens: 1000, NumDecodeTokens: 4})
	a, b := two[0], two[1]
	if a.PrefillCompletedAt != b.PrefillCompletedAt {
		t.Fatalf("the two prefills ended at %g and %g; the test needs them in one batch", a.PrefillCompletedAt, b.PrefillCompletedAt)
	}
	if a.KVTransferQueueing != 0 || b.KVTransferQueueing != a.KVTransferTime {
		t.Errorf("queueing %g and %g, want 0 and the first transfer's %g", a.KVTransferQueueing, b.KVTransferQueueing, a.KVTransferTime)
	}
	if got, want := b.DecodeArrivedAt-b.PrefillCompletedAt, 2*one.KVTransferTime; math.Abs(got-want) > 1e-12 {
		t.Errorf("second cache arrived %g after its prefill, want two transfer times %g", got, want)
	}
	if !(b.DecodeArrivedAt-b.PrefillCompletedAt > one.DecodeArrivedAt-one.PrefillCompletedAt) {
		t.Error("two transfers on one link took no longer than one")
	}
}

func TestPDForkCompat(t *testing.T) {
	cfg := pdConfig(2, 0.5, 1)
	cfg.Compat = config.CompatVidurAlibabaCloud
	cfg.Cluster.Replica.PDP2PCommBandwidth = 800
	cfg.Cluster.Replica.PDP2PCommDtype = "float16"
	s := pdSetup(t, &cfg)
	// Reference §10.7: Llama-3-8B, P = 2048, float16: 2·2049·8·128·32·2 bytes, at
	// 800·1024³/8 B/s.
	r := runRequests(t, s, workload.Request{ID: 0, NumPrefillTokens: 2048, NumDecodeTokens: 3})[0]
	if r.KVTransferBytes != 268566528 {
		t.Errorf("fork size %d, want 268,566,528", r.KVTransferBytes)
	}
	if want := 268566528 / (800 * float64(1<<30) / 8); r.KVTransferTime != want || r.DecodeArrivedAt != r.PrefillCompletedAt+want {
		t.Errorf("fork time %g (arrival %g after prefill), want %g", r.KVTransferTime, r.DecodeArrivedAt-r.PrefillCompletedAt, want)
	}
}

func TestPDKVBytesDeepSeekMLA(t *testing.T) {
	cat := catalog.Default()
	ds, err := cat.Model("deepseek-671B")
	if err != nil {
		t.Fatal(err)
	}
	perToken, state, err := kvTransferSizing(ds, "bf16", false)
	if err != nil {
		t.Fatal(err)
	}
	// MLA caches the 512-wide latent and the 64-wide rope key per layer: (512+64)·61·2.
	if perToken != 70272 || state != 0 {
		t.Fatalf("DeepSeek-V3 KV bytes per token %d (+%d state), want 70,272", perToken, state)
	}
	pd := &PDSetup{KVBytesPerToken: perToken}
	if got := pd.TransferBytes(1024); got != 71958528 {
		t.Errorf("1,024-token prompt moves %d bytes, want 71,958,528 (≈72 MB)", got)
	}
	fork, _, _ := kvTransferSizing(ds, "bf16", true)
	if fork != 2*128*56*61*2 {
		t.Errorf("fork bytes per token %d, want the MHA-shaped 2·128·56·61·2", fork)
	}
	qn, err := cat.Model("qwen3-next-80B")
	if err != nil {
		t.Fatal(err)
	}
	perToken, state, _ = kvTransferSizing(qn, "bf16", false)
	if perToken != qn.KVBytesPerToken(2) || state == 0 || state != qn.LinearStateBytes(2) {
		t.Errorf("Qwen3-Next: %d per token + %d state, want full-attention layers only plus the recurrent state", perToken, state)
	}
}

func TestPDLeastLoaded(t *testing.T) {
	cfg := pdConfig(4, 0.5, 1)
	cfg.Cluster.ReplicaScheduler.SplitWise.PDPlacement = PlacementLeastLoaded
	s := pdSetup(t, &cfg)
	var reqs []workload.Request
	for i := range 8 {
		reqs = append(reqs, workload.Request{ID: i, ArrivedAt: float64(i) * 1e-3, NumPrefillTokens: 500 + 300*(i%3), NumDecodeTokens: 5})
	}
	recs := runRequests(t, s, reqs...)
	seenP, seenD := map[int]bool{}, map[int]bool{}
	for _, r := range recs {
		seenP[r.PrefillReplicaID] = true
		seenD[r.DecodeReplicaID] = true
		if r.PrefillReplicaID > 1 || r.DecodeReplicaID < 2 {
			t.Errorf("request %d: prefill on %d, decode on %d; want 0–1 and 2–3", r.ID, r.PrefillReplicaID, r.DecodeReplicaID)
		}
	}
	if len(seenP) != 2 || len(seenD) != 2 {
		t.Errorf("least-loaded placement used prefill replicas %v and decode replicas %v, want both of each", seenP, seenD)
	}
}

// TestPDRunLlama3 is a PD run of Llama-3-8B (4 replicas, ratio 0.5, TP 4, split_wise) on
// 1,000 requests of splitwise_conv.csv, written by the metrics recorder: every
// request_metrics.csv column is there and the PD ones are filled.
func TestPDRunLlama3(t *testing.T) {
	trace := shareddata.Path(t, "vidur/processed_traces/splitwise_conv.csv")
	cfg := pdConfig(4, 0.5, 4)
	s := pdSetup(t, &cfg)
	src, err := workload.OpenTrace(trace, workload.TraceOptions{Format: workload.FormatVidur, MaxTokens: 4096})
	if err != nil {
		t.Fatal(err)
	}
	all, err := workload.Collect(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rec, err := metrics.NewRecorder(dir, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(workload.NewSlice(all[:1000]), rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(nil); err != nil {
		t.Fatal(err)
	}
	if res.Completed != 1000 || !res.Drained {
		t.Fatalf("%d of 1000 completed, drained %v", res.Completed, res.Drained)
	}
	f, err := os.Open(filepath.Join(dir, "request_metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	sc.Scan()
	header := strings.Split(sc.Text(), ",")
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, want := range []string{"prefill_replica_id", "decode_replica_id", "pd_p2p_comm_size", "pd_p2p_comm_time", "prefill_arrived_at", "decode_arrived_at", "decode_time", "tbt", "pd_p2p_comm_queueing_time", "pd_p2p_comm_bandwidth", "pd_p2p_bytes_per_token", "pd_p2p_comm_dtype"} {
		if _, ok := col[want]; !ok {
			t.Fatalf("request_metrics.csv lacks column %s", want)
		}
	}
	rows := 0
	for sc.Scan() {
		rows++
		f := strings.Split(sc.Text(), ",")
		if len(f) != len(header) {
			t.Fatalf("row %d has %d fields, header %d", rows, len(f), len(header))
		}
		for _, c := range []string{"prefill_replica_id", "pd_p2p_comm_size", "pd_p2p_comm_time", "decode_arrived_at", "pd_p2p_comm_dtype"} {
			if v := f[col[c]]; v == "" || v == "inf" {
				t.Fatalf("row %d: %s = %q", rows, c, v)
			}
		}
	}
	if rows != 1000 {
		t.Errorf("%d rows, want 1000", rows)
	}
}

// BenchmarkPD100k simulates 100,000 requests (Poisson at 40 QPS, lengths cycled from
// splitwise_conv.csv) on Llama-3-8B, 8 A100 replicas split 4 prefill + 4 decode, TP 1.
func BenchmarkPD100k(b *testing.B) {
	trace := shareddata.Path(b, "vidur/processed_traces/splitwise_conv.csv")
	cfg := pdConfig(8, 0.5, 1)
	s := pdSetup(b, &cfg)
	rows := traceLengths(b, trace)
	b.ReportAllocs()
	var res Result
	for b.Loop() {
		sim, err := New(s)
		if err != nil {
			b.Fatal(err)
		}
		if res, err = sim.Run(&poissonTrace{rows: rows, rng: rand.New(rand.NewPCG(42, 0)), qps: 40, n: 100000}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Events), "events")
	b.ReportMetric(res.EndTime, "sim_s")
}
