"""Model.quantize and the estimators' quantize: an inference-only copy whose
Dense kernels are int8 per output column (or bfloat16), predictions close to
the float model's and bitwise equal on every SIMD path and thread count,
files that carry it (fastmlp's own format; .keras and ONNX refuse), and the
errors."""
import copy
import pickle

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _engine
from fastmlp._validation import CPUFeatureError
from fastmlp.quantization import quantize_kernel_int8, round_to_bfloat16

from conftest import ALL_ISAS, supported_isas

N_IN, N_OUT = 30, 5


def problem(seed=0, n=600):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((N_OUT, N_IN)) * 2
    y = rng.integers(0, N_OUT, n)
    x = (centers[y] + rng.standard_normal((n, N_IN))).astype(np.float32)
    return x, y


def trained_model(dtype="float32"):
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Input((N_IN,)), fm.Dense(64, activation="relu", name="hidden"),
                           fm.Dropout(0.1), fm.Dense(N_OUT, activation="softmax", name="out")],
                          dtype=dtype)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(*problem(), epochs=4, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def model():
    return trained_model()


def test_int8_is_a_copy_with_keras_int8_kernels(model):
    before = [w.copy() for w in model.get_weights()]
    x, _ = problem(1)
    float_predictions = model.predict(x, verbose=0)
    q = model.quantize("int8")
    assert q is not model
    for a, b in zip(before, model.get_weights()):  # the model itself is untouched
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.predict(x, verbose=0), float_predictions)
    for layer, source in zip([q.get_layer("hidden"), q.get_layer("out")],
                             [model.get_layer("hidden"), model.get_layer("out")]):
        assert layer.quantization_mode == "int8"
        assert layer._dtype_policy == "int8_from_float32"
        kernel, scale = quantize_kernel_int8(source.kernel.numpy())
        np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
        np.testing.assert_array_equal(layer.kernel_scale.numpy(), scale)
        np.testing.assert_array_equal(layer.bias.numpy(), source.bias.numpy())
        assert layer.kernel.dtype == "int8" and layer.bias.dtype == "float32"


def test_int8_predictions_close_to_float(model):
    x, y = problem(1)
    p_float = model.predict(x, verbose=0)
    p_int8 = model.quantize("int8").predict(x, verbose=0)
    assert p_int8.dtype == np.float32 and p_int8.shape == p_float.shape
    assert np.abs(p_int8 - p_float).max() < 0.05
    agreement = (p_int8.argmax(1) == p_float.argmax(1)).mean()
    assert agreement >= 0.99, agreement
    assert abs((p_int8.argmax(1) == y).mean() - (p_float.argmax(1) == y).mean()) <= 0.01


def test_int8_bitwise_equal_on_every_path_and_thread_count(model, threads):
    """The int8 layers give the same bits on every path and thread count.
    Across paths the model ends in a linear layer: float32 softmax's exp
    is each path's own vector code, equal only within a path."""
    x, _ = problem(2, n=257)
    fm.set_random_seed(1)
    linear = fm.Sequential([fm.Input((N_IN,)), fm.Dense(64, activation="relu"),
                            fm.Dense(48, activation="leaky_relu"), fm.Dense(N_OUT)])
    quantized = {"softmax": model.quantize("int8"), "linear": linear.quantize("int8")}
    before = _engine.config()["simd"]
    results = {}
    try:
        for isa in supported_isas():
            _engine.force_isa(isa)
            for count in (1, 2, 3):
                threads(count)
                for name, q in quantized.items():
                    results[name, isa, count] = q.predict(x, verbose=0)
                    results[name, isa, count, "one row"] = q.predict(x[:1], verbose=0)
    finally:
        _engine.force_isa(before)
    for key, value in results.items():
        name, isa = key[:2]
        first = results[name, isa if name == "softmax" else supported_isas()[0], 1]
        want = first[:1] if "one row" in key else first
        np.testing.assert_array_equal(value.view(np.uint32), want.view(np.uint32), err_msg=key)


def test_quantized_rows_do_not_depend_on_batch_size(model):
    x, _ = problem(3, n=100)
    q = model.quantize("int8")
    whole = q.predict(x, verbose=0)
    np.testing.assert_array_equal(q.predict(x, batch_size=7, verbose=0), whole)
    np.testing.assert_array_equal(q(x[5:6]), whole[5:6])


def test_evaluate_runs_quantized(model):
    x, y = problem(1)
    loss, accuracy = model.quantize("int8").evaluate(x, y, verbose=0)
    float_loss, float_accuracy = model.evaluate(x, y, verbose=0)
    assert abs(accuracy - float_accuracy) <= 0.01 and abs(loss - float_loss) < 0.05


