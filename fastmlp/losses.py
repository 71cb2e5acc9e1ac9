"""Losses with Keras 3's names, classes and definitions, computed by the
engine (csrc/loss.inc). A batch's loss is the rows' losses (times their
sample weights) summed and divided by the batch's rows, as Keras's
"sum_over_batch_size"; regularization penalties are added to it.

Each class is also callable on arrays, `loss(y_true, y_pred)`, computed in
numpy with the same definition (for inspection and tests).

Examples
--------
>>> import fastmlp as fm
>>> fm.losses.get("mae").name
'mae'
>>> fm.losses.SparseCategoricalCrossentropy(from_logits=True).from_logits
True
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _engine
from ._validation import check_bool, check_float, describe

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "Huber", "LogCosh", "Poisson", "KLDivergence",
           "Hinge", "SquaredHinge", "get", "serialize", "deserialize",
           "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "huber", "log_cosh", "poisson", "kl_divergence",
           "hinge", "squared_hinge"]

CODES = _engine.LOSSES
# scikit-learn's MLP losses, for the estimators (compile() does not offer them):
# ½·Σ_outputs (y − t)², binary log-loss summed over the outputs, half Poisson deviance
HALF_SQUARED_SUM = CODES["half_squared_sum"]
BCE_SUM = CODES["binary_crossentropy_sum"]
HALF_POISSON = CODES["half_poisson"]

_EPS = 1e-7
_REDUCTIONS = ("sum_over_batch_size", "mean")


class Loss:
    """Base of the losses: a name, the engine's code and options.

    The engine computes the loss of every training batch in compiled code; an
    instance called on arrays, ``loss(y_true, y_pred, sample_weight=None)``,
    computes the same value in numpy (for inspection and tests). Unlike
    Keras, custom losses (subclasses with a ``call``) are not supported: the
    engine knows the losses of this module only.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        Only Keras's default reduction (the same as "mean") is supported.
    name : str, optional
        The name in configs and logs.
    dtype : optional
        Ignored (the model's dtype decides).

    Raises
    ------
    ValueError
        For another reduction.
    TypeError
        If `name` is not a string.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.losses.MeanSquaredError().name
    'mean_squared_error'
    """

    code: int = CODES["mse"]
    default_name = "loss"
    sparse = False          # integer labels rather than values
    from_logits = False
    loss_param = 0.0
    batch_dependent = False  # a row's loss depends on the other rows of its batch

    def __init__(self, reduction: str = "sum_over_batch_size", name: Optional[str] = None,
                 dtype: Any = None) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'sum_over_batch_size' (Keras's default) or "
                             f"'mean' in fastmlp; got {reduction!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {describe(name)}")
        self.reduction = reduction
        self.name = name or self.default_name

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            JSON-able; ``type(loss).from_config(config)`` rebuilds the loss.
        """
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        """The loss `config` describes (what `get_config` returned).

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor.

        Returns
        -------
        Loss
            A new instance.
        """
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------ numpy reference

    def per_sample(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Each row's loss, in numpy (float64), by this loss's definition.

        Parameters
        ----------
        y_true : ndarray
            Targets, (rows, outputs) (integer labels (rows,) for the sparse
            loss).
        y_pred : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray
            The (rows,) losses.
        """
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        """The batch loss of arrays, in numpy: Σ w·l / rows.

        Parameters
        ----------
        y_true : array_like
            Targets: (rows,) or (rows, outputs); integer labels for the sparse
            loss.
        y_pred : array_like
            The model's outputs, (rows,) or (rows, outputs).
        sample_weight : array_like, optional
            A weight per row; default 1.

        Returns
        -------
        float
            The loss as the engine computes it for a batch (without the
            regularization penalties). Keras returns a scalar tensor.
        """
        y_pred = np.asarray(y_pred, dtype=np.float64)
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        y_true = np.asarray(y_true)
        if not self.sparse and y_true.ndim == 1:
            y_true = y_true[:, None]
        values = self.per_sample(y_true.astype(np.float64) if not self.sparse else y_true, y_pred)
        w = np.ones(len(values)) if sample_weight is None else np.asarray(sample_weight, float)
        return float((values * w).sum() / len(values))


def _mean_rows(fn):
    return lambda y, p: fn(y, p).mean(axis=-1)


class MeanSquaredError(Loss):
    """mean((y − p)², axis=-1): the mean squared error of each row, as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.MeanSquaredError()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.04
    """
    code, default_name = CODES["mse"], "mean_squared_error"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's mean squared error, mean((p − y)²), in numpy (float64).

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return ((p - y) ** 2).mean(axis=-1)


class MeanAbsoluteError(Loss):
    """mean(abs(y − p), axis=-1): the mean absolute error of each row, as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.MeanAbsoluteError()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.2
    """
    code, default_name = CODES["mae"], "mean_absolute_error"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's mean absolute error, mean(abs(p − y)), in numpy (float64).

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return np.abs(p - y).mean(axis=-1)


class MeanAbsolutePercentageError(Loss):
    """100·mean(abs((y − p) / max(abs(y), 1e-7)), axis=-1), as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.losses.MeanAbsolutePercentageError()([[2., 1.]], [[1., 1.]])
    25.0
    """
    code, default_name = CODES["mape"], "mean_absolute_percentage_error"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's mean absolute percentage error, in numpy (float64).

        100·mean(abs(p − y) / max(abs(y), 1e-7)) over the outputs.

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return 100 * (np.abs(p - y) / np.maximum(np.abs(y), _EPS)).mean(axis=-1)


class MeanSquaredLogarithmicError(Loss):
    """mean((log(max(p, ε) + 1) − log(max(y, ε) + 1))², axis=-1), ε = 1e-7, as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.MeanSquaredLogarithmicError()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.0222
    """
    code, default_name = CODES["msle"], "mean_squared_logarithmic_error"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's mean squared logarithmic error, in numpy (float64).

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return ((np.log(np.maximum(p, _EPS) + 1) - np.log(np.maximum(y, _EPS) + 1)) ** 2
                ).mean(axis=-1)


class Huber(Loss):
    """mean(½e² where abs(e) ≤ delta, else delta·abs(e) − ½delta², axis=-1), e = p − y, as Keras.

    Parameters
    ----------
    delta : float, default 1.0
        Where the loss turns from quadratic to linear (> 0).
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.Huber(delta=1.0)([[0., 1.]], [[0.2, 0.8]]), 4)
    0.02
    """
    code, default_name = CODES["huber"], "huber_loss"

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size",
                 name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(reduction, name)
        self.delta = check_float(delta, "delta", 0.0, None, low_open=True)
        self.loss_param = self.delta

    def get_config(self) -> dict:
        # (Keras 3.15 leaves delta out, so its round trip loses it; kept here)
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``name``, ``reduction`` and ``delta`` (kept here,
            though Keras 3.15 leaves ``delta`` out); ``Huber.from_config(config)`` rebuilds it.
        """
        return {**super().get_config(), "delta": self.delta}

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's Huber loss, in numpy (float64).

        Quadratic within `delta` of the target, linear beyond; averaged over
        the outputs.

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        e = np.abs(p - y)
        d = self.delta
        return np.where(e <= d, 0.5 * e ** 2, d * e - 0.5 * d * d).mean(axis=-1)


class LogCosh(Loss):
    """mean(log(cosh(p − y)), axis=-1), as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.LogCosh()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.0199
    """
    code, default_name = CODES["log_cosh"], "log_cosh"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's log(cosh(p − y)), averaged over the outputs, in numpy (float64).

        Computed stably as abs(e) + log1p(exp(−2·abs(e))) − log(2), e = p − y.

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        e = np.abs(p - y)
        return (e + np.log1p(np.exp(-2 * e)) - np.log(2)).mean(axis=-1)


class Poisson(Loss):
    """mean(p − y·log(p + 1e-7), axis=-1), as Keras: for counts and positive outputs.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.Poisson()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.6116
    """
    code, default_name = CODES["poisson"], "poisson"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's Poisson loss, mean(p − y·log(p + 1e-7)), in numpy (float64).

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return (p - y * np.log(p + _EPS)).mean(axis=-1)


class KLDivergence(Loss):
    """Kullback-Leibler divergence: Σ y·log(y / p) over the last axis, y and p clipped to [1e-7, 1], as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.KLDivergence()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.2231
    """
    code, default_name = CODES["kl_divergence"], "kl_divergence"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's Kullback-Leibler divergence, in numpy (float64).

        Σ y·log(y / p) over the outputs, y and p clipped to [1e-7, 1].

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        y, p = np.clip(y, _EPS, 1), np.clip(p, _EPS, 1)
        return (y * np.log(y / p)).sum(axis=-1)


def _hinge_labels(y):
    return 2 * y - 1 if np.isin(y, (0, 1)).all() else y


class Hinge(Loss):
    """mean(max(1 − y·p, 0), axis=-1), as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Notes
    -----
    Labels that are all 0 or 1 in a batch are taken as −1 and 1, as Keras does.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.Hinge()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.7
    """
    code, default_name = CODES["hinge"], "hinge"
    batch_dependent = True

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's hinge loss, mean(max(1 − y·p, 0)), in numpy (float64).

        Targets that are all 0 or 1 are taken as −1 and 1.

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return np.maximum(1 - _hinge_labels(y) * p, 0).mean(axis=-1)


class SquaredHinge(Loss):
    """mean(max(1 − y·p, 0)², axis=-1), as Keras.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Notes
    -----
    Labels that are all 0 or 1 in a batch are taken as −1 and 1, as Keras does.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.SquaredHinge()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.74
    """
    code, default_name = CODES["squared_hinge"], "squared_hinge"
    batch_dependent = True

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's squared hinge loss, mean(max(1 − y·p, 0)²), in numpy (float64).

        Targets that are all 0 or 1 are taken as −1 and 1.

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        return (np.maximum(1 - _hinge_labels(y) * p, 0) ** 2).mean(axis=-1)


class _Crossentropy(Loss):
    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str = "sum_over_batch_size",
                 name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(reduction, name)
        if axis not in (-1, 1):
            raise ValueError(f"axis must be -1; got {axis!r}")
        self.from_logits = check_bool(from_logits, "from_logits")
        self.label_smoothing = check_float(label_smoothing, "label_smoothing", 0.0, 1.0)
        self.loss_param = self.label_smoothing
        self.axis = -1

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's get_config gives them
        (from_config(get_config()) rebuilds an equal loss).

        Returns
        -------
        dict
            name, reduction, from_logits, label_smoothing and axis.
        """
        return {"name": self.name, "reduction": self.reduction, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class BinaryCrossentropy(_Crossentropy):
    """Binary cross-entropy per output, averaged over the outputs, as Keras.

    Probabilities are clipped to [1e-7, 1 − 1e-7].

    Parameters
    ----------
    from_logits : bool, default False
        Whether the outputs are logits (the sigmoid is then applied
        inside the loss, fused with it in the engine) rather than
        probabilities.
    label_smoothing : float in [0, 1], default 0.0
        Moves the targets towards 0.5.
    axis : int, default -1
        Only the last axis (-1, or 1 for 2-D outputs) is supported.
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.BinaryCrossentropy()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.2231
    """
    code, default_name = CODES["binary_crossentropy"], "binary_crossentropy"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's binary cross-entropy, averaged over the outputs, in numpy (float64).

        Targets are label-smoothed; outputs are logits (`from_logits`) or
        probabilities clipped to [1e-7, 1 − 1e-7].

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        y = y * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            return (np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))).mean(axis=-1)
        p = np.clip(p, _EPS, 1 - _EPS)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)


class CategoricalCrossentropy(_Crossentropy):
    """Categorical cross-entropy against one-hot (or soft) targets, as Keras.

    −Σ y·log(softmax(z)) from logits, or −Σ y·log(p) with p renormalised to sum
    1 and clipped to [1e-7, 1 − 1e-7].

    Parameters
    ----------
    from_logits : bool, default False
        Whether the outputs are logits (the softmax is then applied
        inside the loss, fused with it in the engine) rather than
        probabilities.
    label_smoothing : float in [0, 1], default 0.0
        Moves the targets towards the uniform distribution.
    axis : int, default -1
        Only the last axis (-1, or 1 for 2-D outputs) is supported.
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.CategoricalCrossentropy()([[0., 1.]], [[0.2, 0.8]]), 4)
    0.2231
    """
    code, default_name = CODES["categorical_crossentropy"], "categorical_crossentropy"

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's categorical cross-entropy, in numpy (float64).

        Targets are label-smoothed; outputs are logits (`from_logits`) or
        probabilities renormalised to sum 1 and clipped to [1e-7, 1 − 1e-7].

        Parameters
        ----------
        y : ndarray of float64
            Targets, (rows, outputs).
        p : ndarray of float64
            Outputs, (rows, outputs).

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        y = y * (1 - self.label_smoothing) + self.label_smoothing / y.shape[-1]
        if self.from_logits:
            z = p - p.max(axis=-1, keepdims=True)
            return -(y * (z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))).sum(axis=-1)
        p = np.clip(p / p.sum(axis=-1, keepdims=True), _EPS, 1 - _EPS)
        return -(y * np.log(p)).sum(axis=-1)


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy against integer labels, as Keras.

    From logits, or from probabilities renormalised and clipped as
    CategoricalCrossentropy does. The engine checks the labels at every step:
    one out of range raises ValueError.

    Parameters
    ----------
    from_logits : bool, default False
        Whether the outputs are logits (the softmax is then applied
        inside the loss, fused with it in the engine) rather than
        probabilities.
    ignore_class : None
        Only None: Keras's ignored class is refused (give those rows sample
        weight 0 instead).
    reduction : {"sum_over_batch_size", "mean"}, default "sum_over_batch_size"
        A batch's loss is its rows' losses (times their sample weights)
        summed and divided by the rows; the two names mean that. Keras's
        "sum" and "none" are refused.
    name : str, optional
        The name in configs and logs; default the class's Keras name.
    dtype : optional
        Accepted for Keras compatibility and ignored: the model's dtype
        decides the arithmetic.

    Raises
    ------
    ValueError
        For an `ignore_class`.

    Examples
    --------
    >>> import fastmlp as fm
    >>> round(fm.losses.SparseCategoricalCrossentropy()([1], [[0.2, 0.8]]), 4)
    0.2231
    """
    code, default_name = CODES["sparse_categorical_crossentropy"], "sparse_categorical_crossentropy"
    sparse = True

    def __init__(self, from_logits: bool = False, ignore_class: Optional[int] = None,
                 reduction: str = "sum_over_batch_size", name: Optional[str] = None,
                 axis: int = -1, dtype: Any = None) -> None:
        super().__init__(reduction, name)
        if ignore_class is not None:
            raise ValueError("ignore_class is not supported by fastmlp; drop those rows or give "
                             "them sample weight 0")
        self.from_logits = check_bool(from_logits, "from_logits")
        self.ignore_class = None

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``name``, ``reduction``, ``from_logits`` and
            ``ignore_class`` (always None);
            ``SparseCategoricalCrossentropy.from_config(config)`` rebuilds it.
        """
        return {"name": self.name, "reduction": self.reduction, "from_logits": self.from_logits,
                "ignore_class": None}

    def per_sample(self, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Each row's cross-entropy at its integer label, in numpy (float64).

        Parameters
        ----------
        y : ndarray
            Integer labels, (rows,) or (rows, 1).
        p : ndarray of float64
            Outputs, (rows, classes): logits, or probabilities renormalised to
            sum 1 and clipped to [1e-7, 1 − 1e-7].

        Returns
        -------
        ndarray of float64
            The (rows,) losses.
        """
        labels = np.asarray(y).reshape(-1).astype(np.int64)
        rows = np.arange(len(labels))
        if self.from_logits:
            z = p - p.max(axis=-1, keepdims=True)
            return np.log(np.exp(z).sum(axis=-1)) - z[rows, labels]
        q = np.clip(p / p.sum(axis=-1, keepdims=True), _EPS, 1 - _EPS)
        return -np.log(q[rows, labels])


