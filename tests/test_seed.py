"""The seed notebook's numbers, reproduced through the Keras-dialect API."""
import numpy as np
import pytest

import fastmlp as fm


def sigmoid_layer(kernel):
    """A bias-free sigmoid Dense layer in float64 holding the given kernel."""
    kernel = np.asarray(kernel, dtype=np.float64)
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(kernel.shape[1], activation="sigmoid", use_bias=False,
                       input_dim=kernel.shape[0]))
    model.set_weights([kernel])
    return model


def test_neuron():
    # neuron([1.0, -2.0], [3.0, 4.0])
    model = sigmoid_layer([[3.0], [4.0]])
    out = model.predict([[1.0, -2.0]])
    np.testing.assert_allclose(out[0, 0], 0.0066928509242848554, rtol=0, atol=1e-12)


def test_layer():
    # layer([1.0, 2.0], [[3.0, 4.0], [4.0, 3.0], [-2.0, 2.0]]): one row of weights per neuron
    neurons = np.array([[3.0, 4.0], [4.0, 3.0], [-2.0, 2.0]])
    out = sigmoid_layer(neurons.T).predict([[1.0, 2.0]])
    np.testing.assert_allclose(out[0], [0.999983298578152, 0.9999546021312976, 0.8807970779778823],
                               rtol=0, atol=1e-12)


def test_network():
    # network([1.0, 2.0], [w0, w1]); the seed's neuron zips inputs with weights, so the
    # second layer's two-weight neurons ignore the third hidden value: a zero weight here
    w0 = np.array([[4.5, -2.5], [5.6, -9.1], [4.1, 5.6]])
    w1 = np.array([[-1.2, 3.4], [6.7, 2.3], [9.8, -6.7]])
    model = fm.Sequential(dtype="float64")
    model.add(fm.Dense(3, activation="sigmoid", use_bias=False, input_dim=2))
    model.add(fm.Dense(3, activation="sigmoid", use_bias=False))
    second = np.vstack([w1.T, np.zeros((1, 3))])
    model.set_weights([w0.T, second])
    out = model.predict([[1.0, 2.0]])
    np.testing.assert_allclose(out[0], [0.38863885494001416, 0.9261862443148056, 0.9758700579418047],
                               rtol=0, atol=1e-12)


def seed_keras_model():
    model = fm.Sequential()
    model.add(fm.Dense(512, activation="relu", input_shape=(784,)))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(512, activation="relu"))
    model.add(fm.Dropout(0.2))
    model.add(fm.Dense(10, activation="softmax"))
    return model


def test_keras_mnist_model_builds_with_its_parameter_count():
    model = seed_keras_model()
    assert model.count_params() == 669706
    assert [w.shape for w in model.get_weights()] == [(784, 512), (512,), (512, 512), (512,),
                                                     (512, 10), (10,)]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 669,706" in text
    assert "(None, 512)" in text and "(None, 10)" in text
    model.compile(loss="categorical_crossentropy", optimizer=fm.RMSprop(), metrics=["accuracy"])
    assert model.metrics_names == ["loss", "accuracy"]


def test_glorot_uniform_initialisation():
    model = seed_keras_model()
    kernel, bias = model.get_weights()[:2]
    limit = np.sqrt(6 / (784 + 512))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.99 * limit  # uses the whole range
    assert kernel.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    assert not bias.any()
