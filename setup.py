"""Build of fastmlp's compiled engine: one extension, fastmlp._engine, from the
Cython shell and the C core in csrc/.

OpenMP is used when the compiler can build and link a program with it (or not
at all with FASTMLP_NO_OPENMP=1); the serial build works the same, slower, and
fm.show_config() says which one was made. The build targets the baseline
instruction set: the AVX2 and AVX-512 kernel files select their own
instruction sets with `#pragma GCC target`, and csrc/cpu.c picks one at run time.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

ROOT = Path(__file__).parent
CSRC = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "csrc").glob("*.c"))


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


def extension():
    compile_args, link_args = [], []
    if sys.platform != "win32":
        compile_args += ["-O3", "-fno-math-errno", "-std=gnu11", "-g0"]
    omp = openmp_flags()
    if omp is not None:
        compile_args += omp[0]
        link_args += omp[1]
        print("fastmlp: building with OpenMP", file=sys.stderr)
    else:
        print("fastmlp: OpenMP not available, building the serial engine", file=sys.stderr)
    return Extension(
        "fastmlp._engine",
        sources=["fastmlp/_engine.pyx"] + CSRC,
        include_dirs=[numpy.get_include(), "csrc"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        depends=[str(p.relative_to(ROOT)) for p in (ROOT / "csrc").iterdir()],
    )


setup(ext_modules=cythonize([extension()], language_level=3))
