package metrics

// RequestRecord is everything known about one finished request. The simulator fills it
// when the request completes and hands it to a Recorder, which streams it to
// request_metrics.csv and folds it into the summary sketches; nothing keeps it after that.
//
// Times are simulated seconds. The first block mirrors Vidur's request_metrics.csv, the
// second vidur-alibabacloud's PD columns, the third what llmsim adds.
type RequestRecord struct {
	ID               int
	NumPrefillTokens int // P, after any trace-replay truncation
	NumDecodeTokens  int // D
	// RestartPrefillTokens and RestartDecodeTokens are P and D after the request's last
	// restart (recompute preemption makes the tokens generated so far part of the
	// prompt); they equal NumPrefillTokens and NumDecodeTokens when it never restarted.
	// Vidur's normalised time columns divide by these, its token-count columns
	// (recorded at arrival) show NumPrefillTokens and NumDecodeTokens.
	RestartPrefillTokens int
	RestartDecodeTokens  int
	NumRestarts          int
	InterArrivalDelay    float64 // arrival minus the previous request's arrival; NaN for the first request

	ArrivedAt          float64 // a
	ScheduledAt        float64 // s: first time the request was put in a batch
	PrefillCompletedAt float64 // f: time of the first output token (TTFT = f − a)
	CompletedAt        float64 // c

	ExecutionTime      float64 // Σ execution time of the batch stages the request was in
	ModelExecutionTime float64 // the model part of ExecutionTime (no CPU overheads)
	PreemptionTime     float64 // time spent preempted or waiting between its batches
	// ExecutionPlusPreemption and PrefillExecPlusPreemption are Vidur's running sums:
	// (c − s) and (f − s) as Vidur accounts them.
	ExecutionPlusPreemptionTime   float64
	PrefillTimeExecPlusPreemption float64

	// PD disaggregation (zero values in mixed mode; replica ids are -1 then).
	PrefillArrivedAt   float64
	DecodeArrivedAt    float64
	PrefillReplicaID   int
	DecodeReplicaID    int
	KVTransferBytes    int64   // pd_p2p_comm_size
	KVTransferTime     float64 // pd_p2p_comm_time: the transfer itself
	KVTransferQueueing float64 // time the KV cache waited for the link
	KVTransferGbps     float64 // pd_p2p_comm_bandwidth
	KVBytesPerToken    int64   // pd_p2p_bytes_per_token
	KVTransferDtype    string  // pd_p2p_comm_dtype

	// TBT is the mean time between output tokens after the first one ((c − f)/(D − 1) for
	// D > 1, else 0); MaxTBT is the largest single gap.
	TBT    float64
	MaxTBT float64
	// ComputeTime and CommTime split ExecutionTime into operator compute and
	// communication (TP/PP/EP collectives) so users can see what dominates.
	ComputeTime float64
	CommTime    float64
	ReplicaID   int
}

// BatchRecord is one batch stage that finished executing on a replica stage.
type BatchRecord struct {
	ID               int
	ReplicaID        int
	StageID          int
	ScheduledAt      float64 // when the replica scheduler formed the batch
	StartedAt        float64 // when the stage began executing it
	CompletedAt      float64
	Size             int // requests in the batch
	NumTokens        int
	NumPrefillTokens int
	NumDecodeTokens  int
	ExecutionTime    float64 // predicted stage time, seconds
	// Split of ExecutionTime, seconds.
	AttentionTime float64
	MLPTime       float64 // dense MLP or MoE expert compute
	CommTime      float64 // TP all-reduce, PP send/recv, EP dispatch/combine
	OtherTime     float64 // norms, rope, adds, CPU overheads
	MFU           float64 // percent
	MemoryUsage   float64 // percent of KV blocks allocated after scheduling
	// MoETime is the part of MLPTime spent in MoE layers (router, token permutation,
	// routed and shared experts), DispatchTime the part of CommTime spent in the
	// expert-parallel dispatch and combine all-to-alls; both 0 for dense models.
	MoETime      float64
	DispatchTime float64

	// RequestIDs and RequestNumTokens (tokens each request processes in this batch)
	// label the batch in chrome_trace.json as Vidur does; the engine fills them, a
	// record without them gets the name "batch <id>". The Recorder only
	// reads them during RecordBatch, so the caller may reuse the slices.
	RequestIDs       []int
	RequestNumTokens []int
}

// normalizers returns the prompt and decode lengths Vidur's normalised columns divide
// by: the lengths after the last restart, or the arrival lengths when the record does
// not say (RestartPrefillTokens zero: a producer that has no restarts may leave the
// Restart fields unset).
func (r *RequestRecord) normalizers() (p, d float64) {
	if r.RestartPrefillTokens > 0 && r.RestartDecodeTokens > 0 {
		return float64(r.RestartPrefillTokens), float64(r.RestartDecodeTokens)
	}
	return float64(r.NumPrefillTokens), float64(r.NumDecodeTokens)
}