_CLASSES = [MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, Huber, LogCosh, Poisson, KLDivergence, Hinge,
            SquaredHinge]
_BY_CLASS = {cls.__name__: cls for cls in _CLASSES}

# the strings compile() accepts, as Keras 3 (case-sensitive, as Keras)
_BY_NAME = {
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError, "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy, "huber": Huber,
    "log_cosh": LogCosh, "poisson": Poisson, "kl_divergence": KLDivergence,
    "kld": KLDivergence, "KLD": KLDivergence, "hinge": Hinge, "squared_hinge": SquaredHinge,
}
NAMES = list(_BY_NAME) + ["crossentropy", "ce"]


# what the functions' examples compute: (y_true, y_pred, result)
_FUNCTION_EXAMPLES = {
    "mean_squared_error": ("[[0., 1.]], [[0., 0.5]]", "array([0.125])"),
    "mean_absolute_error": ("[[0., 1.]], [[0., 0.5]]", "array([0.25])"),
    "mean_absolute_percentage_error": ("[[2., 1.]], [[1., 1.]]", "array([25.])"),
    "mean_squared_logarithmic_error": ("[[0., 1.]], [[0., 1.]]", "array([0.])"),
    "binary_crossentropy": ("[[0., 1.]], [[0.5, 0.5]]", "array([0.6931...])"),
    "categorical_crossentropy": ("[[0., 1.]], [[0.5, 0.5]]", "array([0.6931...])"),
    "sparse_categorical_crossentropy": ("[1], [[0.5, 0.5]]", "array([0.6931...])"),
    "huber": ("[[0., 1.]], [[0., 3.]]", "array([0.75])"),
    "log_cosh": ("[[0.]], [[0.]]", "array([0.])"),
    "poisson": ("[[0.], [0.]], [[1.], [2.]]", "array([1., 2.])"),
    "kl_divergence": ("[[0., 1.]], [[0.5, 0.5]]", "array([0.6931...])"),
    "hinge": ("[[1., 0.]], [[0.5, -1.]]", "array([0.25])"),
    "squared_hinge": ("[[1., 0.]], [[0.5, -1.]]", "array([0.125])"),
}


