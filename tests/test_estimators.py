"""fm.MLPClassifier / fm.MLPRegressor: scikit-learn's estimator checks, parity
with scikit-learn's own MLP (same random stream, so float64 runs agree to
rounding), accuracy on scikit-learn's datasets, and the features around fit."""
import pickle
import re
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import scipy.sparse as sp  # noqa: E402
from sklearn import neural_network  # noqa: E402
from sklearn.datasets import (load_breast_cancer, load_digits, load_iris,  # noqa: E402
                              make_classification, make_multilabel_classification,
                              make_regression)
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastmlp as fm  # noqa: E402
from conftest import run_python  # noqa: E402

NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")

# ---------------------------------------------------------------- estimator checks

# Dropout masks are keyed on a row's position in its batch, so a row repeated
# k times gets k different masks while a row of weight k gets one: weighting
# and repeating agree only without dropout.
DROPOUT_XFAILS = {
    "check_sample_weight_equivalence_on_dense_data":
        "dropout draws different masks for a repeated row and a weighted one",
    "check_sample_weight_equivalence_on_sparse_data":
        "dropout draws different masks for a repeated row and a weighted one",
}


def expected_failures(estimator):
    return DROPOUT_XFAILS if estimator.dropout > 0 else {}


CHECKED = [cls(max_iter=50, **params)
           for params in ({}, {"solver": "sgd"}, {"solver": "rmsprop"}, {"dropout": 0.2},
                          {"solver": "lbfgs"})
           for cls in (fm.MLPClassifier, fm.MLPRegressor)]
# the exponential output learns a shifted target more slowly than the identity
CHECKED += [fm.MLPRegressor(loss="poisson", **params)
            for params in ({"max_iter": 300}, {"solver": "lbfgs", "max_iter": 50})]


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ---------------------------------------------------------------- helpers

@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def standardised(loader, seed=0):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed,
                                                        stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def digits():
    return standardised(load_digits)


def both(kind, **params):
    """(fastmlp's, scikit-learn's) estimator of `kind` with the same parameters."""
    return getattr(fm, kind)(**params), getattr(neural_network, kind)(**params)


def assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-10):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- parity with scikit-learn

PARITY_CASES = {
    "adam": dict(solver="adam"),
    "sgd-nesterov": dict(solver="sgd", learning_rate_init=0.05),
    "sgd-plain-momentum": dict(solver="sgd", nesterovs_momentum=False, learning_rate_init=0.05),
    "sgd-invscaling": dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.2),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.05,
                         n_iter_no_change=1, tol=0.5),
    "logistic-no-shuffle": dict(activation="logistic", shuffle=False, batch_size=64),
    "tanh-two-layers": dict(activation="tanh", hidden_layer_sizes=(20, 15), alpha=0.1),
    "identity-no-hidden": dict(activation="identity", hidden_layer_sizes=()),
}


@pytest.mark.parametrize("params", PARITY_CASES.values(), ids=PARITY_CASES.keys())
def test_float64_training_follows_scikit_learn(digits, params):
    X, _, y, _ = digits
    settings = dict(hidden_layer_sizes=(30,), max_iter=6, random_state=3)
    ours, theirs = both("MLPClassifier", **{**settings, **params})
    ours.fit(X, y)
    theirs.fit(X, y)
    assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-9)


def test_adaptive_learning_rate_is_divided_by_five_like_scikit_learn(digits):
    X, _, y, _ = digits
    ours, theirs = both("MLPClassifier", **PARITY_CASES["sgd-adaptive"], max_iter=6,
                        random_state=0)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours._optimizer.learning_rate == pytest.approx(theirs._optimizer.learning_rate)
    assert ours._optimizer.learning_rate < 0.05


def test_invscaling_learning_rate_follows_samples_seen(digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(**PARITY_CASES["sgd-invscaling"], max_iter=3, random_state=0)
    model.fit(X, y)
    assert model.t_ == 3 * len(X)
    assert model._learning_rate == pytest.approx(0.2 / (model.t_ + 1) ** 0.5)


def test_regression_with_sample_weights_and_several_outputs_follows_scikit_learn():
    X, y = make_regression(200, 8, n_targets=3, noise=1.0, random_state=0)
    y = y / y.std(axis=0)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    params = dict(hidden_layer_sizes=(16,), activation="tanh", batch_size=32, max_iter=8,
                  random_state=1)
    ours, theirs = both("MLPRegressor", **params)
    ours.fit(X, y, sample_weight=weights)
    theirs.fit(X, y, sample_weight=weights)
    assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-9)
    assert ours.predict(X).shape == (200, 3) and ours.n_outputs_ == 3


