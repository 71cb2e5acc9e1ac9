"""ModelCheckpoint: save the model or its weights during training."""
from __future__ import annotations

import numbers
import os
import warnings
from typing import Optional, Union

from .._validation import check_bool, check_int, describe
from .callback import Logs
from .monitor_callback import MonitorCallback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model (``model.save``) or its weights (``model.save_weights``)
    at the end of every epoch, or every ``save_freq`` batches.

    The file name is ``filepath.format(epoch=epoch + 1, **logs)`` (plus
    ``batch=batch + 1`` for batch-frequency saves), so
    ``"model_{epoch:02d}_{val_loss:.2f}.keras"`` gives ``model_01_0.64.keras``;
    missing directories are created. With ``save_best_only`` it saves only
    when the monitored value improves on the best so far (which starts at
    ``initial_value_threshold``), and saves anyway, with a warning, when the
    value is not logged.

    Parameters
    ----------
    filepath : str or os.PathLike
        Must end in ``.weights.h5`` with ``save_weights_only=True``, otherwise
        in ``.keras`` or ``.h5``.
    monitor : str, default "val_loss"
    verbose : int, default 0
        1 prints what it saves, or why it did not.
    save_best_only : bool, default False
    save_weights_only : bool, default False
    mode : {"auto", "min", "max"}, default "auto"
    save_freq : "epoch" or int, default "epoch"
        An int N saves after every N training batches, counted across epochs,
        with the batch logs.
    initial_value_threshold : float, optional
        The value to beat for the first save with ``save_best_only``.

    Notes
    -----
    The direction of ``monitor`` ("auto" mode) is resolved at the first save
    with ``save_best_only``; Keras resolves it at every first epoch end, and
    so refuses an unresolvable ``monitor`` that it would not use.

    Raises
    ------
    ValueError
        For a file name without the extension required (Keras's messages) or
        a ``save_freq`` other than "epoch" or a positive int.
    KeyError
        During fit, when ``filepath`` names a value that is not logged.
    OSError
        During fit, when the file name is an existing directory.

    Examples
    --------
    >>> import fastmlp as fm
    >>> checkpoint = fm.callbacks.ModelCheckpoint("checkpoints/best.keras",
    ...                                           monitor="val_accuracy", save_best_only=True)
    """

    def __init__(self, filepath: Union[str, os.PathLike], monitor: str = "val_loss",
                 verbose: int = 0, save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: Union[str, int] = "epoch",
                 initial_value_threshold: Optional[float] = None) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath must be a path; got {describe(filepath)}")
        self.filepath = os.fspath(filepath)
        if not isinstance(self.filepath, str):
            raise TypeError(f"filepath must be a text path; got {describe(filepath)}")
        self.verbose = check_int(verbose, "verbose", minimum=0)
        self.save_best_only = check_bool(save_best_only, "save_best_only")
        self.save_weights_only = check_bool(save_weights_only, "save_weights_only")
        if not (isinstance(save_freq, str) and save_freq == "epoch"):
            if not isinstance(save_freq, numbers.Integral) or isinstance(save_freq, bool):
                raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                                 f"'epoch' or integer values")
            save_freq = check_int(save_freq, "save_freq", minimum=1)
        self.save_freq = save_freq
        if self.save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(f"When using `save_weights_only=True` in `ModelCheckpoint`, the "
                                 f"filepath provided must end in `.weights.h5` (Keras weights "
                                 f"format). Received: filepath={self.filepath}")
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(f"The filepath provided must end in `.keras` (Keras model format). "
                             f"Received: filepath={self.filepath}")
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: Optional[int] = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Remember the current epoch, for file names of batch-frequency saves.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            Unused.
        """
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Save the model when an integer ``save_freq`` of batches has passed.

        Batches are counted across epochs; nothing happens when ``save_freq``
        is ``"epoch"``.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict, optional
            The running values of the epoch, available to the file name and to
            ``save_best_only``.

        Raises
        ------
        IsADirectoryError
            If the formatted file path is an existing directory.
        KeyError
            If the file path names a key that the logs lack.
        """
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Save the model at the end of the epoch when ``save_freq`` is ``"epoch"``.

        With ``save_best_only`` it saves only when the monitored value
        improves (or is missing, with a warning); it writes the weights alone
        with ``save_weights_only``.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based (``{epoch}`` in the file path is 1-based).
        logs : dict, optional
            The epoch's values, available to the file path's format fields.

        Raises
        ------
        IsADirectoryError
            If the formatted file path is an existing directory.
        KeyError
            If the file path names a key that the logs lack.
        """
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts batches across epochs (a batch index that does not grow
        starts a new epoch); True every ``save_freq`` of them."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}", flush=True)
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if self.monitor_op is None:  # only save_best_only needs the direction
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}", flush=True)
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}", flush=True)
        return False

    def _save_model(self, epoch: int, batch: Optional[int], logs: Logs) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"Please specify a non-directory filepath for ModelCheckpoint. "
                                    f"Filepath used is an existing directory: {filepath}")
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}", flush=True)

    def _get_file_path(self, epoch: int, batch: Optional[int], logs: dict) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as exc:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {exc}") from None
