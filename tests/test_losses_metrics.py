"""Loss and metric values against Keras 3's definitions (keras3.md §4–§7):
every loss of fm.losses (classes, string names, functions; from_logits and
label_smoothing) and Keras's weighted reduction Σ w_i·l_i / rows; class_weight
as sample weights; evaluate's loss with regularization penalties; accuracy
variants, top-k, mae/mse/rmse, Precision, Recall, AUC (200 thresholds,
interpolation) and weighted_metrics.

The references are numpy formulas written here from Keras's definitions (not
fastmlp's numpy helpers). Numbers printed by Keras 3.15.1 itself are used as
fixtures only where noted, with how they were produced, and each is checked
against the formula too. Gradients of the losses are tested in
tests/test_gradients.py.

Models here are an identity (a Dense layer with kernel I and no bias, float64),
so the model's output is exactly the prediction array given as x. fastmlp's
values agree with the formulas to 1e-12 relative; Keras's printed numbers
(float32 results) with the formulas to 1e-6.
"""
import math

import numpy as np
import pytest

import fastmlp as fm

EPS = 1e-7  # keras.backend.epsilon()

Y_REG = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [3.0, 2.5, 0.1], [-2.0, 1.0, 0.7]])
P_REG = np.array([[0.3, -0.2, 2.5], [0.0, 0.4, -0.4], [2.0, 3.5, 0.0], [-1.0, 0.6, 2.9]])
Y_POS = np.array([[0.5, 1.0, 2.0], [1.5, 0.0, 0.5], [3.0, 2.5, 0.1], [0.2, 1.0, 0.7]])
P_POS = np.array([[0.3, 0.2, 2.5], [0.1, 0.4, 0.4], [2.0, 3.5, 0.05], [1.0, 0.6, 2.9]])
Y_BIN = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]], float)
P_PROB = np.array([[0.9, 0.2, 0.6], [0.3, 0.1, 0.8], [0.7, 0.6, 0.4], [0.05, 0.95, 0.5]])
Y_ONEHOT = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0]], float)
LABELS = np.array([0, 2, 1, 1])
Y_SOFT = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.0, 0.5, 0.5]])
Z = np.array([[2.0, -1.0, 0.5], [-0.3, 0.2, 1.5], [1.0, 3.0, -2.0], [0.0, -0.5, 0.4]])
W = np.array([1.0, 2.0, 0.0, 3.0])


def identity_model(width, dtype="float64"):
    model = fm.Sequential([fm.Input((width,)), fm.Dense(width, use_bias=False)], dtype=dtype)
    model.set_weights([np.eye(width)])
    return model


# ---------------------------------------------------------------- Keras's per-sample losses

def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def bce(y, p, from_logits=False, ls=0.0):
    y = y * (1 - ls) + 0.5 * ls
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)


def cce(y, p, from_logits=False, ls=0.0):
    y = y * (1 - ls) + ls / y.shape[-1]
    if from_logits:
        return -(y * log_softmax(p)).sum(axis=-1)
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)  # renormalised, then clipped
    return -(y * np.log(p)).sum(axis=-1)


def huber(y, p, delta=1.0):
    e = np.abs(p - y)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2).mean(axis=-1)


def hinge_labels(y):
    return 2 * y - 1 if np.isin(y, (0, 1)).all() else y  # decided over the whole batch


PER_SAMPLE = {
    "mse": lambda y, p: ((y - p) ** 2).mean(axis=-1),
    "mae": lambda y, p: np.abs(y - p).mean(axis=-1),
    "mape": lambda y, p: 100 * np.abs((y - p) / np.maximum(np.abs(y), EPS)).mean(axis=-1),
    "msle": lambda y, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2
                          ).mean(axis=-1),
    "huber": huber,
    "log_cosh": lambda y, p: np.log(np.cosh(p - y)).mean(axis=-1),
    "poisson": lambda y, p: (p - y * np.log(p + EPS)).mean(axis=-1),
    "kl_divergence": lambda y, p: (np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) /
                                                               np.clip(p, EPS, 1))).sum(axis=-1),
    "hinge": lambda y, p: np.maximum(1 - hinge_labels(y) * p, 0).mean(axis=-1),
    "squared_hinge": lambda y, p: (np.maximum(1 - hinge_labels(y) * p, 0) ** 2).mean(axis=-1),
    "binary_crossentropy": bce,
    "categorical_crossentropy": cce,
    "sparse_categorical_crossentropy": lambda labels, p, **kw: cce(np.eye(p.shape[1])[labels], p,
                                                                   **kw),
}

