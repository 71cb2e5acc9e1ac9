"""fastmlp: multilayer perceptrons trained and run on CPUs with their own
compiled kernels, in the Keras dialect (Sequential, Model, Dense, ...) and the
scikit-learn one (MLPClassifier, MLPRegressor).

Examples
--------
>>> import fastmlp as fm
>>> model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"), fm.Dense(1)])
>>> model.compile(optimizer="adam", loss="mse")
"""
__version__ = "0.1.0"

import warnings as _warnings

try:
    from . import _engine
except ImportError as _exc:  # a source checkout that was never built in place
    from ._source_tree import installed_package_dir

    _installed = installed_package_dir(__path__[0])
    if _installed is None:
        raise ImportError(f"fastmlp's compiled engine is missing from {__path__[0]!r}: install "
                          f"fastmlp with `pip install .` (or build it in place with "
                          f"`python setup.py build_ext --inplace`)") from _exc
    # every submodule, the engine included, now comes from the installed copy
    __path__[:] = [_installed]
    from . import _engine

from . import (activations, callbacks, datasets, initializers, layers, losses, metrics, models,
               ops, optimizers, regularizers, schedules, utils)
from . import onnx  # ONNX export and import (the onnx package loads on first use)
from ._config import get_num_threads, set_num_threads, show_config
from ._random import set_random_seed
from .callbacks import (CSVLogger, Callback, EarlyStopping, History, LambdaCallback,
                        LearningRateScheduler, ModelCheckpoint, ProgbarLogger,
                        ReduceLROnPlateau, TerminateOnNaN)
from .layers import (ELU, Activation, BatchNormalization, Dense, Dropout, Flatten,
                     GaussianNoise, Input, InputLayer, LeakyReLU, ReLU, Softmax)
from .models import Model, Sequential, load_model, model_from_json
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop

if _engine.ISA_INIT_STATUS != 0:
    _warnings.warn(f"FASTMLP_ISA={_engine.config()['simd_requested']!r} is not a path this CPU "
                   f"supports (generic, avx2, avx512, avx512_vnni, avx512_bf16 as available); using "
                   f"{_engine.config()['simd']!r}", RuntimeWarning, stacklevel=2)

# the scikit-learn dialect loads on first use, so that fastmlp imports without scikit-learn
_ESTIMATORS = ("MLPClassifier", "MLPRegressor")
# fm.plot loads on first use too (matplotlib itself only when a picture is drawn)
_LAZY_MODULES = ("plot",)


def __getattr__(name):
    if name in _ESTIMATORS:
        from . import estimators  # raises ImportError naming the extra when scikit-learn is missing

        return getattr(estimators, name)
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'fastmlp' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS) | set(_LAZY_MODULES))


__all__ = [
    "Sequential", "Model", "Input", "load_model", "model_from_json",
    "Dense", "Dropout", "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "ELU",
    "Softmax", "GaussianNoise", "Flatten", "InputLayer",
    "SGD", "RMSprop", "Adam", "AdamW", "Optimizer",
    "Callback", "History", "EarlyStopping", "TerminateOnNaN", "LearningRateScheduler",
    "ModelCheckpoint", "ReduceLROnPlateau", "CSVLogger", "LambdaCallback", "ProgbarLogger",
    "set_random_seed", "set_num_threads", "get_num_threads", "show_config",
    "activations", "callbacks", "datasets", "initializers", "layers", "losses", "metrics",
    "models", "ops", "optimizers", "regularizers", "schedules", "utils", "plot", "onnx",
    "MLPClassifier", "MLPRegressor",
]
