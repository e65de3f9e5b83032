package simulate

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llmsim/llmsim/simulate/metrics"
)

// TestHeapBoundedWithOutputs simulates 200,000 requests with every output on
// (request and batch CSVs, chrome trace, plots) and checks that the live heap does not
// grow with the number of requests: requests, batches and records are recycled and
// the outputs are streamed, so after the first requests the heap only follows the
// requests in flight.
func TestHeapBoundedWithOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 200k requests")
	}
	const (
		n      = 200_000
		warmup = 20_000 // requests after which the exact-sample buffers are full
		slack  = 16 << 20
	)
	setup, rows := benchSetup(t)
	sim, err := New(setup)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := metrics.NewRecorder(t.TempDir(), metrics.Options{
		BatchMetrics: true, ChromeTrace: true, Plots: true, Utilization: true,
		NumReplicas: setup.NumReplicas, NumStages: setup.NumStages,
	})
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	var base, peak uint64
	samples := 0
	sim.Progress = func(arrived int) {
		// Progress comes every 65,536 events; sample about every 5,000 requests.
		if arrived < warmup || arrived/5000 == samples {
			return
		}
		samples = arrived / 5000
		h := heap()
		if base == 0 {
			base = h
		}
		peak = max(peak, h)
	}
	src := &poissonTrace{rows: rows, rng: rand.New(rand.NewPCG(42, 0)), qps: 4, n: n}
	res, err := sim.Run(src, rec)
	if err != nil {
		rec.Abort()
		t.Fatal(err)
	}
	if err := rec.Close(nil); err != nil {
		t.Fatal(err)
	}
	if res.Completed != n {
		t.Fatalf("%d of %d requests completed", res.Completed, n)
	}
	t.Logf("%d requests, %d batches: heap in use %d KiB after %d requests, at most %d KiB later (%d samples)",
		n, res.Batches, base>>10, warmup, peak>>10, samples)
	if base == 0 {
		t.Fatal("no heap sample taken")
	}
	if peak > base+slack {
		t.Errorf("heap grew from %d KiB to %d KiB while simulating", base>>10, peak>>10)
	}
}
