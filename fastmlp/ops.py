"""Kernels exposed for benchmarks and tests."""
import numpy as np

from . import _engine
from ._config import MAX_THREADS
from ._validation import _FAST_FLOATS as _FLOATS
from ._validation import check_bool, check_float, check_int, describe, to_array

__all__ = ["matmul", "peak_gflops"]


def _operand(x, name):
    if not isinstance(x, np.ndarray):
        x = to_array(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D; got shape {x.shape}")
    if x.dtype not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64; got dtype {x.dtype} "
                        f"(convert with .astype(np.float32))")
    return x


def matmul(a, b, *, trans_a=False, trans_b=False, out=None):
    """op(a) @ op(b) with fastmlp's own blocked GEMM, where op(x) is x or, with
    trans_x, x.T. Float32 or float64 2-D arrays (mixed inputs compute in
    float64); any strides; the GIL is released while it runs."""
    if not (type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2
            and a.dtype == b.dtype and a.dtype in _FLOATS):
        a, b = _operand(a, "a"), _operand(b, "b")
        dtype = np.result_type(a.dtype, b.dtype)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    if trans_a is not False and trans_a is not True:
        trans_a = check_bool(trans_a, "trans_a")
    if trans_b is not False and trans_b is not True:
        trans_b = check_bool(trans_b, "trans_b")
    m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
    k2, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if k != k2:
        raise ValueError(f"matmul: op(a) is {m}x{k} and op(b) is {k2}x{n}; the inner dimensions "
                         f"{k} and {k2} differ")
    if out is not None:
        if type(out) is not np.ndarray:
            raise TypeError(f"out must be a numpy array; got {describe(out)}")
        if out.shape != (m, n) or out.dtype != a.dtype:
            raise ValueError(f"out must have shape {(m, n)} and dtype {a.dtype}; "
                             f"got shape {out.shape} and dtype {out.dtype}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
    return _engine.matmul(a, b, trans_a, trans_b, out)


def peak_gflops(threads=1, seconds=0.3):
    """The CPU's float32 FMA throughput with `threads` threads, measured now
    (independent FMA chains on its widest vectors): the 100 % of bench/."""
    threads = check_int(threads, "threads", minimum=1, maximum=MAX_THREADS)
    seconds = check_float(seconds, "seconds", 0.0, 60.0, low_open=True)
    return _engine.peak_gflops(threads, seconds)
