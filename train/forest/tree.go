package forest

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Node is one node of a tree. Leaves have Feature == -1. Every node, internal or not,
// carries the weighted mean of the training targets that reached it (Value) and the
// number of distinct training rows that reached it (N), so that a tree grown deep can be
// read as any shallower tree: see Tree.predictLimited.
type Node struct {
	Feature   int32   // split feature, -1 for a leaf
	Left      int32   // index of the child for x[Feature] <= Threshold
	Right     int32   // index of the child for x[Feature] > Threshold
	N         int32   // distinct training rows in the node
	Threshold float64 // midpoint between the two values the split separates
	Value     float64 // weighted mean target of the node
}

// Tree is one regression tree as a flat slice of nodes; Nodes[0] is the root.
type Tree struct {
	Nodes []Node
}

// Predict walks the tree to a leaf.
func (t *Tree) Predict(x []float64) float64 {
	nodes := t.Nodes
	i := int32(0)
	for {
		n := &nodes[i]
		if n.Feature < 0 {
			return n.Value
		}
		if x[n.Feature] <= n.Threshold {
			i = n.Left
		} else {
			i = n.Right
		}
	}
}

// predictLimited answers as the tree grown with max_depth maxDepth (0: unlimited) and
// min_samples_split minSplit would: those limits only stop growth, they never change a
// split that is made, so the smaller tree is a truncation of the bigger one.
func (t *Tree) predictLimited(x []float64, maxDepth, minSplit int) float64 {
	nodes := t.Nodes
	i, depth := int32(0), 0
	for {
		n := &nodes[i]
		if n.Feature < 0 || (maxDepth > 0 && depth >= maxDepth) || int(n.N) < minSplit {
			return n.Value
		}
		if x[n.Feature] <= n.Threshold {
			i = n.Left
		} else {
			i = n.Right
		}
		depth++
	}
}

// Matrix is a training table held column by column, with each column's row order
// sorted once so that no tree ever sorts.
type Matrix struct {
	cols  [][]float64 // cols[f][i] is feature f of row i
	order [][]int32   // order[f] lists rows by ascending cols[f] (ties by row index)
	n     int
}

// NewMatrix copies rows (n rows of equal width) into a Matrix. NaN and infinite values
// are refused, since no threshold can place them.
func NewMatrix(rows [][]float64) (*Matrix, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("forest: no rows")
	}
	nf := len(rows[0])
	if nf == 0 {
		return nil, fmt.Errorf("forest: rows have no features")
	}
	if len(rows) > math.MaxInt32 {
		return nil, fmt.Errorf("forest: %d rows is more than a tree can index", len(rows))
	}
	m := &Matrix{cols: make([][]float64, nf), order: make([][]int32, nf), n: len(rows)}
	for f := range nf {
		m.cols[f] = make([]float64, len(rows))
	}
	for i, r := range rows {
		if len(r) != nf {
			return nil, fmt.Errorf("forest: row %d has %d features, row 0 has %d", i, len(r), nf)
		}
		for f, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("forest: row %d feature %d is %v", i, f, v)
			}
			m.cols[f][i] = v
		}
	}
	for f := range nf {
		ord := make([]int32, len(rows))
		for i := range ord {
			ord[i] = int32(i)
		}
		col := m.cols[f]
		slices.SortStableFunc(ord, func(a, b int32) int {
			switch {
			case col[a] < col[b]:
				return -1
			case col[a] > col[b]:
				return 1
			}
			return 0
		})
		m.order[f] = ord
	}
	return m, nil
}

// Rows is the number of rows.
func (m *Matrix) Rows() int { return m.n }

// Features is the number of features.
func (m *Matrix) Features() int { return len(m.cols) }

// Row copies row i into dst (grown as needed) and returns it.
func (m *Matrix) Row(i int, dst []float64) []float64 {
	dst = dst[:0]
	for _, c := range m.cols {
		dst = append(dst, c[i])
	}
	return dst
}

// treeParams are the knobs that shape the growth of one tree.
type treeParams struct {
	maxDepth    int // 0: unlimited
	minSplit    int
	minLeaf     int
	maxFeatures int // features tried per node, in a random order
	bootstrap   bool
}

// builder holds the scratch space of one tree's growth; a worker reuses it across trees.
type builder struct {
	m     *Matrix
	y     []float64
	p     treeParams
	w     []int32   // bootstrap weight per matrix row (0: not in this tree's sample)
	idx   [][]int32 // per feature: the sample's rows, sorted, partitioned node by node
	left  []bool    // per matrix row: goes left at the split being applied
	tmp   []int32
	feats []int
	nodes []Node
	salt  uint64 // this tree's seed of the per-node feature orders (nodeKey)
}

func newBuilder(m *Matrix, y []float64, p treeParams) *builder {
	return &builder{
		m: m, y: y, p: p,
		w:     make([]int32, m.n),
		idx:   make([][]int32, len(m.cols)),
		left:  make([]bool, m.n),
		feats: make([]int, len(m.cols)),
	}
}

