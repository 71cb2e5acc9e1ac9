"""The base of every layer: configuration, weights (as Variables), building,
and calling on arrays or on symbolic tensors (the Functional API). Layers do
no arithmetic of their own: a model's engine (fastmlp._network) computes them,
and a layer called on an array runs in a small engine network of its own."""
from __future__ import annotations

import contextlib
import contextvars
import re
import threading
from typing import Any, Iterator, List, Optional, Sequence

import numpy as np

from .._validation import (cast_weight, check_bool, check_finite, check_int, describe,
                           to_array)
from ..dtype_policies import policy_name

__all__ = ["Layer", "Variable", "KerasTensor"]

_name_counts: dict = {}
_names_lock = threading.Lock()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def auto_name(base: str) -> str:
    """A process-unique default name: base, base_1, base_2, ... (as Keras).

    The count per base is shared by the whole process and guarded by a lock,
    so threads never get the same name.

    Parameters
    ----------
    base : str
        The name's stem, usually the class name in snake case (``"dense"``).

    Returns
    -------
    str
        `base` the first time, then `base` followed by ``_1``, ``_2``, ...
    """
    with _names_lock:
        count = _name_counts.get(base, 0)
        _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def feature_shape(input_shape: Any, name: str = "input_shape",
                  batch: Optional[bool] = None) -> tuple:
    """One sample's shape, as a tuple of positive ints.

    batch=False: `input_shape` is a sample's shape ((784,), 784, (28, 28)).
    batch=True: it starts with the batch dimension ((None, 784)), dropped.
    batch=None: either; a leading None is taken for the batch dimension.
    """
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        shape = (input_shape,)
        if batch:
            raise ValueError(f"{name} starts with the batch dimension, such as (None, "
                             f"{input_shape}); got {input_shape!r}")
    elif isinstance(input_shape, (tuple, list)):
        shape = tuple(input_shape)
        if batch or (batch is None and len(shape) >= 2 and shape[0] is None):
            shape = shape[1:]
    else:
        raise TypeError(f"{name} must be a tuple such as "
                        f"{'(None, 784)' if batch else '(784,)'}; got {describe(input_shape)}")
    if not shape:
        raise ValueError(f"{name} needs at least one feature dimension; got {input_shape!r}")
    if batch is False and shape[0] is None:
        raise ValueError(f"{name} is one sample's shape (features,), without the batch "
                         f"dimension; got {tuple(input_shape)!r}: use {name}="
                         f"{tuple(shape[1:])!r}")
    offset = len(tuple(input_shape)) - len(shape) if not isinstance(input_shape, (int, np.integer)) else 0
    return tuple(check_int(s, f"{name}[{offset + i}]", minimum=1) for i, s in enumerate(shape))


class KerasTensor:
    """A symbolic tensor of the Functional API: what `fm.Input(shape)` returns
    and what calling a layer on one returns. It records the layer that made it
    and that layer's input, so `fm.Model(inputs, outputs)` can find the chain.

    Made by fastmlp, not by users; it holds no values (converting it to an
    array raises TypeError).

    Parameters
    ----------
    shape : tuple of int
        One sample's shape; ``.shape`` prepends the batch dimension (None).
    layer : Layer
        The layer whose output it is.
    source : KerasTensor or None
        That layer's input (None for an Input).
    name : str, optional
        Default the layer's name.

    Examples
    --------
    >>> import fastmlp as fm
    >>> x = fm.Input(shape=(784,))
    >>> fm.Dense(10)(x).shape
    (None, 10)
    """

    def __init__(self, shape: tuple, layer: "Layer", source: Optional["KerasTensor"],
                 name: Optional[str] = None) -> None:
        self.shape = (None,) + tuple(shape)
        self.dtype = "float32"
        self._layer = layer
        self._source = source
        self.name = name or layer.name

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError("a KerasTensor is symbolic (made by fm.Input for the Functional API) "
                        "and holds no values; call the model on an array instead")