def _function(cls):
    def fn(y_true: Any, y_pred: Any) -> np.ndarray:
        """The loss per sample of y_pred against y_true (Keras's function form,
        without reduction), computed in float64."""
        loss = cls()
        y_pred = np.asarray(y_pred, dtype=np.float64)
        y_true = np.asarray(y_true)
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        if not loss.sparse and y_true.ndim == 1:
            y_true = y_true[:, None]
        return loss.per_sample(y_true if loss.sparse else y_true.astype(np.float64), y_pred)
    fn.__name__ = fn.__qualname__ = [k for k, v in _BY_NAME.items() if v is cls][0]
    arguments, result = _FUNCTION_EXAMPLES[fn.__name__]
    fn.__doc__ = f"""Each row's loss by `{cls.__name__}`'s definition, in numpy.

    As Keras's ``keras.losses.{fn.__name__}``, which returns a tensor; here a
    float64 array. The training loss of a batch is their (weighted) mean.
    Passing this function to ``compile(loss=...)`` selects `{cls.__name__}`.

    Parameters
    ----------
    y_true : array_like
        Targets, (rows,) or (rows, outputs){"; integer labels" if cls.sparse else ""}.
    y_pred : array_like
        The model's outputs, (rows,) or (rows, outputs).

    Returns
    -------
    ndarray of float64
        The (rows,) losses.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.losses.{fn.__name__}({arguments})  # doctest: +ELLIPSIS
    {result}
    """
    return fn


