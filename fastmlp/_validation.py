"""Every boundary check of fastmlp, in one place.

Each check raises TypeError (wrong kind of value) or ValueError (right kind,
wrong value) with a message naming the argument, what was expected and what
was given. Checks never modify their input.
"""
import numbers
import operator

import numpy as np

from . import _engine

__all__ = ["FLOAT_DTYPES", "plain", "describe", "contiguous", "check_int", "check_float",
           "check_bool", "check_choice", "check_dtype", "to_array", "check_finite", "cast",
           "as_matrix", "as_targets", "targets_for", "sparse_targets", "sample_weights"]

FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


def plain(value):
    """A numpy scalar as the Python number it holds, for error messages.

    Parameters
    ----------
    value : object
        Any value; only numpy scalars (``numpy.generic``) are converted.

    Returns
    -------
    object
        ``value.item()`` for a numpy scalar (so messages show 7, not
        np.int64(7)); `value` itself otherwise.
    """
    return value.item() if isinstance(value, np.generic) else value


def describe(value):
    """A short description of a value for error messages.

    Parameters
    ----------
    value : object
        The value that was given.

    Returns
    -------
    str
        For an array, its shape and dtype; otherwise its repr (cut to 60
        characters) followed by its type name in parentheses.
    """
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def check_int(value, name, minimum=None, maximum=None):
    """Check that a value is an integer within ``[minimum, maximum]``.

    Python and numpy integers are accepted; bools are not.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, for the error message.
    minimum, maximum : int, optional
        Inclusive bounds; None means unbounded.

    Returns
    -------
    int
        The value as a Python int (``operator.index``).

    Raises
    ------
    TypeError
        If `value` is not an integer or is a bool.
    ValueError
        If it is below `minimum` or above `maximum`.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {describe(value)}")
    value = operator.index(value)
    if minimum is not None and value < minimum:
        bound = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {bound}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {value}")
    return value


def check_float(value, name, low=None, high=None, low_open=False, high_open=False):
    """Check that a value is a finite real number in the interval given.

    Parameters
    ----------
    value : object
        The value to check; bools are refused.
    name : str
        The argument's name, for the error message.
    low, high : float, optional
        The interval's ends; None means unbounded on that side.
    low_open, high_open : bool, optional
        Whether `low` / `high` are excluded (default: included).

    Returns
    -------
    float
        The value as a Python float.

    Raises
    ------
    TypeError
        If `value` is not a real number or is a bool.
    ValueError
        If it is NaN, infinite or outside the interval.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {describe(value)}")
    value = float(value)
    inside = np.isfinite(value)
    if inside and low is not None:
        inside = value > low if low_open else value >= low
    if inside and high is not None:
        inside = value < high if high_open else value <= high
    if not inside:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else repr(low)
        hi = "inf" if high is None else repr(high)
        if low is None:
            left = "("
        if high is None:
            right = ")"
        raise ValueError(f"{name} must be a finite number in {left}{lo}, {hi}{right}; got {value!r}")
    return value


def check_bool(value, name):
    """Check that a value is True or False (a Python or numpy bool).

    Integers such as 0 and 1 are refused.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    bool
        The value as a Python bool.

    Raises
    ------
    TypeError
        If `value` is not a bool.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {describe(value)}")
    return bool(value)


def check_choice(value, name, choices):
    """Check that a value is a string among `choices`, ignoring case.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument's name, for the error message.
    choices : dict or sequence of str
        The accepted lower-case spellings; a dict maps each to its result.

    Returns
    -------
    object
        ``choices[value.lower()]`` for a dict, else ``value.lower()``.

    Raises
    ------
    TypeError
        If `value` is not a string.
    ValueError
        If its lower-case form is not among `choices`.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {_listing(choices)}; got {describe(value)}")
    key = value.lower()
    if key not in choices:
        raise ValueError(f"unknown {name} {value!r}; valid values are {_listing(choices)}")
    return choices[key] if isinstance(choices, dict) else key


def _listing(choices):
    return ", ".join(repr(c) for c in choices)


