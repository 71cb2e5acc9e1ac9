"""Model files, configs and pickles: a model as (JSON description, named
arrays), and back. The archive itself (atomic writes, checked reads) is
_model_file's job; Keras's own files (.keras, .weights.h5) are keras_format's.

Loading validates the whole description and every array's shape before it
allocates the network, so a corrupt or hostile file costs at most what it
holds and raises ValueError. Configs follow Keras 3's layout
({"module", "class_name", "config", ...}), so `to_json` and `get_config` are
readable by Keras for the layers both have.
"""
from __future__ import annotations

import os
import zipfile
from typing import Any, Optional

import numpy as np

from . import losses, optimizers
from . import metrics as metrics_module
from ._model_file import (MalformedFile, open_model_file, read_array, read_config,
                          write_model_file)
from ._validation import CPUFeatureError, check_int, require_bf16
from .dtype_policies import MODEL_POLICIES, policy_name
from .quantization import quantized_mode
from .layers.base import structure_only

__all__ = ["load_model", "model_from_json", "model_from_config", "clone_model"]

FILE_FORMAT = "fastmlp.sequential"
FILE_VERSION = 2
# what models with mixed or quantized precision are written as: older readers
# then refuse them by their version rather than on a detail
FILE_VERSION_PRECISION = 3
_SLOTS = ("optimizer_slot_1", "optimizer_slot_2")
# what a description may declare: generous, but keeps arithmetic on sizes exact
_MAX_UNITS = 1 << 40
_MAX_DEPTH = 32  # nested models


# ---------------------------------------------------------------- configs

def _layer_entry(layer: Any, depth: int = 0) -> dict:
    from .models import Model

    if isinstance(layer, Model):
        return model_config_entry(layer, depth + 1)
    entry = {"module": "keras.layers", "class_name": type(layer).__name__,
             "config": layer.get_config(), "registered_name": None}
    if layer.built and layer._width is not None and layer.weight_specs(1):
        entry["build_config"] = {"input_shape": [None, int(layer._width)]}
    return entry


def model_config(model: Any, depth: int = 0) -> dict:
    """Keras's get_config() of a Sequential or Functional model.

    A Sequential's config lists its layers (preceded by an InputLayer entry
    when the input shape is known) and ``build_input_shape``; a Functional
    model's links each layer to the one before it and names the input and
    output layers. Nested models are serialized recursively.

    Parameters
    ----------
    model : Model
        The model to describe.
    depth : int, default 0
        The nesting depth of `model` (internal).

    Returns
    -------
    dict
        JSON-serializable, in Keras 3's layout.

    Raises
    ------
    ValueError
        If models are nested more than 32 deep.
    """
    from .layers import InputLayer
    from .models import Sequential

    if depth > _MAX_DEPTH:
        raise ValueError("models nested too deeply")
    if isinstance(model, Sequential):
        layers = []
        shape = model._sample_shape()
        if shape is not None:
            first = model._layers[0] if model._layers and isinstance(model._layers[0], InputLayer) \
                else None
            layers.append({"module": "keras.layers", "class_name": "InputLayer",
                           "config": {"batch_shape": [None] + list(shape), "dtype": "float32",
                                      "sparse": False, "ragged": False,
                                      "name": first.name if first else f"{model.name}_input",
                                      "optional": False},
                           "registered_name": None})
        layers += [_layer_entry(layer, depth) for layer in model._chain_layers()]
        return {"name": model.name, "trainable": model.trainable, "dtype": model._policy,
                "layers": layers,
                "build_input_shape": None if shape is None else [None] + list(shape)}
    entries, previous = [], None
    for layer in model.layers:
        entry = _layer_entry(layer, depth)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if previous is None else [
            {"args": [{"class_name": "__keras_tensor__",
                       "config": {"shape": [None, None], "dtype": "float32",
                                  "keras_history": [previous, 0, 0]}}], "kwargs": {}}]
        entries.append(entry)
        previous = layer.name
    return {"name": model.name, "trainable": model.trainable, "dtype": model._policy,
            "layers": entries, "input_layers": [model.layers[0].name, 0, 0],
            "output_layers": [model.layers[-1].name, 0, 0]}


