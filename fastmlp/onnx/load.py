"""An ONNX MLP as a fastmlp Sequential model: `load_onnx`.

The path from the graph's input to its output is read node by node into a
short list of steps (dense, per-feature affine, activation, batch
normalization, flatten), then turned into layers:

- Gemm, and MatMul with a constant right operand, become Dense layers; an
  Add/Sub/Mul/Div by a per-feature constant goes into the Dense layer before
  it when nothing stands between them (MatMul + Add is one Dense), else into
  the Dense layer after it, else becomes a frozen BatchNormalization (exactly
  that affine map, also in training);
- activations become the Dense layer's `activation` or activation layers;
  formulas of one value (x·Sigmoid(x), GELU with Erf, ...) are recognised by
  their values;
- BatchNormalization becomes fm.BatchNormalization (ONNX's momentum is
  Keras's), Flatten/Reshape to (batch, features) fm.Flatten, and Identity,
  Dropout and float Casts nothing;
- skl2onnx's binary classifiers end in Concat(1 − p, p): the last Dense(1,
  sigmoid) becomes Dense(2, softmax) with a zero first column, which computes
  exactly [1 − p, p].

Anything else on the path is refused with a ValueError naming the node.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional

import numpy as np

from .. import activations
from ._elementwise import ELEMENTWISE, PROBE, block_function, match_activation
from ._graph import MAX_ELEMENTS, OnnxGraph, node_label, read_model
from ._require import require_onnx

__all__ = ["load_onnx"]

_IDENTITY_OPS = ("Identity", "Dropout")
_SIMPLE = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exponential",
           "Softplus": "softplus", "Softsign": "softsign", "Mish": "mish"}
_AFFINE_OPS = ("Add", "Sub", "Mul", "Div")
_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)
# the frozen BatchNormalization that stands for a leftover affine map: with
# moving variance 1 − ε, sqrt(var + ε) is 1 (exactly, in float32 and float64)
_AFFINE_EPSILON = 1e-3
SUPPORTED = ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid",
             "Tanh", "Softmax", "Exp", "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid",
             "Clip", "Gelu", "Mish", "BatchNormalization", "Flatten", "Reshape", "Identity",
             "Dropout", "Cast")


def _attribute(value: float) -> float:
    """A float attribute (stored as float32) as the shortest decimal that
    rounds to it: LeakyRelu's alpha=0.2 reads back as 0.2."""
    return float(str(np.float32(value)))


class _Step:
    """One step of the imported chain."""

    def __init__(self, kind: str, label: str, **values: Any):
        self.kind, self.label = kind, label
        self.__dict__.update(values)


