package simulate

import (
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/profile"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

// archTables are flatTables plus hand-made expert and shared-expert grids, linear in the
// token count, so that MoE models run under disaggregation without a profile.
func archTables(maxTokens int) *predictor.Tables {
	t := flatTables(maxTokens)
	lin := func() []float64 {
		v := make([]float64, maxTokens+1)
		for n := 1; n <= maxTokens; n++ {
			v[n] = 0.001 + 2e-5*float64(n)
		}
		return v
	}
	t.Arch = &predictor.ArchTables{Skews: []float64{1}}
	for op := range t.Arch.Expert {
		t.Arch.Expert[op] = [][]float64{lin()}
	}
	for i := range t.Arch.Shared {
		t.Arch.Shared[i] = lin()
	}
	return t
}

// deepSeekPDConfig is the seed's PD command on DeepSeek-V3: 4 H200 replicas of TP 2 ×
// EP 8, half of them prefill replicas, split_wise schedulers.
func deepSeekPDConfig() config.Config {
	cfg := config.Default()
	rc := &cfg.Cluster.Replica
	rc.ModelName = "deepseek-ai/DeepSeek-V3"
	rc.Device = "h200"
	rc.NetworkDevice = "h200_dgx"
	rc.TensorParallelSize = 2
	rc.ExpertModelParallelSize = 8
	rc.PDNodeRatio = 0.5
	rc.PDP2PCommDtype = "bf16"
	cfg.Cluster.NumReplicas = 4
	cfg.Cluster.GlobalScheduler.Type = config.GlobalSplitWise
	cfg.Cluster.ReplicaScheduler.Type = config.SchedulerSplitWise
	return cfg
}

// batchLog keeps request and batch records.
type batchLog struct {
	captured
	batches []metrics.BatchRecord
}

func (b *batchLog) RecordBatch(r *metrics.BatchRecord) { b.batches = append(b.batches, *r) }

// TestPDDeepSeekV3 runs 50 requests of DeepSeek-V3 under disaggregation: the pools price
// MoE and MLA layers (every batch has an expert and a dispatch part), the KV cache moves
// MLA's 70,272 bytes per prompt token in bf16, and no request decodes before its cache
// has arrived.
func TestPDDeepSeekV3(t *testing.T) {
	cfg := deepSeekPDConfig()
	s, err := FromConfig(&cfg, catalog.Default(), archTables(4096))
	if err != nil {
		t.Fatal(err)
	}
	for _, pool := range []PoolSetup{s.PD.Prefill, s.PD.Decode} {
		if l := pool.Layout; l.TP != 2 || l.DP != 4 || l.EP != 8 || pool.Memory.AttentionDP != 4 {
			t.Fatalf("pool layout %v (memory plan DP %d), want TP 2 × attention DP 4, EP 8", l, pool.Memory.AttentionDP)
		}
	}
	sim, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	reqs := testWorkload(50, 3)
	var log batchLog
	split := NewSplitRecorder(&log, &s)
	res, err := sim.Run(workload.NewSlice(reqs), split)
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 50 || !res.Drained {
		t.Fatalf("%d of 50 requests completed, drained %v", res.Completed, res.Drained)
	}
	moved := 0
	for _, r := range log.reqs {
		if r.DecodeReplicaID < 0 {
			continue // one output token: finished with its prefill
		}
		moved++
		if want := 70272 * int64(r.NumPrefillTokens); r.KVTransferBytes != want {
			t.Errorf("request %d: pd_p2p_comm_size %d, want 70,272 × %d prompt tokens = %d", r.ID, r.KVTransferBytes, r.NumPrefillTokens, want)
		}
		if r.PrefillReplicaID >= 2 || r.DecodeReplicaID < 2 {
			t.Errorf("request %d: prefill on %d, decode on %d; want pools 0–1 and 2–3", r.ID, r.PrefillReplicaID, r.DecodeReplicaID)
		}
		if !(r.ArrivedAt <= r.PrefillCompletedAt && r.PrefillCompletedAt < r.DecodeArrivedAt && r.DecodeArrivedAt < r.CompletedAt) {
			t.Errorf("request %d: arrived %g, prefill done %g, cache arrived %g, completed %g: want them in this order",
				r.ID, r.ArrivedAt, r.PrefillCompletedAt, r.DecodeArrivedAt, r.CompletedAt)
		}
	}
	if moved == 0 {
		t.Fatal("no request moved to a decode replica")
	}
	for _, b := range log.batches {
		if b.MoETime <= 0 || b.DispatchTime <= 0 || b.AttentionTime <= 0 || b.MoETime > b.MLPTime || b.DispatchTime > b.CommTime {
			t.Fatalf("replica %d batch %d split %+v: want attention, MoE within MLP and dispatch within comm", b.ReplicaID, b.ID, b)
		}
		// MFU counts the experts a token activates, not every expert the GPU holds:
		// counting held experts reported ~400% for DeepSeek-V3 prefill batches.
		if !(b.MFU > 0 && b.MFU < 100) {
			t.Fatalf("replica %d batch %d: MFU %.1f%%, want within (0, 100)", b.ReplicaID, b.ID, b.MFU)
		}
		if b.ReplicaID < 2 && b.NumDecodeTokens > 0 || b.ReplicaID >= 2 && b.NumPrefillTokens > 0 {
			t.Fatalf("replica %d ran a batch of %d prefill and %d decode tokens", b.ReplicaID, b.NumPrefillTokens, b.NumDecodeTokens)
		}
	}
	// A decode batch holds only requests whose cache had arrived when it was formed.
	for _, b := range log.batches {
		if b.ReplicaID < 2 {
			continue
		}
		ready := 0
		for _, r := range log.reqs {
			if r.DecodeReplicaID == b.ReplicaID && r.DecodeArrivedAt <= b.ScheduledAt && r.CompletedAt > b.ScheduledAt {
				ready++
			}
		}
		if b.Size > ready {
			t.Fatalf("replica %d batch %d at %g decodes %d requests, only %d had their KV cache", b.ReplicaID, b.ID, b.ScheduledAt, b.Size, ready)
		}
	}
	m := split.Means()
	all, pre, dec := m["all"], m["prefill"], m["decode"]
	if all.BatchStages != len(log.batches) || pre.BatchStages+dec.BatchStages != all.BatchStages ||
		!(pre.Execution > dec.Execution) || pre.MoE <= 0 || dec.Dispatch <= 0 {
		t.Errorf("mean split all %+v, prefill %+v, decode %+v over %d batches", all, pre, dec, len(log.batches))
	}
}

// TestPDPoolShapes gives the decode pool its own TP and EP: the tables must be the
// pool's (SameTables refuses another EP), and the pool's layout and attention DP follow
// its shape.
func TestPDPoolShapes(t *testing.T) {
	cfg := deepSeekPDConfig()
	rc := &cfg.Cluster.Replica
	rc.DecodeTensorParallelSize = 4
	rc.DecodeExpertModelParallelSize = 16
	tables := archTables(4096)
	if _, err := FromConfig(&cfg, catalog.Default(), tables); err == nil || !strings.Contains(err.Error(), "TP 4") {
		t.Fatalf("shared tables for a TP-4 decode pool: error %v, want one naming TP 4", err)
	}
	var asked []PoolShape
	s, err := FromConfigPools(&cfg, catalog.Default(), func(sh PoolShape) (*predictor.Tables, error) {
		asked = append(asked, sh)
		return tables, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []PoolShape{{2, 1, 8}, {2, 1, 8}, {4, 1, 16}}
	if len(asked) != len(want) || asked[0] != want[0] || asked[2] != want[2] {
		t.Errorf("tables asked for %v, want %v", asked, want)
	}
	if l := s.PD.Decode.Layout; l.TP != 4 || l.DP != 4 || l.EP != 16 || l.WorldSize() != 16 {
		t.Errorf("decode layout %v, want TP 4 × attention DP 4 with EP 16", l)
	}
	if got := s.LayoutSummary(); !strings.Contains(got, "decode pool of 2: replica of 16 GPUs") {
		t.Errorf("layout summary %q", got)
	}
	runRequests(t, s, testWorkload(20, 5)...)

	rc.DecodeTensorParallelSize = 2
	if _, err := FromConfig(&cfg, catalog.Default(), tables); err == nil || !strings.Contains(err.Error(), "EP 16") {
		t.Errorf("shared tables for an EP-16 decode pool: error %v, want one naming EP 16", err)
	}
}

// TestMoEDispatchFromMeasuredAllToAll checks that a measured all-to-all (an artifact's
// all_to_all grid, here a hand-made curve for the EP-8 group) times the dispatch and
// combine in place of the analytical model.
func TestMoEDispatchFromMeasuredAllToAll(t *testing.T) {
	run := func(tables *predictor.Tables) SplitMeans {
		cfg := deepSeekPDConfig()
		s, err := FromConfig(&cfg, catalog.Default(), tables)
		if err != nil {
			t.Fatal(err)
		}
		sim, err := New(s)
		if err != nil {
			t.Fatal(err)
		}
		var log batchLog
		split := NewSplitRecorder(&log, &s)
		if _, err := sim.Run(workload.NewSlice(testWorkload(20, 3)), split); err != nil {
			t.Fatal(err)
		}
		return split.Means()["all"]
	}
	base := run(archTables(4096))
	var rows []profile.Row
	for b := int64(1 << 10); b <= 1<<32; b <<= 1 {
		rows = append(rows, profile.Row{Operator: "all_to_all", Network: "test", Bytes: b,
			GroupSize: 8, RanksPerNode: 8, MedianMS: 0.5 + float64(b)/1e6})
	}
	measured, err := predictor.NewProfiledComm(rows, "test")
	if err != nil {
		t.Fatal(err)
	}
	slow := archTables(4096)
	slow.AllToAll = measured
	got := run(slow)
	if !(got.Dispatch > 5*base.Dispatch) {
		t.Errorf("mean dispatch %.4g s with a measured all-to-all of 0.5 ms + 1 ms/MB, %.4g s analytical: want it much slower",
			got.Dispatch, base.Dispatch)
	}
}
