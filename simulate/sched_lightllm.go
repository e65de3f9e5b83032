package simulate

import "fmt"

// lightLLMPolicy is LightLLM's scheduler as Vidur models it (lightllm_replica_scheduler.py):
// one token per block, prefill batches admitted by a peak-memory estimate over the
// running requests, decode batches of all running requests, and a prefill attempt after
// every max_waiting_iters decode iterations.
type lightLLMPolicy struct {
	running []*request
	waiting int       // decode iterations since the last prefill attempt
	cache   []lenPair // scratch: (tokens held, tokens still to come) per request
}

type lenPair struct{ used, remaining int }

func (l *lightLLMPolicy) batchEnd(r *replica, b *batch) {
	releaseFinished(r, b, &l.running)
}

func (l *lightLLMPolicy) pair(q *request) lenPair {
	var used, rem int
	if q.scheduled {
		used = q.processed
		rem = q.d - q.processedDecode() - 1
	} else {
		used = q.p + 1
		rem = q.d - 1 - 1
	}
	return lenPair{used, max(0, rem)}
}

// fits adds q to the peak-memory estimate and reports whether the peak stays below the
// block count: with requests sorted by tokens still to come (most first), request i
// finishing last among the first i+1 needs remaining_i·(i+1) + Σ_{j≤i} used_j.
func (l *lightLLMPolicy) fits(r *replica, q *request) bool {
	l.cache = append(l.cache, l.pair(q))
	c := l.cache
	for j := len(c) - 1; j > 0 && c[j-1].remaining < c[j].remaining; j-- {
		c[j-1], c[j] = c[j], c[j-1]
	}
	need, cum := 0, 0
	for i, e := range c {
		cum += e.used
		need = max(need, e.remaining*(i+1)+cum)
	}
	return need < r.numBlocks
}

func (l *lightLLMPolicy) prefillBatch(r *replica) (*batch, error) {
	p := r.p
	b := r.sim.batches.get(r.id)
	l.cache = l.cache[:0]
	for _, q := range l.running {
		l.fits(r, q) // builds the sorted estimate; the verdict is only needed for candidates
	}
	tokens := 0
	for r.queue.len() > 0 {
		q := r.queue.front()
		n := nextTokensBase(q)
		if tokens+n > p.maxTokensInBatch || r.mapLen == p.batchSizeCap || len(b.reqs) == p.maxMicroBatch {
			break
		}
		if !l.fits(r, q) {
			break
		}
		r.queue.popFront()
		if err := l.allocate(r, q); err != nil {
			return nil, err
		}
		b.add(q, n)
		tokens += n
	}
	return r.sim.batches.commit(b), nil
}

// allocate reserves a new request's prompt (one block per token) or one more token.
func (l *lightLLMPolicy) allocate(r *replica, q *request) error {
	if !q.allocated {
		return r.allocate(q, q.p)
	}
	return r.allocate(q, 1)
}

func (l *lightLLMPolicy) decodeBatch(r *replica) (*batch, error) {
	b := r.sim.batches.get(r.id)
	for _, q := range l.running {
		if len(b.reqs) >= r.p.maxMicroBatch {
			return nil, fmt.Errorf("simulate: replica %d: lightllm decode batch exceeds the micro-batch size %d (Vidur asserts here)", r.id, r.p.maxMicroBatch)
		}
		if !r.canAllocate(1) {
			return nil, fmt.Errorf("simulate: replica %d: lightllm decode of request %d has no free block (Vidur asserts here)", r.id, q.id)
		}
		if err := l.allocate(r, q); err != nil {
			return nil, err
		}
		b.add(q, nextTokensBase(q))
	}
	clear(l.running)
	l.running = l.running[:0]
	return r.sim.batches.commit(b), nil
}

func (l *lightLLMPolicy) next(r *replica) (*batch, error) {
	if len(l.running) == 0 {
		b, err := l.prefillBatch(r)
		if b != nil {
			l.waiting = 0
		}
		return b, err
	}
	if l.waiting >= r.p.maxWaitingIters {
		l.waiting = 0
		b, err := l.prefillBatch(r)
		if err != nil || b != nil {
			return b, err
		}
	}
	if r.canAllocate(len(l.running)) {
		l.waiting++
		return l.decodeBatch(r)
	}
	return nil, fmt.Errorf("simulate: replica %d: lightllm has no memory to decode %d running requests (Vidur: OOM handling not implemented)", r.id, len(l.running))
}
