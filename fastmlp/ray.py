"""fastmlp on Ray: data-parallel training with Ray actors over fastmlp's ring.

``fit`` splits the rows into one contiguous shard per worker, starts one
actor per worker (``ray.remote``, ``num_cpus=cpus_per_worker``), lets each
listen on a port the OS picks, hands every actor the others' addresses (the
driver is the rendezvous), and runs the same replica loop as fastmlp.dask:
gradients summed every step (``sync_every=1``) or weights averaged every
``sync_every`` steps. For scikit-learn searches, Ray's joblib backend
(``ray.util.joblib.register_ray()``) runs fastmlp's estimators as they are.

Ray is optional: ``pip install "fastmlp[ray]"``; ``import fastmlp`` never
imports it. Ray starts its workers with ``OMP_NUM_THREADS`` set to their
CPUs, which fastmlp follows.
"""
from __future__ import annotations

import secrets
from typing import Any, Optional

import numpy as np

try:
    import ray
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("fastmlp.ray needs ray, an optional extra: pip install 'fastmlp[ray]'"
                      ) from exc

from ._distributed.job import finish_job, make_job, run_job
from ._distributed.ring import DEFAULT_TIMEOUT, Listener

__all__ = ["fit", "DEFAULT_TIMEOUT"]


@ray.remote
class _Replica:
    """One worker: listens first (so the driver can tell everyone where),
    then trains."""

    def __init__(self) -> None:
        self.listener: Optional[Listener] = None

    def listen(self) -> tuple:
        """Open this actor's listening socket for the ring and return its
        (host, port) for the other ranks."""
        self.listener = Listener(ray.util.get_node_ip_address())
        return self.listener.address

    def train(self, job: Any, rank: int, world: int, addresses: list, x: np.ndarray,
              y: np.ndarray, w: Optional[np.ndarray], threads: int) -> dict:
        """Run this rank's replica of the job on its rows (x, y, w) with
        `threads` engine threads; the ring's addresses are `addresses`."""
        return run_job(job, rank, world, self.listener, lambda r: tuple(addresses[r]), x, y, w,
                       threads)


def _shards(a: Optional[np.ndarray], world: int) -> list:
    if a is None:
        return [None] * world
    n = len(a)
    return [a[n * r // world:n * (r + 1) // world] for r in range(world)]


def fit(model_or_estimator: Any, X: Any, y: Any, *, sample_weight: Any = None,
        num_workers: int = 2, cpus_per_worker: int = 1, batch_size: Optional[int] = None,
        epochs: int = 1, shuffle: bool = True, seed: Optional[int] = None, sync_every: int = 1,
        class_weight: Any = None, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Train with ``num_workers`` Ray actors, data-parallel.

    Parameters
    ----------
    model_or_estimator : fastmlp.Model or MLPClassifier or MLPRegressor
        As in fastmlp.dask.fit; trained in place.
    X, y, sample_weight : array-like
        The whole training set; worker r gets rows ``[n·r/w, n·(r+1)/w)``.
    num_workers : int, default 2
    cpus_per_worker : int, default 1
        Each actor's CPUs, and fastmlp's threads inside it.
    batch_size, epochs, shuffle, seed, sync_every, class_weight, timeout
        As in fastmlp.dask.fit.

    Returns
    -------
    History (models) or the fitted estimator.

    Raises
    ------
    RuntimeError
        When an actor fails or is lost (within ``timeout``).

    Examples
    --------
    >>> import numpy as np, ray
    >>> import fastmlp as fm, fastmlp.ray
    >>> _ = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    >>> x = np.random.default_rng(0).normal(size=(400, 4)).astype("float32")
    >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"),
    ...                        fm.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy")
    >>> history = fastmlp.ray.fit(model, x, (x[:, 0] > 0).astype("int64"),
    ...                           num_workers=2, epochs=2, batch_size=16)
    >>> len(history.history["loss"])
    2
    >>> ray.shutdown()
    """
    from . import _random
    from ._validation import check_int

    num_workers = check_int(num_workers, "num_workers", minimum=1)
    cpus_per_worker = check_int(cpus_per_worker, "cpus_per_worker", minimum=1)
    x = np.asarray(X)
    yy = np.asarray(y)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features); got shape {x.shape}")
    if len(yy) != len(x) or (w is not None and len(w) != len(x)):
        raise ValueError("X, y and sample_weight need the same number of rows")
    if len(x) < num_workers:
        raise ValueError(f"{len(x)} rows cannot be shared by {num_workers} workers")
    seed = _random.next_seed() if seed is None else int(seed)
    job = make_job(model_or_estimator, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
                   seed=seed, sync_every=sync_every, class_weight=class_weight,
                   timeout=timeout, token=secrets.randbits(63), n_in=x.shape[1])
    if job.kind == "sklearn" and hasattr(model_or_estimator, "predict_proba"):
        job.classes = np.unique(yy)
    if not ray.is_initialized():
        ray.init()
    actors = [_Replica.options(num_cpus=cpus_per_worker).remote() for _ in range(num_workers)]
    try:
        addresses = ray.get([a.listen.remote() for a in actors], timeout=timeout)
        job_ref = ray.put(job)
        refs = [a.train.remote(job_ref, r, num_workers, addresses, xs, ys, ws, cpus_per_worker)
                for r, (a, xs, ys, ws) in enumerate(zip(actors, _shards(x, num_workers),
                                                        _shards(yy, num_workers),
                                                        _shards(w, num_workers)))]
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                ray.get(done)
            except Exception as exc:
                raise RuntimeError(f"data-parallel fit failed on a worker: {exc}") from exc
        results = ray.get(refs)
    finally:
        for a in actors:
            ray.kill(a)
    n = len(x)
    placement = {"rows": [(n * r // num_workers, n * (r + 1) // num_workers)
                          for r in range(num_workers)]}
    return finish_job(job, model_or_estimator, results, placement)
