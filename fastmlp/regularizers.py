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

    As Keras's ``keras.regularizers.Regularizer``, limited to these penalties:
    custom regularizers (subclasses with their own ``__call__``) are not
    applied by the engine.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.L1L2(l1=0.01, l2=0.02).coefficients()
    (0.01, 0.02)
    """

    l1: float = 0.0
    l2: float = 0.0

    def coefficients(self) -> tuple:
        """The penalty's factors as the engine applies them (fastmlp's addition).

        Returns
        -------
        tuple of float
            ``(l1, l2)``.
        """
        return (self.l1, self.l2)

    def __call__(self, x: Any) -> float:
        """The penalty of an array, computed in numpy (for inspection).

        Parameters
        ----------
        x : array_like
            Weights or activations.

        Returns
        -------
        float
            l1·Σ|x| + l2·Σx² (Keras returns a tensor).
        """
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        return float(self.l1 * np.abs(x).sum() + self.l2 * np.square(x).sum())

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``{"l1": ...}``, ``{"l2": ...}`` or both.
        """
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        """The regularizer `config` describes (what `get_config` returned).

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor.

        Returns
        -------
        Regularizer
            A new instance.
        """
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
    """l1·Σ|x|, as Keras (also named ``fm.regularizers.l1``).

    Parameters
    ----------
    l1 : float, default 0.01
        The factor (>= 0).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.L1(0.1)([1.0, -2.0])
    0.30000000000000004
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor(l1, "l1")

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``{"l1": l1}``; ``L1.from_config(config)`` rebuilds it.
        """
        return {"l1": self.l1}


class L2(Regularizer):
    """l2·Σx², not halved, as Keras (also named ``fm.regularizers.l2``).

    Parameters
    ----------
    l2 : float, default 0.01
        The factor (>= 0).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.L2(0.1)([1.0, -2.0])
    0.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor(l2, "l2")

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``{"l2": l2}``; ``L2.from_config(config)`` rebuilds it.
        """
        return {"l2": self.l2}


class L1L2(Regularizer):
    """l1·Σ|x| + l2·Σx², as Keras 3 (also named ``fm.regularizers.l1_l2``).

    Parameters
    ----------
    l1 : float, default 0.0
        The factor of the absolute values (>= 0).
    l2 : float, default 0.0
        The factor of the squares (>= 0).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Dense(4, kernel_regularizer=fm.regularizers.l1_l2(l1=1e-5, l2=1e-4)).kernel_regularizer
    L1L2(l1=1e-05, l2=0.0001)
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``{"l1": l1, "l2": l2}``; ``L1L2.from_config(config)`` rebuilds it.
        """
        return {"l1": self.l1, "l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {"l1": L1, "l2": L2, "l1l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any, name: str = "regularizer") -> Optional[Regularizer]:
    """A Regularizer from None, a name ("l1", "l2", "l1l2"), a config dict or
    an instance, as ``keras.regularizers.get``.

    Parameters
    ----------
    identifier : None, str, dict or Regularizer
        What to resolve; None and a Regularizer are returned as they are.
    name : str, default "regularizer"
        The argument's name in error messages.

    Returns
    -------
    Regularizer or None
        The regularizer.

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
    """Keras's serialized form (None stays None), as ``keras.regularizers.serialize``.

    Parameters
    ----------
    regularizer : Regularizer or None
        The regularizer to describe.

    Returns
    -------
    dict or None
        ``module``, ``class_name``, ``config`` and ``registered_name``.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.serialize(fm.regularizers.l2(0.001))["class_name"]
    'L2'
    """
    if regularizer is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(regularizer).__name__,
            "config": regularizer.get_config(), "registered_name": None}


def deserialize(config: Optional[dict]) -> Optional[Regularizer]:
    """The regularizer a `serialize` dict describes, as ``keras.regularizers.deserialize``.

    Parameters
    ----------
    config : dict or None
        ``class_name`` and ``config``; None gives None.

    Returns
    -------
    Regularizer or None
        A new regularizer.

    Raises
    ------
    ValueError
        For an unknown class or a malformed config.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.regularizers.deserialize({"class_name": "L1", "config": {"l1": 0.5}})
    L1(l1=0.5)
    """
    if config is None:
        return None
    classes = {"L1": L1, "L2": L2, "L1L2": L1L2}
    if not isinstance(config, dict) or config.get("class_name") not in classes:
        raise ValueError(f"unknown regularizer {config!r}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"a regularizer's config must be a dict; got {inner!r}")
    return classes[config["class_name"]].from_config(inner)
