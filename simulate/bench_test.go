package simulate

import (
	"math/rand/v2"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/workload"
)

// poissonTrace is a benchmark workload: Poisson arrivals at qps with prompt and decode
// lengths taken in turn from a trace's rows (cycling, so any number of requests can be
// drawn from a finite trace).
type poissonTrace struct {
	rows [][2]int
	rng  *rand.Rand
	qps  float64
	n, i int
	t    float64
}

func (p *poissonTrace) Next() (workload.Request, bool) {
	if p.i == p.n {
		return workload.Request{}, false
	}
	p.t += p.rng.ExpFloat64() / p.qps
	r := p.rows[p.i%len(p.rows)]
	req := workload.Request{ID: p.i, ArrivedAt: p.t, NumPrefillTokens: r[0], NumDecodeTokens: r[1]}
	p.i++
	return req, true
}

func (p *poissonTrace) Err() error { return nil }

// benchSetup is Llama-2-7B on one A100 replica with Sarathi (chunk 512), predicted by
// Vidur's own tables.
func benchSetup(b *testing.B) (Setup, [][2]int) {
	b.Helper()
	preds := shareddata.Path(b, "vidur_reference/predictions/a100_llama-2-7b_tp1")
	tracePath := shareddata.Path(b, "vidur/processed_traces/splitwise_conv.csv")
	cfg := config.Default()
	cfg.Cluster.ReplicaScheduler.Type = config.SchedulerSarathi
	cfg.Cluster.ReplicaScheduler.Sarathi.ChunkSize = 512
	tables, err := predictor.LoadVidurTables(preds, PredictorLimits(&cfg))
	if err != nil {
		b.Fatal(err)
	}
	setup, err := FromConfig(&cfg, catalog.Default(), tables)
	if err != nil {
		b.Fatal(err)
	}
	src, err := workload.OpenTrace(tracePath, workload.TraceOptions{Format: workload.FormatVidur, MaxTokens: 4096})
	if err != nil {
		b.Fatal(err)
	}
	reqs, err := workload.Collect(src)
	if err != nil {
		b.Fatal(err)
	}
	rows := make([][2]int, len(reqs))
	for i, r := range reqs {
		rows[i] = [2]int{r.NumPrefillTokens, r.NumDecodeTokens}
	}
	return setup, rows
}

func benchSim(b *testing.B, n int) {
	setup, rows := benchSetup(b)
	b.ReportAllocs()
	var res Result
	for b.Loop() {
		sim, err := New(setup)
		if err != nil {
			b.Fatal(err)
		}
		src := &poissonTrace{rows: rows, rng: rand.New(rand.NewPCG(42, 0)), qps: 4, n: n}
		if res, err = sim.Run(src, nil); err != nil {
			b.Fatal(err)
		}
		if res.Completed != n {
			b.Fatalf("%d of %d requests completed", res.Completed, n)
		}
	}
	b.ReportMetric(float64(res.Events), "events/op")
	b.ReportMetric(float64(res.Batches), "batches/op")
	b.ReportMetric(res.EndTime, "sim-s/op")
}

// BenchmarkSim10kSarathi simulates 10,000 requests (splitwise_conv lengths, Poisson
// 4 QPS) on one Llama-2-7B A100 replica with Sarathi, chunk 512. Python Vidur takes
// about 25 s and 950 MB for this.
func BenchmarkSim10kSarathi(b *testing.B) { benchSim(b, 10_000) }

// BenchmarkSim1M is the same cluster and workload with 1,000,000 requests.
func BenchmarkSim1M(b *testing.B) {
	if testing.Short() {
		b.Skip("1M requests: skipped with -short")
	}
	benchSim(b, 1_000_000)
}
