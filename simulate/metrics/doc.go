// Package metrics writes what a simulation measured: request_metrics.csv,
// batch_metrics.csv, summary.json, PNG plots and a Chrome/Perfetto trace, streaming
// rows to disk so that memory does not grow with the number of finished requests.
//
// Reading guide: record.go first (RequestRecord and BatchRecord, what the engine hands
// over), then recorder.go (Recorder: NewRecorder, the Record methods, Close and Abort).
// columns.go fixes the CSV columns and how each value is derived; format.go writes
// floats the way pandas does; summary.go is summary.json; dist.go (exact samples, then
// a DDSketch), meter.go (Vidur's SeriesAverageMeter) and timeseries.go (fixed-size time
// buckets) are the bounded summaries behind it; utilization.go writes Vidur's
// plots/replica_*.json; chrome.go streams the trace; plots.go draws the PNGs;
// output.go is the write-to-temp-then-rename plumbing, with a goroutine per file that
// does the writing while the simulation goes on.
//
// Cost. A default run writes request_metrics.csv, the chrome trace and summary.json;
// the per-record work is a few hundred nanoseconds per batch stage and a couple of
// microseconds per request, almost all of it number formatting, which is why repeated
// values (a row's equal times, a batch's unchanged request list) are copied rather
// than formatted again.
//
// Compatibility. request_metrics.csv holds Vidur's columns in Vidur's order, then
// vidur-alibabacloud's PD columns where the fork puts them, then Vidur's histogram
// columns, then llmsim's own (tbt, max_tbt, compute_time, comm_time,
// pd_p2p_comm_queueing_time, replica_id), so a script written for either reads llmsim's
// file by column name. Floats are written as Python's repr writes them
// ("0.43811689541485377", "418.0", "6.65e-05"), byte for byte what pandas writes for
// the same value. Rows come in completion order, as in Vidur.
//
// Differences from Vidur on purpose: one batch_metrics.csv row per batch stage (with
// replica_id and stage_id) rather than one per batch; summary.json gives utilization
// means both as Vidur computes them and as plain time averages; the utilization files
// use the engine's replica and stage numbers and the time averages unless
// Options.VidurCompat asks for Vidur's names and numbers (utilization.go).
package metrics
