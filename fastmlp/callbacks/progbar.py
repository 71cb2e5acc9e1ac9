"""The progress bar that fit, evaluate and predict show, in Keras 3's look:

    469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.8512 - loss: 0.4213

`Progbar` turns progress into `Frame`s (what one state of the bar shows); a
`Display` strategy decides which frames appear and how:

- `PlainDisplay` (a file, a pipe, a captured stream): only the final frame of
  each bar, as plain text, one line per epoch. A deliberate difference from
  Keras, which writes every frame with \\r, \\b and ANSI colours everywhere.
- `TerminalDisplay` (a tty): every frame, redrawn in place with \\r and
  coloured as Keras colours it.
- `NotebookDisplay` (Jupyter and the other front ends of an IPython
  kernel: JupyterLab, Notebook, VS Code, Colab, qtconsole): every frame,
  redrawn in place, as Keras 3 draws it there. Keras's Progbar decides on a
  "dynamic display" when ``"ipykernel" in sys.modules`` (or stdout is a
  tty, or ``"posix" in sys.modules``, which holds on every Linux and macOS)
  and then writes each frame to stdout after ``\\b``s and a ``\\r``, with
  ANSI colours; it does not use IPython.display or clear_output. The front
  ends apply ``\\r`` to the stream text (the line is overwritten, character
  by character as on a terminal) and render the colours, so the bar updates
  in place. fastmlp writes the same frames, ``\\r`` and padding as on a
  terminal, but only when stdout is the kernel's own stream (ipykernel's
  OutStream): output captured inside a notebook (``%%capture``,
  ``contextlib.redirect_stdout``) gets the plain, one-line-per-epoch text.
"""
from __future__ import annotations

import numbers
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, List, Optional, TextIO, Tuple

__all__ = ["Progbar", "Frame", "Display", "PlainDisplay", "TerminalDisplay", "NotebookDisplay",
           "choose_display", "format_value", "format_eta", "format_per_step", "CELL"]

CELL = "\u2501"  # ━, the bar's cell; filled cells are green and empty ones white on a terminal
_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def format_value(value: Any, verbose: int = 1) -> str:
    """A logged value as the bar shows it: ``%.4f`` above 1e-3 in magnitude,
    ``%.4e`` otherwise (verbose=2 compares the signed value, as Keras does, so
    negative values come out in ``e`` notation there).

    Examples
    --------
    >>> format_value(0.42131), format_value(0.0005), format_value(-0.5), format_value(-0.5, 2)
    ('0.4213', '5.0000e-04', '-0.5000', '-5.0000e-01')
    """
    if not isinstance(value, numbers.Real):
        return str(value)
    value = float(value)
    size = abs(value) if verbose == 1 else value
    return f"{value:.4f}" if size > 1e-3 else f"{value:.4e}"


def format_eta(seconds: float) -> str:
    """The time left, as Keras shows it: ``42s``, ``1:05`` past a minute,
    ``1:00:05`` past an hour (whole seconds, truncated).

    Examples
    --------
    >>> format_eta(42.9), format_eta(65), format_eta(3605)
    ('42s', '1:05', '1:00:05')
    """
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def format_per_step(seconds: float, unit: str = "step") -> str:
    """The time per step with its leading space: `` 2s/step``, `` 6ms/step``, `` 849us/step``.

    Examples
    --------
    >>> format_per_step(0.0062), format_per_step(0.000849), format_per_step(0)
    (' 6ms/step', ' 849us/step', ' 0s/step')
    """
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1000.0:.0f}ms/{unit}"
    return f" {seconds * 1000000.0:.0f}us/{unit}"


