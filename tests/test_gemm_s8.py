"""The int8 products (fm.ops.QuantizedMatrix, fm.ops.quantized_matmul and the
engine's fused epilogues) against an exact reference of the quantization,
and bitwise equal on every SIMD path and thread count; the bfloat16 one
with weights packed once."""
import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp._validation import CPUFeatureError
from fastmlp.quantization import quantize_kernel_int8

from conftest import ALL_ISAS, bf16_isas, supported_isas

ACTS = {"linear": 0, "relu": _engine.ACTIVATIONS["relu"],
        "leaky_relu": _engine.ACTIVATIONS["leaky_relu"]}


def quantized_rows(x):
    """The rows of x as the engine quantizes them (kernels.h): uint8 codes,
    steps and zero points, in numpy."""
    x = x.astype(np.float32)
    lo = np.minimum(x.min(axis=1), 0).astype(np.float32)
    hi = np.maximum(x.max(axis=1), 0).astype(np.float32)
    step = ((hi - lo) / np.float32(255)).astype(np.float32)
    step[~(step > 0)] = 1
    zero = np.clip(np.rint(-lo / step), 0, 255)
    inv = (np.float32(1) / step).astype(np.float32)
    codes = np.clip(np.rint(np.clip(x * inv[:, None], -1000, 1000)) + zero[:, None], 0, 255)
    return codes, step, zero


def reference(x, q, kernel_scale, bias, act):
    """The exact int32 sums, dequantized in float64 (the engine rounds the
    step product and the fused multiply-add in float32: within a few ulp)."""
    codes, step, zero = quantized_rows(x)
    sums = (codes - zero[:, None]) @ q.astype(np.float64)
    col_step = (np.float32(1) / kernel_scale).astype(np.float32)
    y = sums * (step[:, None] * col_step[None, :]).astype(np.float32) + bias
    if act == "relu":
        y = np.maximum(y, 0)
    elif act == "leaky_relu":
        y = np.where(y > 0, y, 0.2 * y)
    return y


def case(rng, m, k, n, nonnegative):
    x = rng.standard_normal((m, k)).astype(np.float32)
    if nonnegative:
        x = np.maximum(x, 0)
    w = (rng.standard_normal((k, n)) * 0.05).astype(np.float32)
    q, scale = quantize_kernel_int8(w)
    bias = rng.standard_normal(n).astype(np.float32)
    return x, w, q, scale, bias


SHAPES = [(1, 784, 512), (2, 512, 10), (7, 13, 37), (6, 64, 64), (13, 3, 130), (256, 784, 512),
          (300, 5, 70), (61, 1601, 17)]


@pytest.mark.parametrize("m,k,n", SHAPES)
def test_matches_the_quantization_exactly(isa, m, k, n):
    rng = np.random.default_rng(m * k + n)
    for act in ACTS:
        x, _, q, scale, bias = case(rng, m, k, n, act == "relu")
        packed = _engine.PackedWeights("int8", q, scale)
        out = np.empty((m, n), np.float32)
        _engine.packed_matmul(x, packed, out, bias, ACTS[act])
        want = reference(x, q, scale, bias, act)
        np.testing.assert_allclose(out, want, rtol=2e-6, atol=1e-6 * np.abs(want).max(),
                                   err_msg=act)


@pytest.mark.parametrize("m,k,n", SHAPES)
def test_bitwise_equal_on_every_path_and_thread_count(threads, m, k, n):
    rng = np.random.default_rng(m + k + n)
    before = _engine.config()["simd"]
    try:
        for act in ACTS:
            x, _, q, scale, bias = case(rng, m, k, n, act != "linear")
            packed = _engine.PackedWeights("int8", q, scale)
            results = {}
            for isa in supported_isas():
                _engine.force_isa(isa)
                for count in (1, 2, 3):
                    threads(count)
                    out = np.empty((m, n), np.float32)
                    _engine.packed_matmul(x, packed, out, bias, ACTS[act])
                    results[isa, count] = out
            first = next(iter(results.values()))
            for key, other in results.items():
                np.testing.assert_array_equal(other.view(np.uint32), first.view(np.uint32),
                                              err_msg=f"{act} {key}")
    finally:
        _engine.force_isa(before)


def test_rows_do_not_depend_on_their_batch(isa):
    """Each row is quantized on its own: a row's result is the same alone
    or among others (so predictions do not depend on batch_size)."""
    rng = np.random.default_rng(3)
    x, _, q, scale, bias = case(rng, 40, 100, 50, False)
    qm = _engine.PackedWeights("int8", q, scale)
    whole = np.empty((40, 50), np.float32)
    _engine.packed_matmul(x, qm, whole, bias, 0)
    for i in (0, 17, 39):
        one = np.empty((1, 50), np.float32)
        _engine.packed_matmul(x[i:i + 1].copy(), qm, one, bias, 0)
        np.testing.assert_array_equal(one[0], whole[i])


