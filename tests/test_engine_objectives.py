"""The engine's objectives beyond Keras's, used by the scikit-learn estimators:
scikit-learn's loss scalings, sample weights and the L2 penalty, checked by
finite differences in float64."""
import numpy as np
import pytest

import fastmlp as fm
from conftest import numeric_gradients
from fastmlp import _engine, losses
from fastmlp.losses import BCE_SUM, HALF_SQUARED_SUM

SPARSE_CCE = losses.CODES["sparse_categorical_crossentropy"]


def network(output, n_out):
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(5, activation="tanh", input_dim=3))
    model.add(fm.Dense(n_out, activation=output))
    return model


def objective(model, x, y, labels, weights, scored):
    """loss sum / weight sum + penalty (already divided by the weight sum), the
    batch objective, and its gradients."""
    stats = model._network().engine.compute_gradients(x, y, labels, weights, scored)
    loss_sum, weight_sum, penalty = stats["loss_sum"], stats["weight_sum"], stats["penalty"]
    grads = [g.copy() for dw, db in model._network().engine.gradients_views if dw is not None
             for g in (dw, db)]
    return loss_sum / weight_sum + penalty, grads


def check(model, x, y, labels, weights, scored):
    _, analytic = objective(model, x, y, labels, weights, scored)
    numeric = numeric_gradients(model, lambda: objective(model, x, y, labels, weights, scored)[0])
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-8)


CASES = [("identity", "linear", HALF_SQUARED_SUM), ("relu out", "relu", HALF_SQUARED_SUM),
         ("logistic", "sigmoid", BCE_SUM), ("softmax", "softmax", SPARSE_CCE)]


@pytest.mark.parametrize("name,output,loss", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_of_weighted_penalised_objectives(name, output, loss, l2, weighted):
    rng = np.random.default_rng(0)
    n_out = 3
    x = rng.standard_normal((7, 3))
    y, labels = None, None
    if loss == SPARSE_CCE:
        labels = rng.integers(0, n_out, 7).astype(np.int64)
    elif loss == BCE_SUM:
        y = rng.integers(0, 2, (7, n_out)).astype(float)
    else:
        y = rng.standard_normal((7, n_out))
    weights = rng.uniform(0.2, 3.0, 7) if weighted else None
    model = network(output, n_out)
    model._network().engine.reserve(7)
    check(model, x, y, labels, weights, _engine.Objective(loss, 0, l2))


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 2))
    weights = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 2.0])
    repeat = np.repeat(np.arange(6), weights.astype(int))
    model = network("linear", 2)
    model._network().engine.reserve(len(repeat))
    scored = _engine.Objective(HALF_SQUARED_SUM, 0, 0.1)
    weighted = objective(model, x, y, None, weights, scored)
    repeated = objective(model, x[repeat], y[repeat], None, None, scored)
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    for a, b in zip(weighted[1], repeated[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_penalty_is_half_alpha_sum_of_squared_kernels_only():
    model = network("linear", 2)
    model._network().engine.reserve(4)
    x, y = np.ones((4, 3)), np.zeros((4, 2))
    penalty = model._network().engine.compute_gradients(x, y, None, None,
                                              _engine.Objective(HALF_SQUARED_SUM, 0, 0.5))["penalty"]
    kernels = model.get_weights()[::2]
    # ½·α·Σ kernel² over the batch's 4 rows
    assert penalty == pytest.approx(0.25 * sum((k ** 2).sum() for k in kernels) / 4, rel=1e-12)


def test_sklearn_losses_keep_the_sum_over_outputs():
    model = network("linear", 3)
    model._network().engine.reserve(2)
    model.set_weights([np.zeros((3, 5)), np.zeros(5), np.zeros((5, 3)), np.zeros(3)])
    y = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 2.0]])
    stats = model._network().engine.compute_gradients(np.ones((2, 3)), y, None, None,
                                            _engine.Objective(HALF_SQUARED_SUM, 0, 0.0))
    loss_sum, weight_sum = stats["loss_sum"], stats["weight_sum"]
    assert loss_sum / weight_sum == pytest.approx(0.5 * (1 + 4 + 9 + 4) / 2)


@pytest.mark.parametrize("kind,k", [("categorical_accuracy", 0), ("top_k", 2)])
def test_class_metrics_score_labels_when_there_are_no_target_values(kind, k):
    # The engine's contract lets the class metrics read labels when a call has
    # no target values; they used to take the argmax of the missing values.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 3))
    labels = rng.integers(0, 4, 40).astype(np.int64)
    model = network("softmax", 4)
    engine = model._network().engine
    probabilities = model.predict(x, verbose=0)
    acc = np.zeros(_engine.metric_size(_engine.METRICS[kind], k))
    scored = _engine.Objective(SPARSE_CCE, [(_engine.METRICS[kind], False, k, -1, None, acc)])
    engine.evaluate(x, None, labels, 16, scored)
    ranks = (probabilities > probabilities[np.arange(40), labels][:, None]).sum(axis=1)
    expected = (ranks < max(k, 1)).mean()
    assert acc[1] == 40
    assert acc[0] / acc[1] == pytest.approx(expected)
