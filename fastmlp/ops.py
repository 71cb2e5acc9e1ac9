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
from ._validation import (check_bool, check_finite, check_float, check_int, contiguous, describe,
                          require_bf16, to_array)

__all__ = ["matmul", "peak_gflops", "peak_gops", "QuantizedMatrix", "quantized_matmul"]

PRECISIONS = (None, "float32", "float64", "bfloat16")


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
           out: Optional[np.ndarray] = None, precision: Optional[str] = None) -> np.ndarray:
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
    precision : {None, "float32", "float64", "bfloat16"}, default None
        None (or the arrays' dtype): their own precision. ``"bfloat16"``
        (float32 arrays): the operands rounded to bfloat16 (to nearest, ties
        to even) as they are packed and the products summed in float32 with
        ``vdpbf16ps``, what ``dtype="mixed_bfloat16"`` models compute.

    Returns
    -------
    ndarray
        The (m, n) product, `out` when given.

    Raises
    ------
    ValueError
        If the arrays are not 2-D, the inner dimensions differ, `out` has the
        wrong shape or dtype or is read-only, or `precision` is unknown;
        ``CPUFeatureError`` (a ValueError) for ``"bfloat16"`` on a CPU (or
        forced SIMD path) without AVX512_BF16.
    TypeError
        If an operand is not float32 or float64, `out` is not an ndarray, or
        `precision` does not match the arrays.

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
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}")
    bf16 = precision == "bfloat16"
    if bf16 and a.dtype != np.float32:
        raise TypeError(f"precision='bfloat16' takes float32 arrays; got {a.dtype}")
    if precision in ("float32", "float64") and a.dtype != np.dtype(precision):
        raise TypeError(f"precision={precision!r} needs {precision} arrays; got {a.dtype}")
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
    return _engine.matmul(a, b, trans_a, trans_b, out, bf16)


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


def peak_gops(instruction: str = "fma", threads: int = 1, seconds: float = 0.3) -> float:
    """Measure one instruction's throughput now: the 100 % of bench/'s bf16 and int8 rows.

    Independent chains of the instruction on zmm registers, run by `threads`
    threads for about `seconds`, as `peak_gflops` does for the float32 FMA.

    Parameters
    ----------
    instruction : {"fma", "bf16", "vnni"}, default "fma"
        ``"fma"``: float32 FMA (as `peak_gflops`); ``"bf16"``: ``vdpbf16ps``
        (two bfloat16 products per float32 lane); ``"vnni"``: ``vpdpbusd``
        (four u8 x s8 products per int32 lane).
    threads : int, default 1
        Threads that run the probe at once (1 to 4096).
    seconds : float, default 0.3
        How long to measure, in (0, 60].

    Returns
    -------
    float
        Billions of operations per second (a multiply-add counts 2); 0.0 when
        the CPU lacks the instruction.

    Raises
    ------
    ValueError
        For an unknown instruction, or `threads` or `seconds` out of range.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.ops.peak_gops("vnni", seconds=0.01) >= 0
    True
    """
    kind = _engine.PEAKS.get(instruction)
    if kind is None:
        raise ValueError(f"instruction must be one of {sorted(_engine.PEAKS)}; got {instruction!r}")
    threads = check_int(threads, "threads", minimum=1, maximum=MAX_THREADS)
    seconds = check_float(seconds, "seconds", 0.0, 60.0, low_open=True)
    return _engine.peak(kind, threads, seconds)


