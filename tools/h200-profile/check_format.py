#!/usr/bin/env python3
"""check_format tests the pure-Python parts of profile_kernels.py with plain python3 (no torch):
the Vidur grids against real Vidur files, the header order against real Vidur headers, the
row formatting, the statistics and the coarse-to-fine ordering.

    python3 tools/h200-profile/check_format.py                 # unit checks
    python3 tools/h200-profile/check_format.py --validate DIR  # also check a run's output

--validate reads every compute/<gpu>/<model>/{mlp,attention}.csv under DIR (a run's --out,
or an unpacked h200_profile.tar.gz) and checks headers, field counts, numbers and the
prefill/decode NaN pattern. Real Vidur files are looked up in ../shared/data beside the
repository (or $LLMSIM_SHARED_DATA); checks that need them are skipped when absent.
The last line is 'N passed, N failed'; the exit status is 1 when any check failed."""

import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import profile_kernels as pk  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))


def shared_data():
    for d in (os.environ.get("LLMSIM_SHARED_DATA"), os.path.join(ROOT, "..", "shared", "data"),
              os.path.join(ROOT, "shared", "data"), "/work/shared/data"):
        if d and os.path.isdir(d):
            return os.path.abspath(d)
    return None


DATA = shared_data()
VIDUR_MLP_L2 = "vidur/profiling/compute/a100/meta-llama/Llama-2-7b-hf/mlp.csv"
VIDUR_MLP_L3 = "vidur/profiling/compute/a100/meta-llama/Meta-Llama-3-8B/mlp.csv"
VIDUR_ATTN_L3 = "vidur_attention_sample/a100/meta-llama/Meta-Llama-3-8B/attention.csv"
VIDUR_ATTN_L2 = "vidur_attention_sample/a100/meta-llama/Llama-2-7b-hf/attention.csv"


class Skip(Exception):
    pass


