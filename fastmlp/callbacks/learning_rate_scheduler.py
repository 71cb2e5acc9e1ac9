"""LearningRateScheduler: the learning rate as a function of the epoch."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._validation import check_int, describe
from .callback import Callback, Logs

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch.

    ``on_epoch_begin`` calls ``schedule(epoch, lr)`` with the 0-based epoch
    and the current rate as a float; if that raises TypeError (a one-argument
    function, say) it calls ``schedule(epoch)``. The result must be a float
    (Python, ``np.float32`` or ``np.float64``) and is assigned to
    ``model.optimizer.learning_rate``. ``on_epoch_end`` adds the rate used to
    the logs as ``learning_rate``, so that the History records it.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> float`` or ``schedule(epoch) -> float``.
    verbose : int, default 0
        1 prints ``Epoch N: LearningRateScheduler setting learning rate to LR.``

    Raises
    ------
    TypeError
        If ``schedule`` is not callable.
    ValueError
        During fit, if the schedule returns something other than a float, or
        the optimizer has no ``learning_rate``; the optimizer's own check
        refuses a rate that is not positive. An optimizer built with a
        ``LearningRateSchedule`` refuses the assignment with TypeError.

    Examples
    --------
    >>> import fastmlp as fm
    >>> def halve_after_ten(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.5
    >>> scheduler = fm.LearningRateScheduler(halve_after_ten)
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(epoch, lr) or schedule(epoch); "
                            f"got {describe(schedule)}")
        self.schedule = schedule
        self.verbose = check_int(verbose, "verbose", minimum=0)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Set the optimizer's learning rate from the schedule for this epoch.

        Calls ``schedule(epoch, lr)`` with the current rate, falling back to
        ``schedule(epoch)`` when that raises TypeError, as Keras does, and
        prints the new rate when ``verbose > 0``.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            Unused.

        Raises
        ------
        ValueError
            If the optimizer has no ``learning_rate`` attribute, or the schedule
            returns something other than a Python or NumPy float.
        """
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # Keras's fallback: a schedule of the epoch alone
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.", flush=True)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Log the learning rate used in the epoch.

        Adds ``learning_rate`` (a float) to `logs`, so later callbacks and the
        History see it.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The epoch's values, updated in place; nothing happens when None.
        """
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
