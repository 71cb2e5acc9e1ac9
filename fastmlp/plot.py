"""Pictures of models and their training, with matplotlib: learning curves,
decision boundaries of 2-D data, confusion matrices.

matplotlib is an optional extra (``pip install "fastmlp[plot]"``); it is
imported when a picture is drawn, never by ``import fastmlp`` or by importing
this module. Decision boundaries and confusion matrices are drawn by
scikit-learn's displays (`sklearn.inspection.DecisionBoundaryDisplay`,
`sklearn.metrics.ConfusionMatrixDisplay`), so they also need the ``sklearn``
extra (``pip install "fastmlp[plot,sklearn]"``).

Every function draws into the Axes given as ``ax=`` (a new figure's when
omitted) and returns that Axes.

Examples
--------
>>> import numpy as np, fastmlp as fm
>>> model = fm.Sequential([fm.Input((2,)), fm.Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> X = np.random.default_rng(0).normal(size=(64, 2))
>>> y = (X[:, 0] > 0).astype("float32")
>>> h = model.fit(X, y, epochs=3, validation_split=0.25, verbose=0)
>>> ax = fm.plot.history(h, "accuracy")               # doctest: +SKIP
>>> ax = fm.plot.decision_boundary(model, X, y)       # doctest: +SKIP
>>> ax = fm.plot.confusion_matrix(y, model.predict(X, verbose=0))  # doctest: +SKIP
"""
from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - for type checkers only; never imports matplotlib at run time
    from matplotlib.axes import Axes

__all__ = ["history", "decision_boundary", "confusion_matrix"]

_PLOT_EXTRA = "pip install 'fastmlp[plot]'"
_SKLEARN_EXTRA = "pip install 'fastmlp[plot,sklearn]'"


# ----------------------------------------------------------------------------- imports on demand

def _pyplot():
    """matplotlib.pyplot, or an ImportError that says which extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(f"fastmlp.plot draws with matplotlib, which is not installed: "
                          f"{_PLOT_EXTRA} (or pip install matplotlib)") from exc
    return plt


def _sklearn(what: str, function: str) -> Any:
    """A scikit-learn display class, or an ImportError naming the extras."""
    _pyplot()  # matplotlib first: its message is the one to see when both are missing
    try:
        if what == "DecisionBoundaryDisplay":
            from sklearn.inspection import DecisionBoundaryDisplay as display
        else:
            from sklearn.metrics import ConfusionMatrixDisplay as display
    except ImportError as exc:
        raise ImportError(f"fastmlp.plot.{function} draws with scikit-learn's {what}, and "
                          f"scikit-learn is not installed: {_SKLEARN_EXTRA}") from exc
    return display


def _axes(ax: Optional["Axes"]) -> "Axes":
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
        return ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (or None for a new figure); "
                        f"got {type(ax).__name__}")
    return ax


# ----------------------------------------------------------------------------- learning curves

def _is_estimator(obj: Any) -> bool:
    return hasattr(obj, "get_params") and hasattr(obj, "fit")


def _score_name(estimator: Any) -> str:
    kind = getattr(estimator, "_estimator_type", None)
    try:
        from sklearn.base import is_classifier, is_regressor

        kind = "classifier" if is_classifier(estimator) else (
            "regressor" if is_regressor(estimator) else kind)
    except ImportError:  # pragma: no cover - an estimator without scikit-learn cannot exist
        pass
    return {"classifier": "accuracy", "regressor": "R²"}.get(kind, "score")


class _Record:
    """A source's per-epoch series by name, with legend and axis names and hints."""

    def __init__(self, curves: Dict[str, Any], legend: Optional[Dict[str, str]] = None,
                 axis: Optional[Dict[str, str]] = None,
                 hints: Optional[Dict[str, str]] = None) -> None:
        self.curves = curves
        self.legend = legend or {}
        self.axis = axis or {}
        self.hints = hints or {}