class QuantizedMatrix:
    """A (k, n) matrix quantized and packed once, for products
    quantized_matmul(x, it) as a quantized Dense layer computes them.

    Parameters
    ----------
    b : array-like, shape (k, n)
        Float values.
    mode : {"int8", "bfloat16"}
        ``"int8"``: per column, as Keras quantizes a kernel (``kernel_scale =
        127 / max(abs(column))``); ``"bfloat16"``: rounded to nearest even
        (needs AVX512_BF16, else ``CPUFeatureError``, a ValueError).

    Attributes
    ----------
    shape : tuple
    mode : str
    kernel : ndarray
        int8 values, or float32 values rounded to bfloat16.
    kernel_scale : ndarray or None
        int8: per column, ``kernel`` is about ``b * kernel_scale``.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> q = fm.ops.QuantizedMatrix(np.eye(3), "int8")
    >>> fm.ops.quantized_matmul(np.ones((1, 3), np.float32), q).round(3).tolist()
    [[1.0, 1.0, 1.0]]
    """

    def __init__(self, b: Any, mode: str = "int8") -> None:
        from .quantization import quantize_kernel_int8, round_to_bfloat16

        b = _operand(b, "b")
        check_finite(b, "b")
        if mode not in ("int8", "bfloat16"):
            raise ValueError(f"mode must be 'int8' or 'bfloat16'; got {mode!r}")
        if mode == "bfloat16":
            require_bf16("a bfloat16 QuantizedMatrix")
        if mode == "int8" and b.shape[0] > _engine.S8_MAX_K:
            raise ValueError(f"int8 products take at most {_engine.S8_MAX_K} rows of b; got "
                             f"{b.shape[0]}")
        if min(b.shape) < 1:
            raise ValueError(f"b must not be empty; got shape {b.shape}")
        self.mode = mode
        if mode == "int8":
            self.kernel, self.kernel_scale = quantize_kernel_int8(b)
        else:
            self.kernel, self.kernel_scale = round_to_bfloat16(b), None
        self._packed = _engine.PackedWeights(mode, self.kernel, self.kernel_scale)

    @property
    def shape(self) -> tuple:
        """The matrix's shape, (k, n), as given to the constructor.

        A tuple of two ints: rows (the inner dimension) and columns.
        """
        return self.kernel.shape

    def __repr__(self):
        return f"<QuantizedMatrix mode={self.mode}, shape={self.shape}>"


def quantized_matmul(a: Any, b: QuantizedMatrix, *,
                     out: Optional[np.ndarray] = None) -> np.ndarray:
    """``a @ b`` for a `QuantizedMatrix` b, as a quantized Dense layer computes it.

    ``"int8"``: each row of `a` is quantized to uint8 with its own step and
    zero point, the products are summed exactly in int32 and dequantized
    (the same bits on every CPU and thread count). ``"bfloat16"``: `a` is
    rounded to bfloat16 and the products summed in float32.

    Parameters
    ----------
    a : array_like, shape (m, k)
        Finite float values.
    b : QuantizedMatrix
        The (k, n) quantized matrix.
    out : ndarray, optional
        A writable, aligned, C-contiguous float32 (m, n) array to write into.

    Returns
    -------
    ndarray of float32, shape (m, n)
        The product, `out` when given.

    Raises
    ------
    TypeError
        If `b` is not a QuantizedMatrix.
    ValueError
        If the inner dimensions differ, `a` is not finite, or `out` does not fit.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> b = np.array([[1.0, -2.0], [0.5, 4.0]])
    >>> q = fm.ops.QuantizedMatrix(b, "int8")
    >>> a = np.array([[2.0, 1.0]], np.float32)
    >>> bool(np.allclose(fm.ops.quantized_matmul(a, q), a @ b, atol=0.1))
    True
    """
    if not isinstance(b, QuantizedMatrix):
        raise TypeError(f"b must be a fm.ops.QuantizedMatrix; got {describe(b)}")
    a = _operand(a, "a")
    check_finite(a, "a")
    k, n = b.shape
    if a.shape[1] != k:
        raise ValueError(f"quantized_matmul: a is {a.shape[0]}x{a.shape[1]} and b is {k}x{n}; "
                         f"the inner dimensions {a.shape[1]} and {k} differ")
    a = contiguous(a, np.float32)
    if out is not None:
        if (type(out) is not np.ndarray or out.shape != (a.shape[0], n) or out.dtype != np.float32
                or not out.flags.c_contiguous or not out.flags.aligned or not out.flags.writeable):
            raise ValueError(f"out must be a writable, aligned, C-contiguous float32 array of shape "
                             f"{(a.shape[0], n)}")
    target = out if out is not None else np.empty((a.shape[0], n), dtype=np.float32)
    if a.shape[0]:
        _engine.packed_matmul(a, b._packed, target)
    return target