class _Reader:
    """Walks the graph from its output back to its input and reads each node
    into steps, checking widths on the way."""

    def __init__(self, graph: OnnxGraph, output: Optional[str]):
        self.g = graph
        self.input_name, self.dtype, self.dims = graph.input_signature()
        self.output = graph.pick_output(output)

    def path(self) -> list:
        """[(node, data input)] or [("block", nodes, source)] from input to output.

        ValueError when the graph has a cycle or does not lead back to the input."""
        g, items, seen, value = self.g, [], set(), self.output
        while value != self.input_name:
            if value in seen or len(items) > len(g.nodes):
                raise ValueError(f"the graph has a cycle through {value!r}")
            seen.add(value)
            node, data = g.step_back(value, self.input_name)
            label = node_label(node, g.position[id(node)])
            if node.domain not in ("", "ai.onnx"):
                raise ValueError(f"{label} is in domain {node.domain!r}; fastmlp imports "
                                 f"ai.onnx operators")
            if len(data) == 1:
                items.append(("node", node, data[0]))
                value = data[0]
            elif not data:
                raise ValueError(f"the output does not depend on the input {self.input_name!r} "
                                 f"(it is fixed at {label})")
            elif node.op_type == "Concat" and self._pair_source(node, data) is not None:
                value = self._pair_source(node, data)
                items.append(("pair", node, value))
            else:
                nodes, source = g.block(node, self.input_name, ELEMENTWISE)
                items.append(("block", nodes, source))
                value = source
        return items[::-1]

    def _pair_source(self, node: Any, data: list) -> Optional[str]:
        """p for skl2onnx's Concat([1 − p, p], axis=1), else None."""
        if len(data) != 2 or list(node.input) != data:
            return None
        axis = self.g.attributes(node).get("axis")
        first = self.g.producer.get(data[0], (None, 0))[0]
        if axis not in (1, -1) or first is None or first.op_type != "Sub" or \
                list(first.input)[1:] != [data[1]]:
            return None
        one = self.g.constant(first.input[0])
        return data[1] if one is not None and one.size == 1 and float(one.reshape(-1)[0]) == 1 \
            else None

    # ------------------------------------------------------------ nodes -> steps

    def steps(self) -> tuple:
        """(steps, sample shape) for the whole path; unknown sample sizes in a
        (batch, features) input are taken from the first step that fixes them."""
        dims = list(self.dims)
        rank = 1 + len(dims)
        width = math.prod(dims) if None not in dims else None
        input_width = width
        steps: List[_Step] = []
        for item in self.path():
            if item[0] == "block":
                nodes, source = item[1], item[2]
                label = node_label(nodes[-1], self.g.position[id(nodes[-1])])
                self._flat_only(rank, label)
                fn = block_function(self.g, nodes, source)
                steps.append(_Step("block", label, fn=fn,
                                   ops=[n.op_type for n in nodes]))
                continue
            node = item[1]
            label = node_label(node, self.g.position[id(node)])
            if item[0] == "pair":
                self._flat_only(rank, label)
                steps.append(_Step("pair", label))
                continue
            before = width
            step, rank, width = self._read(node, item[2], label, rank, width)
            if step is not None:
                steps.append(step)
            if input_width is None and before is None and width is not None:
                input_width = step.w.shape[0] if step is not None and step.kind == "dense" \
                    else width
        if rank != 2:
            raise ValueError(f"the output has rank {rank}; fastmlp's models give (batch, "
                             f"features)")
        if None in dims:
            if len(dims) != 1 or input_width is None:
                raise ValueError(f"the input {self.input_name!r} has samples of shape "
                                 f"{tuple(dims)} with sizes that neither it nor the graph fixes")
            dims = [input_width]
        return steps, dims

    def _flat_only(self, rank: int, label: str) -> None:
        if rank != 2:
            raise ValueError(f"{label} acts on samples of rank {rank - 1} before they are "
                             f"flattened; fastmlp's layers take flat samples (Flatten first)")

    def _read(self, node: Any, data: str, label: str, rank: int, width: Optional[int]) -> tuple:
        g, op = self.g, node.op_type
        attrs = g.attributes(node)
        if op in _IDENTITY_OPS:
            if op == "Dropout" and len(node.input) > 2 and node.input[2]:
                mode = g.constant(node.input[2])
                if mode is None or bool(mode.reshape(-1)[0]):
                    raise ValueError(f"{label} runs in training mode; fastmlp imports graphs "
                                     f"for inference")
            return None, rank, width
        if op == "Cast":
            if attrs.get("to") not in (1, 11):
                raise ValueError(f"{label} casts to {g._type_name(attrs.get('to', 0))}; fastmlp "
                                 f"computes in float32 or float64 throughout")
            return None, rank, width
        if op in ("Flatten", "Reshape"):
            return self._reshape(node, op, attrs, label, rank, width)
        self._flat_only(rank, label)
        if node.input[0] != data and op not in ("Add", "Mul", "Sub"):
            raise ValueError(f"{label} takes the data as input {list(node.input).index(data)}; "
                             f"fastmlp imports it as the first")
        if op in ("Gemm", "MatMul"):
            step = self._dense(node, op, attrs, label, width)
            return step, rank, step.w.shape[1]
        if op in _AFFINE_OPS:
            step = self._affine(node, op, data, label, width)
            return step, rank, width if width is not None or step.s.size == 1 else step.s.size
        if op == "BatchNormalization":
            step = self._batchnorm(node, attrs, label, width)
            return step, rank, step.mean.size
        return self._activation(node, op, attrs, label), rank, width

    def _reshape(self, node: Any, op: str, attrs: dict, label: str, rank: int,
                 width: Optional[int]) -> tuple:
        if op == "Flatten":
            if attrs.get("axis", 1) != 1:
                raise ValueError(f"{label} flattens from axis {attrs.get('axis')}; fastmlp keeps "
                                 f"the batch axis (axis=1)")
            return (_Step("flatten", label) if rank > 2 else None), 2, width
        shape = self.g.constant(node.input[1]) if len(node.input) > 1 else None
        if shape is None or shape.ndim != 1 or shape.dtype.kind != "i":
            raise ValueError(f"{label} reshapes to a shape the graph computes; fastmlp imports "
                             f"reshapes to a fixed (batch, features)")
        target = [int(d) for d in shape]
        keeps_batch = len(target) == 2 and target[0] in (0, -1) and (
            target[1] == -1 and target[0] == 0 or
            target[1] > 0 and (width is None or target[1] == width))
        if not keeps_batch or (attrs.get("allowzero", 0) and 0 in target):
            raise ValueError(f"{label} reshapes to {target}; fastmlp imports reshapes that "
                             f"flatten each sample, to (batch, features)")
        if width is None and target[1] > 0:
            width = target[1]
        return (_Step("flatten", label) if rank > 2 else None), 2, width

    def _dense(self, node: Any, op: str, attrs: dict, label: str, width: Optional[int]) -> _Step:
        g = self.g
        w = g.constant(node.input[1]) if len(node.input) > 1 else None
        if w is None or w.ndim != 2 or w.dtype.kind != "f":
            raise ValueError(f"{label} multiplies by something other than a constant matrix")
        w = w.astype(np.float64)
        bias = None
        if op == "Gemm":
            if attrs.get("transA", 0):
                raise ValueError(f"{label} has transA=1 (it would mix the rows); fastmlp "
                                 f"imports Gemm with transA=0")
            if attrs.get("transB", 0):
                w = w.T
            w = w * attrs.get("alpha", 1.0)
            if len(node.input) > 2 and node.input[2]:
                c = g.constant(node.input[2])
                if c is None:
                    raise ValueError(f"{label} adds a computed C; fastmlp imports a constant bias")
                bias = self._per_feature(c, w.shape[1], label, "its C") * attrs.get("beta", 1.0)
        if width is not None and w.shape[0] != width:
            raise ValueError(f"{label} takes {w.shape[0]} features but receives {width}")
        if w.shape[1] == 0 or w.shape[0] == 0:
            raise ValueError(f"{label} has an empty weight matrix {w.shape}")
        return _Step("dense", label, w=w, b=bias, source=np.dtype(g.constant(node.input[1]).dtype))

    def _per_feature(self, c: np.ndarray, width: Optional[int], label: str, what: str) -> np.ndarray:
        """A constant as one value per feature (a single number repeated)."""
        if c.dtype.kind not in "fi":
            raise ValueError(f"{label}: {what} is not numeric")
        c = c.astype(np.float64)
        if c.size == 1:
            return np.full(width, c.reshape(-1)[0]) if width is not None else c.reshape(1)
        if c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1) or \
                (width is not None and c.shape[-1] != width):
            raise ValueError(f"{label}: {what} has shape {c.shape}, not one value per feature "
                             f"({width} features)")
        return c.reshape(-1)

    def _affine(self, node: Any, op: str, data: str, label: str, width: Optional[int]) -> _Step:
        other = [name for name in node.input if name != data]
        if len(node.input) != 2 or len(other) != 1:
            raise ValueError(f"{label} takes {len(node.input)} inputs")
        c = self._per_feature(self.g.constant(other[0]), width, label, "its constant")
        first = node.input[0] == data
        if op == "Add":
            s, t = np.ones_like(c), c
        elif op == "Sub":
            s, t = (np.ones_like(c), -c) if first else (-np.ones_like(c), c)
        elif op == "Mul":
            s, t = c, np.zeros_like(c)
        else:
            if not first:
                raise ValueError(f"{label} divides a constant by the data, which is not an "
                                 f"affine map; fastmlp imports x / c")
            with np.errstate(divide="ignore"):
                s, t = 1 / c, np.zeros_like(c)
        if not (np.all(np.isfinite(s)) and np.all(np.isfinite(t))):
            raise ValueError(f"{label} has non-finite constants")
        return _Step("affine", label, s=s, t=t)

    def _batchnorm(self, node: Any, attrs: dict, label: str, width: Optional[int]) -> _Step:
        if attrs.get("training_mode", 0):
            raise ValueError(f"{label} runs in training mode; fastmlp imports graphs for "
                             f"inference")
        if len(node.input) != 5:
            raise ValueError(f"{label} has {len(node.input)} inputs; BatchNormalization takes 5")
        parts = [self.g.constant(name) for name in node.input[1:]]
        if any(p is None for p in parts):
            raise ValueError(f"{label} normalizes with computed statistics; fastmlp imports "
                             f"constant scale, bias, mean and variance")
        n = width if width is not None else parts[2].size
        gamma, beta, mean, var = (self._per_feature(p, n, label, what) for p, what in
                                  zip(parts, ("scale", "B", "mean", "var")))
        eps = float(attrs.get("epsilon", 1e-5))
        momentum = float(attrs.get("momentum", 0.9))
        if not (np.all(var >= 0) and eps >= 0 and 0 <= momentum <= 1):
            raise ValueError(f"{label} has a negative variance or epsilon, or a momentum "
                             f"outside [0, 1]")
        if eps == 0:  # fastmlp's epsilon is positive: the map itself, when it is one
            if not np.all(var > 0):
                raise ValueError(f"{label} has epsilon 0 and a zero variance")
            scale = gamma / np.sqrt(var)
            return _Step("affine", label, s=scale, t=beta - mean * scale)
        return _Step("bn", label, gamma=gamma, beta=beta, mean=mean, var=var, eps=eps,
                     momentum=momentum)

    def _activation(self, node: Any, op: str, attrs: dict, label: str) -> _Step:
        if op in _SIMPLE:
            return _Step("act", label, name=_SIMPLE[op], alpha=None, max_value=None)
        if op == "LeakyRelu":
            return _Step("act", label, name="leaky_relu", alpha=_attribute(attrs.get("alpha", 0.01)),
                         max_value=None)
        if op == "Elu":
            return _Step("act", label, name="elu", alpha=_attribute(attrs.get("alpha", 1.0)),
                         max_value=None)
        if op == "Selu":
            given = (attrs.get("alpha", 1.67326319217681884765625),
                     attrs.get("gamma", 1.05070102214813232421875))
            if not all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(given, _SELU)):
                raise ValueError(f"{label} has alpha={given[0]}, gamma={given[1]}; fastmlp's selu "
                                 f"has the standard constants")
            return _Step("act", label, name="selu", alpha=None, max_value=None)
        if op == "HardSigmoid":
            alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
            if not (math.isclose(alpha, 1 / 6, rel_tol=1e-6) and beta == 0.5):
                raise ValueError(f"{label} is clip({alpha}·x + {beta}, 0, 1); fastmlp's "
                                 f"hard_sigmoid is Keras 3's, clip(x/6 + 0.5, 0, 1)")
            return _Step("act", label, name="hard_sigmoid", alpha=None, max_value=None)
        if op == "Softmax":
            if attrs.get("axis", -1 if self.g.opset >= 13 else 1) not in (1, -1):
                raise ValueError(f"{label} normalizes along axis {attrs.get('axis')}; fastmlp's "
                                 f"softmax is along the features")
            return _Step("act", label, name="softmax", alpha=None, max_value=None)
        if op == "Gelu":
            if attrs.get("approximate", "none") != "none":
                raise ValueError(f"{label} is the tanh approximation of GELU, which fastmlp's "
                                 f"activations do not name (exact gelu only)")
            return _Step("act", label, name="gelu", alpha=None, max_value=None)
        if op == "Clip":
            return self._clip(node, attrs, label)
        raise ValueError(f"{label} is not supported by fastmlp's ONNX import, which reads "
                         f"chains of {', '.join(SUPPORTED)} (and activations written as "
                         f"formulas of them)")

    def _clip(self, node: Any, attrs: dict, label: str) -> _Step:
        if self.g.opset < 11:
            lo, hi = attrs.get("min", -math.inf), attrs.get("max", math.inf)
        else:
            bounds = list(node.input[1:3]) + ["", ""]
            lo = self.g.scalar(bounds[0], f"{label}'s min") if bounds[0] else -math.inf
            hi = self.g.scalar(bounds[1], f"{label}'s max") if bounds[1] else math.inf
        if lo != 0 or not hi > 0:
            raise ValueError(f"{label} clips to [{lo}, {hi}]; fastmlp imports clips to "
                             f"[0, max] (relu with max_value)")
        if hi == 6:
            return _Step("act", label, name="relu6", alpha=None, max_value=None)
        return _Step("act", label, name="relu", alpha=None,
                     max_value=None if math.isinf(hi) else float(hi))


