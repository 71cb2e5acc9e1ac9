"""Layers: configuration and parameters, no arithmetic.

A layer gets its parameters when its model is built: views into the
engine's parameter arena, read and written through get_weights/set_weights."""
import re

from . import activations, initializers
from ._validation import (cast, check_bool, check_finite, check_float, check_int, describe,
                          to_array)

_name_counts = {}


def _auto_name(cls):
    base = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


class Layer:
    """Base of the layers a Sequential model stacks."""

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {describe(name)}")
        self.name = name or _auto_name(type(self))
        self._params = None  # (kernel view, bias view or None) once built
        self._model = None

    @property
    def built(self):
        return self._model is not None and self._model.built

    def output_width(self, n_in):
        return n_in

    def weight_shapes(self, n_in):
        """Shapes of get_weights()'s arrays when the layer is fed n_in features."""
        return []

    def count_params(self):
        return 0

    def get_weights(self):
        return []

    def set_weights(self, weights):
        if weights:
            raise ValueError(f"layer {self.name!r} has no weights; got {len(weights)} arrays")

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Dense(Layer):
    """A fully connected layer: activation(x @ kernel + bias).

    kernel has shape (input features, units), as in Keras."""

    def __init__(self, units, activation=None, use_bias=True, input_dim=None, input_shape=None,
                 kernel_initializer="glorot_uniform", name=None):
        units = check_int(units, "units", minimum=1)
        activation = activations.get(activation)
        use_bias = check_bool(use_bias, "use_bias")
        n_in = None if input_dim is None else check_int(input_dim, "input_dim", minimum=1)
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)):
                raise TypeError(f"input_shape must be a tuple (features,); got {describe(input_shape)}")
            if len(input_shape) != 1:
                raise ValueError(f"input_shape must be (features,) for a Dense layer; "
                                 f"got {tuple(input_shape)}")
            from_shape = check_int(input_shape[0], "input_shape[0]", minimum=1)
            if n_in is not None and n_in != from_shape:
                raise ValueError(f"input_dim={n_in} and input_shape={tuple(input_shape)} disagree")
            n_in = from_shape
        kernel_initializer = initializers.get(kernel_initializer)
        super().__init__(name)
        self.units = units
        self.activation = activation
        self.use_bias = use_bias
        self.input_dim = n_in
        self.kernel_initializer = kernel_initializer

    def output_width(self, n_in):
        return self.units

    def weight_shapes(self, n_in):
        return [(n_in, self.units)] + ([(self.units,)] if self.use_bias else [])

    def count_params(self):
        if self._params is None:
            return 0
        kernel, bias = self._params
        return kernel.size + (bias.size if bias is not None else 0)

    @property
    def kernel(self):
        """A copy of the kernel, (input features, units); None before the model is built."""
        return None if self._params is None else self._params[0].copy()

    @property
    def bias(self):
        """A copy of the bias, (units,); None without bias or before the model is built."""
        if self._params is None or self._params[1] is None:
            return None
        return self._params[1].copy()

    def get_weights(self):
        if self._params is None:
            return []
        return [p.copy() for p in self._params if p is not None]

    def expected_shapes(self):
        kernel = self._params[0]
        return [kernel.shape] + ([(self.units,)] if self.use_bias else [])

    def set_weights(self, weights):
        if self._params is None:
            raise RuntimeError(f"layer {self.name!r} has no weights yet: build its model first")
        arrays = check_weight_list(weights, self.expected_shapes(), f"layer {self.name!r}",
                                   self._params[0].dtype)
        for target, value in zip([p for p in self._params if p is not None], arrays):
            target[...] = value

    def get_config(self):
        return {"name": self.name, "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias, "input_dim": self.input_dim,
                "kernel_initializer": self.kernel_initializer}


# Dropout masks compare 16-bit random draws with rate·65536: rates closer to 1
# than that resolution would drop everything.
MAX_DROPOUT_RATE = 1.0 - 2.0 ** -16


class Dropout(Layer):
    """Inverted dropout: in fit, each input is zeroed with probability `rate`
    (to 1/65536) and the others scaled by 1 / (1 - rate); the identity at
    inference."""

    def __init__(self, rate, name=None):
        rate = check_float(rate, "rate", 0.0, 1.0, high_open=True)
        if rate > MAX_DROPOUT_RATE:
            raise ValueError(f"rate must be at most 1 - 2**-16 = {MAX_DROPOUT_RATE!r}, the "
                             f"resolution of the dropout masks; got {rate!r}")
        super().__init__(name)
        self.rate = rate

    def get_config(self):
        return {"name": self.name, "rate": self.rate}


LAYER_CLASSES = {"Dense": Dense, "Dropout": Dropout}


def check_weight_list(weights, shapes, owner, dtype):
    """Arrays matching `shapes` one to one, finite in `dtype`; returns them in dtype."""
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights for {owner} must be a list of arrays; got {describe(weights)}")
    if len(weights) != len(shapes):
        raise ValueError(f"{owner} expects {len(shapes)} weight arrays of shapes "
                         f"{', '.join(map(str, shapes))}; got {len(weights)}")
    arrays = []
    for i, (value, shape) in enumerate(zip(weights, shapes)):
        arr = to_array(value, f"weights[{i}] for {owner}")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"weights[{i}] for {owner} must contain numbers; got dtype {arr.dtype}")
        if arr.shape != tuple(shape):
            raise ValueError(f"weights[{i}] for {owner} must have shape {tuple(shape)}; "
                             f"got {arr.shape}")
        check_finite(arr, f"weights[{i}] for {owner}")
        arrays.append(cast(arr, dtype, f"weights[{i}] for {owner}"))
    return arrays
