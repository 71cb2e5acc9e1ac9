"""Keras 3's model plumbing in fastmlp's dialect: the Functional API for
chains (and the errors for what is not a chain), fm.Input in a Sequential,
models used as layers, Sequential.add/pop, get_layer, the weight lists and
Variables, layers and models called on arrays, build/count_params, summary()
against the text Keras 3.15.1 prints, the *_on_batch methods,
fit(steps_per_epoch=), callbacks in evaluate/predict, EarlyStopping's restore
at the end, "acc" in the logs and frozen layers.

What Keras does is written up in /work/notes/keras3.md (§3 summary, §10
callbacks, §13 model plumbing); the summary texts below were printed by Keras
3.15.1. With a Keras 3 interpreter available (FASTMLP_KERAS_PYTHON, or the
venv /work/notes/kenv) test_summary_goldens_are_what_keras_prints checks
them against Keras itself; otherwise that test is skipped.

Tests marked xfail(strict=True, reason="BUG: ...") pin a divergence from
Keras that fastmlp still has; they fail loudly (XPASS) once it is fixed.
"""
import io
import contextlib
import json
import os
import subprocess
import warnings

import numpy as np
import pytest

import fastmlp as fm
from fastmlp.layers import InputLayer, KerasTensor, Variable

_DEFAULT_KERAS_PYTHON = "/work/notes/kenv/bin/python"


def keras_python():
    """The interpreter of a Keras 3 environment (torch backend), or None:
    $FASTMLP_KERAS_PYTHON, else /work/notes/kenv when it exists."""
    path = os.environ.get("FASTMLP_KERAS_PYTHON")
    if path:
        return path
    return _DEFAULT_KERAS_PYTHON if os.path.exists(_DEFAULT_KERAS_PYTHON) else None


needs_keras = pytest.mark.skipif(
    keras_python() is None,
    reason="no Keras 3 interpreter: set FASTMLP_KERAS_PYTHON to a python with keras 3 and torch "
           "(the development venv /work/notes/kenv is absent)")


def run_keras(code, cwd, **env):
    """Run `code` in the Keras interpreter (torch backend) in `cwd`; its stdout."""
    result = subprocess.run(
        [keras_python(), "-c", code], cwd=str(cwd), capture_output=True, text=True, timeout=600,
        env=dict(os.environ, KERAS_BACKEND="torch", OMP_NUM_THREADS="1", **env))
    assert result.returncode == 0, f"Keras script failed:\n{result.stderr[-3000:]}"
    return result.stdout


def relu(a):
    return np.maximum(a, 0)


def data(n=32, features=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)).astype(np.float32)


# ====================================================================== Functional API: chains


def test_functional_chain_computes_what_its_layers_compute():
    """fm.Input -> layer calls -> fm.Model(inputs, outputs): the layers in
    order (the InputLayer first, as Keras), the shapes, and predictions that
    are the layers' arithmetic."""
    inputs = fm.Input(shape=(4,), name="features")
    assert isinstance(inputs, KerasTensor) and inputs.shape == (None, 4)
    hidden = fm.Dense(6, activation="relu", name="hidden")(inputs)
    assert isinstance(hidden, KerasTensor) and hidden.shape == (None, 6)
    outputs = fm.Dense(2, name="logits")(hidden)
    model = fm.Model(inputs=inputs, outputs=outputs, name="chain")

    assert model.name == "chain"
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert [l.name for l in model.layers] == ["features", "hidden", "logits"]
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert model.count_params() == 4 * 6 + 6 + 6 * 2 + 2

    x = data()
    w1, b1 = model.get_layer("hidden").get_weights()
    w2, b2 = model.get_layer("logits").get_weights()
    expected = relu(x @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model(x), model.predict(x, verbose=0))


def test_functional_chain_accepts_one_element_lists():
    """Keras takes inputs=[x] and outputs=[y] for one input and one output."""
    inputs = fm.Input((3,))
    outputs = fm.Dense(2)(inputs)
    model = fm.Model([inputs], [outputs])
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)


