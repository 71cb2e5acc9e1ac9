"""The engine's codes and tables agree with their one source.

The codes (activations, losses, metrics, layer kinds, optimizers) are the
enums of csrc/fastmlp.h; _engine.pyx names them, and fastmlp's Python modules
read them from there. The header checks skip where the tests run without the
source tree (against an installed wheel); the others run everywhere."""
import platform
import re
from pathlib import Path

import pytest

import fastmlp as fm
from fastmlp import _engine, activations, losses, metrics, optimizers

HEADER = Path(__file__).resolve().parent.parent / "csrc" / "fastmlp.h"

# Python's name of each code, where it is not the enumerator's suffix in lower case
PYTHON_NAMES = {
    "FM_LOSS_BCE": "binary_crossentropy", "FM_LOSS_CCE": "categorical_crossentropy",
    "FM_LOSS_SPARSE_CCE": "sparse_categorical_crossentropy",
    "FM_LOSS_BCE_SUM": "binary_crossentropy_sum", "FM_LOSS_KLD": "kl_divergence",
    "FM_METRIC_BINARY_ACC": "binary_accuracy", "FM_METRIC_CATEGORICAL_ACC": "categorical_accuracy",
    "FM_METRIC_SPARSE_ACC": "sparse_categorical_accuracy",
    "FM_LAYER_BATCHNORM": "batch_normalization", "FM_LAYER_NOISE": "gaussian_noise",
}

# enumerator prefix -> the engine's dict of those codes by name
FAMILIES = {
    "FM_ACT_": _engine.ACTIVATIONS, "FM_LOSS_": _engine.LOSSES, "FM_METRIC_": _engine.METRICS,
    "FM_LAYER_": _engine.LAYER_KINDS, "FM_OPT_": _engine.OPTIMIZERS,
}

# the engine's single constants and the enumerators they stand for
CONSTANTS = {
    "ACTIVATION_COUNT": "FM_ACT_COUNT", "LOSS_COUNT": "FM_LOSS_COUNT",
    "METRIC_COUNT": "FM_METRIC_COUNT", "MEAN_OVER_ROWS": "FM_MEAN_OVER_ROWS",
    "MEAN_OVER_WEIGHTS": "FM_MEAN_OVER_WEIGHTS", "INFER_SKIP": "FM_INFER_SKIP",
    "DENSE": "FM_LAYER_DENSE", "DROPOUT": "FM_LAYER_DROPOUT",
}


def _enumerators(text):
    """{name: value} of every enumerator in the header's anonymous enums."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    values = {}
    for body in re.findall(r"\benum\s*\{(.*?)\}", text, flags=re.DOTALL):
        value = -1
        for item in filter(None, (part.strip() for part in body.split(","))):
            name, _, given = (s.strip() for s in item.partition("="))
            value = int(given, 0) if given else value + 1
            values[name] = value
    return values


@pytest.fixture(scope="module")
def header():
    if not HEADER.is_file():
        pytest.skip("csrc/fastmlp.h is not here: the tests run outside the source tree "
                    "(against an installed wheel)")
    return _enumerators(HEADER.read_text(encoding="utf-8"))


@pytest.mark.parametrize("prefix", FAMILIES)
def test_engine_names_every_code_of_the_header(header, prefix):
    codes = {name: value for name, value in header.items()
             if name.startswith(prefix) and name != prefix + "COUNT"}
    assert codes, f"no {prefix}* enumerators found in {HEADER}"
    expected = {PYTHON_NAMES.get(name, name[len(prefix):].lower()): value
                for name, value in codes.items()}
    assert FAMILIES[prefix] == expected
    count = header.get(prefix + "COUNT")
    if count is not None:  # one past the last code, the codes without gaps
        assert sorted(codes.values()) == list(range(min(codes.values()), count))


@pytest.mark.parametrize("constant", CONSTANTS)
def test_engine_constants_match_the_header(header, constant):
    assert getattr(_engine, constant) == header[CONSTANTS[constant]]


def test_python_code_tables_are_the_engines():
    assert activations.CODES == _engine.ACTIVATIONS
    assert losses.CODES == _engine.LOSSES
    assert metrics.KINDS == _engine.METRICS
    assert (losses.HALF_SQUARED_SUM, losses.BCE_SUM, losses.HALF_POISSON) == tuple(
        _engine.LOSSES[name] for name in ("half_squared_sum", "binary_crossentropy_sum",
                                          "half_poisson"))
    assert (optimizers.SGD_CODE, optimizers.RMSPROP_CODE, optimizers.ADAM_CODE) == tuple(
        _engine.OPTIMIZERS[name] for name in ("sgd", "rmsprop", "adam"))


@pytest.mark.parametrize("optimizer, name", [(fm.SGD, "sgd"), (fm.RMSprop, "rmsprop"),
                                             (fm.Adam, "adam"), (fm.AdamW, "adam")])
def test_optimizers_pass_the_engines_code(optimizer, name):
    assert optimizer().engine_args()[0] == _engine.OPTIMIZERS[name]


def test_every_loss_class_has_an_engine_code():
    classes = [c for c in vars(losses).values()
               if isinstance(c, type) and issubclass(c, losses.Loss) and c is not losses.Loss]
    assert classes
    for cls in classes:
        assert cls.code in _engine.LOSSES.values(), cls.__name__


def test_every_kernel_table_is_complete():
    tables = _engine.isa_tables()
    expected = ["generic"]
    if platform.machine().lower() in ("x86_64", "amd64"):
        expected += ["avx2", "avx512", "avx512_vnni", "avx512_bf16"]
    assert sorted(tables) == sorted(expected)
    assert {name: gap for name, gap in tables.items() if gap is not None} == {}
