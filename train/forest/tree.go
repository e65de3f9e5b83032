package forest

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Node is one node of a tree. Leaves have Feature == -1. Every node, internal or not,
// carries the weighted mean of the training targets that reached it (Value) and the
// number of distinct training rows that reached it (N), so that a tree can be read as
// if grown with tighter limits: see Tree.predictLimited for when that is exact.
type Node struct {
	Feature   int32   // split feature, -1 for a leaf
	Left      int32   // index of the child for x[Feature] <= Threshold
	Right     int32   // index of the child for x[Feature] > Threshold
	N         int32   // distinct training rows in the node
	Threshold float64 // midpoint between the two values the split separates
	Value     float64 // weighted mean target of the node
}

// Tree is one regression tree as a flat slice of nodes in depth-first order, left child
// first; Nodes[0] is the root.
type Tree struct {
	Nodes []Node
}

// Predict walks the tree to a leaf. Features are compared in single precision, as
// sklearn converts X to float32 before fitting and before predicting.
func (t *Tree) Predict(x []float64) float64 {
	nodes := t.Nodes
	i := int32(0)
	for {
		n := &nodes[i]
		if n.Feature < 0 {
			return n.Value
		}
		if float64(float32(x[n.Feature])) <= n.Threshold {
			i = n.Left
		} else {
			i = n.Right
		}
	}
}

// predictLimited answers as the tree grown with max_depth maxDepth (0: unlimited) and
// min_samples_split minSplit would. Those limits only stop growth, so for a one-feature
// table (whose feature draws cannot change a split) the smaller tree is a truncation of
// the bigger one.
func (t *Tree) predictLimited(x []float64, maxDepth, minSplit int) float64 {
	nodes := t.Nodes
	i, depth := int32(0), 0
	for {
		n := &nodes[i]
		if n.Feature < 0 || (maxDepth > 0 && depth >= maxDepth) || int(n.N) < minSplit {
			return n.Value
		}
		if float64(float32(x[n.Feature])) <= n.Threshold {
			i = n.Left
		} else {
			i = n.Right
		}
		depth++
	}
}

// Matrix is a training table: the features of every row in double precision (for
// Row) and in single precision, row by row (what the trees split on).
type Matrix struct {
	cols [][]float64 // cols[f][i] is feature f of row i
	x32  []float32   // x32[i*nf+f] is float32(cols[f][i])
	n    int
}

// NewMatrix copies rows (n rows of equal width) into a Matrix. NaN and infinite values
// are refused, since no threshold can place them, and so are values beyond float32's
// range, which the trees could not tell apart.
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
	m := &Matrix{cols: make([][]float64, nf), x32: make([]float32, len(rows)*nf), n: len(rows)}
	for f := range nf {
		m.cols[f] = make([]float64, len(rows))
	}
	for i, r := range rows {
		if len(r) != nf {
			return nil, fmt.Errorf("forest: row %d has %d features, row 0 has %d", i, len(r), nf)
		}
		for f, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return nil, fmt.Errorf("forest: row %d feature %d is %v", i, f, v)
			}
			m.cols[f][i] = v
			m.x32[i*nf+f] = float32(v)
		}
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
	maxFeatures int // features drawn per node
	bootstrap   bool
}

// epsilon is sklearn's test for a pure node (impurity <= machine epsilon).
const epsilon = 2.220446049250313e-16

// featureThreshold is sklearn's FEATURE_THRESHOLD: float32 values closer than this are
// one value.
const featureThreshold float32 = 1e-7

// builder grows trees the way sklearn's DepthFirstTreeBuilder, BestSplitter and MSE
// criterion do, step for step and in the same floating-point order: the rows of a node
// are a range of the samples array, sorted in place by each candidate feature with
// sklearn's introsort and partitioned in place after the split. Keeping that order is
// what makes the sums, and so the choice between splits that tie up to rounding, the
// same as sklearn's. A worker reuses one builder across trees.
type builder struct {
	m        *Matrix
	y        []float64
	p        treeParams
	nf       int
	w        []float64 // bootstrap weight per matrix row (0: not in this tree's sample)
	samples  []int32   // the sample's rows; a node owns a range of it
	xf       []float32 // the candidate feature's values, aligned with samples
	features []int32   // sklearn's feature permutation, kept across nodes
	consts   []int32   // features found constant, in the order found
	stack    []stackRecord
	nodes    []Node
	randR    uint32 // the splitter's xorshift state

	// The criterion of the current node [start, end) and split position pos.
	start, end, pos      int
	sumTotal, sqSumTotal float64
	wNode, wSamples      float64
	sumLeft, sumRight    float64
	wLeft, wRight        float64
	counts               []int32 // bootstrap draws per position of the training rows
	trainRows            []int32 // scratch: the training rows when train is nil
}

