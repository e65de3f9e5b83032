#!/usr/bin/env python3
"""Per-operator CV error of scikit-learn's RandomForestRegressor on Vidur's rows.

This is the reference llmsim's in-house forest is compared against (docs/train.md). It
builds the per-operator training tables exactly as Vidur's sklearn predictor does for
one (model, TP) pair -- drop duplicate rows, filter on the model-shape keys, derive the
features -- keeps the rows in file order, and scores every point of Vidur's grid
(n_estimators 250/500/750 x max_depth 8/16/32 x min_samples_split 2/5/10) with an
*interleaved* k-fold split: row i (0-based, in file order after the filters) is in fold
i mod k. The score of a grid point is the mean over folds of the fold's MAPE, with
Vidur's rule for a zero target (0 if predicted 0, else 100). The best grid point's score
is reported per operator, together with the piecewise-linear interpolation baseline on
the same folds for one-feature operators.

Needs pandas, numpy and scikit-learn. Run:
    python3 cv_sklearn.py --mlp mlp.csv --attention attention.csv \
        --n-head 32 --n-kv-head 32 --n-embd 4096 --n-expanded 11008 --tp 1 --out results.csv
"""
import argparse
import csv
import itertools
import json
import multiprocessing
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

COMPUTE_OPS = [
    "attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj", "mlp_act",
    "input_layernorm", "post_attention_layernorm", "attn_rope", "add",
]
GRID = {
    "n_estimators": [250, 500, 750],
    "max_depth": [8, 16, 32],
    "min_samples_split": [2, 5, 10],
}


