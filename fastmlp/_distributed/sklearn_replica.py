"""A scikit-learn-dialect estimator trained as one replica of a data-parallel fit.

The loop is the estimator's stochastic solver (``_train_stochastic``): one
epoch per iteration, scikit-learn's loss curve, tolerance-based stopping and
learning-rate schedules, with the epoch loss summed over the replicas so
every replica takes the same decisions. Initial weights, the shuffling seed
and the dropout seed come from rank 0. Not supported here: solver='lbfgs',
early_stopping=True and warm_start=True (ValueError).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._locks import lock_of
from .._validation import contiguous
from ..models.model import unapplied_step
from .keras_replica import sync_problem
from .replica import EpochData, epoch_order, run_epoch
from .ring import RingConnection
from .schedule import Plan

__all__ = ["train_estimator", "check_estimator_options"]


def check_estimator_options(est: Any) -> None:
    """Refuse the options data-parallel training does not support.

    Parameters
    ----------
    est : MLPClassifier or MLPRegressor
        The estimator to train; it is not modified.

    Raises
    ------
    ValueError
        If ``solver='lbfgs'``, ``early_stopping=True`` or
        ``warm_start=True``.
    """
    if est.solver == "lbfgs":
        raise ValueError("solver='lbfgs' takes full-batch steps in one process; data-parallel "
                         "training needs a stochastic solver ('adam', 'sgd' or 'rmsprop')")
    if est.early_stopping:
        raise ValueError("early_stopping=True is not supported by data-parallel training: "
                         "score a held-out set after fitting instead")
    if est.warm_start:
        raise ValueError("warm_start=True is not supported by data-parallel training")


def _broadcast_seed(conn: RingConnection, value: int) -> int:
    """Rank 0's 63-bit ``value`` on every rank (sent as two exact halves)."""
    halves = np.array([value >> 32, value & 0xFFFFFFFF], dtype=np.float64)
    conn.broadcast(halves)
    return (int(halves[0]) << 32) | int(halves[1])


def train_estimator(conn: RingConnection, est: Any, X: Any, y: Any,
                    sample_weight: Any = None, classes: Optional[np.ndarray] = None, *,
                    sync_every: int = 1) -> dict:
    """Fit this replica of ``est`` (MLPClassifier or MLPRegressor) on its rows.

    Parameters
    ----------
    conn : RingConnection
    est : MLPClassifier or MLPRegressor
        The same unfitted configuration on every replica.
    X, y, sample_weight
        This replica's rows.
    classes : ndarray, optional
        Every class of the whole training set (classifiers).
    sync_every : int
        1 for synchronous steps, H > 1 for local SGD.

    Returns
    -------
    dict
        ``counters``, ``problem``, ``n_iter``, and on rank 0 ``estimator``
        (the fitted one).
    """
    from sklearn.base import is_classifier
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils.multiclass import unique_labels

    check_estimator_options(est)
    with lock_of(est):
        if is_classifier(est):
            est.classes_ = unique_labels(classes)
            est._label_binarizer = LabelBinarizer().fit(est.classes_)
        # incremental=True: the classes above are kept; the optimizer restarts below
        X, y, targets, labels, weights, _, _ = est._prepare_fit(X, y, sample_weight,
                                                               incremental=True)
        net = est._net
        engine = net.engine
        conn.broadcast(engine.params)  # rank 0's initial weights (random_state may be None)
        engine.touch()
        counts = [int(c) for c in conn.allgather_float(float(X.shape[0]))]
        n_total = sum(counts)
        batch = min(200, max(counts)) if est.batch_size == "auto" else int(est.batch_size)
        plan = Plan(counts, batch)
        with est._threads():
            est._configure_engine(restart=True)
            seed = _broadcast_seed(conn, int(est._random_state.randint(0, 2**31 - 1)) << 31 |
                                   int(est._random_state.randint(0, 2**31 - 1)))
            if est.dropout > 0:
                engine.dropout_seed = (seed + (conn.rank if sync_every > 1 else 0)) % 2**63
            engine.reserve(max(1, min(batch, X.shape[0])))
            local = EpochData(contiguous(X), targets, labels, weights)
            divisor = est._loss_divisor()
            est.n_iter_ = 0
            problem = None

            def loss_term(stats, applied, rows):
                """This replica's share of the global batch's loss as scikit-learn
                reports it, times its rows (the penalty added where it is not summed)."""
                total = stats["weight_sum"] if applied is None else stats["divisor"]
                if not total:
                    return 0.0
                term = stats["loss_sum"] / divisor / total
                if applied is None:
                    term += stats["penalty"]
                elif conn.rank == 0:
                    term += applied["penalty"]
                return term * rows

            for it in range(est.max_iter):
                order = epoch_order(X.shape[0], est.shuffle, seed, it, conn.rank)
                result = run_epoch(conn, engine, est._objective, local, plan, order, sync_every,
                                   loss_term, None,
                                   sync_problem if sync_every == 1 else unapplied_step)
                rows = float(result.rows) if sync_every > 1 or conn.rank == 0 else 0.0
                packed = conn.allreduce(np.array([result.loss_terms, rows,
                                                  float(result.problem is not None)]))
                est.loss_ = float(packed[0] / packed[1]) if packed[1] else float("nan")
                est.n_iter_ += 1
                est.t_ += n_total
                est.loss_curve_.append(est.loss_)
                if est.verbose and conn.rank == 0:
                    print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
                conn.check_same(engine.params, "weights")
                if packed[2]:
                    problem = result.problem or "a replica's update was not applied"
                    problem = f"In iteration {est.n_iter_}, {problem}"
                    break
                est._update_no_improvement_count(None)
                est._iteration_ends()
                if est._no_improvement_count > est.n_iter_no_change:
                    if est._trigger_stopping(est._stall_message()):
                        break
                    est._no_improvement_count = 0
        est.__dict__.pop("_divergence", None)
        engine.touch()
        out = {"counters": conn.counters(), "problem": problem, "n_iter": est.n_iter_,
               "rows": X.shape[0], "counts": counts}
        if conn.rank == 0:
            out["estimator"] = est
        return out