# ---------------------------------------------------------------- steps -> layers

def _compose(steps: list) -> list:
    """Consecutive affine maps as one."""
    out = []
    for step in steps:
        if step.kind == "affine" and out and out[-1].kind == "affine":
            prev = out[-1]
            prev.s, prev.t = prev.s * step.s, prev.t * step.s + step.t
        else:
            out.append(step)
    return out


def _resolve_blocks(steps: list) -> list:
    """Formula blocks as activations: a block, with the single-number affine
    maps right after it (x·(1 + erf(x/√2)) then · ½), whose values on the
    probe are one of fastmlp's activations."""
    out, i = [], 0
    while i < len(steps):
        step = steps[i]
        if step.kind != "block":
            out.append(step)
            i += 1
            continue
        values = step.fn(PROBE.copy())
        found, used = match_activation(values), 0
        j = i + 1
        while found is None and j < len(steps) and steps[j].kind == "affine" and \
                np.all(steps[j].s == steps[j].s.reshape(-1)[0]) and \
                np.all(steps[j].t == steps[j].t.reshape(-1)[0]):
            values = values * steps[j].s.reshape(-1)[0] + steps[j].t.reshape(-1)[0]
            found, used = match_activation(values), j - i
            j += 1
        if found is None or found == "gelu_tanh":
            what = "the tanh approximation of GELU, which fastmlp's activations do not name" \
                if found == "gelu_tanh" else "a function fastmlp has no activation for"
            raise ValueError(f"the formula ending at {step.label} ({', '.join(step.ops)}) "
                             f"computes {what}")
        out.append(_Step("act", step.label, name=found, alpha=None, max_value=None))
        i += 1 + used
    return out


