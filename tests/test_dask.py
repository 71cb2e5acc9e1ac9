"""fastmlp on Dask (LocalCluster(n_workers=2, threads_per_worker=1)): the
PyData paths (dask-ml's Incremental and HyperbandSearchCV, the joblib dask
backend, predict on dask arrays, one OpenMP thread per worker thread) and
fastmlp.dask.fit (equality with single-process references, estimators,
local SGD, the lock, back-to-back runs, a worker lost mid-fit)."""
import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="dask is not installed (pip install 'fastmlp[dask]')")
distributed = pytest.importorskip("distributed",
                                  reason="distributed is not installed (pip install 'fastmlp[dask]')")

import fastmlp as fm  # noqa: E402
import fastmlp.dask as fmd  # noqa: E402

from distributed_helpers import data, interleaved, reference_fit, seed_model  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _set_ring_path(client, path):
    """The workers' ring: "shm" (shared memory, the default on Linux) or
    "socket" (FASTMLP_RING_SOCKET=1), read when a fit connects its ring."""
    value = "1" if path == "socket" else "0"
    client.run(lambda: os.environ.__setitem__("FASTMLP_RING_SOCKET", value))


@pytest.fixture(params=["shm", "socket"])
def ring_path(request, client):
    _set_ring_path(client, request.param)
    yield request.param
    _set_ring_path(client, "shm")


def _uses_shared_memory(path):
    import sys

    return path == "shm" and sys.platform.startswith("linux")


def _shards_of(history_or_info, x, y, w, chunk):
    """Each rank's rows, from the partitions fit placed on it."""
    parts = history_or_info["partitions"]
    out = []
    for indices in parts:
        rows = np.concatenate([np.arange(i * chunk, (i + 1) * chunk) for i in indices])
        out.append((x[rows], y[rows], None if w is None else w[rows]))
    return out


def test_each_worker_thread_runs_one_fastmlp_thread(client):
    assert set(client.run(fm.get_num_threads).values()) == {1}
    client.register_plugin(fmd.FastmlpThreads(1))
    assert set(client.run(fm.get_num_threads).values()) == {1}


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_synchronous_fit_equals_the_references(client, optimizer, ring_path):
    x, y, w = data(192)
    model = seed_model("float64", optimizer)
    blob = pickle.dumps(model)
    history = fmd.fit(model, da.from_array(x, chunks=96), da.from_array(y, chunks=96),
                      sample_weight=da.from_array(w, chunks=96), client=client, batch_size=16,
                      epochs=1, shuffle=False)
    assert len(history.params["workers"]) == 2
    shards = _shards_of(history.params, x, y, w, 96)
    reference = reference_fit(blob, shards, 16)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        assert got.tobytes() == want.tobytes()
    plain = pickle.loads(blob)
    (xs, ys, ws), _ = interleaved(shards, 16)
    plain.fit(xs, ys, sample_weight=ws, batch_size=32, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), plain.get_weights()):
        assert np.max(np.abs(got - want)) <= 1e-10 * np.max(np.abs(want))
    assert model.optimizer.iterations == plain.optimizer.iterations == 6
    counters = history.params["counters"][0]
    n_params = model.count_params()
    assert counters["calls"] >= 6 and counters["bytes_sent"] >= 6 * (n_params + 1) * 8
    assert [c["shared_memory"] for c in history.params["counters"]] == \
        [_uses_shared_memory(ring_path)] * 2