def _record(source: Any) -> _Record:
    steps = getattr(source, "steps", None)
    if _is_estimator(source) and isinstance(steps, list) and steps:
        source = steps[-1][1]  # a Pipeline: its final estimator
    if _is_estimator(source):
        name = type(source).__name__
        if not hasattr(source, "loss_curve_"):
            solver = getattr(source, "solver", None)
            why = (" (solver='lbfgs' keeps no per-epoch record, as in scikit-learn)"
                   if solver == "lbfgs" else ": fit it first")
            raise ValueError(f"{name} has no loss_curve_ to plot{why}")
        score = f"validation {_score_name(source)}"
        curves: Dict[str, Any] = {"loss": source.loss_curve_}
        scores = getattr(source, "validation_scores_", None)
        if scores is not None:
            curves["val_score"] = scores
        hint = f"; {name} records validation_scores_ only with early_stopping=True"
        return _Record(curves, legend={"loss": "loss (loss_curve_)",
                                       "val_score": f"{score} (validation_scores_)"},
                       axis={"score": score, "val_score": score},
                       hints={"score": hint, "val_score": hint})
    record = source
    if not isinstance(record, Mapping) and hasattr(record, "history"):
        record = record.history  # a History, or a model whose .history is one
        if not isinstance(record, Mapping) and hasattr(record, "history"):
            record = record.history
    if record is None:
        raise ValueError(f"{type(source).__name__} has no History to plot: fit it first")
    if not isinstance(record, Mapping):
        raise TypeError(f"history() plots a History (what fit returns), its .history dict, "
                        f"a fitted Keras-dialect model or a fitted MLPClassifier/MLPRegressor; "
                        f"got {type(source).__name__}")
    return _Record(dict(record))


def _series(values: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the history's {name!r} values must be numbers; got "
                        f"{values!r:.80}") from exc
    if array.ndim != 1:
        raise ValueError(f"the history's {name!r} must be one value per epoch (1-D); got an "
                         f"array of shape {array.shape}")
    return array