def test_multilabel_classification_follows_scikit_learn():
    X, Y = make_multilabel_classification(150, 10, n_classes=4, random_state=0)
    ours, theirs = both("MLPClassifier", hidden_layer_sizes=(20,), max_iter=10, random_state=0)
    ours.fit(X, Y)
    theirs.fit(X, Y)
    assert_same_weights(ours, theirs)
    assert ours.out_activation_ == "logistic" and ours.n_outputs_ == 4
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-7)


def test_early_stopping_follows_scikit_learn(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(20,), early_stopping=True, n_iter_no_change=2, tol=0.01,
                  max_iter=50, random_state=0)
    ours, theirs = both("MLPClassifier", **params)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 50
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert ours.best_loss_ is None and ours.validation_scores_ is not None
    assert_same_weights(ours, theirs)  # the best epoch's weights are restored


def test_binary_early_stopping_split_is_stratified_like_scikit_learn():
    X, y = make_classification(120, 6, weights=[0.8], random_state=0)
    labels = np.where(y == 1, "yes", "no")
    params = dict(hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2,
                  max_iter=5, random_state=0)
    ours, theirs = both("MLPClassifier", **params)
    ours.fit(X, labels)
    theirs.fit(X, labels)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    assert_same_weights(ours, theirs)


def test_partial_fit_follows_scikit_learn(digits):
    X, _, y, _ = digits
    ours, theirs = both("MLPClassifier", hidden_layer_sizes=(20,), random_state=0)
    classes = np.unique(y)
    for start in (0, 600, 1200):
        part = slice(start, start + 600)
        ours.partial_fit(X[part], y[part], classes=classes if start == 0 else None)
        theirs.partial_fit(X[part], y[part], classes=classes if start == 0 else None)
    assert_same_weights(ours, theirs)
    assert ours.n_iter_ == 1 and ours.t_ == theirs.t_ == len(X)
    assert len(ours.loss_curve_) == 3


def test_warm_start_continues_like_scikit_learn(digits):
    X, _, y, _ = digits
    ours, theirs = both("MLPClassifier", hidden_layer_sizes=(20,), warm_start=True, max_iter=3,
                        random_state=0)
    for _ in range(2):
        ours.fit(X, y)
        theirs.fit(X, y)
    assert_same_weights(ours, theirs)
    assert len(ours.loss_curve_) == 6 and ours.n_iter_ == 3 and ours.t_ == 6 * len(X)


def test_warm_start_after_early_stopping_continues_like_scikit_learn(digits):
    """scikit-learn's coefs_ *are* its best weights after early stopping, so a
    warm start that finds no better score keeps its own last weights."""
    X, _, y, _ = digits
    ours, theirs = both("MLPClassifier", hidden_layer_sizes=(20,), early_stopping=True,
                        warm_start=True, n_iter_no_change=2, tol=0.01, max_iter=40,
                        random_state=0)
    for _ in range(3):
        ours.fit(X, y)
        theirs.fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_
        assert_same_weights(ours, theirs)
    assert ours.n_iter_ == 1 and len(ours.validation_scores_) == len(theirs.validation_scores_)


def test_optimizer_learning_rate_reads_like_scikit_learns(digits):
    X, _, y, _ = digits
    ours, theirs = both("MLPClassifier", **PARITY_CASES["sgd-invscaling"], max_iter=2,
                        warm_start=True, random_state=0)
    for _ in range(2):
        ours.fit(X, y)
        theirs.fit(X, y)
        assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate
    assert not hasattr(fm.MLPClassifier(), "_optimizer")


# ---------------------------------------------------------------- solver="lbfgs"

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


def test_mlp_digits(n_class):
    """scikit-learn's test_mlp.py data: 200 digits of n_class classes, MinMax-scaled."""
    X, y = load_digits(n_class=n_class, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:200]), y[:200]


