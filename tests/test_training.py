"""fit's behaviour: learning, precision, determinism, divergence and
validation. Callbacks and the progress display: test_callbacks.py."""
import numpy as np
import pytest

import fastmlp as fm
from conftest import two_moons


def moons_model(dtype="float32", dropout=0.0):
    model = fm.Sequential(dtype=dtype)
    model.add(fm.Dense(32, activation="relu", input_dim=2))
    if dropout:
        model.add(fm.Dropout(dropout))
    model.add(fm.Dense(32, activation="tanh"))
    model.add(fm.Dense(1, activation="sigmoid"))
    model.compile(optimizer=fm.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def test_two_moons_reaches_97_percent():
    rng = np.random.default_rng(0)
    x, y = two_moons(2000, 0.1, rng)
    model = moons_model(dropout=0.1)
    model.fit(x[:1500], y[:1500], batch_size=32, epochs=60, verbose=0)
    loss, accuracy = model.evaluate(x[1500:], y[1500:], verbose=0)
    assert accuracy >= 0.97
    predicted = (model.predict(x[1500:])[:, 0] > 0.5).astype(float)
    assert np.mean(predicted == y[1500:]) == pytest.approx(accuracy)


def test_spiral_three_classes_softmax():
    rng = np.random.default_rng(1)
    n, classes = 300, 3
    x = np.zeros((n * classes, 2))
    y = np.repeat(np.arange(classes), n)
    for c in range(classes):
        r = np.linspace(0.05, 1, n)
        t = np.linspace(c * 4, (c + 1) * 4, n) + rng.normal(0, 0.15, n)
        x[c * n:(c + 1) * n] = np.c_[r * np.sin(t), r * np.cos(t)]
    model = fm.Sequential()
    model.add(fm.Dense(64, activation="relu", input_dim=2))
    model.add(fm.Dense(64, activation="relu"))
    model.add(fm.Dense(classes, activation="softmax"))
    model.compile(optimizer=fm.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=150, verbose=0)
    assert max(history.history["accuracy"]) >= 0.97


def test_float32_agrees_with_float64():
    rng = np.random.default_rng(2)
    x, y = two_moons(400, 0.1, rng)
    wide = moons_model("float64")
    narrow = moons_model("float32")
    narrow.set_weights(wide.get_weights())
    for model in (wide, narrow):
        fm.set_random_seed(3)
        model.fit(x, y, batch_size=50, epochs=5, verbose=0)
    for w64, w32 in zip(wide.get_weights(), narrow.get_weights()):
        np.testing.assert_allclose(w32, w64, rtol=2e-3, atol=2e-4)
    np.testing.assert_allclose(narrow.predict(x), wide.predict(x), atol=1e-3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_same_weights_for_any_thread_count(threads, dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((600, 40)).astype(dtype)
    y = rng.integers(0, 5, 600)
    results = []
    for count in (1, 2, 4):
        threads(count)
        fm.set_random_seed(5)
        model = fm.Sequential(dtype=dtype)
        model.add(fm.Dense(300, activation="relu", input_dim=40))
        model.add(fm.Dropout(0.3))
        model.add(fm.Dense(200, activation="relu"))
        model.add(fm.Dropout(0.2))
        model.add(fm.Dense(5, activation="softmax"))
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=128, epochs=2, verbose=0)
        results.append(model.get_weights())
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_different_seeds_differ():
    def trained(seed):
        fm.set_random_seed(seed)
        model = moons_model(dropout=0.2)
        x, y = two_moons(200, 0.1, np.random.default_rng(0))
        model.fit(x, y, epochs=1, verbose=0)
        return model.get_weights()[0]
    assert not np.array_equal(trained(1), trained(2))
    np.testing.assert_array_equal(trained(1), trained(1))


def test_dropout_is_active_in_fit_only():
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(50, activation="relu", input_dim=10))
    model.add(fm.Dropout(0.5))
    model.add(fm.Dense(1))
    model.compile(optimizer=fm.SGD(learning_rate=1e-3), loss="mse")
    x = np.random.default_rng(5).standard_normal((64, 10))
    y = np.zeros(64)
    first = model.predict(x)
    np.testing.assert_array_equal(first, model.predict(x))  # inference is deterministic
    # training loss (with dropout) differs from the evaluated loss (without)
    history = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    assert history.history["loss"][0] != pytest.approx(
        float(np.mean(first[:, 0] ** 2)), rel=1e-6)


def test_divergence_stops_training_with_a_warning():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((256, 5))
    y = rng.standard_normal((256, 1)) * 1e3
    model = fm.Sequential(dtype="float32")
    model.add(fm.Dense(16, activation="linear", input_dim=5))
    model.add(fm.Dense(1))
    model.compile(optimizer=fm.SGD(learning_rate=10.0), loss="mse")
    after_batch = []

    class Weights(fm.Callback):
        def on_train_batch_end(self, batch, logs=None):
            after_batch.append(self.model.get_weights())

    with pytest.warns(RuntimeWarning, match="training stopped"):
        history = model.fit(x, y, batch_size=16, epochs=50, verbose=0, callbacks=[Weights()])
    assert 1 <= len(history.history["loss"]) < 50
    assert len(after_batch) >= 2
    # the batch whose loss or gradients were not finite changed nothing, and
    # no weight ever became NaN or infinite
    for a, b in zip(after_batch[-1], after_batch[-2]):
        np.testing.assert_array_equal(a, b)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_history_and_validation_split():
    rng = np.random.default_rng(7)
    x, y = two_moons(500, 0.1, rng)
    model = moons_model()
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert model.history is history
    # Keras takes the last 20 % as validation data, before shuffling
    val_loss, val_acc = model.evaluate(x[400:], y[400:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_acc)


def test_validation_data_and_evaluate_return_forms():
    rng = np.random.default_rng(8)
    x, y = two_moons(300, 0.1, rng)
    model = moons_model()
    history = model.fit(x, y, epochs=2, validation_data=(x[:50], y[:50]), verbose=0)
    assert len(history.history["val_loss"]) == 2
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert as_dict == {"loss": result[0], "accuracy": result[1]}
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_accuracy_follows_the_loss():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((100, 4))
    labels = rng.integers(0, 3, 100)
    model = fm.Sequential()
    model.add(fm.Dense(3, activation="softmax", input_dim=4))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acc"])
    expected = np.mean(model.predict(x).argmax(1) == labels)
    assert model.evaluate(x, labels, verbose=0)[1] == pytest.approx(expected)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    assert model.evaluate(x, np.eye(3)[labels], verbose=0)[1] == pytest.approx(expected)
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    assert model.evaluate(x, np.eye(3)[labels], verbose=0)[1] == pytest.approx(expected)


def test_batch_size_larger_than_data_and_epochs_zero():
    x, y = two_moons(10, 0.1, np.random.default_rng(15))
    model = moons_model()
    history = model.fit(x, y, batch_size=1000, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    before = model.get_weights()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {}
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lazy_build_from_the_data():
    model = fm.Sequential([fm.Dense(8, activation="relu"), fm.Dense(2, activation="softmax")])
    assert not model.built
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(16).standard_normal((20, 6))
    model.fit(x, np.arange(20) % 2, epochs=1, verbose=0)
    assert model.built and model.input_shape == (None, 6)
    assert model.count_params() == 6 * 8 + 8 + 8 * 2 + 2


def test_adding_a_layer_to_a_built_model_keeps_the_weights():
    model = fm.Sequential([fm.Dense(4, input_dim=3)])
    first = model.get_weights()
    model.add(fm.Dense(2))
    np.testing.assert_array_equal(model.get_weights()[0], first[0])
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "softmax"])
def test_one_and_two_row_predicts_equal_the_batch_rows_on_every_path(isa, threads, activation):
    """A predict of one or two rows runs its layers in one parallel region,
    the threads sharing each layer's columns (network.inc, forward_few): it
    gives the bits of a batch predict, for any thread count, with epilogue
    activations, one applied after the product (gelu) and softmax, on wide
    layers (several 128-column panels), a 10-wide one and folded batch
    normalization."""
    rng = np.random.default_rng(23)
    x = rng.standard_normal((9, 300)).astype(np.float32)
    fm.set_random_seed(3)
    model = fm.Sequential([fm.Input((300,)), fm.Dense(700, activation=activation),
                           fm.BatchNormalization(), fm.Dense(384, activation="relu"),
                           fm.Dense(10, activation=activation), fm.Dense(130)])
    model.layers[1].set_weights([w + rng.random(w.shape).astype(np.float32)
                                 for w in model.layers[1].get_weights()])
    threads(1)
    full = model.predict(x, verbose=0)
    for count in (1, 2, 3):
        threads(count)
        np.testing.assert_array_equal(model.predict(x[:1], verbose=0), full[:1])
        np.testing.assert_array_equal(model.predict(x[3:5], verbose=0), full[3:5])


def test_predict_does_not_depend_on_batch_size():
    rng = np.random.default_rng(17)
    x = rng.standard_normal((777, 30)).astype(np.float32)
    model = fm.Sequential()
    model.add(fm.Dense(100, activation="relu", input_dim=30))
    model.add(fm.Dense(7, activation="softmax"))
    full = model.predict(x)
    for batch_size in (1, 3, 32, 500, 5000):
        np.testing.assert_array_equal(model.predict(x, batch_size=batch_size), full)
    np.testing.assert_array_equal(model.predict(x[5:6]), full[5:6])