@dataclass
class Frame:
    """One state of a bar: everything a display needs to draw it.

    ``time`` is the ETA while running and the elapsed time (``0s``) when
    final; ``per_step`` comes from `format_per_step`; ``values`` are the
    logged (name, value) pairs in display order.
    """
    current: int
    target: Optional[int]
    time: str
    per_step: str
    values: List[Tuple[str, Any]] = field(default_factory=list)
    verbose: int = 1
    final: bool = False
    width: int = 20

    @property
    def filled(self) -> int:
        """The number of bar cells drawn as done: ``width * current / target``, truncated.

        int; 0 when the target is unknown (None or 0).
        """
        return int(self.width * (float(self.current) / self.target)) if self.target else 0

    def _counter(self) -> str:
        if not self.target:
            return "%7d/Unknown" % self.current
        return f"{self.current:{len(str(self.target))}d}/{self.target}"

    def _values_text(self) -> str:
        return "".join(f" - {k}: {format_value(v, self.verbose)}" for k, v in self.values)

    def plain(self) -> str:
        """The frame as text without escape codes.

        With ``verbose=2``: ``counter - time -per_step`` then the values; else
        the counter, the bar's cells (when the target is known), the time, the
        time per step and the values.

        Returns
        -------
        str
            One line, without a newline.
        """
        if self.verbose == 2:
            return f"{self._counter()} - {self.time} -{self.per_step}{self._values_text()}"
        bar = ""
        if self.target:
            bar = " " + CELL * self.width
        return f"{self._counter()}{bar} {self.time}{self.per_step}{self._values_text()}"

    def styled(self) -> str:
        """The frame with Keras's ANSI styling (bold counter and time, green/white cells).

        With ``verbose=2`` it is the plain text. Its visible text is that of
        `plain`.

        Returns
        -------
        str
            One line with escape codes, without a newline.
        """
        if self.verbose == 2:
            return self.plain()
        if self.target:
            filled, empty = self.filled, self.width - self.filled
            head = f"{_BOLD}{self._counter()}{_RESET} "
            if filled > 0:
                head += f"{_GREEN}{CELL * filled}{_RESET}"
            head += f"{_WHITE}{CELL * empty}{_RESET}"
        else:
            head = self._counter()
        return f"{head} {_BOLD}{self.time}{_RESET}{self.per_step}{self._values_text()}"


class Display:
    """Where and how frames appear; the base writes nothing live.

    Parameters
    ----------
    stream : text stream, optional
        Default: ``sys.stdout`` as it is at each write.
    """
    live = False  # whether intermediate frames are shown

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream

    def _write(self, text: str) -> None:
        out = self.stream if self.stream is not None else sys.stdout
        out.write(text)
        out.flush()

    def message(self, text: str) -> None:
        """Write a line of its own, such as ``Epoch 2/10``.

        Parameters
        ----------
        text : str
            The line, without its newline (one is added).
        """
        self._write(text + "\n")

    def update(self, frame: Frame) -> None:
        """Show an intermediate frame; the base display ignores it.

        Subclasses whose ``live`` is True draw it.

        Parameters
        ----------
        frame : Frame
            The bar's current state.
        """

    def finish(self, frame: Frame) -> None:
        """Write the bar's final frame, as plain text on a line of its own.

        Parameters
        ----------
        frame : Frame
            The bar's last state.
        """
        self._write(frame.plain() + "\n")


class PlainDisplay(Display):
    """Final frames only, as plain text: one line per bar.

    It is the display for streams that are not a terminal or a notebook
    (a file, a pipe, a captured stream): intermediate frames are dropped
    and no escape codes are written.

    Parameters
    ----------
    stream : text stream, optional
        Default: ``sys.stdout`` as it is at each write.
    """


class TerminalDisplay(Display):
    """Every frame, redrawn in place with ``\\r`` (padded to erase a longer
    previous frame) and coloured as Keras colours it."""
    live = True

    def __init__(self, stream: Optional[TextIO] = None) -> None:
        super().__init__(stream)
        self._width = 0  # visible width of the frame on screen

    def _draw(self, frame: Frame, end: str) -> None:
        width = len(frame.plain())
        padding = " " * max(0, self._width - width)
        self._width = 0 if end else width
        self._write("\r" + frame.styled() + padding + end)

    def update(self, frame: Frame) -> None:
        """Redraw the line in place with an intermediate frame.

        Only ``verbose=1`` frames are drawn; ``verbose=2`` shows final lines
        alone.

        Parameters
        ----------
        frame : Frame
            The bar's current state.
        """
        if frame.verbose == 1:
            self._draw(frame, "")

    def finish(self, frame: Frame) -> None:
        """Draw the bar's final frame and end its line.

        A ``verbose=1`` frame is redrawn in place, styled, then followed by a
        newline; a ``verbose=2`` frame is written as a plain line.

        Parameters
        ----------
        frame : Frame
            The bar's last state.
        """
        if frame.verbose == 2:
            super().finish(frame)
        else:
            self._draw(frame, "\n")


