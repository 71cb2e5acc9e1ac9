"""Sequential: build, compile, the fit loop (epochs, batches, callbacks),
predict, evaluate, and the model file (save / load_model).

Python only validates, loops over batches and reports; the engine
(fastmlp._engine) does each batch's arithmetic with the GIL released."""
import json
import math
import threading
import time
import warnings

import numpy as np

from . import _engine, _random, activations, losses, optimizers
from ._locks import lock_of
from . import metrics as metrics_module
from .callbacks import CallbackList, History, ProgressBar, check_callbacks, format_logs
from .initializers import initial_kernel
from .layers import Dense, Layer, check_weight_list
from ._validation import (as_matrix, as_targets, check_bool, check_dtype, check_float, check_int,
                          describe)

# rows per engine call in predict/evaluate when no batch_size is given (256: the
# weights are read in place, measured ~6 % faster than 1024 on the seed network); the
# results do not depend on it
DEFAULT_INFERENCE_CHUNK = 256

_model_count = [0]


def _check_verbose(verbose):
    if isinstance(verbose, str):
        if verbose == "auto":
            return 1
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; got {verbose!r}")
    if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, (int, np.integer)):
        raise TypeError(f"verbose must be 0, 1, 2 or 'auto'; got {describe(verbose)}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; got {verbose}")
    return int(verbose)


