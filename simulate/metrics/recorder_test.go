package metrics

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/llmsim/llmsim/internal/shareddata"
	"github.com/llmsim/llmsim/simulate/workload"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleRun feeds a small hand-made run into r: three requests (two on a mixed
// replica, one disaggregated), four batch stages on two replicas, memory samples.
func sampleRun(r *Recorder) {
	r.RecordArrival(workload.Request{ID: 0, ArrivedAt: 0, NumPrefillTokens: 374, NumDecodeTokens: 44})
	r.RecordArrival(workload.Request{ID: 1, ArrivedAt: 0.25, NumPrefillTokens: 100, NumDecodeTokens: 1})
	r.RecordArrival(workload.Request{ID: 2, ArrivedAt: 1.5, NumPrefillTokens: 2048, NumDecodeTokens: 3})
	r.RecordMemory(0, 0, 1.5)
	r.RecordBatch(&BatchRecord{
		ID: 0, ReplicaID: 0, StageID: 0, ScheduledAt: 0, StartedAt: 0, CompletedAt: 0.02488053832163652,
		Size: 1, NumTokens: 374, NumPrefillTokens: 374, ExecutionTime: 0.02488053832163652,
		AttentionTime: 0.004, MLPTime: 0.015, CommTime: 0.001, OtherTime: 0.00488053832163652,
		MFU: 57.61296477122523, MemoryUsage: 1.5, RequestIDs: []int{0}, RequestNumTokens: []int{374},
	})
	r.RecordMemory(0, 0.02488053832163652, 1.6)
	r.RecordBatch(&BatchRecord{
		ID: 1, ReplicaID: 0, StageID: 0, ScheduledAt: 0.25, StartedAt: 0.25, CompletedAt: 0.27,
		Size: 2, NumTokens: 101, NumPrefillTokens: 100, NumDecodeTokens: 1, ExecutionTime: 0.02,
		MFU: 12.5, MemoryUsage: 2, RequestIDs: []int{0, 1}, RequestNumTokens: []int{1, 100},
	})
	r.RecordMemory(0, 0.27, 1.7)
	r.RecordRequest(&RequestRecord{
		ID: 1, NumPrefillTokens: 100, NumDecodeTokens: 1, InterArrivalDelay: 0.25,
		ArrivedAt: 0.25, ScheduledAt: 0.25, PrefillCompletedAt: 0.27, CompletedAt: 0.27,
		ExecutionTime: 0.02, ModelExecutionTime: 0.018, ExecutionPlusPreemptionTime: 0.02, PrefillTimeExecPlusPreemption: 0.02,
		PrefillReplicaID: -1, DecodeReplicaID: -1, ComputeTime: 0.019, CommTime: 0.001, ReplicaID: 0,
	})
	r.RecordRequest(&RequestRecord{
		ID: 0, NumPrefillTokens: 374, NumDecodeTokens: 44, InterArrivalDelay: math.NaN(),
		ArrivedAt: 0, ScheduledAt: 0, PrefillCompletedAt: 0.02488053832163652, CompletedAt: 0.43811689541485377,
		ExecutionTime: 0.43811689541485377, ModelExecutionTime: 0.43811689541485377,
		ExecutionPlusPreemptionTime: 0.43811689541485377, PrefillTimeExecPlusPreemption: 0.02488053832163652,
		PrefillReplicaID: -1, DecodeReplicaID: -1,
		TBT: (0.43811689541485377 - 0.02488053832163652) / 43, MaxTBT: 0.0125, ComputeTime: 0.4, CommTime: 0.03811689541485377, ReplicaID: 0,
	})
	// A disaggregated request: prefill on replica 1 (two pipeline stages), decode on 0.
	r.RecordBatch(&BatchRecord{
		ID: 2, ReplicaID: 1, StageID: 0, ScheduledAt: 1.5, StartedAt: 1.5, CompletedAt: 1.6,
		Size: 1, NumTokens: 2048, NumPrefillTokens: 2048, ExecutionTime: 0.1, MFU: 60, RequestIDs: []int{2}, RequestNumTokens: []int{2048},
	})
	r.RecordBatch(&BatchRecord{
		ID: 2, ReplicaID: 1, StageID: 1, ScheduledAt: 1.5, StartedAt: 1.6, CompletedAt: 1.7,
		Size: 1, NumTokens: 2048, NumPrefillTokens: 2048, ExecutionTime: 0.1, MFU: 60, RequestIDs: []int{2}, RequestNumTokens: []int{2048},
	})
	r.RecordMemory(1, 1.7, 10)
	r.RecordRequest(&RequestRecord{
		ID: 2, NumPrefillTokens: 2048, NumDecodeTokens: 3, NumRestarts: 1, InterArrivalDelay: 1.25,
		ArrivedAt: 1.5, ScheduledAt: 1.5, PrefillCompletedAt: 1.7, CompletedAt: 1.76,
		ExecutionTime: 0.23, ModelExecutionTime: 0.22, PreemptionTime: 0.01, ExecutionPlusPreemptionTime: 0.24,
		PrefillTimeExecPlusPreemption: 0.2,
		PrefillArrivedAt:              1.5, DecodeArrivedAt: 1.72, PrefillReplicaID: 1, DecodeReplicaID: 0,
		KVTransferBytes: 1073741824, KVTransferTime: 0.015, KVTransferQueueing: 0.005, KVTransferGbps: 400,
		KVBytesPerToken: 524288, KVTransferDtype: "float16",
		TBT: 0.03, MaxTBT: 0.04, ComputeTime: 0.2, CommTime: 0.03, ReplicaID: 0,
	})
}

func TestGoldenOutputs(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRecorder(dir, Options{BatchMetrics: true, ChromeTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	sampleRun(r)
	if err := r.Close(map[string]any{"seed": 42, "artifact_id": "abc123"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"request_metrics.csv", "batch_metrics.csv", "chrome_trace.json", "summary.json"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden_"+name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run go test -update after checking the diff):\n%s", name, golden, got)
		}
	}
	var chrome struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "chrome_trace.json"))
	if err := json.Unmarshal(b, &chrome); err != nil || len(chrome.TraceEvents) != 4+2+3 {
		t.Errorf("chrome_trace.json: %d events, err %v", len(chrome.TraceEvents), err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestRequestColumnsArePrefixOfVidur(t *testing.T) {
	// Vidur's own header is a subsequence of ours, in the same order.
	p := shareddata.Path(t, "vidur_reference/v1_sarathi512_1rep/request_metrics.csv")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header, _ := bufio.NewReader(f).ReadString('\n')
	vidur := strings.Split(strings.TrimSpace(header), ",")
	if !slices.Equal(RequestColumns[:15], vidur[:15]) {
		t.Errorf("first 15 columns %v, Vidur's %v", RequestColumns[:15], vidur[:15])
	}
	if !slices.Equal(RequestColumns[30:36], vidur[15:]) {
		t.Errorf("histogram columns %v, Vidur's %v", RequestColumns[30:36], vidur[15:])
	}
}

// TestFloatFormatMatchesPandas re-formats every number of Vidur's own CSVs and expects
// the same bytes back.
func TestFloatFormatMatchesPandas(t *testing.T) {
	for _, rel := range []string{
		"vidur_reference/v1_sarathi512_1rep/request_metrics.csv",
		"vidur_reference/v1_sarathi512_1rep/batch_metrics.csv",
		"vidur_reference/v1_sarathi512_1rep/plots/batch_execution_time_per_batch.csv.gz",
	} {
		p := shareddata.Path(t, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			out.ReadFrom(zr)
			b = out.Bytes()
		}
		n := 0
		for _, line := range strings.Split(string(b), "\n")[1:] {
			for _, cell := range strings.Split(line, ",") {
				if !strings.ContainsAny(cell, ".e") {
					continue // integers and empty cells
				}
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil {
					continue
				}
				if got := string(appendFloat(nil, v)); got != cell {
					t.Fatalf("%s: %q re-formatted as %q", rel, cell, got)
				}
				n++
			}
		}
		t.Logf("%s: %d floats identical", rel, n)
	}
}

func TestMeterVidurQuirk(t *testing.T) {
	m := newMeter()
	m.put(0, 50)  // segment from 0 is skipped by Vidur (last x is 0)
	m.put(2, 100) // [0,2] at 50: skipped by Vidur, counted by the plain mean
	m.put(3, 0)   // [2,3] at 100
	m.put(5, 40)  // [3,5] at 0
	s := m.stats()
	if s.VidurMean == nil || *s.VidurMean != 100.0/3 {
		t.Errorf("Vidur mean %v, want 33.33", s.VidurMean)
	}
	if s.Mean != 200.0/5 {
		t.Errorf("mean %v, want 40", s.Mean)
	}
	if s.Min != 0 || s.Max != 100 {
		t.Errorf("min %v max %v", s.Min, s.Max)
	}
}

func TestDistQuantiles(t *testing.T) {
	small := newDist()
	for _, v := range []float64{4, 1, 3, 2} {
		small.add(v)
	}
	if q := small.quantiles([]float64{0, 0.5, 0.9, 1}); !slices.Equal(q, []float64{1, 2.5, 3.7, 4}) {
		t.Errorf("exact quantiles %v", q)
	}
	big := newDist()
	const n = 3 * exactSamples
	for i := range n {
		big.add(float64(i+1) * 1e-3)
	}
	if big.isExact() {
		t.Fatal("large distribution still exact")
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		got := big.quantiles([]float64{q})[0]
		want := q * n * 1e-3
		if math.Abs(got-want)/want > 0.0021 {
			t.Errorf("q%.2f = %g, want %g within 0.1%%", q, got, want)
		}
	}
}

func TestCloseFailureLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "run")
	r, err := NewRecorder(dir, Options{BatchMetrics: true, ChromeTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	sampleRun(r)
	// Replace the run directory by a file: every rename into it fails.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir, nil, 0o644)
	if err := r.Close(nil); err == nil {
		t.Fatal("Close succeeded without its directory")
	}

	dir2 := filepath.Join(parent, "aborted")
	r, err = NewRecorder(dir2, Options{BatchMetrics: true, ChromeTrace: true, Plots: true})
	if err != nil {
		t.Fatal(err)
	}
	sampleRun(r)
	r.Abort()
	if left, _ := os.ReadDir(dir2); len(left) != 0 {
		t.Errorf("Abort left %d entries", len(left))
	}
}

func TestPlotsAndDeterminism(t *testing.T) {
	if testing.Short() {
		t.Skip("renders PNGs")
	}
	var outputs [2]map[string][]byte
	for i := range outputs {
		dir := t.TempDir()
		r, err := NewRecorder(dir, Options{BatchMetrics: true, ChromeTrace: true, Plots: true})
		if err != nil {
			t.Fatal(err)
		}
		sampleRun(r)
		if err := r.Close(nil); err != nil {
			t.Fatal(err)
		}
		outputs[i] = map[string][]byte{}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				outputs[i][rel] = b
			}
			return nil
		})
	}
	for _, png := range []string{"ttft_cdf.png", "tbt_cdf.png", "e2e_cdf.png", "scheduling_delay_cdf.png", "requests_over_time.png", "batch_size_over_time.png"} {
		b := outputs[0][filepath.Join("plots", png)]
		if !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("plots/%s missing or not a PNG", png)
		}
	}
	if len(outputs[0]) != len(outputs[1]) {
		t.Fatalf("runs wrote %d and %d files", len(outputs[0]), len(outputs[1]))
	}
	for name, b := range outputs[0] {
		if !bytes.Equal(b, outputs[1][name]) {
			t.Errorf("%s differs between identical runs", name)
		}
	}
}

