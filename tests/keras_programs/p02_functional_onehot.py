import fastmlp as keras
from fastmlp import layers
import numpy as np

# Functional API MLP (keras.Input + keras.Model(inputs, outputs)) trained on
# one-hot labels made with keras.utils.to_categorical and
# categorical_crossentropy, as in the Keras "Functional API" guide.

rng = np.random.default_rng(0)
n, d, k = 2000, 784, 10
prototypes = rng.random((k, d)).astype("float32")
labels = rng.integers(0, k, size=n)
x = np.clip(prototypes[labels] + 0.3 * rng.normal(size=(n, d)), 0, 1).astype("float32")
y = keras.utils.to_categorical(labels, num_classes=k)

keras.utils.set_random_seed(2)
inputs = keras.Input(shape=(784,), name="digits")
h = layers.Dense(64, activation="relu", name="dense_1")(inputs)
h = layers.Dense(64, activation="relu", name="dense_2")(h)
outputs = layers.Dense(10, activation="softmax", name="predictions")(h)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
model.summary()

model.compile(
    optimizer=keras.optimizers.RMSprop(),
    loss=keras.losses.CategoricalCrossentropy(),
    metrics=[keras.metrics.CategoricalAccuracy()],
)
history = model.fit(x[:1600], y[:1600], batch_size=64, epochs=3,
                    validation_data=(x[1600:], y[1600:]), verbose=2)
results = model.evaluate(x[1600:], y[1600:], batch_size=128, verbose=0, return_dict=True)
print(results)

assert y.shape == (n, k) and set(np.unique(y)) == {0.0, 1.0}
assert [layer.name for layer in model.layers] == ["digits", "dense_1", "dense_2", "predictions"]
assert "val_categorical_accuracy" in history.history
assert results["categorical_accuracy"] > 0.95, results
assert model.get_layer("dense_1").kernel.shape == (784, 64)
print("OK")
