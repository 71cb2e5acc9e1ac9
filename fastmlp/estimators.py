"""scikit-learn's MLPClassifier and MLPRegressor on fastmlp's engine.

Same parameter names, defaults, attributes and training procedure as
sklearn.neural_network (scikit-learn 1.9): the weights are initialised, the
data shuffled and the early-stopping split drawn from `random_state` exactly as
scikit-learn draws them, the losses, the L2 penalty (alpha) and the sample
weights are scikit-learn's, and so are the stopping rules, the learning-rate
schedules and the L-BFGS solver (scipy's L-BFGS-B with scikit-learn's
options). Each network is fastmlp's internal Network (the one the Keras
dialect trains through too), whose engine runs every batch
(forward, loss, backward, update), or each whole-set evaluation for L-BFGS,
in compiled code.

scikit-learn is an optional extra: pip install 'fastmlp[sklearn]'.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> import fastmlp as fm
>>> X, y = load_iris(return_X_y=True)
>>> clf = fm.MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.9
True
"""
from __future__ import annotations

import contextlib
import copy
import math
import warnings
from numbers import Integral, Real
from typing import Any, List, Optional

try:
    import sklearn
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("fastmlp.MLPClassifier and fastmlp.MLPRegressor need scikit-learn, an "
                      "optional extra: pip install 'fastmlp[sklearn]'") from exc

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.optimize import _check_optimize_result

try:
    from sklearn.utils.validation import (_check_sample_weight, check_is_fitted, column_or_1d,
                                          validate_data)
except ImportError as exc:  # validate_data is new in scikit-learn 1.6
    raise ImportError(f"fastmlp's estimators need scikit-learn >= 1.6; found "
                      f"{sklearn.__version__}: pip install -U 'fastmlp[sklearn]'") from exc

from . import _engine, _lbfgs, losses, metrics
from ._config import MAX_THREADS, thread_count
from ._lazy import is_dask_collection
from ._locks import lock_of
from ._validation import cast, check_finite, check_int, contiguous, describe, require_bf16
from .layers import MAX_DROPOUT_RATE, Dense, Dropout
from ._network import Network
from .models import unapplied_step
from .optimizers import SGD, Adam, RMSprop

__all__ = ["MLPClassifier", "MLPRegressor"]

# scikit-learn's hidden activation names -> fastmlp's
_HIDDEN_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}

# out_activation_ -> (fastmlp activation, engine loss code): softmax with (sparse)
# cross-entropy, sigmoid with binary log-loss summed over the outputs, identity
# with ½·Σ(y − t)², exp with the half Poisson deviance Σ[t·log(t/y) − t + y];
# the engine fuses all but identity with their loss into numerically stable steps
_OUTPUTS = {"softmax": ("softmax", losses.CODES["sparse_categorical_crossentropy"]),
            "logistic": ("sigmoid", losses.BCE_SUM), "identity": ("linear", losses.HALF_SQUARED_SUM),
            "exp": ("exponential", losses.HALF_POISSON)}

# RMSprop's decay of the squared-gradient average (Keras's default): scikit-learn
# has no such parameter
_RMSPROP_RHO = 0.9
# scikit-learn's message, which code matches on
_NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
               "values and need to be preprocessed.")
# rows densified at a time when predicting from a sparse matrix
_SPARSE_CHUNK = 1024
# the assignable weight lists, and where the list handed out for each is kept
# (with the views it held when handed out, to tell the user's edits apart)
_WEIGHT_LISTS = ("coefs_", "intercepts_")
_HANDED = "_handed_"
# early stopping's best weights when scikit-learn's would be NaN (its best
# score came after its weights diverged)
_DIVERGED = "diverged"


def _hidden_units(hidden_layer_sizes):
    """hidden_layer_sizes as a list of positive ints."""
    sizes = hidden_layer_sizes
    if isinstance(sizes, Integral):
        sizes = [sizes]
    sizes = list(sizes)
    for size in sizes:
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, Integral) or size < 1:
            raise ValueError(f"hidden_layer_sizes must hold positive integers; got "
                             f"{hidden_layer_sizes!r} (element {describe(size)})")
    return [int(size) for size in sizes]


def _units_of(coefs, intercepts):
    """Layer sizes [n_features, ..., n_outputs] of assigned coefs_/intercepts_,
    checked to chain: coefs_[i] is (units[i], units[i+1]), intercepts_[i] is
    (units[i+1],)."""
    if len(coefs) == 0 or len(coefs) != len(intercepts):
        raise ValueError(f"coefs_ and intercepts_ must hold one array per layer; got "
                         f"{len(coefs)} and {len(intercepts)}")
    units = []
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        if coef.ndim != 2 or min(coef.shape) < 1:
            raise ValueError(f"coefs_[{i}] must be a non-empty 2-D array; got shape {coef.shape}")
        if units and coef.shape[0] != units[-1]:
            raise ValueError(f"coefs_[{i}] has {coef.shape[0]} rows but coefs_[{i - 1}] has "
                             f"{units[-1]} columns")
        if not units:
            units.append(coef.shape[0])
        if intercept.shape != (coef.shape[1],):
            raise ValueError(f"intercepts_[{i}] must have shape ({coef.shape[1]},) to match "
                             f"coefs_[{i}]; got {intercept.shape}")
        units.append(coef.shape[1])
    return units


def _assigned_dtype(parts):
    """The precision of a network built from assigned weights: float32 when
    they all are, else float64."""
    arrays = [a for name in _WEIGHT_LISTS for a in parts[name]]
    return np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64


def _initial_weights(units, activation, random_state):
    """scikit-learn's Glorot-uniform draw, [W0, b0, W1, b1, ...] in float64:
    each kernel then its bias from U(±sqrt(f / (fan_in + fan_out))), f = 2
    for the logistic activation, else 6."""
    factor = 2.0 if activation == "logistic" else 6.0
    weights = []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = math.sqrt(factor / (fan_in + fan_out))
        weights.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
        weights.append(random_state.uniform(-bound, bound, fan_out))
    return weights