def test_functional_chain_with_flatten_trains():
    """A chain from a 2-D sample through Flatten learns (its loss falls) and
    its accuracy is logged under the name given."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((96, 3, 4)).astype(np.float32)
    y = np.argmax(x.reshape(96, -1) @ rng.standard_normal((12, 3)), axis=1)
    inputs = fm.Input((3, 4))
    h = fm.Flatten()(inputs)
    assert h.shape == (None, 12)
    h = fm.Dense(16, activation="relu")(h)
    model = fm.Model(inputs, fm.Dense(3, activation="softmax")(h))
    model.compile(fm.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (96, 3)


def test_functional_model_is_built_when_created():
    inputs = fm.Input((4,))
    model = fm.Model(inputs, fm.Dense(2)(inputs))
    assert model.built


def _two_outputs():
    inputs = fm.Input((4,))
    return fm.Model(inputs, [fm.Dense(2)(inputs), fm.Dense(3)(inputs)])


def _one_tensor_twice_as_outputs():
    inputs = fm.Input((4,))
    h = fm.Dense(2)(inputs)
    return fm.Model(inputs, [h, h])


def _two_inputs():
    a, b = fm.Input((4,)), fm.Input((4,))
    return fm.Model([a, b], fm.Dense(2)(a))


def _layer_applied_twice():
    inputs = fm.Input((4,))
    shared = fm.Dense(4, name="shared")
    return fm.Model(inputs, shared(shared(inputs)))


def _layer_called_on_two_tensors():
    inputs = fm.Input((4,))
    shared = fm.Dense(4, name="shared")
    h = fm.Dense(4)(shared(inputs))
    return fm.Model(inputs, shared(h))


def _outputs_of_another_input():
    a, b = fm.Input((4,), name="first"), fm.Input((4,), name="second")
    return fm.Model(a, fm.Dense(2)(b))


def _inputs_not_from_input():
    h = fm.Dense(3)(fm.Input((4,)))
    return fm.Model(h, fm.Dense(2)(h))


def _dict_outputs():
    inputs = fm.Input((4,))
    return fm.Model(inputs, {"y": fm.Dense(2)(inputs)})


def _array_outputs():
    return fm.Model(fm.Input((4,)), np.ones(3))


def _no_outputs():
    return fm.Model(fm.Input((4,)))


def _subclassing():
    return fm.Model()


@pytest.mark.parametrize("build, error, message", [
    (_two_outputs, ValueError, r"chains from one input to one output; got 2 outputs"),
    (_one_tensor_twice_as_outputs, ValueError, r"one output; got 2 outputs"),
    (_two_inputs, ValueError, r"one input to one output; got 2 inputs"),
    (_layer_applied_twice, ValueError, r"layer 'shared' is used twice .*shared layers are not"),
    (_layer_called_on_two_tensors, ValueError, r"layer 'shared' is used twice"),
    (_outputs_of_another_input, ValueError, r"outputs do not come from these inputs.*'second'"),
    (_inputs_not_from_input, ValueError, r"inputs must come from fm\.Input"),
    (_dict_outputs, ValueError, r"takes one output \(not a dict\)"),
    (_array_outputs, TypeError, r"outputs must be a KerasTensor .*got an array of shape \(3,\)"),
    (_no_outputs, ValueError, r"needs both inputs and outputs"),
    (_subclassing, ValueError, r"subclassing Model .* not supported"),
], ids=lambda v: getattr(v, "__name__", "").lstrip("_") or None)
def test_what_is_not_a_chain_is_refused_naming_the_construct(build, error, message):
    """Branches, merges, shared layers and several inputs/outputs are Keras
    constructs fastmlp's chain engine cannot run: refused with a message that
    says which."""
    with pytest.raises(error, match=message):
        build()


def test_a_dangling_branch_is_not_part_of_the_model():
    """A tensor feeding two layers is fine when only one path reaches the
    outputs: as in Keras, the model is that path."""
    inputs = fm.Input((4,))
    h = fm.Dense(5, activation="relu", name="trunk")(inputs)
    kept = fm.Dense(2, name="kept")(h)
    fm.Dense(3, name="dangling")(h)
    model = fm.Model(inputs, kept)
    assert [l.name for l in model.layers][1:] == ["trunk", "kept"]
    assert model.count_params() == 4 * 5 + 5 + 5 * 2 + 2
    x = data()
    w1, b1 = model.get_layer("trunk").get_weights()
    w2, b2 = model.get_layer("kept").get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), relu(x @ w1 + b1) @ w2 + b2,
                               rtol=1e-5, atol=1e-6)


def test_a_layer_called_in_two_models_shares_its_weights():
    """A layer called on the Inputs of two models is one set of weights, as in
    Keras: training either model moves what the other computes."""
    x, t2, t1 = data(), data(features=2, seed=1), data(features=1, seed=2)
    shared = fm.Dense(2, name="shared")
    a, b = fm.Input((4,)), fm.Input((4,))
    first = fm.Model(a, shared(a))
    second = fm.Model(b, fm.Dense(1)(shared(b)))
    assert first.get_layer("shared") is second.get_layer("shared") is shared

    first.compile(fm.SGD(0.1), "mse")
    first.fit(x, t2, epochs=2, verbose=0)
    trained_by_first = shared.get_weights()
    np.testing.assert_allclose(first.predict(x, verbose=0),
                               x @ trained_by_first[0] + trained_by_first[1], rtol=1e-5, atol=1e-6)

    second.compile(fm.SGD(0.1), "mse")
    second.fit(x, t1, epochs=2, verbose=0)
    kernel = shared.kernel.numpy()
    assert not np.array_equal(kernel, trained_by_first[0])  # the second model trained it
    np.testing.assert_allclose(first.predict(x, verbose=0), x @ kernel + shared.bias.numpy(),
                               rtol=1e-5, atol=1e-6)  # and the first computes with that


# ====================================================================== fm.Input in a Sequential


@pytest.mark.parametrize("first", ["Input", "InputLayer"])
def test_input_first_in_a_sequential_builds_it(first):
    """fm.Input(shape) (or fm.InputLayer(shape=...)) first in a Sequential
    builds the model at once; like Keras, `layers` leaves it out and the
    config keeps it as layers[0]."""
    start = fm.Input((4,), name="features") if first == "Input" else \
        fm.InputLayer(shape=(4,), name="features")
    model = fm.Sequential([start, fm.Dense(3, name="h"), fm.Dense(1, name="o")])
    assert model.built
    assert [l.name for l in model.layers] == ["h", "o"]
    assert not any(isinstance(l, InputLayer) for l in model.layers)
    assert model.input_shape == (None, 4) and model.output_shape == (None, 1)
    assert model.count_params() == 4 * 3 + 3 + 3 + 1
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert config["layers"][0]["config"]["batch_shape"] == [None, 4]
    assert config["layers"][0]["config"]["name"] == "features"
    assert config["build_input_shape"] == [None, 4]


def test_input_of_several_dimensions_in_a_sequential():
    model = fm.Sequential([fm.Input((2, 3)), fm.Flatten(), fm.Dense(2)])
    assert model.input_shape == (None, 2, 3) and model.output_shape == (None, 2)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    kernel, bias = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), x.reshape(5, 6) @ kernel + bias,
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError,
                       match=r"samples of shape \(3, 2\) but the model expects \(2, 3\)"):
        model.predict(x.reshape(5, 3, 2), verbose=0)


def test_an_input_after_the_first_layer_is_refused():
    model = fm.Sequential([fm.Input((4,)), fm.Dense(2)])
    with pytest.raises(ValueError, match="can only be the first layer"):
        model.add(fm.Input((2,)))


# ====================================================================== models as layers


def _inner(name="inner"):
    return fm.Sequential([fm.Dense(6, activation="relu", name=f"{name}_a"),
                          fm.Dense(3, name=f"{name}_b")], name=name)


def _outer_sequential():
    inner = _inner()
    outer = fm.Sequential([fm.Input((4,)), inner, fm.Dense(1, name="head")], name="outer")
    return inner, outer


def _outer_functional():
    inner = _inner()
    inputs = fm.Input((4,))
    outer = fm.Model(inputs, fm.Dense(1, name="head")(inner(inputs)), name="outer")
    return inner, outer


@pytest.mark.parametrize("make", [_outer_sequential, _outer_functional],
                         ids=["in_sequential", "in_functional"])
def test_a_sequential_used_as_a_layer_shares_its_weights(make):
    """A Sequential inside a Sequential or a Functional model is one entry of
    outer.layers, and is the same object: training the outer model trains the
    inner model's weights, and inner.predict computes with them."""
    inner, outer = make()
    assert outer.get_layer("inner") is inner
    names = [l.name for l in outer.layers if not isinstance(l, InputLayer)]
    assert names == ["inner", "head"]
    assert [v.name for v in outer.weights] == ["kernel", "bias"] * 3
    assert outer.count_params() == (4 * 6 + 6) + (6 * 3 + 3) + (3 + 1)
    x, y = data(), data(features=1, seed=3)

    before = inner.get_weights()
    outer.compile(fm.SGD(0.05), "mse")
    outer.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = inner.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))
    head_kernel, head_bias = outer.get_layer("head").get_weights()
    np.testing.assert_allclose(outer.predict(x, verbose=0),
                               inner.predict(x, verbose=0) @ head_kernel + head_bias,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [_outer_sequential, _outer_functional],
                         ids=["in_sequential", "in_functional"])