class Variable:
    """One of a layer's weights, as Keras shows them (`layer.kernel`,
    `model.weights`): `.numpy()` gives a copy, `.assign(value)` writes it.

    A handle on the layer's array (which lives in the model's engine once the
    model is built), not a copy; made by layers, not by users. Unlike Keras's
    Variable it supports no arithmetic: use ``.numpy()`` or ``np.asarray(v)``.

    Parameters
    ----------
    layer : Layer
        The layer that owns the weight.
    key : str
        The weight's name in the layer ("kernel", "bias", "gamma", ...).
    trainable : bool
        Whether training updates it (BatchNormalization's moving statistics
        are not trainable).

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> layer = fm.Dense(2)
    >>> layer.build((None, 3))
    >>> layer.kernel.assign(np.ones((3, 2)))
    <Variable path=dense.../kernel, shape=(3, 2), dtype=float32>
    """

    def __init__(self, layer: "Layer", key: str, trainable: bool) -> None:
        self._layer = layer
        self.name = key
        self._trainable = trainable

    @property
    def path(self) -> str:
        """"layer/name", preceded by the Sequential models the layer was added
        to ("outer/inner/dense/kernel"), as Keras names variables."""
        parts, model = [self._layer.name, self.name], self._layer._model
        while model is not None:
            parts.insert(0, model.name)
            model = model._model
        return "/".join(parts)

    @property
    def trainable(self) -> bool:
        """Whether training updates it (false too while its layer is frozen).

        bool; a moving statistic (such as BatchNormalization's) is never trainable.
        """
        return self._trainable and self._layer.trainable

    @property
    def shape(self) -> tuple:
        """The weight's shape, such as (in, out) for a Dense kernel.

        tuple of int.
        """
        return self._layer._arrays[self.name].shape

    @property
    def dtype(self) -> str:
        """The dtype's name: the model's, "float32" or "float64" ("int8" for
        an int8-quantized kernel)."""
        return self._layer._weight_dtype(self.name).name

    def numpy(self) -> np.ndarray:
        """A copy of the current values, in the model's dtype.

        Returns
        -------
        ndarray
            The values (changing it changes nothing in the model).
        """
        return self._layer._read(self.name)

    @property
    def value(self) -> np.ndarray:
        """A copy of the current values (as `numpy`).

        ndarray in the model's dtype; changing it changes nothing in the model.
        """
        return self.numpy()

    def assign(self, value: Any) -> "Variable":
        """Replace the values, as Keras's ``variable.assign``.

        Parameters
        ----------
        value : array_like
            Finite numbers of the weight's shape (cast to the model's dtype).

        Returns
        -------
        Variable
            This variable.

        Raises
        ------
        ValueError
            For another shape or a NaN or infinite value.
        TypeError
            For values that are not numbers.
        """
        self._layer._assign(self.name, value)
        return self

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = self.numpy()
        return values if dtype is None else values.astype(dtype)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


# while set, layers record their input width but allocate no weights (a model
# file's architecture is checked against its arrays before anything is allocated)
_STRUCTURE_ONLY = contextvars.ContextVar("fastmlp_structure_only", default=False)


@contextlib.contextmanager
def structure_only() -> Iterator[None]:
    """Layers built inside this block get their sizes but no weight arrays.

    Used when loading a model file: its architecture is checked against the
    stored arrays before any weight is allocated. The setting is per context
    (a ``contextvars`` variable) and restored on exit, even on error.

    Yields
    ------
    None
    """
    token = _STRUCTURE_ONLY.set(True)
    try:
        yield
    finally:
        _STRUCTURE_ONLY.reset(token)


def weight_attribute(key: str, doc: str) -> property:
    """A layer attribute for weight `key` (Dense.kernel, BatchNormalization.gamma, ...):
    reads give the Variable (None when the layer is configured without it),
    assignments replace the values (shape and finiteness checked)."""

    def getter(self) -> Optional[Variable]:
        """The layer's Variable named `key` (None when the layer is configured
        without it); the layer must be built."""
        self._require_built(key)
        return next((v for v in self.weights if v.name == key), None)

    def setter(self, value: Any) -> None:
        """Replace the values of weight `key` (shape and finiteness checked,
        as set_weights checks them)."""
        self._require_built(key)
        if key not in self._arrays:
            raise ValueError(f"layer {self.name!r} has no {key} (as configured)")
        self._assign(key, value)

    return property(getter, setter, doc=doc)


