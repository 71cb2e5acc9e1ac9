"""Checks shared by the layers and the models."""
from .._validation import cast_weight, check_finite, describe, to_array

__all__ = ["check_weight_list"]


def check_weight_list(weights, shapes, owner, dtype):
    """Arrays matching `shapes` one to one, finite in `dtype` (one dtype, or
    one per array); returns them in it."""
    dtypes = list(dtype) if isinstance(dtype, (list, tuple)) else [dtype] * len(shapes)
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights for {owner} must be a list of arrays; got {describe(weights)}")
    if len(weights) != len(shapes):
        expected = f"of shapes {', '.join(map(str, shapes))}" if shapes else \
            "(it has no weights, or is not built yet)"
        raise ValueError(f"{owner} expects {len(shapes)} weight arrays {expected}; got "
                         f"{len(weights)}")
    arrays = []
    for i, (value, shape) in enumerate(zip(weights, shapes)):
        arr = to_array(value, f"weights[{i}] for {owner}")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"weights[{i}] for {owner} must contain numbers; got dtype {arr.dtype}")
        if arr.shape != tuple(shape):
            raise ValueError(f"weights[{i}] for {owner} must have shape {tuple(shape)}; "
                             f"got {arr.shape}")
        check_finite(arr, f"weights[{i}] for {owner}")
        arrays.append(cast_weight(arr, dtypes[i], f"weights[{i}] for {owner}"))
    return arrays
