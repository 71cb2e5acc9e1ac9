"""ONNX in and out: a Keras-dialect model as an ONNX graph
(`model.export(path, format="onnx")`, `to_onnx`, `export_onnx`), an ONNX MLP
as a fastmlp model (`load_onnx`, also `fm.models.load_onnx`), and skl2onnx
converters for fm.MLPClassifier / fm.MLPRegressor (`register_skl2onnx`).

The onnx package is an optional extra (``pip install "fastmlp[onnx]"``): this
module imports it only when one of its functions runs, and skl2onnx only
when `register_skl2onnx()` is called.

Examples
--------
>>> import fastmlp as fm
>>> model = fm.Sequential([fm.Input((4,)), fm.Dense(8, activation="relu"), fm.Dense(2)])
>>> [node.op_type for node in fm.onnx.to_onnx(model).graph.node]
['Gemm', 'Relu', 'Gemm']
"""
from .export import DEFAULT_OPSET, INPUT_NAME, OUTPUT_NAME, export_onnx, to_onnx
from .load import load_onnx
from .skl2onnx_converters import register_skl2onnx

__all__ = ["to_onnx", "export_onnx", "load_onnx", "register_skl2onnx", "DEFAULT_OPSET",
           "INPUT_NAME", "OUTPUT_NAME"]
