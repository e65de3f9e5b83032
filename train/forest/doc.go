// Package forest is scikit-learn's RandomForestRegressor, reimplemented so that it
// gives the same trees: a forest fitted here with seed s on some rows holds, node for
// node and bit for bit, the trees of RandomForestRegressor(random_state=s) fitted on
// those rows by scikit-learn 1.9 (TestTreesMatchSklearn), and so the same predictions.
// Cross-validating a grid gives sklearn's scores too, except on multi-feature tables
// of more than 300 rows, where grid points that differ only in tree limits share
// trees (CrossPredict, Approximate). It is built for operator-time tables: a few
// features, a few hundred to a few tens of thousands of rows, and a target that spans
// several decades.
//
// Reading guide: tree.go first (one tree: sklearn's depth-first builder, best
// splitter and squared-error criterion, in the same floating-point order), then
// numpyrand.go (numpy's Mersenne Twister and the three random streams a forest draws
// from), then forest.go (Params, Fit, Predict, the worker pool), then crossval.go
// (cross-validated and out-of-bag predictions for a whole hyper-parameter grid).
//
// What makes the trees the same:
//   - tree i's seed is numpy RandomState(s)'s i-th randint(2**31 - 1); its bootstrap
//     sample is RandomState(seed_i).randint(0, n, n), used as integer weights;
//   - features are compared in float32, as sklearn converts X;
//   - a node's rows are a range of one samples array, sorted in place by each candidate
//     feature with sklearn's introsort and partitioned in place after the split, so the
//     criterion adds the same numbers in the same order;
//   - candidate features are drawn per node from sklearn's xorshift stream, seeded by
//     RandomState(seed_i).randint(0, 2**31 - 1), even when every feature is tried: only
//     a strictly better split replaces the best, so when two features separate the rows
//     identically (common on the lattice-like attention tables) the one drawn first wins.
//
// On top of sklearn: LogTarget (fit log y; operator times span decades and are scored
// by relative error), OOB and k-fold predictions for a whole grid at the cost of far
// fewer forests, and trees grown on any number of workers with identical results,
// since each tree depends only on its seed and is written to its own slot.
package forest
