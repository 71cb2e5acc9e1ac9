"""Kernels exposed for benchmarks and tests: fastmlp's own GEMM and the
machine's measured floating-point peak. Keras has no counterpart (its
``keras.ops.matmul`` is the nearest).

Examples
--------
>>> import numpy as np, fastmlp as fm
>>> a = np.ones((2, 3), np.float32)
>>> fm.ops.matmul(a, a, trans_b=True)
array([[3., 3.],
       [3., 3.]], dtype=float32)
"""
from __future__ import annotations

from typing import Any, Optional

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


def matmul(a: Any, b: Any, *, trans_a: bool = False, trans_b: bool = False,
           out: Optional[np.ndarray] = None) -> np.ndarray:
    """``op(a) @ op(b)`` with fastmlp's own blocked GEMM, where op(x) is x or x.T.

    The kernel that trains and runs the models (SIMD micro-kernels chosen for
    this CPU, threads over output rows and columns, so the result does not
    depend on the thread count). Any strides are read in place; the GIL is
    released while it runs, and Ctrl-C interrupts it.

    Parameters
    ----------
    a, b : array_like
        2-D float32 or float64 arrays (lists are converted; mixed dtypes
        compute in float64).
    trans_a, trans_b : bool, default False
        Use ``a.T`` (``b.T``) instead of `a` (`b`), without copying.
    out : ndarray, optional
        A writeable array of the result's shape and dtype to write into.

    Returns
    -------
    ndarray
        The (m, n) product, `out` when given.

    Raises
    ------
    ValueError
        If the arrays are not 2-D, the inner dimensions differ, or `out` has the
        wrong shape or dtype or is read-only.
    TypeError
        If an operand is not float32 or float64, or `out` is not an ndarray.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> a = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> b = np.ones((2, 4), np.float32)
    >>> fm.ops.matmul(a, b, trans_a=True).shape
    (3, 4)
    >>> bool(np.allclose(fm.ops.matmul(a, a, trans_b=True), a @ a.T))
    True
    """
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


def peak_gflops(threads: int = 1, seconds: float = 0.3) -> float:
    """Measure the CPU's float32 FMA throughput now: the 100 % of bench/.

    Independent FMA chains on the widest vectors the SIMD path in use has, run
    by `threads` threads for about `seconds`. On a busy or throttled machine
    the figure is low; compare against it within one run.

    Parameters
    ----------
    threads : int, default 1
        Threads that run the probe at once (1 to 4096).
    seconds : float, default 0.3
        How long to measure, in (0, 60].

    Returns
    -------
    float
        Billions of floating-point operations per second (an FMA counts 2).

    Raises
    ------
    ValueError
        If `threads` or `seconds` is out of range.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.ops.peak_gflops(seconds=0.01) > 0
    True
    """
    threads = check_int(threads, "threads", minimum=1, maximum=MAX_THREADS)
    seconds = check_float(seconds, "seconds", 0.0, 60.0, low_open=True)
    return _engine.peak_gflops(threads, seconds)
