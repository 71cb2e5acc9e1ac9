"""The shared base of the callbacks that watch one logged value
(EarlyStopping, ModelCheckpoint, ReduceLROnPlateau): which way is better,
and what counts as an improvement."""
from __future__ import annotations

import operator
from typing import Any, Optional

from .._validation import check_choice, check_float, describe
from .callback import Callback

__all__ = ["MonitorCallback"]


class MonitorCallback(Callback):
    """A callback that compares a monitored value with the best so far.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logged value to watch.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better. "auto" decides at the first epoch
        end: without its ``val_`` prefix, a name containing "loss" is
        minimised; any other name must be that of a compiled metric in
        ``model.metrics``, whose ``direction`` ("up" or "down") decides.
    baseline : float, optional
        The initial ``best``.
    min_delta : float, default 0
        The smallest change that counts as an improvement (its sign is ignored).

    Raises
    ------
    TypeError
        If ``monitor`` is not a string or a number is not a number.
    ValueError
        If ``mode`` is not one of the three (at construction), or if in "auto"
        mode the direction of ``monitor`` cannot be determined (at the first
        epoch end).

    Examples
    --------
    >>> from fastmlp.callbacks.monitor_callback import MonitorCallback
    >>> watcher = MonitorCallback(monitor="loss", min_delta=0.1)
    >>> watcher._set_monitor_op()
    >>> watcher._is_improvement(0.5, 1.0), watcher._is_improvement(0.95, 1.0)
    (True, False)
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto",
                 baseline: Optional[float] = None, min_delta: float = 0.0) -> None:
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged value such as 'val_loss'; "
                            f"got {describe(monitor)}")
        self.monitor = monitor
        self.mode = check_choice(mode, "mode", ["auto", "min", "max"])
        self.best = None if baseline is None else check_float(baseline, "baseline")
        self.min_delta = abs(check_float(min_delta, "min_delta"))
        self.monitor_op: Any = None

    def _set_monitor_op(self) -> None:
        """Resolve ``monitor_op`` (``operator.lt`` to minimise, ``operator.gt`` to maximise)."""
        mode = self.mode
        if mode == "auto":
            mode = self._direction_of(self.monitor)
        self.monitor_op = operator.lt if mode == "min" else operator.gt

    def _direction_of(self, monitor: str) -> str:
        name = monitor[len("val_"):] if monitor.startswith("val_") else monitor
        if "loss" in name:
            return "min"
        for metric in self._compiled_metrics():
            if getattr(metric, "name", None) == name:
                direction = getattr(metric, "direction", getattr(metric, "_direction", None))
                if direction in ("up", "down"):
                    return "max" if direction == "up" else "min"
        raise ValueError(
            f"{type(self).__name__} callback received monitor={monitor}, but fastmlp isn't able "
            f"to automatically determine whether that metric should be maximized or minimized. "
            f"Pass `mode='max'` in order to monitor based on the highest metric value, or pass "
            f"`mode='min'` in order to use the lowest value.")

    def _compiled_metrics(self) -> list:
        """The model's metric objects, containers (objects with a ``metrics`` list) opened."""
        found = []
        for metric in getattr(self.model, "metrics", None) or []:
            inner = getattr(metric, "metrics", None)
            found.extend(inner if isinstance(inner, (list, tuple)) else [metric])
        return found

    def _is_improvement(self, current: float, reference: Optional[float]) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``;
        anything beats None."""
        if reference is None:
            return True
        if self.monitor_op is operator.lt:
            return bool(current + self.min_delta < reference)
        return bool(current - self.min_delta > reference)