def _binary_pairs(steps: list) -> list:
    """Concat(1 − sigmoid(z), sigmoid(z)) after Dense(1): Dense(2, softmax)."""
    out = []
    for step in steps:
        if step.kind != "pair":
            out.append(step)
            continue
        if len(out) < 2 or out[-1].kind != "act" or out[-1].name != "sigmoid" or \
                out[-2].kind != "dense" or out[-2].w.shape[1] != 1:
            raise ValueError(f"{step.label} concatenates 1 − p and p where p is not a single "
                             f"sigmoid output of a dense layer")
        dense = out[-2]
        dense.w = np.concatenate([np.zeros_like(dense.w), dense.w], axis=1)
        b = np.zeros(1) if dense.b is None else dense.b
        dense.b = np.concatenate([np.zeros(1), b])
        out[-1].name = "softmax"
    return out


def _fold_affines(steps: list) -> list:
    """Affine maps into the Dense layer right before them, else right after."""
    out = []
    for step in steps:
        if step.kind == "affine" and out and out[-1].kind == "dense":
            dense = out[-1]
            b = np.zeros(dense.w.shape[1]) if dense.b is None else dense.b
            s, t = np.broadcast_to(step.s, b.shape), np.broadcast_to(step.t, b.shape)
            dense.w, dense.b = dense.w * s[None, :], b * s + t
            continue
        if step.kind == "dense" and out and out[-1].kind == "affine":
            affine = out.pop()
            s = np.broadcast_to(affine.s, (step.w.shape[0],))
            t = np.broadcast_to(affine.t, (step.w.shape[0],))
            b = np.zeros(step.w.shape[1]) if step.b is None else step.b
            step.b = b + t @ step.w
            step.w = s[:, None] * step.w
        out.append(step)
    return out


