package metrics

import (
	"math"
	"strconv"
	"strings"
)

// RequestColumns is the header of request_metrics.csv: Vidur's request id and 14 time
// columns in Vidur's order, vidur-alibabacloud's 15 PD columns, Vidur's 6 histogram
// columns, then what llmsim adds. A file written by Vidur or by the fork reads as a
// prefix-compatible subset (select the same names).
var RequestColumns = []string{
	// Vidur (microsoft/vidur request_metrics.csv).
	"Request Id",
	"request_e2e_time",
	"request_e2e_time_normalized",
	"request_execution_time",
	"request_execution_time_normalized",
	"request_model_execution_time",
	"request_model_execution_time_normalized",
	"request_preemption_time",
	"request_scheduling_delay",
	"request_execution_plus_preemption_time",
	"request_execution_plus_preemption_time_normalized",
	"prefill_e2e_time",
	"prefill_time_execution_plus_preemption",
	"prefill_time_execution_plus_preemption_normalized",
	"decode_time_execution_plus_preemption_normalized",
	// vidur-alibabacloud (prefill/decode disaggregation).
	"arrived_at",
	"prefill_arrived_at",
	"scheduled_at",
	"prefill_completed_at",
	"decode_arrived_at",
	"completed_at",
	"preempted_time",
	"decode_time",
	"prefill_replica_id",
	"decode_replica_id",
	"pd_p2p_comm_size",
	"pd_p2p_comm_time",
	"pd_p2p_comm_bandwidth",
	"pd_p2p_bytes_per_token",
	"pd_p2p_comm_dtype",
	// Vidur's histogram columns.
	"request_inter_arrival_delay",
	"request_num_tokens",
	"request_num_prefill_tokens",
	"request_num_decode_tokens",
	"request_pd_ratio",
	"request_num_restarts",
	// llmsim.
	"tbt",
	"max_tbt",
	"compute_time",
	"comm_time",
	"pd_p2p_comm_queueing_time",
	"replica_id",
}

// BatchColumns is the header of batch_metrics.csv: Vidur's six columns, then llmsim's.
// There is one row per batch stage; with pipeline parallelism a batch id repeats once
// per stage (Vidur writes one row per batch, at its last stage).
var BatchColumns = []string{
	"Batch Id",
	"batch_num_tokens",
	"batch_num_prefill_tokens",
	"batch_num_decode_tokens",
	"batch_size",
	"batch_execution_time",
	"replica_id",
	"stage_id",
	"scheduled_at",
	"started_at",
	"completed_at",
	"stage_execution_time",
	"attention_time",
	"mlp_time",
	"comm_time",
	"other_time",
	"mfu",
	"memory_usage",
	"moe_time",
	"dispatch_time",
}

