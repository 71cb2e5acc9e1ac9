"""What a launcher ships to each replica, and what it does with the results.

A ``Job`` holds the model or estimator to train (pickled once and shipped
once per worker) and the options; ``run_job`` is the body of the one long
task each worker runs: join the ring, train, and return the result;
``finish_job`` writes rank 0's result back into the caller's object.
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Tuple

import numpy as np

from .ring import DEFAULT_TIMEOUT, Listener, RingConnection, connect_ring

__all__ = ["Job", "make_job", "run_job", "finish_job", "is_estimator"]


def is_estimator(obj: Any) -> bool:
    """Whether `obj` is one of fastmlp's scikit-learn estimators.

    Decided by duck typing (``hidden_layer_sizes`` and ``_prepare_fit``), so
    that launchers need not import fastmlp.estimators (and scikit-learn).

    Parameters
    ----------
    obj : object
        A model, an estimator or anything else.

    Returns
    -------
    bool
        True for MLPClassifier, MLPRegressor and their subclasses.
    """
    return hasattr(obj, "hidden_layer_sizes") and hasattr(obj, "_prepare_fit")


@dataclass
class Job:
    """A data-parallel fit's configuration.

    Attributes
    ----------
    kind : {"keras", "sklearn"}
    target : Model or estimator
        The object every replica starts from (the same state everywhere).
    options : dict
        For Keras: batch_size, epochs, shuffle, seed, sync_every; for
        estimators: sync_every.
    class_weight : dict, optional
    classes : ndarray, optional
        Every class of the training set (classifiers).
    token : int
        Identifies this fit's connections.
    timeout : float
    """
    kind: str
    target: Any
    options: dict = field(default_factory=dict)
    class_weight: Any = None
    classes: Optional[np.ndarray] = None
    token: int = 0
    timeout: float = DEFAULT_TIMEOUT


def make_job(target: Any, *, batch_size: Optional[int], epochs: int, shuffle: bool,
             seed: int, sync_every: int, class_weight: Any, timeout: float, token: int,
             n_in: Optional[int]) -> Job:
    """The Job for ``target`` after the launcher's checks: a Keras model is
    built (so that every replica starts from the same weights) and must be
    compiled; an estimator's options are checked."""
    from .._validation import check_int

    sync_every = check_int(sync_every, "sync_every", minimum=1)
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds; got {timeout!r}")
    if is_estimator(target):
        from .sklearn_replica import check_estimator_options

        target._validate_params()
        check_estimator_options(target)
        if batch_size is not None:
            raise ValueError("an estimator's batch size is its batch_size parameter (rows per "
                             "worker and step under fastmlp.dask.fit); do not pass batch_size")
        from sklearn.base import clone

        # a fresh copy: every fit under fastmlp.dask starts from the parameters
        return Job("sklearn", clone(target), {"sync_every": sync_every}, token=token,
                   timeout=timeout)
    from ..models import Model

    if not isinstance(target, Model):
        raise TypeError(f"fit takes a compiled fastmlp model or a fastmlp MLPClassifier/"
                        f"MLPRegressor; got {type(target).__name__}")
    target._require_compiled("fastmlp.dask.fit")
    batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=0)
    with target._lock:
        target._refuse_in_own_fit("fastmlp.dask.fit")
        if target._n_in() is None:
            if n_in is None:
                raise RuntimeError("the model has no input size: build it first")
            target._input_shape = (int(n_in),)
        target._network()
        target._network().engine  # built, so every replica gets these weights
    options = {"batch_size": batch_size, "epochs": epochs, "shuffle": bool(shuffle),
               "seed": int(seed), "sync_every": sync_every}
    return Job("keras", target, options, class_weight=class_weight, token=token,
               timeout=timeout)


def _threads(n: Optional[int]):
    from .._config import thread_count

    return contextlib.nullcontext() if n is None else thread_count(n)


def run_job(job: Job, rank: int, world: int, listener: Listener,
            lookup: Callable[[int], Tuple[str, int]], x: np.ndarray, y: np.ndarray,
            sample_weight: Optional[np.ndarray], threads: Optional[int] = None) -> dict:
    """One replica's whole fit: join the ring, train, leave the ring.

    Trains a private copy of ``job.target`` (pickled and unpickled, so workers
    sharing a process do not share it) with ``train_model`` or
    ``train_estimator``, and closes the ring connection whatever happens. Every
    rank of the fit must run it at the same time, with the same `job`.

    Parameters
    ----------
    job : Job
        The fit's configuration, the same on every rank.
    rank, world : int
        This replica's rank and the number of replicas.
    listener : Listener
        This rank's listener, whose address the peers look up.
    lookup : callable
        ``lookup(rank)`` returns that rank's published address.
    x, y : numpy.ndarray
        This replica's rows.
    sample_weight : numpy.ndarray or None
        This replica's weights.
    threads : int, optional
        Threads for fastmlp's kernels during training (default: unchanged).

    Returns
    -------
    dict
        The replica's result, as ``train_model`` or ``train_estimator``
        returns it (rank 0's carries the trained state).

    Raises
    ------
    RingError
        If the ring cannot be joined or fails during training (a peer lost or
        silent for ``job.timeout`` seconds).
    ValueError
        For data the model or estimator refuses.
    """
    import pickle

    # a replica of its own, even where workers share a process (threads)
    target = pickle.loads(pickle.dumps(job.target))
    conn = connect_ring(rank, world, listener, lookup, job.token, job.timeout)
    try:
        with _threads(threads):
            if job.kind == "keras":
                from .keras_replica import train_model

                return train_model(conn, target, x, y, sample_weight, job.class_weight,
                                   **job.options)
            from .sklearn_replica import train_estimator

            return train_estimator(conn, target, x, y, sample_weight, job.classes,
                                   **job.options)
    finally:
        conn.close()


def finish_job(job: Job, target: Any, results: list, placement: Optional[dict] = None) -> Any:
    """Rank 0's trained state into ``target`` (the caller's object); returns
    what fit returns: a History for a model, the estimator itself otherwise.
    A non-finite end raises ValueError (estimators) or warns (models), as the
    dialects' own fits do. The run's facts (rows per rank, the ring's
    counters, and the launcher's ``placement``) go into ``History.params``
    or the estimator's ``distributed_``."""
    first = results[0]
    counters = [r["counters"] for r in results]
    info = {"counts": first["counts"], "counters": counters, **(placement or {})}
    if job.kind == "sklearn":
        trained = first["estimator"]
        state = dict(trained.__dict__)
        state.pop("_lock", None)
        target.__dict__.update(state)
        target.distributed_ = info
        if first["problem"]:
            from ..estimators import _NON_FINITE

            raise ValueError(f"{_NON_FINITE} {first['problem']}")
        if target.n_iter_ == target.max_iter:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                          "optimization hasn't converged yet." % target.max_iter,
                          ConvergenceWarning, stacklevel=3)
        return target
    from ..callbacks import History

    with target._lock:
        target._network().set_weights(first["weights"])
        target._network().set_optimizer_state(first["optimizer_state"])
    history = History()
    history.set_model(target)
    history.history = dict(sorted(first["history"].items()))
    history.epoch = list(range(len(first["history"]["loss"])))
    history.params = {"verbose": 0, "epochs": job.options["epochs"], "steps": None, **info,
                      "epoch_seconds": [r["epoch_seconds"] for r in results]}
    target.history = history
    if first["problem"]:
        warnings.warn(first["problem"], RuntimeWarning, stacklevel=3)
    return history