def test_freezing_the_inner_model_holds_its_weights_after_recompiling(make):
    """inner.trainable = False (then compile again, as Keras's docs say)
    freezes every layer of the inner model; the outer model's own layers
    still train, and the frozen weights count as non-trainable."""
    inner, outer = make()
    x, y = data(), data(features=1, seed=3)
    outer.compile(fm.SGD(0.05), "mse")
    outer.fit(x, y, epochs=1, verbose=0)

    inner.trainable = False
    assert all(not l.trainable for l in inner.layers)
    outer.compile(fm.SGD(0.05), "mse")
    frozen, head = inner.get_weights(), outer.get_layer("head").get_weights()
    outer.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(frozen, inner.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(not np.array_equal(a, b)
               for a, b in zip(head, outer.get_layer("head").get_weights()))
    assert len(outer.non_trainable_weights) == 4 and len(outer.trainable_weights) == 2
    prefix = "outer/" if isinstance(outer, fm.Sequential) else ""  # Keras's variable paths
    assert [v.path for v in outer.trainable_weights] == [prefix + "head/kernel",
                                                         prefix + "head/bias"]


# ====================================================================== Sequential.add / pop


def test_sequential_add_keeps_weights_and_pop_rebuilds():
    """add() appends and rebuilds around the existing weights; pop() removes
    the last layer and the model's output becomes the layer before's."""
    model = fm.Sequential([fm.Input((4,))], name="growing")
    assert model.layers == [] and model.input_shape == (None, 4)
    model.add(fm.Dense(5, name="a"))
    assert model.output_shape == (None, 5) and model.count_params() == 25
    first = model.get_weights()
    model.add(fm.Dense(2, name="b"))
    assert model.output_shape == (None, 2) and model.count_params() == 25 + 12
    for a, b in zip(first, model.get_weights()[:2]):
        np.testing.assert_array_equal(a, b)

    x = data(n=3)
    model.compile(fm.SGD(0.1), "mse")
    model.fit(x, np.ones((3, 2), np.float32), verbose=0)
    trained = model.get_weights()
    popped = model.pop()
    assert popped.name == "b"
    assert [l.name for l in model.layers] == ["a"]
    assert model.output_shape == (None, 5) and model.count_params() == 25
    for a, b in zip(trained[:2], model.get_weights()):
        np.testing.assert_array_equal(a, b)
    kernel, bias = trained[:2]
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5,
                               atol=1e-6)
    model.add(fm.Dense(7, name="c"))
    assert model.predict(x, verbose=0).shape == (3, 7)


def test_sequential_add_and_pop_refusals():
    model = fm.Sequential([fm.Input((4,)), fm.Dense(2, name="a")])
    with pytest.raises(ValueError, match="already has a layer named 'a'"):
        model.add(fm.Dense(1, name="a"))
    with pytest.raises(TypeError, match=r"add\(\) expects a layer"):
        model.add("dense")
    with pytest.raises(IndexError, match="There are no layers in the model"):
        fm.Sequential().pop()  # Keras 3.15.1 raises IndexError here too


# ====================================================================== get_layer


def test_get_layer_by_name_and_index():
    """As Keras: by name or by index into model.layers (a Sequential's has no
    InputLayer, a Functional model's starts with it); a missing name lists
    the layers."""
    seq = fm.Sequential([fm.Input((4,)), fm.Dense(5, name="h"), fm.Dropout(0.1, name="drop"),
                         fm.Dense(1, name="out")])
    assert seq.get_layer("drop") is seq.layers[1]
    assert seq.get_layer(index=0).name == "h" and seq.get_layer(index=2).name == "out"
    with pytest.raises(ValueError, match=r"No such layer: nope\. Existing layers are: "
                                         r"\['h', 'drop', 'out'\]\."):
        seq.get_layer("nope")
    with pytest.raises(ValueError, match="index 10 but model only has 3 layers"):
        seq.get_layer(index=10)

    inputs = fm.Input((4,), name="in")
    func = fm.Model(inputs, fm.Dense(2, name="z")(fm.Dense(3, name="y")(inputs)))
    assert isinstance(func.get_layer(index=0), InputLayer)
    assert func.get_layer(index=0).name == "in" and func.get_layer(index=2).name == "z"
    assert func.get_layer("y") is func.layers[1]


# ====================================================================== weights and Variables


def _bn_model():
    return fm.Sequential([fm.Input((4,)), fm.Dense(5, activation="relu", name="h"),
                          fm.BatchNormalization(name="bn"), fm.Dropout(0.2, name="drop"),
                          fm.Dense(3, name="out")], name="seq")


