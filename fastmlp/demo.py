"""python -m fastmlp.demo: train the seed network (784-512-512-10, ReLU,
dropout 0.2, softmax, RMSprop) on Fashion-MNIST when it is installed,
otherwise on a synthetic set of the same shape, and report accuracy and time."""
import argparse
import time

import numpy as np

import fastmlp as fm


def synthetic_images(n_train=12000, n_test=2000, seed=0):
    """Ten classes of noisy 784-pixel prototypes: a stand-in with the real data's shape."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((10, 784)) < 0.3

    def draw(n):
        labels = rng.integers(0, 10, n)
        images = prototypes[labels] * rng.uniform(0.4, 1.0, (n, 1))
        images = np.clip(images + rng.normal(0, 0.35, (n, 784)), 0, 1)
        return images.astype(np.float32), labels
    return draw(n_train), draw(n_test)


def seed_network(loss="sparse_categorical_crossentropy", dtype="float32"):
    """The seed notebook's Keras MNIST model, compiled with RMSprop and accuracy
    (dtype: "float32", or "mixed_bfloat16" on CPUs with AVX512_BF16)."""
    model = fm.Sequential(dtype=dtype)
    model.add(fm.Dense(512, activation="relu", input_shape=(784,)))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(512, activation="relu"))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(10, activation="softmax"))
    model.compile(loss=loss, optimizer=fm.RMSprop(), metrics=["accuracy"])
    return model


def main(argv=None):
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