# (fastmlp loss, the strings compile() takes for it, per-sample formula key and
# options, y, p, Keras's (unweighted, weighted-by-W) values).
# Keras's values: keras.losses.<Class>(...)(y, p) and (..., sample_weight=W) in
# Keras 3.15.1 (KERAS_BACKEND=torch, floatx float64 inputs; Keras's reduction
# returns float32, hence the 1e-6 tolerance on these numbers only).
LOSS_CASES = {
    "mse": (fm.losses.MeanSquaredError(), ["mse", "MSE", "mean_squared_error", "MeanSquaredError"],
            ("mse", {}), Y_REG, P_REG, (0.9466666579246521, 1.9808332920074463)),
    "mae": (fm.losses.MeanAbsoluteError(), ["mae", "MAE", "mean_absolute_error"],
            ("mae", {}), Y_REG, P_REG, (0.7666666507720947, 1.3583333492279053)),
    "mape": (fm.losses.MeanAbsolutePercentageError(), ["mape", "MAPE",
                                                       "mean_absolute_percentage_error"],
             ("mape", {}), Y_POS, P_POS, (33333428.0, 66666888.0)),
    "msle": (fm.losses.MeanSquaredLogarithmicError(), ["msle", "MSLE",
                                                       "mean_squared_logarithmic_error"],
             ("msle", {}), Y_POS, P_POS, (0.18712197244167328, 0.4074825346469879)),
    "huber": (fm.losses.Huber(), ["huber", "Huber"], ("huber", {}), Y_REG, P_REG,
              (0.40291666984558105, 0.7895833253860474)),
    "huber_delta2": (fm.losses.Huber(delta=2.0), [], ("huber", {"delta": 2.0}), Y_REG, P_REG,
                     (0.4716666638851166, 0.9854166507720947)),
    "log_cosh": (fm.losses.LogCosh(), ["log_cosh", "LogCosh"], ("log_cosh", {}), Y_REG, P_REG,
                 (0.3560387194156647, 0.6999896764755249)),
    "poisson": (fm.losses.Poisson(), ["poisson"], ("poisson", {}), Y_POS, P_POS,
                (1.0912178754806519, 2.1499557495117188)),
    "kl_divergence": (fm.losses.KLDivergence(), ["kl_divergence", "kld", "KLD"],
                      ("kl_divergence", {}), Y_SOFT, P_PROB,
                      (-0.31200477480888367, -0.3844008147716522)),
    "hinge_01_labels": (fm.losses.Hinge(), ["hinge"], ("hinge", {}), Y_BIN, Z,
                        (0.5250000357627869, 1.3333333730697632)),
    "hinge_pm1_labels": (fm.losses.Hinge(), ["hinge"], ("hinge", {}), 2 * Y_BIN - 1, Z,
                         (0.5250000357627869, 1.3333333730697632)),
    "squared_hinge": (fm.losses.SquaredHinge(), ["squared_hinge"], ("squared_hinge", {}), Y_BIN,
                      Z, (0.6158333420753479, 1.6449999809265137)),
    "bce": (fm.losses.BinaryCrossentropy(), ["binary_crossentropy", "bce", "BCE"],
            ("binary_crossentropy", {}), Y_BIN, P_PROB, (0.3082140386104584, 0.3830740749835968)),
    "bce_logits": (fm.losses.BinaryCrossentropy(from_logits=True), [],
                   ("binary_crossentropy", {"from_logits": True}), Y_BIN, Z,
                   (0.461432546377182, 0.9802333116531372)),
    "bce_smoothing": (fm.losses.BinaryCrossentropy(label_smoothing=0.1), [],
                      ("binary_crossentropy", {"ls": 0.1}), Y_BIN, P_PROB,
                      (0.3747428357601166, 0.5102292895317078)),
    "bce_logits_smoothing": (fm.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
                             [], ("binary_crossentropy", {"from_logits": True, "ls": 0.2}),
                             Y_BIN, Z, (0.5464325547218323, 1.0135666131973267)),
    "cce": (fm.losses.CategoricalCrossentropy(), ["categorical_crossentropy"],
            ("categorical_crossentropy", {}), Y_ONEHOT, P_PROB,
            (0.6349165439605713, 0.7042985558509827)),
    "cce_logits": (fm.losses.CategoricalCrossentropy(from_logits=True), [],
                   ("categorical_crossentropy", {"from_logits": True}), Y_ONEHOT, Z,
                   (0.5920408964157104, 1.465049147605896)),
    "cce_smoothing": (fm.losses.CategoricalCrossentropy(label_smoothing=0.1), [],
                      ("categorical_crossentropy", {"ls": 0.1}), Y_ONEHOT, P_PROB,
                      (0.7083117365837097, 0.8608732223510742)),
    "cce_logits_smoothing_soft_targets": (
        fm.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3), [],
        ("categorical_crossentropy", {"from_logits": True, "ls": 0.3}), Y_SOFT, Z,
        (1.4837908744812012, 1.6310491561889648)),
    "scce": (fm.losses.SparseCategoricalCrossentropy(), ["sparse_categorical_crossentropy"],
             ("sparse_categorical_crossentropy", {}), LABELS, P_PROB,
             (0.6349165439605713, 0.7042985558509827)),
    "scce_logits": (fm.losses.SparseCategoricalCrossentropy(from_logits=True), [],
                    ("sparse_categorical_crossentropy", {"from_logits": True}), LABELS, Z,
                    (0.5920408964157104, 1.465049147605896)),
}


