"""A Keras-dialect model (Sequential or Functional chain) as an ONNX graph.

The graph is what fastmlp's engine computes at inference: one Gemm per Dense
layer (kernel in Keras's (in, out) layout, so transB=0), its activation as
ONNX operators, Dropout and GaussianNoise left out, and each
BatchNormalization folded into the neighbouring Dense layer by the engine's
own rule (csrc/network.c, fold_target): into the Dense before it when that
one has a linear activation, else into the Dense after it; one with no Dense
to go into becomes Mul + Add. The folding repeats the engine's arithmetic in
the model's dtype, so ONNX Runtime's outputs equal fastmlp's predict to
float32 rounding.

The default opset is 17, the oldest the project accepts: every operator an
MLP needs exists there (Gemm-13, Softmax-13 along one axis, LeakyRelu-16,
Clip-13, HardSigmoid, Selu, Elu, Softplus, Softsign, Erf), and runtimes from
2022 on load it (ONNX Runtime from 1.12). GELU and
Mish become formulas there; `opset_version=20` (18 for Mish) writes the
single operators instead. The IR version is the oldest that carries the
opset.
"""
from __future__ import annotations

import math
import os
from typing import Any, Optional

import numpy as np

from .._validation import check_int, describe
from ..quantization import quantized_mode
from ._require import require_onnx

__all__ = ["to_onnx", "export_onnx", "DEFAULT_OPSET", "MIN_OPSET", "INPUT_NAME", "OUTPUT_NAME"]

DEFAULT_OPSET = 17
MIN_OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
# protobuf cannot serialize a message of 2 GiB or more
_MAX_PROTO_BYTES = (1 << 31) - (1 << 20)


def _refuse_quantized(mode: Optional[str]) -> None:
    """ValueError for a quantized model: fastmlp writes no quantized ONNX operators."""
    if mode is not None:
        raise ValueError(f"the model is quantized ({mode}) for inference, and fastmlp's ONNX "
                         f"export writes float graphs only; export the float model it was "
                         f"quantized from (ONNX Runtime's quantize_dynamic can quantize that "
                         f"file), or save the quantized model in fastmlp's own format")


def _check_opset(opset_version: Any) -> int:
    onnx = require_onnx()
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        return DEFAULT_OPSET
    return check_int(opset_version, "opset_version", minimum=MIN_OPSET, maximum=newest)


class _GraphBuilder:
    """Nodes and initializers with unique names, in one float dtype."""

    def __init__(self, dtype: np.dtype):
        self.onnx = require_onnx()
        self.dtype = dtype
        self.nodes: list = []
        self.initializers: list = []
        self._used: set = {INPUT_NAME, OUTPUT_NAME}

    def name(self, base: str) -> str:
        """A fresh tensor or node name from `base` (spaces replaced, a numeric
        suffix added when taken); it is reserved from then on."""
        base = base.replace(" ", "_") or "t"
        candidate, i = base, 1
        while candidate in self._used:
            candidate, i = f"{base}_{i}", i + 1
        self._used.add(candidate)
        return candidate

    def constant(self, base: str, value: Any) -> str:
        """Add `value` as an initializer in the graph's dtype and return its
        name."""
        name = self.name(base)
        array = np.ascontiguousarray(np.asarray(value, dtype=self.dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list, base: str, **attributes: Any) -> str:
        """Add an `op` node reading `inputs` (attributes as keywords) and return
        the name of its one output."""
        out = self.name(f"{base}/{op}")
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], name=out, **attributes))
        return out


# ---------------------------------------------------------------- the engine's plan

def _kind(layer: Any) -> str:
    from ..layers import BatchNormalization, Dense, Dropout, GaussianNoise

    if isinstance(layer, Dense):
        return "dense"
    if isinstance(layer, BatchNormalization):
        return "bn"
    if isinstance(layer, (Dropout, GaussianNoise)):
        return "identity"
    if hasattr(layer, "_activation"):
        return "activation"
    raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no ONNX form in "
                     f"fastmlp's exporter")


def _has_activity_penalty(layer: Any) -> bool:
    reg = getattr(layer, "activity_regularizer", None)
    return reg is not None and any(c != 0 for c in reg.coefficients())


