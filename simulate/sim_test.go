package simulate

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

func TestEventHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h eventHeap
	var want []event
	for i := range 2000 {
		e := event{time: float64(rng.IntN(50)), seq: uint64(i + 1)}
		want = append(want, e)
		h.push(e)
	}
	slices.SortStableFunc(want, func(a, b event) int {
		switch {
		case a.time < b.time:
			return -1
		case a.time > b.time:
			return 1
		}
		return 0
	})
	for i, w := range want {
		got := h.pop()
		if got.time != w.time || got.seq != w.seq {
			t.Fatalf("pop %d: (%v, %d), want (%v, %d)", i, got.time, got.seq, w.time, w.seq)
		}
	}
}

func TestPlanMemory(t *testing.T) {
	cat := catalog.Default()
	model := func(name string) *catalog.Model {
		m, err := cat.Model(name)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name   string
		in     MemoryInput
		wantMB int
	}{
		// Reference §4.1: 12.95e9 bytes of weights, 2 GiB of KV per 4096-token request.
		{"llama-2-7b a100 vidur", MemoryInput{Model: model("meta-llama/Llama-2-7b-hf"), GPUMemoryGiB: 80, TensorParallel: 1, PipelineStages: 1, MaxRequestTokens: 4096, MemoryMarginFraction: 0.1, Vidur: true}, 29},
		{"llama-3-8b a100 vidur", MemoryInput{Model: model("meta-llama/Meta-Llama-3-8B"), GPUMemoryGiB: 80, TensorParallel: 1, PipelineStages: 1, MaxRequestTokens: 4096, MemoryMarginFraction: 0.1, Vidur: true}, 118},
		// Vidur counts every layer's KV cache on each of the 2 stages ...
		{"llama-2-7b pp2 vidur", MemoryInput{Model: model("meta-llama/Llama-2-7b-hf"), GPUMemoryGiB: 80, TensorParallel: 1, PipelineStages: 2, MaxRequestTokens: 4096, MemoryMarginFraction: 0.1, Vidur: true}, 32},
		// ... llmsim only the stage's own 16 layers.
		{"llama-2-7b pp2 fixed", MemoryInput{Model: model("meta-llama/Llama-2-7b-hf"), GPUMemoryGiB: 80, TensorParallel: 1, PipelineStages: 2, MaxRequestTokens: 4096, MemoryMarginFraction: 0.1}, 65},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := PlanMemory(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if plan.MaxBatchSize != tc.wantMB {
				t.Errorf("max batch size %d, want %d (plan %+v)", plan.MaxBatchSize, tc.wantMB, plan)
			}
		})
	}
}

// TestModelDoesNotFit checks that an experiment whose weights leave no room for the KV
// cache stops before simulating, with a message that says what to change.
func TestModelDoesNotFit(t *testing.T) {
	cfg := config.Default()
	cfg.Cluster.Replica.ModelName = "meta-llama/Llama-2-70b-hf"
	_, err := FromConfig(&cfg, catalog.Default(), testTables())
	if err == nil || !strings.Contains(err.Error(), "does not fit") || !strings.Contains(err.Error(), "raise TP") {
		t.Fatalf("err = %v, want a does-not-fit error", err)
	}
}

// testTables is a synthetic predictor: every token op costs n·1e-3 ms per layer for n
// tokens, attention a little more per request and per KV token.
func testTables() *predictor.Tables {
	const maxTokens = 4096
	t := &predictor.Tables{KVStep: 64, Limits: predictor.VidurLimits(false), Source: "synthetic"}
	for op := predictor.AttnPreProj; op <= predictor.SendRecv; op++ {
		t.Token[op] = make([]float64, maxTokens+1)
		for n := 1; n <= maxTokens; n++ {
			t.Token[op][n] = 0.01 + float64(n)*1e-4
		}
	}
	t.DecodeRows, t.DecodeKVCols = 128, 65
	for b := 1; b <= 128; b++ {
		for c := 0; c < 65; c++ {
			t.Decode = append(t.Decode, 0.01+float64(b)*float64(c*64+1)*1e-6)
		}
	}
	t.PrefillKVRows, t.PrefillChunks = 65, 4096
	for r := 0; r < 65; r++ {
		for c := 1; c <= 4096; c++ {
			t.Prefill = append(t.Prefill, 0.02+float64(r*64+c)*float64(c)*1e-8)
		}
	}
	return t
}

