"""Activations with Keras 3's names and definitions.

A layer's `activation` may be a name ("relu", "gelu", ...), None (linear) or
one of the functions here (`fm.activations.relu`); the engine computes them
(csrc/activations.inc). The functions also work on numpy arrays.

Examples
--------
>>> import numpy as np, fastmlp as fm
>>> fm.activations.relu(np.array([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from . import _engine
from ._validation import check_float, describe

__all__ = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "exponential", "elu",
           "selu", "softplus", "softsign", "swish", "silu", "gelu", "hard_sigmoid", "relu6",
           "mish", "get", "serialize", "Activation"]

# engine codes (csrc/fastmlp.h FM_ACT_*) by name
CODES = dict(_engine.ACTIVATIONS)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


class Activation(NamedTuple):
    """An activation as the engine takes it: its name and options.

    What `get` returns and what layers keep; fastmlp's own (Keras has layers
    and functions only; the layer is ``fm.layers.Activation``).

    Parameters
    ----------
    name : str
        One of this module's function names.
    alpha : float, default 0.0
        The negative slope (leaky_relu, relu) or scale (elu).
    max_value : float, default inf
        relu's cap.
    threshold : float, default 0.0
        relu's threshold.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.get("relu").name
    'relu'
    """
    name: str
    alpha: float = 0.0
    max_value: float = math.inf
    threshold: float = 0.0

    def engine(self) -> tuple:
        """The engine's form (internal).

        Returns
        -------
        tuple
            ``(code, alpha, max_value, threshold)``.
        """
        return (CODES[self.name], self.alpha, self.max_value, self.threshold)


def _sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def linear(x: Any) -> np.ndarray:
    """The identity (``activation=None``), as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.linear([-1.0, 2.0])
    array([-1.,  2.])
    """
    return np.asarray(x)


def relu(x: Any, negative_slope: float = 0.0, max_value: Optional[float] = None,
         threshold: float = 0.0) -> np.ndarray:
    """max(x, 0), with Keras's options.

    Values at or below `threshold` give negative_slope·(x − threshold); values
    above it are capped at `max_value`.

    Parameters
    ----------
    x : array_like
        The inputs.
    negative_slope : float, default 0.0
        The slope below the threshold.
    max_value : float, optional
        The cap; default none.
    threshold : float, default 0.0
        Where the function turns.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.relu([-1.0, 2.0, 8.0], max_value=6.0)
    array([0., 2., 6.])
    """
    x = np.asarray(x, dtype=np.float64)
    top = math.inf if max_value is None else max_value
    y = np.clip(np.where(x > threshold, x, 0.0), 0, top)
    return np.where(x > threshold, y, y - negative_slope * (threshold - x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> np.ndarray:
    """x for x > 0, negative_slope·x otherwise, as Keras's function.

    The layer ``fm.LeakyReLU`` defaults to 0.3, as Keras's layer does.

    Parameters
    ----------
    x : array_like
        The inputs.
    negative_slope : float, default 0.2
        The slope for x <= 0.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.leaky_relu([-1.0, 2.0])
    array([-0.2,  2. ])
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, negative_slope * x)


def sigmoid(x: Any) -> np.ndarray:
    """1 / (1 + exp(−x)), as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.sigmoid([0.0])
    array([0.5])
    """
    return _sigmoid(x)


def tanh(x: Any) -> np.ndarray:
    """The hyperbolic tangent, as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.tanh([0.0])
    array([0.])
    """
    return np.tanh(np.asarray(x, dtype=np.float64))


def softmax(x: Any, axis: int = -1) -> np.ndarray:
    """exp(x) normalised to sum 1 along `axis`, as Keras.

    Layers apply it over the features (the last axis).

    Parameters
    ----------
    x : array_like
        The inputs.
    axis : int, default -1
        The axis normalised.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.softmax([[0.0, 0.0]])
    array([[0.5, 0.5]])
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def exponential(x: Any) -> np.ndarray:
    """exp(x), as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.exponential([0.0])
    array([1.])
    """
    return np.exp(np.asarray(x, dtype=np.float64))


def elu(x: Any, alpha: float = 1.0) -> np.ndarray:
    """x for x > 0, alpha·(exp(x) − 1) otherwise, as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.
    alpha : float, default 1.0
        The scale of the negative part.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.elu([0.0, 2.0])
    array([0., 2.])
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def selu(x: Any) -> np.ndarray:
    """λ·elu(x, α) with α = 1.67326…, λ = 1.05070…, as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.selu([0.0])
    array([0.])
    """
    return _SELU_LAMBDA * elu(x, _SELU_ALPHA)


def softplus(x: Any) -> np.ndarray:
    """log(1 + exp(x)), computed without overflow, as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.softplus([0.0])
    array([0.69314718])
    """
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def softsign(x: Any) -> np.ndarray:
    """x / (1 + abs(x)), as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.softsign([1.0])
    array([0.5])
    """
    x = np.asarray(x, dtype=np.float64)
    return x / (1 + np.abs(x))


