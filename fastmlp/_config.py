"""Threads and build facts."""
from __future__ import annotations

import contextlib
import platform
import sys
from typing import Any, Iterator, Optional, TextIO

import numpy as np

from . import _engine
from ._validation import check_int

__all__ = ["get_num_threads", "set_num_threads", "thread_count", "config", "show_config",
           "MAX_THREADS"]


def get_num_threads() -> int:
    """The number of threads fastmlp's kernels use.

    That is the value given to `set_num_threads`, else ``OMP_NUM_THREADS``, else
    all the processors of the machine. A process forked after fastmlp has used
    its threads runs single-threaded (GNU OpenMP's thread pool does not survive
    ``fork``), and then this returns 1. Keras has no such function (TensorFlow's
    is ``tf.config.threading.get_intra_op_parallelism_threads``).

    Returns
    -------
    int
        A positive number of threads.

    See Also
    --------
    set_num_threads, show_config

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.get_num_threads() >= 1
    True
    """
    return _engine.get_num_threads()


MAX_THREADS = 4096
_requested = None  # set_num_threads's argument: None means the default


def set_num_threads(n: Optional[int]) -> None:
    """Set the number of threads fastmlp's kernels use, for the whole process.

    Results do not depend on the thread count: work is split over output rows
    and columns only, so training and prediction are bitwise identical for any
    `n`. The count applies to fastmlp's own OpenMP runtime as threadpoolctl's
    limits do.

    Parameters
    ----------
    n : int or None
        A number of threads from 1 to 4096, or None for the default
        (``OMP_NUM_THREADS`` when set, else all processors).

    Raises
    ------
    TypeError
        If `n` is not an integer or None.
    ValueError
        If `n` is below 1 or above 4096.

    See Also
    --------
    get_num_threads

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.set_num_threads(1)
    >>> fm.get_num_threads()
    1
    >>> fm.set_num_threads(None)   # back to the default
    """
    global _requested
    if n is None:
        _engine.set_num_threads(0)
    else:
        _engine.set_num_threads(check_int(n, "n", minimum=1, maximum=MAX_THREADS))
    _requested = n


@contextlib.contextmanager
def thread_count(n: Optional[int]) -> Iterator[None]:
    """set_num_threads(n) for a block, then back to the previous setting
    (the default stays the default rather than becoming a fixed number)."""
    previous = _requested
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)


def config() -> dict:
    """Build and run-time facts as a dict: what ``show_config`` prints.

    Returns
    -------
    dict
        The fastmlp, Python and numpy versions and the platform, then the
        engine's facts (``fastmlp._engine.config()``: compiler, OpenMP, SIMD
        paths, threads, contention). A new dict on every call.
    """
    from . import __version__

    info = {"fastmlp": __version__, "python": sys.version.split()[0], "numpy": np.__version__,
            "platform": f"{platform.system()} {platform.machine()}"}
    info.update(_engine.config())
    return info


def _contention(info: dict) -> str:
    events = info["contention_events"]
    now = "other processes hold the cores now: only large work is split between threads"
    if info["contended"]:
        return now
    if events:
        return (f"seen {events} time{'s' if events != 1 else ''} so far (work was split less "
                f"while it lasted); none now")
    return "none seen (threads that start late make fastmlp split only large work)"


def show_config(file: Optional[TextIO] = None) -> None:
    """Print how fastmlp was built and how it runs here.

    The lines give fastmlp's, Python's and numpy's versions, the compiler,
    whether OpenMP is in (a serial build says so), the SIMD path in use and the
    best one for this CPU (``FASTMLP_ISA=generic|avx2|avx512|avx512_vnni|avx512_bf16``
    forces a lower one), the bfloat16 and int8 kernels of that path, the
    threads, and whether other processes were seen keeping the cores busy.
    Like ``numpy.show_config``; Keras has no counterpart.

    Parameters
    ----------
    file : file-like, optional
        Where to write; default ``sys.stdout``.

    Examples
    --------
    >>> import io, fastmlp as fm
    >>> out = io.StringIO()
    >>> fm.show_config(file=out)
    >>> out.getvalue().splitlines()[0] == f"fastmlp {fm.__version__}"
    True
    >>> any(line.strip().startswith("int8:") for line in out.getvalue().splitlines())
    True
    """
    info = config()
    simd = info["simd"]
    if info["simd_requested"]:
        simd += f" (FASTMLP_ISA={info['simd_requested']}"
        simd += ")" if info["simd_requested"] == info["simd"] else ": not supported here, ignored)"
    elif info["simd"] != info["simd_detected"]:
        simd += " (forced)"
    openmp = f"yes (version {info['openmp_version']})" if info["openmp"] else "no (serial build)"
    lines = [
        f"fastmlp {info['fastmlp']}",
        f"  python:      {info['python']} on {info['platform']}",
        f"  numpy:       {info['numpy']}",
        f"  compiler:    {info['compiler']}",
        f"  openmp:      {openmp}",
        f"  simd path:   {simd}; best for this CPU: {info['simd_detected']}",
        f"  bfloat16:    {info['bf16_kernels'] or 'none (needs AVX512_BF16)'}"
        + (" (mixed_bfloat16, quantize('bfloat16'))" if info["bf16_kernels"] else ""),
        f"  int8:        {info['int8_kernels']} (quantize('int8'))",
        f"  threads:     {info['num_threads']} of {info['num_procs']} processors"
        + (" (single-threaded: forked after the parent used threads)"
           if info["forked_single_threaded"] else ""),
        f"  contention:  {_contention(info)}",
    ]
    print("\n".join(lines), file=file or sys.stdout)
