import fastmlp as keras
from fastmlp import layers
import numpy as np

# A Sequential MLP for a 4-class problem with integer labels
# (sparse_categorical_crossentropy), in the style of the Keras
# "Sequential model" guide: Input, Dense/Dropout, summary, fit with
# validation_split, evaluate, predict.

rng = np.random.default_rng(0)
n, d, k = 3000, 20, 4
centers = rng.normal(0.0, 2.0, size=(k, d))
y = rng.integers(0, k, size=n)
x = (centers[y] + rng.normal(size=(n, d))).astype("float32")
x_train, y_train, x_test, y_test = x[:2500], y[:2500], x[2500:], y[2500:]

keras.utils.set_random_seed(1)
model = keras.Sequential(
    [
        keras.Input(shape=(d,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(32, activation="relu"),
        layers.Dense(k, activation="softmax"),
    ],
    name="mlp",
)
model.summary()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    x_train, y_train, batch_size=64, epochs=5, validation_split=0.2, verbose=2
)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
probs = model.predict(x_test, verbose=0)
print("test loss %.4f accuracy %.4f" % (loss, acc))

assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
assert len(history.history["loss"]) == 5
assert history.history["loss"][-1] < history.history["loss"][0]
assert acc > 0.9, acc
assert probs.shape == (500, k)
assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
assert (probs.argmax(axis=1) == y_test).mean() > 0.9
assert model.count_params() == (d * 64 + 64) + (64 * 32 + 32) + (32 * k + k)
print("OK")
