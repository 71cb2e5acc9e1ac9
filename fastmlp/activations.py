"""Activation names and their codes in the C core (csrc/fastmlp.h FM_ACT_*)."""
from ._validation import check_choice

from . import _engine

CODES = {"linear": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4, "softmax": 5}


def get(name):
    """The canonical activation name for `name` (None means "linear")."""
    if name is None:
        return "linear"
    return check_choice(name, "activation", {key: key for key in CODES})
