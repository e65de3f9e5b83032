package simulate

// fasterTransformerPolicy is FasterTransformer's static batching as Vidur models it
// (faster_transformer_replica_scheduler.py): a batch keeps running, shrinking as its
// requests finish, until all are done; only then are new requests admitted.
//
// Vidur frees KV memory only for the requests still in the batch when the whole batch
// finishes, so requests that finish earlier keep their reservation for ever. llmsim
// reproduces that leak in Vidur compatibility mode and frees each request as it
// finishes otherwise (leak == false).
type fasterTransformerPolicy struct {
	pending [][]*request // unfinished requests of batches that are not done, FIFO
	leak    bool
}

func (f *fasterTransformerPolicy) batchEnd(r *replica, b *batch) {
	var left []*request
	for _, q := range b.reqs {
		if !q.completed {
			left = append(left, q)
		}
	}
	if len(left) == 0 {
		for _, q := range b.reqs {
			r.free(q)
		}
		return
	}
	if !f.leak {
		for _, q := range b.reqs {
			if q.completed {
				r.free(q)
			}
		}
	}
	f.pending = append(f.pending, left)
}

func (f *fasterTransformerPolicy) next(r *replica) (*batch, error) {
	b := r.sim.batches.get(r.id)
	if len(f.pending) > 0 {
		left := f.pending[0]
		f.pending[0] = nil
		f.pending = f.pending[1:]
		for _, q := range left {
			b.add(q, nextTokensBase(q))
		}
		return r.sim.batches.commit(b), nil
	}
	if err := admitWholeSequences(r, b); err != nil {
		return nil, err
	}
	return r.sim.batches.commit(b), nil
}
