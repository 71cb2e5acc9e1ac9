"""Input and InputLayer: where a model's data comes in."""
from __future__ import annotations

from typing import Any, Optional

from .._validation import check_int
from .base import KerasTensor, Layer, feature_shape

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """A model's entry: declares the shape of a sample (without the batch
    dimension). `fm.Input(shape)` makes one and returns its KerasTensor.

    Parameters
    ----------
    shape : tuple of int
        One sample's shape, such as (784,).
    batch_size : int, optional
        Kept for configs (any batch size works).
    dtype : optional
        Kept for configs (the model's dtype decides).
    sparse : bool, optional
        Only False/None: sparse inputs are refused (densify them).
    batch_shape : tuple, optional
        ``(None, *shape)``, instead of `shape`.
    name : str, optional
        The layer's name.
    input_shape : tuple, optional
        Keras 2's name for `shape`.
    **kwargs
        The other arguments of `Layer`.

    Raises
    ------
    ValueError
        Without a shape, or for sparse inputs.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Sequential([fm.InputLayer(shape=(4,)), fm.Dense(2)]).input_shape
    (None, 4)
    """

    def __init__(self, shape: Any = None, batch_size: Optional[int] = None, dtype: Any = None,
                 sparse: Optional[bool] = None, batch_shape: Any = None,
                 name: Optional[str] = None, input_shape: Any = None, **kwargs: Any) -> None:
        if sparse:
            raise ValueError("sparse inputs are not supported by fastmlp's Keras dialect "
                             "(densify them first)")
        kwargs.pop("ragged", None)
        kwargs.pop("optional", None)
        if shape is not None:
            declared = feature_shape(shape, "shape", batch=False)
        elif batch_shape is not None:
            declared = feature_shape(batch_shape, "batch_shape", batch=True)
        elif input_shape is not None:
            declared = feature_shape(input_shape, "input_shape", batch=False)
        else:
            raise ValueError("InputLayer needs shape=(features,)")
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size",
                                                                    minimum=1)
        super().__init__(name=name, dtype=dtype, input_shape=declared,
                         **kwargs)
        self._materialize(self.width)
        self.output = KerasTensor(self._input_shape, self, None)

    @property
    def width(self) -> int:
        """The number of features of a sample (the product of its shape).

        int, such as 784 for ``shape=(28, 28)``.
        """
        width = 1
        for d in self._input_shape:
            width *= d
        return width

    def _takes_any_shape(self) -> bool:
        return True

    def get_config(self) -> dict:
        """The layer's configuration, as Keras 3's InputLayer ``get_config``.

        ``batch_shape`` is ``[None, features...]``; ``dtype`` is the dtype
        policy's name; ``sparse``, ``ragged`` and ``optional`` are False.

        Returns
        -------
        dict
            JSON-serializable; `from_config` rebuilds the layer from it.
        """
        return {"batch_shape": [None] + list(self._input_shape), "dtype": self._dtype_policy,
                "sparse": False, "ragged": False, "name": self.name, "optional": False}

    @classmethod
    def from_config(cls, config: dict) -> "InputLayer":
        """The InputLayer `config` describes (Keras's ``batch_shape`` form).

        Parameters
        ----------
        config : dict
            What `get_config` returned.

        Returns
        -------
        InputLayer
            A new input layer.
        """
        config = dict(config)
        shape = config.pop("batch_shape", None)
        config.pop("trainable", None)
        return cls(batch_shape=shape, **config)


def Input(shape: Any = None, batch_size: Optional[int] = None, dtype: Any = None,
          sparse: Optional[bool] = None, batch_shape: Any = None, name: Optional[str] = None,
          tensor: Any = None, optional: bool = False) -> KerasTensor:
    """A symbolic input of `shape` (a sample's shape, e.g. (784,)): start a
    Functional model with it, or put it first in a Sequential, as Keras's
    ``keras.Input``.

    Parameters
    ----------
    shape : tuple of int
        One sample's shape, without the batch dimension.
    batch_size : int, optional
        Kept for configs.
    dtype : optional
        Kept for configs (the model's dtype decides).
    sparse : bool, optional
        Only False/None (sparse inputs are refused).
    batch_shape : tuple, optional
        ``(None, *shape)``, instead of `shape`.
    name : str, optional
        The input layer's name.
    tensor : None
        Only None (wrapping an existing tensor is not supported).
    optional : bool, default False
        Ignored.

    Returns
    -------
    KerasTensor
        The input's symbolic tensor, of shape ``(None, *shape)``.

    Raises
    ------
    ValueError
        Without a shape, or for sparse inputs.

    Examples
    --------
    >>> import fastmlp as fm
    >>> inputs = fm.Input(shape=(784,))
    >>> outputs = fm.Dense(10, activation="softmax")(fm.Dense(64, activation="relu")(inputs))
    >>> fm.Model(inputs, outputs).count_params()
    50890
    """
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported by fastmlp")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name)
    return layer.output
