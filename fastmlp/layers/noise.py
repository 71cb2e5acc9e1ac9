"""GaussianNoise: additive normal noise, active in training only."""
from __future__ import annotations

from typing import Any, Optional

from .. import _engine
from .._validation import check_float, check_int
from .base import Layer

__all__ = ["GaussianNoise"]


class GaussianNoise(Layer):
    """Adds normal noise of standard deviation `stddev` in training (a
    regularizer); the identity otherwise. The draws are keyed like dropout's
    masks (seed, step, layer, element).

    Parameters
    ----------
    stddev : float >= 0
        The noise's standard deviation.
    seed : int, optional
        A seed of the layer's own: its draws then do not depend on
        fm.set_random_seed.
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.GaussianNoise(0.1).stddev
    0.1
    """

    def __init__(self, stddev: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        self.stddev = check_float(stddev, "stddev", 0.0, None)
        self.seed = None if seed is None else check_int(seed, "seed", minimum=0)
        super().__init__(**kwargs)

    def engine_spec(self, n_in: int) -> dict:
        """The engine's Gaussian-noise layer for `n_in` features (internal; not Keras API).

        It carries ``stddev`` and the seed (0 for none, else ``seed + 1``).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        dict
            The layer as ``fastmlp._engine.Network`` takes it.
        """
        return {"kind": _engine.LAYER_KINDS["gaussian_noise"], "n_in": n_in, "n_out": n_in,
                "rate": self.stddev, "seed": 0 if self.seed is None else self.seed + 1}

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for GaussianNoise.

        The base layer's keys (name, trainable, dtype) plus ``stddev`` and ``seed``.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
