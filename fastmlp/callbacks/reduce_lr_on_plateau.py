"""ReduceLROnPlateau, as Keras 3 does it."""
from __future__ import annotations

import warnings

import numpy as np

from .._validation import check_float, check_int
from .callback import Logs
from .monitor_callback import MonitorCallback

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when a monitored value stops improving.

    At each epoch end it first adds the rate used during the epoch to the logs
    as ``learning_rate``. Then, if the monitored value is present: during a
    cooldown the cooldown counter goes down by one and ``wait`` is reset; an
    improvement (by more than ``min_delta``) records the new best and resets
    ``wait``; otherwise, outside a cooldown, ``wait`` grows and, once it
    reaches ``patience``, the rate becomes ``max(lr * factor, min_lr)`` —
    provided it is above ``min_lr`` when both are rounded to float32, as
    Keras compares them (its rate is a float32 variable), so a rate that has
    reached ``min_lr`` stays there — and a cooldown of ``cooldown`` epochs
    starts.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float, default 0.1
        In (0, 1).
    patience : int, default 10
        Epochs without improvement before the rate is reduced.
    verbose : int, default 0
        1 prints ``Epoch N: ReduceLROnPlateau reducing learning rate to LR.``
    mode : {"auto", "min", "max"}, default "auto"
    min_delta : float, default 1e-4
    cooldown : int, default 0
        Epochs to wait after a reduction before counting again.
    min_lr : float, default 0
        The lowest rate it sets.

    Raises
    ------
    ValueError
        For ``factor >= 1`` (Keras's message), ``factor <= 0``, or other
        arguments out of range; TypeError for arguments of the wrong kind.
        During fit, TypeError if the optimizer's rate comes from a
        ``LearningRateSchedule`` and cannot be set.

    Examples
    --------
    >>> import fastmlp as fm
    >>> reduce_lr = fm.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2,
    ...                                            min_lr=1e-4)
    >>> # model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[reduce_lr])
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        factor = check_float(factor, "factor")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.factor = check_float(factor, "factor", 0.0, 1.0, low_open=True, high_open=True)
        self.min_lr = check_float(min_lr, "min_lr", 0.0)
        self.patience = check_int(patience, "patience", minimum=0)
        self.verbose = check_int(verbose, "verbose", minimum=0)
        self.cooldown = check_int(cooldown, "cooldown", minimum=0)
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether a reduction happened less than ``cooldown`` epochs ago, as Keras.

        Returns
        -------
        bool
            True while the cooldown lasts.
        """
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Logs = None) -> None:
        """Reset the wait and cooldown counters and the best value for a new ``fit``.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Log the learning rate and reduce it when the monitored value stalls.

        Adds ``learning_rate`` to `logs`. When the monitored value is missing
        it warns and does nothing more. During a cooldown the wait is held at
        0; otherwise after ``patience`` epochs without improvement the rate is
        multiplied by ``factor`` (not below ``min_lr``) and the cooldown
        starts.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The epoch's values, updated in place.
        """
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = float(optimizer.learning_rate)
        if not np.float32(old_lr) > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.",
                  flush=True)
        return True