class _BaseMLP(BaseEstimator):
    """The fit machinery shared by MLPClassifier and MLPRegressor."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam", "rmsprop"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, MAX_DROPOUT_RATE, closed="both")],
        "n_threads": [None, Interval(Integral, 1, MAX_THREADS, closed="both")],
        "dtype": [None, StrOptions({"float32", "float64", "mixed_bfloat16"})],
    }

    def __init__(self, hidden_layer_sizes, activation, *, solver, alpha, batch_size,
                 learning_rate, learning_rate_init, power_t, max_iter, shuffle, random_state,
                 tol, verbose, warm_start, momentum, nesterovs_momentum, early_stopping,
                 validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun,
                 dropout, n_threads, dtype=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.n_threads = n_threads
        self.dtype = dtype

    # ------------------------------------------------------------ subclass hooks

    def _validate_input(self, X, y, reset):
        """(X, y) through validate_data; y 1-D for a single target."""
        raise NotImplementedError

    def _encode_targets(self, y, incremental):
        """(float targets (n, outputs) or None, int64 class indices or None, outputs)."""
        raise NotImplementedError

    def _out_activation(self):
        raise NotImplementedError

    def _loss_divisor(self):
        """What scikit-learn divides the engine's per-row loss by when it reports it."""
        return 1.0

    def _predictions(self, outputs):
        """What predict returns for the network's outputs (n, n_outputs_)."""
        raise NotImplementedError

    # the score() of the estimator (accuracy or R²), also early stopping's
    _score_function = None

    # ------------------------------------------------------------ fitted attributes

    def __getstate__(self):
        state = dict(super().__getstate__())  # (object.__getstate__ gives __dict__ itself)
        state.pop("_lock", None)  # a copy gets its own lock on first use
        for name in _WEIGHT_LISTS:  # views of the network: the copy makes its own
            if not self._assigned(name):
                state.pop(_HANDED + name, None)
        net = state.pop("_net", None)
        if net is not None:  # the engine's arrays, not the engine
            units = [net.n_in] + [w.shape[1] for w, _ in net.dense_views()]
            state["_net_state"] = (units, net.dtype.name, net.get_weights(), net.optimizer,
                                   net.optimizer_state(), net.policy, net.quantized)
        return state

    def __setstate__(self, state):
        saved = state.pop("_net_state", None)
        super().__setstate__(state)
        if saved is not None:
            units, dtype, weights, optimizer, optimizer_state = saved[:5]
            policy, quantized = saved[5:] if len(saved) > 5 else ("float32", None)
            self._net = self._network(units, dtype, policy, quantized)
            self._net.set_weights(weights)
            if optimizer is not None:
                self._net.configure(optimizer)
                self._net.set_optimizer_state(optimizer_state)

    def __sklearn_is_fitted__(self):
        return "_net" in self.__dict__ or self._assigned_weights_pending()

    def _fitted_net(self, name):
        net = self.__dict__.get("_net")
        if net is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return net

    @property
    def coefs_(self) -> List[np.ndarray]:
        """The kernels, [(n_features, units_1), ...]: live views of the
        network's weights (in-place edits change the model; training updates
        them in place, as scikit-learn's optimizers do). Assignable, as in
        scikit-learn: a new list, or new arrays put into this list, are what
        the next fit (warm_start), partial_fit or predict uses."""
        return self._weight_list("coefs_")

    @coefs_.setter
    def coefs_(self, value: Any) -> None:
        """Assign kernels, [(n_in, units), ...]: checked and taken into the
        network by the next predict, partial_fit or warm fit (as scikit-learn)."""
        self.__dict__[_HANDED + "coefs_"] = (value, None)

    @property
    def intercepts_(self) -> List[np.ndarray]:
        """The biases, [(units_1,), ...]: live views like ``coefs_``, and
        assignable like it."""
        return self._weight_list("intercepts_")

    @intercepts_.setter
    def intercepts_(self, value: Any) -> None:
        """Assign biases, [(units,), ...]: checked and taken into the network
        by the next predict, partial_fit or warm fit (as scikit-learn)."""
        self.__dict__[_HANDED + "intercepts_"] = (value, None)

    def _live_weights(self, name):
        """Views of the network's kernels (coefs_) or biases (intercepts_)."""
        part = 0 if name == "coefs_" else 1
        return [pair[part] for pair in self._fitted_net(name).dense_views()]

    def _weight_list(self, name):
        """The list coefs_/intercepts_ hand out: the same list object each
        time (scikit-learn's is a plain attribute, so code assigns into it),
        refreshed with the network's live views unless the user put
        something else in it."""
        if self._assigned(name):
            return self.__dict__[_HANDED + name][0]
        return self._hand_out(name)

    def _hand_out(self, name):
        """The handed-out list (or a new one), now holding the network's views."""
        live = self._live_weights(name)
        value = (self.__dict__.get(_HANDED + name) or (None, None))[0]
        if isinstance(value, list):
            value[:] = live
        else:
            value = live
        self.__dict__[_HANDED + name] = (value, tuple(live))
        return value

    def _assigned(self, name):
        """Whether the user assigned coefs_/intercepts_ (or put arrays into the
        list they hand out) since the network last took them."""
        handed = self.__dict__.get(_HANDED + name)
        if handed is None:
            return False
        value, issued = handed
        return (issued is None or not isinstance(value, list) or len(value) != len(issued)
                or any(a is not b for a, b in zip(value, issued)))

    def _assigned_weights_pending(self):
        return any(self._assigned(name) for name in _WEIGHT_LISTS)

    def _take_assigned_weights(self):
        """Put user-assigned coefs_/intercepts_ into the network, building one
        from their shapes when there is none or the shapes changed (as
        scikit-learn's estimators simply use whatever these attributes hold)."""
        if not self._assigned_weights_pending():
            return
        net = self.__dict__.get("_net")
        parts = {}
        for name in _WEIGHT_LISTS:
            live = self._live_weights(name) if net is not None else None
            value, issued = self.__dict__.get(_HANDED + name) or (live, None)
            if value is None:
                raise AttributeError(f"{name} must be set as well to use assigned weights")
            # entries the user left alone stand for the network's current values
            parts[name] = [live[i] if issued is not None and live is not None and i < len(live)
                           and i < len(issued) and item is issued[i] else np.asarray(item)
                           for i, item in enumerate(value)]
        units = _units_of(parts["coefs_"], parts["intercepts_"])
        shapes = [c.shape for c in parts["coefs_"]]
        if net is None or net.quantized is not None or \
                [c.shape for c in self._live_weights("coefs_")] != shapes:
            dtype = net.dtype if net is not None else _assigned_dtype(parts)
            self.n_outputs_, self.n_layers_ = units[-1], len(units)
            self._net = self._network(units, dtype)
            self.__dict__.pop("_learning_rate", None)  # the new network's optimizer starts afresh
        self._set_weights([a for pair in zip(parts["coefs_"], parts["intercepts_"])
                           for a in pair])
        for name in _WEIGHT_LISTS:
            self._hand_out(name)  # the same list, now holding the network's views

    @property
    def _optimizer(self):
        """The optimizer of the last stochastic fit (fastmlp's SGD, Adam or
        RMSprop), where scikit-learn keeps its own: code reads its
        learning_rate, which the 'invscaling' and 'adaptive' schedules set."""
        net = self.__dict__.get("_net")
        if net is None or net.optimizer is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '_optimizer'")
        return net.optimizer

    # ------------------------------------------------------------ quantization

    def quantize(self, mode: str) -> "_BaseMLP":
        """An inference-only copy of the fitted estimator, its layers quantized
        as `fastmlp.Model.quantize` quantizes a model's.

        ``"int8"``: each layer's kernel in int8 per output unit (Keras's
        quantization), each row of each layer's input quantized to uint8 as
        it comes (dynamic, as ONNX Runtime's), products summed exactly in
        int32, dequantized with the bias and activation in the epilogue.
        ``"bfloat16"`` (needs AVX512_BF16): kernels and inputs rounded to
        bfloat16, float32 sums. The copy's predict, predict_proba and score
        run quantized; its coefs_ hold the quantized kernels (int8, or
        float32 values rounded to bfloat16); it pickles. It does not train
        from its weights (partial_fit and warm_start raise; a fit afresh
        trains a new float network, as every fit replaces the fitted state).
        A float64 network (float64 data with dtype=None) is quantized from
        its float64 weights and then computes in float32. The estimator
        itself is left as it was.

        Parameters
        ----------
        mode : {"int8", "bfloat16"}
            The quantization.

        Returns
        -------
        MLPClassifier or MLPRegressor
            The quantized copy.

        Raises
        ------
        ValueError
            For another mode, or an estimator already quantized;
            ``CPUFeatureError`` (a ValueError) for ``"bfloat16"`` without
            AVX512_BF16.
        sklearn.exceptions.NotFittedError
            Before fit.

        Examples
        --------
        >>> import numpy as np, fastmlp as fm
        >>> X, y = np.random.default_rng(0).random((60, 4)), np.arange(60) % 2
        >>> clf = fm.MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
        >>> clf.quantize("int8").predict(X).shape
        (60,)
        """
        from .quantization import check_mode, quantize_layers

        check_is_fitted(self)
        with lock_of(self):
            mode = check_mode(mode)
            if self._assigned_weights_pending():
                self._take_assigned_weights()
            if self._net.quantized is not None:
                raise ValueError(f"this estimator is already quantized ({self._net.quantized})")
            quantized = copy.deepcopy(self)
        net = quantized._net
        # (a float64 network, as float64 data makes by default, becomes float32)
        policy = net.policy if net.dtype == np.float32 else "float32"
        quantize_layers(net.computing, mode, policy)
        quantized._net = Network(net.layers, net.n_in, np.float32, dropout_seed=0, policy=policy)
        for name in _WEIGHT_LISTS:  # the lists handed out held the float network's views
            quantized.__dict__.pop(_HANDED + name, None)
        return quantized

    # ------------------------------------------------------------ fit

    def _check_solver(self):
        """partial_fit's availability: stochastic solvers only."""
        if self.solver == "lbfgs":
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 "lbfgs is not stochastic.")
        return True

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "_BaseMLP":
        """Train on (X, y) from fresh weights (or, with warm_start, from the last ones).

        Up to max_iter epochs (L-BFGS iterations with solver='lbfgs'), stopping
        earlier by scikit-learn's rules (tol, n_iter_no_change, early_stopping).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs; float32 trains in float32, anything else in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels of any type (MLPClassifier; an indicator matrix for
            multi-label targets) or target values (MLPRegressor).
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample weights; each batch's loss, gradient and L2 term are
            normalised by the batch's sum of weights (as in scikit-learn).

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        ValueError
            For invalid parameters or data (scikit-learn's messages), and when
            training diverges without early_stopping (see Notes of the class).
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental):
        # One fit at a time per estimator; everything is checked before the
        # fitted state changes, so a refused call leaves the fitted model as it was.
        with lock_of(self):
            saved = dict(self.__dict__)
            try:
                prepared = self._prepare_fit(X, y, sample_weight, incremental)
            except BaseException:
                self.__dict__.clear()
                self.__dict__.update(saved)
                raise
            with self._threads():
                failure = self._train(*prepared)
            if failure or not _engine.all_finite(self._net.engine.params):
                raise ValueError(_NON_FINITE + (f" {failure}" if failure else ""))
        return self

    def _prepare_fit(self, X, y, sample_weight, incremental):
        """Validate and convert the arguments, then create or check the network:
        the arguments of _train."""
        self._validate_params()
        hidden = _hidden_units(self.hidden_layer_sizes)
        if incremental and self.early_stopping and self.solver != "lbfgs":  # lbfgs ignores it
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.solver == "lbfgs" and self.dropout > 0:
            raise ValueError(f"dropout={self.dropout!r} cannot be used with solver='lbfgs', "
                             f"which needs a deterministic objective; use dropout=0.0 or a "
                             f"stochastic solver")
        # scikit-learn's first_pass: continue from coefs_ (fitted or assigned) only
        # with warm_start or partial_fit
        continuing = self.warm_start or incremental
        first_pass = not (continuing and self.__sklearn_is_fitted__())
        if self.dtype == "mixed_bfloat16":
            require_bf16("dtype='mixed_bfloat16'")
        net = self.__dict__.get("_net")
        if not first_pass and net is not None and net.quantized is not None:
            raise RuntimeError(f"this estimator was quantized to {net.quantized} for "
                               f"inference (quantize()), and a quantized model cannot train "
                               f"({'partial_fit' if incremental else 'fit with warm_start'}); "
                               f"fit it afresh (warm_start=False) to train a float model")
        if first_pass:
            for name in _WEIGHT_LISTS:  # to be replaced by new initial weights
                self.__dict__.pop(_HANDED + name, None)
        else:
            self._take_assigned_weights()
        X, y = self._validate_input(X, y, reset=first_pass)
        if not first_pass and X.shape[1] != self._net.n_in:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self._net.n_in} features as input.")
        if sample_weight is not None:
            sample_weight = contiguous(_check_sample_weight(sample_weight, X, dtype=np.float64))
        targets, labels, n_outputs = self._encode_targets(y, incremental)
        self._thread_count()
        # the data in the network's dtype before any random draw or new network
        dtype = np.dtype(self._first_dtype(X) if first_pass else self._net.dtype)
        X = self._model_input(X, dtype)
        if targets is not None:
            targets = cast(np.asarray(targets), dtype, "y")
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], hidden, n_outputs, dtype)
        else:
            self._check_continuation(hidden, n_outputs)
        # fit starts a new optimizer (as scikit-learn's does); partial_fit continues its state
        restart = first_pass or not incremental or "_learning_rate" not in self.__dict__
        return X, y, targets, labels, sample_weight, restart, incremental

    def _first_dtype(self, X):
        """The dtype a new network computes in: the dtype parameter's (float32
        storage for mixed_bfloat16), or X's when it is None."""
        if self.dtype is None:
            return X.dtype
        return np.float64 if self.dtype == "float64" else np.float32

    def _initialize(self, n_features, hidden, n_outputs, dtype):
        """Fresh network and training record (scikit-learn's _initialize)."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(hidden) + 2
        self.out_activation_ = self._out_activation()
        units = [n_features] + hidden + [n_outputs]
        weights = _initial_weights(units, self.activation, self._random_state)
        self._net = self._network(units, dtype)
        self._set_weights(weights)
        self._best_weights = self._net.get_weights()
        if self.solver != "lbfgs":  # as in scikit-learn, lbfgs keeps no training record
            self._start_record()

    def _start_record(self):
        """The stochastic solvers' training record, empty."""
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _policy(self):
        """The dtype policy the dtype parameter asks for (float32, float64 from
        the data when None)."""
        return self.dtype if self.dtype == "mixed_bfloat16" else "float32"

    def _network(self, units, dtype, policy=None, quantized=None):
        """The engine network for layer sizes `units` (weights to be set):
        `policy` "mixed_bfloat16" (float32 only) or the dtype parameter's,
        and its Dense layers quantized to `quantized` (inference only)."""
        if policy is None:
            policy = self._policy()
        if np.dtype(dtype) != np.float32:
            policy = "float64"
        # Explicit names, zero kernels (the caller sets the weights) and an explicit
        # dropout seed: fastmlp's global counters and random state are left alone.
        hidden_activation = _HIDDEN_ACTIVATIONS[self.activation]
        layers = []
        for i, width in enumerate(units[1:-1]):
            layers.append(Dense(width, activation=hidden_activation, kernel_initializer="zeros",
                                name=f"hidden_{i}"))
            if self.dropout > 0:
                layers.append(Dropout(self.dropout, name=f"dropout_{i}"))
        layers.append(Dense(units[-1], activation=_OUTPUTS[self.out_activation_][0],
                            kernel_initializer="zeros", name="output"))
        if quantized is not None:
            for layer in layers:
                if isinstance(layer, Dense):
                    layer._dtype_policy = f"{quantized}_from_{policy}"
        self._architecture = (self.activation, float(self.dropout), policy)
        return Network(layers, units[0], np.dtype(dtype), dropout_seed=0, policy=policy)

    def _set_weights(self, arrays):
        """Weights in Keras's order (kernel, bias per layer) into the network, in its dtype."""
        net = self._net
        net.set_weights([cast(np.asarray(a), net.dtype, "weights") for a in arrays])

    def _check_continuation(self, hidden, n_outputs):
        """warm_start / partial_fit: the same layer sizes are required; a new
        activation or dropout rate rebuilds the network around the same weights."""
        fitted = [w.shape[1] for w in self.coefs_[:-1]]
        if hidden != fitted:
            raise ValueError(f"hidden_layer_sizes={self.hidden_layer_sizes!r} does not match the "
                             f"fitted network's {tuple(fitted)}; use warm_start=False to start "
                             f"afresh")
        if n_outputs != self.n_outputs_:
            raise ValueError(f"y has {n_outputs} outputs but the fitted network has "
                             f"{self.n_outputs_}; use warm_start=False to start afresh")
        policy = self._policy() if self._net.dtype == np.float32 else "float64"
        if self._architecture != (self.activation, float(self.dropout), policy):
            units = [self.n_features_in_] + hidden + [n_outputs]
            weights = self._net.get_weights()
            self._net = self._network(units, self._net.dtype, policy)
            self._set_weights(weights)
            self.__dict__.pop("_learning_rate", None)  # the new network's optimizer starts afresh

    @staticmethod
    def _model_input(X, dtype):
        """X as the engine reads it: C-contiguous rows of the model's dtype, or CSR."""
        if sp.issparse(X):
            X = X.tocsr()
            if X.dtype != dtype:
                X = X.astype(dtype)
                check_finite(X.data, "X")  # float64 values beyond float32's range
            return X
        return cast(X, dtype, "X")

    def _thread_count(self):
        if self.n_threads is None:
            return None
        return check_int(self.n_threads, "n_threads", minimum=1, maximum=MAX_THREADS)

    def _threads(self):
        """fm.set_num_threads(n_threads) for the duration of a call."""
        n = self._thread_count()
        return contextlib.nullcontext() if n is None else thread_count(n)

    # ------------------------------------------------------------ the optimizer

    def _make_optimizer(self):
        lr = self._learning_rate
        if self.solver == "sgd":
            return SGD(learning_rate=lr, momentum=self.momentum, nesterov=self.nesterovs_momentum)
        if self.solver == "rmsprop":
            return RMSprop(learning_rate=lr, rho=_RMSPROP_RHO, epsilon=self.epsilon)
        return Adam(learning_rate=lr, beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon)

    def _configure_engine(self, restart):
        """Optimizer (fresh state when `restart`), scikit-learn's loss and alpha."""
        if restart:
            self._learning_rate = float(self.learning_rate_init)
        net, optimizer = self._net, self._make_optimizer()
        if restart or type(net.optimizer) is not type(optimizer):
            net.configure(optimizer)
        else:
            net.optimizer = optimizer
            optimizer._bind(net.engine)
            net.refresh_hyperparameters()
        self._objective = self._engine_objective()

    def _engine_objective(self):
        """scikit-learn's loss for the output activation, and alpha."""
        return _engine.Objective(_OUTPUTS[self.out_activation_][1], metrics.NONE,
                                 float(self.alpha))

    def _set_learning_rate(self, lr):
        self._learning_rate = lr
        self._net.optimizer.learning_rate = lr
        self._net.refresh_hyperparameters()

    def _schedules_apply(self):
        return self.solver == "sgd"

    def _iteration_ends(self):
        if self._schedules_apply() and self.learning_rate == "invscaling":
            self._set_learning_rate(float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t)

    def _trigger_stopping(self, message):
        """Whether to stop; with learning_rate='adaptive' (sgd), divide the
        learning rate by 5 instead until it falls to 1e-6."""
        if not (self._schedules_apply() and self.learning_rate == "adaptive"):
            if self.verbose:
                print(message + " Stopping.")
            return True
        if self._learning_rate <= 1e-6:
            if self.verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        self._set_learning_rate(self._learning_rate / 5.0)
        if self.verbose:
            print(message + " Setting learning rate to %f" % self._learning_rate)
        return False

    # ------------------------------------------------------------ the loop

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n_samples} training "
                          f"samples; using {n_samples}", UserWarning, stacklevel=5)
        return min(self.batch_size, n_samples)

    def _split(self, X, y, targets, sample_weight):
        """scikit-learn's early-stopping split: (training rows, (X, y, weights) to score)."""
        stratify = None
        if is_classifier(self) and self.n_outputs_ == 1:
            stratify = np.asarray(targets) != 0  # scikit-learn's binarised y, as bool
        train, val = train_test_split(np.arange(X.shape[0]), random_state=self._random_state,
                                      test_size=self.validation_fraction, stratify=stratify)
        if len(val) < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        weights = None if sample_weight is None else sample_weight[val]
        return np.asarray(train, dtype=np.int64), (X[val], y[val], weights)

    def _train(self, X, y, targets, labels, sample_weight, restart, incremental):
        """Run the solver; returns why scikit-learn's weights would now be
        non-finite (the fit then fails with its error), or None."""
        if self.solver == "lbfgs":
            return self._train_lbfgs(X, targets, labels, sample_weight)
        return self._train_stochastic(X, y, targets, labels, sample_weight, restart, incremental)

    def _train_lbfgs(self, X, targets, labels, sample_weight):
        """scikit-learn's _fit_lbfgs: scipy's L-BFGS-B over the whole training
        set, each evaluation one engine call."""
        if sp.issparse(X):
            X = contiguous(X.toarray())  # the engine reads dense rows
        engine = self._net.engine
        objective = _lbfgs.FullBatchObjective(engine, X, targets, labels, sample_weight,
                                              self._engine_objective(), self._loss_divisor())
        start = objective.packed_parameters()
        try:
            result = _lbfgs.minimize(objective, self.max_iter, self.max_fun, self.tol,
                                     self.verbose)
        finally:
            engine.release()  # the whole-set buffers
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = result.fun
        if not np.isfinite(result.x).all():
            objective.set_parameters(start)  # no weight of the network becomes NaN or inf
            return "L-BFGS-B ended at non-finite parameters; the weights are those it started from."
        objective.set_parameters(result.x)
        return None

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, *work_arrays):
        """scikit-learn's private L-BFGS objective, kept for code written
        against it: sets the network's parameters to the packed vector
        [W0.ravel(), W1.ravel(), ..., b0, b1, ...] and returns (loss, packed
        gradient) on (X, y), y as the network's outputs (scikit-learn's
        binarised classes, or the regression targets). scikit-learn's work
        arrays (the remaining arguments) are not needed."""
        check_is_fitted(self)
        with lock_of(self):
            self._take_assigned_weights()
            net = self._net
            X = cast(np.asarray(X.toarray() if sp.issparse(X) else X), net.dtype, "X")
            y = np.asarray(y).reshape(X.shape[0], -1)
            targets = labels = None
            if self.out_activation_ == "softmax":
                labels = contiguous(np.argmax(y, axis=1), np.int64)
            else:
                targets = cast(y, net.dtype, "y")
            if sample_weight is not None:
                sample_weight = contiguous(sample_weight, np.float64)
            objective = _lbfgs.FullBatchObjective(net.engine, X, targets, labels,
                                                  sample_weight, self._engine_objective(),
                                                  self._loss_divisor())
            with self._threads():
                return objective(np.asarray(packed_coef_inter))

    def _train_stochastic(self, X, y, targets, labels, sample_weight, restart, incremental):
        """scikit-learn's _fit_stochastic on the engine."""
        if "loss_curve_" not in self.__dict__:  # continuing an lbfgs fit
            self._start_record()
        self._configure_engine(restart)
        validation = None
        if self.early_stopping:
            rows, validation = self._split(X, y, targets, sample_weight)
        else:
            rows = np.arange(X.shape[0], dtype=np.int64)
        n_train = len(rows)
        batch_size = self._batch_size(n_train)
        engine = self._net.engine
        if self.dropout > 0:
            engine.dropout_seed = int(self._random_state.randint(0, 2**63 - 1, dtype=np.int64))
        engine.reserve(batch_size)
        self.n_iter_ = 0
        self._divergence = None
        try:
            for _ in range(self.max_iter):
                if self.shuffle:
                    rows = rows[self._random_state.permutation(n_train)]
                self.loss_ = self._epoch(X, targets, labels, sample_weight, rows,
                                         batch_size) / n_train
                self.n_iter_ += 1
                self.t_ += n_train
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                self._update_no_improvement_count(validation)
                self._iteration_ends()
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._trigger_stopping(self._stall_message()):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                                  "optimization hasn't converged yet." % self.max_iter,
                                  ConvergenceWarning, stacklevel=5)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=5)
        divergence = self.__dict__.pop("_divergence")
        restored_finite = self.early_stopping and self._restore_best_weights(divergence)
        if divergence is None or restored_finite:
            return None
        epoch, problem = divergence
        return (f"In iteration {epoch}, {problem}; scale the inputs (e.g. StandardScaler) or "
                f"lower learning_rate_init={self.learning_rate_init}.")

    def _restore_best_weights(self, divergence):
        """Early stopping's end: back to the best-scoring weights. Returns
        whether those are finite in scikit-learn: they are not when the best
        score came after a divergence, or when no better score came in this
        fit and the weights it continued from have diverged since."""
        best, self._best_weights = self._best_weights, None
        if best is _DIVERGED or (best is None and divergence is not None):
            return False
        if best is not None:
            self._set_weights(best)
        # From here on scikit-learn's coefs_ *are* its best weights (the same
        # arrays): a warm start that finds no better score keeps its last weights.
        return True

    def _epoch(self, X, targets, labels, sample_weight, rows, batch_size):
        """One pass over `rows` in batches; returns Σ batch objective × batch rows,
        the objective being scikit-learn's: weighted mean loss + ½·α·Σw² / Σweights.

        The engine applies no update that would make a weight NaN or infinite;
        scikit-learn applies it, and its weights, losses and scores are NaN
        from there on. So after the first such step the fit records that,
        skips the rest of the work, and reports NaN as scikit-learn would."""
        n = len(rows)
        starts = range(0, n, batch_size)
        batch_weight_sums = None
        if sample_weight is not None:
            batch_weight_sums = np.add.reduceat(sample_weight[rows], np.arange(0, n, batch_size))
        divisor = self._loss_divisor()
        total = 0.0
        for i, start in enumerate(starts):
            if self._divergence is not None:
                return math.nan
            count = min(batch_size, n - start)
            # all-zero weights: nothing to learn, and α / Σweights would be infinite
            if batch_weight_sums is not None and batch_weight_sums[i] == 0:
                continue
            stats = self._step(X, targets, labels, sample_weight, rows, start, count)
            problem = unapplied_step(stats)
            if problem:
                self._divergence = (self.n_iter_ + 1, problem)
            # the engine's penalty is already divided by the batch's weight sum
            total += (stats["loss_sum"] / divisor / stats["weight_sum"] + stats["penalty"]) * count
        return total

    def _step(self, X, targets, labels, sample_weight, rows, start, count):
        engine, objective = self._net.engine, self._objective
        if not sp.issparse(X):
            return engine.train_batch(X, targets, labels, rows, start, count, sample_weight,
                                      objective)
        # sparse input: the batch is densified, and its targets and weights gathered with it
        batch = rows[start:start + count]

        def gather(a):
            """The batch's rows of a per-sample array (None stays None), as the
            C-contiguous, aligned array the engine reads."""
            return None if a is None else contiguous(a[batch])
        return engine.train_batch(X[batch].toarray(), gather(targets), gather(labels),
                                  np.arange(count, dtype=np.int64), 0, count,
                                  gather(sample_weight), objective)

    def _stall_message(self):
        if self.early_stopping:
            return ("Validation score did not improve more than tol=%f for %d consecutive "
                    "epochs." % (self.tol, self.n_iter_no_change))
        return ("Training loss did not improve more than tol=%f for %d consecutive epochs."
                % (self.tol, self.n_iter_no_change))

    def _update_no_improvement_count(self, validation):
        if validation is None:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
            return
        X_val, y_val, weights_val = validation
        diverged = self._divergence is not None
        # scikit-learn's NaN weights give NaN outputs: scored as it scores them
        outputs = (np.full((X_val.shape[0], self.n_outputs_), np.nan) if diverged
                   else self._forward(X_val))
        score = self._score_outputs(outputs, y_val, weights_val)
        self.validation_scores_.append(score)
        if self.verbose:
            print("Validation score: %f" % score)
        if score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._best_weights = _DIVERGED if diverged else self._net.get_weights()

    # ------------------------------------------------------------ inference

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        if self._assigned_weights_pending():
            with lock_of(self):
                self._take_assigned_weights()
        return validate_data(self, X, accept_sparse=["csr", "csc"],
                             dtype=(np.float64, np.float32), reset=False)

    def _forward(self, X):
        """The output layer's activations for validated X, (n, n_outputs_)."""
        net = self._net
        with self._threads():
            if not sp.issparse(X):
                return net.predict(cast(X, net.dtype, "X"))
            X = X.tocsr()
            out = np.empty((X.shape[0], self.n_outputs_), dtype=net.dtype)
            for start in range(0, X.shape[0], _SPARSE_CHUNK):
                stop = min(start + _SPARSE_CHUNK, X.shape[0])
                out[start:stop] = net.predict(cast(X[start:stop].toarray(), net.dtype, "X"))
            return out

    def _score_outputs(self, outputs, y, sample_weight):
        """scikit-learn's score of the predictions for network outputs; NaN
        when the predictions are floating-point and not all finite."""
        prediction = self._predictions(outputs)
        if np.issubdtype(prediction.dtype, np.floating) and not np.isfinite(prediction).all():
            return np.nan
        return self._score_function(y, prediction, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _dask_predict(est, X, method):
    """est.<method> over a dask collection, block by block on the workers."""
    check_is_fitted(est)
    from .dask import predict

    return predict(est, X, method)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's MLPClassifier on
    fastmlp's engine. Softmax output with cross-entropy for several classes,
    logistic outputs with binary log-loss for two classes and for
    multi-label targets (an indicator matrix).

    The network is a fastmlp Sequential trained by fastmlp's engine; the
    procedure is scikit-learn's: its initialisation (drawn from random_state
    like scikit-learn's, so float64 runs track scikit-learn's own closely),
    shuffling, batches, loss, L2 penalty, sample weights, stopping rules,
    learning-rate schedules, warm_start and partial_fit.

    Arithmetic is in the input's precision: float32 X trains a float32
    network (fastmlp's fast path), anything else float64, as scikit-learn
    keeps float32 and float64 inputs. Later fits with warm_start and
    partial_fit keep the first fit's precision.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer; () gives a network without hidden layers.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop'}, default='adam'
        'lbfgs' is scipy's L-BFGS-B over all the weights, each evaluation of
        the loss and its gradients one engine call over the whole training
        set (scikit-learn's iterations: same objective, same parameter
        order, same options); it ignores the batch, schedule, momentum and
        early-stopping parameters, as scikit-learn's does, and refuses
        dropout. 'sgd' uses momentum and nesterovs_momentum; 'adam' beta_1,
        beta_2 and epsilon; 'rmsprop' (not in scikit-learn) is Keras's
        RMSprop with rho=0.9 and epsilon.
    alpha : float, default=0.0001
        L2 penalty on the kernels (not the biases): ½·alpha·Σw² divided by the
        batch's size (or sum of sample weights), added to the loss.
    batch_size : int or 'auto', default='auto'
        Rows per step; 'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule (solver='sgd' only): 'invscaling' sets learning_rate_init /
        ``(t_ + 1)**power_t`` after each epoch; 'adaptive' divides the rate by 5
        whenever n_iter_no_change epochs pass without an improvement of tol.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs (passes over the data); with 'lbfgs', L-BFGS iterations.
    shuffle : bool, default=True
        Shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Initial weights, shuffling, the early-stopping split and the dropout
        masks' seed. fastmlp's global seed (fm.set_random_seed) is not used.
    tol : float, default=1e-4
        Stochastic solvers: the improvement of the loss (or validation score)
        that counts; 'lbfgs': the largest gradient component at which it has
        converged (scipy's gtol).
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights (a fresh optimizer, as in
        scikit-learn).
    momentum : float in [0, 1], default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out validation_fraction of the data, stop when its score() has
        not improved by tol for n_iter_no_change epochs, and keep the best
        weights.
    validation_fraction : float, default=0.1
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        'lbfgs' only: the most evaluations of the loss; L-BFGS-B stops at the
        end of the iteration that exceeds it.
    dropout : float in [0, 1), default=0.0
        fastmlp's addition: inverted dropout after each hidden layer while
        training.
    n_threads : int or None, default=None
        fastmlp's addition: threads for fit and predict (fm.set_num_threads
        for the duration of the call, then the previous count again; the
        setting is process-wide, so concurrent calls with different values
        interfere). None leaves fastmlp's setting as it is.

    Attributes
    ----------
    coefs_, intercepts_ : lists of arrays
        Kernels (n_in, n_out) and biases per layer, in the network's dtype;
        live views of the network's weights. Assignable as in scikit-learn:
        a new list, or new arrays put into the list, are what the next
        predict, partial_fit or warm-started fit uses (a network of their
        shapes is built if needed).
    loss_ : float
        Last epoch's loss (mean of the batch objectives weighted by batch size);
        with 'lbfgs', the objective at the final weights.
    best_loss_ : float or None
        Lowest ``loss_`` seen (None with early_stopping). Not set by 'lbfgs',
        nor are ``loss_curve_``, ``validation_scores_`` and
        ``best_validation_score_``.
    loss_curve_ : list of float
        NaN from the epoch after a step that scikit-learn would have turned
        into NaN weights (the engine does not apply it: see Notes).
    validation_scores_ : list of float or None
        score() on the held-out split after each epoch (early_stopping only).
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run by the last call to fit (1 after partial_fit).
    t_ : int
        Training samples seen over all calls.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set when X has feature names (a DataFrame).
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
    classes_ : ndarray
        The class labels (for multi-label targets, the column indices).

    See Also
    --------
    fastmlp.Sequential : the Keras dialect, on the same engine.

    Notes
    -----
    Training that diverges: fastmlp's engine never applies an update that
    would make a weight NaN or infinite, where scikit-learn applies it and
    goes on with NaN weights. The estimators reproduce what scikit-learn
    then reports: the rest of the fit counts its epochs with NaN losses
    (and, with early_stopping, the validation scores of NaN outputs),
    without computing them; with early_stopping the best weights come back
    and the fit succeeds; otherwise it raises scikit-learn's ValueError
    ("Solver produced non-finite parameter weights. ...", then what went
    wrong first), and the network keeps its last finite weights where
    scikit-learn's would be NaN.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import fastmlp as fm
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = fm.MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
    >>> clf.fit(X, y).predict(X[:3])
    array([0, 0, 0])
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
"""

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Any = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, n_threads: Optional[int] = None,
                 dtype: Optional[str] = None) -> None:
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
            max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
            verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, n_threads=n_threads, dtype=dtype)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> "MLPClassifier":
        """One epoch over (X, y), continuing from the current state.

        Stochastic solvers only, as in scikit-learn (with solver='lbfgs' the
        method is absent).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The labels (an indicator matrix for multi-label targets).
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample weights, as in `fit`.
        classes : array-like, optional
            Every class that will ever be seen; required on the first call,
            ignored (or checked to be the same) after it.

        Returns
        -------
        self
            The updated estimator.

        Raises
        ------
        ValueError
            On the first call without `classes`, or when `y` holds classes
            that `classes` did not list.
        """
        if self._first_partial_fit_call(classes):
            binarizer = LabelBinarizer()
            binarizer.fit(y if type_of_target(y).startswith("multilabel") else classes)
            self._label_binarizer = binarizer
        return self._fit(X, y, sample_weight, incremental=True)

    def _first_partial_fit_call(self, classes):
        known = getattr(self, "classes_", None)
        if classes is None:
            if known is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            return False
        if known is not None:
            if not np.array_equal(known, unique_labels(classes)):
                raise ValueError(f"classes={classes!r} is not the same as on the last call to "
                                 f"partial_fit, which was {known!r}")
            return False
        self.classes_ = unique_labels(classes)
        return True

    def _validate_input(self, X, y, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _encode_targets(self, y, incremental):
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_known_classes(unique_labels(y))
        binarizer = self._label_binarizer
        if binarizer.y_type_ == "multiclass":
            labels = np.searchsorted(binarizer.classes_, y).astype(np.int64)
            return None, labels, len(binarizer.classes_)
        indicator = binarizer.transform(y)
        return indicator, None, indicator.shape[1]

    def _check_known_classes(self, classes):
        if self.warm_start:
            if set(classes) != set(self.classes_):
                raise ValueError(f"warm_start can only be used where `y` has the same classes as "
                                 f"in the previous call to fit. Previously got {self.classes_}, "
                                 f"`y` has {classes}")
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {classes}.")

    def _out_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _predictions(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    _score_function = staticmethod(accuracy_score)

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Labels from ``classes_`` (an indicator matrix for multi-label
            targets). For a dask array or dataframe: a lazy dask array,
            computed block by block on the workers (``fastmlp.dask.predict``).
        """
        if is_dask_collection(X):
            return _dask_predict(self, X, "predict")
        return self._predictions(self._forward(self._validate_for_predict(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Predict class probabilities.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in ``classes_`` order, in the network's
            dtype (float32 for float32 training data). A lazy dask array for
            a dask array or dataframe.
        """
        if is_dask_collection(X):
            return _dask_predict(self, X, "predict_proba")
        scores = self._forward(self._validate_for_predict(X))
        if self.n_outputs_ == 1:
            return np.column_stack([1 - scores[:, 0], scores[:, 0]])
        return scores

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Predict the logarithms of the class probabilities.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))`` (a lazy dask array for a dask array or
            dataframe).
        """
        if is_dask_collection(X):
            return _dask_predict(self, X, "predict_log_proba")
        probabilities = self.predict_proba(X)
        return np.log(probabilities, out=probabilities)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's MLPRegressor on
    fastmlp's engine. Identity outputs trained on half the squared error, or
    exponential outputs on the half Poisson deviance; y may have several
    columns (multi-output).

    The network is a fastmlp Sequential trained by fastmlp's engine; the
    procedure is scikit-learn's: its initialisation (drawn from random_state
    like scikit-learn's, so float64 runs track scikit-learn's own closely),
    shuffling, batches, loss, L2 penalty, sample weights, stopping rules,
    learning-rate schedules, warm_start and partial_fit.

    Arithmetic is in the input's precision: float32 X trains a float32
    network (fastmlp's fast path), anything else float64, as scikit-learn
    keeps float32 and float64 inputs. Later fits with warm_start and
    partial_fit keep the first fit's precision.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error': identity outputs, ½·(y − t)² averaged over the outputs;
        'poisson': outputs exp(z), the half Poisson deviance
        t·log(t/y) − t + y summed over the outputs, for targets t >= 0. Like
        scikit-learn, fastmlp does not check that; for t < 0 its loss leaves
        out the t·log(t/y) term where scikit-learn's is NaN (the gradients,
        y − t, agree). score() is R² for both.
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer; () gives a network without hidden layers.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop'}, default='adam'
        'lbfgs' is scipy's L-BFGS-B over all the weights, each evaluation of
        the loss and its gradients one engine call over the whole training
        set (scikit-learn's iterations: same objective, same parameter
        order, same options); it ignores the batch, schedule, momentum and
        early-stopping parameters, as scikit-learn's does, and refuses
        dropout. 'sgd' uses momentum and nesterovs_momentum; 'adam' beta_1,
        beta_2 and epsilon; 'rmsprop' (not in scikit-learn) is Keras's
        RMSprop with rho=0.9 and epsilon.
    alpha : float, default=0.0001
        L2 penalty on the kernels (not the biases): ½·alpha·Σw² divided by the
        batch's size (or sum of sample weights), added to the loss.
    batch_size : int or 'auto', default='auto'
        Rows per step; 'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule (solver='sgd' only): 'invscaling' sets learning_rate_init /
        ``(t_ + 1)**power_t`` after each epoch; 'adaptive' divides the rate by 5
        whenever n_iter_no_change epochs pass without an improvement of tol.
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs (passes over the data); with 'lbfgs', L-BFGS iterations.
    shuffle : bool, default=True
        Shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Initial weights, shuffling, the early-stopping split and the dropout
        masks' seed. fastmlp's global seed (fm.set_random_seed) is not used.
    tol : float, default=1e-4
        Stochastic solvers: the improvement of the loss (or validation score)
        that counts; 'lbfgs': the largest gradient component at which it has
        converged (scipy's gtol).
    verbose : bool, default=False
        Print the loss after each epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights (a fresh optimizer, as in
        scikit-learn).
    momentum : float in [0, 1], default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out validation_fraction of the data, stop when its score() has
        not improved by tol for n_iter_no_change epochs, and keep the best
        weights.
    validation_fraction : float, default=0.1
    beta_1 : float, default=0.9
    beta_2 : float, default=0.999
    epsilon : float, default=1e-8
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        'lbfgs' only: the most evaluations of the loss; L-BFGS-B stops at the
        end of the iteration that exceeds it.
    dropout : float in [0, 1), default=0.0
        fastmlp's addition: inverted dropout after each hidden layer while
        training.
    n_threads : int or None, default=None
        fastmlp's addition: threads for fit and predict (fm.set_num_threads
        for the duration of the call, then the previous count again; the
        setting is process-wide, so concurrent calls with different values
        interfere). None leaves fastmlp's setting as it is.

    Attributes
    ----------
    coefs_, intercepts_ : lists of arrays
        Kernels (n_in, n_out) and biases per layer, in the network's dtype;
        live views of the network's weights. Assignable as in scikit-learn:
        a new list, or new arrays put into the list, are what the next
        predict, partial_fit or warm-started fit uses (a network of their
        shapes is built if needed).
    loss_ : float
        Last epoch's loss (mean of the batch objectives weighted by batch size);
        with 'lbfgs', the objective at the final weights.
    best_loss_ : float or None
        Lowest ``loss_`` seen (None with early_stopping). Not set by 'lbfgs',
        nor are ``loss_curve_``, ``validation_scores_`` and
        ``best_validation_score_``.
    loss_curve_ : list of float
        NaN from the epoch after a step that scikit-learn would have turned
        into NaN weights (the engine does not apply it: see Notes).
    validation_scores_ : list of float or None
        score() on the held-out split after each epoch (early_stopping only).
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs run by the last call to fit (1 after partial_fit).
    t_ : int
        Training samples seen over all calls.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set when X has feature names (a DataFrame).
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str

    See Also
    --------
    fastmlp.Sequential : the Keras dialect, on the same engine.

    Notes
    -----
    Training that diverges: fastmlp's engine never applies an update that
    would make a weight NaN or infinite, where scikit-learn applies it and
    goes on with NaN weights. The estimators reproduce what scikit-learn
    then reports: the rest of the fit counts its epochs with NaN losses
    (and, with early_stopping, the validation scores of NaN outputs),
    without computing them; with early_stopping the best weights come back
    and the fit succeeds; otherwise it raises scikit-learn's ValueError
    ("Solver produced non-finite parameter weights. ...", then what went
    wrong first), and the network keeps its last finite weights where
    scikit-learn's would be NaN.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> y = X.ravel() ** 2
    >>> reg = fm.MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.95
    True
"""

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss: str = "squared_error", hidden_layer_sizes: Any = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 0.0001,
                 batch_size: Any = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 dropout: float = 0.0, n_threads: Optional[int] = None,
                 dtype: Optional[str] = None) -> None:
        self.loss = loss
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
            max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
            verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, n_threads=n_threads, dtype=dtype)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> "MLPRegressor":
        """One epoch over (X, y), continuing from the current state.

        With solver='lbfgs', a whole L-BFGS fit from the current weights: what
        scikit-learn's MLPRegressor.partial_fit does (its classifier hides
        partial_fit for lbfgs).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            Per-sample weights, as in `fit`.

        Returns
        -------
        self
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_input(self, X, y, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _encode_targets(self, y, incremental):
        targets = y.reshape(-1, 1) if y.ndim == 1 else y
        return targets, None, targets.shape[1]

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _loss_divisor(self):
        # scikit-learn reports the squared loss averaged over the outputs, while
        # its gradient (and the engine's) is that of the sum over them; the
        # Poisson deviance it sums over them
        return float(self.n_outputs_) if self.out_activation_ == "identity" else 1.0

    def _predictions(self, outputs):
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    _score_function = staticmethod(r2_score)

    def predict(self, X: Any) -> np.ndarray:
        """Predict target values.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions, in the network's dtype (a lazy dask array for a
            dask array or dataframe).
        """
        if is_dask_collection(X):
            return _dask_predict(self, X, "predict")
        return self._predictions(self._forward(self._validate_for_predict(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
