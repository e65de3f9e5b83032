package predictor

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/llmsim/llmsim/train"
)

// GridSource is where trained prediction grids come from; *train.Artifact is one.
type GridSource interface {
	Ops() []string
	Grid(op string) (*train.Grid, error)
}

// WithCollectives returns a GridSource that answers the collective operators
// (all_reduce, all_gather, reduce_scatter, all_to_all, send_recv) from network and every
// other operator from compute: a compute artifact priced on a network whose collectives
// were trained on their own (train.TrainCollectives). Collectives come from network
// alone, those it lacks included, so that one run never mixes two measurements of a
// network; FromGrids times a missing one with its Fallback.
func WithCollectives(compute, network GridSource) GridSource {
	return withCollectives{compute: compute, network: network}
}

type withCollectives struct{ compute, network GridSource }

func isCollective(op string) bool {
	_, ok := ParseCollective(op)
	return ok
}

func (s withCollectives) Ops() []string {
	var ops []string
	for _, op := range s.compute.Ops() {
		if !isCollective(op) {
			ops = append(ops, op)
		}
	}
	for _, op := range s.network.Ops() {
		if isCollective(op) {
			ops = append(ops, op)
		}
	}
	return ops
}

func (s withCollectives) Grid(op string) (*train.Grid, error) {
	if isCollective(op) {
		return s.network.Grid(op)
	}
	return s.compute.Grid(op)
}

// CommSetup says which collectives a replica runs, to pick them out of the profiled
// collective grids (keyed by message bytes, group size and ranks per node).
type CommSetup struct {
	HiddenSize     int // activation width: a message of n tokens is n·HiddenSize·2 bytes (fp16)
	TensorParallel int // all-reduce group size; 1: no all-reduce
	PipelineStages int // > 1: send/recv between stages
	GPUsPerNode    int // GPUs per node, to tell single-node groups from multi-node ones
	// Fallback times the collectives the artifact holds no grid for (a roofline artifact
	// has none); nil makes a missing all_reduce or send_recv grid an error.
	Fallback CommModel
	// NoDenseMLP says that every layer of the model is MoE, so the artifact may lack the
	// dense mlp_* operators (they are then never looked up).
	NoDenseMLP bool
	// TPOnly makes WithComm replace the TP all-reduce only and keep the tables' PP
	// send/recv: SimAI's results hold all-reduces alone, as the fork models TP only.
	TPOnly bool
}

