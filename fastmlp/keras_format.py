"""Keras 3's files: `.weights.h5` (save_weights / load_weights) and `.keras`
(a zip of metadata.json, config.json and model.weights.h5), written so that
Keras 3 reads them and read as Keras 3 writes them, for the layers fastmlp
has. h5py is an optional extra (pip install "fastmlp[keras]").

Layout of the weights (Keras 3's): each model's layers are groups
`layers/<name>` named after their class in snake case and numbered per
class in the order of model.layers (dense, dense_1, batch_normalization, ...,
whatever names the user gave), each holding `vars/0..n` in get_weights
order; nested models hold their own `layers`. The optimizer's variables are
`optimizer/vars/0..n`: the iteration count, the learning rate (unless a
schedule gives it), then its
slots for the trainable variables in order (Adam: momentum and velocity per
variable; RMSprop: all velocities, then all momentums; SGD: momentums).

Models use these through ``model.save("x.keras")``, ``fm.load_model("x.keras")``,
``model.save_weights("x.weights.h5")`` and ``model.load_weights(...)``.

Examples
--------
>>> import fastmlp as fm
>>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
>>> model.save("model.keras")
>>> fm.load_model("model.keras").count_params()
8
"""
from __future__ import annotations

import io
import json
import os
import re
import time
import warnings
import zipfile
from typing import Any, Iterator, List, Tuple

import numpy as np

from ._model_file import write_atomically
from .layers.base import feature_shape, structure_only

__all__ = ["save_keras", "load_keras", "save_weights_h5", "load_weights_h5"]

KERAS_VERSION = "3.15.1"  # the version whose layout this follows


def _h5py():
    try:
        import h5py
    except ImportError as exc:
        raise ImportError("reading and writing Keras files needs h5py, an optional extra: "
                          "pip install 'fastmlp[keras]' (or pip install h5py)") from exc
    return h5py


def snake_case(name: str) -> str:
    """Keras's to_snake_case: a class name as Keras names its layers and weight groups.

    Non-word characters are dropped, then an underscore is put before each
    capitalized word and between a lowercase letter and a capital, and the
    result is lowercased ("BatchNormalization" gives "batch_normalization",
    "ReLU" gives "re_lu").

    Parameters
    ----------
    name : str
        The name to convert.

    Returns
    -------
    str
        The snake-case name.
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def _group_names(layers: list) -> List[str]:
    """Keras's per-class numbering of a model's layers for its weights file."""
    from .models import Sequential

    counts: dict = {}
    names = []
    for layer in layers:
        cls = "Sequential" if isinstance(layer, Sequential) else (
            "Functional" if _is_model(layer) else type(layer).__name__)
        base = snake_case(cls)
        n = counts.get(base, 0)
        counts[base] = n + 1
        names.append(base if n == 0 else f"{base}_{n}")
    return names


def _is_model(layer: Any) -> bool:
    from .models import Model

    return isinstance(layer, Model)


def _walk(model: Any, prefix: str = "") -> Iterator[Tuple[str, Any]]:
    """(group path, layer) for every layer with (possibly no) variables."""
    layers = model.layers
    for name, layer in zip(_group_names(layers), layers):
        path = f"{prefix}layers/{name}"
        if _is_model(layer):
            yield path, layer
            yield from _walk(layer, path + "/")
        else:
            yield path, layer


def _trainable_order(model: Any) -> list:
    """The trainable (layer, key) pairs in Keras's trainable_variables order."""
    out = []
    for layer in model._flat():
        if not layer.trainable or not model.trainable:
            continue
        for key, _, _, trainable in layer.weight_specs(layer._width or 1):
            if trainable:
                out.append((layer, key))
    return out


def _optimizer_slots(model: Any) -> list:
    """(slot arena, layer, key) in Keras's order of the optimizer's variables."""
    from .optimizers import SGD, Adam, RMSprop

    net = model._net
    opt = model.optimizer
    if opt is None or net is None or net.engine.optimizer_slots() is None:
        return []
    first, second = net.engine.optimizer_slots()
    pairs = _trainable_order(model)
    if isinstance(opt, Adam):
        return [(s, layer, key) for layer, key in pairs for s in (first, second)]
    if isinstance(opt, RMSprop):
        out = [(first, layer, key) for layer, key in pairs]
        if opt.momentum > 0:
            out += [(second, layer, key) for layer, key in pairs]
        return out
    if isinstance(opt, SGD) and opt.momentum > 0:
        return [(first, layer, key) for layer, key in pairs]
    return []