def test_zero_rows_constant_rows_and_extremes(isa):
    q = np.array([[127, -127], [-128, 1]], dtype=np.int8)
    scale = np.array([127.0, 2.0], np.float32)
    x = np.array([[0, 0], [5, 5], [-3, 0], [1e30, -1e30]], np.float32)
    out = fm.ops.quantized_matmul(x, fm.ops.QuantizedMatrix(np.eye(2), "int8"))
    np.testing.assert_allclose(out[:3], x[:3], atol=3 / 255 + 1e-6)
    packed = _engine.PackedWeights("int8", q, scale)
    got = np.empty((4, 2), np.float32)
    _engine.packed_matmul(x, packed, got)
    np.testing.assert_allclose(got, reference(x, q, scale, 0.0, "linear"), rtol=1e-6)


def test_softmax_and_sigmoid_after_the_products():
    rng = np.random.default_rng(4)
    x, _, q, scale, bias = case(rng, 20, 30, 10, False)
    packed = _engine.PackedWeights("int8", q, scale)
    linear = np.empty((20, 10), np.float32)
    _engine.packed_matmul(x, packed, linear, bias, 0)
    soft = np.empty((20, 10), np.float32)
    _engine.packed_matmul(x, packed, soft, bias, _engine.ACTIVATIONS["softmax"])
    e = np.exp(linear - linear.max(1, keepdims=True))
    np.testing.assert_allclose(soft, e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)
    sig = np.empty((20, 10), np.float32)
    _engine.packed_matmul(x, packed, sig, bias, _engine.ACTIVATIONS["sigmoid"])
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-linear)), rtol=1e-5, atol=1e-7)


def test_public_wrappers_and_their_checks():
    rng = np.random.default_rng(5)
    b = rng.standard_normal((30, 20))
    qm = fm.ops.QuantizedMatrix(b, "int8")
    assert qm.shape == (30, 20) and qm.kernel.dtype == np.int8
    x = rng.standard_normal((4, 30))
    np.testing.assert_allclose(fm.ops.quantized_matmul(x, qm), x @ b, atol=0.1)
    out = np.empty((4, 20), np.float32)
    assert fm.ops.quantized_matmul(x, qm, out=out) is out
    with pytest.raises(ValueError, match="inner dimensions"):
        fm.ops.quantized_matmul(x[:, :5], qm)
    with pytest.raises(TypeError, match="QuantizedMatrix"):
        fm.ops.quantized_matmul(x, b)
    with pytest.raises(ValueError, match="mode"):
        fm.ops.QuantizedMatrix(b, "int4")
    with pytest.raises(ValueError, match="finite|NaN"):
        fm.ops.QuantizedMatrix(np.full((2, 2), np.nan), "int8")
    with pytest.raises(ValueError, match="kernel_scale"):
        _engine.PackedWeights("int8", np.zeros((2, 2), np.int8), np.array([1.0, 0.0], np.float32))


@pytest.mark.parametrize("isa", bf16_isas())
def test_bfloat16_packed_weights(isa, threads):
    before = _engine.config()["simd"]
    _engine.force_isa(isa)
    try:
        rng = np.random.default_rng(6)
        x = rng.standard_normal((37, 300)).astype(np.float32)
        b = rng.standard_normal((300, 90)).astype(np.float32)
        qm = fm.ops.QuantizedMatrix(b, "bfloat16")
        results = []
        for count in (1, 2):
            threads(count)
            results.append(fm.ops.quantized_matmul(x, qm))
        np.testing.assert_array_equal(results[0], results[1])
        # the same as the GEMM that rounds both operands as it packs them
        np.testing.assert_array_equal(results[0], fm.ops.matmul(x, b, precision="bfloat16"))
    finally:
        _engine.force_isa(before)


@pytest.mark.parametrize("isa", [i for i in ALL_ISAS if i != "avx512_bf16"])
def test_bfloat16_products_refused_without_avx512_bf16(isa):
    before = _engine.config()["simd"]
    if not _engine.force_isa(isa):
        pytest.skip(f"this CPU cannot run the {isa} path")
    try:
        with pytest.raises(CPUFeatureError, match="AVX512_BF16"):
            fm.ops.QuantizedMatrix(np.eye(3), "bfloat16")
    finally:
        _engine.force_isa(before)
