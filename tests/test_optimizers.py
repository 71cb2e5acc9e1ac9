"""Each optimizer's steps against Keras 3's update rule written out in numpy."""
import numpy as np
import pytest

import fastmlp as fm


def small_model(optimizer, dtype="float64"):
    model = fm.Sequential(dtype=dtype)
    model.add(fm.Dense(4, activation="tanh", input_dim=3))
    model.add(fm.Dense(2, activation="softmax"))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    return model


def run_steps(optimizer, update, steps=3):
    """Take `steps` full-batch steps with fit and with `update(w, g, state, t)`."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3))
    y = np.eye(2)[rng.integers(0, 2, 8)]
    model = small_model(optimizer)
    expected = [w.copy() for w in model.get_weights()]
    state = [{} for _ in expected]
    for t in range(1, steps + 1):
        _, grads = model._gradients(x, y)
        expected = [update(w, g, s, t) for w, g, s in zip(expected, grads, state)]
        model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
        for got, want in zip(model.get_weights(), expected):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
        expected = model.get_weights()  # continue from the engine's values


def test_sgd_plain(isa):
    run_steps(fm.SGD(learning_rate=0.1), lambda w, g, s, t: w - g * 0.1)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(isa, nesterov):
    lr, mu = 0.05, 0.9

    def update(w, g, s, t):
        m = s.get("m", np.zeros_like(w)) * mu - g * lr
        s["m"] = m
        return w + (m * mu - g * lr if nesterov else m)
    run_steps(fm.SGD(learning_rate=lr, momentum=mu, nesterov=nesterov), update)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop(isa, momentum):
    lr, rho, eps = 0.01, 0.8, 1e-7

    def update(w, g, s, t):
        v = rho * s.get("v", np.zeros_like(w)) + (1 - rho) * g * g
        s["v"] = v
        increment = lr * g / np.sqrt(v + eps)
        if momentum:
            s["m"] = momentum * s.get("m", np.zeros_like(w)) + increment
            return w - s["m"]
        return w - increment
    run_steps(fm.RMSprop(learning_rate=lr, rho=rho, momentum=momentum, epsilon=eps), update)


def test_adam(isa):
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-7

    def update(w, g, s, t):
        m = s.get("m", np.zeros_like(w))
        v = s.get("v", np.zeros_like(w))
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        s["m"], s["v"] = m, v
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - alpha * m / (np.sqrt(v) + eps)
    run_steps(fm.Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps), update)


# the keys every Keras 3 optimizer config has besides its own hyper-parameters
COMMON_KEYS = {"name", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
               "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
               "gradient_accumulation_steps"}


def test_keras_defaults():
    def own(config):
        return {k: v for k, v in config.items() if k not in COMMON_KEYS}
    assert own(fm.SGD().get_config()) == {"learning_rate": 0.01, "momentum": 0.0,
                                          "nesterov": False}
    assert own(fm.RMSprop().get_config()) == {"learning_rate": 0.001, "rho": 0.9,
                                              "momentum": 0.0, "epsilon": 1e-7, "centered": False}
    assert own(fm.Adam().get_config()) == {"learning_rate": 0.001, "beta_1": 0.9,
                                           "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}
    model = small_model("adam")
    assert isinstance(model.optimizer, fm.Adam)


def test_learning_rate_change_between_epochs_takes_effect():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3))
    y = np.eye(2)[rng.integers(0, 2, 8)]
    model = small_model(fm.SGD(learning_rate=0.1))
    before = model.get_weights()
    _, grads = model._gradients(x, y)
    model.optimizer.learning_rate = 0.5
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, w, g in zip(model.get_weights(), before, grads):
        np.testing.assert_allclose(got, w - g * 0.5, rtol=1e-13)


def test_recompiling_resets_the_optimizer_state():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3))
    y = np.eye(2)[rng.integers(0, 2, 8)]
    model = small_model(fm.Adam(learning_rate=0.01))
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    model.compile(optimizer=fm.Adam(learning_rate=0.01), loss="categorical_crossentropy")
    start = model.get_weights()
    _, grads = model._gradients(x, y)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # a fresh Adam's first step (t = 1, zero moments), not a fourth step of the old state
    b1, b2, eps = 0.9, 0.999, 1e-7
    alpha = 0.01 * np.sqrt(1 - b2) / (1 - b1)
    for got, w, g in zip(model.get_weights(), start, grads):
        m, v = g * (1 - b1), g * g * (1 - b2)
        np.testing.assert_allclose(got, w - alpha * m / (np.sqrt(v) + eps), rtol=1e-13)
