"""`fm.datasets.fashion_mnist.load_data()`, in keras.datasets's form, from
local files only (fastmlp downloads nothing)."""
from __future__ import annotations

from typing import Optional

from ._idx import load_fashion_mnist

__all__ = ["load_data"]


def load_data(path: Optional[str] = None) -> tuple:
    """Fashion-MNIST as keras.datasets.fashion_mnist.load_data() returns it:
    ((x_train, y_train), (x_test, y_test)), uint8 images (n, 28, 28) and
    labels 0..9.

    Parameters
    ----------
    path : str, optional
        The directory holding the four IDX files (plain or gzipped); default
        $FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist (Debian's
        dataset-fashion-mnist package). Keras's `path` names a cache file
        name instead; fastmlp reads local files only.

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_test, y_test))``: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,).

    Raises
    ------
    FileNotFoundError
        When the files are not there (``help(fastmlp.datasets)`` says where to
        get them).

    Examples
    --------
    >>> import fastmlp as fm
    >>> if fm.datasets.fashion_mnist_available():
    ...     (x_train, y_train), (x_test, y_test) = fm.datasets.fashion_mnist.load_data()
    """
    return load_fashion_mnist(path)
