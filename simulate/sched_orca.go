package simulate

// orcaPolicy is Orca's iteration-level scheduler as Vidur models it
// (orca_replica_scheduler.py): every running request in every iteration, new requests
// while a whole maximum-length sequence can be reserved for each; no token budget and no
// preemption.
type orcaPolicy struct {
	running []*request
}

func (o *orcaPolicy) batchEnd(r *replica, b *batch) {
	releaseFinished(r, b, &o.running)
}

func (o *orcaPolicy) next(r *replica) (*batch, error) {
	p := r.p
	b := r.sim.batches.get(r.id)
	i := 0
	for i < len(o.running) && len(b.reqs) < p.maxBatchSize {
		q := o.running[i]
		i++
		b.add(q, nextTokensBase(q))
	}
	m := copy(o.running, o.running[i:])
	clear(o.running[m:])
	o.running = o.running[:m]
	if err := admitWholeSequences(r, b); err != nil {
		return nil, err
	}
	return r.sim.batches.commit(b), nil
}

// admitWholeSequences adds waiting requests to b while the batch is below the
// memory-derived batch size and a maximum-length sequence can be reserved for each.
func admitWholeSequences(r *replica, b *batch) error {
	p := r.p
	for r.queue.len() > 0 && len(b.reqs) < p.maxBatchSize && r.canAllocate(p.maxBlocksPerSeq) {
		q := r.queue.popFront()
		if err := r.allocate(q, p.maxBlocksPerSeq); err != nil {
			return err
		}
		b.add(q, nextTokensBase(q))
	}
	return nil
}
