package simulate

import (
	"fmt"
	"math/rand/v2"
)

// Global scheduler kinds, Vidur's registry strings.
const (
	GlobalRoundRobin = "round_robin"
	GlobalRandom     = "random"
	GlobalLOR        = "lor"
)

// globalScheduler assigns requests waiting at the cluster level to replicas. Like
// Vidur's, it sorts its queue by arrival and assigns every queued request at once.
type globalScheduler struct {
	kind    string
	queue   []*request
	counter int        // round_robin
	rng     *rand.Rand // random
	pending []int      // lor: scratch, waiting requests per replica
	pd      *pdState   // split_wise
}

func newGlobalScheduler(kind string, rng *rand.Rand) (*globalScheduler, error) {
	switch kind {
	case GlobalRoundRobin, GlobalLOR, GlobalSplitWise:
	case GlobalRandom:
		if rng == nil {
			return nil, fmt.Errorf("simulate: the random global scheduler needs a random source")
		}
	default:
		return nil, fmt.Errorf("simulate: unknown global scheduler %q (want %s, %s or %s)", kind, GlobalRoundRobin, GlobalRandom, GlobalLOR)
	}
	return &globalScheduler{kind: kind, rng: rng}, nil
}

// schedule empties the queue into the replicas' waiting queues and marks each replica
// that received a request in touched.
func (g *globalScheduler) schedule(replicas []*replica, touched []bool) {
	if len(g.queue) == 0 {
		return
	}
	sortByArrival(g.queue)
	if g.kind == GlobalLOR {
		g.pending = g.pending[:0]
		for _, r := range replicas {
			g.pending = append(g.pending, r.queue.len())
		}
	}
	for i, q := range g.queue {
		var id int
		switch g.kind {
		case GlobalRoundRobin:
			id = g.counter % len(replicas)
			g.counter++
		case GlobalRandom:
			id = g.rng.IntN(len(replicas))
		case GlobalLOR:
			// Least outstanding requests counts waiting requests only; ties go to the
			// lowest replica id.
			for j, n := range g.pending {
				if n < g.pending[id] {
					id = j
				}
			}
			g.pending[id]++
		case GlobalSplitWise:
			id = g.pd.pickPrefill(q)
		}
		q.replica = id
		replicas[id].queue.pushBack(q)
		touched[id] = true
		g.queue[i] = nil
	}
	g.queue = g.queue[:0]
}
