#!/usr/bin/env python3
"""Writes scikit-learn forests, node by node, for llmsim's bit-for-bit forest test.

train/forest/testdata/sklearn_trees.json is this script's output. The table is built
here, deterministically, to exercise what decides a tree's shape: integer features on a
lattice (so that two features often separate a node's rows identically and the random
feature order decides), repeated values, a feature that is constant over large regions,
and targets spanning three decades. Each case fits RandomForestRegressor with one set of
parameters and records every tree's seed, nodes (feature, threshold, n_node_samples,
value, children) and the forest's predictions on the training rows and on off-lattice
points.

Needs numpy and scikit-learn 1.9 (Debian sid's python3-sklearn 1.9.0 was used; see
README.md). Run:
    python3 dump_trees.py ../../train/forest/testdata/sklearn_trees.json
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestRegressor


def table():
    rs = np.random.RandomState(1)
    rows = []
    for kv in (0, 128, 256, 512, 1024, 2048):
        for chunk in (16, 32, 64, 128, 256):
            for block in (16, 16, 32):
                rows.append((kv, chunk * chunk, block))
    X = np.array(rows, dtype=float)
    y = 0.01 + 2e-5 * X[:, 0] + 3e-6 * X[:, 1] + 1e-4 * X[:, 0] * np.sqrt(X[:, 1]) / 256
    y *= 1 + 0.03 * rs.standard_normal(len(y))
    return X, y


CASES = [
    dict(n_estimators=8, max_depth=None, min_samples_split=2, min_samples_leaf=1, max_features=1.0, bootstrap=True, random_state=0),
    dict(n_estimators=8, max_depth=4, min_samples_split=5, min_samples_leaf=1, max_features=1.0, bootstrap=True, random_state=42),
    dict(n_estimators=6, max_depth=None, min_samples_split=2, min_samples_leaf=2, max_features=0.5, bootstrap=True, random_state=7),
    dict(n_estimators=4, max_depth=6, min_samples_split=10, min_samples_leaf=1, max_features=1.0, bootstrap=False, random_state=3),
]


def main():
    X, y = table()
    probe = np.array([[0, 256, 16], [100, 300, 20], [700, 5000, 24], [2047.5, 65535.5, 32], [5000, 1e5, 64]])
    cases = []
    for params in CASES:
        m = RandomForestRegressor(n_jobs=1, **params).fit(X, y)
        trees = []
        for e in m.estimators_:
            t = e.tree_
            trees.append(dict(
                seed=int(e.random_state),
                feature=[int(v) for v in t.feature],
                threshold=[float(v) for v in t.threshold],
                n=[int(v) for v in t.n_node_samples],
                value=[float(v) for v in t.value[:, 0, 0]],
                left=[int(v) for v in t.children_left],
                right=[int(v) for v in t.children_right],
            ))
        p = dict(params)
        p["max_depth"] = p["max_depth"] or 0
        cases.append(dict(params=p, trees=trees,
                          pred_train=[float(v) for v in m.predict(X)],
                          probe=probe.tolist(), pred_probe=[float(v) for v in m.predict(probe)]))
    out = dict(sklearn=sklearn.__version__, numpy=np.__version__,
               x=X.tolist(), y=[float(v) for v in y], cases=cases)
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