def silu(x: Any) -> np.ndarray:
    """x·sigmoid(x), as Keras (also named swish; configs write "silu").

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.silu([0.0])
    array([0.])
    """
    x = np.asarray(x, dtype=np.float64)
    return x * _sigmoid(x)


swish = silu


def gelu(x: Any, approximate: bool = False) -> np.ndarray:
    """x·Φ(x), Φ the standard normal's distribution function, as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.
    approximate : bool, default False
        Use the tanh approximation instead of the exact erf form (Keras's
        default is exact).

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.gelu([0.0])
    array([0.])
    """
    x = np.asarray(x, dtype=np.float64)
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))


def hard_sigmoid(x: Any) -> np.ndarray:
    """relu6(x + 3) / 6, Keras 3's definition.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.hard_sigmoid([0.0])
    array([0.5])
    """
    return np.clip(np.asarray(x, dtype=np.float64) + 3, 0, 6) / 6


def relu6(x: Any) -> np.ndarray:
    """min(max(x, 0), 6), as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.relu6([-1.0, 8.0])
    array([0., 6.])
    """
    return np.clip(np.asarray(x, dtype=np.float64), 0, 6)


def mish(x: Any) -> np.ndarray:
    """x·tanh(softplus(x)), as Keras.

    Parameters
    ----------
    x : array_like
        The inputs.

    Returns
    -------
    ndarray of float64
        The activations, the shape of `x`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.mish([0.0])
    array([0.])
    """
    x = np.asarray(x, dtype=np.float64)
    return x * np.tanh(softplus(x))


_FUNCTIONS: dict[str, Callable] = {
    "linear": linear, "relu": relu, "leaky_relu": leaky_relu, "sigmoid": sigmoid, "tanh": tanh,
    "softmax": softmax, "exponential": exponential, "elu": elu, "selu": selu,
    "softplus": softplus, "softsign": softsign, "swish": swish, "silu": silu, "gelu": gelu,
    "hard_sigmoid": hard_sigmoid, "relu6": relu6, "mish": mish,
}
_ALIASES = {"silu": "swish"}
NAMES = list(_FUNCTIONS)


def get(identifier: Any, name: str = "activation") -> Activation:
    """The Activation for a name, None (linear), one of this module's
    functions or an Activation, as ``keras.activations.get``.

    Parameters
    ----------
    identifier : None, str, callable or Activation
        A name (any case), None for linear, a function of this module, or an
        Activation (returned as it is).
    name : str, default "activation"
        The argument's name in error messages.

    Returns
    -------
    Activation
        The activation with its default options.

    Raises
    ------
    ValueError
        For an unknown name, or a function fastmlp cannot run in its engine.
    TypeError
        For anything else.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.get("leaky_relu")
    Activation(name='leaky_relu', alpha=0.2, max_value=inf, threshold=0.0)
    """
    if identifier is None:
        return Activation("linear")
    if isinstance(identifier, Activation):
        return identifier
    if callable(identifier):
        for key, fn in _FUNCTIONS.items():
            if fn is identifier:
                identifier = key
                break
        else:
            raise ValueError(f"{name} {getattr(identifier, '__name__', identifier)!r} is a "
                             f"function fastmlp cannot run in its compiled engine; use one of "
                             f"{', '.join(map(repr, NAMES))} (or fm.activations.<name>)")
    if not isinstance(identifier, str):
        raise TypeError(f"{name} must be None, a name (one of {', '.join(map(repr, NAMES))}) "
                        f"or a function of fm.activations; got {describe(identifier)}")
    key = identifier.lower()
    if key not in _FUNCTIONS:
        raise ValueError(f"unknown {name} {identifier!r}; valid values are "
                         f"{', '.join(map(repr, NAMES))}")
    key = _ALIASES.get(key, key)
    if key == "leaky_relu":
        return Activation(key, alpha=0.2)
    if key == "elu":
        return Activation(key, alpha=1.0)
    return Activation(key)


def serialize(activation: Activation) -> str:
    """The name Keras writes in a layer's config ("silu" for swish, as Keras 3).

    Parameters
    ----------
    activation : Activation
        The activation.

    Returns
    -------
    str
        Its name.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.activations.serialize(fm.activations.get(fm.activations.swish))
    'silu'
    """
    return "silu" if activation.name == "swish" else activation.name


def check_slope(value: Any, name: str) -> float:
    """Check an activation's slope-like argument (such as a leaky ReLU's).

    Parameters
    ----------
    value : object
        The value given.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    float
        The value as a finite Python float.

    Raises
    ------
    TypeError
        If `value` is not a real number, or is a bool.
    ValueError
        If it is NaN or infinite.
    """
    return check_float(value, name)