// memRecorder keeps every record.
type memRecorder struct {
	requests []metrics.RequestRecord
	batches  []metrics.BatchRecord
	arrivals int
	memory   int
}

func (m *memRecorder) RecordArrival(workload.Request)               { m.arrivals++ }
func (m *memRecorder) RecordRequest(r *metrics.RequestRecord)       { m.requests = append(m.requests, *r) }
func (m *memRecorder) RecordBatch(b *metrics.BatchRecord)           { m.batches = append(m.batches, *b) }
func (m *memRecorder) RecordMemory(replica int, t, percent float64) { m.memory++ }

func testWorkload(n int, seed uint64) []workload.Request {
	rng := rand.New(rand.NewPCG(seed, 9))
	var reqs []workload.Request
	t := 0.0
	for i := range n {
		t += rng.ExpFloat64() / 20
		reqs = append(reqs, workload.Request{ID: i, ArrivedAt: t, NumPrefillTokens: 1 + rng.IntN(1500), NumDecodeTokens: 1 + rng.IntN(300)})
	}
	return reqs
}

func testSetup(t *testing.T, kind string, mutate func(*config.Config)) Setup {
	t.Helper()
	cfg := config.Default()
	cfg.Cluster.ReplicaScheduler.Type = kind
	if kind == SchedulerLightLLM {
		cfg.Cluster.ReplicaScheduler.LightLLM.BlockSize = 1
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := FromConfig(&cfg, catalog.Default(), testTables())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchedulersComplete runs every replica scheduler on a loaded cluster and checks
// the invariants every run must keep, and that a rerun gives identical records.
func TestSchedulersComplete(t *testing.T) {
	reqs := testWorkload(300, 1)
	tests := []struct {
		kind   string
		mutate func(*config.Config)
	}{
		{SchedulerSarathi, nil},
		{SchedulerVLLM, nil},
		{SchedulerOrca, nil},
		{SchedulerFasterTransformer, func(c *config.Config) { c.Cluster.ReplicaScheduler.FasterTransformer.BatchSizeCap = 8 }},
		{SchedulerLightLLM, nil},
		{SchedulerSarathi + " pp2 lor", func(c *config.Config) {
			c.Cluster.Replica.NumPipelineStages = 2
			c.Cluster.NumReplicas = 3
			c.Cluster.GlobalScheduler.Type = config.GlobalLOR
		}},
		{SchedulerVLLM + " small memory", func(c *config.Config) { c.Cluster.ReplicaScheduler.VLLM.NumBlocks = 300 }},
		{SchedulerSarathi + " random", func(c *config.Config) {
			c.Cluster.NumReplicas = 2
			c.Cluster.GlobalScheduler.Type = config.GlobalRandom
		}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			kind, _, _ := strings.Cut(tc.kind, " ")
			run := func() *memRecorder {
				sim, err := New(testSetup(t, kind, tc.mutate))
				if err != nil {
					t.Fatal(err)
				}
				rec := &memRecorder{}
				res, err := sim.Run(workload.NewSlice(reqs), rec)
				if err != nil {
					t.Fatal(err)
				}
				if res.Completed != len(reqs) || res.Arrived != len(reqs) {
					t.Fatalf("%d arrived, %d completed of %d", res.Arrived, res.Completed, len(reqs))
				}
				if !res.Drained && kind != SchedulerFasterTransformer {
					t.Errorf("memory or requests left at the end")
				}
				if strings.Contains(tc.kind, "small memory") && res.Restarts == 0 {
					t.Errorf("no restarts with 300 blocks")
				}
				for _, r := range rec.requests {
					if !(r.ArrivedAt <= r.ScheduledAt && r.ScheduledAt <= r.PrefillCompletedAt && r.PrefillCompletedAt <= r.CompletedAt) {
						t.Fatalf("request %d: times out of order: %+v", r.ID, r)
					}
					if r.ExecutionTime <= 0 {
						t.Fatalf("request %d: no execution time", r.ID)
					}
				}
				return rec
			}
			a, b := run(), run()
			// Compared as text: the first request's inter-arrival delay is NaN.
			if fmt.Sprint(a.requests) != fmt.Sprint(b.requests) || !reflect.DeepEqual(a.batches, b.batches) {
				t.Error("two runs of the same setup differ")
			}
		})
	}
}

func TestTimeLimit(t *testing.T) {
	setup := testSetup(t, SchedulerSarathi, nil)
	setup.TimeLimit = 2
	sim, err := New(setup)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(workload.NewSlice(testWorkload(300, 2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimeLimited || res.EndTime <= 2 || res.Completed >= 300 || res.Arrived >= 300 {
		t.Errorf("time limit 2 s: %+v", res)
	}
}

// TestRequestsRecycled checks that memory follows the requests in the system: the
// pool never holds more request values than were ever in flight at once.
func TestRequestsRecycled(t *testing.T) {
	sim, err := New(testSetup(t, SchedulerSarathi, nil))
	if err != nil {
		t.Fatal(err)
	}
	reqs := testWorkload(2000, 3)
	if _, err := sim.Run(workload.NewSlice(reqs), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.requests.free); n == 0 || n > len(reqs)/2 {
		t.Errorf("%d request values allocated for %d requests", n, len(reqs))
	}
}

func TestSetupErrors(t *testing.T) {
	base := testSetup(t, SchedulerSarathi, nil)
	tests := []struct {
		name   string
		mutate func(*Setup)
		want   string
	}{
		{"unknown scheduler", func(s *Setup) { s.Scheduler.Kind = "fifo" }, "unknown replica scheduler"},
		{"lightllm block size", func(s *Setup) { s.Scheduler.Kind = SchedulerLightLLM; s.Scheduler.MaxTokensInBatch = 10 }, "block_size 1"},
		{"no replicas", func(s *Setup) { s.NumReplicas = 0 }, "replicas"},
		{"unknown global", func(s *Setup) { s.GlobalScheduler = "least_loaded" }, "unknown global scheduler"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mutate(&s)
			if _, err := New(s); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRestartMidPrefillKeepsPrompt preempts Sarathi requests part-way through their
// chunked prompts (small KV memory, small chunks). Vidur turns the unprocessed rest of
// such a prompt into decode tokens; llmsim's default mode restarts the prompt whole, so
// no restarted request ends up with a shorter prompt than it arrived with.
func TestRestartMidPrefillKeepsPrompt(t *testing.T) {
	reqs := testWorkload(1000, 7)
	run := func(compat bool) (restarts, shrunk int) {
		setup := testSetup(t, SchedulerSarathi, func(c *config.Config) {
			c.Cluster.ReplicaScheduler.Sarathi.NumBlocks = 300
			c.Cluster.ReplicaScheduler.Sarathi.ChunkSize = 64
		})
		setup.VidurCompat = compat
		sim, err := New(setup)
		if err != nil {
			t.Fatal(err)
		}
		rec := &memRecorder{}
		if _, err := sim.Run(workload.NewSlice(reqs), rec); err != nil {
			t.Fatal(err)
		}
		for _, r := range rec.requests {
			restarts += r.NumRestarts
			if r.RestartPrefillTokens < r.NumPrefillTokens {
				shrunk++
			}
		}
		return restarts, shrunk
	}
	restarts, shrunk := run(false)
	if restarts == 0 {
		t.Fatal("no request was preempted; the test needs less memory")
	}
	if shrunk != 0 {
		t.Errorf("default mode: %d of the restarted requests lost part of their prompt", shrunk)
	}
	if _, shrunk := run(true); shrunk == 0 {
		t.Errorf("--compat vidur: no restarted request lost part of its prompt, as Vidur's restart does")
	}
}
