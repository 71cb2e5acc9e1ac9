"""fastmlp.utils against keras.utils (Keras 3.15.1, run in /work/notes/kenv;
keras3.md §13): to_categorical, set_random_seed, normalize."""
import random

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import utils
from fastmlp.utils import normalize, set_random_seed, to_categorical


# ------------------------------------------------------------------ to_categorical

def test_to_categorical_is_float64_one_hot():
    got = to_categorical([0, 2, 1])
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(to_categorical([0, 1, 2, 3], num_classes=4), np.eye(4))
    assert to_categorical([1], num_classes=5).shape == (1, 5)


def test_to_categorical_shapes_as_keras():
    """(n, 1) gives (n, k) like (n,); other shapes gain a class axis; a scalar gives (k,)."""
    np.testing.assert_array_equal(to_categorical(np.array([[1], [0]])), [[0, 1], [1, 0]])
    assert to_categorical(np.array([[0, 1], [2, 0]])).shape == (2, 2, 3)
    assert to_categorical(3).shape == (4,)
    assert to_categorical(np.zeros((0,), int), num_classes=3).shape == (0, 3)


def test_to_categorical_accepts_whole_floats_bools_and_numpy_ints():
    np.testing.assert_array_equal(to_categorical([2.0, 0.0]), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(to_categorical([True, False]), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([1, 0], np.uint8), np.int64(2)),
                                  [[0, 1], [1, 0]])


def test_to_categorical_refuses_labels_keras_would_garble():
    """Keras truncates 1.7 to 1 and wraps -1 around to the last class silently."""
    with pytest.raises(ValueError, match=r"whole-number class labels; got 1\.7 at position 0"):
        to_categorical([1.7, 0.2])
    with pytest.raises(ValueError, match="whole-number"):
        to_categorical([0.0, np.nan])
    with pytest.raises(ValueError, match=r"labels >= 0; got -1 at position 1"):
        to_categorical([0, -1, 2])
    with pytest.raises(ValueError, match=r"label 3 \(at position 2\), but num_classes=3 allows "
                                         r"labels 0 to 2"):
        to_categorical([0, 1, 3], num_classes=3)
    with pytest.raises(ValueError, match="y is empty: pass num_classes"):
        to_categorical([])
    with pytest.raises(TypeError, match="integer class labels"):
        to_categorical(["a", "b"])
    with pytest.raises(TypeError, match="num_classes"):
        to_categorical([0, 1], num_classes=2.0)
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0, 1], num_classes=0)


def test_to_categorical_feeds_categorical_crossentropy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 4))
    labels = rng.integers(0, 3, 60)
    model = fm.Sequential([fm.Dense(3, activation="softmax", input_dim=4)])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    one_hot = model.evaluate(x, to_categorical(labels), verbose=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.evaluate(x, labels, verbose=0) == pytest.approx(one_hot)


# ------------------------------------------------------------------ set_random_seed

def test_set_random_seed_fixes_fastmlp_python_and_numpy():
    def draw():
        model = fm.Sequential([fm.Dense(4, input_dim=3)])
        return model.get_weights()[0], random.random(), np.random.rand()

    set_random_seed(7)
    first = draw()
    set_random_seed(7)
    second = draw()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]
    fm.set_random_seed(7)  # fastmlp's own: the same weights
    np.testing.assert_array_equal(fm.Sequential([fm.Dense(4, input_dim=3)]).get_weights()[0],
                                  first[0])


def test_set_random_seed_takes_python_ints_only_as_keras():
    for seed in (1.0, "1", np.int64(1), None):
        with pytest.raises(ValueError, match=r"Expected `seed` argument to be an integer\. "
                                             r"Received: seed="):
            set_random_seed(seed)
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(-1)
    with pytest.raises(TypeError, match="seed"):
        set_random_seed(True)
    set_random_seed(2**40)  # beyond numpy's legacy 32-bit seeds: fine


# ------------------------------------------------------------------ normalize

def test_normalize_values_as_keras():
    """The arrays keras.utils.normalize returned for the same input."""
    got = normalize(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.array([[0.6, 0.8], [0.0, 0.0]], np.float32))
    np.testing.assert_allclose(normalize(np.array([[3, 4], [0, 1]]), order=1),
                               [[0.42857143, 0.57142857], [0.0, 1.0]])
    np.testing.assert_allclose(normalize(np.arange(8.0).reshape(2, 2, 2), axis=1),
                               [[[0.0, 0.31622777], [1.0, 0.9486833]],
                                [[0.5547002, 0.58123819], [0.83205029, 0.81373347]]])
    assert normalize([3.0, 4.0]).tolist() == [[0.6, 0.8]]  # 1-D comes back as (1, n), as Keras


def test_normalize_along_axis_0_and_other_orders():
    """Keras 3.15 fails here ((2, 3) / (3, 1) does not broadcast); fastmlp does what
    axis=0 says."""
    x = np.array([[3.0, 4.0, 1.0], [4.0, 3.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), x / np.array([5.0, 5.0, 1.0]))
    np.testing.assert_allclose(normalize(x, order=np.inf), x / np.array([[4.0], [4.0]]))
    assert normalize(np.array([[1, 2]])).dtype == np.float64


def test_normalize_refusals():
    with pytest.raises(TypeError, match="numeric"):
        normalize(np.array(["a"]))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        normalize(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        normalize(np.ones((2, 2)), axis=1.0)


def test_module_exports():
    assert set(utils.__all__) == {"to_categorical", "set_random_seed", "normalize"}
