"""Backpropagation checked by central finite differences in float64, for
every loss with every output activation, and every hidden activation."""
import numpy as np
import pytest

import fastmlp as fm
from fastmlp import activations
from conftest import numeric_gradients

# every engine activation: the user-facing names, and the tanh form of gelu
ACTIVATIONS = [name for name in activations.CODES if name != "gelu_tanh"] + [
    activations.Activation("gelu_tanh")]
# the losses compile() takes, by the name Keras gives them
LOSSES = ["mse", "mae", "huber", "log_cosh", "poisson", "kl_divergence", "hinge",
          "squared_hinge", "mape", "msle", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy"]
# losses defined on positive predictions (or probabilities), and activations
# whose outputs can be negative: those pairs get weights that keep them positive
POSITIVE_LOSSES = {"poisson", "kl_divergence", "msle", "binary_crossentropy",
                   "categorical_crossentropy", "sparse_categorical_crossentropy"}
SIGNED_OUTPUTS = {"linear", "relu", "leaky_relu", "tanh", "elu", "selu", "softsign", "swish",
                  "gelu", "gelu_tanh", "mish", "relu6"}


def data(loss, n, n_in, n_out, rng):
    x = rng.standard_normal((n, n_in))
    if loss == "sparse_categorical_crossentropy":
        return x, rng.integers(0, n_out, n)
    if loss in ("categorical_crossentropy", "kl_divergence"):
        return x, np.eye(n_out)[rng.integers(0, n_out, n)] * 0.8 + 0.2 / n_out
    if loss in ("binary_crossentropy", "hinge", "squared_hinge"):
        return x, rng.integers(0, 2, (n, n_out)).astype(float)
    if loss in ("poisson", "msle"):
        return x, rng.uniform(0.1, 3.0, (n, n_out))
    return x, rng.standard_normal((n, n_out))


def check_gradients(model, x, y, rtol=1e-5):
    loss, analytic = model._gradients(x, y)
    assert loss == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-12)
    numeric = numeric_gradients(model, lambda: model.evaluate(x, y, verbose=0))
    scale = max(np.abs(g).max() for g in numeric)
    assert scale > 0
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("output", ACTIVATIONS)
def test_every_loss_with_every_output_activation(loss, output):
    rng = np.random.default_rng(abs(hash((loss, str(output)))) % 2**32)
    n_out = 3
    x, y = data(loss, 7, 4, n_out, rng)
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(5, activation="tanh", input_dim=4))
    model.add(fm.Dense(n_out, activation=output))
    model.compile(optimizer="sgd", loss=loss)
    if loss in POSITIVE_LOSSES and activations.get(output).name in SIGNED_OUTPUTS:
        # keep the outputs inside (0, 1), where these losses are smooth (Keras clips
        # outside, where the gradient is 0)
        w = model.get_weights()
        w[2] = np.abs(w[2]) * 0.1
        w[3] = np.full(n_out, 0.3)
        model.set_weights(w)
    check_gradients(model, x, y)


@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_every_hidden_activation_with_dropout_layers_and_no_bias(hidden):
    rng = np.random.default_rng(7)
    x, y = data("categorical_crossentropy", 6, 3, 4, rng)
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dropout(0.3))
    model.add(fm.Dense(5, activation=hidden, input_dim=3))
    model.add(fm.Dropout(0.5))
    model.add(fm.Dense(4, activation=hidden, use_bias=False))
    model.add(fm.Dense(4, activation="softmax"))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.build((None, 3))
    check_gradients(model, x, y)


def test_soft_targets_and_trailing_dropout():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 3))
    y = rng.dirichlet(np.ones(4), 5)
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(6, activation="relu", input_dim=3))
    model.add(fm.Dense(4, activation="softmax"))
    model.add(fm.Dropout(0.1))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    check_gradients(model, x, y)


def test_fused_loss_values_match_their_definitions():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((6, 3))
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(4, activation="softmax", input_dim=3))
    labels = rng.integers(0, 4, 6)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    p = model.predict(x)
    expected = -np.log(p[np.arange(6), labels]).mean()
    assert model.evaluate(x, labels, verbose=0) == pytest.approx(expected, rel=1e-12)

    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model.evaluate(x, np.eye(4)[labels], verbose=0) == pytest.approx(expected, rel=1e-12)

    binary = fm.Sequential(dtype="float64")
    binary.add(fm.Dense(2, activation="sigmoid", input_dim=3))
    binary.compile(optimizer="sgd", loss="binary_crossentropy")
    t = rng.integers(0, 2, (6, 2)).astype(float)
    q = binary.predict(x)
    expected = -(t * np.log(q) + (1 - t) * np.log(1 - q)).mean()
    assert binary.evaluate(x, t, verbose=0) == pytest.approx(expected, rel=1e-10)


def test_cross_entropy_stays_finite_for_saturated_logits():
    model = fm.Sequential(dtype="float32")
    model.add(fm.Dense(3, activation="softmax", input_dim=1))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.set_weights([np.array([[100.0, -100.0, 0.0]]), np.zeros(3)])
    loss, grads = model._gradients(np.array([[5.0]]), np.array([1]))
    assert loss == pytest.approx(1000.0, rel=1e-5)  # log-softmax from logits, no log(0)
    assert all(np.isfinite(g).all() for g in grads)