@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_loss_values_and_keras_weighted_reduction(case):
    """evaluate's loss is Σ w_i·l_i / rows (not / Σ w), l_i Keras's per-sample
    loss; the same for every string name of the loss; Keras's own numbers agree."""
    loss, names, (key, options), y, p, keras_values = LOSS_CASES[case]
    per_sample = PER_SAMPLE[key](y, p, **options)
    unweighted, weighted = per_sample.mean(), (W * per_sample).sum() / len(y)
    assert weighted != pytest.approx((W * per_sample).sum() / W.sum())  # the two differ here
    np.testing.assert_allclose([unweighted, weighted], keras_values, rtol=1e-6)

    model = identity_model(p.shape[1])
    for compiled in [loss] + names:
        model.compile(optimizer="sgd", loss=compiled)
        assert model.evaluate(p, y, verbose=0) == pytest.approx(unweighted, rel=1e-12), compiled
        assert model.evaluate(p, y, sample_weight=W, verbose=0, batch_size=3) == pytest.approx(
            weighted, rel=1e-12), compiled
    # train_on_batch reports the loss before its update, weighted the same way
    model.compile(optimizer="sgd", loss=loss)
    assert model.train_on_batch(p, y, sample_weight=W) == pytest.approx(weighted, rel=1e-12)


def test_loss_functions_and_reduction_argument():
    """fm.losses functions are accepted as losses; reduction="mean" is Keras's
    default; the epoch loss of fit is the batch-size-weighted mean of batch losses."""
    model = identity_model(3)
    expected = PER_SAMPLE["huber"](Y_REG, P_REG).mean()
    for loss in (fm.losses.huber, fm.losses.Huber(reduction="mean"), "huber"):
        model.compile(optimizer="sgd", loss=loss)
        assert model.evaluate(P_REG, Y_REG, verbose=0) == pytest.approx(expected, rel=1e-12)
    assert fm.losses.Huber().get_config()["reduction"] == "sum_over_batch_size"
    named = {n for case in LOSS_CASES.values() for n in case[1]} | {"crossentropy", "ce"}
    assert set(fm.losses.NAMES) <= named  # every string compile() takes is checked above

    # 10 rows in batches of 4, 4, 2; the model frozen so every batch sees the same weights
    rng = np.random.default_rng(0)
    x, y, w = rng.standard_normal((10, 3)), rng.standard_normal((10, 3)), rng.uniform(0, 2, 10)
    model.trainable = False
    model.compile(optimizer="sgd", loss="mse")
    per_sample = PER_SAMPLE["mse"](y, x)
    batches = [slice(0, 4), slice(4, 8), slice(8, 10)]
    batch_losses = [(w[b] * per_sample[b]).sum() / len(per_sample[b]) for b in batches]
    expected = sum(L * len(per_sample[b]) for L, b in zip(batch_losses, batches)) / 10
    history = model.fit(x, y, sample_weight=w, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx((w * per_sample).sum() / 10, rel=1e-12)


def test_hinge_labels_are_converted_per_evaluation_batch():
    """Keras converts {0, 1} hinge labels batch by batch; evaluate's batch_size sets the batches."""
    i = np.arange(40.0)
    p = np.sin(i)[:, None]
    y = np.where(i % 2 == 0, 1.0, 0.0)[:, None]
    y[32:] = np.where(i[32:] % 2 == 0, 1.0, -1.0)[:, None]  # the last batch has −1 labels
    first = PER_SAMPLE["hinge"](y[:32], p[:32])   # converted: all in {0, 1}
    second = PER_SAMPLE["hinge"](y[32:], p[32:])  # as given
    expected = (first.sum() + second.sum()) / 40
    # Keras 3.15.1 (identity model, floatx float64): evaluate(batch_size=32) gave
    # 1.020696997642517, evaluate(batch_size=40) 1.0182344913482666
    assert expected == pytest.approx(1.020696997642517, rel=1e-6)
    model = identity_model(1)
    model.compile(optimizer="sgd", loss="hinge")
    assert model.evaluate(p, y, batch_size=40, verbose=0) == pytest.approx(
        PER_SAMPLE["hinge"](y, p).mean(), rel=1e-12)
    assert model.evaluate(p, y, batch_size=32, verbose=0) == pytest.approx(expected, rel=1e-12)


def test_crossentropy_by_shape():
    """"crossentropy"/"ce" is binary, sparse or categorical by the targets' shape."""
    for name in ("crossentropy", "ce"):
        model = identity_model(3)
        model.compile(optimizer="sgd", loss=name)
        assert model.evaluate(P_PROB, LABELS, verbose=0) == pytest.approx(
            PER_SAMPLE["sparse_categorical_crossentropy"](LABELS, P_PROB).mean(), rel=1e-12)
        assert model.evaluate(P_PROB, Y_ONEHOT, verbose=0) == pytest.approx(
            cce(Y_ONEHOT, P_PROB).mean(), rel=1e-12)
        single = identity_model(1)
        single.compile(optimizer="sgd", loss=name)
        assert single.evaluate(P_PROB[:, :1], Y_BIN[:, :1], verbose=0) == pytest.approx(
            bce(Y_BIN[:, :1], P_PROB[:, :1]).mean(), rel=1e-12)


# ---------------------------------------------------------------- class_weight

@pytest.mark.parametrize("labels", ["one_hot", "sparse", "binary_rounded"])
def test_class_weight_is_sample_weight_by_class(labels):
    """class_weight becomes per-row sample weights (one-hot targets by argmax,
    binary ones rounded, classes missing from the dict weigh 1), then Σ w·l / rows."""
    rng = np.random.default_rng(1)
    classes = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 1])
    if labels == "binary_rounded":
        model, loss = identity_model(1), "binary_crossentropy"
        y = np.array([0.7, 0.2, 0.9, 0.4, 0.5, 1.0, 0.0, 0.6, 0.3, 0.8])[:, None]
        x = rng.uniform(0.05, 0.95, (10, 1))
        classes = np.round(y[:, 0]).astype(int)  # 0.5 rounds to 0 (to even), as np.round in Keras
        per_sample = bce(y, x)
        class_weight = {1: 3.0}
    else:
        model, loss = identity_model(3), ("categorical_crossentropy" if labels == "one_hot"
                                          else "sparse_categorical_crossentropy")
        x = rng.dirichlet(np.ones(3), 10)
        y = np.eye(3)[classes] if labels == "one_hot" else classes
        per_sample = cce(np.eye(3)[classes], x)
        class_weight = {0: 0.5, 2: 4.0}  # class 1 missing: weight 1
    weights = np.array([class_weight.get(c, 1.0) for c in classes])
    expected = (weights * per_sample).sum() / 10
    model.compile(optimizer="sgd", loss=loss)
    assert model.train_on_batch(x, y, class_weight=class_weight) == pytest.approx(expected,
                                                                                   rel=1e-12)
    model = identity_model(x.shape[1])
    model.trainable = False
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"], weighted_metrics=["accuracy"])
    history = model.fit(x, y, class_weight=class_weight, batch_size=3, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-12)
    # metrics= ignore the class weights, weighted_metrics= use them
    if labels == "binary_rounded":
        hits = ((x[:, 0] > 0.5) == y[:, 0]).astype(float)  # exact equality with the target
    else:
        hits = (x.argmax(axis=1) == classes).astype(float)
    assert history.history["accuracy"][0] == pytest.approx(hits.mean(), rel=1e-12)
    assert history.history["weighted_accuracy"][0] == pytest.approx(
        (weights * hits).sum() / weights.sum(), rel=1e-12)


