"""The base class of every callback: one no-op method per hook that fit,
evaluate and predict call, as in Keras 3."""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["Callback"]

Logs = Optional[dict]


class Callback:
    """Base class of callbacks: override the hooks you need.

    ``fit`` calls ``on_train_begin``; per epoch ``on_epoch_begin``, then per
    batch ``on_train_batch_begin`` / ``on_train_batch_end`` (whose base
    versions call the aliases ``on_batch_begin`` / ``on_batch_end``), the
    validation pass's ``on_test_*`` hooks, and ``on_epoch_end``; finally
    ``on_train_end``. ``evaluate`` calls the ``on_test_*`` hooks and
    ``predict`` the ``on_predict_*`` hooks. Epoch and batch indices are
    0-based. Batch logs hold the running means of the epoch so far; epoch logs
    add the ``val_`` values. Setting ``self.model.stop_training = True`` ends
    ``fit`` after the current batch (the epoch still finishes: validation and
    ``on_epoch_end`` run) or, from ``on_epoch_end``, after that epoch.

    Attributes
    ----------
    model : object or None
        The model being trained or run, set by ``set_model``.
    params : dict
        ``{"verbose": ..., "epochs": ..., "steps": ...}``, set by ``set_params``.

    Examples
    --------
    >>> import fastmlp as fm
    >>> class PrintLoss(fm.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch + 1}: loss {logs['loss']:.3f}")
    >>> model = fm.Sequential([fm.Input((2,)), fm.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> _ = model.fit([[0.0, 1.0]], [[1.0]], epochs=2, verbose=0,
    ...               callbacks=[PrintLoss()])  # doctest: +ELLIPSIS
    epoch 1: loss ...
    epoch 2: loss ...
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        """Give the callback the model it serves (``self.model``).

        Parameters
        ----------
        model : Model
            The model whose fit, evaluate or predict calls the callback.
        """
        self.model = model

    def set_params(self, params: dict) -> None:
        """Give the callback the run's parameters (``self.params``).

        Parameters
        ----------
        params : dict
            ``{"verbose": ..., "epochs": ..., "steps": ...}``.
        """
        self.params = params

    # ------------------------------------------------------------ fit

    def on_train_begin(self, logs: Logs = None) -> None:
        """Called once at the start of ``fit``.

        Parameters
        ----------
        logs : dict, optional
            Empty: there are no values yet.
        """

    def on_train_end(self, logs: Logs = None) -> None:
        """Called once at the end of ``fit``, with the last epoch's logs.

        Parameters
        ----------
        logs : dict, optional
            The last epoch's values.
        """

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Called at the start of each epoch (0-based).

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based (the first is fit's initial_epoch).
        logs : dict, optional
            Empty.
        """

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Called at the end of each epoch with its training and ``val_`` values.

        The logs dict is shared by the callbacks called after this one: a key
        added here (as ``ReduceLROnPlateau`` adds ``learning_rate``) reaches
        them and the History.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based (the first is fit's initial_epoch).
        logs : dict, optional
            The epoch's metric values, ``val_`` ones included (the same dict
            later callbacks and the History get).
        """

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each training batch; the base version calls ``on_batch_begin``.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            Empty.
        """
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each training batch with the epoch's running means;
        the base version calls ``on_batch_end``.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            The epoch's running means so far (``loss``, metrics).
        """
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Alias of ``on_train_batch_begin`` (training batches only).

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            Empty.
        """

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Alias of ``on_train_batch_end`` (training batches only).

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            The epoch's running means so far.
        """

    # ------------------------------------------------------------ evaluate / validation

    def on_test_begin(self, logs: Logs = None) -> None:
        """Called at the start of ``evaluate`` and of fit's validation pass.

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """

    def on_test_end(self, logs: Logs = None) -> None:
        """Called at the end of ``evaluate`` and of fit's validation pass.

        Parameters
        ----------
        logs : dict, optional
            The evaluation's values.
        """

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each evaluation batch.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            Empty.
        """

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each evaluation batch with the running means.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            The evaluation's running means so far.
        """

    # ------------------------------------------------------------ predict

    def on_predict_begin(self, logs: Logs = None) -> None:
        """Called at the start of ``predict``.

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """

    def on_predict_end(self, logs: Logs = None) -> None:
        """Called at the end of ``predict``.

        Parameters
        ----------
        logs : dict, optional
            Empty.
        """

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each prediction batch.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            Empty.
        """

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each prediction batch; ``logs["outputs"]`` holds its outputs.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            ``{"outputs": ...}``, the batch's outputs.
        """
