package simulate

import (
	"fmt"
	"math"

	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/metrics"
	"github.com/llmsim/llmsim/simulate/workload"
)

// Recorder receives what a simulation produces, as it happens (metrics.Recorder is
// the one that writes a run's files). Records are reused after a call returns; a
// Recorder that keeps one must copy it. Recorders keep their first error for the
// caller to collect when the run is over, so these methods return none.
type Recorder interface {
	// RecordArrival is called when a request arrives.
	RecordArrival(workload.Request)
	// RecordRequest is called once per request, when it completes.
	RecordRequest(*metrics.RequestRecord)
	// RecordBatch is called once per batch per pipeline stage, when the stage finishes
	// it; CompletedAt − ScheduledAt of the last stage's record is Vidur's
	// batch_execution_time.
	RecordBatch(*metrics.BatchRecord)
	// RecordMemory samples a replica's KV-cache use, in percent of its blocks, whenever
	// batches are formed and whenever one ends (as Vidur does).
	RecordMemory(replica int, t, percent float64)
}

// Result summarises a finished simulation.
type Result struct {
	Arrived     int     // requests that arrived
	Completed   int     // requests that finished
	Batches     int     // batches run, all replicas together
	Events      int64   // events handled, arrivals included
	Restarts    int     // recompute preemptions
	EndTime     float64 // time of the last event handled
	TimeLimited bool    // stopped by the time limit
	// Drained is Vidur's final check: no request waits or holds memory anywhere. Vidur
	// fails an assertion when it is false without a time limit (its FasterTransformer
	// leaks memory, for one).
	Drained bool
	// ClampedLookups counts batches whose predictor keys fell outside the grid.
	ClampedLookups int64
}

// Simulator runs one simulation. Build it with New; Run may be called once.
type Simulator struct {
	setup    Setup
	params   *schedParams
	pred     *predictor.Predictor
	replicas []*replica
	global   *globalScheduler
	touched  []bool
	pd       *pdState // prefill/decode disaggregation; nil when every replica is mixed

	heap eventHeap
	seq  uint64
	now  float64

	src         workload.Source
	next        workload.Request
	hasNext     bool
	lastArrival float64

	requests requestPool
	batches  batchPool
	rec      Recorder
	reqRec   metrics.RequestRecord
	batchRec metrics.BatchRecord
	batchIDs []int             // RequestIDs of batchRec, reused
	dpRanks  []predictor.Shape // per attention-DP rank shapes of the batch being priced, reused

	res      Result
	restarts int
	ran      bool
	// Progress, when set, is called about every 2^16 events with the requests that
	// arrived so far; the simulate command drives a progress bar with it.
	Progress func(arrived int)
}

