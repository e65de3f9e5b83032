package simulate

// vllmPolicy is vLLM's scheduler as Vidur models it (vllm_replica_scheduler.py):
// prefill-prioritised — any admissible waiting requests form a prefill-only batch —
// paged KV blocks, and preemption by recompute when a decode cannot get a block.
type vllmPolicy struct {
	running []*request // Vidur's _preempted_requests: running, between iterations
}

func (v *vllmPolicy) batchEnd(r *replica, b *batch) {
	releaseFinished(r, b, &v.running)
}

// releaseFinished frees the blocks of the batch's completed requests and returns the
// others to the running list.
func releaseFinished(r *replica, b *batch, running *[]*request) {
	for _, q := range b.reqs {
		if q.completed {
			r.free(q)
		} else {
			*running = append(*running, q)
		}
	}
}

func (v *vllmPolicy) next(r *replica) (*batch, error) {
	p := r.p
	b := r.sim.batches.get(r.id)
	longest := 0
	for r.queue.len() > 0 {
		q := r.queue.front()
		n := q.p // a waiting request's prefill is never complete
		if !r.canAllocateRequest(q) {
			break
		}
		// The token budget counts padding: every request as long as the longest prompt.
		if (len(b.reqs)+1)*max(longest, n) > p.maxTokensInBatch {
			break
		}
		if r.mapLen == p.batchSizeCap || len(b.reqs) == p.maxMicroBatch {
			break
		}
		r.queue.popFront()
		if err := r.allocateRequest(q); err != nil {
			return nil, err
		}
		b.add(q, n)
		longest = max(longest, n)
	}
	if len(b.reqs) > 0 {
		return r.sim.batches.commit(b), nil
	}

	sortByArrival(v.running)
	run := v.running
	i, n := 0, len(run)
	for i < n {
		if len(b.reqs) == p.maxMicroBatch {
			break
		}
		q := run[i]
		i++
		admitted, err := admitDecode(r, q, run, &n, i)
		if err != nil {
			return nil, err
		}
		if admitted {
			b.add(q, nextTokensBase(q))
		}
	}
	m := copy(run, run[i:n])
	clear(run[m:])
	v.running = run[:m]
	return r.sim.batches.commit(b), nil
}

// admitDecode gives running request q the block it may need, preempting the latest
// arrivals (the tail of run[i:*n]) until it fits; if nothing is left to preempt, q
// itself is preempted and admitDecode reports false.
func admitDecode(r *replica, q *request, run []*request, n *int, i int) (bool, error) {
	for !r.canAllocateRequest(q) {
		if i < *n {
			victim := run[*n-1]
			run[*n-1] = nil
			*n--
			r.preempt(victim)
			continue
		}
		r.preempt(q)
		return false, nil
	}
	return true, r.allocateRequest(q)
}

// nextTokensBase is Vidur's default next-token count: the whole prompt until the
// prefill is done, then one token per iteration.
func nextTokensBase(q *request) int {
	if q.prefillDone {
		return 1
	}
	return q.p
}
