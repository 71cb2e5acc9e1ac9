"""No update writes a non-finite weight: a finite loss can come with gradients
that overflow, and finite gradients with an update that overflows. Either way
the weights keep finite values, training stops with a warning, and the model
still predicts finite outputs on ordinary inputs."""
import numpy as np
import pytest

import fastmlp as fm


def regressor(optimizer, dtype="float32"):
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Dense(16, activation="relu", input_dim=8),
                           fm.Dense(1)], dtype=dtype)
    model.compile(optimizer=optimizer, loss="mse")
    return model


@pytest.mark.parametrize("optimizer,scale", [(fm.SGD(), 1e30), (fm.Adam(), 1e15),
                                             (fm.RMSprop(), 1e18)])
def test_huge_inputs_stop_training_without_non_finite_weights(optimizer, scale):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype(np.float32) * scale
    y = rng.standard_normal(256).astype(np.float32)
    model = regressor(optimizer)
    with pytest.warns(RuntimeWarning, match="training stopped"):
        model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert np.isfinite(model.predict(rng.standard_normal((5, 8)))).all()


OPTIMIZERS = {
    "sgd": fm.SGD(learning_rate=1e19),
    "sgd momentum": fm.SGD(learning_rate=1e19, momentum=0.9),
    "sgd nesterov": fm.SGD(learning_rate=1e19, momentum=0.9, nesterov=True),
    "rmsprop": fm.RMSprop(),
    "rmsprop momentum": fm.RMSprop(momentum=0.5),
    "adam": fm.Adam(),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS.values()), ids=list(OPTIMIZERS))
def test_an_overflowing_update_keeps_each_weight_it_would_break(isa, optimizer):
    """Gradients ~1e21: finite, but lr·g, or g² in the moment estimates, overflow float32."""
    model = fm.Sequential([fm.Dense(40, input_dim=3, kernel_initializer="ones")])
    model.compile(optimizer=optimizer, loss="mse")
    x = np.full((4, 3), 1e11, np.float32)
    y = np.zeros((4, 40), np.float32)
    before = [w.copy() for w in model.get_weights()]
    engine = model._network().engine
    engine.reserve(4)
    stats = engine.train_batch(x, y, None, np.arange(4, dtype=np.int64), 0, 4, None,
                               model._objective())
    assert stats["finite"] and stats["gradients_finite"]
    assert stats["rejected"] > 0
    after = model.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    slots = engine.optimizer_slots()
    assert all(np.isfinite(s).all() for s in slots)
    # each kernel weight overflowed, so none moved
    np.testing.assert_array_equal(after[0], before[0])


def test_non_finite_gradients_leave_every_weight_and_the_optimizer_state_alone(isa):
    model = fm.Sequential([fm.Dense(4, input_dim=2)])
    model.compile(optimizer="adam", loss="mse")
    x = np.array([[3e38, 3e38]], np.float32)  # x·w is finite for w < 0.5; xᵀ·dZ overflows
    model.set_weights([np.full((2, 4), 0.1, np.float32), np.zeros(4, np.float32)])
    before = [w.copy() for w in model.get_weights()]
    engine = model._network().engine
    engine.reserve(1)
    stats = engine.train_batch(x, np.zeros((1, 4), np.float32), None,
                               np.zeros(1, dtype=np.int64), 0, 1, None, model._objective())
    assert not stats["applied"] and not stats["gradients_finite"]
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert engine.iterations == 0
    assert all((s == 0).all() for s in engine.optimizer_slots())