def test_filters_choose_the_layers(model):
    q = model.quantize("int8", filters="hid")
    assert q.get_layer("hidden").quantization_mode == "int8"
    assert q.get_layer("out").quantization_mode is None
    q2 = model.quantize("int8", filters=lambda layer: layer.name == "out")
    assert q2.get_layer("hidden").quantization_mode is None
    with pytest.raises(ValueError, match="no Dense layer"):
        model.quantize("int8", filters="nothing-by-this-name")
    with pytest.raises(ValueError, match="filters"):
        model.quantize("int8", filters=3)


@pytest.mark.parametrize("suffix", ["fmlp", "pickle"])
def test_int8_save_and_load_round_trip(model, tmp_path, suffix):
    x, _ = problem(4, n=50)
    q = model.quantize("int8")
    if suffix == "pickle":
        loaded = pickle.loads(pickle.dumps(q))
    else:
        q.save(tmp_path / "q.fmlp")
        loaded = fm.load_model(tmp_path / "q.fmlp")
    for a, b in zip(q.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert loaded.get_layer("hidden").quantization_mode == "int8"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), q.predict(x, verbose=0))
    with pytest.raises(RuntimeError, match="cannot train"):
        loaded.fit(x, np.zeros(len(x), int), verbose=0)
    deep = copy.deepcopy(q)
    np.testing.assert_array_equal(deep.predict(x, verbose=0), q.predict(x, verbose=0))


def test_int8_file_loads_on_every_path(model, tmp_path):
    x, _ = problem(5, n=40)
    q = model.quantize("int8")
    q.save(tmp_path / "q.fmlp")
    before = _engine.config()["simd"]
    try:
        for isa in supported_isas():
            _engine.force_isa(isa)
            got = fm.load_model(tmp_path / "q.fmlp").predict(x, verbose=0)
            np.testing.assert_array_equal(got.view(np.uint32),
                                          q.predict(x, verbose=0).view(np.uint32), err_msg=isa)
    finally:
        _engine.force_isa(before)


def test_formats_that_cannot_carry_it_refuse(model, tmp_path):
    q = model.quantize("int8")
    with pytest.raises(ValueError, match="quantized"):
        q.save(tmp_path / "q.keras")
    with pytest.raises(ValueError, match="quantized"):
        q.export(tmp_path / "q.onnx", format="onnx")
    assert not (tmp_path / "q.keras").exists() and not (tmp_path / "q.onnx").exists()


def test_a_quantized_model_does_not_train(model):
    x, y = problem(6, n=64)
    q = model.quantize("int8")
    for call in (lambda: q.fit(x, y, verbose=0), lambda: q.train_on_batch(x, y),
                 lambda: q(x, training=True)):
        with pytest.raises(RuntimeError, match="quantized"):
            call()
    weights = q.get_weights()
    bad = [w.copy() for w in weights]
    bad[0] = bad[0].astype(np.float32) + 0.5  # not whole int8 numbers
    with pytest.raises(ValueError, match="int8"):
        q.set_weights(bad)
    bad = [w.copy() for w in weights]
    bad[2] = -bad[2]  # kernel_scale must stay positive
    with pytest.raises(ValueError, match="kernel_scale"):
        q.set_weights(bad)
    for a, b in zip(weights, q.get_weights()):  # refused calls changed nothing
        np.testing.assert_array_equal(a, b)


def test_argument_errors(model):
    with pytest.raises(ValueError, match="'int8' or 'bfloat16'"):
        model.quantize("int4")
    with pytest.raises(ValueError, match="config"):
        model.quantize("int8", config={"mode": "int8"})
    with pytest.raises(TypeError, match="unexpected keyword"):
        model.quantize("int8", granularity="tensor")
    with pytest.raises(ValueError, match="already quantized"):
        model.quantize("int8").quantize("int8")
    unbuilt = fm.Sequential([fm.Dense(3)])
    with pytest.raises(RuntimeError, match="quantize"):
        unbuilt.quantize("int8")
    wide = fm.Sequential([fm.Input((3,)), fm.Dense(2)], dtype="float64")
    with pytest.raises(ValueError, match="float32 models"):
        wide.quantize("int8")


