package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/llmsim/llmsim/simulate/workload"
)

// Options chooses the optional outputs. request_metrics.csv and summary.json are
// always written.
type Options struct {
	// BatchMetrics writes batch_metrics.csv (Vidur's keep_individual_batch_metrics).
	BatchMetrics bool
	// ChromeTrace writes chrome_trace.json (Vidur's enable_chrome_trace).
	ChromeTrace bool
	// Plots writes PNG plots under plots/ (Vidur's store_plots).
	Plots bool
	// Utilization writes the replicas' memory, busy-time and MFU summaries as Vidur's
	// plots/replica_*.json files (Vidur's store_utilization_metrics); summary.json has
	// them either way.
	Utilization bool
	// NumReplicas and NumStages, when set, create every replica's and stage's
	// utilization meters up front, as Vidur does, so that a replica that never runs a
	// batch still gets its plots/replica_*.json files. Otherwise meters appear with the
	// first record that names them.
	NumReplicas, NumStages int
	// VidurCompat names the utilization files as Vidur does, off by one (see
	// utilizationName), and writes Vidur's means into them.
	VidurCompat bool
}

// Recorder streams a simulation's metrics to dir and keeps only bounded summaries in
// memory: per-distribution sketches, fixed-size time series and one utilization meter
// per replica stage. Record methods are not safe for concurrent use (the engine is
// single-threaded) and do not return errors: the first write error is kept and
// reported by Close, like bufio.Writer.
//
// Files are written under temporary names and renamed into place by Close; if the
// run fails, Abort (or a failing Close) removes them, so dir never holds a
// half-written output under a final name.
type Recorder struct {
	dir  string
	opts Options
	err  error
	buf  []byte

	requests *output
	batches  *output
	chrome   *chromeTrace
	outs     []*output
	closed   bool

	arrived, completed, restarts int
	prefillTokens, decodeTokens  int64
	firstArrival, lastCompletion float64
	batchCount                   int

	ttft, tbt, maxTBT, tpot, e2e, e2eNorm, schedDelay, execTime *dist
	batchSize, batchTokens, batchExec                           *dist

	arrivals, completions, batchSizes *series

	memory [](*meter)   // by replica
	busy   [][](*meter) // by replica, stage
	mfu    [][](*meter)
}

// NewRecorder creates dir if needed and opens the output files there.
func NewRecorder(dir string, opts Options) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	r := &Recorder{
		dir: dir, opts: opts,
		firstArrival: math.Inf(1), lastCompletion: math.Inf(-1),
		ttft: newDist(), tbt: newDist(), maxTBT: newDist(), tpot: newDist(),
		e2e: newDist(), e2eNorm: newDist(), schedDelay: newDist(), execTime: newDist(),
		batchSize: newDist(), batchTokens: newDist(), batchExec: newDist(),
		arrivals: newSeries(), completions: newSeries(), batchSizes: newSeries(),
	}
	for rep := range opts.NumReplicas {
		r.memoryMeter(rep)
		for st := range opts.NumStages {
			r.stageMeters(rep, st)
		}
	}
	var err error
	if r.requests, err = r.open("request_metrics.csv"); err != nil {
		return nil, err
	}
	r.requests.w.Write(appendHeader(nil, RequestColumns))
	if opts.BatchMetrics {
		if r.batches, err = r.open("batch_metrics.csv"); err != nil {
			r.Abort()
			return nil, err
		}
		r.batches.w.Write(appendHeader(nil, BatchColumns))
	}
	if opts.ChromeTrace {
		if r.chrome, err = newChromeTrace(dir); err != nil {
			r.Abort()
			return nil, err
		}
		r.outs = append(r.outs, r.chrome.out)
	}
	return r, nil
}

func (r *Recorder) open(name string) (*output, error) {
	o, err := createOutput(r.dir, name)
	if err != nil {
		return nil, err
	}
	r.outs = append(r.outs, o)
	return o, nil
}

func (r *Recorder) fail(err error) {
	if r.err == nil && err != nil {
		r.err = fmt.Errorf("metrics: writing to %s: %w", r.dir, err)
	}
}

// RecordArrival notes a request's arrival, for the arrivals-over-time plot and the
// request count.
func (r *Recorder) RecordArrival(req workload.Request) {
	r.arrived++
	r.firstArrival = min(r.firstArrival, req.ArrivedAt)
	r.arrivals.add(req.ArrivedAt, 1)
}

