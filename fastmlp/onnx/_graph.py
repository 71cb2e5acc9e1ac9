"""Reading an ONNX file without trusting it, and finding the path the data
takes through its graph.

Every size is checked against what the file holds before anything is
allocated from it: a tensor's declared dims against the bytes or values it
carries, the graph's node count, the values a walk visits. Tensors stored
outside the file (external data, which torch.onnx's dynamo exporter writes by
default) are read only from files in the model file's own folder, at an
offset and length that the data file holds: a model cannot make fastmlp read
anything else. Anything malformed raises ValueError.
"""
from __future__ import annotations

import math
import os
from pathlib import PurePath
from typing import Any, Dict, List, Optional

import numpy as np

from .._validation import describe
from ._require import require_onnx

__all__ = ["OnnxGraph", "read_model", "node_label", "MAX_FILE_BYTES"]

# protobuf's own limit on a message
MAX_FILE_BYTES = 1 << 31
MAX_NODES = 100_000
MAX_ELEMENTS = 1 << 31  # per tensor
MAX_BLOCK_NODES = 32    # nodes in one elementwise block (an activation written as a formula)
MAX_CONSTANT_DEPTH = 64

_FLOAT_TYPES = {1: np.float32, 11: np.float64}          # TensorProto.FLOAT, DOUBLE
_INT_TYPES = {7: np.int64, 6: np.int32, 9: np.bool_}     # INT64, INT32, BOOL
_FIELD = {1: "float_data", 11: "double_data", 7: "int64_data", 6: "int32_data", 9: "int32_data"}
_ITEMSIZE = {1: 4, 11: 8, 7: 8, 6: 4, 9: 1}
_LITTLE_ENDIAN = {1: "<f4", 11: "<f8", 7: "<i8", 6: "<i4", 9: "?"}


def node_label(node: Any, index: Optional[int] = None) -> str:
    """How messages name a node: its name (or position) and its operator.

    Parameters
    ----------
    node : onnx.NodeProto
        The node.
    index : int, optional
        Its position in the graph, used when it has no name.

    Returns
    -------
    str
        ``node 'name' (OpType)``, with ``#index`` or ``(unnamed)`` for a node
        without a name.
    """
    name = node.name or (f"#{index}" if index is not None else "(unnamed)")
    return f"node {name!r} ({node.op_type})"


def read_model(source: Any) -> tuple:
    """(onnx.ModelProto, the folder external data may come from or None)
    from a path, bytes or a ModelProto."""
    onnx = require_onnx()
    folder = None
    if isinstance(source, onnx.ModelProto):
        return source, None
    where = "the bytes given"
    if isinstance(source, (str, os.PathLike)):
        where = repr(os.fspath(source))
        folder = os.path.dirname(os.path.abspath(source))
        if not os.path.isfile(source):
            raise ValueError(f"no ONNX file at {where}")
        size = os.path.getsize(source)
        if size >= MAX_FILE_BYTES:
            raise ValueError(f"{where} holds {size:,} bytes; an ONNX model in one file holds "
                             f"less than 2 GiB (larger models keep their weights in external data)")
        with open(source, "rb") as f:
            data = f.read(MAX_FILE_BYTES)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise TypeError(f"load_onnx takes a path, the file's bytes or an onnx.ModelProto; got "
                        f"{describe(source)}")
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError, RecursionError, ...
        raise ValueError(f"{where} is not an ONNX model: {type(exc).__name__}: "
                         f"{str(exc)[:200]}") from None
    if not proto.HasField("graph"):
        raise ValueError(f"{where} is not an ONNX model (it has no graph)")
    return proto, folder