def history(source: Any, metrics: Union[str, Sequence[str]] = "loss", *,
            validation: bool = True, validation_freq: int = 1, ax: Optional["Axes"] = None,
            title: Optional[str] = None) -> "Axes":
    """Learning curves: a logged value per epoch, for training and validation.

    Draws ``metric`` (solid) and ``val_<metric>`` (dashed, same colour) for
    each metric asked for, against the epoch (1-based, as the progress bar
    counts). Drawn by hand with ``Axes.plot``: scikit-learn has no display
    for learning curves of this kind.

    Parameters
    ----------
    source : History, dict, model or estimator
        What ``fit`` returned (a `fastmlp.callbacks.History`), its
        ``.history`` dict, a fitted Keras-dialect model (its ``.history``),
        or a fitted `fastmlp.MLPClassifier` / `fastmlp.MLPRegressor` (or a
        Pipeline ending in one), whose ``loss_curve_`` is plotted as
        ``"loss"`` and, with
        ``early_stopping=True``, ``validation_scores_`` as ``"val_score"``
        (accuracy for a classifier, R² for a regressor): ask for it with
        ``metrics="score"``.
    metrics : str or sequence of str, default "loss"
        Names as logged: ``"loss"``, ``"accuracy"``, ... (drawn on the same
        Axes, so keep to values of one scale). A ``"val_"`` name draws only
        that curve.
    validation : bool, default True
        Also draw ``val_<metric>`` where the history has it.
    validation_freq : int, default 1
        The ``validation_freq`` given to ``fit``: validation values are then
        placed at epochs ``k, 2k, ...``.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure's Axes.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        A metric the history does not have (the message lists the ones it
        has), an empty history, an unfitted model or estimator, validation
        values that do not fit ``validation_freq``.
    TypeError
        A source of another kind, non-numeric values.
    ImportError
        Without matplotlib.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> model = fm.Sequential([fm.Input((2,)), fm.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    >>> X = np.random.default_rng(0).normal(size=(64, 2)); y = (X[:, 0] > 0) * 1.0
    >>> h = model.fit(X, y, epochs=5, validation_split=0.25, verbose=0)
    >>> ax = fm.plot.history(h)                        # loss and val_loss  # doctest: +SKIP
    >>> ax = fm.plot.history(h, "accuracy", title="seed network")  # doctest: +SKIP
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"metrics must be a name or a non-empty list of names; got {metrics!r}")
    if (not isinstance(validation_freq, numbers.Integral) or isinstance(validation_freq, bool)
            or validation_freq < 1):
        raise ValueError(f"validation_freq must be a positive integer; got {validation_freq!r}")
    record = _record(source)
    curves = record.curves
    available = ", ".join(repr(k) for k in curves) or "nothing"
    if not any(len(v) for v in curves.values()):
        raise ValueError("the history is empty: fit recorded no epoch")

    lines: List[Tuple[str, np.ndarray, np.ndarray]] = []  # (key, epochs, values)
    for name in names:
        if name.startswith("val_"):
            keys = [name] if name in curves else []
        else:
            keys = [k for k in (name, "val_" + name) if k in curves
                    and (validation or not k.startswith("val_"))]
        if not keys:
            if name in record.hints:
                hint = record.hints[name]
            elif not name.startswith("val_") and "val_" + name in curves:
                hint = f" (only 'val_{name}': pass validation=True)"
            elif name not in ("loss", "val_loss"):
                hint = f"; to record it, compile with metrics=[{name.replace('val_', '', 1)!r}]"
            else:
                hint = ""
            raise ValueError(f"the history has no {name!r} to plot{hint}; it has {available}")
        for key in keys:
            values = _series(curves[key], key)
            epochs = np.arange(1, len(values) + 1)
            train = curves.get(key[4:]) if key.startswith("val_") else None
            if train is not None:
                epochs = epochs * validation_freq
                expected = len(train) // validation_freq
                if (len(values) != len(train)) if validation_freq == 1 else (len(values) > expected):
                    raise ValueError(
                        f"the history has {len(values)} {key!r} values for {len(train)} "
                        f"{key[4:]!r} values, which validation_freq={validation_freq} does not "
                        f"explain: pass the validation_freq given to fit")
            lines.append((key, epochs, values))

    ax = _axes(ax)
    from matplotlib.ticker import MaxNLocator

    colours: Dict[str, str] = {}
    for key, epochs, values in lines:
        base = key[4:] if key.startswith("val_") and key[4:] in curves else key
        (line,) = ax.plot(epochs, values, linestyle="--" if key != base else "-",
                          marker="o" if len(values) < 2 else None, color=colours.get(base),
                          label=record.legend.get(key, key))
        colours.setdefault(base, line.get_color())
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(dict.fromkeys(record.axis.get(n, n) for n in names)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------- decision boundary

def _is_keras_model(model: Any) -> bool:
    from .models import Model

    return isinstance(model, Model)


def _check_xy(X: Any, y: Any, function: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    try:
        data = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{function}: X must be numeric; got {type(X).__name__}") from exc
    if data.ndim != 2 or data.shape[1] != 2:
        raise ValueError(f"{function} draws 2-D data: X must have shape (n_samples, 2); got "
                         f"shape {data.shape}. For more features, plot two of them (or a 2-D "
                         f"projection) with a model trained on those two")
    if data.shape[0] == 0:
        raise ValueError(f"{function}: X is empty (0 samples)")
    if not np.isfinite(data).all():
        raise ValueError(f"{function}: X contains NaN or infinity")
    labels = None
    if y is not None:
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] > 1:  # one-hot
            labels = labels.argmax(axis=1)
        elif labels.ndim == 2:
            labels = labels[:, 0]
        if labels.ndim != 1:
            raise ValueError(f"{function}: y must be 1-D labels or 2-D one-hot rows; got shape "
                             f"{np.shape(y)}")
        if len(labels) != len(data):
            raise ValueError(f"{function}: X has {len(data)} samples but y has {len(labels)}")
    return data, labels


def _display_accepts(display: Any) -> set:
    return set(inspect.signature(display).parameters)


def _keras_response(model: Any, data: np.ndarray, grid_resolution: int, eps: float,
                    response_method: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """The grid and the model's response on it: (xx0, xx1, response, n_classes, classifier)."""
    if response_method not in ("auto", "predict_proba", "predict"):
        raise ValueError(f"response_method must be 'auto', 'predict_proba' or 'predict' for a "
                         f"Keras-dialect model; got {response_method!r}")
    xx0, xx1 = np.meshgrid(
        np.linspace(data[:, 0].min() - eps, data[:, 0].max() + eps, grid_resolution),
        np.linspace(data[:, 1].min() - eps, data[:, 1].max() + eps, grid_resolution))
    grid = np.c_[xx0.ravel(), xx1.ravel()]
    out = np.asarray(model.predict(grid, verbose=0), dtype=float)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2:
        raise ValueError(f"decision_boundary needs a model whose outputs are rows; this one "
                         f"gives shape {out.shape}")
    width = out.shape[1]
    in_unit = bool(np.all((out >= 0) & (out <= 1)))
    if width == 1:
        if response_method == "predict":
            return xx0, xx1, (out[:, 0] > 0.5).astype(int).reshape(xx0.shape), 2, True
        return xx0, xx1, out[:, 0].reshape(xx0.shape), 2, in_unit
    if response_method == "predict":
        return xx0, xx1, out.argmax(axis=1).reshape(xx0.shape), width, True
    if width == 2:  # the probability of class 1, as scikit-learn shows a binary classifier
        return xx0, xx1, out[:, 1].reshape(xx0.shape), 2, True
    return xx0, xx1, out.reshape(xx0.shape + (width,)), width, True


