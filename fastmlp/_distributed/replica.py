"""One replica's epoch of data-parallel training, for either dialect.

Synchronous (``sync_every=1``): every step each replica computes the
gradients of its share of the global batch (``shard_gradients``, normalised
by the global batch's rows or weight sum, dropout keyed on global row
indices), the ring sums the gradient arenas (one allreduce of the
parameters' size plus one flag value), and every replica applies the same
update (``apply_gradients``): the replicas stay bitwise identical, and take
the single-process step on the global batch.

Local SGD (``sync_every=H > 1``): each replica takes ordinary steps on its
own batches and the replicas' parameters are averaged every H steps and at
the end of each epoch (the optimizers' state stays each replica's own, as in
PyTorch's post-local SGD).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .ring import RingConnection
from .schedule import Plan

__all__ = ["EpochData", "EpochResult", "run_epoch", "epoch_order", "average_parameters"]


@dataclass
class EpochData:
    """One replica's training data, in the engine's form.

    Attributes
    ----------
    x : ndarray
        (rows, features), C-contiguous, the model's dtype.
    values, labels : ndarray or None
        The targets (float values, or int64 class indices).
    weights : ndarray or None
        float64 sample weights.
    """
    x: np.ndarray
    values: Optional[np.ndarray]
    labels: Optional[np.ndarray]
    weights: Optional[np.ndarray]


@dataclass
class EpochResult:
    """What one epoch did, summed over the replicas where it says so.

    Attributes
    ----------
    loss_terms : float
        This replica's share of Σ_steps (loss term × rows of the step); the
        caller adds the shares (an allreduce) and divides.
    rows : int
        Rows trained on (all replicas' in sync mode; this replica's in local SGD).
    steps : int
        Updates applied.
    problem : str or None
        Why a step's update was not applied (training stops), else None.
    """
    loss_terms: float = 0.0
    rows: int = 0
    steps: int = 0
    problem: Optional[str] = None


def epoch_order(n: int, shuffle: bool, seed: int, epoch: int, rank: int) -> np.ndarray:
    """This replica's row order for an epoch.

    Parameters
    ----------
    n : int
        Rows the replica holds.
    shuffle : bool
        Whether to shuffle; without it the order is ``0 .. n-1``.
    seed : int
        The fit's seed (its low 63 bits are used).
    epoch, rank : int
        Together with `seed`, they seed a stream of its own for each rank and
        epoch, so the order is reproducible.

    Returns
    -------
    numpy.ndarray
        A permutation of ``range(n)`` as int64.
    """
    if not shuffle:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng([seed & (2**63 - 1), epoch, rank])
    return rng.permutation(n).astype(np.int64)


def average_parameters(conn: RingConnection, engine) -> None:
    """Replace the replicas' parameters by their mean, on every rank.

    The allreduce sums the parameter arena in place and each rank divides by
    the world size, so every rank ends with the same bytes; the engine is then
    touched. Every rank must call it at the same point (local SGD's
    averaging steps).

    Parameters
    ----------
    conn : RingConnection
        This rank's ring.
    engine : fastmlp._engine.Network
        The replica's engine; its ``params`` arena is modified in place.

    Raises
    ------
    RingError
        If the allreduce fails.
    """
    params = engine.params
    conn.allreduce(params)
    params /= params.dtype.type(conn.world)
    engine.touch()


def run_epoch(conn: RingConnection, engine, objective, data: EpochData, plan: Plan,
              order: np.ndarray, sync_every: int, loss_term: Callable[[dict, dict, int], float],
              before_step: Optional[Callable[[], None]] = None,
              describe_problem: Optional[Callable[[dict], Optional[str]]] = None) -> EpochResult:
    """Train one epoch on this replica.

    Parameters
    ----------
    conn : RingConnection
    engine : fastmlp._engine.Network
        With its optimizer set and its training buffers reserved for
        ``plan.batch`` rows.
    objective : fastmlp._engine.Objective
    data : EpochData
    plan : Plan
    order : ndarray
        This replica's row order for the epoch.
    sync_every : int
        1: synchronous steps; H > 1: local SGD averaging every H steps.
    loss_term : callable
        ``loss_term(shard_stats, apply_stats, rows)`` → this replica's share of
        the step's loss term (sync mode; ``apply_stats`` is the update's, the
        same on every replica), or ``loss_term(stats, None, rows)`` for a
        local step.
    before_step : callable, optional
        Called before each step (a learning-rate schedule).
    describe_problem : callable, optional
        ``describe_problem(stats)`` → why an update was not applied, or None.

    Returns
    -------
    EpochResult
    """
    rank = conn.rank
    result = EpochResult()
    if sync_every == 1:
        totals = conn.allreduce(plan.local_weight_sums(rank, order, data.weights))
        for s in range(plan.steps):
            rows_total, weight_total = plan.rows_total(s), float(totals[s])
            if weight_total == 0:  # nothing to learn in this batch (all weights zero)
                continue
            if before_step is not None:
                before_step()
            shard = engine.shard_gradients(data.x, data.values, data.labels, order,
                                           plan.start(rank, s), plan.share(rank, s),
                                           data.weights, objective, plan.row0(rank, s),
                                           rows_total, weight_total)
            conn.allreduce(engine.sync_buffer)
            applied = engine.apply_gradients(objective, rows_total, weight_total)
            result.loss_terms += loss_term(shard, applied, rows_total)
            result.rows += rows_total
            result.steps += int(applied["applied"])
            problem = describe_problem(applied) if describe_problem else None
            if problem:
                result.problem = problem
                break
        return result
    since_sync = 0
    for s in range(plan.steps):
        count = plan.share(rank, s)
        if count:
            if before_step is not None:
                before_step()
            stats = engine.train_batch(data.x, data.values, data.labels, order,
                                       plan.start(rank, s), count, data.weights, objective)
            result.loss_terms += loss_term(stats, None, count)
            result.rows += count
            result.steps += int(stats["applied"])
            problem = describe_problem(stats) if describe_problem else None
            if problem and result.problem is None:
                result.problem = problem
        since_sync += 1
        if since_sync == sync_every:
            average_parameters(conn, engine)
            since_sync = 0
    if since_sync:
        average_parameters(conn, engine)
    return result