# ---------------------------------------------------------------- regularization in the loss

def test_evaluate_loss_includes_every_penalty():
    """evaluate (and train_on_batch) report data loss + kernel/bias penalties +
    activity penalty / rows, as Keras 3; with sample weights too."""
    R = fm.regularizers
    i = np.arange(10.0)
    x = np.stack([np.sin(i), np.cos(2 * i), i / 10 - 0.5], axis=1)
    y = (np.sin(3 * i) + 0.5)[:, None]
    w1 = np.array([[0.5, -0.3, 0.8], [0.2, 0.7, -0.4], [-0.6, 0.1, 0.3]])
    b1, w2, b2 = np.array([0.1, -0.2, 0.3]), np.array([[0.9], [-0.5], [0.4]]), np.array([0.05])
    model = fm.Sequential([
        fm.Input((3,)),
        fm.Dense(3, activation="tanh", kernel_regularizer=R.L2(0.1), bias_regularizer=R.L1(0.05),
                 activity_regularizer=R.L1L2(l1=0.01, l2=0.02)),
        fm.Dense(1, kernel_regularizer=R.L1(0.03))], dtype="float64")
    model.set_weights([w1, b1, w2, b2])
    model.compile(optimizer="sgd", loss="mse")
    h = np.tanh(x @ w1 + b1)
    per_sample = ((h @ w2 + b2 - y) ** 2).mean(axis=1)
    penalty = 0.1 * (w1 ** 2).sum() + 0.05 * np.abs(b1).sum() + 0.03 * np.abs(w2).sum() + \
        (0.01 * np.abs(h).sum() + 0.02 * (h ** 2).sum()) / 10  # L2 is not halved
    sw = np.linspace(0, 2, 10)
    # Keras 3.15.1's evaluate(x, y, batch_size=4) and (..., sample_weight=sw) on this
    # model (notes' venv, floatx float64; the loss tracker reports float32)
    keras_values = (1.0723378658294678, 1.2937835454940796)
    expected = (per_sample.mean() + penalty, (sw * per_sample).sum() / 10 + penalty)
    np.testing.assert_allclose(expected, keras_values, rtol=1e-6)
    assert model.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(expected[0], rel=1e-12)
    assert model.evaluate(x, y, sample_weight=sw, verbose=0) == pytest.approx(expected[1],
                                                                              rel=1e-12)
    assert model.train_on_batch(x, y) == pytest.approx(expected[0], rel=1e-12)


def test_batch_normalization_penalties_in_the_loss():
    """gamma_regularizer and beta_regularizer add their penalties to the loss."""
    R = fm.regularizers
    model = fm.Sequential([fm.Input((3,)), fm.BatchNormalization(
        gamma_regularizer=R.L2(0.2), beta_regularizer=R.L1(0.3)), fm.Dense(1)], dtype="float64")
    gamma, beta = np.array([0.5, 1.5, -1.0]), np.array([0.2, -0.4, 0.1])
    mm, mv = np.array([0.1, 0.0, -0.2]), np.array([1.0, 2.0, 0.5])
    kernel, bias = np.array([[1.0], [-0.5], [0.25]]), np.array([0.1])
    model.set_weights([gamma, beta, mm, mv, kernel, bias])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(2).standard_normal((6, 3))
    y = np.linspace(-1, 1, 6)[:, None]
    out = ((x - mm) / np.sqrt(mv + 1e-3) * gamma + beta) @ kernel + bias
    expected = ((out - y) ** 2).mean() + 0.2 * (gamma ** 2).sum() + 0.3 * np.abs(beta).sum()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- metrics

