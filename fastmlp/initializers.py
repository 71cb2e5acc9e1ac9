"""Weight initializers with Keras 3's names and definitions.

An initializer is called with a shape and gives a float64 array; unseeded
ones draw from fastmlp's global generator (fm.set_random_seed), seeded ones
give the same values at every call, as in Keras. Strings name them as in
Keras ("glorot_uniform", "zeros", "he_normal", ...).

Examples
--------
>>> import fastmlp as fm
>>> fm.initializers.Constant(0.5)((2, 2))
array([[0.5, 0.5],
       [0.5, 0.5]])
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

import numpy as np

from . import _random
from ._validation import check_choice, check_float, check_int, describe

__all__ = ["Initializer", "Constant", "Zeros", "Ones", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
           "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "get",
           "serialize", "deserialize"]

# stddev of a unit normal truncated to [-2, 2]
_TRUNCATED_STD = 0.87962566103423978


class Initializer:
    """Base class: `initializer(shape)` returns a float64 array of that shape.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.Zeros()((3,)).tolist()
    [0.0, 0.0, 0.0]
    """

    seed: Optional[int] = None

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return self.sample(shape)

    def sample(self, shape: Sequence[int], rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Values of `shape`: a seeded initializer's own draws, else from `rng`
        (default: fastmlp's global generator)."""
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
        return self._sample(_shape(shape), rng or _random.generator())

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    __hash__ = object.__hash__


def _shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    return tuple(check_int(s, "shape", minimum=0) for s in shape)


def _seed(seed) -> Optional[int]:
    return None if seed is None else check_int(seed, "seed", minimum=0)


class Constant(Initializer):
    """Every value equal to `value` (default 0).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Dense(3, bias_initializer=fm.initializers.Constant(0.1)).bias_initializer
    Constant(value=0.1)
    """

    def __init__(self, value: float = 0.0):
        self.value = check_float(value, "value")

    def _sample(self, shape, rng):
        return np.full(shape, self.value, dtype=np.float64)

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """All zeros."""

    def _sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def _sample(self, shape, rng):
        return np.ones(shape)


