"""Optimizers: hyper-parameters and their checks. The state (momentum,
velocity, moments, step count) lives in the engine's buffers of the model
being trained, so one optimizer object may serve several models.

Update rules are Keras 3's (keras/src/optimizers), applied by csrc/optim.c."""
from ._validation import check_bool, check_choice, check_float, describe

SGD_CODE, RMSPROP_CODE, ADAM_CODE = 0, 1, 2


def _hyperparameter(name, check):
    """A property whose assignments are validated like the constructor's arguments."""
    attr = "_" + name

    def getter(self):
        return getattr(self, attr)

    def setter(self, value):
        setattr(self, attr, check(value, name))

    return property(getter, setter)


def _learning_rate(value, name):
    return check_float(value, name, 0.0, None, low_open=True)


def _unit_interval(value, name):
    return check_float(value, name, 0.0, 1.0, high_open=True)


def _momentum(value, name):  # 1 is allowed, as in Keras (the velocity never decays)
    return check_float(value, name, 0.0, 1.0)


def _positive(value, name):
    return check_float(value, name, 0.0, None, low_open=True)


class Optimizer:
    """Base of SGD, RMSprop and Adam."""
    code = None
    learning_rate = _hyperparameter("learning_rate", _learning_rate)

    def engine_args(self):
        """(kind, learning_rate, momentum, rho, beta_1, beta_2, epsilon, nesterov)."""
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """m = momentum·m − lr·g; w += m (nesterov: w += momentum·m − lr·g).
    With momentum 0: w −= lr·g."""
    code = SGD_CODE
    momentum = _hyperparameter("momentum", _momentum)
    nesterov = _hyperparameter("nesterov", check_bool)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov

    def engine_args(self):
        return (self.code, self.learning_rate, self.momentum, 0.0, 0.0, 0.0, 0.0, self.nesterov)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "momentum": self.momentum,
                "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """v = rho·v + (1 − rho)·g²; w −= lr·g / sqrt(v + epsilon)
    (with momentum: m = momentum·m + lr·g / sqrt(v + epsilon); w −= m)."""
    code = RMSPROP_CODE
    rho = _hyperparameter("rho", _unit_interval)
    momentum = _hyperparameter("momentum", _momentum)
    epsilon = _hyperparameter("epsilon", _positive)

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
        self.learning_rate = learning_rate
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon

    def engine_args(self):
        return (self.code, self.learning_rate, self.momentum, self.rho, 0.0, 0.0, self.epsilon,
                False)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon}


class Adam(Optimizer):
    """m += (g − m)(1 − beta_1); v += (g² − v)(1 − beta_2);
    w −= lr·sqrt(1 − beta_2^t)/(1 − beta_1^t) · m / (sqrt(v) + epsilon)."""
    code = ADAM_CODE
    beta_1 = _hyperparameter("beta_1", _unit_interval)
    beta_2 = _hyperparameter("beta_2", _unit_interval)
    epsilon = _hyperparameter("epsilon", _positive)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def engine_args(self):
        return (self.code, self.learning_rate, 0.0, 0.0, self.beta_1, self.beta_2, self.epsilon,
                False)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon}


CLASSES = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}
_BY_CLASS_NAME = {cls.__name__: cls for cls in CLASSES.values()}


def get(identifier):
    """An Optimizer instance from a name ('sgd', 'rmsprop', 'adam') or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return CLASSES[check_choice(identifier, "optimizer", list(CLASSES))]()
    raise TypeError(f"optimizer must be one of {', '.join(map(repr, CLASSES))} or an "
                    f"Optimizer such as fm.Adam(); got {describe(identifier)}")


def from_config(class_name, config):
    if class_name not in _BY_CLASS_NAME:
        raise ValueError(f"unknown optimizer class {class_name!r}")
    return _BY_CLASS_NAME[class_name].from_config(config)
