"""fm.ops.matmul (the project's GEMM) against a float64 reference, on every
SIMD path, edge shape, transpose combination and memory layout."""
import numpy as np
import pytest

import fastmlp as fm

# Edge shapes around the register tiles (4..8 rows, 8..48 columns), the
# 10-wide output layer, 15-17, the cache blocks (KC 256/384) and 784.
SIZES = [1, 2, 5, 7, 8, 9, 10, 15, 16, 17, 23, 24, 25, 47, 48, 49, 127, 128]
K_SIZES = [1, 3, 10, 16, 17, 255, 256, 257, 383, 384, 385, 784, 1025]


def reference(a, b, trans_a, trans_b):
    a = a.T if trans_a else a
    b = b.T if trans_b else b
    return a.astype(np.float64) @ b.astype(np.float64), np.abs(a).astype(np.float64) @ np.abs(b)


def assert_close(c, a, b, trans_a=False, trans_b=False):
    """|C − Ĉ| <= c·k·u·(|A|·|B|): the standard error bound of a k-term dot product."""
    exact, magnitude = reference(a, b, trans_a, trans_b)
    k = a.shape[0] if trans_a else a.shape[1]
    unit = np.finfo(c.dtype).eps / 2
    bound = 2 * max(k, 1) * unit * magnitude + np.finfo(c.dtype).tiny
    excess = np.abs(c.astype(np.float64) - exact) - bound
    assert excess.max() <= 0, f"error exceeds the bound by {excess.max():.3g}"


def operands(rng, m, n, k, trans_a, trans_b, dtype):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edge_shapes_every_path(isa, dtype):
    rng = np.random.default_rng(1)
    for m in SIZES:
        for n in SIZES:
            k = K_SIZES[(m * 7 + n) % len(K_SIZES)]
            for trans_a in (False, True):
                for trans_b in (False, True):
                    a, b = operands(rng, m, n, k, trans_a, trans_b, dtype)
                    c = fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b)
                    assert c.dtype == dtype and c.shape == (m, n)
                    assert_close(c, a, b, trans_a, trans_b)


@pytest.mark.parametrize("k", K_SIZES)
def test_depths_every_path(isa, k):
    rng = np.random.default_rng(k)
    for trans_a, trans_b in [(False, False), (False, True), (True, False), (True, True)]:
        a, b = operands(rng, 33, 50, k, trans_a, trans_b, np.float32)
        assert_close(fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b), a, b, trans_a, trans_b)


SEED_SHAPES = [  # (op, m, n, k): the seed network's three GEMMs per layer at batch 128
    ("NN", 128, 512, 784), ("NN", 128, 512, 512), ("NN", 128, 10, 512),
    ("NT", 128, 784, 512), ("NT", 128, 512, 512), ("NT", 128, 512, 10),
    ("TN", 784, 512, 128), ("TN", 512, 512, 128), ("TN", 512, 10, 128),
]


@pytest.mark.parametrize("op,m,n,k", SEED_SHAPES)
def test_seed_network_shapes(isa, op, m, n, k):
    rng = np.random.default_rng(m + n + k)
    trans_a, trans_b = op[0] == "T", op[1] == "T"
    a, b = operands(rng, m, n, k, trans_a, trans_b, np.float32)
    assert_close(fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b), a, b, trans_a, trans_b)


def test_matches_numpy_semantics():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((20, 30)).astype(np.float32)
    b = rng.standard_normal((30, 40)).astype(np.float32)
    np.testing.assert_allclose(fm.ops.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fm.ops.matmul(a.T, b.T, trans_a=True, trans_b=True), a @ b,
                               rtol=1e-5, atol=1e-5)
    mixed = fm.ops.matmul(a, b.astype(np.float64))
    assert mixed.dtype == np.float64
    np.testing.assert_allclose(mixed, a.astype(np.float64) @ b, rtol=1e-12)


def test_strided_offset_and_fortran_inputs(isa):
    rng = np.random.default_rng(3)
    base_a = rng.standard_normal((70, 90)).astype(np.float32)
    base_b = rng.standard_normal((95, 60)).astype(np.float32)
    cases = [
        (base_a[1:40, 3:60], base_b[2:59, 1:50]),            # offset views, row stride > width
        (base_a[::2, ::3], base_b[:30, ::2]),                # non-unit column strides
        (np.asfortranarray(base_a[:17, :23]), np.asfortranarray(base_b[:23, :29])),
        (base_a[::-1, :57], base_b[:57, ::-1]),              # negative strides
    ]
    for a, b in cases:
        assert_close(fm.ops.matmul(a, b), a, b)
        assert_close(fm.ops.matmul(a.T, b.T, trans_a=True, trans_b=True), a, b)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (7, 10, 5), (9, 49, 385), (128, 10, 512),
                                   (33, 100, 17)])
def test_guard_bands_stay_untouched(isa, m, n, k):
    rng = np.random.default_rng(4)
    guard = 5
    big = np.full((m + 2 * guard, n + 2 * guard), np.nan, dtype=np.float32)
    out = big[guard:guard + m, guard:guard + n]
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    result = fm.ops.matmul(a, b, out=out)
    assert result is out
    assert_close(out, a, b)
    margin = big.copy()
    margin[guard:guard + m, guard:guard + n] = np.nan
    assert np.isnan(margin).all(), "the GEMM wrote outside its output"


@pytest.mark.parametrize("op,m,n,k", SEED_SHAPES + [("NN", 300, 1000, 900)])
def test_bitwise_identical_for_any_thread_count(threads, op, m, n, k):
    rng = np.random.default_rng(5)
    trans_a, trans_b = op[0] == "T", op[1] == "T"
    a, b = operands(rng, m, n, k, trans_a, trans_b, np.float32)
    results = []
    for count in (1, 2, 3, 4):
        threads(count)
        results.append(fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b))
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)


def test_empty_and_zero_depth():
    a = np.ones((3, 0), np.float32)
    b = np.ones((0, 4), np.float32)
    np.testing.assert_array_equal(fm.ops.matmul(a, b), np.zeros((3, 4), np.float32))
    assert fm.ops.matmul(np.ones((0, 5)), np.ones((5, 2))).shape == (0, 2)


def test_nan_and_inf_propagate_like_numpy():
    a = np.ones((4, 3), np.float32)
    a[1, 2] = np.nan
    a[2, 0] = np.inf
    b = np.ones((3, 5), np.float32)
    c = fm.ops.matmul(a, b)
    assert np.isnan(c[1]).all() and np.isposinf(c[2]).all() and np.isfinite(c[[0, 3]]).all()


def test_output_overlapping_an_input():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((16, 16)).astype(np.float32)
    expected = a.astype(np.float64) @ a
    fm.ops.matmul(a, a, out=a)
    np.testing.assert_allclose(a, expected, rtol=1e-4, atol=1e-4)
