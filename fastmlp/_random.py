"""The random state behind weight initialisation, shuffling and dropout seeds."""
from __future__ import annotations

import numpy as np

from ._validation import check_int

__all__ = ["set_random_seed", "generator", "next_seed"]

_generator = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seed everything random in fastmlp: initialisation, shuffling and dropout.

    After it, the same sequence of calls gives the same weights, the same
    batches and the same dropout masks, whatever the thread count. Unlike
    Keras's ``keras.utils.set_random_seed``, it seeds fastmlp's own generator
    only: Python's ``random`` and numpy's global state are left alone
    (`fastmlp.utils.set_random_seed` seeds those too, as Keras does).

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Raises
    ------
    TypeError
        If `seed` is not an integer.
    ValueError
        If `seed` is negative.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.set_random_seed(0)
    >>> a = fm.Sequential([fm.Input((3,)), fm.Dense(2)]).get_weights()[0]
    >>> fm.set_random_seed(0)
    >>> b = fm.Sequential([fm.Input((3,)), fm.Dense(2)]).get_weights()[0]
    >>> bool((a == b).all())
    True
    """
    global _generator
    seed = check_int(seed, "seed", minimum=0)
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The global generator: initialisers and shuffling draw from it.

    ``set_random_seed`` replaces it with a new generator, so callers should
    call this each time rather than keep the result.

    Returns
    -------
    numpy.random.Generator
        fastmlp's global generator (not numpy's global state).
    """
    return _generator


def next_seed() -> int:
    """A fresh 63-bit seed drawn from the global generator.

    Used for dropout seeds and other per-call streams, so they follow
    ``set_random_seed`` too. It advances the global generator.

    Returns
    -------
    int
        An integer in ``[0, 2**63 - 1)``.
    """
    return int(_generator.integers(0, 2**63 - 1))
