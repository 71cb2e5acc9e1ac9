"""Importing fastmlp from a source checkout whose fastmlp/ was never built in place,
as `pip install . && python -m fastmlp.demo` does when run from the project root."""
import os
import shutil
import subprocess
import sys

import fastmlp as fm

ENGINE_DIR = os.path.dirname(fm._engine.__file__)


def _unbuilt_checkout(tmp_path):
    """A copy of the package's Python sources, without the compiled engine."""
    source = tmp_path / "checkout" / "fastmlp"
    shutil.copytree(ENGINE_DIR, source, ignore=shutil.ignore_patterns(
        "_engine*.so", "_engine*.pyd", "*.c", "__pycache__"))
    return source.parent


def _run(args, cwd, pythonpath):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_unbuilt_sources_defer_to_the_installed_engine(tmp_path):
    checkout = _unbuilt_checkout(tmp_path)
    code = ("import numpy as np, fastmlp as fm\n"
            "m = fm.Sequential([fm.Dense(3, activation='softmax', input_dim=4)])\n"
            "p = m.predict(np.ones((2, 4), dtype='float32'), verbose=0)\n"
            "print(fm._engine.__file__)\n"
            "print(round(float(p.sum()), 4))")
    # the current directory (the checkout) leads sys.path, as with `python -m` or `-c`
    result = _run(["-c", code], checkout, os.path.dirname(ENGINE_DIR))
    assert result.returncode == 0, result.stderr
    engine_file, total = result.stdout.split("\n")[:2]
    assert os.path.dirname(engine_file) == ENGINE_DIR
    assert float(total) == 2.0


def test_the_demo_runs_as_a_module_from_an_unbuilt_checkout(tmp_path):
    result = _run(["-m", "fastmlp.demo", "--help"], _unbuilt_checkout(tmp_path),
                  os.path.dirname(ENGINE_DIR))
    assert result.returncode == 0, result.stderr
    assert "--epochs" in result.stdout


def test_unbuilt_sources_without_an_installed_copy_say_how_to_build(tmp_path):
    checkout = _unbuilt_checkout(tmp_path)
    # -S: no site-packages, so no installed fastmlp anywhere on sys.path
    result = _run(["-S", "-c", "import fastmlp"], checkout, None)
    assert result.returncode != 0
    assert "compiled engine is missing" in result.stderr
    assert "pip install ." in result.stderr
