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
from typing import Any, List, Optional, Sequence

import numpy as np

from .. import _engine, _network, _random, losses, optimizers
from .. import metrics as metrics_module
from .._locks import lock_of
from .._validation import (check_bool, check_float, check_int, describe, require_bf16,
                           sample_weights, sparse_targets, targets_for)
from ..dtype_policies import MODEL_POLICIES, DTypePolicy, policy_name
from ..callbacks import CallbackList, check_callbacks, inference_bar
from ..layers import InputLayer, KerasTensor, Layer
from ..layers.base import auto_name, feature_shape

__all__ = ["Model", "unapplied_step"]

_VERBOSE_CHOICES = "0, 1, 2 or 'auto'"


def check_verbose(verbose: Any) -> int:
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
    """TypeError for missing x or y (fastmlp trains on arrays, not datasets)."""
    if x is None:
        raise TypeError("x must be an array of inputs (samples, features...); got None")
    if y is None:
        raise TypeError("y must be an array of targets (fastmlp trains on (x, y) arrays, not "
                        "datasets); got None")


def unapplied_step(stats: dict) -> Optional[str]:
    """Why a training step's update was not (wholly) applied, or None."""
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
    inputs, outputs : KerasTensor
    name : str, optional
    dtype : {"float32", "float64", "mixed_bfloat16"}, default "float32"
        The arithmetic's precision (float32 is the fast path). Keras's
        "mixed_bfloat16" rounds the operands of the Dense layers' products to
        bfloat16 and sums them in float32; weights, optimizer state,
        activations, losses and batch statistics stay float32. It needs a CPU
        with AVX512_BF16 (else CPUFeatureError, a ValueError, naming it). A DTypePolicy (fastmlp's
        or Keras's) is taken by its name.
    trainable : bool, default True

    Examples
    --------
    >>> import fastmlp as fm
    >>> inputs = fm.Input(shape=(4,))
    >>> x = fm.Dense(8, activation="relu")(inputs)
    >>> model = fm.Model(inputs, fm.Dense(1)(x))
    >>> model.output_shape
    (None, 1)
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
        """The model's layers (a Functional model's InputLayer first, as Keras)."""
        return ([self._input_layer] if self._input_layer is not None else []) + self._chain_layers()

    def _flat(self) -> list:
        return _network.flat_layers(self._chain_layers())

    @property
    def dtype(self) -> str:
        """The weights' dtype ("float32" under "mixed_bfloat16", as Keras's)."""
        return self._dtype.name

    @property
    def dtype_policy(self) -> DTypePolicy:
        """The model's dtype policy ("float32", "float64" or "mixed_bfloat16")."""
        return DTypePolicy(self._policy)

    @property
    def compute_dtype(self) -> str:
        """What the products compute in ("bfloat16" under "mixed_bfloat16")."""
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
        shape = self._sample_shape()
        if shape is None and self._n_in() is not None:
            shape = (self._n_in(),)
        return None if shape is None else (None,) + tuple(shape)

    @property
    def output_shape(self) -> Optional[tuple]:
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
        """Create the weights for inputs of `input_shape` = (None, features) or
        features (drawn from the initializers; fm.set_random_seed fixes them)."""
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
        """A layer by name or index (Keras's rule: index counts model.layers)."""
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
        """Copies of every weight in Keras's order: layer by layer, Dense kernel
        then bias, BatchNormalization gamma, beta, moving mean and variance."""
        self._require_built("get_weights()")
        self._network()
        return [w for layer in self._weight_owners() for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Replace every weight (get_weights's order); checked whole before any
        is written."""
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
    def weights(self) -> list:
        if self._n_in() is not None:
            self._network()
        return [v for layer in self._weight_owners() for v in layer.weights]

    @property
    def trainable_weights(self) -> list:
        return [v for v in self.weights if v.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        return [v for v in self.weights if not (v.trainable and self.trainable)]

    def count_params(self) -> int:
        self._require_built("count_params()")
        return int(sum(layer.count_params() for layer in self._weight_owners()))

    def _require_built(self, what: str) -> None:
        if self._n_in() is None:
            raise RuntimeError(f"{what} needs a built model: give the first layer input_shape "
                               f"(or input_dim), start with fm.Input(shape), call "
                               f"model.build((None, features)), or fit it first")

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = check_bool(value, "trainable")
        self._trainable = value
        for layer in self._flat():
            layer.trainable = value

    # a model as a layer of another model
    def weight_specs(self, n_in):
        return []

    def output_width(self, n_in):
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
        """Choose the optimizer (a name or an object), the loss (a name, a
        class or an object of fm.losses) and the metrics (names or objects of
        fm.metrics; `weighted_metrics` use the sample weights). Compiling again
        starts the optimizer's state afresh.

        run_eagerly, steps_per_execution, jit_compile and auto_scale_loss are
        accepted for Keras code and change nothing (fastmlp always runs its
        compiled engine). loss_weights is for several outputs: only None or a
        single 1.0 is accepted.
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
        return self._loss_obj

    @property
    def compiled(self) -> bool:
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
    def metrics_names(self) -> list:
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
            validation_batch_size: Optional[int] = None, validation_freq: int = 1):
        """Train for `epochs` passes over (x, y) in batches; returns a History.

        Keras 3's semantics: the batch loss is Σ weight·loss / rows plus the
        regularization penalties, the epoch loss their mean weighted by batch
        size; metrics are per-sample means over the epoch; logs are sorted by
        name; `validation_split` takes the last fraction before shuffling
        (class weights are not applied to validation data; a 3-tuple
        validation_data carries its own sample weights).

        Returns
        -------
        History

        Raises
        ------
        RuntimeError
            Before compile, or when a callback restructures the model.
        ValueError, TypeError
            For invalid arguments (the model is then left as it was).
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
            return None if a is None else np.ascontiguousarray(a[sl])
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
                cbs.on_train_batch_begin(step, {})
                if schedule:
                    engine.set_learning_rate(self.optimizer.learning_rate_at(engine.iterations))
                stats = engine.train_batch(x, values, labels, order, position, count, weights,
                                           objective)
                position += count
                loss_total += (stats["loss_sum"] / stats["divisor"] + stats["penalty"]) * count \
                    if stats["divisor"] else 0.0
                seen += count
                logs = self._batch_logs(loss_total, seen, metrics)
                problem = unapplied_step(stats)
                if problem:
                    warnings.warn(f"{problem} at epoch {epoch + 1}, batch {step + 1}: training "
                                  f"stopped", RuntimeWarning, stacklevel=3)
                    self.stop_training = True
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
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
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any):
        """The loss (with its regularization penalties), or [loss, *metrics]
        in compile order, over (x, y); dropout and noise inactive, batch
        normalization on its moving statistics.

        Returns
        -------
        float, list or dict (return_dict=True: sorted by name, as Keras)
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
        """The outputs for x, (samples, units), in the model's dtype; dropout
        and noise inactive. batch_size sets how many rows go through at once
        (and the progress bar's steps); the values do not depend on it.

        Raises
        ------
        RuntimeError
            Before the model has an input size.
        """
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
        """On a KerasTensor: this model as a layer of a Functional model. On an
        array: its outputs (numpy), with dropout, noise and batch statistics
        when training=True (which also moves the moving statistics)."""
        if isinstance(inputs, KerasTensor):
            return self._connect(inputs)
        self._infer_input(inputs)
        if training:
            self._refuse_quantized("calling it with training=True")
        net = self._network()
        x = net.inputs(inputs, "inputs", self._sample_shape())
        return net.forward_training(x) if training else net.predict(x)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """predict on one batch, without a progress bar."""
        return self.predict(x, batch_size=None, verbose=0)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False):
        """One training step on the whole of (x, y); metrics reset first (as
        Keras). Returns the loss, or [loss, *metrics] (a dict with return_dict)."""
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
                      return_dict: bool = False):
        """evaluate on one batch (metrics of its own): the loss, or [loss, *metrics]."""
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
        parameter counts, with the totals (and the optimizer's once built)."""
        from .summary import summary_text

        text = summary_text(self, line_length, positions, expand_nested, show_trainable)
        (print_fn or print)(text)

    def get_config(self) -> dict:
        from ..saving import model_config

        return model_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> "Model":
        from ..saving import model_from_config

        return model_from_config({"class_name": cls.__name__, "config": config})

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as Keras's JSON (no weights)."""
        from ..saving import model_config_entry

        return json.dumps(model_config_entry(self), **kwargs)

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Write the model (architecture, weights, compile settings, optimizer
        state). A path ending in ".keras" writes Keras 3's format (readable by
        Keras); any other path fastmlp's own zip of .npy arrays and JSON (no
        pickle inside). Either way the file is replaced atomically."""
        from ..saving import save_model

        with self._lock:
            save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Write the weights (and optimizer state) to `filepath`, which must end
        in ".weights.h5" (Keras 3's format; needs h5py)."""
        from ..saving import save_weights

        with self._lock:
            save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Read weights written by save_weights (or by Keras)."""
        from ..saving import load_weights

        with self._lock:
            self._refuse_in_own_fit("load_weights()")
            load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath: Any, format: str = "tf_saved_model", verbose: Optional[bool] = None,
               input_signature: Any = None, **kwargs: Any) -> None:
        """Write the model for inference in another runtime: Keras 3's method,
        with format="onnx" the one fastmlp writes (fastmlp.onnx.export_model;
        `opset_version=` as Keras; needs the onnx package, the `onnx` extra)."""
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