def test_weight_lists_names_order_and_counts():
    """model.weights in layer order, each layer's in creation order (Dense:
    kernel, bias; BN: gamma, beta, moving_mean, moving_variance); the moving
    statistics are the non-trainable ones; get_weights has the same order."""
    model = _bn_model()
    assert [v.name for v in model.weights] == ["kernel", "bias", "gamma", "beta", "moving_mean",
                                              "moving_variance", "kernel", "bias"]
    assert [v.path.split("/")[-2:] for v in model.weights] == [
        ["h", "kernel"], ["h", "bias"], ["bn", "gamma"], ["bn", "beta"], ["bn", "moving_mean"],
        ["bn", "moving_variance"], ["out", "kernel"], ["out", "bias"]]
    assert [v.path.split("/")[-2:] for v in model.trainable_weights] == [
        ["h", "kernel"], ["h", "bias"], ["bn", "gamma"], ["bn", "beta"], ["out", "kernel"],
        ["out", "bias"]]
    assert [v.path.split("/")[-2:] for v in model.non_trainable_weights] == [
        ["bn", "moving_mean"], ["bn", "moving_variance"]]
    assert all(isinstance(v, Variable) for v in model.weights)
    assert [v.shape for v in model.weights] == [w.shape for w in model.get_weights()]
    for v, w in zip(model.weights, model.get_weights()):
        np.testing.assert_array_equal(v.numpy(), w)
    assert [v.trainable for v in model.weights] == [True] * 4 + [False] * 2 + [True] * 2
    sizes = [int(np.prod(v.shape)) for v in model.weights]
    assert sum(sizes) == model.count_params() == (4 * 5 + 5) + 4 * 5 + (5 * 3 + 3)
    bn = model.get_layer("bn")
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert model.get_layer("drop").weights == []


def test_variable_paths_carry_the_model_name_as_keras():
    model = _bn_model()
    assert [v.path for v in model.weights][:3] == ["seq/h/kernel", "seq/h/bias", "seq/bn/gamma"]


def test_kernel_and_bias_are_variables_that_read_and_write():
    """layer.kernel / layer.bias: Variables whose .numpy() is a copy, written
    by .assign(array) and (fastmlp's addition; Keras has no setter) by
    `layer.kernel = array`; predictions follow the new values."""
    model = _bn_model()
    h = model.get_layer("h")
    assert isinstance(h.kernel, Variable) and isinstance(h.bias, Variable)
    assert h.kernel.shape == (4, 5) and h.bias.shape == (5,)
    assert h.kernel.name == "kernel" and h.kernel.trainable
    copy = h.kernel.numpy()
    assert isinstance(copy, np.ndarray) and copy.dtype == np.float32
    copy[...] = 99.0
    assert not np.any(h.kernel.numpy() == 99.0)  # a copy, not a view

    x = data()
    returned = h.kernel.assign(np.full((4, 5), 0.5))
    assert isinstance(returned, Variable)
    np.testing.assert_array_equal(h.kernel.numpy(), np.full((4, 5), 0.5, np.float32))
    np.testing.assert_array_equal(model.get_weights()[0], np.full((4, 5), 0.5, np.float32))
    h.bias = np.arange(5.0)
    np.testing.assert_array_equal(h.bias.numpy(), np.arange(5, dtype=np.float32))
    expected_hidden = relu(x @ np.full((4, 5), 0.5, np.float32) + np.arange(5.0))
    bn = model.get_layer("bn")
    gamma, beta, mean, var = bn.get_weights()
    expected_hidden = (expected_hidden - mean) / np.sqrt(var + 1e-3) * gamma + beta
    kernel, bias = model.get_layer("out").get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected_hidden @ kernel + bias,
                               rtol=1e-4, atol=1e-5)

    bn.moving_mean.assign(np.ones(5))
    np.testing.assert_array_equal(model.get_weights()[4], np.ones(5, np.float32))


def test_dense_without_bias_has_bias_none():
    layer = fm.Dense(2, use_bias=False)
    layer.build((None, 3))
    assert layer.bias is None and [v.name for v in layer.weights] == ["kernel"]
    with pytest.raises(ValueError, match="has no bias"):
        layer.bias = np.zeros(2)


@pytest.mark.parametrize("write", ["assign", "attribute"])
@pytest.mark.parametrize("value, error, message", [
    (np.ones((5, 4)), ValueError, r"h/kernel has shape \(4, 5\); got \(5, 4\)"),
    (np.ones(20), ValueError, r"h/kernel has shape \(4, 5\); got \(20,\)"),
    (np.full((4, 5), np.nan), ValueError, r"h/kernel contains NaN"),
    (np.full((4, 5), np.inf), ValueError, r"h/kernel contains infinity"),
    (np.full((4, 5), "a"), TypeError, r"h/kernel must hold numbers"),
], ids=["transposed", "flat", "nan", "inf", "strings"])
def test_bad_values_for_a_variable_are_refused_and_change_nothing(write, value, error, message):
    model = _bn_model()
    h = model.get_layer("h")
    before = model.get_weights()
    with pytest.raises(error, match=message):
        if write == "assign":
            h.kernel.assign(value)
        else:
            h.kernel = value
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_layer_has_no_variables_yet():
    layer = fm.Dense(2)
    assert layer.weights == [] and not layer.built
    with pytest.raises(RuntimeError, match=r"no weights yet \(kernel\): build it"):
        layer.kernel


# ====================================================================== calling on arrays


def test_dense_called_on_an_array_builds_and_computes():
    layer = fm.Dense(3, activation="tanh")
    x = data(n=7)
    out = layer(x)
    assert layer.built and layer.kernel.shape == (4, 3)
    assert isinstance(out, np.ndarray) and out.shape == (7, 3)
    np.testing.assert_allclose(out, np.tanh(x @ layer.kernel.numpy() + layer.bias.numpy()),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="was built for 4 features"):
        layer(data(features=5))


def test_a_layer_outside_a_model_is_float32():
    layer = fm.Dense(3)
    layer.build((None, 4))
    assert layer.kernel.dtype == "float32" and layer.kernel.numpy().dtype == np.float32
    assert layer(data(n=7)).dtype == np.float32


