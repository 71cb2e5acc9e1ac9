"""LambdaCallback: a callback made of plain functions."""
from __future__ import annotations

from typing import Any, Callable, Optional

from .._validation import describe
from .callback import Callback

__all__ = ["LambdaCallback"]

Hook = Optional[Callable[..., Any]]


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given.

    The functions are called as Keras calls them:
    ``on_epoch_begin(epoch, logs)`` and ``on_epoch_end(epoch, logs)``,
    ``on_train_begin(logs)`` and ``on_train_end(logs)`` with positional
    arguments; ``on_train_batch_begin(batch, logs=logs)`` and
    ``on_train_batch_end(batch, logs=logs)`` with ``logs`` as a keyword, so
    their second parameter must be named ``logs`` (``lambda batch, logs: ...``).

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        ``f(batch, logs=logs)``.
    **kwargs
        Set as attributes, so any other hook works too (``on_batch_end=``,
        ``on_test_end=``, ``on_predict_batch_end=``...), as do plain attributes.

    Raises
    ------
    TypeError
        If a hook (an argument whose name starts with ``on_``) is not callable.

    Examples
    --------
    >>> import fastmlp as fm
    >>> losses = []
    >>> record = fm.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]),
    ...     on_train_batch_end=lambda batch, logs: None)
    """

    def __init__(self, on_epoch_begin: Hook = None, on_epoch_end: Hook = None,
                 on_train_begin: Hook = None, on_train_end: Hook = None,
                 on_train_batch_begin: Hook = None, on_train_batch_end: Hook = None,
                 **kwargs: Any) -> None:
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, value in list(kwargs.items()) + list(hooks.items()):
            if name.startswith("on_") and value is not None and not callable(value):
                raise TypeError(f"{name} must be a function; got {describe(value)}")
        self.__dict__.update(kwargs)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
