"""Keras's utilities that MLP code calls (keras.utils): to_categorical,
set_random_seed, normalize."""
from __future__ import annotations

import numbers
import random
from typing import Any, Optional

import numpy as np

from . import _random
from ._validation import check_int, describe, plain, to_array

__all__ = ["to_categorical", "set_random_seed", "normalize"]


def to_categorical(y: Any, num_classes: Optional[int] = None) -> np.ndarray:
    """One-hot encode integer class labels.

    Parameters
    ----------
    y : array-like of int
        Labels from 0 to ``num_classes - 1``, any shape; a trailing axis of
        size 1 is dropped, so (n, 1) gives (n, num_classes) as (n,) does.
        Integer-valued floats (3.0) and booleans are accepted.
    num_classes : int, optional
        Default: ``max(y) + 1``.

    Returns
    -------
    numpy.ndarray of float64
        Shape ``y.shape + (num_classes,)`` (after dropping the trailing 1),
        float64 as Keras returns it.

    Raises
    ------
    ValueError
        For negative labels, labels that are not whole numbers (or not
        finite), labels >= ``num_classes``, or an empty ``y`` without
        ``num_classes``. (Keras truncates non-integer labels and wraps
        negative ones around silently.)
    TypeError
        For non-numeric labels or a ``num_classes`` that is not an int.

    Examples
    --------
    >>> from fastmlp.utils import to_categorical
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    >>> to_categorical([[1], [0]], num_classes=3).shape
    (2, 3)
    """
    labels = to_array(y, "y")
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"y must hold integer class labels; got an array of dtype {labels.dtype}")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if labels.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.floor(flat))
        if bad.any():
            raise ValueError(f"y must hold whole-number class labels; got "
                             f"{plain(flat[bad][0])!r} at position {int(np.argmax(bad))}")
    if flat.size and flat.min() < 0:
        raise ValueError(f"y must hold class labels >= 0; got {plain(flat.min())!r} at position "
                         f"{int(np.argmin(flat))}")
    if num_classes is None:
        if not flat.size:
            raise ValueError("y is empty: pass num_classes to say how many columns to make")
        num_classes = int(flat.max()) + 1
    else:
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        if flat.size and flat.max() >= num_classes:
            raise ValueError(f"y holds the label {plain(flat.max())!r} (at position "
                             f"{int(np.argmax(flat))}), but num_classes={num_classes} allows "
                             f"labels 0 to {num_classes - 1}")
    categorical = np.zeros((flat.size, num_classes))
    categorical[np.arange(flat.size), flat.astype(np.int64)] = 1
    return categorical.reshape(shape + (num_classes,))


def set_random_seed(seed: int) -> None:
    """Seed everything random in a fastmlp program, as keras.utils.set_random_seed does.

    Fixes fastmlp's initialisation, shuffling and dropout (what
    ``fm.set_random_seed`` does), and also seeds Python's ``random`` and
    NumPy's global generator (``np.random.seed``), which Keras's function
    seeds too and which user code often draws from.

    Parameters
    ----------
    seed : int
        A Python int (Keras's check), >= 0.

    Raises
    ------
    ValueError
        If ``seed`` is not a Python int (Keras's message), or is negative.

    Examples
    --------
    >>> from fastmlp.utils import set_random_seed
    >>> set_random_seed(42)
    """
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} "
                         f"(of type {type(seed)})")
    _random.set_random_seed(seed)  # checks the range and refuses bool
    random.seed(seed)
    np.random.seed(seed % 2**32)


def normalize(x: Any, axis: int = -1, order: Any = 2) -> np.ndarray:
    """Divide by the ``order``-norm along ``axis``; zero norms are left as 1.

    Parameters
    ----------
    x : array-like
    axis : int, default -1
    order : {non-zero int, float, inf, -inf}, default 2
        As ``np.linalg.norm``'s ``ord`` for vectors (2: Euclidean, 1: sum of
        absolute values, inf: largest magnitude).

    Returns
    -------
    numpy.ndarray
        A normalized copy, floating point (float32 input stays float32;
        integers give float64). A 1-D ``x`` comes back as shape (1, n), as
        Keras returns it.

    Raises
    ------
    ValueError, TypeError
        For non-numeric input or an axis out of range.

    Notes
    -----
    For ``axis=0`` Keras 3.15's NumPy path divides along the last axis (it
    does ``axis = axis or -1``); this one normalises along the axis asked for.

    Examples
    --------
    >>> from fastmlp.utils import normalize
    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    arr = to_array(x, "x")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"x must be numeric; got an array of dtype {arr.dtype}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer; got {describe(axis)}")
    if not -arr.ndim <= axis < max(arr.ndim, 1):
        raise ValueError(f"axis {axis} is out of range for an array of {arr.ndim} dimensions")
    norm = np.atleast_1d(np.linalg.norm(arr, order, axis))
    norm[norm == 0] = 1
    return arr / np.expand_dims(norm, axis)
