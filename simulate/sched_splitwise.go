package simulate

// SchedulerSplitWise is vidur-alibabacloud's replica scheduler for disaggregated
// prefill and decode (splitwise_replica_scheduler.py). It runs only beside the
// split_wise global scheduler (Setup.PD).
const SchedulerSplitWise = "split_wise"

// GlobalSplitWise is the split_wise global scheduler: each arriving request goes to a
// prefill replica (see PDSetup.Placement).
const GlobalSplitWise = "split_wise"

// splitwisePolicy batches a replica of a disaggregated cluster. On a prefill replica it
// forms prefill-only batches of whole prompts, Orca-style: requests in arrival order
// while the batch stays within max_tokens_in_batch, the micro-batch size and the KV
// blocks; when a prefill ends the request is handed to the PD state, which moves its KV
// cache. On a decode replica it runs every decoding request one token per iteration and
// admits the requests whose KV cache has arrived.
//
// KV blocks: a decode replica reserves a maximum-length sequence per request (the fork's
// max_blocks_per_sequence), before the transfer starts. A prefill replica reserves the
// prompt's blocks; with --compat vidur-alibabacloud it reserves a maximum-length sequence
// too, as the fork does.
type splitwisePolicy struct {
	running []*request // decode replica: requests between iterations
	compat  bool
}

func (w *splitwisePolicy) next(r *replica) (*batch, error) {
	if r.role == rolePrefill {
		return w.nextPrefill(r)
	}
	return w.nextDecode(r)
}

func (w *splitwisePolicy) prefillBlocks(r *replica, q *request) int {
	if w.compat {
		return r.p.maxBlocksPerSeq
	}
	return r.promptBlocks(q)
}

func (w *splitwisePolicy) nextPrefill(r *replica) (*batch, error) {
	p := r.p
	b := r.sim.batches.get(r.id)
	for r.queue.len() > 0 {
		q := r.queue.front()
		if len(b.reqs) == p.maxMicroBatch || r.mapLen == p.batchSizeCap {
			break
		}
		// A prompt longer than the token budget would never run (the fork hangs on it);
		// llmsim lets it run alone.
		if b.total+q.p > p.maxTokensInBatch && (len(b.reqs) > 0 || w.compat) {
			break
		}
		n := w.prefillBlocks(r, q)
		if !r.canAllocate(n) {
			break
		}
		r.queue.popFront()
		if err := r.allocate(q, n); err != nil {
			return nil, err
		}
		b.add(q, q.p)
	}
	return r.sim.batches.commit(b), nil
}

func (w *splitwisePolicy) nextDecode(r *replica) (*batch, error) {
	p := r.p
	b := r.sim.batches.get(r.id)
	sortByArrival(w.running)
	i := 0
	for i < len(w.running) && len(b.reqs) < p.maxBatchSize {
		b.add(w.running[i], 1)
		i++
	}
	m := copy(w.running, w.running[i:])
	clear(w.running[m:])
	w.running = w.running[:m]
	for r.queue.len() > 0 && len(b.reqs) < p.maxMicroBatch && b.total < p.maxTokensInBatch {
		q := r.queue.front()
		if !q.allocated {
			// Compat: the fork reserves decode memory at admission, not before the transfer.
			if !r.canAllocate(p.maxBlocksPerSeq) {
				break
			}
			if err := r.allocate(q, p.maxBlocksPerSeq); err != nil {
				return nil, err
			}
		}
		r.queue.popFront()
		b.add(q, 1)
	}
	return r.sim.batches.commit(b), nil
}

func (w *splitwisePolicy) batchEnd(r *replica, b *batch) {
	if r.role == rolePrefill {
		for _, q := range b.reqs {
			if q.completed {
				// One output token: done with the prefill, nothing to move.
				r.sim.pd.pendingTokens[r.id] -= q.p
				r.free(q)
				continue
			}
			r.sim.pd.handoff(r, q)
		}
		return
	}
	releaseFinished(r, b, &w.running)
	if !w.compat {
		r.sim.pd.startTransfers(r)
	}
}
