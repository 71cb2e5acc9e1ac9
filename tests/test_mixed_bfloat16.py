"""dtype="mixed_bfloat16": training gradients against float64 numpy references
on every SIMD path (the AVX512_BF16 kernels where the CPU has them, the
emulated reference kernels, a test hook, elsewhere), float32 master weights
and state, and the refusal, naming AVX512_BF16, on paths without it.

The engine takes a product in bfloat16 when both its width and its depth
exceed 16 (narrower products stay float32); the network here is wider than
that everywhere so that every product of the step is a bfloat16 one."""
import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp._validation import CPUFeatureError
from fastmlp.quantization import round_to_bfloat16

from conftest import ALL_ISAS

BATCH, N_IN, HIDDEN, N_OUT = 64, 40, 48, 20
# bfloat16 keeps 8 significant bits: each rounded operand is off by at most
# 2⁻⁹ relatively. A first-layer gradient depends on eight rounded operands
# (x, W1, a1, W2 forward; dZ2, W2, x, dZ1 backward), so against unrounded
# arithmetic it is off by at most 8·2⁻⁹ of the magnitudes its sums add up
# (the same products over absolute values, `magnitudes`), to first order;
# the loss, a sum of positive terms, by as much relatively.
BF16_TOLERANCE = 8 * 2.0 ** -9


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, N_IN)).astype(np.float32)
    y = rng.integers(0, N_OUT, BATCH)
    return x, y


def seeded_model(dtype):
    fm.set_random_seed(3)
    model = fm.Sequential([fm.Input((N_IN,)), fm.Dense(HIDDEN, activation="relu"),
                           fm.Dense(N_OUT, activation="softmax")], dtype=dtype)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return model


def reference_gradients(weights, x, y, bf16):
    """Loss and gradients of the mean cross-entropy in float64 numpy; with
    bf16, every product's operands rounded to bfloat16 first (forward: input
    and kernel; kernel gradient: input and output gradient; input gradient:
    output gradient and kernel), as mixed_bfloat16 computes them."""
    r = (lambda v: round_to_bfloat16(v.astype(np.float32)).astype(np.float64)) if bf16 else \
        (lambda v: v.astype(np.float64))
    w1, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    z1 = r(x) @ r(w1) + b1
    a1 = np.maximum(z1, 0)
    z2 = r(a1) @ r(w2) + b2
    z2 -= z2.max(axis=1, keepdims=True)
    p = np.exp(z2) / np.exp(z2).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    dz2 = p.copy()
    dz2[np.arange(len(y)), y] -= 1
    dz2 /= len(y)
    dw2, db2 = r(a1).T @ r(dz2), dz2.sum(axis=0)
    dz1 = (r(dz2) @ r(w2).T) * (z1 > 0)
    dw1, db1 = r(x).T @ r(dz1), dz1.sum(axis=0)
    return loss, [dw1, db1, dw2, db2]


def magnitudes(weights, x, y):
    """The gradients' products taken over absolute values (float64, no
    rounding): the scale rounding errors are relative to, since the sums
    that make a gradient cancel (a softmax gradient's row sums to zero)."""
    w1, b1, w2, b2 = (w.astype(np.float64) for w in weights)
    x = x.astype(np.float64)
    z1 = x @ w1 + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ w2 + b2
    p = np.exp(z2 - z2.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz2 = p.copy()
    dz2[np.arange(len(y)), y] -= 1
    dz2 = np.abs(dz2) / len(y)
    dz1 = (dz2 @ np.abs(w2).T) * (z1 > 0)
    return [np.abs(x).T @ dz1, dz1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0)]


def relative_error(got, want, scale=None):
    """‖got − want‖ over ‖scale‖ (want's own norm by default)."""
    scale = want if scale is None else scale
    return np.linalg.norm(got.astype(np.float64) - want) / np.linalg.norm(scale)


def test_gradients_against_float64_references(bf16_path):
    x, y = data()
    model = seeded_model("mixed_bfloat16")
    loss, grads = model._gradients(x, y)
    weights = model.get_weights()
    assert all(w.dtype == np.float32 for w in weights), "master weights are float32"
    assert all(g.dtype == np.float32 for g in grads), "gradients land in float32"
    rounded_loss, rounded = reference_gradients(weights, x, y, bf16=True)
    exact_loss, exact = reference_gradients(weights, x, y, bf16=False)
    scales = magnitudes(weights, x, y)
    assert abs(loss - rounded_loss) <= 1e-5 * abs(rounded_loss)
    assert abs(loss - exact_loss) <= BF16_TOLERANCE * abs(exact_loss)
    for i, (g, want, unrounded, scale) in enumerate(zip(grads, rounded, exact, scales)):
        # against the same rounding in float64: float32 sums, and the odd
        # operand that rounds to the other bfloat16 neighbour, remain
        assert relative_error(g, want) <= 2.0 ** -10, f"gradient {i}"
        # against float64 without rounding: within bfloat16's precision
        assert relative_error(g, unrounded, scale) <= BF16_TOLERANCE, f"gradient {i}"
    # and not float32's: the products did run in bfloat16
    assert relative_error(grads[0], exact[0]) > 2.0 ** -16