// FromGrids resamples an artifact's grids onto the dense lattices the predictor reads
// (tokens 1..MaxTokens, decode batch × kv, prefill kv × chunk) once, so that a lookup
// during simulation is an index. A grid whose axes are those lattices (what train
// writes) is copied exactly; a coarser grid is interpolated linearly between its
// points and held constant beyond its ends. source names the grids in error messages.
func FromGrids(src GridSource, source string, limits Limits, comm CommSetup) (*Tables, error) {
	if limits.KVGranularity <= 0 || limits.MaxTokens <= 0 || limits.MaxBatchSize <= 0 || limits.MaxChunk <= 0 || limits.MaxKV < 0 {
		return nil, fmt.Errorf("predictor: %s: grid limits %+v must be positive", source, limits)
	}
	t := &Tables{KVStep: limits.KVGranularity, Limits: limits, Source: source}
	has := func(op string) bool { return slices.Contains(src.Ops(), op) }
	load := func(op string) (*grid, error) {
		g, err := src.Grid(op)
		if err != nil {
			return nil, fmt.Errorf("predictor: %s: %w", source, err)
		}
		return newGrid(source, g)
	}
	for op := TokenOp(0); op < numTokenOps; op++ {
		name := op.String()
		switch op {
		case AllReduce, SendRecv:
			continue
		case MLPUpProj, MLPDownProj, MLPAct:
			if comm.NoDenseMLP && !has(name) {
				t.Token[op] = make([]float64, 2)
				continue
			}
		case AttnKVCacheSave:
			if !has(name) {
				// Profiles without a KV-cache-save column make Vidur learn zeros.
				t.Token[op] = make([]float64, 2)
				continue
			}
		}
		g, err := load(name)
		if err != nil {
			return nil, err
		}
		if t.Token[op], err = g.tokens(limits.MaxTokens, nil, func(n int) float64 { return float64(n) }, "num_tokens"); err != nil {
			return nil, err
		}
	}
	collective := func(op TokenOp, group, ranksPerNode int) error {
		if !has(op.String()) && comm.Fallback != nil {
			c, kind := CollAllReduce, GroupTP
			if op == SendRecv {
				c, kind = CollSendRecv, GroupPP
			}
			tab, _, err := commTokenTable(comm.Fallback, c, Group{Kind: kind, Size: group, RanksPerNode: ranksPerNode}, comm.HiddenSize, limits.MaxTokens)
			if err != nil {
				return fmt.Errorf("predictor: %s: %w", source, err)
			}
			t.Token[op] = tab
			return nil
		}
		g, err := load(op.String())
		if err != nil {
			return err
		}
		fixed := map[string]float64{"group_size": float64(group), "ranks_per_node": float64(ranksPerNode)}
		bytes := func(n int) float64 { return float64(n) * float64(comm.HiddenSize) * 2 }
		if t.Token[op], err = g.tokens(limits.MaxTokens, fixed, bytes, "bytes"); err != nil {
			return err
		}
		// Past the largest profiled message a collective is bandwidth-bound: extrapolate
		// at that message's bandwidth (as the profiled comm model does) rather than hold
		// its time, which priced a 256 MiB all-reduce as a 64 MiB one.
		if i := slices.Index(g.g.Features, "bytes"); i >= 0 {
			axis := g.g.Axes[i]
			bmax := axis[len(axis)-1]
			past := 0
			for n := range t.Token[op] {
				if b := bytes(n); b > bmax {
					t.Token[op][n] *= b / bmax
					past++
				}
			}
			if past > 0 {
				t.OutOfDomain = append(t.OutOfDomain, fmt.Sprintf("%s (group %d, %d per node): messages above the largest profiled one (%.0f bytes, %d tokens of %d) are extrapolated at its bandwidth",
					op, group, ranksPerNode, bmax, past, len(t.Token[op])-1))
			}
		}
		return nil
	}
	if comm.TensorParallel > 1 {
		if err := collective(AllReduce, comm.TensorParallel, min(comm.TensorParallel, max(comm.GPUsPerNode, 1))); err != nil {
			return nil, err
		}
	}
	if comm.PipelineStages > 1 {
		// Vidur's rule: stages on different nodes when the replica spans nodes.
		ranks := 2
		if comm.GPUsPerNode > 0 && comm.TensorParallel*comm.PipelineStages > comm.GPUsPerNode {
			ranks = 1
		}
		if err := collective(SendRecv, 2, ranks); err != nil {
			return nil, err
		}
	}

	if a2a := CollAllToAll.String(); has(a2a) {
		g, err := load(a2a)
		if err != nil {
			return nil, err
		}
		if t.AllToAll, err = profiledCommFromGrid(CollAllToAll, g); err != nil {
			return nil, err
		}
	}

	dec, err := load(OpAttnDecode)
	if err != nil {
		return nil, err
	}
	t.DecodeRows, t.DecodeKVCols = limits.MaxBatchSize, limits.MaxKV/limits.KVGranularity+1
	t.Decode = make([]float64, 0, t.DecodeRows*t.DecodeKVCols)
	key := map[string]float64{}
	for b := 1; b <= t.DecodeRows; b++ {
		for c := 0; c < t.DecodeKVCols; c++ {
			key["batch_size"], key["kv_cache_size"] = float64(b), float64(c*limits.KVGranularity)
			v, err := dec.at(key)
			if err != nil {
				return nil, err
			}
			t.Decode = append(t.Decode, v)
		}
	}
	pre, err := load(OpAttnPrefill)
	if err != nil {
		return nil, err
	}
	t.PrefillKVRows, t.PrefillChunks = limits.MaxKV/limits.KVGranularity+1, limits.MaxChunk
	t.Prefill = make([]float64, 0, t.PrefillKVRows*t.PrefillChunks)
	squared := slices.Contains(pre.g.Features, "prefill_chunk_size_squared")
	clear(key)
	for r := 0; r < t.PrefillKVRows; r++ {
		for c := 1; c <= t.PrefillChunks; c++ {
			key["kv_cache_size"] = float64(r * limits.KVGranularity)
			if squared {
				key["prefill_chunk_size_squared"] = float64(c * c)
			} else {
				key["prefill_chunk_size"] = float64(c)
			}
			v, err := pre.at(key)
			if err != nil {
				return nil, err
			}
			t.Prefill = append(t.Prefill, v)
		}
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// grid is a train.Grid checked for shape, with multilinear evaluation.
type grid struct {
	source string
	g      *train.Grid
	stride []int
}

func newGrid(source string, g *train.Grid) (*grid, error) {
	if len(g.Features) == 0 || len(g.Features) != len(g.Axes) {
		return nil, fmt.Errorf("predictor: %s: grid %s has %d features and %d axes", source, g.Op, len(g.Features), len(g.Axes))
	}
	stride := make([]int, len(g.Axes))
	n := 1
	for i := len(g.Axes) - 1; i >= 0; i-- {
		a := g.Axes[i]
		if len(a) == 0 || !sort.Float64sAreSorted(a) {
			return nil, fmt.Errorf("predictor: %s: grid %s: axis %s is empty or not ascending", source, g.Op, g.Features[i])
		}
		stride[i] = n
		n *= len(a)
	}
	if len(g.Median) != n {
		return nil, fmt.Errorf("predictor: %s: grid %s has %d values for %d lattice points", source, g.Op, len(g.Median), n)
	}
	return &grid{source: source, g: g, stride: stride}, nil
}

// tokens evaluates the grid at key(n) on the axis named by feature for n = 1..maxTokens,
// with the other features fixed.
func (g *grid) tokens(maxTokens int, fixed map[string]float64, key func(int) float64, feature string) ([]float64, error) {
	v := make([]float64, maxTokens+1)
	p := map[string]float64{}
	for k, x := range fixed {
		p[k] = x
	}
	for n := 1; n <= maxTokens; n++ {
		p[feature] = key(n)
		x, err := g.at(p)
		if err != nil {
			return nil, err
		}
		v[n] = x
	}
	return v, nil
}

// at evaluates the grid at the point p (feature → value) by multilinear interpolation,
// clamping to the axes' ends. Features held fixed (group size, ranks per node) must be
// axis points: interpolating between TP degrees would invent a measurement.
func (g *grid) at(p map[string]float64) (float64, error) {
	idx := 0
	type corner struct {
		off int
		w   float64
	}
	corners := []corner{{0, 1}}
	for i, f := range g.g.Features {
		x, ok := p[f]
		if !ok {
			return 0, fmt.Errorf("predictor: %s: grid %s needs feature %s, which the simulator does not provide for it", g.source, g.g.Op, f)
		}
		a := g.g.Axes[i]
		j := sort.SearchFloat64s(a, x)
		switch {
		case j < len(a) && a[j] == x:
			idx += j * g.stride[i]
		case f == "group_size" || f == "ranks_per_node":
			return 0, fmt.Errorf("predictor: %s: grid %s has no %s = %g (it has %v)", g.source, g.g.Op, f, x, a)
		case j == 0:
			idx += 0
		case j == len(a):
			idx += (len(a) - 1) * g.stride[i]
		default:
			w := (x - a[j-1]) / (a[j] - a[j-1])
			idx += (j - 1) * g.stride[i]
			next := make([]corner, 0, 2*len(corners))
			for _, c := range corners {
				next = append(next, corner{c.off, c.w * (1 - w)}, corner{c.off + g.stride[i], c.w * w})
			}
			corners = next
		}
	}
	if len(corners) == 1 {
		return g.g.Median[idx], nil
	}
	var v float64
	for _, c := range corners {
		v += c.w * g.g.Median[idx+c.off]
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("predictor: %s: grid %s is NaN near %v", g.source, g.g.Op, p)
	}
	return v, nil
}
