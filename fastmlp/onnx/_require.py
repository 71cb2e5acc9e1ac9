"""The optional `onnx` package, imported on first use: `import fastmlp` never
imports it, and without it the ONNX functions raise ImportError naming the
extra that installs it."""
from __future__ import annotations

from typing import Any

__all__ = ["require_onnx", "EXTRA_HINT"]

EXTRA_HINT = 'pip install "fastmlp[onnx]"'


def require_onnx() -> Any:
    """The `onnx` module, imported on first use.

    Its ``helper`` and ``numpy_helper`` submodules are imported too, for the
    callers that use them.

    Returns
    -------
    module
        The ``onnx`` package.

    Raises
    ------
    ImportError
        If onnx is not installed; the message names fastmlp's ``onnx`` extra.
    """
    try:
        import onnx
        from onnx import helper, numpy_helper  # noqa: F401  (submodules used by callers)
    except ImportError as exc:
        raise ImportError(f"fastmlp's ONNX export and import need the onnx package: "
                          f"{EXTRA_HINT}") from exc
    return onnx
