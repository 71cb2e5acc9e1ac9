import fastmlp as keras
from fastmlp import layers
import numpy as np

# Custom callbacks: a LambdaCallback that records epoch losses and counts
# batches, and a Callback subclass that stops training once accuracy passes
# a target (Keras "Writing your own callbacks" guide).
# Note: Keras calls on_train_batch_end(batch, logs=logs) with `logs` as a
# keyword argument, so the lambda's second parameter must be named `logs`.

rng = np.random.default_rng(0)
x = rng.normal(size=(1000, 5)).astype("float32")
y = (x[:, 0] > 0).astype("float32")

record = {"epoch_loss": [], "batches": 0, "began": False, "ended": False}
lambda_cb = keras.callbacks.LambdaCallback(
    on_train_begin=lambda logs: record.update(began=True),
    on_epoch_end=lambda epoch, logs: record["epoch_loss"].append(logs["loss"]),
    on_train_batch_end=lambda batch, logs: record.update(batches=record["batches"] + 1),
    on_train_end=lambda logs: record.update(ended=True),
)


class StopAtAccuracy(keras.callbacks.Callback):
    def __init__(self, target):
        super().__init__()
        self.target = target
        self.stopped_at = None

    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= self.target:
            self.stopped_at = epoch
            self.model.stop_training = True


keras.utils.set_random_seed(14)
model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(8, activation="relu"),
                          layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
stopper = StopAtAccuracy(0.97)
history = model.fit(x, y, epochs=50, batch_size=50, verbose=0, callbacks=[lambda_cb, stopper])
epochs_run = len(history.history["loss"])
print("stopped after", epochs_run, "epochs; losses", [round(v, 3) for v in record["epoch_loss"]])

assert record["began"] and record["ended"]
assert stopper.stopped_at == epochs_run - 1 and epochs_run < 50
assert np.allclose(record["epoch_loss"], history.history["loss"])
assert record["batches"] == epochs_run * 20
assert history.history["accuracy"][-1] >= 0.97
print("OK")
