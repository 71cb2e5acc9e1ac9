"""python -m fastmlp.demo: train the seed network (784-512-512-10, ReLU,
dropout 0.2, softmax, RMSprop) on Fashion-MNIST when it is installed,
otherwise on a synthetic set of the same shape, and report accuracy and time."""
from __future__ import annotations

import argparse
import time
from typing import Optional, Sequence

import numpy as np

import fastmlp as fm

__all__ = ["main", "seed_network", "synthetic_images"]

def synthetic_images(n_train: int = 12000, n_test: int = 2000, seed: int = 0) -> tuple:
    """Ten classes of noisy 784-pixel prototypes: a stand-in with the real data's shape.

    Parameters
    ----------
    n_train, n_test : int
        Rows of the training and the test set.
    seed : int
        Seed of the generator that draws the prototypes and the rows.

    Returns
    -------
    tuple
        ``((x_train, y_train), (x_test, y_test))``: float32 images in [0, 1] of
        shape (n, 784) and int64 labels 0..9.

    Examples
    --------
    >>> from fastmlp.demo import synthetic_images
    >>> (x, y), (x_test, y_test) = synthetic_images(100, 20)
    >>> x.shape, x.dtype.name, y_test.shape
    ((100, 784), 'float32', (20,))
    """
    rng = np.random.default_rng(seed)
    prototypes = rng.random((10, 784)) < 0.3

    def draw(n):
        """n images (noisy copies of random class prototypes, float32 in [0, 1])
        and their labels."""
        labels = rng.integers(0, 10, n)
        images = prototypes[labels] * rng.uniform(0.4, 1.0, (n, 1))
        images = np.clip(images + rng.normal(0, 0.35, (n, 784)), 0, 1)
        return images.astype(np.float32), labels
    return draw(n_train), draw(n_test)


def seed_network(loss: str = "sparse_categorical_crossentropy",
                 dtype: str = "float32") -> fm.Sequential:
    """The seed notebook's Keras MNIST model, compiled with RMSprop and accuracy.

    784-512-512-10, ReLU, dropout 0.2 after each hidden layer, softmax output.

    Parameters
    ----------
    loss : str
        The loss to compile with; the default takes integer labels, use
        ``"categorical_crossentropy"`` for one-hot ones.
    dtype : str
        The model's dtype policy: ``"float32"``, or ``"mixed_bfloat16"`` on
        CPUs with AVX512_BF16.

    Returns
    -------
    Sequential
        The compiled model.

    Examples
    --------
    >>> from fastmlp.demo import seed_network
    >>> seed_network().count_params()
    669706
    """
    model = fm.Sequential(dtype=dtype)
    model.add(fm.Dense(512, activation="relu", input_shape=(784,)))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(512, activation="relu"))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(10, activation="softmax"))
    model.compile(loss=loss, optimizer=fm.RMSprop(), metrics=["accuracy"])
    return model


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the demo: ``python -m fastmlp.demo [--epochs N] [--batch-size N] [--seed N]``.

    Parameters
    ----------
    argv : sequence of str, optional
        The command-line arguments; default ``sys.argv[1:]``.

    Examples
    --------
    >>> from fastmlp.demo import main
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    fm.show_config()
    if fm.datasets.fashion_mnist_available():
        (x_train, y_train), (x_test, y_test) = fm.datasets.load_fashion_mnist()
        x_train = x_train.reshape(len(x_train), 784).astype(np.float32) / 255
        x_test = x_test.reshape(len(x_test), 784).astype(np.float32) / 255
        source = f"Fashion-MNIST from {fm.datasets.fashion_mnist_dir()}"
    else:
        (x_train, y_train), (x_test, y_test) = synthetic_images()
        source = ("a synthetic 10-class set (Fashion-MNIST not installed: "
                  "apt-get install dataset-fashion-mnist)")
    print(f"\ndata: {source}; {len(x_train)} training and {len(x_test)} test images\n")

    fm.set_random_seed(args.seed)
    model = seed_network()
    model.summary()
    busy_before = fm._engine.config()["contention_events"]
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1,
              validation_data=(x_test, y_test))
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\ntest accuracy {accuracy:.4f}, test loss {loss:.4f}")
    threads = fm.get_num_threads()
    print(f"training: {elapsed:.1f} s for {args.epochs} epoch{'s' if args.epochs != 1 else ''} "
          f"({elapsed / max(args.epochs, 1):.2f} s per epoch, {threads} "
          f"thread{'s' if threads != 1 else ''})")
    if fm._engine.config()["contention_events"] > busy_before:
        print("note: other processes were using the cores during training, so fastmlp split "
              "less work between threads for a while (see 'Threads' in the README)")


if __name__ == "__main__":
    main()