def decision_boundary(model: Any, X: Any, y: Any = None, *, ax: Optional["Axes"] = None,
                      grid_resolution: int = 200, eps: Optional[float] = None,
                      response_method: str = "auto", plot_method: str = "contourf",
                      class_names: Optional[Sequence[Any]] = None,
                      xlabel: Optional[str] = None, ylabel: Optional[str] = None,
                      alpha: float = 0.5, title: Optional[str] = None, **kwargs: Any) -> "Axes":
    """The model's response over the plane of 2-D data, with the data on top.

    Drawn by scikit-learn's `~sklearn.inspection.DecisionBoundaryDisplay`:
    for an estimator (`fastmlp.MLPClassifier`, `fastmlp.MLPRegressor`, or any
    scikit-learn estimator) through ``DecisionBoundaryDisplay.from_estimator``;
    for a Keras-dialect model (`fastmlp.Sequential`, `fastmlp.Model`), whose
    ``predict`` gives outputs rather than labels, fastmlp evaluates the model
    on the same grid and hands the response to the display's constructor.
    A binary classifier shows the probability of the second class (one
    sigmoid output, or the second of two softmax outputs); a multi-class one
    each class's probability in its colour where it wins (scikit-learn 1.7+;
    the winning class alone before that); one linear output its value.

    Parameters
    ----------
    model : fitted estimator or built Keras-dialect model
        It must take the two features of X.
    X : array-like of shape (n_samples, 2)
        The data; sets the plotted range.
    y : array-like of shape (n_samples,) or (n_samples, n_classes), optional
        Labels (or one-hot rows) to scatter the points by class; continuous
        targets colour the points on the response's scale. Omit to draw the
        surface alone.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure's Axes.
    grid_resolution : int, default 200
        Grid points per axis.
    eps : float, optional
        Margin around the data; default a tenth of the wider feature's range
        (scikit-learn's default, 1.0, is wide for data such as make_moons).
    response_method : {"auto", "predict_proba", "predict", "decision_function"}, default "auto"
        For an estimator, scikit-learn's meaning. For a Keras-dialect model,
        "auto" and "predict_proba" draw the outputs; "predict" the class
        (argmax, or output > 0.5 for one output).
    plot_method : {"contourf", "contour", "pcolormesh"}, default "contourf"
    class_names : sequence, optional
        Legend names of the classes, in order (default: ``classes_`` for an
        estimator, 0..k-1 for a Keras-dialect model).
    xlabel, ylabel : str, optional
        Default "feature 0", "feature 1" (a DataFrame's column names).
    alpha : float, default 0.5
        Opacity of the surface.
    title : str, optional
    **kwargs
        Passed to the display's plotting method (``cmap=`` for a binary or
        continuous response, ``levels=``, ...).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        X not of shape (n_samples, 2), empty or not finite; y of another
        length; an unknown response_method or plot_method.
    ImportError
        Without matplotlib or scikit-learn.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.2, random_state=0)
    >>> model = fm.Sequential([fm.Input((2,)), fm.Dense(16, activation="relu"),
    ...                        fm.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy")
    >>> _ = model.fit(X, y, epochs=20, verbose=0)
    >>> ax = fm.plot.decision_boundary(model, X, y)                          # doctest: +SKIP
    >>> clf = fm.MLPClassifier(max_iter=300, random_state=0).fit(X, y)       # doctest: +SKIP
    >>> ax = fm.plot.decision_boundary(clf, X, y, title="MLPClassifier")     # doctest: +SKIP
    """
    display_class = _sklearn("DecisionBoundaryDisplay", "decision_boundary")
    data, labels = _check_xy(X, y, "decision_boundary")
    if not isinstance(grid_resolution, numbers.Integral) or grid_resolution < 2:
        raise ValueError(f"grid_resolution must be an integer >= 2; got {grid_resolution!r}")
    if plot_method not in ("contourf", "contour", "pcolormesh"):
        raise ValueError(f"plot_method must be 'contourf', 'contour' or 'pcolormesh'; "
                         f"got {plot_method!r}")
    if eps is None:
        eps = 0.1 * float(max(np.ptp(data[:, 0]), np.ptp(data[:, 1]), 1e-12))
    elif (not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not np.isfinite(eps)
          or eps < 0):
        raise ValueError(f"eps must be a finite number >= 0 (or None); got {eps!r}")
    columns = list(getattr(X, "columns", [])) if hasattr(X, "columns") else []
    xlabel = xlabel if xlabel is not None else (str(columns[0]) if columns else "feature 0")
    ylabel = ylabel if ylabel is not None else (str(columns[1]) if columns else "feature 1")
    ax = _axes(ax)
    accepts = _display_accepts(display_class)
    multiclass_shades = "multiclass_colors" in accepts  # scikit-learn >= 1.7
    kwargs.setdefault("alpha", alpha)

    if _is_keras_model(model):
        xx0, xx1, response, n_classes, classifier = _keras_response(
            model, data, int(grid_resolution), eps, response_method)
        if response.ndim == 3 and not multiclass_shades:
            response = response.argmax(axis=2)
        if n_classes == 2:
            kwargs.setdefault("cmap", _binary_cmap() if classifier else "viridis")
        elif not multiclass_shades:  # older displays shade multi-class labels only
            kwargs.setdefault("cmap", _listed_cmap(n_classes))
            if plot_method != "pcolormesh":
                kwargs.setdefault("levels", np.arange(n_classes + 1) - 0.5)
        arguments = dict(xx0=xx0, xx1=xx1, response=response, xlabel=xlabel, ylabel=ylabel)
        if "n_classes" in accepts:
            arguments["n_classes"] = n_classes
        display = display_class(**arguments).plot(ax=ax, plot_method=plot_method, **kwargs)
        names = list(class_names) if class_names is not None else list(range(max(n_classes, 2)))
    elif _is_estimator(model):
        from sklearn.base import is_classifier

        classifier = is_classifier(model)
        classes = list(getattr(model, "classes_", []))
        n_classes = len(classes) if classifier else 2
        if n_classes == 2:
            kwargs.setdefault("cmap", _binary_cmap() if classifier else "viridis")
        elif not multiclass_shades:
            kwargs.setdefault("cmap", _listed_cmap(n_classes))
            if plot_method != "pcolormesh":
                kwargs.setdefault("levels", np.arange(n_classes + 1) - 0.5)
            if response_method == "auto":
                response_method = "predict"  # older displays shade multi-class labels only
        display = display_class.from_estimator(
            model, X, grid_resolution=int(grid_resolution), eps=eps,
            response_method=response_method, plot_method=plot_method, xlabel=xlabel,
            ylabel=ylabel, ax=ax, **kwargs)
        names = list(class_names) if class_names is not None else classes
    else:
        raise TypeError(f"decision_boundary draws a fitted estimator or a Keras-dialect model "
                        f"(fastmlp.Sequential / fastmlp.Model); got {type(model).__name__}")

    if labels is not None:
        _scatter(ax, display, data, labels, model, classifier, n_classes, names)
    if title is not None:
        ax.set_title(title)
    return ax


