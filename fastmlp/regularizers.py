"""Weight and activity regularizers with Keras 3's names and definitions,
applied by the engine: a penalty l1·Σ|x| + l2·Σx² added to the loss (and
its gradient to the weights'); on a layer's outputs (activity) it is divided
by the batch's rows.

Examples
--------
>>> import fastmlp as fm
>>> layer = fm.Dense(8, kernel_regularizer=fm.regularizers.l2(1e-4))
>>> layer.kernel_regularizer
L2(l2=0.0001)
"""
from __future__ import annotations

from typing import Any, Optional

from ._validation import check_float, describe

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]


class Regularizer:
    """Base class: a penalty l1·Σ|x| + l2·Σx² (the engine computes it).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.L1L2(l1=0.01, l2=0.02).coefficients()
    (0.01, 0.02)
    """

    l1: float = 0.0
    l2: float = 0.0

    def coefficients(self) -> tuple:
        """(l1, l2) as the engine applies them."""
        return (self.l1, self.l2)

    def __call__(self, x) -> float:
        """The penalty of an array, computed in numpy (for inspection)."""
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        return float(self.l1 * np.abs(x).sum() + self.l2 * np.square(x).sum())

    def get_config(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    __hash__ = object.__hash__


def _factor(value, name) -> float:
    return check_float(value, name, 0.0, None)


class L1(Regularizer):
    """l1·Σ|x| (l1 defaults to 0.01)."""

    def __init__(self, l1: float = 0.01):
        self.l1 = _factor(l1, "l1")

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2·Σx², not halved (l2 defaults to 0.01)."""

    def __init__(self, l2: float = 0.01):
        self.l2 = _factor(l2, "l2")

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """l1·Σ|x| + l2·Σx² (both default to 0, as in Keras 3)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any, name: str = "regularizer") -> Optional[Regularizer]:
    """A Regularizer from None, a name ("l1", "l2", "l1l2"), a config dict or
    an instance.

    Raises
    ------
    ValueError
        For an unknown name (Keras 3 does not accept "l1_l2").
    TypeError
        For anything else.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.get("l2")
    L2(l2=0.01)
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown {name} {identifier!r}; valid values are 'l1', 'l2', "
                             f"'l1l2' or an object such as fm.regularizers.l2(0.01)")
        return _BY_NAME[identifier]()
    raise TypeError(f"{name} must be None, 'l1', 'l2', 'l1l2' or an object such as "
                    f"fm.regularizers.l2(0.01); got {describe(identifier)}")


def serialize(regularizer: Optional[Regularizer]) -> Optional[dict]:
    """Keras's serialized form (None stays None)."""
    if regularizer is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}


def deserialize(config: Optional[dict]) -> Optional[Regularizer]:
    """The regularizer a serialize() dict describes."""
    if config is None:
        return None
    classes = {"L1": L1, "L2": L2, "L1L2": L1L2}
    if not isinstance(config, dict) or config.get("class_name") not in classes:
        raise ValueError(f"unknown regularizer {config!r}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"a regularizer's config must be a dict; got {inner!r}")
    return classes[config["class_name"]].from_config(inner)