type stackRecord struct {
	start, end, depth int
	parent            int32
	isLeft            bool
	impurity          float64
	nConstant         int
}

type split struct {
	feature           int32
	pos               int
	threshold         float64
	improvement       float64
	impLeft, impRight float64
}

func newBuilder(m *Matrix, y []float64, p treeParams) *builder {
	nf := len(m.cols)
	return &builder{
		m: m, y: y, p: p, nf: nf,
		w:        make([]float64, m.n),
		xf:       make([]float32, m.n),
		features: make([]int32, nf),
		consts:   make([]int32, nf),
	}
}

// grow builds the tree sklearn's DecisionTreeRegressor(random_state=seed) builds inside
// a forest on the rows listed in train (all matrix rows when nil, in ascending order);
// randR is splitterState(seed), which callers growing many trees of one seed compute
// once. After it returns, b.w holds the bootstrap weights, so a caller can tell which
// rows were out of the bag.
func (b *builder) grow(train []int32, seed, randR uint32) Tree {
	clear(b.w)
	if train == nil {
		if len(b.trainRows) != b.m.n {
			b.trainRows = make([]int32, b.m.n)
			for i := range b.trainRows {
				b.trainRows[i] = int32(i)
			}
		}
		train = b.trainRows
	}
	n := len(train)
	if b.p.bootstrap {
		if cap(b.counts) < n {
			b.counts = make([]int32, n)
		}
		counts := b.counts[:n]
		clear(counts)
		rs := newRandomState(seed)
		for range n {
			counts[rs.randInt(uint64(n))]++
		}
		for i, r := range train {
			b.w[r] = float64(counts[i])
		}
	} else {
		for _, r := range train {
			b.w[r] = 1
		}
	}
	// Splitter.init: the rows with a non-zero weight, in order, and the total weight.
	b.samples = b.samples[:0]
	b.wSamples = 0
	for _, r := range train {
		if b.w[r] != 0 {
			b.samples = append(b.samples, r)
		}
		b.wSamples += b.w[r]
	}
	for f := range b.features {
		b.features[f] = int32(f)
	}
	b.randR = randR
	// b.nodes is scratch reused across trees; the tree keeps an exact-size copy, so a
	// forest of shallow trees on a long table does not hold 2n nodes of room per tree.
	b.nodes = b.nodes[:0]
	b.build()
	return Tree{Nodes: slices.Clone(b.nodes)}
}

// build is DepthFirstTreeBuilder.build.
func (b *builder) build() {
	b.stack = append(b.stack[:0], stackRecord{start: 0, end: len(b.samples), parent: -1, impurity: math.Inf(1)})
	first := true
	for len(b.stack) > 0 {
		rec := b.stack[len(b.stack)-1]
		b.stack = b.stack[:len(b.stack)-1]
		start, end := rec.start, rec.end
		n := end - start
		b.criterionInit(start, end)
		isLeaf := (b.p.maxDepth > 0 && rec.depth >= b.p.maxDepth) || n < b.p.minSplit || n < 2*b.p.minLeaf
		impurity := rec.impurity
		if first {
			impurity = b.nodeImpurity()
			first = false
		}
		isLeaf = isLeaf || impurity <= epsilon
		nConst := rec.nConstant
		var s split
		if !isLeaf {
			s = b.nodeSplit(impurity, &nConst)
			isLeaf = s.pos >= end || s.improvement+epsilon < 0
		}
		id := int32(len(b.nodes))
		node := Node{Feature: -1, N: int32(n), Value: b.sumTotal / b.wNode}
		if !isLeaf {
			node.Feature = s.feature
			node.Threshold = s.threshold
		}
		b.nodes = append(b.nodes, node)
		if rec.parent >= 0 {
			if rec.isLeft {
				b.nodes[rec.parent].Left = id
			} else {
				b.nodes[rec.parent].Right = id
			}
		}
		if !isLeaf {
			b.stack = append(b.stack,
				stackRecord{start: s.pos, end: end, depth: rec.depth + 1, parent: id, impurity: s.impRight, nConstant: nConst},
				stackRecord{start: start, end: s.pos, depth: rec.depth + 1, parent: id, isLeft: true, impurity: s.impLeft, nConstant: nConst})
		}
	}
}