def _optimizer_header(optimizer: Any) -> int:
    """How many variables precede the slots: the iteration count, and the
    learning rate unless a schedule gives it (Keras then keeps no variable)."""
    return 1 if optimizer.schedule is not None else 2


def _slot_view(net: Any, arena: np.ndarray, layer: Any, key: str) -> np.ndarray:
    """The part of an optimizer slot arena that belongs to layer's weight `key`."""
    params = net.engine.params
    target = layer._arrays[key]
    offset = (target.__array_interface__["data"][0] - params.__array_interface__["data"][0]) // \
        params.itemsize
    return arena[offset:offset + target.size].reshape(target.shape)


def _write_weights(model: Any, f: Any) -> None:
    net = model._network() if model._n_in() is not None else None
    layers_group = f.create_group("layers")
    del layers_group
    for path, layer in _walk(model):
        group = f.require_group(path)
        vars_group = group.create_group("vars")
        vars_group.attrs["name"] = layer.name
        if not _is_model(layer):
            for i, value in enumerate(layer.get_weights()):
                vars_group.create_dataset(str(i), data=value)
    opt_vars = f.create_group("optimizer").create_group("vars")
    if model.optimizer is not None:
        opt_vars.attrs["name"] = snake_case(type(model.optimizer).__name__)
        if net is not None and net.engine.optimizer_slots() is not None:
            opt_vars.create_dataset("0", data=np.int32(net.engine.iterations))
            header = _optimizer_header(model.optimizer)
            if header == 2:
                opt_vars.create_dataset("1", data=np.float32(model.optimizer.learning_rate))
            for i, (arena, layer, key) in enumerate(_optimizer_slots(model), start=header):
                opt_vars.create_dataset(str(i), data=_slot_view(net, arena, layer, key))
    f.create_group("vars").attrs["name"] = model.name


def refuse_quantized(model: Any, what: str) -> None:
    """ValueError for a model with quantized layers: fastmlp writes and reads
    them in its own format only."""
    from .quantization import quantized_mode

    mode = quantized_mode(model._flat())
    if mode is not None:
        raise ValueError(f"{what}: the model is quantized ({mode}), and fastmlp does not "
                         f"write or read quantized models in Keras's files (their layouts of "
                         f"quantized weights differ); save it to a path not ending in .keras "
                         f"(fastmlp's own format), or export the float model")


def save_weights_h5(model: Any, path: str) -> None:
    """Write model's weights (and optimizer state) in Keras 3's .weights.h5 layout.

    What ``model.save_weights(path)`` does; Keras 3's ``load_weights`` reads
    the file. Written atomically (a temporary file renamed over `path`).

    Parameters
    ----------
    model : Model
        A built model.
    path : str
        The file to write.

    Raises
    ------
    ImportError
        Without h5py (``pip install "fastmlp[keras]"``).
    ValueError
        For a quantized model (fastmlp's own format carries those).

    Examples
    --------
    >>> import fastmlp as fm
    >>> from fastmlp.keras_format import save_weights_h5, load_weights_h5
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> save_weights_h5(model, "model.weights.h5")
    >>> load_weights_h5(model, "model.weights.h5")
    """
    refuse_quantized(model, "save_weights()")
    h5py = _h5py()

    def write(handle):
        """Write the file's contents to the open binary `handle`
        (write_atomically puts it in place once complete)."""
        with h5py.File(handle, "w") as f:
            _write_weights(model, f)
    write_atomically(path, write)


def _warn_skipped(layer: Any, path: str, why: str) -> None:
    warnings.warn(f"skip_mismatch: layer {layer.name!r} ({path}) keeps its weights: {why}",
                  stacklevel=4)


