import fastmlp as keras
from fastmlp import layers
import numpy as np

# Learning-rate schedules (Keras "Optimizers" docs): ExponentialDecay passed
# as the optimizer's learning_rate. The schedule is evaluated at
# optimizer.iterations (the number of updates done so far), so after N
# batches optimizer.learning_rate equals the formula at step N.

rng = np.random.default_rng(0)
x = rng.normal(size=(640, 4)).astype("float32")
y = (x @ np.array([0.5, -1.0, 2.0, 0.0]) + 1.0).astype("float32")

schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate=0.1, decay_steps=20, decay_rate=0.5, staircase=False)
assert abs(float(schedule(0)) - 0.1) < 1e-8
assert abs(float(schedule(20)) - 0.05) < 1e-8
assert abs(float(schedule(30)) - 0.1 * 0.5 ** 1.5) < 1e-8

staircase = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=20, decay_rate=0.5, staircase=True)
assert abs(float(staircase(39)) - 0.05) < 1e-8 and abs(float(staircase(40)) - 0.025) < 1e-8

keras.utils.set_random_seed(11)
model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)

steps = 3 * (640 // 32)
assert int(model.optimizer.iterations.numpy()) == steps
current = float(model.optimizer.learning_rate)
print("iterations", steps, "learning rate now", current)
assert abs(current - 0.1 * 0.5 ** (steps / 20)) < 1e-7
assert history.history["loss"][-1] < 0.01

piecewise = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
assert np.allclose([float(piecewise(s)) for s in (0, 100, 101, 200, 201)], [1.0, 1.0, 0.5, 0.5, 0.1])
cosine = keras.optimizers.schedules.CosineDecay(initial_learning_rate=1.0, decay_steps=100, alpha=0.1)
assert abs(float(cosine(50)) - (0.9 * 0.5 * (1 + np.cos(np.pi * 0.5)) + 0.1)) < 1e-6
assert abs(float(cosine(1000)) - 0.1) < 1e-6
print("OK")