def test_float32_fit_on_a_dataframe_with_local_sgd_trains(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((600, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    frame = dd.from_pandas(pd.DataFrame(x, columns=list("abcdef")), npartitions=3)
    target = dd.from_pandas(pd.Series(y), npartitions=3)
    fm.set_random_seed(2)
    model = fm.Sequential([fm.Input((6,)), fm.Dense(16, activation="relu"),
                           fm.Dense(2, activation="softmax")])
    model.compile(fm.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = fmd.fit(model, frame, target, client=client, batch_size=16, epochs=6,
                      sync_every=4, seed=1)
    assert sum(history.params["counts"]) == 600
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


def test_estimators_fit_and_follow_their_single_process_fit(client):
    x, y, _ = data(240, classes=3)
    est = fm.MLPClassifier(hidden_layer_sizes=(16,), max_iter=4, batch_size=20, shuffle=False,
                           random_state=0, tol=0)
    with pytest.warns(Warning, match="Maximum iterations"):
        assert fmd.fit(est, da.from_array(x, chunks=120), da.from_array(y, chunks=120),
                       client=client) is est
    assert list(est.classes_) == [0, 1, 2] and est.n_iter_ == 4
    shards = _shards_of(est.distributed_, x, y, None, 120)
    (xs, ys, _), _ = interleaved(shards, 20)
    single = fm.MLPClassifier(hidden_layer_sizes=(16,), max_iter=4, batch_size=40, shuffle=False,
                              random_state=0, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single.fit(xs, ys)
    np.testing.assert_allclose(est.loss_curve_, single.loss_curve_, rtol=1e-10)
    for got, want in zip(est.coefs_, single.coefs_):
        assert np.max(np.abs(got - want)) <= 1e-10 * np.max(np.abs(want))
    regressor = fm.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmd.fit(regressor, da.from_array(x, chunks=60), da.from_array(x[:, 0], chunks=60),
                client=client)
    assert regressor.n_iter_ == 3 and np.isfinite(regressor.loss_)


def test_what_data_parallel_training_refuses(client):
    x, y, _ = data(40)
    dx, dy = da.from_array(x, chunks=20), da.from_array(y, chunks=20)
    with pytest.raises(ValueError, match="lbfgs"):
        fmd.fit(fm.MLPClassifier(solver="lbfgs"), dx, dy, client=client)
    with pytest.raises(ValueError, match="early_stopping"):
        fmd.fit(fm.MLPClassifier(early_stopping=True), dx, dy, client=client)
    model = fm.Sequential([fm.Input((12,)), fm.Dense(4), fm.BatchNormalization(),
                           fm.Dense(4, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(RuntimeError, match="BatchNormalization"):
        fmd.fit(model, dx, dy, client=client)
    with pytest.raises(RuntimeError, match="compile"):
        fmd.fit(fm.Sequential([fm.Dense(2)]), dx, dy, client=client)
    with pytest.raises(ValueError, match="sync_every"):
        fmd.fit(seed_model(), dx, dy, client=client, sync_every=0)


def test_back_to_back_fits_reuse_nothing_stale(client):
    x, y, _ = data(96)
    dx, dy = da.from_array(x, chunks=48), da.from_array(y, chunks=48)
    model = seed_model("float32")
    for _ in range(3):
        fmd.fit(model, dx, dy, client=client, batch_size=8, epochs=1)
    assert model.optimizer.iterations == 18


def test_a_fit_waits_for_or_is_refused_the_workers_another_fit_holds(client):
    x, y, _ = data(96)
    dx, dy = da.from_array(x, chunks=48), da.from_array(y, chunks=48)
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    held = distributed.MultiLock(names=["fastmlp-fit:" + w for w in workers], client=client)
    assert held.acquire()
    try:
        with pytest.raises(RuntimeError, match="another fastmlp fit holds these workers"):
            fmd.fit(seed_model(), dx, dy, client=client, lock_timeout=0.5)
    finally:
        held.release()
    models = [seed_model(), seed_model()]
    errors = []

    def run(m):
        try:
            fmd.fit(m, dx, dy, client=client, batch_size=8, epochs=2, seed=5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and not any(t.is_alive() for t in threads)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        assert np.array_equal(a, b)  # one waited, then did the same work


def test_predict_on_dask_arrays_block_by_block(client):
    x, y, _ = data(300)
    model = seed_model("float32")
    dx = da.from_array(x, chunks=70)
    lazy = model.predict(dx)
    assert isinstance(lazy, da.Array) and lazy.chunks[0] == dx.chunks[0]
    assert np.array_equal(lazy.compute(), model.predict(x, verbose=0))
    est = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(x, y)
    assert np.array_equal(est.predict(dx).compute(), est.predict(x))
    assert np.array_equal(est.predict_proba(dx).compute(), est.predict_proba(x))
    graph = dict(est.predict(dx).__dask_graph__())
    shipped = [k for k, v in graph.items() if isinstance(v, fm.MLPClassifier) or
               "MLPClassifier" in str(type(getattr(v, "value", None)))]
    assert len(shipped) <= 1  # one key holds the estimator: sent once per worker


def _hyperband_on_this_dask(monkeypatch, client):
    """dask-ml 2025.1's searches call dask.persist inside coroutines on the
    client's event loop, which dask 2026 refuses ("Attempting to use an
    asynchronous Client in a synchronous context"); naming the client's
    scheduler explicitly does the same work without that check."""
    import types

    import dask
    import dask_ml.model_selection._incremental as incremental

    shim = types.SimpleNamespace(**{k: getattr(dask, k) for k in dir(dask)
                                    if not k.startswith("__")})
    shim.persist = lambda *args, **kw: dask.persist(*args, scheduler=client.get, **kw)
    monkeypatch.setattr(incremental, "dask", shim)


def test_dask_ml_incremental_and_hyperband(client, monkeypatch):
    pytest.importorskip("dask_ml", reason="dask-ml is not installed")
    from dask_ml.model_selection import HyperbandSearchCV
    from dask_ml.wrappers import Incremental

    _hyperband_on_this_dask(monkeypatch, client)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 5))
    y = (x[:, 0] > 0).astype(int)
    dx, dy = da.from_array(x, chunks=100), da.from_array(y, chunks=100)
    inc = Incremental(fm.MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05,
                                       random_state=0), scoring="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inc.fit(dx, dy, classes=[0, 1])
        assert inc.score(dx, dy) > 0.6
        search = HyperbandSearchCV(fm.MLPClassifier(hidden_layer_sizes=(8,), random_state=0),
                                   {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-2, 5e-2]},
                                   max_iter=4, random_state=0)
        search.fit(dx, dy, classes=[0, 1])
    assert search.best_score_ > 0.6 and search.best_estimator_.n_iter_ >= 1


def test_grid_search_with_the_joblib_dask_backend(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    x, y, _ = data(120, classes=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with joblib.parallel_backend("dask"):
            search = GridSearchCV(fm.MLPClassifier(max_iter=5, random_state=0),
                                  {"alpha": [1e-4, 1e-1]}, cv=2, n_jobs=2).fit(x, y)
    assert search.best_params_["alpha"] in (1e-4, 1e-1)


@pytest.mark.parametrize("path", ["shm", "socket"])
def test_a_worker_lost_mid_fit_raises_instead_of_hanging(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        _set_ring_path(client, path)
        x, y, _ = data(4000, n_in=12)
        dx, dy = da.from_array(x, chunks=2000), da.from_array(y, chunks=2000)
        pids = client.run(os.getpid)
        outcome = []

        def run():
            try:
                fmd.fit(seed_model(), dx, dy, client=client, batch_size=4, epochs=1000, timeout=5)
                outcome.append("finished")
            except BaseException as exc:
                outcome.append(exc)

        fitting = threading.Thread(target=run)
        fitting.start()
        def published(dask_scheduler):  # the ranks' addresses: the ring is forming
            return [n for n in dask_scheduler.extensions["variables"].variables
                    if n.startswith("fastmlp-")]

        while fitting.is_alive() and len(client.run_on_scheduler(published)) < 2:
            time.sleep(0.05)
        time.sleep(0.5)  # training under way
        os.kill(pids[sorted(pids)[1]], signal.SIGKILL)
        fitting.join(120)  # guards against a hang; the fit should fail within its timeout
        assert not fitting.is_alive(), "the fit hung after its worker was lost"
        assert isinstance(outcome[0], RuntimeError), outcome
        assert "failed on a worker" in str(outcome[0])
    finally:
        client.close()
        cluster.close()
