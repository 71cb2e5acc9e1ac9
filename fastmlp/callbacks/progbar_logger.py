"""The progress display that fit, evaluate and predict add for `verbose`:
ProgressBar (fastmlp's name, which also takes the verbosity and a stream) and
ProgbarLogger (Keras's, without arguments)."""
from __future__ import annotations

import time
from typing import Optional, TextIO, Union

from .callback import Callback, Logs
from .progbar import Display, Progbar, choose_display, format_value

__all__ = ["ProgressBar", "ProgbarLogger", "inference_bar", "format_logs"]


def _display_order(logs: dict) -> list:
    """Training keys sorted, then the ``val_`` keys sorted (Keras's order on the bar)."""
    train = sorted(k for k in logs if not k.startswith("val_"))
    return train + sorted(k for k in logs if k.startswith("val_"))


def format_logs(logs: Logs) -> str:
    """Logged values as the bar shows them after the timing.

    Parameters
    ----------
    logs : dict or None

    Returns
    -------
    str
        ``"accuracy: 0.8512 - loss: 0.4213 - val_accuracy: 0.8400 - val_loss: 0.4502"``:
        training keys sorted, then ``val_`` keys sorted; ``%.4f``, or ``%.4e``
        at or below 1e-3 in magnitude.

    Examples
    --------
    >>> format_logs({"loss": 0.42131, "val_loss": 0.5, "accuracy": 0.85})
    'accuracy: 0.8500 - loss: 0.4213 - val_loss: 0.5000'
    """
    logs = logs or {}
    return " - ".join(f"{key}: {format_value(logs[key])}" for key in _display_order(logs))


def _check_verbose(verbose: object) -> None:
    if verbose is not None and verbose != "auto" and verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2, 'auto' or None; got {verbose!r}")


