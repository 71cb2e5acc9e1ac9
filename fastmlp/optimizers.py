"""Optimizers: hyper-parameters and their checks, with Keras 3's names, update
rules (csrc/optim_update.inc), decoupled weight decay and gradient clipping.
The state (momentum, velocity, moments, step count) lives in the engine of
the model being trained.

`learning_rate` may be a number or a schedule (fm.optimizers.schedules):
update k then uses schedule(k), as in Keras.

Examples
--------
>>> import fastmlp as fm
>>> fm.optimizers.get("adamw").weight_decay
0.004
"""
from __future__ import annotations

import weakref
from typing import Any, Optional

import numpy as np

from . import _engine, schedules
from ._validation import check_bool, check_choice, check_float, describe

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "get", "serialize", "deserialize",
           "schedules"]

SGD_CODE, RMSPROP_CODE, ADAM_CODE = (_engine.OPTIMIZERS[k] for k in ("sgd", "rmsprop", "adam"))


class StepCount(int):
    """The type of ``optimizer.iterations``: an int that also answers Keras's ``.numpy()``.

    A plain Python int subclass, so arithmetic and comparisons work as on
    int; `numpy` returns the count as ``numpy.int64``.
    """

    def numpy(self) -> np.int64:
        """The count as a numpy integer, as Keras's variable gives it.

        Returns
        -------
        numpy.int64
            The count.
        """
        return np.int64(self)


def _hyperparameter(name, check, doc):
    """A property whose assignments are validated like the constructor's arguments."""
    attr = "_" + name

    def getter(self) -> Any:
        """The hyperparameter's current value (a number, or the schedule
        when one was given)."""
        return getattr(self, attr)

    def setter(self, value: Any) -> None:
        """Set the hyperparameter, validated as the constructor validates
        it (ValueError or TypeError naming it)."""
        setattr(self, attr, check(value, name))

    return property(getter, setter, doc=doc + " Assignable (checked as in the constructor); "
                    "a compiled model uses the new value from its next step.")


def _unit_interval(value, name):
    return check_float(value, name, 0.0, 1.0, high_open=True)


def _momentum(value, name):  # 1 is allowed, as in Keras (the velocity never decays)
    return check_float(value, name, 0.0, 1.0)


def _positive(value, name):
    return check_float(value, name, 0.0, None, low_open=True)


def _optional_positive(value, name):
    return None if value is None else _positive(value, name)