def test_dropout_is_the_identity_at_inference_and_drops_in_training():
    layer = fm.Dropout(0.5)
    x = np.random.default_rng(0).uniform(1, 2, (200, 50)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    out = layer(x, training=True)
    dropped = out == 0
    assert 0.45 < dropped.mean() < 0.55
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.5, rtol=1e-6)


def test_batch_normalization_layer_uses_batch_statistics_only_in_training():
    layer = fm.BatchNormalization()
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 4)).astype(np.float32)
    # inference: the initial moving statistics (mean 0, variance 1)
    np.testing.assert_allclose(layer(x), x / np.sqrt(1 + 1e-3), rtol=1e-5)
    # training: the batch's mean and biased variance
    np.testing.assert_allclose(layer(x, training=True),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-4, atol=1e-4)


def test_batch_normalization_layer_called_in_training_moves_its_moving_statistics():
    layer = fm.BatchNormalization(momentum=0.9)
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 4)).astype(np.float32)
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * x.mean(0), rtol=1e-4)


def test_model_called_on_an_array():
    """model(x) is predict (training=False by default); training=True uses
    dropout and batch statistics and moves BN's moving statistics (Keras)."""
    model = _bn_model()
    x = data()
    out = model(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (32, 3)
    np.testing.assert_array_equal(out, model.predict(x, verbose=0))
    np.testing.assert_array_equal(model(x, training=False), out)
    moving_mean = model.get_layer("bn").moving_mean.numpy()
    training = model(x, training=True)
    assert training.shape == out.shape and not np.allclose(training, out)
    assert not np.array_equal(model.get_layer("bn").moving_mean.numpy(), moving_mean)


def test_model_called_in_training_drops_units():
    """With only a Dropout between two Dense layers, training=True differs
    from inference and inference is repeatable."""
    model = fm.Sequential([fm.Input((4,)), fm.Dense(64, activation="relu"), fm.Dropout(0.5),
                           fm.Dense(2)])
    x = data()
    np.testing.assert_array_equal(model(x), model(x))
    assert not np.allclose(model(x, training=True), model(x))


# ====================================================================== build, count_params


def test_layer_build_creates_weights_of_the_given_width():
    layer = fm.Dense(2)
    layer.build((None, 7))
    assert layer.built and layer.kernel.shape == (7, 2) and layer.bias.shape == (2,)
    assert layer.count_params() == 16
    limit = np.sqrt(6 / (7 + 2))  # glorot_uniform
    assert np.all(np.abs(layer.kernel.numpy()) <= limit)
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(2, np.float32))
    other = fm.Dense(2)
    other.build(7)
    assert other.kernel.shape == (7, 2)
    with pytest.raises(ValueError, match=r"Dense takes flat inputs .*put fm\.Flatten\(\)"):
        fm.Dense(3).build((None, 2, 3))
    bn = fm.BatchNormalization()
    bn.build((None, 5))
    assert [v.shape for v in bn.weights] == [(5,)] * 4 and bn.count_params() == 20


def test_model_build_and_count_params():
    model = fm.Sequential([fm.Dense(3), fm.BatchNormalization(), fm.Dropout(0.1), fm.Dense(1)])
    assert not model.built and model.input_shape is None
    with pytest.raises((RuntimeError, ValueError), match="built"):
        model.count_params()
    model.build((None, 4))
    assert model.built and model.output_shape == (None, 1)
    assert model.count_params() == (4 * 3 + 3) + 4 * 3 + (3 + 1)


# ====================================================================== summary


# Built the same way for fastmlp and (as source) for Keras: each case_* returns (model,
# summary keyword arguments). Names are given so that they do not depend on Keras's
# process-global counters.
SUMMARY_CASES_SRC = '''
def _seq_bn(Input, Sequential, Model, layers):
    return Sequential([Input((20,)), layers.Dense(64, activation="relu", name="dense"),
                       layers.BatchNormalization(name="batch_normalization"),
                       layers.Dropout(0.5, name="dropout"),
                       layers.Dense(10, activation="softmax", name="dense_1")], name="sequential")


def _mnist(Input, Sequential, Model, layers):
    inputs = Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return Model(inputs, outputs, name="mnist_model")


def _nested(Input, Sequential, Model, layers):
    inner = Sequential([layers.Dense(8, activation="relu", name="i1"), layers.Dense(8, name="i2")],
                       name="inner")
    return Sequential([Input((12,)), inner, layers.Dense(1, name="head")], name="outer")


def case_sequential(Input, Sequential, Model, layers, np):
    return _seq_bn(Input, Sequential, Model, layers), {}


def case_sequential_line_length_80(Input, Sequential, Model, layers, np):
    return _seq_bn(Input, Sequential, Model, layers), {"line_length": 80}


def case_sequential_after_adam_fit(Input, Sequential, Model, layers, np):
    model = _seq_bn(Input, Sequential, Model, layers)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 20), "float32"), np.zeros(4), verbose=0)
    return model, {}


def case_show_trainable_after_fit(Input, Sequential, Model, layers, np):
    model, _ = case_sequential_after_adam_fit(Input, Sequential, Model, layers, np)
    return model, {"show_trainable": True}


def case_functional(Input, Sequential, Model, layers, np):
    return _mnist(Input, Sequential, Model, layers), {}


def case_functional_after_sgd_fit(Input, Sequential, Model, layers, np):
    model = _mnist(Input, Sequential, Model, layers)
    model.compile("sgd", "mse")
    model.fit(np.zeros((4, 784), "float32"), np.zeros((4, 10), "float32"), verbose=0)
    return model, {}


def case_nested(Input, Sequential, Model, layers, np):
    return _nested(Input, Sequential, Model, layers), {}


def case_nested_frozen(Input, Sequential, Model, layers, np):
    model = _nested(Input, Sequential, Model, layers)
    model.layers[0].trainable = False
    return model, {}


def case_nested_expanded(Input, Sequential, Model, layers, np):
    model = _nested(Input, Sequential, Model, layers)
    return model, {"expand_nested": True}


def case_unbuilt(Input, Sequential, Model, layers, np):
    return Sequential([layers.Dense(4, name="a"), layers.Dense(1, name="b")], name="unbuilt"), {}


def case_flatten(Input, Sequential, Model, layers, np):
    return Sequential([Input((28, 28)), layers.Flatten(name="flatten"), layers.Dense(10, name="d")],
                      name="flat"), {}


def case_long_layer_name(Input, Sequential, Model, layers, np):
    return Sequential([Input((1000,)),
                       layers.Dense(2000, name="wide_layer_with_a_rather_long_name_indeed"),
                       layers.Activation("relu", name="act"), layers.Dense(1, name="o")],
                      name="big"), {}
'''

