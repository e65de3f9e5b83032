// Package forest is a CART regression forest built for operator-time tables: a few
// features, a few hundred to a few tens of thousands of rows, and a target that spans
// several decades.
//
// Reading guide: tree.go first (one tree: presorted split search and the flat node
// slice), then forest.go (Params, Fit, Predict, the per-tree random streams and the
// worker pool), then crossval.go (cross-validated and out-of-bag predictions for a whole
// hyper-parameter grid at the cost of one forest per fold).
//
// The trees do what scikit-learn's RandomForestRegressor does, so that the two give the
// same accuracy on the same rows:
//   - splits minimise the weighted squared error, found by one prefix-sum scan per
//     candidate feature over values sorted once (maximise S_L²/W_L + S_R²/W_R);
//   - thresholds are midpoints between consecutive distinct values and x <= threshold
//     goes left;
//   - the bootstrap sample is a vector of integer weights (how often each row was drawn);
//   - min_samples_split and min_samples_leaf count distinct rows, as sklearn's
//     n_node_samples does; max_depth counts the root as depth 0.
//
// Determinism: tree i of a forest with seed s draws from its own PCG stream (s, i), and
// every tree is written to its own slot, so a forest is bit-identical for any number of
// workers, and the first 250 trees of a 750-tree forest are the 250-tree forest.
package forest