func syntheticRecords(i int, req *RequestRecord, b *BatchRecord) {
	a := float64(i) * 0.01
	*req = RequestRecord{
		ID: i, NumPrefillTokens: 100 + i%1000, NumDecodeTokens: 1 + i%200, InterArrivalDelay: 0.01,
		ArrivedAt: a, ScheduledAt: a + 0.001, PrefillCompletedAt: a + 0.05, CompletedAt: a + 1 + float64(i%97)*0.01,
		ExecutionTime: 0.9, ModelExecutionTime: 0.85, ExecutionPlusPreemptionTime: 0.95, PrefillTimeExecPlusPreemption: 0.049,
		PrefillReplicaID: -1, DecodeReplicaID: -1, TBT: 0.02, MaxTBT: 0.05, ComputeTime: 0.8, CommTime: 0.1, ReplicaID: i % 4,
	}
	*b = BatchRecord{
		ID: i, ReplicaID: i % 4, StageID: 0, ScheduledAt: a, StartedAt: a, CompletedAt: a + 0.009,
		Size: 1 + i%64, NumTokens: 512, NumPrefillTokens: 448, NumDecodeTokens: 64, ExecutionTime: 0.009,
		AttentionTime: 0.003, MLPTime: 0.004, CommTime: 0.001, OtherTime: 0.001, MFU: 40, MemoryUsage: 50,
	}
}

