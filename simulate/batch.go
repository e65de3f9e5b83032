package simulate

import "github.com/llmsim/llmsim/predictor"

// batch is one iteration's work on a replica: requests and the tokens each processes.
// Like Vidur's Batch, its prefill/decode split is fixed when it is formed.
type batch struct {
	id            int
	replica       int
	reqs          []*request
	tokens        []int
	total         int // Σ tokens
	prefillTokens int // tokens of requests still in prefill when the batch was formed
	scheduledAt   float64

	// The predicted times are computed when the batch first reaches a stage and reused by
	// the later stages (Vidur memoises the lookup keys on the batch).
	predicted   bool
	last, inner predictor.Times
	// attnFLOPs is Σ 4·c·(c + processed) over the batch, the per-layer-per-head-dim
	// attention work of Vidur's MFU calculator.
	attnFLOPs float64
}

func (b *batch) add(r *request, n int) {
	b.reqs = append(b.reqs, r)
	b.tokens = append(b.tokens, n)
	b.total += n
	if !r.prefillDone {
		b.prefillTokens += n
	}
}

func (b *batch) size() int { return len(b.reqs) }

// batchPool recycles batches and their slices.
type batchPool struct {
	free   []*batch
	nextID int
}

// get returns an empty batch for replica; it has no id until commit.
func (p *batchPool) get(replica int) *batch {
	var b *batch
	if n := len(p.free); n > 0 {
		b = p.free[n-1]
		p.free = p.free[:n-1]
		reqs, tokens := b.reqs[:0], b.tokens[:0]
		*b = batch{reqs: reqs, tokens: tokens}
	} else {
		b = &batch{}
	}
	b.id = -1
	b.replica = replica
	return b
}

// commit gives a formed batch the next id, or recycles it and returns nil when it is
// empty. Ids are global across replicas and counted only for batches that run, as in
// Vidur, where an empty batch is never constructed.
func (p *batchPool) commit(b *batch) *batch {
	if len(b.reqs) == 0 {
		p.free = append(p.free, b)
		return nil
	}
	b.id = p.nextID
	p.nextID++
	return b
}

func (p *batchPool) put(b *batch) {
	clear(b.reqs)
	p.free = append(p.free, b)
}