mean_squared_error = _function(MeanSquaredError)
mean_absolute_error = _function(MeanAbsoluteError)
mean_absolute_percentage_error = _function(MeanAbsolutePercentageError)
mean_squared_logarithmic_error = _function(MeanSquaredLogarithmicError)
binary_crossentropy = _function(BinaryCrossentropy)
categorical_crossentropy = _function(CategoricalCrossentropy)
sparse_categorical_crossentropy = _function(SparseCategoricalCrossentropy)
huber = _function(Huber)
log_cosh = _function(LogCosh)
poisson = _function(Poisson)
kl_divergence = _function(KLDivergence)
hinge = _function(Hinge)
squared_hinge = _function(SquaredHinge)
_BY_FUNCTION = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
                mean_absolute_percentage_error: MeanAbsolutePercentageError,
                mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
                binary_crossentropy: BinaryCrossentropy,
                categorical_crossentropy: CategoricalCrossentropy,
                sparse_categorical_crossentropy: SparseCategoricalCrossentropy, huber: Huber,
                log_cosh: LogCosh, poisson: Poisson, kl_divergence: KLDivergence, hinge: Hinge,
                squared_hinge: SquaredHinge}


class _ByShape(Loss):
    """"crossentropy" / "ce": binary, sparse or categorical by the shapes of
    the targets and outputs (resolved when fit sees them)."""


