"""Kernels exposed for benchmarks and tests."""
import numpy as np

from . import _engine
from ._validation import check_bool, describe


def _operand(x, name):
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} must be a 2-D array of numbers ({exc})") from None
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D; got shape {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64; got dtype {x.dtype} "
                        f"(convert with .astype(np.float32))")
    return x


def _unit_row_stride(x, trans):
    """(array whose rows have unit element stride, transposed flag) for the
    same matrix, copying only if neither x nor x.T qualifies."""
    item = x.itemsize

    def rows_ok(a):
        r, c = a.shape
        return (a.flags.aligned and (c <= 1 or a.strides[1] == item)
                and (r <= 1 or (a.strides[0] >= c * item and a.strides[0] % item == 0)))
    if rows_ok(x):
        return x, trans
    if rows_ok(x.T):
        return x.T, not trans
    return np.ascontiguousarray(x), trans


def matmul(a, b, *, trans_a=False, trans_b=False, out=None):
    """op(a) @ op(b) with fastmlp's own blocked GEMM, where op(x) is x or, with
    trans_x, x.T. Float32 or float64 2-D arrays (mixed inputs compute in
    float64); any strides; the GIL is released while it runs."""
    a, b = _operand(a, "a"), _operand(b, "b")
    trans_a, trans_b = check_bool(trans_a, "trans_a"), check_bool(trans_b, "trans_b")
    dtype = np.result_type(a.dtype, b.dtype)
    m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
    k2, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if k != k2:
        raise ValueError(f"matmul: op(a) is {m}x{k} and op(b) is {k2}x{n}; the inner dimensions "
                         f"{k} and {k2} differ")
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array; got {describe(out)}")
        if out.shape != (m, n) or out.dtype != dtype:
            raise ValueError(f"out must have shape {(m, n)} and dtype {dtype}; "
                             f"got shape {out.shape} and dtype {out.dtype}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    a, trans_a = _unit_row_stride(a, trans_a)
    b, trans_b = _unit_row_stride(b, trans_b)
    target = out
    if (out is None or (n > 1 and out.strides[1] != out.itemsize)
            or (m > 1 and out.strides[0] < n * out.itemsize)
            or np.may_share_memory(out, a) or np.may_share_memory(out, b)):
        target = np.empty((m, n), dtype=dtype)
    if m and n:
        _engine.gemm(a, trans_a, b, trans_b, target)
    if out is None:
        return target
    if target is not out:
        out[...] = target
    return out


def peak_gflops(threads=1, seconds=0.3):
    """The CPU's float32 FMA throughput with `threads` threads, measured now
    (independent FMA chains on its widest vectors): the 100 % of bench/."""
    from ._validation import check_float, check_int
    threads = check_int(threads, "threads", minimum=1)
    seconds = check_float(seconds, "seconds", 0.0, 60.0, low_open=True)
    return _engine.peak_gflops(threads, seconds)