test_mlp_digits.__test__ = False  # a data helper, not a test


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_class", [2, 3])
def test_lbfgs_follows_scikit_learn(n_class, activation):
    """scikit-learn's test_lbfgs_classification settings: the same iterations,
    loss_ and weights (to rounding)."""
    X, y = test_mlp_digits(n_class)
    ours, theirs = both("MLPClassifier", solver="lbfgs", hidden_layer_sizes=50, max_iter=150,
                        random_state=1, activation=activation)
    ours.fit(X[:150], y[:150])
    theirs.fit(X[:150], y[:150])
    assert ours.n_iter_ == theirs.n_iter_ < 150
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    assert_same_weights(ours, theirs, rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(ours.predict(X[150:]), theirs.predict(X[150:]))


LBFGS_REGRESSION_CASES = {
    "identity": dict(activation="identity"),
    "max_fun": dict(activation="tanh", max_fun=10, tol=0.0),
    "weighted-3-outputs": dict(activation="relu", max_iter=30, n_targets=3, weighted=True),
    "two-layers-alpha": dict(activation="logistic", hidden_layer_sizes=(20, 10), alpha=0.1,
                             max_iter=40),
}


@pytest.mark.parametrize("case", LBFGS_REGRESSION_CASES.values(),
                         ids=LBFGS_REGRESSION_CASES.keys())
def test_lbfgs_regression_follows_scikit_learn(case):
    case = dict(case)
    n_targets, weighted = case.pop("n_targets", 1), case.pop("weighted", False)
    X, y = make_regression(200, 10, n_targets=n_targets, bias=20.0, noise=100.0, random_state=7)
    y = (y - y.mean(axis=0)) / y.std(axis=0)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(X)) if weighted else None
    params = {**dict(solver="lbfgs", hidden_layer_sizes=50, max_iter=200, random_state=1), **case}
    ours, theirs = both("MLPRegressor", **params)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always", ConvergenceWarning)
        ours.fit(X, y, sample_weight=weights)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always", ConvergenceWarning)
        theirs.fit(X, y, sample_weight=weights)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-10)
    assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "weighted-regression"])
def test_lbfgs_objective_and_gradient_equal_scikit_learns(target):
    """scikit-learn's private _loss_grad_lbfgs at the same packed parameters."""
    rng = np.random.RandomState(0)
    X, weights = rng.uniform(size=(40, 6)), None
    kind, Y = "MLPClassifier", None
    if target == "binary":
        y = rng.randint(0, 2, 40)
    elif target == "multiclass":
        y = rng.randint(0, 4, 40)
    elif target == "multilabel":
        y = rng.randint(0, 2, (40, 3))
    else:
        kind, y, weights = "MLPRegressor", rng.normal(size=(40, 3)), rng.uniform(0.5, 2, 40)
    ours, theirs = both(kind, solver="lbfgs", hidden_layer_sizes=(7, 5), activation="tanh",
                        alpha=0.1, max_iter=3, random_state=0)
    ours.fit(X, y, sample_weight=weights)
    theirs.fit(X, y, sample_weight=weights)
    theta = np.hstack([a.ravel() for a in theirs.coefs_ + theirs.intercepts_])
    Y = theirs._label_binarizer.transform(y) if kind == "MLPClassifier" else y
    units = [6, 7, 5, Y.shape[1]]
    buffers = ([X] + [None] * 3, [None] * 3,
               [np.empty((a, b)) for a, b in zip(units[:-1], units[1:])],
               [np.empty(b) for b in units[1:]])
    value, gradient = ours._loss_grad_lbfgs(theta, X, Y, weights, *buffers)
    expected_value, expected_gradient = theirs._loss_grad_lbfgs(theta, X, Y, weights, *buffers)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-15)
    assert_same_weights(ours, theirs, rtol=0, atol=0)  # θ was written into the network


def test_lbfgs_warm_start_and_max_iter_warning_follow_scikit_learn():
    X, y = make_regression(100, 5, noise=1.0, random_state=0)
    ours, theirs = both("MLPRegressor", solver="lbfgs", hidden_layer_sizes=(16,), max_iter=10,
                        warm_start=True, random_state=0)
    for max_iter in (10, 20):
        ours.set_params(max_iter=max_iter)
        theirs.set_params(max_iter=max_iter)
        with pytest.warns(ConvergenceWarning) as ours_warned:
            ours.fit(X, y)
        with pytest.warns(ConvergenceWarning) as theirs_warned:
            theirs.fit(X, y)
        assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]
        assert "Increase the number of iterations" in str(ours_warned[0].message)
        assert ours.n_iter_ == theirs.n_iter_ == max_iter
        assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-10)


