"""Metric names and the accuracy variant each loss implies, as Keras chooses it."""
from ._validation import check_choice, describe

_NAMES = {"accuracy": "accuracy", "acc": "accuracy"}

NONE, BINARY_ACCURACY, CATEGORICAL_ACCURACY, SPARSE_ACCURACY = 0, 1, 2, 3


def get_list(metrics):
    """Canonical metric names from None or a list of names."""
    if metrics is None:
        return []
    if isinstance(metrics, str):
        raise TypeError(f"metrics must be a list of names, e.g. ['accuracy']; got {metrics!r}")
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"metrics must be a list of names, e.g. ['accuracy']; got {describe(metrics)}")
    names = []
    for item in metrics:
        name = check_choice(item, "metric", _NAMES)
        if name not in names:
            names.append(name)
    return names


def accuracy_code(loss, n_outputs):
    """Which accuracy "accuracy" means for this loss: binary for binary
    cross-entropy, categorical or sparse for the categorical losses, and, for
    mse, binary with one output, else categorical."""
    if loss == "binary_crossentropy":
        return BINARY_ACCURACY
    if loss == "categorical_crossentropy":
        return CATEGORICAL_ACCURACY
    if loss == "sparse_categorical_crossentropy":
        return SPARSE_ACCURACY
    return BINARY_ACCURACY if n_outputs == 1 else CATEGORICAL_ACCURACY