// RecordRequest writes a finished request's row and folds it into the summaries. The
// record is not retained.
func (r *Recorder) RecordRequest(rec *RequestRecord) {
	r.buf = appendRequestRow(r.buf[:0], rec)
	if _, err := r.requests.w.Write(r.buf); err != nil {
		r.fail(err)
	}
	r.completed++
	r.restarts += rec.NumRestarts
	r.prefillTokens += int64(rec.NumPrefillTokens)
	r.decodeTokens += int64(rec.NumDecodeTokens)
	r.lastCompletion = max(r.lastCompletion, rec.CompletedAt)
	if r.arrived == 0 { // the engine did not call RecordArrival
		r.firstArrival = min(r.firstArrival, rec.ArrivedAt)
	}
	_, d := rec.normalizers()
	r.ttft.add(rec.PrefillCompletedAt - rec.ArrivedAt)
	if rec.NumDecodeTokens > 1 {
		r.tbt.add(rec.TBT)
		r.maxTBT.add(rec.MaxTBT)
	}
	r.tpot.add((rec.CompletedAt - rec.PrefillCompletedAt) / d)
	r.e2e.add(rec.CompletedAt - rec.ArrivedAt)
	r.e2eNorm.add((rec.CompletedAt - rec.ArrivedAt) / d)
	r.schedDelay.add(rec.ScheduledAt - rec.ArrivedAt)
	r.execTime.add(rec.ExecutionTime)
	r.completions.add(rec.CompletedAt, 1)
}

// RecordBatch notes one batch stage that finished: a batch_metrics.csv row and a
// chrome-trace event when enabled, and the stage's busy and MFU meters (Vidur's
// put(start, 100 | mfu), put(end, 0)). Batches of one replica stage must be recorded
// in time order, which completion order gives.
func (r *Recorder) RecordBatch(b *BatchRecord) {
	if r.batches != nil {
		r.buf = appendBatchRow(r.buf[:0], b)
		if _, err := r.batches.w.Write(r.buf); err != nil {
			r.fail(err)
		}
	}
	if r.chrome != nil {
		r.fail(r.chrome.batch(b))
	}
	if b.ReplicaID < 0 || b.StageID < 0 {
		r.fail(fmt.Errorf("batch %d has replica %d stage %d", b.ID, b.ReplicaID, b.StageID))
		return
	}
	busy, mfu := r.stageMeters(b.ReplicaID, b.StageID)
	busy.putInt(b.StartedAt, 100)
	busy.putInt(b.CompletedAt, 0)
	mfu.put(b.StartedAt, b.MFU)
	mfu.putInt(b.CompletedAt, 0)
	// Every batch passes stage 0 exactly once, so batch statistics count it there.
	if b.StageID == 0 {
		r.batchCount++
		r.batchSize.add(float64(b.Size))
		r.batchTokens.add(float64(b.NumTokens))
		r.batchSizes.add(b.StartedAt, float64(b.Size))
	}
	r.batchExec.add(b.CompletedAt - b.ScheduledAt)
}

// RecordMemory notes a replica's KV-cache use in percent at time t; Vidur samples it
// whenever a batch is formed and whenever one ends.
func (r *Recorder) RecordMemory(replica int, t, percent float64) {
	if replica < 0 {
		r.fail(fmt.Errorf("memory sample for replica %d", replica))
		return
	}
	r.memoryMeter(replica).put(t, percent)
}

func (r *Recorder) memoryMeter(replica int) *meter {
	for len(r.memory) <= replica {
		r.memory = append(r.memory, newSampleMeter())
	}
	return r.memory[replica]
}

func (r *Recorder) stageMeters(replica, stage int) (busy, mfu *meter) {
	for len(r.busy) <= replica {
		r.busy = append(r.busy, nil)
		r.mfu = append(r.mfu, nil)
	}
	for len(r.busy[replica]) <= stage {
		r.busy[replica] = append(r.busy[replica], newMeter())
		r.mfu[replica] = append(r.mfu[replica], newMeter())
	}
	return r.busy[replica][stage], r.mfu[replica][stage]
}

// Abort removes every temporary file; use it instead of Close when the run failed.
func (r *Recorder) Abort() {
	for _, o := range r.outs {
		o.discard()
	}
	r.closed = true
}

// Close finishes the run's outputs: it completes the streamed files, writes
// summary.json (with extra, if non-nil, under "extra") and the plots, and renames
// everything into place. On error nothing is left under the final names.
func (r *Recorder) Close(extra map[string]any) error {
	if r.closed {
		return errors.New("metrics: recorder already closed")
	}
	r.closed = true
	if r.chrome != nil {
		r.fail(r.chrome.end())
	}
	if r.err != nil {
		r.Abort()
		return r.err
	}
	sum := r.Summary()
	sum.Extra = extra
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		r.Abort()
		return fmt.Errorf("metrics: summary.json: %w", err)
	}
	out, err := r.open("summary.json")
	if err != nil {
		r.Abort()
		return err
	}
	out.w.Write(append(js, '\n'))
	if r.opts.Utilization {
		if err := r.writeUtilization(); err != nil {
			r.Abort()
			return err
		}
	}
	if r.opts.Plots {
		if err := r.writePlots(); err != nil {
			r.Abort()
			return err
		}
	}
	return commitAll(r.outs)
}
