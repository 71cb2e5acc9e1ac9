"""fastmlp on Dask: data-parallel training and block-wise prediction.

``fit`` trains a compiled model (or an MLPClassifier/MLPRegressor) on dask
arrays or dataframes the way XGBoost and LightGBM train on Dask: the data
stay in the workers' memory as Dask placed them, every worker holding data
runs one long task that trains a replica on its own partitions, and the
replicas sum their gradients every step with fastmlp's own ring allreduce
(``sync_every=1``, the single-process result on the same global batches) or
average their weights every ``sync_every`` steps (local SGD). Dask supplies
the scheduling, the data placement, the rendezvous (a Variable per rank) and
a lock per worker (``distributed.MultiLock``) so that two fits never share a
worker. ``predict`` runs a model over a dask array block by block, the model
sent once to each worker.

Dask and distributed are optional: ``pip install "fastmlp[dask]"``;
``import fastmlp`` never imports them.

Threads: a Dask worker started by a Nanny has ``OMP_NUM_THREADS=1`` (Dask's
``distributed.nanny.pre-spawn-environ``), which fastmlp follows, so each
worker thread runs one OpenMP thread. ``FastmlpThreads`` sets it explicitly
(a worker plugin), and ``fit`` gives its task all of its worker's threads.
"""
from __future__ import annotations

import secrets
import time
from typing import Any, List, Optional, Sequence

import numpy as np

try:
    import dask
    import dask.array as da
    import distributed
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("fastmlp.dask needs dask and distributed, optional extras: "
                      "pip install 'fastmlp[dask]'") from exc

from ._distributed.job import finish_job, is_estimator, make_job, run_job
from ._distributed.ring import DEFAULT_TIMEOUT, Listener

__all__ = ["fit", "predict", "FastmlpThreads", "DEFAULT_TIMEOUT"]

_LOCK_PREFIX = "fastmlp-fit:"


class FastmlpThreads(distributed.WorkerPlugin):
    """A worker plugin setting fastmlp's thread count on every worker.

    Parameters
    ----------
    n : int, default 1
        OpenMP threads per fastmlp call. One per worker thread avoids
        oversubscription when each worker thread runs its own task.

    Examples
    --------
    >>> from distributed import Client
    >>> import fastmlp.dask
    >>> with Client(processes=False, n_workers=1, threads_per_worker=1,
    ...             dashboard_address=None) as client:
    ...     _ = client.register_plugin(fastmlp.dask.FastmlpThreads(1))
    """

    name = "fastmlp-threads"

    def __init__(self, n: int = 1):
        self.n = n

    def setup(self, worker: Any) -> None:
        """Set the thread count; Dask calls this on each worker.

        Parameters
        ----------
        worker : distributed.Worker
            The worker the plugin is registered on (unused).
        """
        import fastmlp

        fastmlp.set_num_threads(self.n)


# ---------------------------------------------------------------- data

def _as_array(data: Any, name: str) -> Any:
    """A dask array of rows from a dask array, dataframe or series, or a numpy
    array (split later); None stays None."""
    if data is None:
        return None
    if hasattr(data, "to_dask_array"):  # dask dataframe or series
        return data.to_dask_array(lengths=True)
    if isinstance(data, da.Array):
        return data
    return da.from_array(np.asarray(data), chunks=-1)


