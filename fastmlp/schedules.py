"""Learning-rate schedules, Keras 3's (keras.optimizers.schedules), exposed
by the model side as fm.optimizers.schedules.

A schedule maps the optimizer's step count to a learning rate:
``schedule(step) -> float``. The optimizer evaluates it at its iteration
count *before* incrementing it, so the k-th update (0-based) uses
``schedule(k)`` and the first update ``schedule(0)``, as in Keras.

Every formula is evaluated in float32, in Keras's order of operations, and
the float32 result is returned as a Python float: ``PiecewiseConstantDecay``
with the value 0.1 gives 0.10000000149011612, exactly what
``float(keras_schedule(step))`` gives.
"""
from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Optional, Sequence

import numpy as np

from ._validation import check_bool, check_float, describe

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]

_f32 = np.float32
_PI = _f32(math.pi)


def _step(step: Any) -> np.float32:
    if isinstance(step, np.ndarray) and step.ndim == 0:
        step = step[()]
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Real):
        raise TypeError(f"step must be a number (the optimizer's iteration count); "
                        f"got {describe(step)}")
    return _f32(step)


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"name must be a string; got {describe(value)}")
    return value


def _number(value: Any, name: str, **bounds: Any) -> Any:
    """A finite number, checked, kept as given for get_config (an int stays an
    int; a numpy scalar becomes the Python number it holds)."""
    check_float(value, name, **bounds)
    return value.item() if isinstance(value, np.generic) else value


