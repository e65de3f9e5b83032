package simulate

import (
	"fmt"
	"math"
	"slices"

	"github.com/llmsim/llmsim/predictor"
	"github.com/llmsim/llmsim/simulate/metrics"
)

// This file is prefill–decode disaggregation (vidur-alibabacloud's split_wise, after
// splitwise-sim): the replicas are split into a prefill pool and a decode pool, a
// request's prompt runs on a prefill replica, its KV cache then crosses the network to a
// decode replica, and the decode replica generates the remaining tokens.
//
// Topology: every prefill replica sends KV caches through one NIC of PDSetup.Link's
// bandwidth (pd_p2p_comm_bandwidth). Transfers leaving one prefill replica are served
// first-come first-served, one at a time, each taking Link's latency + bytes/bandwidth;
// transfers from different prefill replicas run in parallel. A transfer starts only once
// the decode replica has reserved the request's KV blocks, so the cache always has
// somewhere to land; until then it waits (FIFO per decode replica) and the prefill
// replica keeps holding the cache. Decoding starts when the cache has arrived.
//
// docs/pd.md has the formulas, the metrics and what --compat vidur-alibabacloud changes.

// PD placement policies (PDSetup.Placement).
const (
	// PlacementRoundRobin is the fork's: prefill and decode replica each in turn, both
	// chosen when the request arrives.
	PlacementRoundRobin = "round_robin"
	// PlacementLeastLoaded picks the prefill replica with the fewest prompt tokens waiting
	// or running when the request arrives, and the decode replica with the most free KV
	// blocks (after reservations and transfers waiting for memory) when its prefill ends.
	PlacementLeastLoaded = "least_loaded"
)

// PoolSetup is the shape of the replicas of one pool.
type PoolSetup struct {
	NumStages int
	Memory    MemoryPlan
	// Layout is how the pool's replicas share their GPUs; its DP deals each batch's
	// requests to the attention data-parallel groups.
	Layout    Layout
	Predictor *predictor.Predictor
}

// PDSetup disaggregates prefill and decode. Replicas 0..NumPrefill−1 run prefills, the
// rest decode, as in the fork.
type PDSetup struct {
	NumPrefill int
	Prefill    PoolSetup
	Decode     PoolSetup
	Placement  string
	// Link times one KV-cache transfer (a send_recv of the cache's bytes); LinkGbps and
	// Dtype are recorded with each request (pd_p2p_comm_bandwidth, pd_p2p_comm_dtype).
	Link     predictor.CommModel
	LinkGbps float64
	Dtype    string
	// KVBytesPerToken is the KV cache of one token over the whole model in Dtype (catalog
	// KVBytesPerToken: MHA/GQA heads, or MLA's latent); StateBytes is the fixed
	// per-request state of linear-attention layers. A request of P prompt tokens moves
	// P·KVBytesPerToken + StateBytes.
	KVBytesPerToken int64
	StateBytes      int64
	// ForkCompat reproduces vidur-alibabacloud: the transfer moves
	// 2·(P+1)·kv_heads·(E/q)·L·bytes (KVBytesPerToken must then be 2·kv·(E/q)·L·bytes and
	// StateBytes 0), transfers neither queue nor wait for memory, and the prefill replica
	// frees the cache when the prefill ends.
	ForkCompat bool
}

// TransferBytes is the size of the KV cache a request of prompt tokens sends.
func (p *PDSetup) TransferBytes(prompt int) int64 {
	if p.ForkCompat {
		return int64(prompt+1) * p.KVBytesPerToken
	}
	return int64(prompt)*p.KVBytesPerToken + p.StateBytes
}

func (p *PDSetup) check(numReplicas int) error {
	switch {
	case p.NumPrefill < 1 || p.NumPrefill >= numReplicas:
		return fmt.Errorf("simulate: disaggregation: %d prefill replicas of %d; both pools need at least one replica", p.NumPrefill, numReplicas)
	case p.Link == nil:
		return fmt.Errorf("simulate: disaggregation: no KV-transfer link")
	case p.KVBytesPerToken <= 0:
		return fmt.Errorf("simulate: disaggregation: KV bytes per token %d must be positive", p.KVBytesPerToken)
	case p.Placement != PlacementRoundRobin && p.Placement != PlacementLeastLoaded:
		return fmt.Errorf("simulate: disaggregation: unknown placement %q (want %s or %s)", p.Placement, PlacementRoundRobin, PlacementLeastLoaded)
	}
	if _, err := p.Link.CollectiveTime(predictor.CollSendRecv, 1, pdGroup); err != nil {
		return fmt.Errorf("simulate: disaggregation: KV-transfer link: %w", err)
	}
	for _, pool := range []*PoolSetup{&p.Prefill, &p.Decode} {
		if pool.NumStages <= 0 || pool.Predictor == nil {
			return fmt.Errorf("simulate: disaggregation: a pool has %d stages and no predictor", pool.NumStages)
		}
	}
	return nil
}

// pdGroup is the group of a KV transfer: one prefill and one decode replica, on
// different nodes.
var pdGroup = predictor.Group{Kind: predictor.GroupPD, Size: 2, RanksPerNode: 1}

