"""A Keras-dialect model trained as one replica of a data-parallel fit.

Every replica runs ``train_model`` on its own rows with a copy of the same
compiled model (same weights, optimizer state and dropout seed); the loop
mirrors ``Model.fit`` (per-epoch hyper-parameters, schedules per step,
metrics per epoch, a non-finite update stops training) with the replicas'
sums taken over the ring. Rank 0's result carries the trained state back.
"""
from __future__ import annotations

import time
from typing import Any, Optional

import numpy as np

from ..models.model import unapplied_step
from .replica import EpochData, epoch_order, run_epoch
from .ring import RingConnection
from .schedule import Plan

__all__ = ["train_model", "sync_problem"]


def sync_problem(stats: dict) -> Optional[str]:
    """Why a synchronous step's summed update was not (wholly) applied.

    Parameters
    ----------
    stats : dict
        The step's statistics from the engine (``finite``,
        ``gradients_finite``, ``rejected``, ...).

    Returns
    -------
    str or None
        A message when the loss was not finite on some replica, else what
        ``fastmlp.models.model.unapplied_step`` says (None when the update was
        wholly applied).
    """
    if not stats["finite"]:
        return ("the loss was NaN or infinite on a replica (that batch's update was not "
                "applied)")
    return unapplied_step(stats)


def _counts(conn: RingConnection, n: int) -> list:
    return [int(c) for c in conn.allgather_float(float(n))]


def train_model(conn: RingConnection, model: Any, x: Any, y: Any, sample_weight: Any = None,
                class_weight: Any = None, *, batch_size: int = 32, epochs: int = 1,
                shuffle: bool = True, seed: int = 0, sync_every: int = 1) -> dict:
    """Train this replica of ``model`` (compiled) on its rows ``(x, y)``.

    Parameters
    ----------
    conn : RingConnection
    model : fastmlp.Model
        Built and compiled; every replica holds the same state.
    x, y, sample_weight, class_weight
        This replica's rows, as ``Model.fit`` takes them.
    batch_size : int
        Rows each replica contributes per step.
    epochs : int
    shuffle : bool
        Shuffle each replica's rows every epoch (with ``seed``, ``epoch`` and the rank).
    seed : int
    sync_every : int
        1 for synchronous steps, H > 1 for local SGD.

    Returns
    -------
    dict
        ``history`` (per-epoch loss and metrics), ``counters`` (the ring's),
        ``problem`` (why training stopped early, or None), and on rank 0
        ``weights`` and ``optimizer_state``.
    """
    with model._lock:
        model._infer_input(x)
        data = model._prepare(x, y, sample_weight, class_weight)
        xs, values, labels, weights, loss, metrics = data
        net = model._network()
        engine = net.engine
        objective = model._objective(loss, metrics)
        conn.check_same(engine.params, "initial weights")
        counts = _counts(conn, len(xs))
        plan = Plan(counts, batch_size)
        engine.reserve(max(1, min(batch_size, len(xs))))
        if sync_every > 1:  # each replica its own dropout masks
            engine.dropout_seed = (engine.dropout_seed + conn.rank) % 2**64
        optimizer = model.optimizer
        schedule = optimizer.schedule is not None
        local = EpochData(xs, values, labels, weights)
        history: dict = {"loss": []}
        for m in metrics:
            history[m.name] = []
        problem = None
        seconds: list = []  # per epoch: (wall time, time inside the ring's calls)

        def before_step():
            """The schedule's learning rate for the step about to run,
            set on the engine before each step."""
            engine.set_learning_rate(optimizer.learning_rate_at(engine.iterations))

        def loss_term(stats, applied, rows):
            """This replica's share of the global batch's mean loss, times its rows
            (the weight penalty counted on rank 0 only, once for all replicas)."""
            if not stats["divisor"]:
                return 0.0
            term = stats["loss_sum"] / stats["divisor"] + stats["penalty"]
            if applied is not None and conn.rank == 0:  # the weight penalty, the same everywhere
                term += applied["penalty"]
            return term * rows

        for epoch in range(epochs):
            started, ring_before = time.perf_counter(), conn.counters()["seconds"]
            engine.set_hyperparameters(*optimizer.engine_args(engine.iterations)[1:])
            engine.set_clipping(*optimizer.clipping())
            for m in metrics:
                m.reset_state()
            order = epoch_order(len(xs), shuffle, seed, epoch, conn.rank)
            result = run_epoch(conn, engine, objective, local, plan, order, sync_every, loss_term,
                               before_step if schedule else None,
                               sync_problem if sync_every == 1 else unapplied_step)
            states = [m.state for m in metrics]
            rows = float(result.rows) if sync_every > 1 or conn.rank == 0 else 0.0
            packed = np.concatenate([[result.loss_terms, rows, float(result.problem is not None)]]
                                    + [s.ravel() for s in states])
            conn.allreduce(packed)
            offset = 3
            for s in states:
                s.ravel()[...] = packed[offset:offset + s.size]
                offset += s.size
            history["loss"].append(float(packed[0] / packed[1]) if packed[1] else float("nan"))
            for m in metrics:
                history[m.name].append(m.result())
            conn.check_same(engine.params, "weights")
            seconds.append((time.perf_counter() - started, conn.counters()["seconds"] - ring_before))
            if packed[2]:
                problem = result.problem or "a replica's update was not applied"
                problem = f"{problem} in epoch {epoch + 1}: training stopped"
                break
        engine.touch()
        out = {"history": history, "counters": conn.counters(), "problem": problem,
               "rows": len(xs), "counts": counts, "epoch_seconds": seconds}
        if conn.rank == 0:
            out["weights"] = model.get_weights()
            out["optimizer_state"] = net.optimizer_state()
        return out
