"""A model's state under callers who change it mid-call: callbacks that
recompile or relabel during fit, threads that compile or fit while another
computes, a fork while a thread trains, refused calls on fitted models. None
may crash the process, hang it, or leave a model altered by a refused call."""
import textwrap
import threading

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_python


def classifier(loss="sparse_categorical_crossentropy"):
    model = fm.Sequential([fm.Dense(16, activation="relu", input_dim=20),
                           fm.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 20)).astype(np.float32), rng.integers(0, 3, n)


class OnBatch(fm.Callback):
    def __init__(self, action):
        super().__init__()
        self.action = action

    def on_train_batch_end(self, batch, logs=None):
        self.action(self.model)


@pytest.mark.parametrize("action,name", [
    (lambda m: m.compile(optimizer="sgd", loss="categorical_crossentropy"), "compile()"),
    (lambda m: m.add(fm.Dense(2)), "add()"),
    (lambda m: m.build((None, 20)), "build()"),
    (lambda m: m.fit(np.zeros((4, 20)), np.zeros(4)), "fit()"),
])
def test_a_callback_cannot_restructure_the_model_during_its_fit(action, name):
    model = classifier()
    x, y = data()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(RuntimeError, match=rf"{name.replace('(', '[(]').replace(')', '[)]')} "
                                           rf"cannot be called while this model's fit\(\)"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[OnBatch(action)])
    # the model is still whole: one batch was applied, and it trains on
    assert [w.shape for w in model.get_weights()] == [w.shape for w in before]
    model.fit(x, y, epochs=1, verbose=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")  # fine after fit


def test_callbacks_may_still_read_evaluate_and_restore_weights():
    model = classifier()
    x, y = data()
    seen = []

    def action(m):
        seen.append(m.evaluate(x[:50], y[:50], verbose=0))
        m.set_weights(m.get_weights())
        m.predict(x[:5])

    model.fit(x, y, epochs=1, verbose=0, callbacks=[OnBatch(action)])
    assert len(seen) == 13


def test_labels_changed_in_place_during_fit_are_refused_not_read_out_of_bounds():
    model = classifier()
    x, y = data()
    y = y.astype(np.int64)  # used in place by fit, as the caller's array

    def relabel(m):
        y[:] = 10**12

    with pytest.raises(ValueError, match="label is outside the output layer's range"):
        model.fit(x, y, epochs=1, verbose=0, shuffle=False, callbacks=[OnBatch(relabel)])
    assert all(np.isfinite(w).all() for w in model.get_weights())


RACE_EVALUATE_COMPILE = textwrap.dedent("""
    import threading, time
    import numpy as np
    import fastmlp as fm
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400_000, 20)).astype(np.float32)
    labels = rng.integers(0, 3, len(x))
    model = fm.Sequential([fm.Dense(512, activation="relu", input_dim=20),
                           fm.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    results = []
    evaluating = threading.Thread(
        target=lambda: results.append(model.evaluate(x, labels, verbose=0, batch_size=64)))
    evaluating.start()
    time.sleep(0.02)  # evaluate is in the engine, 64 rows at a time, when the loss changes
    model.compile(optimizer="adam", loss="mse")
    evaluating.join()
    assert len(results) == 1 and np.isfinite(results[0]).all(), results
    print("ok")
""")


def test_evaluate_while_another_thread_recompiles(tmp_path):
    result = run_python(RACE_EVALUATE_COMPILE, tmp_path, OMP_NUM_THREADS="2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


RACE_ESTIMATOR_FITS = textwrap.dedent("""
    import threading
    import numpy as np
    import fastmlp as fm
    rng = np.random.default_rng(0)
    xa, ya = rng.standard_normal((2000, 10)), rng.integers(0, 2, 2000)
    xb, yb = rng.standard_normal((2000, 10)), rng.integers(0, 50, 2000) * 1000
    clf = fm.MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0, batch_size=50)
    errors = []

    def fit(x, y):
        for _ in range(10):
            try:
                clf.fit(x, y)
            except Exception as exc:
                errors.append(repr(exc))

    pool = [threading.Thread(target=fit, args=args) for args in ((xa, ya), (xb, yb))]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    # the last fit is whole: its classes, its output layer, its predictions
    outputs = 1 if len(clf.classes_) == 2 else len(clf.classes_)
    assert clf.coefs_[-1].shape[1] == clf.n_outputs_ == outputs
    assert set(clf.predict(xa[:50])) <= set(clf.classes_)
    print("ok", len(clf.classes_))
""")


def test_two_threads_fitting_one_estimator(tmp_path):
    pytest.importorskip("sklearn")
    result = run_python(RACE_ESTIMATOR_FITS, tmp_path, OMP_NUM_THREADS="2",
                        PYTHONWARNINGS="ignore")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok")


FORK_DURING_FIT = textwrap.dedent("""
    import os, threading, time
    import numpy as np
    import fastmlp as fm
    x = np.random.default_rng(0).standard_normal((256, 20)).astype(np.float32)
    y = np.arange(256) % 3
    model = fm.Sequential([fm.Dense(16, activation="relu", input_dim=20),
                           fm.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    inside, release = threading.Event(), threading.Event()

    class Hold(fm.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            inside.set()
            release.wait()

    trainer = threading.Thread(target=model.fit, args=(x, y),
                               kwargs=dict(epochs=1, verbose=0, callbacks=[Hold()]))
    trainer.start()
    inside.wait()  # the model's lock is held by the trainer now
    pid = os.fork()
    if pid == 0:
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, verbose=0)
        os._exit(0)
    deadline = time.time() + 60
    outcome = "hung"
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            outcome = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    release.set()
    trainer.join()
    print("child", outcome)
""")


def test_a_child_forked_while_a_thread_fits_can_use_the_model(tmp_path):
    result = run_python(FORK_DURING_FIT, tmp_path, OMP_NUM_THREADS="2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "child 0"


def fitted_estimator():
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5)).astype(np.float32)
    y = rng.integers(0, 3, 200)
    clf = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with pytest.warns(Warning):
        clf.fit(x, y)
    return clf, x, y


def snapshot(estimator):
    return ([w.copy() for w in estimator.coefs_ + estimator.intercepts_],
            list(estimator.classes_), estimator.n_features_in_, estimator.n_iter_,
            list(estimator.loss_curve_))


def same(a, b):
    weights_a, *rest_a = a
    weights_b, *rest_b = b
    return rest_a == rest_b and all(np.array_equal(u, v) for u, v in zip(weights_a, weights_b))


@pytest.mark.parametrize("refusal", ["threads", "overflowing y", "new feature count",
                                     "bad hidden sizes"])
def test_a_refused_fit_leaves_the_fitted_estimator_as_it_was(refusal):
    clf, x, y = fitted_estimator()
    before = snapshot(clf)
    args = (x, y)
    if refusal == "threads":
        clf.set_params(n_threads=5000)
    elif refusal == "overflowing y":
        clf = fm.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
        with pytest.warns(Warning):
            clf.fit(x, y.astype(float))
        before = ([w.copy() for w in clf.coefs_ + clf.intercepts_], clf.n_iter_)
        args = (x, np.full(len(x), 1e39))
    elif refusal == "new feature count":
        clf.set_params(warm_start=True)
        args = (np.hstack([x, x]), y)
    else:
        clf.set_params(hidden_layer_sizes=(0,))
    with pytest.raises(ValueError):
        clf.fit(*args)
    if refusal == "overflowing y":
        after = ([w.copy() for w in clf.coefs_ + clf.intercepts_], clf.n_iter_)
        assert after[1] == before[1]
        assert all(np.array_equal(u, v) for u, v in zip(after[0], before[0]))
    else:
        assert same(snapshot(clf), before)
    clf.set_params(n_threads=None)
    assert clf.predict(x[:3]).shape == (3,)


def test_engine_refuses_to_reallocate_while_training():
    model = classifier()
    x, y = data(20000)
    engine = model._network().engine
    engine.reserve(len(x))
    rows = np.arange(len(x), dtype=np.int64)
    labels = y.astype(np.int64)
    errors = []
    started = threading.Event()

    def step():
        started.set()
        for _ in range(20):
            engine.train_batch(x, None, labels, rows, 0, len(x), None, model._objective())

    worker = threading.Thread(target=step)
    worker.start()
    started.wait()
    while worker.is_alive():
        try:
            engine.release()
            engine.reserve(len(x))
        except RuntimeError as exc:
            errors.append(str(exc))
    worker.join()
    assert errors and "while this network is training" in errors[0]
