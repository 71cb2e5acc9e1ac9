import fastmlp as keras
from fastmlp import layers
import numpy as np

# Regression MLP with mse loss and mae metric (Boston-housing style from
# "Deep Learning with Python"): standardized features, one linear output,
# evaluate returns [mse, mae].

rng = np.random.default_rng(0)
n, d = 1500, 13
x = rng.normal(size=(n, d)).astype("float32")
y = (20.0 + 3.0 * x[:, 0] - 2.0 * x[:, 1] + 1.5 * np.sin(x[:, 2]) + x[:, 3] * x[:, 4]
     + 0.5 * rng.normal(size=n)).astype("float32")
mean, std = x[:1200].mean(axis=0), x[:1200].std(axis=0)
x = (x - mean) / std

keras.utils.set_random_seed(10)
model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
history = model.fit(x[:1200], y[:1200], epochs=40, batch_size=16, validation_split=0.2, verbose=0)
test_mse, test_mae = model.evaluate(x[1200:], y[1200:], verbose=0)
pred = model.predict(x[1200:], verbose=0)
print("test mse %.3f mae %.3f, baseline mae %.3f" % (test_mse, test_mae, np.abs(y[1200:] - y[:1200].mean()).mean()))

assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
assert pred.shape == (300, 1)
assert abs(test_mae - np.abs(pred[:, 0] - y[1200:]).mean()) < 1e-3
assert abs(test_mse - ((pred[:, 0] - y[1200:]) ** 2).mean()) < 1e-2
assert test_mae < 1.5, test_mae
print("OK")