// nodeSplit is BestSplitter.node_split: candidate features are drawn without
// replacement (Fisher–Yates over b.features, skipping features known to be constant)
// until maxFeatures non-constant ones were tried; only a strictly better proxy
// improvement replaces the best split, so ties go to the feature drawn first.
func (b *builder) nodeSplit(impurity float64, nConstant *int) split {
	start, end := b.start, b.end
	best := split{pos: end, improvement: math.Inf(-1)}
	bestProxy := math.Inf(-1)
	features := b.features
	fI := b.nf
	nVisited, nFound, nDrawn := 0, 0, 0
	nKnown := *nConstant
	nTotal := nKnown
	xf := b.xf
	samples := b.samples
	nf := b.nf
	for fI > nTotal && (nVisited < b.p.maxFeatures || nVisited <= nFound+nDrawn) {
		nVisited++
		fJ := randIntRange(nDrawn, fI-nFound, &b.randR)
		if fJ < nKnown {
			features[nDrawn], features[fJ] = features[fJ], features[nDrawn]
			nDrawn++
			continue
		}
		fJ += nFound
		feat := features[fJ]
		for p := start; p < end; p++ {
			xf[p] = b.m.x32[int(samples[p])*nf+int(feat)]
		}
		sortSamples(xf[start:end], samples[start:end])
		if xf[end-1] <= xf[start]+featureThreshold {
			features[fJ], features[nTotal] = features[nTotal], features[fJ]
			nFound++
			nTotal++
			continue
		}
		fI--
		features[fI], features[fJ] = features[fJ], features[fI]
		b.criterionReset()
		p := start
		for p < end {
			for p+1 < end && xf[p+1] <= xf[p]+featureThreshold {
				p++
			}
			p++
			if p >= end {
				continue
			}
			if p-start < b.p.minLeaf || end-p < b.p.minLeaf {
				continue
			}
			b.criterionUpdate(p)
			proxy := b.sumLeft*b.sumLeft/b.wLeft + b.sumRight*b.sumRight/b.wRight
			if proxy > bestProxy {
				bestProxy = proxy
				thr := float64(xf[p-1])/2.0 + float64(xf[p])/2.0
				if thr == float64(xf[p]) || math.IsInf(thr, 0) {
					thr = float64(xf[p-1])
				}
				best.feature, best.pos, best.threshold = feat, p, thr
			}
		}
	}
	if best.pos < end {
		b.partition(best)
		b.criterionReset()
		b.criterionUpdate(best.pos)
		best.impLeft, best.impRight = b.childrenImpurity()
		// float64() keeps the compiler from fusing a product into a multiply-add
		// (allowed on arm64), which would round otherwise than sklearn's build.
		best.improvement = (b.wNode / b.wSamples) *
			(impurity - float64(b.wRight/b.wNode*best.impRight) - float64(b.wLeft/b.wNode*best.impLeft))
	}
	// The known constants keep their order for the children and siblings; the newly
	// found ones are appended to them.
	copy(features[:nKnown], b.consts[:nKnown])
	copy(b.consts[nKnown:nKnown+nFound], features[nKnown:nKnown+nFound])
	*nConstant = nTotal
	return best
}

// partition moves the rows of [start, end) with x <= threshold before the others, as
// sklearn's DensePartitioner.partition_samples_final does: a row going right is swapped
// with the last unexamined row.
func (b *builder) partition(s split) {
	samples := b.samples
	p, pe := b.start, b.end
	for p < pe {
		if float64(b.m.x32[int(samples[p])*b.nf+int(s.feature)]) <= s.threshold {
			p++
		} else {
			pe--
			samples[p], samples[pe] = samples[pe], samples[p]
		}
	}
}

// criterionInit is RegressionCriterion.init over the node [start, end).
func (b *builder) criterionInit(start, end int) {
	b.start, b.end = start, end
	var s, sq, w float64
	for _, r := range b.samples[start:end] {
		wi := b.w[r]
		yi := b.y[r]
		wy := float64(wi * yi)
		s += wy
		sq += float64(wy * yi)
		w += wi
	}
	b.sumTotal, b.sqSumTotal, b.wNode = s, sq, w
	b.criterionReset()
}

func (b *builder) criterionReset() {
	b.pos = b.start
	b.wLeft, b.wRight = 0, b.wNode
	b.sumLeft, b.sumRight = 0, b.sumTotal
}

