"""Metrics with Keras 3's names, classes and definitions. The engine adds each
batch to a metric's state (counts and sums, csrc/loss.inc); `result()` reads
it. Over an epoch a metric is the exact per-sample mean (or, for Precision,
Recall and AUC, computed from the epoch's counts), as in Keras.

Metrics passed in `metrics=` ignore sample weights; those passed in
`weighted_metrics=` use them (and log as `weighted_<name>` when a metric of
the same name is also unweighted), as Keras does.

Examples
--------
>>> import fastmlp as fm
>>> fm.metrics.get("mae").name
'mae'
>>> fm.metrics.AUC().num_thresholds
200
"""
from __future__ import annotations

import itertools
from typing import Any, List, Optional, Sequence

import numpy as np

from . import _engine
from ._validation import check_bool, check_float, check_int, describe

__all__ = ["Metric", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanAbsoluteError", "MeanSquaredError",
           "RootMeanSquaredError", "Precision", "Recall", "AUC", "get", "serialize",
           "deserialize"]

KINDS = _engine.METRICS
NONE = 0  # no metric (the estimators' objectives)
_counters = {}


def _auto_name(base: str) -> str:
    """Keras numbers later instances of an object's default name: auc, auc_1, ..."""
    count = _counters.get(base, 0)
    _counters[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


class Metric:
    """Base of the metrics: a name, a direction ("up" or "down": what
    callbacks in mode "auto" maximise or minimise), and a state the engine adds
    to. Subclasses say which engine metric they are (`engine_kind`).

    As Keras's ``keras.metrics.Metric``, with ``update_state``, ``result`` and
    ``reset_state``; unlike Keras, custom metrics (subclasses with their own
    arithmetic) are not supported: the engine computes the metrics of this
    module only.

    Parameters
    ----------
    name : str, optional
        The name in logs and configs.
    dtype : optional
        Ignored (results are float64 numbers).

    Attributes
    ----------
    state : ndarray of float64
        The counts and sums the engine adds each batch to.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.metrics.BinaryAccuracy().direction
    'up'
    """

    direction = "up"
    default_name = "metric"
    sparse = False  # needs integer labels

    def __init__(self, name: Optional[str] = None, dtype: Any = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {describe(name)}")
        self.name = name or _auto_name(self.default_name)
        self.dtype = "float32"
        self.state = np.zeros(self._state_size())

    # ------------------------------------------------------------ engine side

    def engine_kind(self) -> int:
        """The engine's code for this metric (internal; not Keras API).

        Returns
        -------
        int
            A value of ``fastmlp._engine.METRICS``.
        """
        raise NotImplementedError

    def engine_spec(self) -> tuple:
        """How the engine computes this metric (internal; not Keras API).

        Returns
        -------
        tuple
            ``(kind, k, class_id, thresholds)`` for ``fastmlp._engine.Objective``.
        """
        return (self.engine_kind(), 0, -1, None)

    def _state_size(self) -> int:
        kind, k, _, thresholds = self.engine_spec()
        return _engine.metric_size(kind, k, 0 if thresholds is None else len(thresholds))

    def new_state(self) -> np.ndarray:
        """A zeroed state of this metric's size (internal; not Keras API).

        Returns
        -------
        ndarray of float64
            Zeros, the shape of `state`.
        """
        return np.zeros(self._state_size())

    # ------------------------------------------------------------ Keras's API

    def reset_state(self) -> None:
        """Zero the state, as Keras does at the start of each epoch.

        Clears the counts `update_state` added, in place: `result` is then 0.0
        until new batches are added.
        """
        self.state[...] = 0

    def result(self, state: Optional[np.ndarray] = None) -> Any:
        """The metric's value over what was added since the last reset.

        Parameters
        ----------
        state : ndarray, optional
            Another state of this metric to read (fastmlp's addition);
            default the metric's own.

        Returns
        -------
        float or list of float
            The value (a list for Precision and Recall with several
            thresholds). Keras returns a tensor.
        """
        s = self.state if state is None else state
        return float(s[0] / s[1]) if s[1] else 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add a batch of targets and outputs, computed by the engine's metric code.

        Parameters
        ----------
        y_true : array_like
            Targets, (rows, outputs), or integer labels (rows,).
        y_pred : array_like
            Outputs, (rows, outputs) or (rows,).
        sample_weight : array_like, optional
            A weight per row; default 1.
        """
        from ._network import update_metric

        update_metric(self, y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            JSON-able; ``type(metric).from_config(config)`` rebuilds it.
        """
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        """The metric `config` describes (what `get_config` returned).

        Parameters
        ----------
        config : dict
            Keyword arguments of the constructor.

        Returns
        -------
        Metric
            A new metric with a zero state.
        """
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class BinaryAccuracy(Metric):
    """The share of outputs where (prediction > threshold) equals the target, as Keras.

    Parameters
    ----------
    threshold : float in [0, 1], default 0.5
        Outputs above it count as 1.
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [0]], [[0.8], [0.6]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "binary_accuracy"

    def __init__(self, name: Optional[str] = None, dtype: Any = None,
                 threshold: float = 0.5) -> None:
        self.threshold = check_float(threshold, "threshold", 0.0, 1.0)
        super().__init__(name, dtype)

    def engine_spec(self) -> tuple:
        """How the engine computes binary accuracy (internal; not Keras API).

        Returns
        -------
        tuple
            ``(kind, 0, -1, thresholds)``, thresholds a one-element array
            holding `threshold`.
        """
        return (KINDS["binary_accuracy"], 0, -1, np.array([self.threshold]))

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``name``, ``dtype`` and ``threshold``;
            ``BinaryAccuracy.from_config(config)`` rebuilds it.
        """
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(Metric):
    """The share of rows whose largest output is the one-hot target's, as Keras.

    Parameters
    ----------
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "categorical_accuracy"

    def engine_kind(self) -> int:
        """The engine's code for categorical accuracy (internal; not Keras API).

        Returns
        -------
        int
            ``fastmlp._engine.METRICS["categorical_accuracy"]``.
        """
        return KINDS["categorical_accuracy"]


class SparseCategoricalAccuracy(Metric):
    """The share of rows whose largest output is at the integer label, as Keras.

    Parameters
    ----------
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([1, 0], [[0.3, 0.7], [0.4, 0.6]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "sparse_categorical_accuracy"
    sparse = True

    def engine_kind(self) -> int:
        """The engine's code for sparse categorical accuracy (internal; not Keras API).

        Returns
        -------
        int
            ``fastmlp._engine.METRICS["sparse_categorical_accuracy"]``.
        """
        return KINDS["sparse_categorical_accuracy"]


class TopKCategoricalAccuracy(Metric):
    """The share of rows whose one-hot target is among the k largest outputs, as Keras.

    Parameters
    ----------
    k : int, default 5
        How many of the largest outputs count; outputs tied with the k-th
        count too.
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.TopKCategoricalAccuracy(k=2)
    >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.2, 0.3, 0.5], [0.1, 0.3, 0.6]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name: Optional[str] = None, dtype: Any = None) -> None:
        self.k = check_int(k, "k", minimum=1)
        super().__init__(name, dtype)

    def engine_spec(self) -> tuple:
        """How the engine computes top-k accuracy (internal; not Keras API).

        Returns
        -------
        tuple
            ``(kind, k, -1, None)``, kind the engine's ``"top_k"`` code.
        """
        return (KINDS["top_k"], self.k, -1, None)

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``name``, ``dtype`` and ``k``;
            ``TopKCategoricalAccuracy.from_config(config)`` rebuilds it.
        """
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """The share of rows whose integer label is among the k largest outputs, as Keras.

    Parameters
    ----------
    k : int, default 5
        How many of the largest outputs count; outputs tied with the k-th
        count too.
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.SparseTopKCategoricalAccuracy(k=2)
    >>> m.update_state([2, 0], [[0.2, 0.3, 0.5], [0.1, 0.3, 0.6]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "sparse_top_k_categorical_accuracy"
    sparse = True

    def engine_spec(self) -> tuple:
        """How the engine computes sparse top-k accuracy (internal; not Keras API).

        Returns
        -------
        tuple
            ``(kind, k, -1, None)``, kind the engine's ``"sparse_top_k"`` code.
        """
        return (KINDS["sparse_top_k"], self.k, -1, None)


class MeanAbsoluteError(Metric):
    """mean(abs(y − p)) per row, averaged over the rows, as Keras.

    Parameters
    ----------
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.MeanAbsoluteError()
    >>> m.update_state([[0., 1.]], [[0.2, 0.8]])
    >>> round(m.result(), 4)
    0.2
    """
    default_name = "mean_absolute_error"
    direction = "down"

    def engine_kind(self) -> int:
        """The engine's code for the mean absolute error (internal; not Keras API).

        Returns
        -------
        int
            ``fastmlp._engine.METRICS["mae"]``.
        """
        return KINDS["mae"]


class MeanSquaredError(Metric):
    """mean((y − p)²) per row, averaged over the rows, as Keras.

    Parameters
    ----------
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.MeanSquaredError()
    >>> m.update_state([[0., 1.]], [[0.2, 0.8]])
    >>> round(m.result(), 4)
    0.04
    """
    default_name = "mean_squared_error"
    direction = "down"

    def engine_kind(self) -> int:
        """The engine's code for the mean squared error (internal; not Keras API).

        Returns
        -------
        int
            ``fastmlp._engine.METRICS["mse"]``.
        """
        return KINDS["mse"]


class RootMeanSquaredError(MeanSquaredError):
    """The square root of the mean squared error over the epoch, as Keras.

    Parameters
    ----------
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.RootMeanSquaredError()
    >>> m.update_state([[0., 1.]], [[0.2, 0.8]])
    >>> round(m.result(), 4)
    0.2
    """
    default_name = "root_mean_squared_error"

    def result(self, state: Optional[np.ndarray] = None) -> float:
        """The square root of the mean squared error since the last reset.

        Parameters
        ----------
        state : ndarray, optional
            Another state of this metric to read (fastmlp's addition); default
            the metric's own.

        Returns
        -------
        float
            sqrt(MeanSquaredError's result); 0.0 before any update.
        """
        return float(np.sqrt(super().result(state)))


def _thresholds(thresholds) -> np.ndarray:
    if thresholds is None:
        return np.array([0.5])
    values = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if values.ndim != 1 or not np.all((values >= 0) & (values <= 1)):
        raise ValueError(f"thresholds must be numbers in [0, 1]; got {thresholds!r}")
    return values


class _Confusion(Metric):
    def __init__(self, thresholds: Any = None, top_k: Any = None, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        if top_k is not None:
            raise ValueError("top_k is not supported by fastmlp's Precision/Recall")
        self.thresholds = _thresholds(thresholds)
        self.class_id = None if class_id is None else check_int(class_id, "class_id", minimum=0)
        super().__init__(name, dtype)

    def engine_spec(self) -> tuple:
        """The engine's description of this metric: confusion counts at the
        thresholds, for one class or all of them.

        Returns
        -------
        tuple
            (metric kind, 0, class index or -1 for all, thresholds), as the
            engine's metric accumulator takes them.
        """
        return (KINDS["confusion"], 0, -1 if self.class_id is None else self.class_id,
                self.thresholds)

    def _counts(self, state):
        s = (self.state if state is None else state).reshape(-1, 4)
        return s[:, 0], s[:, 1], s[:, 2], s[:, 3]

    def _scalar(self, values):
        return float(values[0]) if len(values) == 1 else [float(v) for v in values]

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's get_config gives them
        (one threshold as a number, several as a list).

        Returns
        -------
        dict
            The base metric's config with thresholds, top_k and class_id.
        """
        t = self.thresholds.tolist()
        return {**super().get_config(), "thresholds": t[0] if len(t) == 1 else t,
                "top_k": None, "class_id": self.class_id}


class Precision(_Confusion):
    """tp / (tp + fp), outputs above the threshold positive, as Keras.

    Parameters
    ----------
    thresholds : float or list of float in [0, 1], optional
        Outputs above a threshold count as positive; default 0.5. With
        several thresholds, `result` gives one value per threshold.
    top_k : None
        Only None (Keras's top_k is refused).
    class_id : int, optional
        Count only this output column; default every column.
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Raises
    ------
    ValueError
        For a `top_k`, or thresholds outside [0, 1].

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.Precision()
    >>> m.update_state([[1], [0], [1]], [[0.9], [0.8], [0.3]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "precision"

    def result(self, state: Optional[np.ndarray] = None) -> Any:
        """Precision, tp / (tp + fp), over what was added since the last reset.

        Parameters
        ----------
        state : ndarray, optional
            Another state of this metric to read (fastmlp's addition); default
            the metric's own.

        Returns
        -------
        float or list of float
            One value per threshold (a float for a single threshold); 0.0
            where nothing was predicted positive.
        """
        tp, fp, _, _ = self._counts(state)
        return self._scalar(np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0))


class Recall(_Confusion):
    """tp / (tp + fn), outputs above the threshold positive, as Keras.

    Parameters
    ----------
    thresholds : float or list of float in [0, 1], optional
        Outputs above a threshold count as positive; default 0.5. With
        several thresholds, `result` gives one value per threshold.
    top_k : None
        Only None (Keras's top_k is refused).
    class_id : int, optional
        Count only this output column; default every column.
    name : str, optional
        The name in logs and configs; default the Keras name, numbered for
        later instances (``auc``, ``auc_1``, ...) as Keras does.
    dtype : optional
        Accepted for Keras compatibility; results are float64 numbers.

    Raises
    ------
    ValueError
        For a `top_k`, or thresholds outside [0, 1].

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.Recall()
    >>> m.update_state([[1], [0], [1]], [[0.9], [0.8], [0.3]])
    >>> round(m.result(), 4)
    0.5
    """
    default_name = "recall"

    def result(self, state: Optional[np.ndarray] = None) -> Any:
        """Recall, tp / (tp + fn), over what was added since the last reset.

        Parameters
        ----------
        state : ndarray, optional
            Another state of this metric to read (fastmlp's addition); default
            the metric's own.

        Returns
        -------
        float or list of float
            One value per threshold (a float for a single threshold); 0.0
            where there was no positive target.
        """
        tp, _, _, fn = self._counts(state)
        return self._scalar(np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0))


class AUC(Metric):
    """Area under the ROC (or PR) curve from counts at `num_thresholds`
    thresholds (−1e-7, 1/(n−1), …, 1+1e-7), Keras's interpolation: the
    trapezoid rule for ROC, Davis & Goadrich's for PR.

    Parameters
    ----------
    num_thresholds : int, default 200
        How many thresholds (>= 2) the curve is sampled at.
    curve : {"ROC", "PR"}, default "ROC"
        The receiver operating characteristic or the precision-recall curve.
    summation_method : {"interpolation", "minoring", "majoring"}, default "interpolation"
        How the area between thresholds is summed, as Keras.
    name : str, optional
        The name in logs and configs; default ``auc``, numbered for later
        instances.
    dtype : optional
        Ignored.
    thresholds, multi_label, num_labels, label_weights : optional
        Keras's; only their defaults are accepted (``num_labels`` is ignored).
    from_logits : bool, default False
        Whether the outputs are logits (a sigmoid is applied before
        counting). Not needed when the model's loss already takes logits.

    Raises
    ------
    ValueError
        For explicit thresholds, multi_label, label_weights, or an unknown
        curve or summation method.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.AUC()
    >>> m.update_state([[1], [0], [1], [0]], [[0.9], [0.2], [0.6], [0.7]])
    >>> round(m.result(), 4)
    0.75
    """
    default_name = "auc"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: Optional[str] = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: Any = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        if thresholds is not None or multi_label or label_weights is not None:
            raise ValueError("explicit thresholds, multi_label and label_weights are not "
                             "supported by fastmlp's AUC")
        self.num_thresholds = check_int(num_thresholds, "num_thresholds", minimum=2)
        if curve not in ("ROC", "PR"):
            raise ValueError(f"curve must be 'ROC' or 'PR'; got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring'; got {summation_method!r}")
        self.curve = curve
        self.summation_method = summation_method
        self.from_logits = check_bool(from_logits, "from_logits")
        super().__init__(name, dtype)

    def engine_spec(self) -> tuple:
        """How the engine computes the AUC's counts (internal; not Keras API).

        Returns
        -------
        tuple
            ``(kind, num_thresholds, -1, None)``: the engine buckets the
            outputs of positive and negative targets.
        """
        return (KINDS["auc"], self.num_thresholds, -1, None)

    def confusion(self, state: Optional[np.ndarray] = None) -> tuple:
        """The confusion counts at each threshold (fastmlp's addition).

        Parameters
        ----------
        state : ndarray, optional
            Another state of this metric; default its own.

        Returns
        -------
        tuple of ndarray
            ``(tp, fp, tn, fn)``, each of ``num_thresholds`` counts.
        """
        s = self.state if state is None else state
        n = self.num_thresholds
        pos, neg = s[:n], s[n:]
        # bucket b holds the predictions in (b/(n−1), (b+1)/(n−1)] (0 joins bucket 0), so
        # those above threshold i = i/(n−1) (threshold 0 is −ε) sit in buckets >= i
        tp = np.cumsum(pos[::-1])[::-1]
        fp = np.cumsum(neg[::-1])[::-1]
        return tp, fp, neg.sum() - fp, pos.sum() - tp

    def result(self, state: Optional[np.ndarray] = None) -> float:
        """The area under the curve over what was added since the last reset.

        ROC: the sum over thresholds of the false-positive-rate steps times
        the true-positive rate, as `summation_method` says; PR: Davis &
        Goadrich's interpolation, as Keras.

        Parameters
        ----------
        state : ndarray, optional
            Another state of this metric to read (fastmlp's addition); default
            the metric's own.

        Returns
        -------
        float
            The area, in [0, 1]; 0.0 before any update.
        """
        tp, fp, tn, fn = self.confusion(state)
        if self.curve == "PR":
            return self._pr_auc(tp, fp, fn)
        tpr = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
        fpr = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=fp + tn > 0)
        if self.summation_method == "interpolation":
            heights = (tpr[:-1] + tpr[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(tpr[:-1], tpr[1:])
        else:
            heights = np.maximum(tpr[:-1], tpr[1:])
        return float(np.sum((fpr[:-1] - fpr[1:]) * heights))

    def _pr_auc(self, tp, fp, fn):
        """Davis & Goadrich's interpolation between thresholds, as Keras."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = np.divide(dtp, dp, out=np.zeros_like(dtp), where=dp > 0)
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = np.where((p[:-1] > 0) & (p[1:] > 0),
                                np.divide(p[:-1], p[1:], out=np.ones_like(dtp), where=p[1:] > 0),
                                np.ones_like(p[1:]))
        pr_auc_increment = np.divide(prec_slope * (dtp + intercept * np.log(safe_p_ratio)),
                                     tp[1:] + fn[1:], out=np.zeros_like(dtp),
                                     where=tp[1:] + fn[1:] > 0)
        return float(pr_auc_increment.sum())

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``.

        Returns
        -------
        dict
            ``name``, ``dtype``, ``num_thresholds``, ``curve``,
            ``summation_method``, ``from_logits``, and Keras's ``multi_label``,
            ``num_labels`` and ``label_weights`` at their defaults;
            ``AUC.from_config(config)`` rebuilds it.
        """
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "multi_label": False, "num_labels": None, "label_weights": None,
                "from_logits": self.from_logits}


class Accuracy(Metric):
    """"accuracy" / "acc": binary, sparse or categorical accuracy, chosen from
    the shapes of the targets and outputs as Keras does (resolved when fit
    sees them); logs under the name given.

    Keras's ``keras.metrics.Accuracy`` class compares values for equality;
    fastmlp's is what the string "accuracy" means in ``compile``.

    Parameters
    ----------
    name : str, optional
        The name in logs; default ``accuracy``.
    dtype : optional
        Ignored.

    Examples
    --------
    >>> import fastmlp as fm
    >>> m = fm.metrics.Accuracy()
    >>> m.update_state([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]])
    >>> m.result()
    0.5
    """
    default_name = "accuracy"

    def resolve(self, y_sparse: bool, n_outputs: int) -> Metric:
        """The concrete accuracy for these targets (kept, with its state, while the kind holds).

        Parameters
        ----------
        y_sparse : bool
            Whether the targets are integer labels.
        n_outputs : int
            The model's output width.

        Returns
        -------
        Metric
            A BinaryAccuracy (one output), SparseCategoricalAccuracy or
            CategoricalAccuracy named as this metric.
        """
        cls = (BinaryAccuracy if n_outputs == 1 else
               SparseCategoricalAccuracy if y_sparse else CategoricalAccuracy)
        concrete = getattr(self, "_concrete", None)
        if type(concrete) is not cls:
            concrete = self._concrete = cls(name=self.name)
        return concrete

    def result(self, state: Optional[np.ndarray] = None) -> float:
        """The accuracy over what was added since the last reset.

        Reads the concrete accuracy chosen by `resolve` (binary, sparse or
        categorical); before one is chosen, this metric's own state.

        Parameters
        ----------
        state : ndarray, optional
            Another state to read (fastmlp's addition); default the metric's own.

        Returns
        -------
        float
            The share of correct rows; 0.0 before any update.
        """
        concrete = getattr(self, "_concrete", None)
        return super().result(state) if concrete is None else concrete.result(state)

    def reset_state(self) -> None:
        """Zero the state of the concrete accuracy chosen by `resolve`.

        Does nothing before `resolve` has chosen one (nothing was added yet).
        """
        concrete = getattr(self, "_concrete", None)
        if concrete is not None:
            concrete.reset_state()

    def engine_kind(self) -> int:
        """The engine's code this metric uses before `resolve` (internal; not Keras API).

        Returns
        -------
        int
            ``fastmlp._engine.METRICS["categorical_accuracy"]``, a placeholder
            until the targets' shape picks the concrete accuracy.
        """
        return KINDS["categorical_accuracy"]


_BY_NAME = {
    "accuracy": Accuracy, "acc": Accuracy, "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError, "precision": Precision,
    "recall": Recall, "auc": AUC, "AUC": AUC,
}
_CLASSES = [Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanAbsoluteError,
            MeanSquaredError, RootMeanSquaredError, Precision, Recall, AUC]
_BY_CLASS = {cls.__name__: cls for cls in _CLASSES}
NAMES = list(_BY_NAME)


def get(identifier: Any) -> Metric:
    """A Metric from a name (kept as the metric's name, as Keras logs it), a
    class, a config dict or an instance, as ``keras.metrics.get``.

    Parameters
    ----------
    identifier : str, type, dict or Metric
        ``"accuracy"``, ``"mae"``, ``"AUC"``, ...; a Metric class; a
        `serialize` dict; or a Metric (returned as it is).

    Returns
    -------
    Metric
        The metric.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones).
    TypeError
        For anything else (a function: fastmlp computes metrics in its engine).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.metrics.get("acc").name
    'acc'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric) and identifier is not Metric:
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_NAME.get(identifier.lower()) or \
            _BY_CLASS.get(identifier)
        if cls is None:
            raise ValueError(f"unknown metric {identifier!r}; valid values are "
                             f"{', '.join(map(repr, NAMES))}")
        metric = cls(name=identifier if identifier in _BY_NAME or identifier.lower() in _BY_NAME
                     else None)
        metric._given_as = identifier  # configs keep the name, as Keras's compile config does
        return metric
    raise TypeError(f"a metric must be a name such as 'accuracy' or a metric object such as "
                    f"fm.metrics.AUC(); got {describe(identifier)}")


def get_list(metrics: Any, argument: str = "metrics") -> List[Metric]:
    """Metrics from None or a list, as Keras's ``compile(metrics=...)`` takes them.

    Parameters
    ----------
    metrics : list or tuple, optional
        Names, classes, config dicts or Metric instances, each given to
        `get`; None for no metrics.
    argument : str, default "metrics"
        The argument's name, for the error messages.

    Returns
    -------
    list of Metric
        One metric per item (empty for None).

    Raises
    ------
    TypeError
        For a single name or metric not in a list, a dict (multi-output
        models), or anything else not a list or tuple.
    ValueError
        For an unknown metric name (from `get`).
    """
    if metrics is None:
        return []
    if isinstance(metrics, (str, Metric)):
        raise TypeError(f"{argument} must be a list, e.g. ['accuracy']; got {metrics!r}")
    if isinstance(metrics, dict):
        raise TypeError(f"{argument} as a dict is for multi-output models, which fastmlp does "
                        f"not build; pass a list")
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"{argument} must be a list, e.g. ['accuracy']; got {describe(metrics)}")
    return [get(item) for item in metrics]


def serialize(metric: Metric) -> Any:
    """A metric as a compile config holds it, as ``keras.metrics.serialize``.

    Parameters
    ----------
    metric : Metric
        The metric to describe.

    Returns
    -------
    str or dict
        The name for a metric made from a name, else Keras's dict
        (``module``, ``class_name``, ``config``, ``registered_name``).

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.metrics.serialize(fm.metrics.get("acc"))
    'acc'
    >>> fm.metrics.serialize(fm.metrics.AUC(curve="PR"))["config"]["curve"]
    'PR'
    """
    given = getattr(metric, "_given_as", None)
    if given is not None:
        return given
    return {"module": "keras.metrics", "class_name": type(metric).__name__,
            "config": metric.get_config(), "registered_name": None}


def deserialize(config: Any) -> Metric:
    """The metric `serialize` describes (or a name), as ``keras.metrics.deserialize``.

    Parameters
    ----------
    config : str or dict
        A metric name or a dict with ``class_name`` and ``config``.

    Returns
    -------
    Metric
        A new metric.

    Raises
    ------
    ValueError
        For an unknown name or class, or a malformed config.

    Examples
    --------
    >>> import fastmlp as fm
    >>> fm.metrics.deserialize({"class_name": "Recall", "config": {"thresholds": 0.7}}).thresholds
    array([0.7])
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or config.get("class_name") not in _BY_CLASS:
        raise ValueError(f"unknown metric {config!r}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"a metric's config must be a dict; got {inner!r}")
    return _BY_CLASS[config["class_name"]].from_config(inner)
