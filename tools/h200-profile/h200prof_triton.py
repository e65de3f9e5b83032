"""h200prof_triton holds the Triton kernels that profile_kernels.py uses for the ops vLLM
(and so Vidur's profiler) runs as one fused CUDA kernel each: RMSNorm, SiLU-and-mul and
NeoX rotary embedding. profile_kernels.py checks each against a torch reference on the
device before use and falls back to torch when one fails."""

import triton
import triton.language as tl


@triton.jit
def rms_norm_kernel(x_ptr, w_ptr, y_ptr, stride_x, stride_y, n_cols, eps, BLOCK: tl.constexpr):
    # One program per row; the row fits in one block (n_cols <= BLOCK).
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
    var = tl.sum(x * x, axis=0) / n_cols
    rstd = 1.0 / tl.sqrt(var + eps)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    y = x * rstd * w
    tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def silu_and_mul_kernel(x_ptr, y_ptr, d, stride_x, stride_y, BLOCK: tl.constexpr):
    # x is [T, 2d] (gate then up), y is [T, d] = silu(gate) * up.
    row = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = cols < d
    a = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(x_ptr + row * stride_x + d + cols, mask=mask, other=0.0).to(tl.float32)
    y = a / (1.0 + tl.exp(-a)) * b
    tl.store(y_ptr + row * stride_y + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def rope_neox_kernel(q_ptr, k_ptr, cs_ptr, pos_ptr, stride_q, stride_k, n_qh, n_kh,
                     HALF: tl.constexpr, BLOCK_H: tl.constexpr):
    # One program per token, in place on its q heads and k heads (rows of strided views of
    # the QKV projection output). cs is [max_pos, 2*HALF] float32: cos then sin.
    t = tl.program_id(0)
    pos = tl.load(pos_ptr + t)
    offs = tl.arange(0, HALF)
    cos = tl.load(cs_ptr + pos * (2 * HALF) + offs)[None, :]
    sin = tl.load(cs_ptr + pos * (2 * HALF) + HALF + offs)[None, :]
    heads = tl.arange(0, BLOCK_H)[:, None]
    qmask = heads < n_qh
    qp = q_ptr + t * stride_q + heads * (2 * HALF) + offs[None, :]
    q1 = tl.load(qp, mask=qmask, other=0.0).to(tl.float32)
    q2 = tl.load(qp + HALF, mask=qmask, other=0.0).to(tl.float32)
    tl.store(qp, (q1 * cos - q2 * sin).to(q_ptr.dtype.element_ty), mask=qmask)
    tl.store(qp + HALF, (q2 * cos + q1 * sin).to(q_ptr.dtype.element_ty), mask=qmask)
    kmask = heads < n_kh
    kp = k_ptr + t * stride_k + heads * (2 * HALF) + offs[None, :]
    k1 = tl.load(kp, mask=kmask, other=0.0).to(tl.float32)
    k2 = tl.load(kp + HALF, mask=kmask, other=0.0).to(tl.float32)
    tl.store(kp, (k1 * cos - k2 * sin).to(k_ptr.dtype.element_ty), mask=kmask)
    tl.store(kp + HALF, (k2 * cos + k1 * sin).to(k_ptr.dtype.element_ty), mask=kmask)
