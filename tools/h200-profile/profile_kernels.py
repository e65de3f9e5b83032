#!/usr/bin/env python3
"""profile_kernels measures one transformer block's kernels on one GPU and writes them in
Vidur's profile layout (compute/<gpu>/<hf-model-id>/{mlp,attention}.csv), which llmsim's
`profile` stage reads.

Reading guide: MODELS and the grid functions (vidur_*, mlp_token_grid, prefill_points,
decode_points) say WHAT is measured; mlp_header/attention_header and the *_row functions
say HOW it is written; GpuTimer says how one op is timed; profile_mlp and
profile_attention build the tensors and closures for each op; main wires the budget, the
incremental writes and the tarball. Only the stdlib is imported at module level, so check_format.py can test the
pure-Python parts without torch.

Run on the GPU machine:
    python3 tools/h200-profile/profile_kernels.py --out "$OUT" --budget-s 300
Shape check on a CPU (needs torch, no GPU; tiny shapes):
    python3 tools/h200-profile/profile_kernels.py --dry-run --out /tmp/h200-dry
"""

import argparse
import contextlib
import csv
import datetime
import gc
import importlib.util
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tarfile
import time
import traceback

SCRIPT_START = time.monotonic()

# --------------------------------------------------------------------------------------
# Models


class ModelSpec:
    """ModelSpec holds the shapes of one dense, gated, RMSNorm, RoPE (NeoX) decoder block."""

    def __init__(self, name, n_head, n_kv_head, head_dim, n_embd, n_expanded_embd, vocab_size,
                 max_tokens, max_seq_len, rope_theta, rms_eps):
        self.name = name
        self.n_head = n_head
        self.n_kv_head = n_kv_head
        self.head_dim = head_dim
        self.n_embd = n_embd
        self.n_expanded_embd = n_expanded_embd
        self.vocab_size = vocab_size
        self.max_tokens = max_tokens    # largest num_tokens of the mlp.csv grid
        self.max_seq_len = max_seq_len  # attention.csv max_model_len
        self.rope_theta = rope_theta
        self.rms_eps = rms_eps

    def check_tp(self, tp):
        """check_tp says why this model cannot be split tp ways, or returns None."""
        for what, n in (("n_head", self.n_head), ("n_kv_head", self.n_kv_head),
                        ("n_expanded_embd", self.n_expanded_embd), ("vocab_size", self.vocab_size)):
            if n % tp:
                return "%s=%d is not divisible by tp=%d" % (what, n, tp)
        return None

    def tiny(self):
        """tiny keeps the head ratio and gating but shrinks every size, for --dry-run on a CPU."""
        q = 16 if self.n_kv_head < self.n_head else 8
        hd = 16
        return ModelSpec(self.name, q, 8, hd, q * hd, 384, 1024, 64, 128, self.rope_theta, self.rms_eps)


# Shapes from the models' Hugging Face config.json (the same values as llmsim's
# catalog/models.yaml). Vidur's own Llama-2 config says vocab_size 32768; this profile
# records the real 32000.
MODELS = {
    m.name: m for m in (
        ModelSpec("meta-llama/Llama-2-7b-hf", 32, 32, 128, 4096, 11008, 32000,
                  4096, 4096, 1e4, 1e-5),
        ModelSpec("meta-llama/Meta-Llama-3-8B", 32, 8, 128, 4096, 14336, 128256,
                  8192, 8192, 5e5, 1e-5),
        ModelSpec("Qwen/Qwen3-8B", 32, 8, 128, 4096, 12288, 151936,
                  8192, 8192, 1e6, 1e-6),
    )
}

# --------------------------------------------------------------------------------------
# Grids. The vidur_* functions reproduce vidur/profiling/utils/__init__.py; the others
# thin them so that one run fits a few minutes of device time.


def vidur_num_tokens(max_tokens):
    """vidur_num_tokens is Vidur's get_num_tokens_to_profile as a sorted set."""
    space = ([1, 2, 4] + list(range(8, 1024, 8)) + list(range(1024, 2048 + 1, 16))
             + list(range(2048, 4096 + 1, 32)) + list(range(4096, 8192 + 1, 64))
             + list(range(8192, 16384 + 1, 128)) + list(range(16384, 32768 + 1, 256)))
    return sorted(set(n for n in space if n <= max_tokens))


def vidur_prefill_chunk_sizes(max_seq_len):
    """vidur_prefill_chunk_sizes is Vidur's get_attention_prefill_chunk_sizes_to_profile."""
    space = (list(range(64, 128 + 1, 16)) + list(range(128, 1024 + 1, 32))
             + list(range(1024, 4096 + 1, 64)) + list(range(4096, 16384 + 1, 128))
             + list(range(16384, 65536 + 1, 256)))
    return sorted(set(c for c in space if c <= max_seq_len))


def vidur_seq_lengths(max_seq_len):
    """vidur_seq_lengths is Vidur's get_seq_lengths_to_profile (strictly below max_seq_len)."""
    space = (list(range(0, 1024 + 1, 32)) + list(range(1024, 4096 + 1, 64))
             + list(range(4096, 65536 + 1, 256)))
    return sorted(set(n for n in space if n < max_seq_len))


def vidur_attention_combinations(max_seq_len, batch_sizes):
    """vidur_attention_combinations is Vidur's get_attention_input_combinations as a set of
    (prefill_chunk_size, kv_cache_size, batch_size, is_prefill)."""
    combos = set()
    for c in vidur_prefill_chunk_sizes(max_seq_len):
        for k in range(max_seq_len // c):
            combos.add((c, k * c, 1, True))
    for length in vidur_seq_lengths(max_seq_len):
        combos.add((length, 0, 1, True))
    for kv in vidur_seq_lengths(max_seq_len):
        for b in batch_sizes:
            combos.add((0, kv, b, False))
    return set(x for x in combos
               if not (x[3] and x[0] == 0) and not (not x[3] and x[1] == 0)
               and x[0] + x[1] <= max_seq_len)


def thin_geometric(values, n, keep_first=0):
    """thin_geometric picks about n of the sorted values, spaced evenly on a log scale.

    It keeps the first keep_first values, the last value, and for each of m geometric
    targets between the rest the nearest value (ties to the smaller); m grows until the
    distinct picks number at least n, so a dense small end (where targets collide on the
    grid) does not shrink the result. The result is a sorted subset of values."""
    values = sorted(set(values))
    if len(values) <= n:
        return values
    head, rest = values[:keep_first], values[keep_first:]
    lo, hi = rest[0], rest[-1]
    m = max(2, n - keep_first)
    while True:
        out = set(head)
        out.add(hi)
        for i in range(m):
            target = lo * (hi / lo) ** (i / (m - 1))
            out.add(min(rest, key=lambda v: (abs(math.log(v / target)), v)))
        if len(out) >= n or m >= len(values):
            return sorted(out)
        m += 1


def thin_even(values, n):
    """thin_even picks at most n of the sorted values, evenly spaced by index, first and last kept."""
    values = sorted(set(values))
    if len(values) <= n:
        return values
    idx = sorted(set(round(i * (len(values) - 1) / (n - 1)) for i in range(n)))
    return [values[i] for i in idx]


def mlp_token_grid(max_tokens, n_points):
    """mlp_token_grid thins Vidur's num_tokens grid to about n_points (1, 2, 4 always kept)."""
    return thin_geometric(vidur_num_tokens(max_tokens), n_points, keep_first=3)


DECODE_BATCH_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64,
                      80, 96, 112, 128]


