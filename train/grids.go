package train

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Ranges set the extent of the prediction grids (reference §3.4). They are recorded in
// the manifest; the simulator refuses lookups beyond them.
type Ranges struct {
	MaxTokens int `json:"max_tokens"` // compute ops and kv_cache_save: num_tokens 1..MaxTokens
	MaxBatch  int `json:"max_batch"`  // attn_decode: batch_size 1..MaxBatch
	MaxKV     int `json:"max_kv"`     // attention: kv_cache_size 0..MaxKV ...
	KVStep    int `json:"kv_step"`    // ... step KVStep
	MaxChunk  int `json:"max_chunk"`  // attn_prefill: prefill_chunk_size 1..MaxChunk ...
	// ChunkStep thins the prefill chunk axis beyond fullChunks: every chunk up to it,
	// then every ChunkStep-th. 0 or 1 keeps every chunk (266k points, 2 MB when the
	// chosen kind is smooth and compresses badly); 16 keeps 496 of 4096 chunks, and the
	// simulator interpolates linearly between them (prefill time is close to linear
	// in the chunk over 16 tokens past 256: the chord of c² errs by under 0.1%).
	ChunkStep int `json:"chunk_step,omitempty"`
	// BytesPerOctave is the density of the collectives' log-spaced message-size axis.
	BytesPerOctave int `json:"bytes_per_octave"`
}

// DefaultRanges are Vidur's defaults: 4096 tokens, batch 128, kv 0..4096 step 64, chunk
// 1..4096; collectives 16 sizes per doubling.
func DefaultRanges() Ranges {
	return Ranges{MaxTokens: 4096, MaxBatch: 128, MaxKV: 4096, KVStep: 64, MaxChunk: 4096, BytesPerOctave: 16}
}

// Validate reports a range that cannot make a grid.
func (r Ranges) Validate() error {
	if r.MaxTokens < 1 || r.MaxBatch < 1 || r.MaxKV < 0 || r.KVStep < 1 || r.MaxChunk < 1 || r.BytesPerOctave < 1 || r.ChunkStep < 0 {
		return fmt.Errorf("train: grid ranges %+v: every maximum must be >= 1 (max_kv >= 0)", r)
	}
	return nil
}

// fullChunks is how far the prefill chunk axis keeps every chunk whatever ChunkStep:
// small chunks are common (chunked prefill, short prompts) and the relative error of
// interpolating c² between thinned points grows as 1/c².
const fullChunks = 256

// chunkAxis is the prefill grid's chunk axis: 1..min(max, fullChunks) every chunk, then
// the multiples of step up to max, and max itself.
func chunkAxis(max, step int) []float64 {
	if step <= 1 || max <= fullChunks {
		return intAxis(1, max, 1)
	}
	a := intAxis(1, fullChunks, 1)
	for c := fullChunks + step; c < max; c += step {
		a = append(a, float64(c))
	}
	return append(a, float64(max))
}

func intAxis(from, to, step int) []float64 {
	var a []float64
	for v := from; v <= to; v += step {
		a = append(a, float64(v))
	}
	return a
}