// pdRole is what a replica does under disaggregation.
type pdRole uint8

const (
	roleMixed pdRole = iota
	rolePrefill
	roleDecode
)

// pdState is the cluster-level state of disaggregation: placement counters, the prefill
// NICs, the transfers waiting for decode memory and those in flight.
type pdState struct {
	setup      *PDSetup
	s          *Simulator
	numPrefill int
	rrP, rrD   int
	// pendingTokens is, per prefill replica, the prompt tokens assigned and not yet
	// prefilled (least-loaded placement).
	pendingTokens []int
	// nicFreeAt is, per prefill replica, when its NIC finishes the transfers queued on it.
	nicFreeAt []float64
	// waiting is, per decode replica, the requests whose prefill is done and whose KV
	// blocks the replica cannot reserve yet; waitingBlocks counts their blocks.
	waiting       [][]*request
	waitingBlocks []int
	// inFlight holds transfers by slot (the KVArrival event's index); free lists slots
	// to reuse.
	inFlight []*request
	free     []int32
}

// setupPD shapes the replicas into the two pools and attaches the PD state.
func (s *Simulator) setupPD() error {
	pd := s.setup.PD
	if err := pd.check(len(s.replicas)); err != nil {
		return err
	}
	pp, err := s.setup.poolParams(pd.Prefill)
	if err != nil {
		return fmt.Errorf("simulate: prefill pool: %w", err)
	}
	dp, err := s.setup.poolParams(pd.Decode)
	if err != nil {
		return fmt.Errorf("simulate: decode pool: %w", err)
	}
	st := &pdState{
		setup:         pd,
		s:             s,
		numPrefill:    pd.NumPrefill,
		pendingTokens: make([]int, pd.NumPrefill),
		nicFreeAt:     make([]float64, pd.NumPrefill),
		waiting:       make([][]*request, len(s.replicas)),
		waitingBlocks: make([]int, len(s.replicas)),
	}
	for _, r := range s.replicas {
		pool, params, role := &pd.Prefill, pp, rolePrefill
		if r.id >= pd.NumPrefill {
			pool, params, role = &pd.Decode, dp, roleDecode
		}
		r.role = role
		r.p = params
		r.numBlocks = params.numBlocks
		r.stages = make([]stage, pool.NumStages)
		r.pred = pool.Predictor
		r.mem = &pool.Memory
	}
	s.pd = st
	s.global.pd = st
	return nil
}

// poolParams derives one pool's scheduler parameters from its shape.
func (s *Setup) poolParams(pool PoolSetup) (*schedParams, error) {
	c := *s
	c.NumStages = pool.NumStages
	c.Memory = pool.Memory
	c.Predictor = pool.Predictor
	c.PD = nil
	return c.params()
}

// pickPrefill chooses the prefill replica of an arriving request and, for round-robin
// placement, its decode replica too (the fork fixes both at arrival).
func (st *pdState) pickPrefill(q *request) int {
	var id int
	if st.setup.Placement == PlacementLeastLoaded {
		for j, n := range st.pendingTokens {
			if n < st.pendingTokens[id] {
				id = j
			}
		}
	} else {
		id = st.rrP % st.numPrefill
		st.rrP++
		numDecode := len(st.s.replicas) - st.numPrefill
		q.decodeReplica = st.numPrefill + st.rrD%numDecode
		st.rrD++
	}
	st.pendingTokens[id] += q.p
	q.disaggregated = true
	q.prefillReplica = id
	return id
}

// pickDecode chooses the decode replica of a request whose prefill is done.
func (st *pdState) pickDecode(q *request) int {
	if st.setup.Placement != PlacementLeastLoaded {
		return q.decodeReplica
	}
	best, bestFree := -1, math.MinInt
	for _, r := range st.s.replicas[st.numPrefill:] {
		free := r.numBlocks - r.allocatedBlocks - st.waitingBlocks[r.id]
		if free > bestFree {
			best, bestFree = r.id, free
		}
	}
	return best
}

// handoff takes a request whose prefill just ended on prefill replica pr: its KV cache
// is sized and sent towards the decode replica.
func (st *pdState) handoff(pr *replica, q *request) {
	st.pendingTokens[pr.id] -= q.p
	d := st.pickDecode(q)
	q.decodeReplica = d
	q.kvBytes = st.setup.TransferBytes(q.p)
	if st.setup.ForkCompat {
		// The fork frees the prefill replica's blocks at once and delivers the cache after
		// size/bandwidth, with no queueing and no memory check.
		pr.free(q)
		st.send(q, st.s.now)
		return
	}
	// The prefill replica keeps the cache until it has been sent.
	q.heldBlocks = q.blocks
	q.allocated = false
	q.blocks = 0
	st.waiting[d] = append(st.waiting[d], q)
	st.waitingBlocks[d] += st.s.replicas[d].p.maxBlocksPerSeq
	st.startTransfers(st.s.replicas[d])
}

