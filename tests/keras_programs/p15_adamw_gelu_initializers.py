import fastmlp as keras
from fastmlp import layers
import numpy as np

# Optimizer and layer options seen in modern Keras examples: AdamW (decoupled
# weight decay, default 0.004), global_clipnorm, gelu/silu activations,
# explicit initializer objects, LeakyReLU/ReLU layers, GaussianNoise.

rng = np.random.default_rng(0)
x = rng.normal(size=(1500, 8)).astype("float32")
y = (np.sin(x[:, 0]) + x[:, 1] ** 2 - x[:, 2] > 0.5).astype("float32")

keras.utils.set_random_seed(15)
model = keras.Sequential([
    keras.Input(shape=(8,)),
    layers.GaussianNoise(0.05),
    layers.Dense(64, activation="gelu", kernel_initializer=keras.initializers.HeNormal(seed=1)),
    layers.Dense(64, kernel_initializer=keras.initializers.GlorotUniform(seed=2),
                 bias_initializer=keras.initializers.Constant(0.01)),
    layers.LeakyReLU(negative_slope=0.1),
    layers.Dense(32, activation="silu", kernel_initializer=keras.initializers.RandomNormal(stddev=0.05)),
    layers.ReLU(max_value=6.0),
    layers.Dense(1, activation="sigmoid"),
])
optimizer = keras.optimizers.AdamW(learning_rate=3e-3, weight_decay=0.004, global_clipnorm=1.0)
assert optimizer.weight_decay == 0.004
model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
assert np.allclose(model.layers[2].bias.numpy(), 0.01)
history = model.fit(x[:1200], y[:1200], epochs=10, batch_size=32, verbose=0, validation_split=0.1)
loss, acc = model.evaluate(x[1200:], y[1200:], verbose=0)
print("AdamW model accuracy", acc)
assert acc > 0.9, acc

# GaussianNoise is only active in training: predictions are deterministic
p1 = model.predict(x[:10], verbose=0)
p2 = model.predict(x[:10], verbose=0)
assert np.array_equal(p1, p2)

# decoupled weight decay only (zero gradients): w <- w * (1 - lr * wd) per step
probe = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, kernel_initializer="ones", bias_initializer="ones")])
probe.compile(optimizer=keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5), loss="mse")
xs = np.zeros((4, 2), "float32")
ys = probe.predict(xs, verbose=0)        # targets equal to predictions -> zero loss and gradients
probe.train_on_batch(xs, ys)
assert np.allclose(probe.layers[0].kernel.numpy(), 0.95), probe.layers[0].kernel.numpy()
print("OK")
