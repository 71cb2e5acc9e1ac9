"""The internal API both dialects train through: a list of layers as one
engine network (fastmlp._engine.Network), with the layers' weights living in
its arenas, and the calls that train, evaluate and predict with it.

A layer's weights belong to the last Network built over it (`layer._owner`):
a model whose layers were taken by another model (a model used as a layer
elsewhere) notices it (`Network.current`) and builds again, carrying the
values over, so shared layers keep one set of values as in Keras.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from . import _engine, _random
from ._validation import as_matrix, check_finite, contiguous, to_array

__all__ = ["Network", "flat_layers", "run_layers", "objective", "update_metric"]

# rows per engine call in predict/evaluate when no batch_size is given (256: the
# weights stay in cache; the results do not depend on it)
DEFAULT_CHUNK = 256


def flat_layers(layers: Sequence[Any]) -> list:
    """The layers that act on the data, nested models expanded in place
    (InputLayers and models themselves dropped)."""
    from .layers import InputLayer

    out = []
    for layer in layers:
        inner = getattr(layer, "_chain_layers", None)
        if inner is not None:
            out += flat_layers(inner())
        elif not isinstance(layer, InputLayer):
            out.append(layer)
    return out


class Network:
    """`layers` (flat) fed `n_in` features, as one engine network of `dtype`
    (`policy` "mixed_bfloat16": its dense layers compute in mixed precision;
    quantized layers bring their own precision).

    With `own` (the default) the layers' weight arrays become views into the
    network's arenas, their current values carried over (new layers drawn
    from their initializers with `rng`, default fastmlp's global generator);
    without it the network works on copies (a layer or model called once on
    an array).
    """

    def __init__(self, layers: Sequence[Any], n_in: int, dtype: Any, dropout_seed: int,
                 rng: Optional[np.random.Generator] = None, own: bool = True,
                 policy: str = "float32"):
        self.dtype = np.dtype(dtype)
        self.policy = policy
        self.layers = list(layers)
        self.n_in = n_in
        specs, self.computing, widths = [], [], []
        width = n_in
        for layer in self.layers:
            spec = layer.engine_spec(width)
            if spec is not None and policy == "mixed_bfloat16" and "precision" not in spec and \
                    spec["kind"] == _engine.LAYER_KINDS["dense"]:
                spec["precision"] = _engine.PRECISIONS["mixed_bfloat16"]
            if spec is not None:
                specs.append(spec)
                self.computing.append(layer)
                widths.append(width)
            width = layer.output_width(width)
        if not specs:  # only reshaping layers: an identity
            specs.append({"kind": _engine.LAYER_KINDS["activation"], "n_in": width,
                          "n_out": width})
        self.n_out = width
        self._weighted = [layer for layer in self.computing if layer.weight_specs(1)]
        self.optimizer = None
        self.flat_input = True  # whether samples arrive flat (set by the model)
        self.engine = _engine.Network(self.dtype, specs, dropout_seed)
        rng = rng or _random.generator()
        for layer, width, named in zip(self.computing, widths, self.engine.arrays):
            current = layer._arrays if layer._width == width else {}
            for (key, shape, initializer, _), (name, view) in zip(layer.weight_specs(width), named):
                value = current.get(key)
                if value is None or value.shape != view.shape:
                    value = np.asarray(initializer.sample(shape, rng)).astype(view.dtype)
                view[...] = value
            if own:
                layer._arrays = dict(named)
                layer._owner = self
                layer._width = width
        if own:
            width = n_in
            for layer in self.layers:  # the reshaping layers are built too
                if layer._width is None:
                    layer._width = width
                width = layer.output_width(width)
        self.engine.touch()

    # ------------------------------------------------------------ ownership

    @property
    def current(self) -> bool:
        """Whether every weighted layer's arrays still live in this network.

        A layer belongs to the last Network built over it (``layer._owner``). When
        another model has since built over one of these layers this is False, and
        the caller must build a new Network (which carries the values over) before
        training or predicting with this one.

        Returns
        -------
        bool
            True if every weighted layer's ``_owner`` is this network.
        """
        return all(layer._owner is self for layer in self._weighted)

    def touch(self) -> None:
        """Tell the engine that the weights were written from outside.

        Call it after writing into the layers' weight views directly (set_weights,
        a variable's assign, moving statistics copied back): it bumps the
        engine's version, so that what the engine derived from the old values
        (folded copies of the weights) is recomputed. The values are not checked.
        """
        self.engine.touch()

    def set_trainable(self, layer: Any, trainable: bool) -> None:
        """Freeze or unfreeze one computing layer in the engine.

        Parameters
        ----------
        layer : Layer
            A layer of ``self.computing`` (one the engine computes with).
        trainable : bool
            Whether training updates its weights (a quantized layer is never
            trained, whatever this says).

        Raises
        ------
        ValueError
            If `layer` is not among ``self.computing`` (from ``list.index``).
        RuntimeError
            If the network is training (a fit in progress in any thread).
        """
        self.engine.set_trainable(self.computing.index(layer), trainable)

    def sync_trainable(self) -> None:
        """Bring the engine's trainable flags in line with the layers' ``trainable``.

        Only the layers whose flag differs are set again. The model calls it each
        time it reuses this network (``Model._network``), since
        ``layer.trainable`` may have changed since the build.

        Raises
        ------
        RuntimeError
            If a flag differs while the network is training.
        """
        for i, layer in enumerate(self.computing):
            if self.engine.specs[i]["trainable"] != layer.trainable:
                self.engine.set_trainable(i, layer.trainable)

    # ------------------------------------------------------------ weights and optimizer

    def get_weights(self) -> List[np.ndarray]:
        """Copies of the weights, layer by layer in Keras's order.

        Returns
        -------
        list of numpy.ndarray
            One independent copy per weight array of every computing layer, in the
            order ``set_weights`` takes them.
        """
        return [view.copy() for named in self.engine.arrays for _, view in named]

    @property
    def quantized(self) -> Optional[str]:
        """The quantization mode of its quantized layers, or None.

        A quantized network is for inference only.

        Returns
        -------
        str or None
            The mode reported by ``fastmlp.quantization.quantized_mode`` for the
            computing layers, or None when none is quantized.
        """
        from .quantization import quantized_mode

        return quantized_mode(self.computing)

    def set_weights(self, arrays: Sequence[np.ndarray]) -> None:
        """Write new values into the weights, in ``get_weights``'s order.

        The caller has already checked each array's shape; the values are copied
        into the live views (with the views' dtype) and the engine is touched.

        Parameters
        ----------
        arrays : sequence of numpy.ndarray
            One array per weight array of the network.

        Raises
        ------
        ValueError
            If the number of arrays differs from the network's number of weight
            arrays.
        """
        views = [view for named in self.engine.arrays for _, view in named]
        if len(views) != len(arrays):
            raise ValueError(f"the network has {len(views)} weight arrays; got {len(arrays)}")
        for view, value in zip(views, arrays):
            view[...] = value
        self.engine.touch()

    def dense_views(self) -> List[tuple]:
        """Live views of each Dense layer's weights.

        Returns
        -------
        list of tuple
            One ``(kernel, bias)`` pair per layer that has a kernel, bias None for
            a layer without one. The arrays are views into the engine's arenas, not
            copies: writing into them changes the network (then call ``touch``).
        """
        return [pair for pair in self.engine.weights if pair[0] is not None]

    def configure(self, optimizer: Any) -> None:
        """Train with `optimizer`, its state (moments, step count) starting afresh.

        Sets the engine's optimizer and gradient clipping from the optimizer
        object, binds the optimizer to the engine and keeps it as
        ``self.optimizer``.

        Parameters
        ----------
        optimizer : Optimizer
            A fastmlp optimizer (``engine_args``, ``clipping`` and ``_bind``).
        """
        self.engine.set_optimizer(*optimizer.engine_args(0))
        self.engine.set_clipping(*optimizer.clipping())
        optimizer._bind(self.engine)
        self.optimizer = optimizer

    def refresh_hyperparameters(self) -> None:
        """The optimizer's current hyper-parameters (schedules at the current step,
        clipping) into the engine; its state is kept."""
        step = self.engine.iterations
        self.engine.set_hyperparameters(*self.optimizer.engine_args(step)[1:])
        self.engine.set_clipping(*self.optimizer.clipping())

    def optimizer_state(self) -> Optional[tuple]:
        """The optimizer's state, to carry it over to another network.

        Returns
        -------
        tuple or None
            ``(slots, iterations)``: copies of the optimizer's slot arrays and the
            step count as an int; None when the engine has no optimizer yet
            (before ``configure``).
        """
        slots = self.engine.optimizer_slots()
        if slots is None:
            return None
        return [s.copy() for s in slots], int(self.engine.iterations)

    def set_optimizer_state(self, state: Optional[tuple]) -> None:
        """Restore an optimizer state taken by ``optimizer_state``.

        The slot values are copied into the engine's live slots and the step count
        is set. Call it after ``configure`` with the same kind of optimizer on a
        network of the same layout: the slots are paired in order without checks.

        Parameters
        ----------
        state : tuple or None
            ``(slots, iterations)`` as returned by ``optimizer_state``; None does
            nothing.
        """
        if state is None:
            return
        slots, iterations = state
        for live, saved in zip(self.engine.optimizer_slots(), slots):
            live[...] = saved
        self.engine.iterations = iterations

    # ------------------------------------------------------------ data

    def inputs(self, x: Any, name: str = "x", input_shape: Optional[tuple] = None) -> np.ndarray:
        """x as C-contiguous (rows, n_in) rows of the network's dtype; samples of
        several dimensions are flattened when they match `input_shape`."""
        if input_shape is not None and len(input_shape) > 1:
            arr = x if isinstance(x, np.ndarray) else to_array(x, name)
            if arr.ndim >= 2 and tuple(arr.shape[1:]) != tuple(input_shape):
                raise ValueError(f"{name} has samples of shape {tuple(arr.shape[1:])} but the "
                                 f"model expects {tuple(input_shape)}; got shape {arr.shape}")
            if arr.ndim >= 2:
                x = arr.reshape(len(arr), -1)
        return as_matrix(x, name, self.dtype, self.n_in)

    # ------------------------------------------------------------ calls

    def predict(self, x: np.ndarray, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
        """The network's outputs for `x` in inference mode.

        Parameters
        ----------
        x : numpy.ndarray
            C-contiguous ``(rows, n_in)`` array of the network's dtype (as
            ``inputs`` returns it); the engine does not convert it.
        chunk : int, optional
            Rows per engine call, clamped to ``[1, len(x)]``; the results do not
            depend on it.

        Returns
        -------
        numpy.ndarray
            A new ``(rows, n_out)`` array of the network's dtype.
        """
        out = np.empty((len(x), self.n_out), dtype=self.dtype)
        self.engine.predict(x, out, max(1, min(int(chunk), max(len(x), 1))))
        return out

    def forward_training(self, x: np.ndarray) -> np.ndarray:
        """The network's outputs for `x` in training mode (one forward pass).

        Dropout is active and batch normalization uses the batch's statistics and
        updates its moving statistics in the engine's arrays. No gradient is
        computed and no weight is updated.

        Parameters
        ----------
        x : numpy.ndarray
            C-contiguous ``(rows, n_in)`` array of the network's dtype.

        Returns
        -------
        numpy.ndarray
            A new ``(rows, n_out)`` array of the network's dtype.
        """
        out = np.empty((len(x), self.n_out), dtype=self.dtype)
        self.engine.forward_training(x, out)
        return out


def objective(loss: Any, metrics: Sequence[Any], weighted: Sequence[bool], *,
              reduction: int = _engine.MEAN_OVER_ROWS, l2: float = 0.0,
              states: Optional[Sequence[np.ndarray]] = None) -> "_engine.Objective":
    """The engine's objective for a loss object and metric objects (their
    `state` arrays, or `states` when given, accumulate)."""
    specs = []
    for i, (metric, w) in enumerate(zip(metrics, weighted)):
        kind, k, class_id, thresholds = metric.engine_spec()
        state = metric.state if states is None else states[i]
        specs.append((kind, w, k, class_id, thresholds, state,
                      getattr(metric, "from_logits", False)))
    return _engine.Objective(loss.code, specs, l2, from_logits=loss.from_logits,
                             loss_param=loss.loss_param, reduction=reduction)


def update_metric(metric: Any, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
    """metric.update_state on arrays: the engine's metric code on (y_true,
    y_pred) taken as outputs (a one-layer identity network evaluated with a
    zero-weight loss)."""
    pred = np.asarray(to_array(y_pred, "y_pred"), dtype=np.float64)
    if pred.ndim == 1:
        pred = pred[:, None]
    check_finite(pred, "y_pred")
    net = _engine.Network(np.float64, [{"kind": _engine.LAYER_KINDS["activation"],
                                        "n_in": pred.shape[1], "n_out": pred.shape[1]}], 0)
    truth = np.asarray(to_array(y_true, "y_true"))
    labels = values = None
    if metric.sparse or (truth.ndim == 1 and pred.shape[1] > 1):
        labels = contiguous(truth.reshape(-1), np.int64)
    else:
        values = contiguous(truth.reshape(len(truth), -1), np.float64)
    weights = None if sample_weight is None else contiguous(sample_weight, np.float64)
    kind, k, class_id, thresholds = metric.engine_spec()
    loss = _engine.LOSSES["sparse_categorical_crossentropy" if values is None else "mse"]
    obj = _engine.Objective(loss, [(kind, weights is not None, k, class_id, thresholds,
                                    metric.state, getattr(metric, "from_logits", False))],
                            reduction=_engine.MEAN_OVER_ROWS)
    net.evaluate(contiguous(pred), values, labels, len(pred), obj, weights)


def run_layers(layers: Sequence[Any], x: Any, training: bool = False) -> np.ndarray:
    """Layers called on an array: a Network over copies of their weights.

    Unbuilt layers are built for the input's width first (as in Keras). With
    `training`, the moving statistics the pass updated are copied back into the
    layers' own arrays and their owners are touched; no other weight changes.

    Parameters
    ----------
    layers : sequence of Layer
        The layers in order; nested models are expanded.
    x : array_like
        Inputs with a batch dimension, ``(rows, features...)``.
    training : bool, optional
        Run in training mode (dropout, batch statistics) instead of inference.

    Returns
    -------
    numpy.ndarray
        The outputs, ``(rows, n_out)``, in the dtype of the first layer holding
        weights (float32 if none does).

    Raises
    ------
    ValueError
        If `x` has no batch dimension, does not match the width the first layer
        was built for, has several sample dimensions the first layer does not
        take, or holds NaN or infinity.
    TypeError
        If `x` does not hold numbers.
    """
    from .layers.base import feature_shape

    layers = flat_layers(layers)
    arr = np.asarray(to_array(x, "inputs"))
    if arr.ndim < 2:
        raise ValueError(f"inputs must have a batch dimension (rows, features...); got shape "
                         f"{arr.shape}")
    shape = tuple(arr.shape[1:])
    first = layers[0]
    if first.built and first._width is not None and first._width != int(np.prod(shape)):
        raise ValueError(f"layer {first.name!r} was built for {first._width} features; got "
                         f"inputs of shape {arr.shape}")
    if len(shape) > 1 and not first._takes_any_shape():
        raise ValueError(f"{type(first).__name__} takes flat inputs (rows, features); got shape "
                         f"{arr.shape}: flatten them or use fm.Flatten()")
    feature_shape(shape, "inputs")
    width = int(np.prod(shape))
    for layer in layers:  # called on an array, a layer builds (as in Keras)
        if not layer.built:
            layer._materialize(width)
        width = layer.output_width(width)
    dtype = next((l._storage_dtype() for l in layers if l._arrays), np.dtype(np.float32))
    net = Network(layers, int(np.prod(shape)), dtype, _random.next_seed(), own=False)
    data = net.inputs(arr.reshape(len(arr), -1), "inputs")
    if not training:
        return net.predict(data)
    out = net.forward_training(data)
    for layer, named in zip(net.computing, net.engine.arrays):  # the moving statistics moved
        for key, view in named:
            if key.startswith("moving_"):
                layer._arrays[key][...] = view
                if layer._owner is not None:
                    layer._owner.touch()
    return out
