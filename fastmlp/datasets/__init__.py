"""Datasets from local files: Fashion-MNIST (Debian's dataset-fashion-mnist
package installs its IDX files in /usr/share/datasets/fashion-mnist)."""
from . import fashion_mnist
from ._idx import (DEFAULT_FASHION_MNIST_DIR, fashion_mnist_available, fashion_mnist_dir,
                   load_fashion_mnist, read_idx)

__all__ = ["fashion_mnist", "load_fashion_mnist", "fashion_mnist_available", "fashion_mnist_dir",
           "read_idx", "DEFAULT_FASHION_MNIST_DIR"]