def evaluate_metrics(model, x, y, metrics, loss="mse", sample_weight=None, weighted=None):
    model.compile(optimizer="sgd", loss=loss, metrics=metrics, weighted_metrics=weighted)
    return model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True)


def test_accuracy_is_resolved_by_shapes():
    """"accuracy"/"acc": binary with one output (p > 0.5 strictly), sparse for
    labels, categorical for one-hot rows (first maximum on ties)."""
    p1 = np.array([[0.2], [0.5], [0.51], [0.9], [0.7]])
    y1 = np.array([0.0, 1.0, 1.0, 1.0, 0.0])
    logs = evaluate_metrics(identity_model(1), p1, y1, ["accuracy", "acc"])
    assert logs["accuracy"] == logs["acc"] == pytest.approx(3 / 5)  # p = 0.5 counts as 0

    p = np.array([[.5, .2, .2, .1], [.3, .3, .3, .1], [.1, .2, .3, .4], [.4, .3, .2, .1],
                  [.25, .25, .25, .25], [.1, .6, .2, .1]])
    labels = np.array([0, 1, 2, 3, 1, 2])
    expected = (p.argmax(axis=1) == labels).mean()  # argmax takes the first of equal values
    assert expected == pytest.approx(1 / 6)
    logs = evaluate_metrics(identity_model(4), p, labels, ["accuracy"],
                            loss="sparse_categorical_crossentropy")
    assert logs["accuracy"] == pytest.approx(expected)
    logs = evaluate_metrics(identity_model(4), p, np.eye(4)[labels], ["accuracy"])
    assert logs["accuracy"] == pytest.approx(expected)


def test_top_k_accuracies_count_ties_as_hits():
    """top-k: the target's score is at least the k-th largest (ties count, as
    Keras's in_top_k on torch); the string names mean k = 5."""
    rng = np.random.default_rng(3)
    p = np.round(rng.uniform(0, 1, (40, 7)), 1)  # rounded: many ties
    labels = rng.integers(0, 7, 40)

    def top_k(k):
        kth = np.sort(p, axis=1)[:, -k]
        return (p[np.arange(40), labels] >= kth).mean()

    assert top_k(2) != (np.argsort(-p, axis=1, kind="stable")[:, :2] == labels[:, None]).any(
        axis=1).mean()  # ties matter on this data
    logs = evaluate_metrics(identity_model(7), p, labels,
                            [fm.metrics.SparseTopKCategoricalAccuracy(k=2, name="s2"),
                             "sparse_top_k_categorical_accuracy"],
                            loss="sparse_categorical_crossentropy")
    assert logs["s2"] == pytest.approx(top_k(2))
    assert logs["sparse_top_k_categorical_accuracy"] == pytest.approx(top_k(5))
    logs = evaluate_metrics(identity_model(7), p, np.eye(7)[labels],
                            [fm.metrics.TopKCategoricalAccuracy(k=3, name="t3"),
                             "top_k_categorical_accuracy"])
    assert logs["t3"] == pytest.approx(top_k(3))
    assert logs["top_k_categorical_accuracy"] == pytest.approx(top_k(5))
    # Keras 3.15.1: SparseTopKCategoricalAccuracy(k=2 / k=1) on the 6 rows of
    # test_accuracy_is_resolved_by_shapes gave 0.8333333134651184 / 0.5
    q = np.array([[.5, .2, .2, .1], [.3, .3, .3, .1], [.1, .2, .3, .4], [.4, .3, .2, .1],
                  [.25, .25, .25, .25], [.1, .6, .2, .1]])
    for k, keras_value in ((2, 0.8333333134651184), (1, 0.5)):
        m = fm.metrics.SparseTopKCategoricalAccuracy(k=k)
        m.update_state(np.array([0, 1, 2, 3, 1, 2]), q)
        assert m.result() == pytest.approx(keras_value, rel=1e-6)


def test_regression_metrics_are_means_over_all_samples():
    """mae/mse: per-row means of |e| and e², averaged over every row seen (not a
    mean of batch means); rmse the root of the epoch's mse."""
    rng = np.random.default_rng(4)
    p, y = rng.standard_normal((11, 3)), rng.standard_normal((11, 3))
    mae = np.abs(p - y).mean()
    mse = ((p - y) ** 2).mean()
    model = identity_model(3)
    model.trainable = False
    model.compile(optimizer="sgd", loss="mse",
                  metrics=["mae", "mean_squared_error",
                           fm.metrics.RootMeanSquaredError(name="rmse")])  # (auto names count up)
    history = model.fit(p, y, batch_size=4, shuffle=False, verbose=0).history
    assert history["mae"][0] == pytest.approx(mae, rel=1e-12)
    assert history["mean_squared_error"][0] == pytest.approx(mse, rel=1e-12)
    assert history["rmse"][0] == pytest.approx(math.sqrt(mse), rel=1e-12)
    m = fm.metrics.MeanAbsoluteError()
    m.update_state([[1.0], [2.0]], [[1.5], [2.0]])
    m.update_state([[0.0]], [[3.0]])
    assert m.result() == pytest.approx(3.5 / 3)  # keras3.md §4: Keras gave 1.1667