class ProgressBar(Callback):
    """The progress display, in Keras 3's look.

    ``verbose=1``: per epoch (or evaluate / predict call) a bar
    ``469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.8512 - loss: 0.4213``
    with the ETA in place of the elapsed time while it runs, the time per
    step without the first step, the training values sorted, then the
    ``val_`` values sorted. On a terminal the bar is redrawn in place (``\\r``,
    Keras's colours); elsewhere (a file, a pipe, a captured stream) only the
    final line of each epoch is written, without escape codes. ``verbose=2``:
    one plain line per epoch, ``469/469 - 3s - 6ms/step - accuracy: ...``.
    Fit's epochs are preceded by ``Epoch 3/10`` unless there is only one.
    Inside fit, the validation pass shows no bar of its own (its values end
    the epoch's line).

    Parameters
    ----------
    verbose : {0, 1, 2, "auto"}, optional
        Default: ``params["verbose"]`` ("auto" means 1).
    stream : text stream, optional
        Default: ``sys.stdout`` at each write.

    Attributes
    ----------
    progbar : Progbar or None
        The current bar; its ``display`` is the strategy that draws it
        (chosen per bar by `fastmlp.callbacks.progbar.choose_display`).

    Examples
    --------
    >>> import io
    >>> from fastmlp.callbacks import ProgressBar
    >>> out = io.StringIO()
    >>> bar = ProgressBar(2, stream=out)
    >>> bar.set_params({"verbose": 2, "epochs": 1, "steps": 4})
    >>> bar.on_train_begin(); bar.on_epoch_begin(0)
    >>> bar.on_epoch_end(0, {"loss": 0.25})
    >>> out.getvalue().startswith("4/4 - 0s - ")
    True
    """

    WIDTH = 20
    INTERVAL = 0.05  # seconds between two live redraws
    clock = staticmethod(time.perf_counter)

    def __init__(self, verbose: Union[int, str, None] = None,
                 stream: Optional[TextIO] = None) -> None:
        super().__init__()
        _check_verbose(verbose)
        self._given_verbose = verbose
        self.verbose = 1 if verbose in (None, "auto") else verbose
        self.stream = stream
        self.epochs = 1
        self.target: Optional[int] = None
        self.seen = 0
        self.progbar: Optional[Progbar] = None
        self._called_in_fit = False

    def set_params(self, params: dict) -> None:
        """Take the run's parameters: verbosity, number of epochs and steps.

        The verbosity given to the constructor wins; without one,
        ``params["verbose"]`` is used ("auto" means 1). ``params["steps"]``
        is the bar's target (None when unknown).

        Parameters
        ----------
        params : dict
            ``{"verbose": ..., "epochs": ..., "steps": ...}``.
        """
        super().set_params(params)
        verbose = self._given_verbose
        if verbose is None:
            verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    @property
    def _display(self) -> Optional[Display]:
        return None if self.progbar is None else self.progbar.display

    def _reset(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(self.target, width=self.WIDTH, verbose=self.verbose,
                                   interval=self.INTERVAL, display=choose_display(self.stream),
                                   clock=self.clock)

    def _update(self, batch: int, logs: Logs) -> None:
        self._maybe_init()
        self.seen = batch + 1
        # a display that shows only the final frame needs the first step alone (it fixes
        # the order of the values and the start of the time per step)
        if self.verbose == 1 and (self.progbar.display.live or self.seen == 1):
            self.progbar.update(self.seen, sorted((logs or {}).items()), finalize=False)

    def _finalize(self, logs: Logs) -> None:
        self._maybe_init()
        if self.target is None:
            self.target = self.progbar.target = self.seen
        logs = logs or {}
        self.progbar.update(self.target, [(k, logs[k]) for k in _display_order(logs)],
                            finalize=True)

    # fit
    def on_train_begin(self, logs: Logs = None) -> None:
        """Note that ``fit`` is running, so its validation pass shows no bar.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self._called_in_fit = True  # fit's validation pass stays silent

    def on_train_end(self, logs: Logs = None) -> None:
        """Note that ``fit`` has ended, so a later ``evaluate`` shows its bar.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Start a new bar for the epoch.

        When the verbosity is not 0 and ``fit`` runs more than one epoch, it
        first writes ``Epoch i/n`` (1-based).

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            Unused.
        """
        self._reset()
        self._maybe_init()
        if self.verbose and self.epochs > 1:
            self.progbar.display.message(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Advance the bar to the batch, showing the running values.

        With ``verbose=1`` the frame is drawn on a live display (a terminal
        or notebook); elsewhere only the first step is recorded.

        Parameters
        ----------
        batch : int
            The batch's index within the epoch, 0-based.
        logs : dict, optional
            The running values of the epoch.
        """
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Finish the epoch's bar with its values, ``val_`` ones last.

        When the number of steps was unknown, the batches seen become the target.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The epoch's values.
        """
        self._finalize(logs)

    # evaluate (outside fit)
    def on_test_begin(self, logs: Logs = None) -> None:
        """Start a bar for ``evaluate``; nothing happens inside ``fit``.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        if not self._called_in_fit:
            self._reset()
            self._maybe_init()

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Advance the evaluation bar to the batch; nothing happens inside ``fit``.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            The running values of the evaluation.
        """
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: Logs = None) -> None:
        """Finish the evaluation bar with the final values; nothing happens inside ``fit``.

        Parameters
        ----------
        logs : dict, optional
            The evaluation's values.
        """
        if not self._called_in_fit:
            self._finalize(logs)

    # predict
    def on_predict_begin(self, logs: Logs = None) -> None:
        """Start a bar for ``predict``.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self._reset()
        self._maybe_init()

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Advance the prediction bar to the batch; the outputs are not shown.

        Parameters
        ----------
        batch : int
            The batch's index, 0-based.
        logs : dict, optional
            The batch's outputs, ignored.
        """
        self._update(batch, None)  # the outputs are not shown

    def on_predict_end(self, logs: Logs = None) -> None:
        """Finish the prediction bar.

        Parameters
        ----------
        logs : dict, optional
            Values to show after the timing, if any.
        """
        self._finalize(logs)


class ProgbarLogger(ProgressBar):
    """Keras's name for the progress display: takes no arguments and reads
    the verbosity from the run's ``params``. ``fit(callbacks=[ProgbarLogger()])``
    uses this one instead of adding its own.

    Examples
    --------
    >>> import fastmlp as fm
    >>> callbacks = [fm.callbacks.ProgbarLogger()]
    """

    def __init__(self) -> None:
        super().__init__()


def inference_bar(verbose: Union[int, str], steps: Optional[int],
                  stream: Optional[TextIO] = None) -> ProgressBar:
    """The bar of an ``evaluate`` or ``predict`` call, ready for its hooks.

    Call ``on_test_begin()``, ``on_test_batch_end(i, logs)`` per batch (or
    none), then ``on_test_end(logs)`` — or the ``on_predict_*`` hooks. With
    ``verbose=0`` it shows nothing, so callers need not test it.

    Parameters
    ----------
    verbose : {0, 1, 2, "auto"}
    steps : int or None
        Batches in the call.
    stream : text stream, optional

    Returns
    -------
    ProgressBar

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = inference_bar(2, 4, stream=out)
    >>> bar.on_test_begin()
    >>> bar.on_test_end({"loss": 0.7879, "accuracy": 0.53})
    >>> out.getvalue().split(" - ")[-2:]
    ['accuracy: 0.5300', 'loss: 0.7879\\n']
    """
    bar = ProgressBar(verbose, stream=stream)
    bar.set_params({"verbose": verbose, "epochs": 1, "steps": steps})
    return bar
