"""Flatten: (rows, d1, d2, ...) -> (rows, d1·d2·...)."""
from __future__ import annotations

from typing import Any

from .base import Layer

__all__ = ["Flatten"]


class Flatten(Layer):
    """Flattens each sample: (rows, 28, 28) images become (rows, 784). As the
    first layer it lets a model take multi-dimensional samples; after it, or
    on flat data, it changes nothing.

    Parameters
    ----------
    data_format : {None, "channels_last", "channels_first"}, optional
        Kept for configs: the order of the flattened values is the samples'
        C order either way.
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((28, 28)), fm.Flatten(), fm.Dense(10)])
    >>> model.output_shape
    (None, 10)
    """

    def __init__(self, data_format: Any = None, **kwargs: Any) -> None:
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"data_format must be None, 'channels_last' or 'channels_first'; "
                             f"got {data_format!r}")
        self.data_format = data_format
        super().__init__(**kwargs)

    def _takes_any_shape(self) -> bool:
        return True

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for Flatten.

        The base layer's keys (name, trainable, dtype) plus ``data_format``.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
