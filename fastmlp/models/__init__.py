"""Models: Model (the Functional API for chains) and Sequential, with
Keras's compile/fit/evaluate/predict; loading and config round trips.

Examples
--------
>>> import fastmlp as fm
>>> model = fm.models.Sequential([fm.Input((3,)), fm.Dense(2)])
>>> fm.models.model_from_json(model.to_json()).count_params()
8
"""
from .model import Model, unapplied_step
from .sequential import Sequential
from ..onnx.load import load_onnx
from ..saving import clone_model, load_model, model_from_config, model_from_json

__all__ = ["Model", "Sequential", "load_model", "model_from_json", "model_from_config",
           "clone_model", "load_onnx"]
