"""Fashion-MNIST (or MNIST) from local IDX files (Debian's
dataset-fashion-mnist package installs them in /usr/share/datasets/fashion-mnist;
fastmlp.datasets's docstring says where to get them elsewhere)."""
from __future__ import annotations

import gzip
import os
from typing import Optional

import numpy as np

__all__ = ["DEFAULT_FASHION_MNIST_DIR", "fashion_mnist_dir", "fashion_mnist_available",
           "read_idx", "load_fashion_mnist"]

#: Where Debian's dataset-fashion-mnist package puts the files, read when
#: FASHION_MNIST_DIR is not set.
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
        The value of the environment variable ``FASHION_MNIST_DIR`` when set,
        else ``/usr/share/datasets/fashion-mnist`` (where Debian's
        ``dataset-fashion-mnist`` package puts the files).

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
    """Whether the four IDX files (plain or gzipped) are in `directory`.

    Parameters
    ----------
    directory : str, optional
        The folder to look in; default `fashion_mnist_dir()`.

    Returns
    -------
    bool
        True when all four files are there.

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

    IDX is the format of MNIST and Fashion-MNIST: a magic number, the
    dimensions, then the values.

    Parameters
    ----------
    path : str
        The file; a name ending in ``.gz`` is read through gzip.

    Returns
    -------
    ndarray of uint8
        The values in the shape the header declares (read-only).

    Raises
    ------
    ValueError
        When the file is not an IDX file of unsigned bytes, or its size does
        not match its header.
    OSError
        When the file cannot be read.

    Examples
    --------
    >>> import os, tempfile, fastmlp as fm
    >>> path = os.path.join(tempfile.mkdtemp(), "two-by-three-idx2-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]))
    >>> fm.datasets.read_idx(path)
    array([[1, 2, 3],
           [4, 5, 6]], dtype=uint8)
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
    """Fashion-MNIST (or MNIST) from local IDX files, as keras.datasets gives it.

    Parameters
    ----------
    directory : str, optional
        Where the IDX files are (default: `fashion_mnist_dir()`, that is
        ``$FASHION_MNIST_DIR`` or Debian's folder). MNIST's files have the same
        names, so a folder holding them loads MNIST.

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_test, y_test))`` as uint8 arrays: images
        (60000, 28, 28) and (10000, 28, 28), labels 0..9.

    Raises
    ------
    FileNotFoundError
        When a file is missing (nothing is downloaded; the
        `fastmlp.datasets` module's docstring says where to get them).
    ValueError
        When a file is not a valid IDX file.

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
            f"or Ubuntu: apt-get install dataset-fashion-mnist; elsewhere download the four "
            f".gz files from https://github.com/zalandoresearch/fashion-mnist (data/fashion) "
            f"and set FASHION_MNIST_DIR to their folder (see help(fastmlp.datasets))")
    arrays = {key: read_idx(path) for key, path in paths.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
