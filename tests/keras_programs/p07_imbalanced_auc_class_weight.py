import fastmlp as keras
from fastmlp import layers
import numpy as np

# Imbalanced binary classification (about 5% positives) with AUC, Precision
# and Recall metrics and class_weight, as in the Keras "Imbalanced
# classification: credit card fraud detection" example.

rng = np.random.default_rng(0)
n, d = 4000, 12
x = rng.normal(size=(n, d)).astype("float32")
score = x[:, 0] + 0.8 * x[:, 1] - 0.5 * x[:, 2]
y = (score > 2.3).astype("float32")
x_train, y_train, x_val, y_val = x[:3200], y[:3200], x[3200:], y[3200:]
neg, pos = np.bincount(y_train.astype(int))
print("positives: %d of %d" % (pos, neg + pos))

def train(class_weight):
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input(shape=(d,)),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision"),
                           keras.metrics.Recall(name="recall")])
    history = model.fit(x_train, y_train, batch_size=256, epochs=10, verbose=0,
                        validation_data=(x_val, y_val), class_weight=class_weight)
    return model, history


plain, h_plain = train(None)
weighted, h_weighted = train({0: 1.0, 1: neg / pos})
print("without class_weight:", {k: round(v[-1], 3) for k, v in h_plain.history.items() if k.startswith("val_")})
print("with class_weight:   ", {k: round(v[-1], 3) for k, v in h_weighted.history.items() if k.startswith("val_")})

assert sorted(h_weighted.history) == ["auc", "loss", "precision", "recall",
                                      "val_auc", "val_loss", "val_precision", "val_recall"]
assert h_weighted.history["val_auc"][-1] > 0.95
assert h_plain.history["val_auc"][-1] > 0.95
# weighting the rare class trades precision for recall
assert h_weighted.history["val_recall"][-1] >= h_plain.history["val_recall"][-1]
assert h_weighted.history["val_recall"][-1] > 0.8
# precision/recall use the 0.5 threshold on the predicted probabilities
p = weighted.predict(x_val, verbose=0)[:, 0] > 0.5
manual_recall = (p & (y_val == 1)).sum() / (y_val == 1).sum()
assert abs(manual_recall - weighted.evaluate(x_val, y_val, verbose=0, return_dict=True)["recall"]) < 1e-6
print("OK")