def _activation_layer(step: _Step) -> Any:
    from ..layers import ELU, Activation, LeakyReLU, ReLU

    if step.name == "leaky_relu" and step.alpha != 0.2:
        return LeakyReLU(negative_slope=step.alpha)
    if step.name == "elu" and step.alpha != 1.0:
        return ELU(alpha=step.alpha)
    if step.name == "relu" and step.max_value is not None:
        return ReLU(max_value=step.max_value)
    return Activation(step.name)


def _named_activation(step: _Step) -> Optional[str]:
    """The `activation=` name a Dense layer can carry for this step, or None."""
    if step.name == "leaky_relu":
        return "leaky_relu" if step.alpha == 0.2 else None
    if step.name == "elu":
        return "elu" if step.alpha == 1.0 else None
    if step.name == "relu" and step.max_value is not None:
        return None
    return step.name


def _layers(steps: list, dtype: np.dtype, width: int) -> tuple:
    """(layers, weights in get_weights order)."""
    from ..layers import BatchNormalization, Dense, Flatten

    layers, weights, i = [], [], 0
    while i < len(steps):
        step = steps[i]
        if step.kind == "flatten":
            layers.append(Flatten())
        elif step.kind == "dense":
            activation = None
            if i + 1 < len(steps) and steps[i + 1].kind == "act" and \
                    _named_activation(steps[i + 1]) is not None:
                activation = _named_activation(steps[i + 1])
                i += 1
            use_bias = step.b is not None
            layers.append(Dense(step.w.shape[1], activation=activation, use_bias=use_bias))
            weights += [step.w.astype(dtype)] + ([step.b.astype(dtype)] if use_bias else [])
            width = step.w.shape[1]
        elif step.kind == "act":
            layers.append(_activation_layer(step))
        elif step.kind == "bn":
            layers.append(BatchNormalization(momentum=step.momentum, epsilon=step.eps))
            weights += [a.astype(dtype) for a in (step.gamma, step.beta, step.mean, step.var)]
        elif step.kind == "affine":  # exactly s·x + t, also in training: frozen
            n = width
            layers.append(BatchNormalization(epsilon=_AFFINE_EPSILON, trainable=False))
            weights += [np.broadcast_to(step.s, (n,)).astype(dtype),
                        np.broadcast_to(step.t, (n,)).astype(dtype), np.zeros(n, dtype),
                        np.full(n, 1 - _AFFINE_EPSILON, dtype)]
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(step.kind)
        i += 1
    return layers, weights