def _positive_steps(value: Any, name: str) -> Any:
    """A number of steps that must be > 0, with Keras's message."""
    checked = check_float(value, name)
    if checked <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")
    return value.item() if isinstance(value, np.generic) else value


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses define ``__call__(step) -> float`` and ``get_config()``;
    ``from_config(config)`` rebuilds one from ``get_config()``'s dict. The
    optimizer calls ``schedule(k)`` for its k-th update (0-based). This
    module's schedules compute in float32, as Keras does, and return the
    float32 result as a Python float.

    Examples
    --------
    >>> from fastmlp.schedules import LearningRateSchedule
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / 2 ** (step // 100)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> Halving(0.1)(250)
    0.025
    """

    def __call__(self, step: Any) -> float:
        """The learning rate for the optimizer's update number `step`.

        Parameters
        ----------
        step : int or float
            The optimizer's iteration count before the update (0 for the first).

        Returns
        -------
        float
            The rate (this module's schedules compute it in float32, as Keras,
            and return that value as a Python float; Keras returns a tensor).

        Raises
        ------
        TypeError
            If `step` is not a number.
        """
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override "
                                  f"`__call__(self, step)`.")

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            JSON-able; ``type(schedule).from_config(config)`` rebuilds it.
        """
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override "
                                  f"`get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        """Rebuild a schedule from ``get_config()``'s dict.

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor.

        Returns
        -------
        LearningRateSchedule
            A new schedule.
        """
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : float
        Must be > 0.
    decay_rate : float
    staircase : bool, default False
        Decay in whole periods: ``decay_rate ** floor(step / decay_steps)``.
    name : str, default "ExponentialDecay"

    Raises
    ------
    ValueError
        If ``decay_steps <= 0``. TypeError for arguments that are not numbers.

    Examples
    --------
    >>> from fastmlp.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=20, decay_rate=0.5)
    >>> round(schedule(20), 7), round(schedule(30), 7)
    (0.05, 0.0353553)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive_steps(decay_steps, "decay_steps")
        self.decay_rate = _number(decay_rate, "decay_rate")
        self.staircase = check_bool(staircase, "staircase")
        self.name = _name(name)

    def __call__(self, step: Any) -> float:
        p = _step(step) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(_f32(self.initial_learning_rate) * np.power(_f32(self.decay_rate), p))

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``initial_learning_rate``, ``decay_steps``,
            ``decay_rate``, ``staircase`` and ``name``;
            ``ExponentialDecay.from_config(config)`` rebuilds it.
        """
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps: ``values[0]`` while
    ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the last boundary.

    Parameters
    ----------
    boundaries : sequence of numbers
        In increasing order (fastmlp checks it; Keras adds up overlapping
        intervals' values when they are not).
    values : sequence of numbers
        One more than ``boundaries``.
    name : str, default "PiecewiseConstant"

    Raises
    ------
    ValueError
        If the lengths do not match (Keras's message) or the boundaries decrease.

    Examples
    --------
    >>> from fastmlp.schedules import PiecewiseConstantDecay
    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> schedule(10), schedule(15), schedule(25)
    (1.0, 0.5, 0.10000000149011612)
    """

    def __init__(self, boundaries: Sequence[float], values: Sequence[float],
                 name: str = "PiecewiseConstant") -> None:
        for arg, label in ((boundaries, "boundaries"), (values, "values")):
            if isinstance(arg, (str, bytes)) or not hasattr(arg, "__len__"):
                raise TypeError(f"{label} must be a list of numbers; got {describe(arg)}")
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        checked = [check_float(b, f"boundaries[{i}]") for i, b in enumerate(boundaries)]
        for i, v in enumerate(values):
            check_float(v, f"values[{i}]")
        if any(b > a for b, a in zip(checked, checked[1:])):
            raise ValueError(f"boundaries must be in increasing order; got {list(boundaries)}")
        self.boundaries = boundaries
        self.values = values
        self.name = _name(name)
        self._bounds = checked
        self._rates = [_f32(v) for v in values]

    def __call__(self, step: Any) -> float:
        _step(step)  # checked; compared exactly, as Keras compares an integer step
        step = step[()] if isinstance(step, np.ndarray) else step
        return float(self._rates[bisect.bisect_left(self._bounds, step)])

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``boundaries``, ``values`` and ``name``;
            ``PiecewiseConstantDecay.from_config(config)`` rebuilds it.
        """
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` along
    ``(1 - step / decay_steps) ** power``, then constant (or, with ``cycle``,
    again with ``decay_steps`` stretched to the next multiple past ``step``).

    ``lr = (initial - end) * (1 - s / d) ** power + end`` with
    ``s = min(step, decay_steps)``, ``d = decay_steps``; with ``cycle``,
    ``s = step`` and ``d = decay_steps * max(1, ceil(step / decay_steps))``
    (1 at step 0).

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : float
        Must be > 0.
    end_learning_rate : float, default 0.0001
    power : float, default 1.0
    cycle : bool, default False
    name : str, default "PolynomialDecay"

    Raises
    ------
    ValueError
        If ``decay_steps <= 0``.

    Examples
    --------
    >>> from fastmlp.schedules import PolynomialDecay
    >>> schedule = PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01)
    >>> round(schedule(50), 6), round(schedule(500), 6)
    (0.055, 0.01)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive_steps(decay_steps, "decay_steps")
        self.end_learning_rate = _number(end_learning_rate, "end_learning_rate")
        self.power = _number(power, "power")
        self.cycle = check_bool(cycle, "cycle")
        self.name = _name(name)

    def __call__(self, step: Any) -> float:
        initial = _f32(self.initial_learning_rate)
        end = _f32(self.end_learning_rate)
        s = _step(step)
        d = _f32(self.decay_steps)
        if self.cycle:
            multiplier = _f32(1.0) if s == 0 else np.ceil(s / _f32(self.decay_steps))
            d = d * multiplier
        else:
            s = np.minimum(s, d)
        p = s / d
        return float((initial - end) * np.power(_f32(1) - p, _f32(self.power)) + end)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``initial_learning_rate``, ``decay_steps``,
            ``end_learning_rate``, ``power``, ``cycle`` and ``name``;
            ``PolynomialDecay.from_config(config)`` rebuilds it.
        """
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : float
        Must be > 0.
    decay_rate : float
    staircase : bool, default False
        Use ``floor(step / decay_steps)``.
    name : str, default "InverseTimeDecay"

    Raises
    ------
    ValueError
        If ``decay_steps <= 0``.

    Examples
    --------
    >>> from fastmlp.schedules import InverseTimeDecay
    >>> InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)(2)
    0.05000000074505806
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive_steps(decay_steps, "decay_steps")
        self.decay_rate = _number(decay_rate, "decay_rate")
        self.staircase = check_bool(staircase, "staircase")
        self.name = _name(name)

    def __call__(self, step: Any) -> float:
        p = _step(step) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        denominator = _f32(1) + _f32(self.decay_rate) * p
        return float(_f32(self.initial_learning_rate) / denominator)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``initial_learning_rate``, ``decay_steps``,
            ``decay_rate``, ``staircase`` and ``name``;
            ``InverseTimeDecay.from_config(config)`` rebuilds it.
        """
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR without restarts), with an optional linear warmup.

    Without ``warmup_target``: ``s = min(step, decay_steps)`` and
    ``lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``.
    With it: ``s = min(step, warmup_steps + decay_steps)``; while
    ``s < warmup_steps`` the rate goes linearly from ``initial`` to
    ``warmup_target``, then decays from ``warmup_target`` as above over
    ``s - warmup_steps``.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : float
        Must be > 0.
    alpha : float, default 0.0
        The final rate as a fraction of the rate decayed from.
    name : str, default "CosineDecay"
    warmup_target : float, optional
    warmup_steps : float, default 0
        Must be >= 0.

    Raises
    ------
    ValueError
        If ``decay_steps <= 0`` or ``warmup_steps < 0``.

    Examples
    --------
    >>> from fastmlp.schedules import CosineDecay
    >>> schedule = CosineDecay(0.0, decay_steps=20, warmup_target=1.0, warmup_steps=10)
    >>> [round(schedule(s), 4) for s in (0, 5, 10, 15, 20, 25, 30, 45)]
    [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: Optional[float] = None,
                 warmup_steps: float = 0) -> None:
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive_steps(decay_steps, "decay_steps")
        self.alpha = _number(alpha, "alpha")
        self.name = _name(name)
        if warmup_target is not None:
            warmup_target = _number(warmup_target, "warmup_target")
        self.warmup_target = warmup_target
        self.warmup_steps = _number(warmup_steps, "warmup_steps", low=0.0)

    def _decay(self, s: np.float32, decay_steps: np.float32, decay_from: np.float32) -> np.float32:
        fraction = s / decay_steps
        cosine = _f32(0.5) * (_f32(1) + np.cos(_PI * fraction))
        # Keras multiplies by (1 - alpha) computed in Python, then rounded to float32
        return decay_from * (_f32(1 - self.alpha) * cosine + _f32(self.alpha))

    def __call__(self, step: Any) -> float:
        initial = _f32(self.initial_learning_rate)
        decay_steps = _f32(self.decay_steps)
        s = _step(step)
        if self.warmup_target is None:
            return float(self._decay(np.minimum(s, decay_steps), decay_steps, initial))
        target = _f32(self.warmup_target)
        warmup_steps = _f32(self.warmup_steps)
        s = np.minimum(s, decay_steps + warmup_steps)
        if s < warmup_steps:
            return float((target - initial) * (s / warmup_steps) + initial)
        return float(self._decay(s - warmup_steps, decay_steps, target))

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``initial_learning_rate``, ``decay_steps``,
            ``alpha``, ``name``, ``warmup_target`` and ``warmup_steps``;
            ``CosineDecay.from_config(config)`` rebuilds it.
        """
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    The first period lasts ``first_decay_steps``; each next one is ``t_mul``
    times longer and starts from ``m_mul`` times the previous peak. Within a
    period at fraction f: ``lr = initial * ((1 - alpha) * 0.5 * m * (1 + cos(pi * f)) + alpha)``.

    Parameters
    ----------
    initial_learning_rate : float
    first_decay_steps : float
        Must be > 0.
    t_mul : float, default 2.0
    m_mul : float, default 1.0
    alpha : float, default 0.0
    name : str, default "SGDRDecay"

    Raises
    ------
    ValueError
        If ``first_decay_steps <= 0``.

    Examples
    --------
    >>> from fastmlp.schedules import CosineDecayRestarts
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10)
    >>> schedule(0), round(schedule(5), 4), schedule(10)
    (1.0, 0.5, 1.0)
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: float,
                 t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                 name: str = "SGDRDecay") -> None:
        self.initial_learning_rate = _number(initial_learning_rate, "initial_learning_rate")
        self.first_decay_steps = _positive_steps(first_decay_steps, "first_decay_steps")
        self._t_mul = _number(t_mul, "t_mul", low=0.0, low_open=True)
        self._m_mul = _number(m_mul, "m_mul")
        self.alpha = _number(alpha, "alpha")
        self.name = _name(name)

    def __call__(self, step: Any) -> float:
        initial = _f32(self.initial_learning_rate)
        alpha = _f32(self.alpha)
        t_mul = _f32(self._t_mul)
        m_mul = _f32(self._m_mul)
        fraction = _step(step) / _f32(self.first_decay_steps)
        one = _f32(1)
        if t_mul == one:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            restart = np.floor(np.log(one - fraction * (one - t_mul)) / np.log(t_mul))
            done = (one - np.power(t_mul, restart)) / (one - t_mul)
            fraction = (fraction - done) / np.power(t_mul, restart)
        peak = np.power(m_mul, restart)
        cosine = _f32(0.5) * peak * (one + np.cos(_PI * fraction))
        return float(initial * ((one - alpha) * cosine + alpha))

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``initial_learning_rate``,
            ``first_decay_steps``, ``t_mul``, ``m_mul``, ``alpha`` and ``name``;
            ``CosineDecayRestarts.from_config(config)`` rebuilds it.
        """
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                          InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """A JSON-able description in Keras's layout: ``{"module", "class_name", "config",
    "registered_name"}``.

    Parameters
    ----------
    schedule : LearningRateSchedule
        One of this module's classes.

    Returns
    -------
    dict

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> serialize(ExponentialDecay(0.1, 10, 0.5))["class_name"]
    'ExponentialDecay'
    """
    if type(schedule) not in _CLASSES.values():
        raise TypeError(f"schedule must be one of {', '.join(_CLASSES)}; got {describe(schedule)}")
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize(config: dict) -> LearningRateSchedule:
    """The schedule that `serialize` described.

    Parameters
    ----------
    config : dict
        ``{"class_name": ..., "config": {...}}``.

    Returns
    -------
    LearningRateSchedule

    Raises
    ------
    ValueError
        For an unknown class or a malformed description.

    Examples
    --------
    >>> deserialize(serialize(ExponentialDecay(0.1, 10, 0.5)))(10)
    0.05000000074505806
    """
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"a schedule description is {{'class_name': ..., 'config': {{...}}}}; "
                         f"got {describe(config)}")
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown learning-rate schedule {config.get('class_name')!r}; known: "
                         f"{', '.join(_CLASSES)}")
    return cls.from_config(config["config"])
