"""BatchNormalization, with Keras 3's semantics."""
from __future__ import annotations

from typing import Any

from .. import _engine, initializers, regularizers
from .._validation import check_bool, check_float
from .base import Layer, weight_attribute
from .dense import _no_constraint, regularizer_coefficients

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """Normalises each feature: y = gamma·(x − mean)/sqrt(var + epsilon) + beta.

    In training (`fit`, `train_on_batch`, `model(x, training=True)`) mean and
    var are the batch's (the variance biased, divided by the rows), and the
    moving statistics move towards them:
    moving = moving·momentum + batch·(1 − momentum). Otherwise (`predict`,
    `evaluate`, and in training when `trainable=False`) the moving statistics
    are used; fastmlp then folds the layer into the neighbouring Dense layer,
    so inference costs what it would without it.

    Parameters
    ----------
    axis : int, default -1
        The feature axis; fastmlp's inputs are (rows, features), so -1 or 1.
    momentum : float, default 0.99
        The moving statistics' decay, in [0, 1].
    epsilon : float, default 1e-3
        Added to the variance (> 0).
    center, scale : bool, default True
        Learn beta (the shift) and gamma (the scale).
    beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer : str or Initializer
        Defaults "zeros", "ones", "zeros", "ones".
    beta_regularizer, gamma_regularizer : Regularizer or None
        l1/l2 penalties on beta and gamma.
    beta_constraint, gamma_constraint : None
        Not supported (a non-None value raises ValueError).
    synchronized : bool, default False
        Kept for configs (one process computes every batch).
    renorm, renorm_clipping, renorm_momentum
        Batch renormalization is not supported: only the defaults.
    **kwargs
        The arguments of every layer (`Layer`): name, trainable, dtype,
        input_shape, ...

    Raises
    ------
    ValueError
        For another axis, renorm, a constraint, or values out of range.

    Notes
    -----
    The weights, in Keras's order: gamma, beta, moving_mean,
    moving_variance.

    Examples
    --------
    >>> import fastmlp as fm
    >>> model = fm.Sequential([fm.Input((8,)), fm.Dense(16), fm.BatchNormalization()])
    >>> [w.shape for w in model.layers[1].get_weights()]
    [(16,), (16,), (16,), (16,)]
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False,
                 renorm: bool = False, renorm_clipping: Any = None,
                 renorm_momentum: float = 0.99, **kwargs: Any) -> None:
        if axis not in (-1, 1):
            raise ValueError(f"axis must be -1 (the features of fastmlp's (rows, features) "
                             f"inputs); got {axis!r}")
        if renorm or renorm_clipping is not None:
            raise ValueError("batch renormalization (renorm) is not supported by fastmlp")
        _no_constraint(beta_constraint, "beta_constraint")
        _no_constraint(gamma_constraint, "gamma_constraint")
        self.axis = -1
        self.momentum = check_float(momentum, "momentum", 0.0, 1.0)
        self.epsilon = check_float(epsilon, "epsilon", 0.0, None, low_open=True)
        self.center = check_bool(center, "center")
        self.scale = check_bool(scale, "scale")
        self.synchronized = check_bool(synchronized, "synchronized")
        self.beta_initializer = initializers.get(beta_initializer, "beta_initializer")
        self.gamma_initializer = initializers.get(gamma_initializer, "gamma_initializer")
        self.moving_mean_initializer = initializers.get(moving_mean_initializer,
                                                        "moving_mean_initializer")
        self.moving_variance_initializer = initializers.get(moving_variance_initializer,
                                                            "moving_variance_initializer")
        self.beta_regularizer = regularizers.get(beta_regularizer, "beta_regularizer")
        self.gamma_regularizer = regularizers.get(gamma_regularizer, "gamma_regularizer")
        super().__init__(**kwargs)

    def weight_specs(self, n_in: int) -> list:
        """The BatchNormalization weights for `n_in` features (internal; not Keras API).

        ``gamma`` (with ``scale``) and ``beta`` (with ``center``), both trainable,
        then ``moving_mean`` and ``moving_variance``, never trainable; all of
        shape (n_in,).

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        list of tuple
            ``(name, shape, initializer, trainable)`` in `get_weights` order.
        """
        specs = []
        if self.scale:
            specs.append(("gamma", (n_in,), self.gamma_initializer, True))
        if self.center:
            specs.append(("beta", (n_in,), self.beta_initializer, True))
        specs += [("moving_mean", (n_in,), self.moving_mean_initializer, False),
                  ("moving_variance", (n_in,), self.moving_variance_initializer, False)]
        return specs

    gamma = weight_attribute("gamma", "The scale, (features,), as a Variable; None with "
                                      "scale=False.")
    beta = weight_attribute("beta", "The shift, (features,), as a Variable; None with "
                                    "center=False.")
    moving_mean = weight_attribute("moving_mean", "The moving mean, (features,), as a Variable.")
    moving_variance = weight_attribute("moving_variance", "The moving variance, (features,), "
                                                          "as a Variable.")

    def engine_spec(self, n_in: int) -> dict:
        """The engine's batch-normalization layer for `n_in` features (internal; not Keras API).

        It carries scale/center, the trainable flag, momentum, epsilon and the
        gamma and beta regularizer coefficients.

        Parameters
        ----------
        n_in : int
            The input width.

        Returns
        -------
        dict
            The layer as ``fastmlp._engine.Network`` takes it.
        """
        return {"kind": _engine.LAYER_KINDS["batch_normalization"], "n_in": n_in, "n_out": n_in,
                "use_scale": self.scale, "use_bias": self.center, "trainable": self.trainable,
                "momentum": self.momentum, "epsilon": self.epsilon,
                "regularizers": regularizer_coefficients(self.gamma_regularizer,
                                                         self.beta_regularizer, None)}

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config`` for BatchNormalization.

        The base layer's keys (name, trainable, dtype) plus axis, momentum, epsilon, center, scale,
        the initializers and regularizers (serialized) and synchronized.
        The constraints and Keras's renorm keys are written with their fixed
        values (None, False, 0.99), as Keras writes them.

        Returns
        -------
        dict
            JSON-serializable; ``from_config`` rebuilds the layer (without its weights).
        """
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": None, "gamma_constraint": None,
            "synchronized": self.synchronized, "renorm": False, "renorm_clipping": None,
            "renorm_momentum": 0.99,
        })
        return config