def mape(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    err = np.where(y != 0, np.abs(y - p) / np.abs(np.where(y == 0, 1, y)) * 100.0,
                   np.where(p == 0, 0.0, 100.0))
    return float(err.mean())


def tables(args):
    """Returns {op: (X, y)} with rows in file order after Vidur's filters."""
    out = {}
    mlp = pd.read_csv(args.mlp, float_precision=args.float_precision).drop_duplicates()
    mlp = mlp[(mlp["n_head"] == args.n_head) & (mlp["n_kv_head"] == args.n_kv_head)
              & (mlp["n_embd"] == args.n_embd) & (mlp["n_expanded_embd"] == args.n_expanded)
              & (mlp["num_tensor_parallel_workers"] == args.tp)]
    for op in COMPUTE_OPS:
        col = f"time_stats.{op}.median"
        if col not in mlp.columns:
            continue
        d = mlp[["num_tokens", col]].dropna()
        out[op] = (d[["num_tokens"]].to_numpy(float), d[col].to_numpy(float))
    if args.attention:
        att = pd.read_csv(args.attention, float_precision=args.float_precision).drop_duplicates()
        att = att[(att["n_embd"] == args.n_embd) & (att["n_q_head"] == args.n_head)
                  & (att["n_kv_head"] == args.n_kv_head) & (att["block_size"] == args.block_size)
                  & (att["num_tensor_parallel_workers"] == args.tp)]
        pre = att[att["prefill_chunk_size"] > 0].copy()
        pre["prefill_chunk_size_squared"] = pre["prefill_chunk_size"] ** 2
        pre = pre[["kv_cache_size", "prefill_chunk_size_squared", "time_stats.attn_prefill.median"]].dropna()
        out["attn_prefill"] = (pre[["kv_cache_size", "prefill_chunk_size_squared"]].to_numpy(float),
                               pre["time_stats.attn_prefill.median"].to_numpy(float))
        dec = att[att["prefill_chunk_size"] == 0]
        dec = dec[["batch_size", "kv_cache_size", "time_stats.attn_decode.median"]].dropna()
        out["attn_decode"] = (dec[["batch_size", "kv_cache_size"]].to_numpy(float),
                              dec["time_stats.attn_decode.median"].to_numpy(float))
        col = "time_stats.attn_kv_cache_save.median"
        if col in att.columns:
            d = att.copy()
            d["num_tokens"] = np.maximum(d["prefill_chunk_size"], d["batch_size"])
            d = d[["num_tokens", col]].dropna()
            out["attn_kv_cache_save"] = (d[["num_tokens"]].to_numpy(float), d[col].to_numpy(float))
    return out


def interleaved_folds(n, k):
    idx = np.arange(n)
    return [(idx[idx % k != f], idx[idx % k == f]) for f in range(k)]


def fit_one(job):
    """Fits one (grid point, fold) on one core; the pool spreads the 270 fits of an
    operator over all cores, which is much faster than sklearn's per-tree threading
    on tables of a few hundred rows."""
    X, y, tr, te, params, seed = job
    m = RandomForestRegressor(random_state=seed, n_jobs=1, **params)
    m.fit(X[tr], y[tr])
    return mape(y[te], m.predict(X[te]))


def cv_interp(X, y, folds):
    if X.shape[1] != 1:
        return None
    scores = []
    for tr, te in folds:
        xs, ys = X[tr, 0], y[tr]
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
        # Average duplicates of x so np.interp sees a function.
        ux, inv = np.unique(xs, return_inverse=True)
        uy = np.bincount(inv, weights=ys) / np.bincount(inv)
        scores.append(mape(y[te], np.interp(X[te, 0], ux, uy)))
    return float(np.mean(scores))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlp", required=True)
    ap.add_argument("--attention")
    ap.add_argument("--n-head", type=int, required=True)
    ap.add_argument("--n-kv-head", type=int, required=True)
    ap.add_argument("--n-embd", type=int, required=True)
    ap.add_argument("--n-expanded", type=int, required=True)
    ap.add_argument("--tp", type=int, default=1)
    ap.add_argument("--block-size", type=int, default=16)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=-1)
    ap.add_argument("--budget-s", type=float, default=1e9)
    ap.add_argument("--ops", default="", help="comma-separated subset, in this order")
    ap.add_argument("--out", required=True)
    ap.add_argument("--grid-out", help="also write every grid point's score, full precision")
    ap.add_argument("--float-precision", default=None, choices=[None, "high", "round_trip"],
                    help="pandas read_csv float_precision: the default (what Vidur gets) rounds "
                         "some 17-digit values to a neighbouring double; round_trip parses "
                         "them exactly, as llmsim does")
    args = ap.parse_args()
    import sklearn
    print(f"sklearn {sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}", flush=True)

    start = time.time()
    tabs = tables(args)
    pool = multiprocessing.Pool(args.n_jobs if args.n_jobs > 0 else os.cpu_count())
    ops = [o for o in args.ops.split(",") if o] or list(tabs)
    gf = open(args.grid_out, "w", newline="") if args.grid_out else None
    gw = csv.writer(gf) if gf else None
    if gw:
        gw.writerow(["operator", "n_estimators", "max_depth", "min_samples_split", "sklearn_rf_mape"])
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["operator", "rows", "sklearn_rf_mape", "best_params", "interp_mape", "seconds", "grid_points_done"])
        f.flush()
        for op in ops:
            if op not in tabs:
                continue
            X, y = tabs[op]
            folds = interleaved_folds(len(y), args.k if len(y) >= args.k else 2)
            t0 = time.time()
            best, best_p, done = None, None, 0
            if time.time() - start < args.budget_s:
                points = [{"n_estimators": ne, "max_depth": md, "min_samples_split": mss}
                          for ne, md, mss in itertools.product(
                              GRID["n_estimators"], GRID["max_depth"], GRID["min_samples_split"])]
                jobs = [(X, y, tr, te, p, args.seed) for p in points for tr, te in folds]
                scores = pool.map(fit_one, jobs, chunksize=1)
                for i, p in enumerate(points):
                    sc = float(np.mean(scores[i * len(folds):(i + 1) * len(folds)]))
                    if gw:
                        gw.writerow([op, p["n_estimators"], p["max_depth"], p["min_samples_split"], repr(sc)])
                    done += 1
                    if best is None or sc < best:
                        best, best_p = sc, p
            interp = cv_interp(X, y, folds)
            w.writerow([op, len(y), "" if best is None else f"{best:.4f}", json.dumps(best_p),
                        "" if interp is None else f"{interp:.4f}", f"{time.time() - t0:.1f}", done])
            f.flush()
            if gf:
                gf.flush()
            print(f"{op}: rows={len(y)} rf={best} params={best_p} interp={interp} "
                  f"({time.time() - t0:.1f}s, {done}/27 grid points)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
