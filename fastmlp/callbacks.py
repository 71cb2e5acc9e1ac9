"""Callbacks: History, EarlyStopping, TerminateOnNaN, LearningRateScheduler,
and the progress display that fit's `verbose` adds, with Keras's hooks."""
import math
import sys
import time
import warnings

import numpy as np

from ._validation import check_bool, check_choice, check_float, check_int, describe


class Callback:
    """Base class: override the hooks you need. `self.model` is the model
    being trained, `self.params` holds {"epochs", "steps", "verbose"}."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
        return call


def check_callbacks(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of Callback objects; got {describe(callbacks)}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks[{i}] must be a fastmlp Callback; got {describe(cb)}")
    return list(callbacks)


class History(Callback):
    """Records the epoch logs: history = {"loss": [...], "accuracy": [...], ...}."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than `min_delta`
    for `patience` epochs; optionally restores the best epoch's weights."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a metric name such as 'val_loss'; got {describe(monitor)}")
        self.monitor = monitor
        self.min_delta = abs(check_float(min_delta, "min_delta"))
        self.patience = check_int(patience, "patience", minimum=0)
        self.verbose = check_int(verbose, "verbose", minimum=0)
        mode = check_choice(mode, "mode", ["auto", "min", "max"])
        if mode == "auto":
            mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
        self.mode = mode
        self.baseline = None if baseline is None else check_float(baseline, "baseline")
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")
        self.start_from_epoch = check_int(start_from_epoch, "start_from_epoch", minimum=0)

    def _improves(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping monitors {self.monitor!r}, which is not among the logged "
                          f"values {sorted(logs or {})}", RuntimeWarning, stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite. (fit already
    does so for the loss; this makes it explicit, as in Keras.)"""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: invalid loss, terminating training")
            self.model.stop_training = True


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate to schedule(epoch, lr) at each epoch's start."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(epoch, lr); got {describe(schedule)}")
        self.schedule = schedule
        self.verbose = check_int(verbose, "verbose", minimum=0)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        optimizer.learning_rate = self.schedule(epoch, optimizer.learning_rate)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{optimizer.learning_rate}.")


def format_logs(logs):
    parts = []
    for key, value in logs.items():
        if isinstance(value, (float, np.floating)) and abs(value) < 1e-3 and value != 0:
            parts.append(f"{key}: {value:.4e}")
        else:
            parts.append(f"{key}: {value:.4f}")
    return " - ".join(parts)


def _format_duration(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


def _format_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgressBar(Callback):
    """fit's display. verbose=1: a bar per epoch, updated live on a terminal
    or notebook (only the final line elsewhere); verbose=2: one line per epoch."""

    WIDTH = 30
    INTERVAL = 0.05  # seconds between live updates

    def __init__(self, verbose, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream

    def _out(self):
        return self.stream or sys.stdout

    def _live(self):
        out = self._out()
        return (hasattr(out, "isatty") and out.isatty()) or "ipykernel" in sys.modules

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self._out())
        self.start = time.perf_counter()
        self.last_update = 0.0
        self.last_width = 0

    def _bar(self, done, total):
        digits = len(str(total))
        filled = int(self.WIDTH * done / total)
        arrow = ">" if filled < self.WIDTH else ""
        body = "=" * filled + arrow + "." * (self.WIDTH - filled - len(arrow))
        return f"{done:{digits}d}/{total} [{body}]"

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose != 1 or not self._live():
            return
        now = time.perf_counter()
        steps = self.params["steps"]
        if now - self.last_update < self.INTERVAL and batch + 1 < steps:
            return
        self.last_update = now
        elapsed = now - self.start
        eta = elapsed / (batch + 1) * (steps - batch - 1)
        line = f"{self._bar(batch + 1, steps)} - ETA: {_format_duration(eta)} - {format_logs(logs or {})}"
        self._write_live(line)

    def _write_live(self, line):
        out = self._out()
        padding = " " * max(0, self.last_width - len(line))
        out.write("\r" + line + padding)
        out.flush()
        self.last_width = len(line)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        steps = self.params["steps"]
        timing = f"{_format_duration(elapsed)} {_format_per_step(elapsed / max(steps, 1))}"
        if self.verbose == 1:
            line = f"{self._bar(steps, steps)} - {timing} - {format_logs(logs or {})}"
            if self._live():
                self._write_live(line)
                self._out().write("\n")
            else:
                print(line, file=self._out())
        else:
            print(f"{steps}/{steps} - {timing} - {format_logs(logs or {})}", file=self._out())
        self._out().flush()
