"""Dropout: inverted dropout, active in training only."""
from __future__ import annotations

from typing import Any, Optional

from .. import _engine
from .._validation import check_float, check_int
from .base import Layer

__all__ = ["Dropout"]

# Masks compare 16-bit random draws with rate·65536: rates closer to 1 than
# that resolution would drop everything.
MAX_DROPOUT_RATE = 1.0 - 2.0 ** -16


class Dropout(Layer):
    """Inverted dropout: in training each input is zeroed with probability
    `rate` (to 1/65536) and the others scaled by 1 / (1 - rate); the identity
    otherwise. The masks come from a counter-based generator keyed on the
    model's seed (or this layer's `seed`), the step, the layer and the element,
    so they do not depend on threads.

    Parameters
    ----------
    rate : float in [0, 1)
        The share of inputs zeroed (at most 1 − 2**-16).
    noise_shape : None
        Only None (one draw per element) is supported.
    seed : int, optional
        A seed of the layer's own: its masks then do not depend on
        fm.set_random_seed.
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Raises
    ------
    ValueError
        For a rate outside [0, 1 − 2**-16] or a noise_shape.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Dropout(0.2).rate
    0.2
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: Optional[int] = None,
                 **kwargs: Any) -> None:
        rate = check_float(rate, "rate", 0.0, 1.0, high_open=True)
        if rate > MAX_DROPOUT_RATE:
            raise ValueError(f"rate must be at most 1 - 2**-16 = {MAX_DROPOUT_RATE!r}, the "
                             f"resolution of the dropout masks; got {rate!r}")
        if noise_shape is not None:
            raise ValueError("noise_shape is not supported by fastmlp's Dropout (one draw per "
                             "element); remove it")
        self.rate = rate
        self.seed = None if seed is None else check_int(seed, "seed", minimum=0)
        super().__init__(**kwargs)

    def engine_spec(self, n_in: int) -> dict:
        """The engine's dropout layer for `n_in` features (internal; not Keras API).

        It carries ``rate`` and the seed (0 for none, else ``seed + 1``).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        dict
            The layer as ``fastmlp._engine.Network`` takes it.
        """
        return {"kind": _engine.LAYER_KINDS["dropout"], "n_in": n_in, "n_out": n_in,
                "rate": self.rate, "seed": 0 if self.seed is None else self.seed + 1}

    def _takes_any_shape(self) -> bool:
        return False

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for Dropout.

        The base layer's keys (name, trainable, dtype) plus ``rate``, ``seed`` and ``noise_shape``
        (always None).

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": None})
        return config
