"""Fashion-MNIST from local IDX files (Debian's dataset-fashion-mnist package
installs them in /usr/share/datasets/fashion-mnist)."""
from __future__ import annotations

import gzip
import os
from typing import Optional

import numpy as np

__all__ = ["DEFAULT_FASHION_MNIST_DIR", "fashion_mnist_dir", "fashion_mnist_available",
           "read_idx", "load_fashion_mnist"]

DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}


def fashion_mnist_dir() -> str:
    """Where Fashion-MNIST is looked for: $FASHION_MNIST_DIR, else Debian's path.

    Returns
    -------
    str

    Examples
    --------
    >>> import fastmlp as fm
    >>> isinstance(fm.datasets.fashion_mnist_dir(), str)
    True
    """
    return os.environ.get("FASHION_MNIST_DIR", DEFAULT_FASHION_MNIST_DIR)


def _find(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    return None


def fashion_mnist_available(directory: Optional[str] = None) -> bool:
    """Whether the four IDX files (plain or gzipped) are in `directory`
    (default: fashion_mnist_dir()).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.datasets.fashion_mnist_available("/nonexistent")
    False
    """
    directory = directory or fashion_mnist_dir()
    return all(_find(directory, stem) for stem in _FILES.values())


def read_idx(path: str) -> np.ndarray:
    """An IDX file (gzip or plain) as a numpy array of unsigned bytes.

    Raises
    ------
    ValueError
        When the file is not an IDX file of unsigned bytes, or its size does
        not match its header.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(f"{path}: {len(data) - header} bytes of data for shape {shape}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_fashion_mnist(directory: Optional[str] = None) -> tuple:
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays: images
    (60000, 28, 28) and (10000, 28, 28), labels 0..9, as keras.datasets gives.

    Parameters
    ----------
    directory : str, optional
        Where the IDX files are (default: fashion_mnist_dir()).

    Raises
    ------
    FileNotFoundError
        When a file is missing (nothing is downloaded).

    Examples
    --------
    >>> import fastmlp as fm
    >>> if fm.datasets.fashion_mnist_available():
    ...     (x, y), _ = fm.datasets.load_fashion_mnist()
    """
    directory = directory or fashion_mnist_dir()
    paths = {key: _find(directory, stem) for key, stem in _FILES.items()}
    missing = [_FILES[key] for key, path in paths.items() if path is None]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST not found in {directory!r} (missing {', '.join(missing)}); on Debian "
            f"or Ubuntu: apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR")
    arrays = {key: read_idx(path) for key, path in paths.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