def get(identifier: Any) -> Loss:
    """A Loss from a name (Keras's strings), a class, one of this module's
    functions, a config dict or an instance, as ``keras.losses.get``.

    The name keeps what the user wrote ("mae" logs as "loss", and the object
    is named "mae").

    Parameters
    ----------
    identifier : str, type, callable, dict or Loss
        ``"mse"``, ``"mean_squared_error"``, ``"MeanSquaredError"``, ...;
        ``"crossentropy"`` (or ``"ce"``) picks binary, sparse or categorical
        cross-entropy from the targets' shape at fit; a Loss class, one of
        this module's functions, a `serialize` dict, or a Loss (returned as
        it is).

    Returns
    -------
    Loss
        The loss.

    Raises
    ------
    ValueError
        For None or an unknown name (the message lists the valid ones), or a
        function fastmlp cannot compute in its engine.
    TypeError
        For anything else.

    Examples
    --------
    >>> import fastmlp as fm
    >>> type(fm.losses.get("mse")).__name__
    'MeanSquaredError'
    """
    if identifier is None:
        raise ValueError(f"compile() needs a loss; valid values are {', '.join(map(repr, NAMES))} "
                         f"or an object such as fm.losses.MeanSquaredError()")
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss) and identifier is not Loss:
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        if identifier in _BY_FUNCTION:
            return _BY_FUNCTION[identifier]()
        raise ValueError(f"loss {getattr(identifier, '__name__', identifier)!r} is a function "
                         f"fastmlp cannot compute in its compiled engine; use one of "
                         f"{', '.join(map(repr, NAMES))}")
    if isinstance(identifier, str):
        if identifier in ("crossentropy", "ce"):
            return _ByShape(name=identifier)
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}; valid values are "
                             f"{', '.join(map(repr, NAMES))}")
        return cls(name=identifier if identifier in _BY_NAME else None)
    raise TypeError(f"loss must be a name such as 'mse' or a loss object such as "
                    f"fm.losses.MeanSquaredError(); got {describe(identifier)}")