// criterionUpdate moves the split position to newPos, summing the rows that change side
// from whichever end is closer, as sklearn does.
func (b *builder) criterionUpdate(newPos int) {
	if newPos-b.pos <= b.end-newPos {
		for _, r := range b.samples[b.pos:newPos] {
			wi := b.w[r]
			b.sumLeft += float64(wi * b.y[r])
			b.wLeft += wi
		}
	} else {
		// reverse_reset, then walk back from the end.
		b.wLeft, b.wRight = b.wNode, 0
		b.sumLeft, b.sumRight = b.sumTotal, 0
		for p := b.end - 1; p >= newPos; p-- {
			r := b.samples[p]
			wi := b.w[r]
			b.sumLeft -= float64(wi * b.y[r])
			b.wLeft -= wi
		}
	}
	b.wRight = b.wNode - b.wLeft
	b.sumRight = b.sumTotal - b.sumLeft
	b.pos = newPos
}

func (b *builder) nodeImpurity() float64 {
	m := b.sumTotal / b.wNode
	return b.sqSumTotal/b.wNode - float64(m*m)
}

func (b *builder) childrenImpurity() (left, right float64) {
	var sq float64
	for _, r := range b.samples[b.start:b.pos] {
		yi := b.y[r]
		sq += float64(float64(b.w[r]*yi) * yi)
	}
	ml := b.sumLeft / b.wLeft
	mr := b.sumRight / b.wRight
	left = sq/b.wLeft - float64(ml*ml)
	right = (b.sqSumTotal-sq)/b.wRight - float64(mr*mr)
	return left, right
}

// sortSamples sorts xf ascending and applies the same permutation to samples, as
// scikit-learn 1.9's simultaneous_sort with three-way partitioning does: introsort
// (median-of-3 pivot, heapsort past 2·log2 n levels) down to ranges of 15, finished by
// insertion sort. It is not stable, and rows with equal values end up in the order
// sklearn leaves them, which is what the criterion's sums depend on. (scikit-learn 1.2
// to 1.8 ran the introsort down to single elements: on operator tables that changes the
// last bits of some node values and, through them, which of two features that separate
// a node's rows identically wins.)
func sortSamples(xf []float32, samples []int32) {
	if len(xf) == 0 {
		return
	}
	// sklearn's depth limit is 2·floor(log2 n); bits.Len gives the floor exactly.
	introsort(xf, samples, 2*(bits.Len(uint(len(xf)))-1))
}

// introsort splits xf around pivots until the range left is at most 15 long, which
// insertion sort finishes.
func introsort(xf []float32, s []int32, maxd int) {
	for len(xf) > 15 {
		if maxd <= 0 {
			heapsort(xf, s)
			return
		}
		maxd--
		pivot := median3(xf)
		i, l, r := 0, 0, len(xf)
		for i < r {
			switch {
			case xf[i] < pivot:
				xf[i], xf[l] = xf[l], xf[i]
				s[i], s[l] = s[l], s[i]
				i++
				l++
			case xf[i] > pivot:
				r--
				xf[i], xf[r] = xf[r], xf[i]
				s[i], s[r] = s[r], s[i]
			default:
				i++
			}
		}
		introsort(xf[:l], s[:l], maxd)
		xf, s = xf[r:], s[r:]
	}
	insertionSort(xf, s)
}

func insertionSort(xf []float32, s []int32) {
	for i := 1; i < len(xf); i++ {
		tv, ti := xf[i], s[i]
		j := i
		for j > 0 && xf[j-1] > tv {
			xf[j], s[j] = xf[j-1], s[j-1]
			j--
		}
		xf[j], s[j] = tv, ti
	}
}

func median3(xf []float32) float32 {
	a, b, c := xf[0], xf[len(xf)/2], xf[len(xf)-1]
	if a < b {
		if b < c {
			return b
		} else if a < c {
			return c
		}
		return a
	} else if b < c {
		if a < c {
			return a
		}
		return c
	}
	return b
}

func heapsort(xf []float32, s []int32) {
	n := len(xf)
	for start := (n - 2) / 2; ; start-- {
		siftDown(xf, s, start, n)
		if start == 0 {
			break
		}
	}
	for end := n - 1; end > 0; end-- {
		xf[0], xf[end] = xf[end], xf[0]
		s[0], s[end] = s[end], s[0]
		siftDown(xf, s, 0, end)
	}
}

func siftDown(xf []float32, s []int32, start, end int) {
	root := start
	for {
		child := 2*root + 1
		maxind := root
		if child < end && xf[maxind] < xf[child] {
			maxind = child
		}
		if child+1 < end && xf[maxind] < xf[child+1] {
			maxind = child + 1
		}
		if maxind == root {
			return
		}
		xf[root], xf[maxind] = xf[maxind], xf[root]
		s[root], s[maxind] = s[maxind], s[root]
		root = maxind
	}
}
