"""The random state behind weight initialisation, shuffling and dropout seeds."""
import numpy as np

from ._validation import check_int

_generator = np.random.default_rng()


def set_random_seed(seed):
    """Fix initialisation, shuffling and dropout: the same seed and the same
    sequence of calls give the same results, whatever the thread count."""
    global _generator
    seed = check_int(seed, "seed", minimum=0)
    _generator = np.random.default_rng(seed)


def generator():
    return _generator


def next_seed():
    """A fresh 63-bit seed drawn from the global generator."""
    return int(_generator.integers(0, 2**63 - 1))