def check_dtype(dtype, name="dtype"):
    """Check a floating-point dtype and return it as a numpy dtype.

    Parameters
    ----------
    dtype : str, type, numpy.dtype or None
        'float32' or 'float64' (or the numpy types); None means float32.
    name : str, optional
        The argument's name, for the error message.

    Returns
    -------
    numpy.dtype
        float32 or float64.

    Raises
    ------
    TypeError
        If `dtype` is not understood by ``numpy.dtype``.
    ValueError
        If it is a dtype other than float32 or float64.
    """
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be 'float32' or 'float64'; got {describe(dtype)}") from None
    if dt.name not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be 'float32' or 'float64'; got {dt.name!r}")
    return dt


def to_array(data, name):
    """np.asarray(data), with a ValueError or TypeError naming `name` when the
    conversion fails (ragged lists; objects whose conversion raises, such as a
    tensor that requires grad)."""
    try:
        return np.asarray(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a rectangular array of numbers; could not convert "
                         f"it ({exc})") from None
    except Exception as exc:
        raise TypeError(f"{name} could not be converted to a numpy array: "
                        f"{type(exc).__name__}: {exc} (convert it first, e.g. "
                        f"tensor.detach().cpu().numpy())") from None


def _as_numeric_array(data, name):
    if isinstance(data, np.ndarray):
        arr = data
    else:
        if data is None:
            raise TypeError(f"{name} must be an array of numbers; got None")
        arr = to_array(data, name)
    if arr.dtype.kind not in "biuf":
        hint = ""
        if arr.dtype.kind in "USO" and name.split()[-1] in ("y", "y_true"):
            hint = ("; for class labels given as strings, encode them as integers first "
                    "(sklearn.preprocessing.LabelEncoder, then fm.utils.to_categorical for "
                    "one-hot targets), or use fm.MLPClassifier, which takes any labels")
        raise TypeError(f"{name} must contain numbers (bool, integer or float); "
                        f"got {describe(arr) if arr.ndim else describe(data)}{hint}")
    if isinstance(arr, np.ma.MaskedArray):
        if np.ma.count_masked(arr):
            raise ValueError(f"{name} is a masked array with {np.ma.count_masked(arr)} masked "
                             f"values; fill them first (e.g. {name}.filled(0))")
        arr = arr.data
    return arr


def _first_non_finite(arr):
    flat_index = np.flatnonzero(~np.isfinite(arr.reshape(-1)))[0]
    return np.unravel_index(flat_index, arr.shape)


_FAST_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def contiguous(arr, dtype=None):
    """`arr` as a C-contiguous, aligned array of `dtype` (a copy only if needed).

    The engine reads arrays through raw pointers, so they must be C-contiguous
    and aligned for their dtype. ``numpy.ascontiguousarray`` returns an
    unaligned array unchanged (a buffer at an odd offset, data unpickled by
    Dask), which the C core may not load; this copies it.

    Parameters
    ----------
    arr : array_like
        The values.
    dtype : numpy.dtype, optional
        The dtype to convert to; by default arr's own.

    Returns
    -------
    numpy.ndarray
        arr itself when it already qualifies, otherwise a copy.

    Examples
    --------
    >>> import numpy as np
    >>> raw = np.zeros(8 * 4 + 1, np.uint8)
    >>> odd = np.frombuffer(raw.data, np.float64, count=4, offset=1)
    >>> odd.flags.aligned, contiguous(odd).flags.aligned
    (False, True)
    """
    return np.require(arr, dtype, ("C_CONTIGUOUS", "ALIGNED"))


def check_finite(arr, name):
    """Raise ValueError if a float array holds NaN or infinity.

    Arrays that are not of a float kind, and empty arrays, pass unchecked. The
    array is never modified or copied (C-contiguous float32/float64 arrays are
    scanned by the engine).

    Parameters
    ----------
    arr : numpy.ndarray
        The array to check.
    name : str
        The argument's name, for the error message.

    Raises
    ------
    ValueError
        If `arr` holds NaN or infinity; the message gives the first index.
    """
    if arr.dtype.kind != "f" or arr.size == 0:
        return
    if arr.dtype in _FAST_FLOATS and arr.flags.c_contiguous and arr.flags.aligned:
        if _engine.all_finite(arr):
            return
    # min and max propagate NaN and reveal infinities without a temporary array
    elif np.isfinite(arr.min()) and np.isfinite(arr.max()):
        return
    where = _first_non_finite(arr)
    value = arr[where]
    position = ", ".join(str(int(i)) for i in where)
    raise ValueError(f"{name} contains {'NaN' if np.isnan(value) else 'infinity'} "
                     f"(first at index [{position}]); remove or impute it")