def test_lbfgs_keeps_scikit_learns_attributes(digits):
    """No training record (loss_curve_, ...) and t_ == 0, as in scikit-learn;
    early_stopping and the stochastic solvers' parameters are ignored."""
    X, _, y, _ = digits
    params = dict(solver="lbfgs", hidden_layer_sizes=(10,), max_iter=5, random_state=0)
    ours = fm.MLPClassifier(**params).fit(X, y)
    theirs = neural_network.MLPClassifier(**params).fit(X, y)
    for name in ("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_",
                 "_optimizer"):
        assert hasattr(ours, name) == hasattr(theirs, name) == False, name  # noqa: E712
    assert ours.t_ == theirs.t_ == 0 and ours.n_layers_ == 3 and ours.loss_ > 0
    other = fm.MLPClassifier(**params, early_stopping=True, batch_size=7, shuffle=False,
                             learning_rate_init=0.5, momentum=0.1).fit(X, y)
    assert_same_weights(ours, other, rtol=0, atol=0)
    assert not hasattr(other, "validation_scores_")


def test_lbfgs_trains_float32_input_in_float32(digits):
    """scikit-learn's evaluations run in float32 too (scipy casts each point to
    x0's dtype); its stored weights come back float64, fastmlp's stay float32."""
    X, X_test, y, y_test = digits
    model = fm.MLPClassifier(solver="lbfgs", hidden_layer_sizes=(32,), max_iter=50,
                             random_state=0).fit(X.astype(np.float32), y)
    assert all(a.dtype == np.float32 for a in model.coefs_ + model.intercepts_)
    assert model.predict_proba(X_test[:3].astype(np.float32)).dtype == np.float32
    assert model.score(X_test, y_test) > 0.9


def test_lbfgs_refuses_dropout(digits):
    X, _, y, _ = digits
    with pytest.raises(ValueError, match="dropout=0.2 cannot be used with solver='lbfgs'"):
        fm.MLPClassifier(solver="lbfgs", dropout=0.2).fit(X, y)


def test_partial_fit_with_lbfgs_is_scikit_learns(digits):
    """MLPClassifier hides partial_fit for lbfgs; scikit-learn's MLPRegressor
    offers it and runs a whole L-BFGS fit from the current weights."""
    X, _, y, _ = digits
    assert not hasattr(fm.MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(fm.MLPClassifier(solver="sgd"), "partial_fit")
    ours, theirs = both("MLPRegressor", solver="lbfgs", hidden_layer_sizes=(10,), max_iter=5,
                        random_state=0)
    for _ in range(2):
        ours.partial_fit(X, y.astype(float))
        theirs.partial_fit(X, y.astype(float))
    assert ours.n_iter_ == theirs.n_iter_ == 5
    assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-10)


def test_lbfgs_sparse_input_trains_like_dense(digits):
    X, _, y, _ = digits
    X = np.where(np.abs(X) > 1, X, 0.0)
    params = dict(solver="lbfgs", hidden_layer_sizes=(16,), max_iter=10, random_state=0)
    dense = fm.MLPClassifier(**params).fit(X, y)
    sparse = fm.MLPClassifier(**params).fit(sp.csr_matrix(X), y)
    assert_same_weights(dense, sparse, rtol=0, atol=0)


# ---------------------------------------------------------------- MLPRegressor(loss="poisson")

def poisson_data(outputs):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(300, 6))
    y = rng.poisson(np.exp(X @ rng.normal(size=(6, outputs))))
    return X, y[:, 0] if outputs == 1 else y


@pytest.mark.parametrize("outputs", [1, 2])
@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_poisson_follows_scikit_learn(solver, outputs):
    X, y = poisson_data(outputs)
    max_iter = 40 if solver == "lbfgs" else 15
    ours, theirs = both("MLPRegressor", loss="poisson", solver=solver, hidden_layer_sizes=(10,),
                        learning_rate_init=0.01, max_iter=max_iter, random_state=0)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert_same_weights(ours, theirs, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)
    assert (ours.predict(X) > 0).all() and ours.predict(X).shape == y.shape


def test_poisson_objective_and_gradient_equal_scikit_learns():
    X, y = poisson_data(2)
    weights = np.random.RandomState(1).uniform(0.5, 2, len(X))
    ours, theirs = both("MLPRegressor", loss="poisson", solver="lbfgs", hidden_layer_sizes=(7,),
                        alpha=0.1, max_iter=3, random_state=0)
    ours.fit(X, y, sample_weight=weights)
    theirs.fit(X, y, sample_weight=weights)
    theta = np.hstack([a.ravel() for a in theirs.coefs_ + theirs.intercepts_])
    buffers = ([X, None, None], [None, None], [np.empty((6, 7)), np.empty((7, 2))],
               [np.empty(7), np.empty(2)])
    value, gradient = ours._loss_grad_lbfgs(theta, X, y, weights, *buffers)
    expected_value, expected_gradient = theirs._loss_grad_lbfgs(theta, X, y, weights, *buffers)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------- scikit-learn's parameters and attributes

