"""The seed network on real data: Fashion-MNIST from the Debian package
dataset-fashion-mnist (or FASHION_MNIST_DIR)."""
import numpy as np
import pytest

import fastmlp as fm

pytestmark = pytest.mark.skipif(
    not fm.datasets.fashion_mnist_available(),
    reason=f"Fashion-MNIST IDX files not found in {fm.datasets.fashion_mnist_dir()} "
           f"(apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR)")


def test_files_read_as_keras_gives_them():
    (x_train, y_train), (x_test, y_test) = fm.datasets.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert sorted(np.unique(y_train)) == list(range(10))
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_seed_network_five_epochs():
    (x_train, y_train), (x_test, y_test) = fm.datasets.load_fashion_mnist()
    x_train = x_train.reshape(-1, 784).astype(np.float32) / 255
    x_test = x_test.reshape(-1, 784).astype(np.float32) / 255
    model = fm.Sequential()
    model.add(fm.Dense(512, activation="relu", input_shape=(784,)))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(512, activation="relu"))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer=fm.RMSprop(), metrics=["accuracy"])
    history = model.fit(x_train, np.eye(10, dtype=np.float32)[y_train], batch_size=128, epochs=5,
                        verbose=0, validation_data=(x_test, np.eye(10)[y_test]))
    best = max(history.history["val_accuracy"])
    assert best >= 0.86, history.history
    assert history.history["loss"][-1] < history.history["loss"][0]
