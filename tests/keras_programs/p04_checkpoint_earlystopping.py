import fastmlp as keras
from fastmlp import layers
import numpy as np
import os
import tempfile

# ModelCheckpoint (best weights only, with a formatted file name) together
# with EarlyStopping(restore_best_weights=True), as in the Keras
# "Callbacks" guide. The weights of the best epoch are then reloaded into a
# fresh model and must give identical predictions.

rng = np.random.default_rng(0)
x = rng.normal(size=(1200, 10)).astype("float32")
y = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype("float32")
x_val, y_val = x[1000:], y[1000:]


def build():
    model = keras.Sequential([
        keras.Input(shape=(10,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


keras.utils.set_random_seed(4)
model = build()
with tempfile.TemporaryDirectory() as tmp:
    best_path = os.path.join(tmp, "best.weights.h5")
    every_path = os.path.join(tmp, "ckpt", "model_{epoch:02d}_{val_loss:.2f}.weights.h5")
    callbacks = [
        keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True,
                                        save_weights_only=True),
        keras.callbacks.ModelCheckpoint(every_path, save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    ]
    history = model.fit(x[:1000], y[:1000], epochs=40, batch_size=32,
                        validation_data=(x_val, y_val), callbacks=callbacks, verbose=0)
    epochs_run = len(history.history["loss"])
    best_epoch = int(np.argmin(history.history["val_loss"]))
    saved = sorted(os.listdir(os.path.join(tmp, "ckpt")))
    print("epochs run", epochs_run, "best epoch", best_epoch + 1, "files", saved[:3], "...")

    # the model holds the best weights (restored at the end of training)
    restored_val_loss = model.evaluate(x_val, y_val, verbose=0)[0]
    assert abs(restored_val_loss - min(history.history["val_loss"])) < 1e-4

    fresh = build()
    fresh.load_weights(best_path)
    assert np.allclose(fresh.predict(x_val, verbose=0), model.predict(x_val, verbose=0), atol=1e-6)

assert epochs_run < 40                      # stopped early
assert len(saved) == epochs_run             # one file per epoch
assert saved[0].startswith("model_01_")     # {epoch:02d} formatting
assert min(history.history["val_loss"]) < 0.4
print("OK")