class OnnxGraph:
    """The graph of a model: its nodes by the values they produce, its
    constants (evaluated on demand), its one input and the output to import."""

    def __init__(self, proto: Any, folder: Optional[str] = None):
        self.onnx = require_onnx()
        self.folder = folder
        graph = proto.graph
        if len(graph.node) > MAX_NODES:
            raise ValueError(f"the graph has {len(graph.node):,} nodes; fastmlp imports MLPs "
                             f"(at most {MAX_NODES:,} nodes)")
        self.opset = None
        for entry in proto.opset_import:
            if entry.domain in ("", "ai.onnx"):
                self.opset = int(entry.version)
        if self.opset is None:
            raise ValueError("the model imports no ai.onnx opset")
        self.nodes = list(graph.node)
        self.position: Dict[int, int] = {}
        self.producer: Dict[str, Any] = {}
        for i, node in enumerate(self.nodes):
            self.position[id(node)] = i
            for k, out in enumerate(node.output):
                if not out:
                    continue
                if out in self.producer:
                    raise ValueError(f"value {out!r} is produced twice (by "
                                     f"{node_label(self.producer[out][0])} and "
                                     f"{node_label(node, i)})")
                self.producer[out] = (node, k)
        self.initializers = {t.name: t for t in graph.initializer}
        for sparse in graph.sparse_initializer:
            self.initializers.setdefault(sparse.values.name, None)  # refused if used
        inputs = [v for v in graph.input if v.name not in self.initializers]
        if len(inputs) != 1:
            raise ValueError(f"fastmlp imports models with one input; the graph has "
                             f"{len(inputs)} ({', '.join(repr(v.name) for v in inputs[:5])})")
        self.input = inputs[0]
        self.outputs = list(graph.output)
        self._constants: Dict[str, Optional[np.ndarray]] = {}

    # ------------------------------------------------------------ the input

    def input_signature(self) -> tuple:
        """The graph's one input: its name, dtype and the dims after the batch one.

        Returns
        -------
        tuple
            ``(name, dtype, dims)``: the input's name, numpy float32 or float64,
            and a list with one entry per dimension after the batch one, an int
            when the file fixes it, else None.

        Raises
        ------
        ValueError
            If the input is not a tensor, is not float32 or float64, has no shape
            or fewer than two dimensions, or declares a dimension outside
            ``(0, MAX_ELEMENTS]``.
        """
        value = self.input
        if not value.type.HasField("tensor_type"):
            raise ValueError(f"the input {value.name!r} is not a tensor")
        tensor = value.type.tensor_type
        if tensor.elem_type not in _FLOAT_TYPES:
            raise ValueError(f"the input {value.name!r} has element type "
                             f"{self._type_name(tensor.elem_type)}; fastmlp takes float32 or "
                             f"float64 inputs")
        if not tensor.HasField("shape") or len(tensor.shape.dim) < 2:
            rank = len(tensor.shape.dim) if tensor.HasField("shape") else "unknown"
            raise ValueError(f"the input {value.name!r} must have a batch dimension and "
                             f"features, (batch, features...); its rank is {rank}")
        dims = []
        for d in list(tensor.shape.dim)[1:]:
            if d.HasField("dim_value"):
                if not 0 < d.dim_value <= MAX_ELEMENTS:
                    raise ValueError(f"the input {value.name!r} declares a dimension of "
                                     f"{d.dim_value}")
                dims.append(int(d.dim_value))
            else:
                dims.append(None)
        return value.name, np.dtype(_FLOAT_TYPES[tensor.elem_type]), dims

    def _type_name(self, elem: int) -> str:
        try:
            return self.onnx.TensorProto.DataType.Name(elem)
        except ValueError:
            return str(elem)

    # ------------------------------------------------------------ tensors and constants

    def array(self, tensor: Any, what: str) -> np.ndarray:
        """A TensorProto's values, its declared size checked against its data first.

        Nothing is allocated from the declared dims until they match what the
        tensor holds. External data is read only from the model's own folder
        (see ``_external``).

        Parameters
        ----------
        tensor : onnx.TensorProto or None
            The tensor; None stands for a sparse initializer.
        what : str
            How messages name it (e.g. "initializer 'w'").

        Returns
        -------
        numpy.ndarray
            A new array of the tensor's shape: float32, float64, int32, int64 or
            bool.

        Raises
        ------
        ValueError
            If it is a sparse initializer, has another element type, declares a
            negative dimension or more than ``MAX_ELEMENTS`` values, holds a
            different number of values than it declares, or cannot be read.
        """
        if tensor is None:
            raise ValueError(f"{what} is a sparse initializer, which fastmlp does not import")
        elem = tensor.data_type
        if elem not in _FIELD:
            raise ValueError(f"{what} has element type {self._type_name(elem)}; fastmlp reads "
                             f"float32, float64, int32, int64 and bool tensors")
        count = 1
        for d in tensor.dims:
            if d < 0:
                raise ValueError(f"{what} declares a negative dimension {d}")
            count *= d
            if count > MAX_ELEMENTS:
                raise ValueError(f"{what} declares more than {MAX_ELEMENTS:,} values")
        if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
            return self._external(tensor, what, count)
        if tensor.HasField("raw_data"):
            held = len(tensor.raw_data) / _ITEMSIZE[elem]
        else:
            held = len(getattr(tensor, _FIELD[elem]))
        if held != count:
            raise ValueError(f"{what} declares shape {tuple(tensor.dims)} ({count:,} values) "
                             f"but holds {held:,.0f}")
        try:
            array = self.onnx.numpy_helper.to_array(tensor)
        except Exception as exc:
            raise ValueError(f"{what} cannot be read: {exc}") from None
        return np.array(array, dtype=(_FLOAT_TYPES.get(elem) or _INT_TYPES[elem]), copy=True)

    def _external(self, tensor: Any, what: str, count: int) -> np.ndarray:
        """A tensor kept in a data file beside the model: only a relative
        location inside the model's folder, only the bytes the file holds."""
        if self.folder is None:
            raise ValueError(f"{what} is stored outside the model (external data): load the "
                             f"model from its file path, with its data file beside it")
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location", "")
        if not location or os.path.isabs(location) or ".." in PurePath(location).parts:
            raise ValueError(f"{what} names its external data {location!r}; fastmlp reads "
                             f"data files from the model's own folder only")
        root = os.path.realpath(self.folder)
        path = os.path.realpath(os.path.join(root, location))
        if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
            raise ValueError(f"{what}: no data file {location!r} in the model's folder")
        try:
            offset = int(info.get("offset", 0))
            length = int(info.get("length", count * _ITEMSIZE[tensor.data_type]))
        except ValueError:
            raise ValueError(f"{what} has a malformed external data offset or length") from None
        if length != count * _ITEMSIZE[tensor.data_type]:
            raise ValueError(f"{what} declares shape {tuple(tensor.dims)} ({count:,} values) "
                             f"but {length:,} bytes of external data")
        if offset < 0 or offset + length > os.path.getsize(path):
            raise ValueError(f"{what}: {location!r} holds no bytes {offset:,} to "
                             f"{offset + length:,}")
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(length)
        if len(data) != length:
            raise ValueError(f"{what}: {location!r} ended early")
        values = np.frombuffer(data, dtype=_LITTLE_ENDIAN[tensor.data_type])
        kind = _FLOAT_TYPES.get(tensor.data_type) or _INT_TYPES[tensor.data_type]
        return values.astype(kind).reshape(tuple(tensor.dims))

    def constant(self, name: str, depth: int = 0) -> Optional[np.ndarray]:
        """The value of `name` when the graph fixes it (an initializer, a
        Constant node, or Identity/Cast of one), else None."""
        if name in self._constants:
            return self._constants[name]
        value = None
        if name in self.initializers:
            value = self.array(self.initializers[name], f"initializer {name!r}")
        elif name in self.producer and depth < MAX_CONSTANT_DEPTH:
            node, k = self.producer[name]
            if node.op_type == "Constant" and k == 0:
                value = self._constant_node(node)
            elif node.op_type in ("Identity", "Cast") and k == 0 and node.input and node.input[0]:
                source = self.constant(node.input[0], depth + 1)
                if source is not None:
                    value = source
                    if node.op_type == "Cast":
                        to = self.attributes(node).get("to")
                        kind = _FLOAT_TYPES.get(to) or _INT_TYPES.get(to)
                        value = None if kind is None else source.astype(kind)
        self._constants[name] = value
        return value

    def _constant_node(self, node: Any) -> np.ndarray:
        attrs = self.attributes(node)
        label = node_label(node, self.position.get(id(node)))
        if "value" in attrs:
            return self.array(attrs["value"], label)
        for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                           ("value_int", np.int64), ("value_ints", np.int64)):
            if key in attrs:
                return np.array(attrs[key], dtype=dtype)
        raise ValueError(f"{label} holds a kind of constant fastmlp does not read "
                         f"({', '.join(attrs) or 'nothing'})")

    def is_data(self, name: str) -> bool:
        """Whether `name` is a value computed from the input.

        Parameters
        ----------
        name : str
            A value's name; "" stands for an absent optional input.

        Returns
        -------
        bool
            False for "" and for values the graph fixes (see ``constant``), True
            otherwise.

        Raises
        ------
        ValueError
            If evaluating the value as a constant meets a malformed tensor.
        """
        return bool(name) and self.constant(name) is None

    def attributes(self, node: Any) -> dict:
        """A node's attributes as Python values.

        Parameters
        ----------
        node : onnx.NodeProto
            The node.

        Returns
        -------
        dict
            Attribute name to value, as ``onnx.helper.get_attribute_value`` gives
            it (tensors as TensorProtos), bytes decoded to str.

        Raises
        ------
        ValueError
            If an attribute holds a subgraph (GRAPH or GRAPHS).
        """
        out = {}
        for attr in node.attribute:
            if attr.type in (attr.GRAPH, attr.GRAPHS):
                raise ValueError(f"{node_label(node, self.position.get(id(node)))} holds a "
                                 f"subgraph, which fastmlp does not import")
            value = self.onnx.helper.get_attribute_value(attr)
            out[attr.name] = value.decode() if isinstance(value, bytes) else value
        return out

    # ------------------------------------------------------------ outputs and the path

    def pick_output(self, output: Optional[str]) -> str:
        """The value to import: `output` when given, else the graph's one float
        output (a ZipMap's input for skl2onnx's classifiers, whose labels are
        left out)."""
        if output is not None:
            if not isinstance(output, str):
                raise TypeError(f"output must be the name of a value in the graph; got "
                                f"{describe(output)}")
            if output not in self.producer and output != self.input.name:
                raise ValueError(f"the graph computes no value named {output!r}; its outputs "
                                 f"are {[o.name for o in self.outputs]}")
            return output
        candidates = []
        for value in self.outputs:
            node = self.producer.get(value.name, (None, 0))[0]
            if node is not None and node.op_type == "ZipMap" and node.input:
                candidates.append(node.input[0])
            elif value.type.HasField("tensor_type") and \
                    value.type.tensor_type.elem_type in _FLOAT_TYPES:
                candidates.append(value.name)
        candidates = list(dict.fromkeys(candidates))
        if not candidates:
            raise ValueError(f"the graph has no float output to import (its outputs: "
                             f"{[o.name for o in self.outputs]})")
        if len(candidates) > 1:
            raise ValueError(f"the graph has several float outputs {candidates}: choose one "
                             f"with output=")
        return candidates[0]

    def data_inputs(self, node: Any) -> List[str]:
        """The inputs of `node` that carry data computed from the graph's input.

        Parameters
        ----------
        node : onnx.NodeProto
            The node.

        Returns
        -------
        list of str
            The names of its inputs for which ``is_data`` is True, in order
            (constants and absent inputs left out).
        """
        return [name for name in node.input if self.is_data(name)]

    def step_back(self, name: str, source: str) -> tuple:
        """The node computing `name` and its data inputs, one step up the path.

        Parameters
        ----------
        name : str
            A value on the path from the input to the output.
        source : str
            The graph input's name, for the error message.

        Returns
        -------
        tuple
            ``(node, inputs)``: the producing NodeProto and its ``data_inputs``.

        Raises
        ------
        ValueError
            If no node produces `name`, or `name` is not the node's first output.
        """
        if name not in self.producer:
            raise ValueError(f"value {name!r} comes from neither the input {source!r} nor a "
                             f"node")
        node, k = self.producer[name]
        if k != 0:
            raise ValueError(f"the path to the output uses output {k} of "
                             f"{node_label(node, self.position[id(node)])}; fastmlp imports its "
                             f"first output only")
        return node, self.data_inputs(node)

    def block(self, node: Any, source: str, elementwise: Any) -> tuple:
        """(nodes in graph order, the value they start from) of the block of
        operators in `elementwise` that ends at `node`, whose data inputs all
        come from one value: an activation written as a formula
        (x·sigmoid(x), GELU with Erf)."""
        frontier = set(self.data_inputs(node))
        nodes = {id(node): node}
        while len(frontier) > 1:
            if len(nodes) > MAX_BLOCK_NODES or any(n.op_type not in elementwise or
                                                   n.domain not in ("", "ai.onnx")
                                                   for n in nodes.values()):
                break
            # expand the latest value first, so that branches meet where they split
            latest = max(frontier, key=lambda v: self.position[id(self.producer[v][0])]
                         if v in self.producer else -1)
            if latest == source or latest not in self.producer:
                break
            frontier.discard(latest)
            inner, k = self.producer[latest]
            if k != 0:
                break
            nodes[id(inner)] = inner
            frontier |= set(self.data_inputs(inner))
        if len(frontier) != 1 or any(n.op_type not in elementwise for n in nodes.values()):
            raise ValueError(f"{node_label(node, self.position[id(node)])} combines values that "
                             f"do not come from one elementwise formula; fastmlp imports chains "
                             f"of layers")
        ordered = sorted(nodes.values(), key=lambda n: self.position[id(n)])
        return ordered, frontier.pop()

    def scalar(self, name: str, what: str) -> float:
        """The single number a constant value holds.

        Parameters
        ----------
        name : str
            The value's name.
        what : str
            How messages name it.

        Returns
        -------
        float
            The value as a Python float.

        Raises
        ------
        ValueError
            If the value is not a constant, holds more or fewer than one number,
            or is NaN.
        """
        value = self.constant(name)
        if value is None or value.size != 1:
            raise ValueError(f"{what} must be a single number")
        number = float(value.reshape(-1)[0])
        if math.isnan(number):
            raise ValueError(f"{what} is NaN")
        return number
