import fastmlp as keras
from fastmlp import layers
import numpy as np

# Regularized MLP: L2 kernel penalties, Dropout and BatchNormalization, in
# the style of the "Deep Learning with Python" overfitting chapter. Checks
# that the penalty is part of the reported loss, that BN's moving statistics
# move during fit only, and the parameter counts.

rng = np.random.default_rng(0)
n, d = 2000, 30
x = rng.normal(loc=3.0, scale=2.0, size=(n, d)).astype("float32")
w_true = rng.normal(size=d)
y = ((x - 3.0) @ w_true > 0).astype("float32")

keras.utils.set_random_seed(6)
model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(64, kernel_regularizer=keras.regularizers.l2(0.002), use_bias=False),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.l2(0.002)),
    layers.Dropout(0.3),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
bn = model.layers[1]
assert [w.shape for w in bn.get_weights()] == [(64,), (64,), (64,), (64,)]   # gamma, beta, moving_mean, moving_variance
assert np.all(bn.moving_mean.numpy() == 0) and np.all(bn.moving_variance.numpy() == 1)

history = model.fit(x[:1600], y[:1600], epochs=8, batch_size=64, validation_split=0.1, verbose=0)
moving_mean = bn.moving_mean.numpy().copy()
model.evaluate(x[1600:], y[1600:], verbose=0)
model.predict(x[1600:], verbose=0)
assert np.array_equal(moving_mean, bn.moving_mean.numpy())          # inference does not update them
assert np.abs(moving_mean).max() > 0.1                              # fit did update them

# the L2 penalties are added to the loss that evaluate() reports
l2_penalty = sum(0.002 * float(np.sum(layer.kernel.numpy() ** 2)) for layer in (model.layers[0], model.layers[4]))
probs = model.predict(x[1600:], verbose=0)[:, 0].astype("float64")
p = np.clip(probs, 1e-7, 1 - 1e-7)
bce = -np.mean(y[1600:] * np.log(p) + (1 - y[1600:]) * np.log(1 - p))
loss, acc = model.evaluate(x[1600:], y[1600:], verbose=0)
print("evaluate loss %.5f = bce %.5f + l2 %.5f; accuracy %.3f" % (loss, bce, l2_penalty, acc))
assert abs(loss - (bce + l2_penalty)) < 1e-3

trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
assert non_trainable == 128                          # BN moving mean + variance
assert trainable == d * 64 + 128 + (64 * 64 + 64) + (64 + 1)
assert model.count_params() == trainable + non_trainable
assert acc > 0.85, acc
print("OK")
