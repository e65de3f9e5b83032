package metrics

import "math"

// Summary is summary.json. Times are simulated seconds, utilization in percent. The
// struct fixes the key order, so the same run gives the same bytes.
type Summary struct {
	TimeUnit    string             `json:"time_unit"`
	Requests    RequestCounts      `json:"requests"`
	Latency     Latency            `json:"latency"`
	Throughput  Throughput         `json:"throughput"`
	Batches     BatchStats         `json:"batches"`
	Utilization UtilizationSummary `json:"utilization"`
	// Extra holds what the caller passes to Close (config, artifact id, wall time…);
	// encoding/json writes map keys sorted.
	Extra map[string]any `json:"extra,omitempty"`
}

// RequestCounts counts requests and the tokens of the completed ones.
type RequestCounts struct {
	Arrived       int   `json:"arrived"`
	Completed     int   `json:"completed"`
	Restarts      int   `json:"restarts"`
	PrefillTokens int64 `json:"prefill_tokens"`
	DecodeTokens  int64 `json:"decode_tokens"`
}

// Latency holds per-request latency distributions. TBT is each request's mean gap
// between output tokens after the first (requests with one output token are left
// out); MaxTBT its largest gap; TPOT Vidur's decode_time_execution_plus_preemption_
// normalized, (completion − first token)/D.
type Latency struct {
	TTFT            Stats `json:"ttft"`
	TBT             Stats `json:"tbt"`
	MaxTBT          Stats `json:"max_tbt"`
	TPOT            Stats `json:"tpot"`
	E2E             Stats `json:"e2e"`
	E2ENormalized   Stats `json:"e2e_normalized"`
	SchedulingDelay Stats `json:"scheduling_delay"`
	ExecutionTime   Stats `json:"execution_time"`
}

// Throughput is measured over the span from the first arrival to the last completion.
type Throughput struct {
	SpanSeconds         float64 `json:"span_s"`
	RequestsPerSecond   float64 `json:"requests_per_s"`
	PrefillTokensPerSec float64 `json:"prefill_tokens_per_s"`
	DecodeTokensPerSec  float64 `json:"decode_tokens_per_s"`
	TokensPerSecond     float64 `json:"tokens_per_s"`
}

// BatchStats describes the batches (counted once each, at stage 0).
type BatchStats struct {
	Count int   `json:"count"`
	Size  Stats `json:"size"`
	// NumTokens is the tokens per batch; ExecutionTime is Vidur's
	// batch_execution_time (completion − formation, per stage record).
	NumTokens     Stats `json:"num_tokens"`
	ExecutionTime Stats `json:"execution_time"`
}

// UtilizationSummary holds the time-weighted meters. The means average the replicas'
// (memory) or replica stages' (busy, MFU) weighted means.
type UtilizationSummary struct {
	MeanMemoryUsage float64         `json:"mean_memory_usage"`
	MeanBusy        float64         `json:"mean_busy"`
	MeanMFU         float64         `json:"mean_mfu"`
	Replicas        []ReplicaMeters `json:"replicas"`
}

// ReplicaMeters are one replica's meters.
type ReplicaMeters struct {
	Replica     int           `json:"replica"`
	MemoryUsage *MeterStats   `json:"memory_usage"`
	Stages      []StageMeters `json:"stages"`
}

// StageMeters are one replica stage's meters.
type StageMeters struct {
	Stage       int        `json:"stage"`
	BusyPercent MeterStats `json:"busy_time_percent"`
	MFU         MeterStats `json:"mfu"`
}

// Summary computes the summary of what has been recorded so far.
func (r *Recorder) Summary() Summary {
	s := Summary{
		TimeUnit: "s",
		Requests: RequestCounts{
			Arrived: max(r.arrived, r.completed), Completed: r.completed, Restarts: r.restarts,
			PrefillTokens: r.prefillTokens, DecodeTokens: r.decodeTokens,
		},
		Latency: Latency{
			TTFT: r.ttft.stats(), TBT: r.tbt.stats(), MaxTBT: r.maxTBT.stats(), TPOT: r.tpot.stats(),
			E2E: r.e2e.stats(), E2ENormalized: r.e2eNorm.stats(), SchedulingDelay: r.schedDelay.stats(),
			ExecutionTime: r.execTime.stats(),
		},
		Batches: BatchStats{
			Count: r.batchCount, Size: r.batchSize.stats(), NumTokens: r.batchTokens.stats(),
			ExecutionTime: r.batchExec.stats(),
		},
		Utilization: UtilizationSummary{Replicas: []ReplicaMeters{}},
	}
	if span := r.lastCompletion - r.firstArrival; r.completed > 0 && span > 0 && !math.IsInf(span, 0) {
		s.Throughput = Throughput{
			SpanSeconds:         span,
			RequestsPerSecond:   float64(r.completed) / span,
			PrefillTokensPerSec: float64(r.prefillTokens) / span,
			DecodeTokensPerSec:  float64(r.decodeTokens) / span,
			TokensPerSecond:     float64(r.prefillTokens+r.decodeTokens) / span,
		}
	}
	var memSum, busySum, mfuSum float64
	var memN, stageN int
	for rep := 0; rep < max(len(r.memory), len(r.busy)); rep++ {
		rm := ReplicaMeters{Replica: rep, Stages: []StageMeters{}}
		if rep < len(r.memory) {
			m := r.memory[rep].stats()
			rm.MemoryUsage = &m
			memSum += m.Mean
			memN++
		}
		if rep < len(r.busy) {
			for st := range r.busy[rep] {
				sm := StageMeters{Stage: st, BusyPercent: r.busy[rep][st].stats(), MFU: r.mfu[rep][st].stats()}
				busySum += sm.BusyPercent.Mean
				mfuSum += sm.MFU.Mean
				stageN++
				rm.Stages = append(rm.Stages, sm)
			}
		}
		s.Utilization.Replicas = append(s.Utilization.Replicas, rm)
	}
	if memN > 0 {
		s.Utilization.MeanMemoryUsage = memSum / float64(memN)
	}
	if stageN > 0 {
		s.Utilization.MeanBusy = busySum / float64(stageN)
		s.Utilization.MeanMFU = mfuSum / float64(stageN)
	}
	return s
}
