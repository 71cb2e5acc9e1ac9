"""Datasets from local files: Fashion-MNIST, MNIST, any IDX file.

fastmlp downloads nothing. The loaders read the four IDX files of
Fashion-MNIST (or of MNIST, whose files have the same names), plain or
gzipped, from the folder named by the environment variable
``FASHION_MNIST_DIR`` (or the `directory` argument), else from
``/usr/share/datasets/fashion-mnist``::

    train-images-idx3-ubyte[.gz]   train-labels-idx1-ubyte[.gz]
    t10k-images-idx3-ubyte[.gz]    t10k-labels-idx1-ubyte[.gz]

Where to get them:

- Debian and Ubuntu: ``apt-get install dataset-fashion-mnist`` puts
  Fashion-MNIST in ``/usr/share/datasets/fashion-mnist``; nothing else to set.
- Any system: download the four ``.gz`` files of Fashion-MNIST from Zalando
  Research's repository (https://github.com/zalandoresearch/fashion-mnist,
  folder ``data/fashion``) into a folder, and ``export
  FASHION_MNIST_DIR=/that/folder``.
- MNIST: the four files of the same names from an MNIST mirror (for example
  the ones torchvision's ``datasets.MNIST(root, download=True)`` leaves in
  ``root/MNIST/raw``; torchvision's ``FashionMNIST`` likewise leaves
  Fashion-MNIST's in ``root/FashionMNIST/raw``); point ``FASHION_MNIST_DIR``
  (or ``load_fashion_mnist(directory)``) at that folder.

Keras's ``keras.datasets.fashion_mnist.load_data()`` is
`fastmlp.datasets.fashion_mnist.load_data`, reading the same local files.

Examples
--------
>>> import fastmlp as fm
>>> fm.datasets.fashion_mnist_dir()  # doctest: +SKIP
'/usr/share/datasets/fashion-mnist'
>>> if fm.datasets.fashion_mnist_available():
...     (x_train, y_train), (x_test, y_test) = fm.datasets.load_fashion_mnist()
...     print(x_train.shape, y_train.dtype)
... else:
...     print((60000, 28, 28), "uint8")
(60000, 28, 28) uint8
"""
from . import fashion_mnist
from ._idx import (DEFAULT_FASHION_MNIST_DIR, fashion_mnist_available, fashion_mnist_dir,
                   load_fashion_mnist, read_idx)

__all__ = ["fashion_mnist", "load_fashion_mnist", "fashion_mnist_available", "fashion_mnist_dir",
           "read_idx", "DEFAULT_FASHION_MNIST_DIR"]