// New checks setup and builds a simulator.
func New(setup Setup) (*Simulator, error) {
	p, err := setup.params()
	if err != nil {
		return nil, err
	}
	g, err := newGlobalScheduler(setup.GlobalScheduler, setup.rng())
	if err != nil {
		return nil, err
	}
	s := &Simulator{setup: setup, params: p, pred: setup.Predictor, global: g, touched: make([]bool, setup.NumReplicas)}
	for i := 0; i < setup.NumReplicas; i++ {
		s.replicas = append(s.replicas, &replica{
			id:        i,
			stages:    make([]stage, setup.NumStages),
			numBlocks: p.numBlocks,
			p:         p,
			policy:    setup.newPolicy(),
			sim:       s,
		})
	}
	if setup.PD != nil {
		if err := s.setupPD(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// NumBlocks is the number of KV blocks each replica has.
func (s *Simulator) NumBlocks() int { return s.params.numBlocks }

func (s *Simulator) push(t float64, k eventKind, rep, st int, b *batch) {
	s.seq++
	s.heap.push(event{time: t, seq: s.seq, kind: k, replica: int32(rep), stage: int32(st), batch: b})
}

// Run pulls requests from src as simulated time reaches them and simulates until every
// request has finished (or the time limit passes), handing records to rec.
func (s *Simulator) Run(src workload.Source, rec Recorder) (Result, error) {
	if s.ran {
		return s.res, fmt.Errorf("simulate: Run called twice on one Simulator")
	}
	s.ran = true
	s.src, s.rec = src, rec
	s.advanceSource()
	limit := s.setup.TimeLimit
	if limit <= 0 {
		limit = math.Inf(1)
	}
	terminate := false
	for !terminate {
		// Vidur queues every arrival before the simulation starts, so an arrival runs
		// before any other event at the same time: the cursor wins ties.
		arrival := s.hasNext && (len(s.heap) == 0 || s.next.ArrivedAt <= s.heap[0].time)
		var err error
		if arrival {
			s.now = s.next.ArrivedAt
			terminate = s.now > limit
			s.arrive(s.next)
			s.advanceSource()
		} else if len(s.heap) > 0 {
			ev := s.heap.pop()
			s.now = ev.time
			terminate = s.now > limit
			err = s.handle(&ev)
		} else {
			break
		}
		s.res.Events++
		if err != nil {
			return s.finish(), fmt.Errorf("simulate: at t=%.6f s: %w", s.now, err)
		}
		if s.Progress != nil && s.res.Events&0xffff == 0 {
			s.Progress(s.res.Arrived)
		}
	}
	if err := s.src.Err(); err != nil {
		return s.finish(), fmt.Errorf("simulate: workload: %w", err)
	}
	s.res.TimeLimited = terminate
	return s.finish(), nil
}

func (s *Simulator) finish() Result {
	s.res.EndTime = s.now
	s.res.Restarts = s.restarts
	s.res.Batches = s.batches.nextID
	s.res.ClampedLookups = s.clampedLookups()
	drained := len(s.global.queue) == 0
	for _, r := range s.replicas {
		drained = drained && r.idle()
	}
	s.res.Drained = drained
	return s.res
}

func (s *Simulator) advanceSource() {
	s.next, s.hasNext = s.src.Next()
}

func (s *Simulator) handle(ev *event) error {
	switch ev.kind {
	case evGlobalSchedule:
		s.globalSchedule()
	case evReplicaSchedule:
		return s.replicaSchedule(s.replicas[ev.replica])
	case evStageArrival:
		s.replicas[ev.replica].stages[ev.stage].push(ev.batch)
		s.push(s.now, evStageSchedule, int(ev.replica), int(ev.stage), nil)
	case evStageSchedule:
		return s.stageSchedule(s.replicas[ev.replica], int(ev.stage))
	case evStageEnd:
		return s.stageEnd(s.replicas[ev.replica], int(ev.stage), ev.batch)
	case evBatchEnd:
		return s.batchEnd(s.replicas[ev.replica], ev.batch)
	case evKVArrival:
		s.kvArrival(int(ev.replica), ev.stage)
	}
	return nil
}

// arrive is Vidur's RequestArrivalEvent.
func (s *Simulator) arrive(w workload.Request) {
	q := s.requests.get()
	q.id = w.ID
	q.arrivedAt = w.ArrivedAt
	q.p, q.d = w.NumPrefillTokens, w.NumDecodeTokens
	q.origP, q.origD = q.p, q.d
	q.interArrival = math.NaN()
	if s.res.Arrived > 0 {
		q.interArrival = w.ArrivedAt - s.lastArrival
	}
	s.lastArrival = w.ArrivedAt
	s.res.Arrived++
	if s.rec != nil {
		s.rec.RecordArrival(w)
	}
	s.global.queue = append(s.global.queue, q)
	s.push(s.now, evGlobalSchedule, 0, 0, nil)
}

// globalSchedule is Vidur's GlobalScheduleEvent: one ReplicaSchedule per replica that
// received requests, in ascending replica id.
func (s *Simulator) globalSchedule() {
	s.global.schedule(s.replicas, s.touched)
	for id, t := range s.touched {
		if t {
			s.touched[id] = false
			s.push(s.now, evReplicaSchedule, id, 0, nil)
		}
	}
}

// replicaSchedule is Vidur's ReplicaScheduleEvent: form batches while a pipeline slot
// is free, and send each to the first stage.
func (s *Simulator) replicaSchedule(r *replica) error {
	var formed [8]*batch
	batches := formed[:0]
	for r.running < len(r.stages) {
		b, err := r.policy.next(r)
		if err != nil {
			return err
		}
		if b == nil {
			break
		}
		batches = append(batches, b)
		r.running++
	}
	if len(batches) == 0 {
		return nil
	}
	if s.rec != nil {
		s.rec.RecordMemory(r.id, s.now, r.memoryUsagePercent())
	}
	for _, b := range batches {
		b.scheduledAt = s.now
		for _, q := range b.reqs {
			q.onBatchSchedule(s.now)
		}
	}
	for _, b := range batches {
		s.push(s.now, evStageArrival, r.id, 0, b)
	}
	return nil
}

// stageSchedule is Vidur's ReplicaStageScheduleEvent: an idle stage starts its next
// batch, whose time the predictor gives.
func (s *Simulator) stageSchedule(r *replica, st int) error {
	stg := &r.stages[st]
	if stg.busy || stg.pending() == 0 {
		return nil
	}
	b := stg.pop()
	if !b.predicted {
		if err := s.predict(b); err != nil {
			return err
		}
	}
	stg.busy = true
	stg.cur = b
	stg.startedAt = s.now
	for _, q := range b.reqs {
		q.onStageSchedule(s.now)
	}
	t := b.times(st == len(r.stages)-1)
	s.push(s.now+t.Total, evStageEnd, r.id, st, b)
	return nil
}

// times returns the batch's predicted times on the last or an inner stage.
func (b *batch) times(last bool) *predictor.Times {
	if last {
		return &b.last
	}
	return &b.inner
}

func (s *Simulator) predict(b *batch) error {
	var sh predictor.Shape
	pred := s.predictorFor(b.replica)
	g := pred.KVGranularity()
	var attn float64
	for i, q := range b.reqs {
		c := b.tokens[i]
		if q.prefillDone {
			sh.AddDecode(q.processed)
		} else {
			sh.AddPrefill(q.processed, c, g)
		}
		attn += 4 * float64(c) * float64(c+q.processed)
	}
	if dp := s.attentionDP(b.replica); dp > 1 {
		s.dpRanks = splitAttentionDP(s.dpRanks, b, dp, g)
		sh.Ranks = s.dpRanks
	}
	last, inner, err := pred.Predict(&sh)
	if err != nil {
		return fmt.Errorf("replica %d batch %d (%d requests, %d tokens): %w", b.replica, b.id, b.size(), b.total, err)
	}
	b.last, b.inner, b.attnFLOPs, b.predicted = last, inner, attn, true
	return nil
}

// stageEnd is Vidur's BatchStageEndEvent.
func (s *Simulator) stageEnd(r *replica, st int, b *batch) error {
	stg := &r.stages[st]
	stg.busy = false
	stg.cur = nil
	last := st == len(r.stages)-1
	t := b.times(last)
	for _, q := range b.reqs {
		q.onStageEnd(s.now, t.Total, t.Model, t.Total-t.Comm, t.Comm)
	}
	if s.rec != nil {
		rec := &s.batchRec
		s.fillBatchRecord(rec, r, b)
		rec.StageID = st
		rec.StartedAt = stg.startedAt
		rec.CompletedAt = s.now
		rec.ExecutionTime = t.Total
		rec.AttentionTime, rec.MLPTime, rec.CommTime, rec.OtherTime = t.Attention, t.MLP, t.Comm, t.Other
		rec.MoETime, rec.DispatchTime = t.MoE, t.Dispatch
		rec.MFU = s.mfu(b, t.Total)
		s.rec.RecordBatch(rec)
	}
	s.push(s.now, evStageSchedule, r.id, st, nil)
	if last {
		s.push(s.now, evBatchEnd, r.id, st, b)
	} else {
		s.push(s.now, evStageArrival, r.id, st+1, b)
	}
	return nil
}

// mfu is Vidur's model FLOPs utilisation of one stage running b for exec seconds.
func (s *Simulator) mfu(b *batch, exec float64) float64 {
	m := &s.setup.Memory
	if pool := s.replicas[b.replica].mem; pool != nil {
		m = pool
	}
	if exec <= 0 || s.setup.PeakFLOPS <= 0 {
		return 0
	}
	mlp := 2 * float64(b.total) * float64(m.ParamsPerDevice)
	attn := b.attnFLOPs * float64(m.LayersPerStage) * float64(m.QHeadsPerWorker) * float64(m.HeadDim)
	if m.ActiveParamsPerGPU > 0 {
		// MoE, MLA and hybrid models: a token multiplies through its activated weights
		// only, and attention-DP groups split the batch's attention between them.
		mlp = 2 * float64(b.total) * m.ActiveParamsPerGPU
		attn /= float64(max(1, m.AttentionDP))
	}
	// Vidur's order of operations (flops / time · 100 / peak), so the values agree to
	// the last bit.
	return (mlp + attn) / exec * 100 / s.setup.PeakFLOPS
}

func (s *Simulator) fillBatchRecord(rec *metrics.BatchRecord, r *replica, b *batch) {
	*rec = metrics.BatchRecord{
		ID:               b.id,
		ReplicaID:        r.id,
		ScheduledAt:      b.scheduledAt,
		Size:             b.size(),
		NumTokens:        b.total,
		NumPrefillTokens: b.prefillTokens,
		NumDecodeTokens:  b.total - b.prefillTokens,
		MemoryUsage:      r.memoryUsagePercent(),
		RequestIDs:       s.batchIDs[:0],
		RequestNumTokens: b.tokens,
	}
	for _, q := range b.reqs {
		rec.RequestIDs = append(rec.RequestIDs, q.id)
	}
	s.batchIDs = rec.RequestIDs
}

// batchEnd is Vidur's BatchEndEvent: token accounting, the scheduler takes the
// requests back, finished requests are recorded and recycled.
func (s *Simulator) batchEnd(r *replica, b *batch) error {
	for i, q := range b.reqs {
		q.onBatchEnd(s.now, b.tokens[i])
	}
	r.policy.batchEnd(r, b)
	r.running--
	if s.rec != nil {
		s.rec.RecordMemory(r.id, s.now, r.memoryUsagePercent())
	}
	for _, q := range b.reqs {
		if !q.completed {
			continue
		}
		s.res.Completed++
		if s.rec != nil {
			s.fillRequestRecord(&s.reqRec, q)
			s.rec.RecordRequest(&s.reqRec)
		}
		s.requests.put(q)
	}
	s.batches.put(b)
	s.push(s.now, evReplicaSchedule, r.id, 0, nil)
	return nil
}

func (s *Simulator) fillRequestRecord(rec *metrics.RequestRecord, q *request) {
	tbt := 0.0
	if q.origD > 1 {
		tbt = (q.completedAt - q.prefillCompletedAt) / float64(q.origD-1)
	}
	*rec = metrics.RequestRecord{
		ID:                            q.id,
		NumPrefillTokens:              q.origP,
		NumDecodeTokens:               q.origD,
		RestartPrefillTokens:          q.p,
		RestartDecodeTokens:           q.d,
		NumRestarts:                   q.restarts,
		InterArrivalDelay:             q.interArrival,
		ArrivedAt:                     q.arrivedAt,
		ScheduledAt:                   q.scheduledAt,
		PrefillCompletedAt:            q.prefillCompletedAt,
		CompletedAt:                   q.completedAt,
		ExecutionTime:                 q.executionTime,
		ModelExecutionTime:            q.modelExecutionTime,
		PreemptionTime:                q.preemptedTime,
		ExecutionPlusPreemptionTime:   q.executionTime + q.preemptedTime,
		PrefillTimeExecPlusPreemption: q.prefillCompletedAt - q.scheduledAt,
		PrefillReplicaID:              -1,
		DecodeReplicaID:               -1,
		TBT:                           tbt,
		MaxTBT:                        q.maxTBT,
		ComputeTime:                   q.computeTime,
		CommTime:                      q.commTime,
		ReplicaID:                     q.replica,
	}
	if q.disaggregated {
		s.fillPDRecord(rec, q)
	}
}