SKLEARN_CONFIGURATIONS = [
    ("MLPClassifier", {}),
    ("MLPClassifier", dict(solver="lbfgs", max_fun=500, alpha=0.1, activation="tanh")),
    ("MLPClassifier", dict(solver="sgd", learning_rate="adaptive", momentum=0.5,
                           nesterovs_momentum=False, early_stopping=True, power_t=0.3)),
    ("MLPRegressor", dict(hidden_layer_sizes=(5, 4), batch_size=16, beta_1=0.8, beta_2=0.99,
                          epsilon=1e-7, n_iter_no_change=3, validation_fraction=0.2)),
    ("MLPRegressor", dict(solver="lbfgs", tol=1e-6, warm_start=True, verbose=False)),
    ("MLPRegressor", dict(loss="poisson", solver="sgd", learning_rate="invscaling")),
]


@pytest.mark.parametrize("kind, params", SKLEARN_CONFIGURATIONS)
def test_any_scikit_learn_mlps_parameters_make_a_fastmlp_estimator(kind, params):
    theirs = getattr(neural_network, kind)(**params)
    ours = getattr(fm, kind)(**theirs.get_params())
    ours_params = ours.get_params()
    assert {k: ours_params[k] for k in theirs.get_params()} == theirs.get_params()
    assert set(ours_params) - set(theirs.get_params()) == {"dropout", "n_threads", "dtype"}
    X, y = make_classification(60, 4, random_state=0)
    ours.set_params(max_iter=3).fit(X, y)
    assert ours.predict(X).shape == (60,)


def test_assigned_weights_are_used_like_scikit_learns(digits):
    """coefs_/intercepts_ are plain attributes in scikit-learn: assigning a
    list, or arrays into the list, changes what predict and partial_fit use."""
    X, _, y, _ = digits
    ours, theirs = both("MLPClassifier", solver="sgd", hidden_layer_sizes=(8,), max_iter=2,
                        random_state=0)
    ours.fit(X, y)
    theirs.fit(X, y)
    rng = np.random.RandomState(1)
    new = [rng.normal(size=(64, 8)), rng.normal(size=(8, 10))]
    for model in (ours, theirs):
        model.coefs_ = [a.copy() for a in new]
        model.intercepts_[1] = np.linspace(-1, 1, 10)  # into the list handed out
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-10)
    ours.partial_fit(X, y)
    theirs.partial_fit(X, y)
    assert_same_weights(ours, theirs)
    # the list handed out stays the same object and holds the live weights again
    handed = ours.coefs_
    ours.partial_fit(X, y)
    assert ours.coefs_ is handed and np.shares_memory(handed[0], ours._net.engine.params)
    # a plain fit starts afresh, as scikit-learn's does
    ours.coefs_[0] = np.zeros((64, 8))
    ours.fit(X, y)
    assert np.abs(ours.coefs_[0]).sum() > 0


def test_assigned_weights_of_another_shape_build_a_new_network(digits):
    X, _, y, _ = digits
    model = fm.MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    model.fit(X, y.astype(float))
    model.coefs_ = [np.full((64, 3), 0.1), np.ones((3, 1))]
    model.intercepts_ = [np.zeros(3), np.array([0.5])]
    expected = np.maximum(X @ np.full((64, 3), 0.1), 0).sum(axis=1) + 0.5
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12)
    assert model.n_layers_ == 3 and [c.shape for c in model.coefs_] == [(64, 3), (3, 1)]
    model.coefs_ = [np.ones((64, 3)), np.ones((4, 1))]
    with pytest.raises(ValueError, match=r"coefs_\[1\] has 4 rows but coefs_\[0\] has 3 columns"):
        model.predict(X)
    model.coefs_ = [np.ones((64, 3)), np.ones((3, 1))]
    model.intercepts_ = [np.zeros(2), np.zeros(1)]
    with pytest.raises(ValueError, match=r"intercepts_\[0\] must have shape \(3,\)"):
        model.predict(X)


# ---------------------------------------------------------------- training that diverges

IRIS_DIVERGING = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                      learning_rate_init=1, max_iter=20, n_iter_no_change=10, random_state=0)


def same_with_nans(ours, theirs, rtol=1e-9):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = np.isfinite(ours) & np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=rtol)


