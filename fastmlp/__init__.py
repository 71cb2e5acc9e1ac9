"""fastmlp: multilayer perceptrons trained and run on CPUs with their own
compiled kernels, in the Keras dialect (Sequential, Dense, Dropout) and the
scikit-learn one (MLPClassifier, MLPRegressor)."""
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

from . import callbacks, datasets, ops
from ._config import get_num_threads, set_num_threads, show_config
from ._random import set_random_seed
from .callbacks import Callback, EarlyStopping, History, LearningRateScheduler, TerminateOnNaN
from .layers import Dense, Dropout
from .models import Sequential
from .saving import load_model
from .optimizers import SGD, Adam, Optimizer, RMSprop

if _engine.ISA_INIT_STATUS != 0:
    _warnings.warn(f"FASTMLP_ISA={_engine.config()['simd_requested']!r} is not a path this CPU "
                   f"supports (generic, avx2, avx512 as available); using "
                   f"{_engine.config()['simd']!r}", RuntimeWarning, stacklevel=2)

# the scikit-learn dialect loads on first use, so that fastmlp imports without scikit-learn
_ESTIMATORS = ("MLPClassifier", "MLPRegressor")


def __getattr__(name):
    if name in _ESTIMATORS:
        from . import estimators  # raises ImportError naming the extra when scikit-learn is missing

        return getattr(estimators, name)
    raise AttributeError(f"module 'fastmlp' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))


__all__ = [
    "Sequential", "load_model", "Dense", "Dropout", "SGD", "RMSprop", "Adam", "Optimizer",
    "Callback", "History", "EarlyStopping", "TerminateOnNaN", "LearningRateScheduler",
    "set_random_seed", "set_num_threads", "get_num_threads", "show_config", "ops", "datasets",
    "callbacks",
]
