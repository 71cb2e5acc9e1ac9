"""Model files and pickles: a model as (JSON description, named arrays), and
back. The archive itself (atomic writes, checked reads) is _model_file's job.

Loading validates the whole description and every array's shape before it
allocates the network, so a corrupt or hostile file costs at most what it
holds and raises ValueError.
"""
import os
import zipfile

import numpy as np

from . import optimizers
from ._model_file import (MalformedFile, open_model_file, read_array, read_config,
                          write_model_file)
from ._validation import check_int
from .layers import LAYER_CLASSES

__all__ = ["load_model"]

FILE_FORMAT = "fastmlp.sequential"
FILE_VERSION = 1
_SLOTS = ("optimizer_slot_1", "optimizer_slot_2")
# what a description may declare: generous, but keeps arithmetic on sizes exact
_MAX_UNITS = 1 << 40


def model_state(model):
    """The model as (JSON-able description, {name: array}): what save and pickle store."""
    from . import __version__

    config = {
        "format": FILE_FORMAT, "version": FILE_VERSION, "name": model.name, "dtype": model.dtype,
        "input_dim": model._n_in,
        "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                   for layer in model._layers],
        "compile": None, "optimizer_iterations": None, "dropout_seed": None,
    }
    arrays = {}
    if model._loss is not None:
        config["compile"] = {"optimizer": {"class_name": type(model.optimizer).__name__,
                                           "config": model.optimizer.get_config()},
                             "loss": model._loss, "metrics": list(model._metric_names)}
    engine = model._engine
    if engine is not None:
        config["dropout_seed"] = int(engine.dropout_seed)
        for i, w in enumerate(model.get_weights()):
            arrays[f"weight_{i}"] = w
        slots = engine.optimizer_slots()
        if model._loss is not None and slots is not None:
            config["optimizer_iterations"] = int(engine.iterations)
            arrays[_SLOTS[0]], arrays[_SLOTS[1]] = (s.copy() for s in slots)
    config["fastmlp_version"] = __version__
    return config, arrays


def save_model(model, path):
    """Write `model` to `path` (see Sequential.save)."""
    config, arrays = model_state(model)
    write_model_file(path, config, arrays)


class _Description:
    """A checked description: the layers, and the arrays it promises."""

    def __init__(self, config):
        need(isinstance(config, dict), "the description is not an object")
        need(config.get("format") == FILE_FORMAT, f"format is {config.get('format')!r}")
        need(config.get("version") == FILE_VERSION,
             f"file version {config.get('version')!r}, this fastmlp reads {FILE_VERSION}")
        need(isinstance(config.get("name"), str), "the model name is not a string")
        need(config.get("dtype") in ("float32", "float64"), f"dtype {config.get('dtype')!r}")
        self.config = config
        self.dtype = np.dtype(config["dtype"])
        entries = config.get("layers")
        need(isinstance(entries, list) and entries, "no layers")
        self.layers = []
        for entry in entries:
            need(isinstance(entry, dict) and entry.get("class_name") in LAYER_CLASSES,
                 f"unknown layer {str(entry)[:80]!r}")
            need(isinstance(entry.get("config"), dict), "a layer config is not an object")
            self.layers.append(LAYER_CLASSES[entry["class_name"]].from_config(entry["config"]))
        names = [layer.name for layer in self.layers]
        need(len(set(names)) == len(names), "duplicate layer names")
        compile_cfg = config.get("compile")
        need(compile_cfg is None or isinstance(compile_cfg, dict), "compile is not an object")
        self.compile = compile_cfg
        self.n_in = config.get("input_dim")
        self.shapes = []
        if self.n_in is not None:
            self.n_in = check_int(self.n_in, "input_dim", minimum=1, maximum=_MAX_UNITS)
            width = self.n_in
            for layer in self.layers:
                need(getattr(layer, "units", 1) <= _MAX_UNITS, "a layer is too wide")
                self.shapes += layer.weight_shapes(width)
                width = layer.output_width(width)
            self.dropout_seed = check_int(config.get("dropout_seed"), "dropout_seed", minimum=0,
                                          maximum=2**64 - 1)
        self.iterations = config.get("optimizer_iterations")
        if self.iterations is not None:
            need(compile_cfg is not None and self.n_in is not None,
                 "optimizer state without a compiled, built model")
            self.iterations = check_int(self.iterations, "optimizer_iterations", minimum=0,
                                        maximum=2**62)

    def arrays(self):
        """[(member name, shape)] of every array the description promises."""
        named = [(f"weight_{i}", shape) for i, shape in enumerate(self.shapes)]
        if self.iterations is not None:
            n_params = sum(int(np.prod(shape, dtype=object)) for shape in self.shapes)
            named += [(name, (n_params,)) for name in _SLOTS]
        return named

    def build(self, arrays):
        """The model, from arrays already checked against arrays()."""
        from .models import Sequential

        model = Sequential(dtype=self.config["dtype"], name=self.config["name"])
        for layer in self.layers:
            model._layers.append(layer)
            layer._model = model
        if self.compile is not None:
            opt_cfg = self.compile.get("optimizer")
            need(isinstance(opt_cfg, dict) and isinstance(opt_cfg.get("config"), dict),
                 "the optimizer description is not an object")
            model.compile(optimizer=optimizers.from_config(opt_cfg.get("class_name"),
                                                           opt_cfg["config"]),
                          loss=self.compile.get("loss"), metrics=self.compile.get("metrics"))
        if self.n_in is None:
            return model
        # the saved weights replace the initial ones, so the global random state is left alone
        model._build(self.n_in, rng=np.random.default_rng(0), dropout_seed=self.dropout_seed)
        model.set_weights([arrays[f"weight_{i}"] for i in range(len(self.shapes))])
        if self.iterations is not None:
            for slot, name in zip(model._engine.optimizer_slots(), _SLOTS):
                need(bool(np.isfinite(arrays[name]).all()), f"{name} is not finite")
                slot[...] = arrays[name]
            model._engine.iterations = self.iterations
        return model


