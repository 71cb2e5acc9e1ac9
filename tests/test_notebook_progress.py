"""The progress bar in Jupyter: detection of a kernel's stdout and the live,
redrawn-in-place frames (as Keras 3 writes them there), tested in a fake
IPython environment; one smoke test in a real kernel when ipykernel and
nbclient are installed."""
import ast
import contextlib
import io
import json
import os
import re
import sys
import types

import numpy as np
import pytest

import fastmlp as fm
from fastmlp.callbacks import ProgressBar
from fastmlp.callbacks.progbar import (CELL, NotebookDisplay, PlainDisplay, TerminalDisplay,
                                       choose_display, in_notebook)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def render(text):
    """What a Jupyter front end shows for a stream's text: JupyterLab's
    removeOverwrittenChars (a \\r moves to the line's start and the next text
    overwrites the raw characters one by one, escapes included), then the
    ANSI colours turned into styling (stripped here)."""
    text = re.sub(r"\r+\n", "\n", text)
    lines = []
    for line in text.split("\n"):
        shown = ""
        for piece in line.split("\r"):
            shown = piece + shown[len(piece):]
        lines.append(shown)
    return ANSI.sub("", "\n".join(lines))


class KernelStream(io.StringIO):
    """Stands for ipykernel.iostream.OutStream: not a tty."""

    def isatty(self):
        return False


@pytest.fixture
def kernel(monkeypatch):
    """A fake IPython kernel: the modules Jupyter loads and a shell with a
    kernel. Yields the kernel's stream, to be made sys.stdout in the test with
    `as_stdout` (pytest's capturing resets sys.stdout after the fixtures)."""
    ipykernel = types.ModuleType("ipykernel")
    iostream = types.ModuleType("ipykernel.iostream")
    iostream.OutStream = KernelStream
    ipykernel.iostream = iostream
    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "ipykernel", ipykernel)
    monkeypatch.setitem(sys.modules, "ipykernel.iostream", iostream)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    stream = KernelStream()
    stream.shell = shell
    yield stream


as_stdout = contextlib.redirect_stdout


@pytest.fixture
def every_batch(monkeypatch):
    """A live display draws every batch (no 50 ms interval between frames)."""
    monkeypatch.setattr(ProgressBar, "INTERVAL", 0.0)


def small_model():
    fm.set_random_seed(0)
    model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"),
                           fm.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    return model, x, y


def final_line(history, epoch, steps=8):
    """The bar's last frame for an epoch, as plain text, with the history's values."""
    values = " - ".join(f"{key}: {history.history[key][epoch]:.4f}"
                        for key in sorted(history.history))
    return re.compile(rf"{steps}/{steps} {CELL * 20} \d+s \d+(s|ms|us)/step - "
                      + re.escape(values) + r" *$")


def test_detection_in_a_kernel(kernel, monkeypatch):
    with as_stdout(kernel):
        assert in_notebook()
        assert type(choose_display()) is NotebookDisplay
        # an explicit stream is that stream, even inside a kernel
        assert type(choose_display(io.StringIO())) is PlainDisplay
        # output redirected inside the kernel (%%capture, redirect_stdout) is not the front end's
        with contextlib.redirect_stdout(io.StringIO()):
            assert not in_notebook()
            assert type(choose_display()) is PlainDisplay
        assert in_notebook()
        # a shell without a kernel (terminal IPython), or no shell at all
        monkeypatch.setattr(kernel.shell, "kernel", None)
        assert not in_notebook()
        monkeypatch.setattr(sys.modules["IPython"], "get_ipython", lambda: None)
        assert not in_notebook()


def test_no_kernel_without_ipykernel(kernel, monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel")
    with as_stdout(kernel):
        assert not in_notebook()
        assert type(choose_display()) is PlainDisplay


def test_detection_imports_nothing(monkeypatch):
    """Outside a kernel the check neither imports IPython nor fails without it."""
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setitem(sys.modules, "IPython", None)  # `import IPython` would raise
    assert not in_notebook()
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert not in_notebook()


def test_a_terminal_inside_a_kernel_stays_a_terminal(kernel, monkeypatch):
    monkeypatch.setattr(KernelStream, "isatty", lambda self: True)
    with as_stdout(kernel):
        assert type(choose_display()) is TerminalDisplay


def test_fit_in_a_notebook_redraws_the_bar_in_place(kernel, every_batch):
    model, x, y = small_model()
    with as_stdout(kernel):
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=1)
    raw = kernel.getvalue()
    # every batch drew a frame, and the epoch's end its final one, each starting with \r,
    # in Keras's colours
    assert raw.count("\r") == 2 * (8 + 1)
    for step in range(1, 9):
        assert f"\r\x1b[1m{step}/8\x1b[0m " in raw
    assert "\x1b[32m" + CELL in raw and "\x1b[37m" in raw
    # what the front end shows: the epoch lines and each epoch's final frame, no leftovers
    shown = render(raw).split("\n")
    assert shown[0] == "Epoch 1/2" and shown[2] == "Epoch 2/2" and shown[4] == ""
    assert len(shown) == 5
    assert final_line(history, 0).match(shown[1]), shown[1]
    assert final_line(history, 1).match(shown[3]), shown[3]


def test_fit_default_verbose_is_live_in_a_notebook(kernel, every_batch):
    model, x, y = small_model()
    with as_stdout(kernel):
        model.fit(x, y, batch_size=64, epochs=1)  # verbose="auto"
    assert kernel.getvalue().count("\r") == 2 + 1