def cast(arr, dtype, name):
    """arr as a C-contiguous array of dtype (a copy only if needed); finite
    values too large for dtype are refused rather than turned into inf."""
    if arr.dtype == dtype and arr.flags.c_contiguous and arr.flags.aligned:
        return arr
    with np.errstate(over="ignore"):
        out = contiguous(arr, dtype)
    if out is not arr and arr.dtype.kind == "f" and arr.dtype.itemsize > out.dtype.itemsize:
        if not _engine.all_finite(out):
            where = _first_non_finite(out)
            position = ", ".join(str(int(i)) for i in where)
            raise ValueError(f"{name} contains {plain(arr[where])!r} (first at index [{position}]), "
                             f"beyond the range of {np.dtype(dtype).name}; scale the data or use "
                             f"dtype='float64'")
    return out


def cast_weight(arr, dtype, name):
    """A weight's values in its dtype: cast() for float weights; for an int8
    one (a quantized kernel), whole numbers in [-128, 127] only."""
    dtype = np.dtype(dtype)
    if dtype.kind != "i":
        return cast(arr, dtype, name)
    info = np.iinfo(dtype)
    if arr.size and (not np.array_equal(arr, np.round(arr)) or arr.min() < info.min
                     or arr.max() > info.max):
        raise ValueError(f"{name} holds {dtype.name} values: whole numbers in [{info.min}, "
                         f"{info.max}]; got values from {plain(arr.min())} to {plain(arr.max())}")
    return contiguous(arr, dtype)


class CPUFeatureError(ValueError, RuntimeError):
    """The CPU (or the instruction set forced with FASTMLP_ISA) lacks what a
    request needs (bfloat16 arithmetic without AVX512_BF16). A ValueError, as
    every refused request is; also a RuntimeError, since it depends on where
    the code runs rather than on the arguments."""


def require_bf16(what):
    """CPUFeatureError naming the missing feature, unless the path in use has
    bfloat16 kernels."""
    if not _engine.bf16_supported():
        raise CPUFeatureError(_engine.bf16_unsupported_message(what))


def as_matrix(data, name, dtype, n_features=None):
    """Samples as a C-contiguous 2-D array of `dtype`, finite and non-empty.

    Copies only when the input is not already in that form."""
    arr = _as_numeric_array(data, name)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = " (use x.reshape(-1, 1) for one feature, x.reshape(1, -1) for one sample)"
        elif arr.ndim > 2:
            hint = " (flatten the sample dimensions, e.g. x.reshape(len(x), -1))"
        raise ValueError(f"{name} must be 2-D (samples, features); got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: got shape {arr.shape}, expected at least one sample")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no features: got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features per sample but the model expects "
                         f"{n_features}; got shape {arr.shape}")
    check_finite(arr, name)
    return cast(arr, dtype, name)