# a deterministic binary problem (no random generator, so that Keras can be fed
# the same numbers): 100 rows, 40 positives, scores in [0.02, 0.98], weights
ROW = np.arange(100)
Y_B = ((ROW * 7) % 10 < 4).astype(np.float32).astype(np.float64)
P_B = (0.02 + 0.96 * (0.6 * ((ROW * 37) % 101) / 100 + 0.4 * Y_B)).astype(np.float32).astype(
    np.float64)
W_B = 0.5 + (ROW % 4) * 0.25
# Keras 3.15.1 on (Y_B, P_B[, W_B]) as float32, fed in two updates (rows :37 and
# 37:): keras.metrics.AUC(), AUC(...)(sample_weight), AUC(curve="PR"),
# AUC(summation_method="minoring"/"majoring"), AUC(num_thresholds=50),
# Precision(), Recall(), Precision(sample_weight), Precision/Recall(thresholds=
# [0.3, 0.7]), BinaryAccuracy(), BinaryAccuracy(threshold=0.7); result() as printed.
KERAS_BINARY = {
    "auc_roc": 0.9552083015441895, "auc_roc_weighted": 0.9574828743934631,
    "auc_pr": 0.9450478553771973, "auc_minoring": 0.9545833468437195,
    "auc_majoring": 0.9558333158493042, "auc_50": 0.9539583325386047,
    "precision": 0.8139534592628479, "recall": 0.875, "precision_weighted": 0.8133333325386047,
    "precision_2": [0.5714285969734192, 1.0], "recall_2": [1.0, 0.5],
    "binary_accuracy": 0.8700000047683716, "binary_accuracy_07": 0.800000011920929,
}


def keras_thresholds(n):
    return np.array([-1e-7] + [i / (n - 1) for i in range(1, n - 1)] + [1 + 1e-7])


def confusion_at(thresholds, y, p, w=None):
    """tp, fp, tn, fn at each threshold: a prediction is positive when p > t."""
    w = np.ones_like(p) if w is None else w
    above = p[None, :] > np.asarray(thresholds, float)[:, None]
    pos = y != 0
    tp, fp = (above * (w * pos)).sum(axis=1), (above * (w * ~pos)).sum(axis=1)
    return tp, fp, (w * ~pos).sum() - fp, (w * pos).sum() - tp


def ratio(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b > 0)


def auc_reference(y, p, w=None, n=200, curve="ROC", summation="interpolation",
                  from_logits=False):
    """Keras's AUC from its definition: n thresholds −1e-7, 1/(n−1), …, 1+1e-7;
    ROC by trapezoids (or min/max heights), PR by Davis & Goadrich's interpolation."""
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    tp, fp, tn, fn = confusion_at(keras_thresholds(n), y, np.clip(p, 0, 1), w)
    if curve == "ROC":
        tpr, fpr = ratio(tp, tp + fn), ratio(fp, fp + tn)
        height = {"interpolation": (tpr[:-1] + tpr[1:]) / 2,
                  "minoring": np.minimum(tpr[:-1], tpr[1:]),
                  "majoring": np.maximum(tpr[:-1], tpr[1:])}[summation]
        return float(((fpr[:-1] - fpr[1:]) * height).sum())
    dtp, pp = tp[:-1] - tp[1:], tp + fp
    dp = pp[:-1] - pp[1:]
    slope = ratio(dtp, dp)
    intercept = tp[1:] - slope * pp[1:]
    p_ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), ratio(pp[:-1], pp[1:]), 1.0)
    return float(ratio(slope * (dtp + intercept * np.log(p_ratio)), tp[1:] + fn[1:]).sum())


def two_updates(metric, y, p, w=None):
    metric.update_state(y[:37], p[:37], None if w is None else w[:37])
    metric.update_state(y[37:], p[37:], None if w is None else w[37:])
    return metric.result()


@pytest.mark.parametrize("key,make,options", [
    ("auc_roc", lambda: fm.metrics.AUC(), {}),
    ("auc_roc_weighted", lambda: fm.metrics.AUC(), {"weighted": True}),
    ("auc_pr", lambda: fm.metrics.AUC(curve="PR"), {"curve": "PR"}),
    ("auc_minoring", lambda: fm.metrics.AUC(summation_method="minoring"),
     {"summation": "minoring"}),
    ("auc_majoring", lambda: fm.metrics.AUC(summation_method="majoring"),
     {"summation": "majoring"}),
    ("auc_50", lambda: fm.metrics.AUC(num_thresholds=50), {"n": 50}),
])
def test_auc_against_its_definition_and_keras(key, make, options):
    """AUC accumulated over two updates equals the formula on all rows, and Keras's value."""
    options = dict(options)
    w = W_B if options.pop("weighted", False) else None
    expected = auc_reference(Y_B, P_B, w, **options)
    assert expected == pytest.approx(KERAS_BINARY[key], rel=1e-6)
    assert two_updates(make(), Y_B, P_B, w) == pytest.approx(expected, rel=1e-12)


