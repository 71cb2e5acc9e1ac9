import fastmlp as keras
from fastmlp import layers
import numpy as np

# Flatten on 28x28 inputs, like the "Deep Learning with Python" MNIST MLP.
# The synthetic "images" belong to one of 4 classes according to the
# quadrant that holds a bright blob.

rng = np.random.default_rng(0)
n = 2000
labels = rng.integers(0, 4, size=n)
images = rng.random((n, 28, 28)).astype("float32") * 0.3
for i, c in enumerate(labels):
    r0, c0 = (c // 2) * 14, (c % 2) * 14
    images[i, r0 + 3:r0 + 11, c0 + 3:c0 + 11] += 0.7
targets = keras.utils.to_categorical(labels, 4)

keras.utils.set_random_seed(3)
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(4, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(images[:1500], targets[:1500], epochs=3, batch_size=128, verbose=0)
test_loss, test_acc = model.evaluate(images[1500:], targets[1500:], verbose=0)
print("test_acc", test_acc)

assert model.layers[0].__class__.__name__ == "Flatten"
assert model.layers[1].kernel.shape == (784, 128)
assert model.predict(images[:3], verbose=0).shape == (3, 4)
assert test_acc > 0.95, test_acc
assert history.history["accuracy"][-1] > 0.9
print("OK")
