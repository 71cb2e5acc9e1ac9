"""Model: compile, fit, evaluate, predict and the rest of Keras's model API,
for a chain of layers. `fm.Model(inputs, outputs)` is the Functional API (a
chain from one Input to one output); `fm.Sequential` stacks layers.

Python validates, loops over batches and reports; the engine
(fastmlp._network, fastmlp._engine) does each batch's arithmetic with the GIL
released.
"""
from __future__ import annotations

import contextlib
import json
import math
import threading
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .. import _engine, _network, _random, losses, optimizers
from .. import metrics as metrics_module
from .._lazy import is_dask_collection
from .._locks import lock_of
from .._validation import (check_bool, check_float, check_int, contiguous, describe, require_bf16,
                           sample_weights, sparse_targets, targets_for)
from ..callbacks import CallbackList, History, ProgressBar, check_callbacks, inference_bar
from ..dtype_policies import MODEL_POLICIES, DTypePolicy, policy_name
from ..layers import InputLayer, KerasTensor, Layer, Variable
from ..layers.base import auto_name, feature_shape

__all__ = ["Model", "unapplied_step"]

_VERBOSE_CHOICES = "0, 1, 2 or 'auto'"


def check_verbose(verbose: Any) -> int:
    """The `verbose` argument of fit, evaluate and predict as an int.

    Parameters
    ----------
    verbose : {0, 1, 2, "auto"}
        The verbosity; "auto" means 1, as in Keras 3.

    Returns
    -------
    int
        0, 1 or 2.

    Raises
    ------
    TypeError
        If `verbose` is not an int or a string (bools included).
    ValueError
        For another string or another int.
    """
    if isinstance(verbose, str):
        if verbose == "auto":
            return 1
        raise ValueError(f"verbose must be {_VERBOSE_CHOICES}; got {verbose!r}")
    if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, (int, np.integer)):
        raise TypeError(f"verbose must be {_VERBOSE_CHOICES}; got {describe(verbose)}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be {_VERBOSE_CHOICES}; got {verbose}")
    return int(verbose)


def check_given(x: Any, y: Any) -> None:
    """Check that both `x` and `y` are given (fastmlp trains on arrays, not datasets).

    Parameters
    ----------
    x : object
        The inputs.
    y : object
        The targets.

    Raises
    ------
    TypeError
        If `x` or `y` is None.
    """
    if x is None:
        raise TypeError("x must be an array of inputs (samples, features...); got None")
    if y is None:
        raise TypeError("y must be an array of targets (fastmlp trains on (x, y) arrays, not "
                        "datasets); got None")


def unapplied_step(stats: dict) -> Optional[str]:
    """Why a training step's update was not (wholly) applied, or None.

    The engine skips a batch's update when the loss or the gradients are not
    finite, and keeps the old value of each weight that the update would have
    made NaN or infinite.

    Parameters
    ----------
    stats : dict
        The step's statistics from the engine: ``finite``,
        ``gradients_finite``, ``rejected``, ``loss_sum`` and ``weight_sum``.

    Returns
    -------
    str or None
        A sentence for the warning, or None when the update was applied.
    """
    if not stats["finite"]:
        return f"the loss became {stats['loss_sum'] / max(stats['weight_sum'], 1e-300)!r} " \
               f"(that batch's update was not applied)"
    if not stats["gradients_finite"]:
        return ("the gradients overflowed to NaN or infinity although the loss was finite "
                "(that batch's update was not applied; the inputs may hold very large values: "
                "scale them)")
    if stats["rejected"]:
        return (f"the update would have made {stats['rejected']} weights NaN or infinite "
                f"(those kept their values)")
    return None


def chain_from(inputs: Any, outputs: Any) -> tuple:
    """(input layer, [layers in order]) of a Functional graph that is a chain
    from `inputs` to `outputs`; ValueError naming what is not."""
    def single(value, what):
        """The one KerasTensor in `value` (a tensor, a one-element list or dict);
        ValueError naming `what` when there are several."""
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                raise ValueError(f"fastmlp's Functional API builds chains from one input to one "
                                 f"output; got {len(value)} {what}")
            value = value[0]
        if isinstance(value, dict):
            raise ValueError(f"fastmlp's Functional API takes one {what[:-1]} (not a dict)")
        if not isinstance(value, KerasTensor):
            raise TypeError(f"{what} must be a KerasTensor from fm.Input or a layer call; got "
                            f"{describe(value)}")
        return value

    first, last = single(inputs, "inputs"), single(outputs, "outputs")
    if not isinstance(first._layer, InputLayer) or first._source is not None:
        raise ValueError("inputs must come from fm.Input(shape=...)")
    chain, tensor, seen = [], last, set()
    while tensor is not first:
        if tensor._source is None:
            raise ValueError(f"the outputs do not come from these inputs: the chain reaches "
                             f"{tensor._layer.name!r}, another input")
        if id(tensor._layer) in seen:
            raise ValueError(f"layer {tensor._layer.name!r} is used twice in the chain (shared "
                             f"layers are not supported)")
        seen.add(id(tensor._layer))
        chain.append(tensor._layer)
        tensor = tensor._source
    return first._layer, chain[::-1]


