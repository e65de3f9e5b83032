// Package train turns a normalized dataset into a versioned predictor artifact: for
// every operator of a model it derives Vidur's features, cross-validates several
// predictor kinds over their hyper-parameter grids, refits the best on all rows,
// evaluates it on the prediction grid the simulator indexes, and writes the grids with a
// manifest whose id is a content hash.
//
// Reading guide:
//   - grid.go: the Grid contract the simulator reads (lookup.go adds Grid.At);
//   - features.go: which rows and features each operator is trained on (Operators,
//     Selection), the one measurement regime kept per operator (keepOneRegime), and the
//     errors for rows that are missing or filtered away;
//   - search.go: the predictor kinds, the grids of hyper-parameters, and k-fold
//     cross-validation scored by Vidur's MAPE (score.go); forests come from
//     train/forest, the baselines from linear.go (polynomial least squares) and
//     interp.go (piecewise-linear interpolation);
//   - train.go: Train, one operator after another, and TrainCollectives, a network's
//     collectives alone; grids.go: the prediction lattices;
//   - artifact.go: WriteArtifact, OpenArtifact (verifying), FindArtifacts;
//   - compare.go: Compare, the accuracy table behind `llmsim compare`.
//
// docs/train.md describes the artifact layout and how to reproduce the numbers with
// scikit-learn.
package train