// TestMemoryDoesNotGrowWithRecords streams 300k requests and batches (about 250 MB
// of output) and checks that the live heap stays where it was once the exact-sample
// buffers were full.
func TestMemoryDoesNotGrowWithRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("records 300k requests")
	}
	const numRecords = 300_000
	r, err := NewRecorder(t.TempDir(), Options{BatchMetrics: true, ChromeTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	var req RequestRecord
	var b BatchRecord
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	var base uint64
	for i := range numRecords {
		if i == 2*exactSamples {
			base = heap()
		}
		syntheticRecords(i, &req, &b)
		r.RecordArrival(workload.Request{ID: i, ArrivedAt: req.ArrivedAt})
		r.RecordRequest(&req)
		r.RecordBatch(&b)
		r.RecordMemory(b.ReplicaID, b.CompletedAt, 50)
	}
	end := heap()
	t.Logf("heap in use: %d KiB after %d records, %d KiB after %d", base>>10, 2*exactSamples, end>>10, numRecords)
	if end > base+4<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB", base>>10, end>>10)
	}
}

func BenchmarkRecordRequest(b *testing.B) {
	r, err := NewRecorder(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Abort()
	var req RequestRecord
	var batch BatchRecord
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		syntheticRecords(i, &req, &batch)
		r.RecordRequest(&req)
	}
}

// BenchmarkRecordBatch records batch stages with every batch output on.
func BenchmarkRecordBatch(b *testing.B) {
	benchRecordBatch(b, Options{BatchMetrics: true, ChromeTrace: true})
}

// BenchmarkRecordBatchDefault records batch stages with the outputs a default run
// writes (the chrome trace, no batch_metrics.csv), 24 requests per batch as in the
// Sarathi benchmark of package simulate.
func BenchmarkRecordBatchDefault(b *testing.B) { benchRecordBatch(b, Options{ChromeTrace: true}) }

func benchRecordBatch(b *testing.B, opts Options) {
	r, err := NewRecorder(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Abort()
	var req RequestRecord
	var batch BatchRecord
	ids := make([]int, 24)
	toks := make([]int, 24)
	for i := range ids {
		ids[i], toks[i] = 9000+i, 1
	}
	toks[23] = 489
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		syntheticRecords(i, &req, &batch)
		// Every eighth batch admits a new request, as decode-heavy runs do.
		if i%8 == 0 {
			ids[i%24]++
		}
		batch.RequestIDs, batch.RequestNumTokens = ids, toks
		r.RecordBatch(&batch)
	}
}