class Layer:
    """Base of the layers: configuration and weights, no arithmetic.

    As Keras's ``keras.layers.Layer``: configuration, weights created by
    `build`, ``get_config``/``from_config``, and calling (on an array it
    computes the layer's output; on a KerasTensor it adds a node of the
    Functional API). Unlike Keras, a layer has no ``call`` to override: the
    model's engine computes the layers of `fastmlp.layers` only, so custom
    layers are not supported.

    Parameters
    ----------
    name : str, optional
        Default: the class's name in snake case, numbered for later instances
        (``dense``, ``dense_1``, ...), as Keras.
    trainable : bool, default True
        Whether training updates the layer's weights.
    dtype : optional
        Kept for configs; the model's dtype decides the arithmetic.
    input_shape : tuple of int, optional
        One sample's shape, for a first layer (builds the model at once).
    input_dim : int, optional
        Keras 2's ``input_shape=(input_dim,)``.
    batch_input_shape : tuple, optional
        ``(None, *input_shape)``, as Keras 2's configs write it.
    batch_size : optional
        Ignored (any batch size works).
    **unknown
        Refused with TypeError, as Keras does.

    Raises
    ------
    TypeError
        For an unknown keyword argument or a name that is not a string.
    ValueError
        For shapes that are not positive or disagree with each other.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.Dropout(0.5, name="drop").name
    'drop'
    """

    def __init__(self, *, name: Optional[str] = None, trainable: bool = True,
                 dtype: Any = None, input_shape: Any = None, input_dim: Any = None,
                 batch_input_shape: Any = None, batch_size: Any = None, **unknown: Any) -> None:
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument"
                            f"{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(map(repr, unknown))}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {describe(name)}")
        self.name = name or auto_name(_snake(type(self).__name__))
        self._trainable = check_bool(trainable, "trainable")
        if isinstance(dtype, dict):  # Keras's serialized DTypePolicy
            dtype = (dtype.get("config") or {}).get("name")
        try:  # a policy ("mixed_bfloat16", "int8_from_float32", ...), or any dtype for configs
            self._dtype_policy = policy_name(dtype, quantized=True)
        except (TypeError, ValueError):
            try:
                self._dtype_policy = str(np.dtype(dtype).name)
            except TypeError:
                raise TypeError(f"dtype must be a dtype such as 'float32' or a dtype policy such "
                                f"as 'mixed_bfloat16'; got {describe(dtype)}") from None
        shape = None
        if batch_input_shape is not None:
            shape = feature_shape(batch_input_shape, "batch_input_shape", batch=True)
        if input_shape is not None:
            given = feature_shape(input_shape, "input_shape", batch=False)
            if shape is not None and given != shape:
                raise ValueError(f"input_shape={input_shape!r} and batch_input_shape="
                                 f"{batch_input_shape!r} disagree")
            shape = given
        if input_dim is not None:
            dim = (check_int(input_dim, "input_dim", minimum=1),)
            if shape is not None and dim != shape:
                raise ValueError(f"input_dim={input_dim} and input_shape={tuple(shape)} disagree")
            shape = dim
        self._input_shape = shape
        self._arrays: dict = {}
        self._owner = None       # the _network.Network whose arena holds the arrays
        self._width: Optional[int] = None
        self._model = None       # the model that added the layer (structure only)

    # ------------------------------------------------------------ structure

    @property
    def input_dim(self) -> Optional[int]:
        """The declared input width (for a 1-D declared shape), or None.

        int; None when no input shape was declared or it has several dimensions.
        """
        if self._input_shape is not None and len(self._input_shape) == 1:
            return self._input_shape[0]
        return None

    def weight_specs(self, n_in: int) -> list:
        """The weights the layer has for `n_in` input features (internal; not Keras API).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        list of tuple
            ``(name, shape, initializer, trainable)`` in `get_weights` order.
        """
        return []

    def engine_spec(self, n_in: int) -> Optional[dict]:
        """The engine layer this layer becomes (internal; not Keras API).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        dict or None
            The layer as ``fastmlp._engine.Network`` takes it, or None for a
            layer that only reshapes (Flatten, InputLayer).
        """
        return None

    def output_width(self, n_in: int) -> int:
        """The number of output features for `n_in` input features (internal).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        int
            The output width.
        """
        return n_in

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The output shape for inputs of `input_shape`, as Keras.

        Parameters
        ----------
        input_shape : tuple or int
            ``(None, features...)`` or one sample's shape.

        Returns
        -------
        tuple
            ``(None, output_features)``.
        """
        shape = feature_shape(input_shape)
        return (None, self.output_width(int(np.prod(shape))))

    # ------------------------------------------------------------ weights

    @property
    def built(self) -> bool:
        """Whether the layer knows its input size and has its weights.

        bool; True after `build`, as Keras's ``layer.built``.
        """
        return self._width is not None

    def build(self, input_shape: Any = None) -> None:
        """Create the weights for inputs of `input_shape`, as Keras.

        The values are drawn from the initializers (`fastmlp.set_random_seed`
        fixes them); rebuilding keeps weights whose shapes still fit.

        Parameters
        ----------
        input_shape : tuple or int, optional
            ``(None, features)``, or one sample's shape; default the declared
            `input_shape`.

        Raises
        ------
        ValueError
            Without any input shape, or for a shape with several feature
            dimensions on a layer that takes flat inputs.
        """
        if input_shape is None:
            if self._input_shape is None:
                raise ValueError(f"layer {self.name!r} needs an input shape to build")
            input_shape = self._input_shape
        shape = feature_shape(input_shape)
        if len(shape) != 1 and self.weight_specs(2):
            raise ValueError(f"{type(self).__name__} takes flat inputs (features,); got shape "
                             f"{shape}: put fm.Flatten() before it")
        width = int(np.prod(shape))
        self._materialize(width)

    def _materialize(self, width: int, rng=None) -> None:
        """Standalone arrays for input width `width`, keeping those whose
        shapes still fit (a rebuild keeps trained values)."""
        arrays = {}
        if not _STRUCTURE_ONLY.get():
            for key, shape, initializer, _ in self.weight_specs(width):
                old = self._arrays.get(key)
                arrays[key] = (old.copy() if old is not None and old.shape == tuple(shape)
                               else np.asarray(initializer.sample(shape, rng),
                                               dtype=self._weight_dtype(key)))
        self._arrays = arrays
        self._owner = None
        self._width = width

    def _storage_dtype(self) -> np.dtype:
        """The float dtype the weights are stored in (the model's)."""
        for array in self._arrays.values():
            if array.dtype.kind == "f":
                return array.dtype
        return np.dtype(np.float64 if self._dtype_policy == "float64" else np.float32)

    def _weight_dtype(self, key: str) -> np.dtype:
        """The dtype weight `key` is stored in (a quantized kernel's is int8)."""
        array = self._arrays.get(key)
        return array.dtype if array is not None else self._storage_dtype()

    def _check_weight(self, key: str, value: np.ndarray) -> None:
        """ValueError for values weight `key` cannot take (beyond shape and finiteness)."""

    def _read(self, key: str) -> np.ndarray:
        self._require_built("reading weights")
        return self._arrays[key].copy()

    def _assign(self, key: str, value: Any) -> None:
        self._require_built("assigning weights")
        target = self._arrays[key]
        arr = to_array(value, f"{self.name}/{key}")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}/{key} must hold numbers; got dtype {arr.dtype}")
        if arr.shape != target.shape:
            raise ValueError(f"{self.name}/{key} has shape {target.shape}; got {arr.shape}")
        check_finite(arr, f"{self.name}/{key}")
        value = cast_weight(arr, target.dtype, f"{self.name}/{key}")
        self._check_weight(key, value)
        target[...] = value
        if self._owner is not None:
            self._owner.touch()

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise RuntimeError(f"layer {self.name!r} has no weights yet ({what}): build it with "
                               f"layer.build((None, features)) or build its model first")

    def get_weights(self) -> List[np.ndarray]:
        """Copies of the weights in Keras's order, as Keras.

        Returns
        -------
        list of ndarray
            Dense: kernel (in, out), bias; BatchNormalization: gamma, beta,
            moving_mean, moving_variance; [] before `build`.
        """
        if not self.built:
            return []
        return [self._arrays[key].copy() for key, *_ in self.weight_specs(self._width)]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace every weight, as Keras; the list is checked whole before any is written.

        Parameters
        ----------
        weights : sequence of array_like
            One array per weight, in `get_weights` order and shapes.

        Raises
        ------
        RuntimeError
            Before the layer is built.
        ValueError
            For a wrong count, shape, or a NaN or infinite value.
        TypeError
            For something that is not a list of numeric arrays.
        """
        from ._checks import check_weight_list

        if not self.built and self.weight_specs(1):
            raise RuntimeError(f"layer {self.name!r} has no weights yet: build it first "
                               f"(layer.build((None, features)), or build its model)")
        specs = self.weight_specs(self._width) if self.built else []
        arrays = check_weight_list(weights, [tuple(s[1]) for s in specs], f"layer {self.name!r}",
                                   [self._weight_dtype(s[0]) for s in specs])
        for (key, *_), value in zip(specs, arrays):
            self._check_weight(key, value)
        for (key, *_), value in zip(specs, arrays):
            self._arrays[key][...] = value
        if self._owner is not None:
            self._owner.touch()

    @property
    def weights(self) -> List[Variable]:
        """The layer's weights as Variables, in `get_weights` order ([] before build).

        list of Variable, trainable and non-trainable ones together.
        """
        if not self.built:
            return []
        return [Variable(self, key, trainable) for key, _, _, trainable in
                self.weight_specs(self._width)]

    @property
    def trainable_weights(self) -> List[Variable]:
        """The weights training updates.

        list of Variable; [] before build or while the layer is frozen.
        """
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self) -> List[Variable]:
        """The weights training does not update (frozen, or moving statistics).

        list of Variable; [] before build.
        """
        return [v for v in self.weights if not v.trainable]

    def count_params(self) -> int:
        """The number of weight values, as Keras.

        Returns
        -------
        int
            0 before the layer is built.
        """
        return int(sum(a.size for a in self._arrays.values())) if self.built else 0

    @property
    def trainable(self) -> bool:
        """Whether training updates the layer's weights; assign False to freeze it.

        bool; the model that holds the layer is told at once, as in Keras.
        """
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze (False) or unfreeze (True) the layer's weights.

        The network that holds the layer's arrays, if any, is updated at once.

        Raises
        ------
        TypeError
            If `value` is not a bool.
        """
        self._trainable = check_bool(value, "trainable")
        if self._owner is not None:
            self._owner.set_trainable(self, self._trainable)

    # ------------------------------------------------------------ configs

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` (the same JSON).

        Returns
        -------
        dict
            JSON-able; ``type(layer).from_config(config)`` rebuilds the layer
            (without its weights).
        """
        # (a declared input shape goes to the model's config as an InputLayer, as Keras)
        return {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_policy}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """The layer `config` describes (what `get_config` returned).

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor.

        Returns
        -------
        Layer
            A new, unbuilt layer.
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------ calling

    def __call__(self, inputs: Any, training: Optional[bool] = None) -> Any:
        """Apply the layer: a node of the Functional API, or an output computed now.

        Parameters
        ----------
        inputs : KerasTensor or array_like
            A symbolic tensor (from `fastmlp.Input` or another layer), or
            arrays of shape (rows, features...).
        training : bool, optional
            On arrays: dropout, noise and batch statistics only when True.

        Returns
        -------
        KerasTensor or ndarray
            A new KerasTensor for a KerasTensor; otherwise the layer's output
            as a numpy array (Keras returns a tensor).

        Raises
        ------
        ValueError
            For inputs whose width does not match a built layer.
        """
        if isinstance(inputs, KerasTensor):
            return self._connect(inputs)
        from .._network import run_layers

        return run_layers([self], inputs, training=bool(training))

    def _connect(self, source: KerasTensor) -> KerasTensor:
        shape = source.shape[1:]
        if len(shape) != 1 and not self._takes_any_shape():
            raise ValueError(f"{type(self).__name__} {self.name!r} takes flat inputs; it was "
                             f"called on shape {source.shape}: put fm.Flatten() before it")
        width = int(np.prod(shape))
        if self.built and self._width != width and self.weight_specs(width):
            raise ValueError(f"layer {self.name!r} was built for {self._width} features; it "
                             f"was called on {width}")
        if not self.built:
            self._materialize(width)
        return KerasTensor((self.output_width(width),), self, source)

    def _takes_any_shape(self) -> bool:
        """Whether the layer accepts inputs with several feature dimensions."""
        return False
