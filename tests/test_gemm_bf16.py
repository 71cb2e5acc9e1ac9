"""The bfloat16 GEMM (fm.ops.matmul(..., precision="bfloat16")) against an
exact reference built from the bfloat16-rounded operands, on every SIMD
path: the AVX512_BF16 kernels where the CPU has them, the emulated reference
kernels (a test hook) elsewhere; and the refusal without AVX512_BF16."""
import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp._validation import CPUFeatureError
from fastmlp.quantization import round_to_bfloat16

from conftest import ALL_ISAS, bf16_isas

SIZES = [1, 2, 5, 6, 7, 10, 17, 64, 65, 130]
K_SIZES = [1, 2, 3, 10, 17, 255, 511, 767, 784, 1023, 1024, 1025, 2049]


def rounded(x):
    """x rounded to bfloat16 (numpy bit arithmetic, independent of the engine)."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return (((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(
        np.float32).reshape(x.shape)


def assert_bf16_close(c, a, b, trans_a=False, trans_b=False):
    """|C − Ĉ| <= 2·k·u·(|A|·|B|) with Ĉ the float64 product of the rounded
    operands, u = 2⁻²⁴: only float32 accumulation error remains."""
    a = rounded(a.T if trans_a else a).astype(np.float64)
    b = rounded(b.T if trans_b else b).astype(np.float64)
    exact, magnitude = a @ b, np.abs(a) @ np.abs(b)
    bound = 2 * max(a.shape[1], 1) * 2.0 ** -24 * magnitude + np.finfo(np.float32).tiny
    excess = np.abs(c.astype(np.float64) - exact) - bound
    assert excess.max() <= 0, f"error exceeds the bound by {excess.max():.3g}"


def operands(rng, m, n, k, trans_a, trans_b):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    return a, b


def test_rounding_is_to_nearest_even():
    x = np.array([1.0, 1.00390625, 1.0078125, 1.01171875, -1.00390625, 3.4028235e38, 0.0, -0.0,
                  np.inf, -np.inf, 1e-30, 65504.0], dtype=np.float32)
    # 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even one (1)
    assert round_to_bfloat16(x)[1] == 1.0 and round_to_bfloat16(x)[3] == 1.015625
    assert round_to_bfloat16(x)[5] == np.inf  # rounds past the largest bfloat16
    np.testing.assert_array_equal(round_to_bfloat16(x).view(np.uint32), rounded(x).view(np.uint32))
    np.testing.assert_array_equal(_engine._test_bf16_round(x).view(np.uint32),
                                  rounded(x).view(np.uint32))
    rng = np.random.default_rng(0)
    many = (rng.standard_normal(100_000) * 10.0 ** rng.integers(-30, 30, 100_000)).astype(np.float32)
    np.testing.assert_array_equal(_engine._test_bf16_round(many).view(np.uint32),
                                  rounded(many).view(np.uint32))


def test_packing_rounds_like_the_reference(bf16_path):
    """A product by the identity returns the rounded operand itself: the
    packing's conversion (vcvtne2ps2bf16, or the emulation) is RNE."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((9, 37)) * 7).astype(np.float32)
    eye = np.eye(37, dtype=np.float32)
    np.testing.assert_array_equal(fm.ops.matmul(x, eye, precision="bfloat16"), rounded(x))
    np.testing.assert_array_equal(fm.ops.matmul(eye, x.T, precision="bfloat16"), rounded(x.T))
    np.testing.assert_array_equal(
        fm.ops.matmul(x.T.copy(), eye, trans_a=True, precision="bfloat16"), rounded(x))
    np.testing.assert_array_equal(
        fm.ops.matmul(eye, x.copy(), trans_b=True, precision="bfloat16"), rounded(x.T))


def test_edge_shapes_every_path(bf16_path):
    rng = np.random.default_rng(2)
    for m in SIZES:
        for n in SIZES:
            k = K_SIZES[(m * 7 + n) % len(K_SIZES)]
            for trans_a in (False, True):
                for trans_b in (False, True):
                    a, b = operands(rng, m, n, k, trans_a, trans_b)
                    c = fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b, precision="bfloat16")
                    assert c.dtype == np.float32 and c.shape == (m, n)
                    assert_bf16_close(c, a, b, trans_a, trans_b)


@pytest.mark.parametrize("op,m,n,k", [("NN", 128, 512, 784), ("NT", 128, 784, 512),
                                      ("TN", 784, 512, 128), ("NN", 128, 10, 512),
                                      ("TN", 512, 10, 128), ("NT", 128, 512, 10)])
def test_seed_network_shapes(bf16_path, op, m, n, k):
    rng = np.random.default_rng(m + n + k)
    trans_a, trans_b = op[0] == "T", op[1] == "T"
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    c = fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b, precision="bfloat16")
    assert_bf16_close(c, a, b, trans_a, trans_b)


