package forest

import (
	"fmt"
	"math"
	"slices"
)

// CrossPredict returns, for every grid point g and every row i, the prediction for row i
// of the forest with parameters grid[g] trained on the rows of every other fold
// (fold[i] in [0, k)). It is what k-fold cross-validation of a grid search needs, and
// costs about one forest per fold instead of one per fold and grid point:
//
//   - grid points that differ only in NEstimators share trees, because tree i does not
//     depend on how many trees follow it: a 750-tree forest holds the 250-tree one;
//   - grid points that differ only in MaxDepth and MinSamplesSplit can share trees,
//     because those limits only stop growth: one tree grown with the loosest limits,
//     walked with a tighter pair's limits (Tree.predictLimited), is the tree that pair
//     grows on a one-feature table. With more features the limits also change which
//     nodes draw from the splitter's random stream, and so the feature order of later
//     nodes, which decides between two features that split a node's rows equally well:
//     there each pair grows its own trees when the table has at most exactGridRows rows
//     (Vidur's attention tables: 60 and 132), and shares the loosest pair's above it,
//     where nine times the trees would cost minutes per operator.
//
// The predictions are bit-identical to fitting each grid point on its own, for any
// number of workers, except for the tighter (MaxDepth, MinSamplesSplit) pairs of
// multi-feature tables longer than exactGridRows, which read the loosest pair's trees
// (Approximate says which).
func CrossPredict(m *Matrix, y []float64, fold []int, k int, grid []Params, workers int) ([][]float64, error) {
	if len(fold) != m.n {
		return nil, fmt.Errorf("forest: %d fold ids for %d rows", len(fold), m.n)
	}
	if k < 2 {
		return nil, fmt.Errorf("forest: %d folds, want at least 2", k)
	}
	evals := make([][]int32, k)
	trains := make([][]int32, k)
	for r, f := range fold {
		if f < 0 || f >= k {
			return nil, fmt.Errorf("forest: row %d in fold %d, want [0, %d)", r, f, k)
		}
	}
	for f := range k {
		for r, rf := range fold {
			if rf == f {
				evals[f] = append(evals[f], int32(r))
			} else {
				trains[f] = append(trains[f], int32(r))
			}
		}
		if len(trains[f]) == 0 || len(evals[f]) == 0 {
			return nil, fmt.Errorf("forest: fold %d of %d is empty or holds every row", f, k)
		}
	}
	return searchPredict(m, y, trains, evals, false, grid, workers)
}

// OOBPredict returns, for every grid point g and row i, the mean prediction for row i of
// the trees of a forest with parameters grid[g] fitted on all rows that did not draw row
// i into their bootstrap sample (NaN when every tree drew it). It is a cheaper selection
// score than k-fold cross-validation: one forest per grid group instead of k. Grid
// points without Bootstrap have no out-of-bag rows and are refused.
func OOBPredict(m *Matrix, y []float64, grid []Params, workers int) ([][]float64, error) {
	for _, p := range grid {
		if !p.Bootstrap {
			return nil, fmt.Errorf("forest: out-of-bag predictions need bootstrap")
		}
	}
	all := make([]int32, m.n)
	for i := range all {
		all[i] = int32(i)
	}
	return searchPredict(m, y, [][]int32{nil}, [][]int32{all}, true, grid, workers)
}

// exactGridRows is the longest multi-feature table on which CrossPredict grows every
// (MaxDepth, MinSamplesSplit) pair's own trees.
const exactGridRows = 300

// Approximate reports whether CrossPredict's and OOBPredict's predictions for grid[g]
// on m are read from trees grown with looser limits than grid[g]'s (a multi-feature
// table longer than exactGridRows, and another grid point of the same growth with a
// larger MaxDepth or smaller MinSamplesSplit), and so may differ from fitting grid[g] on
// its own. Calling CrossPredict with grid[g] alone gives the exact predictions.
func Approximate(m *Matrix, grid []Params, g int) bool {
	if m.Features() == 1 {
		return false // one feature: the truncated tree is the tree
	}
	p := grid[g]
	key := growthKeyOf(m, p)
	for _, q := range grid {
		if growthKeyOf(m, q) != key {
			continue
		}
		looserDepth := p.MaxDepth != 0 && (q.MaxDepth == 0 || q.MaxDepth > p.MaxDepth)
		if looserDepth || q.MinSamplesSplit < p.MinSamplesSplit {
			return true
		}
	}
	return false
}

