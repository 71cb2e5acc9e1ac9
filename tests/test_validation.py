"""Errors at the boundary (DESIGN.md §3), through the public API only.

Every bad input raises the documented exception type (ValueError / TypeError,
RuntimeError for use before compile/build, FileNotFoundError for a missing
model file, MemoryError for an allocation that cannot succeed) with a message
that names the argument and shows what was expected and what was given. A
rejected call leaves the model exactly as it was; unusual but valid input
(lists, int/bool/float64 arrays, Fortran-order and strided views, ...) just
works and gives the same results as the equivalent C-contiguous float32 input.

"""
import contextlib
import json
import os
import warnings

import numpy as np
import pytest

import fastmlp as fm

# ------------------------------------------------------------------ data

_RNG = np.random.default_rng(20240601)
N = 12
X = _RNG.standard_normal((N, 4)).astype(np.float32)
Y_SPARSE = np.array([0, 1, 2] * (N // 3), dtype=np.int64)
Y_ONEHOT = np.eye(3, dtype=np.float32)[Y_SPARSE]
Y_REG = _RNG.standard_normal((N, 3)).astype(np.float32)
Y_BIN = (Y_SPARSE == 1).astype(np.float32)  # (N,) for a single sigmoid unit
X_INT = _RNG.integers(-3, 4, size=(N, 4)).astype(np.int64)
X_BOOL = _RNG.random((N, 4)) > 0.5

LOSSES = ["mse", "binary_crossentropy", "categorical_crossentropy",
          "sparse_categorical_crossentropy"]
ACTIVATIONS = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"]


# ------------------------------------------------------------------ helpers

def classifier(seed=0, compile=True, optimizer=None, metrics=("accuracy",), dtype="float32",
               loss="sparse_categorical_crossentropy"):
    """4 -> 8 (relu) -> 3 (softmax), built (input_dim given)."""
    fm.set_random_seed(seed)
    model = fm.Sequential([fm.Dense(8, activation="relu", input_dim=4),
                           fm.Dense(3, activation="softmax")], dtype=dtype)
    if compile:
        model.compile(optimizer=optimizer or fm.SGD(learning_rate=0.1), loss=loss,
                      metrics=list(metrics) if metrics else None)
    return model


def regressor(seed=0, units=3, input_dim=4, optimizer=None, dtype="float32"):
    """input_dim -> 8 (tanh) -> units (linear), mse."""
    fm.set_random_seed(seed)
    model = fm.Sequential([fm.Dense(8, activation="tanh", input_dim=input_dim),
                           fm.Dense(units)], dtype=dtype)
    model.compile(optimizer=optimizer or fm.SGD(learning_rate=0.05), loss="mse")
    return model


def binary(seed=0):
    """4 -> 8 (relu) -> 1 (sigmoid), binary cross-entropy."""
    fm.set_random_seed(seed)
    model = fm.Sequential([fm.Dense(8, activation="relu", input_dim=4),
                           fm.Dense(1, activation="sigmoid")])
    model.compile(optimizer=fm.SGD(learning_rate=0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def trained(seed=0):
    """A built, compiled and once-trained classifier with state beyond its weights: Adam's
    moments and step count, and dropout (whose masks depend on the step)."""
    fm.set_random_seed(seed)
    model = fm.Sequential([fm.Dense(8, activation="relu", input_dim=4), fm.Dropout(0.25),
                           fm.Dense(3, activation="softmax")])
    model.compile(optimizer=fm.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, Y_SPARSE, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model


def unbuilt(compile=True):
    """A classifier whose first layer does not declare its input size."""
    model = fm.Sequential([fm.Dense(8, activation="relu"), fm.Dense(3, activation="softmax")])
    if compile:
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def assert_same_weights(actual, expected):
    """Bitwise equality of two weight lists (values, shapes and dtypes)."""
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype and a.shape == e.shape
        np.testing.assert_array_equal(a, e)


def poisoned(a, value, where=(1, 2)):
    """A float copy of `a` with `value` at `where`."""
    out = np.array(a, dtype=np.float64 if np.asarray(a).dtype == np.float64 else np.float32)
    out[where] = value
    return out


def call_with(model, call, x=X, y=Y_SPARSE, verbose=0, **kwargs):
    """Give (x, y) to fit, predict or evaluate; "validation_data" fits on the good
    data and validates on (x, y)."""
    if call == "fit":
        model.fit(x, y, verbose=verbose, **kwargs)
    elif call == "predict":
        model.predict(x, verbose=verbose, **kwargs)
    elif call == "evaluate":
        model.evaluate(x, y, verbose=verbose, **kwargs)
    else:
        model.fit(X, Y_SPARSE, verbose=verbose, validation_data=(x, y), **kwargs)


@contextlib.contextmanager
def raises(exc_type, *fragments, start=None):
    """pytest.raises for exactly `exc_type` whose message contains every fragment
    (and starts with `start` when given)."""
    with pytest.raises(exc_type) as info:
        yield info
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in message {message!r}"
    if start is not None:
        assert message.startswith(start), f"message {message!r} does not start with {start!r}"


# ================================================================== NaN / inf

NON_FINITE = [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")]
NON_FINITE_IDS = ["nan", "inf", "-inf"]


@pytest.mark.parametrize("value,word", NON_FINITE, ids=NON_FINITE_IDS)
@pytest.mark.parametrize("where", ["fit x", "fit y", "predict x", "evaluate x", "evaluate y",
                                   "validation_data x", "validation_data y"])
def test_non_finite_input_is_rejected(where, value, word):
    model = regressor()
    before = model.get_weights()
    bad_x, bad_y = poisoned(X, value), poisoned(Y_REG, value)
    calls = {
        "fit x": ("x", lambda: model.fit(bad_x, Y_REG, verbose=0)),
        "fit y": ("y", lambda: model.fit(X, bad_y, verbose=0)),
        "predict x": ("x", lambda: model.predict(bad_x)),
        "evaluate x": ("x", lambda: model.evaluate(bad_x, Y_REG, verbose=0)),
        "evaluate y": ("y", lambda: model.evaluate(X, bad_y, verbose=0)),
        "validation_data x": ("validation_data x",
                              lambda: model.fit(X, Y_REG, verbose=0,
                                                validation_data=(bad_x, Y_REG))),
        "validation_data y": ("validation_data y",
                              lambda: model.fit(X, Y_REG, verbose=0,
                                                validation_data=(X, bad_y))),
    }
    name, call = calls[where]
    with raises(ValueError, f"{name} contains {word}", "[1, 2]", start=name):
        call()
    assert_same_weights(model.get_weights(), before)


@pytest.mark.parametrize("value,word", NON_FINITE, ids=NON_FINITE_IDS)
def test_non_finite_sparse_labels_are_rejected(value, word):
    model = classifier()
    labels = Y_SPARSE.astype(np.float64)
    labels[5] = value
    with raises(ValueError, f"y contains {word}", "[5]", start="y"):
        model.fit(X, labels, verbose=0)
    with raises(ValueError, f"y contains {word}", start="y"):
        model.evaluate(X, labels, verbose=0)


def test_non_finite_in_python_lists_is_rejected():
    model = regressor()
    rows = X.tolist()
    rows[3][0] = float("nan")
    with raises(ValueError, "x contains NaN", "[3, 0]", start="x"):
        model.predict(rows)


def test_float64_values_overflowing_float32_x_are_rejected():
    model = regressor()
    x = X.astype(np.float64)
    x[1, 2] = 1e39
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with raises(ValueError, start="x"):
            model.predict(x)


def test_float64_targets_overflowing_float32_are_rejected():
    model = regressor()
    y = Y_REG.astype(np.float64)
    y[1, 2] = 1e39
    before = model.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            with raises(ValueError, start="y"):
                model.fit(X, y, verbose=0)
        finally:
            # whatever happens, the weights must not have been touched
            assert_same_weights(model.get_weights(), before)


def test_set_weights_overflowing_float32_is_rejected():
    model = classifier()
    weights = [w.astype(np.float64) for w in model.get_weights()]
    weights[0][0, 0] = 1e39
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with raises(ValueError, "weights[0]"):
            model.set_weights(weights)
    assert all(np.isfinite(w).all() for w in model.get_weights())


# ================================================================== rank

@pytest.mark.parametrize("shape", [(N,), (N, 4, 1), (2, N, 2)], ids=["1-D", "3-D", "3-D-b"])
@pytest.mark.parametrize("call", ["fit", "predict", "evaluate", "validation_data"])
def test_wrong_rank_x_is_rejected(call, shape):
    model = classifier()
    bad = np.ones(shape, dtype=np.float32)
    name = "validation_data x" if call == "validation_data" else "x"
    with raises(ValueError, f"{name} must be 2-D", f"got shape {shape}", start=name):
        call_with(model, call, bad)


def test_one_dimensional_x_message_suggests_reshape():
    with raises(ValueError, "reshape(-1, 1)", "reshape(1, -1)"):
        classifier().predict(np.ones(4, dtype=np.float32))


def test_scalar_x_is_rejected():
    with raises(ValueError, "x must be 2-D", "got shape ()"):
        classifier().predict(3.0)


def test_scalar_y_is_rejected():
    with raises(ValueError, "y must hold one target per sample", "scalar"):
        regressor().fit(X, 1.0, verbose=0)


def test_three_dimensional_targets_are_rejected():
    with raises(ValueError, f"y must have shape ({N}, 3)", f"got shape ({N}, 3, 1)"):
        regressor().fit(X, Y_REG[:, :, None], verbose=0)


# ================================================================== feature count

def test_wrong_feature_count_message_gives_expected_count_784():
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Dense(3, activation="softmax", input_dim=784)])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    x = np.zeros((2, 783), dtype=np.float32)
    with raises(ValueError, "784", "783", "x has 783 features", "expects 784", "(2, 783)"):
        model.predict(x)
    with raises(ValueError, "784", "783"):
        model.fit(x, [0, 1], verbose=0)
    with raises(ValueError, "784", "783"):
        model.evaluate(x, [0, 1], verbose=0)


@pytest.mark.parametrize("call", ["fit", "predict", "evaluate", "validation_data"])
def test_wrong_feature_count_is_rejected(call):
    model = classifier()
    bad = np.ones((N, 5), dtype=np.float32)
    name = "validation_data x" if call == "validation_data" else "x"
    with raises(ValueError, f"{name} has 5 features", "expects 4", start=name):
        call_with(model, call, bad)


def test_feature_count_fixed_by_first_fit_of_unbuilt_model():
    model = unbuilt()
    model.fit(X, Y_SPARSE, verbose=0)
    assert model.input_shape == (None, 4)
    with raises(ValueError, "x has 6 features", "expects 4"):
        model.fit(np.ones((N, 6)), Y_SPARSE, verbose=0)
    with raises(ValueError, "x has 6 features", "expects 4"):
        model.predict(np.ones((N, 6)))


def test_validation_data_features_checked_against_x_on_unbuilt_model():
    model = unbuilt()
    with raises(ValueError, "validation_data x has 5 features", "expects 4"):
        model.fit(X, Y_SPARSE, verbose=0, validation_data=(np.ones((3, 5)), [0, 1, 2]))
    assert not model.built


def test_build_with_other_feature_count_is_rejected():
    model = classifier()
    with raises(ValueError, "4", "5"):
        model.build((None, 5))
    with raises(ValueError, "input_shape"):
        model.build((None, 4, 1))


# ================================================================== x / y length

@pytest.mark.parametrize("call", ["fit", "evaluate"])
def test_x_y_length_mismatch_is_rejected(call):
    model = classifier()
    with raises(ValueError, "different numbers of samples", f"{N} and {N - 1}"):
        call_with(model, call, y=Y_SPARSE[:-1])


def test_validation_data_length_mismatch_is_rejected():
    model = classifier()
    with raises(ValueError, "validation_data y", "different numbers of samples", "5 and 4"):
        model.fit(X, Y_SPARSE, verbose=0, validation_data=(X[:5], Y_SPARSE[:4]))


def test_validation_data_length_mismatch_message_names_validation_x():
    model = classifier()
    with raises(ValueError, "validation_data x and validation_data y"):
        model.fit(X, Y_SPARSE, verbose=0, validation_data=(X[:5], Y_SPARSE[:4]))


# ================================================================== empty input

@pytest.mark.parametrize("call", ["fit", "predict", "evaluate", "validation_data"])
def test_zero_samples_are_rejected(call):
    model = classifier()
    empty = np.zeros((0, 4), dtype=np.float32)
    name = "validation_data x" if call == "validation_data" else "x"
    with raises(ValueError, f"{name} is empty", "(0, 4)", start=name):
        call_with(model, call, empty, Y_SPARSE[:0])


@pytest.mark.parametrize("call", ["fit", "predict"])
def test_zero_features_are_rejected(call):
    model = unbuilt() if call == "fit" else classifier()
    with raises(ValueError, "x has no features", f"({N}, 0)"):
        call_with(model, call, np.zeros((N, 0)))
    if call == "fit":
        assert not model.built


def test_empty_list_and_empty_targets_are_rejected():
    model = classifier()
    with raises(ValueError, "x must be 2-D", "(0,)"):
        model.predict([])
    with raises(ValueError, "different numbers of samples", f"{N} and 0"):
        model.fit(X, [], verbose=0)


def test_input_dim_zero_and_build_zero_are_rejected():
    with raises(ValueError, "input_dim", "positive", "got 0"):
        fm.Dense(3, input_dim=0)
    with raises(ValueError, "input_shape[0]", "got 0"):
        fm.Dense(3, input_shape=(0,))
    with raises(ValueError, "got 0"):
        unbuilt().build((None, 0))


# ================================================================== non-numeric

NON_NUMERIC = {
    "strings": (lambda: [["a", "b", "c", "d"]] * N, TypeError, "must contain numbers"),
    "numeric strings": (lambda: [["1", "2", "3", "4"]] * N, TypeError, "must contain numbers"),
    "None": (lambda: None, TypeError, "got None"),
    "object array": (lambda: X.astype(object), TypeError, "dtype object"),
    "list with None": (lambda: [[1.0, None, 2.0, 3.0]] * N, TypeError, "must contain numbers"),
    "complex": (lambda: X.astype(np.complex64), TypeError, "complex64"),
    "datetime": (lambda: np.zeros((N, 4), dtype="M8[s]"), TypeError, "datetime64"),
    "ragged": (lambda: [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]] * (N // 2), ValueError,
               "rectangular array of numbers"),
}


@pytest.mark.parametrize("kind", list(NON_NUMERIC))
@pytest.mark.parametrize("call", ["fit x", "predict x", "evaluate x", "fit y", "evaluate y",
                                  "validation_data x"])
def test_non_numeric_input_is_rejected(call, kind):
    make, exc, fragment = NON_NUMERIC[kind]
    model = regressor()
    before = model.get_weights()
    bad = make()
    name = call.rsplit(" ", 1)[1] if not call.startswith("validation") else "validation_data x"
    bad_y = bad
    if call.endswith("y") and kind != "ragged" and bad is not None:
        bad_y = np.asarray(bad)[:, :3]  # the right shape, only the contents are wrong
    with raises(exc, name, fragment, start=name):
        if call == "fit x":
            model.fit(bad, Y_REG, verbose=0)
        elif call == "predict x":
            model.predict(bad)
        elif call == "evaluate x":
            model.evaluate(bad, Y_REG, verbose=0)
        elif call == "fit y":
            model.fit(X, bad_y, verbose=0)
        elif call == "evaluate y":
            model.evaluate(X, bad_y, verbose=0)
        else:
            model.fit(X, Y_REG, verbose=0, validation_data=(bad, Y_REG))
    assert_same_weights(model.get_weights(), before)


def test_missing_y_is_rejected():
    with raises(TypeError, "y", "None"):
        classifier().fit(X, verbose=0)


# ================================================================== target width

def test_wrong_target_width_mse():
    model = regressor()
    with raises(ValueError, f"y must have shape ({N}, 3)", "3 units", f"got shape ({N}, 2)"):
        model.fit(X, Y_REG[:, :2], verbose=0)
    with raises(ValueError, f"({N}, 3)", f"({N},)"):
        model.evaluate(X, Y_REG[:, 0], verbose=0)
    with raises(ValueError, "validation_data y", "(4, 3)", "(4, 2)"):
        model.fit(X, Y_REG, verbose=0, validation_data=(X[:4], Y_REG[:4, :2]))


def test_wrong_target_width_categorical_crossentropy():
    model = classifier(loss="categorical_crossentropy")
    with raises(ValueError, f"y must have shape ({N}, 3)", f"got shape ({N}, 4)"):
        model.fit(X, np.eye(4, dtype=np.float32)[Y_SPARSE], verbose=0)
    # integer labels with categorical_crossentropy: the message points to the sparse loss
    with raises(ValueError, f"({N}, 3)", f"({N},)", "sparse_categorical_crossentropy"):
        model.fit(X, Y_SPARSE, verbose=0)


def test_wrong_target_width_binary_crossentropy():
    model = binary()
    with raises(ValueError, f"y must have shape ({N}, 1)", f"got shape ({N}, 2)"):
        model.fit(X, np.stack([Y_BIN, Y_BIN], axis=1), verbose=0)
    with raises(ValueError, f"({N}, 1)", f"({N}, 2)"):
        model.evaluate(X, np.stack([Y_BIN, Y_BIN], axis=1), verbose=0)


def test_sparse_labels_with_one_hot_shape_are_rejected():
    model = classifier()
    with raises(ValueError, "sparse_categorical_crossentropy", f"({N},)", f"({N}, 3)",
                "categorical_crossentropy"):
        model.fit(X, Y_ONEHOT, verbose=0)


# ================================================================== labels

@pytest.mark.parametrize("label,fragments", [
    (3, ["label", "3", "3 units", "[0, 2]"]),
    (7, ["label", "7", "[0, 2]"]),
    (-1, ["label", "-1", "[0, 2]"]),
], ids=["3", "7", "-1"])
@pytest.mark.parametrize("call", ["fit", "evaluate", "validation_data"])
def test_sparse_labels_out_of_range_are_rejected(call, label, fragments):
    model = classifier()
    labels = Y_SPARSE.copy()
    labels[4] = label
    name = "validation_data y" if call == "validation_data" else "y"
    with raises(ValueError, *fragments, start=name):
        call_with(model, call, y=labels)


@pytest.mark.parametrize("label", [1.5, 0.25, -0.5, 2.000001], ids=str)
def test_sparse_labels_non_integer_are_rejected(label):
    labels = Y_SPARSE.astype(np.float64)
    labels[4] = label
    with raises(ValueError, "whole-number", repr(label)[:4], start="y"):
        classifier().fit(X, labels, verbose=0)


def test_sparse_float_label_out_of_range_is_rejected():
    labels = Y_SPARSE.astype(np.float64)
    labels[0] = 3.0
    with raises(ValueError, "label", "3.0", "[0, 2]"):
        classifier().fit(X, labels, verbose=0)


@pytest.mark.parametrize("loss,bad,shown", [
    ("categorical_crossentropy", 2.0, "2.0"),
    ("categorical_crossentropy", -0.5, "-0.5"),
    ("binary_crossentropy", 1.5, "1.5"),
    ("binary_crossentropy", -0.25, "-0.25"),
])
def test_cross_entropy_targets_outside_unit_interval_are_rejected(loss, bad, shown):
    if loss == "binary_crossentropy":
        model, y = binary(), Y_BIN.copy()
        y[3] = bad
    else:
        model, y = classifier(loss=loss), Y_ONEHOT.copy()
        y[3, 1] = bad
    with raises(ValueError, loss, "[0, 1]", shown, start=loss):
        model.fit(X, y, verbose=0)
    with raises(ValueError, loss, "[0, 1]", shown):
        model.evaluate(X, y, verbose=0)
    with raises(ValueError, "validation_data y", shown):
        model.fit(X, y.clip(0, 1), verbose=0, validation_data=(X, y))


def test_mse_accepts_targets_outside_unit_interval():
    model = regressor()
    history = model.fit(X, Y_REG * 10, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ================================================================== sizes

@pytest.mark.parametrize("units,exc,fragment", [
    (0, ValueError, "got 0"),
    (-1, ValueError, "got -1"),
    (2.5, TypeError, "2.5"),
    (True, TypeError, "True"),
    ("3", TypeError, "'3'"),
    (None, TypeError, "None"),
    (np.float64(3.0), TypeError, "3.0"),
], ids=["0", "-1", "2.5", "True", "str", "None", "np.float64"])
def test_dense_units_must_be_positive_integer(units, exc, fragment):
    with raises(exc, "units", fragment, start="units"):
        fm.Dense(units)


def test_dense_accepts_numpy_integer_units():
    assert fm.Dense(np.int64(3)).units == 3


@pytest.mark.parametrize("input_dim,exc", [(0, ValueError), (-3, ValueError), (2.0, TypeError),
                                           (False, TypeError), ("4", TypeError)])
def test_dense_input_dim_must_be_positive_integer(input_dim, exc):
    with raises(exc, "input_dim", start="input_dim"):
        fm.Dense(3, input_dim=input_dim)


def test_dense_input_shape_checks():
    with raises(ValueError, "input_shape", "(features,)"):
        fm.Dense(3, input_shape=(None, 4))
    with raises(ValueError, "input_dim=4", "(5,)", "disagree"):
        fm.Dense(3, input_dim=4, input_shape=(5,))
    with raises(TypeError, "use_bias", "1"):
        fm.Dense(3, use_bias=1)


@pytest.mark.parametrize("value,exc,fragment", [
    (0, ValueError, "got 0"), (-4, ValueError, "got -4"), (2.5, TypeError, "2.5"),
    (True, TypeError, "True"), ("32", TypeError, "'32'")])
@pytest.mark.parametrize("call", ["fit", "predict", "evaluate"])
def test_batch_size_must_be_positive_integer(call, value, exc, fragment):
    model = classifier()
    with raises(exc, "batch_size", fragment, start="batch_size"):
        call_with(model, call, batch_size=value)


@pytest.mark.parametrize("value,exc,fragment", [
    (-1, ValueError, "got -1"), (1.5, TypeError, "1.5"), (None, TypeError, "None"),
    (True, TypeError, "True")])
def test_epochs_must_be_non_negative_integer(value, exc, fragment):
    with raises(exc, "epochs", fragment, start="epochs"):
        classifier().fit(X, Y_SPARSE, epochs=value, verbose=0)


def test_initial_epoch_must_be_non_negative_integer():
    with raises(ValueError, "initial_epoch", "-1"):
        classifier().fit(X, Y_SPARSE, initial_epoch=-1, verbose=0)


def test_epochs_zero_is_valid_and_trains_nothing():
    model = classifier()
    before = model.get_weights()
    history = model.fit(X, Y_SPARSE, epochs=0, verbose=0)
    assert history.history == {}
    assert_same_weights(model.get_weights(), before)


# ================================================================== rates

@pytest.mark.parametrize("rate,exc,fragment", [
    (-0.1, ValueError, "-0.1"), (1.0, ValueError, "1.0"), (1.5, ValueError, "1.5"),
    (float("nan"), ValueError, "nan"), (float("inf"), ValueError, "inf"),
    ("0.5", TypeError, "'0.5'"), (None, TypeError, "None"), (True, TypeError, "True")],
    ids=["-0.1", "1.0", "1.5", "nan", "inf", "str", "None", "True"])
def test_dropout_rate_out_of_range(rate, exc, fragment):
    with raises(exc, "rate", fragment, start="rate"):
        fm.Dropout(rate)


def test_dropout_rate_message_shows_interval():
    with raises(ValueError, "[0.0, 1.0)"):
        fm.Dropout(1.0)
    # masks compare 16-bit draws: a rate within 2**-16 of 1 would drop everything
    with raises(ValueError, "resolution", "0.999995"):
        fm.Dropout(0.999995)
    assert fm.Dropout(1 - 2**-16).rate == 1 - 2**-16


@pytest.mark.parametrize("split,exc,fragment", [
    (1.0, ValueError, "1.0"), (-0.1, ValueError, "-0.1"), (1.5, ValueError, "1.5"),
    (float("nan"), ValueError, "nan"), ("0.2", TypeError, "'0.2'")],
    ids=["1.0", "-0.1", "1.5", "nan", "str"])
def test_validation_split_out_of_range(split, exc, fragment):
    model = classifier()
    before = model.get_weights()
    with raises(exc, "validation_split", fragment, start="validation_split"):
        model.fit(X, Y_SPARSE, validation_split=split, verbose=0)
    assert_same_weights(model.get_weights(), before)


def test_validation_split_leaving_no_training_sample_is_rejected():
    with raises(ValueError, "validation_split", "out of 1"):
        classifier().fit(X[:1], Y_SPARSE[:1], validation_split=0.5, verbose=0)


# ================================================================== optimizers

OPTIMIZER_CASES = [
    # (class, argument, value, exception, fragment in message)
    (fm.SGD, "learning_rate", 0, ValueError, "got 0.0"),
    (fm.SGD, "learning_rate", -0.01, ValueError, "-0.01"),
    (fm.SGD, "learning_rate", float("nan"), ValueError, "nan"),
    (fm.SGD, "learning_rate", float("inf"), ValueError, "inf"),
    (fm.SGD, "learning_rate", "0.1", TypeError, "'0.1'"),
    (fm.SGD, "learning_rate", None, TypeError, "None"),
    (fm.SGD, "momentum", 1.5, ValueError, "1.5"),
    (fm.SGD, "momentum", -0.5, ValueError, "-0.5"),
    (fm.SGD, "nesterov", "yes", TypeError, "'yes'"),
    (fm.RMSprop, "learning_rate", 0.0, ValueError, "0.0"),
    (fm.RMSprop, "learning_rate", -1, ValueError, "-1"),
    (fm.RMSprop, "learning_rate", float("nan"), ValueError, "nan"),
    (fm.RMSprop, "learning_rate", float("-inf"), ValueError, "inf"),
    (fm.RMSprop, "learning_rate", "fast", TypeError, "'fast'"),
    (fm.RMSprop, "rho", -0.1, ValueError, "-0.1"),
    (fm.RMSprop, "rho", 1.0, ValueError, "1.0"),
    (fm.RMSprop, "momentum", 1.5, ValueError, "1.5"),
    (fm.RMSprop, "epsilon", 0, ValueError, "0.0"),
    (fm.RMSprop, "epsilon", -1e-7, ValueError, "-1e-07"),
    (fm.Adam, "learning_rate", 0, ValueError, "0.0"),
    (fm.Adam, "learning_rate", -0.001, ValueError, "-0.001"),
    (fm.Adam, "learning_rate", float("nan"), ValueError, "nan"),
    (fm.Adam, "learning_rate", float("inf"), ValueError, "inf"),
    (fm.Adam, "learning_rate", "0.001", TypeError, "'0.001'"),
    (fm.Adam, "beta_1", 1.0, ValueError, "1.0"),
    (fm.Adam, "beta_1", -0.1, ValueError, "-0.1"),
    (fm.Adam, "beta_2", 1.0, ValueError, "1.0"),
    (fm.Adam, "beta_2", float("nan"), ValueError, "nan"),
    (fm.Adam, "epsilon", 0, ValueError, "0.0"),
    (fm.Adam, "epsilon", True, TypeError, "True"),
]
OPTIMIZER_IDS = [f"{c.__name__}-{a}={v!r}" for c, a, v, _, _ in OPTIMIZER_CASES]


@pytest.mark.parametrize("cls,arg,value,exc,fragment", OPTIMIZER_CASES, ids=OPTIMIZER_IDS)
def test_optimizer_hyperparameter_out_of_range_in_constructor(cls, arg, value, exc, fragment):
    with raises(exc, arg, fragment, start=arg):
        cls(**{arg: value})


@pytest.mark.parametrize("cls,arg,value,exc,fragment", OPTIMIZER_CASES, ids=OPTIMIZER_IDS)
def test_optimizer_hyperparameter_out_of_range_when_assigned(cls, arg, value, exc, fragment):
    opt = cls()
    before = opt.get_config()
    with raises(exc, arg, fragment, start=arg):
        setattr(opt, arg, value)
    assert opt.get_config() == before


def test_learning_rate_assignment_on_compiled_model_is_rejected():
    model = trained()
    twin = trained()
    opt = model.optimizer
    with raises(ValueError, "learning_rate", "-1"):
        opt.learning_rate = -1
    assert opt.learning_rate == 0.01
    model.fit(X, Y_SPARSE, batch_size=4, verbose=0, shuffle=False)
    twin.fit(X, Y_SPARSE, batch_size=4, verbose=0, shuffle=False)
    assert_same_weights(model.get_weights(), twin.get_weights())


def test_optimizer_boundary_values_that_are_valid():
    # zero momentum/rho/beta and tiny positive rates are allowed, and momentum 1 (as in Keras)
    fm.SGD(learning_rate=1e-12, momentum=0.0)
    assert fm.SGD(momentum=1.0).momentum == 1.0 and fm.RMSprop(momentum=1.0).momentum == 1.0
    fm.RMSprop(rho=0.0, momentum=0.0, epsilon=1e-30)
    opt = fm.Adam(beta_1=0.0, beta_2=0.0)
    opt.learning_rate = np.float32(0.5)
    assert opt.learning_rate == 0.5 and type(opt.learning_rate) is float


# ================================================================== unknown names

def test_unknown_activation_lists_valid_ones():
    with raises(ValueError, "activation", "'relu7'", *[repr(a) for a in ACTIVATIONS]):
        fm.Dense(3, activation="relu7")
    with raises(TypeError, "activation", "relu", "softmax"):
        fm.Dense(3, activation=5)


def test_activation_names_are_case_insensitive():
    assert fm.Dense(3, activation="ReLU").activation.name == "relu"


def test_unknown_loss_lists_valid_ones():
    model = classifier(compile=False)
    with raises(ValueError, "loss", "'triplet'", *[repr(name) for name in LOSSES]):
        model.compile(optimizer="sgd", loss="triplet")
    with raises(TypeError, "loss", "mse"):
        model.compile(optimizer="sgd", loss=3)
    with raises(ValueError, "loss", "mse", "sparse_categorical_crossentropy"):
        model.compile(optimizer="sgd")
    with raises(RuntimeError, "compile"):
        model.fit(X, Y_SPARSE, verbose=0)


def test_unknown_optimizer_lists_valid_ones():
    model = classifier(compile=False)
    with raises(ValueError, "optimizer", "'adagrad'", "'sgd'", "'rmsprop'", "'adam'"):
        model.compile(optimizer="adagrad", loss="mse")
    with raises(TypeError, "optimizer", "'sgd'", "'adam'", "fm.Adam()"):
        model.compile(optimizer=0.01, loss="mse")
    with raises(TypeError, "optimizer", "'adam'"):
        model.compile(optimizer=fm.Adam, loss="mse")  # the class, not an instance


def test_unknown_metric_lists_valid_ones():
    model = classifier(compile=False)
    with raises(ValueError, "metric", "'roc'", "'accuracy'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["roc"])
    with raises(TypeError, "metrics", "list", "'accuracy'"):
        model.compile(optimizer="sgd", loss="mse", metrics="accuracy")
    with raises(TypeError, "metric"):
        model.compile(optimizer="sgd", loss="mse", metrics=[len])


def test_unknown_kernel_initializer_lists_valid_ones():
    with raises(ValueError, "kernel_initializer", "'glorot_orthogonal'", "'glorot_uniform'",
                "'he_normal'", "'zeros'"):
        fm.Dense(3, kernel_initializer="glorot_orthogonal")
    with raises(TypeError, "kernel_initializer", "glorot_uniform"):
        fm.Dense(3, kernel_initializer=None)


# ================================================================== before compile / build

def test_fit_before_compile_raises_runtime_error():
    model = classifier(compile=False)
    with raises(RuntimeError, "fit()", "compile"):
        model.fit(X, Y_SPARSE, verbose=0)


def test_evaluate_before_compile_raises_runtime_error():
    model = classifier(compile=False)
    with raises(RuntimeError, "evaluate()", "compile"):
        model.evaluate(X, Y_SPARSE, verbose=0)


def test_predict_before_build_raises_runtime_error():
    model = unbuilt(compile=False)
    with raises(RuntimeError, "predict()", "built", "input_dim"):
        model.predict(X)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with raises(RuntimeError, "predict()", "built"):
        model.predict(X)


@pytest.mark.parametrize("method", ["evaluate", "get_weights", "set_weights", "count_params"])
def test_use_before_build_raises_runtime_error(method):
    model = unbuilt(compile=True)
    with raises(RuntimeError, f"{method}()", "built"):
        if method == "evaluate":
            model.evaluate(X, Y_SPARSE, verbose=0)
        elif method == "set_weights":
            model.set_weights([])
        else:
            getattr(model, method)()


def test_build_then_predict_works():
    model = unbuilt(compile=False)
    model.build((None, 4))
    assert model.predict(X).shape == (N, 3)


def test_layer_set_weights_before_build_raises_runtime_error():
    with raises(RuntimeError, "build"):
        fm.Dense(3).set_weights([np.zeros((4, 3)), np.zeros(3)])


def test_summary_before_build_shows_unbuilt_layers_as_keras_does(capsys):
    unbuilt().summary()
    out = capsys.readouterr().out
    assert "0 (unbuilt)" in out and "Total params: 0" in out


def test_compile_without_layers_is_rejected():
    with raises(ValueError, "layers"):
        fm.Sequential().compile(optimizer="sgd", loss="mse")


def test_a_model_without_dense_layers_trains_as_in_keras():
    model = fm.Sequential([fm.BatchNormalization(), fm.Activation("sigmoid")])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.full((N, 4), 0.5, np.float32), epochs=2, verbose=0)
    assert model.count_params() == 16 and np.isfinite(model.get_weights()[0]).all()


# ================================================================== set_weights

def test_set_weights_wrong_count():
    model = classifier()
    weights = model.get_weights()
    with raises(ValueError, "set_weights()", "expects 4 weight arrays", "(4, 8)", "(8,)",
                "(8, 3)", "(3,)", "got 3"):
        model.set_weights(weights[:3])
    with raises(ValueError, "expects 4", "got 5"):
        model.set_weights(weights + [weights[-1]])


def test_set_weights_wrong_shape():
    model = classifier()
    weights = model.get_weights()
    weights[2] = np.zeros((3, 8), dtype=np.float32)
    with raises(ValueError, "weights[2]", "(8, 3)", "(3, 8)"):
        model.set_weights(weights)


@pytest.mark.parametrize("value,word", NON_FINITE, ids=NON_FINITE_IDS)
def test_set_weights_non_finite(value, word):
    model = classifier()
    weights = model.get_weights()
    weights[1] = weights[1].copy()
    weights[1][5] = value
    with raises(ValueError, "weights[1]", word, "[5]"):
        model.set_weights(weights)


def test_set_weights_wrong_types():
    model = classifier()
    with raises(TypeError, "list of arrays", "array of shape (4,)"):
        model.set_weights(np.zeros(4))
    weights = model.get_weights()
    weights[0] = weights[0].astype(str)
    with raises(TypeError, "weights[0]", "numbers"):
        model.set_weights(weights)
    weights = model.get_weights()
    weights[3] = [1.0, [2.0, 3.0], 4.0]
    with raises(ValueError, "weights[3]"):
        model.set_weights(weights)


def test_layer_set_weights_checks():
    model = classifier()
    layer = model.layers[0]
    with raises(ValueError, layer.name, "expects 2"):
        layer.set_weights([np.zeros((4, 8))])
    with raises(ValueError, "(4, 8)", "(8, 4)"):
        layer.set_weights([np.zeros((8, 4)), np.zeros(8)])
    with raises(ValueError, "dropout", "expects 0"):
        fm.Dropout(0.2).set_weights([np.zeros(3)])
    fm.Dropout(0.2).set_weights([])


def test_set_weights_accepts_lists_and_other_dtypes():
    model = classifier()
    weights = model.get_weights()
    model.set_weights([w.astype(np.float64).tolist() for w in weights])
    assert_same_weights(model.get_weights(), weights)
    model.set_weights([np.zeros(w.shape, dtype=np.int32) for w in weights])
    assert all((w == 0).all() and w.dtype == np.float32 for w in model.get_weights())


# ================================================================== global settings

@pytest.mark.parametrize("n,exc,fragment", [(0, ValueError, "got 0"), (-1, ValueError, "got -1"),
                                            (1.5, TypeError, "1.5"), ("2", TypeError, "'2'"),
                                            (True, TypeError, "True")])
def test_set_num_threads_rejects_bad_values(n, exc, fragment):
    before = fm.get_num_threads()
    with raises(exc, "n must be", fragment, start="n must be"):
        fm.set_num_threads(n)
    assert fm.get_num_threads() == before


def test_set_num_threads_too_large_is_value_error(threads):
    before = fm.get_num_threads()
    with raises(ValueError, "n", str(2**40)):
        threads(2**40)
    assert fm.get_num_threads() == before


@pytest.mark.parametrize("seed,exc,fragment", [(-1, ValueError, "got -1"),
                                               (1.5, TypeError, "1.5"),
                                               ("42", TypeError, "'42'"),
                                               (None, TypeError, "None")])
def test_set_random_seed_rejects_bad_values(seed, exc, fragment):
    with raises(exc, "seed", fragment, start="seed"):
        fm.set_random_seed(seed)


def test_rejected_set_random_seed_keeps_the_random_state():
    fm.set_random_seed(7)
    expected = unbuilt(compile=False)
    expected.build((None, 4))
    fm.set_random_seed(7)
    with pytest.raises(ValueError):
        fm.set_random_seed(-1)
    model = unbuilt(compile=False)
    model.build((None, 4))
    assert_same_weights(model.get_weights(), expected.get_weights())


@pytest.mark.parametrize("dtype,exc,fragments", [
    ("int32", ValueError, ["dtype", "'float32', 'float64', 'mixed_bfloat16'", "'int32'"]),
    ("float16", ValueError, ["dtype", "'float16'"]),
    (np.int64, ValueError, ["dtype", "'int64'"]),
    ("complex64", ValueError, ["dtype", "'complex64'"]),
    ("nonsense", TypeError, ["dtype", "'nonsense'"]),
    (3, TypeError, ["dtype", "3"]),
], ids=["int32", "float16", "np.int64", "complex64", "nonsense", "3"])
def test_sequential_dtype_must_be_float32_or_float64(dtype, exc, fragments):
    with raises(exc, *fragments, start="dtype"):
        fm.Sequential(dtype=dtype)


def test_sequential_dtype_none_is_not_silently_float64():
    try:
        model = fm.Sequential(dtype=None)
    except (TypeError, ValueError):
        return
    assert model.dtype == "float32"


def test_sequential_other_constructor_arguments():
    with raises(TypeError, "layers", "'abc'"):
        fm.Sequential(layers="abc")
    with raises(TypeError, "add()", "Dense", "'abc'"):
        fm.Sequential(layers=["abc"])
    with raises(TypeError, "name", "5"):
        fm.Sequential(name=5)


# ================================================================== verbose / callbacks / validation_data

@pytest.mark.parametrize("verbose", [3, -1, "loud"])
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_verbose_must_be_0_1_2_or_auto(call, verbose):
    model = classifier()
    before = model.get_weights()
    with raises(ValueError, "verbose", "0, 1, 2 or 'auto'", repr(verbose), start="verbose"):
        call_with(model, call, verbose=verbose)
    assert_same_weights(model.get_weights(), before)


@pytest.mark.parametrize("verbose", [True, None, 1.5])
def test_verbose_of_wrong_kind_is_rejected(verbose):
    with pytest.raises((TypeError, ValueError), match="verbose"):
        classifier().fit(X, Y_SPARSE, verbose=verbose)


@pytest.mark.parametrize("verbose", [True, None])
def test_verbose_of_wrong_kind_raises_type_error(verbose):
    with raises(TypeError, "verbose", repr(verbose)):
        classifier().fit(X, Y_SPARSE, verbose=verbose)


@pytest.mark.parametrize("callbacks,fragments", [
    ([object()], ["callbacks[0]", "Callback", "object"]),
    ([fm.History(), "early"], ["callbacks[1]", "'early'"]),
    ([fm.EarlyStopping], ["callbacks[0]", "EarlyStopping"]),  # the class, not an instance
    ("early_stopping", ["callbacks", "list", "'early_stopping'"]),
    (print, ["callbacks", "print"]),
], ids=["object", "str-in-list", "class", "str", "function"])
def test_callbacks_must_be_callback_objects(callbacks, fragments):
    model = classifier()
    before = model.get_weights()
    with raises(TypeError, *fragments, start="callbacks"):
        model.fit(X, Y_SPARSE, verbose=0, callbacks=callbacks)
    assert_same_weights(model.get_weights(), before)


def test_callback_constructor_arguments_are_checked():
    with raises(ValueError, "patience", "-1"):
        fm.EarlyStopping(patience=-1)
    with raises(ValueError, "mode", "'maximum'", "'min'", "'max'"):
        fm.EarlyStopping(mode="maximum")
    with raises(TypeError, "monitor"):
        fm.EarlyStopping(monitor=None)
    with raises(TypeError, "schedule", "callable"):
        fm.LearningRateScheduler(0.1)


@pytest.mark.parametrize("validation_data", [(X,), (X, Y_SPARSE, np.ones(N), 1), [X], ()],
                         ids=["1-tuple", "4-tuple", "1-list", "empty"])
def test_validation_data_must_be_a_pair(validation_data):
    model = classifier()
    before = model.get_weights()
    with raises(ValueError, "validation_data", "(x_val, y_val)", start="validation_data"):
        model.fit(X, Y_SPARSE, verbose=0, validation_data=validation_data)
    assert_same_weights(model.get_weights(), before)


WRONG_KIND_VALIDATION_DATA = [("x", "'x'"), (5, "5 (int)"), ({"x": X, "y": Y_SPARSE}, "dict")]


@pytest.mark.parametrize("validation_data,fragment", WRONG_KIND_VALIDATION_DATA,
                         ids=["str", "int", "dict"])
def test_validation_data_of_wrong_kind_is_rejected(validation_data, fragment):
    model = classifier()
    before = model.get_weights()
    with pytest.raises((TypeError, ValueError)) as info:
        model.fit(X, Y_SPARSE, verbose=0, validation_data=validation_data)
    assert "validation_data" in str(info.value) and fragment in str(info.value)
    assert_same_weights(model.get_weights(), before)


@pytest.mark.parametrize("validation_data,fragment", WRONG_KIND_VALIDATION_DATA,
                         ids=["str", "int", "dict"])
def test_validation_data_of_wrong_kind_raises_type_error(validation_data, fragment):
    with raises(TypeError, "validation_data", fragment):
        classifier().fit(X, Y_SPARSE, verbose=0, validation_data=validation_data)


def test_shuffle_and_return_dict_must_be_bool():
    model = classifier()
    with raises(TypeError, "shuffle", "'yes'"):
        model.fit(X, Y_SPARSE, verbose=0, shuffle="yes")
    with raises(TypeError, "return_dict", "1"):
        model.evaluate(X, Y_SPARSE, verbose=0, return_dict=1)


# ================================================================== ops.matmul

A32 = _RNG.standard_normal((3, 5)).astype(np.float32)
B32 = _RNG.standard_normal((5, 2)).astype(np.float32)


def test_matmul_inner_dimension_mismatch():
    with raises(ValueError, "inner dimensions", "5", "4", "3x5", "4x2"):
        fm.ops.matmul(A32, np.ones((4, 2), dtype=np.float32))
    with raises(ValueError, "inner dimensions", "3", "5"):
        fm.ops.matmul(A32, B32, trans_a=True)
    with raises(ValueError, "inner dimensions"):
        fm.ops.matmul(A32, B32, trans_b=True)


def test_matmul_requires_two_dimensional_float_arrays():
    with raises(ValueError, "a must be 2-D", "(5,)"):
        fm.ops.matmul(np.ones(5, dtype=np.float32), B32)
    with raises(ValueError, "b must be 2-D", "(5, 2, 1)"):
        fm.ops.matmul(A32, B32[:, :, None])
    with raises(TypeError, "a must be float32 or float64", "int64"):
        fm.ops.matmul(np.ones((3, 5), dtype=np.int64), B32)
    with raises(TypeError, "b must be float32 or float64", "int32"):
        fm.ops.matmul(A32, np.ones((5, 2), dtype=np.int32))
    with raises(TypeError, "float32 or float64", "bool"):
        fm.ops.matmul(A32 > 0, B32)
    with raises(ValueError, "a must be a rectangular array of numbers"):
        fm.ops.matmul([[1.0, 2.0], [3.0]], B32)
    with raises(TypeError, "trans_a", "1"):
        fm.ops.matmul(A32, B32, trans_a=1)


def test_matmul_out_checks_and_rejected_out_untouched():
    wrong_shape = np.full((2, 3), 7.0, dtype=np.float32)
    with raises(ValueError, "out", "(3, 2)", "(2, 3)"):
        fm.ops.matmul(A32, B32, out=wrong_shape)
    np.testing.assert_array_equal(wrong_shape, 7.0)
    wrong_dtype = np.full((3, 2), 7.0, dtype=np.float64)
    with raises(ValueError, "out", "float32", "float64"):
        fm.ops.matmul(A32, B32, out=wrong_dtype)
    np.testing.assert_array_equal(wrong_dtype, 7.0)
    with raises(TypeError, "out", "list"):
        fm.ops.matmul(A32, B32, out=[[0.0, 0.0]] * 3)
    read_only = np.zeros((3, 2), dtype=np.float32)
    read_only.setflags(write=False)
    with raises(ValueError, "out", "read-only"):
        fm.ops.matmul(A32, B32, out=read_only)


def test_matmul_unusual_valid_inputs():
    expected = A32.astype(np.float64) @ B32.astype(np.float64)
    np.testing.assert_allclose(fm.ops.matmul(A32, B32), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fm.ops.matmul(np.asfortranarray(A32), B32[::1, ::-1][:, ::-1]),
                               expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fm.ops.matmul(A32.T, B32, trans_a=True), expected,
                               rtol=1e-5, atol=1e-5)
    mixed = fm.ops.matmul(A32.astype(np.float64), B32)
    assert mixed.dtype == np.float64
    out = np.empty((6, 4), dtype=np.float32)[::2, ::2]
    assert fm.ops.matmul(A32, B32, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    empty_k = fm.ops.matmul(np.ones((2, 0), np.float32), np.ones((0, 3), np.float32))
    np.testing.assert_array_equal(empty_k, np.zeros((2, 3), np.float32))


# ================================================================== load_model

def test_load_model_missing_file(tmp_path):
    path = tmp_path / "nowhere.fmlp"
    with raises(FileNotFoundError, str(path)):
        fm.load_model(path)


@pytest.mark.parametrize("content", [b"", b"this is not a model\n", b"\x00" * 64,
                                     b"\x93NUMPY garbage"],
                         ids=["empty", "text", "zeros", "fake-npy-magic"])
def test_load_model_non_model_file(tmp_path, content):
    path = tmp_path / "junk.fmlp"
    path.write_bytes(content)
    with raises(ValueError, str(path), "not a"):
        fm.load_model(path)


def test_load_model_on_a_directory(tmp_path):
    with raises(ValueError, "not a"):
        fm.load_model(tmp_path)


def _npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def test_load_model_npz_without_or_with_bad_config(tmp_path):
    with raises(ValueError, "not a fastmlp model file", "config"):
        fm.load_model(_npz(tmp_path / "a.npz", weights=np.zeros(3)))
    with raises(ValueError, "not a fastmlp model file"):
        fm.load_model(_npz(tmp_path / "b.npz", config=np.array("{not json")))
    with raises(ValueError, "not a valid fastmlp model file"):
        fm.load_model(_npz(tmp_path / "c.npz", config=np.array(json.dumps([1, 2]))))
    with raises(ValueError, "format"):
        fm.load_model(_npz(tmp_path / "d.npz", config=np.array(json.dumps({"format": "keras"}))))


def test_load_model_with_tampered_contents(tmp_path):
    model = trained()
    path = tmp_path / "model.fmlp"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    config = json.loads(str(arrays["config"]))

    bad = dict(arrays)
    bad["weight_0"] = np.zeros((5, 8), dtype=np.float32)
    with raises(ValueError, "not a valid fastmlp model file", "(4, 8)"):
        fm.load_model(_npz(tmp_path / "shape.npz", **bad))

    bad = dict(arrays)
    bad["weight_1"] = np.full(8, np.nan, dtype=np.float32)
    with raises(ValueError, "not a valid fastmlp model file", "NaN"):
        fm.load_model(_npz(tmp_path / "nan.npz", **bad))

    bad = dict(arrays)
    del bad["weight_3"]
    with raises(ValueError, "not a valid fastmlp model file"):
        fm.load_model(_npz(tmp_path / "missing.npz", **bad))

    wrong = json.loads(json.dumps(config))
    wrong["model"]["config"]["layers"][1]["config"]["units"] = 0
    with raises(ValueError, "not a valid fastmlp model file", "units"):
        fm.load_model(_npz(tmp_path / "units.npz", **{**arrays, "config": np.array(json.dumps(wrong))}))

    wrong = json.loads(json.dumps(config))
    wrong["model"]["config"]["layers"][-1]["config"]["activation"] = "swish2"
    with raises(ValueError, "not a valid fastmlp model file", "'swish2'"):
        fm.load_model(_npz(tmp_path / "act.npz", **{**arrays, "config": np.array(json.dumps(wrong))}))

    wrong = json.loads(json.dumps(config))
    wrong["model"]["config"]["layers"][2]["config"]["rate"] = 1.5
    with raises(ValueError, "not a valid fastmlp model file", "rate", "1.5"):
        fm.load_model(_npz(tmp_path / "rate.npz", **{**arrays, "config": np.array(json.dumps(wrong))}))

    bad = dict(arrays)
    bad["optimizer_slot_1"] = np.zeros(3, dtype=np.float32)
    with raises(ValueError, "not a valid fastmlp model file", "optimizer_slot_1"):
        fm.load_model(_npz(tmp_path / "slot.npz", **bad))

    wrong = json.loads(json.dumps(config))
    wrong["version"] = 99
    with raises(ValueError, "99"):
        fm.load_model(_npz(tmp_path / "version.npz", **{**arrays, "config": np.array(json.dumps(wrong))}))

    # the untouched file still loads and predicts like the original
    np.testing.assert_array_equal(fm.load_model(path).predict(X), model.predict(X))


def test_load_model_on_npy_file(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, X)
    with raises(ValueError, "not a"):
        fm.load_model(path)


@pytest.mark.parametrize("cut", ["half", "fake-zip-magic"])
def test_load_model_on_truncated_file(tmp_path, cut):
    path = tmp_path / "model.fmlp"
    trained().save(path)
    data = path.read_bytes()
    if cut == "half":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(b"PK\x03\x04 not really a zip")
    with raises(ValueError, "not a"):
        fm.load_model(path)


def test_load_model_on_corrupted_file(tmp_path):
    path = tmp_path / "model.fmlp"
    trained().save(path)
    data = bytearray(path.read_bytes())
    data[200:260] = b"\x00" * 60  # inside the first member's payload
    path.write_bytes(bytes(data))
    with raises(ValueError, "not a"):
        fm.load_model(path)


# ================================================================== rejected calls leave the model as it was

def _other_model_layer(model):
    other = classifier(seed=1)
    return other.layers[0]


def _half_bad_weights(model):
    """New values for the first arrays, NaN in the last: nothing may be written."""
    weights = [np.zeros_like(w) for w in model.get_weights()]
    weights[-1][0] = np.nan
    return weights


REJECTED_CALLS = {
    # fit
    "fit nan x": (lambda m: m.fit(poisoned(X, np.nan), Y_SPARSE, verbose=0), ValueError),
    "fit label out of range": (lambda m: m.fit(X, Y_SPARSE + 1, verbose=0), ValueError),
    "fit wrong features": (lambda m: m.fit(X[:, :3], Y_SPARSE, verbose=0), ValueError),
    "fit length mismatch": (lambda m: m.fit(X, Y_SPARSE[:-2], verbose=0), ValueError),
    "fit strings": (lambda m: m.fit(X.astype(str), Y_SPARSE, verbose=0), TypeError),
    "fit batch_size 0": (lambda m: m.fit(X, Y_SPARSE, batch_size=0, verbose=0), ValueError),
    "fit epochs -1": (lambda m: m.fit(X, Y_SPARSE, epochs=-1, verbose=0), ValueError),
    "fit verbose 3": (lambda m: m.fit(X, Y_SPARSE, verbose=3), ValueError),
    "fit bad callback": (lambda m: m.fit(X, Y_SPARSE, verbose=0, callbacks=[1]), TypeError),
    "fit nan val y": (lambda m: m.fit(X, Y_SPARSE, verbose=0,
                                      validation_data=(X, poisoned(Y_SPARSE, np.nan, 3))),
                      ValueError),
    "fit val wrong features": (lambda m: m.fit(X, Y_SPARSE, verbose=0,
                                               validation_data=(X[:, :2], Y_SPARSE)), ValueError),
    "fit val not a pair": (lambda m: m.fit(X, Y_SPARSE, verbose=0, validation_data=(X,)),
                           ValueError),
    "fit split too small": (lambda m: m.fit(X[:1], Y_SPARSE[:1], validation_split=0.5,
                                            verbose=0), ValueError),
    "fit split 1.0": (lambda m: m.fit(X, Y_SPARSE, validation_split=1.0, verbose=0), ValueError),
    # compile
    "compile unknown loss": (lambda m: m.compile(optimizer="sgd", loss="triplet"), ValueError),
    "compile unknown optimizer": (lambda m: m.compile(optimizer="adagrad", loss="mse"),
                                  ValueError),
    "compile unknown metric": (lambda m: m.compile(optimizer="sgd", loss="mse",
                                                   metrics=["accuracy", "roc"]), ValueError),
    "compile metrics str": (lambda m: m.compile(optimizer="sgd", loss="mse",
                                                metrics="accuracy"), TypeError),
    # set_weights
    "set_weights count": (lambda m: m.set_weights(m.get_weights()[:2]), ValueError),
    "set_weights shape": (lambda m: m.set_weights([w.T for w in m.get_weights()]), ValueError),
    "set_weights nan last": (lambda m: m.set_weights(_half_bad_weights(m)), ValueError),
    "set_weights not list": (lambda m: m.set_weights(None), TypeError),
    "layer set_weights nan": (lambda m: m.layers[-1].set_weights(
        [np.zeros((8, 3)), np.array([0.0, np.nan, 0.0])]), ValueError),
    # add / build
    "add non-layer": (lambda m: m.add("dense"), TypeError),
    "add conflicting input_dim": (lambda m: m.add(fm.Dense(2, input_dim=7)), ValueError),
    "add duplicate name": (lambda m: m.add(fm.Dense(2, name=m.layers[0].name)), ValueError),
    "add layer of other model": (lambda m: m.add(_other_model_layer(m)), ValueError),
    "add same layer twice": (lambda m: m.add(m.layers[-1]), ValueError),
    "add dropout rate 1": (lambda m: m.add(fm.Dropout(1.0)), ValueError),
    "build other features": (lambda m: m.build((None, 9)), ValueError),
    # optimizer
    "learning_rate -1": (lambda m: setattr(m.optimizer, "learning_rate", -1), ValueError),
    "beta_1 1.0": (lambda m: setattr(m.optimizer, "beta_1", 1.0), ValueError),
}


@pytest.mark.parametrize("name", list(REJECTED_CALLS))
def test_rejected_call_leaves_model_exactly_as_it_was(name):
    call, exc = REJECTED_CALLS[name]
    model, twin = trained(), trained()
    assert_same_weights(model.get_weights(), twin.get_weights())
    weights = model.get_weights()
    layers = model.layers
    optimizer, config = model.optimizer, model.optimizer.get_config()
    metrics_names = model.metrics_names
    shapes = (model.input_shape, model.output_shape)
    prediction = model.predict(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(exc):
            call(model)

    assert_same_weights(model.get_weights(), weights)
    assert model.layers == layers
    assert model.optimizer is optimizer and optimizer.get_config() == config
    assert model.metrics_names == metrics_names
    assert (model.input_shape, model.output_shape) == shapes
    np.testing.assert_array_equal(model.predict(X), prediction)
    # a valid fit afterwards works, and continues exactly like the untouched twin
    # (so the optimizer's state - Adam moments and step count - was not touched either)
    history = model.fit(X, Y_SPARSE, batch_size=4, epochs=1, verbose=0, shuffle=False)
    twin_history = twin.fit(X, Y_SPARSE, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert history.history == twin_history.history
    assert np.isfinite(history.history["loss"][0])
    assert_same_weights(model.get_weights(), twin.get_weights())


def test_rejected_fit_leaves_unbuilt_model_unbuilt():
    model = unbuilt()
    with pytest.raises(ValueError):
        model.fit(X, Y_SPARSE + 5, verbose=0)
    with pytest.raises(ValueError):
        model.fit(X, Y_SPARSE, verbose=0, validation_data=(X, Y_SPARSE[:3]))
    assert not model.built and model.input_shape is None
    with pytest.raises(RuntimeError):
        model.predict(X)
    model.fit(X[:, :2], Y_SPARSE, verbose=0)  # the first valid fit decides the input size
    assert model.built and model.input_shape == (None, 2)


def test_rejected_compile_leaves_uncompiled_model_uncompiled():
    model = classifier(compile=False)
    with pytest.raises(ValueError):
        model.compile(optimizer="sgd", loss="triplet")
    assert model.optimizer is None
    with raises(RuntimeError, "compile"):
        model.fit(X, Y_SPARSE, verbose=0)


def test_rejected_compile_keeps_previous_compile_settings():
    model = trained()
    with pytest.raises(ValueError):
        model.compile(optimizer="sgd", loss="mse", metrics=["bogus"])
    # still sparse categorical cross-entropy: integer labels accepted, accuracy reported
    result = model.evaluate(X, Y_SPARSE, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    assert isinstance(model.optimizer, fm.Adam)


_HEURISTIC_OVERCOMMIT = (os.path.exists("/proc/sys/vm/overcommit_memory")
                         and open("/proc/sys/vm/overcommit_memory").read().strip() == "0")


@pytest.mark.skipif(not _HEURISTIC_OVERCOMMIT,
                    reason="needs Linux heuristic overcommit so a 4 TiB allocation fails")
def test_impossible_allocation_raises_memory_error():
    with pytest.raises(MemoryError):
        fm.Sequential([fm.Dense(2**20, input_dim=2**20)])


@pytest.mark.parametrize("units", [2**38, 2**62])
def test_failed_add_leaves_model_unchanged(units):
    if units == 2**38 and not _HEURISTIC_OVERCOMMIT:
        pytest.skip("needs Linux heuristic overcommit so a 3 TiB allocation fails")
    model = trained()
    weights = model.get_weights()
    prediction = model.predict(X)
    big = fm.Dense(units)
    with pytest.raises((MemoryError, ValueError)):
        model.add(big)
    assert_same_weights(model.get_weights(), weights)
    assert len(model.layers) == 3 and model.output_shape == (None, 3)
    fm.Sequential().add(big)  # the layer does not belong to the model
    np.testing.assert_array_equal(model.predict(X), prediction)


def test_impossible_layer_size_message_names_the_argument():
    with pytest.raises((MemoryError, ValueError)) as info:
        fm.Sequential([fm.Dense(2**62, input_dim=4)])
    assert type(info.value) is MemoryError or "units" in str(info.value)


@pytest.mark.parametrize("call", ["predict", "evaluate"])
def test_huge_inference_batch_size_just_works(call):
    model = classifier()
    if call == "predict":
        np.testing.assert_array_equal(model.predict(X, batch_size=2**70), model.predict(X))
    else:
        assert model.evaluate(X, Y_SPARSE, batch_size=2**70, verbose=0) == \
            model.evaluate(X, Y_SPARSE, verbose=0)


def test_huge_fit_batch_size_just_works():
    model, twin = classifier(), classifier()
    model.fit(X, Y_SPARSE, batch_size=2**70, verbose=0, shuffle=False)
    twin.fit(X, Y_SPARSE, batch_size=N, verbose=0, shuffle=False)
    assert_same_weights(model.get_weights(), twin.get_weights())


# ================================================================== a loss that turns non-finite

def _overflowing_linear_model():
    """1 linear unit, kernel 1e38: finite weights, but a row of ones gives 4e38 = inf."""
    model = fm.Sequential([fm.Dense(1, input_dim=4)])
    model.compile(optimizer=fm.SGD(learning_rate=0.01), loss="mse")
    model.set_weights([np.full((4, 1), 1e38), np.zeros(1)])
    return model


def test_non_finite_loss_stops_training_with_runtime_warning():
    # the first batch (rows of zeros) is finite, the second (rows of ones) overflows
    x = np.vstack([np.zeros((4, 4)), np.ones((8, 4))]).astype(np.float32)
    y = np.ones(N, dtype=np.float32)
    model, reference = _overflowing_linear_model(), _overflowing_linear_model()
    with pytest.warns(RuntimeWarning, match="loss became"):
        history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False)
    # history kept: the interrupted epoch is recorded, with its non-finite loss
    assert list(history.history) == ["loss"] and len(history.history["loss"]) == 1
    assert not np.isfinite(history.history["loss"][0])
    assert model.stop_training
    # the batch whose loss was not finite was not applied: the weights are those after the
    # first batch, which are finite
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reference.fit(x[:4], y[:4], batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert_same_weights(model.get_weights(), reference.get_weights())
    assert not np.array_equal(model.get_weights()[1], np.zeros(1, np.float32))


def test_non_finite_loss_in_first_batch_leaves_weights_unchanged():
    model = _overflowing_linear_model()
    before = model.get_weights()
    with pytest.warns(RuntimeWarning, match="loss became"):
        history = model.fit(np.ones((N, 4)), np.zeros(N), batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 1
    assert_same_weights(model.get_weights(), before)


# ================================================================== unusual but valid input

def _strided_rows(a):
    big = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
    big[::2] = a
    view = big[::2]
    assert not view.flags.c_contiguous
    return view


def _strided_cols(a):
    big = np.zeros((a.shape[0], 2 * a.shape[1]), dtype=a.dtype)
    big[:, ::2] = a
    view = big[:, ::2]
    assert not view.flags.c_contiguous and view.shape == a.shape
    return view


def _read_only(a):
    out = a.copy()
    out.setflags(write=False)
    return out


def _unaligned(a):
    buf = bytearray(a.nbytes + 1)
    out = np.frombuffer(buf, dtype=a.dtype, offset=1, count=a.size).reshape(a.shape)
    out[...] = a
    return out


X_VARIANTS = {
    # name: (variant given to the model, equivalent C-contiguous float32 input)
    "list": (lambda: X.tolist(), lambda: X),
    "float64": (lambda: X.astype(np.float64), lambda: X),
    "float16": (lambda: X.astype(np.float16), lambda: X.astype(np.float16).astype(np.float32)),
    "int64": (lambda: X_INT, lambda: X_INT.astype(np.float32)),
    "int8": (lambda: X_INT.astype(np.int8), lambda: X_INT.astype(np.float32)),
    "uint8": (lambda: np.abs(X_INT).astype(np.uint8), lambda: np.abs(X_INT).astype(np.float32)),
    "int list": (lambda: X_INT.tolist(), lambda: X_INT.astype(np.float32)),
    "bool": (lambda: X_BOOL, lambda: X_BOOL.astype(np.float32)),
    "fortran": (lambda: np.asfortranarray(X), lambda: X),
    "transposed view": (lambda: np.ascontiguousarray(X.T).T, lambda: X),
    "strided rows": (lambda: _strided_rows(X), lambda: X),
    "strided cols": (lambda: _strided_cols(X), lambda: X),
    "reversed rows": (lambda: X[::-1], lambda: np.ascontiguousarray(X[::-1])),
    "fortran float64 strided": (lambda: np.asfortranarray(_strided_rows(X.astype(np.float64))),
                                lambda: X),
    "read-only": (lambda: _read_only(X), lambda: X),
    "unaligned": (lambda: _unaligned(X), lambda: X),
    "tuple of tuples": (lambda: tuple(map(tuple, X.tolist())), lambda: X),
}


@pytest.mark.parametrize("name", list(X_VARIANTS))
def test_unusual_x_predicts_like_c_contiguous_float32(name):
    variant, reference = X_VARIANTS[name]
    model = classifier()
    x_variant, x_ref = variant(), reference()
    assert x_ref.dtype == np.float32 and x_ref.flags.c_contiguous
    predicted = model.predict(x_variant)
    assert predicted.dtype == np.float32 and predicted.shape == (N, 3)
    np.testing.assert_array_equal(predicted, model.predict(x_ref))
    np.testing.assert_array_equal(model.predict(x_variant, batch_size=5),
                                  model.predict(x_ref, batch_size=5))
    assert model.evaluate(x_variant, Y_SPARSE, verbose=0) == \
        model.evaluate(x_ref, Y_SPARSE, verbose=0)


@pytest.mark.parametrize("name", list(X_VARIANTS))
def test_unusual_x_trains_like_c_contiguous_float32(name):
    variant, reference = X_VARIANTS[name]
    model, twin = classifier(), classifier()
    h1 = model.fit(variant(), Y_SPARSE, batch_size=5, verbose=0, shuffle=False)
    h2 = twin.fit(reference(), Y_SPARSE, batch_size=5, verbose=0, shuffle=False)
    assert h1.history == h2.history
    assert_same_weights(model.get_weights(), twin.get_weights())


def test_unusual_x_in_validation_data():
    model, twin = classifier(), classifier()
    h1 = model.fit(X, Y_SPARSE, verbose=0, shuffle=False,
                   validation_data=(np.asfortranarray(X.astype(np.float64)), Y_SPARSE.tolist()))
    h2 = twin.fit(X, Y_SPARSE, verbose=0, shuffle=False, validation_data=(X, Y_SPARSE))
    assert h1.history == h2.history and "val_loss" in h1.history


def test_float64_model_accepts_float32_input():
    model = classifier(dtype="float64")
    predicted = model.predict(X)
    assert predicted.dtype == np.float64
    np.testing.assert_array_equal(predicted, model.predict(X.astype(np.float64)))
    np.testing.assert_array_equal(model.predict(X.tolist()), predicted)


Y_VARIANTS = {
    # name: (model factory, y variant, equivalent reference y)
    "sparse (n,1) int labels": (classifier, lambda: Y_SPARSE[:, None], lambda: Y_SPARSE),
    "sparse float labels": (classifier, lambda: Y_SPARSE.astype(np.float64), lambda: Y_SPARSE),
    "sparse float32 (n,1) labels": (classifier, lambda: Y_SPARSE.astype(np.float32)[:, None],
                                    lambda: Y_SPARSE),
    "sparse uint8 labels": (classifier, lambda: Y_SPARSE.astype(np.uint8), lambda: Y_SPARSE),
    "sparse list labels": (classifier, lambda: Y_SPARSE.tolist(), lambda: Y_SPARSE),
    "sparse strided labels": (classifier, lambda: _strided_rows(Y_SPARSE), lambda: Y_SPARSE),
    "sparse unaligned int64 labels": (classifier, lambda: _unaligned(Y_SPARSE), lambda: Y_SPARSE),
    "mse unaligned targets": (regressor, lambda: _unaligned(Y_REG), lambda: Y_REG),
    "mse 1-D single unit": (lambda: regressor(units=1), lambda: Y_REG[:, 0],
                            lambda: np.ascontiguousarray(Y_REG[:, :1])),
    "mse list single unit": (lambda: regressor(units=1), lambda: Y_REG[:, 0].tolist(),
                             lambda: np.ascontiguousarray(Y_REG[:, :1])),
    "mse float64 fortran": (regressor, lambda: np.asfortranarray(Y_REG.astype(np.float64)),
                            lambda: Y_REG),
    "mse int targets": (regressor, lambda: X_INT[:, :3], lambda: X_INT[:, :3].astype(np.float32)),
    "bce 1-D single unit": (binary, lambda: Y_BIN, lambda: Y_BIN[:, None]),
    "bce bool targets": (binary, lambda: Y_BIN.astype(bool), lambda: Y_BIN[:, None]),
    "bce int targets": (binary, lambda: Y_BIN.astype(np.int64)[:, None], lambda: Y_BIN[:, None]),
    "cce int one-hot": (lambda: classifier(loss="categorical_crossentropy"),
                        lambda: Y_ONEHOT.astype(np.int64), lambda: Y_ONEHOT),
    "cce bool one-hot": (lambda: classifier(loss="categorical_crossentropy"),
                         lambda: Y_ONEHOT.astype(bool), lambda: Y_ONEHOT),
}


@pytest.mark.parametrize("name", list(Y_VARIANTS))
def test_unusual_targets_train_like_reference(name):
    factory, variant, reference = Y_VARIANTS[name]
    model, twin = factory(), factory()
    h1 = model.fit(X, variant(), batch_size=5, verbose=0, shuffle=False)
    h2 = twin.fit(X, reference(), batch_size=5, verbose=0, shuffle=False)
    assert h1.history == h2.history
    assert_same_weights(model.get_weights(), twin.get_weights())
    assert model.evaluate(X, variant(), verbose=0) == twin.evaluate(X, reference(), verbose=0)


def test_unaligned_arrays_everywhere_give_the_aligned_results():
    # numpy allows data at any byte offset (buffers, Dask's unpickled blocks);
    # the C core must never be handed such an array (UBSan stopped on it in
    # loss.c and the GEMM): every entry point trains and predicts on copies
    weights = np.linspace(0.5, 1.5, N)
    model, twin = classifier(dtype="float64"), classifier(dtype="float64")
    x64 = X.astype(np.float64)
    h1 = model.fit(_unaligned(x64), _unaligned(Y_SPARSE), sample_weight=_unaligned(weights),
                   batch_size=5, verbose=0, shuffle=False,
                   validation_data=(_unaligned(x64), _unaligned(Y_SPARSE)))
    h2 = twin.fit(x64, Y_SPARSE, sample_weight=weights, batch_size=5, verbose=0, shuffle=False,
                  validation_data=(x64, Y_SPARSE))
    assert h1.history == h2.history
    assert_same_weights(model.get_weights(), twin.get_weights())
    np.testing.assert_array_equal(model.predict(_unaligned(x64), verbose=0), twin.predict(x64))
    assert model.evaluate(_unaligned(x64), _unaligned(Y_SPARSE), verbose=0) == \
        twin.evaluate(x64, Y_SPARSE, verbose=0)
    est, est_twin = (fm.MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
                     for _ in range(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(_unaligned(x64), _unaligned(Y_SPARSE), sample_weight=_unaligned(weights))
        est_twin.fit(x64, Y_SPARSE, sample_weight=weights)
    np.testing.assert_array_equal(est.predict_proba(_unaligned(x64)), est_twin.predict_proba(x64))
    a, b = _RNG.standard_normal((6, 5)), _RNG.standard_normal((5, 7))
    out = _unaligned(np.zeros((6, 7)))
    np.testing.assert_array_equal(fm.ops.matmul(_unaligned(a), _unaligned(b), out=out),
                                  fm.ops.matmul(a, b))
    np.testing.assert_array_equal(out, fm.ops.matmul(a, b))


def test_float_label_like_three_for_sparse_cce():
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Dense(4, activation="softmax", input_dim=4)])
    model.compile(optimizer=fm.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    twin = fm.Sequential([fm.Dense(4, activation="softmax", input_dim=4)])
    twin.compile(optimizer=fm.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
    twin.set_weights(model.get_weights())
    labels = np.array([3, 0, 1, 2] * 3)
    h1 = model.fit(X, labels.astype(float), verbose=0, shuffle=False)  # 3.0, 0.0, ...
    h2 = twin.fit(X, labels, verbose=0, shuffle=False)
    assert h1.history == h2.history
    assert_same_weights(model.get_weights(), twin.get_weights())


@pytest.mark.parametrize("batch_size", [N, N + 1, 1000])
def test_batch_size_larger_than_data(batch_size):
    model, twin = classifier(), classifier()
    h1 = model.fit(X, Y_SPARSE, batch_size=batch_size, verbose=0, shuffle=False)
    h2 = twin.fit(X, Y_SPARSE, batch_size=N, verbose=0, shuffle=False)
    assert h1.history == h2.history
    assert_same_weights(model.get_weights(), twin.get_weights())
    np.testing.assert_array_equal(model.predict(X, batch_size=batch_size), model.predict(X))
    assert model.evaluate(X, Y_SPARSE, batch_size=batch_size, verbose=0) == \
        model.evaluate(X, Y_SPARSE, verbose=0)


def test_single_sample_inputs():
    model = classifier()
    np.testing.assert_array_equal(model.predict(X[:1]), model.predict(X)[:1])
    np.testing.assert_array_equal(model.predict(X[:1].tolist()), model.predict(X)[:1])
    history = model.fit(X[:1], Y_SPARSE[:1], verbose=0)
    assert len(history.history["loss"]) == 1


def test_numpy_scalars_as_sizes_and_rates():
    model = classifier()
    history = model.fit(X, Y_SPARSE, batch_size=np.int64(4), epochs=np.int32(2),
                        validation_split=np.float32(0.25), verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert fm.Dropout(np.float64(0.25)).rate == 0.25
    assert model.predict(X, batch_size=np.uint16(3)).shape == (N, 3)


def test_verbose_auto_and_single_callback_are_accepted(capsys):
    model = classifier()
    history = model.fit(X, Y_SPARSE, verbose="auto", callbacks=fm.TerminateOnNaN())
    assert len(history.history["loss"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1/1 ") and "Epoch" not in out  # as Keras: no "Epoch 1/1"


class _TensorLike:
    """Converts like a torch tensor that requires grad: np.asarray raises RuntimeError."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad.")

    def __len__(self):
        return 4


def test_objects_whose_conversion_raises_are_refused_with_type_error():
    model = fm.Sequential([fm.Dense(2, input_dim=3)])
    model.compile(optimizer="sgd", loss="mse")
    with raises(TypeError, "x could not be converted", "requires grad", "detach()"):
        model.predict(_TensorLike())
    with raises(TypeError, "y could not be converted"):
        model.fit(np.ones((4, 3)), _TensorLike(), verbose=0)
    with raises(TypeError, "weights[0]", "could not be converted"):
        model.set_weights([_TensorLike(), np.zeros(2)])
    with raises(TypeError, "a could not be converted"):
        fm.ops.matmul(_TensorLike(), np.ones((3, 3), np.float32))


def test_a_layer_applied_twice_in_one_model_is_refused():
    shared = fm.Dense(4)
    inputs = fm.Input((4,))
    outputs = shared(shared(inputs))
    with raises(ValueError, "twice"):
        fm.Model(inputs, outputs)
    with raises(ValueError, "already in this model"):
        fm.Sequential([fm.Input((4,)), shared, shared])
    with raises(ValueError, "appears twice"):  # once directly, once inside a nested model
        fm.Sequential([fm.Input((4,)), shared, fm.Sequential([shared])]).predict(X, verbose=0)


def test_string_labels_get_a_hint_on_what_to_do():
    model = classifier()
    with raises(TypeError, "y must contain numbers", "LabelEncoder", "to_categorical",
                "fm.MLPClassifier", start="y"):
        model.fit(X, np.array(["a", "b", "c"] * (N // 3)), verbose=0)