def read_csv(rel):
    if DATA is None or not os.path.exists(os.path.join(DATA, rel)):
        raise Skip("shared data %s absent" % rel)
    with open(os.path.join(DATA, rel), newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, list(r)


def column(header, rows, name):
    i = header.index(name)
    return [row[i] for row in rows]


# --------------------------------------------------------------------------------------
# Unit checks


def test_mlp_header_matches_vidur():
    header, _ = read_csv(VIDUR_MLP_L2)
    assert pk.mlp_header() == header, (pk.mlp_header(), header)
    assert len(header) == 58


def test_attention_header_matches_vidur():
    header, _ = read_csv(VIDUR_ATTN_L3)
    assert pk.attention_header() == header, (pk.attention_header(), header)
    assert len(header) == 36


def test_vidur_num_tokens_reproduces_vidur_files():
    for rel, max_tokens, distinct in ((VIDUR_MLP_L2, 4096, 259), (VIDUR_MLP_L3, 32768, 451)):
        header, rows = read_csv(rel)
        got = sorted(set(int(x) for x in column(header, rows, "num_tokens")))
        want = pk.vidur_num_tokens(max_tokens)
        assert got == want, (rel, len(got), len(want), sorted(set(got) ^ set(want))[:10])
        assert len(want) == distinct


def _attention_keys(rel):
    header, rows = read_csv(rel)
    out = []
    for row in rows:
        d = dict(zip(header, row))
        key = (int(d["prefill_chunk_size"]), int(d["kv_cache_size"]), int(d["batch_size"]),
               d["is_prefill"] == "True")
        out.append((int(d["max_model_len"]), key))
    return out


def test_vidur_attention_combinations_cover_current_vidur_sample():
    # Every row of the sampled current-layout Vidur file (the one with attn_kv_cache_save,
    # max_model_len 16384) must be one of the combinations the reimplemented grid yields.
    batches = list(range(1, 129)) + list(range(136, 1025, 8))
    keys = _attention_keys(VIDUR_ATTN_L3)
    for max_len in set(m for m, _ in keys):
        vidur = pk.vidur_attention_combinations(max_len, batches)
        missing = [k for m, k in keys if m == max_len and k not in vidur]
        assert not missing, (max_len, missing[:5])


def test_older_vidur_sample_uses_seq_length_prefixes():
    # The older-layout file (no attn_kv_cache_save) took chunked-prefill kv prefixes from
    # the sequence-length grid rather than multiples of the chunk; its decode rows and
    # chunk sizes still come from the same grids.
    for max_len, (c, kv, b, pre) in _attention_keys(VIDUR_ATTN_L2):
        assert c + kv <= max_len, (c, kv)
        if pre:
            assert b == 1 and (c in pk.vidur_prefill_chunk_sizes(max_len)
                               or c in pk.vidur_seq_lengths(max_len)), c
            assert kv in pk.vidur_seq_lengths(max_len), kv
        else:
            assert c == 0 and kv in pk.vidur_seq_lengths(max_len) and 1 <= b <= 128, (c, kv, b)


def test_mlp_token_grid_is_thinned_vidur_grid():
    for max_tokens, n in ((4096, 60), (8192, 70)):
        g = pk.mlp_token_grid(max_tokens, n)
        full = set(pk.vidur_num_tokens(max_tokens))
        assert set(g) <= full
        assert g == sorted(set(g))
        assert g[:3] == [1, 2, 4] and g[-1] == max_tokens, g
        assert n <= len(g) <= n + 2, (n, len(g))


def test_attention_points_are_vidur_combinations():
    for spec in pk.MODELS.values():
        vidur = pk.vidur_attention_combinations(spec.max_seq_len, list(range(1, 129)))
        pre = pk.prefill_points(spec.max_seq_len)
        dec = pk.decode_points(spec.max_seq_len)
        for p in pre + dec:
            assert p.key() in vidur, (spec.name, p)
        assert len(set(p.key() for p in pre + dec)) == len(pre) + len(dec)
        assert 50 <= len(pre) <= 400 and 200 <= len(dec) <= 2000, (len(pre), len(dec))
        for c in (256, 512, 1024, 2048):
            assert any(p.chunk == c and p.kv > 0 for p in pre), (spec.name, c)
        assert max(p.kv for p in dec) < spec.max_seq_len
        assert set(p.batch for p in dec) == set(pk.DECODE_BATCH_SIZES)


def test_models_split_every_tp():
    for spec in pk.MODELS.values():
        for tp in (1, 2, 4, 8):
            assert spec.check_tp(tp) is None, (spec.name, tp)
        assert spec.n_head * spec.head_dim == spec.n_embd
    l2, l3, q3 = (pk.MODELS[n] for n in ("meta-llama/Llama-2-7b-hf", "meta-llama/Meta-Llama-3-8B",
                                         "Qwen/Qwen3-8B"))
    assert (l2.n_kv_head, l2.n_expanded_embd, l2.vocab_size) == (32, 11008, 32000)
    assert (l3.n_kv_head, l3.n_expanded_embd, l3.vocab_size) == (8, 14336, 128256)
    assert (q3.n_kv_head, q3.n_expanded_embd, q3.vocab_size) == (8, 12288, 151936)
    assert pk.MODELS["meta-llama/Llama-2-7b-hf"].check_tp(3) is not None


def test_summarize():
    st = pk.summarize([3.0, 1.0, 2.0, 4.0])
    assert st == {"min": 1.0, "max": 4.0, "mean": 2.5, "median": 2.5,
                  "std": math.sqrt(1.25)}, st
    st = pk.summarize([0.055] * 20)
    assert st["median"] == 0.055 and st["std"] < 1e-15
    assert pk.summarize([]) is None
    assert pk.summarize([2.0, 1.0, 5.0])["median"] == 2.0


def test_mlp_row_round_trip():
    spec = pk.MODELS["meta-llama/Meta-Llama-3-8B"]
    stats = {op: pk.summarize([0.1 * (i + 1), 0.1 * (i + 1) + 0.01]) for i, op in enumerate(pk.MLP_OPS)}
    del stats["emb"]  # a failed op is written as NaN (empty)
    row = pk.mlp_row(stats, spec, 4, 128)
    header = pk.mlp_header()
    assert len(row) == len(header)
    d = dict(zip(header, row))
    assert d["time_stats.emb.median"] == ""
    assert float(d["time_stats.attn_pre_proj.min"]) == 0.30000000000000004
    assert d["use_gated_mlp"] == "True"
    assert (d["n_head"], d["n_kv_head"], d["n_embd"], d["n_expanded_embd"], d["vocab_size"],
            d["num_tokens"], d["num_tensor_parallel_workers"]) == (
        "32", "8", "4096", "14336", "128256", "128", "4")


def test_attention_row_nan_pattern():
    spec = pk.MODELS["Qwen/Qwen3-8B"]
    header = pk.attention_header()
    st = pk.summarize([0.02, 0.03])
    pre = pk.AttnPoint(True, 512, 1024, 1)
    row = pk.attention_row({"attn_input_reshape": dict(pk.ZERO_STATS), "attn_kv_cache_save": st,
                            "attn_prefill": st, "attn_output_reshape": dict(pk.ZERO_STATS)},
                           spec, 2, pre, "TORCH_SDPA_FLASH")
    d = dict(zip(header, row))
    assert len(row) == 36
    assert all(d["time_stats.attn_decode.%s" % s] == "" for s in pk.STAT_KEYS)
    assert d["time_stats.attn_prefill.median"] == "0.025"
    assert d["time_stats.attn_input_reshape.std"] == "0.0"
    assert (d["is_prefill"], d["prefill_chunk_size"], d["kv_cache_size"], d["batch_size"]) == (
        "True", "512", "1024", "1")
    assert (d["n_embd"], d["n_q_head"], d["n_kv_head"], d["block_size"],
            d["num_tensor_parallel_workers"], d["max_model_len"], d["attention_backend"]) == (
        "4096", "32", "8", "16", "2", "8192", "TORCH_SDPA_FLASH")
    dec = pk.AttnPoint(False, 0, 300, 17)
    d = dict(zip(header, pk.attention_row({"attn_decode": st}, spec, 1, dec, "X")))
    assert d["time_stats.attn_prefill.min"] == "" and d["time_stats.attn_decode.min"] == "0.02"
    assert (d["is_prefill"], d["prefill_chunk_size"], d["kv_cache_size"], d["batch_size"]) == (
        "False", "0", "300", "17")


def test_fmt_float():
    assert pk.fmt_float(float("nan")) == "" and pk.fmt_float(None) == ""
    assert pk.fmt_float(0.1 + 0.2) == "0.30000000000000004"
    assert pk.fmt_value(True) == "True" and pk.fmt_value(7) == "7"


def test_coarse_to_fine_is_permutation_with_even_prefixes():
    for n in range(0, 300):
        order = pk.coarse_to_fine(n)
        assert sorted(order) == list(range(n)), n
        if n >= 5:
            assert order[:2] == [0, n - 1]
            # The first 5 picks split the range into quarters (within rounding).
            assert sorted(order[:5]) == sorted({0, n - 1, int(math.floor((n - 1) / 2 + 0.5)),
                                                int(math.floor((n - 1) / 4 + 0.5)),
                                                int(math.floor(3 * (n - 1) / 4 + 0.5))}), (n, order[:5])


def test_order_decode_is_permutation():
    pts = pk.decode_points(4096)
    order = pk.order_decode(pts)
    assert sorted(p.key() for p in order) == sorted(p.key() for p in pts)
    first = order[:4]
    assert {(p.batch, p.kv) for p in first} == {(1, 32), (1, 4032), (128, 32), (128, 4032)}, \
        [(p.batch, p.kv) for p in first]


def test_thin_helpers():
    vals = list(range(8, 4097, 8))
    g = pk.thin_geometric(vals, 20)
    assert set(g) <= set(vals) and g[-1] == 4096 and 20 <= len(g) <= 22
    assert pk.thin_geometric([1, 2, 3], 10) == [1, 2, 3]
    assert pk.thin_even(list(range(10)), 4) == [0, 3, 6, 9]
    assert pk.thin_even([5], 4) == [5]


def test_write_csv_atomic(tmp=None):
    import tempfile
    d = tempfile.mkdtemp()
    path = os.path.join(d, "a", "b", "mlp.csv")
    pk.write_csv_atomic(path, pk.mlp_header(), [["x"] * 58])
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == ",".join(pk.mlp_header()) and lines[1] == ",".join(["x"] * 58)
    assert not os.path.exists(path + ".tmp")


# --------------------------------------------------------------------------------------
# Output validation


def validate_dir(out):
    """validate_dir checks every profile CSV under out; returns a list of problems."""
    problems = []
    found = 0
    for dirpath, _, files in os.walk(out):
        for name in files:
            if name not in ("mlp.csv", "attention.csv"):
                continue
            found += 1
            path = os.path.join(dirpath, name)
            want = pk.mlp_header() if name == "mlp.csv" else pk.attention_header()
            with open(path, newline="") as f:
                r = csv.reader(f)
                header = next(r, None)
                if header != want:
                    problems.append("%s: header differs from Vidur's" % path)
                    continue
                n = 0
                for line, row in enumerate(r, start=2):
                    n += 1
                    if len(row) != len(want):
                        problems.append("%s:%d: %d fields, want %d" % (path, line, len(row), len(want)))
                        continue
                    d = dict(zip(want, row))
                    for k, v in d.items():
                        if k.startswith("time_stats.") and v != "":
                            x = float(v)
                            if not (x >= 0 and math.isfinite(x)):
                                problems.append("%s:%d: %s=%s" % (path, line, k, v))
                    if name == "attention.csv":
                        pre = d["is_prefill"] == "True"
                        own, other = ("attn_prefill", "attn_decode") if pre else ("attn_decode", "attn_prefill")
                        if d["time_stats.%s.median" % own] == "":
                            problems.append("%s:%d: %s missing" % (path, line, own))
                        if d["time_stats.%s.median" % other] != "":
                            problems.append("%s:%d: %s should be empty" % (path, line, other))
                        if d["time_stats.%s.min" % own] != "" and not (
                                float(d["time_stats.%s.min" % own]) <= float(d["time_stats.%s.median" % own])
                                <= float(d["time_stats.%s.max" % own])):
                            problems.append("%s:%d: min <= median <= max violated" % (path, line))
                    else:
                        if not any(d["time_stats.%s.median" % op] for op in pk.MLP_OPS):
                            problems.append("%s:%d: no op measured" % (path, line))
                if n == 0:
                    problems.append("%s: no rows" % path)
            print("validated %s" % os.path.relpath(path, out))
    if found == 0:
        problems.append("%s: no mlp.csv or attention.csv found" % out)
    return problems


def main(argv):
    passed = failed = skipped = 0
    tests = [(k, v) for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]
    for name, fn in tests:
        try:
            fn()
            passed += 1
            print("ok   %s" % name)
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (name, e))
        except Exception as e:
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
    if len(argv) >= 2 and argv[0] == "--validate":
        problems = validate_dir(argv[1])
        for p in problems[:50]:
            print("FAIL validate: %s" % p)
        if problems:
            failed += 1
        else:
            passed += 1
            print("ok   validate %s" % argv[1])
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