def test_evaluate_and_predict_are_live_in_a_notebook(kernel, every_batch):
    model, x, y = small_model()
    with as_stdout(kernel):
        loss, accuracy = model.evaluate(x, y, batch_size=32, verbose=1)
        model.predict(x, batch_size=32, verbose=1)
    raw = kernel.getvalue()
    assert raw.startswith("\r\x1b[1m") and "\n\r\x1b[1m" in raw  # each bar redrawn in place
    shown = render(raw).split("\n")
    assert len(shown) == 3 and shown[2] == ""
    assert re.match(rf"4/4 {CELL * 20} \d+s \d+(s|ms|us)/step - accuracy: {accuracy:.4f} - "
                    rf"loss: {loss:.4f} *$", shown[0]), shown[0]
    assert re.match(rf"4/4 {CELL * 20} \d+s \d+(s|ms|us)/step *$", shown[1]), shown[1]


def test_verbose_2_in_a_notebook_is_one_plain_line_per_epoch(kernel, every_batch):
    model, x, y = small_model()
    with as_stdout(kernel):
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=2)
    raw = kernel.getvalue()
    assert "\r" not in raw and "\x1b" not in raw
    lines = raw.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 5
    for line, epoch in ((lines[1], 0), (lines[3], 1)):
        assert line.startswith("8/8 - ") and line.endswith(
            f"accuracy: {history.history['accuracy'][epoch]:.4f} - "
            f"loss: {history.history['loss'][epoch]:.4f}")


def check_one_line_per_epoch(raw, history):
    assert "\r" not in raw and "\x1b" not in raw
    lines = raw.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 5
    assert final_line(history, 0).match(lines[1]) and final_line(history, 1).match(lines[3])


def test_a_pipe_gets_one_line_per_epoch(monkeypatch, every_batch):
    """Outside a kernel nothing changed: the final frame of each epoch, plain."""
    model, x, y = small_model()
    with as_stdout(io.StringIO()) as out:
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=1)
    check_one_line_per_epoch(out.getvalue(), history)


def test_output_captured_in_a_kernel_is_plain(kernel, every_batch):
    model, x, y = small_model()
    with as_stdout(kernel), contextlib.redirect_stdout(io.StringIO()) as captured:
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=1)
    check_one_line_per_epoch(captured.getvalue(), history)
    assert kernel.getvalue() == ""


def test_render_applies_carriage_returns_as_jupyter_does():
    assert render("abc\rX") == "Xbc"
    assert render("Epoch 1\n\x1b[1m1/2\x1b[0m\r\x1b[1m2/2\x1b[0m\r\n") == "Epoch 1\n2/2\n"


# ----------------------------------------------------------------------------- a real kernel

NOTEBOOK_CELLS = [
    """\
import sys
sys.path.insert(0, {root!r})
import contextlib, io
import numpy as np
import fastmlp as fm
from fastmlp.callbacks.progbar import choose_display
fm.callbacks.ProgressBar.INTERVAL = 0.0
print(type(choose_display()).__name__)""",
    """\
fm.set_random_seed(0)
model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"),
                       fm.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
x = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
history = model.fit(x, y, batch_size=16, epochs=2, verbose=1)""",
    """\
with contextlib.redirect_stdout(io.StringIO()) as captured:
    model.fit(x, y, batch_size=16, epochs=1, verbose=1)
print(repr(captured.getvalue()))
import json
print(json.dumps(history.history))""",
]


def test_fit_in_a_real_jupyter_kernel(tmp_path, monkeypatch):
    """A notebook run headless by nbclient in a real ipykernel: fit's bar
    arrives as frames redrawn with \\r, and renders as one line per epoch."""
    pytest.importorskip("ipykernel", reason="the real-kernel test needs ipykernel")
    nbformat = pytest.importorskip("nbformat", reason="the real-kernel test needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the real-kernel test needs nbclient")
    # a kernel spec of our own, for this interpreter (not whatever "python3" names here)
    spec_dir = tmp_path / "jupyter" / "kernels" / "fastmlp-test"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "fastmlp test", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    root = os.path.dirname(os.path.dirname(os.path.abspath(fm.__file__)))
    cells = [nbformat.v4.new_code_cell(NOTEBOOK_CELLS[0].format(root=root))]
    cells += [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS[1:]]
    notebook = nbformat.v4.new_notebook(cells=cells)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="fastmlp-test",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    def stdout(cell):
        return "".join(out.get("text", "") for out in cell.outputs
                       if out.output_type == "stream" and out.name == "stdout")

    assert stdout(notebook.cells[0]) == "NotebookDisplay\n"
    raw = stdout(notebook.cells[1])
    assert raw.count("\r") == 2 * (8 + 1)  # every batch redrew the bar, then the epoch's end
    shown = render(raw).split("\n")
    assert shown[0] == "Epoch 1/2" and shown[2] == "Epoch 2/2" and len(shown) == 5
    captured_repr, history_json = stdout(notebook.cells[2]).strip().split("\n")
    history = fm.callbacks.History()
    history.history = json.loads(history_json)
    assert final_line(history, 0).match(shown[1]), shown[1]
    assert final_line(history, 1).match(shown[3]), shown[3]
    captured = ast.literal_eval(captured_repr)
    assert "\r" not in captured and "\x1b" not in captured
    assert re.match(rf"8/8 {CELL * 20} \d+s \d+(s|ms|us)/step - accuracy: ", captured)
    assert captured.count("\n") == 1