# What Keras 3.15.1 prints (torch backend, COLUMNS=80, output not a terminal) for
# SUMMARY_CASES_SRC; regenerate with test_summary_goldens_are_what_keras_prints.
KERAS_SUMMARIES = {
    "sequential": """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         1,344 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 64)             │           256 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 64)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 2,250 (8.79 KB)
 Trainable params: 2,122 (8.29 KB)
 Non-trainable params: 128 (512.00 B)
""",
    "sequential_line_length_80": """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                      ┃ Output Shape             ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                     │ (None, 64)               │         1,344 │
├───────────────────────────────────┼──────────────────────────┼───────────────┤
│ batch_normalization               │ (None, 64)               │           256 │
│ (BatchNormalization)              │                          │               │
├───────────────────────────────────┼──────────────────────────┼───────────────┤
│ dropout (Dropout)                 │ (None, 64)               │             0 │
├───────────────────────────────────┼──────────────────────────┼───────────────┤
│ dense_1 (Dense)                   │ (None, 10)               │           650 │
└───────────────────────────────────┴──────────────────────────┴───────────────┘
 Total params: 2,250 (8.79 KB)
 Trainable params: 2,122 (8.29 KB)
 Non-trainable params: 128 (512.00 B)
""",
    "sequential_after_adam_fit": """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         1,344 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 64)             │           256 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dropout (Dropout)               │ (None, 64)             │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 6,496 (25.38 KB)
 Trainable params: 2,122 (8.29 KB)
 Non-trainable params: 128 (512.00 B)
 Optimizer params: 4,246 (16.59 KB)
""",
    "show_trainable_after_fit": """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ dense (Dense)               │ (None, 64)            │      1,344 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ batch_normalization         │ (None, 64)            │        256 │   Y   │
│ (BatchNormalization)        │                       │            │       │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dropout (Dropout)           │ (None, 64)            │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dense_1 (Dense)             │ (None, 10)            │        650 │   Y   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 6,496 (25.38 KB)
 Trainable params: 2,122 (8.29 KB)
 Non-trainable params: 128 (512.00 B)
 Optimizer params: 4,246 (16.59 KB)
""",
    "functional": """\
Model: "mnist_model"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ digits (InputLayer)             │ (None, 784)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 64)             │        50,240 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 64)             │         4,160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ predictions (Dense)             │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 55,050 (215.04 KB)
 Trainable params: 55,050 (215.04 KB)
 Non-trainable params: 0 (0.00 B)
""",
    "functional_after_sgd_fit": """\
Model: "mnist_model"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ digits (InputLayer)             │ (None, 784)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 64)             │        50,240 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 64)             │         4,160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ predictions (Dense)             │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 55,052 (215.05 KB)
 Trainable params: 55,050 (215.04 KB)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 2 (8.00 B)
""",
    "nested": """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ inner (Sequential)              │ (None, 8)              │           176 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 1)              │             9 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 185 (740.00 B)
 Trainable params: 185 (740.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "nested_frozen": """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ inner (Sequential)              │ (None, 8)              │           176 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 1)              │             9 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 185 (740.00 B)
 Trainable params: 9 (36.00 B)
 Non-trainable params: 176 (704.00 B)
""",
    "nested_expanded": """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ inner (Sequential)              │ (None, 8)              │           176 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ i1 (Dense)                 │ (None, 8)              │           104 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ i2 (Dense)                 │ (None, 8)              │            72 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 1)              │             9 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 185 (740.00 B)
 Trainable params: 185 (740.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "unbuilt": """\
Model: "unbuilt"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ a (Dense)                       │ ?                      │   0 (unbuilt) │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ b (Dense)                       │ ?                      │   0 (unbuilt) │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 0 (0.00 B)
 Trainable params: 0 (0.00 B)
 Non-trainable params: 0 (0.00 B)
""",
    "flatten": """\
Model: "flat"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ flatten (Flatten)               │ (None, 784)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ d (Dense)                       │ (None, 10)             │         7,850 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 7,850 (30.66 KB)
 Trainable params: 7,850 (30.66 KB)
 Non-trainable params: 0 (0.00 B)
""",
    "long_layer_name": """\
Model: "big"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ wide_layer_with_a_rather_long_… │ (None, 2000)           │     2,002,000 │
│ (Dense)                         │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ act (Activation)                │ (None, 2000)           │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ o (Dense)                       │ (None, 1)              │         2,001 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 2,004,001 (7.64 MB)
 Trainable params: 2,004,001 (7.64 MB)
 Non-trainable params: 0 (0.00 B)
""",
}

SUMMARY_DIVERGENCES: dict = {}  # case -> why fastmlp's text differs (none left)


def _summary_cases():
    namespace = {}
    exec(SUMMARY_CASES_SRC, namespace)
    return {name[len("case_"):]: fn for name, fn in namespace.items() if name.startswith("case_")}


def _fastmlp_summary(case, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # as Keras through a pipe: width 76
    model, kwargs = _summary_cases()[case](fm.Input, fm.Sequential, fm.Model, fm.layers, np)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        model.summary(**kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=SUMMARY_DIVERGENCES[case]))
    if case in SUMMARY_DIVERGENCES else case for case in KERAS_SUMMARIES])
def test_summary_prints_what_keras_prints(case, monkeypatch):
    """summary() for the same model gives Keras 3's text: the box, the column
    widths (76 columns through a pipe, or line_length), wrapped names, the
    Total/Trainable/Non-trainable lines and, once fit has built the optimizer,
    the Optimizer params line (included in Total)."""
    assert _fastmlp_summary(case, monkeypatch) == KERAS_SUMMARIES[case]


