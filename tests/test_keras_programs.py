"""The Keras programs of tests/keras_programs/ run to the end on fastmlp.

Each is an MLP program in the style of the Keras guides that imports
`fastmlp as keras` (and `from fastmlp import layers`): changing those two
lines back to `keras` runs it on Keras 3 unchanged. Each asserts its own
results (accuracies, losses checked against numpy, files written and read
back, callbacks' effects) and prints OK last. When Keras itself is
installed, the same programs also run on it (with its torch backend), so
both libraries are held to the same assertions.
"""
import importlib.util
import os
import re

import pytest

from conftest import run_python

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_programs")
PROGRAMS = sorted(name for name in os.listdir(HERE) if re.match(r"p\d+_.*\.py$", name))


def source_of(name, library):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        code = f.read()
    if library == "keras":
        code = code.replace("import fastmlp as keras\n", "import keras\n")
        code = code.replace("from fastmlp import ", "from keras import ")
    return code


def test_there_are_at_least_ten_programs():
    assert len(PROGRAMS) >= 10


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_on_fastmlp(name, tmp_path):
    code = source_of(name, "fastmlp")
    assert "import fastmlp as keras\n" in code and "import keras\n" not in code
    result = run_python(code, cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.rstrip().endswith("OK")


@pytest.mark.skipif(importlib.util.find_spec("keras") is None or
                    importlib.util.find_spec("torch") is None,
                    reason="Keras 3 with its torch backend is not installed (the programs' "
                           "reference run; pip install keras torch)")
@pytest.mark.parametrize("name", PROGRAMS)
def test_program_runs_on_keras_unchanged(name, tmp_path):
    result = run_python(source_of(name, "keras"), cwd=tmp_path, timeout=900,
                        KERAS_BACKEND="torch")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.rstrip().endswith("OK")
