"""EarlyStopping, as Keras 3 does it."""
from __future__ import annotations

import warnings
from typing import Optional

from .._validation import check_bool, check_float, check_int
from .callback import Logs
from .monitor_callback import MonitorCallback

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored value has stopped improving.

    At each epoch end (from ``start_from_epoch`` on) the counter ``wait`` is
    incremented first; an improvement on the best value by more than
    ``min_delta`` records the epoch as the best and resets ``wait`` to 0
    (unless ``baseline`` is given and not beaten: then ``wait`` keeps
    growing); an epoch without improvement stops training once
    ``wait >= patience``, never at epoch 0. With ``patience=0`` the first
    epoch without improvement stops.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logged value to watch.
    min_delta : float, default 0
        The smallest change counted as an improvement (its sign is ignored).
    patience : int, default 0
        Epochs without improvement tolerated before stopping.
    verbose : int, default 0
        1 prints ``Epoch N: early stopping`` and the restoring message.
    mode : {"auto", "min", "max"}, default "auto"
        See ``MonitorCallback``: names containing "loss" are minimised,
        others follow their compiled metric's direction.
    baseline : float, optional
        A value to reach: improvements that do not beat it do not reset ``wait``.
    restore_best_weights : bool, default False
        At the end of training, set the weights of the best epoch, whether or
        not this callback stopped training (Keras 3's behaviour; Keras 2 only
        restored when it stopped training itself).
    start_from_epoch : int, default 0
        Epochs before this one are ignored entirely (not even candidates for best).

    Attributes
    ----------
    wait, stopped_epoch, best, best_epoch, best_weights
        The state after (or during) training; ``stopped_epoch`` is 0 when it
        did not stop training.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong kind or out of range (a deliberate
        difference: Keras falls back to "auto" for an unknown mode).
    ValueError
        At the first epoch end, when ``mode="auto"`` cannot tell the direction
        of ``monitor``.

    Examples
    --------
    >>> import fastmlp as fm
    >>> stopper = fm.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    >>> # model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stopper])
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: Optional[float] = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = check_int(patience, "patience", minimum=0)
        self.verbose = check_int(verbose, "verbose", minimum=0)
        self.baseline = None if baseline is None else check_float(baseline, "baseline")
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")
        self.start_from_epoch = check_int(start_from_epoch, "start_from_epoch", minimum=0)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs: Logs = None) -> None:
        """Reset the state for a new ``fit``.

        The wait counter, stopped epoch, best value, best weights and best
        epoch start over, so an instance can serve several runs.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Compare the monitored value with the best so far and stop when it stalls.

        Epochs before ``start_from_epoch``, or whose logs lack the monitored
        value, are skipped. An improvement (beyond ``min_delta``) records the
        value, the epoch and, with ``restore_best_weights``, the weights; the
        wait resets only when the value also beats ``baseline`` (if set). After
        ``patience`` epochs without it (and not at epoch 0), it records
        ``stopped_epoch`` and sets ``model.stop_training = True``.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The epoch's values; the ``monitor`` key is read.
        """
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs = None) -> None:
        """Report the stop and restore the best weights, as Keras.

        With ``verbose > 0`` it prints the epoch (1-based) at which training
        stopped. With ``restore_best_weights`` and best weights recorded, it
        sets the model's weights to them, even when training did not stop
        early.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.", flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: Logs) -> Optional[float]:
        """The monitored value in ``logs``, or None (with a warning) when absent, as Keras.

        Parameters
        ----------
        logs : dict or None
            An epoch's logs.

        Returns
        -------
        float or None
            ``logs[monitor]``.
        """
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=2)
        return value