def test_summary_print_fn_and_totals_follow_freezing(monkeypatch):
    """print_fn receives the text; freezing a layer moves its count to the
    Non-trainable line."""
    monkeypatch.setenv("COLUMNS", "80")
    model = fm.Sequential([fm.Input((4,)), fm.Dense(3, name="frozen"), fm.Dense(1)])
    model.get_layer("frozen").trainable = False
    printed = []
    model.summary(print_fn=printed.append)
    text = "\n".join(printed)
    assert " Total params: 19 (76.00 B)" in text
    assert " Trainable params: 4 (16.00 B)" in text
    assert " Non-trainable params: 15 (60.00 B)" in text


@needs_keras
def test_summary_goldens_are_what_keras_prints(tmp_path):
    """The KERAS_SUMMARIES texts are what the Keras interpreter prints for
    SUMMARY_CASES_SRC today (COLUMNS=80, stdout a pipe)."""
    script = SUMMARY_CASES_SRC + '''
import contextlib, io, json
import numpy as np
import keras
out = {}
for name, fn in list(globals().items()):
    if name.startswith("case_"):
        model, kwargs = fn(keras.Input, keras.Sequential, keras.Model, keras.layers, np)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            model.summary(**kwargs)
        out[name[len("case_"):]] = buffer.getvalue()
print(json.dumps(out))
'''
    printed = json.loads(run_keras(script, tmp_path, COLUMNS="80").strip().splitlines()[-1])
    assert printed == KERAS_SUMMARIES


# ====================================================================== *_on_batch


def _classifier(optimizer="adam"):
    model = fm.Sequential([fm.Input((4,)), fm.Dense(5, activation="relu"),
                           fm.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_train_on_batch_is_one_step_returning_the_batch_loss_and_metrics():
    """[loss, *metrics] of the batch before the update (a dict sorted by name
    with return_dict=True), one optimizer step per call, metrics reset first."""
    x, y = data(n=10), np.random.default_rng(0).integers(0, 3, 10)
    model = _classifier(fm.SGD(0.1))
    loss_before, acc_before = model.evaluate(x, y, verbose=0)
    weights = model.get_weights()
    result = model.train_on_batch(x, y)
    assert isinstance(result, list) and len(result) == 2
    assert result[0] == pytest.approx(loss_before, rel=1e-6)
    assert result[1] == pytest.approx(acc_before)
    assert int(model.optimizer.iterations) == 1
    assert all(not np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))

    as_dict = model.train_on_batch(x, y, return_dict=True)
    assert list(as_dict) == ["accuracy", "loss"]
    assert int(model.optimizer.iterations) == 2
    predictions = model.predict(x, verbose=0)  # what the next step sees before it updates
    expected_acc = np.mean(np.argmax(predictions, axis=1) == y)
    assert model.train_on_batch(x, y, return_dict=True)["accuracy"] == pytest.approx(expected_acc)


def test_train_on_batch_without_metrics_returns_a_float():
    model = fm.Sequential([fm.Input((4,)), fm.Dense(1)])
    model.compile("sgd", "mse")
    loss = model.train_on_batch(data(n=10), np.zeros((10, 1), np.float32))
    assert isinstance(loss, float)
    assert model.metrics_names == ["loss"]


def test_test_on_batch_and_predict_on_batch_leave_the_weights_alone():
    x, y = data(n=10), np.random.default_rng(0).integers(0, 3, 10)
    model = _classifier()
    model.train_on_batch(x, y)
    weights = model.get_weights()
    loss, acc = model.test_on_batch(x, y)
    assert (loss, acc) == pytest.approx(tuple(model.evaluate(x, y, verbose=0)))
    assert model.test_on_batch(x, y, return_dict=True) == pytest.approx(
        {"accuracy": acc, "loss": loss})
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray) and out.shape == (10, 3)
    np.testing.assert_array_equal(out, model.predict(x, verbose=0))
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations) == 1


# ====================================================================== fit(steps_per_epoch=)


class _Recorder(fm.Callback):
    def __init__(self):
        super().__init__()
        self.batches, self.epochs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_steps_per_epoch_continues_through_the_data_and_stops_when_it_runs_out():
    """Keras's rule for arrays: an epoch of k steps continues where the last
    one stopped; when the data runs out the epoch ends early with a warning.
    10 samples, batch 4 (3 batches), steps_per_epoch=2: epochs of 2 and 1."""
    x, y = data(n=10), np.random.default_rng(0).integers(0, 3, 10)
    model = _classifier()
    recorder = _Recorder()
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        history = model.fit(x, y, batch_size=4, steps_per_epoch=2, epochs=2, verbose=0,
                            callbacks=[recorder])
    assert recorder.batches == [0, 1, 0] and recorder.epochs == [0, 1]
    assert history.params["steps"] == 2
    assert int(model.optimizer.iterations) == 3
    assert len(history.history["loss"]) == 2