// appendRequestRow appends one request_metrics.csv line (with its newline) to b.
//
// Values follow Vidur: normalised times divide by the request's decode tokens, except
// the prefill one, which divides by its prompt tokens, both taken after its last
// restart (Vidur computes them at completion, when a restart has moved the generated
// tokens into the prompt), while the token-count columns keep the lengths on arrival
// (Vidur records them then). Token counts are written as floats ("418.0") as pandas
// writes them. In mixed (non-disaggregated) mode, marked by both PD replica ids being
// negative, the PD columns hold the fork's defaults: prefill_arrived_at = arrived_at,
// decode_arrived_at, pd_p2p_comm_size and pd_p2p_comm_time inf, bandwidth 0, replica
// ids, bytes per token and dtype empty.
func appendRequestRow(b []byte, r *RequestRecord) []byte {
	p, d := float64(r.NumPrefillTokens), float64(r.NumDecodeTokens)
	np, nd := r.normalizers()
	var m rowFloats
	e2e := r.CompletedAt - r.ArrivedAt
	b = strconv.AppendInt(b, int64(r.ID), 10)
	b = m.col(b, e2e)
	b = m.col(b, e2e/nd)
	b = m.col(b, r.ExecutionTime)
	b = m.col(b, r.ExecutionTime/nd)
	b = m.col(b, r.ModelExecutionTime)
	b = m.col(b, r.ModelExecutionTime/nd)
	b = m.col(b, r.PreemptionTime)
	b = m.col(b, r.ScheduledAt-r.ArrivedAt)
	b = m.col(b, r.ExecutionPlusPreemptionTime)
	b = m.col(b, r.ExecutionPlusPreemptionTime/nd)
	b = m.col(b, r.PrefillCompletedAt-r.ArrivedAt)
	b = m.col(b, r.PrefillTimeExecPlusPreemption)
	b = m.col(b, r.PrefillTimeExecPlusPreemption/np)
	b = m.col(b, (r.CompletedAt-r.PrefillCompletedAt)/nd)

	mixed := r.PrefillReplicaID < 0 && r.DecodeReplicaID < 0
	b = m.col(b, r.ArrivedAt)
	if mixed {
		b = m.col(b, r.ArrivedAt)
	} else {
		b = m.col(b, r.PrefillArrivedAt)
	}
	b = m.col(b, r.ScheduledAt)
	b = m.col(b, r.PrefillCompletedAt)
	if mixed {
		b = m.col(b, math.Inf(1))
	} else {
		b = m.col(b, r.DecodeArrivedAt)
	}
	b = m.col(b, r.CompletedAt)
	b = m.col(b, r.PreemptionTime)
	if mixed {
		b = m.col(b, r.CompletedAt-r.PrefillCompletedAt)
	} else {
		// The fork's README: decode_time = completed_at − decode_arrived_at.
		b = m.col(b, r.CompletedAt-r.DecodeArrivedAt)
	}
	if mixed {
		b = append(b, ",,,inf,inf,0,,"...)
	} else {
		b = intCol(b, r.PrefillReplicaID)
		b = intCol(b, r.DecodeReplicaID)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.KVTransferBytes, 10)
		b = m.col(b, r.KVTransferTime)
		b = m.col(b, r.KVTransferGbps)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.KVBytesPerToken, 10)
		b = append(b, ',')
		b = appendCSVString(b, r.KVTransferDtype)
	}

	b = m.col(b, r.InterArrivalDelay)
	b = m.col(b, p+d)
	b = m.col(b, p)
	b = m.col(b, d)
	b = m.col(b, p/d)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.NumRestarts), 10)

	b = m.col(b, r.TBT)
	b = m.col(b, r.MaxTBT)
	b = m.col(b, r.ComputeTime)
	b = m.col(b, r.CommTime)
	if mixed {
		b = append(b, ',')
	} else {
		b = m.col(b, r.KVTransferQueueing)
	}
	b = intCol(b, r.ReplicaID)
	return append(b, '\n')
}

// appendBatchRow appends one batch_metrics.csv line. batch_execution_time is Vidur's:
// completion minus the time the batch was formed, so it includes pipeline queueing;
// stage_execution_time is the stage's own predicted time.
func appendBatchRow(b []byte, r *BatchRecord) []byte {
	b = strconv.AppendInt(b, int64(r.ID), 10)
	b = col(b, float64(r.NumTokens))
	b = col(b, float64(r.NumPrefillTokens))
	b = col(b, float64(r.NumDecodeTokens))
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Size), 10)
	b = col(b, r.CompletedAt-r.ScheduledAt)
	b = intCol(b, r.ReplicaID)
	b = intCol(b, r.StageID)
	b = col(b, r.ScheduledAt)
	b = col(b, r.StartedAt)
	b = col(b, r.CompletedAt)
	b = col(b, r.ExecutionTime)
	b = col(b, r.AttentionTime)
	b = col(b, r.MLPTime)
	b = col(b, r.CommTime)
	b = col(b, r.OtherTime)
	b = col(b, r.MFU)
	b = col(b, r.MemoryUsage)
	b = col(b, r.MoETime)
	b = col(b, r.DispatchTime)
	return append(b, '\n')
}

func col(b []byte, v float64) []byte { return appendFloat(append(b, ','), v) }

// rowFloats writes a row's float columns, copying the text of a value that already
// appeared in the row instead of converting it again: in a request row the end-to-end,
// execution and execution-plus-preemption times (and their normalised forms) are often
// the same float, and the shortest-repr conversion is most of a row's cost.
type rowFloats struct {
	bits  [16]uint64
	spans [16][2]int
	n     int
}

// col appends ',' and v.
func (m *rowFloats) col(b []byte, v float64) []byte {
	b = append(b, ',')
	bits := math.Float64bits(v)
	for i := range m.n {
		if m.bits[i] == bits {
			return append(b, b[m.spans[i][0]:m.spans[i][1]]...)
		}
	}
	start := len(b)
	b = appendFloat(b, v)
	if m.n < len(m.bits) {
		m.bits[m.n], m.spans[m.n] = bits, [2]int{start, len(b)}
		m.n++
	}
	return b
}

// intCol writes a non-negative id, or an empty field (pandas' None) for a negative one.
func intCol(b []byte, v int) []byte {
	b = append(b, ',')
	if v < 0 {
		return b
	}
	return strconv.AppendInt(b, int64(v), 10)
}

func appendCSVString(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

func appendHeader(b []byte, cols []string) []byte {
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVString(b, c)
	}
	return append(b, '\n')
}
