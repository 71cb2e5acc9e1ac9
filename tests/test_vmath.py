"""The float32 exp, sigmoid and tanh of each SIMD path against float64 libm,
swept over the float32 numbers of their useful range, in ulp; float64 paths
use libm itself."""
import numpy as np
import pytest

from fastmlp import _engine
from fastmlp.activations import CODES

ACT = {name: CODES[name] for name in ("sigmoid", "tanh")}


def float32_sweep(lo, hi, stride=997):
    """Every stride-th float32 between lo and hi (by bit pattern), plus the ends."""
    def span(a, b):  # positive a < b
        start = np.float32(a).view(np.int32)
        stop = np.float32(b).view(np.int32)
        return np.arange(start, stop, stride, dtype=np.int32).view(np.float32)
    pos = span(np.float32(1e-30), hi)
    neg = -span(np.float32(1e-30), -lo) if lo < 0 else np.zeros(0, np.float32)
    return np.concatenate([neg, [0.0, -0.0], pos, [lo, hi]]).astype(np.float32)


def ulp_errors(got, exact):
    """|got - exact| in units of the float32 spacing at the exact value."""
    exact32 = exact.astype(np.float32)
    spacing = np.spacing(np.abs(exact32)).astype(np.float64)
    spacing = np.maximum(spacing, np.float64(np.finfo(np.float32).smallest_subnormal))
    return np.abs(got.astype(np.float64) - exact) / spacing


def apply(name, x):
    if name == "exp":
        return _engine.exp_f32(x)
    y = x.reshape(1, -1).copy()
    _engine.activation(ACT[name], y)
    return y.ravel()


CASES = [  # name, range, reference, max ulp
    ("exp", (-87.0, 88.0), np.exp, 2),
    ("sigmoid", (-87.0, 30.0), lambda x: 1 / (1 + np.exp(-x)), 4),
    ("tanh", (-10.0, 10.0), np.tanh, 4),
]


@pytest.mark.parametrize("name,bounds,reference,max_ulp", CASES, ids=[c[0] for c in CASES])
def test_ulp_error_over_the_range(isa, name, bounds, reference, max_ulp):
    x = float32_sweep(*bounds)
    errors = ulp_errors(apply(name, x), reference(x.astype(np.float64)))
    worst = int(np.argmax(errors))
    assert errors[worst] <= max_ulp, f"{name}({x[worst]!r}) is {errors[worst]:.2f} ulp off"


def test_tanh_near_zero_keeps_relative_accuracy(isa):
    x = np.float32([1e-30, -1e-20, 1e-8, 3e-4, 4e-4, -0.01, 0.3, 0.6249])
    errors = ulp_errors(apply("tanh", x), np.tanh(x.astype(np.float64)))
    assert errors.max() <= 2


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh"])
def test_special_values(isa, name):
    x = np.float32([np.inf, -np.inf, np.nan, 1000.0, -1000.0, 0.0])
    got = apply(name, x)
    expected = {"exp": [np.inf, 0, np.nan, np.inf, 0, 1],
                "sigmoid": [1, 0, np.nan, 1, 0, 0.5],
                "tanh": [1, -1, np.nan, 1, -1, 0]}[name]
    np.testing.assert_array_equal(got, np.float32(expected))


def test_exp_reaches_subnormals_and_overflows_like_libm(isa):
    x = np.float32([-100.0, -103.0, 88.7, 88.8, 89.0])
    got = apply("exp", x)
    exact = np.exp(x.astype(np.float64))
    assert got[0] > 0 and got[1] > 0  # gradual underflow, not a flush to zero
    subnormal_step = np.finfo(np.float32).smallest_subnormal
    np.testing.assert_allclose(got[:2], exact[:2], rtol=0, atol=subnormal_step)
    np.testing.assert_allclose(got[2], exact[2], rtol=1e-6)
    assert np.isinf(got[3]) and np.isinf(got[4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_sum_to_one(isa, dtype):
    z = np.random.default_rng(0).standard_normal((50, 37)).astype(dtype) * 20
    y = z.copy()
    _engine.activation(CODES["softmax"], y)
    # the reference subtracts the row maximum in the same precision: that rounding
    # (up to half an ulp of |z - max| ~ 100) is inherent to any softmax in this dtype
    shifted = (z - z.max(axis=1, keepdims=True)).astype(np.float64)
    e = np.exp(shifted)
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=8 * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=8 * np.finfo(dtype).eps)
