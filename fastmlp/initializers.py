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


_SEED = """seed : int, optional
        A non-negative seed: every call then gives the same values (as in
        Keras). Default: draw from fastmlp's global generator
        (`fastmlp.set_random_seed` fixes it)."""


class Initializer:
    """Base class: `initializer(shape)` returns a float64 array of that shape.

    As Keras's ``keras.initializers.Initializer``; the model casts the values
    to its dtype. Custom initializers subclass it and define ``_sample(shape,
    rng)``.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.Zeros()((3,)).tolist()
    [0.0, 0.0, 0.0]
    """

    seed: Optional[int] = None

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        """Values of `shape`, as Keras's ``initializer(shape, dtype)``.

        Parameters
        ----------
        shape : int or sequence of int
            The array's shape.
        dtype : optional
            Ignored: the values are float64 (Keras returns a tensor of `dtype`).

        Returns
        -------
        ndarray of float64
            The initial values.
        """
        return self.sample(shape)

    def sample(self, shape: Sequence[int], rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Values of `shape`: a seeded initializer's own draws, else from `rng`.

        Parameters
        ----------
        shape : int or sequence of int
            The array's shape.
        rng : numpy.random.Generator, optional
            Where unseeded draws come from; default fastmlp's global generator.

        Returns
        -------
        ndarray of float64
            The initial values.
        """
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
        return self._sample(_shape(shape), rng or _random.generator())

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            JSON-able; ``type(init).from_config(config)`` rebuilds it.
        """
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        """The initializer `config` describes (what `get_config` returned).

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor.

        Returns
        -------
        Initializer
            A new instance.
        """
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
    """Every value equal to `value`, as Keras.

    Parameters
    ----------
    value : float, default 0.0
        The value.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Dense(3, bias_initializer=fm.initializers.Constant(0.1)).bias_initializer
    Constant(value=0.1)
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = check_float(value, "value")

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return np.full(shape, self.value, dtype=np.float64)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``{"value": value}``; ``Constant.from_config(config)`` rebuilds it.
        """
        return {"value": self.value}


class Zeros(Initializer):
    """All zeros, as Keras.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.Zeros()((2,))
    array([0., 0.])
    """

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return np.zeros(shape)


class Ones(Initializer):
    """All ones, as Keras.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.Ones()((2,))
    array([1., 1.])
    """

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return np.ones(shape)


class RandomNormal(Initializer):
    """Normal draws with `mean` and `stddev`, as Keras.

    Parameters
    ----------
    mean : float, default 0.0
        The mean.
    stddev : float, default 0.05
        The standard deviation (>= 0).
    seed : int, optional
        A non-negative seed: every call then gives the same values (as in
        Keras). Default: draw from fastmlp's global generator
        (`fastmlp.set_random_seed` fixes it).

    Examples
    --------
    >>> import fastmlp as fm
    >>> bool(fm.initializers.RandomNormal(stddev=0.01, seed=1)((64, 32)).std() < 0.02)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05,
                 seed: Optional[int] = None) -> None:
        self.mean = check_float(mean, "mean")
        self.stddev = check_float(stddev, "stddev", 0.0, None)
        self.seed = _seed(seed)

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.stddev * rng.standard_normal(shape)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``seed``, ``mean`` and ``stddev``; ``RandomNormal.from_config(config)`` rebuilds it.
        """
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    """Uniform draws in [minval, maxval), as Keras.

    Parameters
    ----------
    minval : float, default -0.05
        The lower bound.
    maxval : float, default 0.05
        The upper bound (>= minval).
    seed : int, optional
        A non-negative seed: every call then gives the same values (as in
        Keras). Default: draw from fastmlp's global generator
        (`fastmlp.set_random_seed` fixes it).

    Raises
    ------
    ValueError
        If maxval < minval.

    Examples
    --------
    >>> import fastmlp as fm
    >>> values = fm.initializers.RandomUniform(0.0, 1.0, seed=1)((3, 3))
    >>> bool(((values >= 0) & (values < 1)).all())
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05,
                 seed: Optional[int] = None) -> None:
        self.minval = check_float(minval, "minval")
        self.maxval = check_float(maxval, "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"maxval must be >= minval; got minval={minval}, maxval={maxval}")
        self.seed = _seed(seed)

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``seed``, ``minval`` and ``maxval``; ``RandomUniform.from_config(config)`` rebuilds it.
        """
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
    """Normal draws with `mean` and `stddev`, redrawn beyond two stddevs, as Keras.

    Parameters
    ----------
    mean : float, default 0.0
        The mean.
    stddev : float, default 0.05
        The standard deviation before truncation (>= 0).
    seed : int, optional
        A non-negative seed: every call then gives the same values (as in
        Keras). Default: draw from fastmlp's global generator
        (`fastmlp.set_random_seed` fixes it).

    Examples
    --------
    >>> import fastmlp as fm
    >>> bool(abs(fm.initializers.TruncatedNormal(seed=1)((100,))).max() <= 0.1)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05,
                 seed: Optional[int] = None) -> None:
        self.mean = check_float(mean, "mean")
        self.stddev = check_float(stddev, "stddev", 0.0, None)
        self.seed = _seed(seed)

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.stddev * _truncated(rng, shape)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``seed``, ``mean`` and ``stddev``; ``TruncatedNormal.from_config(config)`` rebuilds it.
        """
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


def _fans(shape: tuple) -> tuple:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[-2], shape[-1]


class VarianceScaling(Initializer):
    """Keras's VarianceScaling: draws whose variance is scale / n.

    n is the fan-in, the fan-out or their mean (`mode`); the draws come from a
    normal truncated at two stddevs of stddev sqrt(s)/0.8796
    ("truncated_normal"), a normal of stddev sqrt(s) ("untruncated_normal") or
    U(±sqrt(3s)) ("uniform"), with s = scale / n.

    Parameters
    ----------
    scale : float, default 1.0
        The scaling factor (> 0).
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan n is.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        The distribution ("normal" is taken as "truncated_normal", as Keras).
    seed : int, optional
        A non-negative seed: every call then gives the same values (as in
        Keras). Default: draw from fastmlp's global generator
        (`fastmlp.set_random_seed` fixes it).

    Raises
    ------
    ValueError
        For a scale <= 0 or an unknown mode or distribution.

    Examples
    --------
    >>> import fastmlp as fm
    >>> init = fm.initializers.VarianceScaling(2.0, "fan_in", "uniform", seed=0)
    >>> float(abs(init((50, 10))).max()) <= (3 * 2.0 / 50) ** 0.5
    True
    """

    _MODES = ["fan_in", "fan_out", "fan_avg"]
    _DISTRIBUTIONS = ["truncated_normal", "untruncated_normal", "uniform", "normal"]

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Optional[int] = None) -> None:
        self.scale = check_float(scale, "scale", 0.0, None, low_open=True)
        self.mode = check_choice(mode, "mode", self._MODES)
        distribution = check_choice(distribution, "distribution", self._DISTRIBUTIONS)
        self.distribution = "truncated_normal" if distribution == "normal" else distribution
        self.seed = _seed(seed)

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
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

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``seed``, ``scale``, ``mode`` and ``distribution``;
            ``type(init).from_config(config)`` rebuilds it.
        """
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution}


def _named_scaling(scale, mode, distribution, doc, name):
    class Named(VarianceScaling):
        __doc__ = f"""{doc}

    VarianceScaling(scale={scale}, mode="{mode}", distribution="{distribution}"), as
    Keras's ``keras.initializers.{name}``.

    Parameters
    ----------
    {_SEED}
    input_axes, output_axes : None
        Keras's, for kernels of more than 2 dimensions; only None.

    Raises
    ------
    ValueError
        For input_axes or output_axes.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.{name}(seed=0)((784, 512)).shape
    (784, 512)
    >>> fm.Dense(10, kernel_initializer="{_snake(name)}").kernel_initializer
    {name}(seed=None)
    """

        def __init__(self, seed: Optional[int] = None, input_axes: Any = None,
                     output_axes: Any = None) -> None:
            if input_axes is not None or output_axes is not None:
                raise ValueError("input_axes and output_axes are not supported by fastmlp (its "
                                 "kernels are 2-D)")
            super().__init__(scale, mode, distribution, seed)

        def get_config(self) -> dict:
            """The constructor's arguments (the seed), as Keras's ``get_config``.

            Returns
            -------
            dict
                ``{"seed": seed}``.
            """
            return {"seed": self.seed}
    Named.__name__ = Named.__qualname__ = name
    return Named


def _snake(name: str) -> str:
    return {"GlorotUniform": "glorot_uniform", "GlorotNormal": "glorot_normal",
            "HeUniform": "he_uniform", "HeNormal": "he_normal", "LecunUniform": "lecun_uniform",
            "LecunNormal": "lecun_normal"}[name]


GlorotUniform = _named_scaling(1.0, "fan_avg", "uniform", "U(±sqrt(6 / (fan_in + fan_out))).",
                               "GlorotUniform")
GlorotNormal = _named_scaling(1.0, "fan_avg", "truncated_normal",
                              "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).",
                              "GlorotNormal")
HeUniform = _named_scaling(2.0, "fan_in", "uniform", "U(±sqrt(6 / fan_in)).", "HeUniform")
HeNormal = _named_scaling(2.0, "fan_in", "truncated_normal",
                          "Truncated normal, stddev sqrt(2 / fan_in).", "HeNormal")
LecunUniform = _named_scaling(1.0, "fan_in", "uniform", "U(±sqrt(3 / fan_in)).", "LecunUniform")
LecunNormal = _named_scaling(1.0, "fan_in", "truncated_normal",
                             "Truncated normal, stddev sqrt(1 / fan_in).", "LecunNormal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain` (QR of a normal matrix), as Keras.

    Parameters
    ----------
    gain : float, default 1.0
        The factor.
    seed : int, optional
        A non-negative seed: every call then gives the same values (as in
        Keras). Default: draw from fastmlp's global generator
        (`fastmlp.set_random_seed` fixes it).

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> q = fm.initializers.Orthogonal(seed=0)((4, 4))
    >>> bool(np.allclose(q @ q.T, np.eye(4)))
    True
    """

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None) -> None:
        self.gain = check_float(gain, "gain")
        self.seed = _seed(seed)

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
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

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``seed`` and ``gain``; ``Orthogonal.from_config(config)`` rebuilds it.
        """
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes), as Keras.

    Parameters
    ----------
    gain : float, default 1.0
        The factor.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.Identity(2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]])
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = check_float(gain, "gain")

    def _sample(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        shape = shape
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape; got {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``{"gain": gain}``; ``Identity.from_config(config)`` rebuilds it.
        """
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
    dict ({"class_name": ..., "config": ...}) or an instance, as
    ``keras.initializers.get``.

    Parameters
    ----------
    identifier : str, type, dict or Initializer
        What to resolve; an Initializer is returned as it is.
    name : str, default "initializer"
        The argument's name in error messages.

    Returns
    -------
    Initializer
        The initializer.

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
    """Keras's serialized form of an initializer, as ``keras.initializers.serialize``.

    Parameters
    ----------
    initializer : Initializer
        The initializer to describe.

    Returns
    -------
    dict
        ``module``, ``class_name``, ``config`` and ``registered_name``.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.serialize(fm.initializers.Constant(0.5))["config"]
    {'value': 0.5}
    """
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config: dict) -> Initializer:
    """The initializer a `serialize` dict describes, as ``keras.initializers.deserialize``.

    Parameters
    ----------
    config : dict
        ``class_name`` and ``config``.

    Returns
    -------
    Initializer
        A new initializer.

    Raises
    ------
    ValueError
        For an unknown class or a malformed config.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.initializers.deserialize({"class_name": "HeNormal", "config": {"seed": 3}})
    HeNormal(seed=3)
    """
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