def _aligned(x: Any, y: Any, w: Any, n_workers: int) -> tuple:
    """x chunked by rows only, y and w chunked like x; a single-chunk x is
    split into one chunk per worker."""
    if x.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features); got {x.ndim} dimensions")
    if y.shape[0] != x.shape[0] or (w is not None and w.shape[0] != x.shape[0]):
        raise ValueError(f"X, y and sample_weight need the same number of rows; got "
                         f"{x.shape[0]}, {y.shape[0]}" + ("" if w is None else f", {w.shape[0]}"))
    if np.isnan(x.shape[0]):
        raise ValueError("X has unknown chunk sizes: use to_dask_array(lengths=True)")
    x = x.rechunk({1: -1})
    if len(x.chunks[0]) == 1 and n_workers > 1 and x.shape[0] >= n_workers:
        size = -(-x.shape[0] // n_workers)
        x = x.rechunk({0: size})
    y = y.rechunk({0: x.chunks[0]} | ({1: -1} if y.ndim == 2 else {}))
    if w is not None:
        w = w.rechunk({0: x.chunks[0]})
    return x, y, w


def _blocks(array: Any) -> list:
    if array is None:
        return []
    return list(array.to_delayed().ravel())


def _assign(holders: Sequence[Sequence[str]], sizes: Sequence[int],
            workers: Sequence[str]) -> dict:
    """{worker: [partition indices]}: each partition stays where it is unless
    its holder already has its share of rows, then goes to the least-loaded
    worker (which Dask then copies it to)."""
    load = {w: 0 for w in workers}
    share = sum(sizes) / max(1, len(workers))
    out: dict = {w: [] for w in workers}
    for i, (held, size) in enumerate(zip(holders, sizes)):
        local = [w for w in held if w in load]
        choice = min(local, key=lambda w: load[w]) if local else None
        if choice is None or (load[choice] + size > share * 1.25 and
                              min(load.values()) + size <= share * 1.25):
            choice = min(workers, key=lambda w: (load[w], w))
        out[choice].append(i)
        load[choice] += size
    return {w: parts for w, parts in out.items() if parts}


# ---------------------------------------------------------------- the task

def _concat(parts: List[np.ndarray]) -> Optional[np.ndarray]:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _worker_fit(job, rank: int, world: int, xs: list, ys: list, ws: list) -> dict:
    """The long task: one replica on this worker's partitions."""
    worker = distributed.get_worker()
    host = distributed.comm.get_address_host(worker.address)
    listener = Listener(host)
    prefix = f"fastmlp-{job.token:x}-"
    distributed.Variable(prefix + str(rank)).set(list(listener.address))

    def lookup(r):
        """The listening address rank r published through a Dask Variable;
        RingError when that rank has not started within the job's timeout."""
        try:
            return tuple(distributed.Variable(prefix + str(r)).get(timeout=job.timeout))
        except (TimeoutError, distributed.TimeoutError) as exc:
            from ._distributed.ring import RingError

            raise RingError(f"rank {rank}: rank {r} did not start within {job.timeout:g} s "
                            f"(a worker lost?)") from exc

    threads = max(1, int(getattr(worker.state, "nthreads", 1)))
    return run_job(job, rank, world, listener, lookup, _concat(xs), _concat(ys),
                   _concat(ws), threads)


def _wait_all(client: Any, futures: list) -> list:
    """The tasks' results; the first failure cancels the rest and is raised
    (a lost worker's task would otherwise wait for its worker forever)."""
    pending = list(futures)
    while pending:
        done, not_done = distributed.wait(pending, return_when="FIRST_COMPLETED")
        failed = [f for f in done if f.status in ("error", "cancelled")]
        if failed:
            error = failed[0].exception() if failed[0].status == "error" else None
            client.cancel(futures)
            raise RuntimeError(f"data-parallel fit failed on a worker: "
                               f"{error if error is not None else 'its task was cancelled'}"
                               ) from error
        pending = list(not_done)
    return client.gather(futures)


def fit(model_or_estimator: Any, X: Any, y: Any, *, sample_weight: Any = None,
        client: Any = None, batch_size: Optional[int] = None, epochs: int = 1,
        shuffle: bool = True, seed: Optional[int] = None, sync_every: int = 1,
        class_weight: Any = None, workers: Optional[Sequence[str]] = None,
        timeout: float = DEFAULT_TIMEOUT, lock_timeout: Optional[float] = None) -> Any:
    """Train on a Dask cluster, data-parallel.

    Parameters
    ----------
    model_or_estimator : fastmlp.Model or MLPClassifier or MLPRegressor
        A compiled Keras-dialect model (its weights, optimizer state and
        dropout seed are every replica's start), or an estimator (its
        parameters; max_iter epochs; solver='lbfgs', early_stopping and
        warm_start are not supported). Trained in place.
    X : dask array or dataframe (or numpy array)
        (samples, features), chunked by rows; each chunk is a partition.
    y : dask array or series (or numpy array)
        Targets, as the model's fit takes them.
    sample_weight : dask array or series, optional
    client : distributed.Client, optional
        Default: the current client.
    batch_size : int, optional
        Models only: rows each worker contributes to a step (default 32);
        a step's global batch is the workers' rows together. An estimator's
        own batch_size means the same here.
    epochs : int, default 1
        Models only (estimators run max_iter epochs).
    shuffle : bool, default True
        Shuffle each worker's rows every epoch.
    seed : int, optional
        The shuffling seed (default: drawn from fastmlp's generator).
    sync_every : int, default 1
        1: synchronous steps (gradients summed every step); H > 1: local SGD,
        each worker stepping on its own batches and the weights averaged
        every H steps and at each epoch's end.
    class_weight : dict, optional
        Models only, as in Model.fit.
    workers : sequence of str, optional
        The worker addresses to train on (default: all).
    timeout : float
        Seconds a worker waits for a silent peer before the fit fails.
    lock_timeout : float, optional
        Seconds to wait while another fit holds these workers (default:
        wait); then RuntimeError.

    Returns
    -------
    History (models) or the fitted estimator.

    Raises
    ------
    RuntimeError
        When a worker fails or is lost (within ``timeout``), or the lock is
        not had within ``lock_timeout``.
    ValueError, TypeError
        For invalid arguments, before any work.

    Examples
    --------
    Two workers of an in-process cluster, each holding one chunk of rows:

    >>> import numpy as np, dask.array as da
    >>> from distributed import Client
    >>> import fastmlp as fm, fastmlp.dask
    >>> client = Client(processes=False, n_workers=2, threads_per_worker=1,
    ...                 dashboard_address=None)
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 4)).astype("float32")
    >>> X = da.from_array(x, chunks=200)
    >>> y = da.from_array((x[:, 0] > 0).astype("int64"), chunks=200)
    >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"),
    ...                        fm.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy")
    >>> history = fastmlp.dask.fit(model, X, y, epochs=2, batch_size=16)
    >>> len(history.history["loss"])
    2
    >>> fastmlp.dask.predict(model, X).compute().shape
    (400, 1)
    >>> client.close()
    """
    from . import _random

    client = client or distributed.get_client()
    worker_list = sorted(workers or client.scheduler_info(n_workers=-1)["workers"])
    if not worker_list:
        raise RuntimeError("the Dask cluster has no workers")
    x, yy, w = _as_array(X, "X"), _as_array(y, "y"), _as_array(sample_weight, "sample_weight")
    x, yy, w = _aligned(x, yy, w, len(worker_list))
    seed = _random.next_seed() if seed is None else int(seed)
    token = secrets.randbits(63)
    job = make_job(model_or_estimator, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
                   seed=seed, sync_every=sync_every, class_weight=class_weight,
                   timeout=timeout, token=token, n_in=x.shape[1])
    if job.kind == "sklearn" and hasattr(model_or_estimator, "predict_proba"):
        job.classes = np.asarray(da.unique(yy).compute())
    sizes = [int(c) for c in x.chunks[0]]
    x_parts = client.compute(_blocks(x))
    y_parts = client.compute(_blocks(yy))
    w_parts = client.compute(_blocks(w)) if w is not None else []
    distributed.wait(x_parts + y_parts + w_parts)
    who = client.who_has(x_parts)
    holders = [list(who.get(f.key, ())) for f in x_parts]
    plan = _assign(holders, sizes, worker_list)
    ranked = sorted(plan)
    lock = distributed.MultiLock(names=[_LOCK_PREFIX + addr for addr in ranked], client=client)
    if not lock.acquire(timeout=lock_timeout):
        raise RuntimeError(f"another fastmlp fit holds these workers ({', '.join(ranked)}) "
                           f"and did not finish within lock_timeout={lock_timeout} s")
    job_future = client.scatter(job, broadcast=True, hash=False)
    try:
        futures = []
        for rank, addr in enumerate(ranked):
            parts = plan[addr]
            futures.append(client.submit(
                _worker_fit, job_future, rank, len(ranked), [x_parts[i] for i in parts],
                [y_parts[i] for i in parts], [w_parts[i] for i in parts] if w_parts else [],
                workers=[addr], allow_other_workers=False, pure=False, retries=0,
                key=f"fastmlp-fit-{token:x}-{rank}"))
        results = _wait_all(client, futures)
    finally:
        lock.release()
        for rank in range(len(ranked)):
            try:
                distributed.Variable(f"fastmlp-{token:x}-{rank}", client=client).delete()
            except Exception:  # pragma: no cover - cleanup only
                pass
        # the partitions and the job are released with their futures (cancelling
        # them could cancel another computation of the same keys)
        del job_future, x_parts, y_parts, w_parts
    placement = {"workers": ranked, "partitions": [plan[addr] for addr in ranked]}
    return finish_job(job, model_or_estimator, results, placement)


# ---------------------------------------------------------------- predict

def _predict_block(block: np.ndarray, target: Any, method: str) -> np.ndarray:
    if block.shape[0] == 0:
        return block[:, :0]
    if method == "predict" and not is_estimator(target):
        return target.predict(block, verbose=0)
    return getattr(target, method)(block)


def predict(model_or_estimator: Any, X: Any, method: str = "predict") -> Any:
    """``model_or_estimator.<method>`` over a dask array, block by block.

    The model goes into the graph once (one key), so each worker receives
    and unpickles it once and reuses it for all its blocks.

    Parameters
    ----------
    model_or_estimator : fastmlp.Model or MLPClassifier or MLPRegressor
    X : dask array or dataframe
        (samples, features); chunked by rows.
    method : {"predict", "predict_proba", "predict_log_proba"}

    Returns
    -------
    dask.array.Array
        Lazy: call ``.compute()``.

    Raises
    ------
    ValueError
        When X is not 2-D or ``method`` is not one of the three.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastmlp as fm, fastmlp.dask
    >>> clf = fm.MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    >>> x = np.random.default_rng(0).normal(size=(200, 3))
    >>> clf = clf.fit(x, x[:, 0] > 0)
    >>> proba = fastmlp.dask.predict(clf, da.from_array(x, chunks=50), "predict_proba")
    >>> proba.compute(scheduler="synchronous").shape
    (200, 2)
    """
    x = _as_array(X, "X")
    if x.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features); got {x.ndim} dimensions")
    x = x.rechunk({1: -1})
    if method not in ("predict", "predict_proba", "predict_log_proba"):
        raise ValueError(f"method must be 'predict', 'predict_proba' or 'predict_log_proba'; "
                         f"got {method!r}")
    shared = dask.delayed(model_or_estimator, pure=True, traverse=False)
    probe = _predict_block(np.zeros((1, x.shape[1]), dtype=x.dtype), model_or_estimator, method)
    if probe.ndim == 1:
        return x.map_blocks(_predict_block, shared, method, drop_axis=1, dtype=probe.dtype,
                            chunks=(x.chunks[0],), meta=np.empty((0,), probe.dtype))
    return x.map_blocks(_predict_block, shared, method, dtype=probe.dtype,
                        chunks=(x.chunks[0], (probe.shape[1],)),
                        meta=np.empty((0, probe.shape[1]), probe.dtype))