def test_steps_per_epoch_takes_the_next_batches_in_order():
    """Without shuffling, two epochs of one step each train on rows 0-3 then
    4-7: the same as two train_on_batch calls on those rows."""
    x, y = data(n=10), data(n=10, features=1, seed=4)
    fitted = fm.Sequential([fm.Input((4,)), fm.Dense(3, activation="tanh"), fm.Dense(1)])
    stepped = fm.models.clone_model(fitted)
    stepped.set_weights(fitted.get_weights())
    fitted.compile(fm.SGD(0.1), "mse")
    stepped.compile(fm.SGD(0.1), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "ran out of data" here
        fitted.fit(x, y, batch_size=4, steps_per_epoch=1, epochs=2, shuffle=False, verbose=0)
    stepped.train_on_batch(x[:4], y[:4])
    stepped.train_on_batch(x[4:8], y[4:8])
    for a, b in zip(fitted.get_weights(), stepped.get_weights()):
        np.testing.assert_array_equal(a, b)


# ====================================================================== evaluate/predict callbacks


class _Hooks(fm.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_test_begin(self, logs=None):
        self.calls.append("test_begin")

    def on_test_batch_begin(self, batch, logs=None):
        self.calls.append(("test_batch_begin", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_batch_end", batch))

    def on_test_end(self, logs=None):
        self.calls.append(("test_end", dict(logs or {})))

    def on_predict_begin(self, logs=None):
        self.calls.append("predict_begin")

    def on_predict_batch_begin(self, batch, logs=None):
        self.calls.append(("predict_batch_begin", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(("predict_batch_end", batch))

    def on_predict_end(self, logs=None):
        self.calls.append("predict_end")


def test_evaluate_and_predict_call_their_callbacks():
    """evaluate(callbacks=) calls on_test_begin and on_test_end (with the
    returned logs); predict(callbacks=) on_predict_begin and on_predict_end;
    the callbacks get the model."""
    x, y = data(n=10), np.random.default_rng(0).integers(0, 3, 10)
    model = _classifier()
    hooks = _Hooks()
    logs = model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[hooks], return_dict=True)
    assert hooks.model is model
    ends = [c for c in hooks.calls if isinstance(c, tuple) and c[0] == "test_end"]
    assert hooks.calls[0] == "test_begin" and ends == [("test_end", logs)]
    assert hooks.calls[-1] == ("test_end", logs)

    hooks = _Hooks()
    model.predict(x, batch_size=4, verbose=0, callbacks=[hooks])
    assert hooks.calls[0] == "predict_begin" and hooks.calls[-1] == "predict_end"


def test_evaluate_and_predict_call_the_batch_hooks_per_batch():
    x, y = data(n=10), np.random.default_rng(0).integers(0, 3, 10)
    model = _classifier()
    hooks = _Hooks()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[hooks])
    assert [c for c in hooks.calls if isinstance(c, tuple) and c[0] == "test_batch_end"] == [
        ("test_batch_end", 0), ("test_batch_end", 1), ("test_batch_end", 2)]
    hooks = _Hooks()
    model.predict(x, batch_size=4, verbose=0, callbacks=[hooks])
    assert [c for c in hooks.calls if isinstance(c, tuple) and c[0] == "predict_batch_end"] == [
        ("predict_batch_end", 0), ("predict_batch_end", 1), ("predict_batch_end", 2)]


# ====================================================================== EarlyStopping


class _Snapshots(fm.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_restores_the_best_weights_without_stopping_early():
    """Keras 3: restore_best_weights=True restores the best epoch's weights at
    the end of training even when patience never ran out. Validating against
    flipped labels makes val_loss grow as the model learns, so the best epoch
    is an early one."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"),
                           fm.Dense(1, activation="sigmoid")])
    model.compile(fm.SGD(0.5), "binary_crossentropy")
    snapshots = _Snapshots()
    stopper = fm.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=32, validation_data=(x, 1 - y), verbose=0,
                        callbacks=[snapshots, stopper])
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) == 6 and stopper.stopped_epoch == 0  # it never stopped training
    assert best < 5, "the setup should make an early epoch the best"
    assert stopper.best_epoch == best
    for a, b in zip(model.get_weights(), snapshots.weights[best]):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(),
                                                        snapshots.weights[-1]))


# ====================================================================== metrics=["acc"]


def test_acc_is_logged_as_acc_and_val_acc_binary():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"),
                           fm.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["acc"])
    history = model.fit(x[:48], y[:48], epochs=2, validation_data=(x[48:], y[48:]), verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    expected = np.mean((model.predict(x[48:], verbose=0)[:, 0] > 0.5) == y[48:])
    assert history.history["val_acc"][-1] == pytest.approx(expected)
    assert list(model.evaluate(x, y, verbose=0, return_dict=True)) == ["acc", "loss"]
    assert model.metrics_names == ["loss", "acc"]


def test_acc_is_logged_as_acc_and_val_acc_sparse_categorical():
    x, y = data(n=60), np.random.default_rng(1).integers(0, 3, 60)
    model = _classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    expected = np.mean(np.argmax(model.predict(x[45:], verbose=0), axis=1) == y[45:])
    assert history.history["val_acc"][-1] == pytest.approx(expected)


# ====================================================================== frozen layers


@pytest.mark.parametrize("when", ["before_compile", "after_compile"])
def test_a_frozen_dense_layer_keeps_its_weights_through_fit(when):
    """layer.trainable = False: fit leaves its weights alone (on the torch
    backend Keras honours a change after compile without recompiling, and so
    does fastmlp), they are listed in non_trainable_weights, and the other
    layers still train."""
    x, y = data(n=64), data(n=64, features=1, seed=5)
    model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu", name="frozen"),
                           fm.Dense(1, name="head")])
    if when == "after_compile":
        model.compile("adam", "mse")
        model.fit(x, y, epochs=1, verbose=0)
    model.get_layer("frozen").trainable = False
    if when == "before_compile":
        model.compile("adam", "mse")
    frozen = model.get_layer("frozen").get_weights()
    head = model.get_layer("head").get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(frozen, model.get_layer("frozen").get_weights()):
        np.testing.assert_array_equal(a, b)
    trained = model.get_layer("head").get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(head, trained))
    assert [v.path.split("/")[-2:] for v in model.non_trainable_weights] == [
        ["frozen", "kernel"], ["frozen", "bias"]]
    assert [v.path.split("/")[-2:] for v in model.trainable_weights] == [
        ["head", "kernel"], ["head", "bias"]]
    assert not model.get_layer("frozen").kernel.trainable


def test_a_frozen_batch_normalization_layer_is_wholly_non_trainable():
    """BN with trainable=False: all four arrays non-trainable and unchanged by
    fit (it runs on its moving statistics, Keras 3's rule)."""
    x, y = data(n=64), data(n=64, features=1, seed=5)
    model = fm.Sequential([fm.Input((4,)), fm.Dense(8), fm.BatchNormalization(name="bn"),
                           fm.Dense(1)])
    model.compile("adam", "mse")
    model.get_layer("bn").trainable = False
    before = model.get_layer("bn").get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, model.get_layer("bn").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert [v.name for v in model.non_trainable_weights] == ["gamma", "beta", "moving_mean",
                                                             "moving_variance"]
