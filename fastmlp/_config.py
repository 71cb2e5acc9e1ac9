"""Threads and build facts."""
import contextlib
import platform
import sys

import numpy as np

from . import _engine
from ._validation import check_int


def get_num_threads():
    """Threads fastmlp's kernels use: set_num_threads's value, else
    OMP_NUM_THREADS, else all cores."""
    return _engine.get_num_threads()


MAX_THREADS = 4096
_requested = None  # set_num_threads's argument: None means the default


def set_num_threads(n):
    """Use n threads (a positive integer), or None for the default."""
    global _requested
    if n is None:
        _engine.set_num_threads(0)
    else:
        _engine.set_num_threads(check_int(n, "n", minimum=1, maximum=MAX_THREADS))
    _requested = n


@contextlib.contextmanager
def thread_count(n):
    """set_num_threads(n) for a block, then back to the previous setting
    (the default stays the default rather than becoming a fixed number)."""
    previous = _requested
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(previous)


def config():
    """Build and run-time facts as a dict (what show_config prints)."""
    from . import __version__

    info = {"fastmlp": __version__, "python": sys.version.split()[0], "numpy": np.__version__,
            "platform": f"{platform.system()} {platform.machine()}"}
    info.update(_engine.config())
    return info


def _contention(info):
    events = info["contention_events"]
    now = "other processes hold the cores now: only large work is split between threads"
    if info["contended"]:
        return now
    if events:
        return (f"seen {events} time{'s' if events != 1 else ''} so far (work was split less "
                f"while it lasted); none now")
    return "none seen (threads that start late make fastmlp split only large work)"


def show_config(file=None):
    """Print the version, compiler, OpenMP, SIMD path chosen (with its bfloat16
    and int8 kernels) and threads."""
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
