import fastmlp as keras
from fastmlp import layers
import numpy as np

# A hand-written training loop with train_on_batch / test_on_batch /
# predict_on_batch (Keras FAQ style). Each call returns [loss, metric...]
# computed on that batch only.

rng = np.random.default_rng(0)
x = rng.normal(size=(1024, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("int64")

keras.utils.set_random_seed(13)
model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(32, activation="relu"),
                          layers.Dense(2, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

batch_size = 64
epoch_losses = []
for epoch in range(6):
    order = rng.permutation(896)
    losses = []
    for start in range(0, 896, batch_size):
        idx = order[start:start + batch_size]
        loss, acc = model.train_on_batch(x[idx], y[idx])
        losses.append(loss)
    epoch_losses.append(float(np.mean(losses)))
    val_loss, val_acc = model.test_on_batch(x[896:], y[896:])
    print("epoch %d loss %.4f val_loss %.4f val_acc %.3f" % (epoch + 1, epoch_losses[-1], val_loss, val_acc))

logs = model.train_on_batch(x[:64], y[:64], return_dict=True)
assert set(logs) == {"loss", "accuracy"}
probs = model.predict_on_batch(x[896:])
assert isinstance(probs, np.ndarray) and probs.shape == (128, 2)
assert abs(val_acc - (probs.argmax(axis=1) == y[896:]).mean()) < 1e-6
assert epoch_losses[-1] < epoch_losses[0]
assert val_acc > 0.85, val_acc
assert int(model.optimizer.iterations.numpy()) == 6 * 14 + 1
print("OK")