def _read_weights(model: Any, f: Any, skip_mismatch: bool, source: str) -> None:
    """Assign the weights (and the optimizer state, when compatible) from an
    open Keras weights file; everything is checked before anything is written."""
    from .layers import check_weight_list

    refuse_quantized(model, "load_weights()")
    net = model._network()
    assignments = []
    for path, layer in _walk(model):
        if _is_model(layer):
            continue
        specs = layer.weight_specs(layer._width)
        group = f.get(path + "/vars")
        if group is None:
            if specs and not skip_mismatch:
                raise ValueError(f"{source} has no weights for layer {layer.name!r} ({path})")
            if specs:
                _warn_skipped(layer, path, "the file has no weights for it")
            continue
        stored = [group[str(i)] for i in range(len(group)) if str(i) in group]
        if len(stored) != len(specs):
            if skip_mismatch:
                _warn_skipped(layer, path, f"it expects {len(specs)} weights, the file has "
                                           f"{len(stored)}")
                continue
            raise ValueError(f"{source}: layer {layer.name!r} expects {len(specs)} weights, the "
                             f"file has {len(stored)} ({path})")
        shapes = [tuple(s[1]) for s in specs]
        if any(d.shape != s for d, s in zip(stored, shapes)):
            if skip_mismatch:
                _warn_skipped(layer, path, f"its weights have shapes {shapes}, the file's "
                                           f"{[d.shape for d in stored]}")
                continue
        arrays = check_weight_list([np.asarray(d) for d in stored], shapes,
                                   f"layer {layer.name!r} in {source}", model._dtype)
        assignments.append((layer, specs, arrays))
    for layer, specs, arrays in assignments:
        for (key, *_), value in zip(specs, arrays):
            layer._arrays[key][...] = value
    net.touch()
    opt_group = f.get("optimizer/vars")
    slots = _optimizer_slots(model)
    header = _optimizer_header(model.optimizer) if model.optimizer is not None else 2
    if opt_group is not None and slots and len(opt_group) == len(slots) + header:
        stored = [np.asarray(opt_group[str(i)]) for i in range(len(opt_group))]
        views = [_slot_view(net, arena, layer, key) for arena, layer, key in slots]
        if all(v.shape == s.shape and np.isfinite(s).all() for v, s in
               zip(views, stored[header:])):
            for v, s in zip(views, stored[header:]):
                v[...] = s
            net.engine.iterations = int(stored[0])


def load_weights_h5(model: Any, path: str, skip_mismatch: bool = False) -> None:
    """Read a .weights.h5 file (Keras 3's layout) into the model.

    What ``model.load_weights(path)`` does; reads the files Keras 3's
    ``save_weights`` writes for the layers fastmlp has.

    Parameters
    ----------
    model : Model
        A built model of the file's architecture.
    path : str
        The file to read.
    skip_mismatch : bool, default False
        Skip layers whose weights do not fit (with a warning) instead of
        raising, as Keras.

    Raises
    ------
    ValueError
        For a file that is not HDF5, or weights that do not fit the model.
    ImportError
        Without h5py (``pip install "fastmlp[keras]"``).

    Examples
    --------
    >>> import fastmlp as fm
    >>> from fastmlp.keras_format import save_weights_h5, load_weights_h5
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> save_weights_h5(model, "model.weights.h5")
    >>> load_weights_h5(model, "model.weights.h5")
    """
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path!r} is not an HDF5 weights file ({exc})") from None
    with f:
        _read_weights(model, f, skip_mismatch, repr(path))


