"""Build of fastmlp's compiled engine: one extension, fastmlp._engine, from the
Cython shell and the C core in csrc/.

OpenMP is used when the compiler can build and link a program with it (or not
at all with FASTMLP_NO_OPENMP=1); the serial build works the same, slower, and
fm.show_config() says which one was made. The build targets the baseline
instruction set: the AVX2 and AVX-512 kernel files select their own
instruction sets with `#pragma GCC target`, and csrc/cpu.c picks one at run time.

The extension's C files (csrc/*.c and the _engine.c that Cython generates from
_engine.pyx) are compiled concurrently, FASTMLP_BUILD_JOBS at a time (default:
the CPUs this process may use; `build_ext -j N` also sets it), with one line
per file as it finishes. Only what compiles runs at build time: the OpenMP
probe, numpy's headers and Cython are left out of the metadata and sdist steps.
"""
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent
CSRC = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "csrc").glob("*.c"))

# Started first so that the jobs end together (longest first): with gcc 12 at
# -O3 each AVX-512 GEMM file takes ~8 s, the generated _engine.c ~4 s and the
# AVX2 GEMM ~2 s; every other file takes well under 1 s. Only the order depends
# on this list: a file missing from it merely starts later.
SLOWEST_FIRST = ["csrc/gemm_avx512.c", "csrc/gemm_avx512_skinny.c",
                 "fastmlp/_engine.c", "csrc/gemm_avx2.c"]


def openmp_flags():
    """(compile flags, link flags) for OpenMP, or None when unavailable."""
    if os.environ.get("FASTMLP_NO_OPENMP", "") not in ("", "0"):
        return None
    if sys.platform == "darwin":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"]), (["-fopenmp"], ["-fopenmp"])]
    elif sys.platform == "win32":
        candidates = [(["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    compiler = (sysconfig.get_config_var("CC") or "cc").split()
    if os.environ.get("CC"):
        compiler = os.environ["CC"].split()
    probe = "#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(probe)
        for cflags, ldflags in candidates:
            cmd = compiler + cflags + [str(src), "-o", str(Path(tmp) / "probe")] + ldflags
            try:
                ok = subprocess.run(cmd, capture_output=True).returncode == 0
            except OSError:
                ok = False
            if ok:
                return cflags, ldflags
    return None


def build_jobs(parallel):
    """How many files to compile at once: build_ext's -j, else FASTMLP_BUILD_JOBS,
    else the CPUs this process may run on."""
    if parallel and parallel is not True:
        return int(parallel)
    value = os.environ.get("FASTMLP_BUILD_JOBS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            sys.exit(f"FASTMLP_BUILD_JOBS={value!r}: expected a whole number of jobs, 1 or more")
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def log(message):
    # one write per line: the compiling threads log concurrently
    sys.stderr.write(f"fastmlp: {message}\n")
    sys.stderr.flush()


class BuildExt(build_ext):
    """setuptools' build_ext (Cython's when Cython is installed, which turns the
    .pyx into C) with OpenMP found once, at build time, and the C files of each
    extension compiled by a pool of threads, each running one compiler process."""

    def build_extensions(self):
        import numpy

        omp = openmp_flags()
        if omp is not None:
            log("building with OpenMP")
        else:
            log("OpenMP not available, building the serial engine")
        for ext in self.extensions:
            ext.include_dirs.insert(0, numpy.get_include())
            if omp is not None:
                ext.extra_compile_args += omp[0]
                ext.extra_link_args += omp[1]
        self.compiler.compile = self.concurrent(self.compiler.compile, build_jobs(self.parallel))
        super().build_extensions()

    @staticmethod
    def concurrent(compile_files, jobs):
        """The compiler's compile(sources, ...) made to compile each source in its
        own call, `jobs` at a time; objects come back in the order of `sources`."""
        def compile_one(source, args, kwargs):
            start = time.monotonic()
            objects = compile_files([source], *args, **kwargs)
            return objects, time.monotonic() - start

        def compile_all(sources, *args, **kwargs):
            order = sorted(sources, key=lambda s: (
                SLOWEST_FIRST.index(s) if s in SLOWEST_FIRST else len(SLOWEST_FIRST)))
            width = len(str(len(sources)))
            log(f"compiling {len(sources)} files, {jobs} at a time (FASTMLP_BUILD_JOBS)")
            objects = {}
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(compile_one, s, args, kwargs): s for s in order}
                try:
                    for done, future in enumerate(as_completed(futures), 1):
                        source = futures[future]
                        objects[source], seconds = future.result()
                        log(f"[{done:{width}}/{len(sources)}] compiled {source} in {seconds:.1f} s")
                except BaseException:
                    for future in futures:
                        future.cancel()  # the ones not started; running compilers finish
                    raise
            return [obj for source in sources for obj in objects[source]]

        return compile_all


def extension():
    compile_args = []
    if sys.platform != "win32":
        compile_args += ["-O3", "-fno-math-errno", "-std=gnu11", "-g0"]
    return Extension(
        "fastmlp._engine",
        sources=["fastmlp/_engine.pyx"] + CSRC,
        include_dirs=["csrc"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
        extra_link_args=[],
        depends=[str(p.relative_to(ROOT)) for p in (ROOT / "csrc").iterdir()],
    )


setup(ext_modules=[extension()], cmdclass={"build_ext": BuildExt})
