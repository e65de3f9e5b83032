package simulate

// eventKind is what an event does when it runs. Request arrivals are not heap events:
// they come from the workload cursor (see Simulator.Run).
type eventKind uint8

const (
	evGlobalSchedule  eventKind = iota + 1 // assign queued requests to replicas
	evReplicaSchedule                      // form batches on a replica
	evStageArrival                         // a batch reaches a pipeline stage's queue
	evStageSchedule                        // a stage starts the next queued batch if idle
	evStageEnd                             // a stage finishes a batch
	evBatchEnd                             // a batch leaves the last stage
	evKVArrival                            // a KV cache reaches its decode replica (pd.go)
)

func (k eventKind) String() string {
	switch k {
	case evGlobalSchedule:
		return "GlobalSchedule"
	case evReplicaSchedule:
		return "ReplicaSchedule"
	case evStageArrival:
		return "BatchStageArrival"
	case evStageSchedule:
		return "ReplicaStageSchedule"
	case evStageEnd:
		return "BatchStageEnd"
	case evBatchEnd:
		return "BatchEnd"
	case evKVArrival:
		return "KVArrival"
	}
	return "RequestArrival"
}

// event is a value in the heap; it carries its payload inline so that pushing and
// popping allocate nothing.
type event struct {
	time    float64
	seq     uint64 // creation order: ties in time run first-created first, as in Vidur
	kind    eventKind
	replica int32
	stage   int32
	batch   *batch
}

func (a *event) before(b *event) bool {
	return a.time < b.time || (a.time == b.time && a.seq < b.seq)
}

// eventHeap is a binary min-heap of events by (time, seq), kept in a value slice.
type eventHeap []event

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(&s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = event{}
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].before(&s[l]) {
			m = r
		}
		if !s[m].before(&s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
