"""The C core's building blocks: random numbers, dropout masks, activations,
the SIMD dispatch and its override, threads and configuration."""

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp._validation import check_finite, contiguous
from fastmlp.activations import CODES
from conftest import run_python, supported_isas


def test_philox_known_answers():
    # Random123's kat_vectors for philox4x32-10
    assert _engine.philox4x32([0, 0, 0, 0], [0, 0]) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C,
                                                          0x9B00DBD8]
    assert _engine.philox4x32([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2) == [0x408F276D, 0x41C83B0E,
                                                                      0xA20BC7C6, 0x6D5451FD]
    assert _engine.philox4x32([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
                              [0xA4093822, 0x299F31D0]) == [0xD16CFE09, 0x94FDCCEB, 0x5001E420,
                                                            0x24126EA1]


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.5, 0.9])
def test_dropout_mask_statistics_and_scaling(rate):
    x = np.ones((400, 500), np.float32)
    out = _engine.dropout(7, 3, 1, rate, x)
    kept = out != 0
    assert kept.mean() == pytest.approx(1 - rate, abs=0.005)
    np.testing.assert_allclose(out[kept], 1 / (1 - rate), rtol=1e-6)


def reference_dropout(seed, step, layer, rate, x):
    """The documented layout (csrc/rng.c), element by element, from the scalar Philox."""
    key = [seed & 0xFFFFFFFF, (seed >> 32) ^ (step >> 32)]
    threshold = int(np.floor(rate * 65536 + 0.5))
    out = np.zeros_like(x)
    rows, cols = x.shape
    for r in range(rows):
        for c in range(cols):
            block, within = divmod(c, 128)
            j, lane = divmod(within, 16)
            words = _engine.philox4x32([16 * block + lane, r, layer, step & 0xFFFFFFFF], key)
            draw = (words[j // 2] >> (16 * (j % 2))) & 0xFFFF
            if draw >= threshold:
                out[r, c] = x[r, c] * x.dtype.type(1 / (1 - rate))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_layout_on_every_path(isa, dtype):
    x = np.random.default_rng(3).standard_normal((5, 300)).astype(dtype)
    seed, step = (0x1234567 << 32) | 0x89ABCDE, (5 << 32) | 17
    expected = reference_dropout(seed, step, 2, 0.3, x)
    np.testing.assert_array_equal(_engine.dropout(seed, step, 2, 0.3, x), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cols", [1, 16, 37, 128, 300])
def test_dropout_bits_kept_by_the_forward_give_the_backward_drawn_again(isa, dtype, cols):
    # a training step keeps the forward's mask as bits for the backward: the
    # bits must be the mask (bit l of word w: column 16·w + l, none beyond cols)
    # and applying them must give what drawing the mask again gives
    rng = np.random.default_rng(cols)
    x = rng.uniform(0.5, 1.5, (9, cols)).astype(dtype)
    g = rng.standard_normal((9, cols)).astype(dtype)
    out, bits = _engine.dropout(11, 7, 2, 0.3, x, 4, keep=True)
    np.testing.assert_array_equal(out, _engine.dropout(11, 7, 2, 0.3, x, 4))
    unpacked = np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little")
    np.testing.assert_array_equal(unpacked[:, :cols].astype(bool), out != 0)
    assert not unpacked[:, cols:].any()
    applied = g.copy()
    _engine.dropout_apply(bits, 0.3, applied)
    np.testing.assert_array_equal(applied, _engine.dropout(11, 7, 2, 0.3, g, 4))


def test_dropout_mask_is_keyed_on_seed_step_layer():
    x = np.ones((64, 64))
    base = _engine.dropout(1, 2, 3, 0.5, x)
    np.testing.assert_array_equal(base, _engine.dropout(1, 2, 3, 0.5, x))
    for other in [(9, 2, 3), (1, 9, 3), (1, 2, 9)]:
        assert not np.array_equal(base, _engine.dropout(*other, 0.5, x))
    # a mask element depends on its row and column only: a sub-block of rows matches
    np.testing.assert_array_equal(_engine.dropout(1, 2, 3, 0.5, x[:16]), base[:16])


# the activations the GEMM's epilogue applies (the others: tests/test_activations.py)
ACT_CODES = {name: CODES[name] for name in ("relu", "leaky_relu", "sigmoid", "tanh", "softmax")}


def reference_activation(name, z):
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z < 0, 0.2 * z, z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", list(ACT_CODES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_against_numpy(name, dtype):
    z = np.linspace(-30, 30, 6000).reshape(60, 100).astype(dtype)
    y = z.copy()
    _engine.activation(ACT_CODES[name], y)
    expected = reference_activation(name, z.astype(np.float64))
    np.testing.assert_allclose(y, expected, rtol=4 * np.finfo(dtype).eps, atol=np.finfo(dtype).tiny)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh"])
def test_fused_gemm_epilogue_matches_separate_passes(isa, name):
    rng = np.random.default_rng(0)
    for m, n, k in [(1, 1, 3), (9, 10, 40), (37, 100, 300), (128, 49, 785)]:
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((k, n)).astype(np.float32) * 0.1
        b = rng.standard_normal(n).astype(np.float32)
        fused = np.empty((m, n), np.float32)
        _engine.gemm(x, False, w, False, fused, b, ACT_CODES[name])
        plain = np.empty((m, n), np.float32)
        _engine.gemm(x, False, w, False, plain)
        plain = plain + b
        _engine.activation(ACT_CODES[name], plain)
        np.testing.assert_allclose(fused, plain, rtol=1e-6, atol=1e-6)


def test_every_supported_path_trains_the_same_model():
    """Each SIMD path gives (nearly) the same training run."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((256, 30)).astype(np.float32)
    y = rng.integers(0, 3, 256)
    before = _engine.config()["simd"]
    weights = {}
    try:
        for isa in supported_isas():
            _engine.force_isa(isa)
            fm.set_random_seed(2)
            model = fm.Sequential()
            model.add(fm.Dense(64, activation="relu", input_dim=30))
            model.add(fm.Dropout(0.1))
            model.add(fm.Dense(3, activation="softmax"))
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            model.fit(x, y, batch_size=32, epochs=2, verbose=0)
            weights[isa] = model.get_weights()
    finally:
        _engine.force_isa(before)
    first = weights["generic"]
    for isa, other in weights.items():
        for a, b in zip(first, other):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4, err_msg=isa)


@pytest.mark.parametrize("isa", supported_isas())
def test_fastmlp_isa_environment_override(isa, tmp_path):
    code = ("import numpy as np, fastmlp as fm\n"
            "fm.show_config()\n"
            "a = np.arange(12, dtype=np.float32).reshape(3, 4)\n"
            "print(fm.ops.matmul(a, a.T).sum())")
    result = run_python(code, tmp_path, FASTMLP_ISA=isa)
    assert result.returncode == 0, result.stderr
    assert f"simd path:   {isa} (FASTMLP_ISA={isa})" in result.stdout
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert result.stdout.strip().endswith(str((a @ a.T).sum()))


def test_unsupported_isa_request_warns_and_falls_back(tmp_path):
    code = "import fastmlp as fm; print(fm._config.config()['simd'])"
    result = run_python(code, tmp_path, FASTMLP_ISA="neon")
    assert result.returncode == 0, result.stderr
    assert "FASTMLP_ISA='neon' is not a path this CPU supports" in result.stderr
    assert result.stdout.strip() == _engine.config()["simd_detected"]


def test_threads_and_config(threads, capsys):
    threads(3)
    assert fm.get_num_threads() == 3
    threads(None)
    default = fm.get_num_threads()
    assert default >= 1
    fm.show_config()
    out = capsys.readouterr().out
    for key in ("fastmlp 0.1.0", "compiler:", "openmp:", "simd path:", f"threads:     {default}"):
        assert key in out


def test_omp_num_threads_sets_the_default(tmp_path):
    result = run_python("import fastmlp as fm; print(fm.get_num_threads())", tmp_path,
                        OMP_NUM_THREADS="1")
    assert result.returncode == 0, result.stderr
    if fm._config.config()["openmp"]:
        assert result.stdout.strip() == "1"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_edge_values(dtype, isa):
    info = np.finfo(dtype)
    finite = np.array([0.0, -0.0, info.max, -info.max, info.tiny, info.tiny / 4, 1.0], dtype=dtype)
    assert _engine.all_finite(finite)
    for bad in (np.nan, np.inf, -np.inf):
        for position in (0, 3, 6):
            x = finite.copy()
            x[position] = bad
            assert not _engine.all_finite(x)
    assert _engine.all_finite(np.zeros(0, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_finds_one_bad_value_anywhere_in_a_long_array(dtype, isa):
    # the scan works in blocks of 1024 and vectors of up to 16: every kind of
    # position (first, inside a vector, a block's last, the tail) is tried
    x = np.full(5000, np.finfo(dtype).max, dtype)
    x[1::2] *= -1
    assert _engine.all_finite(x)
    for position in (0, 7, 1023, 1024, 3071, 4095, 4096, 4990, 4999):
        for bad in (np.nan, np.inf, -np.inf):
            y = x.copy()
            y[position] = bad
            assert not _engine.all_finite(y), (position, bad)
            assert _engine.all_finite(y[position + 1:])


def unaligned(values):
    """A copy of values whose data starts one byte past an element boundary
    (numpy allows it: a buffer at an odd offset, data unpickled by Dask)."""
    values = np.asarray(values)
    raw = np.zeros(values.nbytes + 1, np.uint8)
    out = np.frombuffer(raw.data, dtype=values.dtype, count=values.size, offset=1)
    out = out.reshape(values.shape)
    out[...] = values
    assert not out.flags.aligned and out.flags.c_contiguous
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_engine_refuses_unaligned_arrays_and_the_checks_copy_them(dtype, isa):
    # the C core may not load unaligned data (UBSan stopped on it): the engine
    # refuses such arrays, and the validation layer hands it aligned copies
    x = unaligned(np.arange(300, dtype=dtype))
    with pytest.raises(ValueError, match="not aligned"):
        _engine.all_finite(x)
    check_finite(x, "x")
    x[123] = np.nan
    with pytest.raises(ValueError, match=r"x contains NaN \(first at index \[123\]\)"):
        check_finite(x, "x")
    copy = contiguous(x)
    assert copy.flags.aligned and copy.flags.c_contiguous
    np.testing.assert_array_equal(copy, x)


def test_thread_count_block_restores_the_default_not_a_number(tmp_path):
    code = ("import fastmlp as fm\n"
            "from fastmlp._config import thread_count\n"
            "default = fm.get_num_threads()\n"
            "with thread_count(1):\n"
            "    assert fm.get_num_threads() == 1\n"
            "assert fm.get_num_threads() == default\n"
            "fm.set_num_threads(3)\n"
            "with thread_count(1):\n"
            "    pass\n"
            "assert fm.get_num_threads() == 3\n"
            "print('ok')\n")
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
