"""Seeded fuzzing of the public API: every argument drawn from valid values
and hostile ones (NaN, inf, huge and negative numbers, wrong types, ragged,
empty, object, complex and mis-shaped arrays). Each call must succeed or raise
TypeError / ValueError / RuntimeError (the documented errors), never crash or
raise anything else, and a refused call must leave the model as it was."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastmlp as fm

DOCUMENTED = (TypeError, ValueError, RuntimeError)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def filled(shape, fill, dtype):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.full(shape, fill).astype(dtype)


numbers = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.sampled_from([0, 1, -1, 2**31, 2**63, 1e-300, 1e300]))
arrays = st.one_of(
    st.builds(lambda shape, fill, dtype: filled(shape, fill, dtype),
              st.sampled_from([(0,), (3,), (4, 3), (4, 5), (0, 3), (4, 3, 1), (1, 1)]),
              st.sampled_from([0, 1, -1, 0.5, 1e30, np.nan, np.inf]),
              st.sampled_from([np.float32, np.float64, np.int64, np.uint8, bool, complex])),
    st.just(np.array([[1.0, 2.0], [3.0]], dtype=object)),
    st.just(np.array(["a", "b", "c", "d"])),
    st.just([[1, 2, 3]] * 4),
    st.just([[1, 2], [3]]),
)
hostile = st.one_of(numbers, arrays, st.none(), st.text(max_size=12),
                    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                          st.integers(),
                                                                          max_size=2))


def model_state(model):
    weights = model.get_weights() if model.built else []
    slots = model._net.engine.optimizer_slots() if model.built else None
    return ([w.copy() for w in weights],
            None if slots is None else [s.copy() for s in slots],
            model.loss, type(model.optimizer).__name__, [type(l) for l in model.layers])


def unchanged(before, after):
    wa, sa, *ra = before
    wb, sb, *rb = after
    same_arrays = (len(wa) == len(wb) and all(np.array_equal(a, b, equal_nan=True)
                                              for a, b in zip(wa, wb)))
    same_slots = (sa is None) == (sb is None) and (sa is None or all(
        np.array_equal(a, b, equal_nan=True) for a, b in zip(sa, sb)))
    return same_arrays and same_slots and ra == rb


def compiled_model():
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Dense(5, activation="relu", input_dim=3), fm.Dropout(0.1),
                           fm.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def good_x(n=4):
    return np.random.default_rng(n).standard_normal((n, 3)).astype(np.float32)


CALLS = {
    "fit": lambda m, a, b, c: m.fit(a, b, batch_size=c, epochs=1, verbose=0),
    "fit options": lambda m, a, b, c: m.fit(good_x(), np.array([0, 1, 1, 0]), epochs=a,
                                            validation_split=b, shuffle=c, verbose=0),
    "fit validation": lambda m, a, b, c: m.fit(good_x(), np.array([0, 1, 1, 0]), verbose=0,
                                               validation_data=(a, b)),
    "predict": lambda m, a, b, c: m.predict(a, batch_size=b),
    "evaluate": lambda m, a, b, c: m.evaluate(a, b, batch_size=c, verbose=0),
    "set_weights": lambda m, a, b, c: m.set_weights([a, b, c, np.zeros(2)]),
    "compile": lambda m, a, b, c: m.compile(optimizer=a, loss=b, metrics=c),
    "add": lambda m, a, b, c: m.add(fm.Dense(a, activation=b)),
    "build": lambda m, a, b, c: m.build(a),
    "optimizer hyper-parameters": lambda m, a, b, c: setattr(m.optimizer, "learning_rate", a),
}


@pytest.mark.parametrize("name", list(CALLS))
@FUZZ
@given(a=hostile, b=hostile, c=hostile)
def test_calls_succeed_or_raise_documented_errors_leaving_the_model_alone(name, a, b, c):
    model = compiled_model()
    before = model_state(model)
    try:
        CALLS[name](model, a, b, c)
    except DOCUMENTED:
        assert unchanged(before, model_state(model)), f"{name} was refused but changed the model"
    # whatever happened, the model still works
    out = model.predict(good_x())
    assert out.shape[0] == 4


LAYERS = [
    lambda a, b: fm.Dense(a, activation=b),
    lambda a, b: fm.Dense(4, use_bias=a, input_dim=b),
    lambda a, b: fm.Dense(4, input_shape=a, kernel_initializer=b),
    lambda a, b: fm.Dropout(a, name=b),
    lambda a, b: fm.SGD(learning_rate=a, momentum=b),
    lambda a, b: fm.RMSprop(rho=a, epsilon=b),
    lambda a, b: fm.Adam(beta_1=a, beta_2=b),
    lambda a, b: fm.EarlyStopping(monitor=a, patience=b),
    lambda a, b: fm.Sequential(layers=a, dtype=b),
    lambda a, b: fm.set_num_threads(a),
    lambda a, b: fm.set_random_seed(a),
    lambda a, b: fm.ops.matmul(a, b),
]


@pytest.mark.parametrize("index", range(len(LAYERS)))
@FUZZ
@given(a=hostile, b=hostile)
def test_constructors_and_settings_refuse_cleanly(index, a, b):
    try:
        LAYERS[index](a, b)
    except DOCUMENTED:
        pass
    finally:
        fm.set_num_threads(None)