def test_divergence_under_early_stopping_follows_scikit_learn():
    """scikit-learn's issue 29504: NaN validation scores are recorded,
    training goes on, and the best weights come back (no error)."""
    X, y = load_iris(return_X_y=True)
    ours, theirs = both("MLPRegressor", early_stopping=True, **IRIS_DIVERGING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours.fit(X, y)
        theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 20
    same_with_nans(ours.validation_scores_, theirs.validation_scores_)
    assert np.isnan(ours.validation_scores_[-1]) and isinstance(ours.validation_scores_[-1], float)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    assert_same_weights(ours, theirs)


def test_diverging_classifier_scores_its_nan_outputs_like_scikit_learn():
    """A classifier's NaN outputs still predict a class (the first), so its
    validation score stays finite in scikit-learn too."""
    X, y = load_iris(return_X_y=True)
    ours, theirs = both("MLPClassifier", hidden_layer_sizes=50, activation="identity",
                        solver="sgd", learning_rate_init=50, max_iter=15, early_stopping=True,
                        validation_fraction=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours.fit(X * 1e3, y)
        theirs.fit(X * 1e3, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.validation_scores_ == theirs.validation_scores_
    assert_same_weights(ours, theirs)


def test_divergence_without_early_stopping_raises_scikit_learns_error():
    X, y = load_iris(return_X_y=True)
    ours, theirs = both("MLPRegressor", **IRIS_DIVERGING)
    message = "^" + re.escape(NON_FINITE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=message + r" In iteration 6, the loss became (inf|nan)"):
            ours.fit(X, y)
        with pytest.raises(ValueError, match=message):
            theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 20  # the epochs went on, as scikit-learn's do
    np.testing.assert_allclose(ours.loss_curve_[:5], theirs.loss_curve_[:5], rtol=1e-9)
    assert np.isnan(ours.loss_curve_[6:]).all() and np.isnan(theirs.loss_curve_[6:]).all()
    assert all(np.isfinite(w).all() for w in ours.coefs_ + ours.intercepts_)


# ---------------------------------------------------------------- accuracy on scikit-learn's sets

@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer, load_digits],
                         ids=["iris", "breast_cancer", "digits"])
def test_accuracy_within_two_points_of_scikit_learn(loader):
    """float32 (fastmlp's fast path; scikit-learn then computes in float32 too),
    default hyper-parameters with 64 hidden units, mean over three seeds."""
    X_train, X_test, y_train, y_test = standardised(loader)
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    scores = {"fastmlp": [], "scikit-learn": []}
    for seed in range(3):
        ours, theirs = both("MLPClassifier", hidden_layer_sizes=(64,), random_state=seed)
        scores["fastmlp"].append(ours.fit(X_train, y_train).score(X_test, y_test))
        scores["scikit-learn"].append(theirs.fit(X_train, y_train).score(X_test, y_test))
    ours_mean, theirs_mean = np.mean(scores["fastmlp"]), np.mean(scores["scikit-learn"])
    assert abs(ours_mean - theirs_mean) <= 0.02, scores
    assert ours_mean > 0.85, scores


def test_regression_quality_matches_scikit_learn():
    X, y = make_regression(400, 10, noise=5.0, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y / y.std(), random_state=0)
    ours, theirs = both("MLPRegressor", hidden_layer_sizes=(32,), max_iter=300, random_state=0)
    r2_ours = ours.fit(X_train.astype(np.float32), y_train).score(X_test, y_test)
    r2_theirs = theirs.fit(X_train.astype(np.float32), y_train).score(X_test, y_test)
    assert r2_ours > 0.9
    assert abs(r2_ours - r2_theirs) < 0.02


# ---------------------------------------------------------------- behaviour around fit

def test_precision_follows_the_input(digits):
    X, _, y, _ = digits
    for dtype in (np.float32, np.float64):
        model = fm.MLPClassifier(hidden_layer_sizes=(10,), max_iter=2, random_state=0)
        model.fit(X.astype(dtype), y)
        assert all(c.dtype == dtype for c in model.coefs_ + model.intercepts_)
        assert model.predict_proba(X[:5]).dtype == dtype
    # later fits keep the first fit's precision
    model.set_params(warm_start=True).fit(X.astype(np.float32), y)
    assert model.coefs_[0].dtype == np.float64


def test_string_labels_and_probabilities(digits):
    X, _, y, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])[y]
    model = fm.MLPClassifier(hidden_layer_sizes=(20,), max_iter=60, random_state=0).fit(X, names)
    assert list(model.classes_) == sorted(set(names))
    assert model.out_activation_ == "softmax" and model.n_layers_ == 3
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(model.predict_log_proba(X[:10]), np.log(proba[:10]))
    assert model.score(X, names) > 0.9