class AttnPoint:
    """AttnPoint is one attention.csv row: a prefill chunk (batch 1) or a uniform decode batch."""

    __slots__ = ("is_prefill", "chunk", "kv", "batch")

    def __init__(self, is_prefill, chunk, kv, batch):
        self.is_prefill = is_prefill
        self.chunk = chunk
        self.kv = kv
        self.batch = batch

    def key(self):
        return (self.chunk, self.kv, self.batch, self.is_prefill)

    def sort_key(self):
        return (0 if self.is_prefill else 1, self.chunk, self.kv, self.batch)

    def __repr__(self):
        if self.is_prefill:
            return "prefill(chunk=%d, kv=%d)" % (self.chunk, self.kv)
        return "decode(batch=%d, kv=%d)" % (self.batch, self.kv)


def prefill_points(max_seq_len, n_chunks=14, n_kv_per_chunk=16, n_full=32):
    """prefill_points thins Vidur's chunked-prefill and full-prefill combinations.

    Chunks are a geometric subset of Vidur's chunk sizes; for each, the kv prefixes are
    Vidur's multiples of the chunk, thinned evenly by index; full prefills (kv = 0) are a
    geometric subset of Vidur's sequence lengths. Duplicates (a chunk with kv = 0 is also a
    full prefill) are dropped."""
    seen = {}
    all_chunks = vidur_prefill_chunk_sizes(max_seq_len)
    # The chunk sizes schedulers are usually configured with are always in.
    usual = [c for c in (256, 512, 1024, 2048, 4096) if c in all_chunks]
    for c in sorted(set(thin_geometric(all_chunks, n_chunks)) | set(usual)):
        for kv in thin_even([k * c for k in range(max_seq_len // c)], n_kv_per_chunk):
            seen[(c, kv)] = AttnPoint(True, c, kv, 1)
    for length in thin_geometric([x for x in vidur_seq_lengths(max_seq_len) if x > 0], n_full):
        seen.setdefault((length, 0), AttnPoint(True, length, 0, 1))
    return sorted(seen.values(), key=AttnPoint.sort_key)


def decode_kv_sizes(max_seq_len, n_kv):
    return thin_geometric([x for x in vidur_seq_lengths(max_seq_len) if x > 0], n_kv)


def decode_points(max_seq_len, batch_sizes=None, n_kv=20):
    """decode_points is a uniform decode batch (every sequence holds kv tokens) for each
    batch size and each of about n_kv geometric kv sizes from Vidur's sequence lengths."""
    batch_sizes = DECODE_BATCH_SIZES if batch_sizes is None else batch_sizes
    return [AttnPoint(False, 0, kv, b)
            for kv in decode_kv_sizes(max_seq_len, n_kv) for b in batch_sizes]


def coarse_to_fine(n):
    """coarse_to_fine orders 0..n-1 so that every prefix covers the range evenly: both ends,
    then the midpoints of ever finer halvings. A run cut short by the budget then still has
    points across the whole grid instead of only its small end."""
    order, seen = [], set()

    def add(i):
        if i not in seen:
            seen.add(i)
            order.append(i)

    if n <= 0:
        return order
    add(0)
    add(n - 1)
    parts = 1
    while len(order) < n:
        parts *= 2
        for j in range(1, parts, 2):
            add(int(math.floor(j * (n - 1) / parts + 0.5)))
        if parts > 4 * n:
            for i in range(n):
                add(i)
    return order


def order_coarse_to_fine(items):
    return [items[i] for i in coarse_to_fine(len(items))]


def order_decode(points):
    """order_decode orders a batch x kv grid coarse-to-fine along both axes at once."""
    batches = sorted(set(p.batch for p in points))
    kvs = sorted(set(p.kv for p in points))
    rb = {batches[i]: r for r, i in enumerate(coarse_to_fine(len(batches)))}
    rk = {kvs[i]: r for r, i in enumerate(coarse_to_fine(len(kvs)))}
    return sorted(points, key=lambda p: (max(rb[p.batch], rk[p.kv]), rb[p.batch] + rk[p.kv],
                                         p.kv, p.batch))


# --------------------------------------------------------------------------------------
# Output format

STAT_KEYS = ("min", "max", "mean", "median", "std")
MLP_OPS = ("emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj",
           "post_attention_layernorm", "mlp_up_proj", "mlp_act", "mlp_down_proj", "add")
MLP_KEYS = ("n_head", "n_kv_head", "n_embd", "n_expanded_embd", "vocab_size", "use_gated_mlp",
            "num_tokens", "num_tensor_parallel_workers")
ATTN_OPS = ("attn_input_reshape", "attn_kv_cache_save", "attn_prefill", "attn_decode",
            "attn_output_reshape")
ATTN_KEYS = ("n_embd", "n_q_head", "n_kv_head", "block_size", "num_tensor_parallel_workers",
             "max_model_len", "batch_size", "prefill_chunk_size", "kv_cache_size", "is_prefill",
             "attention_backend")
BLOCK_SIZE = 16


def _stat_columns(ops):
    return ["time_stats.%s.%s" % (op, s) for op in ops for s in STAT_KEYS]


def mlp_header():
    return _stat_columns(MLP_OPS) + list(MLP_KEYS)


def attention_header():
    return _stat_columns(ATTN_OPS) + list(ATTN_KEYS)


def summarize(times_ms):
    """summarize returns Vidur's five statistics (ms) of the repetitions; std is the
    population standard deviation (numpy's default, which Vidur used)."""
    xs = sorted(float(t) for t in times_ms)
    n = len(xs)
    if n == 0:
        return None
    mean = sum(xs) / n
    median = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / n)
    return {"min": xs[0], "max": xs[-1], "mean": mean, "median": median, "std": std}


ZERO_STATS = {"min": 0.0, "max": 0.0, "mean": 0.0, "median": 0.0, "std": 0.0}


def fmt_float(x):
    """fmt_float writes a float as pandas does: repr, and an empty field for NaN/None."""
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return ""
    return repr(x)


def fmt_value(v):
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return fmt_float(v)
    return str(v)


def _stat_fields(ops, stats_by_op):
    fields = []
    for op in ops:
        st = stats_by_op.get(op)
        for s in STAT_KEYS:
            fields.append(fmt_float(st[s]) if st is not None else "")
    return fields


def mlp_row(stats_by_op, spec, tp, num_tokens):
    """mlp_row is one mlp.csv line; an op missing from stats_by_op is written as NaN (empty)."""
    keys = [spec.n_head, spec.n_kv_head, spec.n_embd, spec.n_expanded_embd, spec.vocab_size,
            True, num_tokens, tp]
    return _stat_fields(MLP_OPS, stats_by_op) + [fmt_value(v) for v in keys]


def attention_row(stats_by_op, spec, tp, point, backend):
    """attention_row is one attention.csv line. Prefill rows leave the attn_decode columns
    empty (NaN) and decode rows the attn_prefill ones, as Vidur's json_normalize does."""
    keys = [spec.n_embd, spec.n_head, spec.n_kv_head, BLOCK_SIZE, tp, spec.max_seq_len,
            point.batch, point.chunk, point.kv, point.is_prefill, backend]
    return _stat_fields(ATTN_OPS, stats_by_op) + [fmt_value(v) for v in keys]


def write_csv_atomic(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------
# Logging, budget, environment


class Log:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = open(path, "a", buffering=1)

    def __call__(self, msg):
        line = "[%7.1fs] %s" % (time.monotonic() - SCRIPT_START, msg)
        print(line, flush=True)
        self.f.write(line + "\n")


class Deadline:
    """Deadline is a point on the monotonic clock; share() splits what is left of it."""

    def __init__(self, at):
        self.at = at

    def left(self):
        return self.at - time.monotonic()

    def passed(self):
        return time.monotonic() >= self.at

    def share(self, fraction):
        now = time.monotonic()
        return Deadline(now + max(0.0, self.at - now) * fraction)


def nvidia_smi():
    query = ("name,driver_version,pci.bus_id,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,"
             "power.draw,power.limit,temperature.gpu,utilization.gpu,memory.used,memory.total,"
             "pstate")
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=" + query, "--format=csv"],
                             capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip()
    except Exception as e:  # nvidia-smi missing or hung: record why, go on
        return "unavailable: %s" % e


def write_tarball(out_dir, log):
    """write_tarball packs compute/, env.json and log.txt into h200_profile.tar.gz, atomically."""
    tmp = os.path.join(out_dir, "h200_profile.tar.gz.tmp")
    final = os.path.join(out_dir, "h200_profile.tar.gz")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for name in ("compute", "env.json", "log.txt"):
                p = os.path.join(out_dir, name)
                if os.path.exists(p):
                    tar.add(p, arcname=name)
        os.replace(tmp, final)
    except Exception as e:
        log("tarball failed: %s" % e)


def write_json_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------
# Timing


class GpuTimer:
    """GpuTimer times one op with CUDA events, Vidur-style: GPU time of the op's kernels.

    Per measurement: one untimed first call (Triton compilation, cuBLAS heuristics), then
    `warmup` calls that also estimate the op's GPU and CPU-launch time; then a
    torch.cuda._sleep kernel long enough to cover the CPU's launching of all timed
    repetitions, so that the GPU runs them back to back and the event pairs measure
    kernel time rather than Python launch gaps (Vidur read kernel times from Kineto
    traces, which exclude launch gaps too). The number of repetitions adapts: as many as
    fit in target_ms, between min_reps and max_reps. No L2 flush between repetitions."""

    def __init__(self, torch, warmup, min_reps, max_reps, target_ms, sleep_cap_ms):
        self.torch = torch
        self.warmup = max(1, warmup)
        self.min_reps = min_reps
        self.max_reps = max(min_reps, max_reps)
        self.target_ms = target_ms
        self.sleep_cap_ms = sleep_cap_ms
        ev = torch.cuda.Event
        self.events = [(ev(enable_timing=True), ev(enable_timing=True)) for _ in range(self.max_reps)]
        self.warm = (ev(enable_timing=True), ev(enable_timing=True))
        self.cycles_per_ms = self._calibrate()

    def _calibrate(self):
        """_calibrate returns the sleep kernel's cycles per ms, or None (no launch cover)."""
        try:
            return self._calibrate_sleep()
        except Exception:
            return None

    def _calibrate_sleep(self):
        torch = self.torch
        if not hasattr(torch.cuda, "_sleep"):
            return None
        torch.cuda._sleep(1000)
        torch.cuda.synchronize()
        a, b = self.warm
        cycles = 20000000
        a.record()
        torch.cuda._sleep(cycles)
        b.record()
        torch.cuda.synchronize()
        ms = a.elapsed_time(b)
        return cycles / ms if ms > 0 else None

    def describe(self):
        return {"method": "cuda_events", "first_call_untimed": 1, "warmup": self.warmup,
                "reps_min": self.min_reps, "reps_max": self.max_reps, "target_ms": self.target_ms,
                "launch_cover": "torch.cuda._sleep" if self.cycles_per_ms else "none",
                "sleep_cycles_per_ms": self.cycles_per_ms, "sleep_cap_ms": self.sleep_cap_ms,
                "l2_flush": False}

    def measure(self, fn):
        torch = self.torch
        fn()
        torch.cuda.synchronize()
        a, b = self.warm
        c0 = time.perf_counter()
        a.record()
        for _ in range(self.warmup):
            fn()
        b.record()
        cpu_ms = (time.perf_counter() - c0) * 1e3 / self.warmup
        torch.cuda.synchronize()
        gpu_ms = a.elapsed_time(b) / self.warmup
        reps = int(self.target_ms / max(gpu_ms, 1e-3))
        reps = max(self.min_reps, min(self.max_reps, reps))
        if self.cycles_per_ms:
            # Cover the CPU's whole enqueue time: gpu_ms cannot tell how much of it the GPU
            # work hides, because the warm-up ran without cover and includes launch gaps.
            sleep_ms = min(self.sleep_cap_ms, 1.5 * reps * cpu_ms + 0.05)
            torch.cuda._sleep(int(sleep_ms * self.cycles_per_ms))
        for i in range(reps):
            s, e = self.events[i]
            s.record()
            fn()
            e.record()
        torch.cuda.synchronize()
        return [s.elapsed_time(e) for s, e in self.events[:reps]]


class CpuTimer:
    """CpuTimer is the --dry-run stand-in: wall-clock per call, two repetitions."""

    def __init__(self, reps=2):
        self.reps = reps

    def describe(self):
        return {"method": "cpu_perf_counter (dry run)", "reps": self.reps}

    def measure(self, fn):
        fn()
        out = []
        for _ in range(self.reps):
            t0 = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t0) * 1e3)
        return out


# --------------------------------------------------------------------------------------
# Kernels: Triton single-kernel versions of the ops vLLM (and so Vidur) runs as one fused
# CUDA kernel each, with plain-torch fallbacks. Each Triton kernel is checked against its
# fallback on the device before use; a failure selects the fallback and is logged.

def _load_triton_module(log):
    """_load_triton_module imports h200prof_triton (beside this file); None when Triton is
    missing or the import fails."""
    if importlib.util.find_spec("triton") is None:
        return None
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        if here not in sys.path:
            sys.path.insert(0, here)
        import h200prof_triton
        return h200prof_triton
    except Exception as e:
        log("triton unavailable: %s" % e)
        return None


class Kernels:
    """Kernels holds the chosen implementation of the element-wise ops and says which it is."""

    def __init__(self, torch, use_triton, log):
        self.torch = torch
        self.F = torch.nn.functional
        self.log = log
        self.impl = {}
        self.tri = _load_triton_module(log) if use_triton else None
        self.rms_norm = self._choose("rms_norm", self._rms_triton, self._rms_eager,
                                     "torch.nn.functional.rms_norm" if hasattr(self.F, "rms_norm")
                                     else "torch eager (float32 pow/mean/rsqrt)")
        self.silu_and_mul = self._choose("silu_and_mul", self._silu_triton, self._silu_eager,
                                         "torch eager (silu then mul, 2 kernels)")
        self.rope = self._choose("rope", self._rope_triton, self._rope_eager,
                                 "torch eager (index cos/sin, ~10 element-wise kernels)")

    # eager versions -----------------------------------------------------------------
    def _rms_eager(self, x, w, eps):
        F = self.F
        if hasattr(F, "rms_norm"):
            return F.rms_norm(x, (x.shape[-1],), w, eps)
        xf = x.float()
        y = xf * self.torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
        return (y * w.float()).to(x.dtype)

    def _silu_eager(self, x):
        d = x.shape[-1] // 2
        return self.F.silu(x[..., :d]) * x[..., d:]

    def _rope_eager(self, pos, q, k, cos_sin, n_qh, n_kh, head_dim):
        """NeoX-style rotary embedding, in place on q and k ([T, heads*head_dim] views)."""
        half = head_dim // 2
        cs = cos_sin.index_select(0, pos)
        cos = cs[:, :half].unsqueeze(1)
        sin = cs[:, half:].unsqueeze(1)
        T = pos.shape[0]
        for x, h in ((q, n_qh), (k, n_kh)):
            xv = x.view(T, h, head_dim)
            x1 = xv[..., :half].float()
            x2 = xv[..., half:].float()
            xv[..., :half].copy_(x1 * cos - x2 * sin)
            xv[..., half:].copy_(x2 * cos + x1 * sin)

    # Triton versions ----------------------------------------------------------------
    def _rms_triton(self, x, w, eps):
        y = self.torch.empty_like(x)
        n = x.shape[-1]
        self.tri.rms_norm_kernel[(x.shape[0],)](
            x, w, y, x.stride(0), y.stride(0), n, eps,
            BLOCK=self.tri.triton.next_power_of_2(n), num_warps=8)
        return y

    def _silu_triton(self, x):
        d = x.shape[-1] // 2
        y = self.torch.empty((x.shape[0], d), dtype=x.dtype, device=x.device)
        block = 1024
        self.tri.silu_and_mul_kernel[(x.shape[0], self.tri.triton.cdiv(d, block))](
            x, y, d, x.stride(0), y.stride(0), BLOCK=block, num_warps=4)
        return y

    def _rope_triton(self, pos, q, k, cos_sin, n_qh, n_kh, head_dim):
        block_h = self.tri.triton.next_power_of_2(max(n_qh, n_kh))
        self.tri.rope_neox_kernel[(pos.shape[0],)](
            q, k, cos_sin, pos, q.stride(0), k.stride(0), n_qh, n_kh,
            HALF=head_dim // 2, BLOCK_H=block_h, num_warps=4)

    # selection ----------------------------------------------------------------------
    def _choose(self, name, triton_fn, eager_fn, eager_label):
        if self.tri is not None:
            try:
                err = getattr(self, "_check_" + name)(triton_fn, eager_fn)
                if err is None:
                    self.impl[name] = "triton (single kernel)"
                    return triton_fn
                self.log("triton %s rejected: %s" % (name, err))
            except Exception as e:
                self.log("triton %s failed: %s" % (name, "".join(
                    traceback.format_exception_only(type(e), e)).strip()))
        self.impl[name] = eager_label
        return eager_fn

    def _rel_err(self, a, b):
        a = a.float()
        b = b.float()
        return float((a - b).norm() / (b.norm() + 1e-12))

    def _check_rms_norm(self, fast, ref):
        torch = self.torch
        x = torch.randn(37, 4096, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(4096, device="cuda", dtype=torch.bfloat16)
        e = self._rel_err(fast(x, w, 1e-5), ref(x, w, 1e-5))
        return None if e < 2e-2 else "relative error %.3g" % e

    def _check_silu_and_mul(self, fast, ref):
        torch = self.torch
        x = torch.randn(37, 2 * 3000, device="cuda", dtype=torch.bfloat16)
        e = self._rel_err(fast(x), ref(x))
        return None if e < 2e-2 else "relative error %.3g" % e

    def _check_rope(self, fast, ref):
        torch = self.torch
        T, hq, hk, hd = 37, 32, 8, 128
        qkv = torch.randn(T, (hq + 2 * hk) * hd, device="cuda", dtype=torch.bfloat16)
        cs = rope_cache(torch, 4096, hd, 1e4, "cuda")
        pos = torch.randint(0, 4096, (T,), device="cuda")
        a = qkv.clone()
        b = qkv.clone()
        for buf, fn in ((a, fast), (b, ref)):
            fn(pos, buf[:, :hq * hd], buf[:, hq * hd:(hq + hk) * hd], cs, hq, hk, hd)
        e = self._rel_err(a, b)
        if e >= 2e-2:
            return "relative error %.3g" % e
        if self._rel_err(a[:, (hq + hk) * hd:], qkv[:, (hq + hk) * hd:]) != 0.0:
            return "wrote outside q and k"
        if self._rel_err(a, qkv) < 1e-3:
            return "did not rotate"
        return None


def rope_cache(torch, max_pos, head_dim, theta, device):
    """rope_cache is vLLM's cos_sin_cache: [max_pos, head_dim] float32, cos half then sin half."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    t = torch.arange(max_pos, dtype=torch.float32)
    freqs = torch.outer(t, inv)
    return torch.cat([freqs.cos(), freqs.sin()], dim=-1).to(device)


# --------------------------------------------------------------------------------------
# Attention implementations


class AttnImpl:
    """AttnImpl is one way to run attention: a label for the attention_backend column, a
    context (backend selection) entered around each measurement, and the call itself.

    prefill(q, k, v, prefix): q [1, Hq, c, D], k/v [1, Hkv, prefix + c, D], causal with
    the mask aligned at the bottom right (query i sees keys up to prefix + i).
    decode(q, k, v): q [B, Hq, 1, D], k/v [B, Hkv, L, D], no mask."""

    def __init__(self, label, context, prefill, decode):
        self.label = label
        self.context = context
        self.prefill = prefill
        self.decode = decode


def reference_attention(torch, q, k, v, prefix):
    """reference_attention is float32 attention with explicit GQA expansion and mask;
    prefix None means no mask."""
    rep = q.shape[1] // k.shape[1]
    kf = k.float().repeat_interleave(rep, dim=1)
    vf = v.float().repeat_interleave(rep, dim=1)
    s = torch.matmul(q.float(), kf.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if prefix is not None:
        lq, lk = q.shape[-2], k.shape[-2]
        i = torch.arange(lq, device=q.device).unsqueeze(1)
        j = torch.arange(lk, device=q.device).unsqueeze(0)
        s = s.masked_fill(j > i + prefix, float("-inf"))
    return torch.matmul(torch.softmax(s, dim=-1), vf).to(q.dtype)


def sdpa_impls(torch):
    """sdpa_impls lists the torch SDPA backends to try, most wanted first."""
    F = torch.nn.functional
    if not hasattr(F, "scaled_dot_product_attention"):
        return []
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        from torch.nn.attention.bias import causal_lower_right
    except ImportError:
        return []
    impls = []
    for name, label in (("FLASH_ATTENTION", "TORCH_SDPA_FLASH"), ("CUDNN_ATTENTION", "TORCH_SDPA_CUDNN"),
                        ("EFFICIENT_ATTENTION", "TORCH_SDPA_EFFICIENT"), ("MATH", "TORCH_SDPA_MATH")):
        backend = getattr(SDPBackend, name, None)
        if backend is None:
            continue

        def prefill(q, k, v, prefix):
            gqa = q.shape[1] != k.shape[1]
            kw = {"enable_gqa": True} if gqa else {}
            if prefix == 0:
                return F.scaled_dot_product_attention(q, k, v, is_causal=True, **kw)
            mask = causal_lower_right(q.shape[-2], k.shape[-2])
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)

        def decode(q, k, v):
            kw = {"enable_gqa": True} if q.shape[1] != k.shape[1] else {}
            return F.scaled_dot_product_attention(q, k, v, **kw)

        impls.append(AttnImpl(label, (lambda b=backend: sdpa_kernel([b])), prefill, decode))
    return impls


def choose_attention(torch, device, dtype, hq, hkv, hd, log):
    """choose_attention returns (prefill impl, decode impl): the first candidate whose output
    matches reference_attention on small inputs of these head counts."""
    ref = AttnImpl("REFERENCE_FP32",
                   contextlib.nullcontext,
                   lambda q, k, v, prefix: reference_attention(torch, q, k, v, prefix),
                   lambda q, k, v: reference_attention(torch, q, k, v, None))
    cands = sdpa_impls(torch)
    g = torch.Generator(device=device)
    g.manual_seed(1)

    # Probe tensors have the strides of the real ones: q is a [B, L, Hq, D] view of a wider
    # QKV projection row, K/V are [B, L, Hkv, D] buffers, all seen as [B, H, L, D].
    def q_like(b, length):
        qkv = torch.randn(b * length, (hq + 2 * hkv) * hd, device=device, dtype=dtype, generator=g)
        return qkv[:, :hq * hd].view(b, length, hq, hd).transpose(1, 2)

    def kv_like(b, length):
        return torch.randn(b, length, hkv, hd, device=device, dtype=dtype, generator=g).transpose(1, 2)

    cases_p = []
    for c, prefix in ((64, 0), (48, 80)):
        cases_p.append((q_like(1, c), kv_like(1, prefix + c), kv_like(1, prefix + c), prefix))
    q_d, k_d, v_d = q_like(3, 1), kv_like(3, 97), kv_like(3, 97)

    def works(fn):
        try:
            return fn()
        except Exception as e:
            return "".join(traceback.format_exception_only(type(e), e)).strip()[:300]

    chosen_p = chosen_d = None
    for impl in cands:
        if chosen_p is None:
            def try_p(impl=impl):
                with impl.context():
                    for q, k, v, prefix in cases_p:
                        e = _rel(torch, impl.prefill(q, k, v, prefix), reference_attention(torch, q, k, v, prefix))
                        if e > 2e-2:
                            return "prefill relative error %.3g (prefix %d)" % (e, prefix)
                return None
            err = works(try_p)
            if err is None:
                chosen_p = impl
            else:
                log("  attention %s prefill rejected: %s" % (impl.label, err))
        if chosen_d is None:
            def try_d(impl=impl):
                with impl.context():
                    e = _rel(torch, impl.decode(q_d, k_d, v_d), reference_attention(torch, q_d, k_d, v_d, None))
                return None if e <= 2e-2 else "decode relative error %.3g" % e
            err = works(try_d)
            if err is None:
                chosen_d = impl
            else:
                log("  attention %s decode rejected: %s" % (impl.label, err))
    return chosen_p or ref, chosen_d or ref


def _rel(torch, a, b):
    a = a.float()
    b = b.float()
    return float((a - b).norm() / (b.norm() + 1e-12))


def _shares_storage(a, b):
    try:
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    except AttributeError:
        return a.storage().data_ptr() == b.storage().data_ptr()


# --------------------------------------------------------------------------------------
# Profiling


class Ctx:
    """Ctx is what every profiling function needs: torch, the device, the timer, the
    kernels, the log, and error counting."""

    def __init__(self, torch, device, dtype, timer, kernels, log, dry_run):
        self.torch = torch
        self.device = device
        self.dtype = dtype
        self.timer = timer
        self.kernels = kernels
        self.log = log
        self.dry_run = dry_run
        self.errors = 0
        self.consecutive_errors = 0
        self.error_samples = []

    def measure(self, what, fn, context=contextlib.nullcontext):
        """measure times fn and returns its statistics, or None after logging a failure."""
        try:
            with context():
                st = summarize(self.timer.measure(fn))
            self.consecutive_errors = 0
            return st
        except Exception as e:
            self.errors += 1
            self.consecutive_errors += 1
            msg = "".join(traceback.format_exception_only(type(e), e)).strip()[:400]
            if len(self.error_samples) < 50:
                self.error_samples.append("%s: %s" % (what, msg))
            self.log("  ERROR %s: %s" % (what, msg))
            if "out of memory" in msg.lower() and not self.dry_run:
                gc.collect()
                self.torch.cuda.empty_cache()
            return None

    def broken(self):
        """broken says the device is likely unusable (a sticky CUDA error keeps failing)."""
        return self.consecutive_errors >= 25

    def randn(self, *shape, scale=1.0):
        t = self.torch.empty(*shape, device=self.device, dtype=self.dtype)
        t.normal_(0.0, scale)
        return t


def profile_mlp(ctx, spec, tp, tokens, deadline):
    """profile_mlp times the ten per-block non-attention ops for each num_tokens, with
    Vidur's TP-sharded shapes on one GPU. Returns (rows as (sort key, fields), done count)."""
    torch = ctx.torch
    F = torch.nn.functional
    hd = spec.head_dim
    hq, hkv = spec.n_head // tp, spec.n_kv_head // tp
    q_size, kv_size = hq * hd, hkv * hd
    qkv_dim = q_size + 2 * kv_size
    E = spec.n_embd
    M = spec.n_expanded_embd // tp
    V = spec.vocab_size // tp
    if not tokens or deadline.passed():
        return [], 0
    tmax = max(tokens)
    K = ctx.kernels

    w_emb = ctx.randn(V, E, scale=0.02)
    w_qkv = ctx.randn(qkv_dim, E, scale=0.02)
    w_o = ctx.randn(E, q_size, scale=0.02)
    w_up = ctx.randn(2 * M, E, scale=0.02)
    w_down = ctx.randn(E, M, scale=0.02)
    w_ln1 = ctx.randn(E)
    w_ln2 = ctx.randn(E)
    x_buf = ctx.randn(tmax, E)
    r_buf = ctx.randn(tmax, E)
    qkv_buf = ctx.randn(tmax, qkv_dim)
    attn_buf = ctx.randn(tmax, q_size)
    up_buf = ctx.randn(tmax, 2 * M)
    act_buf = ctx.randn(tmax, M)
    ids_buf = torch.randint(0, spec.vocab_size, (tmax,), device=ctx.device)
    pos_buf = torch.arange(tmax, device=ctx.device)
    cos_sin = rope_cache(torch, max(tmax, 4096), hd, spec.rope_theta, ctx.device)
    vocab_start, vocab_end = 0, V  # this GPU holds the first vocab shard

    def emb(ids):
        # VocabParallelEmbedding as in Vidur/vLLM: with tp > 1, ids of other shards are
        # looked up as 0 and their rows zeroed. Written with where/masked_fill_ rather than
        # boolean indexing, which would synchronize with the host inside the timed region.
        if tp == 1:
            return F.embedding(ids, w_emb)
        mask = (ids < vocab_start) | (ids >= vocab_end)
        masked = torch.where(mask, torch.zeros_like(ids), ids - vocab_start)
        out = F.embedding(masked, w_emb)
        out.masked_fill_(mask.unsqueeze(-1), 0.0)
        return out

    rows = []
    done = 0
    for n in order_coarse_to_fine(sorted(tokens)):
        if deadline.passed() or ctx.broken():
            break
        x, r = x_buf[:n], r_buf[:n]
        qkv = qkv_buf[:n]
        q, k = qkv[:, :q_size], qkv[:, q_size:q_size + kv_size]
        ids, pos = ids_buf[:n], pos_buf[:n]
        attn_out, up, act = attn_buf[:n], up_buf[:n], act_buf[:n]
        ops = (
            ("emb", lambda: emb(ids)),
            ("input_layernorm", lambda: K.rms_norm(x, w_ln1, spec.rms_eps)),
            ("attn_pre_proj", lambda: F.linear(x, w_qkv)),
            ("attn_rope", lambda: K.rope(pos, q, k, cos_sin, hq, hkv, hd)),
            ("attn_post_proj", lambda: F.linear(attn_out, w_o)),
            ("post_attention_layernorm", lambda: K.rms_norm(x, w_ln2, spec.rms_eps)),
            ("mlp_up_proj", lambda: F.linear(x, w_up)),
            ("mlp_act", lambda: K.silu_and_mul(up)),
            ("mlp_down_proj", lambda: F.linear(act, w_down)),
            ("add", lambda: x + r),
        )
        stats = {}
        for name, fn in ops:
            st = ctx.measure("%s tp%d %s n=%d" % (spec.name, tp, name, n), fn)
            if st is not None:
                stats[name] = st
        if stats:
            rows.append(((tp, n), mlp_row(stats, spec, tp, n)))
            done += 1
    return rows, done


def profile_attention(ctx, spec, tp, points, deadline, phase):
    """profile_attention times the attention ops of each point (all prefill or all decode).

    Per point: q/k/v come from a [T, (Hq + 2 Hkv) D] projection output (T = chunk or
    batch); attn_input_reshape splits and reshapes them (views: reported 0.0);
    attn_kv_cache_save copies the T new k and v rows into a paged cache of 16-token
    blocks through a slot mapping (index_copy_, like vLLM's reshape_and_cache);
    attn_prefill / attn_decode run attention over a contiguous K/V of prefix + chunk
    (prefill) or kv + 1 (decode) tokens per sequence; attn_output_reshape turns the
    output back into [T, Hq D] (a view when the backend returns that layout: 0.0)."""
    torch = ctx.torch
    hd = spec.head_dim
    hq, hkv = spec.n_head // tp, spec.n_kv_head // tp
    q_size, kv_size = hq * hd, hkv * hd
    qkv_dim = q_size + 2 * kv_size
    if not points or deadline.passed():
        return [], 0, None

    impl_p, impl_d = choose_attention(torch, ctx.device, ctx.dtype, hq, hkv, hd, ctx.log)
    impl = impl_p if phase == "prefill" else impl_d
    ctx.log("  %s attention backend: %s" % (phase, impl.label))

    t_max = max(p.chunk if p.is_prefill else p.batch for p in points)
    kv_tokens = max((p.kv + p.chunk) if p.is_prefill else p.batch * (p.kv + 1) for p in points)
    qkv_buf = ctx.randn(t_max, qkv_dim)
    k_buf = ctx.randn(kv_tokens * kv_size)
    v_buf = ctx.randn(kv_tokens * kv_size)
    # Paged cache: enough 16-token blocks for the longest prefill and for one block per
    # decode sequence, plus slack so that decode slots land on scattered blocks.
    max_seq = max(p.kv + p.chunk + 1 for p in points)
    n_blocks = max(4096, 4 * (max_seq // BLOCK_SIZE + 1))
    k_cache = ctx.randn(n_blocks * BLOCK_SIZE, hkv, hd)
    v_cache = ctx.randn(n_blocks * BLOCK_SIZE, hkv, hd)
    gen = torch.Generator()
    gen.manual_seed(tp * 1000 + (0 if phase == "prefill" else 1))

    rows = []
    done = 0
    order = order_coarse_to_fine(points) if phase == "prefill" else order_decode(points)
    for p in order:
        if deadline.passed() or ctx.broken():
            break
        T = p.chunk if p.is_prefill else p.batch
        qkv = qkv_buf[:T]
        # Slot mapping: each sequence owns random distinct blocks.
        blocks = torch.randperm(n_blocks, generator=gen)
        if p.is_prefill:
            tok = torch.arange(p.kv, p.kv + T)
            slots = blocks[tok // BLOCK_SIZE] * BLOCK_SIZE + tok % BLOCK_SIZE
        else:
            slots = blocks[:T] * BLOCK_SIZE + (p.kv % BLOCK_SIZE)
        slots = slots.to(ctx.device)
        what = "%s tp%d %r" % (spec.name, tp, p)

        def split():
            q = qkv[:, :q_size].reshape(T, hq, hd)
            k = qkv[:, q_size:q_size + kv_size].reshape(T, hkv, hd)
            v = qkv[:, q_size + kv_size:].reshape(T, hkv, hd)
            return q, k, v

        q3, k3, v3 = split()
        stats = {}
        if all(_shares_storage(t, qkv) for t in (q3, k3, v3)):
            stats["attn_input_reshape"] = dict(ZERO_STATS)
        else:
            st = ctx.measure(what + " input_reshape", split)
            if st is not None:
                stats["attn_input_reshape"] = st

        def save():
            k_cache.index_copy_(0, slots, k3)
            v_cache.index_copy_(0, slots, v3)

        st = ctx.measure(what + " kv_cache_save", save)
        if st is not None:
            stats["attn_kv_cache_save"] = st

        if p.is_prefill:
            L = p.kv + T
            qa = q3.view(1, T, hq, hd).transpose(1, 2)
            ka = k_buf[:L * kv_size].view(1, L, hkv, hd).transpose(1, 2)
            va = v_buf[:L * kv_size].view(1, L, hkv, hd).transpose(1, 2)
            prefix = p.kv
            run = lambda: impl.prefill(qa, ka, va, prefix)  # noqa: E731
            op = "attn_prefill"
        else:
            L = p.kv + 1
            qa = q3.view(T, 1, hq, hd).transpose(1, 2)
            ka = k_buf[:T * L * kv_size].view(T, L, hkv, hd).transpose(1, 2)
            va = v_buf[:T * L * kv_size].view(T, L, hkv, hd).transpose(1, 2)
            run = lambda: impl.decode(qa, ka, va)  # noqa: E731
            op = "attn_decode"
        st = ctx.measure(what + " " + op, run, impl.context)
        if st is not None:
            stats[op] = st
            try:
                with impl.context():
                    out = run()
                reshape = lambda: out.transpose(1, 2).reshape(T, hq * hd)  # noqa: E731
                if _shares_storage(reshape(), out):
                    stats["attn_output_reshape"] = dict(ZERO_STATS)
                else:
                    st = ctx.measure(what + " output_reshape", reshape)
                    if st is not None:
                        stats["attn_output_reshape"] = st
                del out
            except Exception as e:
                ctx.log("  ERROR %s output_reshape: %s" % (what, e))
        if op in stats:
            rows.append(((tp,) + p.sort_key(), attention_row(stats, spec, tp, p, impl.label)))
            done += 1
    return rows, done, impl.label


# --------------------------------------------------------------------------------------
# Main


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (the device tool's $OUT)")
    ap.add_argument("--budget-s", type=float, default=300.0,
                    help="wall-clock budget from process start, CUDA init included (default 300)")
    ap.add_argument("--reserve-s", type=float, default=10.0,
                    help="part of the budget kept for the final writes (default 10)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated model ids")
    ap.add_argument("--tps", default="1,2,4,8", help="comma-separated tensor-parallel degrees")
    ap.add_argument("--gpu-name", default=None, help="folder name under compute/ (default h200)")
    ap.add_argument("--mlp-points", type=int, default=60, help="num_tokens points up to 4096")
    ap.add_argument("--decode-kv-points", type=int, default=20, help="kv sizes of the decode grid")
    ap.add_argument("--what", choices=("all", "mlp", "attention"), default="all")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up calls after the first (untimed) call")
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--max-reps", type=int, default=20)
    ap.add_argument("--target-ms", type=float, default=10.0,
                    help="timed GPU work per op and point that sets the repetitions")
    ap.add_argument("--no-triton", action="store_true", help="use the eager torch element-wise ops")
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU, tiny shapes, tiny grids: checks shapes and output, not speed")
    args = ap.parse_args(argv)
    if args.gpu_name is None:
        args.gpu_name = "dryrun" if args.dry_run else "h200"
    return args


def plan(args):
    """plan returns [(spec, tp, mlp tokens, prefill points, decode points)] in run order."""
    pairs = []
    tps = [int(t) for t in args.tps.split(",") if t.strip()]
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name not in MODELS:
            raise SystemExit("unknown model %r; known: %s" % (name, ", ".join(MODELS)))
        spec = MODELS[name].tiny() if args.dry_run else MODELS[name]
        # Longer grids for the 8k models keep the point density of the 4k grid.
        n_mlp = args.mlp_points if spec.max_tokens <= 4096 else args.mlp_points + args.mlp_points // 6
        if args.dry_run:
            n_mlp = 6
        tokens = mlp_token_grid(spec.max_tokens, n_mlp)
        if args.dry_run:
            pre = prefill_points(spec.max_seq_len, n_chunks=3, n_kv_per_chunk=3, n_full=3)
            dec = decode_points(spec.max_seq_len, batch_sizes=[1, 3, 4], n_kv=3)
        else:
            pre = prefill_points(spec.max_seq_len)
            dec = decode_points(spec.max_seq_len, n_kv=args.decode_kv_points)
        if args.what == "mlp":
            pre, dec = [], []
        elif args.what == "attention":
            tokens = []
        for tp in tps:
            why = spec.check_tp(tp)
            if why:
                raise SystemExit("%s: %s" % (name, why))
            pairs.append((spec, tp, tokens, pre, dec))
    return pairs


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    log = Log(os.path.join(out_dir, "log.txt"))
    deadline = Deadline(SCRIPT_START + args.budget_s - args.reserve_s)
    pairs = plan(args)
    env = {
        "script": "tools/h200-profile/profile_kernels.py",
        "argv": sys.argv if argv is None else argv,
        "args": vars(args),
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "host": platform.node(),
        "python": sys.version,
        "dtype": "bfloat16",
        "layout": "compute/%s/<hf-model-id>/{mlp,attention}.csv (Vidur's columns; times in ms)" % args.gpu_name,
        "status": "running",
        "pairs": [],
    }
    env_path = os.path.join(out_dir, "env.json")
    signal.signal(signal.SIGTERM, _raise_interrupt)
    log("plan: %d (model, tp) pairs; budget %.0f s (reserve %.0f s)" % (len(pairs), args.budget_s, args.reserve_s))
    for spec, tp, tokens, pre, dec in pairs:
        log("  %s tp%d: %d mlp points, %d prefill points, %d decode points"
            % (spec.name, tp, len(tokens), len(pre), len(dec)))

    import torch  # deferred so that check_format.py can import this file without torch

    env["torch"] = torch.__version__
    env["torch_cuda"] = getattr(torch.version, "cuda", None)
    if args.dry_run:
        device = "cpu"
        timer = CpuTimer()
    else:
        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device visible to torch (use --dry-run on a CPU)")
        device = "cuda"
        torch.cuda.init()
        props = torch.cuda.get_device_properties(0)
        env["gpu"] = torch.cuda.get_device_name(0)
        env["capability"] = "%d.%d" % torch.cuda.get_device_capability(0)
        env["sm_count"] = props.multi_processor_count
        env["gpu_memory_bytes"] = props.total_memory
        env["cudnn"] = torch.backends.cudnn.version()
        env["nvidia_smi_start"] = nvidia_smi()
        env["optional_libs"] = {n: importlib.util.find_spec(n) is not None
                                for n in ("flash_attn", "flashinfer", "vllm", "triton")}
        # Bring the clocks up before calibrating the sleep kernel.
        a = torch.randn(4096, 4096, device=device, dtype=torch.bfloat16)
        for _ in range(100):
            a @ a
        torch.cuda.synchronize()
        del a
        timer = GpuTimer(torch, args.warmup, args.min_reps, args.max_reps, args.target_ms, sleep_cap_ms=50.0)
    env["timing"] = timer.describe()
    log("torch %s, device %s %s" % (torch.__version__, device, env.get("gpu", "")))

    results = {}  # model -> {"mlp": [(key, row)], "attention": [(key, row)]}

    def flush(status):
        for model, res in results.items():
            base = os.path.join(out_dir, "compute", args.gpu_name, *model.split("/"))
            if res["mlp"]:
                write_csv_atomic(os.path.join(base, "mlp.csv"), mlp_header(),
                                 [r for _, r in sorted(res["mlp"], key=lambda x: x[0])])
            if res["attention"]:
                write_csv_atomic(os.path.join(base, "attention.csv"), attention_header(),
                                 [r for _, r in sorted(res["attention"], key=lambda x: x[0])])
        env["status"] = status
        env["elapsed_s"] = round(time.monotonic() - SCRIPT_START, 1)
        write_json_atomic(env_path, env)
        write_tarball(out_dir, log)

    status = "complete"
    ctx = None
    try:
        with torch.inference_mode():
            kernels = Kernels(torch, not args.dry_run and not args.no_triton, log)
            env["impl"] = dict(kernels.impl)
            env["impl"]["linear"] = "torch.nn.functional.linear (cuBLAS)"
            env["impl"]["emb"] = "torch.nn.functional.embedding (+ vocab-shard masking when tp > 1)"
            env["triton"] = getattr(kernels.tri.triton, "__version__", None) if kernels.tri else None
            log("element-wise implementations: %s" % json.dumps(kernels.impl))
            ctx = Ctx(torch, device, torch.bfloat16, timer, kernels, log, args.dry_run)
            flush("running")
            for i, (spec, tp, tokens, pre, dec) in enumerate(pairs):
                pair_deadline = deadline.share(1.0 / (len(pairs) - i))
                t0 = time.monotonic()
                log("== %s tp%d (%.0f s for this pair)" % (spec.name, tp, pair_deadline.left()))
                res = results.setdefault(spec.name, {"mlp": [], "attention": []})
                rec = {"model": spec.name, "tp": tp, "mlp_planned": len(tokens),
                       "prefill_planned": len(pre), "decode_planned": len(dec)}
                if deadline.passed():
                    rec["skipped"] = "budget spent before this pair"
                    env["pairs"].append(rec)
                    continue
                weights = [w for w, pts in ((0.30, tokens), (0.25, pre), (0.45, dec)) if pts]
                total_w = sum(weights) or 1.0

                def phase_deadline(w):
                    nonlocal total_w
                    d = pair_deadline.share(w / total_w)
                    total_w -= w
                    return d

                errors_before = ctx.errors
                phases = (("mlp", tokens, 0.30), ("prefill", pre, 0.25), ("decode", dec, 0.45))
                for phase, pts, w in phases:
                    if not pts:
                        continue
                    pd = phase_deadline(w)
                    try:
                        if phase == "mlp":
                            rows, n = profile_mlp(ctx, spec, tp, pts, pd)
                            res["mlp"].extend(rows)
                        else:
                            rows, n, label = profile_attention(ctx, spec, tp, pts, pd, phase)
                            res["attention"].extend(rows)
                            rec[phase + "_backend"] = label
                        rec[phase + "_done"] = n
                        log("  %s: %d/%d points" % (phase, n, len(pts)))
                    except Exception as e:
                        # A phase-wide failure (say, out of memory for its buffers) loses
                        # that phase of this pair only.
                        ctx.errors += 1
                        msg = "".join(traceback.format_exception_only(type(e), e)).strip()[:400]
                        rec[phase + "_error"] = msg
                        log("  ERROR %s phase %s tp%d: %s" % (phase, spec.name, tp, msg))
                        log(traceback.format_exc())
                    _free(torch, device)
                    flush("running")
                rec["errors"] = ctx.errors - errors_before
                rec["seconds"] = round(time.monotonic() - t0, 1)
                env["pairs"].append(rec)
                if ctx.broken():
                    status = "aborted: %d consecutive op failures" % ctx.consecutive_errors
                    log(status)
                    break
            if status == "complete" and any(
                    r.get("mlp_done", 0) < r["mlp_planned"] or r.get("prefill_done", 0) < r["prefill_planned"]
                    or r.get("decode_done", 0) < r["decode_planned"] for r in env["pairs"]):
                status = "incomplete: budget spent or errors (partial grids; see pairs)"
    except KeyboardInterrupt:
        status = "interrupted (SIGINT/SIGTERM); files hold the pairs finished before"
    except Exception as e:
        status = "aborted: %s" % "".join(traceback.format_exception_only(type(e), e)).strip()
        log(traceback.format_exc())
    finally:
        if ctx is not None:
            env["errors"] = ctx.errors
            env["error_samples"] = ctx.error_samples
        env["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
        if not args.dry_run:
            env["nvidia_smi_end"] = nvidia_smi()
        log("status: %s" % status)
        summary(env, log)
        flush(status)
    return 0 if status == "complete" or status.startswith("incomplete") else 1


def _raise_interrupt(signum, frame):
    # A SIGTERM (say, from `timeout`) unwinds like Ctrl-C, so the final write still runs.
    raise KeyboardInterrupt("signal %d" % signum)


def _free(torch, device):
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def summary(env, log):
    log("%-28s %3s %9s %11s %11s %7s %6s" % ("model", "tp", "mlp", "prefill", "decode", "errors", "sec"))
    for r in env["pairs"]:
        log("%-28s %3d %4d/%-4d %5d/%-5d %5d/%-5d %7d %6.1f" % (
            r["model"][-28:], r["tp"], r.get("mlp_done", 0), r["mlp_planned"],
            r.get("prefill_done", 0), r["prefill_planned"], r.get("decode_done", 0),
            r["decode_planned"], r.get("errors", 0), r.get("seconds", 0.0)))


if __name__ == "__main__":
    sys.exit(main())
