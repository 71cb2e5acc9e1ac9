"""Activations written as formulas: an elementwise block of ONNX nodes (the
x·Sigmoid(x) exporters write for swish, x·½·(1 + Erf(x/√2)) for GELU before
opset 20, x·Tanh(Softplus(x)) for Mish before 18, ...) evaluated in numpy on
a grid of inputs and matched against fastmlp's activations by value.

Only elementwise operators with single-number constants take part, so the
block is a function of one number and the grid determines which it is.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from .. import activations
from ._graph import OnnxGraph, node_label

__all__ = ["block_function", "match_activation", "PROBE", "ELEMENTWISE"]

PROBE = np.linspace(-6.0, 6.0, 241)
# what an activation recognised by value may be (parameter-free, in the
# engine); the parametrised ones come from single operators with attributes
CANDIDATES = ("relu", "sigmoid", "tanh", "exponential", "elu", "selu", "softplus", "softsign",
              "swish", "gelu", "hard_sigmoid", "relu6", "mish")
_RTOL, _ATOL = 1e-5, 1e-6

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return activations.sigmoid(x)


_UNARY = {
    "Identity": lambda x: x, "Neg": np.negative, "Abs": np.abs, "Exp": np.exp, "Log": np.log,
    "Sqrt": np.sqrt, "Reciprocal": lambda x: 1 / x, "Tanh": np.tanh, "Sigmoid": _sigmoid,
    "Erf": _erf, "Relu": lambda x: np.maximum(x, 0), "Softplus": activations.softplus,
    "Softsign": activations.softsign,
}
_BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
           "Pow": np.power}
_NARY = {"Min": np.minimum, "Max": np.maximum}
ELEMENTWISE = frozenset(_UNARY) | frozenset(_BINARY) | frozenset(_NARY) | {
    "Cast", "LeakyRelu", "HardSigmoid", "Clip"}


def _apply(graph: OnnxGraph, node: Any, args: list) -> np.ndarray:
    op, label = node.op_type, node_label(node, graph.position.get(id(node)))
    attrs = graph.attributes(node)
    if op in _UNARY and len(args) == 1:
        return _UNARY[op](args[0])
    if op in _BINARY and len(args) == 2:
        return _BINARY[op](args[0], args[1])
    if op in _NARY and args:
        out = args[0]
        for a in args[1:]:
            out = _NARY[op](out, a)
        return out
    if op == "Cast" and len(args) == 1 and attrs.get("to") in (1, 11):
        return args[0]
    if op == "LeakyRelu" and len(args) == 1:
        a = attrs.get("alpha", 0.01)
        return np.where(args[0] >= 0, args[0], a * args[0])
    if op == "HardSigmoid" and len(args) == 1:
        return np.clip(attrs.get("alpha", 0.2) * args[0] + attrs.get("beta", 0.5), 0, 1)
    if op == "Clip" and args:
        lo = args[1] if len(args) > 1 and args[1] is not None else -np.inf
        hi = args[2] if len(args) > 2 and args[2] is not None else np.inf
        return np.clip(args[0], lo, hi)
    raise ValueError(f"{label} is part of an elementwise formula but is not an operator "
                     f"fastmlp evaluates there")


def block_function(graph: OnnxGraph, nodes: list, source: str) -> Callable:
    """The block as a numpy function of one array (its single-number
    constants checked now)."""
    for node in nodes:
        for name in node.input:
            if name and not graph.is_data(name) and graph.constant(name).size != 1:
                raise ValueError(f"{node_label(node, graph.position.get(id(node)))} uses a "
                                 f"constant of shape {graph.constant(name).shape} inside an "
                                 f"elementwise formula; fastmlp recognises formulas with "
                                 f"single-number constants")

    def evaluate(x: np.ndarray) -> np.ndarray:
        """The chain of element-wise nodes applied to x with numpy, as ONNX
        defines each operator (the activation this block computes)."""
        values = {source: x}
        with np.errstate(all="ignore"):
            for node in nodes:
                args = []
                for name in node.input:
                    if not name:
                        args.append(None)
                    elif graph.is_data(name):
                        if name not in values:
                            raise ValueError(f"value {name!r} is used before the formula "
                                             f"computes it")
                        args.append(values[name])
                    else:
                        args.append(float(graph.constant(name).reshape(-1)[0]))
                values[node.output[0]] = np.asarray(_apply(graph, node, args), dtype=np.float64)
        return values[nodes[-1].output[0]]

    return evaluate


def match_activation(values: np.ndarray) -> Optional[str]:
    """The fastmlp activation whose values on PROBE these are, or None
    ("gelu_tanh" for the tanh form of GELU, which fastmlp cannot name)."""
    if values.shape != PROBE.shape or not np.all(np.isfinite(values)):
        return None
    for name in CANDIDATES:
        expected = getattr(activations, name)(PROBE)
        if np.allclose(values, expected, rtol=_RTOL, atol=_ATOL):
            return name
    if np.allclose(values, activations.gelu(PROBE, approximate=True), rtol=_RTOL, atol=_ATOL):
        return "gelu_tanh"
    return None