def test_auc_in_fit_and_evaluate():
    """AUC as a compiled metric is computed over the epoch's counts, not averaged over batches."""
    model = identity_model(1)
    model.trainable = False
    model.compile(optimizer="sgd", loss="mse", metrics=[fm.metrics.AUC(name="auc")],
                  weighted_metrics=[fm.metrics.AUC(name="wauc")])
    history = model.fit(P_B[:, None], Y_B, sample_weight=W_B, batch_size=16, shuffle=False,
                        verbose=0).history
    assert history["auc"][0] == pytest.approx(auc_reference(Y_B, P_B), rel=1e-12)
    assert history["wauc"][0] == pytest.approx(auc_reference(Y_B, P_B, W_B), rel=1e-12)
    logs = model.evaluate(P_B[:, None], Y_B, verbose=0, return_dict=True)
    assert logs["auc"] == pytest.approx(auc_reference(Y_B, P_B), rel=1e-12)


def test_auc_counts_at_every_threshold():
    """TP/FP at threshold i count the predictions strictly above i/(n−1), as Keras's."""
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1], float)
    p = np.array([0.004, 0.001, 0.009, 0.5, 0.999, 1.0, 0.0, 0.3])
    m = fm.metrics.AUC()
    m.update_state(y, p)
    tp, fp, tn, fn = m.confusion()
    e_tp, e_fp, e_tn, e_fn = confusion_at(keras_thresholds(200), y, p)
    np.testing.assert_array_equal(tp, e_tp)
    np.testing.assert_array_equal(fp, e_fp)
    # Keras 3.15.1: keras.metrics.AUC() on (y, p) as float32 gave 0.53125
    assert auc_reference(y, p) == pytest.approx(0.53125)
    assert m.result() == pytest.approx(0.53125)


def test_auc_from_logits():
    """AUC(from_logits=True) applies a sigmoid to the predictions first."""
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1], float)
    z = np.array([-3, -1, 2, 0.5, 4, -2, 1, 3], float)
    # Keras 3.15.1: keras.metrics.AUC(from_logits=True) on (y, z) as float32 gave 0.75
    assert auc_reference(y, z, from_logits=True) == pytest.approx(0.75)
    m = fm.metrics.AUC(from_logits=True)
    m.update_state(y, z)
    assert m.result() == pytest.approx(0.75)


def test_precision_recall_and_binary_accuracy():
    """Precision/Recall count p > threshold (strict) as positive, with weights and
    several thresholds; BinaryAccuracy compares p > threshold with the target."""
    tp, fp, tn, fn = confusion_at([0.5], Y_B, P_B)
    assert two_updates(fm.metrics.Precision(), Y_B, P_B) == pytest.approx(tp[0] / (tp[0] + fp[0]))
    assert two_updates(fm.metrics.Recall(), Y_B, P_B) == pytest.approx(tp[0] / (tp[0] + fn[0]))
    tp_w, fp_w, _, _ = confusion_at([0.5], Y_B, P_B, W_B)
    assert two_updates(fm.metrics.Precision(), Y_B, P_B, W_B) == pytest.approx(
        tp_w[0] / (tp_w[0] + fp_w[0]))
    tp2, fp2, tn2, fn2 = confusion_at([0.3, 0.7], Y_B, P_B)
    np.testing.assert_allclose(two_updates(fm.metrics.Precision(thresholds=[0.3, 0.7]), Y_B, P_B),
                               tp2 / (tp2 + fp2))
    np.testing.assert_allclose(two_updates(fm.metrics.Recall(thresholds=[0.3, 0.7]), Y_B, P_B),
                               tp2 / (tp2 + fn2))
    acc = ((P_B > 0.5) == Y_B).mean()
    acc7 = ((P_B > 0.7) == Y_B).mean()
    assert two_updates(fm.metrics.BinaryAccuracy(), Y_B, P_B) == pytest.approx(acc)
    assert two_updates(fm.metrics.BinaryAccuracy(threshold=0.7), Y_B, P_B) == pytest.approx(acc7)
    fm_values = {
        "precision": tp[0] / (tp[0] + fp[0]), "recall": tp[0] / (tp[0] + fn[0]),
        "precision_weighted": tp_w[0] / (tp_w[0] + fp_w[0]),
        "precision_2": list(tp2 / (tp2 + fp2)), "recall_2": list(tp2 / (tp2 + fn2)),
        "binary_accuracy": acc, "binary_accuracy_07": acc7}
    for key, value in fm_values.items():
        np.testing.assert_allclose(value, KERAS_BINARY[key], rtol=1e-6, err_msg=key)
    # no positive prediction: 0, not NaN (divide_no_nan)
    assert fm.metrics.Precision(thresholds=0.99).result() == 0.0
    m = fm.metrics.Precision()
    m.update_state([0, 1], [0.5, 0.5])  # 0.5 is not above 0.5
    assert m.result() == 0.0