def test_strided_views_and_guard_bands(bf16_path):
    rng = np.random.default_rng(3)
    m, n, k, guard = 13, 70, 99, 4
    big_a = rng.standard_normal((m + 3, k + 5)).astype(np.float32)
    big_b = rng.standard_normal((k + 2, n + 9)).astype(np.float32)
    a, b = big_a[1:1 + m, 2:2 + k], big_b[2:, 3:3 + n]
    big = np.full((m + 2 * guard, n + 2 * guard), np.nan, dtype=np.float32)
    out = big[guard:guard + m, guard:guard + n]
    assert fm.ops.matmul(a, b, out=out, precision="bfloat16") is out
    assert_bf16_close(out, a, b)
    margin = big.copy()
    margin[guard:guard + m, guard:guard + n] = np.nan
    assert np.isnan(margin).all(), "the bfloat16 GEMM wrote outside its output"


def test_epilogue_bias_and_activations(bf16_path):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((20, 40)).astype(np.float32)
    w = rng.standard_normal((40, 70)).astype(np.float32)
    bias = rng.standard_normal(70).astype(np.float32)
    plain = np.empty((20, 70), np.float32)
    _engine.gemm(x, False, w, False, plain, bf16=True)
    for name, f in [("linear", lambda z: z), ("relu", lambda z: np.maximum(z, 0)),
                    ("leaky_relu", lambda z: np.where(z > 0, z, np.float32(0.2) * z)),
                    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh)]:
        fused = np.empty((20, 70), np.float32)
        _engine.gemm(x, False, w, False, fused, bias, _engine.ACTIVATIONS[name], bf16=True)
        np.testing.assert_allclose(fused, f(plain + bias), rtol=2e-6, atol=2e-6, err_msg=name)


@pytest.mark.parametrize("isa", bf16_isas())
@pytest.mark.parametrize("op,m,n,k", [("NN", 128, 512, 784), ("NT", 128, 784, 512),
                                      ("TN", 784, 512, 128), ("NN", 300, 1000, 1601)])
def test_bitwise_identical_for_any_thread_count(isa, threads, op, m, n, k):
    before = _engine.config()["simd"]
    _engine.force_isa(isa)
    try:
        rng = np.random.default_rng(5)
        trans_a, trans_b = op[0] == "T", op[1] == "T"
        a, b = operands(rng, m, n, k, trans_a, trans_b)
        results = []
        for count in (1, 2, 3, 4):
            threads(count)
            results.append(fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b,
                                         precision="bfloat16"))
        for other in results[1:]:
            np.testing.assert_array_equal(results[0], other)
    finally:
        _engine.force_isa(before)


@pytest.mark.parametrize("isa", bf16_isas())
def test_hardware_kernel_agrees_with_the_emulated_one(isa):
    """Both sum the same rounded products in float32: within the bound of
    two accumulations."""
    before = _engine.config()["simd"]
    rng = np.random.default_rng(6)
    a, b = operands(rng, 64, 96, 700, False, False)
    try:
        _engine.force_isa(isa)
        real = fm.ops.matmul(a, b, precision="bfloat16")
        _engine.force_isa("avx512")
        previous = _engine._test_bf16_emulation(True)
        try:
            emulated = fm.ops.matmul(a, b, precision="bfloat16")
        finally:
            _engine._test_bf16_emulation(previous)
    finally:
        _engine.force_isa(before)
    ra, rb = rounded(a).astype(np.float64), rounded(b).astype(np.float64)
    bound = 4 * 700 * 2.0 ** -24 * (np.abs(ra) @ np.abs(rb))
    assert (np.abs(real.astype(np.float64) - emulated) <= bound).all()


@pytest.mark.parametrize("isa", [i for i in ALL_ISAS if i not in ("avx512_bf16",)])
def test_refused_without_avx512_bf16(isa):
    """Forcing a path without bfloat16 kernels simulates an older CPU: the
    request fails naming the missing feature, with no silent emulation."""
    before = _engine.config()["simd"]
    if not _engine.force_isa(isa):
        pytest.skip(f"this CPU cannot run the {isa} path")
    try:
        a = np.ones((4, 4), np.float32)
        with pytest.raises(CPUFeatureError, match="AVX512_BF16"):
            fm.ops.matmul(a, a, precision="bfloat16")
        with pytest.raises(RuntimeError, match=f"path in use is '{isa}'"):
            fm.ops.matmul(a, a, precision="bfloat16")
    finally:
        _engine.force_isa(before)


def test_precision_argument_is_checked():
    a = np.ones((3, 3), np.float32)
    with pytest.raises(ValueError, match="precision"):
        fm.ops.matmul(a, a, precision="half")
    with pytest.raises(TypeError, match="float32 arrays"):
        fm.ops.matmul(a.astype(np.float64), a.astype(np.float64), precision="bfloat16")
