package simulate

// request is one request's state while it is in the system, following Vidur's Request
// state machine field by field (vidur/entities/request.py) so that every timing metric
// comes out of the same floating-point operations. It is recycled once the request
// completes and its record has been written.
type request struct {
	id        int
	arrivedAt float64
	// p and d are the current prefill and decode lengths. A restart (recompute
	// preemption) moves the tokens generated so far into the prefill.
	p, d      int
	origP     int // prefill length on arrival
	origD     int // decode length on arrival
	processed int // tokens processed so far, including the one a finished prefill emits
	restarts  int

	scheduled, completed, prefillDone bool
	// allocated and blocks replace Vidur's per-replica allocation map: whether the
	// request holds KV blocks on its replica, and how many.
	allocated bool
	blocks    int

	scheduledAt, prefillCompletedAt, completedAt     float64
	latestStageScheduledAt, latestStageCompletedAt   float64
	latestIterScheduledAt, latestIterCompletedAt     float64
	executionTime, modelExecutionTime, preemptedTime float64
	schedulingDelay, latestIterSchedulingDelay       float64
	interArrival                                     float64
	computeTime, commTime                            float64
	lastTokenAt, maxTBT                              float64
	replica                                          int

	// Disaggregation (pd.go): the request's two replicas, its KV transfer (bytes, time
	// waiting for memory and the NIC, time on the wire, arrival) and the KV blocks its
	// prefill replica holds until the transfer ends.
	disaggregated                       bool
	prefillReplica, decodeReplica       int
	kvBytes                             int64
	heldBlocks                          int
	kvQueueing, kvTime, decodeArrivedAt float64
}

func (r *request) total() int { return r.p + r.d }

// processedDecode is Vidur's num_processed_decode_tokens.
func (r *request) processedDecode() int { return max(r.processed-r.p, 0) }

// onBatchSchedule is called when a batch containing r is formed at time t.
func (r *request) onBatchSchedule(t float64) {
	r.latestIterScheduledAt = t
	r.latestIterSchedulingDelay = t - r.latestIterCompletedAt
	if r.scheduled {
		return
	}
	if r.restarts > 0 {
		// A restarted request keeps its first scheduling time and delay.
		r.scheduled = true
		return
	}
	r.scheduledAt = t
	r.schedulingDelay = t - r.arrivedAt
	r.scheduled = true
}

// onStageSchedule is called when a pipeline stage starts a batch holding r.
func (r *request) onStageSchedule(t float64) {
	r.latestStageScheduledAt = t
	if r.latestStageCompletedAt == 0 {
		r.preemptedTime = 0
	} else {
		r.preemptedTime += t - r.latestStageCompletedAt
	}
}

// onStageEnd is called when a pipeline stage finishes a batch holding r.
func (r *request) onStageEnd(t, exec, model, compute, comm float64) {
	r.executionTime += exec
	r.modelExecutionTime += model
	r.computeTime += compute
	r.commTime += comm
	r.latestStageCompletedAt = t
}

// onBatchEnd accounts n tokens processed by the batch that ended at t.
func (r *request) onBatchEnd(t float64, n int) {
	r.processed += n
	r.latestIterCompletedAt = t
	emitted := false
	if r.processed == r.p {
		r.prefillDone = true
		// The iteration that finishes the prefill also emits the first output token.
		r.processed++
		if r.prefillCompletedAt == 0 {
			r.prefillCompletedAt = t
			r.lastTokenAt = t
		} else {
			emitted = true
		}
	} else if r.prefillDone {
		emitted = true
	}
	if emitted {
		r.maxTBT = max(r.maxTBT, t-r.lastTokenAt)
		r.lastTokenAt = t
	}
	if r.processed == r.total() {
		r.completedAt = t
		r.completed = true
	}
}

// restart is Vidur's recompute preemption: everything processed so far becomes prompt,
// to be prefilled again; the first scheduling and prefill-completion times are kept.
//
// Vidur does that also for a request preempted part-way through a chunked prompt, which
// turns the rest of its prompt into decode tokens (one per iteration) and stamps its
// TTFT after the shortened prompt; vidurCompat keeps that, otherwise such a request keeps
// its prompt and output lengths and simply starts its prompt again.
func (r *request) restart(vidurCompat bool) {
	total := r.total()
	if r.prefillDone || vidurCompat {
		r.p = r.processed
		r.d = total - r.p
	}
	r.processed = 0
	r.scheduled = false
	r.completed = false
	r.prefillDone = false
	r.restarts++
}

// requestPool recycles request values so that memory follows the number of requests in
// the system, not the number simulated.
type requestPool struct{ free []*request }

func (p *requestPool) get() *request {
	if n := len(p.free); n > 0 {
		r := p.free[n-1]
		p.free = p.free[:n-1]
		*r = request{}
		return r
	}
	return new(request)
}

func (p *requestPool) put(r *request) { p.free = append(p.free, r) }