def resolve_by_shape(loss: Loss, y_sparse: bool, n_outputs: int) -> Loss:
    """``"crossentropy"`` made concrete once the targets' shape is known.

    Parameters
    ----------
    loss : Loss
        The compiled loss; returned unchanged unless it was given as
        ``"crossentropy"`` or ``"ce"``.
    y_sparse : bool
        Whether the targets are integer labels.
    n_outputs : int
        The model's output width.

    Returns
    -------
    Loss
        BinaryCrossentropy for one output, else SparseCategoricalCrossentropy
        for integer labels or CategoricalCrossentropy, named as `loss`.
    """
    if not isinstance(loss, _ByShape):
        return loss
    if n_outputs == 1:
        return BinaryCrossentropy(name=loss.name)
    if y_sparse:
        return SparseCategoricalCrossentropy(name=loss.name)
    return CategoricalCrossentropy(name=loss.name)


def serialize(loss: Loss) -> Any:
    """A loss as a model config holds it, as ``keras.losses.serialize``.

    Parameters
    ----------
    loss : Loss
        The loss to describe.

    Returns
    -------
    str or dict
        The name for a loss given by name (with default options), else Keras's
        dict (``module``, ``class_name``, ``config``, ``registered_name``).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.losses.serialize(fm.losses.get("mse"))
    'mse'
    >>> fm.losses.serialize(fm.losses.Huber(delta=2.0))["config"]["delta"]
    2.0
    """
    if type(loss) in _BY_CLASS.values() and loss.name in _BY_NAME and \
            _BY_NAME[loss.name] is type(loss) and loss.get_config() == type(loss)(name=loss.name).get_config():
        return loss.name
    if isinstance(loss, _ByShape):
        return loss.name
    return {"module": "keras.losses", "class_name": type(loss).__name__,
            "config": loss.get_config(), "registered_name": None}


def deserialize(config: Any) -> Loss:
    """The loss `serialize` describes, as ``keras.losses.deserialize``.

    Parameters
    ----------
    config : str or dict
        A loss name or a dict with ``class_name`` and ``config``.

    Returns
    -------
    Loss
        A new loss.

    Raises
    ------
    ValueError
        For an unknown name or class, or a malformed config.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.losses.deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
    2.0
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or config.get("class_name") not in _BY_CLASS:
        raise ValueError(f"unknown loss {config!r}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"a loss's config must be a dict; got {inner!r}")
    return _BY_CLASS[config["class_name"]].from_config(inner)
