"""Which rows make up each global batch of a data-parallel epoch.

Replica r holds ``counts[r]`` rows and, in each epoch, walks them in its own
order (shuffled or not), ``batch`` rows a step. Step s's global batch is the
replicas' pieces in rank order: replica r's rows ``order_r[s·b : (s+1)·b]``
are rows ``row0(r, s) .. row0(r, s) + share(r, s) − 1`` of it. A replica
whose rows ran out contributes nothing to the last steps; so an epoch has
``ceil(max(counts) / batch)`` steps and sees every row once. A single process
given the concatenated pieces in that order, and the same batch boundaries,
takes the same steps (tests/test_distributed_engine.py builds it).
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

__all__ = ["Plan"]


class Plan:
    """The global batches of one epoch.

    Parameters
    ----------
    counts : sequence of int
        Rows held by each replica, in rank order (the same on every replica).
    batch : int
        Rows each replica contributes per step (the last ones may have fewer).
    """

    def __init__(self, counts: Sequence[int], batch: int):
        if batch < 1:
            raise ValueError(f"batch must be >= 1; got {batch}")
        self.counts = [int(c) for c in counts]
        self.batch = int(batch)
        self.steps = max(0, -(-max(self.counts) // self.batch)) if self.counts else 0
        # shares[s, r]: rows replica r gives step s
        starts = np.arange(self.steps, dtype=np.int64)[:, None] * self.batch
        self.shares = np.clip(np.asarray(self.counts, dtype=np.int64)[None, :] - starts, 0,
                              self.batch)
        self.offsets = np.concatenate([np.zeros((self.steps, 1), dtype=np.int64),
                                       np.cumsum(self.shares, axis=1)[:, :-1]], axis=1)

    def share(self, rank: int, step: int) -> int:
        """Rows replica `rank` contributes to step `step`.

        Parameters
        ----------
        rank : int
            The replica, in ``[0, len(counts))``.
        step : int
            The step, in ``[0, steps)``.

        Returns
        -------
        int
            Between 0 (its rows ran out) and ``batch``.
        """
        return int(self.shares[step, rank])

    def start(self, rank: int, step: int) -> int:
        """Where replica `rank`'s rows for `step` start in its own order.

        Parameters
        ----------
        rank : int
            The replica, in ``[0, len(counts))``.
        step : int
            The step (any non-negative int).

        Returns
        -------
        int
            ``step * batch``, capped at the replica's row count; its rows for the
            step are ``order[start : start + share(rank, step)]``.
        """
        return min(step * self.batch, self.counts[rank])

    def row0(self, rank: int, step: int) -> int:
        """Index of replica `rank`'s first row in step `step`'s global batch.

        Parameters
        ----------
        rank : int
            The replica, in ``[0, len(counts))``.
        step : int
            The step, in ``[0, steps)``.

        Returns
        -------
        int
            The sum of the lower ranks' shares of that step.
        """
        return int(self.offsets[step, rank])

    def rows_total(self, step: int) -> int:
        """Rows in step `step`'s global batch, summed over every replica.

        Parameters
        ----------
        step : int
            The step, in ``[0, steps)``.

        Returns
        -------
        int
            The sum of the replicas' shares of that step.
        """
        return int(self.shares[step].sum())

    def local_weight_sums(self, rank: int, order: np.ndarray, weights) -> np.ndarray:
        """Per step, the sum of replica ``rank``'s weights in it (its row count
        without weights), added in row order."""
        out = np.zeros(self.steps, dtype=np.float64)
        for s in range(self.steps):
            count = self.share(rank, s)
            if count:
                start = self.start(rank, s)
                if weights is None:
                    out[s] = count
                else:
                    total = 0.0
                    for w in weights[order[start:start + count]]:
                        total += float(w)
                    out[s] = total
        return out

    def global_order(self, orders: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Each step's global batch as (rank, local row) pairs, for references.

        A single process fed the rows in this order, with the same batch
        boundaries, takes the same steps as the replicas; tests build such
        references with it.

        Parameters
        ----------
        orders : sequence of numpy.ndarray
            Each replica's row order for the epoch, in rank order.

        Returns
        -------
        list of list of tuple
            One list per step of ``(rank, row)`` pairs, ranks in order.
        """
        batches = []
        for s in range(self.steps):
            parts = []
            for r, order in enumerate(orders):
                start, count = self.start(r, s), self.share(r, s)
                parts += [(r, int(i)) for i in order[start:start + count]]
            batches.append(parts)
        return batches
