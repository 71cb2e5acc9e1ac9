"""CallbackList: calls each hook on every callback in order, with the logs
made plain (sorted keys, Python floats) as Keras's pythonify_logs does."""
from __future__ import annotations

import numbers
from typing import Any, Iterable, Iterator, Optional

import numpy as np

from .._validation import describe
from .callback import Callback, Logs
from .history import History
from .progbar_logger import ProgbarLogger, ProgressBar

__all__ = ["CallbackList"]


def plain_logs(logs: Logs) -> dict:
    """The logs as callbacks receive them: keys sorted, nested dicts flattened,
    numbers (numpy scalars and 0-d arrays included) as Python floats; other
    values (arrays of outputs, strings) as given.

    Parameters
    ----------
    logs : dict or None
        The logs to convert.

    Returns
    -------
    dict
        A new dict.

    Examples
    --------
    >>> import numpy as np
    >>> plain_logs({"loss": np.float32(0.5), "accuracy": 1})
    {'accuracy': 1.0, 'loss': 0.5}
    """
    result: dict = {}
    if not logs:
        return result
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(plain_logs(value))
        elif isinstance(value, (numbers.Real, np.bool_)):
            result[key] = float(value)
        elif isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf":
            result[key] = float(value)
        else:
            result[key] = value
    return result


