package simulate

import "github.com/llmsim/llmsim/simulate/metrics"

// SplitMeans is the mean split of one stage's execution time over a set of batch-stage
// records (batch_metrics.csv rows), in seconds: Attention + MLP + Comm + Other =
// Execution, MoE is the MoE-layer part of MLP and Dispatch the expert all-to-all part of
// Comm.
type SplitMeans struct {
	BatchStages int     `json:"batch_stages"`
	Execution   float64 `json:"execution_time"`
	Attention   float64 `json:"attention_time"`
	MLP         float64 `json:"mlp_time"`
	MoE         float64 `json:"moe_time"`
	Comm        float64 `json:"comm_time"`
	Dispatch    float64 `json:"dispatch_time"`
	Other       float64 `json:"other_time"`
}

func (m *SplitMeans) add(r *metrics.BatchRecord) {
	m.BatchStages++
	m.Execution += r.ExecutionTime
	m.Attention += r.AttentionTime
	m.MLP += r.MLPTime
	m.MoE += r.MoETime
	m.Comm += r.CommTime
	m.Dispatch += r.DispatchTime
	m.Other += r.OtherTime
}

func (m SplitMeans) mean() SplitMeans {
	if m.BatchStages == 0 {
		return m
	}
	n := float64(m.BatchStages)
	return SplitMeans{BatchStages: m.BatchStages, Execution: m.Execution / n, Attention: m.Attention / n,
		MLP: m.MLP / n, MoE: m.MoE / n, Comm: m.Comm / n, Dispatch: m.Dispatch / n, Other: m.Other / n}
}

// SplitRecorder passes every record on to a Recorder and averages the batches' time
// split (attention, MLP with its MoE part, communication with its dispatch part, other)
// over the whole cluster and, under disaggregation, per pool: prefill batches and
// decode batches cost very differently, so the cluster mean alone hides both.
type SplitRecorder struct {
	Recorder
	numPrefill int // replicas 0..numPrefill−1 are prefill replicas; 0 without pools
	all        SplitMeans
	pools      [2]SplitMeans // prefill, decode
}

// NewSplitRecorder wraps rec for a simulation of s.
func NewSplitRecorder(rec Recorder, s *Setup) *SplitRecorder {
	r := &SplitRecorder{Recorder: rec}
	if s.PD != nil {
		r.numPrefill = s.PD.NumPrefill
	}
	return r
}

// RecordBatch adds b to the means and passes it on.
func (r *SplitRecorder) RecordBatch(b *metrics.BatchRecord) {
	r.all.add(b)
	if r.numPrefill > 0 {
		pool := 0
		if b.ReplicaID >= r.numPrefill {
			pool = 1
		}
		r.pools[pool].add(b)
	}
	r.Recorder.RecordBatch(b)
}

// Means returns the mean split of all batch stages ("all") and, under disaggregation,
// of the prefill and decode pools' ("prefill", "decode").
func (r *SplitRecorder) Means() map[string]SplitMeans {
	out := map[string]SplitMeans{"all": r.all.mean()}
	if r.numPrefill > 0 {
		out["prefill"] = r.pools[0].mean()
		out["decode"] = r.pools[1].mean()
	}
	return out
}
