import fastmlp as keras
from fastmlp import layers
import numpy as np
import os
import tempfile

# ReduceLROnPlateau and CSVLogger. The learning rate logged per epoch (the
# callback adds "learning_rate" to the logs) must drop by `factor` once the
# monitored loss stops improving, and the CSV file must have one row per epoch.

rng = np.random.default_rng(0)
x = rng.normal(size=(1000, 5)).astype("float32")
y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.3 * rng.normal(size=1000)).astype("float32")

keras.utils.set_random_seed(5)
model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="mse", metrics=["mae"])

with tempfile.TemporaryDirectory() as tmp:
    log_path = os.path.join(tmp, "training.csv")
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                                  min_delta=1e9, min_lr=0.01)
    history = model.fit(x[:800], y[:800], epochs=6, batch_size=32, validation_data=(x[800:], y[800:]),
                        callbacks=[reduce_lr, keras.callbacks.CSVLogger(log_path)], verbose=0)
    with open(log_path) as f:
        rows = f.read().splitlines()
    print(rows[0])
    print(rows[1])

lrs = history.history["learning_rate"]
print("learning rates per epoch:", [round(v, 5) for v in lrs])
# min_delta=1e9 means "never an improvement" after the first epoch, so with
# patience=1 the rate is halved at the end of every epoch from the second on,
# never going below min_lr.
assert np.allclose(lrs, [0.05, 0.05, 0.025, 0.0125, 0.01, 0.01], rtol=1e-5), lrs
assert abs(float(model.optimizer.learning_rate) - 0.01) < 1e-7
assert rows[0].split(",")[0] == "epoch" and "loss" in rows[0].split(",") and "val_mae" in rows[0].split(",")
assert len(rows) == 1 + 6
assert history.history["val_mae"][-1] < 1.0
print("OK")
