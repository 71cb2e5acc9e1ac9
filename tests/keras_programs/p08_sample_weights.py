import fastmlp as keras
from fastmlp import layers
import numpy as np

# Per-sample weights: a quarter of the training rows carry flipped (wrong)
# labels but get sample_weight 0, so the model must learn the clean rule.
# evaluate(sample_weight=...) must equal the weighted mean written by hand.

rng = np.random.default_rng(0)
n, d = 2400, 8
x = rng.normal(size=(n, d)).astype("float32")
y_clean = (x[:, 0] - x[:, 3] > 0).astype("int64")
noisy = rng.random(n) < 0.25
y_train = np.where(noisy, 1 - y_clean, y_clean)
weights = np.where(noisy, 0.0, 1.0).astype("float32")

keras.utils.set_random_seed(8)
model = keras.Sequential([keras.Input(shape=(d,)), layers.Dense(16, activation="relu"),
                          layers.Dense(2, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x[:2000], y_train[:2000], sample_weight=weights[:2000], epochs=5, batch_size=32, verbose=0)
acc_clean = model.evaluate(x[2000:], y_clean[2000:], verbose=0)[1]
print("accuracy on clean test labels:", acc_clean)
assert acc_clean > 0.95

# evaluate with sample weights: the loss is sum(w * l) / number of samples
w_test = rng.random(400).astype("float32") * 2.0
probs = model.predict(x[2000:], verbose=0).astype("float64")
per_sample = -np.log(np.clip(probs[np.arange(400), y_clean[2000:]], 1e-7, 1 - 1e-7))
expected = np.sum(w_test * per_sample) / 400
loss_w = model.evaluate(x[2000:], y_clean[2000:], sample_weight=w_test, batch_size=400, verbose=0)[0]
print("weighted loss %.6f expected %.6f" % (loss_w, expected))
assert abs(loss_w - expected) < 1e-4
print("OK")
