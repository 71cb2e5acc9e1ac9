"""Dtype policies, as Keras names them: what a model computes in and what its
weights are stored in.

- ``"float32"`` (the default) and ``"float64"``: both the same;
- ``"mixed_bfloat16"``: the products of Dense layers take their operands
  rounded to bfloat16 and sum them in float32; weights, optimizer state,
  activations, losses and batch statistics stay float32 (needs a CPU with
  AVX512_BF16);
- ``"int8_from_float32"``, ``"bfloat16_from_float32"`` (and ``..._from_mixed_bfloat16``):
  a Dense layer quantized for inference by ``Model.quantize`` (Keras's names
  for its quantized policies; bfloat16 quantization is fastmlp's own mode).

Examples
--------
>>> import fastmlp as fm
>>> policy = fm.dtype_policies.DTypePolicy("mixed_bfloat16")
>>> policy.compute_dtype, policy.variable_dtype
('bfloat16', 'float32')
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["DTypePolicy"]

MODEL_POLICIES = ("float32", "float64", "mixed_bfloat16")
QUANTIZATION_MODES = ("int8", "bfloat16")
_SOURCES = ("float32", "mixed_bfloat16")


class DTypePolicy:
    """A dtype policy (Keras's ``keras.DTypePolicy``), by name.

    Parameters
    ----------
    name : str
        ``"float32"``, ``"float64"``, ``"mixed_bfloat16"``, or a quantized
        layer's ``"<mode>_from_<source>"`` (mode ``"int8"`` or ``"bfloat16"``).

    Attributes
    ----------
    name : str
    compute_dtype : str
        What the products compute in: ``"bfloat16"`` for ``"mixed_bfloat16"``,
        the quantization mode for a quantized policy.
    variable_dtype : str
        What the (float) weights are stored in.
    quantization_mode : str or None

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.dtype_policies.DTypePolicy("int8_from_float32").quantization_mode
    'int8'
    """

    def __init__(self, name: str):
        self.name = policy_name(name, quantized=True)

    @property
    def quantization_mode(self) -> Optional[str]:
        """The quantization mode of a quantized layer's policy, else None.

        A str, ``"int8"`` or ``"bfloat16"`` (the part before ``_from_``); None
        for a float policy.
        """
        return self.name.split("_from_")[0] if "_from_" in self.name else None

    @property
    def source_name(self) -> str:
        """The policy a quantized layer was quantized from (the name itself otherwise).

        A str: the part after ``_from_``, such as ``"float32"``.
        """
        return self.name.split("_from_")[1] if "_from_" in self.name else self.name

    @property
    def variable_dtype(self) -> str:
        """What the float weights are stored in.

        A str: ``"float64"`` for a float64 (source) policy, else ``"float32"``.
        """
        return "float64" if self.source_name == "float64" else "float32"

    @property
    def compute_dtype(self) -> str:
        """What the products compute in.

        A str: the quantization mode for a quantized policy, ``"bfloat16"``
        under ``"mixed_bfloat16"``, else `variable_dtype`.
        """
        if self.quantization_mode is not None:
            return self.quantization_mode
        return "bfloat16" if self.name == "mixed_bfloat16" else self.variable_dtype

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DTypePolicy):
            return other.name == self.name
        return isinstance(other, str) and other == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


def policy_name(dtype: Any, name: str = "dtype", quantized: bool = False) -> str:
    """The policy's name for a dtype argument: None (float32), a numpy dtype or
    its name, a policy name, a DTypePolicy (fastmlp's or Keras's) or Keras's
    serialized one ({"class_name": ..., "config": {"name": ...}}); with
    `quantized`, also "<mode>_from_<source>". TypeError / ValueError otherwise."""
    if dtype is None:
        return "float32"
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    elif not isinstance(dtype, str) and hasattr(dtype, "name") and \
            type(dtype).__name__.endswith("DTypePolicy"):
        dtype = dtype.name
    allowed = list(MODEL_POLICIES)
    if quantized:
        allowed += [f"{m}_from_{s}" for m in QUANTIZATION_MODES for s in _SOURCES]
    if isinstance(dtype, str) and dtype in allowed:
        return dtype
    try:
        numpy_name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"{name} must be one of {', '.join(map(repr, allowed))}; got "
                        f"{dtype!r} ({type(dtype).__name__})") from None
    if numpy_name not in ("float32", "float64"):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got "
                         f"{numpy_name!r}")
    return numpy_name