// startTransfers starts, in order, the transfers towards decode replica dr whose KV
// blocks it can now reserve.
func (st *pdState) startTransfers(dr *replica) {
	w := st.waiting[dr.id]
	n := dr.p.maxBlocksPerSeq
	i := 0
	for i < len(w) && dr.canAllocate(n) {
		q := w[i]
		// allocate cannot fail after canAllocate.
		_ = dr.allocate(q, n)
		st.waitingBlocks[dr.id] -= n
		pr := q.prefillReplica
		start := max(st.s.now, st.nicFreeAt[pr])
		st.nicFreeAt[pr] = st.send(q, start)
		i++
	}
	if i > 0 {
		m := copy(w, w[i:])
		clear(w[m:])
		st.waiting[dr.id] = w[:m]
		if st.s.rec != nil {
			st.s.rec.RecordMemory(dr.id, st.s.now, dr.memoryUsagePercent())
		}
	}
}

// send puts q's KV cache on the wire at start and schedules its arrival; it returns the
// arrival time.
func (st *pdState) send(q *request, start float64) float64 {
	t, err := st.setup.Link.CollectiveTime(predictor.CollSendRecv, float64(q.kvBytes), pdGroup)
	if err != nil {
		// check() probed the link; a CommModel that fails on a later size has no time we
		// could use instead.
		panic(fmt.Sprintf("simulate: KV transfer of request %d: %v", q.id, err))
	}
	q.kvQueueing = start - q.prefillCompletedAt
	q.kvTime = t.Seconds
	q.decodeArrivedAt = start + t.Seconds
	var slot int32
	if n := len(st.free); n > 0 {
		slot = st.free[n-1]
		st.free = st.free[:n-1]
		st.inFlight[slot] = q
	} else {
		slot = int32(len(st.inFlight))
		st.inFlight = append(st.inFlight, q)
	}
	st.s.push(q.decodeArrivedAt, evKVArrival, q.decodeReplica, int(slot), nil)
	return q.decodeArrivedAt
}

// kvArrival is the event of a KV cache reaching its decode replica: the prefill replica
// lets go of its copy, and the request joins the decode replica's queue.
func (s *Simulator) kvArrival(d int, slot int32) {
	st := s.pd
	q := st.inFlight[slot]
	st.inFlight[slot] = nil
	st.free = append(st.free, slot)
	if q.heldBlocks > 0 {
		pr := s.replicas[q.prefillReplica]
		pr.allocatedBlocks -= q.heldBlocks
		pr.mapLen--
		q.heldBlocks = 0
		if s.rec != nil {
			s.rec.RecordMemory(pr.id, s.now, pr.memoryUsagePercent())
		}
		s.push(s.now, evReplicaSchedule, pr.id, 0, nil)
	}
	q.replica = d
	s.replicas[d].queue.pushBack(q)
	s.push(s.now, evReplicaSchedule, d, 0, nil)
}

// predictorFor returns the predictor of replica id.
func (s *Simulator) predictorFor(id int) *predictor.Predictor {
	if p := s.replicas[id].pred; p != nil {
		return p
	}
	return s.pred
}

// attentionDP is the number of attention data-parallel groups of replica id's stages.
func (s *Simulator) attentionDP(id int) int {
	if pd := s.setup.PD; pd != nil {
		if id < pd.NumPrefill {
			return pd.Prefill.Layout.DP
		}
		return pd.Decode.Layout.DP
	}
	return s.setup.Layout.DP
}

// clampedLookups sums the clamped lookups of every predictor the replicas use.
func (s *Simulator) clampedLookups() int64 {
	preds := []*predictor.Predictor{s.pred}
	if pd := s.setup.PD; pd != nil {
		preds = append(preds, pd.Prefill.Predictor, pd.Decode.Predictor)
	}
	var n int64
	for i, p := range preds {
		if p != nil && !slices.Contains(preds[:i], p) {
			n += p.Clamped
		}
	}
	return n
}

// fillPDRecord adds the disaggregation columns to a finished request's record.
func (s *Simulator) fillPDRecord(rec *metrics.RequestRecord, q *request) {
	pd := s.setup.PD
	rec.PrefillArrivedAt = q.arrivedAt
	rec.PrefillReplicaID = q.prefillReplica
	rec.KVTransferGbps = pd.LinkGbps
	rec.KVTransferDtype = pd.Dtype
	rec.KVBytesPerToken = pd.KVBytesPerToken
	if q.decodeArrivedAt == 0 {
		// One output token: the request finished with its prefill and never moved.
		rec.DecodeArrivedAt = q.prefillCompletedAt
		rec.DecodeReplicaID = -1
		rec.TBT = 0
		return
	}
	rec.DecodeArrivedAt = q.decodeArrivedAt
	rec.DecodeReplicaID = q.decodeReplica
	rec.ReplicaID = q.decodeReplica
	rec.KVTransferBytes = q.kvBytes
	rec.KVTransferTime = q.kvTime
	rec.KVTransferQueueing = q.kvQueueing
	// The fork's README: tbt = decode_time / request_num_decode_tokens, with
	// decode_time = completed_at − decode_arrived_at.
	rec.TBT = (q.completedAt - q.decodeArrivedAt) / float64(q.origD)
}