// gridAxes returns the grid's feature names and axes for spec, and toModel, which maps
// one grid point (in axis order) to the model's input features.
func gridAxes(spec OpSpec, t *table, r Ranges) (names []string, axes [][]float64, toModel func(p, dst []float64) []float64) {
	distinct := func(col int) []float64 {
		var v []float64
		for _, x := range t.x {
			v = append(v, x[col])
		}
		slices.Sort(v)
		return slices.Compact(v)
	}
	switch spec.class {
	case classDense, classKVSave:
		return []string{FeatNumTokens}, [][]float64{intAxis(1, r.MaxTokens, 1)},
			func(p, dst []float64) []float64 { return append(dst[:0], p[0]) }
	case classSequences:
		return []string{FeatBatchSize}, [][]float64{intAxis(1, r.MaxBatch, 1)},
			func(p, dst []float64) []float64 { return append(dst[:0], p[0]) }
	case classDecode:
		return []string{FeatBatchSize, FeatKVCacheSize}, [][]float64{intAxis(1, r.MaxBatch, 1), intAxis(0, r.MaxKV, r.KVStep)},
			func(p, dst []float64) []float64 { return append(dst[:0], p[0], p[1]) }
	case classPrefill:
		// The axis is the chunk itself (the simulator's key C = round(sqrt(Σ c²))); the
		// model's feature is its square, as in Vidur.
		return []string{FeatKVCacheSize, FeatChunk}, [][]float64{intAxis(0, r.MaxKV, r.KVStep), chunkAxis(r.MaxChunk, r.ChunkStep)},
			func(p, dst []float64) []float64 { return append(dst[:0], p[0], p[1]*p[1]) }
	case classCollective:
		b := distinct(0)
		lo, hi := b[0], b[len(b)-1]
		var bytes []float64
		octaves := math.Log2(hi / lo)
		n := int(math.Ceil(octaves*float64(r.BytesPerOctave) - 1e-9))
		for i := 0; i <= n; i++ {
			bytes = append(bytes, math.Round(lo*math.Exp2(float64(i)/float64(r.BytesPerOctave))))
		}
		bytes[len(bytes)-1] = hi
		bytes = slices.Compact(bytes)
		return []string{FeatGroupSize, FeatRanksPerNode, FeatBytes}, [][]float64{distinct(1), distinct(2), bytes},
			func(p, dst []float64) []float64 { return append(dst[:0], p[2], p[0], p[1]) }
	case classMoE:
		skew := distinct(2)
		if len(skew) > 16 {
			// Quantiles of the measured skews: the grid follows where measurements are.
			var all []float64
			for _, x := range t.x {
				all = append(all, x[2])
			}
			slices.Sort(all)
			q := make([]float64, 0, 16)
			for i := range 16 {
				q = append(q, all[i*(len(all)-1)/15])
			}
			skew = slices.Compact(q)
		}
		return []string{FeatEP, FeatRoutingSkew, FeatNumTokens}, [][]float64{distinct(1), skew, intAxis(1, r.MaxTokens, 1)},
			func(p, dst []float64) []float64 { return append(dst[:0], p[2], p[0], p[1]) }
	}
	panic("train: unknown operator class")
}

// evalGrid evaluates m on the lattice of axes.
func evalGrid(op string, names []string, axes [][]float64, toModel func(p, dst []float64) []float64, m model) *Grid {
	total := 1
	for _, a := range axes {
		total *= len(a)
	}
	g := &Grid{Op: op, Features: names, Axes: axes, Median: make([]float64, total)}
	fs, isForest := m.(forestSpread)
	if isForest {
		g.P10 = make([]float64, total)
		g.P90 = make([]float64, total)
	}
	point := make([]float64, len(axes))
	var in []float64
	buf := make([]float64, 0, 1024)
	idx := make([]int, len(axes))

	// A forest is constant between consecutive thresholds of every feature, so it is
	// evaluated once per cell of the lattice and copied to the cell's other points: the
	// 266k-point prefill grid needs a few thousand forest walks.
	var cellOf [][]int
	var radix []int64
	var memo map[int64]int
	if isForest {
		thr := fs.Thresholds()
		cellOf = make([][]int, len(axes))
		probe := make([]float64, len(axes))
		for a, ax := range axes {
			// Which model feature does axis a feed? Perturb it and see.
			for i := range probe {
				probe[i] = axes[i][0]
			}
			base := slices.Clone(toModel(probe, nil))
			probe[a] = ax[len(ax)-1] + 1
			moved := toModel(probe, nil)
			feat := -1
			for j := range moved {
				if moved[j] != base[j] {
					feat = j
				}
			}
			cellOf[a] = make([]int, len(ax))
			for i, v := range ax {
				probe[a] = v
				if feat >= 0 {
					// The trees compare float32(x) with their thresholds, so the cell is
					// that of the rounded value (it differs above 2**24).
					v := float64(float32(toModel(probe, nil)[feat]))
					cellOf[a][i] = sort.SearchFloat64s(thr[feat], v)
				}
			}
			radix = append(radix, int64(slices.Max(cellOf[a])+1))
		}
		memo = map[int64]int{}
	}
	for flat := range total {
		key := int64(0)
		for a := range axes {
			point[a] = axes[a][idx[a]]
			if isForest {
				key = key*radix[a] + int64(cellOf[a][idx[a]])
			}
		}
		if isForest {
			if src, ok := memo[key]; ok {
				g.Median[flat], g.P10[flat], g.P90[flat] = g.Median[src], g.P10[src], g.P90[src]
			} else {
				in = toModel(point, in)
				g.Median[flat], g.P10[flat], g.P90[flat] = fs.PredictSpread(in, buf)
				memo[key] = flat
			}
		} else {
			in = toModel(point, in)
			g.Median[flat] = m.Predict(in)
		}
		for a := len(axes) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < len(axes[a]) {
				break
			}
			idx[a] = 0
		}
	}
	return g
}

// zeroGrid is the grid of an absent optional operator.
func zeroGrid(op string, names []string, axes [][]float64) *Grid {
	total := 1
	for _, a := range axes {
		total *= len(a)
	}
	return &Grid{Op: op, Features: names, Axes: axes, Median: make([]float64, total)}
}