def test_precision_recall_over_columns_and_class_id():
    """Several output columns are flattened into binary decisions; class_id keeps one column."""
    y = np.eye(4)[[0, 1, 2, 3, 1, 2]]
    p = np.array([[.5, .2, .2, .1], [.3, .3, .3, .1], [.1, .2, .3, .4], [.4, .3, .2, .1],
                  [.25, .25, .25, .25], [.1, .6, .2, .1]])
    tp, fp, tn, fn = confusion_at([0.25], y.ravel(), p.ravel())
    logs = evaluate_metrics(identity_model(4), p, y, [
        fm.metrics.Precision(thresholds=0.25, name="p"),
        fm.metrics.Recall(thresholds=0.25, name="r"),
        fm.metrics.Precision(class_id=2, thresholds=0.25, name="p2"),
        fm.metrics.Precision(class_id=2, name="p2_half")])
    assert logs["p"] == pytest.approx(tp[0] / (tp[0] + fp[0]))
    assert logs["r"] == pytest.approx(tp[0] / (tp[0] + fn[0]))
    tp, fp, _, _ = confusion_at([0.25], y[:, 2], p[:, 2])
    assert logs["p2"] == pytest.approx(tp[0] / (tp[0] + fp[0]))
    assert logs["p2_half"] == 0.0
    # Keras 3.15.1 on these arrays: Precision(thresholds=0.25) 0.3333333432674408,
    # Recall(thresholds=0.25) 0.5, Precision(class_id=2, thresholds=0.25) 0.5,
    # Precision(class_id=2) 0.0
    np.testing.assert_allclose([logs["p"], logs["r"], logs["p2"]], [0.3333333432674408, 0.5, 0.5],
                               rtol=1e-6)


def test_every_metric_name_compiles_to_its_definition():
    """Each string fm.metrics takes logs under that name with Keras's value."""
    tp, fp, tn, fn = confusion_at([0.5], Y_B, P_B)
    binary = {"binary_accuracy": ((P_B > 0.5) == Y_B).mean(),
              "precision": tp[0] / (tp[0] + fp[0]), "recall": tp[0] / (tp[0] + fn[0]),
              "auc": auc_reference(Y_B, P_B), "AUC": auc_reference(Y_B, P_B),
              "mae": np.abs(P_B - Y_B).mean(), "mean_absolute_error": np.abs(P_B - Y_B).mean(),
              "mse": ((P_B - Y_B) ** 2).mean(), "mean_squared_error": ((P_B - Y_B) ** 2).mean(),
              "root_mean_squared_error": math.sqrt(((P_B - Y_B) ** 2).mean())}
    logs = evaluate_metrics(identity_model(1), P_B[:, None], Y_B, list(binary))
    for name, value in binary.items():
        assert logs[name] == pytest.approx(value, rel=1e-12), name
    rng = np.random.default_rng(6)
    p, labels = rng.dirichlet(np.ones(6), 50), rng.integers(0, 6, 50)
    hits = (p.argmax(axis=1) == labels).mean()
    top5 = (p[np.arange(50), labels] >= np.sort(p, axis=1)[:, -5]).mean()
    logs = evaluate_metrics(identity_model(6), p, np.eye(6)[labels],
                            ["categorical_accuracy", "top_k_categorical_accuracy"])
    assert logs["categorical_accuracy"] == pytest.approx(hits)
    assert logs["top_k_categorical_accuracy"] == pytest.approx(top5)
    logs = evaluate_metrics(identity_model(6), p, labels, ["sparse_categorical_accuracy"],
                            loss="sparse_categorical_crossentropy")
    assert logs["sparse_categorical_accuracy"] == pytest.approx(hits)
    tested = set(binary) | {"accuracy", "acc", "categorical_accuracy",
                            "top_k_categorical_accuracy", "sparse_categorical_accuracy",
                            "sparse_top_k_categorical_accuracy"}
    assert set(fm.metrics.NAMES) <= tested  # (accuracy/acc and sparse top-k: tests above)


def test_weighted_metrics_use_sample_weights_and_are_renamed():
    """metrics= ignore sample weights, weighted_metrics= use them (Σ w·hit / Σ w);
    a metric in both lists logs the weighted copy as weighted_<name>."""
    rng = np.random.default_rng(5)
    p, labels, w = rng.dirichlet(np.ones(3), 30), rng.integers(0, 3, 30), rng.uniform(0, 3, 30)
    hits = (p.argmax(axis=1) == labels).astype(float)
    model = identity_model(3)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "mse"], weighted_metrics=["accuracy"])
    assert model.metrics_names == ["loss", "accuracy", "mse", "weighted_accuracy"]
    loss, acc, mse, wacc = model.evaluate(p, labels, sample_weight=w, verbose=0)
    assert acc == pytest.approx(hits.mean())
    assert wacc == pytest.approx((w * hits).sum() / w.sum())
    assert mse == pytest.approx(((p - labels[:, None]) ** 2).mean())  # against the label itself
    assert loss == pytest.approx(
        (w * PER_SAMPLE["sparse_categorical_crossentropy"](labels, p)).sum() / 30, rel=1e-12)


def test_metrics_see_the_model_outputs_with_a_from_logits_loss():
    """Keras passes the model's outputs (here logits) to the metrics whatever the loss."""
    z = Z[:, :1] * 0.4  # logits 0.8, -0.12, 0.4, 0: z > 0.5 and sigmoid(z) > 0.5 differ
    y = Y_BIN[:, :1]
    model = identity_model(1)
    logs = evaluate_metrics(model, z, y, ["accuracy", "mae"],
                            loss=fm.losses.BinaryCrossentropy(from_logits=True))
    assert logs["accuracy"] == pytest.approx(((z > 0.5) == y).mean())
    assert logs["mae"] == pytest.approx(np.abs(z - y).mean())
