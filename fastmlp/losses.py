"""Loss names (with Keras's aliases) and their codes in the C core.

All four are averaged over the batch; mse and binary_crossentropy are also
averaged over the outputs of a sample, as in Keras."""
from ._validation import check_choice

CODES = {"mse": 0, "binary_crossentropy": 1, "categorical_crossentropy": 2,
         "sparse_categorical_crossentropy": 3}

# scikit-learn's MLP losses, for the estimators only (compile() does not take them):
# ½·Σ_outputs (y − t)², and binary log-loss summed over the outputs
HALF_SQUARED_SUM, BCE_SUM, HALF_POISSON = 4, 5, 6

_NAMES = {name: name for name in CODES}
_NAMES["mean_squared_error"] = "mse"


def get(name):
    """The canonical loss name for `name`."""
    if name is None:
        raise ValueError(f"compile() needs a loss; valid values are {', '.join(map(repr, CODES))}")
    return check_choice(name, "loss", _NAMES)