// grow builds one tree on the rows listed in train (all matrix rows when nil), drawing
// its bootstrap sample from rng. After it returns, b.w holds the bootstrap weights, so a
// caller can tell which rows were out of the bag.
func (b *builder) grow(train []int32, rng *rand.Rand) Tree {
	clear(b.w)
	n := b.m.n
	if train != nil {
		n = len(train)
	}
	if b.p.bootstrap {
		for range n {
			r := rng.IntN(n)
			if train != nil {
				b.w[train[r]]++
			} else {
				b.w[r]++
			}
		}
	} else if train != nil {
		for _, r := range train {
			b.w[r] = 1
		}
	} else {
		for i := range b.w {
			b.w[i] = 1
		}
	}
	for f, ord := range b.m.order {
		dst := b.idx[f][:0]
		for _, r := range ord {
			if b.w[r] > 0 {
				dst = append(dst, r)
			}
		}
		b.idx[f] = dst
	}
	cnt := len(b.idx[0])
	if cap(b.tmp) < cnt {
		b.tmp = make([]int32, cnt)
	}
	// Drawn after the bootstrap sample, so the sample is the same as without it.
	b.salt = rng.Uint64()
	b.nodes = make([]Node, 0, 2*cnt)
	b.build(0, cnt, 0, b.salt)
	return Tree{Nodes: slices.Clip(b.nodes)}
}

// build appends the subtree over positions [lo, hi) of every b.idx[f] and returns its
// root index. Children are built depth first, left before right. key is the node's
// random key (see nodeKey).
func (b *builder) build(lo, hi, depth int, key uint64) int32 {
	id := int32(len(b.nodes))
	rows := b.idx[0][lo:hi]
	var sw, swy float64
	for _, r := range rows {
		w := float64(b.w[r])
		sw += w
		swy += w * b.y[r]
	}
	mean := swy / sw
	var sse float64
	for _, r := range rows {
		d := b.y[r] - mean
		sse += float64(b.w[r]) * d * d
	}
	b.nodes = append(b.nodes, Node{Feature: -1, N: int32(hi - lo), Value: mean})
	n := hi - lo
	if (b.p.maxDepth > 0 && depth >= b.p.maxDepth) || n < b.p.minSplit || n < 2*b.p.minLeaf ||
		sse/sw <= epsilon {
		return id
	}
	feat, pos, thr, ok := b.bestSplit(lo, hi, sw, swy, key)
	if !ok {
		return id
	}
	// Mark the rows going left, then stably partition every feature's range.
	ord := b.idx[feat]
	for _, r := range ord[lo:pos] {
		b.left[r] = true
	}
	for _, r := range ord[pos:hi] {
		b.left[r] = false
	}
	for f := range b.idx {
		if f == feat {
			continue
		}
		seg := b.idx[f][lo:hi]
		l, t := 0, b.tmp[:0]
		for _, r := range seg {
			if b.left[r] {
				seg[l] = r
				l++
			} else {
				t = append(t, r)
			}
		}
		copy(seg[l:], t)
	}
	b.nodes[id].Feature = int32(feat)
	b.nodes[id].Threshold = thr
	l := b.build(lo, pos, depth+1, nodeKey(key, 0))
	r := b.build(pos, hi, depth+1, nodeKey(key, 1))
	b.nodes[id].Left, b.nodes[id].Right = l, r
	return id
}

// epsilon is sklearn's test for a pure node (impurity <= machine epsilon).
const epsilon = 2.220446049250313e-16

// nodeKey is the random key of a node's child (side 0: left, 1: right), a splitmix64
// step of the parent's key; the root's key is the tree's salt. A node's feature order
// depends only on its path from the root, not on how many nodes were grown before it,
// so a tree grown deeper has, at every node it shares with a shallower tree of the same
// seed, the same split: CrossPredict relies on that to read one deep tree as every
// shallower one.
func nodeKey(parent uint64, side uint64) uint64 {
	return splitmix64(parent*2 + side)
}

func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// bestSplit scans the candidate features of the node [lo, hi) and returns the feature,
// the first position of the right child in that feature's order, and the threshold.
//
// Candidates are visited in a random order drawn from key, even when every feature is
// tried, as sklearn's BestSplitter does: only a strictly better split replaces the best
// so far, so when two features separate the node's rows identically (common on the
// lattice-like attention tables) the first visited wins, and a forest splits on either
// feature about equally often instead of always on feature 0. Where the two features
// disagree between measured points, that is what makes the forest interpolate.
func (b *builder) bestSplit(lo, hi int, sw, swy float64, key uint64) (feat, pos int, thr float64, ok bool) {
	nf := len(b.idx)
	for i := range b.feats {
		b.feats[i] = i
	}
	best := math.Inf(-1)
	tried := 0
	state := key
	for k := 0; k < nf && tried < b.p.maxFeatures; k++ {
		// Fisher–Yates draw of the next candidate; constant features do not count
		// towards maxFeatures, as in sklearn.
		if nf-k > 1 {
			state = splitmix64(state)
			hi64, _ := bits.Mul64(state, uint64(nf-k))
			j := k + int(hi64)
			b.feats[k], b.feats[j] = b.feats[j], b.feats[k]
		}
		f := b.feats[k]
		col := b.m.cols[f]
		ord := b.idx[f]
		if col[ord[lo]] >= col[ord[hi-1]] {
			continue // constant in this node
		}
		tried++
		var wl, sl float64
		minLeaf := b.p.minLeaf
		for p := lo; p < hi-1; p++ {
			r := ord[p]
			w := float64(b.w[r])
			wl += w
			sl += w * b.y[r]
			xv, xn := col[r], col[ord[p+1]]
			if xv >= xn {
				continue // no threshold between equal values
			}
			if p+1-lo < minLeaf || hi-(p+1) < minLeaf {
				continue
			}
			wr := sw - wl
			sr := swy - sl
			proxy := sl*sl/wl + sr*sr/wr
			if proxy > best {
				best = proxy
				feat, pos = f, p+1
				thr = xv/2 + xn/2
				if thr >= xn || math.IsInf(thr, 0) {
					thr = xv
				}
				ok = true
			}
		}
	}
	return feat, pos, thr, ok
}