def as_targets(data, name, loss, n_outputs, n_samples, dtype, x_name="x"):
    """Targets for `loss` as (y, labels): y a C-contiguous (n, n_outputs) array
    of `dtype` and labels None, or, for sparse categorical cross-entropy, y
    None and labels an int64 array of class indices."""
    arr = _as_numeric_array(data, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must hold one target per sample; got a scalar")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{x_name} and {name} have different numbers of samples: "
                         f"{n_samples} and {arr.shape[0]}")
    check_finite(arr, name)
    if loss == "sparse_categorical_crossentropy":
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"sparse_categorical_crossentropy expects integer class labels of "
                             f"shape ({n_samples},); {name} has shape {arr.shape} (for one-hot "
                             f"targets use categorical_crossentropy)")
        if arr.dtype.kind == "f" and not np.array_equal(arr, np.floor(arr)):
            bad = plain(arr[np.flatnonzero(arr != np.floor(arr))[0]])
            raise ValueError(f"{name} must hold whole-number class labels for "
                             f"sparse_categorical_crossentropy; got {bad!r}")
        lo, hi = plain(arr.min()), plain(arr.max())
        if lo < 0 or hi >= n_outputs:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} contains label {bad!r} but the output layer has {n_outputs} "
                             f"units, so labels must be in [0, {n_outputs - 1}]")
        return None, contiguous(arr, np.int64)
    if arr.ndim == 1 and n_outputs == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != n_outputs:
        hint = ""
        if loss == "categorical_crossentropy" and arr.ndim == 1:
            hint = " (for integer class labels use sparse_categorical_crossentropy)"
        raise ValueError(f"{name} must have shape ({n_samples}, {n_outputs}) to match the output "
                         f"layer's {n_outputs} units; got shape {arr.shape}{hint}")
    if loss in ("binary_crossentropy", "categorical_crossentropy"):
        lo, hi = plain(arr.min()), plain(arr.max())
        if lo < 0 or hi > 1:
            raise ValueError(f"{loss} expects targets in [0, 1]; {name} contains "
                             f"{(lo if lo < 0 else hi)!r}")
    return cast(arr, dtype, name), None


def _loss_kind(loss) -> str:
    """The name as_targets checks targets by."""
    from . import losses

    if loss.sparse:
        return "sparse_categorical_crossentropy"
    if isinstance(loss, losses.BinaryCrossentropy) and not loss.from_logits:
        return "binary_crossentropy"
    if isinstance(loss, losses.CategoricalCrossentropy) and not loss.from_logits:
        return "categorical_crossentropy"
    return "values"


def targets_for(data, name, loss, metrics, n_outputs, n_samples, dtype, x_name="x"):
    """Targets for a loss object and metric objects: (values, labels), values
    a C-contiguous (n, n_outputs) array of dtype (or None when only labels are
    needed) and labels int64 class indices (or None when none are needed)."""
    kind = _loss_kind(loss)
    values, labels = as_targets(data, name, kind, n_outputs, n_samples, dtype, x_name=x_name)
    sparse_metrics = [m.name for m in metrics if m.sparse]
    if sparse_metrics and labels is None:
        arr = _as_numeric_array(data, name)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"metric {sparse_metrics[0]!r} needs integer class labels of shape "
                             f"({n_samples},); {name} has shape {arr.shape} (for one-hot "
                             f"targets use categorical_accuracy)")
        _, labels = as_targets(arr, name, "sparse_categorical_crossentropy", n_outputs,
                               n_samples, dtype, x_name=x_name)
    return values, labels


def sparse_targets(data, name="y") -> bool:
    """Whether targets are class labels (one per sample) rather than rows of
    values: Keras's rule, by shape (rank 1, or one column)."""
    arr = _as_numeric_array(data, name)
    return arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)


def sample_weights(sample_weight, class_weight, y, n_samples, name="sample_weight"):
    """Per-row float64 weights from sample_weight or class_weight (Keras's
    conversion: one-hot targets by argmax, others rounded), or None."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if sample_weight is not None:
        w = _as_numeric_array(sample_weight, name)
        if w.ndim == 2 and w.shape[1] == 1:
            w = w[:, 0]
        if w.ndim != 1 or w.shape[0] != n_samples:
            raise ValueError(f"{name} must have one weight per sample, shape ({n_samples},); "
                             f"got shape {w.shape}")
        check_finite(w, name)
        if (w < 0).any():
            raise ValueError(f"{name} must not be negative; got {plain(w.min())!r}")
        return contiguous(w, np.float64)
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class: weight}}; got {describe(class_weight)}")
    arr = _as_numeric_array(y, "y")
    if arr.ndim > 1:
        arr = arr.argmax(axis=-1) if arr.shape[-1] != 1 else arr[:, 0]
    classes = np.round(arr).astype(np.int64)
    table = {}
    for key, value in class_weight.items():
        k = check_int(key, "class_weight key", minimum=0)
        table[k] = check_float(value, f"class_weight[{k}]", 0.0, None)
    w = np.ones(n_samples)
    for k, value in table.items():
        w[classes == k] = value
    return w
