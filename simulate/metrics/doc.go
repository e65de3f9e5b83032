// Package metrics writes what a simulation measured: request_metrics.csv,
// batch_metrics.csv, summary.json, PNG plots and a Chrome/Perfetto trace, streaming
// rows to disk so that memory does not grow with the number of finished requests.
//
// Reading guide: record.go first (RequestRecord and BatchRecord, what the engine hands
// over), then recorder.go (Recorder: NewRecorder, the Record methods, Close and Abort).
// columns.go fixes the CSV columns and how each value is derived; format.go writes
// floats the way pandas does; summary.go is summary.json; dist.go (exact samples plus
// a DDSketch), meter.go (Vidur's time-weighted SeriesAverageMeter) and timeseries.go
// (fixed-size time buckets) are the bounded summaries behind it; chrome.go streams the
// trace; plots.go draws the PNGs; output.go is the write-to-temp-then-rename plumbing.
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
// replica_id and stage_id) rather than one per batch; utilization means are given both
// as Vidur computes them (skipping every segment that starts at t = 0) and as plain
// time averages; replica and stage numbers are the engine's own (Vidur names replica
// 0's files replica_N_…).
package metrics
