"""The lecture, part 3: the Keras MNIST model (784-512-512-10, ReLU,
dropout 0.2, softmax, RMSprop, batch 128), on Fashion-MNIST, with its
learning curves and confusion matrix.

Fashion-MNIST comes from local files (Debian's dataset-fashion-mnist
package, or $FASHION_MNIST_DIR) through fm.datasets.fashion_mnist.load_data();
when they are not there the script says so and trains on a synthetic
10-class set of the same shape instead (the figures then show that set).

Writes ``fashion_mnist_learning_curves.png`` and
``fashion_mnist_confusion_matrix.png`` to the output directory and prints the
test loss and accuracy.

    python examples/lecture_3_fashion_mnist.py [--output-dir figures] [--epochs 20] [--quick]

``--quick``: 6,000 training and 2,000 test images, 2 epochs.
Needs matplotlib and scikit-learn: ``pip install "fastmlp[plot,sklearn]"``.
"""
import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")  # files only: runs without a display
import matplotlib.pyplot as plt  # noqa: E402

import fastmlp as fm  # noqa: E402
from fastmlp.demo import synthetic_images  # noqa: E402

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


def load(quick):
    """(x_train, y_train), (x_test, y_test) as float32 rows in [0, 1] and labels, and
    a sentence on where they came from."""
    if fm.datasets.fashion_mnist_available():
        (x_train, y_train), (x_test, y_test) = fm.datasets.fashion_mnist.load_data()
        x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
        x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
        source = f"Fashion-MNIST from {fm.datasets.fashion_mnist_dir()}"
        names = CLASS_NAMES
    else:
        (x_train, y_train), (x_test, y_test) = synthetic_images()
        source = ("a synthetic 10-class set of Fashion-MNIST's shape (Fashion-MNIST is not "
                  "installed: apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR)")
        names = [f"class {i}" for i in range(10)]
    if quick:
        x_train, y_train, x_test, y_test = x_train[:6000], y_train[:6000], x_test[:2000], \
            y_test[:2000]
    return (x_train, y_train), (x_test, y_test), source, names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", default="figures", help="where the PNGs go")
    parser.add_argument("--epochs", type=int, default=None, help="default 20 (2 with --quick)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="less data, 2 epochs")
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (2 if args.quick else 20)
    os.makedirs(args.output_dir, exist_ok=True)

    (x_train, y_train), (x_test, y_test), source, names = load(args.quick)
    print(f"data: {source}")
    print(f"{len(x_train)} train samples, {len(x_test)} test samples")

    # the lecture's model, one-hot targets as keras.utils.to_categorical gives them
    y_train_1h = fm.utils.to_categorical(y_train, 10)
    y_test_1h = fm.utils.to_categorical(y_test, 10)
    fm.set_random_seed(0)
    model = fm.Sequential()
    model.add(fm.Dense(512, activation="relu", input_shape=(784,)))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(512, activation="relu"))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(10, activation="softmax"))
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=fm.RMSprop(), metrics=["accuracy"])

    start = time.perf_counter()
    history = model.fit(x_train, y_train_1h, batch_size=args.batch_size, epochs=epochs,
                        verbose=1, validation_data=(x_test, y_test_1h))
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test_1h, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    print(f"Training time: {elapsed:.1f} s for {epochs} epochs, {fm.get_num_threads()} threads")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    fm.plot.history(history, "loss", ax=left, title="loss (categorical cross-entropy)")
    fm.plot.history(history, "accuracy", ax=right, title="accuracy")
    fig.suptitle("The lecture's MLP: training and validation (the test set)")
    path = os.path.join(args.output_dir, "fashion_mnist_learning_curves.png")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {path}")

    fig, ax = plt.subplots(figsize=(9, 8))
    fm.plot.confusion_matrix(y_test, model.predict(x_test, verbose=0), display_labels=names,
                             ax=ax, xticks_rotation=45, title=f"Test set: accuracy {accuracy:.4f}")
    path = os.path.join(args.output_dir, "fashion_mnist_confusion_matrix.png")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
