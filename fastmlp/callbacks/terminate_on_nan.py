"""TerminateOnNaN: stop (or fail) when a batch's loss is NaN or infinite."""
from __future__ import annotations

import math

from .._validation import check_bool
from .callback import Callback, Logs

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite.

    Checked after every training batch (in ``on_batch_end``). fit already
    stops with a RuntimeWarning on a non-finite loss; this callback adds
    Keras's message, or an exception.

    Parameters
    ----------
    raise_error : bool, default False
        False: print ``Batch N: Invalid loss, terminating training`` and set
        ``model.stop_training``. True: raise RuntimeError at once.

    Raises
    ------
    RuntimeError
        With ``raise_error=True``, from the batch whose loss is not finite.

    Examples
    --------
    >>> import fastmlp as fm
    >>> callbacks = [fm.TerminateOnNaN(raise_error=True)]
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = check_bool(raise_error, "raise_error")

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Stop training when the batch's loss is NaN or infinite.

        Prints a message and sets ``model.stop_training = True``, or raises
        with ``raise_error=True``. Logs without a ``loss`` are ignored.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict, optional
            The running values of the epoch; ``loss`` is read.

        Raises
        ------
        RuntimeError
            If the loss is not finite and ``raise_error`` is True.
        """
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               f"Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
        self.model.stop_training = True
