"""The seed network on real data: Fashion-MNIST from the Debian package
dataset-fashion-mnist (or FASHION_MNIST_DIR)."""
import os

import numpy as np
import pytest

import fastmlp as fm
from conftest import run_python
from fastmlp.demo import seed_network

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


def test_keras_form_load_data_gives_the_same_arrays():
    direct = fm.datasets.load_fashion_mnist()
    keras_form = fm.datasets.fashion_mnist.load_data()
    for a, b in zip(direct, keras_form):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_seed_network_five_epochs():
    (x_train, y_train), (x_test, y_test) = fm.datasets.load_fashion_mnist()
    x_train = x_train.reshape(-1, 784).astype(np.float32) / 255
    x_test = x_test.reshape(-1, 784).astype(np.float32) / 255
    model = seed_network(loss="categorical_crossentropy")
    history = model.fit(x_train, np.eye(10, dtype=np.float32)[y_train], batch_size=128, epochs=5,
                        verbose=0, validation_data=(x_test, np.eye(10)[y_test]))
    best = max(history.history["val_accuracy"])
    assert best >= 0.86, history.history
    assert history.history["loss"][-1] < history.history["loss"][0]


MEMORY_SCRIPT = """
import numpy as np, fastmlp as fm
from fastmlp.demo import seed_network

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

(x, y), (xt, yt) = fm.datasets.load_fashion_mnist()
x = (x.reshape(-1, 784) / np.float32(255)).astype(np.float32)
xt = (xt.reshape(-1, 784) / np.float32(255)).astype(np.float32)
model = seed_network()
before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current size
    f.write("5")
model.fit(x, y, batch_size=128, epochs=1, verbose=0, validation_data=(xt, yt))
print(before, status("VmHWM:"), x.nbytes + xt.nbytes)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                    reason="needs Linux's /proc/self/clear_refs to measure a peak")
def test_fit_peak_memory_stays_within_the_data_plus_100_mb(tmp_path):
    result = run_python(MEMORY_SCRIPT, tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    before, peak, data_bytes = map(int, result.stdout.split())
    assert before > data_bytes  # the data is resident before fit starts
    assert peak - before <= 100 * 2**20, f"fit grew the process by {(peak - before) / 2**20:.0f} MiB"