def need(condition, message):
    if not condition:
        raise MalformedFile(message)


# what a malformed description can raise on its way through the constructors
_INVALID = (MalformedFile, KeyError, TypeError, ValueError, AttributeError, OverflowError,
            RecursionError)


# what a damaged archive can raise while a member is read
_READ_ERRORS = (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, MemoryError,
                UnicodeDecodeError)


def restore(config, arrays, source):
    """The model that (config, arrays) describe; ValueError naming `source` if invalid."""
    try:
        description = _Description(config)
        for name, shape in description.arrays():
            array = arrays.get(name)
            need(isinstance(array, np.ndarray), f"no array {name!r}")
            need(array.shape == tuple(shape), f"{name} has shape {array.shape}, expected "
                                              f"{tuple(shape)}")
        return description.build(arrays)
    except _INVALID as exc:
        raise ValueError(f"{source} is not a valid fastmlp model file: {exc}") from None


def load_model(path):
    """Read a model written by Sequential.save.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.

    Returns
    -------
    Sequential
        The model with its architecture, weights, compile settings and
        optimizer state.

    Raises
    ------
    FileNotFoundError
        If there is no file at `path`.
    ValueError
        If the file is not a fastmlp model file, or is corrupt.

    Examples
    --------
    >>> import fastmlp as fm, tempfile, os
    >>> model = fm.Sequential([fm.Dense(2, input_dim=3)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.fmlp")
    >>> model.save(path)
    >>> fm.load_model(path).count_params()
    8
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder, not a fastmlp model file")
    try:
        archive, size = open_model_file(path)
    except MalformedFile as exc:
        raise ValueError(f"{path!r} is not a fastmlp model file ({exc})") from None
    with archive:
        try:
            config = read_config(archive, size)
        except _INVALID + _READ_ERRORS as exc:
            raise ValueError(f"{path!r} is not a fastmlp model file ({exc})") from None
        try:
            description = _Description(config)
            arrays = {name: read_array(archive, size, name, shape, description.dtype)
                      for name, shape in description.arrays()}
        except _INVALID + _READ_ERRORS as exc:
            raise ValueError(f"{path!r} is not a valid fastmlp model file: {exc}") from None
    try:
        return description.build(arrays)
    except _INVALID as exc:
        raise ValueError(f"{path!r} is not a valid fastmlp model file: {exc}") from None