def test_gradients_close_to_float32_training(bf16_path):
    x, y = data(1)
    mixed, plain = seeded_model("mixed_bfloat16"), seeded_model("float32")
    for a, b in zip(mixed.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)  # same initialisation
    (loss_m, grads_m), (loss_f, grads_f) = mixed._gradients(x, y), plain._gradients(x, y)
    assert abs(loss_m - loss_f) <= BF16_TOLERANCE * abs(loss_f)
    scales = magnitudes(plain.get_weights(), x, y)
    for i, (gm, gf, scale) in enumerate(zip(grads_m, grads_f, scales)):
        assert relative_error(gm, gf.astype(np.float64), scale) <= BF16_TOLERANCE, \
            f"gradient {i}"


def test_fit_keeps_float32_master_weights_and_state(bf16_path):
    x, y = data(2)
    model = seeded_model("mixed_bfloat16")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
    after = model.get_weights()
    assert history.history["loss"][-1] < history.history["loss"][0]
    for a, b in zip(before, after):
        assert b.dtype == np.float32
        # updates smaller than bfloat16's spacing still reach the weights:
        # the master copy is float32, not bfloat16
        assert not np.array_equal(round_to_bfloat16(b), b)
        assert not np.array_equal(a, b)
    slots = model._network().engine.optimizer_slots()
    assert slots is not None and all(s.dtype == np.float32 for s in slots)
    assert model.predict(x, verbose=0).dtype == np.float32


def test_policy_names_and_properties():
    if not _engine.bf16_supported():
        pytest.skip("this CPU lacks AVX512_BF16 (the refusal is tested below)")
    model = fm.Sequential([fm.Input((4,)), fm.Dense(3)], dtype="mixed_bfloat16")
    assert (model.dtype, model.compute_dtype) == ("float32", "bfloat16")
    assert model.dtype_policy == "mixed_bfloat16"
    policy = fm.dtype_policies.DTypePolicy("mixed_bfloat16")
    assert fm.Sequential(dtype=policy).dtype_policy == policy
    assert fm.Sequential(dtype={"class_name": "DTypePolicy",
                                "config": {"name": "mixed_bfloat16"}}).compute_dtype == "bfloat16"


def test_saved_and_loaded_with_its_policy(tmp_path):
    if not _engine.bf16_supported():
        pytest.skip("this CPU lacks AVX512_BF16 (the refusal is tested below)")
    x, y = data(3)
    model = seeded_model("mixed_bfloat16")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "mixed.fmlp")
    loaded = fm.load_model(tmp_path / "mixed.fmlp")
    assert loaded.dtype_policy == "mixed_bfloat16"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    a = model.fit(x, y, epochs=1, verbose=0, shuffle=False).history["loss"]
    b = loaded.fit(x, y, epochs=1, verbose=0, shuffle=False).history["loss"]
    assert a == b  # the optimizer state came back too


def test_estimator_dtype_parameter(bf16_path):
    pytest.importorskip("sklearn")
    x, y = data(4)
    clf = fm.MLPClassifier((HIDDEN,), dtype="mixed_bfloat16", max_iter=5, random_state=0,
                           batch_size=32)
    with pytest.warns(Warning):  # (not converged in 5 iterations)
        clf.fit(x.astype(np.float64), y)
    assert clf.coefs_[0].dtype == np.float32  # float32 master weights, whatever the data
    reference = fm.MLPClassifier((HIDDEN,), max_iter=5, random_state=0, batch_size=32,
                                 dtype="float32")
    with pytest.warns(Warning):
        reference.fit(x, y)
    assert abs(clf.loss_curve_[-1] - reference.loss_curve_[-1]) <= \
        BF16_TOLERANCE * reference.loss_curve_[-1]


@pytest.mark.parametrize("isa", [i for i in ALL_ISAS if i != "avx512_bf16"])
def test_refused_without_avx512_bf16(isa, tmp_path):
    """Forcing a lower path simulates a CPU without AVX512_BF16: every way to
    ask for the policy fails naming the feature and the path, nothing is
    emulated silently."""
    before = _engine.config()["simd"]
    saved = None
    if _engine.bf16_supported():  # a file written where the policy runs
        model = seeded_model("mixed_bfloat16")
        saved = tmp_path / "mixed.fmlp"
        model.save(saved)
    if not _engine.force_isa(isa):
        pytest.skip(f"this CPU cannot run the {isa} path")
    try:
        message = f"AVX512_BF16.*path in use is '{isa}'"
        with pytest.raises(CPUFeatureError, match=message):
            fm.Sequential(dtype="mixed_bfloat16")
        with pytest.raises(ValueError, match="AVX512_BF16"):  # a ValueError too
            fm.Sequential([fm.Input((3,)), fm.Dense(2)], dtype="mixed_bfloat16")
        if saved is not None:
            with pytest.raises(CPUFeatureError, match=message):
                fm.load_model(saved)
            # a model built where bfloat16 ran, then the path lowered under it
            with pytest.raises(CPUFeatureError, match="AVX512_BF16"):
                model.fit(*data(), epochs=1, verbose=0)
        pytest.importorskip("sklearn")
        clf = fm.MLPClassifier((8,), dtype="mixed_bfloat16", max_iter=2)
        with pytest.raises(CPUFeatureError, match=message):
            clf.fit(*data())
        assert not hasattr(clf, "n_iter_")  # refused before anything was fitted
    finally:
        _engine.force_isa(before)