def _binary_cmap() -> Any:
    import matplotlib

    return matplotlib.colormaps["RdBu_r"]


def _listed_cmap(n: int) -> Any:
    import matplotlib
    from matplotlib.colors import ListedColormap

    base = matplotlib.colormaps["tab10" if n <= 10 else "gist_rainbow"]
    return ListedColormap([base(i if n <= 10 else i / max(n - 1, 1)) for i in range(n)])


def _class_indices(labels: np.ndarray, model: Any) -> Tuple[np.ndarray, List[Any]]:
    """Labels as 0..k-1 indices, and the label of each index."""
    classes = getattr(model, "classes_", None)
    if classes is not None and not _is_keras_model(model):
        classes = np.asarray(classes)
        order = {c: i for i, c in enumerate(classes.tolist())}
        try:
            return np.array([order[v] for v in labels.tolist()]), list(classes)
        except KeyError as exc:
            raise ValueError(f"decision_boundary: y holds the label {exc.args[0]!r}, which is "
                             f"not among the model's classes_ {classes.tolist()}") from None
    uniques = np.unique(labels)
    if np.issubdtype(uniques.dtype, np.number) and np.all(uniques == np.round(uniques)) \
            and uniques.min() >= 0:
        return labels.astype(int), list(range(int(uniques.max()) + 1))
    index = np.searchsorted(uniques, labels)
    return index, list(uniques)


