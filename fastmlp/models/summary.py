"""model.summary(): Keras 3's table, drawn as Keras draws it without colours."""
from __future__ import annotations

import shutil
import textwrap
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


def _rows(model: Any, expand_nested: bool, show_trainable: bool) -> list:
    """(name and type, output shape, param count, trainable mark) per layer."""
    from ..layers import InputLayer
    from .model import Model

    rows = []
    layers = model.layers
    width = model._n_in()
    if width is None and model.input_shape is not None:
        width = model.input_shape[1]
    for layer in layers:
        label = f"{layer.name} ({type(layer).__name__})"
        if isinstance(layer, InputLayer):
            rows.append((label, str((None,) + tuple(layer._input_shape)), "0", "-"))
            continue
        if width is None:
            rows.append((label, "?", "0 (unbuilt)", "-"))
            continue
        width = layer.output_width(width)
        if isinstance(layer, Model):
            count = sum(l.count_params() for l in layer._weight_owners())
        else:
            count = layer.count_params()
        mark = "-" if not layer.weight_specs(1) and not isinstance(layer, Model) else \
            ("Y" if layer.trainable else "N")
        rows.append((label, str((None, width)), f"{count:,}", mark))
        if expand_nested and isinstance(layer, Model):
            for inner in layer._flat():
                rows.append(("   └ " + f"{inner.name} ({type(inner).__name__})", "", 
                             f"{inner.count_params():,}", "Y" if inner.trainable else "N"))
    return rows


def _box(widths: list, rows: list, header: list, right: set) -> list:
    def border(left, fill, mid, end):
        return left + mid.join(fill * w for w in widths) + end

    def cells(values, bar, wrap=True):
        columns = []
        for i, (value, w) in enumerate(zip(values, widths)):
            inner = w - 2
            lines = textwrap.wrap(value, inner, break_long_words=True) if wrap and value else [value]
            columns.append(lines or [""])
        height = max(len(c) for c in columns)
        out = []
        for k in range(height):
            parts = []
            for i, (c, w) in enumerate(zip(columns, widths)):
                text = c[k] if k < len(c) else ""
                text = text.rjust(w - 2) if i in right else text.ljust(w - 2)
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
    if line_length is None:
        columns = shutil.get_terminal_size((80, 24)).columns
        line_length = min(88, columns - 4)
    positions = positions or [0.45, 0.80, 1.0]
    if show_trainable:
        line_length += 11
        positions = [p * (line_length - 11) / line_length for p in positions] + [1.0]
    stops = [int(line_length * p) for p in positions]
    widths = [b - a for a, b in zip([0] + stops[:-1], stops)]
    # the border characters come out of the columns: 1 from the first and last, 2 between
    widths = [w - (1 if i in (0, len(widths) - 1) else 2) for i, w in enumerate(widths)]
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Trainable"] if show_trainable else [])
    rows = _rows(model, expand_nested, show_trainable)
    rows = [r if show_trainable else r[:3] for r in rows]
    lines = [f'Model: "{model.name}"'] + _box(widths, rows, header, {2})
    itemsize = np.dtype(model.dtype).itemsize
    built = model._n_in() is not None and model._net is not None
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