def _fold_targets(kinds: list, layers: list) -> dict:
    """{batch-normalization index: dense index it folds into} (network.c's rule)."""
    def previous(i):
        """The index of the nearest layer before i that is not an identity,
        or -1."""
        return next((j for j in range(i - 1, -1, -1) if kinds[j] != "identity"), -1)

    def following(i):
        """The index of the nearest layer after i that is not an identity,
        or -1."""
        return next((j for j in range(i + 1, len(kinds)) if kinds[j] != "identity"), -1)

    targets = {}
    for i, kind in enumerate(kinds):
        if kind != "bn":
            continue
        p = previous(i)
        if p >= 0 and kinds[p] == "dense" and layers[p].activation.name == "linear" \
                and not _has_activity_penalty(layers[p]):
            targets[i] = p
            continue
        q = following(i)
        if q >= 0 and kinds[q] == "dense":
            targets[i] = q
    return targets


def _bn_affine(arrays: dict, epsilon: float, dtype: np.dtype) -> tuple:
    """(scale, shift) as the engine's fm_batchnorm_affine computes them, in dtype."""
    mean, var = arrays["moving_mean"], arrays["moving_variance"]
    gamma = arrays.get("gamma")
    beta = arrays.get("beta")
    one = np.ones_like(mean) if gamma is None else gamma
    scale = (one / np.sqrt(var + dtype.type(epsilon))).astype(dtype)
    shift = ((np.zeros_like(mean) if beta is None else beta) - mean * scale).astype(dtype)
    return scale, shift


def _folded_dense(index: int, arrays: list, layers: list, targets: dict, dtype: np.dtype) -> tuple:
    """(kernel, bias or None) of dense layer `index` with its normalizations
    folded in, as the engine's fold does (csrc/network.inc, fold)."""
    w = arrays[index]["kernel"].copy()
    b = arrays[index].get("bias")
    folds = sorted(i for i, t in targets.items() if t == index)
    if not folds:
        return w, None if b is None else b.copy()
    b = np.zeros(w.shape[1], dtype=dtype) if b is None else b.copy()
    for i in folds:
        scale, shift = _bn_affine(arrays[i], layers[i].epsilon, dtype)
        if i < index:  # before: the rows of W, the bias summed in double
            b = (b.astype(np.float64) + shift.astype(np.float64) @ w.astype(np.float64)).astype(dtype)
            w = (w * scale[:, None]).astype(dtype)
        else:  # after: the columns of W
            w = (w * scale[None, :]).astype(dtype)
            b = (b * scale + shift).astype(dtype)
    return w, b


# ---------------------------------------------------------------- activations

def _activation(g: _GraphBuilder, x: str, act: Any, base: str, opset: int) -> str:
    """Nodes computing activation `act` (an fm.activations.Activation) of x."""
    name = act.name
    if name == "linear":
        return x
    simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "exponential": "Exp",
              "softplus": "Softplus", "softsign": "Softsign"}
    if name in simple:
        return g.node(simple[name], [x], base)
    if name == "softmax":
        return g.node("Softmax", [x], base, axis=-1)
    if name == "leaky_relu":
        return g.node("LeakyRelu", [x], base, alpha=float(act.alpha))
    if name == "elu":
        return g.node("Elu", [x], base, alpha=float(act.alpha))
    if name == "selu":
        return g.node("Selu", [x], base, alpha=_SELU_ALPHA, gamma=_SELU_LAMBDA)
    if name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1)
        return g.node("HardSigmoid", [x], base, alpha=1.0 / 6.0, beta=0.5)
    if name == "relu6":
        return g.node("Clip", [x, g.constant(f"{base}/zero", 0.0), g.constant(f"{base}/six", 6.0)],
                      base)
    if name == "relu":
        return _relu(g, x, act, base)
    if name == "swish":
        return g.node("Mul", [x, g.node("Sigmoid", [x], base)], base)
    if name in ("gelu", "gelu_tanh"):
        approximate = "none" if name == "gelu" else "tanh"
        if opset >= 20:
            return g.node("Gelu", [x], base, approximate=approximate)
        if name == "gelu":  # x·½·(1 + erf(x/√2))
            inner = g.node("Erf", [g.node("Div", [x, g.constant(f"{base}/sqrt2", math.sqrt(2))],
                                          base)], base)
        else:  # x·½·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            cube = g.node("Mul", [g.node("Mul", [x, x], base), x], base)
            poly = g.node("Add", [x, g.node("Mul", [cube, g.constant(f"{base}/c", 0.044715)],
                                            base)], base)
            inner = g.node("Tanh", [g.node("Mul", [poly, g.constant(
                f"{base}/k", math.sqrt(2 / math.pi))], base)], base)
        one_plus = g.node("Add", [inner, g.constant(f"{base}/one", 1.0)], base)
        return g.node("Mul", [g.node("Mul", [x, one_plus], base),
                              g.constant(f"{base}/half", 0.5)], base)
    if name == "mish":
        if opset >= 18:
            return g.node("Mish", [x], base)
        return g.node("Mul", [x, g.node("Tanh", [g.node("Softplus", [x], base)], base)], base)
    raise ValueError(f"activation {name!r} has no ONNX form in fastmlp's exporter")


