"""model.summary(): Keras 3's table, drawn as Keras draws it without colours."""
from __future__ import annotations

import shutil
from typing import Any, Optional

import numpy as np

__all__ = ["summary_text"]


def _readable(n_bytes: float) -> str:
    units = ["B", "KB", "MB", "GB", "TB"]
    i = 0
    while n_bytes >= 1024 and i < len(units) - 1:
        n_bytes /= 1024
        i += 1
    return f"{n_bytes:.2f} {units[i]}"


def _rows(model: Any, expand_nested: bool) -> list:
    """(name and type, output shape, param count, trainable mark) per layer,
    the layers of nested models indented under them with expand_nested."""
    width = model._n_in()
    if width is None and model.input_shape is not None:
        width = model.input_shape[1]
    rows: list = []
    _layer_rows(model, width, expand_nested, 0, rows)
    return rows


def _layer_rows(model: Any, width: Optional[int], expand_nested: bool, level: int,
                rows: list) -> Optional[int]:
    from ..layers import InputLayer
    from .model import Model

    prefix = "   " * level + "└ " if level else ""
    for layer in model.layers:
        label = f"{prefix}{layer.name} ({type(layer).__name__})"
        if isinstance(layer, InputLayer):
            rows.append((label, str((None,) + tuple(layer._input_shape)), "0", "-"))
            continue
        if width is None:
            rows.append((label, "?", "0 (unbuilt)", "-"))
            continue
        nested = isinstance(layer, Model)
        count = sum(l.count_params() for l in layer._weight_owners()) if nested else \
            layer.count_params()
        mark = "-" if not layer.weight_specs(1) and not nested else \
            ("Y" if layer.trainable else "N")
        rows.append((label, str((None, layer.output_width(width))), f"{count:,}", mark))
        if expand_nested and nested:
            _layer_rows(layer, width, expand_nested, level + 1, rows)
        width = layer.output_width(width)
    return width


def _fit_widths(widths: list, line_length: int) -> list:
    """Column widths (between the bars) once the n + 1 bars are taken out of
    line_length: the excess shared out column by column with rounding, the
    way rich (which draws Keras's table) reduces fixed-width columns."""
    excess, remaining = sum(widths) + len(widths) + 1 - line_length, len(widths)
    out = []
    for w in widths:
        share = min(w, round(excess / remaining)) if excess > 0 else 0
        out.append(w - share)
        excess -= share
        remaining -= 1
    return out


def _fit(text: str, width: int) -> list:
    """text in lines of at most `width` characters, broken at spaces; a word
    too long for a line is cut with an ellipsis (as rich draws Keras's table)."""
    lines: list = []
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _box(widths: list, rows: list, header: list, align: list) -> list:
    def border(left, fill, mid, end):
        """A horizontal rule of the box: `left`, each column's width of `fill`
        joined by `mid`, then `end`."""
        return left + mid.join(fill * w for w in widths) + end

    def cells(values, bar, wrap=True):
        """The text lines of one table row: each value wrapped (or cut) to its
        column's width, the columns separated by `bar`."""
        columns = []
        for value, w in zip(values, widths):
            inner = w - 2
            if wrap:
                columns.append(_fit(value, inner))
            else:
                columns.append([value if len(value) <= inner else value[:inner - 1] + "…"])
        height = max(len(c) for c in columns)
        out = []
        for k in range(height):
            parts = []
            for c, w, how in zip(columns, widths, align):
                text = c[k] if k < len(c) else ""
                text = {"right": text.rjust, "center": text.center}.get(how, text.ljust)(w - 2)
                parts.append(" " + text + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    lines = [border("┏", "━", "┳", "┓")]
    lines += cells(header, "┃", wrap=False)
    lines.append(border("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        lines += cells(row, "│")
        lines.append(border("├", "─", "┼", "┤") if i < len(rows) - 1 else border("└", "─", "┴", "┘"))
    if not rows:
        lines.append(border("└", "─", "┴", "┘"))
    return lines


def _optimizer_params(model: Any, trainable: int) -> Optional[int]:
    """What Keras counts for a built optimizer: iterations and learning rate,
    plus its slots per trainable parameter."""
    net = model._net
    if model.optimizer is None or net is None or net.engine.optimizer_slots() is None:
        return None
    if net.engine.iterations == 0:
        return None
    from ..optimizers import SGD, Adam, RMSprop

    opt = model.optimizer
    slots = 0
    if isinstance(opt, Adam):
        slots = 2
    elif isinstance(opt, RMSprop):
        slots = 2 if opt.momentum > 0 else 1
    elif isinstance(opt, SGD):
        slots = 1 if opt.momentum > 0 else 0
    return 2 + slots * trainable


def summary_text(model: Any, line_length: Optional[int] = None, positions: Any = None,
                 expand_nested: bool = False, show_trainable: bool = False) -> str:
    """The text of ``Model.summary``: Keras 3's table of layers, with the totals.

    The title ``Model: "name"``, a box of rows (layer name and type, output
    shape, parameter count, and with `show_trainable` a Trainable column),
    then the total, trainable and non-trainable parameter counts with their
    sizes in the model's dtype, and the optimizer's count once it has taken a
    step.

    Parameters
    ----------
    model : Model
        The model to describe.
    line_length : int, optional
        The table's width; default 88 (100 with `show_trainable`), at most
        the terminal's width less 4.
    positions : list of float, optional
        Where the columns end, as fractions of `line_length`; default
        ``[0.45, 0.80, 1.0]``.
    expand_nested : bool, default False
        Show the layers of nested models too.
    show_trainable : bool, default False
        Add a column saying whether each layer is trainable.

    Returns
    -------
    str
        The lines joined by newlines, without a final newline.
    """
    default_length = 88
    positions = list(positions or [0.45, 0.80, 1.0])
    header = ["Layer (type)", "Output Shape", "Param #"]
    align = ["left", "left", "right"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    if line_length is None:
        columns = shutil.get_terminal_size((80, 24)).columns
        line_length = min(default_length, columns - 4)
    stops = [int(line_length * p) for p in positions]
    widths = _fit_widths([b - a for a, b in zip([0] + stops[:-1], stops)], line_length)
    rows = _rows(model, expand_nested)
    rows = [r if show_trainable else r[:3] for r in rows]
    lines = [f'Model: "{model.name}"'] + _box(widths, rows, header, align)
    itemsize = np.dtype(model.dtype).itemsize
    built = model.built
    trainable = non_trainable = 0
    if built:
        for v in model.weights:
            size = int(np.prod(v.shape))
            if v.trainable and model.trainable:
                trainable += size
            else:
                non_trainable += size
    optimizer = _optimizer_params(model, trainable) if built else None
    total = trainable + non_trainable + (optimizer or 0)
    lines.append(f" Total params: {total:,} ({_readable(total * itemsize)})")
    lines.append(f" Trainable params: {trainable:,} ({_readable(trainable * itemsize)})")
    lines.append(f" Non-trainable params: {non_trainable:,} ({_readable(non_trainable * itemsize)})")
    if optimizer is not None:
        lines.append(f" Optimizer params: {optimizer:,} ({_readable(optimizer * itemsize)})")
    return "\n".join(lines)