class RandomNormal(Initializer):
    """Normal draws with `mean` and `stddev` (default 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None):
        self.mean = check_float(mean, "mean")
        self.stddev = check_float(stddev, "stddev", 0.0, None)
        self.seed = _seed(seed)

    def _sample(self, shape, rng):
        return self.mean + self.stddev * rng.standard_normal(shape)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    """Uniform draws in [minval, maxval) (default ±0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Optional[int] = None):
        self.minval = check_float(minval, "minval")
        self.maxval = check_float(maxval, "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"maxval must be >= minval; got minval={minval}, maxval={maxval}")
        self.seed = _seed(seed)

    def _sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


def _truncated(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Unit normal draws, those beyond 2 redrawn."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values


class TruncatedNormal(Initializer):
    """Normal draws with `mean` and `stddev`, redrawn beyond two stddevs."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None):
        self.mean = check_float(mean, "mean")
        self.stddev = check_float(stddev, "stddev", 0.0, None)
        self.seed = _seed(seed)

    def _sample(self, shape, rng):
        return self.mean + self.stddev * _truncated(rng, shape)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


def _fans(shape: tuple) -> tuple:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[-2], shape[-1]


class VarianceScaling(Initializer):
    """Keras's VarianceScaling: s = scale / n with n the fan-in, fan-out or
    their mean (`mode`); draws from a normal truncated at two stddevs of
    stddev sqrt(s)/0.8796 ("truncated_normal"), a normal of stddev sqrt(s)
    ("untruncated_normal") or U(±sqrt(3s)) ("uniform")."""

    _MODES = ["fan_in", "fan_out", "fan_avg"]
    _DISTRIBUTIONS = ["truncated_normal", "untruncated_normal", "uniform", "normal"]

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Optional[int] = None):
        self.scale = check_float(scale, "scale", 0.0, None, low_open=True)
        self.mode = check_choice(mode, "mode", self._MODES)
        distribution = check_choice(distribution, "distribution", self._DISTRIBUTIONS)
        self.distribution = "truncated_normal" if distribution == "normal" else distribution
        self.seed = _seed(seed)

    def _sample(self, shape, rng):
        shape = shape
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        s = self.scale / max(1.0, n)
        rng = rng
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * s)
            return rng.uniform(-limit, limit, shape)
        if self.distribution == "untruncated_normal":
            return math.sqrt(s) * rng.standard_normal(shape)
        return math.sqrt(s) / _TRUNCATED_STD * _truncated(rng, shape)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution}


def _named_scaling(scale, mode, distribution, doc):
    class Named(VarianceScaling):
        __doc__ = doc

        def __init__(self, seed: Optional[int] = None, input_axes: Any = None,
                     output_axes: Any = None):
            if input_axes is not None or output_axes is not None:
                raise ValueError("input_axes and output_axes are not supported by fastmlp (its "
                                 "kernels are 2-D)")
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}
    return Named


GlorotUniform = _named_scaling(1.0, "fan_avg", "uniform", "U(±sqrt(6 / (fan_in + fan_out))).")
GlorotUniform.__name__ = GlorotUniform.__qualname__ = "GlorotUniform"
GlorotNormal = _named_scaling(1.0, "fan_avg", "truncated_normal",
                              "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).")
GlorotNormal.__name__ = GlorotNormal.__qualname__ = "GlorotNormal"
HeUniform = _named_scaling(2.0, "fan_in", "uniform", "U(±sqrt(6 / fan_in)).")
HeUniform.__name__ = HeUniform.__qualname__ = "HeUniform"
HeNormal = _named_scaling(2.0, "fan_in", "truncated_normal",
                          "Truncated normal, stddev sqrt(2 / fan_in).")
HeNormal.__name__ = HeNormal.__qualname__ = "HeNormal"
LecunUniform = _named_scaling(1.0, "fan_in", "uniform", "U(±sqrt(3 / fan_in)).")
LecunUniform.__name__ = LecunUniform.__qualname__ = "LecunUniform"
LecunNormal = _named_scaling(1.0, "fan_in", "truncated_normal",
                             "Truncated normal, stddev sqrt(1 / fan_in).")
LecunNormal.__name__ = LecunNormal.__qualname__ = "LecunNormal"


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain` (QR of a normal matrix)."""

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None):
        self.gain = check_float(gain, "gain")
        self.seed = _seed(seed)

    def _sample(self, shape, rng):
        shape = shape
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of at least 2 dimensions; got {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q[:rows, :cols].reshape(shape)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes)."""

    def __init__(self, gain: float = 1.0):
        self.gain = check_float(gain, "gain")

    def _sample(self, shape, rng):
        shape = shape
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape; got {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


_BY_NAME = {
    "constant": Constant, "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}
NAMES = list(_BY_NAME)


def get(identifier: Any, name: str = "initializer") -> Initializer:
    """An Initializer from a name ("glorot_uniform"), a class name, a config
    dict ({"class_name": ..., "config": ...}) or an instance.

    Raises
    ------
    ValueError
        For an unknown name.
    TypeError
        For anything else.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.get("he_normal")
    HeNormal(seed=None)
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_CLASS.get(identifier)
        if cls is None:
            cls = _BY_NAME[check_choice(identifier, name, NAMES)]
        return cls()
    raise TypeError(f"{name} must be a name such as 'glorot_uniform' or an initializer such as "
                    f"fm.initializers.Constant(0.1); got {describe(identifier)}")


def serialize(initializer: Initializer) -> dict:
    """Keras's serialized form of an initializer."""
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config: dict) -> Initializer:
    """The initializer a serialize() dict describes."""
    if not isinstance(config, dict) or config.get("class_name") not in _BY_CLASS:
        raise ValueError(f"unknown initializer {config!r}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"an initializer's config must be a dict; got {inner!r}")
    return _BY_CLASS[config["class_name"]].from_config(inner)


def initial_kernel(name, fan_in, fan_out, rng=None):
    """A (fan_in, fan_out) float64 kernel from initializer `name`, drawn from
    `rng` (default: fastmlp's global generator)."""
    return get(name).sample((fan_in, fan_out), rng)