def test_binary_probabilities_have_two_columns():
    X, y = make_classification(100, 5, random_state=0)
    model = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (100, 2) and model.n_outputs_ == 1
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), (proba[:, 1] > 0.5).astype(int))


def test_integer_sample_weights_equal_repeated_rows():
    X, y = make_classification(60, 5, random_state=1)
    weights = np.random.RandomState(0).randint(0, 4, len(X))
    params = dict(hidden_layer_sizes=(10,), max_iter=20, random_state=0)  # one batch per epoch
    weighted = fm.MLPClassifier(**params).fit(X, y, sample_weight=weights)
    repeated = fm.MLPClassifier(**params).fit(np.repeat(X, weights, axis=0),
                                              np.repeat(y, weights))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-9)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)


def test_a_batch_of_zero_weights_is_skipped():
    """scikit-learn would divide alpha by a zero weight sum there; the batch
    carries no information, so fastmlp leaves it out."""
    X, y = make_classification(40, 5, random_state=0)
    weights = np.r_[np.zeros(10), np.ones(30)]
    params = dict(hidden_layer_sizes=(6,), batch_size=10, shuffle=False, alpha=0.1, max_iter=5,
                  random_state=0)
    weighted = fm.MLPClassifier(**params).fit(X, y, sample_weight=weights)
    subset = fm.MLPClassifier(**params).fit(X[10:], y[10:])
    assert all(np.isfinite(w).all() for w in weighted.coefs_)
    assert_same_weights(weighted, subset)


def test_sparse_input_trains_like_dense(digits):
    X, _, y, _ = digits
    X = np.where(np.abs(X) > 1, X, 0.0)
    params = dict(hidden_layer_sizes=(16,), max_iter=4, random_state=0)
    dense = fm.MLPClassifier(**params).fit(X, y)
    sparse = fm.MLPClassifier(**params).fit(sp.csr_matrix(X), y)
    assert_same_weights(dense, sparse, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sparse.predict_proba(sp.csc_matrix(X)), dense.predict_proba(X),
                               rtol=1e-12)


def test_rmsprop_solver_and_dropout_learn(digits):
    X_train, X_test, y_train, y_test = digits
    for params in ({"solver": "rmsprop"}, {"dropout": 0.2}):
        model = fm.MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, random_state=0, **params)
        assert model.fit(X_train, y_train).score(X_test, y_test) > 0.9, params


def test_dropout_is_reproducible_and_changes_training(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(20,), max_iter=3, random_state=0)
    first = fm.MLPClassifier(dropout=0.3, **params).fit(X, y)
    again = fm.MLPClassifier(dropout=0.3, **params).fit(X, y)
    plain = fm.MLPClassifier(**params).fit(X, y)
    assert_same_weights(first, again, rtol=0, atol=0)
    assert not np.allclose(first.coefs_[0], plain.coefs_[0])