class NotebookDisplay(TerminalDisplay):
    """The stdout of a Jupyter kernel: every frame redrawn in place, as Keras 3
    draws it there. The front end (JupyterLab, Notebook, VS Code, Colab)
    overwrites the line at each ``\\r`` and renders the ANSI colours, so the
    frames are the terminal's."""


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def in_notebook() -> bool:
    """Whether ``sys.stdout`` is the stream of a running Jupyter kernel.

    True inside an IPython kernel (ipykernel imported, ``get_ipython()`` a
    shell with a ``kernel``) while ``sys.stdout`` is ipykernel's ``OutStream``,
    the stream whose text the front end shows; False in a plain interpreter,
    in a terminal IPython, and for output redirected inside a kernel.
    Nothing is imported: a process that never imported ipykernel is not a
    kernel.
    """
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    get_ipython = getattr(sys.modules["IPython"], "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    out_stream = getattr(sys.modules.get("ipykernel.iostream"), "OutStream", None)
    return isinstance(out_stream, type) and isinstance(sys.stdout, out_stream)


def choose_display(stream: Optional[TextIO] = None) -> Display:
    """The display for a bar written to ``stream`` (default ``sys.stdout``):
    terminal (a tty), notebook (``sys.stdout`` of a Jupyter kernel, see
    `in_notebook`) or plain (anything else: a file, a pipe, a captured stream).

    Examples
    --------
    >>> import io
    >>> type(choose_display(io.StringIO())).__name__
    'PlainDisplay'
    """
    out = stream if stream is not None else sys.stdout
    if _is_terminal(out):
        return TerminalDisplay(stream)
    if stream is None and in_notebook():
        return NotebookDisplay(stream)
    return PlainDisplay(stream)


class Progbar:
    """Progress towards ``target`` steps, rendered as Keras 3's bar.

    The values given are shown as given (the callers pass running means), in
    the order first seen. The time per step leaves out the first step (it
    carries one-off costs), as Keras's estimate does: after step k > 1 it is
    (now - end of step 1) / (k - 1).

    Parameters
    ----------
    target : int or None
        The number of steps, None if unknown.
    width : int, default 20
        Cells in the bar.
    verbose : {0, 1, 2}, default 1
        0 shows nothing; 1 the bar (live where the display is); 2 one plain
        line when the bar is finished.
    interval : float, default 0.05
        Minimum seconds between two intermediate frames.
    unit_name : str, default "step"
    display : Display, optional
        Default: `choose_display()`.
    clock : callable, default time.perf_counter
        Seconds, for tests.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progbar(4, display=PlainDisplay(out))
    >>> for step in range(1, 5):
    ...     bar.update(step, [("loss", 0.5)])
    >>> out.getvalue().startswith("4/4 ━━━━━━━━━━━━━━━━━━━━ 0s ")
    True
    """

    def __init__(self, target: Optional[int], width: int = 20, verbose: int = 1,
                 interval: float = 0.05, unit_name: str = "step",
                 display: Optional[Display] = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.display = display if display is not None else choose_display()
        self.clock = clock
        self._values: dict = {}
        self._order: List[str] = []
        self._start = clock()
        self._last_update: Optional[float] = None
        self._time_after_first_step: Optional[float] = None

    def update(self, current: int, values: Optional[Iterable[Tuple[str, Any]]] = None,
               finalize: Optional[bool] = None) -> None:
        """Record progress: ``current`` steps done, with (name, value) pairs.

        ``finalize`` (default: ``current >= target``) draws the final frame."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for key, value in values or ():
            if key not in self._values:
                self._order.append(key)
            self._values[key] = value
        now = self.clock()
        per_step = self._estimate_step_duration(current, now)
        if not self.verbose:
            return
        if not finalize:
            if self.verbose != 1 or not self.display.live:
                return
            if self._last_update is not None and now - self._last_update < self.interval:
                return
        self._last_update = now
        if self.verbose == 2 and not (self.target and self.target > 0):
            return  # Keras prints nothing at verbose=2 without a known target
        frame = self._frame(current, now, per_step, finalize)
        if finalize:
            self.display.finish(frame)
        else:
            self.display.update(frame)

    def _frame(self, current: int, now: float, per_step: float, final: bool) -> Frame:
        known = self.target is not None and self.target > 0
        if known and not final:
            shown_time = format_eta(per_step * (self.target - current))
        else:
            shown_time = f"{now - self._start:.0f}s"
        return Frame(current, self.target if known else None, shown_time,
                     format_per_step(per_step, self.unit_name),
                     [(k, self._values[k]) for k in self._order], self.verbose, final, self.width)

    def _estimate_step_duration(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step