class Optimizer:
    """Base of the optimizers: learning rate (or schedule), Keras's common
    options and the engine's view of them.

    Keras's ``keras.optimizers.Optimizer``; the update rules are the engine's
    (csrc/optim_update.inc), so custom optimizers (subclasses with their own
    rule) are not supported. The state (moments, step count) lives in the
    engine of the model being trained.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule
        A positive rate, or a schedule (`fastmlp.optimizers.schedules`) of the
        step count.
    weight_decay : float, optional
        Decoupled decay: each trainable weight is scaled by 1 − lr·weight_decay
        before the rule (biases included, as Keras).
    clipnorm, clipvalue, global_clipnorm : float, optional
        Gradient clipping before the rule: each variable's gradient to norm
        clipnorm; each value to ±clipvalue; all together to norm
        global_clipnorm (at most one of the three).
    use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps
        Keras's; accepted with their defaults only (ValueError otherwise).
    name : str, optional
        The name in configs.

    Raises
    ------
    ValueError
        For an argument out of its range, two clipping arguments at once, or a
        Keras option fastmlp does not have.
    TypeError
        For an unknown keyword argument.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.SGD(learning_rate=0.1, clipnorm=1.0).clipnorm
    1.0
    """
    code: Optional[int] = None
    default_name = "optimizer"

    def __init__(self, learning_rate: Any, weight_decay: Optional[float] = None,
                 clipnorm: Optional[float] = None, clipvalue: Optional[float] = None,
                 global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: Any = None,
                 loss_scale_factor: Any = None, gradient_accumulation_steps: Any = None,
                 name: Optional[str] = None, **unknown: Any) -> None:
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument"
                            f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
        if use_ema or ema_overwrite_frequency is not None:
            raise ValueError("use_ema (an exponential moving average of the weights) is not "
                             "supported by fastmlp")
        if loss_scale_factor is not None or gradient_accumulation_steps is not None:
            raise ValueError("loss_scale_factor and gradient_accumulation_steps are not "
                             "supported by fastmlp")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self._schedule = None
        self._engine_ref = None
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm = _optional_positive(clipnorm, "clipnorm")
        self.clipvalue = _optional_positive(clipvalue, "clipvalue")
        self.global_clipnorm = _optional_positive(global_clipnorm, "global_clipnorm")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {describe(name)}")
        self.name = name or self.default_name

    # ------------------------------------------------------------ learning rate

    @property
    def learning_rate(self) -> float:
        """The learning rate now: a schedule's value at the current step, or the number.

        A float. Assignable with a positive number, or with a schedule.
        """
        if self._schedule is not None:
            return float(self._schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        """Set the learning rate to a positive number or a LearningRateSchedule.

        Parameters
        ----------
        value : float or LearningRateSchedule
            The new rate, or a schedule to follow from now on.

        Raises
        ------
        TypeError
            For a number when the optimizer was created with a schedule (as
            Keras), or a value that is not a number.
        ValueError
            For a rate that is not positive.
        """
        if isinstance(value, schedules.LearningRateSchedule):
            self._schedule = value
            self._learning_rate = None
            return
        if self._schedule is not None:
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        self._learning_rate = _positive(value, "learning_rate")

    @property
    def schedule(self) -> Optional[schedules.LearningRateSchedule]:
        """The learning-rate schedule, or None (fastmlp's addition).

        A LearningRateSchedule when one was given, else None (a fixed rate).
        """
        return self._schedule

    def learning_rate_at(self, step: int) -> float:
        """The rate update `step` uses (internal; not Keras API).

        Parameters
        ----------
        step : int
            The optimizer's step count before the update.

        Returns
        -------
        float
            schedule(step), or the fixed rate.
        """
        return float(self._schedule(step)) if self._schedule is not None else self._learning_rate

    @property
    def weight_decay(self) -> Optional[float]:
        """The decoupled weight decay, or None when there is none.

        A float >= 0 or None; assignable (checked as in the constructor).
        """
        return self._weight_decay

    @weight_decay.setter
    def weight_decay(self, value: Optional[float]) -> None:
        """Set the decoupled weight decay (None for none).

        Parameters
        ----------
        value : float, optional
            A number >= 0, or None.

        Raises
        ------
        TypeError
            For a value that is not a number.
        ValueError
            For a negative or non-finite value.
        """
        self._weight_decay = None if value is None else check_float(value, "weight_decay", 0.0,
                                                                     None)

    @property
    def iterations(self) -> StepCount:
        """Steps taken by the model this optimizer trains (0 before any).

        A StepCount (an int with ``.numpy()``); 0 while no model is bound.
        """
        engine = self._engine_ref() if self._engine_ref is not None else None
        return StepCount(engine.iterations if engine is not None else 0)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_engine_ref"] = None  # a copy is bound to no model until compiled
        return state

    def _bind(self, engine) -> None:
        self._engine_ref = weakref.ref(engine)

    # ------------------------------------------------------------ engine

    def rule_args(self) -> tuple:
        """The update rule's hyper-parameters for the engine (internal; not Keras API).

        Returns
        -------
        tuple
            ``(momentum, rho, beta_1, beta_2, epsilon, nesterov)``.
        """
        raise NotImplementedError

    def engine_args(self, step: int = 0) -> tuple:
        """Everything the engine's update needs at a step (internal; not Keras API).

        Parameters
        ----------
        step : int, default 0
            The optimizer's step count.

        Returns
        -------
        tuple
            ``(kind, learning_rate, momentum, rho, beta_1, beta_2, epsilon,
            nesterov, weight_decay)``.
        """
        return (self.code, self.learning_rate_at(step)) + self.rule_args() + \
               (self.weight_decay or 0.0,)

    def clipping(self) -> tuple:
        """The clipping settings for the engine (internal; not Keras API).

        Returns
        -------
        tuple
            ``(clipvalue, clipnorm, global_clipnorm)``, 0.0 where unset.
        """
        return (self.clipvalue or 0.0, self.clipnorm or 0.0, self.global_clipnorm or 0.0)

    # ------------------------------------------------------------ configs

    def _base_config(self) -> dict:
        lr = (schedules.serialize(self._schedule) if self._schedule is not None
              else self._learning_rate)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": False, "ema_momentum": 0.99,
                "ema_overwrite_frequency": None, "loss_scale_factor": None,
                "gradient_accumulation_steps": None}

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            JSON-able (a schedule is serialized); ``from_config`` rebuilds
            the optimizer, without its state.
        """
        return self._base_config()

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        """The optimizer `config` describes (what `get_config` returned).

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor; a dict learning rate is a
            serialized schedule.

        Returns
        -------
        Optimizer
            A new optimizer with no state.
        """
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules.deserialize(lr)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} learning_rate={self.learning_rate!r}>"


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum and Nesterov momentum, as Keras.

    m = momentum·m − lr·g; w += m (nesterov: w += momentum·m − lr·g). With
    momentum 0: w −= lr·g.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.01
        The step size (> 0), or a schedule of the step count.
    momentum : float in [0, 1], default 0.0
        The velocity's decay.
    nesterov : bool, default False
        Nesterov momentum.
    weight_decay : float, optional
        Decoupled decay: each trainable weight is scaled by 1 − lr·weight_decay
        before the rule (biases included, as Keras).
    clipnorm, clipvalue, global_clipnorm : float, optional
        Gradient clipping before the rule: each variable's gradient to norm
        clipnorm; each value to ±clipvalue; all together to norm
        global_clipnorm (at most one of the three).
    name : str, optional
        The name in configs.
    use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps
        Keras's; accepted with their defaults only (ValueError otherwise).

    Raises
    ------
    ValueError
        For an argument out of its range, two clipping arguments at once, or a
        Keras option fastmlp does not have.
    TypeError
        For an unknown keyword argument.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.SGD(learning_rate=0.1, momentum=0.9).momentum
    0.9
    """
    code = SGD_CODE
    default_name = "SGD"
    momentum = _hyperparameter("momentum", _momentum, "The velocity's decay, in [0, 1].")
    nesterov = _hyperparameter("nesterov", check_bool, "Whether the momentum is Nesterov's.")

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = momentum
        self.nesterov = nesterov

    def rule_args(self) -> tuple:
        """SGD's hyper-parameters for the engine's update (internal; not Keras API).

        Returns
        -------
        tuple
            ``(momentum, 0.0, 0.0, 0.0, 0.0, nesterov)``.
        """
        return (self.momentum, 0.0, 0.0, 0.0, 0.0, self.nesterov)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            The common optimizer config plus ``momentum`` and
            ``nesterov``; ``SGD.from_config(config)`` rebuilds it.
        """
        return {**self._base_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop, as Keras (the seed network's optimizer).

    v = rho·v + (1 − rho)·g²; w −= lr·g / sqrt(v + epsilon) (with momentum:
    m = momentum·m + lr·g / sqrt(v + epsilon); w −= m).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size (> 0), or a schedule of the step count.
    rho : float in [0, 1), default 0.9
        The decay of the squared-gradient average.
    momentum : float in [0, 1], default 0.0
        Momentum on the scaled step.
    epsilon : float, default 1e-7
        Added to v before the square root (> 0).
    centered : bool, default False
        Keras's centered variant is not supported: only False.
    weight_decay : float, optional
        Decoupled decay: each trainable weight is scaled by 1 − lr·weight_decay
        before the rule (biases included, as Keras).
    clipnorm, clipvalue, global_clipnorm : float, optional
        Gradient clipping before the rule: each variable's gradient to norm
        clipnorm; each value to ±clipvalue; all together to norm
        global_clipnorm (at most one of the three).
    name : str, optional
        The name in configs.
    use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps
        Keras's; accepted with their defaults only (ValueError otherwise).

    Raises
    ------
    ValueError
        For an argument out of its range, two clipping arguments at once, or a
        Keras option fastmlp does not have.
    TypeError
        For an unknown keyword argument.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.RMSprop().rho
    0.9
    """
    code = RMSPROP_CODE
    default_name = "rmsprop"
    rho = _hyperparameter("rho", _unit_interval,
                          "The decay of the squared-gradient average, in [0, 1).")
    momentum = _hyperparameter("momentum", _momentum, "Momentum on the scaled step, in [0, 1].")
    epsilon = _hyperparameter("epsilon", _positive, "Added to v before the square root.")

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any) -> None:
        if centered:
            raise ValueError("centered RMSprop is not supported by fastmlp")
        super().__init__(learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon

    def rule_args(self) -> tuple:
        """RMSprop's hyper-parameters for the engine's update (internal; not Keras API).

        Returns
        -------
        tuple
            ``(momentum, rho, 0.0, 0.0, epsilon, False)``.
        """
        return (self.momentum, self.rho, 0.0, 0.0, self.epsilon, False)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            The common optimizer config plus ``rho``,
            ``momentum``, ``epsilon`` and ``centered`` (always False);
            ``RMSprop.from_config(config)`` rebuilds it.
        """
        return {**self._base_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": False}


class Adam(Optimizer):
    """Adam, with Keras 3's bias correction.

    m += (g − m)(1 − beta_1); v += (g² − v)(1 − beta_2);
    w −= lr·sqrt(1 − beta_2^t)/(1 − beta_1^t) · m / (sqrt(v) + epsilon).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size (> 0), or a schedule of the step count.
    beta_1 : float in [0, 1), default 0.9
        The decay of the first moment.
    beta_2 : float in [0, 1), default 0.999
        The decay of the second moment.
    epsilon : float, default 1e-7
        Added to sqrt(v) (> 0).
    amsgrad : bool, default False
        Keras's AMSGrad variant is not supported: only False.
    weight_decay : float, optional
        Decoupled decay: each trainable weight is scaled by 1 − lr·weight_decay
        before the rule (biases included, as Keras).
    clipnorm, clipvalue, global_clipnorm : float, optional
        Gradient clipping before the rule: each variable's gradient to norm
        clipnorm; each value to ±clipvalue; all together to norm
        global_clipnorm (at most one of the three).
    name : str, optional
        The name in configs.
    use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps
        Keras's; accepted with their defaults only (ValueError otherwise).

    Raises
    ------
    ValueError
        For an argument out of its range, two clipping arguments at once, or a
        Keras option fastmlp does not have.
    TypeError
        For an unknown keyword argument.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Adam().beta_2
    0.999
    """
    code = ADAM_CODE
    default_name = "adam"
    beta_1 = _hyperparameter("beta_1", _unit_interval, "The first moment's decay, in [0, 1).")
    beta_2 = _hyperparameter("beta_2", _unit_interval, "The second moment's decay, in [0, 1).")
    epsilon = _hyperparameter("epsilon", _positive, "Added to sqrt(v).")

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        if amsgrad:
            raise ValueError("amsgrad is not supported by fastmlp")
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def rule_args(self) -> tuple:
        """Adam's hyper-parameters for the engine's update (internal; not Keras API).

        Returns
        -------
        tuple
            ``(0.0, 0.0, beta_1, beta_2, epsilon, False)``.
        """
        return (0.0, 0.0, self.beta_1, self.beta_2, self.epsilon, False)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            The common optimizer config plus ``beta_1``,
            ``beta_2``, ``epsilon`` and ``amsgrad`` (always False);
            ``type(optimizer).from_config(config)`` rebuilds it.
        """
        return {**self._base_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": False}


class AdamW(Adam):
    """Adam with decoupled weight decay, as Keras.

    Each step first scales the trainable weights by 1 − lr·weight_decay, then
    applies Adam.

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
        The step size (> 0), or a schedule of the step count.
    weight_decay : float, default 0.004
        The decoupled decay (>= 0).
    beta_1, beta_2, epsilon, amsgrad
        As `Adam`.
    **kwargs
        The other arguments of `Optimizer` (clipping, name, ...).

    Raises
    ------
    ValueError
        For an argument out of its range.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.AdamW(weight_decay=0.01).weight_decay
    0.01
    """
    default_name = "adamw"

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


CLASSES = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
_BY_CLASS_NAME = {cls.__name__: cls for cls in CLASSES.values()}


def get(identifier: Any) -> Optimizer:
    """An Optimizer from a name ('sgd', 'rmsprop', 'adam', 'adamw', any case),
    a config dict or an instance, as ``keras.optimizers.get``.

    Parameters
    ----------
    identifier : str, dict or Optimizer
        A name (default hyper-parameters), a `serialize` dict, or an
        Optimizer (returned as it is).

    Returns
    -------
    Optimizer
        The optimizer.

    Raises
    ------
    ValueError
        For an unknown name.
    TypeError
        For anything else.

    Examples
    --------
    >>> import fastmlp as fm
    >>> type(fm.optimizers.get("Adam")).__name__
    'Adam'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return CLASSES[check_choice(identifier, "optimizer", list(CLASSES))]()
    raise TypeError(f"optimizer must be one of {', '.join(map(repr, CLASSES))} or an "
                    f"Optimizer such as fm.Adam(); got {describe(identifier)}")


def serialize(optimizer: Optimizer) -> dict:
    """Keras's serialized form of an optimizer, as ``keras.optimizers.serialize``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer to describe (its hyper-parameters, not its state).

    Returns
    -------
    dict
        ``module``, ``class_name``, ``config`` and ``registered_name``.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.optimizers.serialize(fm.SGD(0.1))["config"]["learning_rate"]
    0.1
    """
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config: dict) -> Optimizer:
    """The optimizer a `serialize` dict describes, as ``keras.optimizers.deserialize``.

    Parameters
    ----------
    config : dict
        ``class_name`` and ``config``.

    Returns
    -------
    Optimizer
        A new optimizer with no state.

    Raises
    ------
    ValueError
        For an unknown class or a malformed config.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.optimizers.deserialize({"class_name": "Adam", "config": {"beta_1": 0.8}}).beta_1
    0.8
    """
    if not isinstance(config, dict) or config.get("class_name") not in _BY_CLASS_NAME:
        raise ValueError(f"unknown optimizer {config!r}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"an optimizer's config must be a dict; got {inner!r}")
    return _BY_CLASS_NAME[config["class_name"]].from_config(inner)


def from_config(class_name: str, config: dict) -> Optimizer:
    """The optimizer a class name and its config describe (the first model file's form).

    Parameters
    ----------
    class_name : str
        The optimizer's class name, such as ``"Adam"``.
    config : dict
        Its `get_config`.

    Returns
    -------
    Optimizer
        A new optimizer, as `deserialize` builds it.

    Raises
    ------
    ValueError
        For an unknown class name or a malformed config (from `deserialize`).
    """
    return deserialize({"class_name": class_name, "config": config})
