package simulate

// sarathiPolicy is Sarathi-Serve's scheduler as Vidur models it
// (sarathi_replica_scheduler.py): decodes first, then running prefills, then new
// requests, all within a token budget (chunk size) by chunking prompts; blocks as vLLM.
type sarathiPolicy struct {
	running  []*request // running requests between iterations, in arrival order
	prefills []*request // scratch: running requests still in prefill
	skipped  []*request // scratch: running requests left out of this batch
	merged   []*request // scratch for re-merging skipped and running
}

func (s *sarathiPolicy) batchEnd(r *replica, b *batch) {
	releaseFinished(r, b, &s.running)
}

// chunk is the prefill chunk q gets when the batch already holds batchTokens tokens.
func (s *sarathiPolicy) chunk(r *replica, q *request, batchTokens int) int {
	if q.prefillDone {
		return 1
	}
	return max(0, min(q.p-q.processed, r.p.chunkSize-batchTokens))
}

func (s *sarathiPolicy) next(r *replica) (*batch, error) {
	p := r.p
	b := r.sim.batches.get(r.id)
	tokens := 0
	s.prefills, s.skipped = s.prefills[:0], s.skipped[:0]

	run := s.running
	i, n := 0, len(run)
	for i < n {
		if len(b.reqs) == p.maxMicroBatch {
			break
		}
		q := run[i]
		i++
		if !q.prefillDone {
			s.prefills = append(s.prefills, q)
			continue
		}
		admitted, err := admitDecode(r, q, run, &n, i)
		if err != nil {
			return nil, err
		}
		if admitted {
			tokens++
			b.add(q, 1)
		}
	}
	// Running prefills continue without a micro-batch limit, as in Vidur.
	for _, q := range s.prefills {
		c := s.chunk(r, q, tokens)
		if c == 0 {
			s.skipped = append(s.skipped, q)
			continue
		}
		tokens += c
		b.add(q, c)
	}
	merged := append(append(s.merged[:0], s.skipped...), run[i:n]...)
	sortByArrival(merged)
	clear(run)
	s.running, s.merged = merged, run[:0]

	for r.queue.len() > 0 {
		if r.mapLen == p.batchSizeCap || len(b.reqs) == p.maxMicroBatch {
			break
		}
		q := r.queue.front()
		if !r.canAllocateRequest(q) {
			break
		}
		c := s.chunk(r, q, tokens)
		if c == 0 {
			break
		}
		r.queue.popFront()
		if err := r.allocateRequest(q); err != nil {
			return nil, err
		}
		tokens += c
		b.add(q, c)
	}
	return r.sim.batches.commit(b), nil
}