def model_config_entry(model: Any, depth: int = 0) -> dict:
    """A model's entry as Keras 3 serializes it (Sequential or Functional).

    Parameters
    ----------
    model : Model
        The model to describe.
    depth : int, default 0
        The nesting depth of `model` (internal).

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``, with
        `model_config`'s result as ``config``.

    Raises
    ------
    ValueError
        If models are nested more than 32 deep.
    """
    from .models import Sequential

    if isinstance(model, Sequential):
        return {"module": "keras", "class_name": "Sequential",
                "config": model_config(model, depth), "registered_name": None}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": model_config(model, depth), "registered_name": "Functional"}


def _layer_from_entry(entry: Any, depth: int) -> Any:
    from .layers import LAYER_CLASSES

    need(isinstance(entry, dict), f"a layer entry is not an object: {str(entry)[:80]!r}")
    class_name = entry.get("class_name")
    if class_name in ("Sequential", "Functional", "Model"):
        return model_from_config(entry, depth + 1)
    need(class_name in LAYER_CLASSES, f"unknown layer {str(class_name)[:80]!r} (fastmlp has "
                                      f"{', '.join(sorted(LAYER_CLASSES))})")
    config = entry.get("config")
    need(isinstance(config, dict), "a layer config is not an object")
    config = dict(config)
    config.pop("build_config", None)
    return LAYER_CLASSES[class_name].from_config(config)


def model_from_config(entry: dict, depth: int = 0, custom_objects: Any = None,
                      build: bool = True) -> Any:
    """The model a serialized model entry describes, as Keras's
    ``keras.models.model_from_config``.

    Parameters
    ----------
    entry : dict
        ``{"class_name": "Sequential" or "Functional" (or "Model"),
        "config": model.get_config()}``, as Keras 3 serializes a model (the
        parsed `Model.to_json`).
    depth : int, default 0
        Internal: how deep this model is nested in another.
    custom_objects : optional
        Accepted for Keras code and ignored (fastmlp has no custom layers).
    build : bool, default True
        Internal: False leaves a Sequential unbuilt (for the file readers).

    Returns
    -------
    Model
        A Sequential or a Functional Model with fresh weights, built when
        the config gives its input shape, not compiled.

    Raises
    ------
    ValueError
        For an entry that is not a chain model of fastmlp's layers (unknown
        class or layer, duplicate names, models nested too deeply); the
        layers' own constructors may raise TypeError or ValueError too.

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2, activation="relu")])
    >>> entry = {"class_name": "Sequential", "config": model.get_config()}
    >>> again = fm.models.model_from_config(entry)
    >>> again.output_shape, again.count_params()
    ((None, 2), 8)
    """
    from .layers import Input, InputLayer
    from .models import Model, Sequential

    need(depth <= _MAX_DEPTH, "models nested too deeply")
    need(isinstance(entry, dict), "the model description is not an object")
    class_name, config = entry.get("class_name"), entry.get("config")
    need(isinstance(config, dict), "the model config is not an object")
    need(isinstance(config.get("layers"), list), "the model config has no layer list")
    try:  # a policy fastmlp runs ("mixed_bfloat16" too), else float32 as before
        dtype = policy_name(config.get("dtype"))
    except (TypeError, ValueError):
        dtype = "float32"
    name = config.get("name")
    need(name is None or isinstance(name, str), "the model name is not a string")
    layers = [_layer_from_entry(e, depth) for e in config["layers"]]
    names = [layer.name for layer in layers]
    need(len(set(names)) == len(names), "duplicate layer names")
    if class_name == "Sequential":
        model = Sequential(name=name, dtype=dtype)
        for layer in layers:
            model.add(layer, rebuild=False)
        shape = config.get("build_input_shape")
        if shape is not None and not (layers and isinstance(layers[0], InputLayer)):
            need(isinstance(shape, (list, tuple)), "build_input_shape is not a list")
            model._input_shape = tuple(check_int(s, "build_input_shape", minimum=1,
                                                 maximum=_MAX_UNITS) for s in shape[1:])
        if build and model._n_in() is not None and depth == 0:
            model.build()
        return model
    need(class_name in ("Functional", "Model"), f"unknown model class {class_name!r}")
    need(layers and isinstance(layers[0], InputLayer), "a Functional model starts with an InputLayer")
    tensor = layers[0].output
    for layer in layers[1:]:
        tensor = layer(tensor)
    return Model(layers[0].output, tensor, name=name, dtype=dtype)