def _relu(g: _GraphBuilder, x: str, act: Any, base: str) -> str:
    """Keras's relu(negative_slope, max_value, threshold) with threshold 0."""
    if act.threshold != 0:
        raise ValueError(f"{base}: ReLU with threshold={act.threshold!r} has no ONNX form in "
                         f"fastmlp's exporter (threshold 0 only)")
    capped = math.isfinite(act.max_value)
    if act.alpha == 0:
        if not capped:
            return g.node("Relu", [x], base)
        return g.node("Clip", [x, g.constant(f"{base}/zero", 0.0),
                               g.constant(f"{base}/max", act.max_value)], base)
    y = g.node("LeakyRelu", [x], base, alpha=float(act.alpha))
    if capped:
        y = g.node("Clip", [y, "", g.constant(f"{base}/max", act.max_value)], base)
    return y


def _layer_activation(layer: Any) -> Any:
    return layer.activation if hasattr(layer, "units") else layer._activation()


# ---------------------------------------------------------------- the graph

def to_onnx(model: Any, opset_version: Optional[int] = None) -> Any:
    """The ONNX graph (an ``onnx.ModelProto``) that computes `model`'s predict.

    Parameters
    ----------
    model : fm.Sequential or fm.Model
        A built Keras-dialect model (a chain; nested models are expanded).
    opset_version : int, optional
        The ai.onnx opset, 17 (the default) up to the newest the installed
        onnx package knows. From 20 on GELU is one Gelu operator, from 18
        Mish one Mish operator; below, formulas.

    Returns
    -------
    onnx.ModelProto
        Input ``"input"`` of shape ``(batch, *sample_shape)``, output
        ``"output"`` of shape ``(batch, units)``, both of the model's dtype
        (float32 or float64), the batch dimension symbolic. The graph passes
        ``onnx.checker.check_model``.

    Raises
    ------
    ImportError
        Without the onnx package (``pip install "fastmlp[onnx]"``).
    TypeError
        For something that is not a fastmlp Keras-dialect model.
    RuntimeError
        Before the model has an input size (build it, or fit it, first).
    ValueError
        For an opset out of range, a layer or activation with no ONNX form
        (such as a ReLU with a threshold), weights of 2 GiB or more
        (protobuf's limit), or a quantized model (``Model.quantize``;
        export the float model and quantize with ONNX Runtime's tools).

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(3, activation="softmax")])
    >>> proto = fm.onnx.to_onnx(model)
    >>> [node.op_type for node in proto.graph.node]
    ['Gemm', 'Softmax']
    """
    from .. import __version__
    from ..models import Model

    if not isinstance(model, Model):
        raise TypeError(f"to_onnx exports fastmlp's Keras-dialect models (fm.Sequential, "
                        f"fm.Model); got {describe(model)} (for fm.MLPClassifier and "
                        f"fm.MLPRegressor use skl2onnx, see fm.onnx.register_skl2onnx)")
    _refuse_quantized(quantized_mode(model._flat()))
    opset = _check_opset(opset_version)
    onnx = require_onnx()
    helper = onnx.helper
    with model._lock:
        net = model._network()
        dtype = np.dtype(net.dtype)
        shape = tuple(model._sample_shape() or (net.n_in,))
        layers = list(net.computing)
        arrays = [{key: view.copy() for key, view in named} for named in net.engine.arrays]
    n_bytes = sum(a.nbytes for layer in arrays for a in layer.values())
    if n_bytes > _MAX_PROTO_BYTES:
        raise ValueError(f"the model's weights take {n_bytes:,} bytes; an ONNX file written in "
                         f"one piece (protobuf) holds less than 2 GiB")
    kinds = [_kind(layer) for layer in layers]
    targets = _fold_targets(kinds, layers)
    g = _GraphBuilder(dtype)
    x = INPUT_NAME
    if len(shape) > 1:
        x = g.node("Flatten", [x], "flatten", axis=1)
    for i, (layer, kind) in enumerate(zip(layers, kinds)):
        base = layer.name
        if kind == "identity" or (kind == "bn" and i in targets):
            continue
        if kind == "dense":
            w, b = _folded_dense(i, arrays, layers, targets, dtype)
            inputs = [x, g.constant(f"{base}/kernel", w)]
            if b is not None:
                inputs.append(g.constant(f"{base}/bias", b))
            x = g.node("Gemm", inputs, base)
            x = _activation(g, x, layer.activation, base, opset)
        elif kind == "bn":
            scale, shift = _bn_affine(arrays[i], layer.epsilon, dtype)
            x = g.node("Mul", [x, g.constant(f"{base}/scale", scale)], base)
            x = g.node("Add", [x, g.constant(f"{base}/shift", shift)], base)
        else:
            x = _activation(g, x, _layer_activation(layer), base, opset)
    if x == INPUT_NAME:
        g.nodes.append(helper.make_node("Identity", [x], [OUTPUT_NAME], name="identity"))
    else:  # the last node writes the graph's output
        last = g.nodes[-1]
        last.output[0] = OUTPUT_NAME
    elem = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes, model.name,
        [helper.make_tensor_value_info(INPUT_NAME, elem, ["batch"] + list(shape))],
        [helper.make_tensor_value_info(OUTPUT_NAME, elem, ["batch", net.n_out])],
        g.initializers)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="fastmlp",
                              producer_version=__version__,
                              ir_version=helper.find_min_ir_version_for(opsets))
    proto.doc_string = f"fastmlp {type(model).__name__} {model.name!r}, exported for inference"
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model: Any, filepath: Any, opset_version: Optional[int] = None) -> None:
    """Write `model`'s ONNX graph (see :func:`to_onnx`) to `filepath`,
    atomically (a private temporary file beside it, fsync'd, renamed over it).

    Parameters
    ----------
    model : fm.Sequential or fm.Model
    filepath : str or os.PathLike
    opset_version : int, optional
        17 by default.

    Raises
    ------
    ImportError, TypeError, RuntimeError, ValueError
        As :func:`to_onnx`; TypeError also for a filepath that is not a path.

    Examples
    --------
    >>> import os, tempfile, fastmlp as fm
    >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> fm.onnx.export_onnx(model, path)
    >>> os.path.getsize(path) > 0
    True
    """
    from .._model_file import write_atomically

    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(f"filepath must be a path (str or os.PathLike); got {describe(filepath)}")
    data = to_onnx(model, opset_version).SerializeToString()
    write_atomically(filepath, lambda f: f.write(data))