class CallbackList(Callback):
    """Dispatches every hook to a list of callbacks, in list order.

    Batch hooks pass ``logs`` as a keyword argument and the others pass it
    positionally, as Keras does (it matters for ``LambdaCallback``). Each
    dispatch hands all the callbacks the same dict, so a key that one adds in
    ``on_epoch_end`` reaches those after it.

    Parameters
    ----------
    callbacks : iterable of Callback, optional
        The callbacks, called in this order.
    model : object, optional
        Given to each callback with ``set_model``.
    params : dict, optional
        ``{"verbose", "epochs", "steps"}``, given to each callback with ``set_params``.
    add_history : bool, default False
        Append a ``History`` unless the list has one; it is ``self.history``
        and becomes ``model.history``.
    add_progbar : bool, default False
        Append a ``ProgbarLogger`` (the progress display, which reads the
        verbosity from ``params``) unless the list has a progress display.

    Examples
    --------
    >>> from fastmlp.callbacks import CallbackList, History
    >>> callbacks = CallbackList([], model=None, params={"verbose": 0, "epochs": 1, "steps": 1},
    ...                          add_history=True)
    >>> callbacks.on_train_begin()
    >>> callbacks.on_epoch_end(0, {"loss": 0.5})
    >>> callbacks.history.history
    {'loss': [0.5]}
    """

    def __init__(self, callbacks: Optional[Iterable[Callback]] = None, model: Any = None,
                 params: Optional[dict] = None, *, add_history: bool = False,
                 add_progbar: bool = False) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(cb, ProgressBar) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def calls_any(self, *hooks: str) -> bool:
        """Whether a callback of the list (other than History and the progress
        display) does something in one of `hooks` (fastmlp's addition): then
        the caller runs its work batch by batch so that they can be called.

        Parameters
        ----------
        *hooks : str
            Hook names, such as ``"on_predict_batch_end"``.

        Returns
        -------
        bool
            True when some callback overrides one of them.
        """
        for cb in self.callbacks:
            if isinstance(cb, (History, ProgressBar)):
                continue
            for hook in hooks:
                function = getattr(cb, hook, None)
                if getattr(function, "__func__", None) is not getattr(Callback, hook):
                    return True
        return False

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def append(self, callback: Callback) -> None:
        """Add a callback at the end of the list, as Keras.

        Parameters
        ----------
        callback : Callback
            The callback to add.
        """
        self.callbacks.append(callback)

    def set_model(self, model: Any) -> None:
        """Give `model` to this list and to each of its callbacks.

        When the list holds a History and `model` is not None, the History
        also becomes ``model.history``.

        Parameters
        ----------
        model : Model or None
            The model whose fit, evaluate or predict calls the callbacks.
        """
        super().set_model(model)
        if self.history is not None and model is not None:
            model.history = self.history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict) -> None:
        """Give the run's parameters to this list and to each of its callbacks.

        Parameters
        ----------
        params : dict
            ``{"verbose": ..., "epochs": ..., "steps": ...}``.
        """
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    # Each hook: the same plain dict to every callback; batch hooks by keyword.

    def on_train_begin(self, logs: Logs = None) -> None:
        """Call each callback's ``on_train_begin``, in list order.

        Called at the start of ``fit``. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed positionally to every
        callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs: Logs = None) -> None:
        """Call each callback's ``on_train_end``, in list order.

        Called at the end of ``fit``. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed positionally to every
        callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_epoch_begin``, in list order.

        Called at the start of each epoch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed positionally to every
        callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_epoch_end``, in list order.

        Called at the end of each epoch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed positionally to every
        callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_train_batch_begin``, in list order.

        Called before each training batch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed by keyword (``logs=``) to
        every callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_train_batch_end``, in list order.

        Called after each training batch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed by keyword (``logs=``) to
        every callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_train_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_batch_begin``, in list order.

        Called as the alias of ``on_train_batch_begin``. The logs are made plain
        once (see ``plain_logs``) and the same dict is passed by keyword
        (``logs=``) to every callback, so a key one callback adds reaches those
        after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_batch_end``, in list order.

        Called as the alias of ``on_train_batch_end``. The logs are made plain
        once (see ``plain_logs``) and the same dict is passed by keyword
        (``logs=``) to every callback, so a key one callback adds reaches those
        after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: Logs = None) -> None:
        """Call each callback's ``on_test_begin``, in list order.

        Called at the start of ``evaluate`` or of fit's validation pass. The
        logs are made plain once (see ``plain_logs``) and the same dict is
        passed positionally to every callback, so a key one callback adds
        reaches those after it.

        Parameters
        ----------
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_test_begin(logs)

    def on_test_end(self, logs: Logs = None) -> None:
        """Call each callback's ``on_test_end``, in list order.

        Called at the end of ``evaluate`` or of fit's validation pass. The logs
        are made plain once (see ``plain_logs``) and the same dict is passed
        positionally to every callback, so a key one callback adds reaches those
        after it.

        Parameters
        ----------
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_test_end(logs)

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_test_batch_begin``, in list order.

        Called before each evaluation batch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed by keyword (``logs=``) to
        every callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_test_batch_end``, in list order.

        Called after each evaluation batch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed by keyword (``logs=``) to
        every callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_test_batch_end(batch, logs=logs)

    def on_predict_begin(self, logs: Logs = None) -> None:
        """Call each callback's ``on_predict_begin``, in list order.

        Called at the start of ``predict``. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed positionally to every
        callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_predict_begin(logs)

    def on_predict_end(self, logs: Logs = None) -> None:
        """Call each callback's ``on_predict_end``, in list order.

        Called at the end of ``predict``. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed positionally to every
        callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_predict_end(logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_predict_batch_begin``, in list order.

        Called before each prediction batch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed by keyword (``logs=``) to
        every callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Call each callback's ``on_predict_batch_end``, in list order.

        Called after each prediction batch. The logs are made plain once (see
        ``plain_logs``) and the same dict is passed by keyword (``logs=``) to
        every callback, so a key one callback adds reaches those after it.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch or run, 0-based.
        logs : dict, optional
            The values to pass on; None is passed on as an empty dict.
        """
        logs = plain_logs(logs)
        for cb in self.callbacks:
            cb.on_predict_batch_end(batch, logs=logs)


def check_callbacks(callbacks: Any) -> list:
    """fit's ``callbacks`` argument as a list of Callback objects.

    Parameters
    ----------
    callbacks : None, Callback, or list/tuple of Callback

    Returns
    -------
    list of Callback

    Raises
    ------
    TypeError
        For anything else, naming the offending item.

    Examples
    --------
    >>> from fastmlp.callbacks import History, check_callbacks
    >>> len(check_callbacks(History()))
    1
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of Callback objects; got {describe(callbacks)}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks[{i}] must be a fastmlp Callback; got {describe(cb)}")
    return list(callbacks)
