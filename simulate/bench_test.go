package simulate

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/llmsim/llmsim/catalog"
	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/config"
	"github.com/llmsim/llmsim/simulate/metrics"
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
func benchSetup(b testing.TB) (Setup, [][2]int) {
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
	return setup, traceLengths(b, tracePath)
}

// traceLengths reads a Vidur trace's (prompt, decode) lengths, capped at 4096 tokens as
// Vidur's trace_replay does, for benchmarks that cycle through them.
func traceLengths(tb testing.TB, path string) [][2]int {
	tb.Helper()
	src, err := workload.OpenTrace(path, workload.TraceOptions{Format: workload.FormatVidur, MaxTokens: 4096})
	if err != nil {
		tb.Fatal(err)
	}
	reqs, err := workload.Collect(src)
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([][2]int, len(reqs))
	for i, r := range reqs {
		rows[i] = [2]int{r.NumPrefillTokens, r.NumDecodeTokens}
	}
	return rows
}

// benchSim simulates n requests per iteration. With outputs, every iteration also
// writes what a default `llmsim simulate` run writes (request_metrics.csv, summary.json,
// chrome_trace.json; no batch_metrics.csv, no plots, as Vidur's defaults) into a fresh
// folder, and the benchmark reports the peak resident memory the iterations reached
// above what the process held before them.
func benchSim(b *testing.B, n int, outputs bool) {
	setup, rows := benchSetup(b)
	runtime.GC()
	base := resetPeakRSS()
	b.ReportAllocs()
	b.ResetTimer()
	var res Result
	for b.Loop() {
		sim, err := New(setup)
		if err != nil {
			b.Fatal(err)
		}
		src := &poissonTrace{rows: rows, rng: rand.New(rand.NewPCG(42, 0)), qps: 4, n: n}
		if !outputs {
			res, err = sim.Run(src, nil)
		} else {
			var rec *metrics.Recorder
			if rec, err = metrics.NewRecorder(b.TempDir(), metrics.Options{ChromeTrace: true, Utilization: true}); err != nil {
				b.Fatal(err)
			}
			if res, err = sim.Run(src, rec); err != nil {
				rec.Abort()
				b.Fatal(err)
			}
			err = rec.Close(nil)
		}
		if err != nil {
			b.Fatal(err)
		}
		if res.Completed != n {
			b.Fatalf("%d of %d requests completed", res.Completed, n)
		}
	}
	b.ReportMetric(float64(res.Events), "events/op")
	b.ReportMetric(float64(res.Batches), "batches/op")
	b.ReportMetric(res.EndTime, "sim-s/op")
	if peak := peakRSS(); peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(max(peak-base, 0))/(1<<20), "run-RSS-MiB")
	}
}

// resetPeakRSS resets the kernel's peak-RSS mark of this process (Linux: writing 5 to
// /proc/self/clear_refs) and returns the resident size now, so that peakRSS afterwards
// measures what the benchmark itself reached, not what earlier benchmarks of the same
// process did. Where that is not possible it returns 0 and peakRSS is the process's
// lifetime peak.
func resetPeakRSS() int64 {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0
	}
	return procStatus("VmRSS:")
}

// peakRSS is the process's peak resident set in bytes since the last resetPeakRSS.
func peakRSS() int64 {
	if v := procStatus("VmHWM:"); v > 0 {
		return v
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// procStatus reads one "Key:   123 kB" line of /proc/self/status, in bytes.
func procStatus(key string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(key)) {
			continue
		}
		fields := bytes.Fields(line[len(key):])
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// BenchmarkSim10kSarathi simulates 10,000 requests (splitwise_conv lengths, Poisson
// 4 QPS) on one Llama-2-7B A100 replica with Sarathi, chunk 512. Python Vidur takes
// about 25 s and 950 MB for this.
// This is the engine alone, no outputs.
func BenchmarkSim10kSarathi(b *testing.B) { benchSim(b, 10_000, false) }

// BenchmarkSim10kSarathiWithMetrics is BenchmarkSim10kSarathi writing the outputs a
// default run writes, the like-for-like comparison with Vidur's 25 s.
func BenchmarkSim10kSarathiWithMetrics(b *testing.B) { benchSim(b, 10_000, true) }

// BenchmarkSim1M is the same cluster and workload with 1,000,000 requests.
func BenchmarkSim1M(b *testing.B) {
	if testing.Short() {
		b.Skip("1M requests: skipped with -short")
	}
	benchSim(b, 1_000_000, false)
}

// BenchmarkSim1MWithMetrics is BenchmarkSim1M writing a default run's outputs.
func BenchmarkSim1MWithMetrics(b *testing.B) {
	if testing.Short() {
		b.Skip("1M requests: skipped with -short")
	}
	benchSim(b, 1_000_000, true)
}