class Model(Layer):
    """A model: a chain of layers with compile/fit/evaluate/predict.

    `fm.Model(inputs, outputs)` builds a Functional model from `fm.Input`
    through layer calls (a chain: one input, one output; branches and merges
    are refused with an error naming them); `fm.Sequential` stacks layers.
    A model can be used as a layer of another model (its weights are shared).

    Parameters
    ----------
    inputs : KerasTensor
        The output of `fastmlp.Input` (or a one-item list of it).
    outputs : KerasTensor
        The result of calling layers on `inputs`, one after another (or a
        one-item list of it).
    name : str, optional
        Default ``functional``, numbered for later models.
    dtype : {"float32", "float64", "mixed_bfloat16"}, default "float32"
        The arithmetic's precision (float32 is the fast path). Keras's
        "mixed_bfloat16" rounds the operands of the Dense layers' products to
        bfloat16 and sums them in float32; weights, optimizer state,
        activations, losses and batch statistics stay float32. It needs a CPU
        with AVX512_BF16 (else CPUFeatureError, a ValueError, naming it). A
        DTypePolicy (fastmlp's or Keras's) is taken by its name.
    trainable : bool, default True
        Whether training updates the model's weights.
    **kwargs
        `Layer`'s keyword arguments; unknown ones raise TypeError.

    Raises
    ------
    ValueError
        Without both `inputs` and `outputs` (subclassing Model with a
        ``call`` method is not supported), for several inputs or outputs,
        outputs that do not come from `inputs`, a layer used twice, or an
        unsupported dtype.
    TypeError
        For inputs or outputs that are not KerasTensors, or a dtype that is
        not a dtype.

    See Also
    --------
    Sequential : a stack of layers, with the same methods.

    Examples
    --------
    >>> import numpy as np
    >>> import fastmlp as fm
    >>> inputs = fm.Input(shape=(4,))
    >>> x = fm.Dense(8, activation="relu")(inputs)
    >>> model = fm.Model(inputs, fm.Dense(1)(x))
    >>> model.output_shape
    (None, 1)
    >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    >>> x = np.random.default_rng(0).normal(size=(16, 4))
    >>> y = x.sum(axis=1, keepdims=True)
    >>> history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    >>> sorted(history.history)
    ['loss', 'mae']
    >>> model.predict(x[:3], verbose=0).shape
    (3, 1)
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: Optional[str] = None,
                 dtype: Any = "float32", trainable: bool = True, **kwargs: Any):
        if (inputs is None) != (outputs is None):
            raise ValueError("fm.Model needs both inputs and outputs (the Functional API)")
        if inputs is None and type(self) is Model:
            raise ValueError("fm.Model(inputs, outputs) builds a Functional model; subclassing "
                             "Model with a call() method is not supported by fastmlp (its "
                             "engine runs chains of its own layers): use fm.Sequential or the "
                             "Functional API")
        super().__init__(name=name or auto_name(self._default_name()), trainable=trainable,
                         **kwargs)
        self._policy = policy_name(dtype)
        if self._policy not in MODEL_POLICIES:
            raise ValueError(f"dtype must be one of {', '.join(map(repr, MODEL_POLICIES))}; got "
                             f"{self._policy!r}")
        if self._policy == "mixed_bfloat16":
            require_bf16("dtype='mixed_bfloat16'")
        self._dtype = np.dtype(np.float64 if self._policy == "float64" else np.float32)
        self._input_layer: Optional[InputLayer] = None
        self._chain: List[Layer] = []
        if inputs is not None:
            self._input_layer, self._chain = chain_from(inputs, outputs)
            self._input_shape = self._input_layer._input_shape
        self._net: Optional[_network.Network] = None
        self.optimizer = None
        self._loss_obj = None
        self._metric_objs: list = []
        self._weighted_flags: list = []
        self.stop_training = False
        self.history = None
        self._dropout_seed: Optional[int] = None
        lock_of(self)

    @staticmethod
    def _default_name() -> str:
        return "functional"

    # ------------------------------------------------------------ structure

    def _chain_layers(self) -> list:
        """The layers data flows through, in order (nested models as layers)."""
        return list(self._chain)

    @property
    def layers(self) -> list:
        """The model's layers (a Functional model's InputLayer first, as Keras).

        list of Layer; a nested model appears as one item. A new list at each
        read.
        """
        return ([self._input_layer] if self._input_layer is not None else []) + self._chain_layers()

    def _flat(self) -> list:
        return _network.flat_layers(self._chain_layers())

    @property
    def dtype(self) -> str:
        """The weights' dtype name: ``"float32"`` or ``"float64"`` (float32
        under ``"mixed_bfloat16"``, as Keras's)."""
        return self._dtype.name

    @property
    def dtype_policy(self) -> DTypePolicy:
        """The model's dtype policy ("float32", "float64" or "mixed_bfloat16").

        DTypePolicy, a new object at each read.
        """
        return DTypePolicy(self._policy)

    @property
    def compute_dtype(self) -> str:
        """What the products compute in ("bfloat16" under "mixed_bfloat16").

        str; otherwise the weights' dtype, ``"float32"`` or ``"float64"``.
        """
        return self.dtype_policy.compute_dtype

    def _sample_shape(self) -> Optional[tuple]:
        """A sample's shape (without the batch dimension), when known."""
        if self._input_shape is not None:
            return self._input_shape
        layers = self._chain_layers()
        for layer in layers[:1]:
            if isinstance(layer, Model):
                return layer._sample_shape()
            return getattr(layer, "_input_shape", None)
        return None

    def _n_in(self) -> Optional[int]:
        shape = self._sample_shape()
        if shape is not None:
            return int(np.prod(shape))
        if self._net is not None:
            return self._net.n_in
        flat = self._flat()  # a model used as a layer is built by the model around it
        return flat[0]._width if flat and flat[0].built else None

    @property
    def input_shape(self) -> Optional[tuple]:
        """``(None, *sample_shape)`` once the input size is known, else None.

        tuple; ``(None, width)`` when only the input width is known.
        """
        shape = self._sample_shape()
        if shape is None and self._n_in() is not None:
            shape = (self._n_in(),)
        return None if shape is None else (None,) + tuple(shape)

    @property
    def output_shape(self) -> Optional[tuple]:
        """``(None, units)`` once the input size is known, else None.

        tuple; ``units`` is the last layer's output width.
        """
        n_in = self._n_in()
        if n_in is None:
            return None
        width = n_in
        for layer in self._flat():
            width = layer.output_width(width)
        return (None, width)

    def _n_out(self) -> Optional[int]:
        shape = self.output_shape
        return None if shape is None else shape[1]

    @property
    def built(self) -> bool:
        """Whether the input size is known, so that the weights exist (a
        Functional model, or a first layer with input_shape, is built from the
        start, as in Keras)."""
        return self._n_in() is not None

    def _check_structure(self, n_in: int) -> None:
        """ValueError for a chain the engine cannot run on n_in features."""
        flat = self._flat()
        seen = set()
        for layer in flat:
            if id(layer) in seen:
                raise ValueError(f"layer {layer.name!r} appears twice in the model: fastmlp's "
                                 f"engine gives each position its own weights, so a layer "
                                 f"cannot be applied twice in one model (use two layers)")
            seen.add(id(layer))
        shape = self._sample_shape()
        flattened = shape is None or len(shape) == 1
        width = n_in
        for layer in flat:
            if not flattened:
                if layer._takes_any_shape():
                    flattened = flattened or type(layer).__name__ == "Flatten"
                else:
                    raise ValueError(f"the model's samples have shape {tuple(shape)}: put "
                                     f"fm.Flatten() before {type(layer).__name__} {layer.name!r}")
            declared = layer.input_dim
            if declared is not None and declared != width:
                raise ValueError(f"layer {layer.name!r} declares input_dim={declared} but receives "
                                 f"{width} features")
            width = layer.output_width(width)

    def _network(self) -> _network.Network:
        """The engine network, built (or built again, values kept) when needed."""
        net = self._net
        if net is not None and net.current:
            net.sync_trainable()
            return net
        n_in = self._n_in()
        if n_in is None:
            raise RuntimeError(f"the model {self.name!r} has no input size yet: give it an "
                               f"fm.Input(shape), input_shape= on its first layer, call "
                               f"model.build((None, features)), or fit it first")
        self._build_network(n_in)
        return self._net

    def _build_network(self, n_in: int, rng=None, dropout_seed: Optional[int] = None) -> None:
        self._check_structure(n_in)
        if dropout_seed is None:
            dropout_seed = self._dropout_seed if self._dropout_seed is not None else \
                _random.next_seed()
        old_slots = None
        if self._net is not None and self.optimizer is not None:
            old_slots = (self._net.engine.optimizer_slots(), self._net.engine.iterations,
                         self._net.engine.params.size)
        net = _network.Network(self._flat(), n_in, self._dtype, dropout_seed, rng=rng,
                               policy=self._policy)
        shape = self._sample_shape()
        net.flat_input = shape is None or len(shape) == 1  # samples are rows as given
        self._net, self._dropout_seed = net, dropout_seed
        self._width = n_in
        if self.optimizer is not None:
            self._configure_optimizer()
            if old_slots is not None and old_slots[0] is not None and \
                    old_slots[2] == net.engine.params.size:  # same parameters: keep the state
                for new, old in zip(net.engine.optimizer_slots(), old_slots[0]):
                    new[...] = old
                net.engine.iterations = old_slots[1]

    def build(self, input_shape: Any = None) -> None:
        """Create the weights for inputs of `input_shape`, as Keras.

        The values are drawn from the initializers (`fastmlp.set_random_seed`
        fixes them). Building again for the same input size changes nothing.

        Parameters
        ----------
        input_shape : tuple or int, optional
            ``(None, features...)``, or one sample's shape; default the
            shape the model already knows (from an Input or a first layer's
            ``input_shape``).

        Raises
        ------
        ValueError
            For a shape other than the one the model already takes, or one
            that is not positive.
        RuntimeError
            Without `input_shape` on a model that has no input size, or when
            called from a callback of this model's own fit.

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Dense(2)])
        >>> model.build((None, 3))
        >>> model.count_params()
        8
        """
        with self._lock:
            self._refuse_in_own_fit("build()")
            if input_shape is None:
                self._network()
                return
            shape = feature_shape(input_shape)
            known = self._sample_shape()
            if known is not None and tuple(known) != shape:
                raise ValueError(f"build() got input_shape {input_shape!r}, but the model takes "
                                 f"inputs of shape {(None,) + tuple(known)}")
            if known is None:
                self._input_shape = shape
            if self._net is None or self._net.n_in != int(np.prod(shape)):
                self._build_network(int(np.prod(shape)))

    @contextlib.contextmanager
    def _undone_on_error(self):
        """Building the model on first data is undone when that data is then
        refused (a rejected call leaves the model as it was)."""
        saved = (self._input_shape, self._net, self._width, self._dropout_seed)
        layers = [(layer, layer._arrays, layer._owner, layer._width) for layer in self._flat()]
        try:
            yield
        except BaseException:
            self._input_shape, self._net, self._width, self._dropout_seed = saved
            for layer, arrays, owner, width in layers:
                layer._arrays, layer._owner, layer._width = arrays, owner, width
            raise

    def _refuse_quantized(self, what: str) -> None:
        from ..quantization import quantized_mode

        mode = quantized_mode(self._flat())
        if mode is not None:
            raise RuntimeError(f"{what}: this model was quantized to {mode} for inference "
                               f"(model.quantize), and a quantized model cannot train. Train "
                               f"the float model and quantize it afterwards (keep a copy with "
                               f"copy.deepcopy(model) before quantize() if you need both)")

    def quantize(self, mode: Any = None, config: Any = None, filters: Any = None,
                 **kwargs: Any) -> "Model":
        """An inference-only copy of the model with its Dense layers quantized.

        ``"int8"``: each kernel becomes int8 per output column, symmetric, as
        Keras quantizes it (``kernel_scale = 127 / max(abs(column))``); at
        inference each row of a layer's input is quantized to uint8 with its
        own step and zero point (dynamic quantization, as ONNX Runtime's
        ``quantize_dynamic``), the products are summed exactly in int32 and
        dequantized, with the bias and activation, in the kernels' epilogue
        (VNNI where the CPU has it; the AVX2 and portable kernels give the
        same bits). ``"bfloat16"`` (fastmlp's own mode): kernels rounded to
        bfloat16, inputs rounded as they come, float32 sums (needs
        AVX512_BF16). Biases, batch normalization, activations and softmax
        stay float32.

        The model itself is left as it was. The copy predicts, evaluates,
        saves and loads (fastmlp's own format; ``.keras`` and ONNX export
        refuse it); fit, train_on_batch and set_weights of float kernels
        raise, since the quantized kernels have no backward pass. Unlike
        Keras's ``quantize``, which works in place and returns None, this
        returns the copy: keep both with ``q = model.quantize("int8")``.

        Parameters
        ----------
        mode : {"int8", "bfloat16"}
            The quantization.
        config : None
            Keras's QuantizationConfig is not supported (ValueError).
        filters : str, list of str or callable, optional
            Which Dense layers: regexes on their names, or a function of the
            layer (Keras's argument); default all of them.
        **kwargs
            Keras's ``type_check`` is accepted and ignored.

        Returns
        -------
        Model
            The quantized copy.

        Raises
        ------
        ValueError
            For another mode, a config, a float64 model, a layer already
            quantized, or filters that select no Dense layer;
            ``CPUFeatureError`` (a ValueError) for ``"bfloat16"`` on a CPU
            without AVX512_BF16.
        RuntimeError
            Before the model is built, or from inside its own fit.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(3, activation="relu")])
        >>> quantized = model.quantize("int8")
        >>> quantized.layers[0].kernel.dtype, model.layers[0].kernel.dtype
        ('int8', 'float32')
        >>> quantized.predict(np.ones((2, 4)), verbose=0).shape
        (2, 3)
        """
        from ..quantization import check_mode, quantize_layers
        from ..saving import model_state, restore

        with self._lock:
            self._refuse_in_own_fit("quantize()")
            mode = check_mode(mode, config, kwargs)
            self._require_built("quantize()")
            if self._dtype != np.float32:
                raise ValueError(f"quantize() works on float32 models; this one computes in "
                                 f"{self._dtype.name} (build it with dtype='float32')")
            self._network()  # the weights' current values live in the layers
            state = model_state(self)
        quantized = restore(*state, "the model to quantize")
        quantized._network()
        if not quantize_layers(quantized._flat(), mode, quantized._policy, filters):
            raise ValueError(f"quantize(): no Dense layer to quantize"
                             f"{'' if filters is None else ' matches filters=' + repr(filters)}")
        quantized._build_network(quantized._net.n_in, dropout_seed=quantized._dropout_seed)
        return quantized

    def _refuse_in_own_fit(self, what: str) -> None:
        if self._lock.in_own_fit():
            raise RuntimeError(f"{what} cannot be called while this model's fit() is running "
                               f"(from a callback); call it before or after fit()")

    def get_layer(self, name: Optional[str] = None, index: Optional[int] = None) -> Layer:
        """A layer by name or by index, as Keras.

        Parameters
        ----------
        name : str, optional
            The layer's name (a layer of `layers`, nested models as one
            layer).
        index : int, optional
            A position in `layers` (negative counts from the end); give a
            name or an index, not both.

        Returns
        -------
        Layer
            The layer itself (not a copy).

        Raises
        ------
        ValueError
            For both or neither of `name` and `index`, an index out of range
            or a name no layer has.
        TypeError
            For an index that is not an integer.

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2, name="hidden"), fm.Dense(1)])
        >>> model.get_layer("hidden").units
        2
        >>> model.get_layer(index=-1).units
        1
        """
        if index is not None:
            if name is not None:
                raise ValueError("Provide only a layer name or a layer index. Received: "
                                 f"index={index}, name={name}.")
            layers = self.layers
            index = check_int(index, "index")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        if name is None:
            raise ValueError("Provide either a layer name or layer index at `get_layer`.")
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    # ------------------------------------------------------------ weights

    def _weight_owners(self) -> list:
        return [layer for layer in self._flat() if layer.weight_specs(1)]

    def get_weights(self) -> List[np.ndarray]:
        """Copies of every weight, in Keras's order.

        Returns
        -------
        list of ndarray
            Layer by layer: a Dense layer's kernel (in, out) then bias, a
            BatchNormalization's gamma, beta, moving mean and moving
            variance; in the model's dtype.

        Raises
        ------
        RuntimeError
            Before the model has an input size.

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> [w.shape for w in model.get_weights()]
        [(3, 2), (2,)]
        """
        self._require_built("get_weights()")
        self._network()
        return [w for layer in self._weight_owners() for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace every weight, as Keras; the list is checked whole before
        any weight is written.

        Parameters
        ----------
        weights : sequence of array_like
            One array per weight, in `get_weights` order and shapes (cast to
            the model's dtype).

        Raises
        ------
        RuntimeError
            Before the model has an input size.
        ValueError
            For a wrong count or shape, or a NaN or infinite value.
        TypeError
            For something that is not a list of numeric arrays.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> model.set_weights([np.ones((3, 2)), np.zeros(2)])
        >>> model.predict(np.ones((1, 3)), verbose=0)
        array([[3., 3.]], dtype=float32)
        """
        from ..layers import check_weight_list

        with self._lock:
            self._require_built("set_weights()")
            net = self._network()
            shapes, targets = [], []
            for layer in self._weight_owners():
                for key, shape, *_ in layer.weight_specs(layer._width):
                    shapes.append(tuple(shape))
                    targets.append(layer._arrays[key])
            arrays = check_weight_list(weights, shapes, "set_weights()",
                                       [target.dtype for target in targets])
            keys = [(layer, key) for layer in self._weight_owners()
                    for key, *_ in layer.weight_specs(layer._width)]
            for (layer, key), value in zip(keys, arrays):
                layer._check_weight(key, value)
            for target, value in zip(targets, arrays):
                target[...] = value
            net.touch()

    @property
    def weights(self) -> List[Variable]:
        """Every weight as a Variable, in `get_weights` order ([] before the
        model has an input size)."""
        if self._n_in() is not None:
            self._network()
        return [v for layer in self._weight_owners() for v in layer.weights]

    @property
    def trainable_weights(self) -> List[Variable]:
        """The weights training updates ([] while the model is frozen).

        list of Variable, in `get_weights` order; frozen layers' weights and
        moving statistics are left out.
        """
        return [v for v in self.weights if v.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> List[Variable]:
        """The weights training does not update: frozen layers' (all of them
        while the model is frozen) and batch normalization's moving
        statistics."""
        return [v for v in self.weights if not (v.trainable and self.trainable)]

    def count_params(self) -> int:
        """The number of weight values, as Keras.

        Returns
        -------
        int
            Trainable and non-trainable weights together (the optimizer's
            state not included).

        Raises
        ------
        RuntimeError
            Before the model has an input size (Keras raises too).
        """
        self._require_built("count_params()")
        return int(sum(layer.count_params() for layer in self._weight_owners()))

    def _require_built(self, what: str) -> None:
        if self._n_in() is None:
            raise RuntimeError(f"{what} needs a built model: give the first layer input_shape "
                               f"(or input_dim), start with fm.Input(shape), call "
                               f"model.build((None, features)), or fit it first")

    @property
    def trainable(self) -> bool:
        """Whether training updates the model's weights; assigning sets every
        layer's `trainable` too (False freezes the whole model, as Keras)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze (False) or unfreeze (True) the model and each of its layers.

        Every layer's `trainable` is set to `value`, as Keras does.

        Raises
        ------
        TypeError
            If `value` is not a bool.
        """
        value = check_bool(value, "trainable")
        self._trainable = value
        for layer in self._flat():
            layer.trainable = value

    # a model as a layer of another model
    def weight_specs(self, n_in: int) -> list:
        """No weights of its own (internal; not Keras API): a model used as a
        layer contributes its layers, which the outer model expands.

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        list
            Always ``[]``.
        """
        return []

    def output_width(self, n_in: int) -> int:
        """The number of output features for `n_in` input features (internal).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        int
            The last layer's output width.
        """
        width = n_in
        for layer in self._flat():
            width = layer.output_width(width)
        return width

    def _connect(self, source: KerasTensor) -> KerasTensor:
        tensor = source
        for layer in self._chain_layers():
            tensor = layer._connect(tensor)
        return KerasTensor(tensor.shape[1:], self, source)

    # ------------------------------------------------------------ compile

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Choose the optimizer, the loss and the metrics, as Keras.

        Compiling again starts the optimizer's state afresh (the weights are
        kept).

        Parameters
        ----------
        optimizer : str, dict or Optimizer, default "rmsprop"
            A name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adamw"``), a
            config dict or an object of `fastmlp.optimizers`.
        loss : str, type, callable, dict or Loss
            A name (``"mse"``, ``"binary_crossentropy"``, ...), a class, a
            function or an object of `fastmlp.losses`. Required, although
            Keras's signature has it default None.
        loss_weights : optional
            For models with several outputs, which fastmlp does not build:
            only None or a single 1.0.
        metrics : list, optional
            Names (``"accuracy"``, ``"mae"``, ...) or objects of
            `fastmlp.metrics`, logged as ``"name"`` and ``"val_name"``.
        weighted_metrics : list, optional
            Metrics that also use `sample_weight` and `class_weight`
            (logged as ``"weighted_name"`` when `metrics` has the same one).
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss
            Accepted for Keras code; they change nothing (fastmlp always runs
            its compiled engine).

        Raises
        ------
        ValueError
            For a missing loss, an unknown name, loss_weights other than 1,
            or a model without layers.
        TypeError
            For an optimizer, loss or metrics of the wrong type.
        RuntimeError
            When called from a callback of this model's own fit.

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        >>> model.metrics_names
        ['loss', 'accuracy']
        """
        with self._lock:
            self._refuse_in_own_fit("compile()")
            opt = optimizers.get(optimizer)
            loss_obj = losses.get(loss)
            if loss_weights is not None and np.ravel(np.asarray(loss_weights, dtype=float)).tolist() != [1.0]:
                raise ValueError("loss_weights is for models with several outputs, which fastmlp "
                                 "does not build; leave it None")
            plain = metrics_module.get_list(metrics)
            weighted = metrics_module.get_list(weighted_metrics, "weighted_metrics")
            names = {m.name for m in plain}
            for m in weighted:
                if m.name in names:
                    m.name = "weighted_" + m.name
            if not self._chain_layers():
                raise ValueError("add layers to the model before compile()")
            self.optimizer, self._loss_obj = opt, loss_obj
            self._metric_objs = plain + weighted
            self._weighted_flags = [False] * len(plain) + [True] * len(weighted)
            if self._net is not None and self._net.current:
                self._configure_optimizer()

    @property
    def loss(self) -> Any:
        """The compiled Loss object, or None before `compile`.

        Loss or None.
        """
        return self._loss_obj

    @property
    def compiled(self) -> bool:
        """Whether `compile` has been called (fit and evaluate need it).

        bool.
        """
        return self._loss_obj is not None

    def _require_compiled(self, what: str) -> None:
        if self._loss_obj is None:
            raise RuntimeError(f"{what} needs a compiled model: call model.compile(optimizer=..., "
                               f"loss=...) first")

    def _configure_optimizer(self) -> None:
        self._net.configure(self.optimizer)

    @property
    def metrics(self) -> list:
        """The compiled metric objects (Keras: a loss tracker comes first; here
        the metrics only), with .name and .direction."""
        return list(self._metric_objs)

    @property
    def metrics_names(self) -> List[str]:
        """``"loss"`` then the compiled metrics' names, in compile order: the
        names of `evaluate`'s list."""
        return ["loss"] + [m.name for m in self._metric_objs]

    def _resolved(self, y: Any, y_name: str = "y") -> tuple:
        """(loss, metrics) made concrete for targets y ("crossentropy",
        "accuracy" by shapes, as Keras)."""
        n_out = self._n_out()
        sparse = sparse_targets(y, y_name) if y is not None else False
        loss = losses.resolve_by_shape(self._loss_obj, sparse, n_out)
        resolved = [m.resolve(sparse, n_out) if isinstance(m, metrics_module.Accuracy) else m
                    for m in self._metric_objs]
        return loss, resolved

    def _objective(self, loss=None, metrics=(), states=None):
        """The engine's objective: the compiled loss (or `loss`) and `metrics`."""
        loss = self._loss_obj if loss is None else loss
        return _network.objective(loss, metrics, self._weighted_flags, states=states)

    def _gradients(self, x, y):
        """(mean loss, gradients of the trainable weights in get_weights order)
        over all of (x, y), without dropout or noise, batch normalization on
        its moving statistics, nothing updated. For tests."""
        self._refuse_quantized("_gradients()")
        self._require_compiled("_gradients()")
        self._infer_input(x)
        with self._lock:
            x, values, labels, weights, loss, _ = self._prepare(x, y)
            net = self._network()
            stats = net.engine.full_gradient(x, values, labels, weights, self._objective(loss))
            grads = []
            for layer, named in zip(net.computing, net.engine.gradient_arrays):
                grads += [g.copy() for _, g in named]
        return stats["loss_sum"] / stats["divisor"] + stats["penalty"], grads

    # ------------------------------------------------------------ data

    def _inputs(self, x: Any, name: str = "x") -> np.ndarray:
        net = self._network()
        return net.inputs(x, name, self._sample_shape())

    def _prepare(self, x: Any, y: Any, sample_weight: Any = None, class_weight: Any = None,
                 x_name: str = "x", y_name: str = "y", sw_name: str = "sample_weight") -> tuple:
        """(x, values, labels, weights, loss, metrics) checked for training or evaluation."""
        x = self._inputs(x, x_name)
        loss, metrics = self._resolved(y, y_name)
        values, labels = targets_for(y, y_name, loss, metrics, self._n_out(), len(x), self._dtype,
                                     x_name=x_name)
        weights = sample_weights(sample_weight, class_weight, y, len(x), sw_name)
        return x, values, labels, weights, loss, metrics

    def _infer_input(self, x: Any) -> None:
        """A model without an input size takes it from the first data it sees."""
        if self._n_in() is not None:
            return
        from .._validation import to_array

        arr = x if isinstance(x, np.ndarray) else to_array(x, "x")
        if arr.ndim < 2:
            raise ValueError(f"x must be 2-D (samples, features); got shape {arr.shape}")
        self._input_shape = tuple(int(d) for d in arr.shape[1:])

    # ------------------------------------------------------------ fit

    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
            epochs: int = 1, verbose: Any = "auto", callbacks: Any = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: Any = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: Optional[int] = None, validation_steps: Any = None,
            validation_batch_size: Optional[int] = None,
            validation_freq: int = 1) -> History:
        """Train for `epochs` passes over (x, y) in batches; returns a History.

        Keras 3's semantics: the batch loss is Σ weight·loss / rows plus the
        regularization penalties, the epoch loss their mean weighted by batch
        size; metrics are per-sample means over the epoch; logs are sorted by
        name; `validation_split` takes the last fraction before shuffling
        (class weights are not applied to validation data; a 3-tuple
        validation_data carries its own sample weights). A model without an
        input size takes it from `x`.

        Parameters
        ----------
        x : array_like
            Inputs, (samples, features...); arrays only (no datasets or
            generators).
        y : array_like
            Targets: (samples, units), or class indices (samples,) for the
            sparse losses.
        batch_size : int, default 32
            Rows per gradient step (the last batch of an epoch may be
            smaller).
        epochs : int, default 1
            The epoch to stop at (with `initial_epoch`, the number of epochs
            is ``epochs - initial_epoch``).
        verbose : {"auto", 0, 1, 2}, default "auto"
            0 silent, 1 (and "auto") a progress bar, 2 one line per epoch.
        callbacks : list of Callback, optional
            Called at the start and end of training, epochs and batches.
        validation_split : float, default 0.0
            The fraction of the rows, taken from the end before shuffling,
            kept for validation, in [0, 1).
        validation_data : tuple, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``;
            overrides `validation_split`.
        shuffle : bool, default True
            Shuffle the rows before each epoch (`fastmlp.set_random_seed`
            fixes the order).
        class_weight : dict, optional
            ``{class index: weight}`` multiplying the loss of each row of that
            class (from the targets; one-hot targets by their argmax); not
            with `sample_weight`.
        sample_weight : array_like, optional
            One non-negative weight per row, (samples,).
        initial_epoch : int, default 0
            The epoch to start at (to resume a training).
        steps_per_epoch : int, optional
            Batches per epoch; the next epoch continues where this one
            stopped, reshuffling once every row was seen. An epoch that runs
            out of rows ends early with Keras's "Your input ran out of data"
            UserWarning.
        validation_steps : optional
            Accepted for Keras code and ignored (validation runs over all of
            the validation data).
        validation_batch_size : int, optional
            Rows per validation batch; default `batch_size`.
        validation_freq : int, default 1
            Validate after every this many epochs.

        Returns
        -------
        History
            Its ``history`` dict maps each logged name (``"loss"``, the
            metrics, and with validation their ``"val_"`` forms) to one value
            per epoch; also `model.history`.

        Raises
        ------
        RuntimeError
            Before compile, when called from a callback of this model's own
            fit, or when a callback restructures the model.
        ValueError, TypeError
            For invalid arguments (the model is then left as it was).

        Warns
        -----
        RuntimeWarning
            When a batch makes the loss or the gradients NaN or infinite (that
            update is not applied, and training stops) or an update would
            make weights NaN or infinite (those weights keep their values,
            and training stops).

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> x = np.random.default_rng(0).normal(size=(20, 3))
        >>> y = (x[:, 0] > 0).astype(int)
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2, activation="softmax")])
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
        ...               metrics=["accuracy"])
        >>> history = model.fit(x, y, epochs=3, batch_size=5, validation_split=0.25, verbose=0)
        >>> sorted(history.history)
        ['accuracy', 'loss', 'val_accuracy', 'val_loss']
        >>> len(history.history["loss"])
        3
        """
        with self._lock:
            self._refuse_in_own_fit("fit()")
            self._refuse_quantized("fit()")
            self._require_compiled("fit()")
            batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
            epochs = check_int(epochs, "epochs", minimum=0)
            initial_epoch = check_int(initial_epoch, "initial_epoch", minimum=0)
            verbose = check_verbose(verbose)
            user_callbacks = check_callbacks(callbacks)
            validation_split = check_float(validation_split, "validation_split", 0.0, 1.0,
                                           high_open=True)
            shuffle = check_bool(shuffle, "shuffle")
            validation_freq = check_int(validation_freq, "validation_freq", minimum=1)
            if steps_per_epoch is not None:
                steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", minimum=1)
            val_batch = batch_size if validation_batch_size is None else \
                check_int(validation_batch_size, "validation_batch_size", minimum=1)
            check_given(x, y)
            with self._undone_on_error():
                self._infer_input(x)
                data = self._prepare(x, y, sample_weight, class_weight)
                validation = None
                if validation_data is not None:
                    validation = self._validation(validation_data)
                elif validation_split > 0:
                    data, validation = self._split(data, validation_split)
            self._lock.fitting_thread = threading.get_ident()
            try:
                return self._fit_loop(data, batch_size, epochs, initial_epoch, verbose,
                                      user_callbacks, validation, shuffle, steps_per_epoch,
                                      val_batch, validation_freq)
            finally:
                self._lock.fitting_thread = None

    def _validation(self, validation_data: Any) -> tuple:
        if not isinstance(validation_data, (tuple, list)):
            raise TypeError(f"validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                            f"sample_weight); got {describe(validation_data)}")
        if len(validation_data) not in (2, 3):
            raise ValueError(f"validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                             f"sample_weight); got {len(validation_data)} items")
        xv, yv = validation_data[0], validation_data[1]
        sw = validation_data[2] if len(validation_data) == 3 else None
        return self._prepare(xv, yv, sw, None, "validation_data x", "validation_data y",
                             "validation_data sample_weight")

    @staticmethod
    def _split(data: tuple, fraction: float) -> tuple:
        """Keras's split: the last `fraction` of the samples, before shuffling."""
        x, values, labels, weights, loss, metrics = data
        n = len(x)
        split_at = int(math.floor(n * (1.0 - fraction)))
        if split_at <= 0 or split_at >= n:
            raise ValueError(f"validation_split={fraction} leaves {split_at} training and "
                             f"{n - split_at} validation samples out of {n}; both need at least one")

        def part(a, sl):
            """Rows `sl` of a per-sample array (None stays None), as the
            C-contiguous, aligned array the engine reads."""
            return None if a is None else contiguous(a[sl])
        head, tail = slice(0, split_at), slice(split_at, None)
        return ((part(x, head), part(values, head), part(labels, head), part(weights, head), loss,
                 metrics),
                (part(x, tail), part(values, tail), part(labels, tail), part(weights, tail), loss,
                 metrics))

    def _batch_logs(self, loss_total: float, seen: int, metrics: list) -> dict:
        logs = {"loss": loss_total / seen if seen else float("nan")}
        for m in metrics:
            logs[m.name] = m.result()
        return logs

    def _fit_loop(self, data, batch_size, epochs, initial_epoch, verbose, user_callbacks,
                  validation, shuffle, steps_per_epoch, val_batch, validation_freq):
        x, values, labels, weights, loss, metrics = data
        net = self._network()
        engine, n = net.engine, len(x)
        objective = self._objective(loss, metrics)
        passes = -(-n // batch_size)
        steps = steps_per_epoch or passes
        engine.reserve(min(batch_size, n))
        cbs = CallbackList(user_callbacks, self, {"verbose": verbose, "epochs": epochs,
                                                 "steps": steps},
                           add_history=True, add_progbar=verbose != 0)
        self.stop_training = False
        self.history = cbs.history
        rng = _random.generator()
        order, position = np.arange(n, dtype=np.int64), n  # a pass over the data, and where in it
        schedule = self.optimizer.schedule is not None
        # the batch logs cost a Python pass over the metrics every step: made
        # only for a callback that looks at batches (History does not)
        batch_hooks = (cbs.calls_any("on_train_batch_begin", "on_train_batch_end")
                       or any(isinstance(cb, ProgressBar) for cb in cbs))
        logs: dict = {}
        cbs.on_train_begin(logs)
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch, {})
            engine.set_hyperparameters(*self.optimizer.engine_args(engine.iterations)[1:])
            engine.set_clipping(*self.optimizer.clipping())
            for m in metrics:
                m.reset_state()
            loss_total, seen = 0.0, 0
            if steps_per_epoch is None or position >= n:
                order = rng.permutation(n).astype(np.int64) if shuffle else np.arange(n, dtype=np.int64)
                position = 0
            for step in range(steps):
                if position >= n:
                    warnings.warn("Your input ran out of data; interrupting training. Make sure "
                                  "that your dataset can generate at least `steps_per_epoch * "
                                  "epochs` batches.", UserWarning, stacklevel=3)
                    break
                count = min(batch_size, n - position)
                if batch_hooks:
                    cbs.on_train_batch_begin(step, {})
                if schedule:
                    engine.set_learning_rate(self.optimizer.learning_rate_at(engine.iterations))
                stats = engine.train_batch(x, values, labels, order, position, count, weights,
                                           objective)
                position += count
                loss_total += (stats["loss_sum"] / stats["divisor"] + stats["penalty"]) * count \
                    if stats["divisor"] else 0.0
                seen += count
                problem = unapplied_step(stats)
                if problem:
                    warnings.warn(f"{problem} at epoch {epoch + 1}, batch {step + 1}: training "
                                  f"stopped", RuntimeWarning, stacklevel=3)
                    self.stop_training = True
                if batch_hooks:
                    logs = self._batch_logs(loss_total, seen, metrics)
                    cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if seen and not batch_hooks:
                logs = self._batch_logs(loss_total, seen, metrics)
            epoch_logs = dict(logs)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                cbs.on_test_begin({})
                val_logs = self._evaluate_data(validation, val_batch, cbs, val_batch)
                cbs.on_test_end(val_logs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return self.history

    # ------------------------------------------------------------ evaluation

    def _evaluate_data(self, data: tuple, chunk: int, callbacks: Any = None,
                       batch_size: int = 32) -> dict:
        """Loss and metrics over prepared data, with metric states of their own.
        One engine call over everything, or one per batch of batch_size when a
        callback has per-batch test hooks (Keras calls them batch by batch)."""
        x, values, labels, weights, loss, metrics = data
        net = self._network()
        states = [m.new_state() for m in metrics]
        objective = self._objective(loss, metrics, states)

        def result(loss_sum, divisor, penalty):
            """The logs of an evaluation: the mean loss plus the penalty, and each
            metric's result from its accumulated state."""
            logs = {"loss": loss_sum / divisor + penalty}
            for m, state in zip(metrics, states):
                logs[m.name] = m.result(state)
            return logs

        if callbacks is None or not callbacks.calls_any("on_test_batch_begin",
                                                        "on_test_batch_end"):
            stats = net.engine.evaluate(x, values, labels, max(1, min(int(chunk), len(x))),
                                        objective, weights)
            return result(stats["loss_sum"], stats["divisor"], stats["penalty"])
        loss_sum = divisor = penalty = 0.0
        logs: dict = {}
        for step, start in enumerate(range(0, len(x), batch_size)):
            part = slice(start, start + batch_size)
            callbacks.on_test_batch_begin(step, {})
            stats = net.engine.evaluate(
                x[part], None if values is None else values[part],
                None if labels is None else labels[part], batch_size, objective,
                None if weights is None else weights[part])
            rows = len(x[part])
            loss_sum += stats["loss_sum"]
            divisor += stats["divisor"]
            penalty += stats["penalty"] * rows  # (a mean over rows, like the loss)
            logs = result(loss_sum, divisor, penalty / min(start + batch_size, len(x)))
            callbacks.on_test_batch_end(step, logs)
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: Any = None,
                 callbacks: Any = None, return_dict: bool = False,
                 **kwargs: Any) -> Union[float, List[float], Dict[str, float]]:
        """The loss and the metrics over (x, y), as Keras.

        Dropout and noise are inactive and batch normalization uses its
        moving statistics; the loss includes the regularization penalties.
        The metrics start from zero (the training ones are left as they
        were). The values do not depend on `batch_size`, unless the loss of a
        row depends on its batch.

        Parameters
        ----------
        x : array_like
            Inputs, (samples, features...).
        y : array_like
            Targets, as for `fit`.
        batch_size : int, default 32
            Rows per step of the progress bar and of the per-batch callbacks.
        verbose : {"auto", 0, 1, 2}, default "auto"
            0 silent, 1 (and "auto") a progress bar, 2 a single line.
        sample_weight : array_like, optional
            One non-negative weight per row.
        steps : None
            For datasets, which fastmlp does not take: only None.
        callbacks : list of Callback, optional
            Their ``on_test_*`` hooks are called.
        return_dict : bool, default False
            Return ``{name: value}`` (sorted by name) instead.
        **kwargs
            None accepted (TypeError, as Keras).

        Returns
        -------
        float, list of float or dict
            The loss alone when no metric is compiled; else ``[loss,
            metric, ...]`` in `metrics_names` order; or the dict.

        Raises
        ------
        RuntimeError
            Before compile, or before the model has an input size.
        ValueError, TypeError
            For invalid arguments, `steps`, or unknown keyword arguments.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> model = fm.Sequential([fm.Input((2,)), fm.Dense(1, use_bias=False)])
        >>> model.set_weights([np.ones((2, 1))])
        >>> model.compile(loss="mse", metrics=["mae"])
        >>> model.evaluate(np.ones((4, 2)), np.zeros(4), verbose=0)
        [4.0, 2.0]
        >>> model.evaluate(np.ones((4, 2)), np.zeros(4), verbose=0, return_dict=True)
        {'loss': 4.0, 'mae': 2.0}
        """
        if kwargs:
            raise TypeError(f"evaluate() got unexpected keyword argument(s) {sorted(kwargs)}")
        with self._lock:
            self._require_compiled("evaluate()")
            self._require_built("evaluate()")
            batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
            verbose = check_verbose(verbose)
            return_dict = check_bool(return_dict, "return_dict")
            user_callbacks = check_callbacks(callbacks)
            if steps is not None:
                raise ValueError("steps is for datasets, which fastmlp does not take: evaluate "
                                 "runs over all of x")
            data = self._prepare(x, y, sample_weight)
            n_steps = -(-len(data[0]) // batch_size)
            bar = inference_bar(verbose, n_steps)
            cbs = CallbackList(user_callbacks, self, {"verbose": verbose, "epochs": 1,
                                                     "steps": n_steps})
            cbs.on_test_begin({})
            bar.on_test_begin()
            # engine calls of DEFAULT_CHUNK rows at least, unless the loss of a row depends on
            # its batch (Keras evaluates batch by batch)
            chunk = batch_size if data[4].batch_dependent else max(batch_size,
                                                                   _network.DEFAULT_CHUNK)
            logs = self._evaluate_data(data, chunk, cbs, batch_size)
            bar.on_test_end(logs)
            cbs.on_test_end(logs)
        if return_dict:
            return dict(sorted(logs.items()))
        values = [logs["loss"]] + [logs[m.name] for m in self._metric_objs]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ inference

    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: Any = "auto",
                steps: Any = None, callbacks: Any = None) -> np.ndarray:
        """The model's outputs for `x`, as Keras.

        Dropout and noise are inactive and batch normalization uses its
        moving statistics.

        Parameters
        ----------
        x : array_like
            Inputs, (samples, features...), of the model's input shape.
        batch_size : int, optional
            How many rows go through at once (and the progress bar's steps,
            default 32); the values do not depend on it.
        verbose : {"auto", 0, 1, 2}, default "auto"
            0 silent, 1 (and "auto") a progress bar, 2 a single line.
        steps : None
            For datasets, which fastmlp does not take: only None.
        callbacks : list of Callback, optional
            Their ``on_predict_*`` hooks are called (per-batch hooks with
            ``{"outputs": ...}``, as Keras).

        Returns
        -------
        ndarray
            (samples, units), in the model's dtype (a numpy array, where
            Keras returns one too).

        On a dask array or dataframe, a lazy dask array computed block by
        block on the workers (fastmlp.dask.predict; the other arguments are
        then not used).

        Raises
        ------
        RuntimeError
            Before the model has an input size.
        ValueError, TypeError
            For inputs of the wrong shape or type, or invalid arguments.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> model.predict(np.zeros((4, 3)), verbose=0).shape
        (4, 2)
        """
        if not isinstance(x, np.ndarray) and is_dask_collection(x):
            from ..dask import predict as dask_predict

            return dask_predict(self, x)
        net = self._net
        if (verbose == 0 and batch_size is None and callbacks is None and steps is None
                and net is not None and net.flat_input and net.current and type(verbose) is int):
            # the quiet path, for latency: what remains below is the same calls
            x = net.inputs(x, "x")
            return net.predict(x, min(_network.DEFAULT_CHUNK, len(x)))
        self._require_built("predict()")
        verbose = check_verbose(verbose)
        chunk = None if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
        user_callbacks = check_callbacks(callbacks)
        if steps is not None:
            raise ValueError("steps is for datasets, which fastmlp does not take: predict runs "
                             "over all of x")
        net = self._network()
        x = net.inputs(x, "x", self._sample_shape())
        n_steps = -(-len(x) // (chunk or 32))
        bar = inference_bar(verbose, n_steps)
        cbs = CallbackList(user_callbacks, self, {"verbose": verbose, "epochs": 1,
                                                 "steps": n_steps})
        cbs.on_predict_begin({})
        bar.on_predict_begin()
        if cbs.calls_any("on_predict_batch_begin", "on_predict_batch_end"):
            out = self._predict_by_batch(net, x, chunk or 32, cbs)
        else:
            out = net.predict(x, min(chunk or _network.DEFAULT_CHUNK, len(x)))
        cbs.on_predict_end({})
        bar.on_predict_end({})
        return out

    @staticmethod
    def _predict_by_batch(net, x: np.ndarray, batch_size: int, callbacks: Any) -> np.ndarray:
        """predict batch by batch, for callbacks with per-batch predict hooks."""
        out = np.empty((len(x), net.n_out), dtype=net.dtype)
        for step, start in enumerate(range(0, len(x), batch_size)):
            callbacks.on_predict_batch_begin(step, {})
            part = slice(start, start + batch_size)
            out[part] = net.predict(x[part], batch_size)
            callbacks.on_predict_batch_end(step, {"outputs": out[part]})
        return out

    def __call__(self, inputs: Any, training: Optional[bool] = None) -> Any:
        """Apply the model: a layer of a Functional model, or outputs
        computed now.

        Parameters
        ----------
        inputs : KerasTensor or array_like
            A symbolic tensor (the model then becomes one layer of the model
            being built, its weights shared), or inputs (samples,
            features...); a model without an input size takes it from them.
        training : bool, optional
            On arrays: dropout, noise and batch statistics only when True
            (which also moves batch normalization's moving statistics).

        Returns
        -------
        KerasTensor or ndarray
            A new KerasTensor for a KerasTensor; otherwise the outputs as a
            numpy array, (samples, units) (Keras returns a tensor).

        Raises
        ------
        ValueError
            For inputs whose shape does not fit the model.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> inner = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> inner(np.zeros((1, 3)))
        array([[0., 0.]], dtype=float32)
        >>> inputs = fm.Input((3,))
        >>> outer = fm.Model(inputs, fm.Dense(1)(inner(inputs)))
        >>> outer.count_params()
        11
        """
        if isinstance(inputs, KerasTensor):
            return self._connect(inputs)
        self._infer_input(inputs)
        if training:
            self._refuse_quantized("calling it with training=True")
        net = self._network()
        x = net.inputs(inputs, "inputs", self._sample_shape())
        return net.forward_training(x) if training else net.predict(x)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """`predict` on one batch, without a progress bar.

        Parameters
        ----------
        x : array_like
            Inputs, (samples, features...).

        Returns
        -------
        ndarray
            (samples, units), in the model's dtype.

        Raises
        ------
        RuntimeError
            Before the model has an input size.
        """
        return self.predict(x, batch_size=None, verbose=0)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None,
                       return_dict: bool = False) -> Union[float, List[float], Dict[str, float]]:
        """One training step on the whole of (x, y), as one batch.

        The metrics are reset first, so that they cover this batch only. A
        model without an input size takes it from `x`.

        Parameters
        ----------
        x : array_like
            Inputs, (samples, features...).
        y : array_like
            Targets, as for `fit`.
        sample_weight : array_like, optional
            One non-negative weight per row.
        class_weight : dict, optional
            ``{class index: weight}``, as for `fit`; not with `sample_weight`.
        return_dict : bool, default False
            Return ``{name: value}`` (sorted by name) instead.

        Returns
        -------
        float, list of float or dict
            The loss and metrics of the batch, computed before the update:
            the loss alone when no metric is compiled, else ``[loss, metric,
            ...]`` in `metrics_names` order, or the dict.

        Raises
        ------
        RuntimeError
            Before compile, or when called from a callback of this model's
            own fit.
        ValueError, TypeError
            For invalid arguments (the model is then left as it was).

        Warns
        -----
        RuntimeWarning
            When the update is not (wholly) applied because the loss, the
            gradients or the new weights would be NaN or infinite.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> model = fm.Sequential([fm.Input((2,)), fm.Dense(1, use_bias=False)])
        >>> model.set_weights([np.ones((2, 1))])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.train_on_batch(np.ones((4, 2)), np.zeros(4))
        4.0
        >>> model.test_on_batch(np.ones((4, 2)), np.zeros(4)) < 4.0
        True
        """
        with self._lock:
            self._refuse_in_own_fit("train_on_batch()")
            self._refuse_quantized("train_on_batch()")
            self._require_compiled("train_on_batch()")
            return_dict = check_bool(return_dict, "return_dict")
            check_given(x, y)
            with self._undone_on_error():
                self._infer_input(x)
                x, values, labels, weights, loss, metrics = self._prepare(x, y, sample_weight,
                                                                          class_weight)
            net = self._network()
            engine = net.engine
            engine.reserve(len(x))
            for m in metrics:
                m.reset_state()
            engine.set_hyperparameters(*self.optimizer.engine_args(engine.iterations)[1:])
            engine.set_clipping(*self.optimizer.clipping())
            stats = engine.train_batch(x, values, labels, np.arange(len(x), dtype=np.int64), 0,
                                       len(x), weights, self._objective(loss, metrics))
            problem = unapplied_step(stats)
            if problem:
                warnings.warn(f"{problem} in train_on_batch", RuntimeWarning, stacklevel=2)
            logs = {"loss": stats["loss_sum"] / stats["divisor"] + stats["penalty"]
                    if stats["divisor"] else float("nan")}
            logs.update({m.name: m.result() for m in metrics})
        return self._call_result(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Union[float, List[float], Dict[str, float]]:
        """`evaluate` on one batch, without a progress bar; its metrics start
        from zero (the training ones are left as they were).

        Parameters
        ----------
        x : array_like
            Inputs, (samples, features...).
        y : array_like
            Targets, as for `fit`.
        sample_weight : array_like, optional
            One non-negative weight per row.
        return_dict : bool, default False
            Return ``{name: value}`` (sorted by name) instead.

        Returns
        -------
        float, list of float or dict
            The loss alone when no metric is compiled, else ``[loss, metric,
            ...]`` in `metrics_names` order, or the dict.

        Raises
        ------
        RuntimeError
            Before compile, or before the model has an input size.
        ValueError, TypeError
            For invalid arguments.
        """
        with self._lock:
            self._require_compiled("test_on_batch()")
            self._require_built("test_on_batch()")
            return_dict = check_bool(return_dict, "return_dict")
            data = self._prepare(x, y, sample_weight)
            logs = self._evaluate_data(data, max(len(data[0]), 1))
        return self._call_result(logs, return_dict)

    def _call_result(self, logs: dict, return_dict: bool):
        if return_dict:
            return dict(sorted(logs.items()))
        values = [logs["loss"]] + [logs[m.name] for m in self._metric_objs]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ summary, configs, files

    def summary(self, line_length: Optional[int] = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False, show_trainable: bool = False,
                layer_range: Any = None) -> None:
        """Print Keras 3's table of the layers, their output shapes and
        parameter counts, with the totals (and the optimizer's once built).

        Parameters
        ----------
        line_length : int, optional
            The table's width; default 88 (100 with `show_trainable`), at
            most the terminal's width less 4.
        positions : list of float, optional
            Where the columns end, as fractions of `line_length`; default
            ``[0.45, 0.80, 1.0]``.
        print_fn : callable, optional
            Called once with the whole text; default `print`.
        expand_nested : bool, default False
            Show the layers of nested models too.
        show_trainable : bool, default False
            Add a column saying whether each layer is trainable.
        layer_range : optional
            Accepted for Keras code and ignored (every layer is shown).

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)], name="tiny")
        >>> lines = []
        >>> model.summary(line_length=60, print_fn=lines.append)
        >>> print(lines[0].splitlines()[0])
        Model: "tiny"
        """
        from .summary import summary_text

        text = summary_text(self, line_length, positions, expand_nested, show_trainable)
        (print_fn or print)(text)

    def get_config(self) -> dict:
        """The model's architecture as Keras 3's config (the same JSON Keras writes).

        Returns
        -------
        dict
            ``name``, ``trainable``, ``dtype`` and ``layers`` (each with
            ``class_name`` and ``config``; a Functional model's with their
            ``inbound_nodes``, and ``input_layers``/``output_layers``).
            JSON-able; no weights.
        """
        from ..saving import model_config

        return model_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> "Model":
        """The model `config` describes (what `get_config` returned), as Keras.

        Parameters
        ----------
        config : dict
            A model's `get_config`.
        custom_objects : optional
            Accepted for Keras code and ignored (fastmlp has no custom
            layers).

        Returns
        -------
        Model
            A new model of this class (a Sequential from
            ``Sequential.from_config``), with fresh weights; built when the
            config gives its input shape, not compiled.

        Raises
        ------
        ValueError
            For a config that is not a chain model of fastmlp's layers (the
            layers' own constructors may raise TypeError too).

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> fm.Sequential.from_config(model.get_config()).count_params()
        8
        """
        from ..saving import model_from_config

        return model_from_config({"class_name": cls.__name__, "config": config})

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as Keras 3's JSON (no weights), as Keras.

        Parameters
        ----------
        **kwargs
            Passed to `json.dumps` (``indent=2``, ...).

        Returns
        -------
        str
            ``{"module", "class_name", "config", ...}``: what
            `fastmlp.models.model_from_json` (and Keras's) reads.

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> fm.models.model_from_json(model.to_json()).output_shape
        (None, 2)
        """
        from ..saving import model_config_entry

        return json.dumps(model_config_entry(self), **kwargs)

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Write the model (architecture, weights, compile settings, optimizer
        state). A path ending in ".keras" writes Keras 3's format (readable by
        Keras); any other path fastmlp's own zip of .npy arrays and JSON (no
        pickle inside). Either way the file is replaced atomically.
        `fastmlp.load_model` reads both.

        Parameters
        ----------
        filepath : str or os.PathLike
            The file to write.
        overwrite : bool, default True
            Replace an existing file; False raises FileExistsError instead.
        **kwargs
            Accepted for Keras code (``zipped=``, ...) and ignored.

        Raises
        ------
        ValueError
            For a path ending in ".h5" or ".hdf5" (Keras's legacy format).
        FileExistsError
            If the file exists and `overwrite` is False.
        ImportError
            For a ".keras" path without h5py (``pip install "fastmlp[keras]"``).

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> model.save("model.fmlp")
        >>> fm.load_model("model.fmlp").count_params()
        8
        """
        from ..saving import save_model

        with self._lock:
            save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the weights (and optimizer state) to `filepath`, in Keras 3's
        ".weights.h5" format (Keras's `load_weights` reads it), atomically.

        Parameters
        ----------
        filepath : str or os.PathLike
            The file to write; its name must end in ".weights.h5".
        overwrite : bool, default True
            Replace an existing file; False raises FileExistsError instead.

        Raises
        ------
        ValueError
            For a name that does not end in ".weights.h5".
        FileExistsError
            If the file exists and `overwrite` is False.
        ImportError
            Without h5py (``pip install "fastmlp[keras]"``).

        Examples
        --------
        >>> import fastmlp as fm
        >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
        >>> model.save_weights("model.weights.h5")
        >>> model.load_weights("model.weights.h5")
        """
        from ..saving import save_weights

        with self._lock:
            save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Read weights written by `save_weights` (or by Keras 3's) into this
        model, and the optimizer state when it fits; everything is checked
        before any weight is written.

        Parameters
        ----------
        filepath : str or os.PathLike
            A ".weights.h5" file of this architecture.
        skip_mismatch : bool, default False
            Skip the layers whose weights do not fit instead of raising.
        **kwargs
            Accepted for Keras code and ignored.

        Raises
        ------
        FileNotFoundError
            If there is no file at `filepath`.
        ValueError
            For a file that is not HDF5, or weights that do not fit the model.
        RuntimeError
            Before the model has an input size, or when called from a
            callback of this model's own fit.
        ImportError
            Without h5py (``pip install "fastmlp[keras]"``).
        """
        from ..saving import load_weights

        with self._lock:
            self._refuse_in_own_fit("load_weights()")
            load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath: Any, format: str = "tf_saved_model", verbose: Optional[bool] = None,
               input_signature: Any = None, **kwargs: Any) -> None:
        """Write the model for inference in another runtime: Keras 3's
        method, with ``format="onnx"`` the one fastmlp writes (the graph of
        `fastmlp.onnx.to_onnx`, written atomically).

        Parameters
        ----------
        filepath : str or os.PathLike
            The file to write.
        format : str, default "tf_saved_model"
            Must be ``"onnx"``; Keras's default is refused with a ValueError
            saying so.
        verbose : bool, optional
            Print "Saved artifact at ..." (default True, as Keras).
        input_signature : None
            Only None: the graph takes the model's input shape, with a
            symbolic batch dimension.
        **kwargs
            ``opset_version=`` (int, 17 by default), as Keras; no other.

        Raises
        ------
        ValueError
            For another format, an input signature, or what
            `fastmlp.onnx.to_onnx` refuses.
        TypeError
            For another keyword argument, or a filepath that is not a path.
        RuntimeError
            Before the model has an input size.
        ImportError
            Without the onnx package (``pip install "fastmlp[onnx]"``).
        """
        from ..onnx.export import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def __getstate__(self):
        from ..saving import model_state

        with self._lock:
            config, arrays = model_state(self)
        return {"config": json.dumps(config), "arrays": arrays}

    def __setstate__(self, state):
        from ..saving import restore

        restored = restore(json.loads(state["config"]), state["arrays"], "pickled model")
        self.__dict__.update(restored.__dict__)
        del self.__dict__["_lock"]
        lock_of(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
