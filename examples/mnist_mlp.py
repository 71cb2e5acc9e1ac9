"""The seed's Keras example (keras/examples/mnist_mlp.py) ported to fastmlp,
on Fashion-MNIST: 784-512-512-10, ReLU, dropout 0.2, softmax, RMSprop,
batch 128, 20 epochs.

    python examples/mnist_mlp.py [--epochs 20]
"""
import argparse
import time

import numpy as np

import fastmlp as fm


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = fm.datasets.load_fashion_mnist()
    x_train = x_train.reshape(60000, 784).astype("float32") / 255
    x_test = x_test.reshape(10000, 784).astype("float32") / 255
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # one-hot targets, as keras.utils.to_categorical gives them
    num_classes = 10
    y_train = np.eye(num_classes, dtype="float32")[y_train]
    y_test = np.eye(num_classes, dtype="float32")[y_test]

    model = fm.Sequential()
    model.add(fm.Dense(512, activation="relu", input_shape=(784,)))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(512, activation="relu"))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(num_classes, activation="softmax"))
    model.summary()

    model.compile(loss="categorical_crossentropy", optimizer=fm.RMSprop(), metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        verbose=1, validation_data=(x_test, y_test))
    elapsed = time.perf_counter() - start
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    print(f"Best epoch test accuracy: {max(history.history['val_accuracy']):.4f}")
    print(f"Training time: {elapsed:.1f} s ({elapsed / args.epochs:.2f} s per epoch, "
          f"{fm.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