def _compile_config(model: Any) -> Any:
    from . import losses, metrics, optimizers

    if not model.compiled:
        return None
    plain = [metrics.serialize(m) for m, w in zip(model._metric_objs, model._weighted_flags) if not w]
    weighted = [metrics.serialize(m) for m, w in zip(model._metric_objs, model._weighted_flags) if w]
    return {"optimizer": optimizers.serialize(model.optimizer),
            "loss": losses.serialize(model._loss_obj), "loss_weights": None,
            "metrics": plain or None, "weighted_metrics": weighted or None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def save_keras(model: Any, path: str) -> None:
    """Write a .keras file Keras 3 loads (zip: metadata.json, config.json,
    model.weights.h5).

    What ``model.save(path)`` does for a path ending in ``.keras``: the
    architecture, the weights, the compile settings and the optimizer's
    state, written atomically.

    Parameters
    ----------
    model : Model
        The model to save.
    path : str
        The file to write.

    Raises
    ------
    ImportError
        Without h5py (``pip install "fastmlp[keras]"``).

    Examples
    --------
    >>> import fastmlp as fm
    >>> from fastmlp.keras_format import save_keras, load_keras
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> save_keras(model, "model.keras")
    >>> load_keras("model.keras").optimizer.name
    'adam'
    """
    from .saving import model_config_entry

    refuse_quantized(model, "save() to .keras")
    h5py = _h5py()
    entry = model_config_entry(model)
    shape = model.input_shape
    if shape is not None:
        entry["build_config"] = {"input_shape": list(shape)}
    entry["compile_config"] = _compile_config(model)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        _write_weights(model, f)
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S"), "fastmlp": True}

    def write(handle):
        """Write the file's contents to the open binary `handle`
        (write_atomically puts it in place once complete)."""
        with zipfile.ZipFile(handle, "w") as zf:
            zf.writestr("metadata.json", json.dumps(metadata))
            zf.writestr("config.json", json.dumps(entry))
            zf.writestr("model.weights.h5", buffer.getvalue())
    write_atomically(path, write)


# the biggest member of a .keras file fastmlp reads whole into memory
_MAX_KERAS_CONFIG = 16 << 20


def load_keras(path: str, compile: bool = True) -> Any:
    """Read a .keras file (written by Keras 3 or fastmlp) for the layers
    fastmlp has; anything else is refused naming it.

    What ``fm.load_model(path)`` does for a ``.keras`` file. Every declared
    size is checked against the file before anything is allocated.

    Parameters
    ----------
    path : str
        The file to read.
    compile : bool, default True
        Compile the model as it was saved (optimizer state included).

    Returns
    -------
    Model
        A Sequential or a Functional Model.

    Raises
    ------
    ValueError
        For a malformed file, or a layer or option fastmlp does not have.
    ImportError
        Without h5py (``pip install "fastmlp[keras]"``).

    Examples
    --------
    >>> import fastmlp as fm
    >>> from fastmlp.keras_format import save_keras, load_keras
    >>> model = fm.Sequential([fm.Input((3,)), fm.Dense(2)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> save_keras(model, "model.keras")
    >>> load_keras("model.keras", compile=False).compiled
    False
    """
    from . import losses, metrics, optimizers
    from .saving import model_from_config

    h5py = _h5py()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path!r} is not a .keras file ({exc})") from None
    with zf:
        names = set(zf.namelist())
        if not {"config.json", "model.weights.h5"} <= names:
            raise ValueError(f"{path!r} is not a .keras file (no config.json / model.weights.h5)")
        info = zf.getinfo("config.json")
        if info.file_size > _MAX_KERAS_CONFIG:
            raise ValueError(f"{path!r}: its config.json is too large ({info.file_size} bytes)")
        try:
            entry = json.loads(zf.read("config.json"))
            with structure_only():  # nothing allocated before the weights are checked
                model = model_from_config(entry, build=False)
            build = entry.get("build_config") or {}
            shape = build.get("input_shape") if isinstance(build, dict) else None
            if model._n_in() is None and shape:
                model._input_shape = feature_shape(shape)
            refuse_quantized(model, f"{path!r}")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ValueError(f"{path!r} describes a model fastmlp cannot build: {exc}") from None
        compile_config = entry.get("compile_config")
        if compile and compile_config:
            try:
                opt = optimizers.deserialize(compile_config["optimizer"]) if isinstance(
                    compile_config.get("optimizer"), dict) else compile_config.get("optimizer")
                model.compile(optimizer=opt, loss=losses.deserialize(compile_config["loss"]),
                              metrics=[metrics.deserialize(m) for m in
                                       compile_config.get("metrics") or []],
                              weighted_metrics=[metrics.deserialize(m) for m in
                                                compile_config.get("weighted_metrics") or []])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path!r}: its compile settings are not ones fastmlp has "
                                 f"({exc}); load it with compile=False") from None
        data = zf.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as f:
        if model._n_in() is not None:
            _check_declared_shapes(model, f, repr(path))
            # the file's weights replace the initial ones: the global random state is left alone
            model._build_network(model._n_in(), rng=np.random.default_rng(0))
            _read_weights(model, f, False, repr(path))
    return model


def _check_declared_shapes(model: Any, f: Any, source: str) -> None:
    """Every weight the architecture declares is in the file with that shape
    (HDF5 metadata only), before the network is allocated."""
    widths, width = {}, model._n_in()
    for layer in model._flat():
        widths[id(layer)] = width
        width = layer.output_width(width)
    for path, layer in _walk(model):
        if _is_model(layer):
            continue
        specs = layer.weight_specs(widths.get(id(layer), 1))
        group = f.get(path + "/vars")
        stored = [] if group is None else [group[str(i)] for i in range(len(group))
                                           if str(i) in group]
        if [tuple(d.shape) for d in stored] != [tuple(spec[1]) for spec in specs]:
            raise ValueError(f"{source}: layer {layer.name!r} ({path}) declares weights of "
                             f"shapes {[tuple(spec[1]) for spec in specs]}; the file holds "
                             f"{[tuple(d.shape) for d in stored]}")
