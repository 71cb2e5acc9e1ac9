"""Shared fixtures.

The tests exercise the installed fastmlp. `python -m pytest` puts the project
root on sys.path, where fastmlp/ holds sources without the compiled engine,
so the root is dropped from sys.path unless an in-place build is there
(python setup.py build_ext --inplace, or an editable install)."""
import os
import subprocess
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _in_tree_engine():
    package = os.path.join(_ROOT, "fastmlp")
    return os.path.isdir(package) and any(
        name.startswith("_engine") and name.endswith((".so", ".pyd")) for name in os.listdir(package))


if not _in_tree_engine():
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _ROOT]

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fastmlp as fm  # noqa: E402
from fastmlp import _engine  # noqa: E402

ALL_ISAS = ["generic", "avx2", "avx512", "avx512_vnni", "avx512_bf16"]


def supported_isas():
    """The SIMD paths this CPU can run (forcing each is how every path gets tested)."""
    chosen = _engine.config()["simd"]
    found = [isa for isa in ALL_ISAS if _engine.force_isa(isa)]
    _engine.force_isa(chosen)
    return found


@pytest.fixture(params=ALL_ISAS)
def isa(request):
    """Run the test once per SIMD path, forced through the dispatch override."""
    before = _engine.config()["simd"]
    if not _engine.force_isa(request.param):
        pytest.skip(f"this CPU cannot run the {request.param} path")
    yield request.param
    _engine.force_isa(before)


@pytest.fixture(params=ALL_ISAS)
def bf16_path(request):
    """Each SIMD path forced, with bfloat16 products on it: its own kernels
    where it has them (yields (isa, False)), else the emulated reference
    kernels that only tests can enable (yields (isa, True))."""
    before = _engine.config()["simd"]
    if not _engine.force_isa(request.param):
        pytest.skip(f"this CPU cannot run the {request.param} path")
    emulated = not _engine.bf16_supported()
    previous = _engine._test_bf16_emulation(emulated)
    try:
        yield request.param, emulated
    finally:
        _engine._test_bf16_emulation(previous)
        _engine.force_isa(before)


def bf16_isas():
    """The SIMD paths with bfloat16 kernels of their own on this CPU."""
    chosen = _engine.config()["simd"]
    found = [isa for isa in ALL_ISAS if _engine.force_isa(isa) and _engine.bf16_supported()]
    _engine.force_isa(chosen)
    return found


@pytest.fixture
def threads():
    """Lets a test change the thread count; restores the default afterwards."""
    yield fm.set_num_threads
    fm.set_num_threads(None)


@pytest.fixture(autouse=True)
def _seeded():
    fm.set_random_seed(12345)
    yield


def run_python(code, cwd, timeout=300, **env):
    """Run code in a fresh interpreter that imports the fastmlp under test. cwd should
    lie outside the project: `python -c` puts it first on sys.path."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fm.__file__)))
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=path, **env), cwd=cwd, timeout=timeout)


def numeric_gradients(model, value, h=1e-6):
    """Central differences of value() (a scalar of the model's current weights)
    with respect to each weight array of model.get_weights()."""
    weights = model.get_weights()
    grads = []
    for index, w in enumerate(weights):
        g = np.zeros_like(w)
        for pos in np.ndindex(w.shape):
            values = []
            for sign in (1, -1):
                trial = [v.copy() for v in weights]
                trial[index][pos] += sign * h
                model.set_weights(trial)
                values.append(value())
            g[pos] = (values[0] - values[1]) / (2 * h)
        grads.append(g)
    model.set_weights(weights)
    return grads


def two_moons(n, noise, rng):
    """Two interleaving half circles (as sklearn.datasets.make_moons), labels 0/1."""
    half = n // 2
    t_out = rng.uniform(0, np.pi, half)
    t_in = rng.uniform(0, np.pi, n - half)
    outer = np.c_[np.cos(t_out), np.sin(t_out)]
    inner = np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]
    x = np.vstack([outer, inner]) + rng.normal(0, noise, (n, 2))
    y = np.r_[np.zeros(half), np.ones(n - half)]
    order = rng.permutation(n)
    return x[order], y[order]


def pytest_collection_modifyitems(config, items):
    """Tests marked slow run only when asked for (pytest -m slow, or any -m
    expression naming them); the default run keeps a fast subset."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with pytest -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
