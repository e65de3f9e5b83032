package simulate

import (
	"fmt"

	"github.com/llmsim/llmsim/predictor"
)

// requestDeque is a FIFO of requests that can also take requests back at its front,
// which Vidur does when it preempts (restarts) a running request.
type requestDeque struct {
	buf        []*request
	head, size int
}

func (q *requestDeque) len() int { return q.size }

func (q *requestDeque) front() *request { return q.buf[q.head] }

func (q *requestDeque) grow() {
	n := max(16, 2*len(q.buf))
	buf := make([]*request, n)
	for i := 0; i < q.size; i++ {
		buf[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = buf, 0
}

func (q *requestDeque) pushBack(r *request) {
	if q.size == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.size)%len(q.buf)] = r
	q.size++
}

func (q *requestDeque) pushFront(r *request) {
	if q.size == len(q.buf) {
		q.grow()
	}
	q.head = (q.head - 1 + len(q.buf)) % len(q.buf)
	q.buf[q.head] = r
	q.size++
}

func (q *requestDeque) popFront() *request {
	r := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return r
}

// sortByArrival stably sorts rs by arrival time. The lists it sorts are nearly sorted
// already (Vidur re-sorts its running list on every schedule), so insertion sort is
// linear in practice and keeps Python's stable order on ties.
func sortByArrival(rs []*request) {
	for i := 1; i < len(rs); i++ {
		r := rs[i]
		j := i
		for j > 0 && rs[j-1].arrivedAt > r.arrivedAt {
			rs[j] = rs[j-1]
			j--
		}
		rs[j] = r
	}
}

// stage is one pipeline stage of a replica: a FIFO of batches and whether it is busy
// (Vidur's ReplicaStageScheduler).
type stage struct {
	queue     []*batch
	qhead     int
	busy      bool
	cur       *batch
	startedAt float64
}

func (s *stage) push(b *batch) { s.queue = append(s.queue, b) }

func (s *stage) pop() *batch {
	b := s.queue[s.qhead]
	s.queue[s.qhead] = nil
	s.qhead++
	if s.qhead == len(s.queue) {
		s.queue, s.qhead = s.queue[:0], 0
	}
	return b
}

func (s *stage) pending() int { return len(s.queue) - s.qhead }

// replica is one model replica's scheduling state: its waiting queue, KV-cache block
// accounting, pipeline stages and the batching policy (Vidur's BaseReplicaScheduler).
type replica struct {
	id     int
	queue  requestDeque // waiting requests (Vidur's _request_queue)
	stages []stage
	// running counts batches in flight; at most one per pipeline stage.
	running int

	numBlocks       int
	allocatedBlocks int
	mapLen          int // requests holding blocks (len of Vidur's allocation map)

	p      *schedParams
	policy policy
	sim    *Simulator

	// Disaggregation (pd.go): the replica's role, and its pool's predictor and memory
	// plan when they differ from the Setup's (nil otherwise).
	role pdRole
	pred *predictor.Predictor
	mem  *MemoryPlan
}

// policy is a replica scheduler's batching rule.
type policy interface {
	// next forms the next batch, or returns nil when there is nothing to run.
	next(r *replica) (*batch, error)
	// batchEnd takes back the requests of a finished batch.
	batchEnd(r *replica, b *batch)
}

// schedParams are the settings every replica of a cluster shares.
type schedParams struct {
	kind             string
	batchSizeCap     int
	blockSize        int
	numBlocks        int
	watermarkBlocks  int
	maxBatchSize     int // min(memory-derived batch size, cap): Orca and FasterTransformer
	maxMicroBatch    int // cap / pipeline stages: vLLM, Sarathi, LightLLM
	maxBlocksPerSeq  int // max_tokens / block size: whole-sequence reservation
	chunkSize        int
	maxTokensInBatch int
	maxWaitingIters  int
}

func (r *replica) memoryUsagePercent() float64 {
	return float64(r.allocatedBlocks) * 100 / float64(r.numBlocks)
}

func (r *replica) canAllocate(n int) bool { return r.numBlocks-r.allocatedBlocks >= n }

func (r *replica) allocate(q *request, n int) error {
	r.allocatedBlocks += n
	if !q.allocated {
		q.allocated = true
		q.blocks = n
		r.mapLen++
	} else {
		q.blocks += n
	}
	if r.allocatedBlocks > r.numBlocks {
		return fmt.Errorf("simulate: replica %d: request %d: allocated %d of %d KV blocks", r.id, q.id, r.allocatedBlocks, r.numBlocks)
	}
	return nil
}

func (r *replica) free(q *request) {
	if !q.allocated {
		return
	}
	r.allocatedBlocks -= q.blocks
	q.allocated = false
	q.blocks = 0
	r.mapLen--
}

// promptBlocks is the number of blocks a request's whole prompt needs.
func (r *replica) promptBlocks(q *request) int {
	return (q.p + r.p.blockSize - 1) / r.p.blockSize
}

// canAllocateRequest is vLLM's admission rule: a new request must leave the watermark
// free after reserving its prompt; a running one needs one free block.
func (r *replica) canAllocateRequest(q *request) bool {
	if !q.allocated {
		return r.numBlocks-r.allocatedBlocks-r.promptBlocks(q) >= r.p.watermarkBlocks
	}
	return r.numBlocks-r.allocatedBlocks >= 1
}

// allocateRequest reserves a new request's prompt, or one more block for a running
// request whose tokens have outgrown its reservation.
func (r *replica) allocateRequest(q *request) error {
	if !q.allocated {
		return r.allocate(q, r.promptBlocks(q))
	}
	need := max(0, q.processed-q.blocks*r.p.blockSize)
	if need > 1 {
		return fmt.Errorf("simulate: replica %d: request %d needs %d tokens beyond its %d blocks; at most 1 can be added per iteration", r.id, q.id, need, q.blocks)
	}
	if need == 0 {
		return nil
	}
	return r.allocate(q, 1)
}

// preempt restarts q (recompute preemption), frees its blocks and puts it at the front
// of the waiting queue.
func (r *replica) preempt(q *request) {
	q.restart(r.sim.setup.VidurCompat)
	r.free(q)
	r.queue.pushFront(q)
	r.sim.restarts++
}

// idle is Vidur's is_empty for one replica.
func (r *replica) idle() bool {
	if r.queue.len() != 0 || r.mapLen != 0 {
		return false
	}
	for i := range r.stages {
		if r.stages[i].pending() != 0 {
			return false
		}
	}
	return true
}
