import fastmlp as keras
from fastmlp import layers
import numpy as np

# A Sequential "encoder" used as a layer inside another Sequential model and
# inside a Functional model (Keras guide: "All models are callable, just like
# layers"). The nested model's weights are shared, not copied.

rng = np.random.default_rng(0)
x = rng.normal(size=(1500, 10)).astype("float32")
y = (np.abs(x[:, 0]) + np.abs(x[:, 1]) > 1.5).astype("float32")

keras.utils.set_random_seed(12)
encoder = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(8, activation="relu")],
                           name="encoder")
classifier = keras.Sequential([keras.Input(shape=(10,)), encoder, layers.Dense(1, activation="sigmoid")],
                              name="classifier")
classifier.summary()
assert [layer.name for layer in classifier.layers] == ["encoder", classifier.layers[1].name]
assert len(classifier.trainable_weights) == 6

classifier.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
classifier.fit(x[:1200], y[:1200], epochs=8, batch_size=32, verbose=0)
acc = classifier.evaluate(x[1200:], y[1200:], verbose=0)[1]
print("nested classifier accuracy", acc)
assert acc > 0.9, acc

# reuse the trained encoder in a Functional model: same weights
inputs = keras.Input(shape=(10,))
features = encoder(inputs)
outputs = layers.Dense(1)(features)
regressor = keras.Model(inputs, outputs)
assert regressor.layers[1] is encoder
manual = np.maximum(np.maximum(x[:5] @ encoder.layers[0].kernel.numpy() + encoder.layers[0].bias.numpy(), 0)
                    @ encoder.layers[1].kernel.numpy() + encoder.layers[1].bias.numpy(), 0)
assert np.allclose(encoder.predict(x[:5], verbose=0), manual, atol=1e-5)

# freezing the shared encoder: fitting the regressor must leave it unchanged
encoder.trainable = False
regressor.compile(optimizer="adam", loss="mse")
before = [w.copy() for w in encoder.get_weights()]
regressor.fit(x[:200], x[:200, :1], epochs=1, verbose=0)
assert all(np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))
assert len(regressor.trainable_weights) == 2
print("OK")