def _scatter(ax: "Axes", display: Any, data: np.ndarray, labels: np.ndarray, model: Any,
             classifier: bool, n_classes: int, names: List[Any]) -> None:
    surface = display.surface_
    continuous = not classifier or (
        np.issubdtype(labels.dtype, np.floating) and not np.all(labels == np.round(labels)))
    if continuous:
        mappable = surface[0] if isinstance(surface, list) else surface
        ax.scatter(data[:, 0], data[:, 1], c=labels.astype(float), cmap=mappable.get_cmap(),
                   norm=mappable.norm, edgecolors="k", linewidths=0.5, s=20)
        return
    index, default_names = _class_indices(labels, model)
    names = names or default_names
    k = max(n_classes, int(index.max()) + 1, 2)
    if k == 2:
        cmap = _binary_cmap()
        colours = [cmap(0.0), cmap(1.0)]
    else:
        colours = list(getattr(display, "multiclass_colors_", _listed_cmap(k).colors))
    for i in range(k):
        mask = index == i
        if mask.any():
            name = names[i] if i < len(names) else i
            ax.scatter(data[mask, 0], data[mask, 1], color=colours[i % len(colours)],
                       edgecolors="k", linewidths=0.5, s=20, label=str(name))
    ax.legend(loc="best", fontsize="small")


