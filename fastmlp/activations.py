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
from typing import Any, Callable, NamedTuple

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
    """An activation as the engine takes it: its name, then (code, alpha,
    max_value, threshold)."""
    name: str
    alpha: float = 0.0
    max_value: float = math.inf
    threshold: float = 0.0

    def engine(self) -> tuple:
        return (CODES[self.name], self.alpha, self.max_value, self.threshold)


def _sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def linear(x):
    """The identity."""
    return np.asarray(x)


def relu(x, negative_slope: float = 0.0, max_value: float = None, threshold: float = 0.0):
    """max(x, 0), with Keras's options: values at or below `threshold` give
    negative_slope·(x − threshold), values above it are capped at max_value."""
    x = np.asarray(x, dtype=np.float64)
    top = math.inf if max_value is None else max_value
    y = np.clip(np.where(x > threshold, x, 0.0), 0, top)
    return np.where(x > threshold, y, y - negative_slope * (threshold - x))


def leaky_relu(x, negative_slope: float = 0.2):
    """x for x > 0, negative_slope·x otherwise (0.2 as Keras's function)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, negative_slope * x)


def sigmoid(x):
    """1 / (1 + exp(−x))."""
    return _sigmoid(x)


def tanh(x):
    """The hyperbolic tangent."""
    return np.tanh(np.asarray(x, dtype=np.float64))


def softmax(x, axis: int = -1):
    """exp(x) normalised along `axis`."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def exponential(x):
    """exp(x)."""
    return np.exp(np.asarray(x, dtype=np.float64))


def elu(x, alpha: float = 1.0):
    """x for x > 0, alpha·(exp(x) − 1) otherwise."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def selu(x):
    """λ·elu(x, α) with α = 1.67326…, λ = 1.05070…."""
    return _SELU_LAMBDA * elu(x, _SELU_ALPHA)


def softplus(x):
    """log(1 + exp(x))."""
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def softsign(x):
    """x / (1 + |x|)."""
    x = np.asarray(x, dtype=np.float64)
    return x / (1 + np.abs(x))


def silu(x):
    """x·sigmoid(x) (also called swish)."""
    x = np.asarray(x, dtype=np.float64)
    return x * _sigmoid(x)


swish = silu


def gelu(x, approximate: bool = False):
    """x·Φ(x) (exact, Keras's default), or its tanh approximation."""
    x = np.asarray(x, dtype=np.float64)
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))


def hard_sigmoid(x):
    """relu6(x + 3) / 6 (Keras 3's definition)."""
    return np.clip(np.asarray(x, dtype=np.float64) + 3, 0, 6) / 6


def relu6(x):
    """min(max(x, 0), 6)."""
    return np.clip(np.asarray(x, dtype=np.float64), 0, 6)


def mish(x):
    """x·tanh(softplus(x))."""
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
    functions or an Activation.

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
    """The name Keras writes in a layer's config ("silu" for swish, as Keras 3)."""
    return "silu" if activation.name == "swish" else activation.name


def check_slope(value, name) -> float:
    return check_float(value, name)