// growthKey groups grid points whose trees are grown identically.
type growthKey struct {
	minLeaf     int
	maxFeatures float64
	bootstrap   bool
	logTarget   bool
	seed        uint64
	limits      limits // only for multi-feature tables of up to exactGridRows rows
}

// growthKeyOf is the growth group of p's trees on m: grid points with one key share
// trees, grown with the loosest limits among them.
func growthKeyOf(m *Matrix, p Params) growthKey {
	key := growthKey{p.MinSamplesLeaf, p.MaxFeatures, p.Bootstrap, p.LogTarget, p.Seed, limits{}}
	if m.Features() > 1 && m.n <= exactGridRows {
		key.limits = limits{p.MaxDepth, p.MinSamplesSplit}
	}
	return key
}

type limits struct{ depth, split int }

type group struct {
	params  Params   // growth parameters: the loosest limits, the most trees
	limits  []limits // distinct (max_depth, min_samples_split) pairs of the members
	counts  []int    // distinct NEstimators of the members, ascending
	members []int    // grid indices
	y       []float64
	seeds   []uint32 // per-tree seeds (treeSeeds)
	randR   []uint32 // per-tree splitter states (splitterState)
}

func searchPredict(m *Matrix, y []float64, trains, evals [][]int32, oob bool, grid []Params, workers int) ([][]float64, error) {
	if len(grid) == 0 {
		return nil, fmt.Errorf("forest: empty grid")
	}
	var groups []*group
	byKey := map[growthKey]*group{}
	for gi, p := range grid {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("grid point %d: %w", gi, err)
		}
		key := growthKeyOf(m, p)
		g := byKey[key]
		if g == nil {
			yt, err := transformTarget(y, m.n, p.LogTarget)
			if err != nil {
				return nil, err
			}
			g = &group{params: p, y: yt}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, gi)
		g.params.NEstimators = max(g.params.NEstimators, p.NEstimators)
		if g.params.MaxDepth != 0 && (p.MaxDepth == 0 || p.MaxDepth > g.params.MaxDepth) {
			g.params.MaxDepth = p.MaxDepth
		}
		g.params.MinSamplesSplit = min(g.params.MinSamplesSplit, p.MinSamplesSplit)
		if l := (limits{p.MaxDepth, p.MinSamplesSplit}); !slices.Contains(g.limits, l) {
			g.limits = append(g.limits, l)
		}
		if !slices.Contains(g.counts, p.NEstimators) {
			g.counts = append(g.counts, p.NEstimators)
		}
	}
	// A unit is one group's trees on one fold, grown and summed in tree order: sklearn
	// adds its trees' predictions one after the other, and so does each unit, so the
	// mean is the same to the last bit. Every NEstimators of the group is a prefix of
	// that sum.
	type unit struct{ g, fold int }
	var units []unit
	for gi, g := range groups {
		g.seeds = treeSeeds(uint32(g.params.Seed), g.params.NEstimators)
		g.randR = make([]uint32, len(g.seeds))
		for i, s := range g.seeds {
			g.randR[i] = splitterState(s)
		}
		slices.Sort(g.counts)
		for f := range trains {
			units = append(units, unit{gi, f})
		}
	}
	out := make([][]float64, len(grid))
	for _, gi := range slices.Concat(memberLists(groups)...) {
		out[gi] = make([]float64, m.n)
		for i := range out[gi] {
			out[gi][i] = math.NaN()
		}
	}
	// A unit's trees are grown in windows: each tree's predictions go to its own slot,
	// and the slots are added to the unit's sums in tree order, so the sums are the
	// sequential ones whoever grew the trees. With at least as many units as workers each
	// unit runs on one worker (window 1); with fewer (out-of-bag scoring has one unit per
	// group) the workers share each window of a unit.
	nw := workerCount(workers, math.MaxInt)
	window := 1
	if len(units) < nw {
		maxTrees := 0
		for _, g := range groups {
			maxTrees = max(maxTrees, g.params.NEstimators)
		}
		window = min(4*nw, maxTrees)
	}
	type treePreds struct {
		p   []float64 // p[l*len(ev)+j]: the tree's prediction for eval row j under limits l
		oob []bool    // oob[j]: row j was out of the tree's bag (always true without oob)
	}
	runUnit := func(u unit, grow func(first int, slots []treePreds)) {
		g := groups[u.g]
		ev := evals[u.fold]
		// s[l*len(ev)+j]: sum of the predictions for eval row j under limits l;
		// c[j]: how many trees contributed (out-of-bag varies).
		s := make([]float64, len(g.limits)*len(ev))
		c := make([]int32, len(ev))
		slots := make([]treePreds, min(window, g.params.NEstimators))
		for i := range slots {
			slots[i] = treePreds{make([]float64, len(g.limits)*len(ev)), make([]bool, len(ev))}
		}
		for first := 0; first < g.params.NEstimators; first += window {
			n := min(window, g.params.NEstimators-first)
			grow(first, slots[:n])
			for k := range n {
				tp := slots[k]
				for j := range ev {
					if !tp.oob[j] {
						continue
					}
					c[j]++
					for l := range g.limits {
						s[l*len(ev)+j] += tp.p[l*len(ev)+j]
					}
				}
				done := first + k + 1
				if !slices.Contains(g.counts, done) {
					continue
				}
				for _, gi := range g.members {
					p := grid[gi]
					if p.NEstimators != done {
						continue
					}
					l := slices.Index(g.limits, limits{p.MaxDepth, p.MinSamplesSplit})
					for j, r := range ev {
						if c[j] == 0 {
							continue
						}
						v := s[l*len(ev)+j] / float64(c[j])
						if p.LogTarget {
							v = math.Exp(v)
						}
						out[gi][r] = v
					}
				}
			}
		}
	}
	// growInto grows tree t of unit u with b and stores its predictions in tp; row is
	// scratch space, returned grown.
	growInto := func(b *builder, row []float64, u unit, t int, tp treePreds) []float64 {
		g := groups[u.g]
		ev := evals[u.fold]
		tree := b.grow(trains[u.fold], g.seeds[t], g.randR[t])
		for j, r := range ev {
			tp.oob[j] = !oob || b.w[r] == 0
			if !tp.oob[j] {
				continue
			}
			row = m.Row(int(r), row)
			for l, lim := range g.limits {
				tp.p[l*len(ev)+j] = tree.predictLimited(row, lim.depth, lim.split)
			}
		}
		return row
	}
	if window == 1 {
		// Units write disjoint cells of out: their groups have disjoint members and
		// their folds disjoint evaluation rows.
		parallel(len(units), workerCount(workers, len(units)), func() func(i int) {
			builders := make([]*builder, len(groups))
			row := make([]float64, 0, m.Features())
			return func(ui int) {
				u := units[ui]
				b := builders[u.g]
				if b == nil {
					b = newBuilder(m, groups[u.g].y, groups[u.g].params.tree(m.Features()))
					builders[u.g] = b
				}
				runUnit(u, func(first int, slots []treePreds) {
					for k := range slots {
						row = growInto(b, row, u, first+k, slots[k])
					}
				})
			}
		})
		return out, nil
	}
	for _, u := range units {
		runUnit(u, func(first int, slots []treePreds) {
			parallel(len(slots), workerCount(workers, len(slots)), func() func(k int) {
				b := newBuilder(m, groups[u.g].y, groups[u.g].params.tree(m.Features()))
				row := make([]float64, 0, m.Features())
				return func(k int) { row = growInto(b, row, u, first+k, slots[k]) }
			})
		})
	}
	return out, nil
}

func memberLists(gs []*group) [][]int {
	out := make([][]int, len(gs))
	for i, g := range gs {
		out[i] = g.members
	}
	return out
}