def test_partial_fit_needs_classes_first_and_known_labels(digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(hidden_layer_sizes=(10,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    model.partial_fit(X[y < 5], y[y < 5], classes=np.arange(10))  # a subset of classes is fine
    assert model.n_outputs_ == 10 and list(model.classes_) == list(range(10))
    with pytest.raises(ValueError, match="classes not in"):
        model.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="not the same as on the last call"):
        model.partial_fit(X, y, classes=np.arange(11))


def test_partial_fit_refuses_early_stopping(digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        model.partial_fit(X, y, classes=np.unique(y))


def test_warm_start_keeps_the_architecture(digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(hidden_layer_sizes=(10,), warm_start=True, max_iter=2,
                             random_state=0).fit(X, y)
    before = [c.copy() for c in model.coefs_]
    model.set_params(dropout=0.1, activation="tanh").fit(X, y)  # rebuilt around the same weights
    assert model.coefs_[0].shape == before[0].shape and len(model.loss_curve_) == 4
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(12,\) does not match .*\(10,\)"):
        model.set_params(hidden_layer_sizes=(12,)).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        model.set_params(hidden_layer_sizes=(10,)).fit(X, y % 3)


def test_coefs_are_live_views_of_the_network(digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(hidden_layer_sizes=(10,), max_iter=2, random_state=0).fit(X, y)
    model.coefs_[-1][...] = 0
    model.intercepts_[-1][...] = [5.0] + [0.0] * 9
    assert (model.predict(X) == 0).all()


def test_parameters_are_checked_at_fit_with_their_names(digits):
    X, _, y, _ = digits
    cases = [({"alpha": -1.0}, "'alpha' parameter"), ({"solver": "newton"}, "'solver' parameter"),
             ({"max_fun": 0}, "'max_fun' parameter"),
             ({"dropout": 1.0}, "'dropout' parameter"), ({"n_threads": 0}, "'n_threads'"),
             ({"hidden_layer_sizes": (5, 0)}, "hidden_layer_sizes must hold positive integers"),
             ({"activation": "softmax"}, "'activation' parameter")]
    for params, message in cases:
        model = fm.MLPClassifier(**params)  # __init__ only stores
        with pytest.raises(ValueError, match=message):
            model.fit(X, y)
    with pytest.raises(ValueError, match="'loss' parameter of MLPRegressor"):
        fm.MLPRegressor(loss="gamma").fit(X, y)


def test_unfitted_and_wrong_width_inputs(digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(hidden_layer_sizes=(5,), max_iter=1)
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert not hasattr(model, "coefs_")
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 63 features, but MLPClassifier is expecting 64"):
        model.predict(X[:, 1:])


def test_diverging_training_raises_with_advice():
    X, y = make_regression(50, 4, random_state=0)
    model = fm.MLPRegressor(solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="^" + re.escape(NON_FINITE) + " In iteration .*scale the "
                                         "inputs"):
        model.fit(X * 1e3, y * 1e6)


def test_verbose_reports_each_iteration_and_max_iter_warns(capsys, digits):
    X, _, y, _ = digits
    model = fm.MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, verbose=True, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(2\) reached"):
        model.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith("Iteration 2,")


def test_feature_names_are_recorded(digits):
    pd = pytest.importorskip("pandas")
    X, _, y, _ = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    model = fm.MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)


# ---------------------------------------------------------------- composition, pickling, threads

def test_pipeline_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), fm.MLPClassifier(max_iter=100, random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (32,)],
                               "mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] == (32,)
    assert grid.best_score_ > 0.85
    assert grid.predict(X).shape == (150,)


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_pickle_round_trip_predicts_identically_and_keeps_training(digits, kind):
    X, _, y, _ = digits
    X = X.astype(np.float32)
    model = getattr(fm, kind)(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.loss_curve_ == model.loss_curve_
    # the optimizer state travels too: one more epoch gives the same weights
    model.partial_fit(X, y)
    restored.partial_fit(X, y)
    assert_same_weights(restored, model, rtol=0, atol=0)


def test_thread_count_does_not_change_results_and_is_restored(digits, threads):
    X, _, y, _ = digits
    threads(2)
    before = fm.get_num_threads()  # 1 in a build without OpenMP
    params = dict(hidden_layer_sizes=(128,), max_iter=3, random_state=0)
    one = fm.MLPClassifier(n_threads=1, **params).fit(X, y)
    assert fm.get_num_threads() == before
    two = fm.MLPClassifier(n_threads=2, **params).fit(X, y)
    assert_same_weights(one, two, rtol=0, atol=0)
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
    assert fm.get_num_threads() == before


def test_estimators_do_not_touch_fastmlps_global_random_state(digits):
    X, _, y, _ = digits
    fm.set_random_seed(7)
    expected = fm._random.next_seed()
    fm.set_random_seed(7)
    fm.MLPClassifier(hidden_layer_sizes=(5,), dropout=0.1, max_iter=1, random_state=0).fit(X, y)
    assert fm._random.next_seed() == expected


# ---------------------------------------------------------------- scikit-learn is optional

def test_missing_scikit_learn_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.delitem(sys.modules, "fastmlp.estimators")
    monkeypatch.delattr(fm, "estimators")
    with pytest.raises(ImportError, match=r"pip install 'fastmlp\[sklearn\]'"):
        fm.MLPClassifier
    with pytest.raises(AttributeError, match="no attribute 'MLPClassifer'"):
        fm.MLPClassifer


def test_fastmlp_imports_without_scikit_learn(tmp_path):
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import fastmlp as fm\n"
            "assert 'MLPClassifier' in dir(fm)\n"
            "try:\n    fm.MLPRegressor\nexcept ImportError as exc:\n    print(exc)\n")
    result = run_python(code, tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install 'fastmlp[sklearn]'" in result.stdout
