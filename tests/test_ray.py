"""fastmlp on Ray (ray.init(num_cpus=2)): fastmlp.ray.fit over two actors
against the single-process reference, estimators, the joblib ray backend,
one OpenMP thread per task."""
import pickle
import sys
import warnings

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'fastmlp[ray]')")

import fastmlp as fm  # noqa: E402
import fastmlp.ray as fmr  # noqa: E402

from distributed_helpers import data, reference_fit, seed_model  # noqa: E402


@pytest.fixture(scope="module")
def ray_session():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


def test_ray_tasks_run_one_fastmlp_thread(ray_session):
    @ray.remote(num_cpus=1)
    def threads():
        import fastmlp

        return fastmlp.get_num_threads()

    assert ray.get([threads.remote() for _ in range(2)]) == [1, 1]


def test_ray_fit_equals_the_summing_reference(ray_session):
    x, y, w = data(160)
    model = seed_model("float64", "rmsprop")
    blob = pickle.dumps(model)
    history = fmr.fit(model, x, y, sample_weight=w, num_workers=2, batch_size=16, epochs=1,
                      shuffle=False)
    assert history.params["rows"] == [(0, 80), (80, 160)]
    # the actors share this machine: their ring sums through shared memory
    # (the socket path's equality is tested on Dask and in the engine tests)
    shared = [c["shared_memory"] for c in history.params["counters"]]
    assert shared == [sys.platform.startswith("linux")] * 2
    reference = reference_fit(blob, [(x[:80], y[:80], w[:80]), (x[80:], y[80:], w[80:])], 16)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        assert got.tobytes() == want.tobytes()


def test_ray_fits_an_estimator(ray_session):
    x, y, _ = data(200, classes=3)
    est = fm.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fmr.fit(est, x, x[:, 0], num_workers=2) is est
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    assert est.predict(x).shape == (200,)


def test_grid_search_with_the_joblib_ray_backend(ray_session):
    import joblib
    from ray.util.joblib import register_ray
    from sklearn.model_selection import GridSearchCV

    register_ray()
    x, y, _ = data(120, classes=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with joblib.parallel_backend("ray"):
            search = GridSearchCV(fm.MLPClassifier(max_iter=5, random_state=0),
                                  {"alpha": [1e-4, 1e-1]}, cv=2, n_jobs=2).fit(x, y)
    assert search.best_params_["alpha"] in (1e-4, 1e-1)