def model_from_json(json_string: str, custom_objects: Any = None) -> Any:
    """The model a `Model.to_json` string describes, as Keras's
    ``keras.models.model_from_json``.

    Parameters
    ----------
    json_string : str
        The JSON of a Sequential or Functional model (fastmlp's `to_json`,
        or Keras 3's for the layers both have).
    custom_objects : optional
        Accepted for Keras code and ignored (fastmlp has no custom layers).

    Returns
    -------
    Model
        A Sequential or a Functional Model with fresh weights, built when
        the JSON gives its input shape, not compiled.

    Raises
    ------
    ValueError
        For a string that is not JSON, or JSON that is not a fastmlp/Keras
        chain model.

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    >>> fm.models.model_from_json(model.to_json()).output_shape
    (None, 2)
    """
    import json

    try:
        entry = json.loads(json_string)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"model_from_json needs a model's JSON ({exc})") from None
    try:
        return model_from_config(entry)
    except (MalformedFile, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ValueError(f"not a model description: {exc}") from None


def clone_model(model: Any) -> Any:
    """A model of the same architecture with fresh weights, as Keras's
    ``keras.models.clone_model`` (without its `input_tensors` and
    `clone_function`).

    Parameters
    ----------
    model : Model
        A Sequential or Functional model.

    Returns
    -------
    Model
        A new Sequential (or Functional Model) with the same layers and
        layer names, its weights
        drawn from the initializers (`fastmlp.set_random_seed` fixes them);
        built when `model` has an input shape, not compiled.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    >>> copy = fm.models.clone_model(model)
    >>> [layer.name for layer in copy.layers] == [layer.name for layer in model.layers]
    True
    >>> copy.compiled, bool(np.array_equal(copy.get_weights()[0], model.get_weights()[0]))
    (False, False)
    """
    return model_from_config(model_config_entry(model))


# ---------------------------------------------------------------- state

def model_state(model: Any) -> tuple:
    """The model as (JSON-able description, {name: array}): what save and pickle store.

    The description holds the format and version (3 for a mixed-precision
    or quantized model), the architecture, the dtype policy, the compile
    arguments when compiled and, once built, the input width and the dropout
    seed. The arrays are the weights (``weight_0``, ...) and, for a compiled
    model whose optimizer has state, the optimizer's slots.

    Parameters
    ----------
    model : Model
        The model to describe.

    Returns
    -------
    tuple of (dict, dict)
        The description and the arrays (copies).
    """
    from . import __version__

    quantized = quantized_mode(model._flat())
    version = FILE_VERSION if model._policy in ("float32", "float64") and not quantized else \
        FILE_VERSION_PRECISION
    config = {"format": FILE_FORMAT, "version": version, "model": model_config_entry(model),
              "dtype": model._policy, "compile": None, "optimizer_iterations": None,
              "dropout_seed": None, "input_dim": None, "fastmlp_version": __version__}
    arrays = {}
    if model.compiled:
        config["compile"] = {
            "optimizer": optimizers.serialize(model.optimizer),
            "loss": losses.serialize(model._loss_obj),
            "metrics": [metrics_module.serialize(m) for m, w in
                        zip(model._metric_objs, model._weighted_flags) if not w],
            "weighted_metrics": [metrics_module.serialize(m) for m, w in
                                 zip(model._metric_objs, model._weighted_flags) if w]}
    if model.built:
        net = model._network()
        config["input_dim"] = int(net.n_in)
        config["dropout_seed"] = int(net.engine.dropout_seed)
        for i, w in enumerate(model.get_weights()):
            arrays[f"weight_{i}"] = w
        slots = net.engine.optimizer_slots()
        if model.compiled and slots is not None and not quantized:  # (it cannot train)
            config["optimizer_iterations"] = int(net.engine.iterations)
            arrays[_SLOTS[0]], arrays[_SLOTS[1]] = (s.copy() for s in slots)
    return config, arrays


def save_model(model: Any, path: Any, overwrite: bool = True) -> None:
    """Write `model` to `path` (see Model.save).

    A path ending in ".keras" is written in Keras 3's format; any other name
    in fastmlp's own format.

    Parameters
    ----------
    model : Model
        The model to save.
    path : str or os.PathLike
        The file to write.
    overwrite : bool, default True
        Replace an existing file; False raises FileExistsError instead.

    Raises
    ------
    ValueError
        For a path ending in ".h5" or ".hdf5" (Keras's legacy format).
    FileExistsError
        If the file exists and `overwrite` is False.
    ImportError
        For a ".keras" path without h5py.
    """
    path = os.fspath(path)
    if path.endswith((".h5", ".hdf5")):
        hint = "model.save_weights() writes .weights.h5 files; " if \
            path.endswith(".weights.h5") else ""
        raise ValueError(f"{path!r}: Keras's legacy HDF5 model format is not supported; "
                         f"{hint}save to a path ending in .keras (Keras 3's format) or any "
                         f"other name (fastmlp's own format)")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    if path.endswith(".keras"):
        from .keras_format import save_keras

        save_keras(model, path)
        return
    config, arrays = model_state(model)
    write_model_file(path, config, arrays)


def save_weights(model: Any, path: Any, overwrite: bool = True) -> None:
    """Write `model`'s weights to `path` in Keras 3's ".weights.h5" format (see Model.save_weights).

    Parameters
    ----------
    model : Model
        The model whose weights (and optimizer state) are written.
    path : str or os.PathLike
        The file to write; its name must end in ".weights.h5".
    overwrite : bool, default True
        Replace an existing file; False raises FileExistsError instead.

    Raises
    ------
    ValueError
        For a name that does not end in ".weights.h5".
    FileExistsError
        If the file exists and `overwrite` is False.
    ImportError
        Without h5py.
    """
    from .keras_format import save_weights_h5

    path = os.fspath(path)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    save_weights_h5(model, path)


def load_weights(model: Any, path: Any, skip_mismatch: bool = False) -> None:
    """Read a ".weights.h5" file into `model` (see Model.load_weights).

    Parameters
    ----------
    model : Model
        The model to update.
    path : str or os.PathLike
        The weights file.
    skip_mismatch : bool, default False
        Skip the layers whose weights do not fit instead of raising.

    Raises
    ------
    FileNotFoundError
        If there is no file at `path`.
    ValueError
        For a file that is not HDF5, or weights that do not fit the model.
    ImportError
        Without h5py.
    """
    from .keras_format import load_weights_h5

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no weights file at {path!r}")
    load_weights_h5(model, path, skip_mismatch=skip_mismatch)


class _Description:
    """A checked description (file versions 1 and 2): the model it builds,
    and the arrays it promises."""

    def __init__(self, config: Any, compile: bool = True):
        from .layers import LAYER_CLASSES

        need(isinstance(config, dict), "the description is not an object")
        need(config.get("format") == FILE_FORMAT, f"format is {config.get('format')!r}")
        version = config.get("version")
        need(version in (1, 2, 3), f"file version {version!r}, this fastmlp reads 1 to 3")
        need(config.get("dtype") in MODEL_POLICIES, f"dtype {config.get('dtype')!r}")
        need(version == 3 or config["dtype"] in ("float32", "float64"),
             f"dtype {config['dtype']!r} in a version {version} file")
        if config["dtype"] == "mixed_bfloat16":
            require_bf16("a model saved with dtype='mixed_bfloat16'")
        self.config = config
        self.dtype = np.dtype(np.float64 if config["dtype"] == "float64" else np.float32)
        if version == 1:  # a Sequential's layers, fastmlp's first layout
            need(isinstance(config.get("name"), str), "the model name is not a string")
            entries = config.get("layers")
            need(isinstance(entries, list) and entries, "no layers")
            for entry in entries:
                need(isinstance(entry, dict) and entry.get("class_name") in LAYER_CLASSES,
                     f"unknown layer {str(entry)[:80]!r}")
            model_entry = {"class_name": "Sequential",
                           "config": {"name": config["name"], "dtype": config["dtype"],
                                      "layers": entries}}
        else:
            model_entry = config.get("model")
            need(isinstance(model_entry, dict), "no model description")
        with structure_only():  # nothing allocated before the arrays are checked
            self.model = model_from_config(model_entry, build=False)
        self.model._dtype = self.dtype
        self.model._policy = config["dtype"]
        if quantized_mode(self.model._flat()) is not None:
            need(version == 3, "quantized layers in a version 1 or 2 file")
            need(config["dtype"] != "float64", "quantized layers in a float64 model")
        compile_cfg = config.get("compile")
        need(compile_cfg is None or isinstance(compile_cfg, dict), "compile is not an object")
        self.compile = compile_cfg if compile else None
        self.n_in = config.get("input_dim")
        self.shapes = []
        if self.n_in is not None:
            self.n_in = check_int(self.n_in, "input_dim", minimum=1, maximum=_MAX_UNITS)
            declared = self.model._sample_shape()
            need(declared is None or int(np.prod(declared, dtype=object)) == self.n_in,
                 f"the model's input shape {declared} does not hold input_dim={self.n_in} "
                 f"features")
            width = self.n_in
            from .models import Model

            for layer in self.model._flat():
                need(not isinstance(layer, Model), "a nested model was not expanded")
                need(getattr(layer, "units", 1) <= _MAX_UNITS, "a layer is too wide")
                self.shapes += [tuple(s[1]) for s in layer.weight_specs(width)]
                width = layer.output_width(width)
            self.dropout_seed = check_int(config.get("dropout_seed"), "dropout_seed", minimum=0,
                                          maximum=2**64 - 1)
        self.iterations = config.get("optimizer_iterations") if compile else None
        if self.iterations is not None:
            need(compile_cfg is not None and self.n_in is not None,
                 "optimizer state without a compiled, built model")
            self.iterations = check_int(self.iterations, "optimizer_iterations", minimum=0,
                                        maximum=2**62)

    def arrays(self) -> list:
        """[(member name, shape)] of every array the description promises:
        the weights, then the optimizer's slots when it was saved with them."""
        named = [(f"weight_{i}", shape) for i, shape in enumerate(self.shapes)]
        if self.iterations is not None:
            named += [(name, _slot_shape(self)) for name in _SLOTS]
        return named

    def _compile(self) -> None:
        cfg = self.compile
        version = self.config.get("version")
        opt_cfg = cfg.get("optimizer")
        need(isinstance(opt_cfg, dict) and isinstance(opt_cfg.get("config"), dict),
             "the optimizer description is not an object")
        if version == 1:
            optimizer = optimizers.from_config(opt_cfg.get("class_name"), opt_cfg["config"])
        else:
            optimizer = optimizers.deserialize(opt_cfg)
        metrics = cfg.get("metrics")
        weighted = cfg.get("weighted_metrics")
        need(metrics is None or isinstance(metrics, list), "metrics is not a list")
        need(weighted is None or isinstance(weighted, list), "weighted_metrics is not a list")
        self.model.compile(optimizer=optimizer, loss=losses.deserialize(cfg.get("loss")),
                           metrics=[metrics_module.deserialize(m) for m in metrics or []],
                           weighted_metrics=[metrics_module.deserialize(m) for m in weighted or []])

    def build(self, arrays: dict) -> Any:
        """The model, from arrays already checked against arrays():
        compiled when the file says so, with its weights and optimizer state."""
        model = self.model
        if self.compile is not None:
            self._compile()
        if self.n_in is None:
            return model
        # the saved weights replace the initial ones, so the global random state is left alone
        model._build_network(self.n_in, rng=np.random.default_rng(0),
                             dropout_seed=self.dropout_seed)
        model.set_weights([arrays[f"weight_{i}"] for i in range(len(self.shapes))])
        if self.iterations is not None:
            engine = model._net.engine
            for slot, name in zip(engine.optimizer_slots(), _SLOTS):
                saved = arrays[name]
                need(saved.shape == slot.shape, f"{name} has shape {saved.shape}, expected "
                                                f"{slot.shape}")
                need(bool(np.isfinite(saved).all()), f"{name} is not finite")
                slot[...] = saved
            engine.iterations = self.iterations
        return model


def _slot_shape(description: _Description) -> tuple:
    """The optimizer slots' shape: the parameter arena of the model's network."""
    total = 0
    width = description.n_in
    for layer in description.model._flat():
        total += sum(int(np.prod(s[1], dtype=object)) for s in layer.weight_specs(width) if s[3])
        width = layer.output_width(width)
    return (total,)


def need(condition: Any, message: str) -> None:
    """Raise MalformedFile with `message` unless `condition` holds.

    Parameters
    ----------
    condition : object
        Tested for truth.
    message : str
        What is wrong with the file.

    Raises
    ------
    MalformedFile
        A ValueError, when `condition` is false.
    """
    if not condition:
        raise MalformedFile(message)


# what a malformed description can raise on its way through the constructors
_INVALID = (MalformedFile, KeyError, TypeError, ValueError, AttributeError, OverflowError,
            RecursionError, RuntimeError)
# what a damaged archive can raise while a member is read
_READ_ERRORS = (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, MemoryError,
                UnicodeDecodeError)


def restore(config: Any, arrays: dict, source: str) -> Any:
    """The model that (config, arrays) describe; ValueError naming `source` if invalid.

    The description and every array's shape are checked before the network
    is allocated.

    Parameters
    ----------
    config : dict
        The description, as `model_state` returns it.
    arrays : dict
        The arrays by name.
    source : str
        How to name the origin in errors, such as the file's path.

    Returns
    -------
    Model
        The rebuilt model, with its weights (and compiled, when the
        description holds compile arguments).

    Raises
    ------
    ValueError
        For an invalid description or a missing or misshapen array.
    CPUFeatureError
        When the model needs bfloat16 arithmetic the CPU lacks.
    """
    try:
        description = _Description(config)
        for name, shape in description.arrays():
            array = arrays.get(name)
            need(isinstance(array, np.ndarray), f"no array {name!r}")
            need(array.shape == tuple(shape), f"{name} has shape {array.shape}, expected "
                                              f"{tuple(shape)}")
        return description.build(arrays)
    except CPUFeatureError:
        raise
    except _INVALID as exc:
        raise ValueError(f"{source} is not a valid fastmlp model file: {exc}") from None


def load_model(path: Any, custom_objects: Any = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Read a model written by Model.save (fastmlp's format, or a .keras file).

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    custom_objects : ignored
        Accepted for Keras code; fastmlp has no custom layers to look up.
    compile : bool, default True
        Restore the compile settings and the optimizer's state; with False
        the model comes back uncompiled (weights only), as in Keras.
    safe_mode : ignored
        fastmlp's reader never runs code or unpickles, whatever its value.

    Returns
    -------
    Model
        With its architecture, weights, compile settings and optimizer state.

    Raises
    ------
    FileNotFoundError
        If there is no file at `path`.
    ValueError
        If the file is not a model file, or is corrupt.

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
    if path.endswith(".keras"):
        from .keras_format import load_keras

        return load_keras(path, compile=compile)
    if path.endswith(".h5") and not path.endswith(".weights.h5"):
        raise ValueError(f"{path!r} looks like a legacy Keras HDF5 model, which fastmlp does not "
                         f"read; save it from Keras as a .keras file (model.save('m.keras'))")
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
            description = _Description(config, compile=compile)
            arrays = {}
            for name, shape in description.arrays():
                arrays[name] = read_array(archive, size, name, shape, description.dtype)
        except CPUFeatureError:
            raise
        except _INVALID + _READ_ERRORS as exc:
            raise ValueError(f"{path!r} is not a valid fastmlp model file: {exc}") from None
    try:
        return description.build(arrays)
    except CPUFeatureError:
        raise
    except _INVALID as exc:
        raise ValueError(f"{path!r} is not a valid fastmlp model file: {exc}") from None