class Sequential:
    """A stack of layers, each feeding the next, in the Keras dialect.

    dtype: "float32" (the fast path) or "float64"."""

    def __init__(self, layers=None, dtype="float32", name=None):
        self._dtype = check_dtype(dtype)
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of layers; got {describe(layers)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {describe(name)}")
        if name is None:
            name = "sequential" if _model_count[0] == 0 else f"sequential_{_model_count[0]}"
            _model_count[0] += 1
        self.name = name
        self._layers = []
        self._engine = None
        self._n_in = None
        self.optimizer = None
        self._loss = None
        self._metric_names = []
        self.stop_training = False
        self.history = None
        lock_of(self)
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------ structure

    @property
    def dtype(self):
        return self._dtype.name

    @property
    def layers(self):
        return list(self._layers)

    @property
    def built(self):
        return self._engine is not None

    @property
    def input_shape(self):
        n_in = self._n_in or self._declared_input_dim()
        return None if n_in is None else (None, n_in)

    @property
    def output_shape(self):
        n_out = self._output_units()
        return None if n_out is None else (None, n_out)

    @property
    def metrics_names(self):
        return ["loss"] + list(self._metric_names)

    def _declared_input_dim(self):
        first = self._layers[0] if self._layers else None
        return getattr(first, "input_dim", None)

    def _output_units(self):
        for layer in reversed(self._layers):
            if isinstance(layer, Dense):
                return layer.units
        return None

    def _refuse_in_own_fit(self, what):
        if self._lock.in_own_fit():
            raise RuntimeError(f"{what} cannot be called while this model's fit() is running "
                               f"(from a callback); call it before or after fit()")

    def add(self, layer):
        """Append a layer; a built model is rebuilt, keeping the existing weights."""
        with self._lock:
            self._refuse_in_own_fit("add()")
            if not isinstance(layer, Layer):
                raise TypeError(f"add() expects a layer such as fm.Dense(...) or fm.Dropout(...); "
                                f"got {describe(layer)}")
            if layer._model is not None:
                raise ValueError(f"layer {layer.name!r} already belongs to a model; "
                                 f"create a new layer object")
            if any(existing.name == layer.name for existing in self._layers):
                raise ValueError(f"the model already has a layer named {layer.name!r}; "
                                 f"layer names must be unique")
            layers = self._layers + [layer]
            n_in = self._n_in if self._n_in is not None else getattr(layers[0], "input_dim", None)
            if n_in is not None:
                self._plan(n_in, layers, require_dense=False)
            self._layers.append(layer)
            layer._model = self
            if n_in is not None:
                try:
                    self._build(n_in)
                except BaseException:
                    self._layers.pop()
                    layer._model = None
                    raise

    def _plan(self, n_in, layers=None, require_dense=True):
        """Engine specs for the layers fed n_in features; raises ValueError
        for a stack the engine cannot run."""
        layers = self._layers if layers is None else layers
        if require_dense and not any(isinstance(layer, Dense) for layer in layers):
            raise ValueError("the model needs at least one Dense layer")
        specs, width = [], n_in
        for layer in layers:
            declared = getattr(layer, "input_dim", None)
            if declared is not None and declared != width:
                raise ValueError(f"layer {layer.name!r} declares input_dim={declared} but receives "
                                 f"{width} features")
            if isinstance(layer, Dense):
                specs.append({"kind": _engine.DENSE, "n_in": width, "n_out": layer.units,
                              "act": (activations.CODES[layer.activation], 0.2 if
                                      layer.activation == "leaky_relu" else 0.0, np.inf, 0.0),
                              "use_bias": layer.use_bias})
            else:
                specs.append({"kind": _engine.DROPOUT, "n_in": width, "n_out": width,
                              "rate": layer.rate})
            width = layer.output_width(width)
        return specs

    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` = (None, features) or features."""
        if isinstance(input_shape, (tuple, list)):
            if len(input_shape) != 2:
                raise ValueError(f"input_shape must be (batch, features), e.g. (None, 784); "
                                 f"got {input_shape!r}")
            input_shape = input_shape[1]
        n_in = check_int(input_shape, "input_shape features", minimum=1)
        with self._lock:
            self._refuse_in_own_fit("build()")
            if self._n_in is not None and n_in != self._n_in:
                raise ValueError(f"the model is built for {self._n_in} features; got {n_in}")
            self._plan(n_in)
            if self._engine is None:
                self._build(n_in)

    def _build(self, n_in, rng=None, dropout_seed=None):
        """Create the engine for n_in input features: existing layers keep
        their weights, new ones are initialised from `rng` (default: the
        global generator of fm.set_random_seed)."""
        specs = self._plan(n_in)
        if dropout_seed is None:
            if self._engine is not None:
                dropout_seed = self._engine.dropout_seed
            else:
                dropout_seed = _random.next_seed()
        engine = _engine.Network(self._dtype, specs, dropout_seed)
        rng = rng or _random.generator()
        bound = []
        for layer, (kernel, bias) in zip(self._layers, engine.weights):
            if not isinstance(layer, Dense):
                continue
            if layer._params is not None and layer._params[0].shape == kernel.shape:
                kernel[...] = layer._params[0]
                if bias is not None and layer._params[1] is not None:
                    bias[...] = layer._params[1]
            else:
                kernel[...] = initial_kernel(layer.kernel_initializer, kernel.shape[0],
                                             kernel.shape[1], rng)
            bound.append((layer, (kernel, bias)))
        if self._loss is not None:
            self._configure_engine(engine)
        # nothing above touched the model: a failure leaves it as it was
        for layer, params in bound:
            layer._params = params
        self._engine = engine
        self._n_in = n_in

    def _require_built(self, what):
        if self._engine is None:
            raise RuntimeError(f"{what} needs a built model: give the first layer input_dim or "
                               f"input_shape, call model.build((None, features)), or fit it first")

    # ------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Choose the optimizer (name or instance), loss and metrics. Compiling
        again starts the optimizer's state afresh."""
        with self._lock:
            self._refuse_in_own_fit("compile()")
            opt = optimizers.get(optimizer)
            loss_name = losses.get(loss)
            metric_names = metrics_module.get_list(metrics)
            if not self._layers:
                raise ValueError("add layers to the model before compile()")
            if self._output_units() is None:
                raise ValueError("the model needs at least one Dense layer")
            self.optimizer, self._loss, self._metric_names = opt, loss_name, metric_names
            if self._engine is not None:
                self._configure_engine()

    def _metric_code(self):
        if not self._metric_names:
            return metrics_module.NONE
        return metrics_module.accuracy_code(self._loss, self._output_units())

    def _objective(self):
        """The compiled loss and metric as the engine reads them, fixed for one
        call; the metric's accumulator is the last item of its tuple."""
        code = self._metric_code()
        metrics = [] if code == metrics_module.NONE else [(code, False, 0, -1, None, np.zeros(2))]
        return _engine.Objective(losses.CODES[self._loss], metrics,
                                 reduction=_engine.MEAN_OVER_ROWS)

    @staticmethod
    def _metric_value(objective):
        if not objective.metrics:
            return 0.0
        acc = objective.metrics[0][5]
        return acc[0] / acc[1] if acc[1] else 0.0

    def _configure_engine(self, engine=None):
        engine = engine or self._engine
        engine.set_optimizer(*self.optimizer.engine_args())

    def _require_compiled(self, what):
        if self._loss is None:
            raise RuntimeError(f"{what} needs a compiled model: call model.compile(optimizer=..., "
                               f"loss=...) first")

    # ------------------------------------------------------------ data

    def _inputs(self, x, name="x"):
        return as_matrix(x, name, self._dtype, self._n_in or self._declared_input_dim())

    def _targets(self, y, n_samples, name="y", x_name="x"):
        return as_targets(y, name, self._loss, self._output_units(), n_samples, self._dtype,
                          x_name=x_name)

    def _logs(self, loss, metric_value, prefix=""):
        logs = {prefix + "loss": loss}
        for name in self._metric_names:
            logs[prefix + name] = metric_value
        return logs

    # ------------------------------------------------------------ fit

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0):
        """Train for `epochs` passes over (x, y) in batches; returns a History."""
        with self._lock:
            self._refuse_in_own_fit("fit()")
            self._require_compiled("fit()")
            batch_size = 32 if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
            epochs = check_int(epochs, "epochs", minimum=0)
            initial_epoch = check_int(initial_epoch, "initial_epoch", minimum=0)
            verbose = _check_verbose(verbose)
            user_callbacks = check_callbacks(callbacks)
            validation_split = check_float(validation_split, "validation_split", 0.0, 1.0,
                                           high_open=True)
            shuffle = check_bool(shuffle, "shuffle")
            x = self._inputs(x)
            y, labels = self._targets(y, len(x))
            if self._engine is None:
                self._plan(x.shape[1])
            validation = None
            if validation_data is not None:
                validation = self._validation_arrays(validation_data, x.shape[1])
            elif validation_split > 0:
                x, y, labels, validation = self._split(x, y, labels, validation_split)

            if self._engine is None:
                self._build(x.shape[1])
            self._lock.fitting_thread = threading.get_ident()
            try:
                return self._fit_loop(x, y, labels, batch_size, epochs, initial_epoch, verbose,
                                      user_callbacks, validation, shuffle)
            finally:
                self._lock.fitting_thread = None

    def _validation_arrays(self, validation_data, n_features):
        if not isinstance(validation_data, (tuple, list)):
            raise TypeError(f"validation_data must be a tuple (x_val, y_val); "
                            f"got {describe(validation_data)}")
        if len(validation_data) != 2:
            raise ValueError(f"validation_data must be a tuple (x_val, y_val); got "
                             f"{len(validation_data)} items")
        xv = as_matrix(validation_data[0], "validation_data x", self._dtype, n_features)
        yv, lv = self._targets(validation_data[1], len(xv), name="validation_data y",
                               x_name="validation_data x")
        return xv, yv, lv

    @staticmethod
    def _split(x, y, labels, fraction):
        """Keras's split: the last `fraction` of the samples, before shuffling."""
        n = len(x)
        split_at = int(math.ceil(n * (1.0 - fraction)))
        if split_at <= 0 or split_at >= n:
            raise ValueError(f"validation_split={fraction} leaves {split_at} training and "
                             f"{n - split_at} validation samples out of {n}; both need at least one")

        def part(a, sl):
            return None if a is None else a[sl]
        head, tail = slice(0, split_at), slice(split_at, None)
        validation = (x[tail], part(y, tail), part(labels, tail))
        return x[head], part(y, head), part(labels, head), validation

    def _fit_loop(self, x, y, labels, batch_size, epochs, initial_epoch, verbose, user_callbacks,
                  validation, shuffle):
        engine, n = self._engine, len(x)
        objective = self._objective()
        steps = -(-n // batch_size)
        engine.reserve(min(batch_size, n))
        history = History()
        progress = [ProgressBar(verbose)] if verbose else []
        cbs = CallbackList(progress + user_callbacks + [history], self,
                           {"epochs": epochs, "steps": steps, "verbose": verbose})
        self.stop_training = False
        self.history = history
        rng = _random.generator()
        rows = np.arange(n, dtype=np.int64)
        logs = {}
        cbs.on_train_begin(logs)
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch, {})
            engine.set_hyperparameters(*self.optimizer.engine_args()[1:])
            if shuffle:
                rows = rng.permutation(n).astype(np.int64)
            loss_sum = 0.0
            seen = 0
            for m in objective.metrics:
                m[5][...] = 0
            for step in range(steps):
                start = step * batch_size
                count = min(batch_size, n - start)
                cbs.on_train_batch_begin(step, {})
                stats = engine.train_batch(x, y, labels, rows, start, count, None, objective)
                loss_sum += stats["loss_sum"]
                seen += count
                logs = self._logs(loss_sum / seen, self._metric_value(objective))
                problem = unapplied_step(stats)
                if problem:
                    warnings.warn(f"{problem} at epoch {epoch + 1}, batch {step + 1}: training "
                                  f"stopped", RuntimeWarning, stacklevel=3)
                    self.stop_training = True
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(logs)
            if validation is not None:
                val_loss, val_metric = self._evaluate_arrays(engine, *validation,
                                                             DEFAULT_INFERENCE_CHUNK,
                                                             self._objective())
                epoch_logs.update(self._logs(val_loss, val_metric, prefix="val_"))
            cbs.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return history

    # ------------------------------------------------------------ inference

    def _chunk(self, batch_size):
        if batch_size is None:
            return DEFAULT_INFERENCE_CHUNK
        return check_int(batch_size, "batch_size", minimum=1)

    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for x, (samples, units), in the model's dtype.
        Dropout is inactive. batch_size only sets how many rows go through at
        once; the values do not depend on it."""
        self._require_built("predict()")
        engine = self._engine  # one engine throughout, even if add() rebuilds the model meanwhile
        chunk = self._chunk(batch_size)
        verbose = _check_verbose(verbose)
        x = as_matrix(x, "x", engine.dtype, engine.n_in)
        chunk = min(chunk, len(x))  # batch_size may exceed the engine's int64
        start = time.perf_counter()
        out = np.empty((len(x), engine.n_out), dtype=engine.dtype)
        engine.predict(x, out, chunk)
        if verbose:
            steps = -(-len(x) // chunk)
            print(f"{steps}/{steps} - {time.perf_counter() - start:.3f}s")
        return out

    @staticmethod
    def _evaluate_arrays(engine, x, y, labels, chunk, objective):
        stats = engine.evaluate(x, y, labels, chunk, objective)
        return stats["loss_sum"] / len(x), Sequential._metric_value(objective)

    def evaluate(self, x, y, batch_size=None, verbose="auto", return_dict=False):
        """The loss, or [loss, *metrics], over (x, y); dropout inactive."""
        with self._lock:
            self._require_compiled("evaluate()")
            self._require_built("evaluate()")
            engine, objective = self._engine, self._objective()
            chunk = self._chunk(batch_size)
            verbose = _check_verbose(verbose)
            return_dict = check_bool(return_dict, "return_dict")
            x = as_matrix(x, "x", engine.dtype, engine.n_in)
            y, labels = as_targets(y, "y", self._loss, engine.n_out, len(x), engine.dtype)
            chunk = min(chunk, len(x))  # batch_size may exceed the engine's int64
            start = time.perf_counter()
            loss, metric_value = self._evaluate_arrays(engine, x, y, labels, chunk, objective)
            logs = self._logs(loss, metric_value)
        if verbose:
            steps = -(-len(x) // chunk)
            print(f"{steps}/{steps} - {time.perf_counter() - start:.3f}s - {format_logs(logs)}")
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ weights

    def count_params(self):
        self._require_built("count_params()")
        return int(self._engine.params.size)

    def get_weights(self):
        """Copies of [kernel_0, bias_0, kernel_1, ...] (no bias where use_bias=False)."""
        self._require_built("get_weights()")
        return [w for layer in self._layers for w in layer.get_weights()]

    def _weight_shapes(self):
        return [shape for layer in self._layers if isinstance(layer, Dense)
                for shape in layer.expected_shapes()]

    def set_weights(self, weights):
        """Replace every weight; the list is checked whole before any is written."""
        with self._lock:
            self._require_built("set_weights()")
            arrays = check_weight_list(weights, self._weight_shapes(), "set_weights()", self._dtype)
            targets = [p for layer in self._layers if isinstance(layer, Dense)
                       for p in layer._params if p is not None]
            for target, value in zip(targets, arrays):
                target[...] = value

    def _gradients(self, x, y):
        """(mean loss, gradients in get_weights order) over all of (x, y),
        without dropout and without updating anything. For tests."""
        self._require_compiled("_gradients()")
        self._require_built("_gradients()")
        x = self._inputs(x)
        y, labels = self._targets(y, len(x))
        with self._lock:
            loss_sum = self._engine.compute_gradients(x, y, labels, None,
                                                      self._objective())["loss_sum"]
            grads = [g.copy() for (dw, db) in self._engine.gradients_views if dw is not None
                     for g in ((dw, db) if db is not None else (dw,))]
        return loss_sum / len(x), grads

    # ------------------------------------------------------------ summary

    def summary(self, print_fn=None):
        """Print the layers, their output shapes and parameter counts."""
        self._require_built("summary()")
        print_fn = print_fn or print
        rows = []
        for layer in self._layers:
            rows.append((f"{layer.name} ({type(layer).__name__})",
                         str((None, self._width_after(layer))), f"{layer.count_params():,}"))
        total = self.count_params()
        widths = (33, 26, 12)
        rule = "_" * sum(widths)
        lines = [f'Model: "{self.name}"', rule,
                 f"{'Layer (type)':<{widths[0]}}{'Output Shape':<{widths[1]}}{'Param #':>{widths[2]}}",
                 "=" * sum(widths)]
        for i, (a, b, c) in enumerate(rows):
            lines.append(f"{a:<{widths[0]}}{b:<{widths[1]}}{c:>{widths[2]}}")
            lines.append("=" * sum(widths) if i == len(rows) - 1 else "")
        lines += [f"Total params: {total:,}", f"Trainable params: {total:,}",
                  "Non-trainable params: 0", rule]
        print_fn("\n".join(lines))

    def _width_after(self, target):
        width = self._n_in
        for layer in self._layers:
            width = layer.output_width(width)
            if layer is target:
                return width
        return width

    # ------------------------------------------------------------ files

    def save(self, path):
        """Write the architecture, weights, compile settings and optimizer state
        to `path` (a zip of .npy arrays plus JSON; no pickle inside), atomically:
        an existing file is replaced whole or not at all."""
        from .saving import save_model

        with self._lock:
            save_model(self, path)

    def __getstate__(self):
        from .saving import model_state

        with self._lock:
            config, arrays = model_state(self)
        return {"config": json.dumps(config), "arrays": arrays}

    def __setstate__(self, state):
        from .saving import restore

        restored = restore(json.loads(state["config"]), state["arrays"], "pickled model")
        self.__dict__.update(restored.__dict__)
        del self.__dict__["_lock"]
        lock_of(self)
        for layer in self._layers:
            layer._model = self

    def __repr__(self):
        return f"<Sequential {self.name!r}: {len(self._layers)} layers, dtype={self.dtype}>"


def unapplied_step(stats):
    """Why a training step's update was not (wholly) applied, or None."""
    if not stats["finite"]:
        return f"the loss became {stats['loss_sum'] / max(stats['weight_sum'], 1e-300)!r} " \
               f"(that batch's update was not applied)"
    if not stats["gradients_finite"]:
        return ("the gradients overflowed to NaN or infinity although the loss was finite "
                "(that batch's update was not applied; the inputs may hold very large values: "
                "scale them)")
    if stats["rejected"]:
        return (f"the update would have made {stats['rejected']} weights NaN or infinite "
                f"(those kept their values)")
    return None
