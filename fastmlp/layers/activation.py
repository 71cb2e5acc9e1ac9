"""Standalone activation layers: Activation, ReLU, LeakyReLU, ELU, Softmax."""
from __future__ import annotations

import math
from typing import Any, Optional

from .. import _engine, activations
from .._validation import check_float
from .base import Layer

__all__ = ["Activation", "ReLU", "LeakyReLU", "ELU", "Softmax"]


class _ActivationLayer(Layer):
    """An activation applied on its own (after a Dense layer with a linear
    activation, the engine runs it inside that layer's matrix product)."""

    def _activation(self) -> activations.Activation:
        raise NotImplementedError

    def engine_spec(self, n_in: int) -> dict:
        """The engine's description of this layer: an element-wise activation
        keeping the width n_in.

        Parameters
        ----------
        n_in : int
            The width of the layer's input (and output).

        Returns
        -------
        dict
            The layer kind, widths and activation code, as ``_engine.Network`` takes them.
        """
        return {"kind": _engine.LAYER_KINDS["activation"], "n_in": n_in, "n_out": n_in,
                "act": self._activation().engine()}


class Activation(_ActivationLayer):
    """Applies `activation` (a name or an fm.activations function), as Keras.

    After a Dense layer with a linear activation, the engine runs it inside
    that layer's matrix product.

    Parameters
    ----------
    activation : str, callable or None
        A name ("relu", "gelu", ...), a function of `fastmlp.activations`, or
        None (linear).
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Raises
    ------
    ValueError
        For an unknown name or a function the engine cannot run.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Activation("relu").activation.name
    'relu'
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        self.activation = activations.get(activation)
        super().__init__(**kwargs)

    def _activation(self) -> activations.Activation:
        return self.activation

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for Activation.

        The base layer's keys (name, trainable, dtype) plus ``activation``, the function's
        serialized name.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class ReLU(_ActivationLayer):
    """Keras's ReLU layer: values above `threshold` pass (capped at max_value),
    the others give negative_slope·(x − threshold).

    Parameters
    ----------
    max_value : float, optional
        The cap (>= 0); default none.
    negative_slope : float, default 0.0
        The slope below the threshold (>= 0).
    threshold : float, default 0.0
        Where the function turns (>= 0).
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.ReLU(max_value=6.0).max_value
    6.0
    """

    def __init__(self, max_value: Optional[float] = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        self.max_value = None if max_value is None else check_float(max_value, "max_value", 0.0,
                                                                     None)
        self.negative_slope = check_float(negative_slope, "negative_slope", 0.0, None)
        self.threshold = check_float(threshold, "threshold", 0.0, None)
        super().__init__(**kwargs)

    def _activation(self) -> activations.Activation:
        return activations.Activation("relu", self.negative_slope,
                                      math.inf if self.max_value is None else self.max_value,
                                      self.threshold)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for ReLU.

        The base layer's keys (name, trainable, dtype) plus ``max_value``, ``negative_slope`` and
        ``threshold``.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(_ActivationLayer):
    """x for x > 0, negative_slope·x otherwise (0.3 by default, as Keras's layer).

    Parameters
    ----------
    negative_slope : float, default 0.3
        The slope for x <= 0 (>= 0); Keras 2's ``alpha`` is accepted too.
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.LeakyReLU().negative_slope
    0.3
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2's name
            negative_slope = kwargs.pop("alpha")
        self.negative_slope = check_float(negative_slope, "negative_slope", 0.0, None)
        super().__init__(**kwargs)

    def _activation(self) -> activations.Activation:
        return activations.Activation("leaky_relu", self.negative_slope)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for LeakyReLU.

        The base layer's keys (name, trainable, dtype) plus ``negative_slope`` (Keras 3's name for
        Keras 2's ``alpha``).

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_ActivationLayer):
    """x for x > 0, alpha·(exp(x) − 1) otherwise, as Keras's ELU layer.

    Parameters
    ----------
    alpha : float, default 1.0
        The scale of the negative part.
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.ELU(alpha=0.5).alpha
    0.5
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        self.alpha = check_float(alpha, "alpha")
        super().__init__(**kwargs)

    def _activation(self) -> activations.Activation:
        return activations.Activation("elu", self.alpha)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for ELU.

        The base layer's keys (name, trainable, dtype) plus ``alpha``.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(_ActivationLayer):
    """Softmax over the features (axis -1), as Keras's Softmax layer.

    Parameters
    ----------
    axis : int, default -1
        Only the features' axis (-1, or 1 for (rows, features) inputs).
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Raises
    ------
    ValueError
        For another axis.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Softmax().axis
    -1
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        if axis not in (-1, 1):
            raise ValueError(f"axis must be -1 (the features); got {axis!r}")
        self.axis = -1
        super().__init__(**kwargs)

    def _activation(self) -> activations.Activation:
        return activations.Activation("softmax")

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for Softmax.

        The base layer's keys (name, trainable, dtype) plus ``axis``, always -1.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config["axis"] = self.axis
        return config
