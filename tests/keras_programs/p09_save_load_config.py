import fastmlp as keras
from fastmlp import layers
import numpy as np
import os
import tempfile

# Saving and restoring: save_weights/load_weights (".weights.h5"),
# get_config/from_config, to_json/model_from_json and model.save/load_model,
# as in the Keras "Save, serialize, and export models" guide.

rng = np.random.default_rng(0)
x = rng.normal(size=(500, 6)).astype("float32")
y = (x[:, :3].sum(axis=1) > 0).astype("int64")

keras.utils.set_random_seed(9)
model = keras.Sequential([
    keras.Input(shape=(6,)),
    layers.Dense(16, activation="relu", name="hidden"),
    layers.BatchNormalization(name="bn"),
    layers.Dropout(0.1, name="drop"),
    layers.Dense(2, activation="softmax", name="out"),
], name="saved_mlp")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, verbose=0)
reference = model.predict(x, verbose=0)

with tempfile.TemporaryDirectory() as tmp:
    # 1. architecture from get_config, weights from a .weights.h5 file
    weights_path = os.path.join(tmp, "mlp.weights.h5")
    model.save_weights(weights_path)
    config = model.get_config()
    clone = keras.Sequential.from_config(config)
    assert [layer.name for layer in clone.layers] == ["hidden", "bn", "drop", "out"]
    clone.load_weights(weights_path)
    assert np.allclose(clone.predict(x, verbose=0), reference, atol=1e-6)

    # 2. JSON round trip + set_weights
    json_clone = keras.models.model_from_json(model.to_json())
    json_clone.set_weights(model.get_weights())
    assert np.allclose(json_clone.predict(x, verbose=0), reference, atol=1e-6)

    # 3. whole model (architecture, weights, compile state) in one .keras file
    model_path = os.path.join(tmp, "mlp.keras")
    model.save(model_path)
    restored = keras.models.load_model(model_path)
    assert np.allclose(restored.predict(x, verbose=0), reference, atol=1e-6)
    loss, acc = restored.evaluate(x, y, verbose=0)
    assert abs(loss - model.evaluate(x, y, verbose=0)[0]) < 1e-5
    restored.fit(x, y, epochs=1, verbose=0)        # still compiled, can keep training

    # 4. the Keras 3 file-name rule for weights files
    try:
        model.save_weights(os.path.join(tmp, "mlp.h5"))
        raise AssertionError("save_weights accepted a name without .weights.h5")
    except ValueError as e:
        print("expected error:", str(e)[:60])

assert [w.shape for w in model.get_weights()] == [(6, 16), (16,), (16,), (16,), (16,), (16,), (16, 2), (2,)]
print("OK")
