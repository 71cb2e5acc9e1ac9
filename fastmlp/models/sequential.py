"""Sequential: a stack of layers, each feeding the next."""
from __future__ import annotations

from typing import Any, Optional

from ..layers import InputLayer, KerasTensor, Layer
from .._validation import describe
from .model import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A stack of layers, each feeding the next, in the Keras dialect.

    Parameters
    ----------
    layers : list of Layer, optional
        May start with fm.Input(shape) (or an InputLayer); more can be added
        with `add`. With an input shape (an Input, or ``input_shape=`` on the
        first layer) the model is built at once; otherwise the first `fit`,
        `build` or call builds it.
    trainable : bool, default True
        Whether training updates the model's weights.
    name : str, optional
        Default ``sequential``, numbered for later models.
    dtype : {"float32", "float64"}, default "float32"
        The arithmetic's precision (float32 is the fast path). Keras's
        mixed-precision policies are not supported.

    Raises
    ------
    TypeError
        If `layers` is not a list of layers.
    ValueError
        For an unsupported dtype.

    See Also
    --------
    Model : the Functional API, and every method a Sequential has.

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((784,)), fm.Dense(512, activation="relu"),
    ...                        fm.Dropout(0.2), fm.Dense(10, activation="softmax")])
    >>> model.count_params()
    407050
    """

    def __init__(self, layers: Optional[list] = None, trainable: bool = True,
                 name: Optional[str] = None, dtype: Any = "float32") -> None:
        super().__init__(name=name, dtype=dtype, trainable=trainable)
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of layers; got {describe(layers)}")
        self._layers: list = []
        for layer in layers or []:
            self.add(layer)

    @staticmethod
    def _default_name() -> str:
        return "sequential"

    def _chain_layers(self) -> list:
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    @property
    def layers(self) -> list:
        """The layers, without the InputLayer (as Keras's Sequential).

        list of Layer, in order; a nested model appears as one item. A new list
        at each read.
        """
        return self._chain_layers()

    def _sample_shape(self) -> Optional[tuple]:
        if self._layers and isinstance(self._layers[0], InputLayer):
            return self._layers[0]._input_shape
        return super()._sample_shape()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or start with fm.Input(shape)), as Keras.

        A built model is built again around it, keeping the existing
        weights.

        Parameters
        ----------
        layer : Layer or KerasTensor
            A layer (a model too: its weights are then shared), or the output
            of `fastmlp.Input` as the first one.
        rebuild : bool, default True
            Rebuild a built model now (Keras's argument).

        Raises
        ------
        TypeError
            For something that is not a layer (or an Input first).
        ValueError
            For a layer already in the model, a duplicate name, an Input that
            is not first, or a layer whose shape does not fit.
        RuntimeError
            When called from a callback of this model's own fit.
        """
        with self._lock:
            self._refuse_in_own_fit("add()")
            if isinstance(layer, KerasTensor):
                if layer._source is not None or not isinstance(layer._layer, InputLayer):
                    raise TypeError("add() takes layers, or fm.Input(shape) as the first one; got "
                                    "the output of a layer call")
                layer = layer._layer
            if not isinstance(layer, Layer):
                raise TypeError(f"add() expects a layer such as fm.Dense(...) or fm.Dropout(...); "
                                f"got {describe(layer)}")
            if layer is self:
                raise ValueError("a model cannot be added to itself")
            if isinstance(layer, InputLayer) and self._layers:
                raise ValueError("an Input (InputLayer) can only be the first layer of a Sequential")
            if any(existing is layer for existing in self._layers):
                raise ValueError(f"layer {layer.name!r} is already in this model")
            if any(existing.name == layer.name for existing in self._layers):
                raise ValueError(f"the model already has a layer named {layer.name!r}; "
                                 f"layer names must be unique")
            self._layers.append(layer)
            if layer._model is None:
                layer._model = self
            try:
                if rebuild and (self._net is not None or self._n_in() is not None):
                    self._rebuild()
            except BaseException:
                self._layers.pop()
                if layer._model is self:
                    layer._model = None
                raise

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer, as Keras.

        Parameters
        ----------
        rebuild : bool, default True
            Rebuild a built model now.

        Returns
        -------
        Layer
            The layer removed.

        Raises
        ------
        IndexError
            When the model has no layers.
        RuntimeError
            When called from a callback of this model's own fit.
        """
        with self._lock:
            self._refuse_in_own_fit("pop()")
            if not self._chain_layers():
                raise IndexError("There are no layers in the model.")
            layer = self._layers.pop()
            if layer._model is self:
                layer._model = None
            if rebuild and self._net is not None and self._chain_layers():
                self._rebuild()
            elif not self._chain_layers():
                self._net = None
            return layer

    def _rebuild(self) -> None:
        if not self._flat():
            self._net = None  # nothing to compute yet
            return
        self._build_network(self._n_in())

    def get_config(self) -> dict:
        """The model's architecture as Keras 3's config (the same JSON Keras writes).

        Returns
        -------
        dict
            ``name``, ``trainable``, ``dtype`` and ``layers`` (each with
            ``class_name`` and ``config``).
        """
        from ..saving import model_config

        return model_config(self)