# ----------------------------------------------------------------------------- confusion matrix

def _as_labels(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] > 1:  # one-hot rows or class probabilities
        if not np.issubdtype(array.dtype, np.number):
            raise TypeError(f"confusion_matrix: 2-D {name} must be numeric (one-hot rows or "
                            f"probabilities); got dtype {array.dtype}")
        return array.argmax(axis=1)
    if array.ndim == 2:  # one output: a probability, thresholded as Keras's binary accuracy
        column = array[:, 0]
        if np.issubdtype(column.dtype, np.floating) and not np.all(column == np.round(column)):
            return (column > 0.5).astype(int)
        return column
    if array.ndim != 1:
        raise ValueError(f"confusion_matrix: {name} must be labels (n_samples,), one-hot rows or "
                         f"outputs (n_samples, n_classes); got shape {array.shape}")
    return array


def confusion_matrix(y_true: Any, y_pred: Any, *, labels: Optional[Sequence[Any]] = None,
                     display_labels: Optional[Sequence[Any]] = None,
                     normalize: Optional[str] = None, ax: Optional["Axes"] = None,
                     cmap: Any = "Blues", values_format: Optional[str] = None,
                     colorbar: bool = True, xticks_rotation: Union[str, float] = "horizontal",
                     title: Optional[str] = None) -> "Axes":
    """A confusion matrix of predictions against true labels.

    Drawn by scikit-learn's `~sklearn.metrics.ConfusionMatrixDisplay`
    (``from_predictions``); fastmlp first turns Keras-style arrays into
    labels: one-hot rows and softmax outputs by their argmax, a single
    sigmoid output by ``> 0.5``. For an estimator,
    ``ConfusionMatrixDisplay.from_estimator(clf, X, y)`` works directly as
    well.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        True labels, or one-hot rows.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted labels, or a Keras-dialect model's ``predict`` outputs.
    labels : sequence, optional
        The labels to index the matrix (scikit-learn's meaning).
    display_labels : sequence of str, optional
        Names shown on the axes, e.g. Fashion-MNIST's class names.
    normalize : {"true", "pred", "all"}, optional
    ax : matplotlib Axes, optional
        Where to draw; default a new figure's Axes.
    cmap : str or Colormap, default "Blues"
    values_format : str, optional
        Format of the numbers in the cells (default ``d`` or ``.2g``).
    colorbar : bool, default True
    xticks_rotation : {"vertical", "horizontal"} or float, default "horizontal"
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Labelled "Predicted label" (x) and "True label" (y).

    Raises
    ------
    ValueError
        Inputs of different lengths or of more than two dimensions, empty
        inputs, a bad ``normalize``.
    ImportError
        Without matplotlib or scikit-learn.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> y_true = np.array([0, 1, 2, 2, 1])
    >>> outputs = np.eye(3)[[0, 2, 2, 2, 1]]   # what a softmax model's predict gives
    >>> ax = fm.plot.confusion_matrix(y_true, outputs, display_labels=["a", "b", "c"])  # doctest: +SKIP
    """
    display_class = _sklearn("ConfusionMatrixDisplay", "confusion_matrix")
    truth = _as_labels(y_true, "y_true")
    predicted = _as_labels(y_pred, "y_pred")
    if len(truth) != len(predicted):
        raise ValueError(f"confusion_matrix: y_true has {len(truth)} samples but y_pred has "
                         f"{len(predicted)}")
    if len(truth) == 0:
        raise ValueError("confusion_matrix: y_true and y_pred are empty")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None; got {normalize!r}")
    ax = _axes(ax)
    display_class.from_predictions(truth, predicted, labels=labels,
                                   display_labels=display_labels, normalize=normalize, ax=ax,
                                   cmap=cmap, values_format=values_format, colorbar=colorbar,
                                   xticks_rotation=xticks_rotation)
    if title is not None:
        ax.set_title(title)
    return ax
