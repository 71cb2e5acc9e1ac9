"""Quantization for inference: Model.quantize (and the estimators'), and the
weights' conversions it makes.

int8, as Keras quantizes a Dense kernel: per output column, symmetric,
``kernel = round(w * kernel_scale)`` in [-127, 127] with ``kernel_scale =
127 / (max(abs(w)) + 1e-7)``; the activations are quantized row by row as they reach
each layer (dynamic quantization, as ONNX Runtime's quantize_dynamic: uint8
with a zero point, here one step per row), the products summed exactly in
int32 and dequantized, with the bias and the activation, in the kernels'
epilogue. bfloat16: the kernel rounded to bfloat16 (to nearest, ties to
even), the activations rounded as they reach each layer, float32 sums.
Everything else (biases, batch normalization, activations, softmax) stays
float32.

Examples
--------
>>> import numpy as np, fastmlp as fm
>>> q, scale = fm.quantization.quantize_kernel_int8(np.array([[0.5, -1.0], [0.25, 2.0]]))
>>> q.tolist()
[[127, -64], [63, 127]]
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional, Tuple

import numpy as np

from ._validation import describe, require_bf16

__all__ = ["quantize_kernel_int8", "round_to_bfloat16"]

MODES = ("int8", "bfloat16")
_KERAS_EPSILON = np.float32(1e-7)


def quantize_kernel_int8(kernel: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Keras's int8 quantization of a (inputs, units) kernel, per output column.

    Parameters
    ----------
    kernel : array-like, shape (inputs, units)

    Returns
    -------
    kernel_int8 : ndarray of int8, shape (inputs, units)
        round(kernel·kernel_scale), in [-127, 127].
    kernel_scale : ndarray of float32, shape (units,)
        ``127 / (max(abs(column)) + 1e-7)`` for each column.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmlp.quantization import quantize_kernel_int8
    >>> q, scale = quantize_kernel_int8(np.array([[1.0, 0.1], [-0.5, 0.2]]))
    >>> q.tolist(), scale.round(1).tolist()
    ([[127, 63], [-63, 127]], [127.0, 635.0])
    """
    w = np.asarray(kernel, dtype=np.float32)
    scale = (np.float32(127) / (np.max(np.abs(w), axis=0) + _KERAS_EPSILON)).astype(np.float32)
    q = np.clip(np.rint(w * scale), -127, 127).astype(np.int8)
    return q, scale


def round_to_bfloat16(values: Any) -> np.ndarray:
    """Float32 values rounded to bfloat16 (to nearest, ties to even, NaNs kept
    quiet), returned as float32 (the low 16 bits zero).

    Parameters
    ----------
    values : array-like

    Returns
    -------
    ndarray of float32

    Examples
    --------
    >>> import numpy as np
    >>> from fastmlp.quantization import round_to_bfloat16
    >>> round_to_bfloat16(np.array([1.00390625, 1.01171875, 3.14159265])).tolist()
    [1.0, 1.015625, 3.140625]
    """
    x = np.ascontiguousarray(values, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    nan = (bits & 0x7FFFFFFF) > 0x7F800000
    rounded = np.where(nan, ((bits >> 16) | 0x40) << 16, rounded)
    return rounded.astype(np.uint32).view(np.float32).reshape(x.shape)


def _selector(filters: Any) -> Callable[[Any], bool]:
    """Keras's `filters`: a regex (or several) on layer names, or a callable."""
    if filters is None:
        return lambda layer: True
    if callable(filters):
        return lambda layer: bool(filters(layer))
    patterns = [filters] if isinstance(filters, str) else filters
    if not isinstance(patterns, (list, tuple)) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"filters must be a regex string, a list of them or a callable; got "
                         f"{describe(filters)}")
    compiled = [re.compile(p) for p in patterns]
    return lambda layer: any(p.search(layer.name) for p in compiled)


def check_mode(mode: Any, config: Any = None, kwargs: Optional[dict] = None) -> str:
    """The quantization mode of a ``quantize()`` call, checked.

    Parameters
    ----------
    mode : str
        ``"int8"`` or ``"bfloat16"``.
    config : optional
        Keras's quantization config; only None is accepted.
    kwargs : dict, optional
        The call's other keyword arguments; only ``type_check`` is accepted.

    Returns
    -------
    str
        `mode`, unchanged.

    Raises
    ------
    TypeError
        For an unexpected keyword argument.
    ValueError
        For a `config`, or a mode fastmlp does not offer (the message names
        the ones it does).
    CPUFeatureError
        For ``"bfloat16"`` on a CPU without bfloat16 arithmetic (a
        ValueError too).
    """
    unknown = sorted(set(kwargs or {}) - {"type_check"})
    if unknown:
        raise TypeError(f"quantize() got unexpected keyword argument(s) {unknown}")
    if config is not None:
        raise ValueError("quantize(config=...) is not supported: fastmlp's int8 mode "
                         "quantizes kernels per output column (Keras's default) and "
                         "activations per row with a zero point; pass mode only")
    if mode not in MODES:
        raise ValueError(f"fastmlp quantizes to 'int8' or 'bfloat16'; got mode={mode!r}")
    if mode == "bfloat16":
        require_bf16("quantize('bfloat16')")
    return mode


def quantized_arrays(layer: Any, mode: str) -> dict:
    """A float Dense layer's weights in `mode`'s form (its new ``_arrays``).

    Parameters
    ----------
    layer : Dense
        A built, unquantized Dense layer.
    mode : str
        ``"int8"`` or ``"bfloat16"``.

    Returns
    -------
    dict
        ``kernel`` (int8, with ``kernel_scale`` per output column, or rounded
        to bfloat16) and, if the layer has one, ``bias`` as float32.
    """
    kernel = layer._arrays["kernel"]
    arrays = {}
    if mode == "int8":
        arrays["kernel"], arrays["kernel_scale"] = quantize_kernel_int8(kernel)
    else:
        arrays["kernel"] = round_to_bfloat16(kernel)
    if "bias" in layer._arrays:
        arrays["bias"] = np.array(layer._arrays["bias"], dtype=np.float32)
    return arrays


def quantize_layers(layers: list, mode: str, source: str, filters: Any = None) -> int:
    """Quantize the float Dense layers among `layers` that `filters` selects
    (their weights detached from any network); returns how many."""
    from .layers import Dense

    select = _selector(filters)
    chosen = [layer for layer in layers if isinstance(layer, Dense) and select(layer)]
    for layer in chosen:
        if layer.quantization_mode is not None:
            raise ValueError(f"layer {layer.name!r} is already quantized "
                             f"(dtype policy {layer._dtype_policy!r})")
        if not layer.built:
            raise RuntimeError(f"layer {layer.name!r} has no weights yet: build the model "
                               f"before quantize()")
    for layer in chosen:
        arrays = quantized_arrays(layer, mode)
        layer._dtype_policy = f"{mode}_from_{source}"
        layer._arrays = arrays
        layer._owner = None
    return len(chosen)


def quantized_mode(layers: list) -> Optional[str]:
    """The mode of the first quantized layer among `layers`, or None.

    Parameters
    ----------
    layers : list
        Layers; those without a ``quantization_mode`` count as unquantized.

    Returns
    -------
    str or None
        ``"int8"`` or ``"bfloat16"``, or None when no layer is quantized.
    """
    return next((m for m in (getattr(layer, "quantization_mode", None) for layer in layers)
                 if m is not None), None)