def export_model(model: Any, filepath: Any, format: Any = "tf_saved_model", verbose: Any = None,
                 input_signature: Any = None, **kwargs: Any) -> None:
    """Model.export: Keras 3's signature, the "onnx" format only.

    Writes the model with ``export_onnx`` and, unless `verbose` is false,
    prints where it was saved, as Keras does.

    Parameters
    ----------
    model : Model
        The model to export.
    filepath : str or os.PathLike
        Where to write the .onnx file (atomically).
    format : str, optional
        Must be "onnx"; Keras's default "tf_saved_model" is refused.
    verbose : bool, optional
        Print the saved path (default: True).
    input_signature : None
        Not supported; must be None.
    **kwargs
        Only ``opset_version`` (passed on to ``export_onnx``).

    Raises
    ------
    ValueError
        If `format` is not "onnx" or `input_signature` is given, and as
        :func:`export_onnx`.
    TypeError
        For any other keyword argument, and as :func:`export_onnx`.
    ImportError, RuntimeError
        As :func:`export_onnx`.
    """
    if format != "onnx":
        raise ValueError(f"fastmlp exports format='onnx' only; got format={format!r}"
                         + (" (Keras's default: pass format='onnx')"
                            if format == "tf_saved_model" else ""))
    if input_signature is not None:
        raise ValueError("input_signature is not supported by fastmlp's export: the graph takes "
                         "the model's own input shape, with a symbolic batch dimension")
    opset_version = kwargs.pop("opset_version", None)
    if kwargs:
        raise TypeError(f"export() got unexpected keyword argument"
                        f"{'s' if len(kwargs) > 1 else ''} {', '.join(map(repr, kwargs))}")
    export_onnx(model, filepath, opset_version)
    if verbose is None or verbose:
        print(f"Saved artifact at '{os.fspath(filepath)}'.")