def load_onnx(source: Any, output: Optional[str] = None) -> Any:
    """An ONNX MLP as a fastmlp Sequential model that predicts with fastmlp's
    engine and can be compiled and fine-tuned.

    Reads the path from the graph's one input to its output: chains of Gemm
    (or MatMul + Add), activations (Relu, LeakyRelu, Sigmoid, Tanh,
    Softmax, Elu, Selu, Softplus, Softsign, HardSigmoid as Keras 3 defines
    it, Exp, Gelu, Mish, Clip to [0, max], and activations written as
    formulas such as x·Sigmoid(x)), BatchNormalization, per-feature
    Add/Sub/Mul/Div by constants, Flatten/Reshape to (batch, features),
    Identity, Dropout and float Casts: what torch.onnx, Keras 3's export and
    skl2onnx write for MLPs. Nodes off that path (skl2onnx's ArgMax, label
    lookup and ZipMap) are left out: a classifier imports as its
    probabilities.

    Parameters
    ----------
    source : str, os.PathLike, bytes or onnx.ModelProto
        The ONNX file, its contents, or a loaded model.
    output : str, optional
        The value to import; by default the graph's one float output (the
        input of a ZipMap).

    Returns
    -------
    fm.Sequential
        float64 when the graph's input and weights are double, else float32;
        built, not compiled. BatchNormalization nodes become trainable
        BatchNormalization layers; an affine map that folds into no Dense
        layer becomes a frozen (trainable=False) one.

    Raises
    ------
    ImportError
        Without the onnx package (``pip install "fastmlp[onnx]"``).
    TypeError
        For a source that is none of the above.
    ValueError
        For a file that is not ONNX or is malformed, external data outside
        the model file's folder (or with a model not given as a path), several
        inputs or float outputs (choose with `output=`), and any node on the
        path fastmlp cannot import (the message names it).

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(3, activation="tanh")])
    >>> again = fm.models.load_onnx(fm.onnx.to_onnx(model).SerializeToString())
    >>> x = np.ones((2, 4), np.float32)
    >>> bool(np.allclose(again.predict(x, verbose=0), model.predict(x, verbose=0)))
    True
    """
    from ..layers import Input
    from ..models import Sequential

    require_onnx()
    graph = OnnxGraph(*read_model(source))
    reader = _Reader(graph, output)
    steps, dims = reader.steps()
    dense = [s for s in steps if s.kind == "dense"]
    dtype = np.dtype(np.float64) if reader.dtype == np.float64 and \
        all(s.source == np.float64 for s in dense) else np.dtype(np.float32)
    n_in = math.prod(dims)
    if n_in > MAX_ELEMENTS:
        raise ValueError(f"the input declares {n_in:,} features")
    steps = _binary_pairs(_fold_affines(_resolve_blocks(_compose(steps))))
    layers, weights = _layers(steps, dtype, n_in)
    model = Sequential([Input(tuple(dims))] + layers, dtype=dtype.name)
    if weights:
        model.set_weights(weights)
    return model
