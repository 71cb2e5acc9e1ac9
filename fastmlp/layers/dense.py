"""Dense: a fully connected layer, activation(x @ kernel + bias)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _engine, activations, initializers, regularizers
from .._validation import check_bool, check_int
from .base import Layer, weight_attribute

__all__ = ["Dense"]


def _no_constraint(value: Any, name: str) -> None:
    if value is not None:
        raise ValueError(f"{name} is not supported by fastmlp (weights are not constrained); "
                         f"remove it")


def regularizer_coefficients(kernel: Any, bias: Any, activity: Any) -> tuple:
    """The l1 and l2 coefficients of three regularizers, flat, for the engine.

    A regularizer that is None counts as l1 = l2 = 0.

    Parameters
    ----------
    kernel, bias, activity : Regularizer or None
        The penalties on the kernel (or gamma), the bias
        (or beta) and the outputs.

    Returns
    -------
    tuple of float
        ``(kernel l1, kernel l2, bias l1, bias l2, activity l1, activity l2)``.
    """
    out = []
    for reg in (kernel, bias, activity):
        out += list(reg.coefficients()) if reg is not None else [0.0, 0.0]
    return tuple(out)


class Dense(Layer):
    """A fully connected layer: activation(x @ kernel + bias), kernel of shape
    (input features, units) as in Keras.

    Parameters
    ----------
    units : int
        Output width.
    activation : str, callable or None, default None
        A name ("relu", "gelu", ...; see fm.activations) or one of
        fm.activations' functions; None is linear.
    use_bias : bool, default True
        Whether the layer adds a bias.
    kernel_initializer, bias_initializer : str or Initializer
        Defaults "glorot_uniform" and "zeros".
    kernel_regularizer, bias_regularizer, activity_regularizer : Regularizer or None
        l1/l2 penalties (fm.regularizers); the activity one is on the outputs,
        divided by the batch's rows.
    kernel_constraint, bias_constraint : None
        Not supported (a non-None value raises ValueError).
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, input_dim, ...; Keras's lora_rank, lora_alpha and
        quantization_config are refused. A quantized dtype policy
        ("int8_from_float32", "bfloat16_from_float32", as Model.quantize
        leaves it) makes an inference-only layer: int8 gives it an int8
        kernel and its kernel_scale, as Keras's int8 Dense.

    Raises
    ------
    ValueError
        For units < 1, an unknown activation, initializer or regularizer, or
        a constraint.

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((4,)), fm.Dense(3, activation="relu")])
    >>> model.layers[0].kernel.shape
    (4, 3)
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        for key in ("lora_rank", "lora_alpha", "quantization_config"):
            if kwargs.pop(key, None) is not None:
                raise ValueError(f"{key} is not supported by fastmlp's Dense")
        _no_constraint(kernel_constraint, "kernel_constraint")
        _no_constraint(bias_constraint, "bias_constraint")
        self.units = check_int(units, "units", minimum=1)
        self.activation = activations.get(activation)
        self.use_bias = check_bool(use_bias, "use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self.kernel_regularizer = regularizers.get(kernel_regularizer, "kernel_regularizer")
        self.bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self.activity_regularizer = regularizers.get(activity_regularizer, "activity_regularizer")
        super().__init__(**kwargs)

    @property
    def quantization_mode(self) -> Optional[str]:
        """None, or "int8" / "bfloat16" once Model.quantize quantized the layer
        for inference (Keras's attribute; the dtype policy then reads
        "<mode>_from_<source>")."""
        policy = self._dtype_policy
        return policy.split("_from_")[0] if "_from_" in policy else None

    def weight_specs(self, n_in: int) -> list:
        """The Dense weights for `n_in` input features (internal; not Keras API).

        ``kernel`` (n_in, units), then ``bias`` (units,) with ``use_bias``.
        Under a quantized dtype policy none are trainable; int8 makes the kernel
        zero-initialized int8 values and adds ``kernel_scale`` (units,), as
        Keras's int8 Dense.

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        list of tuple
            ``(name, shape, initializer, trainable)`` in `get_weights` order.
        """
        mode = self.quantization_mode
        learns = mode is None
        if mode == "int8":  # Keras's int8 Dense: an int8 kernel and its per-column scale
            specs = [("kernel", (n_in, self.units), initializers.get("zeros"), False)]
        else:
            specs = [("kernel", (n_in, self.units), self.kernel_initializer, learns)]
        if self.use_bias:
            specs.append(("bias", (self.units,), self.bias_initializer, learns))
        if mode == "int8":
            specs.append(("kernel_scale", (self.units,), initializers.get("ones"), False))
        return specs

    def _weight_dtype(self, key: str) -> np.dtype:
        if key == "kernel" and self.quantization_mode == "int8":
            return np.dtype(np.int8)
        return super()._weight_dtype(key)

    def _check_weight(self, key: str, value: np.ndarray) -> None:
        if key == "kernel_scale" and not (value > 0).all():
            raise ValueError(f"{self.name}/kernel_scale must be positive (kernel ≈ "
                             f"weights·kernel_scale); got {value.min()!r}")

    def engine_spec(self, n_in: int) -> dict:
        """The engine's dense layer for `n_in` input features (internal; not Keras API).

        It carries the units, the activation, the bias flag, the trainable
        flag, the regularizer coefficients and, under a quantized dtype policy,
        the precision.

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        dict
            The layer as ``fastmlp._engine.Network`` takes it.
        """
        mode = self.quantization_mode
        spec = {"kind": _engine.LAYER_KINDS["dense"], "n_in": n_in, "n_out": self.units,
                "act": self.activation.engine(), "use_bias": self.use_bias,
                "trainable": self.trainable,
                "regularizers": regularizer_coefficients(self.kernel_regularizer,
                                                         self.bias_regularizer,
                                                         self.activity_regularizer)}
        if mode is not None:
            spec["precision"] = _engine.PRECISIONS[mode]
        return spec

    def output_width(self, n_in: int) -> int:
        """The number of output features: ``units``, whatever the input width (internal).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        int
            ``units``.
        """
        return self.units

    kernel = weight_attribute("kernel", "The kernel, (input features, units), as a Variable "
                                        "(assignable).")
    kernel_scale = weight_attribute("kernel_scale", "int8-quantized layers: the kernel's "
                                                    "per-column scale, (units,), as Keras "
                                                    "stores it (kernel ≈ weights·kernel_scale).")
    bias = weight_attribute("bias", "The bias, (units,), as a Variable (assignable); None "
                                    "with use_bias=False.")

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for Dense.

        The base layer's keys (name, trainable, dtype) plus units, activation, use_bias, the
        initializers and regularizers (serialized), and the constraints as None.
        ``activity_regularizer`` is included only when set.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config
