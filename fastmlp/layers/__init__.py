"""Layers, one kind per module (Keras's names and arguments): configuration
and weights; a model's engine does the arithmetic.

Examples
--------
>>> import fastmlp as fm
>>> fm.layers.Dense(10, activation="relu").units
10
"""
from ._checks import check_weight_list
from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .base import KerasTensor, Layer, Variable
from .batch_normalization import BatchNormalization
from .dense import Dense
from .dropout import MAX_DROPOUT_RATE, Dropout
from .flatten import Flatten
from .input_layer import Input, InputLayer
from .noise import GaussianNoise

__all__ = ["Layer", "Variable", "KerasTensor", "Dense", "Dropout", "BatchNormalization",
           "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "GaussianNoise", "Flatten",
           "InputLayer", "Input"]

# the layers a model file or config may name
LAYER_CLASSES = {cls.__name__: cls for cls in (
    Dense, Dropout, BatchNormalization, Activation, ReLU, LeakyReLU, ELU, Softmax,
    GaussianNoise, Flatten, InputLayer)}