def test_bfloat16_quantization(model, tmp_path):
    if not _engine.bf16_supported():
        pytest.skip("this CPU lacks AVX512_BF16 (the refusal is tested below)")
    x, y = problem(1)
    q = model.quantize("bfloat16")
    layer = q.get_layer("hidden")
    assert layer.quantization_mode == "bfloat16" and layer.kernel.dtype == "float32"
    kernel = model.get_layer("hidden").kernel.numpy()
    np.testing.assert_array_equal(layer.kernel.numpy(), round_to_bfloat16(kernel))
    p_float, p_bf16 = model.predict(x, verbose=0), q.predict(x, verbose=0)
    assert np.abs(p_bf16 - p_float).max() < 0.02
    assert (p_bf16.argmax(1) == p_float.argmax(1)).mean() >= 0.99
    q.save(tmp_path / "b.fmlp")
    loaded = fm.load_model(tmp_path / "b.fmlp")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), q.predict(x, verbose=0))
    # the same products as matmul(precision="bfloat16") on the same operands
    hidden = fm.Sequential([fm.Input((N_IN,)), fm.Dense(64, name="h")])
    hidden.set_weights([kernel, np.zeros(64, np.float32)])
    np.testing.assert_array_equal(hidden.quantize("bfloat16").predict(x, verbose=0),
                                  fm.ops.matmul(x, kernel, precision="bfloat16"))


@pytest.mark.parametrize("isa", [i for i in ALL_ISAS if i != "avx512_bf16"])
def test_bfloat16_refused_without_avx512_bf16(model, isa, tmp_path):
    saved = None
    if _engine.bf16_supported():
        saved = tmp_path / "b.fmlp"
        model.quantize("bfloat16").save(saved)
    before = _engine.config()["simd"]
    if not _engine.force_isa(isa):
        pytest.skip(f"this CPU cannot run the {isa} path")
    try:
        with pytest.raises(CPUFeatureError, match=f"AVX512_BF16.*'{isa}'"):
            model.quantize("bfloat16")
        if saved is not None:
            with pytest.raises(CPUFeatureError, match="AVX512_BF16"):
                fm.load_model(saved).predict(np.zeros((1, N_IN)), verbose=0)
        model.quantize("int8").predict(np.zeros((1, N_IN)), verbose=0)  # int8 runs everywhere
    finally:
        _engine.force_isa(before)


def test_quantized_from_mixed_bfloat16(bf16_path):
    model = trained_model("mixed_bfloat16")
    q = model.quantize("int8")
    assert q.get_layer("hidden")._dtype_policy == "int8_from_mixed_bfloat16"
    x, _ = problem(1)
    agreement = (q.predict(x, verbose=0).argmax(1) == model.predict(x, verbose=0).argmax(1))
    assert agreement.mean() >= 0.99


# ------------------------------------------------------------ the estimators

@pytest.fixture(scope="module")
def classifier():
    pytest.importorskip("sklearn")
    x, y = problem()
    clf = fm.MLPClassifier((64,), max_iter=30, random_state=0, batch_size=64)
    return clf.fit(x, y)


def test_estimator_quantize_is_a_copy(classifier):
    x, y = problem(1)
    coefs = [c.copy() for c in classifier.coefs_]
    q = classifier.quantize("int8")
    assert q is not classifier and type(q) is type(classifier)
    for a, b in zip(coefs, classifier.coefs_):
        np.testing.assert_array_equal(a, b)
    assert [c.dtype for c in q.coefs_] == [np.int8, np.int8]
    agreement = (q.predict(x) == classifier.predict(x)).mean()
    assert agreement >= 0.99
    assert abs(q.score(x, y) - classifier.score(x, y)) <= 0.01
    again = pickle.loads(pickle.dumps(q))
    np.testing.assert_array_equal(again.predict_proba(x), q.predict_proba(x))
    with pytest.raises(RuntimeError, match="quantized"):
        q.partial_fit(x, y)
    with pytest.raises(ValueError, match="already quantized"):
        q.quantize("int8")
    with pytest.raises(ValueError, match="'int8' or 'bfloat16'"):
        classifier.quantize("fp8")


def test_estimator_quantize_bitwise_across_paths_and_threads():
    """A regressor (identity output, so no path's own exp): the same bits
    on every path and thread count."""
    pytest.importorskip("sklearn")
    x, y = problem(2, n=300)
    reg = fm.MLPRegressor(hidden_layer_sizes=(64, 32), max_iter=20, random_state=0).fit(x, y.astype(float))
    q = reg.quantize("int8")
    before = _engine.config()["simd"]
    results = []
    try:
        for isa in supported_isas():
            _engine.force_isa(isa)
            for count in (1, 2, 3):
                fm.set_num_threads(count)
                results.append(q.predict(x))
    finally:
        _engine.force_isa(before)
        fm.set_num_threads(None)
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])


def test_estimator_quantize_before_fit():
    pytest.importorskip("sklearn")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        fm.MLPRegressor().quantize("int8")
